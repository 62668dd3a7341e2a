//! The reference backend: `POST /v1/login` (grant JSON v1 in, identity + session token out) and
//! `GET /healthz`.
//!
//! A login, in order: body limit and `Content-Type: application/json` → `version == 1` → field checks
//! → `Idempotency-Key` header equals the grant's `idempotency_key` (if sent) → the flow is enabled and
//! `client_id` is this backend's → scope fits the flow (and `openid corpid` when an allow-list is set)
//! → replay store (a code is exchanged at most once; the same key gets the first answer back) →
//! DingTalk exchange on its own task (a client hanging up does not cancel it) → corpId allow-list →
//! `200 {"flow","unionId","openId","nick","avatarUrl","corpId","sessionToken","expiresIn"}`.

mod error;
mod replay;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use dingtalk_auth::openapi::{
    ClientCredentials, LegacyCredentials, OpenApiClient, OpenApiConfig, OpenApiError, Secret,
};
use http_body_util::BodyExt as _;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;

use error::stored_response;
pub use error::{ApiError, ErrorCode};
use replay::memory::MemoryStore;
use replay::redis::RedisStore;
pub use replay::redis::RedisTimings;
use replay::{Claim, Digest, Keys, ReplayStore, Stored};

use crate::util::{random_token, request_log, RunningServer, ServeOptions};

/// Backend configuration. `Debug` never shows secrets.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    /// Legacy SDK flow: AppKey (must equal the grant's `client_id`) and AppSecret. `None` disables it.
    pub legacy: Option<LegacyCredentials>,
    /// New SDK and browser flows: ClientId (must equal the grant's `client_id`) and ClientSecret.
    pub v1: Option<ClientCredentials>,
    /// DingTalk base URLs and timeouts.
    pub openapi: OpenApiConfig,
    /// When set, only these corpIds may log in, and logins must ask for scope `openid corpid`.
    pub allowed_corp_ids: Option<HashSet<String>>,
    /// How long a code / idempotency key is remembered (default 15 min; codes live 5 min).
    pub replay_ttl: Duration,
    /// At most this many codes remembered (default 100 000; memory store only).
    pub replay_capacity: usize,
    /// Where codes and idempotency keys are remembered (default: this process's memory).
    pub replay_store: ReplayStoreConfig,
    /// How long a request waits for the answer of the same grant being exchanged (by any instance)
    /// before it gets 503 `replay_pending`. `None`: the longest an exchange can take (two DingTalk
    /// calls with their timeouts) plus 5 s.
    pub replay_wait: Option<Duration>,
    /// Largest grant body accepted (default 8 KiB).
    pub max_body_bytes: usize,
    /// `expiresIn` reported with the session token (default 3600 s).
    pub session_ttl_secs: u64,
    /// A request body must arrive whole within this time (default 10 s), else 408.
    pub body_read_timeout: Duration,
    /// Header-read timeout, connection cap and shutdown bound of [`Backend::serve`].
    pub serve: ServeOptions,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            legacy: None,
            v1: None,
            openapi: OpenApiConfig::default(),
            allowed_corp_ids: None,
            replay_ttl: Duration::from_secs(15 * 60),
            replay_capacity: 100_000,
            replay_store: ReplayStoreConfig::Memory,
            replay_wait: None,
            max_body_bytes: 8 * 1024,
            session_ttl_secs: 3600,
            body_read_timeout: Duration::from_secs(10),
            serve: ServeOptions::default(),
        }
    }
}

impl BackendConfig {
    /// The backend wired to a fake DingTalk at `fake_url` with [`crate::fake::FakeConfig::demo`]'s
    /// credentials.
    pub fn demo(fake_url: &str) -> Self {
        use crate::fake::demo;
        BackendConfig {
            legacy: Some(LegacyCredentials {
                app_key: demo::LEGACY_APP_KEY.into(),
                app_secret: Secret::new(demo::LEGACY_APP_SECRET),
            }),
            v1: Some(ClientCredentials {
                client_id: demo::CLIENT_ID.into(),
                client_secret: Secret::new(demo::CLIENT_SECRET),
            }),
            openapi: OpenApiConfig {
                oapi_base: fake_url.into(),
                api_base: fake_url.into(),
                ..OpenApiConfig::default()
            },
            ..BackendConfig::default()
        }
    }
}

