//! Specification of what "gained" means (README, "Definitions"): counts a post gathered
//! before jempol first saw it are never a gain of the day it was first seen; they belong
//! to its publication day when that day lies within tracking, or are kept apart as
//! "before tracking"; days before a platform's tracking began are unknown, never 0; the
//! views and the reports say the same; an existing database gets the definitions on
//! upgrade, and `jempol db rebuild-rollups` recomputes them.

mod common;

use common::Workspace;
use common::dataset::{c, post, wib};
use jempol::platform::Platform;
use jempol::registry::Business;
use jempol::report::{Request, compute};
use jempol::store::Store;
use rusqlite::types::Value;

fn store(ws: &Workspace) -> Store {
    let mut store = Store::open(&ws.database()).unwrap();
    store
        .import_businesses(
            &[Business {
                key: "PDG-1".into(),
                name: "Dendeng Uni Lis".into(),
                category: None,
                district: None,
                handles: vec![(Platform::Instagram, "a.ig".into())],
            }],
            wib("2026-10-01T00:00:00"),
        )
        .unwrap();
    store
}

/// Instagram is tracked from 1 Nov (a post seen that day); `late` was published on
/// 5 Nov and first seen on 15 Nov with 500 likes; `old` was published on 20 Oct, before
/// tracking, and first seen on 15 Nov with 300 likes.
fn campaign(ws: &Workspace) -> Store {
    let mut store = store(ws);
    let ig = |id: &str, posted: &str, likes: u64, comments: u64| {
        post(
            Platform::Instagram,
            id,
            "a.ig",
            posted,
            c(Some(likes), Some(comments), None, None),
        )
    };
    let late = |likes, comments| ig("late", "2026-11-05T09:00:00", likes, comments);
    let old = |likes, comments| ig("old", "2026-10-20T09:00:00", likes, comments);
    for (seen, posts) in [
        (
            "2026-11-01T10:00:00",
            vec![ig("first", "2026-11-01T08:00:00", 5, 0)],
        ),
        ("2026-11-15T10:00:00", vec![late(500, 40), old(300, 10)]),
        ("2026-11-15T20:00:00", vec![late(520, 41), old(300, 10)]),
        ("2026-11-16T09:00:00", vec![late(530, 41), old(310, 12)]),
    ] {
        store.record_posts(&posts, wib(seen)).unwrap();
    }
    store
}

fn business_day(store: &Store, day: &str) -> Vec<Value> {
    let conn = store.connection();
    let mut stmt = conn
        .prepare(
            "SELECT likes_gained, comments_gained, engagement_gained FROM business_daily
             WHERE business_key = 'PDG-1' AND day = ?1",
        )
        .unwrap();
    stmt.query_row([day], |r| Ok(vec![r.get(0)?, r.get(1)?, r.get(2)?]))
        .unwrap_or_default()
}

/// The report of one day.
fn report(
    store: &Store,
    day: &str,
    platform: Option<Platform>,
    trend_days: i32,
) -> jempol::report::Report {
    let d: jiff::civil::Date = day.parse().unwrap();
    let request = Request {
        campaign: "x".into(),
        hashtags: vec![],
        timezone: "Asia/Jakarta".into(),
        from: d,
        to: d,
        platform,
        trend_days,
        scope: Default::default(),
    };
    compute(store, &request).unwrap()
}

fn report_likes(store: &Store, day: &str) -> Option<i64> {
    let r = report(store, day, None, 30);
    r.businesses
        .iter()
        .find(|b| b.key == "PDG-1")
        .and_then(|b| b.gains.likes)
}

#[test]
fn a_post_first_seen_ten_days_after_publication_gains_its_counts_on_its_publication_day() {
    let ws = Workspace::new();
    let store = campaign(&ws);
    // 15 Nov: only what was gained after jempol first saw them (late +20 likes, +1
    // comment; old unchanged that day), not the 500 likes late had gathered before.
    assert_eq!(
        business_day(&store, "2026-11-15"),
        vec![Value::Integer(20), Value::Integer(1), Value::Integer(21)]
    );
    assert_eq!(report_likes(&store, "2026-11-15"), Some(20));
    // Its first-sight counts belong to 5 Nov, its publication day, within tracking.
    assert_eq!(
        business_day(&store, "2026-11-05"),
        vec![Value::Integer(500), Value::Integer(40), Value::Integer(540)]
    );
    assert_eq!(report_likes(&store, "2026-11-05"), Some(500));
    // The next day counts from the previous day's end: late +10, old +10 likes.
    assert_eq!(report_likes(&store, "2026-11-16"), Some(20));
}

