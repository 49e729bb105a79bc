//! `Store::apply_cleanup`: each rule's write lands within the platform's CHECKs, a row
//! that moved on since the preview is skipped and untouched, redial holds are never
//! touched, and two consoles applying the same plan change each row once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use launchdeck_core::cleanup::{CleanupWrite, LeftAlone, ProviderAnswer, Verdict, decide};
use launchdeck_core::domain::{CallProvider, InFlightSnapshot, LogFilter, ProviderCallRecord};
use launchdeck_store::Store;
use launchdeck_store::sqlite::parse_timestamp;
use serde_json::json;
use uuid::Uuid;

use super::{
    Seeder, USER_A1, all, at_ago, broadcast, call_log, campaign, claim, dialing_row, id, new_seed,
    queue_row,
};

const SID_DONE: &str = "CA00000000000000000000000000000042";
const SID_FAILED: &str = "CA000000000000000000000000000000ff";

async fn snapshot(store: &dyn Store) -> InFlightSnapshot {
    store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight")
}

/// The writes the rules make for the rows `ns`, given each row's provider answer
/// (not asked unless listed).
fn writes_for(
    snap: &InFlightSnapshot,
    ns: &[u128],
    answers: &BTreeMap<Uuid, ProviderAnswer>,
) -> Vec<CleanupWrite> {
    ns.iter()
        .map(|n| {
            let call = snap
                .calls
                .iter()
                .find(|c| c.id == id(*n))
                .unwrap_or_else(|| panic!("row {n} is not in flight"));
            let answer = answers.get(&call.id).unwrap_or(&ProviderAnswer::NotAsked);
            match decide(call, answer, snap.db_now) {
                Verdict::Write(w) => w,
                other => panic!("row {n}: expected a write, got {other:?}"),
            }
        })
        .collect()
}

/// One column of one row as text (`None`: NULL).
async fn column(seeder: &dyn Seeder, table: &str, col: &str, n: u128) -> Option<String> {
    let rows = seeder
        .texts(&format!(
            "SELECT CAST({col} AS text) FROM {table} WHERE id = '{}'",
            id(n)
        ))
        .await;
    rows.into_iter()
        .next()
        .unwrap_or_else(|| panic!("{table} row {n} is gone"))
        .remove(0)
}

async fn time_column(
    seeder: &dyn Seeder,
    table: &str,
    col: &str,
    n: u128,
) -> Option<DateTime<Utc>> {
    column(seeder, table, col, n)
        .await
        .map(|t| parse_timestamp(&t).unwrap_or_else(|| panic!("{table}.{col} {t:?}")))
}

fn near_now(at: Option<DateTime<Utc>>) -> bool {
    at.is_some_and(|at| (Utc::now() - at).num_seconds().abs() < 60)
}

fn ended(
    provider: CallProvider,
    status: &str,
    reason: Option<&str>,
    secs: Option<i64>,
) -> ProviderAnswer {
    ProviderAnswer::Record(ProviderCallRecord {
        provider,
        call_id: "x".into(),
        status: status.into(),
        reason: reason.map(str::to_string),
        started_at: None,
        ended_at: Some(at_ago(100)),
        duration_seconds: secs,
        cost: None,
    })
}

