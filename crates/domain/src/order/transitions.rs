//! The insertion order state machine: every allowed edge, who may take it and what it needs.
//!
//! ```text
//! draft -> pending_approval -> approved -> booking -> booked -> completed
//!   ^             |                          (an order larger than one transaction passes
//!   +-- reject ---+                           through booking; a repeat finishes it)
//!
//! cancelled: from draft, pending_approval, approved (editors) and booked (admins); reason required
//! ```
//!
//! Whether the actor may edit the order at all is the permission policy's question
//! (`OrderWrite` on its campaign); this module answers whether the edge is open to them.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{Role, UserId};

/// Where an insertion order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Lines being put together; the only status in which they change.
    Draft,
    /// Waiting for an admin's approval.
    PendingApproval,
    /// Approved; its holds still to be booked.
    Approved,
    /// Being booked (more lines than one transaction takes): its spots are turning from held to
    /// booked, and a repeat of the booking finishes it.
    Booking,
    /// Every line's spot is booked.
    Booked,
    /// Every line has aired.
    Completed,
    /// Stopped before completion; its bookings are released.
    Cancelled,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Draft,
        OrderStatus::PendingApproval,
        OrderStatus::Approved,
        OrderStatus::Booking,
        OrderStatus::Booked,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    /// The API name (`pending_approval`).
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::PendingApproval => "pending_approval",
            OrderStatus::Approved => "approved",
            OrderStatus::Booking => "booking",
            OrderStatus::Booked => "booked",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether its lines hold booked spots (cancelling releases them).
    pub fn has_bookings(&self) -> bool {
        matches!(self, OrderStatus::Booking | OrderStatus::Booked)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an edge is open to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeRole {
    /// Anyone the policy lets edit the order.
    Editor,
    /// Admins (and master) only.
    Admin,
}

/// What an edge needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Nothing.
    None,
    /// At least one line.
    HasLines,
    /// Every line's air date is before today.
    AllAired,
    /// A non-empty reason.
    Reason,
}

/// One allowed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// From.
    pub from: OrderStatus,
    /// To.
    pub to: OrderStatus,
    /// Who may take it.
    pub role: EdgeRole,
    /// What it needs.
    pub guard: Guard,
}

const fn edge(from: OrderStatus, to: OrderStatus, role: EdgeRole, guard: Guard) -> Edge {
    Edge { from, to, role, guard }
}

use EdgeRole::{Admin, Editor};
use OrderStatus as S;

/// Every edge a request may ask for (`to`); anything not listed is refused. Booking is asked
/// for as `booked`: the store passes through `booking` when the order is larger than one
/// transaction, and asking again from there finishes it.
pub const EDGES: &[Edge] = &[
    edge(S::Draft, S::PendingApproval, Editor, Guard::HasLines),
    edge(S::PendingApproval, S::Approved, Admin, Guard::None),
    // "reject": back to draft, with the reason.
    edge(S::PendingApproval, S::Draft, Admin, Guard::Reason),
    edge(S::Approved, S::Booked, Editor, Guard::None),
    edge(S::Booking, S::Booked, Editor, Guard::None),
    edge(S::Booked, S::Completed, Editor, Guard::AllAired),
    edge(S::Draft, S::Cancelled, Editor, Guard::Reason),
    edge(S::PendingApproval, S::Cancelled, Editor, Guard::Reason),
    edge(S::Approved, S::Cancelled, Editor, Guard::Reason),
    edge(S::Booking, S::Cancelled, Admin, Guard::Reason),
    edge(S::Booked, S::Cancelled, Admin, Guard::Reason),
];

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The order is already in that status.
    #[error("the order is already {0}")]
    AlreadyThere(OrderStatus),
    /// No such edge.
    #[error("an order cannot move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// The edge is for admins.
    #[error("only an admin can move an order from {from} to {to}")]
    AdminOnly {
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// Submitting needs lines.
    #[error("an order needs at least one line to be submitted")]
    NoLines,
    /// Completing before the last line aired.
    #[error("the order's last line airs on {last}; it completes after that")]
    NotAired {
        /// The last air date.
        last: NaiveDate,
    },
    /// Rejecting and cancelling need a reason.
    #[error("a reason is required to move an order to {0}")]
    ReasonRequired(OrderStatus),
}

/// The facts the guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardFacts {
    /// How many lines the order has.
    pub lines: usize,
    /// The latest air date of its lines.
    pub last_air_date: Option<NaiveDate>,
}

/// The edge from one status to another, if there is one.
pub fn edge_between(from: OrderStatus, to: OrderStatus) -> Option<&'static Edge> {
    EDGES.iter().find(|e| e.from == from && e.to == to)
}

/// The statuses a user with `role` may ask for from `from` (ignoring guards): what a UI offers.
pub fn next_statuses(from: OrderStatus, role: Role) -> Vec<OrderStatus> {
    EDGES.iter().filter(|e| e.from == from && may_take(e, role)).map(|e| e.to).collect()
}

fn may_take(e: &Edge, role: Role) -> bool {
    e.role == Editor || role.is_admin_or_master()
}

