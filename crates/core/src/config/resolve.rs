//! From the merged raw values (file + environment + flags) to a validated [`Config`].
//! Each check reports the value's origin, so an error points at the file position,
//! the environment variable or the flag that set it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::error::{ConfigError, ConfigErrorKind, Origin};
use super::file::{
    DatabaseFile, FileConfig, GoogleFile, KeyListFile, PollFile, TestBroadcastFile, ThresholdsFile,
    UiFile,
};
use super::keys::{KeyAction, KeyBinding, KeyCode, KeyMap};
use super::values::{BaseUrl, check_database_url, is_e164, parse_duration};
use super::{
    Config, DEFAULT_MAX_REPLICA_LAG, DatabaseConfig, ElevenLabsConfig, GoogleConfig,
    LOG_WINDOW_MAX, LoggingConfig, PollIntervals, RetellConfig, ScopeConfig,
    TEST_BROADCAST_MAX_CALLS, TestBroadcastConfig, Thresholds, TwilioConfig, UiConfig,
    default_urls,
};
use crate::redact::sanitize_provider_text;

/// Looks up where each `section.key` came from, to place errors.
struct Resolver<'a> {
    origins: &'a BTreeMap<String, Origin>,
}

impl Resolver<'_> {
    fn invalid(&self, section: &str, key: &str, problem: String, fix: &str) -> ConfigError {
        let at = self
            .origins
            .get(&format!("{section}.{key}"))
            .cloned()
            .unwrap_or(Origin::Default);
        ConfigErrorKind::Invalid {
            at,
            section: section.to_string(),
            key: key.to_string(),
            problem,
            fix: fix.to_string(),
        }
        .into()
    }

    fn duration(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(text) = raw else {
            return Ok(default);
        };
        parse_duration(&text).map_err(|problem| {
            self.invalid(
                section,
                key,
                problem,
                "write a duration like \"90s\", \"5m\" or \"1h\"",
            )
        })
    }

    /// A duration key that may not exceed 5 s, because `why`.
    fn at_most_5s(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
        default: Duration,
        why: &str,
    ) -> Result<Duration, ConfigError> {
        let value = self.duration(section, key, raw, default)?;
        if value > Duration::from_secs(5) {
            return Err(self.invalid(
                section,
                key,
                format!("longer than 5s; {why}"),
                "use 5s or less (default 5s)",
            ));
        }
        Ok(value)
    }

    fn base_url(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
        default: &'static str,
    ) -> Result<BaseUrl, ConfigError> {
        let Some(text) = raw else {
            return Ok(BaseUrl::from_default(default));
        };
        BaseUrl::parse(&text).map_err(|problem| {
            let fix = format!("use https://… (default {default}), or http:// for a local fake");
            self.invalid(section, key, problem, &fix)
        })
    }

    fn uuid(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
    ) -> Result<Option<Uuid>, ConfigError> {
        let Some(text) = raw else {
            return Ok(None);
        };
        Uuid::parse_str(text.trim()).map(Some).map_err(|e| {
            let problem = format!(
                "{:?} is not a UUID ({})",
                sanitize_provider_text(&text),
                sanitize_provider_text(&e.to_string())
            );
            self.invalid(
                section,
                key,
                problem,
                "write the id as a UUID, e.g. 0b6f…-…",
            )
        })
    }

    fn fraction(
        &self,
        section: &str,
        key: &str,
        raw: Option<f64>,
        default: f64,
    ) -> Result<f64, ConfigError> {
        match raw {
            None => Ok(default),
            Some(v) if v.is_finite() && (0.0..=1.0).contains(&v) => Ok(v),
            Some(v) => Err(self.invalid(
                section,
                key,
                format!("{v} is not a fraction between 0 and 1"),
                &format!("write a number from 0 to 1, e.g. {default}"),
            )),
        }
    }
}

/// An empty secret counts as unset.
fn secret(raw: Option<SecretString>) -> Option<SecretString> {
    raw.filter(|s| !s.expose_secret().trim().is_empty())
}

