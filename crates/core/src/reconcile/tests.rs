use super::*;
use crate::domain::ProviderCallRecord;
use chrono::TimeZone;

const SID: &str = "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b";
const HOUR: Duration = Duration::from_secs(3600);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn row(n: u128, source: CallSource, call_id: Option<&str>, age_secs: i64) -> InFlightCall {
    InFlightCall {
        source,
        id: Uuid::from_u128(n),
        state: "ringing".into(),
        since: now() - chrono::Duration::seconds(age_secs),
        phone: "+14155550100".into(),
        provider_call_id: call_id.map(str::to_string),
        broadcast_id: None,
        campaign_id: None,
        parent_name: None,
        attempts: 1,
        max_attempts: 1,
        redial_hold: false,
    }
}

fn ongoing(call_id: &str, request_id: Option<&str>) -> OngoingCall {
    OngoingCall {
        provider_call_id: call_id.into(),
        from: Some("+14155550123".into()),
        to: Some("+14155550199".into()),
        started_at: Some(now() - chrono::Duration::seconds(90)),
        agent_id: Some("agent_1".into()),
        request_id: request_id.map(str::to_string),
        inbound: false,
    }
}

fn record(provider: CallProvider, status: &str, reason: Option<&str>) -> ProviderAnswer {
    ProviderAnswer::Record(ProviderCallRecord {
        provider,
        call_id: "x".into(),
        status: status.into(),
        reason: reason.map(str::to_string),
        started_at: None,
        ended_at: Some(now() - chrono::Duration::seconds(30)),
        duration_seconds: None,
        cost: None,
    })
}

fn truth(ongoing: Vec<OngoingCall>, answers: Vec<(&str, ProviderAnswer)>) -> ProviderTruth {
    ProviderTruth {
        ongoing,
        answers: answers
            .into_iter()
            .map(|(id, a)| (id.to_string(), a))
            .collect(),
        known_request_ids: HashSet::new(),
    }
}

#[test]
fn a_row_retell_lists_as_ongoing_agrees() {
    let rows = [row(1, CallSource::CallLogs, Some("call_a"), 60)];
    let out = classify(
        &rows,
        &truth(vec![ongoing("call_a", None)], vec![]),
        now(),
        HOUR,
    );
    assert_eq!(out.agreeing, 1);
    assert_eq!(out.db_in_flight, 1);
    assert_eq!(out.provider_ongoing, 1);
    assert!(out.all_agree());
}

#[test]
fn a_row_whose_call_ended_is_a_ghost_with_time_and_reason() {
    let rows = [
        row(1, CallSource::CallLogs, Some("call_a"), 60),
        row(2, CallSource::DialingQueues, Some("call_b"), 60),
        row(3, CallSource::BroadcastQueue, Some(SID), 60),
    ];
    let answers = vec![
        (
            "call_a",
            record(CallProvider::Retell, "ended", Some("user_hangup")),
        ),
        (
            "call_b",
            record(CallProvider::Retell, "not_connected", Some("dial_busy")),
        ),
        (SID, record(CallProvider::Twilio, "completed", None)),
    ];
    let out = classify(&rows, &truth(vec![], answers), now(), HOUR);
    assert_eq!(out.ghosts.len(), 3, "{out:#?}");
    let first = &out.ghosts[0];
    assert_eq!(first.source, CallSource::CallLogs);
    assert_eq!(first.id, Uuid::from_u128(1));
    assert_eq!(first.provider_call_id, "call_a");
    assert_eq!(first.provider_status, "ended");
    assert_eq!(first.reason.as_deref(), Some("user_hangup"));
    assert_eq!(first.ended_at, Some(now() - chrono::Duration::seconds(30)));
    assert_eq!(out.ghosts[1].provider_status, "not_connected");
    assert_eq!(out.ghosts[2].source, CallSource::BroadcastQueue);
    assert!(!out.all_agree());
}

