//! Specification of `jempol report`, the daily report job and `jempol demo`: figures equal
//! an independent SQL computation over the snapshots; the midnight WIB boundary; hidden
//! counts; deletions; several platforms; determinism; every format parses or renders.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use common::Workspace;
use common::bot::{Seen, documents, fake_telegram, messages, scripted_telegram};
use common::dataset::{dataset, wib};
use jempol::platform::Platform;
use jempol::report::compute::Scope;
use jempol::report::{Format, Lang, Report, Request, compute, render};
use jempol::store::Store;

fn request(from: &str, to: &str) -> Request {
    Request {
        campaign: "Sedekah Jempol".into(),
        hashtags: vec!["UMKMKotaPadangMajuBersama".into()],
        timezone: "Asia/Jakarta".into(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        platform: None,
        trend_days: 14,
        scope: Default::default(),
    }
}

fn day(store: &Store, d: &str) -> Report {
    compute(store, &request(d, d)).unwrap()
}

fn line(r: &Report, key: &str) -> jempol::report::compute::BusinessLine {
    r.businesses
        .iter()
        .find(|b| b.key == key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} not on the leaderboard of {}", r.date))
}

// ---- the hand-built dataset (tests/common/dataset.rs) ----

#[test]
fn a_day_ends_at_midnight_wib() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    // p1: 0 → 30 likes by 23:30 WIB on the 20th; 35 at 00:30 belongs to the 21st.
    let b = line(&day(&store, "2026-11-20"), "PDG-1");
    assert_eq!(b.gains.likes, Some(30));
    let b = line(&day(&store, "2026-11-21"), "PDG-1");
    assert_eq!(b.gains.likes, Some(20), "35 at 00:30, 50 at 20:00: 50 - 30");
    // Followers: 1010 at 23:59 is the 20th's end; 1020 at 00:01 the 21st's.
    assert_eq!(
        line(&day(&store, "2026-11-20"), "PDG-1").followers,
        Some(1010)
    );
    let b = line(&day(&store, "2026-11-21"), "PDG-1");
    assert_eq!((b.followers, b.followers_growth), (Some(1020), Some(10)));
}

#[test]
fn a_business_on_several_platforms_sums_them() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let r = day(&store, "2026-11-21");
    let b = line(&r, "PDG-1");
    assert_eq!(b.platforms, vec![Platform::Instagram, Platform::Youtube]);
    // Instagram p1: 30 → 50 likes, 2 → 4 comments; YouTube p2: likes hidden, 5 → 5
    // comments, 100 → 160 views.
    assert_eq!(b.gains.likes, Some(20));
    assert_eq!(b.gains.comments, Some(2));
    assert_eq!(b.gains.views, Some(60));
    assert_eq!(b.engagement, Some(22));
    assert_eq!(b.posts_published, 0);
    // On the 20th only Instagram gained: p2 (published on the 19th, before YouTube's
    // tracking began on the 20th) brought 100 views and 5 comments from before tracking.
    let b = line(&day(&store, "2026-11-20"), "PDG-1");
    assert_eq!((b.gains.comments, b.gains.views), (Some(2), None));
    assert_eq!(b.posts_published, 1, "p1 on the 20th");
}

#[test]
fn hidden_counts_are_unknown_never_zero_in_every_format() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let r = day(&store, "2026-11-21");
    let youtube = r
        .platforms
        .iter()
        .find(|p| p.platform == Platform::Youtube)
        .unwrap();
    assert_eq!(youtube.totals.gains.likes, None, "p2 hides its likes");
    assert_eq!(
        line(&r, "PDG-1").gains.shares,
        None,
        "neither IG nor YT report shares"
    );

    let json: serde_json::Value =
        serde_json::from_str(&render(&r, Format::Json, Lang::En, None)).unwrap();
    let pdg1 = json["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "PDG-1")
        .unwrap();
    assert!(pdg1["shares"].is_null());
    assert_eq!(pdg1["likes"], 20);

    let csv = render(&r, Format::Csv, Lang::En, None);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let shares = headers.iter().position(|h| h == "Shares").unwrap();
    let row = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[1] == "PDG-1")
        .unwrap();
    assert_eq!(&row[shares], "", "unknown is an empty cell, not 0");

    let table = render(&r, Format::Table, Lang::En, None);
    assert!(table.contains("? = unknown"));
}

#[test]
fn counts_that_go_down_are_reported_as_they_are() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let b = line(&day(&store, "2026-11-21"), "PDG-2");
    assert_eq!(b.gains.likes, Some(-10));
}

#[test]
fn deleted_posts_keep_their_gains_and_are_marked() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    // p3 (PDG-2, TikTok) was deleted on the 22nd; what it gained before still counts.
    let r = day(&store, "2026-11-20");
    assert_eq!(line(&r, "PDG-2").gains.likes, Some(100));
    let p3 = r
        .top_posts
        .iter()
        .find(|p| p.url.as_deref() == Some("https://example.invalid/p3"))
        .unwrap();
    assert!(p3.deleted);
    assert!(render(&r, Format::Table, Lang::En, None).contains("(deleted)"));
}

#[test]
fn accounts_outside_the_registry_are_listed_apart_from_the_totals() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let r = day(&store, "2026-11-20");
    assert_eq!(r.outside_registry.len(), 1);
    let o = &r.outside_registry[0];
    assert_eq!(
        (o.account.as_str(), o.posts_published, o.engagement),
        ("orang.lain", 1, Some(8))
    );
    // Totals: PDG-1 30 + PDG-2 100 likes; p4's 8 are not the campaign's.
    assert_eq!(r.totals.gains.likes, Some(130));
    assert_eq!(r.totals.businesses_active, 2);
}

#[test]
fn new_participants_and_businesses_that_have_not_posted() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let r = day(&store, "2026-11-20");
    let new: Vec<&str> = r.new_participants.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(
        new,
        ["PDG-2"],
        "PDG-1's first post (p2) was published on the 19th"
    );
    assert!(r.not_posted_yet.is_empty());
    let r = day(&store, "2026-11-18");
    assert_eq!(
        r.not_posted_yet.len(),
        2,
        "jempol saw nothing before the 20th"
    );
    assert!(r.businesses.is_empty());
}

#[test]
fn a_period_sums_its_days_and_compares_with_the_period_before() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let both = compute(&store, &request("2026-11-20", "2026-11-21")).unwrap();
    let (d20, d21) = (day(&store, "2026-11-20"), day(&store, "2026-11-21"));
    assert_eq!(
        both.totals.engagement,
        Some(d20.totals.engagement.unwrap() + d21.totals.engagement.unwrap())
    );
    // The day before the 21st is the 20th.
    assert_eq!(d21.previous.engagement, d20.totals.engagement);
    assert_eq!(d21.previous.posts_published, d20.totals.posts_published);
}

#[test]
fn the_dashboard_views_agree_with_the_report_to_the_unit() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    for d in ["2026-11-19", "2026-11-20", "2026-11-21"] {
        views_agree(&store, &day(&store, d));
    }
}

/// The report's businesses by key: posts published, likes, comments, shares, views
/// gained, and one more figure.
fn per_business(
    r: &Report,
    last: impl Fn(&jempol::report::compute::BusinessLine) -> Option<i64>,
) -> BTreeMap<String, Vec<Option<i64>>> {
    r.businesses
        .iter()
        .map(|b| {
            let g = &b.gains;
            let figures = vec![
                Some(b.posts_published),
                g.likes,
                g.comments,
                g.shares,
                g.views,
                last(b),
            ];
            (b.key.clone(), figures)
        })
        .collect()
}

