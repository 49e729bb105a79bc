//! Realistic platform data for the TUI tests and the render bench, on a fixed clock.
#![allow(dead_code)]

pub mod plans;
pub mod readiness;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use launchdeck_core::actions::{StatusRow, StatusTable, StatusTarget};
use launchdeck_core::domain::{
    Alert, BroadcastProgress, CallLogEntry, CallSource, CampaignProgress, InFlightCall,
    InFlightSnapshot, OpenClaim, Scope, StatusCounts,
};
use launchdeck_core::stop::{StopRowSpec, StopScope};
use launchdeck_ops::actions::ActionPlan;
use launchdeck_ops::actions::stop::{StopPlan, StopRequest};
use launchdeck_store::DbInfo;
use launchdeck_tui::model::{AlertsData, LiveData, LogsData, ProgressData};
use launchdeck_tui::{App, Clock, Keymap, Msg, PollData, TuiOptions, update};
use ratatui::layout::Rect;
use uuid::Uuid;

/// The database clock of every snapshot: 2026-11-24 14:30:00 UTC.
pub fn db_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 30, 0)
        .single()
        .expect("valid date")
}

/// Time passed on screen since the snapshots arrived.
pub const SINCE_ARRIVAL: Duration = Duration::from_secs(2);

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x5e1f_0000_0000_4000_8000_0000_0000_0000 + n)
}

pub fn ago(secs: i64) -> DateTime<Utc> {
    db_now() - chrono::Duration::seconds(secs)
}

pub fn options() -> TuiOptions {
    TuiOptions {
        environment_name: Some("production".to_string()),
        timezone: Some(chrono_tz::UTC),
        audit_file: Some("audit.jsonl".into()),
        ..TuiOptions::default()
    }
}

/// An App with nothing polled yet, its clock at `base + SINCE_ARRIVAL`.
pub fn empty_app(base: Instant, width: u16, height: u16, options: TuiOptions) -> App {
    let keymap = Keymap::with_overrides(&options.key_overrides).expect("default keys");
    let clock = Clock {
        now: base + SINCE_ARRIVAL,
        wall: db_now() + chrono::Duration::from_std(SINCE_ARRIVAL).expect("short"),
    };
    App::new(options, keymap, clock, Rect::new(0, 0, width, height))
}

/// An App that has received one poll of every source and one whole readiness run.
pub fn full_app(width: u16, height: u16, options: TuiOptions) -> App {
    let base = Instant::now();
    let mut app = empty_app(base, width, height, options);
    for data in all_data(base, &app.options.thresholds) {
        update(&mut app, Msg::Data(data));
    }
    readiness::run(&mut app, base, &launchdeck_core::readiness::Area::ALL, true);
    app
}

pub fn all_data(
    base: Instant,
    thresholds: &launchdeck_core::stuck::StuckThresholds,
) -> Vec<PollData> {
    vec![
        PollData::Live(LiveData::new(base, &db_info(), snapshot(), thresholds)),
        PollData::Logs(LogsData::new(base, log_entries())),
        PollData::Progress(ProgressData::new(base, broadcasts(), campaigns())),
        PollData::Alerts(AlertsData::new(base, alerts())),
    ]
}

pub fn db_info() -> DbInfo {
    DbInfo {
        round_trip: Duration::from_millis(3),
        db_now: db_now(),
        server_version: "PostgreSQL 17.2".to_string(),
        transaction_pooler: false,
        backend: "postgres",
        replica: None,
    }
}

pub const SPRING: &str = "Spring renewals — Austin";
pub const RECALL: &str = "Dental recall Q4";
pub const SOLAR: &str = "Solar leads — Phoenix";
pub const MEDICARE: &str = "Medicare AEP follow-up";

fn call(
    n: u128,
    source: CallSource,
    state: &str,
    age_secs: i64,
    phone: &str,
    provider_id: Option<&str>,
) -> InFlightCall {
    let (broadcast_id, campaign_id, parent) = match source {
        CallSource::BroadcastQueue => (Some(id(900)), None, SPRING),
        CallSource::CallLogs | CallSource::DialingQueues => (None, Some(id(950)), SOLAR),
    };
    InFlightCall {
        source,
        id: id(n),
        state: state.to_string(),
        since: ago(age_secs),
        phone: phone.to_string(),
        provider_call_id: provider_id.map(str::to_string),
        broadcast_id,
        campaign_id,
        parent_name: Some(parent.to_string()),
        attempts: 1,
        max_attempts: 3,
        redial_hold: false,
    }
}

