//! Specification of jempol against hostile servers: a response body that never ends and a
//! gzip bomb are refused with the daemon's memory bounded; a redirect is never followed,
//! so a token request never carries its secret to another host and another host's body is
//! never taken as platform data.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use common::Workspace;

/// Serves `app` on `ip` (any free port) in the background; returns `http://ip:port`.
fn serve(rt: &tokio::runtime::Runtime, ip: &str, app: Router) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(format!("{ip}:0")))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A gzip body that expands to `mib` MiB of spaces.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1 << 20];
    for _ in 0..mib {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap()
}

/// Runs `jempol poll --once` in `ws` and samples its memory until it exits: (output,
/// peak RSS in MB as /proc showed it last).
fn poll_with_peak(ws: &Workspace, env: &[(&str, &str)]) -> (std::process::Output, u64) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"));
    cmd.arg("--config")
        .arg(ws.config())
        .args(["poll", "--once"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::output_and_peak_mb(cmd)
}

const CAMPAIGN: &str = "[campaign]\nname = 'x'\nhashtags = ['UMKMKotaPadangMajuBersama']\n[storage]\ndatabase = 'jempol.db'\n";

#[test]
fn a_body_that_never_ends_and_a_gzip_bomb_are_refused_with_memory_bounded() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bomb = Bytes::from(gzip_bomb(1024)); // 1 GiB once inflated
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let app = Router::new()
        // Instagram's first request: the hashtag id, answered by spaces forever.
        .route(
            "/v25.0/ig_hashtag_search",
            get(async || {
                let endless = futures::stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 64 * 1024]))
                });
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from_stream(endless))
                    .unwrap()
            }),
        )
        // TikTok's token: a valid answer padded to 100 KiB, past the token cap.
        .route(
            "/v2/oauth/token/",
            post(async || {
                axum::Json(serde_json::json!({"access_token": "clt.x", "expires_in": 7200, "pad": " ".repeat(100 << 10)}))
            }),
        )
        // Facebook's first request: the Page, as a gzip bomb.
        .route(
            "/v25.0/{page}",
            get(move || {
                let bomb = bomb.clone();
                async move {
                    Response::builder()
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::CONTENT_ENCODING, "gzip")
                        .body(Body::from(bomb))
                        .unwrap()
                }
            }),
        );
    let base = serve(&rt, "127.0.0.1", app);
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.instagram]\nbase_url = '{base}'\nig_user_id = '1784'\n[platforms.facebook]\nbase_url = '{base}'\n[platforms.tiktok]\nbase_url = '{base}'\n[reports]\nenabled = false\n"
    ));
    ws.write(
        "umkm.csv",
        "key,name,facebook\nPDG-1,Usaha,102000000000007\n",
    );
    let env = [
        ("JEMPOL_INSTAGRAM_TOKEN", "EAAhostileIG"),
        ("JEMPOL_FACEBOOK_TOKEN", "EAAhostileFB"),
        ("JEMPOL_TIKTOK_CLIENT_KEY", "awHostileKey"),
        ("JEMPOL_TIKTOK_CLIENT_SECRET", "TThostileSecret"),
    ];
    ws.jempol_env(&["businesses", "import", "umkm.csv"], &env)
        .expect_code(0);
    let started = std::time::Instant::now();
    let (out, peak_mb) = poll_with_peak(&ws, &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "every platform failed: {stderr}"
    );
    assert_eq!(
        stderr.matches("response body is over 16 MiB").count(),
        2,
        "a clear error names the cap, for the endless body and for the bomb: {stderr}"
    );
    assert!(
        stderr.contains("the oauth/token response body is over 64 KiB"),
        "a token has a cap of its own: {stderr}"
    );
    assert!(peak_mb < 200, "peak RSS {peak_mb} MB");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "refused without retrying: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_redirect_is_never_followed_so_no_secret_reaches_another_host() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The other host counts what reaches it.
    let reached = Arc::new(AtomicUsize::new(0));
    let seen = reached.clone();
    let other = serve(
        &rt,
        "127.0.0.2",
        Router::new().fallback(any(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async {
                (
                    StatusCode::OK,
                    r#"{"access_token":"x","expires_in":7200,"data":[{"id":"1"}]}"#,
                )
            }
        })),
    );
    let to = other.clone();
    let app = Router::new()
        .route(
            "/v2/oauth/token/",
            post(move || {
                let to = to.clone();
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(
                            header::LOCATION,
                            format!("{to}/steal?client_secret=TTsecret&x=1"),
                        )],
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/v25.0/ig_hashtag_search",
            get(move || {
                let to = other.clone();
                async move {
                    (
                        StatusCode::FOUND,
                        [(
                            header::LOCATION,
                            format!("{to}/v25.0/ig_hashtag_search?access_token=EAAredirectIG"),
                        )],
                    )
                        .into_response()
                }
            }),
        );
    let base = serve(&rt, "127.0.0.1", app);
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.tiktok]\nbase_url = '{base}'\n[platforms.instagram]\nbase_url = '{base}'\nig_user_id = '1784'\n[reports]\nenabled = false\n"
    ));
    let env = [
        ("JEMPOL_TIKTOK_CLIENT_KEY", "awHostileKey"),
        ("JEMPOL_TIKTOK_CLIENT_SECRET", "TTsecretValue"),
        ("JEMPOL_INSTAGRAM_TOKEN", "EAAredirectIG"),
    ];
    let (out, _) = poll_with_peak(&ws, &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "nothing reached the other host"
    );
    assert!(
        stderr.contains("redirected to http://127.0.0.2:") && stderr.contains("/steal"),
        "the error says where it pointed: {stderr}"
    );
    for secret in ["TTsecret", "EAAredirectIG", "awHostileKey"] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
}

