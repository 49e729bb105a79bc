//! Broadcasts (each draft/active/paused one, or the focused one): name and message
//! [B]; audio present and reachable unless AI conversational [B]; ≥1 pending row [B];
//! calling hours in its time zone; DTMF transfer targets and calendar-backed callbacks;
//! max_attempts ≤ 1; pace > 100/min; stuck rows; failure rate; open alerts.

use chrono::{NaiveTime, Timelike};
use chrono_tz::Tz;
use serde_json::Value;

use crate::domain::{Broadcast, CalendarIntegration};
use crate::readiness::rules::calendar::reconnect_needed;
use crate::readiness::rules::{
    AUDIO_HOST, answer, broadcasts_in_focus, clean, count, database, is_audio_broadcast,
    no_database, present, preview,
};
use crate::readiness::snapshot::{BroadcastStats, DatabaseFacts, Focus, Snapshot};
use crate::readiness::{Area, Check, FixAction, Status};
use crate::stuck::age;

const AREA: Area = Area::Broadcasts;
/// The failure rate is judged over the newest 50 finished rows, once there are 10.
const FAILURE_WINDOW: usize = 50;
const FAILURE_MIN_ROWS: usize = 10;
/// voice_broadcasts column defaults, used when a value is NULL.
const DEFAULT_TIMEZONE: &str = "America/New_York";
const DEFAULT_MAX_ATTEMPTS: i32 = 1;
const DEFAULT_CALLS_PER_MINUTE: i32 = 50;

pub fn check_broadcasts(snap: &Snapshot) -> Vec<Check> {
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, "broadcast.database", true)];
    };
    let mut checks = Vec::new();
    if let Focus::Broadcast(id) = snap.focus
        && !db.broadcasts.iter().any(|b| b.id == id)
    {
        checks.push(
            Check::new(
                AREA,
                format!("broadcast.found:{id}"),
                Status::Fail,
                format!("no draft, active or paused broadcast with id {id} in scope"),
                snap.now,
            )
            .blocking(true)
            .with_fix(
                "check the id (and --user/--org scope); completed broadcasts are not launched",
            ),
        );
    }
    for broadcast in broadcasts_in_focus(snap, db) {
        checks.extend(broadcast_checks(snap, db, broadcast));
    }
    checks
}

fn broadcast_checks(snap: &Snapshot, db: &DatabaseFacts, b: &Broadcast) -> Vec<Check> {
    let stats = db.broadcast_stats.get(&b.id);
    let checks = vec![
        content(b).blocking(true),
        audio(snap, b).blocking(true),
        pending(stats).blocking(true),
        calling_hours(snap, b),
        dtmf_transfer(b),
        dtmf_callback(db, b),
        max_attempts(b),
        pace(snap, b),
        stuck(snap, stats),
        failure_rate(snap, stats),
        alerts(db, b),
    ];
    let subject = clean(&b.name);
    checks
        .into_iter()
        .map(|part| part.into_check(snap, b, &subject))
        .collect()
}

/// A check before it gets its id, timestamp and subject.
struct Part {
    name: &'static str,
    status: Status,
    blocking: bool,
    reason: String,
    fix: Option<String>,
    action: Option<FixAction>,
}

impl Part {
    fn new(name: &'static str, status: Status, reason: impl Into<String>) -> Self {
        Part {
            name,
            status,
            blocking: false,
            reason: reason.into(),
            fix: None,
            action: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn blocking(mut self, blocking: bool) -> Self {
        self.blocking = blocking;
        self
    }

    fn into_check(self, snap: &Snapshot, b: &Broadcast, subject: &str) -> Check {
        let mut check = Check::new(
            AREA,
            format!("broadcast.{}:{}", self.name, b.id),
            self.status,
            format!("'{subject}': {}", self.reason),
            snap.now,
        )
        .blocking(self.blocking)
        .with_subject(subject);
        check.fix = self.fix;
        check.action = self.action;
        check
    }
}

fn content(b: &Broadcast) -> Part {
    let mut missing = Vec::new();
    if b.name.trim().is_empty() {
        missing.push("name");
    }
    if b.message_text.trim().is_empty() {
        missing.push("message_text");
    }
    if missing.is_empty() {
        return Part::new("content", Status::Pass, "name and message present");
    }
    Part::new(
        "content",
        Status::Fail,
        format!("{} empty", missing.join(" and ")),
    )
    .fix("fill in the broadcast's name and message in the platform")
}

/// Scheme, host and path of a URL; the query (which may hold a signature) is left out.
fn url_for_display(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}://{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or(""),
            parsed.path()
        ),
        Err(_) => "(not a valid URL)".to_string(),
    }
}

