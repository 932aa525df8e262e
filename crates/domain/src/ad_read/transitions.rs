//! The host read state machine: every allowed edge, who may take it and what it needs.
//!
//! ```text
//! awaiting_brief -> needs_read -> submitted -> in_review -> approved -> aired -> verified
//!                       ^                          |                       |
//!                       +-- revisions_requested <--+                       +-> makegood_required
//!
//! cancelled: from any status before aired, when the booking is released (the platform)
//! ```
//!
//! Nothing moves backwards except through `revisions_requested`. Who acts is one of
//! [`Actor`]: the assigned talent records and submits, the campaign's reviewers (its owner, a
//! team member with `approve`, an admin) review and verify, a client user of the advertiser
//! approves when the client requires it, and the platform moves what follows from other
//! changes (a brief appears, an episode is published, a booking is released). Whether the
//! person may act on the read at all is the permission policy's question (`AdRead*` actions);
//! this module answers whether the edge is open to them and its guards hold.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::UserId;

/// Where a host read stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdReadStatus {
    /// Booked, but the campaign has no brief for it yet.
    AwaitingBrief,
    /// The talent is to record it.
    NeedsRead,
    /// A recording was submitted; no reviewer has taken it up.
    Submitted,
    /// Being reviewed (and, when the client requires it, approved by the client).
    InReview,
    /// The reviewer (or the client) asked for another take.
    RevisionsRequested,
    /// Approved for air.
    Approved,
    /// Its episode was published.
    Aired,
    /// Its aircheck was verified: delivered as sold.
    Verified,
    /// It did not air as sold; a replacement is owed.
    MakegoodRequired,
    /// Its booking was released before it aired.
    Cancelled,
}

impl AdReadStatus {
    /// Every status.
    pub const ALL: [AdReadStatus; 10] = [
        AdReadStatus::AwaitingBrief,
        AdReadStatus::NeedsRead,
        AdReadStatus::Submitted,
        AdReadStatus::InReview,
        AdReadStatus::RevisionsRequested,
        AdReadStatus::Approved,
        AdReadStatus::Aired,
        AdReadStatus::Verified,
        AdReadStatus::MakegoodRequired,
        AdReadStatus::Cancelled,
    ];

    /// The API name (`needs_read`).
    pub fn as_str(&self) -> &'static str {
        match self {
            AdReadStatus::AwaitingBrief => "awaiting_brief",
            AdReadStatus::NeedsRead => "needs_read",
            AdReadStatus::Submitted => "submitted",
            AdReadStatus::InReview => "in_review",
            AdReadStatus::RevisionsRequested => "revisions_requested",
            AdReadStatus::Approved => "approved",
            AdReadStatus::Aired => "aired",
            AdReadStatus::Verified => "verified",
            AdReadStatus::MakegoodRequired => "makegood_required",
            AdReadStatus::Cancelled => "cancelled",
        }
    }

    /// Whether it is still being produced: a brief change concerns it and its booking's release
    /// cancels it.
    pub fn in_production(&self) -> bool {
        matches!(
            self,
            AdReadStatus::AwaitingBrief
                | AdReadStatus::NeedsRead
                | AdReadStatus::Submitted
                | AdReadStatus::InReview
                | AdReadStatus::RevisionsRequested
                | AdReadStatus::Approved
        )
    }
}

impl fmt::Display for AdReadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who takes an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The talent assigned to the read.
    Talent,
    /// The campaign's owner, a team member with `approve`, or an admin.
    Reviewer,
    /// A client user of the advertiser (only when the client requires read approval).
    Client,
    /// The platform, following another change.
    System,
}

/// What an edge needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Nothing.
    None,
    /// The read has a brief.
    HasBrief,
    /// A submission with a recording (the submission route takes this edge).
    Recording,
    /// A non-empty reason.
    Reason,
    /// The client's approval when required, and an override reason for a failed check.
    Approvable,
    /// An aircheck was uploaded.
    HasAircheck,
    /// A makegood reason code.
    MakegoodReason,
}

