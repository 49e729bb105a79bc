//! The known sections and keys of the config file. This one table drives the
//! unknown-key errors, the type checks and the `LAUNCHDECK_<SECTION>_<KEY>`
//! environment overrides.

use super::keys::KEY_ACTIONS;
use ValueType::{Bool, Duration as Dur, Float, Integer, String as Str, StringList};

/// The TOML type a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    /// A duration string like `"90s"`, `"5m"`, `"1h"`.
    Duration,
    Integer,
    /// A number; integers are accepted too.
    Float,
    Bool,
    /// An array of strings (from the environment: comma-separated).
    StringList,
    /// A key binding: one key string or an array of them.
    KeyList,
}

impl ValueType {
    /// How an error message describes the expected value.
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::String => "a string in quotes",
            ValueType::Duration => "a duration in quotes, e.g. \"90s\", \"5m\" or \"1h\"",
            ValueType::Integer => "a whole number",
            ValueType::Float => "a number",
            ValueType::Bool => "true or false",
            ValueType::StringList => "an array of strings, e.g. [\"+14155550199\"]",
            ValueType::KeyList => "a key string or an array of key strings, e.g. \"q\"",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub name: &'static str,
    pub value_type: ValueType,
    /// Secrets are masked on display and make a config file subject to the
    /// permission check.
    pub secret: bool,
}

const fn key(name: &'static str, value_type: ValueType) -> KeyDef {
    KeyDef {
        name,
        value_type,
        secret: false,
    }
}

const fn secret(name: &'static str) -> KeyDef {
    KeyDef {
        name,
        value_type: ValueType::String,
        secret: true,
    }
}

#[derive(Debug, Clone, Copy)]
pub enum SectionKeys {
    Fixed(&'static [KeyDef]),
    /// `[keys]`: one key per action in [`KEY_ACTIONS`].
    Actions,
}

#[derive(Debug, Clone, Copy)]
pub struct SectionDef {
    pub name: &'static str,
    pub keys: SectionKeys,
}

impl SectionDef {
    pub fn key(&self, name: &str) -> Option<KeyDef> {
        self.all_keys().into_iter().find(|k| k.name == name)
    }

    pub fn all_keys(&self) -> Vec<KeyDef> {
        match self.keys {
            SectionKeys::Fixed(keys) => keys.to_vec(),
            SectionKeys::Actions => KEY_ACTIONS
                .iter()
                .map(|a| key(a.name, ValueType::KeyList))
                .collect(),
        }
    }

    pub fn key_names(&self) -> Vec<&'static str> {
        self.all_keys().iter().map(|k| k.name).collect()
    }
}

pub const SECTIONS: &[SectionDef] = &[
    SectionDef {
        name: "database",
        keys: SectionKeys::Fixed(&[
            secret("url"),
            secret("read_url"),
            key("max_replica_lag", Dur),
        ]),
    },
    SectionDef {
        name: "scope",
        keys: SectionKeys::Fixed(&[key("user_id", Str), key("org_id", Str)]),
    },
    SectionDef {
        name: "retell",
        keys: SectionKeys::Fixed(&[secret("api_key"), key("base_url", Str)]),
    },
    SectionDef {
        name: "twilio",
        keys: SectionKeys::Fixed(&[
            secret("account_sid"),
            secret("auth_token"),
            key("base_url", Str),
            key("trunking_base_url", Str),
        ]),
    },
    SectionDef {
        name: "elevenlabs",
        keys: SectionKeys::Fixed(&[secret("api_key"), key("base_url", Str)]),
    },
    SectionDef {
        name: "google",
        keys: SectionKeys::Fixed(&[
            secret("client_id"),
            secret("client_secret"),
            key("token_url", Str),
            key("calendar_base_url", Str),
        ]),
    },
    SectionDef {
        name: "thresholds",
        keys: SectionKeys::Fixed(&[
            key("broadcast_stuck_after", Dur),
            key("call_stuck_after", Dur),
            key("dialing_stuck_after", Dur),
            key("max_call_duration", Dur),
            key("claim_stuck_after", Dur),
            key("token_refresh_margin", Dur),
            key("error_rate_warn", Float),
            key("calls_per_minute_warn", Integer),
            key("elevenlabs_quota_warn", Float),
            key("daily_cap_warn", Float),
        ]),
    },
    SectionDef {
        name: "poll",
        keys: SectionKeys::Fixed(&[
            key("live_interval", Dur),
            key("progress_interval", Dur),
            key("full_read_interval", Dur),
            key("logs_interval", Dur),
            key("config_interval", Dur),
            key("readiness_interval", Dur),
            key("providers_interval", Dur),
        ]),
    },
    SectionDef {
        name: "test_broadcast",
        keys: SectionKeys::Fixed(&[key("allowlist", StringList), key("max_calls", Integer)]),
    },
    SectionDef {
        name: "ui",
        keys: SectionKeys::Fixed(&[
            key("environment_name", Str),
            key("read_only", Bool),
            key("log_window", Integer),
            key("timezone", Str),
        ]),
    },
    SectionDef {
        name: "keys",
        keys: SectionKeys::Actions,
    },
    SectionDef {
        name: "logging",
        keys: SectionKeys::Fixed(&[key("file", Str), key("level", Str)]),
    },
];

