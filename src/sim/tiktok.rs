//! The TikTok Research API (platform-apis.md §3): client-credentials token, video query,
//! user info. Every answer but the token one is wrapped in `data` + `error`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::world::SimPost;
use super::{Fault, Shared, SimState, finish, utc_day};
use crate::platform::Platform;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/tiktok/v2/oauth/token/", post(token))
        .route("/tiktok/v2/research/video/query/", post(video_query))
        .route("/tiktok/v2/research/user/info/", post(user_info))
}

pub(super) fn log_id(state: &SimState) -> String {
    format!("2026{:016X}", state.now() as u64 ^ 0x9F1)
}

pub(super) fn envelope(state: &SimState, data: Value) -> Value {
    json!({"data": data, "error": {"code": "ok", "message": "", "log_id": log_id(state)}})
}

pub(super) fn fail(state: &SimState, status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        json!({"data": {}, "error": {"code": code, "message": message, "log_id": log_id(state)}});
    finish(None, status, body, vec![])
}

/// `POST /v2/oauth/token/`: form-encoded client credentials (§3.1). Failures carry no
/// envelope: `{"error": "invalid_client", "error_description": …}`.
async fn token(State(state): State<Shared>, body: Bytes) -> Response {
    let fault = state.begin(Platform::Tiktok, "oauth/token");
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        finish(
            None,
            status,
            json!({"error": error, "error_description": description, "log_id": log_id(&state)}),
            vec![],
        )
    };
    if fault == Some(Fault::ServerError) {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong. Please try again later.",
        );
    }
    if matches!(
        form.get("grant_type").map(String::as_str),
        Some("authorization_code" | "refresh_token")
    ) {
        return super::tiktok_consent::user_grant(&state, &form);
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant type is not supported.",
        );
    }
    let key = form.get("client_key").map(|s| s.trim()).unwrap_or_default();
    let secret = form
        .get("client_secret")
        .map(|s| s.trim())
        .unwrap_or_default();
    let creds = &state.config.credentials;
    let key_ok = !key.is_empty() && creds.tiktok_client_key.as_deref().is_none_or(|k| k == key);
    let secret_ok = !secret.is_empty()
        && creds
            .tiktok_client_secret
            .as_deref()
            .is_none_or(|s| s == secret);
    if !key_ok || !secret_ok {
        state.refuse_auth(Platform::Tiktok);
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client key or secret is invalid or missing.",
        );
    }
    let token = {
        let mut m = state.lock();
        m.token_counter += 1;
        let token = format!(
            "clt.sim{:08}{:08X}",
            m.token_counter, state.config.world.seed as u32
        );
        m.tiktok_tokens
            .insert(token.clone(), state.now() + state.config.token_ttl_secs);
        token
    };
    finish(
        fault,
        StatusCode::OK,
        json!({"access_token": token, "expires_in": state.config.token_ttl_secs, "token_type": "Bearer"}),
        vec![],
    )
}

