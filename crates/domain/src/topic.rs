//! Live-update topics: what a WebSocket client subscribes to, and which topics a change of the
//! table concerns (the realtime fan-out posts each change to the subscribers of its topics).
//!
//! Topics: `campaign:<id>`, `show:<id>`, `episode:<id>`, `order:<id>`, `adread:<id>`,
//! `invoice:<id>` (one entity), `inventory:show:<id>` (any spot of a show's episodes taken or
//! freed), `org:campaigns`, `org:shows`, `org:episodes`, `org:backups`, `org:billing` (every
//! entity of a type in the subscriber's organization, each update judged per reader) and
//! `user:<id>` (a user's own notifications).
//!
//! Keys and access patterns (used by the websocket function and the stream's realtime processor):
//! - a topic's subscribers: `ORG#<o>#TOPIC#<topic>` / `CONN#<connectionId>` ([`Topic::subscribers_pk`]),
//!   one Query per topic at fan-out, never a Scan.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use thiserror::Error;

use crate::keys::org_pk;
use crate::notification::EntityRef;
use crate::record::RecordType;
use crate::visibility::EntityKind;
use crate::{AdReadId, CampaignId, EpisodeId, InvoiceId, OrderId, OrgId, ShowId, UserId};

/// What a client can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// One campaign.
    Campaign(CampaignId),
    /// One show.
    Show(ShowId),
    /// One episode.
    Episode(EpisodeId),
    /// Every campaign of the organization.
    OrgCampaigns,
    /// Every show of the organization.
    OrgShows,
    /// Every episode of the organization.
    OrgEpisodes,
    /// The organization's backups and restores (admins).
    OrgBackups,
    /// A user's own notifications.
    User(UserId),
    /// One insertion order.
    Order(OrderId),
    /// The spots of a show's episodes (avails readers).
    ShowInventory(ShowId),
    /// One host read (and its comments).
    AdRead(AdReadId),
    /// One invoice.
    Invoice(InvoiceId),
    /// Every invoice of the organization (each reader gets those they read).
    OrgBilling,
}

/// Why a topic name is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    /// Not one of the forms above.
    #[error(
        "unknown topic; use campaign:<id>, show:<id>, episode:<id>, order:<id>, adread:<id>, invoice:<id>, inventory:show:<id>, org:campaigns, org:shows, org:episodes, org:backups, org:billing or user:<id>"
    )]
    Unknown,
    /// The id part is not an id.
    #[error("the topic's id is not a valid id")]
    BadId,
}

/// The id part of a topic.
fn id<T: FromStr>(r: &str) -> Result<T, TopicError> {
    r.parse().map_err(|_| TopicError::BadId)
}

impl FromStr for Topic {
    type Err = TopicError;

    fn from_str(s: &str) -> Result<Self, TopicError> {
        let (kind, rest) = s.split_once(':').ok_or(TopicError::Unknown)?;
        Ok(match (kind, rest) {
            ("org", "campaigns") => Topic::OrgCampaigns,
            ("org", "shows") => Topic::OrgShows,
            ("org", "episodes") => Topic::OrgEpisodes,
            ("org", "backups") => Topic::OrgBackups,
            ("org", "billing") => Topic::OrgBilling,
            ("invoice", r) => Topic::Invoice(id(r)?),
            ("campaign", r) => Topic::Campaign(id(r)?),
            ("show", r) => Topic::Show(id(r)?),
            ("episode", r) => Topic::Episode(id(r)?),
            ("user", r) => Topic::User(id(r)?),
            ("order", r) => Topic::Order(id(r)?),
            ("adread", r) => Topic::AdRead(id(r)?),
            ("inventory", r) => match r.strip_prefix("show:") {
                Some(show) => Topic::ShowInventory(id(show)?),
                None => return Err(TopicError::Unknown),
            },
            _ => return Err(TopicError::Unknown),
        })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Campaign(id) => write!(f, "campaign:{id}"),
            Topic::Show(id) => write!(f, "show:{id}"),
            Topic::Episode(id) => write!(f, "episode:{id}"),
            Topic::OrgCampaigns => f.write_str("org:campaigns"),
            Topic::OrgShows => f.write_str("org:shows"),
            Topic::OrgEpisodes => f.write_str("org:episodes"),
            Topic::OrgBackups => f.write_str("org:backups"),
            Topic::User(id) => write!(f, "user:{id}"),
            Topic::Order(id) => write!(f, "order:{id}"),
            Topic::ShowInventory(id) => write!(f, "inventory:show:{id}"),
            Topic::AdRead(id) => write!(f, "adread:{id}"),
            Topic::Invoice(id) => write!(f, "invoice:{id}"),
            Topic::OrgBilling => f.write_str("org:billing"),
        }
    }
}

