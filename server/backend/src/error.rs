//! The backend's stable JSON errors: `{"error": "<code>", "message": "...", "retryable": bool,
//! "dingtalk": "<DingTalk's error, when it produced one>"}`.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dingtalk_openapi::OpenApiError;

use crate::serve::LoggedError;

/// Declares [`ErrorCode`] and its table in one place: every code once, with its wire string, HTTP
/// status, whether the same grant may be retried, and what it means. `ALL`, `as_str`, `status`,
/// `retryable` and `from_wire` are read from this table, and server/README.md's table is checked
/// against it by a test.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $name:ident = $wire:literal, $status:ident, $retryable:literal;)*) => {
        /// A stable error code (the `error` field of every error answer).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $name,)*
        }

        impl ErrorCode {
            /// Every code, in the README's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $wire,)*
                }
            }

            /// The HTTP status.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$name => StatusCode::$status,)*
                }
            }

            /// Whether the app may submit the same grant again and expect it to succeed once the
            /// cause is gone: every failure that happened before DingTalk judged the code (see
            /// `exchange.rs`). A kept answer (the code is spent) is sent with `retryable: false`
            /// whatever its code.
            pub fn retryable(self) -> bool {
                match self {
                    $(ErrorCode::$name => $retryable,)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not a valid grant JSON v1 (missing/ill-typed field, bad value).
    InvalidGrant = "invalid_grant", BAD_REQUEST, false;
    /// `version` missing or not 1.
    UnsupportedVersion = "unsupported_version", BAD_REQUEST, false;
    /// Body larger than the limit.
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE, false;
    /// The body did not arrive within the body-read timeout.
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT, true;
    /// Content-Type is not application/json.
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, false;
    /// The `Idempotency-Key` header differs from the grant's `idempotency_key`.
    IdempotencyKeyMismatch = "idempotency_key_mismatch", BAD_REQUEST, false;
    /// This idempotency key was already used for a different grant.
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY, false;
    /// The grant's `client_id` is not the one this backend exchanges for that flow.
    ClientIdMismatch = "client_id_mismatch", BAD_REQUEST, false;
    /// The scope does not fit the flow.
    InvalidScope = "invalid_scope", BAD_REQUEST, false;
    /// The backend has no credentials for this flow.
    FlowNotEnabled = "flow_not_enabled", NOT_IMPLEMENTED, false;
    /// This code was already submitted (under another idempotency key); DingTalk was not called.
    CodeReplayed = "code_replayed", CONFLICT, false;
    /// DingTalk does not know the code (unknown, expired, already used, or from another flow).
    InvalidCode = "invalid_code", UNAUTHORIZED, false;
    /// An allow-list is configured and the login did not ask for scope `openid corpid`.
    CorpScopeRequired = "corp_scope_required", FORBIDDEN, false;
    /// The user's organisation is not on the allow-list (or the login carried none).
    CorpNotAllowed = "corp_not_allowed", FORBIDDEN, false;
    /// A corp id is configured and the account is not an active member of that organisation
    /// (DingTalk's 60121, or a member marked inactive); the code is spent.
    NotOrgMember = "not_org_member", FORBIDDEN, false;
    /// `POST /v1/session/refresh`: the bearer token is missing, not signed by this backend's keys,
    /// tampered with or expired. Log in again.
    InvalidSession = "invalid_session", UNAUTHORIZED, false;
    /// This server's clock is off (853001/853002); the grant is not spent.
    ClockSkew = "clock_skew", BAD_GATEWAY, true;
    /// DingTalk rejected this server's credentials or permissions (853003/853004,
    /// `invalidClientIdOrSecret`, `Forbidden.AccessDenied.*`); the grant is not spent.
    ServerMisconfigured = "server_misconfigured", BAD_GATEWAY, true;
    /// A DingTalk rate limit or quota (90002/90018/90019/90020, `Forbidden.AccessDenied.QpsLimit…`,
    /// `…ApiCountLimitForOrg`, 429).
    RateLimited = "rate_limited", SERVICE_UNAVAILABLE, true;
    /// DingTalk banned this server's IP (an HTML page or the `punish` answer).
    DingtalkBlocked = "dingtalk_blocked", SERVICE_UNAVAILABLE, true;
    /// DingTalk did not answer in time.
    DingtalkTimeout = "dingtalk_timeout", GATEWAY_TIMEOUT, true;
    /// DingTalk unreachable or 5xx.
    DingtalkUnavailable = "dingtalk_unavailable", BAD_GATEWAY, true;
    /// DingTalk answered something unreadable.
    DingtalkBadResponse = "dingtalk_bad_response", BAD_GATEWAY, true;
    /// Any other DingTalk error.
    DingtalkError = "dingtalk_error", BAD_GATEWAY, false;
    /// The shared replay store (Redis) cannot be reached; no code was sent to DingTalk.
    ReplayStoreUnavailable = "replay_store_unavailable", SERVICE_UNAVAILABLE, true;
    /// The same grant is being exchanged by another request that has not answered within the wait
    /// bound; submit it again to get its answer.
    ReplayPending = "replay_pending", SERVICE_UNAVAILABLE, true;
    /// No such endpoint.
    NotFound = "not_found", NOT_FOUND, false;
    /// The endpoint exists, the method does not.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, false;
    /// A bug in the backend.
    Internal = "internal", INTERNAL_SERVER_ERROR, false;
}

impl ErrorCode {
    /// The code whose wire string is `s`.
    pub fn from_wire(s: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human sentence (never contains codes, tokens or secrets).
    pub message: String,
    /// DingTalk's error, as the OpenAPI client describes it.
    pub dingtalk: Option<String>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            dingtalk: None,
        }
    }

    pub(crate) fn body(&self) -> Bytes {
        self.body_with(self.code.retryable())
    }

    /// The body with an explicit `retryable`: an answer kept for retries (the code is spent) is never
    /// retryable with the same grant, whatever kind of failure it is.
    pub(crate) fn body_with(&self, retryable: bool) -> Bytes {
        let mut v = serde_json::json!({
            "error": self.code.as_str(),
            "message": self.message,
            "retryable": retryable,
        });
        if let Some(d) = &self.dingtalk {
            v["dingtalk"] = serde_json::Value::String(d.clone());
        }
        Bytes::from(serde_json::to_vec(&v).expect("JSON serialises"))
    }

    /// Maps an OpenAPI client error to the backend's error.
    pub(crate) fn from_openapi(e: &OpenApiError) -> Self {
        use ErrorCode::*;
        let (code, message) = match e {
            OpenApiError::CodeInvalid { .. } | OpenApiError::InvalidGrant(_) => (
                InvalidCode,
                "DingTalk does not accept this code: it is unknown, expired, already used or from another flow",
            ),
            OpenApiError::TimestampFormat { .. } | OpenApiError::ClockSkew { .. } => (
                ClockSkew,
                "the backend's clock is too far from DingTalk's; the operator must fix it",
            ),
            OpenApiError::UnknownAccessKey { .. }
            | OpenApiError::SignatureMismatch { .. }
            | OpenApiError::Credentials(_)
            | OpenApiError::MissingPermission { .. }
            | OpenApiError::IpNotWhitelisted { .. }
            | OpenApiError::AppTokenRejected { .. }
            | OpenApiError::Config(_) => (
                ServerMisconfigured,
                "DingTalk rejected the backend's app credentials",
            ),
            OpenApiError::RateLimited { .. } => (RateLimited, "DingTalk rate limit reached; retry later"),
            OpenApiError::NonJson { html: true, .. } | OpenApiError::IpBanned { .. } => (
                DingtalkBlocked,
                "DingTalk answered an HTML page (usually a temporary IP ban); retry later",
            ),
            OpenApiError::Timeout => (DingtalkTimeout, "DingTalk did not answer in time"),
            OpenApiError::Network(_) | OpenApiError::ServerError { .. } => {
                (DingtalkUnavailable, "DingTalk is unreachable or failing")
            }
            OpenApiError::NonJson { .. }
            | OpenApiError::MalformedJson { .. }
            | OpenApiError::ResponseTooLarge => {
                (DingtalkBadResponse, "DingTalk answered something unreadable")
            }
            _ => (DingtalkError, "DingTalk refused the exchange"),
        };
        ApiError {
            code,
            message: message.into(),
            dingtalk: Some(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        stored_response(self.code.status(), self.body(), Some(self.code.as_str()))
    }
}

pub(crate) fn stored_response(
    status: StatusCode,
    body: Bytes,
    error: Option<&'static str>,
) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(e) = error {
        resp.extensions_mut().insert(LoggedError(e));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// server/README.md's error table says, for every code, the status and `retryable` the code has.
    #[test]
    fn the_readme_table_matches_every_code() {
        let readme = include_str!("../../README.md");
        let mut seen = Vec::new();
        for line in readme.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | status | `error` | retryable | when |
            if cells.len() < 5
                || !cells[2].starts_with('`')
                || !matches!(cells[3], "true" | "false")
            {
                continue;
            }
            let statuses: Vec<&str> = cells[1].split(" / ").collect();
            let codes: Vec<&str> = cells[2].split(" / ").map(|c| c.trim_matches('`')).collect();
            assert_eq!(statuses.len(), codes.len(), "{line}");
            for (status, wire) in statuses.iter().zip(codes) {
                let code = ErrorCode::from_wire(wire).unwrap_or_else(|| panic!("unknown {wire}"));
                assert_eq!(code.status().as_str(), *status, "{wire}");
                assert_eq!(code.retryable().to_string(), cells[3], "{wire}");
                seen.push(code);
            }
        }
        for &code in ErrorCode::ALL {
            assert!(
                seen.contains(&code),
                "{} is missing from the README",
                code.as_str()
            );
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
        }
    }
}
