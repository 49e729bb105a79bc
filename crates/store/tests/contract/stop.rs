//! The emergency stop's writes: the pause and the stop row in one transaction, one row
//! per scope however many consoles stop at once, a stop row read by id with its scope,
//! and the lift of launchdeck's own rows only.

use launchdeck_core::actions::{StatusChange, StatusRow, StatusTarget, WriteOutcome};
use launchdeck_core::stop::{
    LiftResult, StopRowResult, StopRowSpec, StopScope, StopWrite, StopWriteResult,
};

use super::*;

async fn seed_campaign(seeder: &dyn Seeder, cid: Uuid, status: &str) {
    let mut data = new_seed(seeder);
    data.table("campaigns").push(json!({
        "id": cid, "user_id": USER_A1, "organization_id": ORG_A, "name": "Stop me",
        "status": status,
    }));
    seeder.load(&data).await;
}

fn stop_of(cid: Uuid, row: Option<&StatusRow>) -> StopWrite {
    let spec = StopRowSpec::for_scope(StopScope::Campaign(cid), &Scope::default(), "op@host");
    StopWrite {
        pause: row.map(|r| StatusChange::from_preview(r, "paused")),
        stop_row: spec,
    }
}

/// Pause + campaign stop row in one write; a second stop writes no second row.
pub async fn stop_pauses_and_writes_one_row(store: &dyn Store, seeder: &dyn Seeder) {
    let cid = id(900);
    seed_campaign(seeder, cid, "active").await;
    let row = store
        .status_row(StatusTarget::campaign(cid), &all())
        .await
        .expect("read")
        .expect("found");
    let first = store
        .apply_stop(&stop_of(cid, Some(&row)))
        .await
        .expect("stop");
    let Some(StopRowResult::Inserted(stop_id)) = first.stop_row else {
        panic!("no row inserted: {first:?}");
    };
    assert!(
        matches!(first.pause, Some(WriteOutcome::Changed { ref now }) if now.status == "paused")
    );
    let again: StopWriteResult = store
        .apply_stop(&stop_of(cid, Some(&row)))
        .await
        .expect("again");
    assert_eq!(again.stop_row, Some(StopRowResult::AlreadyActive(stop_id)));
    assert!(matches!(again.pause, Some(WriteOutcome::Skipped { .. })));

    let state = store
        .stop_row(stop_id, &all())
        .await
        .expect("read stop")
        .expect("found");
    assert!(state.active && state.in_scope && state.control.created_by_launchdeck);
    assert_eq!(state.campaign_name.as_deref(), Some("Stop me"));
    assert_eq!(state.control.scope_type, "campaign");
    let active = store.active_stops(&all()).await.expect("active stops");
    assert_eq!(active.len(), 1);
}

/// Two consoles stopping the same campaign at once write one stop row.
pub async fn concurrent_stops_write_one_row(store: &dyn Store, seeder: &dyn Seeder) {
    let cid = id(901);
    seed_campaign(seeder, cid, "paused").await;
    let write = stop_of(cid, None);
    let (a, b) = tokio::join!(store.apply_stop(&write), store.apply_stop(&write));
    let results = [a.expect("a").stop_row, b.expect("b").stop_row];
    let inserted = results
        .iter()
        .filter(|r| matches!(r, Some(StopRowResult::Inserted(_))))
        .count();
    assert_eq!(inserted, 1, "{results:?}");
    assert_eq!(store.active_stops(&all()).await.expect("stops").len(), 1);
}

/// Lift: launchdeck's active row only, once; another's row is left alone.
pub async fn lift_only_launchdecks_rows(store: &dyn Store, seeder: &dyn Seeder) {
    let cid = id(902);
    seed_campaign(seeder, cid, "paused").await;
    let theirs = id(903);
    seeder
        .execute(&format!(
            "INSERT INTO contact_stop_controls (id, scope_type, campaign_id, reason) \
             VALUES ('{theirs}', 'campaign', '{cid}', 'compliance hold')"
        ))
        .await;
    let written = store.apply_stop(&stop_of(cid, None)).await.expect("stop");
    // The platform's row has the same scope: launchdeck writes no second one.
    assert_eq!(written.stop_row, Some(StopRowResult::AlreadyActive(theirs)));
    assert_eq!(
        store.lift_stop(theirs).await.expect("lift"),
        LiftResult::Skipped { active: true }
    );
    let global = StopRowSpec::for_scope(StopScope::All, &Scope::default(), "op@host");
    let written = store
        .apply_stop(&StopWrite {
            pause: None,
            stop_row: global,
        })
        .await
        .expect("global");
    let Some(StopRowResult::Inserted(ours)) = written.stop_row else {
        panic!("{written:?}");
    };
    assert_eq!(
        store.lift_stop(ours).await.expect("lift"),
        LiftResult::Lifted
    );
    assert_eq!(
        store.lift_stop(ours).await.expect("again"),
        LiftResult::Skipped { active: false }
    );
    assert_eq!(
        store.lift_stop(id(999)).await.expect("none"),
        LiftResult::NotFound
    );
    let state = store
        .stop_row(ours, &all())
        .await
        .expect("read")
        .expect("found");
    assert!(!state.active);
    assert_eq!(store.active_stops(&all()).await.expect("stops").len(), 1);
}
