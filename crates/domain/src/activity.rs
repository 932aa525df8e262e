//! Activity (audit) records.
//!
//! Keys and access patterns:
//! - an entity's activity, newest first: `ORG#<o>#ACTIVITY#<type>#<id>` / `<activityId>`;
//! - the organization's timeline: GSI1 `ORG#<o>#ACTIVITIES` / `<activityId>`;
//! - one actor's activity: GSI2 `ORG#<o>#ACTOR#<u>#ACTIVITIES` / `<activityId>`;
//! - kept 90 days through `expiresAt`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::{Entity, Index, Key, org_pk};
use crate::notification::EntityRef;
use crate::record::RecordType;
use crate::visibility::{EntityKind, Lens, Part};
use crate::{ActivityId, OrgId, UserId};

/// How long activity is kept.
pub const RETENTION_DAYS: i64 = 90;

/// The value written in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Before (absent for creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// After (absent for deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Its id.
    pub id: ActivityId,
    /// Its organization.
    pub org_id: OrgId,
    /// Who did it (`None` for the platform itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    /// What was done, e.g. `campaign.updated`.
    pub action: String,
    /// To what.
    pub entity: EntityRef,
    /// Changed fields, secrets redacted.
    #[serde(default)]
    pub changes: BTreeMap<String, FieldChange>,
    /// The request that did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// TTL in epoch seconds.
    pub expires_at: i64,
}

/// Whether a field name denotes a secret whose value must never be recorded.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "secret", "token", "apikey", "api_key", "totp", "mfa", "credential", "hash"]
        .iter()
        .any(|s| n.contains(s))
}

/// The field changes between two JSON objects, secrets redacted. Bookkeeping fields are skipped.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> BTreeMap<String, FieldChange> {
    use crate::keys::{ENTITY, PK, REMOVED_BY_RESTORE, REQUEST_ID, RESTORED_BY, SK, VERSION};
    const SKIP: &[&str] = &[
        VERSION,
        REQUEST_ID,
        RESTORED_BY,
        REMOVED_BY_RESTORE,
        "updatedAt",
        "updatedBy",
        // The daily job's mark that a hold's owner was told of its expiry: bookkeeping.
        "expiryNoticeFor",
        PK,
        SK,
        "GSI1PK",
        "GSI1SK",
        "GSI2PK",
        "GSI2SK",
        "GSI3PK",
        "GSI3SK",
        "GSI4PK",
        "GSI4SK",
        "GSI5PK",
        "GSI5SK",
        ENTITY,
    ];
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = BTreeMap::new();
    for name in b.keys().chain(a.keys()) {
        if SKIP.contains(&name.as_str()) || out.contains_key(name) {
            continue;
        }
        let (from, to) = (b.get(name), a.get(name));
        if from == to {
            continue;
        }
        let redact = |v: Option<&Value>| {
            v.map(|v| if is_secret_field(name) { Value::String(REDACTED.into()) } else { v.clone() })
        };
        out.insert(name.clone(), FieldChange { from: redact(from), to: redact(to) });
    }
    out
}

/// The noun of the actions on a campaign's team (`campaign.team.created`...).
const TEAM_NOUN: &str = "campaign.team";

/// The noun of the actions on a campaign's holds (`campaign.hold.created`...).
const HOLD_NOUN: &str = "campaign.hold";

/// The noun of the actions on a host read's comments (`adRead.comment.created`...).
const COMMENT_NOUN: &str = "adRead.comment";

/// The noun of the actions on a campaign's briefs (`campaign.brief.created`...).
const BRIEF_NOUN: &str = "campaign.brief";

/// The noun of the actions on an invoice's credit notes (`invoice.creditNote.created`).
const CREDIT_NOTE_NOUN: &str = "invoice.creditNote";

/// Prefix of the events clients report themselves (`POST /activities`).
pub const CLIENT_EVENT_PREFIX: &str = "client.";

