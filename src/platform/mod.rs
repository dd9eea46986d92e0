//! What every platform has in common: the [`Platform`] enum, the shared types, and the
//! one [`PlatformClient`] trait the scheduler talks to.

pub mod facebook;
pub mod feed;
mod graph;
pub mod graph_version;
pub mod http;
pub mod instagram;
pub mod pager;
pub mod tiktok;
pub mod youtube;

use std::fmt;
use std::str::FromStr;

pub use http::ApiError;

/// Graph's error classification, for the consent path's Graph calls.
pub fn graph_verdict(raw: &http::Raw) -> http::Verdict {
    graph::verdict(raw)
}

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
    /// The public profile page of an account by its stored handle (a username, a Page
    /// id, a `UC…` channel id or an `@handle`), the handle percent-encoded as one path
    /// segment.
    pub fn profile_url(self, handle: &str) -> Option<String> {
        let handle = handle.trim();
        if handle.is_empty() {
            return None;
        }
        let (base, segments): (&str, Vec<String>) = match self {
            Platform::Instagram => ("https://www.instagram.com/", vec![handle.to_string()]),
            Platform::Facebook => ("https://www.facebook.com/", vec![handle.to_string()]),
            Platform::Tiktok => (
                "https://www.tiktok.com/",
                vec![format!("@{}", handle.trim_start_matches('@'))],
            ),
            Platform::Youtube if handle.starts_with("UC") => (
                "https://www.youtube.com/",
                vec!["channel".to_string(), handle.to_string()],
            ),
            Platform::Youtube => (
                "https://www.youtube.com/",
                vec![format!("@{}", handle.trim_start_matches('@'))],
            ),
        };
        let mut url = url::Url::parse(base).ok()?;
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(&segments);
        Some(url.to_string())
    }

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

    /// The name people write: what reports show (`as_str` is for files and logs).
    pub fn name(self) -> &'static str {
        match self {
            Platform::Instagram => "Instagram",
            Platform::Facebook => "Facebook",
            Platform::Tiktok => "TikTok",
            Platform::Youtube => "YouTube",
        }
    }

    /// Whether the platform's API reports shares of a post (Facebook, TikTok). The
    /// business_daily view in schema.sql encodes the same.
    pub fn reports_shares(self) -> bool {
        matches!(self, Platform::Facebook | Platform::Tiktok)
    }

    /// Whether the platform's API reports views of a post (TikTok, YouTube).
    pub fn reports_views(self) -> bool {
        matches!(self, Platform::Tiktok | Platform::Youtube)
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

/// A post jempol tracks, as the scheduler hands it to a client for refreshing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedPost {
    pub id: String,
    pub account: Option<AccountRef>,
    pub posted_at: Option<jiff::Timestamp>,
}

/// An account jempol follows (registered in the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedAccount {
    pub handle: String,
    pub platform_user_id: Option<String>,
}

/// One page of discovery, with the cursor to resume from (`None`: the listing ended).
#[derive(Debug, Clone, Default)]
pub struct DiscoveryPage {
    pub posts: Vec<Post>,
    pub next: Option<String>,
    /// Items skipped because they could not be parsed, with the reason.
    pub skipped: Vec<String>,
    /// Hashtag ids resolved on the way: (tag, platform id), to keep for good.
    pub learned_tags: Vec<(String, String)>,
    /// What the page listed (every item, tagged or not), for the pager to tell a listing
    /// that moves on from one that stalls. A page that opens a new part of the listing
    /// (another tag or edge, another date window) lists that part too: an empty window
    /// is progress, an empty page inside one is not.
    pub listed: Vec<String>,
}

/// Every post id an account showed, from its newest back to at least `since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub handle: String,
    pub ids: Vec<String>,
    pub since: jiff::Timestamp,
}

/// The platform's own id of an account registered by handle, learned on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub handle: String,
    pub platform_user_id: String,
}

