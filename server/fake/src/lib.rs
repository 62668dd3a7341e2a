//! A fake DingTalk: the legacy `oapi` host, the v1.0 `api` host and the `login` host on one port.
//!
//! DingTalk endpoints, as DingTalk's open platform documents them (open.dingtalk.com:
//! 获取用户信息 `getuserinfo_bycode`, 获取用户token `userAccessToken`, 获取用户通讯录个人信息 `users/me`,
//! and the 登录第三方网站 authorize page):
//! * `POST /sns/getuserinfo_bycode?accessKey=&timestamp=&signature=` `{"tmp_auth_code"}`: always HTTP
//!   200 with `errcode`: 853001 timestamp missing/not a number, 853002 more than 60 s from the fake's
//!   clock, 853003 unknown accessKey, 853004 signature mismatch (checked by the fake's own HMAC, see
//!   `sign.rs`; a signature not percent-encoded exactly once is a mismatch too), 40078 unknown,
//!   expired, already used or non-legacy code.
//! * `POST /v1.0/oauth2/userAccessToken`: JSON only (a form body is refused as DingTalk's gateway
//!   does: it sees no `clientId`); `authorization_code` and `refresh_token` grants; `corpId` only for
//!   scope `openid corpid`; access tokens expire after `access_ttl_secs`, refresh tokens rotate.
//! * `GET /v1.0/contact/users/me`: needs `x-acs-dingtalk-access-token` (else HTTP 400
//!   `AuthenticationFailed.MissingParameter`); an unknown or expired token is HTTP 400
//!   `InvalidAuthentication`.
//! * The internal app's access token and the `oapi` contact endpoints (`org.rs`):
//!   `POST /v1.0/oauth2/accessToken`, `/topapi/user/getbyunionid`, `/topapi/v2/user/get`,
//!   `/topapi/v2/user/getuserinfo` (free login), `/topapi/v2/department/listsub`,
//!   `/topapi/v2/user/list`, over a configurable seeded organisation, with an optional per-API
//!   calls-per-second limit.
//! * `GET /oauth2/auth?client_id&redirect_uri&response_type=code&scope&state&prompt=consent`: checks
//!   the parameters (an HTML error page, no redirect, when they are wrong) then, depending on the
//!   browser mode, shows a consent page (approve / deny buttons post to `/oauth2/auth/decision`) or
//!   redirects at once to `redirect_uri?authCode=…&state=…` (or `?error=access_denied&state=…`).
//!
//! Test controls (no authentication: bind to loopback):
//! * `POST /_fake/mint {"flow":"legacy_sdk"|"new_sdk"|"browser","clientId"?,"scope"?,"user"?:{…}}` →
//!   `{"code","expiresIn"}`: what the DingTalk app would hand back to the SDK.
//! * `POST /_fake/faults {"endpoint":"legacy"|"token"|"me"|"authorize"|"all","fault":{"kind":…},"times"?}`,
//!   `DELETE /_fake/faults`. Kinds (DingTalk's own answers, see [`Fault`] and `faults.rs`): `status`,
//!   `delay`, `stall`, `html_ban`, `punish_ban`, `malformed_json`, `rate_limit` (legacy `errcode`, v1.0
//!   `code`), `bad_credentials`, `system_busy`.
//! * `POST /_fake/clock {"advanceMs": n}` moves the fake's clock (expiry, skew) without sleeping.
//! * `POST /_fake/browser {"mode":"page"|"approve"|"deny","user"?:{…}}`.
//! * `GET /_fake/stats` → requests per endpoint (proves a replay never reached DingTalk).
//! * `GET|PUT /_fake/org`: the seeded organisation; `POST /_fake/free-login {"userid"?}` → `{"code"}`,
//!   what `dd.requestAuthCode` hands a page inside DingTalk.
//! * DingTalk's in-app browser for pages under test (`container.rs`): `GET /_fake/container.js`, the
//!   JSAPI bridges the real `dingtalk-jsapi` package calls, for a test to inject;
//!   `POST /_fake/container/invoke` answers their calls (free-login codes);
//!   `POST /_fake/container {"authCode","userid"?}` sets the answer; `GET /_fake/container/calls`.
//!
//! Where DingTalk documents no exact error code, the fake's choice is marked "assumed" below.
//!
//! One file per concern: `legacy.rs` (the `oapi` host), `v1.rs` (the `api` host), `consent.rs` (the
//! `login` host), `control.rs` (`/_fake/*`), `container.rs` (DingTalk's in-app browser), `faults.rs`,
//! `sign.rs`; this file holds the shared state.

mod consent;
mod container;
mod control;
mod faults;
mod legacy;
mod org;
mod sign;
mod v1;

pub use container::{ContainerAuthCode, ContainerCall};
pub use faults::{Fault, FaultEndpoint};
pub use org::{
    FakeDept, FakeMember, FakeOrg, OrgApi, PERMISSION_DEPARTMENT, PERMISSION_DEPARTMENT_MEMBER,
    PERMISSION_MEMBER,
};

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use dingtalk_auth::wire::{self, SCOPE_OPENID, SCOPE_OPENID_CORPID, SCOPE_SNS_LOGIN};
use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::serve::{random_hex, request_log};
use dingtalk_auth_server::RunningServer;
use dingtalk_openapi::Secret;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

