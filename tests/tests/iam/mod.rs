//! template.yaml's IAM from the attacker's side: what each role and each tenant session could
//! reach, evaluated with IAM's rules (`podcastflow_iam`) on the keys the code really builds.
//! A handler holding tenant A's credentials cannot read or write tenant B's items; no function's
//! own role reaches any tenant's items; nothing is granted on `*` outside the documented
//! exceptions; every table grant is bounded by `dynamodb:LeadingKeys` with its Null check.

use podcastflow_domain::backup::Backup;
use podcastflow_domain::campaign::{Campaign, CampaignStatus};
use podcastflow_domain::keys::{idempotency, lookup, org_pk, platform, tenant_index_pk};
use podcastflow_domain::media::Media;
use podcastflow_domain::user::User;
use podcastflow_domain::{BackupId, CampaignId, OrgId, UserId};
use podcastflow_iam::policy::{Effect, OneOrMany, Request, Statement};
use podcastflow_iam::tenant::{
    OBJECT_ACTIONS, TENANT_ACTIONS, UNSCOPED_ACTIONS, as_tenant, dynamodb_request, s3_request, session_policy,
};
use podcastflow_iam::{Decision, Policy, evaluate};
use podcastflow_local::iam::{Access, TABLE_ARN};
use podcastflow_local::template::BUNDLED;

mod sts;
mod usage_plans;

/// `Resource: "*"` granted on purpose: (function, action, why).
const WILDCARD_EXCEPTIONS: [(&str, &str, &str); 1] =
    [("MonitoringFunction", "cloudwatch:GetMetricData", "GetMetricData has no resource-level permissions")];

fn access() -> Access {
    Access::parse(BUNDLED).expect("template.yaml's grants parse")
}

fn items(v: &Option<OneOrMany>) -> Vec<String> {
    match v {
        Some(OneOrMany::One(s)) => vec![s.clone()],
        Some(OneOrMany::Many(v)) => v.clone(),
        None => Vec::new(),
    }
}

/// Every Allow statement of every function's role and of the tenant data role, by owner.
fn allow_statements(access: &Access) -> Vec<(String, Statement)> {
    let mut all = Vec::new();
    let mut add = |owner: &str, policies: &[Policy]| {
        for p in policies {
            for s in &p.statement {
                if s.effect == Effect::Allow {
                    all.push((owner.to_owned(), s.clone()));
                }
            }
        }
    };
    for (name, f) in &access.functions {
        add(name, &f.role);
    }
    add("TenantDataRole", &access.tenant_role);
    all
}

/// Keys of tenant `org` as the code builds them: an item, a list partition on an index, the
/// tenant index, a user, an idempotency record.
fn keys_of(org: &OrgId) -> Vec<(&'static str, Option<&'static str>, String)> {
    vec![
        ("GetItem", None, Campaign::key_of(org, &CampaignId::new()).pk),
        ("PutItem", None, Campaign::key_of(org, &CampaignId::new()).pk),
        ("UpdateItem", None, User::key_of(org, &UserId::new()).pk),
        ("DeleteItem", None, idempotency(org, "user", "digest").pk),
        ("ConditionCheckItem", None, Campaign::key_of(org, &CampaignId::new()).pk),
        ("Query", Some("GSI1"), Campaign::list_pk(org)),
        ("Query", Some("GSI3"), Campaign::by_status_pk(org, CampaignStatus::Live)),
        ("Query", Some("GSI5"), tenant_index_pk(org, 3)),
        ("BatchGetItem", None, org_pk(org, "SHOW#x")),
        ("BatchWriteItem", None, org_pk(org, "EPISODE#x")),
    ]
}

