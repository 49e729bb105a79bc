//! Snapshots of every screen on a `TestBackend`, from realistic data on a fixed clock.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_tui::{App, Msg, PollError, Source, TuiOptions, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(app: &App) -> TestBackend {
    let area = app.size;
    let mut terminal = match Terminal::new(TestBackend::new(area.width, area.height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| view::render(f, app)) {
        match never {}
    }
    terminal.backend().clone()
}

fn text_of(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn app_at(width: u16, height: u16) -> App {
    common::full_app(width, height, common::options())
}

#[test]
fn overview() {
    insta::assert_snapshot!("overview_80x24", draw(&app_at(80, 24)));
    insta::assert_snapshot!("overview_160x48", draw(&app_at(160, 48)));
}

#[test]
fn calls() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "3j j ");
        insta::assert_snapshot!(format!("calls_{w}x{h}"), draw(&app));
    }
}

#[test]
fn calls_with_numbers_revealed_read_only_and_frozen() {
    let options = TuiOptions {
        read_only: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    keys(&mut app, "3vf");
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(text.contains("+15125550122"), "revealed");
    insta::assert_snapshot!("calls_revealed_read_only_frozen_80x24", screen);
}

#[test]
fn logs() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "4j");
        insta::assert_snapshot!(format!("logs_{w}x{h}"), draw(&app));
    }
}

#[test]
fn logs_filtered() {
    let mut app = app_at(80, 24);
    keys(&mut app, "4/complet");
    insta::assert_snapshot!("logs_filter_80x24", draw(&app));
}

#[test]
fn log_detail() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "4\n");
        insta::assert_snapshot!(format!("log_detail_{w}x{h}"), draw(&app));
    }
    // a finished broadcast_queue row: no answer/end times, its last change instead
    let mut app = app_at(80, 24);
    keys(&mut app, "4jjjj\n");
    insta::assert_snapshot!("log_detail_broadcast_80x24", draw(&app));
}

#[test]
fn help_overlay() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "3?");
        insta::assert_snapshot!(format!("help_{w}x{h}"), draw(&app));
    }
}

#[test]
fn database_unreachable_header_keeps_the_last_data() {
    let mut app = app_at(80, 24);
    update(
        &mut app,
        Msg::PollFailed {
            source: Source::Live,
            at: common::ago(-1),
            error: PollError {
                message: "database unreachable: connection refused (os error 111)".to_string(),
                transient: true,
            },
        },
    );
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(
        text.contains("database unreachable since 14:30:01"),
        "{text}"
    );
    insta::assert_snapshot!("db_unreachable_overview_80x24", screen);
    keys(&mut app, "3");
    insta::assert_snapshot!("db_unreachable_calls_80x24", draw(&app));
}

#[test]
fn before_the_first_poll() {
    let app = common::empty_app(std::time::Instant::now(), 80, 24, common::options());
    insta::assert_snapshot!("waiting_80x24", draw(&app));
}

#[test]
fn too_small() {
    for (w, h) in [(20, 5), (79, 24), (1, 1), (0, 0)] {
        let app = app_at(w, h);
        let screen = draw(&app);
        if w == 20 {
            insta::assert_snapshot!("too_small_20x5", screen);
        } else if w == 79 {
            assert!(text_of(&screen).contains("terminal too small"));
        }
    }
}

#[test]
fn ascii_and_no_color() {
    let options = TuiOptions {
        ascii: true,
        no_color: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    let overview = draw(&app);
    assert!(text_of(&overview).replace('—', "-").is_ascii());
    insta::assert_snapshot!("overview_ascii_80x24", overview);
    keys(&mut app, "3");
    let screen = draw(&app);
    // The names in the data have em dashes; everything the console draws is ASCII.
    let text = text_of(&screen).replace('—', "-");
    assert!(text.is_ascii(), "{text}");
    let colored = screen
        .buffer()
        .content
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!colored, "no colour with no_color");
    insta::assert_snapshot!("calls_ascii_80x24", screen);
}

#[test]
fn terminal_escapes_from_the_database_never_reach_the_screen() {
    let mut app = app_at(160, 48);
    keys(&mut app, "4");
    let text = text_of(&draw(&app));
    assert!(text.contains("caller said STOP calling"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
}

#[test]
fn lead_numbers_are_masked_by_default_on_every_screen() {
    for screen_key in ["1", "3", "4", "4\n"] {
        let mut app = app_at(160, 48);
        keys(&mut app, screen_key);
        let text = text_of(&draw(&app));
        for call in common::in_flight_calls() {
            assert!(
                !text.contains(&call.phone),
                "{} on {screen_key}",
                call.phone
            );
        }
        for entry in common::log_entries() {
            assert!(
                !text.contains(&entry.phone),
                "{} on {screen_key}",
                entry.phone
            );
        }
    }
}
