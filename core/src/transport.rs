//! The one HTTP exchange `submit` needs, and the seam it goes through: the app's own HTTP stack (a
//! [`Transport`] the app implements over OkHttp, `HttpURLConnection`, URLSession…, so the grant travels
//! with the app's interceptors, proxies and certificate pinning) or, with the feature `http`, the
//! built-in reqwest client.
//!
//! A transport only moves bytes. What they mean stays in the core (`submit.rs`): which status is a
//! success, that a redirect is an answer and never followed, the body limit, UTF-8, the typed errors.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

/// Defines [`HttpRequest`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_http_request {
    ($(#[$attr:meta])*) => {
        /// One request for a transport to send exactly as described. It must not follow redirects: a
        /// 3xx answer is returned as it is (a redirect would carry the single-use code to a URL nobody
        /// configured).
        $(#[$attr])*
        pub struct HttpRequest {
            /// The HTTP method (`POST`).
            pub method: String,
            /// The absolute URL (the configured `backendUrl`).
            pub url: String,
            /// Headers to send as they are, among them `Idempotency-Key` (the same for every retry of
            /// one grant, so the backend can tell a retry from a second login).
            pub headers: std::collections::HashMap<String, String>,
            /// The request body.
            pub body: Vec<u8>,
            /// Give up connecting after this many milliseconds (throw `Timeout`).
            pub connect_timeout_ms: u32,
            /// Give up on the whole exchange after this many milliseconds (throw `Timeout`).
            pub timeout_ms: u32,
            /// Reading more of the answer's body than this is pointless: the core refuses a larger body.
            /// A transport may stop after one byte more.
            pub max_response_bytes: u32,
        }
    };
}
define_http_request!(#[derive(Debug, Clone, PartialEq, Eq)]);

/// Defines [`HttpResponse`]; expanded by the façade too (see [`define_http_request!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! define_http_response {
    ($(#[$attr:meta])*) => {
        /// What the server answered, whatever the status (a 3xx or a 5xx is an answer, not an error).
        $(#[$attr])*
        pub struct HttpResponse {
            /// The HTTP status code.
            pub status: u16,
            /// The response headers (for a header sent several times, any one of its values).
            pub headers: std::collections::HashMap<String, String>,
            /// The body as received (at most `maxResponseBytes` + 1 bytes need be read).
            pub body: Vec<u8>,
        }
    };
}
define_http_response!(#[derive(Debug, Clone, PartialEq, Eq)]);

/// Why a transport has no (complete) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A timeout of the request elapsed.
    Timeout,
    /// No answer: refused, unreachable, DNS, TLS, cancelled; the text says which (no secrets in it).
    Network(String),
    /// The answer's status arrived but its body could not be read to the end.
    Body { status: u16, reason: String },
}

/// What [`Transport::send`] returns: boxed, so that transports of any kind fit behind one `dyn`.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one [`HttpRequest`]. Implementations must honour its timeouts and must not follow redirects.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the answer, whatever its status.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// The value of the header `name` in `headers`, compared as HTTP compares names (ASCII case-insensitive).
pub fn header<'a>(headers: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
