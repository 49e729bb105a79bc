//! The live poller's deltas (`Store::in_flight_since`) merged into full reads by
//! `launchdeck_core::in_flight::InFlightTracker`: what started shows at once, what moved
//! keeps one place with its newest state, what ended leaves at the next full read.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use launchdeck_core::domain::{CallSource, InFlightSnapshot};
use launchdeck_core::in_flight::{InFlightTracker, NextRead};
use launchdeck_store::Store;
use launchdeck_store::seed::SeedData;
use serde_json::json;

use super::*;

fn states(s: &InFlightSnapshot) -> BTreeMap<(CallSource, u128), String> {
    s.calls
        .iter()
        .map(|c| ((c.source, c.id.as_u128() - 0x1000_0000), c.state.clone()))
        .collect()
}

fn expect(rows: &[(CallSource, u128, &str)]) -> BTreeMap<(CallSource, u128), String> {
    rows.iter()
        .map(|(s, n, st)| ((*s, *n), st.to_string()))
        .collect()
}

fn since(tracker: &InFlightTracker, at: Instant) -> chrono::DateTime<chrono::Utc> {
    match tracker.next_read(at) {
        NextRead::Since(since) => since,
        NextRead::Full => panic!("expected a delta read"),
    }
}

pub async fn in_flight_deltas_merge_into_full_reads(store: &dyn Store, seeder: &dyn Seeder) {
    use CallSource::{BroadcastQueue as Bq, CallLogs as Log, DialingQueues as Dq};
    let mut data = new_seed(seeder);
    let (b1, c1, b2) = (id(1), id(2), id(3));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    queue_row(&mut data, id(10), b1, "calling", 60, json!({}));
    queue_row(&mut data, id(11), b1, "pending", 600, json!({}));
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    call_log(
        &mut data,
        id(20),
        USER_A1,
        Some(c1),
        "queued",
        60,
        json!({}),
    );
    dialing_row(&mut data, id(30), c1, USER_A1, "calling", 60, json!({}));
    seeder.load(&data).await;

    let t0 = Instant::now();
    let mut tracker = InFlightTracker::new(Duration::from_secs(5));
    let full = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    let merged = tracker.apply_full(full, t0);
    assert_eq!(
        states(merged),
        expect(&[
            (Bq, 10, "calling"),
            (Log, 20, "queued"),
            (Dq, 30, "calling")
        ])
    );

    // A call starts in each table that has a change index; one ends; one rings.
    let mut more = SeedData::default();
    queue_row(&mut more, id(12), b1, "calling", 1, json!({}));
    call_log(&mut more, id(21), USER_A1, Some(c1), "queued", 1, json!({}));
    seeder.load(&more).await;
    seeder
        .execute(&format!(
            "UPDATE broadcast_queue SET status = 'completed' WHERE id = '{}'",
            id(10)
        ))
        .await;
    seeder
        .execute(&format!(
            "UPDATE call_logs SET status = 'ringing' WHERE id = '{}'",
            id(20)
        ))
        .await;

    let t1 = t0 + Duration::from_secs(1);
    let delta = store
        .in_flight_since(&all(), since(&tracker, t1))
        .await
        .expect("in_flight_since");
    let started: BTreeMap<_, _> = delta
        .calls
        .iter()
        .map(|c| ((c.source, c.id.as_u128() - 0x1000_0000), c.state.clone()))
        .collect();
    assert_eq!(
        started,
        expect(&[(Bq, 12, "calling"), (Log, 21, "queued")]),
        "only what started since the last read"
    );
    assert_eq!(
        call(&delta.calls, id(12)).parent_name.as_deref(),
        Some("Spring promo")
    );
    let once = states(tracker.apply_delta(delta.clone(), t1));
    let twice = states(tracker.apply_delta(delta, t1));
    assert_eq!(once, twice, "a delta applied twice changes nothing more");
    // The ended call and the older call that rang wait for the next full read.
    assert_eq!(
        once,
        expect(&[
            (Bq, 10, "calling"),
            (Bq, 12, "calling"),
            (Log, 20, "queued"),
            (Log, 21, "queued"),
            (Dq, 30, "calling"),
        ])
    );

    // A call that moves between two polls keeps its place with its newest state; a new
    // broadcast shows with its first call.
    seeder
        .execute(&format!(
            "UPDATE call_logs SET status = 'ringing' WHERE id = '{}'",
            id(21)
        ))
        .await;
    let mut parent = SeedData::default();
    broadcast(&mut parent, b2, USER_A1, "Autumn promo", "active");
    queue_row(&mut parent, id(40), b2, "calling", 1, json!({}));
    seeder.load(&parent).await;
    let t2 = t0 + Duration::from_secs(2);
    let delta = store
        .in_flight_since(&all(), since(&tracker, t2))
        .await
        .expect("in_flight_since");
    let merged = tracker.apply_delta(delta, t2);
    assert_eq!(
        states(merged).get(&(Log, 21)).map(String::as_str),
        Some("ringing")
    );
    assert_eq!(states(merged).len(), 6);
    assert_eq!(
        call(&merged.calls, id(40)).parent_name.as_deref(),
        Some("Autumn promo")
    );

    // A broadcast that disappears takes its calls with it at the full read.
    seeder
        .execute(&format!(
            "DELETE FROM broadcast_queue WHERE broadcast_id = '{b1}'"
        ))
        .await;
    seeder
        .execute(&format!("DELETE FROM voice_broadcasts WHERE id = '{b1}'"))
        .await;
    let t5 = t0 + Duration::from_secs(5);
    assert_eq!(tracker.next_read(t5), NextRead::Full);
    let full = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    let merged = tracker.apply_full(full, t5);
    assert_eq!(
        states(merged),
        expect(&[
            (Bq, 40, "calling"),
            (Log, 20, "ringing"),
            (Log, 21, "ringing"),
            (Dq, 30, "calling"),
        ])
    );

    // A missed poll: the next delta still starts from the last read, so nothing that
    // started in between is lost.
    let t6 = t5 + Duration::from_secs(1);
    let missed_from = since(&tracker, t6);
    let mut late = SeedData::default();
    queue_row(&mut late, id(41), b2, "calling", 1, json!({}));
    call_log(&mut late, id(22), USER_A1, Some(c1), "queued", 1, json!({}));
    seeder.load(&late).await;
    let t7 = t5 + Duration::from_secs(2);
    assert_eq!(since(&tracker, t7), missed_from);
    let delta = store
        .in_flight_since(&all(), missed_from)
        .await
        .expect("in_flight_since");
    let merged = tracker.apply_delta(delta, t7);
    let now = states(merged);
    assert_eq!(now.get(&(Bq, 41)).map(String::as_str), Some("calling"));
    assert_eq!(now.get(&(Log, 22)).map(String::as_str), Some("queued"));
    assert_eq!(now.len(), 6);
}
