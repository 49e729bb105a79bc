//! The simulator against a temp SQLite file and the fakes, through `Demo` (the same
//! assembly `launchdeck demo` uses), with short call durations and a fast rate. Tests
//! poll for conditions with generous deadlines; they never sleep to synchronise.

use std::collections::BTreeSet;
use std::time::Duration;

use launchdeck_core::domain::{CallSource, InFlightSnapshot, Scope};
use launchdeck_core::stuck::{StuckThresholds, Stuckness, classify};
use launchdeck_store::sqlite::{now_micros, parse_timestamp};
use launchdeck_testkit::{wait_for, wait_until};
use sqlx::SqlitePool;

use super::SimConfig;
use super::plan::{
    BROADCAST_QUEUE_STATUSES, CALL_LOG_STATUSES, retell_is_terminal, twilio_is_terminal,
};
use crate::demo::{Demo, DemoOptions};

const DEADLINE: Duration = Duration::from_secs(90);

/// Fast calls (a hundredth of real durations), no random events, no top-ups.
fn fast(rate: f64) -> SimConfig {
    SimConfig {
        rate,
        tick: Duration::from_millis(20),
        pace: 0.01,
        drop_report_probability: 0.0,
        token_expiry_every: None,
        agent_loss_every: None,
        refill_every: Duration::from_millis(100),
        refill_below: 0,
        refill_batch: 40,
        seed: Some(7),
        ..SimConfig::default()
    }
}

