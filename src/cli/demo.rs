//! `jempol demo`: the whole system on a simulated week, no tokens needed.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::demo::{Options, Progress};
use crate::report::{Format, Lang, render};

/// Options of `jempol demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Runs the simulator of the four platform APIs in this process (seeded: the same seed
gives the same numbers), imports its registry of businesses, runs the polling daemon
hour by hour over a simulated week, and writes the daily reports (HTML, JSON, CSV).
Everything lands in --dir, which is recreated: jempol.toml, jempol.db, datasette.yml
(Datasette metadata for that database), reports/.

Then, for example:
  jempol --config jempol-demo/jempol.toml report --date 2026-11-21 --lang id
  datasette jempol-demo/jempol.db -m jempol-demo/datasette.yml
  sqlite3 jempol-demo/jempol.db 'SELECT * FROM campaign_daily'")]
pub struct DemoArgs {
    /// Folder for the demo's config, database and reports (recreated).
    #[arg(long, default_value = "jempol-demo")]
    pub dir: PathBuf,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Registered businesses in the simulated city.
    #[arg(long, default_value_t = 2_000)]
    pub businesses: usize,
    /// Simulated days.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub days: u32,
    /// Report language: `en` or `id`.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut opts = Options::new(&args.dir);
    opts.seed = args.seed;
    opts.businesses = args.businesses.max(1);
    opts.days = args.days;
    opts.lang = args.lang;
    let started = std::time::Instant::now();
    let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC);

    // A bar on a terminal; a line per simulated day otherwise (CI logs, pipes).
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = ProgressBar::new(0);
    if terminal {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} simulated week [{bar:30}] {pos}/{len} h  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    eprintln!(
        "jempol demo: {} businesses, {} simulated days, seed {} → {}",
        opts.businesses,
        opts.days,
        opts.seed,
        opts.dir.display()
    );
    let report = |p: &Progress| {
        let local = p.now.to_zoned(tz.clone());
        let msg = format!(
            "{} WIB · {} posts · {} requests",
            local.strftime("%a %d %b %H:%M"),
            p.posts,
            p.requests
        );
        bar.set_length(p.hours);
        bar.set_position(p.hour);
        bar.set_message(msg.clone());
        if !terminal && (p.hour.is_multiple_of(24) || p.hour == p.hours) {
            eprintln!("  {}/{} h  {msg}", p.hour, p.hours);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(crate::demo::run(&opts, &report))?;
    bar.finish_and_clear();

    if let Some(last) = &outcome.last {
        println!("{}", render(last, Format::Table, opts.lang, Some(10)));
    }
    println!(
        "Done in {:.1} s: {} simulated day{} of the campaign.",
        started.elapsed().as_secs_f64(),
        opts.days,
        if opts.days == 1 { "" } else { "s" }
    );
    println!(
        "  {} posts tracked with {} API requests to the simulator.",
        outcome.posts, outcome.requests
    );
    println!("  database  {}", outcome.database.display());
    println!("  config    {}", outcome.config.display());
    println!("  reports   ({} files)", outcome.reports.len());
    for f in &outcome.reports {
        println!("            {}", f.display());
    }
    println!();
    println!(
        "Open the dashboard:  datasette {} -m {}",
        outcome.database.display(),
        outcome.database.with_file_name("datasette.yml").display()
    );
    println!(
        "Or query it:         sqlite3 {} 'SELECT * FROM campaign_daily'",
        outcome.database.display()
    );
    // The demo's week is simulated: "yesterday" would be a day it never saw.
    let week = match &outcome.last {
        Some(last) => format!("--date {}", last.date),
        None => "--date yesterday".to_string(),
    };
    println!(
        "Another report:      jempol --config {} report {week} --lang id",
        outcome.config.display()
    );
    Ok(())
}
