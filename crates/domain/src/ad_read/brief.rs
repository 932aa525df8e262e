//! A campaign's brief for host reads: what the talent must say, may not say, and how long the
//! read may run. A brief is campaign-wide, or for one show (it then applies to that show's reads
//! instead of the campaign-wide one). Versioned: editing it (If-Match) marks the reads made
//! from it `briefChanged` and tells their talent.
//!
//! Keys: `ORG#<o>#CAMPAIGN#<c>` / `BRIEF#CAMPAIGN` or `BRIEF#SHOW#<showId>` (one brief per
//! scope, by construction), in the campaign's item collection; a campaign's briefs are one
//! Query of that collection under `BRIEF#`.

use serde::{Deserialize, Serialize};

use crate::keys::{Entity, Index, Key, org_pk};
use crate::{BriefId, CampaignId, MediaId, OrgId, ShowId, Stamp, ValidationErrors};

/// Days before air a recording is due unless the brief says otherwise.
pub const DEFAULT_LEAD_DAYS: u16 = 5;
/// The longest lead time, in days.
pub const MAX_LEAD_DAYS: u16 = 60;
/// Most items of each list (talking points, phrases, claims).
pub const MAX_ITEMS: usize = 30;
/// Longest item of a list.
pub const MAX_ITEM: usize = 500;
/// Most attachments.
pub const MAX_ATTACHMENTS: usize = 20;
/// The longest read a brief may allow, in seconds.
pub const MAX_SECONDS: u32 = 600;

