//! The authorizer against the local identity provider and an embedded table, from the
//! attacker's side as much as the user's.

use std::sync::Arc;

use chrono::Utc;
use podcastflow_domain::api_key::ApiKey;
use podcastflow_domain::organization::{OrgStatus, Organization};
use podcastflow_domain::user::{User, UserStatus};
use podcastflow_domain::{ApiKeyId, OrgId, Role, Stamp, UserId};
use podcastflow_identity::local::LocalIdentity;
use podcastflow_identity::testing::{self, TestWorld};
use podcastflow_identity::tokens::{SigningKey, digest};
use podcastflow_identity::{Identity, SignIn, StaticKeys};
use podcastflow_platform::tenancy::SharedTables;
use podcastflow_store::repo::api_keys::ApiKeyRepo;
use podcastflow_store::repo::organizations::OrganizationRepo;
use podcastflow_store::repo::users::UserRepo;
use podcastflow_store::{Condition, TenantTable};

use super::*;

const PASSWORD: &str = "a long enough password";
const PEOPLE_USAGE_KEY: &str = "podcastflow-test-interactive-usage";

struct World {
    authorizer: Authorizer,
    identity: Arc<LocalIdentity>,
    table: Arc<dyn Table>,
    org: Organization,
    admin: User,
    _w: TestWorld,
}

fn sample(auth: Option<&str>) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
    let mut raw: Value = serde_json::from_str(include_str!("../../../events/authorizer/request.json")).unwrap();
    match auth {
        Some(a) => raw["headers"]["Authorization"] = Value::from(a),
        None => {
            raw["headers"].as_object_mut().unwrap().remove("Authorization");
        }
    }
    serde_json::from_value(raw).unwrap()
}

async fn ask(w: &World, auth: Option<&str>) -> Result<Value, String> {
    handle(&w.authorizer, LambdaEvent::new(sample(auth), Default::default())).await.map_err(|e| e.to_string())
}

async fn world() -> World {
    let w = testing::world();
    let admin_id = UserId::new();
    let email = format!("{}@example.com", admin_id.to_string().to_lowercase());
    let (org, admin) = w.organization(OrgId::new(), admin_id, &email, PASSWORD).await;
    let keys = Arc::new(StaticKeys(w.identity.jwks()));
    let verifier = Arc::new(TokenVerifier::new(w.identity.issuer(), w.identity.client_id(), keys));
    let authorizer = Authorizer {
        verifier,
        table: w.table.clone(),
        tenants: Arc::new(SharedTables(w.table.clone())),
        interactive_usage_key: Some(PEOPLE_USAGE_KEY.into()),
    };
    World { authorizer, identity: w.identity.clone(), table: w.table.clone(), org, admin, _w: w }
}

