//! DingTalk's SDK answers, turned into a typed [`Outcome`].
//!
//! ErrCodes (iOS `DTOpenAPIObject.h`, Android `BaseResp.ErrCode`): 0 success, -1 common failure,
//! -2 user cancelled, -3 send failed, -4 auth denied, -5 unsupported. The new Android SDK reports the
//! same numbers as strings, so the answer's code is taken as a string, exactly as received.

use crate::config::LoginFlow;
use crate::grant::AuthGrant;

/// An SDK answer exactly as DingTalk's SDK delivered it.
#[derive(Clone, PartialEq, Eq)]
pub struct SdkResponse {
    /// Which SDK answered: [`LoginFlow::LegacySdk`] or [`LoginFlow::NewSdk`].
    pub flow: LoginFlow,
    /// The ErrCode as received: `"0"`, `"-2"`, … (Android `mErrCode.toString()`, iOS `errorCode`).
    pub err_code: String,
    /// DingTalk's message (`mErrStr`, `respMessage`), if any.
    pub message: Option<String>,
    /// The auth code (`code`, `accessCode`, `authCode`); meaningful only with ErrCode 0.
    pub code: Option<String>,
    /// The state echoed back (absent from the legacy iOS SDK).
    pub state: Option<String>,
}

impl std::fmt::Debug for SdkResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkResponse")
            .field("flow", &self.flow)
            .field("err_code", &self.err_code)
            .field("message", &self.message)
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state.as_ref().map(|_| "<redacted>"))
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
            /// The browser flow came back with `error=…` (the message holds DingTalk's value).
            BrowserError,
        }
    };
}
define_failure_reason!(#[derive(Debug, Clone, Copy, PartialEq, Eq)]);

/// How a login ended, as far as DingTalk's answer tells. A forged or replayed answer is not an
/// outcome but an [`crate::Error`], so a cancel can never be mistaken for an attack or the reverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The user agreed; the grant carries the code for the backend.
    Authorized(AuthGrant),
    /// The user backed out (ErrCode -2).
    Cancelled,
    /// The user refused the authorization (ErrCode -4, or the browser's `access_denied`).
    Denied,
    /// Anything else DingTalk reported.
    Failed {
        reason: FailureReason,
        err_code: Option<i32>,
        message: Option<String>,
    },
}

/// Longest auth code accepted; DingTalk's are 32 hex characters.
pub const MAX_CODE_LEN: usize = 512;
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

/// What an ErrCode means, before the state is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Success,
    Other(Outcome),
}

pub(crate) fn verdict(err_code: i32, message: Option<&str>) -> Verdict {
    let failed = |reason| Outcome::Failed {
        reason,
        err_code: Some(err_code),
        message: message.map(clip_message),
    };
    Verdict::Other(match err_code {
        0 => return Verdict::Success,
        -2 => Outcome::Cancelled,
        -4 => Outcome::Denied,
        -1 => failed(FailureReason::CommonFailure),
        -3 => failed(FailureReason::SendFailed),
        -5 => failed(FailureReason::Unsupported),
        _ => failed(FailureReason::Unknown),
    })
}

pub(crate) fn clip_message(m: &str) -> String {
    m.chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// An auth code must look like one: 1 to 512 visible ASCII characters.
pub(crate) fn is_plausible_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= MAX_CODE_LEN && code.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_codes() {
        assert_eq!(verdict(0, None), Verdict::Success);
        assert_eq!(verdict(-2, Some("x")), Verdict::Other(Outcome::Cancelled));
        assert_eq!(verdict(-4, None), Verdict::Other(Outcome::Denied));
        for (code, reason) in [
            (-1, FailureReason::CommonFailure),
            (-3, FailureReason::SendFailed),
            (-5, FailureReason::Unsupported),
            (-6, FailureReason::Unknown),
            (42, FailureReason::Unknown),
            (i32::MIN, FailureReason::Unknown),
        ] {
            assert_eq!(
                verdict(code, Some("msg")),
                Verdict::Other(Outcome::Failed {
                    reason,
                    err_code: Some(code),
                    message: Some("msg".into())
                })
            );
        }
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
