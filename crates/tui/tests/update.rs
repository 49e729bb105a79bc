//! `update`: keys → actions → state, freeze, marks, filter, stuck-first order, health.

mod common;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::domain::{CallSource, LogFilter};
use launchdeck_core::readiness::{Area, Status};
use launchdeck_core::stuck::{StuckThresholds, Stuckness};
use launchdeck_tui::model::{LiveData, LogsData};
use launchdeck_tui::readiness::{Provider, ProviderState, RowId, Verdict};
use launchdeck_tui::{App, AreaResult, Effect, Msg, PollData, PollError, Screen, Source, update};

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
fn flagged_rows_come_first_then_oldest_first() {
    let live = LiveData::new(
        Instant::now(),
        &common::db_info(),
        common::snapshot(),
        &StuckThresholds::default(),
    );
    // flagged, oldest first: ask provider call 65 min, stuck bcast 7m12s, dial 4m40s,
    // call 3m05s; then live
    assert_eq!(live_ids(&live), [6, 3, 8, 4, 2, 7, 1, 5, 9]);
    let flags: Vec<Stuckness> = live.rows.iter().map(|r| r.stuckness).collect();
    assert_eq!(
        &flags[..4],
        [
            Stuckness::AskProvider,
            Stuckness::Stuck,
            Stuckness::Stuck,
            Stuckness::Stuck
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
fn number_keys_and_tab_switch_screens() {
    let mut app = app();
    assert_eq!(app.screen, Screen::Overview);
    press(&mut app, "2");
    assert_eq!(app.screen, Screen::Readiness);
    press(&mut app, "3");
    assert_eq!(app.screen, Screen::Calls);
    // The runtime is told, so the call log is read only while Logs is shown.
    assert_eq!(press(&mut app, "4"), [Effect::ScreenShown(Screen::Logs)]);
    assert_eq!(app.screen, Screen::Logs);
    assert!(
        press(&mut app, "4").is_empty(),
        "no change, nothing to tell"
    );
    let effects = update(&mut app, special(KeyCode::Tab));
    assert_eq!(effects, [Effect::ScreenShown(Screen::Overview)]);
    assert_eq!(app.screen, Screen::Overview);
    update(&mut app, special(KeyCode::Tab));
    assert_eq!(app.screen, Screen::Readiness);
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
    assert!(app.logs.filter.editing);
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, ctrl_c), [Effect::Quit]);
}

#[test]
fn moving_on_calls_walks_the_sorted_rows() {
    let mut app = app();
    press(&mut app, "3");
    press(&mut app, "jj");
    assert_eq!(app.calls.nav.selected, 2);
    press(&mut app, "G");
    assert_eq!(app.calls.nav.selected, 8);
    press(&mut app, "g");
    assert_eq!(app.calls.nav.selected, 0);
    update(&mut app, special(KeyCode::PageDown));
    assert_eq!(
        app.calls.nav.selected, 8,
        "a page is longer than the 9 rows"
    );
    update(&mut app, special(KeyCode::Up));
    assert_eq!(app.calls.nav.selected, 7);
    press(&mut app, "kkkkkkkkkkkk");
    assert_eq!(app.calls.nav.selected, 0, "stops at the top");
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
    let page = launchdeck_tui::layout::calls_page_rows(app.size);
    assert_eq!(
        page, 19,
        "24 rows: header, tabs, hints, summary, column names"
    );
    update(&mut app, special(KeyCode::PageDown));
    assert_eq!(app.calls.nav.selected, page);
    assert!(app.calls.nav.offset <= app.calls.nav.selected);
    assert!(app.calls.nav.selected < app.calls.nav.offset + page);
    press(&mut app, "G");
    assert_eq!(app.calls.nav.selected, 499);
    assert_eq!(app.calls.nav.offset, 500 - page);
}

#[test]
fn the_selection_follows_its_row_when_new_data_reorders() {
    let base = Instant::now();
    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, "3jjjj"); // the 5th row: id 2 (live, 130 s)
    let selected = app.calls.nav.anchor.expect("a row is selected");
    assert_eq!(selected.1, common::id(2));
    // One stuck row fewer: id 3 finished; id 2 moves up one place.
    let mut snapshot = common::snapshot();
    snapshot.calls.retain(|c| c.id != common::id(3));
    let live = LiveData::new(base, &common::db_info(), snapshot, &app.options.thresholds);
    update(&mut app, Msg::Data(PollData::Live(live)));
    assert_eq!(app.calls.nav.selected, 3);
    assert_eq!(app.calls.nav.anchor.map(|a| a.1), Some(common::id(2)));
}

