//! Database cost of one full refresh of every live panel on the scale profile
//! (quality.md "Performance budgets": ≤ 10 ms of statement time in total, no
//! sequential scan of call_logs / broadcast_queue / dialing_queues).
//!
//! Needs `launchdeck_scale_template` on the cluster at `$LAUNCHDECK_TEST_PG_URL`;
//! `scripts/bench-refresh` starts a throwaway cluster, builds the template and runs this.
//!
//! Phases, each on a fresh clone of the template:
//! 1. wall time: the poller's store calls (`PgStore`, default options, unscoped)
//!    100× from a plain loop, then the naive refresh 100×;
//! 2. criterion, both refreshes;
//! 3. statement time: the same 100 + 100 runs with `log_min_duration_statement = 0`
//!    on the database; the server's own durations (parse + bind + execute, and the
//!    BEGIN/COMMIT of each transaction) are summed per call from its log;
//! 4. plans: auto_explain (`ANALYZE, BUFFERS`) of every statement, taken once the
//!    prepared statements' plan cache has settled; seq scans of the big tables flagged.

#[path = "live_refresh/refresh.rs"]
mod refresh;
#[path = "live_refresh/server_log.rs"]
mod server_log;
#[path = "live_refresh/stats.rs"]
mod stats;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::{PG_URL_ENV, TestDb};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::runtime::Runtime;

use refresh::{LiveCall, NAIVE, run_naive};
use server_log::{Kind, Section, ServerLog, mark, statement_key};
use stats::{Samples, ratio};

const SCALE_TEMPLATE: &str = "launchdeck_scale_template";
const RUNS: usize = 100;
/// Refreshes before any measurement: the pool's connection is open and each
/// statement's plan cache has seen its five custom plans.
const WARM_UP: usize = 10;
/// Plans are read from the last of this many refreshes on a fresh pool (the plan
/// cache decides between custom and generic plans at the sixth execution).
const PLAN_PASSES: usize = 8;
const BIG_TABLES: [&str; 3] = ["call_logs", "broadcast_queue", "dialing_queues"];
const BUDGET_MS: f64 = 10.0;

fn main() {
    if let Err(e) = run() {
        eprintln!("live_refresh: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the Tokio runtime: {e}"))?;
    let mut criterion = Criterion::default().configure_from_args();
    println!("load average at start: {}", load_average());

    let mut bench = runtime.block_on(Bench::setup())?;
    let wall_ours = runtime.block_on(wall_ours(&bench.store, RUNS))?;
    let wall_naive = runtime.block_on(wall_naive(&mut bench.naive, RUNS))?;
    criterion_runs(&mut criterion, &runtime, &mut bench)?;
    let traced = runtime.block_on(bench.traced())?;
    let plans = runtime.block_on(bench.plans())?;
    println!("load average at end: {}", load_average());

    report(&wall_ours, &wall_naive, &traced, &plans);
    criterion.final_summary();
    runtime.block_on(bench.db.drop_db());
    Ok(())
}

/// The benchmark database and the connections that measure it.
struct Bench {
    db: TestDb,
    /// Opened before any logging setting: its statements are never logged.
    admin: PgConnection,
    log: ServerLog,
    store: PgStore,
    naive: PgConnection,
}

