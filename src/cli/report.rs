//! `jempol report`: one day's or one period's summary in any format.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Failed;
use crate::daily;
use crate::platform::Platform;
use crate::report::compute::{Scope, same_name};
use crate::report::{Format, Lang, compute, parse_day, parse_month, parse_week, render};
use crate::store::{RegistryField, Store};

/// Arguments of `jempol report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  jempol report                                   # yesterday (campaign time zone), a table
  jempol report --date today --top 50
  jempol report --date 2026-11-20 --format html --out laporan.html --lang id
  jempol report --from 2026-11-01 --to 2026-11-30 --format csv --out november.csv
  jempol report --platform tiktok --format json | jq .totals
  jempol report --week last --district \"Padang Utara\" --format html --out minggu.html
  jempol report --month last --category kuliner --format csv --lang id --out kuliner.csv
  jempol report --business UMKM-0042 --week this    # its accounts, followers, posts

A day is a calendar day in the campaign time zone. Gained = counts at the end minus
counts at the start (0 for a post first seen that day); a count the platform hides is
shown as ? (null in JSON, empty in CSV), never as 0.")]
pub struct ReportArgs {
    /// The day: YYYY-MM-DD, `today` or `yesterday` [default: yesterday].
    #[arg(long, conflicts_with_all = ["from", "to", "week", "month"])]
    pub date: Option<String>,
    /// A Monday-to-Sunday week: `last` (the last whole week), `this`, or a day in it.
    #[arg(long, value_name = "last|this|DAY", conflicts_with_all = ["from", "to", "month"])]
    pub week: Option<String>,
    /// A calendar month: `last`, `this` or YYYY-MM.
    #[arg(long, value_name = "last|this|YYYY-MM", conflicts_with_all = ["from", "to"])]
    pub month: Option<String>,
    /// First day of a period (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of a period, inclusive (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (created 0640) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Leaderboard rows [default: 20 in table/md/html, all in csv/json].
    #[arg(long)]
    pub top: Option<usize>,
    /// Only this platform.
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Label language: `en` or `id` (Bahasa Indonesia) [default: reports.lang].
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// One business, by its registry key: its accounts, per-platform figures, followers
    /// day by day and its posts with their gains.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["district", "category"])]
    pub business: Option<String>,
    /// Only the businesses of this district (kecamatan), named in any case.
    #[arg(long, value_name = "NAME", conflicts_with = "category")]
    pub district: Option<String>,
    /// Only the businesses of this category, named in any case.
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
}

