//! The daemon's figures (issue: polling daemon). Run with
//! `cargo bench --bench daemon` (all parts) or name parts: `ingest`, `refresh` (`BENCH_DAY=23|9`
//! for one of its two worlds), `rss`,
//! `budget`; `hostile` and `soak` run only when named. Prints medians; nothing here is
//! asserted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jempol::config::Config;
use jempol::platform::http::RetryPolicy;
use jempol::platform::{AccountRef, Counts, Platform, Post};
use jempol::scheduler::Daemon;
use jempol::sim::{Quotas, SimConfig, SimState, Simulator};
use jempol::store::{Store, SyncState, Writer};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn synthetic_posts(n: usize, round: u64) -> Vec<Post> {
    (0..n)
        .map(|i| Post {
            platform: Platform::ALL[i % 4],
            id: format!("{}", 17_900_000_000_000_000u64 + i as u64),
            account: Some(AccountRef {
                handle: Some(format!("akun{}", i % ACCOUNTS)),
                platform_user_id: None,
                display_name: None,
            }),
            permalink: Some(format!("https://example.invalid/p/{i}")),
            caption: Some("Promo #UMKMKotaPadangMajuBersama".into()),
            media_type: Some("IMAGE".into()),
            posted_at: jiff::Timestamp::from_second(1_763_600_000 + i as i64).ok(),
            counts: Counts {
                likes: Some(i as u64 + round),
                comments: Some(3 + round),
                shares: None,
                views: Some(100 + round),
            },
        })
        .collect()
}

/// Businesses behind the synthetic posts' accounts: `akun{k}` on every platform.
const ACCOUNTS: usize = 5000;

fn registry() -> Vec<jempol::registry::Business> {
    (0..ACCOUNTS)
        .map(|k| jempol::registry::Business {
            key: format!("B{k:05}"),
            name: format!("Usaha {k}"),
            category: None,
            district: None,
            handles: Platform::ALL.map(|p| (p, format!("akun{k}"))).to_vec(),
        })
        .collect()
}

/// The business row id of the synthetic post `i` (imported in order, ids from 1).
fn business_of(i: usize) -> i64 {
    (i % ACCOUNTS) as i64 + 1
}

fn counts_of(p: &Post) -> [Option<i64>; 4] {
    [
        p.counts.likes,
        p.counts.comments,
        p.counts.shares,
        p.counts.views,
    ]
    .map(|v| v.map(|n| n as i64))
}

