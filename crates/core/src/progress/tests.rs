use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn head(n: u128, status: &str, marker: &str) -> ProgressHead {
    ProgressHead {
        id: id(n),
        name: format!("parent {n}"),
        status: status.to_string(),
        agent_id: None,
        marker: marker.to_string(),
    }
}

const B: u128 = 1;
const C: u128 = 2;

fn heads(db_now: i64, new_logs: Vec<NewCallLog>) -> ProgressHeads {
    ProgressHeads {
        db_now: at(db_now),
        broadcasts: vec![head(B, "active", "100")],
        campaigns: vec![head(C, "active", "t0")],
        new_logs,
    }
}

fn counts(pairs: &[(&str, i64)]) -> StatusCounts {
    let mut c = StatusCounts::default();
    for (status, n) in pairs {
        c.add(status, *n);
    }
    c
}

/// A tracker with the broadcast and campaign counted at database time 100.
fn counted(start: Instant) -> ProgressTracker {
    let mut t = ProgressTracker::new();
    t.apply_heads(heads(100, vec![]));
    let request = t.plan(start);
    assert_eq!(request.broadcasts, [id(B)]);
    assert_eq!(request.broadcast_series, [id(B)]);
    assert_eq!(request.campaigns, [id(C)]);
    assert_eq!(request.campaign_logs, [id(C)]);
    let recount = Recount {
        db_now: at(100),
        broadcast_counts: HashMap::from([(
            id(B),
            counts(&[("pending", 10), ("calling", 2), ("completed", 5)]),
        )]),
        broadcast_finished: vec![(id(B), at(90).timestamp(), 5)],
        campaign_counts: HashMap::from([(id(C), counts(&[("pending", 4), ("calling", 1)]))]),
        campaign_logs: Some(HashMap::from([(id(C), (counts(&[("queued", 1)]), 0))])),
        campaign_created: vec![(id(C), at(95).timestamp(), 1)],
    };
    t.apply_recount(&request, recount, Duration::from_millis(1), start);
    assert!(t.counted());
    assert_eq!(t.oldest_recount(), Some(at(100)));
    t
}

fn obs(
    source: CallSource,
    n: u128,
    parent: u128,
    from: Option<&str>,
    to: Option<&str>,
    when: i64,
) -> Observation {
    Observation {
        source,
        id: id(n),
        parent: id(parent),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        at: at(when),
        picked_up: false,
    }
}

fn broadcast(t: &ProgressTracker) -> BroadcastProgress {
    t.progress().0.remove(0)
}

fn campaign(t: &ProgressTracker) -> CampaignProgress {
    t.progress().1.remove(0)
}

#[test]
fn a_call_entering_and_leaving_flight_moves_the_counts_and_the_finished_series() {
    let start = Instant::now();
    let mut t = counted(start);
    let q = CallSource::BroadcastQueue;
    t.observe(obs(q, 10, B, Some("pending"), Some("calling"), 101));
    assert_eq!(
        broadcast(&t).counts,
        counts(&[("pending", 9), ("calling", 3), ("completed", 5)])
    );
    t.observe(obs(q, 10, B, Some("calling"), Some("voicemail"), 102));
    let b = broadcast(&t);
    assert_eq!(
        b.counts,
        counts(&[
            ("pending", 9),
            ("calling", 2),
            ("completed", 5),
            ("voicemail", 1)
        ])
    );
    // Both finished minutes fall inside the 15-minute series.
    assert_eq!(b.finished_per_minute.iter().sum::<u64>(), 6);
    assert_eq!(b.finished_per_minute.len(), MINUTES);
}

#[test]
fn an_observation_applied_twice_or_already_in_the_recount_changes_nothing_more() {
    let start = Instant::now();
    let mut t = counted(start);
    let q = CallSource::DialingQueues;
    // Before the recount's time: the recount has it.
    t.observe(obs(q, 20, C, Some("pending"), Some("calling"), 99));
    assert_eq!(
        campaign(&t).queue_counts,
        counts(&[("pending", 4), ("calling", 1)])
    );
    let entry = obs(q, 21, C, Some("pending"), Some("calling"), 101);
    t.observe(entry.clone());
    t.observe(entry);
    assert_eq!(
        campaign(&t).queue_counts,
        counts(&[("pending", 3), ("calling", 2)])
    );
}

#[test]
fn a_recount_replaces_the_counts_and_forgets_what_was_seen() {
    let start = Instant::now();
    let mut t = counted(start);
    let q = CallSource::BroadcastQueue;
    t.observe(obs(q, 10, B, Some("pending"), Some("calling"), 101));
    t.recount_all();
    let request = t.plan(start);
    assert_eq!(request.broadcasts, [id(B)]);
    let recount = Recount {
        db_now: at(110),
        broadcast_counts: HashMap::from([(id(B), counts(&[("calling", 7)]))]),
        ..Recount::default()
    };
    t.apply_recount(&request, recount, Duration::from_millis(1), start);
    assert_eq!(broadcast(&t).counts, counts(&[("calling", 7)]));
    // The row seen before the recount leaving after it: from its in-flight state.
    t.observe(obs(q, 10, B, Some("calling"), Some("failed"), 111));
    assert_eq!(
        broadcast(&t).counts,
        counts(&[("calling", 6), ("failed", 1)])
    );
}

