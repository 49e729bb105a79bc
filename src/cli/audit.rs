//! `launchdeck audit [--json] [--limit N]`: the action audit trail, newest first, from
//! the database (`launchdeck.audit_log`), or from the local `audit.jsonl` when the
//! database cannot be read.

use clap::Args;
use launchdeck_core::actions::AuditRecord;
use launchdeck_core::config::LoadedConfig;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_ops::actions::audit::{AUDIT_FILE_NAME, read_jsonl};
use serde::Serialize;

use super::connect::{ConnectError, open_store, runtime};
use super::exit::Exit;
use super::{Context, report_error};

#[derive(Args)]
pub struct AuditArgs {
    /// How many of the newest records to show
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct AuditReport {
    schema_version: u32,
    /// `database` or `file`.
    source: &'static str,
    records: Vec<AuditRecord>,
}

pub fn run(args: AuditArgs, ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    let report = match from_database(&loaded, args.limit) {
        Ok(records) => AuditReport {
            schema_version: 1,
            source: "database",
            records,
        },
        Err(db_error) => match from_file(&loaded, args.limit, &db_error) {
            Ok(report) => report,
            Err(e) => return report_error(e),
        },
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    } else {
        print_table(&report);
    }
    Exit::Done
}

/// Reads only: never creates launchdeck's tables.
fn from_database(loaded: &LoadedConfig, limit: u32) -> Result<Vec<AuditRecord>, String> {
    let rt = runtime().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let store = open_store(loaded).await?;
        Ok::<_, ConnectError>(store.audit_records(limit).await?)
    })
    .map_err(|e| e.to_string())
}

fn from_file(loaded: &LoadedConfig, limit: u32, db_error: &str) -> Result<AuditReport, String> {
    let data_dir = loaded
        .data_dir()
        .map_err(|e| format!("{db_error}; and no local audit file either: {e}"))?;
    let path = data_dir.join(AUDIT_FILE_NAME);
    let found = read_jsonl(&path, usize::try_from(limit).unwrap_or(usize::MAX))
        .map_err(|e| format!("{db_error}; and {} cannot be read: {e}", path.display()))?;
    eprintln!(
        "note: the database's audit log could not be read ({db_error}); showing the local \
         copy {}",
        path.display()
    );
    if found.unreadable_lines > 0 {
        eprintln!(
            "note: {} line(s) of {} are not audit records and were skipped",
            found.unreadable_lines,
            path.display()
        );
    }
    Ok(AuditReport {
        schema_version: 1,
        source: "file",
        records: found.records,
    })
}

fn print_table(report: &AuditReport) {
    if report.records.is_empty() {
        println!("No actions recorded yet.");
        return;
    }
    println!(
        "{:<20} {:<24} {:<8} {:<34} RESULT",
        "AT (UTC)", "WHO", "ACTION", "TARGET"
    );
    for r in &report.records {
        let target = format!(
            "{} \"{}\"",
            r.target.table,
            sanitize_provider_text(&r.target.name)
        );
        println!(
            "{:<20} {:<24} {:<8} {:<34} {}",
            r.at.format("%Y-%m-%d %H:%M:%S"),
            sanitize_provider_text(&r.actor),
            sanitize_provider_text(&r.action),
            target,
            sanitize_provider_text(&r.result.to_string())
        );
    }
}
