//! Backend processes sharing one Redis replay store, against the fake DingTalk (all real processes
//! on loopback, every one killed when its guard drops, also when a test panics): one redis-server,
//! a TLS redis-server, a 3-master Redis Cluster, a Redis with AOF that is killed and restarted; a
//! client that hangs up, a Redis paused past the store deadline, a backend killed mid-exchange.
//!
//! Needs `redis-server` and `redis-cli` (and TLS certificates made with openssl), so the tests are
//! `#[ignore]`d in a plain `cargo test --workspace`: `scripts/test-server-cluster.sh` installs Redis
//! when missing, makes the certificates, runs them with `--ignored` and the `DINGTALK_TEST_*`
//! variables set, and fails unless every scenario printed `CLUSTER SCENARIO PASSED`. Run with
//! `--ignored` but without the variables, each test fails.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{listening_url, stdout_lines, ChildGuard, CHILD_BOUND};
use common::{backend_command, default_scope, key, start_fake};
use dingtalk_auth::LoginFlow;
use dingtalk_auth_server::RunningServer;
use dingtalk_fake::{FakeDingTalk, Fault, FaultEndpoint, MintRequest};

/// Several instances sign with one session key (RFC 8037 A.1's, a test key).
const SESSION_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
/// The key that seals kept answers in every test backend.
const ANSWER_KEY: &str = "t1:dGhpcy1pcy1hLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmc=";
/// Every HTTP call of these tests ends within this (a deadlock fails the test, never hangs CI).
const HTTP_BOUND: Duration = Duration::from_secs(60);

fn env_path(name: &str, what: &str) -> String {
    match std::env::var(name) {
        Ok(p) if !p.is_empty() => p,
        _ => panic!("set {name} to {what} (scripts/test-server-cluster.sh does)"),
    }
}

/// The redis-server binary named by `DINGTALK_TEST_REDIS_SERVER`.
fn redis_server() -> String {
    env_path("DINGTALK_TEST_REDIS_SERVER", "a redis-server binary")
}

/// The redis-cli binary named by `DINGTALK_TEST_REDIS_CLI`.
fn redis_cli() -> String {
    env_path("DINGTALK_TEST_REDIS_CLI", "a redis-cli binary")
}

/// The directory of the test certificates (`ca.crt`, `server.crt`, `server.key`, `other-ca.crt`).
fn tls_dir() -> PathBuf {
    PathBuf::from(env_path(
        "DINGTALK_TEST_TLS_DIR",
        "a directory with ca.crt, server.crt, server.key and other-ca.crt",
    ))
}

fn passed(name: &str) {
    println!("CLUSTER SCENARIO PASSED: {name}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dtas-{name}-{}-{}",
        std::process::id(),
        dingtalk_auth_server::random_token(6)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `redis-cli -p port args…` on the plain loopback port, bounded.
fn cli(port: u16, args: &[&str]) -> String {
    let mut child = ChildGuard::spawn(
        Command::new(redis_cli())
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    );
    let mut out = String::new();
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let _ = stdout.read_to_string(&mut out);
        out
    });
    assert!(child.wait_bounded().success(), "redis-cli {args:?} failed");
    reader.join().unwrap()
}

/// A redis-server as a plain process on a loopback port (no persistence unless `args` ask).
struct Redis {
    bin: String,
    port: u16,
    args: Vec<String>,
    child: Option<ChildGuard>,
}

impl Redis {
    fn start(bin: &str) -> Redis {
        Redis::start_with(bin, &["--save", "", "--appendonly", "no"])
    }

    /// Without persistence, refusing clients that do not give `password`.
    fn start_with_password(bin: &str, password: &str) -> Redis {
        Redis::start_with(
            bin,
            &[
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                password,
            ],
        )
    }

    fn start_with(bin: &str, args: &[&str]) -> Redis {
        let mut r = Redis {
            bin: bin.to_owned(),
            port: free_port(),
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        r.restart();
        r
    }

    /// A Redis that also listens with TLS (the test certificates; clients need no certificate) on
    /// the returned port.
    fn start_tls(bin: &str, tls: &std::path::Path) -> (Redis, u16) {
        let tls_port = free_port();
        let file = |name: &str| tls.join(name).to_str().unwrap().to_owned();
        let (cert, key, ca) = (file("server.crt"), file("server.key"), file("ca.crt"));
        let redis = Redis::start_with(
            bin,
            &[
                "--save",
                "",
                "--appendonly",
                "no",
                "--tls-port",
                &tls_port.to_string(),
                "--tls-cert-file",
                &cert,
                "--tls-key-file",
                &key,
                "--tls-ca-cert-file",
                &ca,
                "--tls-auth-clients",
                "no",
            ],
        );
        (redis, tls_port)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> String {
        self.child.as_ref().expect("running").0.id().to_string()
    }

    /// Starts it (again, on the same port) and waits until it answers PING.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = ChildGuard::spawn(
            Command::new(&self.bin)
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args(["--daemonize", "no", "--loglevel", "warning"])
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit()),
        );
        self.child = Some(child);
        let start = Instant::now();
        while !self.pings() {
            assert!(
                start.elapsed() < CHILD_BOUND,
                "redis-server did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pings(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        // A server with requirepass answers -NOAUTH: it is up too.
        s.read_exact(&mut buf).is_ok() && (&buf == b"+PONG\r\n" || buf.starts_with(b"-NOAUTH"))
    }

    /// Kills it (SIGKILL: as abrupt as a crash) and waits until the port refuses connections.
    fn stop(&mut self) {
        drop(self.child.take());
        assert!(!self.pings());
    }

    /// SIGSTOP / SIGCONT: Redis stalls (the kernel still queues what clients send) and resumes.
    fn signal(&self, sig: &str) {
        assert!(Command::new("kill")
            .args([sig, &self.pid()])
            .status()
            .unwrap()
            .success());
    }

    /// Bytes that clients sent and the (stopped) server has not read yet, from /proc/net/tcp.
    fn unread_bytes(&self) -> u64 {
        let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let port = format!("{:04X}", self.port);
        tcp.lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let local_port = f.get(1)?.rsplit(':').next()?;
                let rx = u64::from_str_radix(f.get(4)?.split(':').nth(1)?, 16).ok()?;
                (local_port == port).then_some(rx)
            })
            .sum()
    }

    /// Every key and its value (or type), to inspect what the store writes.
    fn dump(&self) -> String {
        let keys = cli(self.port, &["--scan"]);
        let mut out = String::new();
        for k in keys.lines().filter(|k| !k.is_empty()) {
            out += &format!("{k} = {}\n", cli(self.port, &["GET", k]).trim());
        }
        out
    }

    /// `INFO commandstats` as (command, calls).
    fn command_stats(&self) -> Vec<(String, u64)> {
        cli(self.port, &["INFO", "commandstats"])
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("cmdstat_")?;
                let (name, stats) = rest.split_once(':')?;
                let calls = stats
                    .split(',')
                    .next()?
                    .strip_prefix("calls=")?
                    .parse()
                    .ok()?;
                Some((name.to_owned(), calls))
            })
            .collect()
    }
}

