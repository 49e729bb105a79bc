//! Logging to a file, never to the terminal (the TUI owns the screen).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use launchdeck_core::config::LoadedConfig;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use super::GlobalArgs;

/// Keeps the background log writer alive; logs are flushed when it drops.
pub struct LogGuard {
    _worker: WorkerGuard,
    pub file: PathBuf,
    pub filter: String,
}

/// The log file: `--log-file`, else `[logging] file`, else `launchdeck.log` in the
/// data dir.
pub fn log_file_path(config: &LoadedConfig, cli: &GlobalArgs) -> Result<PathBuf, String> {
    if let Some(path) = cli
        .log_file
        .clone()
        .or_else(|| config.config.logging.file.clone())
    {
        return Ok(path);
    }
    config
        .data_dir()
        .map(|dir| dir.join("launchdeck.log"))
        .map_err(|e| e.to_string())
}

/// The filter: `RUST_LOG` when set, else `[logging] level`.
pub fn log_filter(config: &LoadedConfig, env: &BTreeMap<String, String>) -> (String, &'static str) {
    match env.get("RUST_LOG").filter(|v| !v.trim().is_empty()) {
        Some(filter) => (filter.clone(), "RUST_LOG"),
        None => (config.config.logging.level.clone(), "[logging] level"),
    }
}

/// Installs the global subscriber writing to the log file (created 0600).
pub fn init_logging(
    config: &LoadedConfig,
    cli: &GlobalArgs,
    env: &BTreeMap<String, String>,
) -> Result<LogGuard, String> {
    let (filter_text, filter_source) = log_filter(config, env);
    let filter = EnvFilter::try_new(&filter_text).map_err(|e| {
        format!(
            "invalid log filter {filter_text:?} (from {filter_source}): {e}. Fix: use error, warn, info, debug or trace"
        )
    })?;
    let path = log_file_path(config, cli)?;
    let file = open_log_file(&path)?;
    let (writer, worker) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(LogGuard {
        _worker: worker,
        file: path,
        filter: filter_text,
    })
}

fn open_log_file(path: &Path) -> Result<File, String> {
    let cannot = |e: std::io::Error| {
        format!(
            "cannot open log file '{}': {e}. Fix: pass --log-file PATH or set [logging] file to a writable location",
            path.display()
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(cannot)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(cannot)
}
