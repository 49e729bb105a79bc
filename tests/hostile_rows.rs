//! Rows the platform's schema lets through but the code never writes: statuses outside the
//! documented sets where a table has no CHECK, NULLs and nonsense where values are expected,
//! availability JSON in broken forms. The real binary reads them from a real PostgreSQL:
//! every command runs to its documented exit code, names the odd value where it matters,
//! changes nothing it did not preview, and the console draws every screen and quits cleanly.

#[path = "common/cli.rs"]
mod cli;
mod common;

use std::process::Output;

use chrono::Utc;
use cli::launchdeck;
use common::pty::PtyApp;
use launchdeck_seed::first_campaign::{self, SeedFacts};
use launchdeck_seed::pg;
use launchdeck_testkit::TestDb;
use serde_json::Value;

/// Each statement puts values outside the documented sets into rows of the seed.
/// `$1` is the first org's owner, `$2` broadcast A, `$3` broadcast B, `$4` the campaign.
const HOSTILE_UPDATES: &[(&str, &str)] = &[
    (
        "queue statuses no code writes",
        "UPDATE broadcast_queue SET status = CASE WHEN attempts % 2 = 0 THEN 'zombie' ELSE 'CALLING' END \
         WHERE id IN (SELECT id FROM broadcast_queue WHERE broadcast_id = $2 ORDER BY id LIMIT 6)",
    ),
    (
        "a queue row that is not a phone call at all",
        "UPDATE broadcast_queue SET phone_number = 'call me maybe', lead_name = NULL, lead_id = NULL, \
         call_duration_seconds = -5, call_cost = -1, attempts = -2, error_message = repeat('x', 5000) \
         WHERE id IN (SELECT id FROM broadcast_queue WHERE broadcast_id = $2 AND status = 'calling' \
                      ORDER BY id LIMIT 2)",
    ),
    (
        "dialing statuses no code writes",
        "UPDATE dialing_queues SET status = CASE WHEN attempts % 2 = 0 THEN 'in_limbo' ELSE '' END \
         WHERE id IN (SELECT id FROM dialing_queues WHERE campaign_id = $4 AND status = 'pending' \
                      ORDER BY id LIMIT 4)",
    ),
    (
        "a calling dialing row with nothing to go on",
        "UPDATE dialing_queues SET last_provider = 'carrier-pigeon', last_provider_call_id = '', \
         phone_number = '+', attempts = 999 \
         WHERE id IN (SELECT id FROM dialing_queues WHERE campaign_id = $4 AND status = 'calling' \
                      ORDER BY id LIMIT 1)",
    ),
    (
        "a broadcast in a status and provider no code knows",
        "UPDATE voice_broadcasts SET status = 'archived_v2', broadcast_provider = 'carrier_pigeon' \
         WHERE id = $3",
    ),
    (
        "a running broadcast with nonsense settings",
        "UPDATE voice_broadcasts SET calls_per_minute = -1, timezone = 'Mars/Olympus', \
         calling_hours_start = '23:00', calling_hours_end = '01:00', max_attempts = 0, \
         dtmf_actions = '{\"1\": \"transfer\"}' WHERE id = $2",
    ),
    (
        "alerts of an unknown severity and kind",
        "UPDATE system_alerts SET severity = CASE WHEN created_at < now() - interval '1 minute' \
         THEN 'apocalyptic' ELSE '' END, alert_type = 'brand_new_kind', metadata = '[1, \"two\"]', \
         related_id = 'not-a-uuid', related_type = 'voice_broadcast' \
         WHERE id IN (SELECT id FROM system_alerts WHERE user_id = $1 AND NOT acknowledged \
                      ORDER BY created_at LIMIT 3)",
    ),
    (
        "a calendar integration with an unlisted provider and garbage tokens",
        "UPDATE calendar_integrations SET access_token_encrypted = '%%% not base64 %%%', \
         refresh_token_encrypted = '', token_expires_at = NULL, calendar_id = NULL \
         WHERE id IN (SELECT id FROM calendar_integrations WHERE user_id = $1 ORDER BY id LIMIT 1)",
    ),
    (
        "availability saved as a JSON string that is not JSON",
        "UPDATE calendar_availability SET weekly_schedule = to_jsonb('monday 9-5'::text), \
         timezone = 'Nowhere/Special', slot_interval_minutes = 0, default_meeting_duration = -30 \
         WHERE user_id = $1",
    ),
    (
        "a trunk of an unknown type",
        "UPDATE sip_trunk_configs SET provider_type = 'weird', sip_port = -1, transport = 'carrier pigeon' \
         WHERE user_id = $1",
    ),
];