/// Which replay store the backend uses. `Debug` never shows a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum ReplayStoreConfig {
    /// This process's memory: one instance (the default).
    Memory,
    /// A Redis shared by every instance.
    Redis {
        /// `redis://[user:password@]host:port[/db]`.
        url: String,
        /// Deadline of one Redis operation (default 1 s): beyond it the login fails closed.
        op_timeout: Duration,
    },
}

impl std::fmt::Debug for ReplayStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayStoreConfig::Memory => f.write_str("Memory"),
            ReplayStoreConfig::Redis { url, op_timeout } => {
                let shown = match url::Url::parse(url) {
                    Ok(mut u) if u.password().is_some() => {
                        let _ = u.set_password(Some("***"));
                        u.to_string()
                    }
                    Ok(u) => u.to_string(),
                    Err(_) => "(unparsable URL)".into(),
                };
                f.debug_struct("Redis")
                    .field("url", &shown)
                    .field("op_timeout", op_timeout)
                    .finish()
            }
        }
    }
}

/// The backend service. Cheap to clone; clones share the replay store.
#[derive(Clone)]
pub struct Backend {
    inner: Arc<Inner>,
}

struct Inner {
    config: BackendConfig,
    client: OpenApiClient,
    replay: Box<dyn ReplayStore>,
    replay_wait: Duration,
}

impl Backend {
    /// Builds the backend (and its DingTalk client).
    pub fn new(config: BackendConfig) -> Result<Self, OpenApiError> {
        let client = OpenApiClient::new(config.openapi.clone())?;
        // The longest one exchange can take: two DingTalk calls, each with its timeouts.
        let exchange_bound = 2 * (config.openapi.request_timeout + config.openapi.connect_timeout);
        let replay_wait = config
            .replay_wait
            .unwrap_or(exchange_bound + Duration::from_secs(5));
        let replay: Box<dyn ReplayStore> = match &config.replay_store {
            ReplayStoreConfig::Memory => {
                Box::new(MemoryStore::new(config.replay_ttl, config.replay_capacity))
            }
            ReplayStoreConfig::Redis { url, op_timeout } => Box::new(
                RedisStore::new(
                    url,
                    RedisTimings {
                        ttl: config.replay_ttl,
                        // A claim outlives any exchange and any wait for it.
                        lease: replay_wait.max(exchange_bound) + Duration::from_secs(5),
                        op_timeout: *op_timeout,
                    },
                )
                .map_err(OpenApiError::Config)?,
            ),
        };
        Ok(Backend {
            inner: Arc::new(Inner {
                config,
                client,
                replay,
                replay_wait,
            }),
        })
    }

    /// The axum router: `POST /v1/login`, `GET /healthz`, JSON 404/405, request logs.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/login", post(login).fallback(method_not_allowed))
            .route("/healthz", get(healthz).fallback(method_not_allowed))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(self.inner.config.max_body_bytes))
            .layer(middleware::from_fn(|req, next| {
                request_log("backend", req, next)
            }))
            .with_state(self.clone())
    }

    /// Serves on `listener` until [`RunningServer::shutdown`].
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<RunningServer> {
        self.serve_with_signal(listener, std::future::pending())
            .await
    }

    /// As [`Backend::serve`], also stopping gracefully when `signal` completes; connections are
    /// handled as [`BackendConfig::serve`] says.
    pub async fn serve_with_signal(
        self,
        listener: TcpListener,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<RunningServer> {
        let options = self.inner.config.serve;
        RunningServer::start_with(self.router(), listener, signal, options).await
    }

    /// How many codes the memory replay store remembers right now (bounded by `replay_capacity`);
    /// 0 with the Redis store (whose keys expire by themselves).
    pub fn replay_entries(&self) -> usize {
        self.inner.replay.entries().unwrap_or(0)
    }

    /// `memory` or `redis`.
    pub fn replay_store_kind(&self) -> &'static str {
        self.inner.replay.kind()
    }
}

async fn healthz(State(backend): State<Backend>) -> impl IntoResponse {
    Json(
        serde_json::json!({"status": "ok", "replayStore": backend.replay_store_kind(),
        "replayEntries": backend.inner.replay.entries()}),
    )
}

