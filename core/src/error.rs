//! The rich internal error. Every variant's text is safe to show and log: no auth code, state,
//! nonce or token is ever put into an error (they are redacted at the point where the error is made).

use crate::config::{ConfigError, LoginFlow};

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum Error {
    /// The configuration is unusable; the text says which field and why.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The `state` of an answer does not lead to a usable pending login.
    #[error("state rejected: {0}")]
    State(#[from] StateError),
    /// An SDK answer that cannot be taken as it is (e.g. success without a code).
    #[error("invalid SDK response: {0}")]
    Response(String),
    /// A browser callback URL that cannot be taken as it is.
    #[error("invalid callback URL: {0}")]
    Callback(#[from] CallbackError),
    /// The app's pending-login store failed or holds an unreadable record.
    #[error("pending-login store failed: {0}")]
    Store(String),
    /// The app's clock failed.
    #[error("the time source failed: {0}")]
    Clock(String),
    /// Sending the grant to the backend failed.
    #[error("{0}")]
    Http(#[from] HttpError),
}

/// Why a `state` (or a reply without one) was refused, whatever the reply said: a cancel or deny that
/// does not name this device's pending login is refused like a forged success, never reported as a
/// cancel, and it leaves the pending login as it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum StateError {
    /// A successful answer came without the `state` its flow always carries.
    #[error("the answer carries no state")]
    Missing,
    /// Empty, longer than DingTalk's 1024-character limit, or with characters we never generate.
    #[error("malformed state: {0}")]
    Malformed(&'static str),
    /// No pending login has this state: forged, from another device, or purged long ago.
    #[error("no pending login has this state")]
    Unknown,
    /// The pending login existed but its time ran out.
    #[error("the pending login expired")]
    Expired,
    /// The pending login was already completed (success or failure): a replay.
    #[error("the pending login was already used")]
    Reused,
    /// The state belongs to a login of another flow.
    #[error("the state belongs to a {expected:?} login, the answer came through {found:?}")]
    FlowMismatch {
        expected: LoginFlow,
        found: LoginFlow,
    },
    /// A stateless reply (legacy SDK on iOS) but no pending legacy login to bind it to.
    #[error("no pending legacy-SDK login to bind a stateless reply to")]
    NoPendingLogin,
    /// A stateless reply but several pending legacy logins: it cannot be attributed. They stay as they
    /// were; the next `begin` of the flow replaces them.
    #[error("{0} pending legacy-SDK logins; a stateless reply cannot be attributed")]
    Ambiguous(usize),
}

/// Why a browser callback URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum CallbackError {
    /// Longer than the limit the parser accepts.
    #[error("longer than {0} bytes")]
    TooLong(usize),
    /// Not a URL of the form `scheme://host[:port]/path?query`.
    #[error("not a URL: {0}")]
    Syntax(&'static str),
    /// A URL, but not the configured redirect URI (the text says which part differs).
    #[error("does not match the configured redirect URI ({0} differs)")]
    NotRedirectUri(&'static str),
    /// `authCode`, `state` or `error` appears more than once.
    #[error("parameter `{0}` appears more than once")]
    Duplicated(&'static str),
    /// Neither `authCode` nor `error`, or both at once.
    #[error("{0}")]
    Parts(&'static str),
    /// A parameter that is not valid percent-encoded UTF-8, or an auth code of impossible shape.
    #[error("parameter `{0}` is not valid")]
    Encoding(&'static str),
}

/// Sending the grant to the app's backend failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum HttpError {
    /// The library was built without the `http` feature, or no backend URL is configured.
    #[error("sending is not available: {0}")]
    Unavailable(&'static str),
    /// No connection (refused, unreachable, DNS, TLS handshake).
    #[error("network error: {0}")]
    Network(String),
    /// Connect or total timeout elapsed.
    #[error("the backend did not answer in time")]
    Timeout,
    /// The backend answered with a non-2xx status; its body is kept for the app.
    #[error("the backend refused the grant with HTTP {status}")]
    Rejected { status: u16, body: String },
    /// A 2xx answer whose body could not be read (broken stream, not UTF-8, too large).
    #[error("unreadable backend answer: {0}")]
    UnreadableBody(String),
}

/// Shorthand used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