#[test]
fn tenant_a_credentials_cannot_reach_tenant_b_and_reach_their_own() {
    let access = access();
    let (a, b) = (OrgId::new(), OrgId::new());
    let with_sessions: Vec<_> =
        access.functions.iter().filter_map(|(n, f)| f.tenant_platform_keys.as_ref().map(|k| (n, k))).collect();
    assert!(with_sessions.len() >= 15, "every request-serving function uses tenant sessions");
    for (function, platform) in with_sessions {
        let session = session_policy(TABLE_ARN, &a, platform);
        for (action, index, pk) in keys_of(&b) {
            let r = as_tenant(dynamodb_request(action, TABLE_ARN, index, &[&pk]), &a);
            let d = evaluate(&access.tenant_role, Some(&session), &r).unwrap();
            assert_ne!(d, Decision::Allowed, "{function}: tenant A's session may {action} {pk} of tenant B");
            // A session requested without its session policy (a bug) is still held by the tag.
            assert_ne!(evaluate(&access.tenant_role, None, &r).unwrap(), Decision::Allowed, "{function}: role alone");
            // Both keys in one batch: the foreign one spoils it.
            let own = org_pk(&a, "SHOW#x");
            let mixed = as_tenant(dynamodb_request(action, TABLE_ARN, index, &[&own, &pk]), &a);
            assert_ne!(evaluate(&access.tenant_role, Some(&session), &mixed).unwrap(), Decision::Allowed);
        }
        for (action, index, pk) in keys_of(&a) {
            let r = as_tenant(dynamodb_request(action, TABLE_ARN, index, &[&pk]), &a);
            let d = evaluate(&access.tenant_role, Some(&session), &r).unwrap();
            assert_eq!(d, Decision::Allowed, "{function}: tenant A's session may not {action} its own {pk}");
            // A session policy naming another tenant than the tag (a bug) reaches neither.
            let crossed = session_policy(TABLE_ARN, &b, platform);
            assert_ne!(evaluate(&access.tenant_role, Some(&crossed), &r).unwrap(), Decision::Allowed);
        }
        for action in UNSCOPED_ACTIONS {
            let r = as_tenant(dynamodb_request(action.trim_start_matches("dynamodb:"), TABLE_ARN, None, &[]), &a);
            assert_eq!(evaluate(&access.tenant_role, Some(&session), &r).unwrap(), Decision::ExplicitlyDenied);
        }
        // An untagged session of the role reaches no tenant at all.
        let untagged = dynamodb_request("GetItem", TABLE_ARN, None, &[&org_pk(&a, "X")]);
        assert_ne!(evaluate(&access.tenant_role, Some(&session), &untagged).unwrap(), Decision::Allowed);
    }
}

/// Platform keys as the code builds them, and the partitions of the platform lookups.
fn platform_keys() -> Vec<String> {
    let user = UserId::new();
    vec![
        platform::email("victim@example.com").pk,
        platform::slug("victim").pk,
        platform::login_failures("ip#127.0.0.1").pk,
        platform::rotated_refresh_token("ab12").pk,
        format!("USER#{user}"),
        "APIKEY#ab12".into(),
        "PLATFORM#ORGS".into(),
        lookup::user(&user),
        lookup::api_key("ab12"),
        lookup::ORGANIZATIONS.into(),
    ]
}

#[test]
fn a_tenant_session_reaches_nothing_of_the_platform_but_writing_the_claims_its_function_names() {
    let access = access();
    let a = OrgId::new();
    for (function, f) in &access.functions {
        let Some(claims) = &f.tenant_platform_keys else { continue };
        let session = session_policy(TABLE_ARN, &a, claims);
        let decide = |action: &str, index: Option<&str>, pk: &str| {
            let r = as_tenant(dynamodb_request(action, TABLE_ARN, index, &[pk]), &a);
            evaluate(&access.tenant_role, Some(&session), &r).unwrap()
        };
        for pk in platform_keys() {
            for action in TENANT_ACTIONS {
                let action = action.trim_start_matches("dynamodb:");
                let named = claims.iter().any(|c| pk.starts_with(c.as_str()));
                let expected = if named && matches!(action, "PutItem" | "DeleteItem") {
                    Decision::Allowed
                } else {
                    Decision::ImplicitlyDenied
                };
                assert_eq!(decide(action, None, &pk), expected, "{function}: {action} {pk}");
                // Nor through any index: the lookups are the platform's to read.
                assert_ne!(decide(action, Some("GSI1"), &pk), Decision::Allowed, "{function}: {action} GSI1 {pk}");
            }
        }
    }
    let claims = |function: &str| access.functions[function].tenant_platform_keys.clone().unwrap_or_default();
    assert_eq!(claims("UsersFunction"), ["EMAIL#"]);
    assert_eq!(claims("OrganizationsFunction"), ["EMAIL#", "SLUG#"]);
    for function in ["AuthFunction", "CampaignsFunction", "BackupsFunction"] {
        assert!(claims(function).is_empty(), "{function} claims nothing");
    }
}

