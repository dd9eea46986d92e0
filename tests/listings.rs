//! Specification of how a listing ends (`platform::pager`): against stand-ins whose
//! cursors repeat, a poll makes about the requests a minimal correct client needs; a
//! page that fails keeps what the pages before it brought; a platform that pages forever
//! is stopped within a few pages, with the budget kept for refreshing untouched.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::Workspace;
use serde_json::{Value, json};

const TAG: &str = "#UMKMKotaPadangMajuBersama";
const CAMPAIGN: &str = "[campaign]\nname = 'x'\nhashtags = ['UMKMKotaPadangMajuBersama']\n[storage]\ndatabase = 'jempol.db'\n[reports]\nenabled = false\n";

/// Every request a stand-in received: its path and, where it has one, its cursor.
type Log = Arc<Mutex<Vec<String>>>;

fn serve(rt: &tokio::runtime::Runtime, app: Router) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn count(log: &Log, part: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(part))
        .count()
}

fn recent() -> String {
    jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(3))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

fn ig_media(id: &str) -> Value {
    json!({"id": id, "caption": format!("Promo {TAG}"), "media_type": "IMAGE",
           "like_count": 10, "comments_count": 1, "timestamp": recent(),
           "permalink": format!("https://www.instagram.com/p/{id}/")})
}

/// Business Discovery of `username`, as the Graph API answers the campaign's account:
/// two posts and an `after` cursor that never changes (the listing has no page 2). The
/// account `gagal` fails on any page after the first.
fn business_discovery(fields: &str) -> Response {
    let username = fields
        .split("username(")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_default()
        .to_string();
    let page_two = fields.contains("media.after(");
    if username == "gagal" && page_two {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}})),
        )
            .into_response();
    }
    axum::Json(json!({
        "business_discovery": {
            "id": format!("9{}", username.len()), "username": username,
            "followers_count": 1200, "media_count": 2,
            "media": {"data": [ig_media(&format!("{username}1")), ig_media(&format!("{username}2"))],
                      "paging": {"cursors": {"after": "QVFIUlNBTUU"}}}},
        "id": "1784"}))
    .into_response()
}

/// Instagram and Facebook Graph stand-in: one hashtag, its `recent_media` and
/// `top_media` on one page each, Business Discovery as above, and Pages whose post
/// listing repeats page 1's cursor on page 2.
fn graph(log: Log) -> Router {
    Router::new()
        .route(
            "/v25.0/ig_hashtag_search",
            get(async |State(log): State<Log>| {
                log.lock().unwrap().push("ig_hashtag_search".into());
                axum::Json(json!({"data": [{"id": "17843"}]}))
            }),
        )
        .route(
            "/v25.0/{id}",
            get(
                async |State(log): State<Log>,
                       Path(id): Path<String>,
                       Query(q): Query<Vec<(String, String)>>| {
                    let fields = q
                        .iter()
                        .find(|(k, _)| k == "fields")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    if id == "1784" {
                        let after = fields.contains("media.after(");
                        log.lock()
                            .unwrap()
                            .push(format!("business_discovery after={after}"));
                        return business_discovery(&fields);
                    }
                    log.lock().unwrap().push(format!("page {id}"));
                    axum::Json(json!({"id": id, "name": "Usaha", "followers_count": 300}))
                        .into_response()
                },
            ),
        )
        .route(
            "/v25.0/{id}/{edge}",
            get(
                async |State(log): State<Log>,
                       Path((id, edge)): Path<(String, String)>,
                       Query(q): Query<Vec<(String, String)>>| {
                    let after = q
                        .iter()
                        .find(|(k, _)| k == "after")
                        .map(|(_, v)| v.clone());
                    log.lock()
                        .unwrap()
                        .push(format!("{edge} {id} after={after:?}"));
                    if edge != "posts" {
                        return axum::Json(json!({"data": [ig_media(&format!("{edge}9"))]}));
                    }
                    let post = |n: u32| {
                        json!({"id": format!("{id}_{n}"), "message": format!("Jualan {TAG}"),
                               "created_time": recent(), "shares": {"count": 1},
                               "reactions": {"summary": {"total_count": 5}},
                               "comments": {"summary": {"total_count": 2}}})
                    };
                    let (data, cursor) = match after.as_deref() {
                        None => (vec![post(1), post(2)], "QVFIUkFGVEVS"),
                        // Page 2 and every page after it: new posts once, then the same,
                        // always pointing at page 1's cursor again.
                        Some(_) => (vec![post(3), post(4)], "QVFIUkFGVEVS"),
                    };
                    axum::Json(json!({"data": data, "paging": {
                        "cursors": {"after": cursor},
                        "next": format!("https://graph.facebook.com/v25.0/{id}/posts?limit=100&after={cursor}&access_token=x")}}))
                },
            ),
        )
        .with_state(log)
}

