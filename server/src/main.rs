//! `dingtalk-auth-server serve | fake | demo`. Prints one JSON line per listener on stdout
//! (`{"event":"listening","service":"backend","url":"http://127.0.0.1:8080"}`); logs go to stderr.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dingtalk_auth::openapi::{
    ClientCredentials, LegacyCredentials, OpenApiConfig, Secret, DEFAULT_API_BASE,
    DEFAULT_OAPI_BASE,
};
use dingtalk_auth_server::backend::{Backend, BackendConfig, ReplayStoreConfig};
use dingtalk_auth_server::fake::{demo, FakeConfig, FakeDingTalk};
use dingtalk_auth_server::{init_tracing, RunningServer, ServeOptions};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    name = "dingtalk-auth-server",
    version,
    about = "DingTalk login backend and fake DingTalk"
)]
struct Cli {
    /// Log as JSON lines instead of text (filter with RUST_LOG, default info).
    #[arg(long, global = true, env = "DINGTALK_AUTH_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the backend. Secrets: DINGTALK_LEGACY_APP_SECRET[_FILE], DINGTALK_CLIENT_SECRET[_FILE].
    Serve(ServeArgs),
    /// Run the fake DingTalk (demo credentials unless DINGTALK_LEGACY_APP_KEY / DINGTALK_CLIENT_ID and
    /// their secrets are set).
    Fake(FakeArgs),
    /// Run the fake DingTalk and a backend wired to it (demo credentials), both on loopback.
    Demo(DemoArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "DINGTALK_AUTH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Legacy SDK AppKey (accessKey); enables the legacy flow with DINGTALK_LEGACY_APP_SECRET[_FILE].
    #[arg(long, env = "DINGTALK_LEGACY_APP_KEY")]
    legacy_app_key: Option<String>,
    /// v1.0 ClientId; enables the new SDK and browser flows with DINGTALK_CLIENT_SECRET[_FILE].
    #[arg(long, env = "DINGTALK_CLIENT_ID")]
    client_id: Option<String>,
    /// Legacy API base URL.
    #[arg(long, env = "DINGTALK_OAPI_BASE", default_value = DEFAULT_OAPI_BASE)]
    oapi_base: String,
    /// v1.0 API base URL.
    #[arg(long, env = "DINGTALK_API_BASE", default_value = DEFAULT_API_BASE)]
    api_base: String,
    /// Comma-separated corpIds allowed to log in (requires scope "openid corpid").
    #[arg(long, env = "DINGTALK_ALLOWED_CORP_IDS", value_delimiter = ',')]
    allowed_corp_ids: Option<Vec<String>>,
    /// Whole-request timeout towards DingTalk, milliseconds.
    #[arg(long, env = "DINGTALK_UPSTREAM_TIMEOUT_MS", default_value_t = 10_000)]
    upstream_timeout_ms: u64,
    /// How long codes and idempotency keys are remembered, seconds.
    #[arg(long, env = "DINGTALK_REPLAY_TTL_SECS", default_value_t = 900)]
    replay_ttl_secs: u64,
    /// How many codes are remembered at most.
    #[arg(long, env = "DINGTALK_REPLAY_CAPACITY", default_value_t = 100_000)]
    replay_capacity: usize,
    /// Largest grant body, bytes.
    #[arg(long, env = "DINGTALK_MAX_BODY_BYTES", default_value_t = 8192)]
    max_body_bytes: usize,
    /// Where codes and idempotency keys are remembered: `memory` (one instance) or
    /// `redis://[user:password@]host:port[/db]` shared by several instances (prefer the environment
    /// variable when the URL holds a password: flags show in `ps`).
    #[arg(long, env = "DINGTALK_REPLAY_STORE", default_value = "memory")]
    replay_store: String,
    /// Deadline of one Redis operation, milliseconds; beyond it the login fails closed (503).
    #[arg(
        long,
        env = "DINGTALK_REPLAY_STORE_TIMEOUT_MS",
        default_value_t = 1_000
    )]
    replay_store_timeout_ms: u64,
    /// How long a retry waits for the answer of the same grant being exchanged, milliseconds
    /// (default: the longest an exchange can take, plus 5 s).
    #[arg(long, env = "DINGTALK_REPLAY_WAIT_MS")]
    replay_wait_ms: Option<u64>,
    #[command(flatten)]
    conn: ConnArgs,
}

/// `memory` or a `redis://` URL.
fn replay_store_config(value: &str, op_timeout_ms: u64) -> Result<ReplayStoreConfig, String> {
    if value == "memory" {
        return Ok(ReplayStoreConfig::Memory);
    }
    if value.starts_with("redis://")
        || value.starts_with("redis+unix://")
        || value.starts_with("unix://")
    {
        return Ok(ReplayStoreConfig::Redis {
            url: value.to_owned(),
            op_timeout: Duration::from_millis(op_timeout_ms.max(1)),
        });
    }
    Err("--replay-store must be `memory` or a redis:// URL".into())
}

