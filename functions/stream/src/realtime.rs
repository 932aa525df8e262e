//! The realtime processor: each change goes to the connections subscribed to its topics, rendered
//! for each reader as a GET by that reader would show it (the client view, the budget only with
//! `viewFinancials`, nothing they cannot read). A reader who sees no difference gets nothing; one
//! who lost access is told to drop the entity.
//!
//! Messages: `{"type": "<entity>.created|updated|deleted|removed", "topic", "entity": {type, id},
//! "version", "data"}` with `version` the entity's own (growing with every write, so clients drop
//! stale ones); `removed` means the reader may no longer read it. A spot taken or freed goes to
//! `inventory:show:<id>` as `{"type": "inventory.spot", "entity": {"type": "show", id}, "data":
//! {episodeId, airDate, spot, state}}`: what avails show, never who has it. Presence changes go out as
//! `{"type": "presence", "topic", "version", "data": {userId, connectionId, state, since}}`.
//!
//! Each reader is judged as they stand now ([`crate::readers`]), not as they stood when they
//! connected: a reader who was disabled, deleted, revoked or given another role has their
//! connections closed, and nothing more is sent to them.
//!
//! Posts run with bounded concurrency; a connection found gone is deleted with its items; a post
//! that still fails after its retries is counted, never fatal to the batch.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use futures_util::stream::{self, StreamExt};
use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::ad_read::comment::Comment;
use podcastflow_domain::ad_read::view as ad_read_view;
use podcastflow_domain::backup::Backup;
use podcastflow_domain::billing::invoice::Invoice;
use podcastflow_domain::billing::view as invoice_view;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::campaign::team::TeamMember;
use podcastflow_domain::campaign::view::{render, render_member};
use podcastflow_domain::connection::{Presence, PresenceState, Reader, Subscription};
use podcastflow_domain::episode::Episode;
use podcastflow_domain::inventory::spot::SpotClaim;
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::notification::Notification;
use podcastflow_domain::order::Order;
use podcastflow_domain::order::view as order_view;
use podcastflow_domain::permissions::{Action, Resource, authorize};
use podcastflow_domain::record::RecordType;
use podcastflow_domain::show::Show;
use podcastflow_domain::topic::Topic;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{ClientId, OrgId, Principal, PrincipalKind, Role, UserId};
use podcastflow_platform::visibility::{
    CampaignRelations, Facts, Needs, ad_read_resource, episode_resource, invoice_sellers, show_campaign_clients,
    show_resource,
};
use podcastflow_push::{PushError, post_with_retry};
use podcastflow_store::item::{Item, from_item, version_of};
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::connections::ConnectionRepo;
use podcastflow_store::repo::shows::ShowRepo;
use podcastflow_store::{ChangeKind, ChangeRecord, TenantTable};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::StreamApp;

/// Posts in flight at once for one change.
pub const CONCURRENCY: usize = 32;

/// What one change's fan-out did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fanout {
    /// Messages delivered.
    pub delivered: u32,
    /// Connections found gone (and deleted).
    pub gone: u32,
    /// Posts that failed after their retries.
    pub failed: u32,
    /// Connections closed because their reader no longer stands as they connected.
    pub closed: u32,
}

/// The entity of a change before and after it.
struct Sides<T> {
    before: Option<T>,
    after: Option<T>,
}

/// A record image as its entity, `None` when absent or not that entity.
pub(crate) fn decode<T: DeserializeOwned>(image: Option<&Item>) -> Option<T> {
    from_item(image?.clone()).ok()
}

impl<T: DeserializeOwned> Sides<T> {
    fn of(change: &ChangeRecord) -> Self {
        Self { before: decode(change.old_image.as_ref()), after: decode(change.new_image.as_ref()) }
    }

    fn side(&self, after: bool) -> Option<&T> {
        if after { self.after.as_ref() } else { self.before.as_ref() }
    }
}

/// A change with what its readers' views depend on, loaded once for all of them.
enum Subject {
    Campaign(Sides<Campaign>, CampaignRelations),
    Team(Campaign, CampaignRelations, Sides<TeamMember>),
    Show(Sides<Show>, Vec<ClientId>),
    Episode(Sides<Episode>, Show),
    Notification(Sides<Notification>),
    Presence(Sides<Presence>),
    Backup(Sides<Backup>),
    Order(Sides<Order>, Campaign, CampaignRelations),
    Spot(Sides<SpotClaim>, Show),
    AdRead(Box<Sides<AdRead>>, Campaign, CampaignRelations, Vec<UserId>),
    Comment(Sides<Comment>, Box<AdRead>, Campaign, CampaignRelations, Vec<UserId>),
    Invoice(Box<Sides<Invoice>>, Vec<UserId>),
}

