//! The credentials a tenant's requests reach the table with: a session of the tenant data role,
//! tagged with the organization and carrying a session policy, so that IAM itself confines every
//! key to `ORG#<orgId>#` (docs/architecture.md section 4). A function that claims a unique value
//! in the same transaction as a tenant's records (an e-mail with a user, a slug with an
//! organization) names those claim prefixes too, and may only create and delete such claims,
//! never read them. Nothing that grants access is outside the tenant's prefix: memberships and
//! API-key grants live in their organization's partition (`keys::lookup`).

use podcastflow_domain::OrgId;
use podcastflow_domain::backup::Backup;
use podcastflow_domain::keys::tenant_prefix;
use podcastflow_domain::media::Media;
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

/// What a tenant session may do with the uniqueness claims its function names: create and
/// delete them (inside the transaction that needs them), never read, update or query them, so
/// no tenant learns who holds an address or a slug.
pub const CLAIM_ACTIONS: [&str; 2] = ["dynamodb:PutItem", "dynamodb:DeleteItem"];

/// What a tenant session may do with its organization's objects: read, write (a multipart
/// upload is PutObject throughout) and delete them, and abort its uploads. Never list a bucket.
pub const OBJECT_ACTIONS: [&str; 4] = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"];

/// The key prefixes an organization owns in the buckets: its backups, its media files, and in
/// the logs bucket its logs, continuations, evidence, and export and recount notes.
pub fn object_prefixes(org: &OrgId) -> [String; 7] {
    use podcastflow_domain::delivery::evidence::{evidence_prefix, exports_prefix};
    use podcastflow_domain::delivery::records::{continuations_prefix, logs_prefix};
    use podcastflow_domain::delivery::recount::recounts_prefix;
    [
        Backup::s3_prefix(org),
        Media::s3_prefix(org),
        logs_prefix(org),
        continuations_prefix(org),
        evidence_prefix(org),
        exports_prefix(org),
        recounts_prefix(org),
    ]
}

/// Actions that ignore key conditions; denied to tenant sessions outright.
pub const UNSCOPED_ACTIONS: [&str; 5] = [
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
];

/// The uniqueness claims a tenant session may ever be given: e-mail and slug. Everything else
/// outside `ORG#` (throttles, exchanged refresh tokens, lookups) is the platform's alone.
pub const CLAIM_PREFIXES: [&str; 2] = ["EMAIL#", "SLUG#"];

/// A platform prefix that would widen a tenant session past its own data.
#[derive(Debug, Error, PartialEq)]
#[error("{0:?} cannot be granted to a tenant session: only the uniqueness claims {CLAIM_PREFIXES:?} can")]
pub struct WideningPrefix(pub String);

/// The claim prefixes a function's tenant sessions may also create and delete, from its
/// `TENANT_PLATFORM_KEYS` setting (comma-separated, e.g. `EMAIL#,SLUG#`).
pub fn platform_prefixes(setting: &str) -> Result<Vec<String>, WideningPrefix> {
    let prefixes: Vec<String> =
        setting.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
    for p in &prefixes {
        if !CLAIM_PREFIXES.contains(&p.as_str()) {
            return Err(WideningPrefix(p.clone()));
        }
    }
    Ok(prefixes)
}