fn audio(snap: &Snapshot, b: &Broadcast) -> Part {
    if !is_audio_broadcast(b) {
        return Part::new(
            "audio",
            Status::Pass,
            "AI conversational: no audio_url needed",
        );
    }
    let Some(url) = present(&b.audio_url) else {
        return Part::new(
            "audio",
            Status::Fail,
            "audio_url is empty: there is nothing to play",
        )
        .fix("generate the broadcast's audio in the platform (ElevenLabs), which sets audio_url");
    };
    let shown = clean(&url_for_display(url));
    let Some(observed) = snap.audio_probes.get(&b.id) else {
        return Part::new("audio", Status::Unknown, format!("{shown} not probed yet"))
            .fix("press R to re-run the checks");
    };
    match answer(observed, &AUDIO_HOST) {
        Err(u) => {
            let part = Part::new("audio", u.status, format!("{shown}: {}", u.reason));
            match u.fix {
                Some(fix) => part.fix(fix),
                None => part,
            }
        }
        Ok(probe) => {
            let content_type = probe.content_type.as_deref().unwrap_or("none");
            let is_audio = content_type
                .trim()
                .to_ascii_lowercase()
                .starts_with("audio/");
            if matches!(probe.http_status, 200 | 206) && is_audio {
                Part::new(
                    "audio",
                    Status::Pass,
                    format!("{shown} reachable ({content_type})"),
                )
            } else if matches!(probe.http_status, 200 | 206) {
                Part::new(
                    "audio",
                    Status::Fail,
                    format!(
                        "{shown} answers with content type {}, not audio",
                        clean(content_type)
                    ),
                )
                .fix("point audio_url at the audio file itself (an audio/* response), then press R")
            } else {
                Part::new(
                    "audio",
                    Status::Fail,
                    format!("{shown} answered HTTP {}", probe.http_status),
                )
                .fix("regenerate or re-upload the audio so audio_url answers 200, then press R")
            }
        }
    }
}

fn pending(stats: Option<&BroadcastStats>) -> Part {
    match stats {
        None => Part::new("pending", Status::Unknown, "queue counts were not read")
            .fix("press R to re-run the checks"),
        Some(s) if s.pending > 0 => Part::new(
            "pending",
            Status::Pass,
            format!("{} pending", count(s.pending, "queue row")),
        ),
        Some(_) => Part::new(
            "pending",
            Status::Fail,
            "no pending broadcast_queue rows: nothing to dial",
        )
        .fix("add leads to the broadcast in the platform (they become pending queue rows)"),
    }
}

