//! TikTok Login Kit and the Display API as platform-apis-consent.md §10.1 says a
//! simulator must emulate them: the authorize page (validated parameter by parameter,
//! an HTML error page that never redirects), a password-less login, the consent page
//! with one box per scope and Authorize / Cancel; codes that work once, expire and are
//! bound to their PKCE challenge; exchange, refresh with rotation, revoke; the Display
//! routes with scope checks and a 600-a-minute limit per endpoint; and the
//! `authorization.removed` webhook, signed, when a user disconnects in TikTok.

use std::collections::{HashMap, VecDeque};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Shared, SimState, finish};
use crate::platform::Platform;
use crate::report::html::esc;

/// Scopes the simulated app is approved for.
const APPROVED: [&str; 4] = [
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
];
const COOKIE: &str = "sim_tiktok_user";

/// How the simulated TikTok app is set up (§10 "Registered apps", "Clock").
#[derive(Debug, Clone)]
pub struct TiktokApp {
    /// Exact redirect URIs; empty: any `http(s)` URL (rehearsals).
    pub redirect_uris: Vec<String>,
    /// Access and refresh lifetimes: the 2026 docs' 2 h and 180 days by default.
    pub access_ttl: i64,
    pub refresh_ttl: i64,
    /// A refresh returns a new refresh token and kills the old one (2026 docs).
    pub rotate: bool,
    pub code_ttl: i64,
    /// Where `authorization.removed` is posted.
    pub webhook_url: Option<String>,
    /// Refuse an authorize request without `code_challenge` (observed since mid-2025).
    pub require_pkce: bool,
    /// Requests a minute per Display endpoint (§7.5).
    pub per_minute: usize,
    /// `video/list` pages hold fewer videos than `max_count` while `has_more` is true
    /// (documented for v1, §7.2).
    pub short_pages: bool,
}

impl Default for TiktokApp {
    fn default() -> Self {
        TiktokApp {
            redirect_uris: Vec::new(),
            access_ttl: 7_200,
            refresh_ttl: 15_552_000,
            rotate: true,
            code_ttl: 300,
            webhook_url: None,
            require_pkce: true,
            per_minute: 600,
            short_pages: false,
        }
    }
}

struct Code {
    account: u32,
    redirect_uri: String,
    scopes: String,
    challenge: String,
    expires_at: i64,
}

struct Grant {
    account: u32,
    scopes: String,
    /// The end of the consent: refreshes do not extend it (§6.3).
    refresh_deadline: i64,
    alive: bool,
}

/// Consent-side state of the simulated TikTok.
#[derive(Default)]
pub struct ConsentState {
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    /// access token → (grant, expires at)
    access: HashMap<String, (usize, i64)>,
    /// refresh token → grant (only the live one per grant)
    refresh: HashMap<String, usize>,
    counter: u64,
    calls: HashMap<&'static str, VecDeque<i64>>,
    /// Revocations and removals: (open_id, reason), for the webhook.
    pub removed: Vec<(String, u8)>,
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/tiktok-www/v2/auth/authorize/", get(authorize))
        .route("/tiktok-www/login", post(login))
        .route("/tiktok-www/v2/auth/authorize/decide", post(decide))
        .route("/tiktok/v2/oauth/revoke/", post(revoke))
        .route("/tiktok/v2/user/info/", get(user_info))
        .route("/tiktok/v2/video/list/", post(video_list))
        .route("/tiktok/v2/video/query/", post(video_query))
        .route("/__sim/tiktok/remove", post(remove_in_tiktok))
}

/// The open_id of a simulated TikTok account: app-specific and opaque (§6.8).
pub fn open_id(state: &SimState, account: u32) -> String {
    format!(
        "-000{}OpenId{:08}",
        state.world.accounts[account as usize].user_id, account
    )
}

fn page(title: &str, body: &str) -> Response {
    super::site_page("TikTok", title, body)
}

fn session(state: &SimState, headers: &HeaderMap) -> Option<u32> {
    let handle = super::cookie(headers, COOKIE)?;
    state
        .world
        .account_by_handle(Platform::Tiktok, handle)
        .map(|(i, _)| i)
}

