//! What every PodcastFlow function shares at the edge: RFC 9457 problem responses, JSON
//! responses carrying the request id, and reading the request id from the proxy event.

pub mod problem;
pub mod response;

pub use problem::Problem;
pub use response::{json, request_id};
