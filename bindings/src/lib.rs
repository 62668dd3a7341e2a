//! The Kotlin and Swift API of dingtalk-auth (UniFFI 0.32, proc-macros).
//!
//! This file is only the FFI surface: every type an app sees, with the doc comments that become its
//! KDoc / Swift docs. The work is done by the `dingtalk-auth` core; `convert.rs` maps between the two,
//! `logging.rs` routes the core's `log` lines to logcat / os_log / stderr.
//!
//! One login: `DingTalkAuth(config)` → `begin(flow)` → hand the `LoginRequest` to DingTalk →
//! `completeSdk(response)` or `completeBrowser(url)` → `LoginOutcome.Authorized(grant)` →
//! `submit(grant)` (or post `grant.toJson()` yourself).

use std::sync::Arc;

mod convert;
mod logging;

uniffi::setup_scaffolding!();

/// The way a login reaches DingTalk. It decides where the backend exchanges the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LoginFlow {
    /// The legacy SDK: iOS `DTOpenAPI` + `DTAuthorizeReq`, Android DDShare `SendAuth.Req`. The backend
    /// exchanges its code at `sns/getuserinfo_bycode`.
    LegacySdk,
    /// The new SDK: iOS `ADTOpenAuthSDK`, Android `ddopenauth`. Exchanged at `/v1.0/oauth2/userAccessToken`.
    NewSdk,
    /// The browser flow at `login.dingtalk.com` (Custom Tabs, ASWebAuthenticationSession).
    Browser,
}

/// The platform the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Platform {
    /// Android: every flow carries a `state`.
    Android,
    /// iOS: the legacy SDK's reply has no `state`; it is bound to the single pending legacy login.
    Ios,
}

/// The OAuth scope of the new-SDK and browser flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OAuthScope {
    /// `openid`: the user's identity.
    Openid,
    /// `openid corpid`: also the organisation the user picked (needed for an org allow-list).
    OpenidCorpid,
}

/// Everything the library needs to know about the app. There is no field for an AppSecret: it
/// belongs on your server only.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuthConfig {
    /// The DingTalk application's id: AppId for the legacy SDK, ClientId (AppKey) otherwise.
    pub client_id: String,
    /// The platform the app runs on.
    pub platform: Platform,
    /// The flows the app uses; beginning any other is an `InvalidConfig` error.
    pub flows: Vec<LoginFlow>,
    /// The redirect URI registered with DingTalk; required for the new-SDK and browser flows.
    #[uniffi(default = None)]
    pub redirect_uri: Option<String>,
    /// Where `submit` posts the grant: HTTPS, or plain HTTP only on loopback and the emulator's 10.0.2.2.
    #[uniffi(default = None)]
    pub backend_url: Option<String>,
    /// Scope of the new-SDK and browser flows; `None` means `Openid`.
    #[uniffi(default = None)]
    pub scope: Option<OAuthScope>,
    /// How long a pending login waits for DingTalk, seconds (1 to 3600; default 600).
    #[uniffi(default = 600)]
    pub pending_ttl_seconds: u32,
    /// Connect timeout of `submit`, milliseconds.
    #[uniffi(default = 10000)]
    pub connect_timeout_ms: u32,
    /// Total timeout of `submit`, milliseconds.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: u32,
    /// Browser flow: optional `org_type` parameter.
    #[uniffi(default = None)]
    pub org_type: Option<String>,
    /// Browser flow: optional `corpId` parameter.
    #[uniffi(default = None)]
    pub corp_id: Option<String>,
    /// Browser flow: adds `exclusiveLogin=true`.
    #[uniffi(default = false)]
    pub exclusive_login: bool,
    /// Browser flow: optional `exclusiveCorpId` parameter.
    #[uniffi(default = None)]
    pub exclusive_corp_id: Option<String>,
    /// The browser flow's authorize endpoint; `None` means DingTalk's (`https://login.dingtalk.com/oauth2/auth`).
    #[uniffi(default = None)]
    pub authorize_endpoint: Option<String>,
}