impl Subject {
    /// Loads what the readers need (`readers`: who will be asked), or `None` for a change no one
    /// follows or whose entity is gone.
    async fn load(
        t: &TenantTable,
        kind: RecordType,
        change: &ChangeRecord,
        readers: &[&Reader],
    ) -> Result<Option<Self>, RepoError> {
        let needs = Needs::of_all(readers.iter().map(|r| r.role));
        Ok(match kind {
            RecordType::Campaign => {
                let sides = Sides::<Campaign>::of(change);
                let Some(c) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                let rel = CampaignRelations::load_for(t, c, needs).await?;
                Some(Subject::Campaign(sides, rel))
            }
            RecordType::TeamMember => {
                let sides = Sides::<TeamMember>::of(change);
                let Some(m) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                // A team removed with its draft campaign: the campaign's deletion says it all.
                let Some(c) = CampaignRepo::new(t).get(&m.campaign_id).await? else { return Ok(None) };
                let rel = CampaignRelations::load_for(t, &c, needs).await?;
                Some(Subject::Team(c, rel, sides))
            }
            RecordType::Show => {
                let sides = Sides::<Show>::of(change);
                let Some(s) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                let clients = if needs.campaign_clients { show_campaign_clients(t, &s.id).await? } else { Vec::new() };
                Some(Subject::Show(sides, clients))
            }
            RecordType::Episode => {
                let sides = Sides::<Episode>::of(change);
                let Some(e) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                // An episode whose show is gone is not found, by every exit alike.
                let Some(show) = ShowRepo::new(t).get(&e.show_id).await? else { return Ok(None) };
                Some(Subject::Episode(sides, show))
            }
            RecordType::Notification => Some(Subject::Notification(Sides::of(change))),
            RecordType::Presence => Some(Subject::Presence(Sides::of(change))),
            RecordType::Backup => Some(Subject::Backup(Sides::of(change))),
            RecordType::Order => {
                let sides = Sides::<Order>::of(change);
                let Some(o) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                // An order is judged by its campaign, as a GET judges it.
                let Some((c, rel)) = CampaignRelations::load_campaign(t, needs, &o.campaign_id).await? else {
                    return Ok(None);
                };
                Some(Subject::Order(sides, c, rel))
            }
            RecordType::AdRead => {
                let sides = Sides::<AdRead>::of(change);
                let Some(r) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                // A read is judged as a GET judges it: by its campaign, show and talent.
                let Some(Facts::AdRead(_, c, rel, producers)) = Facts::ad_read(t, needs, r.clone()).await? else {
                    return Ok(None);
                };
                Some(Subject::AdRead(Box::new(sides), c, rel, producers))
            }
            RecordType::Comment => {
                let sides = Sides::<Comment>::of(change);
                let Some(k) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                let Some(r) = AdReadRepo::new(t).get(&k.ad_read_id).await? else { return Ok(None) };
                let Some(Facts::AdRead(r, c, rel, producers)) = Facts::ad_read(t, needs, r).await? else {
                    return Ok(None);
                };
                Some(Subject::Comment(sides, r, c, rel, producers))
            }
            RecordType::Invoice => {
                let sides = Sides::<Invoice>::of(change);
                let Some(i) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                // Judged as a GET judges it: by who pays it and their sellers.
                let sellers = match needs.client_sellers {
                    true => invoice_sellers(t, &i.bill_to, &i.advertiser_id).await?,
                    false => Vec::new(),
                };
                Some(Subject::Invoice(Box::new(sides), sellers))
            }
            RecordType::SpotClaim => {
                let sides = Sides::<SpotClaim>::of(change);
                let Some(c) = sides.after.as_ref().or(sides.before.as_ref()) else { return Ok(None) };
                let Some(show) = ShowRepo::new(t).get(&c.show_id).await? else { return Ok(None) };
                Some(Subject::Spot(sides, show))
            }
            _ => None,
        })
    }

