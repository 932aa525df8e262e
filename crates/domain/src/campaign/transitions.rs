//! The campaign state machine: every allowed edge, who may take it and what it needs.
//!
//! ```text
//! draft(10) -> proposal(35) -> negotiation(65) -> pending_approval(90) -> won(100) -> live -> completed
//!                                    ^                  |                               |  ^
//!                                    +---- reject ------+                               v  |
//!                                                                                     paused
//! lost(0):   from draft, proposal, negotiation, pending_approval (reason required)
//! cancelled: from won, live, paused (admin; reason required)
//! ```
//!
//! Whether the actor may edit the campaign at all is the permission policy's question
//! ([`crate::permissions`]); this module answers whether the edge itself is open to them.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Campaign, HistoryEntry};
use crate::{Role, UserId};

/// Where a campaign is in the sales pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being put together.
    Draft,
    /// Proposed to the client.
    Proposal,
    /// Terms under negotiation.
    Negotiation,
    /// Waiting for an admin's approval.
    PendingApproval,
    /// Sold.
    Won,
    /// Running.
    Live,
    /// Temporarily stopped.
    Paused,
    /// Ran to its end.
    Completed,
    /// Not sold.
    Lost,
    /// Stopped for good after it was sold.
    Cancelled,
}

impl CampaignStatus {
    /// Every status.
    pub const ALL: [CampaignStatus; 10] = [
        CampaignStatus::Draft,
        CampaignStatus::Proposal,
        CampaignStatus::Negotiation,
        CampaignStatus::PendingApproval,
        CampaignStatus::Won,
        CampaignStatus::Live,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Lost,
        CampaignStatus::Cancelled,
    ];

    /// Win probability in percent for this status.
    pub fn probability(&self) -> u8 {
        match self {
            CampaignStatus::Draft => 10,
            CampaignStatus::Proposal => 35,
            CampaignStatus::Negotiation => 65,
            CampaignStatus::PendingApproval => 90,
            CampaignStatus::Won | CampaignStatus::Live | CampaignStatus::Paused | CampaignStatus::Completed => 100,
            CampaignStatus::Lost | CampaignStatus::Cancelled => 0,
        }
    }

    /// The API name (`pending_approval`).
    pub fn as_str(&self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Proposal => "proposal",
            CampaignStatus::Negotiation => "negotiation",
            CampaignStatus::PendingApproval => "pending_approval",
            CampaignStatus::Won => "won",
            CampaignStatus::Live => "live",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Lost => "lost",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    /// Statuses that hold a client's commitment: a client with such campaigns cannot be archived.
    pub fn is_committed(&self) -> bool {
        matches!(self, CampaignStatus::Won | CampaignStatus::Live | CampaignStatus::Paused)
    }

    /// Statuses a campaign may be archived in: before the sale (draft) or once it is over. An
    /// archived campaign never moves again, so one still in play would stay there forever.
    pub fn is_archivable(&self) -> bool {
        matches!(
            self,
            CampaignStatus::Draft | CampaignStatus::Lost | CampaignStatus::Completed | CampaignStatus::Cancelled
        )
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is moving the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person (or API key) with a role, already allowed to edit the campaign by the policy.
    User(Role),
    /// The daily job: only the automatic won -> live and live -> completed moves.
    System,
}

/// Who an edge is open to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeRole {
    /// Anyone the policy lets edit the campaign.
    Editor,
    /// Admins (and master) only.
    Admin,
}

/// What an edge needs before it can be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Nothing.
    None,
    /// Client, both dates and a positive budget.
    ReadyToLeaveDraft,
    /// `startDate <= today`.
    Started,
    /// `endDate < today`.
    Ended,
    /// A non-empty reason.
    Reason,
}

/// One allowed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// From.
    pub from: CampaignStatus,
    /// To.
    pub to: CampaignStatus,
    /// Who may take it.
    pub role: EdgeRole,
    /// What it needs.
    pub guard: Guard,
    /// Whether the daily job takes it by itself.
    pub automatic: bool,
}

const fn edge(from: CampaignStatus, to: CampaignStatus, role: EdgeRole, guard: Guard, automatic: bool) -> Edge {
    Edge { from, to, role, guard, automatic }
}

use CampaignStatus as S;
use EdgeRole::{Admin, Editor};

