//! The façade's few own shapes, mapped to the core's: the configuration (optional fields with
//! defaults for Kotlin and Swift), the outcome (its grant is an object), and the foreign store and
//! time source. Every other type crosses as the core's own (see `lib.rs`).

use std::sync::Arc;

use dingtalk_auth as core;

use crate::{
    AuthConfig, AuthError, AuthGrant, LoginAnswer, LoginOutcome, LoginRequest, PendingLoginStore,
    SdkResponse, TimeSource,
};

pub(crate) fn authenticator(
    config: AuthConfig,
    store: Option<Arc<dyn PendingLoginStore>>,
    time: Option<Arc<dyn TimeSource>>,
) -> Result<core::Authenticator, AuthError> {
    let store = store.map(foreign_store);
    let clock = time.map(foreign_clock);
    Ok(core::Authenticator::new(config.into(), store, clock)?)
}

pub(crate) fn foreign_store(store: Arc<dyn PendingLoginStore>) -> Arc<dyn core::PendingStore> {
    Arc::new(ForeignStore(store))
}

pub(crate) fn foreign_clock(time: Arc<dyn TimeSource>) -> Arc<dyn core::Clock> {
    Arc::new(ForeignTime(time))
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
        use core::Outcome as C;
        dingtalk_auth::map_outcome!(o, C => LoginOutcome, |grant| Arc::new(AuthGrant(grant)))
    }
}

/// The core's outcome, so that its sentence and handling are decided there (the grant is cloned: it
/// is a few short strings).
impl From<&LoginOutcome> for core::Outcome {
    fn from(o: &LoginOutcome) -> Self {
        use core::Outcome as C;
        dingtalk_auth::map_outcome!(o.clone(), LoginOutcome => C, |grant| grant.0.clone())
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
    flow, client_id, state, nonce, scope, redirect_uri, response_type, prompt, authorize_url,
    expires_at_ms, pending_login_id);

twins!(struct SdkResponse = core::SdkResponse; flow, err_code, message, code, state, reply_type);

twins!(struct LoginAnswer = core::LoginAnswer;
    flow, union_id, open_id, nick, avatar_url, corp_id, session_token, expires_in, member);

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

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&core::LoginAnswer::from(self.clone()), f)
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
            response_type: Some("code".into()),
            prompt: Some("consent".into()),
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
            reply_type: Some("web".into()),
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
    fn the_login_answer_is_read_typed_and_prints_without_its_token() {
        let body = r#"{"flow":"new_sdk","unionId":"u","openId":"o","nick":"n","avatarUrl":null,
            "corpId":"c","sessionToken":"SECRET-TOKEN","expiresIn":60,"later":1,
            "member":{"corpId":"c","userId":"user1","name":"张三","title":"Engineer","departmentIds":[1,7]}}"#;
        let response = |body: &str| core::BackendResponse {
            status: 200,
            body: body.into(),
        };
        let answer = crate::read_login_answer(response(body)).unwrap();
        let member = answer.member.clone().unwrap();
        assert_eq!(
            (member.name.as_deref(), member.department_ids),
            (Some("张三"), Some(vec![1, 7]))
        );
        assert_eq!(answer.session_token, "SECRET-TOKEN");
        let printed = format!("{answer:?}");
        assert!(
            !printed.contains("SECRET") && printed.contains("user1"),
            "{printed}"
        );
        // The public error names the field, never the body.
        let broken = body.replace(r#""userId":"user1","#, r#""userId":["SECRET-ID"],"#);
        match crate::read_login_answer(response(&broken)) {
            Err(AuthError::UnreadableBody { reason }) => {
                assert!(
                    reason.contains("member.userId") && !reason.contains("SECRET"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_outcome_crosses_both_ways_unchanged() {
        let mut config = core::AuthConfig::new(
            "dingclient",
            core::Platform::Android,
            vec![core::LoginFlow::NewSdk],
        );
        config.redirect_uri = Some("https://app.example/cb".into());
        let auth = core::Authenticator::new(config, None, None).unwrap();
        let state = auth.begin(core::LoginFlow::NewSdk).unwrap().state;
        let authorized = auth
            .complete_sdk(&core::SdkResponse {
                flow: core::LoginFlow::NewSdk,
                err_code: "0".into(),
                message: None,
                code: Some("c".into()),
                state,
                reply_type: Some("web".into()),
            })
            .unwrap();
        let by = core::AnsweredBy::DingTalkWebFallback;
        let m = || Some("DingTalk's words".to_string());
        for outcome in [
            authorized,
            core::Outcome::Cancelled {
                dingtalk_message: m(),
                answered_by: by,
            },
            core::Outcome::Denied {
                dingtalk_message: None,
                answered_by: core::AnsweredBy::Browser,
            },
            core::Outcome::AppIdentityMismatch {
                dingtalk_message: m(),
                developer_message: "register".into(),
                answered_by: core::AnsweredBy::DingTalkApp,
            },
            core::Outcome::Failed {
                reason: core::FailureReason::Unknown,
                err_code: Some(-7),
                dingtalk_message: m(),
                answered_by: core::AnsweredBy::Unknown,
            },
        ] {
            let facade = LoginOutcome::from(outcome.clone());
            assert_eq!(core::Outcome::from(&facade), outcome);
            assert_eq!(crate::outcome_message(&facade), outcome.user_message());
            assert_eq!(crate::outcome_handling(&facade), outcome.handling());
        }
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
