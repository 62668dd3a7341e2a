//! Session tokens the app's other services can verify: a JWT (RFC 7519) signed with Ed25519
//! (`alg: EdDSA`, RFC 8037), short-lived, whose public keys are published as a JWK Set at
//! `GET /.well-known/jwks.json`.
//!
//! Claims: `sub` (`<corpId>:<userId>` for a member of the configured organisation, the unionId
//! otherwise), `unionId`, `corpId` and `userId` (members), `name`, `flow`, `iat`, `exp`, `jti`, and
//! `iss` / `aud` when configured. The header's `kid` is the key's RFC 7638 thumbprint.
//!
//! Keys: the signing key is PKCS#8 PEM (`openssl genpkey -algorithm ed25519`) from
//! `DINGTALK_SESSION_KEY` or the file named by `DINGTALK_SESSION_KEY_FILE`. Rotation without
//! invalidating tokens in flight: make the new key the signing key and pass the old one as a
//! previous key for one token lifetime; both public keys stay in the JWKS, each token names its
//! own by `kid`. Without a configured key `sessionToken` stays what it was before signed tokens
//! existed (32 random bytes, base64url, that nothing can verify), the JWKS is empty and a warning
//! at start says so: apps that already store that token keep working until the operator adds a key.
//!
//! Why `ed25519-dalek` and a hand-built compact JWS rather than a JWT crate: the JWKS needs the
//! public half of the PKCS#8 key, which the common JWT crates do not expose from a private key,
//! and a compact JWS is three base64url parts joined by dots (RFC 7515 §7.1) — the part a JWT crate
//! would add here is parsing, which this backend only needs for its own tokens. Interoperability is
//! what matters and is tested: `server/scripts/test-session-jwt.sh` verifies issued tokens with
//! PyJWT against the published JWKS.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use axum::response::IntoResponse;

use crate::config::secret_from_env;

/// A key's RFC 7638 JWK thumbprint (base64url SHA-256 of `{"crv","kty","x"}` in that order).
fn thumbprint(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        B64.encode(key.as_bytes())
    );
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

/// The signing key and the public keys still accepted. `Debug` shows key ids only.
#[derive(Clone)]
pub struct SessionKeys {
    signing: SigningKey,
    kid: String,
    /// Every published key (the signing key first), with its kid.
    published: Vec<(String, VerifyingKey)>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("kid", &self.kid)
            .field(
                "published",
                &self.published.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl SessionKeys {
    /// The signing key from PKCS#8 PEM, and the previous keys (PKCS#8 PEM too) whose public halves
    /// stay published.
    pub fn from_pem(signing: &str, previous: &[String]) -> Result<Self, String> {
        let parse = |pem: &str, what: &str| {
            SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| {
                format!("{what}: not an Ed25519 PKCS#8 PEM private key ({e}); make one with `openssl genpkey -algorithm ed25519`")
            })
        };
        let signing = parse(signing, "session signing key")?;
        let mut keys = Self::with(signing);
        for (i, pem) in previous.iter().enumerate() {
            let old = parse(pem, &format!("previous session key #{}", i + 1))?.verifying_key();
            let kid = thumbprint(&old);
            if !keys.published.iter().any(|(k, _)| *k == kid) {
                keys.published.push((kid, old));
            }
        }
        Ok(keys)
    }

    fn with(signing: SigningKey) -> Self {
        let public = signing.verifying_key();
        let kid = thumbprint(&public);
        SessionKeys {
            signing,
            published: vec![(kid.clone(), public)],
            kid,
        }
    }

    /// The kid of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWK Set of every published key (RFC 7517 §5, OKP keys per RFC 8037 §2).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .published
            .iter()
            .map(|(kid, k)| {
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(k.as_bytes()),
                    "kid": kid, "alg": "EdDSA", "use": "sig"})
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// A compact JWS of `claims` (a JSON object) signed with the signing key.
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self.signing.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(sig.to_bytes()))
    }

    /// The claims of a compact JWS that one of the published keys signed (`alg` EdDSA, the key
    /// named by `kid`), or why not. Times and `iss`/`aud` are the caller's to check.
    pub(crate) fn verify(&self, token: &str) -> Result<serde_json::Value, &'static str> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS");
        };
        let json = |part: &str| -> Result<serde_json::Value, &'static str> {
            let raw = B64.decode(part).map_err(|_| "not base64url")?;
            serde_json::from_slice(&raw).map_err(|_| "not JSON")
        };
        let header = json(h)?;
        if header["alg"] != "EdDSA" {
            return Err("not an EdDSA token");
        }
        let kid = header["kid"].as_str().ok_or("no kid")?;
        let (_, key) = self
            .published
            .iter()
            .find(|(k, _)| k == kid)
            .ok_or("signed by a key this backend does not publish")?;
        let sig = B64
            .decode(sig)
            .ok()
            .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
            .ok_or("malformed signature")?;
        key.verify_strict(format!("{h}.{c}").as_bytes(), &sig)
            .map_err(|_| "bad signature")?;
        json(c)
    }
}

