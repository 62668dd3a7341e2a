//! `dingtalk-fake serve | demo`: the fake DingTalk alone, or the loopback demo (the fake and a
//! reference backend wired to it). Prints one JSON line per listener on stdout
//! (`{"event":"listening","service":"fake","url":"http://127.0.0.1:8081"}`); logs go to stderr.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dingtalk_auth_server::serve::{announce, bind, main_with, shutdown_signal, ConnArgs, LogArgs};
use dingtalk_auth_server::{secret_from_env, Backend, RunningServer};
use dingtalk_fake::{demo, FakeConfig, FakeDingTalk};
use dingtalk_openapi::Secret;

#[derive(Parser)]
#[command(
    name = "dingtalk-fake",
    version,
    about = "A fake DingTalk for tests and demos, and the loopback demo"
)]
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the fake DingTalk (demo credentials unless DINGTALK_LEGACY_APP_KEY / DINGTALK_CLIENT_ID and
    /// their secrets are set).
    Serve(ServeArgs),
    /// Run the fake DingTalk and a backend wired to it (demo credentials), both on loopback.
    Demo(DemoArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "DINGTALK_FAKE_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Accept any code with this prefix, unminted and reusable (benchmarks only).
    #[arg(long)]
    bench_code_prefix: Option<String>,
    /// Access token lifetime, seconds.
    #[arg(long, default_value_t = 7200)]
    access_ttl_secs: u64,
    /// Serve a seeded organisation of DEPARTMENTS,MEMBERS (a tree of fan-out 10) instead of the
    /// one-member default.
    #[arg(long, value_delimiter = ',')]
    seed_org: Option<Vec<u64>>,
    /// Enforce DingTalk's per-app per-API limit on the topapi endpoints (DingTalk: 20 calls/s).
    #[arg(long)]
    qps_per_api: Option<u32>,
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
    /// Make the fake's organisation this corpId and have the backend resolve every login to its
    /// member (an internal app): the answers carry `member`, outsiders get 403 `not_org_member`.
    #[arg(long)]
    corp_id: Option<String>,
    #[command(flatten)]
    conn: ConnArgs,
}

impl ServeArgs {
    /// The demo configuration, with the apps from the environment when they are set.
    fn config(&self) -> Result<FakeConfig, String> {
        let mut cfg = FakeConfig::demo();
        // An id without its secret (or the reverse) leaves the demo app in place.
        let app = |id_var, secret_var| -> Result<Option<(String, Secret)>, String> {
            Ok(std::env::var(id_var).ok().zip(secret_from_env(secret_var)?))
        };
        if let Some(app) = app("DINGTALK_LEGACY_APP_KEY", "DINGTALK_LEGACY_APP_SECRET")? {
            cfg.legacy_apps = vec![app];
        }
        if let Some(app) = app("DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET")? {
            cfg.clients = vec![app];
        }
        cfg.bench_code_prefix = self.bench_code_prefix.clone();
        cfg.access_ttl_secs = self.access_ttl_secs;
        if let Some(seed) = &self.seed_org {
            if seed.len() != 2 {
                return Err("--seed-org takes DEPARTMENTS,MEMBERS".into());
            }
            cfg.org = dingtalk_fake::FakeOrg::seeded(&cfg.org.corp_id, seed[0], seed[1], 10);
        }
        cfg.qps_per_api = self.qps_per_api;
        Ok(cfg)
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(a) => {
            let fake = FakeDingTalk::new(a.config()?);
            let srv = RunningServer::start_with(
                fake.router(),
                bind(a.listen).await?,
                shutdown_signal(),
                a.conn.serve_options(),
            )
            .await
            .map_err(|e| e.to_string())?;
            announce("fake", &srv);
            srv.wait().await.map_err(|e| e.to_string())
        }
        Command::Demo(a) => {
            let mut fake_cfg = FakeConfig::demo();
            if let Some(corp) = &a.corp_id {
                fake_cfg.org.corp_id = corp.clone();
            }
            let fake = FakeDingTalk::new(fake_cfg);
            let fake_srv = RunningServer::start_with(
                fake.router(),
                bind(a.fake_listen).await?,
                std::future::pending(),
                a.conn.serve_options(),
            )
            .await
            .map_err(|e| e.to_string())?;
            let mut cfg = demo::backend_config(&fake_srv.url());
            cfg.openapi.request_timeout = Duration::from_millis(a.upstream_timeout_ms);
            cfg.allowed_corp_ids = a.allowed_corp_ids.map(|v| v.into_iter().collect());
            cfg.org = a.corp_id.map(dingtalk_auth_server::OrgConfig::new);
            cfg.body_read_timeout = a.conn.body_read_timeout();
            cfg.serve = a.conn.serve_options();
            let backend = Backend::new(cfg).map_err(|e| e.to_string())?;
            let srv = backend
                .serve_with_signal(bind(a.backend_listen).await?, shutdown_signal())
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
    main_with("dingtalk-fake", cli.log, run(cli.command)).await
}
