//! Issue #11: no secret and no lead number in full on any headless surface. The real
//! binary runs every command — `check`, `calls`, `audit`, `config check` and every
//! action — in text and `--json`, on a success path and a failure path each, against a
//! PostgreSQL loaded with the first-campaign data set and the provider fakes, with
//! trace logging into `--log-file`. Every secret is a known value: the provider keys
//! (half from the environment, half from a config file), the database password (a
//! role made from the README's grants, its password in the URL), the calendar tokens
//! and the fakes' canaries. Stdout, stderr, the log file and `audit.jsonl` must hold
//! none of them, and no lead number of the data set unmasked.

#[path = "common/launch_world.rs"]
mod launch_world;

#[path = "common/leaks.rs"]
mod leaks;

#[path = "common/roles.rs"]
mod roles;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use launch_world::{LaunchWorld, OWNED, write_private};
use launchdeck_sim::fakes::{Fault, Route};
use leaks::Leaks;
use serde_json::Value;
use uuid::Uuid;

const DB_PASSWORD: &str = "dbpw0surfaces0canary0value0hh88";

/// Not in the allowlist.
const NOT_OWNED: &str = "+12025550183";

/// The seeded world, a home with a config file, and what to look for.
struct Surfaces {
    world: LaunchWorld,
    leaks: Leaks,
    home: tempfile::TempDir,
    /// The role's URL, as the config file holds it.
    role_url: String,
    /// Surfaces checked so far (stdout and stderr of each run, each file).
    checked: AtomicUsize,
}

impl Surfaces {
    async fn new() -> Surfaces {
        let world = LaunchWorld::new().await;
        let role = format!("ld_{}", world.db.name());
        let grants = format!(
            "{}\n{}",
            roles::read_grants(&role, DB_PASSWORD),
            roles::write_grants(&role, world.db.name())
        );
        let role_url = roles::create_role(&world.db, &role, DB_PASSWORD, &grants).await;
        // A test call's destination is masked everywhere, like a lead's number.
        let leaks = Leaks::new(secrets(&world))
            .lead_numbers(leaks::seed_lead_numbers(&world.data))
            .lead_numbers(OWNED);
        let surfaces = Surfaces {
            world,
            leaks,
            home: tempfile::tempdir().expect("temp home"),
            role_url,
            checked: AtomicUsize::new(0),
        };
        write_private(&surfaces.config_path(), &surfaces.config_text());
        surfaces
    }

    fn config_path(&self) -> PathBuf {
        self.home
            .path()
            .join("config")
            .join("launchdeck")
            .join("config.toml")
    }

    fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.home.path().join("logs").join("trace.log")
    }

    fn config_text(&self) -> String {
        self.world.config_text(&self.role_url)
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.home.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .arg("--log-file")
            .arg(self.log_path())
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LAUNCHDECK_DATA_DIR", self.data_dir())
            .env("LANG", "C.UTF-8")
            .envs(self.world.provider_env());
        command
    }

    /// Runs `launchdeck ARGS` (off the runtime, so the fakes keep serving), expects
    /// `code`, and checks its stdout and stderr.
    async fn run(&self, args: &[&str], code: i32) -> Output {
        let mut command = self.command(args);
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run launchdeck");
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(code),
            "launchdeck {args:?}\nstdout: {stdout}\nstderr: {stderr}"
        );
        self.check(&format!("stdout of {args:?}"), &stdout);
        self.check(&format!("stderr of {args:?}"), &stderr);
        out
    }

    /// [`Surfaces::run`], then the JSON it printed.
    async fn run_json(&self, args: &[&str], code: i32) -> Value {
        let out = self.run(args, code).await;
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", text(&out.stdout)))
    }

    fn check(&self, what: &str, text: &str) {
        self.leaks.assert_clean(what, text);
        self.checked.fetch_add(1, Ordering::Relaxed);
    }

    /// The log file, `audit.jsonl`, and the default log file if anything wrote one.
    fn check_files(&self) {
        let log = std::fs::read_to_string(self.log_path()).expect("the --log-file was written");
        assert!(
            log.contains("TRACE"),
            "trace logging reached the file: {}",
            &log[..log.len().min(2000)]
        );
        self.check("the log file", &log);
        let audit =
            std::fs::read_to_string(self.data_dir().join("audit.jsonl")).unwrap_or_default();
        self.check("audit.jsonl", &audit);
        let default_log = self.data_dir().join("launchdeck.log");
        if let Ok(default_log) = std::fs::read_to_string(default_log) {
            self.check("launchdeck.log", &default_log);
        }
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} surfaces checked for {} secrets and {} lead numbers",
            self.checked.load(Ordering::Relaxed),
            secrets(&self.world).len(),
            self.leaks.lead_number_count()
        );
    }

    /// The whole configured world, but the database at a port nobody listens on (its
    /// URL still carries the password).
    fn unreachable_db(&self) -> String {
        let mut url = url::Url::parse(&self.role_url).expect("role URL");
        url.set_port(Some(1)).expect("port");
        url.into()
    }

    /// A test broadcast of the campaign to `to`, readiness overridden (the seed is not
    /// ready), with `extra` arguments.
    async fn test_broadcast(&self, to: &str, extra: &[&str], code: i32) -> Output {
        let campaign = self.world.facts.campaign.id.to_string();
        let mut args = vec![
            "test-broadcast",
            "--campaign",
            &campaign,
            "--to",
            to,
            "--override-readiness",
        ];
        args.extend_from_slice(extra);
        self.run(&args, code).await
    }

    async fn ids(&self, sql: &str) -> Vec<String> {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(self.world.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// The world's secrets, the database password, and the Twilio Account SID (logged
/// only as `AC••••` and its last 4).
fn secrets(world: &LaunchWorld) -> Vec<String> {
    let mut secrets = world.secrets();
    secrets.extend([DB_PASSWORD, launch_world::world::TWILIO_SID].map(String::from));
    secrets
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------
// check, calls, audit, config check
// ---------------------------------------------------------------------------

#[tokio::test]
async fn read_commands_show_no_secret_and_no_full_lead_number() {
    let s = Surfaces::new().await;
    let unreachable = s.unreachable_db();

    // check: the seed is not ready (exit 1); every provider refusing the keys; no database.
    s.run(&["check"], 1).await;
    let report = s.run_json(&["check", "--json"], 1).await;
    assert!(report["checks"].as_array().is_some_and(|c| c.len() > 20));
    s.world.providers_answer(401);
    s.run(&["check"], 1).await;
    let report = s.run_json(&["check", "--json"], 1).await;
    let rejected = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["area"] == "retell" && c["status"] == "fail")
        .count();
    assert!(rejected > 0, "the 401s show as failures: {report:#}");
    s.world.providers_recover();
    s.run(&["--database-url", &unreachable, "check"], 2).await;
    let refused_option = format!("{}?sslmode=bogus", s.role_url);
    s.run(&["--database-url", &refused_option, "check", "--json"], 2)
        .await;
    s.run(&["--database-url", &unreachable, "check", "--json"], 2)
        .await;

    // calls: every row's number masked; no database.
    let out = s.run(&["calls"], 0).await;
    assert!(text(&out.stdout).contains("••••"), "numbers shown masked");
    let calls = s.run_json(&["calls", "--json"], 0).await;
    let calls = calls["calls"].as_array().expect("calls").clone();
    assert!(!calls.is_empty());
    for call in &calls {
        let phone = call["phone"].as_str().unwrap_or_default();
        assert!(phone.starts_with("••••"), "masked: {call}");
    }
    s.run(&["--database-url", &unreachable, "calls"], 2).await;
    s.run(
        &["--database-url", &unreachable, "calls", "--stuck", "--json"],
        2,
    )
    .await;

    // audit: records written by an action, from the database, then from the file.
    let broadcast = s.world.facts.broadcast_a.id.to_string();
    s.run(&["pause", "--broadcast", &broadcast, "--yes"], 0)
        .await;
    s.run(&["audit"], 0).await;
    let audit = s.run_json(&["audit", "--json"], 0).await;
    assert_eq!(audit["source"], "database");
    assert_eq!(audit["records"].as_array().map(Vec::len), Some(1));
    s.run(&["--database-url", &unreachable, "audit"], 0).await;
    let audit = s
        .run_json(&["--database-url", &unreachable, "audit", "--json"], 0)
        .await;
    assert_eq!(audit["source"], "file");

    // The help, with every secret set.
    s.run(&["--help"], 0).await;
    s.run(&["check", "--help"], 0).await;

    // config check: valid; too open; broken on a secret's line.
    let out = s.run(&["config", "check"], 0).await;
    assert!(text(&out.stdout).contains("••••"), "secrets shown masked");
    let open = s.home.path().join("open.toml");
    std::fs::write(&open, s.config_text()).expect("write");
    let world_readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    std::fs::set_permissions(&open, world_readable).expect("chmod 644");
    let open = open.to_str().expect("utf-8 temp path");
    s.run(&["--config", open, "config", "check"], 2).await;
    let broken_path = s.home.path().join("broken.toml");
    let broken = s.config_text().replace(
        &format!("api_key = \"{}\"", launch_world::world::ELEVENLABS_KEY),
        &format!("api_key = \"{}", launch_world::world::ELEVENLABS_KEY),
    );
    write_private(&broken_path, &broken);
    let broken_path = broken_path.to_str().expect("utf-8 temp path");
    s.run(&["--config", broken_path, "config", "check"], 2)
        .await;
    s.run(&["--config", broken_path, "calls", "--json"], 2)
        .await;

    s.check_files();
    s.report("read commands");
}

// ---------------------------------------------------------------------------
// pause, resume, acknowledge, stop, stop --lift
// ---------------------------------------------------------------------------

#[tokio::test]
async fn database_actions_show_no_secret_and_no_full_lead_number() {
    let s = Surfaces::new().await;
    let broadcast = s.world.facts.broadcast_a.id.to_string();
    let campaign = s.world.facts.campaign.id.to_string();
    let unknown = Uuid::new_v4().to_string();

    for (action, from) in [("pause", "active"), ("resume", "paused")] {
        // Text: the plan, refused for want of --yes; an unknown id; applied.
        s.run(&[action, "--broadcast", &broadcast], 3).await;
        s.run(&[action, "--broadcast", &unknown, "--yes"], 2).await;
        s.run(&[action, "--broadcast", &broadcast, "--yes"], 0)
            .await;
        // JSON: the same on the campaign.
        let plan = s
            .run_json(&[action, "--campaign", &campaign, "--json"], 3)
            .await;
        assert_eq!(plan["target"]["status"], from, "{plan:#}");
        s.run_json(&[action, "--campaign", &unknown, "--json", "--yes"], 2)
            .await;
        s.run_json(&[action, "--campaign", &campaign, "--json", "--yes"], 0)
            .await;
    }

    let alerts = s
        .ids("SELECT id::text FROM system_alerts WHERE NOT acknowledged ORDER BY id")
        .await;
    assert!(alerts.len() >= 2, "the seed has unacknowledged alerts");
    s.run(&["acknowledge", &alerts[0]], 3).await;
    s.run(&["acknowledge", &alerts[0], &unknown, "--yes"], 2)
        .await;
    s.run(&["acknowledge", &alerts[0], "--yes"], 0).await;
    s.run_json(&["acknowledge", &alerts[1], "--json"], 3).await;
    s.run_json(&["acknowledge", &unknown, "--json", "--yes"], 2)
        .await;
    s.run_json(&["acknowledge", &alerts[1], "--json", "--yes"], 0)
        .await;

    // stop: a wrong name is refused; the exact one stops and hangs up the calls.
    let name = s.world.facts.campaign.name.clone();
    s.run(&["stop", "--campaign", &campaign], 3).await;
    s.run(&["stop", "--campaign", &campaign, "--confirm", "not it"], 2)
        .await;
    s.run(
        &[
            "stop",
            "--campaign",
            &campaign,
            "--confirm",
            &name,
            "--hang-up",
        ],
        0,
    )
    .await;
    let lift = launchdeck_stop(&s).await;
    let platform_stop = s.world.facts.stops.active_id.to_string();
    s.run(&["stop", "--lift", &lift], 3).await;
    s.run(&["stop", "--lift", &platform_stop, "--yes"], 2).await;
    s.run(&["stop", "--lift", &lift, "--yes"], 0).await;

    s.run_json(&["stop", "--broadcast", &broadcast, "--json"], 3)
        .await;
    s.run_json(
        &[
            "stop",
            "--broadcast",
            &broadcast,
            "--confirm",
            "x",
            "--json",
        ],
        2,
    )
    .await;
    s.run_json(
        &[
            "stop",
            "--campaign",
            &campaign,
            "--confirm",
            &name,
            "--json",
        ],
        0,
    )
    .await;
    let lift = launchdeck_stop(&s).await;
    s.run_json(&["stop", "--lift", &lift, "--json"], 3).await;
    s.run_json(&["stop", "--lift", &platform_stop, "--json", "--yes"], 2)
        .await;
    s.run_json(&["stop", "--lift", &lift, "--json", "--yes"], 0)
        .await;
    s.run_json(
        &[
            "stop",
            "--broadcast",
            &broadcast,
            "--confirm",
            &s.world.facts.broadcast_a.name,
            "--json",
        ],
        0,
    )
    .await;

    s.run(&["audit"], 0).await;
    s.run_json(&["audit", "--json", "--limit", "1000"], 0).await;
    s.check_files();
    s.report("database actions");
}

/// The id of the active stop launchdeck wrote.
async fn launchdeck_stop(s: &Surfaces) -> String {
    let ids = s
        .ids(
            "SELECT id::text FROM contact_stop_controls \
             WHERE active AND metadata ->> 'source' = 'launchdeck'",
        )
        .await;
    assert_eq!(ids.len(), 1, "one stop launchdeck wrote: {ids:?}");
    ids[0].clone()
}

// ---------------------------------------------------------------------------
// cleanup, refresh-tokens, fix-outbound-agent, test-broadcast
// ---------------------------------------------------------------------------

#[tokio::test]
async fn provider_actions_show_no_secret_and_no_full_lead_number() {
    let s = Surfaces::new().await;

    // cleanup: the providers refuse the keys (rows left alone), then answer.
    s.world.providers_answer(401);
    s.run(&["cleanup", "--yes"], 0).await;
    s.run_json(&["cleanup", "--yes", "--hang-up", "--json"], 0)
        .await;
    s.world.providers_recover();
    s.run(&["cleanup"], 3).await;
    let done = s
        .run_json(&["cleanup", "--yes", "--hang-up", "--json"], 0)
        .await;
    assert!(done["changed"].as_u64().is_some_and(|n| n > 0), "{done:#}");
    for row in done["rows"].as_array().expect("rows") {
        let name = row["name"].as_str().unwrap_or_default();
        assert!(name.starts_with("••••"), "masked: {row}");
    }
    s.run(&["cleanup", "--yes", "--hang-up"], 0).await;

    // refresh-tokens: Google refuses the grant, then grants it.
    s.world.fakes.google.faults().inject(
        Route::post("/token"),
        Fault::code(400, "invalid_grant"),
        1,
    );
    s.run(&["refresh-tokens", "--yes"], 1).await;
    s.world
        .fakes
        .google
        .faults()
        .inject(Route::post("/token"), Fault::status(401), 1);
    s.run_json(&["refresh-tokens", "--all", "--yes", "--json"], 1)
        .await;
    s.run(&["refresh-tokens", "--all"], 3).await;
    s.run(&["refresh-tokens", "--all", "--yes"], 0).await;
    s.run_json(&["refresh-tokens", "--all", "--yes", "--json"], 0)
        .await;

    // fix-outbound-agent: Retell refuses the key, then takes the fix.
    let number = s.world.facts.number_without_outbound_agent.clone();
    s.world
        .fakes
        .retell
        .faults()
        .inject_always(Route::all(), Fault::status(401));
    s.run(&["fix-outbound-agent", "--number", &number, "--yes"], 2)
        .await;
    // Could not run: the error on stderr, no JSON.
    s.run(
        &["fix-outbound-agent", "--number", &number, "--yes", "--json"],
        2,
    )
    .await;
    s.world.fakes.retell.faults().clear();
    s.run(&["fix-outbound-agent", "--number", &number], 3).await;
    s.run_json(
        &["fix-outbound-agent", "--number", &number, "--yes", "--json"],
        0,
    )
    .await;
    s.run(&["fix-outbound-agent", "--number", &number, "--yes"], 0)
        .await;

    // test-broadcast: a number not owned is refused; a create Retell rejects; placed.
    // The refusal names the number the operator typed (README "Test broadcast").
    let refused = s.test_broadcast(NOT_OWNED, &["--yes"], 2).await;
    assert!(text(&refused.stderr).contains(NOT_OWNED), "named");
    s.test_broadcast(NOT_OWNED, &["--yes", "--json"], 2).await;
    s.test_broadcast(OWNED[0], &[], 3).await;
    s.world.fakes.retell.faults().inject(
        Route::post("/v2/create-phone-call"),
        Fault::status(401),
        2,
    );
    s.test_broadcast(OWNED[0], &["--yes"], 1).await;
    s.test_broadcast(OWNED[1], &["--yes", "--json"], 1).await;
    s.test_broadcast(OWNED[0], &["--yes"], 0).await;
    let out = s.test_broadcast(OWNED[1], &["--yes", "--json"], 0).await;
    let placed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(placed["calls"][0]["to"], "••••0182", "{placed:#}");

    s.run(&["audit"], 0).await;
    s.run_json(&["audit", "--json", "--limit", "1000"], 0).await;
    s.check_files();
    s.report("provider actions");
}
