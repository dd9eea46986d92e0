//! The JSON API beside the pages (`/api/v1/...`): the same figures, for agency
//! dashboards that cannot open the SQLite file. Every call needs a coordinator's bearer
//! token (`jempol users token`) or session. README, "Dashboard", documents each call.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;
use super::auth::require_api;
use super::dashboard::{Filters, LISTS, Span, business_page, post_page};
use super::figures::Key;
use crate::model::PostId;

/// The version of the API's shapes: bumped when a field changes meaning or goes away.
pub const API_VERSION: u32 = 1;

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn refused(status: StatusCode, error: &str, message: &str) -> Response {
    answer(status, json!({"error": error, "message": message}))
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "api: cannot read the figures");
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the figures cannot be read now; try again",
    )
}

macro_rules! or_refuse {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(m) => return refused(StatusCode::BAD_REQUEST, "bad_request", &m),
        }
    };
}

/// `GET /api/v1/overview?period=today|yesterday|7d|30d` (or `from`, `to`): the period's
/// totals, the period before's, per platform, the day-by-day trend (provisional marked).
pub async fn overview(
    State(web): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require_api(&web, &headers).await {
        return r;
    }
    let span = or_refuse!(Span::of(&q, web.today(), "7d"));
    let c = match web
        .figures
        .report(Key {
            from: span.from,
            to: span.to,
            platform: None,
        })
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let r = &c.value;
    answer(
        StatusCode::OK,
        json!({
            "api_version": API_VERSION,
            "period": span,
            "computed_at": c.at,
            "data_until": r.data_until,
            "settled_until": r.settled_until,
            "provisional": r.provisional,
            "registered_businesses": r.registered_businesses,
            "totals": r.totals,
            "previous": r.previous,
            "platforms": r.platforms,
            "trend": r.trend,
            "revisions": r.revisions,
        }),
    )
}

/// `GET /api/v1/leaderboard?period&platform&district&category&q&sort&page&page_size`.
pub async fn leaderboard(
    State(web): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require_api(&web, &headers).await {
        return r;
    }
    let span = or_refuse!(Span::of(&q, web.today(), "7d"));
    let filters = or_refuse!(Filters::of(&q));
    let size = match q.get("page_size").map(|s| s.parse::<usize>()) {
        None => web.page_size,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return refused(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "page_size: 1 to 1000",
            );
        }
    };
    let c = match web
        .figures
        .report(Key {
            from: span.from,
            to: span.to,
            platform: filters.platform,
        })
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let rows = filters.apply(&c.value);
    let total = rows.len();
    let page: Vec<_> = rows
        .into_iter()
        .skip((filters.page - 1) * size)
        .take(size)
        .collect();
    answer(
        StatusCode::OK,
        json!({
            "api_version": API_VERSION,
            "period": span,
            "filters": filters,
            "computed_at": c.at,
            "provisional": c.value.provisional,
            "total": total,
            "page": filters.page,
            "page_size": size,
            "rows": page,
        }),
    )
}

/// `GET /api/v1/businesses/{key}?period=`: its line, accounts, connections, 30 days per
/// platform, its daily rank over 14 days, its newest posts.
pub async fn business(
    State(web): State<Shared>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require_api(&web, &headers).await {
        return r;
    }
    let span = or_refuse!(Span::of(&q, web.today(), "7d"));
    match business_page(&web, key, span).await {
        Ok(Some(p)) => answer(
            StatusCode::OK,
            json!({"api_version": API_VERSION, "computed_at": p.computed_at, "business": p}),
        ),
        Ok(None) => refused(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such business in the registry",
        ),
        Err(e) => failed(e),
    }
}

/// `GET /api/v1/posts/{id}`: the post, its latest counts and every snapshot.
pub async fn post(
    State(web): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require_api(&web, &headers).await {
        return r;
    }
    let Ok(id) = id.parse::<i64>().map(PostId) else {
        return refused(StatusCode::NOT_FOUND, "not_found", "no such post");
    };
    match post_page(&web, id).await {
        Ok(Some(p)) => answer(
            StatusCode::OK,
            json!({
                "api_version": API_VERSION,
                "post": p.post,
                "business_key": p.business.as_ref().map(|b| &b.0),
                "business_name": p.business.as_ref().map(|b| &b.1),
                "snapshots": p.snapshots,
            }),
        ),
        Ok(None) => refused(StatusCode::NOT_FOUND, "not_found", "no such post"),
        Err(e) => failed(e),
    }
}

/// `GET /api/v1/lists/{sepi|belum-posting|luar-registri}?period=`.
pub async fn list(
    State(web): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require_api(&web, &headers).await {
        return r;
    }
    if !LISTS.iter().any(|(n, ..)| *n == name) {
        return refused(
            StatusCode::NOT_FOUND,
            "not_found",
            "lists: sepi, belum-posting, luar-registri",
        );
    }
    let span = or_refuse!(Span::of(&q, web.today(), "7d"));
    let c = match web
        .figures
        .report(Key {
            from: span.from,
            to: span.to,
            platform: None,
        })
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let r = &c.value;
    let rows = match name.as_str() {
        "sepi" => json!(r.gone_quiet),
        "belum-posting" => json!(r.not_posted_yet),
        _ => json!(r.outside_registry),
    };
    answer(
        StatusCode::OK,
        json!({"api_version": API_VERSION, "period": span, "computed_at": c.at, "rows": rows}),
    )
}
