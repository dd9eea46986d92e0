//! Who may see the dashboard: coordinators sign in with a password (Argon2id, from the
//! `argon2` crate), get a session in an HttpOnly, SameSite cookie (Secure behind HTTPS)
//! whose value the database keeps only as a keyed hash, and every form carries a CSRF
//! value bound to that session. Sign-in attempts are rate-limited per user name and in
//! all (governor), and at most two hashes are checked at once (each takes 19 MiB).
//! Agency dashboards call the API with a bearer token from `jempol users token`.

use std::collections::HashMap;
use std::num::NonZeroU32;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::connect::{html, see_other};
use super::pages::Lang;
use super::{Shared, Web, views};
use crate::consent::Vault;
use crate::consent::vault::random_bytes;

/// The session cookie.
pub const SESSION_COOKIE: &str = "jempol_sesi";
/// The sign-in form's cookie (its CSRF value is bound to it: no session exists yet).
const LOGIN_COOKIE: &str = "jempol_masuk";
/// The shortest password `jempol users add` accepts.
pub const MIN_PASSWORD: usize = 10;

/// Hashes a password for the `coordinators` table (a PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("Argon2id with its default parameters hashes any password")
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Why a new password is refused, if it is.
pub fn password_problem(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD)
        .then(|| format!("a password needs at least {MIN_PASSWORD} characters"))
}

/// A new random token (sessions, API tokens): 32 bytes, hex.
pub fn new_token() -> String {
    crate::consent::vault::hex(&random_bytes::<32>())
}

/// How a session token is kept: its MAC, never the token.
pub fn session_hash(vault: &Vault, token: &str) -> String {
    vault.sign(&format!("session|{token}"))
}

/// How an API token is kept.
pub fn api_token_hash(vault: &Vault, token: &str) -> String {
    vault.sign(&format!("api|{token}"))
}

/// The sign-in limits and the session settings.
pub struct Auth {
    per_user: DefaultKeyedRateLimiter<String>,
    all: DefaultDirectRateLimiter,
    hashing: tokio::sync::Semaphore,
    session_seconds: i64,
    secure: bool,
    /// Checked when the user name is unknown, so that an unknown name takes as long.
    decoy: String,
}

impl Auth {
    pub fn new(session_seconds: i64, secure: bool) -> Auth {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        Auth {
            // Five tries at once, then one every 12 seconds, per user name.
            per_user: RateLimiter::keyed(Quota::per_minute(n(5))),
            // A password spray over many names: 60 a minute in all.
            all: RateLimiter::direct(Quota::per_minute(n(60))),
            hashing: tokio::sync::Semaphore::new(2),
            session_seconds,
            secure,
            decoy: hash_password(&new_token()),
        }
    }

    /// `Err(seconds to wait)` when `user` may not try now.
    fn admit(&self, user: &str) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(now).as_secs().max(1);
        self.per_user
            .check_key(&user.to_lowercase())
            .map_err(wait)?;
        self.all.check().map_err(wait)
    }

    fn cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// A cookie the browser sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A signed-in coordinator.
#[derive(Debug, Clone)]
pub struct Signed {
    pub username: String,
    /// The session's kept hash: what its forms' CSRF values are bound to.
    session: String,
}

impl Signed {
    /// The CSRF value of this session's forms.
    pub fn csrf(&self, vault: &Vault) -> String {
        vault.sign(&format!("csrf-dash|{}", self.session))
    }
}

/// The coordinator whose live session the request carries.
pub async fn signed_in(web: &Web, headers: &HeaderMap) -> Option<Signed> {
    let token = cookie(headers, SESSION_COOKIE)?;
    if token.len() != 64 {
        return None;
    }
    let hash = session_hash(&web.vault, token);
    let now = web.now();
    let kept = hash.clone();
    let user = web
        .readers
        .read(move |s| s.session_user(&kept, now))
        .await
        .ok()??;
    Some(Signed {
        username: user,
        session: hash,
    })
}

/// The signed-in coordinator, or a redirect to sign-in that comes back to `uri`.
pub async fn require(web: &Web, headers: &HeaderMap, uri: &Uri) -> Result<Signed, Response> {
    match signed_in(web, headers).await {
        Some(s) => Ok(s),
        None => {
            let back = uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/dasbor");
            Err(see_other(&format!("/masuk?lanjut={}", url_escape(back))))
        }
    }
}

