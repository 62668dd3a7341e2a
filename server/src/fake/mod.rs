//! A fake DingTalk: the legacy `oapi` host, the v1.0 `api` host and the `login` host on one port.
//!
//! DingTalk endpoints (documented behaviour, BRIEF §2):
//! * `POST /sns/getuserinfo_bycode?accessKey=&timestamp=&signature=` `{"tmp_auth_code"}`: always HTTP
//!   200 with `errcode`: 853001 timestamp missing/not a number, 853002 more than 60 s from the fake's
//!   clock, 853003 unknown accessKey, 853004 signature mismatch (checked by the fake's own HMAC, see
//!   `sign.rs`), 40078 unknown, expired, already used or non-legacy code.
//! * `POST /v1.0/oauth2/userAccessToken`: JSON only (a form body is refused as DingTalk's gateway
//!   does: it sees no `clientId`); `authorization_code` and `refresh_token` grants; `corpId` only for
//!   scope `openid corpid`; access tokens expire after `access_ttl_secs`, refresh tokens rotate.
//! * `GET /v1.0/contact/users/me`: needs `x-acs-dingtalk-access-token`, else 401
//!   `InvalidAuthentication`.
//! * `GET /oauth2/auth?client_id&redirect_uri&response_type=code&scope&state&prompt=consent`: checks
//!   the parameters (an HTML error page, no redirect, when they are wrong) then, depending on the
//!   browser mode, shows a consent page (approve / deny buttons post to `/oauth2/auth/decision`) or
//!   redirects at once to `redirect_uri?authCode=…&state=…` (or `?error=access_denied&state=…`).
//!
//! Test controls (no authentication: bind to loopback):
//! * `POST /_fake/mint {"flow":"legacy_sdk"|"new_sdk"|"browser","clientId"?,"scope"?,"user"?:{…}}` →
//!   `{"code","expiresIn"}`: what the DingTalk app would hand back to the SDK.
//! * `POST /_fake/faults {"endpoint":"legacy"|"token"|"me"|"authorize"|"all","fault":{"kind":…},"times"?}`,
//!   `DELETE /_fake/faults`. Kinds: `{"kind":"status","status":503}`, `{"kind":"delay","ms":2000}`,
//!   `{"kind":"html_ban"}`, `{"kind":"malformed_json"}`, `{"kind":"rate_limit","errcode":90019}`.
//! * `POST /_fake/clock {"advanceMs": n}` moves the fake's clock (expiry, skew) without sleeping.
//! * `POST /_fake/browser {"mode":"page"|"approve"|"deny","user"?:{…}}`.
//! * `GET /_fake/stats` → requests per endpoint (proves a replay never reached DingTalk).
//!
//! Where DingTalk documents no exact error code, the fake's choice is marked "assumed" below.

mod sign;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Form, Json, Router};
use dingtalk_auth::openapi::Secret;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::util::{random_hex, request_log, RunningServer};

/// Credentials of [`FakeConfig::demo`] (and of `BackendConfig::demo`). Not secret: loopback demos only.
pub mod demo {
    /// Legacy accessKey.
    pub const LEGACY_APP_KEY: &str = "dingdemolegacyappkey";
    /// Legacy AppSecret.
    pub const LEGACY_APP_SECRET: &str = "demo-legacy-app-secret-0123456789abcdef";
    /// v1.0 ClientId.
    pub const CLIENT_ID: &str = "dingdemoclientid";
    /// v1.0 ClientSecret.
    pub const CLIENT_SECRET: &str = "demo-client-secret-0123456789abcdef";
}

/// A DingTalk user as the fake returns it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FakeUser {
    /// `nick`.
    pub nick: String,
    /// `unionId` / `unionid`.
    pub union_id: String,
    /// `openId` / `openid`.
    pub open_id: String,
    /// `avatarUrl`.
    pub avatar_url: Option<String>,
    /// The organisation picked at login; returned as `corpId` only for scope `openid corpid`.
    pub corp_id: Option<String>,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `stateCode`.
    pub state_code: Option<String>,
}

impl Default for FakeUser {
    fn default() -> Self {
        FakeUser {
            nick: "张三 (fake)".into(),
            union_id: "fakeUnionId0001".into(),
            open_id: "fakeOpenId0001".into(),
            avatar_url: Some("https://static.dingtalk.com/fake/avatar.png".into()),
            corp_id: Some("dingfakecorp0001".into()),
            mobile: None,
            email: None,
            state_code: Some("86".into()),
        }
    }
}

