//! The store contract against `SqliteStore`, each check on its own temporary database
//! file, plus SQLite-only checks: the file's lifecycle, the platform's constraints and
//! triggers as the demo keeps them, and the first-campaign data set.

mod contract;

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::Utc;
use launchdeck_core::domain::{CallSource, Scope};
use launchdeck_core::stuck::{StuckThresholds, Stuckness, classify};
use launchdeck_seed::{SeedData, first_campaign};
use launchdeck_store::sqlite::{SqliteOptions, SqliteStore, parse_timestamp, timestamp};
use launchdeck_store::{PlatformAnswer, Store, StoreError};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};
use tempfile::TempDir;
use uuid::Uuid;

use contract::Seeder;

struct SqliteBackend {
    _dir: TempDir,
    store: SqliteStore,
}

#[async_trait]
impl Seeder for SqliteBackend {
    async fn load(&self, data: &SeedData) {
        if let Err(e) = launchdeck_seed::sqlite::load(self.store.pool(), data).await {
            panic!("loading the contract data set failed: {e}");
        }
    }

    async fn execute(&self, sql: &str) {
        if let Err(e) = sqlx::query(AssertSqlSafe(sql))
            .execute(self.store.pool())
            .await
        {
            panic!("{sql} failed: {e}");
        }
    }

    /// The demo keeps `auth.users` as `auth_users`, with the platform's foreign keys.
    fn has_auth_users(&self) -> bool {
        true
    }

    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(self.store.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql} failed: {e}"));
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<Option<String>, _>(i).expect("a text column"))
                    .collect()
            })
            .collect()
    }
}

async fn backend() -> SqliteBackend {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("demo.db"), SqliteOptions::default())
        .await
        .unwrap_or_else(|e| panic!("SqliteStore::open: {e}"));
    SqliteBackend { _dir: dir, store }
}

macro_rules! contract_test {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let b = backend().await;
            contract::$name(&b.store, &b).await;
        }
    };
}

contract_test!(in_flight_sources_and_stuck);
contract_test!(in_flight_deltas_merge_into_full_reads);
contract_test!(broadcast_stats_reuse_kept_finished_rows);
contract_test!(a_check_lists_only_the_queue_rows_of_parents_that_moved);
contract_test!(progress_kept_from_moves_matches_a_recount);
contract_test!(redial_holds_claims_and_jobs);
contract_test!(scope_filters_every_read);
contract_test!(log_window_order_limit_and_filters);
contract_test!(broadcast_progress_counts_and_rates);
contract_test!(campaign_progress_counts_and_rates);
contract_test!(alerts_newest_unacknowledged_first);
contract_test!(readiness_tables);
contract_test!(missing_schema_names_drift);
contract_test!(status_rows_and_scope);
contract_test!(status_change_applies_once);
contract_test!(status_change_skips_a_row_that_moved);
contract_test!(concurrent_changes_apply_once);
contract_test!(audit_log_round_trip);
contract_test!(cleanup_applies_each_rule);
contract_test!(cleanup_skips_rows_that_moved_on);
contract_test!(cleanup_never_touches_redial_holds);
contract_test!(cleanup_concurrent_applies_change_each_row_once);
contract_test!(calendar_token_writes);
contract_test!(invalid_grant_marker_appends);
contract_test!(alerts_acknowledge_once);
contract_test!(concurrent_acknowledgements_apply_once);
contract_test!(stop_pauses_and_writes_one_row);
contract_test!(concurrent_stops_write_one_row);
contract_test!(lift_only_launchdecks_rows);
contract_test!(phone_number_row_by_number);
contract_test!(test_targets_and_scope);
contract_test!(test_broadcast_draft_created_once);
contract_test!(test_rows_and_conditional_writes);

#[tokio::test]
async fn db_info_reports_sqlite() {
    let b = backend().await;
    contract::db_info_reports_the_server(&b.store).await;
    let info = b.store.db_info().await.expect("db_info");
    assert_eq!(info.backend, "sqlite");
    assert!(
        info.server_version.starts_with("SQLite 3."),
        "{}",
        info.server_version
    );
    assert!(!info.transaction_pooler);
}

// ---------------------------------------------------------------------------
// The database file
// ---------------------------------------------------------------------------

