//! Configuration: the TOML file, `LAUNCHDECK_<SECTION>_<KEY>` environment overrides,
//! the platform's secret variables and the command-line flags, merged into one
//! validated [`Config`].
//!
//! Precedence, strongest first:
//! - secrets: the platform's variable (`RETELL_AI_API_KEY`, `TWILIO_ACCOUNT_SID`,
//!   `TWILIO_AUTH_TOKEN`, `ELEVENLABS_API_KEY`, `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`)
//!   > `LAUNCHDECK_<SECTION>_<KEY>` > file;
//! - database URL: `--database-url` > `LAUNCHDECK_DATABASE_URL` > `DATABASE_URL` >
//!   `SUPABASE_DB_URL` > file;
//! - everything else: flag (`--read-only`, `--user`, `--org`, `--log-file`) >
//!   `LAUNCHDECK_<SECTION>_<KEY>` > file > built-in default.
//!
//! An empty environment variable counts as unset. The file is the one named by
//! `--config`, else `LAUNCHDECK_CONFIG`, else `config.toml` in the platform config dir
//! (`~/.config/launchdeck/` on Linux); only the last may be missing.
//!
//! The data dir (audit log, demo database, log file) is the platform data dir
//! (`~/.local/share/launchdeck/` on Linux) unless `LAUNCHDECK_DATA_DIR` names another.

mod error;
mod file;
mod keys;
mod load;
mod resolve;
mod schema;
mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use uuid::Uuid;

pub use error::{ConfigError, ConfigErrorKind, Origin};
pub use keys::{KEY_ACTIONS, KeyAction, KeyActionDef, KeyBinding, KeyCode, KeyMap};
pub use load::{
    ConfigFile, Flags, LoadOptions, LoadedConfig, PathChoice, SecretStatus, data_dir, process_env,
    resolve_config_path,
};
pub use schema::{
    DEMO_REPORT_EVERY_VAR, KeyDef, NON_SETTING_VARS, SECTIONS, SectionDef, TEST_HARNESS_PREFIX,
    ValueType, env_var_name,
};
pub use values::{BaseUrl, database_url_for_display, format_duration, is_e164, parse_duration};

/// Provider base URL defaults (providers.md §0).
pub mod default_urls {
    pub const RETELL: &str = "https://api.retellai.com";
    pub const TWILIO: &str = "https://api.twilio.com";
    pub const TWILIO_TRUNKING: &str = "https://trunking.twilio.com";
    pub const ELEVENLABS: &str = "https://api.elevenlabs.io";
    pub const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
    pub const GOOGLE_CALENDAR: &str = "https://www.googleapis.com/calendar/v3";
}

/// The hard ceiling on calls per test broadcast (quality.md "Security").
pub const TEST_BROADCAST_MAX_CALLS: u8 = 3;

/// The largest Logs window: the view keeps at most this many rows in memory.
pub const LOG_WINDOW_MAX: u32 = 10_000;

/// The whole validated configuration. `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub scope: ScopeConfig,
    pub retell: RetellConfig,
    pub twilio: TwilioConfig,
    pub elevenlabs: ElevenLabsConfig,
    pub google: GoogleConfig,
    pub thresholds: Thresholds,
    pub poll: PollIntervals,
    pub test_broadcast: TestBroadcastConfig,
    pub ui: UiConfig,
    pub keys: KeyMap,
    pub logging: LoggingConfig,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `postgres://…` (may hold a password, hence secret); display it with
    /// [`database_url_for_display`].
    pub url: Option<SecretString>,
    /// A read replica: every poll and readiness read goes there, every action's plan
    /// and write to `url`.
    pub read_url: Option<SecretString>,
    /// Past this replay lag (or when the replica does not answer) reads go to `url`.
    pub max_replica_lag: Duration,
}

/// `[database] max_replica_lag` when unset.
pub const DEFAULT_MAX_REPLICA_LAG: Duration = Duration::from_secs(10);

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            read_url: None,
            max_replica_lag: DEFAULT_MAX_REPLICA_LAG,
        }
    }
}

