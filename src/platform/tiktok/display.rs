//! The TikTok Display API with each business's own token (platform-apis-consent.md §7):
//! `user/info` for followers, `video/list` (newest first, ≤ 20 a page, a millisecond
//! cursor) for the business's tagged videos, `video/query` (≤ 20 ids) for fresh counts.
//! A business whose token fails is marked and skipped; the others go on.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::consent::Keeper;
use crate::hashtag::Hashtag;
use crate::platform::http::{ApiError, Http, Raw, Request, Verdict};
use crate::platform::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Platform, PlatformClient, Post,
    TrackedAccount, TrackedPost, count, endpoint, fit, stored_caption,
};
use crate::store::ConsentConnection;

const VIDEO_FIELDS: &str = "id,create_time,title,video_description,share_url,like_count,comment_count,share_count,view_count";
/// Ids `video/query` takes at once (§7.3), and videos a `video/list` page holds (§7.2).
const MAX_IDS: usize = 20;

pub struct TiktokDisplay {
    http: Http,
    base: String,
    tags: Vec<Hashtag>,
    keeper: Arc<Keeper>,
}

/// The Display API's envelope: success is `error.code == "ok"`, and `data` is present
/// (empty) on errors too (§7.6).
pub(crate) fn verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    let code = body["error"]["code"].as_str().unwrap_or("");
    let message = format!(
        "TikTok {code}: {} (log_id {})",
        body["error"]["message"].as_str().unwrap_or(""),
        body["error"]["log_id"].as_str().unwrap_or("-")
    );
    match code {
        "ok" if raw.status.is_success() => Verdict::Ok(body),
        // A sliding minute (§7.5): worth waiting for.
        "rate_limit_exceeded" => Verdict::Retry {
            reason: message,
            after: Some(
                raw.retry_after()
                    .unwrap_or(std::time::Duration::from_secs(60)),
            ),
        },
        "access_token_invalid" => Verdict::Fail(ApiError::TokenRefused(message)),
        "scope_not_authorized" | "scope_permission_missed" => {
            Verdict::Fail(ApiError::Auth(message))
        }
        "invalid_params" => Verdict::Fail(ApiError::Invalid(message)),
        _ if raw.status.is_server_error()
            || raw.status.as_u16() == 429
            || code == "internal_error" =>
        {
            Verdict::Retry {
                reason: message,
                after: raw.retry_after(),
            }
        }
        _ => Verdict::Fail(ApiError::Invalid(format!(
            "HTTP {}: {message}",
            raw.status.as_u16()
        ))),
    }
}

impl TiktokDisplay {
    pub fn new(http: Http, base: &str, tags: Vec<Hashtag>, keeper: Arc<Keeper>) -> TiktokDisplay {
        TiktokDisplay {
            http,
            base: base.to_string(),
            tags,
            keeper,
        }
    }