async fn scalar_text(store: &SqliteStore, sql: &'static str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count(store: &SqliteStore, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn a_new_file_gets_the_schema_in_wal_mode() {
    let b = backend().await;
    assert_eq!(
        b.store.missing_schema().await.expect("missing_schema"),
        Vec::<String>::new()
    );
    assert_eq!(scalar_text(&b.store, "PRAGMA journal_mode").await, "wal");
    assert_eq!(count(&b.store, "PRAGMA foreign_keys").await, 1);
    assert_eq!(
        count(
            &b.store,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'launchdeck%'"
        )
        .await,
        0,
        "launchdeck's own tables wait for the first action"
    );
}

/// A demo file made before the migrations has the demo schema's earlier audit table:
/// the migration sets it aside (keeping its rows) and creates the current one; running
/// the migrations again changes nothing.
#[tokio::test]
async fn migrations_set_aside_the_legacy_audit_table() {
    let b = backend().await;
    b.execute(
        "CREATE TABLE launchdeck_audit_log (id uuid PRIMARY KEY, at timestamptz NOT NULL, \
         os_user text NOT NULL, host text NOT NULL, action text NOT NULL, target_table text, \
         target_id text, before jsonb, after jsonb, result text NOT NULL, detail text)",
    )
    .await;
    b.execute(
        "INSERT INTO launchdeck_audit_log (id, at, os_user, host, action, result) \
         VALUES ('1', '2026-01-01T00:00:00.000000Z', 'ops', 'box', 'pause', 'changed')",
    )
    .await;
    assert!(b.store.audit_records(5).await.expect("read").is_empty());
    b.store.prepare_audit().await.expect("migrations");
    b.store.prepare_audit().await.expect("migrations again");
    assert_eq!(
        count(&b.store, "SELECT count(*) FROM launchdeck_audit_log_legacy").await,
        1
    );
    assert_eq!(
        count(
            &b.store,
            "SELECT count(*) FROM launchdeck_schema_migrations"
        )
        .await,
        1
    );
    assert!(b.store.audit_records(5).await.expect("read").is_empty());
    let record = launchdeck_core::actions::AuditRecord {
        id: Uuid::from_u128(7),
        at: launchdeck_store::sqlite::now_micros(),
        actor: "ops@box".into(),
        action: "pause".into(),
        target: launchdeck_core::actions::AuditTarget {
            table: "campaigns".into(),
            id: Uuid::from_u128(8),
            name: "Renewals".into(),
        },
        before: None,
        after: None,
        result: launchdeck_core::actions::AuditResult::Changed,
        launchdeck_version: "0.1.0".into(),
    };
    b.store.append_audit(&[record]).await.expect("append");
    let err = sqlx::query("DELETE FROM launchdeck_audit_log")
        .execute(b.store.pool())
        .await
        .map(|_| ())
        .expect_err("the audit log is append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn reopening_keeps_the_data_and_open_fresh_starts_over() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("demo.db");
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .expect("open");
    let mut data = SeedData::default();
    data.table("auth.users")
        .push(json!({"id": Uuid::from_u128(1)}));
    launchdeck_seed::sqlite::load(store.pool(), &data)
        .await
        .expect("load");
    store.close().await;

    let reopened = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .expect("reopen");
    assert_eq!(count(&reopened, "SELECT count(*) FROM auth_users").await, 1);
    reopened.close().await;

    let fresh = SqliteStore::open_fresh(&path).await.expect("open_fresh");
    assert_eq!(count(&fresh, "SELECT count(*) FROM auth_users").await, 0);
    assert!(
        fresh
            .missing_schema()
            .await
            .expect("missing_schema")
            .is_empty()
    );
}

#[tokio::test]
async fn an_unopenable_path_is_unreachable_and_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("no-such-dir").join("demo.db");
    let err = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .expect_err("the directory does not exist");
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[tokio::test]
async fn a_missing_column_is_schema_drift() {
    let b = backend().await;
    b.execute("ALTER TABLE voice_broadcasts DROP COLUMN voice_id")
        .await;
    let err = b
        .store
        .broadcasts(&Scope::default())
        .await
        .expect_err("voice_id is gone");
    assert!(matches!(err, StoreError::SchemaDrift(_)), "{err:?}");
    assert!(err.to_string().contains("voice_id"), "{err}");
    assert_eq!(
        b.store.missing_schema().await.expect("missing_schema"),
        vec!["voice_broadcasts.voice_id".to_string()]
    );
    b.execute("DROP TABLE sip_trunk_configs").await;
    assert_eq!(
        b.store.missing_schema().await.expect("missing_schema"),
        vec![
            "sip_trunk_configs".to_string(),
            "voice_broadcasts.voice_id".to_string()
        ]
    );
}

// ---------------------------------------------------------------------------
// Constraints and triggers
// ---------------------------------------------------------------------------

/// One tenant and a campaign, for the constraint checks.
fn tenant_with_campaign() -> SeedData {
    let (user, org, campaign) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    let mut data = SeedData::with_owner(user, org);
    data.table("campaigns").push(json!({
        "id": campaign, "user_id": user, "organization_id": org, "name": "Renewals",
        "status": "active",
    }));
    data
}

fn call_log_row(id: u128, status: &str) -> serde_json::Value {
    json!({
        "id": Uuid::from_u128(id), "user_id": Uuid::from_u128(1),
        "organization_id": Uuid::from_u128(2), "campaign_id": Uuid::from_u128(3),
        "phone_number": "+14155550100", "caller_id": "+14155550000", "status": status,
    })
}

#[tokio::test]
async fn the_platform_checks_refuse_bad_rows() {
    let b = backend().await;
    b.load(&tenant_with_campaign()).await;

    let mut bad_status = SeedData::default();
    bad_status
        .table("call_logs")
        .push(call_log_row(10, "in_progress"));
    let err = launchdeck_seed::sqlite::load(b.store.pool(), &bad_status)
        .await
        .expect_err("in_progress is not a call_logs status");
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");
    assert!(err.to_string().contains("call_logs_status_check"), "{err}");

    let mut bad_tenant = SeedData::default();
    let mut row = call_log_row(11, "queued");
    row["organization_id"] = json!(Uuid::from_u128(99));
    bad_tenant.table("call_logs").push(row);
    let err = launchdeck_seed::sqlite::load(b.store.pool(), &bad_tenant)
        .await
        .expect_err("the organization does not exist");
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");

    // A timestamp in any other form than the fixed-width one is refused.
    let err = sqlx::query(
        "INSERT INTO call_logs (id, user_id, organization_id, phone_number, caller_id, status, \
         created_at) VALUES ('00000000-0000-0000-0000-00000000000c', \
         '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', \
         '+14155550100', '+14155550000', 'queued', '2026-01-01 00:00:00')",
    )
    .execute(b.store.pool())
    .await
    .expect_err("a naive timestamp breaks text ordering");
    assert!(err.to_string().contains("CHECK constraint failed"), "{err}");

    // Nothing of the failed loads was kept.
    assert_eq!(count(&b.store, "SELECT count(*) FROM call_logs").await, 0);
}

#[tokio::test]
async fn call_logs_are_evidence() {
    let b = backend().await;
    let mut data = tenant_with_campaign();
    let mut row = call_log_row(20, "ringing");
    row["retell_call_id"] = json!("call_1");
    data.table("call_logs").push(row);
    b.load(&data).await;

    let err = sqlx::query("DELETE FROM call_logs")
        .execute(b.store.pool())
        .await
        .expect_err("call logs cannot be deleted");
    assert!(
        err.to_string().contains("CALL_LOG_EVIDENCE_IMMUTABLE"),
        "{err}"
    );
    let err = sqlx::query("UPDATE call_logs SET retell_call_id = 'call_2'")
        .execute(b.store.pool())
        .await
        .expect_err("the provider id is immutable once set");
    assert!(
        err.to_string()
            .contains("CALL_LOG_PROVIDER_BILLING_IDENTITY_IMMUTABLE"),
        "{err}"
    );
    sqlx::query("UPDATE call_logs SET status = 'no_answer', notes = 'timed out'")
        .execute(b.store.pool())
        .await
        .expect("a status change is allowed");
}

/// The *upd* triggers move `updated_at` on every update, so a write guarded by the
/// previewed status and `updated_at` applies once and is skipped the second time.
#[tokio::test]
async fn updates_move_updated_at_for_conditional_writes() {
    let b = backend().await;
    let (user, broadcast, row) = (Uuid::from_u128(1), Uuid::from_u128(5), Uuid::from_u128(6));
    let previewed = Utc::now() - chrono::Duration::minutes(10);
    let mut data = SeedData::default();
    data.table("auth.users").push(json!({"id": user}));
    data.table("voice_broadcasts").push(json!({
        "id": broadcast, "user_id": user, "name": "A", "status": "active", "message_text": "hi",
    }));
    data.table("broadcast_queue").push(json!({
        "id": row, "broadcast_id": broadcast, "phone_number": "+14155550100",
        "status": "calling", "updated_at": previewed.to_rfc3339(),
    }));
    b.load(&data).await;

    let stored: String = sqlx::query_scalar("SELECT updated_at FROM broadcast_queue")
        .fetch_one(b.store.pool())
        .await
        .expect("read updated_at");
    assert_eq!(
        stored,
        timestamp(parse_timestamp(&stored).expect("stored form"))
    );

    let reset = |expected_status: &'static str, expected_at: String| {
        let pool = b.store.pool().clone();
        async move {
            sqlx::query(
                "UPDATE broadcast_queue SET status = 'pending' \
                 WHERE id = $1 AND status = $2 AND updated_at = $3",
            )
            .bind(row.to_string())
            .bind(expected_status)
            .bind(expected_at)
            .execute(&pool)
            .await
            .expect("conditional update")
            .rows_affected()
        }
    };
    assert_eq!(reset("calling", stored.clone()).await, 1, "changed");
    assert_eq!(
        reset("calling", stored.clone()).await,
        0,
        "skipped: the row moved on"
    );

    let after: String = sqlx::query_scalar("SELECT updated_at FROM broadcast_queue")
        .fetch_one(b.store.pool())
        .await
        .expect("read updated_at");
    let after = parse_timestamp(&after).expect("stored form");
    assert!(
        after > previewed + chrono::Duration::minutes(9),
        "updated_at moved to now"
    );
}

