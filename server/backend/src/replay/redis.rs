//! The Redis replay store, shared by every instance of the backend: one Redis server (`redis://`,
//! `rediss://` over TLS) or a Redis Cluster (`redis+cluster://`, `rediss+cluster://`).
//!
//! One key per login, `dtauth:{<code digest>}`: the braces are the key's hash tag, so on a Cluster
//! each login lives in one slot and logins spread over every slot (and shard). Its value:
//! * `P|idem|grant|owner|deadline|lease` while the exchange runs (TTL: the lease, the longest an
//!   exchange can take; `deadline` is the instant, in Unix ms, the claiming request stopped waiting);
//! * `D|idem|grant|sealed answer` once kept (TTL: `--replay-ttl-secs`);
//! * `T|idem|grant|sealed answer` for a released failure (short TTL, read by requests that were
//!   already waiting; a new claim treats it as absent).
//!
//! `idem` and `grant` are 128-bit digests of the idempotency key and of the whole grant; the sealed
//! answer is AES-256-GCM under the operator's key (see [`super::seal`]). Nothing in a key or value
//! is a code, token or identity in clear.
//!
//! A fresh claim is one plain command, `SET key pending NX GET PX lease` (Redis >= 7.0): it claims
//! the code, or answers the value already there in the same round trip, with no script to run.
//! A kept answer (`D`) is judged from that value alone. Only a code still pending (`P`) or released
//! (`T`) runs the [`TAKE_OVER`] script, which also keeps a late claim harmless: a claim that Redis
//! wrote after its request had answered 503 (Redis stalled, then resumed) is void, judged by
//! Redis's own clock and the key's remaining TTL, and the next claim takes the code at once, so a
//! late claim never holds a code for a lease without an exchange behind it. The finish script
//! replaces only its own pending value and publishes the new value on the login's shard channel:
//! requests waiting for that login (on any instance) are notified, each instance holding one
//! subscription per login however many of its requests wait, instead of polling.
//!
//! Every operation has a deadline: an unreachable Redis is an error at once (the backend refuses the
//! login with 503 `replay_store_unavailable` and never sends the code to DingTalk), and the
//! connection reconnects by itself when Redis is back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dingtalk_openapi::Secret;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, Pipeline, PushInfo, PushKind, RedisFuture, Script, Value};
use tokio::sync::{watch, OnceCell};

use super::seal::Sealer;
use super::{Claim, Digest, Holder, Keys, Store, StoreError, Stored};
use crate::config::RedisStoreConfig;

/// How long a released failure stays readable for requests that were waiting on it.
const TRANSIENT_TTL: Duration = Duration::from_secs(30);
/// The key whose value identifies this Redis's data set (see [`RedisStore::watch_epoch`]).
const EPOCH_KEY: &str = "dtauth:epoch";
/// How often each instance checks the store (and its epoch) in the background.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Runs only when the plain claim (`SET … NX GET`) found the key held by a pending claim or a
/// released failure: takes the key over when that claim is void, else answers its value.
/// KEYS[1]: the login key; ARGV: [1] our pending value, [2] our lease (ms), [3] our deadline (unix
/// ms, the instant our request stops waiting).
///
/// A pending claim is void when Redis wrote it after its own deadline (the instant its request had
/// already answered 503): Redis stalled with the claim queued, then ran it late. Its request
/// never runs the exchange, so the code is unspent and this claim may take it. When it was written
/// comes from Redis alone: its own clock (`TIME`) minus the part of the lease already gone (`PTTL`).
const TAKE_OVER: &str = r"
local e = redis.call('GET', KEYS[1])
if e == ARGV[1] then return 'F' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = (not e) or string.sub(e, 1, 1) == 'T'
if e and string.sub(e, 1, 1) == 'P' then
  local deadline, lease = string.match(e, '|(%d+)|(%d+)$')
  local ttl = redis.call('PTTL', KEYS[1])
  free = deadline ~= nil and ttl > 0 and now - (tonumber(lease) - ttl) > tonumber(deadline)
end
if not free then return e end
if now > tonumber(ARGV[3]) then return 'L' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'F'
";

/// Replaces our own pending value with the answer and notifies the login's waiters. `SPUBLISH`
/// (Redis >= 7.0, sharded pub/sub): on a Cluster the message stays in the shard that owns the
/// login's slot, where `PUBLISH` is broadcast over the cluster bus to every node
/// (https://redis.io/docs/latest/develop/interact/pubsub/#sharded-pubsub); on one server it works
/// the same, so there is one code path.
const FINISH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SPUBLISH', KEYS[1], ARGV[2])
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

/// A fresh claim: the login's key and the pending value this instance wrote (it carries a random
/// owner token, so only this claim's answer replaces it).
pub(crate) struct Ticket {
    keys: Keys,
    pending: String,
}

/// A request waiting for the answer of the same login's exchange.
pub(crate) struct Waiter(Keys);

/// A connection to one server or to a Cluster; both run the same scripts.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// How to reach Redis: one server, or the seed nodes of a Cluster.
enum Target {
    Single(Client),
    Cluster(redis::cluster::ClusterClient, Vec<Client>),
}

