//! The host-read processor: what follows for the reads from changes elsewhere.
//!
//! - **An order booked** makes one read per host-read line (each with its line claim, so a
//!   second delivery makes none): assigned to the episode's first talent, read from the brief
//!   that applies to its show (`needs_read`), or waiting for one (`awaiting_brief`), its
//!   recording due by the brief's lead time in the organization's time zone.
//! - **An order cancelled** after booking cancels its reads still in production.
//! - **A brief created** gives the reads waiting for it (or falling under it now, a show's own
//!   brief over the campaign-wide one) their brief; **a brief edited** marks the reads in
//!   production made from it `briefChanged` (their talent is told by the notification rules).
//! - **An episode published** turns its approved reads `aired`, the aircheck due within a day;
//!   **its talent changed** gives its reads in production, whose talent left, the first one.
//!
//! Each is idempotent: a repeat finds the reads made, moved or marked already.

use chrono::{DateTime, Utc};
use podcastflow_domain::ad_read::brief::{Brief, DEFAULT_LEAD_DAYS};
use podcastflow_domain::ad_read::deadlines::{AIRCHECK_WITHIN, Deadlines, Tz, recording_due};
use podcastflow_domain::ad_read::{Actor, AdRead, AdReadStatus};
use podcastflow_domain::episode::Episode;
use podcastflow_domain::keys::org_of_pk;
use podcastflow_domain::order::{AdType, Order, OrderStatus};
use podcastflow_domain::record::RecordType;
use podcastflow_domain::{EpisodeId, OrgId, Stamp, UserId};
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::{RepoError, all_pages};
use podcastflow_store::{ChangeRecord, TenantTable};

use crate::StreamApp;
use crate::realtime::decode;

/// The organization's time zone (UTC when it is gone).
async fn zone(app: &StreamApp, org: &OrgId) -> Result<Tz, RepoError> {
    let table = app.ctx.org_table(org);
    let o = OrganizationRepo::new(table.as_ref(), &app.ctx.cursors).get(org).await?;
    Ok(o.map_or(Tz::UTC, |o| o.settings.zone()))
}

/// When the recording of a read airing on `r.air_date` is due under `brief`.
fn recording_due_of(r: &AdRead, brief: Option<&Brief>, tz: Tz) -> DateTime<Utc> {
    recording_due(r.air_date, brief.map_or(DEFAULT_LEAD_DAYS, |b| b.due_lead_days), tz)
}

/// Handles one change; answers how many reads it made or changed.
pub(crate) async fn on_change(app: &StreamApp, change: &ChangeRecord) -> Result<u32, RepoError> {
    if change.expired {
        return Ok(0);
    }
    let Some(org) = org_of_pk(&change.key.pk) else { return Ok(0) };
    let image = change.new_image.as_ref().or(change.old_image.as_ref());
    let Some(kind) = image.and_then(RecordType::of_item) else { return Ok(0) };
    if !matches!(kind, RecordType::Order | RecordType::Brief | RecordType::Episode) {
        return Ok(0);
    }
    let t = TenantTable::new(app.ctx.tenants.for_org(&org), org, app.ctx.cursors.as_ref().clone());
    let now = Utc::now();
    match kind {
        RecordType::Order => {
            let (before, after) =
                (decode::<Order>(change.old_image.as_ref()), decode::<Order>(change.new_image.as_ref()));
            let Some(after) = after else { return Ok(0) };
            let was = before.map(|b| b.status);
            if after.status == OrderStatus::Booked && was != Some(OrderStatus::Booked) {
                return booked(app, &t, &after, now).await;
            }
            if after.status == OrderStatus::Cancelled && was.is_some_and(|s| s.has_bookings()) {
                return cancelled(&t, &after, now).await;
            }
            Ok(0)
        }
        RecordType::Brief => {
            let (before, after) =
                (decode::<Brief>(change.old_image.as_ref()), decode::<Brief>(change.new_image.as_ref()));
            let Some(after) = after else { return Ok(0) };
            brief_changed(app, &t, before.as_ref(), &after, now).await
        }
        _ => {
            let (before, after) =
                (decode::<Episode>(change.old_image.as_ref()), decode::<Episode>(change.new_image.as_ref()));
            let (Some(before), Some(after)) = (before, after) else { return Ok(0) };
            episode_changed(&t, &before, &after, now).await
        }
    }
}

/// The reads of a booked order's host-read lines.
async fn booked(app: &StreamApp, t: &TenantTable, o: &Order, now: DateTime<Utc>) -> Result<u32, RepoError> {
    let lines: Vec<_> = o.lines.iter().filter(|l| l.ad_type == AdType::HostRead).collect();
    if lines.is_empty() {
        return Ok(0);
    }
    let repo = AdReadRepo::new(t);
    let briefs = repo.briefs(&o.campaign_id).await?;
    let mut episode_ids: Vec<EpisodeId> = lines.iter().map(|l| l.spot.episode_id).collect();
    episode_ids.sort();
    episode_ids.dedup();
    let episodes = EpisodeRepo::new(t).get_many(&episode_ids).await?;
    let requires = ClientRepo::new(t).get(&o.advertiser_id).await?.is_some_and(|c| c.requires_read_approval);
    let tz = zone(app, &o.org_id).await?;
    let reads: Vec<AdRead> = lines
        .into_iter()
        .map(|l| {
            let brief = Brief::applying(&briefs, &l.show_id);
            let talent =
                episodes.iter().find(|e| e.id == l.spot.episode_id).and_then(|e| e.talent_ids.first().copied());
            let mut r = AdRead::of_line(o, l, talent, brief.map(|b| b.id), now);
            r.requires_client_approval = requires;
            r.deadlines.recording_due_at = Some(recording_due_of(&r, brief, tz));
            r
        })
        .collect();
    let made = repo.create_for_lines(reads).await?;
    if made > 0 {
        tracing::info!(order = %o.id, made, "host reads made for a booked order");
    }
    Ok(made)
}

