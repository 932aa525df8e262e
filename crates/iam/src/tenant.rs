//! The credentials a tenant's requests reach the table with: a session of the tenant data role,
//! tagged with the organization and carrying a session policy, so that IAM itself confines every
//! key to `ORG#<orgId>#` (docs/architecture.md section 4). A function that writes identity claims in
//! the same transaction as a tenant's user records (e-mail uniqueness, memberships, API key
//! grants) names those platform prefixes too; nothing else is ever added.

use podcastflow_domain::OrgId;
use podcastflow_domain::keys::tenant_prefix;
use serde_json::json;
use thiserror::Error;

use crate::policy::{Policy, Request};

/// The session tag carrying the organization; the role's policy reads it as
/// `${aws:PrincipalTag/orgId}`.
pub const ORG_TAG: &str = "orgId";

/// The condition key IAM fills with the partition keys a DynamoDB request touches.
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// What a tenant's credentials may do: item reads and writes, one by one, in batches and in
/// transactions (`TransactWriteItems` is authorized per item as these actions). Never Scan or
/// PartiQL, which could reach past the key condition.
pub const TENANT_ACTIONS: [&str; 8] = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
];

/// Actions that ignore key conditions; denied to tenant sessions outright.
pub const UNSCOPED_ACTIONS: [&str; 5] = [
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
];

/// A platform prefix that would widen a tenant session past its own data.
#[derive(Debug, Error, PartialEq)]
#[error("{0:?} cannot be granted to a tenant session: platform prefixes are literal, non-empty and outside ORG#")]
pub struct WideningPrefix(pub String);

/// The platform prefixes a function's tenant sessions may also reach, from its
/// `TENANT_PLATFORM_KEYS` setting (comma-separated, e.g. `EMAIL#,USER#`).
pub fn platform_prefixes(setting: &str) -> Result<Vec<String>, WideningPrefix> {
    let prefixes: Vec<String> =
        setting.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
    for p in &prefixes {
        if p.starts_with("ORG") || p.contains(['*', '?', '$']) || !p.ends_with('#') {
            return Err(WideningPrefix(p.clone()));
        }
    }
    Ok(prefixes)
}

/// The session policy of `org`'s credentials on the table `table_arn` (and its indexes): the
/// tenant actions where every partition key starts with the tenant prefix (or one of
/// `platform`), and some key is named (so a Scan, which names none, is refused).
pub fn session_policy(table_arn: &str, org: &OrgId, platform: &[String]) -> Policy {
    let mut patterns = vec![format!("{}*", tenant_prefix(org))];
    patterns.extend(platform.iter().map(|p| format!("{p}*")));
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TenantItems",
            "Effect": "Allow",
            "Action": TENANT_ACTIONS,
            "Resource": [table_arn, format!("{table_arn}/index/*")],
            "Condition": {
                "ForAllValues:StringLike": { LEADING_KEYS: patterns },
                "Null": { LEADING_KEYS: "false" }
            }
        }]
    });
    // The document is built from constants and checked ids; it always parses.
    Policy::from_json(&doc).unwrap_or(Policy { version: "2012-10-17".into(), statement: Vec::new() })
}

/// The request IAM authorizes for a DynamoDB call: `action` on the table or one of its indexes
/// (`index`), touching the partitions `keys` (none for a Scan).
pub fn dynamodb_request(action: &str, table_arn: &str, index: Option<&str>, keys: &[&str]) -> Request {
    let resource = match index {
        Some(i) => format!("{table_arn}/index/{i}"),
        None => table_arn.to_owned(),
    };
    let r = Request::new(format!("dynamodb:{action}"), resource);
    if keys.is_empty() { r } else { r.with(LEADING_KEYS, keys.iter().copied()) }
}

/// The request of a session tagged for `org` (the tag is how the role's policy knows the tenant).
pub fn as_tenant(request: Request, org: &OrgId) -> Request {
    request.with(format!("aws:PrincipalTag/{ORG_TAG}"), [org.to_string()])
}

#[cfg(test)]
mod tests {
    use podcastflow_domain::keys::org_pk;

    use super::*;
    use crate::policy::{Decision, evaluate};

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/podcastflow-dev";

    #[test]
    fn a_session_reaches_its_own_tenant_and_named_platform_prefixes_only() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let policy = session_policy(TABLE, &a, &platform_prefixes("EMAIL#,USER#").unwrap());
        let decide = |action: &str, index: Option<&str>, keys: &[&str]| {
            evaluate(std::slice::from_ref(&policy), None, &dynamodb_request(action, TABLE, index, keys)).unwrap()
        };
        let own = org_pk(&a, "CAMPAIGN#1");
        let other = org_pk(&b, "CAMPAIGN#1");
        assert_eq!(decide("GetItem", None, &[&own]), Decision::Allowed);
        assert_eq!(decide("Query", Some("GSI1"), &[&org_pk(&a, "CAMPAIGNS")]), Decision::Allowed);
        assert_eq!(decide("PutItem", None, &["EMAIL#x@y.z"]), Decision::Allowed);
        assert_eq!(decide("GetItem", None, &[&other]), Decision::ImplicitlyDenied);
        assert_eq!(decide("Query", Some("GSI1"), &[&org_pk(&b, "CAMPAIGNS")]), Decision::ImplicitlyDenied);
        assert_eq!(decide("BatchGetItem", None, &[&own, &other]), Decision::ImplicitlyDenied);
        assert_eq!(decide("GetItem", None, &["APIKEY#d"]), Decision::ImplicitlyDenied);
        assert_eq!(decide("Scan", None, &[]), Decision::ImplicitlyDenied);
        assert_eq!(decide("PartiQLSelect", None, &[&own]), Decision::ImplicitlyDenied);
        assert_eq!(decide("GetItem", None, &[]), Decision::ImplicitlyDenied);
    }

    #[test]
    fn platform_prefixes_cannot_widen_a_session() {
        assert_eq!(platform_prefixes(" EMAIL#, USER# ,").unwrap(), vec!["EMAIL#", "USER#"]);
        assert!(platform_prefixes("").unwrap().is_empty());
        for bad in ["ORG#", "ORG", "*", "USER#*", "USER", "${aws:username}#"] {
            assert!(platform_prefixes(bad).is_err(), "{bad}");
        }
    }
}
