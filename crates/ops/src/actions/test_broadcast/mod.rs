//! The small test broadcast (product.md "Actions"; providers.md §1, §3): 1–3 calls to
//! numbers the operator owns, for one broadcast or campaign, placed the way the
//! platform places them and kept out of its figures.
//!
//! - `plan` validates the destinations first (nothing is asked of anyone for a bad
//!   number), loads the target (scope-checked), picks the caller number by the
//!   platform's rules, resolves the agent, and runs the readiness checks that apply to
//!   the target (the same as `launchdeck check --broadcast/--campaign`). No writes, no
//!   provider mutation. Every refusal is `target_unavailable` (headless: exit 2).
//! - `apply` places the calls, at most one create per second: for each destination it
//!   writes the row first (broadcast_queue `calling` in the draft broadcast
//!   "launchdeck test — <name>" for an audio broadcast; call_logs `queued` with
//!   `campaign_id` NULL otherwise), then sends ONE create (Twilio TwiML that plays the
//!   audio; Retell with `metadata.launchdeck_request_id`), then records the outcome on
//!   that row and audits it. A create is never re-sent: acceptance unknown stays in
//!   flight, recorded, for [`follow`] to reconcile. A plan applies once.
//! - [`follow`] polls the placed calls until they end (or the longest call time
//!   passes) and reconciles those whose acceptance is unknown.

mod follow;
mod text;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use launchdeck_core::actions::{AuditResult, StatusTarget};
use launchdeck_core::domain::{CallSource, PhoneNumber, Scope};
use launchdeck_core::readiness::{Check, Focus};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_core::test_broadcast::{
    CallerNeed, DestinationRefusal, NOT_SENT_CODE, NoCaller, REJECTED_CODE, TestCallUpdate,
    TestCallWrite, TestKind, TestProvider, TestRowInsert, TestTargetRow, call_log_note, masked,
    pick_caller, play_twiml, test_broadcast_name, validate_destinations,
};
use launchdeck_providers::retell::NewCall;
use launchdeck_providers::{CreateCallOutcome, Provider, RetellClient, TwilioClient};
use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use uuid::Uuid;

pub use follow::{CallState, FollowSummary, FollowTimings, TestCallProgress, follow, follow_with};

use super::support;
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome, audit};

pub const ACTION: &str = "test-broadcast";

const RETELL_SETTING: &str = "set RETELL_AI_API_KEY (or [retell] api_key in the config file)";
const TWILIO_SETTING: &str = "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or [twilio] \
     account_sid and auth_token in the config file)";

/// At most one create request per second (product.md "Actions").
pub const CREATE_SPACING: Duration = Duration::from_secs(1);

/// `broadcast_queue.lead_name` of a test row.
pub const TEST_LEAD_NAME: &str = "launchdeck test call";

/// What a test broadcast is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestTarget {
    Broadcast(Uuid),
    Campaign(Uuid),
}

impl TestTarget {
    pub fn status_target(self) -> StatusTarget {
        match self {
            TestTarget::Broadcast(id) => StatusTarget::broadcast(id),
            TestTarget::Campaign(id) => StatusTarget::campaign(id),
        }
    }

    fn focus(self) -> Focus {
        match self {
            TestTarget::Broadcast(id) => Focus::Broadcast(id),
            TestTarget::Campaign(id) => Focus::Campaign(id),
        }
    }
}

/// `test-broadcast (--broadcast ID | --campaign ID) --to E164... [--agent ID]
/// [--override-readiness]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBroadcastRequest {
    pub target: TestTarget,
    /// As typed; validated in the plan.
    pub to: Vec<String>,
    /// AI broadcasts: the agent (required); campaigns: ignored (the campaign's agent).
    pub agent: Option<String>,
    /// Place the calls even though a blocking readiness check fails.
    pub override_readiness: bool,
}

/// Why the test broadcast will not run (nothing is sent, nothing is written).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Destinations(DestinationRefusal),
    /// No broadcast or campaign with this id.
    UnknownTarget(StatusTarget),
    /// It lies outside the `--user` / `--org` scope.
    OutOfScope,
    /// An audio broadcast without `audio_url`: there is nothing to play.
    NoAudio,
    /// An AI broadcast needs `--agent`.
    AgentRequired,
    /// The campaign has no `agent_id`.
    NoCampaignAgent,
    NoCaller(NoCaller),
    /// Blocking readiness checks fail (their ids) and no override was given.
    ReadinessBlocked(Vec<String>),
}

