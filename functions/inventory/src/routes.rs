//! The routes of `inventory`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::campaign::{Campaign, CampaignStatus, Position};
use podcastflow_domain::inventory::avails::{Counts, EpisodeInventory, RateOverride, spot_price};
use podcastflow_domain::inventory::hold::{self, HeldCategory, HeldSpot, Hold, HoldStatus};
use podcastflow_domain::inventory::placement::{
    Amount, Bidder, Placement, PlacementMode, Plan, Refusal, Unplaced, place, place_spots,
};
use podcastflow_domain::inventory::separation::{SeparationMode, category_of};
use podcastflow_domain::inventory::spot::{
    Claim, InvalidSpotId, POSITIONS, SpotClaim, SpotId, SpotPrice, SpotRef, count_at, position_name, spots_of,
};
use podcastflow_domain::organization::OrgSettings;
use podcastflow_domain::permissions::{self, Action, Resource, Scope};
use podcastflow_domain::show::Show;
use podcastflow_domain::{CampaignId, EpisodeId, HoldId, Principal, ShowId, Stamp};
use podcastflow_platform::visibility::{CampaignRelations, Needs};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, created, idempotency, json, json_body, json_with_etag,
    no_content, not_found, page_in_memory, paging, principal, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::inventory::{HoldCommitError, InventoryRepo};
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde::{Deserialize, Serialize};

use crate::InventoryApp;

/// At most this many shows in one avails request or plan.
const MAX_SHOWS: usize = 20;
/// At most this many days in one avails request or plan.
const MAX_DAYS: i64 = 366;
/// At most this many spots named in one hold request.
const MAX_SPOTS: usize = 500;
/// Placements a commit tries before a lost race is the caller's 409.
const ATTEMPTS: usize = 3;

