//! `launchdeck demo --fresh`, the real binary in a real 120×40 pty, on a fresh machine
//! (empty home, a temp data dir): the live dashboard with calls moving, every screen,
//! the help overlay, quit, and the terminal restored.

mod common;

use chrono::Utc;
use common::pty::{PtyApp, cursor_line, move_cursor_to, move_cursor_with};
use launchdeck_seed::first_campaign;

/// The `N` of `✗ N stuck` in the Calls screen's title line.
fn stuck_count(screen: &str) -> Option<u64> {
    let before = screen.split(" stuck").next()?;
    before.rsplit('✗').next()?.trim().parse().ok()
}

#[test]
fn the_demo_runs_every_screen_and_restores_the_terminal() {
    let home = tempfile::tempdir().expect("temp home");
    let home_path = home.path().to_str().expect("utf-8 temp path");
    let data_dir = home.path().join("data");
    let data_path = data_dir.to_str().expect("utf-8 temp path");
    let config_path = home.path().join("config");
    let mut app = PtyApp::spawn(
        &["demo", "--fresh", "--rate", "5"],
        &[
            ("HOME", home_path),
            (
                "XDG_CONFIG_HOME",
                config_path.to_str().expect("utf-8 temp path"),
            ),
            ("LAUNCHDECK_DATA_DIR", data_path),
        ],
        120,
        40,
    );
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);

    // The Overview: broadcast A (its name is cut to fit the column) in the demo.
    let name_start: String = facts.broadcast_a.name.chars().take(20).collect();
    let overview = app.wait_for_text(&name_start);
    assert!(
        overview.contains("demo"),
        "environment name shown:\n{overview}"
    );

    // Calls: the seeded stuck rows come first, marked.
    app.send("3");
    let calls = app.wait_for("stuck calls on the Calls screen", |s| {
        s.contains("[3 Calls]") && stuck_count(s).is_some_and(|n| n > 0)
    });
    assert!(calls.contains("••••"), "lead numbers masked:\n{calls}");

    // Logs, then the help overlay and back.
    app.send("4");
    app.wait_for("the Logs screen", |s| {
        s.contains("[4 Logs]") && s.contains("Call log")
    });
    // `enter` on a Retell row fetches Retell's record into the detail pane.
    app.send("/call_\r\r");
    let pane = app.wait_for("Retell's answer in the Logs detail", |s| {
        (s.contains("record     Retell: ") && !s.contains("fetching"))
            || s.contains("record     Retell has no call")
    });
    assert!(
        !pane.contains("not configured"),
        "the demo configures Retell:\n{pane}"
    );
    app.send("\u{1b}");
    app.wait_for("the detail closed", |s| !s.contains("record     "));
    app.send("\u{1b}");
    app.wait_for("the filter cleared", |s| {
        s.contains("Call log") && !s.contains("filter:")
    });
    app.send("?");
    app.wait_for_text("esc closes");
    app.send("\u{1b}");
    app.wait_for("the help closed", |s| {
        !s.contains("esc closes") && s.contains("Call log")
    });

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    assert!(
        data_dir.join("demo.sqlite").is_file(),
        "the demo database is kept in the data dir"
    );
}

/// `launchdeck demo --fresh <extra>` at 120×40 in a fresh home; the home holds the data
/// dir (`data`), so keep it alive as long as the app.
fn spawn_demo(extra: &[&str]) -> (tempfile::TempDir, PtyApp) {
    let home = tempfile::tempdir().expect("temp home");
    let home_path = home.path().to_str().expect("utf-8 temp path");
    let data_dir = home.path().join("data");
    let config_dir = home.path().join("config");
    let mut args = vec!["demo", "--fresh", "--rate", "5"];
    args.extend_from_slice(extra);
    let app = PtyApp::spawn(
        &args,
        &[
            ("HOME", home_path),
            (
                "XDG_CONFIG_HOME",
                config_dir.to_str().expect("utf-8 temp path"),
            ),
            (
                "LAUNCHDECK_DATA_DIR",
                data_dir.to_str().expect("utf-8 temp path"),
            ),
        ],
        120,
        40,
    );
    (home, app)
}

/// The Overview's line of the item whose name starts with `name_start`.
fn item_line<'a>(screen: &'a str, name_start: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        let l = l.trim_start_matches('›').trim_start();
        (l.starts_with("broadcast ") || l.starts_with("campaign ")) && l.contains(name_start)
    })
}

