//! A platform's answer stored in one transaction: posts, their snapshots and day rows,
//! account figures, deletions, resolved accounts and the cursor after the page.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};

use super::discovery::{SyncState, set_sync};
use super::posts::{record_posts_tx, record_stats_tx};
use super::{IngestSummary, Store, StoreError};
use crate::platform::{Harvest, Platform, Post};

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

impl Store {
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
}
