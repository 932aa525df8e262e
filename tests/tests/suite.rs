//! The black-box suites of PodcastFlow, one test binary.
//!
//! - `contract::embedded::*` and `contract::dynamodb::*`: the Table port contract, the same cases
//!   against each adapter.

mod contract;
