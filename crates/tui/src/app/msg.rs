//! The messages, the effects and `update`, which hands each message to its concern.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use launchdeck_core::domain::{CallProvider, LogFilter, ProviderCallRecord};
use launchdeck_ops::CallRecordError;
use launchdeck_ops::actions::test_broadcast::FollowSummary;
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, ActionRequest, OperatorAction};
use ratatui::layout::Rect;

use super::action::{self, show_toast};
use super::{App, Clock, Frozen, Health, PollError, Screen, Source, form, logs, nav};
use crate::actions::{ActionModal, ToastTone};
use crate::keys::{KeyAction, is_ctrl_c};
use crate::model::{AlertsData, LiveData, LogsData, ProgressData, RowKey};
use crate::readiness::AreaResult;

/// A poll result, prepared by the poller (classified, sanitised, computed).
#[derive(Debug, Clone, PartialEq)]
pub enum PollData {
    Live(LiveData),
    Logs(LogsData),
    Progress(ProgressData),
    Alerts(AlertsData),
}

impl PollData {
    pub fn source(&self) -> Source {
        match self {
            PollData::Live(_) => Source::Live,
            PollData::Logs(_) => Source::Logs,
            PollData::Progress(_) => Source::Progress,
            PollData::Alerts(_) => Source::Alerts,
        }
    }
}

/// Everything that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clocks moved on (sent before each frame and on the 1 s tick).
    Clock(Clock),
    Data(PollData),
    PollFailed {
        source: Source,
        at: DateTime<Utc>,
        error: PollError,
    },
    /// A readiness run began (at start, on its interval, or after `R`).
    ReadinessStarted {
        at: Instant,
    },
    /// One area's checks from the run in flight.
    ReadinessArea(AreaResult),
    /// The run in flight has delivered every area.
    ReadinessFinished {
        at: Instant,
    },
    /// A provider's record of a Logs row (asked for by [`Effect::FetchCallRecord`]).
    CallRecord {
        row: RowKey,
        call_id: String,
        /// When the answer arrived.
        at: Instant,
        result: Result<ProviderCallRecord, CallRecordError>,
    },
    /// A frame was drawn: the open Logs detail's line count (0 when none is open).
    DetailDrawn {
        lines: usize,
    },
    /// The plan asked for by [`Effect::PlanAction`], or why it could not be read.
    ActionPlanned {
        id: u64,
        result: Result<ActionPlan, String>,
    },
    /// How [`Effect::ApplyAction`] went, or why it could not run.
    ActionDone {
        id: u64,
        plan: ActionPlan,
        result: Result<ActionOutcome, String>,
    },
    /// A test call's state changed (its line in the modal, by destination).
    ActionProgress {
        id: u64,
        index: usize,
        text: String,
    },
    /// The test calls are placed; they are being followed (`esc` stops following).
    ActionFollowing {
        id: u64,
    },
    /// The test broadcast's calls were followed to their end (`summary`), or the
    /// following was stopped (`None`).
    TestBroadcastDone {
        id: u64,
        outcome: ActionOutcome,
        summary: Option<FollowSummary>,
    },
}

/// Work `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Wake every poller now.
    PollNow,
    /// The Logs filter changed: query the store with it.
    SetLogFilter(LogFilter),
    /// Another screen is shown: the pollers read only what a screen shows.
    ScreenShown(Screen),
    /// Run every readiness check now (`R`; never while a run is in flight).
    RerunReadiness,
    /// An action changed what the checks read: run them once more, after the run in
    /// flight if there is one (its answers may predate the change).
    RecheckAfterChange,
    /// Ask `provider` for its record of call `call_id` (the Logs row `row`) and answer
    /// with [`Msg::CallRecord`].
    FetchCallRecord {
        row: RowKey,
        provider: CallProvider,
        call_id: String,
    },
    /// Read what `request` would change; answer with [`Msg::ActionPlanned`].
    PlanAction {
        id: u64,
        request: ActionRequest,
    },
    /// Apply a confirmed plan; answer with [`Msg::ActionDone`] (a test broadcast:
    /// [`Msg::ActionProgress`]…, [`Msg::ActionFollowing`], [`Msg::TestBroadcastDone`]).
    ApplyAction {
        id: u64,
        plan: ActionPlan,
    },
    /// Stop following the test calls of action `id` (the calls go on at the provider).
    StopFollowing {
        id: u64,
    },
}

