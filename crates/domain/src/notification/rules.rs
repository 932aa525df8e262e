//! Which changes notify whom: the rules the stream function applies to every change. Pure: the
//! recipients that need a lookup (the organization's admins, a show's producers) are named, and
//! the stream function resolves them.
//!
//! | change | who | type | priority |
//! |---|---|---|---|
//! | a team member added (not the owner) | the member | `campaign.team.added` | normal |
//! | a campaign moves to pending_approval | the admins | `campaign.needs_approval` | high |
//! | pending_approval -> won | the owner | `campaign.approved` | high |
//! | pending_approval -> negotiation | the owner | `campaign.rejected` | high |
//! | a campaign moves to lost | the owner | `campaign.lost` | normal |
//! | talent added to an episode | each added talent | `episode.assigned` | normal |
//! | an episode moves to scheduled | its talent and its show's producers | `episode.scheduled` | normal |
//! | a backup completes / fails | the admins | `backup.completed` / `backup.failed` | normal / urgent |
//! | a user is invited | the admins but the inviter | `user.invited` | low |
//! | a user's role changes | that user | `security.role_changed` | urgent |
//! | an order moves to pending_approval | the admins | `order.needs_approval` | high |
//! | an order is booked | the campaign's owner and team who read its orders | `order.booked` | normal |
//! | a hold is marked due its expiry notice | who made it | `hold.expiring` | high |
//! | host reads | see [`super::ad_reads`] | `adread.*` | |
//! | a pacing alert is raised (`delivery::alerts`) | the campaign's owner and team who read its delivery | `delivery.pacing_alert` | high |
//! | the dispatcher turns off a failing webhook endpoint | the admins | `webhook.disabled` | urgent |
//! | an invoice is issued | its payer's client users, and the sellers of its clients | `invoice.issued` | normal |
//! | an invoice becomes overdue | the admins, and the sellers of its clients | `invoice.overdue` | high |
//! | a payment is recorded on an invoice | the admins, and the sellers of its clients | `invoice.payment_received` | normal |
//!
//! The names are [`NotificationType`]'s.

use serde_json::Value;

use super::{EntityRef, NotificationType, Priority};
use crate::delivery::alerts::{AlertKind, PacingAlert};
use crate::permissions::Action;
use crate::record::RecordType;
use crate::visibility::EntityKind;
use crate::{CampaignId, ClientId, ShowId, UserId};

/// Who a planned notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// These users.
    Users(Vec<UserId>),
    /// The organization's active admins, but these.
    AdminsExcept(Vec<UserId>),
    /// These users and the producers of a show.
    UsersAndShowProducers(Vec<UserId>, ShowId),
    /// A campaign's owner and team members who may take this action on it.
    CampaignPeople(CampaignId, Action),
    /// The active client users of an advertiser.
    ClientUsers(ClientId),
    /// These users, but never a client user (an internal comment's mentions).
    Staff(Vec<UserId>),
    /// The sellers assigned to any of these clients.
    ClientSellers(Vec<ClientId>),
}

/// A notification to send, before its recipients are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Recipients.
    pub to: Recipients,
    /// Its type.
    pub kind: NotificationType,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Priority.
    pub priority: Priority,
    /// What it is about.
    pub entity: EntityRef,
}

pub(crate) fn text<'a>(v: Option<&'a Value>, field: &str) -> Option<&'a str> {
    v?.get(field)?.as_str()
}

pub(crate) fn user(v: Option<&Value>, field: &str) -> Option<UserId> {
    text(v, field)?.parse().ok()
}

