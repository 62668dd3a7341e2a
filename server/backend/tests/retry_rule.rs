//! The retry rule, for every fault DingTalk can answer on every path of a login: only DingTalk's
//! explicit verdict on the code itself burns it. A failure before DingTalk consumed the code is
//! `retryable`, is not kept as the idempotency key's answer, and the same grant succeeds once the
//! cause is gone. A failure after the code was consumed (users/me, after userAccessToken issued the
//! token) is kept: the retry gets the same answer back, `retryable: false`.
//!
//! Each row runs against its own fake and backend, all rows at once, so the timeout rows (which wait
//! for the backend's upstream timeout) cost one timeout, not one per row.

mod common;

use common::*;
use dingtalk_auth::LoginFlow;
use dingtalk_fake::{Fault, FaultEndpoint};

/// Where the fault is injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// `getuserinfo_bycode` (legacy SDK grant).
    Legacy,
    /// `userAccessToken` (new SDK grant).
    Token,
    /// `users/me` (browser grant), after the code was exchanged for a token.
    Me,
}

/// What goes wrong.
#[derive(Clone, Debug)]
enum Cause {
    /// A fault injected once at the path's endpoint.
    Fault(Fault),
    /// DingTalk's clock two minutes ahead (legacy signature only); put back before the retry.
    ClockSkew,
}

/// The expected answer to the first submit.
struct Expect {
    status: u16,
    error: &'static str,
}

fn rate(errcode: i64, code: &str) -> Fault {
    Fault::RateLimit {
        errcode: Some(errcode),
        code: Some(code.into()),
    }
}

/// Every cause with the answer it must give (the same on every path where it applies).
fn causes() -> Vec<(Cause, Expect)> {
    let e = |status, error| Expect { status, error };
    vec![
        (
            Cause::Fault(rate(90002, "Forbidden.AccessDenied.QpsLimitForApi")),
            e(503, "rate_limited"),
        ),
        (
            Cause::Fault(rate(
                90018,
                "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
            )),
            e(503, "rate_limited"),
        ),
        (
            Cause::Fault(rate(90019, "Throttling.Api")),
            e(503, "rate_limited"),
        ),
        (
            Cause::Fault(rate(90020, "Forbidden.AccessDenied.ApiCountLimitForOrg")),
            e(503, "rate_limited"),
        ),
        (
            Cause::Fault(Fault::BadCredentials),
            e(502, "server_misconfigured"),
        ),
        (Cause::Fault(Fault::HtmlBan), e(503, "dingtalk_blocked")),
        (Cause::Fault(Fault::PunishBan), e(503, "dingtalk_blocked")),
        (
            Cause::Fault(Fault::Status { status: 503 }),
            e(502, "dingtalk_unavailable"),
        ),
        (
            Cause::Fault(Fault::Status { status: 500 }),
            e(502, "dingtalk_unavailable"),
        ),
        (
            Cause::Fault(Fault::SystemBusy),
            e(502, "dingtalk_unavailable"),
        ),
        (
            Cause::Fault(Fault::MalformedJson),
            e(502, "dingtalk_bad_response"),
        ),
        (
            Cause::Fault(Fault::Stall { ms: STALL_MS }),
            e(504, "dingtalk_timeout"),
        ),
        (Cause::ClockSkew, e(502, "clock_skew")),
    ]
}

struct Outcome {
    status: u16,
    error: String,
    retryable: bool,
    retry_succeeded: bool,
    retry_was_replayed: bool,
}