#[test]
fn new_call_logs_count_once_whoever_sees_them_and_follow_their_status() {
    let start = Instant::now();
    let mut t = counted(start);
    let log = |status: &str, created: i64, picked_up: bool| NewCallLog {
        id: id(30),
        campaign_id: id(C),
        status: status.to_string(),
        created_at: at(created),
        picked_up,
    };
    // The progress poll sees it created; the live poll sees it enter flight too.
    t.apply_heads(heads(103, vec![log("queued", 102, false)]));
    t.observe(obs(CallSource::CallLogs, 30, C, None, Some("queued"), 102));
    let c = campaign(&t);
    assert_eq!(c.log_counts, counts(&[("queued", 2)]));
    assert_eq!(c.calls_per_minute.iter().sum::<u64>(), 2);
    // It rings, then ends answered: one row moves, the pickups follow.
    t.observe(obs(
        CallSource::CallLogs,
        30,
        C,
        Some("queued"),
        Some("ringing"),
        104,
    ));
    let mut ended = obs(
        CallSource::CallLogs,
        30,
        C,
        Some("ringing"),
        Some("completed"),
        130,
    );
    ended.picked_up = true;
    t.observe(ended);
    // The next poll's overlap sees the row again, ended: nothing moves.
    t.apply_heads(heads(131, vec![log("completed", 102, true)]));
    let c = campaign(&t);
    assert_eq!(c.log_counts, counts(&[("queued", 1), ("completed", 1)]));
    assert_eq!(c.log_picked_up, 1);
    assert_eq!(c.calls_per_minute.iter().sum::<u64>(), 2);
}

#[test]
fn counts_never_go_below_zero() {
    let start = Instant::now();
    let mut t = counted(start);
    // A queue row dialled from a status the observer did not guess.
    t.observe(obs(
        CallSource::DialingQueues,
        22,
        C,
        Some("failed"),
        Some("calling"),
        101,
    ));
    assert_eq!(
        campaign(&t).queue_counts,
        counts(&[("pending", 4), ("calling", 2)])
    );
}

#[test]
fn changed_markers_and_new_parents_are_recounted_at_once_and_gone_parents_forgotten() {
    let start = Instant::now();
    let mut t = counted(start);
    assert!(t.plan(start).is_empty());
    let mut h = heads(101, vec![]);
    h.broadcasts[0].marker = "150".to_string(); // leads added
    h.campaigns.push(head(3, "draft", "t0"));
    t.apply_heads(h);
    let request = t.plan(start);
    assert_eq!(request.broadcasts, [id(B)]);
    assert_eq!(request.campaigns, [id(3)]);
    assert_eq!(request.campaign_logs, [id(C), id(3)]);

    let mut h = heads(102, vec![]);
    h.broadcasts.clear();
    t.apply_heads(h);
    assert!(t.progress().0.is_empty());
    let request = t.plan(start);
    assert!(request.broadcasts.is_empty());
    // An observation for the gone broadcast is dropped.
    t.observe(obs(
        CallSource::BroadcastQueue,
        10,
        B,
        Some("pending"),
        Some("calling"),
        103,
    ));
    assert!(t.progress().0.is_empty());
}

#[test]
fn stale_units_are_recounted_oldest_first_within_the_budget() {
    let start = Instant::now();
    let mut t = counted(start);
    // Within RECOUNT_AT_MOST_EVERY nothing is stale.
    assert!(t.plan(start + Duration::from_secs(10)).is_empty());
    // Later, the saved-up time pays for some units (each cost 1/3 ms last time).
    let later = start + RECOUNT_AT_MOST_EVERY + Duration::from_secs(10);
    let request = t.plan(later);
    assert!(!request.is_empty());
    t.apply_recount(
        &request,
        Recount {
            db_now: at(140),
            ..Recount::default()
        },
        Duration::from_secs(1), // far over budget
        later,
    );
    // Overspent: nothing stale is recounted until the budget has been earned back,
    // but an urgent unit still is.
    let next = later + RECOUNT_AT_MOST_EVERY + Duration::from_secs(1);
    assert!(t.plan(next).is_empty());
    t.recount_all();
    assert!(!t.plan(next).is_empty());
}

#[test]
fn series_end_with_the_current_minute_and_drop_older_minutes() {
    let start = Instant::now();
    let mut t = counted(start);
    let b = broadcast(&t);
    assert_eq!(b.finished_per_minute.iter().sum::<u64>(), 5);
    // Twenty minutes later the old finishes have left the window.
    t.apply_heads(heads(100 + 20 * 60, vec![]));
    assert_eq!(broadcast(&t).finished_per_minute, vec![0; MINUTES]);
}
