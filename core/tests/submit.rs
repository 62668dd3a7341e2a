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
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let len = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= head_end + 4 + len || n == 0 {
                    break;
                }
            }
        }
        match response {
            Some(r) => sock.write_all(&r).await.unwrap(),
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
    };
    let Outcome::Authorized(g) = auth.complete_sdk(&resp).unwrap() else {
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
    };
    let Outcome::Authorized(g) = auth.complete_sdk(&resp).unwrap() else {
        panic!()
    };
    assert!(matches!(
        auth.submit(&g).await,
        Err(Error::Http(HttpError::Unavailable(_)))
    ));
}
