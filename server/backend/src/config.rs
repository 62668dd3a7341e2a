//! What the operator configures: DingTalk credentials and hosts, the corpId allow-list, the replay
//! store, limits and timeouts. Secrets come from the environment or files, never from flags.

use std::collections::HashSet;
use std::time::Duration;

use dingtalk_openapi::{ClientCredentials, LegacyCredentials, OpenApiConfig, Secret};

use crate::serve::ServeOptions;

/// Backend configuration. `Debug` never shows secrets.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    /// Legacy SDK flow: AppKey (must equal the grant's `client_id`) and AppSecret. `None` disables it.
    pub legacy: Option<LegacyCredentials>,
    /// New SDK and browser flows: ClientId (must equal the grant's `client_id`) and ClientSecret.
    pub v1: Option<ClientCredentials>,
    /// DingTalk base URLs and timeouts.
    pub openapi: OpenApiConfig,
    /// When set, only these corpIds may log in, and logins must ask for scope `openid corpid`.
    pub allowed_corp_ids: Option<HashSet<String>>,
    /// How long a code / idempotency key and its answer are remembered: at least, and by default,
    /// [`dingtalk_auth::wire::IDEMPOTENCY_WINDOW_SECS`] (15 min), the time apps re-send a grant they
    /// have not seen answered (codes live 5 min; the answer must outlive them). Less is refused.
    pub replay_ttl: Duration,
    /// At most this many codes remembered (default 100 000; memory store only).
    pub replay_capacity: usize,
    /// Where codes and idempotency keys are remembered (default: this process's memory).
    pub replay_store: ReplayStoreConfig,
    /// How long a request waits for the answer of the same grant being exchanged (by any instance)
    /// before it gets 503 `replay_pending`. `None`: the longest an exchange can take (two DingTalk
    /// calls with their timeouts) plus 5 s.
    pub replay_wait: Option<Duration>,
    /// Largest grant body accepted (default 8 KiB).
    pub max_body_bytes: usize,
    /// `expiresIn` reported with the session token (default 3600 s).
    pub session_ttl_secs: u64,
    /// A request body must arrive whole within this time (default 10 s), else 408.
    pub body_read_timeout: Duration,
    /// Header-read timeout, connection cap and shutdown bound of [`Backend::serve`].
    pub serve: ServeOptions,
    /// The organisation whose members log in (an internal app); `None`: any DingTalk account.
    pub org: Option<crate::member::OrgConfig>,
    /// Keys, `iss` and `aud` of the session tokens (lifetime: `session_ttl_secs`).
    pub session: crate::session::SessionSettings,
    /// The workbench page (`/h5/`): DingTalk's login page and JSAPI URLs, this backend's URL.
    pub h5: crate::h5::H5Config,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            legacy: None,
            v1: None,
            openapi: OpenApiConfig::default(),
            allowed_corp_ids: None,
            replay_ttl: Duration::from_secs(dingtalk_auth::wire::IDEMPOTENCY_WINDOW_SECS),
            replay_capacity: 100_000,
            replay_store: ReplayStoreConfig::Memory,
            replay_wait: None,
            max_body_bytes: 8 * 1024,
            session_ttl_secs: 3600,
            body_read_timeout: Duration::from_secs(10),
            serve: ServeOptions::default(),
            org: None,
            session: Default::default(),
            h5: Default::default(),
        }
    }
}

impl BackendConfig {
    /// The longest one exchange can take: two DingTalk calls, each with its timeouts.
    pub(crate) fn exchange_bound(&self) -> Duration {
        2 * (self.openapi.request_timeout + self.openapi.connect_timeout)
    }

    /// How long a retry waits for the same grant's exchange running elsewhere.
    pub(crate) fn replay_wait(&self) -> Duration {
        self.replay_wait
            .unwrap_or(self.exchange_bound() + Duration::from_secs(5))
    }
}

/// Which replay store the backend uses. `Debug` never shows a password in the URL nor a key.
#[derive(Clone, PartialEq, Eq)]
pub enum ReplayStoreConfig {
    /// This process's memory: one instance (the default).
    Memory,
    /// A Redis (one server, or a Cluster) shared by every instance.
    Redis(RedisStoreConfig),
}

/// Where the shared Redis is and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisStoreConfig {
    /// `redis://` or `rediss://` (TLS) `[user:password@]host:port[/db]`; for a Redis Cluster
    /// `redis+cluster://` or `rediss+cluster://` `[user:password@]host:port[,host:port…]` (seed nodes).
    pub url: String,
    /// Deadline of one Redis operation (default 1 s): beyond it the login fails closed, and a claim
    /// that reaches Redis later is refused by Redis itself.
    pub op_timeout: Duration,
    /// PEM file of the CA that signed the Redis server's certificate (`rediss://`); `None`: the
    /// system's roots.
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// The keys that encrypt kept answers (the first one encrypts; all decrypt).
    pub answer_keys: AnswerKeys,
}

/// AEAD keys for the answers kept in Redis, each with a short id that is stored with every entry so
/// a key can be rotated while entries sealed under the previous one are still read. `Debug` shows
/// only the ids.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerKeys(pub(crate) Vec<(String, [u8; 32])>);

