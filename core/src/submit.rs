//! Posting the grant to the app's own backend (feature `http`).
//!
//! reqwest with rustls (ring) and the Mozilla root set, HTTP/1.1 (the TLS configuration is `tls.rs`).
//! The client is built on first use, so nothing (no runtime, no TLS configuration) is set up before
//! the first network call.

use std::sync::OnceLock;
use std::time::Duration;

use crate::error::HttpError;
use crate::grant::AuthGrant;

/// Header carrying the grant's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Largest backend answer read, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

pub use crate::authenticator::BackendResponse;

/// Sends grants to one backend URL.
pub struct Submitter {
    url: String,
    connect_timeout: Duration,
    timeout: Duration,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl Submitter {
    pub fn new(url: String, connect_timeout_ms: u32, request_timeout_ms: u32) -> Self {
        Submitter {
            url,
            connect_timeout: Duration::from_millis(connect_timeout_ms.into()),
            timeout: Duration::from_millis(request_timeout_ms.into()),
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, HttpError> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .use_preconfigured_tls(crate::tls::client_config()?)
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.timeout)
                    // A redirect would carry the single-use code to a URL nobody configured.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| HttpError::Network(format!("cannot build the HTTP client: {e}")))
    }

    /// POSTs the grant's JSON with its idempotency key. Must run inside a tokio runtime.
    pub async fn submit(&self, grant: &AuthGrant) -> Result<BackendResponse, HttpError> {
        let response = self
            .client()?
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .header(IDEMPOTENCY_HEADER, &grant.idempotency_key)
            .body(grant.to_json())
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let body = read_body(response).await;
        log::info!(
            "backend answered HTTP {status} to a {} grant",
            grant.flow.wire_name()
        );
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
}

async fn read_body(mut response: reqwest::Response) -> Result<String, HttpError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| match transport_error(e) {
            HttpError::Timeout => HttpError::Timeout,
            other => HttpError::UnreadableBody(other.to_string()),
        })?
    {
        if bytes.len() + chunk.len() > MAX_BODY {
            return Err(HttpError::UnreadableBody(format!(
                "larger than {MAX_BODY} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| HttpError::UnreadableBody("not UTF-8".into()))
}

fn transport_error(e: reqwest::Error) -> HttpError {
    if e.is_timeout() {
        return HttpError::Timeout;
    }
    // The URL is the backend's, not a secret, but the text is kept short and free of it anyway.
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    HttpError::Network(text)
}
