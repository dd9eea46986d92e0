//! `cargo bench --bench report [day|demo]`: the figures of the reports issue.
//!
//! - day: a day's report (compute + every format) over 45,000 businesses with 90 days of
//!   snapshots. The database is generated once (SQL below, then jempol's own rollup
//!   rebuild) and kept in target/ for later runs. BENCH_BUSINESSES changes the size.
//! - demo: `jempol demo` end to end (simulator + daemon over a week + reports).
//! - views: what a dashboard asks of the views on the same database (median of 5, warm
//!   cache) beside a one-business primary-key lookup, and every canned query of the
//!   Datasette metadata.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jempol::report::{Format, Lang, Request, compute, render};
use jempol::store::Store;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Midnight WIB of the first simulated day.
const T0: i64 = 1_767_200_400; // 2026-01-01T00:00:00+07:00
const DAYS: i64 = 90;

/// A campaign of `n` businesses over 90 days, shaped like what the daemon writes: two
/// accounts per business, 0.1 tagged posts per business a day, a snapshot every two
/// hours for the first 48 hours (each a change) and then one a day for 28 days; a
/// follower figure per account a day. Instagram hides shares and views, Facebook views.
const GENERATE: &str = "
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :businesses)
INSERT INTO businesses (id, key, name, category, district, created_at, updated_at)
SELECT i, printf('PDG-%05d', i), 'Usaha ' || i,
       CASE i % 4 WHEN 0 THEN 'kuliner' WHEN 1 THEN 'fashion' WHEN 2 THEN 'jasa' ELSE 'kerajinan' END,
       CASE i % 3 WHEN 0 THEN 'Padang Utara' WHEN 1 THEN 'Koto Tangah' ELSE 'Pauh' END, :t0, :t0
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2 * :businesses)
INSERT INTO accounts (id, platform, handle, platform_user_id, business_id, origin, first_seen_at)
SELECT i, CASE i % 4 WHEN 0 THEN 'instagram' WHEN 1 THEN 'facebook' WHEN 2 THEN 'tiktok' ELSE 'youtube' END,
       'h' || i, 'u' || i, (i + 1) / 2, 'registered', :t0
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :businesses * 9)
INSERT INTO posts (id, platform, platform_post_id, account_id, business_id, permalink, caption,
                   media_type, posted_at, first_seen_at, last_refreshed_at)
SELECT i, a.platform, 'p' || i, a.id, a.business_id, 'https://example.invalid/' || i,
       'Mantap #UMKMKotaPadangMajuBersama', 'IMAGE',
       :t0 + i * (86400 * 90 / (:businesses * 9)), :t0 + i * (86400 * 90 / (:businesses * 9)) + 1800, 0
FROM n JOIN accounts a ON a.id = ((i * 7919) % (2 * :businesses)) + 1;
CREATE TEMP TABLE offsets (k INTEGER, off INTEGER);
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 51)
INSERT INTO offsets SELECT k, CASE WHEN k < 24 THEN 1800 + k * 7200 ELSE 1800 + 48 * 3600 + (k - 23) * 86400 END FROM n;
INSERT INTO post_snapshots (post_id, taken_at, likes, comments, shares, views)
SELECT p.id, p.posted_at + o.off, o.k * 3 + p.id % 5, o.k,
       CASE WHEN p.platform IN ('facebook', 'tiktok') THEN o.k / 2 END,
       CASE WHEN p.platform IN ('tiktok', 'youtube') THEN o.k * 40 END
FROM posts p CROSS JOIN offsets o
WHERE p.posted_at + o.off < :t0 + 90 * 86400
ORDER BY p.id, o.k;
UPDATE posts SET (likes, comments, shares, views, counted_at) =
    (SELECT likes, comments, shares, views, taken_at FROM post_snapshots s
      WHERE s.post_id = posts.id ORDER BY taken_at DESC LIMIT 1);
WITH RECURSIVE n(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM n WHERE d < 89)
INSERT INTO account_snapshots (account_id, taken_at, followers)
SELECT a.id, :t0 + d * 86400 + (a.id % 3600), 100 + a.id % 997 + d * 2 FROM accounts a CROSS JOIN n;
INSERT INTO tracking (platform, started_at) SELECT DISTINCT platform, :t0 FROM accounts;
DELETE FROM settings WHERE key = 'rollup_utc_offset_seconds';
COMMIT;
";

