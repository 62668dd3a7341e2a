//! # dingtalk-auth-server
//!
//! * [`backend`]: the reference backend. It receives the grant JSON v1 that the mobile core posts,
//!   exchanges the code with DingTalk exactly once (legacy SDK → `getuserinfo_bycode`; new SDK and
//!   browser → v1.0 `userAccessToken` + `users/me`) and answers the identity and an opaque session token.
//! * [`fake`]: a stand-in for DingTalk (`oapi` + `api` + `login` hosts on one port) with the documented
//!   behaviour, a mint endpoint standing in for the DingTalk app, a browser authorize page, an
//!   injectable clock and per-endpoint fault injection.
//!
//! Both are a [`axum::Router`] you can mount, or a [`RunningServer`] on a loopback port:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dingtalk_auth_server::{backend, fake};
//! let fake = fake::FakeDingTalk::new(fake::FakeConfig::demo());
//! let fake_srv = fake.clone().serve(tokio::net::TcpListener::bind("127.0.0.1:0").await?).await?;
//! let cfg = backend::BackendConfig::demo(&fake_srv.url());
//! let backend = backend::Backend::new(cfg).expect("valid config");
//! let backend_srv = backend.serve(tokio::net::TcpListener::bind("127.0.0.1:0").await?).await?;
//! // POST grant JSON to {backend_srv.url()}/v1/login ...
//! backend_srv.shutdown().await?;
//! fake_srv.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod fake;
mod util;

pub use util::{init_tracing, random_token, RunningServer, ServeOptions};