fn hhmm(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Inside `[start, end)`; a window with start after end runs past midnight.
fn within(start: NaiveTime, end: NaiveTime, time: NaiveTime) -> bool {
    if start <= end {
        start <= time && time < end
    } else {
        time >= start || time < end
    }
}

fn calling_hours(snap: &Snapshot, b: &Broadcast) -> Part {
    if b.bypass_calling_hours {
        return Part::new(
            "calling_hours",
            Status::Pass,
            "calling hours bypassed (bypass_calling_hours)",
        );
    }
    let tz_name = present(&b.timezone).unwrap_or(DEFAULT_TIMEZONE);
    let Ok(tz) = tz_name.parse::<Tz>() else {
        return Part::new(
            "calling_hours",
            Status::Warn,
            format!(
                "timezone '{}' is not a valid IANA time zone",
                clean(tz_name)
            ),
        )
        .fix("set voice_broadcasts.timezone to an IANA name such as America/New_York");
    };
    let start = b
        .calling_hours_start
        .unwrap_or(NaiveTime::MIN + chrono::Duration::hours(9));
    let end = b
        .calling_hours_end
        .unwrap_or(NaiveTime::MIN + chrono::Duration::hours(17));
    let local = snap.now.with_timezone(&tz).time();
    let window = format!("{}–{} {tz_name}", hhmm(start), hhmm(end));
    if within(start, end, local) {
        Part::new(
            "calling_hours",
            Status::Pass,
            format!("inside calling hours {window} (now {})", hhmm(local)),
        )
    } else {
        Part::new(
            "calling_hours",
            Status::Warn,
            format!(
                "outside calling hours {window} (now {}): calls wait until {}",
                hhmm(local),
                hhmm(start)
            ),
        )
        .fix("wait for the calling window, or set bypass_calling_hours for a deliberate test")
    }
}

/// The platform's default `dtmf_actions` (schema.md §3), used when the column is NULL.
fn default_dtmf_actions() -> Value {
    serde_json::json!([
        {"digit": "1", "label": "Connect to Agent", "action": "transfer", "transfer_to": null},
        {"digit": "2", "label": "Schedule Callback", "action": "callback", "delay_hours": 24},
        {"digit": "3", "label": "Do Not Call", "action": "dnc"}
    ])
}

/// The DTMF actions a broadcast will use: `Ok(None)` when its IVR does not read keys.
fn dtmf_actions(b: &Broadcast) -> Result<Option<Vec<Value>>, String> {
    if !b.ivr_enabled || b.ivr_mode.as_deref().is_some_and(|m| m != "dtmf") {
        return Ok(None);
    }
    let value = b.dtmf_actions.clone().unwrap_or_else(default_dtmf_actions);
    let value = match value {
        Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| format!("dtmf_actions is a JSON string that does not parse: {e}"))?,
        other => other,
    };
    match value {
        Value::Array(items) => Ok(Some(items)),
        Value::Null => Ok(Some(
            default_dtmf_actions()
                .as_array()
                .cloned()
                .unwrap_or_default(),
        )),
        _ => Err("dtmf_actions is not a list of actions".to_string()),
    }
}

fn text_field<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn describe_key(item: &Value) -> String {
    let digit = text_field(item, "digit")
        .map(str::to_string)
        .or_else(|| item.get("digit").map(Value::to_string))
        .unwrap_or_else(|| "?".into());
    match text_field(item, "label") {
        Some(label) => format!("key {} '{}'", clean(&digit), clean(label)),
        None => format!("key {}", clean(&digit)),
    }
}

fn actions_of<'a>(items: &'a [Value], action: &'a str) -> impl Iterator<Item = &'a Value> {
    items
        .iter()
        .filter(move |item| text_field(item, "action") == Some(action))
}

fn dtmf_transfer(b: &Broadcast) -> Part {
    let items = match dtmf_actions(b) {
        Ok(Some(items)) => items,
        Ok(None) => {
            return Part::new(
                "dtmf_transfer",
                Status::Pass,
                "no keypad IVR: no transfer action",
            );
        }
        Err(problem) => {
            return Part::new("dtmf_transfer", Status::Warn, problem)
                .fix("re-save the broadcast's DTMF actions in the platform");
        }
    };
    let without_target: Vec<String> = actions_of(&items, "transfer")
        .filter(|item| text_field(item, "transfer_to").is_none())
        .map(describe_key)
        .collect();
    if without_target.is_empty() {
        return Part::new(
            "dtmf_transfer",
            Status::Pass,
            "every transfer action has a transfer_to",
        );
    }
    Part::new(
        "dtmf_transfer",
        Status::Warn,
        format!(
            "transfer without transfer_to: {} (callers who press it reach nobody)",
            preview(&without_target, 3)
        ),
    )
    .fix("set transfer_to on the transfer action in the broadcast's DTMF settings")
}

/// Whether a callback action books a calendar event.
///
/// Decision: only an explicit `callback_options.create_calendar_event: false` opts out.
/// The platform's default `dtmf_actions` has a callback with no `callback_options` at
/// all, and that default is exactly "the old bug: default DTMF actions referenced a
/// calendar that was never set up" (product.md) — so a missing `callback_options` (or a
/// missing key in it) counts as creating an event.
fn creates_calendar_event(item: &Value) -> bool {
    item.get("callback_options")
        .and_then(|options| options.get("create_calendar_event"))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// A calendar the owner's callbacks can book into: connected (an access token, sync on)
/// and refreshable (a refresh token and no reconnect needed) for Google.
fn usable_calendar(integration: &CalendarIntegration) -> bool {
    let connected = integration.has_access_token && integration.sync_enabled;
    let refreshable = integration.provider != "google"
        || (integration.has_refresh_token && !reconnect_needed(integration));
    connected && refreshable
}

fn calendar_problem(db: &DatabaseFacts, b: &Broadcast) -> Option<&'static str> {
    let owned: Vec<&CalendarIntegration> = db
        .calendar_integrations
        .iter()
        .filter(|i| i.user_id == b.user_id)
        .collect();
    if !owned.iter().any(|i| i.has_access_token && i.sync_enabled) {
        return Some("no calendar is connected for the broadcast's owner");
    }
    if !owned.iter().any(|i| usable_calendar(i)) {
        return Some(
            "the owner's calendar token cannot be refreshed (no refresh token, or reconnect needed)",
        );
    }
    None
}

