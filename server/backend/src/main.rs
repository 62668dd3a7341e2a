//! `dingtalk-auth-server serve`. Prints one JSON line on stdout when listening
//! (`{"event":"listening","service":"backend","url":"http://127.0.0.1:8080"}`); logs go to stderr.
//! The fake DingTalk and the loopback demo are the `dingtalk-fake` binary.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dingtalk_auth_server::serve::{announce, bind, main_with, shutdown_signal, ConnArgs, LogArgs};
use dingtalk_auth_server::{
    id_with_secret, secret_from_env, Backend, BackendConfig, H5Args, OrgArgs, ReplayStoreConfig,
    SessionArgs,
};
use dingtalk_openapi::{
    ClientCredentials, LegacyCredentials, OpenApiConfig, DEFAULT_API_BASE, DEFAULT_OAPI_BASE,
};

#[derive(Parser)]
#[command(
    name = "dingtalk-auth-server",
    version,
    about = "DingTalk login backend"
)]
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the backend. Secrets: DINGTALK_LEGACY_APP_SECRET[_FILE], DINGTALK_CLIENT_SECRET[_FILE].
    Serve(ServeArgs),
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
    /// How long codes, idempotency keys and answers are remembered, seconds: at least 900, as long
    /// as apps re-send a grant they have not seen answered.
    #[arg(long, env = "DINGTALK_REPLAY_TTL_SECS", default_value_t = dingtalk_auth::wire::IDEMPOTENCY_WINDOW_SECS)]
    replay_ttl_secs: u64,
    /// How many codes are remembered at most.
    #[arg(long, env = "DINGTALK_REPLAY_CAPACITY", default_value_t = 100_000)]
    replay_capacity: usize,
    /// Largest grant body, bytes.
    #[arg(long, env = "DINGTALK_MAX_BODY_BYTES", default_value_t = 8192)]
    max_body_bytes: usize,
    /// Where codes and idempotency keys are remembered: `memory` (one instance) or
    /// `redis://` / `rediss://` (TLS) `[user:password@]host:port[/db]`, or a Redis Cluster
    /// `redis+cluster://` / `rediss+cluster://` `[user:password@]host:port[,host:port…]`, shared by
    /// several instances (prefer the environment variable when the URL holds a password: flags show
    /// in `ps`). Redis needs DINGTALK_REPLAY_STORE_KEY[_FILE]: `id:base64key[,id:base64key…]`
    /// (32-byte AES-256-GCM keys, the first seals) that encrypt the answers kept for retries.
    #[arg(long, env = "DINGTALK_REPLAY_STORE", default_value = "memory")]
    replay_store: String,
    /// PEM file of the CA that signed the Redis server's certificate (`rediss://`); default: the
    /// system's roots.
    #[arg(long, env = "DINGTALK_REPLAY_STORE_CA_FILE")]
    replay_store_ca_file: Option<std::path::PathBuf>,
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
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    session: SessionArgs,
    #[command(flatten)]
    h5: H5Args,
}

impl ServeArgs {
    /// The configuration, with the secrets from the environment; a half-configured flow, or none at
    /// all, is an error.
    fn config(self) -> Result<BackendConfig, String> {
        let legacy = id_with_secret(
            self.legacy_app_key,
            "DINGTALK_LEGACY_APP_KEY",
            "DINGTALK_LEGACY_APP_SECRET",
        )?
        .map(|(app_key, app_secret)| LegacyCredentials {
            app_key,
            app_secret,
        });
        let v1 = id_with_secret(
            self.client_id,
            "DINGTALK_CLIENT_ID",
            "DINGTALK_CLIENT_SECRET",
        )?
        .map(|(client_id, client_secret)| ClientCredentials {
            client_id,
            client_secret,
        });
        if legacy.is_none() && v1.is_none() {
            return Err("no flow enabled: set DINGTALK_LEGACY_APP_KEY + secret and/or DINGTALK_CLIENT_ID + secret".into());
        }
        Ok(BackendConfig {
            legacy,
            v1,
            openapi: OpenApiConfig {
                oapi_base: self.oapi_base,
                api_base: self.api_base,
                request_timeout: Duration::from_millis(self.upstream_timeout_ms),
                ..OpenApiConfig::default()
            },
            allowed_corp_ids: self
                .allowed_corp_ids
                .map(|v| v.into_iter().filter(|s| !s.is_empty()).collect()),
            replay_ttl: Duration::from_secs(self.replay_ttl_secs),
            replay_capacity: self.replay_capacity,
            max_body_bytes: self.max_body_bytes,
            replay_store: ReplayStoreConfig::parse(
                &self.replay_store,
                self.replay_store_timeout_ms,
                secret_from_env("DINGTALK_REPLAY_STORE_KEY")?
                    .as_ref()
                    .map(|k| k.expose()),
                self.replay_store_ca_file,
            )?,
            replay_wait: self.replay_wait_ms.map(Duration::from_millis),
            body_read_timeout: self.conn.body_read_timeout(),
            serve: self.conn.serve_options(),
            org: self.org.config()?,
            session: self.session.settings()?,
            h5: self.h5.config()?,
            ..BackendConfig::default()
        })
    }
}

async fn run(command: Command) -> Result<(), String> {
    let Command::Serve(args) = command;
    let listen = args.listen;
    let cfg = args.config()?;
    tracing::info!(
        legacy = cfg.legacy.as_ref().map(|c| c.app_key.as_str()),
        client_id = cfg.v1.as_ref().map(|c| c.client_id.as_str()),
        oapi = cfg.openapi.oapi_base.as_str(),
        api = cfg.openapi.api_base.as_str(),
        allow_list = cfg.allowed_corp_ids.as_ref().map(|s| s.len()),
        replay_store = cfg.replay_store.describe().as_str(),
        "backend configuration (secrets not shown)"
    );
    let backend = Backend::new(cfg).map_err(|e| e.to_string())?;
    backend.check_replay_store().await?;
    let srv = backend
        .serve_with_signal(bind(listen).await?, shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    announce("backend", &srv);
    srv.wait().await.map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    main_with("dingtalk-auth-server", cli.log, run(cli.command)).await
}
