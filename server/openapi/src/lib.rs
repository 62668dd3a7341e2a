//! DingTalk OpenAPI client for the server side of a login: the backend's half, never linked into an app.
//!
//! Two families of endpoints turn an auth code into an identity:
//!
//! * **legacy** (`oapi.dingtalk.com`): [`OpenApiClient::legacy_user_info_by_code`] calls
//!   `POST /sns/getuserinfo_bycode?accessKey=&timestamp=&signature=` with `{"tmp_auth_code": code}`.
//!   The signature is [`legacy_signature`]: URL-encoded (once) Base64 HMAC-SHA256 of the millisecond
//!   timestamp, keyed by the AppSecret. Errors come back as HTTP 200 with a non-zero `errcode`.
//! * **v1.0** (`api.dingtalk.com`): [`OpenApiClient::user_access_token`] /
//!   [`OpenApiClient::refresh_user_access_token`] (`POST /v1.0/oauth2/userAccessToken`, JSON body) and
//!   [`OpenApiClient::contact_users_me`] (`GET /v1.0/contact/users/me` with the
//!   `x-acs-dingtalk-access-token` header). Errors are HTTP 4xx/5xx with `{code, message, requestid}`.
//!
//! Every failure is an [`OpenApiError`] variant: a code DingTalk does not know, clock skew, a wrong
//! key or secret, rate limits, an HTML answer (DingTalk's IP-ban page), malformed JSON, timeouts.
//! Secrets and tokens are held in [`Secret`], whose `Debug` prints `***`; error messages never contain
//! codes, secrets, signatures or tokens (reqwest errors are stripped of their URL).

mod legacy;
mod org;
mod v1;

use std::fmt;
use std::time::Duration;

pub use legacy::{legacy_signature, LegacyUserInfo};
pub use org::{
    AppToken, BoxFuture, DepartmentEntry, FreeLoginUser, MemberDetails, MemberPage, OrgClient,
    SharedTokenStore,
};
pub use v1::{ContactUser, UserAccessToken};

/// The production host of the legacy API.
pub const DEFAULT_OAPI_BASE: &str = "https://oapi.dingtalk.com";
/// The production host of the v1.0 API.
pub const DEFAULT_API_BASE: &str = "https://api.dingtalk.com";

/// Largest response body the client reads; DingTalk's answers are a few hundred bytes.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// A secret (AppSecret, ClientSecret, access or refresh token). `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// AppKey (the legacy login app's `appId`, sent as `accessKey`) and AppSecret.
#[derive(Clone, Debug)]
pub struct LegacyCredentials {
    /// Sent as the `accessKey` query parameter.
    pub app_key: String,
    /// Keys the HMAC; never sent.
    pub app_secret: Secret,
}

/// ClientId (AppKey of a v1.0 app) and ClientSecret.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    /// `clientId` in the token request.
    pub client_id: String,
    /// `clientSecret` in the token request.
    pub client_secret: Secret,
}

/// Where and how the client talks to DingTalk.
#[derive(Clone, Debug)]
pub struct OpenApiConfig {
    /// Base URL of the legacy API, default [`DEFAULT_OAPI_BASE`]. No trailing path.
    pub oapi_base: String,
    /// Base URL of the v1.0 API, default [`DEFAULT_API_BASE`].
    pub api_base: String,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (connect, send, read the answer).
    pub request_timeout: Duration,
    /// Idle pooled connections kept per host.
    pub pool_max_idle_per_host: usize,
}

impl Default for OpenApiConfig {
    fn default() -> Self {
        OpenApiConfig {
            oapi_base: DEFAULT_OAPI_BASE.to_owned(),
            api_base: DEFAULT_API_BASE.to_owned(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            pool_max_idle_per_host: 64,
        }
    }
}

/// Which DingTalk rate limit was hit (open.dingtalk.com, "如何处理钉钉服务端API限流").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimit {
    /// Every app together called this API too often: legacy errcode 90002, v1.0
    /// `Forbidden.AccessDenied.QpsLimitForApi`.
    PerApi,
    /// This app called this API too often (20/s on a standard organisation): legacy errcode 90018,
    /// v1.0 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`.
    PerAppAndApi,
    /// errcode 90019: the per-app limit per organisation.
    PerApp,
    /// The organisation's monthly quota: legacy errcode 90020, v1.0
    /// `Forbidden.AccessDenied.ApiCountLimitForOrg`.
    MonthlyQuota,
    /// A v1.0 answer with HTTP 429 or a `Throttling…` code.
    Throttled,
}