/// Partial user in a mint or browser request; missing fields come from the default user.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPatch {
    /// `nick`.
    pub nick: Option<String>,
    /// `unionId`.
    pub union_id: Option<String>,
    /// `openId`.
    pub open_id: Option<String>,
    /// `avatarUrl`.
    pub avatar_url: Option<String>,
    /// `corpId`.
    pub corp_id: Option<String>,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `email`.
    pub email: Option<String>,
}

impl UserPatch {
    fn apply(self, base: &FakeUser) -> FakeUser {
        FakeUser {
            nick: self.nick.unwrap_or_else(|| base.nick.clone()),
            union_id: self.union_id.unwrap_or_else(|| base.union_id.clone()),
            open_id: self.open_id.unwrap_or_else(|| base.open_id.clone()),
            avatar_url: self.avatar_url.or_else(|| base.avatar_url.clone()),
            corp_id: self.corp_id.or_else(|| base.corp_id.clone()),
            mobile: self.mobile.or_else(|| base.mobile.clone()),
            email: self.email.or_else(|| base.email.clone()),
            state_code: base.state_code.clone(),
        }
    }
}

/// Fake configuration. `Debug` never shows secrets.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Legacy apps: accessKey → AppSecret.
    pub legacy_apps: Vec<(String, Secret)>,
    /// v1.0 apps: clientId → clientSecret.
    pub clients: Vec<(String, Secret)>,
    /// Auth codes live this long (DingTalk: 5 minutes).
    pub code_ttl: Duration,
    /// `expireIn` of access tokens (DingTalk: 7200 s).
    pub access_ttl_secs: u64,
    /// Refresh tokens live this long (DingTalk: 30 days).
    pub refresh_ttl_secs: u64,
    /// Largest accepted distance between the legacy `timestamp` and the fake's clock (60 s).
    pub max_skew_ms: u64,
    /// Benchmark mode: codes with this prefix are accepted any number of times without minting
    /// (legacy and v1.0), giving the default user; their access token is `<prefix>access`.
    pub bench_code_prefix: Option<String>,
    /// The user minted when a request names none, and the browser page's user.
    pub default_user: FakeUser,
    /// When non-empty, `/oauth2/auth` only accepts a `redirect_uri` starting with one of these.
    pub redirect_uri_prefixes: Vec<String>,
}

impl FakeConfig {
    /// One legacy app and one v1.0 app with the [`demo`] credentials.
    pub fn demo() -> Self {
        FakeConfig {
            legacy_apps: vec![(
                demo::LEGACY_APP_KEY.into(),
                Secret::new(demo::LEGACY_APP_SECRET),
            )],
            clients: vec![(demo::CLIENT_ID.into(), Secret::new(demo::CLIENT_SECRET))],
            code_ttl: Duration::from_secs(300),
            access_ttl_secs: 7200,
            refresh_ttl_secs: 30 * 24 * 3600,
            max_skew_ms: 60_000,
            bench_code_prefix: None,
            default_user: FakeUser::default(),
            redirect_uri_prefixes: Vec::new(),
        }
    }
}

/// Which endpoint a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    /// `/sns/getuserinfo_bycode`.
    Legacy,
    /// `/v1.0/oauth2/userAccessToken`.
    Token,
    /// `/v1.0/contact/users/me`.
    Me,
    /// `/oauth2/auth`.
    Authorize,
    /// Legacy, token and me.
    All,
}

/// An injected fault.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer this HTTP status (a small JSON `{code,message}` body; plain text on the legacy host).
    Status {
        /// e.g. 500, 502, 503.
        status: u16,
    },
    /// Wait this long, then answer normally (set it beyond the client's timeout).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// DingTalk's IP-ban answer: HTTP 403 with an HTML page (status assumed).
    HtmlBan,
    /// HTTP 200, `Content-Type: application/json`, truncated JSON.
    MalformedJson,
    /// Legacy: HTTP 200 `{"errcode": errcode (default 90002)}`; v1.0: HTTP 429
    /// `{"code":"Throttling.Api"}` (code assumed).
    RateLimit {
        /// 90002, 90019 or 90020 (legacy only).
        errcode: Option<i64>,
    },
}