async fn token(w: &World) -> String {
    let id = w.admin.id.to_string();
    let session = match w.identity.sign_in(&id, PASSWORD).await.unwrap() {
        SignIn::Challenge { session, .. } => session,
        SignIn::Tokens(t) => return t.access_token,
    };
    match w.identity.respond_new_password(&id, &session, "the admin's own password").await.unwrap() {
        SignIn::Tokens(t) => t.access_token,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_valid_token_is_allowed_for_the_whole_stage_with_the_membership_as_context() {
    let w = world().await;
    let answer = ask(&w, Some(&format!("Bearer {}", token(&w).await))).await.unwrap();
    assert_eq!(answer["principalId"], w.admin.id.to_string());
    let st = &answer["policyDocument"]["Statement"][0];
    assert_eq!(st["Effect"], "Allow");
    assert_eq!(st["Resource"], "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*");
    assert_eq!(
        answer["context"],
        json!({"userId": w.admin.id.to_string(), "orgId": w.org.id.to_string(), "role": "admin", "principalType": "user",
            "orgRequestsPerSecond": w.org.settings.rate_limits.requests_per_second,
            "orgBurst": w.org.settings.rate_limits.burst, "orgTimezone": w.org.settings.timezone})
    );
    // People are metered by the plan they share.
    assert_eq!(answer["usageIdentifierKey"], PEOPLE_USAGE_KEY);
}

#[tokio::test]
async fn missing_malformed_and_foreign_credentials_are_unauthorized() {
    let w = world().await;
    let other_key = SigningKey::generate().unwrap();
    let now = Utc::now().timestamp();
    let forged = other_key
        .sign(&json!({"sub": w.admin.id.to_string(), "username": w.admin.id.to_string(), "iss": w.identity.issuer(),
            "client_id": w.identity.client_id(), "token_use": "access", "auth_time": now, "iat": now, "exp": now + 600, "jti": "x"}))
        .unwrap();
    for auth in
        [None, Some("Bearer"), Some("Basic dXNlcjpwYXNz"), Some("Bearer not.a.jwt"), Some(&*format!("Bearer {forged}"))]
    {
        assert_eq!(ask(&w, auth).await, Err("Unauthorized".into()), "{auth:?}");
    }
}

#[tokio::test]
async fn disabled_users_and_revoked_tokens_are_unauthorized_and_suspended_orgs_denied() {
    let w = world().await;
    let t = format!("Bearer {}", token(&w).await);
    let codec = CursorCodec::new(b"k".to_vec());
    let users = UserRepo::new(w.table.as_ref(), &codec);
    // Revoked: tokens issued at or before the revocation instant are refused.
    users.revoke_tokens(&w.org.id, &w.admin.id, Utc::now()).await.unwrap();
    assert_eq!(ask(&w, Some(&t)).await, Err("Unauthorized".into()));
    // A token issued after the revocation's second works again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = format!(
        "Bearer {}",
        w.identity
            .sign_in(&w.admin.id.to_string(), "the admin's own password")
            .await
            .map(|s| match s {
                SignIn::Tokens(t) => t.access_token,
                other => panic!("{other:?}"),
            })
            .unwrap()
    );
    assert!(ask(&w, Some(&fresh)).await.is_ok());
    // Suspended organization: an explicit Deny.
    let orgs = OrganizationRepo::new(w.table.as_ref(), &codec);
    let mut org = w.org.clone();
    org.status = OrgStatus::Suspended;
    org.stamp = org.stamp.touched(w.admin.id, Utc::now());
    orgs.update(&org, 1).await.unwrap();
    let answer = ask(&w, Some(&fresh)).await.unwrap();
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
    // Disabled user.
    let mut admin = w.admin.clone();
    admin.status = UserStatus::Disabled;
    admin.stamp = admin.stamp.touched(w.admin.id, Utc::now());
    users.update(&admin, 1, None).await.unwrap();
    assert_eq!(ask(&w, Some(&fresh)).await, Err("Unauthorized".into()));
}

/// A seller's API key of the world's organization, stored; its secret repeats `seed`.
async fn seller_key(w: &World, seed: &str) -> (ApiKey, String) {
    let secret = format!("{SECRET_PREFIX}{}", seed.repeat(6));
    let key = ApiKey {
        id: ApiKeyId::new(),
        org_id: w.org.id,
        name: "export".into(),
        role: Role::Seller,
        hint: secret[..8].into(),
        stamp: Stamp::created(w.admin.id, Utc::now()),
    };
    let codec = CursorCodec::new(b"k".to_vec());
    ApiKeyRepo::new(w.table.as_ref(), &codec).create(&key, &digest(&secret)).await.unwrap();
    (key, secret)
}

#[tokio::test]
async fn api_keys_are_allowed_by_their_grant_and_refused_once_revoked() {
    let w = world().await;
    let codec = CursorCodec::new(b"k".to_vec());
    let repo = ApiKeyRepo::new(w.table.as_ref(), &codec);
    let (key, secret) = seller_key(&w, "s3cr3t").await;
    for auth in [format!("ApiKey {secret}"), format!("Bearer {secret}")] {
        let answer = ask(&w, Some(&auth)).await.unwrap();
        assert_eq!(answer["context"]["principalType"], "apiKey");
        assert_eq!(answer["context"]["role"], "seller");
        assert_eq!(answer["context"]["orgId"], w.org.id.to_string());
        // Each key is metered by its own usage plan key, never the people's.
        assert_eq!(answer["usageIdentifierKey"], key.id.to_string());
    }
    assert_eq!(ask(&w, Some(&format!("ApiKey {secret}x"))).await, Err("Unauthorized".into()));
    repo.revoke(&w.org.id, &key.id).await.unwrap();
    assert_eq!(ask(&w, Some(&format!("ApiKey {secret}"))).await, Err("Unauthorized".into()));
}

/// What a bug (or an attacker) holding another organization's credentials can write: any item in
/// that organization's partition, with any lookup key and any attributes.
async fn forge(w: &World, attacker: OrgId, item: Value) {
    let t = TenantTable::new(w.table.clone(), attacker, CursorCodec::new(b"k".to_vec()));
    t.put(item.as_object().unwrap().clone(), Condition::Always).await.unwrap();
}

#[tokio::test]
async fn another_organization_cannot_take_over_or_move_a_users_membership() {
    let w = world().await;
    let t = format!("Bearer {}", token(&w).await);
    let (victim, attacker) = (w.admin.id, OrgId::new());
    let lookup = podcastflow_domain::keys::lookup::user(&victim);
    let membership = |org: OrgId| json!({"userId": victim.to_string(), "orgId": org.to_string(), "role": "admin", "status": "active", "version": 9});
    // Attributes claiming the victim's organization, in the attacker's partition: ignored.
    let mut lie = membership(w.org.id);
    lie["PK"] = json!(format!("ORG#{attacker}#USER#{victim}"));
    lie["SK"] = json!("MEMBERSHIP");
    lie["GSI1PK"] = json!(lookup);
    lie["GSI1SK"] = json!("MEMBERSHIP");
    forge(&w, attacker, lie).await;
    let answer = ask(&w, Some(&t)).await.unwrap();
    assert_eq!(answer["context"]["orgId"], w.org.id.to_string(), "the victim still acts in their own organization");
    // A membership of the attacker's organization for the victim: the lookup now names two
    // organizations, so neither is trusted. The victim is refused; never let into the attacker's.
    let mut claim = membership(attacker);
    claim["PK"] = json!(format!("ORG#{attacker}#USER#{victim}"));
    claim["SK"] = json!("MEMBERSHIP");
    claim["GSI1PK"] = json!(lookup);
    claim["GSI1SK"] = json!("MEMBERSHIP");
    forge(&w, attacker, claim).await;
    assert_eq!(ask(&w, Some(&t)).await, Err("Unauthorized".into()));
    // The attacker cannot write into the victim's organization at all.
    let t2 = TenantTable::new(w.table.clone(), attacker, CursorCodec::new(b"k".to_vec()));
    let theirs = podcastflow_domain::user::Membership::key_of(&w.org.id, &victim);
    assert!(t2.delete(&theirs, Condition::Always).await.is_err());
}

#[tokio::test]
async fn another_organization_cannot_grant_itself_an_api_key_of_another() {
    let w = world().await;
    let (key, secret) = seller_key(&w, "v1ct1m").await;
    let attacker = OrgId::new();
    let lookup = podcastflow_domain::keys::lookup::api_key(&digest(&secret));
    // A grant in the attacker's partition naming the victim's organization and key: ignored.
    forge(
        &w,
        attacker,
        json!({"PK": format!("ORG#{attacker}#APIKEY#{}", key.id), "SK": "GRANT", "GSI1PK": lookup, "GSI1SK": "x",
            "keyId": key.id.to_string(), "orgId": w.org.id.to_string(), "role": "admin"}),
    )
    .await;
    let answer = ask(&w, Some(&format!("ApiKey {secret}"))).await.unwrap();
    assert_eq!(
        (answer["context"]["orgId"].as_str(), answer["context"]["role"].as_str()),
        (Some(&*w.org.id.to_string()), Some("seller"))
    );
    // A grant of the attacker's own organization under the same digest: two organizations claim
    // the secret, so it opens neither.
    let own = ApiKeyId::new();
    forge(
        &w,
        attacker,
        json!({"PK": format!("ORG#{attacker}#APIKEY#{own}"), "SK": "GRANT", "GSI1PK": lookup, "GSI1SK": "y",
            "keyId": own.to_string(), "orgId": attacker.to_string(), "role": "admin"}),
    )
    .await;
    assert_eq!(ask(&w, Some(&format!("ApiKey {secret}"))).await, Err("Unauthorized".into()));
}

#[test]
fn the_policy_covers_every_route_of_the_stage() {
    assert_eq!(
        stage_wildcard("arn:aws:execute-api:eu-west-1:1:api/dev/POST/a/b"),
        "arn:aws:execute-api:eu-west-1:1:api/dev/*"
    );
    assert_eq!(
        stage_wildcard("arn:aws:execute-api:eu-west-1:1:ws/local/$connect"),
        "arn:aws:execute-api:eu-west-1:1:ws/local/*"
    );
}

#[tokio::test]
async fn a_websocket_connect_is_authorized_by_the_token_in_the_query_string() {
    let w = world().await;
    let token = token(&w).await;
    let mut raw: Value =
        serde_json::from_str(include_str!("../../../events/authorizer/websocket-connect.json")).unwrap();
    raw["queryStringParameters"]["token"] = Value::from(token);
    let event: ApiGatewayCustomAuthorizerRequestTypeRequest = serde_json::from_value(raw.clone()).unwrap();
    let answer = handle(&w.authorizer, LambdaEvent::new(event, Default::default())).await.unwrap();
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:us-east-1:123456789012:wsapi12345/prod/*"
    );
    assert_eq!(answer["context"]["userId"], w.admin.id.to_string());
    raw["queryStringParameters"]["token"] = Value::from("forged");
    let event: ApiGatewayCustomAuthorizerRequestTypeRequest = serde_json::from_value(raw).unwrap();
    let refused = handle(&w.authorizer, LambdaEvent::new(event, Default::default())).await;
    assert_eq!(refused.map_err(|e| e.to_string()), Err("Unauthorized".into()));
}
