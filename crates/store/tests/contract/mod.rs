//! The store contract: backend-neutral checks every `Store` implementation must pass.
//!
//! Each check builds a small, explicit data set, loads it through a [`Seeder`] into
//! an empty platform database, and asserts exact results from the `Store`. Ages are
//! set relative to the wall clock, well away from every threshold (e.g. 1 min vs
//! 10 min), because the database's `now()` keeps moving while a test runs.
#![allow(dead_code)]

mod fixes;
pub use fixes::*;
mod in_flight;
pub use in_flight::*;
mod readiness;
pub use readiness::*;
mod stop;
pub use stop::*;
mod test_broadcast;
pub use test_broadcast::*;

use async_trait::async_trait;
use chrono::{DateTime, Timelike, Utc};
use launchdeck_core::actions::{
    AuditRecord, AuditResult, AuditTarget, StatusChange, StatusRow, StatusTarget, WriteOutcome,
};
use launchdeck_core::domain::{CallSource, InFlightCall, LogFilter, Scope};
use launchdeck_core::stuck::{StuckThresholds, Stuckness, claim_is_stuck, classify};
use launchdeck_seed::SeedData;
use launchdeck_store::Store;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Loads data into the backend under test.
#[async_trait]
pub trait Seeder: Send + Sync {
    /// Inserts every table of `data` in order; panics with the database's message.
    async fn load(&self, data: &SeedData);
    /// Runs one statement against the test database (used to simulate drift).
    async fn execute(&self, sql: &str);
    /// Whether the platform's `auth.users` table exists and needs rows (PostgreSQL).
    fn has_auth_users(&self) -> bool;
    /// Every row of a query whose columns are all text (`CAST(x AS text)`), in order.
    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>>;
}

mod cleanup;

pub use cleanup::{
    cleanup_applies_each_rule, cleanup_concurrent_applies_change_each_row_once,
    cleanup_never_touches_redial_holds, cleanup_skips_rows_that_moved_on,
};

// ---------------------------------------------------------------------------
// Tenants and ids
// ---------------------------------------------------------------------------

pub const ORG_A: Uuid = Uuid::from_u128(0x0a00);
pub const ORG_B: Uuid = Uuid::from_u128(0x0b00);
/// Owner of org A.
pub const USER_A1: Uuid = Uuid::from_u128(0x0a01);
/// Member of org A.
pub const USER_A2: Uuid = Uuid::from_u128(0x0a02);
/// Owner of org B (the tenant that must never leak).
pub const USER_B1: Uuid = Uuid::from_u128(0x0b01);

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x1000_0000 + n)
}

fn org_of(user: Uuid) -> Uuid {
    if user == USER_B1 { ORG_B } else { ORG_A }
}

/// A timestamp `secs` seconds before now, as the seed JSON carries it.
fn ago(secs: i64) -> String {
    at_ago(secs).to_rfc3339()
}

fn at_ago(secs: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::seconds(secs)
}

fn phone(n: u32) -> String {
    format!("+1415555{n:04}")
}

/// An empty data set with every table the checks use, in dependency order.
fn new_seed(seeder: &dyn Seeder) -> SeedData {
    let mut data = SeedData::default();
    if seeder.has_auth_users() {
        data.table("auth.users");
    }
    for table in [
        "organizations",
        "organization_users",
        "leads",
        "campaigns",
        "campaign_leads",
        "voice_broadcasts",
        "broadcast_queue",
        "dialing_queues",
        "call_logs",
        "provider_dispatch_claims",
        "provider_reconciliation_jobs",
        "system_alerts",
        "sip_trunk_configs",
        "phone_numbers",
        "retell_agents",
        "calendar_integrations",
        "calendar_availability",
        "contact_stop_controls",
    ] {
        data.table(table);
    }
    tenants(&mut data, seeder.has_auth_users());
    data
}

fn tenants(data: &mut SeedData, auth_users: bool) {
    if auth_users {
        for user in [USER_A1, USER_A2, USER_B1] {
            data.table("auth.users")
                .push(json!({"id": user, "email": format!("{}@example.com", user.simple())}));
        }
    }
    data.table("organizations")
        .push(json!({"id": ORG_A, "name": "Acme Outbound", "slug": "acme"}));
    data.table("organizations")
        .push(json!({"id": ORG_B, "name": "Other Tenant", "slug": "other"}));
    for (org, user, role) in [
        (ORG_A, USER_A1, "owner"),
        (ORG_A, USER_A2, "member"),
        (ORG_B, USER_B1, "owner"),
    ] {
        data.table("organization_users")
            .push(json!({"organization_id": org, "user_id": user, "role": role}));
    }
}

fn broadcast(data: &mut SeedData, bid: Uuid, user: Uuid, name: &str, status: &str) {
    data.table("voice_broadcasts").push(json!({
        "id": bid, "user_id": user, "name": name, "status": status,
        "message_text": format!("Hello from {name}"),
        "caller_id": "+14155550000", "broadcast_provider": "twilio_classic",
    }));
}

/// A broadcast_queue row; `extra` adds or overrides columns.
fn queue_row(
    data: &mut SeedData,
    qid: Uuid,
    bid: Uuid,
    status: &str,
    updated_secs_ago: i64,
    extra: Value,
) {
    let mut row = json!({
        "id": qid, "broadcast_id": bid, "phone_number": phone(qid.as_u128() as u32 % 10_000),
        "status": status, "attempts": 1, "max_attempts": 1,
        "created_at": ago(updated_secs_ago + 3600), "updated_at": ago(updated_secs_ago),
    });
    merge(&mut row, extra);
    data.table("broadcast_queue").push(row);
}

fn campaign(data: &mut SeedData, cid: Uuid, user: Uuid, name: &str, status: &str) {
    data.table("campaigns").push(json!({
        "id": cid, "user_id": user, "organization_id": org_of(user), "name": name,
        "status": status, "agent_id": "agent_123", "provider": "retell",
    }));
}

fn lead(data: &mut SeedData, lid: Uuid, user: Uuid) {
    data.table("leads").push(json!({
        "id": lid, "user_id": user, "organization_id": org_of(user),
        "phone_number": phone(lid.as_u128() as u32 % 10_000), "first_name": "Lee",
    }));
}

/// A dialing_queues row with its own lead.
fn dialing_row(
    data: &mut SeedData,
    did: Uuid,
    cid: Uuid,
    user: Uuid,
    status: &str,
    updated_secs_ago: i64,
    extra: Value,
) {
    let lid = Uuid::from_u128(did.as_u128() + 0x5000_0000);
    lead(data, lid, user);
    let mut row = json!({
        "id": did, "campaign_id": cid, "lead_id": lid,
        "phone_number": phone(lid.as_u128() as u32 % 10_000), "status": status,
        "attempts": 0, "max_attempts": 3, "updated_at": ago(updated_secs_ago),
    });
    merge(&mut row, extra);
    data.table("dialing_queues").push(row);
}

fn call_log(
    data: &mut SeedData,
    lid: Uuid,
    user: Uuid,
    campaign: Option<Uuid>,
    status: &str,
    created_secs_ago: i64,
    extra: Value,
) {
    let mut row = json!({
        "id": lid, "user_id": user, "organization_id": org_of(user), "campaign_id": campaign,
        "phone_number": phone(lid.as_u128() as u32 % 10_000), "caller_id": "+14155550000",
        "status": status, "created_at": ago(created_secs_ago),
    });
    merge(&mut row, extra);
    data.table("call_logs").push(row);
}