/// Every rule's write, applied to real rows: the values the platform expects and its
/// CHECKs accept.
pub async fn cleanup_applies_each_rule(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    let long_ago = json!({"scheduled_at": super::ago(3000)});
    queue_row(&mut data, id(100), b1, "calling", 600, long_ago.clone());
    let mut retry = long_ago.clone();
    super::merge(&mut retry, json!({"attempts": 0, "max_attempts": 2}));
    queue_row(&mut data, id(101), b1, "calling", 600, retry);
    queue_row(
        &mut data,
        id(102),
        b1,
        "calling",
        600,
        json!({"call_sid": SID_DONE}),
    );
    queue_row(
        &mut data,
        id(103),
        b1,
        "calling",
        600,
        json!({"call_sid": SID_FAILED}),
    );
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    dialing_row(
        &mut data,
        id(110),
        c1,
        USER_A1,
        "calling",
        600,
        json!({"attempts": 3}),
    );
    dialing_row(
        &mut data,
        id(111),
        c1,
        USER_A1,
        "calling",
        600,
        json!({"notes": "dialer: first try", "scheduled_at": super::ago(3000)}),
    );
    call_log(
        &mut data,
        id(120),
        USER_A1,
        Some(c1),
        "ringing",
        600,
        json!({}),
    );
    call_log(
        &mut data,
        id(121),
        USER_A1,
        Some(c1),
        "queued",
        600,
        json!({}),
    );
    for (n, call_id, extra) in [
        (122, "call_a", json!({})),
        (123, "call_b", json!({})),
        (124, "call_c", json!({})),
        (125, "call_d", json!({"outcome": "callback"})),
    ] {
        let mut row = json!({"retell_call_id": call_id});
        super::merge(&mut row, extra);
        call_log(&mut data, id(n), USER_A1, Some(c1), "ringing", 4000, row);
    }
    seeder.load(&data).await;

    let snap = snapshot(store).await;
    let answers = BTreeMap::from([
        (
            id(102),
            ended(CallProvider::Twilio, "completed", None, Some(42)),
        ),
        (
            id(103),
            ended(
                CallProvider::Twilio,
                "failed",
                Some("31005: Connection error"),
                None,
            ),
        ),
        (
            id(122),
            ended(CallProvider::Retell, "ended", Some("user_hangup"), Some(60)),
        ),
        (
            id(123),
            ended(
                CallProvider::Retell,
                "ended",
                Some("voicemail_reached"),
                Some(30),
            ),
        ),
        (
            id(124),
            ended(
                CallProvider::Retell,
                "not_connected",
                Some("dial_busy"),
                None,
            ),
        ),
        (
            id(125),
            ended(CallProvider::Retell, "error", Some("error_retell"), None),
        ),
    ]);
    let rows = [100, 101, 102, 103, 110, 111, 120, 121, 122, 123, 124, 125];
    let writes = writes_for(&snap, &rows, &answers);
    let results = store.apply_cleanup(&writes).await.expect("apply_cleanup");
    assert_eq!(results.len(), writes.len());
    for (w, r) in writes.iter().zip(&results) {
        assert_eq!(
            (r.source, r.id),
            (w.source, w.id),
            "one result per write, in order"
        );
        assert!(r.changed, "{:?} {} changed", r.source, r.id);
        assert_eq!(r.status_now.as_deref(), Some(w.new_status.as_str()));
    }

    let bq = |col, n| column(seeder, "broadcast_queue", col, n);
    assert_eq!(bq("status", 100).await.as_deref(), Some("failed"));
    assert_eq!(bq("error_code", 100).await.as_deref(), Some("TIMEOUT"));
    assert_eq!(
        bq("error_message", 100).await.as_deref(),
        Some("launchdeck timed it out after 10 min in calling")
    );
    assert_eq!(bq("status", 101).await.as_deref(), Some("pending"));
    assert!(
        near_now(time_column(seeder, "broadcast_queue", "scheduled_at", 101).await),
        "rescheduled now"
    );
    assert_eq!(bq("error_code", 101).await, None);
    assert_eq!(bq("status", 102).await.as_deref(), Some("completed"));
    assert_eq!(
        bq("call_duration_seconds", 102).await.as_deref(),
        Some("42")
    );
    assert_eq!(bq("status", 103).await.as_deref(), Some("failed"));
    assert_eq!(
        bq("error_message", 103).await.as_deref(),
        Some("Twilio says the call failed: 31005: Connection error")
    );
    assert!(
        near_now(time_column(seeder, "broadcast_queue", "updated_at", 100).await),
        "the platform's trigger moved updated_at"
    );

    let dq = |col, n| column(seeder, "dialing_queues", col, n);
    assert_eq!(dq("status", 110).await.as_deref(), Some("failed"));
    assert_eq!(
        dq("notes", 110).await.as_deref(),
        Some("launchdeck timed it out after 10 min in calling: max attempts (3) reached")
    );
    assert_eq!(dq("status", 111).await.as_deref(), Some("pending"));
    assert!(near_now(
        time_column(seeder, "dialing_queues", "scheduled_at", 111).await
    ));
    assert_eq!(
        dq("notes", 111).await.as_deref(),
        Some("dialer: first try\nlaunchdeck timed it out after 10 min in calling: back to pending"),
        "the reason is appended, the earlier note kept"
    );

    let logs = store
        .call_log_window(&all(), &LogFilter::default(), 100)
        .await
        .expect("call_log_window");
    let log = |n: u128| {
        logs.iter()
            .find(|l| l.id == id(n))
            .unwrap_or_else(|| panic!("call_log {n} missing"))
    };
    let want = [
        (120, "no_answer", Some("no_answer"), true),
        (121, "failed", Some("failed"), false),
        (122, "completed", Some("completed"), true),
        (123, "voicemail", Some("voicemail"), true),
        (124, "busy", Some("busy"), true),
        (125, "failed", Some("callback"), true),
    ];
    for (n, status, outcome, has_end) in want {
        let l = log(n);
        assert_eq!(l.status, status, "call_log {n}");
        assert_eq!(
            l.outcome.as_deref(),
            outcome,
            "call_log {n}: an outcome already set is kept"
        );
        assert_eq!(l.ended_at.is_some(), has_end, "call_log {n} ended_at");
        assert!(
            l.notes.as_deref().unwrap_or("").starts_with("launchdeck"),
            "call_log {n} notes"
        );
    }
    assert!(near_now(log(120).ended_at), "timed out: ended now");
    let provider_end = log(122).ended_at.expect("ended_at");
    assert!(
        (provider_end - at_ago(100)).num_seconds().abs() < 2,
        "the provider's end time"
    );
    assert_eq!(log(122).duration_seconds, Some(60));
    assert_eq!(
        log(122).notes.as_deref(),
        Some("launchdeck: Retell says the call ended (user_hangup)")
    );
    assert!(
        store
            .apply_cleanup(&[])
            .await
            .expect("nothing to apply")
            .is_empty()
    );
}