/// How to open the subscription connection (RESP3, whose pushes carry the shard channels'
/// messages): to the server, or a cluster-aware connection that sends each `SSUBSCRIBE` to the
/// node owning the channel's slot (the redis crate's `ClusterConnection::ssubscribe`).
enum SubTarget {
    Single(Client),
    Cluster(Vec<String>, Option<Vec<u8>>, Duration),
}

/// The subscription connection; the messages arrive on the push channel it was opened with.
enum Subscriber {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// What the instance last saw of the store, so that each change of state is one log line that
/// carries Redis's own reason: down (once the background check has asked a fresh connection why;
/// the error a request met first is often only the client library's wording, or "no answer"),
/// each new reason while down, and up again.
#[derive(Default)]
struct Health {
    /// Mirrors `state.down`, so that the hot path reads one atomic instead of taking the lock.
    down: std::sync::atomic::AtomicBool,
    state: Mutex<HealthState>,
    /// Wakes the background check at once when the store goes down, so the reason is logged
    /// without waiting for its next tick.
    probe: tokio::sync::Notify,
}

#[derive(Default)]
struct HealthState {
    down: bool,
    /// The error the first failed operation met.
    first: Option<String>,
    /// The reason last logged while down: `None` until the down line is written.
    logged: Option<String>,
}

/// A reason without the operation that met it ("Redis ping: …", "Redis connect: …"): the same
/// refusal read by another operation is no new state.
fn gist(s: &str) -> &str {
    s.split_once(": ").map_or(s, |(_, g)| g)
}

impl Health {
    fn note<T>(&self, r: &Result<T, StoreError>) {
        use std::sync::atomic::Ordering::SeqCst;
        match r {
            Ok(_) => {
                if self.down.load(SeqCst) {
                    let mut st = self.state.lock().expect("health lock");
                    if st.down {
                        st.down = false;
                        self.down.store(false, SeqCst);
                        if st.logged.is_none() {
                            // Back before the background check could ask why: the down state
                            // still gets its one line, with the error the requests met.
                            let first = st.first.as_deref().unwrap_or("unknown");
                            tracing::error!(error = %first, "replay store unavailable: refusing logins");
                        }
                        st.first = None;
                        st.logged = None;
                        tracing::warn!("replay store reachable again: accepting logins");
                    }
                }
            }
            Err(e) => {
                if !self.down.load(SeqCst) {
                    let mut st = self.state.lock().expect("health lock");
                    if !st.down {
                        st.down = true;
                        self.down.store(true, SeqCst);
                        st.first = Some(e.0.clone());
                        st.logged = None;
                        self.probe.notify_one();
                    }
                }
            }
        }
    }

    /// While down: the reason last read from Redis (see [`Health::explain`]), else the first error.
    fn reason(&self) -> Option<String> {
        let st = self.state.lock().expect("health lock");
        if st.down {
            st.logged.clone().or_else(|| st.first.clone())
        } else {
            None
        }
    }

    /// While down: what a fresh connection says (`None`: it was accepted, so the first error is
    /// the reason), logged when it is new.
    fn explain(&self, e: Option<&StoreError>) {
        let mut st = self.state.lock().expect("health lock");
        if !st.down {
            return;
        }
        let Some(why) = e.map(|e| e.0.clone()).or_else(|| st.first.clone()) else {
            return;
        };
        if st.logged.as_deref().map(gist) != Some(gist(&why)) {
            tracing::error!(error = %why, "replay store unavailable: refusing logins");
            st.logged = Some(why);
        }
    }
}

/// What a waiting request learns about a login.
#[derive(Clone)]
enum Note {
    Nothing,
    /// The key's new value; empty when the key is gone (the claim's lease lapsed).
    Value(String),
    /// The subscription connection dropped: the answer cannot be awaited.
    Lost,
}

/// One subscription per login this instance waits for, shared by its waiting requests.
struct Waiting {
    tx: watch::Sender<Note>,
    count: usize,
    id: u64,
}

#[derive(Default)]
struct Hub {
    sink: tokio::sync::Mutex<Option<Subscriber>>,
    waiting: Mutex<HashMap<String, Waiting>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// Leaves the login's subscription when the last waiting request is done.
struct Leave<'a> {
    store: &'a Arc<RedisStore>,
    key: String,
    id: u64,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let gone = {
            let mut w = self.store.hub.waiting.lock().expect("hub lock");
            match w.get_mut(&self.key) {
                Some(e) if e.id == self.id => {
                    e.count -= 1;
                    if e.count == 0 {
                        w.remove(&self.key);
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            }
        };
        if gone {
            let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
            tokio::spawn(async move { store.unsubscribe(key).await });
        }
    }
}

/// The shared store.
pub(crate) struct RedisStore {
    target: Target,
    sub_target: SubTarget,
    /// The shared connection; replaced by the background check when it stays refused while a
    /// fresh connection is accepted (see [`RedisStore::watch_epoch`]).
    conn: std::sync::RwLock<Arc<OnceCell<Conn>>>,
    timings: RedisTimings,
    sealer: Sealer,
    take_over: Script,
    finish: Script,
    health: Health,
    hub: Hub,
    /// Epoch key → the value this instance wrote or found (one key per Cluster master).
    epoch: Mutex<HashMap<String, String>>,
}

fn hex(d: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * d.len());
    for b in d {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The login's key (also its channel): the code's digest, 128 bits, as the hash tag.
fn login_key(k: &Keys) -> String {
    format!("dtauth:{{{}}}", hex(&k.code[..16]))
}

fn short(d: &Digest) -> String {
    hex(&d[..16])
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A value of the login key: its tag, idempotency-key and grant digests (hex) and the rest.
struct Entry<'a> {
    tag: &'a str,
    idem: &'a str,
    grant: &'a str,
    rest: &'a str,
}

fn parse_entry(v: &str) -> Result<Entry<'_>, StoreError> {
    let mut it = v.splitn(4, '|');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(tag @ ("P" | "D" | "T")), Some(idem), Some(grant), Some(rest)) => Ok(Entry {
            tag,
            idem,
            grant,
            rest,
        }),
        _ => Err(StoreError("unreadable entry in the replay store".into())),
    }
}

