//! TOML config → typed [`Config`]. Every error names the file, the key and, where the
//! key is in the file, its line. Secrets are never in the file: only the names of the
//! environment variables that hold them (`*_env` keys).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::hashtag::Hashtag;
use crate::platform::Platform;
use crate::platform::graph_version::{self, GraphVersion};

/// The config file used when neither `--config` nor `JEMPOL_CONFIG` names one.
pub const DEFAULT_PATH: &str = "config/jempol.toml";

/// A config that cannot be used, in terms an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {path} not found (pass --config FILE or set JEMPOL_CONFIG; \
         config/jempol.example.toml documents every key)"
    )]
    NotFound { path: PathBuf },
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{message}", location(file, *line, key))]
    Invalid {
        file: PathBuf,
        key: String,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "{}environment variable {var} is not set (or empty); \
         {platform} is enabled and reads its secret from it",
        location(file, *line, key)
    )]
    MissingEnv {
        file: PathBuf,
        key: String,
        line: Option<usize>,
        var: String,
        platform: Platform,
    },
}

/// `file:line: key: ` with the parts that are known.
fn location(file: &Path, line: Option<usize>, key: &str) -> String {
    let mut out = file.display().to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
    }
    out.push_str(": ");
    if !key.is_empty() {
        out.push_str(key);
        out.push_str(": ");
    }
    out
}

/// A secret read from the environment. Prints as `***` so it cannot reach a log by
/// accident; [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

// ---- the file format: what operators write (defaults filled by serde) ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    campaign: RawCampaign,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    platforms: RawPlatforms,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    reports: RawReports,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    consent: RawConsent,
    #[serde(default)]
    dashboard: RawDashboard,
}

/// The coordinators' dashboard in `jempol serve`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawDashboard {
    /// How long a coordinator stays signed in.
    session_hours: u32,
    /// The campaign figures are computed again at most this often while the daemon writes.
    refresh_seconds: u32,
    /// Leaderboard and list rows per page.
    page_size: u32,
}

impl Default for RawDashboard {
    fn default() -> Self {
        RawDashboard {
            session_hours: 12,
            refresh_seconds: 300,
            page_size: 50,
        }
    }
}

/// How businesses connect their own accounts: `jempol serve` and its links.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawConsent {
    /// Where `jempol serve` listens (behind a TLS reverse proxy in production).
    listen: String,
    /// The address businesses reach it at: links and OAuth redirect URIs start with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    /// How long a business's personal link works.
    link_days: u32,
    /// Names the variable that holds the key sealing tokens and signing links.
    secret_key_env: String,
    /// Consents ending within this many days are listed for the coordinators.
    lapse_warning_days: u32,
    /// The Meta app (Facebook Login for Business) businesses connect Pages and
    /// Instagram accounts with.
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<RawMeta>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    app_id: String,
    #[serde(default = "meta_secret_env")]
    app_secret_env: String,
    /// The Facebook Login for Business configuration (it replaces `scope`).
    config_id: String,
    /// The browser-facing host of the login dialog.
    #[serde(default = "meta_dialog_url")]
    dialog_url: String,
}

fn meta_secret_env() -> String {
    "JEMPOL_META_APP_SECRET".into()
}

fn meta_dialog_url() -> String {
    "https://www.facebook.com".into()
}

/// How Facebook or Instagram is read: the campaign's own token over public content, or
/// each business's Page token from its consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetaApi {
    #[default]
    Public,
    Consent,
}

impl Default for RawConsent {
    fn default() -> Self {
        RawConsent {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            link_days: 30,
            secret_key_env: crate::consent::vault::DEFAULT_KEY_ENV.into(),
            lapse_warning_days: 14,
            meta: None,
        }
    }
}

/// Where the operator is told that a platform stopped working.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawAlerts {
    /// Cycles in a row a platform must fail before the operator is told.
    after_failures: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    telegram: Option<RawTelegram>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook: Option<RawWebhook>,
}

impl Default for RawAlerts {
    fn default() -> Self {
        RawAlerts {
            after_failures: 3,
            telegram: None,
            webhook: None,
        }
    }
}

/// The daily reports the daemon writes (and may announce on Telegram).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawReports {
    enabled: bool,
    directory: PathBuf,
    time: String,
    formats: Vec<Format>,
    lang: Lang,
    top: u32,
    /// Days after a day's end during which its figures are provisional (late finds).
    settle_days: u32,
    /// Also last week's report (Monday–Sunday) after each Sunday's daily report.
    weekly: bool,
    /// Also last month's report after the daily report of each month's last day.
    monthly: bool,
    /// Where `directory` is served from: the summaries link to the HTML report there.
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telegram: Option<RawTelegram>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook: Option<RawWebhook>,
}