fn dtmf_callback(db: &DatabaseFacts, b: &Broadcast) -> Part {
    let items = match dtmf_actions(b) {
        Ok(Some(items)) => items,
        Ok(None) => {
            return Part::new(
                "dtmf_callback",
                Status::Pass,
                "no keypad IVR: no callback action",
            );
        }
        Err(problem) => {
            return Part::new("dtmf_callback", Status::Warn, problem)
                .fix("re-save the broadcast's DTMF actions in the platform");
        }
    };
    let booking: Vec<String> = actions_of(&items, "callback")
        .filter(|item| creates_calendar_event(item))
        .map(describe_key)
        .collect();
    if booking.is_empty() {
        return Part::new(
            "dtmf_callback",
            Status::Pass,
            "no callback action books a calendar event",
        );
    }
    match calendar_problem(db, b) {
        None => Part::new(
            "dtmf_callback",
            Status::Pass,
            "callbacks book into a connected, refreshable calendar",
        ),
        Some(problem) => Part::new(
            "dtmf_callback",
            Status::Warn,
            format!("callback {} creates a calendar event but {problem}", preview(&booking, 2)),
        )
        .fix("connect the owner's Google calendar with offline access, or set callback_options.create_calendar_event = false"),
    }
}

fn max_attempts(b: &Broadcast) -> Part {
    let attempts = b.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if attempts > 1 {
        return Part::new(
            "max_attempts",
            Status::Pass,
            format!("max_attempts {attempts}"),
        );
    }
    Part::new(
        "max_attempts",
        Status::Warn,
        format!("max_attempts {attempts}: unanswered leads are never retried"),
    )
    .fix("raise max_attempts (e.g. 2–3) if unanswered leads should be retried")
}

fn pace(snap: &Snapshot, b: &Broadcast) -> Part {
    let per_minute = b.calls_per_minute.unwrap_or(DEFAULT_CALLS_PER_MINUTE);
    let limit = snap.thresholds.calls_per_minute_warn;
    if i64::from(per_minute) <= i64::from(limit) {
        return Part::new(
            "pace",
            Status::Pass,
            format!("{per_minute} calls per minute"),
        );
    }
    Part::new(
        "pace",
        Status::Warn,
        format!(
            "{per_minute} calls per minute is above {limit}: carrier spam flags and provider limits"
        ),
    )
    .fix(format!("lower calls_per_minute to {limit} or less"))
}

fn stuck(snap: &Snapshot, stats: Option<&BroadcastStats>) -> Part {
    let Some(stats) = stats else {
        return Part::new("stuck", Status::Unknown, "queue rows were not read")
            .fix("press R to re-run the checks");
    };
    let after = snap.thresholds.broadcast_stuck_after;
    // Strictly older than the threshold, as the stuck rules (stuck.rs) say.
    let stuck = stats
        .calling_updated_at
        .iter()
        .filter(|since| age(**since, snap.now) > after)
        .count();
    let minutes = after.as_secs() / 60;
    if stuck == 0 {
        return Part::new(
            "stuck",
            Status::Pass,
            format!("no row in calling for more than {minutes} min"),
        );
    }
    let mut part = Part::new(
        "stuck",
        Status::Warn,
        format!(
            "{} stuck in calling for more than {minutes} min (nothing server-side resets them)",
            count(stuck, "row")
        ),
    )
    .fix("press c to clean up stuck calls (or run `launchdeck cleanup`)");
    part.action = Some(FixAction::CleanupStuckCalls);
    part
}