#[test]
fn space_marks_rows_and_marks_of_finished_calls_are_dropped() {
    let base = Instant::now();
    let mut app = common::full_app(80, 24, common::options());
    press(&mut app, " ");
    assert!(
        app.calls.marks.is_empty(),
        "space only marks on the Calls screen"
    );
    press(&mut app, "3 j ");
    assert_eq!(app.calls.marks.len(), 2);
    press(&mut app, " ");
    assert_eq!(app.calls.marks.len(), 1, "space again unmarks");
    press(&mut app, "k");
    let first = app.calls.nav.anchor.expect("selected");
    assert!(app.calls.marks.contains(&first));
    press(&mut app, "j ");
    assert_eq!(app.calls.marks.len(), 2);

    // The first marked call (id 6, the oldest flagged row) finishes: its mark goes, the
    // other stays.
    assert_eq!(first.1, common::id(6));
    let mut snapshot = common::snapshot();
    snapshot.calls.retain(|c| c.id != common::id(6));
    let live = LiveData::new(base, &common::db_info(), snapshot, &app.options.thresholds);
    update(&mut app, Msg::Data(PollData::Live(live)));
    assert_eq!(app.calls.marks.len(), 1);
    assert!(!app.calls.marks.contains(&first));
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
    assert!(
        !app.logs.filter.editing,
        "/ filters only on the Logs screen"
    );
    press(&mut app, "4/");
    assert!(app.logs.filter.editing);
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
    assert!(!app.logs.filter.editing);
    assert_eq!(app.logs.filter.text(), "busy");
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
    assert!(!app.logs.filter.editing);
    assert_eq!(app.logs.filter.text(), "");
    press(&mut app, "/q");
    assert!(!app.should_quit);
    assert_eq!(app.logs.filter.text(), "q");
}

#[test]
fn enter_opens_the_selected_calls_detail_and_esc_closes_it() {
    let mut app = app();
    press(&mut app, "4jj");
    update(&mut app, special(KeyCode::Enter));
    let detail = app.logs.detail.as_ref().expect("detail open");
    assert_eq!(detail.id, common::id(102));
    press(&mut app, "jj");
    assert_eq!(
        app.logs.nav.selected, 2,
        "the list does not move under the pane"
    );
    update(&mut app, special(KeyCode::Esc));
    assert!(app.logs.detail.is_none());
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
    let notes = app.logs.detail.as_ref().and_then(|d| d.notes.clone());
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
    assert_eq!(app.calls.nav.offset, 0);
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let page = launchdeck_tui::layout::calls_page_rows(app.size);
    assert!(app.calls.nav.selected < app.calls.nav.offset + page);
    assert!(app.calls.nav.selected >= app.calls.nav.offset);
}

fn area_result(area: Area, at: Instant) -> Msg {
    Msg::ReadinessArea(AreaResult::new(
        area,
        common::readiness::checks_of(area),
        at,
    ))
}

fn selected_row(app: &App) -> Option<RowId> {
    app.readiness
        .results
        .row_ids()
        .get(app.readiness.nav.selected)
        .cloned()
}

