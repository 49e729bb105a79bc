//! `update`: keys → actions → state, freeze, marks, filter, stuck-first order, health.

mod common;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::domain::{CallSource, LogFilter};
use launchdeck_core::stuck::{StuckThresholds, Stuckness};
use launchdeck_tui::model::{LiveData, LogsData};
use launchdeck_tui::{App, Effect, Msg, PollData, PollError, Screen, Source, update};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn special(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars().flat_map(|c| update(app, key(c))).collect()
}

fn app() -> App {
    common::full_app(80, 24, common::options())
}

fn live_ids(live: &LiveData) -> Vec<u128> {
    live.rows
        .iter()
        .map(|r| r.call.id.as_u128() - common::id(0).as_u128())
        .collect()
}

#[test]
fn stuck_rows_come_first_then_oldest_first() {
    let live = LiveData::new(
        Instant::now(),
        &common::db_info(),
        common::snapshot(),
        &StuckThresholds::default(),
    );
    // stuck: bcast 7m12s, dial 4m40s, call 3m05s; ask provider: call 65 min; then live
    assert_eq!(live_ids(&live), [3, 8, 4, 6, 2, 7, 1, 5, 9]);
    let flags: Vec<Stuckness> = live.rows.iter().map(|r| r.stuckness).collect();
    assert_eq!(
        &flags[..4],
        [
            Stuckness::Stuck,
            Stuckness::Stuck,
            Stuckness::Stuck,
            Stuckness::AskProvider
        ]
    );
    assert!(flags[4..].iter().all(|f| *f == Stuckness::Live));
    assert_eq!(live.stuck_claims, 1);
    let bq = live.counts(CallSource::BroadcastQueue);
    assert_eq!((bq.in_flight, bq.stuck, bq.ask_provider), (4, 1, 0));
    let cl = live.counts(CallSource::CallLogs);
    assert_eq!((cl.in_flight, cl.stuck, cl.ask_provider), (3, 1, 1));
}

#[test]
fn thresholds_from_the_options_decide_what_is_stuck() {
    let lenient = StuckThresholds {
        broadcast_stuck_after: Duration::from_secs(3600),
        ..StuckThresholds::default()
    };
    let live = LiveData::new(
        Instant::now(),
        &common::db_info(),
        common::snapshot(),
        &lenient,
    );
    assert_eq!(live.counts(CallSource::BroadcastQueue).stuck, 0);
}

#[test]
fn number_keys_and_tab_switch_screens_without_readiness() {
    let mut app = app();
    assert_eq!(app.screen, Screen::Overview);
    press(&mut app, "3");
    assert_eq!(app.screen, Screen::Calls);
    press(&mut app, "4");
    assert_eq!(app.screen, Screen::Logs);
    press(&mut app, "2");
    assert_eq!(app.screen, Screen::Logs, "2 is not a screen yet");
    update(&mut app, special(KeyCode::Tab));
    assert_eq!(app.screen, Screen::Overview);
    update(&mut app, special(KeyCode::Tab));
    assert_eq!(app.screen, Screen::Calls);
    press(&mut app, "1");
    assert_eq!(app.screen, Screen::Overview);
}

#[test]
fn q_and_ctrl_c_quit_r_polls_now() {
    let mut app = app();
    assert_eq!(press(&mut app, "r"), [Effect::PollNow]);
    assert!(!app.should_quit);
    assert_eq!(press(&mut app, "q"), [Effect::Quit]);
    assert!(app.should_quit);

    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, "4/");
    assert!(app.filter.editing);
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, ctrl_c), [Effect::Quit]);
}

#[test]
fn moving_on_calls_walks_the_sorted_rows() {
    let mut app = app();
    press(&mut app, "3");
    press(&mut app, "jj");
    assert_eq!(app.calls_nav.selected, 2);
    press(&mut app, "G");
    assert_eq!(app.calls_nav.selected, 8);
    press(&mut app, "g");
    assert_eq!(app.calls_nav.selected, 0);
    update(&mut app, special(KeyCode::PageDown));
    assert_eq!(
        app.calls_nav.selected, 8,
        "a page is longer than the 9 rows"
    );
    update(&mut app, special(KeyCode::Up));
    assert_eq!(app.calls_nav.selected, 7);
    press(&mut app, "kkkkkkkkkkkk");
    assert_eq!(app.calls_nav.selected, 0, "stops at the top");
}