impl Default for RawReports {
    fn default() -> Self {
        RawReports {
            enabled: true,
            directory: PathBuf::from("reports"),
            time: "06:00".into(),
            formats: vec![Format::Html, Format::Json, Format::Csv],
            lang: Lang::En,
            top: 20,
            settle_days: 2,
            weekly: true,
            monthly: true,
            public_url: None,
            telegram: None,
            webhook: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    #[serde(default = "webhook_secret_env")]
    secret_env: String,
}

fn webhook_secret_env() -> String {
    "JEMPOL_WEBHOOK_SECRET".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    chat_id: String,
    #[serde(default = "telegram_token_env")]
    bot_token_env: String,
    #[serde(default = "telegram_base_url")]
    base_url: String,
    /// Also send the HTML report as a file (when no `reports.public_url` links to it).
    #[serde(default = "yes")]
    document: bool,
}

fn telegram_token_env() -> String {
    "JEMPOL_TELEGRAM_BOT_TOKEN".into()
}

fn telegram_base_url() -> String {
    "https://api.telegram.org".into()
}

/// How often to poll; defaults follow the refresh tiers of the daemon issue.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct RawSchedule {
    cycle_minutes: u32,
    hot_hours: u32,
    hot_refresh_minutes: u32,
    warm_refresh_hours: u32,
    max_age_days: u32,
    account_refresh_hours: u32,
    expensive_discovery_hours: u32,
}

impl Default for RawSchedule {
    fn default() -> Self {
        RawSchedule {
            cycle_minutes: 60,
            hot_hours: 48,
            hot_refresh_minutes: 60,
            warm_refresh_hours: 24,
            max_age_days: 30,
            account_refresh_hours: 24,
            expensive_discovery_hours: 6,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: String,
    hashtags: Vec<String>,
    #[serde(default = "default_timezone")]
    timezone: String,
}

fn default_timezone() -> String {
    "Asia/Jakarta".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    #[serde(default = "default_database")]
    database: PathBuf,
    #[serde(default = "default_wal_limit_mb")]
    wal_limit_mb: u64,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage {
            database: default_database(),
            wal_limit_mb: default_wal_limit_mb(),
        }
    }
}

fn default_wal_limit_mb() -> u64 {
    256
}

fn default_database() -> PathBuf {
    PathBuf::from("data/jempol.db")
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawPlatforms {
    /// The Graph API version Instagram and Facebook share (`v25.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    graph_version: Option<String>,
    instagram: Option<RawInstagram>,
    facebook: Option<RawFacebook>,
    tiktok: Option<RawTiktok>,
    youtube: Option<RawYoutube>,
}

fn yes() -> bool {
    true
}

/// Default base URLs: the real APIs (platform-apis.md). The Graph host carries no
/// version: `platforms.graph_version` is appended unless a `base_url` pins one.
pub const GRAPH_BASE_URL: &str = "https://graph.facebook.com";
pub const TIKTOK_BASE_URL: &str = "https://open.tiktokapis.com";
pub const YOUTUBE_BASE_URL: &str = "https://www.googleapis.com/youtube/v3";

macro_rules! default_fn {
    ($name:ident, $ty:ty, $value:expr) => {
        fn $name() -> $ty {
            $value.into()
        }
    };
}
default_fn!(graph_base_url, String, GRAPH_BASE_URL);
default_fn!(tiktok_base_url, String, TIKTOK_BASE_URL);
default_fn!(youtube_base_url, String, YOUTUBE_BASE_URL);
default_fn!(instagram_token_env, String, "JEMPOL_INSTAGRAM_TOKEN");
default_fn!(facebook_token_env, String, "JEMPOL_FACEBOOK_TOKEN");
default_fn!(tiktok_key_env, String, "JEMPOL_TIKTOK_CLIENT_KEY");
default_fn!(tiktok_secret_env, String, "JEMPOL_TIKTOK_CLIENT_SECRET");
default_fn!(youtube_key_env, String, "JEMPOL_YOUTUBE_API_KEY");

fn youtube_daily_units() -> u32 {
    10_000
}
fn rps_rawinstagram() -> u32 {
    2
}
fn rps_rawfacebook() -> u32 {
    2
}
fn rps_rawtiktok() -> u32 {
    1
}
fn rps_rawyoutube() -> u32 {
    5
}
fn timeout_default() -> u32 {
    30
}
fn graph_calls_per_hour() -> u32 {
    4_800
}
fn tiktok_daily_requests() -> u32 {
    1_000
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawInstagram {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "rps_rawinstagram")]
    requests_per_second: u32,
    #[serde(default = "timeout_default")]
    timeout_seconds: u32,
    #[serde(default = "graph_base_url")]
    base_url: String,
    #[serde(default)]
    ig_user_id: Option<String>,
    #[serde(default = "instagram_token_env")]
    access_token_env: String,
    #[serde(default = "graph_calls_per_hour")]
    calls_per_hour: u32,
    /// `public` (hashtag search and Business Discovery with the campaign's token) or
    /// `consent` (each business's own account and insights, `[consent.meta]`).
    #[serde(default)]
    api: MetaApi,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawFacebook {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "rps_rawfacebook")]
    requests_per_second: u32,
    #[serde(default = "timeout_default")]
    timeout_seconds: u32,
    #[serde(default = "graph_base_url")]
    base_url: String,
    #[serde(default = "facebook_token_env")]
    access_token_env: String,
    #[serde(default = "graph_calls_per_hour")]
    calls_per_hour: u32,
    /// `GET /?ids=…` for Page followers and post refreshes: only apps created before
    /// 4 Nov 2026 that already use multi-ID requests may (platform-apis.md, corrections).
    #[serde(default)]
    multi_id_requests: bool,
    /// `public` (the campaign's token) or `consent` (each business's Page token).
    #[serde(default)]
    api: MetaApi,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawTiktok {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "rps_rawtiktok")]
    requests_per_second: u32,
    #[serde(default = "timeout_default")]
    timeout_seconds: u32,
    #[serde(default = "tiktok_base_url")]
    base_url: String,
    #[serde(default = "tiktok_key_env")]
    client_key_env: String,
    #[serde(default = "tiktok_secret_env")]
    client_secret_env: String,
    #[serde(default = "tiktok_daily_requests")]
    daily_requests: u32,
    /// `research` (the Research API: academic access only) or `display` (each
    /// business's own consent through `jempol serve`).
    #[serde(default)]
    api: TiktokApi,
    /// The browser-facing host of the consent page (Login Kit).
    #[serde(default = "tiktok_auth_url")]
    auth_url: String,
}

/// Which TikTok API jempol reads with (platform-apis-consent.md, top).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TiktokApi {
    #[default]
    Research,
    Display,
}