/// A provider_dispatch_claims row for dialing row `queue` (or none); an `accepted`
/// claim carries a provider call id, as the platform's CHECK requires.
fn claim(
    data: &mut SeedData,
    claim_id: Uuid,
    call_log_id: Uuid,
    user: Uuid,
    queue: Option<Uuid>,
    status: &str,
    claimed_secs_ago: i64,
) {
    let provider_call_id = (status == "accepted").then(|| format!("call_{}", claim_id.simple()));
    data.table("provider_dispatch_claims").push(json!({
        "id": claim_id, "logical_key": format!("queue:{}:{}", claim_id.simple(), claim_id.simple()),
        "queue_id": queue, "dispatch_generation": queue.map(|_| claim_id),
        "call_log_id": call_log_id, "organization_id": org_of(user), "user_id": user,
        "provider": "retell", "status": status, "provider_call_id": provider_call_id,
        "claimed_at": ago(claimed_secs_ago), "destination_phone": phone(7000),
    }));
}

fn job(data: &mut SeedData, job_id: Uuid, claim_id: Uuid, user: Uuid, state: &str) {
    data.table("provider_reconciliation_jobs").push(json!({
        "id": job_id, "dispatch_claim_id": claim_id, "organization_id": org_of(user),
        "user_id": user, "state": state, "reason": "acceptance_unknown",
    }));
}

fn merge(row: &mut Value, extra: Value) {
    if let (Value::Object(row), Value::Object(extra)) = (row, extra) {
        row.extend(extra);
    }
}

fn set<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> BTreeSet<K> {
    items.iter().map(key).collect()
}

fn close_to(actual: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (actual - expected).num_milliseconds().abs() < 1_000
}

fn call(calls: &[InFlightCall], cid: Uuid) -> &InFlightCall {
    calls
        .iter()
        .find(|c| c.id == cid)
        .unwrap_or_else(|| panic!("call {cid} missing from the in-flight snapshot"))
}

fn all() -> Scope {
    Scope::default()
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// Rows in flight from broadcast_queue, call_logs and dialing_queues, and nothing
/// else; their stuck classification by the database's clock.
pub async fn in_flight_sources_and_stuck(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    queue_row(
        &mut data,
        id(10),
        b1,
        "calling",
        60,
        json!({"call_sid": "CAfresh", "max_attempts": 2}),
    );
    queue_row(&mut data, id(11), b1, "calling", 600, json!({}));
    queue_row(&mut data, id(12), b1, "pending", 600, json!({}));
    queue_row(&mut data, id(13), b1, "completed", 30, json!({}));
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
    call_log(
        &mut data,
        id(21),
        USER_A1,
        Some(c1),
        "ringing",
        600,
        json!({}),
    );
    call_log(
        &mut data,
        id(22),
        USER_A1,
        Some(c1),
        "ringing",
        600,
        json!({"retell_call_id": "call_live"}),
    );
    call_log(
        &mut data,
        id(23),
        USER_A1,
        Some(c1),
        "ringing",
        70 * 60,
        json!({"retell_call_id": "call_long"}),
    );
    call_log(
        &mut data,
        id(24),
        USER_A1,
        Some(c1),
        "completed",
        600,
        json!({"retell_call_id": "call_done"}),
    );
    dialing_row(&mut data, id(30), c1, USER_A1, "calling", 60, json!({}));
    dialing_row(
        &mut data,
        id(31),
        c1,
        USER_A1,
        "calling",
        600,
        json!({"attempts": 2}),
    );
    dialing_row(
        &mut data,
        id(32),
        c1,
        USER_A1,
        "calling",
        600,
        json!({"last_provider_call_id": "call_dq"}),
    );
    dialing_row(&mut data, id(33), c1, USER_A1, "pending", 600, json!({}));
    seeder.load(&data).await;

    let snap = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    let wall = Utc::now();
    assert!(
        (snap.db_now - wall).num_seconds().abs() < 300,
        "db_now {} is far from the wall clock {wall}",
        snap.db_now
    );
    let expected: BTreeSet<Uuid> = [10, 11, 20, 21, 22, 23, 30, 31, 32]
        .into_iter()
        .map(id)
        .collect();
    assert_eq!(
        set(&snap.calls, |c| c.id),
        expected,
        "exactly the rows in flight"
    );
    assert!(snap.open_claims.is_empty());
    assert_eq!(snap.manual_required_jobs, 0);
    assert!(
        snap.calls.iter().all(|c| !c.redial_hold),
        "no holds in this data set"
    );

    let q = call(&snap.calls, id(10));
    assert_eq!(q.source, CallSource::BroadcastQueue);
    assert_eq!(q.state, "calling");
    assert_eq!(q.provider_call_id.as_deref(), Some("CAfresh"));
    assert_eq!(q.broadcast_id, Some(b1));
    assert_eq!(q.parent_name.as_deref(), Some("Spring promo"));
    assert_eq!((q.attempts, q.max_attempts), (1, 2));
    assert_eq!(q.phone, phone(id(10).as_u128() as u32 % 10_000));
    assert!(
        close_to(q.since, at_ago(60)),
        "broadcast age is from updated_at"
    );

    let l = call(&snap.calls, id(22));
    assert_eq!(l.source, CallSource::CallLogs);
    assert_eq!(l.state, "ringing");
    assert_eq!(l.provider_call_id.as_deref(), Some("call_live"));
    assert_eq!(l.campaign_id, Some(c1));
    assert_eq!(l.parent_name.as_deref(), Some("Renewals"));
    assert!(
        close_to(l.since, at_ago(600)),
        "call_log age is from created_at"
    );

    let d = call(&snap.calls, id(31));
    assert_eq!(d.source, CallSource::DialingQueues);
    assert_eq!(d.campaign_id, Some(c1));
    assert_eq!(d.parent_name.as_deref(), Some("Renewals"));
    assert_eq!((d.attempts, d.max_attempts), (2, 3));
    assert!(
        close_to(d.since, at_ago(600)),
        "dialing age is from updated_at"
    );
    assert_eq!(
        call(&snap.calls, id(32)).provider_call_id.as_deref(),
        Some("call_dq")
    );

    let t = StuckThresholds::default();
    let verdicts: BTreeMap<Uuid, Stuckness> = snap
        .calls
        .iter()
        .map(|c| (c.id, classify(c, snap.db_now, &t)))
        .collect();
    let want = [
        (10, Stuckness::Live),
        (11, Stuckness::Stuck),
        (20, Stuckness::Live),
        (21, Stuckness::Stuck),
        (22, Stuckness::Live),
        (23, Stuckness::AskProvider),
        (30, Stuckness::Live),
        (31, Stuckness::Stuck),
        (32, Stuckness::Live),
    ];
    for (n, verdict) in want {
        assert_eq!(verdicts[&id(n)], verdict, "row {n}");
    }
}

/// Redial holds (quarantined call_logs; open claims on a dialing row), the open
/// claims themselves and the `manual_required` job count.
pub async fn redial_holds_claims_and_jobs(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let c1 = id(2);
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    dialing_row(&mut data, id(40), c1, USER_A1, "calling", 600, json!({}));
    dialing_row(&mut data, id(41), c1, USER_A1, "calling", 600, json!({}));
    dialing_row(&mut data, id(42), c1, USER_A1, "calling", 600, json!({}));
    dialing_row(
        &mut data,
        id(43),
        c1,
        USER_A1,
        "calling",
        600,
        json!({"last_provider_call_id": "call_acc"}),
    );
    dialing_row(&mut data, id(44), c1, USER_A1, "calling", 600, json!({}));
    // call_logs in flight: quarantined (recent and three days old) and free.
    let held = json!({"provider_reconciliation_required": true});
    call_log(
        &mut data,
        id(50),
        USER_A1,
        Some(c1),
        "queued",
        600,
        held.clone(),
    );
    call_log(
        &mut data,
        id(51),
        USER_A1,
        Some(c1),
        "queued",
        3 * 86_400,
        held.clone(),
    );
    call_log(
        &mut data,
        id(52),
        USER_A1,
        Some(c1),
        "queued",
        600,
        json!({}),
    );
    // Finished call_logs that carry the claims, and one quarantining dialing row 42.
    for n in 60..64 {
        call_log(
            &mut data,
            id(n),
            USER_A1,
            Some(c1),
            "failed",
            600,
            json!({}),
        );
    }
    call_log(
        &mut data,
        id(64),
        USER_A1,
        Some(c1),
        "failed",
        600,
        json!({"provider_reconciliation_required": true, "provider_reconciliation_queue_id": id(42)}),
    );
    claim(
        &mut data,
        id(70),
        id(60),
        USER_A1,
        Some(id(40)),
        "claimed",
        600,
    );
    claim(
        &mut data,
        id(71),
        id(61),
        USER_A1,
        Some(id(41)),
        "acceptance_unknown",
        10,
    );
    claim(
        &mut data,
        id(72),
        id(62),
        USER_A1,
        Some(id(43)),
        "accepted",
        600,
    );
    claim(
        &mut data,
        id(73),
        id(63),
        USER_A1,
        Some(id(44)),
        "definite_failure",
        600,
    );
    job(&mut data, id(80), id(71), USER_A1, "manual_required");
    job(&mut data, id(81), id(70), USER_A1, "queued");
    seeder.load(&data).await;

    let snap = store
        .calls_in_flight(&all())
        .await
        .expect("calls_in_flight");
    let holds: BTreeMap<Uuid, bool> = snap.calls.iter().map(|c| (c.id, c.redial_hold)).collect();
    let want = [
        (40, true),  // claimed
        (41, true),  // acceptance_unknown
        (42, true),  // a quarantined call_log points at it
        (43, false), // accepted claim
        (44, false), // definite_failure claim
        (50, true),
        (51, true), // old, but a hold is shown whatever its age
        (52, false),
    ];
    assert_eq!(holds.len(), want.len(), "in flight: {holds:?}");
    for (n, hold) in want {
        assert_eq!(holds.get(&id(n)), Some(&hold), "redial hold of row {n}");
    }

    let claims: BTreeMap<Uuid, &str> = snap
        .open_claims
        .iter()
        .map(|c| (c.id, c.status.as_str()))
        .collect();
    assert_eq!(
        claims,
        BTreeMap::from([(id(70), "claimed"), (id(71), "acceptance_unknown")]),
        "only claimed / acceptance_unknown claims are open"
    );
    let t = StuckThresholds::default();
    for c in &snap.open_claims {
        let stuck = claim_is_stuck(c, snap.db_now, &t);
        assert_eq!(stuck, c.id == id(70), "claim {} stuck", c.id);
        assert_eq!(c.destination_phone.as_deref(), Some(phone(7000).as_str()));
        assert_eq!(c.campaign_id, None);
    }
    assert_eq!(
        snap.open_claims
            .iter()
            .find(|c| c.id == id(70))
            .and_then(|c| c.queue_id),
        Some(id(40))
    );
    assert_eq!(snap.manual_required_jobs, 1);
}

/// Per-owner ids of everything the scope check seeds, by kind.
const KINDS: [(&str, u128); 16] = [
    ("broadcast", 1),
    ("queue_calling", 2),
    ("queue_done", 3),
    ("campaign", 4),
    ("dialing", 5),
    ("log_queued", 6),
    ("log_done", 7),
    ("claim", 8),
    ("job", 9),
    ("alert", 10),
    ("trunk", 11),
    ("phone", 12),
    ("agent", 13),
    ("calendar", 14),
    ("availability", 15),
    ("stop", 16),
];

fn owned(owner: Uuid, kind: &str) -> Uuid {
    let k = KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, k)| *k)
        .unwrap_or_else(|| panic!("unknown kind {kind}"));
    Uuid::from_u128((owner.as_u128() << 16) | k)
}