pub(crate) fn users(v: Option<&Value>, field: &str) -> Vec<UserId> {
    v.and_then(|v| v.get(field))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|u| u.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

fn entity(kind: EntityKind, v: Option<&Value>) -> Option<EntityRef> {
    Some(EntityRef { kind, id: text(v, "id")?.to_owned() })
}

/// What an invoice's change calls for: issued, overdue, a payment received. Each goes only to
/// whom a GET of the invoice would answer (the stream judges every recipient on it).
fn invoice(before: Option<&Value>, after: Option<&Value>, from: Option<&str>, to: Option<&str>) -> Vec<Planned> {
    let (Some(e), Some(number)) = (entity(EntityKind::Invoice, after), text(after, "number")) else {
        return Vec::new();
    };
    let clients = || -> Vec<ClientId> {
        let mut c: Vec<ClientId> =
            ["billTo", "advertiserId"].iter().filter_map(|f| text(after, f)?.parse().ok()).collect();
        c.dedup();
        c
    };
    let amount = |v: Option<&Value>| -> Option<String> {
        Some(serde_json::from_value::<crate::Money>(v?.clone()).ok()?.to_string())
    };
    let mut out = Vec::new();
    let mut plan = |to: Recipients, kind, title: String, body: String, priority| {
        out.push(Planned { to, kind, title, body, priority, entity: e.clone() });
    };
    let client = text(after, "billToName").unwrap_or_default();
    if before.is_some() && from == Some("draft") && to != Some("draft") && to != Some("void") {
        let due = text(after, "dueDate").unwrap_or_default();
        let body = format!("Invoice {number} to {client} is due on {due}.");
        if let Some(payer) = text(after, "billTo").and_then(|c| c.parse().ok()) {
            let title = format!("Invoice {number} was issued");
            plan(
                Recipients::ClientUsers(payer),
                NotificationType::InvoiceIssued,
                title,
                body.clone(),
                Priority::Normal,
            );
        }
        let title = format!("Invoice {number} was issued");
        plan(Recipients::ClientSellers(clients()), NotificationType::InvoiceIssued, title, body, Priority::Normal);
    }
    if before.is_some() && from != Some("overdue") && to == Some("overdue") {
        let title = format!("Invoice {number} is overdue");
        let body = format!("Invoice {number} to {client} passed its due date unpaid.");
        plan(
            Recipients::AdminsExcept(Vec::new()),
            NotificationType::InvoiceOverdue,
            title.clone(),
            body.clone(),
            Priority::High,
        );
        plan(Recipients::ClientSellers(clients()), NotificationType::InvoiceOverdue, title, body, Priority::High);
    }
    let payments =
        |v: Option<&Value>| v.and_then(|v| v.get("payments")).and_then(Value::as_array).cloned().unwrap_or_default();
    let (was, now) = (payments(before), payments(after));
    if before.is_some() {
        // Only the payments this change added.
        for p in now.iter().skip(was.len()) {
            let positive = p.get("amount").and_then(|a| a.get("amount")).and_then(Value::as_i64).is_some_and(|a| a > 0);
            if !positive {
                continue;
            }
            let paid = amount(p.get("amount")).unwrap_or_default();
            let title = format!("A payment of {paid} was received on invoice {number}");
            let body =
                format!("{client} paid {paid}; the invoice is now {}.", to.unwrap_or_default().replace('_', " "));
            plan(
                Recipients::AdminsExcept(Vec::new()),
                NotificationType::InvoicePaymentReceived,
                title.clone(),
                body.clone(),
                Priority::Normal,
            );
            plan(
                Recipients::ClientSellers(clients()),
                NotificationType::InvoicePaymentReceived,
                title,
                body,
                Priority::Normal,
            );
        }
    }
    out
}

/// The notifications a change of a record of type `record` calls for (`before`/`after` absent for a
/// creation/deletion).
pub fn plan(record: RecordType, before: Option<&Value>, after: Option<&Value>) -> Vec<Planned> {
    let status = |v: Option<&Value>| text(v, "status").map(str::to_owned);
    let (from, to) = (status(before), status(after));
    let moved = from != to && before.is_some() && after.is_some();
    let name = text(after, "name").or_else(|| text(after, "title")).unwrap_or("").to_owned();
    let mut out = Vec::new();
    match record {
        RecordType::TeamMember if before.is_none() => {
            let role = text(after, "role").unwrap_or_default();
            if let (Some(member), Some(campaign)) = (user(after, "userId"), text(after, "campaignId"))
                && role != "owner"
            {
                out.push(Planned {
                    to: Recipients::Users(vec![member]),
                    kind: NotificationType::CampaignTeamAdded,
                    title: "You were added to a campaign team".into(),
                    body: format!("You are on the team as {role}."),
                    priority: Priority::Normal,
                    entity: EntityRef { kind: EntityKind::Campaign, id: campaign.into() },
                });
            }
        }
        RecordType::Campaign if moved => {
            let Some(e) = entity(EntityKind::Campaign, after) else { return out };
            let owner = user(after, "ownerId").into_iter().collect::<Vec<_>>();
            let (to_whom, kind, title, priority) = match (from.as_deref(), to.as_deref()) {
                (_, Some("pending_approval")) => (
                    Recipients::AdminsExcept(Vec::new()),
                    NotificationType::CampaignNeedsApproval,
                    format!("Campaign {name} needs approval"),
                    Priority::High,
                ),
                (Some("pending_approval"), Some("won")) => (
                    Recipients::Users(owner),
                    NotificationType::CampaignApproved,
                    format!("Campaign {name} was approved"),
                    Priority::High,
                ),
                (Some("pending_approval"), Some("negotiation")) => (
                    Recipients::Users(owner),
                    NotificationType::CampaignRejected,
                    format!("Campaign {name} went back to negotiation"),
                    Priority::High,
                ),
                (_, Some("lost")) => (
                    Recipients::Users(owner),
                    NotificationType::CampaignLost,
                    format!("Campaign {name} was lost"),
                    Priority::Normal,
                ),
                _ => return out,
            };
            out.push(Planned { to: to_whom, kind, title: title.clone(), body: title, priority, entity: e });
        }
        RecordType::Episode => {
            let Some(e) = entity(EntityKind::Episode, after) else { return out };
            let now = users(after, "talentIds");
            let was = users(before, "talentIds");
            let added: Vec<UserId> = now.iter().filter(|t| !was.contains(t)).copied().collect();
            if !added.is_empty() {
                out.push(Planned {
                    to: Recipients::Users(added),
                    kind: NotificationType::EpisodeAssigned,
                    title: format!("You are on episode {name}"),
                    body: match text(after, "recordingDate") {
                        Some(d) => format!("Recording on {d}."),
                        None => "No recording date yet.".into(),
                    },
                    priority: Priority::Normal,
                    entity: e.clone(),
                });
            }
            if moved
                && to.as_deref() == Some("scheduled")
                && let Some(show) = text(after, "showId").and_then(|s| s.parse().ok())
            {
                out.push(Planned {
                    to: Recipients::UsersAndShowProducers(now, show),
                    kind: NotificationType::EpisodeScheduled,
                    title: format!("Episode {name} is scheduled"),
                    body: match text(after, "airDate") {
                        Some(d) => format!("It airs on {d}."),
                        None => String::new(),
                    },
                    priority: Priority::Normal,
                    entity: e,
                });
            }
        }
        RecordType::Order if moved => {
            let Some(e) = entity(EntityKind::Order, after) else { return out };
            let number = text(after, "number").unwrap_or_default();
            let (to_whom, kind, title, priority) = match to.as_deref() {
                Some("pending_approval") => (
                    Recipients::AdminsExcept(Vec::new()),
                    NotificationType::OrderNeedsApproval,
                    format!("Order {number} needs approval"),
                    Priority::High,
                ),
                Some("booked") => match text(after, "campaignId").and_then(|c| c.parse().ok()) {
                    Some(campaign) => (
                        Recipients::CampaignPeople(campaign, Action::OrderRead),
                        NotificationType::OrderBooked,
                        format!("Order {number} is booked"),
                        Priority::Normal,
                    ),
                    None => return out,
                },
                _ => return out,
            };
            out.push(Planned { to: to_whom, kind, title: title.clone(), body: title, priority, entity: e });
        }
        RecordType::Hold => {
            let notice = |v: Option<&Value>| text(v, "expiryNoticeFor").map(str::to_owned);
            let (Some(due), Some(campaign), Some(owner)) =
                (notice(after), text(after, "campaignId"), user(after, "createdBy"))
            else {
                return out;
            };
            if notice(before).as_deref() == Some(due.as_str()) {
                return out;
            }
            let spots = after.and_then(|a| a.get("spots")).and_then(Value::as_array).map_or(0, Vec::len);
            out.push(Planned {
                to: Recipients::Users(vec![owner]),
                kind: NotificationType::HoldExpiring,
                title: format!("A hold of {spots} spots expires at {due}"),
                body: "Extend it, order its spots, or let it go: at its expiry the spots are free again.".into(),
                priority: Priority::High,
                entity: EntityRef { kind: EntityKind::Campaign, id: campaign.into() },
            });
        }
        RecordType::PacingAlert if before.is_none() => {
            let (Some(campaign), Some(order)) = (text(after, "campaignId"), text(after, "orderId")) else { return out };
            let Some(alert) = after.and_then(|a| serde_json::from_value::<PacingAlert>(a.clone()).ok()) else {
                return out;
            };
            let campaign_id = match campaign.parse() {
                Ok(id) => id,
                Err(_) => return out,
            };
            let title = match alert.kind {
                AlertKind::Behind => format!("Order {} line {} is behind pace", alert.order_number, alert.line),
                AlertKind::OverDelivered => {
                    format!("Order {} line {} delivered over its capped goal", alert.order_number, alert.line)
                }
            };
            out.push(Planned {
                to: Recipients::CampaignPeople(campaign_id, Action::DeliveryRead),
                kind: NotificationType::DeliveryPacingAlert,
                title,
                body: alert.describe(),
                priority: Priority::High,
                entity: EntityRef { kind: EntityKind::Order, id: order.into() },
            });
        }
        RecordType::WebhookEndpoint => {
            let on = |v: Option<&Value>| v.and_then(|v| v.get("enabled")).and_then(Value::as_bool);
            // Turned off by the dispatcher (it says why), not by an admin's switch.
            if on(before) == Some(true)
                && on(after) == Some(false)
                && let Some(reason) = text(after, "disabledReason")
                && let Some(e) = entity(EntityKind::Webhook, after)
            {
                let url = text(after, "url").unwrap_or_default();
                out.push(Planned {
                    to: Recipients::AdminsExcept(Vec::new()),
                    kind: NotificationType::WebhookDisabled,
                    title: format!("Webhook endpoint {url} was turned off"),
                    body: format!("{reason}. Fix the receiver, turn the endpoint on, and replay what it missed."),
                    priority: Priority::Urgent,
                    entity: e,
                });
            }
        }
        RecordType::Invoice => out.extend(invoice(before, after, from.as_deref(), to.as_deref())),
        RecordType::Backup if moved => {
            let Some(e) = entity(EntityKind::Backup, after) else { return out };
            let (kind, title, priority) = match to.as_deref() {
                Some("completed") => {
                    (NotificationType::BackupCompleted, "A backup completed".to_owned(), Priority::Normal)
                }
                Some("failed") => (NotificationType::BackupFailed, "A backup failed".to_owned(), Priority::Urgent),
                _ => return out,
            };
            out.push(Planned {
                to: Recipients::AdminsExcept(Vec::new()),
                kind,
                title: title.clone(),
                body: title,
                priority,
                entity: e,
            });
        }
        RecordType::User if before.is_some() && text(before, "role") != text(after, "role") => {
            let (Some(e), Some(member)) = (entity(EntityKind::User, after), user(after, "id")) else { return out };
            let role = text(after, "role").unwrap_or_default();
            out.push(Planned {
                to: Recipients::Users(vec![member]),
                kind: NotificationType::SecurityRoleChanged,
                title: "Your role changed".into(),
                body: format!(
                    "Your role is now {role} (it was {}). If you did not expect this, tell an administrator.",
                    text(before, "role").unwrap_or_default()
                ),
                priority: Priority::Urgent,
                entity: e,
            });
        }
        RecordType::User if before.is_none() && to.as_deref() == Some("invited") => {
            let Some(e) = entity(EntityKind::User, after) else { return out };
            let inviter = user(after, "createdBy").into_iter().collect();
            let who = text(after, "email").unwrap_or_default();
            out.push(Planned {
                to: Recipients::AdminsExcept(inviter),
                kind: NotificationType::UserInvited,
                title: format!("{name} was invited"),
                body: format!("{who} was invited as {}.", text(after, "role").unwrap_or_default()),
                priority: Priority::Low,
                entity: e,
            });
        }
        RecordType::AdRead | RecordType::Comment => out.extend(super::ad_reads::plan(record, before, after)),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_webhook_endpoint_turned_off_by_the_dispatcher_tells_the_admins() {
        let w = |enabled: bool, reason: Option<&str>| {
            Some(json!({"id": "w1", "url": "https://h.example/x", "enabled": enabled, "disabledReason": reason}))
        };
        let out =
            plan(RecordType::WebhookEndpoint, w(true, None).as_ref(), w(false, Some("every delivery failed")).as_ref());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].to, Recipients::AdminsExcept(Vec::new()));
        assert_eq!((out[0].kind, out[0].priority), (NotificationType::WebhookDisabled, Priority::Urgent));
        assert_eq!(out[0].entity, EntityRef { kind: EntityKind::Webhook, id: "w1".into() });
        assert!(out[0].title.contains("https://h.example/x") && out[0].body.starts_with("every delivery failed"));
        assert!(
            plan(RecordType::WebhookEndpoint, w(true, None).as_ref(), w(false, None).as_ref()).is_empty(),
            "an admin's switch"
        );
        assert!(
            plan(RecordType::WebhookEndpoint, w(false, Some("x")).as_ref(), w(false, Some("x")).as_ref()).is_empty()
        );
        assert!(plan(RecordType::WebhookEndpoint, None, w(false, Some("x")).as_ref()).is_empty());
        assert!(plan(RecordType::WebhookEndpoint, w(false, Some("x")).as_ref(), w(true, None).as_ref()).is_empty());
    }

    #[test]
    fn campaign_moves_notify_the_admins_or_the_owner() {
        let owner = UserId::new();
        let c = |status: &str| json!({"id": "c1", "name": "Spring", "ownerId": owner, "status": status});
        let needs = plan(RecordType::Campaign, Some(&c("negotiation")), Some(&c("pending_approval")));
        assert_eq!(
            (needs[0].kind, &needs[0].to),
            (NotificationType::CampaignNeedsApproval, &Recipients::AdminsExcept(vec![]))
        );
        let won = plan(RecordType::Campaign, Some(&c("pending_approval")), Some(&c("won")));
        assert_eq!(
            (won[0].kind, &won[0].to, won[0].priority),
            (NotificationType::CampaignApproved, &Recipients::Users(vec![owner]), Priority::High)
        );
        assert_eq!(
            plan(RecordType::Campaign, Some(&c("pending_approval")), Some(&c("negotiation")))[0].kind,
            NotificationType::CampaignRejected
        );
        assert_eq!(
            plan(RecordType::Campaign, Some(&c("proposal")), Some(&c("lost")))[0].kind,
            NotificationType::CampaignLost
        );
        assert!(plan(RecordType::Campaign, Some(&c("draft")), Some(&c("proposal"))).is_empty());
        assert!(plan(RecordType::Campaign, Some(&c("won")), Some(&c("won"))).is_empty(), "an edit is not a move");
    }

    #[test]
    fn orders_ask_the_admins_to_approve_and_tell_the_campaigns_people_of_a_booking() {
        let c = CampaignId::new();
        let o = |status: &str| json!({"id": "o1", "number": "IO-2027-00001", "campaignId": c, "status": status});
        let needs = plan(RecordType::Order, Some(&o("draft")), Some(&o("pending_approval")));
        assert_eq!(
            (needs[0].kind, &needs[0].to, needs[0].priority),
            (NotificationType::OrderNeedsApproval, &Recipients::AdminsExcept(vec![]), Priority::High)
        );
        assert_eq!(needs[0].title, "Order IO-2027-00001 needs approval");
        assert_eq!(needs[0].entity, EntityRef { kind: EntityKind::Order, id: "o1".into() });
        for from in ["approved", "booking"] {
            let booked = plan(RecordType::Order, Some(&o(from)), Some(&o("booked")));
            assert_eq!(
                (booked[0].kind, &booked[0].to),
                (NotificationType::OrderBooked, &Recipients::CampaignPeople(c, Action::OrderRead)),
                "from {from}"
            );
        }
        assert!(plan(RecordType::Order, Some(&o("approved")), Some(&o("booking"))).is_empty(), "not yet");
        assert!(plan(RecordType::Order, Some(&o("draft")), Some(&o("draft"))).is_empty());
        assert!(plan(RecordType::Order, None, Some(&o("draft"))).is_empty(), "a new draft tells no one");
        let mut lost = o("booked");
        lost["campaignId"] = json!("not an id");
        assert!(plan(RecordType::Order, Some(&o("approved")), Some(&lost)).is_empty());
    }

    #[test]
    fn a_hold_marked_due_tells_its_maker_once_per_expiry() {
        let maker = UserId::new();
        let h = |notice: Option<&str>| {
            let mut v = json!({"id": "h1", "campaignId": "c1", "createdBy": maker, "status": "active",
                "spots": [{}, {}]});
            if let Some(n) = notice {
                v["expiryNoticeFor"] = json!(n);
            }
            v
        };
        let told = plan(RecordType::Hold, Some(&h(None)), Some(&h(Some("2027-03-02T10:00:00Z"))));
        assert_eq!((told[0].kind, &told[0].to), (NotificationType::HoldExpiring, &Recipients::Users(vec![maker])));
        assert_eq!(told[0].entity, EntityRef { kind: EntityKind::Campaign, id: "c1".into() });
        assert!(told[0].title.contains("2 spots"));
        let again =
            plan(RecordType::Hold, Some(&h(Some("2027-03-02T10:00:00Z"))), Some(&h(Some("2027-03-02T10:00:00Z"))));
        assert!(again.is_empty(), "once per expiry");
        let extended =
            plan(RecordType::Hold, Some(&h(Some("2027-03-02T10:00:00Z"))), Some(&h(Some("2027-03-04T10:00:00Z"))));
        assert_eq!(extended.len(), 1, "a new expiry, a new notice");
        assert!(plan(RecordType::Hold, None, Some(&h(None))).is_empty(), "a new hold tells no one");
    }

    #[test]
    fn episodes_notify_added_talent_and_the_scheduled_crew() {
        let (a, b) = (UserId::new(), UserId::new());
        let show = ShowId::new();
        let before = json!({"id": "e1", "title": "Pilot", "showId": show, "status": "draft", "talentIds": [a]});
        let after = json!({"id": "e1", "title": "Pilot", "showId": show, "status": "scheduled", "talentIds": [a, b],
            "airDate": "2027-01-01"});
        let planned = plan(RecordType::Episode, Some(&before), Some(&after));
        assert_eq!(planned.len(), 2);
        assert_eq!((planned[0].kind, &planned[0].to), (NotificationType::EpisodeAssigned, &Recipients::Users(vec![b])));
        assert_eq!(
            (planned[1].kind, &planned[1].to),
            (NotificationType::EpisodeScheduled, &Recipients::UsersAndShowProducers(vec![a, b], show))
        );
    }

    #[test]
    fn team_members_backups_and_invitations() {
        let m = UserId::new();
        let member = json!({"campaignId": "c1", "userId": m, "role": "talent"});
        assert_eq!(plan(RecordType::TeamMember, None, Some(&member))[0].to, Recipients::Users(vec![m]));
        let owner = json!({"campaignId": "c1", "userId": m, "role": "owner"});
        assert!(plan(RecordType::TeamMember, None, Some(&owner)).is_empty());
        let b = |s: &str| json!({"id": "b1", "status": s});
        assert_eq!(plan(RecordType::Backup, Some(&b("running")), Some(&b("failed")))[0].priority, Priority::Urgent);
        let inviter = UserId::new();
        let invited = json!({"id": "u1", "name": "Ada", "email": "ada@x.test", "role": "seller", "status": "invited", "createdBy": inviter});
        assert_eq!(plan(RecordType::User, None, Some(&invited))[0].to, Recipients::AdminsExcept(vec![inviter]));
        assert!(plan(RecordType::Notification, None, Some(&invited)).is_empty());
        let done = plan(RecordType::Backup, Some(&b("running")), Some(&b("completed")));
        assert_eq!((done[0].kind, done[0].priority), (NotificationType::BackupCompleted, Priority::Normal));
        assert!(plan(RecordType::Backup, Some(&b("queued")), Some(&b("running"))).is_empty());
        // Only a move or an arrival tells: an edit of what is already there tells no one.
        let renamed = json!({"campaignId": "c1", "userId": m, "role": "producer"});
        assert!(plan(RecordType::TeamMember, Some(&member), Some(&renamed)).is_empty(), "a member's new role");
        assert!(plan(RecordType::Backup, Some(&b("completed")), Some(&b("completed"))).is_empty());
        let mut renamed = invited.clone();
        renamed["name"] = json!("Ada L.");
        assert!(plan(RecordType::User, Some(&invited), Some(&renamed)).is_empty(), "still invited, told once");
    }

    #[test]
    fn an_edit_without_a_move_or_a_record_born_in_a_status_tells_no_one() {
        let owner = UserId::new();
        let c = |name: &str| json!({"id": "c1", "name": name, "ownerId": owner, "status": "pending_approval"});
        assert!(plan(RecordType::Campaign, Some(&c("A")), Some(&c("B"))).is_empty(), "renamed while pending");
        assert!(plan(RecordType::Campaign, None, Some(&c("A"))).is_empty(), "created: not a move");
        let o = |notes: &str| {
            json!({"id": "o1", "number": "IO-2027-00001", "campaignId": CampaignId::new(),
            "status": "pending_approval", "internalNotes": notes})
        };
        assert!(plan(RecordType::Order, Some(&o("a")), Some(&o("b"))).is_empty());
        assert!(plan(RecordType::Order, None, Some(&o("a"))).is_empty());
    }

    #[test]
    fn a_role_change_is_a_security_notice_to_that_user_only() {
        let u = UserId::new();
        let as_role = |r: &str| json!({"id": u, "name": "Ada", "role": r, "status": "active"});
        let changed = plan(RecordType::User, Some(&as_role("seller")), Some(&as_role("admin")));
        assert_eq!(changed.len(), 1);
        assert_eq!(
            (changed[0].kind, &changed[0].to, changed[0].priority),
            (NotificationType::SecurityRoleChanged, &Recipients::Users(vec![u]), Priority::Urgent)
        );
        assert!(changed[0].body.contains("admin") && changed[0].body.contains("seller"));
        assert!(plan(RecordType::User, Some(&as_role("seller")), Some(&as_role("seller"))).is_empty());
        let mut renamed = as_role("seller");
        renamed["name"] = json!("Ada L.");
        assert!(plan(RecordType::User, Some(&as_role("seller")), Some(&renamed)).is_empty());
    }

    #[test]
    fn an_invoice_tells_its_payer_and_sellers_when_issued_and_the_admins_when_overdue_or_paid() {
        let (agency, advertiser) = (ClientId::new(), ClientId::new());
        let usd = |a: i64| json!({"amount": a, "currency": "USD"});
        let inv = |status: &str, payments: Value| {
            json!({"id": "i1", "number": "INV-2027-00001", "status": status, "billTo": agency,
                "advertiserId": advertiser, "billToName": "Media Co", "dueDate": "2027-02-01", "payments": payments})
        };
        let sellers = Recipients::ClientSellers(vec![agency, advertiser]);
        let issued = plan(RecordType::Invoice, Some(&inv("draft", json!([]))), Some(&inv("issued", json!([]))));
        let got: Vec<_> = issued.iter().map(|p| (&p.to, p.kind, p.priority)).collect();
        assert_eq!(
            got,
            [
                (&Recipients::ClientUsers(agency), NotificationType::InvoiceIssued, Priority::Normal),
                (&sellers, NotificationType::InvoiceIssued, Priority::Normal),
            ]
        );
        assert_eq!(issued[0].title, "Invoice INV-2027-00001 was issued");
        assert_eq!(issued[0].body, "Invoice INV-2027-00001 to Media Co is due on 2027-02-01.");
        assert_eq!(issued[0].entity, EntityRef { kind: EntityKind::Invoice, id: "i1".into() });
        let overdue = plan(RecordType::Invoice, Some(&inv("issued", json!([]))), Some(&inv("overdue", json!([]))));
        let got: Vec<_> = overdue.iter().map(|p| (&p.to, p.kind, p.priority)).collect();
        assert_eq!(
            got,
            [
                (&Recipients::AdminsExcept(vec![]), NotificationType::InvoiceOverdue, Priority::High),
                (&sellers, NotificationType::InvoiceOverdue, Priority::High),
            ]
        );
        let one = json!([{"amount": usd(5_000)}]);
        let two =
            json!([{"amount": usd(5_000)}, {"amount": usd(-1_000)}, {"amount": usd(0)}, {"amount": usd(250_000)}]);
        let paid = plan(RecordType::Invoice, Some(&inv("issued", one.clone())), Some(&inv("partially_paid", two)));
        assert_eq!(paid.len(), 2, "the refund and a zero tell no one; the payment the admins and sellers");
        assert_eq!(paid[0].title, "A payment of USD 2,500.00 was received on invoice INV-2027-00001");
        assert_eq!(paid[0].body, "Media Co paid USD 2,500.00; the invoice is now partially paid.");
        assert_eq!((&paid[0].to, &paid[1].to), (&Recipients::AdminsExcept(vec![]), &sellers));
        assert!(paid.iter().all(|p| p.kind == NotificationType::InvoicePaymentReceived));
        // Nothing for a draft's edit, a void, an issued invoice's notes, a creation or no number.
        let quiet = [
            (Some(inv("draft", json!([]))), inv("draft", json!([]))),
            (Some(inv("draft", json!([]))), inv("void", json!([]))),
            (Some(inv("overdue", json!([]))), inv("overdue", json!([]))),
            (Some(inv("issued", one.clone())), inv("issued", one)),
            (None, inv("issued", json!([{"amount": usd(1)}]))),
        ];
        for (before, after) in quiet {
            assert!(plan(RecordType::Invoice, before.as_ref(), Some(&after)).is_empty(), "{after}");
        }
        let mut unnumbered = inv("issued", json!([]));
        unnumbered.as_object_mut().unwrap().remove("number");
        assert!(plan(RecordType::Invoice, Some(&inv("draft", json!([]))), Some(&unnumbered)).is_empty());
        let direct = json!({"id": "i2", "number": "INV-2027-00002", "status": "issued", "billTo": advertiser,
            "advertiserId": advertiser, "payments": []});
        let told = plan(RecordType::Invoice, Some(&json!({"status": "draft"})), Some(&direct));
        assert_eq!(told[1].to, Recipients::ClientSellers(vec![advertiser]), "one client, once");
    }

    #[test]
    fn a_pacing_alert_tells_the_campaigns_readers_of_delivery_when_raised_only() {
        use crate::delivery::alerts::{AlertKind, PacingAlert};
        use crate::delivery::pacing::PacingStatus;
        let alert = PacingAlert {
            org_id: crate::OrgId::new(),
            campaign_id: CampaignId::new(),
            order_id: crate::OrderId::new(),
            order_number: "IO-2026-00003".into(),
            line: 2,
            kind: AlertKind::Behind,
            day: chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            goal: 10_000,
            delivered: 1_000,
            expected: 5_000,
            status: PacingStatus::Behind,
        };
        let v = serde_json::to_value(&alert).unwrap();
        let raised = plan(RecordType::PacingAlert, None, Some(&v));
        assert_eq!(raised.len(), 1);
        assert_eq!(
            (&raised[0].to, raised[0].kind, raised[0].priority),
            (
                &Recipients::CampaignPeople(alert.campaign_id, Action::DeliveryRead),
                NotificationType::DeliveryPacingAlert,
                Priority::High
            )
        );
        assert_eq!(raised[0].title, "Order IO-2026-00003 line 2 is behind pace");
        assert_eq!(raised[0].entity, EntityRef { kind: EntityKind::Order, id: alert.order_id.to_string() });
        assert!(plan(RecordType::PacingAlert, Some(&v), Some(&v)).is_empty(), "written again: told once");
    }

    #[test]
    fn host_reads_and_their_comments_are_planned_by_their_own_rules() {
        let read = json!({"id": "r1", "campaignId": CampaignId::new(), "advertiserId": ClientId::new(),
            "showId": ShowId::new(), "talentId": UserId::new(), "status": "needs_read", "airDate": "2026-12-10",
            "notices": [], "briefChanged": false});
        let made = plan(RecordType::AdRead, None, Some(&read));
        assert_eq!(made, super::super::ad_reads::plan(RecordType::AdRead, None, Some(&read)));
        assert_eq!(made.len(), 1, "the talent is told of the read");
    }
}
