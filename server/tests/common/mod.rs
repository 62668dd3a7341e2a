#![allow(dead_code)]
//! Shared harness: a fake DingTalk and a backend wired to it, both on loopback ports from 0.

pub mod process;

use std::time::Duration;

use dingtalk_auth_server::backend::{Backend, BackendConfig};
use dingtalk_auth_server::fake::{FakeConfig, FakeDingTalk, MintFlow, MintRequest, UserPatch};
use dingtalk_auth_server::RunningServer;
use tokio::net::TcpListener;

/// The backend's upstream timeout in tests that expect DingTalk to answer.
pub const NORMAL_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);
/// The backend's upstream timeout in tests that expect it to fire (against `Fault::Stall` of
/// [`STALL_MS`]): short to keep the suite quick, still seconds above a loaded loopback answer.
pub const SHORT_UPSTREAM_TIMEOUT: Duration = Duration::from_millis(2_000);
/// A stall far beyond [`SHORT_UPSTREAM_TIMEOUT`]: the timeout fires whatever the machine's load.
pub const STALL_MS: u64 = 60_000;

pub struct Harness {
    pub fake: FakeDingTalk,
    pub fake_srv: RunningServer,
    pub backend: Backend,
    pub backend_srv: RunningServer,
    pub http: reqwest::Client,
}

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub async fn start() -> Harness {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut BackendConfig)) -> Harness {
    let fake = FakeDingTalk::new(FakeConfig::demo());
    let fake_srv = fake.clone().serve(listener().await).await.unwrap();
    let mut cfg = BackendConfig::demo(&fake_srv.url());
    // Far above any loopback answer even on a loaded 2-core machine; tests of timeouts lower it and
    // use a fault that never answers in time (`Fault::Stall`), so neither side has a thin margin.
    cfg.openapi.request_timeout = NORMAL_UPSTREAM_TIMEOUT;
    tweak(&mut cfg);
    let backend = Backend::new(cfg).unwrap();
    let backend_srv = backend.clone().serve(listener().await).await.unwrap();
    Harness {
        fake,
        fake_srv,
        backend,
        backend_srv,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

pub fn flow_name(flow: MintFlow) -> &'static str {
    match flow {
        MintFlow::LegacySdk => "legacy_sdk",
        MintFlow::NewSdk => "new_sdk",
        MintFlow::Browser => "browser",
    }
}

pub fn client_id(flow: MintFlow) -> &'static str {
    match flow {
        MintFlow::LegacySdk => dingtalk_auth_server::fake::demo::LEGACY_APP_KEY,
        _ => dingtalk_auth_server::fake::demo::CLIENT_ID,
    }
}

pub fn default_scope(flow: MintFlow) -> &'static str {
    match flow {
        MintFlow::LegacySdk => "sns_login",
        _ => "openid",
    }
}

/// A fresh 43-character idempotency key.
pub fn key() -> String {
    dingtalk_auth_server::random_token(32)
}

pub fn grant(flow: MintFlow, code: &str, scope: &str, key: &str) -> String {
    serde_json::json!({
        "version": 1, "flow": flow_name(flow), "client_id": client_id(flow), "platform": "android",
        "code": code, "scope": scope, "issued_at_ms": 1_700_000_000_000u64, "idempotency_key": key,
    })
    .to_string()
}

pub struct Answer {
    pub status: u16,
    pub json: serde_json::Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

impl Harness {
    pub fn mint(&self, flow: MintFlow, scope: Option<&str>, user: Option<UserPatch>) -> String {
        self.fake
            .mint(MintRequest {
                flow,
                client_id: None,
                scope: scope.map(str::to_owned),
                user,
            })
            .unwrap()
    }

    pub async fn post_raw(&self, body: String, key: Option<&str>, content_type: &str) -> Answer {
        let mut req = self
            .http
            .post(format!("{}/v1/login", self.backend_srv.url()))
            .header("content-type", content_type)
            .body(body);
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        Answer {
            status,
            json,
            headers,
        }
    }

    pub async fn login(&self, flow: MintFlow, code: &str, scope: &str, key: &str) -> Answer {
        self.post_raw(grant(flow, code, scope, key), Some(key), "application/json")
            .await
    }

    /// Mint a code and log in with it under a fresh key.
    pub async fn fresh_login(&self, flow: MintFlow) -> Answer {
        let code = self.mint(flow, None, None);
        self.login(flow, &code, default_scope(flow), &key()).await
    }
}
