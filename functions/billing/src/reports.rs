//! The billing reports: receivables by age, and revenue (booked, delivered, invoiced, collected)
//! by month, show, seller or client.

use chrono::{Datelike, Utc};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::billing::account::statements;
use podcastflow_domain::billing::aging::{Bucket, aging};
use podcastflow_domain::billing::invoice::InvoiceStatus;
use podcastflow_domain::billing::revenue::{GroupBy, RevenueFacts, revenue};
use podcastflow_domain::delivery::report::csv as to_csv;
use podcastflow_domain::order::{OrderStatus, Rate};
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::{CampaignId, EpisodeId};
use podcastflow_domain::{ClientId, Money};
use podcastflow_platform::{Outcome, allow, csv, json, prefers_csv, principal};
use podcastflow_platform::{Problem, query_date_range, query_param};
use podcastflow_store::repo::all_pages;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::campaigns::CampaignRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::delivery::DeliveryRepo;
use podcastflow_store::repo::episodes::EpisodeRepo;
use podcastflow_store::repo::orders::OrderRepo;
use serde_json::json;

use crate::BillingApp;

/// The longest range of the revenue report, in days.
const MAX_REVENUE_DAYS: i64 = 366;

impl BillingApp {
    pub(crate) async fn receivables(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::BillingReport, &Resource::Org(p.org_id))?;
        let t = self.ctx.tenant(&p, req);
        let repo = BillingRepo::new(&t);
        let mut open = Vec::new();
        // What is owed is in these three statuses only: the report reads them, not every invoice.
        for status in [InvoiceStatus::Issued, InvoiceStatus::PartiallyPaid, InvoiceStatus::Overdue] {
            let repo = &repo;
            open.extend(all_pages(|c| async move { repo.in_status(status, c.as_deref(), 100).await }).await?);
        }
        let today = podcastflow_platform::principal::org_today(req, &p, Utc::now());
        let rows = aging(&open, today);
        let mut ids: Vec<ClientId> = rows.iter().map(|r| r.client_id).collect();
        ids.dedup();
        let names: std::collections::BTreeMap<ClientId, String> =
            ClientRepo::new(&t).get_many(&ids).await?.into_iter().map(|c| (c.id, c.name)).collect();
        let name = |c: &ClientId| names.get(c).cloned().unwrap_or_default();
        if prefers_csv(req) {
            let mut header = vec!["clientId", "client", "currency"];
            let labels: Vec<String> =
                Bucket::ALL.iter().map(|b| json!(b).as_str().unwrap_or_default().to_owned()).collect();
            header.extend(labels.iter().map(String::as_str));
            header.push("total");
            let lines = rows.iter().map(|r| {
                let mut cells = vec![r.client_id.to_string(), name(&r.client_id), r.currency.to_string()];
                cells.extend(Bucket::ALL.iter().map(|b| r.buckets.get(b).copied().unwrap_or(0).to_string()));
                cells.push(r.total.to_string());
                cells
            });
            return Ok(csv(to_csv(&header, lines), &format!("receivables-{today}.csv"), rid));
        }
        let items: Vec<_> = rows
            .iter()
            .map(|r| {
                let buckets: serde_json::Map<String, serde_json::Value> = r
                    .buckets
                    .iter()
                    .map(|(b, a)| (json!(b).as_str().unwrap_or_default().to_owned(), json!(Money::new(*a, r.currency))))
                    .collect();
                json!({"clientId": r.client_id, "clientName": name(&r.client_id), "currency": r.currency,
                    "buckets": buckets, "total": Money::new(r.total, r.currency)})
            })
            .collect();
        Ok(json(StatusCode::OK, &json!({"asOf": today, "items": items}), rid))
    }

    pub(crate) async fn revenue(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        allow(&p, Action::BillingReport, &Resource::Org(p.org_id))?;
        let (from, to) = query_date_range(req)?
            .filter(|(f, t)| f.year() > 1 && t.year() < 9999)
            .ok_or_else(|| Problem::field("from", "required", "from and to, YYYY-MM-DD"))?;
        if (to - from).num_days() >= MAX_REVENUE_DAYS {
            return Err(Problem::field("to", "out_of_range", "at most 366 days after from").into());
        }
        let by = match query_param(req, "groupBy").as_deref().unwrap_or("month") {
            "month" => GroupBy::Month,
            "show" => GroupBy::Show,
            "seller" => GroupBy::Seller,
            "client" => GroupBy::Client,
            _ => return Err(Problem::field("groupBy", "invalid", "month, show, seller or client").into()),
        };
        let t = self.ctx.tenant(&p, req);
        let orders = OrderRepo::new(&t);
        let all = all_pages(|c| {
            let orders = &orders;
            async move { orders.list(c.as_deref(), 100).await }
        })
        .await?;
        let sold: Vec<_> =
            all.into_iter().filter(|o| matches!(o.status, OrderStatus::Booked | OrderStatus::Completed)).collect();
        let mut campaigns: Vec<CampaignId> = sold.iter().map(|o| o.campaign_id).collect();
        campaigns.sort();
        campaigns.dedup();
        let owners: std::collections::BTreeMap<CampaignId, podcastflow_domain::UserId> =
            CampaignRepo::new(&t).get_many(&campaigns).await?.into_iter().map(|c| (c.id, c.owner_id)).collect();
        let mut delivered = Vec::new();
        for c in &campaigns {
            for d in DeliveryRepo::new(&t).campaign_days(c, from, to).await? {
                delivered.push((d.order_id, d.line, d.day, d.impressions));
            }
        }
        let flat: Vec<EpisodeId> = sold
            .iter()
            .flat_map(|o| o.lines.iter())
            .filter(|l| matches!(l.rate, Rate::Flat(_)) && from <= l.air_date && l.air_date <= to)
            .map(|l| l.spot.episode_id)
            .collect();
        let published = EpisodeRepo::new(&t).published_among(&flat).await?;
        let repo = BillingRepo::new(&t);
        let invoices = all_pages(|c| {
            let repo = &repo;
            async move { repo.list(c.as_deref(), 100).await }
        })
        .await?;
        let with_owner: Vec<_> =
            sold.into_iter().filter_map(|o| owners.get(&o.campaign_id).copied().map(|s| (o, s))).collect();
        let facts =
            RevenueFacts { orders: &with_owner, delivered: &delivered, published: &published, invoices: &invoices };
        let rows = revenue(&facts, from, to, by);
        let group = json!(by).as_str().unwrap_or_default().to_owned();
        if prefers_csv(req) {
            let lines = rows.iter().map(|r| {
                vec![
                    r.key.clone(),
                    r.currency.map(|c| c.to_string()).unwrap_or_default(),
                    r.booked.to_string(),
                    r.delivered.to_string(),
                    r.invoiced.to_string(),
                    r.collected.to_string(),
                ]
            });
            let header = [group.as_str(), "currency", "booked", "delivered", "invoiced", "collected"];
            return Ok(csv(to_csv(&header, lines), &format!("revenue-{from}-{to}-by-{group}.csv"), rid));
        }
        let items: Vec<_> = rows
            .iter()
            .filter_map(|r| {
                let c = r.currency?;
                Some(json!({"key": r.key, "currency": c, "booked": Money::new(r.booked, c),
                    "delivered": Money::new(r.delivered, c), "invoiced": Money::new(r.invoiced, c),
                    "collected": Money::new(r.collected, c)}))
            })
            .collect();
        Ok(json(StatusCode::OK, &json!({"from": from, "to": to, "groupBy": group, "items": items}), rid))
    }

    pub(crate) async fn statement(&self, req: &Request, client: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let id: ClientId = client.parse().map_err(|_| podcastflow_platform::not_found())?;
        let c = ClientRepo::new(&t).get(&id).await?.ok_or_else(podcastflow_platform::not_found)?;
        let resource = Resource::Invoice { org: c.org_id, bill_to: c.id, sellers: &c.assigned_seller_ids };
        allow(&p, Action::InvoiceRead, &resource)?;
        let today = podcastflow_platform::principal::org_today(req, &p, Utc::now());
        let (from, to) = match query_date_range(req)? {
            Some((f, t)) if f.year() > 1 && t.year() < 9999 => (f, t),
            Some(_) => return Err(Problem::field("from", "required", "from and to together, YYYY-MM-DD").into()),
            None => (today - chrono::Duration::days(89), today),
        };
        if (to - from).num_days() >= MAX_REVENUE_DAYS {
            return Err(Problem::field("to", "out_of_range", "at most 366 days after from").into());
        }
        let repo = BillingRepo::new(&t);
        let invoices = all_pages(|cursor| {
            let repo = &repo;
            async move { repo.of_client(&id, cursor.as_deref(), 100).await }
        })
        .await?;
        let money = |amount: i64, currency| json!(Money::new(amount, currency));
        let items: Vec<_> = statements(&invoices, from, to)
            .into_iter()
            .map(|s| {
                let entries: Vec<_> = s
                    .entries
                    .iter()
                    .map(|e| {
                        json!({"date": e.date, "kind": e.kind, "invoiceId": e.invoice_id, "reference": e.reference,
                            "amount": money(e.amount, s.currency), "balance": money(e.balance, s.currency)})
                    })
                    .collect();
                let open: Vec<_> = s
                    .open
                    .iter()
                    .map(|o| {
                        json!({"invoiceId": o.invoice_id, "number": o.number, "dueDate": o.due_date,
                            "balance": money(o.balance, s.currency)})
                    })
                    .collect();
                json!({"currency": s.currency, "opening": money(s.opening, s.currency), "entries": entries,
                    "closing": money(s.closing, s.currency), "open": open})
            })
            .collect();
        let body = json!({"clientId": c.id, "clientName": c.name, "from": from, "to": to, "statements": items});
        Ok(json(StatusCode::OK, &body, rid))
    }
}
