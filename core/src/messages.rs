//! The sentences a user reads, one per [`MessageKey`], in English. Apps that translate look up their
//! own text by key (and fill in the same values); the English here is the only copy in the project.

use crate::auth_error::AuthError;
use crate::sdk::{FailureReason, Outcome};

/// Defines [`MessageKey`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_message_key {
    ($(#[$attr:meta])*) => {
        /// Which sentence a `UserMessage` is. Stable: translate by key.
        $(#[$attr])*
        pub enum MessageKey {
            /// DingTalk confirmed the login; the app is now signing in with its server.
            Authorized,
            /// The user cancelled in DingTalk.
            Cancelled,
            /// The user declined to share their identity.
            Denied,
            /// DingTalk did not recognise the app (its registration in DingTalk's console does not match):
            /// a developer must fix it.
            AppIdentityMismatch,
            /// DingTalk is too old for this login (ErrCode -5, or found before starting).
            DingTalkTooOld,
            /// The request could not be handed to DingTalk (ErrCode -3, or found before starting).
            RequestNotSent,
            /// DingTalk's login page redirected back with an error.
            LoginPageError,
            /// DingTalk reported another failure; the text names its ErrCode when there is one.
            DingTalkFailed,
            /// A reply that names no login of this device (forged, tampered, another flow's, no state).
            ReplyNotForThisLogin,
            /// A reply for a login that was already completed.
            ReplyAlreadyUsed,
            /// A reply arrived and no login was waiting for it.
            NoLoginWaiting,
            /// The login expired before DingTalk answered.
            LoginTookTooLong,
            /// A reply without state and several logins waiting: it cannot be matched.
            ReplyNotAttributable,
            /// DingTalk's reply could not be read.
            ReplyUnreadable,
            /// The app's DingTalk configuration is wrong; the text includes the technical reason.
            AppMisconfigured,
            /// No server is configured to finish the login (or the library was built without HTTP).
            ServerNotConfigured,
            /// The device could not store or read the login in progress.
            StorageFailed,
            /// The device could not tell the time.
            ClockFailed,
            /// The server could not be reached.
            ServerUnreachable,
            /// The server did not answer in time.
            ServerTimeout,
            /// The server refused the login; the text names the HTTP status.
            ServerRefused,
            /// The server's answer could not be read.
            ServerAnswerUnreadable,
            /// Anything unexpected (a bug in this library).
            Unexpected,
            /// The flow is not enabled in the app's configuration.
            FlowNotEnabled,
            /// DingTalk is not installed (Android can tell).
            DingTalkNotInstalled,
            /// The app was built without the DingTalk SDK this flow needs.
            SdkMissing,
            /// No browser can open DingTalk's login page.
            NoBrowser,
            /// DingTalk did not open: not installed, too old, or the SDK refused (iOS cannot tell which).
            DingTalkDidNotOpen,
        }
    };
}
define_message_key!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

/// Defines [`UserMessage`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_user_message {
    ($(#[$attr:meta])*) => {
        /// A sentence for the user (English), and the key to translate it by.
        $(#[$attr])*
        pub struct UserMessage {
            /// Which sentence this is.
            pub key: MessageKey,
            /// The English sentence, with its values (ErrCode, HTTP status, reason) filled in.
            pub text: String,
        }
    };
}
define_user_message!(#[derive(Debug, Clone, PartialEq, Eq)]);

impl UserMessage {
    fn new(key: MessageKey, text: impl Into<String>) -> Self {
        UserMessage {
            key,
            text: text.into(),
        }
    }
}

/// Defines [`StartProblem`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_start_problem {
    ($(#[$attr:meta])*) => {
        /// Why a flow could not be started. Nothing is left pending when a start fails.
        $(#[$attr])*
        pub enum StartProblem {
            /// The configuration does not allow this flow.
            FlowNotEnabled,
            /// DingTalk is not installed, or not visible to the app (Android `<queries>`).
            DingTalkNotInstalled,
            /// DingTalk is installed but too old for this request.
            DingTalkTooOld,
            /// The app was built without the DingTalk SDK this flow needs.
            SdkMissing,
            /// The SDK refused to hand the request to DingTalk.
            SendFailed,
            /// No browser is installed to open DingTalk's login page.
            NoBrowser,
            /// DingTalk did not open, for a reason the platform cannot tell apart (iOS: `DTOpenAPI.send`
            /// answered false, or DingTalk is missing or too old).
            DingTalkDidNotOpen,
            /// `begin` could not record the login: the app's pending-login store failed.
            StorageFailed,
            /// `begin` could not read the time: the app's time source failed.
            ClockFailed,
            /// `begin` failed unexpectedly (a bug in this library).
            Unexpected,
        }
    };
}
define_start_problem!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

impl StartProblem {
    /// The sentence for the user.
    pub fn user_message(self) -> UserMessage {
        use MessageKey as K;
        match self {
            StartProblem::FlowNotEnabled => UserMessage::new(
                K::FlowNotEnabled,
                "This login method is not enabled in the app.",
            ),
            StartProblem::DingTalkNotInstalled => UserMessage::new(
                K::DingTalkNotInstalled,
                "DingTalk is not installed. Install it, or log in with the browser.",
            ),
            StartProblem::DingTalkTooOld => too_old(),
            StartProblem::SdkMissing => UserMessage::new(
                K::SdkMissing,
                "This app was built without that DingTalk SDK.",
            ),
            StartProblem::SendFailed => request_not_sent(),
            StartProblem::NoBrowser => UserMessage::new(
                K::NoBrowser,
                "No browser is installed to open DingTalk's login page.",
            ),
            StartProblem::DingTalkDidNotOpen => UserMessage::new(
                K::DingTalkDidNotOpen,
                "DingTalk could not be opened. Install or update DingTalk, or use the web login.",
            ),
            StartProblem::StorageFailed => storage_failed(),
            StartProblem::ClockFailed => clock_failed(),
            StartProblem::Unexpected => unexpected(),
        }
    }

    /// What a failed `begin` is as a start problem: a flow that is not enabled (the only configuration
    /// error `begin` can meet, the configuration being checked when the instance is made), the device's
    /// store or time source failing, or a bug. A store failure must not read as "not enabled".
    pub fn of_begin_error(error: &AuthError) -> StartProblem {
        match error {
            AuthError::InvalidConfig { .. } => StartProblem::FlowNotEnabled,
            AuthError::Store { .. } => StartProblem::StorageFailed,
            AuthError::TimeSource { .. } => StartProblem::ClockFailed,
            _ => StartProblem::Unexpected,
        }
    }
}

fn storage_failed() -> UserMessage {
    UserMessage::new(
        MessageKey::StorageFailed,
        "The device could not save or read the login in progress. Please try again.",
    )
}

fn clock_failed() -> UserMessage {
    UserMessage::new(
        MessageKey::ClockFailed,
        "The device could not tell the time, so the login could not be checked. Please try again.",
    )
}

fn unexpected() -> UserMessage {
    UserMessage::new(
        MessageKey::Unexpected,
        "The login failed unexpectedly. Please try again.",
    )
}

fn too_old() -> UserMessage {
    UserMessage::new(
        MessageKey::DingTalkTooOld,
        "This version of DingTalk does not support logging in to other apps. Please update DingTalk.",
    )
}

fn request_not_sent() -> UserMessage {
    UserMessage::new(
        MessageKey::RequestNotSent,
        "The login request could not be sent to DingTalk. Please try again.",
    )
}

impl Outcome {
    /// The sentence for the user. DingTalk's own message is not shown: it is neither translated nor
    /// meant for users; it stays in the outcome for logs.
    pub fn user_message(&self) -> UserMessage {
        use MessageKey as K;
        match self {
            Outcome::Authorized { .. } => UserMessage::new(
                K::Authorized,
                "DingTalk confirmed your login. Signing you in…",
            ),
            Outcome::Cancelled { .. } => {
                UserMessage::new(K::Cancelled, "You cancelled the DingTalk login.")
            }
            Outcome::Denied { .. } => UserMessage::new(
                K::Denied,
                "You declined to share your DingTalk identity with this app.",
            ),
            Outcome::AppIdentityMismatch { .. } => UserMessage::new(
                K::AppIdentityMismatch,
                "DingTalk did not recognise this app, so logging in with DingTalk cannot work until the app is set up correctly. Please tell the app's developer.",
            ),
            Outcome::Failed {
                reason, err_code, ..
            } => failure_message(*reason, *err_code),
        }
    }
}

/// The sentence for a failure DingTalk reported.
pub fn failure_message(reason: FailureReason, err_code: Option<i32>) -> UserMessage {
    match reason {
        FailureReason::Unsupported => too_old(),
        FailureReason::SendFailed => request_not_sent(),
        FailureReason::BrowserError => UserMessage::new(
            MessageKey::LoginPageError,
            "DingTalk's login page reported a problem. Please try again.",
        ),
        FailureReason::CommonFailure | FailureReason::Unknown => {
            UserMessage::new(
                MessageKey::DingTalkFailed,
                match err_code {
                    Some(code) => {
                        format!("DingTalk could not complete the login (code {code}). Please try again.")
                    }
                    None => "DingTalk could not complete the login. Please try again.".to_string(),
                },
            )
        }
    }
}

impl AuthError {
    /// The sentence for the user (what happened and what to do). `to_string()` stays the technical
    /// text for logs.
    pub fn user_message(&self) -> UserMessage {
        use AuthError as E;
        use MessageKey as K;
        let (key, text) = match self {
            E::StateMissing | E::StateMalformed | E::StateUnknown | E::FlowMismatch => (
                K::ReplyNotForThisLogin,
                "A DingTalk reply that does not belong to the login in progress was ignored.".into(),
            ),
            E::StateReused => (
                K::ReplyAlreadyUsed,
                "That DingTalk reply was already used, so it was ignored.".into(),
            ),
            E::NoPendingLogin => (
                K::NoLoginWaiting,
                "No DingTalk login was waiting for that reply. Please start the login again."
                    .into(),
            ),
            E::StateExpired => (
                K::LoginTookTooLong,
                "The login took too long. Please start again.".into(),
            ),
            E::AmbiguousPendingLogin => (
                K::ReplyNotAttributable,
                "Several DingTalk logins were waiting, so the reply could not be matched. Please start the login again."
                    .into(),
            ),
            E::InvalidResponse { .. } | E::InvalidCallback { .. } => (
                K::ReplyUnreadable,
                "DingTalk's reply could not be understood, so it was ignored.".into(),
            ),
            E::InvalidConfig { reason } => (
                K::AppMisconfigured,
                format!("DingTalk login is not set up correctly in this app ({reason})."),
            ),
            E::HttpUnavailable { .. } => (
                K::ServerNotConfigured,
                "This app has no server configured to finish the login.".into(),
            ),
            E::Store { .. } => return storage_failed(),
            E::TimeSource { .. } => return clock_failed(),
            E::Network { .. } => (
                K::ServerUnreachable,
                "The server could not be reached. Check your connection and try again.".into(),
            ),
            E::Timeout => (
                K::ServerTimeout,
                "The server took too long to answer. Please try again.".into(),
            ),
            E::BackendRejected { status, .. } => (
                K::ServerRefused,
                format!("The server refused the login (HTTP {status})."),
            ),
            E::UnreadableBody { .. } => (
                K::ServerAnswerUnreadable,
                "The server's answer could not be read.".into(),
            ),
            E::Internal { .. } => return unexpected(),
        };
        UserMessage { key, text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_sentence_without_its_secrets() {
        let errors = [
            AuthError::InvalidConfig {
                reason: "redirect_uri: must not have a #fragment".into(),
            },
            AuthError::StateMissing,
            AuthError::StateMalformed,
            AuthError::StateUnknown,
            AuthError::StateExpired,
            AuthError::StateReused,
            AuthError::FlowMismatch,
            AuthError::NoPendingLogin,
            AuthError::AmbiguousPendingLogin,
            AuthError::InvalidResponse {
                reason: "secret-reason".into(),
            },
            AuthError::InvalidCallback {
                reason: "secret-reason".into(),
            },
            AuthError::Store {
                reason: "secret-reason".into(),
            },
            AuthError::TimeSource {
                reason: "secret-reason".into(),
            },
            AuthError::HttpUnavailable {
                reason: "secret-reason".into(),
            },
            AuthError::Network {
                reason: "secret-reason".into(),
            },
            AuthError::Timeout,
            AuthError::BackendRejected {
                status: 409,
                body: "secret-body".into(),
            },
            AuthError::UnreadableBody {
                reason: "secret-reason".into(),
            },
            AuthError::Internal {
                reason: "secret-reason".into(),
            },
        ];
        for e in &errors {
            let m = e.user_message();
            assert!(m.text.ends_with('.'), "{e:?}: {}", m.text);
            assert!(!m.text.contains("secret"), "{e:?}: {}", m.text);
        }
        assert_eq!(
            errors[16].user_message().text,
            "The server refused the login (HTTP 409)."
        );
        assert!(errors[0].user_message().text.contains("#fragment"));
    }

    #[test]
    fn one_key_one_sentence() {
        // Keys that several errors share must carry the same text, or a translation by key would
        // lose a distinction the English makes.
        let a = AuthError::StateUnknown.user_message();
        for e in [
            AuthError::StateMissing,
            AuthError::StateMalformed,
            AuthError::FlowMismatch,
        ] {
            assert_eq!(e.user_message(), a);
        }
        assert_eq!(
            StartProblem::DingTalkTooOld.user_message(),
            failure_message(FailureReason::Unsupported, Some(-5))
        );
        assert_eq!(
            StartProblem::SendFailed.user_message(),
            failure_message(FailureReason::SendFailed, Some(-3))
        );
    }

    #[test]
    fn outcomes_have_their_own_keys_and_never_show_dingtalks_message() {
        use crate::sdk::AnsweredBy::DingTalkApp;
        let from_dingtalk = || Some("from DingTalk".to_string());
        for (outcome, key) in [
            (
                Outcome::Cancelled {
                    dingtalk_message: from_dingtalk(),
                    answered_by: DingTalkApp,
                },
                MessageKey::Cancelled,
            ),
            (
                Outcome::Denied {
                    dingtalk_message: from_dingtalk(),
                    answered_by: DingTalkApp,
                },
                MessageKey::Denied,
            ),
            (
                Outcome::AppIdentityMismatch {
                    dingtalk_message: from_dingtalk(),
                    developer_message: "Register from DingTalk".into(),
                    answered_by: DingTalkApp,
                },
                MessageKey::AppIdentityMismatch,
            ),
        ] {
            let m = outcome.user_message();
            assert_eq!(m.key, key);
            assert!(!m.text.contains("from DingTalk"), "{m:?}");
        }
        let failed = |reason, err_code| {
            Outcome::Failed {
                reason,
                err_code,
                dingtalk_message: from_dingtalk(),
                answered_by: DingTalkApp,
            }
            .user_message()
        };
        let m = failed(FailureReason::Unknown, Some(-7));
        assert_eq!(m.key, MessageKey::DingTalkFailed);
        assert_eq!(
            m.text,
            "DingTalk could not complete the login (code -7). Please try again."
        );
        assert!(!failed(FailureReason::CommonFailure, None)
            .text
            .contains("code"));
        let page = failed(FailureReason::BrowserError, None);
        assert_eq!(page.key, MessageKey::LoginPageError);
        assert!(!page.text.contains("from DingTalk"));
    }

    #[test]
    fn every_start_problem_has_its_own_sentence() {
        let all = [
            StartProblem::FlowNotEnabled,
            StartProblem::DingTalkNotInstalled,
            StartProblem::DingTalkTooOld,
            StartProblem::SdkMissing,
            StartProblem::SendFailed,
            StartProblem::NoBrowser,
            StartProblem::DingTalkDidNotOpen,
            StartProblem::StorageFailed,
            StartProblem::ClockFailed,
            StartProblem::Unexpected,
        ];
        let texts: std::collections::HashSet<_> =
            all.iter().map(|p| p.user_message().text).collect();
        assert_eq!(texts.len(), all.len());
    }

    /// A store that fails at `begin` is a device failure with the store's sentence, not "this login
    /// method is not enabled".
    #[test]
    fn a_failed_begin_is_labelled_by_its_cause() {
        let reason = || "disk full".to_string();
        for (error, problem) in [
            (
                AuthError::InvalidConfig { reason: reason() },
                StartProblem::FlowNotEnabled,
            ),
            (
                AuthError::Store { reason: reason() },
                StartProblem::StorageFailed,
            ),
            (
                AuthError::TimeSource { reason: reason() },
                StartProblem::ClockFailed,
            ),
            (
                AuthError::Internal { reason: reason() },
                StartProblem::Unexpected,
            ),
        ] {
            assert_eq!(StartProblem::of_begin_error(&error), problem, "{error:?}");
            if problem != StartProblem::FlowNotEnabled {
                assert_eq!(problem.user_message(), error.user_message());
            }
        }
    }
}
