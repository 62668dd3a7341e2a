//! The binary: `serve` announces its URL, never echoes secrets and refuses half-configured flows
//! (its logins and SIGTERM are in `stall.rs`).

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::process::{next_line, stdout_lines, ChildGuard};
use common::BIN;

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
    child.sigterm();
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
