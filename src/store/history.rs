//! One business's and one post's figures over time, as the dashboard's pages show them:
//! each read is a few index ranges (a business's rows, a post's snapshots), never a scan
//! of the campaign. Gains come from `business_daily` (unknown before tracking, never 0).

use jiff::civil::Date;
use rusqlite::{OptionalExtension, Row, params};

use super::gains::{date_of, platform_of, sql_day};
use super::{Gains, Store, StoreError};
use crate::model::{AccountId, BusinessId, PostId};
use crate::platform::Platform;

/// A registered business, as its page heads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusinessInfo {
    #[serde(skip)]
    pub id: BusinessId,
    pub key: String,
    pub name: String,
    pub district: Option<String>,
    pub category: Option<String>,
}

/// One of a business's accounts with its latest follower figure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountInfo {
    #[serde(skip)]
    pub id: AccountId,
    pub platform: Platform,
    pub handle: String,
    pub display_name: Option<String>,
    /// `active`, or why jempol stopped reading it (README, "The business registry").
    pub status: String,
    pub followers: Option<i64>,
    /// When that figure was taken (Unix seconds).
    pub followers_at: Option<i64>,
}

/// A business's figures on one platform and campaign day (`business_daily`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusinessDay {
    pub day: Date,
    pub platform: Platform,
    pub posts_published: i64,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    /// Its accounts' followers at the day's end, when a figure was taken that day.
    pub followers: Option<i64>,
}

/// A post with its latest counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PostInfo {
    pub id: PostId,
    pub platform: Platform,
    pub platform_post_id: String,
    #[serde(skip)]
    pub business_id: Option<BusinessId>,
    pub account: Option<String>,
    pub permalink: Option<String>,
    pub caption: Option<String>,
    pub media_type: Option<String>,
    pub posted_at: Option<i64>,
    pub first_seen_at: i64,
    pub deleted_at: Option<i64>,
    /// The latest counts and when they were taken.
    #[serde(flatten)]
    pub counts: Gains,
    pub counted_at: Option<i64>,
}

/// A post's counts as one snapshot took them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Snapshot {
    pub taken_at: i64,
    #[serde(flatten)]
    pub counts: Gains,
}

/// A registered business's standing on one campaign day, for its rank over time:
/// summed over its platforms as `business_daily` sums them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayScore {
    pub day: Date,
    pub business_id: BusinessId,
    pub published: i64,
    pub engagement: Option<i64>,
    pub views: Option<i64>,
}

const POST_COLUMNS: &str = "p.id, p.platform, p.platform_post_id, p.business_id, a.handle,
    p.permalink, p.caption, p.media_type, p.posted_at, p.first_seen_at, p.deleted_at,
    p.likes, p.comments, p.shares, p.views, p.counted_at";

fn post_row(r: &Row) -> rusqlite::Result<PostInfo> {
    Ok(PostInfo {
        id: r.get(0)?,
        platform: platform_of(r, 1)?,
        platform_post_id: r.get(2)?,
        business_id: r.get(3)?,
        account: r.get(4)?,
        permalink: r.get(5)?,
        caption: r.get(6)?,
        media_type: r.get(7)?,
        posted_at: r.get(8)?,
        first_seen_at: r.get(9)?,
        deleted_at: r.get(10)?,
        counts: Gains {
            likes: r.get(11)?,
            comments: r.get(12)?,
            shares: r.get(13)?,
            views: r.get(14)?,
        },
        counted_at: r.get(15)?,
    })
}

