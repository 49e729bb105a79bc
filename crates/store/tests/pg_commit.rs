//! How `PgStore` reports an action's write cut by a lost connection (quality.md
//! "Reliability": committed whole or not at all, and the result says which). A testkit
//! `TcpProxy` holds the store's connection at a chosen statement, then cuts it there.

use std::time::Duration;

use launchdeck_core::actions::{StatusChange, StatusTable, StatusTarget, WriteOutcome};
use launchdeck_core::domain::Scope;
use launchdeck_seed::SeedData;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::{Store, StoreError};
use launchdeck_testkit::{HoldAt, TcpProxy, TestDb, wait_until};
use serde_json::json;
use uuid::Uuid;

const BROADCAST: Uuid = Uuid::from_u128(0x100);

/// An active broadcast, and a store reaching it through a proxy.
async fn setup() -> (TestDb, TcpProxy, PgStore) {
    let db = TestDb::create().await;
    let mut data = SeedData::with_owner(Uuid::from_u128(0xa1), Uuid::from_u128(0xa0));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": Uuid::from_u128(0xa1), "name": "Spring promo",
        "status": "active", "message_text": "Hello",
    }));
    launchdeck_seed::pg::load(db.pool(), &data)
        .await
        .expect("seed");
    let proxy = TcpProxy::start(db.server_addr()).await;
    let opts = PgOptions {
        acquire_timeout: Duration::from_secs(1),
        ..PgOptions::default()
    };
    let store = PgStore::connect(&db.url_via(&proxy), opts)
        .await
        .expect("connect through the proxy");
    (db, proxy, store)
}

/// Pauses the broadcast on its own task; the change as previewed.
async fn pause(store: &PgStore) -> tokio::task::JoinHandle<Result<WriteOutcome, StoreError>> {
    let target = StatusTarget {
        table: StatusTable::VoiceBroadcasts,
        id: BROADCAST,
    };
    let row = store
        .status_row(target, &Scope::default())
        .await
        .expect("preview")
        .expect("the broadcast");
    let change = StatusChange::from_preview(&row, "paused");
    let store = store.clone();
    tokio::spawn(async move { store.change_status(&change).await })
}

async fn status(db: &TestDb) -> String {
    sqlx::query_scalar("SELECT status FROM voice_broadcasts WHERE id = $1")
        .bind(BROADCAST)
        .fetch_one(db.pool())
        .await
        .expect("status")
}

async fn wait_held(proxy: &TcpProxy) {
    let held = wait_until(Duration::from_secs(30), || async { proxy.held() == 1 }).await;
    assert!(held, "the store's connection was not held");
}

#[tokio::test]
async fn a_write_cut_before_its_commit_says_nothing_was_written() {
    let (db, proxy, store) = setup().await;
    proxy.hold(HoldAt::text("UPDATE voice_broadcasts"));
    let writing = pause(&store).await;
    wait_held(&proxy).await;
    proxy.cut().await;
    let err = writing.await.expect("join").expect_err("the write was cut");
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("nothing was written (the transaction was rolled back)"),
        "{err}"
    );
    assert_eq!(status(&db).await, "active");
}

#[tokio::test]
async fn a_lost_commit_answer_is_asked_after_once_the_database_is_back() {
    let (db, proxy, store) = setup().await;
    proxy.hold(HoldAt::text("COMMIT").after("UPDATE voice_broadcasts"));
    let writing = pause(&store).await;
    wait_held(&proxy).await;
    proxy.deliver_held_and_cut().await;
    let asked = wait_until(Duration::from_secs(30), || async {
        !proxy.turned_away_at().is_empty()
    })
    .await;
    assert!(asked, "the store did not ask again");
    proxy.restore();
    let outcome = writing.await.expect("join").expect("it committed");
    assert!(
        matches!(outcome, WriteOutcome::Changed { .. }),
        "{outcome:?}"
    );
    assert_eq!(status(&db).await, "paused");
}

/// The database stays away past the window: the store cannot know, and says so rather
/// than "not written" (here the change did commit).
#[tokio::test]
async fn a_lost_commit_answer_that_cannot_be_asked_after_is_reported_unknown() {
    let (db, proxy, store) = setup().await;
    proxy.hold(HoldAt::text("COMMIT").after("UPDATE voice_broadcasts"));
    let writing = pause(&store).await;
    wait_held(&proxy).await;
    proxy.deliver_held_and_cut().await;
    let err = writing
        .await
        .expect("join")
        .expect_err("the outcome is unknown");
    let text = err.to_string();
    assert!(text.contains("may or may not have been"), "{text}");
    assert!(!text.contains("nothing was written"), "{text}");
    assert_eq!(status(&db).await, "paused", "the COMMIT reached the server");
}
