//! `jempol demo`, the embedded default: the simulator in-process (seeded), its registry
//! imported, the daemon run over a compressed simulated week on a clock shared with the
//! simulator, and the daily reports written as each simulated morning passes. No tokens,
//! no network beyond 127.0.0.1.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::config::Config;
use crate::daily;
use crate::scheduler::Daemon;
use crate::sim::{SimConfig, SimState, Simulator};
use crate::store::{Store, Writer};
use crate::time::Clock;

/// What the demo runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder for the config, database and reports (recreated).
    pub dir: PathBuf,
    pub seed: u64,
    pub businesses: usize,
    pub days: u32,
    /// Where the simulated week starts (midnight WIB).
    pub start: Timestamp,
    pub lang: crate::report::Lang,
}

impl Options {
    pub fn new(dir: &Path) -> Options {
        Options {
            dir: dir.to_path_buf(),
            seed: 42,
            businesses: 2_000,
            days: 7,
            start: "2026-11-15T17:00:00Z".parse().unwrap_or_default(),
            lang: crate::report::Lang::En,
        }
    }
}

/// Where the demo is after each hourly cycle.
#[derive(Debug, Clone)]
pub struct Progress {
    pub hour: u64,
    pub hours: u64,
    /// Simulated time now.
    pub now: Timestamp,
    pub posts: i64,
    pub requests: u64,
}

/// What the demo left behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub config: PathBuf,
    pub database: PathBuf,
    pub reports: Vec<PathBuf>,
    /// The last full day's report.
    pub last: Option<crate::report::Report>,
    pub requests: u64,
    pub posts: i64,
}

const SECRET: &str = "demo-placeholder-credential";

/// Runs the demo; `progress` is told after every simulated hour.
pub async fn run(opts: &Options, progress: &(dyn Fn(&Progress) + Sync)) -> anyhow::Result<Outcome> {
    use anyhow::Context;
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("creating {}", opts.dir.display()))?;
    for name in ["jempol.db", "jempol.db-wal", "jempol.db-shm"] {
        let _ = std::fs::remove_file(opts.dir.join(name));
    }
    let _ = std::fs::remove_dir_all(opts.dir.join("reports"));

    let mut sim_config = SimConfig::new(opts.seed, opts.businesses, opts.start);
    sim_config.speed = 0.0;
    let sim = Simulator::start(SimState::new(sim_config), ([127, 0, 0, 1], 0).into())
        .await
        .context("starting the simulator")?;
    let clock = sim.state.clock.clone();

    let config_path = opts.dir.join("jempol.toml");
    let text = format!(
        "{}\n[reports]\ndirectory = \"reports\"\nlang = \"{}\"\n",
        crate::sim::config_text(
            &sim.urls,
            &crate::sim::ConfigFor {
                hashtag: &sim.state.world.config.hashtag,
                database: "jempol.db",
                written_by: "`jempol demo` (its simulator is gone when the demo ends)",
                // In-process, pacing would only make the demo wait.
                requests_per_second: 100_000,
            }
        ),
        opts.lang.code()
    );
    daily::write_private(&config_path, &text)?;
    // Datasette metadata for this very file, so the dashboard works from any directory.
    daily::write_private(
        &opts.dir.join("datasette.yml"),
        &crate::store::datasette::metadata("jempol"),
    )?;
    let config = Config::load(&config_path)?;
    let secrets = config.secrets(|_| Some(SECRET.to_string()))?;

    let mut store = Store::open(&config.database)?;
    let (secs, offset) = crate::time::offset_now(&config.campaign.timezone, opts.start);
    store.set_campaign_timezone(&config.campaign.timezone_name, secs, &offset)?;
    store.set_settle_days(config.reports.settle_days)?;
    let csv = crate::sim::registry_csv(&sim.state.world);
    let rows = crate::registry::reader(csv.as_bytes())?;
    let imported = store.import_registry(
        rows,
        opts.start.as_second(),
        crate::store::ImportPlan::default(),
        |bad| tracing::warn!(line = bad.line, reason = %bad.reason, "simulated business refused"),
    )?;
    anyhow::ensure!(
        imported.written.is_some(),
        "the simulator's registry has {} invalid row(s)",
        imported.invalid
    );
    let (_shutdown, rx) = tokio::sync::watch::channel(false);
    let writer = Writer::start(store, config.wal_limit, rx)?;
    let daemon = Daemon::builder(&config, &secrets, writer.clone())
        .clock(clock.clone())
        .build()?;
    // The week, then the morning after, when the last day's report is written.
    let hours = u64::from(opts.days) * 24 + 7;
    let mut requests = 0;
    let mut reports = Vec::new();
    let posts = async |w: &Writer| -> i64 { w.run(|s| s.posts_count()).await.unwrap_or(0) };
    for hour in 0..hours {
        for r in daemon.cycle().await {
            requests += r.requests;
        }
        reports.extend(daemon.daily_report().await);
        progress(&Progress {
            hour: hour + 1,
            hours,
            now: clock.now(),
            posts: posts(&writer).await,
            requests,
        });
        clock.advance(SignedDuration::from_hours(1));
    }
    sim.stop().await;

    let last_day = opts
        .start
        .to_zoned(config.campaign.timezone.clone())
        .date()
        .checked_add(jiff::Span::new().days(i64::from(opts.days) - 1))?;
    let request = daily::request(&config, last_day, last_day);
    let last = writer
        .run(move |s| Ok(crate::report::compute(s, &request).ok()))
        .await?;
    let posts = posts(&writer).await;
    Ok(Outcome {
        config: config_path,
        database: config.database.clone(),
        reports,
        last,
        requests,
        posts,
    })
}