/// The store's ingest path against a bare rusqlite loop writing the same rows.
fn ingest() {
    const N: usize = 100_000;
    const BATCH: usize = 1_000;
    let mut jempol_new = Vec::new();
    let mut jempol_snap = Vec::new();
    let mut bare_new = Vec::new();
    let mut bare_snap = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let first = synthetic_posts(N, 0);
        let second = synthetic_posts(N, 1);
        let mut store = Store::open(&dir.path().join("j.db")).unwrap();
        // Registered businesses, so the per-business day tables are written as in a
        // campaign (their triggers fire for registered posts only), in both loops.
        store.import_businesses(&registry(), 0).unwrap();
        let t = Instant::now();
        for chunk in first.chunks(BATCH) {
            store.record_posts(chunk, 1000).unwrap();
        }
        jempol_new.push(N as f64 / t.elapsed().as_secs_f64());
        let unattributed: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM posts WHERE business_id IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            unattributed, 0,
            "every synthetic post is a registered business's"
        );
        let t = Instant::now();
        for chunk in second.chunks(BATCH) {
            store.record_posts(chunk, 2000 + 86_400).unwrap();
        }
        jempol_snap.push(N as f64 / t.elapsed().as_secs_f64());

        // The bare loop: same schema and rows, no lookups, no change detection.
        let mut bare = Store::open(&dir.path().join("bare.db")).unwrap();
        bare.import_businesses(&registry(), 0).unwrap();
        let conn = bare.connection();
        let last: i64 = conn
            .query_row("SELECT id FROM businesses WHERE key = 'B04999'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            last,
            business_of(ACCOUNTS - 1),
            "businesses imported in order"
        );
        let t = Instant::now();
        for (c, chunk) in first.chunks(BATCH).enumerate() {
            conn.execute_batch("BEGIN").unwrap();
            {
                let mut post = conn.prepare_cached("INSERT INTO posts (platform, platform_post_id, permalink, caption, media_type, posted_at, first_seen_at, last_refreshed_at, likes, comments, shares, views, counted_at, business_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1000, 1000, ?7, ?8, ?9, ?10, 1000, ?11)").unwrap();
                let mut snap = conn.prepare_cached("INSERT INTO post_snapshots (post_id, taken_at, likes, comments, shares, views) VALUES (?1, 1000, ?2, ?3, ?4, ?5)").unwrap();
                let mut day = conn.prepare_cached("INSERT INTO post_days (day, post_id, platform, start_likes, start_comments, start_shares, start_views, likes, comments, shares, views, business_id) VALUES ('1970-01-01', ?1, ?2, 0, 0, 0, 0, ?3, ?4, ?5, ?6, ?7)").unwrap();
                for (i, p) in chunk.iter().enumerate() {
                    let counts = counts_of(p);
                    let business = business_of(c * BATCH + i);
                    post.execute(rusqlite::params![
                        p.platform.as_str(),
                        p.id,
                        p.permalink,
                        p.caption,
                        p.media_type,
                        p.posted_at.map(|t| t.as_second()),
                        counts[0],
                        counts[1],
                        counts[2],
                        counts[3],
                        business
                    ])
                    .unwrap();
                    let id = (c * BATCH + i + 1) as i64;
                    snap.execute(rusqlite::params![
                        id, counts[0], counts[1], counts[2], counts[3]
                    ])
                    .unwrap();
                    day.execute(rusqlite::params![
                        id,
                        p.platform.as_str(),
                        counts[0],
                        counts[1],
                        counts[2],
                        counts[3],
                        business
                    ])
                    .unwrap();
                }
            }
            conn.execute_batch("COMMIT").unwrap();
        }
        bare_new.push(N as f64 / t.elapsed().as_secs_f64());
        let t = Instant::now();
        for (c, chunk) in second.chunks(BATCH).enumerate() {
            conn.execute_batch("BEGIN").unwrap();
            {
                // The rows jempol writes on a refresh the next day: the post's latest
                // counts, a snapshot, the day's rollup row.
                let mut touch = conn
                    .prepare_cached("UPDATE posts SET last_refreshed_at = 88400, likes = ?2, comments = ?3, shares = ?4, views = ?5, counted_at = 88400 WHERE id = ?1")
                    .unwrap();
                let mut snap = conn.prepare_cached("INSERT INTO post_snapshots (post_id, taken_at, likes, comments, shares, views) VALUES (?1, 88400, ?2, ?3, ?4, ?5)").unwrap();
                let mut day = conn.prepare_cached("INSERT INTO post_days (day, post_id, platform, start_likes, start_comments, start_shares, start_views, likes, comments, shares, views, business_id) VALUES ('1970-01-02', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)").unwrap();
                for (i, p) in chunk.iter().enumerate() {
                    let id = (c * BATCH + i + 1) as i64;
                    let (was, now) = (counts_of(&first[c * BATCH + i]), counts_of(p));
                    touch
                        .execute(rusqlite::params![id, now[0], now[1], now[2], now[3]])
                        .unwrap();
                    snap.execute(rusqlite::params![id, now[0], now[1], now[2], now[3]])
                        .unwrap();
                    day.execute(rusqlite::params![
                        id,
                        p.platform.as_str(),
                        was[0],
                        was[1],
                        was[2],
                        was[3],
                        now[0],
                        now[1],
                        now[2],
                        now[3],
                        business_of(c * BATCH + i)
                    ])
                    .unwrap();
                }
            }
            conn.execute_batch("COMMIT").unwrap();
        }
        bare_snap.push(N as f64 / t.elapsed().as_secs_f64());
    }
    let (jn, js, bn, bs) = (
        median(jempol_new),
        median(jempol_snap),
        median(bare_new),
        median(bare_snap),
    );
    println!("ingest (median of 3, {N} posts, batches of {BATCH}):");
    println!(
        "  new posts + first snapshot: jempol {jn:>9.0}/s   bare loop {bn:>9.0}/s   ratio {:.0} %",
        jn / bn * 100.0
    );
    println!(
        "  changed counts (snapshots):  jempol {js:>9.0}/s   bare loop {bs:>9.0}/s   ratio {:.0} %",
        js / bs * 100.0
    );
}

/// Imports the simulator's registry, as an operator would with `businesses import`.
fn import_registry(sim: &SimState, store: &mut Store) {
    let csv = jempol::sim::registry_csv(&sim.world);
    let rows = jempol::registry::reader(csv.as_bytes()).unwrap();
    let imported = store
        .import_registry(rows, 0, Default::default(), |bad| panic!("{bad:?}"))
        .unwrap();
    assert!(imported.written.is_some());
}

/// Which of the world's tagged, live posts from the last 29 days a database tracks.
#[derive(Clone, Copy)]
enum Tracked {
    /// The first n in the world's order (posts of every age, not every post of a day).
    First(usize),
    /// All of them.
    All,
}

