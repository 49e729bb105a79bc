//! The live poller's deltas (`Store::in_flight_since`) and checks
//! (`Store::in_flight_check`, `Store::call_states`) merged by
//! `launchdeck_core::in_flight::InFlightTracker`: what started shows at once, what moved
//! keeps one place with its newest state, what ended leaves at the next check. And the
//! progress counts kept from those moves (`launchdeck_core::progress`) agree with a
//! recount from scratch.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use launchdeck_core::domain::{BroadcastProgress, CallSource, CampaignProgress, InFlightSnapshot};
use launchdeck_core::in_flight::{InFlightCheck, InFlightTracker, NextRead};
use launchdeck_core::progress::ProgressTracker;
use launchdeck_seed::SeedData;
use launchdeck_store::Store;
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
        other => panic!("expected a delta read, not {other:?}"),
    }
}

/// What the engine does on every dial besides the row: bump the broadcast's counter
/// (and so its `updated_at`, the deltas' change detector).
async fn dialled(seeder: &dyn Seeder, broadcast: Uuid) {
    seeder
        .execute(&format!(
            "UPDATE voice_broadcasts SET calls_made = coalesce(calls_made, 0) + 1 WHERE id = '{broadcast}'"
        ))
        .await;
}

/// A check and the fetch of what it names, applied.
async fn check<'t>(
    store: &dyn Store,
    tracker: &'t mut InFlightTracker,
    at: Instant,
) -> &'t InFlightSnapshot {
    let known = tracker.known();
    let check = store
        .in_flight_check(&all(), &known)
        .await
        .expect("in_flight_check");
    let wanted = tracker.to_fetch(&check);
    let fetched = store
        .call_states(&all(), &wanted)
        .await
        .expect("call_states");
    tracker.apply_check(check, fetched, at)
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
    dialled(seeder, b1).await;
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
    dialled(seeder, b2).await;
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

    // A broadcast that disappears takes its calls with it at the next check.
    seeder
        .execute(&format!(
            "DELETE FROM broadcast_queue WHERE broadcast_id = '{b1}'"
        ))
        .await;
    seeder
        .execute(&format!("DELETE FROM voice_broadcasts WHERE id = '{b1}'"))
        .await;
    let t5 = t0 + Duration::from_secs(5);
    assert_eq!(tracker.next_read(t5), NextRead::Check);
    let merged = check(store, &mut tracker, t5).await;
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
    dialled(seeder, b2).await;
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

/// The queue parts a check vouched for.
fn parts(check: &InFlightCheck) -> Vec<(CallSource, Uuid, u8)> {
    let mut parts: Vec<_> = check
        .unchanged
        .iter()
        .map(|p| (p.source, p.parent, p.age))
        .collect();
    parts.sort();
    parts
}

