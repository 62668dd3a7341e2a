//! Criterion numbers for the work behind each exported call (reported in BENCHMARKS.md).

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use dingtalk_auth::*;

fn config() -> AuthConfig {
    let mut c = AuthConfig::new(
        "dingclient",
        Platform::Android,
        vec![LoginFlow::NewSdk, LoginFlow::Browser],
    );
    c.redirect_uri = Some("https://app.example/dingtalk/cb".into());
    c
}

fn fresh() -> Authenticator {
    Authenticator::new(config(), None, None).unwrap()
}

fn benches(c: &mut Criterion) {
    // A fresh store per iteration: an app has a handful of logins waiting, not thousands.
    c.bench_function("begin(NewSdk)", |b| {
        b.iter_batched(
            fresh,
            |auth| black_box(auth.begin(LoginFlow::NewSdk).unwrap()),
            BatchSize::SmallInput,
        )
    });
    // The worst case: 64 logins waiting (no used or expired record to sweep), so every begin reads
    // them all to drop the single oldest.
    let full = fresh();
    for _ in 0..dingtalk_auth::state::MAX_RECORDS {
        full.begin(LoginFlow::NewSdk).unwrap();
    }
    c.bench_function("begin(NewSdk), 64 logins waiting", |b| {
        b.iter(|| black_box(full.begin(LoginFlow::NewSdk).unwrap()))
    });
    let auth = fresh();
    c.bench_function("begin + complete_sdk (success)", |b| {
        b.iter(|| {
            let s = auth.begin(LoginFlow::NewSdk).unwrap().state;
            let r = SdkResponse {
                flow: LoginFlow::NewSdk,
                err_code: "0".into(),
                message: None,
                code: Some("a3f9c2d1e8b74f6a9c0d1e2f3a4b5c6d".into()),
                state: s,
                reply_type: None,
            };
            black_box(auth.complete_sdk(&r).unwrap())
        })
    });
    c.bench_function("begin + complete_sdk (cancel)", |b| {
        b.iter(|| {
            let s = auth.begin(LoginFlow::NewSdk).unwrap().state;
            let r = SdkResponse {
                flow: LoginFlow::NewSdk,
                err_code: "-2".into(),
                message: Some("cancel".into()),
                code: None,
                state: s,
                reply_type: None,
            };
            black_box(auth.complete_sdk(&r).unwrap())
        })
    });
    let redirect = "https://app.example/dingtalk/cb";
    let url = format!(
        "{redirect}?authCode=a3f9c2d1e8b74f6a9c0d1e2f3a4b5c6d&state={}",
        "A".repeat(43)
    );
    c.bench_function("parse_callback", |b| {
        b.iter(|| black_box(browser::parse_callback(black_box(&url), redirect).unwrap()))
    });
    let cfg = config();
    c.bench_function("authorize_url", |b| {
        b.iter(|| black_box(request::authorize_url(&cfg, "state_0123456789")))
    });
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state;
    let r = SdkResponse {
        flow: LoginFlow::NewSdk,
        err_code: "0".into(),
        message: None,
        code: Some("c0de".into()),
        state: s,
        reply_type: None,
    };
    let Outcome::Authorized { grant, .. } = auth.complete_sdk(&r).unwrap() else {
        unreachable!()
    };
    c.bench_function("AuthGrant::to_json", |b| {
        b.iter(|| black_box(grant.to_json()))
    });
}

criterion_group!(core_benches, benches);
criterion_main!(core_benches);
