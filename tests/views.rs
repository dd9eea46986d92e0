//! Specification of the dashboard views on a small hand-built dataset. Days are WIB
//! (UTC+7): 00:30 WIB on the 21st is still the 20th in UTC, so a view that counted days
//! in UTC would fail here.

mod common;

use common::Workspace;
use jempol::platform::{AccountRef, AccountStats, Counts, Platform, Post};
use jempol::registry::Business;
use jempol::store::Store;
use rusqlite::types::Value;

/// Unix seconds of a WIB wall-clock time.
fn wib(local: &str) -> i64 {
    let ts: jiff::Timestamp = format!("{local}+07:00").parse().unwrap();
    ts.as_second()
}

fn account(handle: &str) -> Option<AccountRef> {
    Some(AccountRef {
        handle: Some(handle.into()),
        ..Default::default()
    })
}

fn post(platform: Platform, id: &str, handle: &str, posted: &str, counts: Counts) -> Post {
    Post {
        platform,
        id: id.into(),
        account: account(handle),
        permalink: Some(format!("https://example.invalid/{id}")),
        caption: Some("Mantap #UMKMKotaPadangMajuBersama".into()),
        media_type: None,
        posted_at: Some(format!("{posted}+07:00").parse().unwrap()),
        counts,
    }
}

fn c(likes: Option<u64>, comments: Option<u64>, shares: Option<u64>, views: Option<u64>) -> Counts {
    Counts {
        likes,
        comments,
        shares,
        views,
    }
}

fn followers(handle: &str, n: u64) -> AccountStats {
    AccountStats {
        platform: Platform::Instagram,
        account: AccountRef {
            handle: Some(handle.into()),
            ..Default::default()
        },
        followers: Some(n),
        following: None,
        media_count: None,
        total_likes: None,
        total_views: None,
    }
}

