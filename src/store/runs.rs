//! Poll runs: one row per platform cycle, its outcome and figures, and what
//! `status` reads of them.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::RunId;
use crate::platform::Platform;

/// Per platform, what `jempol status` shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlatformStatus {
    pub last_success: Option<i64>,
    pub last_error: Option<(i64, String)>,
    pub last_run_started: Option<i64>,
    pub last_outcome: Option<String>,
    pub posts_tracked: i64,
    pub accounts_registered: i64,
    pub accounts_unreachable: i64,
}

impl Store {
    /// Starts a poll run; returns its id.
    pub fn start_run(&self, platform: Platform, now: i64) -> Result<RunId, StoreError> {
        self.conn.execute(
            "INSERT INTO poll_runs (platform, started_at, outcome) VALUES (?1, ?2, 'running')",
            params![platform.as_str(), now],
        )?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Ends a poll run. `error` must already be free of secrets.
    pub fn finish_run(
        &self,
        id: RunId,
        now: i64,
        outcome: crate::model::Outcome,
        requests: u64,
        items: u64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE poll_runs SET finished_at = ?2, outcome = ?3, requests = ?4, items_seen = ?5, error = ?6 WHERE id = ?1",
            params![id, now, outcome.as_str(), requests as i64, items as i64, error],
        )?;
        Ok(())
    }

    /// Runs left `running` by a process that died are marked `interrupted`.
    pub fn close_abandoned_runs(&self, now: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute("UPDATE poll_runs SET outcome = 'interrupted', finished_at = ?1 WHERE outcome = 'running'", [now])?)
    }

    /// What `jempol status` shows for one platform.
    pub fn platform_status(&self, platform: Platform) -> Result<PlatformStatus, StoreError> {
        let p = platform.as_str();
        let c = &self.conn;
        let one = |sql: &str| -> Result<Option<i64>, StoreError> {
            Ok(c.query_row(sql, [p], |r| r.get(0)).optional()?.flatten())
        };
        Ok(PlatformStatus {
            last_success: one("SELECT max(finished_at) FROM poll_runs WHERE platform = ?1 AND outcome = 'ok'")?,
            last_error: c
                .query_row("SELECT finished_at, error FROM poll_runs WHERE platform = ?1 AND error IS NOT NULL ORDER BY id DESC LIMIT 1", [p], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
            last_run_started: one("SELECT max(started_at) FROM poll_runs WHERE platform = ?1")?,
            last_outcome: c.query_row("SELECT outcome FROM poll_runs WHERE platform = ?1 ORDER BY id DESC LIMIT 1", [p], |r| r.get(0)).optional()?,
            posts_tracked: one("SELECT count(*) FROM posts WHERE platform = ?1 AND deleted_at IS NULL")?.unwrap_or(0),
            accounts_registered: one("SELECT count(*) FROM accounts WHERE platform = ?1 AND origin = 'registered'")?.unwrap_or(0),
            accounts_unreachable: one("SELECT count(*) FROM accounts WHERE platform = ?1 AND origin = 'registered' AND status <> 'active'")?.unwrap_or(0),
        })
    }
}