/// Cancels the reads in production of a cancelled order.
async fn cancelled(t: &TenantTable, o: &Order, now: DateTime<Utc>) -> Result<u32, RepoError> {
    let repo = AdReadRepo::new(t);
    let mut done = 0;
    for r in repo.of_order(&o.id).await? {
        let moved = repo
            .modify(&r.id, UserId::SYSTEM, now, |r| {
                if !r.status.in_production() {
                    return false;
                }
                r.moved(
                    AdReadStatus::Cancelled,
                    UserId::SYSTEM,
                    Actor::System,
                    now,
                    Some("the booking was released".into()),
                );
                r.deadlines = Deadlines::default();
                true
            })
            .await?;
        done += u32::from(moved.is_some());
    }
    Ok(done)
}

/// Whether a brief's edit changed what it asks (not only its bookkeeping).
fn content_changed(before: &Brief, after: &Brief) -> bool {
    let strip = |b: &Brief| Brief { stamp: Stamp::created(UserId::SYSTEM, b.stamp.created_at), ..b.clone() };
    strip(before) != strip(after)
}

/// Gives a new brief its reads, or marks the reads of an edited one.
async fn brief_changed(
    app: &StreamApp,
    t: &TenantTable,
    before: Option<&Brief>,
    b: &Brief,
    now: DateTime<Utc>,
) -> Result<u32, RepoError> {
    if before.is_some_and(|old| !content_changed(old, b)) {
        return Ok(0);
    }
    let repo = AdReadRepo::new(t);
    let briefs = repo.briefs(&b.campaign_id).await?;
    // The brief as stored now decides (a later edit may already be there).
    let Some(b) = briefs.iter().find(|x| x.id == b.id).cloned() else { return Ok(0) };
    let reads = all_pages(|cursor| {
        let repo = &repo;
        let campaign = b.campaign_id;
        async move { repo.of_campaign(&campaign, cursor.as_deref(), 100).await }
    })
    .await?;
    let tz = zone(app, &b.org_id).await?;
    let mut done = 0;
    for r in reads.into_iter().filter(|r| r.status.in_production() && b.applies_to(&briefs, &r.show_id)) {
        let edited = before.is_some();
        let changed = repo
            .modify(&r.id, UserId::SYSTEM, now, |r| {
                if !r.status.in_production() {
                    return false;
                }
                let mut changed = false;
                if r.brief_id != Some(b.id) {
                    // A brief for the read's show now, or its first brief.
                    r.brief_changed = r.brief_id.is_some();
                    r.brief_id = Some(b.id);
                    changed = true;
                } else if edited && !r.brief_changed {
                    r.brief_changed = true;
                    changed = true;
                }
                if r.status == AdReadStatus::AwaitingBrief {
                    r.moved(AdReadStatus::NeedsRead, UserId::SYSTEM, Actor::System, now, None);
                    changed = true;
                }
                if matches!(r.status, AdReadStatus::NeedsRead | AdReadStatus::RevisionsRequested) {
                    let due = Some(recording_due_of(r, Some(&b), tz));
                    changed |= r.deadlines.recording_due_at != due;
                    r.deadlines.recording_due_at = due;
                }
                changed
            })
            .await?;
        done += u32::from(changed.is_some());
    }
    Ok(done)
}

/// An episode published airs its approved reads; its talent changed reassigns the reads whose
/// talent left it.
async fn episode_changed(t: &TenantTable, before: &Episode, e: &Episode, now: DateTime<Utc>) -> Result<u32, RepoError> {
    let published = e.status == podcastflow_domain::episode::EpisodeStatus::Published && before.status != e.status;
    let recast = before.talent_ids != e.talent_ids;
    let (true, Some(air)) = (published || recast, e.air_date) else { return Ok(0) };
    let repo = AdReadRepo::new(t);
    let mut done = 0;
    for r in repo.of_episode(&e.show_id, air, &e.id).await? {
        let changed = repo
            .modify(&r.id, UserId::SYSTEM, now, |r| {
                let mut changed = false;
                if published && r.status == AdReadStatus::Approved {
                    let at = e.published_at.unwrap_or(now);
                    r.moved(AdReadStatus::Aired, UserId::SYSTEM, Actor::System, now, None);
                    r.aired_at = Some(at);
                    r.deadlines = Deadlines { aircheck_due_at: Some(at + AIRCHECK_WITHIN), ..Deadlines::default() };
                    changed = true;
                }
                let left = r.talent_id.is_none_or(|t| !e.talent_ids.contains(&t));
                if recast && r.status.in_production() && left && r.talent_id != e.talent_ids.first().copied() {
                    r.talent_id = e.talent_ids.first().copied();
                    changed = true;
                }
                changed
            })
            .await?;
        done += u32::from(changed.is_some());
    }
    Ok(done)
}
