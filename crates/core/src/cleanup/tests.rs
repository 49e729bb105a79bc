use chrono::TimeZone;

use super::*;

const SID: &str = "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn secs_ago(secs: i64) -> DateTime<Utc> {
    now() - chrono::Duration::seconds(secs)
}

fn row(source: CallSource, state: &str, age_secs: i64, attempts: i32, max: i32) -> InFlightCall {
    InFlightCall {
        source,
        id: Uuid::from_u128(7),
        state: state.into(),
        since: secs_ago(age_secs),
        phone: "+14155550199".into(),
        provider_call_id: None,
        broadcast_id: None,
        campaign_id: None,
        parent_name: None,
        attempts,
        max_attempts: max,
        redial_hold: false,
    }
}

fn with_id(mut call: InFlightCall, id: &str) -> InFlightCall {
    call.provider_call_id = Some(id.into());
    call
}

fn record(
    provider: CallProvider,
    status: &str,
    reason: Option<&str>,
    secs: Option<i64>,
) -> ProviderCallRecord {
    ProviderCallRecord {
        provider,
        call_id: "x".into(),
        status: status.into(),
        reason: reason.map(str::to_string),
        started_at: None,
        ended_at: Some(secs_ago(30)),
        duration_seconds: secs,
        cost: None,
    }
}

fn write(call: &InFlightCall, answer: &ProviderAnswer) -> CleanupWrite {
    match decide(call, answer, now()) {
        Verdict::Write(w) => w,
        other => panic!("expected a write for {call:?}, got {other:?}"),
    }
}

#[test]
fn the_plain_timeout_rule_per_source() {
    use CallSource::*;
    // (source, state, age s, attempts, max) → (status, reschedule, error_code, note?, outcome, ended_at?)
    let cases = [
        (
            BroadcastQueue,
            "calling",
            301,
            1,
            1,
            "failed",
            false,
            Some("TIMEOUT"),
            false,
            None,
            false,
        ),
        (
            BroadcastQueue,
            "calling",
            301,
            2,
            1,
            "failed",
            false,
            Some("TIMEOUT"),
            false,
            None,
            false,
        ),
        (
            BroadcastQueue,
            "calling",
            301,
            1,
            3,
            "pending",
            true,
            None,
            false,
            None,
            false,
        ),
        (
            DialingQueues,
            "calling",
            121,
            3,
            3,
            "failed",
            false,
            None,
            true,
            None,
            false,
        ),
        (
            DialingQueues,
            "calling",
            121,
            0,
            3,
            "pending",
            true,
            None,
            true,
            None,
            false,
        ),
        (
            CallLogs,
            "ringing",
            121,
            1,
            1,
            "no_answer",
            false,
            None,
            true,
            Some("no_answer"),
            true,
        ),
        (
            CallLogs,
            "queued",
            121,
            1,
            1,
            "failed",
            false,
            None,
            true,
            Some("failed"),
            false,
        ),
    ];
    for (source, state, age, attempts, max, status, reschedule, code, note, outcome, ended) in cases
    {
        let call = row(source, state, age, attempts, max);
        let w = write(&call, &ProviderAnswer::NotAsked);
        let what = format!("{source:?} {state} {attempts}/{max}");
        assert_eq!(w.new_status, status, "{what}");
        assert_eq!(w.expected_status, state, "{what}");
        assert_eq!(w.reschedule, reschedule, "{what}");
        assert_eq!(w.error_code.as_deref(), code, "{what}");
        assert_eq!(w.note.is_some(), note, "{what}");
        assert_eq!(w.outcome.as_deref(), outcome, "{what}");
        assert_eq!(w.ended_at == Some(EndedAt::DbNow), ended, "{what}");
        let updated_at = (source != CallLogs).then(|| secs_ago(age));
        assert_eq!(
            w.expected_updated_at, updated_at,
            "{what}: the previewed updated_at"
        );
    }
}

#[test]
fn the_timeout_texts_name_the_minutes_in_flight() {
    let cases = [
        (301, "5 min"),
        (359, "5 min"),
        (360, "6 min"),
        (2400, "40 min"),
    ];
    for (age, minutes) in cases {
        let call = row(CallSource::BroadcastQueue, "calling", age, 1, 1);
        let w = write(&call, &ProviderAnswer::NotAsked);
        assert_eq!(
            w.error_message.as_deref(),
            Some(format!("launchdeck timed it out after {minutes} in calling").as_str()),
            "age {age}s"
        );
    }
    let dialing = write(
        &row(CallSource::DialingQueues, "calling", 600, 3, 3),
        &ProviderAnswer::NotAsked,
    );
    assert_eq!(
        dialing.note.as_deref(),
        Some("launchdeck timed it out after 10 min in calling: max attempts (3) reached")
    );
    let log = write(
        &row(CallSource::CallLogs, "ringing", 180, 1, 1),
        &ProviderAnswer::NotAsked,
    );
    assert_eq!(
        log.note.as_deref(),
        Some("launchdeck timed it out after 3 min in ringing")
    );
}

