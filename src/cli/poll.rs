//! `jempol poll`, `jempol run` and `jempol status`.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::sync::watch;

use super::{Failed, StatusFormat};
use crate::config::Config;
use crate::daily::ChildProcess;
use crate::platform::Platform;
use crate::scheduler::{Daemon, Outcome, PlatformReport};
use crate::store::{Store, Writer};
use crate::time::{Clock, SystemClock};

/// The single-writer lock beside the database (`jempol.db.lock`), held while polling.
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// The lock file beside `database`.
    fn path(database: &Path) -> PathBuf {
        PathBuf::from(format!("{}.lock", database.display()))
    }

    /// The process that holds the lock now (a running `jempol run` or `poll --once`),
    /// if any. Only looks: the lock file is opened for reading and nothing is written.
    pub fn holder(database: &Path) -> Option<u32> {
        let path = Self::path(database);
        let file = File::open(&path).ok()?;
        match file.try_lock_shared() {
            Ok(()) => None, // nobody holds it (released when `file` closes)
            Err(_) => Some(
                std::fs::read_to_string(&path)
                    .ok()?
                    .trim()
                    .parse()
                    .unwrap_or(0),
            ),
        }
    }

    /// Takes the lock or says who holds it.
    pub fn acquire(database: &Path) -> anyhow::Result<WriterLock> {
        let path = Self::path(database);
        if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                // A folder this user may not write: say it of the database, as opening
                // the database would.
                std::io::ErrorKind::PermissionDenied => {
                    anyhow::Error::from(crate::store::StoreError::ReadOnly {
                        path: database.to_path_buf(),
                    })
                }
                _ => {
                    anyhow::Error::from(e).context(format!("opening lock file {}", path.display()))
                }
            })?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                write!(file, "{}", std::process::id())?;
                Ok(WriterLock { _file: file })
            }
            Err(_) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                Err(Failed {
                    message: format!(
                        "another jempol (pid {}) is already polling into {}: only one writer may run at a time",
                        holder.trim(),
                        database.display()
                    ),
                    code: 1,
                }
                .into())
            }
        }
    }
}

fn setup(
    config_path: &Path,
) -> anyhow::Result<(Config, crate::config::Secrets, Store, WriterLock)> {
    let config = crate::config::Config::load(config_path)?;
    let secrets = config.secrets(|v| std::env::var(v).ok())?;
    // The lock first: a poll refused because the daemon runs must not have touched the
    // file (its time zone setting rebuilds the rollups under the daemon).
    let lock = WriterLock::acquire(&config.database)?;
    let store = super::open_writer(&config)?;
    Ok((config, secrets, store, lock))
}

/// Sets the shutdown flag on SIGINT or SIGTERM.
pub(super) fn on_signals(tx: watch::Sender<bool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => return,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested: finishing the current transaction");
        let _ = tx.send(true);
    });
}

fn print_reports(reports: &[PlatformReport], tz: &jiff::tz::TimeZone) {
    for r in reports {
        let outcome = match r.quota_until {
            Some(t) => format!(
                "quota spent until {}",
                t.to_zoned(tz.clone()).strftime("%H:%M %Z")
            ),
            None => r.outcome.as_str().to_string(),
        };
        eprintln!(
            "{:<10} {:<11} requests {:>6}  items {:>7}  new posts {:>6}  snapshots {:>7}{}",
            r.platform.as_str(),
            outcome,
            r.requests,
            r.items_seen,
            r.new_posts,
            r.snapshots,
            r.error
                .as_deref()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
    }
}

/// `jempol poll --once`: one cycle, exit 0, or 1 if a platform failed (a spent quota is
/// not a failure).
pub fn poll_once(
    config_path: &Path,
    platform: Option<Platform>,
    json: bool,
    verbose: bool,
) -> anyhow::Result<()> {
    let (config, secrets, store, _lock) = setup(config_path)?;
    // Logs (-v) and a live line would garble each other; without a terminal, neither.
    let progress = std::io::stderr().is_terminal() && !verbose;
    let runtime = tokio::runtime::Runtime::new()?;
    let reports = runtime.block_on(async {
        let (tx, rx) = watch::channel(false);
        on_signals(tx);
        let writer = Writer::start(store, config.wal_limit, rx.clone())?;
        let daemon = Daemon::builder(&config, &secrets, writer)
            .shutdown(rx)
            .only(platform)
            .build()?;
        if !progress {
            return anyhow::Ok(daemon.cycle().await);
        }
        // A live line on a terminal: requests per platform while the cycle runs.
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} polling {elapsed}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let cycle = daemon.cycle();
        tokio::pin!(cycle);
        let reports = loop {
            tokio::select! {
                reports = &mut cycle => break reports,
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                    let parts: Vec<String> = daemon
                        .requests()
                        .into_iter()
                        .map(|(p, n)| format!("{p} {n} req"))
                        .collect();
                    bar.set_message(parts.join(" · "));
                }
            }
        };
        bar.finish_and_clear();
        anyhow::Ok(reports)
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else if std::io::stderr().is_terminal() {
        print_reports(&reports, &config.campaign.timezone);
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed | Outcome::Partial))
        .map(|r| r.platform.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failed {
            message: format!("polling failed for: {}", failed.join(", ")),
            code: 1,
        }
        .into())
    }
}

