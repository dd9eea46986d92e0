//! The quota ledger: units written before they are spent, per platform, bucket and
//! window.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::platform::Platform;

impl Store {
    /// Quota spent in one window of a bucket.
    pub fn quota_used(
        &self,
        platform: Platform,
        bucket: &str,
        window_start: i64,
    ) -> Result<u64, StoreError> {
        let used: Option<i64> = self
            .conn
            .prepare_cached("SELECT used FROM quota_ledger WHERE platform = ?1 AND bucket = ?2 AND window_start = ?3")?
            .query_row(params![platform.as_str(), bucket, window_start], |r| r.get(0))
            .optional()?;
        Ok(used.unwrap_or(0) as u64)
    }

    /// Adds spent quota to the ledger (durable before the request is sent).
    pub fn quota_add(
        &self,
        platform: Platform,
        bucket: &str,
        window_start: i64,
        n: u64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO quota_ledger (platform, bucket, window_start, used) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (platform, bucket, window_start) DO UPDATE SET used = used + excluded.used",
            )?
            .execute(params![platform.as_str(), bucket, window_start, n as i64])?;
        Ok(())
    }
}