/// Credentials of [`FakeConfig::demo`], and a backend configured with them. Not secret: loopback demos
/// only.
pub mod demo {
    use dingtalk_auth_server::BackendConfig;
    use dingtalk_openapi::{ClientCredentials, LegacyCredentials, OpenApiConfig, Secret};

    /// Legacy accessKey.
    pub const LEGACY_APP_KEY: &str = "dingdemolegacyappkey";
    /// Legacy AppSecret.
    pub const LEGACY_APP_SECRET: &str = "demo-legacy-app-secret-0123456789abcdef";
    /// v1.0 ClientId.
    pub const CLIENT_ID: &str = "dingdemoclientid";
    /// v1.0 ClientSecret.
    pub const CLIENT_SECRET: &str = "demo-client-secret-0123456789abcdef";

    /// A backend that exchanges codes at the fake at `fake_url` with these credentials.
    pub fn backend_config(fake_url: &str) -> BackendConfig {
        BackendConfig {
            legacy: Some(LegacyCredentials {
                app_key: LEGACY_APP_KEY.into(),
                app_secret: Secret::new(LEGACY_APP_SECRET),
            }),
            v1: Some(ClientCredentials {
                client_id: CLIENT_ID.into(),
                client_secret: Secret::new(CLIENT_SECRET),
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
    /// The organisation the `oapi` contact endpoints serve (its corpId is the default user's).
    pub org: FakeOrg,
    /// DingTalk's per-app per-API limit (20 calls/s on a standard organisation), enforced on the
    /// `oapi` contact endpoints when set; `None` (the default) does not limit.
    pub qps_per_api: Option<u32>,
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
            org: FakeOrg::default(),
            qps_per_api: None,
        }
    }
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

/// A mint request (`POST /_fake/mint`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintRequest {
    /// Which flow: a legacy SDK code is exchanged at `getuserinfo_bycode` only, the others at
    /// `userAccessToken` only.
    #[serde(deserialize_with = "flow_by_wire_name")]
    pub flow: LoginFlow,
    /// The accessKey (legacy) or clientId; default: the first configured.
    pub client_id: Option<String>,
    /// `openid` or `openid corpid` (v1.0 flows); default `openid`.
    pub scope: Option<String>,
    /// The user; missing fields from the default user.
    #[serde(default)]
    pub user: Option<UserPatch>,
}

fn flow_by_wire_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<LoginFlow, D::Error> {
    let name = String::deserialize(d)?;
    LoginFlow::from_wire_name(&name)
        .ok_or_else(|| serde::de::Error::custom("flow must be legacy_sdk, new_sdk or browser"))
}

/// The scope a mint request gets when it names none.
pub fn default_scope(flow: LoginFlow) -> &'static str {
    if flow.uses_v1_api() {
        SCOPE_OPENID
    } else {
        SCOPE_SNS_LOGIN
    }
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
    /// `/v1.0/oauth2/accessToken` (the app's token).
    pub app_token: u64,
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
    n_app_token: AtomicU64,
    org: RwLock<FakeOrg>,
    org_state: Mutex<org::OrgState>,
    container: container::SharedContainer,
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
        let org = RwLock::new(config.org.clone());
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
                n_app_token: AtomicU64::new(0),
                org,
                org_state: Mutex::new(org::OrgState::default()),
                container: Default::default(),
            }),
        }
    }

    /// The router with every endpoint listed in the module docs.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/sns/getuserinfo_bycode", post(legacy::legacy_userinfo))
            .route("/v1.0/oauth2/userAccessToken", post(v1::user_access_token))
            .route("/v1.0/contact/users/me", get(v1::users_me))
            .route("/v1.0/oauth2/accessToken", post(org::app_access_token))
            .route("/topapi/user/getbyunionid", post(org::get_by_unionid))
            .route("/topapi/v2/user/get", post(org::user_get))
            .route("/topapi/v2/user/getuserinfo", post(org::get_user_info))
            .route(
                "/topapi/v2/department/listsub",
                post(org::department_listsub),
            )
            .route("/topapi/v2/user/list", post(org::user_list))
            .route("/_fake/org", get(org::org_http).put(org::set_org_http))
            .route("/_fake/free-login", post(org::free_login_http))
            .route("/_fake/container.js", get(container::container_js))
            .route("/_fake/container", post(container::set_container_http))
            .route("/_fake/container/invoke", post(container::invoke_http))
            .route("/_fake/container/calls", get(container::calls_http))
            .route("/oauth2/auth", get(consent::authorize))
            .route("/oauth2/auth/decision", post(consent::decision))
            .route("/_fake/mint", post(control::mint_http))
            .route(
                "/_fake/faults",
                post(control::set_fault_http).delete(control::clear_faults_http),
            )
            .route("/_fake/clock", post(control::clock_http))
            .route("/_fake/browser", post(control::browser_http))
            .route("/_fake/stats", get(control::stats_http))
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
        let (kind, known) = if req.flow.uses_v1_api() {
            (CodeKind::V1, &cfg.clients)
        } else {
            (CodeKind::Legacy, &cfg.legacy_apps)
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
        let scope = req.scope.as_deref().unwrap_or(default_scope(req.flow));
        if !wire::scope_fits_flow(req.flow, scope) {
            return Err("scope does not fit the flow".into());
        }
        let corp_scope = scope == SCOPE_OPENID_CORPID;
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
            app_token: i.n_app_token.load(Ordering::Relaxed),
        }
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
// Answers shared by the endpoint modules

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
