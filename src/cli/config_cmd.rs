//! `jempol config check` and `jempol config init`.

use std::path::Path;

use crate::config::Config;

pub fn check(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let env = |var: &str| std::env::var(var).ok();
    print!("{}", config.to_effective_toml(env));
    config.secrets(env)?;
    for warning in config.warnings(super::poll::today_utc()) {
        eprintln!("warning: {warning}");
    }
    let set = config.report_secrets(env);
    for p in config.push_secrets() {
        if set.get(p.var).is_none() {
            eprintln!(
                "warning: {}: environment variable {} is not set (or empty): {}",
                p.key, p.var, p.unsent
            );
        }
    }
    eprintln!(
        "config OK: {} ({} platform{} enabled)",
        config.file.display(),
        config.platforms.len(),
        if config.platforms.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// The commented example config, as shipped in `config/jempol.example.toml`.
const EXAMPLE: &str = include_str!("../../config/jempol.example.toml");

/// The example's lines that place the database and the reports.
const EXAMPLE_DATABASE: &str = "database = \"../data/jempol.db\"";
const EXAMPLE_REPORTS: &str = "# directory = \"reports\"        # relative to this file's folder";

/// The example config, its database and reports under `state_dir` when one is given.
fn example(state_dir: Option<&Path>) -> anyhow::Result<String> {
    let Some(dir) = state_dir else {
        return Ok(EXAMPLE.to_string());
    };
    anyhow::ensure!(
        dir.is_absolute(),
        "--state-dir {}: give an absolute path (the config may live elsewhere)",
        dir.display()
    );
    let quoted = |p: std::path::PathBuf| toml::Value::String(p.display().to_string()).to_string();
    let text = EXAMPLE
        .replacen(
            EXAMPLE_DATABASE,
            &format!("database = {}", quoted(dir.join("jempol.db"))),
            1,
        )
        .replacen(
            EXAMPLE_REPORTS,
            &format!("directory = {}", quoted(dir.join("reports"))),
            1,
        );
    Ok(text)
}

/// Writes the example config to `path` (not over a file, unless `force`).
pub fn init(path: &Path, force: bool, state_dir: Option<&Path>) -> anyhow::Result<()> {
    use anyhow::Context;
    let text = example(state_dir)?;
    if path.exists() && !force {
        return Err(super::Failed {
            message: format!(
                "{} exists: not replaced (--force replaces it)",
                path.display()
            ),
            code: 1,
        }
        .into());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "wrote {}: set the campaign and the platforms you use, put each secret in the \
         environment variable it names, then `jempol --config {} config check`",
        path.display(),
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_dir_places_the_database_and_the_reports() {
        // The lines `--state-dir` replaces are the example's own.
        assert!(EXAMPLE.contains(EXAMPLE_DATABASE) && EXAMPLE.contains(EXAMPLE_REPORTS));
        let text = example(Some(Path::new("/var/lib/jempol"))).unwrap();
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(
            v["storage"]["database"].as_str(),
            Some("/var/lib/jempol/jempol.db")
        );
        assert_eq!(
            v["reports"]["directory"].as_str(),
            Some("/var/lib/jempol/reports")
        );
        assert!(example(Some(Path::new("relative"))).is_err());
    }
}