/// `jempol run`: the daemon, until SIGINT or SIGTERM.
///
/// `global_args` (log format, verbosity) are handed on to the daily report's process.
pub fn run(config_path: &Path, global_args: Vec<String>) -> anyhow::Result<()> {
    let (config, secrets, store, _lock) = setup(config_path)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (tx, rx) = watch::channel(false);
        on_signals(tx);
        let writer = Writer::start(store, config.wal_limit, rx.clone())?;
        let mut daemon = Daemon::builder(&config, &secrets, writer).shutdown(rx);
        match ChildProcess::this_binary(config_path, global_args) {
            Ok(child) => daemon = daemon.report_in_child_process(child),
            Err(e) => tracing::warn!(error = %e, "daily reports are written inside the daemon: cannot find its own binary"),
        }
        let daemon = daemon.build()?;
        tracing::info!(database = %config.database.display(), platforms = config.platforms.len(), "jempol daemon started");
        for warning in config.warnings(today_utc()) {
            tracing::warn!("{warning}");
        }
        daemon.run().await;
        tracing::info!("jempol daemon stopped");
        anyhow::Ok(())
    })
}

/// Today's civil date in UTC, for the config's warnings about dates to come.
pub(super) fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

struct StatusRow {
    platform: Platform,
    enabled: bool,
    status: crate::store::PlatformStatus,
    quota: Option<crate::quota::Usage>,
    next_poll: Option<i64>,
    /// When the last run ended on a spent quota: when that window ended or ends.
    quota_until: Option<i64>,
    /// What the operator was told and has not been told is over.
    alert: Option<crate::store::StandingAlert>,
}

