//! Facebook Login for Business and the consented Graph reads, as platform-apis-consent.md
//! §10.2–10.3 says a simulator must emulate them: the login dialog (validated, an error
//! page that never redirects), a password-less login, the asset picker (the user's Page
//! and its linked Instagram account, all-or-nothing) with Continue / Cancel; single-use
//! codes; short- and long-lived user tokens; `/me`, `/me/accounts` with Page tokens;
//! `DELETE /{user}/permissions`; the Instagram account, its media and their insights
//! (metrics by media product type, one refused metric failing the call); and the signed
//! deauthorize and data-deletion callbacks when a user removes the app.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::graph::{self, Buc};
use super::{Shared, SimState, finish};
use crate::platform::Platform;
use crate::report::html::esc;

const COOKIE: &str = "sim_fb_user";

/// How the simulated Meta app is set up.
#[derive(Debug, Clone)]
pub struct MetaApp {
    pub app_id: String,
    pub app_secret: String,
    pub config_id: String,
    /// Exact redirect URIs; empty: any `http(s)` URL.
    pub redirect_uris: Vec<String>,
    pub deauthorize_url: Option<String>,
    pub deletion_url: Option<String>,
    pub code_ttl: i64,
}

impl Default for MetaApp {
    fn default() -> Self {
        MetaApp {
            app_id: "1234567890".into(),
            app_secret: "sim-app-secret".into(),
            config_id: "990011223344".into(),
            redirect_uris: Vec::new(),
            deauthorize_url: None,
            deletion_url: None,
            code_ttl: 600,
        }
    }
}

struct Code {
    business: u32,
    redirect_uri: String,
    expires_at: i64,
}

/// Why a business's tokens stopped working (§8.9, §10.2 admin actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The user removed the app (or jempol ended the login): 190/458.
    Removed,
    /// The user changed the password: every token fails with 190/460.
    PasswordChanged,
    /// The person lost their task on the Page: its token fails with 190.
    TaskRemoved,
}

impl Ended {
    fn answer(self) -> (Option<u32>, &'static str) {
        match self {
            Ended::Removed => (
                Some(458),
                "Error validating access token: The user has not authorized application.",
            ),
            Ended::PasswordChanged => (
                Some(460),
                "Error validating access token: The session has been invalidated because the user changed their password.",
            ),
            Ended::TaskRemoved => (
                None,
                "Error validating access token: The user is not an admin of the Page.",
            ),
        }
    }
}

/// Consent-side state of the simulated Meta.
#[derive(Default)]
pub struct MetaState {
    codes: HashMap<String, Code>,
    used: HashSet<String>,
    /// user token → (business, expires at)
    user_tokens: HashMap<String, (u32, i64)>,
    /// Page token → business (their Page and linked Instagram account)
    page_tokens: HashMap<String, u32>,
    /// Businesses whose tokens Meta no longer honours, and why.
    ended: HashMap<u32, Ended>,
    counter: u64,
}

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/facebook-www/{version}/dialog/oauth", get(dialog))
        .route("/facebook-www/login", post(login))
        .route("/facebook-www/dialog/decide", post(decide))
        .route("/__sim/meta/remove", post(remove_app))
        .route("/__sim/meta/delete", post(request_deletion))
        .route("/__sim/meta/password", post(change_password))
        .route("/__sim/meta/remove-task", post(remove_task))
}

/// The Facebook user who owns a simulated business: app-scoped id and name.
pub fn user_id(business: u32) -> String {
    format!("730000{:010}", business)
}

fn business_of_user(id: &str) -> Option<u32> {
    id.strip_prefix("730000")?.parse().ok()
}

/// A business's Facebook Page and Instagram account, as world account indices.
fn assets(state: &SimState, business: u32) -> (Option<u32>, Option<u32>) {
    let b = &state.world.businesses[business as usize];
    let find = |p: Platform| {
        b.accounts
            .iter()
            .copied()
            .find(|&a| state.world.accounts[a as usize].platform == p)
    };
    let page = find(Platform::Facebook);
    // An Instagram account is linked only to a Page of the same business.
    (page, page.and(find(Platform::Instagram)))
}

fn page(title: &str, body: &str) -> Response {
    super::site_page("Facebook", title, body)
}