/// One allowed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// From.
    pub from: AdReadStatus,
    /// To.
    pub to: AdReadStatus,
    /// Who takes it.
    pub actor: Actor,
    /// What it needs.
    pub guard: Guard,
}

const fn edge(from: AdReadStatus, to: AdReadStatus, actor: Actor, guard: Guard) -> Edge {
    Edge { from, to, actor, guard }
}

use AdReadStatus as S;

/// Every edge; anything not listed is refused. Cancelling is the platform's, from every status
/// in production.
pub const EDGES: &[Edge] = &[
    edge(S::AwaitingBrief, S::NeedsRead, Actor::System, Guard::HasBrief),
    edge(S::NeedsRead, S::Submitted, Actor::Talent, Guard::Recording),
    edge(S::Submitted, S::InReview, Actor::Reviewer, Guard::None),
    edge(S::InReview, S::RevisionsRequested, Actor::Reviewer, Guard::Reason),
    edge(S::InReview, S::RevisionsRequested, Actor::Client, Guard::Reason),
    edge(S::RevisionsRequested, S::NeedsRead, Actor::Talent, Guard::None),
    edge(S::InReview, S::Approved, Actor::Reviewer, Guard::Approvable),
    edge(S::Approved, S::Aired, Actor::System, Guard::None),
    edge(S::Aired, S::Verified, Actor::Reviewer, Guard::HasAircheck),
    edge(S::Aired, S::MakegoodRequired, Actor::Reviewer, Guard::MakegoodReason),
    edge(S::AwaitingBrief, S::Cancelled, Actor::System, Guard::None),
    edge(S::NeedsRead, S::Cancelled, Actor::System, Guard::None),
    edge(S::Submitted, S::Cancelled, Actor::System, Guard::None),
    edge(S::InReview, S::Cancelled, Actor::System, Guard::None),
    edge(S::RevisionsRequested, S::Cancelled, Actor::System, Guard::None),
    edge(S::Approved, S::Cancelled, Actor::System, Guard::None),
];

/// The edge from one status to another for one actor, if there is one.
pub fn edge_for(from: AdReadStatus, to: AdReadStatus, actor: Actor) -> Option<&'static Edge> {
    EDGES.iter().find(|e| e.from == from && e.to == to && e.actor == actor)
}

/// The statuses an actor may ask for from `from` (ignoring guards): what a UI offers.
pub fn next_statuses(from: AdReadStatus, actor: Actor) -> Vec<AdReadStatus> {
    EDGES.iter().filter(|e| e.from == from && e.actor == actor).map(|e| e.to).collect()
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The read is already in that status.
    #[error("the read is already {0}")]
    AlreadyThere(AdReadStatus),
    /// No such edge for anyone.
    #[error("a read cannot move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: AdReadStatus,
        /// Requested status.
        to: AdReadStatus,
    },
    /// The edge exists, for someone else.
    #[error("moving a read from {from} to {to} is not yours to do")]
    NotYours {
        /// Current status.
        from: AdReadStatus,
        /// Requested status.
        to: AdReadStatus,
    },
    /// The read has no brief.
    #[error("the read has no brief yet")]
    NoBrief,
    /// Only a submission moves a read to submitted.
    #[error("a read is submitted with its recording: POST a submission")]
    NeedsSubmission,
    /// The edge needs a reason.
    #[error("a reason is required to move a read to {0}")]
    ReasonRequired(AdReadStatus),
    /// The client requires approving reads, and has not.
    #[error("the client approves this advertiser's reads before they are approved, and has not yet")]
    ClientApprovalPending,
    /// The check found problems and no override reason was given.
    #[error("the conformance check failed on: {0}; approving it needs an override reason")]
    CheckFailed(String),
    /// Verifying needs the aired excerpt.
    #[error("verifying a read needs its aircheck: upload the aired excerpt first")]
    NoAircheck,
    /// A makegood needs its reason code.
    #[error("a makegood needs its reason: missing, short, wrong_position, bad_promo, competitor, stale or other")]
    MakegoodReasonRequired,
}

