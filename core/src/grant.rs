//! The code, packaged for the app's backend. Its JSON (grant v1) is defined in [`crate::wire`].
//!
//! The idempotency key is derived from the login and the code, so a retried submit carries the same
//! key and the backend can answer it without spending the single-use code twice.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::config::{LoginFlow, Platform};
use crate::wire::GrantV1;
pub use crate::wire::GRANT_VERSION;

/// A successful login's code, ready for the backend. `Debug` never shows the code.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthGrant {
    pub flow: LoginFlow,
    pub client_id: String,
    pub platform: Platform,
    code: String,
    pub scope: String,
    pub issued_at_ms: i64,
    pub idempotency_key: String,
}

impl AuthGrant {
    pub(crate) fn new(
        flow: LoginFlow,
        client_id: String,
        platform: Platform,
        code: String,
        scope: String,
        issued_at_ms: i64,
        state_hash: &[u8; 32],
    ) -> Self {
        let mut h = Sha256::new();
        h.update(b"dingtalk-auth idempotency v1\0");
        h.update(state_hash);
        h.update(b"\0");
        h.update(code.as_bytes());
        let idempotency_key = URL_SAFE_NO_PAD.encode(h.finalize());
        AuthGrant {
            flow,
            client_id,
            platform,
            code,
            scope,
            issued_at_ms,
            idempotency_key,
        }
    }

    /// A grant read back from its JSON (a kept grant, [`crate::kept_grant`]): the same fields, the
    /// same idempotency key, so delivering it again is a retry the backend recognises.
    pub(crate) fn from_wire(g: GrantV1) -> Self {
        AuthGrant {
            flow: g.flow,
            client_id: g.client_id,
            platform: g.platform,
            code: g.code,
            scope: g.scope,
            issued_at_ms: g.issued_at_ms,
            idempotency_key: g.idempotency_key,
        }
    }

    /// The auth code itself. Send it to your backend only; never log it.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The documented JSON body (grant v1, [`crate::wire::GrantV1`]).
    pub fn to_json(&self) -> String {
        GrantV1 {
            flow: self.flow,
            client_id: self.client_id.clone(),
            platform: self.platform,
            code: self.code.clone(),
            scope: self.scope.clone(),
            issued_at_ms: self.issued_at_ms,
            idempotency_key: self.idempotency_key.clone(),
        }
        .to_json()
    }

    /// A one-line description for logs and debugging, with the code redacted.
    pub fn redacted_description(&self) -> String {
        format!(
            "AuthGrant {{ flow: {}, client_id: {}, platform: {}, scope: {:?}, issued_at_ms: {}, code: <redacted> }}",
            self.flow.wire_name(),
            self.client_id,
            self.platform.wire_name(),
            self.scope,
            self.issued_at_ms
        )
    }
}

impl std::fmt::Debug for AuthGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted_description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(code: &str, state_hash: [u8; 32]) -> AuthGrant {
        AuthGrant::new(
            LoginFlow::Browser,
            "dingc".into(),
            Platform::Ios,
            code.into(),
            "openid".into(),
            1_700_000_000_000,
            &state_hash,
        )
    }

    #[test]
    fn json_has_the_documented_fields() {
        let g = grant("c0de\"x", [7; 32]);
        let v: serde_json::Value = serde_json::from_str(&g.to_json()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["flow"], "browser");
        assert_eq!(v["client_id"], "dingc");
        assert_eq!(v["platform"], "ios");
        assert_eq!(v["code"], "c0de\"x");
        assert_eq!(v["scope"], "openid");
        assert_eq!(v["issued_at_ms"], 1_700_000_000_000i64);
        assert_eq!(v["idempotency_key"].as_str().unwrap().len(), 43);
        assert_eq!(v.as_object().unwrap().len(), 8);
    }

    #[test]
    fn idempotency_key_depends_on_login_and_code_only() {
        assert_eq!(
            grant("a", [1; 32]).idempotency_key,
            grant("a", [1; 32]).idempotency_key
        );
        assert_ne!(
            grant("a", [1; 32]).idempotency_key,
            grant("b", [1; 32]).idempotency_key
        );
        assert_ne!(
            grant("a", [1; 32]).idempotency_key,
            grant("a", [2; 32]).idempotency_key
        );
    }

    #[test]
    fn debug_redacts_the_code() {
        let g = grant("SECRETCODE", [0; 32]);
        assert!(!format!("{g:?}").contains("SECRETCODE"));
        assert!(!g.redacted_description().contains("SECRETCODE"));
    }
}