/// Who dials, from which number.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub number: PhoneNumber,
    /// It is the broadcast's own `caller_id`.
    pub preferred: bool,
}

/// What the test broadcast will do, or why it will not.
#[derive(Debug, Clone, PartialEq)]
pub struct TestBroadcastPlan {
    /// Identifies this plan's run (in the rows' notes and the audit).
    pub run_id: Uuid,
    /// Set by the first `apply`: a plan (and every clone of it) dials once.
    pub applied: AppliedOnce,
    /// What was asked for (the rest of the request is in the fields below).
    pub asked: TestTarget,
    /// The broadcast or campaign as read (boxed: plans travel in messages).
    pub target: Option<Box<TestTargetRow>>,
    pub kind: Option<TestKind>,
    pub caller: Option<Box<Caller>>,
    /// Retell calls: the agent (the campaign's, or `--agent`).
    pub agent: Option<String>,
    /// The destinations, normalised E.164, in order.
    pub destinations: Vec<String>,
    /// The readiness checks that apply to the target, as run for this plan.
    pub readiness: Vec<Check>,
    /// The ids of the blocking checks that do not pass.
    pub blocking: Vec<String>,
    /// Blocking checks fail and the operator overrode them.
    pub overridden: bool,
    pub refusal: Option<Refusal>,
    /// `[thresholds] max_call_duration`: how long [`follow`] follows a call.
    pub max_call_duration: Duration,
}

impl TestBroadcastPlan {
    /// The ids of the blocking readiness checks that fail (empty when none).
    pub fn blocking_checks(&self) -> &[String] {
        &self.blocking
    }

    /// Blocking checks fail and the operator chose to place the calls anyway.
    pub fn readiness_overridden(&self) -> bool {
        self.overridden
    }

    /// The provider that places the calls, once the target is known.
    pub fn provider(&self) -> Option<TestProvider> {
        self.kind.map(TestKind::provider)
    }

    fn refused(request: &TestBroadcastRequest, refusal: Refusal, env: &ActionEnv) -> Self {
        TestBroadcastPlan {
            run_id: Uuid::new_v4(),
            applied: AppliedOnce::default(),
            asked: request.target,
            target: None,
            kind: None,
            caller: None,
            agent: None,
            destinations: Vec::new(),
            readiness: Vec::new(),
            blocking: Vec::new(),
            overridden: false,
            refusal: Some(refusal),
            max_call_duration: env.providers.thresholds().max_call_duration,
        }
    }
}

impl PlanView for TestBroadcastPlan {
    fn will_change(&self) -> bool {
        self.refusal.is_none() && !self.destinations.is_empty()
    }

    fn summary(&self) -> String {
        text::summary(self)
    }

    fn subject(&self) -> String {
        self.target
            .as_deref()
            .map(TestTargetRow::label)
            .unwrap_or_default()
    }

    fn details(&self) -> Vec<String> {
        text::details(self)
    }

    fn planned(&self) -> usize {
        if self.will_change() {
            self.destinations.len()
        } else {
            0
        }
    }

    /// Every refusal: a bad or unlisted number, too many, an empty allowlist, an
    /// unknown target, readiness blocked without override.
    fn target_unavailable(&self) -> bool {
        self.refusal.is_some()
    }

    fn condition(&self) -> String {
        "each call's row written first, then one create (at most one a second), never \
         re-sent: an unknown acceptance is reconciled, not redialled"
            .to_string()
    }
}

