//! `launchdeck calls [--stuck] [--json]`: a snapshot of calls in flight.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use launchdeck_core::domain::{InFlightCall, InFlightSnapshot};
use launchdeck_core::redact::{mask_phone, sanitize_provider_text};
use launchdeck_core::stuck::{self, StuckThresholds, Stuckness};
use serde::Serialize;
use uuid::Uuid;

use super::connect::{ConnectError, open_read_store, runtime, scope};
use super::exit::Exit;
use super::output::Mark;
use super::{Context, report_error};

#[derive(Args)]
pub struct CallsArgs {
    /// Only calls the stuck rules flag (thresholds from [thresholds])
    #[arg(long)]
    pub stuck: bool,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

/// One row of the report: what the text table and the JSON both show.
#[derive(Debug, Serialize)]
struct CallRow {
    source: &'static str,
    id: Uuid,
    state: String,
    age_seconds: u64,
    stuck: bool,
    /// "ask_provider" when the row is older than the longest call and has a provider id.
    stuck_rule: Stuckness,
    redial_hold: bool,
    /// Masked to the last 4 digits.
    phone: String,
    provider_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broadcast_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign_id: Option<Uuid>,
    #[serde(skip)]
    parent_name: Option<String>,
}

#[derive(Debug, Serialize)]
struct CallsReport {
    schema_version: u32,
    db_now: DateTime<Utc>,
    calls: Vec<CallRow>,
    stuck_claims: usize,
    manual_required_jobs: i64,
}

pub fn run(args: CallsArgs, ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    let thresholds = StuckThresholds::from(&loaded.config.thresholds);
    let scope = scope(&loaded.config);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let snapshot = rt.block_on(async {
        let store = open_read_store(&loaded).await?;
        Ok::<_, ConnectError>(store.calls_in_flight(&scope).await?)
    });
    let snapshot = match snapshot {
        Ok(s) => s,
        Err(e) => return report_error(e),
    };
    let report = build_report(&snapshot, &thresholds, args.stuck);
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    } else {
        print_table(&report, ctx);
    }
    Exit::Done
}

fn build_report(snap: &InFlightSnapshot, t: &StuckThresholds, only_stuck: bool) -> CallsReport {
    let mut classified: Vec<(&InFlightCall, Stuckness)> = snap
        .calls
        .iter()
        .map(|c| (c, stuck::classify(c, snap.db_now, t)))
        .filter(|(_, rule)| !only_stuck || rule.is_flagged())
        .collect();
    classified.sort_by_key(|(c, rule)| stuck::in_flight_order(c, *rule));
    let calls = classified
        .into_iter()
        .map(|(c, rule)| row(c, rule, snap.db_now))
        .collect();
    CallsReport {
        schema_version: 1,
        db_now: snap.db_now,
        calls,
        stuck_claims: snap
            .open_claims
            .iter()
            .filter(|c| stuck::claim_is_stuck(c, snap.db_now, t))
            .count(),
        manual_required_jobs: snap.manual_required_jobs,
    }
}

fn row(c: &InFlightCall, rule: Stuckness, db_now: DateTime<Utc>) -> CallRow {
    CallRow {
        source: c.source.as_str(),
        id: c.id,
        state: sanitize_provider_text(&c.state),
        age_seconds: stuck::age(c.since, db_now).as_secs(),
        stuck: rule.is_flagged(),
        stuck_rule: rule,
        redial_hold: c.redial_hold,
        phone: mask_phone(&c.phone),
        provider_call_id: c.provider_call_id.as_deref().map(sanitize_provider_text),
        broadcast_id: c.broadcast_id,
        campaign_id: c.campaign_id,
        parent_name: c.parent_name.as_deref().map(sanitize_provider_text),
    }
}

fn print_table(report: &CallsReport, ctx: &Context) {
    let stuck = report.calls.iter().filter(|c| c.stuck).count();
    println!(
        "{} calls in flight, {} stuck, {} stuck dispatch claims, {} reconciliation jobs need a person",
        report.calls.len(),
        stuck,
        report.stuck_claims,
        report.manual_required_jobs
    );
    if report.calls.is_empty() {
        return;
    }
    println!(
        "{:<4} {:<15} {:<8} {:>8}  {:<9} {:<24} {:<20} ID",
        "", "SOURCE", "STATE", "AGE", "NUMBER", "BROADCAST/CAMPAIGN", "PROVIDER ID"
    );
    for c in &report.calls {
        let mark = match (c.stuck_rule, c.redial_hold) {
            (_, true) => "hold".to_string(),
            (Stuckness::Stuck, _) => ctx.painter.mark(Mark::Fail),
            (Stuckness::AskProvider, _) => ctx.painter.mark(Mark::Unknown),
            (Stuckness::Live, _) => String::new(),
        };
        println!(
            "{:<4} {:<15} {:<8} {:>8}  {:<9} {:<24} {:<20} {}",
            mark,
            c.source,
            truncate(&c.state, 8),
            stuck::format_age(Duration::from_secs(c.age_seconds)),
            c.phone,
            truncate(c.parent_name.as_deref().unwrap_or("-"), 24),
            truncate(c.provider_call_id.as_deref().unwrap_or("-"), 20),
            c.id
        );
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
