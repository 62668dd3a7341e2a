//! The browser flow's answer: DingTalk redirects to the registered URI with
//! `?authCode=…&state=…` or `?error=…&state=…` (DingTalk open platform, "Obtain the access credential
//! of a signed-in user": https://open.dingtalk.com/document/orgapp/obtain-identity-credentials).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::error::CallbackError;
use crate::strict_url;

/// Longest callback URL accepted.
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;

/// What a callback URL said, before the state is checked.
#[derive(Clone, PartialEq, Eq)]
pub enum Callback {
    /// `authCode` and, normally, `state`.
    Code { code: String, state: Option<String> },
    /// `error` and, normally, `state`.
    Error {
        error: String,
        state: Option<String>,
    },
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Callback::Code { .. } => f.write_str("Callback::Code { <redacted> }"),
            Callback::Error { error, .. } => write!(
                f,
                "Callback::Error {{ error: {error:?}, state: <redacted> }}"
            ),
        }
    }
}

/// Reads a callback URL. It must be the configured redirect URI (scheme, host, port and path), carry
/// each of `authCode`, `state`, `error` at most once, and exactly one of `authCode` and `error`.
/// Other query parameters (the redirect URI's own) are ignored; the fragment is ignored.
pub fn parse_callback(callback: &str, redirect_uri: &str) -> Result<Callback, CallbackError> {
    if callback.len() > MAX_CALLBACK_LEN {
        return Err(CallbackError::TooLong(MAX_CALLBACK_LEN));
    }
    let got = strict_url::parse(callback).map_err(CallbackError::Syntax)?;
    // The redirect URI was validated with the configuration; a failure here is a bug, reported as such.
    let want = strict_url::parse(redirect_uri)
        .map_err(|_| CallbackError::Syntax("the configured redirect URI"))?;
    strict_url::same_endpoint(&want, &got).map_err(CallbackError::NotRedirectUri)?;

    let (mut code, mut state, mut error) = (None, None, None);
    for pair in got
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let (slot, name) = match decode(raw_name).as_deref() {
            Some("authCode") => (&mut code, "authCode"),
            Some("state") => (&mut state, "state"),
            Some("error") => (&mut error, "error"),
            _ => continue,
        };
        if slot.is_some() {
            return Err(CallbackError::Duplicated(name));
        }
        *slot = Some(
            decode(raw_value)
                .ok_or(CallbackError::Encoding(name))?
                .into_owned(),
        );
    }
    match (code, error) {
        (Some(code), None) => {
            if !crate::sdk::is_plausible_code(&code) {
                return Err(CallbackError::Encoding("authCode"));
            }
            Ok(Callback::Code { code, state })
        }
        (None, Some(error)) => Ok(Callback::Error { error, state }),
        (Some(_), Some(_)) => Err(CallbackError::Parts("both authCode and error")),
        (None, None) => Err(CallbackError::Parts("neither authCode nor error")),
    }
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, `%XX` a byte, the result UTF-8.
/// A `%` not followed by two hex digits is refused rather than passed through.
fn decode(raw: &str) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    for (i, _) in raw.match_indices('%') {
        let ok = bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !ok {
            return None;
        }
    }
    let plus_decoded: Cow<'_, str> = if raw.contains('+') {
        Cow::Owned(raw.replace('+', " "))
    } else {
        Cow::Borrowed(raw)
    };
    let decoded = percent_decode_str(&plus_decoded)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some(Cow::Owned(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REDIRECT: &str = "https://app.example/dingtalk/cb";

    fn code(cb: &str) -> Result<Callback, CallbackError> {
        parse_callback(cb, REDIRECT)
    }

    #[test]
    fn success_and_error_callbacks() {
        assert_eq!(
            code("https://app.example/dingtalk/cb?authCode=abc123&state=S_t-1").unwrap(),
            Callback::Code {
                code: "abc123".into(),
                state: Some("S_t-1".into())
            }
        );
        assert_eq!(
            code("https://APP.example:443/dingtalk/cb?state=s&error=access%20denied+x#frag")
                .unwrap(),
            Callback::Error {
                error: "access denied x".into(),
                state: Some("s".into())
            }
        );
        assert_eq!(
            code("https://app.example/dingtalk/cb?authCode=c").unwrap(),
            Callback::Code {
                code: "c".into(),
                state: None
            }
        );
        // The redirect URI's own parameters are left alone.
        assert!(
            parse_callback("myapp://login?x=1&authCode=c&state=s", "myapp://login?x=1").is_ok()
        );
    }

    #[test]
    fn refusals() {
        use CallbackError::*;
        let cases = [
            (
                "http://app.example/dingtalk/cb?authCode=c&state=s",
                NotRedirectUri("scheme"),
            ),
            (
                "https://evil.example/dingtalk/cb?authCode=c&state=s",
                NotRedirectUri("host"),
            ),
            (
                "https://app.example:8443/dingtalk/cb?authCode=c&state=s",
                NotRedirectUri("port"),
            ),
            (
                "https://app.example/dingtalk/cb2?authCode=c&state=s",
                NotRedirectUri("path"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=c&authCode=d&state=s",
                Duplicated("authCode"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=c&state=s&state=s",
                Duplicated("state"),
            ),
            (
                "https://app.example/dingtalk/cb?error=a&error=b",
                Duplicated("error"),
            ),
            (
                "https://app.example/dingtalk/cb?auth%43ode=c&authCode=d",
                Duplicated("authCode"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=c&error=x&state=s",
                Parts("both authCode and error"),
            ),
            (
                "https://app.example/dingtalk/cb?state=s",
                Parts("neither authCode nor error"),
            ),
            (
                "https://app.example/dingtalk/cb",
                Parts("neither authCode nor error"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=%zz&state=s",
                Encoding("authCode"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=%ff&state=s",
                Encoding("authCode"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=&state=s",
                Encoding("authCode"),
            ),
            (
                "https://app.example/dingtalk/cb?authCode=a%20b&state=s",
                Encoding("authCode"),
            ),
            ("https://app.example/dingtalk/cb?state=%", Encoding("state")),
            (
                "app.example/dingtalk/cb?authCode=c",
                Syntax("no `scheme://`"),
            ),
        ];
        for (url, err) in cases {
            assert_eq!(code(url), Err(err), "{url}");
        }
        let long = format!(
            "https://app.example/dingtalk/cb?authCode=c&state={}",
            "a".repeat(MAX_CALLBACK_LEN)
        );
        assert_eq!(code(&long), Err(TooLong(MAX_CALLBACK_LEN)));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = code(&s);
        }

        #[test]
        fn reads_back_any_state_and_code(state in "[A-Za-z0-9_-]{1,64}", c in "[!-~]{1,64}") {
            let enc = |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
            let url = format!("{REDIRECT}?authCode={}&state={}", enc(&c), enc(&state));
            prop_assert_eq!(code(&url).unwrap(), Callback::Code { code: c, state: Some(state) });
        }
    }
}