/// What `/oauth2/auth` does after checking its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BrowserMode {
    /// Show a consent page with approve / deny buttons (for real and headless browsers).
    #[default]
    Page,
    /// Redirect with a fresh `authCode` at once.
    Approve,
    /// Redirect with `error=access_denied` at once.
    Deny,
}

/// The flow a code is minted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MintFlow {
    /// A legacy SDK code: exchanged at `getuserinfo_bycode` only.
    LegacySdk,
    /// A new SDK code: exchanged at `userAccessToken` only.
    NewSdk,
    /// A browser code: exchanged at `userAccessToken` only.
    Browser,
}

/// A mint request (`POST /_fake/mint`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintRequest {
    /// Which flow.
    pub flow: MintFlow,
    /// The accessKey (legacy) or clientId; default: the first configured.
    pub client_id: Option<String>,
    /// `openid` or `openid corpid` (v1.0 flows); default `openid`.
    pub scope: Option<String>,
    /// The user; missing fields from the default user.
    #[serde(default)]
    pub user: Option<UserPatch>,
}

/// Requests received per endpoint.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FakeStats {
    /// `/sns/getuserinfo_bycode`.
    pub legacy: u64,
    /// `/v1.0/oauth2/userAccessToken`.
    pub token: u64,
    /// `/v1.0/contact/users/me`.
    pub me: u64,
    /// `/oauth2/auth` and its decision.
    pub authorize: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeKind {
    Legacy,
    V1,
}

struct CodeEntry {
    kind: CodeKind,
    client_id: String,
    user: FakeUser,
    corp_scope: bool,
    expires_ms: i64,
}

struct TokenEntry {
    client_id: String,
    user: FakeUser,
    corp_scope: bool,
    expires_ms: i64,
}

#[derive(Default)]
struct Tables {
    codes: HashMap<String, CodeEntry>,
    access: HashMap<String, TokenEntry>,
    refresh: HashMap<String, TokenEntry>,
}

struct Inner {
    config: FakeConfig,
    clock_offset_ms: AtomicI64,
    tables: Mutex<Tables>,
    faults: Mutex<HashMap<FaultEndpoint, (Fault, Option<u32>)>>,
    browser: Mutex<(BrowserMode, FakeUser)>,
    n_legacy: AtomicU64,
    n_token: AtomicU64,
    n_me: AtomicU64,
    n_authorize: AtomicU64,
}

/// The fake DingTalk. Cheap to clone; clones share state, so a test can mint, advance the clock and
/// inject faults in-process while the router serves.
#[derive(Clone)]
pub struct FakeDingTalk {
    inner: Arc<Inner>,
}

impl FakeDingTalk {
    /// A fake with this configuration.
    pub fn new(config: FakeConfig) -> Self {
        let user = config.default_user.clone();
        FakeDingTalk {
            inner: Arc::new(Inner {
                config,
                clock_offset_ms: AtomicI64::new(0),
                tables: Mutex::new(Tables::default()),
                faults: Mutex::new(HashMap::new()),
                browser: Mutex::new((BrowserMode::Page, user)),
                n_legacy: AtomicU64::new(0),
                n_token: AtomicU64::new(0),
                n_me: AtomicU64::new(0),
                n_authorize: AtomicU64::new(0),
            }),
        }
    }