/// Rows of `sql` by their first column; the others as optional integers.
fn keyed(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> BTreeMap<String, Vec<Option<i64>>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map(params, |row| {
        Ok((
            row.get(0)?,
            (1..n).map(|i| row.get(i)).collect::<Result<Vec<_>, _>>()?,
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

/// business_daily's active rows summed per business, and campaign_daily per platform,
/// equal the report.
fn views_agree(store: &Store, r: &Report) {
    let conn = store.connection();
    let from_view = keyed(
        conn,
        "SELECT business_key, sum(posts_published), sum(likes_gained), sum(comments_gained),
                sum(shares_gained), sum(views_gained), sum(engagement_gained)
         FROM business_daily WHERE day = ?1 AND (posts_published > 0 OR posts_changed > 0)
         GROUP BY business_key",
        [&r.date],
    );
    let from_report = per_business(r, |b| b.engagement);
    assert_eq!(
        from_view, from_report,
        "business_daily vs report on {}",
        r.date
    );

    let from_view = keyed(
        conn,
        "SELECT platform, posts_published, likes_gained, comments_gained, shares_gained,
                views_gained, engagement_gained, followers, businesses_active
         FROM campaign_daily WHERE day = ?1 AND businesses_active > 0",
        [&r.date],
    );
    let from_report: BTreeMap<String, Vec<Option<i64>>> = r
        .platforms
        .iter()
        .filter(|p| p.totals.businesses_active > 0)
        .map(|p| {
            let t = &p.totals;
            (
                p.platform.to_string(),
                vec![
                    Some(t.posts_published),
                    t.gains.likes,
                    t.gains.comments,
                    t.gains.shares,
                    t.gains.views,
                    t.engagement,
                    t.followers,
                    Some(t.businesses_active as i64),
                ],
            )
        })
        .collect();
    assert_eq!(
        from_view, from_report,
        "campaign_daily vs report on {}",
        r.date
    );
    // Provisional or settled, and tracked or unknown, the same way.
    for view in ["campaign_daily", "business_daily"] {
        let marks: Vec<(i64, i64)> = conn
            .prepare(&format!(
                "SELECT DISTINCT settled, tracked FROM {view} WHERE day = ?1"
            ))
            .unwrap()
            .query_map([&r.date], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(|x| x.unwrap())
            .collect();
        let settled = i64::from(!r.provisional);
        for (s, tracked) in &marks {
            assert_eq!(*s, settled, "{view} settled vs report on {}", r.date);
            let known = r.platforms.iter().any(|p| p.totals.gains.likes.is_some());
            assert_eq!(*tracked == 1, known, "{view} tracked on {}", r.date);
        }
    }
}

// ---- a simulated campaign: the demo's own path (simulator + daemon + daily reports) ----

struct Sim {
    _dir: tempfile::TempDir,
    outcome: jempol::demo::Outcome,
    days: Vec<String>,
}

fn run_demo(seed: u64) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = jempol::demo::Options::new(dir.path());
    opts.seed = seed;
    opts.businesses = 120;
    opts.days = 3;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(jempol::demo::run(&opts, &|_| {})).unwrap();
    let days = ["2026-11-16", "2026-11-17", "2026-11-18"]
        .map(String::from)
        .to_vec();
    Sim {
        _dir: dir,
        outcome,
        days,
    }
}

fn simulated() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| run_demo(7))
}

#[test]
fn businesses_that_went_quiet_are_those_that_posted_in_the_14_days_before_and_not_since() {
    let sim = simulated();
    let r = sim.outcome.last.as_ref().unwrap();
    let store = Store::open_read_only(&sim.outcome.database).unwrap();
    // Days start at midnight WIB (UTC+7).
    let start = wib(&format!("{}T00:00:00", r.from));
    let end = start + 86_400;
    let before = start - 14 * 86_400;
    let mut expected: Vec<String> = {
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT b.key FROM businesses b
                 WHERE EXISTS (SELECT 1 FROM posts p WHERE p.business_id = b.id
                               AND p.posted_at >= ?1 AND p.posted_at < ?2)
                   AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.business_id = b.id
                               AND p.posted_at >= ?2 AND p.posted_at < ?3)",
            )
            .unwrap();
        stmt.query_map([before, start, end], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    expected.sort();
    let mut got: Vec<String> = r
        .gone_quiet
        .iter()
        .map(|q| q.business.key.clone())
        .collect();
    got.sort();
    assert!(
        !expected.is_empty(),
        "the simulated campaign has businesses that went quiet"
    );
    assert_eq!(got, expected);
    // Most posts before first; the text formats list them, Telegram names the first.
    assert!(
        r.gone_quiet
            .windows(2)
            .all(|w| w[0].posts_before >= w[1].posts_before)
    );
    let table = render(r, Format::Table, Lang::Id, None);
    assert!(table.contains(Lang::Id.labels().gone_quiet), "{table}");
    assert!(table.contains(&r.gone_quiet[0].business.name));
    let summary = jempol::daily::summary_text(r, Lang::Id);
    assert!(
        summary.contains(&format!("Mulai diam ({})", r.gone_quiet.len())),
        "{summary}"
    );
    // Changes also in percent: "+12,5 %" in Bahasa Indonesia.
    assert!(table.contains("Perubahan %"), "{table}");
}

#[test]
fn on_a_phone_the_html_leaderboard_keeps_rank_business_and_engagement_in_view() {
    // The columns a phone leaves out carry `opt`, hidden below 641 px by the page's own
    // stylesheet (docs/screenshots.sh shows it in Chromium at 390 and 1366 px).
    let sim = simulated();
    let r = sim.outcome.last.as_ref().unwrap();
    let html = render(r, Format::Html, Lang::Id, None);
    assert!(html.contains("@media (max-width:640px){.opt{display:none}"));
    let l = Lang::Id.labels();
    let board = html
        .split(&format!("<h2>{}</h2>", l.leaderboard))
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the leaderboard's table");
    for kept in [
        format!("<th class=\"n\">{}</th>", l.rank),
        format!("<th>{}</th>", l.business),
        format!("<th class=\"n\">{}</th>", l.engagement),
    ] {
        assert!(board.contains(&kept), "{kept} is not in view on a phone");
    }
    for hidden in [l.category, l.platforms, l.likes, l.engagement_rate] {
        let th = format!(">{hidden}</th>");
        let at = board
            .find(&th)
            .unwrap_or_else(|| panic!("no {hidden} column"));
        assert!(
            board[..at].ends_with("class=\"opt\"") || board[..at].ends_with("class=\"n opt\""),
            "{hidden} stays on a phone"
        );
    }
    // Desktop: the page may use the width.
    assert!(html.contains("main{max-width:1400px"));
    // Accounts outside the registry link to their profiles, to invite them.
    let first = r
        .outside_registry
        .first()
        .expect("the campaign has outsiders");
    let profile = first.profile_url.as_deref().expect("a profile address");
    assert!(
        html.contains(&format!("<a href=\"{profile}\"")),
        "{profile}"
    );
}

#[test]
fn the_demos_report_fits_a_100_column_terminal_and_names_what_it_left_out() {
    use jempol::report::table::{render, render_within};
    let sim = simulated();
    let last = sim.outcome.last.as_ref().expect("the demo's last report");
    for lang in [Lang::En, Lang::Id] {
        let full = render(last, lang, 10);
        assert!(
            full.lines().any(|l| l.chars().count() > 100),
            "the full table is wider than 100: nothing to prove"
        );
        let narrow = render_within(last, lang, 10, Some(100));
        for line in narrow.lines() {
            assert!(
                line.chars().count() <= 100,
                "{} wide: {line}",
                line.chars().count()
            );
        }
        let l = lang.labels();
        // The ranking stays: rank, business and engagement of the first business.
        let first = &last.businesses[0];
        let row = narrow
            .lines()
            .find(|line| line.trim_start().starts_with("1 ") && line.contains(&first.name))
            .unwrap_or_else(|| panic!("no first row for {}:\n{narrow}", first.name));
        let engagement = jempol::report::labels::maybe(first.engagement, lang);
        assert!(row.contains(&engagement), "{row} lacks {engagement}");
        assert!(narrow.contains(l.left_out), "{narrow}");
    }
}

#[test]
fn the_demo_writes_each_days_report_in_every_format() {
    let sim = simulated();
    let names: Vec<String> = sim
        .outcome
        .reports
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for d in &sim.days {
        for ext in ["html", "json", "csv"] {
            assert!(
                names.contains(&format!("{d}.{ext}")),
                "{d}.{ext} in {names:?}"
            );
        }
    }
    let meta = sim.outcome.database.with_file_name("datasette.yml");
    assert_eq!(
        std::fs::read_to_string(&meta).unwrap(),
        jempol::store::datasette::metadata("jempol"),
        "the demo leaves Datasette metadata for its database beside it"
    );
    let last = sim.outcome.last.as_ref().unwrap();
    assert_eq!(last.date, "2026-11-18");
    assert!(
        last.totals.businesses_active > 0,
        "the simulated city posts every day"
    );
    assert!(last.totals.engagement.unwrap() > 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in &sim.outcome.reports {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640, "{}", f.display());
        }
    }
}

#[test]
fn the_first_tracked_day_is_an_ordinary_day_not_the_posts_lifetime_counts() {
    // The demo starts tracking at midnight with weeks of posts already out there: their
    // earlier engagement is from before tracking, not the first day's gain.
    let sim = simulated();
    let store = Store::open(&sim.outcome.database).unwrap();
    let engagement: Vec<i64> = sim
        .days
        .iter()
        .map(|d| day(&store, d).totals.engagement.unwrap())
        .collect();
    let mut others = engagement[1..].to_vec();
    others.sort_unstable();
    let median = others[others.len() / 2] as f64;
    let ratio = engagement[0] as f64 / median;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "first day {} vs median of the others {median}: {ratio:.2}x ({engagement:?})",
        engagement[0]
    );
    let before: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM posts_latest WHERE likes_before_tracking IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(before > 0, "posts from before tracking are kept apart");
}

#[test]
fn the_datasette_canned_queries_run_on_a_campaign_and_default_to_the_latest_complete_day() {
    let sim = simulated();
    let store = Store::open(&sim.outcome.database).unwrap();
    let conn = store.connection();
    for q in &jempol::store::datasette::CANNED_QUERIES {
        let sql = q.sql().replace(":day", "''");
        let rows: usize = conn
            .prepare(&sql)
            .unwrap_or_else(|e| panic!("{}: {e}", q.name))
            .query_map([], |_| Ok(()))
            .unwrap()
            .count();
        if q.name != "not_posted_yet" {
            assert!(rows > 0, "{} found nothing", q.name);
        }
    }
    // The demo's data ends on the morning after its last day: that partial morning is
    // not the default; the last full day is.
    let leaderboard = &jempol::store::datasette::CANNED_QUERIES[0];
    let day: String = conn
        .query_row(&leaderboard.sql().replace(":day", "''"), [], |r| r.get(1))
        .unwrap();
    assert_eq!(day, *sim.days.last().unwrap());
    // Its figures are the report's.
    let r = self::day(&store, &day);
    let top: (String, i64) = conn
        .query_row(&leaderboard.sql().replace(":day", "''"), [], |r| {
            Ok((r.get(2)?, r.get(11)?))
        })
        .unwrap();
    assert_eq!(
        top,
        (
            r.businesses[0].key.clone(),
            r.businesses[0].engagement.unwrap()
        )
    );
}

#[test]
fn the_shipped_datasette_metadata_is_the_one_jempol_writes_for_data_jempol_db() {
    let shipped =
        std::fs::read_to_string(common::repo_root().join("config/datasette.yml")).unwrap();
    assert_eq!(shipped, jempol::store::datasette::metadata("jempol"));
    // Any file name: the metadata is keyed by it (Datasette's database name).
    let other = jempol::store::datasette::metadata("jempol-sim");
    assert!(other.contains("\n  \"jempol-sim\":\n"), "{other}");
}

#[test]
fn report_figures_equal_an_independent_computation_over_the_snapshots() {
    let sim = simulated();
    let store = Store::open(&sim.outcome.database).unwrap();
    for d in &sim.days {
        let r = day(&store, d);
        let expected = independent(&store, d);
        let got = per_business(&r, |b| b.followers);
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "on {d}");
        views_agree(&store, &r);
        // The trend (kept by triggers in day_totals) says the same of each day.
        let last = sim.outcome.last.as_ref().unwrap();
        for p in &r.platforms {
            let point = last
                .trend
                .iter()
                .find(|t| &t.date == d && t.platform == p.platform)
                .unwrap();
            assert_eq!(
                point.gains, p.totals.gains,
                "trend of {} on {d}",
                p.platform
            );
        }
    }
}

