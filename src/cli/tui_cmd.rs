//! `launchdeck` with no subcommand: the live console against the configured database.

use launchdeck_core::config::LoadedConfig;
use launchdeck_core::stuck::StuckThresholds;
use launchdeck_ops::actions::audit::AUDIT_FILE_NAME;
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_store::pg::PgOptions;
use launchdeck_tui::{PollIntervals, Stores, TuiOptions};

use super::connect::{open_store_lazy, read_store, runtime, scope};
use super::exit::Exit;
use super::{Context, logging, report_error};

pub fn run(ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    let _log_guard = match logging::init_logging(&loaded, &ctx.global, &ctx.env) {
        Ok(guard) => guard,
        Err(e) => return report_error(e),
    };
    let options = tui_options(&loaded, ctx);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(async {
        let primary = open_store_lazy(&loaded).map_err(|e| e.to_string())?;
        let reads = read_store(&loaded, primary.clone(), PgOptions::default())
            .map_err(|e| e.to_string())?;
        let gatherer = Gatherer::from_loaded(&loaded, reads.clone(), GatherOptions::default());
        launchdeck_tui::run(Stores { primary, reads }, gatherer, options)
            .await
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => Exit::Done,
        Err(e) => report_error(e),
    }
}

/// The TUI's options from the configuration and the command line; the demo uses it too
/// (its data dir, so the demo's audit file sits next to its database).
pub fn tui_options(loaded: &LoadedConfig, ctx: &Context) -> TuiOptions {
    let config = &loaded.config;
    let key_overrides = config
        .keys
        .iter()
        .flat_map(|(action, keys)| {
            keys.iter()
                .map(move |key| (action.name().to_string(), *key))
        })
        .collect();
    TuiOptions {
        environment_name: config.ui.environment_name.clone(),
        read_only: config.ui.read_only || ctx.global.read_only,
        non_production_endpoints: !config.non_default_endpoints().is_empty(),
        scope: scope(config),
        log_window: config.ui.log_window,
        poll: PollIntervals {
            live: config.poll.live_interval,
            full_read: config.poll.full_read_interval,
            logs: config.poll.logs_interval,
            progress: config.poll.progress_interval,
            alerts: config.poll.progress_interval,
            readiness: config.poll.readiness_interval,
        },
        thresholds: StuckThresholds::from(&config.thresholds),
        timezone: config.ui.timezone,
        no_color: ctx.global.no_color || ctx.env.get("NO_COLOR").is_some_and(|v| !v.is_empty()),
        ascii: !ctx.painter.unicode,
        key_overrides,
        // Without a data dir the action keys explain that they need one.
        audit_file: loaded.data_dir().ok().map(|dir| dir.join(AUDIT_FILE_NAME)),
        test_broadcast: config.test_broadcast.clone(),
    }
}