/// One row of the avails: an episode's position.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AvailRow {
    episode_id: EpisodeId,
    show_id: ShowId,
    air_date: NaiveDate,
    position: Position,
    #[serde(flatten)]
    counts: Counts,
    price: SpotPrice,
    /// Expected impressions of one spot: none until the show has delivery data.
    forecast_impressions: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldRequest {
    #[serde(default)]
    spots: Option<Vec<SpotChoice>>,
    #[serde(default)]
    plan: Option<PlanBody>,
    #[serde(default)]
    override_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpotChoice {
    episode_id: EpisodeId,
    spot: String,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Day> for Weekday {
    fn from(d: Day) -> Weekday {
        match d {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanBody {
    show_ids: Vec<ShowId>,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    positions: Vec<Position>,
    #[serde(default)]
    spots_per_episode: Option<u8>,
    #[serde(default)]
    spots_total: Option<u32>,
    #[serde(default)]
    weekdays: Vec<Day>,
    #[serde(default)]
    max_per_show_per_day: Option<u32>,
    #[serde(default)]
    mode: PlacementMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockRequest {
    reason: String,
}

/// One position of a show's sell-through over dates.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SellThrough {
    position: Position,
    #[serde(flatten)]
    counts: Counts,
    /// Booked of all spots, 0 to 1 (0 when there are none).
    sell_through_rate: f64,
    /// The booked spots' contracted amounts by currency, in minor units: each order line's flat
    /// price, or its impression goal at its CPM.
    booked_revenue: Vec<podcastflow_domain::Money>,
}

/// A body that names no field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// A spot as a preview or a hold shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlacedSpot {
    #[serde(skip)]
    at: SpotRef,
    episode_id: EpisodeId,
    show_id: ShowId,
    air_date: NaiveDate,
    spot: String,
    price: SpotPrice,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Preview {
    spots: Vec<PlacedSpot>,
    unplaced: Vec<Unplaced>,
    warnings: Vec<Unplaced>,
}

fn conflict(kind: &str, title: &str, detail: impl Into<String>) -> Failure {
    Problem::new(kind, StatusCode::CONFLICT, title).detail(detail).into()
}

/// The refusals of a placement in words, for a 409's detail.
fn reasons(unplaced: &[Unplaced]) -> String {
    let words: Vec<String> = unplaced
        .iter()
        .take(20)
        .map(|u| {
            let reason = serde_json::to_value(u.reason).ok().and_then(|v| v.as_str().map(str::to_owned));
            let what = match (&u.episode_id, &u.spot) {
                (Some(e), Some(s)) => format!("{e} {s}"),
                (Some(e), None) => e.to_string(),
                _ => "the plan".into(),
            };
            format!("{what}: {}", reason.unwrap_or_default())
        })
        .collect();
    let more = unplaced.len().saturating_sub(20);
    let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
    format!("not placed: {}{tail}", words.join("; "))
}

fn dates(from: NaiveDate, to: NaiveDate, field: &str) -> Result<(NaiveDate, NaiveDate), Problem> {
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(Problem::field(
            field,
            "invalid",
            &format!("from..to must be in order and at most {MAX_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// The principal, unless their role never reads avails or sell-through (403 whichever shows
/// they name; a role that reads some shows' is judged per show).
fn reader_of_avails(req: &Request) -> Result<Principal, Failure> {
    let p = principal(req)?;
    if permissions::scope(Action::InventoryRead, p.role) == Scope::None {
        allow(&p, Action::InventoryRead, &Resource::Org(p.org_id))?;
    }
    Ok(p)
}

/// A required date of the query.
fn date(req: &Request, name: &str) -> Result<NaiveDate, Problem> {
    query_param(req, name)
        .ok_or_else(|| Problem::field(name, "required", "a date, YYYY-MM-DD"))?
        .parse()
        .map_err(|_| Problem::field(name, "invalid", "a date, YYYY-MM-DD"))
}

fn show_list(ids: &[ShowId], field: &str) -> Result<Vec<ShowId>, Problem> {
    let unique: BTreeSet<ShowId> = ids.iter().copied().collect();
    if unique.is_empty() || unique.len() > MAX_SHOWS {
        return Err(Problem::field(field, "invalid", &format!("1 to {MAX_SHOWS} shows")));
    }
    Ok(unique.into_iter().collect())
}

impl InventoryApp {
    /// A show the principal may take `action` on (404 when absent or unreadable, 403 when read
    /// but not allowed).
    async fn show(&self, t: &TenantTable, p: &Principal, id: &ShowId, action: Action) -> Result<Show, Failure> {
        let show = ShowRepo::new(t).get(id).await?.ok_or_else(not_found)?;
        let resource = Resource::Show {
            org: show.org_id,
            producers: &show.producer_ids,
            talent: &show.talent_ids,
            campaign_clients: &[],
        };
        if allow(p, Action::ShowRead, &resource).is_err() {
            return Err(not_found().into());
        }
        allow(p, action, &resource)?;
        Ok(show)
    }

    async fn avails(&self, req: &Request, rid: &str) -> Outcome {
        let p = reader_of_avails(req)?;
        let t = self.ctx.tenant(&p, req);
        let ids: Vec<ShowId> = query_param(req, "showIds")
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| Problem::field("showIds", "invalid", "comma-separated show ids")))
            .collect::<Result<_, _>>()?;
        let ids = show_list(&ids, "showIds")?;
        let (from, to) = dates(date(req, "from")?, date(req, "to")?, "to")?;
        let positions: Vec<Position> = match query_param(req, "positions") {
            None => POSITIONS.to_vec(),
            Some(list) => list
                .split(',')
                .map(|s| serde_json::from_value(serde_json::Value::from(s)))
                .collect::<Result<_, _>>()
                .map_err(|_| Problem::field("positions", "invalid", "comma-separated pre, mid, post"))?,
        };
        let paging = paging(req)?;
        let now = Utc::now();
        let mut rows = Vec::new();
        for (show, episodes) in self.shows_inventory(&t, &p, &ids, Action::InventoryRead, (from, to)).await? {
            for e in episodes {
                for position in &positions {
                    let counts = e.counts(*position, now);
                    if counts.total == 0 {
                        continue;
                    }
                    let price = spot_price(&show.ad_config, &[], show.id, *position);
                    let (episode_id, air_date) = (e.episode_id, e.air_date);
                    let row = AvailRow {
                        episode_id,
                        show_id: show.id,
                        air_date,
                        position: *position,
                        counts,
                        price,
                        // The show's stated average until delivery is measured.
                        forecast_impressions: show.average_downloads,
                    };
                    rows.push(row);
                }
            }
        }
        let key = |r: &AvailRow| {
            let order = POSITIONS.iter().position(|p| *p == r.position).unwrap_or_default();
            format!("{}#{}#{}#{order}", r.air_date, r.show_id, r.episode_id)
        };
        let (items, next_cursor) = page_in_memory(rows, key, false, &paging)?;
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor }, rid))
    }

    async fn sell_through(&self, req: &Request, show: &str, rid: &str) -> Outcome {
        let p = reader_of_avails(req)?;
        let t = self.ctx.tenant(&p, req);
        // The show first: an unknown one is 404 whatever the query says.
        let id: ShowId = show.parse().map_err(|_| not_found())?;
        let show = self.show(&t, &p, &id, Action::InventoryRead).await?;
        let (from, to) = dates(date(req, "from")?, date(req, "to")?, "to")?;
        let now = Utc::now();
        let episodes = InventoryRepo::new(&t).show_inventory(&show, from, to).await?;
        let mut rows = Vec::new();
        for position in POSITIONS {
            let mut counts = Counts::default();
            let mut revenue: BTreeMap<String, podcastflow_domain::Money> = BTreeMap::new();
            for e in &episodes {
                counts.add(&e.counts(position, now));
                for c in e.claims.iter().filter(|c| c.spot.position == position && e.has(c.spot.id())) {
                    // The line's contracted amount; a booking made without one counts its flat price.
                    let booked = match &c.claim {
                        Claim::Booked { amount: Some(m), .. } => Some(m),
                        Claim::Booked { price: SpotPrice { flat: Some(m), .. }, .. } => Some(m),
                        _ => None,
                    };
                    if let Some(m) = booked {
                        let sum = revenue
                            .entry(m.currency.to_string())
                            .or_insert(podcastflow_domain::Money::new(0, m.currency));
                        *sum = sum.checked_add(*m).unwrap_or(*sum);
                    }
                }
            }
            let rate = if counts.total == 0 { 0.0 } else { f64::from(counts.booked) / f64::from(counts.total) };
            let booked_revenue = revenue.into_values().collect();
            rows.push(SellThrough { position, counts, sell_through_rate: rate, booked_revenue });
        }
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({"showId": show.id, "from": from, "to": to, "positions": rows}),
            rid,
        ))
    }

    /// The campaign, if the principal may hold spots for it.
    async fn campaign(&self, t: &TenantTable, p: &Principal, id: &str) -> Result<Campaign, Failure> {
        let id: CampaignId = id.parse().map_err(|_| not_found())?;
        let (c, rel) = CampaignRelations::load_campaign(t, Needs::of(p.role), &id).await?.ok_or_else(not_found)?;
        allow(p, Action::CampaignHold, &Resource::Campaign(rel.facts(&c)))?;
        Ok(c)
    }

    async fn settings(&self, p: &Principal) -> Result<OrgSettings, Failure> {
        let table = self.ctx.org_table(&p.org_id);
        let org = OrganizationRepo::new(table.as_ref(), &self.ctx.cursors).get(&p.org_id).await?;
        Ok(org.map(|o| o.settings).unwrap_or_default())
    }

    /// The inventory of the episodes a request names, and each present advertiser's category.
    async fn inventory_of(
        &self,
        t: &TenantTable,
        p: &Principal,
        shows: &[ShowId],
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<(Vec<EpisodeInventory>, BTreeMap<ShowId, Show>), Failure> {
        let mut episodes = Vec::new();
        let mut by_id = BTreeMap::new();
        for (show, inventory) in self.shows_inventory(t, p, shows, Action::ShowRead, (from, to)).await? {
            episodes.extend(inventory);
            by_id.insert(show.id, show);
        }
        Ok((episodes, by_id))
    }

    /// Each of `shows` the principal may take `action` on, with its inventory over `[from, to]`,
    /// in the order given. The shows are read side by side: on DynamoDB the request waits for
    /// about one show's round trips, not one per show.
    async fn shows_inventory(
        &self,
        t: &TenantTable,
        p: &Principal,
        shows: &[ShowId],
        action: Action,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<(Show, Vec<EpisodeInventory>)>, Failure> {
        let one = |id: ShowId| async move {
            let show = self.show(t, p, &id, action).await?;
            let inventory = InventoryRepo::new(t).show_inventory(&show, from, to).await?;
            Ok::<_, Failure>((show, inventory))
        };
        futures_util::future::try_join_all(shows.iter().map(|id| one(*id))).await
    }

    /// Places the request on the inventory as it is now.
    async fn placement(
        &self,
        t: &TenantTable,
        p: &Principal,
        body: &HoldRequest,
        bidder: Bidder<'_>,
        settings: &OrgSettings,
        overridden: bool,
    ) -> Result<(Placement, BTreeMap<ShowId, Show>, Vec<EpisodeInventory>), Failure> {
        let now = Utc::now();
        let mut separation = settings.separation;
        if overridden {
            separation.mode = SeparationMode::Warn;
        }
        match (&body.spots, &body.plan) {
            (Some(chosen), None) => {
                if chosen.is_empty() || chosen.len() > MAX_SPOTS {
                    return Err(Problem::field("spots", "invalid", &format!("1 to {MAX_SPOTS} spots")).into());
                }
                let mut wanted = Vec::with_capacity(chosen.len());
                for (i, c) in chosen.iter().enumerate() {
                    let id: SpotId = c.spot.parse().map_err(|e: InvalidSpotId| {
                        Problem::field(&format!("spots[{i}].spot"), "invalid", &e.to_string())
                    })?;
                    wanted.push(SpotRef::of(c.episode_id, id));
                }
                // The named episodes in one batch read, then each show once and each of its days'
                // inventory once (a show's day: competitive separation may look at siblings).
                let ids: Vec<EpisodeId> =
                    wanted.iter().map(|s| s.episode_id).collect::<BTreeSet<_>>().into_iter().collect();
                let named = EpisodeRepo::new(t).get_many(&ids).await?;
                if named.len() < ids.len() {
                    return Err(not_found().into());
                }
                let mut days: BTreeMap<ShowId, BTreeSet<NaiveDate>> = BTreeMap::new();
                for e in &named {
                    let air = e.air_date.ok_or_else(|| {
                        conflict("no-inventory", "No inventory", format!("episode {} has no air date", e.id))
                    })?;
                    days.entry(e.show_id).or_default().insert(air);
                }
                let (mut episodes, mut shows) = (Vec::new(), BTreeMap::new());
                for (show, dates) in days {
                    let show = self.show(t, p, &show, Action::ShowRead).await?;
                    for d in dates {
                        episodes.extend(InventoryRepo::new(t).show_inventory(&show, d, d).await?);
                    }
                    shows.insert(show.id, show);
                }
                let categories = InventoryRepo::new(t).categories_present(&episodes, now).await?;
                let placement = place_spots(&wanted, &episodes, bidder, &categories, separation, now);
                Ok((placement, shows, episodes))
            }
            (None, Some(plan)) => {
                let ids = show_list(&plan.show_ids, "plan.showIds")?;
                let range = dates(plan.from, plan.to, "plan.to")?;
                let amount = match (plan.spots_per_episode, plan.spots_total) {
                    (Some(n), None) if (1..=30).contains(&n) => Amount::PerEpisode(n),
                    (None, Some(n)) if (1..=MAX_SPOTS as u32).contains(&n) => Amount::Total(n),
                    _ => {
                        return Err(Problem::field(
                            "plan",
                            "invalid",
                            &format!("either spotsPerEpisode (1 to 30) or spotsTotal (1 to {MAX_SPOTS})"),
                        )
                        .into());
                    }
                };
                let (episodes, shows) = self.inventory_of(t, p, &ids, range).await?;
                let categories = InventoryRepo::new(t).categories_present(&episodes, now).await?;
                let plan = Plan {
                    positions: plan.positions.clone(),
                    amount,
                    weekdays: plan.weekdays.iter().map(|d| Weekday::from(*d)).collect(),
                    max_per_show_per_day: plan.max_per_show_per_day,
                    mode: plan.mode,
                };
                Ok((place(&plan, &episodes, bidder, &categories, separation, now), shows, episodes))
            }
            _ => Err(Problem::field("plan", "invalid", "either spots or plan, not both").into()),
        }
    }

    async fn hold(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let campaign = self.campaign(&t, &p, id).await?;
        if matches!(campaign.status, CampaignStatus::Lost | CampaignStatus::Cancelled | CampaignStatus::Completed) {
            return Err(conflict(
                "campaign-closed",
                "Campaign closed",
                "a lost, cancelled or completed campaign holds nothing",
            ));
        }
        let body: HoldRequest = json_body(req)?;
        let overridden = match body.override_reason.as_deref().map(str::trim) {
            None => false,
            Some(r) if r.is_empty() || r.len() > 500 => {
                return Err(Problem::field("overrideReason", "invalid", "1 to 500 characters").into());
            }
            Some(_) => {
                allow(&p, Action::SeparationOverride, &Resource::Org(p.org_id))?;
                true
            }
        };
        let advertiser = campaign.client_id.ok_or_else(|| {
            conflict("campaign-without-client", "Campaign without client", "choose the campaign's advertiser first")
        })?;
        let client = ClientRepo::new(&t).get(&advertiser).await?.ok_or_else(not_found)?;
        let category = client.competitive_category.as_deref().and_then(category_of);
        let settings = self.settings(&p).await?;
        let bidder = Bidder { campaign: campaign.id, advertiser, category: category.as_deref() };
        let preview = query_param(req, "preview").as_deref() == Some("true");
        if preview {
            let (placement, shows, episodes) = self.placement(&t, &p, &body, bidder, &settings, overridden).await?;
            let spots = placed(&placement, &shows, &episodes, &campaign.rate_overrides);
            let body = Preview { spots, unplaced: placement.unplaced, warnings: placement.warnings };
            return Ok(json(StatusCode::OK, &body, rid));
        }
        let separation = category
            .clone()
            .filter(|_| settings.separation.mode == SeparationMode::Block && !overridden)
            .map(|category| HeldCategory { scope: settings.separation.scope, category });
        let commit = || async {
            for attempt in 1..=ATTEMPTS {
                let (placement, shows, episodes) = self.placement(&t, &p, &body, bidder, &settings, overridden).await?;
                let all_or_nothing = body.spots.is_some();
                if placement.spots.is_empty() || (all_or_nothing && !placement.unplaced.is_empty()) {
                    let kind = if placement.unplaced.iter().any(|u| u.reason == Refusal::Competitive) {
                        "competitive"
                    } else {
                        "inventory-unavailable"
                    };
                    return Err(conflict(kind, "Not placed", reasons(&placement.unplaced)));
                }
                let now = Utc::now();
                let spots: Vec<HeldSpot> = placed(&placement, &shows, &episodes, &campaign.rate_overrides)
                    .into_iter()
                    .map(|s| HeldSpot { spot: s.at, show_id: s.show_id, air_date: s.air_date, price: s.price })
                    .collect();
                let h = Hold {
                    id: HoldId::new(),
                    org_id: p.org_id,
                    campaign_id: campaign.id,
                    advertiser_id: advertiser,
                    spots,
                    expires_at: hold::expiry(now, settings.hold_hours),
                    extensions: 0,
                    status: HoldStatus::Active,
                    override_reason: body.override_reason.clone().filter(|_| overridden),
                    separation: separation.clone(),
                    expiry_notice_for: None,
                    makegood_for: None,
                    stamp: Stamp::created(p.user_id, now),
                };
                match InventoryRepo::new(&t).commit_hold(&h, now).await {
                    Ok(()) => {
                        let location = format!("/campaigns/{}/holds/{}", campaign.id, h.id);
                        return Ok(created(&h, Some(h.stamp.version), &location, rid));
                    }
                    // Another hold won a spot between placing and writing: place again.
                    Err(HoldCommitError::Taken(_) | HoldCommitError::Competitive(_))
                        if attempt < ATTEMPTS && !all_or_nothing => {}
                    Err(HoldCommitError::Taken(spot)) => {
                        let what = format!("{} {} was taken meanwhile", spot.episode_id, spot.id());
                        return Err(conflict("inventory-unavailable", "Not placed", what));
                    }
                    Err(HoldCommitError::Competitive(spot)) => {
                        let what = format!("a competitor holds the scope of {} {}", spot.episode_id, spot.id());
                        return Err(conflict("competitive", "Not placed", what));
                    }
                    Err(HoldCommitError::Repo(e)) => return Err(e.into()),
                }
            }
            Err(conflict("inventory-unavailable", "Not placed", "the spots kept being taken; try again"))
        };
        idempotency::once(&t, req, &p, commit).await
    }

    async fn holds(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let campaign = self.campaign(&t, &p, id).await?;
        let holds = InventoryRepo::new(&t).holds_of(&campaign.id).await?;
        let paging = paging(req)?;
        let (items, next_cursor) = page_in_memory(holds, |h| h.id.to_string(), true, &paging)?;
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor }, rid))
    }

    async fn existing(&self, t: &TenantTable, campaign: &Campaign, id: &str) -> Result<Hold, Failure> {
        let id: HoldId = id.parse().map_err(|_| not_found())?;
        Ok(InventoryRepo::new(t).hold(&campaign.id, &id).await?.ok_or_else(not_found)?)
    }

    async fn extend(&self, req: &Request, id: &str, hold_id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        // It takes nothing; a body, if sent, may name nothing either.
        if !req.body().is_empty() {
            let _: NoFields = json_body(req)?;
        }
        let t = self.ctx.tenant(&p, req);
        let campaign = self.campaign(&t, &p, id).await?;
        let h = self.existing(&t, &campaign, hold_id).await?;
        let now = Utc::now();
        if h.status != HoldStatus::Active {
            return Err(conflict("hold-ended", "Hold ended", "only an active hold extends"));
        }
        let settings = self.settings(&p).await?;
        let until = hold::extend(h.expires_at, h.extensions, settings.hold_hours, now)
            .map_err(|e| conflict("hold-not-extended", "Hold not extended", e.to_string()))?;
        let mut next = h.clone();
        next.expires_at = until;
        next.extensions += 1;
        next.stamp = h.stamp.touched(p.user_id, now);
        match InventoryRepo::new(&t).extend_hold(&next, h.stamp.version, h.expires_at, now).await {
            Ok(()) => Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid)),
            Err(RepoError::Conflict(_)) => Err(conflict("hold-ended", "Hold ended", "the hold lost its spots")),
            Err(e) => Err(e.into()),
        }
    }

    async fn release(&self, req: &Request, id: &str, hold_id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let campaign = self.campaign(&t, &p, id).await?;
        let h = self.existing(&t, &campaign, hold_id).await?;
        if !matches!(h.status, HoldStatus::Active) {
            return Ok(no_content(rid));
        }
        let now = Utc::now();
        let mut next = h.clone();
        next.status = HoldStatus::Released;
        next.stamp = h.stamp.touched(p.user_id, now);
        InventoryRepo::new(&t).release_hold(&next, h.stamp.version, now).await?;
        Ok(no_content(rid))
    }
}

