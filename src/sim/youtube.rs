//! The YouTube Data API v3 (platform-apis.md §4): search, videos, channels,
//! playlistItems, with unit costs, the Pacific-time quota day, and string statistics.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::world::{SimAccount, SimPost};
use super::{Fault, Shared, SimState, finish, pacific_day, rfc3339};
use crate::platform::Platform;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/youtube/v3/search", get(search))
        .route("/youtube/v3/videos", get(videos))
        .route("/youtube/v3/channels", get(channels))
        .route("/youtube/v3/playlistItems", get(playlist_items))
}

fn fail(status: StatusCode, reason: &str, domain: &str, message: &str) -> Response {
    let body = json!({"error": {"code": status.as_u16(), "message": message, "errors": [{"message": message, "domain": domain, "reason": reason}]}});
    finish(None, status, body, vec![])
}

/// Key check, unit charge and pre-response faults. A failed call still costs (§4.6);
/// a call refused for quota does not.
async fn gate(
    state: &SimState,
    params: &HashMap<String, String>,
    endpoint: &str,
    cost: u64,
) -> Result<Option<Fault>, Response> {
    let fault = state.begin(Platform::Youtube, endpoint);
    let key = params.get("key").map(|k| k.trim()).unwrap_or_default();
    if key.is_empty() {
        state.refuse_auth(Platform::Youtube);
        return Err(fail(
            StatusCode::FORBIDDEN,
            "forbidden",
            "global",
            "The request is missing a valid API key.",
        ));
    }
    if fault == Some(Fault::TokenExpired) {
        state.kill_credential("youtube", key);
    }
    let wanted = state.config.credentials.youtube_key.as_deref();
    if wanted.is_some_and(|w| w != key) || state.credential_dead("youtube", key) {
        state.refuse_auth(Platform::Youtube);
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "keyInvalid",
            "usageLimits",
            "API key not valid. Please pass a valid API key.",
        ));
    }
    {
        let mut m = state.lock();
        let used = m.youtube_units.entry(pacific_day(state.now())).or_default();
        if *used + cost > state.config.quotas.youtube_units_per_day {
            drop(m);
            state.refuse_quota(Platform::Youtube);
            return Err(fail(
                StatusCode::FORBIDDEN,
                "quotaExceeded",
                "youtube.quota",
                "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
            ));
        }
        *used += cost;
    }
    match fault {
        Some(Fault::ServerError) => Err(fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "backendError",
            "global",
            "Backend Error",
        )),
        Some(Fault::RateLimited | Fault::UserLimit) => {
            let mut r = fail(
                StatusCode::TOO_MANY_REQUESTS,
                "rateLimitExceeded",
                "youtube.quota",
                "The request cannot be completed because you have exceeded your rate limit.",
            );
            r.headers_mut()
                .insert("retry-after", state.retry_after().into());
            Err(r)
        }
        Some(Fault::Slow) => {
            tokio::time::sleep(std::time::Duration::from_millis(state.config.slow_ms)).await;
            Ok(fault)
        }
        f => Ok(f),
    }
}

fn page_token(offset: usize) -> String {
    format!("CAE{offset}QAA")
}

fn decode_token(t: &str) -> Option<usize> {
    t.strip_prefix("CAE")?.strip_suffix("QAA")?.parse().ok()
}

fn max_results(params: &HashMap<String, String>) -> Result<usize, Response> {
    match params.get("maxResults").map(|m| m.parse::<usize>()) {
        None => Ok(5),
        Some(Ok(n)) if n <= 50 => Ok(n),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            "invalidValue",
            "youtube.parameter",
            "Invalid value for parameter maxResults: must be 0 to 50.",
        )),
    }
}

/// The slice of `all` for the request's `pageToken`, with the paging faults applied.
fn page<'a, T>(
    all: &'a [T],
    params: &HashMap<String, String>,
    per_page: usize,
    fault: Option<Fault>,
) -> Result<(Vec<&'a T>, Option<String>), Response> {
    let offset = match params.get("pageToken").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => decode_token(t).ok_or_else(|| {
            fail(
                StatusCode::BAD_REQUEST,
                "invalidPageToken",
                "youtube.parameter",
                "The request specifies an invalid page token.",
            )
        })?,
    };
    let from = offset.min(all.len());
    let end = (from + per_page).min(all.len());
    let mut items: Vec<&T> = all[from..end].iter().collect();
    if fault == Some(Fault::DuplicateItems) && from > 0 {
        let mut dup: Vec<&T> = all[from.saturating_sub(3)..from].iter().collect();
        dup.append(&mut items);
        items = dup;
    }
    let next = (end < all.len()).then(|| {
        page_token(if fault == Some(Fault::RepeatCursor) {
            from
        } else {
            end
        })
    });
    Ok((items, next))
}

fn require_part(params: &HashMap<String, String>) -> Result<Vec<String>, Response> {
    let parts: Vec<String> = super::comma_list(params, "part")
        .into_iter()
        .map(String::from)
        .collect();
    if parts.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "required",
            "global",
            "Required parameter: part",
        ));
    }
    Ok(parts)
}

