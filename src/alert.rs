//! Tells the operator (the IT staff running the daemon) when a platform stops working:
//! its credential was rejected, or it failed `alerts.after_failures` cycles in a row; and
//! when it works again. Each trouble is told once: the alert standing for a platform is
//! kept in the database, so a restart or an hourly `poll --once` does not repeat it.
//! Sent to an operator's Telegram chat and/or a signed webhook; a failed send is only
//! logged (and recorded for `status`), never a reason to stop polling.

use crate::config::{Alerts, Config, Lang, Secrets};
use crate::model::Outcome;
use crate::platform::Platform;
use crate::push::{PushRetry, push_telegram, push_webhook, telegram_client};
use crate::scheduler::PlatformReport;
use crate::store::{PushRecord, StandingAlert, Writer};

/// What the operator is told about a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// The platform refused jempol's credential: it is not polled until it is fixed.
    CredentialRejected,
    /// This many cycles in a row failed.
    Failing(u32),
    /// A platform alerted about works again.
    Recovered,
}

impl Alert {
    fn kind(self) -> &'static str {
        match self {
            Alert::CredentialRejected => "credential",
            Alert::Failing(_) => "failures",
            Alert::Recovered => "recovered",
        }
    }
}

/// What follows from a platform's cycle, given the failed cycles in a row so far (this
/// one included) and the alert standing for it: an alert to send, or nothing.
pub fn decide(
    report: &PlatformReport,
    failed_in_a_row: u32,
    after_failures: u32,
    standing: Option<&StandingAlert>,
) -> Option<Alert> {
    let standing = standing.map(|s| s.kind.as_str());
    match report.outcome {
        // A stopped cycle says nothing of the platform's health.
        Outcome::Interrupted => None,
        Outcome::Ok | Outcome::Partial | Outcome::QuotaSpent => {
            standing.is_some().then_some(Alert::Recovered)
        }
        Outcome::Failed if report.credential_rejected => {
            (standing != Some("credential")).then_some(Alert::CredentialRejected)
        }
        // A credential alert stands until the platform works again.
        Outcome::Failed => (failed_in_a_row >= after_failures && standing.is_none())
            .then_some(Alert::Failing(failed_in_a_row)),
    }
}

/// The alert as a chat message, in the reports' language. `error` is the cycle's error,
/// already free of secrets.
pub fn text(
    alert: Alert,
    campaign: &str,
    platform: Platform,
    error: Option<&str>,
    lang: Lang,
) -> String {
    let p = platform.name();
    let error: String = crate::report::neutral::terminal(error.unwrap_or("-"))
        .chars()
        .take(300)
        .collect();
    let campaign = crate::report::neutral::terminal(campaign);
    match (lang, alert) {
        (Lang::En, Alert::CredentialRejected) => format!(
            "jempol alert — {campaign}\n{p}: the credential was rejected; {p} is not polled until it is fixed (the other platforms go on).\nError: {error}"
        ),
        (Lang::En, Alert::Failing(n)) => format!(
            "jempol alert — {campaign}\n{p}: {n} cycles in a row failed.\nLast error: {error}"
        ),
        (Lang::En, Alert::Recovered) => {
            format!("jempol — {campaign}\n{p} works again.")
        }
        (Lang::Id, Alert::CredentialRejected) => format!(
            "Peringatan jempol — {campaign}\n{p}: kredensial ditolak; {p} tidak dipantau sampai kredensial diperbaiki (platform lain tetap berjalan).\nGalat: {error}"
        ),
        (Lang::Id, Alert::Failing(n)) => format!(
            "Peringatan jempol — {campaign}\n{p}: {n} siklus berturut-turut gagal.\nGalat terakhir: {error}"
        ),
        (Lang::Id, Alert::Recovered) => {
            format!("jempol — {campaign}\n{p} berjalan lagi.")
        }
    }
}

/// The daemon's alerter: `None` from [`Alerter::new`] when no `[alerts]` target is set.
pub struct Alerter {
    alerts: Alerts,
    campaign: String,
    lang: Lang,
    client: reqwest::Client,
    token: Option<String>,
    webhook_secret: Option<String>,
    retry: PushRetry,
}

impl Alerter {
    pub fn new(config: &Config, secrets: &Secrets) -> Option<Alerter> {
        let alerts = config.alerts.clone();
        if alerts.telegram.is_none() && alerts.webhook.is_none() {
            return None;
        }
        let secret = |var: Option<&str>| {
            var.and_then(|v| secrets.get(v))
                .map(|s| s.expose().to_string())
        };
        Some(Alerter {
            token: secret(alerts.telegram.as_ref().map(|t| t.bot_token_env.as_str())),
            webhook_secret: secret(alerts.webhook.as_ref().map(|w| w.secret_env.as_str())),
            alerts,
            campaign: config.campaign.name.clone(),
            lang: config.reports.lang,
            client: telegram_client().ok()?,
            retry: PushRetry::default(),
        })
    }

    /// Sends again as `policy` says (tests shorten the waits).
    pub fn with_push_retry(mut self, policy: PushRetry) -> Alerter {
        self.retry = policy;
        self
    }

