//! The Logs screen: the filter line, the detail pane and the provider record it asks for.

use crossterm::event::{Event, KeyCode, KeyEvent};
use launchdeck_core::domain::{CallLogEntry, LogFilter};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

#[cfg(doc)]
use super::Msg;
use super::{App, Effect, ListNav, Screen};
use crate::keys::KeyAction;
use crate::layout;
use crate::model::RowKey;
use crate::records::{self, RecordKey};

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

/// The Logs screen's cursor, filter and detail pane.
#[derive(Debug, Clone, Default)]
pub struct LogsScreen {
    pub nav: ListNav<RowKey>,
    pub filter: FilterState,
    /// The call shown in the detail pane.
    pub detail: Option<CallLogEntry>,
    /// Lines the detail pane is scrolled down by.
    pub detail_scroll: u16,
    /// The provider record the open detail asked for (asked once per opening).
    pub detail_record: Option<RecordKey>,
    /// The open detail's line count as the last frame drew it ([`Msg::DetailDrawn`]);
    /// 0 until then. Scrolling is limited by it, so `update` never lays out the text.
    pub detail_lines: usize,
}

/// Keys while the filter line has the keyboard: `enter` keeps the filter, `esc` clears
/// it; everything else edits the text.
pub(super) fn on_filter_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Enter => {
            app.logs.filter.editing = false;
            Vec::new()
        }
        KeyCode::Esc => {
            app.logs.filter.editing = false;
            clear_filter(app)
        }
        _ => match app.logs.filter.input.handle_event(&Event::Key(key)) {
            Some(change) if change.value => filter_changed(app),
            _ => Vec::new(),
        },
    }
}

pub(super) fn start_filter(app: &mut App) {
    close_detail(app);
    app.logs.filter.editing = true;
}

fn filter_changed(app: &mut App) -> Vec<Effect> {
    let keys = app.log_keys();
    let page = app.logs_page();
    app.logs.nav.select(0, &keys, page);
    vec![Effect::SetLogFilter(app.logs.filter.store_filter())]
}

fn clear_filter(app: &mut App) -> Vec<Effect> {
    if app.logs.filter.text().is_empty() {
        return Vec::new();
    }
    app.logs.filter.input.reset();
    filter_changed(app)
}

pub(super) fn open_detail(app: &mut App) -> Vec<Effect> {
    close_detail(app);
    app.logs.detail = app
        .shown_logs()
        .get(app.logs.nav.selected)
        .map(|e| (*e).clone());
    fetch_record(app)
}

pub(super) fn close_detail(app: &mut App) {
    app.logs.detail = None;
    app.logs.detail_scroll = 0;
    app.logs.detail_record = None;
    app.logs.detail_lines = 0;
}

/// Keeps the open detail pane showing the newest version of its call.
pub(super) fn refresh_detail(app: &mut App) {
    let Some(open) = &app.logs.detail else { return };
    let key = (open.source, open.id);
    let newer = app
        .shown()
        .logs
        .as_ref()
        .and_then(|l| l.entries.iter().find(|e| (e.source, e.id) == key).cloned());
    if let Some(entry) = newer {
        app.logs.detail = Some(entry);
    }
}

/// Asks the provider for the open row's record, once per opening of the pane (and once
/// more if the row gains another call id while open); a fetch in flight or a result
/// younger than [`records::REUSE_FOR`] is shown instead of asking again. Rows of
/// providers launchdeck does not call (Telnyx) ask nothing.
pub(super) fn fetch_record(app: &mut App) -> Vec<Effect> {
    let Some((key, provider)) = app.logs.detail.as_ref().and_then(records::target) else {
        return Vec::new();
    };
    if app.logs.detail_record.as_ref() == Some(&key) {
        return Vec::new();
    }
    app.logs.detail_record = Some(key.clone());
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

/// Moving keys scroll the open detail when it is longer than the pane.
pub(super) fn scroll_detail(app: &mut App, action: KeyAction) {
    let body = layout::frame_areas(app.size).body;
    let lines = app.logs.detail_lines;
    let limit = layout::pane_scroll_limit(body, lines);
    let page = layout::pane_visible_rows(body, lines).max(1);
    let scroll = app.logs.detail_scroll.min(limit);
    app.logs.detail_scroll = match action {
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
pub(super) fn back(app: &mut App) -> Vec<Effect> {
    if app.logs.detail.is_some() || app.readiness.check_detail.is_some() {
        close_detail(app);
        app.readiness.check_detail = None;
        return Vec::new();
    }
    if app.screen == Screen::Logs {
        return clear_filter(app);
    }
    Vec::new()
}