impl Bench {
    async fn setup() -> Result<Bench, String> {
        require_template().await?;
        let db = TestDb::create_from(SCALE_TEMPLATE).await;
        let mut admin = connect(db.url()).await?;
        let shift: String = sqlx::query_scalar("SELECT launchdeck_bench.rebase_in_flight()::text")
            .fetch_one(&mut admin)
            .await
            .map_err(|e| format!("launchdeck_bench.rebase_in_flight() failed: {e}"))?;
        // Back to the seeded state: rebasing rewrote the in-flight rows, and a plain
        // VACUUM would skip index cleanup for so few dead rows (leaving those pages
        // out of the visibility map, so index-only scans visit the heap for them).
        sqlx::raw_sql(
            "VACUUM (ANALYZE, INDEX_CLEANUP ON) broadcast_queue, dialing_queues, call_logs",
        )
        .execute(&mut admin)
        .await
        .map_err(|e| format!("VACUUM after the rebase failed: {e}"))?;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut admin)
            .await
            .map_err(|e| format!("SHOW server_version failed: {e}"))?;
        let log = ServerLog::locate(&mut admin).await?;
        println!(
            "database {} (clone of {SCALE_TEMPLATE}, in-flight rows moved by {shift}), PostgreSQL {version}, server log {}",
            db.name(),
            log.path()
        );
        let store = open_store(db.url()).await?;
        let mut naive = connect(db.url()).await?;
        for _ in 0..WARM_UP {
            refresh_ours(&store).await?;
        }
        refresh_naive(&mut naive).await?;
        Ok(Bench {
            db,
            admin,
            log,
            store,
            naive,
        })
    }

    /// ALTER DATABASE … SET for each setting; new sessions pick them up.
    async fn set(&mut self, settings: &[&str]) -> Result<(), String> {
        for setting in settings {
            let sql = format!("ALTER DATABASE \"{}\" SET {setting}", self.db.name());
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut self.admin)
                .await
                .map_err(|e| format!("ALTER DATABASE … SET {setting} failed: {e}"))?;
        }
        Ok(())
    }

    async fn reset_settings(&mut self) -> Result<(), String> {
        let sql = format!("ALTER DATABASE \"{}\" RESET ALL", self.db.name());
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut self.admin)
            .await
            .map(|_| ())
            .map_err(|e| format!("ALTER DATABASE … RESET ALL failed: {e}"))
    }

    /// Phase 3: every statement's server-side duration, from the log.
    async fn traced(&mut self) -> Result<Traced, String> {
        self.set(&["log_min_duration_statement = 0"]).await?;
        let store = open_store(self.db.url()).await?;
        let mut marks = connect(self.db.url()).await?;
        for _ in 0..WARM_UP {
            refresh_ours(&store).await?;
        }
        refresh_naive(&mut marks).await?;
        let from = self.log.size(&mut self.admin).await?;
        for i in 0..RUNS {
            for call in LiveCall::ALL {
                mark(&mut marks, &format!("ours:{i}:{}", call.name())).await?;
                call.run(&store).await?;
            }
        }
        for i in 0..RUNS {
            for (j, (_, sql)) in NAIVE.iter().enumerate() {
                mark(&mut marks, &format!("naive:{i}:{j}")).await?;
                run_naive(&mut marks, sql).await?;
            }
        }
        mark(&mut marks, "end").await?;
        let text = self.log.read_from(&mut self.admin, from).await?;
        self.reset_settings().await?;
        store.pool().close().await;
        Traced::from_sections(server_log::sections(&text))
    }

    /// Phase 4: the plan of each statement, with actual times and buffers.
    async fn plans(&mut self) -> Result<Vec<Plan>, String> {
        self.set(&[
            "session_preload_libraries = 'auto_explain'",
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_analyze = on",
            "auto_explain.log_buffers = on",
        ])
        .await?;
        let store = open_store(self.db.url()).await?;
        let mut marks = connect(self.db.url()).await?;
        let from = self.log.size(&mut self.admin).await?;
        for i in 0..PLAN_PASSES {
            for call in LiveCall::ALL {
                mark(&mut marks, &format!("plan:{i}:{}", call.name())).await?;
                call.run(&store).await?;
            }
        }
        for (j, (_, sql)) in NAIVE.iter().enumerate() {
            mark(&mut marks, &format!("naiveplan:{j}")).await?;
            run_naive(&mut marks, sql).await?;
        }
        mark(&mut marks, "end").await?;
        let text = self.log.read_from(&mut self.admin, from).await?;
        self.reset_settings().await?;
        store.pool().close().await;
        plans_from(server_log::sections(&text))
    }
}

async fn require_template() -> Result<(), String> {
    let url = std::env::var(PG_URL_ENV).map_err(|_| {
        format!("{PG_URL_ENV} is not set: run scripts/bench-refresh (it starts a throwaway cluster and builds {SCALE_TEMPLATE})")
    })?;
    let mut conn = connect(&url).await?;
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(SCALE_TEMPLATE)
        .fetch_optional(&mut conn)
        .await
        .map_err(|e| format!("looking for {SCALE_TEMPLATE} failed: {e}"))?;
    match found {
        Some(_) => Ok(()),
        None => Err(format!(
            "{SCALE_TEMPLATE} is missing on {PG_URL_ENV}'s cluster: build it with scripts/seed-scale, or run scripts/bench-refresh"
        )),
    }
}

async fn connect(url: &str) -> Result<PgConnection, String> {
    PgConnection::connect(url)
        .await
        .map_err(|e| format!("cannot connect to the benchmark database: {e}"))
}

