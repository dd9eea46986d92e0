//! Reads of what was gained per business, post and day, from the `post_days` rollup,
//! and followers at given instants. Days are campaign days (civil dates, written
//! `YYYY-MM-DD` only in SQL); instants are Unix seconds.

use jiff::civil::Date;
use rusqlite::{Row, params};

use super::{Store, StoreError};
use crate::model::{AccountId, BusinessId, PostId};
use crate::platform::Platform;

/// Counts gained over a period: the sum of the known gains; `None` when every post
/// involved hides that count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Gains {
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub views: Option<i64>,
}

impl Gains {
    /// Not known at all (a day before the platform was tracked).
    pub const UNKNOWN: Gains = Gains {
        likes: None,
        comments: None,
        shares: None,
        views: None,
    };

    /// Nothing changed: every count gained 0.
    pub const ZERO: Gains = Gains {
        likes: Some(0),
        comments: Some(0),
        shares: Some(0),
        views: Some(0),
    };

    /// The gains of posts on `platform` that did not change: 0 for every count the
    /// platform reports, unknown for those it never does (Facebook views, ...).
    pub fn unchanged(platform: Platform) -> Gains {
        Gains {
            likes: Some(0),
            comments: Some(0),
            shares: platform.reports_shares().then_some(0),
            views: platform.reports_views().then_some(0),
        }
    }

    /// Adds known values; unknown stays unknown only if both sides are.
    pub fn plus(self, o: Gains) -> Gains {
        let f = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        Gains {
            likes: f(self.likes, o.likes),
            comments: f(self.comments, o.comments),
            shares: f(self.shares, o.shares),
            views: f(self.views, o.views),
        }
    }

    /// Sums gains as SQL's `sum` does, except that no rows at all means 0.
    pub fn sum(items: impl IntoIterator<Item = Gains>) -> Gains {
        items.into_iter().reduce(Gains::plus).unwrap_or(Gains::ZERO)
    }

    /// Likes + comments + shares, counting what is known; `None` if none is.
    pub fn engagement(&self) -> Option<i64> {
        [self.likes, self.comments, self.shares]
            .into_iter()
            .flatten()
            .reduce(|a, b| a + b)
    }

    fn from_row(r: &Row, first: usize) -> rusqlite::Result<Gains> {
        Ok(Gains {
            likes: r.get(first)?,
            comments: r.get(first + 1)?,
            shares: r.get(first + 2)?,
            views: r.get(first + 3)?,
        })
    }
}

/// One post's gains on one day.
#[derive(Debug, Clone)]
pub struct PostDay {
    pub post_id: PostId,
    pub business_id: Option<BusinessId>,
    pub platform: Platform,
    pub gains: Gains,
}

/// One post's gains over the period, with what a report shows of it.
#[derive(Debug, Clone)]
pub struct PostGain {
    pub platform: Platform,
    pub platform_post_id: String,
    pub business_id: Option<BusinessId>,
    pub account: Option<String>,
    pub permalink: Option<String>,
    /// The first 200 characters.
    pub caption: Option<String>,
    pub posted_at: Option<i64>,
    pub deleted: bool,
    pub gains: Gains,
}

/// Gains of every registered business on one campaign day and platform.
#[derive(Debug, Clone)]
pub struct DayGain {
    pub day: Date,
    pub platform: Platform,
    pub gains: Gains,
}

/// Posts published in a period by one account (or by no known account).
#[derive(Debug, Clone)]
pub struct Published {
    pub business_id: Option<BusinessId>,
    pub account_id: Option<AccountId>,
    pub platform: Platform,
    pub posts: i64,
}

/// A registered account's followers at the three instants a report compares.
#[derive(Debug, Clone)]
pub struct AccountFollowers {
    pub account_id: AccountId,
    pub business_id: Option<BusinessId>,
    pub platform: Platform,
    pub handle: String,
    pub display_name: Option<String>,
    /// At the previous period's start, this period's start, and its end.
    pub at: [Option<i64>; 3],
}

/// An account outside the registry that used the hashtag in the period.
#[derive(Debug, Clone)]
pub struct Outsider {
    pub account_id: AccountId,
    pub gains: Gains,
}

pub(super) fn platform_of(r: &Row, i: usize) -> rusqlite::Result<Platform> {
    let s: String = r.get(i)?;
    s.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown platform {s:?}").into(),
        )
    })
}

/// A row of day, platform and the four gains.
fn day_gain(r: &Row) -> rusqlite::Result<DayGain> {
    Ok(DayGain {
        day: date_of(r, 0)?,
        platform: platform_of(r, 1)?,
        gains: Gains::from_row(r, 2)?,
    })
}