/// The facts the guards look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardFacts {
    /// Whether a brief applies to the read.
    pub has_brief: bool,
    /// Whether this move comes with a submitted recording.
    pub with_recording: bool,
    /// Whether the client's approval is required and not given.
    pub client_approval_pending: bool,
    /// The items of the latest submission's check that failed.
    pub failed_items: Vec<String>,
    /// Whether an aircheck was uploaded.
    pub has_aircheck: bool,
    /// Whether a makegood reason code was given.
    pub has_makegood_reason: bool,
}

/// Checks one transition asked for by `actor`: the edge exists for them, and its guard holds
/// with `reason` (a revision's or a makegood's note, or an approval's override reason).
pub fn check(
    from: AdReadStatus,
    to: AdReadStatus,
    actor: Actor,
    facts: &GuardFacts,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    if from == to {
        return Err(TransitionError::AlreadyThere(from));
    }
    let Some(e) = edge_for(from, to, actor) else {
        return Err(if EDGES.iter().any(|e| e.from == from && e.to == to) {
            TransitionError::NotYours { from, to }
        } else {
            TransitionError::NotAllowed { from, to }
        });
    };
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    match e.guard {
        Guard::None => Ok(()),
        Guard::HasBrief if !facts.has_brief => Err(TransitionError::NoBrief),
        Guard::Recording if !facts.with_recording => Err(TransitionError::NeedsSubmission),
        Guard::Reason if !has_reason => Err(TransitionError::ReasonRequired(to)),
        Guard::Approvable if facts.client_approval_pending => Err(TransitionError::ClientApprovalPending),
        Guard::Approvable if !facts.failed_items.is_empty() && !has_reason => {
            Err(TransitionError::CheckFailed(facts.failed_items.join(", ")))
        }
        Guard::HasAircheck if !facts.has_aircheck => Err(TransitionError::NoAircheck),
        Guard::MakegoodReason if !facts.has_makegood_reason => Err(TransitionError::MakegoodReasonRequired),
        _ => Ok(()),
    }
}

