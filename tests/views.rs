//! Specification of the dashboard views on a small hand-built dataset. Days are WIB
//! (UTC+7): 00:30 WIB on the 21st is still the 20th in UTC, so a view that counted days
//! in UTC would fail here.

mod common;

use common::Workspace;
use common::dataset::dataset;
use jempol::store::Store;
use rusqlite::types::Value;

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
    // p2 was published the day before YouTube's tracking began: its counts at first
    // sight are kept apart; p1, published on Instagram's first tracked day, has none.
    let before = rows(
        &store,
        "SELECT platform_post_id, likes_before_tracking, comments_before_tracking, views_before_tracking
         FROM posts_latest WHERE platform_post_id IN ('p1', 'p2') ORDER BY platform_post_id",
    );
    assert_eq!(
        before,
        vec![
            vec![text("p1"), Value::Null, Value::Null, Value::Null],
            vec![text("p2"), Value::Null, int(5), int(100)],
        ]
    );
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
        // p2 was published on the 19th, before jempol tracked YouTube (from the 20th,
        // 12:00): that day's gains are unknown (NULL, never 0), and no follower figure yet.
        vec![
            text("2026-11-19"),
            text("PDG-1"),
            text("Dendeng Uni Lis"),
            text("youtube"),
            int(1),
            n.clone(),
            n.clone(),
            n.clone(),
            n.clone(),
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
        // No YouTube row on the 20th: p2's 100 views and 5 comments at first sight were
        // gathered before tracking (posts_latest.views_before_tracking), no day's gain.
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
        ],
        "p2's counts at first sight are from before YouTube's tracking: no gain on the 20th"
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
