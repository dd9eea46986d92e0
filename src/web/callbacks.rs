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
    let now = web.now();
    let header = headers
        .get("tiktok-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = verify_tiktok(header, &body, web.tiktok.oauth().client_secret(), now) {
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
