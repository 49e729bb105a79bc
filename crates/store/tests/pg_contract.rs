//! The store contract against `PgStore`, each check on a fresh database cloned from
//! the platform fixture (run through `scripts/test`), plus PostgreSQL-only checks:
//! session settings, error mapping and an outage through a cuttable proxy.

mod contract;

use std::time::Duration;

use async_trait::async_trait;
use launchdeck_core::domain::Scope;
use launchdeck_seed::SeedData;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::{Store, StoreError};
use launchdeck_testkit::{TcpProxy, TestDb, wait_until};
use sqlx::{AssertSqlSafe, Row};

use contract::Seeder;

struct PgBackend {
    db: TestDb,
    store: PgStore,
}

#[async_trait]
impl Seeder for PgBackend {
    async fn load(&self, data: &SeedData) {
        if let Err(e) = launchdeck_seed::pg::load(self.db.pool(), data).await {
            panic!("loading the contract data set failed: {e}");
        }
    }

    async fn execute(&self, sql: &str) {
        if let Err(e) = sqlx::query(AssertSqlSafe(sql))
            .execute(self.db.pool())
            .await
        {
            panic!("{sql} failed: {e}");
        }
    }

    fn has_auth_users(&self) -> bool {
        true
    }

    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(self.db.pool())
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

async fn backend_with(opts: PgOptions) -> PgBackend {
    let db = TestDb::create().await;
    let store = PgStore::connect(db.url(), opts)
        .await
        .unwrap_or_else(|e| panic!("PgStore::connect to the test database: {e}"));
    PgBackend { db, store }
}

async fn backend() -> PgBackend {
    backend_with(PgOptions::default()).await
}

fn pooler_options() -> PgOptions {
    PgOptions {
        transaction_pooler: Some(true),
        ..PgOptions::default()
    }
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
async fn db_info_reports_the_server() {
    let b = backend().await;
    contract::db_info_reports_the_server(&b.store).await;
    let info = b.store.db_info().await.expect("db_info");
    assert_eq!(info.backend, "postgres");
    assert!(
        info.server_version.starts_with("PostgreSQL"),
        "{}",
        info.server_version
    );
    assert!(!info.transaction_pooler);
}

/// Without session state (pooler mode: SET LOCAL per transaction, no statement
/// cache) the reads answer the same.
#[tokio::test]
async fn pooler_mode_answers_the_same() {
    let b = backend_with(pooler_options()).await;
    assert!(b.store.transaction_pooler());
    contract::in_flight_sources_and_stuck(&b.store, &b).await;
    assert!(b.store.db_info().await.expect("db_info").transaction_pooler);
    let b = backend_with(pooler_options()).await;
    contract::log_window_order_limit_and_filters(&b.store, &b).await;
}

#[tokio::test]
async fn sessions_carry_the_console_settings() {
    let b = backend().await;
    let (app, statement, lock): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('application_name'), current_setting('statement_timeout'), \
         current_setting('lock_timeout')",
    )
    .fetch_one(b.store.pool())
    .await
    .expect("read session settings");
    assert_eq!(app, "launchdeck");
    assert_eq!(statement, "5s");
    assert_eq!(lock, "2s");
    assert_eq!(b.store.pool().options().get_max_connections(), 4);
}

/// A lock held by another session ends the read at lock_timeout as a Timeout,
/// both with startup options and with SET LOCAL (pooler mode).
#[tokio::test]
async fn a_held_lock_is_a_timeout() {
    for pooler in [false, true] {
        let b = backend_with(PgOptions {
            lock_timeout: Duration::from_millis(200),
            transaction_pooler: Some(pooler),
            ..PgOptions::default()
        })
        .await;
        let mut locker = b.db.pool().begin().await.expect("begin");
        sqlx::query("LOCK TABLE system_alerts IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *locker)
            .await
            .expect("lock system_alerts");
        let err = b
            .store
            .unacknowledged_alerts(&Scope::default(), 10)
            .await
            .expect_err("the read must not wait for the lock");
        assert!(
            matches!(err, StoreError::Timeout(_)),
            "pooler {pooler}: {err:?}"
        );
        assert!(err.to_string().contains("lock_timeout"), "{err}");
        locker.rollback().await.expect("rollback");
        b.store
            .unacknowledged_alerts(&Scope::default(), 10)
            .await
            .expect("the read works once the lock is gone");
    }
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
}

#[tokio::test]
async fn an_unreachable_database_fails_fast_without_credentials() {
    let secret = "Sup3r-Secret-Passw0rd";
    let url = format!("postgres://launchdeck:{secret}@127.0.0.1:1/postgres?sslmode=disable");
    let opts = PgOptions {
        acquire_timeout: Duration::from_millis(500),
        ..PgOptions::default()
    };
    let err = PgStore::connect(&url, opts)
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("launchdeck:"), "{text}");
}

#[tokio::test]
async fn a_bad_url_is_named_without_its_password() {
    let err = PgStore::connect_lazy(
        "postgres://u:hunter2-secret@db:notaport/x",
        PgOptions::default(),
    )
    .expect_err("the port is not a number");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("database URL"), "{text}");
}

