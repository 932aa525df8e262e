//! The routes of `orders`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::campaign::{Campaign, CampaignStatus};
use podcastflow_domain::inventory::hold::{Hold, HoldStatus};
use podcastflow_domain::inventory::spot::{InvalidSpotId, SpotId, SpotRef};
use podcastflow_domain::order::transitions::{self, TransitionError, next_statuses};
use podcastflow_domain::order::{
    self, AdType, BillingCalendar, BillingMode, Order, OrderHistoryEntry, OrderLine, OrderStatus, Rate, view,
};
use podcastflow_domain::permissions::{self, Action, Denial, Resource, Scope};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{CampaignId, Currency, EpisodeId, HoldId, OrderId, Principal, Stamp, ValidationErrors};
use podcastflow_platform::visibility::{CampaignRelations, Facts, Needs};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, RoutePath, allow, created, denied, idempotency, json, json_body,
    json_with_etag, not_found, optional_if_match, paging, principal, query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::orders::{BookError, OrderRepo};
use serde::Deserialize;
use serde_json::Value;

use crate::OrdersApp;

/// Longest reason kept in the history.
const MAX_REASON: usize = 1000;

/// One line as a request names it: a spot the campaign holds, and what it sells for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineChoice {
    episode_id: EpisodeId,
    spot: String,
    #[serde(default)]
    ad_type: Option<AdType>,
    #[serde(default)]
    rate: Option<Rate>,
    #[serde(default)]
    impression_goal: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateOrder {
    campaign_id: CampaignId,
    #[serde(default)]
    hold_ids: Option<Vec<HoldId>>,
    #[serde(default)]
    lines: Option<Vec<LineChoice>>,
    #[serde(default)]
    ad_type: AdType,
    #[serde(default)]
    billing_mode: BillingMode,
    #[serde(default)]
    billing_calendar: BillingCalendar,
    #[serde(default)]
    payment_terms_days: Option<u16>,
    #[serde(default)]
    external_order_number: Option<String>,
    #[serde(default)]
    internal_notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateOrder {
    #[serde(default)]
    lines: Option<Vec<LineChoice>>,
    #[serde(default)]
    billing_mode: Option<BillingMode>,
    #[serde(default)]
    billing_calendar: Option<BillingCalendar>,
    #[serde(default)]
    payment_terms_days: Option<u16>,
    /// Empty clears it.
    #[serde(default)]
    external_order_number: Option<String>,
    /// Empty clears it.
    #[serde(default)]
    internal_notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransitionRequest {
    to: OrderStatus,
    #[serde(default)]
    reason: Option<String>,
}

fn conflict(kind: &str, title: &str, detail: impl Into<String>) -> Failure {
    Problem::new(kind, StatusCode::CONFLICT, title).detail(detail).into()
}

/// A text that is cleared when empty.
fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The lines an order sells, from the campaign's live holds at `now`: the spots `picks` names
/// (each held by one of them), or else every spot of the holds `chosen` names (or of all of
/// them). Numbered from 1 in air order; each at the price it was held at unless a rate is named.
fn lines_from(
    holds: &BTreeMap<HoldId, Hold>,
    chosen: Option<&[HoldId]>,
    picks: Option<&[LineChoice]>,
    ad_type: AdType,
    now: DateTime<Utc>,
) -> Result<Vec<OrderLine>, Failure> {
    let live = |h: &&Hold| h.status == HoldStatus::Active && h.is_live(now);
    if let Some(ids) = chosen {
        for id in ids {
            if !holds.get(id).is_some_and(|h| live(&h)) {
                return Err(conflict("hold-not-active", "Hold not active", format!("hold {id} holds nothing now")));
            }
        }
    }
    let usable: Vec<&Hold> =
        holds.values().filter(live).filter(|h| chosen.is_none_or(|ids| ids.contains(&h.id))).collect();
    let mut held = BTreeMap::new();
    for h in &usable {
        for s in &h.spots {
            held.entry(s.spot).or_insert((*h, *s));
        }
    }
    let mut lines = Vec::new();
    match picks {
        Some(picks) => {
            if picks.is_empty() || picks.len() > order::MAX_LINES {
                return Err(Problem::field("lines", "invalid", &format!("1 to {} lines", order::MAX_LINES)).into());
            }
            for (i, pick) in picks.iter().enumerate() {
                let id: SpotId = pick.spot.parse().map_err(|e: InvalidSpotId| {
                    Problem::field(&format!("lines[{i}].spot"), "invalid", &e.to_string())
                })?;
                let spot = SpotRef::of(pick.episode_id, id);
                let Some((hold, s)) = held.get(&spot) else {
                    return Err(conflict(
                        "spot-not-held",
                        "Spot not held",
                        format!("lines[{i}]: the campaign holds no {} of episode {}", id, pick.episode_id),
                    ));
                };
                let rate = pick.rate.or(Rate::of_price(&s.price)).ok_or_else(|| {
                    Problem::field(&format!("lines[{i}].rate"), "required", "the spot was held without a price")
                })?;
                lines.push(OrderLine::of_held(
                    0,
                    hold.id,
                    s,
                    pick.ad_type.unwrap_or(ad_type),
                    rate,
                    pick.impression_goal,
                ));
            }
        }
        None => {
            for (hold, s) in held.values() {
                let rate = Rate::of_price(&s.price).ok_or_else(|| {
                    Problem::field(
                        "lines",
                        "required",
                        &format!(
                            "{} of episode {} was held without a price: name its rate",
                            s.spot.id(),
                            s.spot.episode_id
                        ),
                    )
                })?;
                lines.push(OrderLine::of_held(0, hold.id, s, ad_type, rate, None));
            }
            if lines.is_empty() {
                return Err(conflict(
                    "nothing-held",
                    "Nothing held",
                    "the campaign holds no spots now: hold some first",
                ));
            }
        }
    }
    lines.sort_by_key(|l| (l.air_date, l.spot));
    for (n, l) in lines.iter_mut().enumerate() {
        l.line = n as u32 + 1;
    }
    Ok(lines)
}

/// The currency of an order's lines (the first line's; validation holds every other to it).
fn currency_of(lines: &[OrderLine]) -> Currency {
    lines.first().map_or(Currency::USD, |l| l.rate.money().currency)
}

/// The problem answering a refused transition: its reason in `detail`, what is allowed instead.
fn refused(e: &TransitionError, o: &Order, p: &Principal) -> Failure {
    let next: Vec<&str> = next_statuses(o.status, p.role).iter().map(OrderStatus::as_str).collect();
    let allowed = if next.is_empty() { "none".to_owned() } else { next.join(", ") };
    let detail = format!("{e}; from {} the next statuses are: {allowed}", o.status);
    match e {
        TransitionError::ReasonRequired(_) => {
            let mut v = ValidationErrors::new();
            v.add("reason", "required", e.to_string());
            Problem::new("transition-reason-required", StatusCode::UNPROCESSABLE_ENTITY, "Reason required")
                .detail(detail)
                .fields(v)
                .into()
        }
        TransitionError::NoLines | TransitionError::NotAired { .. } => {
            Problem::new("transition-not-ready", StatusCode::UNPROCESSABLE_ENTITY, "Order not ready")
                .detail(detail)
                .into()
        }
        TransitionError::AdminOnly { .. } => {
            Problem::new("transition-admin-only", StatusCode::FORBIDDEN, "Admins only").detail(detail).into()
        }
        _ => conflict("transition-not-allowed", "Transition not allowed", detail),
    }
}

impl OrdersApp {
    /// The campaign `id` with its relations, if `p` may take `action` on its orders (404 when
    /// they cannot read them, 403 when they read but may not act).
    async fn campaign(
        &self,
        t: &TenantTable,
        p: &Principal,
        id: &CampaignId,
        action: Action,
    ) -> Result<(Campaign, CampaignRelations), Failure> {
        let (c, rel) = CampaignRelations::load_campaign(t, Needs::of(p.role), id).await?.ok_or_else(not_found)?;
        allow(p, action, &Resource::Campaign(rel.facts(&c)))?;
        Ok((c, rel))
    }

    /// The order `id` and what `p` sees of it, if they may take `action` on it.
    async fn order(&self, t: &TenantTable, p: &Principal, id: &str, action: Action) -> Result<(Order, Lens), Failure> {
        let id: OrderId = id.parse().map_err(|_| not_found())?;
        let o = OrderRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let facts = Facts::order(t, Needs::of(p.role), o).await?.ok_or_else(not_found)?;
        let lens = facts.lens(p).ok_or_else(not_found)?;
        allow(p, action, &facts.resource())?;
        let Facts::Order(o, ..) = facts else { return Err(not_found().into()) };
        Ok((o, lens))
    }

    async fn create(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let body: CreateOrder = json_body(req)?;
        let (campaign, _) = self.campaign(&t, &p, &body.campaign_id, Action::OrderWrite).await?;
        if !matches!(campaign.status, CampaignStatus::Won | CampaignStatus::Live) {
            return Err(conflict(
                "campaign-not-won",
                "Campaign not won",
                format!("an order is made from a won or live campaign; this one is {}", campaign.status),
            ));
        }
        let advertiser = campaign.client_id.ok_or_else(|| {
            conflict("campaign-without-client", "Campaign without client", "choose the campaign's advertiser first")
        })?;
        let make = || async {
            let now = Utc::now();
            let holds = OrderRepo::new(&t).holds_of(&campaign.id).await?;
            let lines = lines_from(&holds, body.hold_ids.as_deref(), body.lines.as_deref(), body.ad_type, now)?;
            let o = Order {
                id: OrderId::new(),
                org_id: p.org_id,
                number: String::new(),
                campaign_id: campaign.id,
                advertiser_id: advertiser,
                status: OrderStatus::Draft,
                currency: currency_of(&lines),
                lines,
                billing_mode: body.billing_mode,
                billing_calendar: body.billing_calendar,
                payment_terms_days: body.payment_terms_days.unwrap_or(order::DEFAULT_PAYMENT_TERMS_DAYS),
                external_order_number: text(body.external_order_number.clone()),
                internal_notes: text(body.internal_notes.clone()),
                history: Vec::new(),
                stamp: Stamp::created(p.user_id, now),
            };
            o.validate().map_err(Problem::validation)?;
            let o = OrderRepo::new(&t).create(o, order::number_year(now)).await?;
            let location = format!("/orders/{}", o.id);
            Ok(created(&view::render(&o, Lens::Full), Some(o.stamp.version), &location, rid))
        };
        idempotency::once(&t, req, &p, make).await
    }

    async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let paging = paging(req)?;
        let repo = OrderRepo::new(&t);
        let (cursor, limit) = (paging.cursor.as_deref(), paging.limit);
        if let Some(id) = query_param(req, "campaignId") {
            let id: CampaignId = id.parse().map_err(|_| Problem::field("campaignId", "invalid", "a campaign id"))?;
            let (c, rel) = self.campaign(&t, &p, &id, Action::OrderRead).await?;
            let view = permissions::authorize(&p, Action::OrderRead, &Resource::Campaign(rel.facts(&c)))
                .map_err(|_| not_found())?;
            let page = repo.of_campaign(&id, cursor, limit).await?;
            let items: Vec<Value> = page.items.iter().map(|o| view::render(o, Lens::of(view))).collect();
            return Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid));
        }
        let page = match (permissions::scope(Action::OrderRead, p.role), p.client_id) {
            (Scope::All(_), _) => repo.list(cursor, limit).await?,
            (Scope::Related, Some(client)) if p.role == podcastflow_domain::Role::Client => {
                repo.of_advertiser(&client, cursor, limit).await?
            }
            (Scope::Related, _) => repo.list(cursor, limit).await?,
            // A role that reads no order lists none: refused outright, as no id is involved.
            (Scope::None, _) => return Err(denied(Denial::Forbidden).into()),
        };
        // Each order as its reader sees it; an order of a campaign they do not read is left out
        // (a seller's page may hold fewer than the limit). Each campaign is judged once.
        let mut judged: BTreeMap<CampaignId, Option<Lens>> = BTreeMap::new();
        let mut items = Vec::new();
        for o in page.items {
            let lens = match judged.get(&o.campaign_id) {
                Some(l) => *l,
                None => {
                    let l = Facts::order(&t, Needs::of(p.role), o.clone()).await?.and_then(|f| f.lens(&p));
                    judged.insert(o.campaign_id, l);
                    l
                }
            };
            if let Some(lens) = lens {
                items.push(view::render(&o, lens));
            }
        }
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (o, lens) = self.order(&t, &p, id, Action::OrderRead).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&o, lens), o.stamp.version, rid))
    }

    async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        // The body first: a malformed one is refused whatever the order.
        let body: UpdateOrder = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let (o, _) = self.order(&t, &p, id, Action::OrderWrite).await?;
        let expected = optional_if_match(req)?.check(o.stamp.version)?;
        if o.status != OrderStatus::Draft {
            return Err(conflict(
                "order-not-draft",
                "Order not in draft",
                format!("an order's lines and terms change only in draft; this one is {}", o.status),
            ));
        }
        let now = Utc::now();
        let mut next = o.clone();
        if let Some(picks) = &body.lines {
            let holds = OrderRepo::new(&t).holds_of(&o.campaign_id).await?;
            next.lines = lines_from(&holds, None, Some(picks), AdType::default(), now)?;
            next.currency = currency_of(&next.lines);
        }
        if let Some(m) = body.billing_mode {
            next.billing_mode = m;
        }
        if let Some(c) = body.billing_calendar {
            next.billing_calendar = c;
        }
        if let Some(d) = body.payment_terms_days {
            next.payment_terms_days = d;
        }
        if body.external_order_number.is_some() {
            next.external_order_number = text(body.external_order_number);
        }
        if body.internal_notes.is_some() {
            next.internal_notes = text(body.internal_notes);
        }
        next.validate().map_err(Problem::validation)?;
        next.stamp = o.stamp.touched(p.user_id, now);
        OrderRepo::new(&t).replace(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, Lens::Full), next.stamp.version, rid))
    }

    async fn transition(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: TransitionRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let (o, lens) = self.order(&t, &p, id, Action::OrderWrite).await?;
        let expected = optional_if_match(req)?.check(o.stamp.version)?;
        let reason = text(body.reason);
        if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
            return Err(Problem::field("reason", "too_long", "at most 1000 characters").into());
        }
        let now = Utc::now();
        let today = podcastflow_platform::principal::org_today(req, &p, now);
        transitions::check(o.status, body.to, p.role, &o.guard_facts(), reason.as_deref(), today)
            .map_err(|e| refused(&e, &o, &p))?;
        let mut next = o.clone();
        next.status = body.to;
        next.history.push(OrderHistoryEntry { by: p.user_id, at: now, from: o.status, to: body.to, reason });
        next.stamp = o.stamp.touched(p.user_id, now);
        let repo = OrderRepo::new(&t);
        let stored = match body.to {
            OrderStatus::Booked => {
                let holds = repo.holds_of(&o.campaign_id).await?;
                match repo.book(&o, next, &holds, now).await {
                    Ok(stored) => stored,
                    Err(BookError::NotHeld(lines)) => {
                        let named: Vec<String> = lines.iter().take(50).map(u32::to_string).collect();
                        let more = lines.len().saturating_sub(50);
                        let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
                        return Err(conflict(
                            "order-lines-not-held",
                            "Lines no longer held",
                            format!(
                                "nothing was booked: the holds of lines {}{tail} expired or their spots were taken; \
                                 hold them again and edit the order",
                                named.join(", ")
                            ),
                        ));
                    }
                    Err(BookError::Repo(RepoError::Conflict("competitor"))) => {
                        return Err(conflict("competitive", "Competitor", "a competitor has the scope of a line"));
                    }
                    Err(BookError::Repo(e)) => return Err(e.into()),
                }
            }
            OrderStatus::Cancelled => {
                let holds =
                    if o.status.has_bookings() { repo.holds_of(&o.campaign_id).await? } else { BTreeMap::new() };
                repo.cancel(&o, &next, &holds, now).await?;
                next
            }
            _ => {
                repo.replace(&next, expected).await?;
                next
            }
        };
        Ok(json_with_etag(StatusCode::OK, &view::render(&stored, lens), stored.stamp.version, rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &OrdersApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::POST, ["orders"]) => app.create(req, &rid).await,
        (&Method::GET, ["orders"]) => app.list(req, &rid).await,
        (&Method::GET, ["orders", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["orders", id]) => app.update(req, id, &rid).await,
        (&Method::POST, ["orders", id, "transitions"]) => app.transition(req, id, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
