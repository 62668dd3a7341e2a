//! The workbench homepage of an internal app: `GET /h5/`, a small page that logs the member in.
//!
//! * Inside DingTalk (its user agent says `DingTalk`): the page loads DingTalk's JSAPI
//!   (`dingtalk-jsapi`, bundled and served by this backend at `/h5/dingtalk-jsapi.js`), calls `dd.requestAuthCode({corpId, clientId})` for a free-login code (免登;
//!   valid 5 minutes, once: https://open.dingtalk.com/document/orgapp/obtain-the-userid-of-a-user-by-using-the-log-free)
//!   and posts it to `POST /v1/h5/free-login`; the backend exchanges it at
//!   `topapi/v2/user/getuserinfo` with the app token and resolves the member.
//! * Outside DingTalk: `GET /v1/h5/start` sets an HttpOnly cookie holding a fresh `state` (32 random
//!   bytes, 10 minutes) and redirects to `login.dingtalk.com/oauth2/auth` (scope `openid`,
//!   `prompt=consent`); DingTalk redirects back to `/h5/?authCode=…&state=…`; the page posts both to
//!   `POST /v1/h5/web-login`, where the state must equal the cookie's (bound to this browser,
//!   single-use: the answer clears the cookie) before the code is exchanged as a browser login.
//!
//! Both codes go through [`crate::replay::ReplayStore::exchange_once`], the one entry point of every
//! code exchange (claim, idempotency key, kept answers), like the app's grants.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::error::{ApiError, ErrorCode};
use crate::exchange::{self, Login};
use crate::policy::Route;
use crate::replay::Keys;
use crate::service::{answer_once, Backend};

/// DingTalk's browser login page.
pub const DEFAULT_LOGIN_BASE: &str = "https://login.dingtalk.com";
/// Where the page loads `dingtalk-jsapi` from by default: this backend, which serves the bundle
/// below (no third-party script host in the login path; `--jsapi-url` may point elsewhere).
pub const DEFAULT_JSAPI_URL: &str = "/h5/dingtalk-jsapi.js";

/// DingTalk's `dingtalk-jsapi` npm package, bundled into one file by `server/backend/h5/build-jsapi.sh`
/// from the exact versions in `server/backend/h5/package-lock.json`. Committed and embedded, so the
/// backend builds without node or npm; the enterprise test checks it equals a fresh build.
const JSAPI_BUNDLE: &str = include_str!("../h5/dingtalk-jsapi.js");

const STATE_COOKIE: &str = "dtauth_state";
const STATE_TTL_SECS: u64 = 600;

/// Where the page sends the browser and loads the JSAPI from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H5Config {
    /// Base URL of DingTalk's login page.
    pub login_base: String,
    /// URL of `dingtalk-jsapi` loaded inside DingTalk.
    pub jsapi_url: String,
    /// This backend's public URL (the redirect URI is `<public_url>/h5/`); `None`: from the
    /// request's Host header over http (loopback and tests only).
    pub public_url: Option<String>,
}

impl Default for H5Config {
    fn default() -> Self {
        H5Config {
            login_base: DEFAULT_LOGIN_BASE.into(),
            jsapi_url: DEFAULT_JSAPI_URL.into(),
            public_url: None,
        }
    }
}

/// `serve` flags of the workbench page.
#[derive(clap::Args, Debug)]
pub struct H5Args {
    /// This backend's public URL, for the browser login's redirect URI (`<url>/h5/`).
    #[arg(long, env = "DINGTALK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// DingTalk's login page base URL.
    #[arg(long, env = "DINGTALK_LOGIN_BASE", default_value = DEFAULT_LOGIN_BASE)]
    pub login_base: String,
    /// URL of the dingtalk-jsapi script the page loads inside DingTalk.
    #[arg(long, env = "DINGTALK_JSAPI_URL", default_value = DEFAULT_JSAPI_URL)]
    pub jsapi_url: String,
}

impl H5Args {
    /// The page's configuration.
    pub fn config(self) -> H5Config {
        H5Config {
            login_base: self.login_base.trim_end_matches('/').to_owned(),
            jsapi_url: self.jsapi_url,
            public_url: self.public_url.map(|u| u.trim_end_matches('/').to_owned()),
        }
    }
}

fn public_url(backend: &Backend, headers: &HeaderMap) -> String {
    match &backend.config().h5.public_url {
        Some(u) => u.clone(),
        None => format!(
            "http://{}",
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1")
        ),
    }
}