/// The URL without its user info, for logs.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

/// How connections are treated (slow clients, cap, shutdown).
#[derive(Args, Clone, Copy)]
struct ConnArgs {
    /// Close a connection whose request head has not arrived within this time, milliseconds.
    #[arg(
        long,
        env = "DINGTALK_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    header_read_timeout_ms: u64,
    /// Answer 408 when a request body has not arrived within this time, milliseconds (backend).
    #[arg(long, env = "DINGTALK_BODY_READ_TIMEOUT_MS", default_value_t = 10_000)]
    body_read_timeout_ms: u64,
    /// At most this many open connections; more wait in the listen backlog.
    #[arg(long, env = "DINGTALK_MAX_CONNECTIONS", default_value_t = 4096)]
    max_connections: usize,
    /// On SIGTERM / Ctrl-C, in-flight requests get this long, then open connections are dropped,
    /// milliseconds.
    #[arg(long, env = "DINGTALK_SHUTDOWN_TIMEOUT_MS", default_value_t = 10_000)]
    shutdown_timeout_ms: u64,
}

impl ConnArgs {
    fn serve_options(self) -> ServeOptions {
        ServeOptions {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms.max(1)),
            max_connections: self.max_connections.max(1),
            shutdown_timeout: Duration::from_millis(self.shutdown_timeout_ms),
        }
    }
}

#[derive(Args)]
struct FakeArgs {
    /// Listen address.
    #[arg(long, env = "DINGTALK_FAKE_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Accept any code with this prefix, unminted and reusable (benchmarks only).
    #[arg(long)]
    bench_code_prefix: Option<String>,
    /// Access token lifetime, seconds.
    #[arg(long, default_value_t = 7200)]
    access_ttl_secs: u64,
    #[command(flatten)]
    conn: ConnArgs,
}

