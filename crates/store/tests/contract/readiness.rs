//! The readiness reads that keep their costly part between runs.

use std::collections::BTreeMap;

use launchdeck_core::readiness::KeptFinished;

use super::*;

pub async fn broadcast_stats_reuse_kept_finished_rows(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let b1 = id(1);
    broadcast(&mut data, b1, USER_A1, "Spring promo", "active");
    queue_row(&mut data, id(10), b1, "pending", 600, json!({}));
    queue_row(&mut data, id(11), b1, "pending", 600, json!({}));
    queue_row(&mut data, id(12), b1, "calling", 60, json!({}));
    queue_row(&mut data, id(13), b1, "completed", 300, json!({}));
    queue_row(&mut data, id(14), b1, "failed", 200, json!({}));
    seeder.load(&data).await;

    let none = BTreeMap::new();
    let read = |kept: BTreeMap<Uuid, KeptFinished>| async move {
        let stats = store
            .broadcast_readiness_stats(&all(), &kept)
            .await
            .expect("broadcast_readiness_stats");
        stats[&b1].clone()
    };
    let first = read(none.clone()).await;
    assert_eq!(first.recent_finished, ["failed", "completed"]);
    assert_eq!(first.pending, 2);
    let marker = first.finished_marker.clone();
    assert_eq!(read(none.clone()).await.finished_marker, marker, "stable");

    // The marker did not move: the kept rows come back unread.
    let kept = |marker: &str| {
        let kept = KeptFinished {
            marker: marker.to_string(),
            recent_finished: vec!["kept".to_string()],
        };
        BTreeMap::from([(b1, kept)])
    };
    assert_eq!(read(kept(&marker)).await.recent_finished, ["kept"]);
    assert_eq!(
        read(kept("another marker")).await.recent_finished,
        ["failed", "completed"]
    );

    // A calling row ends, then a pending row fails before its dial: each moves the
    // marker, and the finished rows are read again.
    let mut markers = vec![marker.clone()];
    for (row, status) in [(id(12), "answered"), (id(10), "failed")] {
        seeder
            .execute(&format!(
                "UPDATE broadcast_queue SET status = '{status}' WHERE id = '{row}'"
            ))
            .await;
        let last = markers.last().cloned().unwrap_or_default();
        let now = read(kept(&last)).await;
        assert_eq!(
            now.recent_finished.first().map(String::as_str),
            Some(status)
        );
        assert!(!markers.contains(&now.finished_marker), "{markers:?}");
        markers.push(now.finished_marker);
    }
}