/// Tenant scope (product.md Decision 4): none = everything the connection sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeConfig {
    pub user_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct RetellConfig {
    pub api_key: Option<SecretString>,
    pub base_url: BaseUrl,
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub account_sid: Option<SecretString>,
    pub auth_token: Option<SecretString>,
    pub base_url: BaseUrl,
    pub trunking_base_url: BaseUrl,
}

#[derive(Debug, Clone)]
pub struct ElevenLabsConfig {
    pub api_key: Option<SecretString>,
    pub base_url: BaseUrl,
}

#[derive(Debug, Clone)]
pub struct GoogleConfig {
    pub client_id: Option<SecretString>,
    pub client_secret: Option<SecretString>,
    pub token_url: BaseUrl,
    pub calendar_base_url: BaseUrl,
}

/// Stuck ages and warning levels (product.md Decision 5).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub broadcast_stuck_after: Duration,
    pub call_stuck_after: Duration,
    pub dialing_stuck_after: Duration,
    pub max_call_duration: Duration,
    pub claim_stuck_after: Duration,
    pub token_refresh_margin: Duration,
    /// Fraction (0–1) of failed rows among the last finished ones.
    pub error_rate_warn: f64,
    pub calls_per_minute_warn: u32,
    /// Fraction (0–1) of the ElevenLabs character quota left.
    pub elevenlabs_quota_warn: f64,
    /// Fraction (0–1) of a daily call cap used.
    pub daily_cap_warn: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            broadcast_stuck_after: Duration::from_secs(5 * 60),
            call_stuck_after: Duration::from_secs(2 * 60),
            dialing_stuck_after: Duration::from_secs(2 * 60),
            max_call_duration: Duration::from_secs(60 * 60),
            claim_stuck_after: Duration::from_secs(90),
            token_refresh_margin: Duration::from_secs(10 * 60),
            error_rate_warn: 0.25,
            calls_per_minute_warn: 100,
            elevenlabs_quota_warn: 0.10,
            daily_cap_warn: 0.90,
        }
    }
}

/// How often each kind of data is polled (product.md Decision 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollIntervals {
    pub live_interval: Duration,
    /// Broadcast and campaign counts, rates and the per-minute series: they may lag (at
    /// most 5 s, and the Overview says how old they are); the in-flight set may not.
    pub progress_interval: Duration,
    /// The calls in flight are read in full this often (ended calls leave the list
    /// then); the live polls between read only the calls that started (at most 5 s).
    pub full_read_interval: Duration,
    pub logs_interval: Duration,
    pub config_interval: Duration,
    pub readiness_interval: Duration,
    /// At least 1 s: polling must stay under 1 request/s per provider.
    pub providers_interval: Duration,
}

