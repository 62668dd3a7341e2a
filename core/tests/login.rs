//! One login at a time through the public core API, with a controllable clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use dingtalk_auth::*;

struct TestClock(AtomicI64);
impl Clock for TestClock {
    fn now_ms(&self) -> Result<i64, ClockFailure> {
        Ok(self.0.load(Ordering::SeqCst))
    }
}
impl TestClock {
    fn advance_s(&self, s: i64) {
        self.0.fetch_add(s * 1000, Ordering::SeqCst);
    }
}

const REDIRECT: &str = "https://app.example/dingtalk/cb";

fn config(platform: Platform) -> AuthConfig {
    let mut c = AuthConfig::new(
        "dingclient",
        platform,
        vec![LoginFlow::LegacySdk, LoginFlow::NewSdk, LoginFlow::Browser],
    );
    c.redirect_uri = Some(REDIRECT.into());
    c
}

/// An authenticator over a shared store and clock, as after a process restart.
fn instance(c: AuthConfig, store: &Arc<MemoryStore>, clock: &Arc<TestClock>) -> Authenticator {
    Authenticator::new(c, Some(store.clone()), Some(clock.clone())).unwrap()
}

fn setup(platform: Platform) -> (Authenticator, Arc<TestClock>, Arc<MemoryStore>) {
    let clock = Arc::new(TestClock(AtomicI64::new(1_700_000_000_000)));
    let store = Arc::new(MemoryStore::default());
    let auth = instance(config(platform), &store, &clock);
    (auth, clock, store)
}

fn reply(flow: LoginFlow, err: &str, code: Option<&str>, state: Option<&str>) -> SdkResponse {
    SdkResponse {
        flow,
        err_code: err.into(),
        message: Some("msg".into()),
        code: code.map(Into::into),
        state: state.map(Into::into),
        reply_type: None,
    }
}

fn grant_of(o: Outcome) -> AuthGrant {
    match o {
        Outcome::Authorized { grant, .. } => grant,
        other => panic!("expected a grant, got {other:?}"),
    }
}

#[test]
fn sdk_success_yields_a_tagged_grant_once() {
    let (auth, _, _) = setup(Platform::Android);
    for flow in [LoginFlow::LegacySdk, LoginFlow::NewSdk] {
        let req = auth.begin(flow).unwrap();
        let state = req.state.clone().unwrap();
        assert_eq!(state.len(), 43);
        assert_eq!(req.nonce.is_some(), flow == LoginFlow::NewSdk);
        let g = grant_of(
            auth.complete_sdk(&reply(flow, "0", Some("CODE1"), Some(&state)))
                .unwrap(),
        );
        assert_eq!(
            (g.flow, g.platform, g.code(), g.client_id.as_str()),
            (flow, Platform::Android, "CODE1", "dingclient")
        );
        assert_eq!(
            g.scope,
            if flow == LoginFlow::LegacySdk {
                "sns_login"
            } else {
                "openid"
            }
        );
        assert_eq!(
            auth.complete_sdk(&reply(flow, "0", Some("CODE1"), Some(&state))),
            Err(StateError::Reused.into())
        );
    }
}

#[test]
fn states_are_unique_and_several_logins_can_wait() {
    let (auth, _, _) = setup(Platform::Android);
    let a = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let b = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    assert_ne!(a, b);
    assert_eq!(auth.pending_count().unwrap(), 2);
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&b)))
            .unwrap(),
        Outcome::Authorized { .. }
    ));
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&a)))
            .unwrap(),
        Outcome::Authorized { .. }
    ));
    assert_eq!(auth.pending_count().unwrap(), 0);
}

#[test]
fn state_refusals() {
    let (auth, clock, _) = setup(Platform::Android);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    // Tampered: one character changed.
    let mut tampered = s.clone();
    tampered.replace_range(0..1, if s.starts_with('A') { "B" } else { "A" });
    assert_eq!(
        auth.complete_sdk(&ok(&tampered)),
        Err(StateError::Unknown.into())
    );
    assert_eq!(
        auth.complete_sdk(&ok("")),
        Err(StateError::Malformed("empty").into())
    );
    assert!(matches!(
        auth.complete_sdk(&ok(&"a".repeat(1025))),
        Err(Error::State(StateError::Malformed(_)))
    ));
    assert!(matches!(
        auth.complete_sdk(&ok("a b")),
        Err(Error::State(StateError::Malformed(_)))
    ));
    assert_eq!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), None)),
        Err(StateError::Missing.into())
    );
    // Flow mismatch: a browser login's state presented by the SDK path.
    let b = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    assert!(matches!(
        auth.complete_sdk(&ok(&b)),
        Err(Error::State(StateError::FlowMismatch { .. }))
    ));
    // Expiry: 10 minutes by default. The refusal changes nothing: the login reads expired again.
    clock.advance_s(601);
    assert_eq!(auth.complete_sdk(&ok(&s)), Err(StateError::Expired.into()));
    assert_eq!(auth.complete_sdk(&ok(&s)), Err(StateError::Expired.into()));
}

#[test]
fn success_without_code_is_refused_and_leaves_the_login_waiting() {
    let (auth, _, _) = setup(Platform::Android);
    for code in [None, Some(""), Some("has space")] {
        let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
        assert!(matches!(
            auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", code, Some(&s))),
            Err(Error::Response(_))
        ));
        assert!(matches!(
            auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), Some(&s))),
            Ok(Outcome::Authorized { .. })
        ));
    }
}

/// Echoing a login's state through another flow (e.g. a new-SDK cancel carrying the browser login's
/// state, sent by another app) is refused, and the login it names still completes.
#[test]
fn a_reply_through_another_flow_leaves_that_login_waiting() {
    let (auth, _, _) = setup(Platform::Android);
    let browser = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    let legacy = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    for err in ["-2", "-4", "0"] {
        for (flow, state) in [(LoginFlow::NewSdk, &browser), (LoginFlow::NewSdk, &legacy)] {
            assert!(matches!(
                auth.complete_sdk(&reply(flow, err, Some("c"), Some(state))),
                Err(Error::State(StateError::FlowMismatch { .. }))
            ));
        }
    }
    assert_eq!(auth.pending_count().unwrap(), 2);
    assert!(matches!(
        auth.complete_browser(&format!("{REDIRECT}?authCode=c&state={browser}")),
        Ok(Outcome::Authorized { .. })
    ));
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), Some(&legacy))),
        Ok(Outcome::Authorized { .. })
    ));
}

