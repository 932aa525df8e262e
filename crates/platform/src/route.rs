//! Matching a request to one of a function's routes by method and path segments.

use lambda_http::http::Method;
use lambda_http::{Request, RequestExt};

use crate::{Failure, Problem};

/// A request's path as its function matches it: `(method, ["campaigns", id, "team"])`.
pub struct RoutePath {
    path: String,
}

impl RoutePath {
    /// The path of a request (as API Gateway gives it, without the stage).
    pub fn of(req: &Request) -> Self {
        Self { path: req.raw_http_path().to_owned() }
    }

    /// The path's segments, for a `match` on slices.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_matches('/').split('/').collect()
    }

    /// The 404 problem for a method and path no route of the function serves.
    pub fn not_found(&self, method: &Method) -> Failure {
        Problem::route_not_found(method.as_str(), &self.path).into()
    }
}
