//! What is proven with keys on the consent path: PKCE for TikTok (a **hex** SHA-256
//! challenge, platform-apis-consent.md §6.1), TikTok's webhook signature (§6.7), Meta's
//! `signed_request` (§8.7), and jempol's own personal links.

use aws_lc_rs::{constant_time, digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

use super::vault::{Vault, hex, random_bytes};

/// A fresh PKCE verifier: 64 characters of `A–Z a–z 0–9 - _` (43–128 allowed).
pub fn pkce_verifier() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<48>())
}

/// TikTok's challenge: the lower-case hex SHA-256 of the verifier, not RFC 7636's
/// base64url (§6.1).
pub fn tiktok_challenge(verifier: &str) -> String {
    hex(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

/// A random value for an OAuth `state` or a confirmation code (URL-safe).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<24>())
}

/// Why a signed callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature")]
    Missing,
    #[error("malformed signature")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the signature is {0} s away from now (at most 300 s accepted)")]
    Stale(i64),
}

/// Checks `TikTok-Signature: t={unix},s={hex}`: HMAC-SHA256 with the client secret over
/// `{t}.{raw body}`, compared in constant time, `t` within five minutes of `now` (§6.7).
pub fn verify_tiktok(
    header: Option<&str>,
    body: &[u8],
    client_secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let (mut t, mut s) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.trim().parse::<i64>().ok(),
            Some(("s", v)) => s = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let (t, s) = t.zip(s).ok_or(SignatureError::Malformed)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let expected = hex(hmac::sign(&key, &signed).as_ref());
    constant_time::verify_slices_are_equal(expected.as_bytes(), s.to_ascii_lowercase().as_bytes())
        .map_err(|_| SignatureError::Mismatch)?;
    if (now - t).abs() > 300 {
        return Err(SignatureError::Stale(now - t));
    }
    Ok(())
}

/// The payload of a Meta `signed_request` (deauthorize, data deletion): split at the
/// `.`, HMAC-SHA256 with the app secret over the payload segment **as sent**, constant-
/// time compare, `algorithm == "HMAC-SHA256"`, then the JSON (§8.7).
pub fn verify_meta(
    signed_request: &str,
    app_secret: &str,
) -> Result<serde_json::Value, SignatureError> {
    let (sig, payload) = signed_request
        .trim()
        .split_once('.')
        .ok_or(SignatureError::Malformed)?;
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .or_else(|_| URL_SAFE.decode(s))
            .map_err(|_| SignatureError::Malformed)
    };
    let sig = decode(sig)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret.as_bytes());
    hmac::verify(&key, payload.as_bytes(), &sig).map_err(|_| SignatureError::Mismatch)?;
    let json: serde_json::Value =
        serde_json::from_slice(&decode(payload)?).map_err(|_| SignatureError::Malformed)?;
    if json["algorithm"].as_str() != Some("HMAC-SHA256") {
        return Err(SignatureError::Malformed);
    }
    Ok(json)
}

/// A business's personal link token: its registry key, when the link expires, and a
/// MAC over both (`{base64url(key)}.{expires}.{mac}`). Anyone holding it may connect
/// and disconnect that business's accounts until it expires, nothing else.
pub fn link_token(vault: &Vault, business_key: &str, expires_at: i64) -> String {
    let key = URL_SAFE_NO_PAD.encode(business_key.as_bytes());
    let mac = vault.sign(&format!("link|{key}|{expires_at}"));
    // 128 bits of the MAC keep the link short enough for a chat message.
    format!("{key}.{expires_at}.{}", &mac[..32])
}

/// Why a personal link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not a jempol link, or it was altered")]
    Invalid,
    #[error("the link expired")]
    Expired,
}