async fn not_found() -> Response {
    ApiError::new(
        ErrorCode::NotFound,
        "no such endpoint; logins go to POST /v1/login",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed").into_response()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    LegacySdk,
    NewSdk,
    Browser,
}

impl Flow {
    fn as_str(self) -> &'static str {
        match self {
            Flow::LegacySdk => "legacy_sdk",
            Flow::NewSdk => "new_sdk",
            Flow::Browser => "browser",
        }
    }
}

/// A checked grant JSON v1.
struct Grant {
    flow: Flow,
    client_id: String,
    platform: &'static str,
    code: String,
    scope: String,
    idempotency_key: String,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidGrant, msg)
}

fn str_field<'a>(v: &'a serde_json::Value, name: &str) -> Result<&'a str, ApiError> {
    match v.get(name) {
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(_) => Err(bad(format!("`{name}` must be a string"))),
        None => Err(bad(format!("`{name}` is missing"))),
    }
}

fn is_b64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks the grant without ever echoing its values (the code must not reach an error message).
fn parse_grant(body: &[u8]) -> Result<Grant, ApiError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| bad("the body is not JSON"))?;
    if !v.is_object() {
        return Err(bad("the body must be a JSON object"));
    }
    match v.get("version").and_then(|x| x.as_u64()) {
        Some(1) => {}
        _ => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedVersion,
                "`version` must be 1 (grant JSON v1)",
            ))
        }
    }
    let flow = match str_field(&v, "flow")? {
        "legacy_sdk" => Flow::LegacySdk,
        "new_sdk" => Flow::NewSdk,
        "browser" => Flow::Browser,
        _ => return Err(bad("`flow` must be legacy_sdk, new_sdk or browser")),
    };
    let platform = match str_field(&v, "platform")? {
        "android" => "android",
        "ios" => "ios",
        _ => return Err(bad("`platform` must be android or ios")),
    };
    let client_id = str_field(&v, "client_id")?;
    if client_id.is_empty() || client_id.len() > 128 {
        return Err(bad("`client_id` must be 1..=128 characters"));
    }
    let code = str_field(&v, "code")?;
    if code.is_empty() || code.len() > 512 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("`code` must be 1..=512 printable ASCII characters"));
    }
    let scope = str_field(&v, "scope")?;
    match v.get("issued_at_ms") {
        Some(x) if x.as_u64().is_some() => {}
        _ => return Err(bad("`issued_at_ms` must be a non-negative integer")),
    }
    let key = str_field(&v, "idempotency_key")?;
    if !(16..=128).contains(&key.len()) || !is_b64url(key) {
        return Err(bad(
            "`idempotency_key` must be 16..=128 base64url characters",
        ));
    }
    Ok(Grant {
        flow,
        client_id: client_id.to_owned(),
        platform,
        code: code.to_owned(),
        scope: scope.to_owned(),
        idempotency_key: key.to_owned(),
    })
}

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn short(d: &Digest) -> String {
    d[..4].iter().map(|b| format!("{b:02x}")).collect()
}