#[test]
fn readiness_areas_arrive_one_by_one_and_merge() {
    let base = Instant::now();
    let mut app = common::empty_app(base, 80, 24, common::options());
    assert_eq!(app.readiness.results.verdict(), Verdict::Checking);
    update(&mut app, Msg::ReadinessStarted { at: base });
    assert!(app.readiness.results.running());
    assert!(Area::ALL.iter().all(|a| app.readiness.results.checking(*a)));
    assert_eq!(
        app.readiness.results.provider(Provider::Retell),
        ProviderState::Checking
    );

    update(&mut app, area_result(Area::Environment, base));
    update(&mut app, area_result(Area::Database, base));
    assert!(!app.readiness.results.checking(Area::Database));
    assert!(app.readiness.results.checking(Area::Retell));
    assert_eq!(
        app.readiness.results.verdict(),
        Verdict::Checking,
        "no blocker yet"
    );
    // The selection lands on the first check, never on an area header.
    assert!(selected_row(&app).is_some_and(|r| r.is_check()));

    update(&mut app, area_result(Area::Retell, base));
    assert_eq!(
        app.readiness.results.verdict(),
        Verdict::NotReady { blocking: 1 },
        "known before every area is in"
    );
    assert_eq!(
        app.readiness.results.provider(Provider::Retell),
        ProviderState::Is(Status::Fail)
    );
    for area in Area::ALL.into_iter().skip(3) {
        update(&mut app, area_result(area, base));
    }
    update(&mut app, Msg::ReadinessFinished { at: base });
    assert!(!app.readiness.results.running());
    assert_eq!(
        app.readiness.results.verdict(),
        Verdict::NotReady { blocking: 2 }
    );
    let summary = app.readiness.results.summary();
    assert_eq!(
        (summary.pass, summary.warn, summary.fail, summary.unknown),
        (32, 7, 2, 2)
    );
}

#[test]
fn a_new_run_keeps_the_previous_results_until_their_area_comes_in_again() {
    let mut app = app();
    // the readiness results of `app()` arrived here
    let base = app.clock.now - common::SINCE_ARRIVAL;
    let later = base + Duration::from_secs(30);
    update(&mut app, Msg::ReadinessStarted { at: later });
    assert!(app.readiness.results.checking(Area::Retell));
    let kept = app
        .readiness
        .results
        .area(Area::Retell)
        .expect("previous Retell results");
    assert_eq!(kept.received, base);
    assert_eq!(
        app.readiness.results.verdict(),
        Verdict::NotReady { blocking: 2 }
    );

    // Retell comes back fixed: its new result replaces the old one, the others stay.
    let fixed: Vec<_> = common::readiness::checks_of(Area::Retell)
        .into_iter()
        .map(|mut c| {
            c.status = Status::Pass;
            c
        })
        .collect();
    update(
        &mut app,
        Msg::ReadinessArea(AreaResult::new(Area::Retell, fixed, later)),
    );
    assert_eq!(
        app.readiness.results.area(Area::Retell).map(|r| r.received),
        Some(later)
    );
    assert_eq!(
        app.readiness
            .results
            .area(Area::Campaigns)
            .map(|r| r.received),
        Some(base)
    );
    assert!(app.readiness.results.checking(Area::Campaigns));
    assert_eq!(
        app.readiness.results.verdict(),
        Verdict::NotReady { blocking: 1 }
    );
}

#[test]
fn r_reruns_readiness_unless_a_run_is_in_flight() {
    let mut app = app();
    assert!(!app.readiness.results.running());
    assert_eq!(press(&mut app, "R"), [Effect::RerunReadiness]);
    let now = app.clock.now;
    update(&mut app, Msg::ReadinessStarted { at: now });
    assert!(press(&mut app, "RR").is_empty(), "not run twice");
    press(&mut app, "2");
    assert!(press(&mut app, "R").is_empty());
    update(&mut app, Msg::ReadinessFinished { at: now });
    assert_eq!(press(&mut app, "R"), [Effect::RerunReadiness]);
    assert_eq!(press(&mut app, "r"), [Effect::PollNow], "r still polls");
}

