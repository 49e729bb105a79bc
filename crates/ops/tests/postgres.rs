//! The gatherer against the first-campaign seed in PostgreSQL (the platform fixture):
//! the safety functions, the contact release read as the campaign owner, queue stats.

mod world;

use std::sync::Arc;

use launchdeck_core::readiness::{Focus, Status};
use launchdeck_ops::Gatherer;
use launchdeck_seed::pg;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::TestDb;
use world::{fast, find};

async fn seeded() -> (
    TestDb,
    world::Fakes,
    launchdeck_seed::first_campaign::SeedFacts,
) {
    let db = TestDb::create().await;
    let audio = world::audio_server().await;
    let (data, facts) = world::seed_data(&audio.base_url());
    pg::load(db.pool(), &data)
        .await
        .expect("load first-campaign seed");
    let fakes = world::start_fakes(&facts, audio).await;
    (db, fakes, facts)
}

async fn gatherer(db: &TestDb, fakes: &world::Fakes) -> Gatherer {
    let store = PgStore::connect(db.url(), PgOptions::default())
        .await
        .expect("connect");
    Gatherer::new(&world::config(fakes), Arc::new(store), fast())
}

#[tokio::test]
async fn platform_functions_and_queue_stats_are_read() {
    let (db, fakes, facts) = seeded().await;
    let report = gatherer(&db, &fakes).await.report(Focus::All).await;

    assert_eq!(
        find(&report, "database.safety_functions").status,
        Status::Pass
    );
    assert_eq!(find(&report, "safety.provider_health").status, Status::Pass);
    // The reconciler last succeeded 10 minutes ago and one job needs a person.
    let reconciliation = find(&report, "safety.reconciliation");
    assert_eq!(
        reconciliation.status,
        Status::Warn,
        "{}",
        reconciliation.reason
    );
    assert!(
        reconciliation.reason.contains("manual_required 1"),
        "{}",
        reconciliation.reason
    );
    // The release is read as the campaign's owner: the function refuses anyone else.
    let release = find(
        &report,
        &format!("campaign.contact_release:{}", facts.campaign.id),
    );
    assert_eq!(
        (release.status, release.blocking),
        (Status::Pass, true),
        "{}",
        release.reason
    );
    assert!(release.reason.contains("canary_20"), "{}", release.reason);

    let a = facts.broadcast_a.id;
    let stuck = find(&report, &format!("broadcast.stuck:{a}"));
    assert_eq!(stuck.status, Status::Warn);
    let stale = facts.stale.broadcast_queue_calling.len();
    assert!(
        stuck.reason.contains(&format!("{stale} rows")),
        "{}",
        stuck.reason
    );
    let pending = find(&report, &format!("broadcast.pending:{a}"));
    let want = facts
        .broadcast_a
        .counts
        .get("pending")
        .copied()
        .unwrap_or_default();
    assert!(
        pending.reason.contains(&format!("{want} queue rows")),
        "{}",
        pending.reason
    );
    assert_eq!(
        find(
            &report,
            &format!("calendar.access:{}", facts.calendar.integration_id)
        )
        .status,
        Status::Pass,
        "the stored token is decoded and accepted"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn a_missing_platform_function_is_unknown_not_a_crash() {
    let (db, fakes, _facts) = seeded().await;
    sqlx::query("DROP FUNCTION provider_safety_health_check()")
        .execute(db.pool())
        .await
        .expect("drop function");
    let report = gatherer(&db, &fakes).await.report(Focus::All).await;

    let functions = find(&report, "database.safety_functions");
    assert_eq!(functions.status, Status::Warn);
    assert!(
        functions.reason.contains("provider_safety_health_check()"),
        "{}",
        functions.reason
    );
    let health = find(&report, "safety.provider_health");
    assert_eq!(health.status, Status::Unknown);
    assert!(
        health.reason.contains("does not exist"),
        "{}",
        health.reason
    );
    assert_eq!(find(&report, "safety.reconciliation").status, Status::Warn);
    db.drop_db().await;
}

/// The contact release is read again only when something it depends on changed: a
/// run with nothing changed reuses the last answer (even if the function would now say
/// otherwise), a revoked release makes the next run ask the function again.
#[tokio::test]
async fn the_contact_release_is_asked_again_only_when_its_marker_moves() {
    let (db, fakes, facts) = seeded().await;
    let gatherer = gatherer(&db, &fakes).await;
    let id = format!("campaign.contact_release:{}", facts.campaign.id);
    let first = gatherer.report(Focus::All).await;
    assert!(find(&first, &id).reason.contains("canary_20"));

    // The function now answers "no row" for everyone; what it reads has not changed.
    sqlx::query(
        "DO $$
         DECLARE result text := pg_get_function_result(
             'get_campaign_contact_release_status(uuid)'::regprocedure);
         BEGIN
             ALTER FUNCTION get_campaign_contact_release_status(uuid)
                 RENAME TO launchdeck_test_release_status;
             EXECUTE format('CREATE FUNCTION get_campaign_contact_release_status(p uuid)
                             RETURNS %s LANGUAGE sql AS
                             $f$ SELECT * FROM launchdeck_test_release_status(p) WHERE false $f$',
                            result);
         END $$",
    )
    .execute(db.pool())
    .await
    .expect("replace the function");
    let second = gatherer.report(Focus::All).await;
    assert_eq!(
        find(&second, &id).reason,
        find(&first, &id).reason,
        "reused"
    );

    sqlx::query(
        "UPDATE campaign_contact_releases SET revoked_at = now()
          WHERE campaign_id = $1 AND revoked_at IS NULL",
    )
    .bind(facts.campaign.id)
    .execute(db.pool())
    .await
    .expect("revoke the release");
    let third = gatherer.report(Focus::All).await;
    let release = find(&third, &id);
    assert!(
        !release.reason.contains("canary_20"),
        "asked again: {}",
        release.reason
    );
}
