//! At-most-once exchange of each auth code, and idempotent retries.
//!
//! [`ReplayStore`] is a closed set: [`memory::MemoryStore`] for one instance (the default) or
//! [`redis::RedisStore`] shared by several. Each implements [`Store`] with its own ticket and waiter
//! types, so a ticket of one store can never reach the other.
//!
//! The same semantics in both: a code is claimed atomically before it is sent to DingTalk; the
//! answer is stored under the idempotency key; a second request with the same key waits for the
//! first one's answer (bounded); a code claimed under another key is refused without reaching
//! DingTalk. Entries are keyed by SHA-256 digests (the raw code is never kept).
//!
//! [`ReplayStore::exchange_once`] is the whole protocol — one task that claims, runs the exchange
//! and records the answer, or waits for another request's answer — so a change to how a claim and
//! its exchange are tied together happens here and nowhere else.

pub(crate) mod memory;
pub(crate) mod redis;
mod seal;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use dingtalk_auth::wire::GrantV1;
use sha2::{Digest as _, Sha256};

use crate::config::{BackendConfig, ReplayStoreConfig};
use memory::MemoryStore;
use redis::{RedisStore, RedisTimings};

pub(crate) type Digest = [u8; 32];

/// An answer kept for retries with the same idempotency key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub status: StatusCode,
    pub body: Bytes,
    pub error: Option<&'static str>,
}

/// The digests that identify a login: the code (per DingTalk API family), the idempotency key and
/// the whole grant (a key reused for another grant is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Keys {
    pub code: Digest,
    pub idem: Digest,
    pub grant: Digest,
}

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

impl Keys {
    /// The digests of a grant. A code is only unique within its API family (legacy or v1.0).
    pub(crate) fn of(grant: &GrantV1) -> Keys {
        let family: &[u8] = if grant.flow.uses_v1_api() {
            b"v1"
        } else {
            b"legacy"
        };
        Keys::of_code(
            family,
            &grant.code,
            &grant.idempotency_key,
            &[
                grant.flow.wire_name().as_bytes(),
                grant.client_id.as_bytes(),
                grant.platform.wire_name().as_bytes(),
                grant.scope.as_bytes(),
                grant.code.as_bytes(),
            ],
        )
    }

    /// The digests of a code of an API `family` submitted under `idem`, the request being
    /// `request` (a key reused for another request is refused). The workbench page's codes (free
    /// login, its browser login) use it directly.
    pub(crate) fn of_code(family: &[u8], code: &str, idem: &str, request: &[&[u8]]) -> Keys {
        let mut grant: Vec<&[u8]> = vec![b"grant"];
        grant.extend_from_slice(request);
        Keys {
            code: sha256(&[b"code", family, code.as_bytes()]),
            idem: sha256(&[b"idem", idem.as_bytes()]),
            grant: sha256(&grant),
        }
    }

