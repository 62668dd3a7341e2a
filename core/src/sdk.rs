//! DingTalk's SDK answers, turned into a typed [`Outcome`].
//!
//! The ErrCodes are named in [`crate::wire::err_code`]. The new Android SDK reports them as strings,
//! so the answer's code is taken as a string, exactly as received.

use crate::auth_error::ErrorHandling;
use crate::config::{LoginFlow, Platform};
use crate::grant::AuthGrant;
use crate::wire::err_code;

/// An SDK answer exactly as DingTalk's SDK delivered it.
#[derive(Clone, PartialEq, Eq)]
pub struct SdkResponse {
    /// Which SDK answered: [`LoginFlow::LegacySdk`] or [`LoginFlow::NewSdk`].
    pub flow: LoginFlow,
    /// The ErrCode as received: `"0"`, `"-2"`, … (Android `mErrCode.toString()`, iOS `errorCode`). The
    /// new SDK's web fallback (`reply_type` `web`) puts the login page's `error` value here instead
    /// (e.g. `access_denied`), read as the browser flow reads it.
    pub err_code: String,
    /// DingTalk's message (`mErrStr`, `respMessage`), if any.
    pub message: Option<String>,
    /// The auth code (`code`, `accessCode`, `authCode`); meaningful only with ErrCode 0.
    pub code: Option<String>,
    /// The state echoed back (absent from the legacy iOS SDK).
    pub state: Option<String>,
    /// Which path answered, as the SDK reported it, exactly as received: the new Android SDK's
    /// `type` extra (`DDAuthConstant.CALLBACK_EXTRA_TYPE`), `"app"` or `"web"`. `None` when the SDK
    /// does not report it (the legacy SDKs, the iOS new SDK). Read by [`answered_by`].
    pub reply_type: Option<String>,
}

impl std::fmt::Debug for SdkResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkResponse")
            .field("flow", &self.flow)
            .field("err_code", &self.err_code)
            .field("message", &self.message)
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state.as_ref().map(|_| "<redacted>"))
            .field("reply_type", &self.reply_type)
            .finish()
    }
}