    /// The router with every endpoint listed in the module docs.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/sns/getuserinfo_bycode", post(legacy_userinfo))
            .route("/v1.0/oauth2/userAccessToken", post(user_access_token))
            .route("/v1.0/contact/users/me", get(users_me))
            .route("/oauth2/auth", get(authorize))
            .route("/oauth2/auth/decision", post(decision))
            .route("/_fake/mint", post(mint_http))
            .route(
                "/_fake/faults",
                post(set_fault_http).delete(clear_faults_http),
            )
            .route("/_fake/clock", post(clock_http))
            .route("/_fake/browser", post(browser_http))
            .route("/_fake/stats", get(stats_http))
            .route(
                "/healthz",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            )
            .layer(middleware::from_fn(|req, next| {
                request_log("fake", req, next)
            }))
            .with_state(self.clone())
    }

    /// Serves on `listener` until [`RunningServer::shutdown`].
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<RunningServer> {
        RunningServer::start(self.router(), listener).await
    }

    /// The fake's clock: the system clock plus the offset set by [`Self::advance_clock`].
    pub fn now_ms(&self) -> i64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        sys + self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the fake's clock (negative values move it back).
    pub fn advance_clock(&self, ms: i64) {
        self.inner.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Mints a code as the DingTalk app would hand it to the SDK.
    pub fn mint(&self, req: MintRequest) -> Result<String, String> {
        let cfg = &self.inner.config;
        let (kind, known) = match req.flow {
            MintFlow::LegacySdk => (CodeKind::Legacy, &cfg.legacy_apps),
            MintFlow::NewSdk | MintFlow::Browser => (CodeKind::V1, &cfg.clients),
        };
        let client_id = match req.client_id {
            Some(c) => c,
            None => known
                .first()
                .map(|(k, _)| k.clone())
                .ok_or("no app configured for this flow")?,
        };
        if !known.iter().any(|(k, _)| *k == client_id) {
            return Err("unknown client id for this flow".into());
        }
        let corp_scope = match (kind, req.scope.as_deref()) {
            (CodeKind::Legacy, None | Some("sns_login")) => false,
            (CodeKind::V1, None | Some("openid")) => false,
            (CodeKind::V1, Some("openid corpid")) => true,
            _ => return Err("scope does not fit the flow".into()),
        };
        let user = req.user.unwrap_or_default().apply(&cfg.default_user);
        let code = random_hex(16);
        let expires_ms = self.now_ms() + cfg.code_ttl.as_millis() as i64;
        let mut t = self.inner.tables.lock().expect("fake lock");
        let now = self.now_ms();
        if t.codes.len() > 10_000 {
            t.codes.retain(|_, c| c.expires_ms > now);
        }
        t.codes.insert(
            code.clone(),
            CodeEntry {
                kind,
                client_id,
                user,
                corp_scope,
                expires_ms,
            },
        );
        Ok(code)
    }

    /// Sets (or with `None` clears) a fault on an endpoint, for `times` requests (`None`: until cleared).
    pub fn set_fault(&self, endpoint: FaultEndpoint, fault: Option<Fault>, times: Option<u32>) {
        let mut f = self.inner.faults.lock().expect("fault lock");
        let targets: &[FaultEndpoint] = if endpoint == FaultEndpoint::All {
            &[
                FaultEndpoint::Legacy,
                FaultEndpoint::Token,
                FaultEndpoint::Me,
            ]
        } else {
            std::slice::from_ref(&endpoint)
        };
        for ep in targets {
            match &fault {
                Some(x) => {
                    f.insert(*ep, (x.clone(), times));
                }
                None => {
                    f.remove(ep);
                }
            }
        }
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.inner.faults.lock().expect("fault lock").clear();
    }

    /// Sets what `/oauth2/auth` does and as whom.
    pub fn set_browser(&self, mode: BrowserMode, user: Option<UserPatch>) {
        let mut b = self.inner.browser.lock().expect("browser lock");
        b.0 = mode;
        if let Some(u) = user {
            b.1 = u.apply(&self.inner.config.default_user);
        }
    }

    /// Requests received so far.
    pub fn stats(&self) -> FakeStats {
        let i = &self.inner;
        FakeStats {
            legacy: i.n_legacy.load(Ordering::Relaxed),
            token: i.n_token.load(Ordering::Relaxed),
            me: i.n_me.load(Ordering::Relaxed),
            authorize: i.n_authorize.load(Ordering::Relaxed),
        }
    }

    /// Takes the fault for `ep` (counting down `times`). A delay is served here and yields `None`.
    async fn fault(&self, ep: FaultEndpoint) -> Option<Fault> {
        let fault = {
            let mut f = self.inner.faults.lock().expect("fault lock");
            let hit = match f.get_mut(&ep) {
                None => None,
                Some((fault, None)) => Some(fault.clone()),
                Some((fault, Some(n))) => {
                    let x = fault.clone();
                    *n -= 1;
                    if *n == 0 {
                        f.remove(&ep);
                    }
                    Some(x)
                }
            };
            hit?
        };
        if let Fault::Delay { ms } = fault {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return None;
        }
        Some(fault)
    }

    fn bench_code(&self, code: &str) -> bool {
        self.inner
            .config
            .bench_code_prefix
            .as_deref()
            .is_some_and(|p| !p.is_empty() && code.starts_with(p))
    }
}

