//! The reports the daemon writes: yesterday's report in every configured format, once
//! the configured time of day has passed, and after a Sunday's or a month's last day
//! also the week's and the month's; each with a short summary to Telegram and the
//! webhook. Nothing here can stop polling: failures are logged and retried on the next
//! cycle.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::config::{Config, Reports, Telegram};
use crate::report::labels::{Lang, change_percent, delta, long_date, maybe, number};
use crate::report::{Format, render};
use crate::report::{Report, Request, compute};
use crate::store::{PushRecord, Store, StoreError, Writer};

/// Why a daily report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DailyError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a scheduled report covers: a day, a Monday-to-Sunday week or a calendar month
/// (days in the campaign time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day(Date),
    /// The week starting on this Monday.
    Week(Date),
    /// The month starting on this first day.
    Month(Date),
}

impl Period {
    /// The period of `kind` (`day`, `week`, `month`) that holds `day`.
    pub fn holding(kind: &str, day: Date) -> Option<Period> {
        match kind {
            "day" => Some(Period::Day(day)),
            "week" => {
                let back = i64::from(day.weekday().to_monday_zero_offset());
                day.checked_sub(jiff::Span::new().days(back))
                    .ok()
                    .map(Period::Week)
            }
            "month" => Some(Period::Month(day.first_of_month())),
            _ => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Period::Day(_) => "day",
            Period::Week(_) => "week",
            Period::Month(_) => "month",
        }
    }

    /// Its first and last day.
    pub fn days(self) -> (Date, Date) {
        match self {
            Period::Day(d) => (d, d),
            Period::Week(monday) => (
                monday,
                monday
                    .checked_add(jiff::Span::new().days(6))
                    .unwrap_or(monday),
            ),
            Period::Month(first) => (first, first.last_of_month()),
        }
    }