#[test]
fn ages_grow_with_the_clock_and_restart_when_the_area_comes_in_again() {
    let mut app = app();
    // the readiness results of `app()` arrived here
    let base = app.clock.now - common::SINCE_ARRIVAL;
    press(&mut app, "2");
    let mut clock = app.clock;
    clock.now = base + Duration::from_secs(12);
    update(&mut app, Msg::Clock(clock));
    let text = screen_text(&app);
    assert!(text.contains("12s ago"), "{text}");
    update(&mut app, Msg::ReadinessStarted { at: clock.now });
    update(&mut app, area_result(Area::Environment, clock.now));
    let text = screen_text(&app);
    assert!(
        text.contains("0s ago") && text.contains("12s ago"),
        "{text}"
    );
}

fn screen_text(app: &App) -> String {
    let mut terminal = match ratatui::Terminal::new(ratatui::backend::TestBackend::new(
        app.size.width,
        app.size.height,
    )) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| launchdeck_tui::view::render(f, app)) {
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

#[test]
fn moving_on_readiness_skips_area_headers() {
    let mut app = app();
    press(&mut app, "2");
    let rows = app.readiness.results.row_ids();
    let first = selected_row(&app).expect("a check is selected");
    assert_eq!(rows.iter().position(|r| *r == first), Some(1));
    assert!(first.is_check());
    // the last Environment check, then over the Database header
    press(&mut app, "jjjjj");
    assert_eq!(app.readiness.nav.selected, 6);
    press(&mut app, "j");
    assert_eq!(app.readiness.nav.selected, 8, "the header at 7 is skipped");
    press(&mut app, "k");
    assert_eq!(app.readiness.nav.selected, 6, "and skipped going up");
    press(&mut app, "G");
    assert_eq!(app.readiness.nav.selected, rows.len() - 1);
    assert!(selected_row(&app).is_some_and(|r| r.is_check()));
    press(&mut app, "g");
    assert_eq!(app.readiness.nav.selected, 1);
    assert_eq!(
        app.readiness.nav.offset, 0,
        "the first area header stays in view"
    );
    update(&mut app, special(KeyCode::PageDown));
    let page = launchdeck_tui::layout::readiness_page_rows(app.size);
    assert!(selected_row(&app).is_some_and(|r| r.is_check()));
    assert!(app.readiness.nav.selected >= page);
    assert!(app.readiness.nav.selected < app.readiness.nav.offset + page);
}

#[test]
fn enter_opens_the_selected_check_and_the_pane_follows_new_results() {
    let mut app = app();
    // the readiness results of `app()` arrived here
    let base = app.clock.now - common::SINCE_ARRIVAL;
    press(&mut app, "2");
    press(&mut app, "jjjjjjjjjj");
    update(&mut app, special(KeyCode::Enter));
    let open = app.readiness.check_detail.clone().expect("detail open");
    assert_eq!(open.area, Area::Retell);
    assert_eq!(open.status, Status::Fail);
    press(&mut app, "jj");
    assert_eq!(
        app.readiness.nav.selected, 13,
        "the list does not move under the pane"
    );

    // A new run fixes it: the pane shows the newest result of the same check.
    let fixed: Vec<_> = common::readiness::checks_of(Area::Retell)
        .into_iter()
        .map(|mut c| {
            c.status = Status::Pass;
            c
        })
        .collect();
    update(&mut app, Msg::ReadinessStarted { at: base });
    update(
        &mut app,
        Msg::ReadinessArea(AreaResult::new(Area::Retell, fixed, base)),
    );
    let shown = app.readiness.check_detail.as_ref().expect("still open");
    assert_eq!(
        (shown.id.as_str(), shown.status),
        (open.id.as_str(), Status::Pass)
    );
    // the selection followed its check to its new place (passes sort last)
    assert_eq!(selected_row(&app), Some(RowId::Check(open.id.clone())));
    update(&mut app, special(KeyCode::Esc));
    assert!(app.readiness.check_detail.is_none());
    press(&mut app, "3");
    update(&mut app, special(KeyCode::Enter));
    assert!(
        app.readiness.check_detail.is_none(),
        "enter on Calls opens nothing"
    );
}
