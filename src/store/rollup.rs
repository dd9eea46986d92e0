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

/// Builds the rollup rows of the posts whose snapshots pass `filter` (`?2` is a post id),
/// by the same definition as [`record_day`]: a day starts from the previous day's end;
/// a post's first sight is credited from 0 to the day it was seen when it was published
/// that day (or its time is unknown), to its publication day when that day lies within
/// its platform's tracking, and to no day when it was published before tracking began.
fn rebuild_sql(filter: &str) -> String {
    format!(
        "
INSERT INTO post_days (day, post_id, platform, business_id,
                       start_likes, start_comments, start_shares, start_views,
                       likes, comments, shares, views)
WITH snaps AS (
    SELECT s.post_id, s.taken_at, s.likes, s.comments, s.shares, s.views,
           date(s.taken_at + ?1, 'unixepoch') AS day,
           row_number() OVER (PARTITION BY s.post_id, date(s.taken_at + ?1, 'unixepoch')
                              ORDER BY s.taken_at DESC) AS rn,
           row_number() OVER (PARTITION BY s.post_id ORDER BY s.taken_at) AS nth
    FROM post_snapshots s
    WHERE {filter}
),
day_end AS (
    SELECT post_id, day, taken_at, likes, comments, shares, views FROM snaps WHERE rn = 1
),
with_start AS (
    SELECT d.*,
           lag(taken_at) OVER w AS prev_at,
           lag(likes) OVER w AS prev_likes, lag(comments) OVER w AS prev_comments,
           lag(shares) OVER w AS prev_shares, lag(views) OVER w AS prev_views
    FROM day_end d
    WINDOW w AS (PARTITION BY post_id ORDER BY day)
),
placed AS (
    SELECT f.post_id, f.day, f.taken_at, f.likes, f.comments, f.shares, f.views,
           p.platform, p.business_id, date(p.posted_at + ?1, 'unixepoch') AS pub_day,
           CASE WHEN p.posted_at IS NULL OR date(p.posted_at + ?1, 'unixepoch') >= f.day THEN 'seen'
                WHEN date(p.posted_at + ?1, 'unixepoch') >=
                     (SELECT date(t.started_at + ?1, 'unixepoch') FROM tracking t WHERE t.platform = p.platform)
                THEN 'published'
                ELSE 'before' END AS rule
    FROM snaps f JOIN posts p ON p.id = f.post_id
    WHERE f.nth = 1
)
SELECT w.day, w.post_id, p.platform, p.business_id,
       w.prev_likes, w.prev_comments, w.prev_shares, w.prev_views,
       w.likes, w.comments, w.shares, w.views
FROM with_start w JOIN posts p ON p.id = w.post_id
WHERE w.prev_at IS NOT NULL
UNION ALL
SELECT w.day, w.post_id, f.platform, f.business_id,
       CASE WHEN f.rule = 'seen' THEN 0 ELSE f.likes END,
       CASE WHEN f.rule = 'seen' THEN 0 ELSE f.comments END,
       CASE WHEN f.rule = 'seen' THEN 0 ELSE f.shares END,
       CASE WHEN f.rule = 'seen' THEN 0 ELSE f.views END,
       w.likes, w.comments, w.shares, w.views
FROM with_start w JOIN placed f ON f.post_id = w.post_id
WHERE w.prev_at IS NULL AND (f.rule = 'seen' OR w.taken_at > f.taken_at)
UNION ALL
SELECT f.pub_day, f.post_id, f.platform, f.business_id, 0, 0, 0, 0,
       f.likes, f.comments, f.shares, f.views
FROM placed f
WHERE f.rule = 'published'
ORDER BY 1, 2"
    )
}

/// Posts published per business day (the triggers keep it from then on).
const REBUILD_PUBLISHED: &str = "
INSERT INTO business_days (day, business_id, platform, published)
SELECT date(posted_at + ?1, 'unixepoch'), business_id, platform, count(*) FROM posts
WHERE business_id IS NOT NULL AND posted_at IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (day, business_id, platform) DO UPDATE SET published = published + excluded.published";

/// Follower figures taken per business day.
const REBUILD_FOLLOWER_FIGURES: &str = "
INSERT INTO business_days (day, business_id, platform, follower_figures)
SELECT date(s.taken_at + ?1, 'unixepoch'), a.business_id, a.platform, count(*)
FROM account_snapshots s JOIN accounts a ON a.id = s.account_id
WHERE a.business_id IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (day, business_id, platform) DO UPDATE SET
    follower_figures = follower_figures + excluded.follower_figures";

/// The registered accounts' follower figures as changes per day and platform.
const REBUILD_FOLLOWER_CHANGES: &str = "
INSERT INTO follower_changes (day, platform, followers, known)
SELECT day, platform, sum(d_followers), sum(d_known)
FROM (SELECT date(s.taken_at + ?1, 'unixepoch') AS day, a.platform,
             COALESCE(s.followers, 0) - COALESCE(lag(s.followers) OVER w, 0) AS d_followers,
             (s.followers IS NOT NULL) - COALESCE(lag(s.followers IS NOT NULL) OVER w, 0) AS d_known
      FROM account_snapshots s JOIN accounts a ON a.id = s.account_id
      WHERE a.business_id IS NOT NULL
      WINDOW w AS (PARTITION BY s.account_id ORDER BY s.taken_at))
GROUP BY day, platform";