impl Default for PollIntervals {
    fn default() -> Self {
        PollIntervals {
            live_interval: Duration::from_secs(1),
            progress_interval: Duration::from_secs(5),
            full_read_interval: Duration::from_secs(5),
            logs_interval: Duration::from_secs(2),
            config_interval: Duration::from_secs(30),
            readiness_interval: Duration::from_secs(60),
            providers_interval: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBroadcastConfig {
    /// E.164 numbers the operator owns; test broadcasts call only these.
    pub allowlist: Vec<String>,
    /// 1 to [`TEST_BROADCAST_MAX_CALLS`].
    pub max_calls: u8,
}

impl Default for TestBroadcastConfig {
    fn default() -> Self {
        TestBroadcastConfig {
            allowlist: Vec::new(),
            max_calls: TEST_BROADCAST_MAX_CALLS,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiConfig {
    /// Shown in the header bar, e.g. `production`.
    pub environment_name: Option<String>,
    pub read_only: bool,
    /// How many of the newest call-log rows the Logs screen keeps.
    pub log_window: u32,
    /// IANA zone for displayed times; `None` = the system's.
    pub timezone: Option<chrono_tz::Tz>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            environment_name: None,
            read_only: false,
            log_window: 500,
            timezone: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingConfig {
    /// `None` = `launchdeck.log` in the data dir.
    pub file: Option<PathBuf>,
    /// An env-filter directive, e.g. `info` or `launchdeck=debug`; `RUST_LOG` wins.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            file: None,
            level: "info".to_string(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig::default(),
            scope: ScopeConfig::default(),
            retell: RetellConfig {
                api_key: None,
                base_url: BaseUrl::from_default(default_urls::RETELL),
            },
            twilio: TwilioConfig {
                account_sid: None,
                auth_token: None,
                base_url: BaseUrl::from_default(default_urls::TWILIO),
                trunking_base_url: BaseUrl::from_default(default_urls::TWILIO_TRUNKING),
            },
            elevenlabs: ElevenLabsConfig {
                api_key: None,
                base_url: BaseUrl::from_default(default_urls::ELEVENLABS),
            },
            google: GoogleConfig {
                client_id: None,
                client_secret: None,
                token_url: BaseUrl::from_default(default_urls::GOOGLE_TOKEN),
                calendar_base_url: BaseUrl::from_default(default_urls::GOOGLE_CALENDAR),
            },
            thresholds: Thresholds::default(),
            poll: PollIntervals::default(),
            test_broadcast: TestBroadcastConfig::default(),
            ui: UiConfig::default(),
            keys: KeyMap::default(),
            logging: LoggingConfig::default(),
        }
    }
}

impl Config {
    /// Loads and validates the configuration; see the module docs for precedence.
    pub fn load(opts: &LoadOptions) -> Result<LoadedConfig, ConfigError> {
        load::load(opts)
    }

    /// The configuration a file's bytes give on their own: size, UTF-8, TOML syntax,
    /// sections, keys, types and values checked as [`Config::load`] checks them, without
    /// the environment, the flags or the permission check. `path` only names the file in
    /// errors.
    pub fn from_file_bytes(path: &Path, bytes: Vec<u8>) -> Result<Config, ConfigError> {
        load::from_file_bytes(path, bytes)
    }

    /// The secret stored under `section.key`, if any.
    pub fn secret(&self, section: &str, key: &str) -> Option<&SecretString> {
        match (section, key) {
            ("database", "url") => self.database.url.as_ref(),
            ("database", "read_url") => self.database.read_url.as_ref(),
            ("retell", "api_key") => self.retell.api_key.as_ref(),
            ("twilio", "account_sid") => self.twilio.account_sid.as_ref(),
            ("twilio", "auth_token") => self.twilio.auth_token.as_ref(),
            ("elevenlabs", "api_key") => self.elevenlabs.api_key.as_ref(),
            ("google", "client_id") => self.google.client_id.as_ref(),
            ("google", "client_secret") => self.google.client_secret.as_ref(),
            _ => None,
        }
    }

    /// The provider base URLs that differ from the production defaults, as
    /// `section.key` and URL (the TUI shows a "non-production endpoints" badge).
    pub fn non_default_endpoints(&self) -> Vec<(&'static str, &BaseUrl)> {
        let all = [
            (
                "retell.base_url",
                &self.retell.base_url,
                default_urls::RETELL,
            ),
            (
                "twilio.base_url",
                &self.twilio.base_url,
                default_urls::TWILIO,
            ),
            (
                "twilio.trunking_base_url",
                &self.twilio.trunking_base_url,
                default_urls::TWILIO_TRUNKING,
            ),
            (
                "elevenlabs.base_url",
                &self.elevenlabs.base_url,
                default_urls::ELEVENLABS,
            ),
            (
                "google.token_url",
                &self.google.token_url,
                default_urls::GOOGLE_TOKEN,
            ),
            (
                "google.calendar_base_url",
                &self.google.calendar_base_url,
                default_urls::GOOGLE_CALENDAR,
            ),
        ];
        all.into_iter()
            .filter(|(_, url, default)| url.as_str() != *default)
            .map(|(name, url, _)| (name, url))
            .collect()
    }
}
