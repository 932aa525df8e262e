//! The permission policy at the edge: a refusal of `podcastflow_domain::permissions` as the problem
//! the client gets (404 for what they may not see, 403 for what they may not do).

use lambda_http::http::StatusCode;
use podcastflow_domain::Principal;
use podcastflow_domain::permissions::{Action, Denial, Resource, View, authorize};

use crate::Problem;

/// 404 without confirming the id exists.
pub fn not_found() -> Problem {
    Problem::new("not-found", StatusCode::NOT_FOUND, "Not found")
}

/// The problem a denial means.
pub fn denied(d: Denial) -> Problem {
    match d {
        Denial::NotFound => not_found(),
        Denial::Forbidden => {
            Problem::new("forbidden", StatusCode::FORBIDDEN, "Forbidden").detail("your role does not allow this")
        }
    }
}

/// The view the principal gets, or the problem.
pub fn allow(p: &Principal, action: Action, resource: &Resource<'_>) -> Result<View, Problem> {
    authorize(p, action, resource).map_err(denied)
}
