//! launchdeck: terminal console for the on-call operator of a voice-AI outbound
//! calling platform. See `launchdeck --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
