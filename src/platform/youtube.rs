//! The YouTube Data API v3 (platform-apis.md §4): search (100 units, sparingly),
//! uploads playlists of registered channels, `videos.list` in batches of 50,
//! `channels.list` for subscribers. Statistics are strings; hidden ones are absent.

use std::collections::HashSet;

use serde_json::Value;

use super::http::{ApiError, Http, Raw, Request, Verdict};
use super::pager::{End, Page, Pager};
use super::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Listing, Platform, PlatformClient,
    Post, Resolved, TrackedAccount, TrackedPost, count, endpoint, fit, stored_caption,
};
use crate::hashtag::Hashtag;

const BATCH: usize = 50;

/// An uploads playlist: 50 a page, so up to 2,000 videos back to the horizon.
const UPLOADS: Pager = Pager::new(40);

pub struct Youtube {
    http: Http,
    base: String,
    key: String,
    tags: Vec<Hashtag>,
}

/// Judges an answer by `error.errors[0].reason` (§4.5). A failed call still costs
/// quota, so only transient reasons are retried.
fn verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    let Some(err) = body.get("error").filter(|e| e.is_object()) else {
        return if raw.status.is_success() {
            Verdict::Ok(body)
        } else {
            Verdict::Retry {
                reason: format!("HTTP {}", raw.status.as_u16()),
                after: raw.retry_after(),
            }
        };
    };
    let reason = err["errors"][0]["reason"].as_str().unwrap_or("");
    let message = format!(
        "YouTube {} {reason}: {}",
        raw.status.as_u16(),
        err["message"].as_str().unwrap_or("")
    );
    let key_invalid = reason == "keyInvalid"
        || message.contains("API key not valid")
        || err["details"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["reason"] == "API_KEY_INVALID"));
    match reason {
        _ if key_invalid => Verdict::Fail(ApiError::Auth(message)),
        "quotaExceeded" | "dailyLimitExceeded" => Verdict::Fail(ApiError::Quota(message)),
        "rateLimitExceeded" | "userRateLimitExceeded" | "backendError" | "internalError" => {
            Verdict::Retry {
                reason: message,
                after: raw.retry_after(),
            }
        }
        "forbidden" => Verdict::Fail(ApiError::Auth(message)),
        _ if raw.status.as_u16() == 404 => Verdict::Fail(ApiError::NotFound(message)),
        _ if raw.status.is_server_error() || raw.status.as_u16() == 429 => Verdict::Retry {
            reason: message,
            after: raw.retry_after(),
        },
        _ => Verdict::Fail(ApiError::Invalid(message)),
    }
}

impl Youtube {
    pub fn new(http: Http, base: &str, key: String, tags: Vec<Hashtag>) -> Youtube {
        Youtube {
            http,
            base: base.to_string(),
            key,
            tags,
        }
    }

    async fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        cost: u32,
        name: &'static str,
    ) -> Result<Value, ApiError> {
        let mut url = endpoint(&self.base, path)?;
        url.query_pairs_mut()
            .extend_pairs(params)
            .append_pair("key", &self.key);
        let mut req = Request::get(url, name);
        req.cost = cost;
        self.http.send(&req, verdict).await
    }

    fn video(&self, v: &Value, require_tag: bool) -> Result<Option<Post>, String> {
        video_item(&self.tags, v, require_tag)
    }

    /// `videos.list` for up to 50 ids: the posts returned and the ids left out.
    async fn videos(
        &self,
        ids: &[String],
        require_tag: bool,
        harvest: &mut Harvest,
    ) -> Result<Vec<String>, ApiError> {
        let mut missing = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let body = self
                .get(
                    "/videos",
                    &[("part", "snippet,statistics"), ("id", &chunk.join(","))],
                    1,
                    "videos.list",
                )
                .await?;
            let mut returned = HashSet::new();
            for v in body["items"].as_array().into_iter().flatten() {
                if let Some(id) = v["id"].as_str() {
                    returned.insert(id.to_string());
                }
                match self.video(v, require_tag) {
                    Ok(Some(p)) => harvest.posts.push(p),
                    Ok(None) => {}
                    Err(why) => harvest.skipped.push(format!("youtube video: {why}")),
                }
            }
            // Deleted or private ids are silently left out of `items` (§4.2).
            missing.extend(chunk.iter().filter(|id| !returned.contains(*id)).cloned());
        }
        Ok(missing)
    }
}

