//! Specification of the database file: schema, migrations, connection settings, and
//! the ingestion rules (snapshot on first sight or change, NULL ≠ 0, replay-safe).

mod common;

use common::Workspace;
use jempol::platform::{AccountRef, AccountStats, Counts, Platform, Post};
use jempol::store::{Store, StoreError, migrate};

fn table_count(store: &Store, table: &str) -> i64 {
    store
        .connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn post(id: &str, likes: Option<u64>, views: Option<u64>) -> Post {
    Post {
        platform: Platform::Youtube,
        id: id.into(),
        account: Some(AccountRef {
            handle: Some("@kedai".into()),
            platform_user_id: Some("UCkedai0000000000000000A".into()),
            display_name: Some("Kedai".into()),
        }),
        permalink: Some(format!("https://www.youtube.com/watch?v={id}")),
        caption: Some("#UMKMKotaPadangMajuBersama".into()),
        media_type: Some("video".into()),
        posted_at: Some("2026-11-20T01:00:00Z".parse().unwrap()),
        counts: Counts {
            likes,
            comments: Some(1),
            shares: None,
            views,
        },
    }
}

#[test]
fn schema_applies_to_an_empty_file_and_again_idempotently() {
    let ws = Workspace::new();
    let store = Store::open(&ws.database()).unwrap();
    let latest = migrate::latest_version();
    assert_eq!(store.migration().from, 0);
    assert_eq!(store.migration().to, latest);
    assert_eq!(store.schema_version().unwrap(), latest);
    for view in ["posts_latest", "business_daily", "campaign_daily"] {
        assert_eq!(table_count(&store, view), 0, "{view} exists and is empty");
    }
    drop(store);

    let again = Store::open(&ws.database()).unwrap();
    assert_eq!(again.migration().from, latest);
    assert_eq!(again.migration().to, latest, "re-opening applies nothing");
    assert!(again.check().unwrap().is_healthy());
}

#[test]
fn connections_use_wal_normal_sync_foreign_keys_and_a_busy_timeout() {
    let ws = Workspace::new();
    let store = Store::open(&ws.database()).unwrap();
    let c = store.connection();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    let busy: i64 = c
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 1, "NORMAL");
    assert_eq!(fk, 1);
    assert!(busy >= 1000, "busy timeout {busy} ms");
}

#[cfg(unix)]
#[test]
fn a_new_database_is_not_readable_by_other_users() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    Store::open(&ws.database()).unwrap();
    let mode = std::fs::metadata(ws.database())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode & 0o007,
        0,
        "mode {mode:o} exposes the file to every local user"
    );
}

