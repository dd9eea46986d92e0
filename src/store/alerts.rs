//! What the operator was told of each platform's health: the failed cycles in a row
//! (from `poll_runs`), and the alert standing for a platform (in `settings`), so that
//! an alert goes out once per trouble, across restarts and `poll --once` runs alike.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::platform::Platform;

/// The alert the operator was last sent for a platform, until it works again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StandingAlert {
    /// `credential` (rejected) or `failures` (cycles in a row).
    pub kind: String,
    /// When it was sent (Unix seconds).
    pub at: i64,
}

impl Store {
    /// How many of the platform's latest finished cycles failed in a row (an
    /// interrupted cycle neither counts nor breaks the row).
    pub fn failed_streak(&self, platform: Platform) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM poll_runs
             WHERE platform = ?1 AND outcome = 'failed'
               AND id > coalesce((SELECT max(id) FROM poll_runs WHERE platform = ?1
                                   AND outcome IN ('ok', 'partial', 'quota_spent')), 0)",
            )?
            .query_row([platform.as_str()], |r| r.get(0))?)
    }

    /// The alert standing for `platform`, if any.
    pub fn standing_alert(&self, platform: Platform) -> Result<Option<StandingAlert>, StoreError> {
        let value: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([alert_key(platform)], |r| r.get(0))
            .optional()?;
        Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Keeps (or, with `None`, clears) the alert standing for `platform`.
    pub fn set_standing_alert(
        &self,
        platform: Platform,
        alert: Option<&StandingAlert>,
    ) -> Result<(), StoreError> {
        match alert {
            Some(a) => {
                let value = serde_json::to_string(a).unwrap_or_default();
                self.conn
                    .prepare_cached(
                        "INSERT INTO settings (key, value) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )?
                    .execute(params![alert_key(platform), value])?;
            }
            None => {
                self.conn
                    .prepare_cached("DELETE FROM settings WHERE key = ?1")?
                    .execute([alert_key(platform)])?;
            }
        }
        Ok(())
    }
}

fn alert_key(platform: Platform) -> String {
    format!("alert.{}", platform.as_str())
}