#[test]
fn a_call_the_provider_does_not_know_is_a_ghost() {
    let rows = [row(1, CallSource::BroadcastQueue, Some(SID), 60)];
    let out = classify(
        &rows,
        &truth(vec![], vec![(SID, ProviderAnswer::UnknownCall)]),
        now(),
        HOUR,
    );
    assert_eq!(out.ghosts[0].provider_status, "not_found");
    assert_eq!(out.ghosts[0].ended_at, None);
}

#[test]
fn an_ongoing_call_no_row_knows_is_an_orphan() {
    let rows = [row(1, CallSource::CallLogs, Some("call_a"), 60)];
    let calls = vec![ongoing("call_a", None), ongoing("call_lost", None)];
    let out = classify(&rows, &truth(calls, vec![]), now(), HOUR);
    assert_eq!(out.orphans.len(), 1);
    let orphan = &out.orphans[0];
    assert_eq!(orphan.provider_call_id, "call_lost");
    assert_eq!(orphan.age_seconds, Some(90));
    assert_eq!(orphan.agent_id.as_deref(), Some("agent_1"));
    assert_eq!(orphan.to.as_deref(), Some("+14155550199"));
    assert_eq!(out.agreeing, 1);
}

#[test]
fn a_known_request_id_is_no_orphan() {
    let mut t = truth(
        vec![
            ongoing("call_x", Some("req-1")),
            ongoing("call_y", Some("req-2")),
        ],
        vec![],
    );
    t.known_request_ids.insert("req-1".into());
    let out = classify(&[], &t, now(), HOUR);
    let ids: Vec<&str> = out
        .orphans
        .iter()
        .map(|o| o.provider_call_id.as_str())
        .collect();
    assert_eq!(ids, ["call_y"]);
}

#[test]
fn a_live_row_older_than_the_longest_call_is_an_impossible_age() {
    let rows = [
        row(1, CallSource::CallLogs, Some("call_a"), 3601),
        row(2, CallSource::CallLogs, Some("call_b"), 3600),
        row(3, CallSource::BroadcastQueue, Some(SID), 7200),
    ];
    let answers = vec![
        ("call_b", record(CallProvider::Retell, "registered", None)),
        (
            SID,
            ProviderAnswer::CouldNotAsk("Twilio is not configured".into()),
        ),
    ];
    let calls = vec![ongoing("call_a", None)];
    let out = classify(&rows, &truth(calls, answers), now(), HOUR);
    assert_eq!(
        out.agreeing, 1,
        "exactly the longest call is not impossible yet"
    );
    assert_eq!(out.impossible_age.len(), 2, "{out:#?}");
    assert_eq!(out.impossible_age[0].age_seconds, 3601);
    assert_eq!(
        out.impossible_age[0].provider_status.as_deref(),
        Some("ongoing")
    );
    assert_eq!(out.impossible_age[1].provider_status, None);
    assert!(!out.all_agree());
}

#[test]
fn an_old_row_whose_call_ended_is_a_ghost_not_an_impossible_age() {
    let rows = [row(1, CallSource::CallLogs, Some("call_a"), 5 * 86_400)];
    let answers = vec![("call_a", record(CallProvider::Retell, "error", None))];
    let out = classify(&rows, &truth(vec![], answers), now(), HOUR);
    assert_eq!(out.ghosts.len(), 1);
    assert!(out.impossible_age.is_empty());
}

#[test]
fn rows_not_asked_or_with_unknown_statuses_are_unchecked() {
    let rows = [
        row(1, CallSource::CallLogs, Some("call_a"), 60),
        row(2, CallSource::CallLogs, Some("call_b"), 60),
        row(3, CallSource::BroadcastQueue, Some(SID), 60),
    ];
    let answers = vec![
        ("call_a", record(CallProvider::Retell, "transferring", None)),
        (
            SID,
            ProviderAnswer::CouldNotAsk("Twilio is not configured".into()),
        ),
    ];
    let out = classify(&rows, &truth(vec![], answers), now(), HOUR);
    assert_eq!(out.unchecked.len(), 3, "{out:#?}");
    assert!(out.unchecked[0].why.contains("transferring"));
    assert!(out.unchecked[1].why.contains("not asked"));
    assert_eq!(out.unchecked[2].why, "Twilio is not configured");
    assert!(out.all_agree(), "not knowing is no disagreement");
}

