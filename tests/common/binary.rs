//! A simulator in the test process and the `jempol` binary as a child process, for specs
//! that need a real process: signals, SIGKILL, logs.

use jempol::sim::{FaultProfile, SimConfig, Simulator};

use super::start_sim;

/// A simulator on the wall clock in a background runtime, for tests that drive the
/// `jempol` binary, and a workspace whose config points at it.
pub fn binary_rig(faults: FaultProfile) -> (tokio::runtime::Runtime, Simulator, tempfile::TempDir) {
    // On the wall clock, like the daemon it serves; the world holds a week of posts.
    let mut config = SimConfig::new(7, 60, jiff::Timestamp::now());
    config.speed = 1.0;
    config.faults = faults;
    binary_rig_with(config)
}

/// The same with a simulator configured by the caller (Retry-After 0 s, slow = 200 ms).
pub fn binary_rig_with(
    mut config: SimConfig,
) -> (tokio::runtime::Runtime, Simulator, tempfile::TempDir) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    config.retry_after_secs = (0, 0);
    config.slow_ms = 200;
    let sim = rt.block_on(start_sim(config));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jempol.toml"),
        jempol::sim::jempol_config(&sim.urls, &sim.state.world.config.hashtag, "jempol.db"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("umkm.csv"),
        jempol::sim::registry_csv(&sim.state.world),
    )
    .unwrap();
    (rt, sim, dir)
}

pub fn jempol(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"));
    cmd.current_dir(dir)
        .arg("--config")
        .arg(dir.join("jempol.toml"))
        .args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("JEMPOL_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

pub const SECRETS: [(&str, &str); 5] = [
    ("JEMPOL_INSTAGRAM_TOKEN", "EAAGigSecretInstagram0001"),
    ("JEMPOL_FACEBOOK_TOKEN", "EAAGfbSecretFacebook0002"),
    ("JEMPOL_TIKTOK_CLIENT_KEY", "awTikTokKeySecret0003"),
    ("JEMPOL_TIKTOK_CLIENT_SECRET", "TikTokClientSecret0004"),
    ("JEMPOL_YOUTUBE_API_KEY", "AIzaSyYouTubeSecret0005"),
];
