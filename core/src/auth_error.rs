//! The small public error apps switch on, and what an app should do about each one.
//!
//! [`crate::Error`] is the rich internal error (which field, which URL part, which store call);
//! [`AuthError`] is what crosses to Kotlin and Swift: one variant per thing an app may treat
//! differently, texts without any code, state or token. [`From<Error>`](AuthError#impl-From<Error>-for-AuthError)
//! is the one mapping between the two, and [`AuthError::handling`] the one answer to "what now?", so
//! neither the Android nor the iOS layer decides it again.

use crate::error::{Error, HttpError, StateError};
use crate::login_answer::AnswerError;

/// Every error of this library, as apps see it. Texts never contain an auth code, state or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

/// A 2xx answer that is not the reference backend's login answer is an unreadable body: the login
/// cannot go on (the code is spent), and the text names the field, never the body.
impl From<AnswerError> for AuthError {
    fn from(e: AnswerError) -> Self {
        AuthError::UnreadableBody {
            reason: e.to_string(),
        }
    }
}

impl From<Error> for AuthError {
    fn from(e: Error) -> Self {
        match e {
            Error::Config(c) => AuthError::InvalidConfig {
                reason: c.to_string(),
            },
            Error::State(s) => match s {
                StateError::Missing => AuthError::StateMissing,
                StateError::Malformed(_) => AuthError::StateMalformed,
                StateError::Unknown => AuthError::StateUnknown,
                StateError::Expired => AuthError::StateExpired,
                StateError::Reused => AuthError::StateReused,
                StateError::FlowMismatch { .. } => AuthError::FlowMismatch,
                StateError::NoPendingLogin => AuthError::NoPendingLogin,
                StateError::Ambiguous(_) => AuthError::AmbiguousPendingLogin,
            },
            Error::Response(reason) => AuthError::InvalidResponse { reason },
            Error::Callback(c) => AuthError::InvalidCallback {
                reason: c.to_string(),
            },
            Error::Store(reason) => AuthError::Store { reason },
            Error::Clock(reason) => AuthError::TimeSource { reason },
            Error::Http(h) => match h {
                HttpError::Unavailable(reason) => AuthError::HttpUnavailable {
                    reason: reason.into(),
                },
                HttpError::Network(reason) => AuthError::Network { reason },
                HttpError::Timeout => AuthError::Timeout,
                HttpError::Rejected { status, body } => AuthError::BackendRejected { status, body },
                HttpError::UnreadableBody(reason) => AuthError::UnreadableBody { reason },
            },
        }
    }
}