/// A campaign day as SQL holds it: `YYYY-MM-DD`.
pub(super) fn sql_day(d: Date) -> String {
    d.to_string()
}

/// Column `i`, a `YYYY-MM-DD` day.
pub(super) fn date_of(r: &Row, i: usize) -> rusqlite::Result<Date> {
    let s: String = r.get(i)?;
    s.parse().map_err(|e: jiff::Error| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("day {s:?}: {e}").into(),
        )
    })
}

pub(super) fn name(platform: Option<Platform>) -> Option<&'static str> {
    platform.map(Platform::as_str)
}

impl Store {
    /// The campaign's UTC offset in seconds, which cuts its days.
    pub fn utc_offset(&self) -> i32 {
        self.utc_offset
    }

    /// Every post's gains over the days `from..=to`, one row per post and day, handed
    /// to `each` as read (a day of a large campaign is hundreds of thousands of rows:
    /// not collected first).
    pub fn post_gains(
        &self,
        from: Date,
        to: Date,
        platform: Option<Platform>,
        mut each: impl FnMut(PostDay),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT post_id, business_id, platform, likes - start_likes, comments - start_comments,
                    shares - start_shares, views - start_views
             FROM post_days
             WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR platform = ?3)",
        )?;
        let rows = stmt.query_map(params![sql_day(from), sql_day(to), name(platform)], |r| {
            Ok(PostDay {
                post_id: r.get(0)?,
                business_id: r.get(1)?,
                platform: platform_of(r, 2)?,
                gains: Gains::from_row(r, 3)?,
            })
        })?;
        for row in rows {
            each(row?);
        }
        Ok(())
    }

    /// Gains of all registered businesses per day and platform over `from..=to`, from
    /// the `day_totals` the triggers keep.
    pub fn daily_gains(
        &self,
        from: Date,
        to: Date,
        platform: Option<Platform>,
    ) -> Result<Vec<DayGain>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, platform,
                    CASE WHEN likes_known > 0 THEN likes END,
                    CASE WHEN comments_known > 0 THEN comments END,
                    CASE WHEN shares_known > 0 THEN shares END,
                    CASE WHEN views_known > 0 THEN views END
             FROM day_totals
             WHERE day BETWEEN ?1 AND ?2 AND registered = 1 AND posts > 0
               AND (?3 IS NULL OR platform = ?3)
             ORDER BY day, platform",
        )?;
        let rows = stmt.query_map(
            params![sql_day(from), sql_day(to), name(platform)],
            day_gain,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Gains of the businesses `ids` per day and platform over `from..=to`, from the
    /// `business_days` the triggers keep (a drill-down's trend; days without a changed
    /// post are left out, as in [`Store::daily_gains`]).
    pub fn scoped_daily_gains(
        &self,
        from: Date,
        to: Date,
        platform: Option<Platform>,
        ids: &[BusinessId],
    ) -> Result<Vec<DayGain>, StoreError> {
        let ids = serde_json::to_string(ids).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, platform,
                    CASE WHEN sum(likes_known) > 0 THEN sum(likes) END,
                    CASE WHEN sum(comments_known) > 0 THEN sum(comments) END,
                    CASE WHEN sum(shares_known) > 0 THEN sum(shares) END,
                    CASE WHEN sum(views_known) > 0 THEN sum(views) END
             FROM business_days
             WHERE day BETWEEN ?1 AND ?2 AND changed > 0
               AND business_id IN (SELECT value FROM json_each(?4))
               AND (?3 IS NULL OR platform = ?3)
             GROUP BY day, platform
             ORDER BY day, platform",
        )?;
        let rows = stmt.query_map(
            params![sql_day(from), sql_day(to), name(platform), ids],
            day_gain,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The follower figures of accounts `ids` taken in `[start, end)`, oldest first:
    /// (account, taken at, followers).
    pub fn follower_history(
        &self,
        ids: &[AccountId],
        start: i64,
        end: i64,
    ) -> Result<Vec<(AccountId, i64, Option<i64>)>, StoreError> {
        let ids = serde_json::to_string(ids).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT account_id, taken_at, followers FROM account_snapshots
             WHERE account_id IN (SELECT value FROM json_each(?1))
               AND taken_at >= ?2 AND taken_at < ?3
             ORDER BY taken_at, account_id",
        )?;
        let rows = stmt.query_map(params![ids, start, end], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What a report shows of the posts `ids`, with the given gains.
    pub fn post_details(&self, ids: &[(PostId, Gains)]) -> Result<Vec<PostGain>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.platform, p.platform_post_id, p.business_id, a.handle, p.permalink,
                    substr(p.caption, 1, 200), p.posted_at, p.deleted_at IS NOT NULL
             FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
             WHERE p.id = ?1",
        )?;
        let mut out = Vec::new();
        for (id, gains) in ids {
            out.push(stmt.query_row([id], |r| {
                Ok(PostGain {
                    platform: platform_of(r, 0)?,
                    platform_post_id: r.get(1)?,
                    business_id: r.get(2)?,
                    account: r.get(3)?,
                    permalink: r.get(4)?,
                    caption: r.get(5)?,
                    posted_at: r.get(6)?,
                    deleted: r.get(7)?,
                    gains: *gains,
                })
            })?);
        }
        Ok(out)
    }

    /// Posts published in `[start, end)` per account (registered or not).
    pub fn published(
        &self,
        start: i64,
        end: i64,
        platform: Option<Platform>,
    ) -> Result<Vec<Published>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT business_id, account_id, platform, count(*)
             FROM posts
             WHERE posted_at >= ?1 AND posted_at < ?2 AND (?3 IS NULL OR platform = ?3)
             GROUP BY business_id, account_id, platform",
        )?;
        let rows = stmt.query_map(params![start, end, name(platform)], |r| {
            Ok(Published {
                business_id: r.get(0)?,
                account_id: r.get(1)?,
                platform: platform_of(r, 2)?,
                posts: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Followers of accounts (registered ones, or those in `ids`) at three instants: the
    /// latest figure taken before each.
    pub fn followers_at(
        &self,
        at: [i64; 3],
        platform: Option<Platform>,
        ids: Option<&[AccountId]>,
    ) -> Result<Vec<AccountFollowers>, StoreError> {
        let ids = ids.map(|ids| serde_json::to_string(ids).unwrap_or_default());
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.business_id, a.platform, a.handle, a.display_name,
                    (SELECT followers FROM account_snapshots s WHERE s.account_id = a.id AND s.taken_at < ?1
                      ORDER BY s.taken_at DESC LIMIT 1),
                    (SELECT followers FROM account_snapshots s WHERE s.account_id = a.id AND s.taken_at < ?2
                      ORDER BY s.taken_at DESC LIMIT 1),
                    (SELECT followers FROM account_snapshots s WHERE s.account_id = a.id AND s.taken_at < ?3
                      ORDER BY s.taken_at DESC LIMIT 1)
             FROM accounts a
             WHERE (?4 IS NULL OR a.platform = ?4)
               AND (CASE WHEN ?5 IS NULL THEN a.business_id IS NOT NULL
                         ELSE a.id IN (SELECT value FROM json_each(?5)) END)",
        )?;
        let rows = stmt.query_map(params![at[0], at[1], at[2], name(platform), ids], |r| {
            Ok(AccountFollowers {
                account_id: r.get(0)?,
                business_id: r.get(1)?,
                platform: platform_of(r, 2)?,
                handle: r.get(3)?,
                display_name: r.get(4)?,
                at: [r.get(5)?, r.get(6)?, r.get(7)?],
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Gains over `from..=to` of posts outside the registry, per account.
    pub fn outsider_gains(
        &self,
        from: Date,
        to: Date,
        platform: Option<Platform>,
    ) -> Result<Vec<Outsider>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.account_id, sum(d.likes - d.start_likes), sum(d.comments - d.start_comments),
                    sum(d.shares - d.start_shares), sum(d.views - d.start_views)
             FROM post_days d JOIN posts p ON p.id = d.post_id
             WHERE d.day BETWEEN ?1 AND ?2 AND d.business_id IS NULL
               AND (?3 IS NULL OR d.platform = ?3) AND p.account_id IS NOT NULL
             GROUP BY p.account_id",
        )?;
        let rows = stmt.query_map(params![sql_day(from), sql_day(to), name(platform)], |r| {
            Ok(Outsider {
                account_id: r.get(0)?,
                gains: Gains::from_row(r, 1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What posts no account is known for yet gained over `from..=to` (Instagram hashtag
    /// media until Business Discovery lists them): never in a business's figures.
    pub fn unattributed_gains(
        &self,
        from: Date,
        to: Date,
        platform: Option<Platform>,
    ) -> Result<Gains, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*), sum(d.likes - d.start_likes), sum(d.comments - d.start_comments),
                    sum(d.shares - d.start_shares), sum(d.views - d.start_views)
             FROM post_days d JOIN posts p ON p.id = d.post_id
             WHERE d.day BETWEEN ?1 AND ?2 AND d.business_id IS NULL
               AND (?3 IS NULL OR d.platform = ?3) AND p.account_id IS NULL",
        )?;
        Ok(
            stmt.query_row(params![sql_day(from), sql_day(to), name(platform)], |r| {
                let rows: i64 = r.get(0)?;
                if rows == 0 {
                    Ok(Gains::ZERO)
                } else {
                    Gains::from_row(r, 1)
                }
            })?,
        )
    }
}
