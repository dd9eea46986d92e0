//! Facebook Pages through the Graph API (platform-apis.md §2): a Page's posts with
//! reaction, comment and share totals; Page followers. One object per request: multi-ID
//! reads (`?ids=`) only behind `platforms.facebook.multi_id_requests`.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::http::{ApiError, Http, Request};
use super::pager::{Page, Pager};
use super::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Platform, PlatformClient, Post,
    Resolved, TrackedAccount, TrackedPost, count, fit, graph, stored_caption,
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
    /// `GET /?ids=…` allowed (apps created before 4 Nov 2026 that already use it).
    multi_id: bool,
    /// With consent: each Page is read with its own Page token (platform-apis-consent.md
    /// §8.4), only the Pages their businesses connected.
    pages: Option<std::sync::Arc<crate::consent::Keeper>>,
}

/// A Page's posts listing may run at most this many pages in one read.
/// A Page's post listing: 100 a page.
const PAGE_POSTS: Pager = Pager::new(40);

impl Facebook {
    /// `multi_id`: read Pages and refresh posts with `GET /?ids=…`, 50 a call. Meta no
    /// longer lets apps created after 4 Nov 2026 use multi-ID requests (platform-apis.md,
    /// corrections; platform-apis-consent.md §8.0), so by default each Page is read on
    /// its own and posts are refreshed from their Page's post listing.
    pub fn new(
        http: Http,
        base: &str,
        token: String,
        tags: Vec<Hashtag>,
        multi_id: bool,
    ) -> Facebook {
        Facebook {
            http,
            base: base.to_string(),
            token,
            tags,
            multi_id,
            pages: None,
        }
    }

    /// A client that reads only the Pages businesses connected, each with its own token.
    pub fn with_consent(mut self, pages: std::sync::Arc<crate::consent::Keeper>) -> Facebook {
        self.multi_id = false;
        self.pages = Some(pages);
        self
    }

    fn url(&self, token: &str, path: &str, params: &[(&str, &str)]) -> Result<url::Url, ApiError> {
        graph::url(&self.base, path, params, token)
    }

    /// The token each of `accounts` is read with: the campaign's, or with consent the
    /// Page's own (a Page nobody connected is left out).
    async fn tokens_for(
        &self,
        accounts: &[TrackedAccount],
    ) -> Result<
        Vec<(
            TrackedAccount,
            String,
            Option<crate::store::ConsentConnection>,
        )>,
        ApiError,
    > {
        let Some(keeper) = &self.pages else {
            return Ok(accounts
                .iter()
                .map(|a| (a.clone(), self.token.clone(), None))
                .collect());
        };
        Ok(keeper
            .holders(accounts)
            .await?
            .into_iter()
            .map(|(account, c, token)| (account, token, Some(c)))
            .collect())
    }