#[test]
fn page_keys_move_by_the_visible_rows_and_keep_the_selection_on_screen() {
    let base = Instant::now();
    let mut app = common::empty_app(base, 80, 24, common::options());
    let live = LiveData::new(
        base,
        &common::db_info(),
        common::many_calls(500),
        &app.options.thresholds,
    );
    update(&mut app, Msg::Data(PollData::Live(live)));
    press(&mut app, "3");
    let page = launchdeck_tui::view::calls::page_rows(app.size);
    assert_eq!(
        page, 19,
        "24 rows: header, tabs, hints, summary, column names"
    );
    update(&mut app, special(KeyCode::PageDown));
    assert_eq!(app.calls_nav.selected, page);
    assert!(app.calls_nav.offset <= app.calls_nav.selected);
    assert!(app.calls_nav.selected < app.calls_nav.offset + page);
    press(&mut app, "G");
    assert_eq!(app.calls_nav.selected, 499);
    assert_eq!(app.calls_nav.offset, 500 - page);
}

#[test]
fn the_selection_follows_its_row_when_new_data_reorders() {
    let base = Instant::now();
    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, "3jjjj"); // the 5th row: id 2 (live, 130 s)
    let selected = app.calls_nav.anchor.expect("a row is selected");
    assert_eq!(selected.1, common::id(2));
    // One stuck row fewer: id 3 finished; id 2 moves up one place.
    let mut snapshot = common::snapshot();
    snapshot.calls.retain(|c| c.id != common::id(3));
    let live = LiveData::new(base, &common::db_info(), snapshot, &app.options.thresholds);
    update(&mut app, Msg::Data(PollData::Live(live)));
    assert_eq!(app.calls_nav.selected, 3);
    assert_eq!(app.calls_nav.anchor.map(|a| a.1), Some(common::id(2)));
}

#[test]
fn space_marks_rows_and_marks_of_finished_calls_are_dropped() {
    let base = Instant::now();
    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, " ");
    assert!(app.marks.is_empty(), "space only marks on the Calls screen");
    press(&mut app, "3 j ");
    assert_eq!(app.marks.len(), 2);
    press(&mut app, " ");
    assert_eq!(app.marks.len(), 1, "space again unmarks");
    press(&mut app, "k");
    let first = app.calls_nav.anchor.expect("selected");
    assert!(app.marks.contains(&first));
    press(&mut app, "j ");
    assert_eq!(app.marks.len(), 2);

    // The first marked call (id 3) finishes: its mark goes, the other stays.
    let mut snapshot = common::snapshot();
    snapshot.calls.retain(|c| c.id != common::id(3));
    let live = LiveData::new(base, &common::db_info(), snapshot, &app.options.thresholds);
    update(&mut app, Msg::Data(PollData::Live(live)));
    assert_eq!(app.marks.len(), 1);
    assert!(!app.marks.contains(&first));
}

#[test]
fn freeze_keeps_the_display_while_data_keeps_coming() {
    let base = Instant::now();
    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, "f");
    assert!(app.frozen.is_some());
    let mut snapshot = common::snapshot();
    snapshot.calls.truncate(2);
    let live = LiveData::new(base, &common::db_info(), snapshot, &app.options.thresholds);
    update(&mut app, Msg::Data(PollData::Live(live)));
    let shown = app.shown().live.as_ref().expect("live data").rows.len();
    let newest = app.data.live.as_ref().expect("live data").rows.len();
    assert_eq!((shown, newest), (9, 2), "collected, not shown");
    press(&mut app, "f");
    assert!(app.frozen.is_none());
    assert_eq!(app.shown().live.as_ref().expect("live").rows.len(), 2);
}

#[test]
fn filter_narrows_locally_at_once_and_asks_the_store() {
    let mut app = app();
    press(&mut app, "/");
    assert!(!app.filter.editing, "/ filters only on the Logs screen");
    press(&mut app, "4/");
    assert!(app.filter.editing);
    let effects = press(&mut app, "busy");
    let want = LogFilter {
        text: Some("busy".to_string()),
        ..LogFilter::default()
    };
    assert_eq!(effects.last(), Some(&Effect::SetLogFilter(want)));
    let shown: Vec<&str> = app.shown_logs().iter().map(|e| e.status.as_str()).collect();
    assert_eq!(shown, ["busy"]);
    assert!(!app.should_quit);

    // enter keeps the filter and gives the keys back; esc then clears it
    update(&mut app, special(KeyCode::Enter));
    assert!(!app.filter.editing);
    assert_eq!(app.filter.text(), "busy");
    let effects = update(&mut app, special(KeyCode::Esc));
    assert_eq!(effects, [Effect::SetLogFilter(LogFilter::default())]);
    assert_eq!(app.shown_logs().len(), 10);
}