#[test]
fn non_success_codes_are_outcomes_and_settle_the_login() {
    let (auth, _, _) = setup(Platform::Android);
    let cases = [
        (
            "-2",
            Outcome::Cancelled {
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
        (
            "-4",
            Outcome::Denied {
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
        (
            "-1",
            Outcome::Failed {
                reason: FailureReason::CommonFailure,
                err_code: Some(-1),
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
        (
            "-3",
            Outcome::Failed {
                reason: FailureReason::SendFailed,
                err_code: Some(-3),
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
        (
            "-5",
            Outcome::Failed {
                reason: FailureReason::Unsupported,
                err_code: Some(-5),
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
        (
            "-9",
            Outcome::Failed {
                reason: FailureReason::Unknown,
                err_code: Some(-9),
                dingtalk_message: Some("msg".into()),
                answered_by: AnsweredBy::Unknown,
            },
        ),
    ];
    for (code, expected) in cases {
        let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        assert_eq!(
            auth.complete_sdk(&reply(LoginFlow::NewSdk, code, None, Some(&s)))
                .unwrap(),
            expected
        );
        // The login is used up: a later "success" with the same state is a replay.
        assert_eq!(
            auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s))),
            Err(StateError::Reused.into())
        );
    }
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "x", None, None)),
        Err(Error::Response(_))
    ));
}

/// Any app can send the exported callback activity a "cancel". One that does not name this device's
/// pending login is refused like a forged success, and the real login goes on waiting.
#[test]
fn a_cancel_that_names_no_pending_login_is_refused_and_changes_nothing() {
    let (auth, clock, _) = setup(Platform::Android);
    let real = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let spent = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&spent)))
        .unwrap();
    let unknown = "A".repeat(43);
    // A state of another flow's login is refused and leaves that login waiting.
    let legacy = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    for err in ["-2", "-4", "-1", "-3", "-5", "-9"] {
        let cases: [(Option<&str>, Error); 5] = [
            (Some(&unknown), StateError::Unknown.into()),
            (
                Some("not/base64url"),
                StateError::Malformed("characters outside base64url").into(),
            ),
            (None, StateError::Missing.into()),
            (Some(&spent), StateError::Reused.into()),
            (
                Some(&legacy),
                StateError::FlowMismatch {
                    expected: LoginFlow::LegacySdk,
                    found: LoginFlow::NewSdk,
                }
                .into(),
            ),
        ];
        for (state, expected) in cases {
            assert_eq!(
                auth.complete_sdk(&reply(LoginFlow::NewSdk, err, None, state)),
                Err(expected),
                "{err} with {state:?}"
            );
        }
    }
    // The browser's error redirect is held to the same rule.
    let browser = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    for state in [format!("&state={unknown}"), String::new()] {
        let url = format!("{REDIRECT}?error=access_denied{state}");
        assert!(
            matches!(auth.complete_browser(&url), Err(Error::State(_))),
            "{url}"
        );
    }
    assert_eq!(auth.pending_count().unwrap(), 3);
    // The real logins are untouched: each still completes (a cancel that names one still cancels it).
    clock.advance_s(1);
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&real))),
        Ok(Outcome::Authorized { .. })
    ));
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?error=access_denied&state={browser}")),
        Ok(Outcome::Denied {
            dingtalk_message: Some("access_denied".into()),
            answered_by: AnsweredBy::Browser
        })
    );
}

#[test]
fn only_the_canonical_err_code_form_is_read() {
    let (auth, _, _) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    for bad in ["00", "-0", "+0", "-02", " 0", "0\n", "٠"] {
        assert_eq!(
            auth.complete_sdk(&reply(LoginFlow::NewSdk, bad, Some("c"), Some(&s))),
            Err(Error::Response(
                "the ErrCode is not DingTalk's decimal form".into()
            )),
            "{bad:?}"
        );
    }
    // Refused before the state is looked at: the login is still there.
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s))),
        Ok(Outcome::Authorized { .. })
    ));
}

#[test]
fn legacy_ios_reply_binds_to_the_single_pending_login() {
    let (auth, clock, _) = setup(Platform::Ios);
    let stateless = |code: &str| reply(LoginFlow::LegacySdk, code, Some("c"), None);
    assert_eq!(
        auth.complete_sdk(&stateless("0")),
        Err(StateError::NoPendingLogin.into())
    );
    let req = auth.begin(LoginFlow::LegacySdk).unwrap();
    assert_eq!(req.state, None);
    let g = grant_of(auth.complete_sdk(&stateless("0")).unwrap());
    assert_eq!(g.flow, LoginFlow::LegacySdk);
    // An empty state (an Objective-C bridge's "no state") is the same as none.
    auth.begin(LoginFlow::LegacySdk).unwrap();
    let empty = reply(LoginFlow::LegacySdk, "0", Some("c"), Some(""));
    assert!(matches!(
        auth.complete_sdk(&empty).unwrap(),
        Outcome::Authorized { .. }
    ));
    assert_eq!(
        auth.complete_sdk(&stateless("0")),
        Err(StateError::NoPendingLogin.into())
    );
    // A second tap replaces the first pending legacy login instead of making replies ambiguous.
    auth.begin(LoginFlow::LegacySdk).unwrap();
    auth.begin(LoginFlow::LegacySdk).unwrap();
    assert_eq!(auth.pending_count().unwrap(), 1);
    clock.advance_s(601);
    assert_eq!(
        auth.complete_sdk(&stateless("0")),
        Err(StateError::Expired.into())
    );
    // The refusal changed nothing, and pending logins of other flows are not candidates.
    auth.begin(LoginFlow::NewSdk).unwrap();
    assert_eq!(
        auth.complete_sdk(&stateless("0")),
        Err(StateError::Expired.into())
    );
    // A cancel settles it.
    auth.begin(LoginFlow::LegacySdk).unwrap();
    assert_eq!(
        auth.complete_sdk(&stateless("-2")).unwrap(),
        Outcome::Cancelled {
            dingtalk_message: Some("msg".into()),
            answered_by: AnsweredBy::DingTalkApp
        }
    );
    assert_eq!(
        auth.complete_sdk(&stateless("0")),
        Err(StateError::NoPendingLogin.into())
    );
}

