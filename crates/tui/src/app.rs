//! The application state (single owner), the messages that change it and the effects
//! it asks the runtime to carry out. `update` is pure: no clock, no I/O.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent};
use launchdeck_core::domain::{CallLogEntry, CallProvider, LogFilter, ProviderCallRecord};
use launchdeck_core::readiness::Check;
use launchdeck_core::readiness::FixAction;
use launchdeck_ops::CallRecordError;
use launchdeck_ops::actions::acknowledge::AckRequest;
use launchdeck_ops::actions::cleanup::CleanupRequest;
use launchdeck_ops::actions::outbound_agent::AgentRequest;
use launchdeck_ops::actions::tokens::TokenRequest;
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, ActionRequest, OperatorAction};
use ratatui::layout::Rect;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::actions::{self, ActionModal, ModalStage, Toast, ToastTone};
use crate::keys::{KeyAction, Keymap, is_ctrl_c};
use crate::model::{AlertsData, Data, LiveData, LogsData, ProgressData, RowKey};
use crate::options::TuiOptions;
use crate::readiness::{AreaResult, Readiness, RowId};
use crate::records::{self, CallRecords, RecordKey};
use crate::view;
use crate::view::theme::{Symbols, Theme};

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Overview,
    Readiness,
    Calls,
    Logs,
}

impl Screen {
    pub const TAB_ORDER: [Screen; 4] = [
        Screen::Overview,
        Screen::Readiness,
        Screen::Calls,
        Screen::Logs,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Readiness => "Readiness",
            Screen::Calls => "Calls",
            Screen::Logs => "Logs",
        }
    }

    /// The action that switches to this screen (its number key by default).
    pub fn action(self) -> KeyAction {
        match self {
            Screen::Overview => KeyAction::ScreenOverview,
            Screen::Readiness => KeyAction::ScreenReadiness,
            Screen::Calls => KeyAction::ScreenCalls,
            Screen::Logs => KeyAction::ScreenLogs,
        }
    }

    pub fn next(self) -> Screen {
        let order = Screen::TAB_ORDER;
        let index = order.iter().position(|s| *s == self).unwrap_or(0);
        order[(index + 1) % order.len()]
    }
}

/// The Overview's two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverviewFocus {
    /// Broadcasts and campaigns (`p`, `P`).
    Items,
    /// Unacknowledged alerts (`a`).
    Alerts,
}

/// The two clocks the screens need: monotonic for ages, wall for displayed times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: Instant,
    pub wall: DateTime<Utc>,
}

impl Clock {
    pub fn now() -> Clock {
        Clock {
            now: Instant::now(),
            wall: Utc::now(),
        }
    }
}

/// The polled sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Database round trip and calls in flight.
    Live,
    Logs,
    Progress,
    Alerts,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Live, Source::Logs, Source::Progress, Source::Alerts];

    fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Live => "calls in flight",
            Source::Logs => "call log",
            Source::Progress => "progress",
            Source::Alerts => "alerts",
        }
    }
}

/// A failed poll, as the screens show it. The text never holds a secret (the store's
/// errors never carry the URL or a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollError {
    pub message: String,
    /// The database is down or busy; the poller backs off and keeps trying.
    pub transient: bool,
}

/// How a source is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Wall time of the first failure of the current run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<PollError>,
}

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
}

/// Work `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Wake every poller now.
    PollNow,
    /// The Logs filter changed: query the store with it.
    SetLogFilter(LogFilter),
    /// Run every readiness check now (`R`; never while a run is in flight).
    RerunReadiness,
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
    /// Apply a confirmed plan; answer with [`Msg::ActionDone`].
    ApplyAction {
        id: u64,
        plan: ActionPlan,
    },
}

/// A cursor in a list: the selected index, the first visible index and the key of the
/// selected row, so the selection follows its row when new data re-sorts the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListNav<K> {
    pub selected: usize,
    pub offset: usize,
    pub anchor: Option<K>,
}

impl<K> Default for ListNav<K> {
    fn default() -> Self {
        ListNav {
            selected: 0,
            offset: 0,
            anchor: None,
        }
    }
}

