//! `jempol serve`, `jempol businesses links` and `jempol businesses reconnect`.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;

use super::{Failed, ListFormat, output};
use crate::config::Config;
use crate::consent::Vault;
use crate::store::Writer;
use crate::time::{Clock, SystemClock};
use crate::web::{ServeError, Web, personal_link};

fn vault(config: &Config) -> anyhow::Result<Vault> {
    Ok(Vault::from_env(&config.consent.secret_key_env, |v| {
        std::env::var(v).ok()
    })?)
}

fn public_url(config: &Config) -> anyhow::Result<String> {
    Ok(config
        .consent
        .public_url
        .clone()
        .ok_or(ServeError::NoPublicUrl)?)
}

pub fn serve(config_path: &Path, listen: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let secrets = config.secrets(|v| std::env::var(v).ok())?;
    let store = super::open_writer(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (tx, rx) = watch::channel(false);
        super::poll::on_signals(tx);
        let writer = Writer::start(store, config.wal_limit, rx.clone())?;
        let web = Web::new(&config, &secrets, writer, Arc::new(SystemClock), rx.clone())?;
        let listen = listen.unwrap_or(config.consent.listen);
        let public = config.consent.public_url.clone().unwrap_or_default();
        crate::web::serve(web, listen, rx, |addr| {
            tracing::info!(%addr, public_url = %public, "jempol serve: listening");
            eprintln!("jempol serve: listening on http://{addr} (public address {public})");
        })
        .await?;
        tracing::info!("jempol serve stopped");
        anyhow::Ok(())
    })
}

#[derive(serde::Serialize)]
struct LinkRow {
    key: String,
    name: String,
    link: String,
    expires_at: String,
}

fn print_links(
    rows: &[LinkRow],
    format: ListFormat,
    extra: Option<&[String]>,
) -> anyhow::Result<()> {
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(rows)?),
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            let text = |s: &str| crate::report::neutral::csv_text(s);
            w.write_record(["key", "name", "link", "expires_at"])?;
            for r in rows {
                w.write_record([
                    text(&r.key),
                    text(&r.name),
                    r.link.clone(),
                    r.expires_at.clone(),
                ])?;
            }
            w.flush()?;
        }
        ListFormat::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut row = vec![r.key.clone(), r.name.clone()];
                    if let Some(extra) = extra {
                        row.push(extra[i].clone());
                    }
                    row.push(r.link.clone());
                    row
                })
                .collect();
            let header: &[&str] = if extra.is_some() {
                &["key", "name", "why", "link"]
            } else {
                &["key", "name", "link"]
            };
            print!("{}", output::table(header, &cells));
        }
    }
    Ok(())
}

fn expiry_text(config: &Config, at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .unwrap_or_default()
        .to_zoned(config.campaign.timezone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

pub fn links(config_path: &Path, format: ListFormat, only: Option<&str>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let public = public_url(&config)?;
    let vault = vault(&config)?;
    let store = super::open_current_reader(&config)?;
    let now = SystemClock.now().as_second();
    let expires = now + config.consent.link_seconds;
    let businesses = store.list_businesses()?;
    if let Some(key) = only
        && !businesses.iter().any(|b| b.key == key)
    {
        return Err(Failed {
            message: format!("--business {key:?}: no such business in the registry"),
            code: 2,
        }
        .into());
    }
    let rows: Vec<LinkRow> = businesses
        .into_iter()
        .filter(|b| only.is_none_or(|k| k == b.key))
        .map(|b| LinkRow {
            link: personal_link(&public, &vault, &b.key, expires),
            key: b.key,
            name: b.name,
            expires_at: expiry_text(&config, expires),
        })
        .collect();
    print_links(&rows, format, None)?;
    if format == ListFormat::Table {
        eprintln!(
            "{} link(s), each working until {}",
            rows.len(),
            expiry_text(&config, expires)
        );
    }
    Ok(())
}

pub fn reconnect(config_path: &Path, format: ListFormat, days: Option<u32>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let public = public_url(&config)?;
    let vault = vault(&config)?;
    let store = super::open_current_reader(&config)?;
    let now = SystemClock.now().as_second();
    let within = days.map_or(config.consent.lapse_warning_seconds, |d| {
        i64::from(d) * 86_400
    });
    let lapsing = store.lapsing_connections(now + within)?;
    let expires = now + config.consent.link_seconds;
    let why: Vec<String> = lapsing
        .iter()
        .map(|l| {
            let who = l
                .handle
                .as_deref()
                .map(|h| format!(" @{h}"))
                .unwrap_or_default();
            match l.ends_at {
                None => format!("{}{who}: connect again", l.platform.name()),
                Some(end) => format!(
                    "{}{who}: consent ends {}",
                    l.platform.name(),
                    expiry_text(&config, end)
                ),
            }
        })
        .collect();
    let rows: Vec<LinkRow> = lapsing
        .iter()
        .map(|l| LinkRow {
            key: l.business_key.clone(),
            name: l.business_name.clone(),
            link: personal_link(&public, &vault, &l.business_key, expires),
            expires_at: expiry_text(&config, expires),
        })
        .collect();
    if format == ListFormat::Json {
        let out: Vec<serde_json::Value> = lapsing
            .iter()
            .zip(&rows)
            .map(|(l, r)| serde_json::json!({"key": r.key, "name": r.name, "platform": l.platform, "handle": l.handle, "status": l.status, "consent_ends_at": l.ends_at.map(|e| expiry_text(&config, e)), "link": r.link}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_links(&rows, format, Some(&why))?;
    if format == ListFormat::Table {
        eprintln!("{} business(es) to reconnect", rows.len());
    }
    Ok(())
}