#[test]
fn two_stores_sharing_legacy_ios_logins_are_ambiguous() {
    // Two instances over one store (e.g. two processes of the app): each begin replaces the other's,
    // but records written behind the instance's back can still make two pending.
    let clock = Arc::new(TestClock(AtomicI64::new(1_000)));
    let store = Arc::new(MemoryStore::default());
    let a = instance(config(Platform::Ios), &store, &clock);
    a.begin(LoginFlow::LegacySdk).unwrap();
    let (key, value) = {
        let k = store.keys().unwrap().pop().unwrap();
        let v = store.get(&k).unwrap().unwrap();
        (k, v)
    };
    let twin_key = format!("{}ffff", &key[..key.len() - 4]);
    store.put(&twin_key, &value).unwrap();
    assert!(matches!(
        a.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), None)),
        Err(Error::State(StateError::Ambiguous(2)))
    ));
    assert_eq!(
        a.pending_count().unwrap(),
        2,
        "an unattributable reply is refused and changes nothing"
    );
    // The next begin replaces both, so the next reply binds again.
    a.begin(LoginFlow::LegacySdk).unwrap();
    assert!(matches!(
        a.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), None)),
        Ok(Outcome::Authorized { .. })
    ));
}

#[test]
fn a_second_instance_over_the_same_store_completes_the_login() {
    let clock = Arc::new(TestClock(AtomicI64::new(5_000)));
    let store = Arc::new(MemoryStore::default());
    let first = instance(config(Platform::Android), &store, &clock);
    let s = first.begin(LoginFlow::Browser).unwrap().state.unwrap();
    drop(first); // the OS killed the app
                 // The store holds neither the state nor anything but the record.
    for k in store.keys().unwrap() {
        assert!(!k.contains(&s) && !store.get(&k).unwrap().unwrap().contains(&s));
    }
    let second = instance(config(Platform::Android), &store, &clock);
    let g = grant_of(
        second
            .complete_browser(&format!("{REDIRECT}?authCode=BRCODE&state={s}"))
            .unwrap(),
    );
    assert_eq!(g.code(), "BRCODE");
    for k in store.keys().unwrap() {
        assert!(!store.get(&k).unwrap().unwrap().contains("BRCODE"));
    }
}

#[test]
fn browser_flow() {
    let (auth, _, _) = setup(Platform::Ios);
    let req = auth.begin(LoginFlow::Browser).unwrap();
    let s = req.state.clone().unwrap();
    let url = req.authorize_url.unwrap();
    assert!(url.starts_with("https://login.dingtalk.com/oauth2/auth?redirect_uri=https%3A%2F%2Fapp.example%2Fdingtalk%2Fcb&"));
    assert!(
        url.contains(&format!("&state={s}&"))
            && url.contains("&prompt=consent")
            && url.contains("&response_type=code")
    );
    assert!(matches!(
        auth.complete_browser("https://evil.example/dingtalk/cb?authCode=c&state=x"),
        Err(Error::Callback(_))
    ));
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?error=access_denied&state={s}"))
            .unwrap(),
        Outcome::Denied {
            dingtalk_message: Some("access_denied".into()),
            answered_by: AnsweredBy::Browser
        }
    );
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?authCode=c&state={s}")),
        Err(StateError::Reused.into())
    );
    let s = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?error=server_error&state={s}"))
            .unwrap(),
        Outcome::Failed {
            reason: FailureReason::BrowserError,
            err_code: None,
            dingtalk_message: Some("server_error".into()),
            answered_by: AnsweredBy::Browser
        }
    );
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?authCode=c")),
        Err(StateError::Missing.into())
    );
}

#[test]
fn flows_not_enabled_and_discard() {
    let mut c = AuthConfig::new("dingoa", Platform::Android, vec![LoginFlow::LegacySdk]);
    c.pending_ttl_seconds = 60;
    let auth = Authenticator::new(c, None, None).unwrap();
    assert!(matches!(
        auth.begin(LoginFlow::Browser),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        auth.complete_browser("https://x/cb?authCode=c&state=s"),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::Browser, "0", Some("c"), Some("s"))),
        Err(Error::Response(_))
    ));
    let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    auth.discard(&s).unwrap();
    assert_eq!(
        auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), Some(&s))),
        Err(StateError::Unknown.into())
    );
}

#[test]
fn a_full_store_of_live_logins_drops_only_the_oldest() {
    use dingtalk_auth::state::MAX_RECORDS;
    let (auth, clock, store) = setup(Platform::Android);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    let mut states = Vec::new();
    for _ in 0..MAX_RECORDS + 3 {
        clock.advance_s(1); // distinct creation times, so "oldest" is well defined
        states.push(auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap());
        assert!(store.keys().unwrap().len() <= MAX_RECORDS);
    }
    // Three logins too many: exactly the three oldest went, one per begin, and every other one is live.
    assert_eq!(store.keys().unwrap().len(), MAX_RECORDS);
    assert_eq!(auth.pending_count().unwrap(), MAX_RECORDS);
    for s in &states[..3] {
        assert_eq!(auth.complete_sdk(&ok(s)), Err(StateError::Unknown.into()));
    }
    for s in &states[3..] {
        assert!(matches!(
            auth.complete_sdk(&ok(s)),
            Ok(Outcome::Authorized { .. })
        ));
    }
}

