//! `submit` against a tiny loopback HTTP server started by each test, through every transport: the
//! built-in reqwest client (feature `http`) and an app's own transport (`LoopbackClient` below, a
//! minimal HTTP/1.1 client standing in for OkHttp or URLSession behind the `Transport` seam). Then the
//! core's reading of whatever a transport returns, with a scripted transport.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_auth::submit::MAX_BODY;
use dingtalk_auth::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves one connection: reads the request, then answers `response` (or never, if `None`).
/// Returns the raw request it read.
async fn one_shot(response: Option<Vec<u8>>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/login", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Read the head, then as many body bytes as Content-Length says.
        loop {
            let n = sock.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break; // the peer closed (or failed) before the request was complete
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let len = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                if buf.len() >= head_end + 4 + len {
                    break;
                }
            }
        }
        match response {
            // The client may have given up already; that is its business.
            Some(r) => {
                let _ = sock.write_all(&r).await;
            }
            // Hold the connection open without answering until the client gives up.
            None => while sock.read(&mut chunk).await.map(|n| n > 0).unwrap_or(false) {},
        }
        String::from_utf8_lossy(&buf).to_string()
    });
    (url, task)
}

fn http(status: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// How a test's `submit` sends.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// The core's reqwest client.
    #[cfg(feature = "http")]
    Builtin,
    /// An app's transport (`LoopbackClient`).
    App,
}

/// Every transport a build has.
const VIAS: &[Via] = &[
    #[cfg(feature = "http")]
    Via::Builtin,
    Via::App,
];

fn authenticator(via: Via, url: &str, timeout_ms: u32) -> (Authenticator, AuthGrant) {
    let mut c = AuthConfig::new("dingclient", Platform::Android, vec![LoginFlow::LegacySdk]);
    c.backend_url = Some(url.into());
    c.request_timeout_ms = timeout_ms;
    let auth = Authenticator::new(c, None, None).unwrap();
    let auth = match via {
        #[cfg(feature = "http")]
        Via::Builtin => auth,
        Via::App => auth.with_transport(Arc::new(LoopbackClient)),
    };
    authorized(auth)
}

fn authorized(auth: Authenticator) -> (Authenticator, AuthGrant) {
    let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    let resp = SdkResponse {
        flow: LoginFlow::LegacySdk,
        err_code: "0".into(),
        message: None,
        code: Some("CODE9".into()),
        state: Some(s),
        reply_type: None,
    };
    let Outcome::Authorized { grant: g, .. } = auth.complete_sdk(&resp).unwrap() else {
        panic!()
    };
    (auth, g)
}

#[tokio::test]
async fn posts_the_grant_json_with_its_idempotency_key() {
    for &via in VIAS {
        let (url, server) = one_shot(Some(http("200 OK", br#"{"session":"s1"}"#))).await;
        let (auth, grant) = authenticator(via, &url, 5_000);
        let r = auth.submit(&grant).await.unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, r#"{"session":"s1"}"#));
        let request = server.await.unwrap();
        assert!(request.starts_with("POST /login HTTP/1.1\r\n"), "{via:?}");
        let lower = request.to_ascii_lowercase();
        assert!(lower.contains("content-type: application/json"), "{via:?}");
        assert!(
            lower.contains(&format!(
                "idempotency-key: {}",
                grant.idempotency_key.to_ascii_lowercase()
            )),
            "{via:?}"
        );
        assert!(request.ends_with(&grant.to_json()), "{via:?}");
    }
}

/// Counts the connections it accepts and answers each with 200: where a followed redirect would land.
async fn counting_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/elsewhere", listener.local_addr().unwrap());
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut chunk = [0u8; 4096];
            let _ = sock.read(&mut chunk).await;
            let _ = sock.write_all(&http("200 OK", b"followed")).await;
        }
    });
    (url, hits)
}