/// Checks an authorize request in TikTok's order; the name of the first bad parameter.
fn check_request(state: &SimState, q: &HashMap<String, String>) -> Result<(), &'static str> {
    let key = q.get("client_key").map(String::as_str).unwrap_or("");
    let known = state.config.credentials.tiktok_client_key.as_deref();
    if key.is_empty() || known.is_some_and(|k| k != key) {
        return Err("client_key");
    }
    let uri = q.get("redirect_uri").map(String::as_str).unwrap_or("");
    let app = &state.config.tiktok_app;
    let registered = if app.redirect_uris.is_empty() {
        uri.starts_with("http://") || uri.starts_with("https://")
    } else {
        app.redirect_uris.iter().any(|r| r == uri)
    };
    if !registered {
        return Err("redirect_uri");
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err("response_type");
    }
    let scopes = q.get("scope").map(String::as_str).unwrap_or("");
    if scopes.is_empty() || scopes.split(',').any(|s| !APPROVED.contains(&s.trim())) {
        return Err("scope");
    }
    if app.require_pkce
        && (q.get("code_challenge").is_none_or(|c| c.is_empty())
            || q.get("code_challenge_method").map(String::as_str) != Some("S256"))
    {
        return Err("code_challenge");
    }
    Ok(())
}

/// `GET /v2/auth/authorize/`: the error page, the login page or the consent page.
async fn authorize(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    state.begin(Platform::Tiktok, "auth/authorize");
    if let Err(param) = check_request(&state, &q) {
        return page(
            "Something went wrong",
            &format!(
                "<p id=\"error\">We couldn't log in with TikTok. This may be due to specific app \
                 settings. If you're a developer, correct the following and try again: \
                 <code>{param}</code></p>"
            ),
        );
    }
    let Some(account) = session(&state, &headers) else {
        return page(
            "Log in to TikTok",
            &format!(
                "<form method=\"post\" action=\"/tiktok-www/login\">{}<label>Username \
                 <input id=\"username\" name=\"username\" autocomplete=\"off\"></label>\
                 <button id=\"login\" type=\"submit\">Log in</button></form>",
                super::hidden_fields(&q)
            ),
        );
    };
    let user = &state.world.accounts[account as usize];
    let boxes: String = q["scope"]
        .split(',')
        .map(|s| {
            let fixed = s == "user.info.basic";
            format!(
                "<label><input type=\"checkbox\" name=\"grant\" value=\"{s}\" id=\"scope-{s}\" checked{}> {s}</label>",
                if fixed { " disabled" } else { "" },
                s = esc(s)
            )
        })
        .collect();
    page(
        "jempol (simulated app) would like to access your TikTok account",
        &format!(
            "<p>Logged in as <b id=\"who\">@{}</b></p><form method=\"post\" action=\"/tiktok-www/v2/auth/authorize/decide\">{}{boxes}\
             <button id=\"authorize\" name=\"decision\" value=\"authorize\">Authorize</button>\
             <button id=\"cancel\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
            esc(&user.handle),
            super::hidden_fields(&q)
        ),
    )
}

/// The password-less login: any simulated TikTok account by its username.
async fn login(State(state): State<Shared>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let handle = form
        .get("username")
        .map(|h| h.trim().trim_start_matches('@').to_lowercase());
    let Some((_, account)) = handle
        .as_deref()
        .and_then(|h| state.world.account_by_handle(Platform::Tiktok, h))
    else {
        return page("Log in to TikTok", "<p id=\"error\">No such account.</p>");
    };
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form.iter().filter(|(k, _)| *k != "username") {
        back.append_pair(k, v);
    }
    let mut response = (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("/tiktok-www/v2/auth/authorize/?{}", back.finish()),
        )],
    )
        .into_response();
    if let Ok(v) = format!("{COOKIE}={}; Path=/; HttpOnly", account.handle).parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// Authorize or Cancel on the consent page.