/// What a session token says about whom, beyond the times.
pub(crate) struct Subject<'a> {
    pub(crate) union_id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) flow: &'a str,
    /// `(corpId, userId)` of a member.
    pub(crate) member: Option<(&'a str, &'a str)>,
}

/// Issues session tokens.
#[derive(Clone, Debug)]
pub(crate) struct Sessions {
    pub(crate) keys: Option<SessionKeys>,
    pub(crate) ttl_secs: u64,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
}

impl Sessions {
    /// A signed token, or the opaque one without keys.
    pub(crate) fn issue(&self, s: &Subject<'_>) -> String {
        let Some(keys) = &self.keys else {
            return crate::serve::random_token(32);
        };
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut claims = serde_json::json!({
            "sub": match s.member { Some((corp, user)) => format!("{corp}:{user}"), None => s.union_id.to_owned() },
            "unionId": s.union_id,
            "name": s.name,
            "flow": s.flow,
            "iat": iat,
            "exp": iat + self.ttl_secs,
            "jti": crate::serve::random_token(16),
        });
        if let Some((corp, user)) = s.member {
            claims["corpId"] = corp.into();
            claims["userId"] = user.into();
        }
        if let Some(iss) = &self.issuer {
            claims["iss"] = iss.as_str().into();
        }
        if let Some(aud) = &self.audience {
            claims["aud"] = aud.as_str().into();
        }
        keys.sign(&claims)
    }

    /// The claims of a session token this backend issued and that is still valid (signature,
    /// `exp`, and `iss`/`aud` when configured), or why not.
    pub(crate) fn check(&self, token: &str) -> Result<serde_json::Value, &'static str> {
        let keys = self
            .keys
            .as_ref()
            .ok_or("this backend issues no signed session tokens")?;
        let claims = keys.verify(token)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if claims["exp"].as_u64().is_none_or(|exp| exp <= now) {
            return Err("expired");
        }
        if let Some(iss) = &self.issuer {
            if claims["iss"].as_str() != Some(iss) {
                return Err("another issuer");
            }
        }
        if let Some(aud) = &self.audience {
            if claims["aud"].as_str() != Some(aud) {
                return Err("another audience");
            }
        }
        Ok(claims)
    }

    /// The JWK Set (empty without keys).
    pub(crate) fn jwks(&self) -> serde_json::Value {
        self.keys
            .as_ref()
            .map_or_else(|| serde_json::json!({"keys": []}), SessionKeys::jwks)
    }
}

/// How session tokens are made: keys (`None`: opaque tokens), `iss`, `aud`.
#[derive(Clone, Debug, Default)]
pub struct SessionSettings {
    /// The signing key and the previous keys still published.
    pub keys: Option<SessionKeys>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `aud`.
    pub audience: Option<String>,
}

impl Sessions {
    /// The issuer for `settings`, tokens living `ttl_secs`.
    pub(crate) fn new(settings: &SessionSettings, ttl_secs: u64) -> Self {
        if settings.keys.is_none() {
            tracing::warn!(
                "no DINGTALK_SESSION_KEY[_FILE]: session tokens are opaque random strings that no service can verify"
            );
        }
        Sessions {
            keys: settings.keys.clone(),
            ttl_secs,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        }
    }
}

/// `serve` flags for session tokens.
#[derive(clap::Args, Debug, Default)]
pub struct SessionArgs {
    /// PKCS#8 PEM files of previous signing keys, still published in the JWKS so tokens they signed
    /// verify until they expire (repeat the flag for several). The signing key itself comes from
    /// DINGTALK_SESSION_KEY or DINGTALK_SESSION_KEY_FILE.
    #[arg(
        long = "session-previous-key-file",
        env = "DINGTALK_SESSION_PREVIOUS_KEY_FILES",
        value_delimiter = ','
    )]
    pub previous_key_files: Vec<String>,
    /// `iss` of session tokens (e.g. this backend's public URL).
    #[arg(long, env = "DINGTALK_SESSION_ISSUER")]
    pub session_issuer: Option<String>,
    /// `aud` of session tokens (e.g. the app's API).
    #[arg(long, env = "DINGTALK_SESSION_AUDIENCE")]
    pub session_audience: Option<String>,
}

impl SessionArgs {
    /// The settings: keys from the environment and files, `iss`, `aud`.
    pub fn settings(self) -> Result<SessionSettings, String> {
        Ok(SessionSettings {
            keys: self.keys()?,
            issuer: self.session_issuer,
            audience: self.session_audience,
        })
    }

    /// The keys: configured ones, or `None` (opaque session tokens).
    fn keys(&self) -> Result<Option<SessionKeys>, String> {
        let Some(pem) = secret_from_env("DINGTALK_SESSION_KEY")? else {
            if !self.previous_key_files.is_empty() {
                return Err("previous session keys need DINGTALK_SESSION_KEY[_FILE]".into());
            }
            return Ok(None);
        };
        let previous = self
            .previous_key_files
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        SessionKeys::from_pem(pem.expose(), &previous).map(Some)
    }
}

