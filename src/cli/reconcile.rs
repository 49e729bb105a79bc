//! `launchdeck reconcile [--json]`: the calls in flight against what Retell and Twilio
//! say (issue #12). Exit 0 when everything agrees, 1 with ghosts, orphans or impossible
//! ages, 2 when it could not run.

use chrono::{DateTime, Utc};
use clap::Args;
use launchdeck_core::domain::CallSource;
use launchdeck_core::reconcile::{Ghost, ImpossibleAge, Orphan, Reconciliation, Unchecked};
use launchdeck_core::redact::{mask_phone, sanitize_provider_text};
use launchdeck_core::stuck::format_age;
use launchdeck_ops::{ConcurrencyGauge, GatherOptions, Gatherer, ReconcileReport};
use serde::Serialize;

use super::connect::{ConnectError, open_read_store, runtime};
use super::exit::Exit;
use super::output::Mark;
use super::{Context, logging, report_error};

#[derive(Args)]
pub struct ReconcileArgs {
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ReportJson<'a> {
    schema_version: u32,
    db_now: DateTime<Utc>,
    concurrency: ConcurrencyJson,
    db_in_flight: usize,
    provider_ongoing: usize,
    agreeing: usize,
    ghosts: &'a [Ghost],
    /// False under a tenant scope: no orphan is reported then.
    orphans_checked: bool,
    orphans: Vec<OrphanJson<'a>>,
    impossible_age: &'a [ImpossibleAge],
    unchecked: &'a [Unchecked],
}

#[derive(Serialize)]
struct ConcurrencyJson {
    current: Option<i64>,
    limit: Option<i64>,
    reserved_inbound: Option<i64>,
}

/// An orphan with both numbers masked (an orphan's lead may be either end).
#[derive(Serialize)]
struct OrphanJson<'a> {
    provider_call_id: &'a str,
    from: Option<String>,
    to: Option<String>,
    age_seconds: Option<u64>,
    agent_id: Option<&'a str>,
}

pub fn run(args: ReconcileArgs, ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    let _log = logging::init_logging(&loaded, &ctx.global, &ctx.env)
        .map_err(|problem| eprintln!("warning: {problem}; continuing without a log file"))
        .ok();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let report = rt.block_on(async {
        let store = open_read_store(&loaded).await?;
        let gatherer = Gatherer::from_loaded(&loaded, store, GatherOptions::default());
        Ok::<_, ConnectError>(gatherer.reconcile().await)
    });
    let report = match report {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return report_error(format!("cannot reconcile: {e}")),
        Err(e) => return report_error(e),
    };
    if args.json {
        match serde_json::to_string_pretty(&report_json(&report)) {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    } else {
        print_text(&report, ctx);
    }
    if report.outcome.all_agree() {
        Exit::Done
    } else {
        Exit::Failures
    }
}

fn report_json(report: &ReconcileReport) -> ReportJson<'_> {
    let out = &report.outcome;
    ReportJson {
        schema_version: 1,
        db_now: report.db_now,
        concurrency: concurrency_json(report.concurrency),
        db_in_flight: out.db_in_flight,
        provider_ongoing: out.provider_ongoing,
        agreeing: out.agreeing,
        ghosts: &out.ghosts,
        orphans_checked: report.orphans_checked,
        orphans: out.orphans.iter().map(orphan_json).collect(),
        impossible_age: &out.impossible_age,
        unchecked: &out.unchecked,
    }
}

fn concurrency_json(gauge: ConcurrencyGauge) -> ConcurrencyJson {
    ConcurrencyJson {
        current: gauge.current,
        limit: gauge.limit,
        reserved_inbound: gauge.reserved_inbound,
    }
}

fn orphan_json(orphan: &Orphan) -> OrphanJson<'_> {
    OrphanJson {
        provider_call_id: &orphan.provider_call_id,
        from: orphan.from.as_deref().map(mask_phone),
        to: orphan.to.as_deref().map(mask_phone),
        age_seconds: orphan.age_seconds,
        agent_id: orphan.agent_id.as_deref(),
    }
}

fn print_text(report: &ReconcileReport, ctx: &Context) {
    let out = &report.outcome;
    let figure = |n: Option<i64>| n.map_or("?".to_string(), |n| n.to_string());
    let c = report.concurrency;
    println!(
        "Retell concurrency {} of {} ({} reserved inbound); {} calls in flight with a provider id, \
         {} ongoing at Retell",
        figure(c.current),
        figure(c.limit),
        figure(c.reserved_inbound),
        out.db_in_flight,
        out.provider_ongoing
    );
    println!("{}", summary(out));
    if !report.orphans_checked {
        println!("orphans not checked: scoped to one tenant (Retell lists the whole workspace)");
    }
    let fail = ctx.painter.mark(Mark::Fail);
    for g in &out.ghosts {
        let ended = g.ended_at.map_or("?".to_string(), |t| t.to_rfc3339());
        let reason = g.reason.as_deref().unwrap_or("-");
        println!(
            "{fail} ghost     {:<15} {} {}: provider says {} (ended {ended}, {reason})",
            source(g.source),
            g.id,
            g.provider_call_id,
            g.provider_status
        );
    }
    for o in &out.orphans {
        let age = o.age_seconds.map_or("?".to_string(), age_text);
        println!(
            "{fail} orphan    {} {} to {} for {age}, agent {}: no row knows it",
            o.provider_call_id,
            o.from.as_deref().map_or("?".to_string(), mask_phone),
            o.to.as_deref().map_or("?".to_string(), mask_phone),
            o.agent_id.as_deref().unwrap_or("?")
        );
    }
    for i in &out.impossible_age {
        println!(
            "{fail} too old   {:<15} {} {}: in flight for {} (provider: {})",
            source(i.source),
            i.id,
            i.provider_call_id,
            age_text(i.age_seconds),
            i.provider_status.as_deref().unwrap_or("not asked")
        );
    }
    let warn = ctx.painter.mark(Mark::Warn);
    for u in &out.unchecked {
        println!(
            "{warn} unchecked {:<15} {} {}: {}",
            source(u.source),
            u.id,
            u.provider_call_id,
            sanitize_provider_text(&u.why)
        );
    }
}

fn summary(out: &Reconciliation) -> String {
    format!(
        "{} agree, {} ghosts, {} orphans, {} impossible ages, {} unchecked",
        out.agreeing,
        out.ghosts.len(),
        out.orphans.len(),
        out.impossible_age.len(),
        out.unchecked.len()
    )
}

fn source(source: CallSource) -> &'static str {
    source.as_str()
}

fn age_text(seconds: u64) -> String {
    format_age(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphans_show_masked_numbers() {
        let orphan = Orphan {
            provider_call_id: "call_1".into(),
            from: Some("+14155550123".into()),
            to: Some("+14155550199".into()),
            age_seconds: Some(5),
            agent_id: None,
        };
        let json = serde_json::to_value(orphan_json(&orphan)).expect("json");
        assert_eq!(json["to"], mask_phone("+14155550199"));
        assert!(!json.to_string().contains("5550199"), "{json}");
        assert!(!json.to_string().contains("5550123"), "{json}");
    }
}