/// Every allowed edge of the campaign state machine; anything not listed is refused.
pub const EDGES: &[Edge] = &[
    edge(S::Draft, S::Proposal, Editor, Guard::ReadyToLeaveDraft, false),
    edge(S::Proposal, S::Negotiation, Editor, Guard::None, false),
    edge(S::Negotiation, S::PendingApproval, Editor, Guard::None, false),
    edge(S::PendingApproval, S::Won, Admin, Guard::None, false),
    // "reject": back to negotiation.
    edge(S::PendingApproval, S::Negotiation, Admin, Guard::None, false),
    edge(S::Won, S::Live, Editor, Guard::Started, true),
    edge(S::Live, S::Completed, Editor, Guard::Ended, true),
    edge(S::Live, S::Paused, Editor, Guard::None, false),
    edge(S::Paused, S::Live, Editor, Guard::None, false),
    edge(S::Draft, S::Lost, Editor, Guard::Reason, false),
    edge(S::Proposal, S::Lost, Editor, Guard::Reason, false),
    edge(S::Negotiation, S::Lost, Editor, Guard::Reason, false),
    edge(S::PendingApproval, S::Lost, Editor, Guard::Reason, false),
    edge(S::Won, S::Cancelled, Admin, Guard::Reason, false),
    edge(S::Live, S::Cancelled, Admin, Guard::Reason, false),
    edge(S::Paused, S::Cancelled, Admin, Guard::Reason, false),
];

/// The campaign facts the guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardFacts {
    /// A client is set.
    pub has_client: bool,
    /// First day.
    pub start_date: Option<NaiveDate>,
    /// Last day.
    pub end_date: Option<NaiveDate>,
    /// The budget is set and above zero.
    pub budget_positive: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// An archived campaign keeps its status.
    #[error("an archived campaign keeps its status")]
    Archived,
    /// The campaign is already in that status.
    #[error("the campaign is already {0}")]
    AlreadyThere(CampaignStatus),
    /// No such edge.
    #[error("a campaign cannot move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: CampaignStatus,
        /// Requested status.
        to: CampaignStatus,
    },
    /// The edge is for admins.
    #[error("only an admin can move a campaign from {from} to {to}")]
    AdminOnly {
        /// Current status.
        from: CampaignStatus,
        /// Requested status.
        to: CampaignStatus,
    },
    /// The daily job takes only the automatic edges.
    #[error("the scheduler cannot move a campaign from {from} to {to}")]
    NotAutomatic {
        /// Current status.
        from: CampaignStatus,
        /// Requested status.
        to: CampaignStatus,
    },
    /// Leaving draft needs these fields.
    #[error("to leave draft the campaign needs: {}", .missing.join(", "))]
    NotReady {
        /// The missing fields' names (`clientId`, `startDate`, `endDate`, `budget`).
        missing: Vec<&'static str>,
    },
    /// `won -> live` before the start date.
    #[error("the campaign starts on {start}; it cannot go live before then")]
    NotStarted {
        /// The start date.
        start: NaiveDate,
    },
    /// `live -> completed` on or before the end date.
    #[error("the campaign runs until {end}; it can complete after that")]
    NotEnded {
        /// The end date.
        end: NaiveDate,
    },
    /// Lost and cancelled need a reason.
    #[error("a reason is required to move a campaign to {0}")]
    ReasonRequired(CampaignStatus),
}

/// Whether a campaign has what leaving draft needs (client, both dates, a positive budget); a
/// campaign past draft must keep it.
pub fn ready_to_leave_draft(facts: &GuardFacts) -> Result<(), TransitionError> {
    let mut missing = Vec::new();
    if !facts.has_client {
        missing.push("clientId");
    }
    if facts.start_date.is_none() {
        missing.push("startDate");
    }
    if facts.end_date.is_none() {
        missing.push("endDate");
    }
    if !facts.budget_positive {
        missing.push("budget");
    }
    if missing.is_empty() { Ok(()) } else { Err(TransitionError::NotReady { missing }) }
}

/// The edge from one status to another, if there is one.
pub fn edge_between(from: CampaignStatus, to: CampaignStatus) -> Option<&'static Edge> {
    EDGES.iter().find(|e| e.from == from && e.to == to)
}

/// The statuses reachable from `from` for an actor (ignoring guards): what a UI offers.
pub fn next_statuses(from: CampaignStatus, actor: Actor) -> Vec<CampaignStatus> {
    EDGES.iter().filter(|e| e.from == from && role_may_take(e, actor)).map(|e| e.to).collect()
}

