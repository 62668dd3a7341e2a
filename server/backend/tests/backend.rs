//! The reference backend against the fake DingTalk, on loopback.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use dingtalk_auth::LoginFlow;
use dingtalk_fake::{Fault, FaultEndpoint, UserPatch};
use dingtalk_openapi::Secret;

const ALL: [LoginFlow; 3] = [LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flow_logs_in_and_returns_identity() {
    let h = start().await;
    for flow in ALL {
        let user = UserPatch {
            nick: Some(format!("nick-{}", flow.wire_name())),
            union_id: Some("union-42".into()),
            open_id: Some("open-42".into()),
            ..Default::default()
        };
        let code = h.mint(flow, None, Some(user));
        let a = h.login(flow, &code, default_scope(flow), &key()).await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json["flow"], flow.wire_name());
        assert_eq!(a.json["unionId"], "union-42");
        assert_eq!(a.json["openId"], "open-42");
        assert_eq!(a.json["nick"], format!("nick-{}", flow.wire_name()));
        assert_eq!(
            a.json["corpId"],
            serde_json::Value::Null,
            "no corpId without scope openid corpid"
        );
        let token = a.json["sessionToken"].as_str().unwrap();
        assert_eq!(token.len(), 43);
        assert!(a.headers.get("idempotent-replayed").is_none());
        if flow == LoginFlow::LegacySdk {
            assert!(a.json["avatarUrl"].is_null());
        } else {
            assert!(a.json["avatarUrl"]
                .as_str()
                .unwrap()
                .starts_with("https://"));
        }
    }
    let s = h.fake.stats();
    assert_eq!((s.legacy, s.token, s.me), (1, 2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corp_id_is_kept_with_scope_openid_corpid() {
    let h = start().await;
    let code = h.mint(LoginFlow::Browser, Some("openid corpid"), None);
    let a = h
        .login(LoginFlow::Browser, &code, "openid corpid", &key())
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["corpId"], "dingfakecorp0001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_code_never_reaches_dingtalk_and_retries_get_the_first_answer() {
    let h = start().await;
    for flow in ALL {
        let code = h.mint(flow, None, None);
        let k = key();
        let first = h.login(flow, &code, default_scope(flow), &k).await;
        assert_eq!(first.status, 200);
        let before = h.fake.stats();
        // Same idempotency key: the first answer again, same session token, no DingTalk call.
        let again = h.login(flow, &code, default_scope(flow), &k).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json, first.json);
        assert_eq!(again.headers["idempotent-replayed"], "true");
        // Another key, same code: a replay.
        let replay = h.login(flow, &code, default_scope(flow), &key()).await;
        assert_eq!(replay.status, 409, "{}", replay.json);
        assert_eq!(replay.error(), "code_replayed");
        assert_eq!(replay.json["retryable"], false);
        assert_eq!(h.fake.stats(), before, "neither reached DingTalk");
        // Same code and key, another grant (from iOS): refused, never the first answer.
        let on_ios = dingtalk_auth::wire::GrantV1 {
            flow,
            client_id: client_id(flow).into(),
            platform: dingtalk_auth::Platform::Ios,
            code: code.clone(),
            scope: default_scope(flow).into(),
            issued_at_ms: 1_700_000_000_000,
            idempotency_key: k.clone(),
        };
        let reused = h
            .post_raw(on_ios.to_json(), Some(&k), "application/json")
            .await;
        assert_eq!(reused.status, 422, "{}", reused.json);
        assert_eq!(reused.error(), "idempotency_key_reused");
        assert_eq!(h.fake.stats(), before, "it did not reach DingTalk");
        // Same key, another code: another login, as with Redis (the one rule, `Holder`), with
        // its own exchange and never the first answer.
        let other = h.mint(flow, None, None);
        let second = h.login(flow, &other, default_scope(flow), &k).await;
        assert_eq!(second.status, 200, "{}", second.json);
        assert_ne!(second.json["sessionToken"], first.json["sessionToken"]);
        assert_ne!(h.fake.stats(), before, "it was exchanged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_share_one_exchange() {
    let h = start().await;
    // Slow DingTalk (below the timeout) so the retries overlap the first attempt.
    h.fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Delay { ms: 200 }),
        Some(1),
    );
    let code = h.mint(LoginFlow::LegacySdk, None, None);
    let k = key();
    let (a, b, c) = tokio::join!(
        h.login(LoginFlow::LegacySdk, &code, "sns_login", &k),
        h.login(LoginFlow::LegacySdk, &code, "sns_login", &k),
        h.login(LoginFlow::LegacySdk, &code, "sns_login", &k),
    );
    for x in [&a, &b, &c] {
        assert_eq!(x.status, 200, "{}", x.json);
        assert_eq!(x.json["sessionToken"], a.json["sessionToken"]);
    }
    assert_eq!(h.fake.stats().legacy, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_code_and_code_from_another_flow_are_invalid_code() {
    let h = start().await;
    for flow in ALL {
        let unknown = format!("0123456789abcdef{}", flow.wire_name());
        let a = h.login(flow, &unknown, default_scope(flow), &key()).await;
        assert_eq!(a.status, 401, "{}", a.json);
        assert_eq!(a.error(), "invalid_code");
        assert!(a.json["dingtalk"].as_str().unwrap().len() > 5);
    }
    // A legacy code sent through the v1.0 route and the reverse.
    let legacy = h.mint(LoginFlow::LegacySdk, None, None);
    let a = h.login(LoginFlow::NewSdk, &legacy, "openid", &key()).await;
    assert_eq!(a.error(), "invalid_code");
    let v1 = h.mint(LoginFlow::Browser, None, None);
    let a = h
        .login(LoginFlow::LegacySdk, &v1, "sns_login", &key())
        .await;
    assert_eq!(a.error(), "invalid_code");
    // An expired code (the fake's clock moves, nobody sleeps).
    let code = h.mint(LoginFlow::NewSdk, None, None);
    h.fake.advance_clock(301_000);
    let a = h.login(LoginFlow::NewSdk, &code, "openid", &key()).await;
    assert_eq!(a.error(), "invalid_code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_is_its_own_error_and_retryable_after_the_fix() {
    let h = start().await;
    let code = h.mint(LoginFlow::LegacySdk, None, None);
    // DingTalk's clock is 2 minutes ahead of ours; the code itself stays valid.
    h.fake.advance_clock(120_000);
    let k = key();
    let a = h.login(LoginFlow::LegacySdk, &code, "sns_login", &k).await;
    assert_eq!(a.status, 502, "{}", a.json);
    assert_eq!(a.error(), "clock_skew");
    assert!(a.json["dingtalk"].as_str().unwrap().contains("853002"));
    // The code was not consumed, so the same grant succeeds once the clocks agree again.
    h.fake.advance_clock(-120_000);
    let a = h.login(LoginFlow::LegacySdk, &code, "sns_login", &k).await;
    assert_eq!(a.status, 200, "{}", a.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_server_misconfigured() {
    // Wrong AppSecret -> 853004.
    let h = start_with(|c| c.legacy.as_mut().unwrap().app_secret = Secret::new("wrong")).await;
    let a = h.fresh_login(LoginFlow::LegacySdk).await;
    assert_eq!(
        (a.status, a.error()),
        (502, "server_misconfigured"),
        "{}",
        a.json
    );
    assert!(a.json["dingtalk"].as_str().unwrap().contains("853004"));
    assert!(!a.json.to_string().contains("wrong"));
    // Unknown accessKey -> 853003 (the grant names the same unknown key).
    let h = start_with(|c| c.legacy.as_mut().unwrap().app_key = "dingunknown".into()).await;
    let body = grant(LoginFlow::LegacySdk, "abc", "sns_login", &key())
        .replace(dingtalk_fake::demo::LEGACY_APP_KEY, "dingunknown");
    let a = h.post_raw(body, None, "application/json").await;
    assert_eq!(a.error(), "server_misconfigured", "{}", a.json);
    assert!(a.json["dingtalk"].as_str().unwrap().contains("853003"));
    // Wrong ClientSecret -> HTTP 400 invalidClientIdOrSecret: about the app, not the code.
    let h = start_with(|c| c.v1.as_mut().unwrap().client_secret = Secret::new("wrong")).await;
    let a = h.fresh_login(LoginFlow::NewSdk).await;
    assert_eq!(
        (a.status, a.error(), &a.json["retryable"]),
        (502, "server_misconfigured", &serde_json::Value::Bool(true)),
        "{}",
        a.json
    );
    assert!(a.json["dingtalk"]
        .as_str()
        .unwrap()
        .contains("invalidClientIdOrSecret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_after_the_code_is_consumed_is_kept_for_retries() {
    let h = start().await;
    h.fake.set_fault(
        FaultEndpoint::Me,
        Some(Fault::Status { status: 503 }),
        Some(1),
    );
    let code = h.mint(LoginFlow::NewSdk, None, None);
    let k = key();
    let a = h.login(LoginFlow::NewSdk, &code, "openid", &k).await;
    assert_eq!(a.error(), "dingtalk_unavailable");
    // The code is spent: retrying this grant can never succeed, so the kept answer says so.
    assert_eq!(a.json["retryable"], false);
    let b = h.login(LoginFlow::NewSdk, &code, "openid", &k).await;
    assert_eq!(b.json, a.json);
    assert_eq!(b.headers["idempotent-replayed"], "true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_grants_are_refused_before_dingtalk() {
    let h = start_with(|c| c.max_body_bytes = 1024).await;
    let k = key();
    let code = h.mint(LoginFlow::LegacySdk, None, None);
    let good = grant(LoginFlow::LegacySdk, &code, "sns_login", &k);
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            with(&|v| v["version"] = 2.into()),
            "application/json",
            400,
            "unsupported_version",
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("version");
            }),
            "application/json",
            400,
            "unsupported_version",
        ),
        (
            with(&|v| v["flow"] = "qr".into()),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| v["platform"] = "web".into()),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("code");
            }),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| v["code"] = 12345.into()),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| v["code"] = "has space".into()),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| v["idempotency_key"] = "short".into()),
            "application/json",
            400,
            "invalid_grant",
        ),
        (
            with(&|v| v["client_id"] = "someone-else".into()),
            "application/json",
            400,
            "client_id_mismatch",
        ),
        (
            with(&|v| v["scope"] = "openid".into()),
            "application/json",
            400,
            "invalid_scope",
        ),
        ("not json".into(), "application/json", 400, "invalid_grant"),
        ("[1]".into(), "application/json", 400, "invalid_grant"),
        (good.clone(), "text/plain", 415, "unsupported_media_type"),
        (
            good.clone(),
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            with(&|v| v["pad"] = "x".repeat(2000).into()),
            "application/json",
            413,
            "body_too_large",
        ),
    ];
    for (body, ct, status, error) in cases {
        let a = h.post_raw(body, None, ct).await;
        assert_eq!((a.status, a.error()), (status, error), "{}", a.json);
        assert!(
            !a.json.to_string().contains(&code),
            "the code is never echoed"
        );
    }
    let a = h
        .post_raw(good.clone(), Some(&key()), "application/json")
        .await;
    assert_eq!((a.status, a.error()), (400, "idempotency_key_mismatch"));
    assert_eq!(h.fake.stats().legacy, 0, "nothing reached DingTalk");
    // And the untouched grant still works (charset parameter allowed).
    let a = h
        .post_raw(good, Some(&k), "application/json; charset=utf-8")
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_flow_is_not_implemented() {
    let h = start_with(|c| c.legacy = None).await;
    let a = h.fresh_login(LoginFlow::LegacySdk).await;
    assert_eq!((a.status, a.error()), (501, "flow_not_enabled"));
    let h = start_with(|c| c.v1 = None).await;
    let a = h.fresh_login(LoginFlow::Browser).await;
    assert_eq!((a.status, a.error()), (501, "flow_not_enabled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corp_allow_list() {
    let h =
        start_with(|c| c.allowed_corp_ids = Some(HashSet::from(["dingallowed".to_owned()]))).await;
    let member = UserPatch {
        corp_id: Some("dingallowed".into()),
        ..Default::default()
    };
    let code = h.mint(LoginFlow::NewSdk, Some("openid corpid"), Some(member));
    let a = h
        .login(LoginFlow::NewSdk, &code, "openid corpid", &key())
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["corpId"], "dingallowed");

    let outsider = UserPatch {
        corp_id: Some("dingother".into()),
        ..Default::default()
    };
    let code = h.mint(LoginFlow::Browser, Some("openid corpid"), Some(outsider));
    let a = h
        .login(LoginFlow::Browser, &code, "openid corpid", &key())
        .await;
    assert_eq!(
        (a.status, a.error()),
        (403, "corp_not_allowed"),
        "{}",
        a.json
    );

    let before = h.fake.stats();
    let code = h.mint(LoginFlow::Browser, None, None);
    let a = h.login(LoginFlow::Browser, &code, "openid", &key()).await;
    assert_eq!((a.status, a.error()), (403, "corp_scope_required"));
    let a = h.fresh_login(LoginFlow::LegacySdk).await;
    assert_eq!((a.status, a.error()), (403, "corp_scope_required"));
    assert_eq!(h.fake.stats(), before, "refused before DingTalk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_distinct_codes_keeps_replay_memory_bounded() {
    const CAP: usize = 200;
    let h = start_with(|c| c.replay_capacity = CAP).await;
    let first = h.mint(LoginFlow::LegacySdk, None, None);
    let k0 = key();
    assert_eq!(
        h.login(LoginFlow::LegacySdk, &first, "sns_login", &k0)
            .await
            .status,
        200
    );
    let mut tasks = Vec::new();
    for w in 0..8 {
        let http = h.http.clone();
        let url = format!("{}/v1/login", h.backend_srv.url());
        tasks.push(tokio::spawn(async move {
            for i in 0..250 {
                let k = key();
                let body = grant(
                    LoginFlow::LegacySdk,
                    &format!("flood{w}x{i}"),
                    "sns_login",
                    &k,
                );
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 401);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(
        h.backend.replay_entries() <= CAP,
        "{} entries",
        h.backend.replay_entries()
    );
    assert!(h.backend.replay_entries() >= CAP / 2);
    // The first code was evicted from local memory; a replay now reaches DingTalk, which refuses it.
    let a = h
        .login(LoginFlow::LegacySdk, &first, "sns_login", &key())
        .await;
    assert_eq!(a.error(), "invalid_code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_404_405_and_graceful_shutdown() {
    let h = start().await;
    let r = h
        .http
        .get(format!("{}/healthz", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = h
        .http
        .get(format!("{}/nope", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"], "not_found");
    let r = h
        .http
        .get(format!("{}/v1/login", h.backend_srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // A login in flight when shutdown starts still completes.
    h.fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Delay { ms: 300 }),
        Some(1),
    );
    let code = h.mint(LoginFlow::LegacySdk, None, None);
    let body = grant(LoginFlow::LegacySdk, &code, "sns_login", &key());
    let url = format!("{}/v1/login", h.backend_srv.url());
    let http = h.http.clone();
    let inflight = tokio::spawn(async move {
        http.post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
    });
    // Wait (without sleeping) until the request has reached the fake.
    tokio::time::timeout(Duration::from_secs(5), async {
        while h.fake.stats().legacy == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    let url = h.backend_srv.url();
    h.backend_srv.shutdown().await.unwrap();
    let r = inflight.await.unwrap().unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        reqwest::get(format!("{url}/healthz")).await.is_err(),
        "no longer listening"
    );
}

/// A retry that arrives while the first exchange is still running waits at most `replay_wait`, then
/// gets a retryable 503 `replay_pending` (and DingTalk is not called twice); once the first exchange
/// answered, the retry gets that answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_that_waits_too_long_is_replay_pending_then_gets_the_first_answer() {
    let h = start_with(|c| c.replay_wait = Some(Duration::from_millis(200))).await;
    // DingTalk answers after 5 s: far beyond the 200 ms wait, far below the 10 s upstream timeout.
    h.fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Delay { ms: 5_000 }),
        Some(1),
    );
    let code = h.mint(LoginFlow::LegacySdk, None, None);
    let k = key();
    let body = grant(LoginFlow::LegacySdk, &code, "sns_login", &k);
    let url = format!("{}/v1/login", h.backend_srv.url());
    let http = h.http.clone();
    let first = tokio::spawn(async move {
        let r = http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    tokio::time::timeout(Duration::from_secs(5), async {
        while h.fake.stats().legacy == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    let waiting = h.login(LoginFlow::LegacySdk, &code, "sns_login", &k).await;
    assert_eq!(
        (waiting.status, waiting.error()),
        (503, "replay_pending"),
        "{}",
        waiting.json
    );
    assert_eq!(waiting.json["retryable"], true);
    let (status, text) = first.await.unwrap();
    assert_eq!(status, 200, "{text}");
    let again = h.login(LoginFlow::LegacySdk, &code, "sns_login", &k).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json,
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
    assert_eq!(h.fake.stats().legacy, 1, "one exchange");
}

#[test]
fn the_replay_store_url_never_shows_its_password() {
    use dingtalk_auth_server::ReplayStoreConfig;
    const KEY: &str = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    for (url, hosts) in [
        ("redis://user:s3cret-pw@10.0.0.5:6379/2", "10.0.0.5:6379/2"),
        (
            "rediss+cluster://user:s3cret-pw@10.0.0.5:6379,10.0.0.6:6379",
            "10.0.0.5:6379,10.0.0.6:6379",
        ),
    ] {
        let cfg = ReplayStoreConfig::parse(url, 1000, Some(KEY), None).unwrap();
        for shown in [format!("{cfg:?}"), cfg.describe()] {
            assert!(!shown.contains("s3cret-pw"), "{shown}");
            assert!(!shown.contains("AAAAAAAA"), "no key material: {shown}");
            assert!(shown.contains(hosts), "{shown}");
        }
    }
    assert!(
        ReplayStoreConfig::parse("redis://h:1", 1000, None, None)
            .unwrap_err()
            .contains("DINGTALK_REPLAY_STORE_KEY"),
        "Redis without a key to seal answers is refused"
    );
}

/// DingTalk's gateway answering a v1.0 call with a legacy rate-limit body (`errcode` 90002) is a
/// rate limit: 503 `rate_limited`, retryable, and the code is not spent (the same grant reaches
/// DingTalk again).
#[tokio::test]
async fn errcode_90002_on_the_v1_host_is_a_rate_limit_and_the_code_is_not_spent() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let gateway = axum::Router::new().route(
        "/v1.0/oauth2/userAccessToken",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                axum::Json(serde_json::json!({"errcode": 90002, "errmsg": "api frequency limit"}))
            }
        }),
    );
    let gw = dingtalk_auth_server::RunningServer::start_with(
        gateway,
        listener().await,
        std::future::pending(),
        dingtalk_auth_server::ServeOptions::default(),
    )
    .await
    .unwrap();
    let h = start_with(|c| c.openapi.api_base = gw.url()).await;
    let code = h.mint(LoginFlow::NewSdk, None, None);
    let k = key();
    for attempt in 1..=2 {
        let a = h
            .login(
                LoginFlow::NewSdk,
                &code,
                default_scope(LoginFlow::NewSdk),
                &k,
            )
            .await;
        assert_eq!((a.status, a.error()), (503, "rate_limited"), "{}", a.json);
        assert_eq!(a.json["retryable"], true);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            attempt,
            "not kept: DingTalk asked again"
        );
    }
}
