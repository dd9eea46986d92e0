//! `jempol users`: the coordinators who sign in to the dashboard, and their API tokens.

use std::io::BufRead;
use std::path::Path;

use super::{Failed, ListFormat, output};
use crate::config::Config;
use crate::time::{Clock, SystemClock};
use crate::web::auth;

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a coordinator. Without --password-stdin a strong password is made and
    /// printed once: hand it over and let them keep it.
    #[command(
        after_help = "Examples:\n  jempol users add rina\n  printf '%s\\n' \"$PW\" | jempol users add budi --password-stdin"
    )]
    Add {
        name: String,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (made and printed, or from stdin); signs the coordinator out.
    Password {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a coordinator with its sessions and API tokens.
    Remove { name: String },
    /// The coordinators, with their last sign-in.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Make an API token for a coordinator (`Authorization: Bearer …` on /api/v1):
    /// printed once, kept only as a keyed hash. Needs $JEMPOL_SECRET_KEY.
    Token {
        name: String,
        /// What it is for (shown nowhere else than the database).
        #[arg(long)]
        label: Option<String>,
    },
}

fn bad(message: String) -> anyhow::Error {
    Failed { message, code: 2 }.into()
}

fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        // 20 characters from a 32-letter alphabet: 100 bits.
        let alphabet = b"abcdefghjkmnpqrstuvwxyz23456789";
        let bytes = crate::consent::vault::random_bytes::<20>();
        let pw: String = bytes
            .iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
            .collect();
        return Ok((pw, true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if let Some(why) = auth::password_problem(&pw) {
        return Err(bad(format!("--password-stdin: {why}")));
    }
    Ok((pw, false))
}

fn valid_name(name: &str) -> anyhow::Result<&str> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(bad(format!(
            "user name {name:?}: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )));
    }
    Ok(name)
}

pub fn run(config_path: &Path, cmd: UsersCommand) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let now = SystemClock.now().as_second();
    match cmd {
        UsersCommand::Add {
            name,
            password_stdin,
        } => {
            let name = valid_name(&name)?;
            let (pw, made) = password(password_stdin)?;
            let store = super::open_writer(&config)?;
            match store.add_coordinator(name, &auth::hash_password(&pw), now)? {
                None => Err(bad(format!("a coordinator named {name:?} exists already"))),
                Some(_) => {
                    eprintln!("added coordinator {name}");
                    if made {
                        println!("{pw}");
                        eprintln!("(the password above is shown once)");
                    }
                    Ok(())
                }
            }
        }
        UsersCommand::Password {
            name,
            password_stdin,
        } => {
            let (pw, made) = password(password_stdin)?;
            let store = super::open_writer(&config)?;
            if !store.set_coordinator_password(name.trim(), &auth::hash_password(&pw))? {
                return Err(bad(format!("no coordinator named {name:?}")));
            }
            eprintln!("new password set for {name}; their sessions ended");
            if made {
                println!("{pw}");
            }
            Ok(())
        }
        UsersCommand::Remove { name } => {
            let mut store = super::open_writer(&config)?;
            if !store.remove_coordinator(name.trim())? {
                return Err(bad(format!("no coordinator named {name:?}")));
            }
            eprintln!("removed coordinator {name}");
            Ok(())
        }
        UsersCommand::List { format } => {
            let store = super::open_current_reader(&config)?;
            let rows = store.coordinators(now)?;
            let when = |t: Option<i64>| {
                t.map(|t| {
                    jiff::Timestamp::from_second(t)
                        .unwrap_or_default()
                        .to_zoned(config.campaign.timezone.clone())
                        .strftime("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_else(|| "never".into())
            };
            match format {
                ListFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                ListFormat::Csv => {
                    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
                    w.write_record(["username", "last_login", "sessions", "api_tokens"])?;
                    for r in &rows {
                        w.write_record([
                            crate::report::neutral::csv_text(&r.username),
                            when(r.last_login_at),
                            r.sessions.to_string(),
                            r.api_tokens.to_string(),
                        ])?;
                    }
                    w.flush()?;
                }
                ListFormat::Table => {
                    let cells: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.username.clone(),
                                when(r.last_login_at),
                                r.sessions.to_string(),
                                r.api_tokens.to_string(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        output::table(&["user", "last sign-in", "sessions", "API tokens"], &cells)
                    );
                }
            }
            Ok(())
        }
        UsersCommand::Token { name, label } => {
            let vault = crate::consent::Vault::from_env(&config.consent.secret_key_env, |v| {
                std::env::var(v).ok()
            })?;
            let token = auth::new_token();
            let store = super::open_writer(&config)?;
            if !store.add_api_token(
                name.trim(),
                &auth::api_token_hash(&vault, &token),
                label.as_deref(),
                now,
            )? {
                return Err(bad(format!("no coordinator named {name:?}")));
            }
            println!("{token}");
            eprintln!("(the token above is shown once; send it as Authorization: Bearer …)");
            Ok(())
        }
    }
}
