//! The per-post, per-day rollup (`post_days`): written with every snapshot, rebuilt from
//! the snapshots when the campaign's UTC offset changes. Reports and the dashboard views
//! read it instead of scanning every snapshot.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError};
use crate::platform::Platform;

/// Settings key: the UTC offset `post_days` was built with.
const BUILT_WITH: &str = "rollup_utc_offset_seconds";
/// WIB, when the campaign never wrote its offset (the views' default too).
pub const DEFAULT_OFFSET: i32 = 25_200;

/// Builds the rollup rows of the posts whose snapshots pass `filter` (`?2` is a post id).
fn rebuild_sql(filter: &str) -> String {
    format!(
        "
INSERT INTO post_days (day, post_id, platform, business_id,
                       start_likes, start_comments, start_shares, start_views,
                       likes, comments, shares, views)
WITH day_end AS (
    SELECT post_id, day, taken_at, likes, comments, shares, views
    FROM (
        SELECT s.post_id, s.taken_at, s.likes, s.comments, s.shares, s.views,
               date(s.taken_at + ?1, 'unixepoch') AS day,
               row_number() OVER (PARTITION BY s.post_id, date(s.taken_at + ?1, 'unixepoch')
                                  ORDER BY s.taken_at DESC) AS rn
        FROM post_snapshots s
        WHERE {filter}
    )
    WHERE rn = 1
),
with_start AS (
    SELECT d.*,
           lag(taken_at) OVER w AS prev_at,
           lag(likes) OVER w AS prev_likes, lag(comments) OVER w AS prev_comments,
           lag(shares) OVER w AS prev_shares, lag(views) OVER w AS prev_views
    FROM day_end d
    WINDOW w AS (PARTITION BY post_id ORDER BY day)
)
SELECT w.day, w.post_id, p.platform, p.business_id,
       CASE WHEN prev_at IS NULL THEN 0 ELSE prev_likes END,
       CASE WHEN prev_at IS NULL THEN 0 ELSE prev_comments END,
       CASE WHEN prev_at IS NULL THEN 0 ELSE prev_shares END,
       CASE WHEN prev_at IS NULL THEN 0 ELSE prev_views END,
       w.likes, w.comments, w.shares, w.views
FROM with_start w JOIN posts p ON p.id = w.post_id
ORDER BY w.day, w.post_id"
    )
}

impl Store {
    /// Rebuilds `post_days` if it was built for another UTC offset (or never).
    pub(super) fn ensure_rollup(&mut self) -> Result<(), StoreError> {
        let built: Option<i32> = self
            .conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?1",
                [BUILT_WITH],
                |r| r.get(0),
            )
            .optional()?;
        if built == Some(self.utc_offset) {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM post_days", [])?;
        tx.execute(
            &rebuild_sql("?2 IS NULL"),
            params![self.utc_offset, None::<i64>],
        )?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![BUILT_WITH, self.utc_offset.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// The campaign day (`YYYY-MM-DD`) of an instant, remembering the last one asked: a
/// batch's snapshots all fall on one or two days.
pub(super) struct Days {
    offset: i32,
    last: Option<(i64, String)>,
}

impl Days {
    pub fn new(offset: i32) -> Days {
        Days { offset, last: None }
    }

    pub fn of(&mut self, at: i64) -> &str {
        let n = (at + i64::from(self.offset)).div_euclid(86_400);
        if self.last.as_ref().is_none_or(|(d, _)| *d != n) {
            let date = jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(n))
                .unwrap_or(jiff::civil::date(1970, 1, 1));
            self.last = Some((n, date.to_string()));
        }
        self.last.as_ref().map_or("", |(_, s)| s.as_str())
    }
}

/// Records a snapshot in the rollup. `before` are the post's latest counts before it
/// (`None` on first sight: the day starts from zero). A snapshot older than the post's
/// latest (a clock set back) rebuilds that post's days from its snapshots instead.
pub(super) fn record_day(
    tx: &Transaction,
    days: &mut Days,
    post: &DayPost,
    before: Option<&Latest>,
    counts: &[Option<i64>; 4],
    now: i64,
) -> Result<(), StoreError> {
    if before.is_some_and(|b| b.at > now) {
        tx.prepare_cached("DELETE FROM post_days WHERE post_id = ?1")?
            .execute([post.id])?;
        tx.prepare_cached(&rebuild_sql("s.post_id = ?2"))?
            .execute(params![days.offset, post.id])?;
        return Ok(());
    }
    let start = before.map_or([Some(0); 4], |b| b.counts);
    let upsert = " ON CONFLICT (day, post_id) DO UPDATE SET
            likes = excluded.likes, comments = excluded.comments,
            shares = excluded.shares, views = excluded.views";
    let day = days.of(now);
    let columns = "INSERT INTO post_days (day, post_id, start_likes, start_comments, start_shares,
                       start_views, likes, comments, shares, views, platform, business_id)";
    let values: [&dyn rusqlite::ToSql; 12] = [
        &day,
        &post.id,
        &start[0],
        &start[1],
        &start[2],
        &start[3],
        &counts[0],
        &counts[1],
        &counts[2],
        &counts[3],
        &post.platform.as_str(),
        &post.business,
    ];
    if post.business_known {
        tx.prepare_cached(&format!(
            "{columns} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12){upsert}"
        ))?
        .execute(&values[..])?;
    } else {
        // The business as the post row has it (just inserted or filled in).
        tx.prepare_cached(&format!(
            "{columns} SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, business_id
             FROM posts WHERE id = ?2{upsert}"
        ))?
        .execute(&values[..11])?;
    }
    Ok(())
}

/// The post a rollup row is for.
pub(super) struct DayPost {
    pub id: i64,
    pub platform: Platform,
    /// Its business, when the caller knows it for sure (else read from the post).
    pub business: Option<i64>,
    pub business_known: bool,
}

/// A post's latest snapshot, as kept on its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Latest {
    pub at: i64,
    pub counts: [Option<i64>; 4],
}