impl InventoryApp {
    /// The episode and the spot a block route names, if the principal may block its show's spots
    /// (404 for an episode they cannot read or a spot it does not have).
    async fn blockable(
        &self,
        t: &TenantTable,
        p: &Principal,
        episode: &str,
        spot: &str,
    ) -> Result<(SpotClaim, DateTime<Utc>), Failure> {
        let id: EpisodeId = episode.parse().map_err(|_| not_found())?;
        let spot: SpotId = spot.parse().map_err(|_| not_found())?;
        let e = EpisodeRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let show = self.show(t, p, &e.show_id, Action::SpotBlock).await?;
        let now = Utc::now();
        let has = spots_of(&e, &show.ad_config).is_some_and(|slots| spot.index < count_at(&slots, spot.position));
        let Some(air_date) = e.air_date.filter(|_| has) else { return Err(not_found().into()) };
        let claim = SpotClaim {
            org_id: p.org_id,
            show_id: show.id,
            air_date,
            spot: SpotRef::of(id, spot),
            claim: Claim::Blocked { reason: String::new(), by: p.user_id },
            at: now,
        };
        Ok((claim, now))
    }

    async fn block(&self, req: &Request, episode: &str, spot: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let body: BlockRequest = json_body(req)?;
        let reason = body.reason.trim().to_owned();
        if reason.is_empty() || reason.len() > 500 {
            return Err(Problem::field("reason", "invalid", "1 to 500 characters").into());
        }
        let (mut claim, now) = self.blockable(&t, &p, episode, spot).await?;
        claim.claim = Claim::Blocked { reason, by: p.user_id };
        match InventoryRepo::new(&t).block(&claim, now).await? {
            Ok(()) => Ok(json(StatusCode::OK, &claim, rid)),
            Err(there) => {
                let state = serde_json::to_value(there.state_at(now)).ok().and_then(|v| v.as_str().map(str::to_owned));
                Err(conflict("spot-taken", "Spot taken", format!("the spot is {}", state.unwrap_or_default())))
            }
        }
    }

