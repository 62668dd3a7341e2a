//! The grant a platform layer keeps until the app acknowledges it, so that nothing between the
//! login and the backend's answer loses it: a rotation, the screen going away, the OS killing the
//! process during `submit`. Delivering it again sends the same JSON with the same idempotency key,
//! so the backend exchanges the single-use code once and answers every later delivery with the
//! first exchange's result.
//!
//! The rule, in one place for both platforms:
//! - **What is kept:** the last grant handed to [`KeptGrant::keep`], one per DingTalk application
//!   (a newer login replaces an older undelivered one: the user logged in again), as its grant-v1
//!   JSON under [`key_for`] in the app's own [`PendingStore`] (the same secure store as the pending
//!   logins: the Keystore- or Keychain-backed one encrypts it).
//! - **When it is dropped:** when the app acknowledges that grant (by its idempotency key, so
//!   acknowledging an old delivery never drops a newer grant); when it is older than
//!   [`KEPT_GRANT_LIFETIME_MS`]; when what the store holds is not a grant of this application.
//! - **Expiry:** as long as the backend answers the grant's idempotency key
//!   ([`wire::IDEMPOTENCY_WINDOW_SECS`], 15 minutes), not only the code's 5 minutes: the app cannot
//!   know whether its first send reached the backend, and if it did, the backend still has the
//!   answer after the code expired. (If it did not, the re-send after 5 minutes gets a typed refusal
//!   and the user logs in again.) A clock that reads more than [`MAX_CLOCK_STEP_BACK_MS`] before the
//!   grant was issued ends it too (as for pending logins).

use std::sync::Arc;

use crate::config::check_token;
use crate::error::{Error, Result};
use crate::grant::AuthGrant;
use crate::state::{Clock, PendingStore, MAX_CLOCK_STEP_BACK_MS};
use crate::wire::{self, GrantV1};

/// Where a kept grant lives in the store: this prefix and the DingTalk client id.
pub const KEPT_GRANT_KEY_PREFIX: &str = "dingtalk-auth.grant.v1.";
/// How long a grant is kept after it was issued: as long as the backend answers it by its
/// idempotency key ([`wire::IDEMPOTENCY_WINDOW_SECS`]).
pub const KEPT_GRANT_LIFETIME_MS: i64 = wire::IDEMPOTENCY_WINDOW_SECS as i64 * 1000;

/// The store key of `client_id`'s kept grant.
pub fn key_for(client_id: &str) -> String {
    format!("{KEPT_GRANT_KEY_PREFIX}{client_id}")
}

/// One DingTalk application's kept grant, in the app's store.
pub struct KeptGrant {
    store: Arc<dyn PendingStore>,
    clock: Arc<dyn Clock>,
    client_id: String,
}

impl KeptGrant {
    /// `client_id` must be the DingTalk application's id as in its configuration (`InvalidConfig`
    /// otherwise: it names the store key).
    pub fn new(
        store: Arc<dyn PendingStore>,
        client_id: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        check_token("client_id", client_id, wire::MAX_CLIENT_ID_LEN)?;
        Ok(KeptGrant {
            store,
            clock,
            client_id: client_id.to_string(),
        })
    }

    fn key(&self) -> String {
        key_for(&self.client_id)
    }

    fn now(&self) -> Result<i64> {
        self.clock.now_ms().map_err(|e| Error::Clock(e.0))
    }

    fn store_failed(e: crate::state::StoreFailure) -> Error {
        Error::Store(e.0)
    }

    /// Keeps `grant` (replacing any grant kept before). A grant of another application is refused
    /// with `InvalidConfig` (it would be delivered with the wrong configuration).
    pub fn keep(&self, grant: &AuthGrant) -> Result<()> {
        if grant.client_id != self.client_id {
            return Err(crate::config::ConfigError::new(
                "client_id",
                "the grant belongs to another DingTalk application",
            )
            .into());
        }
        self.store
            .put(&self.key(), &grant.to_json())
            .map_err(Self::store_failed)
    }

