//! The Logs detail's provider record (product.md Decision 11) through `update`: `enter`
//! asks once, the answer shows only in its own row's pane, and a result younger than
//! 30 s is reused when the pane is opened again.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::domain::{CallLogEntry, CallProvider, CallSource, ProviderCallRecord};
use launchdeck_ops::CallRecordError;
use launchdeck_tui::model::{LogsData, RowKey};
use launchdeck_tui::records::{REUSE_FOR, RecordState};
use launchdeck_tui::{App, Clock, Effect, Msg, PollData, layout, runtime, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The effects of typing `keys`, without the screen changes (the pollers' business,
/// tested in update.rs).
fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\u{1b}' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            update(app, key(code))
        })
        .filter(|e| !matches!(e, Effect::ScreenShown(_)))
        .collect()
}

fn screen_text(app: &App) -> String {
    let area = app.size;
    let mut terminal = match Terminal::new(TestBackend::new(area.width, area.height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| view::render(f, app)) {
        match never {}
    }
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn entry(n: u128) -> CallLogEntry {
    common::log_entries()
        .into_iter()
        .find(|e| e.id == common::id(n))
        .expect("a seeded log row")
}

fn row(n: u128) -> RowKey {
    let e = entry(n);
    (e.source, e.id)
}

fn call_id(n: u128) -> String {
    entry(n).provider_call_id.expect("a provider call id")
}

/// The first row on the Logs screen: call_logs 100, a Retell call.
const NEWEST: u128 = 100;
/// The second row: call_logs 101.
const SECOND: u128 = 101;

fn fetch_effect(n: u128, provider: CallProvider) -> Effect {
    Effect::FetchCallRecord {
        row: row(n),
        provider,
        call_id: call_id(n),
    }
}

fn ended_record(n: u128) -> ProviderCallRecord {
    let e = entry(n);
    let at = |secs: i64| -> DateTime<Utc> { e.created_at + chrono::Duration::seconds(secs) };
    ProviderCallRecord {
        provider: CallProvider::Retell,
        call_id: call_id(n),
        status: "ended".to_string(),
        reason: Some("user_hangup".to_string()),
        started_at: Some(at(6)),
        ended_at: Some(at(54)),
        duration_seconds: Some(48),
        cost: Some(0.07),
    }
}

fn answer(n: u128, at: Instant, result: Result<ProviderCallRecord, CallRecordError>) -> Msg {
    Msg::CallRecord {
        row: row(n),
        call_id: call_id(n),
        at,
        result,
    }
}

fn app() -> App {
    common::full_app(80, 24, common::options())
}

/// Moves the app's clock on by `by`.
fn later(app: &mut App, by: Duration) {
    let clock = Clock {
        now: app.clock.now + by,
        wall: app.clock.wall + chrono::Duration::from_std(by).expect("short"),
    };
    update(app, Msg::Clock(clock));
}

#[test]
fn enter_on_a_row_with_a_provider_id_asks_once() {
    let mut app = app();
    let effects = press(&mut app, "4\n");
    assert_eq!(effects, [fetch_effect(NEWEST, CallProvider::Retell)]);
    assert!(screen_text(&app).contains("record     Retell: fetching…"));

    // Pressing enter again, or closing and reopening, while the fetch is in flight
    // asks nothing more.
    assert_eq!(press(&mut app, "\n"), []);
    assert_eq!(press(&mut app, "\u{1b}\n"), []);
    // Polls while the pane is open ask nothing either.
    let base = Instant::now();
    let logs = PollData::Logs(LogsData::new(base, common::log_entries()));
    assert_eq!(update(&mut app, Msg::Data(logs)), []);
}

#[test]
fn twilio_rows_ask_twilio_and_telnyx_or_id_less_rows_ask_nobody() {
    let mut app = app();
    // Row 103: a finished broadcast_queue row with a Twilio CallSid.
    let effects = press(&mut app, "4jjj\n");
    assert_eq!(effects, [fetch_effect(103, CallProvider::Twilio)]);

    // Row 102 has no provider call id: nothing to fetch, no record line.
    let effects = press(&mut app, "\u{1b}k\n");
    assert_eq!(
        app.logs.detail.as_ref().map(|d| d.id),
        Some(common::id(102))
    );
    assert_eq!(effects, []);
    assert!(!screen_text(&app).contains("record"));

    // A Telnyx call log: said on screen, never asked.
    let mut rows = common::log_entries();
    rows[0].provider = Some("telnyx".to_string());
    rows[0].provider_call_id = Some("v3:telnyx-control-id".to_string());
    update(
        &mut app,
        Msg::Data(PollData::Logs(LogsData::new(Instant::now(), rows))),
    );
    let effects = press(&mut app, "\u{1b}g\n");
    assert_eq!(effects, []);
    assert!(
        screen_text(&app).contains("record     not fetched for Telnyx calls"),
        "{}",
        screen_text(&app)
    );
}

#[test]
fn the_answer_shows_in_its_own_rows_pane_only() {
    let mut app = app();
    press(&mut app, "4\n");
    let now = app.clock.now;

    // Another row's answer, and an answer for another call id of this row, arrive.
    update(&mut app, answer(SECOND, now, Ok(ended_record(SECOND))));
    let stale_id = Msg::CallRecord {
        row: row(NEWEST),
        call_id: "call_another_id".to_string(),
        at: now,
        result: Ok(ended_record(NEWEST)),
    };
    update(&mut app, stale_id);
    let text = screen_text(&app);
    assert!(text.contains("Retell: fetching…"), "{text}");
    assert!(!text.contains("user_hangup"), "{text}");

    // Its own answer shows below the row's fields, in the display zone (UTC here).
    update(&mut app, answer(NEWEST, now, Ok(ended_record(NEWEST))));
    let text = screen_text(&app);
    assert!(
        text.contains("record     Retell: ended, reason user_hangup"),
        "{text}"
    );
    assert!(
        text.contains("14:28:56 (+6s) → 14:29:44 (+54s), 48s, cost $0.07"),
        "{text}"
    );

    // The other row's answer was kept: opening that row within 30 s shows it, unasked.
    assert_eq!(press(&mut app, "\u{1b}j\n"), []);
    assert!(screen_text(&app).contains("Retell: ended, reason user_hangup"));
}

#[test]
fn a_result_younger_than_30_s_is_reused_then_fetched_again() {
    let mut app = app();
    press(&mut app, "4\n");
    let fetched_at = app.clock.now;
    update(
        &mut app,
        answer(NEWEST, fetched_at, Ok(ended_record(NEWEST))),
    );
    press(&mut app, "\u{1b}");

    later(&mut app, REUSE_FOR - Duration::from_secs(1));
    assert_eq!(press(&mut app, "\n"), [], "reused");
    assert!(screen_text(&app).contains("user_hangup"));

    press(&mut app, "\u{1b}");
    later(&mut app, Duration::from_secs(1));
    assert_eq!(
        press(&mut app, "\n"),
        [fetch_effect(NEWEST, CallProvider::Retell)]
    );
    let text = screen_text(&app);
    assert!(text.contains("Retell: fetching…"), "{text}");
    assert!(!text.contains("user_hangup"), "{text}");
}

#[test]
fn a_failure_is_one_line_of_the_clients_text() {
    let mut app = app();
    press(&mut app, "4\n");
    let now = app.clock.now;
    let missing =
        CallRecordError::NotFound(format!("Retell has no call {} (HTTP 422)", call_id(NEWEST)));
    update(&mut app, answer(NEWEST, now, Err(missing)));
    let text = screen_text(&app);
    assert!(
        text.contains("record     Retell has no call call_00000000000000000064 (HTTP 422)"),
        "{text}"
    );
    // A failure is a result too: reopening at once does not ask again.
    assert_eq!(press(&mut app, "\u{1b}\n"), []);
}

#[test]
fn a_row_that_gains_a_call_id_while_open_is_asked_once() {
    let base = Instant::now();
    let mut app = app();
    let mut rows = common::log_entries();
    rows[0].provider_call_id = None;
    update(
        &mut app,
        Msg::Data(PollData::Logs(LogsData::new(base, rows.clone()))),
    );
    assert_eq!(press(&mut app, "4\n"), []);

    let logs = || PollData::Logs(LogsData::new(base, common::log_entries()));
    assert_eq!(
        update(&mut app, Msg::Data(logs())),
        [fetch_effect(NEWEST, CallProvider::Retell)]
    );
    assert_eq!(update(&mut app, Msg::Data(logs())), [], "asked once");
    assert_eq!(
        app.records.get(&(row(NEWEST), call_id(NEWEST))),
        Some(&RecordState::Fetching)
    );
}

#[test]
fn a_long_detail_scrolls_with_the_moving_keys() {
    let mut app = app();
    press(&mut app, "4\n");
    let now = app.clock.now;
    let long = CallRecordError::Failed(format!(
        "Retell server error (HTTP 500): {}",
        "x ".repeat(200)
    ));
    update(&mut app, answer(NEWEST, now, Err(long)));
    let limit = view::logs::detail_scroll_limit(&app);
    assert!(limit > 0, "the pane at 80x24 cannot show it all");
    let text = screen_text(&app);
    assert!(text.contains("more below, j/k scroll"), "{text}");
    assert!(text.contains("j/k scroll"), "the hint bar says so: {text}");
    runtime::report_drawn(&mut app);

    press(&mut app, "jjjjjjjjjj");
    assert_eq!(app.logs.detail_scroll, limit, "stops at the last line");
    assert_eq!(
        app.logs.nav.selected, 0,
        "the list does not move under the pane"
    );
    assert!(!screen_text(&app).contains("more below"));
    press(&mut app, "k");
    assert_eq!(app.logs.detail_scroll, limit - 1);
    press(&mut app, "g");
    assert_eq!(app.logs.detail_scroll, 0);

    // Closing resets the scroll.
    press(&mut app, "G\u{1b}\n");
    assert_eq!(app.logs.detail_scroll, 0);
}

#[test]
fn the_detail_scrolls_by_the_line_count_the_frame_reported() {
    let mut app = app();
    press(&mut app, "4\n");
    press(&mut app, "G");
    assert_eq!(
        app.logs.detail_scroll, 0,
        "nothing drawn yet: nothing to scroll"
    );

    update(&mut app, Msg::DetailDrawn { lines: 100 });
    press(&mut app, "G");
    let body = layout::frame_areas(app.size).body;
    let limit = layout::pane_scroll_limit(body, 100);
    assert!(limit > 0);
    assert_eq!(
        app.logs.detail_scroll, limit,
        "update takes the reported count"
    );

    press(&mut app, "\u{1b}\n");
    assert_eq!(
        app.logs.detail_lines, 0,
        "a new opening waits for its own frame"
    );
}

#[test]
fn answers_for_rows_nobody_reopens_are_forgotten_after_30_s() {
    let mut app = app();
    press(&mut app, "4\n");
    let first = app.clock.now;
    update(&mut app, answer(NEWEST, first, Ok(ended_record(NEWEST))));
    press(&mut app, "\u{1b}j\n");
    later(&mut app, REUSE_FOR + Duration::from_secs(1));
    let now = app.clock.now;
    update(&mut app, answer(SECOND, now, Ok(ended_record(SECOND))));
    assert_eq!(app.records.get(&(row(NEWEST), call_id(NEWEST))), None);
    assert!(app.records.get(&(row(SECOND), call_id(SECOND))).is_some());
    assert_eq!(app.records.len(), 1);
    assert_eq!(
        app.logs.detail.as_ref().map(|d| d.source),
        Some(CallSource::CallLogs)
    );
}
