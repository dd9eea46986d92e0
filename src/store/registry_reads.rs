//! The registry as reports read it: each business with its accounts and first posts.

use rusqlite::params;

use super::gains::name;
use super::{Store, StoreError};
use crate::model::BusinessId;
use crate::platform::Platform;

/// A registered business as a report lists it.
#[derive(Debug, Clone)]
pub struct RegistryEntry {
    pub id: BusinessId,
    pub key: String,
    pub name: String,
    pub category: Option<String>,
    pub district: Option<String>,
    pub platforms: Vec<Platform>,
    /// When its first tagged post was published.
    pub first_post_at: Option<i64>,
    /// Whether jempol had seen a tagged post of it by the period's end.
    pub seen_by_end: bool,
}

impl Store {
    /// Every registered business with its platforms, its first tagged post, and whether
    /// jempol had seen a tagged post of it before `end`.
    pub fn registry_entries(
        &self,
        platform: Option<Platform>,
        end: i64,
    ) -> Result<Vec<RegistryEntry>, StoreError> {
        // Correlated lookups: each an index seek (posts_business) per business.
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.id, b.key, b.name, b.category, b.district,
                    (SELECT group_concat(a.platform, ',') FROM accounts a
                      WHERE a.business_id = b.id AND (?1 IS NULL OR a.platform = ?1)),
                    (SELECT min(posted_at) FROM posts p
                      WHERE p.business_id = b.id AND p.posted_at IS NOT NULL
                        AND (?1 IS NULL OR p.platform = ?1)),
                    EXISTS (SELECT 1 FROM posts p
                             WHERE p.business_id = b.id AND p.first_seen_at < ?2
                               AND (?1 IS NULL OR p.platform = ?1))
             FROM businesses b
             ORDER BY b.key",
        )?;
        let rows = stmt.query_map(params![name(platform), end], |r| {
            let platforms: Option<String> = r.get(5)?;
            let mut platforms: Vec<Platform> = platforms
                .unwrap_or_default()
                .split(',')
                .filter_map(|p| p.parse().ok())
                .collect();
            platforms.sort();
            Ok(RegistryEntry {
                id: r.get(0)?,
                key: r.get(1)?,
                name: r.get(2)?,
                category: r.get(3)?,
                district: r.get(4)?,
                platforms,
                first_post_at: r.get(6)?,
                seen_by_end: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The distinct values of one registry field (keys, districts or categories), in
    /// order: what a drill-down may name.
    pub fn registry_values(&self, field: RegistryField) -> Result<Vec<String>, StoreError> {
        let sql = match field {
            RegistryField::Key => "SELECT key FROM businesses ORDER BY key",
            RegistryField::District => {
                "SELECT DISTINCT district FROM businesses WHERE district IS NOT NULL ORDER BY district"
            }
            RegistryField::Category => {
                "SELECT DISTINCT category FROM businesses WHERE category IS NOT NULL ORDER BY category"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A registry field a report can be narrowed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryField {
    Key,
    District,
    Category,
}