    /// The kept grant, if one is kept and still deliverable. An expired or unreadable one is dropped
    /// here, so it is never delivered.
    pub fn current(&self) -> Result<Option<AuthGrant>> {
        let Some(json) = self.store.get(&self.key()).map_err(Self::store_failed)? else {
            return Ok(None);
        };
        let grant = match GrantV1::from_json(json.as_bytes()) {
            Ok(g) if g.client_id == self.client_id => g,
            Ok(_) | Err(_) => {
                log::warn!("dropping a kept grant that is not this application's grant v1");
                self.drop_kept()?;
                return Ok(None);
            }
        };
        if !deliverable(grant.issued_at_ms, self.now()?) {
            log::info!("dropping a kept grant older than the code's lifetime");
            self.drop_kept()?;
            return Ok(None);
        }
        Ok(Some(AuthGrant::from_wire(grant)))
    }

    /// The app has what it needed from the delivery of the grant with `idempotency_key` (the backend's
    /// answer, or a failure it showed and gave up on): drops that grant. Returns whether it was the
    /// kept one; a newer kept grant stays.
    pub fn acknowledge(&self, idempotency_key: &str) -> Result<bool> {
        let Some(json) = self.store.get(&self.key()).map_err(Self::store_failed)? else {
            return Ok(false);
        };
        let same = GrantV1::from_json(json.as_bytes())
            .map(|g| g.idempotency_key == idempotency_key)
            // An unreadable record can never be delivered: dropping it is always right.
            .unwrap_or(true);
        if same {
            self.drop_kept()?;
        }
        Ok(same)
    }

    fn drop_kept(&self) -> Result<()> {
        self.store.remove(&self.key()).map_err(Self::store_failed)
    }
}