    /// Its files' name: `2026-11-20`, `2026-W47` (ISO week), `2026-11`.
    pub fn name(self) -> String {
        match self {
            Period::Day(d) => d.to_string(),
            Period::Week(monday) => {
                let w = monday.iso_week_date();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month(first) => format!("{:04}-{:02}", first.year(), first.month()),
        }
    }

    /// The reports due once `day`'s daily report is: that day's; the week that ended on
    /// it or last (when `weekly`); the month that ended on it or last (when `monthly`).
    pub fn due_with(day: Date, weekly: bool, monthly: bool) -> Vec<Period> {
        let mut due = vec![Period::Day(day)];
        let before = |n: i64| day.checked_sub(jiff::Span::new().days(n)).ok();
        if weekly {
            // The last Sunday on or before `day`.
            let back = (i64::from(day.weekday().to_monday_zero_offset()) + 1) % 7;
            if let Some(sunday) = before(back) {
                due.extend(Period::holding("week", sunday));
            }
        }
        if monthly {
            let last = if day == day.last_of_month() {
                Some(day)
            } else {
                day.first_of_month().yesterday().ok()
            };
            due.extend(last.map(|d| Period::Month(d.first_of_month())));
        }
        due
    }
}

/// A report request for `from..=to` with the campaign's details.
pub fn request(config: &Config, from: Date, to: Date) -> Request {
    Request {
        campaign: config.campaign.name.clone(),
        hashtags: config
            .campaign
            .hashtags
            .iter()
            .map(|h| h.as_str().to_string())
            .collect(),
        timezone: config.campaign.timezone_name.clone(),
        from,
        to,
        platform: None,
        trend_days: 14,
        scope: crate::report::compute::Scope::Campaign,
    }
}

/// Writes `contents` to `path` through a temporary file, so a reader never sees half a
/// report; the file is readable by owner and group only (0640).
pub fn write_private(path: &Path, contents: &str) -> Result<(), DailyError> {
    let err = |source| DailyError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o640);
        }
        let mut f = options.open(&tmp).map_err(err)?;
        f.write_all(contents.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

/// The files of one period's report in `dir`.
pub fn paths(dir: &Path, period: Period, formats: &[Format]) -> Vec<PathBuf> {
    let name = period.name();
    formats
        .iter()
        .map(|f| dir.join(format!("{name}.{}", f.extension())))
        .collect()
}

/// Writes one day's report in every format; returns the report and the files. `store`
/// is a writer: it records what the report told.
pub fn write_day(
    store: &Store,
    config: &Config,
    day: Date,
) -> Result<(Report, Vec<PathBuf>), DailyError> {
    write_recording(store, config, Period::Day(day), |date, engagement, at| {
        store.record_reported_day(date, engagement, at)
    })
}

/// Writes one period's report reading `store` (which may be read-only); a day's report
/// keeps what it told (its day, engagement, and when) through `record`, before any file
/// is written.
fn write_recording(
    store: &Store,
    config: &Config,
    period: Period,
    record: impl FnOnce(&str, Option<i64>, i64) -> Result<(), StoreError>,
) -> Result<(Report, Vec<PathBuf>), DailyError> {
    let (from, to) = period.days();
    let report = compute(store, &request(config, from, to))?;
    // What coordinators are told of the day, to name it later if it moves.
    if let Period::Day(_) = period {
        let now = jiff::Timestamp::now().as_second();
        record(&report.date, report.totals.engagement, now)?;
    }
    let r = &config.reports;
    let files = paths(&r.directory, period, &r.formats);
    for (format, path) in r.formats.iter().zip(&files) {
        let top = match format {
            Format::Csv | Format::Json => None,
            _ => Some(r.top),
        };
        write_private(path, &render(&report, *format, r.lang, top))?;
    }
    let dir = r.directory.display();
    let name = period.name();
    tracing::info!(period = %name, kind = period.kind(), files = files.len(), dir = %dir, "report written");
    Ok((report, files))
}

/// A few lines for a chat: the day's engagement, activity and top three businesses.
pub fn summary_text(r: &Report, lang: Lang) -> String {
    let l = lang.labels();
    let t = &r.totals;
    let change = t.engagement.zip(r.previous.engagement).map(|(a, b)| a - b);
    let campaign = crate::report::neutral::terminal(&r.campaign);
    let period = if r.is_one_day() {
        long_date(&r.date, lang)
    } else {
        format!("{} – {}", long_date(&r.from, lang), long_date(&r.to, lang))
    };
    let mut s = format!("{} — {campaign}\n{period}\n", l.title);
    s.push_str(&format!(
        "{}: {} ({}, {})\n{}: {}\n{}: {}\n{}: {}\n",
        l.engagement,
        maybe(t.engagement, lang),
        delta(change, lang),
        change_percent(t.engagement, r.previous.engagement, lang),
        l.views,
        maybe(t.gains.views, lang),
        l.posts_published,
        number(t.posts_published, lang),
        l.businesses_active,
        number(t.businesses_active as i64, lang),
    ));
    for b in r.businesses.iter().take(3) {
        s.push_str(&format!(
            "{}. {} — {} {}\n",
            b.rank,
            crate::report::neutral::terminal(&b.name),
            maybe(b.engagement, lang),
            l.engagement.to_lowercase()
        ));
    }
    // Who to call: the first few that went quiet, and how many.
    if !r.gone_quiet.is_empty() {
        let names: Vec<String> = r
            .gone_quiet
            .iter()
            .take(3)
            .map(|q| crate::report::neutral::terminal(&q.business.name))
            .collect();
        let more = r.gone_quiet.len().saturating_sub(names.len());
        s.push_str(&format!(
            "{} ({}): {}{}\n",
            l.gone_quiet_short,
            r.gone_quiet.len(),
            names.join(", "),
            if more > 0 {
                format!(" … +{more}")
            } else {
                String::new()
            }
        ));
    }
    s
}

/// The HTTP client for the Bot API: 20 s timeout, and no redirect followed (the token
/// is in the path; a redirect is an error, see [`send_telegram`]).
pub fn telegram_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("jempol/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a push (Telegram, the webhook) failed, and whether sending again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PushError {
    /// Cleaned, cut and without the token: fit for the log.
    pub message: String,
    pub retry: Retry,
}

/// Whether a failed send is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The request itself is refused (a wrong token, a chat the bot may not write).
    Never,
    /// The server or the network failed: again after a backoff.
    Later,
    /// Telegram asked to wait this long (429 with `parameters.retry_after`).
    After(Duration),
}

impl PushError {
    fn never(message: String) -> PushError {
        PushError {
            message,
            retry: Retry::Never,
        }
    }
}

/// How often and how patiently a summary is sent again.
#[derive(Debug, Clone, Copy)]
pub struct PushRetry {
    pub attempts: u32,
    /// The first backoff after a server or network failure; doubled each time.
    pub base: Duration,
    /// A `retry_after` longer than this is not waited for (the summary is dropped and
    /// the report files are there regardless).
    pub max_retry_after: Duration,
}