// ---------------------------------------------------------------------------
// The first-campaign data set
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_first_campaign_loads_with_its_stale_rows() {
    let b = backend().await;
    let (data, facts) = first_campaign::generate(Utc::now(), 7);
    b.load(&data).await;

    let rows_in = |table: &str| -> i64 {
        let key = if table == "auth_users" {
            "auth.users"
        } else {
            table
        };
        i64::try_from(data.rows(key).len()).unwrap_or(i64::MAX)
    };
    for table in [
        "broadcast_queue",
        "call_logs",
        "dialing_queues",
        "leads",
        "auth_users",
    ] {
        let stored: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(b.store.pool())
                .await
                .unwrap_or_else(|e| panic!("count {table}: {e}"));
        assert_eq!(stored, rows_in(table), "{table} rows");
    }

    let snap = b
        .store
        .calls_in_flight(&Scope::default())
        .await
        .expect("calls_in_flight");
    let t = StuckThresholds::default();
    let stuck = |source: CallSource| -> BTreeSet<Uuid> {
        snap.calls
            .iter()
            .filter(|c| c.source == source && classify(c, snap.db_now, &t) == Stuckness::Stuck)
            .map(|c| c.id)
            .collect()
    };
    let want_broadcast: BTreeSet<Uuid> = facts
        .stale
        .broadcast_queue_calling
        .iter()
        .copied()
        .collect();
    let want_dialing: BTreeSet<Uuid> = facts.stale.dialing_queues_calling.iter().copied().collect();
    assert_eq!(want_broadcast.len(), 10);
    assert_eq!(want_dialing.len(), 3);
    assert_eq!(
        stuck(CallSource::BroadcastQueue),
        want_broadcast,
        "stale broadcast rows"
    );
    assert_eq!(
        stuck(CallSource::DialingQueues),
        want_dialing,
        "stale dialing rows"
    );
    assert_eq!(snap.manual_required_jobs, 1);

    let broadcasts = b
        .store
        .broadcast_progress(&Scope::default())
        .await
        .expect("broadcast_progress");
    let a = broadcasts
        .iter()
        .find(|p| p.id == facts.broadcast_a.id)
        .expect("broadcast A");
    assert_eq!(
        a.counts.total(),
        i64::try_from(facts.broadcast_a.queue_rows).unwrap_or(-1)
    );

    // The second organization sees none of the first campaign's rows.
    let other = Scope {
        user_id: None,
        org_id: Some(facts.second_org.org_id),
    };
    let theirs = b
        .store
        .calls_in_flight(&other)
        .await
        .expect("calls_in_flight");
    assert!(
        theirs
            .calls
            .iter()
            .all(|c| c.broadcast_id != Some(facts.broadcast_a.id)
                && c.campaign_id != Some(facts.campaign.id))
    );

    let schedules = b
        .store
        .calendar_availability(&Scope::default())
        .await
        .expect("calendar_availability");
    assert!(
        schedules.iter().any(|s| s.weekly_schedule.is_string()),
        "the JSON-string schedule keeps its form"
    );
}