impl Topic {
    /// The entity a one-entity topic covers (what a subscriber must be able to read).
    pub fn entity(&self) -> Option<EntityRef> {
        let e = |kind: EntityKind, id: String| Some(EntityRef { kind, id });
        match self {
            Topic::Campaign(id) => e(EntityKind::Campaign, id.to_string()),
            Topic::Show(id) => e(EntityKind::Show, id.to_string()),
            Topic::Episode(id) => e(EntityKind::Episode, id.to_string()),
            Topic::Order(id) => e(EntityKind::Order, id.to_string()),
            Topic::AdRead(id) => e(EntityKind::AdRead, id.to_string()),
            Topic::Invoice(id) => e(EntityKind::Invoice, id.to_string()),
            // Followed by who may read the show's avails (not every reader of the show).
            Topic::ShowInventory(id) => e(EntityKind::Show, id.to_string()),
            _ => None,
        }
    }

    /// The partition listing a topic's subscribed connections in one organization.
    pub fn subscribers_pk(&self, org: &OrgId) -> String {
        org_pk(org, format!("TOPIC#{self}"))
    }

    /// The topics a change of a record of type `record` concerns, most specific first: the
    /// entity's own, its parent's, its type's in the organization, the user it is for (`image`:
    /// its new image, or its old one for a deletion); none for items no client follows.
    pub fn of_change(record: RecordType, image: &Value) -> Vec<Topic> {
        fn field<T: FromStr>(image: &Value, name: &str) -> Option<T> {
            image.get(name)?.as_str()?.parse().ok()
        }
        let one = |t: Option<Topic>, all: Option<Topic>| t.into_iter().chain(all).collect();
        match record {
            RecordType::Campaign => one(field(image, "id").map(Topic::Campaign), Some(Topic::OrgCampaigns)),
            RecordType::TeamMember => one(field(image, "campaignId").map(Topic::Campaign), None),
            RecordType::Show => one(field(image, "id").map(Topic::Show), Some(Topic::OrgShows)),
            // An episode also concerns its show's followers (its parent).
            RecordType::Episode => field(image, "id")
                .map(Topic::Episode)
                .into_iter()
                .chain(field(image, "showId").map(Topic::Show))
                .chain([Topic::OrgEpisodes])
                .collect(),
            RecordType::Backup => vec![Topic::OrgBackups],
            RecordType::Notification => one(field(image, "userId").map(Topic::User), None),
            // Who is on a topic goes to the topic's own subscribers.
            RecordType::Presence => one(field(image, "topic"), None),
            RecordType::Order => one(field(image, "id").map(Topic::Order), None),
            RecordType::SpotClaim => one(field(image, "showId").map(Topic::ShowInventory), None),
            // A read concerns its campaign's followers too, each judged on the read itself.
            RecordType::AdRead => {
                one(field(image, "id").map(Topic::AdRead), field(image, "campaignId").map(Topic::Campaign))
            }
            RecordType::Comment => one(field(image, "adReadId").map(Topic::AdRead), None),
            RecordType::Invoice => one(field(image, "id").map(Topic::Invoice), Some(Topic::OrgBilling)),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn topics_round_trip_and_bad_ones_say_why() {
        let c = CampaignId::new();
        let (o, s) = (OrderId::new(), ShowId::new());
        for t in [
            Topic::Campaign(c),
            Topic::OrgCampaigns,
            Topic::OrgShows,
            Topic::User(UserId::new()),
            Topic::Order(o),
            Topic::ShowInventory(s),
            Topic::OrgEpisodes,
            Topic::OrgBackups,
            Topic::Show(s),
            Topic::Episode(EpisodeId::new()),
        ] {
            assert_eq!(t.to_string().parse::<Topic>(), Ok(t));
        }
        assert_eq!("campaign:nope".parse::<Topic>(), Err(TopicError::BadId));
        assert_eq!(Topic::ShowInventory(s).to_string(), format!("inventory:show:{s}"));
        assert_eq!(Topic::ShowInventory(s).entity().map(|e| e.kind), Some(EntityKind::Show));
        assert_eq!(Topic::Order(o).entity().map(|e| e.kind), Some(EntityKind::Order));
        assert_eq!(Topic::Show(s).entity(), Some(EntityRef { kind: EntityKind::Show, id: s.to_string() }));
        let e = EpisodeId::new();
        assert_eq!(Topic::Episode(e).entity(), Some(EntityRef { kind: EntityKind::Episode, id: e.to_string() }));
        assert_eq!("inventory:show:nope".parse::<Topic>(), Err(TopicError::BadId));
        for bad in ["", "campaign", "org:users", "billing:1", ":", "inventory:episode:1", "inventory:"] {
            assert_eq!(bad.parse::<Topic>(), Err(TopicError::Unknown), "{bad}");
        }
        assert_eq!(Topic::Campaign(c).entity().map(|e| e.kind), Some(EntityKind::Campaign));
        assert!(Topic::OrgShows.entity().is_none());
        let org = OrgId::new();
        assert_eq!(Topic::OrgShows.subscribers_pk(&org), format!("ORG#{org}#TOPIC#org:shows"));
    }

    #[test]
    fn changes_map_to_the_topics_that_follow_them() {
        let c = CampaignId::new();
        assert_eq!(
            Topic::of_change(RecordType::Campaign, &json!({"id": c})),
            vec![Topic::Campaign(c), Topic::OrgCampaigns]
        );
        assert_eq!(Topic::of_change(RecordType::TeamMember, &json!({"campaignId": c})), vec![Topic::Campaign(c)]);
        let u = UserId::new();
        assert_eq!(Topic::of_change(RecordType::Notification, &json!({"userId": u})), vec![Topic::User(u)]);
        assert!(Topic::of_change(RecordType::Activity, &json!({"id": c})).is_empty());
        let (e, show) = (EpisodeId::new(), ShowId::new());
        assert_eq!(
            Topic::of_change(RecordType::Episode, &json!({"id": e, "showId": show})),
            vec![Topic::Episode(e), Topic::Show(show), Topic::OrgEpisodes]
        );
        let topic = format!("campaign:{c}");
        assert_eq!(Topic::of_change(RecordType::Presence, &json!({"topic": topic})), vec![Topic::Campaign(c)]);
        let o = OrderId::new();
        assert_eq!(Topic::of_change(RecordType::Order, &json!({"id": o})), vec![Topic::Order(o)]);
        assert_eq!(Topic::of_change(RecordType::Show, &json!({"id": show})), vec![Topic::Show(show), Topic::OrgShows]);
        assert_eq!(Topic::of_change(RecordType::Backup, &json!({"id": o})), vec![Topic::OrgBackups]);
        assert_eq!(
            Topic::of_change(RecordType::SpotClaim, &json!({"showId": show, "episodeId": e})),
            vec![Topic::ShowInventory(show)]
        );
        assert!(Topic::of_change(RecordType::Hold, &json!({"id": o})).is_empty(), "holds are told by their spots");
        let r = AdReadId::new();
        assert_eq!(
            Topic::of_change(RecordType::AdRead, &json!({"id": r, "campaignId": c})),
            vec![Topic::AdRead(r), Topic::Campaign(c)],
            "a read concerns its campaign's followers too"
        );
        assert_eq!(Topic::of_change(RecordType::Comment, &json!({"id": "k", "adReadId": r})), vec![Topic::AdRead(r)]);
        let i = InvoiceId::new();
        assert_eq!(
            Topic::of_change(RecordType::Invoice, &json!({"id": i})),
            vec![Topic::Invoice(i), Topic::OrgBilling]
        );
        assert!(Topic::of_change(RecordType::CreditNote, &json!({"invoiceId": i})).is_empty(), "told by its invoice");
    }

    #[test]
    fn an_invoice_is_followed_on_its_own_topic_and_the_organizations_billing() {
        let i = InvoiceId::new();
        for (topic, name) in [(Topic::Invoice(i), format!("invoice:{i}")), (Topic::OrgBilling, "org:billing".into())] {
            assert_eq!(topic.to_string(), name);
            assert_eq!(name.parse::<Topic>(), Ok(topic));
        }
        assert_eq!(Topic::Invoice(i).entity(), Some(EntityRef { kind: EntityKind::Invoice, id: i.to_string() }));
        assert_eq!(Topic::OrgBilling.entity(), None);
        assert_eq!("invoice:nope".parse::<Topic>(), Err(TopicError::BadId));
        assert_eq!("org:invoices".parse::<Topic>(), Err(TopicError::Unknown));
    }

    #[test]
    fn a_read_is_followed_on_its_own_topic() {
        let r = AdReadId::new();
        let topic = Topic::AdRead(r);
        assert_eq!(topic.to_string(), format!("adread:{r}"));
        assert_eq!(format!("adread:{r}").parse::<Topic>(), Ok(topic));
        assert_eq!("adread:nope".parse::<Topic>(), Err(TopicError::BadId));
        assert_eq!(topic.entity(), Some(EntityRef { kind: EntityKind::AdRead, id: r.to_string() }));
    }
}