/// Per business, straight from post_snapshots and account_snapshots (not the rollup):
/// posts published, likes, comments, shares, views gained, followers at the day's end.
/// The README's definitions: a day's gain is the latest counts at its end minus those at
/// its start; a post's first sight counts from 0 on the day it was seen when it was
/// published that day, on its publication day when that lies within its platform's
/// tracking, and on no day when it was published before tracking began; days before a
/// platform's first tracked day are unknown.
fn independent(store: &Store, d: &str) -> BTreeMap<String, Vec<Option<i64>>> {
    let date: jiff::civil::Date = d.parse().unwrap();
    let start = wib(&format!("{date}T00:00:00"));
    let end = start + 86_400;
    let sql = "
        WITH firsts AS (
            SELECT post_id, min(taken_at) AS at FROM post_snapshots GROUP BY post_id
        ),
        rules AS (
            SELECT p.id, p.business_id AS b, p.platform, f.at AS first_at,
                   CASE WHEN p.posted_at IS NULL
                          OR date(p.posted_at + 25200, 'unixepoch') >= date(f.at + 25200, 'unixepoch') THEN 'seen'
                        WHEN date(p.posted_at + 25200, 'unixepoch') >=
                             (SELECT date(min(first_seen_at) + 25200, 'unixepoch') FROM posts x WHERE x.platform = p.platform)
                        THEN 'published'
                        ELSE 'before' END AS rule,
                   date(p.posted_at + 25200, 'unixepoch') AS pub_day
            FROM posts p JOIN firsts f ON f.post_id = p.id
            WHERE p.business_id IS NOT NULL
        ),
        -- a snapshot in the day, other than a first sight that belongs to another day
        changed AS (
            SELECT DISTINCT s.post_id FROM post_snapshots s JOIN rules r ON r.id = s.post_id
            WHERE s.taken_at >= ?1 AND s.taken_at < ?2 AND (r.rule = 'seen' OR s.taken_at > r.first_at)
        ),
        g AS (
            SELECT r.b, r.platform,
                   e.likes - CASE WHEN st.post_id IS NOT NULL THEN st.likes WHEN r.rule = 'seen' THEN 0 ELSE f.likes END AS l,
                   e.comments - CASE WHEN st.post_id IS NOT NULL THEN st.comments WHEN r.rule = 'seen' THEN 0 ELSE f.comments END AS c,
                   e.shares - CASE WHEN st.post_id IS NOT NULL THEN st.shares WHEN r.rule = 'seen' THEN 0 ELSE f.shares END AS s,
                   e.views - CASE WHEN st.post_id IS NOT NULL THEN st.views WHEN r.rule = 'seen' THEN 0 ELSE f.views END AS v
            FROM changed ch
            JOIN rules r ON r.id = ch.post_id
            JOIN post_snapshots f ON f.post_id = r.id AND f.taken_at = r.first_at
            JOIN post_snapshots e ON e.post_id = ch.post_id AND e.taken_at =
                 (SELECT max(taken_at) FROM post_snapshots WHERE post_id = ch.post_id AND taken_at < ?2)
            LEFT JOIN post_snapshots st ON st.post_id = ch.post_id AND st.taken_at =
                 (SELECT max(taken_at) FROM post_snapshots WHERE post_id = ch.post_id AND taken_at < ?1)
            UNION ALL
            -- first sights credited to their publication day
            SELECT r.b, r.platform, f.likes, f.comments, f.shares, f.views
            FROM rules r JOIN post_snapshots f ON f.post_id = r.id AND f.taken_at = r.first_at
            WHERE r.rule = 'published' AND r.pub_day = ?3
        ),
        published AS (
            SELECT business_id AS b, platform, count(*) AS n FROM posts
            WHERE business_id IS NOT NULL AND posted_at >= ?1 AND posted_at < ?2
            GROUP BY 1, 2
        ),
        keys AS (SELECT b, platform FROM g UNION SELECT b, platform FROM published),
        per_platform AS (
            SELECT k.b, k.platform,
                   COALESCE((SELECT n FROM published x WHERE x.b = k.b AND x.platform = k.platform), 0) AS n,
                   EXISTS (SELECT 1 FROM g WHERE g.b = k.b AND g.platform = k.platform) AS any_changed,
                   ?3 >= (SELECT date(min(first_seen_at) + 25200, 'unixepoch') FROM posts x WHERE x.platform = k.platform) AS tracked,
                   (SELECT sum(l) FROM g WHERE g.b = k.b AND g.platform = k.platform) AS l,
                   (SELECT sum(c) FROM g WHERE g.b = k.b AND g.platform = k.platform) AS c,
                   (SELECT sum(s) FROM g WHERE g.b = k.b AND g.platform = k.platform) AS s,
                   (SELECT sum(v) FROM g WHERE g.b = k.b AND g.platform = k.platform) AS v
            FROM keys k
        )
        SELECT b.key, sum(n),
               sum(CASE WHEN NOT tracked THEN NULL WHEN any_changed THEN l ELSE 0 END),
               sum(CASE WHEN NOT tracked THEN NULL WHEN any_changed THEN c ELSE 0 END),
               sum(CASE WHEN NOT tracked THEN NULL WHEN any_changed THEN s WHEN platform IN ('facebook', 'tiktok') THEN 0 END),
               sum(CASE WHEN NOT tracked THEN NULL WHEN any_changed THEN v WHEN platform IN ('tiktok', 'youtube') THEN 0 END),
               (SELECT sum((SELECT followers FROM account_snapshots s
                             WHERE s.account_id = a.id AND s.taken_at < ?2
                             ORDER BY s.taken_at DESC LIMIT 1))
                  FROM accounts a WHERE a.business_id = b.id)
        FROM per_platform pp JOIN businesses b ON b.id = pp.b
        GROUP BY b.key";
    keyed(store.connection(), sql, rusqlite::params![start, end, d])
}