/// Whether a grant issued at `issued_at_ms` may still be delivered at `now_ms`.
pub fn deliverable(issued_at_ms: i64, now_ms: i64) -> bool {
    issued_at_ms.saturating_sub(MAX_CLOCK_STEP_BACK_MS) <= now_ms
        && now_ms <= issued_at_ms.saturating_add(KEPT_GRANT_LIFETIME_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoginFlow, Platform};
    use crate::state::{ClockFailure, MemoryStore};
    use std::sync::atomic::{AtomicI64, Ordering};

    const T0: i64 = 1_700_000_000_000;

    struct TestClock(AtomicI64);
    impl Clock for TestClock {
        fn now_ms(&self) -> std::result::Result<i64, ClockFailure> {
            Ok(self.0.load(Ordering::SeqCst))
        }
    }

    fn grant(client: &str, code: &str) -> AuthGrant {
        AuthGrant::new(
            LoginFlow::Browser,
            client.into(),
            Platform::Android,
            code.into(),
            "openid".into(),
            T0,
            &[3; 32],
        )
    }

    fn kept(store: &Arc<MemoryStore>) -> (KeptGrant, Arc<TestClock>) {
        let clock = Arc::new(TestClock(AtomicI64::new(T0)));
        let k = KeptGrant::new(store.clone(), "dingclient", clock.clone()).unwrap();
        (k, clock)
    }

    #[test]
    fn a_kept_grant_survives_a_new_instance_with_the_same_key_and_json() {
        let store = Arc::new(MemoryStore::default());
        let g = grant("dingclient", "code-1");
        kept(&store).0.keep(&g).unwrap();
        // A new process: a new KeptGrant over the same store.
        let again = kept(&store).0.current().unwrap().expect("kept");
        assert_eq!(again.idempotency_key, g.idempotency_key);
        assert_eq!(again.to_json(), g.to_json());
        assert_eq!(
            store.keys().unwrap(),
            vec!["dingtalk-auth.grant.v1.dingclient".to_string()]
        );
    }

    #[test]
    fn acknowledging_drops_only_the_grant_acknowledged() {
        let store = Arc::new(MemoryStore::default());
        let (k, _) = kept(&store);
        let old = grant("dingclient", "code-old");
        let new = grant("dingclient", "code-new");
        k.keep(&old).unwrap();
        k.keep(&new).unwrap();
        assert!(!k.acknowledge(&old.idempotency_key).unwrap());
        assert_eq!(
            k.current().unwrap().unwrap().idempotency_key,
            new.idempotency_key
        );
        assert!(k.acknowledge(&new.idempotency_key).unwrap());
        assert!(k.current().unwrap().is_none());
        assert!(store.keys().unwrap().is_empty());
    }

    /// The backend answers a grant's repeats for its idempotency window, which outlives the code:
    /// a grant whose first send reached the backend is still re-sent after the code's 5 minutes.
    #[test]
    fn a_grant_is_re_sent_for_as_long_as_the_backend_can_answer_it() {
        const CODE_LIFETIME_MS: i64 = 5 * 60 * 1000;
        let store = Arc::new(MemoryStore::default());
        let (k, clock) = kept(&store);
        let g = grant("dingclient", "c");
        k.keep(&g).unwrap();
        clock.0.store(T0 + CODE_LIFETIME_MS + 1, Ordering::SeqCst);
        assert_eq!(
            k.current().unwrap().map(|g| g.idempotency_key),
            Some(g.idempotency_key),
            "past the code's lifetime, still answerable by the backend"
        );
        clock.0.store(
            T0 + wire::IDEMPOTENCY_WINDOW_SECS as i64 * 1000 + 1,
            Ordering::SeqCst,
        );
        assert!(k.current().unwrap().is_none(), "past the backend's window");
    }

    #[test]
    fn a_grant_is_kept_for_its_lifetime_and_no_longer() {
        let store = Arc::new(MemoryStore::default());
        let (k, clock) = kept(&store);
        k.keep(&grant("dingclient", "c")).unwrap();
        clock.0.store(T0 + KEPT_GRANT_LIFETIME_MS, Ordering::SeqCst);
        assert!(k.current().unwrap().is_some());
        clock
            .0
            .store(T0 + KEPT_GRANT_LIFETIME_MS + 1, Ordering::SeqCst);
        assert!(k.current().unwrap().is_none());
        assert!(store.keys().unwrap().is_empty(), "expired grant dropped");
    }

    #[test]
    fn a_clock_set_far_back_ends_the_grant() {
        let store = Arc::new(MemoryStore::default());
        let (k, clock) = kept(&store);
        k.keep(&grant("dingclient", "c")).unwrap();
        clock.0.store(T0 - MAX_CLOCK_STEP_BACK_MS, Ordering::SeqCst);
        assert!(k.current().unwrap().is_some());
        clock
            .0
            .store(T0 - MAX_CLOCK_STEP_BACK_MS - 1, Ordering::SeqCst);
        assert!(k.current().unwrap().is_none());
    }

    #[test]
    fn an_unreadable_or_foreign_record_is_dropped_not_delivered() {
        let store = Arc::new(MemoryStore::default());
        let (k, _) = kept(&store);
        for junk in ["not json".to_string(), grant("dingother", "c").to_json()] {
            store.put(&key_for("dingclient"), &junk).unwrap();
            assert!(k.current().unwrap().is_none(), "{junk}");
            assert!(store.keys().unwrap().is_empty());
        }
    }

    #[test]
    fn another_applications_grant_or_a_bad_client_id_is_a_typed_error() {
        let store = Arc::new(MemoryStore::default());
        let (k, _) = kept(&store);
        assert!(matches!(
            k.keep(&grant("dingother", "c")),
            Err(Error::Config(_))
        ));
        for bad in ["", "has space", &"x".repeat(wire::MAX_CLIENT_ID_LEN + 1)] {
            assert!(matches!(
                KeptGrant::new(store.clone(), bad, Arc::new(crate::SystemClock)),
                Err(Error::Config(_))
            ));
        }
    }

    #[test]
    fn the_store_never_sees_another_key_and_other_entries_stay() {
        let store = Arc::new(MemoryStore::default());
        store.put("dingtalk-auth.v1.abc", "pending").unwrap();
        store.put("app.own", "x").unwrap();
        let (k, _) = kept(&store);
        let g = grant("dingclient", "c");
        k.keep(&g).unwrap();
        k.acknowledge(&g.idempotency_key).unwrap();
        let mut keys = store.keys().unwrap();
        keys.sort();
        assert_eq!(keys, vec!["app.own", "dingtalk-auth.v1.abc"]);
    }
}
