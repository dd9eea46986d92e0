//! What the platforms were seen to report: posts, their counts over time, accounts.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::rollup::{DayPost, Days, Latest, record_day, tracking_start};
use super::{Store, StoreError};
use crate::platform::{AccountRef, AccountStats, Platform, Post};

/// What one ingested batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestSummary {
    pub new_posts: u64,
    pub snapshots: u64,
    pub unchanged: u64,
}

fn count(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// Finds the account by platform id, then by handle; creates it as discovered when the
/// platform names someone jempol has not seen. Learns missing ids and names on the way.
fn account_id(
    tx: &Transaction,
    platform: Platform,
    account: &AccountRef,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let p = platform.as_str();
    let mut found: Option<i64> = None;
    if let Some(uid) = &account.platform_user_id {
        found = tx
            .prepare_cached(
                "SELECT id FROM accounts WHERE platform = ?1 AND platform_user_id = ?2",
            )?
            .query_row(params![p, uid], |r| r.get(0))
            .optional()?;
    }
    // A channel or page registered by its id has that id as its handle.
    if found.is_none()
        && let Some(handle) = account
            .handle
            .as_ref()
            .or(account.platform_user_id.as_ref())
    {
        found = tx
            .prepare_cached("SELECT id FROM accounts WHERE platform = ?1 AND handle = ?2")?
            .query_row(params![p, handle], |r| r.get(0))
            .optional()?;
    }
    match found {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE accounts SET platform_user_id = COALESCE(platform_user_id, ?2),
                        display_name = COALESCE(?3, display_name)
                 WHERE id = ?1 AND (platform_user_id IS NULL AND ?2 IS NOT NULL
                                    OR ?3 IS NOT NULL AND display_name IS NOT ?3)",
            )?
            .execute(params![id, account.platform_user_id, account.display_name])?;
            Ok(Some(id))
        }
        None => {
            let Some(handle) = account
                .handle
                .as_ref()
                .or(account.platform_user_id.as_ref())
            else {
                return Ok(None);
            };
            tx.prepare_cached(
                "INSERT INTO accounts (platform, handle, platform_user_id, display_name, origin, first_seen_at)
                 VALUES (?1, ?2, ?3, ?4, 'discovered', ?5)",
            )?
            .execute(params![p, handle, account.platform_user_id, account.display_name, now])?;
            Ok(Some(tx.last_insert_rowid()))
        }
    }
}

impl Store {
    /// Records posts as seen at `now` (Unix seconds) in one transaction. A post's first
    /// sighting and any change of a count write a snapshot; an unchanged post only gets
    /// its `last_refreshed_at`. Replaying the same batch changes nothing else.
    pub fn record_posts(&mut self, posts: &[Post], now: i64) -> Result<IngestSummary, StoreError> {
        let offset = self.utc_offset;
        let tx = self.conn.transaction()?;
        let summary = record_posts_tx(&tx, offset, posts, now)?;
        tx.commit()?;
        Ok(summary)
    }

    /// Records account figures seen at `now`; a snapshot only when a figure changed.
    pub fn record_account_stats(
        &mut self,
        stats: &[AccountStats],
        now: i64,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let written = record_stats_tx(&tx, stats, now)?;
        tx.commit()?;
        Ok(written)
    }

    /// Marks posts the platform no longer serves as deleted at `now`. They and their
    /// snapshots stay. Returns how many were newly marked.
    pub fn mark_deleted(
        &mut self,
        platform: Platform,
        ids: &[String],
        now: i64,
    ) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let mut marked = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE posts SET deleted_at = ?3
                 WHERE platform = ?1 AND platform_post_id = ?2 AND deleted_at IS NULL",
            )?;
            for id in ids {
                marked += stmt.execute(params![platform.as_str(), id, now])? as u64;
            }
        }
        tx.commit()?;
        Ok(marked)
    }
}