impl<K: PartialEq + Clone> ListNav<K> {
    fn select(&mut self, index: usize, keys: &[K], page: usize) {
        if keys.is_empty() {
            *self = ListNav {
                selected: 0,
                offset: 0,
                anchor: None,
            };
            return;
        }
        self.selected = index.min(keys.len() - 1);
        self.anchor = Some(keys[self.selected].clone());
        self.scroll_into_view(page, keys.len());
    }

    fn scroll_into_view(&mut self, page: usize, len: usize) {
        let page = page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// After new data: keep the selected row if it is still there, else the position.
    fn follow(&mut self, keys: &[K], page: usize) {
        let index = self
            .anchor
            .as_ref()
            .and_then(|a| keys.iter().position(|k| k == a))
            .unwrap_or(self.selected);
        self.select(index, keys, page);
    }

    fn apply(&mut self, action: KeyAction, keys: &[K], page: usize) {
        let last = keys.len().saturating_sub(1);
        let index = match action {
            KeyAction::MoveDown => self.selected.saturating_add(1),
            KeyAction::MoveUp => self.selected.saturating_sub(1),
            KeyAction::MoveTop => 0,
            KeyAction::MoveBottom => last,
            KeyAction::PageDown => self.selected.saturating_add(page.max(1)),
            KeyAction::PageUp => self.selected.saturating_sub(page.max(1)),
            _ => self.selected,
        };
        self.select(index.min(last), keys, page);
    }
}

/// A copy of the data at the moment `f` was pressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    pub data: Data,
    pub now: Instant,
}

/// The Logs filter: the input line and whether it has the keyboard.
#[derive(Debug, Clone, Default)]
pub struct FilterState {
    pub input: Input,
    pub editing: bool,
}

impl FilterState {
    pub fn text(&self) -> &str {
        self.input.value()
    }

    fn store_filter(&self) -> LogFilter {
        let text = self.text().trim();
        LogFilter {
            text: (!text.is_empty()).then(|| text.to_string()),
            ..LogFilter::default()
        }
    }
}

/// The whole state of the TUI.
#[derive(Debug, Clone)]
pub struct App {
    pub options: TuiOptions,
    pub keymap: Keymap,
    pub theme: Theme,
    pub symbols: Symbols,
    pub screen: Screen,
    pub clock: Clock,
    /// The terminal size.
    pub size: Rect,
    /// The newest data of every source (kept up to date while frozen).
    pub data: Data,
    pub frozen: Option<Frozen>,
    pub health: [Health; 4],
    pub overview_nav: ListNav<uuid::Uuid>,
    /// The selected unacknowledged alert on the Overview (for `a`).
    pub alerts_nav: ListNav<uuid::Uuid>,
    /// Which Overview list the cursor is in: `j` past the last broadcast/campaign
    /// moves into the alerts, `k` above the first alert moves back.
    pub overview_focus: OverviewFocus,
    pub calls_nav: ListNav<RowKey>,
    pub logs_nav: ListNav<RowKey>,
    /// Rows marked with `space` on the Calls screen.
    pub marks: HashSet<RowKey>,
    pub filter: FilterState,
    /// The call shown in the Logs detail pane.
    pub detail: Option<CallLogEntry>,
    /// Lines the Logs detail pane is scrolled down by.
    pub detail_scroll: u16,
    /// The provider record the open Logs detail asked for (asked once per opening).
    pub detail_record: Option<RecordKey>,
    /// Providers' records of Logs rows, fetched or in flight.
    pub records: CallRecords,
    /// The newest readiness results and the run in flight. Not frozen by `f`: they
    /// change once a run and the operator asks for them with `R`.
    pub readiness: Readiness,
    pub readiness_nav: ListNav<RowId>,
    /// The check shown in the Readiness detail pane.
    pub check_detail: Option<Check>,
    pub help_open: bool,
    pub numbers_revealed: bool,
    pub should_quit: bool,
    /// The open confirmation modal of an action key (`p`, `P`).
    pub modal: Option<ActionModal>,
    /// The line shown in the hint bar's place for a few seconds (action results).
    pub toast: Option<Toast>,
    /// The id of the last action request.
    pub last_action_id: u64,
    /// `ctrl-c` was pressed once while a change was being written.
    pub quit_armed: bool,
}