async fn decide(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let q: HashMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| k != "grant" && k != "decision")
        .cloned()
        .collect();
    if let Err(param) = check_request(&state, &q) {
        return page(
            "Something went wrong",
            &format!("<p id=\"error\"><code>{param}</code></p>"),
        );
    }
    let Some(account) = session(&state, &headers) else {
        return page(
            "Log in to TikTok",
            "<p id=\"error\">Your session ended.</p>",
        );
    };
    let uri = q["redirect_uri"].clone();
    let state_param = q.get("state").cloned().unwrap_or_default();
    let mut target = url::Url::parse(&uri).unwrap_or_else(|_| unreachable!("checked above"));
    let decision = pairs
        .iter()
        .find(|(k, _)| k == "decision")
        .map(|(_, v)| v.as_str());
    if decision != Some("authorize") {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The user denied the authorization request.",
            )
            .append_pair("state", &state_param);
        return redirect(target.to_string());
    }
    // user.info.basic is always granted; the other boxes as the user left them.
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "grant")
        .map(|(_, v)| v.as_str())
        .collect();
    let granted: Vec<&str> = q["scope"]
        .split(',')
        .filter(|s| *s == "user.info.basic" || ticked.contains(s))
        .collect();
    let granted = granted.join(",");
    let now = state.now();
    let code = {
        let mut c = state.consent.lock().unwrap_or_else(|e| e.into_inner());
        c.counter += 1;
        // Codes carry `*` and `!` as TikTok's do (§6.2).
        let code = format!("sim{:06}*Code!{:08X}", c.counter, now as u32);
        c.codes.insert(
            code.clone(),
            Code {
                account,
                redirect_uri: uri,
                scopes: granted.clone(),
                challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                expires_at: now + state.config.tiktok_app.code_ttl,
            },
        );
        code
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("scopes", &granted)
        .append_pair("state", &state_param);
    redirect(target.to_string())
}

fn oauth_error(state: &SimState, error: &str, description: &str) -> Response {
    finish(
        None,
        StatusCode::BAD_REQUEST,
        json!({"error": error, "error_description": description, "log_id": super::tiktok::log_id(state)}),
        vec![],
    )
}

fn issue(state: &SimState, c: &mut ConsentState, grant: usize) -> Value {
    let now = state.now();
    c.counter += 1;
    let access = format!(
        "act.sim{:010}{:08X}",
        c.counter, state.config.world.seed as u32
    );
    let refresh = format!(
        "rft.sim{:010}{:08X}",
        c.counter,
        (state.config.world.seed as u32) ^ 0x5A5A
    );
    let app = &state.config.tiktok_app;
    c.access
        .insert(access.clone(), (grant, now + app.access_ttl));
    c.refresh.retain(|_, g| *g != grant);
    c.refresh.insert(refresh.clone(), grant);
    let g = &c.grants[grant];
    json!({
        "access_token": access,
        "expires_in": app.access_ttl,
        "open_id": open_id(state, g.account),
        "refresh_expires_in": (g.refresh_deadline - now).max(0),
        "refresh_token": refresh,
        "scope": g.scopes,
        "token_type": "Bearer",
    })
}

/// `authorization_code` and `refresh_token` grants of `POST /v2/oauth/token/` (§6.3, §6.4).
pub(super) fn user_grant(state: &SimState, form: &HashMap<String, String>) -> Response {
    let creds = &state.config.credentials;
    let key_ok = form.get("client_key").is_some_and(|k| {
        !k.is_empty() && creds.tiktok_client_key.as_deref().is_none_or(|c| c == k)
    });
    let secret_ok = form.get("client_secret").is_some_and(|s| {
        !s.is_empty() && creds.tiktok_client_secret.as_deref().is_none_or(|c| c == s)
    });
    if !key_ok || !secret_ok {
        state.refuse_auth(Platform::Tiktok);
        return oauth_error(
            state,
            "invalid_client",
            "Client key or secret is invalid or missing.",
        );
    }
    let now = state.now();
    let mut c = state.consent.lock().unwrap_or_else(|e| e.into_inner());
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(code) = form.get("code").and_then(|k| c.codes.remove(k)) else {
                return oauth_error(
                    state,
                    "invalid_grant",
                    "Authorization code is expired or invalid.",
                );
            };
            if code.expires_at <= now {
                return oauth_error(state, "invalid_grant", "Authorization code is expired.");
            }
            if form.get("redirect_uri") != Some(&code.redirect_uri) {
                return oauth_error(
                    state,
                    "invalid_request",
                    "Redirect_uri is not matched with the uri when requesting code.",
                );
            }
            let verifier = form.get("code_verifier").map(String::as_str).unwrap_or("");
            if !code.challenge.is_empty()
                && crate::consent::signing::tiktok_challenge(verifier) != code.challenge
            {
                return oauth_error(state, "invalid_grant", "Code verifier is invalid.");
            }
            c.grants.push(Grant {
                account: code.account,
                scopes: code.scopes,
                refresh_deadline: now + state.config.tiktok_app.refresh_ttl,
                alive: true,
            });
            let grant = c.grants.len() - 1;
            let body = issue(state, &mut c, grant);
            finish(None, StatusCode::OK, body, vec![])
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").cloned().unwrap_or_default();
            let Some(&grant) = c.refresh.get(&token) else {
                return oauth_error(
                    state,
                    "invalid_grant",
                    "Refresh token is invalid or expired.",
                );
            };
            let g = &c.grants[grant];
            if !g.alive || g.refresh_deadline <= now {
                return oauth_error(
                    state,
                    "invalid_grant",
                    "Refresh token is invalid or expired.",
                );
            }
            if state.config.tiktok_app.rotate {
                let body = issue(state, &mut c, grant);
                finish(None, StatusCode::OK, body, vec![])
            } else {
                let mut body = issue(state, &mut c, grant);
                // Stable mode: the same refresh token comes back.
                c.refresh.retain(|_, g| *g != grant);
                c.refresh.insert(token.clone(), grant);
                body["refresh_token"] = json!(token);
                finish(None, StatusCode::OK, body, vec![])
            }
        }
        _ => oauth_error(
            state,
            "unsupported_grant_type",
            "The grant type is not supported.",
        ),
    }
}

