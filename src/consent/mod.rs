//! Consent: businesses connect their own accounts (platform-apis-consent.md). The key
//! and what it seals or signs ([`vault`], [`signing`]), the platforms' OAuth flows
//! ([`tiktok`]), and the [`keeper`] that hands the pollers live tokens and renews them.

pub mod keeper;
pub mod meta;
pub mod signing;
pub mod tiktok;
pub mod vault;

pub use keeper::Keeper;
pub use vault::{Vault, VaultError};

use crate::platform::Platform;

/// What a sealed token is bound to: its platform, the platform's user id and the field,
/// so a sealed value moved to another row or field does not open.
pub fn token_context(platform: Platform, external_id: &str, field: &str) -> String {
    format!("{platform}|{external_id}|{field}")
}
