//! The campaign's one secret key (`JEMPOL_SECRET_KEY`, never in the config file) and what
//! is derived from it: the AEAD that seals business tokens at rest, and the MAC that
//! signs personal links and OAuth states.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;

/// The environment variable that holds the key unless `[serve] secret_key_env` names another.
pub const DEFAULT_KEY_ENV: &str = "JEMPOL_SECRET_KEY";

/// What can go wrong with the key or a sealed value.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "{var} is not set: it holds the key that encrypts business tokens and signs their links \
         (64 hex characters; `jempol config new-key` prints a fresh one)"
    )]
    Missing { var: String },
    #[error("{var} must be 64 hex characters (32 random bytes); it has {len} characters")]
    Malformed { var: String, len: usize },
    /// A sealed value that this key did not seal, or that was altered, or moved to
    /// another row (the context is part of what is authenticated).
    #[error("a stored token could not be decrypted with this key (another key, or altered)")]
    Unreadable,
}

/// The key, split by purpose so that a link's MAC can never open a token.
pub struct Vault {
    sealing: RandomizedNonceKey,
    signing: hmac::Key,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

impl Vault {
    /// The vault of the key in `var`, read through `env` (normally `std::env::var`).
    pub fn from_env(var: &str, env: impl Fn(&str) -> Option<String>) -> Result<Vault, VaultError> {
        let text = env(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| VaultError::Missing { var: var.into() })?;
        let bytes =
            decode_hex(&text)
                .filter(|b| b.len() == 32)
                .ok_or_else(|| VaultError::Malformed {
                    var: var.into(),
                    len: text.chars().count(),
                })?;
        Ok(Vault::from_key(&bytes))
    }

    /// The vault of 32 key bytes.
    pub fn from_key(key: &[u8]) -> Vault {
        let master = hmac::Key::new(hmac::HMAC_SHA256, key);
        let derive = |label: &str| hmac::sign(&master, label.as_bytes());
        let sealing = derive("jempol token sealing v1");
        let signing = derive("jempol link signing v1");
        Vault {
            // A 32-byte key always fits AES-256-GCM.
            sealing: RandomizedNonceKey::new(&AES_256_GCM, sealing.as_ref())
                .unwrap_or_else(|_| unreachable!("AES-256-GCM takes a 32-byte key")),
            signing: hmac::Key::new(hmac::HMAC_SHA256, signing.as_ref()),
        }
    }

    /// A fresh key as 64 hex characters (`jempol config new-key`).
    pub fn new_key_hex() -> String {
        hex(&random_bytes::<32>())
    }

    /// `plain` encrypted and authenticated together with `context` (which row and field
    /// it belongs to): nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &str, plain: &str) -> Vec<u8> {
        let mut data = plain.as_bytes().to_vec();
        let nonce = self
            .sealing
            .seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut data)
            .unwrap_or_else(|_| unreachable!("sealing in memory does not fail"));
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&data);
        out
    }

    /// What [`Vault::seal`] sealed with the same `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<String, VaultError> {
        if sealed.len() < NONCE_LEN {
            return Err(VaultError::Unreadable);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Unreadable)?;
        let mut data = rest.to_vec();
        let plain = self
            .sealing
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| VaultError::Unreadable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Unreadable)
    }

    /// A MAC of `message` under the signing key, as hex (links, OAuth states, CSRF).
    pub fn sign(&self, message: &str) -> String {
        hex(hmac::sign(&self.signing, message.as_bytes()).as_ref())
    }

    /// Whether `mac` is [`Vault::sign`]'s answer for `message` (constant time).
    pub fn verify(&self, message: &str, mac: &str) -> bool {
        match decode_hex(mac) {
            Some(tag) => hmac::verify(&self.signing, message.as_bytes(), &tag).is_ok(),
            None => false,
        }
    }
}

/// `N` bytes from the system's secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).unwrap_or_else(|_| unreachable!("the system RNG is there"));
    out
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::from_key(&[7u8; 32])
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_its_context() {
        let v = vault();
        let sealed = v.seal("tiktok access 42", "act.secret-token");
        assert!(!String::from_utf8_lossy(&sealed).contains("act.secret"));
        assert_eq!(
            v.open("tiktok access 42", &sealed).unwrap(),
            "act.secret-token"
        );
        // Moved to another row or field: refused.
        assert!(v.open("tiktok refresh 42", &sealed).is_err());
        assert!(v.open("tiktok access 43", &sealed).is_err());
        // Another key: refused.
        assert!(
            Vault::from_key(&[8u8; 32])
                .open("tiktok access 42", &sealed)
                .is_err()
        );
        // Altered: refused.
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(v.open("tiktok access 42", &bad).is_err());
        // Two seals of one value differ (a fresh nonce each time).
        assert_ne!(v.seal("c", "x"), v.seal("c", "x"));
    }

    #[test]
    fn the_key_comes_from_the_environment_as_64_hex_characters() {
        let env = |v: &'static str| move |_: &str| Some(v.to_string());
        assert!(Vault::from_env("K", env("00")).is_err());
        let err = Vault::from_env("K", |_| None).unwrap_err().to_string();
        assert!(err.contains("K is not set"), "{err}");
        let err = Vault::from_env("K", env("zz")).unwrap_err().to_string();
        assert!(err.contains("64 hex characters"), "{err}");
        let key = Vault::new_key_hex();
        assert_eq!(key.len(), 64);
        let a = Vault::from_env("K", |_| Some(key.clone())).unwrap();
        let b = Vault::from_env("K", |_| Some(key.clone())).unwrap();
        assert_eq!(a.open("c", &b.seal("c", "t")).unwrap(), "t");
        assert!(!format!("{a:?}").contains(&key));
    }

    #[test]
    fn signatures_verify_only_for_their_message() {
        let v = vault();
        let mac = v.sign("umkm-001.1795392000");
        assert!(v.verify("umkm-001.1795392000", &mac));
        assert!(!v.verify("umkm-002.1795392000", &mac));
        assert!(!v.verify("umkm-001.1795392000", "00"));
        assert!(!v.verify("umkm-001.1795392000", "not hex"));
        assert!(!Vault::from_key(&[9; 32]).verify("umkm-001.1795392000", &mac));
    }
}
