//! The in-memory replay store (the default): one process, bounded memory.
//!
//! Entries are keyed by SHA-256 digests (the raw code is never kept). Every entry lives at most `ttl`
//! and there are at most `capacity` of them: when full, the oldest entry is evicted. An evicted code
//! can reach DingTalk again, which refuses a reused code itself (errcode 40078 / HTTP 400), so eviction
//! under a flood costs a DingTalk round trip, never a second login.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{Claim, Digest, Holder, Keys, Store, StoreError, Stored};

type Answer = Option<Arc<Stored>>;

enum Slot {
    Pending(watch::Receiver<Answer>),
    Done(Arc<Stored>),
}

struct Entry {
    idem: Digest,
    grant: Digest,
    inserted: Instant,
    slot: Slot,
}

/// A fresh claim: the login's keys and the channel its waiters listen on.
pub(crate) struct Ticket {
    keys: Keys,
    tx: watch::Sender<Answer>,
}

/// What [`MemoryStore::begin`] decided: a fresh claim carries the channel to answer on, a pending one
/// the channel to wait on.
type Begin = Claim<watch::Sender<Answer>, watch::Receiver<Answer>>;

/// Logins by code digest and an insertion queue, under one lock.
pub(crate) struct MemoryStore {
    inner: Mutex<Inner>,
    ttl: Duration,
    capacity: usize,
}

struct Inner {
    by_code: HashMap<Digest, Entry>,
    /// Insertion order (oldest first) for expiry and eviction; may hold stale items, compacted.
    order: VecDeque<(Instant, Digest)>,
}

impl MemoryStore {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        MemoryStore {
            inner: Mutex::new(Inner {
                by_code: HashMap::with_capacity(capacity.min(1 << 16)),
                order: VecDeque::new(),
            }),
            ttl,
            capacity,
        }
    }

    /// Number of live entries (codes remembered).
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().expect("replay lock").by_code.len()
    }

    pub(crate) fn begin(&self, code: Digest, idem: Digest, grant: Digest, now: Instant) -> Begin {
        let mut g = self.inner.lock().expect("replay lock");
        g.expire(now, self.ttl);
        if let Some(e) = g.by_code.get(&code) {
            return match Holder::of(&e.idem, &e.grant, &idem, &grant) {
                Holder::CodeReplayed => Claim::Replayed,
                Holder::KeyReused => Claim::KeyReused,
                Holder::SameLogin => match &e.slot {
                    Slot::Pending(rx) => Claim::Wait(rx.clone()),
                    Slot::Done(s) => Claim::Done(s.clone()),
                },
            };
        }
        let (tx, rx) = watch::channel(None);
        g.by_code.insert(
            code,
            Entry {
                idem,
                grant,
                inserted: now,
                slot: Slot::Pending(rx),
            },
        );
        g.order.push_back((now, code));
        while g.by_code.len() > self.capacity {
            if !g.pop_oldest() {
                break;
            }
        }
        if g.order.len() > 2 * self.capacity + 16 {
            g.compact();
        }
        Claim::Fresh(tx)
    }

    /// Records the answer. `keep = false` forgets the code and key (the code was not consumed at
    /// DingTalk, so the app may retry); waiters get the answer either way.
    pub(crate) fn finish(
        &self,
        code: Digest,
        idem: Digest,
        tx: watch::Sender<Answer>,
        stored: Arc<Stored>,
        keep: bool,
    ) {
        {
            let mut g = self.inner.lock().expect("replay lock");
            let ours = g.by_code.get(&code).is_some_and(|e| e.idem == idem);
            if ours {
                if keep {
                    if let Some(e) = g.by_code.get_mut(&code) {
                        e.slot = Slot::Done(stored.clone());
                    }
                } else {
                    g.by_code.remove(&code);
                }
            }
        }
        let _ = tx.send(Some(stored));
    }
}

impl Store for MemoryStore {
    type Ticket = Ticket;
    type Waiter = watch::Receiver<Answer>;

    async fn claim(&self, keys: Keys) -> Result<Claim<Ticket, Self::Waiter>, StoreError> {
        Ok(
            match self.begin(keys.code, keys.idem, keys.grant, Instant::now()) {
                Claim::Fresh(tx) => Claim::Fresh(Ticket { keys, tx }),
                Claim::Wait(rx) => Claim::Wait(rx),
                Claim::Done(s) => Claim::Done(s),
                Claim::Replayed => Claim::Replayed,
                Claim::KeyReused => Claim::KeyReused,
            },
        )
    }

