//! One-shot work the runtime starts for `update`'s effects: a provider's record of a
//! Logs row, an operator action's plan and its apply. Each runs on its own task and
//! answers with a message; dropping the runner cancels what is in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use launchdeck_core::domain::CallProvider;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_ops::Gatherer;
use launchdeck_ops::actions::test_broadcast::{self, TestBroadcastPlan, TestCallProgress};
use launchdeck_ops::actions::{self, ActionContext, ActionEnv, ActionPlan, ActionRequest};
use launchdeck_store::Store;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::app::Msg;
use crate::model::RowKey;
use crate::options::TuiOptions;

/// Spawns tasks whose answers go to the app's channel.
struct Spawner {
    tx: mpsc::Sender<Msg>,
    tasks: Mutex<JoinSet<()>>,
}

impl Spawner {
    fn new(tx: mpsc::Sender<Msg>) -> Self {
        Spawner {
            tx,
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Waits up to `limit` for the tasks in flight to end (they are aborted after it,
    /// when the spawner is dropped).
    async fn finish(&self, limit: std::time::Duration) {
        let mut tasks =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        let all = async { while tasks.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(limit, all).await;
    }

    /// Runs `work` and sends its answer; must be called within the runtime.
    fn spawn(&self, work: impl Future<Output = Msg> + Send + 'static) {
        let tx = self.tx.clone();
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            let answer = work.await;
            // A failed send means the UI has gone: nothing is waiting for the answer.
            let _ = tx.send(answer).await;
        });
    }
}

/// Asks providers for their records of Logs rows, answered with [`Msg::CallRecord`].
/// The gatherer paces the requests (1 request/s per provider, shared with the
/// readiness checks).
pub struct RecordFetcher {
    gatherer: Gatherer,
    spawner: Spawner,
}

impl RecordFetcher {
    pub fn new(gatherer: Gatherer, tx: mpsc::Sender<Msg>) -> RecordFetcher {
        RecordFetcher {
            gatherer,
            spawner: Spawner::new(tx),
        }
    }

    /// Starts one fetch; must be called within the tokio runtime.
    pub fn fetch(&self, row: RowKey, provider: CallProvider, call_id: String) {
        let gatherer = self.gatherer.clone();
        self.spawner.spawn(async move {
            let result = gatherer.call_record(&provider, &call_id).await;
            if let Err(err) = &result {
                tracing::info!(provider = provider.name(), error = %err, "call record not fetched");
            }
            Msg::CallRecord {
                row,
                call_id,
                at: Instant::now(),
                result,
            }
        });
    }
}

/// Runs the plans and applies the action keys ask for; the answers come back as
/// [`Msg::ActionPlanned`] and [`Msg::ActionDone`].
pub struct ActionRunner {
    /// `None` without a data dir for the audit file (`update` then starts nothing).
    env: Option<Arc<ActionEnv>>,
    spawner: Spawner,
    /// The applies: kept apart so that quitting lets them end (see [`ActionRunner::finish`]).
    applies: Spawner,
    /// The test broadcasts being followed, by action id.
    following: Arc<Mutex<HashMap<u64, AbortHandle>>>,
}

impl ActionRunner {
    pub fn new(
        store: Arc<dyn Store>,
        providers: Gatherer,
        options: &TuiOptions,
        tx: mpsc::Sender<Msg>,
    ) -> Self {
        let env = options.audit_file.clone().map(|file| {
            let ctx = ActionContext::new(options.scope, file, options.read_only);
            Arc::new(ActionEnv::new(store, providers, ctx))
        });
        ActionRunner {
            env,
            applies: Spawner::new(tx.clone()),
            spawner: Spawner::new(tx),
            following: Arc::default(),
        }
    }

    /// Reads what `request` would change; must be called within the runtime.
    pub fn plan(&self, id: u64, request: ActionRequest) {
        let env = self.env.clone();
        self.spawner.spawn(async move {
            let result = match env {
                None => Err(no_audit_file(request.action().name())),
                Some(env) => actions::plan(&env, request)
                    .await
                    .map_err(|e| sanitize_provider_text(&e.to_string())),
            };
            Msg::ActionPlanned { id, result }
        });
    }

    /// Applies a confirmed plan; must be called within the runtime.
    pub fn apply(&self, id: u64, plan: ActionPlan) {
        if let (ActionPlan::TestBroadcast(test), Some(env)) = (&plan, &self.env) {
            return self.place_and_follow(id, env.clone(), test.clone());
        }
        let env = self.env.clone();
        self.applies.spawn(async move {
            let name = plan.action().name();
            let result = match env {
                None => Err(no_audit_file(name)),
                Some(env) => actions::apply(&env, &plan)
                    .await
                    .map_err(|e| sanitize_provider_text(&e.to_string())),
            };
            if let Err(e) = &result {
                tracing::warn!(action = name, error = %e, "action not applied");
            }
            Msg::ActionDone { id, plan, result }
        });
    }
}

impl ActionRunner {
    /// A test broadcast: the calls are placed on one task (never cut: a create cut
    /// after sending could not be told from a lost reply), then followed on another,
    /// which [`ActionRunner::stop_following`] aborts. Every state change is sent as
    /// [`Msg::ActionProgress`].
    fn place_and_follow(&self, id: u64, env: Arc<ActionEnv>, plan: TestBroadcastPlan) {
        let tx = self.applies.tx.clone();
        let following = self.following.clone();
        self.applies.spawn(async move {
            let (progress, mut progress_rx) = mpsc::unbounded_channel::<TestCallProgress>();
            let forward_tx = tx.clone();
            let forward = tokio::spawn(async move {
                while let Some(p) = progress_rx.recv().await {
                    let (index, text) = (p.index, sanitize_provider_text(&p.to_string()));
                    let _ = forward_tx
                        .send(Msg::ActionProgress { id, index, text })
                        .await;
                }
            });
            let placed = test_broadcast::apply_with_progress(&env, &plan, Some(&progress)).await;
            let placed = match placed {
                Ok(placed) => placed,
                Err(e) => {
                    drop(progress);
                    let _ = forward.await;
                    let result = Err(sanitize_provider_text(&e.to_string()));
                    let plan = ActionPlan::TestBroadcast(plan);
                    return Msg::ActionDone { id, plan, result };
                }
            };
            let _ = tx.send(Msg::ActionFollowing { id }).await;
            let follow = tokio::spawn({
                let (env, plan, calls) = (env.clone(), plan.clone(), placed.calls.clone());
                async move { test_broadcast::follow(&env, &plan, calls, progress).await }
            });
            lock(&following).insert(id, follow.abort_handle());
            let summary = follow.await.ok();
            lock(&following).remove(&id);
            let _ = forward.await;
            Msg::TestBroadcastDone {
                id,
                outcome: placed.outcome,
                summary,
            }
        });
    }

    /// `esc` while test calls are followed: stop asking about them (the calls go on).
    pub fn stop_following(&self, id: u64) {
        if let Some(follow) = lock(&self.following).remove(&id) {
            follow.abort();
        }
    }

    /// The console is quitting (a key, SIGHUP, SIGTERM): a change being applied ends
    /// first, within `limit` (product.md Decision 9: it commits whole or rolls back, and
    /// is audited; cut, it could commit unaudited). Test calls stop being followed.
    pub async fn finish(&self, limit: std::time::Duration) {
        for (_, follow) in lock(&self.following).drain() {
            follow.abort();
        }
        self.applies.finish(limit).await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn no_audit_file(action: &str) -> String {
    format!("{action} needs a data dir for its audit file: set LAUNCHDECK_DATA_DIR and restart")
}
