//! The operator actions' keys: starting an action (its subject, or the toast that says
//! why it cannot run), the modal's keys, the plan and apply answers, and toasts.

use crossterm::event::{Event, KeyCode, KeyEvent};
use launchdeck_core::actions::StatusTable;
use launchdeck_core::readiness::FixAction;
use launchdeck_core::stop::StopScope;
use launchdeck_ops::actions::acknowledge::AckRequest;
use launchdeck_ops::actions::cleanup::CleanupRequest;
use launchdeck_ops::actions::outbound_agent::AgentRequest;
use launchdeck_ops::actions::stop::{LiftRequest, StopRequest};
use launchdeck_ops::actions::test_broadcast::{FollowSummary, Refusal};
use launchdeck_ops::actions::tokens::TokenRequest;
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, ActionRequest, OperatorAction};
use tui_input::backend::crossterm::EventHandler;

use super::{App, Effect, OverviewFocus, Screen};
use crate::actions::{self, ActionModal, ModalStage, Toast, ToastTone, TypedText};
use crate::keys::KeyAction;
use crate::model::{ProgressItem, RowKey};

pub(super) fn show_toast(app: &mut App, tone: ToastTone, text: String) {
    app.toast = Some(Toast {
        tone,
        text,
        since: app.clock.now,
    });
}

/// `p` / `P` on the Overview: asks for the plan of the selected broadcast/campaign and
/// opens the modal; says why not when it cannot run.
pub(super) fn start_overview_action(app: &mut App, action: OperatorAction) -> Vec<Effect> {
    let item = match overview_subject(app, action) {
        Ok(item) => item,
        Err((tone, why)) => {
            show_toast(app, tone, why);
            return Vec::new();
        }
    };
    let target = actions::target_of(&item);
    let request = match action {
        OperatorAction::Resume => ActionRequest::Resume(target),
        OperatorAction::Stop => ActionRequest::Stop(StopRequest {
            scope: match target.table {
                StatusTable::VoiceBroadcasts => StopScope::Broadcast(target.id),
                StatusTable::Campaigns => StopScope::Campaign(target.id),
            },
            hang_up: false,
            confirmation: None,
        }),
        _ => ActionRequest::Pause(target),
    };
    start_action(app, request, actions::subject_of(&item))
}

/// Opens the modal for `request` and asks for its plan.
pub(super) fn start_action(app: &mut App, request: ActionRequest, subject: String) -> Vec<Effect> {
    app.last_action_id += 1;
    let id = app.last_action_id;
    app.modal = Some(ActionModal {
        id,
        action: request.action(),
        subject,
        stage: ModalStage::Reading,
        since: app.clock.now,
        typed: TypedText::default(),
        mismatch: false,
        request: Some(request.clone()),
        progress: Vec::new(),
        following: false,
    });
    vec![Effect::PlanAction { id, request }]
}

/// `c`: the rows marked on the Calls screen, or every stuck call.
pub(super) fn start_cleanup(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, OperatorAction::Cleanup.name()) {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let mut marked: Vec<RowKey> = match app.screen {
        Screen::Calls => app.calls.marks.iter().copied().collect(),
        _ => Vec::new(),
    };
    marked.sort();
    let (rows, subject) = match marked.len() {
        0 => (None, "the stuck calls".to_string()),
        n => (Some(marked), format!("{n} marked calls")),
    };
    // The plan asks the providers about the calls they know, paced at one request a
    // second each: say so while the modal waits.
    let subject = format!("{subject}; asking the providers (about 1 s a call)");
    let request = CleanupRequest {
        rows,
        older_than: None,
        hang_up: false,
    };
    start_action(app, ActionRequest::Cleanup(request), subject)
}

/// `t`: the calendar tokens that expire within the refresh margin.
pub(super) fn start_token_refresh(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, OperatorAction::RefreshTokens.name()) {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let request = ActionRequest::RefreshTokens(TokenRequest { all: false });
    start_action(app, request, "the calendar tokens".to_string())
}

/// `F` on the Readiness screen: the fix the selected check offers.
pub(super) fn start_fix(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, "running a check's fix") {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let readiness = app
        .keymap
        .first_key(KeyAction::ScreenReadiness)
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    if app.screen != Screen::Readiness {
        let key = app.keymap.label(KeyAction::RunFix);
        let why =
            format!("{key} runs the fix of the check selected on the Readiness screen{readiness}");
        show_toast(app, ToastTone::Info, why);
        return Vec::new();
    }
    let check = app.selected_check();
    let Some((action, subject)) = check.and_then(|c| Some((c.action.clone()?, c.id.clone())))
    else {
        let why = "the selected check has no fix to run from here (its fix line says what to do)";
        show_toast(app, ToastTone::Info, why.to_string());
        return Vec::new();
    };
    let request = match action {
        // The check offers the number's inbound agent: the plan reads it again from
        // Retell (no agent named), so it is the one Retell has now.
        FixAction::AssignOutboundAgent { phone_number, .. } => {
            ActionRequest::FixOutboundAgent(AgentRequest {
                number: phone_number,
                agent: None,
            })
        }
        FixAction::RefreshCalendarTokens => {
            ActionRequest::RefreshTokens(TokenRequest { all: false })
        }
        FixAction::CleanupStuckCalls => ActionRequest::Cleanup(CleanupRequest::default()),
        FixAction::LiftStop { stop_id } => ActionRequest::LiftStop(LiftRequest { stop_id }),
    };
    start_action(app, request, subject)
}