/// The fake DingTalk (in this process) and two backend processes sharing one replay store.
struct Cluster {
    fake: FakeDingTalk,
    _fake_srv: RunningServer,
    children: Vec<ChildGuard>,
    backends: Vec<String>,
    logs: Vec<PathBuf>,
    _dir: TempDir,
    http: reqwest::Client,
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Cluster {
    async fn start(redis: &Redis) -> Cluster {
        Cluster::start_with(&redis.url(), &[], &[]).await
    }

    /// Two backends on the store at `url`, with `args` and `env` added; each one's logs go to a file.
    async fn start_with(url: &str, args: &[&str], env: &[(&str, &str)]) -> Cluster {
        let (fake, fake_srv) = start_fake().await;
        let dir = TempDir(temp_dir("cluster"));
        let mut c = Cluster {
            fake,
            _fake_srv: fake_srv,
            children: Vec::new(),
            backends: Vec::new(),
            logs: Vec::new(),
            _dir: dir,
            http: reqwest::Client::builder()
                .timeout(HTTP_BOUND)
                .build()
                .unwrap(),
        };
        for _ in 0..2 {
            c.add_backend(url, args, env);
        }
        c
    }

    fn add_backend(&mut self, url: &str, args: &[&str], env: &[(&str, &str)]) {
        let log = self._dir.0.join(format!("backend-{}.log", self.logs.len()));
        let mut all_args = Vec::new();
        if !args.contains(&"--upstream-timeout-ms") {
            all_args.extend(["--upstream-timeout-ms", "10000"]);
        }
        all_args.extend_from_slice(args);
        let mut all_env = vec![
            ("DINGTALK_REPLAY_STORE", url),
            ("DINGTALK_REPLAY_STORE_KEY", ANSWER_KEY),
            ("DINGTALK_SESSION_KEY", SESSION_KEY),
        ];
        all_env.extend_from_slice(env);
        let mut child = ChildGuard::spawn(&mut backend_command(
            &self._fake_srv.url(),
            &all_args,
            &all_env,
            Stdio::from(std::fs::File::create(&log).unwrap()),
        ));
        let url = listening_url(&stdout_lines(child.0.stdout.take().unwrap()));
        self.children.push(child);
        self.backends.push(url);
        self.logs.push(log);
    }

    fn log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.logs[i]).unwrap_or_default()
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