pub(super) fn build(
    raw: FileConfig,
    origins: &BTreeMap<String, Origin>,
) -> Result<Config, ConfigError> {
    let r = Resolver { origins };
    Ok(Config {
        database: database(&r, raw.database)?,
        scope: ScopeConfig {
            user_id: r.uuid("scope", "user_id", raw.scope.user_id)?,
            org_id: r.uuid("scope", "org_id", raw.scope.org_id)?,
        },
        retell: RetellConfig {
            api_key: secret(raw.retell.api_key),
            base_url: r.base_url(
                "retell",
                "base_url",
                raw.retell.base_url,
                default_urls::RETELL,
            )?,
        },
        twilio: TwilioConfig {
            account_sid: secret(raw.twilio.account_sid),
            auth_token: secret(raw.twilio.auth_token),
            base_url: r.base_url(
                "twilio",
                "base_url",
                raw.twilio.base_url,
                default_urls::TWILIO,
            )?,
            trunking_base_url: r.base_url(
                "twilio",
                "trunking_base_url",
                raw.twilio.trunking_base_url,
                default_urls::TWILIO_TRUNKING,
            )?,
        },
        elevenlabs: ElevenLabsConfig {
            api_key: secret(raw.elevenlabs.api_key),
            base_url: r.base_url(
                "elevenlabs",
                "base_url",
                raw.elevenlabs.base_url,
                default_urls::ELEVENLABS,
            )?,
        },
        google: google(&r, raw.google)?,
        thresholds: thresholds(&r, raw.thresholds)?,
        poll: poll(&r, raw.poll)?,
        test_broadcast: test_broadcast(&r, raw.test_broadcast)?,
        ui: ui(&r, raw.ui)?,
        keys: key_map(&r, &raw.keys)?,
        logging: LoggingConfig {
            file: raw
                .logging
                .file
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
            level: log_level(&r, raw.logging.level)?,
        },
    })
}

fn database(r: &Resolver, raw: DatabaseFile) -> Result<DatabaseConfig, ConfigError> {
    let check = |key: &str, url: &Option<SecretString>| -> Result<(), ConfigError> {
        match url {
            Some(url) => check_database_url(url.expose_secret()).map_err(|problem| {
                r.invalid(
                    "database",
                    key,
                    problem,
                    "use postgres://USER:PASSWORD@HOST:PORT/DB (the Supabase connection string)",
                )
            }),
            None => Ok(()),
        }
    };
    let url = secret(raw.url);
    let read_url = secret(raw.read_url);
    check("url", &url)?;
    check("read_url", &read_url)?;
    if read_url.is_some() && url.is_none() {
        return Err(r.invalid(
            "database",
            "read_url",
            "is set without [database] url".to_string(),
            "set the primary's URL too: actions plan and write there, never on a replica",
        ));
    }
    let max_replica_lag = r.duration(
        "database",
        "max_replica_lag",
        raw.max_replica_lag,
        DEFAULT_MAX_REPLICA_LAG,
    )?;
    Ok(DatabaseConfig {
        url,
        read_url,
        max_replica_lag,
    })
}

fn google(r: &Resolver, raw: GoogleFile) -> Result<GoogleConfig, ConfigError> {
    Ok(GoogleConfig {
        client_id: secret(raw.client_id),
        client_secret: secret(raw.client_secret),
        token_url: r.base_url(
            "google",
            "token_url",
            raw.token_url,
            default_urls::GOOGLE_TOKEN,
        )?,
        calendar_base_url: r.base_url(
            "google",
            "calendar_base_url",
            raw.calendar_base_url,
            default_urls::GOOGLE_CALENDAR,
        )?,
    })
}

