//! `jempol serve`: the web face. Businesses open their personal link and connect their
//! own accounts through the platforms' OAuth flows ([`connect`]); the platforms call
//! back when a user disconnects in their settings ([`callbacks`]). It writes only the
//! consent tables, through a writer of its own, so it runs beside `jempol run` or a
//! cron `poll --once`; it binds 127.0.0.1 by default, for a TLS reverse proxy.

// Handlers return an early `Response` as their error: idiomatic in axum, and off any
// hot path, so the size of `Response` does not matter here.
#![allow(clippy::result_large_err)]

mod callbacks;
mod connect;
mod meta;
pub mod pages;

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
    #[error(
        "no platform reads with businesses' consent: set platforms.tiktok.api = \"display\" \
         (a TikTok Login Kit app) or platforms.facebook.api / platforms.instagram.api = \
         \"consent\" with a [consent.meta] table (a Meta app)"
    )]
    NothingToConnect,
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
        let vault = Arc::new(Vault::from_env(&config.consent.secret_key_env, |v| {
            secrets.get(v).map(|s| s.expose().to_string())
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
        if tiktok.is_none() && meta.is_none() {
            return Err(ServeError::NothingToConnect);
        }
        Ok(Web {
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
            .route("/", get(connect::home))
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
