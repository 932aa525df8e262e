//! The notifications processor: the rules of `podcastflow_domain::notification::rules` turned into
//! in-app notifications, one per recipient, never for the person who made the change.

use chrono::{DateTime, Utc};
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::notification::Notification;
use podcastflow_domain::notification::rules::{Recipients, plan};
use podcastflow_domain::permissions::{Resource, authorize};
use podcastflow_domain::record::RecordType;
use podcastflow_domain::user::UserStatus;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{NotificationId, OrgId, Principal, PrincipalKind, Role, UserId};
use podcastflow_mail::Message;
use podcastflow_platform::visibility::{CampaignRelations, Facts, Needs};
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::notifications::NotificationRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::repo::users::UserRepo;
use podcastflow_store::repo::{RepoError, all_pages};
use podcastflow_store::{ChangeRecord, TenantTable};
use serde_json::Value;

use crate::StreamApp;
use crate::activity::{change_ulid, when};

/// The id of the notification of one planned item for one recipient of one change: the same on a
/// second delivery of the record, so it is created once.
fn notification_id(change: &ChangeRecord, plan: usize, user: &UserId, at: DateTime<Utc>) -> NotificationId {
    NotificationId::from(change_ulid(change, &format!("{plan}|{user}"), at))
}

async fn resolve(app: &StreamApp, t: &TenantTable, org: &OrgId, to: &Recipients) -> Result<Vec<UserId>, RepoError> {
    Ok(match to {
        Recipients::Users(users) => users.clone(),
        Recipients::AdminsExcept(except) => {
            let users = UserRepo::new(t, &app.ctx.cursors);
            let admins = all_pages(|cursor| {
                let users = &users;
                async move { users.list(org, Some(Role::Admin), cursor.as_deref(), 100).await }
            })
            .await?;
            admins
                .into_iter()
                .filter(|u| u.status == UserStatus::Active && !except.contains(&u.id))
                .map(|u| u.id)
                .collect()
        }
        Recipients::CampaignPeople(campaign, action) => {
            // The owner and the team, each judged as they stand now: only those the action is
            // open to hear of it (a talent on the team reads no order).
            let Some((c, team)) = CampaignRepo::new(t).get_with_team(campaign).await? else { return Ok(Vec::new()) };
            let mut people: Vec<UserId> = team.iter().map(|m| m.user_id).chain([c.owner_id]).collect();
            people.sort();
            people.dedup();
            let needs = Needs { client_sellers: true, ..Needs::default() };
            let rel = CampaignRelations::load_for(t, &c, needs).await?;
            let users = UserRepo::new(t, &app.ctx.cursors);
            let mut out = Vec::new();
            for id in people {
                let Some(u) = users.get(org, &id).await? else { continue };
                let p = Principal {
                    user_id: u.id,
                    org_id: *org,
                    role: u.role,
                    client_id: u.client_id,
                    kind: PrincipalKind::User,
                };
                if u.status == UserStatus::Active && authorize(&p, *action, &Resource::Campaign(rel.facts(&c))).is_ok()
                {
                    out.push(u.id);
                }
            }
            out
        }
        Recipients::ClientUsers(client) => {
            let users = UserRepo::new(t, &app.ctx.cursors);
            let clients = all_pages(|cursor| {
                let users = &users;
                async move { users.list(org, Some(Role::Client), cursor.as_deref(), 100).await }
            })
            .await?;
            clients
                .into_iter()
                .filter(|u| u.status == UserStatus::Active && u.client_id == Some(*client))
                .map(|u| u.id)
                .collect()
        }
        // Judged with the readers (`readers_of`), which reads each user once anyway.
        Recipients::Staff(ids) => ids.clone(),
        Recipients::ClientSellers(clients) => podcastflow_platform::visibility::sellers_of(t, clients).await?,
        Recipients::UsersAndShowProducers(users, show) => {
            let mut all = users.clone();
            if let Some(s) = ShowRepo::new(t).get(show).await? {
                all.extend(s.producer_ids);
            }
            all
        }
    })
}

/// Of `users`, those who may read `entity` as they stand now (and are not client users, with
/// `staff_only`): a host read's news goes only to whom a GET of it would answer.
async fn readers_of(
    app: &StreamApp,
    t: &TenantTable,
    org: &OrgId,
    entity: &EntityRef,
    users: Vec<UserId>,
    staff_only: bool,
) -> Result<Vec<UserId>, RepoError> {
    let repo = UserRepo::new(t, &app.ctx.cursors);
    let mut found = Vec::new();
    for id in users {
        if let Some(u) = repo.get(org, &id).await?
            && u.status == UserStatus::Active
            && !(staff_only && u.role == Role::Client)
        {
            found.push(Principal {
                user_id: u.id,
                org_id: *org,
                role: u.role,
                client_id: u.client_id,
                kind: PrincipalKind::User,
            });
        }
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let needs = Needs::of_all(found.iter().map(|p| p.role));
    let Some(facts) = Facts::load(t, needs, entity).await? else { return Ok(Vec::new()) };
    Ok(found.into_iter().filter(|p| facts.lens(p).is_some()).map(|p| p.user_id).collect())
}

/// Attempts at sending one e-mail, and the wait before the first retry (quadrupled after each).
const SEND_ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);