#[test]
fn only_the_platform_reads_the_lookups_and_nobody_writes_them_but_tenants() {
    let access = access();
    let readers = |pk: &str| -> Vec<String> {
        let r = dynamodb_request("Query", TABLE_ARN, Some("GSI1"), &[pk]);
        let mut who: Vec<String> = access
            .functions
            .iter()
            .filter(|(_, f)| evaluate(&f.role, None, &r).unwrap() == Decision::Allowed)
            .map(|(n, _)| n.clone())
            .collect();
        who.sort();
        who
    };
    let user = UserId::new();
    assert_eq!(readers(&lookup::user(&user)), ["AuthFunction", "AuthorizerFunction", "MonitoringFunction"]);
    assert_eq!(readers(&lookup::api_key("ab12")), ["AuthFunction", "AuthorizerFunction", "MonitoringFunction"]);
    assert_eq!(
        readers(lookup::ORGANIZATIONS),
        [
            "BackupScheduleFunction",
            "BillingJobFunction",
            "CampaignJobFunction",
            "DigestJobFunction",
            "OrganizationsFunction",
            "WebhookDispatcherFunction"
        ]
    );
    for (function, f) in &access.functions {
        for pk in platform_keys().iter().filter(|k| lookup::is_lookup(k)) {
            for action in ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"] {
                let r = dynamodb_request(action, TABLE_ARN, None, &[pk]);
                assert_ne!(evaluate(&f.role, None, &r).unwrap(), Decision::Allowed, "{function}: {action} {pk}");
            }
            // A lookup reader reaches no tenant list through the same index.
            let r = dynamodb_request("Query", TABLE_ARN, Some("GSI1"), &[&Campaign::list_pk(&OrgId::new())]);
            assert_ne!(evaluate(&f.role, None, &r).unwrap(), Decision::Allowed, "{function}: a tenant's list");
        }
    }
}

#[test]
fn no_functions_own_role_reaches_any_tenants_items() {
    let access = access();
    let org = OrgId::new();
    for (function, f) in &access.functions {
        for (action, index, pk) in keys_of(&org) {
            let r = dynamodb_request(action, TABLE_ARN, index, &[&pk]);
            assert_ne!(evaluate(&f.role, None, &r).unwrap(), Decision::Allowed, "{function}'s role may {action} {pk}");
        }
        for action in UNSCOPED_ACTIONS.iter().chain(["dynamodb:DescribeTable", "dynamodb:DeleteTable"].iter()) {
            let r = dynamodb_request(action.trim_start_matches("dynamodb:"), TABLE_ARN, None, &[]);
            assert_ne!(evaluate(&f.role, None, &r).unwrap(), Decision::Allowed, "{function}'s role may {action}");
        }
    }
}

/// The local names of template.yaml's buckets: (backups, media).
fn buckets() -> (String, String) {
    let t = podcastflow_local::template::Template::parse(BUNDLED).expect("the template parses");
    let name = |id: &str| t.buckets.iter().find(|(b, _)| b == id).map(|(_, n)| n.clone()).expect("the bucket");
    (name("BackupsBucket"), name("MediaBucket"))
}

