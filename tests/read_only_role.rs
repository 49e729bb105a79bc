//! product.md Decision 14 and quality.md "Security": launchdeck reads with SELECT only.
//! A BYPASSRLS role holding exactly the read grants of the README's "Database access"
//! section runs every read command without a permission error, and cannot write: every
//! writing action is refused — with that role, with `--read-only`, and with
//! `[ui] read_only` — leaving the database as it was and sending no provider mutation.

#[path = "common/cli.rs"]
mod cli;

#[path = "common/launch_world.rs"]
mod launch_world;

#[path = "common/roles.rs"]
mod roles;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use chrono::Utc;
use launch_world::{LaunchWorld, OWNED, write_private};
use launchdeck_seed::{first_campaign, pg};
use launchdeck_testkit::TestDb;
use serde_json::Value;

use cli::launchdeck;

const ROLE_PASSWORD: &str = "read-only-role-pw";

/// Creates the README's read-only role under the name `role` in `db`; returns its URL.
async fn create_read_only_role(db: &TestDb, role: &str) -> String {
    let grants = roles::read_grants(role, ROLE_PASSWORD);
    roles::create_role(db, role, ROLE_PASSWORD, &grants).await
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn the_readme_read_grants_run_every_read_and_allow_no_write() {
    let db = TestDb::create().await;
    let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    pg::load(db.pool(), &data)
        .await
        .expect("load first-campaign seed");
    // Roles are cluster-wide: one per test database.
    let role = format!("ro_{}", db.name());
    let url = create_read_only_role(&db, &role).await;

    let calls = launchdeck(&url, &["calls", "--json"]);
    assert!(calls.status.success(), "calls: {}", stderr(&calls));
    let listed: Value = serde_json::from_slice(&calls.stdout).expect("calls JSON");
    assert!(!listed["calls"].as_array().expect("calls").is_empty());

    let check = launchdeck(&url, &["check", "--json"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "check runs (the seed has blocking problems): {}",
        stderr(&check)
    );
    let report = String::from_utf8_lossy(&check.stdout).to_lowercase();
    assert!(
        !report.contains("permission denied"),
        "a read needs a grant the README lacks: {report}"
    );

    let audit = launchdeck(&url, &["audit", "--json"]);
    assert!(audit.status.success(), "audit: {}", stderr(&audit));

    // No write: pausing needs grants this role does not have, and changes nothing.
    let broadcast = facts.broadcast_a.id.to_string();
    let pause = launchdeck(&url, &["pause", "--broadcast", &broadcast, "--yes"]);
    assert_eq!(pause.status.code(), Some(2), "pause: {}", stderr(&pause));
    let status: String = sqlx::query_scalar("SELECT status FROM voice_broadcasts WHERE id = $1")
        .bind(facts.broadcast_a.id)
        .fetch_one(db.pool())
        .await
        .expect("broadcast status");
    assert_eq!(status, "active", "the broadcast was not paused");
    assert!(
        !stderr(&pause).contains(ROLE_PASSWORD),
        "the password never shows"
    );
}

/// The tables the actions write, and launchdeck's own.
const WATCHED: [&str; 11] = [
    "voice_broadcasts",
    "campaigns",
    "broadcast_queue",
    "dialing_queues",
    "call_logs",
    "calendar_integrations",
    "system_alerts",
    "contact_stop_controls",
    "phone_numbers",
    "leads",
    "launchdeck.audit_log",
];

/// Row count and a checksum of every row of each watched table (`absent` for a
/// table that does not exist).
async fn checksums(db: &TestDb) -> BTreeMap<&'static str, String> {
    let mut sums = BTreeMap::new();
    for table in WATCHED {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(db.pool())
            .await
            .expect("to_regclass");
        let sum = if exists {
            let sql = format!(
                "SELECT count(*)::text || ' ' || coalesce(md5(string_agg(t::text, ',' \
                 ORDER BY t::text)), '') FROM {table} t"
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(db.pool())
                .await
                .unwrap_or_else(|e| panic!("checksum of {table}: {e}"))
        } else {
            "absent".to_string()
        };
        sums.insert(table, sum);
    }
    sums
}

/// The seeded world and a home whose config file points at `url`.
struct ReadOnlyRun<'a> {
    world: &'a LaunchWorld,
    home: tempfile::TempDir,
}

impl<'a> ReadOnlyRun<'a> {
    fn new(world: &'a LaunchWorld, url: &str) -> ReadOnlyRun<'a> {
        let home = tempfile::tempdir().expect("temp home");
        let config = home
            .path()
            .join("config")
            .join("launchdeck")
            .join("config.toml");
        write_private(&config, &world.config_text(url));
        ReadOnlyRun { world, home }
    }

    fn audit_file_exists(&self) -> bool {
        self.home.path().join("data").join("audit.jsonl").exists()
    }

    /// Runs `launchdeck GLOBAL ARGS` with `env` added (off the runtime, so the fakes
    /// keep serving).
    async fn run(&self, global: &[&str], args: &[String], env: &[(&str, &str)]) -> Output {
        let home = self.home.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .args(global)
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LAUNCHDECK_DATA_DIR", home.join("data"))
            .env("LANG", "C.UTF-8")
            .envs(self.world.provider_env())
            .envs(env.iter().copied());
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run launchdeck")
    }
}

/// Every writing action, each with a plan that would change something: its `--yes`
/// (or typed confirmation), and the calls in flight hung up where it can.
async fn writing_actions(world: &LaunchWorld, lift: &str) -> Vec<Vec<String>> {
    let f = &world.facts;
    let alert: String = sqlx::query_scalar(
        "SELECT id::text FROM system_alerts WHERE NOT acknowledged ORDER BY id LIMIT 1",
    )
    .fetch_one(world.db.pool())
    .await
    .expect("an unacknowledged alert");
    let (broadcast_a, broadcast_b) = (f.broadcast_a.id.to_string(), f.broadcast_b.id.to_string());
    let campaign = f.campaign.id.to_string();
    let number = &f.number_without_outbound_agent;
    let actions: [&[&str]; 9] = [
        &["pause", "--broadcast", &broadcast_a, "--yes"],
        &["resume", "--broadcast", &broadcast_b, "--yes"],
        &["cleanup", "--hang-up", "--yes"],
        &["refresh-tokens", "--all", "--yes"],
        &["fix-outbound-agent", "--number", number, "--yes"],
        &["acknowledge", &alert, "--yes"],
        &[
            "stop",
            "--campaign",
            &campaign,
            "--confirm",
            &f.campaign.name,
            "--hang-up",
        ],
        &["stop", "--lift", lift, "--yes"],
        &[
            "test-broadcast",
            "--campaign",
            &campaign,
            "--to",
            OWNED[0],
            "--override-readiness",
            "--yes",
        ],
    ];
    actions
        .iter()
        .map(|a| a.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// A stop launchdeck wrote (on the second tenant's campaign, so it blocks nothing the
/// other actions plan): `stop --lift` has something to lift.
async fn launchdeck_stop(world: &LaunchWorld) -> String {
    let second = &world.facts.second_org;
    sqlx::query_scalar(
        "INSERT INTO contact_stop_controls \
           (scope_type, organization_id, user_id, campaign_id, channel, active, reason, metadata) \
         VALUES ('campaign', $1, $2, $3, 'all', true, 'emergency stop by launchdeck (ops@host)', \
                 '{\"source\":\"launchdeck\",\"actor\":\"ops@host\",\"action\":\"stop\"}') \
         RETURNING id::text",
    )
    .bind(second.org_id)
    .bind(second.owner_user_id)
    .bind(world.facts.campaign.second_org_campaign_id)
    .fetch_one(world.db.pool())
    .await
    .expect("a launchdeck stop row")
}

/// Runs every writing action in `run` with `global` and `env`: each exits 2 naming
/// `why`, changes no watched table, writes no audit file and sends no provider
/// mutation.
async fn assert_every_action_refused(
    run: &ReadOnlyRun<'_>,
    actions: &[Vec<String>],
    global: &[&str],
    env: &[(&str, &str)],
    why: &str,
) {
    let before = checksums(&run.world.db).await;
    for action in actions {
        let out = run.run(global, action, env).await;
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{global:?} {action:?}: {said}");
        assert!(
            said.contains(why) && said.contains("nothing was"),
            "{global:?} {action:?} says why and that nothing was done: {said}"
        );
        assert_eq!(
            checksums(&run.world.db).await,
            before,
            "{global:?} {action:?} changed the database"
        );
        assert_eq!(
            run.world.mutations(),
            Vec::<String>::new(),
            "{global:?} {action:?}"
        );
        assert!(!run.audit_file_exists(), "{global:?} {action:?} audited");
    }
}

#[tokio::test]
async fn every_writing_action_is_refused_read_only_and_changes_nothing() {
    let world = LaunchWorld::new().await;
    let lift = launchdeck_stop(&world).await;
    let actions = writing_actions(&world, &lift).await;
    let role = format!("ro_{}", world.db.name());
    let read_only_url = create_read_only_role(&world.db, &role).await;
    let full = world.db.url().to_string();

    // The SELECT-only role reads everything (the providers asked, never changed)…
    let select_only = ReadOnlyRun::new(&world, &read_only_url);
    let before = checksums(&world.db).await;
    for (read, code) in [("check", 1), ("calls", 0), ("audit", 0)] {
        let args = [read.to_string(), "--json".to_string()];
        let out = select_only.run(&[], &args, &[]).await;
        assert_eq!(out.status.code(), Some(code), "{read}: {}", stderr(&out));
    }
    assert_eq!(checksums(&world.db).await, before, "a read wrote");
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "a read changed a provider"
    );
    assert!(world.requests() > 0, "check asked the providers");

    // …and each action's plan, the write refused before anything is written or sent.
    assert_every_action_refused(&select_only, &actions, &[], &[], "permission denied").await;

    // Full privileges, read-only mode: refused before connecting, nothing asked.
    let asked = world.requests();
    let flagged = ReadOnlyRun::new(&world, &full);
    assert_every_action_refused(&flagged, &actions, &["--read-only"], &[], "--read-only").await;
    let configured = [("LAUNCHDECK_UI_READ_ONLY", "true")];
    assert_every_action_refused(&flagged, &actions, &[], &configured, "[ui] read_only").await;
    assert_eq!(world.requests(), asked, "read-only mode asks no provider");

    // launchdeck's schema made by a privileged console (the fix applied at Retell):
    // the SELECT-only role still writes nothing, not even an audit record.
    let fix = &actions[4];
    let out = flagged.run(&[], fix, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = world.mutations();
    assert_eq!(sent.len(), 1, "the fix is a mutation: {sent:?}");
    world.fakes.retell.faults().reset_log();
    let others: Vec<Vec<String>> = actions.iter().filter(|a| *a != fix).cloned().collect();
    assert_every_action_refused(&select_only, &others, &[], &[], "permission denied").await;
}