/// More broken availability forms; the check must run and say the schedule is broken.
const BROKEN_SCHEDULES: &[&str] = &[
    "'[]'",
    "'null'",
    "'42'",
    r#"'{"monday": "9-5"}'"#,
    r#"'{"funday": [{"start": "09:00", "end": "17:00"}]}'"#,
    r#"'{"monday": [{"start": "25:00", "end": "09:00"}]}'"#,
    r#"'{"monday": [{"begin": "09:00"}]}'"#,
    r#"to_jsonb('{"monday": [{"start": 9, "end": 17}]}'::text)"#,
];

struct Platform {
    db: TestDb,
    facts: SeedFacts,
}

impl Platform {
    async fn hostile() -> Platform {
        let db = TestDb::create().await;
        let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        let platform = Platform { db, facts };
        for (what, sql) in HOSTILE_UPDATES {
            platform.execute(what, sql).await;
        }
        platform
    }

    async fn execute(&self, what: &str, sql: &str) -> u64 {
        let changed = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(self.facts.first_org.owner_user_id)
            .bind(self.facts.broadcast_a.id)
            .bind(self.facts.broadcast_b.id)
            .bind(self.facts.campaign.id)
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .rows_affected();
        assert!(changed > 0, "{what}: the seed has rows to change");
        changed
    }

    /// Every writable table's rows as text, to prove a command changed nothing.
    async fn fingerprint(&self) -> String {
        let tables = [
            "broadcast_queue",
            "dialing_queues",
            "voice_broadcasts",
            "campaigns",
            "system_alerts",
            "calendar_integrations",
            "contact_stop_controls",
        ];
        let mut all = String::new();
        for table in tables {
            let sql = format!(
                "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"
            );
            let sum: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(self.db.pool())
                .await
                .unwrap_or_else(|e| panic!("fingerprint {table}: {e}"));
            all.push_str(&format!("{table}={sum}\n"));
        }
        all
    }

