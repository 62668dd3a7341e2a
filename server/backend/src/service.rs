//! The service: `POST /v1/login`, `GET /healthz` (liveness) and `GET /readyz` (readiness: the
//! replay store answers), with JSON 404/405 and request logs. A login
//! reads top to bottom: [`Intake`] → [`policy::admit`] → [`ReplayStore::exchange_once`] running
//! [`exchange::exchange`] → the answer.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use dingtalk_openapi::{OpenApiClient, OpenApiError};
use tokio::net::TcpListener;

use crate::config::{BackendConfig, ReplayStoreConfig};
use crate::error::{stored_response, ApiError, ErrorCode};
use crate::exchange;
use crate::h5;
use crate::intake::Intake;
use crate::member::Members;
use crate::policy;
use crate::replay::{Keys, OnceError, ReplayStore, Stored, Verdict};
use crate::serve::{request_log, RunningServer};
use crate::session::Sessions;

/// The backend service. Cheap to clone; clones share the replay store.
#[derive(Clone)]
pub struct Backend {
    inner: Arc<Inner>,
}

struct Inner {
    config: BackendConfig,
    client: OpenApiClient,
    replay: ReplayStore,
    replay_wait: std::time::Duration,
    members: Option<Members>,
    sessions: Sessions,
}

impl Backend {
    /// Builds the backend (and its DingTalk client).
    pub fn new(config: BackendConfig) -> Result<Self, OpenApiError> {
        if matches!(config.replay_store, ReplayStoreConfig::Redis(_))
            && config.session.keys.is_none()
        {
            // Several instances share the Redis: a token one signed must verify at every one's JWKS.
            return Err(OpenApiError::Config(
                "a Redis replay store means several instances, which must sign session tokens with one shared key: set DINGTALK_SESSION_KEY or DINGTALK_SESSION_KEY_FILE".into(),
            ));
        }
        let window = std::time::Duration::from_secs(dingtalk_auth::wire::IDEMPOTENCY_WINDOW_SECS);
        if config.replay_ttl < window {
            // Apps re-send a grant they have not seen answered for the whole window (the core's
            // KeptGrant): a shorter memory would exchange a re-sent code again instead of answering.
            return Err(OpenApiError::Config(format!(
                "--replay-ttl-secs {} is shorter than the {} s apps re-send a grant for: use at least {}",
                config.replay_ttl.as_secs(),
                window.as_secs(),
                window.as_secs()
            )));
        }
        let client = OpenApiClient::new(config.openapi.clone())?;
        let replay_wait = config.replay_wait();
        let replay = ReplayStore::new(&config).map_err(OpenApiError::Config)?;
        let members = Members::for_config(&config, &client, &replay)?;
        let sessions = Sessions::new(&config.session, config.session_ttl_secs)
            .map_err(OpenApiError::Config)?;
        Ok(Backend {
            inner: Arc::new(Inner {
                config,
                client,
                replay,
                replay_wait,
                members,
                sessions,
            }),
        })
    }

    pub(crate) fn config(&self) -> &BackendConfig {
        &self.inner.config
    }

    pub(crate) fn client(&self) -> &OpenApiClient {
        &self.inner.client
    }

    pub(crate) fn members(&self) -> Option<&Members> {
        self.inner.members.as_ref()
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The axum router: `POST /v1/login`, `GET /healthz`, `GET /readyz`, JSON 404/405, request
    /// logs.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/login", post(login).fallback(method_not_allowed))
            .route("/healthz", get(healthz).fallback(method_not_allowed))
            .route(
                "/.well-known/jwks.json",
                get(jwks).fallback(method_not_allowed),
            )
            .route("/readyz", get(readyz).fallback(method_not_allowed))
            .route(
                "/v1/session/refresh",
                post(crate::session::refresh).fallback(method_not_allowed),
            )
            .route("/h5/", get(h5::page).fallback(method_not_allowed))
            .route(
                "/h5/dingtalk-jsapi.js",
                get(h5::jsapi).fallback(method_not_allowed),
            )
            .route("/v1/h5/start", get(h5::start).fallback(method_not_allowed))
            .route(
                "/v1/h5/free-login",
                post(h5::free_login).fallback(method_not_allowed),
            )
            .route(
                "/v1/h5/web-login",
                post(h5::web_login).fallback(method_not_allowed),
            )
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

    /// Checks the replay store once at start-up (Redis: connects without retrying and writes),
    /// then watches it in the background. The error is one line, as the store said it (wrong
    /// password, refused, unknown host, DB index out of range, TLS…): the caller exits with it.
    pub async fn check_replay_store(&self) -> Result<(), String> {
        self.inner.replay.check().await.map_err(|e| {
            format!(
                "replay store {}: {e}",
                self.inner.config.replay_store.describe()
            )
        })
    }

    /// `memory` or `redis`.
    pub fn replay_store_kind(&self) -> &'static str {
        self.inner.replay.kind()
    }
}

