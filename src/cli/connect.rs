//! Opening the configured database for the headless commands and the TUI.

use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::config::{Config, LoadedConfig};
use launchdeck_core::domain::Scope;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::replica::ReadRouter;
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
    let store = PgStore::connect(url.expose_secret(), one_shot_options()).await?;
    Ok(Arc::new(store))
}

fn one_shot_options() -> PgOptions {
    PgOptions {
        in_flight_log_window: ONE_SHOT_LOG_WINDOW,
        ..PgOptions::default()
    }
}

/// Builds the store without connecting, for the TUI, which must start (and say what
/// is wrong) while the database is down.
pub fn open_store_lazy(loaded: &LoadedConfig) -> Result<Arc<dyn Store>, ConnectError> {
    let url = database_url(loaded)?;
    let store = PgStore::connect_lazy(url.expose_secret(), PgOptions::default())?;
    Ok(Arc::new(store))
}

/// The store reads go to: with `[database] read_url`, a router that reads from the
/// replica while it keeps up and from `primary` otherwise; else `primary` itself.
/// Built without connecting (the replica may be down: reads then go to the primary).
pub fn read_store(
    loaded: &LoadedConfig,
    primary: Arc<dyn Store>,
    opts: PgOptions,
) -> Result<Arc<dyn Store>, ConnectError> {
    let database = &loaded.config.database;
    let Some(read_url) = &database.read_url else {
        return Ok(primary);
    };
    let replica = PgStore::connect_lazy(read_url.expose_secret(), opts)?;
    Ok(Arc::new(ReadRouter::new(
        primary,
        Arc::new(replica),
        database.max_replica_lag,
    )))
}

/// The primary and, for one-shot reads (`check`, `calls`), the read store.
pub async fn open_read_store(loaded: &LoadedConfig) -> Result<Arc<dyn Store>, ConnectError> {
    let primary = open_store(loaded).await?;
    let reads = read_store(loaded, primary, one_shot_options())?;
    // The first probe decides where the reads go (the primary answered above).
    reads.db_info().await?;
    Ok(reads)
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