fn role_may_take(e: &Edge, actor: Actor) -> bool {
    match actor {
        Actor::System => e.automatic,
        Actor::User(role) => e.role == Editor || role.is_admin_or_master(),
    }
}

/// Checks one transition: the edge exists, the actor may take it and its guard holds.
pub fn check(
    from: CampaignStatus,
    to: CampaignStatus,
    actor: Actor,
    facts: &GuardFacts,
    reason: Option<&str>,
    today: NaiveDate,
) -> Result<&'static Edge, TransitionError> {
    if from == to {
        return Err(TransitionError::AlreadyThere(from));
    }
    let e = edge_between(from, to).ok_or(TransitionError::NotAllowed { from, to })?;
    if !role_may_take(e, actor) {
        return Err(match actor {
            Actor::System => TransitionError::NotAutomatic { from, to },
            Actor::User(_) => TransitionError::AdminOnly { from, to },
        });
    }
    match e.guard {
        Guard::None => {}
        Guard::ReadyToLeaveDraft => ready_to_leave_draft(facts)?,
        Guard::Started => match facts.start_date {
            Some(start) if start <= today => {}
            Some(start) => return Err(TransitionError::NotStarted { start }),
            None => {
                return Err(TransitionError::NotReady { missing: vec!["startDate"] });
            }
        },
        Guard::Ended => match facts.end_date {
            Some(end) if end < today => {}
            Some(end) => return Err(TransitionError::NotEnded { end }),
            None => {
                return Err(TransitionError::NotReady { missing: vec!["endDate"] });
            }
        },
        Guard::Reason => {
            if reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(TransitionError::ReasonRequired(to));
            }
        }
    }
    Ok(e)
}

/// A transition made: the campaign after it and the history entry that records it, written
/// together (one transaction) by whoever moved it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitioned {
    /// The campaign in its new status, its stamp touched (the next version).
    pub campaign: Campaign,
    /// The history entry.
    pub entry: HistoryEntry,
}