/// `a` on the Overview: the selected unacknowledged alert.
pub(super) fn start_acknowledge(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, OperatorAction::Acknowledge.name()) {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let Some(alert) = app
        .selected_alert()
        .filter(|_| app.screen == Screen::Overview)
    else {
        let why = "acknowledge acts on the alert selected on the Overview: move down past the \
                   broadcasts and campaigns to the alerts";
        show_toast(app, ToastTone::Info, why.to_string());
        return Vec::new();
    };
    let subject = format!(
        "alert \"{}\"",
        alert.title.as_deref().unwrap_or(&alert.alert_type)
    );
    let request = AckRequest {
        alert_ids: vec![alert.id],
    };
    start_action(app, ActionRequest::Acknowledge(request), subject)
}

/// Why no action key can run now (read-only mode, no audit file), as a toast.
fn actions_unavailable(app: &App, name: &str) -> Option<(ToastTone, String)> {
    if app.options.read_only {
        return Some((
            ToastTone::Warning,
            format!("read-only: {name} is disabled (--read-only or [ui] read_only is set)"),
        ));
    }
    if app.options.audit_file.is_none() {
        return Some((ToastTone::Failure, crate::tasks::no_audit_file(name)));
    }
    None
}

/// The Overview item an action key acts on, or the toast that says why there is none.
pub(super) fn overview_subject(
    app: &App,
    action: OperatorAction,
) -> Result<ProgressItem, (ToastTone, String)> {
    if let Some(why) = actions_unavailable(app, action.name()) {
        return Err(why);
    }
    let name = action.name();
    if app.screen != Screen::Overview {
        let overview = app
            .keymap
            .first_key(KeyAction::ScreenOverview)
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        return Err((
            ToastTone::Info,
            format!("{name} acts on the broadcast or campaign selected on the Overview{overview}"),
        ));
    }
    let items = app.shown().progress.as_ref().map(|p| p.items.as_slice());
    if app.overview.focus == OverviewFocus::Alerts {
        return Err((
            ToastTone::Info,
            format!("{name} acts on a broadcast or campaign: move up to select one"),
        ));
    }
    match items.and_then(|items| items.get(app.overview.nav.selected)) {
        Some(item) => Ok(item.clone()),
        None if items.is_none() => Err((
            ToastTone::Info,
            format!(
                "nothing to {name} yet: waiting for the first poll of broadcasts and campaigns"
            ),
        )),
        None => Err((
            ToastTone::Info,
            format!("nothing to {name}: select a broadcast or campaign on the Overview"),
        )),
    }
}

/// Keys while the modal is open: `y` applies a plan that changes something, `n`/`esc`
/// cancels, `esc`/`enter` closes a plan that changes nothing; nothing while applying.
pub(super) fn on_modal_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = app.modal.as_mut() else {
        return Vec::new();
    };
    let back = key.code == KeyCode::Esc || app.keymap.action_for(&key) == Some(KeyAction::Back);
    let (yes, no) = (
        key.code == KeyCode::Char('y'),
        key.code == KeyCode::Char('n'),
    );
    if let Some(expected) = modal.expected_text() {
        return on_typed_confirmation_key(app, key, &expected);
    }
    if modal.following && back {
        let id = modal.id;
        app.modal = None;
        let text = "stopped following the test calls: they go on at the provider; a row \
                    left in flight is cleaned up with c";
        show_toast(app, ToastTone::Info, text.to_string());
        return vec![Effect::StopFollowing { id }];
    }
    if let Some(request) = readiness_override(modal).filter(|_| key.code == KeyCode::Char('o')) {
        let subject = modal.subject.clone();
        return start_action(app, request, subject);
    }
    if key.code == KeyCode::Char('h') && toggle_hang_up(modal) {
        return Vec::new();
    }
    match &modal.stage {
        ModalStage::Reading | ModalStage::Confirm(_) if back || no => app.modal = None,
        ModalStage::Confirm(plan) if yes => {
            let (id, plan) = (modal.id, plan.clone());
            modal.stage = ModalStage::Applying(plan.clone());
            modal.since = app.clock.now;
            return vec![Effect::ApplyAction { id, plan }];
        }
        ModalStage::Nothing(_) if back || key.code == KeyCode::Enter => app.modal = None,
        _ => {}
    }
    Vec::new()
}

/// `o` on a test broadcast that readiness blocks: the same request, overriding the
/// gate (an explicit choice; the plan still lists the failing checks).
fn readiness_override(modal: &ActionModal) -> Option<ActionRequest> {
    let ModalStage::Nothing(ActionPlan::TestBroadcast(plan)) = &modal.stage else {
        return None;
    };
    if !matches!(plan.refusal, Some(Refusal::ReadinessBlocked(_))) {
        return None;
    }
    match modal.request.clone()? {
        ActionRequest::TestBroadcast(mut request) => {
            request.override_readiness = true;
            Some(ActionRequest::TestBroadcast(request))
        }
        _ => None,
    }
}