/// A login that has begun: what to hand to DingTalk. Printing it (`toString`, `description`) redacts
/// the state and nonce.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct LoginRequest {
    /// The flow this request is for.
    pub flow: LoginFlow,
    /// The DingTalk application's id (AppId / ClientId).
    pub client_id: String,
    /// Pass to DingTalk as `state`. `None` only for the legacy SDK on iOS, which has no state field.
    pub state: Option<String>,
    /// New SDK only: pass as the request's `nonce`.
    pub nonce: Option<String>,
    /// Pass as `scope`: `sns_login` (legacy SDK), `openid` or `openid corpid`.
    pub scope: String,
    /// New SDK and browser: the redirect URI to pass.
    pub redirect_uri: Option<String>,
    /// Browser only: open this URL.
    pub authorize_url: Option<String>,
    /// When this pending login expires, milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

/// DingTalk's SDK answer, exactly as received. Printing it redacts the code and state.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SdkResponse {
    /// Which SDK answered: `LegacySdk` or `NewSdk`.
    pub flow: LoginFlow,
    /// The ErrCode as received, e.g. `"0"`, `"-2"` (Android: `resp.mErrCode.toString()`).
    pub err_code: String,
    /// DingTalk's message (`mErrStr`, `respMessage`).
    #[uniffi(default = None)]
    pub message: Option<String>,
    /// The auth code (`code`, `accessCode`, `authCode`).
    #[uniffi(default = None)]
    pub code: Option<String>,
    /// The state DingTalk echoed back (the legacy iOS SDK has none).
    #[uniffi(default = None)]
    pub state: Option<String>,
}

/// Why a login failed without being cancelled or denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FailureReason {
    /// ErrCode -1.
    CommonFailure,
    /// ErrCode -3: the request never reached DingTalk.
    SendFailed,
    /// ErrCode -5: this DingTalk version does not support the request.
    Unsupported,
    /// Any other ErrCode; its number and DingTalk's message are in the outcome.
    Unknown,
    /// The browser flow came back with `error=…` (the message holds DingTalk's value).
    BrowserError,
}

/// How a login ended. A forged, replayed or expired answer is never an outcome: it is an `AuthError`.
#[derive(uniffi::Enum)]
pub enum LoginOutcome {
    /// The user agreed; send the grant to your backend.
    Authorized { grant: Arc<AuthGrant> },
    /// The user backed out (ErrCode -2).
    Cancelled,
    /// The user refused (ErrCode -4, or the browser's `access_denied`).
    Denied,
    /// DingTalk reported another failure.
    Failed {
        /// What kind of failure.
        reason: FailureReason,
        /// DingTalk's ErrCode, when the SDK gave one.
        err_code: Option<i32>,
        /// DingTalk's message, when it gave one.
        message: Option<String>,
    },
}

/// A successful login's auth code, packaged for your backend. An object rather than a record so that
/// printing it never prints the code.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct AuthGrant(dingtalk_auth::AuthGrant);

#[uniffi::export]
impl AuthGrant {
    /// The flow that produced the code (the backend exchanges it accordingly).
    pub fn flow(&self) -> LoginFlow {
        self.0.flow.into()
    }
    /// The DingTalk application's id.
    pub fn client_id(&self) -> String {
        self.0.client_id.clone()
    }
    /// The platform the login ran on.
    pub fn platform(&self) -> Platform {
        self.0.platform.into()
    }
    /// The scope that was granted.
    pub fn scope(&self) -> String {
        self.0.scope.clone()
    }
    /// When the answer was accepted, milliseconds since the Unix epoch.
    pub fn issued_at_ms(&self) -> i64 {
        self.0.issued_at_ms
    }
    /// Derived from the login and the code: a retried submit carries the same key, so the backend can
    /// answer it without spending the single-use code twice. Sent as the `Idempotency-Key` header.
    pub fn idempotency_key(&self) -> String {
        self.0.idempotency_key.clone()
    }
    /// The JSON body for your backend (wire format version 1, see the README).
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
    /// A description for logs, with the code redacted.
    pub fn redacted_description(&self) -> String {
        self.0.redacted_description()
    }
}

/// Your backend's 2xx answer to `submit`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackendResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body, as UTF-8 text.
    pub body: String,
}

