//! Posting the grant to the app's own backend through a [`Transport`], and reading the answer.
//!
//! The rules live here whatever moves the bytes: a 2xx is a success whose body must be UTF-8 and at
//! most [`MAX_BODY`] bytes; any other status (a redirect included: it is never followed) is the
//! backend's refusal, reported with its body; a transport failure is a typed network error or timeout.
//! The built-in transport (feature `http`) is `http_client.rs`.

use std::collections::HashMap;

use crate::error::HttpError;
use crate::grant::AuthGrant;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError};

/// Header carrying the grant's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Largest backend answer read, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

pub use crate::authenticator::BackendResponse;

/// The request that carries `grant` to `url`: its JSON, with its idempotency key.
pub fn grant_request(
    url: &str,
    grant: &AuthGrant,
    connect_timeout_ms: u32,
    timeout_ms: u32,
) -> HttpRequest {
    let headers = HashMap::from([
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Accept".to_string(), "application/json".to_string()),
        (
            IDEMPOTENCY_HEADER.to_string(),
            grant.idempotency_key.clone(),
        ),
    ]);
    HttpRequest {
        method: "POST".into(),
        url: url.into(),
        headers,
        body: grant.to_json().into_bytes(),
        connect_timeout_ms,
        timeout_ms,
        max_response_bytes: MAX_BODY as u32,
    }
}

/// Sends `request` through `transport` and reads the answer by the rules of this module.
pub async fn submit(
    transport: &dyn Transport,
    request: HttpRequest,
) -> Result<BackendResponse, HttpError> {
    let answer = transport.send(request).await;
    let (status, body) = match answer {
        Ok(HttpResponse { status, body, .. }) => (status, read_body(body)),
        Err(TransportError::Timeout) => return Err(HttpError::Timeout),
        Err(TransportError::Network(reason)) => return Err(HttpError::Network(clip(&reason))),
        Err(TransportError::Body { status, reason }) => {
            (status, Err(HttpError::UnreadableBody(clip(&reason))))
        }
    };
    log::info!("backend answered HTTP {status}");
    if (200..300).contains(&status) {
        Ok(BackendResponse {
            status,
            body: body?,
        })
    } else {
        // A refusal is reported with whatever part of its body could be read.
        Err(HttpError::Rejected {
            status,
            body: body.unwrap_or_default(),
        })
    }
}

fn read_body(bytes: Vec<u8>) -> Result<String, HttpError> {
    if bytes.len() > MAX_BODY {
        return Err(HttpError::UnreadableBody(format!(
            "larger than {MAX_BODY} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|_| HttpError::UnreadableBody("not UTF-8".into()))
}

/// A transport's text may be a whole stack trace: its first line, cut short.
fn clip(reason: &str) -> String {
    reason
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}
