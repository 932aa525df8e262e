//! Delivery measurement (issue 25): podcast downloads and ad deliveries counted from the CDN's
//! request logs by the IAB Tech Lab Podcast Measurement Technical Guidelines (v2.3), as a pure
//! library: the same code counts in the ingest Lambda, in tests and in a benchmark.
//!
//! The pipeline for one episode's requests:
//! 1. [`filters`]: each request kept, or dropped with the rule that dropped it (HEAD, a status
//!    other than 200/206, a `bytes=0-1` probe, a bot or non-player user agent, an Apple Watch
//!    duplicate);
//! 2. [`listener`]: the requests of one listener (IP, or its /64 for IPv6, with the user agent);
//! 3. [`windows`]: each listener's requests grouped into the organization's window (calendar day,
//!    first-touch or last-touch 24 hours);
//! 4. [`ranges`] and [`file`]: the bytes a window's requests cover, a download once they reach the
//!    one-minute threshold, and an ad once they cover its byte span;
//! 5. [`count`]: the tally of downloads, listeners and ad deliveries, with every dropped request's
//!    reason.

pub mod alerts;
pub mod count;
pub mod evidence;
pub mod file;
pub mod filters;
pub mod ledger;
pub mod listener;
pub mod logs;
pub mod methodology;
pub mod pacing;
pub mod ranges;
pub mod records;
pub mod recount;
pub mod report;
pub mod request;
pub mod settings;
pub mod windows;

/// The version of the guidelines these rules follow.
pub const GUIDELINES: &str = "IAB Tech Lab Podcast Measurement Technical Guidelines v2.3";