/// Calls in flight: some live, three stuck, one past the longest call.
pub fn in_flight_calls() -> Vec<InFlightCall> {
    use CallSource::*;
    let mut calls = vec![
        call(
            1,
            BroadcastQueue,
            "calling",
            45,
            "+15125550143",
            Some("CA9f2c41d7e8b04a1f9e3c2b7a6d5e4f31"),
        ),
        call(
            2,
            BroadcastQueue,
            "calling",
            130,
            "+15125550187",
            Some("CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b"),
        ),
        call(
            3,
            BroadcastQueue,
            "calling",
            7 * 60 + 12,
            "+15125550122",
            None,
        ),
        call(4, CallLogs, "queued", 3 * 60 + 5, "+16025550178", None),
        call(
            5,
            CallLogs,
            "ringing",
            20,
            "+16025550111",
            Some("call_8f3a2b1c9d0e4f5a6b7c8d9e"),
        ),
        call(
            6,
            CallLogs,
            "ringing",
            65 * 60,
            "+16025550164",
            Some("call_1d2e3f4a5b6c7d8e9f0a1b2c"),
        ),
        call(
            7,
            DialingQueues,
            "calling",
            95,
            "+16025550190",
            Some("call_5a6b7c8d9e0f1a2b3c4d5e6f"),
        ),
        call(
            8,
            DialingQueues,
            "calling",
            4 * 60 + 40,
            "+16025550105",
            None,
        ),
        call(
            9,
            BroadcastQueue,
            "calling",
            12,
            "+15125550166",
            Some("CA44ee21b07c3d9a8f6e5d4c3b2a190817"),
        ),
    ];
    calls[1].attempts = 2;
    calls[2].attempts = 3;
    calls[5].redial_hold = true;
    calls
}

pub fn snapshot() -> InFlightSnapshot {
    InFlightSnapshot {
        db_now: db_now(),
        calls: in_flight_calls(),
        open_claims: vec![
            OpenClaim {
                id: id(300),
                status: "claimed".to_string(),
                claimed_at: ago(30),
                queue_id: Some(id(7)),
                campaign_id: Some(id(950)),
                destination_phone: Some("+16025550190".to_string()),
            },
            OpenClaim {
                id: id(301),
                status: "acceptance_unknown".to_string(),
                claimed_at: ago(6 * 60),
                queue_id: Some(id(8)),
                campaign_id: Some(id(950)),
                destination_phone: Some("+16025550105".to_string()),
            },
        ],
        manual_required_jobs: 1,
    }
}

/// `n` calls in flight spread over the three sources, a tenth of them stuck.
pub fn many_calls(n: usize) -> InFlightSnapshot {
    let sources = [
        CallSource::BroadcastQueue,
        CallSource::CallLogs,
        CallSource::DialingQueues,
    ];
    let calls = (0..n)
        .map(|i| {
            let source = sources[i % 3];
            let age = if i % 10 == 0 { 900 } else { (i % 100) as i64 };
            let provider = (i % 10 != 0).then(|| format!("call_{i:024x}"));
            let phone = format!("+1512555{:04}", i % 10_000);
            let state = if source == CallSource::CallLogs {
                "ringing"
            } else {
                "calling"
            };
            call(
                10_000 + i as u128,
                source,
                state,
                age,
                &phone,
                provider.as_deref(),
            )
        })
        .collect();
    InFlightSnapshot {
        db_now: db_now(),
        calls,
        open_claims: Vec::new(),
        manual_required_jobs: 0,
    }
}

fn counts(pairs: &[(&str, i64)]) -> StatusCounts {
    let mut c = StatusCounts::default();
    for (status, n) in pairs {
        c.add(status, *n);
    }
    c
}

