//! The fake's own check of the legacy signature. Deliberately independent of the client
//! (`dingtalk_openapi::legacy_signature`, which uses the `hmac` crate): HMAC is written out here
//! from RFC 2104 over SHA-256, and the query value arrives already percent-decoded by the server.

use base64::Engine as _;
use sha2::{Digest, Sha256};

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104).
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; BLOCK];
    let mut opad = [0x5cu8; BLOCK];
    for i in 0..BLOCK {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// True when `decoded_signature` (the query value after one percent-decoding) is the Base64 HMAC of
/// `timestamp` keyed by `secret`.
pub(crate) fn signature_ok(secret: &str, timestamp: &str, decoded_signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(decoded_signature) else {
        return false;
    };
    let want = hmac_sha256(secret.as_bytes(), timestamp.as_bytes());
    given.len() == want.len()
        && given
            .iter()
            .zip(want.iter())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc4231_vectors() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn python_vector() {
        // python3: base64.b64encode(hmac.new(b"testappsecret", b"1546084445901", hashlib.sha256).digest())
        assert!(signature_ok(
            "testappsecret",
            "1546084445901",
            "OhyFo2qjhl8F+5FaXsW/+lfc5j5UVZghzmaCS8KDrew="
        ));
        assert!(!signature_ok(
            "testappsecret",
            "1546084445902",
            "OhyFo2qjhl8F+5FaXsW/+lfc5j5UVZghzmaCS8KDrew="
        ));
        // Double-encoded (still percent-encoded after one decoding): refused.
        assert!(!signature_ok(
            "testappsecret",
            "1546084445901",
            "OhyFo2qjhl8F%2B5FaXsW%2F%2Blfc5j5UVZghzmaCS8KDrew%3D"
        ));
    }
}
