//! The fake DingTalk, driven by the backend's OpenAPI client and by raw HTTP (for what the client
//! would never send: double-encoded signatures, form bodies, missing headers).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{
    demo, BrowserMode, FakeConfig, FakeDingTalk, Fault, FaultEndpoint, MintRequest, UserPatch,
};
use dingtalk_openapi::{
    legacy_signature, ClientCredentials, LegacyCredentials, OpenApiClient, OpenApiConfig,
    OpenApiError, RateLimit, Secret,
};
use tokio::net::TcpListener;

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

type Check = fn(&OpenApiError) -> bool;

struct F {
    fake: FakeDingTalk,
    srv: RunningServer,
    client: OpenApiClient,
    http: reqwest::Client,
}

/// The client's timeout: seconds above any loopback answer on a loaded machine; the timeout cases
/// use `Fault::Stall` for far longer, so neither side of the race has a thin margin.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(2_000);
const STALL: Fault = Fault::Stall { ms: 60_000 };

async fn fake() -> F {
    let fake = FakeDingTalk::new(FakeConfig::demo());
    let srv = fake.clone().serve(listener().await).await.unwrap();
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: srv.url(),
        api_base: srv.url(),
        request_timeout: CLIENT_TIMEOUT,
        ..OpenApiConfig::default()
    })
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    F {
        fake,
        srv,
        client,
        http,
    }
}

fn legacy() -> LegacyCredentials {
    LegacyCredentials {
        app_key: demo::LEGACY_APP_KEY.into(),
        app_secret: Secret::new(demo::LEGACY_APP_SECRET),
    }
}

fn v1() -> ClientCredentials {
    ClientCredentials {
        client_id: demo::CLIENT_ID.into(),
        client_secret: Secret::new(demo::CLIENT_SECRET),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl F {
    fn mint(&self, flow: LoginFlow, scope: Option<&str>) -> String {
        self.fake
            .mint(MintRequest {
                flow,
                client_id: None,
                scope: scope.map(Into::into),
                user: None,
            })
            .unwrap()
    }

    async fn raw_legacy(&self, query: &str, body: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/sns/getuserinfo_bycode?{query}", self.srv.url()))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "legacy errors are HTTP 200");
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_exchange_and_its_errcodes() {
    let f = fake().await;
    let code = f.mint(LoginFlow::LegacySdk, None);
    let info = f
        .client
        .legacy_user_info_by_code(&legacy(), &code)
        .await
        .unwrap();
    assert_eq!(info.union_id, "fakeUnionId0001");
    assert_eq!(info.main_org_auth_high_level, Some(false));
    // Used once: 40078.
    let e = f
        .client
        .legacy_user_info_by_code(&legacy(), &code)
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::CodeInvalid { .. }), "{e:?}");
    // A v1.0 code is not a legacy code.
    let e = f
        .client
        .legacy_user_info_by_code(&legacy(), &f.mint(LoginFlow::Browser, None))
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::CodeInvalid { .. }));
    // More than 60 s either way: 853002; 59 s is fine.
    let code = f.mint(LoginFlow::LegacySdk, None);
    for off in [-61_000i64, 61_000] {
        let e = f
            .client
            .legacy_user_info_by_code_at(&legacy(), &code, (now_ms() as i64 + off) as u64)
            .await
            .unwrap_err();
        assert!(matches!(e, OpenApiError::ClockSkew { .. }), "{e:?}");
    }
    f.client
        .legacy_user_info_by_code_at(&legacy(), &code, now_ms() - 59_000)
        .await
        .unwrap();
    // Unknown accessKey: 853003. Wrong secret: 853004.
    let code = f.mint(LoginFlow::LegacySdk, None);
    let e = f
        .client
        .legacy_user_info_by_code(
            &LegacyCredentials {
                app_key: "nobody".into(),
                ..legacy()
            },
            &code,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::UnknownAccessKey { .. }), "{e:?}");
    let e = f
        .client
        .legacy_user_info_by_code(
            &LegacyCredentials {
                app_secret: Secret::new("nope"),
                ..legacy()
            },
            &code,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::SignatureMismatch { .. }), "{e:?}");
    // The code survived those failures.
    f.client
        .legacy_user_info_by_code(&legacy(), &code)
        .await
        .unwrap();
}