#[test]
fn dead_records_make_room_before_any_live_login() {
    use dingtalk_auth::state::MAX_RECORDS;
    let (auth, clock, store) = setup(Platform::Android);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    // The oldest half are used up (replays still read "used" while they are kept), the rest wait.
    let mut live = Vec::new();
    for i in 0..MAX_RECORDS {
        clock.advance_s(1);
        let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        if i < MAX_RECORDS / 2 {
            auth.complete_sdk(&ok(&s)).unwrap();
        } else {
            live.push(s);
        }
    }
    assert_eq!(store.keys().unwrap().len(), MAX_RECORDS);
    // A full store: the next begin sweeps the used records, not one of the 32 waiting logins.
    live.push(auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap());
    assert_eq!(store.keys().unwrap().len(), MAX_RECORDS / 2 + 1);
    // Expired records go too, before live ones, however many are waiting.
    clock.advance_s(601);
    let mut fresh = Vec::new();
    for _ in 0..MAX_RECORDS {
        clock.advance_s(1);
        fresh.push(auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap());
        assert!(store.keys().unwrap().len() <= MAX_RECORDS);
    }
    for s in &live {
        assert_eq!(auth.complete_sdk(&ok(s)), Err(StateError::Unknown.into()));
    }
    for s in &fresh {
        assert!(matches!(
            auth.complete_sdk(&ok(s)),
            Ok(Outcome::Authorized { .. })
        ));
    }
}

#[test]
fn concurrent_begins_never_evict_a_live_login() {
    use dingtalk_auth::state::MAX_RECORDS;
    let (auth, _, store) = setup(Platform::Android);
    let auth = Arc::new(auth);
    let states: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..MAX_RECORDS)
            .map(|_| {
                let auth = auth.clone();
                scope.spawn(move || auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(store.keys().unwrap().len(), MAX_RECORDS);
    for s in &states {
        let r = reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
        assert!(matches!(
            auth.complete_sdk(&r),
            Ok(Outcome::Authorized { .. })
        ));
    }
}

/// The record is found under the key (the first 128 bits of the state's hash), but its full hash is
/// another state's: only the full comparison can tell.
#[test]
fn a_record_whose_full_hash_differs_is_unknown() {
    let (auth, _, store) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let key = store.keys().unwrap().pop().unwrap();
    let record = store.get(&key).unwrap().unwrap();
    let full: String = dingtalk_auth::state::state_hash(&s)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(record.contains(&full));
    // Same first half (the key), last byte changed.
    let last = u8::from_str_radix(&full[62..], 16).unwrap() ^ 1;
    let forged = format!("{}{last:02x}", &full[..62]);
    store.put(&key, &record.replace(&full, &forged)).unwrap();
    let r = reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s));
    assert_eq!(auth.complete_sdk(&r), Err(StateError::Unknown.into()));
}

#[test]
fn a_failing_or_corrupt_store_is_a_typed_error() {
    struct Broken;
    impl PendingStore for Broken {
        fn put(&self, _: &str, _: &str) -> Result<(), StoreFailure> {
            Err(StoreFailure("disk full".into()))
        }
        fn get(&self, _: &str) -> Result<Option<String>, StoreFailure> {
            Ok(None)
        }
        fn remove(&self, _: &str) -> Result<(), StoreFailure> {
            Ok(())
        }
        fn keys(&self) -> Result<Vec<String>, StoreFailure> {
            Ok(vec![])
        }
    }
    let auth = Authenticator::new(config(Platform::Android), Some(Arc::new(Broken)), None).unwrap();
    assert_eq!(
        auth.begin(LoginFlow::NewSdk).unwrap_err(),
        Error::Store("disk full".into())
    );

    let (auth, _, store) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let key = store.keys().unwrap().pop().unwrap();
    store.put(&key, "{not json").unwrap();
    assert!(matches!(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s))),
        Err(Error::Store(_))
    ));
    assert_eq!(auth.pending_count().unwrap(), 0);
    assert!(
        store.keys().unwrap().is_empty(),
        "an unreadable record is removed"
    );
}

#[test]
fn applications_sharing_a_store_do_not_complete_each_other() {
    let clock = Arc::new(TestClock(AtomicI64::new(5_000)));
    let store = Arc::new(MemoryStore::default());
    let a = instance(config(Platform::Ios), &store, &clock);
    let mut other = config(Platform::Ios);
    other.client_id = "dingotherapp".into();
    let b = instance(other, &store, &clock);
    let s = a.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    a.begin(LoginFlow::LegacySdk).unwrap();
    let ok = reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s));
    assert_eq!(b.complete_sdk(&ok), Err(StateError::Unknown.into()));
    // Nor does b bind a's stateless legacy login, count a's logins, or replace them.
    assert_eq!(b.pending_count().unwrap(), 0);
    let stateless = reply(LoginFlow::LegacySdk, "0", Some("c"), None);
    assert_eq!(
        b.complete_sdk(&stateless),
        Err(StateError::NoPendingLogin.into())
    );
    b.begin(LoginFlow::LegacySdk).unwrap();
    assert_eq!(a.pending_count().unwrap(), 2);
    assert!(matches!(
        a.complete_sdk(&ok).unwrap(),
        Outcome::Authorized { .. }
    ));
    assert!(matches!(
        a.complete_sdk(&stateless).unwrap(),
        Outcome::Authorized { .. }
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever state an answer carries, only the one this core issued yields a grant, once.
        #[test]
        fn only_the_issued_state_is_accepted(forged in "\\PC{0,80}", flip in 0usize..43) {
            let (auth, _, _) = setup(Platform::Android);
            let issued = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
            let mut near = issued.clone().into_bytes();
            near[flip] = if near[flip] == b'A' { b'B' } else { b'A' };
            for candidate in [forged, String::from_utf8(near).unwrap()] {
                if candidate != issued {
                    let r = reply(LoginFlow::NewSdk, "0", Some("c"), Some(&candidate));
                    prop_assert!(matches!(auth.complete_sdk(&r), Err(Error::State(_))));
                }
            }
            let r = reply(LoginFlow::NewSdk, "0", Some("c"), Some(&issued));
            prop_assert!(matches!(auth.complete_sdk(&r), Ok(Outcome::Authorized { .. })), "not authorized");
            prop_assert_eq!(auth.complete_sdk(&r), Err(StateError::Reused.into()));
        }

        /// The authorize URL carries the redirect URI and state back unchanged once decoded, and the
        /// callback the fake would build from it is accepted.
        #[test]
        fn authorize_url_round_trips(
            // Canonical paths only (no dot segments): the configuration refuses the others.
            path in "(/[a-zA-Z0-9_~!$&'()*+,;=:@-]([a-zA-Z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2}){0,11}){0,3}",
            query in proptest::option::of("[a-z]{1,5}=[a-z0-9]{0,5}"),
        ) {
            let redirect = match &query {
                Some(q) => format!("https://app.example{path}?{q}"),
                None => format!("https://app.example{path}"),
            };
            let mut c = config(Platform::Android);
            c.redirect_uri = Some(redirect.clone());
            let auth = Authenticator::new(c, None, None).unwrap();
            let req = auth.begin(LoginFlow::Browser).unwrap();
            let url = req.authorize_url.unwrap();
            let q = url.split_once('?').unwrap().1;
            let params: Vec<(String, String)> = q.split('&').map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8().unwrap().into_owned())
            }).collect();
            let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            prop_assert_eq!(get("redirect_uri"), Some(redirect.clone()));
            prop_assert_eq!(get("state"), req.state.clone());
            prop_assert_eq!(get("prompt"), Some("consent".to_string()));
            prop_assert!(!q.contains(' ') && !q.contains('+'));
            let sep = if query.is_some() { '&' } else { '?' };
            let callback = format!("{redirect}{sep}authCode=abc&state={}", req.state.unwrap());
            prop_assert!(matches!(auth.complete_browser(&callback), Ok(Outcome::Authorized { .. })), "not authorized");
        }
    }
}

