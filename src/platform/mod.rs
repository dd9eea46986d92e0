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

/// Engagement counts of a post. `None` means the platform did not report the count
/// (hidden likes, comments turned off, no such metric): stored as NULL, never 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    pub views: Option<u64>,
}

/// Who posted, as far as the platform says. Instagram hashtag media carry no owner, so
/// a post's account may be unknown until Business Discovery lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountRef {
    /// Normalised as the registry stores it (lower-case username, `@handle`, page id).
    pub handle: Option<String>,
    /// The platform's own id (Instagram user id, page id, `UC…` channel id).
    pub platform_user_id: Option<String>,
    pub display_name: Option<String>,
}

/// One post as a platform reported it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub platform: Platform,
    /// The platform's id, kept as text (Graph ids are digit strings; TikTok ids exceed 2^53).
    pub id: String,
    pub account: Option<AccountRef>,
    pub permalink: Option<String>,
    pub caption: Option<String>,
    pub media_type: Option<String>,
    pub posted_at: Option<jiff::Timestamp>,
    pub counts: Counts,
}

/// An account's public figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStats {
    pub platform: Platform,
    pub account: AccountRef,
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub media_count: Option<u64>,
    /// TikTok `likes_count`: likes over all the account's videos.
    pub total_likes: Option<u64>,
    /// YouTube channel `viewCount`.
    pub total_views: Option<u64>,
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