/// The error as Redis (or the network, or TLS) said it, on one line.
fn said(what: &str, e: &redis::RedisError) -> StoreError {
    let text = e.to_string().replace(['\r', '\n'], " ");
    StoreError(format!("Redis {what}: {text}"))
}

/// Writes a new epoch unless one is there, and reads the epoch that is.
fn epoch_write(key: &str) -> redis::Pipeline {
    let mut p = redis::pipe();
    p.cmd("SET")
        .arg(key)
        .arg(crate::serve::random_hex(16))
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(key);
    p
}

/// (shard, epoch key): one for a single server; on a Cluster one per master, read again each time
/// so a failover or resharding moves the check with the slots.
async fn epoch_keys<C: ConnectionLike + Send>(
    cluster: bool,
    c: &mut C,
) -> redis::RedisResult<Vec<(String, String)>> {
    if !cluster {
        return Ok(vec![("redis".into(), EPOCH_KEY.into())]);
    }
    let slots: redis::Value = redis::cmd("CLUSTER").arg("SLOTS").query_async(c).await?;
    let keys = epoch_keys_of(&slots);
    if keys.is_empty() {
        return Err((redis::ErrorKind::ResponseError, "CLUSTER SLOTS: no master").into());
    }
    Ok(keys)
}

/// Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384
/// (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model).
fn key_slot(key: &str) -> u16 {
    let mut k = key.as_bytes();
    if let Some(open) = k.iter().position(|&b| b == b'{') {
        if let Some(len) = k[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                k = &k[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &b in k {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

/// One epoch key per master of a Cluster (`CLUSTER SLOTS`' reply): for each, a hash-tagged key in
/// one of its slots, so a master that restarts empty loses its own key and is named.
fn epoch_keys_of(slots: &redis::Value) -> Vec<(String, String)> {
    use redis::Value as V;
    let text = |v: &V| match v {
        V::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        V::SimpleString(s) => Some(s.clone()),
        V::Int(i) => Some(i.to_string()),
        _ => None,
    };
    let mut masters: Vec<(String, Vec<(u16, u16)>)> = Vec::new();
    let V::Array(ranges) = slots else {
        return Vec::new();
    };
    for range in ranges {
        let V::Array(f) = range else { continue };
        let (Some(V::Int(lo)), Some(V::Int(hi)), Some(V::Array(node))) =
            (f.first(), f.get(1), f.get(2))
        else {
            continue;
        };
        let (Some(host), Some(port)) = (node.first().and_then(text), node.get(1).and_then(text))
        else {
            continue;
        };
        let shard = format!("{host}:{port}");
        let r = (*lo as u16, *hi as u16);
        match masters.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, rs)) => rs.push(r),
            None => masters.push((shard, vec![r])),
        }
    }
    masters
        .into_iter()
        .filter_map(|(shard, rs)| {
            (0..100_000u32)
                .map(|n| format!("{EPOCH_KEY}:{{{n}}}"))
                .find(|k| {
                    let s = key_slot(k);
                    rs.iter().any(|&(lo, hi)| (lo..=hi).contains(&s))
                })
                .map(|k| (shard, k))
        })
        .collect()
}

/// `rediss+cluster://u:p@h1:1,h2:2` → `rediss://u:p@h1:1`, `rediss://u:p@h2:2`.
fn cluster_nodes(url: &str) -> Result<Vec<String>, String> {
    let (scheme, rest) = url.split_once("+cluster://").ok_or("not a cluster URL")?;
    let (userinfo, hosts) = match rest.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), rest),
    };
    let hosts = hosts.trim_end_matches('/');
    let nodes: Vec<String> = hosts
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| format!("{scheme}://{userinfo}{h}"))
        .collect();
    if nodes.is_empty() {
        return Err("replay store URL: a cluster URL needs at least one host:port".into());
    }
    Ok(nodes)
}