pub async fn a_check_lists_only_the_queue_rows_of_parents_that_moved(
    store: &dyn Store,
    seeder: &dyn Seeder,
) {
    use CallSource::{BroadcastQueue as Bq, DialingQueues as Dq};
    let mut data = new_seed(seeder);
    let (b1, b2, c1) = (id(1), id(2), id(3));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    broadcast(&mut data, b2, USER_A1, "Autumn promo", "active");
    queue_row(&mut data, id(10), b1, "calling", 60, json!({}));
    queue_row(&mut data, id(11), b1, "calling", 30, json!({}));
    queue_row(&mut data, id(14), b1, "calling", 3600, json!({}));
    queue_row(&mut data, id(12), b2, "calling", 60, json!({}));
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    dialing_row(&mut data, id(30), c1, USER_A1, "calling", 60, json!({}));
    seeder.load(&data).await;

    let t0 = Instant::now();
    let mut tracker = InFlightTracker::new(Duration::from_secs(5));
    let full = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    tracker.apply_full(full, t0);

    // Nothing moved: the check vouches for every parent and lists no queue row.
    let first = store
        .in_flight_check(&all(), &tracker.known())
        .await
        .expect("in_flight_check");
    assert_eq!(
        parts(&first),
        [
            (Bq, b1, 0),
            (Bq, b1, 1),
            (Bq, b1, 4),
            (Bq, b2, 1),
            (Dq, c1, 1)
        ],
        "each call in the part of its age, a stuck one in the oldest"
    );
    assert!(
        first
            .present
            .iter()
            .all(|v| v.source == CallSource::CallLogs),
        "no queue row listed: {:?}",
        first.present
    );
    assert!(tracker.to_fetch(&first).is_empty());

    // One of b1's recent calls changes while still calling (the update trigger dates
    // it), b2's ends: those two parts are listed again, the others are not.
    seeder
        .execute(&format!(
            "UPDATE broadcast_queue SET attempts = 1 WHERE id = '{}'",
            id(10)
        ))
        .await;
    seeder
        .execute(&format!(
            "UPDATE broadcast_queue SET status = 'completed' WHERE id = '{}'",
            id(12)
        ))
        .await;
    let t5 = t0 + Duration::from_secs(5);
    let merged = check(store, &mut tracker, t5).await;
    assert_eq!(
        states(merged),
        expect(&[
            (Bq, 10, "calling"),
            (Bq, 11, "calling"),
            (Bq, 14, "calling"),
            (Dq, 30, "calling")
        ])
    );
    let moved = call(&merged.calls, id(10)).since;
    let second = store
        .in_flight_check(&all(), &tracker.known())
        .await
        .expect("in_flight_check");
    assert_eq!(
        parts(&second),
        [(Bq, b1, 0), (Bq, b1, 4), (Dq, c1, 1)],
        "the changed row was taken in (version {moved})"
    );

    // A row that ends while another starts in the same part still moves its summary;
    // so does a stuck call that ends.
    for ended in [id(11), id(14)] {
        seeder
            .execute(&format!(
                "UPDATE broadcast_queue SET status = 'completed' WHERE id = '{ended}'"
            ))
            .await;
    }
    let mut more = SeedData::default();
    queue_row(&mut more, id(13), b1, "calling", 0, json!({}));
    seeder.load(&more).await;
    let merged = check(store, &mut tracker, t5 + Duration::from_secs(5)).await;
    assert_eq!(
        states(merged),
        expect(&[
            (Bq, 10, "calling"),
            (Bq, 13, "calling"),
            (Dq, 30, "calling")
        ])
    );

    // An open claim appears: the check lists the claims; the next one, with nothing
    // moved, vouches for them (PostgreSQL sums them up from the claims index first).
    let mut claimed = SeedData::default();
    call_log(
        &mut claimed,
        id(50),
        USER_A1,
        Some(c1),
        "queued",
        5,
        json!({}),
    );
    claim(
        &mut claimed,
        id(60),
        id(50),
        USER_A1,
        Some(id(30)),
        "claimed",
        5,
    );
    seeder.load(&claimed).await;
    let t15 = t5 + Duration::from_secs(10);
    let merged = check(store, &mut tracker, t15).await;
    assert_eq!(merged.open_claims.len(), 1);
    assert!(call(&merged.calls, id(30)).redial_hold, "held by its claim");
    let again = store
        .in_flight_check(&all(), &tracker.known())
        .await
        .expect("in_flight_check");
    let postgres = store.db_info().await.expect("db_info").backend == "postgres";
    match &again.open_claims {
        None => {}
        Some(claims) => {
            assert!(!postgres, "PostgreSQL listed claims that did not move");
            assert_eq!(claims.len(), 1);
        }
    }
    let merged = tracker.apply_check(again, Vec::new(), t15 + Duration::from_secs(5));
    assert_eq!(merged.open_claims.len(), 1, "kept as held");
    assert!(call(&merged.calls, id(30)).redial_hold);
}

/// Counts from scratch, as the progress poller's first poll does.
async fn recount(store: &dyn Store, progress: &mut ProgressTracker, at: Instant) {
    let since = progress.logs_since();
    let heads = store
        .progress_heads(&all(), since)
        .await
        .expect("progress_heads");
    progress.apply_heads(heads);
    let request = progress.plan(at);
    let recount = store
        .progress_recount(&request)
        .await
        .expect("progress_recount");
    progress.apply_recount(&request, recount, Duration::ZERO, at);
}

/// Broadcast and campaign figures, series summed (their minute buckets depend on the
/// second the test runs at).
fn figures(store_progress: (Vec<BroadcastProgress>, Vec<CampaignProgress>)) -> String {
    let (broadcasts, campaigns) = store_progress;
    let mut out = String::new();
    for b in broadcasts {
        let finished: u64 = b.finished_per_minute.iter().sum();
        out += &format!("{} {:?} finished={finished}\n", b.name, b.counts.0);
    }
    for c in campaigns {
        let created: u64 = c.calls_per_minute.iter().sum();
        out += &format!(
            "{} queue={:?} logs={:?} picked_up={} created={created}\n",
            c.name, c.queue_counts.0, c.log_counts.0, c.log_picked_up
        );
    }
    out
}