/// Records posts inside an open transaction (see [`Store::record_posts`]).
pub(super) fn record_posts_tx(
    tx: &Transaction,
    utc_offset: i32,
    posts: &[Post],
    now: i64,
) -> Result<IngestSummary, StoreError> {
    let mut summary = IngestSummary::default();
    let mut days = Days::new(utc_offset);
    // A page names few accounts many times: look each up once per batch.
    let mut accounts: HashMap<(Platform, Option<String>, Option<String>), Option<i64>> =
        HashMap::new();
    let mut known = known_posts(tx, posts)?;
    let mut starts: HashMap<Platform, i64> = HashMap::new();
    let mut insert = tx.prepare_cached(
        "INSERT INTO posts (platform, platform_post_id, account_id, business_id, permalink,
                            caption, media_type, posted_at, first_seen_at, last_refreshed_at)
         VALUES (?1, ?2, ?3, (SELECT business_id FROM accounts WHERE id = ?3), ?4, ?5, ?6, ?7, ?8, ?8)",
    )?;
    // Fill what an earlier, thinner response lacked (hashtag media have no owner); a
    // post seen again is evidently not deleted.
    let mut update = tx.prepare_cached(
        "UPDATE posts SET
            account_id = COALESCE(account_id, ?2),
            business_id = COALESCE(business_id, (SELECT business_id FROM accounts WHERE id = COALESCE(account_id, ?2))),
            permalink = COALESCE(?3, permalink),
            caption = COALESCE(?4, caption),
            media_type = COALESCE(?5, media_type),
            posted_at = COALESCE(?6, posted_at),
            last_refreshed_at = max(last_refreshed_at, ?7),
            deleted_at = NULL
         WHERE id = ?1",
    )?;
    // A complete, live row only needs its refresh time.
    let mut touch = tx.prepare_cached(
        "UPDATE posts SET last_refreshed_at = max(last_refreshed_at, ?2) WHERE id = ?1",
    )?;
    // The same, for a post whose counts changed.
    let mut touch_counted = tx.prepare_cached(
        "UPDATE posts SET last_refreshed_at = max(last_refreshed_at, ?2),
                          likes = ?3, comments = ?4, shares = ?5, views = ?6, counted_at = ?2
         WHERE id = ?1",
    )?;
    // Rows in storage order: a refresh batch names posts scattered over the tables, and
    // visiting them in row order dirties each page once and lets the small page cache
    // write them back in sequence (a 22k-post TikTok refresh: 2.7 s -> 1.9 s). Stable, so a
    // post listed twice keeps its order; new posts go last, as they came.
    let mut order: Vec<&Post> = posts.iter().collect();
    if !known.is_empty() {
        let rows: Vec<i64> = posts
            .iter()
            .map(|p| {
                known
                    .get(&(p.platform, p.id.clone()))
                    .map_or(i64::MAX, |k| k.id)
            })
            .collect();
        if !rows.is_sorted() {
            let mut by_row: Vec<(i64, &Post)> = rows.into_iter().zip(posts).collect();
            by_row.sort_by_key(|(row, _)| *row);
            order = by_row.into_iter().map(|(_, p)| p).collect();
        }
    }
    for post in order {
        let account = match &post.account {
            Some(a) => {
                let key = (post.platform, a.handle.clone(), a.platform_user_id.clone());
                match accounts.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = account_id(tx, post.platform, a, now)?;
                        accounts.insert(key, id);
                        id
                    }
                }
            }
            None => None,
        };
        let posted_at = post.posted_at.map(|t| t.as_second());
        let counts = [
            post.counts.likes,
            post.counts.comments,
            post.counts.shares,
            post.counts.views,
        ]
        .map(count);
        let key = (post.platform, post.id.clone());
        let (post_id, last, business) = match known.get(&key) {
            Some(&Known {
                id,
                last,
                complete: true,
                business,
            }) => (id, last, Some(business)),
            Some(&Known {
                id,
                last,
                complete: false,
                ..
            }) => {
                update.execute(params![
                    id,
                    account,
                    post.permalink,
                    post.caption,
                    post.media_type,
                    posted_at,
                    now
                ])?;
                (id, last, None)
            }
            None => {
                insert.execute(params![
                    post.platform.as_str(),
                    post.id,
                    account,
                    post.permalink,
                    post.caption,
                    post.media_type,
                    posted_at,
                    now
                ])?;
                summary.new_posts += 1;
                (tx.last_insert_rowid(), None, None)
            }
        };
        let changed = last.is_none_or(|l| l.counts != counts);
        // A snapshot older than the latest (a clock set back) is kept but not latest.
        let newest = last.is_none_or(|l| l.at <= now);
        if changed {
            write_snapshot(tx, post_id, &counts, now)?;
            let started = match starts.get(&post.platform) {
                Some(t) => *t,
                None => {
                    let t = tracking_start(tx, post.platform, now)?;
                    starts.insert(post.platform, t);
                    t
                }
            };
            let day_post = DayPost {
                id: post_id,
                platform: post.platform,
                business: business.flatten(),
                business_known: business.is_some(),
                posted_at,
                tracking_start: started,
            };
            record_day(tx, &mut days, &day_post, last.as_ref(), &counts, now)?;
            summary.snapshots += 1;
        } else {
            summary.unchanged += 1;
        }
        if changed && newest {
            touch_counted.execute(params![
                post_id, now, counts[0], counts[1], counts[2], counts[3]
            ])?;
        } else {
            touch.execute(params![post_id, now])?;
        }
        // The same post twice in one batch (duplicate items) compares with itself.
        let latest = if newest {
            Latest { at: now, counts }
        } else {
            last.unwrap_or(Latest { at: now, counts })
        };
        known.insert(
            key,
            Known {
                id: post_id,
                last: Some(latest),
                complete: false,
                business: None,
            },
        );
    }
    Ok(summary)
}