/// The device clock moves between `begin` and the reply. Forwards: the login expires early. Backwards:
/// it may live longer by the jump, but never past its TTL plus a minute of real time, and a large step
/// back ends it rather than keeping it alive until the clock catches up.
#[test]
fn clock_jumps_never_stretch_a_login_beyond_its_bounds() {
    use dingtalk_auth::state::MAX_CLOCK_STEP_BACK_MS;
    let (auth, clock, _) = setup(Platform::Android);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    let expired = Err(Error::State(StateError::Expired));

    // Forwards past the TTL (600 s): expired.
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    clock.advance_s(601);
    assert_eq!(auth.complete_sdk(&ok(&s)), expired);
    // (The refusal left it as it was: a clock set back into its lifetime would find it live, like any
    // login nobody answered. Forget it, so the count below is about the next login only.)
    auth.discard(&s).unwrap();

    // Backwards by more than the step-back bound: expired at once, not alive for days.
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    clock.advance_s(-(MAX_CLOCK_STEP_BACK_MS / 1000) - 1);
    assert_eq!(auth.pending_count().unwrap(), 0);
    assert_eq!(auth.complete_sdk(&ok(&s)), expired);
    auth.discard(&s).unwrap();
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    clock.advance_s(-86_400);
    assert_eq!(auth.complete_sdk(&ok(&s)), expired);
    auth.discard(&s).unwrap();

    // A small step back (an NTP correction) keeps the login; it then lives until the clock reads its
    // expiry, i.e. at most the TTL plus the step in real time.
    clock.advance_s(86_400);
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let t = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    clock.advance_s(-30);
    assert_eq!(auth.pending_count().unwrap(), 2);
    clock.advance_s(30 + 600); // 630 s of real time later the clock reads the expiry exactly
    assert!(matches!(
        auth.complete_sdk(&ok(&s)),
        Ok(Outcome::Authorized { .. })
    ));
    clock.advance_s(1);
    assert_eq!(auth.complete_sdk(&ok(&t)), expired);
}

#[test]
fn a_failing_clock_is_a_typed_error() {
    struct Broken;
    impl Clock for Broken {
        fn now_ms(&self) -> Result<i64, ClockFailure> {
            Err(ClockFailure("no trusted time yet".into()))
        }
    }
    let auth = Authenticator::new(config(Platform::Android), None, Some(Arc::new(Broken))).unwrap();
    let clock_error = Error::Clock("no trusted time yet".into());
    assert_eq!(auth.begin(LoginFlow::NewSdk).unwrap_err(), clock_error);
    assert_eq!(auth.pending_count().unwrap_err(), clock_error);
    let r = reply(LoginFlow::NewSdk, "0", Some("c"), Some(&"A".repeat(43)));
    // Nothing is stored under that state, so the clock is never read.
    assert_eq!(auth.complete_sdk(&r), Err(StateError::Unknown.into()));
}

/// The README's derivation, computed independently:
/// base64url(SHA-256("dingtalk-auth idempotency v1" NUL ‖ SHA-256(state) ‖ NUL ‖ code)).
#[test]
fn the_idempotency_key_is_the_documented_hash() {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let (auth, _, _) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let g = grant_of(
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("CODE42"), Some(&s)))
            .unwrap(),
    );
    let mut h = Sha256::new();
    h.update(b"dingtalk-auth idempotency v1\0");
    h.update(Sha256::digest(s.as_bytes()));
    h.update(b"\0CODE42");
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize());
    assert_eq!(g.idempotency_key, expected);
}

/// A login completes at the last millisecond of its TTL (the configured one, not only the default)
/// and is `Expired` one millisecond later; the rule is the same for every flow.
#[test]
fn a_login_lives_exactly_its_configured_ttl() {
    let clock = Arc::new(TestClock(AtomicI64::new(1_000_000)));
    let store = Arc::new(MemoryStore::default());
    let mut c = config(Platform::Android);
    c.pending_ttl_seconds = 5;
    let auth = instance(c, &store, &clock);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    let on_time = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let late = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let late_browser = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    clock.advance_s(5);
    assert!(matches!(
        auth.complete_sdk(&ok(&on_time)),
        Ok(Outcome::Authorized { .. })
    ));
    clock.0.fetch_add(1, Ordering::SeqCst);
    assert_eq!(
        auth.complete_sdk(&ok(&late)),
        Err(StateError::Expired.into())
    );
    assert_eq!(
        auth.complete_browser(&format!("{REDIRECT}?authCode=c&state={late_browser}")),
        Err(StateError::Expired.into())
    );
}