fn channel_of<'a>(state: &'a SimState, p: &SimPost) -> &'a SimAccount {
    &state.world.accounts[p.account as usize]
}

/// `search.list`, 100 units. Fuzzy like the real one: look-alike tags and bare words
/// come back too, descriptions are truncated, and a few results ignore
/// `publishedAfter` (§4.1, §4.6).
async fn search(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let fault = match gate(&state, &params, "search", 100).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = require_part(&params) {
        return r;
    }
    let per_page = match max_results(&params) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let after = match params
        .get("publishedAfter")
        .map(|s| s.parse::<jiff::Timestamp>())
    {
        None => i64::MIN,
        Some(Ok(t)) => t.as_second(),
        Some(Err(_)) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalidPublishedAfter",
                "youtube.parameter",
                "The publishedAfter parameter must be an RFC 3339 date-time.",
            );
        }
    };
    let q = params
        .get("q")
        .map(|q| q.trim_start_matches('#').to_lowercase())
        .unwrap_or_default();
    let w = &state.world;
    let now = state.now();
    let mut found: Vec<&SimPost> = w
        .posts_by_time(Platform::Youtube)
        .iter()
        .map(|&i| &w.posts[i as usize])
        .filter(|p| w.visible(p, now))
        .filter(|p| {
            q.is_empty()
                || w.caption(p).to_lowercase().contains(&q)
                || w.title(p).to_lowercase().contains(&q)
        })
        .filter(|p| p.posted_at >= after || p.id.bytes().map(u32::from).sum::<u32>() % 10 == 0)
        .collect();
    found.reverse(); // order=date: newest first
    let (items, next) = match page(&found, &params, per_page, fault) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let items: Vec<Value> = items
        .into_iter()
        .map(|p| {
            let channel = channel_of(&state, p);
            let description: String = w.caption(p).chars().take(48).collect();
            json!({
                "kind": "youtube#searchResult",
                "etag": format!("e{}", p.id),
                "id": {"kind": "youtube#video", "videoId": p.id},
                "snippet": {
                    "publishedAt": rfc3339(p.posted_at),
                    "channelId": channel.user_id,
                    "title": w.title(p),
                    "description": format!("{description}..."),
                    "channelTitle": channel.display_name,
                    "liveBroadcastContent": "none",
                    "publishTime": rfc3339(p.posted_at),
                }
            })
        })
        .collect();
    let mut body = json!({
        "kind": "youtube#searchListResponse",
        "etag": "sim",
        "regionCode": "ID",
        "pageInfo": {"totalResults": found.len() + found.len() / 7, "resultsPerPage": per_page},
        "items": items,
    });
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    finish(fault, StatusCode::OK, body, vec![])
}

/// `videos.list`, 1 unit, ≤ 50 ids. Unknown, deleted or private ids are silently left
/// out (§4.2); statistics are strings; `likeCount`/`commentCount` absent when hidden/off.
async fn videos(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let fault = match gate(&state, &params, "videos", 1).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let parts = match require_part(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ids: Vec<&str> = super::comma_list(&params, "id");
    if ids.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            "missingRequiredParameter",
            "youtube.parameter",
            "No filter selected. Expected one of: id, chart, myRating.",
        );
    }
    if ids.len() > 50 {
        return fail(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "youtube.parameter",
            "The request specifies more than 50 video ids.",
        );
    }
    let w = &state.world;
    let now = state.now();
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| w.post(Platform::Youtube, id))
        .map(|(_, p)| p)
        .filter(|p| w.visible(p, now))
        .map(|p| {
            let mut v = json!({"kind": "youtube#video", "etag": format!("e{}", p.id), "id": p.id});
            if parts.iter().any(|x| x == "snippet") {
                let channel = channel_of(&state, p);
                v["snippet"] = json!({
                    "publishedAt": rfc3339(p.posted_at),
                    "channelId": channel.user_id,
                    "title": w.title(p),
                    "description": w.caption(p),
                    "channelTitle": channel.display_name,
                    "tags": ["umkm", "padang", "sumatera barat"],
                    "categoryId": "22",
                    "liveBroadcastContent": "none",
                });
            }
            if parts.iter().any(|x| x == "statistics") {
                let c = w.reported(p, now);
                let mut s =
                    json!({"viewCount": c.views.unwrap_or(0).to_string(), "favoriteCount": "0"});
                if let Some(l) = c.likes {
                    s["likeCount"] = json!(l.to_string());
                }
                if let Some(n) = c.comments {
                    s["commentCount"] = json!(n.to_string());
                }
                v["statistics"] = s;
            }
            v
        })
        .collect();
    let n = items.len();
    finish(
        fault,
        StatusCode::OK,
        json!({"kind": "youtube#videoListResponse", "etag": "sim", "items": items, "pageInfo": {"totalResults": n, "resultsPerPage": n}}),
        vec![],
    )
}

