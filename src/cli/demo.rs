//! `launchdeck demo`: the live console against the embedded demo — a SQLite database
//! seeded with a realistic first campaign, fake providers on loopback, and a simulator
//! moving calls through their lifecycles. Nothing to configure.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use launchdeck_core::config::{
    Config, DEMO_REPORT_EVERY_VAR, LoadedConfig, SECTIONS, env_var_name, parse_duration,
};
use launchdeck_core::readiness::SecretFact;
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_sim::demo::{Demo, DemoOptions};
use launchdeck_sim::simulator::SimConfig;

use super::connect::runtime;
use super::exit::Exit;
use super::tui_cmd::tui_options;
use super::{Context, logging, report_error};

/// The platform's own secret variables (product.md "Configuration").
const PLATFORM_SECRET_VARS: &[&str] = &[
    "DATABASE_URL",
    "SUPABASE_DB_URL",
    "RETELL_AI_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "ELEVENLABS_API_KEY",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
];

/// The highest `--rate` accepted (calls per second).
const MAX_RATE: f64 = 1_000.0;

#[derive(Args, Debug)]
#[command(after_long_help = "\
The demo keeps its database in demo.sqlite in the data dir (LAUNCHDECK_DATA_DIR) and
reuses it on the next run; --fresh starts over. It ignores database URLs, secrets and
provider base URLs from the environment and the config file: it uses its own.
--read-only works as everywhere: no action key writes (the simulator still runs).")]
pub struct DemoArgs {
    /// New calls per second, across broadcasts and campaigns (fractions allowed)
    #[arg(long, value_name = "N", default_value_t = 0.5, value_parser = parse_rate)]
    pub rate: f64,
    /// Let the fake providers fail now and then (429s, 500s, slow replies)
    #[arg(long)]
    pub faults: bool,
    /// Start from a newly seeded demo database instead of the one in the data dir
    #[arg(long)]
    pub fresh: bool,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of calls per second, e.g. 0.5 or 20"))?;
    if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE {
        Ok(rate)
    } else {
        Err(format!(
            "{text} is out of range: give more than 0 and at most {MAX_RATE} calls per second"
        ))
    }
}

/// For soak runs: how often the demo logs its resources (`LAUNCHDECK_DEMO_REPORT_EVERY`,
/// e.g. `5s`; every minute when unset).
fn resource_report_interval(env: &BTreeMap<String, String>) -> Result<Option<Duration>, String> {
    let Some(text) = env.get(DEMO_REPORT_EVERY_VAR) else {
        return Ok(None);
    };
    match parse_duration(text) {
        Ok(every) if every >= Duration::from_secs(1) => Ok(Some(every)),
        Ok(_) => Err(format!("{DEMO_REPORT_EVERY_VAR}={text}: give at least 1s")),
        Err(e) => Err(format!("{DEMO_REPORT_EVERY_VAR}: {e}")),
    }
}

pub fn run(args: DemoArgs, ctx: &Context) -> Exit {
    let mut loaded = match load_config(ctx) {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    let _log_guard = match logging::init_logging(&loaded, &ctx.global, &ctx.env) {
        Ok(guard) => guard,
        Err(e) => return report_error(e),
    };
    let data_dir = match loaded.data_dir() {
        Ok(dir) => dir,
        Err(e) => return report_error(e),
    };
    let report_every = match resource_report_interval(&ctx.env) {
        Ok(every) => every,
        Err(e) => return report_error(e),
    };
    let options = DemoOptions {
        simulator: SimConfig {
            rate: args.rate,
            ..SimConfig::default()
        },
        faults: args.faults,
        fresh: args.fresh,
        report_every,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(async {
        // The console starts while the demo loads its database (its reads wait for it).
        let mut demo = Demo::launch(&data_dir, options)
            .await
            .map_err(|e| e.to_string())?;
        if let Err(e) = demo.apply_to(&mut loaded.config) {
            demo.stop().await;
            return Err(e.to_string());
        }
        loaded.config.ui.environment_name = Some("demo".to_string());
        let tui = tui_options(&loaded, ctx);
        let store = demo.store();
        let gatherer = Gatherer::new(&loaded.config, store.clone(), GatherOptions::default())
            .with_environment(demo_secrets(&loaded));
        let shown = launchdeck_tui::run(launchdeck_tui::Stores::one(store), gatherer, tui).await;
        let started = demo.ready().await;
        demo.stop().await;
        shown.map_err(|e| e.to_string())?;
        started.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => Exit::Done,
        Err(e) => report_error(e),
    }
}

/// The Environment facts: the demo's own secrets, and no database URL (the demo has
/// its SQLite database instead, so a missing URL must not fail readiness).
fn demo_secrets(loaded: &LoadedConfig) -> Vec<SecretFact> {
    loaded
        .secrets()
        .iter()
        .filter(|s| (s.section, s.key) != ("database", "url"))
        .map(|s| SecretFact {
            source: "launchdeck demo".to_string(),
            ..SecretFact::from(s)
        })
        .collect()
}

/// The configuration without the database URL, secrets and base URLs of the
/// environment and `--database-url` (Decision 7: the demo uses its own, and a bad
/// value there must not stop it).
fn load_config(ctx: &Context) -> Result<LoadedConfig, launchdeck_core::config::ConfigError> {
    let mut opts = ctx.load_options();
    opts.flags.database_url = None;
    opts.env = without_demo_overridden_vars(&opts.env);
    Config::load(&opts)
}

fn without_demo_overridden_vars(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut ignored: Vec<String> = PLATFORM_SECRET_VARS.iter().map(|v| v.to_string()).collect();
    for section in SECTIONS {
        for key in section.all_keys() {
            if key.secret || key.name.ends_with("url") {
                ignored.push(env_var_name(section.name, key.name));
            }
        }
    }
    env.iter()
        .filter(|(name, _)| !ignored.contains(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        assert_eq!(parse_rate(" 20 "), Ok(20.0));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("5000").is_err());
    }

    #[test]
    fn the_demo_ignores_database_urls_secrets_and_base_urls_from_the_environment() {
        let env: BTreeMap<String, String> = [
            ("DATABASE_URL", "postgres://prod"),
            ("LAUNCHDECK_DATABASE_URL", "postgres://prod"),
            ("RETELL_AI_API_KEY", "key_prod"),
            ("LAUNCHDECK_RETELL_BASE_URL", "https://api.retellai.com"),
            (
                "LAUNCHDECK_GOOGLE_TOKEN_URL",
                "https://oauth2.googleapis.com/token",
            ),
            ("LAUNCHDECK_TWILIO_AUTH_TOKEN", "secret"),
            ("LAUNCHDECK_UI_LOG_WINDOW", "200"),
            ("LAUNCHDECK_DATA_DIR", "/somewhere"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let kept = without_demo_overridden_vars(&env);
        let names: Vec<&str> = kept.keys().map(String::as_str).collect();
        assert_eq!(names, ["LAUNCHDECK_DATA_DIR", "LAUNCHDECK_UI_LOG_WINDOW"]);
    }
}
