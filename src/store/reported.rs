//! What reports told: each day's engagement as first reported, and how far the days
//! are settled, so that a figure that moves after it was sent is named.

use jiff::civil::Date;
use rusqlite::{OptionalExtension, params};

use super::gains::{date_of, sql_day};
use super::{Store, StoreError};

/// How one push of a daily report went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushRecord {
    pub channel: String,
    /// The report's day.
    pub day: String,
    pub ok: bool,
    /// Why it failed (already without secrets).
    pub message: Option<String>,
    /// When it was tried (Unix seconds).
    pub at: i64,
}

impl Store {
    /// The last settled day, as the views define it (`campaign_tz.settled_until`); `None`
    /// before there is any data.
    pub fn settled_until(&self) -> Result<Option<Date>, StoreError> {
        let day: Option<String> =
            self.conn
                .query_row("SELECT settled_until FROM campaign_tz", [], |r| r.get(0))?;
        Ok(day.and_then(|d| d.parse().ok()))
    }

    /// The campaign engagement each daily report said, for days `from..=to`.
    pub fn reported_days(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Date, Option<i64>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, engagement FROM reported_days WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![sql_day(from), sql_day(to)], |r| {
            Ok((date_of(r, 0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The day of the last daily report written, and when it was written.
    pub fn last_report(&self) -> Result<Option<(String, i64)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT day, reported_at FROM reported_days ORDER BY reported_at DESC, day DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records how a daily report's push went (`channel`: `telegram`, `webhook`);
    /// `message` must already be free of secrets.
    pub fn record_push(&self, push: &PushRecord) -> Result<(), StoreError> {
        let value = serde_json::to_string(push).unwrap_or_default();
        self.conn
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![format!("push.{}", push.channel), value])?;
        Ok(())
    }

    /// The last push of each channel, by channel name.
    pub fn last_pushes(&self) -> Result<Vec<PushRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key LIKE 'push.%' ORDER BY key")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for value in rows {
            if let Ok(push) = serde_json::from_str(&value?) {
                out.push(push);
            }
        }
        Ok(out)
    }

    /// Keeps what a daily report said of its day (the first report of a day is kept:
    /// what coordinators received).
    pub fn record_reported_day(
        &self,
        day: Date,
        engagement: Option<i64>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO reported_days (day, engagement, reported_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (day) DO NOTHING",
            )?
            .execute(params![sql_day(day), engagement, at])?;
        Ok(())
    }
}