// ---------------------------------------------------------------------------
// Readiness facts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn platform_functions_are_not_applicable() {
    let b = backend().await;
    let not_applicable = |answer: bool| assert!(answer, "a platform function answered");
    not_applicable(matches!(
        b.store.missing_platform_functions().await,
        Ok(PlatformAnswer::NotApplicable(_))
    ));
    not_applicable(matches!(
        b.store.provider_safety_health().await,
        Ok(PlatformAnswer::NotApplicable(_))
    ));
    not_applicable(matches!(
        b.store.reconciliation_health().await,
        Ok(PlatformAnswer::NotApplicable(_))
    ));
    not_applicable(matches!(
        b.store
            .contact_release_status(Uuid::from_u128(3), Uuid::from_u128(1))
            .await,
        Ok(PlatformAnswer::NotApplicable(_))
    ));
}

#[tokio::test]
async fn broadcast_readiness_stats_per_broadcast() {
    let b = backend().await;
    let user = Uuid::from_u128(1);
    let (live, done) = (Uuid::from_u128(5), Uuid::from_u128(6));
    let mut data = SeedData::default();
    data.table("auth.users").push(json!({"id": user}));
    for (id, status) in [(live, "active"), (done, "completed")] {
        data.table("voice_broadcasts").push(json!({
            "id": id, "user_id": user, "name": status, "status": status, "message_text": "hi",
        }));
    }
    let mut row = |n: u128, broadcast: Uuid, status: &str, secs_ago: i64| {
        data.table("broadcast_queue").push(json!({
            "id": Uuid::from_u128(1000 + n), "broadcast_id": broadcast,
            "phone_number": "+14155550100", "status": status,
            "updated_at": (Utc::now() - chrono::Duration::seconds(secs_ago)).to_rfc3339(),
        }));
    };
    row(1, live, "pending", 10);
    row(2, live, "pending", 10);
    row(3, live, "calling", 60);
    row(4, live, "calling", 600);
    for n in 0..60 {
        let status = if n % 2 == 0 { "answered" } else { "failed" };
        row(100 + n, live, status, 1000 + i64::try_from(n).unwrap_or(0));
    }
    row(5, live, "voicemail", 5);
    row(6, done, "pending", 10);
    b.load(&data).await;

    let stats = b
        .store
        .broadcast_readiness_stats(&Scope::default(), &std::collections::BTreeMap::new())
        .await
        .expect("broadcast_readiness_stats");
    assert_eq!(
        stats.keys().copied().collect::<Vec<_>>(),
        vec![live],
        "draft/active/paused only"
    );
    let s = &stats[&live];
    assert_eq!(s.pending, 2);
    let mut ages: Vec<i64> = s
        .calling_updated_at
        .iter()
        .map(|at| (Utc::now() - *at).num_seconds())
        .collect();
    ages.sort_unstable();
    assert!(
        ages.len() == 2 && (55..120).contains(&ages[0]) && (595..660).contains(&ages[1]),
        "{ages:?}"
    );
    assert_eq!(s.recent_finished.len(), 50, "at most 50");
    assert_eq!(s.recent_finished[0], "voicemail", "newest first");
    assert_eq!(s.recent_finished[1..3], ["answered", "failed"]);

    let other_user = Scope {
        user_id: Some(Uuid::from_u128(2)),
        org_id: None,
    };
    let none = b
        .store
        .broadcast_readiness_stats(&other_user, &std::collections::BTreeMap::new())
        .await
        .expect("stats");
    assert!(none.is_empty());
}