fn workspace(base: &str, registry: &str) -> Workspace {
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.instagram]\nbase_url = '{base}'\nig_user_id = '1784'\n[platforms.facebook]\nbase_url = '{base}'\n"
    ));
    ws.write("umkm.csv", registry);
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    ws
}

const GRAPH_ENV: [(&str, &str); 2] = [
    ("JEMPOL_INSTAGRAM_TOKEN", "EAAlistingsIG"),
    ("JEMPOL_FACEBOOK_TOKEN", "EAAlistingsFB"),
];

#[test]
fn repeated_cursors_cost_about_what_a_minimal_client_spends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log: Log = Arc::default();
    let base = serve(&rt, graph(log.clone()));
    let ws = workspace(
        &base,
        "key,name,instagram,facebook\nPDG-1,Satu,satu,101\nPDG-2,Dua,dua,102\nPDG-3,Tiga,tiga,103\n",
    );
    ws.jempol_env(&["poll", "--once"], &GRAPH_ENV)
        .expect_code(0);

    // A minimal correct client: the hashtag id, one page of each hashtag edge; per
    // account, page 1 and the page its cursor names (which repeats it: the end); per Page,
    // its figures, page 1 and page 2 of its posts (page 2 names page 1's cursor again).
    let minimal = 1 + 2 + 3 * 2 + 3 * (1 + 2);
    let made = log.lock().unwrap().len();
    eprintln!("{made} requests, a minimal client {minimal}");
    assert!(
        made * 4 <= minimal * 5,
        "{made} requests where {minimal} suffice: {:#?}",
        log.lock().unwrap()
    );
    assert_eq!(count(&log, "business_discovery"), 6, "two pages an account");

    // Everything the pages showed is stored, and nothing was marked deleted.
    let store = jempol::store::Store::open(&ws.database()).unwrap();
    let stored: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM posts WHERE deleted_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stored,
        2 + 6 + 12,
        "2 hashtag media, 6 account media, 12 Page posts"
    );
}

#[test]
fn a_business_discovery_page_2_that_fails_keeps_page_1_posts_and_followers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log: Log = Arc::default();
    let base = serve(&rt, graph(log.clone()));
    let ws = workspace(&base, "key,name,instagram\nPDG-1,Gagal,gagal\n");
    ws.jempol_env(&["poll", "--once", "--platform", "instagram"], &GRAPH_ENV);
    assert_eq!(count(&log, "business_discovery after=true"), 1, "{log:?}");

    let store = jempol::store::Store::open(&ws.database()).unwrap();
    let posts: Vec<String> = store
        .connection()
        .prepare("SELECT platform_post_id FROM posts WHERE business_id IS NOT NULL ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(posts, ["gagal1", "gagal2"]);
    let followers: Option<i64> = store
        .connection()
        .query_row(
            "SELECT s.followers FROM account_snapshots s JOIN accounts a ON a.id = s.account_id WHERE a.handle = 'gagal'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(followers, Some(1200));
}

/// Instagram `recent_media` that hands the same two media under a new cursor forever.
fn endless_recent_media(log: Log) -> Router {
    Router::new()
        .route(
            "/v25.0/ig_hashtag_search",
            get(async || axum::Json(json!({"data": [{"id": "17843"}]}))),
        )
        .route(
            "/v25.0/17843/{edge}",
            get(async |State(log): State<Log>, Path(edge): Path<String>| {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(edge.clone());
                    log.len()
                };
                axum::Json(json!({"data": [ig_media("a1"), ig_media("a2")],
                                      "paging": {"cursors": {"after": format!("NEW{n}")}}}))
            }),
        )
        .with_state(log)
}