impl Default for PushRetry {
    fn default() -> PushRetry {
        PushRetry {
            attempts: 4,
            base: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Sends `text` to the configured chat, again as [`with_retries`] says.
pub async fn push_telegram(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    text: &str,
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("Telegram", policy, async || {
        send_telegram(client, telegram, token, text).await
    })
    .await
}

/// Runs `send` until it succeeds: again after a 429 (waiting as long as the receiver
/// asks) or a server or network failure (with a doubling backoff), never after a
/// refusal, and at most `policy.attempts` times.
async fn with_retries(
    to: &str,
    policy: PushRetry,
    mut send: impl AsyncFnMut() -> Result<(), PushError>,
) -> Result<(), PushError> {
    let mut backoff = policy.base;
    let mut attempt = 1;
    loop {
        let err = match send().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let wait = match err.retry {
            Retry::Never => return Err(err),
            Retry::After(d) if d > policy.max_retry_after => {
                return Err(PushError::never(format!(
                    "{}; {to} asks to wait {} s, longer than jempol waits",
                    err.message,
                    d.as_secs()
                )));
            }
            Retry::After(d) => d,
            Retry::Later => {
                let d = backoff;
                backoff *= 2;
                d
            }
        };
        if attempt >= policy.attempts {
            return Err(PushError::never(format!(
                "{} (after {attempt} attempts)",
                err.message
            )));
        }
        tracing::info!(to, error = %err, wait_s = wait.as_secs_f64(), attempt, "summary not sent yet; trying again");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// One `sendMessage` (Bot API): `ok: true`, or why not. Errors never contain the token.
pub async fn send_telegram(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    text: &str,
) -> Result<(), PushError> {
    let body = serde_json::json!({ "chat_id": telegram.chat_id, "text": text });
    bot_call(client, telegram, token, "sendMessage", |r| r.json(&body)).await
}

/// One `sendDocument`: the file `name` with `contents` and a caption, as
/// `multipart/form-data` (the Bot API's way to upload a file).
pub async fn send_telegram_document(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    (name, contents): (&str, &str),
    caption: &str,
) -> Result<(), PushError> {
    let file = reqwest::multipart::Part::text(contents.to_string())
        .file_name(name.to_string())
        .mime_str("text/html; charset=utf-8")
        .map_err(|e| PushError::never(e.without_url().to_string()))?;
    let form = reqwest::multipart::Form::new()
        .text("chat_id", telegram.chat_id.clone())
        .text("caption", caption.to_string())
        .part("document", file);
    bot_call(client, telegram, token, "sendDocument", |r| {
        r.multipart(form)
    })
    .await
}

/// Sends the HTML report as a file to the configured chat, again as [`with_retries`] says.
pub async fn push_telegram_document(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    file: (&str, &str),
    caption: &str,
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("Telegram", policy, async || {
        send_telegram_document(client, telegram, token, file, caption).await
    })
    .await
}

/// One Bot API call: `method` with the body `build` puts on the request; `ok: true`, or
/// why not, and whether to try again. Errors never contain the token.
async fn bot_call(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    method: &str,
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<(), PushError> {
    use crate::platform::http::{Body, network_error, read_capped, redact, redirected};
    // The Bot API answers in a few hundred bytes.
    const ANSWER_MAX: usize = 64 << 10;
    let url = format!("{}/bot{token}/{method}", telegram.base_url);
    let secrets = [token.to_string()];
    let resp = build(client.post(&url))
        .send()
        .await
        .map_err(|e| PushError {
            message: redact(&network_error(e), &secrets),
            retry: Retry::Later,
        })?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(PushError::never(redact(
            &redirected(resp.headers(), status),
            &secrets,
        )));
    }
    let server_failed = if status.is_server_error() {
        Retry::Later
    } else {
        Retry::Never
    };
    let body = match read_capped(resp, ANSWER_MAX).await {
        Ok(body) => body,
        Err(Body::TooLarge) => {
            return Err(PushError {
                message: format!("HTTP {status}: an answer over {} KiB", ANSWER_MAX >> 10),
                retry: server_failed,
            });
        }
        Err(Body::Broken(e)) => {
            return Err(PushError {
                message: redact(&format!("HTTP {status}: {}", e.without_url()), &secrets),
                retry: Retry::Later,
            });
        }
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return Err(PushError {
            message: format!("HTTP {status}: the answer is not JSON"),
            retry: server_failed,
        });
    };
    if body.get("ok").and_then(|v| v.as_bool()) == Some(true) {
        return Ok(());
    }
    let why = body
        .get("description")
        .and_then(|v| v.as_str())
        .unwrap_or("no description");
    // The server's words reach the log: cleaned, cut, and without the token.
    let why: String = crate::report::neutral::terminal(why)
        .chars()
        .take(300)
        .collect();
    let retry = if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        // ResponseParameters.retry_after: seconds to wait before the next request.
        let after = body["parameters"]["retry_after"].as_u64().unwrap_or(1);
        Retry::After(Duration::from_secs(after.clamp(1, 86_400)))
    } else {
        server_failed
    };
    Err(PushError {
        message: redact(&format!("HTTP {status}: {why}"), &secrets),
        retry,
    })
}

/// A child process that writes the report: `jempol daily-report --day D`. The report over
/// every business needs about 110 MB for a second at 45,000 businesses; in a child, that
/// memory is the operating system's again when it exits, and the daemon's own peak stays
/// what polling needs.
#[derive(Debug, Clone)]
pub struct ChildProcess {
    /// The jempol binary: see [`ChildProcess::this_binary`].
    pub exe: PathBuf,
    /// The daemon's config file, read again by the child.
    pub config: PathBuf,
    /// Global options before the subcommand (`--log-format json`, `-v`).
    pub args: Vec<String>,
}

impl ChildProcess {
    /// The running binary itself. On Linux `/proc/self/exe`: after a package upgrade
    /// replaced the file, the daemon still starts its own version, never a newer one
    /// that might migrate the database under it.
    pub fn this_binary(config: &Path, args: Vec<String>) -> std::io::Result<ChildProcess> {
        let exe = if cfg!(target_os = "linux") {
            PathBuf::from("/proc/self/exe")
        } else {
            std::env::current_exe()?
        };
        Ok(ChildProcess {
            exe,
            config: config.to_path_buf(),
            args,
        })
    }
}

/// The daemon's daily report job.
pub struct DailyJob {
    config: Config,
    tz: TimeZone,
    client: reqwest::Client,
    /// The Telegram bot token, when configured and set.
    token: Option<String>,
    /// The webhook's signing secret, when configured and set.
    webhook_secret: Option<String>,
    /// Where the report is written: here when `None`.
    child: Option<ChildProcess>,
    push_retry: PushRetry,
}

impl DailyJob {
    /// `None` when reports are disabled in the config. The Telegram token, if any, comes
    /// from `secrets` (read from the environment by [`Config::secrets`]).
    pub fn new(config: &Config, secrets: &crate::config::Secrets) -> Option<DailyJob> {
        let r: &Reports = &config.reports;
        if !r.enabled || r.formats.is_empty() {
            return None;
        }
        let client = telegram_client().ok()?;
        let token = r
            .telegram
            .as_ref()
            .and_then(|t| secrets.get(&t.bot_token_env))
            .map(|s| s.expose().to_string());
        let webhook_secret = r
            .webhook
            .as_ref()
            .and_then(|w| secrets.get(&w.secret_env))
            .map(|s| s.expose().to_string());
        Some(DailyJob {
            tz: config.campaign.timezone.clone(),
            config: config.clone(),
            client,
            token,
            webhook_secret,
            child: None,
            push_retry: PushRetry::default(),
        })
    }

    /// Sends the summaries again as `policy` says (tests shorten the waits).
    pub fn with_push_retry(mut self, policy: PushRetry) -> DailyJob {
        self.push_retry = policy;
        self
    }

    /// Writes each report in a child process from now on (what `jempol run` does).
    pub fn in_child_process(&mut self, child: ChildProcess) {
        self.child = Some(child);
    }

    /// The day whose report is due at `now`: yesterday once the configured time has
    /// passed, else the day before.
    pub fn due_day(&self, now: jiff::Timestamp) -> Option<Date> {
        let local = now.to_zoned(self.tz.clone());
        let back = if local.time() >= self.config.reports.at {
            1
        } else {
            2
        };
        local.date().checked_sub(jiff::Span::new().days(back)).ok()
    }

    /// Writes the due reports that are not written yet and have data (yesterday's, and
    /// the week's or month's that ended then, as configured), then announces each.
    /// Returns the files written.
    ///
    /// A report reads the database through a read-only connection of its own, beside
    /// `writer`, which records what it told.
    pub async fn tick(&self, writer: &Writer, now: jiff::Timestamp) -> Vec<PathBuf> {
        let Some(day) = self.due_day(now) else {
            return Vec::new();
        };
        let r = &self.config.reports;
        let mut files = Vec::new();
        for period in Period::due_with(day, r.weekly, r.monthly) {
            if paths(&r.directory, period, &r.formats)
                .iter()
                .all(|p| p.exists())
            {
                continue;
            }
            if !self.has_data(writer, period).await {
                continue;
            }
            let written = match &self.child {
                Some(child) => match self.run_child(child, period).await {
                    Err(ChildError::Start(e)) => {
                        tracing::warn!(exe = %child.exe.display(), error = %e, "cannot start the report process; writing the report in the daemon");
                        self.here(writer, period).await
                    }
                    other => other.map_err(|e| e.to_string()),
                },
                None => self.here(writer, period).await,
            };
            match written {
                Ok(written) => files.extend(written),
                Err(e) => {
                    let name = period.name();
                    tracing::warn!(period = %name, error = %e, "report not written; retrying next cycle");
                }
            }
        }
        files
    }

    /// Whether anything was observed by the end of `period`'s last day.
    async fn has_data(&self, writer: &Writer, period: Period) -> bool {
        let end = period
            .days()
            .1
            .tomorrow()
            .ok()
            .and_then(|d| d.to_zoned(self.tz.clone()).ok())
            .map(|z| z.timestamp().as_second());
        let db = writer.path().to_path_buf();
        let first =
            tokio::task::spawn_blocking(move || Store::open_read_only(&db)?.first_observation())
                .await
                .unwrap_or_else(|e| Err(StoreError::Thread(e.to_string())));
        match (first, end) {
            (Ok(Some(first)), Some(end)) => first < end,
            (Err(e), _) => {
                tracing::warn!(error = %e, "report skipped: cannot read the database");
                false
            }
            _ => false, // nothing observed by that day's end
        }
    }

    /// Writes and announces the report in this process.
    async fn here(&self, writer: &Writer, period: Period) -> Result<Vec<PathBuf>, String> {
        let (config, recorder) = (self.config.clone(), writer.clone());
        // Read through a read-only connection; what it told is recorded by the writer.
        let written = tokio::task::spawn_blocking(move || {
            let store = Store::open_read_only(recorder.path())?;
            store.require_latest_schema()?;
            write_recording(&store, &config, period, |date, engagement, at| {
                let date = date.to_string();
                recorder.run_blocking(move |s| s.record_reported_day(&date, engagement, at))
            })
        })
        .await
        .map_err(|e| e.to_string())?;
        let (report, files) = written.map_err(|e| e.to_string())?;
        let pushes = self.announce(&report, period).await;
        if !pushes.is_empty() {
            let _ = writer
                .run(move |s| pushes.iter().try_for_each(|p| s.record_push(p)))
                .await;
        }
        Ok(files)
    }

    /// Writes one period's report in every configured format and logs it (what the child
    /// process runs, and the daemon when it has no child). `store` is a writer.
    pub fn write(
        &self,
        store: &Store,
        period: Period,
    ) -> Result<(Report, Vec<PathBuf>), DailyError> {
        write_recording(store, &self.config, period, |date, engagement, at| {
            store.record_reported_day(date, engagement, at)
        })
    }

    /// `jempol daily-report --day D` with the daemon's config, logging and Telegram token
    /// (in the child's environment, never on its command line; the platforms' tokens are
    /// taken out of it).
    async fn run_child(
        &self,
        child: &ChildProcess,
        period: Period,
    ) -> Result<Vec<PathBuf>, ChildError> {
        // Killed if the daemon stops meanwhile (the report is written again next time).
        let mut command = tokio::process::Command::new(&child.exe);
        command.kill_on_drop(true);
        command
            .arg("--config")
            .arg(&child.config)
            .args(&child.args)
            .args(["daily-report", "--day", &period.days().0.to_string()])
            .args(["--period", period.kind()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null());
        // The report needs no platform credential: the child does not get them.
        for platform in &self.config.platforms {
            for (_, var) in &platform.secret_envs {
                command.env_remove(var);
            }
        }
        if let (Some(tg), Some(token)) = (&self.config.reports.telegram, &self.token) {
            command.env(&tg.bot_token_env, token);
        }
        if let (Some(w), Some(secret)) = (&self.config.reports.webhook, &self.webhook_secret) {
            command.env(&w.secret_env, secret);
        }
        let status = command
            .spawn()
            .map_err(ChildError::Start)?
            .wait()
            .await
            .map_err(ChildError::Start)?;
        if !status.success() {
            return Err(ChildError::Failed(status));
        }
        let r = &self.config.reports;
        Ok(paths(&r.directory, period, &r.formats)
            .into_iter()
            .filter(|p| p.exists())
            .collect())
    }

    /// Sends the report's summary to Telegram (with a link to the HTML report, or the
    /// report as a file) and posts it to the webhook, as configured; a failure is only
    /// logged. Returns how each push went, for `status`.
    pub async fn announce(&self, report: &Report, period: Period) -> Vec<PushRecord> {
        let mut pushes = Vec::new();
        let mut record = |channel: &str, result: Result<(), String>| {
            pushes.push(PushRecord {
                channel: channel.to_string(),
                day: period_label(report),
                ok: result.is_ok(),
                message: result.err(),
                at: jiff::Timestamp::now().as_second(),
            })
        };
        if let Some(result) = self.post_webhook(report).await {
            record("webhook", result);
        }
        let Some(tg) = &self.config.reports.telegram else {
            return pushes;
        };
        let Some(token) = &self.token else {
            tracing::warn!(var = %tg.bot_token_env, "Telegram summary not sent: the bot token variable is not set");
            record("telegram", Err(format!("{} is not set", tg.bot_token_env)));
            return pushes;
        };
        let r = &self.config.reports;
        let html = r.formats.contains(&Format::Html);
        let file = format!("{}.html", period.name());
        let mut text = summary_text(report, r.lang);
        if let (Some(base), true) = (&r.public_url, html) {
            text.push_str(&format!("{}: {base}/{file}\n", r.lang.labels().full_report));
        }
        let sent = push_telegram(&self.client, tg, token, &text, self.push_retry).await;
        match &sent {
            Ok(()) => tracing::info!(chat = %tg.chat_id, "summary sent to Telegram"),
            Err(e) => tracing::warn!(error = %e, "Telegram summary failed (polling goes on)"),
        }
        let summary_sent = sent.is_ok();
        record("telegram", sent.map_err(|e| e.to_string()));
        // No address to link to: the page itself, to open or forward from the chat (after
        // its summary; a chat that refused the summary is not sent the page).
        if summary_sent && tg.document && html && r.public_url.is_none() {
            let page = render(report, Format::Html, r.lang, Some(r.top));
            let caption = text.lines().take(2).collect::<Vec<_>>().join("\n");
            let sent = push_telegram_document(
                &self.client,
                tg,
                token,
                (&file, &page),
                &caption,
                self.push_retry,
            )
            .await;
            match &sent {
                Ok(()) => {
                    tracing::info!(chat = %tg.chat_id, file = %file, "HTML report sent to Telegram")
                }
                Err(e) => tracing::warn!(error = %e, "Telegram document failed (polling goes on)"),
            }
            record("telegram-document", sent.map_err(|e| e.to_string()));
        }
        pushes
    }

    async fn post_webhook(&self, report: &Report) -> Option<Result<(), String>> {
        let hook = self.config.reports.webhook.as_ref()?;
        let Some(secret) = &self.webhook_secret else {
            tracing::warn!(var = %hook.secret_env, "webhook summary not posted: the signing secret variable is not set");
            return Some(Err(format!("{} is not set", hook.secret_env)));
        };
        let body = webhook_body(report, jiff::Timestamp::now());
        let sent = push_webhook(&self.client, hook, secret, &body, self.push_retry).await;
        match &sent {
            Ok(()) => {
                tracing::info!(url = %redact_url(&hook.url), "daily summary posted to the webhook")
            }
            Err(e) => tracing::warn!(error = %e, "webhook summary failed (polling goes on)"),
        }
        Some(sent.map_err(|e| e.to_string()))
    }
}

/// What a push record names: the day, or `from..to`.
fn period_label(r: &Report) -> String {
    if r.is_one_day() {
        r.date.clone()
    } else {
        format!("{}..{}", r.from, r.to)
    }
}

/// The header that carries the webhook body's signature: `sha256=` and the hex HMAC-SHA256
/// of the raw body under the shared secret (check it before trusting the body).
pub const SIGNATURE_HEADER: &str = "X-Jempol-Signature-256";

/// `sha256=<hex>`: HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The JSON a webhook receives for a daily report: the day's totals and the ones before,
/// the top three, and the lists' counts (the full report is in the files).
pub fn webhook_body(r: &Report, sent_at: jiff::Timestamp) -> Vec<u8> {
    let days = r
        .from
        .parse::<Date>()
        .ok()
        .zip(r.to.parse::<Date>().ok())
        .map_or(1, |(a, b)| (b - a).get_days() + 1);
    let top: Vec<serde_json::Value> = r
        .businesses
        .iter()
        .take(3)
        .map(|b| serde_json::json!({"rank": b.rank, "key": b.key, "name": b.name, "engagement": b.engagement}))
        .collect();
    let body = serde_json::json!({
        "event": match (days, r.is_one_day()) {
            (_, true) => "daily_report",
            (7, _) => "weekly_report",
            _ => "monthly_report",
        },
        "campaign": r.campaign,
        "date": r.date,
        "from": r.from,
        "to": r.to,
        "provisional": r.provisional,
        "totals": r.totals,
        "previous": r.previous,
        "top": top,
        "gone_quiet": r.gone_quiet.len(),
        "not_posted_yet": r.not_posted_yet.len(),
        "registered_businesses": r.registered_businesses,
        "sent_at": sent_at.to_string(),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A URL for the log: scheme, host and path, without query or user info.
fn redact_url(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.path()
            )
        })
        .unwrap_or_default()
}

/// POSTs `body` to the webhook with its signature, again as [`with_retries`] says.
pub async fn push_webhook(
    client: &reqwest::Client,
    hook: &crate::config::Webhook,
    secret: &str,
    body: &[u8],
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("the webhook", policy, async || {
        send_webhook(client, hook, secret, body).await
    })
    .await
}

/// One signed POST: a 2xx, or why not (a 429 or 5xx may be tried again).
async fn send_webhook(
    client: &reqwest::Client,
    hook: &crate::config::Webhook,
    secret: &str,
    body: &[u8],
) -> Result<(), PushError> {
    let sent = client
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secret, body))
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => {
            let status = resp.status();
            let retry = if status.is_server_error() || status.as_u16() == 429 {
                Retry::Later
            } else {
                Retry::Never
            };
            Err(PushError {
                message: format!("webhook answered HTTP {status}"),
                retry,
            })
        }
        Err(e) => Err(PushError {
            message: crate::platform::http::redact(
                &crate::platform::http::network_error(e),
                &[secret.to_string()],
            ),
            retry: Retry::Later,
        }),
    }
}

/// Why the report process did not write the report.
#[derive(Debug, thiserror::Error)]
enum ChildError {
    #[error("cannot start the report process: {0}")]
    Start(std::io::Error),
    #[error("the report process failed ({0}); its error is in the log above")]
    Failed(std::process::ExitStatus),
}

#[cfg(test)]
mod tests {
    use super::Period;

    fn names(day: &str, weekly: bool, monthly: bool) -> Vec<String> {
        Period::due_with(day.parse().unwrap(), weekly, monthly)
            .into_iter()
            .map(Period::name)
            .collect()
    }

    #[test]
    fn a_week_is_due_with_its_sunday_and_a_month_with_its_last_day() {
        // Sunday 22 November 2026 closes ISO week 47 (Monday 16th to Sunday 22nd).
        assert_eq!(names("2026-11-22", true, false), ["2026-11-22", "2026-W47"]);
        // On a weekday the last whole week is the one due (written already, as a rule).
        assert_eq!(names("2026-11-25", true, false), ["2026-11-25", "2026-W47"]);
        assert_eq!(
            names("2026-11-30", true, true),
            ["2026-11-30", "2026-W48", "2026-11"]
        );
        assert_eq!(names("2026-12-01", false, true), ["2026-12-01", "2026-11"]);
        assert_eq!(names("2026-12-01", false, false), ["2026-12-01"]);
        // The ISO week of a year's first days may be the last year's.
        let week = Period::holding("week", "2027-01-01".parse().unwrap()).unwrap();
        assert_eq!(week.name(), "2026-W53");
        assert_eq!(week.days().0.to_string(), "2026-12-28");
        assert_eq!(
            Period::holding("month", "2028-02-10".parse().unwrap())
                .unwrap()
                .days()
                .1
                .to_string(),
            "2028-02-29"
        );
    }

    #[test]
    fn the_webhook_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