/// Applies one message; returns what the runtime must do.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Resize { width, height } => {
            app.size = Rect::new(0, 0, width, height);
            app.follow_all();
            Vec::new()
        }
        Msg::Clock(clock) => {
            app.clock = clock;
            if app.toast.as_ref().is_some_and(|t| t.expired(clock.now)) {
                app.toast = None;
            }
            Vec::new()
        }
        Msg::Data(data) => on_data(app, data),
        Msg::ReadinessStarted { at } => {
            app.readiness.results.started(at);
            Vec::new()
        }
        Msg::ReadinessArea(result) => {
            app.readiness.results.received(result);
            nav::refresh_check_detail(app);
            app.follow_readiness();
            Vec::new()
        }
        Msg::ReadinessFinished { at } => {
            app.readiness.results.finished(at);
            Vec::new()
        }
        Msg::CallRecord {
            row,
            call_id,
            at,
            result,
        } => {
            app.records.received((row, call_id), at, result);
            let now = app.clock.now;
            app.records
                .forget_stale(now, app.logs.detail_record.as_ref());
            Vec::new()
        }
        Msg::PollFailed { source, at, error } => {
            let health = app.health_mut(source);
            health.failing_since.get_or_insert(at);
            health.last_error = Some(error);
            Vec::new()
        }
        Msg::DetailDrawn { lines } => {
            app.logs.detail_lines = lines;
            Vec::new()
        }
        Msg::ActionPlanned { id, result } => action::on_action_planned(app, id, result),
        Msg::ActionDone { id, plan, result } => action::on_action_done(app, id, &plan, &result),
        Msg::ActionProgress { id, index, text } => {
            action::on_action_progress(app, id, index, text);
            Vec::new()
        }
        Msg::ActionFollowing { id } => {
            action::on_following(app, id);
            Vec::new()
        }
        Msg::TestBroadcastDone {
            id,
            outcome,
            summary,
        } => action::on_test_broadcast_done(app, id, &outcome, summary.as_ref()),
    }
}

fn on_data(app: &mut App, data: PollData) -> Vec<Effect> {
    let source = data.source();
    let was_failing = app.health(source).failing_since.is_some();
    *app.health_mut(source) = Health::default();
    match data {
        PollData::Live(live) => app.data.live = Some(Arc::new(live)),
        PollData::Logs(logs) => app.data.logs = Some(Arc::new(logs)),
        PollData::Progress(p) => app.data.progress = Some(Arc::new(p)),
        PollData::Alerts(a) => app.data.alerts = Some(Arc::new(a)),
    }
    let mut effects = Vec::new();
    if app.frozen.is_none() {
        if source == Source::Live {
            nav::forget_marks_of_finished_calls(app);
        }
        logs::refresh_detail(app);
        effects.extend(logs::fetch_record(app));
        app.follow_all();
    }
    // The database is back: refresh every panel now instead of waiting out backoffs.
    if source == Source::Live && was_failing {
        effects.push(Effect::PollNow);
    }
    effects
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return on_ctrl_c(app);
    }
    app.quit_armed = false;
    app.toast = None;
    if app.modal.is_some() {
        return action::on_modal_key(app, key);
    }
    if app.form.is_some() {
        return form::on_key(app, key);
    }
    if app.logs.filter.editing {
        return logs::on_filter_key(app, key);
    }
    let Some(action) = app.keymap.action_for(&key) else {
        return Vec::new();
    };
    if app.help_open {
        return on_help_action(app, action);
    }
    on_action(app, action)
}

