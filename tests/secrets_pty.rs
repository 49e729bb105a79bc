//! Issue #11 on the console: the real binary in a pty, every screen, the help, each
//! action's preview and confirmation, each form and detail captured; no secret and no
//! lead number in full in any capture, in everything the program wrote to the
//! terminal, nor in its log file and `audit.jsonl`. Against PostgreSQL loaded with the
//! first-campaign data set and the provider fakes (secrets from the environment and a
//! config file), and in the demo (its own secrets, its own leads).

mod common;

#[path = "common/launch_world.rs"]
mod launch_world;

#[path = "common/leaks.rs"]
mod leaks;

#[path = "common/roles.rs"]
mod roles;

use std::path::{Path, PathBuf};

use common::pty::{PtyApp, cursor_line, move_cursor_to, move_cursor_with};
use launch_world::{LaunchWorld, OWNED, write_private};
use leaks::{Leaks, without_escapes};

const DB_PASSWORD: &str = "dbpw0console0canary0value0jj99";

/// What a modal says once hanging up is chosen.
const HUNG_UP: &str = "will be hung up at the provider";

/// Not in the allowlist.
const NOT_OWNED: &str = "+12025550183";

/// The console in a pty, and what its screens must not show.
struct Console {
    app: PtyApp,
    leaks: Leaks,
    captures: usize,
}

impl Console {
    /// Waits until the screen shows what `ready` wants, checks it, and returns it.
    fn capture(&mut self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let screen = self.app.wait_for(what, ready);
        self.leaks
            .assert_clean(&format!("the screen with {what}"), &screen);
        self.captures += 1;
        screen
    }

    fn capture_text(&mut self, needle: &str) -> String {
        self.capture(needle, |s| s.contains(needle))
    }

    fn send(&mut self, keys: &str) {
        self.app.send(keys);
    }

    /// `esc`, then waits until no modal, form, detail or help is open: an `esc` and a
    /// key right after it would read as alt+key.
    fn close(&mut self) {
        self.app.send("\u{1b}");
        self.app.wait_for("the overlay closed", no_overlay);
    }

    /// Everything the program wrote to the terminal so far, escapes removed.
    fn assert_raw_output_clean(&mut self) {
        let raw = without_escapes(&self.app.raw_output());
        self.leaks.assert_clean("the terminal output", &raw);
        self.captures += 1;
    }
}

/// The key-hint bar offers no way out of anything: nothing is open over the screen.
fn no_overlay(screen: &str) -> bool {
    [
        "esc cancel",
        "close help",
        "close detail",
        "esc/enter close",
        "stop following",
    ]
    .iter()
    .all(|hint| !screen.contains(hint))
}