/// What a change to a record of type `record` is about: the entity it concerns and the noun of its
/// actions, or `None` for items that are not audited (links, counters, idempotency records,
/// notifications, the activity log itself).
pub fn audited(record: RecordType, image: &Value) -> Option<(EntityRef, &'static str)> {
    let field = |name: &str| image.get(name).and_then(Value::as_str).map(str::to_owned);
    let (kind, id_field, noun) = match record {
        RecordType::Client => (EntityKind::Client, "id", "client"),
        RecordType::Campaign => (EntityKind::Campaign, "id", "campaign"),
        RecordType::TeamMember => (EntityKind::Campaign, "campaignId", TEAM_NOUN),
        RecordType::Show => (EntityKind::Show, "id", "show"),
        RecordType::Episode => (EntityKind::Episode, "id", "episode"),
        RecordType::User => (EntityKind::User, "id", "user"),
        RecordType::Organization => (EntityKind::Organization, "id", "organization"),
        RecordType::ApiKey => (EntityKind::ApiKey, "id", "apiKey"),
        RecordType::AvailabilitySet => (EntityKind::Talent, "talentId", "availability"),
        RecordType::Order => (EntityKind::Order, "id", "order"),
        RecordType::AdRead => (EntityKind::AdRead, "id", "adRead"),
        // An endpoint's changes (its secrets redacted); its deliveries are its own log.
        RecordType::WebhookEndpoint => (EntityKind::Webhook, "id", "webhook"),
        // Comments and briefs are parts of their read's and their campaign's story.
        RecordType::Comment => (EntityKind::AdRead, "adReadId", COMMENT_NOUN),
        RecordType::Brief => (EntityKind::Campaign, "campaignId", BRIEF_NOUN),
        // Every issue, payment, refund, void and overdue is a change of the invoice; a credit
        // note is part of its invoice's story.
        RecordType::Invoice => (EntityKind::Invoice, "id", "invoice"),
        RecordType::CreditNote => (EntityKind::Invoice, "invoiceId", CREDIT_NOTE_NOUN),
        // A hold is part of its campaign's story: made, extended, released, booked, and an
        // admin's reason for holding beside a competitor.
        RecordType::Hold => (EntityKind::Campaign, "campaignId", HOLD_NOUN),
        // A producer's block of a spot; held and booked spots are told by their hold and order.
        RecordType::SpotClaim if field("state").as_deref() == Some("blocked") => {
            (EntityKind::Episode, "episodeId", "episode.spot")
        }
        _ => return None,
    };
    Some((EntityRef { kind, id: field(id_field)? }, noun))
}

impl Activity {
    /// The audit record of one change (`before`/`after` absent for a creation/deletion), or `None`
    /// when the item is not audited. The actor is the writer named in the new image (`updatedBy`);
    /// a status change is a `transitioned` action, a team change names the member.
    pub fn of_change(
        id: ActivityId,
        org: OrgId,
        record: RecordType,
        before: Option<&Value>,
        after: Option<&Value>,
        at: DateTime<Utc>,
    ) -> Option<Activity> {
        let image = after.or(before)?;
        let (entity, noun) = audited(record, image)?;
        // The owner joins and leaves the team with the campaign itself: its own entry says it.
        if noun == TEAM_NOUN && image.get("role").and_then(Value::as_str) == Some("owner") {
            return None;
        }
        let mut changes = diff(before, after);
        let verb = match (before, after) {
            (None, Some(_)) => "created",
            (Some(_), None) => "deleted",
            _ if changes.contains_key("status")
                && matches!(noun, "campaign" | "episode" | "order" | "adRead" | "invoice") =>
            {
                "transitioned"
            }
            _ => "updated",
        };
        if noun == TEAM_NOUN
            && let Some(member) = image.get("userId")
        {
            changes.entry("userId".into()).or_insert(FieldChange { from: None, to: Some(member.clone()) });
        }
        // Entities carry `updatedBy`; team members say who added them.
        let user = |v: Option<&Value>| {
            let v = v?;
            v.get("updatedBy").or_else(|| v.get("addedBy")).and_then(Value::as_str)?.parse().ok()
        };
        Some(Activity {
            id,
            org_id: org,
            actor_id: user(after).filter(|u: &UserId| *u != UserId::SYSTEM),
            action: format!("{noun}.{verb}"),
            entity,
            changes,
            request_id: after.and_then(|a| a.get(crate::keys::REQUEST_ID)).and_then(Value::as_str).map(str::to_owned),
            at,
            expires_at: Self::expiry(at),
        })
    }