impl RedisStore {
    /// A store as `config` says. Connects lazily (see [`RedisStore::check`] for the start-up
    /// check).
    pub(crate) fn new(config: &RedisStoreConfig, timings: RedisTimings) -> Result<Self, String> {
        // rustls needs one process-wide crypto provider; ring is the one the workspace builds.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca = match &config.tls_ca_file {
            Some(p) => Some(
                std::fs::read(p)
                    .map_err(|e| format!("replay store CA file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        // A URL or a connection description (the subscriber's, switched to RESP3), with the CA if any.
        let client = |info: redis::ConnectionInfo| -> Result<Client, String> {
            let r = match &ca {
                Some(pem) => Client::build_with_tls(
                    info,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem.clone()),
                    },
                ),
                None => Client::open(info),
            };
            r.map_err(|e| format!("replay store URL: {e}"))
        };
        let info = |url: &str| {
            redis::IntoConnectionInfo::into_connection_info(url)
                .map_err(|e| format!("replay store URL: {e}"))
        };
        let (target, sub_target) = if config.url.contains("+cluster://") {
            let nodes = cluster_nodes(&config.url)?;
            let mut b = redis::cluster::ClusterClientBuilder::new(nodes.clone())
                .connection_timeout(timings.op_timeout)
                .response_timeout(timings.op_timeout)
                .retries(2);
            if let Some(pem) = &ca {
                b = b.certs(redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                });
            }
            let cluster = b.build().map_err(|e| format!("replay store URL: {e}"))?;
            let seeds = nodes
                .iter()
                .map(|n| client(info(n)?))
                .collect::<Result<Vec<_>, _>>()?;
            (
                Target::Cluster(cluster, seeds),
                SubTarget::Cluster(nodes, ca.clone(), timings.op_timeout),
            )
        } else {
            let single = client(info(&config.url)?)?;
            let mut resp3 = single.get_connection_info().clone();
            resp3.redis.protocol = redis::ProtocolVersion::RESP3;
            let sub = client(resp3)?;
            (Target::Single(single), SubTarget::Single(sub))
        };
        Ok(RedisStore {
            target,
            sub_target,
            conn: std::sync::RwLock::new(Arc::new(OnceCell::new())),
            timings,
            sealer: Sealer::new(&config.answer_keys),
            take_over: Script::new(TAKE_OVER),
            finish: Script::new(FINISH),
            health: Health::default(),
            hub: Hub::default(),
            epoch: Mutex::new(HashMap::new()),
        })
    }

