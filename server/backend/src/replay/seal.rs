//! Kept answers are sealed before they reach Redis: AES-256-GCM (the RustCrypto `aes-gcm` crate)
//! under the operator's key, so a reader of the Redis (a backup, a monitoring tool, a shared managed
//! instance) sees neither session tokens nor identities. The associated data binds a sealed answer
//! to its login's key, idempotency-key digest and grant digest: moved to another entry it no longer
//! opens.
//!
//! Format: `<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id names the key that sealed
//! it, so an operator rotates by putting a new key first and keeping the old one until the entries
//! sealed under it have expired (`--replay-ttl-secs`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::body::Bytes;
use axum::http::StatusCode;
use base64::Engine as _;

use super::{StoreError, Stored};
use crate::config::AnswerKeys;
use crate::error::ErrorCode;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The operator's keys, the first one sealing.
pub(crate) struct Sealer {
    keys: Vec<(String, Aes256Gcm)>,
}

fn aad(key: &str, idem: &str, grant: &str) -> Vec<u8> {
    format!("{key}|{idem}|{grant}").into_bytes()
}

fn unreadable() -> StoreError {
    StoreError("unreadable answer in the replay store".into())
}

impl Sealer {
    pub(crate) fn new(keys: &AnswerKeys) -> Self {
        Sealer {
            keys: keys
                .0
                .iter()
                .map(|(id, k)| (id.clone(), Aes256Gcm::new(k.into())))
                .collect(),
        }
    }

    /// `plain` sealed under the first key with a fresh random nonce, bound to `aad` (e.g. the Redis
    /// key it is stored under): `<key id>.<base64url(nonce ‖ ciphertext)>`.
    pub(crate) fn seal_bytes(&self, aad: &[u8], plain: &[u8]) -> String {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source works");
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("AES-GCM seals any message of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{id}.{}", B64.encode(out))
    }

    /// What [`Sealer::seal_bytes`] sealed with this `aad`; `None` for an unknown key id, a forged or
    /// moved value.
    pub(crate) fn open_bytes(&self, aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
        let (id, b64) = sealed.split_once('.')?;
        let (_, cipher) = self.keys.iter().find(|(k, _)| k == id)?;
        let raw = B64.decode(b64).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
    }

    /// The answer, sealed under the first key with a fresh random nonce.
    pub(crate) fn seal(&self, key: &str, idem: &str, grant: &str, s: &Stored) -> String {
        let plain = serde_json::json!({
            "s": s.status.as_u16(),
            "e": s.error,
            "b": String::from_utf8_lossy(&s.body),
        })
        .to_string();
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source works");
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad(key, idem, grant),
                },
            )
            .expect("AES-GCM seals any message of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{id}.{}", B64.encode(out))
    }

    /// The answer sealed in `sealed`; an unknown key id, a forged or moved value is an error.
    pub(crate) fn open(
        &self,
        key: &str,
        idem: &str,
        grant: &str,
        sealed: &str,
    ) -> Result<Stored, StoreError> {
        let (id, b64) = sealed.split_once('.').ok_or_else(unreadable)?;
        let Some((_, cipher)) = self.keys.iter().find(|(k, _)| k == id) else {
            return Err(StoreError(format!(
                "an answer in the replay store is sealed under key id {id}, which this instance does not have"
            )));
        };
        let raw = B64.decode(b64).map_err(|_| unreadable())?;
        if raw.len() < 12 {
            return Err(unreadable());
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &aad(key, idem, grant),
                },
            )
            .map_err(|_| unreadable())?;
        decode_answer(&plain)
    }
}

fn decode_answer(json: &[u8]) -> Result<Stored, StoreError> {
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|_| unreadable())?;
    let status = v["s"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .ok_or_else(unreadable)?;
    let error = match &v["e"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(e) => {
            Some(ErrorCode::from_wire(e).ok_or_else(unreadable)?.as_str())
        }
        _ => return Err(unreadable()),
    };
    let body = v["b"].as_str().ok_or_else(unreadable)?;
    Ok(Stored {
        status,
        body: Bytes::from(body.to_owned()),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(spec: &str) -> Sealer {
        Sealer::new(&AnswerKeys::parse(spec).unwrap())
    }

    const K1: &str = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const K2: &str = "k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    #[test]
    fn sealed_answers_open_only_where_they_were_sealed_and_hide_the_token() {
        let s = Stored {
            status: StatusCode::OK,
            body: Bytes::from_static(br#"{"sessionToken":"tok-secret","nick":"Alice"}"#),
            error: None,
        };
        let old = keys(K1);
        let sealed = old.seal("dtauth:{ab}", "i", "g", &s);
        assert!(sealed.starts_with("k1."), "{sealed}");
        assert!(!sealed.contains("tok-secret") && !sealed.contains("Alice"));
        assert_eq!(old.open("dtauth:{ab}", "i", "g", &sealed).unwrap(), s);
        // Moved to another login, key or grant: refused.
        assert!(old.open("dtauth:{cd}", "i", "g", &sealed).is_err());
        assert!(old.open("dtauth:{ab}", "j", "g", &sealed).is_err());
        assert!(old.open("dtauth:{ab}", "i", "h", &sealed).is_err());
        // Rotation: the new key seals, the old one still opens what it sealed.
        let rotated = keys(&format!("{K2},{K1}"));
        assert_eq!(rotated.open("dtauth:{ab}", "i", "g", &sealed).unwrap(), s);
        assert!(rotated.seal("dtauth:{ab}", "i", "g", &s).starts_with("k2."));
        // Without the old key: a clear error naming the key id.
        let e = keys(K2).open("dtauth:{ab}", "i", "g", &sealed).unwrap_err();
        assert!(e.0.contains("k1"), "{e}");
        // Tampered: refused.
        let mut bad = sealed.clone();
        bad.pop();
        bad.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(old.open("dtauth:{ab}", "i", "g", &bad).is_err());
    }

    #[test]
    fn key_specs_are_checked() {
        assert!(AnswerKeys::parse("").is_err());
        assert!(AnswerKeys::parse("k1:short").is_err());
        assert!(AnswerKeys::parse("nocolon").is_err());
        assert!(AnswerKeys::parse(&format!("{K1},{K1}")).is_err());
        assert!(AnswerKeys::parse("bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").is_err());
        let shown = format!("{:?}", AnswerKeys::parse(K1).unwrap());
        assert_eq!(shown, r#"["k1"]"#);
    }
}