impl PlatformClient for Youtube {
    fn platform(&self) -> Platform {
        Platform::Youtube
    }

    /// `search.list` (100 units a page) for the tags, confirmed by `videos.list`:
    /// search is fuzzy and its descriptions truncated (§4.1).
    async fn discover(
        &self,
        since: jiff::Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        let q: Vec<String> = self
            .tags
            .iter()
            .map(|t| format!("#{}", t.as_str()))
            .collect();
        let after = since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut params = vec![
            ("part", "snippet"),
            ("type", "video"),
            ("order", "date"),
            ("maxResults", "50"),
            ("publishedAfter", after.as_str()),
        ];
        let q = q.join("|");
        params.push(("q", &q));
        if let Some(c) = &cursor {
            params.push(("pageToken", c));
        }
        let body = self.get("/search", &params, 100, "search.list").await?;
        let ids: Vec<String> = body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"]["videoId"].as_str().map(str::to_string))
            .collect();
        let mut harvest = Harvest::default();
        self.videos(&ids, true, &mut harvest).await?;
        Ok(DiscoveryPage {
            posts: harvest.posts,
            next: body["nextPageToken"].as_str().map(str::to_string),
            skipped: harvest.skipped,
            learned_tags: Vec::new(),
            listed: ids,
        })
    }

    /// Subscribers by `channels.list` (50 ids a unit; an `@handle` is resolved once,
    /// a unit each), then each channel's uploads back to `horizon`, confirmed by
    /// `videos.list`.
    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        let mut ids: Vec<(String, String)> = Vec::new(); // (handle, channel id)
        for a in accounts {
            match (&a.platform_user_id, a.handle.starts_with("UC")) {
                (Some(id), _) => ids.push((a.handle.clone(), id.clone())),
                (None, true) => ids.push((a.handle.clone(), a.handle.clone())),
                (None, false) => {
                    let body = self
                        .get(
                            "/channels",
                            &[("part", "id"), ("forHandle", &a.handle)],
                            1,
                            "channels.list",
                        )
                        .await?;
                    match body["items"][0]["id"].as_str() {
                        Some(id) => {
                            harvest.resolved.push(Resolved {
                                handle: a.handle.clone(),
                                platform_user_id: id.to_string(),
                            });
                            ids.push((a.handle.clone(), id.to_string()));
                        }
                        None => harvest.unreachable.push(a.handle.clone()),
                    }
                }
            }
        }
        for chunk in ids.chunks(BATCH) {
            let list: Vec<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
            let body = self
                .get(
                    "/channels",
                    &[
                        ("part", "snippet,statistics,contentDetails"),
                        ("id", &list.join(",")),
                    ],
                    1,
                    "channels.list",
                )
                .await?;
            let items = body["items"].as_array().cloned().unwrap_or_default();
            for (handle, id) in chunk {
                let Some(ch) = items.iter().find(|c| c["id"].as_str() == Some(id)) else {
                    harvest.unreachable.push(handle.clone());
                    continue;
                };
                let s = &ch["statistics"];
                harvest.stats.push(AccountStats {
                    platform: Platform::Youtube,
                    account: AccountRef {
                        handle: Some(handle.clone()),
                        platform_user_id: Some(id.clone()),
                        display_name: ch["snippet"]["title"].as_str().map(str::to_string),
                    },
                    // Rounded to 3 significant figures; NULL when hidden (§4.3).
                    followers: if s["hiddenSubscriberCount"] == true {
                        None
                    } else {
                        count(&s["subscriberCount"])
                    },
                    following: None,
                    media_count: count(&s["videoCount"]),
                    total_likes: None,
                    total_views: count(&s["viewCount"]),
                });
                let uploads = ch["contentDetails"]["relatedPlaylists"]["uploads"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("UU{}", id.get(2..).unwrap_or_default()));
                let mut listed = Vec::new();
                let mut paging = UPLOADS.start::<String, ApiError>(None);
                while let Some(token) = paging.next_cursor() {
                    let read = async {
                        let mut params = vec![
                            ("part", "contentDetails"),
                            ("playlistId", uploads.as_str()),
                            ("maxResults", "50"),
                        ];
                        if let Some(t) = &token {
                            params.push(("pageToken", t));
                        }
                        let page = self
                            .get("/playlistItems", &params, 1, "playlistItems.list")
                            .await?;
                        let mut read = Page {
                            ids: Vec::new(),
                            next: page["nextPageToken"].as_str().map(str::to_string),
                            enough: false,
                        };
                        for it in page["items"].as_array().into_iter().flatten() {
                            let cd = &it["contentDetails"];
                            if let Some(v) = cd["videoId"].as_str() {
                                read.ids.push(v.to_string());
                            }
                            read.enough |= cd["videoPublishedAt"]
                                .as_str()
                                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                                .is_some_and(|t| t < horizon);
                        }
                        listed.extend(read.ids.iter().cloned());
                        Ok::<_, ApiError>(read)
                    }
                    .await;
                    paging.read(read);
                }
                let end = paging.end();
                listed.sort();
                listed.dedup();
                if let Err(e) = self.videos(&listed, true, &mut harvest).await {
                    harvest.failure = Some(e);
                    return Ok(harvest);
                }
                match end {
                    End::Complete => harvest.listings.push(Listing {
                        handle: handle.clone(),
                        ids: listed,
                        since: horizon,
                    }),
                    // An uploads playlist that is not there: the videos listed stand,
                    // nothing is marked deleted.
                    End::Failed(ApiError::NotFound(_)) => {}
                    End::Failed(e) => {
                        harvest.failure = Some(e);
                        return Ok(harvest);
                    }
                    End::Capped | End::Stalled => tracing::warn!(
                        channel = %handle,
                        end = ?end,
                        "YouTube uploads listing ended unfinished; kept what it read, marked nothing deleted"
                    ),
                }
            }
        }
        Ok(harvest)
    }

    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
        harvest.deleted = self.videos(&ids, false, &mut harvest).await?;
        Ok(harvest)
    }

    fn refresh_batch(&self) -> usize {
        BATCH
    }

    fn account_batch(&self) -> usize {
        BATCH
    }

    fn discovery_cost(&self) -> u32 {
        100
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        self.http.redact(text)
    }
}