/// Every error of this library. Texts never contain an auth code, state or token; `toString()` /
/// `description` give the sentence after each variant below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum AuthError {
    /// The configuration is unusable (or a flow that is not enabled was used); `reason` says why.
    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },
    /// An answer without the `state` its flow always carries. A cancel or deny without one is refused
    /// too: it cannot be told from one sent by another app, so the pending login keeps waiting.
    #[error("the answer carries no state")]
    StateMissing,
    /// The state is empty, longer than 1024 characters, or has characters this library never generates.
    #[error("the state is malformed")]
    StateMalformed,
    /// No pending login has this state (forged, from another device, or long gone). Also thrown for a
    /// cancel, deny or failure with such a state: it is not about this device's login, so ignore it;
    /// the real pending login is untouched.
    #[error("no pending login has this state")]
    StateUnknown,
    /// The pending login expired before DingTalk answered.
    #[error("the pending login expired")]
    StateExpired,
    /// The pending login was already completed: this answer is a replay.
    #[error("the pending login was already used")]
    StateReused,
    /// The state belongs to a login of another flow.
    #[error("the state belongs to a login of another flow")]
    FlowMismatch,
    /// A legacy-SDK reply without state (iOS), and no pending legacy login to bind it to.
    #[error("no pending legacy-SDK login for a reply without state")]
    NoPendingLogin,
    /// A legacy-SDK reply without state, and several pending legacy logins: it cannot be attributed.
    #[error("several pending legacy-SDK logins; a reply without state cannot be attributed")]
    AmbiguousPendingLogin,
    /// The SDK answer cannot be taken as it is (success without code, ErrCode not a number, …).
    #[error("invalid SDK response: {reason}")]
    InvalidResponse { reason: String },
    /// The callback URL is not the configured redirect URI, or its parameters are wrong.
    #[error("invalid callback URL: {reason}")]
    InvalidCallback { reason: String },
    /// Your `PendingLoginStore` failed, or holds an unreadable record.
    #[error("pending-login store failed: {reason}")]
    Store { reason: String },
    /// Your `TimeSource` threw.
    #[error("the time source failed: {reason}")]
    TimeSource { reason: String },
    /// `submit` is not available: no `backendUrl` configured, or the library was built without HTTP.
    #[error("sending is not available: {reason}")]
    HttpUnavailable { reason: String },
    /// No connection to the backend (refused, unreachable, DNS, TLS).
    #[error("network error: {reason}")]
    Network { reason: String },
    /// The backend did not answer within the configured timeouts.
    #[error("the backend did not answer in time")]
    Timeout,
    /// The backend answered with a non-2xx status; `body` is what it said.
    #[error("the backend refused the grant with HTTP {status}")]
    BackendRejected { status: u16, body: String },
    /// A 2xx answer whose body could not be read (broken, not UTF-8, larger than 1 MiB).
    #[error("unreadable backend answer: {reason}")]
    UnreadableBody { reason: String },
    /// A bug in this library (a caught panic); please report it.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for AuthError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AuthError::Store { reason: e.reason }
    }
}

/// What a `PendingLoginStore` throws when it cannot do its job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum StoreError {
    /// The store failed; `reason` must not contain secrets (it reaches `AuthError.Store`).
    #[error("{reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for StoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        StoreError::Failed {
            reason: first_line(&e.reason),
        }
    }
}

/// An unexpected exception arrives with its whole stack trace: keep the first line, cut short.
fn first_line(reason: &str) -> String {
    reason
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// What a `TimeSource` throws when it cannot tell the time. Any other exception it throws arrives as
/// `Failed` too, so a broken time source is always an `AuthError.TimeSource`, never a crash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TimeSourceError {
    /// The time source failed; `reason` reaches the app's `AuthError.TimeSource`.
    #[error("{reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TimeSourceError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TimeSourceError::Failed {
            reason: first_line(&e.reason),
        }
    }
}

/// Where pending logins live, so a login survives the OS killing the app while DingTalk is in front.
/// Implement it over SharedPreferences + Keystore or the Keychain. Keys and values are short strings;
/// values hold a hash of the state, the flow and times, never a code. Calls come from the thread that
/// calls `DingTalkAuth`, one at a time per `DingTalkAuth` instance.
#[uniffi::export(with_foreign)]
pub trait PendingLoginStore: Send + Sync {
    /// Stores `value` under `key`, replacing any previous value.
    fn put(&self, key: String, value: String) -> Result<(), StoreError>;
    /// The value under `key`, or `None`.
    fn get(&self, key: String) -> Result<Option<String>, StoreError>;
    /// Removes `key` (no error if absent).
    fn remove(&self, key: String) -> Result<(), StoreError>;
    /// Every key currently stored (the library only looks at its own prefix).
    fn keys(&self) -> Result<Vec<String>, StoreError>;
}

