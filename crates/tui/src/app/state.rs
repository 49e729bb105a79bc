//! `App`: the whole state of the TUI, shared fields first, then one group per screen.

use std::time::Instant;

use launchdeck_core::domain::{Alert, CallLogEntry};
use launchdeck_core::readiness::Check;
use ratatui::layout::Rect;

use super::{CallsScreen, LogsScreen, OverviewScreen, ReadinessScreen};
use super::{Clock, Health, OverviewFocus, Screen, Source};
use crate::actions::{ActionModal, Toast};
use crate::form::TestForm;
use crate::keys::Keymap;
use crate::layout::{self, OverviewShape};
use crate::model::{Data, RowKey};
use crate::options::TuiOptions;
use crate::readiness::RowId;
use crate::records::CallRecords;
use crate::view::theme::{Symbols, Theme};

/// A copy of the data at the moment `f` was pressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    pub data: Data,
    pub now: Instant,
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
    /// Providers' records of Logs rows, fetched or in flight.
    pub records: CallRecords,
    pub overview: OverviewScreen,
    pub readiness: ReadinessScreen,
    pub calls: CallsScreen,
    pub logs: LogsScreen,
    pub help_open: bool,
    pub numbers_revealed: bool,
    pub should_quit: bool,
    /// The open confirmation modal of an action key (`p`, `P`, `c`, `t`, `F`, `a`, `X`).
    pub modal: Option<ActionModal>,
    /// The open test broadcast form (`b`), before its plan is asked for.
    pub form: Option<TestForm>,
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
            records: CallRecords::default(),
            overview: OverviewScreen::default(),
            readiness: ReadinessScreen::default(),
            calls: CallsScreen::default(),
            logs: LogsScreen::default(),
            help_open: false,
            numbers_revealed: false,
            should_quit: false,
            modal: None,
            form: None,
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

    pub(super) fn health_mut(&mut self, source: Source) -> &mut Health {
        &mut self.health[source.index()]
    }

    /// The log entries on screen, after the local filter.
    pub fn shown_logs(&self) -> Vec<&CallLogEntry> {
        self.shown()
            .logs
            .as_ref()
            .map(|l| l.matching(self.logs.filter.text()))
            .unwrap_or_default()
    }

    pub(super) fn call_keys(&self) -> Vec<RowKey> {
        self.shown()
            .live
            .as_ref()
            .map(|l| l.rows.iter().map(|r| r.key()).collect())
            .unwrap_or_default()
    }

    pub(super) fn log_keys(&self) -> Vec<RowKey> {
        self.shown_logs().iter().map(|e| (e.source, e.id)).collect()
    }

    pub(super) fn overview_keys(&self) -> Vec<uuid::Uuid> {
        self.shown()
            .progress
            .as_ref()
            .map(|p| p.items.iter().map(|i| i.id).collect())
            .unwrap_or_default()
    }

    pub(super) fn alert_keys(&self) -> Vec<uuid::Uuid> {
        self.shown()
            .alerts
            .as_ref()
            .map(|a| a.alerts.iter().map(|al| al.id).collect())
            .unwrap_or_default()
    }

    /// The check under the Readiness cursor.
    pub fn selected_check(&self) -> Option<&Check> {
        let results = &self.readiness.results;
        match results.row_ids().get(self.readiness.nav.selected) {
            Some(RowId::Check(id)) => results.find(id),
            _ => None,
        }
    }

    /// The alert under the cursor, when the cursor is in the Overview's alerts.
    pub fn selected_alert(&self) -> Option<&Alert> {
        if self.overview.focus != OverviewFocus::Alerts {
            return None;
        }
        let alerts = self.shown().alerts.as_ref()?;
        alerts.alerts.get(self.overview.alerts_nav.selected)
    }

    /// What the Overview's bands depend on besides the terminal size.
    pub fn overview_shape(&self) -> OverviewShape {
        OverviewShape {
            live_failing: self.health(Source::Live).last_error.is_some(),
            alerts: self.shown().alerts.as_ref().map_or(0, |a| a.alerts.len()),
            alerts_failing: self.health(Source::Alerts).last_error.is_some(),
            ascii: self.options.ascii,
        }
    }

    pub(super) fn overview_page(&self) -> usize {
        layout::overview_items_per_page(self.size, self.overview_shape())
    }

    pub(super) fn alerts_page(&self) -> usize {
        layout::ALERT_PAGE
    }

    pub(super) fn calls_page(&self) -> usize {
        layout::calls_page_rows(self.size)
    }

    pub(super) fn logs_page(&self) -> usize {
        layout::logs_page_rows(self.size)
    }

    pub(super) fn readiness_page(&self) -> usize {
        layout::readiness_page_rows(self.size)
    }
}
