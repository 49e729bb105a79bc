//! The live console, the real binary in a real pty, against a real PostgreSQL loaded
//! with the first-campaign data set; the connection runs through a TCP proxy so the
//! test can take the database away and bring it back.

mod common;

use std::path::Path;

use chrono::Utc;
use common::pty::{PtyApp, move_cursor_to};
use launchdeck_seed::{first_campaign, pg};
use launchdeck_testkit::{TcpProxy, TestDb};

/// The number after "Calls in flight " on the Calls screen.
fn in_flight_count(screen: &str) -> Option<u64> {
    let rest = screen.split("Calls in flight ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The console at 120×40 on `url`, with `home` as its home and data dir, plus `env`.
fn console(url: &str, home: &Path, env: &[(&str, &str)]) -> PtyApp {
    let home = home.to_str().expect("a UTF-8 temp path");
    let mut all = vec![
        ("LAUNCHDECK_DATABASE_URL", url),
        ("LAUNCHDECK_DATA_DIR", home),
        ("HOME", home),
    ];
    all.extend_from_slice(env);
    PtyApp::spawn(&[], &all, 120, 40)
}

#[test]
fn live_console_against_postgres() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, facts, proxy) = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        let proxy = TcpProxy::start(db.server_addr()).await;
        (db, facts, proxy)
    });
    let url = db.url_via(&proxy);
    let data_dir = tempfile::tempdir().unwrap();
    let mut app = console(&url, data_dir.path(), &[]);

    // First frame: the Overview with the seeded broadcast and the stuck calls.
    // (long names are cut to fit their column)
    let name_start: String = facts.broadcast_a.name.chars().take(20).collect();
    app.wait_for_text(&name_start);
    app.wait_for("stuck counts", |s| s.contains("stuck"));

    // Calls: stuck rows are marked; numbers masked.
    app.send("3");
    let calls = app.wait_for("the Calls table", |s| {
        in_flight_count(s).is_some() && s.contains('✗')
    });
    let before = in_flight_count(&calls).unwrap();
    assert!(calls.contains("••••"), "numbers masked:\n{calls}");

    // A row that changes in the database shows up on screen.
    rt.block_on(async {
        sqlx::query(
            "UPDATE broadcast_queue SET status = 'calling', attempts = attempts + 1 \
             WHERE id = (SELECT id FROM broadcast_queue WHERE broadcast_id = $1 \
                         AND status = 'pending' ORDER BY id LIMIT 1)",
        )
        .bind(facts.broadcast_a.id)
        .execute(db.pool())
        .await
        .expect("update a row");
    });
    app.wait_for("the new call in flight", |s| {
        in_flight_count(s) == Some(before + 1)
    });

    // Navigation keys move the selection without leaving the screen.
    app.send("jjjG");
    app.send("g");
    app.wait_for_text("Calls in flight");

    // Logs: filter and detail.
    app.send("4");
    app.wait_for_text("Call log");
    app.send("/failed");
    app.wait_for_text("filter: failed");
    app.send("\r");
    app.send("\r");
    app.wait_for_text("created");
    app.send("\u{1b}");

    // The database goes away: the header says so and the data stays.
    rt.block_on(proxy.cut());
    app.wait_for_text("unreachable since");
    proxy.restore();
    app.wait_for_text("DB ok");

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(db.drop_db());
}

#[test]
fn cleanup_and_acknowledge_from_the_keys_against_postgres() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, _) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        db
    });
    let count = |sql: &str| -> i64 {
        rt.block_on(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(db.pool()))
            .expect("count")
    };
    let stale_dialing = "SELECT count(*) FROM dialing_queues WHERE status = 'calling' \
        AND last_provider_call_id IS NULL AND updated_at < now() - interval '2 minutes'";
    let unacknowledged = "SELECT count(*) FROM system_alerts WHERE NOT acknowledged";
    assert!(count(stale_dialing) > 0, "the seed has stale dialing rows");
    let alerts_before = count(unacknowledged);

    let data_dir = tempfile::tempdir().unwrap();
    let url = db.url().to_string();
    let mut app = console(&url, data_dir.path(), &[]);

    // c on the Calls screen: no row marked, so every stuck call; providers are not
    // configured here, so only the rows without a provider call id can change.
    app.send("3");
    app.wait_for("stuck rows", |s| {
        s.contains("Calls in flight") && s.contains('✗')
    });
    app.send("c");
    let modal = app.wait_for("the cleanup plan", |s| s.contains("y confirm"));
    assert!(modal.contains("dialing_queues"), "{modal}");
    app.send("y");
    app.wait_for_text("cleaned up:");
    assert_eq!(
        count(stale_dialing),
        0,
        "the stale dialing rows were cleaned up"
    );

    // a on the Overview's last alert.
    app.send("1");
    app.wait_for_text("Unacknowledged alerts");
    app.send("G");
    app.wait_for("an alert selected", |s| s.contains("a acknowledge"));
    app.send("a");
    app.wait_for("the acknowledge plan", |s| s.contains("y confirm"));
    app.send("y");
    app.wait_for_text("acknowledged: 1 changed");
    assert_eq!(count(unacknowledged), alerts_before - 1);
    let audited = count("SELECT count(*) FROM launchdeck.audit_log WHERE action = 'acknowledge'");
    assert_eq!(audited, 1);

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(db.drop_db());
}