/// `jempol status` before the database exists: the config's view of things.
fn status_before_first_poll(
    config: &crate::config::Config,
    format: StatusFormat,
) -> anyhow::Result<()> {
    let warnings = config.warnings(today_utc());
    let enabled: Vec<Platform> = Platform::ALL
        .into_iter()
        .filter(|p| config.platform(*p).is_some())
        .collect();
    match format {
        StatusFormat::Json => {
            let out = serde_json::json!({"database": config.database, "database_bytes": null, "schema_version": null, "enabled": enabled, "platforms": [], "warnings": warnings});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        StatusFormat::Text => {
            println!(
                "database {}: not made yet (`jempol poll --once` makes it)",
                config.database.display()
            );
            for p in Platform::ALL {
                let state = if enabled.contains(&p) {
                    "enabled, not polled yet"
                } else {
                    "disabled"
                };
                println!("\n{p}: {state}");
            }
            for w in &warnings {
                println!("\nwarning: {w}");
            }
        }
    }
    Ok(())
}

/// `jempol status`.
pub fn status(config_path: &Path, format: StatusFormat) -> anyhow::Result<()> {
    let config = crate::config::Config::load(config_path)?;
    if !config.database.is_file() {
        return status_before_first_poll(&config, format);
    }
    let store = super::open_current_reader(&config)?;
    let schema = store.schema_version()?;
    let size = store.size_bytes();
    let clock = SystemClock;
    let limits = crate::quota::limits(&config);
    let mut rows = Vec::new();
    for platform in Platform::ALL {
        let status = store.platform_status(platform)?;
        let enabled = config.platform(platform).is_some();
        rows.push(StatusRow {
            platform,
            enabled,
            next_poll: status
                .last_run_started
                .filter(|_| enabled)
                .map(|t| t + config.schedule.cycle),
            quota: limits
                .get(&platform)
                .map(|l| crate::quota::usage(&store, platform, l, clock.now())),
            quota_until: status
                .last_run_started
                .filter(|_| status.last_outcome.as_deref() == Some(Outcome::QuotaSpent.as_str()))
                .zip(limits.get(&platform))
                .and_then(|(t, l)| Some(l.window.end(jiff::Timestamp::from_second(t).ok()?))),
            alert: store.standing_alert(platform)?,
            status,
        });
    }
    // Times in the campaign's zone: `when` for people, `iso` (RFC 3339) for scripts.
    let zoned = |t: Option<i64>, format: &str| {
        t.and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map(|t| {
                t.to_zoned(config.campaign.timezone.clone())
                    .strftime(format)
                    .to_string()
            })
    };
    let when = |t: Option<i64>| zoned(t, "%Y-%m-%d %H:%M %Z").unwrap_or_else(|| "-".into());
    let iso = |t: Option<i64>| zoned(t, "%Y-%m-%dT%H:%M:%S%:z");
    let writer = WriterLock::holder(&config.database);
    let last_report = store.last_report()?;
    let pushes = store.last_pushes()?;
    let mut warnings = config.warnings(today_utc());
    let now = clock.now().as_second();
    let clock_ahead = store.clock_ahead(now)?;
    if let Some(latest) = clock_ahead {
        let days = (latest - now) as f64 / 86_400.0;
        warnings.push(format!(
            "the database holds times up to {} ({days:.1} days ahead of this machine's clock): \
             the clock was set ahead and then stepped back. Polling carries on from the clock \
             as it is now; figures credited to days after today were taken with the wrong clock",
            when(Some(latest))
        ));
    }
    match format {
        StatusFormat::Json => {
            let platforms: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let s = &r.status;
                    serde_json::json!({
                        "platform": r.platform,
                        "enabled": r.enabled,
                        "last_success": iso(s.last_success),
                        "last_error": s.last_error.as_ref().map(|(at, message)| serde_json::json!({"at": iso(Some(*at)), "message": message})),
                        "last_run_started": iso(s.last_run_started),
                        "last_outcome": s.last_outcome,
                        "quota_until": iso(r.quota_until),
                        "posts_tracked": s.posts_tracked,
                        "accounts_registered": s.accounts_registered,
                        "accounts_unreachable": s.accounts_unreachable,
                        "quota": r.quota.map(|q| serde_json::json!({"used": q.used, "limit": q.limit, "window_start": iso(Some(q.window_start))})),
                        "next_poll": iso(r.next_poll),
                        "operator_alerted": r.alert.as_ref().map(|a| serde_json::json!({"kind": a.kind, "at": iso(Some(a.at))})),
                    })
                })
                .collect();
            let out = serde_json::json!({"database": config.database, "database_bytes": size, "schema_version": schema,
                "writer": {"running": writer.is_some(), "pid": writer},
                "last_daily_report": last_report.as_ref().map(|(day, at)| serde_json::json!({"day": day, "written_at": iso(Some(*at))})),
                "last_pushes": pushes.iter().map(|p| serde_json::json!({"channel": p.channel, "day": p.day, "ok": p.ok, "message": p.message, "at": iso(Some(p.at))})).collect::<Vec<_>>(),
                "platforms": platforms, "warnings": warnings, "clock_behind_database_seconds": clock_ahead.map(|t| t - now)});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        StatusFormat::Text => {
            println!(
                "database {} ({:.1} MB, schema version {schema})",
                config.database.display(),
                size as f64 / 1e6
            );
            match writer {
                Some(pid) => {
                    println!("writer   running (pid {pid}): `jempol run` or `poll --once`")
                }
                None => println!("writer   not running: no `jempol run` polls into this file now"),
            }
            match &last_report {
                Some((day, at)) => println!(
                    "report   last daily report: {day}, written {}",
                    when(Some(*at))
                ),
                None => println!("report   no daily report written yet"),
            }
            for p in &pushes {
                match &p.message {
                    None => println!(
                        "push     {} of {}: sent {}",
                        p.channel,
                        p.day,
                        when(Some(p.at))
                    ),
                    Some(why) => println!(
                        "push     {} of {}: FAILED {}: {why}",
                        p.channel,
                        p.day,
                        when(Some(p.at))
                    ),
                }
            }
            for r in &rows {
                if !r.enabled {
                    println!("\n{}: disabled", r.platform);
                    continue;
                }
                println!("\n{}:", r.platform);
                println!("  last success   {}", when(r.status.last_success));
                if let Some((at, e)) = &r.status.last_error {
                    println!("  last error     {}  {e}", when(Some(*at)));
                }
                match r.quota_until {
                    Some(until) => {
                        println!("  last outcome   quota spent until {}", when(Some(until)))
                    }
                    None => println!(
                        "  last outcome   {}",
                        r.status.last_outcome.as_deref().unwrap_or("-")
                    ),
                }
                println!("  posts tracked  {}", r.status.posts_tracked);
                println!(
                    "  accounts       {} registered, {} unreachable",
                    r.status.accounts_registered, r.status.accounts_unreachable
                );
                if let Some(q) = &r.quota {
                    println!(
                        "  quota          {} used, {} left in this window",
                        q.used,
                        q.limit.saturating_sub(q.used)
                    );
                }
                println!("  next poll      {}", when(r.next_poll));
                if let Some(a) = &r.alert {
                    let what = match a.kind.as_str() {
                        "credential" => "credential rejected",
                        _ => "cycles failing in a row",
                    };
                    println!(
                        "  ALERT          {what} (operator told {})",
                        when(Some(a.at))
                    );
                }
            }
            for w in &warnings {
                println!("\nwarning: {w}");
            }
        }
    }
    Ok(())
}
