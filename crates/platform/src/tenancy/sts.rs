//! Tenant sessions from STS: `AssumeRole` on the tenant data role with the organization as a
//! session tag and the tenant session policy, then a DynamoDB client on those credentials (and
//! the credentials themselves, for the buckets).

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_sts::error::DisplayErrorContext;
use aws_sdk_sts::types::Tag;
use podcastflow_domain::OrgId;
use podcastflow_iam::tenant::{ORG_TAG, session_policy};
use podcastflow_resilience::RetryPolicy;
use podcastflow_store::dynamo::DynamoTable;
use podcastflow_store::{ResilientTable, StoreError};

use super::{Session, SessionSource};

/// Opens tenant sessions with STS.
pub struct StsSessions {
    sts: aws_sdk_sts::Client,
    /// The configuration DynamoDB clients start from (endpoint, region, timeouts, retries).
    dynamodb: SdkConfig,
    role_arn: String,
    table_name: String,
    table_arn: String,
    platform: Vec<String>,
    /// Prefix of session names, so CloudTrail shows which function acted for which tenant.
    function: String,
}

impl StsSessions {
    /// Sessions of `role_arn` for the table `table_name` (`table_arn`), also reaching the
    /// `platform` prefixes, named after `function`.
    pub fn new(
        sts: &SdkConfig,
        dynamodb: &SdkConfig,
        role_arn: String,
        (table_name, table_arn): (String, String),
        platform: Vec<String>,
        function: &str,
    ) -> Self {
        Self {
            sts: aws_sdk_sts::Client::new(sts),
            dynamodb: dynamodb.clone(),
            role_arn,
            table_name,
            table_arn,
            platform,
            function: function.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(30).collect(),
        }
    }
}

fn unavailable(what: &str) -> impl Fn(String) -> StoreError + '_ {
    move |detail| StoreError::Unavailable(format!("tenant credentials: {what}: {detail}"))
}

#[async_trait]
impl SessionSource for StsSessions {
    async fn open(&self, org: &OrgId) -> Result<Session, StoreError> {
        let policy = session_policy(&self.table_arn, org, &self.platform).to_json().to_string();
        let tag = Tag::builder()
            .key(ORG_TAG)
            .value(org.to_string())
            .build()
            .map_err(|e| unavailable("tag")(e.to_string()))?;
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(format!("{}-{org}", self.function))
            .tags(tag)
            .policy(policy)
            .duration_seconds(3600)
            .send()
            .await
            .map_err(|e| unavailable("AssumeRole")(DisplayErrorContext(e).to_string()))?;
        let c = out.credentials().ok_or_else(|| unavailable("AssumeRole")("no credentials in the answer".into()))?;
        let expires_at = SystemTime::try_from(*c.expiration()).map_err(|e| unavailable("expiration")(e.to_string()))?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            Some(expires_at),
            "podcastflow-tenant-session",
        );
        let config =
            aws_sdk_dynamodb::config::Builder::from(&self.dynamodb).credentials_provider(credentials.clone()).build();
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::from_conf(config), self.table_name.clone());
        let table = Arc::new(ResilientTable::new(Arc::new(table), RetryPolicy::TABLE));
        Ok(Session { table, credentials, expires_at })
    }
}
