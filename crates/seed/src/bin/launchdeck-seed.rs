//! `launchdeck-seed`: loads a test data profile into a PostgreSQL database that holds
//! the platform schema (the fixture, or a disposable copy of the platform).
//!
//! ```text
//! launchdeck-seed --database-url URL --profile first-campaign [--seed N] [--force]
//! ```
//!
//! Refuses a database whose `call_logs` already has rows unless `--force`. Prints one
//! line per table. The database URL is never printed (it may hold a password).

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use launchdeck_seed::{SeedData, first_campaign, pg};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

#[derive(Debug, Parser)]
#[command(
    name = "launchdeck-seed",
    about = "Load a launchdeck test data profile into a PostgreSQL database with the platform schema"
)]
struct Args {
    /// PostgreSQL URL of the target database (never printed).
    #[arg(long, env = "LAUNCHDECK_DATABASE_URL", hide_env_values = true)]
    database_url: String,

    /// Data profile to load. `scale` is loaded by scripts/seed-scale.
    #[arg(long, default_value = first_campaign::PROFILE)]
    profile: String,

    /// Seed of the generator: the same seed gives the same rows and ids.
    #[arg(long, default_value_t = first_campaign::DEFAULT_SEED)]
    seed: u64,

    /// Load even if `call_logs` already has rows.
    #[arg(long)]
    force: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!(
                "launchdeck-seed: error: {}",
                redact_url(&message, &args.database_url)
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    if args.profile != first_campaign::PROFILE {
        return Err(format!(
            "unknown profile {:?}: this tool loads {:?}; use scripts/seed --profile scale for the scale profile",
            args.profile,
            first_campaign::PROFILE
        ));
    }
    let pool = connect(&args.database_url).await?;
    refuse_non_empty(&pool, args.force).await?;

    let (data, facts) = first_campaign::generate(Utc::now(), args.seed);
    pg::load(&pool, &data).await.map_err(|e| {
        format!(
            "loading the {} profile failed, nothing was written (one transaction): {e}. \
             If a unique key conflicts, the profile was probably loaded before: use a fresh database",
            first_campaign::PROFILE
        )
    })?;
    print_summary(&data, args.seed);
    println!(
        "first org {} ({}), campaign {}, broadcast A {}, broadcast B {}",
        facts.first_org.slug,
        facts.first_org.org_id,
        facts.campaign.id,
        facts.broadcast_a.id,
        facts.broadcast_b.id
    );
    pool.close().await;
    Ok(())
}

async fn connect(url: &str) -> Result<PgPool, String> {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err("--database-url must be a postgres:// or postgresql:// URL".into());
    }
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| {
            format!("cannot connect to the database: {e}. Check the URL, that the server is up and that the user may log in")
        })
}

/// A database that already has calls is probably not a scratch database.
async fn refuse_non_empty(pool: &PgPool, force: bool) -> Result<(), String> {
    let existing: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM (SELECT 1 FROM call_logs LIMIT 1) AS any_row")
        .fetch_one(pool)
        .await
        .map_err(|e| {
            format!("cannot read call_logs: {e}. Is the platform schema (or the fixture, crates/store/sql/fixture) loaded?")
        })?;
    if existing.unwrap_or(0) > 0 && !force {
        return Err(
            "call_logs already has rows: refusing to seed a database that is in use. Use a fresh database, or pass --force"
                .into(),
        );
    }
    Ok(())
}

fn print_summary(data: &SeedData, seed: u64) {
    println!("seeded profile {} (seed {seed}):", first_campaign::PROFILE);
    let width = data.tables.iter().map(|t| t.table.len()).max().unwrap_or(0);
    for table in &data.tables {
        println!("  {:<width$}  {:>6} rows", table.table, table.rows.len());
    }
}

/// Error text from the driver might quote the URL; never let the password through.
fn redact_url(message: &str, url: &str) -> String {
    let mut text = message.replace(url, "<database url>");
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password().filter(|p| !p.is_empty())
    {
        text = text.replace(password, "••••");
    }
    text
}