impl Store {
    /// The registered business with that key.
    pub fn business_info(&self, key: &str) -> Result<Option<BusinessInfo>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, key, name, district, category FROM businesses WHERE key = ?1",
            )?
            .query_row([key], |r| {
                Ok(BusinessInfo {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    name: r.get(2)?,
                    district: r.get(3)?,
                    category: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// A business's accounts, each with its latest follower figure.
    pub fn business_accounts(&self, business: BusinessId) -> Result<Vec<AccountInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.platform, a.handle, a.display_name, a.status, s.followers, s.taken_at
             FROM accounts a
             LEFT JOIN account_snapshots s ON s.account_id = a.id AND s.taken_at =
                 (SELECT max(taken_at) FROM account_snapshots WHERE account_id = a.id)
             WHERE a.business_id = ?1 ORDER BY a.platform, a.handle",
        )?;
        let rows = stmt.query_map([business], |r| {
            Ok(AccountInfo {
                id: r.get(0)?,
                platform: platform_of(r, 1)?,
                handle: r.get(2)?,
                display_name: r.get(3)?,
                status: r.get(4)?,
                followers: r.get(5)?,
                followers_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A business's rows of `business_daily` for the days `from..=to`, oldest first.
    pub fn business_days_of(
        &self,
        key: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<BusinessDay>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, platform, posts_published, likes_gained, comments_gained,
                    shares_gained, views_gained, engagement_gained, followers
             FROM business_daily WHERE business_key = ?1 AND day >= ?2 AND day <= ?3
             ORDER BY day, platform",
        )?;
        let rows = stmt.query_map(params![key, sql_day(from), sql_day(to)], |r| {
            Ok(BusinessDay {
                day: date_of(r, 0)?,
                platform: platform_of(r, 1)?,
                posts_published: r.get(2)?,
                gains: Gains {
                    likes: r.get(3)?,
                    comments: r.get(4)?,
                    shares: r.get(5)?,
                    views: r.get(6)?,
                },
                engagement: r.get(7)?,
                followers: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A business's tracked posts, newest first, at most `limit`, and how many it has.
    pub fn business_posts(
        &self,
        business: BusinessId,
        limit: usize,
    ) -> Result<(Vec<PostInfo>, i64), StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
             WHERE p.business_id = ?1 ORDER BY p.posted_at DESC, p.id DESC LIMIT ?2"
        ))?;
        let posts = stmt
            .query_map(params![business, limit as i64], post_row)?
            .collect::<Result<_, _>>()?;
        let count = self.conn.query_row(
            "SELECT count(*) FROM posts WHERE business_id = ?1",
            [business],
            |r| r.get(0),
        )?;
        Ok((posts, count))
    }

    /// One post with its latest counts.
    pub fn post_info(&self, id: PostId) -> Result<Option<PostInfo>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id
                 WHERE p.id = ?1"
            ))?
            .query_row([id], post_row)
            .optional()?)
    }

    /// Every snapshot of a post, oldest first.
    pub fn post_snapshots(&self, id: PostId) -> Result<Vec<Snapshot>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT taken_at, likes, comments, shares, views FROM post_snapshots
             WHERE post_id = ?1 ORDER BY taken_at",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(Snapshot {
                taken_at: r.get(0)?,
                counts: Gains {
                    likes: r.get(1)?,
                    comments: r.get(2)?,
                    shares: r.get(3)?,
                    views: r.get(4)?,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every registered business's key, by id.
    pub fn business_keys(
        &self,
    ) -> Result<std::collections::HashMap<BusinessId, String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, key FROM businesses")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every registered business's standing on each day `from..=to` on which it was
    /// active (published or gained), handed to `each` day by day.
    pub fn day_scores(
        &self,
        from: Date,
        to: Date,
        mut each: impl FnMut(DayScore),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, business_id, sum(published),
                    sum(CASE WHEN likes_known + comments_known + shares_known > 0
                             THEN likes + comments + shares END),
                    sum(CASE WHEN views_known > 0 THEN views END)
             FROM business_days WHERE day >= ?1 AND day <= ?2
             GROUP BY day, business_id
             HAVING sum(published) > 0 OR sum(changed) > 0",
        )?;
        let mut rows = stmt.query(params![sql_day(from), sql_day(to)])?;
        while let Some(r) = rows.next()? {
            each(DayScore {
                day: date_of(r, 0)?,
                business_id: r.get(1)?,
                published: r.get(2)?,
                engagement: r.get(3)?,
                views: r.get(4)?,
            });
        }
        Ok(())
    }
}
