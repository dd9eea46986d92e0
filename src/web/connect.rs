//! A business's connect page and the TikTok OAuth round trip (platform-apis-consent.md
//! §6, §10.4): a signed personal link; a `state` that works once and expires, with the
//! PKCE verifier sealed beside it; the exchange only after the state checks out; tokens
//! sealed before they are stored; disconnect revokes at TikTok and deletes them.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::pages::{self, ConnectPage, Lang, PlatformCard};
use super::{Shared, Web};
use crate::consent::signing::{self, LinkError};
use crate::model::BusinessId;
use crate::platform::{ApiError, Platform};
use crate::store::{ConnectionStatus, ConsentConnection, NewConnection, OauthState};

/// How long a business has to finish on TikTok's pages (a failed authorize request
/// shows TikTok's own error page and never comes back: §6.2).
const STATE_SECONDS: i64 = 30 * 60;

/// Headers every page carries: no caching of a page opened by a personal link, no
/// `Referer` that would carry the link to the platform, no framing.
pub(super) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    for (k, v) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

pub(super) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn lang_of(q: &HashMap<String, String>) -> Lang {
    Lang::from_query(q.get("lang").map(String::as_str))
}

/// The page for a link that cannot be used, with what to do.
pub(super) fn refused_link(lang: Lang, e: LinkError) -> Response {
    match e {
        LinkError::Expired => html(
            StatusCode::GONE,
            pages::message(
                lang,
                lang.t("Tautan sudah kedaluwarsa", "This link has expired"),
                lang.t(
                    "Tautan pribadi ini sudah tidak berlaku. Minta tautan baru kepada koordinator kampanye.",
                    "This personal link no longer works. Ask the campaign's coordinator for a new one.",
                ),
            ),
        ),
        LinkError::Invalid => html(
            StatusCode::NOT_FOUND,
            pages::message(
                lang,
                lang.t("Tautan tidak dikenal", "Unknown link"),
                lang.t(
                    "Tautan ini bukan tautan jempol yang sah, atau sudah diubah. Salin lagi tautan lengkap dari pesan koordinator.",
                    "This is not a valid jempol link, or it was altered. Copy the whole link from the coordinator's message again.",
                ),
            ),
        ),
    }
}

/// A platform this campaign does not let businesses connect.
pub(super) fn not_offered() -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::message(
            Lang::Id,
            "Tidak tersedia",
            "Platform ini belum bisa dihubungkan dalam kampanye ini.",
        ),
    )
}

pub(super) fn server_error(lang: Lang) -> Response {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(
            lang,
            lang.t("Terjadi kesalahan", "Something went wrong"),
            lang.t(
                "Silakan coba lagi sebentar lagi.",
                "Please try again in a moment.",
            ),
        ),
    )
}

/// The business a link names, with the link's expiry.
pub(super) async fn business_of(
    web: &Web,
    token: &str,
) -> Result<(BusinessId, String, String, i64), LinkError> {
    let (key, expires) = signing::open_link(&web.vault, token, web.now())?;
    let lookup = key.clone();
    match web.readers.read(move |s| s.business_by_key(&lookup)).await {
        Ok(Some((id, name))) => Ok((id, key, name, expires)),
        // A link to a business no longer in the registry.
        _ => Err(LinkError::Invalid),
    }
}

fn csrf(web: &Web, token: &str) -> String {
    web.vault.sign(&format!("csrf|{token}"))
}

pub async fn privacy(Query(q): Query<HashMap<String, String>>) -> Response {
    html(StatusCode::OK, pages::privacy(lang_of(&q)))
}

/// The connections the page shows for a platform: a usable one first, else the latest.
pub(super) fn shown(conns: &[ConsentConnection], platform: Platform) -> Option<&ConsentConnection> {
    let of: Vec<&ConsentConnection> = conns.iter().filter(|c| c.platform == platform).collect();
    of.iter()
        .find(|c| c.status.usable())
        .or_else(|| {
            of.iter()
                .find(|c| c.status == ConnectionStatus::NeedsReconsent)
        })
        .or(of.first())
        .copied()
}

pub async fn page(
    State(web): State<Shared>,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&q);
    let (business, _, name, expires) = match business_of(&web, &token).await {
        Ok(b) => b,
        Err(e) => return refused_link(lang, e),
    };
    let conns = match web.readers.read(move |s| s.connections_of(business)).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot read a business's connections");
            return server_error(lang);
        }
    };
    let csrf = csrf(&web, &token);
    let page = ConnectPage {
        lang,
        business_name: &name,
        token: &token,
        csrf: &csrf,
        link_expires: pages::date(lang, expires, &web.tz),
        flash: q.get("pesan").and_then(|k| pages::flash(lang, k)),
        cards: vec![
            PlatformCard {
                name: "TikTok",
                slug: "tiktok",
                connection: shown(&conns, Platform::Tiktok),
                also: None,
                available: web.tiktok.is_some(),
            },
            PlatformCard {
                name: "Facebook & Instagram",
                slug: "meta",
                connection: shown(&conns, Platform::Facebook),
                also: shown(&conns, Platform::Instagram),
                available: web.meta.is_some(),
            },
        ],
        tz: &web.tz,
    };
    html(StatusCode::OK, pages::connect(&page))
}

