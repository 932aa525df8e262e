//! Shared helpers of the black-box suites: fixtures that stand up each Table adapter, and the
//! local stack on free ports.

pub mod cdn_logs;
pub mod client;
pub mod counting;
pub mod dynamodb_model;
pub mod fixture;
pub mod identity;
pub mod large_org;
pub mod live;
pub mod logs;
pub mod memory;
pub mod openapi;
pub mod org;
pub mod org_costs;
pub mod report;
pub mod stack;
pub mod wait;
pub mod workload;