#[test]
fn secrets_quoted_back_in_any_encoding_and_issued_tokens_reach_no_output_nor_the_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = Router::new()
        // TikTok issues a token, then quotes it back in an error.
        .route(
            "/v2/oauth/token/",
            post(async || {
                axum::Json(serde_json::json!({"access_token": "clt.ISSUEDsecret123", "expires_in": 7200, "token_type": "Bearer"}))
            }),
        )
        .route(
            "/v2/research/video/query/",
            post(async || {
                (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"data": {}, "error": {
                    "code": "invalid_params",
                    "message": "rejected Bearer clt.ISSUEDsecret123 for client awKey%2Fslash",
                    "log_id": "1"}})))
            }),
        )
        // Graph quotes the app token percent-encoded and JSON-escaped.
        .route(
            "/v25.0/ig_hashtag_search",
            get(async || {
                (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": {
                    "message": "Invalid OAuth access token 1234567890%7CFBSECRET0001 (as sent: \"1234567890|FBSECRET0001\")",
                    "type": "OAuthException", "code": 100}})))
            }),
        );
    let base = serve(&rt, "127.0.0.1", app);
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.tiktok]\nbase_url = '{base}'\n[platforms.instagram]\nbase_url = '{base}'\nig_user_id = '1784'\n[reports]\nenabled = false\n"
    ));
    let env = [
        ("JEMPOL_TIKTOK_CLIENT_KEY", "awKey/slash"),
        ("JEMPOL_TIKTOK_CLIENT_SECRET", "TTsecretValue"),
        ("JEMPOL_INSTAGRAM_TOKEN", "1234567890|FBSECRET0001"),
    ];
    let poll = ws.jempol_env(&["-v", "poll", "--once", "--format", "json"], &env);
    let status = ws.jempol_env(&["status", "--format", "json"], &env);
    let mut seen = format!("{}{}{}", poll.stdout(), poll.stderr(), status.stdout());
    assert!(
        seen.contains("rejected Bearer *** for client ***"),
        "{seen}"
    );
    assert!(
        seen.contains("Invalid OAuth access token *** (as sent"),
        "{seen}"
    );
    seen.push_str(&String::from_utf8_lossy(
        &std::fs::read(ws.database()).unwrap(),
    ));
    for wal in ["jempol.db-wal"] {
        if let Ok(bytes) = std::fs::read(ws.path(wal)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    for secret in [
        "clt.ISSUEDsecret123",
        "FBSECRET0001",
        "awKey%2Fslash",
        "awKey/slash",
        "TTsecretValue",
    ] {
        assert!(
            !seen.contains(secret),
            "{secret} reached an output or the database"
        );
    }
}

#[test]
fn a_count_out_of_range_is_unknown_and_the_posts_beside_it_are_all_stored() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S+0000")
        .to_string();
    let media = serde_json::json!({"data": [
        {"id": "17900000000000001", "caption": "Satu #UMKMKotaPadangMajuBersama", "media_type": "IMAGE",
         "like_count": 12, "comments_count": 1, "permalink": "https://www.instagram.com/p/A/", "timestamp": now},
        {"id": "17900000000000002", "caption": "Dua #UMKMKotaPadangMajuBersama", "media_type": "IMAGE",
         "like_count": i64::MAX, "comments_count": 2, "permalink": "https://www.instagram.com/p/B/", "timestamp": now},
        {"id": "17900000000000003", "caption": "Tiga #UMKMKotaPadangMajuBersama", "media_type": "IMAGE",
         "like_count": 30, "comments_count": 3, "permalink": "https://www.instagram.com/p/C/", "timestamp": now}]});
    let app = Router::new()
        .route(
            "/v25.0/ig_hashtag_search",
            get(async || axum::Json(serde_json::json!({"data": [{"id": "17843000000000512"}]}))),
        )
        .route(
            "/v25.0/17843000000000512/recent_media",
            get(move || {
                let media = media.clone();
                async move { axum::Json(media) }
            }),
        )
        .route(
            "/v25.0/17843000000000512/top_media",
            get(async || axum::Json(serde_json::json!({"data": []}))),
        );
    let base = serve(&rt, "127.0.0.1", app);
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.instagram]\nbase_url = '{base}'\nig_user_id = '1784'\n[reports]\nenabled = false\n"
    ));
    let env = [("JEMPOL_INSTAGRAM_TOKEN", "EAAcounts")];
    let poll = ws.jempol_env(&["poll", "--once"], &env);
    assert_eq!(poll.code(), 0, "{}", poll.stderr());
    let db = rusqlite::Connection::open(ws.database()).unwrap();
    let rows: Vec<(String, Option<i64>, Option<i64>)> = db
        .prepare("SELECT platform_post_id, likes, comments FROM posts ORDER BY platform_post_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        rows,
        vec![
            ("17900000000000001".into(), Some(12), Some(1)),
            ("17900000000000002".into(), None, Some(2)),
            ("17900000000000003".into(), Some(30), Some(3)),
        ]
    );
    // The day's sums stay sane.
    let sum: Option<i64> = db
        .query_row("SELECT sum(likes) FROM day_totals", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sum, Some(42));
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let ws = Workspace::with_config(CAMPAIGN);
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_jempol"))
        .arg("--config")
        .arg(ws.config())
        .args(["status"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader went away, as `| head` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn hostile_text_reaches_no_screen_raw_in_markdown_the_terminal_or_a_spreadsheet() {
    use common::dataset::{c, post, wib};
    use jempol::platform::Platform;
    use jempol::report::{Format, Lang, Request, compute, render};
    let ws = Workspace::new();
    let mut store = jempol::store::Store::open(&ws.database()).unwrap();
    let name = "=HYPERLINK(\"http://phish.example\") <script>alert(1)</script>\x1b[2J\u{202E}";
    store
        .import_businesses(
            &[jempol::registry::Business {
                key: "PDG-1".into(),
                name: name.into(),
                category: Some("@SUM(A1)".into()),
                district: Some("**Padang** ![](http://pixel.example/t.gif)".into()),
                handles: vec![(Platform::Instagram, "a.ig".into())],
            }],
            wib("2026-11-01T00:00:00"),
        )
        .unwrap();
    let mut p = post(
        Platform::Instagram,
        "p1",
        "a.ig",
        "2026-11-20T09:00:00",
        c(Some(10), Some(1), None, None),
    );
    p.caption = Some(
        "Promo\x1b]0;pwned\x07 [klik](https://phish.example)\0 sisa #UMKMKotaPadangMajuBersama"
            .into(),
    );
    store
        .record_posts(&[p], wib("2026-11-20T10:00:00"))
        .unwrap();
    let d: jiff::civil::Date = "2026-11-20".parse().unwrap();
    let r = compute(
        &store,
        &Request {
            campaign: "x".into(),
            hashtags: vec![],
            timezone: "Asia/Jakarta".into(),
            from: d,
            to: d,
            platform: None,
            trend_days: 1,
            scope: Default::default(),
        },
    )
    .unwrap();
    let md = render(&r, Format::Md, Lang::En, None);
    for raw in ["<script", "**Padang**", "\x1b", "\u{202E}"] {
        assert!(!md.contains(raw), "Markdown has {raw:?}: {md}");
    }
    // No link or image syntax of its own: every `]` that a `(` follows is escaped.
    assert!(!md.replace("\\]", "").contains("]("), "{md}");
    assert!(
        !md.contains("(https://phish") && !md.contains("(http://pixel"),
        "{md}"
    );
    let table = render(&r, Format::Table, Lang::En, None);
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "{table:?}"
    );
    assert!(!table.contains('\u{202E}'));
    let csv = render(&r, Format::Csv, Lang::En, None);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    for cell in row.iter() {
        assert!(
            !(cell.starts_with(['=', '+', '@'])
                || cell.starts_with('-') && cell.parse::<f64>().is_err()),
            "a formula-like cell: {cell:?}"
        );
    }
    assert!(row.iter().any(|c| c.starts_with("'=HYPERLINK")));
    // The Telegram summary is plain text on a phone: no control or bidi character.
    let summary = jempol::daily::summary_text(&r, Lang::Id);
    assert!(summary.contains("HYPERLINK"), "{summary}");
    assert!(
        !summary
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202E}'),
        "{summary:?}"
    );
    // A caption's NUL is dropped as it is parsed (every platform's parser stores captions
    // through `stored_caption`).
    let parsed = jempol::platform::instagram::media_item(
        &[jempol::hashtag::Hashtag::parse("UMKMKotaPadangMajuBersama").unwrap()],
        &serde_json::json!({"id": "1", "caption": "Promo\u{0} sisa #UMKMKotaPadangMajuBersama"}),
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        parsed.caption.as_deref(),
        Some("Promo sisa #UMKMKotaPadangMajuBersama")
    );
}

