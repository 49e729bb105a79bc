//! launchdeck-tui: the live console. Overview, Readiness, Calls and Logs screens over a
//! `Store` and a readiness `Gatherer`, polled in the background; keys become actions;
//! frames are drawn only on change.
//!
//! Data flows one way: pollers (`poll`) send messages, `app::update` changes the single
//! `App` state and returns effects, `view::render` draws it, `runtime::run` wires the
//! terminal, the pollers and the loop together. Opening a Logs row's detail returns
//! `Effect::FetchCallRecord`; the runtime asks the provider (`tasks::RecordFetcher`) and
//! the answer comes back as `Msg::CallRecord` (`records` keeps it). The action keys
//! (`p`, `P`, `c`, `t`, `F`, `a`, `X`) go the same way: `Effect::PlanAction` →
//! `Msg::ActionPlanned` opens the confirmation modal, `y` → `Effect::ApplyAction` →
//! `Msg::ActionDone` shows the result toast (`actions`). `b` first opens a form (`form`);
//! its test calls report `Msg::ActionProgress` until `Msg::TestBroadcastDone`.

pub mod actions;
pub mod app;
pub mod form;
pub mod keys;
pub mod layout;
pub mod model;
pub mod options;
pub mod poll;
pub mod readiness;
pub mod records;
pub mod runtime;
pub mod tasks;
pub mod view;

pub use actions::{ActionModal, ModalStage, Toast, ToastTone};
pub use app::{App, Clock, Effect, Msg, PollData, PollError, Screen, Source, update};
pub use keys::{KeyAction, KeySpec, Keymap};
pub use options::{PollIntervals, TuiOptions};
pub use readiness::AreaResult;
pub use records::{CallRecords, RecordState};
pub use runtime::{Stores, run};

/// Why the TUI could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal refused raw mode, the alternate screen or a write.
    #[error(
        "terminal error: {0} (launchdeck needs an interactive terminal; use a headless command such as `launchdeck calls` otherwise)"
    )]
    Terminal(#[source] std::io::Error),
    #[error("could not listen for SIGTERM/SIGHUP/SIGINT: {0}")]
    Signals(#[source] std::io::Error),
    /// Two actions share a key in `[keys]`.
    #[error(
        "key {key:?} is bound to both {first} and {second}; give one of them another key in [keys]"
    )]
    KeyConflict {
        key: String,
        first: &'static str,
        second: &'static str,
    },
}
