//! Headless Chromium driven through chromedriver's W3C WebDriver API (plain HTTP and
//! JSON): the specs open a page at a phone's or a desktop's size and measure its layout
//! in the browser itself. Debian: `apt-get install chromium chromium-driver` (`.ci/run`
//! installs them). Without a driver a spec is skipped with a note, except in CI (`CI`
//! set), where a missing driver fails it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The window a page is opened in.
#[derive(Debug, Clone, Copy)]
pub enum Screen {
    /// A 390×844 phone (device metrics emulated: the page's viewport meta applies).
    Phone,
    /// A 1366×768 desktop window.
    Desktop,
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Browser {
    /// A browser at `screen`, or `None` when chromedriver or Chromium is missing here.
    pub fn start(screen: Screen) -> Option<Browser> {
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|b| installed(b));
        let (true, Some(chromium)) = (installed("chromedriver"), chromium) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the browser specs: install chromium and chromium-driver"
            );
            eprintln!("no chromedriver or Chromium here: the browser spec is skipped");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http
            .get(format!("{base}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_none_or(|v| v["value"]["ready"] != true)
        {
            assert!(Instant::now() < deadline, "chromedriver never got ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let path = Command::new("which")
            .arg(chromium)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let mut options = json!({
            "binary": path,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        match screen {
            Screen::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}
                });
            }
            Screen::Desktop => {
                options["args"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("--window-size=1366,768"));
            }
        }
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
            }}}))
            .send()
            .and_then(|r| r.json())
            .expect("a WebDriver session");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Some(Browser {
            driver,
            base,
            session,
            http,
        })
    }

    fn call(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let answer: Value = self
            .http
            .post(url)
            .json(&body)
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    /// Opens a local file.
    pub fn open(&self, file: &Path) {
        let url = format!("file://{}", file.display());
        self.call("url", json!({ "url": url }));
    }

    /// Opens a URL (and waits for the page to load).
    pub fn goto(&self, url: &str) {
        self.call("url", json!({ "url": url }));
    }

    /// The page's URL now.
    pub fn url(&self) -> String {
        self.get("url").as_str().unwrap_or_default().to_string()
    }

    /// Waits up to 10 s for the page's URL to start with `prefix` (a click's navigation).
    pub fn wait_for_url(&self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.url().starts_with(prefix) {
            assert!(
                Instant::now() < deadline,
                "still at {}, not {prefix}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let answer: Value = self
            .http
            .get(url)
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        answer["value"].clone()
    }

    /// The element `css` selects, waited for up to 10 s (a click's navigation may still
    /// be under way: a form's POST and its redirects).
    fn element(&self, css: &str) -> String {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found: Value = self
                .http
                .post(&url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .and_then(|r| r.json())
                .unwrap_or_default();
            if let Some(id) = found["value"]
                .as_object()
                .filter(|o| o.get("error").is_none())
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
            {
                return id.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} at {}: {found}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the element `css` selects, as a user would (and waits for a navigation
    /// it starts).
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(&format!("element/{id}/click"), json!({}));
    }

    /// Types `text` into the element `css` selects.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(&format!("element/{id}/value"), json!({ "text": text }));
    }

    /// The rendered text of the element `css` selects.
    pub fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.get(&format!("element/{id}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A PNG of the viewport, into `path`.
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.get("screenshot");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs `script` (a function body; `return` gives the result) in the page.
    pub fn eval(&self, script: &str) -> Value {
        self.call("execute/sync", json!({ "script": script, "args": [] }))
    }

    /// Runs `script`, which ends by calling `done(value)` (WebDriver's async script).
    pub fn eval_async(&self, script: &str) -> Value {
        let script = format!("const done = arguments[arguments.length - 1]; {script}");
        self.call("execute/async", json!({ "script": script, "args": [] }))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