/// A database tracking the world's tagged, live posts from the last 29 days (`which`),
/// all due for a refresh; registry imported; discovery and account reads marked done,
/// so a cycle is the refresh alone.
fn tracked_store(
    sim: &SimState,
    path: &std::path::Path,
    which: Tracked,
) -> (Store, HashMap<Platform, usize>) {
    let mut store = Store::open(path).unwrap();
    import_registry(sim, &mut store);
    let now = sim.now();
    let w = &sim.world;
    let limit = match which {
        Tracked::First(n) => n,
        Tracked::All => usize::MAX,
    };
    let mut posts = Vec::new();
    let mut per_platform: HashMap<Platform, usize> = HashMap::new();
    for p in &w.posts {
        if posts.len() >= limit {
            break;
        }
        if !w.tagged(p) || !w.visible(p, now) || p.posted_at < now - 29 * 86_400 {
            continue;
        }
        let a = &w.accounts[p.account as usize];
        let account = match p.platform {
            Platform::Instagram | Platform::Tiktok => AccountRef {
                handle: Some(a.handle.clone()),
                platform_user_id: None,
                display_name: None,
            },
            _ => AccountRef {
                handle: None,
                platform_user_id: Some(a.user_id.clone()),
                display_name: None,
            },
        };
        *per_platform.entry(p.platform).or_default() += 1;
        posts.push(Post {
            platform: p.platform,
            id: p.id.clone(),
            account: Some(account),
            permalink: None,
            caption: Some(w.caption(p)),
            media_type: None,
            posted_at: jiff::Timestamp::from_second(p.posted_at).ok(),
            counts: Counts::default(),
        });
    }
    for chunk in posts.chunks(5_000) {
        store.record_posts(chunk, now - 25 * 3600).unwrap();
    }
    store
        .connection()
        .execute("UPDATE accounts SET checked_at = ?1", [now])
        .unwrap();
    for platform in Platform::ALL {
        let done = SyncState {
            cursor: None,
            state: Some(format!("{{\"since\":{now},\"completed_at\":{now}}}")),
            updated_at: now,
        };
        store.set_sync_state(platform, "discovery", &done).unwrap();
    }
    (store, per_platform)
}

fn sim_config(businesses: usize) -> SimConfig {
    let start: jiff::Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
    let mut c = SimConfig::new(1, businesses, start);
    c.quotas = Quotas::unlimited();
    c
}

const FAST: &str = "requests_per_second = 100000\n";

/// A simulator config with jempol's own budgets lifted (the simulator's are unlimited).
fn unlimited(text: &str) -> String {
    text.replace("requests_per_second = 200\n", FAST)
        .replace(
            "access_token_env = \"JEMPOL_INSTAGRAM_TOKEN\"",
            "access_token_env = \"JEMPOL_INSTAGRAM_TOKEN\"\ncalls_per_hour = 100000000",
        )
        .replace(
            "access_token_env = \"JEMPOL_FACEBOOK_TOKEN\"",
            "access_token_env = \"JEMPOL_FACEBOOK_TOKEN\"\ncalls_per_hour = 100000000",
        )
        .replace(
            "client_secret_env = \"JEMPOL_TIKTOK_CLIENT_SECRET\"",
            "client_secret_env = \"JEMPOL_TIKTOK_CLIENT_SECRET\"\ndaily_requests = 100000000",
        )
}

fn bench_config(sim: &Simulator, dir: &std::path::Path, extra: &str) -> Config {
    let mut text = unlimited(&jempol::sim::jempol_config(
        &sim.urls,
        &sim.state.world.config.hashtag,
        "bench.db",
    ));
    text.push_str(extra);
    std::fs::write(dir.join("bench.toml"), text).unwrap();
    Config::load(&dir.join("bench.toml")).unwrap()
}

/// With `BENCH_PERF_CTL=<fifo>`, profiles only the measured part:
/// `perf record -D -1 --control=fifo:<fifo> … cargo bench --bench daemon refresh`.
fn perf_control(command: &str) {
    if let Ok(path) = std::env::var("BENCH_PERF_CTL") {
        use std::io::Write;
        let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        writeln!(fifo, "{command}").unwrap();
    }
}