#[test]
fn a_post_published_before_tracking_began_keeps_its_first_counts_apart() {
    let ws = Workspace::new();
    let store = campaign(&ws);
    let conn = store.connection();
    let before: (Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT likes_before_tracking, comments_before_tracking FROM posts_latest
             WHERE platform_post_id = 'old'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(before, (Some(300), Some(10)));
    // Never a day's gain: its publication day is before tracking (unknown), and no day
    // of tracking holds the 300 likes.
    let total: i64 = conn
        .query_row(
            "SELECT sum(likes_gained) FROM business_daily WHERE business_key = 'PDG-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(total, 5 + 500 + 20 + 20, "first + late + 15 Nov + 16 Nov");
    assert_eq!(
        business_day(&store, "2026-10-20"),
        vec![Value::Null, Value::Null, Value::Null],
        "the day old was published is before tracking: unknown"
    );
    let late: Option<i64> = conn
        .query_row(
            "SELECT likes_before_tracking FROM posts_latest WHERE platform_post_id = 'late'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(late, None, "late was published within tracking");
}

#[test]
fn days_before_tracking_are_unknown_in_the_views_and_the_report_never_zero() {
    let ws = Workspace::new();
    let store = campaign(&ws);
    let conn = store.connection();
    let row: (Option<i64>, Option<i64>, i64) = conn
        .query_row(
            "SELECT likes_gained, engagement_gained, tracked FROM campaign_daily
             WHERE day = '2026-10-20' AND platform = 'instagram'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(row, (None, None, 0));
    let tracked: i64 = conn
        .query_row(
            "SELECT tracked FROM campaign_daily WHERE day = '2026-11-05' AND platform = 'instagram'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tracked, 1);
    // The report's trend: unknown before 1 Nov, 0 on a tracked day without a change.
    let r = report(&store, "2026-11-03", Some(Platform::Instagram), 5);
    let trend: Vec<(String, Option<i64>)> = r
        .trend
        .iter()
        .map(|t| (t.date.clone(), t.gains.likes))
        .collect();
    assert_eq!(
        trend,
        vec![
            ("2026-10-30".into(), None),
            ("2026-10-31".into(), None),
            ("2026-11-01".into(), Some(5)),
            ("2026-11-02".into(), Some(0)),
            ("2026-11-03".into(), Some(0)),
        ]
    );
    // A report of a day before tracking: unknown, not 0.
    let r = report(&store, "2026-10-20", None, 1);
    assert_eq!(r.totals.gains.likes, None);
    assert_eq!(r.totals.engagement, None);
    assert_eq!(r.totals.posts_published, 1, "what is known is still shown");
}

/// The rollup tables as text, for comparing what was written with a rebuild.
fn rows(s: &Store) -> Vec<String> {
    let mut stmt = s
        .connection()
        .prepare(
            "SELECT 'post_days', day, post_id, likes - start_likes FROM post_days
             UNION ALL SELECT 'business_days', day, business_id, likes || '/' || published
                || '/' || changed || '/' || follower_figures || '/' || COALESCE(followers, '-')
             FROM business_days WHERE published > 0 OR changed > 0 OR follower_figures > 0
             UNION ALL SELECT 'campaign_days', day, platform, published || '/' || active FROM campaign_days
             WHERE published > 0 OR active > 0
             UNION ALL SELECT 'follower_changes', day, platform, followers || '/' || known
             FROM follower_changes WHERE followers <> 0 OR known <> 0
             ORDER BY 1, 2, 3",
        )
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get::<_, Value>(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

#[test]
fn the_rollup_written_as_posts_arrive_equals_a_rebuild_from_the_snapshots() {
    let ws = Workspace::new();
    let mut store = campaign(&ws);
    let written = rows(&store);
    let post_days = written
        .iter()
        .filter(|r| r.starts_with("Text(\"post_days\")"))
        .count();
    assert!(post_days > 0 && written.len() > post_days, "{written:?}");
    assert_eq!(store.rebuild_rollup().unwrap() as usize, post_days);
    assert_eq!(rows(&store), written);
    // Through the CLI as well, which says what it did.
    drop(store);
    std::fs::write(
        ws.config(),
        format!(
            "[campaign]\nname = 'x'\nhashtags = ['UMKMKotaPadangMajuBersama']\n[storage]\ndatabase = '{}'\n",
            ws.database().display()
        ),
    )
    .unwrap();
    let run = ws.jempol(&["db", "rebuild-rollups"]).expect_code(0);
    assert!(
        run.stdout()
            .contains(&format!("{post_days} post-day rows rebuilt")),
        "{}",
        run.stdout()
    );
}

#[test]
fn an_existing_database_gets_the_new_definitions_on_upgrade() {
    let ws = Workspace::new();
    {
        // A file of the release before (schema 4): a post first seen ten days after it
        // was published, its lifetime counts credited to the first-seen day.
        let old = Store::open_at_version(&ws.database(), Some(4)).unwrap();
        let conn = old.connection();
        conn.execute_batch(&format!(
            "INSERT INTO posts (id, platform, platform_post_id, posted_at, first_seen_at, last_refreshed_at, likes, counted_at)
                 VALUES (1, 'instagram', 'early', {early}, {early}, {early}, 5, {early}),
                        (2, 'instagram', 'late', {published}, {seen}, {seen}, 500, {seen});
             INSERT INTO post_snapshots (post_id, taken_at, likes) VALUES (1, {early}, 5), (2, {seen}, 500);
             INSERT INTO post_days (day, post_id, platform, start_likes, likes) VALUES
                 ('2026-11-01', 1, 'instagram', 0, 5), ('2026-11-15', 2, 'instagram', 0, 500);",
            early = wib("2026-11-01T10:00:00"),
            published = wib("2026-11-05T09:00:00"),
            seen = wib("2026-11-15T10:00:00"),
        ))
        .unwrap();
    }
    let store = Store::open(&ws.database()).unwrap();
    let days: Vec<(String, i64)> = {
        let mut stmt = store
            .connection()
            .prepare("SELECT day, likes - start_likes FROM post_days WHERE post_id = 2")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(days, vec![("2026-11-05".to_string(), 500)]);
    let totals: i64 = store
        .connection()
        .query_row(
            "SELECT likes FROM day_totals WHERE day = '2026-11-15'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    assert_eq!(totals, 0, "day_totals follows the rebuilt rollup");
}

#[test]
fn an_account_registered_after_it_was_seen_brings_its_history_to_its_business() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    // Seen before the registry names it: a discovered account, attributed to no one.
    let p = |likes| {
        post(
            Platform::Instagram,
            "q1",
            "a.ig",
            "2026-11-10T09:00:00",
            c(Some(likes), Some(1), None, None),
        )
    };
    store
        .record_posts(&[p(10)], wib("2026-11-10T10:00:00"))
        .unwrap();
    store
        .record_account_stats(
            &[common::dataset::followers("a.ig", 700)],
            wib("2026-11-10T11:00:00"),
        )
        .unwrap();
    store
        .record_posts(&[p(25)], wib("2026-11-11T10:00:00"))
        .unwrap();
    store
        .record_account_stats(
            &[common::dataset::followers("a.ig", 720)],
            wib("2026-11-11T11:00:00"),
        )
        .unwrap();
    let before: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM business_days", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, 0, "no business yet");
    // The registry import links it: its posts, gains and followers follow.
    let mut store = {
        drop(store);
        self::store(&ws)
    };
    let written = rows(&store);
    let followers: Option<i64> = store
        .connection()
        .query_row(
            "SELECT followers FROM campaign_daily WHERE day = '2026-11-11' AND platform = 'instagram'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(followers, Some(720));
    assert_eq!(
        business_day(&store, "2026-11-11"),
        vec![Value::Integer(15), Value::Integer(0), Value::Integer(15)]
    );
    store.rebuild_rollup().unwrap();
    assert_eq!(rows(&store), written);
}

#[test]
fn a_days_figures_are_provisional_until_the_settle_window_has_passed() {
    let ws = Workspace::new();
    let store = campaign(&ws);
    // The latest day with data is 16 Nov: with two days to settle, days up to 13 Nov are
    // settled; 15 Nov is provisional (a post found late can still be credited to it).
    let r = report(&store, "2026-11-15", None, 14);
    assert!(r.provisional);
    assert_eq!(r.settled_until.as_deref(), Some("2026-11-13"));
    let trend: Vec<(String, bool)> = r
        .trend
        .iter()
        .filter(|t| t.date.as_str() >= "2026-11-12" && t.platform == Platform::Instagram)
        .map(|t| (t.date.clone(), t.provisional))
        .collect();
    assert_eq!(
        trend,
        [
            ("2026-11-12", false),
            ("2026-11-13", false),
            ("2026-11-14", true),
            ("2026-11-15", true)
        ]
        .map(|(d, p)| (d.to_string(), p))
    );
    assert!(!report(&store, "2026-11-05", None, 1).provisional);
    let table = jempol::report::render(
        &r,
        jempol::report::Format::Table,
        jempol::report::Lang::En,
        None,
    );
    assert!(table.contains("Provisional"), "{table}");
    let id = jempol::report::render(
        &r,
        jempol::report::Format::Md,
        jempol::report::Lang::Id,
        None,
    );
    assert!(id.contains("Sementara"), "{id}");
    let json: serde_json::Value = serde_json::from_str(&jempol::report::render(
        &r,
        jempol::report::Format::Json,
        jempol::report::Lang::En,
        None,
    ))
    .unwrap();
    assert_eq!(json["provisional"], true);
    // The views say the same.
    let settled: Vec<(String, i64)> = {
        let mut stmt = store
            .connection()
            .prepare("SELECT day, settled FROM business_daily WHERE business_key = 'PDG-1' AND day IN ('2026-11-05', '2026-11-15') ORDER BY day")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(
        settled,
        vec![("2026-11-05".to_string(), 1), ("2026-11-15".to_string(), 0)]
    );
    let campaign: i64 = store
        .connection()
        .query_row(
            "SELECT settled FROM campaign_daily WHERE day = '2026-11-15' AND platform = 'instagram'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(campaign, 0);
}

#[test]
fn a_daily_report_names_the_earlier_days_whose_figures_moved_since_they_were_sent() {
    let ws = Workspace::new();
    let mut store = campaign(&ws);
    std::fs::write(
        ws.config(),
        format!(
            "[campaign]\nname = 'x'\nhashtags = ['UMKMKotaPadangMajuBersama']\n[storage]\ndatabase = '{}'\n[reports]\ndirectory = 'reports'\nformats = ['json']\n",
            ws.database().display()
        ),
    )
    .unwrap();
    let config = jempol::config::Config::load(&ws.config()).unwrap();
    // The daily report of 15 Nov is sent: engagement 21 (late +20 likes, +1 comment).
    let (sent, _) =
        jempol::daily::write_day(&store, &config, "2026-11-15".parse().unwrap()).unwrap();
    assert_eq!(sent.totals.engagement, Some(21));
    // Two days later a post published on the 15th is found with 400 likes: they belong
    // to the 15th, which moves after it was sent.
    store
        .record_posts(
            &[post(
                Platform::Instagram,
                "found-late",
                "a.ig",
                "2026-11-15T18:00:00",
                c(Some(400), Some(0), None, None),
            )],
            wib("2026-11-17T10:00:00"),
        )
        .unwrap();
    let (next, _) =
        jempol::daily::write_day(&store, &config, "2026-11-17".parse().unwrap()).unwrap();
    assert_eq!(
        next.revisions,
        vec![jempol::report::compute::Revision {
            date: "2026-11-15".into(),
            reported: Some(21),
            now: Some(421),
        }]
    );
    let text = jempol::report::render(
        &next,
        jempol::report::Format::Table,
        jempol::report::Lang::En,
        None,
    );
    assert!(
        text.contains(
            "Moved since reported: Sunday, 15 November 2026 — reported 21, now 421 (+400)"
        ),
        "{text}"
    );
    // Each day keeps what was first sent.
    let again = report(&store, "2026-11-17", None, 14);
    assert_eq!(again.revisions.len(), 1);
}

#[test]
fn posts_no_account_is_known_for_are_counted_apart_never_in_a_business() {
    let ws = Workspace::new();
    let mut store = campaign(&ws);
    let mut hashtag_media = post(
        Platform::Instagram,
        "ownerless",
        "-",
        "2026-11-16T07:00:00",
        c(Some(40), Some(2), None, None),
    );
    hashtag_media.account = None; // hashtag media carry no owner (platform-apis.md §1.2)
    store
        .record_posts(&[hashtag_media], wib("2026-11-16T08:00:00"))
        .unwrap();
    let r = report(&store, "2026-11-16", None, 1);
    assert_eq!(r.unattributed.posts_published, 1);
    assert_eq!(r.unattributed.engagement, Some(42));
    assert_eq!(
        r.totals.engagement,
        Some(10 + 10 + 2),
        "late +10 likes, old +10 likes +2 comments: not the ownerless post's 42"
    );
    let table = jempol::report::render(
        &r,
        jempol::report::Format::Table,
        jempol::report::Lang::En,
        None,
    );
    assert!(table.contains("whose account is not known yet"), "{table}");
}
