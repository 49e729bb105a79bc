//! product.md Decision 14: launchdeck reads with SELECT only. A BYPASSRLS role holding
//! exactly the read grants of the README's "Database access" section runs every read
//! command without a permission error, and cannot write.

#[path = "common/cli.rs"]
mod cli;

use std::process::Output;

use chrono::Utc;
use launchdeck_seed::{first_campaign, pg};
use launchdeck_testkit::TestDb;
use serde_json::Value;

use cli::launchdeck;

const ROLE_PASSWORD: &str = "read-only-role-pw";

/// The first `sql` block of the README's "Database access" section: the read grants.
fn readme_read_grants() -> String {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## Database access")
        .nth(1)
        .expect("the README has a Database access section");
    let block = section
        .split("```sql")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section starts with an sql block");
    block.to_string()
}

/// Creates the README's role under the name `role` in `db`; returns a URL for it.
async fn create_read_only_role(db: &TestDb, role: &str) -> String {
    let grants = readme_read_grants()
        .replace("ROLE launchdeck ", &format!("ROLE {role} "))
        .replace("TO launchdeck;", &format!("TO {role};"))
        .replace("PASSWORD '…'", &format!("PASSWORD '{ROLE_PASSWORD}'"));
    assert!(
        grants.contains(&format!("CREATE ROLE {role} ")),
        "the README's block creates the role: {grants}"
    );
    assert!(!grants.contains("UPDATE") && !grants.contains("INSERT"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("the README's grants fail on the fixture: {e}"));
    let mut url = url::Url::parse(db.url()).expect("test database URL");
    url.set_username(role).expect("user");
    url.set_password(Some(ROLE_PASSWORD)).expect("password");
    url.into()
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