/// A refresh of ~100,000 tracked posts, end to end through HTTP, in two worlds:
/// - a campaign 23 days in tracking its first 100,000 tagged posts (of every age up to
///   23 days; the refresh also meets the posts it does not track, e.g. a TikTok window
///   query returns every tagged video of its days, and stores them as new);
/// - a campaign 9 days in tracking every tagged post (~110,000): younger posts, so
///   Instagram reads more accounts per post (one Business Discovery call each).
fn refresh(rt: &tokio::runtime::Runtime) {
    let businesses: usize = std::env::var("BENCH_BUSINESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(45_000);
    for (days, which, what) in [
        (
            23,
            Tracked::First(100_000),
            "day 23, first 100,000 tagged posts tracked",
        ),
        (9, Tracked::All, "day 9, every tagged post tracked"),
    ] {
        let only_day = std::env::var("BENCH_DAY")
            .ok()
            .and_then(|d| d.parse::<i64>().ok());
        if only_day.is_some_and(|d| d != days) {
            continue;
        }
        rt.block_on(refresh_world(businesses, days, which, what));
    }
}

async fn refresh_world(businesses: usize, days: i64, which: Tracked, what: &str) {
    let state = SimState::new(sim_config(businesses));
    state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * days));
    let sim = Simulator::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = bench_config(&sim, dir.path(), "");
    let (store, tracked) = tracked_store(&sim.state, &config.database, which);
    let secrets = config.secrets(|_| Some("bench".into())).unwrap();
    let only = std::env::var("BENCH_ONLY")
        .ok()
        .and_then(|p| p.parse().ok());
    let (daemon, store) = start_daemon(&config, &secrets, store, sim.state.clock.clone(), |d| {
        d.only(only)
    });
    perf_control("enable");
    let t = Instant::now();
    let reports = daemon.cycle().await;
    let elapsed = t.elapsed();
    perf_control("disable");
    let total: usize = tracked.values().sum();
    println!(
        "refresh of {total} tracked posts through HTTP ({what}; {businesses} businesses, in-process simulator): {:.2} s",
        elapsed.as_secs_f64()
    );
    for r in &reports {
        let n = tracked.get(&r.platform).copied().unwrap_or(0);
        println!(
            "  {:<10} {:>6} posts  {:>6} requests  {:>6.1} requests per 1,000 posts  items {:>6}  snapshots {:>6}  {:?}",
            r.platform.as_str(),
            n,
            r.requests,
            r.requests as f64 * 1000.0 / n.max(1) as f64,
            r.items_seen,
            r.snapshots,
            r.outcome
        );
    }
    let stale: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM posts WHERE last_refreshed_at < ?1 AND deleted_at IS NULL",
            [sim.state.now() - 3600],
            |r| r.get(0),
        )
        .unwrap();
    println!("  posts not refreshed: {stale} (Instagram posts whose account cannot be discovered)");
}

/// `jempol sim` in a process of its own (quotas lifted), writing `config` into `dir`;
/// returns it with its root URL once it listens.
fn sim_process(
    dir: &std::path::Path,
    config: &str,
    businesses: usize,
    start: jiff::Timestamp,
    extra: &[&str],
) -> (std::process::Child, String) {
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"))
        .args(["sim", "--port", "0", "--unlimited-quotas"])
        .args(extra)
        .args([
            "--businesses",
            &businesses.to_string(),
            "--start",
            &start.to_string(),
        ])
        .arg("--write-config")
        .arg(dir.join(config))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(sim.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if first.is_empty() {
            first = line.clone();
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let root = first.rsplit(' ').next().unwrap().to_string();
    (sim, root)
}

/// Peak RSS of a `jempol poll --once` process tracking 450,000 posts, against a
/// separate `jempol sim` process.
fn rss() {
    let dir = tempfile::tempdir().unwrap();
    // 105,000 businesses' accounts publish ~460,000 tagged posts by campaign day 23, of
    // which the first 450,000 are tracked.
    let businesses = 105_000;
    let start: jiff::Timestamp = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 23);
    let (mut sim, root) = sim_process(dir.path(), "sim.toml", businesses, start, &[]);
    // The same world, built here, to fill the database as if it had been tracking.
    let mut config = SimConfig::new(1, businesses, start);
    config.speed = 1.0;
    let state = SimState::new(config);
    state.clock.advance_to(jiff::Timestamp::now());
    let text = unlimited(&std::fs::read_to_string(dir.path().join("sim.toml")).unwrap());
    std::fs::write(dir.path().join("sim.toml"), text).unwrap();
    let cfg = Config::load(&dir.path().join("sim.toml")).unwrap();
    let (store, tracked) = tracked_store(&state, &cfg.database, Tracked::First(450_000));
    drop(store);
    drop(state);
    let total: usize = tracked.values().sum();
    let t = Instant::now();
    // BENCH_RSS_WRAPPER="heaptrack -o /tmp/poll" runs the poll under a profiler (the
    // RSS printed is then the wrapper's).
    let wrapper = std::env::var("BENCH_RSS_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut poll = match words.next() {
        Some(program) => {
            let mut c = std::process::Command::new(program);
            c.args(words).arg(env!("CARGO_BIN_EXE_jempol"));
            c
        }
        None => std::process::Command::new(env!("CARGO_BIN_EXE_jempol")),
    };
    let mut poll = poll
        .args(["--config"])
        .arg(dir.path().join("sim.toml"))
        .args(["poll", "--once", "--format", "json"])
        .envs(jempol::sim::CONFIG_ENV.iter().map(|v| (*v, "bench")))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", poll.id());
    let mut peak_kb = 0u64;
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            for l in s.lines() {
                if let Some(v) = l.strip_prefix("VmHWM:") {
                    peak_kb =
                        peak_kb.max(v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
                }
            }
        }
        if let Some(status) = poll.try_wait().unwrap() {
            break status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut report = String::new();
    if let Some(mut out) = poll.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut report);
    }
    let _ = sim.kill();
    let _ = sim.wait();
    let size = std::fs::metadata(&cfg.database)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "daemon tracking {total} posts ({businesses} businesses, simulator at {root} in its own process):"
    );
    println!(
        "  poll --once: exit {code:?} in {:.1} s, peak RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
    println!(
        "  database {:.0} MB, {:.0} bytes per tracked post",
        size as f64 / 1e6,
        size as f64 / total.max(1) as f64
    );
}

