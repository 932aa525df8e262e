//! Repository and store failures as responses: what a client caused becomes a problem, what is
//! an outage stays an error for the runtime.

use lambda_http::http::StatusCode;
use podcastflow_store::StoreError;
use podcastflow_store::repo::RepoError;
use thiserror::Error;

use crate::Problem;

/// A failure no client caused: the Lambda runtime gets it (and API Gateway answers 502).
#[derive(Debug, Error)]
#[error("outage: {0}")]
pub struct Outage(pub String);

/// 503 for a backend that stays busy or slow after the retries: try again after a second.
pub fn unavailable(detail: &str) -> Problem {
    let mut p = Problem::new("unavailable", StatusCode::SERVICE_UNAVAILABLE, "Service unavailable").detail(detail);
    p.retry_after = Some(1);
    p
}

/// The problem a repository failure means to the client, or the outage it is.
pub fn repo_problem(e: RepoError) -> Result<Problem, Outage> {
    Ok(match e {
        RepoError::NotFound => Problem::new("not-found", StatusCode::NOT_FOUND, "Not found"),
        RepoError::AlreadyExists => Problem::new("already-exists", StatusCode::CONFLICT, "Already exists"),
        RepoError::VersionConflict { current } => crate::conditional::stale(current),
        RepoError::Taken(what) => Problem::new("taken", StatusCode::CONFLICT, "Already taken")
            .detail(format!("this {what} is already in use")),
        RepoError::Conflict(what) => Problem::new("conflict", StatusCode::CONFLICT, "Conflict").detail(what),
        RepoError::Store(StoreError::InvalidCursor) => {
            Problem::new("invalid-cursor", StatusCode::BAD_REQUEST, "Invalid cursor")
                .detail("start again without a cursor")
        }
        RepoError::Store(StoreError::Throttled | StoreError::TransactionContention) => {
            unavailable("the table is busy; nothing was changed, retry in a moment")
        }
        RepoError::Store(StoreError::Timeout) => {
            unavailable("the table did not answer in time; retry (with the same Idempotency-Key for a create)")
        }
        RepoError::Store(other) => return Err(Outage(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_failures_are_problems_and_outages_are_not() {
        let status = |e| repo_problem(e).map(|p| p.status).ok();
        assert_eq!(status(RepoError::NotFound), Some(404));
        assert_eq!(status(RepoError::VersionConflict { current: 3 }), Some(412));
        assert_eq!(status(RepoError::Taken("email")), Some(409));
        assert_eq!(status(RepoError::Store(StoreError::InvalidCursor)), Some(400));
        assert_eq!(status(RepoError::Store(StoreError::Throttled)), Some(503));
        assert_eq!(status(RepoError::Store(StoreError::Timeout)), Some(503));
        assert_eq!(repo_problem(RepoError::Store(StoreError::Timeout)).map(|p| p.retry_after).ok(), Some(Some(1)));
        assert!(repo_problem(RepoError::Store(StoreError::Unavailable("down".into()))).is_err());
    }
}
