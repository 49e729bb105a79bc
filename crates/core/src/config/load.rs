//! Finding the config file, merging the environment and flags over it, and the
//! permission check for files that hold secrets.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::error::{ConfigError, ConfigErrorKind, Origin};
use super::file::{FileConfig, FileDocument, parse_document};
use super::schema::{self, ValueType};
use super::values::database_url_for_display;
use super::{Config, resolve};
use crate::redact::{mask_account_sid, mask_secret};

/// Everything [`Config::load`] needs from the outside world, so tests can inject it.
/// `Debug` lists the environment's variable names only (their values may be secrets).
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// `--config PATH`.
    pub config_path: Option<PathBuf>,
    /// The process environment (see [`process_env`]).
    pub env: BTreeMap<String, String>,
    /// `config.toml` in the platform config dir; `None` when there is no home dir.
    pub default_config_path: Option<PathBuf>,
    /// The platform data dir; `None` when there is no home dir.
    pub default_data_dir: Option<PathBuf>,
    pub flags: Flags,
}

/// Command-line flags that override settings.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--database-url`.
    pub database_url: Option<SecretString>,
    /// `--read-only` (can only turn read-only on).
    pub read_only: bool,
    /// `--user`.
    pub user_id: Option<Uuid>,
    /// `--org`.
    pub org_id: Option<Uuid>,
    /// `--log-file`.
    pub log_file: Option<PathBuf>,
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("config_path", &self.config_path)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("default_config_path", &self.default_config_path)
            .field("default_data_dir", &self.default_data_dir)
            .field("flags", &self.flags)
            .finish()
    }
}

impl LoadOptions {
    /// Options with the platform's default locations and no flags.
    pub fn new(env: BTreeMap<String, String>) -> Self {
        let dirs = ProjectDirs::from("", "", "launchdeck");
        LoadOptions {
            config_path: None,
            env,
            default_config_path: dirs.as_ref().map(|d| d.config_dir().join("config.toml")),
            default_data_dir: dirs.as_ref().map(|d| d.data_dir().to_path_buf()),
            flags: Flags::default(),
        }
    }
}

/// The process environment; variables that are not valid Unicode are left out.
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// The data dir: `LAUNCHDECK_DATA_DIR` if set, else the platform data dir
/// (`~/.local/share/launchdeck` on Linux).
pub fn data_dir(env: &BTreeMap<String, String>) -> Result<PathBuf, ConfigError> {
    let default = ProjectDirs::from("", "", "launchdeck").map(|d| d.data_dir().to_path_buf());
    data_dir_or(env, default)
}

fn data_dir_or(
    env: &BTreeMap<String, String>,
    default: Option<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    non_empty(env, "LAUNCHDECK_DATA_DIR")
        .map(PathBuf::from)
        .or(default)
        .ok_or_else(|| ConfigErrorKind::NoDataDir.into())
}

/// How the config file path was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathChoice {
    Flag,
    Env,
    Default,
}

impl fmt::Display for PathChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathChoice::Flag => "--config",
            PathChoice::Env => "LAUNCHDECK_CONFIG",
            PathChoice::Default => "the default location",
        })
    }
}

/// The config file in use (or that would be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// `None` only when there is no explicit path and no home dir.
    pub path: Option<PathBuf>,
    pub chosen_by: PathChoice,
    pub exists: bool,
}

/// `--config` > `LAUNCHDECK_CONFIG` > the default location.
pub fn resolve_config_path(opts: &LoadOptions) -> ConfigFile {
    let (path, chosen_by) = if let Some(path) = &opts.config_path {
        (Some(path.clone()), PathChoice::Flag)
    } else if let Some(path) = non_empty(&opts.env, "LAUNCHDECK_CONFIG") {
        (Some(PathBuf::from(path)), PathChoice::Env)
    } else {
        (opts.default_config_path.clone(), PathChoice::Default)
    };
    let exists = path.as_deref().is_some_and(Path::is_file);
    ConfigFile {
        path,
        chosen_by,
        exists,
    }
}

/// A loaded configuration with where each setting came from.
#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub file: ConfigFile,
    /// Problems that do not stop loading, e.g. an unknown `LAUNCHDECK_*` variable.
    pub warnings: Vec<String>,
    /// Origin of every setting that is not a default, by `section.key`.
    pub origins: BTreeMap<String, Origin>,
    data_dir: Option<PathBuf>,
}

/// A secret as `config check` and the Environment readiness check show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretStatus {
    pub section: &'static str,
    pub key: &'static str,
    /// Masked form (`••••9f3c`), `None` when unset.
    pub masked: Option<String>,
    pub origin: Origin,
    /// The environment variables that can set it, strongest first.
    pub env_vars: &'static [&'static str],
}