pub async fn progress_kept_from_moves_matches_a_recount(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    for (n, status) in [
        (10, "calling"),
        (11, "pending"),
        (12, "pending"),
        (13, "completed"),
    ] {
        queue_row(&mut data, id(n), b1, status, 60, json!({}));
    }
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    for (n, status) in [(30, "calling"), (31, "pending"), (32, "pending")] {
        dialing_row(&mut data, id(n), c1, USER_A1, status, 60, json!({}));
    }
    call_log(
        &mut data,
        id(20),
        USER_A1,
        Some(c1),
        "queued",
        60,
        json!({}),
    );
    call_log(
        &mut data,
        id(23),
        USER_A1,
        Some(c1),
        "completed",
        120,
        json!({"duration_seconds": 40}),
    );
    seeder.load(&data).await;

    let t0 = Instant::now();
    let mut live = InFlightTracker::new(Duration::from_secs(5));
    let full = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    live.apply_full(full, t0);
    let mut progress = ProgressTracker::new();
    recount(store, &mut progress, t0).await;
    let before = figures(progress.progress());
    assert_eq!(
        before,
        figures(scratch(store).await),
        "the first count is a recount"
    );
    // The demo's clock keeps milliseconds: let the moves below be dated after it.
    let counted = progress.oldest_recount().expect("counted");
    while chrono::Utc::now() - counted < chrono::Duration::milliseconds(5) {
        tokio::task::yield_now().await;
    }

    // The platform works: one broadcast call ends and one starts, the same for the
    // campaign queue, a call log ends picked up, one is created queued and one failed
    // at once (never in flight).
    for sql in [
        format!(
            "UPDATE broadcast_queue SET status = 'completed' WHERE id = '{}'",
            id(10)
        ),
        format!(
            "UPDATE broadcast_queue SET status = 'calling' WHERE id = '{}'",
            id(11)
        ),
        format!("UPDATE voice_broadcasts SET calls_made = 1 WHERE id = '{b1}'"),
        format!(
            "UPDATE dialing_queues SET status = 'failed' WHERE id = '{}'",
            id(30)
        ),
        format!(
            "UPDATE dialing_queues SET status = 'calling' WHERE id = '{}'",
            id(31)
        ),
        format!(
            "UPDATE call_logs SET status = 'completed', duration_seconds = 30 WHERE id = '{}'",
            id(20)
        ),
    ] {
        seeder.execute(&sql).await;
    }
    let mut more = SeedData::default();
    call_log(&mut more, id(21), USER_A1, Some(c1), "queued", 0, json!({}));
    call_log(&mut more, id(24), USER_A1, Some(c1), "failed", 0, json!({}));
    seeder.load(&more).await;

    // The live poller: a delta, then a check; the progress poller: its heads.
    let t1 = t0 + Duration::from_secs(1);
    let delta = store
        .in_flight_since(&all(), since(&live, t1))
        .await
        .expect("in_flight_since");
    live.apply_delta(delta.clone(), t1);
    live.apply_delta(delta, t1);
    let t5 = t0 + Duration::from_secs(5);
    check(store, &mut live, t5).await;
    for observation in live.take_observations() {
        progress.observe(observation.clone());
        progress.observe(observation);
    }
    let heads = store
        .progress_heads(&all(), progress.logs_since())
        .await
        .expect("progress_heads");
    progress.apply_heads(heads.clone());
    progress.apply_heads(heads);
    assert!(progress.plan(t5).is_empty(), "nothing to recount yet");

    let kept = figures(progress.progress());
    assert_ne!(kept, before, "the moves show");
    assert_eq!(
        kept,
        figures(scratch(store).await),
        "kept from moves = counted from scratch"
    );
}

async fn scratch(store: &dyn Store) -> (Vec<BroadcastProgress>, Vec<CampaignProgress>) {
    let broadcasts = store
        .broadcast_progress(&all())
        .await
        .expect("broadcast_progress");
    let campaigns = store
        .campaign_progress(&all())
        .await
        .expect("campaign_progress");
    (broadcasts, campaigns)
}
