//! Forward-only migrations read from `schema.sql` (see the header of that file).

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The whole schema, embedded at build time.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

// Markers count only at the start of a line (the file's header mentions them in prose).
const STEP_MARK: &str = "\n-- @migration ";
const VIEWS_MARK: &str = "\n-- @views";

/// One numbered step of `schema.sql`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub version: u32,
    pub sql: &'static str,
}

/// The steps in order and the views section. The file is part of the binary, so a
/// malformed layout is a build defect that the unit tests catch.
pub fn parse_schema() -> (Vec<Step>, &'static str) {
    let views_at = SCHEMA_SQL.find(VIEWS_MARK).unwrap_or(SCHEMA_SQL.len());
    let (steps_text, views) = SCHEMA_SQL.split_at(views_at);
    let mut steps = Vec::new();
    let mut rest = steps_text;
    while let Some(start) = rest.find(STEP_MARK) {
        let after = &rest[start + STEP_MARK.len()..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let version: u32 = after[..line_end].trim().parse().unwrap_or(0);
        let body = &after[line_end..];
        let end = body.find(STEP_MARK).unwrap_or(body.len());
        steps.push(Step {
            version,
            sql: &body[..end],
        });
        rest = &body[end..];
    }
    (steps, views)
}

/// The schema version this binary writes.
pub fn latest_version() -> u32 {
    parse_schema().0.last().map_or(0, |s| s.version)
}

/// What a migration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub from: u32,
    pub to: u32,
}

/// Brings the database to `target` (the latest version when `None`) in one transaction.
/// Views are (re)created only when reaching the latest version.
pub fn migrate(conn: &mut Connection, target: Option<u32>) -> Result<Migration, StoreError> {
    let latest = latest_version();
    let target = target.unwrap_or(latest).min(latest);
    let current = user_version(conn)?;
    refuse_newer(current)?;
    if current >= target {
        return Ok(Migration {
            from: current,
            to: current,
        });
    }
    // IMMEDIATE takes the write lock first, so two processes opening a new file at once
    // cannot both apply step 1; the version is read again under the lock.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let (steps, views) = parse_schema();
    for step in steps
        .iter()
        .filter(|s| s.version > from && s.version <= target)
    {
        tx.execute_batch(step.sql)
            .map_err(|source| StoreError::Migration {
                version: step.version,
                source,
            })?;
    }
    if target == latest {
        tx.execute_batch(views)
            .map_err(|source| StoreError::Migration {
                version: latest,
                source,
            })?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(Migration {
        from: from.max(current),
        to: target,
    })
}

/// A file of a schema newer than this binary's is never opened, not even to read.
pub(super) fn refuse_newer(found: u32) -> Result<(), StoreError> {
    let known = latest_version();
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    Ok(())
}

pub(super) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_file_has_consecutive_steps_and_views() {
        let (steps, views) = parse_schema();
        assert!(!steps.is_empty());
        for (i, step) in steps.iter().enumerate() {
            assert_eq!(
                step.version as usize,
                i + 1,
                "steps must be numbered 1, 2, ..."
            );
            assert!(step.sql.contains("CREATE") || step.sql.contains("ALTER"));
        }
        assert!(views.contains("CREATE VIEW posts_latest"));
    }
}
