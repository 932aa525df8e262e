//! The routes of `ad-reads`, and what its handlers share: loading a read or a campaign with the
//! facts its readers are judged by.

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use podcastflow_domain::ad_read::AdRead;
use podcastflow_domain::campaign::Campaign;
use podcastflow_domain::permissions::{Action, Resource};
use podcastflow_domain::visibility::Lens;
use podcastflow_domain::{AdReadId, CampaignId, Principal};
use podcastflow_platform::visibility::{CampaignRelations, Facts, Needs};
use podcastflow_platform::{Failure, Outcome, Problem, RoutePath, allow, not_found, request_id};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::ad_reads::AdReadRepo;

use crate::AdReadsApp;

/// A 409 with its type, title and detail.
pub(crate) fn conflict(kind: &str, title: &str, detail: impl Into<String>) -> Failure {
    Problem::new(kind, StatusCode::CONFLICT, title).detail(detail).into()
}

/// A text that is cleared when empty (trimmed).
pub(crate) fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A host read and what the principal sees of it.
pub(crate) struct Judged {
    /// The read.
    pub read: AdRead,
    /// What the principal sees of it.
    pub lens: Lens,
}

impl AdReadsApp {
    /// The read `id`, if `p` may take `action` on it: 404 when they cannot read it, 403 when
    /// they read it but may not act.
    pub(crate) async fn read(
        &self,
        t: &TenantTable,
        p: &Principal,
        id: &str,
        action: Action,
    ) -> Result<Judged, Failure> {
        let id: AdReadId = id.parse().map_err(|_| not_found())?;
        let r = AdReadRepo::new(t).get(&id).await?.ok_or_else(not_found)?;
        let facts = Facts::ad_read(t, Needs::of(p.role), r).await?.ok_or_else(not_found)?;
        let lens = facts.lens(p).ok_or_else(not_found)?;
        allow(p, action, &facts.resource())?;
        let Facts::AdRead(read, ..) = facts else { return Err(not_found().into()) };
        Ok(Judged { read: *read, lens })
    }

    /// The campaign `id` with its relations, if `p` may take `action` on it.
    pub(crate) async fn campaign(
        &self,
        t: &TenantTable,
        p: &Principal,
        id: &str,
        action: Action,
    ) -> Result<(Campaign, CampaignRelations), Failure> {
        let id: CampaignId = id.parse().map_err(|_| not_found())?;
        let (c, rel) = CampaignRelations::load_campaign(t, Needs::of(p.role), &id).await?.ok_or_else(not_found)?;
        allow(p, action, &Resource::Campaign(rel.facts(&c)))?;
        Ok((c, rel))
    }
}

/// Dispatches a request to its route.
pub(crate) async fn route(app: &AdReadsApp, req: &Request) -> Outcome {
    let rid = request_id(req);
    let path = RoutePath::of(req);
    match (req.method(), path.segments().as_slice()) {
        (&Method::POST, ["campaigns", c, "briefs"]) => app.create_brief(req, c, &rid).await,
        (&Method::GET, ["campaigns", c, "briefs"]) => app.list_briefs(req, c, &rid).await,
        (&Method::GET, ["campaigns", c, "briefs", b]) => app.get_brief(req, c, b, &rid).await,
        (&Method::PUT, ["campaigns", c, "briefs", b]) => app.update_brief(req, c, b, &rid).await,
        (&Method::GET, ["ad-reads"]) => app.list(req, &rid).await,
        (&Method::GET, ["ad-reads", id]) => app.get(req, id, &rid).await,
        (&Method::GET, ["ad-reads", id, "brief"]) => app.brief_of(req, id, &rid).await,
        (&Method::POST, ["ad-reads", id, "submissions"]) => app.submit(req, id, &rid).await,
        (&Method::POST, ["ad-reads", id, "transitions"]) => app.transition(req, id, &rid).await,
        (&Method::POST, ["ad-reads", id, "client-approval"]) => app.client_approval(req, id, &rid).await,
        (&Method::POST, ["ad-reads", id, "aircheck"]) => app.aircheck(req, id, &rid).await,
        (&Method::GET, ["ad-reads", id, "comments"]) => app.list_comments(req, id, &rid).await,
        (&Method::POST, ["ad-reads", id, "comments"]) => app.comment(req, id, &rid).await,
        (&Method::PUT, ["ad-reads", id, "comments", c]) => app.edit_comment(req, id, c, &rid).await,
        (m, _) => Err(path.not_found(m)),
    }
}
