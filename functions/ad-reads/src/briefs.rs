//! A campaign's briefs: written by whoever may edit the campaign, read by its readers.

use chrono::Utc;
use lambda_http::Request;
use lambda_http::http::StatusCode;
use podcastflow_domain::ad_read::brief::{Brief, DEFAULT_LEAD_DAYS};
use podcastflow_domain::notification::EntityRef;
use podcastflow_domain::permissions::Action;
use podcastflow_domain::visibility::EntityKind;
use podcastflow_domain::{BriefId, MediaId, Principal, ShowId, Stamp, ValidationErrors};
use podcastflow_platform::{
    Failure, Outcome, PageBody, Problem, created, if_match, json, json_body, json_with_etag, not_found, principal,
};
use podcastflow_store::TenantTable;
use podcastflow_store::repo::RepoError;
use podcastflow_store::repo::ad_reads::AdReadRepo;
use podcastflow_store::repo::media::MediaRepo;
use podcastflow_store::repo::shows::ShowRepo;
use serde::Deserialize;

use crate::AdReadsApp;
use crate::routes::{conflict, text};

/// A brief as a request writes it (the whole brief: a PUT replaces every field).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BriefBody {
    #[serde(default)]
    show_id: Option<ShowId>,
    #[serde(default)]
    talking_points: Vec<String>,
    #[serde(default)]
    required_phrases: Vec<String>,
    #[serde(default)]
    forbidden_claims: Vec<String>,
    #[serde(default)]
    promo_code: Option<String>,
    #[serde(default)]
    vanity_url: Option<String>,
    #[serde(default)]
    call_to_action: Option<String>,
    #[serde(default)]
    disclosure: Option<String>,
    #[serde(default)]
    pronunciation_notes: Option<String>,
    #[serde(default)]
    min_seconds: Option<u32>,
    #[serde(default)]
    max_seconds: Option<u32>,
    #[serde(default)]
    attachments: Vec<MediaId>,
    #[serde(default)]
    due_lead_days: Option<u16>,
}

impl BriefBody {
    /// The fields it sets on `b`.
    fn apply(self, b: &mut Brief) {
        let list = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_owned()).collect();
        b.talking_points = list(self.talking_points);
        b.required_phrases = list(self.required_phrases);
        b.forbidden_claims = list(self.forbidden_claims);
        b.promo_code = text(self.promo_code);
        b.vanity_url = text(self.vanity_url);
        b.call_to_action = text(self.call_to_action);
        b.disclosure = text(self.disclosure);
        b.pronunciation_notes = text(self.pronunciation_notes);
        b.min_seconds = self.min_seconds;
        b.max_seconds = self.max_seconds;
        b.attachments = self.attachments;
        b.due_lead_days = self.due_lead_days.unwrap_or(DEFAULT_LEAD_DAYS);
    }
}

impl AdReadsApp {
    /// Field errors of what a brief names: its show exists, its attachments are the campaign's
    /// ready files.
    async fn check_links(&self, t: &TenantTable, b: &Brief) -> Result<(), Failure> {
        let mut v = ValidationErrors::new();
        if let Some(show) = &b.show_id
            && ShowRepo::new(t).get(show).await?.is_none()
        {
            v.add("showId", "unknown", "no show with this id in this organization");
        }
        let campaign = EntityRef { kind: EntityKind::Campaign, id: b.campaign_id.to_string() };
        for (i, id) in b.attachments.iter().enumerate() {
            match MediaRepo::new(t).get(id).await? {
                Some(m) if m.entity == campaign => {}
                _ => v.add(format!("attachments[{i}]"), "unknown", "not a file of this campaign"),
            }
        }
        v.into_result().map_err(|e| Problem::validation(e).into())
    }

    async fn brief_of_campaign(
        &self,
        t: &TenantTable,
        p: &Principal,
        c: &str,
        b: &str,
        action: Action,
    ) -> Result<Brief, Failure> {
        let (campaign, _) = self.campaign(t, p, c, action).await?;
        let id: BriefId = b.parse().map_err(|_| not_found())?;
        Ok(AdReadRepo::new(t).brief(&campaign.id, &id).await?.ok_or_else(not_found)?)
    }

    pub(crate) async fn create_brief(&self, req: &Request, c: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: BriefBody = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let (campaign, _) = self.campaign(&t, &p, c, Action::BriefWrite).await?;
        let mut b = Brief {
            id: BriefId::new(),
            org_id: p.org_id,
            campaign_id: campaign.id,
            show_id: body.show_id,
            talking_points: Vec::new(),
            required_phrases: Vec::new(),
            forbidden_claims: Vec::new(),
            promo_code: None,
            vanity_url: None,
            call_to_action: None,
            disclosure: None,
            pronunciation_notes: None,
            min_seconds: None,
            max_seconds: None,
            attachments: Vec::new(),
            due_lead_days: DEFAULT_LEAD_DAYS,
            stamp: Stamp::created(p.user_id, Utc::now()),
        };
        body.apply(&mut b);
        b.validate().map_err(Problem::validation)?;
        self.check_links(&t, &b).await?;
        match AdReadRepo::new(&t).create_brief(&b).await {
            Ok(()) => {}
            Err(RepoError::AlreadyExists) => {
                let scope = if b.show_id.is_some() { "this show" } else { "the whole campaign" };
                return Err(conflict(
                    "brief-exists",
                    "Brief exists",
                    format!("the campaign has a brief for {scope} already: edit that one"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let location = format!("/campaigns/{}/briefs/{}", campaign.id, b.id);
        Ok(created(&b, Some(b.stamp.version), &location, rid))
    }

    pub(crate) async fn list_briefs(&self, req: &Request, c: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let (campaign, _) = self.campaign(&t, &p, c, Action::CampaignRead).await?;
        let items = AdReadRepo::new(&t).briefs(&campaign.id).await?;
        Ok(json(StatusCode::OK, &PageBody { items, next_cursor: None }, rid))
    }

    pub(crate) async fn get_brief(&self, req: &Request, c: &str, b: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let t = self.ctx.tenant(&p, req);
        let brief = self.brief_of_campaign(&t, &p, c, b, Action::CampaignRead).await?;
        Ok(json_with_etag(StatusCode::OK, &brief, brief.stamp.version, rid))
    }

    pub(crate) async fn update_brief(&self, req: &Request, c: &str, b: &str, rid: &str) -> Outcome {
        let p = principal(req)?;
        let body: BriefBody = json_body(req)?;
        let t = self.ctx.tenant(&p, req);
        let current = self.brief_of_campaign(&t, &p, c, b, Action::BriefWrite).await?;
        let expected = if_match(req)?.check(current.stamp.version)?;
        if body.show_id.is_some() && body.show_id != current.show_id {
            return Err(Problem::field("showId", "immutable", "a brief stays with its show: make another").into());
        }
        let mut next = current.clone();
        body.apply(&mut next);
        next.validate().map_err(Problem::validation)?;
        self.check_links(&t, &next).await?;
        next.stamp = current.stamp.touched(p.user_id, Utc::now());
        AdReadRepo::new(&t).replace_brief(&next, expected).await?;
        Ok(json_with_etag(StatusCode::OK, &next, next.stamp.version, rid))
    }
}