/// A brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Brief {
    /// Its id.
    pub id: BriefId,
    /// Its organization.
    pub org_id: OrgId,
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The show it is for (`None`: every show of the campaign without its own brief).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_id: Option<ShowId>,
    /// What the read covers, in order.
    #[serde(default)]
    pub talking_points: Vec<String>,
    /// Phrases said word for word.
    #[serde(default)]
    pub required_phrases: Vec<String>,
    /// Claims never made.
    #[serde(default)]
    pub forbidden_claims: Vec<String>,
    /// The offer's code, said at least twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promo_code: Option<String>,
    /// The offer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanity_url: Option<String>,
    /// What the listener is asked to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_to_action: Option<String>,
    /// The sponsorship disclosure (FTC), said as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<String>,
    /// How to say names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pronunciation_notes: Option<String>,
    /// Shortest read, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_seconds: Option<u32>,
    /// Longest read, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_seconds: Option<u32>,
    /// Files for the talent (media of the campaign).
    #[serde(default)]
    pub attachments: Vec<MediaId>,
    /// Days before air the recording is due.
    pub due_lead_days: u16,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl Brief {
    /// The sort key of a brief for `show` (or the campaign-wide one).
    pub fn sk_of(show: Option<&ShowId>) -> String {
        match show {
            Some(s) => format!("BRIEF#SHOW#{s}"),
            None => "BRIEF#CAMPAIGN".into(),
        }
    }

    /// The prefix of every brief's sort key in the campaign's collection.
    pub const SK_PREFIX: &'static str = "BRIEF#";

    /// The partition of the campaign's briefs (the campaign's own).
    pub fn pk_of(org: &OrgId, campaign: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{campaign}"))
    }

    /// The brief that applies to a read on `show`: the show's own, else the campaign-wide one.
    pub fn applying<'a>(briefs: &'a [Brief], show: &ShowId) -> Option<&'a Brief> {
        briefs.iter().find(|b| b.show_id.as_ref() == Some(show)).or_else(|| briefs.iter().find(|b| b.show_id.is_none()))
    }

    /// Whether the brief applies to a read on `show`, given all the campaign's `briefs`.
    pub fn applies_to(&self, briefs: &[Brief], show: &ShowId) -> bool {
        Self::applying(briefs, show).is_some_and(|b| b.id == self.id)
    }

    /// Field errors.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        let list = |v: &mut ValidationErrors, name: &str, items: &[String]| {
            if items.len() > MAX_ITEMS {
                v.add(name, "too_many", format!("at most {MAX_ITEMS}"));
            }
            for (i, item) in items.iter().enumerate() {
                v.text(&format!("{name}[{i}]"), item, MAX_ITEM);
            }
        };
        list(&mut v, "talkingPoints", &self.talking_points);
        list(&mut v, "requiredPhrases", &self.required_phrases);
        list(&mut v, "forbiddenClaims", &self.forbidden_claims);
        if let Some(code) = &self.promo_code {
            if !code.chars().any(char::is_alphanumeric) {
                v.add("promoCode", "invalid", "a code has letters or digits");
            }
            v.text("promoCode", code, 50);
        }
        if let Some(url) = &self.vanity_url {
            v.text("vanityUrl", url, 200);
        }
        v.opt_text("callToAction", self.call_to_action.as_deref(), 1000);
        v.opt_text("disclosure", self.disclosure.as_deref(), 1000);
        v.opt_text("pronunciationNotes", self.pronunciation_notes.as_deref(), 2000);
        for (field, s) in [("minSeconds", self.min_seconds), ("maxSeconds", self.max_seconds)] {
            if s.is_some_and(|s| s == 0 || s > MAX_SECONDS) {
                v.add(field, "out_of_range", format!("1 to {MAX_SECONDS} seconds"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_seconds, self.max_seconds)
            && lo > hi
        {
            v.add("maxSeconds", "out_of_range", "at least minSeconds");
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            v.add("attachments", "too_many", format!("at most {MAX_ATTACHMENTS}"));
        }
        if self.due_lead_days > MAX_LEAD_DAYS {
            v.add("dueLeadDays", "out_of_range", format!("0 to {MAX_LEAD_DAYS} days"));
        }
        v.into_result()
    }
}

impl Entity for Brief {
    const TYPE: &'static str = "brief";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Key::new(Self::pk_of(&self.org_id, &self.campaign_id), Self::sk_of(self.show_id.as_ref()))
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        Vec::new()
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;

    use super::*;
    use crate::UserId;

    pub(crate) fn brief() -> Brief {
        Brief {
            id: BriefId::new(),
            org_id: OrgId::new(),
            campaign_id: CampaignId::new(),
            show_id: None,
            talking_points: vec!["Brought to you by Acme Mattress".into(), "Made of organic cotton".into()],
            required_phrases: vec!["Sleep better tonight".into()],
            forbidden_claims: vec!["cures back pain".into()],
            promo_code: Some("POD20".into()),
            vanity_url: Some("acme.com/pod".into()),
            call_to_action: Some("Go to acme.com/pod".into()),
            disclosure: Some("Acme paid for this message".into()),
            pronunciation_notes: None,
            min_seconds: Some(30),
            max_seconds: Some(60),
            attachments: Vec::new(),
            due_lead_days: DEFAULT_LEAD_DAYS,
            stamp: Stamp::created(UserId::new(), Utc::now()),
        }
    }

    #[test]
    fn a_show_brief_wins_over_the_campaign_wide_one() {
        let wide = brief();
        let show = ShowId::new();
        let own = Brief { id: BriefId::new(), show_id: Some(show), ..brief() };
        let briefs = vec![wide.clone(), own.clone()];
        assert_eq!(Brief::applying(&briefs, &show).map(|b| b.id), Some(own.id));
        assert_eq!(Brief::applying(&briefs, &ShowId::new()).map(|b| b.id), Some(wide.id));
        assert!(own.applies_to(&briefs, &show) && !wide.applies_to(&briefs, &show));
        assert!(Brief::applying(std::slice::from_ref(&own), &ShowId::new()).is_none());
        assert_eq!(wide.key().sk, "BRIEF#CAMPAIGN");
        assert_eq!(own.key().sk, format!("BRIEF#SHOW#{show}"));
        assert_eq!(own.key().pk, format!("ORG#{}#CAMPAIGN#{}", own.org_id, own.campaign_id));
        assert!(own.index_keys().is_empty());
        assert_eq!((Entity::org_id(&own), own.version(), <Brief as Entity>::TYPE), (&own.org_id, 1, "brief"));
        let mut edited = own.clone();
        edited.stamp.version = 4;
        assert_eq!(edited.version(), 4);
    }

    #[test]
    fn validation_names_each_bad_field() {
        assert!(brief().validate().is_ok());
        let mut b = brief();
        b.talking_points.push(" ".into());
        b.required_phrases = vec!["x".repeat(MAX_ITEM + 1)];
        b.forbidden_claims = vec!["c".into(); MAX_ITEMS + 1];
        b.promo_code = Some("--".into());
        b.min_seconds = Some(90);
        b.max_seconds = Some(60);
        b.attachments = vec![MediaId::new(); MAX_ATTACHMENTS + 1];
        b.due_lead_days = MAX_LEAD_DAYS + 1;
        let e = b.validate().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "talkingPoints[2]",
                "requiredPhrases[0]",
                "forbiddenClaims",
                "promoCode",
                "maxSeconds",
                "attachments",
                "dueLeadDays"
            ]
        );
        let mut b = brief();
        b.min_seconds = Some(0);
        b.max_seconds = Some(MAX_SECONDS + 1);
        let e = b.validate().unwrap_err();
        assert_eq!(e.errors.len(), 2);
        b.min_seconds = Some(MAX_SECONDS);
        b.max_seconds = Some(MAX_SECONDS);
        b.due_lead_days = MAX_LEAD_DAYS;
        b.talking_points = vec!["p".into(); MAX_ITEMS];
        b.attachments = vec![MediaId::new(); MAX_ATTACHMENTS];
        assert!(b.validate().is_ok(), "every limit is inclusive");
    }
}