/// The business key a link token names and when the link expires, if its MAC holds
/// and it has not expired.
pub fn open_link(vault: &Vault, token: &str, now: i64) -> Result<(String, i64), LinkError> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(key), Some(exp), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LinkError::Invalid);
    };
    let expires_at: i64 = exp.parse().map_err(|_| LinkError::Invalid)?;
    let full = vault.sign(&format!("link|{key}|{expires_at}"));
    if mac.len() != 32
        || constant_time::verify_slices_are_equal(&full.as_bytes()[..32], mac.as_bytes()).is_err()
    {
        return Err(LinkError::Invalid);
    }
    if now >= expires_at {
        return Err(LinkError::Expired);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(key)
        .map_err(|_| LinkError::Invalid)?;
    let key = String::from_utf8(bytes).map_err(|_| LinkError::Invalid)?;
    Ok((key, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiktoks_challenge_is_the_hex_sha256_of_the_verifier() {
        // The test vector of platform-apis-consent.md §6.1.
        assert_eq!(
            tiktok_challenge("jempolSimVerifier0123456789abcdefghijklmnopqrstu"),
            "5f3d0797531a153fc6865e42d48665c8a0eff3356e42f9b1795d10da12838b60"
        );
        let v = pkce_verifier();
        assert!((43..=128).contains(&v.len()), "{v}");
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
        assert_ne!(pkce_verifier(), v);
    }

    #[test]
    fn a_tiktok_webhook_is_accepted_only_with_its_signature_and_in_time() {
        // The test vector of §6.7.
        let body = br#"{"client_key":"sbawjempolsim01","event":"authorization.removed","create_time":1795392000,"user_openid":"-000dendengUniLisOpenId000000001","content":"{\"reason\":1}"}"#;
        let header =
            "t=1795392060,s=386e9ee413dec140f4ea0f1e06dbda4e60b64653b0fb40f06dd2157e4af1d97b";
        assert_eq!(
            verify_tiktok(Some(header), body, "sim-client-secret", 1795392100),
            Ok(())
        );
        assert_eq!(
            verify_tiktok(Some(header), body, "another-secret", 1795392100),
            Err(SignatureError::Mismatch)
        );
        let mut altered = body.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            verify_tiktok(Some(header), &altered, "sim-client-secret", 1795392100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_tiktok(Some(header), body, "sim-client-secret", 1795392060 + 3600),
            Err(SignatureError::Stale(3600))
        );
        assert_eq!(
            verify_tiktok(None, body, "s", 0),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_tiktok(Some("s=ab"), body, "s", 0),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn a_meta_signed_request_is_verified_over_the_payload_as_sent() {
        // bk-rs/facebook-rs's vector, as platform-apis-consent.md §8.7 re-checked it.
        let sr = "Mf_s6nTb38UYqioBmPqu0Ewm9souPZB9I2fIGwV729U.eyJ1c2VyX2lkIjoiMCIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjoxNjI0MjQ0MTU2fQ";
        let json = verify_meta(sr, "key").unwrap();
        assert_eq!(json["user_id"], "0");
        assert_eq!(json["issued_at"], 1624244156);
        // The simulator's vector.
        let sim = "-A5aRF1VpvJddkDhesbBf0OiPsb5nSmarks3uzXE4lI.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImlzc3VlZF9hdCI6MTc5NTM5MjAwMCwidXNlcl9pZCI6IjczMDAwMDAwMDAwMDAwNDIifQ";
        assert_eq!(
            verify_meta(sim, "sim-app-secret").unwrap()["user_id"],
            "7300000000000042"
        );
        assert_eq!(verify_meta(sim, "key"), Err(SignatureError::Mismatch));
        let forged = sim.replacen(".eyJ", ".eyK", 1);
        assert_eq!(
            verify_meta(&forged, "sim-app-secret"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_meta("no-dot", "k"), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_personal_link_names_its_business_until_it_expires_and_not_once_altered() {
        let vault = Vault::from_key(&[3; 32]);
        let token = link_token(&vault, "UMKM-007 Uni Lis", 2_000);
        assert_eq!(
            open_link(&vault, &token, 1_999).unwrap(),
            ("UMKM-007 Uni Lis".to_string(), 2_000)
        );
        assert_eq!(open_link(&vault, &token, 2_000), Err(LinkError::Expired));
        // Another business's key with this MAC, a later expiry, another vault: refused.
        let (_, rest) = token.split_once('.').unwrap();
        let other = format!("{}.{rest}", URL_SAFE_NO_PAD.encode("UMKM-008"));
        assert_eq!(open_link(&vault, &other, 0), Err(LinkError::Invalid));
        let later = token.replace(".2000.", ".9000.");
        assert_eq!(open_link(&vault, &later, 0), Err(LinkError::Invalid));
        assert_eq!(
            open_link(&Vault::from_key(&[4; 32]), &token, 0),
            Err(LinkError::Invalid)
        );
        assert_eq!(open_link(&vault, "garbage", 0), Err(LinkError::Invalid));
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }
}
