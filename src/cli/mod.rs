//! The command line: global options, the subcommands, and the dispatcher.
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run`
//! function returning an [`Exit`]; adding one is a variant in [`Command`] and an arm
//! in [`dispatch`].

mod actions;
mod audit;
mod calls;
mod check;
mod completions;
mod config_cmd;
mod connect;
mod demo;
mod exit;
mod fix_actions;
mod logging;
mod output;
mod reconcile;
mod status_actions;
mod test_broadcast;
mod tui_cmd;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand};
use launchdeck_core::config::{Config, ConfigError, Flags, LoadOptions, LoadedConfig, process_env};
use launchdeck_ops::actions::ActionRequest;
use secrecy::SecretString;
use uuid::Uuid;

pub use exit::Exit;
use output::Painter;

const ABOUT: &str =
    "Terminal console for the on-call operator of a voice-AI outbound calling platform";

const LONG_ABOUT: &str = "\
Terminal console for the on-call operator of a voice-AI outbound calling platform:
is everything ready for launch, what is happening right now, and fix it now.

Configuration comes from a TOML file (see `launchdeck config path` and
`launchdeck config init`), LAUNCHDECK_<SECTION>_<KEY> environment variables, and the
platform's secret variables (DATABASE_URL or SUPABASE_DB_URL, RETELL_AI_API_KEY,
TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, ELEVENLABS_API_KEY, GOOGLE_CLIENT_ID,
GOOGLE_CLIENT_SECRET). Secrets are never shown in full.";

const ENVIRONMENT_HELP: &str = "\
Environment:
  LAUNCHDECK_CONFIG            config file (like --config)
  LAUNCHDECK_DATA_DIR          data dir for the audit log, demo database and log file
                               (default: the platform data dir, ~/.local/share/launchdeck)
  LAUNCHDECK_<SECTION>_<KEY>   any config key, e.g. LAUNCHDECK_RETELL_BASE_URL
  RUST_LOG                     log filter (wins over [logging] level)
  NO_COLOR                     no colours when set to a non-empty value";

/// launchdeck's command line.
#[derive(Parser)]
#[command(
    name = "launchdeck",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = format!("{ENVIRONMENT_HELP}\n\n{}", exit::EXIT_CODES_HELP),
    subcommand_required = false
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Without a command: the live console against the configured database.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts. Not `Debug`: it holds the database URL.
#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// Config file [env: LAUNCHDECK_CONFIG] (default: config.toml in the platform
    /// config dir; `launchdeck config path` shows which)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// PostgreSQL URL; wins over LAUNCHDECK_DATABASE_URL, DATABASE_URL,
    /// SUPABASE_DB_URL and [database] url (other users can see command lines: prefer
    /// the environment)
    #[arg(long, global = true, value_name = "URL", value_parser = secret_arg)]
    pub database_url: Option<SecretString>,

    /// No writes of any kind and no provider changes
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Scope every query to this user
    #[arg(long = "user", global = true, value_name = "UUID")]
    pub user: Option<Uuid>,

    /// Scope every query to this organization
    #[arg(long = "org", global = true, value_name = "UUID")]
    pub org: Option<Uuid>,

    /// Log file (default: [logging] file, else launchdeck.log in the data dir)
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// No colours in the output (also when NO_COLOR is set)
    #[arg(long, global = true)]
    pub no_color: bool,
}

fn secret_arg(text: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(text))
}

#[derive(Subcommand)]
pub enum Command {
    /// Snapshot of calls in flight from all three sources, stuck ones first
    Calls(calls::CallsArgs),
    /// Readiness report, doctor style: every check with its reason and fix
    Check(check::CheckArgs),
    /// Validate and locate the configuration
    Config(config_cmd::ConfigArgs),
    /// The live console against a simulated platform: nothing to configure
    Demo(demo::DemoArgs),
    /// Pause a broadcast or campaign (active → paused: no new dials, calls in flight
    /// continue); prints the plan, applies it with --yes
    Pause(status_actions::StatusArgs),
    /// Resume a paused broadcast or campaign (paused → active); prints the plan,
    /// applies it with --yes
    Resume(status_actions::StatusArgs),
    /// Clean up stuck calls by the platform's rules (asks the provider first about calls
    /// it knows); prints the plan, applies it with --yes
    Cleanup(fix_actions::CleanupArgs),
    /// Refresh the Google calendar tokens that expire soon (or --all); prints the plan,
    /// applies it with --yes
    RefreshTokens(fix_actions::TokensArgs),
    /// Assign an outbound agent to a Retell number (default: its inbound agent); prints
    /// the plan, applies it with --yes
    FixOutboundAgent(fix_actions::AgentArgs),
    /// Acknowledge alerts (system_alerts); prints the plan, applies it with --yes
    Acknowledge(fix_actions::AckArgs),
    /// Emergency stop of a broadcast, a campaign or everything (typed confirmation:
    /// --confirm NAME); or lift a stop launchdeck wrote (--lift STOP_ID --yes)
    Stop(fix_actions::StopArgs),
    /// Place 1–3 test calls for a broadcast or campaign to numbers in the allowlist,
    /// then follow them to their end; prints the plan, places the calls with --yes
    TestBroadcast(test_broadcast::TestBroadcastArgs),
    /// The calls in flight against Retell and Twilio: ghosts (ended at the provider),
    /// orphans (live at Retell, unknown to the database), impossible ages; exit 1 when
    /// any is found
    Reconcile(reconcile::ReconcileArgs),
    /// The action audit trail, newest first
    Audit(audit::AuditArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
}

/// What every command gets: the global options, the environment and the output style.
pub struct Context {
    pub global: GlobalArgs,
    pub env: BTreeMap<String, String>,
    pub painter: Painter,
}

impl Context {
    pub fn load_options(&self) -> LoadOptions {
        let mut opts = LoadOptions::new(self.env.clone());
        opts.config_path = self.global.config.clone();
        opts.flags = Flags {
            database_url: self.global.database_url.clone(),
            read_only: self.global.read_only,
            user_id: self.global.user,
            org_id: self.global.org,
            log_file: self.global.log_file.clone(),
        };
        opts
    }

    pub fn load_config(&self) -> Result<LoadedConfig, ConfigError> {
        Config::load(&self.load_options())
    }
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let mut command = Cli::command();
    if std::env::args_os().any(|arg| arg == "--no-color") {
        command = command.color(ColorChoice::Never);
    }
    let parsed = command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => run(cli),
        Err(e) => {
            let _ = e.print();
            let exit = if e.use_stderr() {
                Exit::CouldNotRun
            } else {
                Exit::Done
            };
            exit.into()
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let env = process_env();
    let is_terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let ctx = Context {
        painter: Painter::detect(&env, cli.global.no_color, is_terminal),
        global: cli.global,
        env,
    };
    dispatch(cli.command, &ctx).into()
}

fn dispatch(command: Option<Command>, ctx: &Context) -> Exit {
    let Some(command) = command else {
        return tui_cmd::run(ctx);
    };
    match command {
        Command::Calls(args) => calls::run(args, ctx),
        Command::Check(args) => check::run(args, ctx),
        Command::Config(args) => config_cmd::run(args, ctx),
        Command::Demo(args) => demo::run(args, ctx),
        Command::Pause(args) => status_actions::run(args, ActionRequest::Pause, ctx),
        Command::Resume(args) => status_actions::run(args, ActionRequest::Resume, ctx),
        Command::Cleanup(args) => fix_actions::cleanup(args, ctx),
        Command::RefreshTokens(args) => fix_actions::refresh_tokens(args, ctx),
        Command::FixOutboundAgent(args) => fix_actions::fix_outbound_agent(args, ctx),
        Command::Acknowledge(args) => fix_actions::acknowledge(args, ctx),
        Command::Stop(args) => fix_actions::stop(args, ctx),
        Command::TestBroadcast(args) => test_broadcast::run(args, ctx),
        Command::Reconcile(args) => reconcile::run(args, ctx),
        Command::Audit(args) => audit::run(args, ctx),
        Command::Completions(args) => completions::run(args),
    }
}

/// Prints a one-line error (with its fix) on stderr.
pub fn report_error(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    Exit::CouldNotRun
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
