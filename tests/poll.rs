//! Specification of the polling daemon against the in-process simulator: what a cycle
//! stores equals the platforms' ground truth; growth, hidden counts, deletions,
//! resumable pagination, faults, quotas and secrets.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::binary::{SECRETS, binary_rig, jempol};
use common::truth::{tagged_ids, visible};
use common::{sim_config, start_sim};
use jempol::config::{Config, Secrets};
use jempol::platform::Platform;
use jempol::platform::http::RetryPolicy;
use jempol::scheduler::{Daemon, Outcome, PlatformReport};
use jempol::sim::{Fault, FaultProfile, SimConfig, Simulator};
use jempol::store::{Store, Writer};
use jempol::time::Clock;
use serde_json::Value;

const SECRET: &str = "tok-Sup3rS3cret-jempol";

/// Every post and account due every hour: for tests that compare with the truth.
const HOURLY: &str = "[schedule]\nwarm_refresh_hours = 1\naccount_refresh_hours = 1\n";

/// Simulator and daemon sharing one simulated clock, writing a scratch database.
struct Rig {
    sim: Simulator,
    writer: Writer,
    config: Config,
    secrets: Secrets,
    _dir: tempfile::TempDir,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// `jempol status --format json` in `dir`, which must succeed.
fn status_json(dir: &std::path::Path, env: &[(&str, &str)]) -> Value {
    let out = jempol(dir, &["status", "--format", "json"], env)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 8,
        base: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    }
}

impl Rig {
    async fn new(sim_config: SimConfig, extra_config: &str) -> Rig {
        Rig::with_config(sim_config, |text| format!("{text}\n{extra_config}")).await
    }

    /// A rig whose config is the simulator's, as `edit` changes it.
    async fn with_config(sim_config: SimConfig, edit: impl FnOnce(String) -> String) -> Rig {
        let sim = start_sim(sim_config).await;
        let dir = tempfile::tempdir().unwrap();
        let text = edit(jempol::sim::jempol_config(
            &sim.urls,
            &sim.state.world.config.hashtag,
            "jempol.db",
        ));
        let path = dir.path().join("jempol.toml");
        std::fs::write(&path, &text).unwrap();
        let config = Config::load(&path).unwrap();
        let secrets = config.secrets(|_| Some(SECRET.to_string())).unwrap();
        let mut store = Store::open(&config.database).unwrap();
        let csv = jempol::sim::registry_csv(&sim.state.world);
        let rows = jempol::registry::reader(csv.as_bytes()).unwrap();
        let imported = store
            .import_registry(rows, 0, Default::default(), |bad| panic!("{bad:?}"))
            .unwrap();
        assert!(imported.written.is_some());
        store
            .set_campaign_timezone("Asia/Jakarta", 25_200, "+07:00")
            .unwrap();
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Rig {
            sim,
            writer: Writer::start(store, config.wal_limit, shutdown.subscribe()).unwrap(),
            config,
            secrets,
            _dir: dir,
            shutdown,
        }
    }

    fn daemon(&self, only: Option<Platform>) -> Daemon {
        self.daemon_with(&self.config, self.sim.state.clock.clone(), only)
    }

    fn daemon_with(
        &self,
        config: &Config,
        clock: Arc<dyn Clock>,
        only: Option<Platform>,
    ) -> Daemon {
        self.daemon_for(config, &self.secrets, clock, only)
    }

    /// A daemon with credentials of its own (a credential replaced, say).
    fn daemon_for(
        &self,
        config: &Config,
        secrets: &Secrets,
        clock: Arc<dyn Clock>,
        only: Option<Platform>,
    ) -> Daemon {
        Daemon::builder(config, secrets, self.writer.clone())
            .clock(clock)
            .shutdown(self.shutdown.subscribe())
            .only(only)
            .retry(fast_retries())
            .push_retry(jempol::push::PushRetry {
                attempts: 2,
                base: Duration::from_millis(1),
                max_retry_after: Duration::from_millis(10),
            })
            .build()
            .unwrap()
    }

    /// Runs `sql` (a statement that returns a row: a pragma) on the daemon's writer.
    fn on_writer(&self, sql: String) {
        self.writer
            .run_blocking(move |s| Ok(s.connection().query_row(&sql, [], |_| Ok(()))?))
            .unwrap();
    }

    /// A connection of the test's own to the daemon's database (beside its writer).
    fn peek(&self) -> Store {
        Store::open(&self.config.database).unwrap()
    }

    async fn cycle(&self) -> BTreeMap<Platform, PlatformReport> {
        self.daemon(None)
            .cycle()
            .await
            .into_iter()
            .map(|r| (r.platform, r))
            .collect()
    }

    fn advance_hours(&self, h: i64) {
        self.sim
            .state
            .clock
            .advance(jiff::SignedDuration::from_hours(h));
    }

    fn truth(&self) -> Value {
        jempol::sim::truth_json(&self.sim.state, None)
    }