/// `POST /v1/session/refresh` with `Authorization: Bearer <sessionToken>`: a new token for the same
/// subject when the current one is valid and, for a member, the member is still an active member
/// of the organisation (checked with DingTalk now, `topapi/v2/user/get`: a member who left or was
/// deactivated gets 403 `not_org_member` and no token). The answer is `{"sessionToken",
/// "expiresIn", "member"?}`; a token that is missing, not ours, tampered with or expired is 401
/// `invalid_session`.
pub(crate) async fn refresh(
    axum::extract::State(backend): axum::extract::State<crate::Backend>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, crate::error::ApiError> {
    use crate::error::{ApiError, ErrorCode};
    let invalid = |why: &str| {
        ApiError::new(
            ErrorCode::InvalidSession,
            format!("the session token cannot be refreshed: {why}"),
        )
    };
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("no `Authorization: Bearer` token"))?;
    let sessions = backend.sessions();
    let claims = sessions.check(token).map_err(invalid)?;
    let text = |k: &str| claims[k].as_str().map(str::to_owned);
    let union_id = text("unionId").ok_or_else(|| invalid("no unionId"))?;
    let flow = text("flow").unwrap_or_default();
    let mut cost = crate::member::Cost::default();
    let member = match (text("corpId"), text("userId"), backend.members()) {
        (Some(corp), Some(user), Some(m)) if corp == m.config.corp_id => {
            Some(m.still_member(&user, &mut cost).await?)
        }
        (Some(_), Some(_), _) => {
            return Err(invalid("its organisation is not this backend's"));
        }
        // An account token (no member): admitted at login without membership; a backend that now
        // requires membership checks it like a login would.
        (_, _, Some(m)) if m.config.require_membership => m.resolve(&union_id, &mut cost).await?,
        _ => None,
    };
    let name = member
        .as_ref()
        .and_then(|m| m.name.clone())
        .or_else(|| text("name"))
        .unwrap_or_default();
    let ids = member
        .as_ref()
        .map(|m| (m.corp_id.as_str(), m.user_id.as_str()));
    let session_token = sessions.issue(&Subject {
        union_id: &union_id,
        name: &name,
        flow: &flow,
        member: ids,
    });
    tracing::info!(
        dingtalk_calls = cost.calls,
        dingtalk_ms = cost.elapsed.as_millis() as u64,
        member = ids.is_some(),
        "session refreshed"
    );
    let mut body = serde_json::json!({
        "sessionToken": session_token,
        "expiresIn": sessions.ttl_secs,
    });
    if let Some(m) = member {
        body["member"] = m.to_value();
    }
    Ok(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier};

    // RFC 8037 Appendix A.1's private key, as PKCS#8 PEM.
    const RFC8037_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";

    #[test]
    fn the_kid_is_rfc7638_thumbprint_of_rfc8037_example() {
        let k = SessionKeys::from_pem(RFC8037_PEM, &[]).unwrap();
        // RFC 8037 A.2 (public key) and A.3 (its thumbprint).
        assert_eq!(
            k.jwks()["keys"][0]["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(k.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn tokens_verify_with_the_published_key_and_rotation_keeps_old_keys() {
        let old = SessionKeys::from_pem(RFC8037_PEM, &[]).unwrap();
        let s = Sessions {
            keys: Some(old.clone()),
            ttl_secs: 600,
            issuer: Some("https://login.example".into()),
            audience: None,
        };
        let token = s.issue(&Subject {
            union_id: "u1",
            name: "张三",
            flow: "browser",
            member: Some(("corp", "user1")),
        });
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], old.kid());
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "corp:user1");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            600
        );
        // Rotated: a new signing key, the old one published too; the old token still verifies.
        let new_pem = {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            SigningKey::from_bytes(&[7u8; 32])
                .to_pkcs8_pem(Default::default())
                .unwrap()
                .to_string()
        };
        let rotated = SessionKeys::from_pem(&new_pem, &[RFC8037_PEM.to_owned()]).unwrap();
        assert_ne!(rotated.kid(), old.kid());
        let jwks = rotated.jwks();
        let published = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == old.kid())
            .expect("the old key stays published");
        let x: [u8; 32] = B64
            .decode(published["x"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig = Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
        VerifyingKey::from_bytes(&x)
            .unwrap()
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn bad_keys_are_clear_errors() {
        let e = SessionKeys::from_pem("not a key", &[]).unwrap_err();
        assert!(e.contains("openssl genpkey"), "{e}");
        let e = SessionKeys::from_pem(RFC8037_PEM, &["junk".into()]).unwrap_err();
        assert!(e.contains("previous session key #1"), "{e}");
    }
}