/// What a refresh or an account read learned.
#[derive(Debug, Clone, Default)]
pub struct Harvest {
    pub posts: Vec<Post>,
    pub stats: Vec<AccountStats>,
    /// Posts the platform no longer serves.
    pub deleted: Vec<String>,
    /// Accounts the platform cannot read (unknown, personal, banned), by handle.
    pub unreachable: Vec<String>,
    /// Ids learned for accounts registered by handle.
    pub resolved: Vec<Resolved>,
    pub skipped: Vec<String>,
    /// Complete listings of accounts' posts back to some time: a tracked post of that
    /// account, published after `since` and not listed, is deleted.
    pub listings: Vec<Listing>,
    /// A read that failed part-way: what came before it is in this harvest, to be
    /// stored, and then the error is the step's (an expired token still stops the
    /// platform).
    pub failure: Option<ApiError>,
}

impl Harvest {
    pub fn absorb(&mut self, other: Harvest) {
        self.posts.extend(other.posts);
        self.stats.extend(other.stats);
        self.deleted.extend(other.deleted);
        self.unreachable.extend(other.unreachable);
        self.resolved.extend(other.resolved);
        self.skipped.extend(other.skipped);
        self.listings.extend(other.listings);
        if self.failure.is_none() {
            self.failure = other.failure;
        }
    }
}

/// The one interface between the scheduler and a platform. Every method returns only
/// posts that carry a campaign tag; counts the platform hides are `None`.
#[allow(async_fn_in_trait)] // used through the `Client` enum, never as `dyn`
pub trait PlatformClient {
    fn platform(&self) -> Platform;

    /// One page of tagged posts published since `since`, resuming at `cursor`. Platforms
    /// without a hashtag search (Facebook) return an empty, finished page.
    async fn discover(
        &self,
        since: jiff::Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError>;

    /// Registered accounts: their figures and, where the platform lists an account's
    /// posts (Instagram, Facebook, YouTube), their recent tagged posts.
    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError>;

    /// Fresh counts for tracked posts, batched as the API allows; posts the platform
    /// no longer serves come back in [`Harvest::deleted`].
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError>;

    /// [`PlatformClient::refresh`], handing the harvest to `feeder` piece by piece as it
    /// is read; `Ok(false)` when nothing more could be handed over (storing failed). A
    /// platform whose one refresh reads a long listing (TikTok's 30-day windows: 100,000
    /// videos, ~60 MB as posts) hands over pages as they come: they are stored while the
    /// rest is read, and memory holds a few pages, not the listing.
    async fn refresh_in_parts(
        &self,
        posts: &[TrackedPost],
        feeder: &feed::Feeder,
    ) -> Result<bool, ApiError> {
        let mut harvest = self.refresh(posts).await?;
        let failure = harvest.failure.take();
        let open = feeder.feed(harvest).await;
        failure.map_or(Ok(open), Err)
    }

    /// How many posts one refresh call should get (the scheduler's batch size).
    fn refresh_batch(&self) -> usize;

    /// How many accounts one `read_accounts` call should get.
    fn account_batch(&self) -> usize;

    /// Quota units one discovery page costs (YouTube search: 100).
    fn discovery_cost(&self) -> u32 {
        1
    }

    /// Requests sent so far (retries included).
    fn requests(&self) -> u64;

    /// `text` without the secrets this client knows (configured and issued).
    fn redact(&self, text: &str) -> String;
}

/// The clients as one type, so the scheduler never names a platform.
pub enum Client {
    Instagram(instagram::Instagram),
    InstagramOwn(instagram::own::InstagramOwn),
    Facebook(facebook::Facebook),
    Tiktok(tiktok::Tiktok),
    TiktokDisplay(tiktok::display::TiktokDisplay),
    Youtube(youtube::Youtube),
}

macro_rules! each {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            Client::Instagram($c) => $e,
            Client::InstagramOwn($c) => $e,
            Client::Facebook($c) => $e,
            Client::Tiktok($c) => $e,
            Client::TiktokDisplay($c) => $e,
            Client::Youtube($c) => $e,
        }
    };
}