fn kill(c: &mut ConsentState, grant: usize) {
    c.grants[grant].alive = false;
    c.access.retain(|_, (g, _)| *g != grant);
    c.refresh.retain(|_, g| *g != grant);
}

/// `POST /v2/oauth/revoke/`: the access token's grant ends; `{}` (§6.5).
async fn revoke(State(state): State<Shared>, body: Bytes) -> Response {
    state.begin(Platform::Tiktok, "oauth/revoke");
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    let mut c = state.consent.lock().unwrap_or_else(|e| e.into_inner());
    let Some(&(grant, _)) = c.access.get(&token) else {
        drop(c);
        return oauth_error(
            &state,
            "invalid_request",
            "Access token is invalid or expired.",
        );
    };
    kill(&mut c, grant);
    let account = c.grants[grant].account;
    c.removed.push((open_id(&state, account), 5));
    finish(None, StatusCode::OK, json!({}), vec![])
}

/// A Display call let through: after the 600-a-minute limiter (§7.5), the token (401
/// `access_token_invalid`), the endpoint's scope (401 `scope_not_authorized`) and each
/// requested field against the granted scopes (400 `invalid_params`,
/// `scope_permission_missed`). The account it reads and the fields asked for.
fn gate(
    state: &SimState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    endpoint: &'static str,
    needs: &str,
    allowed: &[(&str, &str)],
) -> Result<(u32, Vec<String>), Response> {
    use super::tiktok::fail;
    state.begin(Platform::Tiktok, endpoint);
    let now = state.now();
    let mut c = state.consent.lock().unwrap_or_else(|e| e.into_inner());
    let calls = c.calls.entry(endpoint).or_default();
    while calls.front().is_some_and(|t| *t <= now - 60) {
        calls.pop_front();
    }
    if calls.len() >= state.config.tiktok_app.per_minute {
        drop(c);
        state.refuse_quota(Platform::Tiktok);
        return Err(fail(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Rate limit exceeded.",
        ));
    }
    calls.push_back(now);
    let bearer = super::bearer(headers).unwrap_or_default();
    let Some(&(grant, _)) = c.access.get(bearer).filter(|(_, exp)| *exp > now) else {
        drop(c);
        state.refuse_auth(Platform::Tiktok);
        return Err(fail(
            state,
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ));
    };
    let g = &c.grants[grant];
    let (account, scopes) = (g.account, g.scopes.clone());
    drop(c);
    let granted = |scope: &str| scopes.split(',').any(|s| s == scope);
    if !needs.is_empty() && !granted(needs) {
        return Err(fail(
            state,
            StatusCode::UNAUTHORIZED,
            "scope_not_authorized",
            "The user did not authorize the scope required for completing this request.",
        ));
    }
    let fields = super::comma_list(q, "fields");
    if fields.is_empty() {
        return Err(fail(
            state,
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "fields is required",
        ));
    }
    let mut out = Vec::new();
    for f in fields {
        let Some((_, scope)) = allowed.iter().find(|(name, _)| *name == f) else {
            return Err(fail(
                state,
                StatusCode::BAD_REQUEST,
                "invalid_params",
                &format!("Invalid field: {f}"),
            ));
        };
        if !scope.is_empty() && !granted(scope) {
            return Err(fail(
                state,
                StatusCode::BAD_REQUEST,
                "scope_permission_missed",
                &format!("The field {f} needs the scope {scope}"),
            ));
        }
        out.push(f.to_string());
    }
    Ok((account, out))
}