async fn start(dir: &tempfile::TempDir, simulator: SimConfig) -> Demo {
    let options = DemoOptions {
        simulator,
        faults: false,
        fresh: true,
        ..DemoOptions::default()
    };
    match Demo::start(dir.path(), options).await {
        Ok(demo) => demo,
        Err(e) => panic!("the demo did not start: {e}"),
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

async fn count(pool: &SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn distinct(pool: &SqlitePool, sql: &'static str) -> BTreeSet<String> {
    let values: Vec<Option<String>> = sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    values.into_iter().flatten().collect()
}

const A_PENDING: &str = "SELECT count(*) FROM broadcast_queue q JOIN voice_broadcasts b
    ON b.id = q.broadcast_id WHERE b.name = 'Summer savings voice blast' AND q.status = 'pending'";
const A_FINISHED: &str = "SELECT count(*) FROM broadcast_queue q JOIN voice_broadcasts b
    ON b.id = q.broadcast_id WHERE b.name = 'Summer savings voice blast'
    AND q.status NOT IN ('pending', 'calling')";
const CALL_LOGS_FINISHED: &str =
    "SELECT count(*) FROM call_logs WHERE status NOT IN ('queued', 'ringing')";
const DIALS_FINISHED: &str =
    "SELECT count(*) FROM dialing_queues WHERE status IN ('completed', 'failed')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_move_through_their_lifecycles_within_the_check_sets() {
    let dir = temp_dir();
    let demo = start(&dir, fast(60.0)).await;
    let pool = demo.sqlite().pool().clone();
    let seeded = demo.seeded().cloned();
    assert!(
        seeded.as_ref().is_some_and(|s| s.rows > 10_000),
        "{seeded:?}"
    );
    let pending = count(&pool, A_PENDING).await;
    let finished = count(&pool, A_FINISHED).await;
    let logs = count(&pool, CALL_LOGS_FINISHED).await;
    let dials = count(&pool, DIALS_FINISHED).await;
    let calls_made = count(&pool, "SELECT sum(calls_made) FROM voice_broadcasts").await;

    let moved = wait_until(DEADLINE, || {
        let pool = pool.clone();
        async move {
            count(&pool, A_PENDING).await <= pending - 60
                && count(&pool, A_FINISHED).await >= finished + 30
                && count(&pool, CALL_LOGS_FINISHED).await >= logs + 15
                && count(&pool, DIALS_FINISHED).await > dials
        }
    })
    .await;
    assert!(moved, "calls did not move: {:?}", demo.simulator_stats());
    assert!(count(&pool, "SELECT sum(calls_made) FROM voice_broadcasts").await > calls_made);

    let queue = distinct(&pool, "SELECT DISTINCT status FROM broadcast_queue").await;
    assert!(
        queue
            .iter()
            .all(|s| BROADCAST_QUEUE_STATUSES.contains(&s.as_str())),
        "{queue:?}"
    );
    let dialing = distinct(&pool, "SELECT DISTINCT status FROM dialing_queues").await;
    let allowed = ["pending", "calling", "completed", "failed", "removed"];
    assert!(
        dialing.iter().all(|s| allowed.contains(&s.as_str())),
        "{dialing:?}"
    );
    let statuses = distinct(&pool, "SELECT DISTINCT status FROM call_logs").await;
    assert!(
        statuses
            .iter()
            .all(|s| CALL_LOG_STATUSES.contains(&s.as_str())),
        "{statuses:?}"
    );
    let finished_logs = count(
        &pool,
        "SELECT count(*) FROM call_logs WHERE status NOT IN ('queued', 'ringing')
         AND (ended_at IS NULL OR outcome IS NULL)",
    )
    .await;
    assert_eq!(
        finished_logs, 0,
        "finished call_logs carry ended_at and outcome"
    );
    let stats = demo.simulator_stats();
    assert_eq!(stats.db_errors, 0, "{stats:?}");
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_report_leaves_a_row_that_becomes_stuck() {
    let dir = temp_dir();
    // Calls already live in the seed are adopted with their reports kept; only the
    // simulator's own dials (claimed after this instant) have theirs dropped.
    let started = launchdeck_store::sqlite::now_micros();
    let demo = start(
        &dir,
        SimConfig {
            drop_report_probability: 1.0,
            ..fast(40.0)
        },
    )
    .await;
    let pool = demo.sqlite().pool().clone();
    let dropped = wait_until(DEADLINE, || async {
        demo.simulator_stats().dropped_reports >= 8
    })
    .await;
    assert!(dropped, "{:?}", demo.simulator_stats());

    // A broadcast row whose Twilio call has ended still says `calling`.
    let calling: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, call_sid, updated_at FROM broadcast_queue
         WHERE status = 'calling' AND call_sid IS NOT NULL AND updated_at > ?1",
    )
    .bind(super::db::at(started))
    .fetch_all(&pool)
    .await
    .expect("calling rows");
    let twilio = demo.twilio().state();
    let ended: Vec<&(String, String, String)> = calling
        .iter()
        .filter(|(_, sid, _)| {
            twilio
                .call(sid)
                .is_some_and(|c| c["status"].as_str().is_some_and(twilio_is_terminal))
        })
        .collect();
    assert!(
        !ended.is_empty(),
        "no dropped broadcast report among {} rows",
        calling.len()
    );

    // Nothing touches those rows any more...
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 20
        })
        .await
    );
    for (id, _, updated_at) in &ended {
        let now: (String, String) =
            sqlx::query_as("SELECT status, updated_at FROM broadcast_queue WHERE id = ?1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("the row");
        assert_eq!(now, ("calling".to_string(), updated_at.clone()));
    }

    // ...so once the platform's stuck ages pass, the rules flag them, and the
    // campaign's lost create replies (no call id) too. The lost reply is read before the
    // snapshot, so the snapshot holds it (the simulator keeps dialling meanwhile).
    let lost_dial: Option<String> = sqlx::query_scalar(
        "SELECT id FROM dialing_queues WHERE status = 'calling' AND last_provider_call_id IS NULL
         AND dispatch_generation IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    .expect("dialing rows");
    let lost_dial = lost_dial.expect("a campaign dispatch whose create reply was lost");
    let snapshot = demo
        .store()
        .calls_in_flight(&Scope::default())
        .await
        .expect("calls in flight");
    let later = snapshot.db_now + chrono::Duration::minutes(6);
    let thresholds = StuckThresholds::default();
    let stuck = |source: CallSource, id: &str| {
        snapshot.calls.iter().any(|c| {
            c.source == source
                && c.id.to_string() == id
                && classify(c, later, &thresholds) == Stuckness::Stuck
        })
    };
    assert!(
        ended
            .iter()
            .all(|(id, _, _)| stuck(CallSource::BroadcastQueue, id))
    );
    assert!(stuck(CallSource::DialingQueues, &lost_dial));
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_state_agrees_with_the_database() {
    let dir = temp_dir();
    let demo = start(&dir, fast(40.0)).await;
    let pool = demo.sqlite().pool().clone();
    let facts = demo.facts().clone();
    let busy = wait_until(DEADLINE, || async { demo.simulator_stats().finished >= 60 }).await;
    assert!(busy, "{:?}", demo.simulator_stats());

    // While calls move: a provider id in the database always names a provider call
    // (the call is created before its id is written).
    let twilio = demo.twilio().state();
    let retell = demo.retell().state();
    let sids: Vec<String> = sqlx::query_scalar(
        "SELECT call_sid FROM broadcast_queue WHERE status = 'calling' AND call_sid IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("calling rows");
    assert!(sids.iter().all(|sid| twilio.call(sid).is_some()));
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT retell_call_id FROM call_logs
         WHERE status IN ('queued', 'ringing') AND retell_call_id IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("ringing call_logs");
    assert!(ids.iter().all(|id| retell.call(id).is_some()));

    // Nothing new is dialled; once every followed call has ended and been reported,
    // the two sides must agree exactly.
    sqlx::query("UPDATE voice_broadcasts SET status = 'paused'")
        .execute(&pool)
        .await
        .expect("pause broadcasts");
    sqlx::query("UPDATE campaigns SET status = 'paused'")
        .execute(&pool)
        .await
        .expect("pause campaigns");
    let ticks = demo.simulator_stats().ticks;
    let quiet = wait_until(DEADLINE, || async {
        let stats = demo.simulator_stats();
        stats.ticks > ticks + 2 && stats.in_flight == 0
    })
    .await;
    assert!(quiet, "{:?}", demo.simulator_stats());

    let lost: BTreeSet<String> = facts
        .stale
        .broadcast_queue_calling
        .iter()
        .map(|id| id.to_string())
        .collect();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, status, call_sid FROM broadcast_queue WHERE call_sid IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("broadcast rows");
    let mut compared = 0;
    for (id, status, sid) in rows {
        let Some(call) = twilio.call(&sid) else {
            // Seeded history: calls that ended before the fakes existed.
            assert_ne!(status, "calling", "calling row {id} has no Twilio call");
            continue;
        };
        compared += 1;
        assert!(
            call["status"].as_str().is_some_and(twilio_is_terminal),
            "every call has ended: {call}"
        );
        if status == "calling" {
            let row: (i64, String, String) = sqlx::query_as(
                "SELECT attempts, created_at, updated_at FROM broadcast_queue WHERE id = ?1",
            )
            .bind(&id)
            .fetch_one(&pool)
            .await
            .expect("row");
            assert!(
                lost.contains(&id),
                "row {id} still calling after its call ended: {row:?} {call} {:?}",
                demo.simulator_stats()
            );
        }
    }
    assert!(compared > 60, "only {compared} broadcast rows compared");

    let logs: Vec<(String, String)> = sqlx::query_as(
        "SELECT status, retell_call_id FROM call_logs WHERE retell_call_id IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("call logs");
    let known: BTreeSet<String> = logs.iter().map(|(_, id)| id.clone()).collect();
    let mut compared = 0;
    for (status, id) in &logs {
        let Some(call) = retell.call(id) else {
            assert!(
                !matches!(status.as_str(), "queued" | "ringing"),
                "{id} unknown to Retell"
            );
            continue;
        };
        compared += 1;
        assert!(
            call["call_status"].as_str().is_some_and(retell_is_terminal),
            "{call}"
        );
        if status == "ringing" {
            assert!(
                seeded_orphan(&demo, id),
                "call_log of {id} still ringing: {call}"
            );
        }
    }
    assert!(compared > 20, "only {compared} call_logs compared");
    // Every call Retell has belongs to a call_log: no call the database does not know.
    for call in retell.calls() {
        let id = call["call_id"].as_str().unwrap_or_default();
        assert!(known.contains(id), "Retell call {id} has no call_log");
    }
    let dialling = count(
        &pool,
        "SELECT count(*) FROM dialing_queues
         WHERE status = 'calling' AND last_provider_call_id IS NOT NULL",
    )
    .await;
    assert_eq!(dialling, 0, "no dialing_queues row waits for an ended call");
    demo.stop().await;
}

/// The data set's `ringing` call_logs whose end webhook was lost (ended at Retell).
fn seeded_orphan(demo: &Demo, call_id: &str) -> bool {
    demo.facts()
        .retell_calls
        .iter()
        .any(|c| c.call_id == call_id && c.call_status == "ended")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_no_second_number_loses_its_outbound_agent() {
    let dir = temp_dir();
    let demo = start(
        &dir,
        SimConfig {
            token_expiry_every: Some(Duration::from_millis(100)),
            agent_loss_every: Some(Duration::from_millis(40)),
            ..fast(1.0)
        },
    )
    .await;
    let pool = demo.sqlite().pool().clone();
    let expired = wait_until(DEADLINE, || {
        let pool = pool.clone();
        async move {
            let at: Vec<Option<String>> = sqlx::query_scalar(
                "SELECT token_expires_at FROM calendar_integrations WHERE provider = 'google'",
            )
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
            !at.is_empty()
                && at.iter().all(|at| {
                    at.as_deref()
                        .and_then(parse_timestamp)
                        .is_some_and(|at| at <= now_micros())
                })
        }
    })
    .await;
    assert!(expired && demo.simulator_stats().token_expiries >= 2);

    // The data set's number without an outbound agent is waiting for the operator's
    // fix: no other number loses its agent meanwhile, however often the event is due.
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 40
        })
        .await
    );
    assert_eq!(demo.simulator_stats().agents_lost, 0);
    let retell = demo.retell().state();
    let without: Vec<String> = demo
        .facts()
        .retell_numbers
        .iter()
        .map(|n| n.phone_number.clone())
        .filter(|phone| {
            retell
                .number(phone)
                .is_some_and(|n| n["outbound_agents"].as_array().is_some_and(Vec::is_empty))
        })
        .collect();
    assert_eq!(
        without,
        vec![demo.facts().number_without_outbound_agent.clone()]
    );
    demo.stop().await;
}

/// The rows of `source` the platform's stuck rules flag now.
fn stuck_ids(snapshot: &InFlightSnapshot, source: CallSource) -> BTreeSet<String> {
    let thresholds = StuckThresholds::default();
    snapshot
        .calls
        .iter()
        .filter(|c| c.source == source)
        .filter(|c| classify(c, snapshot.db_now, &thresholds) == Stuckness::Stuck)
        .map(|c| c.id.to_string())
        .collect()
}

const SOURCES: [CallSource; 3] = [
    CallSource::BroadcastQueue,
    CallSource::DialingQueues,
    CallSource::CallLogs,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_demo_has_stuck_rows_of_every_source_and_they_stay() {
    let dir = temp_dir();
    let demo = start(&dir, fast(30.0)).await;
    let store = demo.store();
    let before = store
        .calls_in_flight(&Scope::default())
        .await
        .expect("calls in flight");
    let stuck: Vec<BTreeSet<String>> = SOURCES.iter().map(|s| stuck_ids(&before, *s)).collect();
    for (source, ids) in SOURCES.iter().zip(&stuck) {
        assert!(!ids.is_empty(), "no stuck {source:?} row at start");
    }

    // Calls come and go around them; nothing but the operator's cleanup moves them.
    let finished = demo.simulator_stats().finished;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().finished >= finished + 40
        })
        .await,
        "{:?}",
        demo.simulator_stats()
    );
    let after = store
        .calls_in_flight(&Scope::default())
        .await
        .expect("calls in flight");
    for (source, ids) in SOURCES.iter().zip(&stuck) {
        let still = stuck_ids(&after, *source);
        assert!(
            ids.is_subset(&still),
            "{source:?}: {ids:?} became {still:?}"
        );
    }
    demo.stop().await;
}

