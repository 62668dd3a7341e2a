//! `dingtalk-directory-sync`: copies the organisation's departments and members as JSON Lines or
//! into a SQLite file (see the `directory` module for the formats, the pacing, the failure rule and
//! resuming). The internal app's AppSecret comes from DINGTALK_CLIENT_SECRET or
//! DINGTALK_CLIENT_SECRET_FILE, never a flag.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use dingtalk_auth_server::directory::jsonl::{read_previous, JsonlSink};
use dingtalk_auth_server::directory::sqlite::SqliteSink;
use dingtalk_auth_server::directory::{sync, SyncOptions, SyncSink};
use dingtalk_auth_server::secret_from_env;
use dingtalk_openapi::{
    ClientCredentials, OpenApiClient, OpenApiConfig, OrgClient, DEFAULT_API_BASE, DEFAULT_OAPI_BASE,
};

#[derive(Parser)]
#[command(
    name = "dingtalk-directory-sync",
    version,
    about = "Copy a DingTalk organisation's departments and members"
)]
struct Cli {
    /// The internal app's Client ID (AppKey).
    #[arg(long, env = "DINGTALK_CLIENT_ID")]
    client_id: String,
    /// Write JSON Lines here instead of stdout; a run interrupted before completion is resumed from
    /// `<FILE>.checkpoint` by the next run with the same FILE.
    #[arg(long, conflicts_with = "sqlite")]
    output: Option<std::path::PathBuf>,
    /// The output of an earlier complete run: what it had and this run does not is reported removed.
    #[arg(long, conflicts_with = "sqlite")]
    previous: Option<std::path::PathBuf>,
    /// Upsert into this SQLite file (created when missing) instead of writing JSON Lines; stdout
    /// gets only the removed departments and members and the summary. An unfinished run in the file
    /// is resumed; what a complete run no longer finds is marked removed (`removed_at`).
    #[arg(long)]
    sqlite: Option<std::path::PathBuf>,
    /// Calls per second per API (DingTalk allows 20 per app per API).
    #[arg(long, default_value_t = 20)]
    rate: u32,
    /// Calls in flight at most.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Legacy (oapi) API base URL.
    #[arg(long, env = "DINGTALK_OAPI_BASE", default_value = DEFAULT_OAPI_BASE)]
    oapi_base: String,
    /// v1.0 API base URL.
    #[arg(long, env = "DINGTALK_API_BASE", default_value = DEFAULT_API_BASE)]
    api_base: String,
}

async fn run(cli: Cli) -> Result<serde_json::Value, String> {
    let secret = secret_from_env("DINGTALK_CLIENT_SECRET")?
        .ok_or("set DINGTALK_CLIENT_SECRET or DINGTALK_CLIENT_SECRET_FILE")?;
    let client = OpenApiClient::new(OpenApiConfig {
        oapi_base: cli.oapi_base,
        api_base: cli.api_base,
        ..OpenApiConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let org = Arc::new(OrgClient::new(
        client,
        ClientCredentials {
            client_id: cli.client_id,
            client_secret: secret,
        },
        None,
    ));
    let previous = cli.previous.as_deref().map(read_previous).transpose()?;
    let sink: Box<dyn SyncSink> = match (&cli.sqlite, &cli.output) {
        (Some(db), _) => Box::new(SqliteSink::open(db, Some(Box::new(std::io::stdout())))?),
        (None, Some(p)) => Box::new(JsonlSink::file(p, previous)?),
        (None, None) => Box::new(JsonlSink::stream(Box::new(std::io::stdout()), previous)),
    };
    sync(
        org,
        sink,
        SyncOptions {
            per_api_rate: cli.rate,
            concurrency: cli.concurrency,
            progress: true,
        },
    )
    .await
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(summary) => {
            eprintln!("directory sync complete: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("directory sync stopped (what was written so far is kept; run it again to resume): {e}");
            ExitCode::FAILURE
        }
    }
}