/// A redirect would carry the single-use code to a URL nobody configured: it is reported, never
/// followed. The target is a live server that counts hits, so following it could not go unnoticed.
#[tokio::test]
async fn redirects_are_reported_not_followed() {
    for (&via, status) in VIAS.iter().flat_map(|v| {
        [
            "301 Moved Permanently",
            "302 Found",
            "303 See Other",
            "307 Temporary Redirect",
            "308 Permanent Redirect",
        ]
        .map(|status| (v, status))
    }) {
        let (target, hits) = counting_server().await;
        let answer = format!(
            "HTTP/1.1 {status}\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (url, _server) = one_shot(Some(answer.into_bytes())).await;
        let (auth, grant) = authenticator(via, &url, 5_000);
        let code: u16 = status[..3].parse().unwrap();
        assert_eq!(
            auth.submit(&grant).await,
            Err(Error::Http(HttpError::Rejected {
                status: code,
                body: String::new()
            })),
            "{status} {via:?}"
        );
        // Had the client followed, it would have finished its request to the target before returning.
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{status} {via:?}"
        );
    }
}

/// The test server itself: a client that hangs up before the end of the headers ends it (it used to
/// spin forever on a closed socket).
#[tokio::test]
async fn the_test_server_ends_when_the_peer_closes_early() {
    let (url, server) = one_shot(Some(http("200 OK", b""))).await;
    let addr = url.trim_start_matches("http://").trim_end_matches("/login");
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    drop(sock);
    assert!(server.await.unwrap().starts_with("POST /login"));
}

#[tokio::test]
async fn non_2xx_keeps_status_and_body() {
    for &via in VIAS {
        for (status, code) in [
            ("409 Conflict", 409),
            ("502 Bad Gateway", 502),
            ("302 Found", 302),
        ] {
            let (url, _server) = one_shot(Some(http(status, b"{\"error\":\"x\"}"))).await;
            let (auth, grant) = authenticator(via, &url, 5_000);
            assert_eq!(
                auth.submit(&grant).await,
                Err(Error::Http(HttpError::Rejected {
                    status: code,
                    body: "{\"error\":\"x\"}".into()
                })),
                "{via:?}"
            );
        }
    }
}

#[tokio::test]
async fn unreadable_bodies() {
    for &via in VIAS {
        let (url, _server) = one_shot(Some(http("200 OK", &[0xff, 0xfe, 0x00]))).await;
        let (auth, grant) = authenticator(via, &url, 5_000);
        let got = auth.submit(&grant).await;
        assert!(
            matches!(got, Err(Error::Http(HttpError::UnreadableBody(_)))),
            "{via:?}: {got:?}"
        );
        // A body cut short of its Content-Length.
        let (url, _server) = one_shot(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort".to_vec(),
        ))
        .await;
        let (auth, grant) = authenticator(via, &url, 5_000);
        let got = auth.submit(&grant).await;
        assert!(
            matches!(got, Err(Error::Http(HttpError::UnreadableBody(_)))),
            "{via:?}: {got:?}"
        );
        // Larger than the core reads.
        let (url, _server) = one_shot(Some(http("200 OK", &vec![b'a'; MAX_BODY + 1]))).await;
        let (auth, grant) = authenticator(via, &url, 5_000);
        let got = auth.submit(&grant).await;
        assert!(
            matches!(got, Err(Error::Http(HttpError::UnreadableBody(_)))),
            "{via:?}: {got:?}"
        );
    }
}

#[tokio::test]
async fn timeout_and_refused_connection() {
    for &via in VIAS {
        let (url, _server) = one_shot(None).await;
        let (auth, grant) = authenticator(via, &url, 300);
        assert_eq!(
            auth.submit(&grant).await,
            Err(Error::Http(HttpError::Timeout)),
            "{via:?}"
        );

        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/login", closed.local_addr().unwrap());
        drop(closed);
        let (auth, grant) = authenticator(via, &url, 5_000);
        let err = auth.submit(&grant).await.unwrap_err();
        assert!(
            matches!(err, Error::Http(HttpError::Network(_))),
            "{via:?}: {err:?}"
        );
        assert!(!err.to_string().contains("CODE9"));
    }
}

#[tokio::test]
async fn no_backend_configured() {
    let auth = Arc::new(
        Authenticator::new(
            AuthConfig::new("d", Platform::Ios, vec![LoginFlow::LegacySdk]),
            None,
            None,
        )
        .unwrap(),
    );
    auth.begin(LoginFlow::LegacySdk).unwrap();
    let resp = SdkResponse {
        flow: LoginFlow::LegacySdk,
        err_code: "0".into(),
        message: None,
        code: Some("c".into()),
        state: None,
        reply_type: None,
    };
    let Outcome::Authorized { grant: g, .. } = auth.complete_sdk(&resp).unwrap() else {
        panic!()
    };
    assert!(matches!(
        auth.submit(&g).await,
        Err(Error::Http(HttpError::Unavailable(_)))
    ));
}

