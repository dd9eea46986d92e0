//! Crash safety of the daemon: `jempol run` killed with SIGKILL at random moments (mid
//! pagination, mid transaction) and restarted, thirty times. After every kill the file
//! is intact, every snapshot committed before is still there, the day rollup agrees
//! with itself; once the kills stop, jempol converges to the platforms' ground truth.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::binary::{SECRETS, binary_rig_with, jempol};
use common::truth::visible;
use jempol::sim::SimConfig;

/// Every post and account due every hour, a cycle a minute, no daily reports.
const SCHEDULE: &str = "
[schedule]
cycle_minutes = 1
warm_refresh_hours = 1
account_refresh_hours = 1

[reports]
enabled = false
";

type Snapshots = BTreeSet<(String, String, i64)>;

/// Every row of the rollup tables, as text (rows with nothing in them left out).
fn rollup(db: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = db
        .prepare(
            "SELECT 'post_days', * FROM post_days
             UNION ALL SELECT 'day_totals', day, platform, registered, posts, likes, likes_known, comments,
                    comments_known, shares, shares_known, views, views_known FROM day_totals WHERE posts > 0
             UNION ALL SELECT 'business_days', day, business_id, platform, published, changed, likes,
                    likes_known, comments, comments_known, shares, views, followers
             FROM business_days WHERE published > 0 OR changed > 0 OR follower_figures > 0
             UNION ALL SELECT 'campaign_days', day, platform, published, active, NULL, NULL, NULL,
                    NULL, NULL, NULL, NULL, NULL FROM campaign_days WHERE published > 0 OR active > 0
             ORDER BY 1, 2, 3, 4",
        )
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn snapshots(db: &rusqlite::Connection) -> Snapshots {
    let mut stmt = db
        .prepare(
            "SELECT p.platform, p.platform_post_id, s.taken_at
             FROM post_snapshots s JOIN posts p ON p.id = s.post_id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn one(db: &rusqlite::Connection, sql: &str) -> String {
    db.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| format!("{v:?}"))
        .unwrap()
}

#[cfg(unix)]
#[test]
fn sigkill_at_random_moments_loses_nothing_committed_and_converges() {
    // Frozen counts: the truth stands still while jempol is killed and catches up.
    // Quotas out of the way: this is about crashes, not budgets.
    let mut config = SimConfig::new(11, 6000, jiff::Timestamp::now());
    config.speed = 0.0;
    config.quotas = jempol::sim::Quotas::unlimited();
    let (_rt, sim, dir) = binary_rig_with(config);
    let toml = dir.path().join("jempol.toml");
    let text = std::fs::read_to_string(&toml)
        .unwrap()
        .replace(
            "[platforms.instagram]",
            "[platforms.instagram]\ncalls_per_hour = 1000000",
        )
        .replace(
            "[platforms.facebook]",
            "[platforms.facebook]\ncalls_per_hour = 1000000",
        )
        .replace(
            "[platforms.tiktok]",
            "[platforms.tiktok]\ndaily_requests = 1000000",
        )
        .replace(
            "[platforms.youtube]",
            "[platforms.youtube]\ndaily_quota_units = 1000000",
        )
        + SCHEDULE;
    std::fs::write(&toml, text).unwrap();
    let import = jempol(dir.path(), &["businesses", "import", "umkm.csv"], &SECRETS)
        .output()
        .unwrap();
    assert!(import.status.success());

    let db_path = dir.path().join("jempol.db");
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut committed = Snapshots::new();
    let mut killed_while_running = 0;
    for kill in 1..=30 {
        let mut daemon = jempol(dir.path(), &["run"], &SECRETS)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(50..600)));
        if daemon.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        daemon.kill().unwrap(); // SIGKILL
        daemon.wait().unwrap();

        let db = rusqlite::Connection::open(&db_path).unwrap();
        assert_eq!(
            one(&db, "PRAGMA integrity_check"),
            "Text(\"ok\")",
            "kill {kill}: integrity"
        );
        let now = snapshots(&db);
        let lost: Vec<_> = committed.difference(&now).take(3).collect();
        assert!(
            lost.is_empty(),
            "kill {kill}: committed snapshots lost: {lost:?}"
        );
        // The rollup and its totals are written in the snapshots' transactions: they
        // equal a rebuild from the snapshots.
        let written = rollup(&db);
        {
            let copy = dir.path().join("rebuilt.db");
            let _ = std::fs::remove_file(&copy);
            db.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
                .unwrap();
            let mut store = jempol::store::Store::open(&copy).unwrap();
            store.rebuild_rollup().unwrap();
            assert_eq!(
                rollup(store.connection()),
                written,
                "kill {kill}: the rollup equals a rebuild from the snapshots"
            );
        }
        assert_eq!(
            one(&db, "SELECT COALESCE(sum(posts), 0) FROM day_totals"),
            one(&db, "SELECT count(*) FROM post_days"),
            "kill {kill}: day_totals sums post_days"
        );
        assert_eq!(
            one(
                &db,
                "SELECT count(*) FROM (SELECT 1 FROM posts GROUP BY platform, platform_post_id HAVING count(*) > 1)"
            ),
            "Integer(0)",
            "kill {kill}: no post twice"
        );
        eprintln!("kill {kill}: {} snapshots committed", now.len());
        committed = now;
    }
    assert!(
        killed_while_running >= 25,
        "the kills landed while jempol ran ({killed_while_running} of 30)"
    );
    assert!(!committed.is_empty(), "jempol made progress between kills");

    // The kills stop: a cycle completes and the store equals the platforms' truth.
    let poll = jempol(dir.path(), &["poll", "--once"], &SECRETS)
        .output()
        .unwrap();

    assert_eq!(
        poll.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&poll.stderr)
    );
    let truth = jempol::sim::truth_json(&sim.state, None);
    let db = rusqlite::Connection::open(&db_path).unwrap();
    for platform in ["instagram", "facebook", "tiktok", "youtube"] {
        let expected = visible(&truth, platform);
        assert!(!expected.is_empty());
        let mut stmt = db
            .prepare(
                "SELECT likes, comments, shares, views FROM posts
                 WHERE platform = ?1 AND platform_post_id = ?2 AND deleted_at IS NULL",
            )
            .unwrap();
        for (id, counts) in &expected {
            let stored: [Option<i64>; 4] = stmt
                .query_row([platform, id.as_str()], |r| {
                    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
                })
                .unwrap_or_else(|e| panic!("{platform} post {id} missing after the kills: {e}"));
            assert_eq!(&stored, counts, "{platform} post {id}");
        }
    }
}
