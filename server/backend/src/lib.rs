//! # dingtalk-auth-server
//!
//! The reference backend. It receives the grant JSON v1 that the mobile core posts
//! ([`dingtalk_auth::wire`]), exchanges the code with DingTalk exactly once (legacy SDK →
//! `getuserinfo_bycode`; new SDK and browser → v1.0 `userAccessToken` + `users/me`, through the
//! `dingtalk-openapi` crate) and answers the identity and an opaque session token.
//!
//! One login, read in file order:
//! 1. `config.rs` — what the operator configures ([`BackendConfig`]).
//! 2. `service.rs` — the routes; the login handler is the sequence below.
//! 3. `intake.rs` — body, Content-Type, grant JSON v1, `Idempotency-Key`: a checked grant or the API
//!    error.
//! 4. `policy.rs` — flow enabled, `client_id`, scope, corpId allow-list.
//! 5. `replay/` — the code is exchanged at most once, by any instance; retries get the same answer.
//! 6. `exchange.rs` — DingTalk's calls, on their own task, and what to keep; `member.rs` — whether
//!    the account is a member of the configured organisation, and who the member is.
//!    `session.rs` — the signed session token of the answer, and the JWKS that verifies it.
//! 7. `error.rs` — the one table of error codes, statuses and `retryable`.
//!
//! `h5.rs` (with `h5.html`) is the workbench page of an internal app: free login inside DingTalk,
//! the browser login outside it.
//!
//! `serve.rs` runs a router on a listener (connection bounds, graceful shutdown, request logs); the
//! fake DingTalk (crate `dingtalk-fake`, never linked here) serves through it too.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dingtalk_auth_server::{Backend, BackendConfig};
//! let backend = Backend::new(BackendConfig::default()).expect("valid config");
//! let srv = backend.serve(tokio::net::TcpListener::bind("127.0.0.1:0").await?).await?;
//! // POST grant JSON to {srv.url()}/v1/login ...
//! srv.shutdown().await?;
//! # Ok(()) }
//! ```

mod config;
pub mod directory;
mod error;
mod exchange;
mod h5;
mod intake;
mod member;
mod policy;
mod replay;
pub mod serve;
mod service;
mod session;

pub use config::{
    id_with_secret, secret_from_env, AnswerKeys, BackendConfig, RedisStoreConfig, ReplayStoreConfig,
};
pub use error::{ApiError, ErrorCode};
pub use h5::{H5Args, H5Config};
pub use member::{OrgArgs, OrgConfig, PersonalFields};
pub use replay::redis::RedisTimings;
pub use serve::{init_tracing, random_token, RunningServer, ServeOptions};
pub use service::Backend;
pub use session::{SessionArgs, SessionKeys, SessionSettings};