// ---------------------------------------------------------------------------------------------
// Shared answers

const BAN_PAGE: &str =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>访问受限</title></head>\
<body><h1>访问受限</h1><p>您的IP访问过于频繁，已被暂时限制访问，请5分钟后再试。</p></body></html>";

fn json_response(status: StatusCode, v: serde_json::Value) -> Response {
    let mut r = (status, serde_json::to_string(&v).expect("JSON")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    r
}

fn legacy_err(errcode: i64, errmsg: &str) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::json!({"errcode": errcode, "errmsg": errmsg, "request_id": random_hex(8)}),
    )
}

fn v1_err(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        serde_json::json!({"code": code, "message": message, "requestid": random_hex(8).to_uppercase()}),
    )
}

fn fault_response(fault: Fault, legacy: bool) -> Response {
    match fault {
        Fault::Status { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if legacy {
                (status, "Service Unavailable").into_response()
            } else {
                v1_err(
                    status,
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                )
            }
        }
        Fault::HtmlBan => (StatusCode::FORBIDDEN, Html(BAN_PAGE)).into_response(),
        Fault::MalformedJson => {
            let mut r = (
                StatusCode::OK,
                "{\"errcode\":0,\"errmsg\":\"ok\",\"user_info\":{\"nick\":",
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            );
            r
        }
        Fault::RateLimit { errcode } => {
            if legacy {
                let code = errcode.unwrap_or(90002);
                legacy_err(code, "接口调用超过限制")
            } else {
                v1_err(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Throttling.Api",
                    "api qps limit exceeded",
                )
            }
        }
        Fault::Delay { .. } => unreachable!("served in FakeDingTalk::fault"),
    }
}

// ---------------------------------------------------------------------------------------------
// Legacy: /sns/getuserinfo_bycode