    /// Waits (yielding, bounded) until the fake has seen `n` legacy / token exchanges.
    async fn until_exchanges(&self, at_least: (u64, u64)) {
        let start = Instant::now();
        loop {
            let (l, t) = self.exchanges();
            if l >= at_least.0 && t >= at_least.1 {
                return;
            }
            assert!(
                start.elapsed() < CHILD_BOUND,
                "DingTalk did not see {at_least:?} exchanges (saw {l}, {t})"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until every backend's `/readyz` answers 200 (each recovers on its own background
    /// check), within the child bound.
    async fn until_all_ready(&self) {
        let start = Instant::now();
        for i in 0..self.backends.len() {
            while self.get(i, "/readyz").await.0 != 200 {
                assert!(
                    start.elapsed() < CHILD_BOUND,
                    "backend {i} never ready again"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// A login of a freshly minted code at backend `i`, which must succeed.
    async fn fresh_login(&self, i: usize, flow: LoginFlow) -> Answer {
        let a = login(
            &self.http,
            &self.backends[i],
            &grant(flow, &self.mint(flow), &key()),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
        a
    }

    /// Submits `body` to backend `i` until it is answered 200 (returned), every other answer being
    /// `error`, within `bound`.
    async fn until_ok(&self, i: usize, body: &str, error: &str, bound: Duration) -> Answer {
        let start = Instant::now();
        loop {
            let a = login(&self.http, &self.backends[i], body).await;
            if a.status == 200 {
                return a;
            }
            assert_eq!(a.json["error"], error, "{}", a.json);
            assert!(start.elapsed() < bound, "still {error} after {bound:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `body` submitted to backend `i` on its own task.
    fn spawn_login(&self, i: usize, body: &str) -> tokio::task::JoinHandle<Answer> {
        let (http, backend, body) = (self.http.clone(), self.backends[i].clone(), body.to_owned());
        tokio::spawn(async move { login(&http, &backend, &body).await })
    }

    async fn get(&self, backend: usize, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.backends[backend]))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    }
}

fn grant(flow: LoginFlow, code: &str, key: &str) -> String {
    common::grant(flow, code, default_scope(flow), key)
}

struct Answer {
    status: u16,
    text: String,
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
        text,
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
        let code = c.mint(flow);
        let body = grant(flow, &code, &key());
        let first = login(&c.http, &c.backends[0], &body).await;
        assert_eq!(first.status, 200, "{}", first.json);
        let retry = login(&c.http, &c.backends[1], &body).await;
        assert_eq!(retry.status, 200, "{}", retry.json);
        assert!(retry.replayed, "Idempotent-Replayed on the retry");
        assert_eq!(
            retry.text, first.text,
            "the same answer byte for byte, session token included"
        );
        // Nothing in Redis in clear: no code, token, unionId or nick.
        let dump = redis.dump();
        assert!(!dump.contains(&code), "the code in Redis:\n{dump}");
        for secret in ["sessionToken", "unionId", "nick"] {
            assert!(!dump.contains(secret), "{secret} in Redis:\n{dump}");
        }
        for field in ["sessionToken", "unionId", "openId", "nick"] {
            let v = first.json[field].as_str().unwrap();
            assert!(!dump.contains(v), "{field} value in Redis:\n{dump}");
        }
    }
    assert_eq!(c.exchanges(), (1, 1));
    passed("retry at the other instance -> the first answer, byte-identical; nothing in clear in Redis");
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
    c.fresh_login(0, LoginFlow::LegacySdk).await;

    assert_eq!(c.get(0, "/readyz").await.0, 200);

    redis.stop();
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    let before = c.exchanges();
    for backend in &c.backends {
        for _ in 0..5 {
            let a = login(&c.http, backend, &body).await;
            assert_eq!(a.status, 503, "{}", a.json);
            assert_eq!(a.json["error"], "replay_store_unavailable");
            assert_eq!(a.json["retryable"], true);
        }
    }
    assert_eq!(c.exchanges(), before, "no code sent without the store");
    // Not ready (a load balancer ejects the instance), still alive; the reason is Redis's own.
    let (status, ready) = c.get(0, "/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(c.get(0, "/healthz").await.0, 200);

    redis.restart();
    // The backends reconnect by themselves: the same grant goes through within a bound.
    let done = c
        .until_ok(
            1,
            &body,
            "replay_store_unavailable",
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(done.json["flow"], "legacy_sdk");
    assert_eq!(
        c.exchanges().0,
        before.0 + 1,
        "exchanged once, after recovery"
    );
    // The other instance recovered too.
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    assert_eq!(c.get(0, "/readyz").await.0, 200);
    // Ten refused logins, one log line per change of state: down (with what the connection
    // said), and up again.
    for i in 0..2 {
        let log = c.log(i);
        let down: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("replay store unavailable"))
            .collect();
        assert_eq!(
            down.len(),
            1,
            "logged once per change, not per request:\n{log}"
        );
        assert!(down[0].contains("refused"), "Redis's reason: {}", down[0]);
        assert_eq!(
            log.matches("replay store reachable again").count(),
            1,
            "{log}"
        );
    }
    passed("Redis stopped mid-run -> 503 and not ready, logged once, success after restart");
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
    let first = c.spawn_login(0, &body);
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

/// Sends the grant `body` to `backend` over a raw connection and returns it (open).
fn send_raw(backend: &str, body: &str) -> TcpStream {
    let addr = backend.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /v1/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    s
}

/// The smallest claim a backend sends (a SET of the login key with its pending value, over 150
/// bytes): more unread bytes than this at a paused Redis means a claim is queued there (the
/// background epoch check's GET is much shorter).
const CLAIM_BYTES: u64 = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_client_that_hangs_up_mid_claim_still_gets_its_login_exchanged() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    // A store deadline far beyond the pause below: the claim itself is not late.
    let c = Cluster::start_with(&redis.url(), &["--replay-store-timeout-ms", "20000"], &[]).await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    // Redis paused: the backend's claim waits in Redis's socket while the client hangs up.
    redis.signal("-STOP");
    let queued = redis.unread_bytes();
    let client = send_raw(&c.backends[0], &body);
    let start = Instant::now();
    while redis.unread_bytes() < queued + CLAIM_BYTES {
        assert!(
            start.elapsed() < CHILD_BOUND,
            "the claim never reached Redis"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(client);
    redis.signal("-CONT");
    // Nobody is waiting for the answer, yet the exchange runs: the claim and its exchange are one
    // task the hang-up cannot cancel.
    c.until_exchanges((2, 0)).await;
    let retry = login(&c.http, &c.backends[1], &body).await;
    assert_eq!(
        retry.status, 200,
        "the retry is answered, not 503 for the lease: {}",
        retry.json
    );
    assert!(retry.replayed, "the hung-up request's exchange answered it");
    assert_eq!(c.exchanges(), (2, 0), "exchanged once");
    passed("client hangs up mid-claim -> exchanged anyway, the retry gets its answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_claim_that_reaches_redis_after_its_deadline_is_refused_by_redis() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start_with(
        &redis.url(),
        &[
            "--replay-store-timeout-ms",
            "500",
            "--replay-wait-ms",
            "3000",
        ],
        &[],
    )
    .await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    redis.signal("-STOP");
    let queued = redis.unread_bytes();
    let stalled = login(&c.http, &c.backends[0], &body).await;
    assert_eq!(stalled.status, 503, "{}", stalled.json);
    assert_eq!(stalled.json["error"], "replay_store_unavailable");
    assert!(
        redis.unread_bytes() > queued,
        "the claim is queued at Redis"
    );
    redis.signal("-CONT");
    // A round trip of our own: Redis has read (and run) the queued claim before answering it.
    assert_eq!(cli(redis.port, &["PING"]).trim(), "PONG");
    let before = c.exchanges();
    let retry = login(&c.http, &c.backends[1], &body).await;
    assert_eq!(
        retry.status, 200,
        "the late claim was refused, the retry exchanged at once: {}",
        retry.json
    );
    assert!(!retry.replayed);
    assert_eq!(c.exchanges().0, before.0 + 1);
    passed(
        "claim reaching Redis after its deadline -> void by Redis's clock, retry exchanged at once",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn an_instance_killed_mid_exchange_releases_the_code_after_its_lease() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    // Short upstream timeout and wait: the lease (the longest exchange + 5 s) stays short.
    let mut c = Cluster::start_with(
        &redis.url(),
        &["--upstream-timeout-ms", "2000", "--replay-wait-ms", "200"],
        &[],
    )
    .await;
    // DingTalk's gateway holds the first exchange (and answers 504 without touching the code).
    c.fake.set_fault(
        FaultEndpoint::Legacy,
        Some(Fault::Stall { ms: 60_000 }),
        Some(1),
    );
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    let first = {
        let (http, backend, body) = (c.http.clone(), c.backends[0].clone(), body.clone());
        tokio::spawn(async move {
            let _ = http
                .post(format!("{backend}/v1/login"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
        })
    };
    c.until_exchanges((1, 0)).await;
    // The instance dies mid-exchange, its claim still in Redis.
    drop(c.children.remove(0));
    let _ = first.await;
    let pending = login(&c.http, &c.backends[1], &body).await;
    assert_eq!(pending.json["error"], "replay_pending", "{}", pending.json);
    // Within the lease: the grant stays pending; after it, the code is released and exchanged.
    let done = c
        .until_ok(1, &body, "replay_pending", Duration::from_secs(60))
        .await;
    assert!(!done.replayed, "exchanged by the surviving instance");
    assert_eq!(c.exchanges().0, 2);
    passed("instance killed mid-exchange -> the lease releases the code, the retry is exchanged");
}

/// Redis commands for one login with `waiters` submits of the same grant waiting for its exchange
/// (half on each instance): (total calls, per command).
async fn commands_for_one_login(redis: &Redis, c: &Cluster, waiters: usize) -> (u64, String) {
    c.fake.set_fault(
        FaultEndpoint::Token,
        Some(Fault::Delay { ms: 2000 }),
        Some(1),
    );
    let body = grant(LoginFlow::NewSdk, &c.mint(LoginFlow::NewSdk), &key());
    let before = c.exchanges();
    cli(redis.port, &["CONFIG", "RESETSTAT"]);
    let first = c.spawn_login(0, &body);
    c.until_exchanges((before.0, before.1 + 1)).await;
    let mut tasks = Vec::new();
    for i in 0..waiters {
        let (http, backend, body) = (c.http.clone(), c.backends[i % 2].clone(), body.clone());
        tasks.push(tokio::spawn(
            async move { login(&http, &backend, &body).await },
        ));
    }
    let first = first.await.unwrap();
    assert_eq!(first.status, 200, "{}", first.json);
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.text, first.text);
    }
    assert_eq!(c.exchanges().1, before.1 + 1, "one exchange");
    let stats: Vec<_> = redis
        .command_stats()
        .into_iter()
        .filter(|(n, _)| n != "info" && n != "config|resetstat" && n != "config")
        .collect();
    let total = stats.iter().map(|(_, n)| n).sum();
    let detail = stats
        .iter()
        .map(|(n, k)| format!("{n}={k}"))
        .collect::<Vec<_>>()
        .join(" ");
    (total, detail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn waiting_requests_are_notified_not_polling() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    // Warm up both instances (scripts loaded, connections and subscriptions open).
    for b in &c.backends {
        let a = login(
            &c.http,
            b,
            &grant(LoginFlow::NewSdk, &c.mint(LoginFlow::NewSdk), &key()),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.json);
    }
    let (one, one_detail) = commands_for_one_login(&redis, &c, 1).await;
    let (fifty, fifty_detail) = commands_for_one_login(&redis, &c, 50).await;
    println!("REDIS COMMANDS PER LOGIN: 1 waiter: {one} ({one_detail})");
    println!("REDIS COMMANDS PER LOGIN: 50 waiters: {fifty} ({fifty_detail})");
    // Each waiter costs its claim (the plain SET, then the take-over script: EVALSHA and the 3
    // commands it runs, since the code is pending); each waiting instance one SSUBSCRIBE, one GET
    // and one SUNSUBSCRIBE (and a HELLO when it opens its subscription connection); a few
    // background epoch checks on top. Polling (one GET per waiter every few ms over a 2 s
    // exchange) would be thousands.
    assert!(one <= 30, "{one}: {one_detail}");
    assert!(fifty <= 5 * 50 + 30, "{fifty}: {fifty_detail}");
    passed("waiters notified: Redis commands per login O(1) per waiter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_key_reused_for_a_different_grant_never_gets_the_first_answer() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    let code = c.mint(LoginFlow::NewSdk);
    let k = key();
    let first = login(
        &c.http,
        &c.backends[0],
        &grant(LoginFlow::NewSdk, &code, &k),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.json);
    // The same code and key, another grant (the browser flow): refused, at either instance.
    let other = grant(LoginFlow::Browser, &code, &k);
    for b in &c.backends {
        let a = login(&c.http, b, &other).await;
        assert_eq!(a.json["error"], "idempotency_key_reused", "{}", a.json);
        assert!(!a
            .text
            .contains(first.json["sessionToken"].as_str().unwrap()));
    }
    // The same key with another code is another login: its own exchange, never the first answer.
    let second = login(
        &c.http,
        &c.backends[1],
        &grant(LoginFlow::NewSdk, &c.mint(LoginFlow::NewSdk), &k),
    )
    .await;
    assert_ne!(
        second.json["sessionToken"], first.json["sessionToken"],
        "{}",
        second.json
    );
    passed("key reused for a different grant -> refused, the first answer never handed out");
}

/// A store URL, extra environment, and what the one-line reason must say.
type StartCase<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);

/// Starts a backend on `url` that must refuse to start: its exit status and stderr.
fn start_fails(url: &str, extra_env: &[(&str, &str)]) -> String {
    let mut env = vec![
        ("DINGTALK_REPLAY_STORE", url),
        ("DINGTALK_REPLAY_STORE_KEY", ANSWER_KEY),
        ("DINGTALK_SESSION_KEY", SESSION_KEY),
        ("DINGTALK_REPLAY_STORE_TIMEOUT_MS", "3000"),
    ];
    env.extend_from_slice(extra_env);
    let mut child = ChildGuard::spawn(&mut backend_command(
        "http://127.0.0.1:9",
        &[],
        &env,
        Stdio::piped(),
    ));
    let mut err = child.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = child.wait_bounded();
    let err = reader.join().unwrap();
    assert_eq!(status.code(), Some(1), "{url}: exit 1 expected: {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("dingtalk-auth-server:"))
        .collect();
    assert_eq!(lines.len(), 1, "one line of reason: {err}");
    lines[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn start_up_reports_what_redis_said() {
    let bin = redis_server();
    let tls = tls_dir();
    let secured = Redis::start_with_password(&bin, "right-pw");
    let (tls_redis, tls_port) = Redis::start_tls(&bin, &tls);
    let p = secured.port;
    let other_ca = tls.join("other-ca.crt");
    let cases: Vec<StartCase> = vec![
        (
            format!("redis://:wrong-pw@127.0.0.1:{p}"),
            vec![],
            "WRONGPASS",
        ),
        (format!("redis://127.0.0.1:{p}"), vec![], "NOAUTH"),
        (
            format!("redis://127.0.0.1:{}", free_port()),
            vec![],
            "refused",
        ),
        ("redis://no-such-host.invalid:6379".into(), vec![], "lookup"),
        (
            format!("redis://:right-pw@127.0.0.1:{p}/99"),
            vec![],
            "DB index is out of range",
        ),
        (
            format!("rediss://localhost:{tls_port}"),
            vec![("DINGTALK_REPLAY_STORE_CA_FILE", other_ca.to_str().unwrap())],
            "certificate",
        ),
    ];
    for (url, env, expect) in &cases {
        let line = start_fails(url, env);
        assert!(
            line.to_lowercase().contains(&expect.to_lowercase()),
            "{url}: expected {expect:?} in {line:?}"
        );
        assert!(
            !line.contains("right-pw") && !line.contains("wrong-pw"),
            "{line}"
        );
        println!("start-up refused: {line}");
    }
    drop(tls_redis);
    passed("start-up: WRONGPASS, NOAUTH, refused, unknown host, DB index, TLS -> exit 1, Redis's words");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_tls_redis_serves_logins_with_the_configured_ca() {
    let bin = redis_server();
    let tls = tls_dir();
    let (redis, tls_port) = Redis::start_tls(&bin, &tls);
    let url = format!("rediss://localhost:{tls_port}");
    let ca = tls.join("ca.crt");
    let c = Cluster::start_with(
        &url,
        &[],
        &[("DINGTALK_REPLAY_STORE_CA_FILE", ca.to_str().unwrap())],
    )
    .await;
    let code = c.mint(LoginFlow::LegacySdk);
    let body = grant(LoginFlow::LegacySdk, &code, &key());
    let first = login(&c.http, &c.backends[0], &body).await;
    assert_eq!(first.status, 200, "{}", first.json);
    let retry = login(&c.http, &c.backends[1], &body).await;
    assert_eq!(retry.text, first.text);
    assert!(retry.replayed);
    let replay = login(
        &c.http,
        &c.backends[1],
        &grant(LoginFlow::LegacySdk, &code, &key()),
    )
    .await;
    assert_eq!(replay.json["error"], "code_replayed");
    assert_eq!(c.get(1, "/readyz").await.0, 200);
    assert!(
        redis.dump().contains("dtauth:{"),
        "the logins are in this Redis"
    );
    passed("rediss:// with the configured CA -> logins, retries and replays work over TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_redis_cluster_follows_moved_and_spreads_logins_over_shards() {
    let dir = TempDir(temp_dir("redis-cluster"));
    let (nodes, addrs) = three_masters(&dir).await;
    // One seed only: every key on the other shards is reached through a MOVED redirection.
    let url = format!("redis+cluster://{}", addrs[0]);
    let c = Cluster::start_with(&url, &[], &[]).await;
    let mut bodies = Vec::new();
    for i in 0..30 {
        let flow = if i % 2 == 0 {
            LoginFlow::LegacySdk
        } else {
            LoginFlow::NewSdk
        };
        let code = c.mint(flow);
        let body = grant(flow, &code, &key());
        let a = login(&c.http, &c.backends[i % 2], &body).await;
        assert_eq!(a.status, 200, "{}", a.json);
        bodies.push((flow, code, body, a.text));
    }
    for (i, (flow, code, body, text)) in bodies.iter().enumerate() {
        let retry = login(&c.http, &c.backends[(i + 1) % 2], body).await;
        assert_eq!(
            &retry.text, text,
            "byte-identical retry at the other instance"
        );
        let replay = login(
            &c.http,
            &c.backends[(i + 1) % 2],
            &grant(*flow, code, &key()),
        )
        .await;
        assert_eq!(replay.json["error"], "code_replayed", "{}", replay.json);
    }
    let per_shard: Vec<u64> = nodes
        .iter()
        .map(|n| cli(n.port, &["DBSIZE"]).trim().parse().unwrap())
        .collect();
    assert!(
        per_shard.iter().filter(|&&n| n > 0).count() >= 2,
        "logins spread over the shards: {per_shard:?}"
    );
    // Waiters across instances are notified through the Cluster too.
    c.fake.set_fault(
        FaultEndpoint::Token,
        Some(Fault::Delay { ms: 1000 }),
        Some(1),
    );
    let body = grant(LoginFlow::NewSdk, &c.mint(LoginFlow::NewSdk), &key());
    let before = c.exchanges();
    let first = c.spawn_login(0, &body);
    c.until_exchanges((before.0, before.1 + 1)).await;
    let waiting = login(&c.http, &c.backends[1], &body).await;
    let first = first.await.unwrap();
    assert_eq!(waiting.text, first.text);
    assert_eq!(c.exchanges().1, before.1 + 1);
    // The notifications stayed in their shards (sharded pub/sub): none went over the cluster bus
    // to every node, as a plain PUBLISH's does (counted by each node's CLUSTER INFO).
    let broadcast: u64 = nodes
        .iter()
        .map(|n| {
            cli(n.port, &["CLUSTER", "INFO"])
                .lines()
                .find_map(|l| l.strip_prefix("cluster_stats_messages_publish_sent:"))
                .map_or(0, |v| v.trim().parse().unwrap())
        })
        .sum();
    assert_eq!(broadcast, 0, "PUBLISH messages sent over the cluster bus");
    println!("cluster keys per shard: {per_shard:?}");
    passed(
        "Redis Cluster (3 masters, one seed, MOVED) -> logins spread over shards, replays refused",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn aof_keeps_spent_codes_and_answers_across_a_kill_and_an_empty_redis_is_noticed() {
    let bin = redis_server();
    let dir = TempDir(temp_dir("redis-aof"));
    let mut redis = Redis::start_with(
        &bin,
        &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            dir.0.to_str().unwrap(),
        ],
    );
    let c = Cluster::start(&redis).await;
    let code = c.mint(LoginFlow::NewSdk);
    let body = grant(LoginFlow::NewSdk, &code, &key());
    let first = login(&c.http, &c.backends[0], &body).await;
    assert_eq!(first.status, 200, "{}", first.json);
    // kill -9: the AOF (written before the reply; the kernel keeps it) is replayed at restart.
    redis.stop();
    redis.restart();
    let retry = c
        .until_ok(1, &body, "replay_store_unavailable", CHILD_BOUND)
        .await;
    assert_eq!(retry.text, first.text, "byte-identical after the restart");
    let replay = login(
        &c.http,
        &c.backends[0],
        &grant(LoginFlow::NewSdk, &code, &key()),
    )
    .await;
    assert_eq!(replay.status, 409, "{}", replay.json);
    assert_eq!(replay.json["error"], "code_replayed");
    assert_eq!(c.exchanges().1, 1);
    assert!(!c.log(0).contains("CAME BACK EMPTY"), "{}", c.log(0));
    // Now a Redis that comes back empty (its data gone): both instances say so, loudly.
    redis.stop();
    for f in std::fs::read_dir(&dir.0).unwrap() {
        let p = f.unwrap().path();
        if p.is_dir() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
    }
    redis.restart();
    let start = Instant::now();
    while !(0..2).all(|i| c.log(i).contains("CAME BACK EMPTY")) {
        assert!(
            start.elapsed() < CHILD_BOUND,
            "an empty Redis went unnoticed: {}",
            c.log(0)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    passed("AOF everysec: kill -9 + restart keeps 409 and byte-identical retries; an empty Redis is logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn run_time_store_errors_are_reported_in_redis_words_once_per_change() {
    let bin = redis_server();
    let redis = Redis::start(&bin);
    let c = Cluster::start(&redis).await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    // The operator sets a password the backends were not given and drops the connected clients.
    cli(redis.port, &["CONFIG", "SET", "requirepass", "new-pw"]);
    let auth = ["-a", "new-pw", "--no-auth-warning"];
    cli(
        redis.port,
        &[&auth[..], &["CLIENT", "KILL", "TYPE", "normal"]].concat(),
    );
    let body = grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key());
    for _ in 0..5 {
        let a = login(&c.http, &c.backends[0], &body).await;
        assert_eq!(a.json["error"], "replay_store_unavailable", "{}", a.json);
    }
    let (status, ready) = c.get(0, "/readyz").await;
    assert_eq!(status, 503, "{ready}");
    // The background check asks a fresh connection why, and logs Redis's own words once.
    let start = Instant::now();
    while !c.log(0).contains("NOAUTH") {
        assert!(
            start.elapsed() < CHILD_BOUND,
            "NOAUTH never logged:\n{}",
            c.log(0)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Several more background checks, each refused (Redis counts them), and still one line.
    let refused = error_count(redis.port, &auth, "NOAUTH");
    until("the background checks stopped", || {
        error_count(redis.port, &auth, "NOAUTH") >= refused + 12
    })
    .await;
    let log = c.log(0);
    let down: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("replay store unavailable"))
        .collect();
    assert_eq!(down.len(), 1, "once per change, not per request:\n{log}");
    assert!(down[0].contains("NOAUTH"), "Redis's words: {}", down[0]);
    assert!(!log.contains("new-pw"), "{log}");
    passed("run time: a password set on Redis -> NOAUTH logged once, not ready");
}

/// `INFO errorstats`'s count for `error` (`WRONGPASS`…): how many times Redis answered it.
fn error_count(port: u16, auth: &[&str], error: &str) -> u64 {
    let mut args = auth.to_vec();
    args.extend(["INFO", "errorstats"]);
    cli(port, &args)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("errorstat_{error}:count=")))
        .map_or(0, |n| n.trim().parse().unwrap())
}
/// Three empty masters without persistence in `dir`, joined into a Cluster (no replicas) that every
/// node reports `cluster_state:ok`; and their addresses.
async fn three_masters(dir: &TempDir) -> (Vec<Redis>, Vec<String>) {
    let bin = redis_server();
    let mut nodes = Vec::new();
    for i in 0..3 {
        let conf = dir.0.join(format!("nodes-{i}.conf"));
        nodes.push(Redis::start_with(
            &bin,
            &[
                "--save",
                "",
                "--appendonly",
                "no",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                conf.to_str().unwrap(),
                "--dir",
                dir.0.to_str().unwrap(),
            ],
        ));
    }
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let mut create = vec!["--cluster", "create"];
    create.extend(addrs.iter().map(String::as_str));
    create.extend(["--cluster-replicas", "0", "--cluster-yes"]);
    cli(nodes[0].port, &create);
    until("the cluster never became ok", || cluster_ok(&nodes)).await;
    (nodes, addrs)
}

/// Every node reports `cluster_state:ok`.
fn cluster_ok(nodes: &[Redis]) -> bool {
    nodes
        .iter()
        .all(|n| cli(n.port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
}

/// Polls `cond` (no sleeps as synchronization: each poll reads state) until true, or panics.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < CHILD_BOUND, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_password_changed_at_run_time_reads_wrongpass_once_and_recovers() {
    let bin = redis_server();
    let redis = Redis::start_with_password(&bin, "pw-one");
    let url = format!("redis://:pw-one@127.0.0.1:{}", redis.port);
    let c = Cluster::start_with(&url, &[], &[]).await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    assert_eq!(c.get(0, "/readyz").await.0, 200);
    // The operator rotates the password and drops the connected clients: every reconnect of the
    // running backends is refused.
    let one = ["-a", "pw-one", "--no-auth-warning"];
    cli(
        redis.port,
        &[&one[..], &["CONFIG", "SET", "requirepass", "pw-two"]].concat(),
    );
    let two = ["-a", "pw-two", "--no-auth-warning"];
    cli(
        redis.port,
        &[&two[..], &["CLIENT", "KILL", "TYPE", "normal"]].concat(),
    );
    // Readiness carries Redis's own words once the background check has read them.
    let start = Instant::now();
    loop {
        let (status, ready) = c.get(0, "/readyz").await;
        if status == 503 && ready["reason"].as_str().unwrap_or("").contains("WRONGPASS") {
            break;
        }
        assert!(
            start.elapsed() < CHILD_BOUND,
            "readiness never said WRONGPASS: {status} {ready}\n{}",
            c.log(0)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    until("WRONGPASS never logged", || c.log(0).contains("WRONGPASS")).await;
    // While it lasts, the background checks go on being refused (Redis counts each refusal):
    // several more runs, and the reason is still logged once.
    let refused = error_count(redis.port, &two, "WRONGPASS");
    until("the background checks stopped", || {
        error_count(redis.port, &two, "WRONGPASS") >= refused + 24
    })
    .await;
    let a = login(
        &c.http,
        &c.backends[0],
        &grant(LoginFlow::LegacySdk, &c.mint(LoginFlow::LegacySdk), &key()),
    )
    .await;
    assert_eq!(a.json["error"], "replay_store_unavailable", "{}", a.json);
    for i in 0..2 {
        let log = c.log(i);
        assert_eq!(
            log.matches("WRONGPASS").count(),
            1,
            "once per change:\n{log}"
        );
        assert_eq!(
            log.matches("replay store unavailable").count(),
            1,
            "one line for the outage, with Redis's reason:\n{log}"
        );
        assert!(!log.contains("pw-one") && !log.contains("pw-two"), "{log}");
    }
    // The password is restored: ready again without a restart, and logins go through.
    cli(
        redis.port,
        &[&two[..], &["CONFIG", "SET", "requirepass", "pw-one"]].concat(),
    );
    c.until_all_ready().await;
    until("recovery never logged", || {
        c.log(0).contains("replay store reachable again")
    })
    .await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    c.fresh_login(1, LoginFlow::LegacySdk).await;
    passed("run time: password changed -> readiness 503 with WRONGPASS, logged once; restored -> ready, logins ok");
}

/// `INFO stats`'s `total_connections_received`: every connection Redis accepted (TLS ones too).
fn connections_received(port: u16) -> u64 {
    cli(port, &["INFO", "stats"])
        .lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .map(|n| n.trim().parse().unwrap())
        .expect("INFO stats has total_connections_received")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_tls_redis_restarted_with_another_ca_is_reported_once_and_recovers() {
    let bin = redis_server();
    let tls = tls_dir();
    let (mut redis, tls_port) = Redis::start_tls(&bin, &tls);
    let ca = tls.join("ca.crt");
    let c = Cluster::start_with(
        &format!("rediss://localhost:{tls_port}"),
        &[],
        &[("DINGTALK_REPLAY_STORE_CA_FILE", ca.to_str().unwrap())],
    )
    .await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    // The operator restarts Redis with a certificate signed by a CA the backends do not trust.
    let swap = |redis: &mut Redis, from: &str, to: &str| {
        let (from, to) = (tls.join(from), tls.join(to));
        for a in &mut redis.args {
            if *a == from.to_str().unwrap() {
                *a = to.to_str().unwrap().to_owned();
            }
        }
    };
    redis.stop();
    swap(&mut redis, "server.crt", "other-server.crt");
    redis.restart();
    let start = Instant::now();
    let reason = loop {
        let (status, ready) = c.get(0, "/readyz").await;
        let reason = ready["reason"].as_str().unwrap_or("").to_owned();
        if status == 503 && reason.to_lowercase().contains("certificate") {
            break reason;
        }
        assert!(
            start.elapsed() < CHILD_BOUND,
            "readiness never named the certificate: {status} {ready}\n{}",
            c.log(0)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // What TLS said, without the operation that met it.
    let said = reason
        .split_once(": ")
        .map_or(&reason[..], |(_, s)| s)
        .to_owned();
    until("the TLS error never logged", || c.log(0).contains(&said)).await;
    // Several more background checks (each a refused handshake Redis accepted the connection
    // for) while it lasts: still logged once.
    let seen = connections_received(redis.port);
    until("the background checks stopped", || {
        connections_received(redis.port) >= seen + 12
    })
    .await;
    for i in 0..2 {
        let log = c.log(i);
        assert_eq!(
            log.matches(&said).count(),
            1,
            "once per change ({said}):\n{log}"
        );
        // One line for the refused certificate (a check that ran while Redis was stopped for the
        // swap saw another state, connection refused, and has its own line).
        let tls_lines = log
            .lines()
            .filter(|l| l.contains("replay store unavailable") && !l.contains("refused"))
            .count();
        assert_eq!(
            tls_lines, 1,
            "one line for the outage, with TLS's reason:\n{log}"
        );
    }
    // Restarted with the right certificate: ready again, logins go through.
    redis.stop();
    swap(&mut redis, "other-server.crt", "server.crt");
    redis.restart();
    c.until_all_ready().await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    c.fresh_login(1, LoginFlow::LegacySdk).await;
    passed("run time: TLS Redis restarted with another CA's certificate -> readiness 503, the TLS error logged once; restored -> ready, logins ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server: scripts/test-server-cluster.sh"]
async fn a_cluster_master_restarted_empty_is_noticed_and_named() {
    let dir = TempDir(temp_dir("redis-cluster-epoch"));
    let (mut nodes, addrs) = three_masters(&dir).await;
    let c = Cluster::start_with(&format!("redis+cluster://{}", addrs[0]), &[], &[]).await;
    c.fresh_login(0, LoginFlow::LegacySdk).await;
    // A master that does not hold the slot of the single epoch key of before (`dtauth:epoch`).
    let slot: u16 = cli(nodes[0].port, &["CLUSTER", "KEYSLOT", "dtauth:epoch"])
        .trim()
        .parse()
        .unwrap();
    let owns = |n: &Redis| {
        cli(n.port, &["CLUSTER", "NODES"])
            .lines()
            .filter(|l| l.contains("myself"))
            .flat_map(|l| {
                l.split_whitespace()
                    .skip(8)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .any(|r| {
                let (lo, hi) = r.split_once('-').unwrap_or((&r, &r));
                (lo.parse::<u16>().unwrap()..=hi.parse::<u16>().unwrap()).contains(&slot)
            })
    };
    let victim = (0..3).find(|&i| !owns(&nodes[i])).unwrap();
    // Killed and restarted without its data (no AOF, no RDB): it rejoins with its slots, empty.
    nodes[victim].stop();
    nodes[victim].restart();
    until("the cluster never became ok again", || cluster_ok(&nodes)).await;
    let shard = format!("shard={}", addrs[victim]);
    for i in 0..2 {
        until("the empty master was not noticed", || {
            let log = c.log(i);
            log.lines()
                .any(|l| l.contains("REPLAY STORE CAME BACK EMPTY") && l.contains(&shard))
        })
        .await;
    }
    c.fresh_login(1, LoginFlow::LegacySdk).await;
    passed("a 3-master Cluster: a master other than the one of the old epoch key restarted empty -> noticed, the shard named");
}