fn check(state: &SimState, q: &HashMap<String, String>) -> Result<(), &'static str> {
    let app = &state.config.meta_app;
    if q.get("client_id") != Some(&app.app_id) {
        return Err("client_id");
    }
    let uri = q.get("redirect_uri").map(String::as_str).unwrap_or("");
    let ok = if app.redirect_uris.is_empty() {
        uri.starts_with("http://") || uri.starts_with("https://")
    } else {
        app.redirect_uris.iter().any(|r| r == uri)
    };
    if !ok {
        return Err("redirect_uri");
    }
    if q.get("config_id") != Some(&app.config_id) {
        return Err("config_id");
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err("response_type");
    }
    Ok(())
}

fn session(state: &SimState, headers: &HeaderMap) -> Option<u32> {
    let v = super::cookie(headers, COOKIE)?;
    let b: u32 = v.parse().ok()?;
    ((b as usize) < state.world.businesses.len()).then_some(b)
}

/// `GET /{v}/dialog/oauth`: an error page, the login page or the asset picker.
async fn dialog(
    State(state): State<Shared>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    state.begin(Platform::Facebook, "dialog/oauth");
    if let Err(param) = check(&state, &q) {
        return page(
            "Error",
            &format!(
                "<p id=\"error\">Invalid request: the parameter <code>{param}</code> is not valid for this app.</p>"
            ),
        );
    }
    let Some(business) = session(&state, &headers) else {
        return page(
            "Log in to Facebook",
            &format!(
                "<form method=\"post\" action=\"/facebook-www/login\">{}<label>Page username \
                 <input id=\"fb-user\" name=\"page\" autocomplete=\"off\"></label>\
                 <button id=\"fb-login\" type=\"submit\">Log in</button></form>",
                super::hidden_fields(&q)
            ),
        );
    };
    let (page_acct, ig) = assets(&state, business);
    let w = &state.world;
    let mut list = String::new();
    if let Some(p) = page_acct {
        list.push_str(&format!(
            "<li id=\"asset-page\">Page: {}</li>",
            esc(&w.accounts[p as usize].display_name)
        ));
    }
    if let Some(i) = ig {
        list.push_str(&format!(
            "<li id=\"asset-ig\">Instagram: @{}</li>",
            esc(&w.accounts[i as usize].handle)
        ));
    }
    page(
        "jempol (simulated app) is requesting access",
        &format!(
            "<p>Logged in as <b id=\"fb-who\">{}</b></p><ul>{list}</ul>\
             <p>Permissions: pages_show_list, pages_read_engagement, instagram_basic, instagram_manage_insights</p>\
             <form method=\"post\" action=\"/facebook-www/dialog/decide\">{}\
             <button id=\"fb-continue\" name=\"decision\" value=\"continue\">Continue</button>\
             <button id=\"fb-cancel\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
            esc(&format!(
                "Owner of {}",
                w.businesses[business as usize].name
            )),
            super::hidden_fields(&q)
        ),
    )
}

/// Logs in as the owner of the business whose Facebook Page has this username.
async fn login(State(state): State<Shared>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let name = form
        .get("page")
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_default();
    let Some((_, account)) = state.world.account_by_handle(Platform::Facebook, &name) else {
        return page("Log in to Facebook", "<p id=\"error\">No such account.</p>");
    };
    let Some(business) = account.business else {
        return page("Log in to Facebook", "<p id=\"error\">No such account.</p>");
    };
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form.iter().filter(|(k, _)| *k != "page") {
        back.append_pair(k, v);
    }
    let mut r = (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("/facebook-www/v25.0/dialog/oauth?{}", back.finish()),
        )],
    )
        .into_response();
    if let Ok(v) = format!("{COOKIE}={business}; Path=/; HttpOnly").parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn decide(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let q: HashMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| k != "decision")
        .cloned()
        .collect();
    if let Err(param) = check(&state, &q) {
        return page(
            "Error",
            &format!("<p id=\"error\"><code>{param}</code></p>"),
        );
    }
    let Some(business) = session(&state, &headers) else {
        return page(
            "Log in to Facebook",
            "<p id=\"error\">Your session ended.</p>",
        );
    };
    let uri = q["redirect_uri"].clone();
    let st = q.get("state").cloned().unwrap_or_default();
    let mut to = url::Url::parse(&uri).unwrap_or_else(|_| unreachable!("checked"));
    if pairs
        .iter()
        .any(|(k, v)| k == "decision" && v == "continue")
    {
        let code = {
            let mut m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
            m.counter += 1;
            let code = format!(
                "AQDsim{:08}Code{:06X}",
                m.counter,
                state.now() as u32 & 0xFFFFFF
            );
            m.codes.insert(
                code.clone(),
                Code {
                    business,
                    redirect_uri: uri,
                    expires_at: state.now() + state.config.meta_app.code_ttl,
                },
            );
            code
        };
        to.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &st);
    } else {
        to.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_code", "200")
            .append_pair("error_description", "Permissions error")
            .append_pair("error_reason", "user_denied")
            .append_pair("state", &st);
    }
    to.set_fragment(Some("_=_"));
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

