//! The binary: `demo` announces both URLs, serves a whole login, and stops cleanly on SIGTERM.

// The backend's child-process helpers (always killed, every wait bounded), shared rather than copied.
#[path = "../../backend/tests/common/process.rs"]
#[allow(dead_code)]
mod process;

use std::process::{Command, Stdio};

use dingtalk_auth::wire::{GrantV1, SCOPE_SNS_LOGIN};
use dingtalk_auth::{LoginFlow, Platform};
use dingtalk_fake::demo;
use process::{next_line, stdout_lines, ChildGuard};

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk-fake");

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
    let minted = http
        .post(format!("{}/_fake/mint", urls["fake"]))
        .header("content-type", "application/json")
        .body(r#"{"flow":"legacy_sdk"}"#)
        .send()
        .await
        .unwrap();
    let minted: serde_json::Value = serde_json::from_slice(&minted.bytes().await.unwrap()).unwrap();
    let grant = GrantV1 {
        flow: LoginFlow::LegacySdk,
        client_id: demo::LEGACY_APP_KEY.into(),
        platform: Platform::Ios,
        code: minted["code"].as_str().unwrap().into(),
        scope: SCOPE_SNS_LOGIN.into(),
        issued_at_ms: 1,
        idempotency_key: dingtalk_auth_server::random_token(32),
    };
    let r = http
        .post(format!("{}/v1/login", urls["backend"]))
        .header("content-type", "application/json")
        .body(grant.to_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.sigterm();
    assert!(child.wait_bounded().success(), "graceful exit on SIGTERM");
}