    /// The first 8 hex digits of the idempotency key's digest: enough to follow a login in the logs,
    /// useless to replay it.
    pub(crate) fn log_id(&self) -> String {
        self.idem[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// How a request relates to the login that already holds its code: the one key-reuse rule both
/// stores apply, each to what it kept of that login (full digests in memory, their first 128 bits
/// in Redis).
///
/// An idempotency key is scoped to the code it was sent with: the same key with the same code and
/// the same grant is the same login; with the same code but another grant it is refused
/// (`idempotency_key_reused`: the first answer, session token included, must never reach another
/// grant); another key with the same code is a replay. The same key with *another code* is simply
/// another login (the stores index logins by code only): it can never receive another code's
/// answer, and refusing it would need a second index, which on Redis is a second key in another
/// Cluster slot (see the server README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The same login: wait for its answer, or answer it again.
    SameLogin,
    /// The code was claimed under another idempotency key.
    CodeReplayed,
    /// The same code and key, another grant.
    KeyReused,
}

impl Holder {
    /// The rule, given the idempotency key and grant of the login holding the code and those of
    /// the request.
    pub(crate) fn of<T: PartialEq + ?Sized>(
        held_idem: &T,
        held_grant: &T,
        idem: &T,
        grant: &T,
    ) -> Holder {
        if held_idem != idem {
            Holder::CodeReplayed
        } else if held_grant != grant {
            Holder::KeyReused
        } else {
            Holder::SameLogin
        }
    }
}

/// What a store's claim decided.
pub(crate) enum Claim<Ticket, Waiter> {
    /// First sight of this code and key, now claimed: exchange it, then [`Store::finish`].
    Fresh(Ticket),
    /// The same request is being exchanged right now (here or on another instance).
    Wait(Waiter),
    /// The same request already has an answer.
    Done(Arc<Stored>),
    /// The code was already claimed under another idempotency key.
    Replayed,
    /// The idempotency key was already used with this code for a different grant.
    KeyReused,
}

/// The store could not be reached or answered something unreadable. Logins fail closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One replay store. `Ticket` is the right (and duty) to record the answer of a fresh claim;
/// `Waiter` is how to wait for another request's answer.
pub(crate) trait Store: Send + Sync + 'static {
    type Ticket: Send + 'static;
    type Waiter: Send;

    /// Claims the code for this key, or says why not. Atomic across every instance that shares the
    /// store.
    fn claim(
        &self,
        keys: Keys,
    ) -> impl Future<Output = Result<Claim<Self::Ticket, Self::Waiter>, StoreError>> + Send;

    /// Records the answer of a fresh claim. `keep = false` (the code was not consumed at DingTalk)
    /// releases the code and key so the same grant can be retried; requests already waiting still
    /// get this answer.
    fn finish(
        &self,
        ticket: Self::Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Waits at most `bound` for the answer of the request being exchanged; `None` when it has not
    /// answered by then (or its claim lapsed).
    fn wait(
        self: &Arc<Self>,
        waiter: Self::Waiter,
        bound: Duration,
    ) -> impl Future<Output = Result<Option<Arc<Stored>>, StoreError>> + Send;
}

/// Where codes and idempotency keys are remembered.
#[derive(Clone)]
pub(crate) enum ReplayStore {
    Memory(Arc<MemoryStore>),
    Redis(Arc<RedisStore>),
}

/// What [`ReplayStore::exchange_once`] answers for a login.
pub(crate) enum Verdict {
    /// This request ran the exchange; here is its answer.
    Exchanged(Arc<Stored>),
    /// An earlier request with the same key ran it; here is its answer again.
    Replay(Arc<Stored>),
    /// The earlier request with the same key has not answered within the wait bound.
    Pending,
    /// The code was already submitted under another idempotency key.
    CodeReplayed,
    /// The idempotency key was already used for a different grant.
    KeyReused,
}

/// Why [`ReplayStore::exchange_once`] has no verdict.
pub(crate) enum OnceError {
    /// The store is unreachable or unreadable: nothing was sent to DingTalk (the store logged why).
    Store,
    /// The exchange task ended without an answer (it panicked).
    ExchangeTaskFailed,
}

impl From<StoreError> for OnceError {
    fn from(_: StoreError) -> Self {
        OnceError::Store
    }
}

impl ReplayStore {
    /// The store `config.replay_store` names. A Redis store connects lazily: the backend starts
    /// while Redis is down and refuses logins until it is up.
    pub(crate) fn new(config: &BackendConfig) -> Result<Self, String> {
        Ok(match &config.replay_store {
            ReplayStoreConfig::Memory => ReplayStore::Memory(Arc::new(MemoryStore::new(
                config.replay_ttl,
                config.replay_capacity,
            ))),
            ReplayStoreConfig::Redis(redis) => {
                let timings = RedisTimings {
                    ttl: config.replay_ttl,
                    // A claim outlives any exchange and any wait for it.
                    lease: config.replay_wait().max(config.exchange_bound())
                        + Duration::from_secs(5),
                    op_timeout: redis.op_timeout,
                };
                ReplayStore::Redis(Arc::new(RedisStore::new(redis, timings)?))
            }
        })
    }

    /// Runs `exchange` at most once per code across every instance sharing the store: claims the
    /// code, runs the exchange and records its answer; or answers what an earlier request with the
    /// same key got, waiting at most `wait` for it. `exchange` yields the answer and whether to keep
    /// it (false when the code was not consumed, so a retry may succeed).
    ///
    /// Claim, exchange and record are one task, spawned before the claim: a client that hangs up
    /// cancels only its wait for the answer, never a claim without its exchange nor a half-done
    /// exchange. Every code exchange goes through here.
    pub(crate) async fn exchange_once<F>(
        &self,
        keys: Keys,
        wait: Duration,
        exchange: F,
    ) -> Result<Verdict, OnceError>
    where
        F: Future<Output = (Stored, bool)> + Send + 'static,
    {
        let unit = match self {
            ReplayStore::Memory(s) => tokio::spawn(once(s.clone(), keys, wait, exchange)),
            ReplayStore::Redis(s) => tokio::spawn(once(s.clone(), keys, wait, exchange)),
        };
        unit.await.map_err(|_| OnceError::ExchangeTaskFailed)?
    }

    /// Whether logins can be served: the readiness probe. Always ready in memory.
    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
        match self {
            ReplayStore::Memory(_) => Ok(()),
            ReplayStore::Redis(s) => s.ready().await,
        }
    }

    /// The start-up check: connects once and writes, answering what the store said when it
    /// cannot; then watches the store in the background. Nothing to check in memory.
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        match self {
            ReplayStore::Memory(_) => Ok(()),
            ReplayStore::Redis(s) => {
                s.check().await?;
                tokio::spawn(s.clone().watch_epoch());
                Ok(())
            }
        }
    }

