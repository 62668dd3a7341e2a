//! At-most-once exchange of each auth code, and idempotent retries, behind [`ReplayStore`]:
//! [`memory::MemoryStore`] for one instance (the default), [`redis::RedisStore`] shared by several.
//!
//! The same semantics in both: a code is claimed atomically before it is sent to DingTalk; the
//! answer is stored under the idempotency key; a second request with the same key waits for the
//! first one's answer (bounded); a code claimed under another key is refused without reaching
//! DingTalk. Entries are keyed by SHA-256 digests (the raw code is never kept).

pub(crate) mod memory;
pub(crate) mod redis;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use tokio::sync::watch;

pub(crate) type Digest = [u8; 32];

/// A boxed future, so that the store is usable as `dyn ReplayStore`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An answer kept for retries with the same idempotency key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub status: StatusCode,
    pub body: Bytes,
    pub error: Option<&'static str>,
}

/// The digests that identify a login: the code (per flow family), the idempotency key and the whole
/// grant (a key reused for another grant is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Keys {
    pub code: Digest,
    pub idem: Digest,
    pub grant: Digest,
}

/// What [`ReplayStore::claim`] decided.
pub(crate) enum Claim {
    /// First sight of this code and key, now claimed: exchange it, then [`ReplayStore::finish`].
    Fresh(Ticket),
    /// The same request is being exchanged right now (here or on another instance).
    Wait(Waiter),
    /// The same request already has an answer.
    Done(Arc<Stored>),
    /// The code was already claimed under another idempotency key.
    Replayed,
    /// The idempotency key was already used for a different grant.
    KeyReused,
}

/// The right (and duty) to record the answer of a fresh claim.
pub(crate) enum Ticket {
    /// Memory: waiters listen on the channel.
    Memory {
        keys: Keys,
        tx: watch::Sender<Option<Arc<Stored>>>,
    },
    /// Redis: the pending value this instance wrote (it carries a random owner token).
    Redis { keys: Keys, pending: String },
}

/// How to wait for another request's answer.
pub(crate) enum Waiter {
    /// Memory: the first request's channel.
    Memory(watch::Receiver<Option<Arc<Stored>>>),
    /// Redis: poll the idempotency key.
    Redis(Keys),
}

/// The store could not be reached or answered something unreadable. Logins fail closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where codes and idempotency keys are remembered.
pub(crate) trait ReplayStore: Send + Sync {
    /// Claims the code for this key, or says why not. Must be atomic across every instance that
    /// shares the store.
    fn claim(&self, keys: Keys) -> BoxFuture<'_, Result<Claim, StoreError>>;

    /// Records the answer of a fresh claim. `keep = false` (the code was not consumed at DingTalk)
    /// releases the code and key so the same grant can be retried; requests already waiting still
    /// get this answer.
    fn finish(
        &self,
        ticket: Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Waits at most `bound` for the answer of the request being exchanged; `None` when it has not
    /// answered by then (or its claim lapsed).
    fn wait(
        &self,
        waiter: Waiter,
        bound: Duration,
    ) -> BoxFuture<'_, Result<Option<Arc<Stored>>, StoreError>>;

    /// Codes remembered right now, when the store can count them cheaply.
    fn entries(&self) -> Option<usize>;

    /// `memory` or `redis`.
    fn kind(&self) -> &'static str;
}
