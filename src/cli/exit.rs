//! Exit codes shared by every command (product.md Decision 8).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, even if nothing changed (`check`: ready).
    Done,
    /// 1: done with failures (`check`: not ready).
    Failures,
    /// 2: could not run (bad configuration, unreachable database, bad usage).
    CouldNotRun,
    /// 3: confirmation needed; the plan was printed.
    NeedsConfirmation,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Done => 0,
            Exit::Failures => 1,
            Exit::CouldNotRun => 2,
            Exit::NeedsConfirmation => 3,
        })
    }
}

/// The exit-code section of the long help.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  done (even if nothing changed); check: ready
  1  done with failures; check: not ready (or a warning with --strict)
  2  could not run: bad configuration or usage, database unreachable
  3  confirmation needed: the plan was printed; re-run with --yes (stop: --confirm NAME)";
