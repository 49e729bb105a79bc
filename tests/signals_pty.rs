//! Signals and terminals (quality.md "Reliability"): SIGTERM, SIGHUP (the ssh session
//! lost) and SIGINT reach the console on a screen, with the help open, with an action's
//! confirmation open and with a form half filled in; every time the process ends and the
//! terminal is restored. And a tiny terminal, resized under an open modal, keeps working.

mod common;

use std::thread;

use common::pty::PtyApp;
use nix::sys::signal::Signal;

#[derive(Debug, Clone, Copy)]
enum State {
    Screen,
    Help,
    Confirmation,
    HalfFilledForm,
}

const STATES: [State; 4] = [
    State::Screen,
    State::Help,
    State::Confirmation,
    State::HalfFilledForm,
];

/// `launchdeck demo --fresh` at cols×rows in a fresh home (kept alive with the app).
fn demo(cols: u16, rows: u16) -> (tempfile::TempDir, PtyApp) {
    demo_in_locale(cols, rows, "C.UTF-8")
}

fn demo_in_locale(cols: u16, rows: u16, lang: &str) -> (tempfile::TempDir, PtyApp) {
    demo_with(cols, rows, &[("LANG", lang)])
}

fn demo_with(cols: u16, rows: u16, extra: &[(&str, &str)]) -> (tempfile::TempDir, PtyApp) {
    let home = tempfile::tempdir().expect("temp home");
    let path = |p: std::path::PathBuf| p.to_str().expect("utf-8 temp path").to_string();
    let (home_path, data, config) = (
        path(home.path().to_path_buf()),
        path(home.path().join("data")),
        path(home.path().join("config")),
    );
    let app = PtyApp::spawn(
        &["demo", "--fresh", "--rate", "5"],
        &[
            ("HOME", home_path.as_str()),
            ("XDG_CONFIG_HOME", config.as_str()),
            ("LAUNCHDECK_DATA_DIR", data.as_str()),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect::<Vec<_>>(),
        cols,
        rows,
    );
    (home, app)
}

/// Brings the demo's console into `state`.
fn reach(app: &mut PtyApp, state: State) {
    app.wait_for("the Overview", |s| s.contains("[1 Overview]"));
    match state {
        State::Screen => {}
        State::Help => {
            app.send("?");
            app.wait_for_text("esc closes");
        }
        State::Confirmation => {
            app.wait_for("stuck calls on the Overview", |s| s.contains(" stuck"));
            app.send("c");
            app.wait_for("the cleanup plan", |s| s.contains("y confirm"));
        }
        State::HalfFilledForm => {
            app.wait_for("a broadcast selected", |s| {
                common::pty::cursor_line(s).is_some_and(|l| !l.trim().is_empty())
            });
            app.send("b");
            app.wait_for("the form", |s| {
                s.contains("Test broadcast") && s.contains("[ ]")
            });
            app.send(" ");
            app.wait_for_text("[x]");
        }
    }
}

fn signal_in(signal: Signal, state: State) {
    let (_home, mut app) = demo(120, 40);
    reach(&mut app, state);
    app.signal(signal);
    let code = app.wait_exit();
    assert!(code.is_some(), "{signal:?} in {state:?}: no exit");
    app.assert_terminal_restored();
}

#[test]
fn every_signal_in_every_state_ends_the_console_and_restores_the_terminal() {
    for signal in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        let runs: Vec<_> = STATES
            .iter()
            .map(|&state| thread::spawn(move || signal_in(signal, state)))
            .collect();
        for (run, state) in runs.into_iter().zip(STATES) {
            if let Err(panic) = run.join() {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{signal:?} in {state:?}: {why}");
            }
        }
    }
}

