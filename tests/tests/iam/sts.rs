//! The STS adapter of tenant sessions against moto: AssumeRole with the organization's tag and
//! session policy, then the table and a bucket reached with the session's credentials. (moto
//! does not enforce IAM; what the policies allow is proven in the parent module, and the local
//! S3 endpoint enforces it in crates/local.)

use std::sync::Arc;

use podcastflow_domain::OrgId;
use podcastflow_domain::keys::{Key, org_pk};
use podcastflow_objects::Objects;
use podcastflow_platform::tenancy::{ScopedTables, StsSessions, TenantTables};
use podcastflow_store::{Condition, Item};
use podcastflow_tests::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_from_sts_reads_and_writes_its_organization() {
    let config = fixture::sdk_config();
    let (name, arn) = fixture::dynamodb_table().await;
    let role = "arn:aws:iam::123456789012:role/podcastflow-test-TenantDataRole".to_owned();
    let sessions = StsSessions::new(&config, &config, role, (name, arn), vec!["EMAIL#".into()], "tests");
    let tables: Arc<dyn TenantTables> = Arc::new(ScopedTables::new(sessions));
    let org = OrgId::new();
    let item: Item = serde_json::from_value(serde_json::json!({"PK": org_pk(&org, "X"), "SK": "S", "n": 1})).unwrap();
    tables.for_org(&org).put(item.clone(), Condition::NotExists).await.expect("put through the session");
    let read = tables.for_org(&org).get(&Key::new(org_pk(&org, "X"), "S")).await.expect("get through the session");
    assert_eq!(read.and_then(|i| i.get("n").cloned()), Some(serde_json::json!(1)));

    // The organization's objects with the same session's credentials.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let name = format!("sts-{}", org.to_string().to_lowercase());
    s3.create_bucket().bucket(&name).send().await.expect("a bucket");
    let bucket = tables.objects(&Objects::new(s3, name), &org).await.expect("the session's bucket");
    let key = format!("{}x", podcastflow_domain::backup::Backup::s3_prefix(&org));
    bucket.put(&key, b"data".to_vec(), "text/plain").await.expect("put with the session's credentials");
    assert_eq!(bucket.read_all(&key).await.unwrap(), b"data");
}