    /// With consent, a Page whose token was refused is marked for its business, and one
    /// whose Business Use Case limit is spent (80001, counted per Page: §8.8) waits for a
    /// later cycle; the others go on. The campaign's own token refused stops the platform.
    async fn refused(
        &self,
        c: &Option<crate::store::ConsentConnection>,
        e: ApiError,
    ) -> Result<(), ApiError> {
        match (&self.pages, c, &e) {
            (Some(keeper), Some(c), ApiError::Auth(_) | ApiError::TokenRefused(_)) => {
                keeper.refused(c).await;
                Ok(())
            }
            (Some(_), Some(c), ApiError::Quota(why)) => {
                tracing::info!(business = %c.business_key, reason = %self.redact(why), "a Page's own limit is spent; it is read again next cycle");
                Ok(())
            }
            _ => Err(e),
        }
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
            let url = self.url(
                &self.token,
                "",
                &[("ids", &wanted.join(",")), ("fields", fields)],
            )?;
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
                Err(ApiError::Invalid(why)) => {
                    return Err(ApiError::Invalid(format!(
                        "{why} (a multi-ID request: apps created after 4 Nov 2026 cannot use them; set platforms.facebook.multi_id_requests = false)"
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((Vec::new(), missing))
    }

    /// A Page's posts, newest first, back to `horizon`, or until every id in `wanted`
    /// has been listed. The listing is handed over as complete only when it ended, or
    /// went past `horizon`, or listed every wanted id; one that stalls (a platform
    /// repeating its cursor), hits the page cap or fails part-way keeps its posts and
    /// hands over no listing. Returns the error of a page that failed.
    async fn page_posts(
        &self,
        token: &str,
        account: &TrackedAccount,
        horizon: jiff::Timestamp,
        wanted: &HashSet<&str>,
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
        let mut tally = graph::Tally::new(wanted, horizon);
        let mut unreachable = false;
        let mut paging = PAGE_POSTS.start::<Vec<(String, String)>, ApiError>(None);
        while let Some(next) = paging.next_cursor() {
            let read = async {
                let first = [("fields", POST_FIELDS), ("limit", "100")];
                let params: Vec<(&str, &str)> = match &next {
                    Some(pairs) => pairs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    None => first.to_vec(),
                };
                let url = self.url(token, &format!("{page}/posts"), &params)?;
                let body = match self
                    .http
                    .send(&Request::get(url, "page_posts"), graph::verdict)
                    .await
                {
                    Err(ApiError::NotFound(why)) => {
                        tracing::debug!(page = %account.handle, reason = %why, "Facebook Page cannot be read");
                        unreachable = true;
                        return Ok(Page { ids: Vec::new(), next: None, enough: true });
                    }
                    other => other?,
                };
                let mut ids = Vec::new();
                for p in body["data"].as_array().into_iter().flatten() {
                    let id = p["id"].as_str();
                    ids.extend(id.map(String::from));
                    tally.note(id, graph::time(&p["created_time"]));
                    match self.post(p, Some(&owner)) {
                        Ok(Some(post)) => harvest.posts.push(post),
                        Ok(None) => {}
                        Err(why) => harvest
                            .skipped
                            .push(format!("facebook post of {}: {why}", account.handle)),
                    }
                }
                Ok::<_, ApiError>(Page {
                    ids,
                    // None when `next` is absent or `data` is empty: the end (§1.5).
                    next: graph::next_query(&body).map(|q| graph::query_pairs(&q)),
                    enough: tally.enough(),
                })
            }
            .await;
            paging.read(read);
        }
        let end = paging.end();
        if unreachable {
            harvest.unreachable.push(account.handle.clone());
            return Ok(());
        }
        if end.is_complete() {
            harvest.listings.push(tally.listing(&account.handle));
            return Ok(());
        }
        match end.into_error() {
            Some(e) => Err(e),
            None => {
                tracing::warn!(page = %account.handle, "Facebook's listing of a Page's posts stalled or ran past its page cap; kept what it read, marked nothing deleted");
                Ok(())
            }
        }
    }

    /// One Page's figures (§2.2): one request per Page, no multi-ID request.
    async fn page_stats(
        &self,
        token: &str,
        account: &TrackedAccount,
        harvest: &mut Harvest,
    ) -> Result<(), ApiError> {
        let key = account
            .platform_user_id
            .clone()
            .unwrap_or_else(|| account.handle.clone());
        let url = self.url(token, &key, &[("fields", PAGE_FIELDS)])?;
        match self
            .http
            .send(&Request::get(url, "page"), graph::verdict)
            .await
        {
            Ok(page) => {
                self.take_page(&page, std::slice::from_ref(account), harvest);
                Ok(())
            }
            Err(ApiError::NotFound(why)) => {
                tracing::debug!(page = %account.handle, reason = %why, "Facebook Page cannot be read");
                harvest.unreachable.push(account.handle.clone());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A Page object's figures, for whichever of `accounts` it is.
    fn take_page(&self, page: &Value, accounts: &[TrackedAccount], harvest: &mut Harvest) {
        let Some(id) = page["id"].as_str() else {
            harvest.skipped.push("facebook page without an id".into());
            return;
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
        let Some(handle) = handle else { return };
        harvest.resolved.push(Resolved {
            handle: handle.clone(),
            platform_user_id: id.to_string(),
        });
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

    /// Known posts by `?ids=`, 50 a call; ids Graph no longer knows are deleted.
    async fn refresh_by_ids(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
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
}

/// The Page a tracked post belongs to: its account as stored, else the `{page_id}_`
/// prefix of the post id (§2.1).
fn page_of(post: &TrackedPost) -> Option<TrackedAccount> {
    let from_id = || post.id.split_once('_').map(|(page, _)| page.to_string());
    let account = post.account.as_ref();
    let platform_user_id = account
        .and_then(|a| a.platform_user_id.clone())
        .or_else(from_id);
    let handle = account
        .and_then(|a| a.handle.clone())
        .or_else(|| platform_user_id.clone())?;
    Some(TrackedAccount {
        handle,
        platform_user_id,
    })
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

    /// Each Page's figures (§2.2), then its posts back to `horizon` (§2.1).
    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        if self.multi_id {
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
                for page in &pages {
                    self.take_page(page, accounts, &mut harvest);
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
        }
        let read = self.tokens_for(accounts).await?;
        if !self.multi_id {
            for (account, token, c) in &read {
                if let Err(e) = self.page_stats(token, account, &mut harvest).await {
                    self.refused(c, e).await?;
                }
            }
        }
        for (account, token, c) in &read {
            if harvest.unreachable.contains(&account.handle) {
                continue;
            }
            let resolved = harvest
                .resolved
                .iter()
                .find(|r| r.handle == account.handle)
                .map(|r| r.platform_user_id.clone());
            let account = TrackedAccount {
                handle: account.handle.clone(),
                platform_user_id: resolved.or_else(|| account.platform_user_id.clone()),
            };
            if let Err(e) = self
                .page_posts(token, &account, horizon, &HashSet::new(), &mut harvest)
                .await
                && let Err(e) = self.refused(c, e).await
            {
                harvest.failure = Some(e);
                break;
            }
        }
        Ok(harvest)
    }

    /// Known posts from their Page's post listing, which carries reactions, comments and
    /// shares (§2.1): one listing per Page, read back to its oldest post asked for or until
    /// every one was listed. Every tagged post the listing shows is fresh counts; a post
    /// asked for and missing from a complete listing is deleted. With
    /// `multi_id_requests`, by `?ids=` instead.
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        if self.multi_id {
            return self.refresh_by_ids(posts).await;
        }
        let mut pages: BTreeMap<String, (TrackedAccount, Vec<&TrackedPost>)> = BTreeMap::new();
        let mut harvest = Harvest::default();
        for post in posts {
            match page_of(post) {
                Some(page) => pages
                    .entry(page.handle.clone())
                    .or_insert_with(|| (page, Vec::new()))
                    .1
                    .push(post),
                None => harvest
                    .skipped
                    .push(format!("facebook post {} has no Page to list it", post.id)),
            }
        }
        let listed: Vec<TrackedAccount> = pages.values().map(|(page, _)| page.clone()).collect();
        for (page, token, c) in self.tokens_for(&listed).await? {
            let Some((_, wanted)) = pages.get(&page.handle) else {
                continue;
            };
            let horizon = wanted
                .iter()
                .map(|p| p.posted_at)
                .min()
                .flatten()
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let ids: HashSet<&str> = wanted.iter().map(|p| p.id.as_str()).collect();
            if let Err(e) = self
                .page_posts(&token, &page, horizon, &ids, &mut harvest)
                .await
                && let Err(e) = self.refused(&c, e).await
            {
                harvest.failure = Some(e);
                break;
            }
        }
        Ok(harvest)
    }

    fn refresh_batch(&self) -> usize {
        if self.multi_id {
            BATCH * 4
        } else {
            // Posts are grouped by Page; a large batch lists each Page once.
            2_000
        }
    }

    fn account_batch(&self) -> usize {
        BATCH
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        match &self.pages {
            Some(keeper) => keeper.redact(&self.http.redact(text)),
            None => self.http.redact(text),
        }
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
    fit(Post {
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
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;

    /// A real recorded body from `../shared/real-records/data/` (read, never copied).
    fn record(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/real-records/data")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the recorded bodies live in shared/ beside the repository)",
                path.display()
            )
        });
        serde_json::from_str(&text).unwrap()
    }

    /// A Graph stand-in written from §2.1–2.2 that serves the recorded Page objects and
    /// post listings of two Pages, refuses multi-ID requests as a new app meets them, and
    /// keeps every request's path and query.
    async fn graph_of_recorded_pages() -> (String, Arc<Mutex<Vec<String>>>) {
        use axum::extract::{Path, Query, State};
        use axum::http::{StatusCode, Uri};
        use axum::response::IntoResponse;
        use axum::{Json, Router, routing::get};
        type Seen = Arc<Mutex<Vec<String>>>;
        let seen: Seen = Arc::default();
        let pages = record("fb_pages_by_ids.json");
        let page = move |Path(id): Path<String>, State(seen): State<Seen>, uri: Uri| {
            let object = pages.get(&id).cloned();
            async move {
                seen.lock().unwrap().push(uri.to_string());
                match object {
                    Some(o) => Json(o).into_response(),
                    None => (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}))).into_response(),
                }
            }
        };
        let posts = async |Path(id): Path<String>,
                           Query(q): Query<std::collections::HashMap<String, String>>,
                           State(seen): State<Seen>,
                           uri: Uri| {
            seen.lock().unwrap().push(uri.to_string());
            let body = match q.get("after").map(String::as_str) {
                None => record(&format!("fb_posts_{id}_p1.json")),
                Some("after") => record(&format!("fb_posts_{id}_p2.json")),
                Some(_) => json!({"data": []}),
            };
            Json(body)
        };
        let root = async |State(seen): State<Seen>, uri: Uri| {
            seen.lock().unwrap().push(uri.to_string());
            (
                StatusCode::BAD_REQUEST,
                Json(
                    json!({"error": {"message": "(#12) multi-ID requests are not available", "type": "OAuthException", "code": 12}}),
                ),
            )
        };
        let app = Router::new()
            .route("/v25.0/", get(root))
            .route("/v25.0/{id}", get(page))
            .route("/v25.0/{id}/posts", get(posts))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v25.0", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, seen)
    }

    /// A client, with the shutdown sender that keeps it running while held.
    fn client(base: &str) -> (Facebook, tokio::sync::watch::Sender<bool>) {
        let (http, running) = Http::for_tests(Platform::Facebook);
        let tags = vec![Hashtag::parse("UMKMKotaPadangMajuBersama").unwrap()];
        (
            Facebook::new(http, base, "EAAtoken".into(), tags, false),
            running,
        )
    }

    fn pages() -> Vec<TrackedAccount> {
        [("19292868552", "facebookapp"), ("20531316728", "facebook")]
            .map(|(id, handle)| TrackedAccount {
                handle: handle.into(),
                platform_user_id: Some(id.into()),
            })
            .to_vec()
    }

    /// The tagged posts of the recorded listings: (id, likes, comments, shares).
    const TAGGED: [(&str, u64, u64, u64); 6] = [
        ("19292868552_10158349356748553", 125, 13, 10),
        ("19292868552_10158345715593553", 143, 15, 15),
        ("19292868552_10158329301388553", 219, 16, 19),
        ("20531316728_10158524577396729", 92_819, 15_775, 11_840),
        ("20531316728_405261626724817", 34_048, 7_244, 3_346),
        ("20531316728_10158137001326729", 167_014, 7_393, 15_892),
    ];

    fn counts_of(h: &Harvest) -> Vec<(String, Counts)> {
        let mut out: Vec<(String, Counts)> =
            h.posts.iter().map(|p| (p.id.clone(), p.counts)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn expected() -> Vec<(String, Counts)> {
        let mut out: Vec<(String, Counts)> = TAGGED
            .iter()
            .map(|(id, l, c, s)| {
                let counts = Counts {
                    likes: Some(*l),
                    comments: Some(*c),
                    shares: Some(*s),
                    views: None,
                };
                (id.to_string(), counts)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[tokio::test]
    async fn recorded_page_listings_parse_and_pages_are_read_one_per_request() {
        let (base, seen) = graph_of_recorded_pages().await;
        let (fb, _running) = client(&base);
        let horizon: jiff::Timestamp = "2000-01-01T00:00:00Z".parse().unwrap();
        let h = fb.read_accounts(&pages(), horizon).await.unwrap();
        assert_eq!(counts_of(&h), expected());
        // The recorded Page objects carry fan_count but no followers_count: unknown, not 0.
        assert_eq!(h.stats.len(), 2);
        assert!(
            h.stats.iter().all(|s| s.followers.is_none()),
            "{:?}",
            h.stats
        );
        assert!(
            h.stats
                .iter()
                .any(|s| s.account.display_name.as_deref() == Some("Facebook App"))
        );
        // Both listings were read to their end: complete, so deletions can be judged.
        assert_eq!(h.listings.len(), 2);
        assert_eq!(h.listings[0].ids.len() + h.listings[1].ids.len(), 19);
        let seen = seen.lock().unwrap();
        assert!(seen.iter().all(|u| !u.contains("ids=")), "{seen:?}");
        // Two Page reads, 2 + 3 listing pages (the second Page's third page is empty).
        assert_eq!(seen.len(), 7, "{seen:?}");
    }

    #[tokio::test]
    async fn posts_are_refreshed_from_their_pages_listing_and_a_missing_one_is_found_out() {
        let (base, seen) = graph_of_recorded_pages().await;
        let (fb, _running) = client(&base);
        let tracked = |id: &str, at: &str| TrackedPost {
            id: id.into(),
            account: None,
            posted_at: Some(at.parse().unwrap()),
        };
        // The first Page's newest post only: its listing stops at the first page.
        let h = fb
            .refresh(&[tracked(
                "19292868552_10158349356748553",
                "2021-07-09T19:09:52Z",
            )])
            .await
            .unwrap();
        // Every tagged post on the page read comes back with fresh counts.
        let first_page = [
            "19292868552_10158349356748553",
            "19292868552_10158345715593553",
        ];
        let want: Vec<_> = expected()
            .into_iter()
            .filter(|(id, _)| first_page.contains(&id.as_str()))
            .collect();
        assert_eq!(counts_of(&h), want);
        assert_eq!(seen.lock().unwrap().len(), 1, "one listing page");
        assert!(h.deleted.is_empty() && h.listings.len() == 1);

        // A post the second Page no longer lists: its listing is read to the end, and the
        // store marks the post deleted from it (it is not in the listing's ids).
        seen.lock().unwrap().clear();
        let gone = "20531316728_999";
        let h = fb
            .refresh(&[
                tracked("20531316728_405261626724817", "2019-04-30T17:00:23Z"),
                tracked(gone, "2019-03-01T00:00:00Z"),
            ])
            .await
            .unwrap();
        let listing = &h.listings[0];
        assert_eq!(listing.handle, "20531316728");
        assert!(!listing.ids.iter().any(|id| id == gone));
        assert!(listing.since <= "2019-03-01T00:00:00Z".parse().unwrap());
        // The first page already lists a post older than the oldest asked for: done.
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert!(
            h.posts
                .iter()
                .any(|p| p.id == "20531316728_405261626724817")
        );
    }
}