/// Reads what the test broadcast would do; writes nothing and mutates nothing at any
/// provider. The destinations are checked before anything is read or asked.
pub async fn plan(
    env: &ActionEnv,
    request: TestBroadcastRequest,
) -> Result<TestBroadcastPlan, ActionError> {
    let config = env.providers.test_broadcast();
    let destinations = match validate_destinations(&request.to, &config.allowlist, config.max_calls)
    {
        Ok(d) => d,
        Err(why) => {
            return Ok(TestBroadcastPlan::refused(
                &request,
                Refusal::Destinations(why),
                env,
            ));
        }
    };
    let status_target = request.target.status_target();
    let target = env
        .store()
        .test_target(status_target, &env.ctx.scope)
        .await
        .map_err(support::read_error("the broadcast or campaign"))?;
    let mut plan = TestBroadcastPlan {
        destinations,
        ..TestBroadcastPlan::refused(&request, Refusal::UnknownTarget(status_target), env)
    };
    let Some(target) = target else {
        return Ok(plan);
    };
    plan.target = Some(Box::new(target.clone()));
    let kind = target.kind();
    plan.kind = Some(kind);
    if !target.in_scope {
        plan.refusal = Some(Refusal::OutOfScope);
        return Ok(plan);
    }
    let agent = match kind {
        TestKind::Audio => {
            if target
                .audio_url
                .as_deref()
                .is_none_or(|u| u.trim().is_empty())
            {
                plan.refusal = Some(Refusal::NoAudio);
                return Ok(plan);
            }
            None
        }
        TestKind::AiBroadcast => match clean(request.agent.as_deref()) {
            Some(agent) => Some(agent),
            None => {
                plan.refusal = Some(Refusal::AgentRequired);
                return Ok(plan);
            }
        },
        TestKind::Campaign => match clean(target.agent_id.as_deref()) {
            Some(agent) => Some(agent),
            None => {
                plan.refusal = Some(Refusal::NoCampaignAgent);
                return Ok(plan);
            }
        },
    };
    plan.agent = agent;
    match choose_caller(env, &target, kind).await? {
        Ok(caller) => plan.caller = Some(Box::new(caller)),
        Err(none) => {
            plan.refusal = Some(Refusal::NoCaller(none));
            return Ok(plan);
        }
    }
    let report = env.providers.report(request.target.focus()).await;
    plan.blocking = report.blockers().map(|c| c.id.clone()).collect();
    plan.readiness = report.checks;
    if !plan.blocking.is_empty() {
        if request.override_readiness {
            plan.overridden = true;
        } else {
            plan.refusal = Some(Refusal::ReadinessBlocked(plan.blocking.clone()));
            return Ok(plan);
        }
    }
    plan.refusal = None;
    Ok(plan)
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(|t| sanitize_provider_text(t.trim()))
        .filter(|t| !t.is_empty())
}

/// The caller number by the platform's rules, among the owner's numbers.
async fn choose_caller(
    env: &ActionEnv,
    target: &TestTargetRow,
    kind: TestKind,
) -> Result<Result<Caller, NoCaller>, ActionError> {
    let owner_scope = Scope {
        user_id: Some(target.user_id),
        org_id: target.organization_id,
    };
    let numbers = env
        .store()
        .phone_numbers(&owner_scope)
        .await
        .map_err(support::read_error("phone_numbers"))?;
    let today = env
        .store()
        .db_info()
        .await
        .map_err(support::read_error("the database's clock"))?
        .db_now
        .date_naive();
    let need = CallerNeed {
        provider: kind.provider(),
        owner: target.user_id,
        organization_id: target.organization_id,
        today,
    };
    let preferred = match kind {
        TestKind::Audio | TestKind::AiBroadcast => target.caller_id.as_deref(),
        TestKind::Campaign => None,
    };
    Ok(
        pick_caller(&numbers, &need, preferred).map(|number| Caller {
            preferred: preferred.is_some_and(|p| p.trim() == number.number.trim()),
            number,
        }),
    )
}

/// Where a create went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The provider accepted it (or reconcile found it).
    Placed,
    /// The provider refused it (4xx): not redialled.
    Rejected,
    /// Nothing reached the provider: the operator may place it again with a new plan.
    NotSent,
    /// 5xx, timeout after sending, reset, unreadable 2xx: never re-sent; reconciled.
    AcceptanceUnknown,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Placed => "placed",
            Placement::Rejected => "rejected",
            Placement::NotSent => "not_sent",
            Placement::AcceptanceUnknown => "acceptance_unknown",
        }
    }
}

/// One test call as placed (and, after [`follow`], as it ended).
#[derive(Debug, Clone, PartialEq)]
pub struct TestCall {
    /// Position in the plan's destinations.
    pub index: usize,
    /// E.164, as dialled (shown masked: [`TestCall::to_masked`]).
    pub to: String,
    /// The caller number (the platform's own number).
    pub from: String,
    pub provider: TestProvider,
    /// `metadata.launchdeck_request_id` (Retell); identifies the create in the audit.
    pub request_id: Uuid,
    /// The row written for it; `None` when the row could not be written (then nothing
    /// was sent).
    pub row: Option<(CallSource, Uuid)>,
    /// `None` when no create was sent (the row could not be written).
    pub placed: Option<Placement>,
    pub provider_call_id: Option<String>,
    /// When the create was sent.
    pub sent_at: DateTime<Utc>,
    /// The row's final status (as recorded) once the call ended.
    pub final_status: Option<String>,
    /// Why it failed, was rejected, or how it ended, in words (no secret).
    pub reason: Option<String>,
    pub duration_seconds: Option<i64>,
}

