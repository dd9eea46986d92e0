//! What is due for a refresh: accounts and posts by their tier, oldest first.

use std::collections::HashMap;

use rusqlite::params;

use super::{Store, StoreError};
use crate::config::Tiers;
use crate::model::PostId;
use crate::platform::{AccountRef, Platform, TrackedAccount, TrackedPost};

impl Tiers {
    /// What is due is judged with 10 % slack, so that a cycle that started a little
    /// late still refreshes what the previous cycle refreshed.
    fn slack(every: i64) -> i64 {
        every - every / 10
    }
}

impl Store {
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
    ) -> Result<Vec<PostId>, StoreError> {
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
    pub fn tracked_posts(&self, ids: &[PostId]) -> Result<Vec<TrackedPost>, StoreError> {
        let json = serde_json::to_string(ids).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.platform_post_id, a.handle, a.platform_user_id, p.posted_at
             FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
             WHERE p.id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut by_id: HashMap<PostId, TrackedPost> = stmt
            .query_map([json], |r| {
                let handle: Option<String> = r.get(2)?;
                let uid: Option<String> = r.get(3)?;
                let posted: Option<i64> = r.get(4)?;
                Ok((
                    r.get::<_, PostId>(0)?,
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
}