/// Whether a video's title, description or tags carry one of `tags`.
fn tagged(tags: &[Hashtag], snippet: &Value) -> bool {
    let text = |k: &str| {
        snippet[k]
            .as_str()
            .is_some_and(|s| tags.iter().any(|t| t.in_text(s)))
    };
    let listed = snippet["tags"].as_array().is_some_and(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .any(|e| tags.iter().any(|t| t.is_element(e)))
    });
    text("title") || text("description") || listed
}

/// A YouTube video as a post (only if it carries one of `tags` when `require_tag`).
/// (Public for the fuzz specs.)
pub fn video_item(tags: &[Hashtag], v: &Value, require_tag: bool) -> Result<Option<Post>, String> {
    let id = v["id"].as_str().ok_or("video without an id")?;
    let snippet = &v["snippet"];
    if require_tag && !tagged(tags, snippet) {
        return Ok(None);
    }
    let s = &v["statistics"];
    fit(Post {
        platform: Platform::Youtube,
        id: id.to_string(),
        account: snippet["channelId"].as_str().map(|c| AccountRef {
            handle: None,
            platform_user_id: Some(c.to_string()),
            display_name: snippet["channelTitle"].as_str().map(str::to_string),
        }),
        permalink: Some(format!("https://www.youtube.com/watch?v={id}")),
        caption: snippet["description"]
            .as_str()
            .or(snippet["title"].as_str())
            .map(stored_caption),
        media_type: Some("VIDEO".into()),
        posted_at: snippet["publishedAt"].as_str().and_then(|t| t.parse().ok()),
        // Strings holding integers; likeCount/commentCount absent when hidden or off;
        // YouTube has no share count (§4.2).
        counts: Counts {
            likes: count(&s["likeCount"]),
            comments: count(&s["commentCount"]),
            shares: None,
            views: count(&s["viewCount"]),
        },
    })
}