fn owned_set(owners: &[Uuid], kinds: &[&str]) -> BTreeSet<Uuid> {
    owners
        .iter()
        .flat_map(|o| kinds.iter().map(move |k| owned(*o, k)))
        .collect()
}

fn one_of_everything(data: &mut SeedData, owner: Uuid, n: u32) {
    let o = |kind| owned(owner, kind);
    broadcast(
        data,
        o("broadcast"),
        owner,
        &format!("Broadcast {n}"),
        "active",
    );
    queue_row(
        data,
        o("queue_calling"),
        o("broadcast"),
        "calling",
        60,
        json!({}),
    );
    queue_row(
        data,
        o("queue_done"),
        o("broadcast"),
        "completed",
        60,
        json!({}),
    );
    campaign(
        data,
        o("campaign"),
        owner,
        &format!("Campaign {n}"),
        "active",
    );
    dialing_row(
        data,
        o("dialing"),
        o("campaign"),
        owner,
        "calling",
        60,
        json!({}),
    );
    call_log(
        data,
        o("log_queued"),
        owner,
        Some(o("campaign")),
        "queued",
        60,
        json!({}),
    );
    call_log(
        data,
        o("log_done"),
        owner,
        Some(o("campaign")),
        "completed",
        120,
        json!({}),
    );
    claim(
        data,
        o("claim"),
        o("log_done"),
        owner,
        Some(o("dialing")),
        "claimed",
        30,
    );
    job(data, o("job"), o("claim"), owner, "manual_required");
    data.table("system_alerts").push(json!({
        "id": o("alert"), "user_id": owner, "alert_type": "stuck_calls", "severity": "warning",
        "title": "Stuck calls", "message": format!("tenant {n}"), "acknowledged": false,
    }));
    data.table("sip_trunk_configs").push(json!({
        "id": o("trunk"), "user_id": owner, "name": format!("Trunk {n}"), "provider_type": "twilio",
    }));
    data.table("phone_numbers").push(json!({
        "id": o("phone"), "user_id": owner, "organization_id": org_of(owner),
        "number": phone(9000 + n), "area_code": "415",
    }));
    data.table("retell_agents").push(json!({
        "id": o("agent"), "user_id": owner, "organization_id": org_of(owner),
        "retell_agent_id": format!("agent_{n}"), "agent_name": format!("Agent {n}"),
    }));
    data.table("calendar_integrations").push(json!({
        "id": o("calendar"), "user_id": owner, "provider": "google",
    }));
    data.table("calendar_availability").push(json!({
        "id": o("availability"), "user_id": owner,
    }));
    data.table("contact_stop_controls").push(json!({
        "id": o("stop"), "scope_type": "user", "user_id": owner, "reason": format!("pause {n}"),
    }));
}

