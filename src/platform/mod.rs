//! What every platform has in common: the [`Platform`] enum and shared types.

use std::fmt;
use std::str::FromStr;

/// One of the four platforms jempol follows. Stored in the database by [`Platform::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Instagram,
    Facebook,
    Tiktok,
    Youtube,
}

impl Platform {
    /// Every platform, in the order reports list them.
    pub const ALL: [Platform; 4] = [
        Platform::Instagram,
        Platform::Facebook,
        Platform::Tiktok,
        Platform::Youtube,
    ];

    /// The lower-case name used in the database, the config and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Instagram => "instagram",
            Platform::Facebook => "facebook",
            Platform::Tiktok => "tiktok",
            Platform::Youtube => "youtube",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A platform name that jempol does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown platform {0:?} (expected instagram, facebook, tiktok or youtube)")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ignore_case() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
        }
        assert_eq!("TikTok".parse::<Platform>().unwrap(), Platform::Tiktok);
        assert!("myspace".parse::<Platform>().is_err());
    }
}
