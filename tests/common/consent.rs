//! A consent rig: the simulator (TikTok's Login Kit and Display API) in this process and
//! `jempol serve` as a child process at a known address, with a config whose TikTok
//! reads with businesses' consent.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use jempol::platform::Platform;
use jempol::sim::{SimConfig, Simulator};

use super::binary::{binary_rig_with, jempol};

/// The campaign's key (tests only), and the simulated TikTok app's credentials.
pub const KEY: &str = "5e1f0c9a7b3d2e4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7";
pub const CLIENT_KEY: &str = "sbawjempolsim01";
pub const CLIENT_SECRET: &str = "sim-client-secret";
pub const APP_SECRET: &str = "sim-app-secret";
pub const ENV: [(&str, &str); 4] = [
    ("JEMPOL_SECRET_KEY", KEY),
    ("JEMPOL_TIKTOK_CLIENT_KEY", CLIENT_KEY),
    ("JEMPOL_TIKTOK_CLIENT_SECRET", CLIENT_SECRET),
    ("JEMPOL_META_APP_SECRET", APP_SECRET),
];

pub struct ConsentRig {
    pub rt: tokio::runtime::Runtime,
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    pub public: String,
    serve: Option<Child>,
}

/// A config whose TikTok reads with consent from the simulator, serving at `public`.
pub fn config_text(sim: &Simulator, public: &str, port: u16) -> String {
    format!(
        r#"[campaign]
name = "Sedekah Jempol"
hashtags = ["{tag}"]

[storage]
database = "jempol.db"

[platforms.tiktok]
api = "display"
base_url = "{api}"
auth_url = "{auth}"
requests_per_second = 50

[platforms.facebook]
api = "consent"
base_url = "{graph}"
requests_per_second = 50

[platforms.instagram]
api = "consent"
base_url = "{graph}"
requests_per_second = 50

[consent.meta]
app_id = "1234567890"
config_id = "990011223344"
dialog_url = "{facebook}"

[consent]
public_url = "{public}"
listen = "127.0.0.1:{port}"

[schedule]
warm_refresh_hours = 1
account_refresh_hours = 1
hot_refresh_minutes = 30

[reports]
enabled = false
"#,
        tag = sim.state.world.config.hashtag,
        api = sim.urls.tiktok,
        auth = sim.urls.tiktok_auth,
        graph = sim.urls.graph,
        facebook = sim.urls.facebook_www,
    )
}

/// A free port on 127.0.0.1 (for a server whose address must be known before it starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A business with a TikTok account that has tagged videos now, as (key, username).
pub fn business_with_tagged_videos(sim: &Simulator, skip: usize) -> (String, String) {
    let w = &sim.state.world;
    let now = sim.state.now();
    w.businesses
        .iter()
        .filter_map(|b| {
            let a = b
                .accounts
                .iter()
                .map(|&a| &w.accounts[a as usize])
                .find(|a| a.platform == Platform::Tiktok)?;
            let tagged = w
                .visible_posts(a, now)
                .filter(|(_, p)| w.tagged(p) && p.posted_at > now - 20 * 86_400)
                .count();
            (tagged > 0).then(|| (b.key.clone(), a.handle.clone()))
        })
        .nth(skip)
        .expect("a business with tagged TikTok videos")
}

impl ConsentRig {
    /// A rig whose simulated TikTok app is set up by `app` (lifetimes, rotation).
    pub fn new(app: impl FnOnce(&mut jempol::sim::tiktok_consent::TiktokApp)) -> ConsentRig {
        Self::with_sim(|c| app(&mut c.tiktok_app))
    }

