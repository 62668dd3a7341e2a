//! The backend's stable JSON errors: `{"error": "<code>", "message": "...", "retryable": bool,
//! "dingtalk": "<DingTalk's error, when it produced one>"}`.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dingtalk_auth::openapi::OpenApiError;

use crate::util::LoggedError;

/// A stable error code with its HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the body is not a valid grant JSON v1 (missing/ill-typed field, bad value).
    InvalidGrant,
    /// 400: `version` missing or not 1.
    UnsupportedVersion,
    /// 413: body larger than the limit.
    BodyTooLarge,
    /// 408: the body did not arrive within the body-read timeout.
    RequestTimeout,
    /// 415: Content-Type is not application/json.
    UnsupportedMediaType,
    /// 400: the `Idempotency-Key` header differs from the grant's `idempotency_key`.
    IdempotencyKeyMismatch,
    /// 422: this idempotency key was already used for a different grant.
    IdempotencyKeyReused,
    /// 400: the grant's `client_id` is not the one this backend exchanges for that flow.
    ClientIdMismatch,
    /// 400: the scope does not fit the flow.
    InvalidScope,
    /// 501: the backend has no credentials for this flow.
    FlowNotEnabled,
    /// 409: this code was already submitted (under another idempotency key); DingTalk was not called.
    CodeReplayed,
    /// 401: DingTalk does not know the code (unknown, expired, already used, or from another flow).
    InvalidCode,
    /// 403: an allow-list is configured and the login did not ask for scope `openid corpid`.
    CorpScopeRequired,
    /// 403: the user's organisation is not on the allow-list (or the login carried none).
    CorpNotAllowed,
    /// 502: this server's clock is off (853001/853002); the grant is not spent.
    ClockSkew,
    /// 502: DingTalk rejected this server's credentials or permissions (853003/853004,
    /// `invalidClientIdOrSecret`, `Forbidden.AccessDenied.*`); the grant is not spent.
    ServerMisconfigured,
    /// 503: a DingTalk rate limit or quota (90002/90018/90019/90020, `Forbidden.AccessDenied.QpsLimit…`,
    /// `…ApiCountLimitForOrg`, 429).
    RateLimited,
    /// 503: DingTalk banned this server's IP (an HTML page or the `punish` answer).
    DingtalkBlocked,
    /// 504: DingTalk did not answer in time.
    DingtalkTimeout,
    /// 502: DingTalk unreachable or 5xx.
    DingtalkUnavailable,
    /// 502: DingTalk answered something unreadable.
    DingtalkBadResponse,
    /// 502: any other DingTalk error.
    DingtalkError,
    /// 503: the shared replay store (Redis) cannot be reached; no code was sent to DingTalk.
    ReplayStoreUnavailable,
    /// 503: the same grant is being exchanged by another request that has not answered within the
    /// wait bound; submit it again to get its answer.
    ReplayPending,
    /// 404 / 405.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 500.
    Internal,
}

impl ErrorCode {
    /// Every code, in the README's order.
    pub const ALL: [ErrorCode; 27] = {
        use ErrorCode::*;
        [
            InvalidGrant,
            UnsupportedVersion,
            BodyTooLarge,
            RequestTimeout,
            UnsupportedMediaType,
            IdempotencyKeyMismatch,
            IdempotencyKeyReused,
            ClientIdMismatch,
            InvalidScope,
            FlowNotEnabled,
            CodeReplayed,
            InvalidCode,
            CorpScopeRequired,
            CorpNotAllowed,
            ClockSkew,
            ServerMisconfigured,
            RateLimited,
            DingtalkBlocked,
            DingtalkTimeout,
            DingtalkUnavailable,
            DingtalkBadResponse,
            DingtalkError,
            ReplayStoreUnavailable,
            ReplayPending,
            NotFound,
            MethodNotAllowed,
            Internal,
        ]
    };

    /// The code whose wire string is `s`.
    pub fn from_wire(s: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidGrant => "invalid_grant",
            UnsupportedVersion => "unsupported_version",
            BodyTooLarge => "body_too_large",
            RequestTimeout => "request_timeout",
            UnsupportedMediaType => "unsupported_media_type",
            IdempotencyKeyMismatch => "idempotency_key_mismatch",
            IdempotencyKeyReused => "idempotency_key_reused",
            ClientIdMismatch => "client_id_mismatch",
            InvalidScope => "invalid_scope",
            FlowNotEnabled => "flow_not_enabled",
            CodeReplayed => "code_replayed",
            InvalidCode => "invalid_code",
            CorpScopeRequired => "corp_scope_required",
            CorpNotAllowed => "corp_not_allowed",
            ClockSkew => "clock_skew",
            ServerMisconfigured => "server_misconfigured",
            RateLimited => "rate_limited",
            DingtalkBlocked => "dingtalk_blocked",
            DingtalkTimeout => "dingtalk_timeout",
            DingtalkUnavailable => "dingtalk_unavailable",
            DingtalkBadResponse => "dingtalk_bad_response",
            DingtalkError => "dingtalk_error",
            ReplayStoreUnavailable => "replay_store_unavailable",
            ReplayPending => "replay_pending",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Internal => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            InvalidGrant
            | UnsupportedVersion
            | IdempotencyKeyMismatch
            | ClientIdMismatch
            | InvalidScope => StatusCode::BAD_REQUEST,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            FlowNotEnabled => StatusCode::NOT_IMPLEMENTED,
            CodeReplayed => StatusCode::CONFLICT,
            InvalidCode => StatusCode::UNAUTHORIZED,
            CorpScopeRequired | CorpNotAllowed => StatusCode::FORBIDDEN,
            ClockSkew | ServerMisconfigured | DingtalkUnavailable | DingtalkBadResponse
            | DingtalkError => StatusCode::BAD_GATEWAY,
            RateLimited | DingtalkBlocked | ReplayStoreUnavailable | ReplayPending => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            DingtalkTimeout => StatusCode::GATEWAY_TIMEOUT,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether the app may submit the same grant again and expect it to succeed once the cause is
    /// gone: every failure that happened before DingTalk judged the code (see `exchange`). A kept
    /// answer (the code is spent) is sent with `retryable: false` whatever its code.
    pub fn retryable(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            RateLimited
                | ClockSkew
                | ServerMisconfigured
                | ReplayStoreUnavailable
                | ReplayPending
                | RequestTimeout
                | DingtalkBlocked
                | DingtalkTimeout
                | DingtalkUnavailable
                | DingtalkBadResponse
        )
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
        for code in ErrorCode::ALL {
            assert!(
                seen.contains(&code),
                "{} is missing from the README",
                code.as_str()
            );
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
        }
    }
}