impl App {
    pub fn new(options: TuiOptions, keymap: Keymap, clock: Clock, size: Rect) -> App {
        App {
            theme: Theme::new(options.no_color),
            symbols: Symbols::new(options.ascii),
            options,
            keymap,
            screen: Screen::Overview,
            clock,
            size,
            data: Data::default(),
            frozen: None,
            health: Default::default(),
            overview_nav: ListNav::default(),
            alerts_nav: ListNav::default(),
            overview_focus: OverviewFocus::Items,
            calls_nav: ListNav::default(),
            logs_nav: ListNav::default(),
            marks: HashSet::new(),
            filter: FilterState::default(),
            detail: None,
            detail_scroll: 0,
            detail_record: None,
            records: CallRecords::default(),
            readiness: Readiness::default(),
            readiness_nav: ListNav::default(),
            check_detail: None,
            help_open: false,
            numbers_revealed: false,
            should_quit: false,
            modal: None,
            toast: None,
            last_action_id: 0,
            quit_armed: false,
        }
    }

    /// The data on screen: the frozen copy, or the newest.
    pub fn shown(&self) -> &Data {
        self.frozen.as_ref().map_or(&self.data, |f| &f.data)
    }

    /// The instant ages on screen are measured at (stands still while frozen).
    pub fn shown_now(&self) -> Instant {
        self.frozen.as_ref().map_or(self.clock.now, |f| f.now)
    }

    pub fn health(&self, source: Source) -> &Health {
        &self.health[source.index()]
    }

    /// The log entries on screen, after the local filter.
    pub fn shown_logs(&self) -> Vec<&CallLogEntry> {
        self.shown()
            .logs
            .as_ref()
            .map(|l| l.matching(self.filter.text()))
            .unwrap_or_default()
    }

    fn call_keys(&self) -> Vec<RowKey> {
        self.shown()
            .live
            .as_ref()
            .map(|l| l.rows.iter().map(|r| r.key()).collect())
            .unwrap_or_default()
    }

    fn log_keys(&self) -> Vec<RowKey> {
        self.shown_logs().iter().map(|e| (e.source, e.id)).collect()
    }

    fn overview_keys(&self) -> Vec<uuid::Uuid> {
        self.shown()
            .progress
            .as_ref()
            .map(|p| p.items.iter().map(|i| i.id).collect())
            .unwrap_or_default()
    }

    fn alert_keys(&self) -> Vec<uuid::Uuid> {
        self.shown()
            .alerts
            .as_ref()
            .map(|a| a.alerts.iter().map(|al| al.id).collect())
            .unwrap_or_default()
    }

    /// The check under the Readiness cursor.
    pub fn selected_check(&self) -> Option<&Check> {
        match self.readiness.row_ids().get(self.readiness_nav.selected) {
            Some(RowId::Check(id)) => self.readiness.find(id),
            _ => None,
        }
    }

    /// The alert under the cursor, when the cursor is in the Overview's alerts.
    pub fn selected_alert(&self) -> Option<&launchdeck_core::domain::Alert> {
        if self.overview_focus != OverviewFocus::Alerts {
            return None;
        }
        let alerts = self.shown().alerts.as_ref()?;
        alerts.alerts.get(self.alerts_nav.selected)
    }

    fn overview_page(&self) -> usize {
        view::overview::items_per_page(self)
    }

    /// Re-anchors every list to the data now on screen.
    fn follow_all(&mut self) {
        let (calls, logs, items) = (self.call_keys(), self.log_keys(), self.overview_keys());
        let calls_page = view::calls::page_rows(self.size);
        let logs_page = view::logs::page_rows(self.size);
        let overview_page = self.overview_page();
        self.calls_nav.follow(&calls, calls_page);
        self.logs_nav.follow(&logs, logs_page);
        self.overview_nav.follow(&items, overview_page);
        let alerts = self.alert_keys();
        self.alerts_nav.follow(&alerts, view::overview::ALERT_PAGE);
        if alerts.is_empty() {
            self.overview_focus = OverviewFocus::Items;
        }
        self.follow_readiness();
    }

    fn readiness_page(&self) -> usize {
        view::readiness::page_rows(self.size)
    }

