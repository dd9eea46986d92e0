//! Instagram through the Graph API (platform-apis.md §1): hashtag search, hashtag
//! media, Business Discovery.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::hashtag::Hashtag;
use crate::platform::http::{ApiError, Http, Request};
use crate::platform::pager::{End, Page, Pager};
use crate::platform::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Listing, Platform, PlatformClient,
    Post, TrackedAccount, TrackedPost, count, fit, graph, stored_caption,
};

/// Business Discovery reads in flight at once (one per account).
const IN_FLIGHT: usize = 8;

/// A Business Discovery media listing: 50 a page; a year of daily posts is 8 pages.
const ACCOUNT_PAGES: Pager = Pager::new(40);

const MEDIA_FIELDS: &str = "id,caption,media_type,comments_count,like_count,permalink,timestamp";

/// The Instagram client. Searches and Business Discovery act as the campaign's own
/// professional account (`ig_user_id`).
pub struct Instagram {
    http: Http,
    base: String,
    ig_user_id: String,
    token: String,
    tags: Vec<Hashtag>,
    /// Hashtag ids are static: resolved once, kept in the database (§1.1).
    hashtag_ids: Mutex<HashMap<String, String>>,
    /// Unique tags searched in the last 7 days (30 allowed, §1.1).
    searched_this_week: usize,
}

impl Instagram {
    pub fn new(
        http: Http,
        base: &str,
        ig_user_id: &str,
        token: String,
        tags: Vec<Hashtag>,
        known_ids: HashMap<String, String>,
        searched_this_week: usize,
    ) -> Instagram {
        Instagram {
            http,
            base: base.to_string(),
            ig_user_id: ig_user_id.to_string(),
            token,
            tags,
            hashtag_ids: Mutex::new(known_ids),
            searched_this_week,
        }
    }

    fn url(&self, path: &str, params: &[(&str, &str)]) -> Result<url::Url, ApiError> {
        graph::url(&self.base, path, params, &self.token)
    }

    async fn get(&self, url: url::Url, name: &'static str) -> Result<Value, ApiError> {
        self.http
            .send(&Request::get(url, name), graph::verdict)
            .await
    }