/// Scope by organization, by user and both: another tenant's rows never appear.
pub async fn scope_filters_every_read(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    for (n, owner) in [USER_A1, USER_A2, USER_B1].into_iter().enumerate() {
        one_of_everything(&mut data, owner, n as u32 + 1);
    }
    let global_stop = id(99);
    data.table("contact_stop_controls")
        .push(json!({"id": global_stop, "scope_type": "global", "reason": "all stop"}));
    seeder.load(&data).await;

    let cases = [
        ("everything", all(), vec![USER_A1, USER_A2, USER_B1]),
        (
            "user A1",
            Scope {
                user_id: Some(USER_A1),
                org_id: None,
            },
            vec![USER_A1],
        ),
        (
            "user A2",
            Scope {
                user_id: Some(USER_A2),
                org_id: None,
            },
            vec![USER_A2],
        ),
        (
            "org A",
            Scope {
                user_id: None,
                org_id: Some(ORG_A),
            },
            vec![USER_A1, USER_A2],
        ),
        (
            "org B",
            Scope {
                user_id: None,
                org_id: Some(ORG_B),
            },
            vec![USER_B1],
        ),
        (
            "A1 in org A",
            Scope {
                user_id: Some(USER_A1),
                org_id: Some(ORG_A),
            },
            vec![USER_A1],
        ),
        (
            "A1 in org B",
            Scope {
                user_id: Some(USER_A1),
                org_id: Some(ORG_B),
            },
            vec![],
        ),
    ];
    for (label, scope, owners) in cases {
        check_scope(store, label, &scope, &owners, global_stop).await;
    }
}

async fn check_scope(
    store: &dyn Store,
    label: &str,
    scope: &Scope,
    owners: &[Uuid],
    global_stop: Uuid,
) {
    let want = |kinds: &[&str]| owned_set(owners, kinds);

    let snap = store.calls_in_flight(scope).await.expect("calls_in_flight");
    assert_eq!(
        set(&snap.calls, |c| c.id),
        want(&["queue_calling", "log_queued", "dialing"]),
        "{label}: in flight"
    );
    assert_eq!(
        set(&snap.open_claims, |c| c.id),
        want(&["claim"]),
        "{label}: claims"
    );
    assert_eq!(
        snap.manual_required_jobs,
        owners.len() as i64,
        "{label}: manual jobs"
    );

    let logs = store
        .call_log_window(scope, &LogFilter::default(), 100)
        .await
        .expect("call_log_window");
    assert_eq!(
        set(&logs, |l| l.id),
        want(&["log_queued", "log_done", "queue_done"]),
        "{label}: logs"
    );

    let bp = store
        .broadcast_progress(scope)
        .await
        .expect("broadcast_progress");
    assert_eq!(
        set(&bp, |b| b.id),
        want(&["broadcast"]),
        "{label}: broadcast progress"
    );
    let cp = store
        .campaign_progress(scope)
        .await
        .expect("campaign_progress");
    assert_eq!(
        set(&cp, |c| c.id),
        want(&["campaign"]),
        "{label}: campaign progress"
    );

    let alerts = store
        .unacknowledged_alerts(scope, 100)
        .await
        .expect("alerts");
    assert_eq!(set(&alerts, |a| a.id), want(&["alert"]), "{label}: alerts");
    let phones = store.phone_numbers(scope).await.expect("phone_numbers");
    assert_eq!(
        set(&phones, |p| p.id),
        want(&["phone"]),
        "{label}: phone numbers"
    );
    let trunks = store.sip_trunks(scope).await.expect("sip_trunks");
    assert_eq!(set(&trunks, |t| t.id), want(&["trunk"]), "{label}: trunks");
    let agents = store.retell_agents(scope).await.expect("retell_agents");
    assert_eq!(set(&agents, |a| a.id), want(&["agent"]), "{label}: agents");
    let cals = store
        .calendar_integrations(scope)
        .await
        .expect("calendar_integrations");
    assert_eq!(
        set(&cals, |c| c.id),
        want(&["calendar"]),
        "{label}: calendar integrations"
    );
    let avail = store
        .calendar_availability(scope)
        .await
        .expect("calendar_availability");
    assert_eq!(
        set(&avail, |a| a.id),
        want(&["availability"]),
        "{label}: availability"
    );
    let broadcasts = store.broadcasts(scope).await.expect("broadcasts");
    assert_eq!(
        set(&broadcasts, |b| b.id),
        want(&["broadcast"]),
        "{label}: broadcasts"
    );
    let campaigns = store.campaigns(scope).await.expect("campaigns");
    assert_eq!(
        set(&campaigns, |c| c.id),
        want(&["campaign"]),
        "{label}: campaigns"
    );

    let stops = store.active_stops(scope).await.expect("active_stops");
    let mut want_stops = want(&["stop"]);
    want_stops.insert(global_stop);
    assert_eq!(
        set(&stops, |s| s.id),
        want_stops,
        "{label}: stops (the global stop applies to all)"
    );
}

