//! Facebook Login for Business on a business's connect page (platform-apis-consent.md
//! §8–9): one login connects its Facebook Page and the Instagram professional account
//! linked to it. jempol keeps the Page tokens (no expiry when taken with a long-lived
//! user token, §8.4), sealed; disconnect ends the whole login with the app token.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::Shared;
use super::connect::{begin_round, checked_form, not_offered, see_other, server_error, take_round};
use super::pages::Lang;
use crate::consent::token_context;
use crate::platform::{ApiError, Platform};
use crate::store::{ConnectionStatus, NewConnection};

/// What the Facebook Login for Business configuration grants (all or none, §8.0).
const PERMISSIONS: &str =
    "pages_show_list,pages_read_engagement,instagram_basic,instagram_manage_insights";

/// "Connect Facebook & Instagram": a one-time `state`, then Meta's login dialog.
pub async fn start(
    State(web): State<Shared>,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(meta) = web.meta.as_ref() else {
        return not_offered();
    };
    let (business, _, link_expires) = match checked_form(&web, &token, &form).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let state = match begin_round(&web, business, Platform::Facebook, link_expires, None).await {
        Ok(state) => state,
        Err(r) => return r,
    };
    see_other(&meta.dialog_url(&web.meta_redirect(), &state))
}

/// Where Meta sends the browser back (§8.1): the state first, then the exchange.
pub async fn callback(
    State(web): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = Lang::Id;
    let Some(meta) = web.meta.as_ref() else {
        return not_offered();
    };
    let now = web.now();
    let round = match take_round(&web, &q, Platform::Facebook).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (business, key) = (round.state.business, &round.key);
    let back = |pesan: &str| round.back(pesan);
    if q.contains_key("error") || !q.contains_key("code") {
        tracing::info!(business = %key, reason = q.get("error_reason").map(String::as_str).unwrap_or(""), "the business did not grant access on Facebook");
        return back("meta-batal");
    }
    let grant = match meta.connect(&q["code"], &web.meta_redirect()).await {
        Ok(g) => g,
        Err(ApiError::Invalid(why)) if why.contains("authorization code") => {
            tracing::warn!(business = %key, reason = %meta.redact(&why), "Meta refused the code");
            return back("kedaluwarsa");
        }
        Err(e) => {
            tracing::warn!(business = %key, error = %meta.redact(&e.to_string()), "the Facebook login could not be finished");
            return back("gagal");
        }
    };
    if grant.pages.is_empty() {
        return back("meta-kosong");
    }
    let mut rows = Vec::new();
    for p in &grant.pages {
        // Reading a Page's posts needs one of these tasks (§8.4).
        let can_read = p
            .tasks
            .iter()
            .any(|t| matches!(t.as_str(), "CREATE_CONTENT" | "MANAGE" | "MODERATE"));
        let seal = |platform: Platform, id: &str| {
            web.vault
                .seal(&token_context(platform, id, "access"), &p.access_token)
        };
        rows.push(NewConnection {
            business,
            platform: Platform::Facebook,
            external_id: p.page_id.clone(),
            handle: Some(p.username.clone().unwrap_or_else(|| p.page_id.clone())),
            grantor: Some(grant.user_id.clone()),
            status: if can_read { ConnectionStatus::Connected } else { ConnectionStatus::Partial },
            status_reason: (!can_read).then(|| "the person's role on the Page cannot read its posts: ask the Page's owner to connect".into()),
            scopes: PERMISSIONS.into(),
            access_token: seal(Platform::Facebook, &p.page_id),
            refresh_token: None,
            access_expires_at: None,
            refresh_expires_at: None,
        });
        if let Some((ig_id, ig_user)) = &p.instagram {
            rows.push(NewConnection {
                business,
                platform: Platform::Instagram,
                external_id: ig_id.clone(),
                handle: (!ig_user.is_empty()).then(|| ig_user.clone()),
                grantor: Some(grant.user_id.clone()),
                status: ConnectionStatus::Connected,
                status_reason: None,
                scopes: PERMISSIONS.into(),
                access_token: seal(Platform::Instagram, ig_id),
                refresh_token: None,
                access_expires_at: None,
                refresh_expires_at: None,
            });
        }
    }
    let saved = web
        .writer
        .run(move |s| {
            for row in &rows {
                s.save_connection(row, now)?;
            }
            Ok(())
        })
        .await;
    match saved {
        Ok(()) => {
            tracing::info!(business = %key, pages = grant.pages.len(), "Facebook and Instagram connected");
            back("meta-terhubung")
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot store a connection");
            server_error(lang)
        }
    }
}

/// "Disconnect": end the whole login at Meta, then delete the tokens whatever it said.
pub async fn disconnect(
    State(web): State<Shared>,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(meta) = web.meta.as_ref() else {
        return not_offered();
    };
    let (business, key, _) = match checked_form(&web, &token, &form).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(conns) = web.writer.run(move |s| s.connections_of(business)).await else {
        return server_error(Lang::Id);
    };
    let meta_conns: Vec<_> = conns
        .into_iter()
        .filter(|c| {
            matches!(c.platform, Platform::Facebook | Platform::Instagram)
                && c.status != ConnectionStatus::Revoked
        })
        .collect();
    let mut grantors: Vec<String> = meta_conns
        .iter()
        .filter_map(|c| c.grantor.clone())
        .collect();
    grantors.sort();
    grantors.dedup();
    for g in &grantors {
        if let Err(e) = meta.revoke(g).await {
            tracing::warn!(business = %key, error = %meta.redact(&e.to_string()), "Meta did not confirm the revocation; the tokens are deleted anyway");
        }
    }
    let now = web.now();
    let ids: Vec<_> = meta_conns.iter().map(|c| c.id).collect();
    let done = web
        .writer
        .run(move |s| {
            for id in ids {
                s.mark_connection(
                    id,
                    ConnectionStatus::Revoked,
                    "disconnected on the business's page",
                    now,
                )?;
            }
            Ok(())
        })
        .await;
    if done.is_err() {
        return server_error(Lang::Id);
    }
    see_other(&format!("/hubungkan/{token}?pesan=putus"))
}
