#![allow(dead_code)]
//! Shared harness: a fake DingTalk and a backend wired to it, both on loopback ports from 0; grants
//! written by the core's own writer; the backend binary as a child process.

pub mod process;

use std::process::{Command, Stdio};
use std::time::Duration;

use dingtalk_auth::wire::GrantV1;
use dingtalk_auth::{LoginFlow, Platform};
use dingtalk_auth_server::{Backend, BackendConfig, RunningServer};
use dingtalk_fake::{demo, FakeConfig, FakeDingTalk, MintRequest, UserPatch};
use tokio::net::TcpListener;

use process::{listening_url, stdout_lines, ChildGuard};

/// The backend binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_dingtalk-auth-server");

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
    let (fake, fake_srv) = start_fake().await;
    let mut cfg = dingtalk_fake::demo::backend_config(&fake_srv.url());
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

pub fn client_id(flow: LoginFlow) -> &'static str {
    if flow.uses_v1_api() {
        demo::CLIENT_ID
    } else {
        demo::LEGACY_APP_KEY
    }
}

pub use dingtalk_fake::default_scope;

/// A fresh 43-character idempotency key.
pub fn key() -> String {
    dingtalk_auth_server::random_token(32)
}

/// A grant of the demo app, as the core writes it.
pub fn grant(flow: LoginFlow, code: &str, scope: &str, key: &str) -> String {
    GrantV1 {
        flow,
        client_id: client_id(flow).into(),
        platform: Platform::Android,
        code: code.into(),
        scope: scope.into(),
        issued_at_ms: 1_700_000_000_000,
        idempotency_key: key.into(),
    }
    .to_json()
}

/// `dingtalk-auth-server serve` with the demo apps, exchanging at the fake at `fake_url`, plus
/// `args` and `env`; returns the child and the URL it announced.
pub fn spawn_backend(fake_url: &str, args: &[&str], env: &[(&str, &str)]) -> (ChildGuard, String) {
    let mut child = ChildGuard::spawn(&mut backend_command(fake_url, args, env, Stdio::inherit()));
    let url = listening_url(&stdout_lines(child.0.stdout.take().unwrap()));
    (child, url)
}

/// The command of [`spawn_backend`], its stderr (the logs) going to `stderr`.
pub fn backend_command(
    fake_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: Stdio,
) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--legacy-app-key", demo::LEGACY_APP_KEY])
        .args(["--client-id", demo::CLIENT_ID])
        .args(["--oapi-base", fake_url, "--api-base", fake_url])
        .args(args)
        .env("DINGTALK_LEGACY_APP_SECRET", demo::LEGACY_APP_SECRET)
        .env("DINGTALK_CLIENT_SECRET", demo::CLIENT_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A fake DingTalk with the demo apps on a loopback port.
pub async fn start_fake() -> (FakeDingTalk, RunningServer) {
    let fake = FakeDingTalk::new(FakeConfig::demo());
    let srv = fake.clone().serve(listener().await).await.unwrap();
    (fake, srv)
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
    pub fn mint(&self, flow: LoginFlow, scope: Option<&str>, user: Option<UserPatch>) -> String {
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

    pub async fn login(&self, flow: LoginFlow, code: &str, scope: &str, key: &str) -> Answer {
        self.post_raw(grant(flow, code, scope, key), Some(key), "application/json")
            .await
    }

    /// Mint a code and log in with it under a fresh key.
    pub async fn fresh_login(&self, flow: LoginFlow) -> Answer {
        let code = self.mint(flow, None, None);
        self.login(flow, &code, default_scope(flow), &key()).await
    }
}
