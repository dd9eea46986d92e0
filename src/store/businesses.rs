//! The business registry and the accounts it claims.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Store, StoreError};
use crate::platform::Platform;
use crate::registry::{Business, InvalidRow, Row};

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

/// What an import does with the rows it staged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// Write the valid rows even if some are invalid (else one invalid row writes nothing).
    pub skip_invalid: bool,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// What an import found, and what it wrote (`None`: nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub valid: u64,
    pub invalid: u64,
    pub written: Option<ImportSummary>,
}

/// The rows of one import while it is checked, in the connection's temporary database
/// (on disk beyond a small cache), so that a registry of any size is checked in flat
/// memory. Created inside the import's transaction, so a failed import leaves none.
const STAGING: &str = "
CREATE TEMP TABLE import_rows (
    line INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    category TEXT, district TEXT);
CREATE TEMP TABLE import_handles (
    line INTEGER NOT NULL, platform TEXT NOT NULL, handle TEXT NOT NULL,
    PRIMARY KEY (platform, handle));
CREATE INDEX temp.import_handles_line ON import_handles(line);
CREATE TEMP TABLE import_invalid (line INTEGER NOT NULL, reason TEXT NOT NULL);
";

impl Store {
    /// Imports a registry in one transaction: every row is staged and checked first (a
    /// key or a handle listed twice: the first row keeps it; a handle that the database
    /// gives a business this file does not list), each invalid row is handed to
    /// `on_invalid` in line order, and then, as `plan` says, the valid rows are written
    /// or nothing is. The file is authoritative for the businesses it lists: a handle
    /// left empty releases the business's account on that platform. Posts follow their
    /// account's business.
    pub fn import_registry(
        &mut self,
        rows: impl Iterator<Item = Row>,
        now: i64,
        plan: ImportPlan,
        mut on_invalid: impl FnMut(&InvalidRow),
    ) -> Result<ImportOutcome, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(STAGING)?;
        stage(&tx, rows)?;
        reject_claimed_elsewhere(&tx)?;
        let mut outcome = ImportOutcome {
            valid: tx.query_row("SELECT count(*) FROM import_rows", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
            ..ImportOutcome::default()
        };
        {
            let mut stmt = tx.prepare("SELECT line, reason FROM import_invalid ORDER BY line")?;
            let mut invalid = stmt.query([])?;
            while let Some(r) = invalid.next()? {
                outcome.invalid += 1;
                on_invalid(&InvalidRow {
                    line: r.get::<_, i64>(0)? as u64,
                    reason: r.get(1)?,
                });
            }
        }
        if plan.dry_run || outcome.invalid > 0 && !plan.skip_invalid {
            return Ok(outcome); // the transaction rolls back, staging and all
        }
        outcome.written = Some(apply_staged(&tx, now)?);
        tx.execute_batch(
            "DROP TABLE temp.import_rows; DROP TABLE temp.import_handles; DROP TABLE temp.import_invalid;",
        )?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Imports businesses known to be valid (tests, the demo); a row that conflicts
    /// with another is skipped, as `--skip-invalid` does.
    pub fn import_businesses(
        &mut self,
        businesses: &[Business],
        now: i64,
    ) -> Result<ImportSummary, StoreError> {
        let rows = businesses.iter().enumerate().map(|(i, b)| Row::Valid {
            line: i as u64 + 2,
            business: b.clone(),
        });
        let plan = ImportPlan {
            skip_invalid: true,
            dry_run: false,
        };
        let outcome = self.import_registry(rows, now, plan, |bad| {
            tracing::warn!(line = bad.line, reason = %bad.reason, "business skipped");
        })?;
        Ok(outcome.written.unwrap_or_default())
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

/// Stages each row, or why it cannot be imported.
fn stage(tx: &Transaction, rows: impl Iterator<Item = Row>) -> Result<(), StoreError> {
    let mut invalid =
        tx.prepare_cached("INSERT INTO import_invalid (line, reason) VALUES (?1, ?2)")?;
    let mut key_line = tx.prepare("SELECT line FROM import_rows WHERE key = ?1")?;
    let mut handle_owner = tx.prepare(
        "SELECT h.line, r.key FROM import_handles h JOIN import_rows r ON r.line = h.line
         WHERE h.platform = ?1 AND h.handle = ?2",
    )?;
    let mut row = tx.prepare(
        "INSERT INTO import_rows (line, key, name, category, district) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut handle =
        tx.prepare("INSERT INTO import_handles (line, platform, handle) VALUES (?1, ?2, ?3)")?;
    for r in rows {
        let (line, b) = match r {
            Row::Invalid(bad) => {
                invalid.execute(params![bad.line as i64, bad.reason])?;
                continue;
            }
            Row::Valid { line, business } => (line, business),
        };
        let mut reasons = Vec::new();
        if let Some(first) = key_line
            .query_row([&b.key], |r| r.get::<_, i64>(0))
            .optional()?
        {
            reasons.push(format!("duplicate key {:?} (first on line {first})", b.key));
        }
        for (platform, h) in &b.handles {
            if let Some((other_line, other_key)) = handle_owner
                .query_row(params![platform.as_str(), h], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
            {
                reasons.push(format!(
                    "{platform} handle {h:?} is already claimed by {other_key:?} on line {other_line}"
                ));
            }
        }
        if !reasons.is_empty() {
            invalid.execute(params![line as i64, reasons.join("; ")])?;
            continue;
        }
        row.execute(params![line as i64, b.key, b.name, b.category, b.district])?;
        for (platform, h) in &b.handles {
            handle.execute(params![line as i64, platform.as_str(), h])?;
        }
    }
    Ok(())
}

/// Moves to the invalid rows every staged business that claims a handle the database
/// gives to a business this file does not list (a listed one may give its handle away
/// in the same import).
fn reject_claimed_elsewhere(tx: &Transaction) -> Result<(), StoreError> {
    let mut conflicts: Vec<(i64, String)> = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT h.line, h.platform, h.handle, b.key
             FROM import_handles h
             JOIN import_rows r ON r.line = h.line
             JOIN accounts a ON a.platform = h.platform AND a.handle = h.handle
                            AND a.origin = 'registered'
             JOIN businesses b ON b.id = a.business_id
             WHERE b.key <> r.key AND b.key NOT IN (SELECT key FROM import_rows)
             ORDER BY h.line, h.platform",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (line, platform, handle, owner): (i64, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let reason = format!(
                "{platform} handle {handle:?} already belongs to business {owner:?} in the database"
            );
            match conflicts.last_mut() {
                Some((l, text)) if *l == line => {
                    text.push_str("; ");
                    text.push_str(&reason);
                }
                _ => conflicts.push((line, reason)),
            }
        }
    }
    // Few in any real file (each names a handle taken elsewhere), so held here.
    let mut invalid =
        tx.prepare_cached("INSERT INTO import_invalid (line, reason) VALUES (?1, ?2)")?;
    let mut drop_row = tx.prepare("DELETE FROM import_rows WHERE line = ?1")?;
    let mut drop_handles = tx.prepare("DELETE FROM import_handles WHERE line = ?1")?;
    for (line, reason) in conflicts {
        invalid.execute(params![line, reason])?;
        drop_row.execute([line])?;
        drop_handles.execute([line])?;
    }
    Ok(())
}

/// Creates or updates each staged business by key, in line order.
fn apply_staged(tx: &Transaction, now: i64) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let mut staged =
        tx.prepare("SELECT line, key, name, category, district FROM import_rows ORDER BY line")?;
    let mut handles_of =
        tx.prepare("SELECT platform, handle FROM import_handles WHERE line = ?1")?;
    let mut find =
        tx.prepare_cached("SELECT id, name, category, district FROM businesses WHERE key = ?1")?;
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
    let mut rows = staged.query([])?;
    while let Some(r) = rows.next()? {
        let line: i64 = r.get(0)?;
        let (key, name, category, district): (String, String, Option<String>, Option<String>) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let handles: HashMap<String, String> = handles_of
            .query_map([line], |h| Ok((h.get(0)?, h.get(1)?)))?
            .collect::<Result<_, _>>()?;
        type Existing = (i64, String, Option<String>, Option<String>);
        let existing: Option<Existing> = find
            .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let id = match existing {
            None => {
                insert.execute(params![key, name, category, district, now])?;
                summary.created += 1;
                tx.last_insert_rowid()
            }
            Some((id, old_name, old_category, old_district)) => {
                if (&old_name, &old_category, &old_district) == (&name, &category, &district) {
                    summary.unchanged += 1;
                } else {
                    update.execute(params![id, name, category, district, now])?;
                    summary.updated += 1;
                }
                id
            }
        };
        for platform in Platform::ALL {
            let handle = handles.get(platform.as_str());
            summary.accounts_released +=
                release.execute(params![id, platform.as_str(), handle])? as u64;
            if let Some(handle) = handle {
                summary.accounts_linked +=
                    claim.execute(params![platform.as_str(), handle, id, now])? as u64;
            }
        }
    }
    // Posts follow their account: claimed accounts bring their earlier posts along.
    tx.execute(
        "UPDATE posts SET business_id = (SELECT business_id FROM accounts WHERE id = posts.account_id)
         WHERE business_id IS NOT (SELECT business_id FROM accounts WHERE id = posts.account_id)",
        [],
    )?;
    Ok(summary)
}