fn oauth_error(status: StatusCode, code: u32, subcode: Option<u32>, message: &str) -> Response {
    let body = graph::error(status, code, subcode, "OAuthException", message);
    graph::error_response(status, body, vec![])
}

/// `GET /{v}/oauth/access_token`: the code exchange (§8.2) or `fb_exchange_token` (§8.3).
pub(super) fn access_token(state: &SimState, q: &HashMap<String, String>) -> Response {
    state.begin(Platform::Facebook, "oauth/access_token");
    let app = &state.config.meta_app;
    if q.get("client_id") != Some(&app.app_id) || q.get("client_secret") != Some(&app.app_secret) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            1,
            None,
            "Error validating client secret.",
        );
    }
    let now = state.now();
    let mut m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
    m.counter += 1;
    let n = m.counter;
    if q.get("grant_type").map(String::as_str) == Some("fb_exchange_token") {
        let short = q.get("fb_exchange_token").cloned().unwrap_or_default();
        let Some(&(business, exp)) = m.user_tokens.get(&short) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                190,
                None,
                "Invalid OAuth access token.",
            );
        };
        if exp <= now {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                190,
                Some(463),
                "Error validating access token: Session has expired.",
            );
        }
        let long = format!("EAAJsimUserLong{n:08}");
        m.user_tokens
            .insert(long.clone(), (business, now + 5_184_000));
        return finish(
            None,
            StatusCode::OK,
            json!({"access_token": long, "token_type": "bearer", "expires_in": 5_184_000}),
            vec![],
        );
    }
    let code = q.get("code").cloned().unwrap_or_default();
    if m.used.contains(&code) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            100,
            Some(36009),
            "This authorization code has been used.",
        );
    }
    let Some(c) = m.codes.remove(&code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "Invalid verification code format.",
        );
    };
    m.used.insert(code);
    if c.expires_at <= now {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            100,
            Some(36007),
            "This authorization code has expired.",
        );
    }
    if q.get("redirect_uri") != Some(&c.redirect_uri) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        );
    }
    m.ended.remove(&c.business);
    let short = format!("EAAJsimUserShort{n:08}");
    m.user_tokens
        .insert(short.clone(), (c.business, now + 3600));
    finish(
        None,
        StatusCode::OK,
        json!({"access_token": short, "token_type": "bearer", "expires_in": 3600}),
        vec![],
    )
}

/// The business a live user token belongs to.
fn user_of(state: &SimState, token: &str) -> Option<u32> {
    let m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
    let &(b, exp) = m.user_tokens.get(token)?;
    (exp > state.now() && !m.ended.contains_key(&b)).then_some(b)
}

/// The business a live Page token belongs to.
fn page_owner(state: &SimState, token: &str) -> Option<u32> {
    let m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
    let &b = m.page_tokens.get(token)?;
    (!m.ended.contains_key(&b)).then_some(b)
}

/// Whether `token` is one this simulated Meta issued and no longer honours, with the
/// error subcode and message it then answers.
pub(super) fn dead(state: &SimState, token: &str) -> Option<(Option<u32>, &'static str)> {
    if !token.starts_with("EAAJsim")
        || user_of(state, token).is_some()
        || page_owner(state, token).is_some()
    {
        return None;
    }
    let m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
    let business = m
        .page_tokens
        .get(token)
        .copied()
        .or_else(|| m.user_tokens.get(token).map(|(b, _)| *b));
    let why = business
        .and_then(|b| m.ended.get(&b))
        .copied()
        .unwrap_or(Ended::Removed);
    Some(why.answer())
}

