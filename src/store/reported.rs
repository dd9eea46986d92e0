//! What reports told: each day's engagement as first reported, and how far the days
//! are settled, so that a figure that moves after it was sent is named.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    /// The last settled day, as the views define it (`campaign_tz.settled_until`); `None`
    /// before there is any data.
    pub fn settled_until(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT settled_until FROM campaign_tz", [], |r| r.get(0))?)
    }

    /// The campaign engagement each daily report said, for days `from..=to`.
    pub fn reported_days(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, engagement FROM reported_days WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
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

    /// Keeps what a daily report said of its day (the first report of a day is kept:
    /// what coordinators received).
    pub fn record_reported_day(
        &self,
        day: &str,
        engagement: Option<i64>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO reported_days (day, engagement, reported_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (day) DO NOTHING",
            )?
            .execute(params![day, engagement, at])?;
        Ok(())
    }
}
