//! The daily reports the daemon writes: yesterday's report in every configured format,
//! once the configured time of day has passed, and a short summary to Telegram.
//! Nothing here can stop polling: failures are logged and retried on the next cycle.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::compute::{Report, Request, compute};
use super::labels::{Lang, delta, maybe, number};
use super::{Format, render};
use crate::config::{Config, Reports, Telegram};
use crate::store::Store;

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

/// The files of one day's report in `dir`.
pub fn paths(dir: &Path, day: Date, formats: &[Format]) -> Vec<PathBuf> {
    formats
        .iter()
        .map(|f| dir.join(format!("{day}.{}", f.extension())))
        .collect()
}

/// Writes one day's report in every format; returns the report and the files.
pub fn write_day(
    store: &Store,
    config: &Config,
    day: Date,
) -> Result<(Report, Vec<PathBuf>), DailyError> {
    let r = &config.reports;
    let report = compute(store, &request(config, day, day))?;
    let files = paths(&r.directory, day, &r.formats);
    for (format, path) in r.formats.iter().zip(&files) {
        let top = match format {
            Format::Csv | Format::Json => None,
            _ => Some(r.top),
        };
        write_private(path, &render(&report, *format, r.lang, top))?;
    }
    Ok((report, files))
}

/// A few lines for a chat: the day's engagement, activity and top three businesses.
pub fn summary_text(r: &Report, lang: Lang) -> String {
    let l = lang.labels();
    let t = &r.totals;
    let change = t.engagement.zip(r.previous.engagement).map(|(a, b)| a - b);
    let mut s = format!("{} — {}\n{}\n", l.title, r.campaign, r.date);
    s.push_str(&format!(
        "{}: {} ({})\n{}: {}\n{}: {}\n{}: {}\n",
        l.engagement,
        maybe(t.engagement, lang),
        delta(change, lang),
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
            b.name,
            maybe(b.engagement, lang),
            l.engagement.to_lowercase()
        ));
    }
    s
}

/// Posts `text` with the Bot API's `sendMessage`. Errors never contain the token.
pub async fn send_telegram(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    text: &str,
) -> Result<(), String> {
    let url = format!("{}/bot{token}/sendMessage", telegram.base_url);
    let redact = |e: String| {
        if token.is_empty() {
            e
        } else {
            e.replace(token, "***")
        }
    };
    let resp = client
        .post(&url)
        .json(&serde_json::json!({ "chat_id": telegram.chat_id, "text": text }))
        .send()
        .await
        .map_err(|e| redact(e.without_url().to_string()))?;
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| redact(format!("HTTP {status}: {}", e.without_url())))?;
    if body.get("ok").and_then(|v| v.as_bool()) == Some(true) {
        Ok(())
    } else {
        let why = body
            .get("description")
            .and_then(|v| v.as_str())
            .unwrap_or("no description");
        Err(redact(format!("HTTP {status}: {why}")))
    }
}

/// The daemon's daily report job.
pub struct DailyJob {
    config: Config,
    tz: TimeZone,
    client: reqwest::Client,
    /// The Telegram bot token, when configured and set.
    token: Option<String>,
}

impl DailyJob {
    /// `None` when reports are disabled in the config. The Telegram token, if any, comes
    /// from `secrets` (read from the environment by [`Config::secrets`]).
    pub fn new(config: &Config, secrets: &crate::config::Secrets) -> Option<DailyJob> {
        let r: &Reports = &config.reports;
        if !r.enabled || r.formats.is_empty() {
            return None;
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .user_agent(concat!("jempol/", env!("CARGO_PKG_VERSION")))
            .build()
            .ok()?;
        let token = r
            .telegram
            .as_ref()
            .and_then(|t| secrets.get(&t.bot_token_env))
            .map(|s| s.expose().to_string());
        Some(DailyJob {
            tz: config.campaign.timezone.clone(),
            config: config.clone(),
            client,
            token,
        })
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

    /// Writes the due report if it is not written yet and there is data for it, then
    /// announces it. Returns the files written.
    pub async fn tick(&self, store: &Arc<Mutex<Store>>, now: jiff::Timestamp) -> Vec<PathBuf> {
        let Some(day) = self.due_day(now) else {
            return Vec::new();
        };
        let r = &self.config.reports;
        if paths(&r.directory, day, &r.formats)
            .iter()
            .all(|p| p.exists())
        {
            return Vec::new();
        }
        let written = {
            let s = store.lock().unwrap_or_else(|e| e.into_inner());
            let end = day
                .tomorrow()
                .ok()
                .and_then(|d| d.to_zoned(self.tz.clone()).ok())
                .map(|z| z.timestamp().as_second());
            match (s.first_observation(), end) {
                (Ok(Some(first)), Some(end)) if first < end => {}
                (Err(e), _) => {
                    tracing::warn!(error = %e, "daily report skipped: cannot read the database");
                    return Vec::new();
                }
                _ => return Vec::new(), // nothing observed by that day's end
            }
            write_day(&s, &self.config, day)
        };
        match written {
            Ok((report, files)) => {
                tracing::info!(day = %day, files = files.len(), dir = %r.directory.display(), "daily report written");
                self.announce(&report).await;
                files
            }
            Err(e) => {
                tracing::warn!(day = %day, error = %e, "daily report not written; retrying next cycle");
                Vec::new()
            }
        }
    }

    async fn announce(&self, report: &Report) {
        let Some(tg) = &self.config.reports.telegram else {
            return;
        };
        let Some(token) = &self.token else {
            tracing::warn!(var = %tg.bot_token_env, "Telegram summary not sent: the bot token variable is not set");
            return;
        };
        let text = summary_text(report, self.config.reports.lang);
        match send_telegram(&self.client, tg, token, &text).await {
            Ok(()) => tracing::info!(chat = %tg.chat_id, "daily summary sent to Telegram"),
            Err(e) => tracing::warn!(error = %e, "Telegram summary failed (polling goes on)"),
        }
    }
}