/// A v1.0 error body `{code, message, requestid}` with its HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// DingTalk's `code`, e.g. `InvalidAuthentication` (empty when the body had none).
    pub code: String,
    /// DingTalk's `message`.
    pub message: String,
    /// DingTalk's `requestid`, for support tickets.
    pub request_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (requestid {id})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong talking to DingTalk. Messages never contain codes, secrets or tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// The client configuration is unusable (bad base URL, empty credentials).
    #[error("invalid DingTalk client configuration: {0}")]
    Config(String),
    /// No complete answer within the request timeout.
    #[error("DingTalk did not answer within the timeout")]
    Timeout,
    /// Connection refused, DNS, TLS, reset: the request may not have reached DingTalk.
    #[error("could not reach DingTalk: {0}")]
    Network(String),
    /// The answer was not JSON. An HTML page is what DingTalk serves while it bans the caller's IP
    /// (about 5 minutes).
    #[error("DingTalk answered HTTP {status} with a non-JSON body ({content_type}){}",
        if *html { "; an HTML page usually means this server's IP is temporarily banned" } else { "" })]
    NonJson {
        /// HTTP status.
        status: u16,
        /// The `Content-Type` header, or `none`.
        content_type: String,
        /// The body looks like HTML.
        html: bool,
    },
    /// DingTalk's anti-abuse answer `{"status":1111,"wait":5,"source":"x5","punish":"deny",…}`: this
    /// server's IP made too many calls (10 000 in 20 s) and is banned for `wait` minutes.
    #[error("DingTalk banned this server's IP for {} minutes (HTTP {status}, too many calls)", wait_minutes.map(|w| w.to_string()).unwrap_or_else(|| "a few".into()))]
    IpBanned {
        /// HTTP status.
        status: u16,
        /// The `wait` field, in minutes, when present.
        wait_minutes: Option<u64>,
    },
    /// JSON that does not have the documented shape.
    #[error("DingTalk answered HTTP {status} with malformed JSON: {reason}")]
    MalformedJson {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// The answer was larger than the client reads.
    #[error("DingTalk's answer exceeded {MAX_RESPONSE_BYTES} bytes")]
    ResponseTooLarge,
    /// HTTP 5xx.
    #[error("DingTalk server error HTTP {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    ServerError {
        /// HTTP status.
        status: u16,
        /// DingTalk's `code` when the body had one.
        code: Option<String>,
        /// DingTalk's `message` when the body had one.
        message: Option<String>,
    },
    /// Legacy errcode 40078: the code does not exist, expired or was already used.
    #[error(
        "DingTalk does not know this auth code: unknown, expired or already used (errcode 40078)"
    )]
    CodeInvalid {
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// Legacy errcode 853001: the timestamp parameter is malformed.
    #[error("DingTalk rejected the timestamp format (errcode 853001)")]
    TimestampFormat {
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// Legacy errcode 853002: this server's clock is more than 60 s away from DingTalk's.
    #[error("this server's clock is more than 60 s off DingTalk's (errcode 853002): synchronise it (NTP)")]
    ClockSkew {
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// Legacy errcode 853003: DingTalk does not know the accessKey (AppKey).
    #[error("DingTalk does not know this AppKey / accessKey (errcode 853003)")]
    UnknownAccessKey {
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// Legacy errcode 853004: signature mismatch, i.e. a wrong AppSecret (or a double-encoded signature).
    #[error("DingTalk rejected the signature (errcode 853004): check the AppSecret")]
    SignatureMismatch {
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// A rate limit or quota (90002, 90019, 90020, or a v1.0 throttling answer). Retry later.
    #[error("DingTalk rate limit: {limit:?}{}", errcode.map(|c| format!(" (errcode {c})")).unwrap_or_default())]
    RateLimited {
        /// Which limit.
        limit: RateLimit,
        /// The legacy errcode, if any.
        errcode: Option<i64>,
        /// DingTalk's message.
        message: String,
    },
    /// Any other legacy errcode, kept with its number and message.
    #[error("DingTalk errcode {errcode}: {message}")]
    Legacy {
        /// DingTalk's `errcode`.
        errcode: i64,
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// The v1.0 token endpoint refused the grant with a 4xx other than 403 and other than a credentials
    /// or rate-limit code: a bad, expired or reused code or refresh token (DingTalk documents no
    /// specific code for it).
    #[error("DingTalk refused the grant: {0}")]
    InvalidGrant(ApiError),
    /// A v1.0 refusal of this server's app credentials or permissions, never of the auth code:
    /// `invalidClientIdOrSecret` (HTTP 400) or `Forbidden.AccessDenied.*` other than a rate limit
    /// (e.g. `AccessTokenPermissionDenied`, `IpNotInWhiteList`). The operator must fix the app.
    #[error("DingTalk refused this server's app credentials or permissions: {0}")]
    Credentials(ApiError),
    /// Any other v1.0 error (e.g. `InvalidAuthentication` from users/me).
    #[error("DingTalk error: {0}")]
    Api(ApiError),
    /// oapi errcode 40014 / 42001: the app access token is unknown or expired. [`OrgClient`]
    /// renews it and retries once before this reaches a caller.
    #[error("DingTalk refused the app access token (errcode {errcode})")]
    AppTokenRejected {
        /// 40014 or 42001.
        errcode: i64,
        /// DingTalk's `errmsg`.
        message: String,
    },
    /// The app lacks an API permission: oapi errcode 60011, or v1.0 HTTP 403
    /// `Forbidden.AccessDenied.AccessTokenPermissionDenied` with `requiredScopes`. Which permission
    /// is operator-only information: it is in [`OpenApiError::operator_hint`], not in this message.
    #[error("DingTalk refused: this app lacks an API permission (the server log names it)")]
    MissingPermission {
        /// The permission points DingTalk named (may be empty when it named none).
        required: Vec<String>,
        /// DingTalk's message.
        message: String,
    },
    /// oapi errcode 60020: this server's IP is not on the app's whitelist. The IP is operator-only
    /// information ([`OpenApiError::operator_hint`]).
    #[error("DingTalk refused: this server's IP is not on the app's whitelist (the server log names it)")]
    IpNotWhitelisted {
        /// DingTalk's message (names the IP it saw).
        message: String,
    },
}

impl OpenApiError {
    /// What the operator must change in DingTalk's developer console, for the log only (it names
    /// permissions and IPs, which the app's user has no use for): `None` for errors that are not a
    /// setup problem.
    pub fn operator_hint(&self) -> Option<String> {
        match self {
            OpenApiError::MissingPermission { required, message } if required.is_empty() => {
                Some(format!(
                    "grant the app the API permission this call needs (DingTalk said: {message})"
                ))
            }
            OpenApiError::MissingPermission { required, .. } => Some(format!(
                "grant the app these API permissions in the developer console: {}",
                required.join(", ")
            )),
            OpenApiError::IpNotWhitelisted { message } => Some(format!(
                "add this server's outgoing IP to the app's trusted IP whitelist{}",
                org::ip_in_message(message)
                    .map(|ip| format!(": {ip}"))
                    .unwrap_or_else(|| format!(" (DingTalk said: {message})"))
            )),
            OpenApiError::Credentials(a) => Some(format!(
                "check the app's ClientId/ClientSecret and permissions (DingTalk said: {a})"
            )),
            OpenApiError::UnknownAccessKey { .. } | OpenApiError::SignatureMismatch { .. } => {
                Some("check the legacy AppKey/AppSecret".into())
            }
            _ => None,
        }
    }

    /// True when retrying later can succeed without a new auth code: the code was not consumed
    /// (timeouts and 5xx are ambiguous; retrying them is safe because DingTalk refuses a reused code).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            OpenApiError::Timeout
                | OpenApiError::Network(_)
                | OpenApiError::NonJson { .. }
                | OpenApiError::IpBanned { .. }
                | OpenApiError::ServerError { .. }
                | OpenApiError::RateLimited { .. }
        )
    }
}

/// A DingTalk OpenAPI client: one connection pool for both hosts, reused across calls. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OpenApiClient {
    http: reqwest::Client,
    oapi_base: String,
    api_base: String,
}

impl OpenApiClient {
    /// Builds a client for the real DingTalk hosts with default timeouts.
    pub fn with_defaults() -> Result<Self, OpenApiError> {
        Self::new(OpenApiConfig::default())
    }

    /// Builds a client. Base URLs must be `http://` or `https://` with no query.
    pub fn new(config: OpenApiConfig) -> Result<Self, OpenApiError> {
        let oapi_base = normalise_base(&config.oapi_base)?;
        let api_base = normalise_base(&config.api_base)?;
        let http = reqwest::Client::builder()
            // reqwest's own rustls configuration (ring, webpki-roots): see Cargo.toml.
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dingtalk-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OpenApiError::Config(e.without_url().to_string()))?;
        Ok(OpenApiClient {
            http,
            oapi_base,
            api_base,
        })
    }

    /// The legacy base URL in use.
    pub fn oapi_base(&self) -> &str {
        &self.oapi_base
    }

    /// The v1.0 base URL in use.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }
}

fn normalise_base(base: &str) -> Result<String, OpenApiError> {
    let trimmed = base.trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| OpenApiError::Config(format!("base URL {trimmed:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.host().is_none() {
        return Err(OpenApiError::Config(format!(
            "base URL {trimmed:?} must be http(s)://host[:port][/path] without a query"
        )));
    }
    Ok(trimmed.to_owned())
}

/// An answer read in full: status, content type and at most [`MAX_RESPONSE_BYTES`] of body.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

pub(crate) async fn send(req: reqwest::RequestBuilder) -> Result<RawResponse, OpenApiError> {
    let mut resp = req.send().await.map_err(transport_error)?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OpenApiError::ResponseTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawResponse {
        status,
        content_type,
        body,
    })
}

fn transport_error(e: reqwest::Error) -> OpenApiError {
    if e.is_timeout() {
        OpenApiError::Timeout
    } else {
        // The URL carries the legacy signature: never let it into a message.
        let e = e.without_url();
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        OpenApiError::Network(msg)
    }
}

/// Parses a body as JSON, or says why it is not JSON (HTML ban page, garbage).
pub(crate) fn parse_json(raw: &RawResponse) -> Result<serde_json::Value, OpenApiError> {
    let ct = raw.content_type.as_deref().unwrap_or("none");
    let trimmed = trim_ascii_start(&raw.body);
    let ct_lower = ct.to_ascii_lowercase();
    let html = ct_lower.contains("html") || trimmed.first() == Some(&b'<');
    let claims_json = ct_lower.contains("json");
    match serde_json::from_slice::<serde_json::Value>(&raw.body) {
        Ok(v) if is_punish_answer(&v) => Err(OpenApiError::IpBanned {
            status: raw.status,
            wait_minutes: v.get("wait").and_then(|w| w.as_u64()),
        }),
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(OpenApiError::MalformedJson {
            status: raw.status,
            reason: "the top-level value is not an object".into(),
        }),
        Err(_) if html || !(claims_json || trimmed.first() == Some(&b'{')) => {
            Err(OpenApiError::NonJson {
                status: raw.status,
                content_type: ct.chars().take(100).collect(),
                html,
            })
        }
        Err(e) => Err(OpenApiError::MalformedJson {
            status: raw.status,
            reason: format!(
                "{} at line {} column {}",
                classify(&e),
                e.line(),
                e.column()
            ),
        }),
    }
}

/// DingTalk's documented IP-ban answer: `{"status":1111,"wait":5,"source":"x5","punish":"deny",…}`.
fn is_punish_answer(v: &serde_json::Value) -> bool {
    v.get("punish").is_some_and(|p| p.is_string()) && v.get("errcode").is_none()
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "JSON syntax error",
        serde_json::error::Category::Data => "unexpected JSON data",
        serde_json::error::Category::Io => "I/O error",
    }
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// A JSON field that must be a string.
pub(crate) fn str_field(
    obj: &serde_json::Value,
    name: &str,
    status: u16,
) -> Result<String, OpenApiError> {
    match obj.get(name) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(OpenApiError::MalformedJson {
            status,
            reason: format!("field `{name}` is not a string"),
        }),
        None => Err(OpenApiError::MalformedJson {
            status,
            reason: format!("field `{name}` is missing"),
        }),
    }
}

