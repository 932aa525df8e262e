//! The local stack: PodcastFlow in one process, the same handler code as in AWS behind faithful
//! stand-ins for what AWS provides (docs/architecture.md section 2).
//!
//! - [`template`]: what template.yaml deploys (routes today; schedules, buckets as they arrive).
//! - [`routes`]: API Gateway's route matching (literal over `{param}` over `{proxy+}`).
//! - [`rest`]: the REST gateway: genuine REST v1 proxy events to in-process handlers.
//! - [`models`]: request models, derived from the OpenAPI document, checked as API Gateway does.
//! - [`authorizer`]: Lambda REQUEST authorizers run and cached as API Gateway does.
//! - [`usage`]: API Gateway's usage plans: API keys metered by their plan's throttle and quota.
//! - [`functions`]: the registry of in-process handlers by template logical id.
//! - [`schedule`]: EventBridge `rate()`/`cron()` schedules and their events.
//! - [`s3`]: the S3 endpoint (s3s over the data dir, SigV4 enforced).
//! - [`s3_events`]: S3 event notifications delivered to the template's `S3` events.
//! - [`filter`]: Lambda event filtering (`FilterCriteria`) of stream records.
//! - [`delivery`]: the table's change feed delivered to stream functions like Lambda's event
//!   source mapping.
//! - [`websocket`]: the WebSocket gateway and its `@connections` management API.
//! - [`stack`]: starting and stopping the whole, and `endpoints.json`.

pub mod authorizer;
pub mod credentials;
pub mod delivery;
pub mod demo;
pub mod demo_data;
pub mod demo_reads;
pub mod docs;
pub mod filter;
pub mod functions;
pub mod iam;
pub mod models;
pub mod rest;
pub mod routes;
pub mod s3;
pub mod s3_events;
pub mod schedule;
pub mod services;
pub mod sigv4;
pub mod stack;
pub mod template;
pub mod usage;
pub mod websocket;
