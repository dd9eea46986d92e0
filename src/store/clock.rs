//! The database's times against the clock: telling that the clock stepped back, and
//! moving the refresh marks it left in the future.

use rusqlite::params;

use super::{Store, StoreError};
use crate::config::Tiers;

/// How far past the clock a time written earlier may lie before the clock is taken to
/// have stepped back (a small NTP correction is not that).
pub const CLOCK_SLACK: i64 = 300;

impl Store {
    /// The latest time the daemon wrote (a poll run's start, a snapshot), if it lies
    /// more than [`CLOCK_SLACK`] after `now`: the clock was set ahead, then stepped back.
    /// Both columns are indexed, so this is cheap enough for every cycle.
    pub fn clock_ahead(&self, now: i64) -> Result<Option<i64>, StoreError> {
        let latest: Option<i64> = self.conn.query_row(
            "SELECT max(t) FROM (
                 SELECT (SELECT max(started_at) FROM poll_runs WHERE platform = 'instagram') AS t
                 UNION ALL SELECT (SELECT max(started_at) FROM poll_runs WHERE platform = 'facebook')
                 UNION ALL SELECT (SELECT max(started_at) FROM poll_runs WHERE platform = 'tiktok')
                 UNION ALL SELECT (SELECT max(started_at) FROM poll_runs WHERE platform = 'youtube')
                 UNION ALL SELECT (SELECT max(taken_at) FROM post_snapshots))",
            [],
            |r| r.get(0),
        )?;
        Ok(latest.filter(|t| *t > now + CLOCK_SLACK))
    }

    /// After the clock stepped back, the refresh marks it left in the future would keep
    /// every post and account "fresh" until the clock caught up: they are moved back so
    /// that all of them are due now. Snapshots keep the times they were taken at.
    /// Returns how many posts and accounts were moved.
    pub fn pull_back_future_marks(
        &self,
        now: i64,
        tiers: &Tiers,
    ) -> Result<(usize, usize), StoreError> {
        let due_again = now - tiers.warm_every.max(tiers.hot_every);
        let posts = self.conn.execute(
            "UPDATE posts SET last_refreshed_at = ?2 WHERE last_refreshed_at > ?1",
            params![now + CLOCK_SLACK, due_again],
        )?;
        let accounts = self.conn.execute(
            "UPDATE accounts SET checked_at = ?2 WHERE checked_at > ?1",
            params![now + CLOCK_SLACK, now - 7 * 86_400 - tiers.account_every],
        )?;
        Ok((posts, accounts))
    }
}