fn tiktok_auth_url() -> String {
    "https://www.tiktok.com".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawYoutube {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "rps_rawyoutube")]
    requests_per_second: u32,
    #[serde(default = "timeout_default")]
    timeout_seconds: u32,
    #[serde(default = "youtube_base_url")]
    base_url: String,
    #[serde(default = "youtube_key_env")]
    api_key_env: String,
    #[serde(default = "youtube_daily_units")]
    daily_quota_units: u32,
}

// ---- the typed config the rest of jempol reads ----

/// The campaign being tracked.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub name: String,
    pub hashtags: Vec<Hashtag>,
    pub timezone_name: String,
    pub timezone: TimeZone,
}

/// One enabled platform's settings. `secret_envs` names the environment variables that
/// hold its credentials, with the config key that named each.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub platform: Platform,
    pub base_url: String,
    /// Instagram: the campaign's own professional account that searches act as.
    pub ig_user_id: Option<String>,
    /// YouTube: units a day (the platform's default is 10,000).
    pub daily_quota_units: Option<u32>,
    pub secret_envs: Vec<(&'static str, String)>,
    /// Instagram and Facebook: the Graph API version in force (in `base_url` too).
    pub graph_version: Option<GraphVersion>,
    /// Facebook: read Pages and refresh posts with `GET /?ids=…` (apps created before
    /// 4 Nov 2026 only); otherwise one Page per request and posts from Page listings.
    pub multi_id_requests: bool,
    /// TikTok: the Research API or each business's consent (Display API).
    pub tiktok_api: TiktokApi,
    /// Instagram and Facebook: the campaign's token or each business's consent.
    pub meta_api: MetaApi,
    /// TikTok Display: the browser-facing host of the consent page.
    pub auth_url: Option<String>,
    /// Pacing of requests (governor).
    pub requests_per_second: u32,
    pub timeout_seconds: u32,
    /// The quota jempol stays within: YouTube units a Pacific day, TikTok requests a
    /// UTC day, Graph calls an hour (Instagram and Facebook share it).
    pub quota: u64,
}

impl PlatformConfig {
    /// Whether this platform reads with businesses' own consent.
    pub fn consents(&self) -> bool {
        self.platform == Platform::Tiktok && self.tiktok_api == TiktokApi::Display
            || self.meta_api == MetaApi::Consent
    }
}

/// How often the daemon polls, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// A cycle (discovery + due refreshes) starts this often.
    pub cycle: i64,
    pub tiers: Tiers,
    /// Discovery that costs more than one unit a page (YouTube search) runs at most this often.
    pub expensive_discovery_every: i64,
}

/// Daily reports written by the daemon.
#[derive(Debug, Clone)]
pub struct Reports {
    pub enabled: bool,
    /// Resolved against the config file's folder.
    pub directory: PathBuf,
    /// Time of day (campaign time zone) after which yesterday's report is written.
    pub at: jiff::civil::Time,
    pub formats: Vec<Format>,
    pub lang: Lang,
    pub top: usize,
    /// A day's figures are provisional until this many days after its end.
    pub settle_days: i32,
    /// Weekly (Monday–Sunday) and monthly reports beside the daily ones.
    pub weekly: bool,
    pub monthly: bool,
    /// Where `directory` is served from (no trailing `/`): summaries link there.
    pub public_url: Option<String>,
    pub telegram: Option<Telegram>,
    pub webhook: Option<Webhook>,
}

/// An HTTP endpoint that receives each daily summary as JSON, signed with HMAC-SHA256.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// The variable holding the signing secret; the secret is only ever read from it.
    pub secret_env: String,
}

/// A Telegram chat that receives each daily summary (Bot API `sendMessage`).
#[derive(Debug, Clone)]
pub struct Telegram {
    pub chat_id: String,
    /// The variable holding the bot token; the token is only ever read from it.
    pub bot_token_env: String,
    pub base_url: String,
    /// Send the HTML report as a file after the summary (`sendDocument`).
    pub document: bool,
}

/// Where the operator is told that a platform's credential was rejected or that it
/// failed `after_failures` cycles in a row (and that it works again).
#[derive(Debug, Clone)]
pub struct Alerts {
    pub after_failures: u32,
    pub telegram: Option<Telegram>,
    pub webhook: Option<Webhook>,
}

/// A secret a push needs: the key that names its variable, the variable, and what goes
/// unsent without it.
pub struct PushSecret<'a> {
    pub key: &'static str,
    pub var: &'a str,
    pub unsent: &'static str,
}

/// A validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from; relative paths in it are relative to its folder.
    pub file: PathBuf,
    pub campaign: Campaign,
    /// The database file, resolved against the config file's folder.
    pub database: PathBuf,
    /// The size the daemon keeps the write-ahead log under, in bytes.
    pub wal_limit: u64,
    /// Enabled platforms only, in [`Platform::ALL`] order.
    pub platforms: Vec<PlatformConfig>,
    pub schedule: Schedule,
    pub reports: Reports,
    pub alerts: Alerts,
    pub consent: Consent,
    pub dashboard: Dashboard,
    raw: RawConfig,
}

/// How businesses connect their own accounts (`[consent]`).
#[derive(Debug, Clone)]
pub struct Consent {
    pub listen: std::net::SocketAddr,
    /// Without a trailing `/`; `None` until set (then `serve` and `links` refuse to start).
    pub public_url: Option<String>,
    pub link_seconds: i64,
    pub secret_key_env: String,
    pub lapse_warning_seconds: i64,
    pub meta: Option<MetaApp>,
}

/// The coordinators' dashboard (`[dashboard]`).
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub session_seconds: i64,
    pub refresh: std::time::Duration,
    pub page_size: usize,
}