#[tokio::test]
async fn budgets_concurrency_and_the_calendar_token() {
    let b = backend().await;
    let mut data = tenant_with_campaign();
    let (user, campaign) = (Uuid::from_u128(1), Uuid::from_u128(3));
    data.table("budget_settings")
        .push(json!({"user_id": user, "is_paused": false}));
    data.table("budget_settings").push(json!({
        "user_id": user, "campaign_id": campaign, "is_paused": true,
        "paused_at": Utc::now().to_rfc3339(), "pause_reason": "daily limit reached",
    }));
    data.table("system_settings")
        .push(json!({"user_id": user, "retell_max_concurrent": 7}));
    let (with_token, blank) = (Uuid::from_u128(40), Uuid::from_u128(41));
    data.table("calendar_integrations").push(json!({
        "id": with_token, "user_id": user, "provider": "google",
        "access_token_encrypted": "eWEyOS5zZWNyZXQ=",
    }));
    data.table("calendar_integrations").push(json!({
        "id": blank, "user_id": user, "provider": "ghl", "access_token_encrypted": " ",
    }));
    b.load(&data).await;

    let budgets = b
        .store
        .budget_settings(&Scope::default())
        .await
        .expect("budget_settings");
    assert_eq!(budgets.len(), 2);
    assert_eq!(
        budgets[0].campaign_id,
        Some(campaign),
        "user-wide settings sort last"
    );
    assert!(budgets[0].is_paused && budgets[0].paused_at.is_some());
    assert_eq!(
        budgets[0].pause_reason.as_deref(),
        Some("daily limit reached")
    );
    assert_eq!(
        (budgets[1].campaign_id, budgets[1].is_paused),
        (None, false)
    );

    let limits = b
        .store
        .retell_max_concurrent(&Scope::default())
        .await
        .expect("retell_max_concurrent");
    assert_eq!(limits.into_iter().collect::<Vec<_>>(), vec![(user, 7)]);

    let token = b
        .store
        .calendar_access_token(with_token)
        .await
        .expect("token");
    assert_eq!(
        token.map(|t| t.expose_secret().to_string()).as_deref(),
        Some("eWEyOS5zZWNyZXQ=")
    );
    assert!(
        b.store
            .calendar_access_token(blank)
            .await
            .expect("blank")
            .is_none()
    );
    assert!(
        b.store
            .calendar_access_token(Uuid::from_u128(99))
            .await
            .expect("unknown")
            .is_none()
    );
}

