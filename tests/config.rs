//! Specification of the config file: defaults, validation that names the key, secrets.

mod common;

use common::{MINIMAL_CONFIG, Workspace, repo_root};
use jempol::config::{Config, ConfigError};
use jempol::platform::Platform;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, std::path::Path::new("/etc/jempol/jempol.toml"))
}

fn error_of(text: &str) -> String {
    parse(text)
        .expect_err("config should be refused")
        .to_string()
}

#[test]
fn a_file_with_only_the_required_keys_is_complete() {
    let config = parse(MINIMAL_CONFIG).unwrap();
    assert_eq!(config.campaign.timezone_name, "Asia/Jakarta");
    assert_eq!(
        config.campaign.hashtags[0].as_str(),
        "UMKMKotaPadangMajuBersama"
    );
    assert!(
        config.platforms.is_empty(),
        "no [platforms.*] table: nothing enabled"
    );
}

#[test]
fn relative_database_path_is_relative_to_the_config_file() {
    let config =
        parse("[campaign]\nname='x'\nhashtags=['a']\n[storage]\ndatabase='../data/j.db'\n")
            .unwrap();
    assert_eq!(config.database, std::path::Path::new("/etc/data/j.db"));
    let default = parse("[campaign]\nname='x'\nhashtags=['a']\n").unwrap();
    assert_eq!(
        default.database,
        std::path::Path::new("/etc/jempol/data/jempol.db")
    );
}

#[test]
fn a_platform_table_enables_it_with_the_real_api_as_default_base_url() {
    let config = parse(&format!(
        "{MINIMAL_CONFIG}\n[platforms.youtube]\n[platforms.tiktok]\n[platforms.facebook]\nenabled = false\n[platforms.instagram]\nig_user_id = \"1784\"\n"
    ))
    .unwrap();
    let yt = config.platform(Platform::Youtube).unwrap();
    assert_eq!(yt.base_url, "https://www.googleapis.com/youtube/v3");
    assert_eq!(yt.daily_quota_units, Some(10_000));
    assert_eq!(
        config.platform(Platform::Tiktok).unwrap().base_url,
        "https://open.tiktokapis.com"
    );
    assert_eq!(
        config.platform(Platform::Instagram).unwrap().base_url,
        "https://graph.facebook.com/v25.0",
        "Graph v25.0 by default: available until 29 Jul 2028"
    );
    assert!(
        config.platform(Platform::Facebook).is_none(),
        "enabled = false"
    );
}

#[test]
fn one_graph_version_serves_instagram_and_facebook() {
    let config = parse(&format!(
        "{MINIMAL_CONFIG}\n[platforms]\ngraph_version = \"v27.0\"\n[platforms.facebook]\nbase_url = \"http://127.0.0.1:8700/graph/\"\n[platforms.instagram]\nig_user_id = \"1784\"\n"
    ))
    .unwrap();
    assert_eq!(
        config.platform(Platform::Instagram).unwrap().base_url,
        "https://graph.facebook.com/v27.0"
    );
    assert_eq!(
        config.platform(Platform::Facebook).unwrap().base_url,
        "http://127.0.0.1:8700/graph/v27.0"
    );
    assert!(
        !config
            .platform(Platform::Facebook)
            .unwrap()
            .multi_id_requests
    );
}

#[test]
fn a_base_url_that_pins_a_version_keeps_working_and_is_warned_about_before_its_end() {
    let config = parse(&format!(
        "{MINIMAL_CONFIG}\n[platforms.facebook]\nbase_url = \"https://graph.facebook.com/v21.0\"\n"
    ))
    .unwrap();
    assert_eq!(
        config.platform(Platform::Facebook).unwrap().base_url,
        "https://graph.facebook.com/v21.0"
    );
    let warnings = config.warnings(jiff::civil::date(2026, 12, 1));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("v21.0") && warnings[0].contains("2027-01-21"),
        "{warnings:?}"
    );
    assert!(
        config.warnings(jiff::civil::date(2026, 10, 1)).is_empty(),
        "more than 90 days before the end: no warning"
    );
    let current = parse(&format!("{MINIMAL_CONFIG}\n[platforms.facebook]\n")).unwrap();
    assert!(current.warnings(jiff::civil::date(2026, 12, 1)).is_empty());
}