pub fn section(name: &str) -> Option<&'static SectionDef> {
    SECTIONS.iter().find(|s| s.name == name)
}

pub fn section_names() -> Vec<&'static str> {
    SECTIONS.iter().map(|s| s.name).collect()
}

/// `LAUNCHDECK_<SECTION>_<KEY>`, upper case.
pub fn env_var_name(section: &str, key: &str) -> String {
    format!(
        "LAUNCHDECK_{}_{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// Every known key as (section, key definition).
pub fn all_keys() -> Vec<(&'static str, KeyDef)> {
    SECTIONS
        .iter()
        .flat_map(|s| s.all_keys().into_iter().map(move |k| (s.name, k)))
        .collect()
}

/// The environment variables that set a secret, strongest first. The platform's own
/// names win over `LAUNCHDECK_*`, except for the database URL (product.md Decision 2:
/// `--database-url` > `LAUNCHDECK_DATABASE_URL` > `DATABASE_URL` > `SUPABASE_DB_URL`).
pub fn secret_env_vars(section: &str, key: &str) -> &'static [&'static str] {
    match (section, key) {
        ("database", "url") => &["LAUNCHDECK_DATABASE_URL", "DATABASE_URL", "SUPABASE_DB_URL"],
        ("database", "read_url") => &["LAUNCHDECK_DATABASE_READ_URL"],
        ("retell", "api_key") => &["RETELL_AI_API_KEY", "LAUNCHDECK_RETELL_API_KEY"],
        ("twilio", "account_sid") => &["TWILIO_ACCOUNT_SID", "LAUNCHDECK_TWILIO_ACCOUNT_SID"],
        ("twilio", "auth_token") => &["TWILIO_AUTH_TOKEN", "LAUNCHDECK_TWILIO_AUTH_TOKEN"],
        ("elevenlabs", "api_key") => &["ELEVENLABS_API_KEY", "LAUNCHDECK_ELEVENLABS_API_KEY"],
        ("google", "client_id") => &["GOOGLE_CLIENT_ID", "LAUNCHDECK_GOOGLE_CLIENT_ID"],
        ("google", "client_secret") => &["GOOGLE_CLIENT_SECRET", "LAUNCHDECK_GOOGLE_CLIENT_SECRET"],
        _ => &[],
    }
}

/// `LAUNCHDECK_*` variables that are not settings but are expected: they never cause
/// an "unknown variable" warning.
pub const NON_SETTING_VARS: &[&str] = &[
    "LAUNCHDECK_CONFIG",
    "LAUNCHDECK_DATA_DIR",
    DEMO_REPORT_EVERY_VAR,
];

/// How often `launchdeck demo` logs its resources, for soak runs (e.g. `5s`).
pub const DEMO_REPORT_EVERY_VAR: &str = "LAUNCHDECK_DEMO_REPORT_EVERY";

/// Prefix of the test harness's variables (e.g. `LAUNCHDECK_TEST_PG_BIN`), also exempt
/// from the warning once the `[test_broadcast]` keys have been matched.
pub const TEST_HARNESS_PREFIX: &str = "LAUNCHDECK_TEST_";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn env_var_names_are_unambiguous() {
        let names: Vec<String> = all_keys()
            .iter()
            .map(|(s, k)| env_var_name(s, k.name))
            .collect();
        let unique: BTreeSet<&String> = names.iter().collect();
        assert_eq!(names.len(), unique.len());
        assert!(names.contains(&"LAUNCHDECK_TEST_BROADCAST_MAX_CALLS".to_string()));
    }

    #[test]
    fn every_secret_has_env_names_and_only_secrets_do() {
        for (section, key) in all_keys() {
            assert_eq!(
                key.secret,
                !secret_env_vars(section, key.name).is_empty(),
                "{section}.{}",
                key.name
            );
        }
    }
}