#[test]
fn the_same_seed_gives_the_same_reports() {
    let again = run_demo(7);
    let first = simulated();
    let json = |dir: &[PathBuf], d: &str| {
        let p = dir
            .iter()
            .find(|p| p.ends_with(format!("{d}.json")))
            .unwrap();
        std::fs::read_to_string(p).unwrap()
    };
    for d in &first.days {
        assert_eq!(
            json(&first.outcome.reports, d),
            json(&again.outcome.reports, d),
            "report of {d}"
        );
    }
}

#[test]
fn every_format_parses_or_renders() {
    let sim = simulated();
    let r = sim.outcome.last.as_ref().unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&render(r, Format::Json, Lang::En, None)).unwrap();
    for key in [
        "schema_version",
        "date",
        "timezone",
        "totals",
        "previous",
        "platforms",
        "businesses",
        "top_posts",
        "new_participants",
        "gone_quiet",
        "not_posted_yet",
        "outside_registry",
        "trend",
    ] {
        assert!(json.get(key).is_some(), "JSON has {key}");
    }
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["timezone"], "Asia/Jakarta");
    assert_eq!(
        json["businesses"].as_array().unwrap().len(),
        r.businesses.len()
    );
    assert_eq!(json["trend"].as_array().unwrap().len(), 14 * 4);

    // In Bahasa Indonesia, what Excel in the Indonesian locale opens as columns: a BOM,
    // `;` between cells, a decimal comma.
    let csv = render(r, Format::Csv, Lang::Id, None);
    let csv = csv.strip_prefix('\u{FEFF}').expect("a BOM for Excel");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv.as_bytes());
    assert_eq!(&reader.headers().unwrap()[2], "Usaha", "Indonesian headers");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // The leaderboard, then the businesses gone quiet that it does not hold, then those
    // not posted yet.
    let quiet_elsewhere = r
        .gone_quiet
        .iter()
        .filter(|q| !r.businesses.iter().any(|b| b.key == q.business.key))
        .count();
    assert_eq!(
        rows.len(),
        r.businesses.len() + quiet_elsewhere + r.not_posted_yet.len()
    );
    assert!(rows.iter().all(|row| row.len() == 19));
    assert_eq!(&reader.headers().unwrap()[17], "Sementara");
    assert_eq!(&reader.headers().unwrap()[18], "Mulai diam");
    let quiet_rows = rows.iter().filter(|row| &row[18] == "ya").count();
    assert_eq!(
        quiet_rows,
        r.gone_quiet.len(),
        "each business gone quiet is flagged once"
    );
    let provisional = if r.provisional { "ya" } else { "tidak" };
    assert_eq!(
        &rows[0][17], provisional,
        "the leaderboard says whether it may move"
    );
    let rate = rows
        .iter()
        .map(|row| &row[12])
        .find(|c| !c.is_empty())
        .unwrap();
    assert!(
        rate.contains(',') && !rate.contains('.'),
        "a decimal comma: {rate}"
    );
    // In English, RFC 4180: commas, a decimal point, no BOM; the same figures.
    let en = render(r, Format::Csv, Lang::En, None);
    assert!(!en.starts_with('\u{FEFF}'));
    let mut reader = csv::Reader::from_reader(en.as_bytes());
    let en_rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(en_rows.len(), rows.len());
    for (id, en) in rows.iter().zip(&en_rows) {
        assert_eq!(id[1], en[1], "same business");
        assert_eq!(id[12].replace(',', "."), en[12], "same rate");
        assert_eq!(id[11], en[11], "same engagement");
    }

    let md = render(r, Format::Md, Lang::En, Some(5));
    assert!(md.starts_with("# Engagement report"));
    assert!(md.lines().any(|l| l.starts_with("| 1 |")));

    let table = render(r, Format::Table, Lang::Id, Some(5));
    for label in [
        // Platforms by the names people write.
        "Instagram",
        "TikTok",
        "YouTube",
        "Total kampanye",
        "Peringkat usaha",
        "Unggahan teratas",
        "Suka",
    ] {
        assert!(table.contains(label), "Indonesian table has {label}");
    }
    // Days and times as people write them, not as ISO dates.
    let day = jempol::report::labels::long_date(&r.date, Lang::Id);
    assert!(day.contains(", ") && !day.contains('-'), "{day}");
    assert!(table.contains(&format!("Periode: {day}")), "{table}");
    assert!(
        table.contains(" pukul ") && table.contains(" WIB"),
        "{table}"
    );

    let html = render(r, Format::Html, Lang::En, None);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "trend and leaderboard charts"
    );
    for external in ["<script", "<link", " src="] {
        assert!(!html.contains(external), "self-contained: no {external}");
    }
    chromium_renders(&html, &r.campaign);
}

/// Renders the page in headless Chromium when it is installed (CI installs it).
fn chromium_renders(html: &str, expect: &str) {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        assert!(std::env::var_os("CI").is_none(), "CI must have Chromium");
        eprintln!("no Chromium here: HTML checked for structure only");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let out = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(&page)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains(expect), "Chromium rendered the page");
    assert!(dom.contains("</svg>"));
}

// ---- the command ----