/// The Meta app businesses connect with (`[consent.meta]`).
#[derive(Debug, Clone)]
pub struct MetaApp {
    pub app_id: String,
    pub app_secret_env: String,
    pub config_id: String,
    /// The dialog host with the Graph version (`https://www.facebook.com/v25.0`).
    pub dialog_url: String,
    /// The Graph host with the version, as the Meta platforms use it.
    pub graph_url: String,
}

/// Credentials read from the environment for the enabled platforms, by variable name.
#[derive(Debug, Clone, Default)]
pub struct Secrets(BTreeMap<String, Secret>);

/// One platform's credentials, each by what it is (never by its position in a list).
#[derive(Debug, Clone)]
pub enum Credentials {
    Instagram {
        access_token: Secret,
    },
    Facebook {
        access_token: Secret,
    },
    Tiktok {
        client_key: Secret,
        client_secret: Secret,
    },
    Youtube {
        api_key: Secret,
    },
}

impl Secrets {
    pub fn get(&self, var: &str) -> Option<&Secret> {
        self.0.get(var)
    }

    /// These secrets and one more (the demo's own key, tests).
    pub fn with(mut self, var: &str, value: impl Into<String>) -> Secrets {
        self.0.insert(var.to_string(), Secret::new(value));
        self
    }

