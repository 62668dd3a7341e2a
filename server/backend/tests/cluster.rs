//! Two backend processes sharing one Redis replay store, against the fake DingTalk (all real
//! processes on loopback, every one killed when its guard drops, also when a test panics).
//!
//! Needs `redis-server`, so the tests are `#[ignore]`d in a plain `cargo test --workspace`:
//! `scripts/test-server-cluster.sh` installs Redis when missing, runs them with `--ignored` and
//! `DINGTALK_TEST_REDIS_SERVER` set, and fails unless every scenario printed
//! `CLUSTER SCENARIO PASSED`. Run with `--ignored` but without the variable, each test fails.

mod common;

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::ChildGuard;
use common::{default_scope, key, spawn_backend, start_fake};
use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{FakeDingTalk, Fault, FaultEndpoint, MintRequest};

/// The redis-server binary named by `DINGTALK_TEST_REDIS_SERVER`.
fn redis_server() -> String {
    match std::env::var("DINGTALK_TEST_REDIS_SERVER") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "set DINGTALK_TEST_REDIS_SERVER to a redis-server binary (scripts/test-server-cluster.sh does)"
        ),
    }
}

fn passed(name: &str) {
    println!("CLUSTER SCENARIO PASSED: {name}");
}

/// A redis-server as a plain process on a loopback port, no persistence.
struct Redis {
    bin: String,
    port: u16,
    child: Option<ChildGuard>,
}

impl Redis {
    fn start(bin: &str) -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Redis {
            bin: bin.to_owned(),
            port,
            child: None,
        };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, on the same port) and waits until it answers PING.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = ChildGuard::spawn(
            Command::new(&self.bin)
                .args([
                    "--port",
                    &self.port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit()),
        );
        self.child = Some(child);
        let start = Instant::now();
        while !self.pings() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "redis-server did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pings(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Kills it (SIGKILL: as abrupt as a crash) and waits until the port refuses connections.
    fn stop(&mut self) {
        drop(self.child.take());
        assert!(!self.pings());
    }
}

/// The fake DingTalk (in this process) and two backend processes sharing `redis`.
struct Cluster {
    fake: FakeDingTalk,
    _fake_srv: RunningServer,
    _backends: [ChildGuard; 2],
    backends: [String; 2],
    http: reqwest::Client,
}

impl Cluster {
    async fn start(redis: &Redis) -> Cluster {
        let (fake, fake_srv) = start_fake().await;
        let backend = || {
            spawn_backend(
                &fake_srv.url(),
                &["--upstream-timeout-ms", "10000"],
                &[("DINGTALK_REPLAY_STORE", &redis.url())],
            )
        };
        let (a, a_url) = backend();
        let (b, b_url) = backend();
        Cluster {
            fake,
            _fake_srv: fake_srv,
            _backends: [a, b],
            backends: [a_url, b_url],
            http: reqwest::Client::new(),
        }
    }

    fn mint(&self, flow: LoginFlow) -> String {
        self.fake
            .mint(MintRequest {
                flow,
                client_id: None,
                scope: None,
                user: None,
            })
            .unwrap()
    }

    /// Exchanges seen by the fake: (legacy, token).
    fn exchanges(&self) -> (u64, u64) {
        let s = self.fake.stats();
        (s.legacy, s.token)
    }
}

fn grant(flow: LoginFlow, code: &str, key: &str) -> String {
    common::grant(flow, code, default_scope(flow), key)
}

struct Answer {
    status: u16,
    json: serde_json::Value,
    replayed: bool,
}

