//! The runtime's action runner on a real (SQLite) store: the plan and the apply run on
//! tasks and answer with messages; the row changes once, the audit file gets its
//! record, a stale plan is skipped, and read-only refuses.

mod common;

use std::time::Duration;

use launchdeck_core::actions::AuditResult;
use launchdeck_core::config::Config;
use launchdeck_core::domain::Scope;
use launchdeck_ops::actions::{ActionPlan, ActionRequest};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_tui::tasks::ActionRunner;
use launchdeck_tui::{Msg, TuiOptions};
use tokio::sync::mpsc;

use common::plans::{PlanWorld, spring};

/// Generous: the answer comes as soon as the task is done.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

async fn next(rx: &mut mpsc::Receiver<Msg>) -> Msg {
    match tokio::time::timeout(ANSWER_WITHIN, rx.recv()).await {
        Ok(Some(msg)) => msg,
        Ok(None) => panic!("the runner's channel closed"),
        Err(_) => panic!("no answer within {ANSWER_WITHIN:?}"),
    }
}

fn runner(world: &PlanWorld, read_only: bool) -> (ActionRunner, mpsc::Receiver<Msg>) {
    let options = TuiOptions {
        read_only,
        audit_file: Some(world.audit_file()),
        ..common::options()
    };
    let (tx, rx) = mpsc::channel(8);
    let providers = Gatherer::new(
        &Config::default(),
        world.store.clone(),
        GatherOptions::default(),
    );
    (
        ActionRunner::new(world.store.clone(), providers, &options, tx),
        rx,
    )
}

async fn plan(runner: &ActionRunner, rx: &mut mpsc::Receiver<Msg>) -> ActionPlan {
    runner.plan(1, ActionRequest::Pause(spring()));
    match next(rx).await {
        Msg::ActionPlanned { id: 1, result } => result.expect("a plan"),
        other => panic!("expected the plan, got {other:?}"),
    }
}

async fn apply(
    runner: &ActionRunner,
    rx: &mut mpsc::Receiver<Msg>,
    id: u64,
    plan: &ActionPlan,
) -> Result<launchdeck_ops::actions::ActionOutcome, String> {
    runner.apply(id, plan.clone());
    match next(rx).await {
        Msg::ActionDone {
            id: answered,
            plan: returned,
            result,
        } if answered == id => {
            assert_eq!(&returned, plan);
            result
        }
        other => panic!("expected the outcome of {id}, got {other:?}"),
    }
}

#[tokio::test]
async fn pause_runs_on_tasks_changes_the_row_once_and_audits_it() {
    let world = PlanWorld::new().await;
    let (runner, mut rx) = runner(&world, false);
    let plan = plan(&runner, &mut rx).await;
    assert!(plan.will_change(), "{}", plan.summary());

    let outcome = apply(&runner, &mut rx, 1, &plan).await.expect("applied");
    assert_eq!((outcome.changed, outcome.skipped), (1, 0));
    assert!(
        outcome.audit_errors.is_empty(),
        "{:?}",
        outcome.audit_errors
    );
    let row = world
        .store
        .status_row(spring(), &Scope::default())
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.status, "paused");
    let audit = std::fs::read_to_string(world.audit_file()).expect("audit file written");
    assert_eq!(audit.lines().count(), 1, "{audit}");
    assert!(audit.contains("pause"), "{audit}");

    // The same plan again: the row moved on since its preview, so it is skipped.
    let again = apply(&runner, &mut rx, 2, &plan).await.expect("ran");
    assert_eq!((again.changed, again.skipped), (0, 1));
    assert!(matches!(again.rows[0].result, AuditResult::Skipped(_)));
}

#[tokio::test]
async fn read_only_refuses_to_apply_and_changes_nothing() {
    let world = PlanWorld::new().await;
    let (runner, mut rx) = runner(&world, true);
    let plan = plan(&runner, &mut rx).await;
    let err = apply(&runner, &mut rx, 1, &plan)
        .await
        .expect_err("refused");
    assert!(err.contains("read-only"), "{err}");
    let row = world
        .store
        .status_row(spring(), &Scope::default())
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.status, "active");
    assert!(!world.audit_file().exists());
}
