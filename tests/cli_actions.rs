//! `launchdeck pause` / `resume` / `audit` run as the real binary against a test
//! PostgreSQL database (the platform fixture).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use launchdeck_seed::{SeedData, pg};
use launchdeck_testkit::TestDb;
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

const USER: Uuid = Uuid::from_u128(0xa1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const BROADCAST: Uuid = Uuid::from_u128(0x100);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);

struct Env {
    db: TestDb,
    home: TempDir,
}

impl Env {
    async fn new(broadcast_status: &str, campaign_status: &str) -> Env {
        let db = TestDb::create().await;
        let mut data = SeedData::with_owner(USER, ORG);
        data.table("campaigns").push(json!({
            "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
            "status": campaign_status,
        }));
        data.table("voice_broadcasts").push(json!({
            "id": BROADCAST, "user_id": USER, "name": "Spring promo",
            "status": broadcast_status, "message_text": "Hello",
        }));
        pg::load(db.pool(), &data).await.expect("seed");
        Env {
            db,
            home: tempfile::tempdir().expect("temp home"),
        }
    }

    fn data_dir(&self) -> std::path::PathBuf {
        self.home.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_launchdeck"))
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("LAUNCHDECK_DATA_DIR", self.data_dir())
            .env("LAUNCHDECK_DATABASE_URL", self.db.url())
            .env("LANG", "C.UTF-8")
            .output()
            .expect("run launchdeck")
    }

    async fn status(&self, table: &str, id: Uuid) -> String {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT status FROM {table} WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(self.db.pool())
        .await
        .expect("read status")
    }

    async fn audit_rows(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT action, target_name, result FROM launchdeck.audit_log ORDER BY at")
            .fetch_all(self.db.pool())
            .await
            .expect("read launchdeck.audit_log")
    }