    /// The message type's prefix and the entity's reference.
    fn entity(&self) -> (&'static str, &'static str, String) {
        fn id<T>(s: &Sides<T>, f: impl Fn(&T) -> String) -> String {
            s.after.as_ref().or(s.before.as_ref()).map(f).unwrap_or_default()
        }
        match self {
            Subject::Campaign(s, _) => ("campaign", "campaign", id(s, |c| c.id.to_string())),
            Subject::Team(c, _, _) => ("campaign.team", "campaign", c.id.to_string()),
            Subject::Show(s, _) => ("show", "show", id(s, |x| x.id.to_string())),
            Subject::Episode(s, _) => ("episode", "episode", id(s, |e| e.id.to_string())),
            Subject::Notification(s) => ("notification", "notification", id(s, |n| n.id.to_string())),
            Subject::Presence(s) => ("presence", "presence", id(s, |p| p.topic.clone())),
            Subject::Backup(s) => ("backup", "backup", id(s, |b| b.id.to_string())),
            Subject::Order(s, _, _) => ("order", "order", id(s, |o| o.id.to_string())),
            Subject::Spot(_, show) => ("inventory", "show", show.id.to_string()),
            Subject::AdRead(s, ..) => ("adRead", "adRead", id(s, |r| r.id.to_string())),
            Subject::Comment(_, r, ..) => ("adRead.comment", "adRead", r.id.to_string()),
            Subject::Invoice(s, _) => ("invoice", "invoice", id(s, |i| i.id.to_string())),
        }
    }

    /// What `reader` sees of one side of the change (`None`: absent, or not readable by them).
    fn data(&self, reader: &Reader, org: OrgId, after: bool) -> Option<Value> {
        let p = reader.principal(org);
        let campaign_lens = |p: &Principal, c: &Campaign, rel: &CampaignRelations| -> Option<Lens> {
            let view = authorize(p, Action::CampaignRead, &Resource::Campaign(rel.facts(c))).ok()?;
            Some(rel.lens(p, view))
        };
        match self {
            Subject::Campaign(sides, rel) => {
                let c = sides.side(after)?;
                Some(render(c, campaign_lens(&p, c, rel)?, None))
            }
            Subject::Team(c, rel, sides) => {
                let m = sides.side(after)?;
                Some(render_member(m, campaign_lens(&p, c, rel)?))
            }
            Subject::Show(sides, clients) => {
                let s = sides.side(after)?;
                authorize(&p, Action::ShowRead, &show_resource(s, clients))
                    .ok()
                    .map(|view| s.render(Lens::of_show(view, p.role)))
            }
            Subject::Episode(sides, show) => {
                let e = sides.side(after)?;
                authorize(&p, Action::EpisodeRead, &episode_resource(e, show)).ok()?;
                Some(podcastflow_domain::episode::render(e, Some(show)))
            }
            Subject::Notification(sides) => {
                let n = sides.side(after)?;
                (n.user_id == reader.user_id).then(|| serde_json::to_value(n).unwrap_or(Value::Null))
            }
            Subject::Backup(sides) => {
                let b = sides.side(after)?;
                authorize(&p, Action::BackupManage, &Resource::Org(b.org_id)).ok()?;
                serde_json::to_value(b).ok()
            }
            Subject::Order(sides, c, rel) => {
                let o = sides.side(after)?;
                let view = authorize(&p, Action::OrderRead, &Resource::Campaign(rel.facts(c))).ok()?;
                Some(order_view::render(o, Lens::of(view)))
            }
            Subject::Spot(sides, show) => {
                // What avails show: where the spot is and its state now, never who has it.
                let (c, now) = (sides.side(after)?, Utc::now());
                authorize(&p, Action::InventoryRead, &show_resource(show, &[])).ok()?;
                Some(json!({"episodeId": c.spot.episode_id, "airDate": c.air_date, "spot": c.spot.id().to_string(),
                    "state": c.state_at(now)}))
            }
            Subject::AdRead(sides, c, rel, producers) => {
                let r = sides.side(after)?;
                let view = authorize(&p, Action::AdReadRead, &ad_read_resource(r, c, rel, producers)).ok()?;
                Some(ad_read_view::render(r, Lens::of(view)))
            }
            Subject::Comment(sides, r, c, rel, producers) => {
                let k = sides.side(after)?;
                let view = authorize(&p, Action::AdReadRead, &ad_read_resource(r, c, rel, producers)).ok()?;
                ad_read_view::render_comment(k, Lens::of(view))
            }
            Subject::Invoice(sides, sellers) => {
                let i = sides.side(after)?;
                let resource = Resource::Invoice { org: i.org_id, bill_to: i.bill_to, sellers };
                let view = authorize(&p, Action::InvoiceRead, &resource).ok()?;
                Some(invoice_view::render(i, Lens::of(view)))
            }
            Subject::Presence(sides) => {
                let x = sides.side(after)?;
                Some(json!({"userId": x.user_id, "connectionId": x.connection_id, "state": x.state, "since": x.since}))
            }
        }
    }
}