/// The coordinator an API call is made for: a bearer token, or a session cookie.
pub async fn require_api(web: &Web, headers: &HeaderMap) -> Result<String, Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        let hash = api_token_hash(&web.vault, token.trim());
        if let Ok(Some(user)) = web.readers.read(move |s| s.api_token_user(&hash)).await {
            return Ok(user);
        }
    } else if let Some(s) = signed_in(web, headers).await {
        return Ok(s.username);
    }
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({
            "error": "unauthorized",
            "message": "send Authorization: Bearer <token> (jempol users token NAME makes one)"
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"jempol\""),
    );
    Err(r)
}

/// A form's CSRF value checked against the session.
pub fn checked(web: &Web, who: &Signed, form: &HashMap<String, String>) -> Result<(), Response> {
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if web
        .vault
        .verify(&format!("csrf-dash|{}", who.session), sent)
    {
        Ok(())
    } else {
        Err(forbidden())
    }
}

fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        super::pages::message(
            Lang::Id,
            "Formulir ditolak",
            "Formulir ini tidak membawa tanda keamanannya (CSRF). Muat ulang halaman lalu coba lagi. / The form lacks its security token: reload the page and try again.",
        ),
    )
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only paths of this site are followed after sign-in (no open redirect).
fn local_path(next: Option<&String>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.clone(),
        _ => "/dasbor".into(),
    }
}

pub async fn sign_in_page(
    State(web): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    if signed_in(&web, &headers).await.is_some() {
        return see_other(&local_path(q.get("lanjut")));
    }
    form_page(
        &web,
        lang,
        &local_path(q.get("lanjut")),
        None,
        StatusCode::OK,
    )
}

fn form_page(
    web: &Web,
    lang: Lang,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let nonce = new_token();
    let csrf = web.vault.sign(&format!("login|{nonce}"));
    let mut r = html(status, views::sign_in(lang, next, &csrf, error.as_deref()));
    r.headers_mut().append(
        header::SET_COOKIE,
        web.auth.cookie(LOGIN_COOKIE, &nonce, 1800),
    );
    r
}

pub async fn sign_in(
    State(web): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let next = local_path(form.get("lanjut"));
    let nonce = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if nonce.is_empty() || !web.vault.verify(&format!("login|{nonce}"), sent) {
        return forbidden();
    }
    let user = form.get("nama").map(|s| s.trim()).unwrap_or("").to_string();
    let password = form.get("sandi").cloned().unwrap_or_default();
    if let Err(wait) = web.auth.admit(&user) {
        tracing::warn!(user = %user, "dashboard: sign-in attempts limited");
        let text = match lang {
            Lang::Id => format!("Terlalu banyak percobaan masuk. Coba lagi dalam {wait} detik."),
            Lang::En => format!("Too many sign-in attempts. Try again in {wait} seconds."),
        };
        let mut r = form_page(&web, lang, &next, Some(text), StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let name = user.clone();
    let found = web.readers.read(move |s| s.coordinator(&name)).await;
    let found = match found {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "dashboard: cannot read the coordinators");
            return super::server_error(lang);
        }
    };
    let hash = found
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| web.auth.decoy.clone());
    let good = {
        let _one = web.auth.hashing.acquire().await;
        tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or(false)
    };
    let Some(c) = found.filter(|_| good) else {
        tracing::info!(user = %user, "dashboard: wrong user name or password");
        let text = lang.t(
            "Nama pengguna atau kata sandi salah.",
            "Wrong user name or password.",
        );
        return form_page(
            &web,
            lang,
            &next,
            Some(text.into()),
            StatusCode::UNAUTHORIZED,
        );
    };
    let token = new_token();
    let hash = session_hash(&web.vault, &token);
    let now = web.now();
    let expires = now + web.auth.session_seconds;
    if let Err(e) = web
        .writer
        .run(move |s| s.start_session(&hash, c.id, now, expires))
        .await
    {
        tracing::error!(error = %e, "dashboard: cannot start a session");
        return super::server_error(lang);
    }
    tracing::info!(user = %c.username, "dashboard: signed in");
    let mut r = see_other(&next);
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        web.auth
            .cookie(SESSION_COOKIE, &token, web.auth.session_seconds),
    );
    h.append(header::SET_COOKIE, web.auth.cookie(LOGIN_COOKIE, "", 0));
    r
}

pub async fn sign_out(
    State(web): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(who) = signed_in(&web, &headers).await else {
        return see_other("/masuk");
    };
    if let Err(r) = checked(&web, &who, &form) {
        return r;
    }
    let session = who.session.clone();
    if let Err(e) = web.writer.run(move |s| s.end_session(&session)).await {
        tracing::error!(error = %e, "dashboard: cannot end a session");
    }
    let mut r = see_other("/masuk?keluar=1");
    r.headers_mut()
        .append(header::SET_COOKIE, web.auth.cookie(SESSION_COOKIE, "", 0));
    r
}
