//! Ed25519 signing and verification with QQ's key derivation.
//!
//! - **Seed:** the bot secret's UTF-8 bytes, repeated until there are at least 32 bytes, first 32
//!   kept. It is the RFC 8032 private key seed; the public key is derived from it.
//! - **Signed message:** the `X-Signature-Timestamp` value followed by the raw body bytes (for the
//!   op 13 answer: `event_ts` followed by `plain_token`).
//! - **Header:** the 64-byte signature, hex-encoded. Verification rejects non-hex text, a length
//!   other than 64 bytes and `sig[63] & 0xE0 != 0` before checking the curve equation.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::secret::Secret;

/// The derived private key. `Debug` never shows it; it is built from a [`Secret`] only.
#[derive(Clone)]
pub struct WebhookKey {
    signing: SigningKey,
}

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// A key could not be derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// An empty secret cannot be repeated to 32 bytes.
    #[error("the bot secret is empty; webhook signatures need the app secret")]
    EmptySecret,
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header was absent or empty.
    #[error("missing signature")]
    Missing,
    /// The header holds bytes other than visible ASCII, so it cannot be a hex signature.
    #[error("signature is malformed (not ASCII hex)")]
    Malformed,
    /// The header is not an even-length hex string.
    #[error("signature is not hex")]
    NotHex,
    /// The decoded signature is not 64 bytes long.
    #[error("signature is {0} bytes, expected 64")]
    WrongLength(usize),
    /// `sig[63] & 0xE0 != 0`: not a canonical Ed25519 signature.
    #[error("signature is not canonical (sig[63] & 0xE0 != 0)")]
    NonCanonical,
    /// Well-formed, but not made by the key for this message (wrong secret, or altered body).
    #[error("signature does not match (wrong secret, or body or timestamp altered)")]
    Mismatch,
}

/// The seed QQ derives from a secret: its UTF-8 bytes repeated to at least 32 bytes, first 32.
pub fn derive_seed(secret: &Secret) -> Result<[u8; 32], KeyError> {
    let bytes = secret.expose().as_bytes();
    if bytes.is_empty() {
        return Err(KeyError::EmptySecret);
    }
    let mut seed = [0u8; 32];
    for (slot, byte) in seed.iter_mut().zip(bytes.iter().cycle()) {
        *slot = *byte;
    }
    Ok(seed)
}

impl WebhookKey {
    /// Derive the key from the bot secret.
    pub fn from_secret(secret: &Secret) -> Result<WebhookKey, KeyError> {
        let seed = derive_seed(secret)?;
        Ok(WebhookKey {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// The public key (what QQ's receivers verify with).
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// Hex signature over `timestamp` followed by `body`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        hex_encode(&self.signing.sign(&message).to_bytes())
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl PublicKey {
    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key bytes as lowercase hex (safe to print).
    pub fn to_hex(&self) -> String {
        hex_encode(self.0.as_bytes())
    }

    /// Check a hex signature over `timestamp` followed by `body`.
    pub fn verify(
        &self,
        timestamp: &str,
        body: &[u8],
        sig_hex: &str,
    ) -> Result<(), SignatureError> {
        verify(self, timestamp, body, sig_hex)
    }
}

/// Sign `timestamp` ‖ `body` with the key derived from `secret`; returns hex.
pub fn sign(secret: &Secret, timestamp: &str, body: &[u8]) -> Result<String, KeyError> {
    Ok(WebhookKey::from_secret(secret)?.sign(timestamp, body))
}

/// Verify a hex signature over `timestamp` ‖ `body` (strict: canonical, 64 bytes, hex).
pub fn verify(
    public_key: &PublicKey,
    timestamp: &str,
    body: &[u8],
    sig_hex: &str,
) -> Result<(), SignatureError> {
    let sig_hex = sig_hex.trim();
    if sig_hex.is_empty() {
        return Err(SignatureError::Missing);
    }
    let bytes = hex_decode(sig_hex).ok_or(SignatureError::NotHex)?;
    let bytes: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| SignatureError::WrongLength(bytes.len()))?;
    if bytes[63] & 0xE0 != 0 {
        return Err(SignatureError::NonCanonical);
    }
    let signature = Signature::from_bytes(&bytes);
    let mut message = Vec::with_capacity(timestamp.len() + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.extend_from_slice(body);
    public_key
        .0
        .verify_strict(&message, &signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// Lowercase hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Decode hex (either case); `None` for odd length or a non-hex character.
pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let raw = text.as_bytes();
    if !raw.len().is_multiple_of(2) {
        return None;
    }
    raw.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_repeats_short_secrets_and_truncates_long_ones() {
        let seed = derive_seed(&Secret::new("naOC0ocQE3shWLAfffVLB1rhYPG7")).unwrap();
        assert_eq!(&seed, b"naOC0ocQE3shWLAfffVLB1rhYPG7naOC");
        let seed = derive_seed(&Secret::new("abc")).unwrap();
        assert_eq!(&seed, b"abcabcabcabcabcabcabcabcabcabcab");
        let long = "0123456789abcdefghijklmnopqrstuvwxyz";
        let seed = derive_seed(&Secret::new(long)).unwrap();
        assert_eq!(&seed[..], &long.as_bytes()[..32]);
        assert_eq!(derive_seed(&Secret::new("")), Err(KeyError::EmptySecret));
    }

    #[test]
    fn hex_round_trip_and_rejections() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("é0"), None);
    }

    #[test]
    fn verify_rejects_each_malformed_shape_without_panicking() {
        let key = WebhookKey::from_secret(&Secret::new("secret")).unwrap();
        let pk = key.public_key();
        let good = key.sign("1", b"{}");
        assert_eq!(pk.verify("1", b"{}", &good), Ok(()));
        assert_eq!(pk.verify("1", b"{}", ""), Err(SignatureError::Missing));
        assert_eq!(pk.verify("1", b"{}", "xyz!"), Err(SignatureError::NotHex));
        assert_eq!(
            pk.verify("1", b"{}", &good[..126]),
            Err(SignatureError::WrongLength(63))
        );
        let mut bytes = hex_decode(&good).unwrap();
        bytes[63] |= 0xE0;
        assert_eq!(
            pk.verify("1", b"{}", &hex_encode(&bytes)),
            Err(SignatureError::NonCanonical)
        );
        assert_eq!(pk.verify("2", b"{}", &good), Err(SignatureError::Mismatch));
        assert_eq!(pk.verify("1", b"{ }", &good), Err(SignatureError::Mismatch));
    }

    #[test]
    fn debug_never_shows_the_secret_or_seed() {
        let key = WebhookKey::from_secret(&Secret::new("hunter2hunter2")).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(&hex_encode(b"hunter2")), "{shown}");
        assert!(
            shown.starts_with("WebhookKey { public_key: PublicKey("),
            "{shown}"
        );
    }
}
