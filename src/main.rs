//! The `jempol` binary: everything lives in the library; see `jempol --help`.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    jempol::cli::main()
}

/// glibc gives threads that allocate at once arenas of their own (up to 8 per core);
/// with a thread per platform, the arenas' fragmentation took the peak RSS of a
/// `poll --once` over 400,000 posts from 130 MB to 158 MB. Two arenas keep it at 130 MB.
/// `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: sets an allocator parameter before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