/// A form's CSRF value against its link; the link itself must still be good.
pub(super) async fn checked_form(
    web: &Web,
    token: &str,
    form: &HashMap<String, String>,
) -> Result<(BusinessId, String, i64), Response> {
    let lang = Lang::Id;
    let (business, key, _, expires) = business_of(web, token)
        .await
        .map_err(|e| refused_link(lang, e))?;
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if !web.vault.verify(&format!("csrf|{token}"), sent) {
        return Err(html(
            StatusCode::FORBIDDEN,
            pages::message(
                lang,
                "Permintaan ditolak",
                "Formulir ini tidak berasal dari halaman Anda. Buka lagi tautan pribadi Anda.",
            ),
        ));
    }
    Ok((business, key, expires))
}

/// "Connect TikTok": a fresh `state` and PKCE verifier, then TikTok's consent page.
pub async fn start_tiktok(
    State(web): State<Shared>,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(tt) = web.tiktok.as_ref() else {
        return not_offered();
    };
    let (business, _, link_expires) = match checked_form(&web, &token, &form).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let verifier = signing::pkce_verifier();
    let state = match begin_round(
        &web,
        business,
        Platform::Tiktok,
        link_expires,
        Some(&verifier),
    )
    .await
    {
        Ok(state) => state,
        Err(r) => return r,
    };
    let challenge = signing::tiktok_challenge(&verifier);
    see_other(
        &tt.oauth
            .authorize_url(&web.tiktok_redirect(), &state, &challenge),
    )
}

/// Where TikTok sends the browser back (§6.2): the state first, then the exchange.
pub async fn tiktok_callback(
    State(web): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = Lang::Id;
    let Some(tt) = web.tiktok.as_ref() else {
        return not_offered();
    };
    let now = web.now();
    let round = match take_round(&web, &q, Platform::Tiktok).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (business, key, verifier) = (round.state.business, &round.key, round.verifier.clone());
    let back = |pesan: &str| round.back(pesan);
    if q.contains_key("error") || !q.contains_key("code") {
        tracing::info!(business = %key, error = q.get("error").map(String::as_str).unwrap_or(""), "the business did not grant access on TikTok");
        return back("batal");
    }
    let verifier = verifier.unwrap_or_default();
    let oauth = &tt.oauth;
    let grant = match oauth
        .exchange(&q["code"], &web.tiktok_redirect(), &verifier)
        .await
    {
        Ok(g) => g,
        Err(ApiError::TokenRefused(why)) => {
            tracing::warn!(business = %key, reason = %oauth.redact(&why), "TikTok refused the code");
            return back("kedaluwarsa");
        }
        Err(e) => {
            tracing::warn!(business = %key, error = %oauth.redact(&e.to_string()), "the code exchange failed");
            return back("gagal");
        }
    };
    let (handle, _display) = match oauth.whoami(&grant).await {
        Ok(who) => who,
        Err(e) => {
            tracing::warn!(business = %key, error = %oauth.redact(&e.to_string()), "cannot read who connected");
            return back("gagal");
        }
    };
    let missing = crate::consent::tiktok::missing_scopes(&grant.scope);
    let update = crate::consent::keeper::sealed(&web.vault, Platform::Tiktok, &grant, now);
    let connection = NewConnection {
        business,
        platform: Platform::Tiktok,
        external_id: grant.open_id.clone(),
        handle,
        grantor: None,
        status: if missing.is_empty() {
            ConnectionStatus::Connected
        } else {
            ConnectionStatus::Partial
        },
        status_reason: (!missing.is_empty())
            .then(|| format!("not granted: {}", missing.join(", "))),
        scopes: grant.scope.clone(),
        access_token: update.access_token,
        refresh_token: update.refresh_token,
        access_expires_at: update.access_expires_at,
        refresh_expires_at: update.refresh_expires_at,
    };
    match web
        .writer
        .run(move |s| s.save_connection(&connection, now))
        .await
    {
        Ok(_) => {
            tracing::info!(business = %key, partial = !missing.is_empty(), "TikTok connected");
            back(if missing.is_empty() {
                "terhubung"
            } else {
                "sebagian"
            })
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot store a connection");
            server_error(lang)
        }
    }
}

/// A finished round trip: what was kept for it, its business's key, the link it
/// started from (while that works; a fresh one once it expired) to go back to, and the
/// PKCE verifier, opened, where one was kept.
pub(super) struct Round {
    pub state: OauthState,
    pub key: String,
    pub link: String,
    pub verifier: Option<String>,
}