    fn int(&self, sql: &str) -> i64 {
        self.peek()
            .connection()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    fn rows(&self, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let store = self.peek();
        let mut stmt = store.connection().prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Stored posts that are not deleted: id → (likes, comments, shares, views).
    fn stored(&self, platform: &str) -> BTreeMap<String, [Option<i64>; 4]> {
        let store = self.peek();
        let mut stmt = store
            .connection()
            .prepare("SELECT platform_post_id, likes, comments, shares, views FROM posts_latest WHERE platform = ?1 AND deleted_at IS NULL")
            .unwrap();
        stmt.query_map([platform], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }
}

/// Every visible post stored with the platform's counts; nothing untagged stored.
fn assert_matches_truth(rig: &Rig) {
    let truth = rig.truth();
    for platform in ["instagram", "facebook", "tiktok", "youtube"] {
        let stored = rig.stored(platform);
        let expected = visible(&truth, platform);
        assert!(
            !expected.is_empty(),
            "{platform}: the world has visible posts"
        );
        for (id, c) in &expected {
            assert_eq!(
                stored.get(id),
                Some(c),
                "{platform} post {id}: stored counts equal the platform's"
            );
        }
        let tagged = tagged_ids(&truth, platform);
        for id in stored.keys() {
            assert!(
                tagged.contains(id),
                "{platform} post {id} stored but does not carry the tag"
            );
        }
    }
}

#[tokio::test]
async fn a_full_cycle_stores_exactly_the_platforms_ground_truth() {
    let rig = Rig::new(sim_config(150), "").await;
    rig.advance_hours(24 * 10);
    let reports = rig.cycle().await;
    for r in reports.values() {
        assert_eq!(r.outcome, Outcome::Ok, "{r:?}");
        assert!(r.requests > 0);
    }
    assert_matches_truth(&rig);

    // Followers of every registered, reachable account equal the platform's figure.
    let truth = rig.truth();
    let followers: BTreeMap<(String, String), Option<i64>> = rig
        .rows(
            "SELECT a.platform, a.handle, s.followers FROM accounts a JOIN account_snapshots s ON s.account_id = a.id
             WHERE a.origin = 'registered' AND s.taken_at = (SELECT max(taken_at) FROM account_snapshots WHERE account_id = a.id)",
        )
        .into_iter()
        .map(|r| match (&r[0], &r[1], &r[2]) {
            (rusqlite::types::Value::Text(p), rusqlite::types::Value::Text(h), f) => ((p.clone(), h.clone()), if let rusqlite::types::Value::Integer(n) = f { Some(*n) } else { None }),
            _ => unreachable!(),
        })
        .collect();
    let mut checked = 0;
    for a in truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["business_key"].is_null() && a["discoverable"] == true)
    {
        let platform = a["platform"].as_str().unwrap().to_string();
        let key = if platform == "youtube" || platform == "facebook" {
            // Registered by handle or id: find the row by either.
            followers
                .keys()
                .find(|(p, h)| {
                    *p == platform
                        && (h == a["handle"].as_str().unwrap()
                            || h == a["user_id"].as_str().unwrap())
                })
                .cloned()
        } else {
            Some((platform.clone(), a["handle"].as_str().unwrap().to_string()))
        };
        let key = key.unwrap_or_else(|| panic!("no follower snapshot for {a}"));
        assert_eq!(followers[&key], a["followers"].as_i64(), "{a}");
        checked += 1;
    }
    assert!(checked > 100);
    assert!(
        rig.sim.state.stats().quota_refusals.is_empty(),
        "no quota exceeded"
    );
}

/// Requests the simulator served, per `platform endpoint`.
fn served(rig: &Rig) -> BTreeMap<String, u64> {
    rig.sim.state.stats().requests
}

/// Facebook Page followers as stored last, by Page id.
fn facebook_followers(rig: &Rig) -> BTreeMap<String, Option<i64>> {
    rig.rows(
        "SELECT a.platform_user_id, s.followers FROM accounts a JOIN account_snapshots s ON s.account_id = a.id
         WHERE a.platform = 'facebook' AND s.taken_at = (SELECT max(taken_at) FROM account_snapshots WHERE account_id = a.id)",
    )
    .into_iter()
    .map(|r| match (&r[0], &r[1]) {
        (rusqlite::types::Value::Text(id), rusqlite::types::Value::Integer(n)) => {
            (id.clone(), Some(*n))
        }
        (rusqlite::types::Value::Text(id), _) => (id.clone(), None),
        other => panic!("unexpected row {other:?}"),
    })
    .collect()
}

/// Every visible Facebook post stored with the platform's counts.
fn assert_facebook_posts_match_truth(rig: &Rig) {
    let truth = rig.truth();
    let stored = rig.stored("facebook");
    let expected = visible(&truth, "facebook");
    assert!(expected.len() > 50, "the world has Facebook posts");
    for (id, c) in &expected {
        assert_eq!(stored.get(id), Some(c), "facebook post {id}");
    }
}

/// Every registered Page's followers as stored last equal the platform's figure.
fn assert_facebook_followers_match_truth(rig: &Rig) {
    let truth = rig.truth();
    let followers = facebook_followers(rig);
    let pages: Vec<&Value> = truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["platform"] == "facebook" && !a["business_key"].is_null())
        .collect();
    assert!(pages.len() > 20);
    for a in pages {
        let id = a["user_id"].as_str().unwrap();
        assert_eq!(
            followers.get(id).copied().flatten(),
            a["followers"].as_i64(),
            "followers of Page {id}"
        );
    }
}

#[tokio::test]
async fn facebook_on_a_new_app_reads_pages_and_refreshes_posts_without_multi_id_requests() {
    // The simulator answers as Meta does to an app created after 4 Nov 2026: no `?ids=`.
    // Posts older than an hour are due hourly, accounts only every 1,000 hours (or hourly
    // while they have a post under an hour old), so the second cycle is mostly refreshes.
    let rig = Rig::new(
        sim_config(150),
        "[schedule]\nhot_hours = 1\nhot_refresh_minutes = 60\nwarm_refresh_hours = 1\naccount_refresh_hours = 1000\n",
    )
    .await;
    rig.advance_hours(24 * 10);
    let first = rig.cycle().await;
    assert_eq!(first[&Platform::Facebook].outcome, Outcome::Ok, "{first:?}");
    assert_facebook_posts_match_truth(&rig);
    assert_facebook_followers_match_truth(&rig);
    let pages_registered = rig
        .int("SELECT count(*) FROM accounts WHERE platform = 'facebook' AND origin = 'registered'");
    let before = served(&rig);

    rig.advance_hours(2);
    let second = rig.cycle().await;
    let fb = &second[&Platform::Facebook];
    assert_eq!(fb.outcome, Outcome::Ok, "{fb:?}");
    assert!(
        fb.snapshots > 0,
        "the counts grew and were refreshed: {fb:?}"
    );
    assert_facebook_posts_match_truth(&rig);

    let after = served(&rig);
    let during = |key: &str| after.get(key).unwrap_or(&0) - before.get(key).unwrap_or(&0);
    assert!(
        !after.keys().any(|k| k.ends_with(" ids")),
        "no multi-ID request: {after:?}"
    );
    assert!(
        (during("facebook page") as i64) < pages_registered / 2,
        "the second cycle read few Pages ({} of {pages_registered}): its posts came from refreshes",
        during("facebook page")
    );
    assert!(during("facebook posts") > 0, "{after:?}");

    // Once the accounts are due, every Page's followers are read again, one per request.
    rig.advance_hours(1_001);
    let third = rig.cycle().await;
    assert_eq!(third[&Platform::Facebook].outcome, Outcome::Ok, "{third:?}");
    assert_facebook_followers_match_truth(&rig);
    assert!(!served(&rig).keys().any(|k| k.ends_with(" ids")));
}

#[tokio::test]
async fn multi_id_requests_stay_available_to_a_legacy_app_that_opts_in() {
    let mut legacy = sim_config(80);
    legacy.graph_legacy_app = true;
    let rig = Rig::with_config(legacy, |text| {
        text.replace(
            "[platforms.facebook]\n",
            "[platforms.facebook]\nmulti_id_requests = true\n",
        ) + HOURLY
    })
    .await;
    rig.advance_hours(24 * 10);
    rig.cycle().await;
    rig.advance_hours(1);
    let reports = rig.cycle().await;
    assert_eq!(reports[&Platform::Facebook].outcome, Outcome::Ok);
    assert_facebook_posts_match_truth(&rig);
    assert_facebook_followers_match_truth(&rig);
    assert!(served(&rig).get("facebook ids").copied().unwrap_or(0) > 0);
}

#[tokio::test]
async fn multi_id_requests_refused_to_a_new_app_fail_facebook_with_a_pointer_to_the_option() {
    let rig = Rig::with_config(sim_config(40), |text| {
        text.replace(
            "[platforms.facebook]\n",
            "[platforms.facebook]\nmulti_id_requests = true\n",
        )
    })
    .await;
    rig.advance_hours(24 * 5);
    let reports = rig.cycle().await;
    let fb = &reports[&Platform::Facebook];
    assert_ne!(fb.outcome, Outcome::Ok, "{fb:?}");
    let error = fb.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("multi_id_requests = false") && error.contains("(#12)"),
        "{error}"
    );
    assert_eq!(
        reports[&Platform::Instagram].outcome,
        Outcome::Ok,
        "Instagram uses no multi-ID request"
    );
}

