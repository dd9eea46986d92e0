//! The business registry and the accounts it claims.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::platform::Platform;
use crate::registry::Business;

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Accounts that now belong to a business (new, or discovered earlier and now claimed).
    pub accounts_linked: u64,
    /// Accounts a business no longer lists; kept, with their posts, as not registered.
    pub accounts_released: u64,
}

/// A business as `jempol businesses list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BusinessRow {
    pub key: String,
    pub name: String,
    pub category: Option<String>,
    pub district: Option<String>,
    pub instagram: Option<String>,
    pub tiktok: Option<String>,
    pub facebook: Option<String>,
    pub youtube: Option<String>,
}

impl Store {
    /// Which registered business (by key) claims each handle now.
    pub fn handle_owners(&self) -> Result<HashMap<(Platform, String), String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT a.platform, a.handle, b.key FROM accounts a
             JOIN businesses b ON b.id = a.business_id WHERE a.origin = 'registered'",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut owners = HashMap::new();
        for row in rows {
            let (platform, handle, key) = row?;
            if let Ok(platform) = platform.parse() {
                owners.insert((platform, handle), key);
            }
        }
        Ok(owners)
    }

    /// Creates or updates each business by key, in one transaction. The file is
    /// authoritative for the businesses it lists: a handle left empty releases the
    /// business's account on that platform. Posts follow their account's business.
    pub fn import_businesses(
        &mut self,
        businesses: &[Business],
        now: i64,
    ) -> Result<ImportSummary, StoreError> {
        let tx = self.conn.transaction()?;
        let mut summary = ImportSummary::default();
        {
            let mut find = tx.prepare_cached(
                "SELECT id, name, category, district FROM businesses WHERE key = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO businesses (key, name, category, district, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE businesses SET name = ?2, category = ?3, district = ?4, updated_at = ?5
                 WHERE id = ?1",
            )?;
            let mut claim = tx.prepare_cached(
                "INSERT INTO accounts (platform, handle, business_id, origin, first_seen_at)
                 VALUES (?1, ?2, ?3, 'registered', ?4)
                 ON CONFLICT (platform, handle) DO UPDATE
                    SET business_id = excluded.business_id, origin = 'registered'
                  WHERE business_id IS NOT excluded.business_id OR origin <> 'registered'",
            )?;
            let mut release = tx.prepare_cached(
                "UPDATE accounts SET business_id = NULL, origin = 'discovered'
                 WHERE business_id = ?1 AND platform = ?2 AND handle IS NOT ?3",
            )?;
            for b in businesses {
                type Existing = (i64, String, Option<String>, Option<String>);
                let existing: Option<Existing> = find
                    .query_row([&b.key], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()?;
                let id = match existing {
                    None => {
                        insert.execute(params![b.key, b.name, b.category, b.district, now])?;
                        summary.created += 1;
                        tx.last_insert_rowid()
                    }
                    Some((id, name, category, district)) => {
                        if (name.as_str(), &category, &district)
                            == (b.name.as_str(), &b.category, &b.district)
                        {
                            summary.unchanged += 1;
                        } else {
                            update.execute(params![id, b.name, b.category, b.district, now])?;
                            summary.updated += 1;
                        }
                        id
                    }
                };
                for platform in Platform::ALL {
                    let handle = b.handle(platform);
                    summary.accounts_released +=
                        release.execute(params![id, platform.as_str(), handle])? as u64;
                    if let Some(handle) = handle {
                        summary.accounts_linked +=
                            claim.execute(params![platform.as_str(), handle, id, now])? as u64;
                    }
                }
            }
        }
        // Posts follow their account: claimed accounts bring their earlier posts along.
        tx.execute(
            "UPDATE posts SET business_id = (SELECT business_id FROM accounts WHERE id = posts.account_id)
             WHERE business_id IS NOT (SELECT business_id FROM accounts WHERE id = posts.account_id)",
            [],
        )?;
        tx.commit()?;
        Ok(summary)
    }

    /// Every registered business with its handles, ordered by key.
    pub fn list_businesses(&self) -> Result<Vec<BusinessRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT b.key, b.name, b.category, b.district,
                    max(CASE a.platform WHEN 'instagram' THEN a.handle END),
                    max(CASE a.platform WHEN 'tiktok' THEN a.handle END),
                    max(CASE a.platform WHEN 'facebook' THEN a.handle END),
                    max(CASE a.platform WHEN 'youtube' THEN a.handle END)
             FROM businesses b
             LEFT JOIN accounts a ON a.business_id = b.id AND a.origin = 'registered'
             GROUP BY b.id ORDER BY b.key",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(BusinessRow {
                key: r.get(0)?,
                name: r.get(1)?,
                category: r.get(2)?,
                district: r.get(3)?,
                instagram: r.get(4)?,
                tiktok: r.get(5)?,
                facebook: r.get(6)?,
                youtube: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