/// Moves campaign `c` to `to` as `actor` (the user `by`; [`UserId::SYSTEM`] for the daily job)
/// at `now`, `today` being the organization's date then, for the reason given: checks the edge,
/// the actor and the guard ([`check`]), and
/// answers the campaign after the move and its history entry. The API and the daily job both
/// move campaigns through this one function.
pub fn transition(
    c: &Campaign,
    to: CampaignStatus,
    actor: Actor,
    by: UserId,
    reason: Option<String>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Transitioned, TransitionError> {
    if c.archived {
        return Err(TransitionError::Archived);
    }
    check(c.status, to, actor, &c.guard_facts(), reason.as_deref(), today)?;
    let mut campaign = c.clone();
    campaign.status = to;
    campaign.probability = to.probability();
    campaign.stamp = c.stamp.touched(by, now);
    let entry = HistoryEntry {
        campaign_id: c.id,
        org_id: c.org_id,
        id: ulid::Ulid::new(),
        by: match actor {
            Actor::User(_) => Some(by),
            Actor::System => None,
        },
        at: now,
        from: c.status,
        to,
        reason,
    };
    Ok(Transitioned { campaign, entry })
}

/// What the daily job should do with a campaign today, if anything.
pub fn automatic_next(status: CampaignStatus, facts: &GuardFacts, today: NaiveDate) -> Option<CampaignStatus> {
    EDGES
        .iter()
        .filter(|e| e.from == status && e.automatic)
        .find(|e| check(e.from, e.to, Actor::System, facts, None, today).is_ok())
        .map(|e| e.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ready() -> GuardFacts {
        GuardFacts {
            has_client: true,
            start_date: Some(d("2026-03-01")),
            end_date: Some(d("2026-03-31")),
            budget_positive: true,
        }
    }

    const TODAY: &str = "2026-03-15";

    /// Every (from, to) pair not in EDGES is refused for every actor, and every listed pair exists.
    #[test]
    fn only_listed_edges_exist() {
        let mut allowed = 0;
        for from in CampaignStatus::ALL {
            for to in CampaignStatus::ALL {
                let listed = edge_between(from, to).is_some();
                for actor in
                    [Actor::User(Role::Master), Actor::User(Role::Admin), Actor::User(Role::Seller), Actor::System]
                {
                    let r = check(from, to, actor, &ready(), Some("why"), d(TODAY));
                    if from == to {
                        assert_eq!(r.unwrap_err(), TransitionError::AlreadyThere(from));
                    } else if !listed {
                        assert_eq!(r.unwrap_err(), TransitionError::NotAllowed { from, to }, "{from}->{to}");
                    }
                }
                allowed += usize::from(listed);
            }
        }
        assert_eq!(allowed, EDGES.len());
        assert_eq!(EDGES.len(), 16);
    }

    /// Each listed edge: who may take it, and what is refused to whom.
    #[test]
    fn every_edge_by_actor() {
        let today = d(TODAY);
        // Use facts under which every guard passes, so only the role decides.
        let f = GuardFacts { end_date: Some(d("2026-03-10")), ..ready() };
        for e in EDGES {
            for role in Role::ALL {
                let r = check(e.from, e.to, Actor::User(role), &f, Some("because"), today);
                let expect_ok = e.role == Editor || role.is_admin_or_master();
                assert_eq!(r.is_ok(), expect_ok, "{} -> {} as {role}: {r:?}", e.from, e.to);
                if !expect_ok {
                    assert_eq!(r.unwrap_err(), TransitionError::AdminOnly { from: e.from, to: e.to });
                }
            }
            let sys = check(e.from, e.to, Actor::System, &f, Some("because"), today);
            assert_eq!(sys.is_ok(), e.automatic, "{} -> {} by the system", e.from, e.to);
        }
    }

    #[test]
    fn admin_only_edges_are_approve_reject_and_cancel() {
        let admin_only: Vec<_> = EDGES.iter().filter(|e| e.role == Admin).map(|e| (e.from, e.to)).collect();
        assert_eq!(
            admin_only,
            vec![
                (S::PendingApproval, S::Won),
                (S::PendingApproval, S::Negotiation),
                (S::Won, S::Cancelled),
                (S::Live, S::Cancelled),
                (S::Paused, S::Cancelled),
            ]
        );
    }

    #[test]
    fn leaving_draft_lists_what_is_missing() {
        let seller = Actor::User(Role::Seller);
        let empty = GuardFacts { has_client: false, start_date: None, end_date: None, budget_positive: false };
        assert_eq!(
            check(S::Draft, S::Proposal, seller, &empty, None, d(TODAY)).unwrap_err(),
            TransitionError::NotReady { missing: vec!["clientId", "startDate", "endDate", "budget"] }
        );
        let no_budget = GuardFacts { budget_positive: false, ..ready() };
        assert_eq!(
            check(S::Draft, S::Proposal, seller, &no_budget, None, d(TODAY)).unwrap_err(),
            TransitionError::NotReady { missing: vec!["budget"] }
        );
        assert!(check(S::Draft, S::Proposal, seller, &ready(), None, d(TODAY)).is_ok());
        // Losing a draft does not need it to be complete, only a reason.
        assert!(check(S::Draft, S::Lost, seller, &empty, Some("budget cut"), d(TODAY)).is_ok());
    }

    #[test]
    fn going_live_waits_for_the_start_date() {
        let admin = Actor::User(Role::Admin);
        let f = GuardFacts { start_date: Some(d("2026-03-16")), ..ready() };
        assert_eq!(
            check(S::Won, S::Live, admin, &f, None, d(TODAY)).unwrap_err(),
            TransitionError::NotStarted { start: d("2026-03-16") }
        );
        assert!(check(S::Won, S::Live, admin, &f, None, d("2026-03-16")).is_ok());
        let undated = GuardFacts { start_date: None, ..ready() };
        assert!(matches!(
            check(S::Won, S::Live, admin, &undated, None, d(TODAY)),
            Err(TransitionError::NotReady { .. })
        ));
    }

    #[test]
    fn completing_waits_until_after_the_end_date() {
        let admin = Actor::User(Role::Admin);
        let f = ready(); // ends 2026-03-31
        assert_eq!(
            check(S::Live, S::Completed, admin, &f, None, d("2026-03-31")).unwrap_err(),
            TransitionError::NotEnded { end: d("2026-03-31") }
        );
        assert!(check(S::Live, S::Completed, admin, &f, None, d("2026-04-01")).is_ok());
        let undated = GuardFacts { end_date: None, ..ready() };
        assert!(matches!(
            check(S::Live, S::Completed, admin, &undated, None, d(TODAY)),
            Err(TransitionError::NotReady { .. })
        ));
    }

    #[test]
    fn lost_and_cancelled_need_a_reason() {
        for e in EDGES.iter().filter(|e| e.guard == Guard::Reason) {
            let admin = Actor::User(Role::Admin);
            for reason in [None, Some(""), Some("   ")] {
                assert_eq!(
                    check(e.from, e.to, admin, &ready(), reason, d(TODAY)).unwrap_err(),
                    TransitionError::ReasonRequired(e.to)
                );
            }
            assert!(check(e.from, e.to, admin, &ready(), Some("client withdrew"), d(TODAY)).is_ok());
        }
    }

    #[test]
    fn the_daily_job_moves_only_what_is_due() {
        let f = ready(); // 2026-03-01 .. 2026-03-31
        assert_eq!(automatic_next(S::Won, &f, d("2026-02-28")), None);
        assert_eq!(automatic_next(S::Won, &f, d("2026-03-01")), Some(S::Live));
        assert_eq!(automatic_next(S::Live, &f, d("2026-03-31")), None);
        assert_eq!(automatic_next(S::Live, &f, d("2026-04-01")), Some(S::Completed));
        for s in
            [S::Draft, S::Proposal, S::Negotiation, S::PendingApproval, S::Paused, S::Completed, S::Lost, S::Cancelled]
        {
            assert_eq!(automatic_next(s, &f, d("2030-01-01")), None, "{s}");
        }
    }

    #[test]
    fn next_statuses_depend_on_the_actor() {
        assert_eq!(next_statuses(S::PendingApproval, Actor::User(Role::Seller)), vec![S::Lost]);
        assert_eq!(next_statuses(S::PendingApproval, Actor::User(Role::Admin)), vec![S::Won, S::Negotiation, S::Lost]);
        assert_eq!(next_statuses(S::Live, Actor::System), vec![S::Completed]);
    }

    #[test]
    fn probabilities_follow_the_pipeline() {
        let p: Vec<u8> = CampaignStatus::ALL.iter().map(|s| s.probability()).collect();
        assert_eq!(p, vec![10, 35, 65, 90, 100, 100, 100, 100, 0, 0]);
        assert_eq!(serde_json::to_string(&S::PendingApproval).unwrap(), "\"pending_approval\"");
    }

    #[test]
    fn a_transition_answers_the_moved_campaign_and_its_history_entry() {
        let c = crate::campaign::tests::campaign();
        let (me, now) = (UserId::new(), Utc::now());
        let today = d("2026-03-10");
        let moved =
            transition(&c, S::Proposal, Actor::User(Role::Seller), me, Some("sent".into()), now, today).unwrap();
        let (next, entry) = (&moved.campaign, &moved.entry);
        assert_eq!((next.status, next.probability), (S::Proposal, 35));
        assert_eq!((next.stamp.version, next.stamp.updated_by, next.stamp.updated_at), (c.stamp.version + 1, me, now));
        assert_eq!((entry.from, entry.to, entry.by, entry.at), (S::Draft, S::Proposal, Some(me), now));
        assert_eq!((entry.campaign_id, entry.org_id, entry.reason.as_deref()), (c.id, c.org_id, Some("sent")));
        // The daily job's moves are by no one.
        let mut won = c.clone();
        won.status = S::Won;
        let started = transition(&won, S::Live, Actor::System, UserId::SYSTEM, None, now, today).unwrap();
        assert_eq!((started.entry.by, started.campaign.stamp.updated_by), (None, UserId::SYSTEM));
        // Refusals carry the rule's reason; an archived campaign keeps its status.
        let refused = transition(&c, S::Won, Actor::User(Role::Admin), me, None, now, today);
        assert_eq!(refused, Err(TransitionError::NotAllowed { from: S::Draft, to: S::Won }));
        let mut archived = c;
        archived.archived = true;
        let r = transition(&archived, S::Proposal, Actor::User(Role::Admin), me, None, now, today);
        assert_eq!(r, Err(TransitionError::Archived));
    }

    #[test]
    fn won_live_and_paused_campaigns_hold_their_client() {
        let committed: Vec<CampaignStatus> = CampaignStatus::ALL.into_iter().filter(|s| s.is_committed()).collect();
        assert_eq!(committed, vec![S::Won, S::Live, S::Paused]);
    }

    #[test]
    fn only_campaigns_before_or_after_the_sale_are_archivable() {
        let archivable: Vec<CampaignStatus> = CampaignStatus::ALL.into_iter().filter(|s| s.is_archivable()).collect();
        assert_eq!(archivable, vec![S::Draft, S::Completed, S::Lost, S::Cancelled]);
    }
}
