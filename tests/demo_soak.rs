//! The soak with an operator at the keys (quality.md "Soak"): `launchdeck demo --fresh
//! --faults` at a high call rate, the real binary in a pty, while this script does what an
//! operator does, round after round — every screen and the help, clean up, refresh tokens,
//! pause and resume, acknowledge, a test broadcast — and samples the process from /proc
//! after each round. It ends with no panic, exit 0, the terminal restored, and no growth
//! of threads, open files or live tasks beyond the warm-up.
//!
//! CI runs it for 45 s (at least four rounds); the documented long run sets `LAUNCHDECK_SOAK_SECONDS=600` (see
//! docs/BENCHMARKS.md, "Soak with an operator at the keys").

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::pty::PtyApp;

/// How long CI soaks; `LAUNCHDECK_SOAK_SECONDS` overrides.
const CI_SECONDS: u64 = 45;
/// New calls per second in the demo.
const RATE: &str = "20";
/// The longest a plan may take to read: the stuck calls the faults leave behind pile up
/// between rounds, and each is asked about at the provider once a second.
const PLAN_DEADLINE: Duration = Duration::from_secs(240);
/// Rounds before the baseline sample: the demo's calls in flight and caches fill up.
const WARM_UP_ROUNDS: usize = 2;

#[derive(Debug, Clone, Copy)]
struct Sample {
    round: usize,
    rss_kb: u64,
    threads: u64,
    fds: u64,
}

fn sample(pid: u32, round: usize) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc fd")
        .count() as u64;
    Sample {
        round,
        rss_kb: field("VmRSS:"),
        threads: field("Threads:"),
        fds,
    }
}

