//! jempol: tracks the engagement that a hashtag campaign brings to small businesses
//! (UMKM) on Instagram, Facebook, TikTok and YouTube.
//!
//! Data flows one way: config → scheduler → platform clients (through quota) → store →
//! views and reports. The simulator speaks the platforms' wire formats beside the clients.

pub mod alert;
pub mod cli;
pub mod config;
pub mod consent;
pub mod daily;
pub mod demo;
pub mod hashtag;
pub mod model;
pub mod platform;
pub mod push;
pub mod quota;
pub mod registry;
pub mod report;
pub mod scheduler;
pub mod sim;
pub mod store;
pub mod time;
pub mod web;

/// Caps glibc's malloc arenas at four (call first thing in `main`). glibc gives threads
/// that allocate at once arenas of their own, up to 8 per core; with a thread per
/// platform (as the daemon had then; now the runtime's workers, the writer and the
/// checkpointer allocate at once) their fragmentation took the peak RSS of a
/// `poll --once` over 400,000 posts to 158 MB. Measured: 2 arenas 139 MB but the refresh benchmark 5.1-5.4 s (threads
/// wait on each other's arena); 4 arenas 141 MB and 4.7-4.9 s; 16: 4.2-4.3 s.
/// `MALLOC_ARENA_MAX` in the environment still wins.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: only sets an allocator parameter; glibc's mallopt is thread-safe.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 4);
        }
    }
}

/// Lets a closed stdout end the process quietly, as it ends `cat` or `grep`
/// (`jempol status | head`): Rust ignores SIGPIPE and the next `println!` panics instead.
pub fn quiet_on_closed_pipe() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: restores the default action of one signal at start, before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A memory figure of this process in kB from `/proc/self/status` (`VmRSS`, `VmHWM`:
/// the peak), where the system keeps one.
pub fn memory_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Hands memory that is free but kept by glibc's arenas back to the system: after a
/// cycle or the daily report (whose maps grow with the campaign), so the daemon's RSS
/// follows what it holds instead of the largest day it has seen.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn memory_figures_are_read_by_field_name_and_the_peak_is_never_below_the_current() {
        let rss = super::memory_status_kb("VmRSS").unwrap();
        let peak = super::memory_status_kb("VmHWM").unwrap();
        assert!(rss > 0 && peak >= rss, "VmRSS {rss} kB, VmHWM {peak} kB");
        // A prefix of a field's name is not that field.
        assert_eq!(super::memory_status_kb("VmR"), None);
    }
}