    /// Keeps the selected check selected when results arrive; lands on a check row.
    fn follow_readiness(&mut self) {
        let keys = self.readiness.row_ids();
        let page = self.readiness_page();
        self.readiness_nav.follow(&keys, page);
        settle_on_check(&mut self.readiness_nav, &keys, page, true);
    }
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
            app.readiness.started(at);
            Vec::new()
        }
        Msg::ReadinessArea(result) => {
            app.readiness.received(result);
            refresh_check_detail(app);
            app.follow_readiness();
            Vec::new()
        }
        Msg::ReadinessFinished { at } => {
            app.readiness.finished(at);
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
            app.records.forget_stale(now, app.detail_record.as_ref());
            Vec::new()
        }
        Msg::PollFailed { source, at, error } => {
            let health = &mut app.health[source.index()];
            health.failing_since.get_or_insert(at);
            health.last_error = Some(error);
            Vec::new()
        }
        Msg::ActionPlanned { id, result } => on_action_planned(app, id, result),
        Msg::ActionDone { id, plan, result } => on_action_done(app, id, &plan, &result),
    }
}

fn on_data(app: &mut App, data: PollData) -> Vec<Effect> {
    let source = data.source();
    let was_failing = app.health(source).failing_since.is_some();
    app.health[source.index()] = Health::default();
    match data {
        PollData::Live(live) => app.data.live = Some(Arc::new(live)),
        PollData::Logs(logs) => app.data.logs = Some(Arc::new(logs)),
        PollData::Progress(p) => app.data.progress = Some(Arc::new(p)),
        PollData::Alerts(a) => app.data.alerts = Some(Arc::new(a)),
    }
    let mut effects = Vec::new();
    if app.frozen.is_none() {
        if source == Source::Live {
            forget_marks_of_finished_calls(app);
        }
        refresh_detail(app);
        effects.extend(fetch_record(app));
        app.follow_all();
    }
    // The database is back: refresh every panel now instead of waiting out backoffs.
    if source == Source::Live && was_failing {
        effects.push(Effect::PollNow);
    }
    effects
}

fn forget_marks_of_finished_calls(app: &mut App) {
    if app.marks.is_empty() {
        return;
    }
    let present: HashSet<RowKey> = app.call_keys().into_iter().collect();
    app.marks.retain(|k| present.contains(k));
}

/// Keeps the open detail pane showing the newest version of its call.
fn refresh_detail(app: &mut App) {
    let Some(open) = &app.detail else { return };
    let key = (open.source, open.id);
    let newer = app
        .shown()
        .logs
        .as_ref()
        .and_then(|l| l.entries.iter().find(|e| (e.source, e.id) == key).cloned());
    if let Some(entry) = newer {
        app.detail = Some(entry);
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        return on_ctrl_c(app);
    }
    app.quit_armed = false;
    app.toast = None;
    if app.modal.is_some() {
        return on_modal_key(app, key);
    }
    if app.filter.editing {
        return on_filter_key(app, key);
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

/// Keys while the filter line has the keyboard: `enter` keeps the filter, `esc` clears
/// it; everything else edits the text.
fn on_filter_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Enter => {
            app.filter.editing = false;
            Vec::new()
        }
        KeyCode::Esc => {
            app.filter.editing = false;
            clear_filter(app)
        }
        _ => match app.filter.input.handle_event(&Event::Key(key)) {
            Some(change) if change.value => filter_changed(app),
            _ => Vec::new(),
        },
    }
}

fn filter_changed(app: &mut App) -> Vec<Effect> {
    let keys = app.log_keys();
    app.logs_nav
        .select(0, &keys, view::logs::page_rows(app.size));
    vec![Effect::SetLogFilter(app.filter.store_filter())]
}

fn clear_filter(app: &mut App) -> Vec<Effect> {
    if app.filter.text().is_empty() {
        return Vec::new();
    }
    app.filter.input.reset();
    filter_changed(app)
}