/// A stored post as a batch finds it.
#[derive(Clone, Copy)]
struct Known {
    id: i64,
    /// Its latest snapshot, if it has one.
    last: Option<Latest>,
    /// Nothing to fill in (owner, texts, time) and not marked deleted.
    complete: bool,
    /// Its business (final when `complete`).
    business: Option<i64>,
}

/// The batch's posts already stored, with their latest counts: one query per platform
/// instead of one per post.
fn known_posts(
    tx: &Transaction,
    posts: &[Post],
) -> Result<HashMap<(Platform, String), Known>, StoreError> {
    let mut known = HashMap::new();
    for platform in Platform::ALL {
        let ids: Vec<&str> = posts
            .iter()
            .filter(|p| p.platform == platform)
            .map(|p| p.id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let ids = serde_json::to_string(&ids).unwrap_or_default();
        let mut stmt = tx.prepare_cached(
            "SELECT p.platform_post_id, p.id, p.likes, p.comments, p.shares, p.views, p.counted_at,
                    p.deleted_at IS NULL AND p.account_id IS NOT NULL
                    AND p.posted_at IS NOT NULL AND p.caption IS NOT NULL AND p.permalink IS NOT NULL,
                    p.business_id
             FROM posts p
             WHERE p.platform = ?1 AND p.platform_post_id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = stmt.query_map(params![platform.as_str(), ids], |r| {
            let at: Option<i64> = r.get(6)?;
            let counts: [Option<i64>; 4] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
            Ok((
                r.get::<_, String>(0)?,
                Known {
                    id: r.get(1)?,
                    last: at.map(|at| Latest { at, counts }),
                    complete: r.get(7)?,
                    business: r.get(8)?,
                },
            ))
        })?;
        for row in rows {
            let (id, k) = row?;
            known.insert((platform, id), k);
        }
    }
    Ok(known)
}

/// Records account figures inside an open transaction; returns the snapshots written.
pub(super) fn record_stats_tx(
    tx: &Transaction,
    stats: &[AccountStats],
    now: i64,
) -> Result<u64, StoreError> {
    let mut written = 0;
    let mut started: Vec<Platform> = Vec::new();
    for s in stats {
        if !started.contains(&s.platform) {
            tracking_start(tx, s.platform, now)?;
            started.push(s.platform);
        }
        let Some(id) = account_id(tx, s.platform, &s.account, now)? else {
            continue;
        };
        let values = [
            s.followers,
            s.following,
            s.media_count,
            s.total_likes,
            s.total_views,
        ]
        .map(count);
        let last: Option<[Option<i64>; 5]> = tx
            .prepare_cached(
                "SELECT followers, following, media_count, total_likes, total_views
                 FROM account_snapshots WHERE account_id = ?1 ORDER BY taken_at DESC LIMIT 1",
            )?
            .query_row([id], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
            })
            .optional()?;
        if last != Some(values) {
            tx.prepare_cached(
                "INSERT INTO account_snapshots (account_id, taken_at, followers, following, media_count, total_likes, total_views)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (account_id, taken_at) DO UPDATE SET
                    followers = excluded.followers, following = excluded.following,
                    media_count = excluded.media_count, total_likes = excluded.total_likes,
                    total_views = excluded.total_views",
            )?
            .execute(params![id, now, values[0], values[1], values[2], values[3], values[4]])?;
            written += 1;
        }
        tx.prepare_cached("UPDATE accounts SET checked_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
    }
    Ok(written)
}

/// Writes one snapshot (latest wins if two arrive in the same second).
fn write_snapshot(
    tx: &Transaction,
    post_id: i64,
    values: &[Option<i64>; 4],
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO post_snapshots (post_id, taken_at, likes, comments, shares, views)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (post_id, taken_at) DO UPDATE SET
            likes = excluded.likes, comments = excluded.comments,
            shares = excluded.shares, views = excluded.views",
    )?
    .execute(params![
        post_id, now, values[0], values[1], values[2], values[3]
    ])?;
    Ok(())
}