/// What an admin's GET shows of the entity after `change` (`None`: gone, or not an entity of the
/// event catalogue): the view every exit applies, here for webhook events. Kinds that have no
/// live updates are their record as the API returns it to an admin.
pub(crate) async fn admin_view(
    t: &TenantTable,
    kind: RecordType,
    change: &ChangeRecord,
) -> Result<Option<Value>, RepoError> {
    fn record<T: serde::de::DeserializeOwned + serde::Serialize>(image: Option<&Item>) -> Option<Value> {
        decode::<T>(image).and_then(|e| serde_json::to_value(e).ok())
    }
    let image = change.new_image.as_ref();
    Ok(match kind {
        RecordType::Client => record::<podcastflow_domain::client::Client>(image),
        RecordType::User => {
            decode::<podcastflow_domain::user::User>(image).map(|u| Lens::Full.render(EntityKind::User, &u))
        }
        RecordType::Hold => record::<podcastflow_domain::inventory::hold::Hold>(image),
        RecordType::PacingAlert => record::<podcastflow_domain::delivery::alerts::PacingAlert>(image),
        _ => {
            let admin =
                Reader { user_id: UserId::SYSTEM, role: Role::Admin, client_id: None, kind: PrincipalKind::User };
            match Subject::load(t, kind, change, &[&admin]).await? {
                Some(subject) => subject.data(&admin, *t.org(), true),
                None => None,
            }
        }
    })
}

/// Fields that change with every write and say nothing new to a reader.
const BOOKKEEPING: [&str; 3] = ["version", "updatedAt", "updatedBy"];

fn without_bookkeeping(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(fields) = &mut v {
        for f in BOOKKEEPING {
            fields.remove(f);
        }
    }
    v
}

/// The message for one reader, or `None` when the change shows them nothing new.
fn message(subject: &Subject, change: &ChangeRecord, reader: &Reader, org: OrgId, topic: &str) -> Option<Value> {
    let before = subject.data(reader, org, false);
    let after = subject.data(reader, org, true);
    let version = match (&change.new_image, &change.old_image) {
        (Some(i), _) => version_of(i),
        (None, Some(i)) => version_of(i) + 1,
        (None, None) => 0,
    };
    let (prefix, entity_type, id) = subject.entity();
    if let Subject::Presence(_) = subject {
        let mut data = after.or(before)?;
        if change.new_image.is_none() {
            data["state"] = json!(PresenceState::Left);
        }
        return Some(json!({"type": "presence", "topic": topic, "version": version, "data": data}));
    }
    if let Subject::Spot(..) = subject {
        // A spot given back is available again: say so, and where.
        let mut data = after.clone().or(before.clone())?;
        if after.is_none() {
            data["state"] = json!("available");
        }
        if before.as_ref() == Some(&data) {
            return None;
        }
        let entity = json!({"type": entity_type, "id": id});
        return Some(
            json!({"type": "inventory.spot", "topic": topic, "entity": entity, "version": version, "data": data}),
        );
    }
    let verb = match (&before, &after) {
        (Some(b), Some(a)) if without_bookkeeping(b) == without_bookkeeping(a) => return None,
        (None, None) => return None,
        (_, Some(_)) if change.kind == ChangeKind::Insert => "created",
        (_, Some(_)) => "updated",
        (Some(_), None) if change.kind == ChangeKind::Remove => "deleted",
        (Some(_), None) => "removed",
    };
    Some(json!({
        "type": format!("{prefix}.{verb}"),
        "topic": topic,
        "entity": {"type": entity_type, "id": id},
        "version": version,
        "data": after,
    }))
}

