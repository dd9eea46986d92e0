//! `jempol db migrate` and `jempol db check`.

use std::path::Path;

use super::{CheckFormat, Failed, open_store};

pub fn migrate(config: &Path) -> anyhow::Result<()> {
    let (_, store) = open_store(config)?;
    let m = store.migration();
    if m.from == m.to {
        println!(
            "{}: schema version {} (up to date)",
            store.path().display(),
            m.to
        );
    } else {
        println!(
            "{}: migrated schema version {} → {}",
            store.path().display(),
            m.from,
            m.to
        );
    }
    Ok(())
}

pub fn check(config: &Path, format: CheckFormat) -> anyhow::Result<()> {
    let (_, store) = open_store(config)?;
    let report = store.check()?;
    match format {
        CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        CheckFormat::Text => {
            println!("database:        {}", store.path().display());
            println!(
                "schema version:  {} (this jempol: {})",
                report.schema_version, report.latest_version
            );
            println!("integrity:       {}", report.integrity.join("; "));
            println!(
                "foreign keys:    {} violation(s)",
                report.foreign_key_violations
            );
        }
    }
    if report.is_healthy() {
        Ok(())
    } else {
        Err(Failed {
            message: "the database check found problems (see above)".into(),
            code: 1,
        }
        .into())
    }
}