impl AnswerKeys {
    /// `id:base64key[,id:base64key…]`: 32-byte keys (e.g. `openssl rand -base64 32`), ids of 1–16
    /// characters `[A-Za-z0-9_-]`; the first encrypts new entries.
    pub fn parse(value: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let mut keys = Vec::new();
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (id, b64) = item
                .split_once(':')
                .ok_or("replay store key: expected id:base64key")?;
            let ok_id = !id.is_empty()
                && id.len() <= 16
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok_id {
                return Err(
                    "replay store key: the id must be 1-16 characters of [A-Za-z0-9_-]".into(),
                );
            }
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| format!("replay store key {id}: not base64"))?;
            let key: [u8; 32] = raw
                .try_into()
                .map_err(|_| format!("replay store key {id}: must be 32 bytes"))?;
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("replay store key {id}: id given twice"));
            }
            keys.push((id.to_owned(), key));
        }
        if keys.is_empty() {
            return Err("replay store key: none given".into());
        }
        Ok(AnswerKeys(keys))
    }
}

impl std::fmt::Debug for AnswerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(id, _)| id))
            .finish()
    }
}

const REDIS_SCHEMES: [&str; 4] = [
    "redis://",
    "rediss://",
    "redis+cluster://",
    "rediss+cluster://",
];

impl ReplayStoreConfig {
    /// `memory`, or a Redis URL (see [`RedisStoreConfig::url`]) whose operations get
    /// `op_timeout_ms` each, whose kept answers are sealed with `answer_keys` (required for Redis)
    /// and whose TLS server certificate is checked against `tls_ca_file` when given.
    pub fn parse(
        value: &str,
        op_timeout_ms: u64,
        answer_keys: Option<&str>,
        tls_ca_file: Option<std::path::PathBuf>,
    ) -> Result<Self, String> {
        if value == "memory" {
            return Ok(ReplayStoreConfig::Memory);
        }
        if REDIS_SCHEMES.iter().any(|s| value.starts_with(s)) {
            let keys = answer_keys.ok_or(
                "a Redis replay store needs DINGTALK_REPLAY_STORE_KEY[_FILE] (id:base64 32-byte key) to encrypt kept answers",
            )?;
            return Ok(ReplayStoreConfig::Redis(RedisStoreConfig {
                url: value.to_owned(),
                op_timeout: Duration::from_millis(op_timeout_ms.max(1)),
                tls_ca_file,
                answer_keys: AnswerKeys::parse(keys)?,
            }));
        }
        Err("--replay-store must be `memory` or a redis://, rediss://, redis+cluster:// or rediss+cluster:// URL".into())
    }

    /// `memory`, or the URL without its user info, for logs.
    pub fn describe(&self) -> String {
        match self {
            ReplayStoreConfig::Memory => "memory".into(),
            ReplayStoreConfig::Redis(r) => redacted(&r.url, None),
        }
    }
}

/// The URL with its password replaced by `mask` (`None`: user info removed). Parsed by hand: a
/// cluster URL's host list is no URL authority.
fn redacted(url: &str, mask: Option<&str>) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(unparsable URL)".into();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((userinfo, hosts)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match (mask, userinfo.split_once(':')) {
        (Some(m), Some((user, _))) => format!("{scheme}://{user}:{m}@{hosts}{path}"),
        (Some(_), None) => url.to_owned(),
        (None, _) => format!("{scheme}://{hosts}{path}"),
    }
}

impl std::fmt::Debug for ReplayStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayStoreConfig::Memory => f.write_str("Memory"),
            ReplayStoreConfig::Redis(r) => f.debug_tuple("Redis").field(r).finish(),
        }
    }
}

impl std::fmt::Debug for RedisStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreConfig")
            .field("url", &redacted(&self.url, Some("***")))
            .field("op_timeout", &self.op_timeout)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("answer_keys", &self.answer_keys)
            .finish()
    }
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (trailing newline trimmed).
pub fn secret_from_env(name: &str) -> Result<Option<Secret>, String> {
    if let Ok(v) = std::env::var(name) {
        if !v.is_empty() {
            return Ok(Some(Secret::new(v)));
        }
    }
    let file_var = format!("{name}_FILE");
    if let Ok(path) = std::env::var(&file_var) {
        let v = std::fs::read_to_string(&path)
            .map_err(|e| format!("{file_var}: cannot read {path}: {e}"))?;
        let v = v.trim_end_matches(['\r', '\n']).to_owned();
        if v.is_empty() {
            return Err(format!("{file_var}: {path} is empty"));
        }
        return Ok(Some(Secret::new(v)));
    }
    Ok(None)
}

/// An id (given as `id_var`) and its secret (`secret_var` or `secret_var_FILE`): both or neither.
pub fn id_with_secret(
    id: Option<String>,
    id_var: &str,
    secret_var: &str,
) -> Result<Option<(String, Secret)>, String> {
    match (id, secret_from_env(secret_var)?) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!("{id_var} is set but {secret_var}[_FILE] is not")),
        (None, Some(_)) => Err(format!("{secret_var} is set but {id_var} is not")),
    }
}
