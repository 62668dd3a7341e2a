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

use super::{BoxFuture, Claim, Digest, Keys, ReplayStore, StoreError, Stored, Ticket, Waiter};

enum Slot {
    Pending(watch::Receiver<Option<Arc<Stored>>>),
    Done(Arc<Stored>),
}

struct Entry {
    idem: Digest,
    grant: Digest,
    inserted: Instant,
    slot: Slot,
}

/// What [`MemoryStore::begin`] decided.
pub(crate) enum Begin {
    /// First sight of this code and key: exchange it and call [`MemoryStore::finish`].
    Fresh(watch::Sender<Option<Arc<Stored>>>),
    /// The same request is being exchanged right now: wait for its answer.
    Wait(watch::Receiver<Option<Arc<Stored>>>),
    /// The same request already has an answer.
    Done(Arc<Stored>),
    /// The code was already used under another idempotency key.
    Replayed,
    /// The idempotency key was already used for a different grant.
    KeyReused,
}

/// Codes and keys in two maps and an insertion queue, under one lock.
pub(crate) struct MemoryStore {
    inner: Mutex<Inner>,
    ttl: Duration,
    capacity: usize,
}

struct Inner {
    by_code: HashMap<Digest, Entry>,
    by_idem: HashMap<Digest, Digest>,
    /// Insertion order (oldest first) for expiry and eviction; may hold stale items, compacted.
    order: VecDeque<(Instant, Digest)>,
}

impl MemoryStore {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        MemoryStore {
            inner: Mutex::new(Inner {
                by_code: HashMap::with_capacity(capacity.min(1 << 16)),
                by_idem: HashMap::with_capacity(capacity.min(1 << 16)),
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
        if let Some(code_of_key) = g.by_idem.get(&idem) {
            if *code_of_key != code {
                return Begin::KeyReused;
            }
            let e = g.by_code.get(&code).expect("indexes agree");
            if e.grant != grant {
                return Begin::KeyReused;
            }
            return match &e.slot {
                Slot::Pending(rx) => Begin::Wait(rx.clone()),
                Slot::Done(s) => Begin::Done(s.clone()),
            };
        }
        if g.by_code.contains_key(&code) {
            return Begin::Replayed;
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
        g.by_idem.insert(idem, code);
        g.order.push_back((now, code));
        while g.by_code.len() > self.capacity {
            if !g.pop_oldest() {
                break;
            }
        }
        if g.order.len() > 2 * self.capacity + 16 {
            g.compact();
        }
        Begin::Fresh(tx)
    }

    /// Records the answer. `keep = false` forgets the code and key (the code was not consumed at
    /// DingTalk, so the app may retry); waiters get the answer either way.
    pub(crate) fn finish(
        &self,
        code: Digest,
        idem: Digest,
        tx: watch::Sender<Option<Arc<Stored>>>,
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
                    g.by_idem.remove(&idem);
                }
            }
        }
        let _ = tx.send(Some(stored));
    }
}

impl ReplayStore for MemoryStore {
    fn claim(&self, keys: Keys) -> BoxFuture<'_, Result<Claim, StoreError>> {
        let claim = match self.begin(keys.code, keys.idem, keys.grant, Instant::now()) {
            Begin::Fresh(tx) => Claim::Fresh(Ticket::Memory { keys, tx }),
            Begin::Wait(rx) => Claim::Wait(Waiter::Memory(rx)),
            Begin::Done(s) => Claim::Done(s),
            Begin::Replayed => Claim::Replayed,
            Begin::KeyReused => Claim::KeyReused,
        };
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn finish(
        &self,
        ticket: Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let result = match ticket {
            Ticket::Memory { keys, tx } => {
                MemoryStore::finish(self, keys.code, keys.idem, tx, stored, keep);
                Ok(())
            }
            _ => Err(StoreError("a ticket of another store".into())),
        };
        Box::pin(std::future::ready(result))
    }

    fn wait(
        &self,
        waiter: Waiter,
        bound: Duration,
    ) -> BoxFuture<'_, Result<Option<Arc<Stored>>, StoreError>> {
        Box::pin(async move {
            let Waiter::Memory(mut rx) = waiter else {
                return Err(StoreError("a waiter of another store".into()));
            };
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
        })
    }

    fn entries(&self) -> Option<usize> {
        Some(self.len())
    }

    fn kind(&self) -> &'static str {
        "memory"
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
            let e = self.by_code.remove(&code).expect("present");
            self.by_idem.remove(&e.idem);
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
        let Begin::Fresh(tx) = s.begin(d(1), d(100), d(1000), now) else {
            panic!()
        };
        assert!(matches!(
            s.begin(d(1), d(100), d(1000), now),
            Begin::Wait(_)
        ));
        assert!(matches!(
            s.begin(d(1), d(101), d(1000), now),
            Begin::Replayed
        ));
        assert!(matches!(
            s.begin(d(2), d(100), d(1001), now),
            Begin::KeyReused
        ));
        s.finish(d(1), d(100), tx, done(), true);
        assert!(matches!(
            s.begin(d(1), d(100), d(1000), now),
            Begin::Done(_)
        ));
        // released: a retry may exchange again
        let Begin::Fresh(tx) = s.begin(d(3), d(300), d(3000), now) else {
            panic!()
        };
        s.finish(d(3), d(300), tx, done(), false);
        assert!(matches!(
            s.begin(d(3), d(301), d(3000), now),
            Begin::Fresh(_)
        ));
    }

    #[test]
    fn ttl_and_capacity_bound_memory() {
        let s = MemoryStore::new(Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for i in 0..10_000u32 {
            let Begin::Fresh(tx) = s.begin(d(i), d(i + 1_000_000), d(i), t0) else {
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
            Begin::Fresh(_)
        ));
        assert_eq!(s.len(), 1, "expired entries are dropped");
    }
}
