//! A signal while an action is being written (product.md Decision 9: an action cut by
//! SIGHUP/SIGTERM commits whole or rolls back, and the audit record is written only
//! after the commit). The real binary reaches PostgreSQL through a testkit `TcpProxy`
//! that holds the cleanup's first write until the test lets it go, so the signal lands
//! while the change is under way, every run. launchdeck finishes the change first (it
//! is bounded by the database's timeouts), audits it and only then exits: the 500 rows
//! are all written, and both audit copies say so.

#[path = "common/actions.rs"]
#[allow(dead_code)]
mod actions;
mod common;

use std::time::Duration;

use actions::{CLEANUP_UPDATE, Env, code, stderr, stdout, stuck_broadcast_rows, wait_held};
use common::pty::PtyApp;
use launchdeck_testkit::{HoldAt, wait_until};
use nix::sys::signal::Signal;

const ROWS: u128 = 500;
const PATIENCE: Duration = Duration::from_secs(30);

/// The 500 rows are written and audited as changed in the database and in the file.
async fn assert_committed_whole_and_audited(env: &Env) {
    assert_eq!(env.count("broadcast_queue", "pending").await, 500);
    assert_eq!(env.count("broadcast_queue", "calling").await, 0);
    let audited = env.audit_rows().await;
    assert_eq!(audited.len(), 500, "audited in the database");
    assert!(audited.iter().all(|r| r.3 == "changed"), "{:?}", audited[0]);
    let in_file = env.audit_file_results();
    assert_eq!(in_file.len(), 500, "audited in audit.jsonl");
    assert!(in_file.iter().all(|r| r == "changed"), "{:?}", in_file[0]);
}

async fn cleanup_through(signal: Signal) {
    let (env, proxy) = Env::through_proxy(&stuck_broadcast_rows(ROWS)).await;
    proxy.hold(HoldAt::text(CLEANUP_UPDATE));
    let mut running = env.start(&["cleanup", "--yes"]);
    wait_held(&proxy, 1, &mut running).await;
    running.signal(signal);
    // Handled, not fatal: the log says so while the write is still held.
    let handled = wait_until(PATIENCE, || {
        let done = env.log_file().contains("signal while applying") || running.has_exited();
        async move { done }
    })
    .await;
    assert!(
        handled && !running.has_exited(),
        "{signal} ended launchdeck mid-change"
    );
    proxy.release();
    let out = running.output().await;

    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{signal}: finishing the change under way first")),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("changed 500, skipped 0, failed 0; audited"),
        "{}",
        stdout(&out)
    );
    assert_committed_whole_and_audited(&env).await;
}

#[tokio::test]
async fn sighup_during_a_cleanup_lets_it_commit_whole_and_audited() {
    cleanup_through(Signal::SIGHUP).await;
}

#[tokio::test]
async fn sigterm_during_a_cleanup_lets_it_commit_whole_and_audited() {
    cleanup_through(Signal::SIGTERM).await;
}

#[tokio::test]
async fn sigint_during_a_cleanup_lets_it_commit_whole_and_audited() {
    cleanup_through(Signal::SIGINT).await;
}

/// Whether the console has left the alternate screen (its terminal restored).
fn left_the_alternate_screen(app: &PtyApp) -> bool {
    let raw = app.raw_output();
    let text = String::from_utf8_lossy(&raw);
    text.rfind("\u{1b}[?1049l") > text.rfind("\u{1b}[?1049h")
}

fn console_through(signal: Signal) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (env, proxy) = rt.block_on(Env::through_proxy(&stuck_broadcast_rows(ROWS)));
    let vars = env.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut app = PtyApp::spawn(&[], &vars, 120, 40);
    app.send("3");
    app.wait_for("the stuck rows", |s| {
        s.contains("Calls in flight") && s.contains('✗')
    });
    app.send("c");
    app.wait_for("the cleanup plan", |s| s.contains("y confirm"));
    proxy.hold(HoldAt::text(CLEANUP_UPDATE));
    app.send("y");
    let held = rt.block_on(wait_until(PATIENCE, || async { proxy.held() == 1 }));
    assert!(
        held,
        "the cleanup's write did not start:\n{}",
        app.screen_text()
    );

    app.signal(signal);
    // The terminal is given back at once; the process stays for the change under way.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !left_the_alternate_screen(&app) && std::time::Instant::now() < deadline {
        std::thread::park_timeout(Duration::from_millis(20));
    }
    assert!(
        left_the_alternate_screen(&app),
        "the terminal was not restored"
    );
    proxy.release();
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(assert_committed_whole_and_audited(&env));
}

#[test]
fn sighup_while_the_console_writes_a_cleanup_lets_it_commit_whole_and_audited() {
    console_through(Signal::SIGHUP);
}

#[test]
fn sigterm_while_the_console_writes_a_cleanup_lets_it_commit_whole_and_audited() {
    console_through(Signal::SIGTERM);
}