#[test]
fn a_tenant_session_reaches_its_own_organizations_objects_and_no_function_role_reaches_any() {
    let access = access();
    let (backups, media) = buckets();
    let (a, b) = (OrgId::new(), OrgId::new());
    let objects_of = |org: &OrgId| {
        vec![
            (backups.clone(), Backup::data_key(org, &BackupId::new())),
            (backups.clone(), Backup::manifest_key(org, &BackupId::new())),
            (media.clone(), format!("{}show/x/m/file.mp3", Media::s3_prefix(org))),
        ]
    };
    for (function, f) in &access.functions {
        let Some(claims) = &f.tenant_platform_keys else { continue };
        let session = session_policy(TABLE_ARN, &a, claims);
        let decide = |action: &str, bucket: &str, key: &str| {
            let r = as_tenant(s3_request(action, bucket, key), &a);
            evaluate(&access.tenant_role, Some(&session), &r).unwrap()
        };
        for (bucket, key) in objects_of(&a) {
            for action in OBJECT_ACTIONS {
                let action = action.trim_start_matches("s3:");
                assert_eq!(decide(action, &bucket, &key), Decision::Allowed, "{function}: {action} its own {key}");
            }
        }
        for (bucket, key) in objects_of(&b) {
            for action in OBJECT_ACTIONS {
                let action = action.trim_start_matches("s3:");
                assert_ne!(decide(action, &bucket, &key), Decision::Allowed, "{function}: {action} B's {key}");
            }
        }
        // Not another bucket's same prefix, nor the health probe, nor a listing.
        let own = Backup::data_key(&a, &BackupId::new());
        assert_ne!(decide("GetObject", &media, &own), Decision::Allowed, "backups' prefix in the media bucket");
        assert_ne!(decide("GetObject", &backups, "health/probe"), Decision::Allowed);
        assert_ne!(decide("ListBucket", &backups, ""), Decision::Allowed);
        // An untagged session of the role reaches no organization's objects.
        let untagged = s3_request("GetObject", &backups, &own);
        assert_ne!(evaluate(&access.tenant_role, Some(&session), &untagged).unwrap(), Decision::Allowed);
    }
    for (function, f) in &access.functions {
        for org in [&a, &b] {
            for (bucket, key) in objects_of(org) {
                for action in ["GetObject", "PutObject", "DeleteObject"] {
                    let r = s3_request(action, &bucket, &key);
                    assert_ne!(evaluate(&f.role, None, &r).unwrap(), Decision::Allowed, "{function}'s role: {key}");
                }
            }
        }
    }
    let monitoring = &access.functions["MonitoringFunction"].role;
    assert_eq!(
        evaluate(monitoring, None, &s3_request("GetObject", &backups, "health/probe")).unwrap(),
        Decision::Allowed
    );
}

#[test]
fn every_table_grant_is_bounded_by_leading_keys() {
    for (owner, s) in allow_statements(&access()) {
        let actions = items(&s.action);
        if !actions.iter().any(|a| a.starts_with("dynamodb:")) {
            continue;
        }
        for a in &actions {
            assert!(TENANT_ACTIONS.contains(&a.as_str()), "{owner}: {a} is not an item action");
        }
        for r in items(&s.resource) {
            let lookups = format!("{TABLE_ARN}/index/GSI1");
            assert!(
                r == TABLE_ARN || r == format!("{TABLE_ARN}/index/*") || r == lookups,
                "{owner}: table grant on {r}"
            );
        }
        let like = s.condition.get("ForAllValues:StringLike").and_then(|c| c.get("dynamodb:LeadingKeys"));
        let null = s.condition.get("Null").and_then(|c| c.get("dynamodb:LeadingKeys"));
        assert!(like.is_some() && null.is_some(), "{owner}: a table grant without LeadingKeys and its Null check");
    }
}