fn on_action(app: &mut App, action: KeyAction) -> Vec<Effect> {
    match action {
        KeyAction::Quit => return quit(app),
        KeyAction::Help => app.help_open = true,
        KeyAction::Refresh => return vec![Effect::PollNow],
        KeyAction::RerunReadiness => return rerun_readiness(app),
        KeyAction::Freeze => {
            toggle_freeze(app);
            return fetch_record(app);
        }
        KeyAction::RevealNumbers => app.numbers_revealed = !app.numbers_revealed,
        KeyAction::ScreenOverview
        | KeyAction::ScreenReadiness
        | KeyAction::ScreenCalls
        | KeyAction::ScreenLogs => {
            let screen = Screen::TAB_ORDER.into_iter().find(|s| s.action() == action);
            switch_screen(app, screen.unwrap_or(app.screen));
        }
        KeyAction::NextScreen => switch_screen(app, app.screen.next()),
        KeyAction::MoveDown
        | KeyAction::MoveUp
        | KeyAction::MoveTop
        | KeyAction::MoveBottom
        | KeyAction::PageUp
        | KeyAction::PageDown => move_selection(app, action),
        KeyAction::Mark => toggle_mark(app),
        KeyAction::Filter if app.screen == Screen::Logs => {
            close_detail(app);
            app.filter.editing = true;
        }
        KeyAction::Detail if app.screen == Screen::Logs => return open_detail(app),
        KeyAction::Detail if app.screen == Screen::Readiness => open_check_detail(app),
        KeyAction::Back => return back(app),
        KeyAction::Filter | KeyAction::Detail => {}
        KeyAction::Pause => return start_overview_action(app, OperatorAction::Pause),
        KeyAction::Resume => return start_overview_action(app, OperatorAction::Resume),
        KeyAction::Cleanup => return start_cleanup(app),
        KeyAction::RefreshTokens => return start_token_refresh(app),
        KeyAction::RunFix => return start_fix(app),
        KeyAction::Acknowledge => return start_acknowledge(app),
        // Not offered yet: these have no key (`keys::HelpGroup::of`).
        KeyAction::TestBroadcast | KeyAction::EmergencyStop => {}
    }
    Vec::new()
}

fn switch_screen(app: &mut App, screen: Screen) {
    app.screen = screen;
    close_detail(app);
    app.check_detail = None;
}

/// `R`: a run already in flight is not started twice.
fn rerun_readiness(app: &App) -> Vec<Effect> {
    if app.readiness.running() {
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
        forget_marks_of_finished_calls(app);
        refresh_detail(app);
    }
    app.follow_all();
}

fn move_selection(app: &mut App, action: KeyAction) {
    match app.screen {
        Screen::Overview => move_on_overview(app, action),
        Screen::Calls => {
            let keys = app.call_keys();
            app.calls_nav
                .apply(action, &keys, view::calls::page_rows(app.size));
        }
        Screen::Logs if app.detail.is_none() => {
            let keys = app.log_keys();
            app.logs_nav
                .apply(action, &keys, view::logs::page_rows(app.size));
        }
        Screen::Logs => scroll_detail(app, action),
        Screen::Readiness if app.check_detail.is_none() => {
            let keys = app.readiness.row_ids();
            let page = app.readiness_page();
            app.readiness_nav.apply(action, &keys, page);
            let forward = matches!(
                action,
                KeyAction::MoveDown | KeyAction::PageDown | KeyAction::MoveBottom
            );
            settle_on_check(&mut app.readiness_nav, &keys, page, forward);
        }
        Screen::Readiness => {}
    }
}

/// Moves the Overview's cursor: through the broadcasts and campaigns, then on into
/// the alerts (and back up).
fn move_on_overview(app: &mut App, action: KeyAction) {
    let (items, alerts) = (app.overview_keys(), app.alert_keys());
    let page = app.overview_page();
    let alerts_page = view::overview::ALERT_PAGE;
    let last_item = app.overview_nav.selected + 1 >= items.len();
    let first_alert = app.alerts_nav.selected == 0;
    match (app.overview_focus, action) {
        (_, KeyAction::MoveTop) => {
            app.overview_focus = OverviewFocus::Items;
            app.overview_nav.apply(action, &items, page);
        }
        (_, KeyAction::MoveBottom) if !alerts.is_empty() => {
            app.overview_focus = OverviewFocus::Alerts;
            app.alerts_nav.apply(action, &alerts, alerts_page);
        }
        (OverviewFocus::Items, KeyAction::MoveDown) if last_item && !alerts.is_empty() => {
            app.overview_focus = OverviewFocus::Alerts;
            app.alerts_nav.select(0, &alerts, alerts_page);
        }
        (OverviewFocus::Alerts, KeyAction::MoveUp) if first_alert && !items.is_empty() => {
            app.overview_focus = OverviewFocus::Items;
        }
        (OverviewFocus::Items, _) => app.overview_nav.apply(action, &items, page),
        (OverviewFocus::Alerts, _) => app.alerts_nav.apply(action, &alerts, alerts_page),
    }
}

