//! The Kotlin and Swift API of dingtalk-auth (UniFFI 0.32, proc-macros).
//!
//! This file is only the FFI surface: every type an app sees, with the doc comments that become its
//! KDoc / Swift docs. The work is done by the `dingtalk-auth` core; `convert.rs` maps between the two,
//! `logging.rs` routes the core's `log` lines to logcat / os_log / stderr.
//!
//! One login: `DingTalkAuth(config)` → `begin(flow)` → hand the `LoginRequest` to DingTalk →
//! `completeSdk(response)` or `completeBrowser(url)` → `LoginOutcome.Authorized(grant)` →
//! `submit(grant)` (or post `grant.toJson()` yourself).

use std::sync::{Arc, Mutex};

use dingtalk_auth::{
    AnsweredBy, BackendResponse, CallbackKind, ErrorHandling, FailureReason, HttpRequest,
    HttpResponse, LoginFlow, MessageKey, OAuthScope, OrgMember, Platform, ReplyLimits,
    ReplyVerdict, SetupSeverity, StartProblem, UserMessage,
};

mod convert;
mod logging;

uniffi::setup_scaffolding!();

// Most of the core's types cross the FFI as they are. `#[uniffi::remote(…)]` generates the scaffolding
// for a type defined in a crate that does not use UniFFI, from a restatement of its definition
// (https://mozilla.github.io/uniffi-rs/latest/types/remote_ext_types.html). The restatement is not
// written here: each such core type is defined by a `define_…!` macro of the core, which the core
// expands with its derives and this file with `#[uniffi::remote(…)]`. One definition, one set of doc
// comments (they become the KDoc / Swift docs), nothing to convert.
//
// Why not `derive(uniffi::…)` behind a `uniffi` feature of the core, as matrix-rust-sdk does: in library
// mode every crate with UniFFI types becomes its own component, with its own Kotlin package and Swift FFI
// module. Giving the core the package `dev.dingtalkauth` too makes two generated files declare the same
// `RustBuffer`, `UniffiLib`… in one package (it does not compile); keeping it apart moves `LoginFlow` &
// co. to another package and module, which breaks every app's imports and the packaging.
//
// A remote type cannot export a trait (`#[uniffi::export(Debug)]` emits an inherent `impl`, which Rust
// allows only in the type's own crate). So the types whose printing must redact or read as a sentence
// (`LoginRequest`, `SdkResponse`, `AuthError`, `LoginAnswer`) keep a façade twin of the same shape, mapped in
// `convert.rs` by one macro per type that lists the fields once; so do the types whose foreign shape
// differs (`AuthConfig`: optional fields with defaults; `LoginOutcome` and `AuthGrant`: the grant is an
// object so that printing it never prints the code).