/// Auth, daily request quota and pre-response faults for the research endpoints.
async fn gate(
    state: &SimState,
    headers: &HeaderMap,
    endpoint: &str,
) -> Result<Option<Fault>, Response> {
    let fault = state.begin(Platform::Tiktok, endpoint);
    let now = state.now();
    let bearer = super::bearer(headers).unwrap_or_default().to_string();
    if fault == Some(Fault::TokenExpired) {
        state.lock().tiktok_tokens.remove(&bearer);
    }
    let valid = state
        .lock()
        .tiktok_tokens
        .get(&bearer)
        .is_some_and(|exp| *exp > now);
    if !valid {
        state.refuse_auth(Platform::Tiktok);
        return Err(fail(
            state,
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ));
    }
    {
        let mut m = state.lock();
        let used = m.tiktok_requests.entry(utc_day(now)).or_default();
        if *used >= state.config.quotas.tiktok_requests_per_day {
            drop(m);
            state.refuse_quota(Platform::Tiktok);
            return Err(fail(
                state,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "The API rate limit was exceeded. Please try again after the daily quota resets.",
            ));
        }
        *used += 1;
    }
    match fault {
        Some(Fault::ServerError) => Err(fail(
            state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong. Please try again later.",
        )),
        Some(Fault::RateLimited | Fault::UserLimit) => {
            let mut r = fail(
                state,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many requests. Please retry later.",
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

const VIDEO_FIELDS: [&str; 10] = [
    "id",
    "video_description",
    "create_time",
    "region_code",
    "share_count",
    "view_count",
    "like_count",
    "comment_count",
    "hashtag_names",
    "username",
];

fn requested_fields(
    params: &HashMap<String, String>,
    known: &[&str],
) -> Result<Vec<String>, String> {
    let fields = super::comma_list(params, "fields")
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    if fields.is_empty() {
        return Err("The fields query parameter is required.".into());
    }
    if let Some(bad) = fields.iter().find(|f| !known.contains(&f.as_str())) {
        return Err(format!("Invalid field: {bad}"));
    }
    Ok(fields)
}

/// Does a video satisfy one `{operation, field_name, field_values}` condition?
fn condition(state: &SimState, p: &SimPost, cond: &Value) -> Result<bool, String> {
    let field = cond["field_name"]
        .as_str()
        .ok_or("condition without field_name")?;
    let op = cond["operation"]
        .as_str()
        .ok_or("condition without operation")?;
    if !["EQ", "IN", "GT", "GTE", "LT", "LTE"].contains(&op) {
        return Err(format!("Invalid operation: {op}"));
    }
    let values: Vec<String> = cond["field_values"]
        .as_array()
        .ok_or("field_values must be a list")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_lowercase))
        .collect();
    let w = &state.world;
    Ok(match field {
        // Whether the real filter ignores case is undocumented (§3.2); this one does.
        "hashtag_name" => w.hashtag_names(p).iter().any(|h| values.contains(h)),
        "username" => values.contains(&w.accounts[p.account as usize].handle.to_lowercase()),
        "region_code" => values.iter().any(|v| v == "id"),
        "video_id" => values.contains(&p.id),
        "keyword" => values
            .iter()
            .any(|v| w.caption(p).to_lowercase().contains(v)),
        other => return Err(format!("Invalid field_name: {other}")),
    })
}

fn matches(state: &SimState, p: &SimPost, query: &Value) -> Result<bool, String> {
    let list = |name: &str| -> Result<Vec<Value>, String> {
        match &query[name] {
            Value::Null => Ok(vec![]),
            Value::Array(a) => Ok(a.clone()),
            _ => Err(format!("query.{name} must be a list")),
        }
    };
    let (and, or, not) = (list("and")?, list("or")?, list("not")?);
    for c in &and {
        if !condition(state, p, c)? {
            return Ok(false);
        }
    }
    if !or.is_empty() {
        let mut any = false;
        for c in &or {
            any |= condition(state, p, c)?;
        }
        if !any {
            return Ok(false);
        }
    }
    for c in &not {
        if condition(state, p, c)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn parse_date(v: &Value, name: &str) -> Result<jiff::civil::Date, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{name} is required (YYYYMMDD)"))?;
    if s.len() != 8 || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{name} must be YYYYMMDD"));
    }
    format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])
        .parse()
        .map_err(|_| format!("{name} is not a valid date"))
}

fn video_json(state: &SimState, p: &SimPost, fields: &[String], now: i64) -> Value {
    let w = &state.world;
    let c = w.raw_counts(p, now);
    let mut o = Map::new();
    for f in fields {
        let v = match f.as_str() {
            // Integers, and ids beyond 2^53 (§3.2).
            "id" => json!(p.id.parse::<u64>().unwrap_or_default()),
            "video_description" => json!(w.caption(p)),
            "create_time" => json!(p.posted_at),
            "region_code" => json!("ID"),
            "share_count" => json!(c.shares),
            "view_count" => json!(c.views),
            "like_count" => json!(c.likes),
            "comment_count" => json!(c.comments),
            "hashtag_names" => json!(w.hashtag_names(p)),
            "username" => json!(w.accounts[p.account as usize].handle),
            _ => continue,
        };
        o.insert(f.clone(), v);
    }
    Value::Object(o)
}