    fn run(&self, args: &[&str]) -> Output {
        launchdeck(self.db.url(), args)
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// A run that ended by its documented exit code, not a crash.
fn assert_ran(what: &str, out: &Output, codes: &[i32]) {
    let stderr = text(&out.stderr);
    assert!(
        out.status.code().is_some_and(|c| codes.contains(&c)),
        "{what}: exit {:?}, expected one of {codes:?}\nstdout:\n{}\nstderr:\n{stderr}",
        out.status.code(),
        text(&out.stdout),
    );
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
}

fn json(what: &str, out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{}", text(&out.stdout)))
}

#[tokio::test]
async fn reads_and_actions_take_out_of_set_rows_in_their_stride() {
    let platform = Platform::hostile().await;
    let before = platform.fingerprint().await;

    let calls = platform.run(&["calls", "--json"]);
    assert_ran("calls --json", &calls, &[0]);
    let listed = json("calls --json", &calls);
    let rows = listed["calls"].as_array().expect("a calls array");
    assert!(!rows.is_empty(), "the calls still in flight are listed");
    let shown = serde_json::to_string(rows).unwrap();
    assert!(
        !shown.contains("call me maybe"),
        "a number that is not E.164 is not shown raw either: {shown}"
    );

    let text_calls = platform.run(&["calls", "--stuck"]);
    assert_ran("calls --stuck", &text_calls, &[0]);

    let check = platform.run(&["check", "--json"]);
    assert_ran("check --json", &check, &[1]);
    let report = json("check --json", &check).to_string();
    assert!(
        report.contains("Mars/Olympus"),
        "the broadcast's unknown time zone is named"
    );
    let check_text = platform.run(&["check"]);
    assert_ran("check", &check_text, &[1]);

    assert_ran("audit", &platform.run(&["audit", "--json"]), &[0]);

    // Previews on odd rows write nothing; a broadcast in an unknown status is not paused.
    let dry_cleanup = platform.run(&["cleanup", "--dry-run", "--json"]);
    assert_ran("cleanup --dry-run", &dry_cleanup, &[0]);
    let broadcast_b = platform.facts.broadcast_b.id.to_string();
    let pause = platform.run(&["pause", "--broadcast", &broadcast_b, "--yes"]);
    // "Nothing to do" (exit 0), as for a broadcast that is already paused.
    assert_ran("pause of an archived_v2 broadcast", &pause, &[0]);
    assert!(
        text(&pause.stdout).contains("has status `archived_v2`"),
        "the refusal names the status:\n{}",
        text(&pause.stdout)
    );
    assert_eq!(platform.fingerprint().await, before, "nothing was written");

    // Cleanup for real: odd statuses are not the platform's stuck statuses and stay as they are.
    let odd_before = odd_status_counts(&platform).await;
    let cleanup = platform.run(&["cleanup", "--yes", "--json"]);
    assert_ran("cleanup --yes", &cleanup, &[0, 1]);
    assert_eq!(odd_status_counts(&platform).await, odd_before);
}

async fn odd_status_counts(platform: &Platform) -> (i64, i64) {
    let queue: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM broadcast_queue WHERE status IN ('zombie', 'CALLING')",
    )
    .fetch_one(platform.db.pool())
    .await
    .expect("count queue");
    let dialing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dialing_queues WHERE status IN ('in_limbo', '')")
            .fetch_one(platform.db.pool())
            .await
            .expect("count dialing");
    (queue, dialing)
}

#[tokio::test]
async fn every_broken_availability_form_is_reported_not_crashed_on() {
    let platform = Platform::hostile().await;
    for schedule in BROKEN_SCHEDULES {
        let sql = format!(
            "UPDATE calendar_availability SET weekly_schedule = {schedule}::jsonb, \
             timezone = 'America/New_York' WHERE user_id = $1"
        );
        platform.execute(schedule, &sql).await;
        let check = platform.run(&["check", "--json"]);
        assert_ran(schedule, &check, &[1]);
        let report = json(schedule, &check);
        let availability = find_check(&report, "availability")
            .unwrap_or_else(|| panic!("{schedule}: no availability check in {report}"));
        assert_ne!(
            availability["status"], "ok",
            "{schedule}: a broken schedule is not ok: {availability}"
        );
    }
}

/// The first check whose id mentions `word`.
fn find_check<'a>(report: &'a Value, word: &str) -> Option<&'a Value> {
    report["checks"]
        .as_array()?
        .iter()
        .find(|check| check["id"].as_str().unwrap_or_default().contains(word))
}

#[test]
fn the_console_draws_every_screen_over_out_of_set_rows() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let platform = rt.block_on(Platform::hostile());
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_str().expect("a UTF-8 temp path");
    let url = platform.db.url();
    let mut app = PtyApp::spawn(
        &[],
        &[
            ("LAUNCHDECK_DATABASE_URL", url),
            ("LAUNCHDECK_DATA_DIR", home_path),
            ("HOME", home_path),
        ],
        120,
        40,
    );
    app.wait_for("the first poll", |s| {
        s.contains("DB ok") && !s.contains("waiting for the first poll")
    });
    // Each screen, with what it shows of the odd values: raw, marked unknown, never a crash.
    let screens = [
        ("2", "[2 Readiness]", "NOT READY"),
        ("3", "[3 Calls]", "stuck"),
        ("4", "[4 Logs]", "zombie"),
        ("1", "[1 Overview]", "? apocaly"),
    ];
    for (key, tab, shown) in screens {
        app.send(key);
        let screen = app.wait_for(tab, |s| {
            s.contains(tab) && !s.contains("waiting for the first poll")
        });
        assert!(screen.contains(shown), "{tab} shows {shown:?}:\n{screen}");
        assert!(
            !screen.contains("call me maybe"),
            "a queue row's number that is not E.164 is not shown raw:\n{screen}"
        );
    }
    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    let seen = String::from_utf8_lossy(&app.raw_output()).into_owned();
    assert!(!seen.contains("panicked"), "no panic on screen");
    rt.block_on(platform.db.drop_db());
}