#[test]
fn the_report_command_validates_days_and_writes_private_files() {
    let ws = Workspace::new();
    let run = ws
        .jempol(&["report", "--date", "2026-13-01"])
        .expect_code(2);
    assert!(run.stderr().contains("--date"), "{}", run.stderr());
    let run = ws
        .jempol(&["report", "--from", "2026-11-21", "--to", "2026-11-20"])
        .expect_code(2);
    assert!(run.stderr().contains("after"), "{}", run.stderr());
    ws.jempol(&["report", "--date", "2026-11-20", "--top", "0"])
        .expect_code(2);

    // No database is an error naming the file, not an empty report...
    let run = ws
        .jempol(&["report", "--date", "2026-11-20"])
        .expect_code(1);
    assert!(
        run.stderr().contains("there is no database at"),
        "{}",
        run.stderr()
    );
    // ...while an empty database gives a valid report.
    ws.jempol(&["db", "migrate"]).expect_code(0);
    let run = ws
        .jempol(&["report", "--date", "2026-11-20", "--format", "json"])
        .expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["date"], "2026-11-20");
    assert_eq!(json["businesses"].as_array().unwrap().len(), 0);
    // A week is Monday to Sunday; a month its calendar days.
    let period = |args: &[&str]| -> (String, String) {
        let run = ws
            .jempol(&[&["report", "--format", "json"], args].concat())
            .expect_code(0);
        let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
        (
            json["from"].as_str().unwrap().into(),
            json["to"].as_str().unwrap().into(),
        )
    };
    assert_eq!(
        period(&["--week", "2026-11-18"]),
        ("2026-11-16".into(), "2026-11-22".into())
    );
    assert_eq!(
        period(&["--month", "2026-02"]),
        ("2026-02-01".into(), "2026-02-28".into())
    );
    let run = ws.jempol(&["report", "--week", "soon"]).expect_code(2);
    assert!(run.stderr().contains("--week"), "{}", run.stderr());
    ws.jempol(&["report", "--week", "last", "--date", "2026-11-20"])
        .expect_code(2);

    let out = ws.path("out/laporan.html");
    ws.jempol(&[
        "report",
        "--date",
        "yesterday",
        "--format",
        "html",
        "--lang",
        "id",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect_code(0);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("lang=\"id\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}

// ---- the daemon's daily report and its Telegram summary ----

const BOT_TOKEN: &str = "123456:AAF-bot-Sup3rS3cret";

fn daily_config(ws: &Workspace, telegram_url: &str) -> jempol::config::Config {
    let text = format!(
        "{}\n[reports]\ndirectory = \"reports\"\ntime = \"06:00\"\nlang = \"id\"\n\n[reports.telegram]\nchat_id = \"-100200300\"\nbase_url = \"{telegram_url}\"\n",
        common::MINIMAL_CONFIG
    );
    let path = ws.write("daily.toml", text);
    jempol::config::Config::load(&path).unwrap()
}

/// What the daily-report specs start from: a campaign's database, a config whose
/// Telegram summary goes to a fake Bot API (answering `ok` or 401), and the secrets
/// (the bot token, when given one).
struct Daily {
    ws: Workspace,
    writer: jempol::store::Writer,
    config: jempol::config::Config,
    secrets: jempol::config::Secrets,
    seen: Seen,
}

fn file_names(files: &[std::path::PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

impl Daily {
    async fn new(telegram_ok: bool, token: Option<&str>) -> Daily {
        let ws = Workspace::new();
        let (_, running) = tokio::sync::watch::channel(false);
        let writer = jempol::store::Writer::start(dataset(&ws), u64::MAX, running).unwrap();
        let (url, seen) = fake_telegram(telegram_ok).await;
        let config = daily_config(&ws, &url);
        let secrets = config
            .secrets(|v| (v == "JEMPOL_TELEGRAM_BOT_TOKEN").then(|| token.map(String::from))?)
            .unwrap();
        Daily {
            ws,
            writer,
            config,
            secrets,
            seen,
        }
    }

    fn job(&self) -> jempol::daily::DailyJob {
        jempol::daily::DailyJob::new(&self.config, &self.secrets).unwrap()
    }
}

#[tokio::test]
async fn the_daemon_writes_yesterdays_report_once_after_six_and_announces_it() {
    let d = Daily::new(true, Some(BOT_TOKEN)).await;
    let job = d.job();
    let at = |local: &str| jiff::Timestamp::from_second(wib(local)).unwrap();

    // 05:59 on the 22nd: the 21st is not due yet, the 20th is.
    let files = job.tick(&d.writer, at("2026-11-22T05:59:00")).await;
    assert!(
        files
            .iter()
            .all(|f| f.to_string_lossy().contains("2026-11-20")),
        "{files:?}"
    );
    assert_eq!(files.len(), 3);
    // 06:00: the 21st, in html, json and csv; the summary goes to the chat.
    let files = job.tick(&d.writer, at("2026-11-22T06:00:00")).await;
    assert_eq!(
        file_names(&files),
        ["2026-11-21.html", "2026-11-21.json", "2026-11-21.csv"]
    );
    assert!(d.ws.path("reports/2026-11-21.html").exists());
    // What `status` reads of it: the last report's day.
    let last = jempol::store::Store::open_read_only(d.writer.path())
        .unwrap()
        .last_report()
        .unwrap();
    assert_eq!(last.map(|(day, _)| day).as_deref(), Some("2026-11-21"));
    // ...and how its push went.
    let pushes = jempol::store::Store::open_read_only(d.writer.path())
        .unwrap()
        .last_pushes()
        .unwrap();
    let pushes: Vec<(&str, &str, bool)> = pushes
        .iter()
        .map(|p| (p.channel.as_str(), p.day.as_str(), p.ok))
        .collect();
    assert_eq!(
        pushes,
        [
            ("telegram", "2026-11-21", true),
            ("telegram-document", "2026-11-21", true)
        ]
    );
    // Once only.
    assert!(
        job.tick(&d.writer, at("2026-11-22T07:00:00"))
            .await
            .is_empty()
    );

    let seen = messages(&d.seen);
    assert_eq!(seen.len(), 2, "one summary per report");
    let (bot, body) = &seen[1];
    assert_eq!(bot, &format!("bot{BOT_TOKEN}"));
    assert_eq!(body["chat_id"], "-100200300");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("Sabtu, 21 November 2026") && text.contains("Keterlibatan"),
        "{text}"
    );
    assert!(!text.contains(BOT_TOKEN));
    // After each summary, the HTML report itself as a file, to open or forward.
    let files = documents(&d.seen);
    assert_eq!(files.len(), 2, "one page per report");
    for part in [
        "name=\"chat_id\"",
        "-100200300",
        "name=\"document\"; filename=\"2026-11-21.html\"",
        "text/html",
        "<!DOCTYPE html>",
        "Keterlibatan",
    ] {
        assert!(files[1].contains(part), "{part:?} not in the upload");
    }
    assert!(!files[1].contains(BOT_TOKEN));
}

#[tokio::test]
async fn with_a_public_url_the_summary_links_to_the_report_instead_of_sending_it() {
    let mut d = Daily::new(true, Some(BOT_TOKEN)).await;
    d.config.reports.public_url = Some("https://laporan.padang.example/jempol".into());
    let job = d.job();
    let now = jiff::Timestamp::from_second(wib("2026-11-22T06:00:00")).unwrap();
    assert_eq!(job.tick(&d.writer, now).await.len(), 3);
    let sent = messages(&d.seen);
    let text = sent[0].1["text"].as_str().unwrap();
    assert!(
        text.contains("Laporan lengkap: https://laporan.padang.example/jempol/2026-11-21.html"),
        "{text}"
    );
    assert!(documents(&d.seen).is_empty(), "a link, not the file");

    // Without HTML among the formats there is nothing to link to or send.
    let mut d = Daily::new(true, Some(BOT_TOKEN)).await;
    d.config.reports.formats = vec![Format::Json];
    assert_eq!(d.job().tick(&d.writer, now).await.len(), 1);
    assert_eq!(messages(&d.seen).len(), 1);
    assert!(documents(&d.seen).is_empty());
}

#[tokio::test]
async fn a_failing_webhook_never_stops_the_report_and_never_shows_the_token() {
    use jempol::push::send_telegram;
    let d = Daily::new(false, Some(BOT_TOKEN)).await;
    let job = d.job();
    let now = jiff::Timestamp::from_second(wib("2026-11-22T09:00:00")).unwrap();
    assert_eq!(
        job.tick(&d.writer, now).await.len(),
        3,
        "files written despite the 401"
    );
    // `status` can say that the push failed, and why, without the token.
    let pushes = jempol::store::Store::open_read_only(d.writer.path())
        .unwrap()
        .last_pushes()
        .unwrap();
    assert!(!pushes[0].ok);
    let why = pushes[0].message.as_deref().unwrap();
    assert!(
        why.contains("Unauthorized") && !why.contains(BOT_TOKEN),
        "{why}"
    );

    let telegram = d.config.reports.telegram.clone().unwrap();
    let client = jempol::push::telegram_client().unwrap();
    let err = send_telegram(&client, &telegram, BOT_TOKEN, "hi")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Unauthorized"), "{err}");
    assert_eq!(
        messages(&d.seen).len(),
        2,
        "the daemon's summary was refused once and not sent again; then this one"
    );
    // Nothing listens here: the connection error must not quote the URL with the token.
    let mut dead = telegram.clone();
    dead.base_url = "http://127.0.0.1:9".into();
    let err = send_telegram(&client, &dead, BOT_TOKEN, "hi")
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains(BOT_TOKEN) && !err.contains("AAF"), "{err}");
}

#[tokio::test]
async fn the_daily_summary_is_posted_to_a_webhook_signed_with_its_secret() {
    use axum::extract::State;
    use axum::http::HeaderMap;
    type Posted = std::sync::Arc<std::sync::Mutex<Vec<(Option<String>, Vec<u8>)>>>;
    let posted: Posted = Default::default();
    let answers = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                move |State((posted, answers)): State<(
                    Posted,
                    std::sync::Arc<std::sync::atomic::AtomicUsize>,
                )>,
                      headers: HeaderMap,
                      body: axum::body::Bytes| async move {
                    let signature = headers
                        .get("x-jempol-signature-256")
                        .and_then(|v| v.to_str().ok())
                        .map(String::from);
                    posted.lock().unwrap().push((signature, body.to_vec()));
                    // The first answer is a failure of the receiver's: sent again.
                    if answers.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        axum::http::StatusCode::BAD_GATEWAY
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        )
        .with_state((posted.clone(), answers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let ws = Workspace::new();
    let (_, running) = tokio::sync::watch::channel(false);
    let writer = jempol::store::Writer::start(dataset(&ws), u64::MAX, running).unwrap();
    let path = ws.write(
        "hook.toml",
        format!(
            "{}\n[reports]\ndirectory = \"reports\"\n\n[reports.webhook]\nurl = \"{url}\"\n",
            common::MINIMAL_CONFIG
        ),
    );
    let config = jempol::config::Config::load(&path).unwrap();
    const SECRET: &str = "whsec-Sup3rS3cret";
    let secrets = config
        .secrets(|v| (v == "JEMPOL_WEBHOOK_SECRET").then(|| SECRET.to_string()))
        .unwrap();
    let job = jempol::daily::DailyJob::new(&config, &secrets)
        .unwrap()
        .with_push_retry(jempol::push::PushRetry {
            attempts: 3,
            base: std::time::Duration::from_millis(10),
            max_retry_after: std::time::Duration::from_secs(5),
        });
    let now = jiff::Timestamp::from_second(wib("2026-11-22T09:00:00")).unwrap();
    assert_eq!(job.tick(&writer, now).await.len(), 3);

    let posted = posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2, "a 502 is followed by a second post");
    let (signature, body) = &posted[1];
    assert_eq!(
        signature.as_deref(),
        Some(jempol::push::signature(SECRET, body).as_str()),
        "signed with the configured secret"
    );
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["event"], "daily_report");
    assert_eq!(json["date"], "2026-11-21");
    assert!(json["totals"]["engagement"].is_number(), "{json}");
    assert!(!String::from_utf8_lossy(body).contains(SECRET));
}

#[tokio::test]
async fn a_summary_is_sent_again_after_a_429_and_a_5xx_waiting_as_long_as_telegram_asks() {
    use jempol::push::{PushRetry, push_telegram, telegram_client};
    let ws = Workspace::new();
    let client = telegram_client().unwrap();
    let policy = PushRetry {
        attempts: 3,
        base: std::time::Duration::from_millis(10),
        max_retry_after: std::time::Duration::from_secs(60),
    };
    let busy = |after: u64| {
        (
            429,
            serde_json::json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {after}"),
                "parameters": {"retry_after": after}}),
        )
    };
    let ok = (200, serde_json::json!({"ok": true, "result": {}}));
    let down = (
        502,
        serde_json::json!({"ok": false, "description": "Bad Gateway"}),
    );
    let telegram_at = |url: &str| daily_config(&ws, url).reports.telegram.unwrap();

    let (url, seen) = scripted_telegram(vec![busy(1), down.clone(), ok]).await;
    let started = std::time::Instant::now();
    push_telegram(&client, &telegram_at(&url), BOT_TOKEN, "hi", policy)
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 3, "sent on the third try");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the second try waited the second Telegram asked for"
    );

    // Longer than jempol waits: given up at once, and the log says why.
    let (url, seen) = scripted_telegram(vec![busy(3600)]).await;
    let err = push_telegram(&client, &telegram_at(&url), BOT_TOKEN, "hi", policy)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(err.contains("3600 s"), "{err}");

    // A server that stays down: as many tries as the policy allows, then the error.
    let (url, seen) = scripted_telegram(vec![down]).await;
    let err = push_telegram(&client, &telegram_at(&url), BOT_TOKEN, "hi", policy)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(
        err.contains("502") && err.contains("after 3 attempts"),
        "{err}"
    );
    assert!(!err.contains(BOT_TOKEN), "{err}");
}