/// A row changed between the preview and the apply (its status, or only its
/// updated_at, or a call_log's ended_at) is skipped, reported with its status now, and
/// left exactly as the other writer left it.
pub async fn cleanup_skips_rows_that_moved_on(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    for n in [200, 201, 202] {
        queue_row(&mut data, id(n), b1, "calling", 600, json!({}));
    }
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    for n in [210, 211] {
        dialing_row(&mut data, id(n), c1, USER_A1, "calling", 600, json!({}));
    }
    for n in [220, 221, 222] {
        call_log(
            &mut data,
            id(n),
            USER_A1,
            Some(c1),
            "ringing",
            600,
            json!({}),
        );
    }
    seeder.load(&data).await;
    let snap = snapshot(store).await;
    let writes = writes_for(
        &snap,
        &[200, 201, 202, 210, 211, 220, 221, 222],
        &BTreeMap::new(),
    );

    let moved = [
        format!(
            "UPDATE broadcast_queue SET status = 'completed' WHERE id = '{}'",
            id(200)
        ),
        format!(
            "UPDATE broadcast_queue SET attempts = 2 WHERE id = '{}'",
            id(201)
        ),
        format!(
            "UPDATE dialing_queues SET status = 'completed' WHERE id = '{}'",
            id(210)
        ),
        format!(
            "UPDATE call_logs SET ended_at = '2026-01-01T00:00:00.000000Z' WHERE id = '{}'",
            id(220)
        ),
        format!(
            "UPDATE call_logs SET status = 'completed' WHERE id = '{}'",
            id(221)
        ),
    ];
    for sql in &moved {
        seeder.execute(sql).await;
    }
    let results = store.apply_cleanup(&writes).await.expect("apply_cleanup");
    let got: Vec<(Uuid, bool, Option<&str>)> = results
        .iter()
        .map(|r| (r.id, r.changed, r.status_now.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (id(200), false, Some("completed")),
            (id(201), false, Some("calling")),
            (id(202), true, Some("failed")),
            (id(210), false, Some("completed")),
            (id(211), true, Some("pending")),
            (id(220), false, Some("ringing")),
            (id(221), false, Some("completed")),
            (id(222), true, Some("no_answer")),
        ]
    );
    let bq = |col, n| column(seeder, "broadcast_queue", col, n);
    assert_eq!(
        bq("status", 201).await.as_deref(),
        Some("calling"),
        "not clobbered"
    );
    assert_eq!(bq("error_code", 200).await, None);
    assert_eq!(bq("error_code", 201).await, None);
    assert_eq!(column(seeder, "dialing_queues", "notes", 210).await, None);
    for n in [220, 221] {
        assert_eq!(
            column(seeder, "call_logs", "notes", n).await,
            None,
            "call_log {n}"
        );
        assert_eq!(
            column(seeder, "call_logs", "outcome", n).await,
            None,
            "call_log {n}"
        );
    }
    assert_eq!(
        column(seeder, "call_logs", "status", 220).await.as_deref(),
        Some("ringing")
    );
}