#[test]
fn the_registry_listed_as_csv_shows_formulas_as_text_and_imports_back_unchanged() {
    let ws = Workspace::with_config(CAMPAIGN);
    ws.write(
        "umkm.csv",
        "key,name,category,instagram\nPDG-1,\"=HYPERLINK(\"\"http://x\"\")\",+kuliner,a.ig\n",
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    let listed = ws
        .jempol(&["businesses", "list", "--format", "csv"])
        .expect_code(0);
    assert!(
        listed.stdout().contains("'=HYPERLINK"),
        "{}",
        listed.stdout()
    );
    assert!(listed.stdout().contains("'+kuliner"), "{}", listed.stdout());
    ws.write("again.csv", listed.stdout());
    ws.jempol(&["businesses", "import", "again.csv"])
        .expect_code(0);
    let json = ws
        .jempol(&["businesses", "list", "--format", "json"])
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v[0]["name"], "=HYPERLINK(\"http://x\")");
    assert_eq!(v[0]["category"], "+kuliner");
}

#[test]
fn a_cursor_that_carries_a_credential_is_followed_but_never_stored() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pages = Arc::new(AtomicUsize::new(0));
    let served = pages.clone();
    let app = Router::new().route(
        "/youtube/v3/search",
        get(move || {
            let n = served.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    // The server folds the API key into its page token.
                    axum::Json(serde_json::json!({"kind": "youtube#searchListResponse",
                        "nextPageToken": "CAIQAA-AIzaSyCursorKey0042", "items": []}))
                        .into_response()
                } else {
                    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": {
                        "code": 400, "message": "Invalid page token",
                        "errors": [{"reason": "invalidPageToken", "domain": "youtube.parameter"}]}})))
                        .into_response()
                }
            }
        }),
    );
    let base = serve(&rt, "127.0.0.1", app);
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.youtube]\nbase_url = '{base}/youtube/v3'\n[reports]\nenabled = false\n"
    ));
    let env = [("JEMPOL_YOUTUBE_API_KEY", "AIzaSyCursorKey0042")];
    let poll = ws.jempol_env(&["-v", "poll", "--once"], &env);
    assert!(pages.load(Ordering::SeqCst) >= 2, "the cursor was followed");
    let mut seen = format!("{}{}", poll.stdout(), poll.stderr());
    for file in ["jempol.db", "jempol.db-wal"] {
        if let Ok(bytes) = std::fs::read(ws.path(file)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(
        !seen.contains("AIzaSyCursorKey0042"),
        "the key was stored or logged"
    );
    assert!(
        poll.stderr().contains("cursor carries a credential"),
        "{}",
        poll.stderr()
    );
}

#[test]
fn a_platform_that_cannot_be_reached_says_why_in_plain_text() {
    // Nothing listens on port 9 (discard) of the loopback.
    let ws = Workspace::with_config(&format!(
        "{CAMPAIGN}[platforms.youtube]\nbase_url = 'http://127.0.0.1:9'\n[reports]\nenabled = false\n"
    ));
    let run = ws.jempol_env(
        &["poll", "--once"],
        &[("JEMPOL_YOUTUBE_API_KEY", "AIzaUnreached")],
    );
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(
        err.contains("could not connect") && err.contains("Connection refused"),
        "{err}"
    );
    assert!(
        !err.contains('\x1b'),
        "no colour codes when stderr is not a terminal: {err:?}"
    );
    assert!(!err.contains("AIzaUnreached"), "{err}");
}