impl PlatformClient for Client {
    fn platform(&self) -> Platform {
        each!(self, c => c.platform())
    }
    async fn discover(
        &self,
        since: jiff::Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        each!(self, c => c.discover(since, cursor).await)
    }
    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        each!(self, c => c.read_accounts(accounts, horizon).await)
    }
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        each!(self, c => c.refresh(posts).await)
    }
    async fn refresh_in_parts(
        &self,
        posts: &[TrackedPost],
        feeder: &feed::Feeder,
    ) -> Result<bool, ApiError> {
        each!(self, c => c.refresh_in_parts(posts, feeder).await)
    }
    fn refresh_batch(&self) -> usize {
        each!(self, c => c.refresh_batch())
    }
    fn account_batch(&self) -> usize {
        each!(self, c => c.account_batch())
    }
    fn discovery_cost(&self) -> u32 {
        each!(self, c => c.discovery_cost())
    }
    fn requests(&self) -> u64 {
        each!(self, c => c.requests())
    }
    fn redact(&self, text: &str) -> String {
        each!(self, c => c.redact(text))
    }
}

/// Joins a configured base URL and a path (`https://graph.facebook.com/v21.0` +
/// `/ig_hashtag_search`), keeping the base's own path.
pub fn endpoint(base: &str, path: &str) -> Result<url::Url, ApiError> {
    let joined = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url::Url::parse(&joined).map_err(|e| ApiError::Invalid(format!("bad URL {joined}: {e}")))
}

/// The most of a caption jempol stores: well above any platform's own limit (Facebook's
/// ~63,000 characters), far below a hostile 10 MB one. Tags are matched on the whole text.
pub const CAPTION_MAX_BYTES: usize = 64 * 1024;