/// PDG-1 on Instagram (p1) and YouTube (p2, likes hidden); PDG-2 on TikTok (p3, likes
/// go down); an Instagram account outside the registry (p4).
fn dataset(ws: &Workspace) -> Store {
    let mut store = Store::open(&ws.database()).unwrap();
    let biz = |key: &str, name: &str, handles: Vec<(Platform, String)>| Business {
        key: key.into(),
        name: name.into(),
        category: Some("kuliner".into()),
        district: Some("Padang Utara".into()),
        handles,
    };
    store
        .import_businesses(
            &[
                biz(
                    "PDG-1",
                    "Dendeng Uni Lis",
                    vec![
                        (Platform::Instagram, "a.ig".into()),
                        (Platform::Youtube, "@a".into()),
                    ],
                ),
                biz(
                    "PDG-2",
                    "Songket Bundo",
                    vec![(Platform::Tiktok, "b.tt".into())],
                ),
            ],
            wib("2026-11-01T00:00:00"),
        )
        .unwrap();

    let p1 = |likes, comments| {
        post(
            Platform::Instagram,
            "p1",
            "a.ig",
            "2026-11-20T09:00:00",
            c(Some(likes), Some(comments), None, None),
        )
    };
    let p2 = |views| {
        post(
            Platform::Youtube,
            "p2",
            "@a",
            "2026-11-19T12:00:00",
            c(None, Some(5), None, Some(views)),
        )
    };
    let p3 = |likes| {
        post(
            Platform::Tiktok,
            "p3",
            "b.tt",
            "2026-11-20T07:00:00",
            c(Some(likes), Some(1), Some(2), Some(500)),
        )
    };
    let p4 = post(
        Platform::Instagram,
        "p4",
        "orang.lain",
        "2026-11-20T10:00:00",
        c(Some(8), Some(0), None, None),
    );

    store
        .record_account_stats(&[followers("a.ig", 1000)], wib("2026-11-20T08:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(10, 1), p3(100), p4], wib("2026-11-20T10:00:00"))
        .unwrap();
    store
        .record_posts(&[p2(100)], wib("2026-11-20T12:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(30, 2)], wib("2026-11-20T23:30:00"))
        .unwrap();
    store
        .record_account_stats(&[followers("a.ig", 1010)], wib("2026-11-20T23:59:00"))
        .unwrap();
    store
        .record_account_stats(&[followers("a.ig", 1020)], wib("2026-11-21T00:01:00"))
        .unwrap();
    store
        .record_posts(&[p1(35, 2)], wib("2026-11-21T00:30:00"))
        .unwrap();
    store
        .record_posts(&[p2(160), p3(90)], wib("2026-11-21T12:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(50, 4)], wib("2026-11-21T20:00:00"))
        .unwrap();
    store
        .mark_deleted(Platform::Tiktok, &["p3".into()], wib("2026-11-22T09:00:00"))
        .unwrap();
    store
}

fn rows(store: &Store, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = store.connection().prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn int(v: i64) -> Value {
    Value::Integer(v)
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn posts_latest_has_one_row_per_post_with_its_latest_counts_in_wib() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let got = rows(
        &store,
        "SELECT platform, platform_post_id, business_key, account, posted_at, likes, comments, shares, views, taken_at
         FROM posts_latest ORDER BY platform_post_id",
    );
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[0],
        vec![
            text("instagram"),
            text("p1"),
            text("PDG-1"),
            text("a.ig"),
            text("2026-11-20T09:00:00+07:00"),
            int(50),
            int(4),
            Value::Null,
            Value::Null,
            text("2026-11-21T20:00:00+07:00")
        ]
    );
    assert_eq!(got[1][5], Value::Null, "hidden YouTube likes stay NULL");
    assert_eq!(got[1][8], int(160));
    assert_eq!(
        got[3][2],
        Value::Null,
        "p4's account is not in the registry"
    );
    let deleted = rows(
        &store,
        "SELECT deleted_at FROM posts_latest WHERE platform_post_id = 'p3'",
    );
    assert_eq!(deleted[0][0], text("2026-11-22T09:00:00+07:00"));
}

#[test]
fn business_daily_counts_gains_per_wib_day() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let got = rows(
        &store,
        "SELECT day, business_key, business_name, platform, posts_published,
                likes_gained, comments_gained, shares_gained, views_gained, followers
         FROM business_daily ORDER BY day, business_key, platform",
    );
    let n = Value::Null;
    let expected = vec![
        // p2 was published on the 19th, before jempol first saw it: nothing changed
        // that day as far as anyone saw (0; shares NULL: YouTube never reports them),
        // and no follower figure yet (NULL).
        vec![
            text("2026-11-19"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("youtube"),
            int(1),
            int(0),
            int(0),
            n.clone(),
            int(0),
            n.clone(),
        ],
        // p1: 0 → 30 by 23:30 WIB; followers 1010 at 23:59 (the 00:01 figure is the next day's).
        vec![
            text("2026-11-20"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("instagram"),
            int(1),
            int(30),
            int(2),
            n.clone(),
            n.clone(),
            int(1010),
        ],
        // p2 first seen: views minus zero; likes hidden → unknown, not 0.
        vec![
            text("2026-11-20"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("youtube"),
            int(0),
            n.clone(),
            int(5),
            n.clone(),
            int(100),
            n.clone(),
        ],
        vec![
            text("2026-11-20"),
            text("PDG-2"),
            text("Songket Bundo"),
            text("tiktok"),
            int(1),
            int(100),
            int(1),
            int(2),
            int(500),
            n.clone(),
        ],
        // 00:30 WIB on the 21st belongs to the 21st: 30 → 50.
        vec![
            text("2026-11-21"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("instagram"),
            int(0),
            int(20),
            int(2),
            n.clone(),
            n.clone(),
            int(1020),
        ],
        vec![
            text("2026-11-21"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("youtube"),
            int(0),
            n.clone(),
            int(0),
            n.clone(),
            int(60),
            n.clone(),
        ],
        // Counts that go down are reported as they are.
        vec![
            text("2026-11-21"),
            text("PDG-2"),
            text("Songket Bundo"),
            text("tiktok"),
            int(0),
            int(-10),
            int(0),
            int(0),
            int(0),
            n.clone(),
        ],
    ];
    assert_eq!(got, expected);
}

#[test]
fn campaign_daily_sums_businesses_per_day_and_platform() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let got = rows(
        &store,
        "SELECT day, platform, posts_published, likes_gained, comments_gained, shares_gained, views_gained, followers
         FROM campaign_daily WHERE day = '2026-11-20' ORDER BY platform",
    );
    let n = Value::Null;
    assert_eq!(
        got,
        vec![
            vec![
                text("2026-11-20"),
                text("instagram"),
                int(1),
                int(30),
                int(2),
                n.clone(),
                n.clone(),
                int(1010)
            ],
            vec![
                text("2026-11-20"),
                text("tiktok"),
                int(1),
                int(100),
                int(1),
                int(2),
                int(500),
                n.clone()
            ],
            vec![
                text("2026-11-20"),
                text("youtube"),
                int(0),
                n.clone(),
                int(5),
                n.clone(),
                int(100),
                n.clone()
            ],
        ]
    );
    // The same totals as summing business_daily independently.
    let check = rows(
        &store,
        "SELECT (SELECT sum(likes_gained) FROM business_daily WHERE day = '2026-11-21'),
                (SELECT sum(likes_gained) FROM campaign_daily WHERE day = '2026-11-21')",
    );
    assert_eq!(check[0][0], int(10));
    assert_eq!(check[0][0], check[0][1]);
}

#[test]
fn views_follow_the_configured_campaign_time_zone() {
    let ws = Workspace::new();
    let mut store = dataset(&ws);
    // WITA (UTC+8): 23:30 WIB on the 20th is 00:30 WITA on the 21st.
    store
        .set_campaign_timezone("Asia/Makassar", 28_800, "+08:00")
        .unwrap();
    let got = rows(
        &store,
        "SELECT day, likes_gained FROM business_daily WHERE business_key = 'PDG-1' AND platform = 'instagram' ORDER BY day",
    );
    assert_eq!(
        got,
        vec![
            vec![text("2026-11-20"), int(10)],
            vec![text("2026-11-21"), int(40)]
        ]
    );
    let posted = rows(
        &store,
        "SELECT posted_at FROM posts_latest WHERE platform_post_id = 'p1'",
    );
    assert_eq!(posted[0][0], text("2026-11-20T10:00:00+08:00"));
}
