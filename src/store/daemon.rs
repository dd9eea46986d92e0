//! What the polling daemon keeps: poll runs, resumable cursors, hashtag ids, the quota
//! ledger, the lists of accounts and posts due for a refresh, and one-transaction
//! ingestion of what a platform answered.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};

use super::posts::{record_posts_tx, record_stats_tx};
use super::{IngestSummary, Store, StoreError};
pub use crate::config::Tiers;
use crate::platform::{AccountRef, Harvest, Platform, Post, TrackedAccount, TrackedPost};

impl Tiers {
    /// What is due is judged with 10 % slack, so that a cycle that started a little
    /// late still refreshes what the previous cycle refreshed.
    fn slack(every: i64) -> i64 {
        every - every / 10
    }
}

/// How far past the clock a time written earlier may lie before the clock is taken to
/// have stepped back (a small NTP correction is not that).
pub const CLOCK_SLACK: i64 = 300;

/// The state of a paginated query: the cursor to resume at, and JSON the scheduler keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    pub cursor: Option<String>,
    pub state: Option<String>,
    pub updated_at: i64,
}

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
    pub fn start_run(&self, platform: Platform, now: i64) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO poll_runs (platform, started_at, outcome) VALUES (?1, ?2, 'running')",
            params![platform.as_str(), now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a poll run. `error` must already be free of secrets.
    pub fn finish_run(
        &self,
        id: i64,
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

    /// Runs left `running` by a process that died are marked `interrupted`.
    pub fn close_abandoned_runs(&self, now: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute("UPDATE poll_runs SET outcome = 'interrupted', finished_at = ?1 WHERE outcome = 'running'", [now])?)
    }

    pub fn sync_state(
        &self,
        platform: Platform,
        query: &str,
    ) -> Result<Option<SyncState>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT cursor, state, updated_at FROM sync_state WHERE platform = ?1 AND query = ?2")?
            .query_row(params![platform.as_str(), query], |r| Ok(SyncState { cursor: r.get(0)?, state: r.get(1)?, updated_at: r.get(2)? }))
            .optional()?)
    }

    pub fn set_sync_state(
        &self,
        platform: Platform,
        query: &str,
        s: &SyncState,
    ) -> Result<(), StoreError> {
        set_sync(&self.conn, platform, query, s)
    }

    /// Stores one page of discovery and the cursor after it in one transaction, so a
    /// crash resumes exactly after the last stored page.
    pub fn ingest_page(
        &mut self,
        platform: Platform,
        posts: &[Post],
        now: i64,
        query: &str,
        sync: &SyncState,
    ) -> Result<IngestSummary, StoreError> {
        let offset = self.utc_offset;
        let tx = self.conn.transaction()?;
        let summary = record_posts_tx(&tx, offset, posts, now)?;
        set_sync(&tx, platform, query, sync)?;
        tx.commit()?;
        Ok(summary)
    }

    /// Stores what a refresh or account read learned, in one transaction: posts, account
    /// figures, ids learned, unreachable accounts, and deletions (named, or found as
    /// posts missing from an account's listing, within what the listing covers and
    /// newer than `horizon`).
    pub fn ingest_harvest(
        &mut self,
        platform: Platform,
        h: &Harvest,
        now: i64,
        horizon: i64,
    ) -> Result<IngestSummary, StoreError> {
        let offset = self.utc_offset;
        let tx = self.conn.transaction()?;
        let p = platform.as_str();
        for r in &h.resolved {
            resolve_account(&tx, platform, &r.handle, &r.platform_user_id)?;
        }
        let summary = record_posts_tx(&tx, offset, &h.posts, now)?;
        record_stats_tx(&tx, &h.stats, now)?;
        {
            // Two statements, not one with OR: each uses its own index.
            let mut by_handle = tx.prepare_cached("UPDATE accounts SET status = 'active' WHERE platform = ?1 AND handle = ?2 AND status <> 'active'")?;
            let mut by_id = tx.prepare_cached("UPDATE accounts SET status = 'active' WHERE platform = ?1 AND platform_user_id = ?2 AND status <> 'active'")?;
            for s in &h.stats {
                if let Some(handle) = &s.account.handle {
                    by_handle.execute(params![p, handle])?;
                }
                if let Some(id) = &s.account.platform_user_id {
                    by_id.execute(params![p, id])?;
                }
            }
            let status = if platform == Platform::Instagram {
                "undiscoverable"
            } else {
                "not_found"
            };
            let mut gone = tx.prepare_cached("UPDATE accounts SET status = ?3, checked_at = ?4 WHERE platform = ?1 AND handle = ?2")?;
            for handle in &h.unreachable {
                gone.execute(params![p, handle, status, now])?;
            }
            let mut delete = tx.prepare_cached("UPDATE posts SET deleted_at = ?3 WHERE platform = ?1 AND platform_post_id = ?2 AND deleted_at IS NULL")?;
            for id in &h.deleted {
                delete.execute(params![p, id, now])?;
            }
            let mut listed_posts = tx.prepare_cached(
                "SELECT p.platform_post_id FROM posts p JOIN accounts a ON a.id = p.account_id
                 WHERE a.platform = ?1 AND a.handle = ?2 AND p.deleted_at IS NULL AND p.posted_at >= ?3",
            )?;
            for listing in &h.listings {
                let listed: HashSet<&str> = listing.ids.iter().map(String::as_str).collect();
                // Only as far back as this listing reached, and never past the horizon.
                let since = listing.since.as_second().max(horizon);
                let tracked: Vec<String> = listed_posts
                    .query_map(params![p, listing.handle, since], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for id in tracked.iter().filter(|id| !listed.contains(id.as_str())) {
                    delete.execute(params![p, id, now])?;
                }
            }
        }
        tx.commit()?;
        Ok(summary)
    }

    /// Hashtag ids already resolved on a platform, by lower-case tag.
    pub fn hashtag_ids(&self, platform: Platform) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT tag, platform_tag_id FROM hashtags WHERE platform = ?1 AND platform_tag_id IS NOT NULL")?;
        let rows = stmt.query_map([platform.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Unique tags searched since `since` (Instagram allows 30 per rolling 7 days).
    pub fn hashtags_searched_since(
        &self,
        platform: Platform,
        since: i64,
    ) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM hashtags WHERE platform = ?1 AND last_searched_at > ?2",
            params![platform.as_str(), since],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Keeps a resolved hashtag id. Re-querying a known tag does not restart its timer.
    pub fn save_hashtag(
        &self,
        platform: Platform,
        tag: &str,
        id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO hashtags (platform, tag, platform_tag_id, last_searched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (platform, tag) DO UPDATE SET platform_tag_id = excluded.platform_tag_id",
            params![platform.as_str(), tag, id, now],
        )?;
        Ok(())
    }

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

    /// Registered accounts whose figures are due: hourly-ish while they have a hot
    /// post, else every `account_every`; unreachable ones weekly. Least recently
    /// checked first.
    pub fn due_accounts(
        &self,
        platform: Platform,
        now: i64,
        tiers: &Tiers,
        limit: usize,
    ) -> Result<Vec<TrackedAccount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.handle, a.platform_user_id FROM accounts a
             WHERE a.platform = ?1 AND a.origin = 'registered' AND a.business_id IS NOT NULL
               AND (a.checked_at IS NULL
                    OR a.status = 'active' AND a.checked_at <= ?2 - CASE
                         WHEN EXISTS (SELECT 1 FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL AND p.posted_at > ?2 - ?3)
                         THEN ?4 ELSE ?5 END
                    OR a.status <> 'active' AND a.checked_at <= ?2 - 7 * 86400)
             ORDER BY a.checked_at IS NOT NULL, a.checked_at, a.id
             LIMIT ?6",
        )?;
        let rows = stmt.query_map(
            params![
                platform.as_str(),
                now,
                tiers.hot_age,
                Tiers::slack(tiers.hot_every),
                Tiers::slack(tiers.account_every),
                limit as i64
            ],
            |r| {
                Ok(TrackedAccount {
                    handle: r.get(0)?,
                    platform_user_id: r.get(1)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Row ids of tracked posts due for new counts and not refreshed since
    /// `cycle_start`: hot posts every `hot_every`, then every `warm_every` up to
    /// `max_age`. The most overdue first, so a short budget goes where numbers are
    /// stalest; an account's posts together (Instagram refreshes them by reading the
    /// account), youngest first. Only ids, so 450,000 due posts cost a few MB.
    pub fn due_post_ids(
        &self,
        platform: Platform,
        now: i64,
        tiers: &Tiers,
        cycle_start: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, CASE WHEN p.posted_at > ?2 - ?3 THEN ?4 ELSE ?5 END AS every
             FROM posts p
             WHERE p.platform = ?1 AND p.deleted_at IS NULL AND p.last_refreshed_at < ?6
               AND p.posted_at > ?2 - ?7
               AND p.last_refreshed_at <= ?2 - CASE WHEN p.posted_at > ?2 - ?3 THEN ?4 ELSE ?5 END
             ORDER BY (?2 - p.last_refreshed_at) * 1.0 / every DESC, p.account_id, p.posted_at DESC",
        )?;
        let rows = stmt.query_map(
            params![
                platform.as_str(),
                now,
                tiers.hot_age,
                Tiers::slack(tiers.hot_every),
                Tiers::slack(tiers.warm_every),
                cycle_start,
                tiers.max_age
            ],
            |r| r.get(0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The posts behind row ids, in the order given.
    pub fn tracked_posts(&self, ids: &[i64]) -> Result<Vec<TrackedPost>, StoreError> {
        let json = serde_json::to_string(ids).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.platform_post_id, a.handle, a.platform_user_id, p.posted_at
             FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
             WHERE p.id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut by_id: HashMap<i64, TrackedPost> = stmt
            .query_map([json], |r| {
                let handle: Option<String> = r.get(2)?;
                let uid: Option<String> = r.get(3)?;
                let posted: Option<i64> = r.get(4)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    TrackedPost {
                        id: r.get(1)?,
                        account: (handle.is_some() || uid.is_some()).then_some(AccountRef {
                            handle,
                            platform_user_id: uid,
                            display_name: None,
                        }),
                        posted_at: posted.and_then(|t| jiff::Timestamp::from_second(t).ok()),
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
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

    /// The database file's size in bytes (main file and WAL).
    pub fn size_bytes(&self) -> u64 {
        let main = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let wal = std::fs::metadata(format!("{}-wal", self.path.display())).map_or(0, |m| m.len());
        main + wal
    }
}

fn set_sync(
    conn: &rusqlite::Connection,
    platform: Platform,
    query: &str,
    s: &SyncState,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_state (platform, query, cursor, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (platform, query) DO UPDATE SET cursor = excluded.cursor, state = excluded.state, updated_at = excluded.updated_at",
    )?
    .execute(params![platform.as_str(), query, s.cursor, s.state, s.updated_at])?;
    Ok(())
}

/// Records the platform id of a registered account. An account discovered earlier
/// under that id (before the handle was resolved) is merged into it.
fn resolve_account(
    tx: &rusqlite::Transaction,
    platform: Platform,
    handle: &str,
    id: &str,
) -> Result<(), StoreError> {
    let p = platform.as_str();
    let target: Option<i64> = tx
        .prepare_cached("SELECT id FROM accounts WHERE platform = ?1 AND handle = ?2")?
        .query_row(params![p, handle], |r| r.get(0))
        .optional()?;
    let Some(target) = target else { return Ok(()) };
    let other: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM accounts WHERE platform = ?1 AND platform_user_id = ?2 AND id <> ?3",
        )?
        .query_row(params![p, id, target], |r| r.get(0))
        .optional()?;
    if let Some(other) = other {
        tx.execute("UPDATE posts SET account_id = ?1, business_id = (SELECT business_id FROM accounts WHERE id = ?1) WHERE account_id = ?2", params![target, other])?;
        tx.execute(
            "UPDATE OR IGNORE account_snapshots SET account_id = ?1 WHERE account_id = ?2",
            params![target, other],
        )?;
        tx.execute(
            "DELETE FROM account_snapshots WHERE account_id = ?1",
            [other],
        )?;
        tx.execute("DELETE FROM accounts WHERE id = ?1", [other])?;
    }
    tx.execute(
        "UPDATE accounts SET platform_user_id = ?2 WHERE id = ?1 AND platform_user_id IS NOT ?2",
        params![target, id],
    )?;
    Ok(())
}
