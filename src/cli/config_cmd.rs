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
