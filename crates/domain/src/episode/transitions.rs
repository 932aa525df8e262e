//! The episode state machine.
//!
//! ```text
//! draft -> scheduled -> recording -> editing -> published
//!                           ^           |
//!                           +-----------+  (re-record)
//! cancelled: from any status but published (and cancelled)
//! ```

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where an episode is in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EpisodeStatus {
    /// Being planned.
    Draft,
    /// Has an air date.
    Scheduled,
    /// Being recorded.
    Recording,
    /// Being edited.
    Editing,
    /// Out.
    Published,
    /// Will not air.
    Cancelled,
}

impl EpisodeStatus {
    /// Every status.
    pub const ALL: [EpisodeStatus; 6] = [
        EpisodeStatus::Draft,
        EpisodeStatus::Scheduled,
        EpisodeStatus::Recording,
        EpisodeStatus::Editing,
        EpisodeStatus::Published,
        EpisodeStatus::Cancelled,
    ];

    /// The API name.
    pub fn as_str(&self) -> &'static str {
        match self {
            EpisodeStatus::Draft => "draft",
            EpisodeStatus::Scheduled => "scheduled",
            EpisodeStatus::Recording => "recording",
            EpisodeStatus::Editing => "editing",
            EpisodeStatus::Published => "published",
            EpisodeStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for EpisodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use EpisodeStatus as S;

/// Every allowed edge; anything not listed is refused.
pub const EDGES: &[(EpisodeStatus, EpisodeStatus)] = &[
    (S::Draft, S::Scheduled),
    (S::Scheduled, S::Recording),
    (S::Recording, S::Editing),
    (S::Editing, S::Published),
    (S::Editing, S::Recording),
    (S::Draft, S::Cancelled),
    (S::Scheduled, S::Cancelled),
    (S::Recording, S::Cancelled),
    (S::Editing, S::Cancelled),
];

/// Why an episode transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EpisodeTransitionError {
    /// Already there.
    #[error("the episode is already {0}")]
    AlreadyThere(EpisodeStatus),
    /// No such edge.
    #[error("an episode cannot move from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: EpisodeStatus,
        /// Requested status.
        to: EpisodeStatus,
    },
    /// Scheduling needs an air date.
    #[error("an episode needs an airDate to be scheduled")]
    AirDateRequired,
}

/// Checks one episode transition. Role checks are the policy's (producer of the show, admin).
pub fn check(
    from: EpisodeStatus,
    to: EpisodeStatus,
    air_date: Option<NaiveDate>,
) -> Result<(), EpisodeTransitionError> {
    if from == to {
        return Err(EpisodeTransitionError::AlreadyThere(from));
    }
    if !EDGES.contains(&(from, to)) {
        return Err(EpisodeTransitionError::NotAllowed { from, to });
    }
    if to == S::Scheduled && air_date.is_none() {
        return Err(EpisodeTransitionError::AirDateRequired);
    }
    Ok(())
}

/// Moves episode `e` to `to` for the user `by` at `now`: checks the edge and its guard
/// ([`check`]) and answers the episode after the move (published ones stamped `publishedAt`),
/// its stamp touched (the next version).
pub fn transition(
    e: &super::Episode,
    to: EpisodeStatus,
    by: crate::UserId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<super::Episode, EpisodeTransitionError> {
    check(e.status, to, e.air_date)?;
    let mut next = e.clone();
    next.status = to;
    if to == S::Published {
        next.published_at = Some(now);
    }
    next.stamp = e.stamp.touched(by, now);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_is_decided_by_the_edge_list() {
        let air = NaiveDate::from_ymd_opt(2026, 1, 1);
        for from in EpisodeStatus::ALL {
            for to in EpisodeStatus::ALL {
                let r = check(from, to, air);
                if from == to {
                    assert_eq!(r, Err(EpisodeTransitionError::AlreadyThere(from)));
                } else if EDGES.contains(&(from, to)) {
                    assert_eq!(r, Ok(()), "{from}->{to}");
                } else {
                    assert_eq!(r, Err(EpisodeTransitionError::NotAllowed { from, to }), "{from}->{to}");
                }
            }
        }
    }

    #[test]
    fn cancel_from_all_but_published() {
        for from in EpisodeStatus::ALL {
            let ok = !matches!(from, S::Published | S::Cancelled);
            assert_eq!(check(from, S::Cancelled, None).is_ok(), ok, "{from}");
        }
    }

    #[test]
    fn scheduling_needs_an_air_date() {
        assert_eq!(check(S::Draft, S::Scheduled, None), Err(EpisodeTransitionError::AirDateRequired));
        assert!(check(S::Editing, S::Recording, None).is_ok());
    }

    #[test]
    fn a_transition_answers_the_moved_episode() {
        use crate::{EpisodeId, OrgId, ShowId, Stamp, UserId};
        let (me, now) = (UserId::new(), chrono::Utc::now());
        let e = crate::episode::Episode {
            id: EpisodeId::new(),
            org_id: OrgId::new(),
            show_id: ShowId::new(),
            title: "Pilot".into(),
            number: None,
            air_date: None,
            recording_date: None,
            duration_seconds: None,
            talent_ids: Vec::new(),
            status: S::Draft,
            published_at: None,
            enclosure_urls: vec![],
            file_size_bytes: None,
            header_bytes: None,
            ad_markers: vec![],
            stamp: Stamp::created(me, now),
        };
        assert_eq!(transition(&e, S::Scheduled, me, now), Err(EpisodeTransitionError::AirDateRequired));
        let mut editing = e.clone();
        editing.status = S::Editing;
        let published = transition(&editing, S::Published, me, now).unwrap();
        assert_eq!((published.status, published.published_at), (S::Published, Some(now)));
        assert_eq!((published.stamp.version, published.stamp.updated_by), (e.stamp.version + 1, me));
        let recorded = transition(&editing, S::Recording, me, now).unwrap();
        assert_eq!(recorded.published_at, None);
    }

    #[test]
    fn statuses_are_named_as_the_api_names_them() {
        for status in EpisodeStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, serde_json::Value::from(status.as_str()));
            assert_eq!(status.to_string(), status.as_str());
        }
    }
}
