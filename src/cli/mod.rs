//! The command line: clap definitions, dispatch, and the mapping of errors to exit codes
//! (0 ok, 1 runtime failure, 2 bad usage or invalid input). `main.rs` only calls [`main`].

mod businesses;
mod config_cmd;
mod db;
mod demo;
mod output;
mod poll;
mod report;
mod serve;
mod sim;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigError};
use crate::registry::RegistryError;
use crate::store::Store;

pub use businesses::ImportRejected;

const ABOUT: &str = "jempol tracks the likes, comments, shares, views and followers that a \
hashtag campaign (such as Padang's #UMKMKotaPadangMajuBersama) brings to registered small \
businesses on Instagram, Facebook, TikTok and YouTube, and keeps them in one SQLite file.";

const AFTER_HELP: &str = "\
Getting started:
  jempol config init                                 # config/jempol.toml; then edit it
  jempol config check                                # validate; secrets shown as ***
  jempol businesses import umkm.csv                  # the registry of coached businesses
  jempol businesses list --format csv

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid input (config, CSV).
The config file is --config FILE, else $JEMPOL_CONFIG, else config/jempol.toml.";

/// Command-line interface of jempol.
#[derive(Debug, Parser)]
#[command(name = "jempol", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Config file (TOML). Relative paths inside it are relative to its folder.
    #[arg(long, short = 'c', global = true, env = "JEMPOL_CONFIG", default_value = crate::config::DEFAULT_PATH)]
    pub config: PathBuf,

    /// Log format on stderr: `text` for people, `json` for log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// More log detail (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate and show the config.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The registry of businesses (UMKM) the campaign coaches.
    #[command(subcommand)]
    Businesses(BusinessesCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// The coordinators who sign in to the dashboard (`jempol serve`), and API tokens.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// One polling cycle (discovery + due refreshes) for every enabled platform, then
    /// exit: 0 when all succeeded, 1 when one failed. For cron.
    #[command(
        after_help = "Examples:\n  jempol poll --once\n  jempol poll --once --platform youtube --format json"
    )]
    Poll {
        /// Run one cycle and exit (the only mode; `jempol run` is the daemon).
        #[arg(long, required = true)]
        once: bool,
        /// Only this platform.
        #[arg(long)]
        platform: Option<crate::platform::Platform>,
        /// `json` prints the per-platform results on stdout.
        #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
        format: StatusFormat,
    },
    /// The polling daemon: a cycle at once, then on the schedule, until SIGINT/SIGTERM
    /// (which finish the current transaction and exit 0). One writer per database.
    /// Writes yesterday's report once `[reports] time` has passed, in a short-lived
    /// process of its own.
    Run,
    /// Per platform: last success and error, quota used and left, posts tracked, next
    /// poll; database size and schema version.
    Status {
        #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
        format: StatusFormat,
    },
    /// Per-business engagement summary of a day or period: totals with the change from
    /// the period before, leaderboard, top posts, new participants, businesses that have
    /// not posted, accounts outside the registry [default: yesterday, as a table].
    Report(Box<report::ReportArgs>),
    /// One scheduled report (a day's, week's or month's) in every configured format, plus
    /// its pushes: what `jempol run` starts at the report time, so its memory goes when
    /// it exits.
    #[command(hide = true)]
    DailyReport {
        /// A day (YYYY-MM-DD, campaign time zone) of the period.
        #[arg(long)]
        day: String,
        /// `day`, `week` (Monday to Sunday) or `month`.
        #[arg(long, value_enum, default_value_t = crate::daily::PeriodKind::Day)]
        period: crate::daily::PeriodKind,
    },
    /// The web face: the coordinators' dashboard (sign in at /masuk with an account from
    /// `jempol users add`; JSON at /api/v1), and the pages where businesses open their
    /// personal link (`businesses links`) to see their figures and connect their own
    /// TikTok, Facebook Page and Instagram account with their consent. Listens on `[consent]
    /// listen` (127.0.0.1:8080) for a TLS reverse proxy at `[consent] public_url`; runs
    /// beside `jempol run` (it writes only the consent tables). Needs the key in
    /// $JEMPOL_SECRET_KEY (`jempol config new-key`). Stops on SIGINT/SIGTERM.
    #[command(
        after_help = "Examples:\n  jempol serve\n  jempol serve --listen 0.0.0.0:8080   # inside a container, behind the proxy"
    )]
    Serve {
        /// Listen here instead of `[consent] listen`.
        #[arg(long, value_name = "HOST:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Run the local simulator of the four platform APIs (for rehearsals and tests).
    Sim(Box<sim::SimArgs>),
    /// See everything work in one command, no tokens: simulator + daemon over a
    /// simulated week + daily reports, in ./jempol-demo.
    Demo(Box<demo::DemoArgs>),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  jempol completions bash > /etc/bash_completion.d/jempol\n  jempol completions zsh > \"${fpath[1]}/_jempol\""
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), generated from this help.
    #[command(after_help = "Example:\n  jempol man > /usr/local/share/man/man1/jempol.1")]
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a fresh random key for $JEMPOL_SECRET_KEY (it seals business tokens and
    /// signs their links: keep it like a password; a new key voids every link and
    /// every stored token).
    #[command(
        after_help = "Example:\n  echo \"JEMPOL_SECRET_KEY=$(jempol config new-key)\" >> /etc/jempol/env"
    )]
    NewKey,
    /// Validate the config, check that every enabled platform's secret is set in the
    /// environment, and print the effective config (defaults filled, secrets as ***).
    ///
    /// Exits 2 and names the file, key and line of the first problem.
    Check,
    /// Write a commented starting config to the config path (`--config`, else
    /// config/jempol.toml): every section, the defaults, the environment variables that
    /// hold the secrets. Refuses to replace a file unless --force.
    #[command(after_help = "Example:\n  jempol --config /etc/jempol/jempol.toml config init")]
    Init {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
        /// Keep the database and the reports in this folder, as absolute paths (for a
        /// service whose config lives in read-only /etc: `--state-dir /var/lib/jempol`).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BusinessesCommand {
    /// Each business's personal link to its connect page (for the coordinators to
    /// send by WhatsApp): signed, it works for `[consent] link_days` days and only for
    /// that business. Needs `[consent] public_url` and $JEMPOL_SECRET_KEY.
    #[command(
        after_help = "Examples:\n  jempol businesses links\n  jempol businesses links --format csv > tautan.csv\n  jempol businesses links --business UMKM-007"
    )]
    Links {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only this business (its registry key).
        #[arg(long, value_name = "KEY")]
        business: Option<String>,
    },
    /// Businesses that must connect again soon: a consent ending within `--days`
    /// (default `[consent] lapse_warning_days`) or one already refused, each with a
    /// fresh link to send. Exits 0 also when the list is empty.
    Reconnect {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[arg(long, value_name = "N")]
        days: Option<u32>,
    },
    /// Import or update businesses from a CSV file (all or nothing by default).
    ///
    /// Header: key,name,category,district,instagram,tiktok,facebook,youtube (only key
    /// and name required). Comma, semicolon or tab separated; UTF-8 with or without BOM.
    /// Handles may be @names, profile URLs, Facebook page ids, YouTube UC… ids or @handles.
    /// Re-importing updates businesses by key; it never duplicates them.
    #[command(
        after_help = "Examples:\n  jempol businesses import umkm.csv\n  jempol businesses import export-excel.csv --skip-invalid\n  jempol businesses import umkm.csv --dry-run"
    )]
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Import the valid rows even if some are invalid (they are still listed).
        #[arg(long)]
        skip_invalid: bool,
        /// Validate only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List registered businesses with their handles.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database or bring it to this jempol's schema version (also done on
    /// every open); prints the versions before and after.
    Migrate,
    /// Run SQLite's integrity and foreign-key checks and show the schema version.
    /// Exits 1 if anything is wrong.
    Check {
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Recompute the day rollups (what reports and views call "gained") from the stored
    /// snapshots, by this jempol's definitions. Upgrades do it on their own; this is for
    /// after restoring a backup or to check. Takes the writer's lock.
    RebuildRollups,
    /// Print Datasette metadata for this database (Datasette keys it by the file's name):
    /// `jempol db datasette-metadata > meta.yml && datasette FILE.db -m meta.yml`.
    DatasetteMetadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// A command that ran but did not succeed, with the exit code it asks for.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failed {
    pub message: String,
    pub code: u8,
}

