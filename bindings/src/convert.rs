//! The façade's few own shapes, mapped to the core's: the configuration (optional fields with
//! defaults for Kotlin and Swift), the outcome (its grant is an object), and the foreign store and
//! time source. Every other type crosses as the core's own (see `lib.rs`).

use std::sync::Arc;

use dingtalk_auth as core;

use crate::{
    AuthConfig, AuthError, AuthGrant, LoginOutcome, LoginRequest, PendingLoginStore, SdkResponse,
    TimeSource,
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

impl From<AuthConfig> for core::AuthConfig {
    fn from(c: AuthConfig) -> Self {
        let mut out = core::AuthConfig::new(c.client_id, c.platform, c.flows);
        out.redirect_uri = c.redirect_uri;
        out.backend_url = c.backend_url;
        out.scope = c.scope.unwrap_or_default();
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
                reason,
                err_code,
                message,
            },
        }
    }
}

/// The core words the message; only the grant's shape differs, and the message never reads the grant.
pub(crate) fn outcome_message(outcome: &LoginOutcome) -> core::UserMessage {
    match outcome {
        LoginOutcome::Authorized { grant } => {
            core::Outcome::Authorized(grant.0.clone()).user_message()
        }
        LoginOutcome::Cancelled => core::Outcome::Cancelled.user_message(),
        LoginOutcome::Denied => core::Outcome::Denied.user_message(),
        LoginOutcome::Failed {
            reason, err_code, ..
        } => core::messages::failure_message(*reason, *err_code),
    }
}

/// `From` both ways between a façade twin and the core type of the same shape, from one list of its
/// variants (enums) or fields (records): the twins exist only to export a trait (see `lib.rs`).
macro_rules! twins {
    (enum $facade:ident = $core:path; $($unit:ident),*; $($variant:ident { $($field:ident),* }),*) => {
        impl From<$core> for $facade {
            fn from(e: $core) -> Self {
                use $core as C;
                match e {
                    $(C::$unit => $facade::$unit,)*
                    $(C::$variant { $($field),* } => $facade::$variant { $($field),* },)*
                }
            }
        }
        impl From<$facade> for $core {
            fn from(e: $facade) -> Self {
                use $core as C;
                match e {
                    $($facade::$unit => C::$unit,)*
                    $($facade::$variant { $($field),* } => C::$variant { $($field),* },)*
                }
            }
        }
    };
    (struct $facade:ident = $core:path; $($field:ident),*) => {
        impl From<$core> for $facade {
            fn from(r: $core) -> Self {
                $facade { $($field: r.$field),* }
            }
        }
        impl From<$facade> for $core {
            fn from(r: $facade) -> Self {
                Self { $($field: r.$field),* }
            }
        }
    };
}

twins!(enum AuthError = core::AuthError;
    StateMissing, StateMalformed, StateUnknown, StateExpired, StateReused, FlowMismatch,
    NoPendingLogin, AmbiguousPendingLogin, Timeout;
    InvalidConfig { reason }, InvalidResponse { reason }, InvalidCallback { reason },
    Store { reason }, TimeSource { reason }, HttpUnavailable { reason }, Network { reason },
    BackendRejected { status, body }, UnreadableBody { reason }, Internal { reason });

twins!(struct LoginRequest = core::LoginRequest;
    flow, client_id, state, nonce, scope, redirect_uri, authorize_url, expires_at_ms,
    pending_login_id);

twins!(struct SdkResponse = core::SdkResponse; flow, err_code, message, code, state);

impl From<core::Error> for AuthError {
    fn from(e: core::Error) -> Self {
        core::AuthError::from(e).into()
    }
}

/// The core's texts: the technical sentence of an error, the redacting `Debug` of the records.
impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&core::AuthError::from(self.clone()), f)
    }
}

impl std::error::Error for AuthError {}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_crosses_both_ways_unchanged_with_the_cores_text() {
        let errors = [
            core::AuthError::InvalidConfig { reason: "r".into() },
            core::AuthError::StateMissing,
            core::AuthError::StateMalformed,
            core::AuthError::StateUnknown,
            core::AuthError::StateExpired,
            core::AuthError::StateReused,
            core::AuthError::FlowMismatch,
            core::AuthError::NoPendingLogin,
            core::AuthError::AmbiguousPendingLogin,
            core::AuthError::InvalidResponse { reason: "r".into() },
            core::AuthError::InvalidCallback { reason: "r".into() },
            core::AuthError::Store { reason: "r".into() },
            core::AuthError::TimeSource { reason: "r".into() },
            core::AuthError::HttpUnavailable { reason: "r".into() },
            core::AuthError::Network { reason: "r".into() },
            core::AuthError::Timeout,
            core::AuthError::BackendRejected {
                status: 503,
                body: "b".into(),
            },
            core::AuthError::UnreadableBody { reason: "r".into() },
            core::AuthError::Internal { reason: "r".into() },
        ];
        for e in errors {
            let facade = AuthError::from(e.clone());
            assert_eq!(facade.to_string(), e.to_string());
            assert_eq!(core::AuthError::from(facade), e);
        }
    }

    #[test]
    fn the_records_print_like_the_cores_redacted() {
        let request = LoginRequest {
            flow: core::LoginFlow::NewSdk,
            client_id: "dingclient".into(),
            state: Some("SECRET-STATE".into()),
            nonce: Some("SECRET-NONCE".into()),
            scope: "openid".into(),
            redirect_uri: None,
            authorize_url: None,
            expires_at_ms: 1,
            pending_login_id: "0".repeat(32),
        };
        let response = SdkResponse {
            flow: core::LoginFlow::NewSdk,
            err_code: "0".into(),
            message: None,
            code: Some("SECRET-CODE".into()),
            state: Some("SECRET-STATE".into()),
        };
        for printed in [format!("{request:?}"), format!("{response:?}")] {
            assert!(!printed.contains("SECRET"), "{printed}");
        }
        assert_eq!(
            core::LoginRequest::from(request.clone()),
            core::LoginRequest::from(LoginRequest::from(core::LoginRequest::from(request)))
        );
    }

    #[test]
    fn the_config_defaults_are_the_cores() {
        let facade = AuthConfig {
            client_id: "dingclient".into(),
            platform: core::Platform::Ios,
            flows: vec![core::LoginFlow::LegacySdk],
            redirect_uri: None,
            backend_url: None,
            scope: None,
            pending_ttl_seconds: core::config::DEFAULT_PENDING_TTL_SECONDS,
            connect_timeout_ms: core::config::DEFAULT_CONNECT_TIMEOUT_MS,
            request_timeout_ms: core::config::DEFAULT_REQUEST_TIMEOUT_MS,
            org_type: None,
            corp_id: None,
            exclusive_login: false,
            exclusive_corp_id: None,
            authorize_endpoint: None,
        };
        assert_eq!(
            core::AuthConfig::from(facade),
            core::AuthConfig::new(
                "dingclient",
                core::Platform::Ios,
                vec![core::LoginFlow::LegacySdk]
            )
        );
    }
}