#[test]
fn candidates_follow_the_stuck_ages_strictly_and_older_than_overrides_them() {
    use CallSource::*;
    let base = StuckThresholds::default();
    let ten_min = thresholds(base, Some(Duration::from_secs(600)));
    assert_eq!(
        ten_min.max_call_duration, base.max_call_duration,
        "the longest call stays"
    );
    let cases = [
        (BroadcastQueue, None, 300, &base, false),
        (BroadcastQueue, None, 301, &base, true),
        (BroadcastQueue, None, 301, &ten_min, false),
        (BroadcastQueue, None, 601, &ten_min, true),
        (DialingQueues, None, 120, &base, false),
        (DialingQueues, None, 121, &base, true),
        (DialingQueues, None, 599, &ten_min, false),
        (CallLogs, None, 121, &base, true),
        (CallLogs, None, 600, &ten_min, false),
        (CallLogs, Some("call_1"), 3600, &base, false),
        (CallLogs, Some("call_1"), 3601, &base, true),
        (CallLogs, Some("call_1"), 3601, &ten_min, true),
    ];
    for (source, id, age, t, want) in cases {
        let mut call = row(source, "calling", age, 1, 1);
        call.provider_call_id = id.map(str::to_string);
        assert_eq!(
            is_candidate(&call, now(), t),
            want,
            "{source:?} {id:?} {age}s"
        );
    }
}

#[test]
fn which_provider_is_asked() {
    use CallSource::*;
    let cases = [
        (BroadcastQueue, Some(SID), Some(CallProvider::Twilio)),
        (BroadcastQueue, Some("v3:telnyx-control-id"), None),
        (BroadcastQueue, None, None),
        (CallLogs, Some("call_8e1b"), Some(CallProvider::Retell)),
        (CallLogs, Some("v3:telnyx-control-id"), None),
        (CallLogs, Some(SID), None),
        (DialingQueues, Some("call_8e1b"), None),
    ];
    for (source, id, want) in cases {
        let mut call = row(source, "calling", 4000, 1, 1);
        call.provider_call_id = id.map(str::to_string);
        let asked = provider_to_ask(&call).map(|(provider, _)| provider);
        assert_eq!(asked, want, "{source:?} {id:?}");
    }
}

#[test]
fn retell_final_states_for_call_logs() {
    let cases = [
        ("ended", Some("user_hangup"), Some(60), "completed"),
        ("ended", Some("agent_hangup"), Some(9), "no_answer"),
        ("ended", Some("agent_hangup"), Some(10), "completed"),
        ("ended", Some("voicemail_reached"), Some(40), "voicemail"),
        ("ended", Some("machine_detected"), Some(40), "voicemail"),
        ("ended", Some("dial_busy"), Some(0), "busy"),
        (
            "ended",
            Some("error_llm_websocket_open"),
            Some(30),
            "failed",
        ),
        (
            "ended",
            Some("concurrency_limit_reached"),
            Some(0),
            "failed",
        ),
        ("ended", Some("some_new_reason"), Some(30), "completed"),
        ("ended", None, None, "no_answer"),
        ("not_connected", Some("dial_no_answer"), None, "no_answer"),
        ("not_connected", Some("dial_busy"), None, "busy"),
        ("not_connected", Some("dial_failed"), None, "failed"),
        ("not_connected", Some("invalid_destination"), None, "failed"),
        ("not_connected", Some("user_declined"), None, "no_answer"),
        ("not_connected", None, None, "no_answer"),
        ("error", Some("error_retell"), None, "failed"),
    ];
    let statuses = [
        "queued",
        "ringing",
        "answered",
        "busy",
        "no_answer",
        "voicemail",
        "failed",
        "completed",
    ];
    let outcomes = ["completed", "voicemail", "no_answer", "busy", "failed"];
    for (status, reason, secs, want) in cases {
        let call = with_id(row(CallSource::CallLogs, "ringing", 3700, 1, 1), "call_1");
        let answer = ProviderAnswer::Record(record(CallProvider::Retell, status, reason, secs));
        let w = write(&call, &answer);
        assert_eq!(w.new_status, want, "{status} {reason:?} {secs:?}");
        assert_eq!(w.outcome.as_deref(), Some(want));
        assert!(
            statuses.contains(&w.new_status.as_str()),
            "call_logs_status_check"
        );
        assert!(outcomes.contains(&want), "call_logs_outcome_check");
        assert_eq!(w.duration_seconds, secs.map(|s| s as i32));
        assert_eq!(w.ended_at, Some(EndedAt::At(secs_ago(30))));
        assert!(
            w.note
                .as_deref()
                .unwrap_or("")
                .starts_with("launchdeck: Retell says the call ")
        );
    }
    let mut unended = record(CallProvider::Retell, "ended", Some("user_hangup"), Some(60));
    unended.ended_at = None;
    let call = with_id(row(CallSource::CallLogs, "ringing", 3700, 1, 1), "call_1");
    let w = write(&call, &ProviderAnswer::Record(unended));
    assert_eq!(
        w.ended_at,
        Some(EndedAt::DbNow),
        "no end time from Retell: now"
    );
    assert_eq!(
        w.note.as_deref(),
        Some("launchdeck: Retell says the call ended (user_hangup)")
    );
}

