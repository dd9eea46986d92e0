//! The platforms' own callbacks: TikTok's `authorization.removed` webhook when a user
//! disconnects the app in TikTok (platform-apis-consent.md §6.7). Signed with the
//! client secret; anything unsigned, forged or stale is refused and changes nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Shared;
use crate::consent::signing::verify_tiktok;
use crate::platform::Platform;
use crate::store::ConnectionStatus;

pub async fn tiktok(State(web): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(tt) = web.tiktok.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = web.now();
    let header = headers
        .get("tiktok-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = verify_tiktok(header, &body, tt.oauth.client_secret(), now) {
        tracing::warn!(reason = %e, "a TikTok webhook was refused");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let name = event["event"].as_str().unwrap_or("").to_string();
    if name != "authorization.removed" {
        return StatusCode::OK.into_response(); // other events: not jempol's concern
    }
    let open_id = event["user_openid"].as_str().unwrap_or("").to_string();
    // `content` is JSON inside a string (§6.7).
    let reason = event["content"]
        .as_str()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
        .and_then(|c| c["reason"].as_i64())
        .unwrap_or(0);
    let key = format!("{open_id}|{}|{name}", event["create_time"]);
    let outcome = web
        .writer
        .run(move |s| {
            // Delivered at least once: the second delivery changes nothing.
            if !s.record_consent_event(Platform::Tiktok, &key, now)? {
                return Ok(None);
            }
            let Some(c) = s.connection_by_external(Platform::Tiktok, &open_id)? else {
                return Ok(Some(false));
            };
            s.mark_connection(
                c.id,
                ConnectionStatus::Revoked,
                "disconnected in TikTok",
                now,
            )?;
            Ok(Some(true))
        })
        .await;
    match outcome {
        Ok(Some(true)) => tracing::info!(
            reason,
            "a business disconnected jempol in TikTok: its tokens are deleted"
        ),
        Ok(Some(false)) => {
            tracing::info!("authorization.removed for an account jempol does not hold")
        }
        Ok(None) => tracing::debug!("a repeated TikTok webhook"),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a TikTok webhook");
            // Not 200: TikTok delivers it again (§6.7).
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    StatusCode::OK.into_response()
}

/// The user whose `signed_request` this is, if Meta signed it (§8.7).
fn meta_user(web: &super::Web, body: &[u8]) -> Result<String, Response> {
    let Some(meta) = web.meta.as_ref() else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body).into_owned().collect();
    let signed = form.get("signed_request").map(String::as_str).unwrap_or("");
    match crate::consent::signing::verify_meta(signed, meta.app_secret()) {
        Ok(payload) => payload["user_id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| (StatusCode::BAD_REQUEST, "no user_id").into_response()),
        Err(e) => {
            tracing::warn!(reason = %e, "a Meta callback was refused");
            Err((StatusCode::UNAUTHORIZED, "signature refused").into_response())
        }
    }
}

/// Revokes every connection a Meta user granted; how many there were.
async fn revoke_granted(
    web: &super::Web,
    user: String,
    reason: &'static str,
) -> Result<usize, Response> {
    let now = web.now();
    web.writer
        .run(move |s| {
            let conns = s.connections_granted_by(&user)?;
            for c in &conns {
                s.mark_connection(c.id, ConnectionStatus::Revoked, reason, now)?;
            }
            Ok(conns.len())
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot revoke a Meta user's connections");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        })
}

/// The deauthorize callback: the user removed the app in Facebook's settings (§8.7).
pub async fn meta_deauthorize(State(web): State<Shared>, body: Bytes) -> Response {
    let user = match meta_user(&web, &body) {
        Ok(u) => u,
        Err(r) => return r,
    };
    match revoke_granted(&web, user, "removed in Facebook").await {
        Ok(n) => {
            tracing::info!(
                connections = n,
                "a business removed jempol in Facebook: its tokens are deleted"
            );
            StatusCode::OK.into_response()
        }
        Err(r) => r,
    }
}

/// The data-deletion callback: the tokens go at once; the reply names a page that says
/// so, with a confirmation code (§8.7). Posts already counted stay in the campaign's
/// records (the privacy statement says so).
pub async fn meta_deletion(State(web): State<Shared>, body: Bytes) -> Response {
    let user = match meta_user(&web, &body) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = revoke_granted(&web, user, "data deletion requested in Facebook").await {
        return r;
    }
    let code = format!("JMP-{}", &crate::consent::signing::random_token()[..8]).to_uppercase();
    let (kept, now) = (code.clone(), web.now());
    if web
        .writer
        .run(move |s| s.record_consent_event(Platform::Facebook, &format!("deletion|{kept}"), now))
        .await
        .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    axum::Json(serde_json::json!({
        "url": format!("{}/hapus-data/status?kode={code}", web.public_url),
        "confirmation_code": code,
    }))
    .into_response()
}

/// The page a data-deletion reply links to: the request's status in words.
pub async fn deletion_status(
    State(web): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let code = q.get("kode").cloned().unwrap_or_default();
    let lang = super::pages::Lang::from_query(q.get("lang").map(String::as_str));
    let known = {
        let key = format!("deletion|{code}");
        let now = web.now();
        // Recording it again tells whether it was there (and changes nothing if so).
        web.writer
            .run(move |s| Ok(!s.record_consent_event(Platform::Facebook, &key, now)?))
            .await
            .unwrap_or(false)
    };
    let (status, title, text) =
        if known {
            (
            StatusCode::OK,
            lang.t("Permintaan penghapusan selesai", "Deletion request completed"),
            lang.t(
                "Kunci akses akun Anda sudah dihapus dan jempol tidak lagi membaca akun itu.",
                "Your account's access keys are deleted and jempol no longer reads that account.",
            ),
        )
        } else {
            (
                StatusCode::NOT_FOUND,
                lang.t("Kode tidak dikenal", "Unknown code"),
                lang.t(
                    "Tidak ada permintaan penghapusan dengan kode ini.",
                    "There is no deletion request with this code.",
                ),
            )
        };
    super::connect::html(status, super::pages::message(lang, title, text))
}
