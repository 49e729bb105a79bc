//! `launchdeck check [--broadcast ID] [--campaign ID] [--json] [--strict]`: the
//! readiness report, doctor style.
//!
//! Exit codes (Decision 8): 0 ready, 1 a blocking check did not pass (or, with
//! `--strict`, any check that is not a pass), 2 could not run (bad configuration, the
//! database unreachable).

use chrono::{DateTime, Utc};
use clap::Args;
use launchdeck_core::readiness::{Area, Check, Focus, Report, SCHEMA_VERSION, Status, Summary};
use launchdeck_ops::{GatherOptions, Gatherer};
use serde::Serialize;
use uuid::Uuid;

use super::connect::{ConnectError, open_read_store, runtime};
use super::exit::Exit;
use super::output::{Mark, Painter};
use super::{Context, logging, report_error};

#[derive(Args)]
pub struct CheckArgs {
    /// Check only this broadcast (every other area is still checked in full)
    #[arg(long, value_name = "ID", conflicts_with = "campaign")]
    pub broadcast: Option<Uuid>,
    /// Check only this campaign (every other area is still checked in full)
    #[arg(long, value_name = "ID")]
    pub campaign: Option<Uuid>,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
    /// Exit 1 on any check that is not a pass (warnings and unknowns too)
    #[arg(long)]
    pub strict: bool,
}

impl CheckArgs {
    fn focus(&self) -> Focus {
        match (self.broadcast, self.campaign) {
            (Some(id), _) => Focus::Broadcast(id),
            (None, Some(id)) => Focus::Campaign(id),
            (None, None) => Focus::All,
        }
    }
}

pub fn run(args: CheckArgs, ctx: &Context) -> Exit {
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    // Logs go to the file only; a log file that cannot be opened does not stop a check.
    let _log = logging::init_logging(&loaded, &ctx.global, &ctx.env)
        .map_err(|problem| eprintln!("warning: {problem}; continuing without a log file"))
        .ok();
    let focus = args.focus();
    tracing::info!(?focus, "readiness check started");
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let report = rt.block_on(async {
        let store = open_read_store(&loaded).await?;
        let gatherer = Gatherer::from_loaded(&loaded, store, GatherOptions::default());
        Ok::<_, ConnectError>(gatherer.report(focus).await)
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            tracing::error!(error = %e, "readiness check could not run");
            return report_error(e);
        }
    };
    if let Err(exit) = print_report(&report, &args, &ctx.painter) {
        return exit;
    }
    exit_code(&report, args.strict)
}

/// `check --json`, exactly product.md's shape plus `schema_version` (Decision 8).
#[derive(Serialize)]
struct ReportJson<'a> {
    schema_version: u32,
    ready: bool,
    checks: Vec<CheckJson<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    id: &'a str,
    area: Area,
    status: Status,
    blocking: bool,
    reason: &'a str,
    fix: Option<&'a str>,
    checked_at: DateTime<Utc>,
}

fn report_json(report: &Report) -> ReportJson<'_> {
    ReportJson {
        schema_version: SCHEMA_VERSION,
        ready: report.ready(),
        checks: report
            .checks
            .iter()
            .map(|c| CheckJson {
                id: &c.id,
                area: c.area,
                status: c.status,
                blocking: c.blocking,
                reason: &c.reason,
                fix: c.fix.as_deref(),
                checked_at: c.checked_at,
            })
            .collect(),
        summary: report.summary(),
    }
}