pub fn broadcasts() -> Vec<BroadcastProgress> {
    vec![
        BroadcastProgress {
            id: id(900),
            name: SPRING.to_string(),
            status: "active".to_string(),
            counts: counts(&[
                ("pending", 1_180),
                ("calling", 4),
                ("answered", 212),
                ("voicemail", 301),
                ("no_answer", 188),
                ("failed", 57),
                ("transferred", 18),
                ("callback", 6),
                ("completed", 34),
            ]),
            finished_per_minute: vec![9, 11, 12, 10, 14, 15, 13, 12, 16, 18, 17, 15, 14, 16, 12],
        },
        BroadcastProgress {
            id: id(901),
            name: RECALL.to_string(),
            status: "paused".to_string(),
            counts: counts(&[
                ("pending", 420),
                ("answered", 61),
                ("failed", 4),
                ("voicemail", 35),
            ]),
            finished_per_minute: vec![0; 15],
        },
    ]
}

pub fn campaigns() -> Vec<CampaignProgress> {
    vec![
        CampaignProgress {
            id: id(950),
            name: SOLAR.to_string(),
            status: "active".to_string(),
            agent_id: Some("agent_3f9c1e7a2b".to_string()),
            queue_counts: counts(&[
                ("pending", 640),
                ("calling", 3),
                ("completed", 257),
                ("failed", 22),
            ]),
            log_counts: counts(&[
                ("queued", 1),
                ("ringing", 2),
                ("completed", 198),
                ("no_answer", 49),
                ("failed", 22),
                ("busy", 8),
            ]),
            log_picked_up: 171,
            calls_per_minute: vec![3, 4, 4, 5, 6, 5, 4, 6, 7, 6, 5, 6, 5, 4, 5],
        },
        CampaignProgress {
            id: id(951),
            name: MEDICARE.to_string(),
            status: "draft".to_string(),
            agent_id: Some("agent_77ab01cd9e".to_string()),
            queue_counts: counts(&[("pending", 2_500)]),
            log_counts: StatusCounts::default(),
            log_picked_up: 0,
            calls_per_minute: vec![0; 15],
        },
    ]
}

fn log(n: u128, source: CallSource, status: &str, age_secs: i64) -> CallLogEntry {
    let created = ago(age_secs);
    let (broadcast_id, campaign_id, parent, provider) = match source {
        CallSource::BroadcastQueue => (Some(id(900)), None, SPRING, "twilio_classic"),
        _ => (None, Some(id(950)), SOLAR, "retell"),
    };
    CallLogEntry {
        source,
        id: id(n),
        status: status.to_string(),
        outcome: None,
        duration_seconds: None,
        cost: None,
        notes: None,
        phone: format!("+1602555{:04}", 100 + n % 900),
        caller_id: Some("+16025550000".to_string()),
        provider: Some(provider.to_string()),
        provider_call_id: Some(match source {
            CallSource::BroadcastQueue => format!("CA{n:032x}"),
            _ => format!("call_{n:020x}"),
        }),
        broadcast_id,
        campaign_id,
        parent_name: Some(parent.to_string()),
        agent_id: (source == CallSource::CallLogs).then(|| "agent_3f9c1e7a2b".to_string()),
        created_at: created,
        answered_at: None,
        ended_at: None,
        updated_at: created,
        call_summary: None,
        reconciliation_required: false,
    }
}

fn answered(mut e: CallLogEntry, ring: i64, talk: i32, cost: f64) -> CallLogEntry {
    e.outcome = Some("answered".to_string());
    e.answered_at = Some(e.created_at + chrono::Duration::seconds(ring));
    e.ended_at = Some(e.created_at + chrono::Duration::seconds(ring + i64::from(talk)));
    // call_logs are listed by creation, queue rows by their last change
    if e.source == CallSource::BroadcastQueue {
        e.updated_at = e.ended_at.unwrap_or(e.created_at);
        e.answered_at = None;
        e.ended_at = None;
    } else {
        e.updated_at = e.ended_at.unwrap_or(e.created_at);
    }
    e.duration_seconds = Some(talk);
    e.cost = Some(cost);
    e
}

