//! Maps between the FFI types of `lib.rs` and the core's types, and adapts the foreign traits.

use std::sync::Arc;

use dingtalk_auth as core;

use crate::{
    AuthConfig, AuthError, AuthGrant, FailureReason, LoginFlow, LoginOutcome, LoginRequest,
    OAuthScope, PendingLoginStore, Platform, SdkResponse, TimeSource,
};

pub(crate) fn authenticator(
    config: AuthConfig,
    store: Option<Arc<dyn PendingLoginStore>>,
    time: Option<Arc<dyn TimeSource>>,
) -> Result<core::Authenticator, AuthError> {
    let store = store.map(|s| Arc::new(ForeignStore(s)) as Arc<dyn core::PendingStore>);
    let clock = time.map(|t| Arc::new(ForeignTime(t)) as Arc<dyn core::Clock>);
    Ok(core::Authenticator::new(config.into(), store, clock)?)
}

#[cfg(feature = "http")]
pub(crate) async fn submit(
    auth: &core::Authenticator,
    grant: &core::AuthGrant,
) -> Result<crate::BackendResponse, AuthError> {
    let r = auth.submit(grant).await?;
    Ok(crate::BackendResponse {
        status: r.status,
        body: r.body,
    })
}

#[cfg(not(feature = "http"))]
pub(crate) async fn submit(
    _: &core::Authenticator,
    _: &core::AuthGrant,
) -> Result<crate::BackendResponse, AuthError> {
    Err(AuthError::HttpUnavailable {
        reason: "this build has no HTTP support; post grant.toJson() yourself".into(),
    })
}

struct ForeignStore(Arc<dyn PendingLoginStore>);

fn store_failure(e: crate::StoreError) -> core::StoreFailure {
    core::StoreFailure(e.to_string())
}

impl core::PendingStore for ForeignStore {
    fn put(&self, key: &str, value: &str) -> Result<(), core::StoreFailure> {
        self.0.put(key.into(), value.into()).map_err(store_failure)
    }
    fn get(&self, key: &str) -> Result<Option<String>, core::StoreFailure> {
        self.0.get(key.into()).map_err(store_failure)
    }
    fn remove(&self, key: &str) -> Result<(), core::StoreFailure> {
        self.0.remove(key.into()).map_err(store_failure)
    }
    fn keys(&self) -> Result<Vec<String>, core::StoreFailure> {
        self.0.keys().map_err(store_failure)
    }
}

struct ForeignTime(Arc<dyn TimeSource>);

impl core::Clock for ForeignTime {
    fn now_ms(&self) -> Result<i64, core::ClockFailure> {
        self.0
            .now_ms()
            .map_err(|e| core::ClockFailure(e.to_string()))
    }
}

impl From<core::Error> for AuthError {
    fn from(e: core::Error) -> Self {
        use core::{CallbackError as C, HttpError as H, StateError as S};
        match e {
            core::Error::Config(c) => AuthError::InvalidConfig {
                reason: c.to_string(),
            },
            core::Error::State(s) => match s {
                S::Missing => AuthError::StateMissing,
                S::Malformed(_) => AuthError::StateMalformed,
                S::Unknown => AuthError::StateUnknown,
                S::Expired => AuthError::StateExpired,
                S::Reused => AuthError::StateReused,
                S::FlowMismatch { .. } => AuthError::FlowMismatch,
                S::NoPendingLogin => AuthError::NoPendingLogin,
                S::Ambiguous(_) => AuthError::AmbiguousPendingLogin,
            },
            core::Error::Response(reason) => AuthError::InvalidResponse { reason },
            core::Error::Callback(
                c @ (C::TooLong(_)
                | C::Syntax(_)
                | C::NotRedirectUri(_)
                | C::Duplicated(_)
                | C::Parts(_)
                | C::Encoding(_)),
            ) => AuthError::InvalidCallback {
                reason: c.to_string(),
            },
            core::Error::Store(reason) => AuthError::Store { reason },
            core::Error::Clock(reason) => AuthError::TimeSource { reason },
            core::Error::Http(h) => match h {
                H::Unavailable(reason) => AuthError::HttpUnavailable {
                    reason: reason.into(),
                },
                H::Network(reason) => AuthError::Network { reason },
                H::Timeout => AuthError::Timeout,
                H::Rejected { status, body } => AuthError::BackendRejected { status, body },
                H::UnreadableBody(reason) => AuthError::UnreadableBody { reason },
            },
        }
    }
}

