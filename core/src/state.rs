//! The `state` parameter and the pending logins it stands for.
//!
//! DingTalk documents no PKCE, so `state` is the only guard against CSRF and code injection. It is
//! 256 bits from the OS CSPRNG, base64url (43 characters, far below DingTalk's 1024 limit), used once,
//! and short-lived. The store never sees it: a pending login is kept under an index derived from
//! SHA-256(state), with the full hash inside the record, compared in constant time. The record holds
//! only the client id, flow, platform, times and a used flag; never a code.
//!
//! Records outlive their use: they stay until the store holds [`MAX_RECORDS`] of this application's
//! records, and a sweep then drops used and expired ones, oldest first, down to half of that. So a
//! replay reads "already used" and a late answer reads "expired" rather than "unknown", for as long as
//! the record is kept. A live login is never dropped to make room while a dead one is left: only when
//! all [`MAX_RECORDS`] are live does the single oldest go. The real capacity is therefore
//! [`MAX_RECORDS`] logins waiting at once.
//!
//! Time comes from a [`Clock`] (the app may supply one). A login is live from its creation until its
//! expiry, read on that clock. The clock may jump: forwards, a login expires early by the jump;
//! backwards, it would live longer by the jump, so a clock that reads more than
//! [`MAX_CLOCK_STEP_BACK_MS`] before the login's creation time ends it (`Expired`). A login therefore
//! never lives more than its TTL plus that minute, whatever the clock does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{LoginFlow, Platform};
use crate::error::{Error, Result, StateError};

/// DingTalk's limit on `state` (enforced by its Android SDK).
pub const MAX_STATE_LEN: usize = 1024;
/// Keys this core writes into the app's store start with this, so the store may hold other things.
pub const KEY_PREFIX: &str = "dingtalk-auth.v1.";
/// A store never holds more pending logins than this: the oldest are dropped first.
pub const MAX_RECORDS: usize = 64;
/// A sweep trims the store to this many records, so that the next one is many `begin`s away.
const SWEEP_TO: usize = MAX_RECORDS / 2;
/// How far the clock may read before a login's creation time (a small NTP step back) before the login
/// is taken as expired: without this bound, setting the clock back would keep a login alive.
pub const MAX_CLOCK_STEP_BACK_MS: i64 = 60_000;

/// Milliseconds since the Unix epoch. Injected so tests (and apps with a trusted time) control expiry.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Result<i64, ClockFailure>;
}

/// A failure reported by an app-provided clock; its text reaches the app's error unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFailure(pub String);

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Result<i64, ClockFailure> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .map_err(|_| ClockFailure("the system clock reads before 1970".into()))
    }
}

/// A failure reported by an app-provided store; its text reaches the app's error unchanged, so a
/// store must not put secrets into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFailure(pub String);

/// Where pending logins live. The default ([`MemoryStore`]) dies with the process; an app that must
/// survive being killed while DingTalk is in front passes a persistent one (SharedPreferences with
/// Keystore, Keychain). Values are small JSON strings.
pub trait PendingStore: Send + Sync {
    fn put(&self, key: &str, value: &str) -> Result<(), StoreFailure>;
    fn get(&self, key: &str) -> Result<Option<String>, StoreFailure>;
    fn remove(&self, key: &str) -> Result<(), StoreFailure>;
    fn keys(&self) -> Result<Vec<String>, StoreFailure>;
}

/// The in-memory store.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl MemoryStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A poisoned map is still a consistent map: every write is a single insert or remove.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PendingStore for MemoryStore {
    fn put(&self, key: &str, value: &str) -> Result<(), StoreFailure> {
        self.map().insert(key.to_string(), value.to_string());
        Ok(())
    }
    fn get(&self, key: &str) -> Result<Option<String>, StoreFailure> {
        Ok(self.map().get(key).cloned())
    }
    fn remove(&self, key: &str) -> Result<(), StoreFailure> {
        self.map().remove(key);
        Ok(())
    }
    fn keys(&self) -> Result<Vec<String>, StoreFailure> {
        Ok(self.map().keys().cloned().collect())
    }
}

