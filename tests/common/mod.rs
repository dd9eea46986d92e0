//! Helpers shared by the black-box tests: a scratch folder with a config, and the
//! `jempol` binary run inside it.
#![allow(dead_code)] // each test file uses its own subset

pub mod binary;
pub mod bot;
pub mod browser;
pub mod consent;
pub mod dashboard;
pub mod dataset;
pub mod truth;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The smallest complete config: only the required keys, database beside it.
pub const MINIMAL_CONFIG: &str = r#"
[campaign]
name = "Sedekah Jempol"
hashtags = ["UMKMKotaPadangMajuBersama"]

[storage]
database = "jempol.db"
"#;

/// A scratch folder holding `jempol.toml`; removed when dropped.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Self::with_config(MINIMAL_CONFIG)
    }

    pub fn with_config(config: &str) -> Workspace {
        let ws = Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        ws.write("jempol.toml", config);
        ws
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    pub fn config(&self) -> PathBuf {
        self.path("jempol.toml")
    }

    pub fn database(&self) -> PathBuf {
        self.path("jempol.db")
    }

    /// Runs `jempol --config <ws>/jempol.toml ARGS` with no JEMPOL_* variables inherited.
    pub fn jempol(&self, args: &[&str]) -> Run {
        self.jempol_env(args, &[])
    }

    pub fn jempol_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jempol"));
        cmd.current_dir(self.dir.path())
            .arg("--config")
            .arg(self.config())
            .args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("JEMPOL_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env.iter().copied());
        Run(cmd.output().expect("run jempol"))
    }
}

/// The outcome of one `jempol` invocation.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The repository root (for shipped files such as config/jempol.example.toml).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fixed start for simulated worlds, so tests do not depend on the wall clock.
pub const SIM_START: &str = "2026-11-20T00:00:00Z";

/// Starts an in-process simulator on a free port with a stopped clock.
pub async fn start_sim(config: jempol::sim::SimConfig) -> jempol::sim::Simulator {
    let state = jempol::sim::SimState::new(config);
    jempol::sim::Simulator::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start simulator")
}

/// A simulator config for tests: `businesses` businesses, seed 7, stopped clock at SIM_START.
pub fn sim_config(businesses: usize) -> jempol::sim::SimConfig {
    jempol::sim::SimConfig::new(7, businesses, SIM_START.parse().unwrap())
}

/// Runs `cmd` to its end; returns its output and its peak resident memory in MB
/// (`VmHWM`, sampled every 5 ms).
pub fn output_and_peak_mb(mut cmd: Command) -> (Output, u64) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak = peak.max(kb / 1024);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        peak
    });
    let output = child.wait_with_output().unwrap();
    (output, sampler.join().unwrap())
}
