//! Cost of one stuck-call cleanup of 10,000 rows on PostgreSQL, in one transaction
//! (`Store::apply_cleanup`; budget ≤ 1 s): 6,000 broadcast_queue, 3,000
//! dialing_queues and 1,000 call_logs rows, the scale profile's in-flight mix, each
//! with the platform fixture's triggers and CHECKs.
//!
//! Needs the fixture template on the cluster at `$LAUNCHDECK_TEST_PG_URL`, e.g.
//! `eval "$(scripts/test --pg-only)"` in one shell (it waits), then
//! `cargo bench -p launchdeck-store --bench cleanup` with those exports.
//!
//! Each run puts the same rows back in flight (10 min old) with the platform's
//! triggers off for that reset only, reads them with `calls_in_flight`, decides them
//! with the cleanup rules (no provider ids: the plain timeout rule) and times the
//! apply alone. The first run warms the pool and the plan cache and is not counted.

use std::time::{Duration, Instant};

use launchdeck_core::cleanup::{CleanupWrite, ProviderAnswer, Verdict, decide};
use launchdeck_core::domain::Scope;
use launchdeck_seed::SeedData;
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::TestDb;
use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const RUNS: usize = 21;
const BUDGET: Duration = Duration::from_secs(1);
const BROADCAST_ROWS: i64 = 6_000;
const DIALING_ROWS: i64 = 3_000;
const LOG_ROWS: i64 = 1_000;

const USER: Uuid = Uuid::from_u128(0xa1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const BROADCAST: Uuid = Uuid::from_u128(0x100);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("Tokio runtime");
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("cleanup bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let db = TestDb::create().await;
    seed(&db).await?;
    let store = PgStore::connect(db.url(), PgOptions::default())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut admin = PgConnection::connect(db.url())
        .await
        .map_err(|e| format!("admin connection: {e}"))?;
    let total = usize::try_from(BROADCAST_ROWS + DIALING_ROWS + LOG_ROWS).unwrap_or(0);
    let mut samples = Vec::new();
    for run in 0..RUNS {
        put_back_in_flight(&mut admin).await?;
        let writes = plan(&store).await?;
        if writes.len() != total {
            return Err(format!(
                "{} stuck rows planned, expected {total}",
                writes.len()
            ));
        }
        let started = Instant::now();
        let results = store
            .apply_cleanup(&writes)
            .await
            .map_err(|e| format!("apply_cleanup: {e}"))?;
        let took = started.elapsed();
        let changed = results.iter().filter(|r| r.changed).count();
        if changed != total {
            return Err(format!("{changed} of {total} rows changed"));
        }
        println!(
            "run {run}: {total} rows in {:.1} ms",
            took.as_secs_f64() * 1e3
        );
        if run > 0 {
            samples.push(took);
        }
    }
    samples.sort_unstable();
    let median = samples[samples.len() / 2];
    println!(
        "apply_cleanup of {total} rows in one transaction: median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs (budget {} ms): {}",
        median.as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
        samples.len(),
        BUDGET.as_millis(),
        if median <= BUDGET {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
    db.drop_db().await;
    Ok(())
}

/// The rules' writes for every stuck row, as the action would make them.
async fn plan(store: &PgStore) -> Result<Vec<CleanupWrite>, String> {
    let snap = store
        .calls_in_flight(&Scope::default())
        .await
        .map_err(|e| format!("calls_in_flight: {e}"))?;
    Ok(snap
        .calls
        .iter()
        .filter_map(
            |c| match decide(c, &ProviderAnswer::NotAsked, snap.db_now) {
                Verdict::Write(w) => Some(w),
                Verdict::LeaveAlone(_) => None,
            },
        )
        .collect())
}

async fn seed(db: &TestDb) -> Result<(), String> {
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": "active",
    }));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": USER, "name": "Spring promo", "status": "active",
        "message_text": "Hello",
    }));
    launchdeck_seed::pg::load(db.pool(), &data)
        .await
        .map_err(|e| format!("seed: {e}"))?;
    let rows = format!(
        "INSERT INTO broadcast_queue (broadcast_id, phone_number, status, attempts, max_attempts)
         SELECT '{BROADCAST}', '+1415' || lpad(n::text, 7, '0'), 'calling', n % 2, 1
           FROM generate_series(1, {BROADCAST_ROWS}) n;
         INSERT INTO leads (user_id, organization_id, phone_number)
         SELECT '{USER}', '{ORG}', '+1650' || lpad(n::text, 7, '0')
           FROM generate_series(1, {DIALING_ROWS}) n;
         INSERT INTO dialing_queues (campaign_id, lead_id, phone_number, status, attempts)
         SELECT '{CAMPAIGN}', l.id, l.phone_number, 'calling', (row_number() OVER ()) % 4
           FROM leads l;
         INSERT INTO call_logs (user_id, organization_id, campaign_id, phone_number, caller_id, status)
         SELECT '{USER}', '{ORG}', '{CAMPAIGN}', '+1415' || lpad(n::text, 7, '0'), '+14155550000',
                CASE WHEN n % 2 = 0 THEN 'ringing' ELSE 'queued' END
           FROM generate_series(1, {LOG_ROWS}) n;"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(rows))
        .execute(db.pool())
        .await
        .map_err(|e| format!("seeding the rows in flight: {e}"))?;
    Ok(())
}

/// Every row back in flight, 10 min old, its notes and outcomes cleared. The
/// platform's triggers would stamp `updated_at` with now(): they are off for this
/// session's reset only.
async fn put_back_in_flight(admin: &mut PgConnection) -> Result<(), String> {
    sqlx::raw_sql(
        "SET session_replication_role = replica;
         UPDATE broadcast_queue SET status = 'calling', updated_at = now() - interval '10 min',
                error_code = NULL, error_message = NULL;
         UPDATE dialing_queues SET status = 'calling', updated_at = now() - interval '10 min',
                notes = NULL;
         UPDATE call_logs
            SET status = CASE WHEN right(phone_number, 1) IN ('0', '2', '4', '6', '8')
                              THEN 'ringing' ELSE 'queued' END,
                created_at = now() - interval '10 min', ended_at = NULL, notes = NULL, outcome = NULL;
         RESET session_replication_role;",
    )
    .execute(&mut *admin)
    .await
    .map_err(|e| format!("putting the rows back in flight: {e}"))?;
    // A statement of its own: VACUUM cannot run in the implicit transaction of a
    // multi-statement string.
    sqlx::raw_sql("VACUUM ANALYZE broadcast_queue, dialing_queues, call_logs")
        .execute(&mut *admin)
        .await
        .map_err(|e| format!("VACUUM: {e}"))?;
    Ok(())
}