#[tokio::test]
async fn reads_behind_a_load_gate_wait_for_the_load() {
    let b = backend().await;
    let (done, gate) = launchdeck_store::sqlite::load_gate();
    let gated = b.store.clone().behind(gate);
    let read = tokio::spawn(async move { gated.campaigns(&Scope::default()).await });
    // The load runs on the pool, which the gate does not hold.
    b.load(&tenant_with_campaign()).await;
    assert!(
        !read.is_finished(),
        "a read answered before the load finished"
    );
    done.finish(Ok(()));
    let campaigns = read.await.expect("read task").expect("campaigns");
    assert_eq!(campaigns.len(), 1, "the read saw the loaded database");
}

#[tokio::test]
async fn a_failed_load_is_every_read_s_answer() {
    let b = backend().await;
    let (done, gate) = launchdeck_store::sqlite::load_gate();
    let gated = b.store.clone().behind(gate);
    done.finish(Err("seeding failed: disk full".to_string()));
    let err = gated
        .campaigns(&Scope::default())
        .await
        .expect_err("the load failed");
    assert!(err.to_string().contains("disk full"), "{err}");

    let (done, gate) = launchdeck_store::sqlite::load_gate();
    let gated = b.store.clone().behind(gate);
    drop(done);
    let err = gated
        .campaigns(&Scope::default())
        .await
        .expect_err("the loader went away");
    assert!(
        err.to_string().contains("stopped before it finished"),
        "{err}"
    );
}
