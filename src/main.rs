//! launchdeck: terminal console for the on-call operator of a voice-AI outbound
//! calling platform. See `launchdeck --help`.

mod cli;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    cli::main()
}

/// glibc gives each busy thread its own malloc arena, and over hours a console's arenas
/// fragment: memory grows without a leak (a 20 calls/s demo grew 1.2 MB/min with the
/// default arenas and stayed flat with two; docs/BENCHMARKS.md "Demo soak"). Two arenas
/// are plenty for a console that is mostly waiting. Set before any thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; no thread has allocated yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