#[test]
fn emergency_stop_from_the_keys_against_postgres() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, facts) = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        (db, facts)
    });
    let scalar = |sql: String| -> String {
        let value: Option<String> = rt
            .block_on(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_one(db.pool()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.unwrap_or_else(|| panic!("{sql}: NULL"))
    };
    let campaign = facts.campaign.id;
    let in_flight = format!(
        "SELECT count(*)::text FROM dialing_queues WHERE campaign_id = '{campaign}' \
         AND status = 'calling'"
    );
    let calling_before = scalar(in_flight.clone());

    let data_dir = tempfile::tempdir().unwrap();
    let url = db.url().to_string();
    let mut app = console(&url, data_dir.path(), &[]);
    let name = facts.campaign.name.clone();
    let name_start: String = name.chars().take(20).collect();
    app.wait_for_text(&name_start);
    move_cursor_to(&mut app, &name_start);
    app.send("X");
    app.wait_for("the stop plan", |s| s.contains("confirm typed name"));
    app.send(&format!("{name}\r"));
    app.wait_for_text("stopped campaign");
    // The seed holds the second tenant's user stop: now two.
    app.wait_for("the stop badge", |s| s.contains("[2 STOPS ACTIVE]"));

    let status = scalar(format!(
        "SELECT status FROM campaigns WHERE id = '{campaign}'"
    ));
    assert_eq!(status, "paused");
    let stop_row = scalar(format!(
        "SELECT scope_type || ' ' || channel || ' ' || (metadata ->> 'source') \
         FROM contact_stop_controls WHERE active AND campaign_id = '{campaign}' \
         AND (expires_at IS NULL OR expires_at > now())"
    ));
    assert_eq!(stop_row, "campaign all launchdeck");
    assert_eq!(
        scalar(in_flight),
        calling_before,
        "calls in flight untouched"
    );
    let audited =
        scalar("SELECT count(*)::text FROM launchdeck.audit_log WHERE action = 'stop'".to_string());
    assert_eq!(audited, "2");

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(db.drop_db());
}

#[test]
fn a_test_broadcast_from_the_keys_against_postgres_and_the_fakes() {
    use launchdeck_sim::fakes::{CallPlan, RetellFake, RetellState, Route};
    use launchdeck_sim::simulator::provision;
    use std::time::Duration;

    const RETELL_KEY: &str = "key_pty0test0broadcast0value0aa11";
    const TEST_NUMBER: &str = "+12025550181";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, facts, retell) = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        let state = RetellState::new(RETELL_KEY);
        provision::configure_retell(&state, &facts);
        // Answered for 11 s: the platform counts an ended call under 10 s as no answer.
        state.set_default_plan(CallPlan::answered(
            Duration::from_secs(1),
            Duration::from_secs(11),
        ));
        let retell = RetellFake::start(state).await.expect("retell fake");
        (db, facts, retell)
    });
    let count = |sql: String| -> i64 {
        rt.block_on(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()))
            .expect("count")
    };
    let campaign = facts.campaign.id;
    let campaign_logs = format!("SELECT count(*) FROM call_logs WHERE campaign_id = '{campaign}'");
    let logs_before = count(campaign_logs.clone());

    let data_dir = tempfile::tempdir().unwrap();
    let url = db.url().to_string();
    let retell_url = retell.base_url();
    let mut app = console(
        &url,
        data_dir.path(),
        &[
            ("RETELL_AI_API_KEY", RETELL_KEY),
            ("LAUNCHDECK_RETELL_BASE_URL", retell_url.as_str()),
            ("LAUNCHDECK_TEST_BROADCAST_ALLOWLIST", TEST_NUMBER),
        ],
    );
    let name_start: String = facts.campaign.name.chars().take(20).collect();
    app.wait_for_text(&name_start);
    move_cursor_to(&mut app, &name_start);
    app.send("b");
    app.wait_for("the form", |s| s.contains(TEST_NUMBER));
    app.send(" \r");
    let plan = app.wait_for("the plan", |s| {
        s.contains("y confirm") || s.contains("o override")
    });
    if plan.contains("o override") {
        app.send("o");
    }
    let plan = app.wait_for_text("y confirm");
    assert!(plan.contains("via Retell"), "{plan}");
    app.send("y");
    let done = app.wait_for_text("test broadcast finished");
    assert!(done.contains("••••0181 completed"), "{done}");

    // One create, with launchdeck's request id; the row kept out of the campaign.
    let creates = retell.faults().requests();
    let creates: Vec<_> = creates
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/create-phone-call")
        .collect();
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert!(
        creates[0].body.contains("launchdeck_request_id"),
        "{}",
        creates[0].body
    );
    assert_eq!(
        retell.faults().count(&Route::post("/v2/create-phone-call")),
        1
    );
    assert_eq!(
        count(campaign_logs),
        logs_before,
        "the campaign's figures do not move"
    );
    let test_rows = count(format!(
        "SELECT count(*) FROM call_logs WHERE campaign_id IS NULL AND status = 'completed' \
         AND phone_number = '{TEST_NUMBER}'"
    ));
    assert_eq!(test_rows, 1);

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(db.drop_db());
}
