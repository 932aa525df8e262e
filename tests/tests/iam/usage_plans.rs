//! The usage-plan adapter against moto's API Gateway: a key registered is in the plan under its
//! value, registering again is harmless, and deregistering removes it (twice is harmless too).

use podcastflow_tests::fixture;
use podcastflow_usage::apigateway::PLAN_TAG;
use podcastflow_usage::{ApiGatewayUsageKeys, UsageKeys};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_registered_in_the_plan_and_removed() {
    let client = aws_sdk_apigateway::Client::new(&fixture::sdk_config());
    let run = ulid::Ulid::new().to_string().to_lowercase();
    let plan = client.create_usage_plan().name(format!("api-keys-{run}")).send().await.expect("create a plan");
    let plan_id = plan.id().expect("a plan id").to_owned();
    let prefix = format!("podcastflow-{run}-");
    let keys = ApiGatewayUsageKeys::new(client.clone(), plan_id.clone(), prefix.clone());
    let value = ulid::Ulid::new().to_string();

    keys.register(&value, "org key").await.expect("register");
    keys.register(&value, "org key").await.expect("registering again is harmless");
    let found = client.get_api_keys().name_query(&prefix).include_values(true).send().await.expect("list keys");
    let mine: Vec<_> = found.items().iter().filter(|k| k.name().is_some_and(|n| n.starts_with(&prefix))).collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    let key = mine[0];
    assert_eq!((key.value(), key.enabled()), (Some(value.as_str()), true));
    assert_eq!(key.name(), Some(format!("{prefix}{value}").as_str()));
    assert_eq!(key.tags().and_then(|t| t.get(PLAN_TAG)).map(String::as_str), Some(plan_id.as_str()));
    let in_plan = client.get_usage_plan_keys().usage_plan_id(&plan_id).send().await.expect("plan keys");
    assert!(in_plan.items().iter().any(|k| k.id() == key.id()), "{in_plan:?}");

    keys.deregister(&value).await.expect("deregister");
    keys.deregister(&value).await.expect("deregistering again is harmless");
    let left = client.get_api_keys().name_query(&prefix).send().await.expect("list keys");
    assert!(left.items().iter().all(|k| !k.name().is_some_and(|n| n.starts_with(&prefix))), "{left:?}");
}
