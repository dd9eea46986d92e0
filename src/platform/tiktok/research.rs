//! The TikTok Research API (platform-apis.md §3): client-credentials token, video query
//! over windows of at most 30 days, user info. Success is `error.code == "ok"`.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::hashtag::Hashtag;
use crate::platform::http::{ApiError, Http, Raw, Request, Verdict};
use crate::platform::pager::{End, Page, Pager};
use crate::platform::{
    AccountRef, AccountStats, Counts, DiscoveryPage, Harvest, Platform, PlatformClient, Post,
    TrackedAccount, TrackedPost, count, endpoint, fit, stored_caption,
};
use crate::time::Clock;

const VIDEO_FIELDS: &str = "id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,hashtag_names,username";
const USER_FIELDS: &str =
    "display_name,follower_count,following_count,likes_count,video_count,is_verified";
/// Days a query window may span (end ≤ 30 days after start, §3.2).
const WINDOW_DAYS: i64 = 30;
/// Videos a refresh hands over at a time while it reads a window.
const REFRESH_PART: usize = 2_000;
/// A window of 30 days: 100 videos a page, so up to 100,000 videos.
const WINDOW_PAGES: Pager = Pager::new(1_000);

pub struct Tiktok {
    http: Http,
    base: String,
    client_key: String,
    client_secret: String,
    tags: Vec<Hashtag>,
    clock: Arc<dyn Clock>,
    /// Videos a refresh hands over at a time.
    part_size: usize,
    /// The cached client token and when it expires.
    token: Mutex<Option<(String, Timestamp)>>,
}

/// Judges an enveloped research answer by `error.code`, not by the status (§3.5).
fn verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    let code = body["error"]["code"].as_str().unwrap_or("");
    let message = format!(
        "TikTok {code}: {}",
        body["error"]["message"].as_str().unwrap_or("")
    );
    match code {
        "ok" if raw.status.is_success() => Verdict::Ok(body),
        "rate_limit_exceeded" => match raw.retry_after() {
            Some(after) => Verdict::Retry {
                reason: message,
                after: Some(after),
            },
            // Without Retry-After this is the daily quota: wait for 00:00 UTC (§3.4).
            None => Verdict::Fail(ApiError::Quota(message)),
        },
        "access_token_invalid" => Verdict::Fail(ApiError::TokenRefused(message)),
        "scope_not_authorized" | "scope_permission_missed" => {
            Verdict::Fail(ApiError::Auth(message))
        }
        "invalid_params" => Verdict::Fail(ApiError::Invalid(message)),
        "internal_error" => Verdict::Retry {
            reason: message,
            after: raw.retry_after(),
        },
        _ if raw.status.is_server_error() || raw.status.as_u16() == 429 => Verdict::Retry {
            reason: format!("HTTP {}", raw.status.as_u16()),
            after: raw.retry_after(),
        },
        _ => Verdict::Fail(ApiError::Invalid(format!(
            "HTTP {}: {message}",
            raw.status.as_u16()
        ))),
    }
}

/// The token endpoint answers without the envelope; any `error` string is a failure (§3.1).
fn token_verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    if body["access_token"].is_string() {
        return Verdict::Ok(body);
    }
    match body["error"].as_str() {
        Some("internal_error") | None if raw.status.is_server_error() => Verdict::Retry {
            reason: format!("token endpoint HTTP {}", raw.status.as_u16()),
            after: raw.retry_after(),
        },
        Some(e) => Verdict::Fail(ApiError::Auth(format!(
            "TikTok token: {e}: {}",
            body["error_description"].as_str().unwrap_or("")
        ))),
        None => Verdict::Fail(ApiError::Invalid(format!(
            "TikTok token: HTTP {} without a token",
            raw.status.as_u16()
        ))),
    }
}