/// Checks one transition asked for by a user with `role` (already allowed to edit the order):
/// the edge exists, the role may take it and its guard holds on `today` (the organization's date).
pub fn check(
    from: OrderStatus,
    to: OrderStatus,
    role: Role,
    facts: &GuardFacts,
    reason: Option<&str>,
    today: NaiveDate,
) -> Result<&'static Edge, TransitionError> {
    if from == to {
        return Err(TransitionError::AlreadyThere(from));
    }
    let e = edge_between(from, to).ok_or(TransitionError::NotAllowed { from, to })?;
    if !may_take(e, role) {
        return Err(TransitionError::AdminOnly { from, to });
    }
    match e.guard {
        Guard::None => {}
        Guard::HasLines if facts.lines == 0 => return Err(TransitionError::NoLines),
        Guard::HasLines => {}
        Guard::AllAired => match facts.last_air_date {
            Some(last) if last >= today => return Err(TransitionError::NotAired { last }),
            _ => {}
        },
        Guard::Reason if reason.is_none_or(|r| r.trim().is_empty()) => {
            return Err(TransitionError::ReasonRequired(to));
        }
        Guard::Reason => {}
    }
    Ok(e)
}

/// One entry of an order's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderHistoryEntry {
    /// Who moved it.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// From status.
    pub from: OrderStatus,
    /// To status.
    pub to: OrderStatus,
    /// Why, when given (required to reject and cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    const FACTS: GuardFacts = GuardFacts { lines: 2, last_air_date: None };

    #[test]
    fn the_happy_path_is_open_to_editors_but_approval_is_for_admins() {
        let t = day(3);
        assert!(check(S::Draft, S::PendingApproval, Role::Seller, &FACTS, None, t).is_ok());
        assert_eq!(
            check(S::PendingApproval, S::Approved, Role::Seller, &FACTS, None, t),
            Err(TransitionError::AdminOnly { from: S::PendingApproval, to: S::Approved })
        );
        assert!(check(S::PendingApproval, S::Approved, Role::Admin, &FACTS, None, t).is_ok());
        assert!(check(S::PendingApproval, S::Approved, Role::Master, &FACTS, None, t).is_ok());
        assert!(check(S::Approved, S::Booked, Role::Seller, &FACTS, None, t).is_ok());
        assert!(check(S::Booking, S::Booked, Role::Seller, &FACTS, None, t).is_ok());
        assert_eq!(
            check(S::Draft, S::Booked, Role::Admin, &FACTS, None, t),
            Err(TransitionError::NotAllowed { from: S::Draft, to: S::Booked }),
            "nothing is booked without approval"
        );
        assert_eq!(
            check(S::Approved, S::Booking, Role::Admin, &FACTS, None, t),
            Err(TransitionError::NotAllowed { from: S::Approved, to: S::Booking }),
            "booking is the store's passage, never asked for"
        );
        assert_eq!(
            check(S::Draft, S::Draft, Role::Admin, &FACTS, None, t),
            Err(TransitionError::AlreadyThere(S::Draft))
        );
    }

    #[test]
    fn guards_hold_submission_completion_rejection_and_cancellation() {
        let t = day(10);
        let empty = GuardFacts { lines: 0, last_air_date: None };
        assert_eq!(check(S::Draft, S::PendingApproval, Role::Admin, &empty, None, t), Err(TransitionError::NoLines));
        let airs = |d| GuardFacts { lines: 1, last_air_date: Some(day(d)) };
        assert_eq!(
            check(S::Booked, S::Completed, Role::Seller, &airs(10), None, t),
            Err(TransitionError::NotAired { last: day(10) }),
            "airing today is not aired"
        );
        assert!(check(S::Booked, S::Completed, Role::Seller, &airs(9), None, t).is_ok());
        for (from, to, role) in [
            (S::PendingApproval, S::Draft, Role::Admin),
            (S::Draft, S::Cancelled, Role::Seller),
            (S::PendingApproval, S::Cancelled, Role::Seller),
            (S::Approved, S::Cancelled, Role::Seller),
            (S::Booked, S::Cancelled, Role::Admin),
            (S::Booking, S::Cancelled, Role::Admin),
        ] {
            assert_eq!(check(from, to, role, &FACTS, None, t), Err(TransitionError::ReasonRequired(to)));
            assert_eq!(check(from, to, role, &FACTS, Some("  "), t), Err(TransitionError::ReasonRequired(to)));
            assert!(check(from, to, role, &FACTS, Some("client withdrew"), t).is_ok(), "{from} -> {to}");
        }
        assert_eq!(
            check(S::Booked, S::Cancelled, Role::Seller, &FACTS, Some("r"), t),
            Err(TransitionError::AdminOnly { from: S::Booked, to: S::Cancelled }),
            "releasing sold spots is an admin's call"
        );
        assert!(check(S::Completed, S::Cancelled, Role::Admin, &FACTS, Some("r"), t).is_err());
        assert!(check(S::Cancelled, S::Draft, Role::Admin, &FACTS, Some("r"), t).is_err());
    }

    #[test]
    fn next_statuses_follow_the_role() {
        assert_eq!(next_statuses(S::PendingApproval, Role::Seller), vec![S::Cancelled]);
        assert_eq!(next_statuses(S::PendingApproval, Role::Admin), vec![S::Approved, S::Draft, S::Cancelled]);
        assert_eq!(next_statuses(S::Booked, Role::Seller), vec![S::Completed]);
        assert!(next_statuses(S::Completed, Role::Master).is_empty());
        assert!(S::Booking.has_bookings() && S::Booked.has_bookings() && !S::Approved.has_bookings());
        assert!(!S::Completed.has_bookings() && !S::Cancelled.has_bookings());
        for s in OrderStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
            assert_eq!(s.to_string(), s.as_str());
        }
    }
}