#[tokio::test]
async fn a_second_cycle_after_simulated_time_records_the_growth() {
    let rig = Rig::new(sim_config(80), HOURLY).await;
    rig.advance_hours(24 * 5);
    rig.cycle().await;
    let snapshots_before = rig.int("SELECT count(*) FROM post_snapshots");
    rig.advance_hours(1);
    let reports = rig.cycle().await;
    assert!(
        reports.values().all(|r| r.outcome == Outcome::Ok),
        "{reports:?}"
    );
    let snapshots_after = rig.int("SELECT count(*) FROM post_snapshots");
    assert!(
        snapshots_after > snapshots_before,
        "growth is recorded as new snapshots"
    );
    assert_matches_truth(&rig);
    // An unchanged world writes no snapshot.
    let reports = rig.cycle().await;
    assert_eq!(
        reports.values().map(|r| r.snapshots).sum::<u64>(),
        0,
        "{reports:?}"
    );
}

#[tokio::test]
async fn a_dashboard_holding_a_read_transaction_never_stops_the_daemon() {
    let rig = Rig::new(sim_config(80), HOURLY).await;
    rig.advance_hours(24 * 5);
    rig.cycle().await;
    // A dashboard opens the file and keeps one read transaction open for several cycles.
    let path = rig.config.database.clone();
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let seen = |sql: &str| -> i64 { reader.query_row(sql, [], |r| r.get(0)).unwrap() };
    let before = seen("SELECT count(*) FROM post_snapshots");
    let totals = seen("SELECT COALESCE(sum(likes), 0) FROM day_totals");
    for _ in 0..4 {
        rig.advance_hours(1);
        let reports = rig.cycle().await;
        assert!(
            reports.values().all(|r| r.outcome == Outcome::Ok),
            "the daemon polls on beside the reader: {reports:?}"
        );
    }
    assert!(
        rig.int("SELECT count(*) FROM post_snapshots") > before,
        "the daemon wrote"
    );
    assert_eq!(
        seen("SELECT count(*) FROM post_snapshots"),
        before,
        "the reader's snapshot is stable"
    );
    assert_eq!(
        seen("SELECT COALESCE(sum(likes), 0) FROM day_totals"),
        totals
    );
    // Its snapshot held the checkpoint back; once it lets go, the WAL is checkpointed.
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    rig.advance_hours(1);
    rig.cycle().await;
    // The writer's own checkpointer may be checkpointing at this very moment (then this
    // one reports busy): asked again until it is not, a few times at most.
    let mut last = (0, 0, 0);
    for _ in 0..20 {
        last = rig
            .peek()
            .connection()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .unwrap();
        if last.0 == 0 && last.1 == last.2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (busy, log, done) = last;
    assert_eq!((busy, done), (0, log), "every WAL frame checkpointed");
}

#[tokio::test]
async fn a_full_disk_fails_the_cycle_cleanly_and_the_next_one_recovers() {
    let rig = Rig::new(sim_config(60), HOURLY).await;
    rig.advance_hours(24 * 5);
    // The file may not grow by a single page: what a full disk looks like to SQLite
    // (a setting of the writer's connection).
    let pages = rig.int("PRAGMA page_count");
    rig.on_writer(format!("PRAGMA max_page_count = {pages}"));
    let reports = rig.cycle().await;
    let failed: Vec<&PlatformReport> = reports
        .values()
        .filter(|r| r.outcome != Outcome::Ok)
        .collect();
    assert!(!failed.is_empty(), "a full disk is noticed: {reports:?}");
    for r in &failed {
        let error = r.error.as_deref().unwrap_or_default();
        assert!(error.contains("full"), "a clear error: {error}");
    }
    // Whatever was stored was stored whole: no post without its snapshot, nor without
    // a day row unless its first counts were kept as from before tracking.
    assert_eq!(
        rig.int(
            "SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM post_snapshots s WHERE s.post_id = p.id)
                OR NOT EXISTS (SELECT 1 FROM post_days d WHERE d.post_id = p.id)
                   AND COALESCE(p.before_likes, p.before_comments, p.before_shares, p.before_views) IS NULL"
        ),
        0
    );
    assert_eq!(
        rig.rows("PRAGMA integrity_check"),
        vec![vec![rusqlite::types::Value::Text("ok".into())]]
    );
    // Space again: the next cycle stores everything.
    rig.on_writer("PRAGMA max_page_count = 1073741823".into());
    let reports = rig.cycle().await;
    assert!(
        reports.values().all(|r| r.outcome == Outcome::Ok),
        "{reports:?}"
    );
    assert_matches_truth(&rig);
}

#[tokio::test]
async fn hot_posts_refresh_every_cycle_and_older_ones_daily() {
    let rig = Rig::new(sim_config(150), "").await;
    rig.advance_hours(24 * 10);
    rig.cycle().await;
    let first = rig.int("SELECT max(last_refreshed_at) FROM posts");
    rig.advance_hours(1);
    rig.cycle().await;
    let now = first + 3600;
    let hot_stale = rig.int(&format!(
        "SELECT count(*) FROM posts p JOIN accounts a ON a.id = p.account_id
         WHERE a.origin = 'registered' AND a.status = 'active' AND p.platform <> 'instagram'
           AND p.deleted_at IS NULL AND p.posted_at > {now} - 48 * 3600 AND p.last_refreshed_at < {now}"
    ));
    assert_eq!(hot_stale, 0, "every hot post was refreshed after an hour");
    let warm_refreshed = rig.int(&format!("SELECT count(*) FROM posts WHERE platform = 'tiktok' AND posted_at < {now} - 72 * 3600 AND last_refreshed_at >= {now}"));
    let warm = rig.int(&format!(
        "SELECT count(*) FROM posts WHERE platform = 'tiktok' AND posted_at < {now} - 72 * 3600"
    ));
    assert!(warm > 0);
    // (TikTok refreshes by re-reading only the date windows of due posts; other
    // platforms may refresh older posts as a cheap side effect of reading an account.)
    assert_eq!(
        warm_refreshed, 0,
        "posts older than 48 h wait for their daily refresh"
    );
    rig.advance_hours(24);
    rig.cycle().await;
    let warm_refreshed = rig.int(&format!("SELECT count(*) FROM posts WHERE platform = 'tiktok' AND deleted_at IS NULL AND posted_at < {now} - 72 * 3600 AND last_refreshed_at >= {now} + 24 * 3600"));
    assert_eq!(warm_refreshed, rig.int(&format!("SELECT count(*) FROM posts WHERE platform = 'tiktok' AND deleted_at IS NULL AND posted_at < {now} - 72 * 3600 AND posted_at > {now} + 24 * 3600 - 30 * 86400")));
}

#[tokio::test]
async fn hidden_counts_stay_null_and_deleted_posts_are_marked() {
    let rig = Rig::new(sim_config(200), "").await;
    rig.advance_hours(24 * 4);
    rig.cycle().await;
    let hidden = rig.int("SELECT count(*) FROM posts_latest WHERE platform IN ('instagram','youtube') AND likes IS NULL");
    assert!(hidden > 0, "some likes are hidden and stored as NULL");
    let shares = rig
        .int("SELECT count(*) FROM posts_latest WHERE platform = 'youtube' AND shares IS NOT NULL");
    assert_eq!(shares, 0, "YouTube reports no shares: NULL, never 0");

    // Days pass; posts the platforms delete get marked, and keep their snapshots.
    for _ in 0..6 {
        rig.advance_hours(24);
        rig.cycle().await;
    }
    let truth = rig.truth();
    let deleted_in_truth: BTreeSet<String> = truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["deleted"] == true)
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let marked: BTreeSet<String> = rig
        .rows("SELECT platform_post_id FROM posts WHERE deleted_at IS NOT NULL")
        .into_iter()
        .map(|r| match &r[0] {
            rusqlite::types::Value::Text(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert!(!marked.is_empty(), "deletions were seen");
    assert!(
        marked.is_subset(&deleted_in_truth),
        "only deleted posts are marked"
    );
    let orphans = rig.int("SELECT count(*) FROM posts p WHERE deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM post_snapshots s WHERE s.post_id = p.id)");
    assert_eq!(orphans, 0, "deleted posts keep their snapshots");
    assert_matches_truth(&rig);
}

#[tokio::test]
async fn an_interrupted_pagination_resumes_without_loss_or_duplicates() {
    let rig = Rig::new(sim_config(400), "").await;
    rig.advance_hours(24 * 25);
    // TikTok discovery pages 100 videos at a time: let two pages through, then fail
    // every request until the retries of this cycle run out.
    let daemon = rig.daemon(Some(Platform::Tiktok));
    let sim = &rig.sim;
    let fail_later = async {
        while sim
            .state
            .stats()
            .requests
            .get("tiktok research/video/query")
            .copied()
            .unwrap_or(0)
            < 2
        {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        sim.state.inject(Platform::Tiktok, Fault::ServerError, 20);
    };
    let (broken, ()) = tokio::join!(daemon.cycle(), fail_later);
    assert_ne!(
        broken[0].outcome,
        Outcome::Ok,
        "the cycle was broken: {broken:?}"
    );
    let cursor = rig
        .peek()
        .sync_state(Platform::Tiktok, "discovery")
        .unwrap()
        .unwrap()
        .cursor;
    assert!(
        cursor.is_some(),
        "the cursor after the last stored page is kept"
    );
    let stored_before = rig.stored("tiktok").len();
    assert!(
        stored_before >= 100,
        "the pages before the failure are stored"
    );

    // The platform recovers: the next cycle resumes at the cursor.
    while rig
        .sim
        .state
        .stats()
        .faults
        .get("ServerError")
        .copied()
        .unwrap_or(0)
        < 20
    {
        // Use up the injected faults that the broken cycle did not meet.
        let _ = reqwest::Client::new()
            .post(format!("{}/v2/oauth/token/", rig.sim.urls.tiktok))
            .send()
            .await;
    }
    let requests_before = rig
        .sim
        .state
        .stats()
        .requests
        .get("tiktok research/video/query")
        .copied()
        .unwrap_or(0);
    let reports = rig.daemon(Some(Platform::Tiktok)).cycle().await;
    assert_eq!(reports[0].outcome, Outcome::Ok, "{reports:?}");
    let first_page_again = rig
        .sim
        .state
        .stats()
        .requests
        .get("tiktok research/video/query")
        .copied()
        .unwrap_or(0)
        - requests_before;
    assert!(first_page_again > 0);
    assert_eq!(
        rig.int("SELECT count(*) - count(DISTINCT platform_post_id) FROM posts"),
        0,
        "no duplicates"
    );
    let stored = rig.stored("tiktok");
    for (id, c) in visible(&rig.truth(), "tiktok") {
        assert_eq!(stored.get(&id), Some(&c), "tiktok {id} after resuming");
    }
}

async fn survive(profile: FaultProfile) {
    let mut config = sim_config(120);
    config.faults = profile;
    config.slow_ms = 300;
    // Honouring Retry-After is its own test; here storms may retry at once.
    config.retry_after_secs = (0, 0);
    let rig = Rig::new(config, HOURLY).await;
    rig.advance_hours(24 * 6);
    for _ in 0..3 {
        let reports = rig.cycle().await;
        for r in reports.values() {
            assert!(
                r.error.as_deref().is_none_or(|e| !e.contains(SECRET)),
                "{r:?}"
            );
        }
        rig.advance_hours(1);
    }
    // Faults stop; one more cycle and nothing the platforms served is missing.
    rig.sim.state.set_fault_profile(FaultProfile::None);
    rig.advance_hours(1);
    let reports = rig.cycle().await;
    assert!(
        reports.values().all(|r| r.outcome == Outcome::Ok),
        "{reports:?}"
    );
    assert_matches_truth(&rig);
    assert_eq!(
        rig.int("SELECT count(*) - count(DISTINCT platform || platform_post_id) FROM posts"),
        0
    );
    assert!(
        !rig.sim.state.stats().faults.is_empty(),
        "faults were served"
    );
}

#[tokio::test]
async fn the_flaky_profile_is_survived_with_nothing_lost() {
    survive(FaultProfile::Flaky).await;
}

#[tokio::test]
async fn the_hostile_profile_is_survived_with_nothing_lost() {
    survive(FaultProfile::Hostile).await;
}

#[tokio::test]
async fn retry_after_is_honoured_on_a_429() {
    let rig = Rig::new(sim_config(20), "").await;
    rig.advance_hours(24);
    rig.sim
        .state
        .inject(Platform::Youtube, Fault::RateLimited, 1);
    let started = std::time::Instant::now();
    let reports = rig.daemon(Some(Platform::Youtube)).cycle().await;
    assert_eq!(reports[0].outcome, Outcome::Ok, "{reports:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the server's Retry-After (≥ 1 s)"
    );
}

#[tokio::test]
async fn an_expired_credential_stops_that_platform_while_the_others_go_on() {
    let rig = Rig::new(sim_config(60), "").await;
    rig.advance_hours(48);
    rig.sim
        .state
        .inject(Platform::Instagram, Fault::TokenExpired, 1);
    let reports = rig.cycle().await;
    let ig = &reports[&Platform::Instagram];
    assert_eq!(ig.outcome, Outcome::Failed);
    assert!(
        ig.error.as_deref().unwrap().contains("credential rejected"),
        "{ig:?}"
    );
    assert!(!ig.error.as_deref().unwrap().contains(SECRET));
    for p in [Platform::Tiktok, Platform::Youtube] {
        assert_eq!(reports[&p].outcome, Outcome::Ok, "{p} goes on");
    }
    let status = rig.peek().platform_status(Platform::Instagram).unwrap();
    assert!(status.last_error.unwrap().1.contains("190"));
}

#[tokio::test]
async fn the_operator_is_told_once_when_a_credential_is_rejected_or_cycles_keep_failing_and_when_it_works_again()
 {
    let (bot, seen) = common::bot::fake_telegram(true).await;
    let rig = Rig::new(
        sim_config(60),
        &format!(
            "[alerts]\nafter_failures = 2\n[alerts.telegram]\nchat_id = \"-42\"\nbase_url = \"{bot}\"\n"
        ),
    )
    .await;
    rig.advance_hours(48);
    // What the operator's chat was told about `platform`.
    let told = |platform: Platform| -> Vec<String> {
        common::bot::messages(&seen)
            .iter()
            .map(|(_, b)| {
                assert_eq!(b["chat_id"], "-42", "the operator's chat");
                b["text"].as_str().unwrap().to_string()
            })
            .filter(|t| t.contains(&format!("\n{}", platform.name())))
            .collect()
    };

    // A rejected credential is told at once (a cycle of Instagram alone: Facebook shares
    // Graph's host, and so the fault).
    rig.sim
        .state
        .inject(Platform::Instagram, Fault::TokenExpired, 1);
    let instagram_alone = rig.daemon(Some(Platform::Instagram)).cycle().await;
    assert_eq!(instagram_alone[0].outcome, Outcome::Failed);
    let ig = told(Platform::Instagram);
    assert_eq!(ig.len(), 1, "{ig:?}");
    assert!(
        ig[0].contains("Instagram: the credential was rejected"),
        "{ig:?}"
    );
    assert!(!ig[0].contains(SECRET));
    // Refused again (the token is dead): nothing new.
    rig.advance_hours(1);
    let reports = rig.cycle().await;
    assert_eq!(reports[&Platform::Instagram].outcome, Outcome::Failed);
    assert_eq!(told(Platform::Instagram).len(), 1, "told once");
    // The operator puts in a new token: it works again, and that is said once.
    let renewed = rig.config.secrets(|_| Some("tok-renewed".into())).unwrap();
    for _ in 0..2 {
        rig.advance_hours(1);
        let daemon = rig.daemon_for(&rig.config, &renewed, rig.sim.state.clock.clone(), None);
        let ig = daemon
            .cycle()
            .await
            .into_iter()
            .find(|r| r.platform == Platform::Instagram);
        let ig = ig.unwrap();
        assert_eq!(ig.outcome, Outcome::Ok, "{ig:?}");
    }
    let ig = told(Platform::Instagram);
    assert_eq!(ig.len(), 2, "{ig:?}");
    assert!(ig[1].contains("Instagram works again"), "{ig:?}");

    // YouTube's server fails every retry of three cycles: told after the second, once.
    rig.sim
        .state
        .inject(Platform::Youtube, Fault::ServerError, 500);
    for n in 1..=3 {
        rig.advance_hours(1);
        let daemon = rig.daemon_for(&rig.config, &renewed, rig.sim.state.clock.clone(), None);
        let reports: BTreeMap<Platform, PlatformReport> = daemon
            .cycle()
            .await
            .into_iter()
            .map(|r| (r.platform, r))
            .collect();
        assert_eq!(
            reports[&Platform::Youtube].outcome,
            Outcome::Failed,
            "cycle {n}"
        );
        let yt = told(Platform::Youtube);
        assert_eq!(yt.len(), usize::from(n > 1), "after cycle {n}: {yt:?}");
    }
    let yt = told(Platform::Youtube);
    assert!(
        yt[0].contains("YouTube: 2 cycles in a row failed"),
        "{yt:?}"
    );
    assert_eq!(
        told(Platform::Tiktok),
        Vec::<String>::new(),
        "TikTok was fine throughout"
    );
    // `status` shows how the alert went, beside the reports' pushes.
    let pushes = rig.peek().last_pushes().unwrap();
    assert!(
        pushes.iter().any(|p| p.channel == "alert-telegram" && p.ok),
        "{pushes:?}"
    );
    // ...and which platforms stand alerted.
    let status = status_json(rig._dir.path(), &[]);
    let alerted = |name: &str| {
        status["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["platform"] == name)
            .unwrap()["operator_alerted"]
            .clone()
    };
    assert_eq!(alerted("youtube")["kind"], "failures");
    assert!(alerted("instagram").is_null(), "it works again");
}

#[tokio::test]
async fn a_graph_user_limit_pauses_graph_until_a_later_cycle() {
    let rig = Rig::new(sim_config(60), "").await;
    rig.advance_hours(48);
    rig.sim
        .state
        .inject(Platform::Facebook, Fault::UserLimit, 1);
    let reports = rig.daemon(Some(Platform::Facebook)).cycle().await;
    // The platform's own limit: the cycle ends on a spent quota, not a failure.
    assert_eq!(
        reports[0].outcome,
        Outcome::QuotaSpent,
        "code 17 is not retried: {reports:?}"
    );
    assert!(reports[0].error.as_deref().unwrap().contains("17"));
    assert_eq!(reports[0].requests, 1, "no hammering while throttled");
    rig.advance_hours(1);
    let reports = rig.daemon(Some(Platform::Facebook)).cycle().await;
    assert_eq!(reports[0].outcome, Outcome::Ok, "{reports:?}");
}

#[tokio::test]
async fn a_tiktok_token_expiring_mid_run_is_renewed() {
    let rig = Rig::new(sim_config(60), "").await;
    rig.advance_hours(48);
    rig.cycle().await;
    rig.sim
        .state
        .inject(Platform::Tiktok, Fault::TokenExpired, 1);
    rig.advance_hours(1);
    let reports = rig.cycle().await;
    assert_eq!(
        reports[&Platform::Tiktok].outcome,
        Outcome::Ok,
        "{:?}",
        reports[&Platform::Tiktok]
    );
    assert!(
        rig.sim.state.stats().requests["tiktok oauth/token"] >= 2,
        "a new token was fetched"
    );
}

#[tokio::test]
async fn a_small_youtube_budget_is_never_exceeded_and_survives_restarts() {
    let rig = Rig::new(sim_config(300), "").await;
    let text = std::fs::read_to_string(&rig.config.file).unwrap().replace(
        "api_key_env = \"JEMPOL_YOUTUBE_API_KEY\"",
        "api_key_env = \"JEMPOL_YOUTUBE_API_KEY\"\ndaily_quota_units = 150",
    );
    std::fs::write(&rig.config.file, text).unwrap();
    let config = Config::load(&rig.config.file).unwrap();
    rig.advance_hours(24 * 10);
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        // A fresh daemon each time: a restart must not forget what was spent.
        let daemon = rig.daemon_with(
            &config,
            rig.sim.state.clock.clone(),
            Some(Platform::Youtube),
        );
        let report = daemon.cycle().await.remove(0);
        outcomes.push((
            report.outcome,
            report.quota_until,
            rig.sim.state.clock.now(),
        ));
        rig.advance_hours(1);
    }
    // A spent budget is an outcome of its own, not a failure, and says when it renews:
    // YouTube's day ends at midnight Pacific time.
    let (outcome, until, at) = outcomes.last().copied().unwrap();
    assert_eq!(outcome, Outcome::QuotaSpent, "{outcomes:?}");
    let midnight = jempol::quota::Window::PacificDay.end(at);
    assert_eq!(until.map(|t| t.as_second()), Some(midnight));
    assert!(
        outcomes
            .iter()
            .all(|(o, ..)| matches!(o, Outcome::Ok | Outcome::QuotaSpent))
    );
    let units = rig.sim.state.stats().youtube_units_today;
    assert!(units <= 150, "spent {units} of 150 units");
    assert!(units >= 100, "the budget was used: {units}");
    assert!(
        rig.sim.state.stats().quota_refusals.is_empty(),
        "the platform never had to refuse"
    );
}

/// A clock that reads `ahead` later than the simulator's: a machine's clock set wrong.
struct Ahead(Arc<jempol::sim::SimClock>, jiff::SignedDuration);

impl Clock for Ahead {
    fn now(&self) -> jiff::Timestamp {
        self.0.now() + self.1
    }
}

#[tokio::test]
async fn a_clock_stepped_back_after_a_poll_ten_days_ahead_does_not_stop_polling() {
    // On the wall clock's date (stopped), so that `jempol status` sees the same future.
    let rig = Rig::new(SimConfig::new(7, 12, jiff::Timestamp::now()), HOURLY).await;
    rig.cycle().await;
    rig.advance_hours(1);
    let ten_days = jiff::SignedDuration::from_hours(240);
    let ahead = rig.daemon_with(
        &rig.config,
        Arc::new(Ahead(rig.sim.state.clock.clone(), ten_days)),
        None,
    );
    for r in ahead.cycle().await {
        assert!(r.requests > 0, "{r:?}");
    }
    let future = rig.sim.state.clock.now().as_second() + 3600;
    assert!(
        rig.int(&format!(
            "SELECT count(*) FROM posts WHERE last_refreshed_at > {future}"
        )) > 0
    );

    // The clock is put right; an hour later a normal poll polls every platform again.
    rig.advance_hours(1);
    let snapshots = rig.int("SELECT count(*) FROM post_snapshots");
    let reports = rig.cycle().await;
    for p in Platform::ALL {
        let r = &reports[&p];
        assert_eq!(r.outcome, Outcome::Ok, "{r:?}");
        assert!(
            r.requests > 0,
            "{p} made no request after the clock stepped back: {r:?}"
        );
    }
    assert!(
        rig.int("SELECT count(*) FROM post_snapshots") > snapshots,
        "no post was refreshed"
    );
    let now = rig.sim.state.clock.now().as_second();
    assert_eq!(
        rig.int(&format!(
            "SELECT count(*) FROM posts WHERE last_refreshed_at > {now} + 300"
        )),
        0,
        "refresh marks from the future are moved back"
    );
    assert_eq!(
        rig.int(&format!(
            "SELECT count(*) FROM accounts WHERE checked_at > {now} + 300"
        )),
        0
    );
    // ...and stay in the present: the next hour refreshes again, on time.
    rig.advance_hours(1);
    let snapshots = rig.int("SELECT count(*) FROM post_snapshots");
    for r in rig.cycle().await {
        assert!(r.1.requests > 0, "{r:?}");
    }
    assert!(rig.int("SELECT count(*) FROM post_snapshots") > snapshots);

    // `status` shows the times from the future, as a warning a script can read.
    let dir = rig._dir.path();
    let status = status_json(dir, &[]);
    // Times as RFC 3339 in the campaign's zone, as everywhere else.
    for p in status["platforms"].as_array().unwrap() {
        for key in ["last_success", "last_run_started", "next_poll"] {
            let t = p[key].as_str().unwrap_or_else(|| panic!("{key}: {p}"));
            assert!(
                t.ends_with("+07:00") && t.parse::<jiff::Timestamp>().is_ok(),
                "{key}: {t}"
            );
        }
        assert!(p["quota"]["window_start"].as_str().is_some(), "{p}");
    }
    let behind = status["clock_behind_database_seconds"].as_i64().unwrap();
    assert!((9 * 86_400..=11 * 86_400).contains(&behind), "{status}");
    let warning = status["warnings"].to_string();
    assert!(
        warning.contains("days ahead of this machine's clock"),
        "{warning}"
    );
    let out = jempol(dir, &["status"], &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: the database holds times up to"),
        "{text}"
    );
}

#[test]
fn no_secret_reaches_logs_errors_or_the_database() {
    let (_rt, sim, dir) = binary_rig(FaultProfile::Flaky);
    // Errors that quote the request: an expired Graph token, broken bodies, 5xx.
    sim.state
        .inject(Platform::Instagram, Fault::TokenExpired, 1);
    sim.state.inject(Platform::Youtube, Fault::Truncated, 2);
    sim.state.inject(Platform::Tiktok, Fault::ServerError, 2);
    let import = jempol(dir.path(), &["businesses", "import", "umkm.csv"], &SECRETS)
        .output()
        .unwrap();
    assert!(import.status.success());
    let mut output = Vec::new();
    for format in ["text", "json"] {
        let run = jempol(
            dir.path(),
            &[
                "-v",
                "--log-format",
                format,
                "poll",
                "--once",
                "--format",
                "json",
            ],
            &SECRETS,
        )
        .output()
        .unwrap();
        assert_eq!(
            run.status.code(),
            Some(1),
            "Instagram's token expired: exit 1"
        );
        output.extend(run.stdout);
        output.extend(run.stderr);
    }
    let status = jempol(dir.path(), &["status", "--format", "json"], &SECRETS)
        .output()
        .unwrap();
    output.extend(status.stdout);
    let text = String::from_utf8_lossy(&output);
    assert!(
        text.contains("credential rejected"),
        "the expired token is reported"
    );
    assert!(
        text.contains("access_token=***") || text.contains("key=***"),
        "URLs are logged, redacted"
    );
    let mut db = std::fs::read(dir.path().join("jempol.db")).unwrap();
    db.extend(std::fs::read(dir.path().join("jempol.db-wal")).unwrap_or_default());
    for (var, secret) in SECRETS {
        assert!(!text.contains(secret), "{var} leaked into the output");
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{var} leaked into the database"
        );
    }
}

#[cfg(unix)]
#[test]
fn one_writer_at_a_time_and_sigterm_exits_0_within_10_seconds() {
    let (_rt, _sim, dir) = binary_rig(FaultProfile::None);
    assert!(
        jempol(dir.path(), &["businesses", "import", "umkm.csv"], &SECRETS)
            .output()
            .unwrap()
            .status
            .success()
    );
    let mut daemon = jempol(dir.path(), &["run"], &SECRETS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.path().join("jempol.db.lock");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&lock)
        .map(|s| s.trim().is_empty())
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the daemon did not take the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = jempol(dir.path(), &["poll", "--once"], &SECRETS)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("already polling") && err.contains(&daemon.id().to_string()),
        "{err}"
    );

    // `status` says that a writer runs, and which.
    let writer = |dir: &std::path::Path| status_json(dir, &SECRETS)["writer"].clone();
    assert_eq!(
        writer(dir.path()),
        serde_json::json!({"running": true, "pid": daemon.id()})
    );

    std::thread::sleep(Duration::from_millis(300)); // let it get into a cycle
    let term = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let signalled = std::time::Instant::now();
    let code = loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    assert_eq!(
        writer(dir.path()),
        serde_json::json!({"running": false, "pid": null}),
        "the lock is free once the daemon is gone"
    );
    let check = jempol(dir.path(), &["db", "check"], &SECRETS)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// A Graph stand-in written from platform-apis.md §1.2/§1.5 alone, not from jempol's
/// simulator: `recent_media` sends the same `after` on every page (as Instagram may);
/// only its `next` link moves the listing on. Records the query of each request.
async fn graph_with_a_constant_after(
    pages: usize,
) -> (String, Arc<Mutex<Vec<BTreeMap<String, String>>>>) {
    use axum::extract::{Path, Query, State};
    use axum::http::HeaderMap;
    type Seen = Arc<Mutex<Vec<BTreeMap<String, String>>>>;
    let seen: Seen = Default::default();
    let app = axum::Router::new()
        .route(
            "/v21.0/{node}/{edge}",
            axum::routing::get(
                move |State(seen): State<Seen>,
                      Path((node, edge)): Path<(String, String)>,
                      Query(q): Query<BTreeMap<String, String>>,
                      headers: HeaderMap| async move {
                    let mut logged = q.clone();
                    logged.insert("edge".into(), edge.clone());
                    seen.lock().unwrap().push(logged);
                    assert_eq!(node, "17843000000000512");
                    if edge == "top_media" {
                        // The most popular media of any age: one seen above, one older.
                        let data: Vec<Value> = ["179000000000000", "178000000000001"]
                            .iter()
                            .map(|id| serde_json::json!({"id": id, "caption": "Songket #umkmkotapadangmajubersama",
                                "media_type": "IMAGE", "comments_count": 3, "like_count": 99,
                                "timestamp": "2026-11-02T02:15:00+0000"}))
                            .collect();
                        return axum::Json(serde_json::json!({"data": data, "paging": {"cursors": {"after": "QVFIUnRk"}}}));
                    }
                    assert_eq!(edge, "recent_media");
                    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
                    let data: Vec<Value> = (0..2)
                        .map(|i| serde_json::json!({
                            "id": format!("1790000000000{page}{i}"),
                            "caption": "Rendang kering #UMKMKotaPadangMajuBersama",
                            "media_type": "IMAGE", "comments_count": 1, "like_count": 10 + i,
                            "permalink": format!("https://www.instagram.com/p/X{page}{i}/"),
                            "timestamp": "2026-11-21T02:15:00+0000"}))
                        .collect();
                    let host = headers["host"].to_str().unwrap().to_string();
                    let mut paging = serde_json::json!({"cursors": {"after": "QVFIUnRk"}});
                    if page + 1 < pages {
                        paging["next"] = Value::from(format!(
                            "http://{host}/v21.0/{node}/{edge}?user_id={}&fields={}&limit=50&access_token={}&after=QVFIUnRk&page={}",
                            q["user_id"], q["fields"], q["access_token"], page + 1
                        ));
                    }
                    axum::Json(serde_json::json!({"data": data, "paging": paging}))
                },
            ),
        )
        .route(
            "/v21.0/ig_hashtag_search",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"data": [{"id": "17843000000000512"}]})) }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v21.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn recent_media_is_read_to_its_end_when_every_page_repeats_the_after_cursor_then_top_media() {
    let (graph, seen) = graph_with_a_constant_after(4).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jempol.toml");
    std::fs::write(
        &path,
        format!(
            "{}\n[platforms.instagram]\nbase_url = \"{graph}\"\nig_user_id = \"17841400000000777\"\naccess_token_env = \"JEMPOL_INSTAGRAM_TOKEN\"\n",
            common::MINIMAL_CONFIG
        ),
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let secrets = config.secrets(|_| Some(SECRET.to_string())).unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let writer = Writer::start(
        Store::open(&config.database).unwrap(),
        config.wal_limit,
        rx.clone(),
    )
    .unwrap();
    let clock = Arc::new(jempol::sim::SimClock::new(
        "2026-11-21T06:00:00Z".parse().unwrap(),
        0.0,
    ));
    let daemon = Daemon::builder(&config, &secrets, writer.clone())
        .clock(clock)
        .shutdown(rx)
        .only(Some(Platform::Instagram))
        .retry(fast_retries())
        .build()
        .unwrap();
    let reports = daemon.cycle().await;
    assert!(
        matches!(reports[0].outcome, Outcome::Ok),
        "{:?}",
        reports[0].outcome
    );

    let stored: i64 = Store::open(&config.database)
        .unwrap()
        .connection()
        .query_row(
            "SELECT count(*) FROM posts WHERE platform = 'instagram'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stored, 9,
        "all four recent_media pages of two posts, and the older post top_media adds"
    );
    let seen = seen.lock().unwrap();
    let pages: Vec<String> = seen
        .iter()
        .map(|q| {
            format!(
                "{} {}",
                q["edge"],
                q.get("page").map_or("first", String::as_str)
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            "recent_media first",
            "recent_media 1",
            "recent_media 2",
            "recent_media 3",
            "top_media first"
        ],
        "each page once, following `next`"
    );
    assert!(seen.iter().all(|q| q["access_token"] == SECRET));
    let cursors: String = Store::open(&config.database)
        .unwrap()
        .connection()
        .query_row(
            "SELECT group_concat(coalesce(cursor, '') || coalesce(state, '')) FROM sync_state",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !cursors.contains(SECRET),
        "a stored cursor carries no token: {cursors}"
    );
}

/// Runs `jempol` as a user the database's modes apply to: as root (which ignores file
/// modes, as on CI) through `setpriv` as nobody, with a copy of the binary any user may
/// run; else as ourselves. None when neither is possible here.
fn jempol_as_unprivileged(dir: &std::path::Path, args: &[&str]) -> Option<std::process::Output> {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = jempol(dir, args, &SECRETS);
    if root {
        let binary = dir.join("jempol-copy");
        std::fs::copy(env!("CARGO_BIN_EXE_jempol"), &binary).ok()?;
        let mut setpriv = std::process::Command::new("setpriv");
        setpriv
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .arg("--config")
            .arg(dir.join("jempol.toml"))
            .args(args)
            .current_dir(dir)
            .env_clear()
            .envs(SECRETS);
        if std::process::Command::new("setpriv")
            .args(["--reuid=65534", "true"])
            .status()
            .ok()?
            .success()
        {
            cmd = setpriv;
        } else {
            return None;
        }
    }
    cmd.output().ok()
}

#[test]
fn a_read_only_database_is_refused_with_a_clear_error_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let (_rt, _sim, dir) = binary_rig(FaultProfile::None);
    let d = dir.path();
    assert!(
        jempol(d, &["businesses", "import", "umkm.csv"], &SECRETS)
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(
        jempol(d, &["poll", "--once"], &SECRETS)
            .output()
            .unwrap()
            .status
            .success()
    );
    let db = d.join("jempol.db");
    let before = std::fs::read(&db).unwrap();
    assert!(
        !d.join("jempol.db-wal").exists(),
        "the last writer checkpointed and removed the WAL"
    );

    // The folder stays open to everyone (a lock file may be made); the file is not writable.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let _ = std::fs::remove_file(d.join("jempol.db.lock"));
    for name in ["jempol.toml", "umkm.csv"] {
        std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let Some(out) = jempol_as_unprivileged(d, &["poll", "--once"]) else {
        eprintln!("skipped: running as root without setpriv, file modes cannot be tested here");
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("jempol.db is read-only for this user") && err.contains("write access"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A writable file in a folder the user may not write (no -wal can be made there).
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o666)).unwrap();
    let _ = std::fs::remove_file(d.join("jempol.db.lock"));
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = jempol_as_unprivileged(d, &["poll", "--once"]).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("jempol.db is read-only for this user"),
        "{err}"
    );

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file is untouched");
    let store = Store::open(&db).unwrap();
    assert!(store.check().unwrap().is_healthy());
}

#[test]
fn reading_commands_work_on_a_file_they_may_not_write_and_beside_a_long_write() {
    use std::os::unix::fs::PermissionsExt;
    let (_rt, _sim, dir) = binary_rig(FaultProfile::None);
    let d = dir.path();
    for args in [
        &["businesses", "import", "umkm.csv"][..],
        &["poll", "--once"],
    ] {
        let out = jempol(d, args, &SECRETS).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = d.join("jempol.db");
    let before = std::fs::read(&db).unwrap();
    let reads: [&[&str]; 4] = [
        &["report", "--date", "today", "--format", "json"],
        &["status", "--format", "json"],
        &["db", "check", "--format", "json"],
        &["businesses", "list", "--format", "json"],
    ];
    let answers = |out: &std::process::Output, args: &[&str]| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!v.is_null(), "{args:?}");
        v
    };

    // A file and a folder this user may only read: no -wal or -shm can be made.
    let _ = std::fs::remove_file(d.join("jempol.db.lock"));
    std::fs::set_permissions(
        d.join("jempol.toml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut tested_modes = true;
    for args in reads {
        let Some(out) = jempol_as_unprivileged(d, args) else {
            eprintln!("skipped: running as root without setpriv, file modes cannot be tested here");
            tested_modes = false;
            break;
        };
        let v = answers(&out, args);
        if args[0] == "businesses" {
            assert!(!v.as_array().unwrap().is_empty(), "{v}");
        }
    }
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
    if tested_modes {
        assert_eq!(std::fs::read(&db).unwrap(), before, "the file is untouched");
    }
    // With every permission, too, they leave the file byte for byte as it was.
    for args in reads {
        answers(&jempol(d, args, &SECRETS).output().unwrap(), args);
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a reading command wrote"
    );

    // Beside a writer inside a long transaction they answer at once, from what was
    // committed.
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE businesses SET name = name || ' (draft)';")
        .unwrap();
    for args in reads {
        let out = jempol(d, args, &SECRETS).output().unwrap();
        let v = answers(&out, args);
        assert!(
            !v.to_string().contains("(draft)"),
            "{args:?} read an uncommitted write"
        );
    }
    drop(writer);

    // A writer that keeps readers out altogether is waited for, and the wait is told.
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE businesses SET name = name;",
        )
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        writer.execute_batch("COMMIT").unwrap();
        drop(writer);
    });
    let out = jempol(d, &["db", "check", "--format", "json"], &SECRETS)
        .output()
        .unwrap();
    release.join().unwrap();
    let v = answers(&out, &["db", "check"]);
    assert_eq!(v["integrity_ok"], true);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting for the database"), "{err}");
}