/// How much of a campaign one set of public credentials can see: 45,000 businesses,
/// every platform at its default quota (jempol's and the simulator's), hourly cycles for
/// two simulated days from campaign day 20. Per platform: the share of the world's
/// tagged, live posts of the tracking window that jempol discovered, the share of tracked
/// posts refreshed within their tier on day 2, and the requests spent against the quota.
fn budget(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let mut config = SimConfig::new(1, 45_000, "2026-11-01T00:00:00Z".parse().unwrap());
        config.quotas = Quotas::default();
        let state = SimState::new(config);
        state.clock.advance(jiff::SignedDuration::from_hours(24 * 20 + 8));
        let sim = Simulator::start(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        // The default quotas; only the pace is lifted (governor would hold an in-process
        // run to real time).
        let text = jempol::sim::jempol_config(&sim.urls, &sim.state.world.config.hashtag, "bench.db")
            .replace("requests_per_second = 200\n", FAST);
        std::fs::write(dir.path().join("bench.toml"), text).unwrap();
        let config = Config::load(&dir.path().join("bench.toml")).unwrap();
        let secrets = config.secrets(|_| Some("bench".into())).unwrap();
        let mut store = Store::open(&config.database).unwrap();
        import_registry(&sim.state, &mut store);
        let (daemon, store) = start_daemon(&config, &secrets, store, sim.state.clock.clone(), |d| d);
        let tiers = config.schedule.tiers;
        let mut on_time: HashMap<Platform, Vec<f64>> = HashMap::new();
        let started = std::time::Instant::now();
        for hour in 0..48 {
            daemon.cycle().await;
            let now = sim.state.now();
            for platform in Platform::ALL {
                let (late, tracked): (i64, i64) = store
                    .connection()
                    .query_row(
                        "SELECT sum(last_refreshed_at < ?1 - CASE WHEN posted_at > ?1 - ?2 THEN ?3 ELSE ?4 END), count(*)
                         FROM posts WHERE platform = ?6 AND deleted_at IS NULL AND posted_at > ?1 - ?5",
                        rusqlite::params![now, tiers.hot_age, tiers.hot_every, tiers.warm_every, tiers.max_age, platform.as_str()],
                        |r| Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get(1)?)),
                    )
                    .unwrap();
                if hour >= 24 && tracked > 0 {
                    on_time.entry(platform).or_default().push(1.0 - late as f64 / tracked as f64);
                }
            }
            sim.state.clock.advance(jiff::SignedDuration::from_hours(1));
        }
        let now = sim.state.now();
        let w = &sim.state.world;
        let requests: HashMap<Platform, u64> = daemon.requests().into_iter().collect();
        let stats = sim.state.stats();
        println!("45,000 businesses, default quotas, hourly cycles, 2 simulated days from campaign day 20 ({:.0} s):", started.elapsed().as_secs_f64());
        for platform in Platform::ALL {
            let world = w
                .posts
                .iter()
                .filter(|p| p.platform == platform && w.tagged(p) && w.visible(p, now) && p.posted_at > now - tiers.max_age)
                .count();
            let tracked: i64 = store
                .connection()
                .query_row(
                    "SELECT count(*) FROM posts WHERE platform = ?1 AND deleted_at IS NULL AND posted_at > ?2",
                    rusqlite::params![platform.as_str(), now - tiers.max_age],
                    |r| r.get(0),
                )
                .unwrap();
            let quota = config.platform(platform).map_or(0, |p| p.quota);
            let windows = match platform {
                Platform::Instagram | Platform::Facebook => "an hour, shared by Instagram and Facebook",
                Platform::Tiktok => "a UTC day",
                Platform::Youtube => "units a Pacific day",
            };
            let times = on_time.get(&platform).cloned().unwrap_or_default();
            println!(
                "  {:<10} discovered {:>5.1} % of {world} tagged posts; refreshed within their tier on day 2: median {:>5.1} %, worst hour {:>5.1} %; {} requests, quota {quota} {windows}; refused by the platform {}",
                platform.as_str(),
                100.0 * tracked as f64 / world.max(1) as f64,
                median(times.clone()) * 100.0,
                times.iter().cloned().fold(1.0, f64::min) * 100.0,
                requests.get(&platform).copied().unwrap_or(0),
                stats.quota_refusals.get(platform.as_str()).copied().unwrap_or(0),
            );
        }
    });
}