/// The Logs window: newest first across call_logs (by created_at) and finished
/// broadcast_queue rows of active broadcasts (by updated_at), limited and filtered.
pub async fn log_window_order_limit_and_filters(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, c1) = (id(1), id(2));
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    call_log(
        &mut data,
        id(100),
        USER_A1,
        Some(c1),
        "completed",
        100,
        json!({
            "outcome": "interested", "notes": "wants a demo", "retell_call_id": "call_aaa",
            "retell_cost_cents": 250, "duration_seconds": 95, "agent_id": "agent_123",
        }),
    );
    call_log(
        &mut data,
        id(101),
        USER_A1,
        Some(c1),
        "failed",
        300,
        json!({
            "notes": "caller not in Retell", "phone_number": "+14155550122",
        }),
    );
    call_log(
        &mut data,
        id(102),
        USER_A1,
        None,
        "no_answer",
        500,
        json!({}),
    );
    call_log(
        &mut data,
        id(103),
        USER_A1,
        Some(c1),
        "queued",
        50,
        json!({}),
    );
    queue_row(
        &mut data,
        id(110),
        b1,
        "answered",
        200,
        json!({
            "call_sid": "CA111", "call_cost": 0.0125, "call_duration_seconds": 40, "dtmf_pressed": "1",
        }),
    );
    queue_row(
        &mut data,
        id(111),
        b1,
        "failed",
        400,
        json!({
            "error_code": "E503", "error_message": "carrier busy",
        }),
    );
    queue_row(&mut data, id(112), b1, "pending", 10, json!({}));
    queue_row(&mut data, id(113), b1, "calling", 20, json!({}));
    // Rows of broadcasts that are not active show only when the filter names them.
    let paused = id(8);
    broadcast(&mut data, paused, USER_A1, "Paused one", "paused");
    queue_row(&mut data, id(114), paused, "answered", 60, json!({}));
    seeder.load(&data).await;

    let window = |filter: LogFilter, limit: u32| async move {
        store
            .call_log_window(&all(), &filter, limit)
            .await
            .expect("call_log_window")
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    let ids = |ns: &[u128]| ns.iter().map(|n| id(*n)).collect::<Vec<_>>();
    let text = |t: &str| LogFilter {
        text: Some(t.into()),
        ..LogFilter::default()
    };

    assert_eq!(
        window(LogFilter::default(), 50).await,
        ids(&[103, 100, 110, 101, 111, 102]),
        "newest first; pending/calling queue rows left out"
    );
    assert_eq!(
        window(LogFilter::default(), 3).await,
        ids(&[103, 100, 110]),
        "limit"
    );
    assert_eq!(window(LogFilter::default(), 0).await, ids(&[]), "limit 0");
    let failed = LogFilter {
        status: Some("failed".into()),
        ..LogFilter::default()
    };
    assert_eq!(window(failed, 50).await, ids(&[101, 111]), "status filter");
    assert_eq!(
        window(text("DEMO"), 50).await,
        ids(&[100]),
        "text matches notes, any case"
    );
    assert_eq!(
        window(text("ca111"), 50).await,
        ids(&[110]),
        "text matches the provider id"
    );
    assert_eq!(
        window(text("0122"), 50).await,
        ids(&[101]),
        "text matches the number's digits"
    );
    assert_eq!(
        window(text("E503"), 50).await,
        ids(&[111]),
        "text matches queue error text"
    );
    assert_eq!(
        window(text("interest"), 50).await,
        ids(&[100]),
        "text matches the outcome"
    );
    assert_eq!(
        window(text("%"), 50).await,
        ids(&[]),
        "LIKE wildcards are literal"
    );
    let by_campaign = LogFilter {
        campaign_id: Some(c1),
        ..LogFilter::default()
    };
    assert_eq!(
        window(by_campaign, 50).await,
        ids(&[103, 100, 101]),
        "campaign filter"
    );
    let by_broadcast = LogFilter {
        broadcast_id: Some(b1),
        ..LogFilter::default()
    };
    assert_eq!(
        window(by_broadcast, 50).await,
        ids(&[110, 111]),
        "broadcast filter"
    );
    let by_paused = LogFilter {
        broadcast_id: Some(paused),
        ..LogFilter::default()
    };
    assert_eq!(
        window(by_paused, 50).await,
        ids(&[114]),
        "a named broadcast, whatever its status"
    );

    let entries = store
        .call_log_window(&all(), &LogFilter::default(), 50)
        .await
        .expect("window");
    let entry = |n| {
        entries
            .iter()
            .find(|e| e.id == id(n))
            .unwrap_or_else(|| panic!("entry {n}"))
    };
    let l = entry(100);
    assert_eq!(l.source, CallSource::CallLogs);
    assert_eq!(l.status, "completed");
    assert_eq!(l.outcome.as_deref(), Some("interested"));
    assert_eq!(l.duration_seconds, Some(95));
    assert_eq!(l.cost, Some(2.5), "retell_cost_cents / 100");
    assert_eq!(l.provider_call_id.as_deref(), Some("call_aaa"));
    assert_eq!(l.campaign_id, Some(c1));
    assert_eq!(l.parent_name.as_deref(), Some("Renewals"));
    assert_eq!(l.agent_id.as_deref(), Some("agent_123"));
    assert_eq!(l.caller_id.as_deref(), Some("+14155550000"));
    assert!(close_to(l.created_at, at_ago(100)));
    let q = entry(110);
    assert_eq!(q.source, CallSource::BroadcastQueue);
    assert_eq!(q.status, "answered");
    assert_eq!(q.cost, Some(0.0125), "call_cost");
    assert_eq!(q.duration_seconds, Some(40));
    assert_eq!(q.provider_call_id.as_deref(), Some("CA111"));
    assert_eq!(q.broadcast_id, Some(b1));
    assert_eq!(q.parent_name.as_deref(), Some("Spring promo"));
    assert!(close_to(q.updated_at, at_ago(200)));
    assert_eq!(entry(111).notes.as_deref(), Some("E503: carrier busy"));
    assert_eq!(entry(102).cost, None);
}

/// Status counts per draft/active/paused broadcast and, for active ones, rows
/// finished per minute (by updated_at, the last 15 minutes, oldest first).
pub async fn broadcast_progress_counts_and_rates(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (b1, b2, b3, b4) = (id(1), id(3), id(4), id(5));
    broadcast(&mut data, b1, USER_A1, "A live", "active");
    broadcast(&mut data, b2, USER_A1, "B paused", "paused");
    broadcast(&mut data, b3, USER_A1, "C done", "completed");
    broadcast(&mut data, b4, USER_A1, "D draft", "draft");
    let rows: [(u128, &str, i64); 11] = [
        (200, "pending", 30),
        (201, "pending", 30),
        (202, "pending", 30),
        (203, "calling", 30),
        (204, "calling", 600),
        (205, "answered", 30),
        (206, "answered", 30),
        (207, "weird_status", 90),
        (208, "completed", 150),
        (209, "voicemail", 850),
        (210, "failed", 1200),
    ];
    for (n, status, secs) in rows {
        queue_row(&mut data, id(n), b1, status, secs, json!({}));
    }
    queue_row(&mut data, id(211), b3, "completed", 30, json!({}));
    queue_row(&mut data, id(212), b2, "completed", 30, json!({}));
    seeder.load(&data).await;

    let progress = store
        .broadcast_progress(&all())
        .await
        .expect("broadcast_progress");
    assert_eq!(
        set(&progress, |b| b.id),
        BTreeSet::from([b1, b2, b4]),
        "draft, active and paused only"
    );
    let live = progress.iter().find(|b| b.id == b1).expect("broadcast A");
    assert_eq!(live.name, "A live");
    assert_eq!(live.status, "active");
    let counts: BTreeMap<&str, i64> = live
        .counts
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("pending", 3),
            ("calling", 2),
            ("answered", 2),
            ("weird_status", 1),
            ("completed", 1),
            ("voicemail", 1),
            ("failed", 1),
        ])
    );
    let mut want = vec![0u64; 15];
    want[14] = 2; // answered 30 s ago
    want[13] = 1; // unknown status 90 s ago still counts as finished
    want[12] = 1; // completed 150 s ago
    want[0] = 1; // voicemail 14 min 10 s ago
    assert_eq!(
        live.finished_per_minute, want,
        "pending/calling and rows over 15 min old left out"
    );
    let paused = progress.iter().find(|b| b.id == b2).expect("broadcast B");
    assert_eq!(paused.counts.get("completed"), 1);
    assert_eq!(paused.counts.total(), 1);
    assert_eq!(
        paused.finished_per_minute,
        vec![0u64; 15],
        "only active broadcasts have a finish rate"
    );
    let draft = progress.iter().find(|b| b.id == b4).expect("broadcast D");
    assert!(draft.counts.0.is_empty());
}