#[tokio::test]
async fn a_telegram_redirect_is_refused_and_a_hostile_answer_reaches_the_log_cleaned() {
    use jempol::push::{send_telegram, telegram_client};
    let (other, seen) = fake_telegram(true).await;
    let to = format!("{other}/bot{BOT_TOKEN}/sendMessage");
    let app = axum::Router::new()
        .route(
            "/{bot}/sendMessage",
            axum::routing::post(move || async move {
                (axum::http::StatusCode::TEMPORARY_REDIRECT, [("location", to)], "")
            }),
        )
        .route(
            "/hostile/{bot}/sendMessage",
            axum::routing::post(|| async {
                axum::Json(serde_json::json!({
                    "ok": false,
                    "description": format!("\x1b]0;pwned\x07 echo {BOT_TOKEN} {}", "x".repeat(5000)),
                }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let ws = Workspace::new();
    let mut telegram = daily_config(&ws, &url).reports.telegram.unwrap();
    let client = telegram_client().unwrap();

    let err = send_telegram(&client, &telegram, BOT_TOKEN, "hi")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("redirect"), "{err}");
    assert!(!err.contains(BOT_TOKEN), "{err}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "the message followed the redirect"
    );

    telegram.base_url = format!("{url}/hostile");
    let err = send_telegram(&client, &telegram, BOT_TOKEN, "hi")
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains(BOT_TOKEN) && !err.contains('\x1b'), "{err:?}");
    assert!(err.len() < 400, "{} bytes", err.len());
}

fn child_process(ws: &Workspace, exe: &str) -> jempol::daily::ChildProcess {
    jempol::daily::ChildProcess {
        exe: exe.into(),
        config: ws.path("daily.toml"),
        args: vec!["--log-format".into(), "json".into()],
    }
}

#[tokio::test]
async fn the_daemon_can_write_its_daily_report_in_a_child_process_with_the_same_result() {
    use jempol::daily::request;
    // The token reaches the child through its environment, never its command line.
    let d = Daily::new(true, Some(BOT_TOKEN)).await;
    let mut job = d.job();
    job.in_child_process(child_process(&d.ws, env!("CARGO_BIN_EXE_jempol")));
    let now = jiff::Timestamp::from_second(wib("2026-11-22T06:00:00")).unwrap();

    let files = job.tick(&d.writer, now).await;
    assert_eq!(
        file_names(&files),
        ["2026-11-21.html", "2026-11-21.json", "2026-11-21.csv"]
    );
    let day: jiff::civil::Date = "2026-11-21".parse().unwrap();
    let here = {
        let s = jempol::store::Store::open_read_only(d.writer.path()).unwrap();
        compute(&s, &request(&d.config, day, day)).unwrap()
    };
    assert_eq!(
        std::fs::read_to_string(d.ws.path("reports/2026-11-21.json")).unwrap(),
        render(&here, Format::Json, Lang::Id, None),
        "the child's report is the one the daemon would have written"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    let seen = messages(&d.seen);
    assert_eq!(seen.len(), 1, "the child announced the report once");
    assert_eq!(seen[0].0, format!("bot{BOT_TOKEN}"));
    assert!(job.tick(&d.writer, now).await.is_empty(), "once only");
}

#[tokio::test]
async fn after_a_sunday_the_week_is_reported_and_after_a_months_last_day_the_month() {
    let d = Daily::new(true, Some(BOT_TOKEN)).await;
    let mut job = d.job();
    let at = |local: &str| jiff::Timestamp::from_second(wib(local)).unwrap();
    let json = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(d.ws.path(&format!("reports/{name}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    // Saturday the 21st: its day only (the week before it holds no data: none is written).
    let files = job.tick(&d.writer, at("2026-11-22T06:00:00")).await;
    assert_eq!(
        file_names(&files),
        ["2026-11-21.html", "2026-11-21.json", "2026-11-21.csv"]
    );

    // Sunday the 22nd, written on Monday: its day and its week, Monday 16th to Sunday 22nd
    // (ISO week 47), the week written in a report process of its own as the daemon does.
    job.in_child_process(child_process(&d.ws, env!("CARGO_BIN_EXE_jempol")));
    let files = job.tick(&d.writer, at("2026-11-23T06:00:00")).await;
    assert_eq!(
        file_names(&files),
        [
            "2026-11-22.html",
            "2026-11-22.json",
            "2026-11-22.csv",
            "2026-W47.html",
            "2026-W47.json",
            "2026-W47.csv"
        ]
    );
    let week = json("2026-W47");
    assert_eq!(
        (week["from"].as_str(), week["to"].as_str()),
        (Some("2026-11-16"), Some("2026-11-22"))
    );
    // The week's figures are its days'.
    let store = jempol::store::Store::open_read_only(d.writer.path()).unwrap();
    let days: i64 = (16..=22)
        .map(|n| {
            day(&store, &format!("2026-11-{n}"))
                .totals
                .engagement
                .unwrap_or(0)
        })
        .sum();
    assert!(days > 0);
    assert_eq!(week["totals"]["engagement"].as_i64(), Some(days));
    // Each is announced: the week's summary names its days.
    let seen = messages(&d.seen);
    let texts: Vec<&str> = seen
        .iter()
        .filter_map(|(_, b)| b["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[2].contains("Senin, 16 November 2026 – Minggu, 22 November 2026"),
        "{}",
        texts[2]
    );
    // Written once.
    assert!(
        job.tick(&d.writer, at("2026-11-23T09:00:00"))
            .await
            .is_empty()
    );

    // Monday the 30th is November's last day: its day, the week before, and November.
    let files = job.tick(&d.writer, at("2026-12-01T06:00:00")).await;
    assert_eq!(
        file_names(&files),
        [
            "2026-11-30.html",
            "2026-11-30.json",
            "2026-11-30.csv",
            "2026-W48.html",
            "2026-W48.json",
            "2026-W48.csv",
            "2026-11.html",
            "2026-11.json",
            "2026-11.csv"
        ]
    );
    let month = json("2026-11");
    assert_eq!(
        (month["from"].as_str(), month["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!(
        month["totals"]["engagement"], week["totals"]["engagement"],
        "all of November's activity was in week 47"
    );
}

#[tokio::test]
async fn a_report_process_that_fails_is_retried_and_one_that_cannot_start_is_replaced() {
    let d = Daily::new(true, None).await;
    let now = jiff::Timestamp::from_second(wib("2026-11-22T06:00:00")).unwrap();

    // The child fails (its config file is gone): nothing written, nothing panics, the
    // next tick tries again.
    let mut job = d.job();
    let mut broken = child_process(&d.ws, env!("CARGO_BIN_EXE_jempol"));
    broken.config = d.ws.path("moved-away.toml");
    job.in_child_process(broken);
    assert!(job.tick(&d.writer, now).await.is_empty());
    assert!(!d.ws.path("reports/2026-11-21.json").exists());

    // No binary to start: the daemon writes the report itself.
    let mut job = d.job();
    job.in_child_process(child_process(&d.ws, "/nonexistent/jempol"));
    assert_eq!(job.tick(&d.writer, now).await.len(), 3);
    assert!(d.ws.path("reports/2026-11-21.json").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn a_report_process_still_running_when_the_daemon_stops_is_killed() {
    use std::os::unix::fs::PermissionsExt;
    let d = Daily::new(true, None).await;
    // A report process that hangs: it says who it is, then sleeps.
    let script = d.ws.write(
        "slow-report.sh",
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 30\n",
            d.ws.path("child.pid").display()
        ),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut job = d.job();
    job.in_child_process(child_process(&d.ws, script.to_str().unwrap()));
    let now = jiff::Timestamp::from_second(wib("2026-11-22T06:00:00")).unwrap();

    // The daemon stops waiting (a shutdown drops the report's future).
    let waited =
        tokio::time::timeout(std::time::Duration::from_secs(2), job.tick(&d.writer, now)).await;
    assert!(waited.is_err(), "the fake report process sleeps");
    let pid = std::fs::read_to_string(d.ws.path("child.pid")).unwrap();
    let alive = || {
        std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .is_ok_and(|stat| !stat.contains(") Z "))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!alive(), "the report process {pid} outlived the daemon");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_report_process_logs_the_memory_it_needed() {
    let d = Daily::new(true, None).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_jempol"))
        .arg("--config")
        .arg(d.ws.path("daily.toml"))
        .args([
            "--log-format",
            "json",
            "daily-report",
            "--day",
            "2026-11-21",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs = String::from_utf8_lossy(&out.stderr);
    let finished: serde_json::Value = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "report process finished")
        .unwrap_or_else(|| panic!("no 'report process finished' line in:\n{logs}"));
    let mb = finished["fields"]["peak_rss_mb"].as_u64().unwrap();
    assert!((1..4096).contains(&mb), "peak_rss_mb = {mb}");
    assert!(d.ws.path("reports/2026-11-21.json").exists());
}

// ---- drill-down: one business, one district, one category ----

fn scoped(store: &Store, from: &str, to: &str, scope: Scope) -> Report {
    let mut req = request(from, to);
    req.scope = scope;
    compute(store, &req).unwrap()
}

#[test]
fn a_business_report_shows_its_accounts_followers_day_by_day_and_every_post_with_its_gains() {
    let ws = Workspace::new();
    let store = dataset(&ws);
    let campaign = day(&store, "2026-11-20");
    let r = scoped(
        &store,
        "2026-11-20",
        "2026-11-20",
        Scope::Business("PDG-1".into()),
    );
    let b = r
        .business
        .as_ref()
        .expect("a business report has its drill-down");
    assert_eq!(
        (b.key.as_str(), b.name.as_str()),
        ("PDG-1", "Dendeng Uni Lis")
    );

    // Its figures are its leaderboard line in the campaign's report, PDG-2's left out.
    let mine = line(&campaign, "PDG-1");
    assert_eq!(r.totals.engagement, mine.engagement);
    assert_eq!(r.totals.gains, mine.gains);
    assert_eq!(r.totals.followers, mine.followers);
    assert_eq!(r.registered_businesses, 1);
    assert!(
        r.outside_registry.is_empty(),
        "no outsider is in a business"
    );
    let platforms: Vec<Platform> = r.platforms.iter().map(|p| p.platform).collect();
    assert_eq!(platforms, [Platform::Instagram, Platform::Youtube]);

    // Its accounts with their followers; YouTube's figure was never taken: unknown.
    let accounts: Vec<(&str, Option<i64>)> = b
        .accounts
        .iter()
        .map(|a| (a.account.as_str(), a.followers))
        .collect();
    assert_eq!(accounts.len(), 2);
    assert!(accounts.contains(&("a.ig", Some(1010))), "{accounts:?}");
    assert!(accounts.contains(&("@a", None)), "{accounts:?}");

    // Followers at each day's end: 1000 at 08:00 and 1010 at 23:59 on the 20th make the
    // 20th's 1010; the 19th had no figure yet (unknown, not 0); 1020 at 00:01 is the 21st's.
    let at = |r: &Report, date: &str| {
        r.business
            .as_ref()
            .unwrap()
            .followers_trend
            .iter()
            .find(|p| p.date == date && p.account == "a.ig")
            .map(|p| p.followers)
    };
    assert_eq!(at(&r, "2026-11-20"), Some(Some(1010)));
    assert_eq!(at(&r, "2026-11-19"), Some(None));
    let next = scoped(
        &store,
        "2026-11-21",
        "2026-11-21",
        Scope::Business("PDG-1".into()),
    );
    assert_eq!(at(&next, "2026-11-21"), Some(Some(1020)));
    assert_eq!(at(&next, "2026-11-20"), Some(Some(1010)));

    // Every post of its that gained, each with the same gains as in the campaign's report:
    // on the 20th p1 (p2's first sight counts on its publication day, the 19th), on the
    // 21st p1 and p2.
    let urls = |r: &Report| -> Vec<String> {
        let mut u: Vec<String> = r
            .business
            .as_ref()
            .unwrap()
            .posts
            .iter()
            .filter_map(|p| p.url.clone())
            .collect();
        u.sort();
        u
    };
    assert_eq!(urls(&r), ["https://example.invalid/p1"]);
    assert_eq!(
        urls(&next),
        ["https://example.invalid/p1", "https://example.invalid/p2"]
    );
    let campaign_21 = day(&store, "2026-11-21");
    let b = next.business.as_ref().unwrap();
    for p in &b.posts {
        let same = campaign_21
            .top_posts
            .iter()
            .find(|t| t.url == p.url)
            .unwrap();
        assert_eq!((p.gains, p.engagement), (same.gains, same.engagement));
    }
    assert!(
        b.posts
            .windows(2)
            .all(|w| w[0].engagement >= w[1].engagement)
    );

    // Each format shows the drill-down: the table names the business and its accounts.
    let table = render(&r, Format::Table, Lang::Id, None);
    for text in [
        "Usaha: Dendeng Uni Lis (PDG-1)",
        "Akun",
        "Pengikut di akhir tiap hari",
        "a.ig",
        "1.010",
    ] {
        assert!(table.contains(text), "{text:?} in {table}");
    }
    assert!(!table.contains(Lang::Id.labels().leaderboard), "{table}");
    let html = render(&r, Format::Html, Lang::En, None);
    assert!(html.contains("Followers at the end of each day"));
    assert!(
        html.contains("href=\"https://www.instagram.com/a.ig\""),
        "its profile is a link"
    );
    let json: serde_json::Value =
        serde_json::from_str(&render(&r, Format::Json, Lang::En, None)).unwrap();
    assert_eq!(json["scope"]["by"], "business");
    assert_eq!(json["scope"]["value"], "PDG-1");
    assert_eq!(json["business"]["posts"].as_array().unwrap().len(), 1);
}

#[test]
fn the_districts_reports_add_up_to_the_campaigns_and_hold_only_their_businesses() {
    let sim = simulated();
    let store = Store::open_read_only(&sim.outcome.database).unwrap();
    let (from, to) = (sim.days[0].as_str(), sim.days[2].as_str());
    let campaign = compute(&store, &request(from, to)).unwrap();
    let districts = store
        .registry_values(jempol::store::RegistryField::District)
        .unwrap();
    assert!(districts.len() > 3, "{districts:?}");
    let (mut posts, mut engagement, mut registered, mut active) = (0, 0, 0, 0);
    let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
    for d in &districts {
        // Named in another case, it is the same district.
        let r = scoped(&store, from, to, Scope::District(d.to_uppercase()));
        assert!(
            r.businesses
                .iter()
                .all(|b| b.district.as_deref() == Some(d.as_str()))
        );
        assert!(
            r.not_posted_yet
                .iter()
                .all(|b| b.district.as_deref() == Some(d.as_str()))
        );
        assert!(
            r.gone_quiet
                .iter()
                .all(|q| q.business.district.as_deref() == Some(d.as_str()))
        );
        assert!(r.top_posts.iter().all(|p| {
            r.businesses
                .iter()
                .any(|b| Some(&b.key) == p.business_key.as_ref())
        }));
        assert!(r.outside_registry.is_empty());
        assert!(r.revisions.is_empty());
        posts += r.totals.posts_published;
        engagement += r.totals.engagement.unwrap_or(0);
        registered += r.registered_businesses;
        active += r.totals.businesses_active;
        for t in &r.trend {
            *per_day.entry(t.date.clone()).or_default() += t.engagement.unwrap_or(0);
        }
    }
    // Every simulated business has a district: the parts make the whole.
    assert_eq!(registered, campaign.registered_businesses);
    assert_eq!(posts, campaign.totals.posts_published);
    assert_eq!(Some(engagement), campaign.totals.engagement);
    assert_eq!(active, campaign.totals.businesses_active);
    let mut whole: BTreeMap<String, i64> = BTreeMap::new();
    for t in &campaign.trend {
        *whole.entry(t.date.clone()).or_default() += t.engagement.unwrap_or(0);
    }
    assert_eq!(per_day, whole, "the trend, day by day");
}

#[test]
fn a_category_report_holds_only_that_category() {
    let sim = simulated();
    let store = Store::open_read_only(&sim.outcome.database).unwrap();
    let day = sim.days[2].as_str();
    let campaign = compute(&store, &request(day, day)).unwrap();
    let r = scoped(&store, day, day, Scope::Category("KULINER".into()));
    assert!(!r.businesses.is_empty());
    let expected: Vec<&str> = campaign
        .businesses
        .iter()
        .filter(|b| b.category.as_deref() == Some("kuliner"))
        .map(|b| b.key.as_str())
        .collect();
    let got: Vec<&str> = r.businesses.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(
        got, expected,
        "the same businesses, in the campaign's order"
    );
    let sum: i64 = r.businesses.iter().filter_map(|b| b.engagement).sum();
    assert_eq!(r.totals.engagement, Some(sum));
    let table = render(&r, Format::Table, Lang::En, None);
    assert!(
        table.contains("Category: KULINER") || table.contains("Category: kuliner"),
        "{table}"
    );
}

#[test]
fn the_report_command_narrows_by_business_district_or_category_and_names_what_it_does_not_know() {
    let ws = Workspace::new();
    drop(dataset(&ws));
    let json = |args: &[&str]| -> serde_json::Value {
        let run = ws
            .jempol(
                &[
                    &["report", "--date", "2026-11-20", "--format", "json"],
                    args,
                ]
                .concat(),
            )
            .expect_code(0);
        serde_json::from_str(&run.stdout()).unwrap()
    };
    // A key in another case is the key; a district in another case is the district.
    let r = json(&["--business", "pdg-1"]);
    assert_eq!(r["scope"]["value"], "PDG-1");
    assert_eq!(r["business"]["name"], "Dendeng Uni Lis");
    let r = json(&["--district", "padang utara"]);
    assert_eq!(r["scope"]["value"], "Padang Utara");
    assert_eq!(r["registered_businesses"], 2);
    let r = json(&["--category", "Kuliner"]);
    assert_eq!(r["scope"]["by"], "category");

    // What the registry does not hold is a usage error that says what it holds.
    let run = ws
        .jempol(&[
            "report",
            "--date",
            "2026-11-20",
            "--district",
            "Padang Tengah",
        ])
        .expect_code(2);
    assert!(
        run.stderr().contains("--district \"Padang Tengah\""),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("Padang Utara"), "{}", run.stderr());
    let run = ws
        .jempol(&["report", "--date", "2026-11-20", "--business", "PDG"])
        .expect_code(2);
    assert!(run.stderr().contains("PDG-1, PDG-2"), "{}", run.stderr());
    ws.jempol(&[
        "report",
        "--business",
        "PDG-1",
        "--district",
        "Padang Utara",
    ])
    .expect_code(2);
}

// ---- in a real browser ----

/// The layout of the page open in `browser`: its width and the page's, the leaderboard's
/// header cells (shown, right edge), whether its table fits its box, the chart texts that
/// stick out of their chart, the charts' text heights and the main column's width.
fn layout(browser: &common::browser::Browser, leaderboard: &str) -> serde_json::Value {
    browser.eval(&format!(
        r#"
        const vw = document.documentElement.clientWidth;
        let el = [...document.querySelectorAll('h2')].find(h => h.textContent === {leaderboard:?});
        while (el && !el.querySelector('table')) el = el.nextElementSibling;
        const cols = [...el.querySelectorAll('thead th')].map(th => ({{
            text: th.textContent,
            shown: getComputedStyle(th).display !== 'none',
            right: th.getBoundingClientRect().right,
        }}));
        const svgs = [...document.querySelectorAll('svg')];
        const cut = svgs.flatMap(s => {{
            const b = s.getBoundingClientRect();
            return [...s.querySelectorAll('text')]
                .filter(t => {{ const r = t.getBoundingClientRect(); return r.left < b.left - 1 || r.right > b.right + 1; }})
                .map(t => t.textContent);
        }});
        return {{
            vw, page: document.documentElement.scrollWidth, cols,
            table: el.querySelector('table').scrollWidth, box: el.clientWidth, cut,
            text: svgs.map(s => s.querySelector('text').getBoundingClientRect().height),
            main: document.querySelector('main').getBoundingClientRect().width,
        }};
        "#
    ))
}

#[test]
fn in_chromium_the_phone_page_keeps_the_ranking_in_view_and_the_desktop_page_uses_the_width() {
    use common::browser::{Browser, Screen};
    let sim = simulated();
    let r = sim.outcome.last.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("laporan.html");
    std::fs::write(&page, render(r, Format::Html, Lang::Id, None)).unwrap();
    let l = Lang::Id.labels();
    let col = |layout: &serde_json::Value, name: &str| {
        layout["cols"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["text"] == name)
            .unwrap_or_else(|| panic!("no {name} column"))
            .clone()
    };

    let Some(phone) = Browser::start(Screen::Phone) else {
        return;
    };
    phone.open(&page);
    let at = layout(&phone, l.leaderboard);
    let vw = at["vw"].as_f64().unwrap();
    assert_eq!(vw, 390.0, "{at}");
    assert!(at["page"].as_f64() <= Some(vw), "no sideways scroll: {at}");
    assert!(
        at["table"].as_f64() <= at["box"].as_f64(),
        "the leaderboard fits its box: {at}"
    );
    for kept in [l.rank, l.business, l.engagement] {
        let c = col(&at, kept);
        assert_eq!(c["shown"], true, "{kept} on a phone");
        assert!(c["right"].as_f64() <= Some(vw), "{kept} in view: {c}");
    }
    for left_out in [l.category, l.likes, l.engagement_rate] {
        assert_eq!(
            col(&at, left_out)["shown"],
            false,
            "{left_out} waits for a wider screen"
        );
    }
    assert_eq!(
        at["cut"],
        serde_json::json!([]),
        "no chart label is cut off"
    );
    for h in at["text"].as_array().unwrap() {
        assert!(
            h.as_f64() >= Some(10.0),
            "chart text legible on a phone: {at}"
        );
    }
    // One business's drill-down: no table wider than its box, no sideways scroll.
    let store = Store::open_read_only(&sim.outcome.database).unwrap();
    let mut req = request(&r.from, &r.to);
    req.scope = Scope::Business(r.businesses[0].key.clone());
    let drill = dir.path().join("usaha.html");
    std::fs::write(
        &drill,
        render(
            &compute(&store, &req).unwrap(),
            Format::Html,
            Lang::Id,
            None,
        ),
    )
    .unwrap();
    phone.open(&drill);
    let fits = phone.eval(
        "const vw = document.documentElement.clientWidth;
         const over = [...document.querySelectorAll('.box')].map(b => b.scrollWidth - b.clientWidth);
         const which = [...document.querySelectorAll('.box')].filter(b => b.scrollWidth > b.clientWidth).map(b => b.previousElementSibling.textContent);
         return {vw, page: document.documentElement.scrollWidth, over: Math.max(...over), which};",
    );
    assert!(fits["page"].as_f64() <= fits["vw"].as_f64(), "{fits}");
    assert!(
        fits["over"].as_f64() <= Some(0.0),
        "every table fits its box: {fits}"
    );
    drop(phone);

    let desktop = Browser::start(Screen::Desktop).unwrap();
    desktop.open(&page);
    let at = layout(&desktop, l.leaderboard);
    let vw = at["vw"].as_f64().unwrap();
    assert!(vw > 1300.0, "{at}");
    assert!(at["page"].as_f64() <= Some(vw), "{at}");
    assert!(
        at["main"].as_f64() > Some(1200.0),
        "the page uses the width: {at}"
    );
    assert!(
        at["table"].as_f64() <= at["box"].as_f64(),
        "every column without scrolling: {at}"
    );
    for c in at["cols"].as_array().unwrap() {
        assert_eq!(c["shown"], true, "{c} on a desktop");
    }
    assert_eq!(at["cut"], serde_json::json!([]));
    for h in at["text"].as_array().unwrap() {
        assert!(
            h.as_f64() <= Some(24.0),
            "chart text not huge on a desktop: {at}"
        );
    }
}