#[cfg(feature = "http")]
/// The TLS configuration is really used: an HTTPS backend whose certificate chains to no public root
/// (a self-signed one, kept in tests/data) fails verification, and the error says so. Nothing else can
/// be proved offline: a certificate under a public root needs the real internet.
#[tokio::test]
async fn https_verifies_the_server_certificate() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs =
        vec![CertificateDer::from_pem_slice(include_bytes!("data/self-signed.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("data/self-signed.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/login", listener.local_addr().unwrap());
    // A blocking TLS server on its own thread: it reports how far the handshake got.
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        conn.complete_io(&mut sock).err().map(|e| e.to_string())
    });
    let (auth, grant) = authenticator(Via::Builtin, &url, 5_000);
    let err = auth.submit(&grant).await.unwrap_err();
    let Error::Http(HttpError::Network(text)) = &err else {
        panic!("expected a network error, got {err:?}")
    };
    assert!(
        text.contains("UnknownIssuer") || text.contains("unknown issuer"),
        "{text}"
    );
    // The server saw a TLS client that refused its certificate (it got an alert, not plain HTTP).
    let server_side = server.join().unwrap().unwrap_or_default();
    assert!(!server_side.contains("HTTP"), "{server_side}");
}

/// An app's own transport as the `Transport` seam sees one: a minimal HTTP/1.1 client over tokio
/// (plain `http://` only), honouring both timeouts and, like any transport must, never following a
/// redirect.
struct LoopbackClient;

impl Transport for LoopbackClient {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move {
            let total = Duration::from_millis(request.timeout_ms.into());
            tokio::time::timeout(total, exchange(request))
                .await
                .unwrap_or(Err(TransportError::Timeout))
        })
    }
}

async fn exchange(request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let network = |e: std::io::Error| TransportError::Network(e.to_string());
    let rest = request.url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let connect = Duration::from_millis(request.connect_timeout_ms.into());
    let mut sock = tokio::time::timeout(connect, TcpStream::connect(authority))
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(network)?;
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
        request.method,
        request.body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await.map_err(network)?;
    sock.write_all(&request.body).await.map_err(network)?;
    // `Connection: close`: the answer ends where the stream does.
    let mut raw = Vec::new();
    sock.read_to_end(&mut raw).await.map_err(network)?;
    let text = String::from_utf8_lossy(&raw);
    let head_end = text
        .find("\r\n\r\n")
        .ok_or_else(|| TransportError::Network("no complete answer".into()))?;
    let mut lines = text[..head_end].lines();
    let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: std::collections::HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = raw[head_end + 4..].to_vec();
    let length: Option<usize> =
        dingtalk_auth::transport::header(&headers, "content-length").map(|v| v.parse().unwrap());
    if length.is_some_and(|n| n > body.len()) {
        return Err(TransportError::Body {
            status,
            reason: "the body ended before its Content-Length".into(),
        });
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// A transport that records each request and answers what it is told.
#[derive(Default)]
struct Scripted {
    answer: Mutex<Option<Result<HttpResponse, TransportError>>>,
    seen: Mutex<Vec<HttpRequest>>,
    calls: AtomicUsize,
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push(request);
        let answer = self.answer.lock().unwrap().take().unwrap();
        Box::pin(async move { answer })
    }
}

fn with_scripted(
    answer: Result<HttpResponse, TransportError>,
) -> (Authenticator, AuthGrant, Arc<Scripted>) {
    let transport = Arc::new(Scripted::default());
    *transport.answer.lock().unwrap() = Some(answer);
    let mut c = AuthConfig::new("dingclient", Platform::Android, vec![LoginFlow::LegacySdk]);
    c.backend_url = Some("https://backend.example/v1/login".into());
    c.connect_timeout_ms = 1_234;
    c.request_timeout_ms = 5_678;
    let auth = Authenticator::new(c, None, None)
        .unwrap()
        .with_transport(transport.clone());
    let (auth, grant) = authorized(auth);
    (auth, grant, transport)
}

fn answer(status: u16, body: &[u8]) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        headers: Default::default(),
        body: body.to_vec(),
    })
}

