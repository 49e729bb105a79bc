//! The event loop: terminal setup and restore, keys, poll results, the clock, signals;
//! draws only when something changed.

use std::future::Future;
use std::io::{self, BufWriter, Stdout, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use futures::{Stream, StreamExt};
use launchdeck_ops::Gatherer;
use launchdeck_store::Store;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant as TokioInstant, MissedTickBehavior};

use crate::TuiError;
use crate::app::{App, Clock, Effect, Msg, Screen, update};
use crate::keys::Keymap;
use crate::options::TuiOptions;
use crate::poll::{Pollers, ReadinessPoller};
use crate::readiness::SPINNER_FRAME;
use crate::tasks::{ActionRunner, RecordFetcher};
use crate::view;

type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// A resize is drawn once the terminal has stopped changing size for this long.
const RESIZE_SETTLE: Duration = Duration::from_millis(50);
/// Clock and ages move on once a second.
const TICK: Duration = Duration::from_secs(1);
/// How long quitting waits for a change being applied: its database work is bounded by
/// the store's timeouts (a write, a lost COMMIT's resolution, the audit) well within it.
const APPLY_GRACE: Duration = Duration::from_secs(30);

/// Runs the TUI until `q`, `ctrl-c`, SIGTERM, SIGHUP or SIGINT. The terminal is restored on
/// every way out, panics included. `gatherer` answers the readiness checks.
pub async fn run(stores: Stores, gatherer: Gatherer, options: TuiOptions) -> Result<(), TuiError> {
    let keymap = Keymap::with_overrides(&options.key_overrides)?;
    let shutdown = shutdown_signals()?;
    let mut terminal = TerminalGuard::enter()?;
    let size = terminal.size()?;
    let mut app = App::new(options.clone(), keymap, Clock::now(), size);
    let (services, rx) = Services::spawn(stores, gatherer, &options);
    let draw = |app: &App| terminal.draw(app);
    panic_on_request_for_tests();
    let result = drive(&mut app, EventStream::new(), &services, rx, draw, shutdown).await;
    drop(terminal);
    services.actions.finish(APPLY_GRACE).await;
    drop(services);
    result
}

/// Completes on SIGTERM, SIGHUP (the ssh session lost) or SIGINT (`kill -INT`; in raw
/// mode ctrl-c is a key, not a signal). Left to their default, each would end the
/// process with the terminal still in raw mode.
fn shutdown_signals() -> Result<impl Future<Output = ()>, TuiError> {
    let mut sigterm = signal(SignalKind::terminate()).map_err(TuiError::Signals)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(TuiError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(TuiError::Signals)?;
    Ok(async move {
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = sighup.recv() => {}
            _ = sigint.recv() => {}
        }
    })
}

/// The database the console reads and the one it plans and writes on: the same store,
/// or a read replica behind `launchdeck_store::replica::ReadRouter` for the reads.
#[derive(Clone)]
pub struct Stores {
    /// Every action's plan and write.
    pub primary: Arc<dyn Store>,
    /// The pollers (and the readiness gatherer the caller built on the same store).
    pub reads: Arc<dyn Store>,
}

impl Stores {
    /// One database for everything.
    pub fn one(store: Arc<dyn Store>) -> Stores {
        Stores {
            reads: store.clone(),
            primary: store,
        }
    }
}

/// The background work the loop talks to. Dropping it stops every poller and cancels
/// a readiness run in flight.
pub struct Services {
    pub pollers: Pollers,
    pub readiness: ReadinessPoller,
    pub records: RecordFetcher,
    pub actions: ActionRunner,
}

impl Services {
    /// Starts the store pollers and the readiness poller, and readies the provider
    /// record fetcher; every result arrives on the returned receiver.
    pub fn spawn(
        stores: Stores,
        gatherer: Gatherer,
        options: &TuiOptions,
    ) -> (Services, mpsc::Receiver<Msg>) {
        let (tx, rx) = mpsc::channel(64);
        let records = RecordFetcher::new(gatherer.clone(), tx.clone());
        let actions = ActionRunner::new(stores.primary, gatherer.clone(), options, tx.clone());
        let readiness = ReadinessPoller::spawn(gatherer, options.poll.readiness, tx.clone());
        let pollers = Pollers::spawn(stores.reads, options, tx);
        let services = Services {
            pollers,
            readiness,
            records,
            actions,
        };
        (services, rx)
    }

    /// Carries out one effect; true when the TUI must stop.
    fn apply(&self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return true,
            Effect::PollNow => self.pollers.poll_now(),
            Effect::SetLogFilter(filter) => self.pollers.set_log_filter(filter),
            Effect::ScreenShown(screen) => self.pollers.show_logs(screen == Screen::Logs),
            Effect::RerunReadiness => {
                self.readiness.run_now();
            }
            Effect::RecheckAfterChange => self.readiness.run_after_change(),
            Effect::FetchCallRecord {
                row,
                provider,
                call_id,
            } => self.records.fetch(row, provider, call_id),
            Effect::PlanAction { id, request } => self.actions.plan(id, request),
            Effect::ApplyAction { id, plan } => self.actions.apply(id, plan),
            Effect::StopFollowing { id } => self.actions.stop_following(id),
        }
        false
    }
}