    /// The credentials of an enabled platform, from the variables its config names
    /// (`None` for a variable that is not set, which [`Config::secrets`] refuses).
    pub fn credentials(&self, pc: &PlatformConfig) -> Credentials {
        let named = |key: &str| {
            pc.secret_envs
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, var)| self.get(var))
                .cloned()
                .unwrap_or_else(|| Secret::new(""))
        };
        match pc.platform {
            Platform::Instagram => Credentials::Instagram {
                access_token: named("access_token_env"),
            },
            Platform::Facebook => Credentials::Facebook {
                access_token: named("access_token_env"),
            },
            Platform::Tiktok => Credentials::Tiktok {
                client_key: named("client_key_env"),
                client_secret: named("client_secret_env"),
            },
            Platform::Youtube => Credentials::Youtube {
                api_key: named("api_key_env"),
            },
        }
    }
    /// Every secret value, for redaction.
    pub fn values(&self) -> impl Iterator<Item = &Secret> {
        self.0.values()
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text as if it were read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            file: path.to_path_buf(),
            key: key.to_string(),
            line: line_of(text, key),
            message,
        };
        let raw = deserialize(text).map_err(|(key, line, message)| ConfigError::Invalid {
            file: path.to_path_buf(),
            line: line.or_else(|| line_of(text, &key)),
            key,
            message,
        })?;

        let c = &raw.campaign;
        if c.name.trim().is_empty() {
            return Err(invalid("campaign.name", "must not be empty".into()));
        }
        if c.hashtags.is_empty() {
            return Err(invalid(
                "campaign.hashtags",
                "must list at least one hashtag, e.g. [\"UMKMKotaPadangMajuBersama\"]".into(),
            ));
        }
        let mut hashtags = Vec::new();
        for raw_tag in &c.hashtags {
            let tag = Hashtag::parse(raw_tag).ok_or_else(|| {
                invalid(
                    "campaign.hashtags",
                    format!(
                        "{raw_tag:?} is not a hashtag (letters, digits and _ only, '#' optional)"
                    ),
                )
            })?;
            hashtags.push(tag);
        }
        let timezone = TimeZone::get(&c.timezone).map_err(|_| {
            invalid(
                "campaign.timezone",
                format!(
                    "unknown time zone {:?} (an IANA name such as \"Asia/Jakarta\", \"Asia/Makassar\" or \"Asia/Jayapura\")",
                    c.timezone
                ),
            )
        })?;
        if raw.storage.database.as_os_str().is_empty() {
            return Err(invalid("storage.database", "must not be empty".into()));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let database = normalize(&base.join(&raw.storage.database));
        if !(1..=65_536).contains(&raw.storage.wal_limit_mb) {
            return Err(invalid(
                "storage.wal_limit_mb",
                format!(
                    "must be from 1 to 65536 (MB), not {}",
                    raw.storage.wal_limit_mb
                ),
            ));
        }
        let wal_limit = raw.storage.wal_limit_mb * 1024 * 1024;

        let mut platforms = Vec::new();
        let p = &raw.platforms;
        let graph_version = match &p.graph_version {
            None => None,
            Some(v) => Some(
                v.trim()
                    .parse::<GraphVersion>()
                    .map_err(|e| invalid("platforms.graph_version", e.to_string()))?,
            ),
        };
        if let Some(ig) = p.instagram.as_ref().filter(|s| s.enabled) {
            check_url(&ig.base_url, "platforms.instagram.base_url", &invalid)?;
            let (base_url, version) = graph_base(
                &ig.base_url,
                "platforms.instagram.base_url",
                graph_version,
                &invalid,
            )?;
            let user = ig.ig_user_id.as_deref().map(str::trim).unwrap_or("");
            if ig.api == MetaApi::Public
                && (user.is_empty() || !user.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(invalid(
                    "platforms.instagram.ig_user_id",
                    "required while Instagram is enabled: the numeric id of the campaign's own Instagram professional account".into(),
                ));
            }
            platforms.push(PlatformConfig {
                platform: Platform::Instagram,
                base_url,
                ig_user_id: Some(user.to_string()).filter(|u| !u.is_empty()),
                daily_quota_units: None,
                graph_version: Some(version),
                multi_id_requests: false,
                tiktok_api: TiktokApi::Research,
                meta_api: ig.api,
                auth_url: None,
                secret_envs: match ig.api {
                    MetaApi::Public => vec![("access_token_env", ig.access_token_env.clone())],
                    MetaApi::Consent => Vec::new(),
                },
                requests_per_second: ig.requests_per_second,
                timeout_seconds: ig.timeout_seconds,
                quota: u64::from(ig.calls_per_hour),
            });
        }
        if let Some(fb) = p.facebook.as_ref().filter(|s| s.enabled) {
            check_url(&fb.base_url, "platforms.facebook.base_url", &invalid)?;
            let (base_url, version) = graph_base(
                &fb.base_url,
                "platforms.facebook.base_url",
                graph_version,
                &invalid,
            )?;
            platforms.push(PlatformConfig {
                platform: Platform::Facebook,
                base_url,
                ig_user_id: None,
                daily_quota_units: None,
                graph_version: Some(version),
                multi_id_requests: fb.multi_id_requests && fb.api == MetaApi::Public,
                tiktok_api: TiktokApi::Research,
                meta_api: fb.api,
                auth_url: None,
                secret_envs: match fb.api {
                    MetaApi::Public => vec![("access_token_env", fb.access_token_env.clone())],
                    MetaApi::Consent => Vec::new(),
                },
                requests_per_second: fb.requests_per_second,
                timeout_seconds: fb.timeout_seconds,
                quota: u64::from(fb.calls_per_hour),
            });
        }
        if let Some(tt) = p.tiktok.as_ref().filter(|s| s.enabled) {
            check_url(&tt.base_url, "platforms.tiktok.base_url", &invalid)?;
            check_url(&tt.auth_url, "platforms.tiktok.auth_url", &invalid)?;
            platforms.push(PlatformConfig {
                platform: Platform::Tiktok,
                base_url: tt.base_url.clone(),
                ig_user_id: None,
                graph_version: None,
                multi_id_requests: false,
                tiktok_api: tt.api,
                meta_api: MetaApi::Public,
                auth_url: Some(tt.auth_url.trim_end_matches('/').to_string()),
                daily_quota_units: None,
                secret_envs: vec![
                    ("client_key_env", tt.client_key_env.clone()),
                    ("client_secret_env", tt.client_secret_env.clone()),
                ],
                requests_per_second: tt.requests_per_second,
                timeout_seconds: tt.timeout_seconds,
                // The Display API counts a sliding minute per endpoint (600), not a day
                // (platform-apis-consent.md §7.5): the day's budget is what 600 a minute allows.
                quota: match tt.api {
                    TiktokApi::Research => u64::from(tt.daily_requests),
                    TiktokApi::Display => 600 * 60 * 24,
                },
            });
        }
        if let Some(yt) = p.youtube.as_ref().filter(|s| s.enabled) {
            check_url(&yt.base_url, "platforms.youtube.base_url", &invalid)?;
            if yt.daily_quota_units == 0 {
                return Err(invalid(
                    "platforms.youtube.daily_quota_units",
                    "must be at least 1 (the platform's default is 10000)".into(),
                ));
            }
            platforms.push(PlatformConfig {
                platform: Platform::Youtube,
                base_url: yt.base_url.clone(),
                ig_user_id: None,
                graph_version: None,
                multi_id_requests: false,
                daily_quota_units: Some(yt.daily_quota_units),
                tiktok_api: TiktokApi::Research,
                meta_api: MetaApi::Public,
                auth_url: None,
                secret_envs: vec![("api_key_env", yt.api_key_env.clone())],
                requests_per_second: yt.requests_per_second,
                timeout_seconds: yt.timeout_seconds,
                quota: u64::from(yt.daily_quota_units),
            });
        }
        for pc in &platforms {
            for (key, value) in [
                ("requests_per_second", pc.requests_per_second),
                ("timeout_seconds", pc.timeout_seconds),
            ] {
                if value == 0 {
                    return Err(invalid(
                        &format!("platforms.{}.{key}", pc.platform),
                        "must be at least 1".into(),
                    ));
                }
            }
            if pc.quota == 0 {
                return Err(invalid(
                    &format!("platforms.{}", pc.platform),
                    "its quota key must be at least 1".into(),
                ));
            }
        }
        let rs = &raw.schedule;
        for (key, value) in [
            ("schedule.cycle_minutes", rs.cycle_minutes),
            ("schedule.hot_refresh_minutes", rs.hot_refresh_minutes),
            ("schedule.warm_refresh_hours", rs.warm_refresh_hours),
            ("schedule.max_age_days", rs.max_age_days),
            ("schedule.account_refresh_hours", rs.account_refresh_hours),
            (
                "schedule.expensive_discovery_hours",
                rs.expensive_discovery_hours,
            ),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1".into()));
            }
        }
        let schedule = Schedule {
            cycle: i64::from(rs.cycle_minutes) * 60,
            tiers: Tiers {
                hot_age: i64::from(rs.hot_hours) * 3600,
                hot_every: i64::from(rs.hot_refresh_minutes) * 60,
                warm_every: i64::from(rs.warm_refresh_hours) * 3600,
                max_age: i64::from(rs.max_age_days) * 86_400,
                account_every: i64::from(rs.account_refresh_hours) * 3600,
            },
            expensive_discovery_every: i64::from(rs.expensive_discovery_hours) * 3600,
        };
        for pc in &platforms {
            for (key, var) in &pc.secret_envs {
                if var.trim().is_empty() {
                    return Err(invalid(
                        &format!("platforms.{}.{key}", pc.platform),
                        "must name an environment variable".into(),
                    ));
                }
            }
        }

        let rr = &raw.reports;
        let at: jiff::civil::Time = rr.time.parse().map_err(|_| {
            invalid(
                "reports.time",
                format!(
                    "{:?} is not a time of day: write HH:MM, e.g. \"06:00\"",
                    rr.time
                ),
            )
        })?;
        if rr.top == 0 {
            return Err(invalid("reports.top", "must be at least 1".into()));
        }
        if rr.settle_days > 30 {
            return Err(invalid(
                "reports.settle_days",
                "must be at most 30 (days during which a day's figures may still move)".into(),
            ));
        }
        let telegram = rr
            .telegram
            .as_ref()
            .map(|t| telegram_of(t, "reports.telegram", &invalid))
            .transpose()?;
        let webhook = rr
            .webhook
            .as_ref()
            .map(|w| webhook_of(w, "reports.webhook", &invalid))
            .transpose()?;
        let ra = &raw.alerts;
        if ra.after_failures == 0 {
            return Err(invalid(
                "alerts.after_failures",
                "must be at least 1".into(),
            ));
        }
        let alerts = Alerts {
            after_failures: ra.after_failures,
            telegram: ra
                .telegram
                .as_ref()
                .map(|t| telegram_of(t, "alerts.telegram", &invalid))
                .transpose()?,
            webhook: ra
                .webhook
                .as_ref()
                .map(|w| webhook_of(w, "alerts.webhook", &invalid))
                .transpose()?,
        };
        if let Some(url) = &rr.public_url {
            check_url(url, "reports.public_url", &invalid)?;
        }
        let reports = Reports {
            enabled: rr.enabled,
            directory: normalize(&base.join(&rr.directory)),
            at,
            formats: rr.formats.clone(),
            lang: rr.lang,
            top: rr.top as usize,
            settle_days: rr.settle_days as i32,
            weekly: rr.weekly,
            monthly: rr.monthly,
            public_url: rr
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            telegram,
            webhook,
        };

        let rc = &raw.consent;
        let listen = rc.listen.trim().parse().map_err(|_| {
            invalid(
                "consent.listen",
                format!(
                    "{:?} is not an address: write HOST:PORT, e.g. \"127.0.0.1:8080\"",
                    rc.listen
                ),
            )
        })?;
        if let Some(url) = &rc.public_url {
            check_url(url, "consent.public_url", &invalid)?;
        }
        if rc.link_days == 0 {
            return Err(invalid("consent.link_days", "must be at least 1".into()));
        }
        if rc.secret_key_env.trim().is_empty() {
            return Err(invalid(
                "consent.secret_key_env",
                "must name an environment variable".into(),
            ));
        }
        let meta = match &rc.meta {
            None => None,
            Some(m) => {
                check_url(&m.dialog_url, "consent.meta.dialog_url", &invalid)?;
                if m.app_id.trim().is_empty()
                    || !m.app_id.trim().chars().all(|c| c.is_ascii_digit())
                {
                    return Err(invalid(
                        "consent.meta.app_id",
                        "the Meta app's numeric id".into(),
                    ));
                }
                if m.config_id.trim().is_empty() {
                    return Err(invalid(
                        "consent.meta.config_id",
                        "the Facebook Login for Business configuration's id".into(),
                    ));
                }
                let graph_url = platforms
                    .iter()
                    .find(|p| p.graph_version.is_some())
                    .map(|p| p.base_url.clone())
                    .unwrap_or_else(|| {
                        format!(
                            "{GRAPH_BASE_URL}/{}",
                            crate::platform::graph_version::DEFAULT
                        )
                    });
                let version = graph_url.rsplit('/').next().unwrap_or("v25.0").to_string();
                Some(MetaApp {
                    app_id: m.app_id.trim().to_string(),
                    app_secret_env: m.app_secret_env.trim().to_string(),
                    config_id: m.config_id.trim().to_string(),
                    dialog_url: format!("{}/{version}", m.dialog_url.trim_end_matches('/')),
                    graph_url,
                })
            }
        };
        for pc in &platforms {
            if pc.meta_api == MetaApi::Consent && meta.is_none() {
                return Err(invalid(
                    &format!("platforms.{}.api", pc.platform),
                    "\"consent\" needs a [consent.meta] table (the Meta app businesses connect with)".into(),
                ));
            }
        }
        let consent = Consent {
            meta,
            listen,
            public_url: rc
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            link_seconds: i64::from(rc.link_days) * 86_400,
            secret_key_env: rc.secret_key_env.trim().to_string(),
            lapse_warning_seconds: i64::from(rc.lapse_warning_days) * 86_400,
        };

        let rd = &raw.dashboard;
        if rd.session_hours == 0 {
            return Err(invalid(
                "dashboard.session_hours",
                "must be at least 1".into(),
            ));
        }
        if !(1..=1000).contains(&rd.page_size) {
            return Err(invalid(
                "dashboard.page_size",
                format!("{} rows: write 1 to 1000", rd.page_size),
            ));
        }
        let dashboard = Dashboard {
            session_seconds: i64::from(rd.session_hours) * 3600,
            refresh: std::time::Duration::from_secs(u64::from(rd.refresh_seconds)),
            page_size: rd.page_size as usize,
        };

        Ok(Config {
            alerts,
            consent,
            dashboard,
            file: path.to_path_buf(),
            campaign: Campaign {
                name: c.name.clone(),
                hashtags,
                timezone_name: c.timezone.clone(),
                timezone,
            },
            database,
            wal_limit,
            platforms,
            schedule,
            reports,
            raw,
        })
    }

    /// What an operator should act on before it breaks, as of `today` (UTC): a Graph
    /// version that has ended or ends within 90 days. `config check`, `status` and the
    /// daemon's start print these.
    pub fn warnings(&self, today: jiff::civil::Date) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for pc in &self.platforms {
            if let Some(w) = pc.graph_version.and_then(|v| v.warning(today))
                && !out.contains(&w)
            {
                out.push(w);
            }
        }
        out
    }

    /// Settings of one platform, if it is enabled.
    pub fn platform(&self, platform: Platform) -> Option<&PlatformConfig> {
        self.platforms.iter().find(|p| p.platform == platform)
    }

    /// Reads every enabled platform's credentials through `env` (normally
    /// `std::env::var`). A missing or empty variable is an error naming its key.
    pub fn secrets(&self, env: impl Fn(&str) -> Option<String>) -> Result<Secrets, ConfigError> {
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        // Every variable an enabled platform needs: (dotted key, variable, platform).
        let mut needed: Vec<(String, &str, Platform)> = Vec::new();
        for pc in &self.platforms {
            for (key, var) in &pc.secret_envs {
                needed.push((format!("platforms.{}.{key}", pc.platform), var, pc.platform));
            }
        }
        let consenting = self.platforms.iter().find(|p| p.consents());
        if let Some(pc) = consenting {
            needed.push((
                "consent.secret_key_env".into(),
                &self.consent.secret_key_env,
                pc.platform,
            ));
        }
        if let Some(meta) = self.consent.meta.as_ref()
            && let Some(pc) = self
                .platforms
                .iter()
                .find(|p| p.meta_api == MetaApi::Consent)
        {
            needed.push((
                "consent.meta.app_secret_env".into(),
                &meta.app_secret_env,
                pc.platform,
            ));
        }
        let mut secrets = BTreeMap::new();
        for (key, var, platform) in needed {
            match env(var).filter(|v| !v.trim().is_empty()) {
                Some(value) => {
                    secrets.insert(var.to_string(), Secret(value));
                }
                None => {
                    return Err(ConfigError::MissingEnv {
                        file: self.file.clone(),
                        line: line_of(&text, &key),
                        key,
                        var: var.to_string(),
                        platform,
                    });
                }
            }
        }
        secrets.extend(self.report_secrets(env).0);
        Ok(Secrets(secrets))
    }

    /// Whether Facebook or Instagram reads with businesses' consent (and so needs the
    /// Meta app's secret).
    pub fn uses_meta_consent(&self) -> bool {
        self.platforms
            .iter()
            .any(|p| p.meta_api == MetaApi::Consent)
    }

    /// Only the secret the daily report needs: the Telegram bot token, optional (without
    /// it the summary is not sent, and a warning says so).
    pub fn report_secrets(&self, env: impl Fn(&str) -> Option<String>) -> Secrets {
        let mut secrets = BTreeMap::new();
        for p in self.push_secrets() {
            if let Some(value) = env(p.var).filter(|v| !v.trim().is_empty()) {
                secrets.insert(p.var.to_string(), Secret(value));
            }
        }
        Secrets(secrets)
    }

    /// The secrets of the configured pushes (reports and alerts; Telegram and webhooks).
    pub fn push_secrets(&self) -> Vec<PushSecret<'_>> {
        let mut out = Vec::new();
        let (r, a) = (&self.reports, &self.alerts);
        if let Some(t) = &r.telegram {
            out.push(PushSecret {
                key: "reports.telegram.bot_token_env",
                var: &t.bot_token_env,
                unsent: "the report summaries will not be sent to Telegram",
            });
        }
        if let Some(w) = &r.webhook {
            out.push(PushSecret {
                key: "reports.webhook.secret_env",
                var: &w.secret_env,
                unsent: "the report summaries will not be posted to the webhook",
            });
        }
        if let Some(t) = &a.telegram {
            out.push(PushSecret {
                key: "alerts.telegram.bot_token_env",
                var: &t.bot_token_env,
                unsent: "alerts will not be sent to Telegram",
            });
        }
        if let Some(w) = &a.webhook {
            out.push(PushSecret {
                key: "alerts.webhook.secret_env",
                var: &w.secret_env,
                unsent: "alerts will not be posted to the webhook",
            });
        }
        out
    }

    /// The effective config as TOML (defaults filled in, every platform shown), with
    /// the secrets' variables listed as comments and their values as `***`.
    pub fn to_effective_toml(&self, env: impl Fn(&str) -> Option<String>) -> String {
        let mut raw = self.raw.clone();
        raw.storage.database = self.database.clone();
        let p = &mut raw.platforms;
        p.instagram.get_or_insert_with(|| RawInstagram {
            enabled: false,
            requests_per_second: rps_rawinstagram(),
            timeout_seconds: timeout_default(),
            calls_per_hour: graph_calls_per_hour(),
            base_url: graph_base_url(),
            ig_user_id: None,
            access_token_env: instagram_token_env(),
            api: MetaApi::Public,
        });
        p.facebook.get_or_insert_with(|| RawFacebook {
            enabled: false,
            requests_per_second: rps_rawfacebook(),
            timeout_seconds: timeout_default(),
            calls_per_hour: graph_calls_per_hour(),
            base_url: graph_base_url(),
            access_token_env: facebook_token_env(),
            multi_id_requests: false,
            api: MetaApi::Public,
        });
        p.tiktok.get_or_insert_with(|| RawTiktok {
            enabled: false,
            requests_per_second: rps_rawtiktok(),
            timeout_seconds: timeout_default(),
            daily_requests: tiktok_daily_requests(),
            base_url: tiktok_base_url(),
            client_key_env: tiktok_key_env(),
            client_secret_env: tiktok_secret_env(),
            api: TiktokApi::Research,
            auth_url: tiktok_auth_url(),
        });
        p.youtube.get_or_insert_with(|| RawYoutube {
            enabled: false,
            requests_per_second: rps_rawyoutube(),
            timeout_seconds: timeout_default(),
            base_url: youtube_base_url(),
            api_key_env: youtube_key_env(),
            daily_quota_units: youtube_daily_units(),
        });
        raw.reports.directory = self.reports.directory.clone();
        let mut out = toml::to_string_pretty(&raw).unwrap_or_default();
        out.push_str("\n# Secrets, read from the environment (values never printed):\n");
        for pc in &self.platforms {
            for (key, var) in &pc.secret_envs {
                let state = match env(var).filter(|v| !v.trim().is_empty()) {
                    Some(_) => "***",
                    None => "NOT SET",
                };
                out.push_str(&format!(
                    "#   platforms.{}.{key}: {var} = {state}\n",
                    pc.platform
                ));
            }
        }
        for p in self.push_secrets() {
            let state = match env(p.var).filter(|v| !v.trim().is_empty()) {
                Some(_) => "***".to_string(),
                None => format!("NOT SET ({})", p.unsent),
            };
            out.push_str(&format!("#   {}: {} = {state}\n", p.key, p.var));
        }
        out
    }
}