impl LoadedConfig {
    pub fn origin(&self, section: &str, key: &str) -> Origin {
        self.origins
            .get(&format!("{section}.{key}"))
            .cloned()
            .unwrap_or(Origin::Default)
    }

    /// Every secret setting, masked, with its origin.
    pub fn secrets(&self) -> Vec<SecretStatus> {
        schema::all_keys()
            .into_iter()
            .filter(|(_, k)| k.secret)
            .map(|(section, k)| SecretStatus {
                section,
                key: k.name,
                masked: self
                    .config
                    .secret(section, k.name)
                    .map(|s| mask_for_display(section, k.name, s)),
                origin: self.origin(section, k.name),
                env_vars: schema::secret_env_vars(section, k.name),
            })
            .collect()
    }

    /// Where the audit log, the demo database and the default log file live.
    pub fn data_dir(&self) -> Result<PathBuf, ConfigError> {
        self.data_dir
            .clone()
            .ok_or_else(|| ConfigErrorKind::NoDataDir.into())
    }
}

fn mask_for_display(section: &str, key: &str, secret: &SecretString) -> String {
    let value = secret.expose_secret();
    match (section, key) {
        ("database", "url" | "read_url") => database_url_for_display(value),
        ("twilio", "account_sid") => mask_account_sid(value),
        _ => mask_secret(value),
    }
}

pub(super) fn load(opts: &LoadOptions) -> Result<LoadedConfig, ConfigError> {
    let file = resolve_config_path(opts);
    let document = read_document(&file)?;
    let (mut table, mut origins) = match document {
        Some(doc) => (doc.table, doc.origins),
        None => (toml::Table::new(), BTreeMap::new()),
    };
    let warnings = apply_env_settings(&opts.env, &mut table, &mut origins)?;
    apply_env_secrets(&opts.env, &mut table, &mut origins);
    apply_flags(&opts.flags, &mut table, &mut origins);
    let config = validate(table, &origins)?;
    Ok(LoadedConfig {
        config,
        file,
        warnings,
        origins,
        data_dir: data_dir_or(&opts.env, opts.default_data_dir.clone()).ok(),
    })
}

/// The merged settings, checked and resolved into a [`Config`].
fn validate(table: toml::Table, origins: &BTreeMap<String, Origin>) -> Result<Config, ConfigError> {
    let raw: FileConfig = table.try_into().map_err(|e: toml::de::Error| {
        ConfigError::from(ConfigErrorKind::Syntax {
            at: Origin::Default,
            message: format!("unexpected value shape ({})", e.message()),
        })
    })?;
    resolve::build(raw, origins)
}

/// The configuration a file's bytes give on their own, as [`Config::load`] reads and
/// validates them (no environment, no flags, no permission check). `path` only names
/// the file in errors.
pub(super) fn from_file_bytes(path: &Path, bytes: Vec<u8>) -> Result<Config, ConfigError> {
    let text = config_text(path, bytes)?;
    let document = parse_document(&text, path)?;
    validate(document.table, &document.origins)
}

/// Reads and checks the file; `None` when the default file does not exist.
fn read_document(file: &ConfigFile) -> Result<Option<FileDocument>, ConfigError> {
    let Some(path) = &file.path else {
        return Ok(None);
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => config_text(path, bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if file.chosen_by == PathChoice::Default {
                return Ok(None);
            }
            return Err(ConfigErrorKind::Missing {
                path: path.clone(),
                chosen_by: file.chosen_by.to_string(),
            }
            .into());
        }
        Err(e) => {
            return Err(ConfigErrorKind::Unreadable {
                path: path.clone(),
                reason: e.to_string(),
            }
            .into());
        }
    };
    let document = parse_document(&text, path)?;
    if !document.secrets.is_empty() {
        check_private(path)?;
    }
    Ok(Some(document))
}

/// The largest configuration file read: a real one is a few kilobytes.
const LARGEST_FILE: usize = 256 * 1024;

/// The file's text, refused when it is far too large or not UTF-8.
fn config_text(path: &Path, bytes: Vec<u8>) -> Result<String, ConfigError> {
    let unreadable = |reason: String| {
        ConfigError::from(ConfigErrorKind::Unreadable {
            path: path.to_path_buf(),
            reason,
        })
    };
    if bytes.len() > LARGEST_FILE {
        return Err(unreadable(format!(
            "the file is {} KB, too large for a configuration (at most {} KB); is this the right file?",
            bytes.len() / 1024,
            LARGEST_FILE / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        unreadable(format!(
            "the file is not UTF-8 text (byte {}); save it as UTF-8",
            e.utf8_error().valid_up_to() + 1
        ))
    })
}

/// ssh-style: a file holding secrets must not be readable by group or others.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| {
            ConfigError::from(ConfigErrorKind::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        })?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 != 0 {
        return Err(ConfigErrorKind::TooOpen {
            path: path.to_path_buf(),
            mode,
        }
        .into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}

fn non_empty<'a>(env: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    env.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn set(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(section_table) = entry {
        section_table.insert(key.to_string(), value);
    }
}

