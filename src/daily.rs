//! The reports the daemon writes: yesterday's report in every configured format, once
//! the configured time of day has passed, and after a Sunday's or a month's last day
//! also the week's and the month's; each with a short summary to Telegram and the
//! webhook. Nothing here can stop polling: failures are logged and retried on the next
//! cycle.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::config::{Config, Reports};
use crate::push::{
    PushRetry, push_telegram, push_telegram_document, push_webhook, redact_url, telegram_client,
};
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

/// What kind of period a scheduled report covers (`daily-report --period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeriodKind {
    Day,
    Week,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
        }
    }
}

impl Period {
    /// The period of `kind` that holds `day` (`None` only at the calendar's edge).
    pub fn holding(kind: PeriodKind, day: Date) -> Option<Period> {
        match kind {
            PeriodKind::Day => Some(Period::Day(day)),
            PeriodKind::Week => {
                let back = i64::from(day.weekday().to_monday_zero_offset());
                day.checked_sub(jiff::Span::new().days(back))
                    .ok()
                    .map(Period::Week)
            }
            PeriodKind::Month => Some(Period::Month(day.first_of_month())),
        }
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Day(_) => PeriodKind::Day,
            Period::Week(_) => PeriodKind::Week,
            Period::Month(_) => PeriodKind::Month,
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
                due.extend(Period::holding(PeriodKind::Week, sunday));
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
    record: impl FnOnce(Date, Option<i64>, i64) -> Result<(), StoreError>,
) -> Result<(Report, Vec<PathBuf>), DailyError> {
    let (from, to) = period.days();
    let report = compute(store, &request(config, from, to))?;
    // What coordinators are told of the day, to name it later if it moves.
    if let Period::Day(day) = period {
        let now = jiff::Timestamp::now().as_second();
        record(day, report.totals.engagement, now)?;
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
    tracing::info!(period = %name, kind = period.kind().as_str(), files = files.len(), dir = %dir, "report written");
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
        // When the first post was observed: read once, and only if a report is missing.
        let mut first: Option<Option<i64>> = None;
        for period in Period::due_with(day, r.weekly, r.monthly) {
            if paths(&r.directory, period, &r.formats)
                .iter()
                .all(|p| p.exists())
            {
                continue;
            }
            if first.is_none() {
                first = Some(first_observation(writer).await);
            }
            // Nothing observed by the period's end: nothing to report.
            let end = self.end_of(period);
            if first.flatten().zip(end).is_none_or(|(f, e)| f >= e) {
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

    /// The instant `period`'s last day ends (campaign time zone).
    fn end_of(&self, period: Period) -> Option<i64> {
        period
            .days()
            .1
            .tomorrow()
            .ok()
            .and_then(|d| d.to_zoned(self.tz.clone()).ok())
            .map(|z| z.timestamp().as_second())
    }

    /// Writes and announces the report in this process.
    async fn here(&self, writer: &Writer, period: Period) -> Result<Vec<PathBuf>, String> {
        let (config, recorder) = (self.config.clone(), writer.clone());
        // Read through a read-only connection; what it told is recorded by the writer.
        let written = tokio::task::spawn_blocking(move || {
            let store = Store::open_read_only(recorder.path())?;
            store.require_latest_schema()?;
            write_recording(&store, &config, period, |date, engagement, at| {
                recorder.run_blocking(move |s| s.record_reported_day(date, engagement, at))
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
            .args(["--period", period.kind().as_str()])
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

/// When the first post was observed, through a read-only connection of its own (`None`
/// when nothing was, or the database cannot be read: then said in the log).
async fn first_observation(writer: &Writer) -> Option<i64> {
    let db = writer.path().to_path_buf();
    let first =
        tokio::task::spawn_blocking(move || Store::open_read_only(&db)?.first_observation())
            .await
            .unwrap_or_else(|e| Err(StoreError::Thread(e.to_string())));
    first.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "report skipped: cannot read the database");
        None
    })
}

/// What a push record names: the day, or `from..to`.
fn period_label(r: &Report) -> String {
    if r.is_one_day() {
        r.date.clone()
    } else {
        format!("{}..{}", r.from, r.to)
    }
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
    use super::{Period, PeriodKind};

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
        let week = Period::holding(PeriodKind::Week, "2027-01-01".parse().unwrap()).unwrap();
        assert_eq!(week.name(), "2026-W53");
        assert_eq!(week.days().0.to_string(), "2026-12-28");
        assert_eq!(
            Period::holding(PeriodKind::Month, "2028-02-10".parse().unwrap())
                .unwrap()
                .days()
                .1
                .to_string(),
            "2028-02-29"
        );
    }
}