/// DingTalk's limit on `state` is 1024 characters: a 1024-character state is read (and is simply no
/// login of ours), a longer one is malformed before any lookup.
#[test]
fn the_state_length_limit_is_1024() {
    let (auth, _, _) = setup(Platform::Android);
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    assert_eq!(
        auth.complete_sdk(&ok(&"A".repeat(1024))),
        Err(StateError::Unknown.into())
    );
    assert!(matches!(
        auth.complete_sdk(&ok(&"A".repeat(1025))),
        Err(Error::State(StateError::Malformed(_)))
    ));
}

/// DingTalk's message is optional: a failure without one keeps `None`, and a success's message is
/// ignored (the grant carries no message).
#[test]
fn dingtalk_messages_are_optional() {
    let (auth, _, _) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    let mut failure = reply(LoginFlow::LegacySdk, "-1", None, Some(&s));
    failure.message = None;
    assert_eq!(
        auth.complete_sdk(&failure).unwrap(),
        Outcome::Failed {
            reason: FailureReason::CommonFailure,
            err_code: Some(-1),
            dingtalk_message: None,
            answered_by: AnsweredBy::DingTalkApp
        }
    );
    for message in [None, Some("ok".to_string())] {
        let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
        let mut success = reply(LoginFlow::LegacySdk, "0", Some("c"), Some(&s));
        success.message = message;
        assert!(matches!(
            auth.complete_sdk(&success),
            Ok(Outcome::Authorized { .. })
        ));
    }
}

/// The answer must be in the query: DingTalk never puts it in a fragment, and a fragment is ignored.
#[test]
fn an_answer_in_the_fragment_is_not_read() {
    let (auth, _, _) = setup(Platform::Android);
    let s = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    assert!(matches!(
        auth.complete_browser(&format!("{REDIRECT}#authCode=c&state={s}")),
        Err(Error::Callback(CallbackError::Parts(_)))
    ));
    // Parameter order, unrelated parameters and percent-encoding do not matter; the login is intact.
    assert!(matches!(
        auth.complete_browser(&format!("{REDIRECT}?x=1&state={s}&authCode=c%2Dd")),
        Ok(Outcome::Authorized { grant: g, .. }) if g.code() == "c-d"
    ));
}

/// Process death, with the store kept: a replay is refused by any later instance; expiry is judged by
/// the clock of the instance that completes; without a store a new instance knows no login.
#[test]
fn logins_outlive_instances_only_through_the_store() {
    let clock = Arc::new(TestClock(AtomicI64::new(5_000_000)));
    let store = Arc::new(MemoryStore::default());
    let first = instance(config(Platform::Android), &store, &clock);
    let req = first.begin(LoginFlow::NewSdk).unwrap();
    let s = req.state.clone().unwrap();
    let nonce = req.nonce.clone().unwrap();
    let expiring = first.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    drop(first);
    for k in store.keys().unwrap() {
        let v = store.get(&k).unwrap().unwrap();
        assert!(
            !k.contains(&nonce) && !v.contains(&nonce),
            "the nonce is not stored"
        );
    }
    let ok = |s: &str| reply(LoginFlow::NewSdk, "0", Some("c"), Some(s));
    let second = instance(config(Platform::Android), &store, &clock);
    assert!(matches!(
        second.complete_sdk(&ok(&s)),
        Ok(Outcome::Authorized { .. })
    ));
    drop(second);
    let late_clock = Arc::new(TestClock(AtomicI64::new(5_000_000 + 601_000)));
    let third = instance(config(Platform::Android), &store, &late_clock);
    assert_eq!(third.complete_sdk(&ok(&s)), Err(StateError::Reused.into()));
    assert_eq!(
        third.complete_sdk(&ok(&expiring)),
        Err(StateError::Expired.into())
    );

    let without_store = Authenticator::new(config(Platform::Android), None, None).unwrap();
    let s = without_store
        .begin(LoginFlow::NewSdk)
        .unwrap()
        .state
        .unwrap();
    drop(without_store);
    let fresh = Authenticator::new(config(Platform::Android), None, None).unwrap();
    assert_eq!(fresh.complete_sdk(&ok(&s)), Err(StateError::Unknown.into()));
}

/// iOS: only the legacy SDK is stateless. The new SDK and the browser carry and require a state, and
/// a stateless legacy reply binds to a login begun by an instance that died.
#[test]
fn ios_state_rules_per_flow_and_across_process_death() {
    let clock = Arc::new(TestClock(AtomicI64::new(5_000_000)));
    let store = Arc::new(MemoryStore::default());
    let first = instance(config(Platform::Ios), &store, &clock);
    for flow in [LoginFlow::NewSdk, LoginFlow::Browser] {
        assert!(first.begin(flow).unwrap().state.is_some());
    }
    assert_eq!(
        first.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), None)),
        Err(StateError::Missing.into())
    );
    assert_eq!(
        first.complete_browser(&format!("{REDIRECT}?authCode=c")),
        Err(StateError::Missing.into())
    );
    assert_eq!(first.begin(LoginFlow::LegacySdk).unwrap().state, None);
    drop(first);
    let second = instance(config(Platform::Ios), &store, &clock);
    assert!(matches!(
        second.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), None)),
        Ok(Outcome::Authorized { grant: g, .. }) if g.flow == LoginFlow::LegacySdk
    ));
}