/// A validated Telegram target; `key` is its table (`reports.telegram`, `alerts.telegram`).
fn telegram_of(
    t: &RawTelegram,
    key: &str,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<Telegram, ConfigError> {
    if t.chat_id.trim().is_empty() {
        return Err(invalid(
            &format!("{key}.chat_id"),
            "must not be empty".into(),
        ));
    }
    if t.bot_token_env.trim().is_empty() {
        return Err(invalid(
            &format!("{key}.bot_token_env"),
            "must name an environment variable".into(),
        ));
    }
    check_url(&t.base_url, &format!("{key}.base_url"), invalid)?;
    Ok(Telegram {
        chat_id: t.chat_id.clone(),
        bot_token_env: t.bot_token_env.clone(),
        base_url: t.base_url.trim_end_matches('/').to_string(),
        document: t.document,
    })
}

/// A validated webhook target; `key` is its table.
fn webhook_of(
    w: &RawWebhook,
    key: &str,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<Webhook, ConfigError> {
    check_url(&w.url, &format!("{key}.url"), invalid)?;
    if w.secret_env.trim().is_empty() {
        return Err(invalid(
            &format!("{key}.secret_env"),
            "must name an environment variable".into(),
        ));
    }
    Ok(Webhook {
        url: w.url.clone(),
        secret_env: w.secret_env.clone(),
    })
}

fn check_url(
    url: &str,
    key: &str,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
    if ok {
        Ok(())
    } else {
        Err(invalid(key, format!("{url:?} is not an http(s) URL")))
    }
}

/// The Graph base URL in force and its version. A `base_url` whose last segment is a
/// version (`…/v21.0`, as configs before `graph_version` wrote it) is used as it is;
/// otherwise the version (`platforms.graph_version`, default [`graph_version::DEFAULT`])
/// is appended. A pinned version that contradicts `graph_version` is an error.
fn graph_base(
    base_url: &str,
    key: &str,
    configured: Option<GraphVersion>,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<(String, GraphVersion), ConfigError> {
    match GraphVersion::in_url(base_url) {
        Some(pinned) => match configured {
            Some(v) if v != pinned => Err(invalid(
                key,
                format!(
                    "pins Graph {pinned} but platforms.graph_version is {v}: drop the version from base_url, or make the two agree"
                ),
            )),
            _ => Ok((base_url.to_string(), pinned)),
        },
        None => {
            let version = configured.unwrap_or(graph_version::DEFAULT);
            Ok((
                format!("{}/{version}", base_url.trim_end_matches('/')),
                version,
            ))
        }
    }
}

/// Folds `a/../b` lexically, so printed paths read as people expect.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Deserializes with the dotted path of the failing key. Returns (key, line, message).
fn deserialize(text: &str) -> Result<RawConfig, (String, Option<usize>, String)> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        (
            String::new(),
            e.span().map(|s| line_at(text, s.start)),
            first_line(e.message()),
        )
    })?;
    serde_path_to_error::deserialize::<_, RawConfig>(de).map_err(|e| {
        let mut key = e.path().to_string();
        let inner = e.into_inner();
        let message = first_line(inner.message());
        // An unknown key is reported at its table; name the key itself.
        if let Some(unknown) = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
        {
            if key == "." || key.is_empty() {
                key = unknown.to_string();
            } else if !key.ends_with(unknown) {
                key = format!("{key}.{unknown}");
            }
            let hint = secret_hint(unknown);
            let line = inner.span().map(|s| line_at(text, s.start));
            return (key, line, format!("{message}{hint}"));
        }
        if key == "." {
            key = String::new();
        }
        (key, inner.span().map(|s| line_at(text, s.start)), message)
    })
}

