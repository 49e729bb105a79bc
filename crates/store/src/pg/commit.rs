//! How an action's write transaction ends, so its result can say whether anything was
//! written (quality.md "Reliability": an action cut by a fault committed whole or not at
//! all, and the result says which).
//!
//! The statements run within the store's usual deadline; any error before the COMMIT
//! means nothing was written (the server rolls the transaction back). The COMMIT is
//! the one step whose outcome a lost connection hides: the server may have committed
//! and the answer been lost on the way. Then the store asks the database, on a new
//! connection, what became of the transaction (`pg_xact_status`, PostgreSQL 13+, which
//! keeps every recent transaction's fate), for a while if it is unreachable.

use std::future::Future;
use std::time::Duration;

use sqlx::Transaction;
use sqlx::postgres::Postgres;
use tokio::time::Instant;

use super::PgStore;
use super::error::map_error;
use crate::{StoreError, StoreResult};

/// How long a lost COMMIT's outcome is asked after: a database that comes back within
/// it gives the exact answer; past it the result says the outcome is unknown.
const RESOLVE_WINDOW: Duration = Duration::from_secs(10);
/// The pause between two questions while the database is unreachable.
const RESOLVE_RETRY: Duration = Duration::from_millis(250);

/// A write transaction whose statements have run, and what they found, waiting for
/// its COMMIT.
pub(super) struct Prepared<T> {
    tx: Transaction<'static, Postgres>,
    value: T,
}

impl<T> Prepared<T> {
    pub(super) fn new(tx: Transaction<'static, Postgres>, value: T) -> Self {
        Prepared { tx, value }
    }
}

/// What became of a transaction whose COMMIT got no answer.
#[derive(Debug, PartialEq, Eq)]
enum Fate {
    Committed,
    RolledBack,
    /// Not known yet: the database cannot be asked, or has not ended it.
    Unknown,
}

impl PgStore {
    /// Runs a write transaction's statements within the usual deadline, then commits
    /// it, resolving a COMMIT whose answer was lost.
    pub(super) async fn run_write<T>(
        &self,
        work: impl Future<Output = Result<Prepared<T>, sqlx::Error>>,
    ) -> StoreResult<T> {
        let Prepared { mut tx, value } = self.run(work).await.map_err(nothing_written)?;
        let xid: String = self
            .run(
                sqlx::query_scalar("SELECT pg_current_xact_id()::text")
                    .persistent(self.persistent())
                    .fetch_one(&mut *tx),
            )
            .await
            .map_err(nothing_written)?;
        match tokio::time::timeout(self.limits.statement_timeout, tx.commit()).await {
            Ok(Ok(())) => Ok(value),
            // The server answered the COMMIT with an error: it rolled the transaction back.
            Ok(Err(e @ sqlx::Error::Database(_))) => Err(nothing_written(self.map(e))),
            Ok(Err(e)) => self.resolve(&xid, self.map(e)).await.map(|()| value),
            Err(_) => {
                let lost = StoreError::Unreachable(format!(
                    "no answer to COMMIT within {:?}",
                    self.limits.statement_timeout
                ));
                self.resolve(&xid, lost).await.map(|()| value)
            }
        }
    }

    fn map(&self, e: sqlx::Error) -> StoreError {
        map_error(e, &self.redactor, &self.limits)
    }

    /// Asks what became of transaction `xid` until the database says or the window ends.
    async fn resolve(&self, xid: &str, lost: StoreError) -> StoreResult<()> {
        let deadline = Instant::now() + RESOLVE_WINDOW;
        loop {
            match self.fate(xid).await {
                Fate::Committed => {
                    tracing::warn!(%lost, "the COMMIT's answer was lost; the database says it committed");
                    return Ok(());
                }
                Fate::RolledBack => return Err(nothing_written(lost)),
                Fate::Unknown if Instant::now() >= deadline => {
                    return Err(StoreError::Unreachable(format!(
                        "{lost}; the connection was lost while committing and the database \
                         could not say within {RESOLVE_WINDOW:?} whether the change was \
                         written: it may or may not have been; preview the action again to \
                         see what is left"
                    )));
                }
                Fate::Unknown => tokio::time::sleep(RESOLVE_RETRY).await,
            }
        }
    }

    async fn fate(&self, xid: &str) -> Fate {
        let status: StoreResult<Option<String>> = self
            .run(async {
                let mut conn = self.pool.acquire().await?;
                sqlx::query_scalar("SELECT pg_xact_status($1::text::xid8)")
                    .persistent(self.persistent())
                    .bind(xid)
                    .fetch_one(&mut *conn)
                    .await
            })
            .await;
        match status.ok().flatten().as_deref() {
            Some("committed") => Fate::Committed,
            Some("aborted") => Fate::RolledBack,
            _ => Fate::Unknown,
        }
    }
}

/// The error of a write transaction that did not commit, saying so.
pub(super) fn nothing_written(error: StoreError) -> StoreError {
    const NOT_WRITTEN: &str = "nothing was written (the transaction was rolled back)";
    match error {
        StoreError::Unreachable(m) => StoreError::Unreachable(format!("{m}; {NOT_WRITTEN}")),
        StoreError::Timeout(m) => StoreError::Timeout(format!("{m}; {NOT_WRITTEN}")),
        StoreError::SchemaDrift(m) => StoreError::SchemaDrift(format!("{m}; {NOT_WRITTEN}")),
        StoreError::Refused(m) => StoreError::Refused(format!("{m}; {NOT_WRITTEN}")),
        StoreError::Other(m) => StoreError::Other(format!("{m}; {NOT_WRITTEN}")),
    }
}