/// What the app is told to do about each refusal a reply can meet: a reply that is not for the login
/// in progress is ignored, and the login it did not name goes on waiting.
#[test]
fn refused_replies_are_classified_for_the_app() {
    let (auth, clock, _) = setup(Platform::Android);
    let handling =
        |r: std::result::Result<Outcome, Error>| AuthError::from(r.unwrap_err()).handling();
    let waiting = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    let browser = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    let ok = |s: Option<&str>| reply(LoginFlow::NewSdk, "0", Some("c"), s);
    for refused in [
        auth.complete_sdk(&ok(Some(&"A".repeat(43)))),
        auth.complete_sdk(&ok(None)),
        auth.complete_sdk(&ok(Some("not/base64url"))),
        auth.complete_sdk(&ok(Some(&browser))),
        auth.complete_sdk(&reply(LoginFlow::NewSdk, "00", Some("c"), Some(&waiting))),
        auth.complete_browser("https://evil.example/dingtalk/cb?authCode=c&state=x"),
    ] {
        assert_eq!(handling(refused), ErrorHandling::IgnoreReply);
    }
    assert!(matches!(
        auth.complete_sdk(&ok(Some(&waiting))),
        Ok(Outcome::Authorized { .. })
    ));
    assert_eq!(
        handling(auth.complete_sdk(&ok(Some(&waiting)))),
        ErrorHandling::IgnoreReply
    );
    let expiring = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    clock.advance_s(601);
    assert_eq!(
        handling(auth.complete_sdk(&ok(Some(&expiring)))),
        ErrorHandling::StartAgain
    );
}

/// A URL the app routes as DingTalk's browser redirect is compared exactly as `complete_browser`
/// compares it: what is classified a redirect is never refused later for being another endpoint, and
/// what is refused as another endpoint is never classified a redirect.
#[test]
fn callback_classification_agrees_with_the_parser() {
    let (auth, _, _) = setup(Platform::Android);
    let schemes = ["dingclient".to_string()];
    let s = auth.begin(LoginFlow::Browser).unwrap().state.unwrap();
    let spelled = format!("HTTPS://APP.example:443/dingtalk/cb?authCode=c&state={s}");
    assert_eq!(
        classify_callback_url(&spelled, &schemes, Some(REDIRECT)),
        CallbackKind::BrowserRedirect
    );
    assert!(matches!(
        auth.complete_browser(&spelled),
        Ok(Outcome::Authorized { .. })
    ));
    for other in [
        "https://app.example/dingtalk/cb/?authCode=c&state=s",
        "https://app.example:8443/dingtalk/cb?authCode=c&state=s",
        "http://app.example/dingtalk/cb?authCode=c&state=s",
    ] {
        assert_eq!(
            classify_callback_url(other, &schemes, Some(REDIRECT)),
            CallbackKind::Other
        );
        assert!(matches!(
            auth.complete_browser(other),
            Err(Error::Callback(CallbackError::NotRedirectUri(_)))
        ));
    }
}

/// Several threads completing the same login at once: exactly one gets the grant, the others a
/// replay; and keys the app keeps in the same store are never touched.
#[test]
fn a_login_completed_concurrently_succeeds_once_and_other_keys_stay() {
    let (auth, _, store) = setup(Platform::Android);
    store.put("app.setting", "kept").unwrap();
    let auth = Arc::new(auth);
    for _ in 0..4 {
        let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (auth, s) = (auth.clone(), s.clone());
                    scope.spawn(move || {
                        auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s)))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let granted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(granted, 1, "{results:?}");
        assert!(results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == Error::State(StateError::Reused)));
    }
    assert_eq!(store.get("app.setting").unwrap().as_deref(), Some("kept"));
}

#[test]
fn discard_forgets_unknown_states_quietly_and_refuses_what_cannot_be_a_state() {
    let (auth, _, _) = setup(Platform::Android);
    let live = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
    auth.discard("nothing-like-this").unwrap();
    for bad in ["", "a b"] {
        assert!(
            matches!(
                auth.discard(bad),
                Err(Error::State(StateError::Malformed(_)))
            ),
            "{bad:?}"
        );
    }
    // Neither the quiet nor the refused discard touched the live login.
    assert_eq!(auth.pending_count().unwrap(), 1);
    let ok = reply(LoginFlow::NewSdk, "0", Some("C"), Some(&live));
    grant_of(auth.complete_sdk(&ok).unwrap());
}

#[test]
fn only_the_legacy_sdk_on_ios_answers_without_a_state() {
    for (platform, flow) in [
        (Platform::Android, LoginFlow::LegacySdk),
        (Platform::Android, LoginFlow::NewSdk),
        (Platform::Ios, LoginFlow::NewSdk),
    ] {
        let (auth, _, _) = setup(platform);
        auth.begin(flow).unwrap();
        assert_eq!(
            auth.complete_sdk(&reply(flow, "0", Some("C"), None)),
            Err(StateError::Missing.into()),
            "{platform:?} {flow:?}"
        );
        assert_eq!(auth.pending_count().unwrap(), 1, "the login keeps waiting");
    }
    let (auth, _, _) = setup(Platform::Ios);
    auth.begin(LoginFlow::LegacySdk).unwrap();
    grant_of(
        auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("C"), None))
            .unwrap(),
    );
}

#[test]
fn the_configured_scope_reaches_the_grant() {
    let clock = Arc::new(TestClock(AtomicI64::new(1_700_000_000_000)));
    let store = Arc::new(MemoryStore::default());
    let mut c = config(Platform::Android);
    c.scope = OAuthScope::OpenidCorpid;
    let auth = instance(c, &store, &clock);
    for flow in [LoginFlow::NewSdk, LoginFlow::Browser] {
        let req = auth.begin(flow).unwrap();
        assert_eq!(req.scope, "openid corpid");
        let state = req.state.unwrap();
        let outcome = match flow {
            LoginFlow::Browser => auth
                .complete_browser(&format!("{REDIRECT}?authCode=C&state={state}"))
                .unwrap(),
            _ => auth
                .complete_sdk(&reply(flow, "0", Some("C"), Some(&state)))
                .unwrap(),
        };
        assert_eq!(grant_of(outcome).scope, "openid corpid", "{flow:?}");
    }
    // The legacy SDK's scope is its own, whatever the configuration says.
    let req = auth.begin(LoginFlow::LegacySdk).unwrap();
    assert_eq!(req.scope, "sns_login");
}

