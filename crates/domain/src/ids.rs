//! Typed ULID identifiers, one newtype per entity so ids cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use ulid::Ulid;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not a valid id: expected a 26-character ULID")]
pub struct InvalidId;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Ulid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Ulid::new())
            }

            /// The underlying ULID.
            pub fn ulid(&self) -> Ulid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Ulid> for $name {
            fn from(u: Ulid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                // ULIDs are canonically upper case; accept lower case input but never other lengths.
                if s.len() != 26 {
                    return Err(InvalidId);
                }
                Ulid::from_string(s).map(Self).map_err(|_| InvalidId)
            }
        }
    };
}

ulid_id!(
    /// An organization (tenant).
    OrgId
);
ulid_id!(
    /// A user, in any role including master.
    UserId
);
ulid_id!(
    /// An advertiser or agency.
    ClientId
);
ulid_id!(
    /// A campaign.
    CampaignId
);
ulid_id!(
    /// A show.
    ShowId
);
ulid_id!(
    /// An episode of a show.
    EpisodeId
);
ulid_id!(
    /// A talent availability window.
    WindowId
);
ulid_id!(
    /// An in-app notification.
    NotificationId
);
ulid_id!(
    /// An activity (audit) record.
    ActivityId
);
ulid_id!(
    /// A backup of one organization.
    BackupId
);
ulid_id!(
    /// An uploaded media object (recording, artwork, document).
    MediaId
);
ulid_id!(
    /// An API key of an organization.
    ApiKeyId
);
ulid_id!(
    /// A hold: the spots one commit reserved for a campaign, until they are booked or released.
    HoldId
);
ulid_id!(
    /// An insertion order.
    OrderId
);
ulid_id!(
    /// A host read: one booked host-read line's ad, from brief to verified delivery.
    AdReadId
);
ulid_id!(
    /// A campaign's brief for host reads (campaign-wide or for one show).
    BriefId
);
ulid_id!(
    /// A comment on an ad read.
    CommentId
);
ulid_id!(
    /// An organization's webhook endpoint.
    WebhookId
);
ulid_id!(
    /// An invoice.
    InvoiceId
);
ulid_id!(
    /// A credit note.
    CreditNoteId
);
ulid_id!(
    /// A payment (or refund) recorded on an invoice.
    PaymentId
);

impl UserId {
    /// The author of changes made by the platform itself (the daily campaign job): the nil ULID,
    /// which no user is ever given.
    pub const SYSTEM: UserId = UserId(Ulid::nil());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = CampaignId::new();
        let s = id.to_string();
        assert_eq!(s.len(), 26);
        assert_eq!(s.parse::<CampaignId>().unwrap(), id);
        assert_eq!(s.to_lowercase().parse::<CampaignId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<CampaignId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in ["", "abc", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "ILOU0000000000000000000000"]
        {
            assert!(bad.parse::<UserId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_sort_by_creation_time() {
        let a = OrgId::from(Ulid::from_parts(1, 5));
        let b = OrgId::from(Ulid::from_parts(2, 1));
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}