async fn open_store(url: &str) -> Result<PgStore, String> {
    PgStore::connect(url, PgOptions::default())
        .await
        .map_err(|e| format!("PgStore::connect failed: {e}"))
}

async fn refresh_ours(store: &PgStore) -> Result<(), String> {
    for call in LiveCall::ALL {
        call.run(store).await?;
    }
    Ok(())
}

async fn refresh_naive(conn: &mut PgConnection) -> Result<(), String> {
    for (_, sql) in NAIVE {
        run_naive(conn, sql).await?;
    }
    Ok(())
}

/// Wall time of each item of a refresh and of the whole, over many runs.
struct Wall {
    names: Vec<&'static str>,
    items: Vec<Samples>,
    rows: Vec<usize>,
    total: Samples,
}

impl Wall {
    fn new(names: Vec<&'static str>) -> Wall {
        Wall {
            items: vec![Samples::default(); names.len()],
            rows: vec![0; names.len()],
            names,
            total: Samples::default(),
        }
    }
}

async fn wall_ours(store: &PgStore, runs: usize) -> Result<Wall, String> {
    let mut wall = Wall::new(LiveCall::ALL.iter().map(|c| c.name()).collect());
    for _ in 0..runs {
        let refresh = Instant::now();
        for (i, call) in LiveCall::ALL.iter().enumerate() {
            let started = Instant::now();
            wall.rows[i] = call.run(store).await?;
            wall.items[i].push(started.elapsed());
        }
        wall.total.push(refresh.elapsed());
    }
    Ok(wall)
}

async fn wall_naive(conn: &mut PgConnection, runs: usize) -> Result<Wall, String> {
    let mut wall = Wall::new(NAIVE.iter().map(|(name, _)| *name).collect());
    for _ in 0..runs {
        let refresh = Instant::now();
        for (i, (_, sql)) in NAIVE.iter().enumerate() {
            let started = Instant::now();
            wall.rows[i] = run_naive(conn, sql).await?;
            wall.items[i].push(started.elapsed());
        }
        wall.total.push(refresh.elapsed());
    }
    Ok(wall)
}

