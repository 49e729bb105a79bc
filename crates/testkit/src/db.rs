use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection};
use tokio::time::Instant;
use url::Url;

use crate::proxy::TcpProxy;

/// Superuser URL of the throwaway cluster started by `scripts/test`.
pub const PG_URL_ENV: &str = "LAUNCHDECK_TEST_PG_URL";
/// Name of the database holding the platform fixture (default `launchdeck_template`).
pub const PG_TEMPLATE_ENV: &str = "LAUNCHDECK_TEST_PG_TEMPLATE";

const DEFAULT_TEMPLATE: &str = "launchdeck_template";
const POOL_SIZE: u32 = 5;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to keep retrying a clone while the template is busy.
const TEMPLATE_BUSY_DEADLINE: Duration = Duration::from_secs(60);
/// SQLSTATE object_in_use: "source database … is being accessed by other users".
const OBJECT_IN_USE: &str = "55006";

/// A fresh database cloned from the fixture template, dropped when the value is.
///
/// Tests that need PostgreSQL fail loudly (panic) when the cluster is missing;
/// they never skip.
pub struct TestDb {
    name: String,
    url: Url,
    admin_url: Url,
    pool: PgPool,
    dropped: bool,
}

impl TestDb {
    /// Clones `$LAUNCHDECK_TEST_PG_TEMPLATE` (default `launchdeck_template`)
    /// into a new database `ld_<random>` and opens a small pool on it.
    pub async fn create() -> TestDb {
        let template =
            std::env::var(PG_TEMPLATE_ENV).unwrap_or_else(|_| DEFAULT_TEMPLATE.to_owned());
        Self::create_from(&template).await
    }

    /// Like [`TestDb::create`], from another template (for example
    /// `launchdeck_scale_template`, built by `scripts/seed-scale`).
    pub async fn create_from(template: &str) -> TestDb {
        let admin_url = admin_url_from_env();
        let name = format!("ld_{}", uuid::Uuid::new_v4().simple());
        clone_template(&admin_url, template, &name).await;
        let url = database_url(&admin_url, &name);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url.as_str())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to the new test database {name} at {}: {e}",
                    redact(&url)
                )
            });
        TestDb {
            name,
            url,
            admin_url,
            pool,
            dropped: false,
        }
    }

    /// The database's name (`ld_<32 hex digits>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection URL of this database (a superuser on the test cluster).
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// A pool of up to 5 connections to this database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The PostgreSQL server's address, for [`TcpProxy::start`].
    pub fn server_addr(&self) -> SocketAddr {
        let host = self.url.host_str().unwrap_or("127.0.0.1");
        let port = self.url.port().unwrap_or(5432);
        (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| panic!("cannot resolve the test database host {host}:{port}"))
    }

    /// This database's URL, going through `proxy` instead of straight to the server.
    pub fn url_via(&self, proxy: &TcpProxy) -> String {
        let mut url = self.url.clone();
        let addr = proxy.addr();
        // Both setters only fail for URLs that cannot have a host, which a
        // postgres:// URL with a host always can.
        let _ = url.set_host(Some(&addr.ip().to_string()));
        let _ = url.set_port(Some(addr.port()));
        url.into()
    }

    /// Closes the pool and drops the database, waiting for both.
    pub async fn drop_db(mut self) {
        self.pool.close().await;
        drop_database(&self.admin_url, &self.name).await;
        self.dropped = true;
    }
}

impl Drop for TestDb {
    /// Best effort: drops the database from a detached thread with its own
    /// runtime, so the test's runtime is never blocked. The cluster itself is
    /// thrown away by `scripts/test`, so a database left behind costs nothing.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let admin_url = self.admin_url.clone();
        let name = std::mem::take(&mut self.name);
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(drop_database(&admin_url, &name));
        });
    }
}

fn admin_url_from_env() -> Url {
    admin_url_from(std::env::var(PG_URL_ENV).ok())
}

fn admin_url_from(raw: Option<String>) -> Url {
    let raw = raw.unwrap_or_default();
    if raw.trim().is_empty() {
        panic!(
            "LAUNCHDECK_TEST_PG_URL is not set: run the tests with scripts/test (it starts a throwaway PostgreSQL)"
        );
    }
    Url::parse(&raw).unwrap_or_else(|e| {
        panic!(
            "LAUNCHDECK_TEST_PG_URL is not a valid URL ({e}): expected postgres://user@host:port/db"
        )
    })
}

fn database_url(admin_url: &Url, database: &str) -> Url {
    let mut url = admin_url.clone();
    url.set_path(&format!("/{database}"));
    url
}

/// The URL with any password masked, for error messages.
fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    shown.to_string()
}

async fn admin_connection(admin_url: &Url) -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect(admin_url.as_str()).await
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn is_template_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some(OBJECT_IN_USE)
                || db.message().contains("being accessed by other users")
        }
        _ => false,
    }
}

/// `CREATE DATABASE name TEMPLATE template`, retrying while another session
/// holds the template (a known transient error when many tests clone at once).
async fn clone_template(admin_url: &Url, template: &str, name: &str) {
    let mut admin = admin_connection(admin_url).await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to LAUNCHDECK_TEST_PG_URL ({}): {e}; is the cluster from scripts/test still running?",
            redact(admin_url)
        )
    });
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_ident(name),
        quote_ident(template)
    );
    let deadline = Instant::now() + TEMPLATE_BUSY_DEADLINE;
    let mut backoff = Duration::from_millis(20);
    loop {
        match sqlx::query(AssertSqlSafe(sql.as_str()))
            .execute(&mut admin)
            .await
        {
            Ok(_) => break,
            Err(e) if is_template_busy(&e) && Instant::now() < deadline => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
            Err(e) => panic!(
                "cannot create test database {name} from template {template}: {e}; \
                 run the tests with scripts/test, which loads the fixture into {DEFAULT_TEMPLATE}"
            ),
        }
    }
    let _ = admin.close().await;
}

async fn drop_database(admin_url: &Url, name: &str) {
    let Ok(mut admin) = admin_connection(admin_url).await else {
        return;
    };
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await;
    let _ = admin.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_database() {
        let admin = Url::parse("postgres://postgres@127.0.0.1:5544/postgres?sslmode=disable")
            .expect("valid url");
        let url = database_url(&admin, "ld_abc");
        assert_eq!(
            url.as_str(),
            "postgres://postgres@127.0.0.1:5544/ld_abc?sslmode=disable"
        );
    }

    #[test]
    fn redact_masks_the_password() {
        let url = Url::parse("postgres://app:hunter2secret@db:5432/x").expect("valid url");
        let shown = redact(&url);
        assert!(!shown.contains("hunter2secret"), "{shown}");
        assert!(shown.contains("app:****@db"), "{shown}");
    }

    #[test]
    #[should_panic(expected = "LAUNCHDECK_TEST_PG_URL is not set: run the tests with scripts/test")]
    fn a_missing_cluster_url_fails_loudly() {
        admin_url_from(None);
    }

    #[test]
    fn quote_ident_doubles_quotes() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