async fn login(
    State(backend): State<Backend>,
    Intake(grant): Intake,
) -> Result<Response, ApiError> {
    let route = policy::admit(&backend.inner.config, &grant)?;
    let keys = Keys::of(&grant);
    let log_id = keys.log_id();
    let flow = grant.flow.wire_name();
    let b = backend.clone();
    let exchange = async move {
        let inner = &b.inner;
        exchange::exchange(
            &inner.client,
            &inner.config,
            inner.members.as_ref(),
            &inner.sessions,
            route,
            exchange::Login::of(&grant),
            &log_id,
        )
        .await
    };
    answer_once(&backend, keys, flow, exchange).await
}

/// Runs `exchange` through the replay store (at most once per code, on any instance) and turns the
/// verdict into the answer: every code the backend exchanges ends here.
pub(crate) async fn answer_once(
    backend: &Backend,
    keys: Keys,
    flow: &'static str,
    exchange: impl std::future::Future<Output = (Stored, bool)> + Send + 'static,
) -> Result<Response, ApiError> {
    let verdict = backend
        .inner
        .replay
        .exchange_once(keys, backend.inner.replay_wait, exchange)
        .await;
    match verdict {
        Ok(Verdict::Exchanged(s)) => Ok(answer(&s)),
        Ok(Verdict::Replay(s)) => {
            let mut r = answer(&s);
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(r)
        }
        Ok(Verdict::CodeReplayed) => {
            tracing::warn!(flow, key = keys.log_id(), "replayed code refused");
            Err(ApiError::new(
                ErrorCode::CodeReplayed,
                "this code was already submitted; start a new login",
            ))
        }
        Ok(Verdict::KeyReused) => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency key was already used for a different grant",
        )),
        Ok(Verdict::Pending) => Err(ApiError::new(
            ErrorCode::ReplayPending,
            "this grant is being exchanged by an earlier request that has not answered yet; submit it again",
        )),
        Err(OnceError::Store) => {
            // Fail closed: without the store, no code is sent to DingTalk. The store logs each
            // change of its state once, not once per request.
            Err(ApiError::new(
                ErrorCode::ReplayStoreUnavailable,
                "the backend cannot reach its replay store; no code was exchanged, retry later",
            ))
        }
        Err(OnceError::ExchangeTaskFailed) => Err(ApiError::new(
            ErrorCode::Internal,
            "the exchange task failed",
        )),
    }
}

fn answer(s: &Stored) -> Response {
    stored_response(s.status, s.body.clone(), s.error)
}

async fn healthz(State(backend): State<Backend>) -> impl IntoResponse {
    Json(
        serde_json::json!({"status": "ok", "replayStore": backend.replay_store_kind(),
        "replayEntries": backend.inner.replay.entries()}),
    )
}

/// The public keys of the session tokens (any JWT library verifies them against this).
async fn jwks(State(backend): State<Backend>) -> Response {
    let mut r = Json(backend.inner.sessions.jwks()).into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// Readiness for a load balancer: 503 while the replay store cannot be reached, so the instance is
/// taken out of rotation instead of answering every login 503; `/healthz` (liveness) stays 200.
async fn readyz(State(backend): State<Backend>) -> Response {
    match backend.inner.replay.ready().await {
        Ok(()) => Json(serde_json::json!({"status": "ready", "replayStore": backend.replay_store_kind()}))
            .into_response(),
        Err(e) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not_ready", "replayStore": backend.replay_store_kind(), "reason": e.0})),
        )
            .into_response(),
    }
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