/// The database goes away behind a proxy: calls fail as Unreachable instead of
/// hanging, and the pool reconnects once it is back.
#[tokio::test]
async fn outage_is_unreachable_and_the_pool_recovers() {
    let db = TestDb::create().await;
    let proxy = TcpProxy::start(db.server_addr()).await;
    let opts = PgOptions {
        acquire_timeout: Duration::from_secs(1),
        ..PgOptions::default()
    };
    let store = PgStore::connect(&db.url_via(&proxy), opts)
        .await
        .unwrap_or_else(|e| panic!("connect through the proxy: {e}"));
    store
        .calls_in_flight(&Scope::default())
        .await
        .expect("works before the outage");

    proxy.cut().await;
    for _ in 0..3 {
        let err = store
            .calls_in_flight(&Scope::default())
            .await
            .expect_err("the database is cut off");
        assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
        assert!(err.is_transient());
    }
    let err = store.db_info().await.expect_err("db_info too");
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");

    proxy.restore();
    let recovered = wait_until(Duration::from_secs(30), || async {
        store.calls_in_flight(&Scope::default()).await.is_ok()
    })
    .await;
    assert!(recovered, "the store reconnects after the outage");
    store.db_info().await.expect("db_info after the outage");
}

/// The migrations run once per database, whichever store runs them and however often;
/// the audit log refuses updates and deletes.
#[tokio::test]
async fn migrations_are_idempotent_and_the_log_append_only() {
    let b = backend().await;
    b.store.prepare_audit().await.expect("migrations");
    let second = PgStore::connect(b.db.url(), PgOptions::default())
        .await
        .expect("a second console");
    second.prepare_audit().await.expect("migrations again");
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM launchdeck.schema_migrations")
        .fetch_one(b.db.pool())
        .await
        .expect("schema_migrations");
    assert_eq!(versions, 1);

    contract::audit_log_round_trip(&second, &b).await;
    let err = sqlx::query("DELETE FROM launchdeck.audit_log")
        .execute(b.db.pool())
        .await
        .map(|_| ())
        .expect_err("the audit log is append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("UPDATE launchdeck.audit_log SET actor = 'someone else'")
        .execute(b.db.pool())
        .await
        .map(|_| ())
        .expect_err("the audit log is append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
}

/// Through the transaction pooler (SET LOCAL, no statement cache) the writes behave
/// the same.
#[tokio::test]
async fn pooler_mode_writes_the_same() {
    let b = backend_with(pooler_options()).await;
    contract::status_change_applies_once(&b.store, &b).await;
    let b = backend_with(pooler_options()).await;
    contract::audit_log_round_trip(&b.store, &b).await;
}