fn criterion_runs(
    criterion: &mut Criterion,
    runtime: &Runtime,
    bench: &mut Bench,
) -> Result<(), String> {
    let mut failure: Option<String> = None;
    let mut group = criterion.benchmark_group("live refresh, scale profile");
    group.sampling_mode(SamplingMode::Flat).sample_size(RUNS);
    group.bench_function("ours", |b| {
        b.iter(|| {
            if let Err(e) = runtime.block_on(refresh_ours(&bench.store)) {
                failure.get_or_insert(e);
            }
        })
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("naive", |b| {
        b.iter(|| {
            if let Err(e) = runtime.block_on(refresh_naive(&mut bench.naive)) {
                failure.get_or_insert(e);
            }
        })
    });
    group.finish();
    failure.map_or(Ok(()), Err)
}

/// Server-side statement time, per call and per statement, summed per run.
struct Traced {
    ours: Statements,
    naive: Statements,
}

#[derive(Default)]
struct Statements {
    /// Per call (or naive statement), then per statement key.
    per_item: BTreeMap<String, Samples>,
    per_statement: BTreeMap<(String, String), Samples>,
    total: Samples,
}

impl Statements {
    /// Adds one run: the sections of its items.
    fn add_run(&mut self, run: &[(&str, &Section)]) {
        let mut total = 0.0;
        for (item, section) in run {
            let mut by_statement: BTreeMap<String, f64> = BTreeMap::new();
            for entry in &section.entries {
                *by_statement.entry(statement_key(&entry.text)).or_default() += entry.ms;
            }
            let item_ms: f64 = by_statement.values().sum();
            for (key, ms) in by_statement {
                self.per_statement
                    .entry((item.to_string(), key))
                    .or_default()
                    .push_ms(ms);
            }
            self.per_item
                .entry(item.to_string())
                .or_default()
                .push_ms(item_ms);
            total += item_ms;
        }
        self.total.push_ms(total);
    }
}

impl Traced {
    fn from_sections(sections: Vec<Section>) -> Result<Traced, String> {
        let mut runs: BTreeMap<(String, usize), Vec<(&str, &Section)>> = BTreeMap::new();
        for section in &sections {
            let mut parts = section.label.splitn(3, ':');
            let (Some(kind), Some(run), Some(item)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(run) = run.parse::<usize>() else {
                continue;
            };
            if section.entries.is_empty() {
                return Err(format!(
                    "nothing was logged for {}: the server did not honour log_min_duration_statement = 0",
                    section.label
                ));
            }
            let item = match kind {
                "naive" => item
                    .parse::<usize>()
                    .ok()
                    .and_then(|j| NAIVE.get(j))
                    .map(|n| n.0),
                _ => LiveCall::ALL
                    .iter()
                    .find(|c| c.name() == item)
                    .map(|c| c.name()),
            };
            if let Some(item) = item {
                runs.entry((kind.to_owned(), run))
                    .or_default()
                    .push((item, section));
            }
        }
        let mut traced = Traced {
            ours: Statements::default(),
            naive: Statements::default(),
        };
        for ((kind, _), run) in &runs {
            match kind.as_str() {
                "ours" => traced.ours.add_run(run),
                _ => traced.naive.add_run(run),
            }
        }
        if traced.ours.total.len() != RUNS || traced.naive.total.len() != RUNS {
            return Err(format!(
                "the server log held {} of our refreshes and {} naive ones, expected {RUNS} each",
                traced.ours.total.len(),
                traced.naive.total.len()
            ));
        }
        Ok(traced)
    }
}

/// One statement's auto_explain output.
struct Plan {
    item: String,
    sql: String,
    plan: String,
    /// Executor time with per-node timing on (slower than untimed).
    analyzed_ms: f64,
    /// Big tables read by a sequential scan.
    seq_scans: Vec<String>,
}

fn plans_from(sections: Vec<Section>) -> Result<Vec<Plan>, String> {
    let last_pass = format!("plan:{}:", PLAN_PASSES - 1);
    let mut plans = Vec::new();
    for section in sections {
        let item = if let Some(call) = section.label.strip_prefix(&last_pass) {
            call.to_owned()
        } else if let Some(j) = section.label.strip_prefix("naiveplan:") {
            let name = j.parse::<usize>().ok().and_then(|j| NAIVE.get(j));
            format!("naive: {}", name.map_or("?", |n| n.0))
        } else {
            continue;
        };
        for entry in section.entries.iter().filter(|e| e.kind == Kind::Plan) {
            plans.push(plan_of(&item, &entry.text, entry.ms));
        }
    }
    let ours = plans
        .iter()
        .filter(|p| !p.item.starts_with("naive"))
        .count();
    if ours == 0 {
        return Err(
            "auto_explain logged no plan: is auto_explain installed (PostgreSQL contrib)?".into(),
        );
    }
    Ok(plans)
}

/// Splits auto_explain's "Query Text: SQL\nplan" at the plan's first node (the first
/// line with a cost estimate) and looks for seq scans of the big tables.
fn plan_of(item: &str, text: &str, analyzed_ms: f64) -> Plan {
    let lines: Vec<&str> = text.lines().collect();
    let first_node = lines
        .iter()
        .position(|l| l.contains("(cost="))
        .unwrap_or(lines.len());
    let sql = lines[..first_node].join("\n");
    let sql = sql.strip_prefix("Query Text: ").unwrap_or(&sql);
    let plan = lines[first_node..].join("\n");
    Plan {
        item: item.to_owned(),
        sql: statement_key(sql),
        seq_scans: seq_scans(&plan),
        plan,
        analyzed_ms,
    }
}

fn seq_scans(plan: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in plan.lines() {
        let node = line.trim_start().trim_start_matches("->").trim_start();
        let scanned = node
            .strip_prefix("Seq Scan on ")
            .or_else(|| node.strip_prefix("Parallel Seq Scan on "));
        if let Some(table) = scanned.and_then(|rest| rest.split_whitespace().next())
            && BIG_TABLES.contains(&table)
        {
            found.push(table.to_owned());
        }
    }
    found
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn short(sql: &str, width: usize) -> String {
    let sql = statement_key(sql);
    if sql.chars().count() <= width {
        sql
    } else {
        format!("{}…", sql.chars().take(width - 1).collect::<String>())
    }
}

fn report(wall_ours: &Wall, wall_naive: &Wall, traced: &Traced, plans: &[Plan]) {
    println!("\n== wall time per call, {RUNS} refreshes (client side, no logging) ==");
    print_wall(wall_ours);
    println!("\n== naive refresh, wall time, {RUNS} runs ==");
    print_wall(wall_naive);

    println!(
        "\n== statement time, {RUNS} refreshes (server log durations: parse + bind + execute, BEGIN/COMMIT) =="
    );
    print_statements(&traced.ours, LiveCall::ALL.iter().map(|c| c.name()));
    println!("\n== naive refresh, statement time, {RUNS} runs ==");
    print_statements(&traced.naive, NAIVE.iter().map(|n| n.0));

    println!("\n== plans (auto_explain ANALYZE BUFFERS, refresh {PLAN_PASSES} on a fresh pool) ==");
    for plan in plans {
        println!(
            "\n-- {} ({:.3} ms analyzed): {}\n{}",
            plan.item,
            plan.analyzed_ms,
            short(&plan.sql, 160),
            plan.plan
        );
    }

    println!("\n== summary ==");
    let ours_scans: Vec<String> = plans
        .iter()
        .filter(|p| !p.item.starts_with("naive") && !p.seq_scans.is_empty())
        .map(|p| format!("{} ({})", p.item, p.seq_scans.join(", ")))
        .collect();
    let naive_scans: Vec<String> = plans
        .iter()
        .filter(|p| p.item.starts_with("naive") && !p.seq_scans.is_empty())
        .map(|p| format!("{} ({})", p.item, p.seq_scans.join(", ")))
        .collect();
    println!(
        "seq scans of {} in our refresh: {}",
        BIG_TABLES.join("/"),
        if ours_scans.is_empty() {
            "none".to_owned()
        } else {
            ours_scans.join("; ")
        }
    );
    println!("seq scans in the naive refresh: {}", naive_scans.join("; "));
    let (o, n) = (&traced.ours.total, &traced.naive.total);
    println!(
        "statement time per refresh: ours p50 {:.3} ms, p95 {:.3} ms; naive p50 {:.1} ms, p95 {:.1} ms; naive/ours {:.1}x (p50), {:.1}x (p95)",
        o.p50(),
        o.p95(),
        n.p50(),
        n.p95(),
        ratio(n.p50(), o.p50()),
        ratio(n.p95(), o.p95())
    );
    let (o, n) = (&wall_ours.total, &wall_naive.total);
    println!(
        "wall time per refresh: ours p50 {:.3} ms, p95 {:.3} ms; naive p50 {:.1} ms, p95 {:.1} ms; naive/ours {:.1}x (p50), {:.1}x (p95)",
        o.p50(),
        o.p95(),
        n.p50(),
        n.p95(),
        ratio(n.p50(), o.p50()),
        ratio(n.p95(), o.p95())
    );
    let fast_enough = traced.ours.total.p95() <= BUDGET_MS;
    println!(
        "budget: ≤ {BUDGET_MS} ms statement time (p95 {:.3} ms): {}; no seq scan of the big tables: {}",
        traced.ours.total.p95(),
        if fast_enough { "met" } else { "MISSED" },
        if ours_scans.is_empty() {
            "met"
        } else {
            "MISSED"
        }
    );
}

fn print_wall(wall: &Wall) {
    println!("{:<32} {:>6} {:>9} {:>9}", "", "rows", "p50 ms", "p95 ms");
    for ((name, samples), rows) in wall.names.iter().zip(&wall.items).zip(&wall.rows) {
        println!(
            "{name:<32} {rows:>6} {:>9.3} {:>9.3}",
            samples.p50(),
            samples.p95()
        );
    }
    println!(
        "{:<32} {:>6} {:>9.3} {:>9.3}",
        "whole refresh",
        "",
        wall.total.p50(),
        wall.total.p95()
    );
}

fn print_statements<'a>(statements: &Statements, items: impl Iterator<Item = &'a str>) {
    println!("{:<32} {:>9} {:>9}", "", "p50 ms", "p95 ms");
    for item in items {
        let Some(samples) = statements.per_item.get(item) else {
            continue;
        };
        println!("{item:<32} {:>9.3} {:>9.3}", samples.p50(), samples.p95());
        for ((owner, key), samples) in &statements.per_statement {
            if owner == item {
                println!(
                    "    {:<70} {:>9.3} {:>9.3}",
                    short(key, 70),
                    samples.p50(),
                    samples.p95()
                );
            }
        }
    }
    println!(
        "{:<32} {:>9.3} {:>9.3}",
        "whole refresh",
        statements.total.p50(),
        statements.total.p95()
    );
}
