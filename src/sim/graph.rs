//! Instagram and Facebook on the Graph API (platform-apis.md §1, §2).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::world::{SimAccount, SimPost};
use super::{Fault, Shared, SimState, finish, graph_time, origin, prune};
use crate::platform::Platform;

/// Every version is served alike (`/graph/v25.0/…`, `/graph/v21.0/…`): the simulator
/// models today's rules, not the differences between versions.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/graph/{version}/", get(root))
        .route("/graph/{version}/{node}", get(node))
        .route(
            "/graph/{version}/{node}/{edge}",
            get(edge).delete(delete_edge),
        )
}

// ---- the `fields` expansion syntax: `a,b.limit(5){c,d},e.summary(total_count).limit(0)` ----

/// One requested field with its modifiers (`.limit(50)`) and sub-fields (`{…}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub name: String,
    pub modifiers: Vec<(String, String)>,
    pub children: Vec<Field>,
}

impl Field {
    fn modifier(&self, name: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `fields` parameter; `None` when it is malformed.
pub(super) fn parse_fields(s: &str) -> Option<Vec<Field>> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let fields = parse_list(&chars, &mut pos)?;
    (pos == chars.len()).then_some(fields)
}

fn parse_list(c: &[char], pos: &mut usize) -> Option<Vec<Field>> {
    let mut out = Vec::new();
    loop {
        let name = ident(c, pos);
        if name.is_empty() {
            return None;
        }
        let mut field = Field {
            name,
            modifiers: Vec::new(),
            children: Vec::new(),
        };
        while c.get(*pos) == Some(&'.') {
            *pos += 1;
            let m = ident(c, pos);
            if c.get(*pos) != Some(&'(') {
                return None;
            }
            *pos += 1;
            let start = *pos;
            while c.get(*pos).is_some_and(|ch| *ch != ')') {
                *pos += 1;
            }
            let value: String = c.get(start..*pos)?.iter().collect();
            *pos += 1; // ')'
            field.modifiers.push((m, value));
        }
        if c.get(*pos) == Some(&'{') {
            *pos += 1;
            field.children = parse_list(c, pos)?;
            if c.get(*pos) != Some(&'}') {
                return None;
            }
            *pos += 1;
        }
        out.push(field);
        match c.get(*pos) {
            Some(',') => *pos += 1,
            _ => return Some(out),
        }
    }
}

fn ident(c: &[char], pos: &mut usize) -> String {
    let start = *pos;
    while c
        .get(*pos)
        .is_some_and(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
    {
        *pos += 1;
    }
    c[start..*pos].iter().collect()
}

// ---- errors and the request gate ----

pub(super) fn error(
    status: StatusCode,
    code: u32,
    subcode: Option<u32>,
    kind: &str,
    message: &str,
) -> Value {
    let mut e =
        json!({"message": message, "type": kind, "code": code, "fbtrace_id": "AsimJempolTrace"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    if matches!(code, 1 | 2 | 4 | 17 | 32 | 613) || status.is_server_error() {
        e["is_transient"] = json!(true);
    }
    json!({ "error": e })
}

pub(super) fn error_response(
    status: StatusCode,
    body: Value,
    headers: Vec<(&'static str, String)>,
) -> Response {
    finish(None, status, body, headers)
}

pub(super) fn missing_object(id: &str, headers: Vec<(&'static str, String)>) -> Response {
    error_response(
        StatusCode::BAD_REQUEST,
        error(
            StatusCode::BAD_REQUEST,
            100,
            Some(33),
            "GraphMethodException",
            &format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        ),
        headers,
    )
}

pub(super) fn bad_parameter(message: &str, headers: Vec<(&'static str, String)>) -> Response {
    error_response(
        StatusCode::BAD_REQUEST,
        error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "OAuthException",
            message,
        ),
        headers,
    )
}

/// What a request passed through the gate carries on.
pub(super) struct Passed {
    pub fault: Option<Fault>,
    pub token: String,
    pub headers: Vec<(&'static str, String)>,
}

/// A Business Use Case object a call is charged to.
pub(super) enum Buc<'a> {
    Instagram(&'a str),
    Page(&'a str),
    None,
}

/// Counts the call, checks the token, enforces the rate limits and serves the
/// pre-response faults. Usage headers ride on every answer (§1.4).
pub(super) async fn gate(
    state: &SimState,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    platform: Platform,
    endpoint: &str,
    buc: Buc<'_>,
) -> Result<Passed, Response> {
    let fault = state.begin(platform, endpoint);
    let now = state.now();
    let quotas = &state.config.quotas;

    // Calls count while throttled too, which prolongs the block (§1.4).
    let (app_pct, buc_header, buc_over) = {
        let mut m = state.lock();
        m.graph_calls.push_back(now);
        prune(&mut m.graph_calls, now - 3600);
        let app_pct =
            (m.graph_calls.len() as u64 * 100 / quotas.graph_calls_per_hour.max(1)).min(100);
        let (buc_header, buc_over) = match buc {
            Buc::None => (None, false),
            Buc::Instagram(id) | Buc::Page(id) => {
                let (kind, limit) = match buc {
                    Buc::Instagram(_) => ("instagram", quotas.instagram_calls_per_day),
                    _ => ("pages", quotas.page_calls_per_day),
                };
                let calls = m.graph_buc.entry(id.to_string()).or_default();
                calls.push_back(now);
                prune(calls, now - 86_400);
                let pct = calls.len() as u64 * 100 / limit.max(1);
                let over = calls.len() as u64 > limit;
                let regain = if over {
                    calls.front().map_or(0, |t| (t + 86_400 - now) / 60)
                } else {
                    0
                };
                let header = json!({ id: [{"type": kind, "call_count": pct.min(100), "total_cputime": pct.min(100) / 2, "total_time": pct.min(100) / 2, "estimated_time_to_regain_access": regain}] });
                (Some((header.to_string(), kind)), over)
            }
        };
        (app_pct, buc_header, buc_over)
    };
    let mut out_headers = vec![(
        "x-app-usage",
        json!({"call_count": app_pct, "total_cputime": app_pct / 2, "total_time": app_pct / 2})
            .to_string(),
    )];
    if let Some((h, _)) = &buc_header {
        out_headers.push(("x-business-use-case-usage", h.clone()));
    }

    let token = params
        .get("access_token")
        .cloned()
        .or_else(|| super::bearer(headers).map(str::to_string))
        .unwrap_or_default();
    let wanted = state.config.credentials.graph_token.as_deref();
    if token.trim().is_empty() || wanted.is_some_and(|w| w != token) {
        state.refuse_auth(platform);
        let body = error(
            StatusCode::BAD_REQUEST,
            190,
            None,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    if fault == Some(Fault::TokenExpired) {
        state.kill_credential("graph", &token);
    }
    // A Page or user token of a consent that ended (§8.9): the app removed (458), the
    // password changed (460), the Page task removed.
    if let Some((subcode, message)) = super::meta_consent::dead(state, &token) {
        state.refuse_auth(platform);
        let body = error(
            StatusCode::BAD_REQUEST,
            190,
            subcode,
            "OAuthException",
            message,
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    if state.credential_dead("graph", &token) {
        state.refuse_auth(platform);
        let message = format!(
            "Error validating access token: Session has expired on {}. The current time is {}.",
            graph_time(now - 60),
            graph_time(now)
        );
        let body = error(
            StatusCode::BAD_REQUEST,
            190,
            Some(463),
            "OAuthException",
            &message,
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    if !state.config.graph_legacy_app
        && let Some(feature) = legacy_feature(endpoint, params)
    {
        let body = error(
            StatusCode::BAD_REQUEST,
            12,
            None,
            "OAuthException",
            &format!("(#12) {feature} are not available to apps created after November 4, 2026"),
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    if app_pct >= 100 && state.lock().graph_calls.len() as u64 > quotas.graph_calls_per_hour {
        state.refuse_quota(platform);
        let body = error(
            StatusCode::BAD_REQUEST,
            4,
            None,
            "OAuthException",
            "(#4) Application request limit reached",
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    if buc_over {
        state.refuse_quota(platform);
        let (code, message) = match buc {
            Buc::Instagram(_) => (
                80002,
                "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
            ),
            _ => (32, "(#32) Page request limit reached"),
        };
        let body = error(
            StatusCode::BAD_REQUEST,
            code,
            None,
            "OAuthException",
            message,
        );
        return Err(error_response(StatusCode::BAD_REQUEST, body, out_headers));
    }
    match fault {
        Some(Fault::ServerError) => {
            let body = error(
                StatusCode::INTERNAL_SERVER_ERROR,
                2,
                None,
                "OAuthException",
                "An unexpected error has occurred. Please retry your request later.",
            );
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                body,
                out_headers,
            ))
        }
        Some(Fault::RateLimited) => {
            out_headers.push(("retry-after", state.retry_after().to_string()));
            let body = error(
                StatusCode::TOO_MANY_REQUESTS,
                613,
                None,
                "OAuthException",
                "(#613) Calls to this api have exceeded the rate limit.",
            );
            Err(error_response(
                StatusCode::TOO_MANY_REQUESTS,
                body,
                out_headers,
            ))
        }
        Some(Fault::UserLimit) => {
            let body = error(
                StatusCode::BAD_REQUEST,
                17,
                None,
                "OAuthException",
                "(#17) User request limit reached",
            );
            Err(error_response(StatusCode::BAD_REQUEST, body, out_headers))
        }
        Some(Fault::Slow) => {
            tokio::time::sleep(std::time::Duration::from_millis(state.config.slow_ms)).await;
            Ok(Passed {
                fault,
                token,
                headers: out_headers,
            })
        }
        _ => Ok(Passed {
            fault,
            token,
            headers: out_headers,
        }),
    }
}

/// The Graph legacy feature a request uses, if any: since 4 Nov 2026 new apps cannot
/// use multi-ID requests, field aliases, date/time formatting, HTTP method override or
/// JSONP, in any version (platform-apis.md, corrections). The error Meta sends for
/// them is not documented; the simulator answers code 12 (deprecated), HTTP 400.
fn legacy_feature(endpoint: &str, params: &HashMap<String, String>) -> Option<&'static str> {
    fn aliased(fields: &[Field]) -> bool {
        fields
            .iter()
            .any(|f| f.modifier("as").is_some() || aliased(&f.children))
    }
    if endpoint == "ids" || params.contains_key("ids") {
        return Some("multi-ID requests");
    }
    if params
        .get("fields")
        .and_then(|f| parse_fields(f))
        .is_some_and(|f| aliased(&f))
    {
        return Some("field aliases");
    }
    if params.contains_key("date_format") {
        return Some("date/time formatting");
    }
    if params.contains_key("method") {
        return Some("HTTP method overrides");
    }
    if params.contains_key("callback") {
        return Some("JSONP callbacks");
    }
    None
}

// ---- cursors ----

fn cursor(offset: usize) -> String {
    format!("QVFI{:08X}", offset as u64 ^ 0x5A5A_5A5A)
}

fn decode_cursor(c: &str) -> Option<usize> {
    let hex = c.strip_prefix("QVFI")?;
    Some((u64::from_str_radix(hex, 16).ok()? ^ 0x5A5A_5A5A) as usize)
}

/// A page of `items` starting at the request's `after`, with the faults that bend paging.
pub(super) struct PageOf<T> {
    pub items: Vec<T>,
    pub after: Option<String>,
    pub more: bool,
}

pub(super) fn paginate<T: Clone>(
    all: &[T],
    after: Option<&str>,
    limit: usize,
    fault: Option<Fault>,
) -> Result<PageOf<T>, String> {
    let offset = match after {
        None => 0,
        Some(c) => decode_cursor(c).ok_or_else(|| format!("Invalid cursor: {c}"))?,
    };
    let offset = offset.min(all.len());
    let end = (offset + limit).min(all.len());
    let mut items = all[offset..end].to_vec();
    if fault == Some(Fault::DuplicateItems) && offset > 0 {
        let from = offset.saturating_sub(3);
        let mut dup = all[from..offset].to_vec();
        dup.append(&mut items);
        items = dup;
    }
    let next = if fault == Some(Fault::RepeatCursor) {
        offset
    } else {
        end
    };
    Ok(PageOf {
        items,
        after: Some(cursor(next)),
        more: end < all.len(),
    })
}

/// `next` repeats the request with the new cursor, token included, as Graph does.
pub(super) fn next_url(
    headers: &HeaderMap,
    version: &str,
    path: &str,
    params: &HashMap<String, String>,
    token: &str,
    after: &str,
) -> String {
    let mut url = url::Url::parse(&format!("{}/graph/{version}/{path}", origin(headers)))
        .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("static URL"));
    {
        let mut q = url.query_pairs_mut();
        let mut keys: Vec<_> = params
            .keys()
            .filter(|k| !matches!(k.as_str(), "after" | "access_token"))
            .collect();
        keys.sort();
        for k in keys {
            q.append_pair(k, &params[k]);
        }
        q.append_pair("access_token", token);
        q.append_pair("after", after);
    }
    url.to_string()
}

pub(super) fn limit_param(params: &HashMap<String, String>, default: usize, max: usize) -> usize {
    params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

// ---- Instagram ----

const HASHTAG_ID_PREFIX: &str = "17843";

/// Hashtag ids are static and global (§1.1): derived from the folded tag.
fn hashtag_id(tag: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tag.to_lowercase().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{HASHTAG_ID_PREFIX}{:012}", h % 1_000_000_000_000)
}

pub(super) fn media_type(p: &SimPost) -> &'static str {
    ["IMAGE", "VIDEO", "CAROUSEL_ALBUM"][p.media_type as usize % 3]
}

const IG_MEDIA_FIELDS: [&str; 9] = [
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "comments_count",
    "like_count",
    "permalink",
    "timestamp",
    "media_url",
];

/// Graph checks the requested fields before reading anything, so a bad field fails even
/// when the page would be empty.
fn check_media_fields(fields: &[Field], owner_allowed: bool) -> Result<(), String> {
    match fields.iter().find(|f| {
        !(IG_MEDIA_FIELDS.contains(&f.name.as_str())
            || owner_allowed && matches!(f.name.as_str(), "username" | "owner"))
    }) {
        Some(f) => Err(format!(
            "(#100) Tried accessing nonexisting field ({}) on node type (IGMedia)",
            f.name
        )),
        None => Ok(()),
    }
}

/// An IG media object with the requested fields. `owner_allowed`: hashtag media cannot
/// name their owner (§1.2). Unknown fields are an error, as on Graph.
pub(super) fn ig_media(
    state: &SimState,
    p: &SimPost,
    fields: &[Field],
    now: i64,
    owner_allowed: bool,
) -> Result<Value, String> {
    let w = &state.world;
    let counts = w.reported(p, now);
    let account = &w.accounts[p.account as usize];
    let mut o = Map::new();
    for f in fields {
        let v = match f.name.as_str() {
            "id" => json!(p.id),
            "caption" => json!(w.caption(p)),
            "media_type" => json!(media_type(p)),
            "media_product_type" => json!(if p.media_type == 1 { "REELS" } else { "FEED" }),
            "comments_count" => json!(counts.comments),
            "like_count" => match counts.likes {
                Some(l) => json!(l),
                None => continue, // omitted when the owner hides likes
            },
            "permalink" => json!(format!(
                "https://www.instagram.com/{}/{}/",
                if p.media_type == 1 { "reel" } else { "p" },
                &p.id[p.id.len() - 8..]
            )),
            "timestamp" => json!(graph_time(p.posted_at)),
            "media_url" => json!(format!("https://scontent.cdninstagram.com/v/{}.jpg", p.id)),
            "username" if owner_allowed => json!(account.handle),
            "owner" if owner_allowed => json!({"id": account.user_id}),
            other => {
                return Err(format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (IGMedia)"
                ));
            }
        };
        o.insert(f.name.clone(), v);
    }
    Ok(Value::Object(o))
}

async fn hashtag_search(
    state: &SimState,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let user = params.get("user_id").cloned().unwrap_or_default();
    let passed = match gate(
        state,
        params,
        headers,
        Platform::Instagram,
        "ig_hashtag_search",
        Buc::Instagram(&user),
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    if user.is_empty() {
        return bad_parameter("(#100) The parameter user_id is required", passed.headers);
    }
    let q = params
        .get("q")
        .map(|q| q.trim_start_matches('#').to_lowercase())
        .unwrap_or_default();
    if q.is_empty() || !q.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return bad_parameter(
            "(#100) The parameter q is required and must be a hashtag",
            passed.headers,
        );
    }
    let now = state.now();
    {
        let mut m = state.lock();
        let searched = m.ig_hashtags.entry(user).or_default();
        searched.retain(|(_, at)| *at > now - 7 * 86_400);
        if !searched.iter().any(|(t, _)| *t == q) {
            if searched.len() >= state.config.quotas.ig_unique_hashtags {
                drop(m);
                state.refuse_quota(Platform::Instagram);
                // The real code is undocumented (§1.1); this shape is the simulator's.
                let body = error(
                    StatusCode::BAD_REQUEST,
                    24,
                    Some(2_207_034),
                    "OAuthException",
                    "(#24) You have reached the maximum of 30 unique hashtags searched within 7 days",
                );
                return error_response(StatusCode::BAD_REQUEST, body, passed.headers);
            }
            // Re-querying a tag already in the window does not restart its timer.
            searched.push((q.clone(), now));
        }
    }
    finish(
        passed.fault,
        StatusCode::OK,
        json!({"data": [{"id": hashtag_id(&q)}]}),
        passed.headers,
    )
}

async fn hashtag_media(
    state: &SimState,
    version: &str,
    hashtag: &str,
    edge: &str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let user = params.get("user_id").cloned().unwrap_or_default();
    let passed = match gate(
        state,
        params,
        headers,
        Platform::Instagram,
        edge,
        Buc::Instagram(&user),
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    if user.is_empty() {
        return bad_parameter("(#100) The parameter user_id is required", passed.headers);
    }
    let fields = match params.get("fields").map(|f| parse_fields(f)) {
        None => vec![Field {
            name: "id".into(),
            modifiers: vec![],
            children: vec![],
        }],
        Some(Some(f)) => f,
        Some(None) => return bad_parameter("(#100) Syntax error in fields", passed.headers),
    };
    if let Err(e) = check_media_fields(&fields, false) {
        return bad_parameter(&e, passed.headers);
    }
    let w = &state.world;
    let now = state.now();
    let mut media: Vec<u32> = Vec::new();
    if hashtag == hashtag_id(&w.config.hashtag) {
        let tagged = w
            .posts_by_time(Platform::Instagram)
            .iter()
            .copied()
            .filter(|&i| {
                let p = &w.posts[i as usize];
                w.visible(p, now) && w.tagged(p)
            });
        if edge == "recent_media" {
            // Last 24 hours only, and not in chronological order (§1.2).
            media = tagged
                .filter(|&i| w.posts[i as usize].posted_at > now - 86_400)
                .collect();
            media.sort_by_key(|&i| w.posts[i as usize].id.bytes().rev().collect::<Vec<u8>>());
        } else {
            media = tagged.collect();
            media
                .sort_by_key(|&i| std::cmp::Reverse(w.raw_counts(&w.posts[i as usize], now).likes));
            media.truncate(200);
        }
    }
    let page = match paginate(
        &media,
        params.get("after").map(String::as_str),
        limit_param(params, 25, 50),
        passed.fault,
    ) {
        Ok(p) => p,
        Err(e) => return bad_parameter(&e, passed.headers),
    };
    let mut data = Vec::new();
    for &i in &page.items {
        match ig_media(state, &w.posts[i as usize], &fields, now, false) {
            Ok(v) => data.push(v),
            Err(e) => return bad_parameter(&e, passed.headers),
        }
    }
    let mut paging = json!({"cursors": {"after": page.after}});
    if page.more {
        paging["next"] = json!(next_url(
            headers,
            version,
            &format!("{hashtag}/{edge}"),
            params,
            &passed.token,
            page.after.as_deref().unwrap_or_default()
        ));
    }
    finish(
        passed.fault,
        StatusCode::OK,
        json!({"data": data, "paging": paging}),
        passed.headers,
    )
}

fn business_discovery(
    state: &SimState,
    spec: &Field,
    now: i64,
    fault: Option<Fault>,
) -> Result<Value, (u32, Option<u32>, String)> {
    let w = &state.world;
    let username = spec.modifier("username").unwrap_or_default();
    let account: &SimAccount = match w.account_by_handle(Platform::Instagram, username) {
        Some((_, a)) if !a.personal => a,
        // Commonly code 110 / subcode 2207013 (§1.3, unverified upstream).
        _ => return Err((110, Some(2_207_013), "(#110) Invalid user id".into())),
    };
    let figures = w.figures(account, now);
    let mut o = Map::new();
    for f in &spec.children {
        let v = match f.name.as_str() {
            "id" => json!(account.user_id),
            "username" => json!(account.handle),
            "name" => json!(account.display_name),
            "followers_count" => json!(figures.followers),
            "follows_count" => json!(17),
            "media_count" => json!(figures.media_count),
            "biography" => json!("UMKM Kota Padang"),
            "media" => {
                check_media_fields(&f.children, true).map_err(|e| (100, None, e))?;
                let posts: Vec<u32> = w.visible_posts(account, now).map(|(i, _)| i).collect();
                let limit = f
                    .modifier("limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(25usize)
                    .clamp(1, 50);
                let page = paginate(&posts, f.modifier("after"), limit, fault)
                    .map_err(|e| (100, None, e))?;
                let mut data = Vec::new();
                for &i in &page.items {
                    data.push(
                        ig_media(state, &w.posts[i as usize], &f.children, now, true)
                            .map_err(|e| (100, None, e))?,
                    );
                }
                // Nested paging has cursors but no usable `next` (§1.3).
                let mut cursors = json!({"before": cursor(0)});
                if page.more {
                    cursors["after"] = json!(page.after);
                }
                json!({"data": data, "paging": {"cursors": cursors}})
            }
            other => {
                return Err((
                    100,
                    None,
                    format!(
                        "(#100) Tried accessing nonexisting field ({other}) on node type (IGUser)"
                    ),
                ));
            }
        };
        o.insert(f.name.clone(), v);
    }
    Ok(Value::Object(o))
}

// ---- Facebook ----

fn fb_post(state: &SimState, p: &SimPost, fields: &[Field], now: i64) -> Result<Value, String> {
    let w = &state.world;
    let counts = w.reported(p, now);
    let page = &w.accounts[p.account as usize];
    // Graph always returns a node's id.
    let mut o = Map::new();
    o.insert("id".into(), json!(p.id));
    for f in fields {
        let v = match f.name.as_str() {
            "id" => json!(p.id),
            "message" => json!(w.caption(p)),
            "created_time" => json!(graph_time(p.posted_at)),
            "updated_time" => json!(graph_time(p.posted_at)),
            "permalink_url" => json!(format!(
                "https://www.facebook.com/{}/posts/{}",
                page.handle,
                p.id.split('_').nth(1).unwrap_or(&p.id)
            )),
            "from" => json!({"id": page.user_id, "name": page.display_name}),
            // Absent when the post was never shared (§2.1).
            "shares" => match counts.shares.filter(|s| *s > 0) {
                Some(s) => json!({"count": s}),
                None => continue,
            },
            "reactions" | "comments" => {
                let total = if f.name == "reactions" {
                    counts.likes
                } else {
                    counts.comments
                };
                let mut v = json!({"data": []});
                if f.modifier("summary").is_some() {
                    v["summary"] = if f.name == "reactions" {
                        json!({"total_count": total, "viewer_reaction": "NONE"})
                    } else {
                        json!({"order": "ranked", "total_count": total, "can_comment": false})
                    };
                }
                v
            }
            other => {
                return Err(format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (Post)"
                ));
            }
        };
        o.insert(f.name.clone(), v);
    }
    Ok(Value::Object(o))
}

fn fb_page(state: &SimState, a: &SimAccount, fields: &[Field], now: i64) -> Result<Value, String> {
    let followers = state.world.figures(a, now).followers;
    let mut o = Map::new();
    o.insert("id".into(), json!(a.user_id));
    for f in fields {
        let v = match f.name.as_str() {
            "id" => json!(a.user_id),
            "name" => json!(a.display_name),
            "username" => json!(a.handle),
            "followers_count" => json!(followers),
            "fan_count" => json!(followers.map(|n| n * 19 / 20)),
            "link" => json!(format!("https://www.facebook.com/{}", a.handle)),
            "category" => json!("Local business"),
            other => {
                return Err(format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (Page)"
                ));
            }
        };
        o.insert(f.name.clone(), v);
    }
    Ok(Value::Object(o))
}

pub(super) fn fields_or(params: &HashMap<String, String>, default: &[&str]) -> Option<Vec<Field>> {
    match params.get("fields") {
        Some(f) => parse_fields(f),
        None => Some(
            default
                .iter()
                .map(|n| Field {
                    name: (*n).into(),
                    modifiers: vec![],
                    children: vec![],
                })
                .collect(),
        ),
    }
}

enum Node<'a> {
    Page(&'a SimAccount),
    Post(&'a SimPost),
}

fn resolve<'a>(state: &'a SimState, id: &str, now: i64) -> Option<Node<'a>> {
    let w = &state.world;
    if let Some((_, a)) = w
        .account_by_user_id(Platform::Facebook, id)
        .or_else(|| w.account_by_handle(Platform::Facebook, id))
    {
        return Some(Node::Page(a));
    }
    match w.post(Platform::Facebook, id) {
        Some((_, p)) if w.visible(p, now) => Some(Node::Post(p)),
        _ => None,
    }
}

async fn page_posts(
    state: &SimState,
    version: &str,
    page: &SimAccount,
    edge: &str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let passed = match gate(
        state,
        params,
        headers,
        Platform::Facebook,
        edge,
        Buc::Page(&page.user_id),
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(fields) = fields_or(params, &["created_time", "message", "id"]) else {
        return bad_parameter("(#100) Syntax error in fields", passed.headers);
    };
    let now = state.now();
    let posts: Vec<u32> = state
        .world
        .visible_posts(page, now)
        .map(|(i, _)| i)
        .collect();
    let page_of = match paginate(
        &posts,
        params.get("after").map(String::as_str),
        limit_param(params, 25, 100),
        passed.fault,
    ) {
        Ok(p) => p,
        Err(e) => return bad_parameter(&e, passed.headers),
    };
    let mut data = Vec::new();
    for &i in &page_of.items {
        match fb_post(state, &state.world.posts[i as usize], &fields, now) {
            Ok(v) => data.push(v),
            Err(e) => return bad_parameter(&e, passed.headers),
        }
    }
    let mut paging = json!({"cursors": {"before": cursor(0), "after": page_of.after}});
    if page_of.more {
        paging["next"] = json!(next_url(
            headers,
            version,
            &format!("{}/{edge}", page.user_id),
            params,
            &passed.token,
            page_of.after.as_deref().unwrap_or_default()
        ));
    }
    finish(
        passed.fault,
        StatusCode::OK,
        json!({"data": data, "paging": paging}),
        passed.headers,
    )
}

// ---- routes ----

/// `GET /?ids=A,B&fields=…`: an object keyed by id, ≤ 50 ids (§1.5). Any id that does
/// not resolve fails the whole call with code 803, as Graph does.
async fn root(
    State(state): State<Shared>,
    Path(_version): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let passed = match gate(
        &state,
        &params,
        &headers,
        Platform::Facebook,
        "ids",
        Buc::None,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ids: Vec<&str> = super::comma_list(&params, "ids");
    if ids.is_empty() {
        return bad_parameter("(#100) Missing ids parameter", passed.headers);
    }
    if ids.len() > 50 {
        return bad_parameter("(#100) Too many IDs. Maximum: 50.", passed.headers);
    }
    let Some(fields) = fields_or(&params, &["id"]) else {
        return bad_parameter("(#100) Syntax error in fields", passed.headers);
    };
    let now = state.now();
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| resolve(&state, id, now).is_none())
        .collect();
    if !missing.is_empty() {
        let body = error(
            StatusCode::NOT_FOUND,
            803,
            None,
            "OAuthException",
            &format!(
                "(#803) Some of the aliases you requested do not exist: {}",
                missing.join(",")
            ),
        );
        return error_response(StatusCode::NOT_FOUND, body, passed.headers);
    }
    let mut out = Map::new();
    for id in ids {
        let v = match resolve(&state, id, now) {
            Some(Node::Page(a)) => fb_page(&state, a, &fields, now),
            Some(Node::Post(p)) => fb_post(&state, p, &fields, now),
            None => continue,
        };
        match v {
            Ok(v) => {
                out.insert(id.to_string(), v);
            }
            Err(e) => return bad_parameter(&e, passed.headers),
        }
    }
    finish(
        passed.fault,
        StatusCode::OK,
        Value::Object(out),
        passed.headers,
    )
}

async fn node(
    State(state): State<Shared>,
    Path((_version, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if id == "ig_hashtag_search" {
        return hashtag_search(&state, &params, &headers).await;
    }
    if id == "me" {
        return super::meta_consent::me(&state, None, &params, &headers).await;
    }
    let now = state.now();
    let requested = params.get("fields").cloned().unwrap_or_default();
    if !requested.contains("business_discovery")
        && let Some(r) =
            super::meta_consent::instagram(&state, &_version, &id, None, &params, &headers).await
    {
        return r;
    }
    if !requested.contains("business_discovery")
        && let Some(found) = resolve(&state, &id, now)
    {
        let (buc, endpoint) = match &found {
            Node::Page(a) => (Buc::Page(&a.user_id), "page"),
            Node::Post(_) => (Buc::None, "post"),
        };
        let passed = match gate(&state, &params, &headers, Platform::Facebook, endpoint, buc).await
        {
            Ok(p) => p,
            Err(r) => return r,
        };
        let Some(fields) = fields_or(&params, &["name", "id"]) else {
            return bad_parameter("(#100) Syntax error in fields", passed.headers);
        };
        let v = match found {
            Node::Page(a) => fb_page(&state, a, &fields, now),
            Node::Post(p) => fb_post(&state, p, &fields, now),
        };
        return match v {
            Ok(v) => finish(passed.fault, StatusCode::OK, v, passed.headers),
            Err(e) => bad_parameter(&e, passed.headers),
        };
    }
    // Otherwise: the campaign's own Instagram account, which Business Discovery acts as.
    let platform = if requested.contains("business_discovery") {
        Platform::Instagram
    } else {
        Platform::Facebook
    };
    let passed = match gate(
        &state,
        &params,
        &headers,
        platform,
        "user",
        Buc::Instagram(&id),
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !id.chars().all(|c| c.is_ascii_digit())
        || id.starts_with(HASHTAG_ID_PREFIX) && id.len() == 17
    {
        return missing_object(&id, passed.headers);
    }
    let Some(fields) = fields_or(&params, &["id"]) else {
        return bad_parameter("(#100) Syntax error in fields", passed.headers);
    };
    let mut o = Map::new();
    o.insert("id".into(), json!(id));
    for f in &fields {
        let v = match f.name.as_str() {
            "id" => json!(id),
            "username" => json!("umkmkotapadang"),
            "business_discovery" => match business_discovery(&state, f, now, passed.fault) {
                Ok(v) => v,
                Err((code, subcode, message)) => {
                    let body = error(
                        StatusCode::BAD_REQUEST,
                        code,
                        subcode,
                        "OAuthException",
                        &message,
                    );
                    return error_response(StatusCode::BAD_REQUEST, body, passed.headers);
                }
            },
            other => {
                return bad_parameter(
                    &format!(
                        "(#100) Tried accessing nonexisting field ({other}) on node type (IGUser)"
                    ),
                    passed.headers,
                );
            }
        };
        o.insert(f.name.clone(), v);
    }
    finish(
        passed.fault,
        StatusCode::OK,
        Value::Object(o),
        passed.headers,
    )
}

async fn edge(
    State(state): State<Shared>,
    Path((version, id, edge)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if (id.as_str(), edge.as_str()) == ("oauth", "access_token") {
        return super::meta_consent::access_token(&state, &params);
    }
    if (id.as_str(), edge.as_str()) == ("me", "accounts") {
        return super::meta_consent::me(&state, Some("accounts"), &params, &headers).await;
    }
    if matches!(edge.as_str(), "media" | "insights")
        && let Some(r) =
            super::meta_consent::instagram(&state, &version, &id, Some(&edge), &params, &headers)
                .await
    {
        return r;
    }
    match edge.as_str() {
        "recent_media" | "top_media" if id.starts_with(HASHTAG_ID_PREFIX) => {
            hashtag_media(&state, &version, &id, &edge, &params, &headers).await
        }
        "posts" | "published_posts" | "feed" => {
            let now = state.now();
            match resolve(&state, &id, now) {
                Some(Node::Page(page)) => {
                    page_posts(&state, &version, page, &edge, &params, &headers).await
                }
                _ => match gate(
                    &state,
                    &params,
                    &headers,
                    Platform::Facebook,
                    "posts",
                    Buc::None,
                )
                .await
                {
                    Ok(p) => missing_object(&id, p.headers),
                    Err(r) => r,
                },
            }
        }
        "recently_searched_hashtags" => {
            let passed = match gate(
                &state,
                &params,
                &headers,
                Platform::Instagram,
                "recently_searched_hashtags",
                Buc::Instagram(&id),
            )
            .await
            {
                Ok(p) => p,
                Err(r) => return r,
            };
            let now = state.now();
            let tags: Vec<Value> = state
                .lock()
                .ig_hashtags
                .get(&id)
                .map(|v| {
                    v.iter()
                        .filter(|(_, at)| *at > now - 7 * 86_400)
                        .map(|(t, _)| json!({"id": hashtag_id(t)}))
                        .collect()
                })
                .unwrap_or_default();
            finish(
                passed.fault,
                StatusCode::OK,
                json!({"data": tags}),
                passed.headers,
            )
        }
        _ => match gate(
            &state,
            &params,
            &headers,
            Platform::Facebook,
            "unknown",
            Buc::None,
        )
        .await
        {
            Ok(p) => bad_parameter(
                &format!("(#100) Unknown path components: /{edge}"),
                p.headers,
            ),
            Err(r) => r,
        },
    }
}

/// `DELETE /{user}/permissions`: the whole login ends (§8.6).
async fn delete_edge(
    State(state): State<Shared>,
    Path((_version, id, edge)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if edge == "permissions" {
        return super::meta_consent::delete_permissions(&state, &id, &params);
    }
    bad_parameter(&format!("(#100) Unknown path components: /{edge}"), vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_syntax_with_modifiers_and_nesting() {
        let f = parse_fields("business_discovery.username(dendeng.unilis){id,followers_count,media.after(QVFI).limit(50){id,like_count}}").unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].modifier("username"), Some("dendeng.unilis"));
        let media = &f[0].children[2];
        assert_eq!(media.name, "media");
        assert_eq!(media.modifier("after"), Some("QVFI"));
        assert_eq!(media.modifier("limit"), Some("50"));
        assert_eq!(media.children.len(), 2);
        let r = parse_fields(
            "id,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)",
        )
        .unwrap();
        assert_eq!(
            r[1].modifiers,
            vec![
                ("summary".into(), "total_count".into()),
                ("limit".into(), "0".into())
            ]
        );
        assert!(parse_fields("id,{oops}").is_none());
        assert!(parse_fields("media{id").is_none());
    }

    #[test]
    fn cursors_round_trip() {
        for n in [0, 1, 49, 50, 12_345] {
            assert_eq!(decode_cursor(&cursor(n)), Some(n));
        }
        assert_eq!(decode_cursor("garbage"), None);
    }
}
