//! A dashboard rig: `jempol demo --serve` (a small simulated campaign, then the
//! dashboard on its database at the end of the simulated week) as a child process, and
//! a plain HTTP client that signs in the way a browser does.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::consent::{KEY, free_port};

pub struct DashRig {
    pub dir: tempfile::TempDir,
    pub base: String,
    /// The demo coordinator's password, as the demo printed it.
    pub password: String,
    child: Child,
}

/// What a request answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub cookies: Vec<(String, String)>,
    pub content_type: String,
    pub body: Vec<u8>,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn answer(r: reqwest::blocking::Response) -> Answer {
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Answer {
        status: r.status().as_u16(),
        location: header("location"),
        content_type: header("content-type").unwrap_or_default(),
        retry_after: header("retry-after"),
        cookies,
        body: r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    }
}

impl DashRig {
    /// The demo over `businesses` businesses and 3 simulated days, then its dashboard.
    pub fn start(businesses: usize) -> DashRig {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_jempol"))
            .current_dir(dir.path())
            .args([
                "demo",
                "--dir",
                "demo",
                "--days",
                "3",
                "--lang",
                "id",
                "--businesses",
            ])
            .arg(businesses.to_string())
            .arg("--serve")
            .arg(format!("127.0.0.1:{port}"))
            .env("JEMPOL_SECRET_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Dashboard: ") {
                    let pw = rest
                        .rsplit("password: ")
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    let _ = tx.send(pw);
                }
            }
        });
        let password = rx
            .recv_timeout(Duration::from_secs(240))
            .expect("the demo opens its dashboard");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while client().get(format!("{base}/masuk")).send().is_err() {
            assert!(Instant::now() < deadline, "the dashboard never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        DashRig {
            dir,
            base,
            password,
            child,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("demo").join(name)
    }

    /// `jempol ARGS` on the demo's config, with the rig's key.
    pub fn jempol(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_jempol"))
            .arg("--config")
            .arg(self.path("jempol.toml"))
            .args(args)
            .env("JEMPOL_SECRET_KEY", KEY)
            .output()
            .unwrap()
    }

    pub fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = client().get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        answer(req.send().unwrap())
    }

    pub fn get_bearer(&self, path: &str, token: &str) -> Answer {
        answer(
            client()
                .get(format!("{}{path}", self.base))
                .bearer_auth(token)
                .send()
                .unwrap(),
        )
    }

    pub fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
        let mut req = client().post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        answer(req.send().unwrap())
    }

    /// Opens the sign-in page: its form's CSRF value and its cookie.
    pub fn sign_in_form(&self) -> (String, String) {
        let page = self.get("/masuk", None);
        let csrf = super::consent::field(&page.text(), "csrf");
        let nonce = page.cookie("jempol_masuk").expect("the sign-in cookie");
        (csrf, format!("jempol_masuk={nonce}"))
    }

    /// Signs in as a browser does; the answer to the form.
    pub fn try_sign_in(&self, user: &str, password: &str) -> Answer {
        let (csrf, cookie) = self.sign_in_form();
        self.post(
            "/masuk",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("lanjut", "/dasbor"),
                ("nama", user),
                ("sandi", password),
            ],
        )
    }

    /// Signs in as the demo coordinator: the session cookie to send.
    pub fn sign_in(&self) -> String {
        let a = self.try_sign_in("demo", &self.password);
        assert_eq!(a.status, 303, "{}", a.text());
        format!(
            "jempol_sesi={}",
            a.cookie("jempol_sesi").expect("a session")
        )
    }
}

impl Drop for DashRig {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