async fn login(State(backend): State<Backend>, headers: HeaderMap, body: Body) -> Response {
    match login_inner(&backend, &headers, body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn login_inner(
    backend: &Backend,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let cfg = &backend.inner.config;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let body = read_body(cfg, headers, body).await?;
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    let grant = parse_grant(&body)?;
    if let Some(h) = headers.get("idempotency-key") {
        if h.as_bytes() != grant.idempotency_key.as_bytes() {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyMismatch,
                "the Idempotency-Key header differs from the grant's idempotency_key",
            ));
        }
    }
    // Flow, client id and scope: refused before the code is remembered or sent anywhere.
    match grant.flow {
        Flow::LegacySdk => {
            let Some(c) = &cfg.legacy else {
                return Err(ApiError::new(
                    ErrorCode::FlowNotEnabled,
                    "this backend has no legacy AppKey/AppSecret",
                ));
            };
            if c.app_key != grant.client_id {
                return Err(ApiError::new(
                    ErrorCode::ClientIdMismatch,
                    "client_id is not this backend's legacy AppKey",
                ));
            }
            if grant.scope != "sns_login" {
                return Err(ApiError::new(
                    ErrorCode::InvalidScope,
                    "legacy SDK logins use scope sns_login",
                ));
            }
        }
        Flow::NewSdk | Flow::Browser => {
            let Some(c) = &cfg.v1 else {
                return Err(ApiError::new(
                    ErrorCode::FlowNotEnabled,
                    "this backend has no ClientId/ClientSecret",
                ));
            };
            if c.client_id != grant.client_id {
                return Err(ApiError::new(
                    ErrorCode::ClientIdMismatch,
                    "client_id is not this backend's ClientId",
                ));
            }
            if grant.scope != "openid" && grant.scope != "openid corpid" {
                return Err(ApiError::new(
                    ErrorCode::InvalidScope,
                    "scope must be \"openid\" or \"openid corpid\"",
                ));
            }
        }
    }
    if cfg.allowed_corp_ids.is_some() && grant.scope != "openid corpid" {
        return Err(ApiError::new(
            ErrorCode::CorpScopeRequired,
            "this backend only admits members of listed organisations: log in with scope \"openid corpid\"",
        ));
    }

    let family: &[u8] = if grant.flow == Flow::LegacySdk {
        b"legacy"
    } else {
        b"v1"
    };
    let code_d = sha256(&[b"code", family, grant.code.as_bytes()]);
    let idem_d = sha256(&[b"idem", grant.idempotency_key.as_bytes()]);
    let grant_d = sha256(&[
        b"grant",
        grant.flow.as_str().as_bytes(),
        grant.client_id.as_bytes(),
        grant.platform.as_bytes(),
        grant.scope.as_bytes(),
        grant.code.as_bytes(),
    ]);
    let key = short(&idem_d);
    let keys = Keys {
        code: code_d,
        idem: idem_d,
        grant: grant_d,
    };
    let store = &backend.inner.replay;
    let claim = store.claim(keys).await.map_err(|e| store_unavailable(&e))?;
    let stored = match claim {
        Claim::Replayed => {
            tracing::warn!(flow = grant.flow.as_str(), key, "replayed code refused");
            return Err(ApiError::new(
                ErrorCode::CodeReplayed,
                "this code was already submitted; start a new login",
            ));
        }
        Claim::KeyReused => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this idempotency key was already used for a different grant",
            ))
        }
        Claim::Done(s) => return Ok(replayed(&s)),
        Claim::Wait(w) => {
            return match store.wait(w, backend.inner.replay_wait).await {
                Ok(Some(s)) => Ok(replayed(&s)),
                Ok(None) => Err(ApiError::new(
                    ErrorCode::ReplayPending,
                    "this grant is being exchanged by an earlier request that has not answered yet; submit it again",
                )),
                Err(e) => Err(store_unavailable(&e)),
            };
        }
        Claim::Fresh(ticket) => {
            // The exchange runs on its own task so a client that hangs up cannot leave the claim
            // pending or abort a half-done exchange.
            let b = backend.clone();
            let flow = grant.flow;
            let platform = grant.platform;
            let task = tokio::spawn(async move {
                let started = Instant::now();
                let (stored, keep) = exchange(&b, &grant).await;
                tracing::info!(
                    flow = flow.as_str(),
                    platform,
                    key,
                    status = stored.status.as_u16(),
                    error = stored.error,
                    exchange_us = started.elapsed().as_micros() as u64,
                    "login"
                );
                let stored = Arc::new(stored);
                if let Err(e) = b.inner.replay.finish(ticket, stored.clone(), keep).await {
                    // The answer still goes to the client; a retry after the claim's lease lapses
                    // reaches DingTalk, which refuses a spent code.
                    tracing::error!(key, error = %e, "could not record the answer in the replay store");
                }
                stored
            });
            task.await
                .map_err(|_| ApiError::new(ErrorCode::Internal, "the exchange task failed"))?
        }
    };
    Ok(stored_response(
        stored.status,
        stored.body.clone(),
        stored.error,
    ))
}

