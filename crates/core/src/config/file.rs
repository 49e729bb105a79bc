//! Reading the config file: TOML syntax, known sections and keys, value types, with
//! the position of every key; then the serde structs the values land in.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, ConfigErrorKind, Origin, line_column};
use super::schema::{self, SectionDef, ValueType};
use crate::redact::sanitize_provider_text;

/// A parsed and checked config file.
pub(super) struct FileDocument {
    /// The values, keyed by section then key.
    pub table: toml::Table,
    /// Where each `section.key` was written.
    pub origins: BTreeMap<String, Origin>,
    /// `section.key` of every secret with a non-empty value in the file.
    pub secrets: Vec<String>,
}

pub(super) fn parse_document(text: &str, path: &Path) -> Result<FileDocument, ConfigError> {
    let locate = |offset: usize| {
        let (line, column) = line_column(text, offset);
        Origin::File {
            path: path.to_path_buf(),
            line,
            column,
        }
    };
    let syntax_error = |e: toml::de::Error| -> ConfigError {
        ConfigErrorKind::Syntax {
            at: locate(e.span().map_or(0, |s| s.start)),
            message: e.message().replace('\n', "; "),
        }
        .into()
    };
    let root = DeTable::parse(text).map_err(syntax_error)?;
    let mut document = FileDocument {
        table: toml::Table::new(),
        origins: BTreeMap::new(),
        secrets: Vec::new(),
    };
    for (name, value) in root.get_ref() {
        let section_name = name.get_ref().as_ref();
        let at = locate(name.span().start);
        let Some(section) = schema::section(section_name) else {
            return Err(ConfigErrorKind::UnknownSection {
                at,
                section: sanitize_provider_text(section_name),
                known: schema::section_names().join(", "),
            }
            .into());
        };
        let Some(keys) = value.get_ref().as_table() else {
            return Err(ConfigErrorKind::NotATable {
                at,
                section: section_name.to_string(),
                found: value.get_ref().type_str().to_string(),
            }
            .into());
        };
        check_section(section, keys, &locate, &mut document)?;
    }
    // The text parsed above, so this parse succeeds; it yields plain values.
    document.table = toml::from_str(text).map_err(syntax_error)?;
    Ok(document)
}

fn check_section(
    section: &SectionDef,
    keys: &DeTable<'_>,
    locate: &dyn Fn(usize) -> Origin,
    document: &mut FileDocument,
) -> Result<(), ConfigError> {
    for (key, value) in keys {
        let key_name = key.get_ref().as_ref();
        let at = locate(key.span().start);
        let Some(def) = section.key(key_name) else {
            return Err(ConfigErrorKind::UnknownKey {
                at,
                section: section.name.to_string(),
                key: sanitize_provider_text(key_name),
                known: section.key_names().join(", "),
            }
            .into());
        };
        if let Err((span, found)) = check_type(def.value_type, value) {
            return Err(ConfigErrorKind::WrongType {
                at: locate(span.start),
                section: section.name.to_string(),
                key: key_name.to_string(),
                expected: def.value_type.describe(),
                found,
            }
            .into());
        }
        let path = format!("{}.{key_name}", section.name);
        if def.secret && value.get_ref().as_str().is_some_and(|s| !s.is_empty()) {
            document.secrets.push(path.clone());
        }
        document.origins.insert(path, at);
    }
    Ok(())
}

/// Checks a value's TOML type; on mismatch, the span and type of the offending value.
fn check_type(
    expected: ValueType,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), (Range<usize>, String)> {
    let v = value.get_ref();
    let fits = match expected {
        ValueType::String | ValueType::Duration => v.is_str(),
        ValueType::Integer => v.is_integer(),
        ValueType::Float => v.is_float() || v.is_integer(),
        ValueType::Bool => v.is_bool(),
        ValueType::StringList => v.is_array(),
        ValueType::KeyList => v.is_str() || v.is_array(),
    };
    if !fits {
        return Err((value.span(), a_or_an(v.type_str())));
    }
    if let Some(items) = v.as_array()
        && let Some(item) = items.iter().find(|i| !i.get_ref().is_str())
    {
        let found = format!("an array holding {}", a_or_an(item.get_ref().type_str()));
        return Err((item.span(), found));
    }
    Ok(())
}

