//! What a reader may see of an entity, decided in one place.
//!
//! [`EntityKind`] names every kind of entity a reader can refer to (activity, media, live
//! updates, notifications). The policy ([`crate::permissions::authorize`]) answers whether a reader
//! may read an entity and with which [`View`]; [`Lens`] turns that answer (and, for a campaign,
//! the reader's team permissions) into the fields they see, and [`Lens::shows`] is the one field
//! rule that every exit applies: a GET, a list, an activity entry's diff, a live update and,
//! later, exports and webhooks. A field hidden from a GET is hidden everywhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::campaign::team::{TeamMember, TeamPermission};
use crate::permissions::{Action, View};
use crate::{Role, UserId};

/// A kind of entity a reader can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    /// The organization itself.
    Organization,
    /// A user of the organization.
    User,
    /// An advertiser or agency.
    Client,
    /// A campaign (with its team).
    Campaign,
    /// A show.
    Show,
    /// An episode of a show.
    Episode,
    /// A talent's availability.
    Talent,
    /// An API key of the organization.
    ApiKey,
    /// A backup of the organization.
    Backup,
    /// An insertion order (with its lines and history).
    Order,
    /// A host read (with its submissions and history; its comments apart).
    AdRead,
    /// A webhook endpoint of the organization.
    Webhook,
    /// An invoice (with its payments and credit notes).
    Invoice,
}

/// A kind name the API does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown entity type {0:?}")]
pub struct UnknownEntityKind(pub String);

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 13] = [
        EntityKind::Organization,
        EntityKind::User,
        EntityKind::Client,
        EntityKind::Campaign,
        EntityKind::Show,
        EntityKind::Episode,
        EntityKind::Talent,
        EntityKind::ApiKey,
        EntityKind::Backup,
        EntityKind::Order,
        EntityKind::AdRead,
        EntityKind::Webhook,
        EntityKind::Invoice,
    ];

    /// Its name in the API, in keys and in activity entries.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Organization => "organization",
            EntityKind::User => "user",
            EntityKind::Client => "client",
            EntityKind::Campaign => "campaign",
            EntityKind::Show => "show",
            EntityKind::Episode => "episode",
            EntityKind::Talent => "talent",
            EntityKind::ApiKey => "apiKey",
            EntityKind::Backup => "backup",
            EntityKind::Order => "order",
            EntityKind::AdRead => "adRead",
            EntityKind::Webhook => "webhook",
            EntityKind::Invoice => "invoice",
        }
    }

    /// The action that reads an entity of this kind: whoever may take it sees the entity's
    /// activity, live updates and files.
    pub fn read_action(self) -> Action {
        match self {
            EntityKind::Organization => Action::OrganizationRead,
            EntityKind::User => Action::UserRead,
            EntityKind::Client => Action::ClientRead,
            EntityKind::Campaign => Action::CampaignRead,
            EntityKind::Show => Action::ShowRead,
            EntityKind::Episode => Action::EpisodeRead,
            EntityKind::Talent => Action::AvailabilityRead,
            EntityKind::ApiKey => Action::ApiKeyManage,
            EntityKind::Backup => Action::BackupManage,
            EntityKind::Order => Action::OrderRead,
            EntityKind::AdRead => Action::AdReadRead,
            EntityKind::Webhook => Action::WebhookManage,
            EntityKind::Invoice => Action::InvoiceRead,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityKind {
    type Err = UnknownEntityKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownEntityKind(s.to_owned()))
    }
}

/// A part of an entity with fields of its own: the record, or one member of a campaign's team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The entity's own record.
    Record,
    /// One member of a campaign's team.
    TeamMember,
    /// One entry of an order's status history.
    HistoryEntry,
    /// One of a campaign's holds (seen whole by full readers only: those who hold spots and
    /// read avails).
    Hold,
    /// One comment on a host read.
    Comment,
    /// One of a campaign's briefs (seen by every reader of the campaign).
    Brief,
    /// One of an invoice's credit notes (seen whole by every reader of the invoice).
    CreditNote,
}

