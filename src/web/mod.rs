//! `jempol serve`: the web face. Businesses open their personal link and connect their
//! own accounts through the platforms' OAuth flows ([`connect`]); the platforms call
//! back when a user disconnects in their settings ([`callbacks`]). It writes only the
//! consent tables, through a writer of its own, so it runs beside `jempol run` or a
//! cron `poll --once`; it binds 127.0.0.1 by default, for a TLS reverse proxy.

// Handlers return an early `Response` as their error: idiomatic in axum, and off any
// hot path, so the size of `Response` does not matter here.
#![allow(clippy::result_large_err)]

mod api;
pub mod auth;
mod callbacks;
mod chart;
mod connect;
pub mod dashboard;
pub mod figures;
mod meta;
pub mod pages;
pub mod readers;
pub mod table;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::config::{Config, Credentials, Secrets, TiktokApi};
use crate::consent::tiktok::TiktokOauth;
use crate::consent::{Keeper, Vault};
use crate::platform::Platform;
use crate::platform::http::{Http, HttpSettings, Unmetered};
use crate::store::Writer;
use crate::time::Clock;

/// What can stop the web face from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "consent.public_url is not set: it is the address businesses reach jempol serve at \
         (their links and the OAuth redirect URIs start with it)"
    )]
    NoPublicUrl,
    #[error(transparent)]
    Vault(#[from] crate::consent::VaultError),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// TikTok's side of the web face: its Login Kit app, and its tokens for disconnects.
pub(crate) struct TiktokSide {
    pub(crate) oauth: Arc<TiktokOauth>,
    pub(crate) keeper: Arc<Keeper>,
}

/// Everything the handlers share.
pub struct Web {
    pub(crate) writer: Writer,
    pub(crate) vault: Arc<Vault>,
    pub(crate) tiktok: Option<TiktokSide>,
    pub(crate) meta: Option<crate::consent::meta::MetaOauth>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) public_url: String,
    pub(crate) link_seconds: i64,
    pub(crate) tz: jiff::tz::TimeZone,
    pub(crate) readers: Arc<readers::Readers>,
    pub(crate) figures: Arc<figures::Figures>,
    pub(crate) auth: auth::Auth,
    pub(crate) reports_dir: std::path::PathBuf,
    pub(crate) page_size: usize,
    pub(crate) campaign: String,
}

type Shared = Arc<Web>;