    /// After a cycle (its runs recorded): tells the operator what changed, keeps what was
    /// told, and records how each send went.
    pub async fn after_cycle(&self, writer: &Writer, reports: &[PlatformReport], now: i64) {
        for report in reports {
            let platform = report.platform;
            let state = writer
                .run(move |s| Ok((s.failed_streak(platform)?, s.standing_alert(platform)?)))
                .await;
            let (streak, standing) = match state {
                Ok(state) => state,
                Err(e) => {
                    tracing::warn!(%platform, error = %e, "alert state unreadable; no alert this cycle");
                    continue;
                }
            };
            let Some(alert) = decide(
                report,
                streak,
                self.alerts.after_failures,
                standing.as_ref(),
            ) else {
                continue;
            };
            tracing::warn!(%platform, alert = alert.kind(), "telling the operator");
            let pushes = self.send(alert, report, now).await;
            let next = match alert {
                Alert::Recovered => None,
                _ => Some(StandingAlert {
                    kind: alert.kind().to_string(),
                    at: now,
                }),
            };
            let _ = writer
                .run(move |s| {
                    s.set_standing_alert(platform, next.as_ref())?;
                    pushes.iter().try_for_each(|p| s.record_push(p))
                })
                .await;
        }
    }

    async fn send(&self, alert: Alert, report: &PlatformReport, now: i64) -> Vec<PushRecord> {
        let platform = report.platform;
        let error = report.error.as_deref();
        let mut pushes = Vec::new();
        let mut record = |channel: &str, result: Result<(), String>| {
            if let Err(e) = &result {
                tracing::warn!(channel, error = %e, "alert not sent (polling goes on)");
            }
            pushes.push(PushRecord {
                channel: channel.to_string(),
                day: platform.as_str().to_string(),
                ok: result.is_ok(),
                message: result.err(),
                at: now,
            });
        };
        if let Some(tg) = &self.alerts.telegram {
            let sent = match &self.token {
                Some(token) => {
                    let text = text(alert, &self.campaign, platform, error, self.lang);
                    push_telegram(&self.client, tg, token, &text, self.retry)
                        .await
                        .map_err(|e| e.to_string())
                }
                None => Err(format!("{} is not set", tg.bot_token_env)),
            };
            record("alert-telegram", sent);
        }
        if let Some(hook) = &self.alerts.webhook {
            let sent = match &self.webhook_secret {
                Some(secret) => {
                    let body = serde_json::json!({
                        "event": if alert == Alert::Recovered { "recovered" } else { "alert" },
                        "kind": alert.kind(),
                        "campaign": self.campaign,
                        "platform": platform,
                        "failed_in_a_row": match alert { Alert::Failing(n) => Some(n), _ => None },
                        "error": error,
                        "sent_at": jiff::Timestamp::from_second(now).map(|t| t.to_string()).ok(),
                    });
                    let body = serde_json::to_vec(&body).unwrap_or_default();
                    push_webhook(&self.client, hook, secret, &body, self.retry)
                        .await
                        .map_err(|e| e.to_string())
                }
                None => Err(format!("{} is not set", hook.secret_env)),
            };
            record("alert-webhook", sent);
        }
        pushes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(outcome: Outcome, credential_rejected: bool) -> PlatformReport {
        PlatformReport {
            platform: Platform::Tiktok,
            outcome,
            requests: 1,
            items_seen: 0,
            new_posts: 0,
            snapshots: 0,
            error: Some("HTTP 500".into()),
            quota_until: None,
            credential_rejected,
        }
    }

    fn standing(kind: &str) -> StandingAlert {
        StandingAlert {
            kind: kind.into(),
            at: 0,
        }
    }

    #[test]
    fn a_platform_is_alerted_once_per_trouble_and_once_when_it_works_again() {
        let failed = cycle(Outcome::Failed, false);
        // Below the threshold: nothing; at it: the count; beyond it, while it stands: nothing.
        assert_eq!(decide(&failed, 2, 3, None), None);
        assert_eq!(decide(&failed, 3, 3, None), Some(Alert::Failing(3)));
        assert_eq!(decide(&failed, 4, 3, Some(&standing("failures"))), None);
        // A rejected credential is told at once, even while failures stand, but once.
        let rejected = cycle(Outcome::Failed, true);
        assert_eq!(
            decide(&rejected, 1, 3, None),
            Some(Alert::CredentialRejected)
        );
        assert_eq!(
            decide(&rejected, 5, 3, Some(&standing("failures"))),
            Some(Alert::CredentialRejected)
        );
        assert_eq!(decide(&rejected, 6, 3, Some(&standing("credential"))), None);
        assert_eq!(decide(&failed, 7, 3, Some(&standing("credential"))), None);
        // Working again (a spent quota is the budget at work, not a fault).
        for outcome in [Outcome::Ok, Outcome::Partial, Outcome::QuotaSpent] {
            let fine = cycle(outcome, false);
            assert_eq!(
                decide(&fine, 0, 3, Some(&standing("failures"))),
                Some(Alert::Recovered)
            );
            assert_eq!(decide(&fine, 0, 3, None), None, "nothing to take back");
        }
        // An interrupted cycle (a shutdown) says nothing.
        let stopped = cycle(Outcome::Interrupted, false);
        assert_eq!(decide(&stopped, 9, 3, Some(&standing("failures"))), None);
    }

    #[test]
    fn an_alert_reads_in_the_reports_language_and_carries_no_control_characters() {
        let t = text(
            Alert::Failing(3),
            "Sedekah Jempol",
            Platform::Youtube,
            Some("HTTP 503\u{1b}[31m"),
            Lang::Id,
        );
        assert!(t.contains("YouTube: 3 siklus berturut-turut gagal"), "{t}");
        assert!(!t.contains('\u{1b}'), "{t:?}");
        let t = text(
            Alert::CredentialRejected,
            "x",
            Platform::Instagram,
            None,
            Lang::En,
        );
        assert!(t.contains("Instagram: the credential was rejected"), "{t}");
    }
}
