//! Clients that stall: half a request head, a body that never completes, hundreds of them at once.
//! They are dropped after a bound, they never delay a normal login, their number is capped, and a
//! SIGTERM while they stall still ends the process within the shutdown bound.

mod common;

use std::time::{Duration, Instant};

use common::process::CHILD_BOUND;
use common::*;
use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::ServeOptions;
use dingtalk_fake::{Fault, FaultEndpoint, MintRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The header- and body-read timeouts under test: short for a quick suite, long enough that 20
/// logins finish before them even on a loaded 2-core machine; every assertion about them allows
/// seconds of scheduling.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that sent the start of a request head and nothing more.
async fn half_head(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        .await
        .unwrap();
    s
}

/// A connection that sent a whole head announcing 200 bytes of body, and 10 of them.
async fn half_body(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"version\"",
    )
    .await
    .unwrap();
    s
}

/// Everything the server sends until it closes the connection, within `bound`.
async fn read_until_closed(s: &mut TcpStream, bound: Duration) -> String {
    let mut out = Vec::new();
    let r = tokio::time::timeout(bound, s.read_to_end(&mut out)).await;
    assert!(
        r.is_ok(),
        "the server did not close a stalled connection within {bound:?}"
    );
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_dropped_and_do_not_delay_logins() {
    let h = start_with(|c| {
        c.serve = ServeOptions {
            header_read_timeout: READ_TIMEOUT,
            ..ServeOptions::default()
        };
        c.body_read_timeout = READ_TIMEOUT;
    })
    .await;
    let addr = h.backend_srv.addr();
    let mut heads = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..150 {
        heads.push(half_head(addr).await);
    }
    for _ in 0..50 {
        bodies.push(half_body(addr).await);
    }
    // Logins go through while all 200 stall.
    let mut logins = Vec::new();
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk].repeat(10) {
        let code = h.mint(flow, None, None);
        let http = h.http.clone();
        let url = format!("{}/v1/login", h.backend_srv.url());
        let body = grant(flow, &code, default_scope(flow), &key());
        logins.push(tokio::spawn(async move {
            http.post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for l in logins {
        assert_eq!(l.await.unwrap(), 200);
    }
    // Still open: the logins did not wait for the stalled clients to be dropped (a count, not a
    // wall-clock bound).
    assert!(
        h.backend_srv.open_connections() >= 200,
        "the stalled connections were still open while the logins succeeded"
    );
    // Then every stalled client is dropped: a half head is closed, a half body answered 408.
    let bound = READ_TIMEOUT + Duration::from_secs(10);
    for s in &mut heads {
        read_until_closed(s, bound).await;
    }
    for s in &mut bodies {
        let answer = read_until_closed(s, bound).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"request_timeout\""), "{answer}");
    }
    let s = h.fake.stats();
    assert_eq!(
        (s.legacy, s.token),
        (10, 10),
        "only the real logins reached DingTalk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_and_frees_up_when_stalls_are_dropped() {
    const CAP: usize = 20;
    let h = start_with(|c| {
        c.serve = ServeOptions {
            header_read_timeout: READ_TIMEOUT,
            max_connections: CAP,
            ..ServeOptions::default()
        };
    })
    .await;
    let addr = h.backend_srv.addr();
    let mut stalls = Vec::new();
    for _ in 0..3 * CAP {
        stalls.push(half_head(addr).await);
    }
    // The server takes CAP of them and leaves the rest in the backlog.
    let start = Instant::now();
    while h.backend_srv.open_connections() < CAP {
        assert!(start.elapsed() < CHILD_BOUND, "the cap was never reached");
        tokio::task::yield_now().await;
    }
    assert_eq!(h.backend_srv.open_connections(), CAP);
    // A login waits for a free slot, which the header timeout makes: it succeeds within a bound.
    let a = tokio::time::timeout(
        3 * READ_TIMEOUT + Duration::from_secs(10),
        h.fresh_login(LoginFlow::LegacySdk),
    )
    .await
    .expect("a login got through once stalled clients were dropped");
    assert_eq!(a.status, 200, "{}", a.json);
    assert!(h.backend_srv.open_connections() <= CAP);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_clients_stall_exits_within_the_bound() {
    const SHUTDOWN_MS: u64 = 2_000;
    let (fake, fake_srv) = start_fake().await;
    let (mut child, backend_url) = spawn_backend(
        &fake_srv.url(),
        &[
            "--shutdown-timeout-ms",
            &SHUTDOWN_MS.to_string(),
            // Far longer than the test: only the shutdown bound can end the stalls.
            "--header-read-timeout-ms",
            "600000",
            "--upstream-timeout-ms",
            "10000",
        ],
        &[],
    );
    let backend: std::net::SocketAddr = backend_url.trim_start_matches("http://").parse().unwrap();
    let mut stalls = Vec::new();
    for _ in 0..100 {
        stalls.push(half_head(backend).await);
    }
    // A login in flight (DingTalk slowed to 1 s) when the signal comes: it finishes.
    fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Delay { ms: 1000 }),
        Some(1),
    );
    let code = fake
        .mint(MintRequest {
            flow: LoginFlow::LegacySdk,
            client_id: None,
            scope: None,
            user: None,
        })
        .unwrap();
    let body = grant(LoginFlow::LegacySdk, &code, "sns_login", &key());
    let login = tokio::spawn(async move {
        reqwest::Client::builder()
            .timeout(HTTP_BOUND)
            .build()
            .unwrap()
            .post(format!("{backend_url}/v1/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    let start = Instant::now();
    while fake.stats().legacy != 1 {
        assert!(
            start.elapsed() < CHILD_BOUND,
            "the login never reached the fake"
        );
        tokio::task::yield_now().await;
    }
    let signalled = Instant::now();
    child.sigterm();
    // The bound plus scheduling slack for a loaded machine; without the bound the stalls (600 s
    // header timeout) would keep the process alive far past it.
    let limit = Duration::from_millis(SHUTDOWN_MS) + Duration::from_secs(8);
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait_within(CHILD_BOUND);
        (status, child)
    })
    .await
    .unwrap()
    .0;
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < limit,
        "exited {took:?} after SIGTERM, beyond the {SHUTDOWN_MS} ms bound (+8 s slack)"
    );
    assert_eq!(
        login.await.unwrap().unwrap(),
        200,
        "the in-flight login finished"
    );
    eprintln!("exited {took:?} after SIGTERM with 100 stalled clients (bound {SHUTDOWN_MS} ms)");
    drop(stalls);
}