/// A source of time, milliseconds since the Unix epoch. For tests, or an app with a trusted clock.
/// (Not named `Clock`: that would shadow Swift's standard `Clock` protocol in every importing file.)
#[uniffi::export(with_foreign)]
pub trait TimeSource: Send + Sync {
    /// Now, milliseconds since the Unix epoch. May throw (Swift: `throws`); whatever it throws reaches
    /// the caller of `begin` / `complete…` as `AuthError.TimeSource`.
    fn now_ms(&self) -> Result<i64, TimeSourceError>;
}

/// Log verbosity for `initLogging`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// One line per login step (default choice).
    Info,
    /// Details; still never codes, states or tokens.
    Debug,
    /// Everything.
    Trace,
}

/// Routes the library's log lines to logcat (Android), os_log (iOS) or stderr (elsewhere). Call once;
/// later calls only change the level. Codes, states and tokens are never logged.
#[uniffi::export]
pub fn init_logging(level: LogLevel) {
    logging::init(level);
}

/// Login with DingTalk for one DingTalk application on this device.
#[derive(uniffi::Object)]
pub struct DingTalkAuth(dingtalk_auth::Authenticator);

// With HTTP, `submit` awaits reqwest, which needs a tokio runtime (started at the first call). Without
// it, `submit` never awaits anything and no runtime is linked.
#[cfg_attr(feature = "http", uniffi::export(async_runtime = "tokio"))]
#[cfg_attr(not(feature = "http"), uniffi::export)]
impl DingTalkAuth {
    /// Validates `config` (throws `InvalidConfig`). Without a `store`, pending logins live in memory
    /// and do not survive process death.
    #[uniffi::constructor(default(store = None))]
    pub fn new(
        config: AuthConfig,
        store: Option<Arc<dyn PendingLoginStore>>,
    ) -> Result<Arc<Self>, AuthError> {
        convert::authenticator(config, store, None).map(|a| Arc::new(DingTalkAuth(a)))
    }

    /// Like the main constructor, with an explicit time source (tests, or a trusted clock).
    #[uniffi::constructor]
    pub fn with_time_source(
        config: AuthConfig,
        store: Option<Arc<dyn PendingLoginStore>>,
        time: Arc<dyn TimeSource>,
    ) -> Result<Arc<Self>, AuthError> {
        convert::authenticator(config, store, Some(time)).map(|a| Arc::new(DingTalkAuth(a)))
    }

    /// Begins a login: creates a pending login and returns what to hand to DingTalk.
    pub fn begin(&self, flow: LoginFlow) -> Result<LoginRequest, AuthError> {
        Ok(self.0.begin(flow.into())?.into())
    }

    /// Completes a login from DingTalk's SDK answer (legacy or new SDK).
    pub fn complete_sdk(&self, response: SdkResponse) -> Result<LoginOutcome, AuthError> {
        Ok(self.0.complete_sdk(&response.into())?.into())
    }

    /// Completes a browser login from the URL DingTalk redirected to.
    pub fn complete_browser(&self, callback_url: String) -> Result<LoginOutcome, AuthError> {
        Ok(self.0.complete_browser(&callback_url)?.into())
    }

    /// Forgets a pending login the app gave up on (e.g. the user closed the browser).
    pub fn discard(&self, state: String) -> Result<(), AuthError> {
        Ok(self.0.discard(&state)?)
    }

    /// How many logins are waiting for DingTalk's answer (unused and unexpired).
    pub fn pending_count(&self) -> Result<u32, AuthError> {
        Ok(u32::try_from(self.0.pending_count()?).unwrap_or(u32::MAX))
    }

    /// Posts `grant.toJson()` to the configured backend with its `Idempotency-Key`. Retrying with the
    /// same grant is safe.
    pub async fn submit(&self, grant: Arc<AuthGrant>) -> Result<BackendResponse, AuthError> {
        convert::submit(&self.0, &grant.0).await
    }
}
