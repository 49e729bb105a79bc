//! Pause and resume end to end, on the demo's SQLite store and on PostgreSQL (the
//! platform fixture): plans, the conditional write, skips, and the audit trail in the
//! database and in audit.jsonl.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use launchdeck_core::actions::{AuditResult, StatusTarget};
use launchdeck_core::domain::Scope;
use launchdeck_ops::actions::{ActionContext, ActionError, NoChange, PlanStep, pause, resume};
use launchdeck_seed::SeedData;
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::sqlite::{SqliteOptions, SqliteStore};
use launchdeck_testkit::TestDb;
use serde_json::json;
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use uuid::Uuid;

const USER: Uuid = Uuid::from_u128(0xa1);
const OTHER_USER: Uuid = Uuid::from_u128(0xb1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const BROADCAST: Uuid = Uuid::from_u128(0x100);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);

/// One user in one org (and a user outside it), a broadcast and a campaign.
fn data(broadcast_status: &str, campaign_status: &str) -> SeedData {
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("auth.users").push(json!({"id": OTHER_USER}));
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": campaign_status,
    }));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": USER, "name": "Spring promo", "status": broadcast_status,
        "message_text": "Hello",
    }));
    data
}

enum Backend {
    Sqlite(SqliteStore),
    Pg(Box<(PgStore, TestDb)>),
}

/// A store under test, its data dir, and a way to change rows behind its back.
struct World {
    backend: Backend,
    dir: TempDir,
}