/// Dialing-queue counts, call-log counts, picked-up count and calls per minute.
pub async fn campaign_progress_counts_and_rates(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (c1, c2, c3) = (id(2), id(6), id(7));
    campaign(&mut data, c1, USER_A1, "A renewals", "active");
    campaign(&mut data, c2, USER_A1, "B finished", "completed");
    campaign(&mut data, c3, USER_A1, "C draft", "draft");
    for (n, status) in [
        (300, "pending"),
        (301, "pending"),
        (302, "calling"),
        (303, "completed"),
        (304, "failed"),
    ] {
        dialing_row(&mut data, id(n), c1, USER_A1, status, 600, json!({}));
    }
    dialing_row(&mut data, id(305), c2, USER_A1, "completed", 600, json!({}));
    let logs: [(u128, &str, i64, i64); 6] = [
        (310, "completed", 95, 30),
        (311, "completed", 0, 90),
        (312, "answered", 0, 150),
        (313, "failed", 0, 150),
        (314, "no_answer", 0, 20 * 60),
        (315, "queued", 0, 30),
    ];
    for (n, status, duration, secs) in logs {
        call_log(
            &mut data,
            id(n),
            USER_A1,
            Some(c1),
            status,
            secs,
            json!({"duration_seconds": duration}),
        );
    }
    call_log(
        &mut data,
        id(316),
        USER_A1,
        Some(c2),
        "completed",
        30,
        json!({"duration_seconds": 20}),
    );
    seeder.load(&data).await;

    let progress = store
        .campaign_progress(&all())
        .await
        .expect("campaign_progress");
    assert_eq!(
        set(&progress, |c| c.id),
        BTreeSet::from([c1, c3]),
        "draft, active and paused only"
    );
    let p = progress.iter().find(|c| c.id == c1).expect("campaign A");
    assert_eq!(
        (p.name.as_str(), p.status.as_str()),
        ("A renewals", "active")
    );
    assert_eq!(p.agent_id.as_deref(), Some("agent_123"));
    let queue: BTreeMap<&str, i64> = p
        .queue_counts
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        queue,
        BTreeMap::from([
            ("pending", 2),
            ("calling", 1),
            ("completed", 1),
            ("failed", 1)
        ])
    );
    let logs: BTreeMap<&str, i64> = p
        .log_counts
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        logs,
        BTreeMap::from([
            ("completed", 2),
            ("answered", 1),
            ("failed", 1),
            ("no_answer", 1),
            ("queued", 1)
        ])
    );
    assert_eq!(p.log_picked_up, 2, "answered, or completed with a duration");
    let mut want = vec![0u64; 15];
    want[14] = 2;
    want[13] = 1;
    want[12] = 2;
    assert_eq!(
        p.calls_per_minute, want,
        "by created_at over the last 15 minutes"
    );
    let draft = progress.iter().find(|c| c.id == c3).expect("campaign C");
    assert!(draft.queue_counts.0.is_empty() && draft.log_counts.0.is_empty());
    assert_eq!(draft.log_picked_up, 0);
    assert_eq!(draft.calls_per_minute, vec![0u64; 15]);
}

/// Unacknowledged alerts, newest first, limited.
pub async fn alerts_newest_unacknowledged_first(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    for (n, secs, acknowledged) in [
        (400, 300, false),
        (401, 100, false),
        (402, 50, true),
        (403, 200, false),
    ] {
        data.table("system_alerts").push(json!({
            "id": id(n), "user_id": USER_A1, "alert_type": "stuck_calls", "severity": "critical",
            "title": format!("Alert {n}"), "message": "12 calls stuck", "related_id": id(1).to_string(),
            "related_type": "broadcast", "acknowledged": acknowledged, "created_at": ago(secs),
        }));
    }
    seeder.load(&data).await;

    let alerts = store
        .unacknowledged_alerts(&all(), 10)
        .await
        .expect("alerts");
    assert_eq!(
        alerts.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![id(401), id(403), id(400)]
    );
    let two = store
        .unacknowledged_alerts(&all(), 2)
        .await
        .expect("alerts");
    assert_eq!(
        two.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![id(401), id(403)]
    );
    let a = &alerts[0];
    assert_eq!(
        (a.alert_type.as_str(), a.severity.as_str()),
        ("stuck_calls", "critical")
    );
    assert_eq!(a.title.as_deref(), Some("Alert 401"));
    assert_eq!(a.message, "12 calls stuck");
    assert_eq!(a.related_id, Some(id(1).to_string()));
    assert_eq!(a.related_type.as_deref(), Some("broadcast"));
    assert_eq!(a.user_id, USER_A1);
    assert!(close_to(a.created_at, at_ago(100)));
}

