//! Real action plans of the Overview's broadcasts, read by `launchdeck_ops` from a
//! SQLite store seeded with them (a plan has no public constructor, and should not:
//! only `plan` makes one).

use std::path::PathBuf;
use std::sync::Arc;

use launchdeck_core::actions::StatusTarget;
use launchdeck_core::domain::Scope;
use launchdeck_ops::actions::{ActionContext, ActionPlan, pause, resume};
use launchdeck_seed::SeedData;
use launchdeck_store::Store;
use launchdeck_store::sqlite::{SqliteOptions, SqliteStore};
use serde_json::json;
use tempfile::TempDir;
use uuid::Uuid;

use super::{RECALL, SPRING, id};

const USER: Uuid = Uuid::from_u128(0xa1);

/// The Overview's first broadcast (active) and second (paused).
pub fn spring() -> StatusTarget {
    StatusTarget::broadcast(id(900))
}

pub fn recall() -> StatusTarget {
    StatusTarget::broadcast(id(901))
}

/// A SQLite store holding the Overview's two broadcasts, and its data dir.
pub struct PlanWorld {
    pub store: Arc<dyn Store>,
    pub dir: TempDir,
}

impl PlanWorld {
    pub async fn new() -> PlanWorld {
        let mut data = SeedData::default();
        data.table("auth.users").push(json!({"id": USER}));
        for (target, name, status) in [(spring(), SPRING, "active"), (recall(), RECALL, "paused")] {
            data.table("voice_broadcasts").push(json!({
                "id": target.id, "user_id": USER, "name": name, "status": status,
                "message_text": "Hello",
            }));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("demo.sqlite"), SqliteOptions::default())
            .await
            .expect("open SQLite");
        launchdeck_seed::sqlite::load(store.pool(), &data)
            .await
            .expect("seed SQLite");
        PlanWorld {
            store: Arc::new(store),
            dir,
        }
    }

    pub fn audit_file(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    pub fn context(&self, read_only: bool) -> ActionContext {
        ActionContext::new(Scope::default(), self.audit_file(), read_only)
    }
}

/// Plans as `p` and `P` on the Overview get them.
pub struct Plans {
    /// Pause the active Spring broadcast: a change.
    pub pause_spring: ActionPlan,
    /// Pause the paused Recall broadcast: nothing to change.
    pub pause_recall: ActionPlan,
    /// Resume the paused Recall broadcast: a change.
    pub resume_recall: ActionPlan,
}

pub fn plans() -> Plans {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let world = PlanWorld::new().await;
        let (store, ctx) = (world.store.as_ref(), world.context(false));
        Plans {
            pause_spring: ActionPlan::Pause(
                pause::plan(store, &ctx, spring()).await.expect("plan"),
            ),
            pause_recall: ActionPlan::Pause(
                pause::plan(store, &ctx, recall()).await.expect("plan"),
            ),
            resume_recall: ActionPlan::Resume(
                resume::plan(store, &ctx, recall()).await.expect("plan"),
            ),
        }
    })
}
