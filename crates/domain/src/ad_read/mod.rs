//! Host-read production (docs/domain.md, "Host reads"): for every booked host-read line, one
//! read that goes from the campaign's [`brief`] through the talent's recording, the
//! [`conformance`] check, review and the client's approval to air, an aircheck and
//! verification, or a makegood.
//!
//! Keys and access patterns (one item per read, its submissions and history inside it: a read is
//! read and moved as a whole, under one version):
//! - the read: `ORG#<o>#ADREAD#<id>` / `PROFILE`; its comments in the same collection
//!   ([`comment`]);
//! - a campaign's reads by air date: GSI1 `ORG#<o>#CAMPAIGN#<c>#ADREADS` / `AIR#<date>#<id>`;
//! - a talent's reads by air date: GSI2 `ORG#<o>#TALENT#<u>#ADREADS` / `AIR#<date>#<id>`;
//! - a show's reads by air date and episode: GSI3 `ORG#<o>#SHOW#<s>#ADREADS` /
//!   `AIR#<date>#<episode>#<id>` (an episode's reads are one `begins_with` of it);
//! - reads with a deadline notice to come, by when: GSI4 `ORG#<o>#ADREADS#NOTICES` /
//!   `<instant>#<id>` (sparse: a read with nothing to tell leaves it);
//! - the claim that a booked line has its read: `ORG#<o>#ORDER#<order>` / `ADREAD#<line>`,
//!   written with the read only if absent, so a booking delivered twice makes one read per line.
//!
//! Status rules live in [`transitions`], deadlines in [`deadlines`], what each reader sees in
//! [`view`].

pub mod brief;
pub mod comment;
pub mod conformance;
pub mod deadlines;
pub mod transitions;
pub mod view;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::spot::SpotRef;
use crate::keys::{Entity, Index, Key, PROFILE, org_pk};
use crate::{AdReadId, BriefId, CampaignId, ClientId, HoldId, MediaId, OrderId, OrgId, ShowId, Stamp, UserId};

pub use conformance::CheckItem;
pub use deadlines::Deadlines;
pub use transitions::{Actor, AdReadHistoryEntry, AdReadStatus};

/// Longest transcript, in characters.
pub const MAX_TRANSCRIPT: usize = 20_000;
/// Most submissions one read keeps (each revision is one).
pub const MAX_SUBMISSIONS: usize = 20;
/// Longest reason or note.
pub const MAX_REASON: usize = 1000;

/// One recording submitted for review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// Its number within the read, from 1.
    pub number: u32,
    /// The uploaded recording (media of the read).
    pub recording_id: MediaId,
    /// Its length as measured from the file on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// What was said.
    pub transcript: String,
    /// The brief's version it was checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief_version: Option<u64>,
    /// The conformance check.
    pub checklist: Vec<CheckItem>,
    /// Who submitted it.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where the client's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientDecision {
    /// Waiting for the client.
    Pending,
    /// Approved by the client.
    Approved,
    /// The client asked for another take.
    ChangesRequested,
}

/// The client's approval of the current submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientApproval {
    /// Where it stands.
    pub decision: ClientDecision,
    /// The submission it is about.
    pub submission: u32,
    /// The client user who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
    /// When they decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// What they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The aired excerpt, uploaded by the show's producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aircheck {
    /// The file (media of the read).
    pub media_id: MediaId,
    /// Who uploaded it.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Why a read did not air as sold (the verification vendors' categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MakegoodReason {
    /// It did not air.
    Missing,
    /// Shorter than sold.
    Short,
    /// In another position than sold.
    WrongPosition,
    /// A wrong or missing promo code.
    BadPromo,
    /// Beside a competitor.
    Competitor,
    /// An outdated read.
    Stale,
    /// Anything else (the note says what).
    Other,
}

/// A makegood: why, and the replacement hold made for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Makegood {
    /// Why.
    pub reason: MakegoodReason,
    /// The reviewer's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The replacement hold on the next available episode of the show (`None` when none was
    /// free).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<HoldId>,
    /// The replacement spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<SpotRef>,
}

