//! Codes, states and nonces never reach a log line or an error text.

use std::sync::{Arc, Mutex};

use dingtalk_auth::*;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        LINES.lock().unwrap().push(r.args().to_string());
    }
    fn flush(&self) {}
}

#[test]
fn no_secret_in_logs_or_errors() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut c = AuthConfig::new(
        "dingclient",
        Platform::Android,
        vec![LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser],
    );
    c.redirect_uri = Some("https://app.example/cb".into());
    let store = Arc::new(MemoryStore::default());
    let auth = Authenticator::new(c, Some(store), None).unwrap();

    let mut secrets = Vec::new();
    let mut texts = Vec::new();
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk] {
        let req = auth.begin(flow).unwrap();
        let state = req.state.clone().unwrap();
        secrets.extend([state.clone()]);
        secrets.extend(req.nonce.clone());
        texts.push(format!("{req:?}"));
        let code = format!("SECRETCODE{flow:?}");
        let resp = SdkResponse {
            flow,
            err_code: "0".into(),
            message: None,
            code: Some(code.clone()),
            state: Some(state.clone()),
            reply_type: None,
        };
        texts.push(format!("{resp:?}"));
        let outcome = auth.complete_sdk(&resp).unwrap();
        texts.push(format!("{outcome:?}"));
        let replay = auth.complete_sdk(&resp).unwrap_err();
        texts.push(replay.to_string());
        texts.push(format!("{replay:?}"));
        secrets.push(code);
    }
    let req = auth.begin(LoginFlow::Browser).unwrap();
    let state = req.state.unwrap();
    let url = format!("https://app.example/cb?authCode=SECRETBROWSER&state={state}");
    auth.complete_browser(&url).unwrap();
    texts.push(auth.complete_browser(&url).unwrap_err().to_string());
    let bad = format!("https://evil.example/cb?authCode=SECRETBROWSER&state={state}");
    texts.push(auth.complete_browser(&bad).unwrap_err().to_string());
    texts.push(
        auth.complete_browser(&format!("{url}&state={state}"))
            .unwrap_err()
            .to_string(),
    );
    secrets.extend(["SECRETBROWSER".to_string(), state]);

    let lines = LINES.lock().unwrap().clone();
    assert!(lines.len() >= 6, "the flows above do log: {lines:?}");
    for text in lines.iter().chain(&texts) {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{text:?} leaks a secret");
        }
    }
}