fn quit(console: &mut Console) {
    console.send("q");
    assert_eq!(console.app.wait_exit(), Some(0));
    console.app.assert_terminal_restored();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The console's log, written at trace level as the config file asks.
fn read_trace_log(path: &Path) -> String {
    let log = read(path);
    assert!(
        log.contains(" TRACE "),
        "trace logging reached {}",
        path.display()
    );
    log
}

/// The live console at 120×40 on the seeded world, its home in `home`.
fn live_console(world: &LaunchWorld, url: &str, home: &Path, log: &Path) -> PtyApp {
    let config = home.join("config").join("launchdeck").join("config.toml");
    write_private(&config, &world.config_text(url));
    let home_text = home.to_str().expect("utf-8 temp path").to_string();
    let mut env: Vec<(&str, String)> = vec![
        ("HOME", home_text.clone()),
        ("XDG_CONFIG_HOME", format!("{home_text}/config")),
        ("LAUNCHDECK_DATA_DIR", format!("{home_text}/data")),
    ];
    env.extend(world.provider_env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let log = log.to_str().expect("utf-8 temp path");
    PtyApp::spawn(&["--log-file", log], &env, 120, 40)
}

#[test]
fn the_console_shows_no_secret_and_no_full_lead_number() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (world, url) = rt.block_on(async {
        let world = LaunchWorld::new().await;
        let role = format!("ld_{}", world.db.name());
        let grants = format!(
            "{}\n{}",
            roles::read_grants(&role, DB_PASSWORD),
            roles::write_grants(&role, world.db.name())
        );
        let url = roles::create_role(&world.db, &role, DB_PASSWORD, &grants).await;
        (world, url)
    });
    let home = tempfile::tempdir().expect("temp home");
    let log = home.path().join("logs").join("console.log");
    let mut secrets = world.secrets();
    secrets.extend([DB_PASSWORD, launch_world::world::TWILIO_SID].map(String::from));
    let mut c = Console {
        app: live_console(&world, &url, home.path(), &log),
        leaks: Leaks::new(secrets).lead_numbers(leaks::seed_lead_numbers(&world.data)),
        captures: 0,
    };
    let facts = &world.facts;
    let campaign_start: String = facts.campaign.name.chars().take(20).collect();

    overview_and_help(&mut c, &campaign_start);
    readiness(&mut c);
    calls(&mut c);
    logs(&mut c, &facts.retell_calls[0].call_id);
    refusing_providers(&mut c, &world, &facts.retell_calls[1].call_id);
    item_actions(&mut c, &campaign_start, &facts.campaign.name);
    alerts(&mut c);
    applied_actions(&mut c, &campaign_start);
    stop_and_lift(&mut c, &campaign_start, &facts.campaign.name);
    c.assert_raw_output_clean();

    // `v` reveals the numbers for the session: the same search now finds them, so it
    // looks where they would be.
    c.send("3v");
    let revealed = c.app.wait_for("a revealed number", |s| {
        s.contains("Calls in flight") && !c.leaks.find(s).is_empty()
    });
    assert!(!revealed.is_empty());
    quit(&mut c);
    c.leaks
        .assert_clean("the console's log file", &read_trace_log(&log));
    let audit = read(&home.path().join("data").join("audit.jsonl"));
    c.leaks.assert_clean("the console's audit.jsonl", &audit);

    // The database away: the header says so, the password in its URL shows nowhere.
    let mut unreachable = url::Url::parse(&url).expect("role URL");
    unreachable.set_port(Some(1)).expect("port");
    let away = tempfile::tempdir().expect("temp home");
    let away_log = away.path().join("console.log");
    c.app = live_console(&world, unreachable.as_str(), away.path(), &away_log);
    c.capture_text("unreachable since");
    c.send("?");
    c.capture_text("esc closes");
    c.close();
    c.assert_raw_output_clean();
    quit(&mut c);
    c.leaks
        .assert_clean("the console's log file", &read(&away_log));
    eprintln!("console: {} captures checked", c.captures + 2);
}

fn overview_and_help(c: &mut Console, campaign_start: &str) {
    c.capture_text(campaign_start);
    c.capture("the stuck counts", |s| s.contains("stuck"));
    c.send("?");
    c.capture_text("esc closes");
    c.close();
}

/// Readiness: the checks with the providers' answers, a check's detail, and the fixes
/// offered from it.
fn readiness(c: &mut Console) {
    c.send("2");
    let first = cursor_line(&c.capture_text("has no outbound agent")).map(str::to_string);
    c.send("G");
    c.capture("the last checks", |s| {
        cursor_line(s).map(str::to_string) != first
    });
    move_cursor_with(&mut c.app, "has no outbound agent", "k");
    c.send("\r");
    c.capture("the check's detail", |s| s.contains("close detail"));
    c.close();
    c.send("F");
    c.capture("the outbound agent fix", |s| s.contains("y confirm"));
    c.close();
    c.send("t");
    c.capture("the token refresh plan", |s| {
        s.contains("y confirm") || s.contains("esc/enter close")
    });
    c.close();
}

/// Calls: every row in flight, the bottom of the list, the cleanup plan with and
/// without hanging up.
fn calls(c: &mut Console) {
    c.send("3");
    let top = c.capture("the stuck rows", |s| {
        s.contains("Calls in flight") && s.contains('✗')
    });
    c.send("G");
    c.capture("the bottom of the calls", |s| s != top);
    c.send("g");
    c.send("c");
    let plan = c.capture("the cleanup plan", |s| s.contains("y confirm"));
    assert!(plan.contains("clean up"), "{plan}");
    c.send("h");
    c.capture("the calls to hang up", |s| s.contains(HUNG_UP));
    c.close();
}

/// Logs: the list, a filter, one call's detail with the provider's own record.
fn logs(c: &mut Console, live_call_id: &str) {
    c.send("4");
    c.capture_text("Call log");
    call_detail(c, live_call_id);
}

/// On Logs: the call with `call_id` filtered, its detail with what Retell answered, then
/// the filter cleared.
fn call_detail(c: &mut Console, call_id: &str) {
    c.send(&format!("/{call_id}"));
    c.capture_text(&format!("filter: {call_id}"));
    c.send("\r");
    c.app.wait_for("the one call listed", |s| {
        s.contains(" 1 shown") && !s.contains("keep filter")
    });
    c.send("\r");
    c.capture("Retell's record of the call", |s| {
        s.contains("record     Retell") && !s.contains("fetching")
    });
    c.close();
    c.send("\u{1b}");
    c.app
        .wait_for("the filter cleared", |s| !s.contains("filter:"));
}

/// Every provider refusing the keys: the readiness checks run again and a call's record
/// say so; then the providers answer again.
fn refusing_providers(c: &mut Console, world: &LaunchWorld, call_id: &str) {
    world.providers_answer(401);
    c.send("2R");
    c.capture("the providers' refusals", |s| {
        s.contains("Retell credentials rejected") && s.contains("Twilio credentials rejected")
    });
    c.send("4");
    c.app.wait_for_text("Call log");
    call_detail(c, call_id);
    world.providers_recover();
    c.send("2R");
    c.capture_text("has no outbound agent");
}

/// On the campaign: pause, resume, the emergency stop with its typed name and hang-up
/// choice, the test broadcast form and its plan; each cancelled.
fn item_actions(c: &mut Console, campaign_start: &str, campaign: &str) {
    c.send("1");
    c.app.wait_for_text(campaign_start);
    move_cursor_to(&mut c.app, campaign_start);
    c.send("p");
    c.capture("the pause plan", |s| s.contains("y confirm"));
    c.close();
    c.send("P");
    c.capture("the resume plan", |s| s.contains("esc/enter close"));
    c.close();

    c.send("X");
    c.capture_text("confirm typed name");
    c.send(&campaign[..3]);
    c.capture_text(&format!("{}█", &campaign[..3]));
    c.send("\t");
    c.capture("the calls to hang up", |s| s.contains(HUNG_UP));
    c.close();

    c.send("b");
    c.capture("the test broadcast form", |s| s.contains(OWNED[0]));
    c.send(" ");
    c.capture_text("[x]");
    c.send("\t");
    c.send(NOT_OWNED);
    c.send("\r");
    c.capture("the typed number refused", |s| {
        s.contains("is not in the test")
    });
    c.close();
    c.send("b");
    c.capture("the test broadcast form", |s| s.contains(OWNED[0]));
    c.send(" \r");
    let plan = c.capture("the test plan", |s| {
        s.contains("y confirm") || s.contains("o override")
    });
    if plan.contains("o override") {
        c.send("o");
        c.capture("the overridden plan", |s| s.contains("y confirm"));
    }
    c.close();
}

/// The last alert on the Overview and its acknowledge plan.
fn alerts(c: &mut Console) {
    c.send("G");
    c.capture("an alert selected", |s| {
        cursor_line(s).is_some_and(|l| l.contains(':')) && s.contains("acknowledge")
    });
    c.send("a");
    c.capture("the acknowledge plan", |s| s.contains("y confirm"));
    c.close();
}

/// Applied from the keys, for their progress and results: the token refresh, the
/// cleanup with hang-ups, the outbound agent fix and a test call.
fn applied_actions(c: &mut Console, campaign_start: &str) {
    c.send("t");
    c.app
        .wait_for("the token plan", |s| s.contains("y confirm"));
    c.send("y");
    c.capture_text("refreshed:");

    c.send("3");
    c.app
        .wait_for("the calls", |s| s.contains("Calls in flight"));
    c.send("c");
    c.app
        .wait_for("the cleanup plan", |s| s.contains("y confirm"));
    c.send("h");
    c.send("y");
    c.capture_text("cleaned up:");

    // From the bottom up: the re-runs moved the checks.
    c.send("2G");
    c.app.wait_for_text("[2 Readiness]");
    move_cursor_with(&mut c.app, "has no outbound agent", "k");
    c.send("F");
    c.app.wait_for("the fix plan", |s| s.contains("y confirm"));
    c.send("y");
    c.capture_text("fixed: 1 changed");

    c.send("1g");
    c.app.wait_for("the first item selected", |s| {
        cursor_line(s).is_some_and(|l| l.contains("broadcast"))
    });
    move_cursor_to(&mut c.app, campaign_start);
    c.send("b");
    c.app.wait_for("the form", |s| s.contains(OWNED[0]));
    c.send(" \r");
    let plan = c.app.wait_for("the plan", |s| {
        s.contains("y confirm") || s.contains("o override")
    });
    if plan.contains("o override") {
        c.send("o");
        c.app.wait_for_text("y confirm");
    }
    c.send("y");
    let done = c.capture_text("test broadcast finished");
    assert!(done.contains("••••0181"), "{done}");
}

/// The emergency stop applied with the typed name, then lifted from its Safety check.
fn stop_and_lift(c: &mut Console, campaign_start: &str, campaign: &str) {
    c.send("X");
    c.app.wait_for_text("confirm typed name");
    c.send(&format!("{campaign}\r"));
    c.capture_text("stopped campaign");
    c.send("2G");
    c.app.wait_for_text("active campaign stop");
    move_cursor_with(&mut c.app, "active campaign stop", "k");
    c.send("F");
    c.capture("the lift plan", |s| s.contains("y confirm"));
    c.send("y");
    c.capture_text("lifted");
    c.send("1");
    c.app.wait_for_text(campaign_start);
}

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

/// The demo's own secrets (known to its fakes) and the fakes' canaries.
fn demo_secrets() -> Vec<&'static str> {
    use launchdeck_sim::demo::*;
    let mut secrets = vec![
        DEMO_RETELL_API_KEY,
        DEMO_TWILIO_ACCOUNT_SID,
        DEMO_TWILIO_AUTH_TOKEN,
        DEMO_ELEVENLABS_API_KEY,
        DEMO_GOOGLE_CLIENT_SECRET,
        DEMO_GOOGLE_REFRESH_TOKEN,
        DEMO_GOOGLE_REVOKED_REFRESH_TOKEN,
        launchdeck_seed::first_campaign::GOOGLE_ACCESS_TOKEN_CANARY,
    ];
    secrets.extend(launchdeck_sim::fakes::CANARIES);
    secrets
}