async fn legacy_userinfo(
    State(fake): State<FakeDingTalk>,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    fake.inner.n_legacy.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Legacy).await {
        return fault_response(f, true);
    }
    let cfg = &fake.inner.config;
    let Some(ts) = q.get("timestamp") else {
        return legacy_err(853001, "timestamp参数缺失");
    };
    let Ok(ts_ms) = ts.parse::<i64>() else {
        return legacy_err(853001, "timestamp参数格式错误");
    };
    if !ts.bytes().all(|b| b.is_ascii_digit()) {
        return legacy_err(853001, "timestamp参数格式错误");
    }
    if (fake.now_ms() - ts_ms).unsigned_abs() > cfg.max_skew_ms {
        return legacy_err(853002, "timestamp与服务器时间相差超过1分钟");
    }
    let key = q.get("accessKey").map(String::as_str).unwrap_or("");
    let Some((_, secret)) = cfg.legacy_apps.iter().find(|(k, _)| k == key) else {
        return legacy_err(853003, "accessKey不存在");
    };
    let sig = q.get("signature").map(String::as_str).unwrap_or("");
    if !sign::signature_ok(secret.expose(), ts, sig) {
        return legacy_err(853004, "签名不匹配");
    }
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("tmp_auth_code")
                .and_then(|c| c.as_str())
                .map(str::to_owned)
        });
    let Some(code) = code else {
        return legacy_err(40035, "不合法的参数: tmp_auth_code");
    };
    let user = if fake.bench_code(&code) {
        cfg.default_user.clone()
    } else {
        let now = fake.now_ms();
        let mut t = fake.inner.tables.lock().expect("fake lock");
        match t.codes.get(&code) {
            Some(c) if c.kind == CodeKind::Legacy && c.client_id == key && c.expires_ms > now => {
                t.codes.remove(&code).expect("present").user
            }
            _ => return legacy_err(40078, "不存在的临时授权码"),
        }
    };
    json_response(
        StatusCode::OK,
        serde_json::json!({
            "errcode": 0,
            "errmsg": "ok",
            "user_info": {
                "nick": user.nick,
                "unionid": user.union_id,
                "dingId": format!("$:LWCP_v1:$fake{}", &user.open_id),
                "openid": user.open_id,
                "main_org_auth_high_level": false,
            }
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// v1.0: /v1.0/oauth2/userAccessToken and /v1.0/contact/users/me

async fn user_access_token(
    State(fake): State<FakeDingTalk>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    fake.inner.n_token.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Token).await {
        return fault_response(f, false);
    }
    let cfg = &fake.inner.config;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        // The gateway only reads JSON bodies: a form body looks like no parameters at all (assumed code).
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientId",
            "clientId is mandatory for this action.",
        );
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "the request body is not valid JSON",
        );
    };
    let field = |n: &str| v.get(n).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    let Some(client_id) = field("clientId") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientId",
            "clientId is mandatory for this action.",
        );
    };
    let Some(client_secret) = field("clientSecret") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissingclientSecret",
            "clientSecret is mandatory for this action.",
        );
    };
    let Some(grant_type) = field("grantType") else {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "MissinggrantType",
            "grantType is mandatory for this action.",
        );
    };
    if !cfg
        .clients
        .iter()
        .any(|(k, s)| k == client_id && sign_eq(s.expose(), client_secret))
    {
        return v1_err(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
        );
    }
    let now = fake.now_ms();
    let entry = match grant_type {
        "authorization_code" => {
            let Some(code) = field("code") else {
                return v1_err(
                    StatusCode::BAD_REQUEST,
                    "Missingcode",
                    "code is mandatory for this action.",
                );
            };
            if fake.bench_code(code) {
                let p = cfg.bench_code_prefix.as_deref().unwrap_or_default();
                return json_response(
                    StatusCode::OK,
                    serde_json::json!({"accessToken": format!("{p}access"), "refreshToken": format!("{p}refresh"),
                        "expireIn": cfg.access_ttl_secs}),
                );
            }
            let mut t = fake.inner.tables.lock().expect("fake lock");
            match t.codes.get(code) {
                Some(c)
                    if c.kind == CodeKind::V1 && c.client_id == client_id && c.expires_ms > now =>
                {
                    let c = t.codes.remove(code).expect("present");
                    TokenEntry {
                        client_id: c.client_id,
                        user: c.user,
                        corp_scope: c.corp_scope,
                        expires_ms: 0,
                    }
                }
                // No documented code for a bad auth code (assumed).
                _ => {
                    return v1_err(
                        StatusCode::BAD_REQUEST,
                        "invalidAuthCode",
                        "不合法的临时授权码",
                    )
                }
            }
        }
        "refresh_token" => {
            let Some(rt) = field("refreshToken") else {
                return v1_err(
                    StatusCode::BAD_REQUEST,
                    "MissingrefreshToken",
                    "refreshToken is mandatory for this action.",
                );
            };
            let mut t = fake.inner.tables.lock().expect("fake lock");
            match t.refresh.get(rt) {
                Some(r) if r.client_id == client_id && r.expires_ms > now => {
                    t.refresh.remove(rt).expect("present")
                }
                _ => {
                    return v1_err(
                        StatusCode::BAD_REQUEST,
                        "invalidRefreshToken",
                        "不合法的refresh_token",
                    )
                }
            }
        }
        _ => {
            return v1_err(
                StatusCode::BAD_REQUEST,
                "InvalidGrantType",
                "grantType must be authorization_code or refresh_token",
            )
        }
    };
    let access = random_hex(16);
    let refresh = random_hex(16);
    let corp_id = if entry.corp_scope {
        entry.user.corp_id.clone()
    } else {
        None
    };
    {
        let mut t = fake.inner.tables.lock().expect("fake lock");
        if t.access.len() > 10_000 {
            t.access.retain(|_, e| e.expires_ms > now);
            t.refresh.retain(|_, e| e.expires_ms > now);
        }
        t.access.insert(
            access.clone(),
            TokenEntry {
                client_id: entry.client_id.clone(),
                user: entry.user.clone(),
                corp_scope: entry.corp_scope,
                expires_ms: now + cfg.access_ttl_secs as i64 * 1000,
            },
        );
        t.refresh.insert(
            refresh.clone(),
            TokenEntry {
                expires_ms: now + cfg.refresh_ttl_secs as i64 * 1000,
                ..entry
            },
        );
    }
    let mut body = serde_json::json!({"accessToken": access, "refreshToken": refresh, "expireIn": cfg.access_ttl_secs});
    if let Some(c) = corp_id {
        body["corpId"] = serde_json::Value::String(c);
    }
    json_response(StatusCode::OK, body)
}

