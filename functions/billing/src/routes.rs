//! The routes of `billing`.

use lambda_http::Request;
use lambda_http::http::Method;
use podcastflow_platform::{Outcome, RoutePath, request_id};

use crate::BillingApp;

/// Dispatches a request to its route.
pub(crate) async fn route(app: &BillingApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::GET, ["invoices"]) => app.list(req, &rid).await,
        (&Method::POST, ["invoices"]) => app.draft(req, &rid).await,
        (&Method::GET, ["invoices", id]) => app.get(req, id, &rid).await,
        (&Method::PUT, ["invoices", id]) => app.update(req, id, &rid).await,
        (&Method::POST, ["invoices", id, "issue"]) => app.issue(req, id, &rid).await,
        (&Method::GET, ["invoices", id, "document"]) => app.document(req, id, &rid).await,
        (&Method::POST, ["invoices", id, "payments"]) => app.pay(req, id, &rid).await,
        (&Method::POST, ["invoices", id, "credit-notes"]) => app.credit(req, id, &rid).await,
        (&Method::GET, ["invoices", id, "credit-notes"]) => app.credit_notes(req, id, &rid).await,
        (&Method::POST, ["invoices", id, "void"]) => app.void(req, id, &rid).await,
        (&Method::GET, ["reports", "receivables"]) => app.receivables(req, &rid).await,
        (&Method::GET, ["reports", "revenue"]) => app.revenue(req, &rid).await,
        (&Method::GET, ["clients", id, "statement"]) => app.statement(req, id, &rid).await,
        (&Method::PUT, ["shows", id, "revenue-share"]) => app.set_revenue_share(req, id, &rid).await,
        (&Method::GET, ["statements"]) => app.statements(req, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