/// Parses the process arguments, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Commands whose output is piped end quietly when the reader goes (`status | head`);
    // the daemon keeps running if its log reader goes away.
    if !matches!(cli.command, Command::Run) {
        crate::quiet_on_closed_pipe();
    }
    // `poll --once` under cron stays quiet unless something goes wrong.
    // `poll --once` shows a live line on a terminal and stays quiet under cron; the demo
    // shows a progress bar. Their info logs would only interrupt (-v brings them back).
    let quiet = matches!(cli.command, Command::Poll { .. } | Command::Demo(_)) && cli.verbose == 0;
    init_logging(cli.log_format, cli.verbose, quiet);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Config(ConfigCommand::Check) => config_cmd::check(&cli.config),
        Command::Config(ConfigCommand::Init { force, state_dir }) => {
            config_cmd::init(&cli.config, force, state_dir.as_deref())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "jempol", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(())
        }
        Command::Businesses(BusinessesCommand::Import {
            file,
            skip_invalid,
            dry_run,
        }) => businesses::import(&cli.config, &file, skip_invalid, dry_run),
        Command::Businesses(BusinessesCommand::List { format }) => {
            businesses::list(&cli.config, format)
        }
        Command::Businesses(BusinessesCommand::Links { format, business }) => {
            serve::links(&cli.config, format, business.as_deref())
        }
        Command::Businesses(BusinessesCommand::Reconnect { format, days }) => {
            serve::reconnect(&cli.config, format, days)
        }
        Command::Serve { listen } => serve::serve(&cli.config, listen),
        Command::Users(cmd) => users::run(&cli.config, cmd),
        Command::Config(ConfigCommand::NewKey) => {
            println!("{}", crate::consent::Vault::new_key_hex());
            Ok(())
        }
        Command::Db(DbCommand::Migrate) => db::migrate(&cli.config),
        Command::Db(DbCommand::Check { format }) => db::check(&cli.config, format),
        Command::Db(DbCommand::RebuildRollups) => db::rebuild_rollups(&cli.config),
        Command::Db(DbCommand::DatasetteMetadata) => db::datasette_metadata(&cli.config),
        Command::Sim(args) => sim::run(*args),
        Command::Report(args) => report::run(&cli.config, *args),
        Command::Demo(args) => demo::run(*args),
        Command::Poll {
            once: _,
            platform,
            format,
        } => poll::poll_once(
            &cli.config,
            platform,
            format == StatusFormat::Json,
            cli.verbose > 0,
        ),
        Command::Run => {
            // The daily report's process logs like the daemon.
            let mut global = vec![
                "--log-format".to_string(),
                match cli.log_format {
                    LogFormat::Text => "text",
                    LogFormat::Json => "json",
                }
                .to_string(),
            ];
            if cli.verbose > 0 {
                global.push(format!("-{}", "v".repeat(cli.verbose.into())));
            }
            poll::run(&cli.config, global)
        }
        Command::DailyReport { day, period } => report::daily(&cli.config, &day, period),
        Command::Status { format } => poll::status(&cli.config, format),
    }
}