#[test]
fn migrating_a_version_1_file_keeps_every_row() {
    let ws = Workspace::new();
    {
        // A file as the first release wrote it: schema version 1, with data.
        let mut old = Store::open_at_version(&ws.database(), Some(1)).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        let business = jempol::registry::Business {
            key: "PDG-1".into(),
            name: "Rendang Uni".into(),
            category: Some("kuliner".into()),
            district: None,
            handles: vec![(Platform::Youtube, "@kedai".into())],
        };
        old.import_businesses(&[business], 1_763_600_000).unwrap();
        // Rows as the version-1 binary wrote them, in version-1 columns only.
        old.connection()
            .execute_batch(
                "INSERT INTO posts (platform, platform_post_id, account_id, business_id, permalink, caption,
                                    media_type, posted_at, first_seen_at, last_refreshed_at)
                 VALUES ('youtube', 'v1', 1, 1, 'https://youtu.be/v1', '#UMKMKotaPadangMajuBersama',
                         'video', 1763600000, 1763600000, 1763603600);
                 INSERT INTO post_snapshots VALUES (1, 1763600000, 3, 1, NULL, 40), (1, 1763603600, 5, 1, NULL, 90);
                 INSERT INTO account_snapshots VALUES (1, 1763600000, 120, NULL, 7, NULL, 800);",
            )
            .unwrap();
    }
    let store = Store::open(&ws.database()).unwrap();
    assert_eq!(store.migration().from, 1);
    assert_eq!(store.migration().to, migrate::latest_version());
    assert_eq!(table_count(&store, "businesses"), 1);
    assert_eq!(table_count(&store, "accounts"), 1);
    assert_eq!(table_count(&store, "posts"), 1);
    assert_eq!(table_count(&store, "post_snapshots"), 2);
    assert_eq!(table_count(&store, "account_snapshots"), 1);
    let (key, likes): (String, i64) = store
        .connection()
        .query_row("SELECT business_key, likes FROM posts_latest", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((key.as_str(), likes), ("PDG-1", 5));
    let status: String = store
        .connection()
        .query_row("SELECT status FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "active", "new columns get their defaults");
    assert!(store.check().unwrap().is_healthy());
}

#[test]
fn a_file_from_a_newer_jempol_is_a_clear_error_not_a_downgrade() {
    let ws = Workspace::new();
    {
        let store = Store::open(&ws.database()).unwrap();
        store
            .connection()
            .pragma_update(None, "user_version", 99)
            .unwrap();
    }
    match Store::open(&ws.database()) {
        Err(StoreError::NewerSchema { found: 99, known }) => {
            assert_eq!(known, migrate::latest_version())
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer file must not open"),
    }
    let run = ws.jempol(&["db", "check"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr()
            .contains("schema version 99, newer than this jempol knows"),
        "{}",
        run.stderr()
    );
}

#[test]
fn db_migrate_and_db_check_report_the_version() {
    let ws = Workspace::new();
    let run = ws.jempol(&["db", "migrate"]).expect_code(0);
    assert!(
        run.stdout().contains(&format!(
            "migrated schema version 0 → {}",
            migrate::latest_version()
        )),
        "{}",
        run.stdout()
    );
    let run = ws.jempol(&["db", "migrate"]).expect_code(0);
    assert!(run.stdout().contains("up to date"), "{}", run.stdout());
    let run = ws
        .jempol(&["db", "check", "--format", "json"])
        .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(report["integrity"], serde_json::json!(["ok"]));
    assert_eq!(report["schema_version"], migrate::latest_version());
}

#[test]
fn snapshots_are_written_on_first_sight_and_on_change_only() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    let first = store
        .record_posts(&[post("a", Some(1), Some(10))], 1000)
        .unwrap();
    assert_eq!((first.new_posts, first.snapshots), (1, 1));
    let same = store
        .record_posts(&[post("a", Some(1), Some(10))], 2000)
        .unwrap();
    assert_eq!((same.new_posts, same.snapshots, same.unchanged), (0, 0, 1));
    let grown = store
        .record_posts(&[post("a", Some(1), Some(12))], 3000)
        .unwrap();
    assert_eq!(grown.snapshots, 1);
    // Replaying a page at the same moment never duplicates anything.
    store
        .record_posts(&[post("a", Some(1), Some(12))], 3000)
        .unwrap();
    assert_eq!(table_count(&store, "posts"), 1);
    assert_eq!(table_count(&store, "post_snapshots"), 2);
    let refreshed: i64 = store
        .connection()
        .query_row("SELECT last_refreshed_at FROM posts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(refreshed, 3000);
}

#[test]
fn a_hidden_count_is_stored_as_null_never_zero() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    store
        .record_posts(&[post("hidden", None, Some(7))], 1000)
        .unwrap();
    let (likes, shares, views): (Option<i64>, Option<i64>, Option<i64>) = store
        .connection()
        .query_row("SELECT likes, shares, views FROM posts_latest", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((likes, shares, views), (None, None, Some(7)));
    // Hiding likes later is a change, recorded as NULL.
    store
        .record_posts(&[post("hidden", Some(4), Some(7))], 2000)
        .unwrap();
    store
        .record_posts(&[post("hidden", None, Some(7))], 3000)
        .unwrap();
    assert_eq!(table_count(&store, "post_snapshots"), 3);
}

#[test]
fn deleted_posts_are_marked_and_kept_with_their_snapshots() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    store
        .record_posts(&[post("gone", Some(2), Some(9))], 1000)
        .unwrap();
    assert_eq!(
        store
            .mark_deleted(Platform::Youtube, &["gone".into()], 5000)
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .mark_deleted(Platform::Youtube, &["gone".into()], 6000)
            .unwrap(),
        0
    );
    let (deleted, likes): (Option<String>, i64) = store
        .connection()
        .query_row("SELECT deleted_at, likes FROM posts_latest", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(deleted.is_some());
    assert_eq!(likes, 2);
}

#[test]
fn account_snapshots_follow_the_same_rule() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    let stats = |followers| AccountStats {
        platform: Platform::Tiktok,
        account: AccountRef {
            handle: Some("kedai".into()),
            ..Default::default()
        },
        followers: Some(followers),
        following: Some(3),
        media_count: None,
        total_likes: Some(100),
        total_views: None,
    };
    assert_eq!(store.record_account_stats(&[stats(10)], 1000).unwrap(), 1);
    assert_eq!(store.record_account_stats(&[stats(10)], 2000).unwrap(), 0);
    assert_eq!(store.record_account_stats(&[stats(11)], 3000).unwrap(), 1);
    assert_eq!(
        table_count(&store, "accounts"),
        1,
        "a discovered account is created once"
    );
}

#[test]
fn a_listing_marks_deleted_only_what_it_covers() {
    use jempol::platform::{Harvest, Listing};
    let ws = Workspace::new();
    let mut store = Store::open(&ws.database()).unwrap();
    let day = 86_400;
    let now = 40 * day;
    let mut old = post("old", Some(1), Some(1));
    old.posted_at = jiff::Timestamp::from_second(now - 10 * day).ok();
    let mut recent = post("recent", Some(1), Some(1));
    recent.posted_at = jiff::Timestamp::from_second(now - day).ok();
    let mut gone = post("gone", Some(1), Some(1));
    gone.posted_at = jiff::Timestamp::from_second(now - 2 * day).ok();
    store
        .record_posts(&[old, recent, gone], now - 3600)
        .unwrap();

    // The account was read back three days only: "old" was not looked at.
    let harvest = Harvest {
        listings: vec![Listing {
            handle: "@kedai".into(),
            ids: vec!["recent".into()],
            since: jiff::Timestamp::from_second(now - 3 * day).unwrap(),
        }],
        ..Default::default()
    };
    store
        .ingest_harvest(Platform::Youtube, &harvest, now, now - 30 * day)
        .unwrap();
    let deleted: Vec<String> = {
        let mut stmt = store
            .connection()
            .prepare("SELECT platform_post_id FROM posts WHERE deleted_at IS NOT NULL")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(deleted, vec!["gone".to_string()]);
}

/// The size of the database's write-ahead log.
fn wal_bytes(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

#[test]
fn a_reader_that_keeps_its_transaction_open_cannot_grow_the_wal_past_the_limit() {
    use std::time::{Duration, Instant};

    let ws = Workspace::new();
    let db = ws.database();
    let limit: u64 = 1024 * 1024;
    let (shutdown, running) = tokio::sync::watch::channel(false);
    let writer = jempol::store::Writer::start(Store::open(&db).unwrap(), limit, running).unwrap();

    // A dashboard that opened a read transaction and keeps it for 3 seconds.
    let reader = rusqlite::Connection::open(&db).unwrap();
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM posts;")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        reader.execute_batch("COMMIT").unwrap();
    });

    // Meanwhile the daemon writes 14 MB worth of new posts, 300 (350 kB) a transaction.
    let write = |batch: usize| {
        let posts: Vec<Post> = (0..300)
            .map(|i| {
                let mut p = post(&format!("v{batch:03}x{i:04}"), Some(i), Some(10 * i));
                p.caption = Some(format!(
                    "#UMKMKotaPadangMajuBersama {}",
                    "rendang ".repeat(40)
                ));
                p
            })
            .collect();
        let started = Instant::now();
        writer
            .run_blocking(move |s| s.record_posts(&posts, 1_700_000_000 + batch as i64))
            .unwrap();
        started.elapsed()
    };
    let mut peak = 0;
    let mut longest_write = Duration::ZERO;
    for batch in 0..40 {
        longest_write = longest_write.max(write(batch));
        peak = peak.max(wal_bytes(&db));
    }
    release.join().unwrap();

    // A reader that never ends its transaction holds writes only until jempol stops.
    let stuck = rusqlite::Connection::open(&db).unwrap();
    stuck
        .execute_batch("BEGIN; SELECT count(*) FROM posts;")
        .unwrap();
    let stopping = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        shutdown.send(true).unwrap();
    });
    let mut after_stop = Duration::ZERO;
    for batch in 40..60 {
        after_stop = after_stop.max(write(batch));
    }
    stopping.join().unwrap();
    assert!(
        after_stop < Duration::from_secs(3),
        "writes stayed held after the stop: {after_stop:?}"
    );
    drop(writer);
    drop(stuck);

    assert!(
        longest_write >= Duration::from_millis(1500),
        "the writer was never held back: longest write {longest_write:?}"
    );
    // The limit, plus what one job appends before the writer sees it past the limit.
    assert!(
        peak <= limit + 4 * 1024 * 1024,
        "the WAL reached {peak} bytes under a {limit}-byte limit"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(table_count(&store, "posts"), 60 * 300, "every write landed");
    assert!(store.check().unwrap().is_healthy());
}
