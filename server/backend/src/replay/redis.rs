//! The Redis replay store, shared by every instance of the backend.
//!
//! Two keys per login, both under the hash tag `{dtauth}` (one slot, so the scripts stay atomic on a
//! Redis Cluster too), both with a TTL (memory stays bounded by the TTL):
//! * `dtauth:{dtauth}:code:<hex>` → the idempotency key's hex digest: the claim of the code;
//! * `dtauth:{dtauth}:idem:<hex>` → `P|grant|code|owner` while pending (lease: the longest an
//!   exchange can take), `D|grant|code|answer` once kept (TTL: `--replay-ttl-secs`), or
//!   `T|grant|code|answer` for a released failure (short TTL, so that waiting requests still read
//!   it; a new claim treats it as absent).
//!
//! Claim and finish are Lua scripts (atomic: the claim is the `SET … PX` of both keys when neither
//! holds a claim, i.e. `SET NX` over two keys). Waiting requests poll the idempotency key. Every
//! operation has a deadline: an unreachable Redis is an error at once (the backend refuses the login
//! with 503 `replay_store_unavailable` and never sends the code to DingTalk), and the connection
//! manager reconnects by itself when Redis is back.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::OnceCell;

use super::{Claim, Digest, Keys, Store, StoreError, Stored};
use crate::error::ErrorCode;

const PREFIX: &str = "dtauth:{dtauth}:";
/// How long a released failure stays readable for requests that were waiting on it.
const TRANSIENT_TTL: Duration = Duration::from_secs(30);

const CLAIM: &str = r"
local e = redis.call('GET', KEYS[2])
if e and string.sub(e, 1, 1) ~= 'T' then return e end
if redis.call('EXISTS', KEYS[1]) == 1 then return 'R' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 'F'
";

const FINISH: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[5])
  if redis.call('GET', KEYS[1]) == ARGV[6] then redis.call('DEL', KEYS[1]) end
end
return 1
";

/// Timing of the Redis store.
#[derive(Clone, Copy, Debug)]
pub struct RedisTimings {
    /// How long kept answers (and claimed codes) are remembered.
    pub ttl: Duration,
    /// How long a pending claim lives without an answer (an instance that died mid-exchange releases
    /// the code after this).
    pub lease: Duration,
    /// Deadline of one Redis operation, connecting included.
    pub op_timeout: Duration,
}

/// A fresh claim: the login's keys and the pending value this instance wrote (it carries a random
/// owner token, so only this claim's answer replaces it).
pub(crate) struct Ticket {
    keys: Keys,
    pending: String,
}

/// The shared store.
pub(crate) struct RedisStore {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    timings: RedisTimings,
    claim: Script,
    finish: Script,
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn code_key(k: &Keys) -> String {
    format!("{PREFIX}code:{}", hex(&k.code))
}

fn idem_key(k: &Keys) -> String {
    format!("{PREFIX}idem:{}", hex(&k.idem))
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

/// `D|grant|code|{"s":status,"e":error,"b":body}` (and `T|…`).
fn encode(tag: char, k: &Keys, s: &Stored) -> String {
    let v = serde_json::json!({
        "s": s.status.as_u16(),
        "e": s.error,
        "b": String::from_utf8_lossy(&s.body),
    });
    format!("{tag}|{}|{}|{v}", hex(&k.grant), hex(&k.code))
}

fn decode_answer(json: &str) -> Result<Stored, StoreError> {
    let bad = || StoreError("unreadable answer in the replay store".into());
    let v: serde_json::Value = serde_json::from_str(json).map_err(|_| bad())?;
    let status = v["s"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .ok_or_else(bad)?;
    let error = match &v["e"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(e) => Some(ErrorCode::from_wire(e).ok_or_else(bad)?.as_str()),
        _ => return Err(bad()),
    };
    let body = v["b"].as_str().ok_or_else(bad)?;
    Ok(Stored {
        status,
        body: Bytes::from(body.to_owned()),
        error,
    })
}

/// A value of the idempotency key: its tag, grant and code digests (hex) and the rest.
struct Entry<'a> {
    tag: &'a str,
    grant: &'a str,
    code: &'a str,
    rest: &'a str,
}

fn parse_entry(v: &str) -> Result<Entry<'_>, StoreError> {
    let mut it = v.splitn(4, '|');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(tag @ ("P" | "D" | "T")), Some(grant), Some(code), Some(rest)) => Ok(Entry {
            tag,
            grant,
            code,
            rest,
        }),
        _ => Err(StoreError("unreadable entry in the replay store".into())),
    }
}