/// A `calling` broadcast row and a `ringing` call_log whose provider calls are live.
async fn live_rows(demo: &Demo) -> Option<(String, String, String, String)> {
    let pool = demo.sqlite().pool();
    let broadcast: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, call_sid FROM broadcast_queue WHERE status = 'calling' AND call_sid IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .ok()?;
    let twilio = demo.twilio().state();
    let live_sid = |sid: &String| {
        twilio
            .call(sid)
            .is_some_and(|c| c["status"].as_str().is_some_and(|s| !twilio_is_terminal(s)))
    };
    let (queue_id, sid) = broadcast.into_iter().find(|(_, sid)| live_sid(sid))?;
    let logs: Vec<(String, String)> = sqlx::query_as(
        "SELECT l.id, l.retell_call_id FROM call_logs l
         JOIN dialing_queues d ON d.last_provider_call_id = l.retell_call_id
         WHERE l.status = 'ringing' AND d.status = 'calling'",
    )
    .fetch_all(pool)
    .await
    .ok()?;
    let retell = demo.retell().state();
    let (log_id, call_id) = logs.into_iter().find(|(_, id)| {
        retell.call(id).is_some_and(|c| {
            c["call_status"]
                .as_str()
                .is_some_and(|s| !retell_is_terminal(s))
        })
    })?;
    Some((queue_id, sid, log_id, call_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_report_never_overwrites_a_row_the_operator_moved_on() {
    let dir = temp_dir();
    let demo = start(
        &dir,
        SimConfig {
            pace: 0.05,
            ..fast(20.0)
        },
    )
    .await;
    let pool = demo.sqlite().pool().clone();
    let (queue_id, sid, log_id, call_id) = wait_for(DEADLINE, || live_rows(&demo))
        .await
        .expect("live broadcast and campaign calls");
    // The operator's cleanup, as the platform's rules write it.
    sqlx::query(
        "UPDATE broadcast_queue SET status = 'failed', error_code = 'TIMEOUT',
                error_message = 'launchdeck timed it out' WHERE id = ?1 AND status = 'calling'",
    )
    .bind(&queue_id)
    .execute(&pool)
    .await
    .expect("clean the broadcast row");
    sqlx::query(
        "UPDATE call_logs SET status = 'no_answer', ended_at = ?1, notes = 'cleaned up'
         WHERE id = ?2 AND status = 'ringing'",
    )
    .bind(super::db::now())
    .bind(&log_id)
    .execute(&pool)
    .await
    .expect("clean the call_log");
    sqlx::query(
        "UPDATE dialing_queues SET status = 'failed', notes = 'cleaned up'
         WHERE last_provider_call_id = ?1 AND status = 'calling'",
    )
    .bind(&call_id)
    .execute(&pool)
    .await
    .expect("clean the queue row");

    // Both calls end at the providers and the simulator reports them...
    let twilio = demo.twilio().state();
    let retell = demo.retell().state();
    let ended = wait_until(DEADLINE, || async {
        twilio
            .call(&sid)
            .is_some_and(|c| c["status"].as_str().is_some_and(twilio_is_terminal))
            && retell
                .call(&call_id)
                .is_some_and(|c| c["call_status"].as_str().is_some_and(retell_is_terminal))
    })
    .await;
    assert!(ended);
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 30
        })
        .await
    );
    // ...without touching what the operator wrote.
    let queue: (String, Option<String>) =
        sqlx::query_as("SELECT status, error_code FROM broadcast_queue WHERE id = ?1")
            .bind(&queue_id)
            .fetch_one(&pool)
            .await
            .expect("queue row");
    assert_eq!(queue, ("failed".to_string(), Some("TIMEOUT".to_string())));
    let log: (String, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT status, notes, duration_seconds FROM call_logs WHERE id = ?1")
            .bind(&log_id)
            .fetch_one(&pool)
            .await
            .expect("call_log");
    assert_eq!(
        (log.0.as_str(), log.1.as_deref()),
        ("no_answer", Some("cleaned up"))
    );
    let dial: (String, Option<String>) =
        sqlx::query_as("SELECT status, notes FROM dialing_queues WHERE last_provider_call_id = ?1")
            .bind(&call_id)
            .fetch_one(&pool)
            .await
            .expect("queue row");
    assert_eq!(dial, ("failed".to_string(), Some("cleaned up".to_string())));
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fakes_know_the_newest_finished_calls() {
    let dir = temp_dir();
    let demo = start(&dir, fast(1.0)).await;
    let pool = demo.sqlite().pool().clone();
    let sids: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT call_sid, status, call_duration_seconds FROM broadcast_queue
         WHERE status NOT IN ('pending', 'calling') AND call_sid IS NOT NULL
         ORDER BY updated_at DESC LIMIT 500",
    )
    .fetch_all(&pool)
    .await
    .expect("finished rows");
    assert_eq!(sids.len(), 500);
    let twilio = demo.twilio().state();
    for (sid, status, duration) in &sids {
        let call = twilio
            .call(sid)
            .unwrap_or_else(|| panic!("Twilio has no call {sid}"));
        assert!(
            call["status"].as_str().is_some_and(twilio_is_terminal),
            "{call}"
        );
        if status == "busy" {
            assert_eq!(call["status"], "busy");
        }
        if let Some(secs) = duration.filter(|d| *d > 0) {
            assert_eq!(call["duration"], secs.to_string(), "{sid} {status}");
        }
    }
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT retell_call_id FROM call_logs
         WHERE status NOT IN ('queued', 'ringing') AND retell_call_id IS NOT NULL
         ORDER BY created_at DESC LIMIT 500",
    )
    .fetch_all(&pool)
    .await
    .expect("finished call_logs");
    assert_eq!(ids.len(), 500);
    let retell = demo.retell().state();
    for id in &ids {
        let call = retell
            .call(id)
            .unwrap_or_else(|| panic!("Retell has no call {id}"));
        assert!(
            call["call_status"].as_str().is_some_and(retell_is_terminal),
            "{call}"
        );
    }
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_low_on_due_rows_are_topped_up() {
    let dir = temp_dir();
    let demo = start(
        &dir,
        SimConfig {
            refill_below: 50,
            ..fast(1.0)
        },
    )
    .await;
    let pool = demo.sqlite().pool().clone();
    // Hundreds of rows are due: nothing is added.
    assert!(wait_until(DEADLINE, || async { demo.simulator_stats().ticks >= 10 }).await);
    assert_eq!(demo.simulator_stats().refilled_rows, 0);

    // Every pending row is a retry due in an hour: the queues are low on due rows.
    let later = launchdeck_store::sqlite::timestamp(now_micros() + chrono::Duration::hours(1));
    for table in ["broadcast_queue", "dialing_queues"] {
        let sql = format!("UPDATE {table} SET scheduled_at = ?1 WHERE status = 'pending'");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&later)
            .execute(&pool)
            .await
            .expect("schedule later");
    }
    let rows = count(&pool, "SELECT count(*) FROM broadcast_queue").await;
    let dials = count(&pool, "SELECT count(*) FROM dialing_queues").await;
    let leads = count(&pool, "SELECT count(*) FROM leads").await;
    let grown = wait_until(DEADLINE, || {
        let pool = pool.clone();
        async move {
            count(&pool, "SELECT count(*) FROM broadcast_queue").await >= rows + 40
                && count(&pool, "SELECT count(*) FROM dialing_queues").await > dials
                && count(&pool, "SELECT count(*) FROM leads").await > leads
        }
    })
    .await;
    assert!(grown, "{:?}", demo.simulator_stats());
    let enrolled = count(
        &pool,
        "SELECT count(*) FROM dialing_queues d
         WHERE NOT EXISTS (SELECT 1 FROM campaign_leads cl
                           WHERE cl.campaign_id = d.campaign_id AND cl.lead_id = d.lead_id)",
    )
    .await;
    assert_eq!(enrolled, 0, "every queued lead is enrolled in its campaign");
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_broadcasts_and_stopped_campaigns_are_not_dialled() {
    let dir = temp_dir();
    let demo = start(&dir, fast(40.0)).await;
    let pool = demo.sqlite().pool().clone();
    let facts = demo.facts().clone();
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().broadcast_dials > 0
        })
        .await
    );
    sqlx::query("UPDATE voice_broadcasts SET status = 'paused' WHERE id = ?1")
        .bind(facts.broadcast_a.id.to_string())
        .execute(&pool)
        .await
        .expect("pause");
    sqlx::query(
        "INSERT INTO contact_stop_controls (scope_type, campaign_id, organization_id, user_id,
             reason) VALUES ('campaign', ?1, ?2, ?3, 'test stop')",
    )
    .bind(facts.campaign.id.to_string())
    .bind(facts.first_org.org_id.to_string())
    .bind(facts.first_org.owner_user_id.to_string())
    .execute(&pool)
    .await
    .expect("stop");
    // Let the tick that may have been claiming finish.
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 2
        })
        .await
    );
    let before = demo.simulator_stats();
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= before.ticks + 30
        })
        .await
    );
    let after = demo.simulator_stats();
    assert_eq!(
        (after.broadcast_dials, after.campaign_dials),
        (before.broadcast_dials, before.campaign_dials)
    );
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_error_is_logged_and_the_simulator_carries_on() {
    let dir = temp_dir();
    let demo = start(&dir, fast(40.0)).await;
    let pool = demo.sqlite().pool().clone();
    sqlx::query("ALTER TABLE broadcast_queue RENAME TO broadcast_queue_gone")
        .execute(&pool)
        .await
        .expect("rename");
    assert!(wait_until(DEADLINE, || async { demo.simulator_stats().db_errors >= 3 }).await);
    assert!(demo.simulator_running());
    sqlx::query("ALTER TABLE broadcast_queue_gone RENAME TO broadcast_queue")
        .execute(&pool)
        .await
        .expect("rename back");
    let dials = demo.simulator_stats().broadcast_dials;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().broadcast_dials > dials + 5
        })
        .await,
        "{:?}",
        demo.simulator_stats()
    );
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_database_is_taken_over_consistently() {
    let dir = temp_dir();
    let first = start(
        &dir,
        SimConfig {
            pace: 1.0,
            ..fast(20.0)
        },
    )
    .await;
    assert!(
        wait_until(DEADLINE, || async {
            first.simulator_stats().broadcast_dials >= 10
        })
        .await
    );
    first.stop().await;

    let options = DemoOptions {
        simulator: fast(20.0),
        faults: false,
        fresh: false,
        ..DemoOptions::default()
    };
    let second = Demo::start(dir.path(), options).await.expect("restart");
    assert!(second.seeded().is_none(), "the database was reused");
    assert!(wait_until(DEADLINE, || async { second.simulator_stats().ticks >= 1 }).await);
    let pool = second.sqlite().pool().clone();
    // The first run's calls are gone with its fakes: they were settled on start, so
    // every `calling` row with a call sid is one of this run's.
    let sids: Vec<String> = sqlx::query_scalar(
        "SELECT call_sid FROM broadcast_queue WHERE status = 'calling' AND call_sid IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .expect("calling rows");
    let twilio = second.twilio().state();
    assert!(sids.iter().all(|sid| twilio.call(sid).is_some()));
    // The data set's stuck rows were stuck when the first run stopped: they stay
    // stuck (their calls known to the new fake as ended) until the operator cleans up.
    for id in &second.facts().stale.broadcast_queue_calling {
        let (status, sid): (String, Option<String>) =
            sqlx::query_as("SELECT status, call_sid FROM broadcast_queue WHERE id = ?1")
                .bind(id.to_string())
                .fetch_one(&pool)
                .await
                .expect("stale row");
        assert_eq!(status, "calling", "{id}");
        if let Some(sid) = sid {
            let call = twilio.call(&sid).expect("the new fake knows the call");
            assert!(call["status"].as_str().is_some_and(twilio_is_terminal));
        }
    }
    let audio: String = sqlx::query_scalar("SELECT audio_url FROM voice_broadcasts WHERE id = ?1")
        .bind(second.facts().broadcast_a.id.to_string())
        .fetch_one(&pool)
        .await
        .expect("audio url");
    assert!(audio.starts_with(&second.endpoints().audio), "{audio}");
    let moving = count(&pool, CALL_LOGS_FINISHED).await;
    assert!(
        wait_until(DEADLINE, || {
            let pool = pool.clone();
            async move { count(&pool, CALL_LOGS_FINISHED).await > moving }
        })
        .await
    );
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_config_points_at_the_fakes_only() {
    let dir = temp_dir();
    let demo = start(&dir, fast(0.1)).await;
    let config = demo.config().expect("config");
    assert!(config.database.url.is_none());
    assert_eq!(config.ui.environment_name.as_deref(), Some("demo"));
    let endpoints = config.non_default_endpoints();
    assert_eq!(endpoints.len(), 6, "every provider URL is the demo's");
    assert!(endpoints.iter().all(|(_, url)| url.is_loopback()));
    for (section, key) in [
        ("retell", "api_key"),
        ("twilio", "auth_token"),
        ("google", "client_secret"),
    ] {
        assert!(config.secret(section, key).is_some(), "{section}.{key}");
    }
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launched_demo_answers_the_console_only_from_the_loaded_database() {
    let dir = temp_dir();
    let options = DemoOptions {
        simulator: fast(1.0),
        faults: false,
        fresh: true,
        ..DemoOptions::default()
    };
    let mut demo = Demo::launch(dir.path(), options)
        .await
        .unwrap_or_else(|e| panic!("the demo did not launch: {e}"));
    // Asked at once, while the data set may still be loading: the whole data set or
    // nothing, never a half-filled database.
    let campaigns = demo
        .store()
        .campaigns(&Scope::default())
        .await
        .expect("campaigns");
    demo.ready().await.expect("the demo started");
    let stored = count(demo.sqlite().pool(), "SELECT count(*) FROM campaigns").await;
    assert!(stored > 0);
    assert_eq!(campaigns.len() as i64, stored);
    assert!(demo.seeded().is_some(), "a fresh demo was seeded");
    assert!(demo.simulator_running());
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_retell_calls_began_when_the_data_set_says() {
    let dir = temp_dir();
    let demo = start(&dir, fast(1.0)).await;
    let retell = demo.retell().state();
    assert!(!demo.facts().retell_calls.is_empty());
    for seeded in &demo.facts().retell_calls {
        let call = retell
            .call(&seeded.call_id)
            .expect("the fake knows the call");
        assert_eq!(
            call["start_timestamp"].as_i64(),
            Some(seeded.started_at.timestamp_millis()),
            "{}",
            seeded.call_id
        );
        if let Some(ended) = seeded.ended_at {
            assert_eq!(call["call_status"], "ended", "{}", seeded.call_id);
            assert_eq!(
                call["end_timestamp"].as_i64(),
                Some(ended.timestamp_millis())
            );
        }
    }
    demo.stop().await;
}