/// The session policy of `org`'s credentials on the table `table_arn` (and its indexes): the
/// tenant actions where every partition key starts with the tenant prefix, and some key is named
/// (so a Scan, which names none, is refused); and, for the claim prefixes in `claims`, only
/// creating and deleting claims on the table itself.
pub fn session_policy(table_arn: &str, org: &OrgId, claims: &[String]) -> Policy {
    let mut statements = vec![json!({
        "Sid": "TenantItems",
        "Effect": "Allow",
        "Action": TENANT_ACTIONS,
        "Resource": [table_arn, format!("{table_arn}/index/*")],
        "Condition": {
            "ForAllValues:StringLike": { LEADING_KEYS: [format!("{}*", tenant_prefix(org))] },
            "Null": { LEADING_KEYS: "false" }
        }
    })];
    if !claims.is_empty() {
        let patterns: Vec<String> = claims.iter().map(|p| format!("{p}*")).collect();
        statements.push(json!({
            "Sid": "UniquenessClaims",
            "Effect": "Allow",
            "Action": CLAIM_ACTIONS,
            "Resource": table_arn,
            "Condition": {
                "ForAllValues:StringLike": { LEADING_KEYS: patterns },
                "Null": { LEADING_KEYS: "false" }
            }
        }));
    }
    // Any bucket's: the role's own policy names the buckets, the session names the organization.
    let objects: Vec<String> = object_prefixes(org).iter().map(|p| format!("arn:*:s3:::*/{p}*")).collect();
    statements.push(json!({"Sid": "TenantObjects", "Effect": "Allow", "Action": OBJECT_ACTIONS, "Resource": objects}));
    let doc = json!({ "Version": "2012-10-17", "Statement": statements });
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

/// The request IAM authorizes for an S3 call: `action` on the object `key` of `bucket`.
pub fn s3_request(action: &str, bucket: &str, key: &str) -> Request {
    Request::new(format!("s3:{action}"), format!("arn:aws:s3:::{bucket}/{key}"))
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
    fn a_session_reaches_its_own_tenant_and_writes_named_claims_only() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let policy = session_policy(TABLE, &a, &platform_prefixes("EMAIL#").unwrap());
        let decide = |action: &str, index: Option<&str>, keys: &[&str]| {
            evaluate(std::slice::from_ref(&policy), None, &dynamodb_request(action, TABLE, index, keys)).unwrap()
        };
        let own = org_pk(&a, "CAMPAIGN#1");
        let other = org_pk(&b, "CAMPAIGN#1");
        assert_eq!(decide("GetItem", None, &[&own]), Decision::Allowed);
        assert_eq!(decide("Query", Some("GSI1"), &[&org_pk(&a, "CAMPAIGNS")]), Decision::Allowed);
        assert_eq!(decide("PutItem", None, &["EMAIL#x@y.z"]), Decision::Allowed);
        assert_eq!(decide("DeleteItem", None, &["EMAIL#x@y.z"]), Decision::Allowed);
        for read in ["GetItem", "BatchGetItem", "Query", "UpdateItem", "ConditionCheckItem"] {
            assert_eq!(decide(read, None, &["EMAIL#x@y.z"]), Decision::ImplicitlyDenied, "{read} of a claim");
        }
        assert_eq!(decide("Query", Some("GSI1"), &["LOOKUP#USER#u"]), Decision::ImplicitlyDenied);
        assert_eq!(decide("PutItem", None, &["SLUG#acme"]), Decision::ImplicitlyDenied, "not named");
        assert_eq!(decide("GetItem", None, &[&other]), Decision::ImplicitlyDenied);
        assert_eq!(decide("Query", Some("GSI1"), &[&org_pk(&b, "CAMPAIGNS")]), Decision::ImplicitlyDenied);
        assert_eq!(decide("BatchGetItem", None, &[&own, &other]), Decision::ImplicitlyDenied);
        assert_eq!(decide("GetItem", None, &["APIKEY#d"]), Decision::ImplicitlyDenied);
        assert_eq!(decide("Scan", None, &[]), Decision::ImplicitlyDenied);
        assert_eq!(decide("PartiQLSelect", None, &[&own]), Decision::ImplicitlyDenied);
        assert_eq!(decide("GetItem", None, &[]), Decision::ImplicitlyDenied);
    }

    #[test]
    fn a_session_reaches_only_its_own_organizations_objects() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let policy = session_policy(TABLE, &a, &[]);
        let decide = |action: &str, key: &str| {
            evaluate(std::slice::from_ref(&policy), None, &s3_request(action, "any-bucket", key)).unwrap()
        };
        for prefix in object_prefixes(&a) {
            for action in OBJECT_ACTIONS {
                assert_eq!(decide(action.trim_start_matches("s3:"), &format!("{prefix}x/y")), Decision::Allowed);
            }
            assert_eq!(decide("ListBucket", &prefix), Decision::ImplicitlyDenied);
        }
        for prefix in object_prefixes(&b) {
            assert_eq!(decide("GetObject", &format!("{prefix}x")), Decision::ImplicitlyDenied);
        }
        for key in ["health/probe", &format!("backups/{a}"), &format!("backups/{a}X/x")] {
            assert_eq!(decide("GetObject", key), Decision::ImplicitlyDenied, "{key}");
        }
    }

    #[test]
    fn platform_prefixes_cannot_widen_a_session() {
        assert_eq!(platform_prefixes(" EMAIL#, SLUG# ,").unwrap(), vec!["EMAIL#", "SLUG#"]);
        assert!(platform_prefixes("").unwrap().is_empty());
        for bad in
            ["ORG#", "ORG", "*", "USER#", "APIKEY#", "PLATFORM#", "LOOKUP#", "EMAIL#*", "EMAIL", "${aws:username}#"]
        {
            assert!(platform_prefixes(bad).is_err(), "{bad}");
        }
    }
}
