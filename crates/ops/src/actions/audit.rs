//! The audit trail (product.md Decision 9): one record per row an action touched,
//! written after the action's transaction is over, to the database
//! (`launchdeck.audit_log`) and to `audit.jsonl` in the data dir (mode 0600, one JSON
//! object per line, appended).

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chrono::Utc;
use launchdeck_core::actions::{AuditRecord, AuditResult, AuditTarget, StatusRow};
use launchdeck_store::Store;
use serde_json::json;
use uuid::Uuid;

use super::ActionContext;

/// The file name of the local audit trail in the data dir.
pub const AUDIT_FILE_NAME: &str = "audit.jsonl";

/// launchdeck's version, recorded in every record.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This process's OS user and host, `user@host`: `$USER` (or `$LOGNAME`, else the
/// numeric uid) and the kernel's host name (else `$HOSTNAME`).
pub fn os_actor() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .or_else(|| {
            std::fs::metadata("/proc/self")
                .ok()
                .map(|m| format!("uid {}", m.uid()))
        })
        .unwrap_or_else(|| "unknown user".to_string());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_string());
    format!("{}@{host}", user.trim())
}

/// One audit record of `action` on `target`: `before` as previewed, `after` as the row
/// is now (`None` when it could not be read). Callers put no secret and no unmasked lead
/// number in either.
pub fn record(
    ctx: &ActionContext,
    action: &str,
    target: AuditTarget,
    before: serde_json::Value,
    after: Option<serde_json::Value>,
    result: AuditResult,
) -> AuditRecord {
    AuditRecord {
        id: Uuid::new_v4(),
        at: Utc::now(),
        actor: ctx.actor.clone(),
        action: action.to_string(),
        target,
        before: Some(before),
        after,
        result,
        launchdeck_version: VERSION.to_string(),
    }
}

/// The record of a status change (pause, resume). Status rows carry no lead numbers.
pub fn status_record(
    ctx: &ActionContext,
    action: &str,
    previewed: &StatusRow,
    now: Option<&StatusRow>,
    result: AuditResult,
) -> AuditRecord {
    let values = |row: &StatusRow| json!({"status": row.status, "updated_at": row.updated_at});
    let target = AuditTarget {
        table: previewed.target.table.as_str().to_string(),
        id: previewed.target.id,
        name: previewed.name.clone(),
    };
    record(
        ctx,
        action,
        target,
        values(previewed),
        now.map(values),
        result,
    )
}

/// Writes `records` to the database and to the file; each failure is returned as a
/// line saying which copy is missing and why (the other copy is still written).
pub async fn write(store: &dyn Store, file: &Path, records: &[AuditRecord]) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(e) = store.append_audit(records).await {
        errors.push(format!(
            "the audit record was not written to the database: {e}"
        ));
    }
    if let Err(e) = append_jsonl(file, records) {
        errors.push(format!(
            "the audit record was not written to {}: {e}",
            file.display()
        ));
    }
    errors
}

/// Appends one line per record to `path`, creating it (and its directory, mode 0700)
/// with mode 0600; a file found readable by others is made 0600 first.
pub fn append_jsonl(path: &Path, records: &[AuditRecord]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let metadata = file.metadata()?;
    if metadata.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let mut lines = String::new();
    for record in records {
        lines.push_str(&serde_json::to_string(record).map_err(io::Error::other)?);
        lines.push('\n');
    }
    // One write per batch: appends from two consoles do not interleave within a line.
    file.write_all(lines.as_bytes())?;
    file.sync_data()
}

/// What [`read_jsonl`] found.
#[derive(Debug, Default)]
pub struct JsonlRecords {
    /// Newest first.
    pub records: Vec<AuditRecord>,
    /// Lines that were not a record (e.g. a line cut by a crash), skipped.
    pub unreadable_lines: usize,
}

/// The newest `limit` records of `path`, newest first; no file is no records.
pub fn read_jsonl(path: &Path, limit: usize) -> io::Result<JsonlRecords> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(JsonlRecords::default()),
        Err(e) => return Err(e),
    };
    let mut found = JsonlRecords::default();
    for line in text.lines().rev().filter(|l| !l.trim().is_empty()) {
        if found.records.len() == limit {
            break;
        }
        match serde_json::from_str::<AuditRecord>(line) {
            Ok(record) => found.records.push(record),
            Err(_) => found.unreadable_lines += 1,
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u128) -> AuditRecord {
        AuditRecord {
            id: Uuid::from_u128(n),
            at: Utc::now(),
            actor: "ops@host".into(),
            action: "pause".into(),
            target: AuditTarget {
                table: "campaigns".into(),
                id: Uuid::from_u128(100),
                name: "Renewals".into(),
            },
            before: Some(json!({"status": "active"})),
            after: Some(json!({"status": "paused"})),
            result: AuditResult::Changed,
            launchdeck_version: VERSION.into(),
        }
    }

    #[test]
    fn the_file_is_private_and_appended_one_line_per_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join(AUDIT_FILE_NAME);
        append_jsonl(&path, &[record(1), record(2)]).expect("append");
        append_jsonl(&path, &[record(3)]).expect("append again");
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 3);
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
            assert_eq!(value["action"], "pause");
        }
        let found = read_jsonl(&path, 2).expect("read_jsonl");
        let ids: Vec<u128> = found.records.iter().map(|r| r.id.as_u128()).collect();
        assert_eq!(ids, vec![3, 2], "newest first, at most the limit");
    }

    #[test]
    fn a_loose_file_is_tightened_and_a_broken_line_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(AUDIT_FILE_NAME);
        std::fs::write(&path, "{\"cut\": \n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        append_jsonl(&path, &[record(1)]).expect("append");
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let found = read_jsonl(&path, 10).expect("read_jsonl");
        assert_eq!(found.records.len(), 1);
        assert_eq!(found.unreadable_lines, 1);
        let missing = read_jsonl(&dir.path().join("none.jsonl"), 10).expect("no file");
        assert!(missing.records.is_empty());
    }

    #[test]
    fn the_actor_names_a_user_and_a_host() {
        let actor = os_actor();
        let (user, host) = actor.split_once('@').expect("user@host");
        assert!(!user.is_empty() && !host.is_empty(), "{actor}");
    }
}