/// Posts one change to its subscribers.
pub(crate) async fn fan_out(app: &StreamApp, change: &ChangeRecord) -> Result<Fanout, RepoError> {
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(Fanout::default()) };
    let Some(image) = change.new_image.as_ref().or(change.old_image.as_ref()) else { return Ok(Fanout::default()) };
    let Some(kind) = RecordType::of_item(image) else { return Ok(Fanout::default()) };
    // A user's (or API key's) record changed: what is known of their standing is stale.
    if matches!(kind, RecordType::User | RecordType::ApiKey)
        && let Some(id) = image.get("id").and_then(Value::as_str).and_then(|s| s.parse().ok())
    {
        app.readers.forget(&org, &id);
    }
    let topics = Topic::of_change(kind, &Value::Object(image.clone()));
    if topics.is_empty() {
        return Ok(Fanout::default());
    }
    let t = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    let repo = ConnectionRepo::new(&t);
    let now = Utc::now();
    // One message per connection, under the most specific topic it follows.
    let mut seen = HashSet::new();
    let mut subs: Vec<Subscription> = Vec::new();
    for topic in &topics {
        subs.extend(repo.subscribers(topic, now).await?.into_iter().filter(|s| seen.insert(s.connection_id.clone())));
    }
    if subs.is_empty() {
        return Ok(Fanout::default());
    }
    // Judge each reader as they stand now; close the connections of those who changed.
    // Each distinct reader is read once, up to CONCURRENCY at a time (most come from the cache).
    let mut out = Fanout::default();
    let mut distinct: Vec<Reader> = subs.iter().map(|s| s.reader.clone()).collect();
    distinct.sort_by_key(|r| r.user_id);
    distinct.dedup_by_key(|r| r.user_id);
    let (readers, tenant) = (&app.readers, &t);
    let standing: HashMap<UserId, Option<Reader>> = stream::iter(distinct)
        .map(|r| async move { Ok::<_, RepoError>((r.user_id, readers.current(tenant, &r).await?)) })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut current = Vec::with_capacity(subs.len());
    let mut stale = HashSet::new();
    for s in subs {
        match standing.get(&s.reader.user_id) {
            Some(Some(now)) if *now == s.reader => current.push(s),
            _ => {
                if stale.insert(s.connection_id.clone()) {
                    // Already gone is as good as closed; the records go either way.
                    if let Err(e) = app.push.close(&s.connection_id).await {
                        tracing::info!(connection = %s.connection_id, error = %e, "stale reader's connection not closed");
                    }
                    repo.close(&s.connection_id).await?;
                    out.closed += 1;
                }
            }
        }
    }
    let subs = current;
    if subs.is_empty() {
        return Ok(out);
    }
    let readers: Vec<&Reader> = subs.iter().map(|s| &s.reader).collect();
    let Some(subject) = Subject::load(&t, kind, change, &readers).await? else { return Ok(out) };
    let own_connection = match &subject {
        Subject::Presence(s) => s.after.as_ref().or(s.before.as_ref()).map(|p| p.connection_id.clone()),
        _ => None,
    };
    // One render per reader and topic: the connections left all stand as their reader does now,
    // so a person's tabs and devices share one message.
    let mut rendered: HashMap<(UserId, &str), Option<Arc<[u8]>>> = HashMap::new();
    let outgoing: Vec<(String, Arc<[u8]>)> = subs
        .iter()
        .filter(|s| own_connection.as_deref() != Some(s.connection_id.as_str()))
        .filter_map(|s| {
            let m = rendered.entry((s.reader.user_id, s.topic.as_str())).or_insert_with(|| {
                message(&subject, change, &s.reader, org, &s.topic).map(|m| Arc::from(m.to_string().into_bytes()))
            });
            Some((s.connection_id.clone(), m.clone()?))
        })
        .collect();
    let push = app.push.clone();
    let results: Vec<(String, Result<(), PushError>)> = stream::iter(outgoing)
        .map(|(connection, bytes)| {
            let push: Arc<dyn podcastflow_push::Push> = push.clone();
            async move {
                let r = post_with_retry(push.as_ref(), &connection, &bytes).await;
                (connection, r)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (connection, r) in results {
        match r {
            Ok(()) => out.delivered += 1,
            Err(PushError::Gone) => {
                out.gone += 1;
                repo.close(&connection).await?;
            }
            Err(e) => {
                out.failed += 1;
                tracing::warn!(connection, error = %e, "live update not delivered");
            }
        }
    }
    Ok(out)
}
