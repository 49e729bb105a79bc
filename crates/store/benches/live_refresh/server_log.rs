//! The PostgreSQL server log, read over SQL (`pg_read_binary_file`, superuser), and
//! the two kinds of entries the bench asks the server to write:
//! `log_min_duration_statement = 0` ("duration: 0.123 ms  execute s1: SELECT …") and
//! auto_explain ("duration: 0.123 ms  plan:\nQuery Text: …").
//!
//! Work is attributed to a store call by markers: before each call the bench runs
//! `SELECT 'ld-bench-mark:LABEL'` on its own connection, and every entry after a
//! marker (up to the next one) belongs to that label. A statement's entry is written
//! before the server tells the client the statement is done, so the order holds.

use sqlx::{AssertSqlSafe, PgConnection};

/// Where the log is, when neither the environment nor the server says: scripts/test
/// starts the server with `pg_ctl -l <work dir>/postgres.log`, next to the data directory.
const SCRIPTS_TEST_LOG: &str = "/../postgres.log";
/// Overrides the log's path (as the server sees it).
pub const LOG_ENV: &str = "LAUNCHDECK_BENCH_PG_LOG";
const MARK: &str = "ld-bench-mark:";

/// The server's log file.
pub struct ServerLog {
    path: String,
}

/// What one logged statement phase was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A simple-protocol statement (BEGIN, COMMIT, the naive refresh's queries).
    Simple,
    Parse,
    Bind,
    Execute,
    /// An auto_explain plan: `text` is "Query Text: …" followed by the plan.
    Plan,
}

/// One "duration: …" entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub ms: f64,
    pub kind: Kind,
    /// The statement's SQL as sent (or auto_explain's query text and plan).
    pub text: String,
}

/// The entries that followed one marker.
pub struct Section {
    pub label: String,
    pub entries: Vec<Entry>,
}

/// The statement that writes a marker into the log.
pub fn marker_sql(label: &str) -> String {
    format!("SELECT '{MARK}{label}'")
}

pub async fn mark(conn: &mut PgConnection, label: &str) -> Result<(), String> {
    sqlx::raw_sql(AssertSqlSafe(marker_sql(label)))
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| format!("writing the log marker {label} failed: {e}"))
}

impl ServerLog {
    /// Finds the log: `$LAUNCHDECK_BENCH_PG_LOG`, the logging collector's current file,
    /// or scripts/test's `postgres.log` beside the data directory.
    pub async fn locate(conn: &mut PgConnection) -> Result<ServerLog, String> {
        let mut candidates = Vec::new();
        if let Ok(path) = std::env::var(LOG_ENV) {
            candidates.push(path);
        }
        let (collector, data_dir): (Option<String>, String) = sqlx::query_as(
            "SELECT pg_current_logfile('stderr'), current_setting('data_directory')",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| format!("asking the server where its log is failed: {e}"))?;
        if let Some(file) = collector {
            candidates.push(if file.starts_with('/') {
                file
            } else {
                format!("{data_dir}/{file}")
            });
        }
        candidates.push(format!("{data_dir}{SCRIPTS_TEST_LOG}"));
        for path in &candidates {
            let log = ServerLog { path: path.clone() };
            if log.size(conn).await.is_ok() {
                return Ok(log);
            }
        }
        Err(format!(
            "the server's log was not found (tried {}); set {LOG_ENV} to its path, or run scripts/bench-refresh",
            candidates.join(", ")
        ))
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The log's size in bytes now.
    pub async fn size(&self, conn: &mut PgConnection) -> Result<i64, String> {
        let size: Option<i64> = sqlx::query_scalar("SELECT (pg_stat_file($1, true)).size")
            .bind(&self.path)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                format!(
                    "reading the size of the server log {} failed: {e}",
                    self.path
                )
            })?;
        size.ok_or_else(|| format!("the server log {} does not exist", self.path))
    }

    /// The log's bytes from `from` to its current end.
    pub async fn read_from(&self, conn: &mut PgConnection, from: i64) -> Result<String, String> {
        let end = self.size(conn).await?;
        let bytes: Vec<u8> = sqlx::query_scalar("SELECT pg_read_binary_file($1, $2, $3)")
            .bind(&self.path)
            .bind(from)
            .bind((end - from).max(0))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| format!("reading the server log {} failed: {e}", self.path))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Splits the log text into sections, one per marker; entries before the first
/// marker are dropped.
pub fn sections(log: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for message in messages(log) {
        let Some(entry) = duration_entry(&message) else {
            continue;
        };
        if let Some(label) = marker_label(&entry.text) {
            out.push(Section {
                label,
                entries: Vec::new(),
            });
        } else if let Some(section) = out.last_mut() {
            section.entries.push(entry);
        }
    }
    out
}

/// The text of each LOG message (its first line without the line prefix, then its
/// continuation lines). Other levels (DETAIL, ERROR, …) are skipped.
fn messages(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        match split_prefix(line) {
            Some((level, message)) => {
                out.extend(current.take());
                if level == "LOG" {
                    current = Some(message.to_owned());
                }
            }
            None => {
                if let Some(text) = current.as_mut() {
                    text.push('\n');
                    text.push_str(line);
                }
            }
        }
    }
    out.extend(current);
    out
}

/// With the default `log_line_prefix` ('%m [%p] '): "2026-11-24 05:44:32.736 UTC
/// [31234] LOG:  message" → ("LOG", "message").
fn split_prefix(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let dated = bytes.len() > 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b' '
        && bytes[13] == b':';
    if !dated {
        return None;
    }
    let after_pid = line.find("] ")? + 2;
    let rest = &line[after_pid..];
    let (level, message) = rest.split_once(":  ")?;
    level
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .then_some((level, message))
}

/// "duration: 0.123 ms  execute s1: SELECT …" → an entry.
fn duration_entry(message: &str) -> Option<Entry> {
    let rest = message.strip_prefix("duration: ")?;
    let (ms, rest) = rest.split_once(" ms")?;
    let ms: f64 = ms.trim().parse().ok()?;
    let rest = rest.trim_start();
    let (kind, text) = if let Some(plan) = rest.strip_prefix("plan:") {
        (Kind::Plan, plan.trim_start_matches('\n'))
    } else if let Some(sql) = rest.strip_prefix("statement: ") {
        (Kind::Simple, sql)
    } else {
        let (head, sql) = rest.split_once(": ")?;
        let kind = match head.split_whitespace().next()? {
            "parse" => Kind::Parse,
            "bind" => Kind::Bind,
            "execute" => Kind::Execute,
            _ => return None,
        };
        (kind, sql)
    };
    Some(Entry {
        ms,
        kind,
        text: text.to_owned(),
    })
}

fn marker_label(text: &str) -> Option<String> {
    let start = text.find(MARK)? + MARK.len();
    let label = &text[start..];
    Some(label[..label.find('\'')?].to_owned())
}

/// The SQL with its whitespace collapsed: the same statement from any connection.
pub fn statement_key(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}
