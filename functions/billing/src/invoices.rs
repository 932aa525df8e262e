//! The invoice routes: list, draft by hand, read, edit, issue (with its document), pay, credit,
//! void.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::billing::charge::ChargeError;
use podcastflow_domain::billing::credit_note::{CreditNote, CreditReason, under_delivery};
use podcastflow_domain::billing::draft::DraftError;
use podcastflow_domain::billing::invoice::{AppliedCredit, Invoice, InvoiceStatus, Payment};
use podcastflow_domain::billing::period::{BillingMonth, Period};
use podcastflow_domain::billing::transitions::{InvoiceError, MAX_REASON};
use podcastflow_domain::billing::view;
use podcastflow_domain::order::MAX_PAYMENT_TERMS_DAYS;
use podcastflow_domain::permissions::{self, Action, Denial, Resource, Scope};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{ClientId, CreditNoteId, InvoiceId, Money, OrderId, PaymentId, Principal, Role, Stamp};
use podcastflow_invoicing::document::{Issuer, render};
use podcastflow_invoicing::drafting::{DraftFailure, draft_order};
use podcastflow_mail::{Attachment, Message};
use podcastflow_platform::visibility::{Facts, Needs, invoice_sellers};
use podcastflow_platform::{
    Failure, Outage, Outcome, PageBody, Problem, allow, created, denied, idempotency, json, json_body, json_with_etag,
    not_found, optional_if_match, paging, principal, query_param,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::billing::BillingRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::orders::OrderRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::BillingApp;

/// How long a document's download link works.
const DOWNLOAD_TTL: Duration = Duration::from_secs(900);
/// Longest accountants' note.
const MAX_NOTES: usize = 5000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DraftRequest {
    order_id: OrderId,
    year: i32,
    month: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    /// Empty clears them.
    #[serde(default)]
    internal_notes: Option<String>,
    #[serde(default)]
    payment_terms_days: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PaymentRequest {
    amount: Money,
    date: NaiveDate,
    method: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreditRequest {
    reason: CreditReason,
    description: String,
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default)]
    order_line: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VoidRequest {
    reason: String,
}

fn conflict(kind: &str, title: &str, detail: impl Into<String>) -> Failure {
    Problem::new(kind, StatusCode::CONFLICT, title).detail(detail).into()
}

fn outage(e: impl std::fmt::Display) -> Failure {
    Failure::Outage(Outage(e.to_string()))
}

/// A text that is cleared when empty.
fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The answer to what an invoice refused.
fn refused(e: &InvoiceError) -> Failure {
    let detail = e.to_string();
    match e {
        InvoiceError::NotDraft(_) => conflict("invoice-not-draft", "Invoice not a draft", detail),
        InvoiceError::NothingToBill => conflict("nothing-to-bill", "Nothing to bill", detail),
        InvoiceError::NotOpen(_) => conflict("invoice-not-open", "Invoice not open", detail),
        InvoiceError::HasMoney => conflict("invoice-has-payments", "Invoice has payments or credits", detail),
        InvoiceError::Currency { .. } => Problem::field("amount.currency", "currency", &detail).into(),
        InvoiceError::Zero => Problem::field("amount", "invalid", &detail).into(),
        InvoiceError::Reason => Problem::field("reason", "required", &detail).into(),
        InvoiceError::MoreThanBalance { .. } | InvoiceError::RefundTooLarge { .. } => {
            Problem::new("amount-too-large", StatusCode::UNPROCESSABLE_ENTITY, "Amount too large").detail(detail).into()
        }
    }
}

/// The answer to a draft that was not made.
fn not_drafted(e: DraftFailure) -> Failure {
    let detail = e.to_string();
    match e {
        DraftFailure::MonthNotOver { .. } => conflict("month-not-over", "Month not over", detail),
        DraftFailure::NotBillable(_) => conflict("order-not-billable", "Order not billable", detail),
        DraftFailure::NoAdvertiser => conflict("advertiser-missing", "Advertiser missing", detail),
        DraftFailure::AlreadyBilled => conflict("already-billed", "Already billed", detail),
        DraftFailure::TooManyLines => conflict("too-many-lines", "Too many lines", detail),
        DraftFailure::Draft(DraftError::Month(_)) => Problem::field("month", "invalid", &detail).into(),
        DraftFailure::Draft(DraftError::Charge(ChargeError::NoGoal(_))) => {
            conflict("line-not-priceable", "Line not priceable", detail)
        }
        DraftFailure::Draft(DraftError::MixedCurrency { .. }) => conflict("mixed-currency", "Mixed currency", detail),
        DraftFailure::Repo(e) => e.into(),
    }
}

impl BillingApp {
    /// The invoice `id` and what `p` sees of it, if they may take `action` on it (404 when they
    /// cannot read it, 403 when they read it but may not act).
    async fn invoice(
        &self,
        t: &TenantTable,
        p: &Principal,
        id: &str,
        action: Action,
    ) -> Result<(Invoice, Lens), Failure> {
        let id: InvoiceId = id.parse().map_err(|_| not_found())?;
        let i = BillingRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let facts = Facts::invoice(t, Needs::of(p.role), i).await?;
        let lens = facts.lens(p).ok_or_else(not_found)?;
        allow(p, action, &facts.resource())?;
        let Facts::Invoice(i, _) = facts else { return Err(not_found().into()) };
        Ok((*i, lens))
    }

    /// Refuses a role that never writes invoices before anything is read (no id is confirmed).
    fn writer(p: &Principal) -> Result<(), Failure> {
        match permissions::scope(Action::InvoiceWrite, p.role) {
            Scope::None => Err(denied(Denial::Forbidden).into()),
            _ => Ok(()),
        }
    }

    pub(crate) async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let paging = paging(req)?;
        let repo = BillingRepo::new(&t);
        let (cursor, limit) = (paging.cursor.as_deref(), paging.limit);
        let client = match query_param(req, "clientId") {
            Some(c) => Some(c.parse::<ClientId>().map_err(|_| Problem::field("clientId", "invalid", "a client id"))?),
            None => None,
        };
        let status = match query_param(req, "status") {
            Some(s) => Some(serde_json::from_value::<InvoiceStatus>(Value::String(s.clone())).map_err(|_| {
                Problem::field("status", "invalid", "draft, issued, partially_paid, paid, overdue or void")
            })?),
            None => None,
        };
        let scope = permissions::scope(Action::InvoiceRead, p.role);
        if scope == Scope::None {
            return Err(denied(Denial::Forbidden).into());
        }
        // A client user reads what their own client pays, whatever they ask for.
        let own =
            if p.role == Role::Client { Some(p.client_id.ok_or_else(|| denied(Denial::Forbidden))?) } else { None };
        let (items, next) = if let Some(order) = query_param(req, "orderId") {
            let order: OrderId = order.parse().map_err(|_| Problem::field("orderId", "invalid", "an order id"))?;
            (repo.of_order(&order).await?, None)
        } else if let Some(c) = own.or(client) {
            let page = repo.of_client(&c, cursor, limit).await?;
            (page.items, page.cursor)
        } else if let Some(s) = status {
            let page = repo.in_status(s, cursor, limit).await?;
            (page.items, page.cursor)
        } else {
            let page = repo.list(cursor, limit).await?;
            (page.items, page.cursor)
        };
        // Each invoice as its reader sees it, judged on its own clients' sellers (each pair of
        // clients read once); those they do not read are left out (a page may hold fewer).
        let mut sellers: BTreeMap<(ClientId, ClientId), Vec<podcastflow_domain::UserId>> = BTreeMap::new();
        let mut out = Vec::new();
        for i in items {
            if status.is_some_and(|s| s != i.status) || client.is_some_and(|c| c != i.bill_to) {
                continue;
            }
            let known = if p.role == Role::Seller {
                let pair = (i.bill_to, i.advertiser_id);
                if let std::collections::btree_map::Entry::Vacant(e) = sellers.entry(pair) {
                    e.insert(invoice_sellers(&t, &i.bill_to, &i.advertiser_id).await?);
                }
                sellers.get(&pair).cloned().unwrap_or_default()
            } else {
                Vec::new()
            };
            let resource = Resource::Invoice { org: i.org_id, bill_to: i.bill_to, sellers: &known };
            if let Ok(v) = permissions::authorize(&p, Action::InvoiceRead, &resource) {
                out.push(view::render(&i, Lens::of(v)));
            }
        }
        Ok(json(StatusCode::OK, &PageBody { items: out, next_cursor: next }, rid))
    }

    pub(crate) async fn draft(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        Self::writer(&p)?;
        let body: DraftRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let make = || async {
            let order = OrderRepo::new(&t).get(&body.order_id).await?.ok_or_else(not_found)?;
            allow(
                &p,
                Action::InvoiceWrite,
                &Resource::Invoice { org: order.org_id, bill_to: order.advertiser_id, sellers: &[] },
            )?;
            let month = BillingMonth::new(order.billing_calendar, body.year, body.month)
                .map_err(|e| Problem::field("month", "invalid", &e.to_string()))?;
            let now = Utc::now();
            let today = podcastflow_platform::principal::org_today(req, &p, now);
            match draft_order(&t, &order, month, p.user_id, now, today).await {
                Ok(Some(i)) => Ok(created(
                    &view::render(&i, Lens::Full),
                    Some(i.stamp.version),
                    &format!("/invoices/{}", i.id),
                    rid,
                )),
                Ok(None) => Err(conflict(
                    "nothing-to-bill",
                    "Nothing to bill",
                    format!("order {} owes nothing for {}-{:02}", order.number, month.year, month.month),
                )),
                Err(e) => Err(not_drafted(e)),
            }
        };
        idempotency::once(&t, req, &p, make).await
    }

    pub(crate) async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (i, lens) = self.invoice(&t, &p, id, Action::InvoiceRead).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&i, lens), i.stamp.version, rid))
    }

    pub(crate) async fn update(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: UpdateRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let (i, _) = self.invoice(&t, &p, id, Action::InvoiceWrite).await?;
        let expected = optional_if_match(req)?.check(i.stamp.version)?;
        let mut next = i.clone();
        if let Some(days) = body.payment_terms_days {
            if days > MAX_PAYMENT_TERMS_DAYS {
                return Err(Problem::field("paymentTermsDays", "invalid", "0 to 365 days").into());
            }
            if i.status != InvoiceStatus::Draft {
                return Err(conflict("invoice-not-draft", "Invoice not a draft", "terms change only in draft"));
            }
            next.payment_terms_days = days;
        }
        if body.internal_notes.is_some() {
            next.internal_notes = text(body.internal_notes);
            if next.internal_notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES) {
                return Err(Problem::field("internalNotes", "too_long", "at most 5000 characters").into());
            }
        }
        next.stamp = i.stamp.touched(p.user_id, Utc::now());
        BillingRepo::new(&t).save(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, Lens::Full), next.stamp.version, rid))
    }

    /// Renders `i`'s document into the media bucket and records it on the invoice (a versioned
    /// write); answers the invoice as stored and the PDF.
    async fn store_document(&self, t: &TenantTable, i: Invoice) -> Result<(Invoice, Vec<u8>), Failure> {
        let Some(number) = i.number.clone() else { return Ok((i, Vec::new())) };
        let org = OrganizationRepo::new(self.ctx.org_table(&i.org_id).as_ref(), &self.ctx.cursors)
            .get(&i.org_id)
            .await?
            .ok_or_else(not_found)?;
        let pdf = render(&i, &Issuer { name: &org.name, address: org.settings.billing.address.as_deref() });
        let key = Invoice::document_key(&i.org_id, &i.id, &number);
        let bucket = self.ctx.objects(&self.objects, &i.org_id).await.map_err(outage)?;
        bucket.put(&key, pdf.clone(), "application/pdf").await.map_err(outage)?;
        let mut next = i.clone();
        next.document = Some(key);
        next.stamp = i.stamp.touched(i.stamp.updated_by, Utc::now());
        BillingRepo::new(t).save(&next, i.stamp.version).await?;
        Ok((next, pdf))
    }

    /// E-mails issued invoice `i` with its `pdf` to its payer's billing contact, if the payer has
    /// one, and records where and when (a versioned write); answers the invoice as stored.
    async fn send(&self, t: &TenantTable, i: Invoice, pdf: Vec<u8>) -> Result<Invoice, Failure> {
        let (Some(number), Some(due)) = (i.number.clone(), i.due_date) else { return Ok(i) };
        let Some(to) = ClientRepo::new(t).get(&i.bill_to).await?.and_then(|c| c.billing.email) else { return Ok(i) };
        let total = Money::new(i.balance(), i.currency);
        let advertiser =
            if i.advertiser_id == i.bill_to { String::new() } else { format!(" (advertiser: {})", i.advertiser_name) };
        let body = format!(
            "Dear {},\n\nPlease find attached invoice {number} for order {}{advertiser}, {} to {}.\n\n\
             Amount due: {total}\nDue date: {due}\n\nPlease quote {number} with your payment.\n",
            i.bill_to_name, i.order_number, i.period.start, i.period.end
        );
        let message = Message {
            to: to.clone(),
            subject: format!("Invoice {number}: {total} due {due}"),
            body,
            attachments: vec![Attachment {
                file_name: format!("{number}.pdf"),
                content_type: "application/pdf".into(),
                bytes: pdf,
            }],
        };
        self.mail.send(&message).await.map_err(outage)?;
        let now = Utc::now();
        let mut next = i.clone();
        next.emailed_to = Some(to);
        next.emailed_at = Some(now);
        next.stamp = i.stamp.touched(i.stamp.updated_by, now);
        BillingRepo::new(t).save(&next, i.stamp.version).await?;
        Ok(next)
    }

    pub(crate) async fn issue(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (i, _) = self.invoice(&t, &p, id, Action::InvoiceWrite).await?;
        let expected = optional_if_match(req)?.check(i.stamp.version)?;
        let now = Utc::now();
        let today = podcastflow_platform::principal::org_today(req, &p, now);
        let mut next = i.clone();
        next.issue(String::new(), now, today).map_err(|e| refused(&e))?;
        next.stamp = i.stamp.touched(p.user_id, now);
        let issued = BillingRepo::new(&t).issue(next, expected, today.year()).await?;
        // The number is the invoice's from here on; its document and e-mail follow. A failed
        // render is made again on the first download; a failed e-mail is logged and the invoice
        // says it was not sent (no `emailedAt`).
        let stored = match self.store_document(&t, issued.clone()).await {
            Ok((documented, pdf)) => match self.send(&t, documented.clone(), pdf).await {
                Ok(sent) => sent,
                Err(e) => {
                    tracing::warn!(invoice = %issued.id, error = ?e, "invoice not e-mailed");
                    documented
                }
            },
            Err(e) => {
                tracing::warn!(invoice = %issued.id, error = ?e, "invoice document not stored; rendered on download");
                issued
            }
        };
        Ok(json_with_etag(StatusCode::OK, &view::render(&stored, Lens::Full), stored.stamp.version, rid))
    }

    pub(crate) async fn document(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (i, _) = self.invoice(&t, &p, id, Action::InvoiceRead).await?;
        if i.number.is_none() {
            return Err(conflict("not-issued", "Not issued", "a draft has no document: issue it first"));
        }
        let i = match i.document {
            Some(_) => i,
            None => self.store_document(&t, i).await?.0,
        };
        let key = i.document.clone().unwrap_or_default();
        let bucket = self.ctx.objects(&self.objects, &i.org_id).await.map_err(outage)?;
        let url = bucket.presign_get(&key, DOWNLOAD_TTL).await.map_err(outage)?;
        let expires = Utc::now() + chrono::Duration::seconds(DOWNLOAD_TTL.as_secs() as i64);
        Ok(json(StatusCode::OK, &json!({"url": url, "expiresAt": expires}), rid))
    }

    pub(crate) async fn pay(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: PaymentRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let make = || async {
            let (i, _) = self.invoice(&t, &p, id, Action::InvoiceWrite).await?;
            let now = Utc::now();
            let today = podcastflow_platform::principal::org_today(req, &p, now);
            let method = body.method.trim();
            if method.is_empty() || method.chars().count() > 50 {
                return Err(
                    Problem::field("method", "invalid", "1 to 50 characters: bank_transfer, card, check...").into()
                );
            }
            let reference = text(body.reference.clone()).unwrap_or_default();
            if reference.chars().count() > 100 {
                return Err(Problem::field("reference", "too_long", "at most 100 characters").into());
            }
            if body.date > today {
                return Err(Problem::field("date", "future", "a payment is recorded once received").into());
            }
            let reason = text(body.reason.clone());
            if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
                return Err(Problem::field("reason", "too_long", "at most 1000 characters").into());
            }
            let payment = Payment {
                id: PaymentId::new(),
                amount: body.amount,
                date: body.date,
                method: method.to_owned(),
                reference,
                reason,
                by: p.user_id,
                at: now,
            };
            let mut next = i.clone();
            next.record_payment(payment, today).map_err(|e| refused(&e))?;
            next.stamp = i.stamp.touched(p.user_id, now);
            BillingRepo::new(&t).save(&next, i.stamp.version).await?;
            Ok(created(
                &view::render(&next, Lens::Full),
                Some(next.stamp.version),
                &format!("/invoices/{}", next.id),
                rid,
            ))
        };
        idempotency::once(&t, req, &p, make).await
    }

    pub(crate) async fn credit(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: CreditRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let make = || async {
            let (i, _) = self.invoice(&t, &p, id, Action::InvoiceWrite).await?;
            let description = body.description.trim().to_owned();
            if description.is_empty() || description.chars().count() > 500 {
                return Err(Problem::field("description", "invalid", "1 to 500 characters").into());
            }
            let now = Utc::now();
            let today = podcastflow_platform::principal::org_today(req, &p, now);
            let amount = match (body.amount, body.reason, body.order_line) {
                (Some(a), _, _) => a,
                (None, CreditReason::UnderDelivery, Some(line)) => self.undelivered(&t, &i, line, today).await?,
                (None, ..) => {
                    return Err(Problem::field(
                        "amount",
                        "required",
                        "name the amount, or for an under-delivery the orderLine to work it out from",
                    )
                    .into());
                }
            };
            let note = CreditNote {
                id: CreditNoteId::new(),
                org_id: i.org_id,
                number: String::new(),
                invoice_id: i.id,
                reason: body.reason,
                description,
                amount,
                at: now,
                stamp: Stamp::created(p.user_id, now),
            };
            let mut next = i.clone();
            next.apply_credit(
                AppliedCredit { credit_note_id: note.id, number: String::new(), amount, on: Some(today) },
                today,
            )
            .map_err(|e| refused(&e))?;
            next.stamp = i.stamp.touched(p.user_id, now);
            let (_, n) = BillingRepo::new(&t).credit(next, i.stamp.version, note, today.year()).await?;
            let location = format!("/invoices/{}/credit-notes", i.id);
            Ok(created(&view::render_credit_note(&n, Lens::Full), Some(n.stamp.version), &location, rid))
        };
        idempotency::once(&t, req, &p, make).await
    }

    /// The undelivered share of order line `line`'s contract, by what it delivered up to
    /// `today`: what an under-delivery credit takes off.
    async fn undelivered(&self, t: &TenantTable, i: &Invoice, line: u32, today: NaiveDate) -> Result<Money, Failure> {
        let order = OrderRepo::new(t).get(&i.order_id).await?.ok_or_else(not_found)?;
        let l = order
            .lines
            .iter()
            .find(|l| l.line == line)
            .ok_or_else(|| Problem::field("orderLine", "invalid", "the order has no such line"))?;
        let (Some(goal), Some(contracted)) = (l.impression_goal, l.amount()) else {
            return Err(
                Problem::field("orderLine", "invalid", "the line has no impression goal to fall short of").into()
            );
        };
        let period = Period { start: l.air_date, end: today };
        let facts = podcastflow_invoicing::usage::gather(t, &order, period).await?;
        let delivered: u64 = facts.delivered.iter().filter(|(n, ..)| *n == line).map(|(.., d)| d).sum();
        let owed = under_delivery(contracted.amount, goal, delivered);
        if owed <= 0 {
            return Err(conflict("goal-met", "Goal met", format!("line {line} delivered {delivered} of {goal}")));
        }
        Ok(Money::new(owed.min(i.balance()), i.currency))
    }

    pub(crate) async fn credit_notes(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let paging = paging(req)?;
        let (i, lens) = self.invoice(&t, &p, id, Action::InvoiceRead).await?;
        let page = BillingRepo::new(&t).credit_notes_of(&i.id, paging.cursor.as_deref(), paging.limit).await?;
        let items: Vec<Value> = page.items.iter().map(|n| view::render_credit_note(n, lens)).collect();
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    pub(crate) async fn void(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: VoidRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let (i, _) = self.invoice(&t, &p, id, Action::InvoiceWrite).await?;
        let expected = optional_if_match(req)?.check(i.stamp.version)?;
        let mut next = i.clone();
        next.void(&body.reason).map_err(|e| refused(&e))?;
        next.stamp = i.stamp.touched(p.user_id, Utc::now());
        BillingRepo::new(&t).void(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, Lens::Full), next.stamp.version, rid))
    }
}
