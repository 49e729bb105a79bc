//! The application state (single owner), the messages that change it and the effects
//! it asks the runtime to carry out. `update` is pure: no clock, no I/O, no drawing.
//!
//! `msg` holds the messages, the effects and the dispatch; `nav` the cursors and the
//! screens; `logs` the filter and the Logs detail pane; `action` the operator actions'
//! modal and toasts.

mod action;
mod form;
mod logs;
mod msg;
mod nav;
mod state;

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::keys::KeyAction;

pub use logs::{FilterState, LogsScreen};
pub use msg::{Effect, Msg, PollData, update};
pub use nav::{CallsScreen, ListNav, OverviewFocus, OverviewScreen, ReadinessScreen};
pub use state::{App, Frozen};

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
