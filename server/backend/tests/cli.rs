//! The binary: `serve` announces its URL, never echoes secrets and refuses half-configured flows
//! (its logins and SIGTERM are in `stall.rs`).

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::process::{next_line, output_bounded, stdout_lines, ChildGuard};
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
    let out = output_bounded(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--client-id", "c"])
            .env_remove("DINGTALK_CLIENT_SECRET")
            .env_remove("DINGTALK_CLIENT_SECRET_FILE"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DINGTALK_CLIENT_SECRET"));
    let out = output_bounded(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("DINGTALK_CLIENT_ID")
            .env_remove("DINGTALK_LEGACY_APP_KEY"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no flow enabled"));
}

/// Each URL option of the workbench page is checked at start-up: exit status 1 and one line naming
/// the option and the reason.
#[test]
fn bad_urls_stop_the_start_with_one_line_naming_the_option() {
    let cases: &[(&str, &str, &str)] = &[
        ("--public-url", "login.example.com", "not an absolute URL"),
        ("--public-url", "http://login.example.com", "must be https"),
        (
            "--login-base",
            "https://u:p@login.dingtalk.com",
            "user name or password",
        ),
        ("--login-base", "https://login.dingtalk.com/?x=1", "query"),
        (
            "--jsapi-url",
            "https://g.alicdn.com/dingding/jsapi.js#v",
            "fragment",
        ),
        ("--jsapi-url", "ftp://g.alicdn.com/jsapi.js", "not https"),
        // A path on this backend (the default is the embedded bundle) is accepted without a query;
        // a scheme-relative URL is not a path.
        ("--jsapi-url", "/h5/dingtalk-jsapi.js?v=1", "query"),
        (
            "--jsapi-url",
            "//g.alicdn.com/jsapi.js",
            "not an absolute URL",
        ),
    ];
    for (option, value, reason) in cases {
        // Bounded: were the check gone, the backend would start serving and never exit.
        let out = output_bounded(
            Command::new(BIN)
                .args([
                    "serve",
                    "--listen",
                    "127.0.0.1:0",
                    "--client-id",
                    "c",
                    option,
                    value,
                ])
                .env("DINGTALK_CLIENT_SECRET", "s3cret-for-the-url-test"),
        );
        assert_eq!(out.status.code(), Some(1), "{option} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].contains(option) && lines[0].contains(reason),
            "{option} {value}: {stderr}"
        );
    }
}

/// A real login through the binary, logging at `trace`: the code appears in no log line, and the
/// `code_replayed` answer to a second submit of it does not echo it either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_login_never_logs_the_code_nor_echoes_it_when_replayed() {
    use dingtalk_auth::LoginFlow;
    let (fake, fake_srv) = common::start_fake().await;
    let log = std::env::temp_dir().join(format!("dtas-login-log-{}", std::process::id()));
    let file = std::fs::File::create(&log).unwrap();
    let mut child = ChildGuard::spawn(&mut common::backend_command(
        &fake_srv.url(),
        &[],
        &[("RUST_LOG", "trace")],
        Stdio::from(file),
    ));
    let url = common::process::listening_url(&stdout_lines(child.0.stdout.take().unwrap()));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let mut codes = Vec::new();
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser] {
        let code = fake
            .mint(dingtalk_fake::MintRequest {
                flow,
                client_id: None,
                scope: None,
                user: None,
            })
            .unwrap();
        let scope = common::default_scope(flow);
        for (expect, key) in [(200, common::key()), (409, common::key())] {
            let r = http
                .post(format!("{url}/v1/login"))
                .header("content-type", "application/json")
                .body(common::grant(flow, &code, scope, &key))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), expect);
            let text = r.text().await.unwrap();
            assert!(!text.contains(&code), "the answer echoes the code: {text}");
            if expect == 409 {
                assert!(text.contains("code_replayed"), "{text}");
            }
        }
        codes.push(code);
    }
    child.sigterm();
    assert!(child.wait_bounded().success());
    let logs = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(logs.contains("login"), "the logins were logged: {logs}");
    for code in &codes {
        assert!(
            !logs.contains(code.as_str()),
            "the code {code} is in the logs:\n{logs}"
        );
    }
}