    /// The part of its entity this entry's changes are fields of.
    pub fn part(&self) -> Part {
        let under = |noun: &str| self.action.strip_prefix(noun).is_some_and(|rest| rest.starts_with('.'));
        if under(TEAM_NOUN) {
            Part::TeamMember
        } else if under(HOLD_NOUN) {
            Part::Hold
        } else if under(COMMENT_NOUN) {
            Part::Comment
        } else if under(BRIEF_NOUN) {
            Part::Brief
        } else if under(CREDIT_NOTE_NOUN) {
            Part::CreditNote
        } else {
            Part::Record
        }
    }

    /// The entry as a reader sees it who reads its entity through `lens` (`None`: who cannot
    /// read the entity at all): a change to a field they would not see in the entity is absent.
    /// The details of an event a client reported are the reporter's words, not the entity's
    /// fields, and stay.
    pub fn seen_through(mut self, lens: Option<Lens>) -> Activity {
        if self.action.starts_with(CLIENT_EVENT_PREFIX) {
            return self;
        }
        let (kind, part) = (self.entity.kind, self.part());
        match lens {
            Some(lens) => self.changes.retain(|field, _| lens.shows(kind, part, field)),
            None => self.changes.clear(),
        }
        self
    }

    /// The TTL for an activity at `at`.
    pub fn expiry(at: DateTime<Utc>) -> i64 {
        (at + Duration::days(RETENTION_DAYS)).timestamp()
    }

    /// The lowest activity id (sort key) at an instant: ids are ULIDs, ordered by time.
    pub fn first_id_at(at: DateTime<Utc>) -> String {
        ulid::Ulid::from_parts(u64::try_from(at.timestamp_millis()).unwrap_or(0), 0).to_string()
    }

    /// The highest activity id at an instant.
    pub fn last_id_at(at: DateTime<Utc>) -> String {
        ulid::Ulid::from_parts(u64::try_from(at.timestamp_millis()).unwrap_or(0), u128::MAX).to_string()
    }

    /// Partition of one entity's activity.
    pub fn entity_pk(org: &OrgId, entity: &EntityRef) -> String {
        org_pk(org, format!("ACTIVITY#{}#{}", entity.kind, entity.id))
    }

    /// GSI1 partition of the organization's timeline.
    pub fn timeline_pk(org: &OrgId) -> String {
        org_pk(org, "ACTIVITIES")
    }

    /// GSI2 partition of one actor's activity.
    pub fn actor_pk(org: &OrgId, actor: &UserId) -> String {
        org_pk(org, format!("ACTOR#{actor}#ACTIVITIES"))
    }
}