/// Moves the Overview's selection down onto the item named `name_start`.
fn select_item(app: &mut PtyApp, name_start: &str) {
    let screen = app.wait_for("the item on the Overview", |s| {
        item_line(s, name_start).is_some()
    });
    let items: Vec<&str> = screen
        .lines()
        .filter(|l| {
            let l = l.trim_start_matches('›').trim_start();
            l.starts_with("broadcast ") || l.starts_with("campaign ")
        })
        .collect();
    let index = items
        .iter()
        .position(|l| l.contains(name_start))
        .expect("listed");
    app.send(&"j".repeat(index));
    app.wait_for("the item selected", |s| {
        item_line(s, name_start).is_some_and(|l| l.starts_with('›'))
    });
}

fn item_status_is(screen: &str, name_start: &str, status: &str) -> bool {
    item_line(screen, name_start).is_some_and(|l| l.contains(&format!(" {status} ")))
}

#[test]
fn p_pauses_and_shift_p_resumes_the_selected_broadcast() {
    let (home, mut app) = spawn_demo(&[]);
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    let name = &facts.broadcast_a.name;
    let name_start: String = name.chars().take(20).collect();
    select_item(&mut app, &name_start);
    app.wait_for("the broadcast active", |s| {
        item_status_is(s, &name_start, "active")
    });

    app.send("p");
    let modal = app.wait_for("the pause modal", |s| s.contains("y confirm"));
    assert!(
        modal.contains(&format!("pause broadcast \"{name}\": active → paused")),
        "{modal}"
    );
    app.send("y");
    app.wait_for_text(&format!("paused broadcast \"{name}\": 1 changed"));
    app.wait_for("the Overview showing it paused", |s| {
        item_status_is(s, &name_start, "paused")
    });

    app.send("P");
    let modal = app.wait_for("the resume modal", |s| s.contains("y confirm"));
    assert!(
        modal.contains(&format!("resume broadcast \"{name}\": paused → active")),
        "{modal}"
    );
    app.send("y");
    app.wait_for_text(&format!("resumed broadcast \"{name}\": 1 changed"));
    app.wait_for("the Overview showing it active again", |s| {
        item_status_is(s, &name_start, "active")
    });

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    let audit = std::fs::read_to_string(home.path().join("data").join("audit.jsonl"))
        .expect("the demo's audit file in its data dir");
    assert_eq!(audit.lines().count(), 2, "{audit}");
}

#[test]
fn read_only_demo_explains_that_pause_is_disabled() {
    let (home, mut app) = spawn_demo(&["--read-only"]);
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    let name_start: String = facts.broadcast_a.name.chars().take(20).collect();
    select_item(&mut app, &name_start);
    app.send("p");
    let screen = app.wait_for_text("read-only: pause is disabled");
    assert!(!screen.contains("y confirm"), "no modal:\n{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    assert!(!home.path().join("data").join("audit.jsonl").exists());
}

#[test]
fn stuck_counts_are_read_from_the_calls_title() {
    assert_eq!(
        stuck_count(" Calls in flight 169 │ ✗ 19 stuck │ ? 10 ask provider"),
        Some(19)
    );
    assert_eq!(stuck_count(" Calls in flight 3 │ ✓ none stuck"), None);
}

#[test]
fn every_fix_key_works_in_the_demo() {
    let (home, mut app) = spawn_demo(&[]);
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    let name_start: String = facts.broadcast_a.name.chars().take(20).collect();
    app.wait_for_text(&name_start);

    // c: every stuck call, previewed with its counts, then cleaned up.
    app.wait_for("stuck calls on the Overview", |s| s.contains(" stuck"));
    app.send("c");
    let modal = app.wait_for("the cleanup plan", |s| s.contains("y confirm"));
    assert!(modal.contains("clean up"), "{modal}");
    assert!(modal.contains("stuck calls"), "{modal}");
    app.send("y");
    app.wait_for_text("cleaned up:");

    // F on the Readiness screen: the number without an outbound agent gets its inbound one.
    app.send("2");
    app.wait_for_text("has no outbound agent");
    move_cursor_to(&mut app, "has no outbound agent");
    app.send("F");
    let modal = app.wait_for("the outbound agent plan", |s| s.contains("y confirm"));
    assert!(modal.contains("set outbound agents of"), "{modal}");
    app.send("y");
    app.wait_for_text("fixed: 1 changed");
    app.wait_for("the check passing after the re-run", |s| {
        !s.contains("has no outbound agent")
    });

    // t: the calendar tokens that expire soon; one of the demo's grants was revoked.
    app.send("t");
    let modal = app.wait_for("the token plan", |s| s.contains("y confirm"));
    assert!(modal.contains("refresh"), "{modal}");
    app.send("y");
    app.wait_for_text("refreshed:");

    // a on the Overview: the last alert, selected by moving past the broadcasts.
    app.send("1");
    app.wait_for_text("Unacknowledged alerts");
    app.send("G");
    let screen = app.wait_for("an alert selected", |s| {
        cursor_line(s).is_some_and(|l| l.contains(':')) && s.contains("acknowledge")
    });
    let count = |s: &str| {
        s.split("Unacknowledged alerts (")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .and_then(|n| n.parse::<u32>().ok())
    };
    let before = count(&screen).expect("the alert count");
    app.send("a");
    app.wait_for("the acknowledge plan", |s| s.contains("y confirm"));
    app.send("y");
    app.wait_for_text("acknowledged: 1 changed");
    app.wait_for("one alert fewer", |s| count(s) == Some(before - 1));

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    let audit = std::fs::read_to_string(home.path().join("data").join("audit.jsonl"))
        .expect("the demo's audit file in its data dir");
    for action in [
        "cleanup",
        "fix-outbound-agent",
        "refresh-tokens",
        "acknowledge",
    ] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "{action} audited:\n{audit}"
        );
    }
}