#[derive(Args)]
struct DemoArgs {
    /// Backend listen address (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    backend_listen: SocketAddr,
    /// Fake DingTalk listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    fake_listen: SocketAddr,
    /// Upstream timeout of the backend, milliseconds.
    #[arg(long, default_value_t = 2_000)]
    upstream_timeout_ms: u64,
    /// Comma-separated corpIds allowed to log in.
    #[arg(long, value_delimiter = ',')]
    allowed_corp_ids: Option<Vec<String>>,
    #[command(flatten)]
    conn: ConnArgs,
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (trailing newline trimmed).
fn secret_from_env(name: &str) -> Result<Option<Secret>, String> {
    if let Ok(v) = std::env::var(name) {
        if !v.is_empty() {
            return Ok(Some(Secret::new(v)));
        }
    }
    let file_var = format!("{name}_FILE");
    if let Ok(path) = std::env::var(&file_var) {
        let v = std::fs::read_to_string(&path)
            .map_err(|e| format!("{file_var}: cannot read {path}: {e}"))?;
        let v = v.trim_end_matches(['\r', '\n']).to_owned();
        if v.is_empty() {
            return Err(format!("{file_var}: {path} is empty"));
        }
        return Ok(Some(Secret::new(v)));
    }
    Ok(None)
}

fn announce(service: &str, srv: &RunningServer) {
    println!(
        "{}",
        serde_json::json!({"event": "listening", "service": service, "url": srv.url()})
    );
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(a) => {
            let legacy = match (
                a.legacy_app_key,
                secret_from_env("DINGTALK_LEGACY_APP_SECRET")?,
            ) {
                (Some(k), Some(s)) => Some(LegacyCredentials {
                    app_key: k,
                    app_secret: s,
                }),
                (None, None) => None,
                (Some(_), None) => return Err(
                    "DINGTALK_LEGACY_APP_KEY is set but DINGTALK_LEGACY_APP_SECRET[_FILE] is not"
                        .into(),
                ),
                (None, Some(_)) => {
                    return Err(
                        "DINGTALK_LEGACY_APP_SECRET is set but DINGTALK_LEGACY_APP_KEY is not"
                            .into(),
                    )
                }
            };
            let v1 = match (a.client_id, secret_from_env("DINGTALK_CLIENT_SECRET")?) {
                (Some(k), Some(s)) => Some(ClientCredentials {
                    client_id: k,
                    client_secret: s,
                }),
                (None, None) => None,
                (Some(_), None) => {
                    return Err(
                        "DINGTALK_CLIENT_ID is set but DINGTALK_CLIENT_SECRET[_FILE] is not".into(),
                    )
                }
                (None, Some(_)) => {
                    return Err(
                        "DINGTALK_CLIENT_SECRET is set but DINGTALK_CLIENT_ID is not".into(),
                    )
                }
            };
            if legacy.is_none() && v1.is_none() {
                return Err("no flow enabled: set DINGTALK_LEGACY_APP_KEY + secret and/or DINGTALK_CLIENT_ID + secret".into());
            }
            let cfg = BackendConfig {
                legacy,
                v1,
                openapi: OpenApiConfig {
                    oapi_base: a.oapi_base,
                    api_base: a.api_base,
                    request_timeout: Duration::from_millis(a.upstream_timeout_ms),
                    ..OpenApiConfig::default()
                },
                allowed_corp_ids: a.allowed_corp_ids.map(|v| {
                    v.into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<HashSet<_>>()
                }),
                replay_ttl: Duration::from_secs(a.replay_ttl_secs),
                replay_capacity: a.replay_capacity,
                max_body_bytes: a.max_body_bytes,
                replay_store: replay_store_config(&a.replay_store, a.replay_store_timeout_ms)?,
                replay_wait: a.replay_wait_ms.map(Duration::from_millis),
                body_read_timeout: Duration::from_millis(a.conn.body_read_timeout_ms.max(1)),
                serve: a.conn.serve_options(),
                ..BackendConfig::default()
            };
            let store = match &cfg.replay_store {
                ReplayStoreConfig::Memory => "memory".to_owned(),
                ReplayStoreConfig::Redis { url, .. } => redacted(url),
            };
            tracing::info!(
                legacy = cfg.legacy.as_ref().map(|c| c.app_key.as_str()),
                client_id = cfg.v1.as_ref().map(|c| c.client_id.as_str()),
                oapi = cfg.openapi.oapi_base.as_str(),
                api = cfg.openapi.api_base.as_str(),
                allow_list = cfg.allowed_corp_ids.as_ref().map(|s| s.len()),
                replay_store = store.as_str(),
                "backend configuration (secrets not shown)"
            );
            let backend = Backend::new(cfg).map_err(|e| e.to_string())?;
            let l = TcpListener::bind(a.listen)
                .await
                .map_err(|e| format!("bind {}: {e}", a.listen))?;
            let srv = backend
                .serve_with_signal(l, shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            announce("backend", &srv);
            srv.wait().await.map_err(|e| e.to_string())
        }
        Command::Fake(a) => {
            let mut cfg = FakeConfig::demo();
            if let (Ok(k), Some(s)) = (
                std::env::var("DINGTALK_LEGACY_APP_KEY"),
                secret_from_env("DINGTALK_LEGACY_APP_SECRET")?,
            ) {
                cfg.legacy_apps = vec![(k, s)];
            }
            if let (Ok(k), Some(s)) = (
                std::env::var("DINGTALK_CLIENT_ID"),
                secret_from_env("DINGTALK_CLIENT_SECRET")?,
            ) {
                cfg.clients = vec![(k, s)];
            }
            cfg.bench_code_prefix = a.bench_code_prefix;
            cfg.access_ttl_secs = a.access_ttl_secs;
            let l = TcpListener::bind(a.listen)
                .await
                .map_err(|e| format!("bind {}: {e}", a.listen))?;
            let srv = RunningServer::start_with(
                FakeDingTalk::new(cfg).router(),
                l,
                shutdown_signal(),
                a.conn.serve_options(),
            )
            .await
            .map_err(|e| e.to_string())?;
            announce("fake", &srv);
            srv.wait().await.map_err(|e| e.to_string())
        }
        Command::Demo(a) => {
            let fake = FakeDingTalk::new(FakeConfig::demo());
            let fl = TcpListener::bind(a.fake_listen)
                .await
                .map_err(|e| format!("bind {}: {e}", a.fake_listen))?;
            let fake_srv = RunningServer::start_with(
                fake.router(),
                fl,
                std::future::pending(),
                a.conn.serve_options(),
            )
            .await
            .map_err(|e| e.to_string())?;
            let mut cfg = BackendConfig::demo(&fake_srv.url());
            cfg.openapi.request_timeout = Duration::from_millis(a.upstream_timeout_ms);
            cfg.allowed_corp_ids = a.allowed_corp_ids.map(|v| v.into_iter().collect());
            cfg.body_read_timeout = Duration::from_millis(a.conn.body_read_timeout_ms.max(1));
            cfg.serve = a.conn.serve_options();
            let backend = Backend::new(cfg).map_err(|e| e.to_string())?;
            let bl = TcpListener::bind(a.backend_listen)
                .await
                .map_err(|e| format!("bind {}: {e}", a.backend_listen))?;
            let srv = backend
                .serve_with_signal(bl, shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            announce("fake", &fake_srv);
            announce("backend", &srv);
            println!(
                "{}",
                serde_json::json!({"event": "demo_credentials", "legacyAppKey": demo::LEGACY_APP_KEY, "clientId": demo::CLIENT_ID})
            );
            srv.wait().await.map_err(|e| e.to_string())?;
            fake_srv.shutdown().await.map_err(|e| e.to_string())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dingtalk-auth-server: {e}");
            ExitCode::FAILURE
        }
    }
}