/// E-mails a notification when its priority or the user's preferences ask for it, at most once:
/// the notification is claimed first; a send that fails after its retries gives the claim back
/// and fails the record, so the stream's retry sends it later.
async fn email(app: &StreamApp, repo: &NotificationRepo<'_>, n: &Notification) -> Result<(), RepoError> {
    let table = app.ctx.org_table(&n.org_id);
    let users = UserRepo::new(table.as_ref(), &app.ctx.cursors);
    let (prefs, _) = users.preferences(&n.org_id, &n.user_id).await?;
    if !prefs.emails(&n.kind, n.priority) || !repo.claim_email(&n.user_id, &n.id).await? {
        return Ok(());
    }
    let address = match users.get(&n.org_id, &n.user_id).await? {
        Some(u) if u.status != UserStatus::Disabled => u.email,
        _ => return repo.finish_email(&n.user_id, &n.id, "skipped", Utc::now()).await,
    };
    let message = Message {
        to: address,
        subject: n.title.clone(),
        body: format!("{}\n\n{}", n.title, n.body),
        ..Message::default()
    };
    let mut wait = FIRST_BACKOFF;
    for attempt in 1..=SEND_ATTEMPTS {
        match app.mail.send(&message).await {
            Ok(()) => return repo.finish_email(&n.user_id, &n.id, "sent", Utc::now()).await,
            Err(e) if attempt < SEND_ATTEMPTS => {
                tracing::warn!(notification = %n.id, attempt, error = %e, "e-mail failed; retrying");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            Err(e) => {
                tracing::error!(notification = %n.id, error = %e, "e-mail failed; the record will be retried");
                repo.release_email(&n.user_id, &n.id).await?;
                return Err(RepoError::Store(podcastflow_store::StoreError::Unavailable(e.to_string())));
            }
        }
    }
    Ok(())
}

/// Creates the notifications a change calls for; answers how many were created.
pub(crate) async fn notify(app: &StreamApp, change: &ChangeRecord) -> Result<u32, RepoError> {
    if change.expired {
        return Ok(0);
    }
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(0) };
    let image = change.new_image.as_ref().or(change.old_image.as_ref());
    let Some(kind) = image.and_then(RecordType::of_item) else { return Ok(0) };
    let before = change.old_image.clone().map(Value::Object);
    let after = change.new_image.clone().map(Value::Object);
    let planned = plan(kind, before.as_ref(), after.as_ref());
    if planned.is_empty() {
        return Ok(0);
    }
    // Nobody is told about what they did themselves.
    let actor: Option<UserId> = after
        .as_ref()
        .and_then(|a| a.get("updatedBy").or_else(|| a.get("addedBy")))
        .and_then(Value::as_str)
        .and_then(|u| u.parse().ok());
    let at = when(change);
    let t = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    let repo = NotificationRepo::new(&t);
    let mut created = 0;
    for (i, p) in planned.iter().enumerate() {
        let mut recipients = resolve(app, &t, &org, &p.to).await?;
        recipients.sort();
        recipients.dedup();
        let staff_only = matches!(p.to, Recipients::Staff(_));
        // Host reads and invoices are told only to whom a GET of them would answer now.
        if matches!(p.entity.kind, EntityKind::AdRead | EntityKind::Invoice) || staff_only {
            recipients = readers_of(app, &t, &org, &p.entity, recipients, staff_only).await?;
        }
        for user in recipients.into_iter().filter(|u| Some(*u) != actor) {
            let n = Notification {
                id: notification_id(change, i, &user, at),
                org_id: org,
                user_id: user,
                kind: p.kind.as_str().to_owned(),
                title: p.title.clone(),
                body: p.body.clone(),
                priority: p.priority,
                entity: Some(p.entity.clone()),
                read_at: None,
                created_at: at,
                expires_at: Notification::expiry(at),
                version: 1,
            };
            match repo.create(&n).await {
                Ok(()) => created += 1,
                // Delivered before: already there (its e-mail may still be due, below).
                Err(RepoError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
            email(app, &repo, &n).await?;
        }
    }
    Ok(created)
}