    async fn has_launchdeck_schema(&self) -> bool {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'launchdeck')",
        )
        .fetch_one(self.db.pool())
        .await
        .expect("pg_namespace")
    }

    fn audit_lines(&self) -> Vec<Value> {
        let path = self.data_dir().join("audit.jsonl");
        std::fs::read_to_string(path)
            .map(|text| {
                text.lines()
                    .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file_mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn without_yes_the_plan_is_printed_and_nothing_changes() {
    let env = Env::new("active", "active").await;
    let id = BROADCAST.to_string();
    let out = env.run(&["pause", "--broadcast", &id]);
    assert_eq!(code(&out), Some(3), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("pause broadcast \"Spring promo\": active → paused"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("add --yes"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.status("voice_broadcasts", BROADCAST).await, "active");
    assert!(!env.has_launchdeck_schema().await, "a plan creates nothing");
    assert!(env.audit_lines().is_empty());

    let out = env.run(&["pause", "--broadcast", &id, "--json"]);
    assert_eq!(code(&out), Some(3));
    let plan: Value = serde_json::from_slice(&out.stdout).expect("JSON plan");
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["action"], "pause");
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["target"]["kind"], "broadcast");
    assert_eq!(plan["target"]["name"], "Spring promo");
    assert_eq!(plan["plan"]["will_change"], true);
    assert_eq!(plan["plan"]["from"], "active");
    assert_eq!(plan["plan"]["to"], "paused");
    assert_eq!(plan["result"], Value::Null);
}

#[tokio::test]
async fn yes_pauses_and_audits_then_resume_undoes_it() {
    let env = Env::new("active", "active").await;
    let id = BROADCAST.to_string();
    let out = env.run(&["pause", "--broadcast", &id, "--yes"]);
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("paused broadcast \"Spring promo\""));
    assert_eq!(env.status("voice_broadcasts", BROADCAST).await, "paused");
    assert_eq!(
        env.audit_rows().await,
        vec![("pause".into(), "Spring promo".into(), "changed".into())]
    );
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["before"]["status"], "active");
    assert_eq!(lines[0]["after"]["status"], "paused");
    assert_eq!(file_mode(&env.data_dir().join("audit.jsonl")), 0o600);

    // Pausing again changes nothing and needs no confirmation.
    let out = env.run(&["pause", "--broadcast", &id, "--yes"]);
    assert_eq!(code(&out), Some(0));
    assert!(
        text(&out.stdout).contains("already paused"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(env.audit_rows().await.len(), 1);

    let out = env.run(&["resume", "--broadcast", &id, "--yes", "--json"]);
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON result");
    assert_eq!(result["applied"], true);
    assert_eq!(result["result"]["changed"], 1);
    assert_eq!(result["result"]["rows"][0]["result"], "changed");
    assert_eq!(result["result"]["rows"][0]["status_now"], "active");
    assert_eq!(env.status("voice_broadcasts", BROADCAST).await, "active");
    assert_eq!(env.audit_lines().len(), 2);
}

#[tokio::test]
async fn a_campaign_pauses() {
    let env = Env::new("active", "active").await;
    let out = env.run(&["pause", "--campaign", &CAMPAIGN.to_string(), "--yes"]);
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(env.status("campaigns", CAMPAIGN).await, "paused");
    assert_eq!(env.status("voice_broadcasts", BROADCAST).await, "active");
    assert_eq!(env.audit_rows().await[0].1, "Renewals");
}

#[tokio::test]
async fn read_only_refuses_before_writing_anything() {
    let env = Env::new("active", "active").await;
    let id = BROADCAST.to_string();
    let out = env.run(&["--read-only", "pause", "--broadcast", &id, "--yes"]);
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out.stderr).contains("read-only"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.status("voice_broadcasts", BROADCAST).await, "active");
    assert!(!env.has_launchdeck_schema().await);
    assert!(env.audit_lines().is_empty());
}

#[tokio::test]
async fn an_unknown_id_is_a_clear_error() {
    let env = Env::new("active", "active").await;
    let unknown = Uuid::from_u128(0x999).to_string();
    let out = env.run(&["resume", "--campaign", &unknown, "--yes"]);
    assert_eq!(code(&out), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("no campaign with id {unknown}")),
        "{stderr}"
    );
    let out = env.run(&["pause", "--broadcast", "not-a-uuid"]);
    assert_eq!(code(&out), Some(2), "clap refuses a malformed id");
    let out = env.run(&["pause"]);
    assert_eq!(code(&out), Some(2), "a target is required");
}

#[tokio::test]
async fn audit_json_lists_the_newest_records_and_falls_back_to_the_file() {
    let env = Env::new("active", "active").await;
    let out = env.run(&["audit", "--json"]);
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["records"], json!([]));
    assert!(!env.has_launchdeck_schema().await, "audit only reads");

    let id = CAMPAIGN.to_string();
    assert_eq!(
        code(&env.run(&["pause", "--campaign", &id, "--yes"])),
        Some(0)
    );
    assert_eq!(
        code(&env.run(&["resume", "--campaign", &id, "--yes"])),
        Some(0)
    );

    let out = env.run(&["audit", "--json", "--limit", "1"]);
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["source"], "database");
    let records = report["records"].as_array().expect("records");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["action"], "resume", "newest first");
    assert_eq!(r["target"]["table"], "campaigns");
    assert_eq!(r["target"]["id"], id);
    assert_eq!(r["target"]["name"], "Renewals");
    assert_eq!(r["before"]["status"], "paused");
    assert_eq!(r["after"]["status"], "active");
    assert_eq!(r["result"], "changed");
    assert_eq!(r["launchdeck_version"], env!("CARGO_PKG_VERSION"));
    assert!(r["actor"].as_str().is_some_and(|a| a.contains('@')), "{r}");
    assert!(r["at"].as_str().is_some_and(|a| a.ends_with('Z')), "{r}");

    // The database unreachable: the local copy, with a note.
    let out = Command::new(env!("CARGO_BIN_EXE_launchdeck"))
        .args(["audit", "--json"])
        .env_clear()
        .env("HOME", env.home.path())
        .env("XDG_CONFIG_HOME", env.home.path().join("config"))
        .env("LAUNCHDECK_DATA_DIR", env.data_dir())
        .env(
            "LAUNCHDECK_DATABASE_URL",
            "postgres://launchdeck:Secret-Passw0rd@127.0.0.1:1/postgres?sslmode=disable",
        )
        .output()
        .expect("run launchdeck");
    assert_eq!(code(&out), Some(0), "stderr: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["source"], "file");
    assert_eq!(report["records"].as_array().map(Vec::len), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("audit.jsonl"), "{stderr}");
    assert!(!stderr.contains("Secret-Passw0rd"), "{stderr}");
}