    /// A rig whose simulator is set up by `sim` (quotas, apps).
    pub fn with_sim(sim: impl FnOnce(&mut SimConfig)) -> ConsentRig {
        let port = free_port();
        let public = format!("http://127.0.0.1:{port}");
        // A stopped clock at the wall clock's now: the counts jempol reads are the ones
        // the spec compares with.
        let mut config = SimConfig::new(11, 40, jiff::Timestamp::now());
        config.credentials.tiktok_client_key = Some(CLIENT_KEY.into());
        config.credentials.tiktok_client_secret = Some(CLIENT_SECRET.into());
        config.tiktok_app.redirect_uris = vec![format!("{public}/oauth/tiktok")];
        config.tiktok_app.webhook_url = Some(format!("{public}/webhooks/tiktok"));
        config.meta_app.redirect_uris = vec![format!("{public}/oauth/meta")];
        config.meta_app.deauthorize_url = Some(format!("{public}/webhooks/meta/deauthorize"));
        config.meta_app.deletion_url = Some(format!("{public}/webhooks/meta/data-deletion"));
        sim(&mut config);
        let (rt, sim, dir) = binary_rig_with(config);
        let text = config_text(&sim, &public, port);
        std::fs::write(dir.path().join("jempol.toml"), text).unwrap();
        let out = jempol(dir.path(), &["businesses", "import", "umkm.csv"], &ENV)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ConsentRig {
            rt,
            sim,
            dir,
            public,
            serve: None,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts `jempol serve`, its log in `serve.log`, and waits until it answers.
    pub fn start_serve(&mut self) {
        let log = std::fs::File::create(self.path("serve.log")).unwrap();
        let child = jempol(self.dir.path(), &["serve"], &ENV)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.serve = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::blocking::get(format!("{}/", self.public)).is_err() {
            assert!(
                Instant::now() < deadline,
                "jempol serve never answered: {}",
                self.serve_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn serve_log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.path("serve.log")) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// `jempol ARGS` in the rig, with the rig's secrets; panics unless it exits 0.
    pub fn run(&self, args: &[&str]) -> (String, String) {
        let out = jempol(self.dir.path(), args, &ENV).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "jempol {args:?}\n{stdout}\n{stderr}");
        (stdout, stderr)
    }

    /// A business's personal link, from `jempol businesses links`.
    pub fn link(&self, key: &str) -> String {
        let (csv, _) = self.run(&["businesses", "links", "--format", "csv", "--business", key]);
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let row = rows.records().next().expect("a link").unwrap();
        row[2].to_string()
    }

    /// A business with a TikTok account that has tagged videos now, as (key, username).
    pub fn business_with_tagged_videos(&self, skip: usize) -> (String, String) {
        business_with_tagged_videos(&self.sim, skip)
    }
}

impl Drop for ConsentRig {
    fn drop(&mut self) {
        if let Some(mut child) = self.serve.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The `value` of the form field `name` in an HTML page.
pub fn field(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].replace("&amp;", "&")
}

/// A client that shows every redirect instead of following it.
fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Presses the link page's connect button for `slug`: where it sends the browser.
fn press_connect(http: &reqwest::blocking::Client, link: &str, slug: &str) -> url::Url {
    let page = http.get(link).send().unwrap().text().unwrap();
    let csrf = field(&page, "csrf");
    let start = http
        .post(format!("{link}/{slug}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(start.status(), 303);
    url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap()
}

/// Logs in on a simulated platform's site (`login` path, the request's parameters
/// plus `who`): its session cookie.
fn log_in(
    http: &reqwest::blocking::Client,
    site: &url::Url,
    login: &str,
    params: &[(String, String)],
    who: (&str, &str),
) -> String {
    let mut with_user = params.to_vec();
    with_user.push((who.0.into(), who.1.into()));
    let logged = http
        .post(site.join(login).unwrap())
        .form(&with_user)
        .send()
        .unwrap();
    assert_eq!(logged.status(), 303, "login");
    logged.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The consent page's form sent (`decide` path): the callback URL it redirects to.
fn decide(
    http: &reqwest::blocking::Client,
    site: &url::Url,
    decide: &str,
    cookie: &str,
    params: &[(String, String)],
) -> String {
    let decided = http
        .post(site.join(decide).unwrap())
        .header("cookie", cookie)
        .form(params)
        .send()
        .unwrap();
    assert_eq!(decided.status(), 302);
    decided.headers()["location"].to_str().unwrap().to_string()
}

/// jempol's callback as the browser reaches it: where it leads and that page.
fn follow_callback(http: &reqwest::blocking::Client, callback: &str) -> (String, String) {
    let back = http.get(callback).send().unwrap();
    let location = back
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    match location {
        Some(to) => (to.clone(), http.get(&to).send().unwrap().text().unwrap()),
        None => (
            format!("{callback} -> {}", back.status()),
            back.text().unwrap(),
        ),
    }
}

/// Connects `username`'s TikTok to the business behind `link` with plain HTTP, as a
/// browser would (the browser spec does it in Chromium): the link's page, its button,
/// TikTok's login and consent pages, the callback. `approve` false presses Cancel;
/// `untick` leaves those scope boxes unticked. Returns the page the callback ends on.
pub fn connect_over_http(
    link: &str,
    username: &str,
    approve: bool,
    untick: &[&str],
) -> (String, String) {
    let http = no_redirects();
    let authorize = press_connect(&http, link, "tiktok");
    let mut params: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    let cookie = log_in(
        &http,
        &authorize,
        "/tiktok-www/login",
        &params,
        ("username", username),
    );
    let consent = http
        .get(authorize.as_str())
        .header("cookie", &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(consent.contains("id=\"authorize\""), "{consent}");
    for scope in authorize
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .unwrap()
        .1
        .split(',')
    {
        if !untick.contains(&scope) {
            params.push(("grant".into(), scope.into()));
        }
    }
    params.push((
        "decision".into(),
        if approve { "authorize" } else { "cancel" }.into(),
    ));
    let callback = decide(
        &http,
        &authorize,
        "/tiktok-www/v2/auth/authorize/decide",
        &cookie,
        &params,
    );
    follow_callback(&http, &callback)
}

/// A business with a Facebook Page and a linked Instagram account, each with tagged
/// posts now, as (key, Page username, Instagram username).
pub fn business_with_meta(sim: &Simulator) -> (String, String, String) {
    let w = &sim.state.world;
    let now = sim.state.now();
    w.businesses
        .iter()
        .find_map(|b| {
            let of = |p: Platform| {
                b.accounts
                    .iter()
                    .map(|&a| &w.accounts[a as usize])
                    .find(|a| a.platform == p)
            };
            let (page, ig) = (of(Platform::Facebook)?, of(Platform::Instagram)?);
            let tagged = |a: &jempol::sim::world::SimAccount| {
                w.visible_posts(a, now)
                    .any(|(_, p)| w.tagged(p) && p.posted_at > now - 20 * 86_400)
            };
            (tagged(page) && tagged(ig))
                .then(|| (b.key.clone(), page.handle.clone(), ig.handle.clone()))
        })
        .expect("a business with a Page and an Instagram account, both with tagged posts")
}

/// Connects a business's Facebook Page and Instagram account over plain HTTP as a
/// browser would: the link's button, Facebook's login and asset picker, the callback.
pub fn connect_meta_over_http(link: &str, page: &str, approve: bool) -> (String, String) {
    let http = no_redirects();
    let dialog = press_connect(&http, link, "meta");
    let mut params: Vec<(String, String)> = dialog.query_pairs().into_owned().collect();
    let cookie = log_in(
        &http,
        &dialog,
        "/facebook-www/login",
        &params,
        ("page", page),
    );
    let picker = http
        .get(dialog.as_str())
        .header("cookie", &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(picker.contains("id=\"asset-page\""), "{picker}");
    params.push((
        "decision".into(),
        if approve { "continue" } else { "cancel" }.into(),
    ));
    let callback = decide(
        &http,
        &dialog,
        "/facebook-www/dialog/decide",
        &cookie,
        &params,
    );
    assert!(callback.ends_with("#_=_"), "{callback}");
    follow_callback(&http, &callback)
}

/// Bytes of a file and its write-ahead log.
pub fn database_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap_or_default();
    bytes.extend(std::fs::read(format!("{}-wal", db.display())).unwrap_or_default());
    bytes
}