/// The call log, newest first as the store lists it: calls by creation, queue rows by
/// their last change.
pub fn log_entries() -> Vec<CallLogEntry> {
    let mut entries = unordered_log_entries();
    entries.sort_by_key(|e| {
        std::cmp::Reverse(match e.source {
            CallSource::BroadcastQueue => e.updated_at,
            _ => e.created_at,
        })
    });
    entries
}

fn unordered_log_entries() -> Vec<CallLogEntry> {
    use CallSource::*;
    let mut booked = answered(log(100, CallLogs, "completed", 70), 6, 48, 0.07);
    booked.call_summary = Some(
        "Homeowner interested in a rooftop estimate; booked a site visit for Thursday 10:00 and asked for a text confirmation."
            .to_string(),
    );
    booked.notes = Some("appointment booked".to_string());
    let mut no_answer = log(101, CallLogs, "no_answer", 75);
    no_answer.ended_at = Some(no_answer.created_at + chrono::Duration::seconds(30));
    no_answer.duration_seconds = Some(0);
    let mut timed_out = log(102, BroadcastQueue, "failed", 95);
    timed_out.notes = Some("TIMEOUT: launchdeck timed it out after 5 min in calling".to_string());
    timed_out.provider_call_id = None;
    let mut voicemail = log(103, BroadcastQueue, "voicemail", 130);
    voicemail.outcome = Some("machine".to_string());
    voicemail.duration_seconds = Some(31);
    voicemail.cost = Some(0.0085);
    let mut busy = log(104, CallLogs, "busy", 160);
    busy.notes = Some("carrier: user busy".to_string());
    let transferred = answered(log(105, BroadcastQueue, "transferred", 210), 4, 62, 0.05);
    let mut hostile = answered(log(106, CallLogs, "completed", 260), 9, 95, 0.14);
    hostile.notes = Some("caller said \u{1b}[31mSTOP\u{1b}[0m calling\u{7}".to_string());
    let mut held = log(107, CallLogs, "failed", 320);
    held.reconciliation_required = true;
    held.notes = Some("create-call timed out: acceptance unknown".to_string());
    vec![
        booked,
        no_answer,
        timed_out,
        voicemail,
        busy,
        transferred,
        hostile,
        held,
        answered(log(108, CallLogs, "completed", 400), 5, 201, 0.29),
        answered(log(109, BroadcastQueue, "answered", 455), 3, 27, 0.02),
    ]
}

pub fn alerts() -> Vec<Alert> {
    let alert = |n: u128, severity: &str, title: Option<&str>, message: &str, age: i64| Alert {
        id: id(n),
        user_id: id(1000),
        alert_type: "system".to_string(),
        severity: severity.to_string(),
        title: title.map(str::to_string),
        message: message.to_string(),
        related_id: None,
        related_type: None,
        created_at: ago(age),
    };
    vec![
        alert(
            500,
            "critical",
            Some("Retell concurrency"),
            "20 of 20 concurrent calls in use; new dials wait",
            120,
        ),
        alert(
            501,
            "warning",
            Some("Calendar token"),
            "Google token for ops@example.com expires in 6 min",
            600,
        ),
        alert(
            502,
            "info",
            None,
            "Broadcast Dental recall Q4 paused by ops",
            3_600,
        ),
    ]
}

/// A stop plan for `request`'s target, as ops would preview it (one live call).
pub fn stop_plan(request: &StopRequest) -> ActionPlan {
    let (table, id) = match request.scope {
        StopScope::Broadcast(id) => (StatusTable::VoiceBroadcasts, id),
        StopScope::Campaign(id) => (StatusTable::Campaigns, id),
        StopScope::All => panic!("the key stops the selection"),
    };
    let row = StatusRow {
        target: StatusTarget { table, id },
        name: "Renewals".into(),
        status: "active".into(),
        updated_at: None,
        in_scope: true,
    };
    ActionPlan::Stop(Box::new(StopPlan {
        scope: request.scope,
        row: Some(row),
        unavailable: None,
        expected: "Renewals".into(),
        confirmation: None,
        stop_row: StopRowSpec::for_scope(request.scope, &Scope::default(), "op@host"),
        existing: None,
        live_calls: in_flight_calls().into_iter().take(1).collect(),
        hang_up: false,
    }))
}