/// How much of one entity one reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lens {
    /// Every field.
    Full,
    /// A campaign without its budget (producers and talent without `viewFinancials`).
    WithoutFinancials,
    /// A campaign as its client sees it: no internal notes or probability, a team of names and
    /// roles.
    Client,
    /// A show's public fields: id, name, description, category, artwork.
    PublicFields,
    /// A user's id, name and role.
    NamesAndRoles,
}

/// Campaign fields the client view leaves out.
const CAMPAIGN_INTERNAL: [&str; 2] = ["internalNotes", "probability"];
/// Campaign fields only readers with financial access see.
const CAMPAIGN_FINANCIAL: [&str; 2] = ["budget", "rateOverrides"];
/// What a client sees of a team member.
const CLIENT_TEAM_MEMBER: [&str; 2] = ["userId", "role"];
/// Order fields the client view leaves out.
const ORDER_INTERNAL: [&str; 1] = ["internalNotes"];
/// What a client sees of an order's move: when and where, not who or why.
const CLIENT_HISTORY_ENTRY: [&str; 3] = ["at", "from", "to"];
/// Host read fields the client view leaves out.
const ADREAD_INTERNAL: [&str; 2] = ["notices", "overrideReason"];
/// What a client sees of a read's move: when, where and by whom, not why.
const CLIENT_ADREAD_ENTRY: [&str; 4] = ["actor", "at", "from", "to"];
/// Comment fields the client view leaves out (whom the organization mentioned).
const COMMENT_INTERNAL: [&str; 1] = ["mentions"];
/// Invoice fields the client view leaves out.
const INVOICE_INTERNAL: [&str; 1] = ["internalNotes"];
/// Show fields only admins and its producers see.
const SHOW_FINANCIAL: [&str; 1] = ["revenueShare"];
/// A show's public fields.
const PUBLIC_SHOW: [&str; 5] = ["id", "name", "description", "category", "artwork"];
/// What colleagues see of a user.
const NAME_AND_ROLE: [&str; 4] = ["id", "name", "role", "avatarUrl"];

impl Lens {
    /// The lens of a reader the policy allowed with `view`.
    pub fn of(view: View) -> Lens {
        match view {
            View::Full => Lens::Full,
            View::ClientView => Lens::Client,
            View::PublicFields => Lens::PublicFields,
            View::NamesAndRoles => Lens::NamesAndRoles,
        }
    }

    /// The lens of a campaign's reader the policy allowed with `view`: client users get the
    /// client view; producers and talent see the budget only with the team permission
    /// `viewFinancials`.
    pub fn of_campaign(view: View, role: Role, me: UserId, team: &[TeamMember]) -> Lens {
        if view == View::ClientView || role == Role::Client {
            return Lens::Client;
        }
        let sees_money = match role {
            Role::Producer | Role::Talent => {
                team.iter().any(|m| m.user_id == me && m.has(TeamPermission::ViewFinancials))
            }
            _ => true,
        };
        match (sees_money, Lens::of(view)) {
            (true, lens) => lens,
            (false, Lens::Full) => Lens::WithoutFinancials,
            (false, lens) => lens,
        }
    }

    /// The lens of a show's reader the policy allowed with `view`: its talent and sellers see it
    /// without its revenue share terms (what its people are paid is for admins and its producers;
    /// each talent reads their own part on their statement).
    pub fn of_show(view: View, role: Role) -> Lens {
        match (Lens::of(view), role) {
            (Lens::Full, Role::Talent | Role::Seller) => Lens::WithoutFinancials,
            (lens, _) => lens,
        }
    }