/// The readiness inputs: numbers, trunks, agents, calendar rows (token presence
/// only), broadcast and campaign definitions, active stops.
pub async fn readiness_tables(store: &dyn Store, seeder: &dyn Seeder) {
    const TOKEN: &str = "eWEyOS5zZWNyZXQtYWNjZXNzLXRva2Vu";
    let mut data = new_seed(seeder);
    let trunk = id(500);
    data.table("sip_trunk_configs").push(json!({
        "id": trunk, "user_id": USER_A1, "name": "Main trunk", "provider_type": "twilio",
        "is_active": true, "is_default": true, "twilio_trunk_sid": "TK0123456789abcdef0123456789abcdef",
        "twilio_termination_uri": "acme.pstn.twilio.com",
    }));
    data.table("phone_numbers").push(json!({
        "id": id(501), "user_id": USER_A1, "organization_id": ORG_A, "number": "+14155550142",
        "area_code": "415", "provider": "retell_native", "purpose": "retell_agent",
        "retell_phone_id": "+14155550142", "daily_calls": 12, "max_daily_calls": 100,
        "sip_trunk_config_id": trunk, "friendly_name": "Main line",
    }));
    data.table("phone_numbers").push(json!({
        "id": id(502), "user_id": USER_A1, "organization_id": ORG_A, "number": "+14155550143",
        "area_code": "415", "status": "quarantined", "quarantine_until": "2099-01-01",
        "is_spam": true, "call_direction": "both",
    }));
    data.table("retell_agents").push(json!({
        "id": id(503), "user_id": USER_A1, "organization_id": ORG_A, "retell_agent_id": "agent_123",
        "agent_name": "Renewals agent", "webhook_url": "https://example.com/hook", "status": "active",
    }));
    let expires = Utc::now() + chrono::Duration::seconds(300);
    data.table("calendar_integrations").push(json!({
        "id": id(504), "user_id": USER_A1, "provider": "google",
        "provider_account_email": "ops@example.com", "access_token_encrypted": TOKEN,
        "token_expires_at": expires.to_rfc3339(), "calendar_id": "primary",
        "sync_errors": [{"error": "rate_limited"}],
    }));
    let schedule = r#"{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[],"wednesday":[],"thursday":[],"friday":[],"saturday":[],"sunday":[]}"#;
    data.table("calendar_availability").push(json!({
        "id": id(505), "user_id": USER_A1, "timezone": "America/Chicago", "weekly_schedule": schedule,
    }));
    for (n, status) in [
        (510, "draft"),
        (511, "active"),
        (512, "paused"),
        (513, "completed"),
    ] {
        broadcast(&mut data, id(n), USER_A1, &format!("Broadcast {n}"), status);
    }
    let c1 = id(520);
    campaign(&mut data, c1, USER_A1, "Renewals", "active");
    campaign(&mut data, id(521), USER_A1, "Old", "completed");
    for n in 530..533 {
        lead(&mut data, id(n), USER_A1);
        data.table("campaign_leads")
            .push(json!({"campaign_id": c1, "lead_id": id(n)}));
    }
    let future = (Utc::now() + chrono::Duration::seconds(3600)).to_rfc3339();
    data.table("contact_stop_controls").push(json!({
        "id": id(540), "scope_type": "campaign", "campaign_id": c1, "channel": "voice",
        "reason": "operator stop", "metadata": {"source": "launchdeck"},
    }));
    data.table("contact_stop_controls").push(json!({
        "id": id(541), "scope_type": "global", "reason": "expired", "expires_at": ago(60),
    }));
    data.table("contact_stop_controls").push(json!({
        "id": id(542), "scope_type": "global", "reason": "lifted", "active": false,
    }));
    data.table("contact_stop_controls").push(json!({
        "id": id(543), "scope_type": "organization", "organization_id": ORG_A,
        "reason": "until later", "expires_at": future,
    }));
    seeder.load(&data).await;

    let phones = store.phone_numbers(&all()).await.expect("phone_numbers");
    assert_eq!(phones.len(), 2);
    let main = phones.iter().find(|p| p.id == id(501)).expect("main line");
    assert_eq!(main.number, "+14155550142");
    assert_eq!(
        (main.status.as_str(), main.is_spam, main.daily_calls),
        ("active", false, 12)
    );
    assert_eq!(main.max_daily_calls, Some(100));
    assert_eq!(main.provider.as_deref(), Some("retell_native"));
    assert_eq!(main.purpose.as_deref(), Some("retell_agent"));
    assert_eq!(main.retell_phone_id.as_deref(), Some("+14155550142"));
    assert_eq!(main.sip_trunk_config_id, Some(trunk));
    assert_eq!(main.call_direction, "outbound");
    assert_eq!(main.friendly_name.as_deref(), Some("Main line"));
    let q = phones
        .iter()
        .find(|p| p.id == id(502))
        .expect("quarantined line");
    assert_eq!(q.status, "quarantined");
    assert_eq!(
        q.quarantine_until,
        chrono::NaiveDate::from_ymd_opt(2099, 1, 1)
    );
    assert!(q.is_spam);
    assert_eq!(q.call_direction, "both");

    let trunks = store.sip_trunks(&all()).await.expect("sip_trunks");
    assert_eq!(trunks.len(), 1);
    let t = &trunks[0];
    assert_eq!(
        (
            t.name.as_str(),
            t.provider_type.as_str(),
            t.is_active,
            t.is_default
        ),
        ("Main trunk", "twilio", true, true)
    );
    assert_eq!(
        t.twilio_termination_uri.as_deref(),
        Some("acme.pstn.twilio.com")
    );
    assert_eq!(t.telnyx_connection_id, None);

    let agents = store.retell_agents(&all()).await.expect("retell_agents");
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].retell_agent_id, "agent_123");
    assert_eq!(
        agents[0].webhook_url.as_deref(),
        Some("https://example.com/hook")
    );

    let cals = store
        .calendar_integrations(&all())
        .await
        .expect("calendar_integrations");
    assert_eq!(cals.len(), 1);
    let cal = &cals[0];
    assert!(cal.has_access_token && !cal.has_refresh_token);
    assert!(cal.token_expires_at.is_some_and(|t| close_to(t, expires)));
    assert_eq!(cal.sync_errors, json!([{"error": "rate_limited"}]));
    assert_eq!(
        cal.provider_account_email.as_deref(),
        Some("ops@example.com")
    );
    let shown = format!(
        "{cals:?} {}",
        serde_json::to_string(&cals).unwrap_or_default()
    );
    assert!(!shown.contains(TOKEN), "the token itself is never read");

    let avail = store
        .calendar_availability(&all())
        .await
        .expect("calendar_availability");
    assert_eq!(avail.len(), 1);
    assert_eq!(avail[0].timezone, "America/Chicago");
    assert_eq!(
        avail[0].weekly_schedule,
        Value::String(schedule.into()),
        "the browser's string form is kept"
    );

    let broadcasts = store.broadcasts(&all()).await.expect("broadcasts");
    assert_eq!(
        set(&broadcasts, |b| b.id),
        BTreeSet::from([id(510), id(511), id(512)])
    );
    let b = broadcasts
        .iter()
        .find(|b| b.id == id(511))
        .expect("active broadcast");
    assert_eq!(b.message_text, "Hello from Broadcast 511");
    assert_eq!(b.caller_id.as_deref(), Some("+14155550000"));
    assert_eq!(b.broadcast_provider.as_deref(), Some("twilio_classic"));

    let campaigns = store.campaigns(&all()).await.expect("campaigns");
    assert_eq!(campaigns.len(), 1);
    let c = &campaigns[0];
    assert_eq!((c.id, c.lead_count, c.provider.as_str()), (c1, 3, "retell"));
    assert_eq!(c.agent_id.as_deref(), Some("agent_123"));
    assert_eq!(c.organization_id, ORG_A);

    let stops = store.active_stops(&all()).await.expect("active_stops");
    let flags: BTreeMap<Uuid, bool> = stops
        .iter()
        .map(|s| (s.id, s.created_by_launchdeck))
        .collect();
    assert_eq!(
        flags,
        BTreeMap::from([(id(540), true), (id(543), false)]),
        "active and unexpired only"
    );
    let s = stops
        .iter()
        .find(|s| s.id == id(540))
        .expect("campaign stop");
    assert_eq!(
        (s.scope_type.as_str(), s.channel.as_str(), s.reason.as_str()),
        ("campaign", "voice", "operator stop")
    );
    assert_eq!(s.campaign_id, Some(c1));
}

/// missing_schema is empty on the platform schema and names a dropped column.
pub async fn missing_schema_names_drift(store: &dyn Store, seeder: &dyn Seeder) {
    assert_eq!(
        store.missing_schema().await.expect("missing_schema"),
        Vec::<String>::new()
    );
    seeder
        .execute("ALTER TABLE system_alerts DROP COLUMN related_type")
        .await;
    let missing = store.missing_schema().await.expect("missing_schema");
    assert_eq!(missing, vec!["system_alerts.related_type".to_string()]);
}

/// db_info answers with the database's clock.
pub async fn db_info_reports_the_server(store: &dyn Store) {
    let info = store.db_info().await.expect("db_info");
    assert!(["postgres", "sqlite"].contains(&info.backend));
    assert!(!info.server_version.trim().is_empty());
    assert!((info.db_now - Utc::now()).num_seconds().abs() < 300);
}

// ---------------------------------------------------------------------------
// Actions: conditional status writes and the audit log
// ---------------------------------------------------------------------------

/// One active broadcast (USER_A1) and one active campaign, both last updated an hour ago.
async fn seed_status_rows(seeder: &dyn Seeder) -> (StatusTarget, StatusTarget) {
    let mut data = new_seed(seeder);
    let (b, c) = (id(900), id(901));
    broadcast(&mut data, b, USER_A1, "Spring promo", "active");
    campaign(&mut data, c, USER_A1, "Renewals", "active");
    for table in ["voice_broadcasts", "campaigns"] {
        if let Some(row) = data.table(table).rows.last_mut() {
            row.insert("updated_at".into(), json!(ago(3600)));
        }
    }
    seeder.load(&data).await;
    (StatusTarget::broadcast(b), StatusTarget::campaign(c))
}

async fn read_row(store: &dyn Store, target: StatusTarget) -> StatusRow {
    store
        .status_row(target, &all())
        .await
        .unwrap_or_else(|e| panic!("status_row {target}: {e}"))
        .unwrap_or_else(|| panic!("{target} exists"))
}