/// Every contact number in the demo's database, the simulator's new leads included.
fn demo_lead_numbers(database: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", database.display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("demo.sqlite");
        let mut numbers = Vec::new();
        for (table, column) in [
            ("leads", "phone_number"),
            ("broadcast_queue", "phone_number"),
            ("dialing_queues", "phone_number"),
            ("call_logs", "phone_number"),
            ("dnc_list", "phone_number"),
        ] {
            let sql = format!("SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL");
            let found: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"));
            numbers.extend(found);
        }
        numbers
    })
}

#[test]
fn the_demo_shows_no_secret_and_no_full_lead_number() {
    let home = tempfile::tempdir().expect("temp home");
    let home_path = home.path().to_str().expect("utf-8 temp path");
    let data_dir: PathBuf = home.path().join("data");
    let config_dir = home.path().join("config");
    let env = [
        ("HOME", home_path),
        ("XDG_CONFIG_HOME", config_dir.to_str().expect("utf-8")),
        ("LAUNCHDECK_DATA_DIR", data_dir.to_str().expect("utf-8")),
    ];
    let mut app = PtyApp::spawn(&["demo", "--fresh", "--rate", "5"], &env, 120, 40);
    // The numbers are known once the data set is in: the screens are checked after.
    let mut screens = Vec::new();
    let mut shoot = |app: &PtyApp, what: &str, ready: &dyn Fn(&str) -> bool| {
        screens.push((what.to_string(), app.wait_for(what, ready)));
    };
    shoot(&app, "the Overview", &|s| {
        s.contains("demo") && s.contains("stuck")
    });
    app.send("?");
    shoot(&app, "the help", &|s| s.contains("esc closes"));
    app.send("\u{1b}");
    app.wait_for("the help closed", no_overlay);
    app.send("2");
    shoot(&app, "Readiness", &|s| s.contains("has no outbound agent"));
    app.send("3");
    shoot(&app, "Calls", &|s| {
        s.contains("Calls in flight") && s.contains('✗')
    });
    app.send("c");
    shoot(&app, "the cleanup plan", &|s| s.contains("y confirm"));
    app.send("\u{1b}");
    app.wait_for("the plan closed", no_overlay);
    app.send("4");
    shoot(&app, "Logs", &|s| s.contains("Call log"));
    app.send("/call_\r");
    app.wait_for("the filtered calls", |s| {
        s.contains("filter: call_") && !s.contains("keep filter") && s.contains("••••")
    });
    app.send("\r");
    shoot(&app, "a call's detail", &|s| {
        (s.contains("record     Retell") && !s.contains("fetching")) || s.contains("no call")
    });
    app.send("\u{1b}");
    app.wait_for("the detail closed", |s| !s.contains("close detail"));
    app.send("\u{1b}");
    app.wait_for("the filter cleared", |s| !s.contains("filter:"));
    app.send("1");
    shoot(&app, "the Overview again", &|s| {
        s.contains("Unacknowledged alerts")
    });
    app.send("b");
    shoot(&app, "the test broadcast form", &|s| {
        s.contains("Test broadcast")
    });
    app.send("\u{1b}");
    app.wait_for("the form closed", no_overlay);
    let raw = without_escapes(&app.raw_output());
    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));

    let numbers = demo_lead_numbers(&data_dir.join(launchdeck_sim::demo::DATABASE_FILE));
    let leaks = Leaks::new(demo_secrets()).lead_numbers(numbers);
    assert!(
        leaks.lead_number_count() > 1000,
        "the demo's leads were read"
    );
    for (what, screen) in &screens {
        leaks.assert_clean(&format!("the demo's {what}"), screen);
    }
    leaks.assert_clean("the demo's terminal output", &raw);
    leaks.assert_clean(
        "the demo's log file",
        &read(&data_dir.join("launchdeck.log")),
    );
    eprintln!("demo: {} captures checked", screens.len() + 1);
}
