//! The built-in transport (feature `http`), for apps without an HTTP stack of their own: reqwest with
//! rustls (ring) and the Mozilla root set, HTTP/1.1 (the TLS configuration is `tls.rs`). The client is
//! built on first use, so nothing (no TLS configuration, no connection pool) is set up before the
//! first network call.

use std::sync::OnceLock;
use std::time::Duration;

use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportFuture};

/// reqwest behind the [`Transport`] seam. One client per instance: its connect timeout is that of
/// the first request (an `Authenticator` always sends with the same timeouts).
#[derive(Default)]
pub struct BuiltinTransport {
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl BuiltinTransport {
    fn client(&self, connect_timeout_ms: u32) -> Result<&reqwest::Client, TransportError> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .use_preconfigured_tls(crate::tls::client_config()?)
                    .connect_timeout(Duration::from_millis(connect_timeout_ms.into()))
                    // A redirect would carry the single-use code to a URL nobody configured.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| TransportError::Network(format!("cannot build the HTTP client: {e}")))
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| TransportError::Network("not an HTTP method".into()))?;
        let mut builder = self
            .client(request.connect_timeout_ms)?
            .request(method, &request.url)
            .timeout(Duration::from_millis(request.timeout_ms.into()))
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let limit = request.max_response_bytes as usize;
        let mut body = Vec::new();
        // Stop one chunk past the limit: the core refuses such a body, nothing more need be read.
        while body.len() <= limit {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    return Err(match transport_error(e) {
                        TransportError::Network(reason) => TransportError::Body { status, reason },
                        other => other,
                    })
                }
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl Transport for BuiltinTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.exchange(request))
    }
}

fn transport_error(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout;
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
    TransportError::Network(text)
}