/// A host read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdRead {
    /// Its id.
    pub id: AdReadId,
    /// Its organization.
    pub org_id: OrgId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The campaign's advertiser.
    pub advertiser_id: ClientId,
    /// The order that booked it.
    pub order_id: OrderId,
    /// The order's line.
    pub line: u32,
    /// The booked spot.
    #[serde(flatten)]
    pub spot: SpotRef,
    /// The episode's show.
    pub show_id: ShowId,
    /// The episode's air date.
    pub air_date: NaiveDate,
    /// The talent who reads it (the episode's first talent; `None` until one is assigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talent_id: Option<UserId>,
    /// Where it stands.
    pub status: AdReadStatus,
    /// The brief it is read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brief_id: Option<BriefId>,
    /// The brief changed since the latest submission (or since the talent was told).
    #[serde(default)]
    pub brief_changed: bool,
    /// The client approves this read before a reviewer may (the advertiser's
    /// `requiresReadApproval` when it went into review).
    #[serde(default)]
    pub requires_client_approval: bool,
    /// The client's approval of the current submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_approval: Option<ClientApproval>,
    /// Its recordings, oldest first.
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// The reason a reviewer approved it despite a failed check item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// When its episode was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aired_at: Option<DateTime<Utc>>,
    /// The aired excerpt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aircheck: Option<Aircheck>,
    /// No aircheck arrived within a day of air.
    #[serde(default)]
    pub aircheck_missing: bool,
    /// The makegood owed, when it did not air as sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makegood: Option<Makegood>,
    /// Its deadlines.
    #[serde(default)]
    pub deadlines: Deadlines,
    /// The deadline notices told (see [`deadlines`]).
    #[serde(default)]
    pub notices: Vec<String>,
    /// Its moves, oldest first.
    #[serde(default)]
    pub history: Vec<AdReadHistoryEntry>,
    /// Bookkeeping.
    #[serde(flatten)]
    pub stamp: Stamp,
}

impl AdRead {
    /// The read of `line` of the booked `order`, made by the platform at `now`: read by `talent`
    /// from `brief` (`needs_read`), or waiting for a brief (`awaiting_brief`); its deadlines are
    /// the caller's (they need the organization's time zone).
    pub fn of_line(
        order: &crate::order::Order,
        line: &crate::order::OrderLine,
        talent: Option<UserId>,
        brief: Option<BriefId>,
        now: DateTime<Utc>,
    ) -> AdRead {
        AdRead {
            id: AdReadId::new(),
            org_id: order.org_id,
            campaign_id: order.campaign_id,
            advertiser_id: order.advertiser_id,
            order_id: order.id,
            line: line.line,
            spot: line.spot,
            show_id: line.show_id,
            air_date: line.air_date,
            talent_id: talent,
            status: if brief.is_some() { AdReadStatus::NeedsRead } else { AdReadStatus::AwaitingBrief },
            brief_id: brief,
            brief_changed: false,
            requires_client_approval: false,
            client_approval: None,
            submissions: Vec::new(),
            override_reason: None,
            aired_at: None,
            aircheck: None,
            aircheck_missing: false,
            makegood: None,
            deadlines: Deadlines::default(),
            notices: Vec::new(),
            history: Vec::new(),
            stamp: Stamp::created(UserId::SYSTEM, now),
        }
    }

    /// The record's key.
    pub fn key_of(org: &OrgId, id: &AdReadId) -> Key {
        Key::new(org_pk(org, format!("ADREAD#{id}")), PROFILE)
    }

    /// The partition of a read's collection (record and comments).
    pub fn collection_pk(org: &OrgId, id: &AdReadId) -> String {
        org_pk(org, format!("ADREAD#{id}"))
    }

    /// GSI1 partition of a campaign's reads.
    pub fn by_campaign_pk(org: &OrgId, campaign: &CampaignId) -> String {
        org_pk(org, format!("CAMPAIGN#{campaign}#ADREADS"))
    }

    /// GSI2 partition of a talent's reads.
    pub fn by_talent_pk(org: &OrgId, talent: &UserId) -> String {
        org_pk(org, format!("TALENT#{talent}#ADREADS"))
    }

    /// GSI3 partition of a show's reads.
    pub fn by_show_pk(org: &OrgId, show: &ShowId) -> String {
        org_pk(org, format!("SHOW#{show}#ADREADS"))
    }

    /// GSI3 sort key prefix of an episode's reads in its show's partition.
    pub fn episode_sk_prefix(air_date: NaiveDate, episode: &crate::EpisodeId) -> String {
        format!("AIR#{air_date}#{episode}#")
    }

    /// GSI4 partition of the reads with a notice to come.
    pub fn notices_pk(org: &OrgId) -> String {
        org_pk(org, "ADREADS#NOTICES")
    }

    /// GSI4 sort key of a notice instant (every read's notices due by `at` sort before it).
    pub fn notice_sk(at: DateTime<Utc>, id: Option<&AdReadId>) -> String {
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match id {
            Some(id) => format!("{at}#{id}"),
            None => format!("{at}#~"),
        }
    }

    /// The key of the claim that line `line` of `order` has its read.
    pub fn line_claim_key(org: &OrgId, order: &OrderId, line: u32) -> Key {
        Key::new(org_pk(org, format!("ORDER#{order}")), format!("ADREAD#{line:05}"))
    }