    async fn unblock(&self, req: &Request, episode: &str, spot: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (claim, _) = self.blockable(&t, &p, episode, spot).await?;
        InventoryRepo::new(&t).unblock(&claim.spot).await?;
        Ok(no_content(rid))
    }
}

/// The placed spots with their show, air date and price (the campaign's negotiated rate for the
/// show and position, else the rate card's, at this moment).
fn placed(
    p: &Placement,
    shows: &BTreeMap<ShowId, Show>,
    episodes: &[EpisodeInventory],
    overrides: &[RateOverride],
) -> Vec<PlacedSpot> {
    p.spots
        .iter()
        .filter_map(|s| {
            let e = episodes.iter().find(|e| e.episode_id == s.episode_id)?;
            let show = shows.get(&e.show_id)?;
            Some(PlacedSpot {
                at: *s,
                episode_id: s.episode_id,
                show_id: e.show_id,
                air_date: e.air_date,
                spot: format!("{}-{}", position_name(s.position), s.index),
                price: spot_price(&show.ad_config, overrides, show.id, s.position),
            })
        })
        .collect()
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &InventoryApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::GET, ["inventory"]) => app.avails(req, &rid).await,
        (&Method::GET, ["shows", id, "sell-through"]) => app.sell_through(req, id, &rid).await,
        (&Method::POST, ["campaigns", id, "holds"]) => app.hold(req, id, &rid).await,
        (&Method::GET, ["campaigns", id, "holds"]) => app.holds(req, id, &rid).await,
        (&Method::POST, ["campaigns", id, "holds", hold, "extend"]) => app.extend(req, id, hold, &rid).await,
        (&Method::DELETE, ["campaigns", id, "holds", hold]) => app.release(req, id, hold, &rid).await,
        (&Method::POST, ["episodes", id, "spots", spot, "block"]) => app.block(req, id, spot, &rid).await,
        (&Method::DELETE, ["episodes", id, "spots", spot, "block"]) => app.unblock(req, id, spot, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
