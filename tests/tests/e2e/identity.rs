//! Identity and access end to end through the local stack: organizations and their first
//! admins, invitations, sign-in with challenges, refresh rotation and reuse detection, sign-out,
//! disabling, TOTP, throttling, and every kind of bad token.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use podcastflow_identity::totp;
use podcastflow_store::Table;
use podcastflow_tests::org::{self, CHOSEN, TEMPORARY};
use podcastflow_tests::stack::TestStack;
use serde_json::{Value, json};

/// The authorizer cache in these tests: short, so revocations show within a test.
const TTL: u32 = 1;

async fn after_cache_ttl() {
    tokio::time::sleep(Duration::from_millis(u64::from(TTL) * 1000 + 300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_is_born_and_each_role_signs_in() {
    let s = TestStack::with_authorizer_ttl(TTL).await;
    let master = s.master().await;
    let me = master.get("/auth/me").await;
    assert_eq!((me.status.as_u16(), me.body["role"].clone()), (200, json!("master")));
    let o = org::create(&s, &master).await;
    for (m, role) in [
        (&o.admin, "admin"),
        (&o.seller, "seller"),
        (&o.producer, "producer"),
        (&o.talent, "talent"),
        (&o.client, "client"),
    ] {
        let me = m.api.get("/auth/me").await;
        assert_eq!(me.status, 200, "{role}");
        assert_eq!(me.body["role"], role);
        assert_eq!(me.body["orgId"], o.id.as_str());
        assert_eq!(me.body["status"], "active", "the first sign-in activates the invitation");
    }
    assert_eq!(o.client.api.get("/auth/me").await.body["clientId"], o.client_id.as_str());
    // A failed half leaves nothing: a taken admin e-mail makes no organization.
    let taken = json!({"name": "Twin", "slug": "twin-org", "admin": {"email": o.admin.email, "name": "Twin"}});
    assert_eq!(master.post("/organizations", taken).await.status, 409);
    let list = master.get("/organizations?limit=100").await;
    assert!(!list.body["items"].as_array().unwrap().iter().any(|i| i["slug"] == "twin-org"), "no half-made org");
    let retry = json!({"name": "Twin", "slug": "twin-org", "admin": {"email": "twin@example.com", "name": "Twin", "temporaryPassword": TEMPORARY}});
    assert_eq!(master.post("/organizations", retry).await.status, 201, "the slug is free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_without_a_password_mails_one() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let email = "mailed@example.com";
    let created = o.admin.api.post("/users", json!({"email": email, "name": "Mailed", "role": "seller"})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let mail = s.stack.services.outbox.messages().unwrap().into_iter().rfind(|m| m.to == email).expect("an invitation");
    let temporary =
        mail.body.lines().map(str::trim).find(|l| l.len() == 16 && !l.contains(' ')).expect("a password line");
    let api = s.api().signed_in(email, temporary, CHOSEN).await;
    assert_eq!(api.get("/auth/me").await.body["email"], email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_a_reused_token_revokes_the_sign_in() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let first = s.api().sign_in(&o.seller.email, CHOSEN, CHOSEN).await;
    let r1 = first["refreshToken"].clone();
    let second = s.api().post("/auth/refresh", json!({"refreshToken": r1})).await;
    assert_eq!(second.status, 200);
    let r2 = second.body["refreshToken"].clone();
    assert_ne!(r1, r2, "rotated");
    assert!(s.api().with_token(second.body["accessToken"].as_str().unwrap()).get("/auth/me").await.status == 200);
    let reuse = s.api().post("/auth/refresh", json!({"refreshToken": r1})).await;
    assert_eq!(reuse.status, 401);
    assert_eq!(reuse.headers["content-type"], "application/problem+json");
    assert_eq!(s.api().post("/auth/refresh", json!({"refreshToken": r2})).await.status, 401, "the family is revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_of_a_sign_in_ended_by_reuse_are_refused_within_the_cache_ttl() {
    let s = TestStack::with_authorizer_ttl(TTL).await;
    let o = org::create(&s, &s.master().await).await;
    let first = s.api().sign_in(&o.seller.email, CHOSEN, CHOSEN).await;
    let other_sign_in = s.api().sign_in(&o.seller.email, CHOSEN, CHOSEN).await;
    let r1 = first["refreshToken"].clone();
    let second = s.api().post("/auth/refresh", json!({"refreshToken": r1})).await;
    let stolen = s.api().with_token(first["accessToken"].as_str().unwrap());
    let fresh = s.api().with_token(second.body["accessToken"].as_str().unwrap());
    let elsewhere = s.api().with_token(other_sign_in["accessToken"].as_str().unwrap());
    for api in [&stolen, &fresh, &elsewhere] {
        assert_eq!(api.get("/auth/me").await.status, 200);
    }
    // The rotated token comes back: every access token of that sign-in stops working.
    assert_eq!(s.api().post("/auth/refresh", json!({"refreshToken": r1})).await.status, 401);
    tokio::time::sleep(Duration::from_secs(u64::from(TTL) + 1)).await;
    assert_eq!(stolen.get("/auth/me").await.status, 401, "issued before the rotation");
    assert_eq!(fresh.get("/auth/me").await.status, 401, "issued by the rotation");
    // Another sign-in of the same user is not touched.
    assert_eq!(elsewhere.get("/auth/me").await.status, 200);
    let again = s.api().post("/auth/refresh", json!({"refreshToken": other_sign_in["refreshToken"]})).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_and_disabling_refuse_existing_tokens_after_the_cache_ttl() {
    let s = TestStack::with_authorizer_ttl(TTL).await;
    let o = org::create(&s, &s.master().await).await;
    // Sign-out: the access token and the refresh token stop working.
    let tokens = s.api().sign_in(&o.producer.email, CHOSEN, CHOSEN).await;
    let producer = s.api().with_token(tokens["accessToken"].as_str().unwrap());
    assert_eq!(producer.get("/auth/me").await.status, 200);
    assert_eq!(producer.post("/auth/logout", json!({"refreshToken": tokens["refreshToken"]})).await.status, 204);
    after_cache_ttl().await;
    assert_eq!(producer.get("/auth/me").await.status, 401);
    assert_eq!(s.api().post("/auth/refresh", json!({"refreshToken": tokens["refreshToken"]})).await.status, 401);
    // Signing in again works at once.
    assert_eq!(s.api().signed_in(&o.producer.email, CHOSEN, CHOSEN).await.get("/auth/me").await.status, 200);
    // Disabling: the talent's token is refused, and so is signing in.
    assert_eq!(o.talent.api.get("/auth/me").await.status, 200);
    assert_eq!(o.admin.api.send("DELETE", &format!("/users/{}", o.talent.id), None, None).await.status, 204);
    after_cache_ttl().await;
    assert_eq!(o.talent.api.get("/auth/me").await.status, 401);
    let again = s.api().post("/auth/login", json!({"email": o.talent.email, "password": CHOSEN})).await;
    assert_eq!(again.status, 401);
    // The record stays, disabled.
    assert_eq!(o.admin.api.get(&format!("/users/{}", o.talent.id)).await.body["status"], "disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_enrolment_and_an_mfa_sign_in() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let setup = o.seller.api.post("/auth/mfa/setup", json!({})).await;
    assert_eq!(setup.status, 200, "{:?}", setup.body);
    assert!(setup.body["otpauthUri"].as_str().unwrap().starts_with("otpauth://totp/PodcastFlow:"));
    let secret = totp::decode_secret(setup.body["secret"].as_str().unwrap()).unwrap();
    let now = || chrono::Utc::now().timestamp() as u64;
    let bad = o.seller.api.post("/auth/mfa/verify", json!({"code": "12345x"})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(o.seller.api.post("/auth/mfa/verify", json!({"code": totp::code_at(&secret, now())})).await.status, 204);
    let login = s.api().post("/auth/login", json!({"email": o.seller.email, "password": CHOSEN})).await;
    assert_eq!(login.body["challenge"], "SOFTWARE_TOKEN_MFA");
    let answer =
        |code: String| json!({"challenge": "SOFTWARE_TOKEN_MFA", "session": login.body["session"], "code": code});
    // A code no step around now produces.
    let near: Vec<String> = (0..3).map(|d| totp::code_at(&secret, now() + d * totp::STEP - totp::STEP)).collect();
    let wrong_code =
        ["000000", "000001", "000002", "000003"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
    let wrong = s.api().post("/auth/challenge", answer(wrong_code.into())).await;
    assert_eq!(wrong.status, 400, "a wrong code is refused: {:?}", wrong.body);
    let ok = s.api().post("/auth/challenge", answer(totp::code_at(&secret, now() + totp::STEP))).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(s.api().with_token(ok.body["accessToken"].as_str().unwrap()).get("/auth/me").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_mfa_codes_are_throttled_per_account_and_only_a_completed_sign_in_clears_failures() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let setup = o.seller.api.post("/auth/mfa/setup", json!({})).await;
    let secret = totp::decode_secret(setup.body["secret"].as_str().unwrap()).unwrap();
    let now = || chrono::Utc::now().timestamp() as u64;
    assert_eq!(o.seller.api.post("/auth/mfa/verify", json!({"code": totp::code_at(&secret, now())})).await.status, 204);
    let near: Vec<String> = (0..4).map(|d| totp::code_at(&secret, now() + d * totp::STEP - totp::STEP)).collect();
    let wrong_code =
        ["000000", "000001", "000002", "000003", "000004"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
    let anon = s.api();
    let login = || anon.post("/auth/login", json!({"email": o.seller.email, "password": CHOSEN}));
    let answer = |session: &Value, code: &str| {
        anon.post("/auth/challenge", json!({"challenge": "SOFTWARE_TOKEN_MFA", "session": session, "code": code}))
    };

    // Nine wrong passwords, then the right one with no code: the count stands.
    for _ in 0..9 {
        s.api().post("/auth/login", json!({"email": o.seller.email, "password": "not the password"})).await;
    }
    let half = login().await;
    assert_eq!(half.body["challenge"], "SOFTWARE_TOKEN_MFA", "{:?}", half.body);
    s.api().post("/auth/login", json!({"email": o.seller.email, "password": "not the password"})).await;
    assert_eq!(login().await.status, 429, "a right password alone did not clear the failures");
    s.stack
        .table
        .delete(
            &podcastflow_domain::keys::platform::login_failures(&format!(
                "account#{}",
                podcastflow_identity::tokens::digest(&o.seller.email.to_lowercase())
            )),
            podcastflow_store::condition::Condition::Always,
        )
        .await
        .unwrap();

    // Wrong codes across sign-ins: after ten, even the right code waits.
    let mut refused = 0;
    let mut wrong = 0;
    'rounds: for _ in 0..4 {
        let l = login().await;
        assert_eq!(l.status, 200, "{:?}", l.body);
        for _ in 0..3 {
            let r = answer(&l.body["session"], wrong_code).await;
            match r.status.as_u16() {
                429 => {
                    refused += 1;
                    break 'rounds;
                }
                400 | 401 => wrong += 1,
                other => panic!("{other}: {:?}", r.body),
            }
        }
    }
    assert_eq!((wrong, refused), (10, 1), "ten wrong codes, then refused");
    let l = login().await;
    let right = answer(&l.body["session"], &totp::code_at(&secret, now() + totp::STEP)).await;
    assert_eq!(right.status, 429, "{:?}", right.body);
    assert!(right.headers.contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_throttled_and_unknown_emails_look_the_same() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let unknown =
        s.api().post("/auth/login", json!({"email": "nobody@example.com", "password": "whatever it is"})).await;
    let wrong = s.api().post("/auth/login", json!({"email": o.seller.email, "password": "not the password"})).await;
    assert_eq!((unknown.status, wrong.status), (reqwest::StatusCode::UNAUTHORIZED, reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(unknown.body, wrong.body, "no difference between unknown and known e-mails");
    for _ in 0..9 {
        s.api().post("/auth/login", json!({"email": o.seller.email, "password": "not the password"})).await;
    }
    let blocked = s.api().post("/auth/login", json!({"email": o.seller.email, "password": CHOSEN})).await;
    assert_eq!(blocked.status, 429, "even the right password waits");
    let retry: u64 = blocked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Other accounts are not affected.
    assert_eq!(s.api().post("/auth/login", json!({"email": o.producer.email, "password": CHOSEN})).await.status, 200);
    // Reset requests always look accepted.
    for email in ["nobody@example.com", o.producer.email.as_str()] {
        assert_eq!(s.api().post("/auth/password/forgot", json!({"email": email})).await.status, 202);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_by_mailed_code() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    assert_eq!(s.api().post("/auth/password/forgot", json!({"email": o.talent.email})).await.status, 202);
    let mail = s.stack.services.outbox.messages().unwrap().into_iter().rfind(|m| m.to == o.talent.email).unwrap();
    let code = mail.body.lines().find_map(|l| l.strip_prefix("Your code: ")).unwrap().to_owned();
    let next = "a brand new passphrase";
    let body = json!({"email": o.talent.email, "code": code, "newPassword": next});
    assert_eq!(s.api().post("/auth/password/confirm", body.clone()).await.status, 204);
    assert_eq!(s.api().post("/auth/password/confirm", body).await.status, 401, "a code works once");
    s.api().signed_in(&o.talent.email, next, next).await;
}

fn forge(header: Value, claims: Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.{}", part(&header), part(&claims), URL_SAFE_NO_PAD.encode(b"not a signature"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_foreign_and_unsigned_tokens_are_401() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let real = o.admin.api.authorization.clone().unwrap();
    let token = real.trim_start_matches("Bearer ");
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };
    // Claims altered under the real signature.
    let mut tampered = with("username", json!(o.seller.id));
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered.take().to_string()), parts[2]);
    // Signed by another key that claims the real key id.
    let other = podcastflow_identity::tokens::SigningKey::generate().unwrap();
    let resign = |c: &Value| {
        let t = other.sign(c).unwrap();
        let p: Vec<&str> = t.split('.').collect();
        format!("{}.{}.{}", parts[0], p[1], p[2])
    };
    // The stack's own signing key, from its data dir: tokens it signs differ from a real one
    // only in the claim under test.
    let der = std::fs::read(s.stack_data_dir().join("identity-key.der")).unwrap();
    let real_key = podcastflow_identity::tokens::SigningKey::from_pkcs8(&der).unwrap();
    assert_eq!(s.api().with_token(&real_key.sign(&claims).unwrap()).get("/auth/me").await.status, 200, "control");
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("tampered claims", tampered),
        ("wrong key", resign(&claims)),
        ("own key, other kid", other.sign(&claims).unwrap()),
        ("expired", real_key.sign(&with("exp", json!(now - 60))).unwrap()),
        ("wrong issuer, right key", real_key.sign(&with("iss", json!("https://evil.example.com"))).unwrap()),
        ("other app client", real_key.sign(&with("client_id", json!("someone-else"))).unwrap()),
        ("an id token", real_key.sign(&with("token_use", json!("id"))).unwrap()),
        ("unknown user", real_key.sign(&with("username", json!(ulid::Ulid::new().to_string()))).unwrap()),
        ("alg none", forge(json!({"alg": "none", "kid": header["kid"]}), claims.clone())),
        ("alg HS256", forge(json!({"alg": "HS256", "kid": header["kid"]}), claims.clone())),
        ("wrong issuer, wrong key", resign(&with("iss", json!("https://evil.example.com")))),
        ("garbage", "a.b.c".to_owned()),
    ];
    for (what, t) in cases {
        assert_eq!(s.api().with_token(&t).get("/auth/me").await.status, 401, "{what}");
    }
    assert_eq!(s.api().get("/auth/me").await.status, 401, "no token");
    assert_eq!(s.api().with_token(token).get("/auth/me").await.status, 200, "the real one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_organization_is_denied_until_reactivated() {
    let s = TestStack::with_authorizer_ttl(TTL).await;
    let master = s.master().await;
    let o = org::create(&s, &master).await;
    let set = |status: &'static str| {
        let (master, id) = (master.clone(), o.id.clone());
        async move {
            let etag = master.with_header("x-org-id", &id).get("/organization").await.etag();
            master.send("PUT", &format!("/organizations/{id}"), Some(json!({"status": status})), Some(&etag)).await
        }
    };
    assert_eq!(set("suspended").await.status, 200);
    after_cache_ttl().await;
    let denied = o.seller.api.get("/auth/me").await;
    assert_eq!(denied.status, 403, "{:?}", denied.body);
    let login = s.api().post("/auth/login", json!({"email": o.seller.email, "password": CHOSEN})).await;
    assert_eq!(
        (login.status.as_u16(), login.body["type"].clone()),
        (403, json!("https://podcastflow.dev/problems/organization-suspended"))
    );
    // Master still acts in it, and reactivates it.
    assert_eq!(master.with_header("x-org-id", &o.id).get("/users").await.status, 200);
    assert_eq!(set("active").await.status, 200);
    after_cache_ttl().await;
    assert_eq!(o.seller.api.get("/auth/me").await.status, 200);
    // The platform organization itself cannot be suspended.
    let platform = master.get("/organization").await;
    let id = platform.body["id"].as_str().unwrap().to_owned();
    let refused = master
        .send("PUT", &format!("/organizations/{id}"), Some(json!({"status": "suspended"})), Some(&platform.etag()))
        .await;
    assert_eq!(refused.status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_organization_signs_in_at_once_with_every_role() {
    let s = TestStack::start().await;
    let created = podcastflow_local::demo::seed(&s.stack.services).await.unwrap();
    assert_eq!(created.emails.len(), 5);
    assert_eq!(created.files.len(), 2, "the host reads' recordings");
    podcastflow_local::demo::upload(&s.stack.services, created.files).await.unwrap();
    assert!(podcastflow_local::demo::seed(&s.stack.services).await.unwrap().emails.is_empty(), "created once");
    for role in ["admin", "seller", "producer", "talent", "client"] {
        let email = format!("{role}@demo.podcastflow.local");
        let login =
            s.api().post("/auth/login", json!({"email": email, "password": podcastflow_local::demo::PASSWORD})).await;
        assert!(login.body["accessToken"].is_string(), "{role} signs in without a challenge: {:?}", login.body);
        let api = s.api().with_token(login.body["accessToken"].as_str().unwrap());
        let me = api.get("/auth/me").await;
        assert_eq!(me.body["role"], role);
        // Sample data to explore, as each role sees it.
        let count = |b: &Value| b["items"].as_array().map_or(0, Vec::len);
        let campaigns = count(&api.get("/campaigns").await.body);
        let shows = count(&api.get("/shows").await.body);
        let expected = match role {
            "admin" | "seller" => (5, 3),
            "producer" => (4, 3),
            "talent" => (1, 2),
            _ => (3, 2),
        };
        assert_eq!((campaigns, shows), expected, "{role}");
        if role == "talent" {
            let id = me.body["id"].as_str().unwrap().to_owned();
            let schedule = api.get(&format!("/talent/{id}/schedule")).await;
            assert_eq!(count(&schedule.body), 3, "{:?}", schedule.body);
        }
    }
    let admin = s.api().signed_in("admin@demo.podcastflow.local", podcastflow_local::demo::PASSWORD, "").await;
    let live = admin.get("/campaigns?status=live").await;
    let id = live.body["items"][0]["id"].as_str().unwrap().to_owned();
    let history = admin.get(&format!("/campaigns/{id}/history")).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 5, "draft to live, step by step");
    // The live campaign's inventory: a hold, a booked order, and a blocked spot.
    let holds = admin.get(&format!("/campaigns/{id}/holds")).await;
    let statuses: Vec<&str> =
        holds.body["items"].as_array().unwrap().iter().filter_map(|h| h["status"].as_str()).collect();
    assert_eq!(statuses.len(), 2, "{:?}", holds.body);
    assert!(statuses.contains(&"active") && statuses.contains(&"booked"), "{statuses:?}");
    let orders = admin.get(&format!("/orders?campaignId={id}")).await;
    assert_eq!(orders.body["items"][0]["status"], "booked", "{:?}", orders.body);
    assert_eq!(orders.body["items"][0]["lines"].as_array().unwrap().len(), 2);
    let client = s.api().signed_in("client@demo.podcastflow.local", podcastflow_local::demo::PASSWORD, "").await;
    let theirs = client.get("/orders").await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1, "the client sees its order");
    assert!(theirs.body["items"][0].get("internalNotes").is_none());
    let shows = admin.get("/shows").await;
    let run = shows.body["items"].as_array().unwrap().iter().find(|s| s["name"] == "The Long Run").unwrap().clone();
    let today = chrono::Utc::now().date_naive();
    let avails = format!(
        "/inventory?showIds={}&from={today}&to={}",
        run["id"].as_str().unwrap(),
        today + chrono::Duration::days(30)
    );
    let rows = admin.get(&avails).await;
    let post = rows.body["items"].as_array().unwrap().iter().find(|r| r["position"] == "post").unwrap().clone();
    assert_eq!(post["blocked"], 1, "{:?}", rows.body);
    // Its host reads: a brief, one read in review whose take missed the promo code, one approved.
    assert_eq!(admin.get(&format!("/campaigns/{id}/briefs")).await.body["items"][0]["promoCode"], "RUN25");
    let talent = s.api().signed_in("talent@demo.podcastflow.local", podcastflow_local::demo::PASSWORD, "").await;
    let reads = talent.get("/ad-reads").await;
    let items = reads.body["items"].as_array().unwrap().clone();
    let statuses: Vec<&str> = items.iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(statuses, ["in_review", "approved"], "{:?}", reads.body);
    let failed: Vec<&str> = items[0]["submissions"][0]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["passed"] == false)
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(failed, ["promoCode"]);
    let approved = items[1]["submissions"][0]["checklist"].as_array().unwrap();
    assert!(approved.iter().all(|i| i["passed"] == true), "the approved take passes: {approved:?}");
    assert_eq!(items[0]["submissions"][0]["durationSeconds"], 21.0);
    let recording = items[1]["submissions"][0]["recordingId"].as_str().unwrap();
    let link = talent.get(&format!("/media/{recording}/download")).await;
    assert_eq!(link.status, 200, "{:?}", link.body);
    let wav = reqwest::get(link.body["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(&wav[..4], b"RIFF", "a real recording");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_create_with_an_idempotency_key_creates_once() {
    let s = TestStack::start().await;
    let o = org::create(&s, &s.master().await).await;
    let admin = o.admin.api.with_header("idempotency-key", "invite-42");
    let body = json!({"email": "once@example.com", "name": "Once", "role": "seller", "temporaryPassword": TEMPORARY});
    let first = admin.post("/users", body.clone()).await;
    let second = admin.post("/users", body.clone()).await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (201, 201));
    assert_eq!(first.body["id"], second.body["id"], "the same user, not a second one");
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(second.headers["location"], first.headers["location"]);
    let other = admin.post("/users", json!({"email": "twice@example.com", "name": "Twice", "role": "seller"})).await;
    assert_eq!(other.status, 422, "the same key with another body");
    // Another principal's identical key is theirs alone.
    let seller_try = o.seller.api.with_header("idempotency-key", "invite-42").post("/users", body).await;
    assert_eq!(seller_try.status, 403);
    // A failed create frees the key for a corrected retry.
    let retry = o.admin.api.with_header("idempotency-key", "k2");
    assert_eq!(retry.post("/users", json!({"email": "bad", "name": "B", "role": "seller"})).await.status, 400);
    assert_eq!(
        retry.post("/users", json!({"email": "fixed@example.com", "name": "B", "role": "seller"})).await.status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_role_signs_in_the_moment_endpoints_json_appears_and_it_goes_at_stop() {
    use podcastflow_local::stack::{ENDPOINTS_FILE, StackConfig, start};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(ENDPOINTS_FILE);
    // A file left by a stack that did not stop cleanly is replaced, never read as this one's.
    std::fs::write(&file, r#"{"api": "http://127.0.0.1:9"}"#).unwrap();
    let mut config = StackConfig::new(dir.path(), 0);
    config.demo = true;
    let starting = tokio::spawn(start(config));
    let endpoints: Value = podcastflow_tests::wait::until(Duration::from_secs(120), "endpoints.json", || {
        let v: Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
        (v["api"] != "http://127.0.0.1:9").then_some(v)
    })
    .await;
    // The moment it appears, every demo role signs in, all at once.
    let api = podcastflow_tests::client::Api::new(endpoints["api"].as_str().unwrap());
    let sign_ins = ["admin", "seller", "producer", "talent", "client"].map(|role| {
        let api = api.clone();
        async move {
            let email = format!("{role}@demo.podcastflow.local");
            api.post("/auth/login", json!({"email": email, "password": podcastflow_local::demo::PASSWORD})).await
        }
    });
    for login in futures::future::join_all(sign_ins).await {
        assert!(login.body["accessToken"].is_string(), "{:?}", login.body);
    }
    let stack = starting.await.unwrap().expect("the stack started");
    assert!(matches!(&stack.demo, Some(Ok(created)) if created.len() == 5), "{:?}", stack.demo);
    stack.shutdown().await;
    assert!(!file.exists(), "endpoints.json is removed on a clean stop");
    assert!(!dir.path().join(format!("{ENDPOINTS_FILE}.partial")).exists());
}