/// The loop: applies terminal events, poll results and ticks to `app`, carries out
/// the effects, and calls `draw` whenever something changed. Returns on quit, when
/// `events` ends (the terminal is gone) or when `shutdown` completes.
pub async fn drive<E, D, S>(
    app: &mut App,
    mut events: E,
    services: &Services,
    mut rx: mpsc::Receiver<Msg>,
    mut draw: D,
    shutdown: S,
) -> Result<(), TuiError>
where
    E: Stream<Item = io::Result<Event>> + Unpin,
    D: FnMut(&App) -> Result<(), TuiError>,
    S: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut spinner = tokio::time::interval(SPINNER_FRAME);
    spinner.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    let mut resize_at: Option<TokioInstant> = None;
    let mut dirty = true;
    loop {
        if dirty && resize_at.is_none() {
            update(app, Msg::Clock(Clock::now()));
            draw(app)?;
            report_drawn(app);
            dirty = false;
        }
        let settle_at = resize_at;
        let settle = async move {
            match settle_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let spinning =
            app.readiness.results.running() || app.modal.as_ref().is_some_and(|m| m.busy());
        let effects = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match burst(app, event, &mut events, &mut resize_at).await? {
                    Some(effects) => effects,
                    None => continue, // nothing on screen changes
                },
                Some(Err(e)) => return Err(TuiError::Terminal(e)),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => drain(app, msg, &mut rx),
            // The clock and the ages move on: one redraw a second.
            _ = tick.tick() => Vec::new(),
            // The spinner turns only while a readiness run or an action is in flight.
            _ = spinner.tick(), if spinning => Vec::new(),
            () = settle => {
                resize_at = None;
                Vec::new()
            }
            () = &mut shutdown => return Ok(()),
        };
        dirty = true;
        for effect in effects {
            if services.apply(effect) {
                return Ok(());
            }
        }
    }
}

/// Tells `update` what the frame drew that scrolling needs (the open Logs detail's
/// line count); a message only when it changed.
pub fn report_drawn(app: &mut App) {
    let lines = view::logs::detail_line_count(app);
    if lines != app.logs.detail_lines {
        update(app, Msg::DetailDrawn { lines });
    }
}

/// Applies a terminal event and every other one already waiting (a held key, a paste),
/// so the burst is drawn once. `None` when none of them changes the screen.
async fn burst<E>(
    app: &mut App,
    first: Event,
    events: &mut E,
    resize_at: &mut Option<TokioInstant>,
) -> Result<Option<Vec<Effect>>, TuiError>
where
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut effects = on_terminal_event(app, first, resize_at);
    loop {
        let more = match next_waiting(events).await {
            Some(Some(Ok(event))) => on_terminal_event(app, event, resize_at),
            Some(Some(Err(e))) => return Err(TuiError::Terminal(e)),
            Some(None) => {
                // the terminal is gone
                effects.get_or_insert_with(Vec::new).push(Effect::Quit);
                return Ok(effects);
            }
            None => return Ok(effects),
        };
        if let Some(more) = more {
            effects.get_or_insert_with(Vec::new).extend(more);
        }
    }
}

