//! `submit` against a tiny loopback HTTP server started by each test.
#![cfg(feature = "http")]

use std::sync::Arc;

use dingtalk_auth::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

fn authenticator(url: &str, timeout_ms: u32) -> (Authenticator, AuthGrant) {
    let mut c = AuthConfig::new("dingclient", Platform::Android, vec![LoginFlow::LegacySdk]);
    c.backend_url = Some(url.into());
    c.request_timeout_ms = timeout_ms;
    let auth = Authenticator::new(c, None, None).unwrap();
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
    let (url, server) = one_shot(Some(http("200 OK", br#"{"session":"s1"}"#))).await;
    let (auth, grant) = authenticator(&url, 5_000);
    let r = auth.submit(&grant).await.unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"session":"s1"}"#));
    let request = server.await.unwrap();
    assert!(request.starts_with("POST /login HTTP/1.1\r\n"));
    let lower = request.to_ascii_lowercase();
    assert!(lower.contains("content-type: application/json"));
    assert!(lower.contains(&format!(
        "idempotency-key: {}",
        grant.idempotency_key.to_ascii_lowercase()
    )));
    assert!(request.ends_with(&grant.to_json()));
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
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let (target, hits) = counting_server().await;
        let answer = format!(
            "HTTP/1.1 {status}\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (url, _server) = one_shot(Some(answer.into_bytes())).await;
        let (auth, grant) = authenticator(&url, 5_000);
        let code: u16 = status[..3].parse().unwrap();
        assert_eq!(
            auth.submit(&grant).await,
            Err(Error::Http(HttpError::Rejected {
                status: code,
                body: String::new()
            })),
            "{status}"
        );
        // Had the client followed, it would have finished its request to the target before returning.
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{status}"
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
    for (status, code) in [
        ("409 Conflict", 409),
        ("502 Bad Gateway", 502),
        ("302 Found", 302),
    ] {
        let (url, _server) = one_shot(Some(http(status, b"{\"error\":\"x\"}"))).await;
        let (auth, grant) = authenticator(&url, 5_000);
        assert_eq!(
            auth.submit(&grant).await,
            Err(Error::Http(HttpError::Rejected {
                status: code,
                body: "{\"error\":\"x\"}".into()
            }))
        );
    }
}

#[tokio::test]
async fn unreadable_bodies() {
    let (url, _server) = one_shot(Some(http("200 OK", &[0xff, 0xfe, 0x00]))).await;
    let (auth, grant) = authenticator(&url, 5_000);
    assert!(matches!(
        auth.submit(&grant).await,
        Err(Error::Http(HttpError::UnreadableBody(_)))
    ));
    // A body cut short of its Content-Length.
    let (url, _server) = one_shot(Some(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort".to_vec(),
    ))
    .await;
    let (auth, grant) = authenticator(&url, 5_000);
    assert!(matches!(
        auth.submit(&grant).await,
        Err(Error::Http(HttpError::UnreadableBody(_)))
    ));
}

#[tokio::test]
async fn timeout_and_refused_connection() {
    let (url, _server) = one_shot(None).await;
    let (auth, grant) = authenticator(&url, 300);
    assert_eq!(
        auth.submit(&grant).await,
        Err(Error::Http(HttpError::Timeout))
    );

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/login", closed.local_addr().unwrap());
    drop(closed);
    let (auth, grant) = authenticator(&url, 5_000);
    let err = auth.submit(&grant).await.unwrap_err();
    assert!(matches!(err, Error::Http(HttpError::Network(_))), "{err:?}");
    assert!(!err.to_string().contains("CODE9"));
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
    let (auth, grant) = authenticator(&url, 5_000);
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