fn sign_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn users_me(State(fake): State<FakeDingTalk>, headers: HeaderMap) -> Response {
    fake.inner.n_me.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Me).await {
        return fault_response(f, false);
    }
    let cfg = &fake.inner.config;
    let token = headers
        .get("x-acs-dingtalk-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bench = cfg.bench_code_prefix.as_deref().is_some_and(|p| {
        !p.is_empty()
            && token.len() == p.len() + 6
            && token.starts_with(p)
            && token.ends_with("access")
    });
    let user = if bench {
        cfg.default_user.clone()
    } else {
        let now = fake.now_ms();
        let t = fake.inner.tables.lock().expect("fake lock");
        match t.access.get(token) {
            Some(e) if e.expires_ms > now => e.user.clone(),
            _ => {
                return v1_err(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthentication",
                    "不合法的access_token",
                )
            }
        }
    };
    let mut body = serde_json::json!({
        "nick": user.nick, "avatarUrl": user.avatar_url, "openId": user.open_id,
        "unionId": user.union_id, "stateCode": user.state_code,
    });
    if let Some(m) = user.mobile {
        body["mobile"] = m.into();
    }
    if let Some(e) = user.email {
        body["email"] = e.into();
    }
    json_response(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------------------------
// Browser: /oauth2/auth

#[derive(Deserialize)]
struct AuthParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    prompt: Option<String>,
}

#[derive(Deserialize)]
struct DecisionForm {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    decision: String,
}

fn error_page(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>登录错误</title></head><body><h1>登录错误</h1><p id=\"error\">{}</p></body></html>",
            html_escape(msg)
        )),
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Checks client and redirect URI (errors are shown on a page, never sent to an unchecked URI).
fn check_client_redirect(
    fake: &FakeDingTalk,
    client_id: &str,
    redirect_uri: &str,
) -> Result<url::Url, String> {
    let cfg = &fake.inner.config;
    if !cfg.clients.iter().any(|(k, _)| k == client_id) {
        return Err("client_id 无效 (unknown client_id)".into());
    }
    let url = url::Url::parse(redirect_uri)
        .map_err(|_| "redirect_uri 无效 (not an absolute URL)".to_owned())?;
    if !cfg.redirect_uri_prefixes.is_empty()
        && !cfg
            .redirect_uri_prefixes
            .iter()
            .any(|p| redirect_uri.starts_with(p.as_str()))
    {
        return Err("redirect_uri 与应用配置的回调域名不一致 (redirect_uri not registered)".into());
    }
    Ok(url)
}

