//! The `jempol` binary: everything lives in the library; see `jempol --help`.

fn main() -> std::process::ExitCode {
    jempol::limit_malloc_arenas();
    jempol::cli::main()
}