/// Points operators who paste a token into the file at the `*_env` keys.
fn secret_hint(key: &str) -> &'static str {
    let k = key.to_ascii_lowercase();
    if ["token", "secret", "api_key", "password", "client_key"]
        .iter()
        .any(|s| k.contains(s))
    {
        " — secrets are never read from the config file: put the value in an environment \
         variable and name it with the matching *_env key (e.g. access_token_env = \"JEMPOL_INSTAGRAM_TOKEN\")"
    } else {
        ""
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

fn line_at(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// Line of a dotted key (`platforms.instagram.base_url`) in the TOML text, or of its
/// nearest table present in the file.
fn line_of(text: &str, dotted: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut found = None;
    for part in dotted.split('.') {
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == part) else {
            break;
        };
        found = Some(line_at(text, k.span().start));
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found
}

/// How often posts and accounts are refreshed, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Tiers {
    /// Posts younger than this are "hot"...
    pub hot_age: i64,
    /// ...and refreshed this often.
    pub hot_every: i64,
    /// Older posts are refreshed this often...
    pub warm_every: i64,
    /// ...until they are this old; then they are left alone.
    pub max_age: i64,
    /// Account figures are refreshed this often (more often while an account has a hot post).
    pub account_every: i64,
}

/// Output formats of `jempol report`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Md,
    Csv,
    Json,
    Html,
}

impl Format {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Md => "md",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Html => "html",
        }
    }
}

/// A report language.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Deserialize,
    serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }
}
