//! What discovery keeps between cycles: resumable cursors (`sync_state`) and the
//! platforms' ids of the campaign's hashtags.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::platform::Platform;

/// The state of a paginated query: the cursor to resume at, and JSON the scheduler keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    pub cursor: Option<String>,
    pub state: Option<String>,
    pub updated_at: i64,
}

pub(super) fn set_sync(
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

impl Store {
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
}