    /// The tag's id, searching for it only when it is not known yet.
    async fn hashtag_id(
        &self,
        tag: &Hashtag,
        learned: &mut Vec<(String, String)>,
    ) -> Result<String, ApiError> {
        let key = tag.lowercase();
        if let Some(id) = self
            .hashtag_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(id.clone());
        }
        if self.searched_this_week >= 30 {
            return Err(ApiError::Quota(
                "Instagram allows 30 unique hashtags per 7 days; none left for a new tag".into(),
            ));
        }
        let url = self.url(
            "ig_hashtag_search",
            &[("user_id", &self.ig_user_id), ("q", &key)],
        )?;
        let body = self.get(url, "ig_hashtag_search").await?;
        let id = body["data"][0]["id"]
            .as_str()
            .ok_or_else(|| ApiError::Invalid("ig_hashtag_search returned no id".into()))?
            .to_string();
        self.hashtag_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), id.clone());
        learned.push((key, id.clone()));
        Ok(id)
    }

    /// A media item, if it parses; the owner is known only through Business Discovery.
    fn media(&self, m: &Value, owner: Option<&AccountRef>) -> Result<Option<Post>, String> {
        media_item(&self.tags, m, owner)
    }

    /// Business Discovery of one account, paging its media back to `horizon`. What the
    /// pages before a failure brought (posts, the follower figure) is kept; only a
    /// listing read to its end or past `horizon` is handed over as complete.
    async fn discover_account(
        &self,
        account: &TrackedAccount,
        horizon: jiff::Timestamp,
    ) -> (Harvest, End) {
        let mut harvest = Harvest::default();
        let mut listed = Vec::new();
        let mut unreachable = false;
        let mut paging = ACCOUNT_PAGES.start::<String, ApiError>(None);
        while let Some(after) = paging.next_cursor() {
            let page = async {
                let media = match &after {
                    Some(a) => format!("media.after({a}).limit(50){{{MEDIA_FIELDS}}}"),
                    None => format!("media.limit(50){{{MEDIA_FIELDS}}}"),
                };
                let fields = format!(
                    "business_discovery.username({}){{id,username,followers_count,media_count,{media}}}",
                    account.handle
                );
                let url = self.url(&self.ig_user_id, &[("fields", &fields)])?;
                let body = match self.get(url, "business_discovery").await {
                    Err(ApiError::NotFound(why)) => {
                        tracing::debug!(account = %account.handle, reason = %why, "Instagram account cannot be discovered");
                        unreachable = true;
                        return Ok(Page { ids: Vec::new(), next: None, enough: true });
                    }
                    other => other?,
                };
                let bd = &body["business_discovery"];
                let owner = AccountRef {
                    handle: Some(account.handle.clone()),
                    platform_user_id: bd["id"].as_str().map(str::to_string),
                    display_name: None,
                };
                if after.is_none() {
                    harvest.stats.push(AccountStats {
                        platform: Platform::Instagram,
                        account: owner.clone(),
                        followers: count(&bd["followers_count"]),
                        following: None,
                        media_count: count(&bd["media_count"]),
                        total_likes: None,
                        total_views: None,
                    });
                }
                let items = bd["media"]["data"].as_array().cloned().unwrap_or_default();
                let mut page = Page {
                    ids: Vec::new(),
                    // Nested paging: the list ends when `after` is absent or data empty (§1.3).
                    next: bd["media"]["paging"]["cursors"]["after"]
                        .as_str()
                        .filter(|_| !items.is_empty())
                        .map(str::to_string),
                    enough: false,
                };
                for m in &items {
                    if let Some(id) = m["id"].as_str() {
                        page.ids.push(id.to_string());
                    }
                    page.enough |= graph::time(&m["timestamp"]).is_some_and(|t| t < horizon);
                    match self.media(m, Some(&owner)) {
                        Ok(Some(post)) => harvest.posts.push(post),
                        Ok(None) => {}
                        Err(why) => harvest
                            .skipped
                            .push(format!("instagram media of {}: {why}", account.handle)),
                    }
                }
                listed.extend(page.ids.iter().cloned());
                Ok::<_, ApiError>(page)
            }
            .await;
            paging.read(page);
        }
        let end = paging.end();
        if unreachable {
            harvest.unreachable.push(account.handle.clone());
        } else if end.is_complete() {
            harvest.listings.push(Listing {
                handle: account.handle.clone(),
                ids: listed,
                since: horizon,
            });
        } else if !matches!(end, End::Failed(_)) {
            tracing::warn!(account = %account.handle, end = ?end, "Instagram media listing ended unfinished; kept what it read");
        }
        (harvest, end)
    }
}

impl PlatformClient for Instagram {
    fn platform(&self) -> Platform {
        Platform::Instagram
    }

