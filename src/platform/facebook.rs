//! Facebook Pages through the Graph API (platform-apis.md §2): a Page's posts with
//! reaction, comment and share totals; Page followers; batch reads by `?ids=`.

use serde_json::Value;

use super::http::{ApiError, Http, Request};
use super::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Listing, Platform, PlatformClient,
    Post, TrackedAccount, TrackedPost, count, graph, stored_caption,
};
use crate::hashtag::Hashtag;

const POST_FIELDS: &str = "id,message,created_time,permalink_url,shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)";
const PAGE_FIELDS: &str = "id,name,username,followers_count,fan_count";
/// Ids per `?ids=` call (§1.5, ≤ 50).
const BATCH: usize = 50;

pub struct Facebook {
    http: Http,
    base: String,
    token: String,
    tags: Vec<Hashtag>,
}

impl Facebook {
    pub fn new(http: Http, base: &str, token: String, tags: Vec<Hashtag>) -> Facebook {
        Facebook {
            http,
            base: base.to_string(),
            token,
            tags,
        }
    }

    fn url(&self, path: &str, params: &[(&str, &str)]) -> Result<url::Url, ApiError> {
        graph::url(&self.base, path, params, &self.token)
    }

    /// A tagged post, if it parses. jempol's counts: likes = all reactions, comments,
    /// shares (absent = never shared = 0), no views (§2.1).
    fn post(&self, p: &Value, page: Option<&AccountRef>) -> Result<Option<Post>, String> {
        post_item(&self.tags, p, page)
    }