    /// Whether a reader with this lens sees `field` of `part` of an entity of `kind`. A lens
    /// applied to a kind it was not made for shows nothing: a mistake hides, never leaks.
    pub fn shows(self, kind: EntityKind, part: Part, field: &str) -> bool {
        match (self, kind, part) {
            (Lens::Full, _, _) => true,
            (Lens::WithoutFinancials, EntityKind::Campaign, Part::Record) => !CAMPAIGN_FINANCIAL.contains(&field),
            (Lens::WithoutFinancials, EntityKind::Campaign, Part::TeamMember) => true,
            (Lens::WithoutFinancials, EntityKind::Show, Part::Record) => !SHOW_FINANCIAL.contains(&field),
            (Lens::Client, EntityKind::Campaign, Part::Record) => !CAMPAIGN_INTERNAL.contains(&field),
            (Lens::Client, EntityKind::Campaign, Part::TeamMember) => CLIENT_TEAM_MEMBER.contains(&field),
            (Lens::Client, EntityKind::Order, Part::Record) => !ORDER_INTERNAL.contains(&field),
            (Lens::Client, EntityKind::Order, Part::HistoryEntry) => CLIENT_HISTORY_ENTRY.contains(&field),
            (Lens::WithoutFinancials | Lens::Client, EntityKind::Campaign, Part::Brief) => true,
            (Lens::Client, EntityKind::AdRead, Part::Record) => !ADREAD_INTERNAL.contains(&field),
            (Lens::Client, EntityKind::AdRead, Part::HistoryEntry) => CLIENT_ADREAD_ENTRY.contains(&field),
            (Lens::Client, EntityKind::AdRead, Part::Comment) => !COMMENT_INTERNAL.contains(&field),
            (Lens::Client, EntityKind::Invoice, Part::Record) => !INVOICE_INTERNAL.contains(&field),
            (Lens::Client, EntityKind::Invoice, Part::CreditNote) => true,
            (Lens::PublicFields, EntityKind::Show, Part::Record) => PUBLIC_SHOW.contains(&field),
            (Lens::NamesAndRoles, EntityKind::User, Part::Record) => NAME_AND_ROLE.contains(&field),
            _ => false,
        }
    }

    /// `value` (the JSON object of `part` of an entity of `kind`) with only the fields this lens
    /// shows; anything but an object is returned as it is.
    pub fn apply(self, kind: EntityKind, part: Part, mut value: Value) -> Value {
        if let Value::Object(fields) = &mut value {
            fields.retain(|name, _| self.shows(kind, part, name));
        }
        value
    }