/// Sets each post's counts from before tracking (its first sight, when it was published
/// before its platform's tracking start) for the posts passing `filter` (`?2`: a post id).
fn before_tracking_sql(filter: &str) -> String {
    format!(
        "
UPDATE posts SET (before_likes, before_comments, before_shares, before_views) = (
    SELECT CASE WHEN before THEN s.likes END, CASE WHEN before THEN s.comments END,
           CASE WHEN before THEN s.shares END, CASE WHEN before THEN s.views END
    FROM (SELECT posts.posted_at IS NOT NULL AND date(posts.posted_at + ?1, 'unixepoch') <
                 (SELECT date(t.started_at + ?1, 'unixepoch') FROM tracking t WHERE t.platform = posts.platform)
                 AS before) b
    LEFT JOIN (SELECT likes, comments, shares, views FROM post_snapshots
                WHERE post_id = posts.id ORDER BY taken_at LIMIT 1) s)
WHERE {filter}"
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
        self.rebuild_rollup().map(|_| ())
    }

    /// Rebuilds `post_days` (and `day_totals`, through its triggers) and the posts'
    /// counts from before tracking, from the snapshots, by the current definitions
    /// (`jempol db rebuild-rollups`). Returns the rows written.
    pub fn rebuild_rollup(&mut self) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM post_days; DELETE FROM business_days; DELETE FROM campaign_days;
             DELETE FROM follower_changes;",
        )?;
        // Its triggers fill day_totals and the business days' gains.
        let rows = tx.execute(
            &rebuild_sql("?2 IS NULL"),
            params![self.utc_offset, None::<i64>],
        )?;
        tx.execute(REBUILD_PUBLISHED, [self.utc_offset])?;
        tx.execute(REBUILD_FOLLOWER_FIGURES, [self.utc_offset])?;
        tx.execute(REBUILD_FOLLOWER_CHANGES, [self.utc_offset])?;
        tx.execute(
            &before_tracking_sql("?2 IS NULL"),
            params![self.utc_offset, None::<i64>],
        )?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![BUILT_WITH, self.utc_offset.to_string()],
        )?;
        tx.commit()?;
        Ok(rows as u64)
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
        let n = self.number(at);
        if self.last.as_ref().is_none_or(|(d, _)| *d != n) {
            self.last = Some((n, self.name(n)));
        }
        self.last.as_ref().map_or("", |(_, s)| s.as_str())
    }

    /// The day of an instant as a number (days since 1970-01-01 in the campaign zone).
    pub fn number(&self, at: i64) -> i64 {
        (at + i64::from(self.offset)).div_euclid(86_400)
    }

    /// `YYYY-MM-DD` of a day number.
    pub fn name(&self, n: i64) -> String {
        jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(jiff::civil::date(1970, 1, 1))
            .to_string()
    }
}

/// Records a snapshot in the rollup. `before` are the post's latest counts before it
/// (`None` on first sight). A later snapshot's day starts from `before`. A first sight
/// starts from zero on the day it was taken when the post was published that day (or
/// its time is unknown); when it was published on an earlier day within its platform's
/// tracking (`tracking_start`), its counts are that publication day's gain instead, and
/// when it was published before tracking began they are no day's gain: they are kept on
/// the post as counts from before tracking. A snapshot older than the post's latest (a
/// clock set back) rebuilds that post's days from its snapshots instead.
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
        tx.prepare_cached(&before_tracking_sql("posts.id = ?2"))?
            .execute(params![days.offset, post.id])?;
        return Ok(());
    }
    // The publication day's name, when a first sight is credited to it; every other
    // snapshot borrows today's from `days` (no string made per snapshot).
    let published_day: String;
    let (day, start): (&str, _) = match before {
        Some(b) => (days.of(now), b.counts),
        None => {
            let today = days.number(now);
            match post.posted_at.map(|t| days.number(t)) {
                Some(published) if published < today => {
                    if published < days.number(post.tracking_start) {
                        tx.prepare_cached(
                            "UPDATE posts SET before_likes = ?2, before_comments = ?3,
                                    before_shares = ?4, before_views = ?5 WHERE id = ?1",
                        )?
                        .execute(params![post.id, counts[0], counts[1], counts[2], counts[3]])?;
                        return Ok(());
                    }
                    published_day = days.name(published);
                    (published_day.as_str(), [Some(0); 4])
                }
                _ => (days.of(now), [Some(0); 4]),
            }
        }
    };
    let upsert = " ON CONFLICT (day, post_id) DO UPDATE SET
            likes = excluded.likes, comments = excluded.comments,
            shares = excluded.shares, views = excluded.views";
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

/// When a platform's tracking began: its first stored observation (written now when
/// there is none yet).
pub(super) fn tracking_start(
    tx: &Transaction,
    platform: Platform,
    now: i64,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO tracking (platform, started_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![platform.as_str(), now])?;
    Ok(tx
        .prepare_cached("SELECT started_at FROM tracking WHERE platform = ?1")?
        .query_row([platform.as_str()], |r| r.get(0))?)
}

/// The post a rollup row is for.
pub(super) struct DayPost {
    pub id: i64,
    pub platform: Platform,
    /// Its business, when the caller knows it for sure (else read from the post).
    pub business: Option<i64>,
    pub business_known: bool,
    /// When it was published, if known.
    pub posted_at: Option<i64>,
    /// When its platform's tracking began.
    pub tracking_start: i64,
}

/// A post's latest snapshot, as kept on its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Latest {
    pub at: i64,
    pub counts: [Option<i64>; 4],
}
