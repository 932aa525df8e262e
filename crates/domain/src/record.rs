//! The kinds of record in the table, as their `entityType` attribute names them: what the change
//! stream's processors dispatch on (topics, activity, notifications, live updates). Each record
//! type is some [`crate::keys::Entity`]'s `TYPE`, or a record written beside one (a team's
//! availability set).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// A kind of record in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// An organization.
    Organization,
    /// A user.
    User,
    /// An API key.
    ApiKey,
    /// A client.
    Client,
    /// A campaign.
    Campaign,
    /// One entry of a campaign's status history.
    CampaignHistory,
    /// A member of a campaign's team.
    TeamMember,
    /// A show.
    Show,
    /// An episode.
    Episode,
    /// One availability window of a talent.
    Availability,
    /// The version record of a talent's availability.
    AvailabilitySet,
    /// A notification.
    Notification,
    /// An activity entry.
    Activity,
    /// A backup.
    Backup,
    /// A media file.
    Media,
    /// A WebSocket connection.
    Connection,
    /// A connection's subscription to a topic.
    Subscription,
    /// Presence on a topic.
    Presence,
    /// An insertion order.
    Order,
    /// A campaign's hold on spots.
    Hold,
    /// A taken spot: held, booked or blocked.
    SpotClaim,
    /// An advertiser's competitive category in a scope.
    CategoryClaim,
    /// A host read.
    AdRead,
    /// A campaign's brief for host reads.
    Brief,
    /// A comment on a host read.
    Comment,
    /// A line's pacing alert (`delivery::alerts`).
    PacingAlert,
    /// A webhook endpoint (`webhook::endpoint`).
    WebhookEndpoint,
    /// One event's delivery to a webhook endpoint (`webhook::delivery`).
    WebhookDelivery,
    /// An invoice (`billing::invoice`).
    Invoice,
    /// A credit note against an invoice (`billing::credit_note`).
    CreditNote,
}

/// A record type the code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type {0:?}")]
pub struct UnknownRecordType(pub String);

impl RecordType {
    /// Every record type.
    pub const ALL: [RecordType; 30] = [
        RecordType::Organization,
        RecordType::User,
        RecordType::ApiKey,
        RecordType::Client,
        RecordType::Campaign,
        RecordType::CampaignHistory,
        RecordType::TeamMember,
        RecordType::Show,
        RecordType::Episode,
        RecordType::Availability,
        RecordType::AvailabilitySet,
        RecordType::Notification,
        RecordType::Activity,
        RecordType::Backup,
        RecordType::Media,
        RecordType::Connection,
        RecordType::Subscription,
        RecordType::Presence,
        RecordType::Order,
        RecordType::Hold,
        RecordType::SpotClaim,
        RecordType::CategoryClaim,
        RecordType::AdRead,
        RecordType::Brief,
        RecordType::Comment,
        RecordType::PacingAlert,
        RecordType::WebhookEndpoint,
        RecordType::WebhookDelivery,
        RecordType::Invoice,
        RecordType::CreditNote,
    ];

    /// Its `entityType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Organization => "organization",
            RecordType::User => "user",
            RecordType::ApiKey => "apiKey",
            RecordType::Client => "client",
            RecordType::Campaign => "campaign",
            RecordType::CampaignHistory => "campaignHistory",
            RecordType::TeamMember => "teamMember",
            RecordType::Show => "show",
            RecordType::Episode => "episode",
            RecordType::Availability => "availability",
            RecordType::AvailabilitySet => "availabilitySet",
            RecordType::Notification => "notification",
            RecordType::Activity => "activity",
            RecordType::Backup => "backup",
            RecordType::Media => "media",
            RecordType::Connection => "connection",
            RecordType::Subscription => "subscription",
            RecordType::Presence => "presence",
            RecordType::Order => "order",
            RecordType::Hold => "hold",
            RecordType::SpotClaim => "spotClaim",
            RecordType::CategoryClaim => "categoryClaim",
            RecordType::AdRead => "adRead",
            RecordType::Brief => "brief",
            RecordType::Comment => "comment",
            RecordType::PacingAlert => crate::delivery::alerts::PACING_ALERT,
            RecordType::WebhookEndpoint => "webhookEndpoint",
            RecordType::WebhookDelivery => "webhookDelivery",
            RecordType::Invoice => "invoice",
            RecordType::CreditNote => "creditNote",
        }
    }

    /// The type of a stored item (its `entityType`), if it is one the code knows.
    pub fn of_item(item: &Map<String, Value>) -> Option<RecordType> {
        item.get(crate::keys::ENTITY)?.as_str()?.parse().ok()
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordType {
    type Err = UnknownRecordType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRecordType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::Entity;

    #[test]
    fn every_entitys_type_is_a_record_type() {
        let types = [
            crate::organization::Organization::TYPE,
            crate::user::User::TYPE,
            crate::api_key::ApiKey::TYPE,
            crate::client::Client::TYPE,
            crate::campaign::Campaign::TYPE,
            crate::campaign::HistoryEntry::TYPE,
            crate::campaign::team::TeamMember::TYPE,
            crate::show::Show::TYPE,
            crate::episode::Episode::TYPE,
            crate::availability::AvailabilityWindow::TYPE,
            crate::notification::Notification::TYPE,
            crate::activity::Activity::TYPE,
            crate::backup::Backup::TYPE,
            crate::media::Media::TYPE,
            crate::connection::Connection::TYPE,
            crate::connection::Subscription::TYPE,
            crate::connection::Presence::TYPE,
            crate::billing::invoice::Invoice::TYPE,
            crate::billing::credit_note::CreditNote::TYPE,
        ];
        for t in types {
            let r: RecordType = t.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.as_str(), t);
            assert_eq!(r.to_string(), t);
        }
        assert_eq!("availabilitySet".parse(), Ok(RecordType::AvailabilitySet));
        assert!("nonsense".parse::<RecordType>().is_err());
        let item = json!({"entityType": "teamMember"});
        assert_eq!(RecordType::of_item(item.as_object().unwrap()), Some(RecordType::TeamMember));
        assert_eq!(RecordType::of_item(json!({"entityType": 3}).as_object().unwrap()), None);
    }
}
