//! # dingtalk-auth
//!
//! "Login with DingTalk" for native apps, as a pure Rust core (no FFI types here; the UniFFI façade
//! lives in the `dingtalk-auth-ffi` crate).
//!
//! One login, read in file order:
//! 1. [`config`] — what the app tells us once: its DingTalk client id, platform, redirect URI, backend.
//! 2. [`state`] — `begin` mints an unguessable, single-use `state` and remembers it as a pending login
//!    in a [`state::PendingStore`] the app may provide (so the login survives process death).
//! 3. [`request`] — what the app hands to DingTalk: state, scope, and for the browser the authorize URL.
//! 4. [`sdk`] — DingTalk's SDK answers (ErrCode, code, state) become a typed [`Outcome`].
//! 5. [`browser`] — the browser flow's callback URL becomes the same [`Outcome`].
//! 6. [`grant`] — a success carries an [`AuthGrant`]: the code packaged for the app's backend.
//! 7. [`submit`] — optionally, the core posts the grant to the backend itself, through the app's HTTP
//!    stack (a [`Transport`]) or, with the feature `http`, its own reqwest client.
//! 8. [`login_answer`] — the reference backend's answer (session token, and the organisation's member
//!    for an internal app), written by the backend and read by the app with the same type.
//! 9. [`kept_grant`] — the platform layers keep the grant in the app's store until the app
//!    acknowledges it, so a rotation or process death during `submit` re-sends it with the same key.
//!
//! What the platform layers ask instead of deciding themselves: [`auth_error`] (the small public
//! error and [`ErrorHandling`], what the app should do about it), [`messages`] (a sentence and a stable
//! key for every outcome, error and start problem), [`replies`] (which replies are kept while nobody
//! waits, the reply limits, which URL is DingTalk's callback) and [`setup`] (how serious a missing
//! DingTalk is for the app's flows).
//!
//! [`wire`] holds the protocol the app's backend speaks (flow names, scopes, limits, ErrCodes, the
//! grant JSON in both directions), so a backend written in Rust reads grants with the same code.
//!
//! [`Authenticator`] ties these together; [`Error`] is the rich internal error the façade maps to its
//! small public enum.

pub mod auth_error;
pub mod browser;
pub mod config;
pub mod error;
pub mod grant;
pub mod kept_grant;
pub mod login_answer;
pub mod messages;
pub mod replies;
pub mod request;
pub mod sdk;
pub mod setup;
pub mod state;
mod strict_url;
pub mod submit;
#[cfg(feature = "http")]
mod tls;
pub mod transport;
pub mod wire;

mod authenticator;
#[cfg(feature = "http")]
mod http_client;

pub use auth_error::{AuthError, ErrorHandling};
pub use authenticator::{Authenticator, BackendResponse};
pub use config::{AuthConfig, ConfigError, LoginFlow, OAuthScope, Platform};
pub use error::{CallbackError, Error, HttpError, StateError};
pub use grant::AuthGrant;
pub use kept_grant::KeptGrant;
pub use login_answer::{AnswerError, LoginAnswer, OrgMember};
pub use messages::{MessageKey, StartProblem, UserMessage};
pub use replies::{
    classify_callback_url, CallbackKind, ReplyLimits, ReplyVerdict, UndeliveredReplies,
    REPLY_LIMITS,
};
pub use request::LoginRequest;
pub use sdk::{answered_by, AnsweredBy, FailureReason, Outcome, SdkResponse};
pub use setup::{dingtalk_unavailable_severity, SetupSeverity};
pub use state::{Clock, ClockFailure, MemoryStore, PendingStore, StoreFailure, SystemClock};
pub use transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportFuture};
