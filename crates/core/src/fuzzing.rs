//! The bodies of the core fuzz targets, shared by `cargo fuzz` (the `fuzz/` project, on
//! nightly) and the stable replay of their committed corpus (`tests/fuzz_corpus.rs`), so
//! both run the same code. Each takes the fuzzer's bytes and panics when an invariant
//! the product relies on breaks; returning means the input was handled as promised.

use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;
use secrecy::SecretString;
use serde_json::Value;

use crate::config::{Config, ConfigError, LOG_WINDOW_MAX, TEST_BROADCAST_MAX_CALLS, is_e164};
use crate::readiness::rules::availability::{
    WEEKDAYS, WeeklySchedule, parse_weekly_schedule, validate_availability,
};

/// The longest configuration error: its fixed text (at most about 430 characters, with
/// the list of `[keys]` names) and at most two sanitised excerpts of the file of 201
/// characters each.
pub const MAX_CONFIG_ERROR_CHARS: usize = 800;

/// The longest availability error or summary.
pub const MAX_AVAILABILITY_MESSAGE_CHARS: usize = 400;

const LONGEST_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Target `config_file`: the bytes as a configuration file's content, through the
/// same reading and validation as `Config::load`. An accepted file keeps every value
/// inside its documented bounds and never shows a secret in `Debug`; a refused one
/// says why in a bounded message without control characters.
pub fn config_file(data: &[u8]) {
    match Config::from_file_bytes(Path::new("config.toml"), data.to_vec()) {
        Ok(config) => check_config(&config),
        Err(err) => check_config_error(&err),
    }
}

fn check_config(config: &Config) {
    let t = &config.thresholds;
    let p = &config.poll;
    let durations = [
        config.database.max_replica_lag,
        t.broadcast_stuck_after,
        t.call_stuck_after,
        t.dialing_stuck_after,
        t.max_call_duration,
        t.claim_stuck_after,
        t.token_refresh_margin,
        p.live_interval,
        p.progress_interval,
        p.full_read_interval,
        p.logs_interval,
        p.config_interval,
        p.readiness_interval,
        p.providers_interval,
    ];
    for duration in durations {
        assert!(
            !duration.is_zero() && duration <= LONGEST_DURATION,
            "a duration out of bounds was accepted: {duration:?}"
        );
    }
    assert!(p.progress_interval <= Duration::from_secs(5));
    assert!(p.full_read_interval <= Duration::from_secs(5));
    assert!(p.providers_interval >= Duration::from_secs(1));
    for fraction in [t.error_rate_warn, t.elevenlabs_quota_warn, t.daily_cap_warn] {
        assert!((0.0..=1.0).contains(&fraction), "fraction {fraction}");
    }
    assert!(t.calls_per_minute_warn > 0);
    let test = &config.test_broadcast;
    assert!((1..=TEST_BROADCAST_MAX_CALLS).contains(&test.max_calls));
    assert!(test.allowlist.iter().all(|number| is_e164(number)));
    assert!((1..=LOG_WINDOW_MAX).contains(&config.ui.log_window));
    let _ = config.non_default_endpoints();
    assert_eq!(
        format!("{config:?}"),
        format!("{:?}", with_placeholder_secrets(config)),
        "the configuration's Debug depends on a secret's value"
    );
}

/// The same configuration with every secret that is set replaced by `x`.
fn with_placeholder_secrets(config: &Config) -> Config {
    let placeholder = |secret: &Option<SecretString>| {
        secret.as_ref().map(|_| SecretString::from("x".to_string()))
    };
    let mut other = config.clone();
    other.database.url = placeholder(&config.database.url);
    other.database.read_url = placeholder(&config.database.read_url);
    other.retell.api_key = placeholder(&config.retell.api_key);
    other.twilio.account_sid = placeholder(&config.twilio.account_sid);
    other.twilio.auth_token = placeholder(&config.twilio.auth_token);
    other.elevenlabs.api_key = placeholder(&config.elevenlabs.api_key);
    other.google.client_id = placeholder(&config.google.client_id);
    other.google.client_secret = placeholder(&config.google.client_secret);
    other
}

fn check_config_error(err: &ConfigError) {
    check_message(&err.to_string(), MAX_CONFIG_ERROR_CHARS);
}

/// Target `availability`: the first line is the time zone, the rest the
/// `weekly_schedule` — JSON when it parses, else the text as the browser's string form.
/// An accepted schedule names only weekdays and holds sorted slots that start before
/// they end and never overlap; both storage forms give the same answer; every message
/// is bounded and free of control characters.
pub fn availability(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (timezone, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let schedule =
        serde_json::from_str::<Value>(rest).unwrap_or_else(|_| Value::String(rest.to_string()));
    let parsed = parse_weekly_schedule(&schedule);
    match &parsed {
        Ok(week) => check_week(week),
        Err(message) => check_message(message, MAX_AVAILABILITY_MESSAGE_CHARS),
    }
    if schedule.is_object() {
        let as_string = Value::String(schedule.to_string());
        assert_eq!(
            parse_weekly_schedule(&as_string),
            parsed,
            "the string form answers differently"
        );
    }
    let zone_is_valid = timezone.trim().parse::<Tz>().is_ok();
    match validate_availability(&schedule, timezone) {
        Ok(summary) => {
            check_message(&summary, MAX_AVAILABILITY_MESSAGE_CHARS);
            assert!(zone_is_valid, "an invalid zone passed: {timezone:?}");
            let week = parsed.expect("a valid availability has a valid schedule");
            check_summary(&summary, &week, timezone.trim());
        }
        Err(message) => {
            check_message(&message, MAX_AVAILABILITY_MESSAGE_CHARS);
            if zone_is_valid {
                assert_eq!(parsed.err(), Some(message), "refused for another reason");
            }
        }
    }
}

fn check_week(week: &WeeklySchedule) {
    for (day, slots) in week {
        assert!(WEEKDAYS.contains(&day.as_str()), "unknown day {day:?}");
        for (start, end) in slots {
            assert!(start < end, "{day}: {start} is not before {end}");
        }
        for pair in slots.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "{day}: {pair:?} overlap or are unsorted"
            );
        }
    }
}

fn check_summary(summary: &str, week: &WeeklySchedule, zone: &str) {
    assert!(summary.ends_with(&format!("({zone})")), "{summary}");
    for day in WEEKDAYS {
        let open = week.get(day).is_some_and(|slots| !slots.is_empty());
        assert_eq!(summary.contains(day), open, "{summary} and {day}");
    }
}

/// Bounded, and safe to print on a terminal: no control characters (a newline, an
/// escape sequence from the input would move or recolour the operator's screen).
fn check_message(message: &str, max_chars: usize) {
    let chars = message.chars().count();
    assert!(chars <= max_chars, "{chars} characters: {message:.300}");
    assert!(
        !message.chars().any(char::is_control),
        "control characters in {message:?}"
    );
}
