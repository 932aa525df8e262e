//! The black-box suites of PodcastFlow, one test binary.
//!
//! - `contract::{embedded,dynamodb}::*`: the Table port contract, the same cases on each adapter.
//! - `repositories::{embedded,dynamodb}::*`: the repositories per aggregate, likewise.
//! - `e2e::*`: the local stack driven over HTTP.
//! - `identity::{local,cognito}::*`: the identity port, the same cases on each adapter.
//! - `costs::*`: store calls per request stay bounded whatever the data.
//! - `lists::*`: lists read through the reader index hold exactly what the reader's GETs answer.
//! - `consistency::*`: template.yaml and infra/openapi.yaml describe the same API.
//! - `iam::*`: template.yaml's IAM evaluated from the attacker's side (tenant isolation).

/// Runs each named case of `$cases` once per adapter: `embedded::<case>` and `dynamodb::<case>`.
macro_rules! on_both_adapters {
    ($cases:ident: $($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$cases::$case(podcastflow_tests::fixture::embedded().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$cases::$case(podcastflow_tests::fixture::dynamodb().await).await;
                }
            )*
        }
    };
}

mod consistency;
mod contract;
mod costs;
mod e2e;
mod iam;
mod identity;
mod lists;
mod repositories;