/// The scope the arguments name, checked against the registry: a name it does not hold
/// is a usage error that lists what it does hold.
fn scope(store: &Store, args: &ReportArgs) -> anyhow::Result<Scope> {
    let (flag, field, wanted) = match (&args.business, &args.district, &args.category) {
        (Some(k), _, _) => ("business", RegistryField::Key, k),
        (_, Some(d), _) => ("district", RegistryField::District, d),
        (_, _, Some(c)) => ("category", RegistryField::Category, c),
        _ => return Ok(Scope::Campaign),
    };
    let known = store.registry_values(field)?;
    // A key is exact when it can be, else matched in any case.
    let found = known
        .iter()
        .find(|k| *k == wanted)
        .or_else(|| known.iter().find(|k| same_name(k, wanted)));
    let Some(found) = found else {
        let near: Vec<&str> = known
            .iter()
            .filter(|k| k.to_lowercase().contains(&wanted.trim().to_lowercase()))
            .map(String::as_str)
            .collect();
        let shown = if near.is_empty() && field != RegistryField::Key {
            known.iter().map(String::as_str).collect()
        } else {
            near
        };
        let hint = if shown.is_empty() {
            match field {
                RegistryField::Key => " (`jempol businesses list` shows the keys)".to_string(),
                _ => format!(" (the registry names no {flag})"),
            }
        } else {
            let cap = if field == RegistryField::Key { 10 } else { 30 };
            let list: Vec<&str> = shown.iter().take(cap).copied().collect();
            let more = shown.len().saturating_sub(list.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("; the registry has: {}{more}", list.join(", "))
        };
        return Err(bad(format!(
            "--{flag} {wanted:?}: no such {flag} in the registry{hint}"
        )));
    };
    Ok(match field {
        RegistryField::Key => Scope::Business(found.clone()),
        RegistryField::District => Scope::District(found.clone()),
        RegistryField::Category => Scope::Category(found.clone()),
    })
}

fn bad(message: String) -> anyhow::Error {
    Failed { message, code: 2 }.into()
}

pub fn run(config_path: &Path, args: ReportArgs) -> anyhow::Result<()> {
    let config = crate::config::Config::load(config_path)?;
    let tz = &config.campaign.timezone;
    let now = jiff::Timestamp::now();
    let day = |text: &str, flag: &str| {
        parse_day(text, tz, now).map_err(|e| bad(format!("--{flag}: {e}")))
    };
    let (from, to) = match (&args.date, &args.from, &args.to) {
        _ if args.week.is_some() => {
            let w = args.week.as_deref().unwrap_or("last");
            parse_week(w, tz, now).map_err(|e| bad(format!("--week: {e}")))?
        }
        _ if args.month.is_some() => {
            let m = args.month.as_deref().unwrap_or("last");
            parse_month(m, tz, now).map_err(|e| bad(format!("--month: {e}")))?
        }
        (_, Some(f), Some(t)) => (day(f, "from")?, day(t, "to")?),
        (Some(d), _, _) => {
            let d = day(d, "date")?;
            (d, d)
        }
        _ => {
            let d = day("yesterday", "date")?;
            (d, d)
        }
    };
    if from > to {
        return Err(bad(format!("--from {from} is after --to {to}")));
    }
    if args.top == Some(0) {
        return Err(bad("--top must be at least 1".into()));
    }
    // The arguments first: a usage mistake is named before the database is looked at.
    let store = super::open_current_reader(&config)?;
    let mut request = daily::request(&config, from, to);
    request.platform = args.platform;
    request.scope = scope(&store, &args)?;
    let report = compute(&store, &request)?;
    let lang = args.lang.unwrap_or(config.reports.lang);
    let text = render(&report, args.format, lang, args.top);
    match &args.out {
        Some(path) => {
            daily::write_private(path, &text)?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(())
}

/// `jempol daily-report --day D [--period week|month]` (hidden): the daemon's report job
/// for one period, in a process of its own. Reads the database beside the running daemon;
/// writes nothing to it but what the report told.
pub fn daily(config_path: &Path, day: &str, period: daily::PeriodKind) -> anyhow::Result<()> {
    use anyhow::Context;
    let config = crate::config::Config::load(config_path)?;
    let day: jiff::civil::Date = day
        .parse()
        .map_err(|e| bad(format!("--day {day}: {e} (expected YYYY-MM-DD)")))?;
    let secrets = config.report_secrets(|v| std::env::var(v).ok());
    let Some(job) = daily::DailyJob::new(&config, &secrets) else {
        return Err(bad("reports are disabled in the config ([reports])".into()));
    };
    let store = crate::store::Store::open(&config.database)
        .with_context(|| format!("opening database {}", config.database.display()))?;
    let period = daily::Period::holding(period, day)
        .ok_or_else(|| bad(format!("--day {day}: no {} holds it", period.as_str())))?;
    let (report, _files) = job.write(&store, period)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The same connection records how the pushes went (no transaction is open meanwhile).
    for push in runtime.block_on(job.announce(&report, period)) {
        store.record_push(&push)?;
    }
    // What the report cost, for whoever sizes the server (this process does nothing else).
    if let Some(kb) = crate::memory_status_kb("VmHWM") {
        tracing::info!(day = %day, peak_rss_mb = kb.div_ceil(1024), "report process finished");
    }
    Ok(())
}
