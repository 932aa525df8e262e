//! Host reads: list, read, submit, move, the client's approval and the aircheck.

use std::collections::BTreeMap;

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::ad_read::brief::Brief;
use podcastflow_domain::ad_read::deadlines::{Deadlines, next_business_day};
use podcastflow_domain::ad_read::transitions::{self, TransitionError, next_statuses};
use podcastflow_domain::ad_read::{
    Actor, AdRead, AdReadStatus, Aircheck, ClientApproval, ClientDecision, MAX_REASON, MAX_SUBMISSIONS, MAX_TRANSCRIPT,
    Makegood, MakegoodReason, Submission, conformance, view,
};
use podcastflow_domain::media::{Media, MediaStatus};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::{self, Action, Scope};
use podcastflow_domain::visibility::{EntityKind, Lens};
use podcastflow_domain::{CampaignId, MediaId, Principal, Role, ShowId, UserId, ValidationErrors};
use podcastflow_platform::principal::org_zone;
use podcastflow_platform::visibility::{CampaignRelations, Needs, ad_read_resource};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, denied, json, json_body, json_with_etag, optional_if_match, paging, principal,
    query_as, query_param,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::clients::ClientRepo;
use podcastflow_store::repo::media::MediaRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde::Deserialize;

use crate::AdReadsApp;
use crate::routes::{Judged, conflict, text};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubmissionRequest {
    /// Parsed once the read is found: an unknown read is a 404 whatever the body names.
    recording_id: String,
    transcript: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransitionRequest {
    to: AdReadStatus,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    makegood_reason: Option<MakegoodReason>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Decision {
    Approved,
    ChangesRequested,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientApprovalRequest {
    decision: Decision,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AircheckRequest {
    /// Parsed once the read is found, like a submission's recording.
    media_id: String,
}

/// A reason or note within its bound.
fn bounded(field: &str, v: Option<String>) -> Result<Option<String>, Failure> {
    let v = text(v);
    if v.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(Problem::field(field, "too_long", &format!("at most {MAX_REASON} characters")).into());
    }
    Ok(v)
}

/// Who `p` acts as on a read, and the action the policy asks of them for it.
fn actor_of(p: &Principal) -> (Actor, Action) {
    match p.role {
        Role::Talent => (Actor::Talent, Action::AdReadSubmit),
        Role::Client => (Actor::Client, Action::AdReadClientApprove),
        _ => (Actor::Reviewer, Action::AdReadReview),
    }
}

/// The problem answering a refused move: its reason, and what is open to the actor instead.
fn refused(e: &TransitionError, r: &AdRead, actor: Actor) -> Failure {
    let next: Vec<&str> = next_statuses(r.status, actor).iter().map(AdReadStatus::as_str).collect();
    let allowed = if next.is_empty() { "none".to_owned() } else { next.join(", ") };
    let detail = format!("{e}; from {} your next statuses are: {allowed}", r.status);
    let unprocessable = |field: &str, code: &str| -> Failure {
        let mut v = ValidationErrors::new();
        v.add(field, "required", e.to_string());
        Problem::new(code, StatusCode::UNPROCESSABLE_ENTITY, "Reason required").detail(detail.clone()).fields(v).into()
    };
    match e {
        TransitionError::ReasonRequired(_) => unprocessable("reason", "transition-reason-required"),
        TransitionError::CheckFailed(_) => unprocessable("reason", "override-reason-required"),
        TransitionError::MakegoodReasonRequired => unprocessable("makegoodReason", "transition-reason-required"),
        TransitionError::NotYours { .. } => {
            Problem::new("transition-not-yours", StatusCode::FORBIDDEN, "Not yours to move").detail(detail).into()
        }
        TransitionError::ClientApprovalPending => {
            conflict("client-approval-pending", "Client approval pending", detail)
        }
        TransitionError::NoBrief | TransitionError::NeedsSubmission | TransitionError::NoAircheck => {
            conflict("transition-not-ready", "Read not ready", detail)
        }
        TransitionError::AlreadyThere(_) | TransitionError::NotAllowed { .. } => {
            conflict("transition-not-allowed", "Transition not allowed", detail)
        }
    }
}

impl AdReadsApp {
    /// A ready file of the read `read` (what a submission or an aircheck names).
    async fn file_of(&self, t: &TenantTable, read: &AdRead, id: &str, field: &str) -> Result<Media, Failure> {
        let entity = EntityRef { kind: EntityKind::AdRead, id: read.id.to_string() };
        let id: MediaId = id.parse().map_err(|_| Problem::field(field, "invalid", "a media id"))?;
        match MediaRepo::new(t).get(&id).await? {
            Some(m) if m.entity == entity && m.status == MediaStatus::Ready => Ok(m),
            Some(m) if m.entity == entity => Err(conflict(
                "recording-not-ready",
                "File not confirmed",
                "confirm the upload first (POST /media/{mediaId}/confirm): its length is measured then",
            )),
            _ => Err(Problem::field(
                field,
                "unknown",
                "not a file of this read: upload it with entity {type: adRead, id}",
            )
            .into()),
        }
    }

    /// The brief `read` is read from.
    async fn brief_for(&self, t: &TenantTable, read: &AdRead) -> Result<Option<Brief>, Failure> {
        let Some(id) = read.brief_id else { return Ok(None) };
        Ok(AdReadRepo::new(t).brief(&read.campaign_id, &id).await?)
    }

    pub(crate) async fn list(&self, req: &Request, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let paging = paging(req)?;
        let status = query_as::<AdReadStatus>(req, "status", "a read status")?;
        if permissions::scope(Action::AdReadRead, p.role) == Scope::None {
            return Err(denied(permissions::Denial::Forbidden).into());
        }
        let repo = AdReadRepo::new(&t);
        let (cursor, limit) = (paging.cursor.as_deref(), paging.limit);
        let filters = (query_param(req, "campaignId"), query_param(req, "showId"), query_param(req, "talentId"));
        let page = match filters {
            (Some(c), None, None) => {
                let id: CampaignId = c.parse().map_err(|_| Problem::field("campaignId", "invalid", "a campaign id"))?;
                repo.of_campaign(&id, cursor, limit).await?
            }
            (None, Some(s), None) => {
                let id: ShowId = s.parse().map_err(|_| Problem::field("showId", "invalid", "a show id"))?;
                repo.of_show(&id, cursor, limit).await?
            }
            (None, None, Some(u)) => {
                let id: UserId = u.parse().map_err(|_| Problem::field("talentId", "invalid", "a user id"))?;
                repo.of_talent(&id, cursor, limit).await?
            }
            (None, None, None) if p.role == Role::Talent => repo.of_talent(&p.user_id, cursor, limit).await?,
            _ => {
                return Err(Problem::field(
                    "campaignId",
                    "required",
                    "list the reads of one campaign, show or talent: campaignId, showId or talentId",
                )
                .into());
            }
        };
        // Each read as its reader sees it; one they may not read is left out. Each campaign's
        // relations and each show's producers are loaded once.
        let needs = Needs::of(p.role);
        let mut campaigns: BTreeMap<CampaignId, Option<(podcastflow_domain::campaign::Campaign, CampaignRelations)>> =
            BTreeMap::new();
        let mut producers: BTreeMap<ShowId, Vec<UserId>> = BTreeMap::new();
        let mut items = Vec::new();
        for r in page.items {
            if status.is_some_and(|s| s != r.status) {
                continue;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = campaigns.entry(r.campaign_id) {
                slot.insert(CampaignRelations::load_campaign(&t, needs, &r.campaign_id).await?);
            }
            if needs.show_producers
                && let std::collections::btree_map::Entry::Vacant(slot) = producers.entry(r.show_id)
            {
                slot.insert(ShowRepo::new(&t).get(&r.show_id).await?.map(|s| s.producer_ids).unwrap_or_default());
            }
            let Some(Some((c, rel))) = campaigns.get(&r.campaign_id) else { continue };
            let show_producers = producers.get(&r.show_id).map(Vec::as_slice).unwrap_or_default();
            if let Ok(v) = permissions::authorize(&p, Action::AdReadRead, &ad_read_resource(&r, c, rel, show_producers))
            {
                items.push(view::render(&r, Lens::of(v)));
            }
        }
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: page.cursor }, rid))
    }

    pub(crate) async fn get(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let j = self.read(&t, &p, id, Action::AdReadRead).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&j.read, j.lens), j.read.stamp.version, rid))
    }

    pub(crate) async fn brief_of(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let j = self.read(&t, &p, id, Action::AdReadRead).await?;
        let brief = self.brief_for(&t, &j.read).await?.ok_or_else(|| {
            conflict("no-brief", "No brief yet", "the campaign has no brief for this read's show yet")
        })?;
        Ok(json_with_etag(StatusCode::OK, &brief, brief.stamp.version, rid))
    }

    pub(crate) async fn submit(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: SubmissionRequest = json_body(req)?;
        let transcript = body.transcript.trim().to_owned();
        let mut v = ValidationErrors::new();
        v.text("transcript", &transcript, MAX_TRANSCRIPT);
        v.into_result().map_err(Problem::validation)?;
        let t = self.ctx.tenant(&p, req);
        let Judged { read, lens, .. } = self.read(&t, &p, id, Action::AdReadSubmit).await?;
        let expected = optional_if_match(req)?.check(read.stamp.version)?;
        transitions::check(read.status, AdReadStatus::Submitted, Actor::Talent, &read.guard_facts(true, false), None)
            .map_err(|e| refused(&e, &read, Actor::Talent))?;
        if read.submissions.len() >= MAX_SUBMISSIONS {
            return Err(conflict(
                "too-many-submissions",
                "Too many takes",
                format!("a read keeps at most {MAX_SUBMISSIONS} takes; talk to its reviewer"),
            ));
        }
        let recording = self.file_of(&t, &read, &body.recording_id, "recordingId").await?;
        let brief = self.brief_for(&t, &read).await?.ok_or_else(|| {
            conflict("no-brief", "No brief", "the read's brief is gone; the campaign needs one first")
        })?;
        let seconds = recording.duration_ms.map(|ms| ms as f64 / 1000.0);
        let now = Utc::now();
        let mut next = read.clone();
        next.submissions.push(Submission {
            number: read.submissions.len() as u32 + 1,
            recording_id: recording.id,
            duration_seconds: seconds,
            checklist: conformance::check(&brief, &transcript, seconds),
            transcript,
            brief_version: Some(brief.stamp.version),
            by: p.user_id,
            at: now,
        });
        next.brief_changed = false;
        // The client's decision stays on record for the take it was about: a new take needs a
        // new one (it counts only for its submission), and the client keeps seeing the read.
        next.override_reason = None;
        next.deadlines =
            Deadlines { review_due_at: Some(next_business_day(now, org_zone(req, &p))), ..Deadlines::default() };
        next.moved(AdReadStatus::Submitted, p.user_id, Actor::Talent, now, None);
        next.stamp = read.stamp.touched(p.user_id, now);
        AdReadRepo::new(&t).replace(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, lens), next.stamp.version, rid))
    }

    pub(crate) async fn transition(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: TransitionRequest = json_body(req)?;
        let reason = bounded("reason", body.reason)?;
        let t = self.ctx.tenant(&p, req);
        let (actor, action) = actor_of(&p);
        let Judged { read, lens, .. } = self.read(&t, &p, id, action).await?;
        let expected = optional_if_match(req)?.check(read.stamp.version)?;
        let facts = read.guard_facts(false, body.makegood_reason.is_some());
        transitions::check(read.status, body.to, actor, &facts, reason.as_deref())
            .map_err(|e| refused(&e, &read, actor))?;
        let now = Utc::now();
        let mut next = read.clone();
        match body.to {
            AdReadStatus::InReview => {
                next.requires_client_approval =
                    ClientRepo::new(&t).get(&read.advertiser_id).await?.is_some_and(|c| c.requires_read_approval);
                if next.requires_client_approval {
                    let submission = read.latest().map_or(0, |s| s.number);
                    next.client_approval = Some(ClientApproval {
                        decision: ClientDecision::Pending,
                        submission,
                        by: None,
                        at: None,
                        note: None,
                    });
                    next.deadlines.client_approval_due_at = Some(next_business_day(now, org_zone(req, &p)));
                }
            }
            AdReadStatus::RevisionsRequested => {
                next.deadlines.review_due_at = None;
                next.deadlines.client_approval_due_at = None;
                if actor == Actor::Client {
                    next.client_approval = Some(ClientApproval {
                        decision: ClientDecision::ChangesRequested,
                        submission: read.latest().map_or(0, |s| s.number),
                        by: Some(p.user_id),
                        at: Some(now),
                        note: reason.clone(),
                    });
                }
            }
            AdReadStatus::Approved => {
                // The reason overrides the failed items of the check, and stays on record.
                next.override_reason = if facts.failed_items.is_empty() { None } else { reason.clone() };
                next.deadlines = Deadlines::default();
            }
            AdReadStatus::Verified => {
                next.deadlines = Deadlines::default();
                next.aircheck_missing = false;
            }
            AdReadStatus::MakegoodRequired => {
                let replacement = self.replacement(&t, &p, &read, now).await?;
                next.makegood = Some(Makegood {
                    reason: body.makegood_reason.unwrap_or(MakegoodReason::Other),
                    note: reason.clone(),
                    hold_id: replacement.map(|(h, _)| h),
                    replacement: replacement.map(|(_, s)| s),
                });
                next.deadlines = Deadlines::default();
            }
            _ => {}
        }
        next.moved(body.to, p.user_id, actor, now, reason);
        next.stamp = read.stamp.touched(p.user_id, now);
        if let Err(e) = AdReadRepo::new(&t).replace(&next, expected).await {
            // The read did not move: a replacement held for it is given back.
            if let Some(hold) = next.makegood.as_ref().and_then(|m| m.hold_id) {
                self.give_back(&t, &p, &read, hold, now).await?;
            }
            return Err(e.into());
        }
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, lens), next.stamp.version, rid))
    }

    pub(crate) async fn client_approval(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: ClientApprovalRequest = json_body(req)?;
        let note = bounded("note", body.note)?;
        let t = self.ctx.tenant(&p, req);
        let Judged { read, lens, .. } = self.read(&t, &p, id, Action::AdReadClientApprove).await?;
        let expected = optional_if_match(req)?.check(read.stamp.version)?;
        let waiting = read.status == AdReadStatus::InReview
            && read.client_approval.as_ref().is_some_and(|a| a.decision == ClientDecision::Pending);
        if !waiting {
            return Err(conflict(
                "not-awaiting-client",
                "Not waiting for you",
                format!("this read is {} and does not wait for your approval now", read.status),
            ));
        }
        let now = Utc::now();
        let mut next = read.clone();
        let submission = read.latest().map_or(0, |s| s.number);
        match body.decision {
            Decision::Approved => {
                next.client_approval = Some(ClientApproval {
                    decision: ClientDecision::Approved,
                    submission,
                    by: Some(p.user_id),
                    at: Some(now),
                    note,
                });
                next.deadlines.client_approval_due_at = None;
            }
            Decision::ChangesRequested => {
                let facts = read.guard_facts(false, false);
                transitions::check(
                    read.status,
                    AdReadStatus::RevisionsRequested,
                    Actor::Client,
                    &facts,
                    note.as_deref(),
                )
                .map_err(|_| Problem::field("note", "required", "say what should change"))?;
                next.client_approval = Some(ClientApproval {
                    decision: ClientDecision::ChangesRequested,
                    submission,
                    by: Some(p.user_id),
                    at: Some(now),
                    note: note.clone(),
                });
                next.deadlines.review_due_at = None;
                next.deadlines.client_approval_due_at = None;
                next.moved(AdReadStatus::RevisionsRequested, p.user_id, Actor::Client, now, note);
            }
        }
        next.stamp = read.stamp.touched(p.user_id, now);
        AdReadRepo::new(&t).replace(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, lens), next.stamp.version, rid))
    }

    pub(crate) async fn aircheck(&self, req: &Request, id: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: AircheckRequest = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let Judged { read, lens, .. } = self.read(&t, &p, id, Action::AdReadAircheck).await?;
        let expected = optional_if_match(req)?.check(read.stamp.version)?;
        if read.status != AdReadStatus::Aired {
            return Err(conflict(
                "not-aired",
                "Not aired",
                format!("an aircheck is the aired excerpt; this read is {}", read.status),
            ));
        }
        let file = self.file_of(&t, &read, &body.media_id, "mediaId").await?;
        let now = Utc::now();
        let mut next = read.clone();
        next.aircheck = Some(Aircheck { media_id: file.id, by: p.user_id, at: now });
        next.aircheck_missing = false;
        next.deadlines.aircheck_due_at = None;
        next.stamp = read.stamp.touched(p.user_id, now);
        AdReadRepo::new(&t).replace(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &view::render(&next, lens), next.stamp.version, rid))
    }
}
