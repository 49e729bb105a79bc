//! `launchdeck check` against a real PostgreSQL loaded with the first-campaign data set
//! and the fake providers configured from the seed's facts.

// The seeded world (database rows, fake providers, audio server) the ops crate's
// tests use too.
#[path = "../crates/ops/tests/world/mod.rs"]
mod world;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use launchdeck_seed::first_campaign::SeedFacts;
use launchdeck_seed::pg;
use launchdeck_testkit::TestDb;
use serde_json::Value;
use tokio::process::Command;
use world::Fakes;

/// A seeded database, the fakes, and a home directory for the binary.
struct Setup {
    db: TestDb,
    fakes: Fakes,
    facts: SeedFacts,
    home: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Setup {
        let db = TestDb::create().await;
        let audio = world::audio_server().await;
        let (data, facts) = world::seed_data(&audio.base_url());
        pg::load(db.pool(), &data)
            .await
            .expect("load first-campaign seed");
        let fakes = world::start_fakes(&facts, audio).await;
        Setup {
            db,
            fakes,
            facts,
            home: tempfile::tempdir().expect("temp home"),
        }
    }

    fn log_file(&self) -> PathBuf {
        self.home.path().join("data").join("launchdeck.log")
    }

    fn command(&self, args: &[&str]) -> Command {
        let home = self.home.path();
        let f = &self.fakes;
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LAUNCHDECK_DATA_DIR", home.join("data"))
            .env("LAUNCHDECK_DATABASE_URL", self.db.url())
            .env("LANG", "C.UTF-8")
            .env("RUST_LOG", "debug")
            .env("RETELL_AI_API_KEY", world::RETELL_KEY)
            .env("LAUNCHDECK_RETELL_BASE_URL", f.retell.base_url())
            .env("TWILIO_ACCOUNT_SID", world::TWILIO_SID)
            .env("TWILIO_AUTH_TOKEN", world::TWILIO_TOKEN)
            .env("LAUNCHDECK_TWILIO_BASE_URL", f.twilio.base_url())
            .env(
                "LAUNCHDECK_TWILIO_TRUNKING_BASE_URL",
                f.twilio.trunking_base_url(),
            )
            .env("ELEVENLABS_API_KEY", world::ELEVENLABS_KEY)
            .env("LAUNCHDECK_ELEVENLABS_BASE_URL", f.elevenlabs.base_url())
            .env("GOOGLE_CLIENT_ID", world::GOOGLE_CLIENT_ID)
            .env("GOOGLE_CLIENT_SECRET", world::GOOGLE_CLIENT_SECRET)
            .env("LAUNCHDECK_GOOGLE_TOKEN_URL", f.google.token_url())
            .env(
                "LAUNCHDECK_GOOGLE_CALENDAR_BASE_URL",
                f.google.calendar_base_url(),
            );
        command
    }

    async fn check(&self, args: &[&str]) -> Output {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        self.command(&all)
            .output()
            .await
            .expect("run launchdeck check")
    }

    async fn check_json(&self, args: &[&str]) -> (Option<i32>, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.check(&all).await;
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "check --json printed no JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), report)
    }

    async fn sql(&self, statement: &str) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// Calling hours depend on the wall clock, not on the seed: pinned open.
    async fn pin_calling_hours(&self) {
        self.sql("UPDATE voice_broadcasts SET bypass_calling_hours = true")
            .await;
    }

    /// Fixes every problem the seed holds, in the database and at the fakes.
    async fn fix_everything(&self) {
        let f = &self.facts;
        // Retell: give the number its inbound agent as outbound agent (what `F` does).
        let number = &f.number_without_outbound_agent;
        let inbound = f
            .retell_numbers
            .iter()
            .find(|n| &n.phone_number == number)
            .map(|n| n.inbound_agent_ids[0].clone())
            .expect("the number's inbound agent");
        let retell = self.fakes.retell.state();
        assert!(retell.set_outbound_agents(number, &[inbound.as_str()]));
        // Numbers: a new day's counts.
        self.sql("UPDATE phone_numbers SET daily_calls = 0").await;
        // Broadcasts: transfer targets, retries, the stuck rows cleaned up, alerts read.
        self.sql(
            "UPDATE voice_broadcasts SET dtmf_actions = (
                SELECT jsonb_agg(CASE WHEN a->>'action' = 'transfer'
                                      THEN a || '{\"transfer_to\": \"+14155550100\"}'
                                      ELSE a END)
                  FROM jsonb_array_elements(dtmf_actions) a)",
        )
        .await;
        self.sql("UPDATE voice_broadcasts SET max_attempts = 2")
            .await;
        self.sql(
            "UPDATE broadcast_queue SET status = 'pending', scheduled_at = now()
              WHERE status = 'calling' AND updated_at < now() - interval '5 minutes'",
        )
        .await;
        self.sql("UPDATE system_alerts SET acknowledged = true, acknowledged_at = now()")
            .await;
        // Calendar: reconnected with offline access.
        let refresh = base64::engine::general_purpose::STANDARD.encode(world::GOOGLE_REFRESH_TOKEN);
        self.sql(&format!(
            "UPDATE calendar_integrations SET refresh_token_encrypted = '{refresh}',
                    token_expires_at = now() + interval '1 hour'"
        ))
        .await;
        // Safety: the compliance stop lifted, the reconciler healthy.
        self.sql(&format!(
            "UPDATE contact_stop_controls SET active = false WHERE id = '{}'",
            f.stops.active_id
        ))
        .await;
        self.sql(
            "UPDATE provider_reconciliation_jobs
                SET state = 'resolved', resolved_at = now(), locked_until = NULL,
                    claim_token = NULL
              WHERE state = 'manual_required'",
        )
        .await;
        self.sql(
            "UPDATE retell_reconciliation_runtime
                SET last_started_at = now(), last_succeeded_at = now()",
        )
        .await;
    }
}

