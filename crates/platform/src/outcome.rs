//! What a route handler returns: a response, a problem the client caused, or an outage. One
//! [`respond`] turns it into what the Lambda runtime expects, so `?` works on every failure.

use lambda_http::{Body, Response};
use podcastflow_store::repo::RepoError;

use crate::{Outage, Problem, repo_problem};

/// Why a route did not produce its response.
#[derive(Debug)]
pub enum Failure {
    /// The client's fault: answered as problem+json.
    Client(Problem),
    /// Ours: returned to the runtime as an error.
    Outage(Outage),
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Client(p)
    }
}

impl From<Outage> for Failure {
    fn from(o: Outage) -> Self {
        Failure::Outage(o)
    }
}

impl From<RepoError> for Failure {
    fn from(e: RepoError) -> Self {
        match repo_problem(e) {
            Ok(p) => Failure::Client(p),
            Err(o) => Failure::Outage(o),
        }
    }
}

/// A route's result.
pub type Outcome = Result<Response<Body>, Failure>;

/// The runtime's answer for a route's outcome: problems become responses, outages errors.
pub fn respond(outcome: Outcome, request_id: &str) -> Result<Response<Body>, lambda_http::Error> {
    match outcome {
        Ok(r) => Ok(r),
        Err(Failure::Client(p)) => Ok(p.response(request_id)),
        Err(Failure::Outage(o)) => {
            tracing::error!(request_id, error = %o, "outage");
            Err(Box::new(o))
        }
    }
}