    async fn finish(
        &self,
        ticket: Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> Result<(), StoreError> {
        let Ticket { keys, tx } = ticket;
        MemoryStore::finish(self, keys.code, keys.idem, tx, stored, keep);
        Ok(())
    }

    async fn wait(
        self: &Arc<Self>,
        mut rx: Self::Waiter,
        bound: Duration,
    ) -> Result<Option<Arc<Stored>>, StoreError> {
        let answer = tokio::time::timeout(bound, async {
            rx.wait_for(|v| v.is_some()).await.map(|v| v.clone())
        })
        .await;
        match answer {
            Ok(Ok(v)) => Ok(v),
            // The exchange task ended without an answer (it panicked): nothing to wait for.
            Ok(Err(_)) => Err(StoreError(
                "the first attempt ended without an answer".into(),
            )),
            Err(_) => Ok(None),
        }
    }
}

impl Inner {
    fn expire(&mut self, now: Instant, ttl: Duration) {
        while let Some(&(t, _)) = self.order.front() {
            if now.duration_since(t) < ttl {
                break;
            }
            self.pop_oldest();
        }
    }

    /// Removes the oldest queue item, and its entry if the item is not stale. False when empty.
    fn pop_oldest(&mut self) -> bool {
        let Some((t, code)) = self.order.pop_front() else {
            return false;
        };
        if self.by_code.get(&code).is_some_and(|e| e.inserted == t) {
            self.by_code.remove(&code);
        }
        true
    }

    fn compact(&mut self) {
        let by_code = &self.by_code;
        self.order
            .retain(|(t, c)| by_code.get(c).is_some_and(|e| e.inserted == *t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::StatusCode;

    fn d(n: u32) -> Digest {
        let mut x = [0u8; 32];
        x[..4].copy_from_slice(&n.to_le_bytes());
        x
    }

    fn done() -> Arc<Stored> {
        Arc::new(Stored {
            status: StatusCode::OK,
            body: Bytes::from_static(b"{}"),
            error: None,
        })
    }

    #[test]
    fn replay_retry_and_release() {
        let s = MemoryStore::new(Duration::from_secs(60), 10);
        let now = Instant::now();
        let Claim::Fresh(tx) = s.begin(d(1), d(100), d(1000), now) else {
            panic!()
        };
        assert!(matches!(
            s.begin(d(1), d(100), d(1000), now),
            Claim::Wait(_)
        ));
        assert!(matches!(
            s.begin(d(1), d(101), d(1000), now),
            Claim::Replayed
        ));
        // The same code and key, another grant: refused.
        assert!(matches!(
            s.begin(d(1), d(100), d(1001), now),
            Claim::KeyReused
        ));
        // The same key with another code: another login (the one rule, `Holder`).
        assert!(matches!(
            s.begin(d(2), d(100), d(1001), now),
            Claim::Fresh(_)
        ));
        s.finish(d(1), d(100), tx, done(), true);
        assert!(matches!(
            s.begin(d(1), d(100), d(1000), now),
            Claim::Done(_)
        ));
        // released: a retry may exchange again
        let Claim::Fresh(tx) = s.begin(d(3), d(300), d(3000), now) else {
            panic!()
        };
        s.finish(d(3), d(300), tx, done(), false);
        assert!(matches!(
            s.begin(d(3), d(301), d(3000), now),
            Claim::Fresh(_)
        ));
    }

    #[test]
    fn ttl_and_capacity_bound_memory() {
        let s = MemoryStore::new(Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..10_000u32 {
            let Claim::Fresh(tx) = s.begin(d(i), d(i + 1_000_000), d(i), t0) else {
                panic!()
            };
            // half released, half kept: stale queue items must not grow without bound either
            s.finish(d(i), d(i + 1_000_000), tx, done(), i % 2 == 0);
            assert!(s.len() <= 100);
            assert!(s.inner.lock().unwrap().order.len() <= 2 * 100 + 16 + 1);
        }
        assert!((99..=100).contains(&s.len()), "{}", s.len());
        let later = t0 + Duration::from_secs(61);
        assert!(matches!(
            s.begin(d(5_000_000), d(5_000_001), d(0), later),
            Claim::Fresh(_)
        ));
        assert_eq!(s.len(), 1, "expired entries are dropped");
    }
}