    /// Codes remembered right now, when the store can count them cheaply (memory only).
    pub(crate) fn entries(&self) -> Option<usize> {
        match self {
            ReplayStore::Memory(s) => Some(s.len()),
            ReplayStore::Redis(_) => None,
        }
    }

    /// `memory` or `redis`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ReplayStore::Memory(_) => "memory",
            ReplayStore::Redis(_) => "redis",
        }
    }
}

async fn once<S: Store, F>(
    store: Arc<S>,
    keys: Keys,
    wait: Duration,
    exchange: F,
) -> Result<Verdict, OnceError>
where
    F: Future<Output = (Stored, bool)> + Send + 'static,
{
    let ticket = match store.claim(keys).await? {
        Claim::Fresh(ticket) => ticket,
        Claim::Wait(w) => {
            return Ok(match store.wait(w, wait).await? {
                Some(s) => Verdict::Replay(s),
                None => Verdict::Pending,
            })
        }
        Claim::Done(s) => return Ok(Verdict::Replay(s)),
        Claim::Replayed => return Ok(Verdict::CodeReplayed),
        Claim::KeyReused => return Ok(Verdict::KeyReused),
    };
    let (stored, keep) = exchange.await;
    let stored = Arc::new(stored);
    if let Err(e) = store.finish(ticket, stored.clone(), keep).await {
        // The answer still goes to the client; a retry after the claim's lease lapses reaches
        // DingTalk, which refuses a spent code.
        tracing::error!(key = keys.log_id(), error = %e, "could not record the answer in the replay store");
    }
    Ok(Verdict::Exchanged(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_reuse_rule() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(Holder::of(&a, &a, &a, &a), Holder::SameLogin);
        assert_eq!(Holder::of(&a, &a, &a, &b), Holder::KeyReused);
        assert_eq!(Holder::of(&a, &a, &b, &a), Holder::CodeReplayed);
        assert_eq!(Holder::of(&a, &a, &b, &b), Holder::CodeReplayed);
        assert_eq!(Holder::of("aa", "bb", "aa", "bb"), Holder::SameLogin);
    }
}
