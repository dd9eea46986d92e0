//! `jempol config check`.

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
    eprintln!(
        "config OK: {} ({} platform{} enabled)",
        config.file.display(),
        config.platforms.len(),
        if config.platforms.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
