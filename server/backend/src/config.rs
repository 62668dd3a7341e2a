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
    /// How long a code / idempotency key is remembered (default 15 min; codes live 5 min).
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
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            legacy: None,
            v1: None,
            openapi: OpenApiConfig::default(),
            allowed_corp_ids: None,
            replay_ttl: Duration::from_secs(15 * 60),
            replay_capacity: 100_000,
            replay_store: ReplayStoreConfig::Memory,
            replay_wait: None,
            max_body_bytes: 8 * 1024,
            session_ttl_secs: 3600,
            body_read_timeout: Duration::from_secs(10),
            serve: ServeOptions::default(),
            org: None,
            session: Default::default(),
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

/// Which replay store the backend uses. `Debug` never shows a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum ReplayStoreConfig {
    /// This process's memory: one instance (the default).
    Memory,
    /// A Redis shared by every instance.
    Redis {
        /// `redis://[user:password@]host:port[/db]`.
        url: String,
        /// Deadline of one Redis operation (default 1 s): beyond it the login fails closed.
        op_timeout: Duration,
    },
}

impl ReplayStoreConfig {
    /// `memory`, or a `redis://` URL (`redis+unix://`, `unix://` too) whose operations get
    /// `op_timeout_ms` each.
    pub fn parse(value: &str, op_timeout_ms: u64) -> Result<Self, String> {
        if value == "memory" {
            return Ok(ReplayStoreConfig::Memory);
        }
        if value.starts_with("redis://")
            || value.starts_with("redis+unix://")
            || value.starts_with("unix://")
        {
            return Ok(ReplayStoreConfig::Redis {
                url: value.to_owned(),
                op_timeout: Duration::from_millis(op_timeout_ms.max(1)),
            });
        }
        Err("--replay-store must be `memory` or a redis:// URL".into())
    }

    /// `memory`, or the URL without its user info, for logs.
    pub fn describe(&self) -> String {
        match self {
            ReplayStoreConfig::Memory => "memory".into(),
            ReplayStoreConfig::Redis { url, .. } => match url::Url::parse(url) {
                Ok(mut u) => {
                    let _ = u.set_password(None);
                    let _ = u.set_username("");
                    u.to_string()
                }
                Err(_) => "(unparsable URL)".into(),
            },
        }
    }
}

impl std::fmt::Debug for ReplayStoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayStoreConfig::Memory => f.write_str("Memory"),
            ReplayStoreConfig::Redis { url, op_timeout } => {
                let shown = match url::Url::parse(url) {
                    Ok(mut u) if u.password().is_some() => {
                        let _ = u.set_password(Some("***"));
                        u.to_string()
                    }
                    Ok(u) => u.to_string(),
                    Err(_) => "(unparsable URL)".into(),
                };
                f.debug_struct("Redis")
                    .field("url", &shown)
                    .field("op_timeout", op_timeout)
                    .finish()
            }
        }
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
