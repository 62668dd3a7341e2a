//! The binary: `demo` announces both URLs, serves, and stops cleanly on SIGTERM; `serve` never echoes
//! secrets and refuses half-configured flows.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk-auth-server");

/// How long a child may take to announce itself or to exit: generous for a loaded 2-core machine,
/// still a bound, so a hung child fails the test instead of hanging it.
const CHILD_BOUND: Duration = Duration::from_secs(30);

/// A child process that is killed (and reaped) when the guard drops, also when the test panics.
struct ChildGuard(Child);

impl ChildGuard {
    fn spawn(cmd: &mut Command) -> Self {
        ChildGuard(cmd.spawn().expect("the binary starts"))
    }

    /// Waits for the exit, at most [`CHILD_BOUND`].
    fn wait_bounded(&mut self) -> ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < CHILD_BOUND,
                "the child did not exit within {CHILD_BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's stdout lines, read on a thread so that every read can be bounded.
fn stdout_lines(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(rx: &mpsc::Receiver<String>) -> String {
    rx.recv_timeout(CHILD_BOUND)
        .unwrap_or_else(|e| panic!("no stdout line from the child within {CHILD_BOUND:?}: {e}"))
}

fn sigterm(pid: u32) {
    assert!(Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_announces_serves_and_stops_on_sigterm() {
    let mut child = ChildGuard::spawn(
        Command::new(BIN)
            .arg("demo")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let lines = stdout_lines(child.0.stdout.take().unwrap());
    let mut urls = std::collections::HashMap::new();
    while urls.len() < 2 {
        let v: serde_json::Value = serde_json::from_str(&next_line(&lines)).unwrap();
        if v["event"] == "listening" {
            urls.insert(
                v["service"].as_str().unwrap().to_owned(),
                v["url"].as_str().unwrap().to_owned(),
            );
        }
    }
    for url in urls.values() {
        let r = reqwest::get(format!("{url}/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // A whole legacy login through the binary: mint at the fake, submit to the backend.
    let http = reqwest::Client::new();
    let minted: serde_json::Value = serde_json::from_str(
        &http
            .post(format!("{}/_fake/mint", urls["fake"]))
            .header("content-type", "application/json")
            .body(r#"{"flow":"legacy_sdk"}"#)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let key = dingtalk_auth_server::random_token(32);
    let grant = serde_json::json!({"version":1,"flow":"legacy_sdk","client_id":dingtalk_auth_server::fake::demo::LEGACY_APP_KEY,
        "platform":"ios","code":minted["code"],"scope":"sns_login","issued_at_ms":1u64,"idempotency_key":key});
    let r = http
        .post(format!("{}/v1/login", urls["backend"]))
        .header("content-type", "application/json")
        .body(grant.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sigterm(child.0.id());
    assert!(child.wait_bounded().success(), "graceful exit on SIGTERM");
}

#[test]
fn serve_never_echoes_secrets() {
    let secret = "s3cr3t-value-that-must-not-appear";
    let dir = std::env::temp_dir().join(format!("dtas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client-secret");
    std::fs::write(&file, format!("{secret}-file\n")).unwrap();
    let mut child = ChildGuard::spawn(
        Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--legacy-app-key",
                "k",
                "--client-id",
                "c",
            ])
            .env("DINGTALK_LEGACY_APP_SECRET", secret)
            .env("DINGTALK_CLIENT_SECRET_FILE", &file)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let lines = stdout_lines(child.0.stdout.take().unwrap());
    let line = next_line(&lines);
    assert!(line.contains("\"listening\""), "{line}");
    // stderr is drained on a thread too: a full pipe must not block the child's exit.
    let mut stderr = child.0.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    sigterm(child.0.id());
    let status = child.wait_bounded();
    // The child has exited: its pipes are closed, so these reads end.
    let rest: Vec<String> = lines.iter().collect();
    let rest = rest.join("\n");
    let err = err_reader.join().unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("secrets not shown"), "{err}");
    for text in [&line, &rest, &err] {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serve_refuses_half_configured_flows() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--client-id", "c"])
        .env_remove("DINGTALK_CLIENT_SECRET")
        .env_remove("DINGTALK_CLIENT_SECRET_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DINGTALK_CLIENT_SECRET"));
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("DINGTALK_CLIENT_ID")
        .env_remove("DINGTALK_LEGACY_APP_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no flow enabled"));
}