    /// `recent_media` of each tag (last 24 h; not chronological), then its `top_media`
    /// (the most popular media of any age: what a poll gap over 24 h would otherwise lose
    /// for good, §1.6). Cursor: `slot:?query`, the slot numbering the (edge, tag) pairs
    /// and the query that of the page's `next` link without the token (`slot:after` from
    /// older versions is still read).
    async fn discover(
        &self,
        _since: jiff::Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        let (index, rest) = match cursor.as_deref().and_then(|c| c.split_once(':')) {
            Some((i, rest)) => (i.parse::<usize>().unwrap_or(0), rest),
            None => (0, ""),
        };
        let mut page = DiscoveryPage::default();
        let edge = ["recent_media", "top_media"].get(index / self.tags.len().max(1));
        let (Some(tag), Some(&edge)) = (self.tags.get(index % self.tags.len().max(1)), edge) else {
            return Ok(page);
        };
        let id = self.hashtag_id(tag, &mut page.learned_tags).await?;
        let params: Vec<(String, String)> = match rest.strip_prefix('?') {
            Some(query) => graph::query_pairs(query),
            None => {
                let mut p = vec![
                    ("user_id".to_string(), self.ig_user_id.clone()),
                    ("fields".to_string(), MEDIA_FIELDS.to_string()),
                    ("limit".to_string(), "50".to_string()),
                ];
                if !rest.is_empty() {
                    p.push(("after".to_string(), rest.to_string()));
                }
                p
            }
        };
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = self
            .get(self.url(&format!("{id}/{edge}"), &params)?, edge)
            .await?;
        if rest.is_empty() {
            page.listed.push(format!("{index}:")); // a new tag or edge
        }
        for m in body["data"].as_array().into_iter().flatten() {
            if let Some(id) = m["id"].as_str() {
                page.listed.push(format!("{index}:{id}"));
            }
            match self.media(m, None) {
                Ok(Some(post)) => page.posts.push(post),
                Ok(None) => {}
                Err(why) => page.skipped.push(format!("instagram {edge}: {why}")),
            }
        }
        page.next = match graph::next_query(&body) {
            Some(q) => Some(format!("{index}:?{q}")),
            None if index + 1 < 2 * self.tags.len() => Some(format!("{}:", index + 1)),
            None => None,
        };
        Ok(page)
    }

    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        use futures::stream::{self, StreamExt};
        // A few reads in flight: governor still paces them and the budget meters each.
        // The (lazy) reads are made before the stream: a mapping closure that borrows
        // its argument would keep the daemon's future from being `Send`.
        let reads: Vec<_> = accounts
            .iter()
            .map(|a| self.discover_account(a, horizon))
            .collect();
        let mut reads = stream::iter(reads).buffered(IN_FLIGHT);
        let mut harvest = Harvest::default();
        let mut failed = None;
        while let Some((read, end)) = reads.next().await {
            harvest.absorb(read);
            if let Some(e) = end.into_error() {
                failed.get_or_insert(e);
            }
        }
        // A failed account read keeps what its first pages brought; an error that stops
        // the platform (auth, quota) still stops it, after this harvest is stored.
        match failed {
            Some(e) if harvest.posts.is_empty() && harvest.stats.is_empty() => Err(e),
            Some(e) => {
                tracing::warn!(error = %e, "an Instagram account read failed part-way; storing what was read");
                harvest.failure = Some(e);
                Ok(harvest)
            }
            None => Ok(harvest),
        }
    }

    /// Only the owner may read an IG media id (§1.2): posts of known accounts are
    /// refreshed by reading their account; others only while `recent_media` lists them.
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let (accounts, oldest) = super::accounts_of(posts);
        self.read_accounts(&accounts, oldest.unwrap_or_else(jiff::Timestamp::now))
            .await
    }

    fn refresh_batch(&self) -> usize {
        // Posts are grouped by account; a large batch reads each account once.
        2_000
    }

    fn account_batch(&self) -> usize {
        // Read IN_FLIGHT at a time; stored a hundred accounts to a transaction.
        100
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        self.http.redact(text)
    }
}

/// An Instagram media item as a post carrying one of `tags`; `None` if untagged, an error
/// naming what is wrong if malformed. (Public for the fuzz specs.)
pub fn media_item(
    tags: &[Hashtag],
    m: &Value,
    owner: Option<&AccountRef>,
) -> Result<Option<Post>, String> {
    let id = m["id"].as_str().ok_or("media without a string id")?;
    let caption = m["caption"].as_str();
    if !caption.is_some_and(|c| tags.iter().any(|t| t.in_text(c))) {
        return Ok(None);
    }
    fit(Post {
        platform: Platform::Instagram,
        id: id.to_string(),
        account: owner.cloned(),
        permalink: m["permalink"].as_str().map(str::to_string),
        caption: caption.map(stored_caption),
        media_type: m["media_type"].as_str().map(str::to_string),
        posted_at: graph::time(&m["timestamp"]),
        // like_count is omitted when the owner hides likes (§1.2).
        counts: Counts {
            likes: count(&m["like_count"]),
            comments: count(&m["comments_count"]),
            shares: None,
            views: None,
        },
    })
}