/// The app's transport is handed the whole request: method, URL, the grant's JSON, its idempotency
/// key, the configured timeouts and the body limit; the built-in client (if any) is not used.
#[tokio::test]
async fn the_app_transport_gets_the_whole_request() {
    let (auth, grant, transport) = with_scripted(answer(200, b"{}"));
    assert_eq!(
        auth.submit(&grant).await,
        Ok(BackendResponse {
            status: 200,
            body: "{}".into()
        })
    );
    assert_eq!(transport.calls.load(Ordering::SeqCst), 1);
    let seen = transport.seen.lock().unwrap().pop().unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.url, "https://backend.example/v1/login");
    assert_eq!(seen.body, grant.to_json().into_bytes());
    let header = |name| dingtalk_auth::transport::header(&seen.headers, name);
    assert_eq!(
        header("idempotency-key"),
        Some(grant.idempotency_key.as_str())
    );
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("accept"), Some("application/json"));
    assert_eq!((seen.connect_timeout_ms, seen.timeout_ms), (1_234, 5_678));
    assert_eq!(seen.max_response_bytes as usize, MAX_BODY);
    // A retry of the same grant carries the same key.
    *transport.answer.lock().unwrap() = Some(answer(200, b"{}"));
    auth.submit(&grant).await.unwrap();
    let retry = transport.seen.lock().unwrap().pop().unwrap();
    assert_eq!(retry.headers, seen.headers);
}

/// Whatever moved the bytes, the core reads the answer by the same rules.
#[tokio::test]
async fn what_a_transport_returns_is_read_by_the_core_rules() {
    let rejected = |status, body: &str| {
        Err(Error::Http(HttpError::Rejected {
            status,
            body: body.into(),
        }))
    };
    let unreadable = |why: &str| Err(Error::Http(HttpError::UnreadableBody(why.into())));
    let cases: Vec<(
        Result<HttpResponse, TransportError>,
        Result<BackendResponse, Error>,
    )> = vec![
        (
            answer(201, b"made"),
            Ok(BackendResponse {
                status: 201,
                body: "made".into(),
            }),
        ),
        (
            answer(204, b""),
            Ok(BackendResponse {
                status: 204,
                body: String::new(),
            }),
        ),
        // A redirect handed back by the transport is the backend's answer, not a success.
        (answer(302, b""), rejected(302, "")),
        (
            answer(409, b"{\"error\":\"x\"}"),
            rejected(409, "{\"error\":\"x\"}"),
        ),
        // A refusal whose body is unreadable keeps its status.
        (answer(500, &[0xff]), rejected(500, "")),
        (answer(200, &[0xff]), unreadable("not UTF-8")),
        (
            answer(200, &vec![b'a'; MAX_BODY + 1]),
            unreadable("larger than 1048576 bytes"),
        ),
        (
            Err(TransportError::Timeout),
            Err(Error::Http(HttpError::Timeout)),
        ),
        // An exception's text arrives with its stack trace: only its first line is kept.
        (
            Err(TransportError::Network(
                "java.net.ConnectException: refused\n\tat Foo.bar(Foo.kt:1)".into(),
            )),
            Err(Error::Http(HttpError::Network(
                "java.net.ConnectException: refused".into(),
            ))),
        ),
        (
            Err(TransportError::Body {
                status: 200,
                reason: "reset".into(),
            }),
            unreadable("reset"),
        ),
        (
            Err(TransportError::Body {
                status: 503,
                reason: "reset".into(),
            }),
            rejected(503, ""),
        ),
    ];
    for (given, expected) in cases {
        let label = format!("{given:?}").chars().take(80).collect::<String>();
        let (auth, grant, _) = with_scripted(given);
        assert_eq!(auth.submit(&grant).await, expected, "{label}");
    }
}

/// Without an HTTP client of its own, the build sends only through the app's transport.
#[cfg(not(feature = "http"))]
#[tokio::test]
async fn without_http_and_without_a_transport_submit_is_unavailable() {
    let mut c = AuthConfig::new("dingclient", Platform::Android, vec![LoginFlow::LegacySdk]);
    c.backend_url = Some("https://backend.example/v1/login".into());
    let (auth, grant) = authorized(Authenticator::new(c, None, None).unwrap());
    let err = auth.submit(&grant).await.unwrap_err();
    assert!(
        matches!(err, Error::Http(HttpError::Unavailable(why)) if why.contains("transport")),
        "{err:?}"
    );
}