#[test]
fn emergency_stop_and_its_lift_from_the_keys_in_the_demo() {
    let (home, mut app) = spawn_demo(&[]);
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    let name = facts.campaign.name.clone();
    let name_start: String = name.chars().take(20).collect();
    app.wait_for_text(&name_start);
    move_cursor_to(&mut app, &name_start);

    // X: the plan, then the campaign's exact name typed; a wrong one is refused.
    app.send("X");
    let modal = app.wait_for("the stop plan", |s| s.contains("confirm typed name"));
    assert!(modal.contains("emergency stop campaign"), "{modal}");
    assert!(modal.contains("left to finish"), "{modal}");
    app.send("y\r");
    app.wait_for_text("does not match");
    app.send("\x7f");
    app.send(&format!("{name}\r"));
    app.wait_for_text("stopped campaign");
    // The stop shows in words on every screen while it is active.
    app.wait_for("the stop badge", |s| {
        s.contains("STOPS ACTIVE") || s.contains("STOPPED")
    });
    let item = app.wait_for("the campaign paused", |s| {
        item_line(s, &name_start).is_some_and(|l| l.contains("paused"))
    });
    assert!(item.contains("STOP"), "{item}");

    // F on its Safety check lifts it; the campaign stays paused.
    // The Safety area is the last: from the bottom, up to the stop's check.
    app.send("2");
    app.send("G");
    app.wait_for_text("active campaign stop");
    move_cursor_with(&mut app, "active campaign stop", "k");
    app.send("F");
    let modal = app.wait_for("the lift plan", |s| s.contains("y confirm"));
    assert!(modal.contains("lift the campaign stop"), "{modal}");
    app.send("y");
    app.wait_for_text("lifted");
    app.wait_for("the check gone after the re-run", |s| {
        !s.contains("active campaign stop")
    });

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    let audit = std::fs::read_to_string(home.path().join("data").join("audit.jsonl"))
        .expect("the demo's audit file");
    for action in ["stop", "stop --lift"] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "{action} audited:\n{audit}"
        );
    }
}

#[test]
fn a_test_broadcast_from_the_keys_in_the_demo() {
    let (home, mut app) = spawn_demo(&[]);
    let (_, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    let name_start: String = facts.broadcast_a.name.chars().take(20).collect();
    app.wait_for_text(&name_start);
    move_cursor_to(&mut app, &name_start);

    // b: the form on the selected broadcast; one of the demo's own numbers marked.
    app.send("b");
    app.wait_for("the form", |s| {
        s.contains("Test broadcast") && s.contains("[ ]")
    });
    app.send(" ");
    app.wait_for_text("[x]");
    app.send("\r");
    // The demo's readiness has a blocking failure (a number without an outbound agent):
    // the plan says so and `o` overrides it explicitly.
    let plan = app.wait_for("the plan", |s| {
        s.contains("y confirm") || s.contains("o override")
    });
    if plan.contains("o override") {
        assert!(plan.contains("readiness blocks the test"), "{plan}");
        app.send("o");
        let overridden = app.wait_for_text("y confirm");
        assert!(overridden.contains("overridden"), "{overridden}");
    }
    let plan = app.wait_for_text("y confirm");
    assert!(plan.contains("place 1 test call"), "{plan}");
    app.send("y");
    // Progress, then the result once the call ended at the provider.
    app.wait_for("the call followed", |s| {
        s.contains("following the calls") && (s.contains("ringing") || s.contains("in progress"))
    });
    app.wait_for_text("in progress");
    let done = app.wait_for_text("test broadcast finished");
    assert!(done.contains("••••0181 completed"), "{done}");

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    let audit = std::fs::read_to_string(home.path().join("data").join("audit.jsonl"))
        .expect("the demo's audit file");
    assert!(audit.contains("\"action\":\"test-broadcast\""), "{audit}");
    assert!(
        !audit.contains("2025550181"),
        "numbers masked in the audit: {audit}"
    );
}