async fn run(path: Path, cause: Cause) -> Outcome {
    let h = start_with(|c| c.openapi.request_timeout = SHORT_UPSTREAM_TIMEOUT).await;
    let (flow, endpoint) = match path {
        Path::Legacy => (LoginFlow::LegacySdk, FaultEndpoint::Legacy),
        Path::Token => (LoginFlow::NewSdk, FaultEndpoint::Token),
        Path::Me => (LoginFlow::Browser, FaultEndpoint::Me),
    };
    let code = h.mint(flow, None, None);
    let k = key();
    match &cause {
        Cause::Fault(f) => h.fake.set_fault(endpoint, Some(f.clone()), Some(1)),
        Cause::ClockSkew => h.fake.advance_clock(120_000),
    }
    let first = h.login(flow, &code, default_scope(flow), &k).await;
    // The cause is gone: the fault fired its one time, the clock is put back.
    if let Cause::ClockSkew = cause {
        h.fake.advance_clock(-120_000);
    }
    let retry = h.login(flow, &code, default_scope(flow), &k).await;
    if retry.status == 200 {
        // The code was exchanged exactly once, by the retry.
        let s = h.fake.stats();
        let exchanges = if path == Path::Legacy {
            s.legacy
        } else {
            s.token
        };
        assert_eq!(
            exchanges, 2,
            "{path:?} {cause:?}: one failed call, one success"
        );
    }
    Outcome {
        status: first.status,
        error: first.error().to_owned(),
        retryable: first.json["retryable"]
            .as_bool()
            .expect("retryable is a bool"),
        retry_succeeded: retry.status == 200,
        retry_was_replayed: retry.headers.get("idempotent-replayed").is_some()
            && retry.json == first.json,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_path_follows_the_retry_rule() {
    let mut rows = Vec::new();
    for path in [Path::Legacy, Path::Token, Path::Me] {
        for (cause, expect) in causes() {
            if matches!(cause, Cause::ClockSkew) && path != Path::Legacy {
                continue; // only the legacy call is signed with a timestamp
            }
            rows.push((path, cause, expect));
        }
    }
    let outcomes = futures_join_all(
        rows.iter()
            .map(|(path, cause, _)| tokio::spawn(run(*path, cause.clone())))
            .collect(),
    )
    .await;
    let mut failures = Vec::new();
    for ((path, cause, expect), got) in rows.iter().zip(outcomes) {
        // Before DingTalk consumed the code (legacy, token): retryable, not kept, the retry succeeds.
        // After (users/me): kept, not retryable, the retry gets the same answer.
        let consumed = *path == Path::Me;
        let want = (expect.status, expect.error, !consumed, !consumed, consumed);
        let have = (
            got.status,
            got.error.as_str(),
            got.retryable,
            got.retry_succeeded,
            got.retry_was_replayed,
        );
        if want != have {
            failures.push(format!(
                "{path:?} {cause:?}: want (status, error, retryable, retry succeeds, replayed) {want:?}, got {have:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// The verdicts that do burn the code: the answer is kept, not retryable, and the retry replays it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dingtalks_verdict_on_the_code_is_kept() {
    let h = start().await;
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk] {
        let code = format!("never-minted-{}", flow.wire_name()); // 40078 / invalidAuthCode
        let k = key();
        let a = h.login(flow, &code, default_scope(flow), &k).await;
        assert_eq!((a.status, a.error()), (401, "invalid_code"), "{}", a.json);
        assert_eq!(a.json["retryable"], false);
        let before = h.fake.stats();
        let b = h.login(flow, &code, default_scope(flow), &k).await;
        assert_eq!(b.json, a.json);
        assert_eq!(b.headers["idempotent-replayed"], "true");
        assert_eq!(
            h.fake.stats(),
            before,
            "the kept answer did not reach DingTalk"
        );
    }
}

async fn futures_join_all<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("row task"));
    }
    out
}

/// Apps re-send a grant they have not seen answered for `KEPT_GRANT_LIFETIME_MS` (the core's
/// `KeptGrant`); the backend must remember the grant's answer at least that long, or a re-send
/// would be exchanged again instead of answered. The default is that window, and less is refused
/// at start-up naming the option.
#[test]
fn the_backend_remembers_answers_for_as_long_as_apps_re_send_grants() {
    let app_window =
        std::time::Duration::from_millis(dingtalk_auth::kept_grant::KEPT_GRANT_LIFETIME_MS as u64);
    let cfg = dingtalk_auth_server::BackendConfig::default();
    assert_eq!(cfg.replay_ttl, app_window);
    assert!(dingtalk_auth_server::Backend::new(cfg.clone()).is_ok());
    let shorter = dingtalk_auth_server::BackendConfig {
        replay_ttl: app_window - std::time::Duration::from_secs(1),
        ..cfg
    };
    let e = dingtalk_auth_server::Backend::new(shorter)
        .err()
        .expect("a memory shorter than the apps' re-send window is refused");
    assert!(e.to_string().contains("--replay-ttl-secs 899"), "{e}");
}
