//! Database roles made from the README's "Database access" section: its first `sql`
//! block holds the read grants (what `--read-only` needs), its second the writes the
//! actions make. A role gets a password, so its URL carries one as production's does.

// Each test binary uses its own part.
#![allow(dead_code)]

use launchdeck_testkit::TestDb;

/// The `sql` blocks of the README's "Database access" section, in order.
fn readme_grant_blocks() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Database access")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a Database access section");
    section
        .split("```sql")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .map(str::to_string)
        .collect()
}

/// The read grants, for `role`.
pub fn read_grants(role: &str, password: &str) -> String {
    let block = readme_grant_blocks()
        .into_iter()
        .next()
        .expect("the section starts with the read grants");
    assert!(
        !block.contains("UPDATE") && !block.contains("INSERT"),
        "the first block grants reads only: {block}"
    );
    for_role(&block, role).replace("PASSWORD '…'", &format!("PASSWORD '{password}'"))
}

/// The actions' grants, for `role` on `database`. The README offers two ways to the
/// `launchdeck` schema; this takes CREATE on the database (the role makes it itself).
pub fn write_grants(role: &str, database: &str) -> String {
    let block = readme_grant_blocks()
        .into_iter()
        .nth(1)
        .expect("the section's second block holds the actions' grants");
    for_role(&block, role)
        .replace(
            "ON DATABASE postgres",
            &format!("ON DATABASE \"{database}\""),
        )
        .lines()
        .filter(|line| !line.starts_with("CREATE SCHEMA"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn for_role(block: &str, role: &str) -> String {
    block
        .replace("ROLE launchdeck ", &format!("ROLE {role} "))
        .replace("TO launchdeck;", &format!("TO {role};"))
        .replace("AUTHORIZATION launchdeck", &format!("AUTHORIZATION {role}"))
}

/// Runs `grants` in `db` (roles are cluster-wide: name them after the database) and
/// returns a URL that logs in as `role` with `password`.
pub async fn create_role(db: &TestDb, role: &str, password: &str, grants: &str) -> String {
    assert!(
        grants.contains(&format!("CREATE ROLE {role} ")),
        "the grants create the role: {grants}"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants.to_string()))
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("the README's grants fail on the fixture: {e}"));
    role_url(db, role, password)
}

/// `db`'s URL with `role` and `password` as its user.
pub fn role_url(db: &TestDb, role: &str, password: &str) -> String {
    let mut url = url::Url::parse(db.url()).expect("test database URL");
    url.set_username(role).expect("user");
    url.set_password(Some(password)).expect("password");
    url.into()
}
