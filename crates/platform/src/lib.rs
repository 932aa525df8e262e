//! What every PodcastFlow function shares at the edge: RFC 9457 problem responses, JSON
//! responses carrying the request id, the verified principal, JSON bodies, If-Match and ETags,
//! paging, repository failures as responses, and operations: the request wrapper (logs, metrics,
//! rate limits, deadline) every function runs in.

pub mod access;
pub mod batch;
pub mod body;
pub mod conditional;
pub mod context;
pub mod crossorg;
pub mod errors;
pub mod idempotency;
pub mod logging;
pub mod observe;
pub mod outcome;
pub mod paging;
pub mod preferences;
pub mod principal;
pub mod problem;
pub mod query;
pub mod ratelimit;
pub mod response;
pub mod route;
pub mod scheduled;
pub mod serve;
pub mod telemetry;
pub mod tenancy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod visibility;

pub use access::{allow, denied, not_found};
pub use body::{json_body, merge, no_fields};
pub use conditional::{IfMatch, etag, if_match, optional_if_match};
pub use context::AppContext;
pub use errors::{Outage, repo_problem, unavailable};
pub use outcome::{Failure, Outcome, respond};
pub use paging::{PageBody, Paging, page_in_memory, paging};
pub use principal::principal;
pub use problem::Problem;
pub use query::{query_as, query_date_range, query_param, query_parsed};
pub use response::{created, csv, json, json_with_etag, no_content, prefers_csv, request_id};
pub use route::RoutePath;
pub use serve::{serve_events, serve_http};
