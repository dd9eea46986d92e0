//! `jempol businesses import` and `jempol businesses list`.

use std::path::Path;

use anyhow::Context;

use super::{ListFormat, open_store, output};
use crate::registry;
use crate::store::ImportPlan;

/// Rows of an import were invalid and nothing was written.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: {count} invalid row(s); nothing was imported (fix them, or pass --skip-invalid to import the valid rows)"
)]
pub struct ImportRejected {
    pub file: String,
    pub count: u64,
}

/// `jempol businesses import`: the file is read row by row and checked in the
/// database's temporary storage, so memory stays flat however long it is.
pub fn import(config: &Path, file: &Path, skip_invalid: bool, dry_run: bool) -> anyhow::Result<()> {
    // A file that cannot be opened is an input error (exit 2), like a bad row.
    let input = std::fs::File::open(file)
        .map_err(|e| registry::RegistryError::Unreadable(e.to_string()))
        .with_context(|| file.display().to_string())?;
    let rows = registry::reader(input).with_context(|| file.display().to_string())?;
    let (_, mut store) = open_store(config)?;
    let now = jiff::Timestamp::now().as_second();
    let plan = ImportPlan {
        skip_invalid,
        dry_run,
    };
    let outcome = store.import_registry(rows, now, plan, |row| {
        eprintln!("{}:{}: {}", file.display(), row.line, row.reason);
    })?;
    let Some(s) = outcome.written else {
        if dry_run {
            println!(
                "{} valid business(es), {} invalid row(s); nothing written (--dry-run)",
                outcome.valid, outcome.invalid
            );
            return Ok(());
        }
        return Err(ImportRejected {
            file: file.display().to_string(),
            count: outcome.invalid,
        }
        .into());
    };
    println!(
        "imported {}: {} created, {} updated, {} unchanged; {} account(s) linked, {} released{}",
        file.display(),
        s.created,
        s.updated,
        s.unchanged,
        s.accounts_linked,
        s.accounts_released,
        if outcome.invalid == 0 {
            String::new()
        } else {
            format!("; {} invalid row(s) skipped", outcome.invalid)
        }
    );
    Ok(())
}

pub fn list(config: &Path, format: ListFormat) -> anyhow::Result<()> {
    let store = super::open_current_reader(&crate::config::Config::load(config)?)?;
    let rows = store.list_businesses()?;
    let mut stdout = std::io::stdout().lock();
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &rows)?;
            println!();
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(stdout);
            // Formula-like cells as text (report::neutral); `businesses import` reads
            // them back as they were.
            let text = |s: &str| crate::report::neutral::csv_text(s);
            let opt = |o: &Option<String>| o.as_deref().map(text);
            for row in &rows {
                w.serialize(crate::store::BusinessRow {
                    key: text(&row.key),
                    name: text(&row.name),
                    category: opt(&row.category),
                    district: opt(&row.district),
                    instagram: opt(&row.instagram),
                    tiktok: opt(&row.tiktok),
                    facebook: opt(&row.facebook),
                    youtube: opt(&row.youtube),
                })?;
            }
            if rows.is_empty() {
                w.write_record(registry::HEADER)?;
            }
            w.flush()?;
        }
        ListFormat::Table => {
            let opt = |o: &Option<String>| o.clone().unwrap_or_default();
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|b| {
                    vec![
                        b.key.clone(),
                        b.name.clone(),
                        opt(&b.category),
                        opt(&b.district),
                        opt(&b.instagram),
                        opt(&b.tiktok),
                        opt(&b.facebook),
                        opt(&b.youtube),
                    ]
                })
                .collect();
            print!("{}", output::table(&registry::HEADER, &cells));
            eprintln!("{} business(es)", rows.len());
        }
    }
    Ok(())
}