#[path = "../tests/common/truth.rs"]
#[allow(dead_code)]
mod truth;

/// A memory figure of this process, in MB (`VmRSS`, `VmHWM`).
fn status_mb(field: &str) -> f64 {
    jempol::memory_status_kb(field).unwrap_or(0) as f64 / 1024.0
}

/// The daemon for a simulated month against a `jempol sim` process of 45,000 businesses
/// (posts per account raised so that ~450,000 tagged posts are tracked), every quota
/// lifted, default schedule (hourly cycles, daily report at 06:00): RSS of the daemon
/// (this process; the world lives in the simulator's), database size, cycle times.
/// Only when named (`cargo bench --bench daemon -- soak`; `BENCH_SOAK_DAYS`, default 30).
fn soak(rt: &tokio::runtime::Runtime) {
    let days: i64 = std::env::var("BENCH_SOAK_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let businesses: usize = std::env::var("BENCH_BUSINESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(45_000);
    let dir = tempfile::tempdir().unwrap();
    let start: jiff::Timestamp = "2026-10-01T00:00:00Z".parse().unwrap();
    let (mut sim, root) = sim_process(
        dir.path(),
        "soak.toml",
        businesses,
        start,
        &["--speed", "0", "--posts-per-account", "9"],
    );
    let http = reqwest::blocking::Client::new();
    let text = unlimited(&std::fs::read_to_string(dir.path().join("soak.toml")).unwrap());
    std::fs::write(dir.path().join("soak.toml"), text).unwrap();
    let config = Config::load(&dir.path().join("soak.toml")).unwrap();
    let secrets = config.secrets(|_| Some("bench".into())).unwrap();
    let csv = http
        .get(format!("{root}/__sim/registry.csv"))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    let mut store = Store::open(&config.database).unwrap();
    let rows = jempol::registry::reader(&csv[..]).unwrap();
    store
        .import_registry(rows, start.as_second(), Default::default(), |bad| {
            panic!("{bad:?}")
        })
        .unwrap();
    store
        .set_campaign_timezone("Asia/Jakarta", 25_200, "+07:00")
        .unwrap();
    drop(csv);
    let clock = Arc::new(jempol::sim::SimClock::new(start, 0.0));
    // As `jempol run` does: the daily report in a process of its own.
    let child = jempol::daily::ChildProcess {
        exe: env!("CARGO_BIN_EXE_jempol").into(),
        config: dir.path().join("soak.toml"),
        args: Vec::new(),
    };
    let (daemon, store) = start_daemon(&config, &secrets, store, clock.clone(), |d| {
        d.report_in_child_process(child)
    });
    let count = |sql: &str| -> i64 { store.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
    // The database file and its WAL apart: the WAL is cut back to 64 MB, and counting
    // it in would inflate the bytes per post of a young campaign.
    let file_mb = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", config.database.display())).map_or(0, |m| m.len())
            as f64
            / 1e6
    };
    println!(
        "soak: {businesses} businesses, {days} simulated days, hourly cycles, quotas lifted (simulator at {root})"
    );
    println!(
        "  day  RSS MB  peak MB  posts   snapshots  DB MB  WAL MB  bytes/post  cycle s: median  max  requests"
    );
    let began = Instant::now();
    let mut all_cycles = Vec::new();
    let mut first_day_rss = 0.0;
    for day in 1..=days {
        let mut cycles = Vec::new();
        let mut requests = 0;
        for _ in 0..24 {
            let t = Instant::now();
            let reports = rt.block_on(daemon.cycle());
            rt.block_on(daemon.daily_report());
            cycles.push(t.elapsed().as_secs_f64());
            requests += reports.iter().map(|r| r.requests).sum::<u64>();
            for r in reports.iter().filter(|r| r.error.is_some()) {
                println!(
                    "  {} {}: {}",
                    r.platform,
                    r.outcome.as_str(),
                    r.error.as_deref().unwrap_or("")
                );
            }
            clock.advance(jiff::SignedDuration::from_hours(1));
            http.post(format!("{root}/__sim/advance?hours=1"))
                .send()
                .unwrap();
        }
        let posts = count("SELECT count(*) FROM posts");
        let snapshots = count("SELECT count(*) FROM post_snapshots");
        let rss = status_mb("VmRSS");
        if day == 1 {
            first_day_rss = rss;
        }
        let max = cycles.iter().cloned().fold(0.0, f64::max);
        println!(
            "  {day:>3}  {rss:>6.0}  {:>7.0}  {posts:>6}  {snapshots:>9}  {:>5.0}  {:>6.0}  {:>10.0}  {:>14.2}  {max:>5.2}  {requests:>8}",
            status_mb("VmHWM"),
            file_mb(""),
            file_mb("-wal"),
            file_mb("") * 1e6 / posts.max(1) as f64,
            median(cycles.clone())
        );
        all_cycles.extend(cycles);
    }
    let max = all_cycles.iter().cloned().fold(0.0, f64::max);
    let mut sorted = all_cycles.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let last_day = (start + jiff::SignedDuration::from_hours(24 * (days - 1) + 7))
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    println!(
        "  RSS day 1 {first_day_rss:.0} MB -> day {days} {:.0} MB, peak {:.0} MB (report process for {last_day}: {} MB); cycles: median {:.2} s, p95 {p95:.2} s, max {max:.2} s of a 3600 s schedule; {:.0} s wall",
        status_mb("VmRSS"),
        status_mb("VmHWM"),
        report_process_peak_mb(&dir.path().join("soak.toml"), last_day),
        median(all_cycles.clone()),
        began.elapsed().as_secs_f64()
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

/// The peak RSS of `jempol daily-report` for one day, as the process itself logs it.
/// (getrusage(RUSAGE_CHILDREN) cannot tell: a child started with vfork/posix_spawn
/// carries the parent's high-water mark into its own at exec.)
fn report_process_peak_mb(config: &std::path::Path, day: jiff::civil::Date) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"))
        .arg("--config")
        .arg(config)
        .args([
            "--log-format",
            "json",
            "daily-report",
            "--day",
            &day.to_string(),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "report process finished")
        .map_or("?".into(), |l| l["fields"]["peak_rss_mb"].to_string())
}

/// A simulated week against the hostile profile (5xx bursts, 429 storms, slow and
/// truncated bodies, non-JSON, repeating cursors, duplicates, expiring tokens), with the
/// platforms' real quotas and every post and account due hourly; then the faults stop.
fn hostile(rt: &tokio::runtime::Runtime) {
    use jempol::sim::FaultProfile;
    let businesses: usize = std::env::var("BENCH_BUSINESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    rt.block_on(async {
        // BENCH_UNLIMITED=1: quotas out of the way, to tell faults from budgets.
        let unlimited_quotas = std::env::var("BENCH_UNLIMITED").is_ok();
        let mut config = sim_config(businesses);
        config.quotas = if unlimited_quotas { Quotas::unlimited() } else { Quotas::default() };
        config.faults = FaultProfile::Hostile;
        config.slow_ms = 1_100; // past the client's 1 s timeout below
        config.retry_after_secs = (0, 0); // honouring Retry-After is tested on its own
        let state = SimState::new(config);
        state.clock.advance(jiff::SignedDuration::from_hours(24 * 7));
        let sim = Simulator::start(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut text = jempol::sim::jempol_config(&sim.urls, &sim.state.world.config.hashtag, "hostile.db")
            .replace("requests_per_second = 200", "requests_per_second = 200\ntimeout_seconds = 1");
        if unlimited_quotas {
            text = unlimited(&text);
        }
        text.push_str("[schedule]\nwarm_refresh_hours = 1\naccount_refresh_hours = 1\n[reports]\nenabled = false\n");
        std::fs::write(dir.path().join("hostile.toml"), text).unwrap();
        let config = Config::load(&dir.path().join("hostile.toml")).unwrap();
        let secrets = config.secrets(|_| Some("bench".into())).unwrap();
        let mut store = Store::open(&config.database).unwrap();
        import_registry(&sim.state, &mut store);
        // Real backoff would make the simulated week take real hours; the same policy
        // with short delays (Retry-After still honoured, up to 2 s).
        let retry = RetryPolicy { attempts: 8, base: Duration::from_millis(10), max_delay: Duration::from_millis(100), max_retry_after: Duration::from_secs(2) };
        let (daemon, store) = start_daemon(&config, &secrets, store, sim.state.clock.clone(), |d| d.retry(retry));
        let started = Instant::now();
        let cpu = || {
            let t = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
            let f: Vec<&str> = t.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / 100.0
        };
        let mut outcomes: HashMap<String, u64> = HashMap::new();
        let mut requests = 0;
        let mut slowest = 0f64;
        for hour in 1..=24 * 7 {
            let t = Instant::now();
            for r in daemon.cycle().await {
                requests += r.requests;
                *outcomes.entry(format!("{}:{}", r.platform, r.outcome.as_str())).or_default() += 1;
            }
            slowest = slowest.max(t.elapsed().as_secs_f64());
            sim.state.clock.advance(jiff::SignedDuration::from_hours(1));
            if hour % 24 == 0 {
                println!("  day {}: RSS {:.0} MB, {requests} requests so far, {:.0} s wall, {:.0} s CPU", hour / 24, status_mb("VmRSS"), started.elapsed().as_secs_f64(), cpu());
            }
        }
        let stats = sim.state.stats();
        sim.state.set_fault_profile(FaultProfile::None);
        let last = daemon.cycle().await;
        let truth = jempol::sim::truth_json(&sim.state, None);
        let s = &store;
        let mut missing = 0;
        let mut stale = 0;
        let mut total = 0;
        let mut missing_by: Vec<(&str, usize)> = Vec::new();
        for platform in ["instagram", "facebook", "tiktok", "youtube"] {
            let missing_before = missing;
            let mut stmt = s.connection().prepare("SELECT likes, comments, shares, views FROM posts WHERE platform = ?1 AND platform_post_id = ?2 AND deleted_at IS NULL").unwrap();
            for (id, counts) in truth::visible(&truth, platform) {
                total += 1;
                match stmt.query_row([platform, id.as_str()], |r| Ok([r.get::<_, Option<i64>>(0)?, r.get(1)?, r.get(2)?, r.get(3)?])) {
                    Ok(c) if c == counts => {}
                    Ok(_) => stale += 1,
                    Err(_) => missing += 1,
                }
            }
            missing_by.push((platform, missing - missing_before));
        }
        let mut outcomes: Vec<_> = outcomes.into_iter().collect();
        outcomes.sort();
        println!("hostile week, {businesses} businesses, 168 hourly cycles: {:.0} s wall, {:.0} s CPU, slowest cycle {slowest:.1} s", started.elapsed().as_secs_f64(), cpu());
        println!("  requests {requests}; faults served {:?}", stats.faults);
        println!("  quota refusals by the platforms: {:?}", stats.quota_refusals);
        println!("  cycle outcomes: {outcomes:?}");
        println!("  after the faults stop: last cycle {:?}", last.iter().map(|r| (r.platform, r.outcome)).collect::<Vec<_>>());
        println!("  visible tagged posts {total}: stored with the platform's counts {}, stale {stale}, missing {missing} {missing_by:?}", total - stale - missing);
        println!("  last cycle: {last:?}");
    });
}

fn main() {
    jempol::limit_malloc_arenas(); // as the binary does
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |p: &str| parts.is_empty() || parts.iter().any(|a| a == p);
    let rt = tokio::runtime::Runtime::new().unwrap();
    if want("ingest") {
        ingest();
    }
    if want("refresh") {
        refresh(&rt);
    }
    if want("budget") {
        budget(&rt);
    }
    if want("rss") {
        rss();
    }
    if parts.iter().any(|a| a == "hostile") {
        hostile(&rt);
    }
    if parts.iter().any(|a| a == "soak") {
        soak(&rt);
    }
}

/// A daemon over `store` (moved onto its writer thread), as `configure` sets it up, and a
/// connection of the benchmark's own to the same database.
fn start_daemon(
    config: &Config,
    secrets: &jempol::config::Secrets,
    store: Store,
    clock: Arc<dyn jempol::time::Clock>,
    configure: impl FnOnce(jempol::scheduler::DaemonBuilder<'_>) -> jempol::scheduler::DaemonBuilder<'_>,
) -> (Daemon, Store) {
    let writer = Writer::start(
        store,
        config.wal_limit,
        tokio::sync::watch::channel(false).1,
    )
    .unwrap();
    let daemon = configure(Daemon::builder(config, secrets, writer).clock(clock))
        .build()
        .unwrap();
    (daemon, Store::open(&config.database).unwrap())
}