fn redirect(mut to: url::Url, pairs: &[(&str, &str)]) -> Response {
    {
        let mut q = to.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    let mut r = StatusCode::FOUND.into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(to.as_str()).expect("a URL is a valid header value"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn finish_browser(
    fake: &FakeDingTalk,
    to: url::Url,
    client_id: &str,
    scope: &str,
    state: Option<&str>,
    approve: bool,
    user: FakeUser,
) -> Response {
    let state = state.unwrap_or("");
    if !approve {
        return redirect(to, &[("error", "access_denied"), ("state", state)]);
    }
    let patch = UserPatch {
        nick: Some(user.nick),
        union_id: Some(user.union_id),
        open_id: Some(user.open_id),
        avatar_url: user.avatar_url,
        corp_id: user.corp_id,
        mobile: user.mobile,
        email: user.email,
    };
    match fake.mint(MintRequest {
        flow: MintFlow::Browser,
        client_id: Some(client_id.to_owned()),
        scope: Some(scope.to_owned()),
        user: Some(patch),
    }) {
        Ok(code) => redirect(to, &[("authCode", &code), ("state", state)]),
        Err(e) => error_page(&e),
    }
}

async fn authorize(State(fake): State<FakeDingTalk>, Query(p): Query<AuthParams>) -> Response {
    fake.inner.n_authorize.fetch_add(1, Ordering::Relaxed);
    if let Some(f) = fake.fault(FaultEndpoint::Authorize).await {
        return fault_response(f, false);
    }
    let client_id = p.client_id.unwrap_or_default();
    let Some(redirect_uri) = p.redirect_uri.filter(|r| !r.is_empty()) else {
        return error_page("缺少参数 redirect_uri");
    };
    let to = match check_client_redirect(&fake, &client_id, &redirect_uri) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    if p.response_type.as_deref() != Some("code") {
        return error_page("response_type 必须为 code");
    }
    if p.prompt.as_deref() != Some("consent") {
        return error_page("prompt 必须为 consent");
    }
    let scope = p.scope.unwrap_or_default();
    if scope != "openid" && scope != "openid corpid" {
        return error_page("scope 必须为 openid 或 openid corpid");
    }
    if p.state.as_deref().is_some_and(|s| s.len() > 1024) {
        return error_page("state 过长");
    }
    let (mode, user) = fake.inner.browser.lock().expect("browser lock").clone();
    match mode {
        BrowserMode::Approve => finish_browser(
            &fake,
            to,
            &client_id,
            &scope,
            p.state.as_deref(),
            true,
            user,
        ),
        BrowserMode::Deny => finish_browser(
            &fake,
            to,
            &client_id,
            &scope,
            p.state.as_deref(),
            false,
            user,
        ),
        BrowserMode::Page => {
            let hidden = |n: &str, v: &str| {
                format!(
                    "<input type=\"hidden\" name=\"{n}\" value=\"{}\">",
                    html_escape(v)
                )
            };
            let fields = [
                hidden("client_id", &client_id),
                hidden("redirect_uri", &redirect_uri),
                hidden("scope", &scope),
                p.state
                    .as_deref()
                    .map(|s| hidden("state", s))
                    .unwrap_or_default(),
            ]
            .concat();
            Html(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>钉钉登录 (fake)</title></head><body>\
<h1>授权登录 (fake DingTalk)</h1><p>登录身份: <span id=\"nick\">{nick}</span></p>\
<form method=\"post\" action=\"/oauth2/auth/decision\">{fields}<button id=\"approve\" name=\"decision\" value=\"approve\">同意</button>\
<button id=\"deny\" name=\"decision\" value=\"deny\">拒绝</button></form></body></html>",
                nick = html_escape(&user.nick)
            ))
            .into_response()
        }
    }
}

async fn decision(State(fake): State<FakeDingTalk>, Form(f): Form<DecisionForm>) -> Response {
    fake.inner.n_authorize.fetch_add(1, Ordering::Relaxed);
    let to = match check_client_redirect(&fake, &f.client_id, &f.redirect_uri) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    if f.scope != "openid" && f.scope != "openid corpid" {
        return error_page("scope 必须为 openid 或 openid corpid");
    }
    let user = fake.inner.browser.lock().expect("browser lock").1.clone();
    finish_browser(
        &fake,
        to,
        &f.client_id,
        &f.scope,
        f.state.as_deref(),
        f.decision == "approve",
        user,
    )
}

// ---------------------------------------------------------------------------------------------
// Test controls

async fn mint_http(State(fake): State<FakeDingTalk>, Json(req): Json<MintRequest>) -> Response {
    match fake.mint(req) {
        Ok(code) => json_response(
            StatusCode::OK,
            serde_json::json!({"code": code, "expiresIn": fake.inner.config.code_ttl.as_secs()}),
        ),
        Err(e) => json_response(StatusCode::BAD_REQUEST, serde_json::json!({"error": e})),
    }
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: FaultEndpoint,
    fault: Option<Fault>,
    times: Option<u32>,
}

async fn set_fault_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<FaultRequest>,
) -> StatusCode {
    fake.set_fault(r.endpoint, r.fault, r.times.filter(|n| *n > 0));
    StatusCode::NO_CONTENT
}

async fn clear_faults_http(State(fake): State<FakeDingTalk>) -> StatusCode {
    fake.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockRequest {
    advance_ms: i64,
}

async fn clock_http(State(fake): State<FakeDingTalk>, Json(r): Json<ClockRequest>) -> Response {
    fake.advance_clock(r.advance_ms);
    json_response(StatusCode::OK, serde_json::json!({"nowMs": fake.now_ms()}))
}

#[derive(Deserialize)]
struct BrowserRequest {
    mode: BrowserMode,
    user: Option<UserPatch>,
}

async fn browser_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<BrowserRequest>,
) -> StatusCode {
    fake.set_browser(r.mode, r.user);
    StatusCode::NO_CONTENT
}

async fn stats_http(State(fake): State<FakeDingTalk>) -> Json<FakeStats> {
    Json(fake.stats())
}