impl Web {
    /// The web face of `config`, writing through `writer`.
    pub fn new(
        config: &Config,
        secrets: &Secrets,
        writer: Writer,
        clock: Arc<dyn Clock>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Web, ServeError> {
        let public_url = config
            .consent
            .public_url
            .clone()
            .ok_or(ServeError::NoPublicUrl)?;
        // The key signs sessions and links even where no platform reads with consent.
        let vault = Arc::new(Vault::from_env(&config.consent.secret_key_env, |v| {
            secrets
                .get(v)
                .map(|s| s.expose().to_string())
                .or_else(|| std::env::var(v).ok())
        })?);
        let all: Vec<String> = secrets.values().map(|s| s.expose().to_string()).collect();
        let http = |platform: Platform, rps: u32| {
            Http::new(
                platform,
                &HttpSettings {
                    requests_per_second: rps.max(5),
                    ..HttpSettings::default()
                },
                all.clone(),
                Arc::new(Unmetered),
                shutdown.clone(),
            )
            .map_err(|e| ServeError::Http(e.to_string()))
        };
        let tiktok = match config
            .platform(Platform::Tiktok)
            .filter(|p| p.tiktok_api == TiktokApi::Display)
        {
            Some(pc) => {
                let Credentials::Tiktok {
                    client_key,
                    client_secret,
                } = secrets.credentials(pc)
                else {
                    unreachable!("TikTok's config gives TikTok's credentials")
                };
                let oauth = Arc::new(TiktokOauth::new(
                    http(Platform::Tiktok, pc.requests_per_second)?,
                    pc.auth_url.as_deref().unwrap_or_default(),
                    &pc.base_url,
                    client_key.expose().to_string(),
                    client_secret.expose().to_string(),
                ));
                let keeper = Arc::new(Keeper::new(
                    Platform::Tiktok,
                    writer.clone(),
                    vault.clone(),
                    Some(oauth.clone()),
                    clock.clone(),
                ));
                Some(TiktokSide { oauth, keeper })
            }
            None => None,
        };
        let meta = match config
            .consent
            .meta
            .as_ref()
            .filter(|_| config.uses_meta_consent())
        {
            Some(app) => {
                let secret = secrets
                    .get(&app.app_secret_env)
                    .map(|s| s.expose().to_string())
                    .unwrap_or_default();
                Some(crate::consent::meta::MetaOauth::new(
                    http(Platform::Facebook, 5)?,
                    app,
                    secret,
                ))
            }
            None => None,
        };
        let readers = Arc::new(readers::Readers::new(writer.path().to_path_buf()));
        // The template's days are set per request.
        let today = clock
            .now()
            .to_zoned(config.campaign.timezone.clone())
            .date();
        let figures = Arc::new(figures::Figures::new(
            readers.clone(),
            crate::daily::request(config, today, today),
            config.dashboard.refresh,
            clock.clone(),
        ));
        Ok(Web {
            readers,
            figures,
            auth: auth::Auth::new(
                config.dashboard.session_seconds,
                public_url.starts_with("https://"),
            ),
            reports_dir: config.reports.directory.clone(),
            page_size: config.dashboard.page_size,
            campaign: config.campaign.name.clone(),
            writer,
            vault,
            tiktok,
            meta,
            clock,
            public_url,
            link_seconds: config.consent.link_seconds,
            tz: config.campaign.timezone.clone(),
        })
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// The redirect URI registered with TikTok: `{public_url}/oauth/tiktok`.
    pub(crate) fn tiktok_redirect(&self) -> String {
        format!("{}/oauth/tiktok", self.public_url)
    }

    /// The redirect URI registered with Meta: `{public_url}/oauth/meta`.
    pub(crate) fn meta_redirect(&self) -> String {
        format!("{}/oauth/meta", self.public_url)
    }

    /// A business's personal link, valid for the configured days from now.
    pub fn link(&self, business_key: &str) -> String {
        personal_link(
            &self.public_url,
            &self.vault,
            business_key,
            self.now() + self.link_seconds,
        )
    }

    /// The routes.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/", get(dashboard::home))
            .route("/masuk", get(auth::sign_in_page).post(auth::sign_in))
            .route("/keluar", post(auth::sign_out))
            .route("/dasbor", get(dashboard::overview))
            .route("/dasbor/peringkat", get(dashboard::leaderboard))
            .route("/dasbor/usaha/{key}", get(dashboard::business))
            .route("/dasbor/pos/{id}", get(dashboard::post))
            .route("/dasbor/daftar/{name}", get(dashboard::list))
            .route("/dasbor/laporan", get(dashboard::reports))
            .route("/dasbor/laporan/{name}", get(dashboard::report_file))
            .route("/api/v1/overview", get(api::overview))
            .route("/api/v1/leaderboard", get(api::leaderboard))
            .route("/api/v1/businesses/{key}", get(api::business))
            .route("/api/v1/posts/{id}", get(api::post))
            .route("/api/v1/lists/{name}", get(api::list))
            .route("/usaha/{token}", get(dashboard::own))
            .route("/usaha/{token}/pos/{id}", get(dashboard::own_post))
            .route("/jempol.css", get(stylesheet))
            .route("/privasi", get(connect::privacy))
            .route("/hubungkan/{token}", get(connect::page))
            .route("/hubungkan/{token}/tiktok", post(connect::start_tiktok))
            .route(
                "/hubungkan/{token}/tiktok/putuskan",
                post(connect::disconnect_tiktok),
            )
            .route("/oauth/tiktok", get(connect::tiktok_callback))
            .route("/hubungkan/{token}/meta", post(meta::start))
            .route("/hubungkan/{token}/meta/putuskan", post(meta::disconnect))
            .route("/oauth/meta", get(meta::callback))
            .route("/webhooks/tiktok", post(callbacks::tiktok))
            .route(
                "/webhooks/meta/deauthorize",
                post(callbacks::meta_deauthorize),
            )
            .route(
                "/webhooks/meta/data-deletion",
                post(callbacks::meta_deletion),
            )
            .route("/hapus-data/status", get(callbacks::deletion_status))
            .with_state(self)
    }
}

/// The page language: `?lang=` first, then the cookie an earlier `?lang=` set, then
/// Bahasa Indonesia.
pub(crate) fn lang_of(
    q: &std::collections::HashMap<String, String>,
    headers: &axum::http::HeaderMap,
) -> pages::Lang {
    match q.get("lang") {
        Some(l) => pages::Lang::from_query(Some(l)),
        None => pages::Lang::from_query(auth::cookie(headers, LANG_COOKIE)),
    }
}

const LANG_COOKIE: &str = "jempol_bahasa";

/// Keeps a `?lang=` choice for the next pages.
pub(crate) fn with_lang(
    mut r: axum::response::Response,
    q: &std::collections::HashMap<String, String>,
) -> axum::response::Response {
    if let Some(l) = q.get("lang") {
        let l = if l.eq_ignore_ascii_case("en") {
            "en"
        } else {
            "id"
        };
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={l}; Path=/; SameSite=Lax; Max-Age=31536000"
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

use connect::server_error;

/// The personal link of a business: its connect page, signed, until `expires_at`.
pub fn personal_link(
    public_url: &str,
    vault: &Vault,
    business_key: &str,
    expires_at: i64,
) -> String {
    let token = crate::consent::signing::link_token(vault, business_key, expires_at);
    format!("{public_url}/hubungkan/{token}")
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::STYLE,
    )
}

/// Serves `web` on `listen` until `shutdown` turns true.
pub async fn serve(
    web: Web,
    listen: SocketAddr,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(listen);
    on_ready(addr);
    let app = Arc::new(web).router();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
        .map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })
}