    async fn connect(&self) -> redis::RedisResult<Conn> {
        let t = self.timings.op_timeout;
        match &self.target {
            Target::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(t)
                    .set_response_timeout(t)
                    // Reconnect in the background without long waits; requests meanwhile fail fast.
                    .set_number_of_retries(2)
                    .set_factor(10)
                    .set_max_delay(200);
                ConnectionManager::new_with_config(client.clone(), config)
                    .await
                    .map(Conn::Single)
            }
            Target::Cluster(cluster, _) => cluster.get_async_connection().await.map(Conn::Cluster),
        }
    }

    async fn connection(&self) -> Result<Conn, StoreError> {
        let cell = self.conn.read().expect("conn lock").clone();
        let con = cell
            .get_or_try_init(|| self.connect())
            .await
            .map_err(|e| said("connect", &e))?;
        Ok(con.clone())
    }

    /// Runs `f` with a connection, within the operation deadline. A connection found dropped (Redis
    /// restarted since the last operation) is retried once on the reconnected one, within the same
    /// deadline: every operation is safe to repeat (a claim finding its own pending value is fresh).
    async fn op<T, F, Fut>(&self, what: &str, f: F) -> Result<T, StoreError>
    where
        F: Fn(Conn) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let run = async {
            let first = f(self.connection().await?).await;
            match first {
                Err(e) if e.is_connection_dropped() || e.is_io_error() => {
                    f(self.connection().await?).await
                }
                r => r,
            }
            .map_err(|e| said(what, &e))
        };
        let r = match tokio::time::timeout(self.timings.op_timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(StoreError(format!(
                "Redis {what}: no answer within {:?}",
                self.timings.op_timeout
            ))),
        };
        self.health.note(&r);
        r
    }

    /// The internal app's access token shared by every instance: `{<key>}` (a hash tag, so one slot
    /// on a Cluster), its value `<expires_at_ms>:<token>` sealed like the kept answers (never in
    /// clear in Redis), bound to the key. Trouble is logged and the instance fetches its own token.
    pub(crate) async fn load_app_token(&self, key: &str) -> Option<(Secret, u64)> {
        let k = format!("{{{key}}}");
        let v: Option<String> = self
            .op("app token GET", |mut c| {
                let k = k.clone();
                async move { redis::cmd("GET").arg(&k).query_async(&mut c).await }
            })
            .await
            .ok()?;
        let plain = self.sealer.open_bytes(k.as_bytes(), &v?);
        let Some(plain) = plain else {
            tracing::warn!("the shared app token in Redis does not open with this instance's keys");
            return None;
        };
        let text = String::from_utf8(plain).ok()?;
        let (exp, token) = text.split_once(':')?;
        Some((Secret::new(token), exp.parse().ok()?))
    }

    /// Shares the app token until it expires (see [`RedisStore::load_app_token`]).
    pub(crate) async fn save_app_token(&self, key: &str, token: &Secret, expires_at_ms: u64) {
        let k = format!("{{{key}}}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let ttl = expires_at_ms.saturating_sub(now).max(1);
        let sealed = self.sealer.seal_bytes(
            k.as_bytes(),
            format!("{expires_at_ms}:{}", token.expose()).as_bytes(),
        );
        let _ = self
            .op("app token SET", |mut c| {
                let (k, sealed) = (k.clone(), sealed.clone());
                async move {
                    redis::cmd("SET")
                        .arg(&k)
                        .arg(&sealed)
                        .arg("PX")
                        .arg(ttl)
                        .query_async::<()>(&mut c)
                        .await
                }
            })
            .await;
    }

    /// Connects once, without retrying, and checks the store can be written: the start-up check.
    /// The error is what Redis (or the network, or TLS) said: `WRONGPASS`, `NOAUTH`, connection
    /// refused, an unknown host, `DB index is out of range`, a certificate refused…
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        let t = self.timings.op_timeout;
        let probe = async {
            let mut raw = self.raw_connection().await?;
            match &self.target {
                Target::Single(_) => self.adopt_epoch(&mut raw).await,
                Target::Cluster(cluster, _) => {
                    let mut c = cluster
                        .get_async_connection()
                        .await
                        .map_err(|e| said("connect", &e))?;
                    self.adopt_epoch(&mut c).await
                }
            }
        };
        let r = match tokio::time::timeout(t * 3, probe).await {
            Ok(r) => r,
            Err(_) => Err(StoreError(format!("Redis: no answer within {:?}", t * 3))),
        };
        self.health.note(&r);
        r
    }

    /// A fresh connection to the server (a Cluster's first seed) that authenticates and selects
    /// the database by hand: the client library words a refused `AUTH` itself, this keeps Redis's
    /// own reply (`WRONGPASS …`).
    async fn raw_connection(&self) -> Result<redis::aio::MultiplexedConnection, StoreError> {
        let client = match &self.target {
            Target::Single(c) => c,
            Target::Cluster(_, seeds) => &seeds[0],
        };
        let info = client.get_connection_info().clone();
        let (user, password, db) = (
            info.redis.username.clone(),
            info.redis.password.clone(),
            info.redis.db,
        );
        let mut bare = info;
        bare.redis.username = None;
        bare.redis.password = None;
        bare.redis.db = 0;
        let bare = Client::open(bare).map_err(|e| said("connect", &e))?;
        let t = self.timings.op_timeout;
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(t)
            .set_response_timeout(t);
        let mut con = bare
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .map_err(|e| said("connect", &e))?;
        if let Some(password) = password {
            let mut auth = redis::cmd("AUTH");
            if let Some(user) = user {
                auth.arg(user);
            }
            auth.arg(password)
                .query_async::<()>(&mut con)
                .await
                .map_err(|e| said("AUTH", &e))?;
        }
        if db != 0 {
            redis::cmd("SELECT")
                .arg(db)
                .query_async::<()>(&mut con)
                .await
                .map_err(|e| said("SELECT", &e))?;
        }
        redis::cmd("PING")
            .query_async::<()>(&mut con)
            .await
            .map_err(|e| said("PING", &e))?;
        Ok(con)
    }

    /// Writes the epoch key if absent, and remembers its value.
    async fn adopt_epoch<C: ConnectionLike + Send>(&self, c: &mut C) -> Result<(), StoreError> {
        let cluster = matches!(self.target, Target::Cluster(..));
        let keys = epoch_keys(cluster, c)
            .await
            .map_err(|e| said("CLUSTER SLOTS", &e))?;
        for (_, key) in keys {
            let (epoch,): (String,) = epoch_write(&key)
                .query_async(c)
                .await
                .map_err(|e| said("write check", &e))?;
            self.epoch.lock().expect("epoch lock").insert(key, epoch);
        }
        Ok(())
    }

    /// Checks the store through the shared connection: the readiness probe. While down, the
    /// reason given is the one the background check read from a fresh connection: the shared
    /// connection's reconnect words a refused `AUTH` itself ("Password authentication failed"),
    /// which hides what Redis said (`WRONGPASS …`).
    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
        self.op("ping", |mut con| async move {
            redis::cmd("PING").query_async::<()>(&mut con).await
        })
        .await
        .map_err(|e| self.health.reason().map(StoreError).unwrap_or(e))
    }

    /// Every [`WATCH_EVERY`]: checks the store (so a change of state is logged even without
    /// traffic) and its epoch. A Redis that lost its data (restarted without persistence, flushed,
    /// failed over to an empty replica) has no epoch key, or another one: every spent code and kept
    /// answer is forgotten, so this is logged loudly and the epoch is written again.
    pub(crate) async fn watch_epoch(self: Arc<Self>) {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                // A request found the store down: ask why now.
                () = self.health.probe.notified() => {}
            }
            let cluster = matches!(self.target, Target::Cluster(..));
            let seen: Result<Vec<(String, String, Option<String>)>, StoreError> = self
                .op("epoch check", |mut con| async move {
                    let mut seen = Vec::new();
                    for (shard, key) in epoch_keys(cluster, &mut con).await? {
                        let v: Option<String> =
                            redis::cmd("GET").arg(&key).query_async(&mut con).await?;
                        seen.push((shard, key, v));
                    }
                    Ok(seen)
                })
                .await;
            let Ok(seen) = seen else {
                // Down: ask a fresh connection why, in Redis's own words.
                let why =
                    match tokio::time::timeout(self.timings.op_timeout * 3, self.raw_connection())
                        .await
                    {
                        Ok(Err(e)) => e,
                        Ok(Ok(_)) => {
                            // A fresh connection is accepted while the shared one is not: its
                            // reconnect gave up on a refusal that has since been lifted (a
                            // password changed back), so start it anew.
                            *self.conn.write().expect("conn lock") = Arc::new(OnceCell::new());
                            self.health.explain(None);
                            continue;
                        }
                        Err(_) => StoreError("Redis: no answer".into()),
                    };
                self.health.explain(Some(&why));
                continue;
            };
            for (shard, key, seen) in seen {
                let known = self.epoch.lock().expect("epoch lock").get(&key).cloned();
                if seen.is_some() && seen == known {
                    continue;
                }
                if known.is_some() {
                    tracing::error!(
                        shard = %shard,
                        epoch = seen.as_deref().unwrap_or("(none)"),
                        "REPLAY STORE CAME BACK EMPTY: Redis lost its data (restart without persistence, flush or failover to an empty replica); codes spent before can be exchanged again and kept answers are gone until their TTL would have ended. Run Redis with persistence (appendonly yes, appendfsync everysec)."
                    );
                }
                let adopted = self
                    .op("epoch write", |mut con| {
                        let key = key.clone();
                        async move {
                            let (e,): (String,) = epoch_write(&key).query_async(&mut con).await?;
                            Ok(e)
                        }
                    })
                    .await;
                if let Ok(e) = adopted {
                    self.epoch.lock().expect("epoch lock").insert(key, e);
                }
            }
        }
    }

    /// Opens the subscription connection, its pushes sent to `tx`.
    async fn subscriber(
        &self,
        tx: tokio::sync::mpsc::UnboundedSender<PushInfo>,
    ) -> redis::RedisResult<Subscriber> {
        match &self.sub_target {
            SubTarget::Single(c) => {
                let t = self.timings.op_timeout;
                let cfg = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(t)
                    .set_response_timeout(t)
                    .set_push_sender(tx);
                c.get_multiplexed_async_connection_with_config(&cfg)
                    .await
                    .map(Subscriber::Single)
            }
            SubTarget::Cluster(nodes, ca, t) => {
                let mut b = redis::cluster::ClusterClientBuilder::new(nodes.clone())
                    .use_protocol(redis::ProtocolVersion::RESP3)
                    .push_sender(tx)
                    .connection_timeout(*t)
                    .response_timeout(*t)
                    .retries(2);
                if let Some(pem) = ca {
                    b = b.certs(redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem.clone()),
                    });
                }
                b.build()?
                    .get_async_connection()
                    .await
                    .map(Subscriber::Cluster)
            }
        }
    }

    /// Subscribes to the login's shard channel (connecting the subscription connection first if
    /// needed).
    async fn subscribe(self: &Arc<Self>, key: &str) -> Result<(), StoreError> {
        let run = async {
            let mut sink = self.hub.sink.lock().await;
            if sink.is_none() {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PushInfo>();
                let s = self
                    .subscriber(tx)
                    .await
                    .map_err(|e| said("subscribe", &e))?;
                let me = Arc::downgrade(self);
                tokio::spawn(async move {
                    while let Some(push) = rx.recv().await {
                        let Some(store) = me.upgrade() else { return };
                        match push.kind {
                            PushKind::SMessage => {
                                let text = |v: Option<&Value>| match v {
                                    Some(Value::BulkString(b)) => {
                                        String::from_utf8_lossy(b).into_owned()
                                    }
                                    _ => String::new(),
                                };
                                let (channel, payload) =
                                    (text(push.data.first()), text(push.data.get(1)));
                                let w = store.hub.waiting.lock().expect("hub lock");
                                if let Some(e) = w.get(&channel) {
                                    e.tx.send_replace(Note::Value(payload));
                                }
                            }
                            PushKind::Disconnection => break,
                            _ => {}
                        }
                    }
                    // The connection dropped (a message may be lost): every waiter learns it;
                    // the next wait reconnects.
                    if let Some(store) = me.upgrade() {
                        *store.hub.sink.lock().await = None;
                        let w = std::mem::take(&mut *store.hub.waiting.lock().expect("hub lock"));
                        for e in w.values() {
                            e.tx.send_replace(Note::Lost);
                        }
                    }
                });
                *sink = Some(s);
            }
            match sink.as_mut().expect("connected") {
                Subscriber::Single(c) => redis::cmd("SSUBSCRIBE").arg(key).exec_async(c).await,
                Subscriber::Cluster(c) => c.ssubscribe(key).await,
            }
            .map_err(|e| said("subscribe", &e))
        };
        match tokio::time::timeout(self.timings.op_timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(StoreError(format!(
                "Redis subscribe: no answer within {:?}",
                self.timings.op_timeout
            ))),
        }
    }

    /// Leaves the login's channel unless a new waiter joined it meanwhile.
    async fn unsubscribe(&self, key: String) {
        let mut sink = self.hub.sink.lock().await;
        if self
            .hub
            .waiting
            .lock()
            .expect("hub lock")
            .contains_key(&key)
        {
            return;
        }
        let t = self.timings.op_timeout;
        let _ = match sink.as_mut() {
            Some(Subscriber::Single(c)) => {
                tokio::time::timeout(t, redis::cmd("SUNSUBSCRIBE").arg(&key).exec_async(c)).await
            }
            Some(Subscriber::Cluster(c)) => tokio::time::timeout(t, c.sunsubscribe(&key)).await,
            None => return,
        };
    }

    /// The answer a value holds for the request with `keys`: `None` while still pending.
    fn answer_of(&self, keys: &Keys, v: &str) -> Result<Option<Option<Arc<Stored>>>, StoreError> {
        if v.is_empty() {
            return Ok(Some(None)); // the key is gone: the claim's lease lapsed
        }
        let e = parse_entry(v)?;
        if e.idem != short(&keys.idem) {
            // Our request's attempt was released and another key claimed the code since.
            return Ok(Some(None));
        }
        match e.tag {
            "P" => Ok(None),
            _ => Ok(Some(Some(Arc::new(self.sealer.open(
                &login_key(keys),
                e.idem,
                e.grant,
                e.rest,
            )?)))),
        }
    }

    /// Waits (notified, never polling) for the answer of the exchange running for `keys`.
    pub(crate) async fn wait_for(
        self: &Arc<Self>,
        keys: Keys,
        bound: Duration,
    ) -> Result<Option<Arc<Stored>>, StoreError> {
        let deadline = tokio::time::Instant::now() + bound;
        let key = login_key(&keys);
        let (mut rx, first, id) = {
            let mut w = self.hub.waiting.lock().expect("hub lock");
            match w.get_mut(&key) {
                Some(e) => {
                    e.count += 1;
                    (e.tx.subscribe(), false, e.id)
                }
                None => {
                    let id = self
                        .hub
                        .next_id
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let (tx, rx) = watch::channel(Note::Nothing);
                    w.insert(key.clone(), Waiting { tx, count: 1, id });
                    (rx, true, id)
                }
            }
        };
        let _leave = Leave {
            store: self,
            key: key.clone(),
            id,
        };
        if first {
            self.subscribe(&key).await?;
            // The answer may have been published before the subscription: read it once.
            let v: Option<String> = self
                .op("wait", |mut con| {
                    let k = key.clone();
                    async move { redis::cmd("GET").arg(k).query_async(&mut con).await }
                })
                .await?;
            let v = v.unwrap_or_default();
            if v.is_empty() || !v.starts_with("P|") {
                if let Some(e) = self.hub.waiting.lock().expect("hub lock").get(&key) {
                    e.tx.send_replace(Note::Value(v));
                }
            }
        }
        loop {
            let note = tokio::time::timeout_at(deadline, async {
                rx.wait_for(|n| !matches!(n, Note::Nothing))
                    .await
                    .map(|n| n.clone())
            })
            .await;
            match note {
                Err(_) => return Ok(None),
                Ok(Err(_)) | Ok(Ok(Note::Lost)) => {
                    return Err(StoreError(
                        "Redis wait: the subscription connection dropped".into(),
                    ))
                }
                Ok(Ok(Note::Nothing)) => unreachable!("waited for a note"),
                Ok(Ok(Note::Value(v))) => match self.answer_of(&keys, &v)? {
                    Some(answer) => return Ok(answer),
                    // A new pending claim of our key (ours lapsed, a retry claimed it): keep
                    // waiting for its answer.
                    None => rx.mark_unchanged(),
                },
            }
        }
    }
}