#[test]
fn a_pinned_version_that_contradicts_graph_version_is_refused_naming_the_key() {
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[platforms]\ngraph_version = \"v25.0\"\n[platforms.facebook]\nbase_url = \"https://graph.facebook.com/v21.0\"\n"
    ));
    assert!(err.contains("platforms.facebook.base_url"), "{err}");
    assert!(err.contains("v21.0") && err.contains("v25.0"), "{err}");
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[platforms]\ngraph_version = \"25\"\n[platforms.facebook]\n"
    ));
    assert!(err.contains("platforms.graph_version"), "{err}");
}

#[test]
fn config_check_and_status_warn_about_a_graph_version_near_its_end() {
    let ws = Workspace::with_config(&format!(
        "{MINIMAL_CONFIG}\n[platforms.facebook]\nbase_url = \"https://graph.facebook.com/v20.0\"\n"
    ));
    let env = [("JEMPOL_FACEBOOK_TOKEN", "EAAsecret")];
    let run = ws.jempol_env(&["config", "check"], &env).expect_code(0);
    assert!(
        run.stderr()
            .contains("warning: Graph API v20.0 ended on 2026-09-24"),
        "{}",
        run.stderr()
    );
    let status = ws.jempol_env(&["status"], &env).expect_code(0);
    assert!(
        status.stdout().contains("warning: Graph API v20.0"),
        "{}",
        status.stdout()
    );
    let json = ws
        .jempol_env(&["status", "--format", "json"], &env)
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("v20.0")),
        "{v}"
    );
}