fn app_removed() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        190,
        Some(458),
        "Error validating access token: The user has not authorized application 1234567890.",
    )
}

/// `GET /me` and `GET /me/accounts` with a user token (§8.4).
pub(super) async fn me(
    state: &SimState,
    edge: Option<&str>,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let passed =
        match graph::gate(state, params, headers, Platform::Facebook, "me", Buc::None).await {
            Ok(p) => p,
            Err(r) => return r,
        };
    let Some(business) = user_of(state, &passed.token) else {
        return app_removed();
    };
    let w = &state.world;
    if edge.is_none() {
        let name = format!("Owner of {}", w.businesses[business as usize].name);
        return finish(
            passed.fault,
            StatusCode::OK,
            json!({"id": user_id(business), "name": name}),
            passed.headers,
        );
    }
    let (page_acct, ig) = assets(state, business);
    let mut data = Vec::new();
    if let Some(p) = page_acct {
        let a = &w.accounts[p as usize];
        let token = {
            let mut m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
            m.counter += 1;
            let t = format!("EAAJsimPage{:08}{}", m.counter, a.user_id);
            m.page_tokens.insert(t.clone(), business);
            t
        };
        let mut o = json!({
            "access_token": token, "category": "Makanan & Minuman",
            "category_list": [{"id": "2252", "name": "Makanan & Minuman"}],
            "name": a.display_name, "id": a.user_id, "username": a.handle,
            "tasks": ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        });
        if let Some(i) = ig {
            let ia = &w.accounts[i as usize];
            o["instagram_business_account"] = json!({"id": ia.user_id, "username": ia.handle});
        }
        data.push(o);
    }
    finish(
        passed.fault,
        StatusCode::OK,
        json!({"data": data, "paging": {"cursors": {"before": "QVFIUmE5", "after": "QVFIUmI3"}}}),
        passed.headers,
    )
}

/// `DELETE /{user-id}/permissions` (app or user token): the whole login ends; Page
/// tokens then fail with 190/458 (§8.6).
pub(super) fn delete_permissions(
    state: &SimState,
    user: &str,
    params: &HashMap<String, String>,
) -> Response {
    state.begin(Platform::Facebook, "permissions");
    let app = &state.config.meta_app;
    let token = params.get("access_token").cloned().unwrap_or_default();
    let app_token = format!("{}|{}", app.app_id, app.app_secret);
    let business = if user == "me" {
        user_of(state, &token)
    } else {
        business_of_user(user)
    };
    let allowed = token == app_token || business.is_some_and(|b| user_of(state, &token) == Some(b));
    let Some(business) = business.filter(|_| allowed) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            190,
            None,
            "Invalid OAuth access token.",
        );
    };
    let mut m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
    m.ended.insert(business, Ended::Removed);
    m.page_tokens.retain(|_, b| *b != business);
    m.user_tokens.retain(|_, (b, _)| *b != business);
    finish(None, StatusCode::OK, json!({"success": true}), vec![])
}

/// Insight metrics a media product type offers (§9.2, the simulator's matrix).
fn offers(product: &str, image: bool, metric: &str) -> bool {
    match metric {
        "views" | "reach" | "total_interactions" | "likes" | "comments" | "saved" => true,
        "shares" => !image || product == "REELS",
        _ => false,
    }
}

