//! What the platform layers need to know about DingTalk's replies before and after the core reads
//! them: how long a value may be before it is not worth copying, which URL is a DingTalk callback, and
//! which replies to keep while nobody is waiting for them.

use std::collections::VecDeque;

use crate::auth_error::{AuthError, ErrorHandling};
use crate::strict_url;

/// Defines [`ReplyLimits`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_reply_limits {
    ($(#[$attr:meta])*) => {
        /// The longest value the core accepts in each part of a reply: a longer one may be dropped before it
        /// is copied out of an `Intent` or URL (the core would refuse it anyway).
        $(#[$attr])*
        pub struct ReplyLimits {
            /// `state`, bytes (DingTalk's own limit on the field; ours are 43 characters).
            pub max_state_len: u32,
            /// An auth code, bytes (DingTalk's are 32 hex characters).
            pub max_code_len: u32,
            /// An ErrCode as text (`"-2147483648"` is the longest an SDK can produce). The new SDK's web
            /// fallback (`type` = `web`) carries the login page's `error` value there instead (e.g.
            /// `access_denied`): read it up to `max_message_chars`.
            pub max_err_code_len: u32,
            /// DingTalk's message, characters; a longer one is cut, not refused.
            pub max_message_chars: u32,
            /// A browser callback URL, bytes.
            pub max_callback_url_len: u32,
            /// The new Android SDK's `type` extra, bytes; a longer one reads as `AnsweredBy::Unknown`.
            pub max_reply_type_len: u32,
        }
    };
}
define_reply_limits!(#[derive(Debug, Clone, Copy, PartialEq, Eq)]);

/// The limits the core applies (one definition: each is the constant the parser itself checks).
pub const REPLY_LIMITS: ReplyLimits = ReplyLimits {
    max_state_len: crate::state::MAX_STATE_LEN as u32,
    max_code_len: crate::sdk::MAX_CODE_LEN as u32,
    max_err_code_len: crate::sdk::MAX_ERR_CODE_LEN as u32,
    max_message_chars: crate::sdk::MAX_MESSAGE_CHARS as u32,
    max_callback_url_len: crate::browser::MAX_CALLBACK_LEN as u32,
    max_reply_type_len: crate::sdk::MAX_REPLY_TYPE_LEN as u32,
};

/// Defines [`CallbackKind`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_callback_kind {
    ($(#[$attr:meta])*) => {
        /// What a URL handed to the app is, as far as DingTalk login is concerned.
        $(#[$attr])*
        pub enum CallbackKind {
            /// A DingTalk SDK's reply: the URL scheme is one of the app's DingTalk app ids.
            SdkReply,
            /// DingTalk's browser redirect: same scheme, host, port and path as the redirect URI (the query
            /// is checked by `completeBrowser`).
            BrowserRedirect,
            /// Anything else: not DingTalk's, for the rest of the app to route.
            Other,
        }
    };
}
define_callback_kind!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

/// Classifies `url` against the app's DingTalk URL schemes (its app ids, compared case-insensitively
/// as iOS and Android compare schemes) and the browser flow's redirect URI. The redirect is compared
/// as [`crate::browser::parse_callback`] compares it, so a URL classified `BrowserRedirect` is never
/// refused later for being another endpoint.
pub fn classify_callback_url(
    url: &str,
    sdk_schemes: &[String],
    redirect_uri: Option<&str>,
) -> CallbackKind {
    if let Some(redirect) = redirect_uri {
        if let (Ok(want), Ok(got)) = (strict_url::parse(redirect), strict_url::parse(url)) {
            if strict_url::same_endpoint(&want, &got).is_ok() {
                return CallbackKind::BrowserRedirect;
            }
        }
    }
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    if !scheme.is_empty()
        && sdk_schemes
            .iter()
            .any(|s| !s.is_empty() && s.eq_ignore_ascii_case(scheme))
    {
        return CallbackKind::SdkReply;
    }
    CallbackKind::Other
}

/// Defines [`ReplyVerdict`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_reply_verdict {
    ($(#[$attr:meta])*) => {
        /// What a reply that reached the app may do: end the login that is waiting, be kept for the
        /// screen, or only be reported. The one rule both platforms follow, so that a reply that is not
        /// for this device's login can never end, displace or hide a genuine one.
        $(#[$attr])*
        pub enum ReplyVerdict {
            /// DingTalk's verdict on a login of this device (any outcome: authorized, cancelled, denied,
            /// app not recognised, failed). Ends the waiting login of its flow; kept until the app takes
            /// it, and nothing that arrives later displaces it.
            Answer,
            /// A login of this device that can no longer finish: its reply came after it expired (genuine
            /// but late), a reply without state could not be attributed, or the device (store, time
            /// source) or this library failed while checking it. Ends the waiting login of its flow
            /// (the user must start again); kept only while no `Answer` is kept, never displacing one.
            LoginFailed,
            /// Not for any login of this device: no, malformed or unknown state (forged, from another
            /// device, long gone), the same reply delivered again, another flow's state, nothing pending
            /// for a stateless reply, an unreadable reply or callback, or a flow the app has not enabled
            /// (no login of it can have begun). Never ends a waiting login, never kept: log it, at most.
            NotForUs,
        }
    };
}
define_reply_verdict!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]);

impl AuthError {
    /// What a reply refused with this error may do (see [`ReplyVerdict`]). It follows from
    /// [`AuthError::handling`]: a reply to ignore is not for us; one whose login must be started again,
    /// or that the device or this library failed to check, ends our login; the configuration and
    /// sending errors cannot be the answer to a login that began (a flow not enabled never began).
    pub fn reply_verdict(&self) -> ReplyVerdict {
        match self.handling() {
            ErrorHandling::StartAgain | ErrorHandling::DeviceFailure | ErrorHandling::ReportBug => {
                ReplyVerdict::LoginFailed
            }
            ErrorHandling::IgnoreReply
            | ErrorHandling::FixAppSetup
            | ErrorHandling::RetrySubmit
            | ErrorHandling::LogInAgain => ReplyVerdict::NotForUs,
        }
    }
}

/// How many replies are kept while nobody is waiting for them. A real user makes one reply per login;
/// a bound keeps a flood of replies from growing memory.
pub const MAX_UNDELIVERED_REPLIES: usize = 8;

/// Replies that arrived while no caller was waiting (the app was relaunched by DingTalk's reply, or
/// the screen was not yet observing), kept in arrival order until the app takes them, by their
/// [`ReplyVerdict`]:
///
/// - `NotForUs`: never kept, so a forged reply can neither be shown later nor push out a real one.
/// - `Answer`: always kept. When the buffer is full, a kept `LoginFailed` makes room first; an answer
///   only when all kept replies are answers (which only this device's own logins can produce).
/// - `LoginFailed`: kept only while no answer is kept. An app that shows the last reply it takes must
///   not show "start again" over a success that is still waiting for it.
#[derive(Debug)]
pub struct UndeliveredReplies<T> {
    kept: VecDeque<(T, ReplyVerdict)>,
}

impl<T> Default for UndeliveredReplies<T> {
    fn default() -> Self {
        UndeliveredReplies {
            kept: VecDeque::new(),
        }
    }
}

impl<T> UndeliveredReplies<T> {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers a reply with its verdict. Returns whether it was kept.
    pub fn offer(&mut self, reply: T, verdict: ReplyVerdict) -> bool {
        let holds_answer = || self.kept.iter().any(|(_, v)| *v == ReplyVerdict::Answer);
        match verdict {
            ReplyVerdict::NotForUs => return false,
            ReplyVerdict::LoginFailed if holds_answer() => return false,
            ReplyVerdict::LoginFailed | ReplyVerdict::Answer => {}
        }
        if self.kept.len() >= MAX_UNDELIVERED_REPLIES {
            let victim = self
                .kept
                .iter()
                .position(|(_, v)| *v == ReplyVerdict::LoginFailed)
                .unwrap_or(0);
            self.kept.remove(victim);
        }
        self.kept.push_back((reply, verdict));
        true
    }

    /// Every kept reply, oldest first; the buffer is empty afterwards.
    pub fn take_all(&mut self) -> Vec<T> {
        self.kept.drain(..).map(|(reply, _)| reply).collect()
    }

    /// How many replies are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REDIRECT: &str = "https://app.example/dingtalk/cb";

    fn kind(url: &str) -> CallbackKind {
        classify_callback_url(url, &["dingoa123".into(), "".into()], Some(REDIRECT))
    }

    #[test]
    fn the_redirect_uri_is_matched_by_endpoint_not_query() {
        assert_eq!(
            kind("https://app.example/dingtalk/cb?authCode=x&state=y"),
            CallbackKind::BrowserRedirect
        );
        assert_eq!(
            kind("HTTPS://APP.example:443/dingtalk/cb"),
            CallbackKind::BrowserRedirect
        );
        for other in [
            "https://app.example/dingtalk/cb/",
            "https://app.example/dingtalk/CB",
            "https://app.example:8443/dingtalk/cb",
            "http://app.example/dingtalk/cb",
            "https://evil.example/dingtalk/cb",
            "https://app.example/dingtalk/../dingtalk/cb",
            "not a url",
            "",
        ] {
            assert_eq!(kind(other), CallbackKind::Other, "{other}");
        }
    }

    #[test]
    fn sdk_replies_are_matched_by_scheme_case_insensitively() {
        assert_eq!(kind("dingoa123://authorize?code=x"), CallbackKind::SdkReply);
        assert_eq!(kind("DingOA123://whatever"), CallbackKind::SdkReply);
        assert_eq!(kind("dingoa1234://x"), CallbackKind::Other);
        // An empty scheme in the list matches nothing.
        assert_eq!(kind("://x"), CallbackKind::Other);
        assert_eq!(
            classify_callback_url(REDIRECT, &[], None),
            CallbackKind::Other
        );
    }

    #[test]
    fn a_custom_scheme_redirect_uri_is_a_redirect() {
        let kinds =
            |url| classify_callback_url(url, &["dingoa123".into()], Some("myapp://dingtalk/cb"));
        assert_eq!(
            kinds("myapp://dingtalk/cb?authCode=x"),
            CallbackKind::BrowserRedirect
        );
        // Scheme and host compare case-insensitively (iOS and Android do for schemes, and the core
        // lower-cases the host), the path exactly.
        assert_eq!(
            kinds("MYAPP://DingTalk/cb?x=1"),
            CallbackKind::BrowserRedirect
        );
        for other in [
            "myapp://other/cb",
            "myapp://dingtalk/cb/extra?authCode=a",
            "myapp://dingtalk/Cb?authCode=a",
            "weixin://oauth?code=1",
            "dingtalk://dingtalkclient/page",
            "myapp://dingoa123",
            "file:///tmp/x",
        ] {
            assert_eq!(kinds(other), CallbackKind::Other, "{other}");
        }
    }

    proptest::proptest! {
        /// Any text an app receives as a URL is classified, never a panic; a redirect classification
        /// implies the scheme, host, port and path of the redirect URI.
        #[test]
        fn classification_never_panics(url in "\\PC{0,80}", scheme in "[a-zA-Z]{0,8}") {
            let kind = classify_callback_url(&url, &[scheme], Some(REDIRECT));
            if kind == CallbackKind::BrowserRedirect {
                let got = strict_url::parse(&url).unwrap();
                proptest::prop_assert_eq!(got.host_str(), Some("app.example"));
                proptest::prop_assert_eq!(got.path(), "/dingtalk/cb");
            }
        }
    }

    #[test]
    fn the_limits_are_the_parsers() {
        assert_eq!(REPLY_LIMITS.max_state_len, 1024);
        assert_eq!(REPLY_LIMITS.max_code_len, 512);
        assert_eq!(
            REPLY_LIMITS.max_err_code_len as usize,
            i32::MIN.to_string().len()
        );
        assert_eq!(REPLY_LIMITS.max_message_chars, 512);
        assert_eq!(REPLY_LIMITS.max_callback_url_len, 8 * 1024);
        assert_eq!(REPLY_LIMITS.max_reply_type_len, 32);
    }

    use ReplyVerdict::{Answer, LoginFailed, NotForUs};

    #[test]
    fn replies_not_for_us_are_never_kept() {
        let mut b = UndeliveredReplies::new();
        assert!(!b.offer("forged", NotForUs));
        assert!(b.offer("expired", LoginFailed));
        assert!(b.offer("cancelled", Answer));
        assert!(!b.offer("replayed", NotForUs));
        assert_eq!(b.take_all(), vec!["expired", "cancelled"]);
        assert!(b.is_empty());
    }

    /// After process death the one kept success waits for the screen: nothing that arrives later (junk,
    /// a replay, another login's late reply, a flood of them) displaces it or is kept behind it.
    #[test]
    fn a_kept_answer_survives_everything_but_its_taking() {
        let mut b = UndeliveredReplies::new();
        assert!(b.offer("authorized", Answer));
        for _ in 0..100 {
            assert!(!b.offer("junk", NotForUs));
            assert!(!b.offer("late", LoginFailed));
        }
        assert_eq!(b.take_all(), vec!["authorized"]);
        // Taken: a late failure is kept again.
        assert!(b.offer("late", LoginFailed));
    }

    #[test]
    fn a_full_buffer_drops_a_failure_before_an_answer() {
        let mut b = UndeliveredReplies::new();
        for i in 0..MAX_UNDELIVERED_REPLIES {
            assert!(b.offer(i, LoginFailed));
        }
        for i in 100..100 + MAX_UNDELIVERED_REPLIES + 2 {
            assert!(b.offer(i, Answer));
        }
        assert_eq!(b.len(), MAX_UNDELIVERED_REPLIES);
        assert_eq!(
            b.take_all(),
            (102..100 + MAX_UNDELIVERED_REPLIES + 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn only_our_own_logins_replies_are_kept_or_end_a_waiting_login() {
        let reason = || "r".to_string();
        let not_for_us = [
            AuthError::StateMissing,
            AuthError::StateMalformed,
            AuthError::StateUnknown,
            AuthError::StateReused,
            AuthError::FlowMismatch,
            AuthError::NoPendingLogin,
            AuthError::InvalidResponse { reason: reason() },
            AuthError::InvalidCallback { reason: reason() },
            AuthError::InvalidConfig { reason: reason() },
            AuthError::Timeout,
        ];
        for e in not_for_us {
            assert_eq!(e.reply_verdict(), NotForUs, "{e:?}");
        }
        for e in [
            AuthError::StateExpired,
            AuthError::AmbiguousPendingLogin,
            AuthError::Store { reason: reason() },
            AuthError::TimeSource { reason: reason() },
            AuthError::Internal { reason: reason() },
        ] {
            assert_eq!(e.reply_verdict(), LoginFailed, "{e:?}");
        }
    }
}