/// The next event if one is already waiting, without waiting for one. It polls with the
/// task's own waker: crossterm's `EventStream` keeps the waker of a poll that found
/// nothing, so polling it with a no-op waker (`now_or_never`) left the next key unnoticed
/// until something else woke the loop (up to the 1 s clock tick; scripts/bench-latency).
async fn next_waiting<S: Stream + Unpin>(events: &mut S) -> Option<Option<S::Item>> {
    std::future::poll_fn(|cx| match events.poll_next_unpin(cx) {
        Poll::Ready(item) => Poll::Ready(Some(item)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// Applies one poll result and every other one already waiting, so a burst is drawn once.
fn drain(app: &mut App, first: Msg, rx: &mut mpsc::Receiver<Msg>) -> Vec<Effect> {
    let mut effects = update(app, first);
    while let Ok(msg) = rx.try_recv() {
        effects.extend(update(app, msg));
    }
    effects
}

/// Applies a key press or a resize; `None` for events that change nothing.
fn on_terminal_event(
    app: &mut App,
    event: Event,
    resize_at: &mut Option<TokioInstant>,
) -> Option<Vec<Effect>> {
    match event {
        Event::Key(key) if matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) => {
            Some(update(app, Msg::Key(key)))
        }
        Event::Resize(width, height) => {
            *resize_at = Some(TokioInstant::now() + RESIZE_SETTLE);
            Some(update(app, Msg::Resize { width, height }))
        }
        _ => None,
    }
}

/// True while the terminal is in raw mode on the alternate screen.
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: std::sync::Once = std::sync::Once::new();

/// Raw mode, alternate screen, hidden cursor; all undone on drop.
struct TerminalGuard {
    terminal: Terminal<Backend>,
}

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard, TuiError> {
        install_panic_hook();
        enable_raw_mode().map_err(TuiError::Terminal)?;
        TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
        let mut out = BufWriter::new(io::stdout());
        if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
            restore_terminal();
            return Err(TuiError::Terminal(e));
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore_terminal();
                Err(TuiError::Terminal(e))
            }
        }
    }

    fn size(&self) -> Result<Rect, TuiError> {
        let size = self.terminal.size().map_err(TuiError::Terminal)?;
        Ok(Rect::new(0, 0, size.width, size.height))
    }

    /// One frame, wrapped in a synchronized update so the terminal shows it whole.
    fn draw(&mut self, app: &App) -> Result<(), TuiError> {
        let backend = self.terminal.backend_mut();
        queue!(backend, BeginSynchronizedUpdate).map_err(TuiError::Terminal)?;
        let drawn = self
            .terminal
            .draw(|frame| view::render(frame, app))
            .map(|_| ());
        let backend = self.terminal.backend_mut();
        let ended = queue!(backend, EndSynchronizedUpdate).and_then(|()| backend.flush());
        drawn.map_err(TuiError::Terminal)?;
        ended.map_err(TuiError::Terminal)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves the alternate screen, shows the cursor, ends raw mode. Safe to call twice.
fn restore_terminal() {
    if !TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal before the panic message is printed, so it is readable, then
/// ends the process: a panic in any task (a poller, an action) would otherwise leave the
/// console drawing on a restored terminal. A write cut this way is rolled back by the
/// database when the connection drops.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let was_active = TERMINAL_ACTIVE.load(Ordering::SeqCst);
            restore_terminal();
            previous(info);
            if was_active {
                std::process::exit(PANIC_EXIT_CODE);
            }
        }));
    });
}

/// The exit code of a panic, as Rust's default.
const PANIC_EXIT_CODE: i32 = 101;

/// `LAUNCHDECK_TEST_PANIC=main` or `=task` makes the console panic once it runs, on its own
/// loop or in a spawned task: how the end-to-end tests prove the terminal is restored
/// after a panic (`tests/signals_pty.rs`). Nothing else reads it.
fn panic_on_request_for_tests() {
    match std::env::var("LAUNCHDECK_TEST_PANIC").as_deref() {
        Ok("main") => panic!("LAUNCHDECK_TEST_PANIC=main: a panic on the console's loop"),
        Ok("task") => {
            tokio::spawn(async { panic!("LAUNCHDECK_TEST_PANIC=task: a panic in a task") });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::task::{Context, Waker};

    use super::*;

    type Shared = Arc<Mutex<(VecDeque<u32>, Option<Waker>)>>;

    /// Behaves like crossterm's `EventStream`: while nothing is waiting it keeps the waker
    /// of the first poll that found nothing, and later polls do not replace it.
    struct FirstWakerStream(Shared);

    impl Stream for FirstWakerStream {
        type Item = u32;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(item) = state.0.pop_front() {
                state.1 = None;
                return Poll::Ready(Some(item));
            }
            if state.1.is_none() {
                state.1 = Some(cx.waker().clone());
            }
            Poll::Pending
        }
    }

    fn push(shared: &Shared, item: u32) {
        let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
        state.0.push_back(item);
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    }

    /// A waker that records whether it was woken.
    #[derive(Default)]
    struct Flag(AtomicBool);

    impl futures::task::ArcWake for Flag {
        fn wake_by_ref(flag: &Arc<Self>) {
            flag.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_key_after_a_drained_burst_wakes_the_loop() {
        let shared: Shared = Arc::default();
        let mut events = FirstWakerStream(shared.clone());
        let flag = Arc::new(Flag::default());
        let waker = futures::task::waker(flag.clone());
        let mut cx = Context::from_waker(&waker);
        // The burst finds nothing more waiting, in the loop task's context...
        {
            let mut drained = std::pin::pin!(next_waiting(&mut events));
            assert_eq!(drained.as_mut().poll(&mut cx), Poll::Ready(None));
        }
        // ...then the loop waits for the next event in that same context.
        let mut next = events.next();
        assert!(futures::FutureExt::poll_unpin(&mut next, &mut cx).is_pending());
        push(&shared, 7);
        assert!(
            flag.0.load(Ordering::SeqCst),
            "the next key must wake the loop (a no-op waker left in the stream would not)"
        );
    }
}
