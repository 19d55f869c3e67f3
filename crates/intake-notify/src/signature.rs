//! The webhook signature: `sha256=` and the lowercase hex HMAC-SHA256 of the exact body
//! bytes, keyed with the workspace's secret. Receivers recompute it over the bytes they
//! received, before parsing them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const PREFIX: &str = "sha256=";

fn mac(secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac
}

/// The `X-Intake-Signature` header's value for `body`: `sha256=<lowercase hex>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let tag = mac(secret, body).finalize().into_bytes();
    let mut out = String::with_capacity(PREFIX.len() + 2 * tag.len());
    out.push_str(PREFIX);
    for byte in tag.iter() {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0xf));
    }
    out
}

/// Whether `header` is the signature of `body` with `secret`. The tags are compared in
/// constant time, so a forger learns nothing from how long a refusal takes.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Some(tag) = decode_hex(hex) else {
        return false;
    };
    mac(secret, body).verify_slice(&tag).is_ok()
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0xf)])
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    hex.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn known_answer() {
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
    }

    #[test]
    fn verify_refuses_what_does_not_match() {
        let body = br#"{"event":"import.ended"}"#;
        let sig = signature(b"secret", body);
        assert!(verify(b"secret", body, &sig));
        assert!(verify(
            b"secret",
            body,
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify(b"other", body, &sig));
        assert!(!verify(b"secret", br#"{"event":"import.ended" }"#, &sig));
        assert!(!verify(b"secret", body, sig.trim_start_matches("sha256=")));
        assert!(!verify(b"secret", body, &sig[..sig.len() - 2]));
        assert!(!verify(b"secret", body, &format!("{}0", sig)));
        assert!(!verify(b"secret", body, "sha256=zz"));
        assert!(!verify(b"secret", body, ""));
    }
}