/// A caption as stored: cut at a character boundary within [`CAPTION_MAX_BYTES`], with
/// `…` marking the cut.
pub fn stored_caption(text: &str) -> String {
    // A NUL would cut the text for many readers of the database: dropped on ingest.
    if text.contains('\0') {
        return stored_caption(&text.replace('\0', ""));
    }
    if text.len() <= CAPTION_MAX_BYTES {
        return text.to_string();
    }
    let mut end = CAPTION_MAX_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The largest count jempol believes: far above any post's or account's (the most-liked
/// posts have ~10^8), far below what would overflow a sum of many (2^63).
pub const COUNT_MAX: u64 = 1_000_000_000_000;

/// Length caps on what a platform says of a post (its caption has its own,
/// [`CAPTION_MAX_BYTES`]): far above any real value, far below a hostile one (a 10 MB
/// permalink made a 42 MB report).
pub const ID_MAX_BYTES: usize = 128;
pub const LINK_MAX_BYTES: usize = 2048;
pub const NAME_MAX_BYTES: usize = 300;
pub const MEDIA_TYPE_MAX_BYTES: usize = 32;

/// A parsed post within the caps: an id over [`ID_MAX_BYTES`] makes the item malformed;
/// a longer permalink, media type, handle or name is dropped (unknown) instead.
pub fn fit(mut post: Post) -> Result<Option<Post>, String> {
    if post.id.len() > ID_MAX_BYTES || post.id.is_empty() {
        return Err(format!("an id of {} bytes", post.id.len()));
    }
    let cap = |v: &mut Option<String>, max: usize| {
        if v.as_ref().is_some_and(|s| s.len() > max) {
            *v = None;
        }
    };
    cap(&mut post.permalink, LINK_MAX_BYTES);
    cap(&mut post.media_type, MEDIA_TYPE_MAX_BYTES);
    if let Some(a) = post.account.as_mut() {
        cap(&mut a.handle, NAME_MAX_BYTES);
        cap(&mut a.platform_user_id, ID_MAX_BYTES);
        cap(&mut a.display_name, NAME_MAX_BYTES);
        if a.handle.is_none() && a.platform_user_id.is_none() {
            post.account = None;
        }
    }
    Ok(Some(post))
}

/// Parses a count that may be a JSON number or, as on YouTube, a string of digits. A
/// count that is negative, not a whole number, or above [`COUNT_MAX`] is unknown
/// (`None`), with a warning for one out of range.
pub fn count(v: &serde_json::Value) -> Option<u64> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    if n > COUNT_MAX {
        tracing::warn!(
            count = n,
            "implausible count from the platform, stored as unknown"
        );
        return None;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_urls_name_the_account_and_keep_a_strange_handle_inside_one_segment() {
        let url = |p: Platform, h: &str| p.profile_url(h).unwrap();
        assert_eq!(
            url(Platform::Instagram, "kedaiunires"),
            "https://www.instagram.com/kedaiunires"
        );
        assert_eq!(
            url(Platform::Tiktok, "@kripik_balado"),
            "https://www.tiktok.com/@kripik_balado"
        );
        assert_eq!(
            url(Platform::Tiktok, "kripik_balado"),
            "https://www.tiktok.com/@kripik_balado"
        );
        assert_eq!(
            url(Platform::Youtube, "UC2PQjvGzJmZesmCfPMdJKa6"),
            "https://www.youtube.com/channel/UC2PQjvGzJmZesmCfPMdJKa6"
        );
        assert_eq!(
            url(Platform::Youtube, "@sateuniepi"),
            "https://www.youtube.com/@sateuniepi"
        );
        assert_eq!(
            url(Platform::Facebook, "305000000002558"),
            "https://www.facebook.com/305000000002558"
        );
        // A hostile handle cannot leave its path segment (no other path, query or host).
        let odd = url(Platform::Instagram, "a/../b?x=<script>#y");
        assert!(
            odd.starts_with("https://www.instagram.com/a%2F..%2Fb%3Fx=%3Cscript%3E%23y"),
            "{odd}"
        );
        assert_eq!(Platform::Instagram.profile_url("  "), None);
    }

    #[test]
    fn long_captions_are_cut_at_a_character_boundary() {
        assert_eq!(stored_caption("Rendang 🍛"), "Rendang 🍛");
        let long = "🍛".repeat(CAPTION_MAX_BYTES); // 4 bytes each
        let cut = stored_caption(&long);
        assert!(cut.len() <= CAPTION_MAX_BYTES, "{}", cut.len());
        assert!(cut.ends_with("🍛…"));
    }

    #[test]
    fn a_post_within_the_caps_passes_and_a_hostile_one_is_cut_down() {
        let post = |id: &str, link: usize| Post {
            platform: Platform::Instagram,
            id: id.into(),
            account: Some(AccountRef {
                handle: Some("h".repeat(1000)),
                platform_user_id: Some("1".into()),
                display_name: None,
            }),
            permalink: Some("x".repeat(link)),
            caption: None,
            media_type: Some("IMAGE".into()),
            posted_at: None,
            counts: Counts::default(),
        };
        let ok = fit(post("17900", 100)).unwrap().unwrap();
        assert_eq!(ok.permalink.as_ref().map(String::len), Some(100));
        assert_eq!(
            ok.account.as_ref().unwrap().handle,
            None,
            "a 1000-byte handle"
        );
        let long = fit(post("17900", 10_000_000)).unwrap().unwrap();
        assert_eq!(long.permalink, None, "a 10 MB permalink is unknown");
        assert!(fit(post(&"9".repeat(200), 10)).is_err(), "a 200-byte id");
    }

    #[test]
    fn counts_out_of_range_are_unknown_never_huge_or_negative() {
        assert_eq!(count(&serde_json::json!(86)), Some(86));
        assert_eq!(count(&serde_json::json!("410")), Some(410));
        assert_eq!(count(&serde_json::json!(COUNT_MAX)), Some(COUNT_MAX));
        assert_eq!(count(&serde_json::json!(i64::MAX)), None);
        assert_eq!(count(&serde_json::json!("9223372036854775807")), None);
        assert_eq!(count(&serde_json::json!(-5)), None);
        assert_eq!(count(&serde_json::json!(1.5)), None);
    }

    #[test]
    fn names_round_trip_and_ignore_case() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
        }
        assert_eq!("TikTok".parse::<Platform>().unwrap(), Platform::Tiktok);
        assert!("myspace".parse::<Platform>().is_err());
    }
}
