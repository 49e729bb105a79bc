//! Opening the configured database for the headless commands and the TUI.

use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::config::{Config, LoadedConfig};
use launchdeck_core::domain::Scope;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::{Store, StoreError};
use secrecy::ExposeSecret;

/// Why a command could not reach its database; the text says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no database configured: set DATABASE_URL (or SUPABASE_DB_URL, LAUNCHDECK_DATABASE_URL, \
         --database-url, [database] url in the config file); to try launchdeck without one, \
         run `launchdeck demo`"
    )]
    NoDatabaseUrl,
    #[error("{0} — check the URL, that the database is up, and network access to it")]
    Store(#[from] StoreError),
}

/// The tenant scope from the configuration (flags already merged in).
pub fn scope(config: &Config) -> Scope {
    Scope {
        user_id: config.scope.user_id,
        org_id: config.scope.org_id,
    }
}

/// How far back one-shot commands look for call_logs still `queued`/`ringing`. The
/// live view polls every second and looks back one day (call_logs has no status
/// index); a snapshot taken once can afford to find the older orphans too.
const ONE_SHOT_LOG_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

/// Connects to the configured PostgreSQL database for a one-shot command and checks
/// it answers.
pub async fn open_store(loaded: &LoadedConfig) -> Result<Arc<dyn Store>, ConnectError> {
    let url = database_url(loaded)?;
    let opts = PgOptions {
        in_flight_log_window: ONE_SHOT_LOG_WINDOW,
        ..PgOptions::default()
    };
    let store = PgStore::connect(url.expose_secret(), opts).await?;
    Ok(Arc::new(store))
}

/// Builds the store without connecting, for the TUI, which must start (and say what
/// is wrong) while the database is down.
pub fn open_store_lazy(loaded: &LoadedConfig) -> Result<Arc<dyn Store>, ConnectError> {
    let url = database_url(loaded)?;
    let store = PgStore::connect_lazy(url.expose_secret(), PgOptions::default())?;
    Ok(Arc::new(store))
}

fn database_url(loaded: &LoadedConfig) -> Result<&secrecy::SecretString, ConnectError> {
    loaded
        .config
        .database
        .url
        .as_ref()
        .ok_or(ConnectError::NoDatabaseUrl)
}

/// A small multi-threaded runtime for one command.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