async fn change(store: &dyn Store, row: &StatusRow, to: &str) -> WriteOutcome {
    store
        .change_status(&StatusChange::from_preview(row, to))
        .await
        .unwrap_or_else(|e| panic!("change_status {}: {e}", row.target))
}

/// The row as previewed, in and out of scope; an unknown id is `None`.
pub async fn status_rows_and_scope(store: &dyn Store, seeder: &dyn Seeder) {
    let (b, c) = seed_status_rows(seeder).await;
    for target in [b, c] {
        let row = read_row(store, target).await;
        assert_eq!(row.target, target);
        assert_eq!(row.status, "active");
        assert!(row.in_scope);
        let updated_at = row.updated_at.expect("updated_at is set");
        assert!(close_to(updated_at, at_ago(3600)), "{updated_at}");

        for (scope, in_scope) in [
            (
                Scope {
                    user_id: Some(USER_A1),
                    org_id: None,
                },
                true,
            ),
            (
                Scope {
                    user_id: None,
                    org_id: Some(ORG_A),
                },
                true,
            ),
            (
                Scope {
                    user_id: Some(USER_A2),
                    org_id: None,
                },
                false,
            ),
            (
                Scope {
                    user_id: None,
                    org_id: Some(ORG_B),
                },
                false,
            ),
        ] {
            let row = store
                .status_row(target, &scope)
                .await
                .expect("status_row")
                .expect("the row exists whatever the scope");
            assert_eq!(row.in_scope, in_scope, "{target} in {scope:?}");
        }
    }
    let missing = store
        .status_row(StatusTarget::campaign(id(999)), &all())
        .await
        .expect("status_row");
    assert_eq!(missing, None);
}

/// The change applies once, moves updated_at, and the same preview a second time is
/// skipped with the row as it now is.
pub async fn status_change_applies_once(store: &dyn Store, seeder: &dyn Seeder) {
    let (b, c) = seed_status_rows(seeder).await;
    for target in [b, c] {
        let preview = read_row(store, target).await;
        let WriteOutcome::Changed { now } = change(store, &preview, "paused").await else {
            panic!("{target}: the previewed row changes");
        };
        assert_eq!(now.status, "paused");
        assert_eq!(now.name, preview.name);
        assert!(now.updated_at > preview.updated_at, "updated_at moved on");
        assert_eq!(read_row(store, target).await, now);

        match change(store, &preview, "paused").await {
            WriteOutcome::Skipped { now: Some(now) } => assert_eq!(now.status, "paused"),
            other => panic!("{target}: a stale preview is skipped, got {other:?}"),
        }
        // Back again, from the row as it now is.
        let paused = read_row(store, target).await;
        let WriteOutcome::Changed { now } = change(store, &paused, "active").await else {
            panic!("{target}: resume from the current row");
        };
        assert_eq!(now.status, "active");
    }
}

/// A row whose status moved since the preview is skipped, not clobbered; one that was
/// only edited (its counters or text, so its updated_at moved) still changes.
pub async fn status_change_skips_a_row_that_moved(store: &dyn Store, seeder: &dyn Seeder) {
    let (b, c) = seed_status_rows(seeder).await;

    // Broadcast: someone else completed it meanwhile.
    let preview = read_row(store, b).await;
    seeder
        .execute(&format!(
            "UPDATE voice_broadcasts SET status = 'completed' WHERE id = '{}'",
            b.id
        ))
        .await;
    match change(store, &preview, "paused").await {
        WriteOutcome::Skipped { now: Some(now) } => assert_eq!(now.status, "completed"),
        other => panic!("the completed broadcast is skipped, got {other:?}"),
    }
    assert_eq!(read_row(store, b).await.status, "completed");

    // Campaign: edited meanwhile (as the platform bumps counters on every dial), still
    // active: the pause applies, the status being what was previewed.
    let preview = read_row(store, c).await;
    seeder
        .execute(&format!(
            "UPDATE campaigns SET description = 'edited' WHERE id = '{}'",
            c.id
        ))
        .await;
    let edited = read_row(store, c).await;
    assert_eq!(edited.status, "active");
    assert_ne!(
        edited.updated_at, preview.updated_at,
        "the edit moved updated_at"
    );
    match change(store, &preview, "paused").await {
        WriteOutcome::Changed { now } => assert_eq!(now.status, "paused"),
        other => panic!("the edited but still active campaign is paused, got {other:?}"),
    }

    // A row that disappeared is skipped with nothing to show.
    let gone = StatusRow {
        target: StatusTarget::broadcast(id(998)),
        ..preview
    };
    assert_eq!(
        change(store, &gone, "paused").await,
        WriteOutcome::Skipped { now: None }
    );
}

/// Two consoles pausing the same row at once: it changes once.
pub async fn concurrent_changes_apply_once(store: &dyn Store, seeder: &dyn Seeder) {
    let (b, c) = seed_status_rows(seeder).await;
    for target in [b, c] {
        let preview = read_row(store, target).await;
        let (first, second) = tokio::join!(
            change(store, &preview, "paused"),
            change(store, &preview, "paused")
        );
        let changed = [&first, &second]
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Changed { .. }))
            .count();
        assert_eq!(changed, 1, "{target}: {first:?} / {second:?}");
        assert_eq!(read_row(store, target).await.status, "paused");
    }
}

fn audit_record(n: u128, secs_ago: i64, result: AuditResult) -> AuditRecord {
    AuditRecord {
        id: id(5000 + n),
        at: at_ago(secs_ago)
            .with_nanosecond(0)
            .unwrap_or_else(|| at_ago(secs_ago)),
        actor: "operator@console-host".into(),
        action: "pause".into(),
        target: AuditTarget {
            table: "voice_broadcasts".into(),
            id: id(900),
            name: "Spring promo".into(),
        },
        before: Some(json!({"status": "active"})),
        after: Some(json!({"status": "paused", "phone": "••••0199"})),
        result,
        launchdeck_version: "0.1.0".into(),
    }
}

/// No audit table until the first action; migrations are idempotent; records come
/// back as written, newest first, at most `limit`.
pub async fn audit_log_round_trip(store: &dyn Store, seeder: &dyn Seeder) {
    let _ = seed_status_rows(seeder).await;
    assert!(
        store
            .audit_records(10)
            .await
            .expect("read before migrations")
            .is_empty(),
        "reading does not need (or create) the audit table"
    );
    store.prepare_audit().await.expect("migrations");
    store.prepare_audit().await.expect("migrations again");
    assert!(store.audit_records(10).await.expect("empty log").is_empty());

    let records = [
        audit_record(1, 120, AuditResult::Changed),
        audit_record(2, 60, AuditResult::Skipped("the row moved on".into())),
        audit_record(3, 30, AuditResult::Failed("database unreachable".into())),
    ];
    store.append_audit(&records[..2]).await.expect("append");
    store
        .append_audit(&records[2..])
        .await
        .expect("append again");
    let read = store.audit_records(10).await.expect("audit_records");
    let newest_first: Vec<AuditRecord> = records.iter().rev().cloned().collect();
    assert_eq!(read, newest_first);
    assert_eq!(store.audit_records(2).await.expect("limit").len(), 2);
}