dingtalk_auth::define_login_flow!(#[uniffi::remote(Enum)]);

dingtalk_auth::define_platform!(#[uniffi::remote(Enum)]);

dingtalk_auth::define_oauth_scope!(#[uniffi::remote(Enum)]);

// The numeric defaults come from the core (`dingtalk_auth::with_config_defaults!`), written once there.
macro_rules! auth_config_record {
    ($pending_ttl_seconds:tt, $connect_timeout_ms:tt, $request_timeout_ms:tt) => {
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
            /// How long a pending login waits for DingTalk, seconds (1 to 3600).
            #[uniffi(default = $pending_ttl_seconds)]
            pub pending_ttl_seconds: u32,
            /// Connect timeout of `submit`, milliseconds.
            #[uniffi(default = $connect_timeout_ms)]
            pub connect_timeout_ms: u32,
            /// Total timeout of `submit`, milliseconds.
            #[uniffi(default = $request_timeout_ms)]
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
    };
}
dingtalk_auth::with_config_defaults!(auth_config_record);

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
    /// New SDK: pass as the request's `responseType` (`code`). Browser: already in `authorizeUrl`.
    #[uniffi(default = None)]
    pub response_type: Option<String>,
    /// New SDK: pass as the request's `prompt` (`consent`). Browser: already in `authorizeUrl`.
    #[uniffi(default = None)]
    pub prompt: Option<String>,
    /// Browser only: open this URL.
    pub authorize_url: Option<String>,
    /// When this pending login expires, milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// Names this pending login for `abandon`, for every flow (the legacy iOS login has no `state`). Not
    /// a secret, and not for DingTalk.
    pub pending_login_id: String,
}

/// DingTalk's SDK answer, exactly as received. Printing it redacts the code and state.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SdkResponse {
    /// Which SDK answered: `LegacySdk` or `NewSdk`.
    pub flow: LoginFlow,
    /// The ErrCode as received, e.g. `"0"`, `"-2"` (Android: `resp.mErrCode.toString()`; the new SDK's
    /// `error` extra, which its web fallback fills with the login page's value, e.g. `access_denied`).
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
    /// Which path answered, exactly as the SDK reported it: the new Android SDK's `type` extra
    /// (`DDAuthConstant.CALLBACK_EXTRA_TYPE`: `"app"` or `"web"`). `None` when the SDK does not say.
    #[uniffi(default = None)]
    pub reply_type: Option<String>,
}

dingtalk_auth::define_failure_reason!(#[uniffi::remote(Enum)]);

dingtalk_auth::define_answered_by!(#[uniffi::remote(Enum)]);

dingtalk_auth::define_outcome!(LoginOutcome, Arc<AuthGrant>, #[derive(Clone, uniffi::Enum)]);

/// A successful login's auth code, packaged for your backend. An object rather than a record so that
/// printing it never prints the code.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct AuthGrant(dingtalk_auth::AuthGrant);

#[uniffi::export]
impl AuthGrant {
    /// The flow that produced the code (the backend exchanges it accordingly).
    pub fn flow(&self) -> LoginFlow {
        self.0.flow
    }
    /// The DingTalk application's id.
    pub fn client_id(&self) -> String {
        self.0.client_id.clone()
    }
    /// The platform the login ran on.
    pub fn platform(&self) -> Platform {
        self.0.platform
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

dingtalk_auth::define_backend_response!(#[uniffi::remote(Record)]);

dingtalk_auth::define_org_member!(#[uniffi::remote(Record)]);

dingtalk_auth::define_login_answer!(
    #[derive(Clone, PartialEq, Eq, uniffi::Record)]
    #[uniffi::export(Debug)]
);

/// Reads `response` as the reference backend's login answer (`server/backend`): the session token and,
/// for an internal app, the organisation's member. Unknown fields are ignored; a body that is not a login
/// answer throws `UnreadableBody`, whose reason names the missing or mistyped field, never the body.
#[uniffi::export]
pub fn read_login_answer(response: BackendResponse) -> Result<LoginAnswer, AuthError> {
    response
        .login_answer()
        .map(LoginAnswer::from)
        .map_err(|e| dingtalk_auth::AuthError::from(e).into())
}

/// Every error of this library. Texts never contain an auth code, state or token; `toString()` /
/// `description` give the technical text (for logs), `errorMessage(error)` the sentence for users and
/// `errorHandling(error)` what the app should do.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum AuthError {
    /// The configuration is unusable (or a flow that is not enabled was used); `reason` says why.
    InvalidConfig { reason: String },
    /// An answer without the `state` its flow always carries. A cancel or deny without one is refused
    /// too: it cannot be told from one sent by another app, so the pending login keeps waiting.
    StateMissing,
    /// The state is empty, longer than 1024 characters, or has characters this library never generates.
    StateMalformed,
    /// No pending login has this state (forged, from another device, or long gone). Also thrown for a
    /// cancel, deny or failure with such a state: it is not about this device's login, so ignore it;
    /// the real pending login is untouched.
    StateUnknown,
    /// The pending login expired before DingTalk answered.
    StateExpired,
    /// The pending login was already completed: this answer is a replay.
    StateReused,
    /// The state belongs to a login of another flow.
    FlowMismatch,
    /// A legacy-SDK reply without state (iOS), and no pending legacy login to bind it to.
    NoPendingLogin,
    /// A legacy-SDK reply without state, and several pending legacy logins: it cannot be attributed.
    AmbiguousPendingLogin,
    /// The SDK answer cannot be taken as it is (success without code, ErrCode not a number, …).
    InvalidResponse { reason: String },
    /// The callback URL is not the configured redirect URI, or its parameters are wrong.
    InvalidCallback { reason: String },
    /// Your `PendingLoginStore` failed, or holds an unreadable record.
    Store { reason: String },
    /// Your `TimeSource` threw.
    TimeSource { reason: String },
    /// `submit` is not available: no `backendUrl` configured, or no `transport` given to a build without
    /// an HTTP client of its own (the default build).
    HttpUnavailable { reason: String },
    /// No connection to the backend (refused, unreachable, DNS, TLS).
    Network { reason: String },
    /// The backend did not answer within the configured timeouts.
    Timeout,
    /// The backend answered with a non-2xx status; `body` is what it said.
    BackendRejected { status: u16, body: String },
    /// A 2xx answer whose body could not be read (broken, not UTF-8, larger than 1 MiB).
    UnreadableBody { reason: String },
    /// A bug in this library (a caught panic); please report it.
    Internal { reason: String },
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
/// pending logins hold a hash of the state, the flow and times, never a code; a `KeptGrant` over the
/// same store keeps the grant being delivered (its code, at most 15 minutes): encrypt the values. Calls
/// come from the thread that calls `DingTalkAuth` (or `KeptGrant`), one at a time per instance.
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

// --- Sending the grant through the app's own HTTP stack ---------------------------------------------

dingtalk_auth::define_http_request!(#[uniffi::remote(Record)]);

dingtalk_auth::define_http_response!(#[uniffi::remote(Record)]);

/// What an `HttpTransport` throws when it has no (complete) answer. Any other exception it throws
/// arrives as `Network` with the exception's first line, so `submit` always ends in a typed `AuthError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// `connectTimeoutMs` or `timeoutMs` elapsed (becomes `AuthError.Timeout`).
    #[error("the request timed out")]
    Timeout,
    /// No answer: refused, unreachable, DNS, TLS, cancelled (becomes `AuthError.Network`). `reason` must
    /// not contain secrets.
    #[error("{reason}")]
    Network { reason: String },
    /// The status arrived but the body could not be read to the end (a 2xx becomes
    /// `AuthError.UnreadableBody`, any other status `AuthError.BackendRejected` without a body).
    #[error("{reason}")]
    Body { status: u16, reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Network {
            reason: first_line(&e.reason),
        }
    }
}

/// The app's HTTP stack (OkHttp, `HttpURLConnection`, URLSession, Alamofire…), so the grant travels with
/// its interceptors, proxies, cookies and certificate pinning. `submit` builds the request and reads the
/// answer (which status is a success, the body limit, the errors); the transport only moves bytes. It
/// must send the request exactly as given, honour both timeouts (throw `Timeout`), and **not follow
/// redirects**: a 3xx is returned as an answer (a redirect would carry the single-use code to a URL
/// nobody configured). Ready-made: `HttpUrlConnectionTransport` (Android layer), `URLSessionTransport`
/// (Swift package); an OkHttp one is a few lines (README).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and returns the answer, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// The app's transport behind the core's `Transport` seam.
struct AppTransport(Arc<dyn HttpTransport>);

impl dingtalk_auth::Transport for AppTransport {
    fn send(&self, request: HttpRequest) -> dingtalk_auth::TransportFuture<'_> {
        Box::pin(async move {
            self.0.send(request).await.map_err(|e| match e {
                TransportError::Timeout => dingtalk_auth::TransportError::Timeout,
                TransportError::Network { reason } => {
                    dingtalk_auth::TransportError::Network(reason)
                }
                TransportError::Body { status, reason } => {
                    dingtalk_auth::TransportError::Body { status, reason }
                }
            })
        })
    }
}

/// `authenticator` sending through `transport`, when the app gave one.
fn with_transport(
    authenticator: dingtalk_auth::Authenticator,
    transport: Option<Arc<dyn HttpTransport>>,
) -> dingtalk_auth::Authenticator {
    match transport {
        Some(t) => authenticator.with_transport(Arc::new(AppTransport(t))),
        None => authenticator,
    }
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

// With HTTP, `submit` may await reqwest, which needs a tokio runtime (started at the first call).
// Without it, `submit` awaits only the app's transport, whose future the foreign side completes: the
// foreign language drives it (https://mozilla.github.io/uniffi-rs/latest/futures.html) and no Rust
// runtime is linked.
#[cfg_attr(feature = "http", uniffi::export(async_runtime = "tokio"))]
#[cfg_attr(not(feature = "http"), uniffi::export)]
impl DingTalkAuth {
    /// Validates `config` (throws `InvalidConfig`). Without a `store`, pending logins live in memory
    /// and do not survive process death. `submit` sends through `transport` (the app's HTTP stack);
    /// without one, through the library's own HTTP client, which only the `http` build has.
    #[uniffi::constructor(default(store = None, transport = None))]
    pub fn new(
        config: AuthConfig,
        store: Option<Arc<dyn PendingLoginStore>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, AuthError> {
        convert::authenticator(config, store, None)
            .map(|a| Arc::new(DingTalkAuth(with_transport(a, transport))))
    }

    /// Like the main constructor, with an explicit time source (tests, or a trusted clock).
    #[uniffi::constructor(default(transport = None))]
    pub fn with_time_source(
        config: AuthConfig,
        store: Option<Arc<dyn PendingLoginStore>>,
        time: Arc<dyn TimeSource>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, AuthError> {
        convert::authenticator(config, store, Some(time))
            .map(|a| Arc::new(DingTalkAuth(with_transport(a, transport))))
    }

    /// Begins a login: creates a pending login and returns what to hand to DingTalk.
    pub fn begin(&self, flow: LoginFlow) -> Result<LoginRequest, AuthError> {
        Ok(self.0.begin(flow)?.into())
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

    /// Forgets the login `request` began because handing it to DingTalk failed (the SDK refused, no
    /// browser opened): no answer can come for it. Works for every flow, the legacy iOS one (no
    /// `state`) included; a login already answered is kept. Throws `StateMalformed` for a
    /// `pendingLoginId` this library did not make, `Store` if the store fails.
    pub fn abandon(&self, request: LoginRequest) -> Result<(), AuthError> {
        Ok(self.0.abandon(&request.into())?)
    }

    /// How many logins are waiting for DingTalk's answer (unused and unexpired).
    pub fn pending_count(&self) -> Result<u32, AuthError> {
        Ok(u32::try_from(self.0.pending_count()?).unwrap_or(u32::MAX))
    }

    /// Posts `grant.toJson()` to the configured backend with its `Idempotency-Key`, through the
    /// constructor's `transport` (or the built-in client of the `http` build). Retrying with the same
    /// grant is safe.
    pub async fn submit(&self, grant: Arc<AuthGrant>) -> Result<BackendResponse, AuthError> {
        Ok(self.0.submit(&grant.0).await?)
    }
}

// --- The grant kept until the app acknowledges it ------------------------------------------------

/// The grant a platform layer keeps in the app's store until the app acknowledges it, so a rotation
/// or the OS killing the app during `submit` loses nothing: delivering it again sends the same JSON
/// with the same `Idempotency-Key`, which the backend answers without exchanging the code twice.
/// What is kept (the last grant, one per DingTalk application), when it is dropped (acknowledged,
/// older than the backend's 15-minute idempotency window, unreadable) is decided here, not by the
/// caller. The platform layers' `GrantDelivery` uses it; apps rarely need it directly.
#[derive(uniffi::Object)]
pub struct KeptGrant(dingtalk_auth::KeptGrant);

#[uniffi::export]
impl KeptGrant {
    /// Keeps grants of the DingTalk application `client_id` in `store` (the same store as the
    /// pending logins; without one, in memory: it then survives a rotation, not process death).
    /// Throws `InvalidConfig` for a `client_id` that cannot be one.
    #[uniffi::constructor(default(time = None))]
    pub fn new(
        store: Option<Arc<dyn PendingLoginStore>>,
        client_id: String,
        time: Option<Arc<dyn TimeSource>>,
    ) -> Result<Arc<Self>, AuthError> {
        let store = store.map_or_else(
            || {
                Arc::new(dingtalk_auth::MemoryStore::default())
                    as Arc<dyn dingtalk_auth::PendingStore>
            },
            convert::foreign_store,
        );
        let clock = time.map_or_else(
            || Arc::new(dingtalk_auth::SystemClock) as Arc<dyn dingtalk_auth::Clock>,
            convert::foreign_clock,
        );
        Ok(Arc::new(KeptGrant(dingtalk_auth::KeptGrant::new(
            store, &client_id, clock,
        )?)))
    }

    /// Keeps `grant`, replacing the one kept before. `InvalidConfig` if it is another application's.
    pub fn keep(&self, grant: Arc<AuthGrant>) -> Result<(), AuthError> {
        Ok(self.0.keep(&grant.0)?)
    }

    /// The kept grant while it can still be delivered, with its original idempotency key; `null` /
    /// `nil` when none is kept (an expired or unreadable one is dropped).
    pub fn current(&self) -> Result<Option<Arc<AuthGrant>>, AuthError> {
        Ok(self.0.current()?.map(|g| Arc::new(AuthGrant(g))))
    }

    /// Drops the kept grant if it is the one with `idempotency_key`; returns whether it was (a newer
    /// grant is never dropped by acknowledging an older one).
    pub fn acknowledge(&self, idempotency_key: String) -> Result<bool, AuthError> {
        Ok(self.0.acknowledge(&idempotency_key)?)
    }
}

// --- Decisions the platform layers take from here rather than re-deriving them -------------------

dingtalk_auth::define_error_handling!(#[uniffi::remote(Enum)]);

/// What the app should do about `error`.
#[uniffi::export]
pub fn error_handling(error: AuthError) -> ErrorHandling {
    dingtalk_auth::AuthError::from(error).handling()
}

dingtalk_auth::define_message_key!(#[uniffi::remote(Enum)]);

dingtalk_auth::define_user_message!(#[uniffi::remote(Record)]);

dingtalk_auth::define_start_problem!(#[uniffi::remote(Enum)]);

/// The sentence for the user about `error` (`toString()` / `description` stay the technical text).
#[uniffi::export]
pub fn error_message(error: AuthError) -> UserMessage {
    dingtalk_auth::AuthError::from(error).user_message()
}

/// The sentence for the user about how a login ended. DingTalk's own message is not in it.
#[uniffi::export]
pub fn outcome_message(outcome: &LoginOutcome) -> UserMessage {
    dingtalk_auth::Outcome::from(outcome).user_message()
}

/// What the app should do about `outcome` beyond showing its message: `None` for `Authorized` (send
/// the grant), `Cancelled` and `Denied` (the user's choice: offer the login again); `FixAppSetup` for
/// `AppIdentityMismatch`; `StartAgain` for `Failed`.
#[uniffi::export]
pub fn outcome_handling(outcome: &LoginOutcome) -> Option<ErrorHandling> {
    dingtalk_auth::Outcome::from(outcome).handling()
}

/// The sentence for the user about a flow that could not be started.
#[uniffi::export]
pub fn start_problem_message(problem: StartProblem) -> UserMessage {
    problem.user_message()
}

/// What a failed `begin` is as a start problem: `InvalidConfig` → `FlowNotEnabled`, `Store` →
/// `StorageFailed`, `TimeSource` → `ClockFailed`, anything else → `Unexpected`.
#[uniffi::export]
pub fn start_problem_of(error: AuthError) -> StartProblem {
    StartProblem::of_begin_error(&error.into())
}

dingtalk_auth::define_setup_severity!(#[uniffi::remote(Enum)]);

/// How serious it is that DingTalk is not installed (or too old) for an app using `flows`: `Error` if a
/// flow cannot log in without DingTalk (the legacy SDK), `Warning` if the flows fall back to a web login
/// (the new SDK opens its own login page), `None` if no flow needs DingTalk (browser only).
#[uniffi::export]
pub fn dingtalk_unavailable_severity(
    flows: Vec<LoginFlow>,
    platform: Platform,
) -> Option<SetupSeverity> {
    dingtalk_auth::dingtalk_unavailable_severity(&flows, platform)
}

dingtalk_auth::define_reply_limits!(#[uniffi::remote(Record)]);

/// The limits the core applies to replies.
#[uniffi::export]
pub fn reply_limits() -> ReplyLimits {
    dingtalk_auth::REPLY_LIMITS
}

dingtalk_auth::define_callback_kind!(#[uniffi::remote(Enum)]);

/// Classifies `url` against the app's DingTalk URL schemes (its app ids, compared case-insensitively)
/// and the browser flow's redirect URI, exactly as `completeBrowser` compares the redirect.
#[uniffi::export(default(redirect_uri = None))]
pub fn classify_callback_url(
    url: String,
    sdk_schemes: Vec<String>,
    redirect_uri: Option<String>,
) -> CallbackKind {
    dingtalk_auth::classify_callback_url(&url, &sdk_schemes, redirect_uri.as_deref())
}

/// A reply that reached the app through `flow`: how it ended, or why the core refused it.
#[derive(uniffi::Enum)]
pub enum LoginReply {
    /// DingTalk's verdict.
    Outcome {
        flow: LoginFlow,
        outcome: LoginOutcome,
    },
    /// The core refused the reply.
    Refused { flow: LoginFlow, error: AuthError },
}

dingtalk_auth::define_reply_verdict!(#[uniffi::remote(Enum)]);

/// What `reply` may do: end the login that is waiting (`Answer`, `LoginFailed`) or not (`NotForUs`),
/// and whether `UndeliveredReplies` keeps it. Every outcome is an `Answer`; a refusal's verdict follows
/// its error (`StateExpired` and device failures: `LoginFailed`; forged, replayed, malformed, another
/// flow's: `NotForUs`).
#[uniffi::export]
pub fn reply_verdict(reply: &LoginReply) -> ReplyVerdict {
    match reply {
        LoginReply::Outcome { .. } => ReplyVerdict::Answer,
        LoginReply::Refused { error, .. } => {
            dingtalk_auth::AuthError::from(error.clone()).reply_verdict()
        }
    }
}

/// Replies that arrived while nothing was waiting for them (the app was relaunched by DingTalk's
/// reply, or the screen is not observing yet), kept in order until the app takes them, by
/// `replyVerdict(reply)`: a `NotForUs` reply is never kept, so a forged reply can neither be shown later
/// nor push out a real one; an `Answer` is always kept and nothing displaces it; a `LoginFailed` reply
/// is kept only while no answer is kept, so the last reply taken is never a failure that came after a
/// success. At most 8 are kept (a failure makes room before an answer). Thread-safe.
#[derive(uniffi::Object)]
pub struct UndeliveredReplies(Mutex<dingtalk_auth::UndeliveredReplies<LoginReply>>);

#[uniffi::export]
impl UndeliveredReplies {
    /// An empty buffer.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(UndeliveredReplies(Mutex::default()))
    }

    /// Keeps `reply` if its verdict allows (see the type); returns whether it was kept.
    pub fn offer(&self, reply: LoginReply) -> bool {
        let verdict = reply_verdict(&reply);
        self.replies().offer(reply, verdict)
    }

    /// Every kept reply, oldest first; afterwards none is kept.
    pub fn take_all(&self) -> Vec<LoginReply> {
        self.replies().take_all()
    }

    /// True when no reply is kept.
    pub fn is_empty(&self) -> bool {
        self.replies().is_empty()
    }
}

impl UndeliveredReplies {
    fn replies(&self) -> std::sync::MutexGuard<'_, dingtalk_auth::UndeliveredReplies<LoginReply>> {
        // A panic while holding the lock cannot leave the queue half-changed (every change is one
        // VecDeque call), so a poisoned lock is taken over.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