/// What a kept verifier is sealed with: its round trip's `state`.
fn verifier_context(state: &str) -> String {
    format!("oauth|{state}|verifier")
}

/// Starts a round trip for `business` on `platform` from the link that expires at
/// `link_expires`: a fresh one-time `state` kept (with `verifier`, sealed) for
/// [`STATE_SECONDS`]; its value, or the page to show when it could not be kept.
pub(super) async fn begin_round(
    web: &Web,
    business: BusinessId,
    platform: Platform,
    link_expires: i64,
    verifier: Option<&str>,
) -> Result<String, Response> {
    let state = signing::random_token();
    let sealed = verifier.map(|v| web.vault.seal(&verifier_context(&state), v));
    let now = web.now();
    let kept = state.clone();
    let saved = web
        .writer
        .run(move |s| {
            s.put_oauth_state(
                &kept,
                &OauthState {
                    business,
                    platform,
                    verifier: sealed,
                    link_expires_at: Some(link_expires),
                },
                now,
                now + STATE_SECONDS,
            )
        })
        .await;
    match saved {
        Ok(()) => Ok(state),
        Err(e) => {
            tracing::error!(error = %e, "cannot keep an OAuth state");
            Err(server_error(Lang::Id))
        }
    }
}

impl Round {
    /// Back to the business's link, with what happened to show there.
    pub fn back(&self, pesan: &str) -> Response {
        see_other(&format!("{}?pesan={pesan}", self.link))
    }
}

/// Takes the round trip the callback's `state` names for good, before anything else is
/// done with it: an unknown, used or expired state (a reloaded callback, a forged one)
/// is refused and nothing reaches the platform.
pub(super) async fn take_round(
    web: &Web,
    q: &HashMap<String, String>,
    platform: Platform,
) -> Result<Round, Response> {
    let state = q.get("state").map(String::as_str).unwrap_or_default();
    let lang = Lang::Id;
    let now = web.now();
    let taken = if state.is_empty() {
        Ok(None)
    } else {
        let s = state.to_string();
        web.writer.run(move |st| st.take_oauth_state(&s, now)).await
    };
    let round = match taken {
        Ok(Some(round)) if round.platform == platform => round,
        Ok(_) => {
            tracing::warn!(%platform, "an OAuth callback with an unknown, used or expired state was refused");
            return Err(html(
                StatusCode::BAD_REQUEST,
                pages::message(
                    lang,
                    "Tautan masuk tidak berlaku",
                    "Proses masuk ini sudah kedaluwarsa atau sudah dipakai. Buka lagi tautan pribadi Anda dan tekan tombol hubungkan sekali lagi.",
                ),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read an OAuth state");
            return Err(server_error(lang));
        }
    };
    let business = round.business;
    let Ok(Some((key, _))) = web.writer.run(move |s| s.business_by_id(business)).await else {
        return Err(server_error(lang));
    };
    let link = match round.link_expires_at.filter(|e| *e > now) {
        Some(expires) => super::personal_link(&web.public_url, &web.vault, &key, expires),
        None => web.link(&key),
    };
    let verifier = round
        .verifier
        .as_deref()
        .and_then(|v| web.vault.open(&verifier_context(state), v).ok());
    Ok(Round {
        state: round,
        key,
        link,
        verifier,
    })
}

/// "Disconnect": revoke at TikTok with the access token (renewed first if need be,
/// §6.5), then delete the tokens whatever TikTok answered.
pub async fn disconnect_tiktok(
    State(web): State<Shared>,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(tt) = web.tiktok.as_ref() else {
        return not_offered();
    };
    let (business, key, _) = match checked_form(&web, &token, &form).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let conns = match web.writer.run(move |s| s.connections_of(business)).await {
        Ok(c) => c,
        Err(_) => return server_error(Lang::Id),
    };
    let now = web.now();
    for c in conns
        .into_iter()
        .filter(|c| c.platform == Platform::Tiktok && c.status != ConnectionStatus::Revoked)
    {
        if c.status.usable()
            && let Some(access) = tt.keeper.access(&c, false).await
            && let Err(e) = tt.oauth.revoke(&access).await
        {
            tracing::warn!(business = %key, error = %tt.keeper.redact(&e.to_string()), "TikTok did not confirm the revocation; the tokens are deleted anyway");
        }
        let id = c.id;
        if let Err(e) = web
            .writer
            .run(move |s| {
                s.mark_connection(
                    id,
                    ConnectionStatus::Revoked,
                    "disconnected on the business's page",
                    now,
                )
            })
            .await
        {
            tracing::error!(error = %e, "cannot delete a connection's tokens");
            return server_error(Lang::Id);
        }
        tracing::info!(business = %key, "TikTok disconnected");
    }
    see_other(&format!("/hubungkan/{token}?pesan=putus"))
}