async fn login(http: &reqwest::Client, backend: &str, body: &str) -> Answer {
    let r = http
        .post(format!("{backend}/v1/login"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    let text = r.text().await.unwrap();
    Answer {
        status,
        json: serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        replayed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_code_replayed_at_the_other_instance_is_refused_without_reaching_dingtalk() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk] {
        let code = c.mint(flow);
        let first = login(&c.http, &c.backends[0], &grant(flow, &code, &key())).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let before = c.exchanges();
        let replay = login(&c.http, &c.backends[1], &grant(flow, &code, &key())).await;
        assert_eq!(replay.status, 409, "{}", replay.json);
        assert_eq!(replay.json["error"], "code_replayed");
        assert_eq!(c.exchanges(), before, "the replay never reached DingTalk");
    }
    assert_eq!(c.exchanges(), (1, 1), "one exchange per code");
    passed("replay at the other instance -> 409, one exchange");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_retry_at_the_other_instance_gets_the_first_answer() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk] {
        let body = grant(flow, &c.mint(flow), &key());
        let first = login(&c.http, &c.backends[0], &body).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let retry = login(&c.http, &c.backends[1], &body).await;
        assert_eq!(retry.status, 200, "{}", retry.json);
        assert!(retry.replayed, "Idempotent-Replayed on the retry");
        assert_eq!(
            retry.json, first.json,
            "the same answer, session token included"
        );
    }
    assert_eq!(c.exchanges(), (1, 1));
    passed("retry at the other instance -> the first answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn two_hundred_concurrent_submits_over_both_instances_exchange_once() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    // DingTalk slowed (far below the 10 s upstream timeout) so that the submits overlap the
    // exchange instead of arriving after it.
    c.fake.set_fault(
        FaultEndpoint::Token,
        Some(Fault::Delay { ms: 500 }),
        Some(1),
    );
    let body = grant(LoginFlow::NewSdk, &c.mint(LoginFlow::NewSdk), &key());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let http = c.http.clone();
        let backend = c.backends[i % 2].clone();
        let body = body.clone();
        tasks.push(tokio::spawn(
            async move { login(&http, &backend, &body).await },
        ));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let first = &answers[0].json;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(&a.json, first, "every submit gets the one answer");
    }
    assert_eq!(
        answers.iter().filter(|a| !a.replayed).count(),
        1,
        "exactly one submit did the exchange"
    );
    assert_eq!(c.exchanges(), (0, 1), "exactly one exchange");
    passed("200 concurrent submits over both instances -> one exchange");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn redis_down_fails_closed_and_recovers_by_itself() {
    let bin = redis_server();
    let mut redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    let ok = login(
        &c.http,
        &c.backends[0],
        &grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key()),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.json);

    redis.stop();
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    let before = c.exchanges();
    for backend in &c.backends {
        let a = login(&c.http, backend, &body).await;
        assert_eq!(a.status, 503, "{}", a.json);
        assert_eq!(a.json["error"], "replay_store_unavailable");
        assert_eq!(a.json["retryable"], true);
    }
    assert_eq!(c.exchanges(), before, "no code sent without the store");

    redis.restart();
    // The backends reconnect by themselves: the same grant goes through within a bound.
    let start = Instant::now();
    let done = loop {
        let a = login(&c.http, &c.backends[1], &body).await;
        if a.status == 200 {
            break a;
        }
        assert_eq!(a.json["error"], "replay_store_unavailable", "{}", a.json);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no recovery within 20 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.json["flow"], "legacy_sdk");
    assert_eq!(
        c.exchanges().0,
        before.0 + 1,
        "exchanged once, after recovery"
    );
    // The other instance recovered too.
    let a = login(
        &c.http,
        &c.backends[0],
        &grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key()),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    passed("Redis stopped mid-run -> 503, success after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_transient_failure_seen_on_both_instances_is_not_kept() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    // DingTalk's gateway holds the exchange 3 s, then answers 504 without touching the code.
    c.fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Stall { ms: 3000 }),
        Some(1),
    );
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    let first = {
        let (http, backend, body) = (c.http.clone(), c.backends[0].clone(), body.clone());
        tokio::spawn(async move { login(&http, &backend, &body).await })
    };
    let start = Instant::now();
    while c.exchanges().0 == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no exchange started"
        );
        tokio::task::yield_now().await;
    }
    // The same grant at the other instance waits for that exchange and shares its failure.
    let waiting = login(&c.http, &c.backends[1], &body).await;
    let first = first.await.unwrap();
    for a in [&first, &waiting] {
        assert_eq!(a.status, 502, "{}", a.json);
        assert_eq!(a.json["error"], "dingtalk_unavailable");
        assert_eq!(a.json["retryable"], true);
    }
    assert!(
        waiting.replayed,
        "the other instance did not exchange it again"
    );
    assert_eq!(c.exchanges().0, 1);
    // Not kept: the same grant now succeeds, at either instance.
    let retry = login(&c.http, &c.backends[1], &body).await;
    assert_eq!(retry.status, 200, "{}", retry.json);
    assert!(!retry.replayed);
    assert_eq!(c.exchanges().0, 2);
    passed("transient failure shared across instances, not kept, then the same grant succeeds");
}