/// Keys while a plan waits for its typed confirmation (an emergency stop): text goes
/// to the field; `enter` applies only when it matches exactly; `tab` toggles the
/// hang-up; `esc` cancels.
fn on_typed_confirmation_key(app: &mut App, key: KeyEvent, expected: &str) -> Vec<Effect> {
    let Some(modal) = app.modal.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => app.modal = None,
        KeyCode::Tab => {
            toggle_hang_up(modal);
        }
        KeyCode::Enter if launchdeck_core::stop::confirms(expected, modal.typed.value()) => {
            let ModalStage::Confirm(plan) = &modal.stage else {
                return Vec::new();
            };
            let mut plan = plan.clone();
            plan.set_typed_confirmation(modal.typed.value());
            modal.stage = ModalStage::Applying(plan.clone());
            modal.since = app.clock.now;
            return vec![Effect::ApplyAction { id: modal.id, plan }];
        }
        KeyCode::Enter => modal.mismatch = true,
        _ => {
            modal.mismatch = false;
            modal.typed.0.handle_event(&Event::Key(key));
        }
    }
    Vec::new()
}

/// `h` in a cleanup's modal (`tab` in a stop's): hang up the calls still live at the
/// provider, or not (a separate, explicit choice). False when the plan has none.
fn toggle_hang_up(modal: &mut ActionModal) -> bool {
    let (ModalStage::Confirm(plan) | ModalStage::Nothing(plan)) = &mut modal.stage else {
        return false;
    };
    if !plan.toggle_hang_up() {
        return false;
    }
    let plan = plan.clone();
    modal.stage = if plan.will_change() {
        ModalStage::Confirm(plan)
    } else {
        ModalStage::Nothing(plan)
    };
    true
}

pub(super) fn on_action_planned(
    app: &mut App,
    id: u64,
    result: Result<ActionPlan, String>,
) -> Vec<Effect> {
    let Some(modal) = app.modal.as_mut() else {
        return Vec::new(); // cancelled
    };
    if modal.id != id || modal.stage != ModalStage::Reading {
        return Vec::new();
    }
    match result {
        Ok(plan) if plan.will_change() => modal.stage = ModalStage::Confirm(plan),
        Ok(plan) => modal.stage = ModalStage::Nothing(plan),
        Err(why) => {
            let text = format!("{} failed: {why}", modal.action.name());
            app.modal = None;
            show_toast(app, ToastTone::Failure, text);
            return Vec::new();
        }
    }
    modal.since = app.clock.now;
    Vec::new()
}

/// The apply's answer: the modal closes, the toast says how it went, and every source
/// is polled at once so the screens show the result.
pub(super) fn on_action_done(
    app: &mut App,
    id: u64,
    plan: &ActionPlan,
    result: &Result<ActionOutcome, String>,
) -> Vec<Effect> {
    if app.modal.as_ref().is_some_and(|m| m.id == id) {
        app.modal = None;
    }
    app.quit_armed = false;
    let (tone, text) = actions::outcome_toast(plan, result);
    show_toast(app, tone, text);
    let mut effects = vec![Effect::PollNow];
    // A provider-side fix shows in the readiness checks: run them again now.
    let fixes_readiness = matches!(
        plan.action(),
        OperatorAction::FixOutboundAgent
            | OperatorAction::RefreshTokens
            | OperatorAction::Stop
            | OperatorAction::LiftStop
    );
    if fixes_readiness && result.is_ok() {
        effects.push(Effect::RecheckAfterChange);
    }
    effects
}

/// A test call's new state: its line in the modal.
pub(super) fn on_action_progress(app: &mut App, id: u64, index: usize, text: String) {
    let Some(modal) = app.modal.as_mut().filter(|m| m.id == id) else {
        return;
    };
    if modal.progress.len() <= index {
        modal.progress.resize(index + 1, String::new());
    }
    modal.progress[index] = text;
}

/// The test calls are placed: from now on `esc` stops following them.
pub(super) fn on_following(app: &mut App, id: u64) {
    if let Some(modal) = app.modal.as_mut().filter(|m| m.id == id) {
        modal.following = true;
    }
}

/// The test calls ended (or were left to the provider): the modal closes and the toast
/// says how each went.
pub(super) fn on_test_broadcast_done(
    app: &mut App,
    id: u64,
    outcome: &ActionOutcome,
    summary: Option<&FollowSummary>,
) -> Vec<Effect> {
    let closed_here = app.modal.as_ref().is_some_and(|m| m.id == id);
    if closed_here {
        app.modal = None;
    }
    app.quit_armed = false;
    // Stopped with esc: its toast already said so.
    if closed_here || summary.is_some() {
        let (tone, text) = actions::test_broadcast_toast(outcome, summary);
        show_toast(app, tone, text);
    }
    vec![Effect::PollNow]
}
