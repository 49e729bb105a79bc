//! Cursors and screens: the list cursor, switching screens, moving the selection (the
//! Overview's items then alerts, Readiness skipping its area headers), Calls marks.

use std::collections::HashSet;

use launchdeck_core::readiness::Check;

use super::{App, Effect, Screen, logs};
use crate::keys::KeyAction;
use crate::model::RowKey;
use crate::readiness::{Readiness, RowId};

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
    pub(super) fn select(&mut self, index: usize, keys: &[K], page: usize) {
        if keys.is_empty() {
            *self = ListNav::default();
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

/// The Overview's two lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverviewFocus {
    /// Broadcasts and campaigns (`p`, `P`).
    #[default]
    Items,
    /// Unacknowledged alerts (`a`).
    Alerts,
}

/// The Overview's cursors.
#[derive(Debug, Clone, Default)]
pub struct OverviewScreen {
    /// The selected broadcast or campaign (for `p`, `P`).
    pub nav: ListNav<uuid::Uuid>,
    /// The selected unacknowledged alert (for `a`).
    pub alerts_nav: ListNav<uuid::Uuid>,
    /// Which list the cursor is in: `j` past the last broadcast/campaign moves into
    /// the alerts, `k` above the first alert moves back.
    pub focus: OverviewFocus,
}

/// The Readiness results and the screen's cursor and detail.
#[derive(Debug, Clone, Default)]
pub struct ReadinessScreen {
    /// The newest readiness results and the run in flight. Not frozen by `f`: they
    /// change once a run and the operator asks for them with `R`.
    pub results: Readiness,
    pub nav: ListNav<RowId>,
    /// The check shown in the detail pane.
    pub check_detail: Option<Check>,
}

/// The Calls screen's cursor and marks.
#[derive(Debug, Clone, Default)]
pub struct CallsScreen {
    pub nav: ListNav<RowKey>,
    /// Rows marked with `space` (the rows `c` cleans up).
    pub marks: HashSet<RowKey>,
}

impl App {
    /// Re-anchors every list to the data now on screen.
    pub(super) fn follow_all(&mut self) {
        let (calls, logs, items) = (self.call_keys(), self.log_keys(), self.overview_keys());
        let (calls_page, logs_page) = (self.calls_page(), self.logs_page());
        let overview_page = self.overview_page();
        self.calls.nav.follow(&calls, calls_page);
        self.logs.nav.follow(&logs, logs_page);
        self.overview.nav.follow(&items, overview_page);
        let alerts = self.alert_keys();
        let alerts_page = self.alerts_page();
        self.overview.alerts_nav.follow(&alerts, alerts_page);
        if alerts.is_empty() {
            self.overview.focus = OverviewFocus::Items;
        }
        self.follow_readiness();
    }

    /// Keeps the selected check selected when results arrive; lands on a check row.
    pub(super) fn follow_readiness(&mut self) {
        let keys = self.readiness.results.row_ids();
        let page = self.readiness_page();
        self.readiness.nav.follow(&keys, page);
        settle_on_check(&mut self.readiness.nav, &keys, page, true);
    }
}

pub(super) fn switch_screen(app: &mut App, screen: Screen) -> Vec<Effect> {
    let changed = app.screen != screen;
    app.screen = screen;
    logs::close_detail(app);
    app.readiness.check_detail = None;
    if changed {
        vec![Effect::ScreenShown(screen)]
    } else {
        Vec::new()
    }
}

pub(super) fn move_selection(app: &mut App, action: KeyAction) {
    match app.screen {
        Screen::Overview => move_on_overview(app, action),
        Screen::Calls => {
            let keys = app.call_keys();
            let page = app.calls_page();
            app.calls.nav.apply(action, &keys, page);
        }
        Screen::Logs if app.logs.detail.is_none() => {
            let keys = app.log_keys();
            let page = app.logs_page();
            app.logs.nav.apply(action, &keys, page);
        }
        Screen::Logs => logs::scroll_detail(app, action),
        Screen::Readiness if app.readiness.check_detail.is_none() => {
            move_on_readiness(app, action);
        }
        Screen::Readiness => {}
    }
}

fn move_on_readiness(app: &mut App, action: KeyAction) {
    let keys = app.readiness.results.row_ids();
    let page = app.readiness_page();
    app.readiness.nav.apply(action, &keys, page);
    let forward = matches!(
        action,
        KeyAction::MoveDown | KeyAction::PageDown | KeyAction::MoveBottom
    );
    settle_on_check(&mut app.readiness.nav, &keys, page, forward);
}

/// Moves the Overview's cursor: through the broadcasts and campaigns, then on into
/// the alerts (and back up).
fn move_on_overview(app: &mut App, action: KeyAction) {
    let (items, alerts) = (app.overview_keys(), app.alert_keys());
    let (page, alerts_page) = (app.overview_page(), app.alerts_page());
    let overview = &mut app.overview;
    let last_item = overview.nav.selected + 1 >= items.len();
    let first_alert = overview.alerts_nav.selected == 0;
    match (overview.focus, action) {
        (_, KeyAction::MoveTop) => {
            overview.focus = OverviewFocus::Items;
            overview.nav.apply(action, &items, page);
        }
        (_, KeyAction::MoveBottom) if !alerts.is_empty() => {
            overview.focus = OverviewFocus::Alerts;
            overview.alerts_nav.apply(action, &alerts, alerts_page);
        }
        (OverviewFocus::Items, KeyAction::MoveDown) if last_item && !alerts.is_empty() => {
            overview.focus = OverviewFocus::Alerts;
            overview.alerts_nav.select(0, &alerts, alerts_page);
        }
        (OverviewFocus::Alerts, KeyAction::MoveUp) if first_alert && !items.is_empty() => {
            overview.focus = OverviewFocus::Items;
        }
        (OverviewFocus::Items, _) => overview.nav.apply(action, &items, page),
        (OverviewFocus::Alerts, _) => overview.alerts_nav.apply(action, &alerts, alerts_page),
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

pub(super) fn toggle_mark(app: &mut App) {
    if app.screen != Screen::Calls {
        return;
    }
    let Some(key) = app.call_keys().get(app.calls.nav.selected).copied() else {
        return;
    };
    if !app.calls.marks.remove(&key) {
        app.calls.marks.insert(key);
    }
}

pub(super) fn forget_marks_of_finished_calls(app: &mut App) {
    if app.calls.marks.is_empty() {
        return;
    }
    let present: HashSet<RowKey> = app.call_keys().into_iter().collect();
    app.calls.marks.retain(|k| present.contains(k));
}

pub(super) fn open_check_detail(app: &mut App) {
    app.readiness.check_detail = app.selected_check().cloned();
}

/// Keeps the open check detail showing the newest result of its check.
pub(super) fn refresh_check_detail(app: &mut App) {
    let Some(open) = &app.readiness.check_detail else {
        return;
    };
    if let Some(newer) = app.readiness.results.find(&open.id) {
        app.readiness.check_detail = Some(newer.clone());
    }
}
