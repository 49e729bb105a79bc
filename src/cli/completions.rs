//! `launchdeck completions <shell>`: a shell completion script on stdout.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::exit::Exit;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "launchdeck",
        &mut std::io::stdout(),
    );
    Exit::Done
}