/// `GET /h5/`.
pub(crate) async fn page(State(backend): State<Backend>) -> Response {
    let cfg = backend.config();
    let settings = serde_json::json!({
        "corpId": cfg.org.as_ref().map(|o| o.corp_id.as_str()),
        "clientId": cfg.v1.as_ref().map(|c| c.client_id.as_str()),
        "jsapiUrl": cfg.h5.jsapi_url,
    });
    // `</` cannot appear in JSON strings we produce from configuration unescaped: escape it anyway.
    let settings = settings.to_string().replace("</", "<\\/");
    let mut r = Html(PAGE.replace("__SETTINGS__", &settings)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /h5/dingtalk-jsapi.js`: the embedded `dingtalk-jsapi` bundle.
pub(crate) async fn jsapi() -> Response {
    let mut r = JSAPI_BUNDLE.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    // Not versioned in its URL: an hour keeps a reload cheap and an upgrade visible soon.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `GET /v1/h5/start`: a fresh state in a cookie, then DingTalk's login page.
pub(crate) async fn start(State(backend): State<Backend>, headers: HeaderMap) -> Response {
    let Some(v1) = &backend.config().v1 else {
        return ApiError::new(ErrorCode::FlowNotEnabled, "this backend has no ClientId")
            .into_response();
    };
    let state = crate::serve::random_token(32);
    let redirect = format!("{}/h5/", public_url(&backend, &headers));
    let scope = if backend.config().allowed_corp_ids.is_some() {
        dingtalk_auth::wire::SCOPE_OPENID_CORPID
    } else {
        dingtalk_auth::wire::SCOPE_OPENID
    };
    let Ok(mut url) = url::Url::parse(&format!("{}/oauth2/auth", backend.config().h5.login_base))
    else {
        return ApiError::new(ErrorCode::Internal, "the login page URL is not a URL")
            .into_response();
    };
    url.query_pairs_mut()
        .append_pair("client_id", &v1.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("prompt", "consent");
    let secure = if redirect.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{STATE_COOKIE}={state}; Max-Age={STATE_TTL_SECS}; Path=/; HttpOnly; SameSite=Lax{secure}"
    );
    let mut r = (StatusCode::FOUND, "").into_response();
    let h = r.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(url.as_str()).expect("a URL is a header"),
    );
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("ASCII"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn field<'a>(v: &'a serde_json::Value, name: &'static str) -> Result<&'a str, ApiError> {
    v.get(name)
        .and_then(|x| x.as_str())
        .filter(|s| !s.is_empty() && s.len() <= 1024)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidGrant,
                format!("`{name}` is missing or not a string"),
            )
        })
}

fn idempotency_key(v: &serde_json::Value) -> Result<&str, ApiError> {
    let k = field(v, "idempotencyKey")?;
    if !(16..=128).contains(&k.len())
        || !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::new(
            ErrorCode::InvalidGrant,
            "`idempotencyKey` must be 16 to 128 base64url characters",
        ));
    }
    Ok(k)
}

/// `POST /v1/h5/free-login {"code","idempotencyKey"}`.
pub(crate) async fn free_login(
    State(backend): State<Backend>,
    Json(v): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    if backend.members().is_none() {
        return Err(ApiError::new(
            ErrorCode::FlowNotEnabled,
            "free login needs the organisation (--corp-id)",
        ));
    }
    let code = field(&v, "code")?.to_owned();
    let idem = idempotency_key(&v)?;
    let keys = Keys::of_code(
        b"free_login",
        &code,
        idem,
        &[b"free_login", code.as_bytes()],
    );
    let log_id = keys.log_id();
    let b = backend.clone();
    answer_once(&backend, keys, "free_login", async move {
        let login = Login {
            code: &code,
            flow: "free_login",
            platform: "web",
        };
        b.exchange(Route::FreeLogin, login, &log_id).await
    })
    .await
}

/// `POST /v1/h5/web-login {"authCode","state","idempotencyKey"}` with the state cookie.
pub(crate) async fn web_login(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Json(v): Json<serde_json::Value>,
) -> Result<Response, ApiError> {
    let Some(creds) = backend.config().v1.clone() else {
        return Err(ApiError::new(
            ErrorCode::FlowNotEnabled,
            "this backend has no ClientId",
        ));
    };
    let code = field(&v, "authCode")?.to_owned();
    let state = field(&v, "state")?;
    let idem = idempotency_key(&v)?;
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == STATE_COOKIE)
        .map(|(_, v)| v);
    if !cookie.is_some_and(|c| constant_time_eq(c.as_bytes(), state.as_bytes())) {
        return Err(ApiError::new(
            ErrorCode::InvalidGrant,
            "the login's state does not match this browser's: start the login again",
        ));
    }
    let keys = Keys::of_code(b"v1", &code, idem, &[b"h5_browser", code.as_bytes()]);
    let log_id = keys.log_id();
    let b = backend.clone();
    let mut r = answer_once(&backend, keys, "browser", async move {
        let login = Login {
            code: &code,
            flow: "browser",
            platform: "web",
        };
        b.exchange(Route::V1(creds), login, &log_id).await
    })
    .await?;
    // Single use: the state goes with the first answer.
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("dtauth_state=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"),
    );
    Ok(r)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Backend {
    async fn exchange(
        &self,
        route: Route,
        login: Login<'_>,
        log_id: &str,
    ) -> (crate::replay::Stored, bool) {
        exchange::exchange(
            self.client(),
            self.config(),
            self.members(),
            self.sessions(),
            route,
            login,
            log_id,
        )
        .await
    }
}

const PAGE: &str = include_str!("h5.html");