fn print_report(report: &Report, args: &CheckArgs, painter: &Painter) -> Result<(), Exit> {
    if args.json {
        let text = serde_json::to_string_pretty(&report_json(report))
            .map_err(|e| report_error(format!("cannot encode JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render(report, painter, args.strict));
    }
    Ok(())
}

/// 2 when the database could not be read, 1 when not ready (or any issue with
/// `--strict`), else 0.
fn exit_code(report: &Report, strict: bool) -> Exit {
    let summary = report.summary();
    tracing::info!(
        ready = report.ready(),
        pass = summary.pass,
        warn = summary.warn,
        fail = summary.fail,
        unknown = summary.unknown,
        "readiness check finished"
    );
    if let Some(db) = report.get("database.reachable")
        && db.status != Status::Pass
    {
        eprintln!(
            "error: the database could not be read: {}. Fix: {}",
            db.reason,
            db.fix.as_deref().unwrap_or("check the database URL")
        );
        return Exit::CouldNotRun;
    }
    if !report.ready() || (strict && report.has_issues()) {
        Exit::Failures
    } else {
        Exit::Done
    }
}

fn mark(status: Status) -> Mark {
    match status {
        Status::Pass => Mark::Ok,
        Status::Warn => Mark::Warn,
        Status::Fail => Mark::Fail,
        Status::Unknown => Mark::Unknown,
    }
}

/// The worst status of an area: fail, then unknown, then warn.
fn area_status(summary: &Summary) -> Status {
    if summary.fail > 0 {
        Status::Fail
    } else if summary.unknown > 0 {
        Status::Unknown
    } else if summary.warn > 0 {
        Status::Warn
    } else {
        Status::Pass
    }
}

fn counts(summary: &Summary, painter: &Painter) -> String {
    let parts = [
        (summary.pass, Status::Pass),
        (summary.warn, Status::Warn),
        (summary.fail, Status::Fail),
        (summary.unknown, Status::Unknown),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, status)| format!("{n} {}", painter.mark(mark(*status))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The doctor-style text: areas with their counts, one line per check, the fix of
/// each check that is not a pass, and a summary.
fn render(report: &Report, painter: &Painter, strict: bool) -> String {
    let mut out = String::new();
    for area in Area::ALL {
        render_area(&mut out, report, area, painter);
    }
    out.push('\n');
    out.push_str(&summary_lines(report, painter, strict));
    out
}

fn render_area(out: &mut String, report: &Report, area: Area, painter: &Painter) {
    let summary = report.area_summary(area);
    if summary.total() == 0 {
        out.push_str(&format!("  {} (nothing to check)\n", area.display_name()));
        return;
    }
    out.push_str(&format!(
        "{} {} ({})\n",
        painter.mark(mark(area_status(&summary))),
        area.display_name(),
        counts(&summary, painter)
    ));
    for check in report.in_area(area) {
        render_check(out, check, painter);
    }
}

fn render_check(out: &mut String, check: &Check, painter: &Painter) {
    let blocks = if check.blocks_launch() {
        " [blocks launch]"
    } else {
        ""
    };
    out.push_str(&format!(
        "    {} {}{blocks}\n",
        painter.mark(mark(check.status)),
        painter.text(&check.reason)
    ));
    if check.status != Status::Pass
        && let Some(fix) = &check.fix
    {
        out.push_str(&format!("        fix: {}\n", painter.text(fix)));
    }
}

fn summary_lines(report: &Report, painter: &Painter, strict: bool) -> String {
    let summary = report.summary();
    let areas_with_issues = Area::ALL
        .iter()
        .filter(|area| report.in_area(**area).any(|c| c.status != Status::Pass))
        .count();
    if areas_with_issues == 0 {
        let total = summary.total();
        let noun = if total == 1 { "check" } else { "checks" };
        return format!(
            "{} No issues found ({total} {noun}): ready to launch.\n",
            painter.mark(Mark::Ok)
        );
    }
    let blockers = report.blockers().count();
    let mut text = format!(
        "{} launchdeck check found issues in {areas_with_issues} of {} areas ({}).\n",
        painter.mark(if blockers > 0 { Mark::Fail } else { Mark::Warn }),
        Area::ALL.len(),
        counts(&summary, painter)
    );
    if blockers > 0 {
        let noun = if blockers == 1 { "check" } else { "checks" };
        text.push_str(&format!(
            "Not ready to launch: {blockers} blocking {noun} did not pass.\n"
        ));
    } else if strict {
        text.push_str("Ready to launch, but --strict counts every issue as a failure.\n");
    } else {
        text.push_str("Ready to launch (warnings and non-blocking checks do not block).\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn check(area: Area, id: &str, status: Status, blocking: bool) -> Check {
        Check::new(area, id, status, format!("{id} reason"), Utc::now())
            .blocking(blocking)
            .with_fix(format!("{id} fix"))
    }

    fn ascii() -> Painter {
        Painter {
            color: false,
            unicode: false,
        }
    }

    #[test]
    fn text_groups_by_area_with_counts_fixes_and_a_summary() {
        let report = Report::new(vec![
            check(Area::Retell, "retell.api_key", Status::Pass, true),
            check(
                Area::Retell,
                "retell.number_outbound_agent:+1",
                Status::Fail,
                true,
            ),
            check(Area::Calendar, "calendar.token:x", Status::Warn, false),
        ]);
        let text = render(&report, &ascii(), false);
        assert!(text.contains("[XX] Retell (1 [ok], 1 [XX])"), "{text}");
        assert!(text.contains("    [ok] retell.api_key reason\n"), "{text}");
        assert!(
            !text.contains("retell.api_key fix"),
            "passes show no fix:\n{text}"
        );
        assert!(
            text.contains(
                "    [XX] retell.number_outbound_agent:+1 reason [blocks launch]\n        fix: retell.number_outbound_agent:+1 fix"
            ),
            "{text}"
        );
        assert!(text.contains("[!!] Calendar (1 [!!])"), "{text}");
        assert!(text.contains("  Environment (nothing to check)"), "{text}");
        assert!(text.contains("found issues in 2 of 10 areas"), "{text}");
        assert!(text.contains("Not ready to launch: 1 blocking check did not pass."));
    }

    #[test]
    fn exit_codes_follow_readiness_and_strict() {
        let db = check(Area::Database, "database.reachable", Status::Pass, true);
        let ready = Report::new(vec![db.clone()]);
        assert_eq!(exit_code(&ready, false), Exit::Done);
        assert_eq!(exit_code(&ready, true), Exit::Done);

        let warned = Report::new(vec![
            db.clone(),
            check(Area::Numbers, "numbers.daily_cap", Status::Warn, false),
        ]);
        assert_eq!(exit_code(&warned, false), Exit::Done);
        assert_eq!(exit_code(&warned, true), Exit::Failures);

        let blocked = Report::new(vec![
            db,
            check(Area::Retell, "retell.agents", Status::Unknown, true),
        ]);
        assert_eq!(exit_code(&blocked, false), Exit::Failures);

        let no_db = Report::new(vec![check(
            Area::Database,
            "database.reachable",
            Status::Fail,
            true,
        )]);
        assert_eq!(exit_code(&no_db, false), Exit::CouldNotRun);
    }

    #[test]
    fn a_clean_report_says_ready() {
        let report = Report::new(vec![check(
            Area::Database,
            "database.reachable",
            Status::Pass,
            true,
        )]);
        let text = render(&report, &ascii(), false);
        assert!(text.contains("[ok] No issues found (1 check): ready to launch."));
    }
}