#[test]
fn each_credential_comes_from_the_variable_its_key_names() {
    let config = parse(&format!(
        "{MINIMAL_CONFIG}\n[platforms.tiktok]\nclient_secret_env = \"TT_SECRET\"\nclient_key_env = \"TT_KEY\"\n"
    ))
    .unwrap();
    let secrets = config
        .secrets(|var| Some(format!("value of {var}")))
        .unwrap();
    match secrets.credentials(&config.platforms[0]) {
        jempol::config::Credentials::Tiktok {
            client_key,
            client_secret,
        } => {
            assert_eq!(client_key.expose(), "value of TT_KEY");
            assert_eq!(client_secret.expose(), "value of TT_SECRET");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = error_of("[campaign]\nname='x'\nhashtags=['a']\ntimezon='Asia/Jakarta'\n");
    assert!(err.contains("jempol.toml:4"), "{err}");
    assert!(err.contains("campaign.timezon"), "{err}");
}

#[test]
fn wrong_type_is_named_with_its_key() {
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[platforms.youtube]\ndaily_quota_units = \"banyak\"\n"
    ));
    assert!(err.contains("platforms.youtube.daily_quota_units"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn invalid_time_zone_is_named_with_its_line() {
    let err = error_of("[campaign]\nname='x'\nhashtags=['a']\ntimezone='Asia/Padang'\n");
    assert!(err.contains(":4: campaign.timezone"), "{err}");
    assert!(err.contains("Asia/Padang"), "{err}");
}

#[test]
fn empty_hashtag_list_is_refused() {
    let err = error_of("[campaign]\nname='x'\nhashtags=[]\n");
    assert!(err.contains(":3: campaign.hashtags"), "{err}");
    let err = error_of("[campaign]\nname='x'\nhashtags=['dua kata']\n");
    assert!(err.contains("campaign.hashtags"), "{err}");
}

#[test]
fn instagram_needs_the_campaign_account_id() {
    let err = error_of(&format!("{MINIMAL_CONFIG}\n[platforms.instagram]\n"));
    assert!(err.contains("platforms.instagram.ig_user_id"), "{err}");
}

#[test]
fn a_token_in_the_file_is_refused_with_a_pointer_to_the_env_keys() {
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[platforms.instagram]\nig_user_id = \"1\"\naccess_token = \"EAABsbCS1iHgBAKZCZA\"\n"
    ));
    assert!(err.contains("platforms.instagram.access_token"), "{err}");
    assert!(err.contains("access_token_env"), "{err}");
    assert!(
        !err.contains("EAABsbCS1iHgBAKZCZA"),
        "the secret must not be echoed: {err}"
    );
}

#[test]
fn a_missing_secret_variable_names_key_and_variable() {
    let config = parse(&format!(
        "{MINIMAL_CONFIG}\n[platforms.youtube]\napi_key_env = \"YT_KEY\"\n"
    ))
    .unwrap();
    let err = config.secrets(|_| None).unwrap_err().to_string();
    assert!(err.contains("platforms.youtube.api_key_env"), "{err}");
    assert!(err.contains("YT_KEY"), "{err}");
    let secrets = config
        .secrets(|v| (v == "YT_KEY").then(|| "AIzaSyExample".to_string()))
        .unwrap();
    assert_eq!(secrets.get("YT_KEY").unwrap().expose(), "AIzaSyExample");
    assert_eq!(format!("{:?}", secrets.get("YT_KEY").unwrap()), "***");
}

#[test]
fn config_check_prints_secrets_as_stars_and_exits_0() {
    let ws = Workspace::with_config(&format!("{MINIMAL_CONFIG}\n[platforms.youtube]\n"));
    let run = ws
        .jempol_env(
            &["config", "check"],
            &[("JEMPOL_YOUTUBE_API_KEY", "AIzaSySuperSecret123")],
        )
        .expect_code(0);
    assert!(
        run.stdout().contains("JEMPOL_YOUTUBE_API_KEY = ***"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains("daily_quota_units = 10000"),
        "defaults are shown"
    );
    assert!(!run.stdout().contains("AIzaSySuperSecret123"));
    assert!(!run.stderr().contains("AIzaSySuperSecret123"));
}

#[test]
fn config_check_exits_2_naming_the_missing_variable() {
    let ws = Workspace::with_config(&format!("{MINIMAL_CONFIG}\n[platforms.tiktok]\n"));
    let run = ws.jempol(&["config", "check"]).expect_code(2);
    assert!(
        run.stderr().contains("platforms.tiktok.client_key_env"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("JEMPOL_TIKTOK_CLIENT_KEY"),
        "{}",
        run.stderr()
    );
}

#[test]
fn config_check_exits_2_on_a_bad_file() {
    let ws = Workspace::with_config("[campaign]\nname='x'\nhashtags=['a']\nnonsense=1\n");
    let run = ws.jempol(&["config", "check"]).expect_code(2);
    assert!(
        run.stderr().contains("jempol.toml:4: campaign.nonsense"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_missing_config_file_is_exit_2_with_a_hint() {
    let ws = Workspace::new();
    std::fs::remove_file(ws.config()).unwrap();
    let run = ws.jempol(&["config", "check"]).expect_code(2);
    assert!(run.stderr().contains("not found"), "{}", run.stderr());
    assert!(
        run.stderr().contains("jempol.example.toml"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_shipped_example_and_demo_configs_are_valid() {
    for name in ["jempol.example.toml", "demo.toml"] {
        let path = repo_root().join("config").join(name);
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            config.platforms.len(),
            4,
            "{name} enables all four platforms"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let ws = Workspace::new();
    ws.jempol(&["businesses", "frobnicate"]).expect_code(2);
    ws.jempol(&["businesses", "list", "--format", "xml"])
        .expect_code(2);
}

#[test]
fn jempol_config_variable_is_used_when_no_flag_is_given() {
    let ws = Workspace::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"))
        .args(["config", "check"])
        .env("JEMPOL_CONFIG", ws.config())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Sedekah Jempol"));
}

#[test]
fn config_check_names_a_telegram_token_variable_that_is_not_set() {
    let ws = Workspace::with_config(&format!(
        "{MINIMAL_CONFIG}\n[reports.telegram]\nchat_id = \"-100200300\"\n"
    ));
    let run = ws.jempol(&["config", "check"]).expect_code(0);
    assert!(
        run.stderr().contains("reports.telegram.bot_token_env: environment variable JEMPOL_TELEGRAM_BOT_TOKEN is not set"),
        "{}",
        run.stderr()
    );
    let run = ws
        .jempol_env(
            &["config", "check"],
            &[("JEMPOL_TELEGRAM_BOT_TOKEN", "123:abc")],
        )
        .expect_code(0);
    assert!(!run.stderr().contains("bot_token_env"), "{}", run.stderr());
}

#[test]
fn config_init_writes_a_config_that_checks_and_never_replaces_one_unasked() {
    let ws = Workspace::new();
    let before = std::fs::read_to_string(ws.config()).unwrap();
    let refused = ws.jempol(&["config", "init"]).expect_code(1);
    assert!(refused.stderr().contains("--force"), "{}", refused.stderr());
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);

    ws.jempol(&["config", "init", "--force"]).expect_code(0);
    let written = std::fs::read_to_string(ws.config()).unwrap();
    assert!(written.contains("[campaign]") && written != before);
    // With its secrets' variables set, the written config checks.
    let env: Vec<(&str, &str)> = jempol::sim::CONFIG_ENV.iter().map(|v| (*v, "x")).collect();
    let check = ws.jempol_env(&["config", "check"], &env).expect_code(0);
    assert!(check.stderr().contains("config OK"), "{}", check.stderr());
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definition() {
    let ws = Workspace::new();
    let bash = ws.jempol(&["completions", "bash"]).expect_code(0).stdout();
    for word in ["businesses", "report", "--platform", "status"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let zsh = ws.jempol(&["completions", "zsh"]).expect_code(0).stdout();
    assert!(
        zsh.starts_with("#compdef jempol"),
        "{}",
        &zsh[..zsh.len().min(80)]
    );
    let man = ws.jempol(&["man"]).expect_code(0).stdout();
    assert!(
        man.contains(".TH jempol 1"),
        "{}",
        &man[..man.len().min(200)]
    );
    assert!(
        man.contains("Exit codes"),
        "the man page carries the help's text"
    );
}

/// `config/jempol.service`, as `systemd-analyze security` rates it (offline: the unit
/// is read, not started). `.ci/run` installs systemd-analyze where it is missing.
#[test]
fn the_shipped_systemd_unit_rates_4_or_better_in_systemd_analyze_security() {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/config/jempol.service");
    let out = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager", unit])
        .output()
        .expect("systemd-analyze (Debian package `systemd`) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let overall = text
        .lines()
        .find_map(|l| l.split("Overall exposure level for jempol.service:").nth(1))
        .unwrap_or_else(|| panic!("no overall rating in:\n{text}"));
    let score: f64 = overall
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unreadable rating: {overall}"));
    assert!(score <= 4.0, "rated {overall}");
}

#[test]
fn the_reports_schedule_and_its_pushes_default_to_what_a_coordinator_expects() {
    let c = parse(&format!(
        "{MINIMAL_CONFIG}\n[reports]\n[reports.telegram]\nchat_id = \"-1\"\n"
    ))
    .unwrap();
    let r = &c.reports;
    assert!(
        r.weekly && r.monthly,
        "weekly and monthly reports beside the daily one"
    );
    assert_eq!(r.public_url, None);
    assert!(
        r.telegram.as_ref().unwrap().document,
        "the page goes with its summary"
    );
    let c = parse(&format!(
        "{MINIMAL_CONFIG}\n[reports]\nweekly = false\npublic_url = \"https://laporan.example/r/\"\n[reports.telegram]\nchat_id = \"-1\"\ndocument = false\n"
    ))
    .unwrap();
    assert!(!c.reports.weekly && c.reports.monthly);
    assert_eq!(
        c.reports.public_url.as_deref(),
        Some("https://laporan.example/r")
    );
    assert!(!c.reports.telegram.unwrap().document);
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[reports]\npublic_url = \"laporan.example\"\n"
    ));
    assert!(err.contains("reports.public_url"), "{err}");
}

#[test]
fn consent_keys_are_checked_and_the_key_comes_only_from_its_variable() {
    let display = format!("{MINIMAL_CONFIG}\n[platforms.tiktok]\napi = \"display\"\n");
    let err = error_of(&format!("{display}\n[consent]\nlisten = \"somewhere\"\n"));
    assert!(err.contains("consent.listen"), "{err}");
    let err = error_of(&format!(
        "{display}\n[consent]\npublic_url = \"not a url\"\n"
    ));
    assert!(err.contains("consent.public_url"), "{err}");
    let err = error_of(&format!(
        "{MINIMAL_CONFIG}\n[platforms.tiktok]\napi = \"scraping\"\n"
    ));
    assert!(err.contains("api"), "{err}");
    // The display route needs the key, and names the key that names its variable.
    let config = parse(&display).unwrap();
    let env = |v: &str| (v != "JEMPOL_SECRET_KEY").then(|| "x".to_string());
    let err = config.secrets(env).unwrap_err().to_string();
    assert!(err.contains("consent.secret_key_env"), "{err}");
    assert!(err.contains("JEMPOL_SECRET_KEY"), "{err}");
    // The research route does not.
    let research = parse(&format!("{MINIMAL_CONFIG}\n[platforms.tiktok]\n")).unwrap();
    assert!(research.secrets(env).is_ok());
}

#[test]
fn serve_and_links_without_a_public_url_or_a_key_exit_2_naming_what_is_missing() {
    let ws = Workspace::with_config(&format!(
        "{MINIMAL_CONFIG}\n[platforms.tiktok]\napi = \"display\"\n"
    ));
    let env = [
        ("JEMPOL_TIKTOK_CLIENT_KEY", "k"),
        ("JEMPOL_TIKTOK_CLIENT_SECRET", "s"),
        ("JEMPOL_SECRET_KEY", "00"),
    ];
    let run = ws.jempol_env(&["serve"], &env).expect_code(2);
    assert!(
        run.stderr().contains("consent.public_url"),
        "{}",
        run.stderr()
    );
    let run = ws.jempol_env(&["businesses", "links"], &env).expect_code(2);
    assert!(
        run.stderr().contains("consent.public_url"),
        "{}",
        run.stderr()
    );
    let ws = Workspace::with_config(&format!(
        "{MINIMAL_CONFIG}\n[platforms.tiktok]\napi = \"display\"\n[consent]\npublic_url = \"https://jempol.example.go.id\"\n"
    ));
    let run = ws.jempol_env(&["businesses", "links"], &env).expect_code(2);
    assert!(
        run.stderr()
            .contains("JEMPOL_SECRET_KEY must be 64 hex characters"),
        "{}",
        run.stderr()
    );
    let key = ws.jempol(&["config", "new-key"]).expect_code(0).stdout();
    assert_eq!(key.trim().len(), 64);
    assert!(key.trim().chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn meta_consent_needs_its_app_table_and_reads_the_app_secret_from_its_variable() {
    let consent = format!("{MINIMAL_CONFIG}\n[platforms.facebook]\napi = \"consent\"\n");
    let err = error_of(&consent);
    assert!(
        err.contains("platforms.facebook.api") && err.contains("[consent.meta]"),
        "{err}"
    );
    let err = error_of(&format!(
        "{consent}\n[consent.meta]\napp_id = \"not digits\"\nconfig_id = \"1\"\n"
    ));
    assert!(err.contains("consent.meta.app_id"), "{err}");
    let config = parse(&format!(
        "{consent}\n[platforms.instagram]\napi = \"consent\"\n[consent.meta]\napp_id = \"1234567890\"\nconfig_id = \"99\"\n"
    ))
    .unwrap();
    // Consent needs no campaign token and no ig_user_id, but the app secret and the key.
    let env = |v: &str| (v == "JEMPOL_SECRET_KEY").then(|| "k".to_string());
    let err = config.secrets(env).unwrap_err().to_string();
    assert!(err.contains("consent.meta.app_secret_env"), "{err}");
    assert!(err.contains("JEMPOL_META_APP_SECRET"), "{err}");
    let all = |v: &str| {
        matches!(v, "JEMPOL_SECRET_KEY" | "JEMPOL_META_APP_SECRET").then(|| "x".to_string())
    };
    assert!(config.secrets(all).is_ok());
    let meta = config.consent.meta.as_ref().unwrap();
    assert_eq!(meta.dialog_url, "https://www.facebook.com/v25.0");
    assert_eq!(meta.graph_url, "https://graph.facebook.com/v25.0");
}