/// A fresh random token: `bytes` from the OS CSPRNG, base64url without padding.
pub fn random_token(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::Store(format!("the OS random generator failed: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Checks the shape of a state from an answer before anything else looks at it.
pub fn check_state_shape(state: &str) -> Result<(), StateError> {
    if state.is_empty() {
        return Err(StateError::Malformed("empty"));
    }
    if state.len() > MAX_STATE_LEN {
        return Err(StateError::Malformed("longer than 1024 characters"));
    }
    if !state
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(StateError::Malformed("characters outside base64url"));
    }
    Ok(())
}

/// SHA-256 of the state: what the store knows instead of the state.
pub fn state_hash(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The store key: the prefix and the pending login's id. The full hash is checked separately.
fn key_for(hash: &[u8; 32]) -> String {
    format!("{KEY_PREFIX}{}", pending_login_id(hash))
}

/// A pending login's id: the first 128 bits of SHA-256(state), in lower-case hex. It names the login
/// in the store and in [`crate::LoginRequest::pending_login_id`]; knowing it does not reveal the state.
fn pending_login_id(hash: &[u8; 32]) -> String {
    hex(&hash[..16])
}

/// Length of [`pending_login_id`].
const PENDING_LOGIN_ID_LEN: usize = 32;

/// One pending login as stored (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Record {
    v: u8,
    /// The DingTalk client id: instances of different applications may share one store.
    client: String,
    flow: String,
    platform: String,
    state_sha256: String,
    created_ms: i64,
    expires_ms: i64,
    used: bool,
}

impl Record {
    fn flow(&self) -> Option<LoginFlow> {
        LoginFlow::from_wire_name(&self.flow)
    }
    fn platform(&self) -> Option<Platform> {
        Platform::from_wire_name(&self.platform)
    }
    /// Unused and unexpired: it can still complete a login.
    fn is_live(&self, now: i64) -> bool {
        !self.used && self.in_time(now)
    }

    /// Within its lifetime on a clock that may have jumped (see the module documentation).
    fn in_time(&self, now: i64) -> bool {
        self.created_ms.saturating_sub(MAX_CLOCK_STEP_BACK_MS) <= now && now <= self.expires_ms
    }
}

/// A pending login that was just created.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The state to hand to DingTalk. For the legacy SDK on iOS it is internal only (DingTalk has no
    /// field for it) and the caller must not expose it.
    pub state: String,
    /// Names the login for [`Ledger::abandon`], for every flow (the stateless one included).
    pub pending_login_id: String,
    pub expires_at_ms: i64,
}

/// A pending login that an answer has just used up.
#[derive(Debug, Clone)]
pub struct Redeemed {
    /// SHA-256 of its state: input to the grant's idempotency key.
    pub state_hash: [u8; 32],
    /// When the answer was accepted (the clock reading the expiry was judged on): the grant's time.
    pub at_ms: i64,
}

/// The pending logins of one app, over its store.
pub struct Ledger {
    store: Arc<dyn PendingStore>,
    clock: Arc<dyn Clock>,
    client_id: String,
    platform: Platform,
    ttl_ms: i64,
    // Serialises read-modify-write on the store within this process; the store itself need not be atomic.
    lock: Mutex<()>,
}

impl Ledger {
    pub fn new(
        store: Arc<dyn PendingStore>,
        clock: Arc<dyn Clock>,
        client_id: String,
        platform: Platform,
        ttl_seconds: u32,
    ) -> Self {
        Self {
            store,
            clock,
            client_id,
            platform,
            ttl_ms: i64::from(ttl_seconds) * 1000,
            lock: Mutex::new(()),
        }
    }

    pub fn now_ms(&self) -> Result<i64> {
        self.clock.now_ms().map_err(|e| Error::Clock(e.0))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a pending login for `flow` and returns its state.
    pub fn open(&self, flow: LoginFlow) -> Result<Opened> {
        let _g = self.guard();
        let now = self.now_ms()?;
        if self.is_stateless(flow) {
            // A stateless reply binds to the one pending legacy login, so a new tap replaces an older
            // one rather than making every later reply ambiguous.
            for (key, rec) in self.load_all()? {
                if self.is_pending_stateless(&rec) {
                    self.remove(&key)?;
                }
            }
        }
        // Reading and parsing every record costs far more than the rest of `begin`, so the store is
        // swept only when full, and then trimmed to half: one sweep per MAX_RECORDS / 2 logins.
        let ours = self
            .store
            .keys()
            .map_err(store_err)?
            .iter()
            .filter(|k| k.starts_with(KEY_PREFIX))
            .count();
        if ours >= MAX_RECORDS {
            self.purge(self.load_all()?, now)?;
        }

        let state = random_token(32)?;
        let hash = state_hash(&state);
        let record = Record {
            v: 1,
            client: self.client_id.clone(),
            flow: flow.wire_name().into(),
            platform: self.platform.wire_name().into(),
            state_sha256: hex(&hash),
            created_ms: now,
            expires_ms: now.saturating_add(self.ttl_ms),
            used: false,
        };
        self.write(&key_for(&hash), &record)?;
        log::debug!("pending {} login opened", flow.wire_name());
        Ok(Opened {
            state,
            pending_login_id: pending_login_id(&hash),
            expires_at_ms: record.expires_ms,
        })
    }

    /// The check of every answer, successful or not: the state must name an unused, unexpired pending
    /// login of this application and flow. Only an answer that passes every check uses the login up
    /// (whatever DingTalk's verdict); a refused one changes nothing in the store (a forged cancel, an
    /// echo of the state through another flow or a late answer must not end the real login).
    pub fn redeem(&self, flow: LoginFlow, state: &str) -> Result<Redeemed> {
        check_state_shape(state)?;
        let _g = self.guard();
        let hash = state_hash(state);
        let key = key_for(&hash);
        let mut record = self
            .read(&key)?
            .filter(|r| r.client == self.client_id)
            .ok_or(StateError::Unknown)?;
        if !bool::from(record_hash(&record).ct_eq(&hash)) {
            return Err(StateError::Unknown.into());
        }
        if record.used {
            return Err(StateError::Reused.into());
        }
        let now = self.now_ms()?;
        if !record.in_time(now) {
            return Err(StateError::Expired.into());
        }
        match record.flow() {
            Some(expected) if expected == flow => {}
            Some(expected) => {
                return Err(StateError::FlowMismatch {
                    expected,
                    found: flow,
                }
                .into())
            }
            None => {
                return Err(Error::Store(
                    "a pending-login record names an unknown flow".into(),
                ))
            }
        }
        // Every check passed: only now is the login used up. A refused reply (another flow's, a late
        // one) must leave the login as it was, or any app could end it by echoing its state.
        record.used = true;
        self.write(&key, &record)?;
        Ok(Redeemed {
            state_hash: hash,
            at_ms: now,
        })
    }

    /// A legacy-SDK answer on iOS, which cannot carry a state: binds to the single unused, unexpired
    /// pending legacy login.
    pub fn redeem_stateless(&self) -> Result<Redeemed> {
        let _g = self.guard();
        let now = self.now_ms()?;
        let candidates: Vec<(String, Record)> = self
            .load_all()?
            .into_iter()
            .filter(|(_, r)| self.is_pending_stateless(r))
            .collect();
        let (mut live, expired): (Vec<_>, Vec<_>) =
            candidates.into_iter().partition(|(_, r)| r.is_live(now));
        // A refusal changes nothing, as for a reply with state: an expired login stays expired, and
        // several pending ones stay until the next `begin` replaces them (it keeps only the newest).
        match live.len() {
            1 => {
                let (key, mut rec) = live.remove(0);
                rec.used = true;
                self.write(&key, &rec)?;
                Ok(Redeemed {
                    state_hash: record_hash(&rec),
                    at_ms: now,
                })
            }
            0 if !expired.is_empty() => Err(StateError::Expired.into()),
            0 => Err(StateError::NoPendingLogin.into()),
            n => Err(StateError::Ambiguous(n).into()),
        }
    }

    /// Forgets a pending login the app gave up on (e.g. the user closed the browser tab).
    pub fn discard(&self, state: &str) -> Result<()> {
        check_state_shape(state)?;
        let _g = self.guard();
        self.remove(&key_for(&state_hash(state)))
    }

    /// Forgets the pending login named by `id` ([`Opened::pending_login_id`]) if it is still unused: its
    /// launch failed, so no answer can come. A used one is kept, so that a replay of its answer still
    /// reads "already used"; an unknown one (already swept or abandoned) is no error.
    pub fn abandon(&self, id: &str) -> Result<()> {
        if id.len() != PENDING_LOGIN_ID_LEN
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(StateError::Malformed("not a pending-login id").into());
        }
        let _g = self.guard();
        let key = format!("{KEY_PREFIX}{id}");
        match self.read(&key)? {
            Some(r) if r.client == self.client_id && !r.used => self.remove(&key),
            _ => Ok(()),
        }
    }

    /// Unused, unexpired pending logins.
    pub fn pending_count(&self) -> Result<usize> {
        let _g = self.guard();
        let now = self.now_ms()?;
        Ok(self
            .load_all()?
            .iter()
            .filter(|(_, r)| r.is_live(now))
            .count())
    }

    fn is_stateless(&self, flow: LoginFlow) -> bool {
        flow == LoginFlow::LegacySdk && self.platform == Platform::Ios
    }

    /// An unused legacy-SDK login of this (iOS) platform: what a stateless reply may bind to.
    fn is_pending_stateless(&self, r: &Record) -> bool {
        !r.used && r.flow() == Some(LoginFlow::LegacySdk) && r.platform() == Some(self.platform)
    }

    /// Makes room in a full store. Dead records (used or expired) go first, oldest first, until the
    /// store is down to [`SWEEP_TO`]; a live login goes only when every record is live, and then only
    /// the single oldest, so that the login being begun fits.
    fn purge(&self, records: Vec<(String, Record)>, now: i64) -> Result<()> {
        let (live, mut dead): (Vec<_>, Vec<_>) =
            records.into_iter().partition(|(_, r)| r.is_live(now));
        // Oldest first, ties by key: an unstable sort with a total order is as deterministic as a stable
        // one (the keys come in the store's own order) and links less code into the mobile library.
        dead.sort_unstable_by(|(ka, a), (kb, b)| a.created_ms.cmp(&b.created_ms).then(ka.cmp(kb)));
        let drop_dead = (live.len() + dead.len())
            .saturating_sub(SWEEP_TO)
            .min(dead.len());
        for (key, _) in dead.drain(..drop_dead) {
            self.remove(&key)?;
        }
        if live.len() + dead.len() >= MAX_RECORDS {
            let oldest = live
                .iter()
                .min_by(|(ka, a), (kb, b)| a.created_ms.cmp(&b.created_ms).then(ka.cmp(kb)));
            if let Some((key, _)) = oldest {
                log::warn!("{MAX_RECORDS} logins are pending: the oldest is dropped");
                self.remove(key)?;
            }
        }
        Ok(())
    }

    /// All records of this application. Unreadable ones are removed: they can never be redeemed, and left in
    /// place they would count against the cap forever.
    fn load_all(&self) -> Result<Vec<(String, Record)>> {
        let keys = self.store.keys().map_err(store_err)?;
        let mut out = Vec::new();
        for key in keys.into_iter().filter(|k| k.starts_with(KEY_PREFIX)) {
            let Some(json) = self.store.get(&key).map_err(store_err)? else {
                continue;
            };
            match parse_record(&json) {
                // Another application's record: not ours to bind, count or sweep.
                Some(rec) if rec.client != self.client_id => {}
                Some(rec) => out.push((key, rec)),
                None => {
                    log::warn!("removing an unreadable pending-login record");
                    self.remove(&key)?;
                }
            }
        }
        Ok(out)
    }

    fn read(&self, key: &str) -> Result<Option<Record>> {
        match self.store.get(key).map_err(store_err)? {
            None => Ok(None),
            Some(json) => parse_record(&json)
                .map(Some)
                .ok_or_else(|| Error::Store("a pending-login record is unreadable".into())),
        }
    }

    fn write(&self, key: &str, rec: &Record) -> Result<()> {
        let json = serde_json::to_string(rec).map_err(|e| Error::Store(e.to_string()))?;
        self.store.put(key, &json).map_err(store_err)
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.store.remove(key).map_err(store_err)
    }
}

fn parse_record(json: &str) -> Option<Record> {
    // `from_slice`, as every JSON reader in the core: each of serde_json's two readers (str, slice) is a
    // copy of its parser in the mobile library.
    serde_json::from_slice::<Record>(json.as_bytes())
        .ok()
        .filter(|r| r.v == 1 && decode_hex(&r.state_sha256).is_some_and(|h| h.len() == 32))
}

fn store_err(e: StoreFailure) -> Error {
    Error::Store(e.0)
}

/// The full state hash of a record ([`parse_record`] guarantees it decodes to 32 bytes).
fn record_hash(r: &Record) -> [u8; 32] {
    decode_hex(&r.state_sha256)
        .and_then(|v| v.try_into().ok())
        .unwrap_or([0; 32])
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
