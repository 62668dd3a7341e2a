//! Any callback URL: a typed result, never a panic; a success always names a plausible code.
#![no_main]
use dingtalk_auth::browser::{parse_callback, Callback};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        for redirect in [
            "https://app.example/cb",
            "myapp://login?x=1",
            "http://127.0.0.1:8000",
            "http://[::1]:8080/dingtalk/callback",
            "com.example.app://Auth/cb",
        ] {
            if let Ok(Callback::Code { code, .. }) = parse_callback(s, redirect) {
                assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
});
