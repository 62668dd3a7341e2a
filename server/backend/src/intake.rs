//! Intake: the request body becomes a checked grant, or the request is refused with the API error.
//!
//! [`Intake`] is an axum extractor whose rejection is an [`ApiError`], so the login handler starts
//! from a valid grant. In order: body within `max_body_bytes` and `body_read_timeout` (a client that
//! announces a body and stalls is answered 408 instead of holding the connection) →
//! `Content-Type: application/json` → grant JSON v1 ([`GrantV1::from_json`], which never echoes a
//! value) → the `Idempotency-Key` header, if sent, equals the grant's `idempotency_key`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use dingtalk_auth::wire::{GrantError, GrantV1};
use http_body_util::BodyExt as _;

use crate::config::BackendConfig;
use crate::error::{ApiError, ErrorCode};
use crate::service::Backend;

/// A grant that passed intake.
pub(crate) struct Intake(pub GrantV1);

impl FromRequest<Backend> for Intake {
    type Rejection = ApiError;

    async fn from_request(req: Request, backend: &Backend) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let body = read_body(backend.config(), &parts.headers, body).await?;
        let mime = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Content-Type must be application/json",
            ));
        }
        let grant = GrantV1::from_json(&body).map_err(|e| {
            let code = match e {
                GrantError::UnsupportedVersion => ErrorCode::UnsupportedVersion,
                _ => ErrorCode::InvalidGrant,
            };
            ApiError::new(code, e.to_string())
        })?;
        if let Some(h) = parts.headers.get("idempotency-key") {
            if h.as_bytes() != grant.idempotency_key.as_bytes() {
                return Err(ApiError::new(
                    ErrorCode::IdempotencyKeyMismatch,
                    "the Idempotency-Key header differs from the grant's idempotency_key",
                ));
            }
        }
        Ok(Intake(grant))
    }
}

async fn read_body(
    cfg: &BackendConfig,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            format!("the grant must be at most {} bytes", cfg.max_body_bytes),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > cfg.max_body_bytes as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, cfg.max_body_bytes);
    match tokio::time::timeout(cfg.body_read_timeout, limited.collect()).await {
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(ApiError::new(
            ErrorCode::InvalidGrant,
            "could not read the body",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}