impl Store for RedisStore {
    type Ticket = Ticket;
    type Waiter = Waiter;

    async fn claim(&self, keys: Keys) -> Result<Claim<Ticket, Waiter>, StoreError> {
        let lease = ms(self.timings.lease);
        // The instant this request stops waiting: a claim Redis writes after it is void.
        let deadline = unix_ms() + ms(self.timings.op_timeout);
        let pending = format!(
            "P|{}|{}|{}|{deadline}|{lease}",
            short(&keys.idem),
            short(&keys.grant),
            crate::serve::random_hex(8)
        );
        let key = login_key(&keys);
        let held: Option<String> = self
            .op("claim", |mut con| {
                let (key, pending) = (key.clone(), pending.clone());
                async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(pending)
                        .arg("NX")
                        .arg("GET")
                        .arg("PX")
                        .arg(lease)
                        .query_async(&mut con)
                        .await
                }
            })
            .await?;
        let held = match held {
            None => return Ok(Claim::Fresh(Ticket { keys, pending })),
            // Our own claim, the command repeated after a dropped connection.
            Some(v) if v == pending => return Ok(Claim::Fresh(Ticket { keys, pending })),
            Some(v) if v.starts_with("D|") => v,
            // Pending or released: only the script can tell a void claim and take the key over.
            Some(_) => {
                let answer: String = self
                    .op("claim", |mut con| {
                        let (key, pending) = (key.clone(), pending.clone());
                        async move {
                            self.take_over
                                .key(key)
                                .arg(pending)
                                .arg(lease)
                                .arg(deadline)
                                .invoke_async(&mut con)
                                .await
                        }
                    })
                    .await?;
                match answer.as_str() {
                    "F" => return Ok(Claim::Fresh(Ticket { keys, pending })),
                    // Only reachable when Redis answered after this request's own deadline.
                    "L" => {
                        return Err(StoreError(
                            "Redis claim: reached Redis after its deadline".into(),
                        ))
                    }
                    _ => answer,
                }
            }
        };
        let e = parse_entry(&held)?;
        let (idem, grant) = (short(&keys.idem), short(&keys.grant));
        match Holder::of(e.idem, e.grant, idem.as_str(), grant.as_str()) {
            Holder::CodeReplayed => Ok(Claim::Replayed),
            Holder::KeyReused => Ok(Claim::KeyReused),
            Holder::SameLogin if e.tag == "P" => Ok(Claim::Wait(Waiter(keys))),
            Holder::SameLogin => Ok(Claim::Done(Arc::new(self.sealer.open(
                &login_key(&keys),
                e.idem,
                e.grant,
                e.rest,
            )?))),
        }
    }

    async fn finish(
        &self,
        Ticket { keys, pending }: Ticket,
        stored: Arc<Stored>,
        keep: bool,
    ) -> Result<(), StoreError> {
        let key = login_key(&keys);
        let (idem, grant) = (short(&keys.idem), short(&keys.grant));
        let sealed = self.sealer.seal(&key, &idem, &grant, &stored);
        let value = format!("{}|{idem}|{grant}|{sealed}", if keep { 'D' } else { 'T' });
        let ttl = if keep {
            self.timings.ttl
        } else {
            TRANSIENT_TTL
        };
        let _: i64 = self
            .op("finish", |mut con| {
                let (key, pending, value) = (key.clone(), pending.clone(), value.clone());
                async move {
                    self.finish
                        .key(key)
                        .arg(pending)
                        .arg(value)
                        .arg(ms(ttl))
                        .invoke_async(&mut con)
                        .await
                }
            })
            .await?;
        Ok(())
    }

    async fn wait(
        self: &Arc<Self>,
        w: Waiter,
        bound: Duration,
    ) -> Result<Option<Arc<Stored>>, StoreError> {
        self.wait_for(w.0, bound).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_slots_match_redis_and_each_master_gets_its_own_epoch_key() {
        // The Cluster spec's check value: CRC16 of "123456789" is 0x31C3; a hash tag counts alone.
        assert_eq!(key_slot("123456789"), 0x31C3);
        assert_eq!(key_slot("a{123456789}b"), 0x31C3);
        use redis::Value as V;
        let node = |port| {
            V::Array(vec![
                V::BulkString(b"127.0.0.1".to_vec()),
                V::Int(port),
                V::BulkString(b"id".to_vec()),
            ])
        };
        let slots = V::Array(vec![
            V::Array(vec![V::Int(0), V::Int(5460), node(7000)]),
            V::Array(vec![V::Int(5461), V::Int(10922), node(7001)]),
            V::Array(vec![V::Int(10923), V::Int(16383), node(7002)]),
        ]);
        let keys = epoch_keys_of(&slots);
        assert_eq!(keys.len(), 3);
        for ((shard, key), (lo, hi, port)) in
            keys.iter()
                .zip([(0, 5460, 7000), (5461, 10922, 7001), (10923, 16383, 7002)])
        {
            assert_eq!(shard, &format!("127.0.0.1:{port}"));
            assert!((lo..=hi).contains(&key_slot(key)), "{key}");
        }
        assert!(epoch_keys_of(&V::Nil).is_empty());
    }

    #[test]
    fn entries_parse_and_cluster_urls_split() {
        let e = parse_entry("D|aa|bb|k1.xyz|z").unwrap();
        assert_eq!(
            (e.tag, e.idem, e.grant, e.rest),
            ("D", "aa", "bb", "k1.xyz|z")
        );
        assert!(parse_entry("X|a|b|c").is_err());
        assert!(parse_entry("D|a").is_err());
        assert_eq!(
            cluster_nodes("rediss+cluster://u:p@h1:1,h2:2/").unwrap(),
            ["rediss://u:p@h1:1", "rediss://u:p@h2:2"]
        );
        assert!(cluster_nodes("redis+cluster://").is_err());
        let k = Keys {
            code: [0xab; 32],
            idem: [2; 32],
            grant: [3; 32],
        };
        assert_eq!(login_key(&k), format!("dtauth:{{{}}}", "ab".repeat(16)));
    }
}