/// An Instagram account read with its Page's token: the account, its media edge, a
/// media object, or its insights (§9.1–9.2). `None`: not a consented Instagram object.
pub(super) async fn instagram(
    state: &SimState,
    version: &str,
    id: &str,
    edge: Option<&str>,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<Response> {
    let w = &state.world;
    let now = state.now();
    let account = w.account_by_user_id(Platform::Instagram, id);
    let media = w
        .post(Platform::Instagram, id)
        .filter(|(_, p)| w.visible(p, now));
    if account.is_none() && media.is_none() {
        return None;
    }
    let owner_acct = match (&account, &media) {
        (Some((i, _)), _) => *i,
        (_, Some((_, p))) => p.account,
        _ => unreachable!(),
    };
    let owner = &w.accounts[owner_acct as usize];
    let passed = match graph::gate(
        state,
        params,
        headers,
        Platform::Instagram,
        edge.unwrap_or("ig_user"),
        Buc::Instagram(&owner.user_id),
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return Some(r),
    };
    // Only the token of the Page this account is linked to reads it.
    let linked = owner.business.is_some_and(|b| {
        page_owner(state, &passed.token) == Some(b) && assets(state, b).1 == Some(owner_acct)
    });
    if !linked {
        return Some(if dead(state, &passed.token).is_some() {
            app_removed()
        } else {
            graph::error_response(
                StatusCode::BAD_REQUEST,
                graph::error(
                    StatusCode::BAD_REQUEST,
                    10,
                    None,
                    "OAuthException",
                    "(#10) Application does not have permission for this action",
                ),
                passed.headers,
            )
        });
    }
    let bad = |m: &str| graph::bad_parameter(m, vec![]);
    match (account, media, edge) {
        (Some(_), _, None) => {
            let fields = graph::fields_or(params, &["id"])?;
            let f = w.figures(owner, now);
            let mut o = Map::new();
            for fl in &fields {
                let v = match fl.name.as_str() {
                    "id" => json!(owner.user_id),
                    "username" => json!(owner.handle),
                    "followers_count" => json!(f.followers),
                    "follows_count" => json!(180),
                    "media_count" => json!(f.media_count),
                    other => {
                        return Some(bad(&format!(
                            "(#100) Tried accessing nonexisting field ({other}) on node type (IGUser)"
                        )));
                    }
                };
                o.insert(fl.name.clone(), v);
            }
            Some(finish(
                passed.fault,
                StatusCode::OK,
                Value::Object(o),
                passed.headers,
            ))
        }
        (Some(_), _, Some("media")) => {
            let fields = graph::fields_or(params, &["id"])?;
            let posts: Vec<u32> = w.visible_posts(owner, now).map(|(i, _)| i).collect();
            let page_of = match graph::paginate(
                &posts,
                params.get("after").map(String::as_str),
                graph::limit_param(params, 25, 100),
                passed.fault,
            ) {
                Ok(p) => p,
                Err(e) => return Some(bad(&e)),
            };
            let mut data = Vec::new();
            for &i in &page_of.items {
                match graph::ig_media(state, &w.posts[i as usize], &fields, now, false) {
                    Ok(v) => data.push(v),
                    Err(e) => return Some(bad(&e)),
                }
            }
            let mut paging = json!({"cursors": {"after": page_of.after}});
            if page_of.more {
                paging["next"] = json!(graph::next_url(
                    headers,
                    version,
                    &format!("{id}/media"),
                    params,
                    &passed.token,
                    page_of.after.as_deref().unwrap_or_default()
                ));
            }
            Some(finish(
                passed.fault,
                StatusCode::OK,
                json!({"data": data, "paging": paging}),
                passed.headers,
            ))
        }
        (_, Some((_, p)), None) => {
            let fields = graph::fields_or(params, &["id"])?;
            // The owner's direct read shows hidden likes too (§9.1).
            let mut v = match graph::ig_media(state, p, &fields, now, false) {
                Ok(v) => v,
                Err(e) => return Some(bad(&e)),
            };
            if fields.iter().any(|f| f.name == "like_count") {
                v["like_count"] = json!(w.raw_counts(p, now).likes);
            }
            Some(finish(passed.fault, StatusCode::OK, v, passed.headers))
        }
        (_, Some((_, p)), Some("insights")) => {
            let product = if p.media_type == 1 { "REELS" } else { "FEED" };
            let image = graph::media_type(p) == "IMAGE";
            let metrics = super::comma_list(params, "metric");
            let refused: Vec<&str> = metrics
                .iter()
                .copied()
                .filter(|m| !offers(product, image, m))
                .collect();
            if !refused.is_empty() {
                return Some(bad(&format!(
                    "(#100) The Media Insights API does not support the {} metric for this media product type.",
                    refused.join(", ")
                )));
            }
            let raw = w.raw_counts(p, now);
            let data: Vec<Value> = metrics
                .iter()
                .map(|m| {
                    let value = match *m {
                        "views" => raw.views,
                        "reach" => raw.views * 7 / 10,
                        "saved" => raw.likes / 12,
                        "shares" => raw.shares,
                        "likes" => raw.likes,
                        "comments" => raw.comments,
                        _ => raw.likes + raw.comments + raw.shares + raw.likes / 12,
                    };
                    json!({"name": m, "period": "lifetime", "values": [{"value": value}],
                           "title": m, "description": "…", "id": format!("{}/insights/{m}/lifetime", p.id)})
                })
                .collect();
            Some(finish(
                passed.fault,
                StatusCode::OK,
                json!({"data": data}),
                passed.headers,
            ))
        }
        _ => Some(bad("(#100) Unknown path components")),
    }
}

/// The counts insights report for a media object now (for specs): (views, shares).
pub fn insight_counts(state: &SimState, media_id: &str) -> Option<(u64, Option<u64>)> {
    let (_, p) = state.world.post(Platform::Instagram, media_id)?;
    let raw = state.world.raw_counts(p, state.now());
    let image = graph::media_type(p) == "IMAGE";
    let product = if p.media_type == 1 { "REELS" } else { "FEED" };
    Some((
        raw.views,
        offers(product, image, "shares").then_some(raw.shares),
    ))
}

/// A `signed_request` as Meta makes it: base64url(HMAC-SHA256(payload)) `.` payload.
pub fn signed_request(secret: &str, payload: &Value) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.encode(payload.to_string());
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let sig = aws_lc_rs::hmac::sign(&key, payload.as_bytes());
    format!("{}.{payload}", b64.encode(sig.as_ref()))
}