fn yyyymmdd(d: jiff::civil::Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

impl Tiktok {
    pub fn new(
        http: Http,
        base: &str,
        client_key: String,
        client_secret: String,
        tags: Vec<Hashtag>,
        clock: Arc<dyn Clock>,
    ) -> Tiktok {
        Tiktok {
            http,
            base: base.to_string(),
            client_key,
            client_secret,
            tags,
            clock,
            token: Mutex::new(None),
            part_size: REFRESH_PART,
        }
    }

    /// Hands a refresh over every `n` videos instead of every [`REFRESH_PART`] (specs).
    pub fn with_part_size(mut self, n: usize) -> Tiktok {
        self.part_size = n.max(1);
        self
    }

    /// The cached token, renewed five minutes before it expires (or when `force`).
    async fn token(&self, force: bool) -> Result<String, ApiError> {
        let now = self.clock.now();
        if !force
            && let Some((token, expires)) =
                self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
            && expires > now + SignedDuration::from_mins(5)
        {
            return Ok(token);
        }
        let mut req = Request {
            method: reqwest::Method::POST,
            ..Request::get(endpoint(&self.base, "/v2/oauth/token/")?, "oauth/token")
        };
        req.cost = 0; // not a research request
        req.max_body = crate::platform::http::TOKEN_MAX_BODY;
        req.form = Some(vec![
            ("client_key".into(), self.client_key.clone()),
            ("client_secret".into(), self.client_secret.clone()),
            ("grant_type".into(), "client_credentials".into()),
        ]);
        let body = self.http.send(&req, token_verdict).await?;
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.http.add_secret(&token);
        let ttl = body["expires_in"].as_i64().unwrap_or(7200);
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((token.clone(), now + SignedDuration::from_secs(ttl)));
        Ok(token)
    }

    /// A research call; an `access_token_invalid` renews the token once (§3.1).
    async fn research(
        &self,
        path: &str,
        fields: &str,
        body: Value,
        name: &'static str,
    ) -> Result<Value, ApiError> {
        let mut url = endpoint(&self.base, path)?;
        url.query_pairs_mut().append_pair("fields", fields);
        for renewed in [false, true] {
            let mut req = Request {
                method: reqwest::Method::POST,
                ..Request::get(url.clone(), name)
            };
            req.bearer = Some(self.token(renewed).await?);
            req.json = Some(body.clone());
            match self.http.send(&req, verdict).await {
                Err(ApiError::TokenRefused(_)) if !renewed => {
                    tracing::info!("TikTok token rejected; renewing it once");
                }
                Err(ApiError::TokenRefused(m)) => return Err(ApiError::Auth(m)),
                other => return other,
            }
        }
        Err(ApiError::Auth(
            "TikTok rejected a freshly issued token".into(),
        ))
    }

    fn video(&self, v: &Value) -> Result<Option<Post>, String> {
        video_item(&self.tags, v)
    }

    fn query(
        &self,
        start: jiff::civil::Date,
        end: jiff::civil::Date,
        cursor: u64,
        search_id: &str,
    ) -> Value {
        let tags: Vec<String> = self.tags.iter().map(Hashtag::lowercase).collect();
        json!({
            "query": {"and": [{"operation": "IN", "field_name": "hashtag_name", "field_values": tags}]},
            "start_date": yyyymmdd(start), "end_date": yyyymmdd(end),
            "max_count": 100, "cursor": cursor, "search_id": search_id,
        })
    }

    /// One page of one window: its posts go into `page`; says which videos it listed
    /// and the next cursor and search id while `has_more`.
    async fn window_page(
        &self,
        start: jiff::civil::Date,
        end: jiff::civil::Date,
        cursor: u64,
        search_id: &str,
        page: &mut DiscoveryPage,
    ) -> Result<Page<(u64, String)>, ApiError> {
        let body = self
            .research(
                "/v2/research/video/query/",
                VIDEO_FIELDS,
                self.query(start, end, cursor, search_id),
                "video/query",
            )
            .await?;
        let data = &body["data"];
        let mut ids = Vec::new();
        for v in data["videos"].as_array().into_iter().flatten() {
            match &v["id"] {
                Value::Number(n) => ids.push(n.to_string()),
                Value::String(id) => ids.push(id.clone()),
                _ => {}
            }
            match self.video(v) {
                Ok(Some(p)) => page.posts.push(p),
                Ok(None) => {}
                Err(why) => page.skipped.push(format!("tiktok video: {why}")),
            }
        }
        // A short or empty page may still say has_more (§3.2).
        let next = (data["has_more"] == true).then(|| {
            (
                data["cursor"].as_u64().unwrap_or(cursor + 100),
                data["search_id"].as_str().unwrap_or(search_id).to_string(),
            )
        });
        Ok(Page {
            ids,
            next,
            enough: false,
        })
    }

    fn utc_date(t: Timestamp) -> jiff::civil::Date {
        t.to_zoned(jiff::tz::TimeZone::UTC).date()
    }
}

impl PlatformClient for Tiktok {
    fn platform(&self) -> Platform {
        Platform::Tiktok
    }

    /// Videos created since `since` (UTC days), window by window, oldest window first.
    /// Cursor: `YYYYMMDD:cursor:search_id` of the window under way.
    async fn discover(
        &self,
        since: Timestamp,
        cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        let today = Self::utc_date(self.clock.now());
        let mut parts = cursor.as_deref().unwrap_or("").splitn(3, ':');
        let (start, offset, search_id) = match (parts.next(), parts.next(), parts.next()) {
            (Some(s), Some(c), Some(id)) if s.len() == 8 => (
                jiff::civil::Date::strptime("%Y%m%d", s)
                    .map_err(|e| ApiError::Invalid(e.to_string()))?,
                c.parse().unwrap_or(0),
                id.to_string(),
            ),
            _ => (
                Self::utc_date(since).max(today - SignedDuration::from_hours(24 * 365)),
                0,
                String::new(),
            ),
        };
        let end = (start + SignedDuration::from_hours(24 * WINDOW_DAYS)).min(today);
        let mut page = DiscoveryPage::default();
        let read = self
            .window_page(start, end, offset, &search_id, &mut page)
            .await?;
        let window = yyyymmdd(start);
        if offset == 0 {
            page.listed.push(format!("{window}:")); // a new window
        }
        page.listed
            .extend(read.ids.iter().map(|id| format!("{window}:{id}")));
        page.next = match read.next {
            Some((c, id)) => Some(format!("{}:{c}:{id}", yyyymmdd(start))),
            None if end < today => Some(format!(
                "{}:0:",
                yyyymmdd(end + SignedDuration::from_hours(24))
            )),
            None => None,
        };
        Ok(page)
    }

    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        _horizon: Timestamp,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        for account in accounts {
            match self
                .research(
                    "/v2/research/user/info/",
                    USER_FIELDS,
                    json!({"username": account.handle}),
                    "user/info",
                )
                .await
            {
                Ok(body) => {
                    let d = &body["data"];
                    harvest.stats.push(AccountStats {
                        platform: Platform::Tiktok,
                        account: AccountRef {
                            handle: Some(account.handle.clone()),
                            platform_user_id: None,
                            display_name: d["display_name"].as_str().map(str::to_string),
                        },
                        followers: count(&d["follower_count"]),
                        following: count(&d["following_count"]),
                        media_count: count(&d["video_count"]),
                        total_likes: count(&d["likes_count"]),
                        total_views: None,
                    });
                }
                // An unknown, private or banned user (§3.3).
                Err(ApiError::Invalid(why)) | Err(ApiError::NotFound(why)) => {
                    tracing::debug!(account = %account.handle, reason = %why, "TikTok user cannot be read");
                    harvest.unreachable.push(account.handle.clone());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(harvest)
    }

    /// Re-reads the windows that hold the posts; a post missing from a complete window
    /// read is no longer served (deleted or private).
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let (feeder, mut backlog) = crate::platform::feed::unbounded();
        self.refresh_in_parts(posts, &feeder).await?;
        Ok(backlog.drain())
    }

    /// A window's pages go out as they are read, every `part_size` videos; only the
    /// ids listed are kept until the window ends, to tell which tracked posts it no
    /// longer holds.
    async fn refresh_in_parts(
        &self,
        posts: &[TrackedPost],
        feeder: &crate::platform::feed::Feeder,
    ) -> Result<bool, ApiError> {
        let today = Self::utc_date(self.clock.now());
        let Some(oldest) = posts
            .iter()
            .filter_map(|p| p.posted_at)
            .map(Self::utc_date)
            .min()
        else {
            return Ok(true);
        };
        let mut start = oldest;
        while start <= today {
            let end = (start + SignedDuration::from_hours(24 * WINDOW_DAYS)).min(today);
            let mut page = DiscoveryPage::default();
            let mut listed: std::collections::HashSet<String> = Default::default();
            let mut taken = true;
            let mut paging = WINDOW_PAGES.start(Some((0, String::new())));
            while let Some(at) = paging.next_cursor() {
                let read = async {
                    let (cursor, search_id) = at.unwrap_or_default();
                    let read = self
                        .window_page(start, end, cursor, &search_id, &mut page)
                        .await?;
                    if page.posts.len() >= self.part_size {
                        listed.extend(page.posts.iter().map(|p| p.id.clone()));
                        let part_read = Harvest {
                            posts: std::mem::take(&mut page.posts),
                            skipped: std::mem::take(&mut page.skipped),
                            ..Harvest::default()
                        };
                        taken = feeder.feed(part_read).await;
                        if !taken {
                            return Ok(Page {
                                enough: true,
                                ..read
                            });
                        }
                    }
                    Ok::<_, ApiError>(read)
                }
                .await;
                paging.read(read);
            }
            let ended = paging.end();
            if !taken {
                return Ok(false);
            }
            listed.extend(page.posts.iter().map(|p| p.id.clone()));
            // Only a window read to its end says which tracked videos are gone.
            let deleted: Vec<String> = if ended.is_complete() {
                posts
                    .iter()
                    .filter(|p| {
                        let day = p.posted_at.map(Self::utc_date);
                        day.is_some_and(|d| d >= start && d <= end) && !listed.contains(&p.id)
                    })
                    .map(|p| p.id.clone())
                    .collect()
            } else {
                Vec::new()
            };
            let failure = match ended {
                End::Failed(e) => Some(e),
                End::Complete => None,
                other => {
                    tracing::warn!(end = ?other, "a TikTok window ended unfinished; kept what it read, marked nothing deleted");
                    None
                }
            };
            let rest = Harvest {
                posts: page.posts,
                skipped: page.skipped,
                deleted,
                ..Harvest::default()
            };
            let nothing =
                rest.posts.is_empty() && rest.skipped.is_empty() && rest.deleted.is_empty();
            if !nothing && !feeder.feed(rest).await {
                return Ok(false);
            }
            if let Some(e) = failure {
                return Err(e);
            }
            start = end + SignedDuration::from_hours(24);
        }
        Ok(true)
    }

    fn refresh_batch(&self) -> usize {
        100_000
    }

    fn account_batch(&self) -> usize {
        20
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        self.http.redact(text)
    }
}

/// A Research API video as a post carrying one of `tags`. (Public for the fuzz specs.)
pub fn video_item(tags: &[Hashtag], v: &Value) -> Result<Option<Post>, String> {
    // Ids exceed 2^53: read them as integers, never through f64 (§3.2).
    let id = match &v["id"] {
        Value::Number(n) => n
            .as_u64()
            .map(|n| n.to_string())
            .or_else(|| n.as_i64().map(|n| n.to_string())),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
    .ok_or("video without an integer id")?;
    let description = v["video_description"].as_str();
    let in_list = v["hashtag_names"].as_array().is_some_and(|names| {
        names
            .iter()
            .filter_map(Value::as_str)
            .any(|n| tags.iter().any(|t| t.is_element(n)))
    });
    let in_text = description.is_some_and(|d| tags.iter().any(|t| t.in_text(d)));
    if !in_list && !in_text {
        return Ok(None);
    }
    let handle = v["username"].as_str().map(str::to_lowercase);
    let permalink = v["username"]
        .as_str()
        .map(|u| format!("https://www.tiktok.com/@{u}/video/{id}"));
    fit(Post {
        platform: Platform::Tiktok,
        id,
        account: handle.map(|h| AccountRef {
            handle: Some(h),
            platform_user_id: None,
            display_name: None,
        }),
        permalink,
        caption: description.map(stored_caption),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> Vec<Hashtag> {
        vec![Hashtag::parse("UMKMKotaPadangMajuBersama").unwrap()]
    }

    /// A Research API stand-in written from §3.1–3.2: one window of `ids`, two videos a
    /// page, `has_more` until the last.
    async fn research_api(ids: Vec<u64>) -> String {
        use axum::{Json, Router, routing::post};
        let query = move |Json(body): Json<Value>| async move {
            let cursor = body["cursor"].as_u64().unwrap_or(0) as usize;
            let page: Vec<Value> = ids
                .iter()
                .skip(cursor)
                .take(2)
                .map(|id| {
                    json!({"id": id, "username": "dendengunilis", "create_time": 1763690400,
                           "video_description": "#umkmkotapadangmajubersama", "like_count": 5,
                           "comment_count": 1, "share_count": 0, "view_count": 90,
                           "hashtag_names": ["umkmkotapadangmajubersama"]})
                })
                .collect();
            Json(json!({"data": {"videos": page, "cursor": cursor + 2,
                                 "has_more": cursor + 2 < ids.len(), "search_id": "74238"},
                        "error": {"code": "ok", "message": "", "log_id": "1"}}))
        };
        let app = Router::new()
            .route(
                "/v2/oauth/token/",
                post(async || {
                    Json(json!({"access_token": "clt.x", "expires_in": 7200, "token_type": "Bearer"}))
                }),
            )
            .route("/v2/research/video/query/", post(query));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    #[tokio::test]
    async fn a_refresh_hands_its_window_over_in_parts_and_only_then_the_posts_it_lost() {
        let base = research_api((1..=8).collect()).await;
        let (http, _running) = Http::for_tests(Platform::Tiktok);
        let now: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        let client = Tiktok::new(
            http,
            &base,
            "key".into(),
            "secret".into(),
            tags(),
            Arc::new(crate::sim::SimClock::new(now, 0.0)),
        )
        .with_part_size(3);
        let tracked = |id: &str| TrackedPost {
            id: id.into(),
            account: None,
            posted_at: Some("2026-11-21T02:00:00Z".parse().unwrap()),
        };
        // Post 9 is tracked but no longer listed: deleted, and said only once the
        // window is read to its end.
        let posts = [tracked("2"), tracked("7"), tracked("9")];
        let (feeder, mut backlog) = crate::platform::feed::unbounded();
        assert!(client.refresh_in_parts(&posts, &feeder).await.unwrap());
        drop(feeder);
        let mut parts: Vec<Harvest> = Vec::new();
        while let Some((part, _)) = backlog.next(0).await {
            parts.push(part);
        }
        let sizes: Vec<(usize, usize)> = parts
            .iter()
            .map(|p| (p.posts.len(), p.deleted.len()))
            .collect();
        // Pages of two: a part once three or more videos are in hand; the rest last.
        assert_eq!(sizes, [(4, 0), (4, 0), (0, 1)]);
        assert_eq!(parts[2].deleted, ["9"]);
        let ids: Vec<&str> = parts
            .iter()
            .flat_map(|p| p.posts.iter().map(|p| p.id.as_str()))
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7", "8"]);

        // Storing stopped after the first part: the refresh says so and ends.
        let (feeder, mut backlog) = crate::platform::feed::unbounded();
        let storing = async move { backlog.next(0).await.map(|(part, _)| part.posts.len()) };
        let (open, first) = tokio::join!(client.refresh_in_parts(&posts, &feeder), storing);
        assert_eq!(first, Some(4));
        assert!(
            !open.unwrap(),
            "the refresh did not notice that storing stopped"
        );
        // `refresh` is the same, in one piece.
        let whole = client.refresh(&posts).await.unwrap();
        assert_eq!(
            (whole.posts.len(), whole.deleted.clone()),
            (8, vec!["9".to_string()])
        );
    }

    #[test]
    fn ids_beyond_2_pow_53_keep_every_digit_and_make_the_permalink() {
        let v = serde_json::json!({"id": 7311000000000000042u64, "username": "dendengunilis",
            "video_description": "#umkmkotapadangmajubersama", "create_time": 1763690400});
        let post = video_item(&tags(), &v).unwrap().unwrap();
        assert_eq!(post.id, "7311000000000000042");
        assert_eq!(
            post.permalink.as_deref(),
            Some("https://www.tiktok.com/@dendengunilis/video/7311000000000000042")
        );
    }

    #[test]
    fn an_id_sent_as_a_string_is_kept_without_quotes() {
        let v = serde_json::json!({"id": "7311000000000000043", "username": "u",
            "hashtag_names": ["umkmkotapadangmajubersama"]});
        let post = video_item(&tags(), &v).unwrap().unwrap();
        assert_eq!(
            post.permalink.as_deref(),
            Some("https://www.tiktok.com/@u/video/7311000000000000043")
        );
    }
}