/// TikTok: a token, then `has_more: true` with empty pages forever.
fn endless_tiktok(log: Log) -> Router {
    Router::new()
        .route(
            "/v2/oauth/token/",
            post(async || {
                axum::Json(
                    json!({"access_token": "clt.x", "expires_in": 7200, "token_type": "Bearer"}),
                )
            }),
        )
        .route(
            "/v2/research/video/query/",
            post(
                async |State(log): State<Log>, axum::Json(body): axum::Json<Value>| {
                    log.lock().unwrap().push("video/query".into());
                    let cursor = body["cursor"].as_u64().unwrap_or(0) + 100;
                    axum::Json(
                        json!({"data": {"videos": [], "cursor": cursor, "has_more": true,
                                                "search_id": "7423"},
                                      "error": {"code": "ok", "message": "", "log_id": "1"}}),
                    )
                },
            ),
        )
        .with_state(log)
}

/// YouTube: one channel whose uploads playlist sends empty pages with a new token forever.
fn endless_uploads(log: Log) -> Router {
    Router::new()
        .route(
            "/channels",
            get(async |State(log): State<Log>| {
                log.lock().unwrap().push("channels".into());
                axum::Json(json!({"items": [{"id": "UCtenunSongket000000000A",
                    "snippet": {"title": "Tenun"},
                    "statistics": {"subscriberCount": "1000", "videoCount": "3"},
                    "contentDetails": {"relatedPlaylists": {"uploads": "UUtenunSongket000000000A"}}}]}))
            }),
        )
        .route(
            "/playlistItems",
            get(async |State(log): State<Log>| {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push("playlistItems".into());
                    log.len()
                };
                axum::Json(json!({"items": [], "nextPageToken": format!("T{n}")}))
            }),
        )
        .route(
            "/search",
            get(async |State(log): State<Log>| {
                log.lock().unwrap().push("search".into());
                axum::Json(json!({"items": []}))
            }),
        )
        .with_state(log)
}

#[test]
fn platforms_that_page_forever_are_stopped_within_a_few_pages_and_the_reserve_is_kept() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (ig, tt, yt): (Log, Log, Log) = Default::default();
    let ig_base = serve(&rt, endless_recent_media(ig.clone()));
    let tt_base = serve(&rt, endless_tiktok(tt.clone()));
    let yt_base = serve(&rt, endless_uploads(yt.clone()));
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.instagram]\nbase_url = '{ig_base}'\nig_user_id = '1784'\n\
         [platforms.tiktok]\nbase_url = '{tt_base}'\n\
         [platforms.youtube]\nbase_url = '{yt_base}'\n"
    ));
    ws.write(
        "umkm.csv",
        "key,name,youtube\nPDG-1,Tenun,UCtenunSongket000000000A\n",
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    let env = [
        ("JEMPOL_INSTAGRAM_TOKEN", "EAAforeverIG"),
        ("JEMPOL_TIKTOK_CLIENT_KEY", "awForeverKey"),
        ("JEMPOL_TIKTOK_CLIENT_SECRET", "ForeverSecret"),
        ("JEMPOL_YOUTUBE_API_KEY", "AIzaForever"),
    ];
    let run = ws.jempol_env(&["poll", "--once", "--format", "json"], &env);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());

    // recent_media's first page, and two that bring nothing new; then top_media the same.
    assert!(count(&ig, "recent_media") <= 3, "{:?}", ig.lock().unwrap());
    assert!(count(&ig, "top_media") <= 3, "{:?}", ig.lock().unwrap());
    // A window's first page (it opens the window), and two empty ones that promise more.
    assert!(count(&tt, "video/query") <= 3, "{:?}", tt.lock().unwrap());
    assert!(count(&yt, "playlistItems") <= 2, "{:?}", yt.lock().unwrap());

    // The budgets: what the listings spent left every refresh reserve (20 %) whole.
    let status = ws
        .jempol_env(&["status", "--format", "json"], &env)
        .expect_code(0);
    let status: Value = serde_json::from_str(&status.stdout()).unwrap();
    for p in status["platforms"].as_array().unwrap() {
        if let (Some(used), Some(limit)) =
            (p["quota"]["used"].as_u64(), p["quota"]["limit"].as_u64())
        {
            assert!(used * 10 <= limit, "{}: {used} of {limit}", p["platform"]);
        }
    }
}