    /// An entity serialized and seen through this lens.
    pub fn render<T: Serialize>(self, kind: EntityKind, entity: &T) -> Value {
        self.apply(kind, Part::Record, serde_json::to_value(entity).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EntityKind::ALL {
            assert_eq!(k.as_str().parse::<EntityKind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert!("teamMember".parse::<EntityKind>().is_err());
    }

    #[test]
    fn each_lens_shows_exactly_its_fields() {
        use EntityKind::{Campaign, Show, User};
        use Lens::{Client, Full, NamesAndRoles, PublicFields, WithoutFinancials};
        let cases: [(Lens, EntityKind, Part, &str, bool); 40] = [
            (Client, EntityKind::Invoice, Part::Record, "internalNotes", false),
            (Client, EntityKind::Invoice, Part::Record, "balance", true),
            (Client, EntityKind::Invoice, Part::CreditNote, "amount", true),
            (WithoutFinancials, EntityKind::Invoice, Part::Record, "balance", false),
            (WithoutFinancials, EntityKind::Invoice, Part::CreditNote, "amount", false),
            (Client, EntityKind::Order, Part::CreditNote, "amount", false),
            (WithoutFinancials, Campaign, Part::Brief, "promoCode", true),
            (Client, Campaign, Part::Brief, "talkingPoints", true),
            (NamesAndRoles, Campaign, Part::Brief, "promoCode", false),
            (Client, EntityKind::AdRead, Part::Record, "notices", false),
            (Client, EntityKind::AdRead, Part::Record, "overrideReason", false),
            (Client, EntityKind::AdRead, Part::Record, "submissions", true),
            (Client, EntityKind::AdRead, Part::HistoryEntry, "reason", false),
            (Client, EntityKind::AdRead, Part::HistoryEntry, "actor", true),
            (Client, EntityKind::AdRead, Part::Comment, "mentions", false),
            (Client, EntityKind::AdRead, Part::Comment, "text", true),
            (WithoutFinancials, Campaign, Part::Record, "rateOverrides", false),
            (Client, Campaign, Part::Record, "rateOverrides", true),
            (Client, EntityKind::Order, Part::Record, "internalNotes", false),
            (Client, EntityKind::Order, Part::Record, "lines", true),
            (Client, EntityKind::Order, Part::HistoryEntry, "to", true),
            (Client, EntityKind::Order, Part::HistoryEntry, "reason", false),
            (Client, EntityKind::Order, Part::HistoryEntry, "by", false),
            (WithoutFinancials, EntityKind::Order, Part::Record, "lines", false),
            (Full, Campaign, Part::Record, "internalNotes", true),
            (WithoutFinancials, Campaign, Part::Record, "budget", false),
            (WithoutFinancials, Campaign, Part::Record, "internalNotes", true),
            (WithoutFinancials, Campaign, Part::TeamMember, "permissions", true),
            (Client, Campaign, Part::Record, "budget", true),
            (Client, Campaign, Part::Record, "internalNotes", false),
            (Client, Campaign, Part::Record, "probability", false),
            (Client, Campaign, Part::TeamMember, "role", true),
            (Client, Campaign, Part::TeamMember, "permissions", false),
            (PublicFields, Show, Part::Record, "name", true),
            (PublicFields, Show, Part::Record, "adConfig", false),
            (NamesAndRoles, User, Part::Record, "name", true),
            (NamesAndRoles, User, Part::Record, "email", false),
            (NamesAndRoles, Campaign, Part::Record, "name", false),
            (Client, Show, Part::Record, "name", false),
            (PublicFields, User, Part::Record, "name", false),
        ];
        for (lens, kind, part, field, shown) in cases {
            assert_eq!(lens.shows(kind, part, field), shown, "{lens:?} {kind} {part:?} {field}");
        }
        let applied = NamesAndRoles.apply(User, Part::Record, json!({"id": "u", "name": "N", "email": "e"}));
        assert_eq!(applied, json!({"id": "u", "name": "N"}));
        assert_eq!(NamesAndRoles.apply(User, Part::Record, json!(3)), json!(3));
    }

    #[test]
    fn a_client_sees_a_campaign_through_the_client_view_however_allowed() {
        let me = UserId::new();
        assert_eq!(Lens::of_campaign(View::ClientView, Role::Admin, me, &[]), Lens::Client);
        assert_eq!(Lens::of_campaign(View::Full, Role::Client, me, &[]), Lens::Client);
        assert_eq!(Lens::of_campaign(View::Full, Role::Seller, me, &[]), Lens::Full);
        assert_eq!(Lens::of_campaign(View::Full, Role::Talent, me, &[]), Lens::WithoutFinancials);
        assert_eq!(Lens::of_campaign(View::NamesAndRoles, Role::Talent, me, &[]), Lens::NamesAndRoles);
    }

    #[test]
    fn a_shows_talent_and_sellers_read_it_without_its_revenue_share() {
        for role in [Role::Talent, Role::Seller] {
            let lens = Lens::of_show(View::Full, role);
            assert_eq!(lens, Lens::WithoutFinancials, "{role}");
            assert!(!lens.shows(EntityKind::Show, Part::Record, "revenueShare"));
            assert!(lens.shows(EntityKind::Show, Part::Record, "name"));
        }
        for role in [Role::Master, Role::Admin, Role::Producer] {
            assert_eq!(Lens::of_show(View::Full, role), Lens::Full, "{role}");
        }
        assert_eq!(Lens::of_show(View::PublicFields, Role::Client), Lens::PublicFields);
        assert_eq!(Lens::of_show(View::PublicFields, Role::Talent), Lens::PublicFields);
    }

    #[test]
    fn lenses_follow_the_policy_view() {
        assert_eq!(Lens::of(View::Full), Lens::Full);
        assert_eq!(Lens::of(View::ClientView), Lens::Client);
        assert_eq!(Lens::of(View::PublicFields), Lens::PublicFields);
        assert_eq!(Lens::of(View::NamesAndRoles), Lens::NamesAndRoles);
    }
}