    /// The prefix of an order's line claims.
    pub const LINE_CLAIM_PREFIX: &'static str = "ADREAD#";

    /// The latest submission.
    pub fn latest(&self) -> Option<&Submission> {
        self.submissions.last()
    }

    /// The labels of the latest submission's failed check items.
    pub fn failed_items(&self) -> Vec<String> {
        self.latest().map(|s| conformance::failed_labels(&s.checklist)).unwrap_or_default()
    }

    /// Whether the client's approval is required and not given for the latest submission.
    pub fn client_approval_pending(&self) -> bool {
        self.requires_client_approval
            && !self.client_approval.as_ref().is_some_and(|a| {
                a.decision == ClientDecision::Approved && Some(a.submission) == self.latest().map(|s| s.number)
            })
    }

    /// Whether a client user of the advertiser reads it: it waits for, or had, their approval.
    pub fn seen_by_client(&self) -> bool {
        self.client_approval.is_some()
    }

    /// What the transition guards look at, for a move with `with_recording` and
    /// `makegood_reason`.
    pub fn guard_facts(&self, with_recording: bool, has_makegood_reason: bool) -> transitions::GuardFacts {
        transitions::GuardFacts {
            has_brief: self.brief_id.is_some(),
            with_recording,
            client_approval_pending: self.client_approval_pending(),
            failed_items: self.failed_items(),
            has_aircheck: self.aircheck.is_some(),
            has_makegood_reason,
        }
    }

    /// Records a move to `to` by `by` as `actor`.
    pub fn moved(&mut self, to: AdReadStatus, by: UserId, actor: Actor, at: DateTime<Utc>, reason: Option<String>) {
        self.history.push(AdReadHistoryEntry { by, actor, at, from: self.status, to, reason });
        self.status = to;
    }

    fn air_sk(&self) -> String {
        format!("AIR#{}#{}", self.air_date, self.id)
    }
}