impl RedisStore {
    /// A store at `url` (`redis://[user:password@]host:port[/db]`). Connects lazily: the backend
    /// starts while Redis is down and refuses logins until it is up.
    pub(crate) fn new(url: &str, timings: RedisTimings) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("replay store URL: {e}"))?;
        Ok(RedisStore {
            client,
            conn: OnceCell::new(),
            timings,
            claim: Script::new(CLAIM),
            finish: Script::new(FINISH),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let t = self.timings.op_timeout;
        let con = self
            .conn
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(t)
                    .set_response_timeout(t)
                    // Reconnect in the background without long waits; requests meanwhile fail fast.
                    .set_number_of_retries(2)
                    .set_factor(10)
                    .set_max_delay(200);
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .map_err(|e| StoreError(format!("cannot connect to Redis: {e}")))?;
        Ok(con.clone())
    }

    /// Runs `f` with a connection, within the operation deadline.
    async fn op<T, F, Fut>(&self, what: &str, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let run = async {
            let con = self.connection().await?;
            f(con)
                .await
                .map_err(|e| StoreError(format!("Redis {what}: {e}")))
        };
        match tokio::time::timeout(self.timings.op_timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(StoreError(format!(
                "Redis {what}: no answer within {:?}",
                self.timings.op_timeout
            ))),
        }
    }
}

impl Store for RedisStore {
    type Ticket = Ticket;
    /// Waiting polls the idempotency key.
    type Waiter = Keys;

    async fn claim(&self, keys: Keys) -> Result<Claim<Ticket, Keys>, StoreError> {
        let owner = crate::serve::random_hex(16);
        let pending = format!("P|{}|{}|{owner}", hex(&keys.grant), hex(&keys.code));
        let (ck, ik) = (code_key(&keys), idem_key(&keys));
        let answer: String = self
            .op("claim", |mut con| {
                let pending = pending.clone();
                async move {
                    self.claim
                        .key(ck)
                        .key(ik)
                        .arg(hex(&keys.idem))
                        .arg(pending)
                        .arg(ms(self.timings.lease))
                        .invoke_async(&mut con)
                        .await
                }
            })
            .await?;
        match answer.as_str() {
            "F" => return Ok(Claim::Fresh(Ticket { keys, pending })),
            "R" => return Ok(Claim::Replayed),
            _ => {}
        }
        let e = parse_entry(&answer)?;
        if e.code != hex(&keys.code) || e.grant != hex(&keys.grant) {
            return Ok(Claim::KeyReused);
        }
        match e.tag {
            "P" => Ok(Claim::Wait(keys)),
            _ => Ok(Claim::Done(Arc::new(decode_answer(e.rest)?))),
        }
    }

    async fn finish(
        &self,
        Ticket { keys, pending }: Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> Result<(), StoreError> {
        let value = encode(if keep { 'D' } else { 'T' }, &keys, &stored);
        let (ck, ik) = (code_key(&keys), idem_key(&keys));
        let _: i64 = self
            .op("finish", |mut con| async move {
                self.finish
                    .key(ck)
                    .key(ik)
                    .arg(pending)
                    .arg(value)
                    .arg(ms(self.timings.ttl))
                    .arg(if keep { "1" } else { "0" })
                    .arg(ms(TRANSIENT_TTL))
                    .arg(hex(&keys.idem))
                    .invoke_async(&mut con)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn wait(&self, keys: Keys, bound: Duration) -> Result<Option<Arc<Stored>>, StoreError> {
        let deadline = tokio::time::Instant::now() + bound;
        let ik = idem_key(&keys);
        let mut pause = Duration::from_millis(5);
        loop {
            let v: Option<String> = self
                .op("wait", |mut con| {
                    let ik = ik.clone();
                    async move { redis::cmd("GET").arg(ik).query_async(&mut con).await }
                })
                .await?;
            let Some(v) = v else {
                return Ok(None); // the claim lapsed: its instance died mid-exchange
            };
            let e = parse_entry(&v)?;
            if e.tag != "P" {
                return Ok(Some(Arc::new(decode_answer(e.rest)?)));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip() {
        let k = Keys {
            code: [1; 32],
            idem: [2; 32],
            grant: [3; 32],
        };
        let s = Stored {
            status: StatusCode::UNAUTHORIZED,
            body: Bytes::from_static(br#"{"error":"invalid_code","message":"a|b"}"#),
            error: Some("invalid_code"),
        };
        let v = encode('D', &k, &s);
        let e = parse_entry(&v).unwrap();
        assert_eq!(
            (e.tag, e.grant, e.code),
            ("D", &*hex(&[3; 32]), &*hex(&[1; 32]))
        );
        assert_eq!(decode_answer(e.rest).unwrap(), s);
        assert!(parse_entry("X|a|b|c").is_err());
        assert!(decode_answer(r#"{"s":200,"e":"no_such_code","b":"{}"}"#).is_err());
    }
}
