//! The test broadcast plan's wording: the summary (or the refusal, naming the number,
//! the blocking checks, or what to fix) and the detail lines of the modal and `--dry-run`.

use launchdeck_core::readiness::{Check, Status};
use launchdeck_core::test_broadcast::{TestKind, masked, test_broadcast_name};

use super::{Refusal, TestBroadcastPlan};

fn masked_list(numbers: &[String]) -> String {
    numbers
        .iter()
        .map(|n| masked(n))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn summary(plan: &TestBroadcastPlan) -> String {
    if let Some(refusal) = &plan.refusal {
        return refusal_text(plan, refusal);
    }
    let n = plan.destinations.len();
    let calls = if n == 1 { "call" } else { "calls" };
    let via = plan
        .kind
        .map(|k| format!(" via {}", k.provider().title()))
        .unwrap_or_default();
    let from = plan
        .caller
        .as_deref()
        .map(|c| format!(" from {}", c.number.number))
        .unwrap_or_default();
    let overridden = if plan.overridden {
        format!(
            " (readiness overridden: {} blocking check{} fail)",
            plan.blocking.len(),
            if plan.blocking.len() == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    format!(
        "place {n} test {calls} to {}{from}{via}{overridden}",
        masked_list(&plan.destinations)
    )
}

fn refusal_text(plan: &TestBroadcastPlan, refusal: &Refusal) -> String {
    let label = plan
        .target
        .as_deref()
        .map(|t| t.label())
        .unwrap_or_else(|| "the target".to_string());
    match refusal {
        Refusal::Destinations(why) => format!("refused, nothing was sent: {why}"),
        Refusal::UnknownTarget(target) => format!("no {target}"),
        Refusal::OutOfScope => {
            format!("{label} belongs to another tenant: outside the --user/--org scope")
        }
        Refusal::NoAudio => format!(
            "{label} has no audio_url: an audio test plays the broadcast's audio; generate or \
             upload its audio first"
        ),
        Refusal::AgentRequired => format!(
            "{label} is an AI broadcast: choose the Retell agent that takes the test calls \
             with --agent ID"
        ),
        Refusal::NoCampaignAgent => {
            format!("{label} has no agent_id: set the campaign's Retell agent first")
        }
        Refusal::NoCaller(none) => format!("{label}: {none}"),
        Refusal::ReadinessBlocked(ids) => format!(
            "readiness blocks the test: {} blocking check{} not passing ({}); fix {}, or \
             override explicitly (--override-readiness; o in the console)",
            ids.len(),
            if ids.len() == 1 { " is" } else { "s are" },
            ids.join(", "),
            if ids.len() == 1 { "it" } else { "them" },
        ),
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
        Status::Unknown => "unknown",
    }
}

fn check_line(check: &Check) -> String {
    let blocking = if check.blocking { " [B]" } else { "" };
    format!(
        "  {}{blocking} {}: {}",
        mark(check.status),
        check.id,
        check.reason
    )
}

pub(super) fn details(plan: &TestBroadcastPlan) -> Vec<String> {
    let mut lines = Vec::new();
    if matches!(plan.refusal, Some(Refusal::Destinations(_))) {
        return lines;
    }
    let Some(target) = plan.target.as_deref() else {
        return lines;
    };
    lines.push(format!(
        "target: {} ({}), status {}",
        target.label(),
        target.id,
        target.status
    ));
    if let Some(kind) = plan.kind {
        lines.push(format!("kind: {}", kind.describe()));
    }
    if let Some(caller) = plan.caller.as_deref() {
        let why = if caller.preferred {
            "the broadcast's caller_id"
        } else {
            "least-used qualifying number"
        };
        lines.push(format!("caller: {} ({why})", caller.number.number));
    }
    if let Some(agent) = &plan.agent {
        lines.push(format!("agent: {agent}"));
    }
    if !plan.destinations.is_empty() {
        lines.push(format!("to: {}", masked_list(&plan.destinations)));
    }
    match plan.kind {
        Some(TestKind::Audio) => lines.push(format!(
            "rows: broadcast_queue rows in the draft broadcast \"{}\" (created once, a copy \
             of the message, audio and DTMF settings); the real broadcast's queue and \
             counters do not move",
            test_broadcast_name(&target.name)
        )),
        Some(_) => lines.push(format!(
            "rows: call_logs with campaign_id NULL and a note naming {}; the real figures \
             do not count them",
            target.label()
        )),
        None => {}
    }
    if plan.refusal.is_none() {
        lines.push(
            "at most one call per second; a create is never re-sent: an unknown acceptance \
             is reconciled (2 min), never redialled"
                .to_string(),
        );
    }
    if !plan.readiness.is_empty() {
        let count = |s: Status| plan.readiness.iter().filter(|c| c.status == s).count();
        lines.push(format!(
            "readiness ({} checks): {} pass, {} warn, {} fail, {} unknown",
            plan.readiness.len(),
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Unknown)
        ));
        for check in plan
            .readiness
            .iter()
            .filter(|c| plan.blocking.contains(&c.id))
        {
            lines.push(check_line(check));
        }
        for check in plan
            .readiness
            .iter()
            .filter(|c| !plan.blocking.contains(&c.id) && c.status != Status::Pass)
        {
            lines.push(check_line(check));
        }
        if plan.overridden {
            lines.push(format!(
                "readiness overridden: {} blocking check{} not passing ({})",
                plan.blocking.len(),
                if plan.blocking.len() == 1 { "" } else { "s" },
                plan.blocking.join(", ")
            ));
        } else if plan.blocking.is_empty() {
            lines.push("readiness: no blocking failure".to_string());
        }
    }
    lines
}
