//! What has been observed at all: posts tracked, the first and last snapshot, and
//! where each platform's tracking began.

use jiff::civil::Date;

use super::gains::{date_of, platform_of};
use super::{Store, StoreError};
use crate::platform::Platform;

impl Store {
    /// Posts stored (deleted ones included).
    pub fn posts_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))?)
    }

    /// When the first post was observed, if any was.
    pub fn first_observation(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT min(first_seen_at) FROM posts", [], |r| r.get(0))?)
    }

    /// The latest instant any count was taken (what "today so far" means).
    pub fn last_observation(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT max(counted_at) FROM posts", [], |r| r.get(0))?)
    }

    /// Each tracked platform's first tracked day (campaign time zone: the `tracked_from`
    /// view): gains of earlier days are unknown. A platform missing here was never
    /// tracked.
    pub fn tracked_from(&self) -> Result<Vec<(Platform, Date)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT platform, day FROM tracked_from")?;
        let rows = stmt.query_map([], |r| Ok((platform_of(r, 0)?, date_of(r, 1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