/// The whole body within `max_body_bytes` and `body_read_timeout` (a client that announces a body
/// and stalls is answered 408 instead of holding the connection).
async fn read_body(
    cfg: &BackendConfig,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the grant must be at most {} bytes", cfg.max_body_bytes),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > cfg.max_body_bytes as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, cfg.max_body_bytes);
    match tokio::time::timeout(cfg.body_read_timeout, limited.collect()).await {
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(bad("could not read the body")),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Fail closed: without the store, no code is sent to DingTalk.
fn store_unavailable(e: &replay::StoreError) -> ApiError {
    tracing::error!(error = %e, "replay store unavailable: refusing logins");
    ApiError::new(
        ErrorCode::ReplayStoreUnavailable,
        "the backend cannot reach its replay store; no code was exchanged, retry later",
    )
}

fn replayed(s: &Stored) -> Response {
    let mut r = stored_response(s.status, s.body.clone(), s.error);
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

/// Talks to DingTalk. Returns the answer and whether to keep it for retries (false when the code was
/// certainly or possibly not consumed, so a retry may succeed).
async fn exchange(backend: &Backend, grant: &Grant) -> (Stored, bool) {
    let cfg = &backend.inner.config;
    let client = &backend.inner.client;
    let result: Result<Identity, (ApiError, bool)> = async {
        match grant.flow {
            Flow::LegacySdk => {
                let creds = cfg.legacy.as_ref().expect("checked");
                let info = client
                    .legacy_user_info_by_code(creds, &grant.code)
                    .await
                    .map_err(|e| (ApiError::from_openapi(&e), definitely_consumed(&e)))?;
                Ok(Identity {
                    union_id: info.union_id,
                    open_id: info.open_id,
                    nick: info.nick,
                    avatar_url: None,
                    corp_id: None,
                })
            }
            Flow::NewSdk | Flow::Browser => {
                let creds = cfg.v1.as_ref().expect("checked");
                let token = client
                    .user_access_token(creds, &grant.code)
                    .await
                    .map_err(|e| (ApiError::from_openapi(&e), definitely_consumed(&e)))?;
                // The code is consumed from here on: keep whatever answer follows.
                let me = client
                    .contact_users_me(&token.access_token)
                    .await
                    .map_err(|e| (ApiError::from_openapi(&e), true))?;
                Ok(Identity {
                    union_id: me.union_id,
                    open_id: me.open_id,
                    nick: me.nick,
                    avatar_url: me.avatar_url,
                    corp_id: token.corp_id,
                })
            }
        }
    }
    .await;
    let identity = match result {
        Ok(i) => i,
        Err((e, keep)) => return (error_stored(&e, keep), keep),
    };
    if let Some(allowed) = &cfg.allowed_corp_ids {
        let ok = identity
            .corp_id
            .as_ref()
            .is_some_and(|c| allowed.contains(c));
        if !ok {
            let e = ApiError::new(
                ErrorCode::CorpNotAllowed,
                "the user's organisation is not allowed to use this app",
            );
            return (error_stored(&e, true), true);
        }
    }
    let body = serde_json::json!({
        "flow": grant.flow.as_str(),
        "unionId": identity.union_id,
        "openId": identity.open_id,
        "nick": identity.nick,
        "avatarUrl": identity.avatar_url,
        "corpId": identity.corp_id,
        "sessionToken": random_token(32),
        "expiresIn": cfg.session_ttl_secs,
    });
    (
        Stored {
            status: StatusCode::OK,
            body: Bytes::from(serde_json::to_vec(&body).expect("JSON serialises")),
            error: None,
        },
        true,
    )
}

/// The retry rule: only DingTalk's explicit verdict on the code itself burns it (40078, a 4xx on the
/// token endpoint that is not about credentials or limits). Everything else (clock skew, credentials,
/// rate limits, ban page, timeouts, 5xx, garbage, unknown errcodes) is forgotten so the same grant
/// can be retried; if an ambiguous failure did consume the code, DingTalk refuses the retry and the
/// app gets `invalid_code`.
fn definitely_consumed(e: &OpenApiError) -> bool {
    matches!(
        e,
        OpenApiError::CodeInvalid { .. } | OpenApiError::InvalidGrant(_)
    )
}

/// A failure answer; `kept` answers (the code is spent) tell the app not to retry the same grant.
fn error_stored(e: &ApiError, kept: bool) -> Stored {
    Stored {
        status: e.code.status(),
        body: e.body_with(e.code.retryable() && !kept),
        error: Some(e.code.as_str()),
    }
}

struct Identity {
    union_id: String,
    open_id: String,
    nick: String,
    avatar_url: Option<String>,
    corp_id: Option<String>,
}