#[test]
fn twilio_final_states_for_broadcast_rows() {
    let cases = [
        ("completed", Some(42), "completed"),
        ("busy", None, "busy"),
        ("no-answer", None, "no_answer"),
        ("failed", None, "failed"),
        ("canceled", None, "cancelled"),
    ];
    for (status, secs, want) in cases {
        let call = with_id(row(CallSource::BroadcastQueue, "calling", 600, 1, 1), SID);
        let answer = ProviderAnswer::Record(record(CallProvider::Twilio, status, None, secs));
        let w = write(&call, &answer);
        assert_eq!(w.new_status, want, "{status}");
        assert_eq!(w.duration_seconds, secs.map(|s| s as i32));
        assert_eq!(
            w.error_code, None,
            "TIMEOUT is for rows timed out, not ended"
        );
        assert_eq!(w.error_message.is_some(), want == "failed");
        assert!(!w.reschedule);
    }
}

#[test]
fn live_calls_unreachable_providers_and_holds_are_left_alone() {
    let long = with_id(row(CallSource::CallLogs, "ringing", 4000, 1, 1), "call_1");
    for status in ["registered", "ongoing", "transferring"] {
        let answer = ProviderAnswer::Record(record(CallProvider::Retell, status, None, None));
        match decide(&long, &answer, now()) {
            Verdict::LeaveAlone(LeftAlone::StillLive {
                provider_status,
                provider,
                ..
            }) => {
                assert_eq!(
                    (provider_status.as_str(), provider),
                    (status, CallProvider::Retell)
                );
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let bq = with_id(row(CallSource::BroadcastQueue, "calling", 600, 1, 1), SID);
    for status in ["queued", "ringing", "in-progress"] {
        let answer = ProviderAnswer::Record(record(CallProvider::Twilio, status, None, None));
        assert!(
            matches!(
                decide(&bq, &answer, now()),
                Verdict::LeaveAlone(LeftAlone::StillLive { .. })
            ),
            "{status}"
        );
    }
    let down = ProviderAnswer::CouldNotAsk("Twilio gave no answer within 10 s".into());
    assert_eq!(
        decide(&bq, &down, now()),
        Verdict::LeaveAlone(LeftAlone::CouldNotAsk(
            "Twilio gave no answer within 10 s".into()
        ))
    );
    let mut held = row(CallSource::DialingQueues, "calling", 600, 0, 3);
    held.redial_hold = true;
    for answer in [ProviderAnswer::NotAsked, ProviderAnswer::UnknownCall] {
        assert_eq!(
            decide(&held, &answer, now()),
            Verdict::LeaveAlone(LeftAlone::RedialHold)
        );
    }
}

#[test]
fn a_call_the_provider_does_not_know_gets_the_plain_rule() {
    let log = with_id(
        row(CallSource::CallLogs, "ringing", 3700, 1, 1),
        "call_gone",
    );
    let w = write(&log, &ProviderAnswer::UnknownCall);
    assert_eq!(
        (w.new_status.as_str(), w.ended_at),
        ("no_answer", Some(EndedAt::DbNow))
    );
    let bq = with_id(row(CallSource::BroadcastQueue, "calling", 600, 0, 2), SID);
    let w = write(&bq, &ProviderAnswer::UnknownCall);
    assert_eq!((w.new_status.as_str(), w.reschedule), ("pending", true));
}