/// Moves the selection off an area header onto the nearest check, searching in the
/// direction of travel first, and keeps that area's header in view when it fits.
fn settle_on_check(nav: &mut ListNav<RowId>, keys: &[RowId], page: usize, forward: bool) {
    let is_check = |i: usize| keys.get(i).is_some_and(RowId::is_check);
    if !is_check(nav.selected) {
        let after = (nav.selected..keys.len()).find(|&i| is_check(i));
        let before = (0..nav.selected.min(keys.len()))
            .rev()
            .find(|&i| is_check(i));
        let target = if forward {
            after.or(before)
        } else {
            before.or(after)
        };
        match target {
            Some(index) => nav.select(index, keys, page),
            None => return,
        }
    }
    let header_above = nav.selected.checked_sub(1).is_some_and(|i| !is_check(i));
    if header_above && nav.offset == nav.selected && page > 1 {
        nav.offset -= 1;
    }
}

fn toggle_mark(app: &mut App) {
    if app.screen != Screen::Calls {
        return;
    }
    let Some(key) = app.call_keys().get(app.calls_nav.selected).copied() else {
        return;
    };
    if !app.marks.remove(&key) {
        app.marks.insert(key);
    }
}

fn open_check_detail(app: &mut App) {
    app.check_detail = app.selected_check().cloned();
}

/// Keeps the open check detail showing the newest result of its check.
fn refresh_check_detail(app: &mut App) {
    let Some(open) = &app.check_detail else {
        return;
    };
    if let Some(newer) = app.readiness.find(&open.id) {
        app.check_detail = Some(newer.clone());
    }
}

fn open_detail(app: &mut App) -> Vec<Effect> {
    close_detail(app);
    app.detail = app
        .shown_logs()
        .get(app.logs_nav.selected)
        .map(|e| (*e).clone());
    fetch_record(app)
}

fn close_detail(app: &mut App) {
    app.detail = None;
    app.detail_scroll = 0;
    app.detail_record = None;
}

/// Asks the provider for the open row's record, once per opening of the pane (and once
/// more if the row gains another call id while open); a fetch in flight or a result
/// younger than [`records::REUSE_FOR`] is shown instead of asking again. Rows of
/// providers launchdeck does not call (Telnyx) ask nothing.
fn fetch_record(app: &mut App) -> Vec<Effect> {
    let Some((key, provider)) = app.detail.as_ref().and_then(records::target) else {
        return Vec::new();
    };
    if app.detail_record.as_ref() == Some(&key) {
        return Vec::new();
    }
    app.detail_record = Some(key.clone());
    let now = app.clock.now;
    if provider.why_not_fetched().is_some() || !app.records.needs_fetch(&key, now) {
        return Vec::new();
    }
    app.records.fetching(key.clone(), now);
    app.records.forget_stale(now, Some(&key));
    let (row, call_id) = key;
    vec![Effect::FetchCallRecord {
        row,
        provider,
        call_id,
    }]
}

/// Moving keys scroll the open Logs detail when it is longer than the pane.
fn scroll_detail(app: &mut App, action: KeyAction) {
    let limit = view::logs::detail_scroll_limit(app);
    let page = view::logs::detail_visible_rows(app).max(1);
    let scroll = app.detail_scroll.min(limit);
    app.detail_scroll = match action {
        KeyAction::MoveDown => scroll.saturating_add(1),
        KeyAction::MoveUp => scroll.saturating_sub(1),
        KeyAction::PageDown => scroll.saturating_add(page),
        KeyAction::PageUp => scroll.saturating_sub(page),
        KeyAction::MoveTop => 0,
        KeyAction::MoveBottom => limit,
        _ => scroll,
    }
    .min(limit);
}

/// `esc`: close the innermost thing that is open.
fn back(app: &mut App) -> Vec<Effect> {
    if app.detail.is_some() || app.check_detail.is_some() {
        close_detail(app);
        app.check_detail = None;
        return Vec::new();
    }
    if app.screen == Screen::Logs {
        return clear_filter(app);
    }
    Vec::new()
}