/// `LAUNCHDECK_<SECTION>_<KEY>` for every non-secret key; warns about unknown
/// `LAUNCHDECK_*` variables.
fn apply_env_settings(
    env: &BTreeMap<String, String>,
    table: &mut toml::Table,
    origins: &mut BTreeMap<String, Origin>,
) -> Result<Vec<String>, ConfigError> {
    let known = schema::all_keys();
    for (section, key) in known.iter().filter(|(_, k)| !k.secret) {
        let var = schema::env_var_name(section, key.name);
        let Some(text) = non_empty(env, &var) else {
            continue;
        };
        let value = env_value(key.value_type, text)
            .map_err(|problem| invalid_env(&var, section, key.name, problem, key.value_type))?;
        set(table, section, key.name, value);
        origins.insert(format!("{section}.{}", key.name), Origin::Env(var));
    }
    let known_vars: Vec<String> = known
        .iter()
        .map(|(s, k)| schema::env_var_name(s, k.name))
        .collect();
    let warnings = env
        .keys()
        .filter(|name| name.starts_with("LAUNCHDECK_"))
        .filter(|name| !known_vars.contains(name))
        .filter(|name| !schema::NON_SETTING_VARS.contains(&name.as_str()))
        .filter(|name| !name.starts_with(schema::TEST_HARNESS_PREFIX))
        .map(|name| {
            format!(
                "{name} is not a launchdeck setting and is ignored; settings are named LAUNCHDECK_<SECTION>_<KEY>, e.g. LAUNCHDECK_RETELL_BASE_URL"
            )
        })
        .collect();
    Ok(warnings)
}

fn invalid_env(var: &str, section: &str, key: &str, problem: String, ty: ValueType) -> ConfigError {
    ConfigErrorKind::Invalid {
        at: Origin::Env(var.to_string()),
        section: section.to_string(),
        key: key.to_string(),
        problem,
        fix: format!("set {var} to {}", ty.describe()),
    }
    .into()
}

/// An environment string as the TOML value its key takes.
fn env_value(ty: ValueType, text: &str) -> Result<toml::Value, String> {
    let shown = || format!("{:?}", crate::redact::sanitize_provider_text(text));
    match ty {
        ValueType::String | ValueType::Duration | ValueType::KeyList => {
            Ok(toml::Value::String(text.to_string()))
        }
        ValueType::Integer => text
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{} is not a whole number", shown())),
        ValueType::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(toml::Value::Float)
            .ok_or_else(|| format!("{} is not a number", shown())),
        ValueType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("{} is not true or false", shown())),
        },
        ValueType::StringList => Ok(toml::Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_string()))
                .collect(),
        )),
    }
}

/// Each secret from the strongest of its environment variables.
fn apply_env_secrets(
    env: &BTreeMap<String, String>,
    table: &mut toml::Table,
    origins: &mut BTreeMap<String, Origin>,
) {
    for (section, key) in schema::all_keys().iter().filter(|(_, k)| k.secret) {
        let vars = schema::secret_env_vars(section, key.name);
        let Some((var, value)) = vars
            .iter()
            .find_map(|var| non_empty(env, var).map(|value| (*var, value)))
        else {
            continue;
        };
        set(
            table,
            section,
            key.name,
            toml::Value::String(value.to_string()),
        );
        origins.insert(
            format!("{section}.{}", key.name),
            Origin::Env(var.to_string()),
        );
    }
}

fn apply_flags(flags: &Flags, table: &mut toml::Table, origins: &mut BTreeMap<String, Origin>) {
    let mut apply = |section: &str, key: &str, flag: &str, value: toml::Value| {
        set(table, section, key, value);
        origins.insert(format!("{section}.{key}"), Origin::Flag(flag.to_string()));
    };
    if let Some(url) = &flags.database_url {
        let url = toml::Value::String(url.expose_secret().to_string());
        apply("database", "url", "--database-url", url);
    }
    if flags.read_only {
        apply("ui", "read_only", "--read-only", toml::Value::Boolean(true));
    }
    if let Some(user) = flags.user_id {
        apply(
            "scope",
            "user_id",
            "--user",
            toml::Value::String(user.to_string()),
        );
    }
    if let Some(org) = flags.org_id {
        apply(
            "scope",
            "org_id",
            "--org",
            toml::Value::String(org.to_string()),
        );
    }
    if let Some(file) = &flags.log_file {
        let file = toml::Value::String(file.to_string_lossy().into_owned());
        apply("logging", "file", "--log-file", file);
    }
}
