//! Signed session tokens: with a configured key the answer's `sessionToken` is an EdDSA JWT whose
//! key the backend publishes at `/.well-known/jwks.json`; without one it stays the opaque token.
//! (A third-party JWT library verifies it in scripts/test-server-enterprise.sh.)

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use common::*;
use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::{OrgConfig, SessionKeys, SessionSettings};

// RFC 8037 Appendix A.1's key as PKCS#8 PEM: a test key, never a deployment's.
const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";

fn part(token: &str, i: usize) -> serde_json::Value {
    let p = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&B64.decode(p).unwrap()).unwrap()
}

async fn get_json(h: &Harness, path: &str) -> serde_json::Value {
    let r = h
        .http
        .get(format!("{}{path}", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_gets_a_signed_token_whose_key_is_published() {
    let h = start_with(|c| {
        c.org = Some(OrgConfig::new("dingfakecorp0001"));
        c.session = SessionSettings {
            keys: Some(SessionKeys::from_pem(TEST_KEY, &[]).unwrap()),
            issuer: Some("https://login.example".into()),
            audience: Some("crm-api".into()),
        };
        c.session_ttl_secs = 900;
    })
    .await;
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let token = a.json["sessionToken"].as_str().unwrap();
    let header = part(token, 0);
    assert_eq!(header["alg"], "EdDSA");
    let claims = part(token, 1);
    assert_eq!(claims["sub"], "dingfakecorp0001:fakeUserId0001");
    assert_eq!(claims["name"], "张三");
    assert_eq!(claims["flow"], "new_sdk");
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some("https://login.example"), Some("crm-api"))
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        900
    );
    let jwks = get_json(&h, "/.well-known/jwks.json").await;
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_the_token_stays_opaque_and_the_jwks_is_empty() {
    let h = start().await;
    let a = h.fresh_login(LoginFlow::Browser).await;
    assert_eq!(a.json["sessionToken"].as_str().unwrap().len(), 43);
    let r = h
        .http
        .get(format!("{}/.well-known/jwks.json", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jwks: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(jwks, serde_json::json!({"keys": []}));
}

/// `POST /v1/session/refresh` with `token` as the bearer (or no header).
async fn refresh(h: &Harness, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = h
        .http
        .post(format!("{}/v1/session/refresh", h.backend_srv.url()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_rechecks_membership_and_refuses_a_member_who_left() {
    let h = start_with(|c| {
        c.org = Some(OrgConfig::new("dingfakecorp0001"));
        c.session = SessionSettings {
            keys: Some(SessionKeys::from_pem(TEST_KEY, &[]).unwrap()),
            issuer: Some("https://login.example".into()),
            audience: Some("crm-api".into()),
        };
    })
    .await;
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let token = a.json["sessionToken"].as_str().unwrap().to_owned();

    // Still a member: a new token for the same subject, the member re-read from DingTalk.
    h.fake.update_org(|o| o.members[0].title = "Lead".into());
    let (status, body) = refresh(&h, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let renewed = body["sessionToken"].as_str().unwrap();
    assert_ne!(renewed, token);
    let claims = part(renewed, 1);
    assert_eq!(claims["sub"], "dingfakecorp0001:fakeUserId0001");
    assert_eq!(claims["flow"], "new_sdk");
    assert_eq!(claims["aud"], "crm-api");
    assert_eq!(body["member"]["title"], "Lead", "{body}");

    // Not ours / tampered / missing: 401 invalid_session.
    let (h0, p, s) = {
        let v: Vec<&str> = token.split('.').collect();
        (v[0], v[1], v[2])
    };
    let mut claims = part(&token, 1);
    claims["sub"] = "dingfakecorp0001:someoneElse".into();
    let forged = format!("{h0}.{}.{s}", B64.encode(claims.to_string()));
    assert_ne!(forged, format!("{h0}.{p}.{s}"));
    for bad in [Some(forged.as_str()), Some("not-a-token"), None] {
        let (status, body) = refresh(&h, bad).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_session")),
            "{body}"
        );
        assert!(body.get("sessionToken").is_none());
    }

    // Deactivated, then gone: 403 not_org_member, no token.
    h.fake.update_org(|o| o.members[0].active = false);
    let (status, body) = refresh(&h, Some(&token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_org_member")),
        "{body}"
    );
    assert!(body.get("sessionToken").is_none());
    h.fake.update_org(|o| o.members.clear());
    let (status, body) = refresh(&h, Some(renewed)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_org_member")),
        "{body}"
    );
}