impl TestCall {
    pub fn to_masked(&self) -> String {
        masked(&self.to)
    }
}

/// Whether a plan was applied: shared by its clones (the console keeps one in its modal
/// and hands one to the task that dials), so a second `apply` of the same confirmation
/// never dials. Plans compare equal whatever it holds.
#[derive(Debug, Clone, Default)]
pub struct AppliedOnce(Arc<AtomicBool>);

impl AppliedOnce {
    /// True the first time only.
    fn claim(&self) -> bool {
        !self.0.swap(true, Ordering::SeqCst)
    }
}

impl PartialEq for AppliedOnce {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What `apply` placed: the outcome per row and each call, for [`follow`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placed {
    pub outcome: ActionOutcome,
    pub calls: Vec<TestCall>,
}

/// Places the calls of a confirmed plan (see the module docs); refused in read-only
/// mode and for a plan already applied.
pub async fn apply(
    env: &ActionEnv,
    plan: &TestBroadcastPlan,
) -> Result<ActionOutcome, ActionError> {
    apply_with_progress(env, plan, None)
        .await
        .map(|placed| placed.outcome)
}

enum Dialer {
    Retell(std::sync::Arc<RetellClient>),
    Twilio(std::sync::Arc<TwilioClient>),
}

/// [`apply`], saying each destination's state on `progress` as it changes
/// ("placing", then ringing / rejected / acceptance unknown …).
pub async fn apply_with_progress(
    env: &ActionEnv,
    plan: &TestBroadcastPlan,
    progress: Option<&UnboundedSender<TestCallProgress>>,
) -> Result<Placed, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    let (Some(target), Some(kind), Some(caller), true) = (
        plan.target.as_deref(),
        plan.kind,
        plan.caller.as_deref(),
        plan.will_change(),
    ) else {
        return Ok(Placed::default());
    };
    let clients = env.providers.clients();
    let dialer = match kind.provider() {
        TestProvider::Retell => Dialer::Retell(support::ready(
            &clients.retell,
            Provider::Retell,
            RETELL_SETTING,
        )?),
        TestProvider::Twilio => Dialer::Twilio(support::ready(
            &clients.twilio,
            Provider::Twilio,
            TWILIO_SETTING,
        )?),
    };
    if !plan.applied.claim() {
        return Err(ActionError::AlreadyApplied(format!(
            "this test broadcast was already started (run {}): it is never dialled twice; \
             preview it again to place new calls",
            plan.run_id
        )));
    }
    env.prepare_audit().await?;
    let mut outcome = ActionOutcome::default();
    let draft = match kind {
        TestKind::Audio => Some(draft_broadcast(env, target, &mut outcome).await?),
        TestKind::AiBroadcast | TestKind::Campaign => None,
    };
    let mut last_create: Option<Instant> = None;
    let mut calls = Vec::new();
    for (index, to) in plan.destinations.iter().enumerate() {
        let call = TestCall {
            index,
            to: to.clone(),
            from: caller.number.number.clone(),
            provider: kind.provider(),
            request_id: Uuid::new_v4(),
            row: None,
            placed: None,
            provider_call_id: None,
            sent_at: Utc::now(),
            final_status: None,
            reason: None,
            duration_seconds: None,
        };
        send(progress, &call, CallState::Placing);
        let insert = row_insert(plan, target, kind, draft, &call);
        let (call, row) = match env.store().insert_test_row(&insert).await {
            Ok(id) => {
                let row = (insert.source(), id);
                let (call, row, audit_errors) = place(
                    env,
                    plan,
                    target,
                    &dialer,
                    call,
                    row,
                    &mut last_create,
                    progress,
                )
                .await;
                outcome.audit_errors.extend(audit_errors);
                (call, row)
            }
            Err(e) => {
                let mut call = call;
                call.reason = Some(format!(
                    "the test row could not be written, so nothing was sent: {e}"
                ));
                send(
                    progress,
                    &call,
                    CallState::NotSent(call.reason.clone().unwrap_or_default()),
                );
                let row = RowOutcome {
                    table: insert.source().as_str(),
                    id: Uuid::nil(),
                    name: call.to_masked(),
                    result: AuditResult::Failed(call.reason.clone().unwrap_or_default()),
                    from: None,
                    status_now: None,
                };
                (call, row)
            }
        };
        calls.push(call);
        outcome.push(row);
    }
    Ok(Placed { outcome, calls })
}

/// Finds or creates the draft broadcast that holds an audio test's rows (audited when
/// created).
async fn draft_broadcast(
    env: &ActionEnv,
    target: &TestTargetRow,
    outcome: &mut ActionOutcome,
) -> Result<Uuid, ActionError> {
    let name = test_broadcast_name(&target.name);
    let (id, created) = env
        .store()
        .ensure_test_broadcast(target.id, &name)
        .await
        .map_err(|source| ActionError::Write {
            what: format!("the draft broadcast \"{}\"", sanitize_provider_text(&name)),
            source,
        })?;
    if created {
        let record = audit::record(
            &env.ctx,
            ACTION,
            support::target("voice_broadcasts", id, &name),
            json!({ "copied_from": target.id }),
            Some(json!({ "status": "draft", "name": name })),
            AuditResult::Changed,
        );
        outcome
            .audit_errors
            .extend(audit::write(env.store(), &env.ctx.audit_file, &[record]).await);
    }
    Ok(id)
}

fn row_insert(
    plan: &TestBroadcastPlan,
    target: &TestTargetRow,
    kind: TestKind,
    draft: Option<Uuid>,
    call: &TestCall,
) -> TestRowInsert {
    match (kind, draft) {
        (TestKind::Audio, Some(broadcast_id)) => TestRowInsert::BroadcastQueue {
            broadcast_id,
            phone_number: call.to.clone(),
            lead_name: TEST_LEAD_NAME.to_string(),
        },
        _ => {
            let caller = plan.caller.as_ref().map(|c| &c.number);
            TestRowInsert::CallLogs {
                user_id: target.user_id,
                organization_id: target
                    .organization_id
                    .or(caller.map(|n| n.organization_id))
                    .unwrap_or_default(),
                phone_number: call.to.clone(),
                caller_id: call.from.clone(),
                agent_id: plan.agent.clone().unwrap_or_default(),
                notes: call_log_note(target, plan.run_id, call.request_id),
            }
        }
    }
}

fn send(progress: Option<&UnboundedSender<TestCallProgress>>, call: &TestCall, state: CallState) {
    if let Some(tx) = progress {
        let _ = tx.send(TestCallProgress {
            index: call.index,
            to: call.to_masked(),
            state,
        });
    }
}

/// Sends ONE create for a written row (paced by the provider's lane, never cut short
/// by it: a create cut after sending would be acceptance unknown), records its outcome
/// on the row, and audits the row.
#[allow(clippy::too_many_arguments)]
async fn place(
    env: &ActionEnv,
    plan: &TestBroadcastPlan,
    target: &TestTargetRow,
    dialer: &Dialer,
    mut call: TestCall,
    (source, row_id): (CallSource, Uuid),
    last_create: &mut Option<Instant>,
    progress: Option<&UnboundedSender<TestCallProgress>>,
) -> (TestCall, RowOutcome, Vec<String>) {
    call.row = Some((source, row_id));
    let clients = env.providers.clients();
    // At most one create per second, whatever the lane's own pacing; then the lane's turn.
    if let Some(last) = *last_create {
        tokio::time::sleep_until(last + CREATE_SPACING).await;
    }
    match dialer {
        Dialer::Retell(_) => clients.retell_lane.pacer.turn().await,
        Dialer::Twilio(_) => clients.twilio_lane.pacer.turn().await,
    }
    *last_create = Some(Instant::now());
    call.sent_at = Utc::now();
    let (placement, provider_call_id, error) = match dialer {
        Dialer::Retell(client) => {
            let new_call = NewCall {
                from_number: call.from.clone(),
                to_number: call.to.clone(),
                override_agent_id: plan.agent.clone(),
                dynamic_variables: Default::default(),
                request_id: call.request_id,
            };
            sort(client.create_call(&new_call).await, |c| c.call_id.clone())
        }
        Dialer::Twilio(client) => {
            let twiml = play_twiml(target.audio_url.as_deref().unwrap_or_default());
            sort(
                client.create_call(&call.to, &call.from, &twiml).await,
                |c| c.sid.clone(),
            )
        }
    };
    call.placed = Some(placement);
    call.provider_call_id = provider_call_id.clone();
    call.reason = error.clone();
    let reason = error.unwrap_or_default();
    let update = match placement {
        Placement::Placed => TestCallUpdate::Placed {
            provider_call_id: provider_call_id.clone().unwrap_or_default(),
        },
        Placement::Rejected => TestCallUpdate::Failed {
            code: REJECTED_CODE.into(),
            reason: reason.clone(),
        },
        Placement::NotSent => TestCallUpdate::Failed {
            code: NOT_SENT_CODE.into(),
            reason: reason.clone(),
        },
        Placement::AcceptanceUnknown => TestCallUpdate::AcceptanceUnknown {
            reason: reason.clone(),
        },
    };
    let written = env
        .store()
        .write_test_call(&TestCallWrite {
            source,
            id: row_id,
            update,
        })
        .await;
    let (status_now, state) = match placement {
        Placement::Placed => (
            match source {
                CallSource::CallLogs => "ringing",
                _ => "calling",
            },
            CallState::Ringing,
        ),
        Placement::Rejected => ("failed", CallState::Rejected(reason.clone())),
        Placement::NotSent => ("failed", CallState::NotSent(reason.clone())),
        Placement::AcceptanceUnknown => (
            match source {
                CallSource::CallLogs => "queued",
                _ => "calling",
            },
            CallState::AcceptanceUnknown(reason.clone()),
        ),
    };
    if matches!(placement, Placement::Rejected | Placement::NotSent) {
        call.final_status = Some("failed".into());
    }
    send(progress, &call, state);
    let mut result = match placement {
        Placement::Placed => AuditResult::Changed,
        Placement::Rejected => AuditResult::Failed(format!("rejected: {reason}")),
        Placement::NotSent => AuditResult::Failed(format!("not sent: {reason}")),
        Placement::AcceptanceUnknown => AuditResult::Failed(format!(
            "acceptance unknown ({reason}): recorded, never re-sent; reconciling"
        )),
    };
    let mut status_now = Some(status_now.to_string());
    match written {
        Ok(true) => {}
        Ok(false) => {
            result = AuditResult::Failed(format!(
                "{}; the row moved on before its outcome was recorded",
                result_words(&result)
            ));
            status_now = None;
        }
        Err(e) => {
            result = AuditResult::Failed(format!(
                "{}; recording it on the row failed: {e}",
                result_words(&result)
            ));
            status_now = None;
        }
    }
    let record = audit::record(
        &env.ctx,
        ACTION,
        support::target(source.as_str(), row_id, &call.to_masked()),
        json!({
            "status": match source { CallSource::CallLogs => "queued", _ => "calling" },
            "to": call.to_masked(),
            "from": call.from,
            "provider": call.provider.as_str(),
            "request_id": call.request_id,
            "target": target.id,
        }),
        Some(json!({
            "status": status_now,
            "placed": placement.as_str(),
            "provider_call_id": provider_call_id,
            "reason": call.reason,
        })),
        result.clone(),
    );
    let audit_errors = audit::write(env.store(), &env.ctx.audit_file, &[record]).await;
    let row = RowOutcome {
        table: source.as_str(),
        id: row_id,
        name: call.to_masked(),
        result,
        from: Some(
            match source {
                CallSource::CallLogs => "queued",
                _ => "calling",
            }
            .to_string(),
        ),
        status_now,
    };
    (call, row, audit_errors)
}

fn result_words(result: &AuditResult) -> String {
    match result {
        AuditResult::Changed => "placed".to_string(),
        AuditResult::Skipped(why) | AuditResult::Failed(why) => why.clone(),
    }
}

/// A create's outcome as a placement, the provider's call id, and the error in words.
fn sort<C>(
    outcome: CreateCallOutcome<C>,
    id: impl FnOnce(&C) -> String,
) -> (Placement, Option<String>, Option<String>) {
    match outcome {
        CreateCallOutcome::Placed(call) => (
            Placement::Placed,
            Some(sanitize_provider_text(&id(&call))),
            None,
        ),
        CreateCallOutcome::Rejected(e) => (Placement::Rejected, None, Some(e.to_string())),
        CreateCallOutcome::NotSent(e) => (Placement::NotSent, None, Some(e.to_string())),
        CreateCallOutcome::AcceptanceUnknown(e) => {
            (Placement::AcceptanceUnknown, None, Some(e.to_string()))
        }
    }
}