const USER_FIELDS: [(&str, &str); 9] = [
    ("open_id", "user.info.basic"),
    ("union_id", "user.info.basic"),
    ("display_name", "user.info.basic"),
    ("avatar_url", "user.info.basic"),
    ("username", "user.info.profile"),
    ("follower_count", "user.info.stats"),
    ("following_count", "user.info.stats"),
    ("likes_count", "user.info.stats"),
    ("video_count", "user.info.stats"),
];

const VIDEO_FIELDS: [(&str, &str); 11] = [
    ("id", ""),
    ("create_time", ""),
    ("title", ""),
    ("video_description", ""),
    ("share_url", ""),
    ("duration", ""),
    ("cover_image_url", ""),
    ("like_count", ""),
    ("comment_count", ""),
    ("share_count", ""),
    ("view_count", ""),
];

fn ok(state: &SimState, data: Value) -> Response {
    finish(
        None,
        StatusCode::OK,
        super::tiktok::envelope(state, data),
        vec![],
    )
}

async fn user_info(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (account, fields) = match gate(&state, &headers, &q, "user/info", "", &USER_FIELDS) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let a = &state.world.accounts[account as usize];
    let figures = state.world.figures(a, state.now());
    let mut user = serde_json::Map::new();
    for f in fields {
        let v = match f.as_str() {
            "open_id" => json!(open_id(&state, account)),
            "union_id" => json!(format!("sim-union-{}", a.user_id)),
            "display_name" => json!(a.display_name),
            "avatar_url" => json!("https://p16-sign-va.tiktokcdn.com/sim~c5_168x168.jpeg"),
            "username" => json!(a.handle),
            "follower_count" => json!(figures.followers),
            "following_count" => json!(figures.following),
            "likes_count" => json!(figures.total_likes),
            "video_count" => json!(figures.media_count),
            _ => continue,
        };
        user.insert(f, v);
    }
    ok(&state, json!({"user": user}))
}

fn video_json(state: &SimState, post: &super::world::SimPost, fields: &[String]) -> Value {
    let now = state.now();
    let counts = state.world.reported(post, now);
    let a = &state.world.accounts[post.account as usize];
    let caption = state.world.caption(post);
    let mut v = serde_json::Map::new();
    for f in fields {
        let value = match f.as_str() {
            "id" => json!(post.id),
            "create_time" => json!(post.posted_at),
            // Each at most 150 characters (§7.4).
            "title" => json!(caption.chars().take(150).collect::<String>()),
            "video_description" => json!(caption.chars().take(150).collect::<String>()),
            "share_url" => json!(format!(
                "https://www.tiktok.com/@{}/video/{}?utm_campaign=tt4d_open_api&utm_source=simjempol",
                a.handle, post.id
            )),
            "duration" => json!(15 + post.media_type as u32 * 7),
            "cover_image_url" => json!("https://p16-sign-va.tiktokcdn.com/sim-cover.jpeg"),
            "like_count" => json!(counts.likes),
            "comment_count" => json!(counts.comments),
            "share_count" => json!(counts.shares),
            "view_count" => json!(counts.views),
            _ => continue,
        };
        v.insert(f.clone(), value);
    }
    Value::Object(v)
}