#[test]
fn nothing_is_granted_on_everything_outside_the_documented_exceptions() {
    for (owner, s) in allow_statements(&access()) {
        for a in items(&s.action) {
            assert!(a != "*" && !a.ends_with(":*"), "{owner}: action {a}");
        }
        assert!(s.not_action.is_none() && s.not_resource.is_none(), "{owner}: an Allow with NotAction/NotResource");
        if items(&s.resource).iter().any(|r| r == "*") {
            for a in items(&s.action) {
                assert!(
                    WILDCARD_EXCEPTIONS.iter().any(|(f, x, _)| *f == owner && *x == a),
                    "{owner}: {a} on * is not a documented exception"
                );
            }
        }
    }
}

/// SAM policy templates in a function's Policies name only this template's own resources.
#[test]
fn policy_templates_name_only_this_stacks_resources() {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(BUNDLED).unwrap();
    let resources = doc["Resources"].as_mapping().unwrap();
    for (id, res) in resources {
        if res["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        for entry in res["Properties"]["Policies"].as_sequence().into_iter().flatten() {
            let Some(m) = entry.as_mapping() else { continue };
            for (name, params) in m {
                if name.as_str() == Some("Statement") {
                    continue;
                }
                for (_, v) in params.as_mapping().into_iter().flatten() {
                    let serde_yaml_ng::Value::Tagged(t) = v else { panic!("{id:?} {name:?}: a literal name") };
                    let target = t.value.as_str().unwrap_or_default();
                    assert!(t.tag == "Ref" && resources.contains_key(target), "{id:?} {name:?}: names {target}");
                }
            }
        }
    }
}

/// The users function manages usage plan keys only in the plan for API keys: from the attacker's
/// side, it cannot create an untagged key or one tagged for another plan, put a key in the
/// interactive plan, or delete a key it did not create (the interactive key, another stack's).
#[test]
fn the_users_role_reaches_only_the_api_keys_plan() {
    use podcastflow_usage::apigateway::PLAN_TAG;
    let access = access();
    let role = &access.functions["UsersFunction"].role;
    let arn = |path: &str| format!("arn:aws:apigateway:us-east-1::{path}");
    let tag = |key: &str, v: &str| (format!("aws:{key}/{PLAN_TAG}"), v.to_owned());
    let decide = |action: &str, path: &str, tagged: Option<(String, String)>| {
        let mut r = Request::new(format!("apigateway:{action}"), arn(path));
        if let Some((k, v)) = tagged {
            r = r.with(k, [v]);
        }
        evaluate(role, None, &r).expect("the policy evaluates")
    };
    let plan = "ApiKeysUsagePlan";
    assert_eq!(decide("POST", "/apikeys", Some(tag("RequestTag", plan))), Decision::Allowed);
    assert_eq!(decide("POST", &format!("/usageplans/{plan}/keys"), None), Decision::Allowed);
    assert_eq!(decide("GET", "/apikeys", None), Decision::Allowed);
    assert_eq!(decide("DELETE", "/apikeys/abc123", Some(tag("ResourceTag", plan))), Decision::Allowed);

    for (action, path, tagged) in [
        ("POST", "/apikeys".to_owned(), None),
        ("POST", "/apikeys".to_owned(), Some(tag("RequestTag", "InteractiveUsagePlan"))),
        ("POST", "/usageplans/InteractiveUsagePlan/keys".to_owned(), None),
        ("DELETE", "/apikeys/interactive".to_owned(), None),
        ("DELETE", "/apikeys/other".to_owned(), Some(tag("ResourceTag", "another-stacks-plan"))),
        ("PATCH", "/apikeys/abc123".to_owned(), Some(tag("ResourceTag", plan))),
        ("DELETE", format!("/usageplans/{plan}"), None),
        ("GET", "/apikeys/abc123".to_owned(), None),
    ] {
        assert_ne!(decide(action, &path, tagged.clone()), Decision::Allowed, "{action} {path} {tagged:?}");
    }
    for (name, f) in &access.functions {
        let any = f
            .role
            .iter()
            .flat_map(|p| &p.statement)
            .any(|s| items(&s.action).iter().any(|a| a.starts_with("apigateway:")));
        assert_eq!(any, name == "UsersFunction", "{name} has API Gateway control-plane permissions");
    }
}