#[test]
fn filter_matches_the_last_digits_of_a_number_and_typing_q_does_not_quit() {
    let mut app = app();
    press(&mut app, "4/");
    press(&mut app, "0204"); // +16025550204 is log 104
    assert_eq!(app.shown_logs().len(), 1);
    update(&mut app, special(KeyCode::Esc));
    assert!(!app.filter.editing);
    assert_eq!(app.filter.text(), "");
    press(&mut app, "/q");
    assert!(!app.should_quit);
    assert_eq!(app.filter.text(), "q");
}

#[test]
fn enter_opens_the_selected_calls_detail_and_esc_closes_it() {
    let mut app = app();
    press(&mut app, "4jj");
    update(&mut app, special(KeyCode::Enter));
    let detail = app.detail.as_ref().expect("detail open");
    assert_eq!(detail.id, common::id(102));
    press(&mut app, "jj");
    assert_eq!(
        app.logs_nav.selected, 2,
        "the list does not move under the pane"
    );
    update(&mut app, special(KeyCode::Esc));
    assert!(app.detail.is_none());
}

#[test]
fn the_detail_pane_shows_the_newest_version_of_its_call() {
    let base = Instant::now();
    let mut app = app();
    press(&mut app, "4");
    update(&mut app, special(KeyCode::Enter));
    let mut entries = common::log_entries();
    entries[0].notes = Some("rebooked for Friday".to_string());
    update(
        &mut app,
        Msg::Data(PollData::Logs(LogsData::new(base, entries))),
    );
    let notes = app.detail.as_ref().and_then(|d| d.notes.clone());
    assert_eq!(notes.as_deref(), Some("rebooked for Friday"));
}

#[test]
fn help_opens_with_question_mark_and_swallows_other_keys() {
    let mut app = app();
    press(&mut app, "?");
    assert!(app.help_open);
    press(&mut app, "3j");
    assert_eq!(app.screen, Screen::Overview);
    update(&mut app, special(KeyCode::Esc));
    assert!(!app.help_open);
    press(&mut app, "??");
    assert!(!app.help_open, "? toggles");
}

#[test]
fn v_reveals_numbers_for_the_session() {
    let mut app = app();
    assert!(!app.numbers_revealed);
    press(&mut app, "v");
    assert!(app.numbers_revealed);
    press(&mut app, "v");
    assert!(!app.numbers_revealed);
}

#[test]
fn a_failing_database_is_remembered_from_its_first_failure_and_recovery_polls_all() {
    let base = Instant::now();
    let mut app = app();
    let failed = |secs: i64| Msg::PollFailed {
        source: Source::Live,
        at: common::ago(-secs),
        error: PollError {
            message: "database unreachable: connection refused".to_string(),
            transient: true,
        },
    };
    assert!(update(&mut app, failed(5)).is_empty());
    update(&mut app, failed(9));
    assert_eq!(
        app.health(Source::Live).failing_since,
        Some(common::ago(-5))
    );
    assert!(app.data.live.is_some(), "the last good data stays");
    let live = LiveData::new(
        base,
        &common::db_info(),
        common::snapshot(),
        &app.options.thresholds,
    );
    let effects = update(&mut app, Msg::Data(PollData::Live(live)));
    assert_eq!(effects, [Effect::PollNow]);
    assert_eq!(app.health(Source::Live).failing_since, None);
}

#[test]
fn resize_keeps_the_selection_visible() {
    let base = Instant::now();
    let mut app = common::empty_app(base, 80, 48, common::options());
    let live = LiveData::new(
        base,
        &common::db_info(),
        common::many_calls(100),
        &app.options.thresholds,
    );
    update(&mut app, Msg::Data(PollData::Live(live)));
    press(&mut app, "3");
    for _ in 0..40 {
        press(&mut app, "j");
    }
    assert_eq!(app.calls_nav.offset, 0);
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let page = launchdeck_tui::view::calls::page_rows(app.size);
    assert!(app.calls_nav.selected < app.calls_nav.offset + page);
    assert!(app.calls_nav.selected >= app.calls_nav.offset);
}