fn thresholds(r: &Resolver, raw: ThresholdsFile) -> Result<Thresholds, ConfigError> {
    let d = Thresholds::default();
    let s = "thresholds";
    let calls_per_minute_warn = match raw.calls_per_minute_warn {
        None => d.calls_per_minute_warn,
        Some(v) => u32::try_from(v).ok().filter(|v| *v > 0).ok_or_else(|| {
            r.invalid(
                s,
                "calls_per_minute_warn",
                format!("{v} is not a positive number of calls"),
                "write a whole number of calls per minute, e.g. 100",
            )
        })?,
    };
    Ok(Thresholds {
        broadcast_stuck_after: r.duration(
            s,
            "broadcast_stuck_after",
            raw.broadcast_stuck_after,
            d.broadcast_stuck_after,
        )?,
        call_stuck_after: r.duration(
            s,
            "call_stuck_after",
            raw.call_stuck_after,
            d.call_stuck_after,
        )?,
        dialing_stuck_after: r.duration(
            s,
            "dialing_stuck_after",
            raw.dialing_stuck_after,
            d.dialing_stuck_after,
        )?,
        max_call_duration: r.duration(
            s,
            "max_call_duration",
            raw.max_call_duration,
            d.max_call_duration,
        )?,
        claim_stuck_after: r.duration(
            s,
            "claim_stuck_after",
            raw.claim_stuck_after,
            d.claim_stuck_after,
        )?,
        token_refresh_margin: r.duration(
            s,
            "token_refresh_margin",
            raw.token_refresh_margin,
            d.token_refresh_margin,
        )?,
        error_rate_warn: r.fraction(
            s,
            "error_rate_warn",
            raw.error_rate_warn,
            d.error_rate_warn,
        )?,
        calls_per_minute_warn,
        elevenlabs_quota_warn: r.fraction(
            s,
            "elevenlabs_quota_warn",
            raw.elevenlabs_quota_warn,
            d.elevenlabs_quota_warn,
        )?,
        daily_cap_warn: r.fraction(s, "daily_cap_warn", raw.daily_cap_warn, d.daily_cap_warn)?,
    })
}

fn poll(r: &Resolver, raw: PollFile) -> Result<PollIntervals, ConfigError> {
    let d = PollIntervals::default();
    let s = "poll";
    let providers_interval = r.duration(
        s,
        "providers_interval",
        raw.providers_interval,
        d.providers_interval,
    )?;
    if providers_interval < Duration::from_secs(1) {
        return Err(r.invalid(
            s,
            "providers_interval",
            "shorter than 1s; polling shares the providers' account limits with live calls"
                .to_string(),
            "use 1s or more (default 60s)",
        ));
    }
    // Both may lag what they show by their interval: at most 5 s (issue #10).
    let progress_interval = r.at_most_5s(
        s,
        "progress_interval",
        raw.progress_interval,
        d.progress_interval,
        "the broadcast and campaign figures may lag at most 5 s",
    )?;
    let full_read_interval = r.at_most_5s(
        s,
        "full_read_interval",
        raw.full_read_interval,
        d.full_read_interval,
        "an ended call may stay on the Calls screen at most 5 s",
    )?;
    Ok(PollIntervals {
        live_interval: r.duration(s, "live_interval", raw.live_interval, d.live_interval)?,
        progress_interval,
        full_read_interval,
        logs_interval: r.duration(s, "logs_interval", raw.logs_interval, d.logs_interval)?,
        config_interval: r.duration(
            s,
            "config_interval",
            raw.config_interval,
            d.config_interval,
        )?,
        readiness_interval: r.duration(
            s,
            "readiness_interval",
            raw.readiness_interval,
            d.readiness_interval,
        )?,
        providers_interval,
    })
}

fn test_broadcast(
    r: &Resolver,
    raw: TestBroadcastFile,
) -> Result<TestBroadcastConfig, ConfigError> {
    let s = "test_broadcast";
    let max_calls = match raw.max_calls {
        None => TEST_BROADCAST_MAX_CALLS,
        Some(v) => u8::try_from(v)
            .ok()
            .filter(|v| (1..=TEST_BROADCAST_MAX_CALLS).contains(v))
            .ok_or_else(|| {
                r.invalid(
                    s,
                    "max_calls",
                    format!("{v} is outside 1 to {TEST_BROADCAST_MAX_CALLS} (the hard maximum)"),
                    "write 1, 2 or 3",
                )
            })?,
    };
    let mut allowlist: Vec<String> = Vec::new();
    for (i, number) in raw.allowlist.unwrap_or_default().into_iter().enumerate() {
        let number = number.trim().to_string();
        if !is_e164(&number) {
            return Err(r.invalid(
                s,
                "allowlist",
                format!("entry {} ({:?}) is not an E.164 number", i + 1, sanitize_provider_text(&number)),
                "write numbers as + then country code and number, digits only, e.g. \"+14155550199\"",
            ));
        }
        let Ok(number) = crate::test_broadcast::normalize_e164(&number) else {
            return Err(r.invalid(
                s,
                "allowlist",
                format!(
                    "entry {} ({:?}) is not a valid phone number (no such numbering plan or length)",
                    i + 1,
                    sanitize_provider_text(&number)
                ),
                "check the digits of the number, e.g. \"+14155550199\"",
            ));
        };
        if !allowlist.contains(&number) {
            allowlist.push(number);
        }
    }
    Ok(TestBroadcastConfig {
        allowlist,
        max_calls,
    })
}