#[test]
fn rows_without_an_asked_provider_id_are_left_out() {
    let rows = [
        row(1, CallSource::CallLogs, None, 60),
        row(2, CallSource::CallLogs, Some("  "), 60),
        row(3, CallSource::CallLogs, Some("v3:telnyx-control-id"), 60),
    ];
    let out = classify(&rows, &ProviderTruth::default(), now(), HOUR);
    assert_eq!(out, Reconciliation::default());
}

#[test]
fn liveness_reads_each_providers_words() {
    let retell = CallProvider::Retell;
    let twilio = CallProvider::Twilio;
    assert_eq!(liveness(&retell, "registered"), Liveness::Live);
    assert_eq!(liveness(&retell, "not_connected"), Liveness::Ended);
    assert_eq!(liveness(&twilio, "in-progress"), Liveness::Live);
    assert_eq!(liveness(&twilio, "no-answer"), Liveness::Ended);
    assert_eq!(liveness(&twilio, "ended"), Liveness::Unknown);
    assert_eq!(liveness(&CallProvider::Telnyx, "ended"), Liveness::Unknown);
}

#[test]
fn a_call_that_ended_after_the_rows_were_read_is_no_ghost() {
    let rows = [
        row(1, CallSource::CallLogs, Some("call_a"), 60),
        row(2, CallSource::CallLogs, Some("call_b"), 60),
    ];
    let ended_at = |secs: i64| {
        let mut answer = record(CallProvider::Retell, "ended", None);
        if let ProviderAnswer::Record(r) = &mut answer {
            r.ended_at = Some(now() - chrono::Duration::seconds(secs));
        }
        answer
    };
    let answers = vec![("call_a", ended_at(4)), ("call_b", ended_at(6))];
    let out = classify(&rows, &truth(vec![], answers), now(), HOUR);
    assert_eq!(out.agreeing, 1, "ended 4 s before the read: a race");
    let ghosts: Vec<&str> = out
        .ghosts
        .iter()
        .map(|g| g.provider_call_id.as_str())
        .collect();
    assert_eq!(ghosts, ["call_b"]);
}

#[test]
fn a_call_that_started_after_the_rows_were_read_is_no_orphan() {
    let started = |id: &str, secs: i64| OngoingCall {
        started_at: Some(now() - chrono::Duration::seconds(secs)),
        ..ongoing(id, None)
    };
    let calls = vec![
        started("call_new", 4),
        started("call_old", 6),
        started("call_late", -2),
    ];
    let out = classify(&[], &truth(calls, vec![]), now(), HOUR);
    let ids: Vec<&str> = out
        .orphans
        .iter()
        .map(|o| o.provider_call_id.as_str())
        .collect();
    assert_eq!(ids, ["call_old"]);
    assert_eq!(out.provider_ongoing, 3);
}

#[test]
fn an_inbound_call_agrees_with_its_row_and_is_never_an_orphan() {
    let inbound = |id: &str| OngoingCall {
        inbound: true,
        ..ongoing(id, None)
    };
    let rows = [row(1, CallSource::CallLogs, Some("call_in"), 60)];
    let calls = vec![inbound("call_in"), inbound("call_other")];
    let out = classify(&rows, &truth(calls, vec![]), now(), HOUR);
    assert_eq!(out.agreeing, 1);
    assert!(out.orphans.is_empty(), "{out:#?}");
    assert_eq!(out.provider_ongoing, 2);
}
