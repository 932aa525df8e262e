//! The routes of `delivery`.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::delivery::methodology::methodology;
use podcastflow_domain::delivery::records::{self, LineDay};
use podcastflow_domain::delivery::report::{self, Granularity, LineDelivery, Period, csv as to_csv, series};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::order::Order;
use podcastflow_domain::organization::Organization;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{CampaignId, OrderId, Principal};
use podcastflow_platform::visibility::{Facts, Needs};
use podcastflow_platform::{
    Failure, Outcome, Problem, RoutePath, allow, csv, json, not_found, prefers_csv, principal, query_date_range,
    query_param, request_id,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::delivery::{DayCounts, DeliveryRepo};
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use serde_json::{Value, json};

use crate::DeliveryApp;

/// The longest range a report covers, in days.
const MAX_RANGE_DAYS: i64 = 366;
/// The range without `from` and `to`: this many days to today.
const DEFAULT_DAYS: i64 = 30;
/// Orders of a campaign read for its delivery, at most.
const MAX_ORDERS: usize = 200;

/// A report's range and cut.
struct Range {
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
}

/// A report's range as the request asks for it, checked before anything is read.
struct RangeQuery {
    given: Option<(NaiveDate, NaiveDate)>,
    open_from: bool,
    open_to: bool,
    granularity: Granularity,
}

impl RangeQuery {
    /// `from`, `to` and `granularity` of the request; 400 for a bad one.
    fn parse(req: &Request) -> Result<RangeQuery, Problem> {
        let granularity = match query_param(req, "granularity").as_deref() {
            None | Some("day") => Granularity::Day,
            Some("week") => Granularity::Week,
            Some(_) => return Err(Problem::field("granularity", "invalid", "day or week")),
        };
        let given = query_date_range(req)?;
        let (open_from, open_to) = (query_param(req, "from").is_none(), query_param(req, "to").is_none());
        if let Some((from, to)) = given
            && !open_from
            && !open_to
            && (to - from).num_days() >= MAX_RANGE_DAYS
        {
            return Err(Problem::field("to", "range_too_long", "at most 366 days after from"));
        }
        Ok(RangeQuery { given, open_from, open_to, granularity })
    }

    /// The range by the organization's `today`: by default the last 30 days to today; an open
    /// end 30 days from the other.
    fn resolve(&self, today: NaiveDate) -> Range {
        let (from, to) = match self.given {
            None => (today - Duration::days(DEFAULT_DAYS - 1), today),
            Some((_, to)) if self.open_from => (to - Duration::days(DEFAULT_DAYS - 1), to),
            Some((from, _)) if self.open_to => (from, from + Duration::days(DEFAULT_DAYS - 1)),
            Some(given) => given,
        };
        Range { from, to, granularity: self.granularity }
    }
}

fn counts_map(d: &DayCounts) -> BTreeMap<String, i64> {
    let mut m = d.counts.clone();
    let ads: i64 = m.iter().filter(|(k, _)| records::is_ad_attribute(k)).map(|(_, n)| n).sum();
    if !m.contains_key("adDeliveries") {
        m.insert("adDeliveries".into(), ads);
    }
    m
}

fn range_json(r: &Range, zone: &str) -> Value {
    json!({"from": r.from, "to": r.to, "granularity": r.granularity, "timezone": zone})
}

impl DeliveryApp {
    pub(crate) async fn organization(&self, t: &TenantTable) -> Result<Organization, Failure> {
        Ok(OrganizationRepo::new(t, t.cursors()).get(t.org()).await?.ok_or_else(not_found)?)
    }

    /// The facts of `kind` `id` that `p` may read, or 404; 403 when reading is allowed but
    /// `action` is not (judged on `resource` of the facts, or on `show` for an episode).
    pub(crate) async fn facts(
        &self,
        t: &TenantTable,
        p: &Principal,
        kind: EntityKind,
        id: &str,
    ) -> Result<Facts, Failure> {
        let facts =
            Facts::load(t, Needs::of(p.role), &EntityRef { kind, id: id.to_owned() }).await?.ok_or_else(not_found)?;
        facts.lens(p).ok_or_else(not_found)?;
        Ok(facts)
    }

    /// Every order of a campaign (at most [`MAX_ORDERS`]).
    async fn orders_of(&self, t: &TenantTable, campaign: &CampaignId) -> Result<Vec<Order>, Failure> {
        let repo = OrderRepo::new(t);
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = repo.of_campaign(campaign, cursor.as_deref(), 100).await?;
            out.extend(page.items);
            match page.cursor {
                Some(c) if out.len() < MAX_ORDERS => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    /// The lines of `orders` with their delivery to `today`, and the rollup rows of `campaign`
    /// that belong to them within `within` (none without it), from one read of the rollups.
    async fn lines(
        &self,
        t: &TenantTable,
        campaign: &CampaignId,
        orders: &[Order],
        within: Option<&Range>,
        today: NaiveDate,
    ) -> Result<(Vec<LineDelivery>, Vec<LineDay>), Failure> {
        let Some(first) = orders.iter().flat_map(|o| o.lines.iter().map(|l| l.air_date)).min() else {
            return Ok((report::lines_of(orders, &BTreeMap::new(), today), Vec::new()));
        };
        // Everything recorded since the first air date (logs can carry days the organization's
        // clock has not reached yet: a CDN in another zone), and the range asked for.
        let (mut from, mut to) = (first, today.max(first) + Duration::days(MAX_RANGE_DAYS));
        if let Some(r) = within {
            (from, to) = (from.min(r.from), to.max(r.to));
        }
        let rows = DeliveryRepo::new(t).campaign_days(campaign, from, to).await?;
        let mut delivered: BTreeMap<(OrderId, u32), u64> = BTreeMap::new();
        for d in rows.iter().filter(|d| d.day >= first) {
            *delivered.entry((d.order_id, d.line)).or_default() += d.impressions;
        }
        let lines = report::lines_of(orders, &delivered, today);
        let theirs = |d: &LineDay| lines.iter().any(|l| l.order_id == d.order_id && l.line == d.line);
        let in_range = rows
            .into_iter()
            .filter(|d| within.is_some_and(|r| r.from <= d.day && d.day <= r.to) && theirs(d))
            .collect();
        Ok((lines, in_range))
    }

    async fn campaign_delivery(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let asked = RangeQuery::parse(req)?;
        let t = self.ctx.tenant(&p, req);
        let facts = self.facts(&t, &p, EntityKind::Campaign, id).await?;
        allow(&p, Action::DeliveryRead, &facts.resource())?;
        let Facts::Campaign(c, _) = facts else { return Err(not_found().into()) };
        let org = self.organization(&t).await?;
        let today = org.settings.today(Utc::now());
        let r = asked.resolve(today);
        let orders = self.orders_of(&t, &c.id).await?;
        let (lines, days) = self.lines(&t, &c.id, &orders, Some(&r), today).await?;
        let number =
            |o: &OrderId| lines.iter().find(|l| l.order_id == *o).map(|l| l.order_number.clone()).unwrap_or_default();
        if prefers_csv(req) {
            let rows = days.iter().map(|d| {
                let episode = lines
                    .iter()
                    .find(|l| l.order_id == d.order_id && l.line == d.line)
                    .map(|l| l.episode_id.to_string());
                vec![
                    d.day.to_string(),
                    number(&d.order_id),
                    d.line.to_string(),
                    episode.unwrap_or_default(),
                    d.impressions.to_string(),
                ]
            });
            let body = to_csv(&["date", "order", "line", "episodeId", "impressions"], rows);
            return Ok(csv(body, &format!("campaign-{}-delivery.csv", c.id), rid));
        }
        let daily = days.iter().map(|d| (d.day, BTreeMap::from([("impressions".to_owned(), d.impressions as i64)])));
        let periods: Vec<Period> = series(daily, r.granularity, &[]);
        let impressions: u64 = days.iter().map(|d| d.impressions).sum();
        let body = json!({
            "campaignId": c.id,
            "range": range_json(&r, &org.settings.timezone),
            "impressions": impressions,
            "series": periods,
            "lines": lines,
            "pacing": report::total_pacing(&lines, today),
        });
        Ok(json(StatusCode::OK, &body, rid))
    }

    async fn order_delivery(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let facts = self.facts(&t, &p, EntityKind::Order, id).await?;
        allow(&p, Action::DeliveryRead, &facts.resource())?;
        let Facts::Order(o, c, _) = facts else { return Err(not_found().into()) };
        let org = self.organization(&t).await?;
        let today = org.settings.today(Utc::now());
        let (lines, _) = self.lines(&t, &c.id, std::slice::from_ref(&o), None, today).await?;
        if prefers_csv(req) {
            let rows = lines.iter().map(|l| {
                let p = l.pacing.as_ref();
                vec![
                    l.line.to_string(),
                    l.episode_id.to_string(),
                    l.spot.clone(),
                    l.air_date.to_string(),
                    l.goal.map(|g| g.to_string()).unwrap_or_default(),
                    l.delivered.to_string(),
                    p.map(|p| p.expected.to_string()).unwrap_or_default(),
                    p.and_then(|p| p.percent).map(|x| x.to_string()).unwrap_or_default(),
                    p.map(|p| {
                        serde_json::to_value(p.status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    })
                    .unwrap_or_default(),
                ]
            });
            let header = ["line", "episodeId", "spot", "airDate", "goal", "delivered", "expected", "percent", "status"];
            return Ok(csv(to_csv(&header, rows), &format!("order-{}-delivery.csv", o.number), rid));
        }
        let body = json!({
            "orderId": o.id,
            "number": o.number,
            "campaignId": o.campaign_id,
            "status": o.status,
            "asOf": today,
            "lines": lines,
            "pacing": report::total_pacing(&lines, today),
        });
        Ok(json(StatusCode::OK, &body, rid))
    }

    async fn analytics(&self, req: &Request, kind: EntityKind, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let asked = RangeQuery::parse(req)?;
        let t = self.ctx.tenant(&p, req);
        let facts = self.facts(&t, &p, kind, id).await?;
        let repo = DeliveryRepo::new(&t);
        let org = self.organization(&t).await?;
        let r = asked.resolve(org.settings.today(Utc::now()));
        let (days, name, daily_only): (Vec<DayCounts>, String, &[&str]) = match &facts {
            Facts::Show(s, _) => {
                allow(&p, Action::AnalyticsRead, &facts.resource())?;
                (repo.show_days(&s.id, r.from, r.to).await?, format!("show-{}", s.id), &[])
            }
            Facts::Episode(e, show) => {
                let resource = Resource::Show {
                    org: show.org_id,
                    producers: &show.producer_ids,
                    talent: &show.talent_ids,
                    campaign_clients: &[],
                };
                allow(&p, Action::AnalyticsRead, &resource)?;
                (repo.episode_days(&e.id, r.from, r.to).await?, format!("episode-{}", e.id), &["listeners"])
            }
            _ => return Err(not_found().into()),
        };
        let daily: Vec<(NaiveDate, BTreeMap<String, i64>)> =
            days.iter().filter_map(|d| d.day.map(|day| (day, counts_map(d)))).collect();
        let periods = series(daily, r.granularity, daily_only);
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for period in &periods {
            for (k, n) in &period.counts {
                if !daily_only.contains(&k.as_str()) {
                    *totals.entry(k.clone()).or_default() += n;
                }
            }
        }
        if prefers_csv(req) {
            let mut columns: Vec<String> = vec!["downloads".into(), "adDeliveries".into()];
            if r.granularity == Granularity::Day && !daily_only.is_empty() {
                columns.push("listeners".into());
            }
            let rows = periods.iter().map(|pd| {
                let mut row = vec![pd.period.to_string()];
                row.extend(columns.iter().map(|c| pd.counts.get(c).copied().unwrap_or(0).to_string()));
                row
            });
            let mut header = vec!["period"];
            header.extend(columns.iter().map(String::as_str));
            return Ok(csv(to_csv(&header, rows), &format!("{name}-analytics.csv"), rid));
        }
        let body = json!({
            "entity": {"type": kind, "id": id},
            "range": range_json(&r, &org.settings.timezone),
            "totals": totals,
            "series": periods,
        });
        Ok(json(StatusCode::OK, &body, rid))
    }

    async fn methodology(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::OrganizationRead, &Resource::Org(p.org_id))?;
        let t = self.ctx.tenant(&p, req);
        let org = self.organization(&t).await?;
        Ok(json(StatusCode::OK, &methodology(&org.settings), rid))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &DeliveryApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::GET, ["campaigns", id, "delivery"]) => app.campaign_delivery(req, id, &rid).await,
        (&Method::GET, ["orders", id, "delivery"]) => app.order_delivery(req, id, &rid).await,
        (&Method::GET, ["shows", id, "analytics"]) => app.analytics(req, EntityKind::Show, id, &rid).await,
        (&Method::GET, ["episodes", id, "analytics"]) => app.analytics(req, EntityKind::Episode, id, &rid).await,
        (&Method::GET, ["delivery", "methodology"]) => app.methodology(req, &rid).await,
        (&Method::POST, ["delivery", "recounts"]) => app.request_recount(req, &rid).await,
        (&Method::GET, ["delivery", "recounts", id]) => app.recount(req, id, &rid).await,
        (&Method::POST, ["campaigns", id, "delivery", "evidence"]) => app.request_evidence(req, id, &rid).await,
        (&Method::GET, ["campaigns", id, "delivery", "evidence", export]) => app.evidence(req, id, export, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