fn user_param(state: &SimState, q: &HashMap<String, String>) -> Option<u32> {
    let name = q.get("page")?.to_lowercase();
    state
        .world
        .account_by_handle(Platform::Facebook, &name)?
        .1
        .business
}

async fn post_signed(url: &str, signed: String) -> (u16, Value) {
    match reqwest::Client::new()
        .post(url)
        .form(&[("signed_request", signed)])
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// `POST /__sim/meta/remove?page=…`: the Page's owner removes the app in Facebook's
/// settings: its tokens die and the deauthorize callback is posted, signed.
async fn remove_app(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(business) = user_param(&state, &q) else {
        return (StatusCode::NOT_FOUND, "no such user").into_response();
    };
    {
        let mut m = state.meta.lock().unwrap_or_else(|e| e.into_inner());
        m.ended.insert(business, Ended::Removed);
    }
    let Some(url) = state.config.meta_app.deauthorize_url.clone() else {
        return Json(json!({"status": 0})).into_response();
    };
    let payload =
        json!({"algorithm": "HMAC-SHA256", "issued_at": state.now(), "user_id": user_id(business)});
    let (status, _) = post_signed(
        &url,
        signed_request(&state.config.meta_app.app_secret, &payload),
    )
    .await;
    Json(json!({"status": status})).into_response()
}

/// `POST /__sim/meta/password?page=…`: the Page's owner changes the password: every
/// token of theirs fails with 190/460 (no callback).
async fn change_password(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    end(&state, &q, Ended::PasswordChanged)
}

/// `POST /__sim/meta/remove-task?page=…`: the person who connected loses their task on
/// the Page: its token fails with 190.
async fn remove_task(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    end(&state, &q, Ended::TaskRemoved)
}

fn end(state: &SimState, q: &HashMap<String, String>, why: Ended) -> Response {
    let Some(business) = user_param(state, q) else {
        return (StatusCode::NOT_FOUND, "no such user").into_response();
    };
    state
        .meta
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ended
        .insert(business, why);
    Json(json!({"ended": format!("{why:?}")})).into_response()
}

/// `POST /__sim/meta/delete?page=…`: the user asks for their data to be deleted; answers
/// jempol's reply and the status of its status page.
async fn request_deletion(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(business) = user_param(&state, &q) else {
        return (StatusCode::NOT_FOUND, "no such user").into_response();
    };
    let Some(url) = state.config.meta_app.deletion_url.clone() else {
        return Json(json!({"status": 0})).into_response();
    };
    let now = state.now();
    let payload = json!({"algorithm": "HMAC-SHA256", "expires": now + 3600, "issued_at": now, "user_id": user_id(business)});
    let (status, reply) = post_signed(
        &url,
        signed_request(&state.config.meta_app.app_secret, &payload),
    )
    .await;
    let page_status = match reply["url"].as_str() {
        Some(u) => reqwest::get(u)
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0),
        None => 0,
    };
    Json(json!({"status": status, "reply": reply, "status_page": page_status})).into_response()
}