/// One move of a read, kept in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdReadHistoryEntry {
    /// Who moved it ([`UserId::SYSTEM`] for the platform).
    pub by: UserId,
    /// As whom.
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// From.
    pub from: AdReadStatus,
    /// To.
    pub to: AdReadStatus,
    /// Why (a revision's request, a makegood's note, an approval's override reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> GuardFacts {
        GuardFacts {
            has_brief: true,
            with_recording: true,
            has_aircheck: true,
            has_makegood_reason: true,
            ..GuardFacts::default()
        }
    }

    #[test]
    fn the_happy_path_is_open_to_each_actor_in_turn() {
        let path = [
            (S::AwaitingBrief, S::NeedsRead, Actor::System),
            (S::NeedsRead, S::Submitted, Actor::Talent),
            (S::Submitted, S::InReview, Actor::Reviewer),
            (S::InReview, S::Approved, Actor::Reviewer),
            (S::Approved, S::Aired, Actor::System),
            (S::Aired, S::Verified, Actor::Reviewer),
        ];
        for (from, to, actor) in path {
            assert_eq!(check(from, to, actor, &facts(), None), Ok(()), "{from} -> {to}");
            for other in [Actor::Talent, Actor::Reviewer, Actor::Client, Actor::System] {
                if other != actor {
                    assert_eq!(
                        check(from, to, other, &facts(), Some("r")),
                        Err(TransitionError::NotYours { from, to }),
                        "{from} -> {to} by {other:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nothing_moves_backwards_or_skips_a_state() {
        let open: Vec<(S, S)> = EDGES.iter().map(|e| (e.from, e.to)).collect();
        for from in S::ALL {
            for to in S::ALL {
                if from == to {
                    assert_eq!(
                        check(from, to, Actor::Reviewer, &facts(), None),
                        Err(TransitionError::AlreadyThere(from))
                    );
                    continue;
                }
                if !open.contains(&(from, to)) {
                    for actor in [Actor::Talent, Actor::Reviewer, Actor::Client, Actor::System] {
                        assert_eq!(
                            check(from, to, actor, &facts(), Some("r")),
                            Err(TransitionError::NotAllowed { from, to }),
                            "{from} -> {to}"
                        );
                    }
                }
            }
        }
        // The only way back is a revision.
        let backwards: Vec<_> = EDGES.iter().filter(|e| e.to != S::Cancelled && e.to < e.from).collect();
        assert_eq!(backwards.len(), 1);
        assert_eq!((backwards[0].from, backwards[0].to), (S::RevisionsRequested, S::NeedsRead));
        assert!(check(S::NeedsRead, S::Approved, Actor::Reviewer, &facts(), Some("r")).is_err());
    }

    #[test]
    fn each_guard_refuses_until_its_fact_holds() {
        let none = GuardFacts::default();
        assert_eq!(check(S::AwaitingBrief, S::NeedsRead, Actor::System, &none, None), Err(TransitionError::NoBrief));
        assert_eq!(
            check(S::NeedsRead, S::Submitted, Actor::Talent, &none, None),
            Err(TransitionError::NeedsSubmission)
        );
        for actor in [Actor::Reviewer, Actor::Client] {
            assert_eq!(
                check(S::InReview, S::RevisionsRequested, actor, &none, Some("  ")),
                Err(TransitionError::ReasonRequired(S::RevisionsRequested))
            );
            assert_eq!(check(S::InReview, S::RevisionsRequested, actor, &none, Some("louder")), Ok(()));
        }
        let pending = GuardFacts { client_approval_pending: true, ..GuardFacts::default() };
        assert_eq!(
            check(S::InReview, S::Approved, Actor::Reviewer, &pending, Some("override")),
            Err(TransitionError::ClientApprovalPending)
        );
        let failed = GuardFacts { failed_items: vec!["promoCode".into(), "length".into()], ..GuardFacts::default() };
        assert_eq!(
            check(S::InReview, S::Approved, Actor::Reviewer, &failed, None),
            Err(TransitionError::CheckFailed("promoCode, length".into()))
        );
        assert_eq!(check(S::InReview, S::Approved, Actor::Reviewer, &failed, Some("host ad-libbed")), Ok(()));
        assert_eq!(check(S::InReview, S::Approved, Actor::Reviewer, &none, None), Ok(()));
        assert_eq!(check(S::Aired, S::Verified, Actor::Reviewer, &none, None), Err(TransitionError::NoAircheck));
        assert_eq!(
            check(S::Aired, S::MakegoodRequired, Actor::Reviewer, &none, None),
            Err(TransitionError::MakegoodReasonRequired)
        );
    }

    #[test]
    fn only_reads_in_production_are_cancelled_by_the_platform() {
        for s in S::ALL {
            let open = check(s, S::Cancelled, Actor::System, &facts(), None).is_ok();
            assert_eq!(open, s.in_production(), "{s}");
            assert!(check(s, S::Cancelled, Actor::Reviewer, &facts(), Some("r")).is_err());
        }
        assert_eq!(next_statuses(S::InReview, Actor::Reviewer), [S::RevisionsRequested, S::Approved]);
        assert_eq!(next_statuses(S::InReview, Actor::Client), [S::RevisionsRequested]);
        assert_eq!(next_statuses(S::Verified, Actor::Reviewer), Vec::<S>::new());
        for s in S::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
            assert_eq!(s.to_string(), s.as_str());
        }
    }
}