/// Timestamps whose signature under the demo AppSecret holds, unencoded: `+` and `=` but no `/`;
/// `/` and `=` but no `+`; only `=` (Base64 of 32 bytes always ends in one `=`).
const TS_WITH_PLUS: u64 = 1_700_000_000_001;
const TS_WITH_SLASH: u64 = 1_700_000_000_006;
const TS_WITH_EQUALS_ONLY: u64 = 1_700_000_000_002;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_signature_encoding_mistakes_are_refused() {
    let f = fake().await;
    for (ts, must_hold) in [
        (TS_WITH_PLUS, "%2B"),
        (TS_WITH_SLASH, "%2F"),
        (TS_WITH_EQUALS_ONLY, "%3D"),
    ] {
        // The fake's clock at `ts`, so the fixed timestamp is not skewed.
        f.fake.advance_clock(ts as i64 - f.fake.now_ms());
        let sig = legacy_signature(&Secret::new(demo::LEGACY_APP_SECRET), ts);
        assert!(sig.contains(must_hold), "{ts}: {sig}");
        assert_eq!(
            (sig.contains("%2B"), sig.contains("%2F")),
            (ts == TS_WITH_PLUS, ts == TS_WITH_SLASH),
            "{ts}: {sig}"
        );
        let code = f.mint(LoginFlow::LegacySdk, None);
        let body = format!(r#"{{"tmp_auth_code":"{code}"}}"#);
        let q = |s: &str| {
            format!(
                "accessKey={}&timestamp={ts}&signature={s}",
                demo::LEGACY_APP_KEY
            )
        };
        // Every wrong encoding: each reserved character left raw on its own, all of them raw,
        // double encoding.
        let wrong = [
            sig.replace("%2B", "+"),
            sig.replace("%2F", "/"),
            sig.replace("%3D", "="),
            sig.replace("%2B", "+")
                .replace("%2F", "/")
                .replace("%3D", "="),
            sig.replace('%', "%25"),
        ];
        // (A replacement of a character this signature lacks changes nothing: skipped.)
        for w in wrong.iter().filter(|w| **w != sig) {
            assert_eq!(
                f.raw_legacy(&q(w), &body).await["errcode"],
                853004,
                "{ts}: {w} accepted"
            );
        }
        // Encoded once: accepted, and the refusals above did not consume the code.
        let ok = f.raw_legacy(&q(&sig), &body).await;
        assert_eq!(ok["errcode"], 0, "{ts}: {ok}");
        assert_eq!(ok["user_info"]["openid"], "fakeOpenId0001");
    }
    let ts = TS_WITH_EQUALS_ONLY;
    let sig = legacy_signature(&Secret::new(demo::LEGACY_APP_SECRET), ts);
    let body = format!(
        r#"{{"tmp_auth_code":"{}"}}"#,
        f.mint(LoginFlow::LegacySdk, None)
    );
    // Timestamp problems: 853001.
    let bad_ts = format!(
        "accessKey={}&timestamp=abc&signature={sig}",
        demo::LEGACY_APP_KEY
    );
    assert_eq!(f.raw_legacy(&bad_ts, &body).await["errcode"], 853001);
    let no_ts = format!("accessKey={}&signature={sig}", demo::LEGACY_APP_KEY);
    assert_eq!(f.raw_legacy(&no_ts, &body).await["errcode"], 853001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_token_refresh_expiry_and_me() {
    let f = fake().await;
    let code = f.mint(LoginFlow::NewSdk, Some("openid corpid"));
    let t = f.client.user_access_token(&v1(), &code).await.unwrap();
    assert_eq!(t.expire_in, 7200);
    assert_eq!(t.corp_id.as_deref(), Some("dingfakecorp0001"));
    let me = f.client.contact_users_me(&t.access_token).await.unwrap();
    assert_eq!(me.union_id, "fakeUnionId0001");
    assert_eq!(me.state_code.as_deref(), Some("86"));
    // Reused code: a 4xx the client calls InvalidGrant.
    let e = f.client.user_access_token(&v1(), &code).await.unwrap_err();
    assert!(
        matches!(&e, OpenApiError::InvalidGrant(a) if a.status == 400 && a.request_id.is_some()),
        "{e:?}"
    );
    // A legacy code is not a v1.0 code.
    let e = f
        .client
        .user_access_token(&v1(), &f.mint(LoginFlow::LegacySdk, None))
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::InvalidGrant(_)));
    // Access token expires (fake clock), refresh works and rotates.
    f.fake.advance_clock(7_201_000);
    let e = f
        .client
        .contact_users_me(&t.access_token)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OpenApiError::Api(a) if a.status == 400 && a.code == "InvalidAuthentication"),
        "{e:?}"
    );
    let t2 = f
        .client
        .refresh_user_access_token(&v1(), &t.refresh_token)
        .await
        .unwrap();
    assert_eq!(t2.corp_id.as_deref(), Some("dingfakecorp0001"));
    f.client.contact_users_me(&t2.access_token).await.unwrap();
    let e = f
        .client
        .refresh_user_access_token(&v1(), &t.refresh_token)
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpenApiError::InvalidGrant(_)),
        "old refresh token is spent"
    );
    // Refresh tokens expire after 30 days.
    f.fake.advance_clock(31 * 24 * 3600 * 1000);
    let e = f
        .client
        .refresh_user_access_token(&v1(), &t2.refresh_token)
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::InvalidGrant(_)));
    // Scope openid: no corpId.
    let t = f
        .client
        .user_access_token(&v1(), &f.mint(LoginFlow::Browser, None))
        .await
        .unwrap();
    assert_eq!(t.corp_id, None);
    // Wrong secret.
    let bad = ClientCredentials {
        client_secret: Secret::new("x"),
        ..v1()
    };
    let e = f
        .client
        .user_access_token(&bad, &f.mint(LoginFlow::Browser, None))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OpenApiError::Credentials(a) if a.code == "invalidClientIdOrSecret"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_refuses_form_bodies_and_me_needs_the_header() {
    let f = fake().await;
    let code = f.mint(LoginFlow::NewSdk, None);
    let r = f
        .http
        .post(format!("{}/v1.0/oauth2/userAccessToken", f.srv.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "clientId={}&clientSecret={}&code={code}&grantType=authorization_code",
            demo::CLIENT_ID,
            demo::CLIENT_SECRET
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "MissingclientId");
    assert!(v["requestid"].is_string());
    // The code is still good: the form request did not consume it.
    f.client.user_access_token(&v1(), &code).await.unwrap();
    let r = f
        .http
        .get(format!("{}/v1.0/contact/users/me", f.srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "AuthenticationFailed.MissingParameter");
    let r = f
        .http
        .get(format!("{}/v1.0/contact/users/me", f.srv.url()))
        .header("authorization", "Bearer whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "only x-acs-dingtalk-access-token counts");
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "AuthenticationFailed.MissingParameter");
    let r = f
        .http
        .get(format!("{}/v1.0/contact/users/me", f.srv.url()))
        .header("x-acs-dingtalk-access-token", "unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an unknown token is DingTalk's 400");
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "InvalidAuthentication");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_reach_the_client_as_typed_errors() {
    let f = fake().await;
    let cases: Vec<(Fault, Check)> = vec![
        (Fault::Status { status: 503 }, |e| {
            matches!(e, OpenApiError::ServerError { status: 503, .. })
        }),
        (STALL, |e| matches!(e, OpenApiError::Timeout)),
        (Fault::HtmlBan, |e| {
            matches!(
                e,
                OpenApiError::NonJson {
                    html: true,
                    status: 403,
                    ..
                }
            )
        }),
        (Fault::MalformedJson, |e| {
            matches!(e, OpenApiError::MalformedJson { .. })
        }),
        (Fault::PunishBan, |e| {
            matches!(e, OpenApiError::IpBanned { .. })
        }),
        (Fault::SystemBusy, |e| {
            matches!(e, OpenApiError::ServerError { .. })
        }),
        (Fault::BadCredentials, |e| {
            matches!(e, OpenApiError::SignatureMismatch { .. })
        }),
        (
            Fault::RateLimit {
                errcode: Some(90019),
                code: None,
            },
            |e| {
                matches!(
                    e,
                    OpenApiError::RateLimited {
                        limit: RateLimit::PerApp,
                        ..
                    }
                )
            },
        ),
        (
            Fault::RateLimit {
                errcode: Some(90020),
                code: None,
            },
            |e| {
                matches!(
                    e,
                    OpenApiError::RateLimited {
                        limit: RateLimit::MonthlyQuota,
                        ..
                    }
                )
            },
        ),
    ];
    for (fault, ok) in &cases {
        f.fake
            .set_fault(FaultEndpoint::Legacy, Some(fault.clone()), Some(1));
        let e = f
            .client
            .legacy_user_info_by_code(&legacy(), "whatever")
            .await
            .unwrap_err();
        assert!(ok(&e), "legacy {fault:?}: {e:?}");
    }
    let v1_cases: Vec<(Fault, Check)> = vec![
        (Fault::Status { status: 502 }, |e| {
            matches!(
                e,
                OpenApiError::ServerError {
                    status: 502,
                    code: Some(_),
                    ..
                }
            )
        }),
        (STALL, |e| matches!(e, OpenApiError::Timeout)),
        (Fault::HtmlBan, |e| {
            matches!(e, OpenApiError::NonJson { html: true, .. })
        }),
        (Fault::MalformedJson, |e| {
            matches!(e, OpenApiError::MalformedJson { .. })
        }),
        (
            Fault::RateLimit {
                errcode: None,
                code: None,
            },
            |e| {
                matches!(
                    e,
                    OpenApiError::RateLimited {
                        limit: RateLimit::PerApi,
                        ..
                    }
                )
            },
        ),
        (
            Fault::RateLimit {
                errcode: None,
                code: Some("Throttling.Api".into()),
            },
            |e| {
                matches!(
                    e,
                    OpenApiError::RateLimited {
                        limit: RateLimit::Throttled,
                        ..
                    }
                )
            },
        ),
        (Fault::PunishBan, |e| {
            matches!(e, OpenApiError::IpBanned { .. })
        }),
    ];
    for (fault, ok) in &v1_cases {
        f.fake
            .set_fault(FaultEndpoint::All, Some(fault.clone()), Some(1));
        let e = f
            .client
            .user_access_token(&v1(), "whatever")
            .await
            .unwrap_err();
        assert!(ok(&e), "token {fault:?}: {e:?}");
        let e = f
            .client
            .contact_users_me(&Secret::new("t"))
            .await
            .unwrap_err();
        assert!(ok(&e), "me {fault:?}: {e:?}");
        f.fake.clear_faults();
    }
    // Until cleared when no count is given.
    f.fake
        .set_fault(FaultEndpoint::Me, Some(Fault::HtmlBan), None);
    for _ in 0..3 {
        assert!(f.client.contact_users_me(&Secret::new("t")).await.is_err());
    }
    f.fake.clear_faults();
    let e = f
        .client
        .contact_users_me(&Secret::new("t"))
        .await
        .unwrap_err();
    assert!(matches!(e, OpenApiError::Api(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_network_error() {
    let l = listener().await;
    let addr = l.local_addr().unwrap();
    drop(l);
    let c = OpenApiClient::new(OpenApiConfig {
        oapi_base: format!("http://{addr}"),
        api_base: format!("http://{addr}"),
        ..OpenApiConfig::default()
    })
    .unwrap();
    let e = c
        .legacy_user_info_by_code(&legacy(), "c")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OpenApiError::Network(m) if !m.contains("signature")),
        "{e:?}"
    );
}

fn location(r: &reqwest::Response) -> url::Url {
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

fn param(u: &url::Url, k: &str) -> Option<String> {
    u.query_pairs()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_authorize_page_redirects_like_login_dingtalk_com() {
    let f = fake().await;
    let auth = |extra: &str| {
        format!(
            "{}/oauth2/auth?client_id={}&redirect_uri=myapp%3A%2F%2Fcallback%3Fx%3D1&state=st4te_-x&response_type=code&prompt=consent&scope=openid%20corpid{extra}",
            f.srv.url(),
            demo::CLIENT_ID
        )
    };
    // Page mode: an HTML consent page with approve / deny.
    let r = f.http.get(auth("")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"approve\"") && page.contains("/oauth2/auth/decision"));
    // Pressing "approve" (what a headless browser does).
    let r = f
        .http
        .post(format!("{}/oauth2/auth/decision", f.srv.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("client_id={}&redirect_uri=myapp%3A%2F%2Fcallback%3Fx%3D1&scope=openid+corpid&state=st4te_-x&decision=approve", demo::CLIENT_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to = location(&r);
    assert_eq!((to.scheme(), to.host_str()), ("myapp", Some("callback")));
    assert_eq!(param(&to, "x").as_deref(), Some("1"), "existing query kept");
    assert_eq!(param(&to, "state").as_deref(), Some("st4te_-x"));
    let code = param(&to, "authCode").unwrap();
    let t = f.client.user_access_token(&v1(), &code).await.unwrap();
    assert_eq!(t.corp_id.as_deref(), Some("dingfakecorp0001"));

    // Approve mode: immediate redirect, as a chosen user.
    f.fake.set_browser(
        BrowserMode::Approve,
        Some(UserPatch {
            nick: Some("李四".into()),
            ..Default::default()
        }),
    );
    let r = f.http.get(auth("")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let code = param(&location(&r), "authCode").unwrap();
    let t = f.client.user_access_token(&v1(), &code).await.unwrap();
    assert_eq!(
        f.client
            .contact_users_me(&t.access_token)
            .await
            .unwrap()
            .nick,
        "李四"
    );
    // Deny mode: error + state.
    f.fake.set_browser(BrowserMode::Deny, None);
    let r = f.http.get(auth("")).send().await.unwrap();
    let to = location(&r);
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&to, "state").as_deref(), Some("st4te_-x"));
    assert_eq!(param(&to, "authCode"), None);

    // Parameter errors: a page, never a redirect.
    f.fake.set_browser(BrowserMode::Approve, None);
    let base = f.srv.url();
    let bad = [
        format!("{base}/oauth2/auth?client_id=unknown&redirect_uri=myapp%3A%2F%2Fcb&response_type=code&prompt=consent&scope=openid"),
        format!("{base}/oauth2/auth?client_id={}&response_type=code&prompt=consent&scope=openid", demo::CLIENT_ID),
        format!("{base}/oauth2/auth?client_id={}&redirect_uri=relative&response_type=code&prompt=consent&scope=openid", demo::CLIENT_ID),
        format!("{base}/oauth2/auth?client_id={}&redirect_uri=myapp%3A%2F%2Fcb&response_type=token&prompt=consent&scope=openid", demo::CLIENT_ID),
        format!("{base}/oauth2/auth?client_id={}&redirect_uri=myapp%3A%2F%2Fcb&response_type=code&scope=openid", demo::CLIENT_ID),
        format!("{base}/oauth2/auth?client_id={}&redirect_uri=myapp%3A%2F%2Fcb&response_type=code&prompt=consent&scope=snsapi_login", demo::CLIENT_ID),
        format!("{base}/oauth2/auth?client_id={}&redirect_uri=myapp%3A%2F%2Fcb&response_type=code&prompt=consent&scope=openid&state={}", demo::CLIENT_ID, "s".repeat(1025)),
    ];
    for u in bad {
        let r = f.http.get(&u).send().await.unwrap();
        assert_eq!(r.status(), 400, "{u}");
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_redirect_prefixes_are_enforced() {
    let mut cfg = FakeConfig::demo();
    cfg.redirect_uri_prefixes = vec!["myapp://callback".into()];
    let fake = FakeDingTalk::new(cfg);
    fake.set_browser(BrowserMode::Approve, None);
    let srv = fake.clone().serve(listener().await).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let u = |r: &str| {
        format!("{}/oauth2/auth?client_id={}&redirect_uri={r}&response_type=code&prompt=consent&scope=openid&state=s", srv.url(), demo::CLIENT_ID)
    };
    assert_eq!(
        http.get(u("myapp%3A%2F%2Fcallback"))
            .send()
            .await
            .unwrap()
            .status(),
        302
    );
    assert_eq!(
        http.get(u("evil%3A%2F%2Fcallback"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_http_endpoints() {
    let f = fake().await;
    let post = |path: &str, body: serde_json::Value| {
        f.http
            .post(format!("{}{path}", f.srv.url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let r = post(
        "/_fake/mint",
        serde_json::json!({"flow": "legacy_sdk", "user": {"nick": "王五"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["expiresIn"], 300);
    let info = f
        .client
        .legacy_user_info_by_code(&legacy(), v["code"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(info.nick, "王五");
    let r = post(
        "/_fake/mint",
        serde_json::json!({"flow": "new_sdk", "clientId": "unknown"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        "/_fake/mint",
        serde_json::json!({"flow": "legacy_sdk", "scope": "openid"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);

    let r = post("/_fake/faults", serde_json::json!({"endpoint": "legacy", "fault": {"kind": "rate_limit", "errcode": 90002}, "times": 1})).await.unwrap();
    assert_eq!(r.status(), 204);
    let e = f
        .client
        .legacy_user_info_by_code(&legacy(), "x")
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        OpenApiError::RateLimited {
            limit: RateLimit::PerApi,
            ..
        }
    ));
    post(
        "/_fake/faults",
        serde_json::json!({"endpoint": "all", "fault": {"kind": "status", "status": 500}}),
    )
    .await
    .unwrap();
    assert!(matches!(
        f.client.legacy_user_info_by_code(&legacy(), "x").await,
        Err(OpenApiError::ServerError { .. })
    ));
    let r = f
        .http
        .delete(format!("{}/_fake/faults", f.srv.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(matches!(
        f.client.legacy_user_info_by_code(&legacy(), "x").await,
        Err(OpenApiError::CodeInvalid { .. })
    ));

    let r = post("/_fake/clock", serde_json::json!({"advanceMs": 120000}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(matches!(
        f.client.legacy_user_info_by_code(&legacy(), "x").await,
        Err(OpenApiError::ClockSkew { .. })
    ));
    post("/_fake/clock", serde_json::json!({"advanceMs": -120000}))
        .await
        .unwrap();

    let r = post("/_fake/browser", serde_json::json!({"mode": "deny"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let stats: serde_json::Value = serde_json::from_str(
        &f.http
            .get(format!("{}/_fake/stats", f.srv.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stats["legacy"], 5);
    assert_eq!(stats["token"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_mode_accepts_prefixed_codes_statelessly() {
    let mut cfg = FakeConfig::demo();
    cfg.bench_code_prefix = Some("bench-".into());
    let fake = FakeDingTalk::new(cfg);
    let srv = fake.clone().serve(listener().await).await.unwrap();
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: srv.url(),
        api_base: srv.url(),
        ..Default::default()
    })
    .unwrap();
    for _ in 0..2 {
        client
            .legacy_user_info_by_code(&legacy(), "bench-1")
            .await
            .unwrap();
        let t = client.user_access_token(&v1(), "bench-2").await.unwrap();
        client.contact_users_me(&t.access_token).await.unwrap();
    }
    assert!(client
        .legacy_user_info_by_code(&legacy(), "other")
        .await
        .is_err());
}

/// The internal app's token endpoint answers as DingTalk does (JSON only, the same token while it is
/// valid, a new one after it expired) instead of an empty 404 that official SDKs cannot parse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_access_token_is_served_and_stable_while_valid() {
    let f = fake().await;
    let url = format!("{}/v1.0/oauth2/accessToken", f.srv.url());
    let post = |body: serde_json::Value| {
        f.http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let good = serde_json::json!({"appKey": demo::CLIENT_ID, "appSecret": demo::CLIENT_SECRET});
    let r = post(good.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let a: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(a["expireIn"], 7200);
    let token = a["accessToken"].as_str().unwrap().to_owned();
    let b: serde_json::Value =
        serde_json::from_str(&post(good.clone()).await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(
        b["accessToken"],
        token.as_str(),
        "the same token while valid"
    );
    f.fake.advance_clock(7_201_000);
    let c: serde_json::Value =
        serde_json::from_str(&post(good).await.unwrap().text().await.unwrap()).unwrap();
    assert_ne!(c["accessToken"], token.as_str(), "a new token after expiry");
    let r = post(serde_json::json!({"appKey": demo::CLIENT_ID, "appSecret": "wrong"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["code"], "invalidClientIdOrSecret");
    let r = f
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("appKey=a&appSecret=b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "JSON only");
    assert_eq!(f.fake.stats().app_token, 5);
}