fn a_or_an(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

// The serde view of the file (after environment overrides are merged in). Types
// were checked above; semantic checks happen when building `Config`.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct FileConfig {
    pub database: DatabaseFile,
    pub scope: ScopeFile,
    pub retell: RetellFile,
    pub twilio: TwilioFile,
    pub elevenlabs: ElevenLabsFile,
    pub google: GoogleFile,
    pub thresholds: ThresholdsFile,
    pub poll: PollFile,
    pub test_broadcast: TestBroadcastFile,
    pub ui: UiFile,
    pub keys: BTreeMap<String, KeyListFile>,
    pub logging: LoggingFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct DatabaseFile {
    pub url: Option<SecretString>,
    pub read_url: Option<SecretString>,
    pub max_replica_lag: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ScopeFile {
    pub user_id: Option<String>,
    pub org_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RetellFile {
    pub api_key: Option<SecretString>,
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct TwilioFile {
    pub account_sid: Option<SecretString>,
    pub auth_token: Option<SecretString>,
    pub base_url: Option<String>,
    pub trunking_base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ElevenLabsFile {
    pub api_key: Option<SecretString>,
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct GoogleFile {
    pub client_id: Option<SecretString>,
    pub client_secret: Option<SecretString>,
    pub token_url: Option<String>,
    pub calendar_base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ThresholdsFile {
    pub broadcast_stuck_after: Option<String>,
    pub call_stuck_after: Option<String>,
    pub dialing_stuck_after: Option<String>,
    pub max_call_duration: Option<String>,
    pub claim_stuck_after: Option<String>,
    pub token_refresh_margin: Option<String>,
    pub error_rate_warn: Option<f64>,
    pub calls_per_minute_warn: Option<i64>,
    pub elevenlabs_quota_warn: Option<f64>,
    pub daily_cap_warn: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct PollFile {
    pub live_interval: Option<String>,
    pub progress_interval: Option<String>,
    pub full_read_interval: Option<String>,
    pub logs_interval: Option<String>,
    pub config_interval: Option<String>,
    pub readiness_interval: Option<String>,
    pub providers_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct TestBroadcastFile {
    pub allowlist: Option<Vec<String>>,
    pub max_calls: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct UiFile {
    pub environment_name: Option<String>,
    pub read_only: Option<bool>,
    pub log_window: Option<i64>,
    pub timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LoggingFile {
    pub file: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum KeyListFile {
    One(String),
    Many(Vec<String>),
}

impl KeyListFile {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeyListFile::One(key) => vec![key.as_str()],
            KeyListFile::Many(keys) => keys.iter().map(String::as_str).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<FileDocument, ConfigError> {
        parse_document(text, &PathBuf::from("config.toml"))
    }

    #[test]
    fn unknown_key_names_line_column_section_and_known_keys() {
        let text = "[retell]\nbase_url = \"https://api.retellai.com\"\nretel = \"x\"\n";
        let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "config.toml:3:1: unknown key \"retel\" in [retell] — known keys: api_key, base_url. \
             Fix: correct the key name or remove it"
        );
    }

    #[test]
    fn unknown_section_is_an_error() {
        let err = parse("\n\n[retel]\napi_key = \"x\"\n")
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.starts_with("config.toml:3:2: unknown section [retel]"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_point_at_the_value() {
        let err = parse("[test_broadcast]\nmax_calls = \"three\"\n").err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("config.toml:2:13: [test_broadcast] max_calls must be a whole number, found a string"), "{err}");
        let err = parse("[test_broadcast]\nallowlist = [\"+14155550199\", 5]\n").err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("config.toml:2:30:"), "{err}");
        assert!(err.contains("an array holding an integer"), "{err}");
        let err = parse("retell = 5\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("[retell] must be a table"), "{err}");
    }

    #[test]
    fn syntax_errors_have_a_position_and_no_file_text() {
        let text = "[retell]\napi_key = \"key_unterminated_secret_9f3c\n";
        let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("config.toml:2:"), "{err}");
        assert!(!err.contains("key_unterminated_secret"), "{err}");
    }

    #[test]
    fn floats_accept_integers_and_dotted_keys_work() {
        let doc = parse("thresholds.error_rate_warn = 1\n[retell]\napi_key = \"k\"\n");
        let doc = doc.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.secrets, vec!["retell.api_key".to_string()]);
        assert!(doc.origins.contains_key("thresholds.error_rate_warn"));
    }
}
