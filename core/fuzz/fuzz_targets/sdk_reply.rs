//! Any SDK reply against a core with live pending logins: never a panic, and a grant only ever comes
//! from a state this core issued (or the single legacy-iOS login), at most once.
#![no_main]
use std::sync::OnceLock;

use dingtalk_auth::*;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    auth: Authenticator,
    issued: Vec<String>,
}

fn fixture() -> &'static std::sync::Mutex<Fixture> {
    static F: OnceLock<std::sync::Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let mut c = AuthConfig::new(
            "dingfuzz",
            Platform::Android,
            vec![LoginFlow::LegacySdk, LoginFlow::NewSdk],
        );
        c.redirect_uri = Some("https://app.example/cb".into());
        let auth = Authenticator::new(c, None, None).unwrap();
        std::sync::Mutex::new(Fixture {
            auth,
            issued: Vec::new(),
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let mut f = fixture().lock().unwrap();
    if f.issued.len() < 8 {
        let s = f.auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        f.issued.push(s);
    }
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1f}');
    let err_code = parts.next().unwrap_or_default().to_string();
    let code = parts.next().map(str::to_string);
    let state_sel = parts.next().unwrap_or_default();
    // Either a state we issued (picked by the input) or the raw input.
    let state = match state_sel
        .strip_prefix('#')
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(i) if !f.issued.is_empty() => Some(f.issued[i % f.issued.len()].clone()),
        _ => Some(state_sel.to_string()),
    };
    let flow = if data.first().is_some_and(|b| b & 1 == 1) {
        LoginFlow::LegacySdk
    } else {
        LoginFlow::NewSdk
    };
    let resp = SdkResponse {
        flow,
        err_code,
        message: parts.next().map(str::to_string),
        code,
        state: state.clone(),
        // The new SDK's `type` extra: any text, as another app could send it.
        reply_type: parts.next().map(str::to_string),
    };
    if let Ok(Outcome::Authorized { .. }) = f.auth.complete_sdk(&resp) {
        let s = state.unwrap();
        assert!(
            f.issued.contains(&s),
            "a grant from a state we never issued"
        );
        f.issued.retain(|x| x != &s);
        assert!(f.auth.complete_sdk(&resp).is_err(), "a replay was accepted");
    }
});
