//! `jempol demo`: the whole system on a simulated week, no tokens needed.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::demo::{Options, Progress};
use crate::report::Lang;

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
    /// Then open the dashboard on the demo's database (`jempol serve` at the end of
    /// the simulated week), with a coordinator `demo` whose password is printed; until
    /// Ctrl-C. Optionally where to listen [default: 127.0.0.1:8080].
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    pub serve: Option<std::net::SocketAddr>,
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
                // Its counts stay in view at 80 columns.
                "{spinner} [{bar:16}] {pos}/{len} h  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let w = words(opts.lang);
    eprintln!(
        "jempol demo: {} {}, {} {}, seed {} → {}",
        opts.businesses,
        w.businesses,
        opts.days,
        w.simulated_days,
        opts.seed,
        opts.dir.display()
    );
    let report = |p: &Progress| {
        let local = p.now.to_zoned(tz.clone());
        let msg = format!(
            "{} · {} posts · {} req",
            local.strftime("%d %b %H:%M"),
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
        // Fits a 100-column terminal: the report files have every column.
        println!(
            "{}",
            crate::report::table::render_within(last, opts.lang, 10, Some(DEMO_WIDTH))
        );
    }
    println!(
        "{} {:.1} s: {} {}.",
        w.done_in,
        started.elapsed().as_secs_f64(),
        opts.days,
        if opts.days == 1 { w.day } else { w.days }
    );
    println!(
        "  {} {} {} {} {}.",
        outcome.posts, w.posts_tracked, w.with, outcome.requests, w.requests
    );
    // Absolute paths: the hints work from any directory.
    let abs = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (database, config) = (abs(&outcome.database), abs(&outcome.config));
    println!("  {:<12} {}", w.database, database.display());
    println!("  {:<12} {}", w.config, config.display());
    println!(
        "  {:<12} ({} {})",
        w.reports,
        outcome.reports.len(),
        w.files
    );
    for f in &outcome.reports {
        println!("  {:<12} {}", "", abs(f).display());
    }
    println!();
    println!(
        "{:<21}datasette {} -m {}",
        w.dashboard,
        database.display(),
        database.with_file_name("datasette.yml").display()
    );
    println!(
        "{:<21}sqlite3 {} 'SELECT * FROM campaign_daily'",
        w.query,
        database.display()
    );
    // The demo's week is simulated: "yesterday" would be a day it never saw.
    let week = match &outcome.last {
        Some(last) => format!("--date {}", last.date),
        None => "--date yesterday".to_string(),
    };
    println!(
        "{:<21}jempol --config {} report {week} --lang {}",
        w.another,
        config.display(),
        opts.lang.code()
    );
    match args.serve {
        Some(addr) => {
            // The dashboard's "today" is the simulated week's last day.
            let end =
                opts.start + jiff::SignedDuration::from_secs(i64::from(opts.days) * 86_400 - 1);
            serve(&config, addr, end)
        }
        None => {
            println!(
                "{:<21}jempol demo --serve",
                match opts.lang {
                    Lang::Id => "Dasbor web:",
                    Lang::En => "Web dashboard:",
                }
            );
            Ok(())
        }
    }
}

/// `jempol serve` on the demo's database, with a key of its own and a coordinator.
fn serve(
    config: &std::path::Path,
    addr: std::net::SocketAddr,
    end: jiff::Timestamp,
) -> anyhow::Result<()> {
    use std::sync::Arc;
    let mut config = crate::config::Config::load(config)?;
    config.consent.public_url = Some(format!("http://{addr}"));
    // The key from the environment when set (links made elsewhere then open here).
    let key = std::env::var(&config.consent.secret_key_env)
        .unwrap_or_else(|_| crate::consent::Vault::new_key_hex());
    let secrets = crate::config::Secrets::default().with(&config.consent.secret_key_env, key);
    let store = crate::store::Store::open(&config.database)?;
    // The week ends with the morning after its last day: the latest observation then.
    let latest: Option<i64> = store
        .connection()
        .query_row("SELECT max(taken_at) FROM post_snapshots", [], |r| r.get(0))
        .ok()
        .flatten();
    let end = latest
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or(end, |t| t.max(end));
    let password = crate::web::auth::new_token()[..16].to_string();
    store.add_coordinator(
        "demo",
        &crate::web::auth::hash_password(&password),
        end.as_second(),
    )?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        super::poll::on_signals(tx);
        let writer = crate::store::Writer::start(store, config.wal_limit, rx.clone())?;
        let web = crate::web::Web::new(
            &config,
            &secrets,
            writer,
            Arc::new(crate::time::FixedClock(end)),
            rx.clone(),
        )?;
        crate::web::serve(web, addr, rx, |addr| {
            println!();
            println!("Dashboard: http://{addr}/masuk   user: demo   password: {password}");
            println!("(Ctrl-C stops it)");
        })
        .await?;
        anyhow::Ok(())
    })
}

/// The widest line the demo's final report takes (a terminal of 100 columns).
const DEMO_WIDTH: usize = 100;

/// The demo's own words, in the report's language.
struct Words {
    businesses: &'static str,
    simulated_days: &'static str,
    done_in: &'static str,
    day: &'static str,
    days: &'static str,
    posts_tracked: &'static str,
    with: &'static str,
    requests: &'static str,
    database: &'static str,
    config: &'static str,
    reports: &'static str,
    files: &'static str,
    dashboard: &'static str,
    query: &'static str,
    another: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            businesses: "businesses",
            simulated_days: "simulated days",
            done_in: "Done in",
            day: "simulated day of the campaign",
            days: "simulated days of the campaign",
            posts_tracked: "posts tracked",
            with: "with",
            requests: "API requests to the simulator",
            database: "database",
            config: "config",
            reports: "reports",
            files: "files",
            dashboard: "Open the dashboard:",
            query: "Or query it:",
            another: "Another report:",
        },
        Lang::Id => &Words {
            businesses: "usaha",
            simulated_days: "hari tersimulasi",
            done_in: "Selesai dalam",
            day: "hari kampanye tersimulasi",
            days: "hari kampanye tersimulasi",
            posts_tracked: "unggahan dipantau",
            with: "dengan",
            requests: "permintaan API ke simulator",
            database: "basis data",
            config: "konfigurasi",
            reports: "laporan",
            files: "berkas",
            dashboard: "Buka dasbor:",
            query: "Atau kueri:",
            another: "Laporan lain:",
        },
    }
}
