//! Specification of consent (platform-apis-consent.md §6, §7, §10.4): a business opens
//! its personal link, connects its own TikTok through `jempol serve` and the simulated
//! Login Kit, and `poll --once` then reads its videos and followers with its own token;
//! tokens are sealed at rest and renewed, lapsed or revoked consent marks only that
//! business, and forged links, states and callbacks are refused.

mod common;

use common::consent::{CLIENT_SECRET, ConsentRig, KEY, connect_over_http, database_bytes, field};
use jempol::platform::Platform;
use rusqlite::Connection;

/// What the database holds of a business's TikTok connection: (status, handle,
/// sealed access token length).
fn connection(rig: &ConsentRig, key: &str) -> Option<(String, Option<String>, Option<i64>)> {
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    db.query_row(
        "SELECT c.status, c.handle, length(c.access_token) FROM connections c
         JOIN businesses b ON b.id = c.business_id WHERE b.key = ?1 AND c.platform = 'tiktok'",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

fn requests(rig: &ConsentRig, endpoint: &str) -> u64 {
    rig.sim
        .state
        .stats()
        .requests
        .get(&format!("tiktok {endpoint}"))
        .copied()
        .unwrap_or(0)
}

/// No token, code or secret the simulator issued, in clear.
fn assert_no_secret(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for needle in ["act.sim", "rft.sim", "*Code!", CLIENT_SECRET, KEY] {
        assert!(!text.contains(needle), "{needle} in {what}");
    }
}

#[test]
fn a_business_connects_tiktok_through_its_link_and_poll_once_stores_its_videos_and_followers() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let link = rig.link(&key);
    assert!(
        link.starts_with(&format!("{}/hubungkan/", rig.public)),
        "{link}"
    );

    let (landed, page) = connect_over_http(&link, &username, true, &[]);
    assert!(landed.contains("pesan=terhubung"), "{landed}");
    assert!(page.contains(&format!("@{username}")), "{page}");
    let (status, handle, sealed) = connection(&rig, &key).expect("a connection");
    assert_eq!(status, "connected");
    assert_eq!(handle.as_deref(), Some(username.as_str()));
    assert!(sealed.unwrap() > 28, "a sealed token is stored");

    let (out, err) = rig.run(&["poll", "--once", "--platform", "tiktok", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report[0]["outcome"], "ok", "{out}\n{err}");

    // What the database holds equals the simulator's truth for this account.
    let w = &rig.sim.state.world;
    let now = rig.sim.state.now();
    let (_, account) = w.account_by_handle(Platform::Tiktok, &username).unwrap();
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let mut expected = 0;
    for (_, post) in w.visible_posts(account, now).filter(|(_, p)| w.tagged(p)) {
        if post.posted_at < now - 30 * 86_400 {
            continue;
        }
        expected += 1;
        let counts = w.reported(post, now);
        let stored: (Option<i64>, Option<i64>, Option<i64>, Option<i64>, String) = db
            .query_row(
                "SELECT likes, comments, shares, views, business_key FROM posts_latest
                 WHERE platform = 'tiktok' AND platform_post_id = ?1",
                [&post.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap_or_else(|e| panic!("video {} not stored: {e}", post.id));
        let as_i64 = |c: Option<u64>| c.map(|c| c as i64);
        assert_eq!(
            (stored.0, stored.1, stored.2, stored.3),
            (
                as_i64(counts.likes),
                as_i64(counts.comments),
                as_i64(counts.shares),
                as_i64(counts.views)
            ),
            "video {}",
            post.id
        );
        assert_eq!(stored.4, key, "credited to the business that connected");
    }
    assert!(expected > 0);
    let untagged: i64 = db
        .query_row(
            "SELECT count(*) FROM posts WHERE platform = 'tiktok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(untagged, expected, "only the tagged videos are stored");
    let followers: i64 = db
        .query_row(
            "SELECT s.followers FROM account_snapshots s JOIN accounts a ON a.id = s.account_id
             WHERE a.platform = 'tiktok' AND a.handle = ?1 ORDER BY s.taken_at DESC LIMIT 1",
            [&username],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(Some(followers as u64), w.figures(account, now).followers);

    // The view dashboards read names the connection, never a token.
    let (view_status, ends): (String, Option<String>) = db
        .query_row(
            "SELECT status, consent_ends_at FROM business_connections WHERE business_key = ?1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(view_status, "connected");
    assert!(ends.is_some_and(|e| e.ends_with("+07:00")));

    // No token in clear: not in the database, its WAL, serve's log or poll's output.
    assert_no_secret("the database", &database_bytes(&rig.path("jempol.db")));
    assert_no_secret("serve's log", rig.serve_log().as_bytes());
    assert_no_secret("poll's output", format!("{out}{err}").as_bytes());
}

#[test]
fn cancel_on_tiktoks_page_says_so_and_connects_nothing() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let (landed, page) = connect_over_http(&rig.link(&key), &username, false, &[]);
    assert!(landed.contains("pesan=batal"), "{landed}");
    assert!(page.contains("Anda membatalkan"), "{page}");
    assert_eq!(connection(&rig, &key), None);
    assert_eq!(
        requests(&rig, "oauth/token"),
        0,
        "no exchange after a cancel"
    );
}

#[test]
fn a_partial_grant_is_saved_as_partial_and_the_page_names_what_is_missing() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let (landed, page) = connect_over_http(&rig.link(&key), &username, true, &["user.info.stats"]);
    assert!(landed.contains("pesan=sebagian"), "{landed}");
    assert!(page.contains("user.info.stats"), "{page}");
    assert_eq!(connection(&rig, &key).unwrap().0, "partial");
    // Videos are read; followers, whose scope was refused, are not asked for.
    rig.run(&["poll", "--once", "--platform", "tiktok"]);
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let posts: i64 = db
        .query_row(
            "SELECT count(*) FROM posts WHERE platform = 'tiktok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(posts > 0);
    let followers: Option<i64> = db
        .query_row(
            "SELECT max(s.followers) FROM account_snapshots s JOIN accounts a ON a.id = s.account_id WHERE a.handle = ?1",
            [&username],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(followers, None, "unknown, not 0");
}

#[test]
fn a_tampered_or_expired_link_and_a_callback_with_a_wrong_state_are_refused() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, _) = rig.business_with_tagged_videos(0);
    let link = rig.link(&key);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // One character of the MAC changed.
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let r = http.get(&tampered).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("Tautan tidak dikenal"));
    // Signed with the campaign's key, but expired.
    let vault = jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap();
    let old =
        jempol::consent::signing::link_token(&vault, &key, jiff::Timestamp::now().as_second() - 1);
    let r = http
        .get(format!("{}/hubungkan/{old}", rig.public))
        .send()
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().unwrap().contains("kedaluwarsa"));
    // A form without the page's CSRF value starts nothing.
    let r = http
        .post(format!("{link}/tiktok"))
        .form(&[("csrf", "00")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // A callback whose state jempol never issued: refused before any exchange.
    let r = http
        .get(format!(
            "{}/oauth/tiktok?code=sim000001*Code!0&scopes=video.list&state=forged",
            rig.public
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(requests(&rig, "oauth/token"), 0, "nothing reached TikTok");
    // A real state, used twice (a reloaded callback): the second is refused.
    let page = http.get(&link).send().unwrap().text().unwrap();
    let start = http
        .post(format!("{link}/tiktok"))
        .form(&[("csrf", field(&page, "csrf"))])
        .send()
        .unwrap();
    let authorize = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let cancel = format!(
        "{}/oauth/tiktok?error=access_denied&state={state}",
        rig.public
    );
    assert_eq!(http.get(&cancel).send().unwrap().status(), 303);
    assert_eq!(http.get(&cancel).send().unwrap().status(), 400);
}