impl From<AuthConfig> for core::AuthConfig {
    fn from(c: AuthConfig) -> Self {
        let mut out = core::AuthConfig::new(
            c.client_id,
            c.platform.into(),
            c.flows.into_iter().map(Into::into).collect(),
        );
        out.redirect_uri = c.redirect_uri;
        out.backend_url = c.backend_url;
        out.scope = match c.scope {
            None | Some(OAuthScope::Openid) => core::OAuthScope::Openid,
            Some(OAuthScope::OpenidCorpid) => core::OAuthScope::OpenidCorpid,
        };
        out.pending_ttl_seconds = c.pending_ttl_seconds;
        out.connect_timeout_ms = c.connect_timeout_ms;
        out.request_timeout_ms = c.request_timeout_ms;
        out.org_type = c.org_type;
        out.corp_id = c.corp_id;
        out.exclusive_login = c.exclusive_login;
        out.exclusive_corp_id = c.exclusive_corp_id;
        if let Some(endpoint) = c.authorize_endpoint {
            out.authorize_endpoint = endpoint;
        }
        out
    }
}

impl From<LoginFlow> for core::LoginFlow {
    fn from(f: LoginFlow) -> Self {
        match f {
            LoginFlow::LegacySdk => core::LoginFlow::LegacySdk,
            LoginFlow::NewSdk => core::LoginFlow::NewSdk,
            LoginFlow::Browser => core::LoginFlow::Browser,
        }
    }
}

impl From<core::LoginFlow> for LoginFlow {
    fn from(f: core::LoginFlow) -> Self {
        match f {
            core::LoginFlow::LegacySdk => LoginFlow::LegacySdk,
            core::LoginFlow::NewSdk => LoginFlow::NewSdk,
            core::LoginFlow::Browser => LoginFlow::Browser,
        }
    }
}

impl From<Platform> for core::Platform {
    fn from(p: Platform) -> Self {
        match p {
            Platform::Android => core::Platform::Android,
            Platform::Ios => core::Platform::Ios,
        }
    }
}

impl From<core::Platform> for Platform {
    fn from(p: core::Platform) -> Self {
        match p {
            core::Platform::Android => Platform::Android,
            core::Platform::Ios => Platform::Ios,
        }
    }
}

impl From<core::LoginRequest> for LoginRequest {
    fn from(r: core::LoginRequest) -> Self {
        LoginRequest {
            flow: r.flow.into(),
            client_id: r.client_id,
            state: r.state,
            nonce: r.nonce,
            scope: r.scope,
            redirect_uri: r.redirect_uri,
            authorize_url: r.authorize_url,
            expires_at_ms: r.expires_at_ms,
        }
    }
}

impl From<SdkResponse> for core::SdkResponse {
    fn from(r: SdkResponse) -> Self {
        core::SdkResponse {
            flow: r.flow.into(),
            err_code: r.err_code,
            message: r.message,
            code: r.code,
            state: r.state,
        }
    }
}

impl From<core::Outcome> for LoginOutcome {
    fn from(o: core::Outcome) -> Self {
        match o {
            core::Outcome::Authorized(grant) => LoginOutcome::Authorized {
                grant: Arc::new(AuthGrant(grant)),
            },
            core::Outcome::Cancelled => LoginOutcome::Cancelled,
            core::Outcome::Denied => LoginOutcome::Denied,
            core::Outcome::Failed {
                reason,
                err_code,
                message,
            } => LoginOutcome::Failed {
                reason: match reason {
                    core::FailureReason::CommonFailure => FailureReason::CommonFailure,
                    core::FailureReason::SendFailed => FailureReason::SendFailed,
                    core::FailureReason::Unsupported => FailureReason::Unsupported,
                    core::FailureReason::Unknown => FailureReason::Unknown,
                    core::FailureReason::BrowserError => FailureReason::BrowserError,
                },
                err_code,
                message,
            },
        }
    }
}

/// The records the app prints print like the core's: state, nonce and code redacted.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&core::LoginRequest::from(self.clone()), f)
    }
}

impl std::fmt::Debug for SdkResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&core::SdkResponse::from(self.clone()), f)
    }
}

impl From<LoginRequest> for core::LoginRequest {
    fn from(r: LoginRequest) -> Self {
        core::LoginRequest {
            flow: r.flow.into(),
            client_id: r.client_id,
            state: r.state,
            nonce: r.nonce,
            scope: r.scope,
            redirect_uri: r.redirect_uri,
            authorize_url: r.authorize_url,
            expires_at_ms: r.expires_at_ms,
        }
    }
}
