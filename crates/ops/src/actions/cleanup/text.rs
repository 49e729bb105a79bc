//! The cleanup's words: plan summary and details, row names, audit values. Lead
//! numbers are masked and provider text sanitised everywhere here.

use std::collections::BTreeMap;

use launchdeck_core::cleanup::{CleanupWrite, EndedAt, LeftAlone, Verdict};
use launchdeck_core::domain::{CallSource, InFlightCall};
use launchdeck_core::redact::{mask_phone, sanitize_provider_text};
use launchdeck_core::stuck::{age, format_age};
use serde_json::{Map, Value, json};

use super::{CleanupPlan, PlannedRow};

const SOURCES: [CallSource; 3] = [
    CallSource::BroadcastQueue,
    CallSource::CallLogs,
    CallSource::DialingQueues,
];

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn count(plan: &CleanupPlan, pick: impl Fn(&PlannedRow) -> bool) -> usize {
    plan.rows.iter().filter(|r| pick(r)).count()
}

fn left_alone(row: &PlannedRow, which: fn(&LeftAlone) -> bool) -> bool {
    matches!(&row.verdict, Verdict::LeaveAlone(why) if which(why))
}

/// One line: what will change, or why nothing will.
pub(super) fn summary(plan: &CleanupPlan) -> String {
    let writes = plan.writes().count();
    let live = plan.live_calls().count();
    let alone = plan.rows.len() - writes;
    let mut parts = Vec::new();
    if writes > 0 {
        let per_source: Vec<String> = SOURCES
            .iter()
            .filter_map(|s| {
                let n = plan.writes().filter(|w| w.source == *s).count();
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        parts.push(format!(
            "clean up {}: {}",
            plural(writes, "stuck call", "stuck calls"),
            per_source.join(", ")
        ));
    }
    if plan.hang_up && live > 0 {
        parts.push(format!(
            "hang up {}",
            plural(live, "live call", "live calls")
        ));
    }
    if parts.is_empty() {
        parts.push("no stuck calls to clean up".to_string());
    }
    let alone = alone - if plan.hang_up { live } else { 0 };
    if alone > 0 {
        parts.push(format!("{} left alone", plural(alone, "row", "rows")));
    }
    parts.join("; ")
}

/// Counts per source and per outcome, the rows left alone, then one line per row.
pub(super) fn details(plan: &CleanupPlan) -> Vec<String> {
    let mut lines = Vec::new();
    for source in SOURCES {
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for w in plan.writes().filter(|w| w.source == source) {
            *by_status.entry(w.new_status.as_str()).or_default() += 1;
        }
        if !by_status.is_empty() {
            let counts: Vec<String> = by_status
                .iter()
                .map(|(status, n)| format!("{n} → {status}"))
                .collect();
            lines.push(format!("{}: {}", source.as_str(), counts.join(", ")));
        }
    }
    let held = count(plan, |r| {
        left_alone(r, |w| matches!(w, LeftAlone::RedialHold))
    });
    if held > 0 {
        lines.push(format!(
            "under a redial hold (left to the platform's reconciler): {held}"
        ));
    }
    let live = plan.live_calls().count();
    if live > 0 {
        let what = if plan.hang_up {
            "hung up, the rows left for a later cleanup"
        } else {
            "left alone; choose hang-up to end them"
        };
        lines.push(format!(
            "long calls still live at the provider ({what}): {live}"
        ));
    }
    let unasked = count(plan, |r| {
        left_alone(r, |w| matches!(w, LeftAlone::CouldNotAsk(_)))
    });
    if unasked > 0 {
        lines.push(format!(
            "provider could not be asked (left alone): {unasked}"
        ));
    }
    if !plan.not_stuck.is_empty() {
        lines.push(format!(
            "marked but not stuck now: {}",
            plan.not_stuck.len()
        ));
    }
    lines.extend(plan.rows.iter().map(|row| row_line(plan, row)));
    lines
}

fn row_line(plan: &CleanupPlan, row: &PlannedRow) -> String {
    let call = &row.call;
    let age = format_age(age(call.since, plan.db_now));
    let what = match &row.verdict {
        Verdict::Write(w) => match why(w) {
            Some(why) => format!("{}: {}", w.new_status, sanitize_provider_text(why)),
            None => w.new_status.clone(),
        },
        Verdict::LeaveAlone(LeftAlone::RedialHold) => "left alone: redial hold".to_string(),
        Verdict::LeaveAlone(LeftAlone::StillLive {
            provider,
            provider_status,
            ..
        }) => format!(
            "{}: {} says the call is still {}",
            if plan.hang_up {
                "hang up"
            } else {
                "left alone"
            },
            provider.name(),
            sanitize_provider_text(provider_status)
        ),
        Verdict::LeaveAlone(LeftAlone::CouldNotAsk(why)) => {
            format!("left alone: {}", sanitize_provider_text(why))
        }
    };
    format!(
        "{} {}: {} for {age} → {what}",
        call.source.as_str(),
        row_name(call),
        sanitize_provider_text(&call.state)
    )
}

/// The reason a write records, if it records one.
fn why(w: &CleanupWrite) -> Option<&str> {
    w.error_message.as_deref().or(w.note.as_deref())
}

/// A row as the operator knows it: the lead's masked number and the broadcast or
/// campaign it belongs to.
pub(in crate::actions) fn row_name(call: &InFlightCall) -> String {
    let phone = mask_phone(&call.phone);
    match call.parent_name.as_deref().map(sanitize_provider_text) {
        Some(parent) if !parent.is_empty() => format!("{phone} {parent}"),
        _ => phone,
    }
}

/// The row as previewed, for the audit's `before`.
pub(in crate::actions) fn previewed(call: &InFlightCall) -> Value {
    json!({
        "status": call.state,
        "since": call.since,
        "phone": mask_phone(&call.phone),
        "provider_call_id": call.provider_call_id,
        "attempts": call.attempts,
        "max_attempts": call.max_attempts,
    })
}

/// The values a changed row now holds, for the audit's `after`.
pub(super) fn written(w: &CleanupWrite) -> Value {
    let mut after = Map::new();
    after.insert("status".into(), json!(w.new_status));
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            after.insert(key.into(), value);
        }
    };
    put("scheduled_at", w.reschedule.then(|| json!("now")));
    put("error_code", w.error_code.as_ref().map(|v| json!(v)));
    put("error_message", w.error_message.as_ref().map(|v| json!(v)));
    put("note_appended", w.note.as_ref().map(|v| json!(v)));
    put("outcome_if_unset", w.outcome.as_ref().map(|v| json!(v)));
    put("duration_seconds", w.duration_seconds.map(|v| json!(v)));
    put(
        "ended_at",
        w.ended_at.map(|e| match e {
            EndedAt::DbNow => json!("now"),
            EndedAt::At(at) => json!(at),
        }),
    );
    Value::Object(after)
}

/// Why a conditional write found the row changed since the preview.
pub(super) fn moved_on(call: &InFlightCall, status_now: Option<&str>) -> String {
    match status_now {
        None => "the row no longer exists".to_string(),
        Some(now) if now != call.state => format!(
            "the row changed since the preview: its status is now `{}`",
            sanitize_provider_text(now)
        ),
        Some(_) => "the row changed since the preview (or came under a redial hold); \
                    preview it again"
            .to_string(),
    }
}