fn soak_seconds() -> u64 {
    std::env::var("LAUNCHDECK_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CI_SECONDS)
}

fn lines_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// A modal is open and waits for the operator (not while it applies).
fn asks(screen: &str) -> bool {
    screen.contains("y confirm") || screen.contains("esc/enter close")
}

/// An action key that opens a plan: confirm it when it changes something (and wait for
/// its result in the audit file and the modal's spinner, `doing`, to go), close it when
/// it changes nothing.
fn run_action(app: &mut PtyApp, (key, doing): (&str, &str), audit: &Path) {
    app.send(key);
    // A cleanup plan asks the provider about each stuck call, one a second.
    let plan = app.wait_for_within(PLAN_DEADLINE, &format!("the plan of {key}"), asks);
    if plan.contains("y confirm") {
        let before = lines_in(audit);
        app.send("y");
        app.wait_for_within(PLAN_DEADLINE, &format!("{key} applied"), |s| {
            !asks(s) && !s.contains(doing) && lines_in(audit) > before
        });
    } else {
        app.send("\r");
        app.wait_for(&format!("{key}'s plan closed"), |s| !asks(s));
    }
}

/// A one-call test broadcast on the selected item, followed to its end.
fn test_broadcast(app: &mut PtyApp, audit: &Path) {
    app.send("b");
    app.wait_for("the form", |s| {
        s.contains("Test broadcast") && s.contains("[ ]")
    });
    app.send(" ");
    app.wait_for_text("[x]");
    app.send("\r");
    let plan = app.wait_for("the test plan", |s| {
        s.contains("y confirm") || s.contains("o override") || s.contains("esc/enter close")
    });
    if plan.contains("o override") {
        app.send("o");
        app.wait_for("the overridden plan", |s| {
            asks(s) && !s.contains("o override")
        });
    }
    let plan = app.screen_text();
    if !plan.contains("y confirm") {
        app.send("\r");
        app.wait_for("the test plan closed", |s| !asks(s));
        return;
    }
    app.send("y");
    // Its result toast: finished, done (not all fine) or failed.
    app.wait_for("the test broadcast's end", |s| {
        s.contains("test broadcast ") && !asks(s)
    });
    assert!(audit.exists(), "the test broadcast is audited");
}

/// One round of the operator's work.
fn operator_round(app: &mut PtyApp, audit: &Path, round: usize) {
    for (key, tab) in [
        ("2", "[2 Readiness]"),
        ("3", "[3 Calls]"),
        ("4", "[4 Logs]"),
        ("1", "[1 Overview]"),
    ] {
        app.send(key);
        app.wait_for(tab, |s| s.contains(tab));
    }
    app.send("?");
    app.wait_for_text("esc closes");
    app.send("\u{1b}");
    app.wait_for("the help closed", |s| !s.contains("esc closes"));

    run_action(app, ("c", "cleaning up"), audit);
    run_action(app, ("t", "refreshing tokens"), audit);
    app.send("g");
    run_action(app, ("p", "pausing"), audit);
    run_action(app, ("P", "resuming"), audit);
    if has_alerts(&app.screen_text()) {
        app.send("G");
        app.wait_for("an alert selected", |s| s.contains("a acknowledge"));
        run_action(app, ("a", "acknowledging"), audit);
        app.send("g");
    }
    if round.is_multiple_of(3) {
        test_broadcast(app, audit);
    }
}

fn has_alerts(screen: &str) -> bool {
    screen
        .split("Unacknowledged alerts (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n > 0)
}

/// The `tasks=N` of each resource report in the demo's log.
fn live_tasks(log: &Path) -> Vec<u64> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("demo: resources"))
        .filter_map(|l| l.split("tasks=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

fn spawn(home: &Path) -> (PtyApp, PathBuf, PathBuf) {
    let data = home.join("data");
    let path = |p: &Path| p.to_str().expect("utf-8 temp path").to_string();
    let (home_s, data_s, config_s) = (path(home), path(&data), path(&home.join("config")));
    let app = PtyApp::spawn(
        &["demo", "--fresh", "--faults", "--rate", RATE],
        &[
            ("HOME", home_s.as_str()),
            ("XDG_CONFIG_HOME", config_s.as_str()),
            ("LAUNCHDECK_DATA_DIR", data_s.as_str()),
            ("LAUNCHDECK_DEMO_REPORT_EVERY", "5s"),
        ],
        120,
        40,
    );
    (app, data.join("audit.jsonl"), data.join("launchdeck.log"))
}

#[test]
fn the_demo_soaks_with_an_operator_at_the_keys() {
    let home = tempfile::tempdir().expect("temp home");
    let (mut app, audit, log) = spawn(home.path());
    let pid = app.pid();
    app.wait_for("the Overview with its data", |s| {
        s.contains("[1 Overview]") && s.contains(" stuck")
    });
    let deadline = Instant::now() + Duration::from_secs(soak_seconds());
    let mut samples = Vec::new();
    let mut round = 0;
    while Instant::now() < deadline || round <= WARM_UP_ROUNDS + 1 {
        operator_round(&mut app, &audit, round);
        samples.push(sample(pid, round));
        round += 1;
    }
    for s in &samples {
        eprintln!(
            "round {:>3}: RSS {:>7} kB, threads {:>3}, fds {:>3}",
            s.round, s.rss_kb, s.threads, s.fds
        );
    }
    let tasks = live_tasks(&log);
    eprintln!("live tasks, every 5 s: {tasks:?}");

    app.send("q");
    assert_eq!(
        app.wait_exit(),
        Some(0),
        "quit cleanly after {round} rounds"
    );
    app.assert_terminal_restored();
    let log_text = std::fs::read_to_string(&log).expect("the demo's log");
    assert!(!log_text.contains("panicked"), "no panic in the log");
    assert_steady(&samples[WARM_UP_ROUNDS..], &tasks);
}

/// After the warm-up, threads and open files stay within a small band of the first
/// sample, and live tasks do not climb (a leak grows every round; the console's own
/// tasks come and go with the actions and polls).
fn assert_steady(samples: &[Sample], tasks: &[u64]) {
    let first = samples[0];
    let last = samples[samples.len() - 1];
    let most = |f: fn(&Sample) -> u64| samples.iter().map(f).max().unwrap_or(0);
    assert!(
        most(|s| s.threads) <= first.threads + 4,
        "threads grew: {first:?} → {:?}",
        most(|s| s.threads)
    );
    assert!(
        most(|s| s.fds) <= first.fds + 16,
        "open files grew: {first:?} → max {}",
        most(|s| s.fds)
    );
    assert!(
        last.rss_kb <= first.rss_kb + 64 * 1024,
        "RSS grew by more than 64 MB: {first:?} → {last:?}"
    );
    assert!(tasks.len() >= 4, "the demo reported its tasks: {tasks:?}");
    let settled = &tasks[tasks.len() / 2..];
    let baseline = tasks[1..tasks.len() / 2].iter().copied().max().unwrap_or(0);
    assert!(
        settled.iter().all(|&n| n <= baseline + 16),
        "live tasks climb: {tasks:?}"
    );
}