/// Rows under a redial hold are left alone by the rules, and even a stale plan that
/// would write them is refused by the store's conditions.
pub async fn cleanup_never_touches_redial_holds(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let c1 = id(2);
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    dialing_row(&mut data, id(300), c1, USER_A1, "calling", 600, json!({}));
    dialing_row(&mut data, id(301), c1, USER_A1, "calling", 600, json!({}));
    call_log(
        &mut data,
        id(330),
        USER_A1,
        Some(c1),
        "failed",
        600,
        json!({}),
    );
    call_log(
        &mut data,
        id(331),
        USER_A1,
        Some(c1),
        "failed",
        600,
        json!({"provider_reconciliation_required": true, "provider_reconciliation_queue_id": id(301)}),
    );
    call_log(
        &mut data,
        id(320),
        USER_A1,
        Some(c1),
        "queued",
        600,
        json!({"provider_reconciliation_required": true}),
    );
    claim(
        &mut data,
        id(340),
        id(330),
        USER_A1,
        Some(id(300)),
        "claimed",
        600,
    );
    seeder.load(&data).await;

    let snap = snapshot(store).await;
    let held = [300, 301, 320];
    let mut stale = Vec::new();
    for n in held {
        let call = snap
            .calls
            .iter()
            .find(|c| c.id == id(n))
            .expect("in flight");
        assert!(call.redial_hold, "row {n} is held");
        assert_eq!(
            decide(call, &ProviderAnswer::NotAsked, snap.db_now),
            Verdict::LeaveAlone(LeftAlone::RedialHold),
            "row {n}"
        );
        let mut unheld = call.clone();
        unheld.redial_hold = false;
        match decide(&unheld, &ProviderAnswer::NotAsked, snap.db_now) {
            Verdict::Write(w) => stale.push(w),
            other => panic!("row {n}: {other:?}"),
        }
    }
    let results = store.apply_cleanup(&stale).await.expect("apply_cleanup");
    assert!(results.iter().all(|r| !r.changed), "{results:?}");
    let now: Vec<Option<&str>> = results.iter().map(|r| r.status_now.as_deref()).collect();
    assert_eq!(now, [Some("calling"), Some("calling"), Some("queued")]);
    for n in [300, 301] {
        assert_eq!(column(seeder, "dialing_queues", "notes", n).await, None);
    }
    assert_eq!(column(seeder, "call_logs", "notes", 320).await, None);
}

/// Two consoles apply the same plan at once: every row changes exactly once, the
/// changed counts add up to the plan, and no note is appended twice.
pub async fn cleanup_concurrent_applies_change_each_row_once(
    store: &dyn Store,
    seeder: &dyn Seeder,
) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    let mut rows = Vec::new();
    for k in 0..20 {
        queue_row(&mut data, id(400 + k), b1, "calling", 600, json!({}));
        dialing_row(
            &mut data,
            id(500 + k),
            c1,
            USER_A1,
            "calling",
            600,
            json!({}),
        );
        call_log(
            &mut data,
            id(600 + k),
            USER_A1,
            Some(c1),
            "queued",
            600,
            json!({}),
        );
        rows.extend([400 + k, 500 + k, 600 + k]);
    }
    seeder.load(&data).await;
    let snap = snapshot(store).await;
    let writes = writes_for(&snap, &rows, &BTreeMap::new());

    let (first, second) = tokio::join!(store.apply_cleanup(&writes), store.apply_cleanup(&writes));
    let (first, second) = (
        first.expect("first console"),
        second.expect("second console"),
    );
    for ((w, a), b) in writes.iter().zip(&first).zip(&second) {
        assert!(
            a.changed != b.changed,
            "{:?} {}: changed by exactly one console",
            w.source,
            w.id
        );
        assert_eq!(a.status_now.as_deref(), Some(w.new_status.as_str()));
        assert_eq!(b.status_now.as_deref(), Some(w.new_status.as_str()));
    }
    let changed = |results: &[launchdeck_core::cleanup::CleanupWriteResult]| {
        results.iter().filter(|r| r.changed).count()
    };
    assert_eq!(changed(&first) + changed(&second), writes.len());
    for k in 0..20 {
        let notes = column(seeder, "dialing_queues", "notes", 500 + k)
            .await
            .unwrap_or_default();
        assert_eq!(notes.matches("launchdeck").count(), 1, "{notes:?}");
    }
}