fn database(businesses: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("report-{businesses}-v4.db"));
    if path.exists() {
        return path;
    }
    eprintln!(
        "generating {} (once; kept for later runs) …",
        path.display()
    );
    let t = Instant::now();
    let tmp = path.with_extension("tmp");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    {
        let store = Store::open(&tmp).unwrap();
        let sql = GENERATE
            .replace(":businesses", &businesses.to_string())
            .replace(":t0", &T0.to_string());
        store.connection().execute_batch(&sql).unwrap();
    }
    // Reopening rebuilds post_days from the snapshots with jempol's own code.
    let t_rollup = Instant::now();
    drop(Store::open(&tmp).unwrap());
    eprintln!(
        "  generated in {:.0} s (rollup rebuild {:.0} s)",
        t.elapsed().as_secs_f64(),
        t_rollup.elapsed().as_secs_f64()
    );
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// The benchmark database of `BENCH_BUSINESSES` businesses (default 45,000).
fn sized_database() -> (usize, PathBuf) {
    let businesses: usize = std::env::var("BENCH_BUSINESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(45_000);
    (businesses, database(businesses))
}

fn day_report() {
    let (businesses, path) = sized_database();
    let store = Store::open(&path).unwrap();
    let count = |sql: &str| -> i64 { store.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
    println!(
        "database: {businesses} businesses, {} posts, {} post snapshots, {} post-day rows, {} MB",
        count("SELECT count(*) FROM posts"),
        count("SELECT count(*) FROM post_snapshots"),
        count("SELECT count(*) FROM post_days"),
        std::fs::metadata(&path).unwrap().len() / 1_000_000
    );
    let start: jiff::civil::Date = "2026-01-01".parse().unwrap();
    for offset in [60, DAYS - 1] {
        let day = start.checked_add(jiff::Span::new().days(offset)).unwrap();
        let request = Request {
            campaign: "bench".into(),
            hashtags: vec!["UMKMKotaPadangMajuBersama".into()],
            timezone: "Asia/Jakarta".into(),
            from: day,
            to: day,
            platform: None,
            trend_days: 14,
            scope: Default::default(),
        };
        let mut computes = Vec::new();
        let mut totals = Vec::new();
        let mut active = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let report = compute(&store, &request).unwrap();
            computes.push(t.elapsed().as_secs_f64());
            for format in [
                Format::Table,
                Format::Md,
                Format::Csv,
                Format::Json,
                Format::Html,
            ] {
                std::hint::black_box(render(&report, format, Lang::Id, None));
            }
            totals.push(t.elapsed().as_secs_f64());
            active = report.businesses.len();
        }
        println!(
            "report of {day} ({active} businesses active): compute median {:.3} s, compute + all five formats median {:.3} s (of 5)",
            median(computes),
            median(totals)
        );
        // What a dashboard asks of the views for the same day.
        let t = Instant::now();
        let rows: i64 = store
            .connection()
            .query_row(
                "SELECT count(*) FROM business_daily WHERE day = ?1",
                [day.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        println!(
            "  business_daily for that day: {rows} rows in {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
}

/// Median of 5 warm runs of `sql` (every row read), in milliseconds, and the rows.
fn timed(store: &Store, sql: &str, params: &[&dyn rusqlite::ToSql]) -> (f64, usize) {
    let conn = store.connection();
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..6 {
        let t = Instant::now();
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let mut r = stmt.query(params).unwrap();
        rows = 0;
        while let Some(row) = r.next().unwrap() {
            for i in 0..n {
                std::hint::black_box(row.get_ref(i).unwrap());
            }
            rows += 1;
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.remove(0); // the first run warms the cache
    (median(times), rows)
}

fn views() {
    let (businesses, path) = sized_database();
    let store = Store::open(&path).unwrap();
    let day = "2026-03-01";
    let key = format!("PDG-{:05}", businesses / 2);
    let lookup = timed(&store, "SELECT * FROM businesses WHERE key = ?1", &[&key]);
    println!(
        "views on {businesses} businesses x {DAYS} days (median of 5, warm); a one-business primary-key lookup: {:.3} ms",
        lookup.0
    );
    let cases: [(&str, &str, &str, Vec<&dyn rusqlite::ToSql>); 4] = [
        (
            "campaign_daily over 30 days",
            "SELECT * FROM campaign_daily WHERE day BETWEEN '2026-02-01' AND '2026-03-02'",
            "≤ 50 ms",
            vec![],
        ),
        (
            "business_daily, one business over 90 days",
            "SELECT * FROM business_daily WHERE business_key = ?1",
            "≤ 20 ms",
            vec![&key],
        ),
        (
            "business_daily, a day's top 20 businesses by engagement",
            "SELECT business_key, sum(engagement_gained) AS e FROM business_daily
             WHERE day = ?1 AND (posts_published > 0 OR posts_changed > 0)
             GROUP BY business_key ORDER BY e DESC LIMIT 20",
            "≤ 100 ms",
            vec![&day],
        ),
        (
            "business_daily, one whole day",
            "SELECT * FROM business_daily WHERE day = ?1",
            "≤ 300 ms",
            vec![&day],
        ),
    ];
    for (what, sql, target, params) in &cases {
        let (ms, rows) = timed(&store, sql, params);
        println!("  {what}: {ms:.1} ms ({rows} rows; target {target})");
    }
    // The canned queries of the Datasette metadata, with their defaults.
    for q in &jempol::store::datasette::CANNED_QUERIES {
        let sql = q.sql().replace(":day", "''");
        let (ms, rows) = timed(&store, &sql, &[]);
        println!(
            "  canned query {}: {ms:.1} ms ({rows} rows; Datasette stops at 1,000 ms)",
            q.name
        );
    }
}

fn demo() {
    let dir = tempfile::tempdir().unwrap();
    let opts = jempol::demo::Options::new(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let outcome = runtime.block_on(jempol::demo::run(&opts, &|_| {})).unwrap();
        times.push(t.elapsed().as_secs_f64());
        assert!(outcome.last.is_some());
    }
    println!(
        "demo ({} businesses, {} days): median {:.1} s of 3",
        opts.businesses,
        opts.days,
        median(times)
    );
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "day") {
        day_report();
    }
    if all || which.iter().any(|w| w == "demo") {
        demo();
    }
    if all || which.iter().any(|w| w == "views") {
        views();
    }
}