impl Entity for AdRead {
    const TYPE: &'static str = "adRead";
    fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    fn key(&self) -> Key {
        Self::key_of(&self.org_id, &self.id)
    }
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let mut keys = vec![
            (Index::Gsi1, Key::new(Self::by_campaign_pk(&self.org_id, &self.campaign_id), self.air_sk())),
            (
                Index::Gsi3,
                Key::new(
                    Self::by_show_pk(&self.org_id, &self.show_id),
                    format!("{}{}", Self::episode_sk_prefix(self.air_date, &self.spot.episode_id), self.id),
                ),
            ),
        ];
        if let Some(talent) = &self.talent_id {
            keys.push((Index::Gsi2, Key::new(Self::by_talent_pk(&self.org_id, talent), self.air_sk())));
        }
        if let Some(at) = self.deadlines.next_notice_at(&self.notices) {
            keys.push((Index::Gsi4, Key::new(Self::notices_pk(&self.org_id), Self::notice_sk(at, Some(&self.id)))));
        }
        keys
    }
    fn version(&self) -> u64 {
        self.stamp.version
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Duration;

    use super::*;
    use crate::EpisodeId;
    use crate::campaign::Position;

    pub(crate) fn read() -> AdRead {
        let mut line = crate::order::tests::line(1, crate::order::Rate::Flat(crate::order::tests::usd(1)), None);
        line.spot = SpotRef { episode_id: EpisodeId::new(), position: Position::Mid, index: 0 };
        let order = crate::order::tests::order(vec![line.clone()]);
        AdRead::of_line(&order, &line, Some(UserId::new()), Some(BriefId::new()), Utc::now())
    }

    #[test]
    fn a_booked_line_makes_a_read_waiting_for_its_brief_or_to_be_recorded() {
        let line = crate::order::tests::line(3, crate::order::Rate::Flat(crate::order::tests::usd(1)), None);
        let order = crate::order::tests::order(vec![line.clone()]);
        let waiting = AdRead::of_line(&order, &line, None, None, Utc::now());
        assert_eq!((waiting.status, waiting.line, waiting.order_id), (AdReadStatus::AwaitingBrief, 3, order.id));
        assert_eq!((waiting.spot, waiting.show_id, waiting.air_date), (line.spot, line.show_id, line.air_date));
        assert_eq!(
            (waiting.campaign_id, waiting.advertiser_id, waiting.org_id),
            (order.campaign_id, order.advertiser_id, order.org_id)
        );
        assert_eq!(waiting.stamp.created_by, UserId::SYSTEM);
        let brief = BriefId::new();
        let ready = AdRead::of_line(&order, &line, None, Some(brief), Utc::now());
        assert_eq!((ready.status, ready.brief_id), (AdReadStatus::NeedsRead, Some(brief)));
        assert_ne!(ready.id, waiting.id);
    }

    pub(crate) fn submission(number: u32, checklist: Vec<CheckItem>) -> Submission {
        Submission {
            number,
            recording_id: MediaId::new(),
            duration_seconds: Some(40.0),
            transcript: "t".into(),
            brief_version: Some(1),
            checklist,
            by: UserId::new(),
            at: Utc::now(),
        }
    }

    #[test]
    fn a_read_is_listed_by_campaign_talent_show_episode_and_next_notice() {
        let mut r = read();
        let keys = r.index_keys();
        assert_eq!(r.key(), Key::new(format!("ORG#{}#ADREAD#{}", r.org_id, r.id), "PROFILE"));
        assert_eq!(
            keys[0],
            (
                Index::Gsi1,
                Key::new(
                    format!("ORG#{}#CAMPAIGN#{}#ADREADS", r.org_id, r.campaign_id),
                    format!("AIR#2026-12-10#{}", r.id)
                )
            )
        );
        assert_eq!(keys[1].1.sk, format!("AIR#2026-12-10#{}#{}", r.spot.episode_id, r.id));
        assert_eq!(keys[1].1.pk, format!("ORG#{}#SHOW#{}#ADREADS", r.org_id, r.show_id));
        assert_eq!(keys[2].1.pk, format!("ORG#{}#TALENT#{}#ADREADS", r.org_id, r.talent_id.unwrap()));
        assert_eq!(keys.len(), 3, "no notice to come: not on the notices index");
        let due = DateTime::parse_from_rfc3339("2026-12-05T23:00:00Z").unwrap().with_timezone(&Utc);
        r.deadlines.recording_due_at = Some(due);
        r.talent_id = None;
        let keys = r.index_keys();
        assert_eq!(keys.len(), 3);
        assert_eq!(
            keys[2],
            (
                Index::Gsi4,
                Key::new(format!("ORG#{}#ADREADS#NOTICES", r.org_id), format!("2026-12-04T23:00:00Z#{}", r.id))
            )
        );
        assert!(
            AdRead::notice_sk(due - Duration::days(1), None) > keys[2].1.sk,
            "a bound past every read of the instant"
        );
        assert_eq!(AdRead::line_claim_key(&r.org_id, &r.order_id, 7).sk, "ADREAD#00007");
        assert_eq!((Entity::org_id(&r), r.version(), <AdRead as Entity>::TYPE), (&r.org_id, 1, "adRead"));
        assert_eq!(AdRead::collection_pk(&r.org_id, &r.id), r.key().pk);
        r.stamp.version = 7;
        assert_eq!(r.version(), 7);
    }

    #[test]
    fn client_approval_counts_for_the_latest_submission_only() {
        let mut r = read();
        assert!(!r.client_approval_pending(), "not required");
        assert!(!r.seen_by_client(), "the client sees a read only once it waits for them");
        r.requires_client_approval = true;
        assert!(r.client_approval_pending());
        r.submissions.push(submission(1, Vec::new()));
        r.client_approval =
            Some(ClientApproval { decision: ClientDecision::Approved, submission: 1, by: None, at: None, note: None });
        assert!(!r.client_approval_pending());
        assert!(r.seen_by_client());
        r.submissions.push(submission(2, Vec::new()));
        assert!(r.client_approval_pending(), "a new take needs a new approval");
        r.client_approval = Some(ClientApproval {
            decision: ClientDecision::ChangesRequested,
            submission: 2,
            by: None,
            at: None,
            note: None,
        });
        assert!(r.client_approval_pending());
    }

    #[test]
    fn guard_facts_and_moves() {
        let mut r = read();
        let failed = CheckItem {
            kind: conformance::CheckKind::PromoCode,
            subject: "X".into(),
            passed: false,
            detail: String::new(),
        };
        r.submissions.push(submission(1, vec![failed]));
        let f = r.guard_facts(true, false);
        assert_eq!(f.failed_items, ["promoCode"]);
        assert!(
            f.has_brief && f.with_recording && !f.has_aircheck && !f.has_makegood_reason && !f.client_approval_pending
        );
        r.brief_id = None;
        assert!(!r.guard_facts(false, true).has_brief);
        assert!(r.guard_facts(false, true).has_makegood_reason);
        let by = UserId::new();
        r.moved(AdReadStatus::Submitted, by, Actor::Talent, Utc::now(), None);
        assert_eq!(r.status, AdReadStatus::Submitted);
        assert_eq!(
            (r.history[0].from, r.history[0].to, r.history[0].by),
            (AdReadStatus::NeedsRead, AdReadStatus::Submitted, by)
        );
        assert_eq!(r.latest().map(|s| s.number), Some(1));
    }
}