/// `status id` of every check that is not a pass.
fn issues(report: &Value) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| {
            format!(
                "{} {}",
                c["status"].as_str().unwrap(),
                c["id"].as_str().unwrap()
            )
        })
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn reports_exactly_the_seeded_problems_then_ready_once_fixed() {
    let s = Setup::new().await;
    s.pin_calling_hours().await;
    let f = &s.facts;
    let (a, b) = (f.broadcast_a.id, f.broadcast_b.id);

    let (code, report) = s.check_json(&[]).await;
    assert_eq!(code, Some(1), "a blocking check fails");
    assert_eq!(report["ready"], false);
    let want: BTreeSet<String> = [
        format!(
            "fail retell.number_outbound_agent:{}",
            f.number_without_outbound_agent
        ),
        "unknown twilio.telnyx_numbers".to_string(),
        "warn numbers.daily_cap".into(),
        format!("warn broadcast.dtmf_transfer:{a}"),
        format!("warn broadcast.dtmf_callback:{a}"),
        format!("warn broadcast.stuck:{a}"),
        format!("warn broadcast.alerts:{a}"),
        format!("warn broadcast.dtmf_transfer:{b}"),
        format!("warn broadcast.max_attempts:{b}"),
        format!("fail calendar.token:{}", f.calendar.integration_id),
        format!("warn safety.contact_stop:{}", f.stops.active_id),
        "warn safety.reconciliation".into(),
    ]
    .into_iter()
    .collect();
    assert_eq!(issues(&report), want);

    s.fix_everything().await;
    let (code, report) = s.check_json(&[]).await;
    // Telnyx is out of scope (Decision 13): unknown, never blocking.
    let left: BTreeSet<String> = ["unknown twilio.telnyx_numbers".to_string()].into();
    assert_eq!(issues(&report), left);
    assert_eq!(code, Some(0), "ready: {report}");
    assert_eq!(report["ready"], true);

    // --strict counts the remaining unknown as an issue.
    let out = s.check(&["--strict"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    s.db.drop_db().await;
}

#[tokio::test]
async fn text_output_is_doctor_style() {
    let s = Setup::new().await;
    s.pin_calling_hours().await;
    let out = s.check(&["--no-color"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("UTF-8 text");
    let number = &s.facts.number_without_outbound_agent;
    // Area headers with counts, a line per check, the fix indented under it.
    assert!(text.contains("✗ Retell ("), "{text}");
    let line = text
        .lines()
        .position(|l| l.contains(&format!("✗ {number} has no outbound agent")))
        .unwrap_or_else(|| panic!("no line for {number}:\n{text}"));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[line].ends_with("[blocks launch]"), "{}", lines[line]);
    assert!(
        lines[line + 1].trim_start().starts_with("fix: press F"),
        "{}",
        lines[line + 1]
    );
    assert!(text.contains("✓ Environment ("), "{text}");
    assert!(text.contains("found issues in"), "{text}");
    assert!(
        text.contains("Not ready to launch: 1 blocking check did not pass."),
        "{text}"
    );

    // A non-UTF-8 locale gets ASCII marks.
    let out = s
        .command(&["check", "--no-color"])
        .env("LANG", "C")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[XX] Retell ("), "{text}");
    assert!(!text.contains('✗'), "{text}");
    let odd: String = text.chars().filter(|c| !c.is_ascii()).collect();
    assert!(odd.is_empty(), "non-ASCII {odd:?} in:\n{text}");
    s.db.drop_db().await;
}

#[tokio::test]
async fn json_has_the_documented_shape() {
    let s = Setup::new().await;
    let (_, report) = s.check_json(&[]).await;
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object().expect("object").keys().cloned().collect()
    };
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };
    assert_eq!(
        keys(&report),
        set(&["schema_version", "ready", "checks", "summary"])
    );
    assert_eq!(report["schema_version"], 1);
    let checks = report["checks"].as_array().unwrap();
    let check_keys = set(&[
        "id",
        "area",
        "status",
        "blocking",
        "reason",
        "fix",
        "checked_at",
    ]);
    let mut counts = [0u64; 4];
    for check in checks {
        assert_eq!(keys(check), check_keys, "{check}");
        let status = check["status"].as_str().unwrap();
        let i = ["pass", "warn", "fail", "unknown"]
            .iter()
            .position(|s| *s == status)
            .unwrap_or_else(|| panic!("status {status}"));
        counts[i] += 1;
        assert!(check["blocking"].is_boolean());
        assert!(check["fix"].is_null() || check["fix"].is_string());
        let at = check["checked_at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    }
    let summary = &report["summary"];
    assert_eq!(keys(summary), set(&["pass", "warn", "fail", "unknown"]));
    for (i, name) in ["pass", "warn", "fail", "unknown"].iter().enumerate() {
        assert_eq!(summary[name].as_u64(), Some(counts[i]), "summary.{name}");
    }
    let areas: BTreeSet<&str> = checks.iter().map(|c| c["area"].as_str().unwrap()).collect();
    let all_areas = [
        "environment",
        "database",
        "retell",
        "twilio_sip",
        "numbers",
        "broadcasts",
        "campaigns",
        "calendar",
        "elevenlabs",
        "safety",
    ];
    assert_eq!(areas, all_areas.into_iter().collect());
    s.db.drop_db().await;
}

#[tokio::test]
async fn focus_narrows_broadcasts_and_campaigns() {
    let s = Setup::new().await;
    let b = s.facts.broadcast_b.id.to_string();
    let (_, report) = s.check_json(&["--broadcast", &b]).await;
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter()
            .any(|id| id.starts_with("broadcast.") && id.ends_with(&b))
    );
    assert!(
        ids.iter()
            .filter(|id| id.starts_with("broadcast.") || id.starts_with("campaign."))
            .all(|id| id.ends_with(&b)),
        "{ids:?}"
    );

    let missing = uuid::Uuid::new_v4().to_string();
    let (code, report) = s.check_json(&["--campaign", &missing]).await;
    assert_eq!(code, Some(1));
    let found = format!("fail campaign.found:{missing}");
    assert!(issues(&report).contains(&found), "{:?}", issues(&report));
    s.db.drop_db().await;
}

fn contains_any(haystack: &str, secrets: &[&str]) -> Option<String> {
    secrets
        .iter()
        .find(|s| haystack.contains(**s))
        .map(|s| s.to_string())
}

#[tokio::test]
async fn no_secret_appears_in_any_output() {
    let s = Setup::new().await;
    let mut secrets = world::secrets();
    secrets.push(world::TWILIO_SID);
    // Twilio returns its canary auth token in the account body; the Google token is
    // probed (and rejected once, to exercise the error path too).
    s.fakes.google.faults().inject(
        launchdeck_sim::fakes::Route::get("/calendar/v3/users/me/calendarList"),
        launchdeck_sim::fakes::Fault::code(401, "authError"),
        1,
    );
    let text = s.check(&[]).await;
    let json = s.check(&["--json"]).await;
    let log = std::fs::read_to_string(s.log_file()).expect("the log file exists");
    assert!(
        log.contains("readiness area checked"),
        "the log has the run:\n{log}"
    );
    for (what, output) in [
        (
            "text stdout",
            String::from_utf8_lossy(&text.stdout).into_owned(),
        ),
        ("text stderr", stderr(&text)),
        (
            "json stdout",
            String::from_utf8_lossy(&json.stdout).into_owned(),
        ),
        ("json stderr", stderr(&json)),
        ("log file", log),
    ] {
        if let Some(secret) = contains_any(&output, &secrets) {
            panic!("{secret} appears in the {what}");
        }
    }
    s.db.drop_db().await;
}

#[tokio::test]
async fn an_unreachable_database_exits_2_and_says_how_to_fix_it() {
    let home = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://launchdeck:hunter2-canary-password@127.0.0.1:1/platform";
    let out = Command::new(env!("CARGO_BIN_EXE_launchdeck"))
        .args(["check"])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("LAUNCHDECK_DATA_DIR", home.path().join("data"))
        .env("LAUNCHDECK_DATABASE_URL", url)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("database unreachable"), "stderr: {err}");
    assert!(err.contains("check the URL"), "stderr: {err}");
    let all = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
    assert!(!all.contains("hunter2-canary-password"));
    let log = log_text(&home.path().join("data").join("launchdeck.log"));
    assert!(!log.contains("hunter2-canary-password"));
}

#[tokio::test]
async fn a_bad_config_exits_2_naming_the_problem() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_launchdeck"))
        .args(["check"])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("LAUNCHDECK_DATA_DIR", home.path().join("data"))
        .env("LAUNCHDECK_DATABASE_URL", "postgres://u@127.0.0.1:1/db")
        .env("LAUNCHDECK_RETELL_BASE_URL", "http://retell.example.com")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("LAUNCHDECK_RETELL_BASE_URL"), "stderr: {err}");
}

fn log_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
