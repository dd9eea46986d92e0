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
    if let Some(t) = &config.reports.telegram
        && config.report_secrets(env).get(&t.bot_token_env).is_none()
    {
        eprintln!(
            "warning: reports.telegram.bot_token_env: environment variable {} is not set (or \
             empty): the daily summary will not be sent to Telegram",
            t.bot_token_env
        );
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

/// Writes the example config to `path` (not over a file, unless `force`).
pub fn init(path: &Path, force: bool) -> anyhow::Result<()> {
    use anyhow::Context;
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
    std::fs::write(path, EXAMPLE).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "wrote {}: set the campaign and the platforms you use, put each secret in the \
         environment variable it names, then `jempol --config {} config check`",
        path.display(),
        path.display()
    );
    Ok(())
}