async fn video_list(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let (account, fields) = match gate(
        &state,
        &headers,
        &q,
        "video/list",
        "video.list",
        &VIDEO_FIELDS,
    ) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let max = body["max_count"].as_u64().unwrap_or(10) as usize;
    if max == 0 || max > 20 {
        return super::tiktok::fail(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "max_count must be between 1 and 20",
        );
    }
    let before_ms = body["cursor"].as_i64().unwrap_or(i64::MAX);
    let now = state.now();
    let a = &state.world.accounts[account as usize];
    let visible: Vec<&super::world::SimPost> = state
        .world
        .visible_posts(a, now)
        .map(|(_, p)| p)
        .filter(|p| p.posted_at.saturating_mul(1000) < before_ms)
        .collect();
    // Short pages: fewer than asked while more remain (trust-and-safety filtering, §7.2).
    let take = if state.config.tiktok_app.short_pages && visible.len() > 1 {
        (visible.len().min(max) / 2).max(1)
    } else {
        max
    };
    let page: Vec<&super::world::SimPost> = visible.iter().take(take).copied().collect();
    let has_more = visible.len() > page.len();
    let cursor = page
        .last()
        .map_or(before_ms.min(now * 1000), |p| p.posted_at * 1000);
    let videos: Vec<Value> = page
        .iter()
        .map(|p| video_json(&state, p, &fields))
        .collect();
    ok(
        &state,
        json!({"videos": videos, "cursor": cursor, "has_more": has_more}),
    )
}

async fn video_query(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let (account, fields) = match gate(
        &state,
        &headers,
        &q,
        "video/query",
        "video.list",
        &VIDEO_FIELDS,
    ) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(ids) = body["filters"]["video_ids"].as_array() else {
        return super::tiktok::fail(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "filters.video_ids is required",
        );
    };
    if ids.len() > 20 {
        return super::tiktok::fail(
            &state,
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "at most 20 video_ids",
        );
    }
    let now = state.now();
    // Foreign and deleted ids are left out without a word (§7.3).
    let videos: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| state.world.post(Platform::Tiktok, id))
        .filter(|(_, p)| p.account == account && state.world.visible(p, now))
        .map(|(_, p)| video_json(&state, p, &fields))
        .collect();
    ok(
        &state,
        json!({"videos": videos, "cursor": 0, "has_more": false}),
    )
}

/// `POST /__sim/tiktok/remove?username=…`: the user disconnects the app in TikTok. Its
/// tokens die and `authorization.removed` (reason 1) is posted, signed, to the app's
/// webhook; answers the webhook's HTTP status (0 when none was configured or reached).
async fn remove_in_tiktok(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((account, _)) = q
        .get("username")
        .and_then(|h| state.world.account_by_handle(Platform::Tiktok, h))
    else {
        return (StatusCode::NOT_FOUND, "no such TikTok user").into_response();
    };
    {
        let mut c = state.consent.lock().unwrap_or_else(|e| e.into_inner());
        let grants: Vec<usize> = (0..c.grants.len())
            .filter(|&g| c.grants[g].account == account && c.grants[g].alive)
            .collect();
        for g in grants {
            kill(&mut c, g);
        }
    }
    let status = send_webhook(&state, &open_id(&state, account), 1).await;
    Json(json!({"webhook_status": status})).into_response()
}

use axum::Json;

/// Posts `authorization.removed` as TikTok does (§6.7): the compact body, `content` a
/// JSON string, `TikTok-Signature: t=…,s=…` keyed with the client secret.
pub async fn send_webhook(state: &SimState, open_id: &str, reason: u8) -> u16 {
    let Some(url) = state.config.tiktok_app.webhook_url.clone() else {
        return 0;
    };
    let now = state.now();
    let key = state
        .config
        .credentials
        .tiktok_client_key
        .clone()
        .unwrap_or_else(|| "sbawjempolsim01".into());
    let secret = state
        .config
        .credentials
        .tiktok_client_secret
        .clone()
        .unwrap_or_else(|| "sim-client-secret".into());
    let body = json!({
        "client_key": key,
        "event": "authorization.removed",
        "create_time": now,
        "user_openid": open_id,
        "content": json!({"reason": reason}).to_string(),
    })
    .to_string();
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes()),
        format!("{now}.{body}").as_bytes(),
    );
    let signature = format!("t={now},s={}", crate::consent::vault::hex(mac.as_ref()));
    let client = reqwest::Client::new();
    match client
        .post(&url)
        .header("TikTok-Signature", signature)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}
