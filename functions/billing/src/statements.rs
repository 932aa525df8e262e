//! Revenue share: a show's terms (set by admins) and its monthly statements (admins, and the
//! show's producers and talent; a talent sees their own part only).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::billing::period::{BillingMonth, Period};
use podcastflow_domain::billing::revenue_share::{RevenueShare, statements};
use podcastflow_domain::episode::EpisodeStatus;
use podcastflow_domain::order::{BillingCalendar, Order};
use podcastflow_domain::permissions::{self, Action, Denial, Scope};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{OrderId, Role, ShowId};
use podcastflow_platform::visibility::show_resource;
use podcastflow_platform::{
    Outcome, Problem, allow, denied, json, json_body, json_with_etag, not_found, optional_if_match, principal,
    query_param,
};
use podcastflow_store::repo::all_pages;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde_json::json;

use crate::BillingApp;

impl BillingApp {
    pub(crate) async fn set_revenue_share(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        if permissions::scope(Action::InvoiceWrite, p.role) == Scope::None {
            return Err(denied(Denial::Forbidden).into());
        }
        let terms: RevenueShare = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let id: ShowId = id.parse().map_err(|_| not_found())?;
        let show = ShowRepo::new(&t).get(&id).await?.ok_or_else(not_found)?;
        allow(&p, Action::InvoiceWrite, &show_resource(&show, &[]))?;
        let expected = optional_if_match(req)?.check(show.stamp.version)?;
        for (i, s) in terms.splits.iter().enumerate() {
            if !show.talent_ids.contains(&s.talent_id) {
                return Err(Problem::field(&format!("splits[{i}].talentId"), "invalid", "a talent of the show").into());
            }
        }
        let mut next = show.clone();
        next.revenue_share = Some(terms);
        next.validate().map_err(Problem::validation)?;
        next.stamp = show.stamp.touched(p.user_id, Utc::now());
        ShowRepo::new(&t).update(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next.render(Lens::Full), next.stamp.version, rid))
    }

    pub(crate) async fn statements(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let show = query_param(req, "showId").ok_or_else(|| Problem::field("showId", "required", "a show id"))?;
        let id: ShowId = show.parse().map_err(|_| Problem::field("showId", "invalid", "a show id"))?;
        let month = query_param(req, "month").ok_or_else(|| Problem::field("month", "required", "YYYY-MM"))?;
        let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
            .map_err(|_| Problem::field("month", "invalid", "YYYY-MM"))?;
        let period: Period = BillingMonth::new(BillingCalendar::Standard, first.year(), first.month())
            .and_then(|m| m.period())
            .map_err(|e| Problem::field("month", "invalid", &e.to_string()))?;
        let show = ShowRepo::new(&t).get(&id).await?.ok_or_else(not_found)?;
        allow(&p, Action::StatementRead, &show_resource(&show, &[]))?;
        let repo = BillingRepo::new(&t);
        let invoices = all_pages(|c| {
            let repo = &repo;
            async move { repo.list(c.as_deref(), 100).await }
        })
        .await?;
        // Only the orders of invoices paid (or refunded) in the month are needed.
        let mut ids: Vec<OrderId> = invoices
            .iter()
            .filter(|i| i.payments.iter().any(|p| period.contains(p.date)))
            .map(|i| i.order_id)
            .collect();
        ids.sort();
        ids.dedup();
        let orders: Vec<Order> = OrderRepo::new(&t).get_many(&ids).await?;
        let by_id: BTreeMap<OrderId, &Order> = orders.iter().map(|o| (o.id, o)).collect();
        let episodes = EpisodeRepo::new(&t);
        let in_month = all_pages(|c| {
            let episodes = &episodes;
            async move { episodes.list_by_show(&id, Some((period.start, period.end)), c.as_deref(), 100).await }
        })
        .await?;
        let published = in_month.iter().filter(|e| e.status == EpisodeStatus::Published).count() as u32;
        let org = OrganizationRepo::new(self.ctx.org_table(&show.org_id).as_ref(), &self.ctx.cursors)
            .get(&show.org_id)
            .await?
            .ok_or_else(not_found)?;
        // A talent reads their own part; admins and the show's producers all of it.
        let reader = (p.role == Role::Talent).then_some(p.user_id);
        let items: Vec<_> = statements(&show, period, &invoices, &by_id, published, org.settings.currency)
            .into_iter()
            .map(|s| {
                let s = s.seen_by(reader);
                let c = s.currency;
                let money = |a: i64| json!({"amount": a, "currency": c});
                json!({"showId": s.show_id, "period": s.period, "currency": c,
                    "netCollected": money(s.net_collected), "episodesPublished": s.episodes_published,
                    "terms": s.terms, "owed": money(s.owed),
                    "talent": s.talent.iter().map(|t| json!({"talentId": t.talent_id, "amount": money(t.amount)})).collect::<Vec<_>>()})
            })
            .collect();
        let body = json!({"showId": show.id, "showName": show.name, "month": month, "items": items});
        Ok(json(StatusCode::OK, &body, rid))
    }
}