/// A JSON field that may be absent or null but, if present, is a string.
pub(crate) fn opt_str_field(
    obj: &serde_json::Value,
    name: &str,
    status: u16,
) -> Result<Option<String>, OpenApiError> {
    match obj.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(OpenApiError::MalformedJson {
            status,
            reason: format!("field `{name}` is not a string"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, ct: Option<&str>, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: ct.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn secret_debug_and_display_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        let creds = LegacyCredentials {
            app_key: "dingkey".into(),
            app_secret: s,
        };
        let dbg = format!("{creds:?}");
        assert!(dbg.contains("dingkey") && !dbg.contains("hunter2"), "{dbg}");
        let c = ClientCredentials {
            client_id: "id".into(),
            client_secret: Secret::new("topsecret"),
        };
        assert!(!format!("{c:?}").contains("topsecret"));
    }

    #[test]
    fn html_ban_page_is_non_json_not_a_panic() {
        let e = parse_json(&raw(
            403,
            Some("text/html; charset=utf-8"),
            "<!DOCTYPE html><html><body>访问被拒绝</body></html>",
        ))
        .unwrap_err();
        assert!(
            matches!(
                e,
                OpenApiError::NonJson {
                    status: 403,
                    html: true,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("banned"));
        // HTML served with a JSON content type is still HTML.
        let e = parse_json(&raw(200, Some("application/json"), "  <html>")).unwrap_err();
        assert!(matches!(e, OpenApiError::NonJson { html: true, .. }));
        let e = parse_json(&raw(200, None, "plain text")).unwrap_err();
        assert!(matches!(e, OpenApiError::NonJson { html: false, .. }));
        let e = parse_json(&raw(200, Some("application/json"), "")).unwrap_err();
        assert!(matches!(e, OpenApiError::MalformedJson { .. }), "{e:?}");
    }

    #[test]
    fn malformed_json_is_typed() {
        let e = parse_json(&raw(200, Some("application/json"), "{\"errcode\":0,")).unwrap_err();
        assert!(
            matches!(e, OpenApiError::MalformedJson { status: 200, .. }),
            "{e:?}"
        );
        let e = parse_json(&raw(200, Some("application/json"), "[1,2]")).unwrap_err();
        assert!(matches!(e, OpenApiError::MalformedJson { .. }));
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(OpenApiClient::new(OpenApiConfig {
            oapi_base: "ftp://x".into(),
            ..Default::default()
        })
        .is_err());
        assert!(OpenApiClient::new(OpenApiConfig {
            api_base: "http://127.0.0.1:1/?a=b".into(),
            ..Default::default()
        })
        .is_err());
        let c = OpenApiClient::new(OpenApiConfig {
            oapi_base: "http://127.0.0.1:9/".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.oapi_base(), "http://127.0.0.1:9");
        assert_eq!(c.api_base(), DEFAULT_API_BASE);
    }

    #[test]
    fn retryable_classification() {
        assert!(OpenApiError::Timeout.is_retryable());
        assert!(!OpenApiError::CodeInvalid {
            message: String::new()
        }
        .is_retryable());
        assert!(!OpenApiError::ClockSkew {
            message: String::new()
        }
        .is_retryable());
    }
}