/// A launch that failed is abandoned in one call, for every flow and platform, the stateless legacy
/// iOS login included; a login already answered is kept, so a replay still reads "already used".
#[test]
fn abandon_forgets_a_login_whose_launch_failed_in_every_flow() {
    for platform in [Platform::Android, Platform::Ios] {
        let (auth, _, _) = setup(platform);
        for flow in LoginFlow::ALL {
            let other = auth.begin(LoginFlow::NewSdk).unwrap();
            let req = auth.begin(flow).unwrap();
            assert_eq!(req.pending_login_id.len(), 32);
            assert_eq!(auth.pending_count().unwrap(), 2, "{platform:?} {flow:?}");
            auth.abandon(&req).unwrap();
            assert_eq!(auth.pending_count().unwrap(), 1, "{platform:?} {flow:?}");
            // Abandoning again is no error; the other login still completes.
            auth.abandon(&req).unwrap();
            let s = other.state.clone().unwrap();
            assert!(matches!(
                auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s))),
                Ok(Outcome::Authorized { .. })
            ));
            // An answered login is not forgotten by a late abandon.
            auth.abandon(&other).unwrap();
            assert_eq!(
                auth.complete_sdk(&reply(LoginFlow::NewSdk, "0", Some("c"), Some(&s))),
                Err(StateError::Reused.into())
            );
        }
        // The stateless login abandoned, a stateless reply has nothing to bind to.
        assert_eq!(
            auth.complete_sdk(&reply(LoginFlow::LegacySdk, "0", Some("c"), None)),
            Err(if platform == Platform::Ios {
                StateError::NoPendingLogin.into()
            } else {
                StateError::Missing.into()
            })
        );
        let mut forged = auth.begin(LoginFlow::Browser).unwrap();
        for bad in ["", "XYZ", &"A".repeat(32), &"0".repeat(31)] {
            forged.pending_login_id = bad.into();
            assert!(
                matches!(
                    auth.abandon(&forged),
                    Err(Error::State(StateError::Malformed(_)))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(auth.pending_count().unwrap(), 1);
    }
}

/// The new Android SDK says which path answered (`type` = `app` / `web`); the outcome carries it, for
/// every verdict, and -4 `key check error` is the app's registration, not the user's refusal.
#[test]
fn outcomes_say_which_path_answered_and_keep_dingtalks_message() {
    let (auth, _, _) = setup(Platform::Android);
    let answer = |err: &str, reply_type: Option<&str>, message: Option<&str>| {
        let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        let mut r = reply(LoginFlow::NewSdk, err, Some("c"), Some(&s));
        r.reply_type = reply_type.map(Into::into);
        r.message = message.map(Into::into);
        auth.complete_sdk(&r).unwrap()
    };
    for (reply_type, by) in [
        (Some("web"), AnsweredBy::DingTalkWebFallback),
        (Some("app"), AnsweredBy::DingTalkApp),
        (Some("tablet"), AnsweredBy::Unknown),
        (None, AnsweredBy::Unknown),
    ] {
        for err in ["0", "-2", "-4", "-1"] {
            assert_eq!(
                answer(err, reply_type, None).answered_by(),
                by,
                "{err} {reply_type:?}"
            );
        }
    }
    assert_eq!(
        answer("-2", Some("web"), Some("用户取消")),
        Outcome::Cancelled {
            dingtalk_message: Some("用户取消".into()),
            answered_by: AnsweredBy::DingTalkWebFallback
        }
    );
    let s = auth.begin(LoginFlow::LegacySdk).unwrap().state.unwrap();
    let mut r = reply(LoginFlow::LegacySdk, "-4", None, Some(&s));
    r.message = Some("key check error".into());
    match auth.complete_sdk(&r).unwrap() {
        Outcome::AppIdentityMismatch {
            dingtalk_message,
            developer_message,
            answered_by,
        } => {
            assert_eq!(dingtalk_message.as_deref(), Some("key check error"));
            assert!(
                developer_message.contains("package name"),
                "{developer_message}"
            );
            assert_eq!(answered_by, AnsweredBy::DingTalkApp);
        }
        other => panic!("{other:?}"),
    }
    // The login is settled like any other verdict.
    assert_eq!(auth.complete_sdk(&r), Err(StateError::Reused.into()));
}

/// The new Android SDK's web fallback copies the login page's redirect parameters into its reply: a
/// refusal there arrives as `error=access_denied`, not as an ErrCode, and is the same verdict as in
/// the browser flow. Only the web fallback may carry such a value.
#[test]
fn the_web_fallback_passes_on_the_login_pages_error() {
    let (auth, _, _) = setup(Platform::Android);
    let page_error = |error: &str, reply_type: Option<&str>| {
        let s = auth.begin(LoginFlow::NewSdk).unwrap().state.unwrap();
        let mut r = reply(LoginFlow::NewSdk, error, None, Some(&s));
        r.reply_type = reply_type.map(Into::into);
        r.message = None;
        auth.complete_sdk(&r)
    };
    let web = AnsweredBy::DingTalkWebFallback;
    assert_eq!(
        page_error("access_denied", Some("web")),
        Ok(Outcome::Denied {
            dingtalk_message: Some("access_denied".into()),
            answered_by: web
        })
    );
    assert_eq!(
        page_error("server_error", Some("web")),
        Ok(Outcome::Failed {
            reason: FailureReason::BrowserError,
            err_code: None,
            dingtalk_message: Some("server_error".into()),
            answered_by: web
        })
    );
    assert_eq!(
        page_error("-2", Some("web")),
        Ok(Outcome::Cancelled {
            dingtalk_message: None,
            answered_by: web
        })
    );
    for (error, reply_type) in [
        ("access_denied", Some("app")),
        ("access_denied", None),
        ("", Some("web")),
    ] {
        assert!(
            matches!(page_error(error, reply_type), Err(Error::Response(_))),
            "{error:?} {reply_type:?}"
        );
    }
}