fn failure_rate(snap: &Snapshot, stats: Option<&BroadcastStats>) -> Part {
    let Some(stats) = stats else {
        return Part::new(
            "failure_rate",
            Status::Unknown,
            "finished rows were not read",
        )
        .fix("press R to re-run the checks");
    };
    let recent: Vec<&String> = stats.recent_finished.iter().take(FAILURE_WINDOW).collect();
    let rows = recent.len();
    if rows < FAILURE_MIN_ROWS {
        return Part::new(
            "failure_rate",
            Status::Pass,
            format!("{rows} finished rows: too few to judge (needs {FAILURE_MIN_ROWS})"),
        );
    }
    let failed = recent.iter().filter(|s| s.as_str() == "failed").count();
    let rate = failed as f64 / rows as f64;
    let limit = snap.thresholds.error_rate_warn;
    let figures = format!(
        "{:.0}% ({failed} of the last {rows} finished rows)",
        rate * 100.0
    );
    if rate < limit {
        return Part::new(
            "failure_rate",
            Status::Pass,
            format!("failure rate {figures}"),
        );
    }
    Part::new(
        "failure_rate",
        Status::Warn,
        format!("failure rate {figures} is at or above {:.0}%", limit * 100.0),
    )
    .fix("look at the failed calls on the Logs screen (4); pause the broadcast with p if it keeps failing")
}