/// Defines [`FailureReason`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_failure_reason {
    ($(#[$attr:meta])*) => {
        /// Why a login failed without being cancelled or denied.
        $(#[$attr])*
        pub enum FailureReason {
            /// ErrCode -1.
            CommonFailure,
            /// ErrCode -3: the request never reached DingTalk.
            SendFailed,
            /// ErrCode -5: this DingTalk version does not support the request.
            Unsupported,
            /// Any other ErrCode; its number and DingTalk's message are in the outcome.
            Unknown,
            /// DingTalk's login page came back with `error=…` (the message holds DingTalk's value): in the
            /// browser flow, or in the new Android SDK's web fallback, which passes the page's value on.
            BrowserError,
        }
    };
}
define_failure_reason!(#[derive(Debug, Clone, Copy, PartialEq, Eq)]);

/// Defines [`AnsweredBy`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_answered_by {
    ($(#[$attr:meta])*) => {
        /// Which path answered a login: worth showing in an app and in support logs, since the new SDK
        /// answers through its own web page when DingTalk is missing or too old.
        $(#[$attr])*
        pub enum AnsweredBy {
            /// The DingTalk app (every legacy-SDK answer; a new-SDK answer of type `app`).
            DingTalkApp,
            /// The new SDK's own web login page, opened because DingTalk is missing or too old (Android
            /// ddopenauth's `AuthWebviewActivity`, type `web`).
            DingTalkWebFallback,
            /// The browser flow's login page.
            Browser,
            /// The SDK did not say (the iOS new SDK, an Android new SDK without the `type` extra) or said
            /// something this library does not know. The answer itself is genuine.
            Unknown,
        }
    };
}
define_answered_by!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

/// Longest `type` value read; a longer one is [`AnsweredBy::Unknown`] (DingTalk's are 3 characters).
pub const MAX_REPLY_TYPE_LEN: usize = 32;

/// Which path answered an SDK reply of `flow` that reported `reply_type`. The new Android SDK opens
/// DingTalk when it is installed and otherwise logs in "通过H5登录并授权" (through its own web page,
/// <https://open.dingtalk.com/document/dingstart/mini-app-android-platform-application-authorization-login-access>,
/// step 3), and says which in the `type` extra: `DDAuthConstant.AUTH_LOGIN_TYPE_APP` (`"app"`) or
/// `AUTH_LOGIN_TYPE_WEB` (`"web"`), compared trimmed and ignoring ASCII case. The legacy SDKs only
/// ever answer through the app.
pub fn answered_by(flow: LoginFlow, reply_type: Option<&str>) -> AnsweredBy {
    match flow {
        LoginFlow::LegacySdk => AnsweredBy::DingTalkApp,
        LoginFlow::Browser => AnsweredBy::Browser,
        LoginFlow::NewSdk => {
            let Some(raw) = reply_type else {
                return AnsweredBy::Unknown;
            };
            let t = raw.trim();
            if t.eq_ignore_ascii_case("app") {
                AnsweredBy::DingTalkApp
            } else if t.eq_ignore_ascii_case("web") {
                AnsweredBy::DingTalkWebFallback
            } else {
                // A genuine reply with a path we do not know (a newer SDK?): keep it, say so once.
                let shown: String = raw
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_REPLY_TYPE_LEN)
                    .collect();
                log::warn!("the new SDK answered with an unknown type {shown:?}");
                AnsweredBy::Unknown
            }
        }
    }
}

/// Defines the outcome enum `$name`, whose success carries a `$grant`: the core expands it as
/// [`Outcome`] over [`AuthGrant`], the UniFFI façade as `LoginOutcome` over its `AuthGrant` object
/// (an object, so that printing an outcome never prints the code). One definition, one set of doc
/// comments (they become the KDoc / Swift docs); [`map_outcome!`](crate::map_outcome) converts between
/// the two expansions.
#[doc(hidden)]
#[macro_export]
macro_rules! define_outcome {
    ($name:ident, $grant:ty, $(#[$attr:meta])*) => {
        /// How a login ended, as far as DingTalk's answer tells. A forged, replayed or expired answer is
        /// not an outcome but an error, so a cancel can never be mistaken for an attack or the reverse.
        /// Every outcome says which path answered (`answered_by`); every non-success keeps DingTalk's own
        /// message (`dingtalk_message`) for developers and logs. Users read the outcome's sentence
        /// (`outcomeMessage(outcome)`), never DingTalk's message.
        $(#[$attr])*
        pub enum $name {
            /// The user agreed; the grant carries the code for the backend.
            Authorized {
                /// Send it to your backend.
                grant: $grant,
                /// Which path answered.
                answered_by: AnsweredBy,
            },
            /// The user backed out (ErrCode -2).
            Cancelled {
                /// DingTalk's message, when it gave one (developer-facing).
                dingtalk_message: Option<String>,
                /// Which path answered.
                answered_by: AnsweredBy,
            },
            /// The user refused the authorization (ErrCode -4, or the browser's `access_denied`).
            Denied {
                /// DingTalk's message, when it gave one (developer-facing; the browser's `error` value).
                dingtalk_message: Option<String>,
                /// Which path answered.
                answered_by: AnsweredBy,
            },
            /// DingTalk did not recognise the app: ErrCode -4 with the message `key check error`, which
            /// the SDK gives when the app's package name and signing certificate (Android) or bundle id
            /// (iOS) are not the ones registered for the app id in DingTalk's console. Not the user's
            /// choice: a developer must fix the registration (`outcomeHandling` says `FixAppSetup`).
            AppIdentityMismatch {
                /// DingTalk's message (developer-facing).
                dingtalk_message: Option<String>,
                /// What to register in DingTalk's console, for the developer (logs, a debug screen).
                developer_message: String,
                /// Which path answered.
                answered_by: AnsweredBy,
            },
            /// Anything else DingTalk reported.
            Failed {
                /// What kind of failure.
                reason: FailureReason,
                /// DingTalk's ErrCode, when the SDK gave one.
                err_code: Option<i32>,
                /// DingTalk's message, when it gave one (developer-facing).
                dingtalk_message: Option<String>,
                /// Which path answered.
                answered_by: AnsweredBy,
            },
        }
    };
}
define_outcome!(Outcome, AuthGrant, #[derive(Debug, Clone, PartialEq, Eq)]);

/// Converts `$value`, an outcome of one [`define_outcome!`](crate::define_outcome) expansion (`$from`),
/// to another (`$to`), mapping only the grant with `|$grant| $map`.
#[doc(hidden)]
#[macro_export]
macro_rules! map_outcome {
    ($value:expr, $from:ident => $to:ident, |$grant:ident| $map:expr) => {
        match $value {
            $from::Authorized {
                grant: $grant,
                answered_by,
            } => $to::Authorized {
                grant: $map,
                answered_by,
            },
            $from::Cancelled {
                dingtalk_message,
                answered_by,
            } => $to::Cancelled {
                dingtalk_message,
                answered_by,
            },
            $from::Denied {
                dingtalk_message,
                answered_by,
            } => $to::Denied {
                dingtalk_message,
                answered_by,
            },
            $from::AppIdentityMismatch {
                dingtalk_message,
                developer_message,
                answered_by,
            } => $to::AppIdentityMismatch {
                dingtalk_message,
                developer_message,
                answered_by,
            },
            $from::Failed {
                reason,
                err_code,
                dingtalk_message,
                answered_by,
            } => $to::Failed {
                reason,
                err_code,
                dingtalk_message,
                answered_by,
            },
        }
    };
}

impl Outcome {
    /// Which path answered.
    pub fn answered_by(&self) -> AnsweredBy {
        match self {
            Outcome::Authorized { answered_by, .. }
            | Outcome::Cancelled { answered_by, .. }
            | Outcome::Denied { answered_by, .. }
            | Outcome::AppIdentityMismatch { answered_by, .. }
            | Outcome::Failed { answered_by, .. } => *answered_by,
        }
    }

    /// What the app should do about this outcome beyond showing its message: `None` for a success
    /// (send the grant) and for the user's own choices (cancel, deny: offer the login again);
    /// [`ErrorHandling::FixAppSetup`] when DingTalk did not recognise the app;
    /// [`ErrorHandling::StartAgain`] for any other failure.
    pub fn handling(&self) -> Option<ErrorHandling> {
        match self {
            Outcome::Authorized { .. } | Outcome::Cancelled { .. } | Outcome::Denied { .. } => None,
            Outcome::AppIdentityMismatch { .. } => Some(ErrorHandling::FixAppSetup),
            Outcome::Failed { .. } => Some(ErrorHandling::StartAgain),
        }
    }
}

/// DingTalk's message with ErrCode -4 when the app's identity does not match its registration.
///
/// Assumption, stated here because DingTalk's documentation does not list it: DingTalk documents -4
/// only as `ERR_AUTH_DENIED` (the user refused: "Android应用授权登录接入流程", step 4, the `error` values
/// `ERR_OK = 0`, `ERR_AUTH_DENIED = -4`, `ERR_USER_CANCEL = -2`,
/// <https://open.dingtalk.com/document/dingstart/mini-app-android-platform-application-authorization-login-access>;
/// the SDK wrappers publish the same constant, e.g.
/// <https://pub.dev/documentation/dingtalk_kit/latest/response_dingtalk_response/DingtalkErrorCode/ERR_AUTH_DENIED-constant.html>).
/// Integrators report that the SDK answers -4 with this message when the package name or the signing
/// certificate's signature differs from what the app's "钉钉登录与分享" (login and share) settings in
/// the console hold. Those settings ask for the Android package name and signature (same page, step 1;
/// the signature is the MD5 of the signing certificate, lower case without colons:
/// <https://segmentfault.com/a/1190000043755934>) and the iOS bundle id
/// (<https://pub.dev/packages/dingtalk_auth>: "确保项目的 Bundle ID 与钉钉开放平台配置的一致").
/// So only this exact message (trimmed, ignoring ASCII case) with -4 is taken as a setup failure;
/// every other -4 stays a denial.
pub const KEY_CHECK_ERROR: &str = "key check error";

fn is_key_check_error(message: Option<&str>) -> bool {
    message.is_some_and(|m| m.trim().eq_ignore_ascii_case(KEY_CHECK_ERROR))
}

/// What a developer must register in DingTalk's console so that DingTalk recognises the app.
fn registration_fix(platform: Platform) -> String {
    let what = match platform {
        Platform::Android => {
            "this app's package name and the signature of the certificate it is signed with (MD5, \
             lower case, without colons; the setup check prints both), for the build you run"
        }
        Platform::Ios => "this app's bundle id",
    };
    format!(
        "DingTalk answered -4 \"{KEY_CHECK_ERROR}\": the app is not the one registered for this app id. \
         Register {what} in DingTalk's developer console (the app's login and share settings)."
    )
}

pub use crate::wire::MAX_CODE_LEN;
/// Longest ErrCode text: `i32::MIN` written out, the longest any SDK's `Integer.toString` gives.
pub const MAX_ERR_CODE_LEN: usize = "-2147483648".len();
/// DingTalk's message is kept, cut to this many characters.
pub const MAX_MESSAGE_CHARS: usize = 512;

/// Parses an ErrCode string in exactly the form DingTalk's SDKs produce it (`Integer.toString`,
/// `String(Int)`): `0`, or an optional `-` and digits without a leading zero, fitting an `i32`.
/// Nothing is trimmed or normalised: `00`, `-0`, `+1` or ` 0` did not come from DingTalk's SDK.
pub fn parse_err_code(raw: &str) -> Option<i32> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    let canonical = raw == "0"
        || (digits.len() <= 10
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.bytes().next().is_some_and(|b| b != b'0'));
    if !canonical {
        return None;
    }
    raw.parse::<i32>().ok()
}

/// What DingTalk's login page (login.dingtalk.com) meant by `error=…`: `access_denied` is the user's
/// refusal, any other value a failure of the page. The browser flow's redirect carries it, and so does
/// the new Android SDK's web fallback, which copies the page's redirect parameters into its reply
/// instead of an ErrCode.
pub(crate) fn login_page_error(error: &str, answered_by: AnsweredBy) -> Outcome {
    let dingtalk_message = Some(clip_message(error));
    if error == "access_denied" {
        Outcome::Denied {
            dingtalk_message,
            answered_by,
        }
    } else {
        Outcome::Failed {
            reason: FailureReason::BrowserError,
            err_code: None,
            dingtalk_message,
            answered_by,
        }
    }
}

/// What an ErrCode means, before the state is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Success,
    Other(Outcome),
}

/// What an SDK's answer says, given the path that answered and the app's platform.
pub(crate) fn verdict(
    err_code: i32,
    message: Option<&str>,
    answered_by: AnsweredBy,
    platform: Platform,
) -> Verdict {
    let dingtalk_message = message.map(clip_message);
    let failed = |reason| Outcome::Failed {
        reason,
        err_code: Some(err_code),
        dingtalk_message: dingtalk_message.clone(),
        answered_by,
    };
    Verdict::Other(match err_code {
        err_code::SUCCESS => return Verdict::Success,
        err_code::USER_CANCELLED => Outcome::Cancelled {
            dingtalk_message,
            answered_by,
        },
        err_code::AUTH_DENIED if is_key_check_error(message) => Outcome::AppIdentityMismatch {
            dingtalk_message,
            developer_message: registration_fix(platform),
            answered_by,
        },
        err_code::AUTH_DENIED => Outcome::Denied {
            dingtalk_message,
            answered_by,
        },
        err_code::COMMON_FAILURE => failed(FailureReason::CommonFailure),
        err_code::SEND_FAILED => failed(FailureReason::SendFailed),
        err_code::UNSUPPORTED => failed(FailureReason::Unsupported),
        _ => failed(FailureReason::Unknown),
    })
}

pub(crate) fn clip_message(m: &str) -> String {
    m.chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

pub(crate) use crate::wire::is_plausible_code;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const APP: AnsweredBy = AnsweredBy::DingTalkApp;

    fn v(code: i32, message: Option<&str>) -> Verdict {
        verdict(code, message, APP, Platform::Android)
    }

    #[test]
    fn documented_codes() {
        assert_eq!(v(0, None), Verdict::Success);
        assert_eq!(
            v(-2, Some("x")),
            Verdict::Other(Outcome::Cancelled {
                dingtalk_message: Some("x".into()),
                answered_by: APP
            })
        );
        assert_eq!(
            v(-4, None),
            Verdict::Other(Outcome::Denied {
                dingtalk_message: None,
                answered_by: APP
            })
        );
        for (code, reason) in [
            (-1, FailureReason::CommonFailure),
            (-3, FailureReason::SendFailed),
            (-5, FailureReason::Unsupported),
            (-6, FailureReason::Unknown),
            (42, FailureReason::Unknown),
            (i32::MIN, FailureReason::Unknown),
        ] {
            assert_eq!(
                v(code, Some("msg")),
                Verdict::Other(Outcome::Failed {
                    reason,
                    err_code: Some(code),
                    dingtalk_message: Some("msg".into()),
                    answered_by: APP
                })
            );
        }
    }

    /// -4 with `key check error` is the app's registration, not the user's refusal; any other -4 is.
    #[test]
    fn key_check_error_is_a_setup_failure_and_other_denials_stay_denials() {
        for m in ["key check error", "  Key Check Error\n", "KEY CHECK ERROR"] {
            let Verdict::Other(o) = v(-4, Some(m)) else {
                panic!("{m:?}")
            };
            assert!(
                matches!(o, Outcome::AppIdentityMismatch { .. }),
                "{m:?}: {o:?}"
            );
            assert_eq!(o.handling(), Some(ErrorHandling::FixAppSetup));
        }
        for m in [
            Some("用户拒绝授权"),
            Some("key check errors"),
            Some("key-check error"),
            Some("check error"),
            None,
        ] {
            assert!(
                matches!(v(-4, m), Verdict::Other(Outcome::Denied { .. })),
                "{m:?}"
            );
        }
        // Only with -4: the same text with another ErrCode keeps that code's meaning.
        assert!(matches!(
            v(-1, Some("key check error")),
            Verdict::Other(Outcome::Failed { .. })
        ));
        let fix = |p| match verdict(-4, Some("key check error"), APP, p) {
            Verdict::Other(Outcome::AppIdentityMismatch {
                developer_message,
                dingtalk_message,
                ..
            }) => {
                assert_eq!(dingtalk_message.as_deref(), Some("key check error"));
                developer_message
            }
            other => panic!("{other:?}"),
        };
        assert!(fix(Platform::Android).contains("package name"));
        assert!(fix(Platform::Android).contains("MD5"));
        assert!(fix(Platform::Ios).contains("bundle id"));
    }

    #[test]
    fn the_path_that_answered() {
        use LoginFlow::*;
        assert_eq!(answered_by(LegacySdk, None), AnsweredBy::DingTalkApp);
        assert_eq!(answered_by(LegacySdk, Some("web")), AnsweredBy::DingTalkApp);
        assert_eq!(answered_by(Browser, Some("app")), AnsweredBy::Browser);
        assert_eq!(answered_by(NewSdk, Some("app")), AnsweredBy::DingTalkApp);
        assert_eq!(
            answered_by(NewSdk, Some(" WEB ")),
            AnsweredBy::DingTalkWebFallback
        );
        for unknown in [
            None,
            Some(""),
            Some("h5"),
            Some("webview"),
            Some("\u{0}web"),
        ] {
            assert_eq!(
                answered_by(NewSdk, unknown),
                AnsweredBy::Unknown,
                "{unknown:?}"
            );
        }
        let long = "w".repeat(10_000);
        assert_eq!(answered_by(NewSdk, Some(&long)), AnsweredBy::Unknown);
    }

    #[test]
    fn only_cancels_denials_and_successes_need_nothing_from_the_app() {
        let outcome = |code| match v(code, None) {
            Verdict::Other(o) => o,
            Verdict::Success => unreachable!(),
        };
        assert_eq!(outcome(-2).handling(), None);
        assert_eq!(outcome(-4).handling(), None);
        assert_eq!(outcome(-1).handling(), Some(ErrorHandling::StartAgain));
        assert_eq!(outcome(-5).handling(), Some(ErrorHandling::StartAgain));
    }

    #[test]
    fn err_code_strings() {
        assert_eq!(parse_err_code("0"), Some(0));
        assert_eq!(parse_err_code("-2"), Some(-2));
        assert_eq!(parse_err_code("-2147483648"), Some(i32::MIN));
        for bad in [
            "",
            "-",
            " 0",
            "0 ",
            "+1",
            "abc",
            "1e3",
            "99999999999",
            "2147483648",
            "--1",
            "٣",
            "00",
            "-0",
            "01",
            "-02",
            "0000000000",
        ] {
            assert_eq!(parse_err_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn messages_are_clipped_and_cleaned() {
        assert_eq!(clip_message("a\nb\u{0}c"), "abc");
        assert_eq!(
            clip_message(&"字".repeat(600)).chars().count(),
            MAX_MESSAGE_CHARS
        );
    }

    proptest! {
        #[test]
        fn any_i32_round_trips(n in any::<i32>()) {
            prop_assert_eq!(parse_err_code(&n.to_string()), Some(n));
        }

        #[test]
        fn accepts_exactly_the_canonical_form(s in "[-+ 0-9a]{0,12}") {
            match parse_err_code(&s) {
                Some(n) => prop_assert_eq!(n.to_string(), s),
                None => prop_assert!(
                    s.parse::<i32>().map(|n| n.to_string() != s).unwrap_or(true),
                    "{s:?} is an i32 in canonical form but was refused"
                ),
            }
        }
    }
}