impl Entity for Activity {
    const TYPE: &'static str = "activity";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Key::new(Self::entity_pk(&self.org_id, &self.entity), self.id.to_string())
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let sk = self.id.to_string();
        let mut keys = vec![(Index::Gsi1, Key::new(Self::timeline_pk(&self.org_id), sk.clone()))];
        if let Some(actor) = &self.actor_id {
            keys.push((Index::Gsi2, Key::new(Self::actor_pk(&self.org_id, actor), sk)));
        }
        keys
    }
    fn version(&self) -> u64 {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_reports_changed_fields_and_redacts_secrets() {
        let before = json!({"name": "A", "status": "draft", "version": 1, "apiKeyHash": "abc", "same": 1});
        let after = json!({"name": "B", "status": "draft", "version": 2, "apiKeyHash": "def", "same": 1, "new": true});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(d.keys().collect::<Vec<_>>(), vec!["apiKeyHash", "name", "new"]);
        assert_eq!(d["name"], FieldChange { from: Some(json!("A")), to: Some(json!("B")) });
        assert_eq!(d["apiKeyHash"].to, Some(json!(REDACTED)));
        assert_eq!(d["new"].from, None);
    }

    #[test]
    fn a_restores_marks_are_bookkeeping() {
        let before = json!({"name": "A", "restoredBy": "b@1"});
        let after = json!({"name": "B", "removedByRestore": "b@2"});
        assert_eq!(diff(Some(&before), Some(&after)).keys().collect::<Vec<_>>(), vec!["name"]);
    }

    #[test]
    fn creation_and_deletion_have_one_side() {
        let v = json!({"name": "A", "password": "hunter2hunter2"});
        let created = diff(None, Some(&v));
        assert_eq!(created["name"].from, None);
        assert_eq!(created["password"].to, Some(json!(REDACTED)));
        let deleted = diff(Some(&v), None);
        assert_eq!(deleted["name"].to, None);
    }

    #[test]
    fn a_change_becomes_an_activity_with_its_actor_action_and_request() {
        let org = OrgId::new();
        let actor = UserId::new();
        let before = json!({"id": "c1", "name": "A", "status": "draft", "updatedBy": actor, "version": 1});
        let after = json!({"id": "c1", "name": "A", "status": "proposal", "updatedBy": actor, "version": 2,
            "requestId": "r-1"});
        let id = ActivityId::new();
        let a = Activity::of_change(id, org, RecordType::Campaign, Some(&before), Some(&after), Utc::now()).unwrap();
        assert_eq!(
            (a.action.as_str(), a.actor_id, a.request_id.as_deref()),
            ("campaign.transitioned", Some(actor), Some("r-1"))
        );
        assert_eq!(a.entity, EntityRef { kind: EntityKind::Campaign, id: "c1".into() });
        assert_eq!(a.changes.keys().collect::<Vec<_>>(), vec!["status"]);
        let member = json!({"campaignId": "c1", "userId": "u9", "role": "talent", "updatedBy": actor});
        let added = Activity::of_change(id, org, RecordType::TeamMember, None, Some(&member), Utc::now()).unwrap();
        assert_eq!((added.action.as_str(), added.entity.id.as_str()), ("campaign.team.created", "c1"));
        let owner = json!({"campaignId": "c1", "userId": "u1", "role": "owner", "addedBy": actor});
        assert!(
            Activity::of_change(id, org, RecordType::TeamMember, None, Some(&owner), Utc::now()).is_none(),
            "said by campaign.created"
        );
        assert!(Activity::of_change(id, org, RecordType::Activity, None, Some(&after), Utc::now()).is_none());
        assert!(Activity::of_change(id, org, RecordType::Media, None, Some(&after), Utc::now()).is_none());
        let gone = Activity::of_change(id, org, RecordType::Campaign, Some(&before), None, Utc::now()).unwrap();
        assert_eq!((gone.action.as_str(), gone.actor_id), ("campaign.deleted", None));
    }

    #[test]
    fn an_entry_shows_only_the_fields_its_reader_sees_in_the_entity() {
        let (id, org) = (ActivityId::new(), OrgId::new());
        let created =
            json!({"id": "c1", "name": "A", "budget": {"amount": 5}, "internalNotes": "x", "probability": 40});
        let a = Activity::of_change(id, org, RecordType::Campaign, None, Some(&created), Utc::now()).unwrap();
        let fields = |a: Activity| a.changes.into_keys().collect::<Vec<_>>();
        assert_eq!(
            fields(a.clone().seen_through(Some(Lens::Full))),
            ["budget", "id", "internalNotes", "name", "probability"]
        );
        assert_eq!(
            fields(a.clone().seen_through(Some(Lens::WithoutFinancials))),
            ["id", "internalNotes", "name", "probability"]
        );
        assert_eq!(fields(a.clone().seen_through(Some(Lens::Client))), ["budget", "id", "name"]);
        assert!(fields(a.clone().seen_through(None)).is_empty());
        let member = json!({"campaignId": "c1", "userId": "u9", "role": "talent", "permissions": ["edit"]});
        let added = Activity::of_change(id, org, RecordType::TeamMember, None, Some(&member), Utc::now()).unwrap();
        assert_eq!(added.part(), Part::TeamMember);
        assert_eq!(fields(added.seen_through(Some(Lens::Client))), ["role", "userId"]);
        let user = json!({"id": "u1", "name": "N", "email": "n@example.com", "role": "seller"});
        let invited = Activity::of_change(id, org, RecordType::User, None, Some(&user), Utc::now()).unwrap();
        assert_eq!(fields(invited.seen_through(Some(Lens::NamesAndRoles))), ["id", "name", "role"]);
        let mut reported = a.clone();
        reported.action = "client.viewed".into();
        assert_eq!(fields(reported.seen_through(None)).len(), 5, "a reporter's details are theirs");
        let mut teamish = a;
        teamish.action = "campaign.teamwork.updated".into();
        assert_eq!(teamish.part(), Part::Record);
    }

    #[test]
    fn each_audited_kind_names_its_entity_and_noun() {
        let image = json!({"id": "e1", "campaignId": "c1", "talentId": "t1", "episodeId": "p1", "state": "blocked",
            "invoiceId": "i1"});
        let cases = [
            (RecordType::Client, EntityKind::Client, "e1", "client"),
            (RecordType::Campaign, EntityKind::Campaign, "e1", "campaign"),
            (RecordType::TeamMember, EntityKind::Campaign, "c1", "campaign.team"),
            (RecordType::Show, EntityKind::Show, "e1", "show"),
            (RecordType::Episode, EntityKind::Episode, "e1", "episode"),
            (RecordType::User, EntityKind::User, "e1", "user"),
            (RecordType::Organization, EntityKind::Organization, "e1", "organization"),
            (RecordType::ApiKey, EntityKind::ApiKey, "e1", "apiKey"),
            (RecordType::AvailabilitySet, EntityKind::Talent, "t1", "availability"),
            (RecordType::Order, EntityKind::Order, "e1", "order"),
            (RecordType::Hold, EntityKind::Campaign, "c1", "campaign.hold"),
            (RecordType::SpotClaim, EntityKind::Episode, "p1", "episode.spot"),
            (RecordType::AdRead, EntityKind::AdRead, "e1", "adRead"),
            (RecordType::Brief, EntityKind::Campaign, "c1", "campaign.brief"),
            (RecordType::Invoice, EntityKind::Invoice, "e1", "invoice"),
            (RecordType::CreditNote, EntityKind::Invoice, "i1", "invoice.creditNote"),
        ];
        for (entity_type, kind, id, noun) in cases {
            let (entity, n) = audited(entity_type, &image).unwrap_or_else(|| panic!("{entity_type} is audited"));
            assert_eq!((entity.kind, entity.id.as_str(), n), (kind, id, noun), "{entity_type}");
        }
        for skipped in [
            RecordType::Notification,
            RecordType::Connection,
            RecordType::Activity,
            RecordType::Media,
            RecordType::CategoryClaim,
        ] {
            assert!(audited(skipped, &image).is_none(), "{skipped}");
        }
        // Held and booked spots are told by their hold and their order, not one entry per spot.
        for state in ["held", "booked"] {
            let claim = json!({"episodeId": "p1", "state": state});
            assert!(audited(RecordType::SpotClaim, &claim).is_none(), "{state}");
        }
    }

    #[test]
    fn only_campaign_episode_and_order_status_changes_are_transitions() {
        let (id, org, at) = (ActivityId::new(), OrgId::new(), Utc::now());
        let before = json!({"id": "x", "status": "active", "name": "A"});
        let after = json!({"id": "x", "status": "archived", "name": "A"});
        let renamed = json!({"id": "x", "status": "active", "name": "B"});
        let action = |kind: RecordType, b: &Value, a: &Value| {
            Activity::of_change(id, org, kind, Some(b), Some(a), at).unwrap().action
        };
        assert_eq!(action(RecordType::Episode, &before, &after), "episode.transitioned");
        assert_eq!(action(RecordType::Campaign, &before, &after), "campaign.transitioned");
        assert_eq!(action(RecordType::Client, &before, &after), "client.updated");
        assert_eq!(action(RecordType::Show, &before, &after), "show.updated");
        assert_eq!(action(RecordType::Campaign, &before, &renamed), "campaign.updated");
        assert_eq!(action(RecordType::Order, &before, &after), "order.transitioned");
        assert_eq!(action(RecordType::Order, &before, &renamed), "order.updated");
        assert_eq!(action(RecordType::Invoice, &before, &after), "invoice.transitioned");
        assert_eq!(action(RecordType::Invoice, &before, &renamed), "invoice.updated");
        let note = json!({"id": "n1", "invoiceId": "i1", "amount": {"amount": 100, "currency": "USD"}});
        let credited = Activity::of_change(id, org, RecordType::CreditNote, None, Some(&note), at).unwrap();
        assert_eq!((credited.action.as_str(), credited.part()), ("invoice.creditNote.created", Part::CreditNote));
        assert!(credited.clone().seen_through(Some(Lens::Client)).changes.contains_key("amount"));
        assert!(credited.seen_through(Some(Lens::WithoutFinancials)).changes.is_empty());
        let hold = |status: &str| json!({"id": "h", "campaignId": "c", "status": status});
        let released =
            Activity::of_change(id, org, RecordType::Hold, Some(&hold("active")), Some(&hold("released")), at);
        let released = released.unwrap();
        assert_eq!((released.action.as_str(), released.part()), ("campaign.hold.updated", Part::Hold));
        // Only full readers see a hold's fields; a client reading the campaign sees the entry bare.
        assert!(released.clone().seen_through(Some(Lens::Full)).changes.contains_key("status"));
        assert!(released.seen_through(Some(Lens::Client)).changes.is_empty());
    }

    #[test]
    fn a_team_change_names_its_member_and_nothing_else_does() {
        let (id, org, at) = (ActivityId::new(), OrgId::new(), Utc::now());
        let before = json!({"campaignId": "c1", "userId": "u9", "role": "talent", "permissions": ["view"]});
        let after = json!({"campaignId": "c1", "userId": "u9", "role": "talent", "permissions": ["view", "edit"]});
        let changed = Activity::of_change(id, org, RecordType::TeamMember, Some(&before), Some(&after), at).unwrap();
        assert_eq!(changed.action, "campaign.team.updated");
        assert_eq!(changed.changes["userId"].to, Some(json!("u9")), "which member changed");
        let c = json!({"id": "c1", "userId": "u9", "name": "A"});
        let c2 = json!({"id": "c1", "userId": "u9", "name": "B"});
        let renamed = Activity::of_change(id, org, RecordType::Campaign, Some(&c), Some(&c2), at).unwrap();
        assert!(!renamed.changes.contains_key("userId"));
    }

    #[test]
    fn entries_are_kept_ninety_days_and_keyed_by_entity_timeline_and_actor() {
        let at = "2026-12-03T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(Activity::expiry(at), (at + Duration::days(90)).timestamp());
        let first = Activity::first_id_at(at);
        let last = Activity::last_id_at(at);
        assert!(first < last && first.len() == 26);
        assert!(Activity::first_id_at(at + Duration::milliseconds(1)) > last, "ids order by time");
        let org = OrgId::new();
        let e = EntityRef { kind: EntityKind::Campaign, id: "c1".into() };
        assert_eq!(Activity::entity_pk(&org, &e), format!("ORG#{org}#ACTIVITY#campaign#c1"));
        assert_eq!(Activity::timeline_pk(&org), format!("ORG#{org}#ACTIVITIES"));
        let u = UserId::new();
        assert_eq!(Activity::actor_pk(&org, &u), format!("ORG#{org}#ACTOR#{u}#ACTIVITIES"));
        let a = Activity::of_change(
            ActivityId::new(),
            org,
            RecordType::Campaign,
            None,
            Some(&json!({"id": "c1", "updatedBy": u})),
            at,
        )
        .unwrap();
        assert_eq!(a.org_id(), &org);
        assert_eq!(a.version(), 1);
        let keys = a.index_keys();
        assert_eq!(keys.len(), 2, "the timeline and the actor's");
        assert_eq!(keys[1].1.pk, Activity::actor_pk(&org, &u));
    }

    #[test]
    fn reads_comments_and_briefs_are_told_as_their_parts() {
        let org = OrgId::new();
        let at = Utc::now();
        let read = |status: &str| json!({"id": "r1", "status": status, "campaignId": "c1"});
        let moved = Activity::of_change(
            ActivityId::new(),
            org,
            RecordType::AdRead,
            Some(&read("submitted")),
            Some(&read("in_review")),
            at,
        )
        .unwrap();
        assert_eq!((moved.action.as_str(), moved.part()), ("adRead.transitioned", Part::Record));
        let comment = json!({"id": "k1", "adReadId": "r1", "text": "louder", "internal": true});
        let said = Activity::of_change(ActivityId::new(), org, RecordType::Comment, None, Some(&comment), at).unwrap();
        assert_eq!(
            (said.action.as_str(), said.part(), said.entity.id.as_str()),
            ("adRead.comment.created", Part::Comment, "r1")
        );
        let brief = |v: i64| json!({"id": "b1", "campaignId": "c1", "promoCode": "A", "version": v});
        let edited =
            Activity::of_change(ActivityId::new(), org, RecordType::Brief, Some(&brief(1)), Some(&brief(2)), at)
                .unwrap();
        assert_eq!((edited.action.as_str(), edited.part()), ("campaign.brief.updated", Part::Brief));
        assert_eq!(edited.entity.kind, EntityKind::Campaign);
    }
}