#[test]
fn a_tiny_terminal_and_resizes_under_a_modal_keep_the_console_working() {
    let (home, mut app) = demo(120, 40);
    app.resize(20, 5);
    // 20×5 shows what fits (or says the terminal is too small), and keys still work.
    app.wait_for("something drawn at 20×5", |s| !s.trim().is_empty());
    app.resize(120, 40);
    app.wait_for("the Overview after growing", |s| s.contains("[1 Overview]"));
    app.wait_for("stuck calls on the Overview", |s| s.contains(" stuck"));
    app.send("c");
    app.wait_for("the cleanup plan", |s| s.contains("y confirm"));
    for (cols, rows) in [(20, 5), (80, 24), (33, 7), (120, 40)] {
        app.resize(cols, rows);
        app.wait_for("a frame at the new size", |s| !s.trim().is_empty());
    }
    // Keys still work at the last size: the plan closes with nothing done, the help opens.
    app.send("\u{1b}");
    app.wait_for("the plan closed", |s| !s.contains("y confirm"));
    app.send("?");
    app.wait_for_text("esc closes");
    app.send("\u{1b}");
    app.wait_for("the help closed", |s| !s.contains("esc closes"));
    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    let audit =
        std::fs::read_to_string(home.path().join("data").join("audit.jsonl")).unwrap_or_default();
    assert!(
        !audit.contains("\"action\":\"cleanup\""),
        "the plan was closed, not confirmed:\n{audit}"
    );
}

/// Decision 12: a terminal without UTF-8 gets ASCII only — marks, borders, bars, masks —
/// on every screen, the help, a confirmation and a form.
#[test]
fn a_non_utf8_locale_gets_ascii_on_every_screen() {
    let (_home, mut app) = demo_in_locale(120, 40, "C");
    let mut seen = Vec::new();
    app.wait_for("the Overview", |s| {
        s.contains("[1 Overview]") && s.contains(" stuck")
    });
    for (key, tab) in [
        ("2", "[2 Readiness]"),
        ("3", "[3 Calls]"),
        ("4", "[4 Logs]"),
    ] {
        app.send(key);
        seen.push(app.wait_for(tab, |s| s.contains(tab)));
    }
    app.send("1");
    seen.push(app.wait_for("the Overview again", |s| s.contains("[1 Overview]")));
    for state in [State::Help, State::Confirmation] {
        reach(&mut app, state);
        seen.push(app.screen_text());
        app.send("\u{1b}");
        app.wait_for("closed", |s| {
            !s.contains("esc closes") && !s.contains("y confirm")
        });
    }
    // The form (the selection cursor is `>` here, so `reach` cannot find it).
    app.send("b");
    app.wait_for("the form", |s| {
        s.contains("Test broadcast") && s.contains("[ ]")
    });
    app.send(" ");
    seen.push(app.wait_for_text("[x]"));
    for screen in &seen {
        let odd: String = screen.chars().filter(|c| !c.is_ascii()).collect();
        assert!(odd.is_empty(), "non-ASCII {odd:?} on:\n{screen}");
    }
    let raw = app.raw_output();
    assert!(raw.is_ascii(), "every byte written is ASCII");
}

/// A panic on the console's loop or in any task restores the terminal, shows the panic's
/// message on the normal screen and ends the process (the terminal is never left raw, and
/// the console never goes on drawing on a restored terminal).
#[test]
fn a_panic_anywhere_restores_the_terminal_and_ends_the_console() {
    for place in ["main", "task"] {
        let (_home, mut app) = demo_with(120, 40, &[("LAUNCHDECK_TEST_PANIC", place)]);
        assert_eq!(
            app.wait_exit(),
            Some(101),
            "a panic ({place}) ends the console"
        );
        app.assert_terminal_restored();
        let output = String::from_utf8_lossy(&app.raw_output()).into_owned();
        let after = output.rsplit("\u{1b}[?1049l").next().unwrap_or_default();
        assert!(
            after.contains(&format!("LAUNCHDECK_TEST_PANIC={place}")),
            "the panic's message is printed after the terminal is restored ({place}):\n{after}"
        );
    }
}