/// 2 for invalid input (config, CSV), the code a [`Failed`] asks for, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<ConfigError>()
            || cause.is::<RegistryError>()
            || cause.is::<ImportRejected>()
            || cause.is::<crate::consent::VaultError>()
            || cause.is::<crate::web::ServeError>()
        {
            return 2;
        }
        if let Some(failed) = cause.downcast_ref::<Failed>() {
            return failed.code;
        }
    }
    1
}

/// Loads the config and opens its database, recording the campaign time zone for views.
fn open_store(config_path: &std::path::Path) -> anyhow::Result<(Config, Store)> {
    let config = Config::load(config_path)?;
    let store = open_writer(&config)?;
    Ok((config, store))
}

/// The database opened for writing, with the config's time zone and settle days stored
/// (which may rebuild the rollups): only after the writer's lock is held, for the daemon.
fn open_writer(config: &Config) -> anyhow::Result<Store> {
    use anyhow::Context;
    let mut store = Store::open(&config.database)
        .with_context(|| format!("opening database {}", config.database.display()))?;
    let (secs, text) = crate::time::offset_now(&config.campaign.timezone, jiff::Timestamp::now());
    if !crate::time::has_fixed_offset(&config.campaign.timezone, jiff::Timestamp::now()) {
        tracing::warn!(
            timezone = %config.campaign.timezone_name,
            "this time zone changes its offset during the year; the database views use today's offset"
        );
    }
    store.set_campaign_timezone(&config.campaign.timezone_name, secs, &text)?;
    store.set_settle_days(config.reports.settle_days)?;
    Ok(store)
}

/// The config and the database opened for reading only (see [`Store::open_read_only`]):
/// for commands that only read, so they work on a file they may not write and never
/// wait for the daemon's write lock.
fn open_reader(config: &Config) -> anyhow::Result<Store> {
    use anyhow::Context;
    let store = Store::open_read_only(&config.database)
        .with_context(|| format!("reading database {}", config.database.display()))?;
    let (secs, _) = crate::time::offset_now(&config.campaign.timezone, jiff::Timestamp::now());
    if store.utc_offset() != secs {
        tracing::warn!(
            timezone = %config.campaign.timezone_name,
            "the database's days are cut at another UTC offset than this config's time zone \
             gives today; they change when the daemon next runs with this config"
        );
    }
    Ok(store)
}

/// [`open_reader`] for commands that need this binary's schema.
fn open_current_reader(config: &Config) -> anyhow::Result<Store> {
    let store = open_reader(config)?;
    store.require_latest_schema()?;
    Ok(store)
}

fn init_logging(format: LogFormat, verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 if quiet => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    // Colours only for a person at a terminal: a log file or the journal gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
