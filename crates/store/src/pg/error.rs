//! sqlx errors as `StoreError`s whose text names the problem and the fix, and never
//! carries the connection URL's credentials.

use std::time::Duration;

use crate::StoreError;

/// Removes credentials from text that leaves the store: any `scheme://user:password@`
/// becomes `scheme://***@`, and the connection's own password is masked wherever it
/// appears.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    password: Option<String>,
}

impl Redactor {
    pub(crate) fn new(password: Option<String>) -> Self {
        Redactor {
            password: password.filter(|p| !p.is_empty()),
        }
    }

    pub(crate) fn clean(&self, text: &str) -> String {
        let mut out = strip_url_credentials(text);
        if let Some(password) = &self.password {
            out = out.replace(password.as_str(), "••••");
        }
        out
    }
}

/// `postgres://user:secret@host/db` → `postgres://***@host/db`, for every URL in `text`.
fn strip_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// How the connection is configured, for messages that tell the operator what to change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub acquire_timeout: Duration,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
}

/// Maps a sqlx error to the `StoreError` kind the console reacts to.
pub(crate) fn map_error(error: sqlx::Error, redactor: &Redactor, limits: &Limits) -> StoreError {
    use sqlx::Error as E;
    let text = |e: &dyn std::fmt::Display| redactor.clean(&e.to_string());
    match error {
        E::Database(db) => map_database_error(db.as_ref(), redactor, limits),
        E::Io(e) => StoreError::Unreachable(format!(
            "{}; check that the database is running and that the URL's host and port are right",
            text(&e)
        )),
        E::Tls(e) => StoreError::Unreachable(format!(
            "TLS handshake failed: {}; check the URL's sslmode and the server's certificate",
            text(&e)
        )),
        E::PoolTimedOut => StoreError::Unreachable(format!(
            "no connection within {:?}: the database is down, unreachable or out of connections",
            limits.acquire_timeout
        )),
        E::PoolClosed => StoreError::Unreachable("the connection pool is closed".into()),
        E::WorkerCrashed => {
            StoreError::Unreachable("the database connection's worker stopped".into())
        }
        E::Protocol(e) => StoreError::Unreachable(format!(
            "the server's reply could not be read ({}); is the URL pointing at PostgreSQL?",
            redactor.clean(&e)
        )),
        E::Configuration(e) => StoreError::Other(format!(
            "invalid database URL or option: {}; expected postgres://user:password@host:port/database?sslmode=require",
            text(&e)
        )),
        E::ColumnNotFound(column) => StoreError::SchemaDrift(format!(
            "column {column} is missing from a result; run `launchdeck check` to list schema drift"
        )),
        E::ColumnDecode { index, source } => StoreError::SchemaDrift(format!(
            "column {index} has an unexpected type ({}); the platform schema may have changed",
            text(&source)
        )),
        other => StoreError::Other(text(&other)),
    }
}

fn map_database_error(
    db: &dyn sqlx::error::DatabaseError,
    redactor: &Redactor,
    limits: &Limits,
) -> StoreError {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let message = format!("{} (SQLSTATE {code})", redactor.clean(db.message()));
    match code.as_str() {
        "57014" => StoreError::Timeout(format!(
            "{message}: a statement ran past statement_timeout ({:?}); the database is overloaded",
            limits.statement_timeout
        )),
        "55P03" => StoreError::Timeout(format!(
            "{message}: waited past lock_timeout ({:?}) for a row another session holds; retry",
            limits.lock_timeout
        )),
        "42P01" | "42703" | "42883" => StoreError::SchemaDrift(format!(
            "{message}; the database lacks a table, column or function launchdeck needs: run `launchdeck check`"
        )),
        "42501" | "P0001" => StoreError::Refused(message),
        c if c.starts_with("23") => StoreError::Refused(message),
        c if c.starts_with("28") => StoreError::Refused(format!(
            "{message}; check the user name and password in the database URL"
        )),
        "3D000" => StoreError::Refused(format!("{message}; check the database name in the URL")),
        c if c.starts_with("08") || c == "53300" || c.starts_with("57P") => {
            StoreError::Unreachable(message)
        }
        _ => StoreError::Other(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_stripped() {
        let text =
            "cannot reach postgres://app:s3cret@db.example.com:6543/postgres?sslmode=require now";
        let cleaned = strip_url_credentials(text);
        assert_eq!(
            cleaned,
            "cannot reach postgres://***@db.example.com:6543/postgres?sslmode=require now"
        );
    }

    #[test]
    fn text_without_credentials_is_kept() {
        let text = "see https://example.com/a@b and postgres://db:5432/x";
        assert_eq!(strip_url_credentials(text), text);
    }

    #[test]
    fn the_password_is_masked_anywhere() {
        let r = Redactor::new(Some("hunter2-long-secret".into()));
        assert_eq!(
            r.clean("password hunter2-long-secret rejected"),
            "password •••• rejected"
        );
    }

    #[test]
    fn pool_timeout_is_unreachable_and_transient() {
        let limits = Limits {
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
        };
        let e = map_error(sqlx::Error::PoolTimedOut, &Redactor::default(), &limits);
        assert!(matches!(e, StoreError::Unreachable(_)), "{e:?}");
        assert!(e.is_transient());
    }
}
