//! What the CLI tells the TUI: filled from the configuration, independent of its shape.

use std::path::PathBuf;
use std::time::Duration;

use launchdeck_core::config::TestBroadcastConfig;
use launchdeck_core::domain::Scope;
use launchdeck_core::stuck::StuckThresholds;

use crate::keys::KeySpec;

/// How often each source is polled, and how far a failing source backs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollIntervals {
    /// Database round trip and calls in flight (`[poll] live_interval`).
    pub live: Duration,
    /// A full read of the calls in flight (`[poll] full_read_interval`); the live
    /// polls between read only what started (`launchdeck_core::in_flight`).
    pub full_read: Duration,
    /// The call-log window (`[poll] logs_interval`).
    pub logs: Duration,
    /// Broadcast and campaign progress (`[poll] progress_interval`, at most 5 s).
    pub progress: Duration,
    /// Unacknowledged alerts.
    pub alerts: Duration,
    /// Every readiness check (`[poll] readiness_interval`); `R` runs them at once.
    pub readiness: Duration,
}

impl Default for PollIntervals {
    /// The platform's defaults (product.md Decision 5).
    fn default() -> Self {
        PollIntervals {
            live: Duration::from_secs(1),
            full_read: Duration::from_secs(5),
            logs: Duration::from_secs(2),
            progress: Duration::from_secs(5),
            alerts: Duration::from_secs(5),
            readiness: Duration::from_secs(60),
        }
    }
}

/// Everything the TUI needs from the configuration and the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct TuiOptions {
    /// Shown in the header bar, e.g. `production`.
    pub environment_name: Option<String>,
    /// Shows the READ-ONLY badge (no action key will write).
    pub read_only: bool,
    /// Some provider base URL is not the production default
    /// (`Config::non_default_endpoints()`): shows a "non-production endpoints" badge.
    pub non_production_endpoints: bool,
    /// Tenant scope of every query.
    pub scope: Scope,
    /// How many of the newest call-log rows the Logs screen keeps.
    pub log_window: u32,
    pub poll: PollIntervals,
    pub thresholds: StuckThresholds,
    /// Zone for displayed times; `None` = the system's.
    pub timezone: Option<chrono_tz::Tz>,
    /// No colours at all (NO_COLOR / `--no-color`); meaning stays in symbols and words.
    pub no_color: bool,
    /// ASCII symbols (`[ok] [!!] [XX] [??]`) for terminals without UTF-8.
    pub ascii: bool,
    /// Key bindings by action name (`[keys]`). Every action named here gets exactly the
    /// keys listed for it; the others keep their defaults. Names of actions this screen
    /// set does not offer are ignored (the config validates names).
    pub key_overrides: Vec<(String, KeySpec)>,
    /// Where the action keys (`p`, `P`) append their audit records (`audit.jsonl` in the
    /// data dir). `None` when there is no data dir: those keys then explain why they
    /// cannot run.
    pub audit_file: Option<PathBuf>,
    /// `[test_broadcast]`: the numbers `b` may call, and how many at once.
    pub test_broadcast: TestBroadcastConfig,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            environment_name: None,
            read_only: false,
            non_production_endpoints: false,
            scope: Scope::default(),
            log_window: 500,
            poll: PollIntervals::default(),
            thresholds: StuckThresholds::default(),
            timezone: None,
            no_color: false,
            ascii: false,
            key_overrides: Vec::new(),
            audit_file: None,
            test_broadcast: TestBroadcastConfig::default(),
        }
    }
}
