//! `jempol db migrate`, `check`, `rebuild-rollups` and `datasette-metadata`.

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
    let store = super::open_reader(&crate::config::Config::load(config)?)?;
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
            if report.schema_version < report.latest_version {
                println!("run `jempol db migrate` to bring it to this jempol's schema");
            }
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

pub fn rebuild_rollups(config: &Path) -> anyhow::Result<()> {
    let (config, mut store) = open_store(config)?;
    let _lock = super::poll::WriterLock::acquire(&config.database)?;
    let began = std::time::Instant::now();
    let rows = store.rebuild_rollup()?;
    println!(
        "{}: {rows} post-day rows rebuilt from the snapshots in {:.1} s",
        store.path().display(),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Datasette names a database by its file name without the extension.
pub fn datasette_metadata(config: &Path) -> anyhow::Result<()> {
    let config = crate::config::Config::load(config)?;
    let name = config
        .database
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "jempol".into());
    print!("{}", crate::store::datasette::metadata(&name));
    Ok(())
}