fn alerts(db: &DatabaseFacts, b: &Broadcast) -> Part {
    let broadcast_id = b.id.to_string();
    let open: Vec<String> = db
        .unacknowledged_alerts
        .iter()
        .filter(|a| {
            a.related_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(&broadcast_id))
        })
        .filter(|a| matches!(a.severity.as_str(), "error" | "critical"))
        .map(|a| format!("{} {}", a.severity, clean(&a.alert_type)))
        .collect();
    if open.is_empty() {
        return Part::new(
            "alerts",
            Status::Pass,
            "no unacknowledged error or critical alert",
        );
    }
    Part::new(
        "alerts",
        Status::Warn,
        format!(
            "{}: {}",
            count(open.len(), "unacknowledged alert"),
            preview(&open, 3)
        ),
    )
    .fix("read them on the Overview and press a to acknowledge each once handled")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Alert;
    use crate::readiness::rules::fixture::{self, BROADCAST};
    use crate::readiness::snapshot::{AudioProbe, FailureKind, Observed};
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;

    fn id(name: &str) -> String {
        format!("broadcast.{name}:{BROADCAST}")
    }

    fn find(snap: &Snapshot, name: &str) -> Check {
        let wanted = id(name);
        check_broadcasts(snap)
            .into_iter()
            .find(|c| c.id == wanted)
            .unwrap_or_else(|| panic!("no check {wanted}"))
    }

    fn broadcast(snap: &mut Snapshot) -> &mut Broadcast {
        &mut fixture::db(snap).broadcasts[0]
    }

    fn stats(snap: &mut Snapshot) -> &mut BroadcastStats {
        fixture::db(snap)
            .broadcast_stats
            .get_mut(&BROADCAST)
            .expect("fixture stats")
    }

    #[test]
    fn healthy_broadcast_passes() {
        let checks = check_broadcasts(&fixture::healthy());
        assert_eq!(checks.len(), 11);
        let bad: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
        assert!(bad.is_empty(), "{bad:#?}");
        assert!(
            checks
                .iter()
                .all(|c| c.subject.as_deref() == Some("Spring promo"))
        );
    }

    #[test]
    fn content_and_pending_block() {
        let mut snap = fixture::healthy();
        broadcast(&mut snap).message_text = "  ".into();
        stats(&mut snap).pending = 0;
        let content = find(&snap, "content");
        assert_eq!((content.status, content.blocking), (Status::Fail, true));
        assert!(content.reason.contains("message_text"));
        let pending = find(&snap, "pending");
        assert_eq!((pending.status, pending.blocking), (Status::Fail, true));
    }

    #[test]
    fn audio_table() {
        let probe = |status: u16, ct: Option<&str>| {
            Some(Observed::Ok(AudioProbe {
                http_status: status,
                content_type: ct.map(str::to_string),
            }))
        };
        let cases = [
            (
                Some("https://cdn.example.com/a.mp3"),
                probe(200, Some("audio/mpeg")),
                Status::Pass,
            ),
            (
                Some("https://cdn.example.com/a.mp3"),
                probe(206, Some("audio/wav")),
                Status::Pass,
            ),
            (
                Some("https://cdn.example.com/a.mp3"),
                probe(200, Some("text/html")),
                Status::Fail,
            ),
            (
                Some("https://cdn.example.com/a.mp3"),
                probe(404, None),
                Status::Fail,
            ),
            (
                Some("https://cdn.example.com/a.mp3"),
                Some(Observed::failed(FailureKind::Forbidden, "AccessDenied")),
                Status::Fail,
            ),
            (
                Some("https://cdn.example.com/a.mp3"),
                Some(Observed::failed(FailureKind::Timeout, "")),
                Status::Unknown,
            ),
            (Some("https://cdn.example.com/a.mp3"), None, Status::Unknown),
            (None, None, Status::Fail),
            (Some(" "), None, Status::Fail),
        ];
        for (url, observed, want) in cases {
            let mut snap = fixture::healthy();
            broadcast(&mut snap).audio_url = url.map(str::to_string);
            snap.audio_probes.clear();
            if let Some(observed) = observed.clone() {
                snap.audio_probes.insert(BROADCAST, observed);
            }
            let check = find(&snap, "audio");
            assert_eq!(check.status, want, "{url:?} {observed:?}");
            assert!(check.blocking);
        }
    }

    #[test]
    fn audio_reason_hides_the_query_string() {
        let mut snap = fixture::healthy();
        broadcast(&mut snap).audio_url =
            Some("https://bucket.example.com/a.mp3?X-Amz-Signature=secretsig".into());
        let check = find(&snap, "audio");
        assert!(!check.reason.contains("secretsig"), "{}", check.reason);
        assert!(check.reason.contains("bucket.example.com/a.mp3"));
    }

    #[test]
    fn ai_conversational_needs_no_audio() {
        let mut snap = fixture::healthy();
        broadcast(&mut snap).ivr_mode = Some("ai_conversational".into());
        broadcast(&mut snap).audio_url = None;
        assert_eq!(find(&snap, "audio").status, Status::Pass);
    }

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        // New York is UTC−5 on 2026-11-24.
        let midnight_in_new_york = Utc.with_ymd_and_hms(2026, 11, 24, 5, 0, 0).unwrap();
        midnight_in_new_york
            + chrono::Duration::hours(i64::from(hour))
            + chrono::Duration::minutes(i64::from(minute))
    }

    #[test]
    fn calling_hours_table() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        // (now in New York, start, end, timezone, bypass, status)
        let cases = [
            (
                at(8, 59),
                t(9, 0),
                t(17, 0),
                "America/New_York",
                false,
                Status::Warn,
            ),
            (
                at(9, 0),
                t(9, 0),
                t(17, 0),
                "America/New_York",
                false,
                Status::Pass,
            ),
            (
                at(16, 59),
                t(9, 0),
                t(17, 0),
                "America/New_York",
                false,
                Status::Pass,
            ),
            (
                at(17, 0),
                t(9, 0),
                t(17, 0),
                "America/New_York",
                false,
                Status::Warn,
            ),
            (
                at(17, 0),
                t(9, 0),
                t(17, 0),
                "America/New_York",
                true,
                Status::Pass,
            ),
            (
                at(12, 0),
                t(9, 0),
                t(17, 0),
                "America/Los_Angeles",
                false,
                Status::Pass,
            ),
            (
                at(10, 0),
                t(9, 0),
                t(17, 0),
                "America/Los_Angeles",
                false,
                Status::Warn,
            ),
            (
                at(10, 0),
                t(9, 0),
                t(17, 0),
                "Mars/Olympus",
                false,
                Status::Warn,
            ),
            (
                at(10, 0),
                None,
                None,
                "America/New_York",
                false,
                Status::Pass,
            ),
            (
                at(23, 0),
                t(22, 0),
                t(6, 0),
                "America/New_York",
                false,
                Status::Pass,
            ),
            (
                at(12, 0),
                t(22, 0),
                t(6, 0),
                "America/New_York",
                false,
                Status::Warn,
            ),
        ];
        for (now, start, end, tz, bypass, want) in cases {
            let mut snap = fixture::healthy();
            snap.now = now;
            let b = broadcast(&mut snap);
            b.calling_hours_start = start;
            b.calling_hours_end = end;
            b.timezone = Some(tz.into());
            b.bypass_calling_hours = bypass;
            let check = find(&snap, "calling_hours");
            assert_eq!(
                check.status, want,
                "{now} {start:?}-{end:?} {tz} bypass={bypass}"
            );
            assert!(!check.blocking);
        }
    }

    #[test]
    fn dtmf_transfer_table() {
        let cases = [
            (
                Some(json!([{"digit": "1", "action": "transfer", "transfer_to": "+14155550199"}])),
                Status::Pass,
            ),
            (
                Some(json!([{"digit": "1", "action": "transfer", "transfer_to": null}])),
                Status::Warn,
            ),
            (
                Some(json!([{"digit": "1", "action": "transfer", "transfer_to": ""}])),
                Status::Warn,
            ),
            (
                Some(json!([{"digit": "1", "action": "transfer"}])),
                Status::Warn,
            ),
            (Some(json!([{"digit": "3", "action": "dnc"}])), Status::Pass),
            // NULL column: the platform default, whose transfer has no transfer_to
            (None, Status::Warn),
            (Some(json!({"not": "a list"})), Status::Warn),
            (
                Some(json!(
                    "[{\"digit\":\"1\",\"action\":\"transfer\",\"transfer_to\":\"+1415\"}]"
                )),
                Status::Pass,
            ),
        ];
        for (actions, want) in cases {
            let mut snap = fixture::healthy();
            broadcast(&mut snap).dtmf_actions = actions.clone();
            let check = find(&snap, "dtmf_transfer");
            assert_eq!(check.status, want, "{actions:?}");
        }
        // IVR off: keys are not read at all
        let mut snap = fixture::healthy();
        broadcast(&mut snap).ivr_enabled = false;
        broadcast(&mut snap).dtmf_actions = None;
        assert_eq!(find(&snap, "dtmf_transfer").status, Status::Pass);
    }

    #[test]
    fn dtmf_callback_table() {
        let callback = |options: Option<Value>| {
            let mut item =
                json!({"digit": "2", "label": "Schedule Callback", "action": "callback"});
            if let Some(options) = options {
                item["callback_options"] = options;
            }
            Some(json!([item]))
        };
        // (actions, calendar state, status)
        #[derive(Debug, Clone, Copy)]
        enum Cal {
            Good,
            None,
            NoRefresh,
            InvalidGrant,
            Expired,
        }
        let cases = [
            (
                callback(Some(json!({"create_calendar_event": true}))),
                Cal::Good,
                Status::Pass,
            ),
            (
                callback(Some(json!({"create_calendar_event": true}))),
                Cal::None,
                Status::Warn,
            ),
            (
                callback(Some(json!({"create_calendar_event": true}))),
                Cal::NoRefresh,
                Status::Warn,
            ),
            (
                callback(Some(json!({"create_calendar_event": true}))),
                Cal::InvalidGrant,
                Status::Warn,
            ),
            // an expired access token with a refresh token can still be refreshed
            (
                callback(Some(json!({"create_calendar_event": true}))),
                Cal::Expired,
                Status::Pass,
            ),
            (
                callback(Some(json!({"create_calendar_event": false}))),
                Cal::None,
                Status::Pass,
            ),
            // the platform default: no callback_options counts as booking an event
            (callback(None), Cal::None, Status::Warn),
            (
                callback(Some(json!({"send_sms_reminder": true}))),
                Cal::None,
                Status::Warn,
            ),
            (None, Cal::None, Status::Warn),
            (None, Cal::Good, Status::Pass),
        ];
        for (actions, cal, want) in cases {
            let mut snap = fixture::healthy();
            broadcast(&mut snap).dtmf_actions = actions.clone();
            let integration = &mut fixture::db(&mut snap).calendar_integrations;
            match cal {
                Cal::Good => {}
                Cal::None => integration.clear(),
                Cal::NoRefresh => integration[0].has_refresh_token = false,
                Cal::InvalidGrant => {
                    integration[0].sync_errors = json!([{"source": "launchdeck", "error": "invalid_grant", "at": "2026-11-24T14:55:00Z"}]);
                }
                Cal::Expired => {
                    integration[0].token_expires_at =
                        Some(fixture::now() - chrono::Duration::hours(3));
                }
            }
            let check = find(&snap, "dtmf_callback");
            assert_eq!(check.status, want, "{actions:?} {cal:?}");
        }
    }

    #[test]
    fn attempts_and_pace() {
        for (attempts, want) in [
            (None, Status::Warn),
            (Some(1), Status::Warn),
            (Some(0), Status::Warn),
            (Some(2), Status::Pass),
        ] {
            let mut snap = fixture::healthy();
            broadcast(&mut snap).max_attempts = attempts;
            assert_eq!(find(&snap, "max_attempts").status, want, "{attempts:?}");
        }
        for (cpm, want) in [
            (Some(100), Status::Pass),
            (Some(101), Status::Warn),
            (None, Status::Pass),
        ] {
            let mut snap = fixture::healthy();
            broadcast(&mut snap).calls_per_minute = cpm;
            assert_eq!(find(&snap, "pace").status, want, "{cpm:?}");
        }
    }

    #[test]
    fn stuck_boundary() {
        for (age_secs, want) in [
            (299, Status::Pass),
            (300, Status::Pass),
            (301, Status::Warn),
        ] {
            let mut snap = fixture::healthy();
            stats(&mut snap).calling_updated_at =
                vec![fixture::now() - chrono::Duration::seconds(age_secs)];
            let check = find(&snap, "stuck");
            assert_eq!(check.status, want, "{age_secs}s");
            if want == Status::Warn {
                assert_eq!(check.action, Some(FixAction::CleanupStuckCalls));
                assert!(check.fix.unwrap_or_default().starts_with("press c"));
            }
        }
    }

    #[test]
    fn failure_rate_boundaries() {
        let rows = |failed: usize, total: usize| {
            let mut statuses = vec!["failed".to_string(); failed];
            statuses.extend(vec!["answered".to_string(); total - failed]);
            statuses
        };
        let cases = [
            (rows(5, 20), Status::Warn),  // exactly 25%
            (rows(3, 10), Status::Warn),  // 30% at the minimum of 10 rows
            (rows(12, 50), Status::Pass), // 24%
            (rows(9, 9), Status::Pass),   // 9 rows: too few to judge
            (rows(0, 0), Status::Pass),
            (rows(2, 10), Status::Pass), // 20%
            // only the newest 50 count: 10 failures among them, 40 more beyond
            (
                {
                    let mut r = rows(10, 50);
                    r.extend(rows(40, 40));
                    r
                },
                Status::Pass,
            ),
        ];
        for (statuses, want) in cases {
            let n = statuses.len();
            let mut snap = fixture::healthy();
            stats(&mut snap).recent_finished = statuses;
            assert_eq!(find(&snap, "failure_rate").status, want, "{n} rows");
        }
    }

    #[test]
    fn alerts_for_this_broadcast_only() {
        let alert = |related: String, severity: &str| Alert {
            id: uuid::Uuid::nil(),
            user_id: fixture::USER,
            alert_type: "stuck_calls".into(),
            severity: severity.into(),
            title: None,
            message: "10 calls stuck".into(),
            related_id: Some(related),
            related_type: None,
            created_at: fixture::now(),
        };
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).unacknowledged_alerts = vec![
            alert(BROADCAST.to_string(), "warning"),
            alert(uuid::Uuid::from_u128(9).to_string(), "critical"),
        ];
        assert_eq!(find(&snap, "alerts").status, Status::Pass);
        fixture::db(&mut snap)
            .unacknowledged_alerts
            .push(alert(BROADCAST.to_string(), "critical"));
        let check = find(&snap, "alerts");
        assert_eq!(check.status, Status::Warn);
        assert!(check.reason.contains("critical stuck_calls"));
    }

    #[test]
    fn focus_selects_one_broadcast_or_reports_it_missing() {
        let mut snap = fixture::healthy();
        let mut other = fixture::broadcast();
        other.id = uuid::Uuid::from_u128(0xb2);
        other.name = "Other".into();
        fixture::db(&mut snap).broadcasts.push(other);
        assert_eq!(check_broadcasts(&snap).len(), 22);
        snap.focus = Focus::Broadcast(BROADCAST);
        let checks = check_broadcasts(&snap);
        assert_eq!(checks.len(), 11);
        assert!(
            checks
                .iter()
                .all(|c| c.id.ends_with(&BROADCAST.to_string()))
        );
        snap.focus = Focus::Campaign(fixture::CAMPAIGN);
        assert!(check_broadcasts(&snap).is_empty());
        let missing = uuid::Uuid::from_u128(0xdead);
        snap.focus = Focus::Broadcast(missing);
        let checks = check_broadcasts(&snap);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].id, format!("broadcast.found:{missing}"));
        assert!(checks[0].blocks_launch());
    }
}