/// `ctrl-c` quits, but asks first while a change is being written (Decision 12).
fn on_ctrl_c(app: &mut App) -> Vec<Effect> {
    let applying = app.modal.as_ref().is_some_and(ActionModal::applying);
    if applying && !app.quit_armed {
        app.quit_armed = true;
        let text = "a change is being written: press ctrl-c again to quit without its result";
        show_toast(app, ToastTone::Warning, text.to_string());
        return Vec::new();
    }
    quit(app)
}

fn quit(app: &mut App) -> Vec<Effect> {
    app.should_quit = true;
    vec![Effect::Quit]
}

fn on_help_action(app: &mut App, action: KeyAction) -> Vec<Effect> {
    match action {
        KeyAction::Quit => quit(app),
        KeyAction::Help | KeyAction::Back => {
            app.help_open = false;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn on_action(app: &mut App, action: KeyAction) -> Vec<Effect> {
    match action {
        KeyAction::Quit => return quit(app),
        KeyAction::Help => app.help_open = true,
        KeyAction::Refresh => return vec![Effect::PollNow],
        KeyAction::RerunReadiness => return rerun_readiness(app),
        KeyAction::Freeze => {
            toggle_freeze(app);
            return logs::fetch_record(app);
        }
        KeyAction::RevealNumbers => app.numbers_revealed = !app.numbers_revealed,
        KeyAction::ScreenOverview
        | KeyAction::ScreenReadiness
        | KeyAction::ScreenCalls
        | KeyAction::ScreenLogs => {
            let screen = Screen::TAB_ORDER.into_iter().find(|s| s.action() == action);
            return nav::switch_screen(app, screen.unwrap_or(app.screen));
        }
        KeyAction::NextScreen => return nav::switch_screen(app, app.screen.next()),
        KeyAction::MoveDown
        | KeyAction::MoveUp
        | KeyAction::MoveTop
        | KeyAction::MoveBottom
        | KeyAction::PageUp
        | KeyAction::PageDown => nav::move_selection(app, action),
        KeyAction::Mark => nav::toggle_mark(app),
        KeyAction::Filter if app.screen == Screen::Logs => logs::start_filter(app),
        KeyAction::Detail if app.screen == Screen::Logs => return logs::open_detail(app),
        KeyAction::Detail if app.screen == Screen::Readiness => nav::open_check_detail(app),
        KeyAction::Back => return logs::back(app),
        KeyAction::Filter | KeyAction::Detail => {}
        KeyAction::Pause => return action::start_overview_action(app, OperatorAction::Pause),
        KeyAction::Resume => return action::start_overview_action(app, OperatorAction::Resume),
        KeyAction::Cleanup => return action::start_cleanup(app),
        KeyAction::RefreshTokens => return action::start_token_refresh(app),
        KeyAction::RunFix => return action::start_fix(app),
        KeyAction::Acknowledge => return action::start_acknowledge(app),
        KeyAction::EmergencyStop => {
            return action::start_overview_action(app, OperatorAction::Stop);
        }
        KeyAction::TestBroadcast => return form::open(app),
    }
    Vec::new()
}

/// `R`: a run already in flight is not started twice.
pub(super) fn rerun_readiness(app: &App) -> Vec<Effect> {
    if app.readiness.results.running() {
        Vec::new()
    } else {
        vec![Effect::RerunReadiness]
    }
}

fn toggle_freeze(app: &mut App) {
    app.frozen = match app.frozen {
        Some(_) => None,
        None => Some(Frozen {
            data: app.data.clone(),
            now: app.clock.now,
        }),
    };
    // Unfreezing shows the newest data: marks and selections follow it.
    if app.frozen.is_none() {
        nav::forget_marks_of_finished_calls(app);
        logs::refresh_detail(app);
    }
    app.follow_all();
}