async fn video_query(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = match gate(&state, &headers, "research/video/query").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let invalid = |m: &str| fail(&state, StatusCode::BAD_REQUEST, "invalid_params", m);
    let fields = match requested_fields(&params, &VIDEO_FIELDS) {
        Ok(f) => f,
        Err(e) => return invalid(&e),
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON.");
    };
    let query = &req["query"];
    let non_empty = ["and", "or", "not"]
        .iter()
        .any(|k| query[k].as_array().is_some_and(|a| !a.is_empty()));
    if !non_empty {
        return invalid("query must hold at least one non-empty and/or/not list.");
    }
    let (start, end) = match (
        parse_date(&req["start_date"], "start_date"),
        parse_date(&req["end_date"], "end_date"),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return invalid(&e),
    };
    if end < start || (end - start).get_days() > 30 {
        return invalid("end_date must be on or after start_date and at most 30 days after it.");
    }
    let max_count = req["max_count"].as_u64().unwrap_or(20);
    if max_count == 0 || max_count > 100 {
        return invalid("max_count must be between 1 and 100.");
    }
    let cursor = req["cursor"].as_u64().unwrap_or(0) as usize;

    let w = &state.world;
    let now = state.now();
    // A later page reuses the results kept under its search_id, as TikTok does.
    let given = req["search_id"].as_str().filter(|s| !s.is_empty());
    let (search_id, found) =
        match given.and_then(|id| state.tiktok_search(id).map(|r| (id.to_string(), r))) {
            Some(kept) => kept,
            None => {
                let utc = jiff::tz::TimeZone::UTC;
                let mut found: Vec<u32> = Vec::new();
                for &i in w.posts_by_time(Platform::Tiktok) {
                    let p = &w.posts[i as usize];
                    if p.posted_at > now {
                        break;
                    }
                    let day = jiff::Timestamp::from_second(p.posted_at)
                        .unwrap_or_default()
                        .to_zoned(utc.clone())
                        .date();
                    if day < start || day > end {
                        continue;
                    }
                    match matches(&state, p, query) {
                        Ok(true) => found.push(i),
                        Ok(false) => {}
                        Err(e) => return invalid(&e),
                    }
                }
                found.reverse(); // newest first
                state.keep_tiktok_search(found)
            }
        };
    let end_at = (cursor + max_count as usize).min(found.len());
    let from = cursor.min(found.len());
    let mut page: Vec<u32> = found[from..end_at].to_vec();
    if fault == Some(Fault::DuplicateItems) && from > 0 {
        let mut dup = found[from.saturating_sub(3)..from].to_vec();
        dup.append(&mut page);
        page = dup;
    }
    // Deleted or private videos drop out of a page, which may then be short or empty
    // while has_more stays true (§3.2).
    let videos: Vec<Value> = page
        .iter()
        .map(|&i| &w.posts[i as usize])
        .filter(|p| w.visible(p, now))
        .map(|p| video_json(&state, p, &fields, now))
        .collect();
    {
        let mut m = state.lock();
        let records = m.tiktok_records.entry(utc_day(now)).or_default();
        if *records + videos.len() as u64 > state.config.quotas.tiktok_records_per_day {
            drop(m);
            state.refuse_quota(Platform::Tiktok);
            return fail(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "The daily record quota was exceeded.",
            );
        }
        *records += videos.len() as u64;
    }
    let next_cursor = if fault == Some(Fault::RepeatCursor) {
        cursor
    } else {
        cursor + max_count as usize
    };
    let data = json!({"videos": videos, "cursor": next_cursor, "has_more": end_at < found.len(), "search_id": search_id});
    finish(fault, StatusCode::OK, envelope(&state, data), vec![])
}

const USER_FIELDS: [&str; 9] = [
    "display_name",
    "bio_description",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "bio_url",
];

async fn user_info(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = match gate(&state, &headers, "research/user/info").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let fields = match requested_fields(&params, &USER_FIELDS) {
        Ok(f) => f,
        Err(e) => return fail(&state, StatusCode::BAD_REQUEST, "invalid_params", &e),
    };
    let username = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["username"].as_str().map(str::to_string))
        .unwrap_or_default();
    let Some((_, account)) = state.world.account_by_handle(Platform::Tiktok, &username) else {
        return fail(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "The user does not exist or is private.",
        );
    };
    let f = state.world.figures(account, state.now());
    let mut o = Map::new();
    for name in &fields {
        let v = match name.as_str() {
            "display_name" => json!(account.display_name),
            "bio_description" => json!("UMKM Kota Padang"),
            "avatar_url" => json!(format!(
                "https://p16-sign.tiktokcdn.com/{}.jpeg",
                account.handle
            )),
            "bio_url" => json!(""),
            "is_verified" => json!(false),
            "follower_count" => json!(f.followers),
            "following_count" => json!(f.following),
            "likes_count" => json!(f.total_likes),
            "video_count" => json!(f.media_count),
            _ => continue,
        };
        o.insert(name.clone(), v);
    }
    finish(
        fault,
        StatusCode::OK,
        envelope(&state, Value::Object(o)),
        vec![],
    )
}