    /// `GET /?ids=…`: one call for up to 50 objects. A `#803` names the ids that do not
    /// exist; they are reported and the call repeated without them.
    async fn batch(
        &self,
        ids: &[String],
        fields: &str,
    ) -> Result<(Vec<Value>, Vec<String>), ApiError> {
        let mut wanted: Vec<String> = ids.to_vec();
        let mut missing = Vec::new();
        while !wanted.is_empty() {
            let url = self.url("", &[("ids", &wanted.join(",")), ("fields", fields)])?;
            match self
                .http
                .send(&Request::get(url, "ids"), graph::verdict)
                .await
            {
                Ok(body) => {
                    let objects = wanted
                        .iter()
                        .filter_map(|id| body.get(id).cloned())
                        .collect();
                    return Ok((objects, missing));
                }
                Err(ApiError::NotFound(why)) => {
                    let gone = graph::missing_aliases(&why);
                    let before = wanted.len();
                    wanted.retain(|id| !gone.contains(id));
                    if wanted.len() == before {
                        // Not an answer naming ids: treat every requested id as unreadable.
                        missing.append(&mut wanted);
                    } else {
                        missing.extend(gone);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok((Vec::new(), missing))
    }

    /// A Page's posts, newest first, back to `horizon`.
    async fn page_posts(
        &self,
        account: &TrackedAccount,
        horizon: jiff::Timestamp,
        harvest: &mut Harvest,
    ) -> Result<(), ApiError> {
        let page = account
            .platform_user_id
            .clone()
            .unwrap_or_else(|| account.handle.clone());
        let owner = AccountRef {
            handle: Some(account.handle.clone()),
            platform_user_id: account.platform_user_id.clone(),
            display_name: None,
        };
        let mut listed = Vec::new();
        let mut next: Option<Vec<(String, String)>> = None;
        for _ in 0..40 {
            let first = [("fields", POST_FIELDS), ("limit", "100")];
            let params: Vec<(&str, &str)> = match &next {
                Some(pairs) => pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                None => first.to_vec(),
            };
            let body = match self
                .http
                .send(
                    &Request::get(self.url(&format!("{page}/posts"), &params)?, "page_posts"),
                    graph::verdict,
                )
                .await
            {
                Ok(b) => b,
                Err(ApiError::NotFound(why)) => {
                    tracing::debug!(page = %account.handle, reason = %why, "Facebook Page cannot be read");
                    harvest.unreachable.push(account.handle.clone());
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let mut reached = false;
            for p in body["data"].as_array().into_iter().flatten() {
                if let Some(id) = p["id"].as_str() {
                    listed.push(id.to_string());
                }
                reached |= graph::time(&p["created_time"]).is_some_and(|t| t < horizon);
                match self.post(p, Some(&owner)) {
                    Ok(Some(post)) => harvest.posts.push(post),
                    Ok(None) => {}
                    Err(why) => harvest
                        .skipped
                        .push(format!("facebook post of {}: {why}", account.handle)),
                }
            }
            next = graph::next_query(&body).map(|q| graph::query_pairs(&q));
            if reached || next.is_none() {
                harvest.listings.push(Listing {
                    handle: account.handle.clone(),
                    ids: listed,
                    since: horizon,
                });
                return Ok(());
            }
        }
        Ok(())
    }
}

impl PlatformClient for Facebook {
    fn platform(&self) -> Platform {
        Platform::Facebook
    }

    /// Pages have no hashtag search (§2.1): posts are found through registered Pages.
    async fn discover(
        &self,
        _since: jiff::Timestamp,
        _cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        Ok(DiscoveryPage::default())
    }

    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        let keys: Vec<String> = accounts
            .iter()
            .map(|a| {
                a.platform_user_id
                    .clone()
                    .unwrap_or_else(|| a.handle.clone())
            })
            .collect();
        for chunk in keys.chunks(BATCH) {
            let (pages, missing) = self.batch(chunk, PAGE_FIELDS).await?;
            for page in pages {
                let Some(id) = page["id"].as_str() else {
                    harvest.skipped.push("facebook page without an id".into());
                    continue;
                };
                let handle = accounts
                    .iter()
                    .find(|a| {
                        a.platform_user_id.as_deref() == Some(id)
                            || page["username"]
                                .as_str()
                                .is_some_and(|u| u.eq_ignore_ascii_case(&a.handle))
                            || a.handle == id
                    })
                    .map(|a| a.handle.clone());
                let Some(handle) = handle else { continue };
                harvest.resolved.push((handle.clone(), id.to_string()));
                harvest.stats.push(AccountStats {
                    platform: Platform::Facebook,
                    account: AccountRef {
                        handle: Some(handle),
                        platform_user_id: Some(id.to_string()),
                        display_name: page["name"].as_str().map(str::to_string),
                    },
                    followers: count(&page["followers_count"]),
                    following: None,
                    media_count: None,
                    total_likes: None,
                    total_views: None,
                });
            }
            harvest
                .unreachable
                .extend(missing.into_iter().filter_map(|key| {
                    accounts
                        .iter()
                        .find(|a| a.platform_user_id.as_ref() == Some(&key) || a.handle == key)
                        .map(|a| a.handle.clone())
                }));
        }
        for account in accounts {
            if harvest.unreachable.contains(&account.handle) {
                continue;
            }
            let resolved = harvest
                .resolved
                .iter()
                .find(|(h, _)| *h == account.handle)
                .map(|(_, id)| id.clone());
            let account = TrackedAccount {
                handle: account.handle.clone(),
                platform_user_id: resolved.or_else(|| account.platform_user_id.clone()),
            };
            self.page_posts(&account, horizon, &mut harvest).await?;
        }
        Ok(harvest)
    }

    /// Known posts by `?ids=`, 50 a call; ids Graph no longer knows are deleted.
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
        for chunk in ids.chunks(BATCH) {
            let (objects, missing) = self.batch(chunk, POST_FIELDS).await?;
            for o in &objects {
                let known = posts
                    .iter()
                    .find(|p| Some(p.id.as_str()) == o["id"].as_str())
                    .and_then(|p| p.account.clone());
                match self.post(o, known.as_ref()) {
                    Ok(Some(post)) => harvest.posts.push(post),
                    Ok(None) => {} // the tag was edited away: keep the last counts
                    Err(why) => harvest.skipped.push(format!("facebook post: {why}")),
                }
            }
            harvest.deleted.extend(missing);
        }
        Ok(harvest)
    }

    fn refresh_batch(&self) -> usize {
        BATCH * 4
    }

    fn account_batch(&self) -> usize {
        BATCH
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }
}

/// A Facebook Page post as a post carrying one of `tags` (see `Facebook::post`).
/// (Public for the fuzz specs.)
pub fn post_item(
    tags: &[Hashtag],
    p: &Value,
    page: Option<&AccountRef>,
) -> Result<Option<Post>, String> {
    let id = p["id"].as_str().ok_or("post without a string id")?;
    let message = p["message"].as_str();
    if !message.is_some_and(|m| tags.iter().any(|t| t.in_text(m))) {
        return Ok(None);
    }
    let page_id = id.split_once('_').map(|(page, _)| page.to_string());
    let account = page.cloned().or_else(|| {
        page_id.map(|id| AccountRef {
            handle: None,
            platform_user_id: Some(id),
            display_name: None,
        })
    });
    Ok(Some(Post {
        platform: Platform::Facebook,
        id: id.to_string(),
        account,
        permalink: p["permalink_url"].as_str().map(str::to_string),
        caption: message.map(stored_caption),
        media_type: None,
        posted_at: graph::time(&p["created_time"]),
        counts: Counts {
            likes: count(&p["reactions"]["summary"]["total_count"]),
            comments: count(&p["comments"]["summary"]["total_count"]),
            shares: Some(count(&p["shares"]["count"]).unwrap_or(0)),
            views: None,
        },
    }))
}