/// Defines [`ErrorHandling`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_error_handling {
    ($(#[$attr:meta])*) => {
        /// What the app should do about an `AuthError`.
        $(#[$attr])*
        pub enum ErrorHandling {
            /// The reply is not for the login in progress (forged, replayed, for another flow, malformed,
            /// unreadable, or nothing was pending): ignore it. A login that is waiting keeps waiting; show
            /// nothing, or at most a passing note.
            IgnoreReply,
            /// This login cannot finish (it expired, or a reply could not be attributed): show the message
            /// and let the user start a new login.
            StartAgain,
            /// Sending the grant failed for a reason that may pass (network, timeout, a backend answer marked
            /// `"retryable": true`): submit the same grant again; it is idempotent.
            RetrySubmit,
            /// The backend refused the grant for good, or its answer was unreadable: the code is spent, the
            /// user must log in again.
            LogInAgain,
            /// The app is set up wrongly (invalid configuration, no backend URL, built without HTTP): a
            /// developer must fix it; retrying changes nothing.
            FixAppSetup,
            /// The device failed (the pending-login store or the time source): retrying may help.
            DeviceFailure,
            /// A bug in this library: report it.
            ReportBug,
        }
    };
}
define_error_handling!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

impl AuthError {
    /// What the app should do about this error.
    pub fn handling(&self) -> ErrorHandling {
        use AuthError as E;
        match self {
            E::StateMissing
            | E::StateMalformed
            | E::StateUnknown
            | E::StateReused
            | E::FlowMismatch
            | E::NoPendingLogin
            | E::InvalidResponse { .. }
            | E::InvalidCallback { .. } => ErrorHandling::IgnoreReply,
            E::StateExpired | E::AmbiguousPendingLogin => ErrorHandling::StartAgain,
            E::Network { .. } | E::Timeout => ErrorHandling::RetrySubmit,
            E::BackendRejected { body, .. } if backend_says_retryable(body) => {
                ErrorHandling::RetrySubmit
            }
            E::BackendRejected { .. } | E::UnreadableBody { .. } => ErrorHandling::LogInAgain,
            E::InvalidConfig { .. } | E::HttpUnavailable { .. } => ErrorHandling::FixAppSetup,
            E::Store { .. } | E::TimeSource { .. } => ErrorHandling::DeviceFailure,
            E::Internal { .. } => ErrorHandling::ReportBug,
        }
    }
}

/// The reference backend (and any backend following the README's error format) answers
/// `{"error": "<code>", "message": "…", "retryable": <bool>}`; only an explicit `true` makes a refusal
/// worth retrying with the same grant.
fn backend_says_retryable(body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        retryable: bool,
    }
    // `from_slice`, not `from_str`: one serde_json reader in the mobile library (see `state::parse_record`).
    serde_json::from_slice::<Answer>(body.as_bytes()).is_ok_and(|a| a.retryable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CallbackError;
    use crate::{ConfigError, LoginFlow};

    fn handling_of(e: Error) -> ErrorHandling {
        AuthError::from(e).handling()
    }

    #[test]
    fn replies_that_are_not_for_the_login_in_progress_are_ignored() {
        for s in [
            StateError::Missing,
            StateError::Malformed("bad"),
            StateError::Unknown,
            StateError::Reused,
            StateError::FlowMismatch {
                expected: LoginFlow::Browser,
                found: LoginFlow::NewSdk,
            },
            StateError::NoPendingLogin,
        ] {
            assert_eq!(
                handling_of(s.clone().into()),
                ErrorHandling::IgnoreReply,
                "{s:?}"
            );
        }
        assert_eq!(
            handling_of(Error::Response("no code".into())),
            ErrorHandling::IgnoreReply
        );
        assert_eq!(
            handling_of(CallbackError::NotRedirectUri("host").into()),
            ErrorHandling::IgnoreReply
        );
    }

    #[test]
    fn a_login_that_cannot_finish_is_started_again() {
        assert_eq!(
            handling_of(StateError::Expired.into()),
            ErrorHandling::StartAgain
        );
        assert_eq!(
            handling_of(StateError::Ambiguous(2).into()),
            ErrorHandling::StartAgain
        );
    }

    #[test]
    fn transient_send_failures_are_retried_and_final_refusals_are_not() {
        assert_eq!(
            handling_of(HttpError::Network("refused".into()).into()),
            ErrorHandling::RetrySubmit
        );
        assert_eq!(
            handling_of(HttpError::Timeout.into()),
            ErrorHandling::RetrySubmit
        );
        let rejected = |body: &str| {
            handling_of(
                HttpError::Rejected {
                    status: 503,
                    body: body.into(),
                }
                .into(),
            )
        };
        assert_eq!(
            rejected(r#"{"error":"dingtalk_timeout","retryable":true}"#),
            ErrorHandling::RetrySubmit
        );
        assert_eq!(
            rejected(r#"{"error":"code_replayed","retryable":false}"#),
            ErrorHandling::LogInAgain
        );
        assert_eq!(rejected(r#"{"error":"x"}"#), ErrorHandling::LogInAgain);
        assert_eq!(rejected("<html>busy</html>"), ErrorHandling::LogInAgain);
        assert_eq!(
            handling_of(HttpError::UnreadableBody("not UTF-8".into()).into()),
            ErrorHandling::LogInAgain
        );
    }

    #[test]
    fn setup_device_and_library_faults_are_told_apart() {
        assert_eq!(
            handling_of(ConfigError::new("client_id", "must not be empty").into()),
            ErrorHandling::FixAppSetup
        );
        assert_eq!(
            handling_of(HttpError::Unavailable("no backend_url configured").into()),
            ErrorHandling::FixAppSetup
        );
        assert_eq!(
            handling_of(Error::Store("disk full".into())),
            ErrorHandling::DeviceFailure
        );
        assert_eq!(
            handling_of(Error::Clock("no time".into())),
            ErrorHandling::DeviceFailure
        );
        assert_eq!(
            AuthError::Internal {
                reason: "panic".into()
            }
            .handling(),
            ErrorHandling::ReportBug
        );
    }

    #[test]
    fn the_mapping_keeps_the_reason_and_no_secret() {
        let e = AuthError::from(Error::from(CallbackError::Duplicated("state")));
        assert_eq!(
            e,
            AuthError::InvalidCallback {
                reason: "parameter `state` appears more than once".into()
            }
        );
        assert_eq!(
            AuthError::from(Error::from(StateError::Ambiguous(3))),
            AuthError::AmbiguousPendingLogin
        );
    }
}