fn ui(r: &Resolver, raw: UiFile) -> Result<UiConfig, ConfigError> {
    let d = UiConfig::default();
    let environment_name = raw.environment_name.filter(|n| !n.trim().is_empty());
    if environment_name
        .as_ref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        return Err(r.invalid(
            "ui",
            "environment_name",
            "contains control characters".to_string(),
            "use plain text, e.g. \"production\"",
        ));
    }
    let timezone = match raw.timezone.filter(|t| !t.trim().is_empty()) {
        None => None,
        Some(name) => Some(name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            r.invalid(
                "ui",
                "timezone",
                format!("{:?} is not an IANA time zone", sanitize_provider_text(&name)),
                "use a zone name like \"America/New_York\" or \"UTC\", or remove the key for the system's",
            )
        })?),
    };
    Ok(UiConfig {
        environment_name,
        read_only: raw.read_only.unwrap_or(d.read_only),
        log_window: match raw.log_window {
            None => d.log_window,
            Some(v) => u32::try_from(v)
                .ok()
                .filter(|v| (1..=LOG_WINDOW_MAX).contains(v))
                .ok_or_else(|| {
                    r.invalid(
                        "ui",
                        "log_window",
                        format!("{v} is outside 1 to {LOG_WINDOW_MAX} rows"),
                        "write a row count such as 500",
                    )
                })?,
        },
        timezone,
    })
}

fn log_level(r: &Resolver, raw: Option<String>) -> Result<String, ConfigError> {
    let default = LoggingConfig::default().level;
    let Some(level) = raw else {
        return Ok(default);
    };
    let level = level.trim().to_string();
    if level.is_empty() || level.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(r.invalid(
            "logging",
            "level",
            format!("{:?} is not a log filter", sanitize_provider_text(&level)),
            "use error, warn, info, debug or trace (or a RUST_LOG-style directive)",
        ));
    }
    Ok(level)
}

const CTRL_C: KeyBinding = KeyBinding {
    code: KeyCode::Char('c'),
    ctrl: true,
};

fn key_map(r: &Resolver, raw: &BTreeMap<String, KeyListFile>) -> Result<KeyMap, ConfigError> {
    let mut map = KeyMap::default();
    for (name, keys) in raw {
        // names were checked against KEY_ACTIONS when the file was read
        let Some(action) = KeyAction::from_name(name) else {
            continue;
        };
        let mut bindings = Vec::new();
        for text in keys.keys() {
            let key = KeyBinding::parse(text).map_err(|problem| {
                r.invalid(
                    "keys",
                    name,
                    problem,
                    "see config.example.toml for the key names",
                )
            })?;
            if key == CTRL_C {
                return Err(r.invalid(
                    "keys",
                    name,
                    "ctrl-c is reserved: it always quits".to_string(),
                    "choose another key",
                ));
            }
            bindings.push(key);
        }
        map.bind(action, bindings);
    }
    if let Some((key, first, second)) = map.first_conflict() {
        let key_name = if raw.contains_key(second.name()) {
            second.name()
        } else {
            first.name()
        };
        return Err(r.invalid(
            "keys",
            key_name,
            format!(
                "key \"{key}\" is bound to both {} and {}",
                first.name(),
                second.name()
            ),
            "give one of the two actions another key in [keys]",
        ));
    }
    Ok(map)
}