impl World {
    async fn sqlite(data: &SeedData) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("demo.sqlite"), SqliteOptions::default())
            .await
            .expect("open SQLite");
        launchdeck_seed::sqlite::load(store.pool(), data)
            .await
            .expect("seed SQLite");
        World {
            backend: Backend::Sqlite(store),
            dir,
        }
    }

    async fn pg(data: &SeedData) -> World {
        let db = TestDb::create().await;
        launchdeck_seed::pg::load(db.pool(), data)
            .await
            .expect("seed PostgreSQL");
        let store = PgStore::connect(db.url(), PgOptions::default())
            .await
            .expect("connect");
        World {
            backend: Backend::Pg(Box::new((store, db))),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    async fn both(data: &SeedData) -> [World; 2] {
        [World::sqlite(data).await, World::pg(data).await]
    }

    fn name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Pg(..) => "postgres",
        }
    }

    fn store(&self) -> &dyn Store {
        match &self.backend {
            Backend::Sqlite(store) => store,
            Backend::Pg(pg) => &pg.0,
        }
    }

    async fn execute(&self, sql: &str) {
        let result = match &self.backend {
            Backend::Sqlite(store) => sqlx::query(AssertSqlSafe(sql))
                .execute(store.pool())
                .await
                .map(|_| ()),
            Backend::Pg(pg) => sqlx::query(AssertSqlSafe(sql))
                .execute(pg.1.pool())
                .await
                .map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn audit_file(&self) -> PathBuf {
        self.dir.path().join("data").join("audit.jsonl")
    }

    fn ctx(&self) -> ActionContext {
        ActionContext::new(Scope::default(), self.audit_file(), false)
    }

    async fn status(&self, target: StatusTarget) -> String {
        self.store()
            .status_row(target, &Scope::default())
            .await
            .expect("status_row")
            .expect("the row exists")
            .status
    }

    fn file_lines(&self) -> Vec<serde_json::Value> {
        match std::fs::read_to_string(self.audit_file()) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[tokio::test]
async fn pause_then_resume_change_the_row_and_audit_both_ways() {
    for w in World::both(&data("active", "active")).await {
        let (store, ctx, name) = (w.store(), w.ctx(), w.name());
        let target = StatusTarget::broadcast(BROADCAST);

        let plan = pause::plan(store, &ctx, target).await.expect("plan");
        assert!(plan.will_change(), "{name}");
        assert_eq!(
            plan.describe(),
            "pause broadcast \"Spring promo\": active → paused (no new dials; calls in flight continue)"
        );
        assert_eq!(
            w.status(target).await,
            "active",
            "{name}: planning writes nothing"
        );
        assert!(store.audit_records(10).await.expect("audit").is_empty());

        let outcome = pause::apply(store, &ctx, &plan).await.expect("apply");
        assert_eq!(
            (outcome.changed, outcome.skipped, outcome.failed),
            (1, 0, 0),
            "{name}"
        );
        assert!(outcome.clean(), "{name}: {:?}", outcome.audit_errors);
        assert_eq!(outcome.rows[0].status_now.as_deref(), Some("paused"));
        assert_eq!(w.status(target).await, "paused");

        let records = store.audit_records(10).await.expect("audit");
        assert_eq!(records.len(), 1, "{name}");
        let r = &records[0];
        assert_eq!(
            (r.action.as_str(), &r.result),
            ("pause", &AuditResult::Changed)
        );
        assert_eq!(r.target.table, "voice_broadcasts");
        assert_eq!(
            (r.target.id, r.target.name.as_str()),
            (BROADCAST, "Spring promo")
        );
        assert_eq!(
            r.before.as_ref().map(|v| &v["status"]),
            Some(&json!("active"))
        );
        assert_eq!(
            r.after.as_ref().map(|v| &v["status"]),
            Some(&json!("paused"))
        );
        assert_eq!(r.actor, ctx.actor);
        assert_eq!(r.launchdeck_version, env!("CARGO_PKG_VERSION"));

        let lines = w.file_lines();
        assert_eq!(lines.len(), 1, "{name}: one line per record");
        assert_eq!(lines[0]["id"], json!(r.id));
        assert_eq!(lines[0]["result"], "changed");
        let mode = std::fs::metadata(w.audit_file())
            .expect("audit.jsonl")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");

        let plan = resume::plan(store, &ctx, target)
            .await
            .expect("plan resume");
        assert_eq!(
            plan.describe(),
            "resume broadcast \"Spring promo\": paused → active"
        );
        let outcome = resume::apply(store, &ctx, &plan).await.expect("resume");
        assert_eq!(outcome.changed, 1, "{name}");
        assert_eq!(w.status(target).await, "active");
        let records = store.audit_records(10).await.expect("audit");
        assert_eq!(
            records
                .iter()
                .map(|r| r.action.as_str())
                .collect::<Vec<_>>(),
            ["resume", "pause"],
            "{name}: newest first"
        );
        assert_eq!(w.file_lines().len(), 2);
    }
}

#[tokio::test]
async fn a_campaign_pauses_too() {
    for w in World::both(&data("draft", "active")).await {
        let target = StatusTarget::campaign(CAMPAIGN);
        let plan = pause::plan(w.store(), &w.ctx(), target)
            .await
            .expect("plan");
        let outcome = pause::apply(w.store(), &w.ctx(), &plan)
            .await
            .expect("apply");
        assert_eq!(outcome.changed, 1, "{}", w.name());
        assert_eq!(w.status(target).await, "paused");
        let records = w.store().audit_records(1).await.expect("audit");
        assert_eq!(records[0].target.table, "campaigns");
    }
}

/// The row moved on between the preview and the apply: skipped, reported and audited,
/// never clobbered.
#[tokio::test]
async fn a_row_that_moved_on_is_skipped_and_audited() {
    for w in World::both(&data("active", "active")).await {
        let (store, ctx, name) = (w.store(), w.ctx(), w.name());
        let target = StatusTarget::broadcast(BROADCAST);
        let plan = pause::plan(store, &ctx, target).await.expect("plan");
        w.execute(&format!(
            "UPDATE voice_broadcasts SET status = 'completed' WHERE id = '{BROADCAST}'"
        ))
        .await;

        let outcome = pause::apply(store, &ctx, &plan).await.expect("apply");
        assert_eq!(
            (outcome.changed, outcome.skipped, outcome.failed),
            (0, 1, 0),
            "{name}"
        );
        assert!(!outcome.clean());
        assert_eq!(w.status(target).await, "completed", "{name}: not clobbered");
        let records = store.audit_records(10).await.expect("audit");
        assert_eq!(records.len(), 1);
        assert_eq!(
            records[0].result,
            AuditResult::Skipped(
                "the broadcast changed since the preview: its status is now `completed`".into()
            )
        );
        assert_eq!(
            records[0].after.as_ref().map(|v| &v["status"]),
            Some(&json!("completed"))
        );
        assert_eq!(w.file_lines().len(), 1);
    }
}

/// Plans that change nothing say why, and applying them writes nothing at all (not
/// even launchdeck's own tables).
#[tokio::test]
async fn plans_that_change_nothing_say_why_and_write_nothing() {
    for w in World::both(&data("paused", "completed")).await {
        let (store, ctx, name) = (w.store(), w.ctx(), w.name());
        let cases = [
            (
                pause::plan(store, &ctx, StatusTarget::broadcast(BROADCAST)).await,
                "broadcast \"Spring promo\" is already paused: nothing to change",
            ),
            (
                resume::plan(store, &ctx, StatusTarget::campaign(CAMPAIGN)).await,
                "campaign \"Renewals\" is completed: there is nothing to resume",
            ),
            (
                pause::plan(store, &ctx, StatusTarget::campaign(Uuid::from_u128(9))).await,
                "no campaign with id 00000000-0000-0000-0000-000000000009",
            ),
        ];
        for (plan, wording) in cases {
            let plan = plan.expect("plan");
            assert_eq!(plan.describe(), wording, "{name}");
            let outcome = pause::apply(store, &ctx, &plan).await.expect("apply");
            assert_eq!(
                (outcome.changed, outcome.skipped, outcome.failed),
                (0, 0, 0)
            );
        }
        assert!(store.audit_records(10).await.expect("audit").is_empty());
        assert!(!w.audit_file().exists(), "{name}: no audit file");
    }
}

#[tokio::test]
async fn scope_and_read_only_refuse() {
    for w in World::both(&data("active", "active")).await {
        let (store, name) = (w.store(), w.name());
        let target = StatusTarget::campaign(CAMPAIGN);
        let other = ActionContext {
            scope: Scope {
                user_id: Some(OTHER_USER),
                org_id: None,
            },
            ..w.ctx()
        };
        let plan = pause::plan(store, &other, target).await.expect("plan");
        assert_eq!(plan.step, PlanStep::Nothing(NoChange::OutOfScope), "{name}");
        assert!(plan.target_unavailable());
        let mine = ActionContext {
            scope: Scope {
                user_id: None,
                org_id: Some(ORG),
            },
            ..w.ctx()
        };
        assert!(
            pause::plan(store, &mine, target)
                .await
                .expect("plan")
                .will_change()
        );

        let read_only = ActionContext {
            read_only: true,
            ..w.ctx()
        };
        let plan = pause::plan(store, &read_only, target).await.expect("plan");
        let err = pause::apply(store, &read_only, &plan)
            .await
            .expect_err("read-only refuses");
        assert!(matches!(err, ActionError::ReadOnly("pause")), "{err:?}");
        assert!(err.to_string().contains("--read-only"), "{err}");
        assert_eq!(w.status(target).await, "active", "{name}: nothing written");
        assert!(!w.audit_file().exists());
    }
}

/// A write the database refuses is a failed row, audited after the transaction rolled
/// back, with the row as it still is.
#[tokio::test]
async fn a_refused_write_is_failed_and_audited_after_the_rollback() {
    let w = World::pg(&data("active", "active")).await;
    w.execute(
        "CREATE FUNCTION refuse_pause() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'BROADCAST_LOCKED: held by the platform' USING ERRCODE = '42501'; END $$",
    )
    .await;
    w.execute(
        "CREATE TRIGGER refuse_pause BEFORE UPDATE ON voice_broadcasts \
         FOR EACH ROW EXECUTE FUNCTION refuse_pause()",
    )
    .await;
    let target = StatusTarget::broadcast(BROADCAST);
    let plan = pause::plan(w.store(), &w.ctx(), target)
        .await
        .expect("plan");
    let outcome = pause::apply(w.store(), &w.ctx(), &plan)
        .await
        .expect("apply");
    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (0, 0, 1)
    );
    assert_eq!(w.status(target).await, "active");
    let records = w.store().audit_records(10).await.expect("audit");
    match &records[0].result {
        AuditResult::Failed(why) => assert!(why.contains("BROADCAST_LOCKED"), "{why}"),
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(records[0].after, None);
    assert_eq!(w.file_lines().len(), 1);
}