fn show_toast(app: &mut App, tone: ToastTone, text: String) {
    app.toast = Some(Toast {
        tone,
        text,
        since: app.clock.now,
    });
}

/// `p` / `P` on the Overview: asks for the plan of the selected broadcast/campaign and
/// opens the modal; says why not when it cannot run.
fn start_overview_action(app: &mut App, action: OperatorAction) -> Vec<Effect> {
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
        _ => ActionRequest::Pause(target),
    };
    start_action(app, request, actions::subject_of(&item))
}

/// Opens the modal for `request` and asks for its plan.
fn start_action(app: &mut App, request: ActionRequest, subject: String) -> Vec<Effect> {
    app.last_action_id += 1;
    let id = app.last_action_id;
    app.modal = Some(ActionModal {
        id,
        action: request.action(),
        subject,
        stage: ModalStage::Reading,
        since: app.clock.now,
    });
    vec![Effect::PlanAction { id, request }]
}

/// `c`: the rows marked on the Calls screen, or every stuck call.
fn start_cleanup(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, OperatorAction::Cleanup.name()) {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let mut marked: Vec<RowKey> = match app.screen {
        Screen::Calls => app.marks.iter().copied().collect(),
        _ => Vec::new(),
    };
    marked.sort();
    let (rows, subject) = match marked.len() {
        0 => (None, "the stuck calls".to_string()),
        n => (Some(marked), format!("{n} marked calls")),
    };
    let request = CleanupRequest {
        rows,
        older_than: None,
        hang_up: false,
    };
    start_action(app, ActionRequest::Cleanup(request), subject)
}

/// `t`: the calendar tokens that expire within the refresh margin.
fn start_token_refresh(app: &mut App) -> Vec<Effect> {
    if let Some((tone, why)) = actions_unavailable(app, OperatorAction::RefreshTokens.name()) {
        show_toast(app, tone, why);
        return Vec::new();
    }
    let request = ActionRequest::RefreshTokens(TokenRequest { all: false });
    start_action(app, request, "the calendar tokens".to_string())
}

/// `F` on the Readiness screen: the fix the selected check offers.
fn start_fix(app: &mut App) -> Vec<Effect> {
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
    };
    start_action(app, request, subject)
}

/// `a` on the Overview: the selected unacknowledged alert.
fn start_acknowledge(app: &mut App) -> Vec<Effect> {
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
fn overview_subject(
    app: &App,
    action: OperatorAction,
) -> Result<crate::model::ProgressItem, (ToastTone, String)> {
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
    if app.overview_focus == OverviewFocus::Alerts {
        return Err((
            ToastTone::Info,
            format!("{name} acts on a broadcast or campaign: move up to select one"),
        ));
    }
    match items.and_then(|items| items.get(app.overview_nav.selected)) {
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
fn on_modal_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = app.modal.as_mut() else {
        return Vec::new();
    };
    let back = key.code == KeyCode::Esc || app.keymap.action_for(&key) == Some(KeyAction::Back);
    let (yes, no) = (
        key.code == KeyCode::Char('y'),
        key.code == KeyCode::Char('n'),
    );
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

/// `h` in a cleanup's modal: hang up the calls still live at the provider, or not
/// (a separate, explicit choice). False when the plan has no live call to hang up.
fn toggle_hang_up(modal: &mut ActionModal) -> bool {
    let (ModalStage::Confirm(ActionPlan::Cleanup(plan))
    | ModalStage::Nothing(ActionPlan::Cleanup(plan))) = &mut modal.stage
    else {
        return false;
    };
    if plan.live_calls().next().is_none() {
        return false;
    }
    plan.hang_up = !plan.hang_up;
    let plan = ActionPlan::Cleanup(plan.clone());
    modal.stage = if plan.will_change() {
        ModalStage::Confirm(plan)
    } else {
        ModalStage::Nothing(plan)
    };
    true
}

fn on_action_planned(app: &mut App, id: u64, result: Result<ActionPlan, String>) -> Vec<Effect> {
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
fn on_action_done(
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
        OperatorAction::FixOutboundAgent | OperatorAction::RefreshTokens
    );
    if fixes_readiness && result.is_ok() {
        effects.extend(rerun_readiness(app));
    }
    effects
}