fn uploads_playlist(channel_id: &str) -> String {
    format!("UU{}", &channel_id[2..])
}

/// `channels.list`, 1 unit: by `id` (comma list) or `forHandle` (one handle, `@`
/// optional). No match: 200 with `items` empty or missing (§4.3).
async fn channels(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let fault = match gate(&state, &params, "channels", 1).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let parts = match require_part(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let w = &state.world;
    let now = state.now();
    let (found, by_handle): (Vec<&SimAccount>, bool) = if let Some(handle) = params.get("forHandle")
    {
        let h = if handle.starts_with('@') {
            handle.clone()
        } else {
            format!("@{handle}")
        };
        (
            w.account_by_handle(Platform::Youtube, &h)
                .map(|(_, a)| a)
                .into_iter()
                .collect(),
            true,
        )
    } else if let Some(ids) = params.get("id") {
        (
            ids.split(',')
                .filter_map(|id| w.account_by_user_id(Platform::Youtube, id.trim()))
                .map(|(_, a)| a)
                .collect(),
            false,
        )
    } else {
        return fail(
            StatusCode::BAD_REQUEST,
            "missingRequiredParameter",
            "youtube.parameter",
            "No filter selected. Expected one of: forHandle, forUsername, id, mine.",
        );
    };
    let items: Vec<Value> = found
        .iter()
        .map(|a| {
            let mut v = json!({"kind": "youtube#channel", "etag": format!("e{}", a.user_id), "id": a.user_id});
            if parts.iter().any(|x| x == "snippet") {
                v["snippet"] = json!({"title": a.display_name, "description": "UMKM Kota Padang", "customUrl": a.handle, "publishedAt": "2021-03-01T00:00:00Z"});
            }
            if parts.iter().any(|x| x == "statistics") {
                let f = w.figures(a, now);
                let mut s = json!({"viewCount": f.total_views.unwrap_or(0).to_string(), "hiddenSubscriberCount": a.hidden_followers, "videoCount": f.media_count.unwrap_or(0).to_string()});
                if let Some(n) = f.followers {
                    s["subscriberCount"] = json!(n.to_string());
                }
                v["statistics"] = s;
            }
            if parts.iter().any(|x| x == "contentDetails") {
                v["contentDetails"] = json!({"relatedPlaylists": {"likes": "", "uploads": uploads_playlist(&a.user_id)}});
            }
            v
        })
        .collect();
    let mut body = json!({"kind": "youtube#channelListResponse", "etag": "sim", "pageInfo": {"totalResults": items.len(), "resultsPerPage": 5}});
    if !(items.is_empty() && by_handle) {
        body["items"] = json!(items);
    }
    finish(fault, StatusCode::OK, body, vec![])
}

/// `playlistItems.list`, 1 unit: a channel's uploads, newest first; unknown playlist:
/// 404 `playlistNotFound` (§4.4).
async fn playlist_items(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let fault = match gate(&state, &params, "playlistItems", 1).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let parts = match require_part(&params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let per_page = match max_results(&params) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let w = &state.world;
    let playlist = params.get("playlistId").cloned().unwrap_or_default();
    let channel = playlist
        .strip_prefix("UU")
        .and_then(|rest| w.account_by_user_id(Platform::Youtube, &format!("UC{rest}")));
    let Some((_, channel)) = channel else {
        return fail(
            StatusCode::NOT_FOUND,
            "playlistNotFound",
            "youtube.playlistItem",
            "The playlist identified with the request's playlistId parameter cannot be found.",
        );
    };
    let now = state.now();
    let uploads: Vec<&SimPost> = w.visible_posts(channel, now).map(|(_, p)| p).collect();
    let (items, next) = match page(&uploads, &params, per_page, fault) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let items: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let mut v = json!({"kind": "youtube#playlistItem", "etag": format!("e{}", p.id), "id": format!("UExp{}", p.id)});
            if parts.iter().any(|x| x == "snippet") {
                v["snippet"] = json!({
                    "publishedAt": rfc3339(p.posted_at),
                    "channelId": channel.user_id,
                    "title": w.title(p),
                    "description": w.caption(p),
                    "channelTitle": channel.display_name,
                    "playlistId": playlist,
                    "position": n,
                    "resourceId": {"kind": "youtube#video", "videoId": p.id},
                });
            }
            if parts.iter().any(|x| x == "contentDetails") {
                v["contentDetails"] = json!({"videoId": p.id, "videoPublishedAt": rfc3339(p.posted_at)});
            }
            v
        })
        .collect();
    let mut body = json!({"kind": "youtube#playlistItemListResponse", "etag": "sim", "items": items, "pageInfo": {"totalResults": uploads.len(), "resultsPerPage": per_page}});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    finish(fault, StatusCode::OK, body, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip() {
        assert_eq!(decode_token(&page_token(150)), Some(150));
        assert_eq!(decode_token("nonsense"), None);
    }
}