    /// One call with the business's token: renewed once if refused. `Ok(None)`: this
    /// business cannot be read now (marked, or logged); the caller goes on to the next.
    async fn call(
        &self,
        c: &ConsentConnection,
        path: &str,
        fields: &str,
        body: Option<Value>,
        name: &'static str,
    ) -> Result<Option<Value>, ApiError> {
        let mut url = endpoint(&self.base, path)?;
        url.query_pairs_mut().append_pair("fields", fields);
        for renewed in [false, true] {
            let Some(token) = self.keeper.access(c, renewed).await else {
                return Ok(None);
            };
            let mut req = Request::get(url.clone(), name);
            if let Some(body) = &body {
                req.method = reqwest::Method::POST;
                req.json = Some(body.clone());
            }
            req.bearer = Some(token);
            match self.http.send(&req, verdict).await {
                Ok(v) => return Ok(Some(v)),
                Err(ApiError::TokenRefused(_)) if !renewed => {
                    tracing::info!(business = %c.business_key, "TikTok refused a business's token; renewing it once");
                }
                Err(ApiError::TokenRefused(_)) => {
                    self.keeper.refused(c).await;
                    return Ok(None);
                }
                Err(ApiError::Auth(why) | ApiError::Invalid(why)) => {
                    tracing::warn!(business = %c.business_key, reason = %self.redact(&why), "a business's TikTok read was refused; skipped this cycle");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    fn video(&self, c: &ConsentConnection, v: &Value) -> Result<Option<Post>, String> {
        let id = match &v["id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err("video without an id".into()),
        };
        let title = v["title"].as_str().unwrap_or("");
        let description = v["video_description"].as_str().unwrap_or("");
        // No hashtag list here: the tag is read in the title and the description (§7.4).
        if !self
            .tags
            .iter()
            .any(|t| t.in_text(title) || t.in_text(description))
        {
            return Ok(None);
        }
        let caption = if description.is_empty() {
            title
        } else {
            description
        };
        let permalink = c
            .handle
            .as_deref()
            .map(|h| format!("https://www.tiktok.com/@{h}/video/{id}"))
            .or_else(|| {
                v["share_url"]
                    .as_str()
                    .map(|u| u.split('?').next().unwrap_or(u).to_string())
            });
        fit(Post {
            platform: Platform::Tiktok,
            id,
            account: Some(self.account_of(c)),
            permalink,
            caption: (!caption.is_empty()).then(|| stored_caption(caption)),
            media_type: Some("VIDEO".into()),
            posted_at: v["create_time"]
                .as_i64()
                .and_then(|t| Timestamp::from_second(t).ok()),
            counts: Counts {
                likes: count(&v["like_count"]),
                comments: count(&v["comment_count"]),
                shares: count(&v["share_count"]),
                views: count(&v["view_count"]),
            },
        })
    }

    fn account_of(&self, c: &ConsentConnection) -> AccountRef {
        AccountRef {
            handle: c.handle.clone(),
            platform_user_id: Some(c.external_id.clone()),
            display_name: None,
        }
    }

    fn videos(
        &self,
        c: &ConsentConnection,
        data: &Value,
        harvest_skipped: &mut Vec<String>,
    ) -> Vec<(Option<i64>, String, Option<Post>)> {
        data["data"]["videos"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| match self.video(c, v) {
                        Ok(post) => Some((
                            v["create_time"].as_i64(),
                            v["id"]
                                .as_str()
                                .map(String::from)
                                .unwrap_or_else(|| v["id"].to_string()),
                            post,
                        )),
                        Err(why) => {
                            harvest_skipped.push(why);
                            None
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl PlatformClient for TiktokDisplay {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }

    /// Each connected business's videos since `since`, newest first, page by page.
    /// Cursor: `{connection}` or `{connection}:{video cursor}`.
    async fn discover(
        &self,
        since: Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        let mut parts = cursor.as_deref().unwrap_or("").splitn(2, ':');
        let from: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        // This business's connection and the next one: a page never reads them all.
        let conns = self.keeper.usable_from(from, 2).await?;
        let video_cursor: Option<i64> = parts.next().and_then(|s| s.parse().ok());
        let mut page = DiscoveryPage::default();
        let Some(c) = conns.iter().find(|c| c.id.0 >= from) else {
            return Ok(page);
        };
        let after =
            |c: &ConsentConnection| conns.iter().find(|x| x.id > c.id).map(|x| x.id.to_string());
        if video_cursor.is_none() {
            page.listed.push(format!("connection:{}", c.id)); // a new business's listing
        }
        if !c.has_scope("video.list") {
            page.next = after(c);
            return Ok(page);
        }
        let mut body = json!({"max_count": MAX_IDS});
        if let Some(ms) = video_cursor {
            body["cursor"] = json!(ms);
        }
        let Some(data) = self
            .call(c, "/v2/video/list/", VIDEO_FIELDS, Some(body), "video/list")
            .await?
        else {
            page.next = after(c);
            return Ok(page);
        };
        let since = since.as_second();
        let mut oldest = i64::MAX;
        for (created, id, post) in self.videos(c, &data, &mut page.skipped) {
            let created = created.unwrap_or(i64::MAX);
            oldest = oldest.min(created);
            page.listed.push(format!("{}:{id}", c.id));
            if let Some(post) = post.filter(|_| created >= since) {
                page.posts.push(post);
            }
        }
        let more = data["data"]["has_more"].as_bool().unwrap_or(false);
        let next = data["data"]["cursor"].as_i64();
        page.next = match next {
            Some(ms) if more && oldest >= since => Some(format!("{}:{ms}", c.id)),
            _ => after(c),
        };
        Ok(page)
    }

    /// Followers and totals of the registered accounts that a business connected.
    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        _horizon: Timestamp,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        // An account nobody connected is left out: nothing to read it with.
        for (_, c, _) in self.keeper.holders(accounts).await? {
            let c = &c;
            let stats = c.has_scope("user.info.stats");
            let fields = if stats {
                "open_id,username,display_name,follower_count,following_count,likes_count,video_count"
            } else {
                "open_id,username,display_name"
            };
            let data = match self
                .call(c, "/v2/user/info/", fields, None, "user/info")
                .await
            {
                Ok(Some(data)) => data,
                Ok(None) => continue,
                Err(e) => {
                    harvest.failure = Some(e);
                    break;
                }
            };
            let user = &data["data"]["user"];
            harvest.stats.push(AccountStats {
                platform: Platform::Tiktok,
                account: AccountRef {
                    display_name: user["display_name"].as_str().map(String::from),
                    ..self.account_of(c)
                },
                followers: count(&user["follower_count"]),
                following: count(&user["following_count"]),
                media_count: count(&user["video_count"]),
                total_likes: count(&user["likes_count"]),
                total_views: None,
            });
        }
        Ok(harvest)
    }

    /// Fresh counts, 20 ids a call per business; an id the answer leaves out is gone
    /// (deleted or made private, §7.3).
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let mut grouped: std::collections::BTreeMap<&str, Vec<&TrackedPost>> = Default::default();
        for p in posts {
            if let Some(h) = p.account.as_ref().and_then(|a| a.handle.as_deref()) {
                grouped.entry(h).or_default().push(p);
            }
        }
        let accounts: Vec<TrackedAccount> = grouped
            .keys()
            .map(|h| TrackedAccount {
                handle: h.to_string(),
                platform_user_id: None,
            })
            .collect();
        let mut harvest = Harvest::default();
        for (account, c, _) in self.keeper.holders(&accounts).await? {
            let c = &c;
            for chunk in grouped[account.handle.as_str()].chunks(MAX_IDS) {
                let ids: Vec<&str> = chunk.iter().map(|p| p.id.as_str()).collect();
                let body = json!({"filters": {"video_ids": ids}});
                let data = match self
                    .call(
                        c,
                        "/v2/video/query/",
                        VIDEO_FIELDS,
                        Some(body),
                        "video/query",
                    )
                    .await
                {
                    Ok(Some(data)) => data,
                    Ok(None) => break,
                    Err(e) => {
                        harvest.failure = Some(e);
                        return Ok(harvest);
                    }
                };
                let mut seen = HashSet::new();
                for (_, id, post) in self.videos(c, &data, &mut harvest.skipped) {
                    seen.insert(id);
                    // A video that lost its tag is still the post it was: refreshed as such.
                    if let Some(post) = post {
                        harvest.posts.push(post);
                    }
                }
                harvest.deleted.extend(
                    ids.iter()
                        .filter(|id| !seen.contains(**id))
                        .map(|id| id.to_string()),
                );
            }
        }
        Ok(harvest)
    }

    fn refresh_batch(&self) -> usize {
        200
    }

    fn account_batch(&self) -> usize {
        MAX_IDS
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        self.keeper.redact(&self.http.redact(text))
    }
}
