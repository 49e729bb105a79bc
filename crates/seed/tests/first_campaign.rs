//! The first-campaign data set: deterministic, shaped as schema.md §8 says, and loadable
//! into the platform fixture with every trigger on.
//!
//! The database tests need the throwaway cluster: `scripts/test -p launchdeck-store
//! --test seed_first_campaign`.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use launchdeck_seed::SeedData;
use launchdeck_seed::first_campaign::{self, GOOGLE_ACCESS_TOKEN_CANARY, SeedFacts};
use launchdeck_testkit::TestDb;
use serde_json::{Map, Value};
use sqlx::PgPool;

const SEED: u64 = 42;

fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-07-20T15:04:05Z")
        .expect("valid timestamp literal")
        .with_timezone(&Utc)
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

/// Rows of `table` whose `column` equals `value` (compared as text).
fn rows_where<'a>(
    data: &'a SeedData,
    table: &str,
    column: &str,
    value: &str,
) -> Vec<&'a Map<String, Value>> {
    data.rows(table)
        .iter()
        .filter(|row| text(row, column) == Some(value))
        .collect()
}

fn status_counts(rows: &[&Map<String, Value>]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for row in rows {
        let status = text(row, "status").unwrap_or("<none>").to_string();
        *counts.entry(status).or_insert(0) += 1;
    }
    counts
}

fn counts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

fn timestamp(row: &Map<String, Value>, column: &str) -> DateTime<Utc> {
    text(row, column)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("row has no timestamp {column}: {row:?}"))
}

#[test]
fn same_seed_gives_the_same_data_and_ids() {
    let (data_a, facts_a) = first_campaign::generate(fixed_now(), SEED);
    let (data_b, facts_b) = first_campaign::generate(fixed_now(), SEED);
    assert_eq!(data_a, data_b);
    assert_eq!(facts_a, facts_b);

    // Ids do not depend on `now`; only the timestamps move.
    let later = fixed_now() + Duration::hours(5);
    let (data_later, facts_later) = first_campaign::generate(later, SEED);
    assert_eq!(facts_a.campaign.id, facts_later.campaign.id);
    assert_eq!(facts_a.broadcast_a.id, facts_later.broadcast_a.id);
    assert_eq!(facts_a.stale, facts_later.stale);
    let ids = |data: &SeedData| -> Vec<String> {
        data.rows("call_logs")
            .iter()
            .filter_map(|r| text(r, "id").map(str::to_string))
            .collect()
    };
    assert_eq!(ids(&data_a), ids(&data_later));
    assert_ne!(data_a, data_later);

    let (_, other) = first_campaign::generate(fixed_now(), SEED + 1);
    assert_ne!(facts_a.campaign.id, other.campaign.id);
    assert_ne!(facts_a.trunk.twilio_trunk_sid, other.trunk.twilio_trunk_sid);
}

#[test]
fn broadcast_queues_match_the_profile() {
    let (data, facts) = first_campaign::generate(fixed_now(), SEED);
    let now = fixed_now();
    let a_rows = rows_where(
        &data,
        "broadcast_queue",
        "broadcast_id",
        &facts.broadcast_a.id.to_string(),
    );
    assert_eq!(a_rows.len(), 5_000);
    let expected_a = counts(&[
        ("pending", 2750),
        ("calling", 100),
        ("answered", 600),
        ("completed", 400),
        ("voicemail", 300),
        ("no_answer", 300),
        ("failed", 250),
        ("busy", 100),
        ("transferred", 100),
        ("callback", 50),
        ("dnc", 50),
    ]);
    assert_eq!(status_counts(&a_rows), expected_a);
    assert_eq!(facts.broadcast_a.counts, expected_a);

    let calling: Vec<_> = a_rows
        .iter()
        .filter(|r| text(r, "status") == Some("calling"))
        .collect();
    let stale: Vec<_> = calling
        .iter()
        .filter(|r| now - timestamp(r, "updated_at") > Duration::minutes(5))
        .collect();
    assert_eq!(stale.len(), 10);
    for row in &stale {
        let age = now - timestamp(row, "updated_at");
        assert!(
            age > Duration::minutes(6) && age <= Duration::minutes(40),
            "stale age {age}"
        );
    }
    for row in calling
        .iter()
        .filter(|r| now - timestamp(r, "updated_at") <= Duration::minutes(5))
    {
        assert!(now - timestamp(row, "updated_at") <= Duration::minutes(1));
        assert!(text(row, "call_sid").is_some_and(|sid| sid.starts_with("CA") && sid.len() == 34));
    }
    assert_eq!(facts.stale.broadcast_queue_calling.len(), 10);
    assert_eq!(facts.stale.broadcast_queue_calling_fresh, 90);

    // Finished rows spread over 3 hours, some in the last 15 minutes.
    let finished: Vec<_> = a_rows
        .iter()
        .filter(|r| !matches!(text(r, "status"), Some("pending" | "calling")))
        .collect();
    assert!(
        finished
            .iter()
            .all(|r| now - timestamp(r, "updated_at") <= Duration::hours(3))
    );
    let recent = finished
        .iter()
        .filter(|r| now - timestamp(r, "updated_at") <= Duration::minutes(15))
        .count();
    assert!(
        recent >= 50,
        "only {recent} rows finished in the last 15 min"
    );
    assert_eq!(recent, facts.broadcast_a.finished_last_15_min);
    for row in finished
        .iter()
        .filter(|r| text(r, "status") == Some("failed"))
    {
        assert!(text(row, "error_code").is_some() && text(row, "error_message").is_some());
    }

    let actions = facts.broadcast_a.dtmf_actions.to_string();
    assert!(
        actions.contains("\"callback\""),
        "A keeps the default callback action"
    );
    let b_rows = rows_where(
        &data,
        "broadcast_queue",
        "broadcast_id",
        &facts.broadcast_b.id.to_string(),
    );
    assert_eq!(b_rows.len(), 500);
    assert_eq!(facts.broadcast_b.status, "paused");
    let b_actions = facts.broadcast_b.dtmf_actions.as_array().expect("an array");
    assert!(
        b_actions
            .iter()
            .any(|a| a["action"] == "transfer" && a.get("transfer_to").is_none())
    );
}

#[test]
fn campaign_rows_match_the_profile() {
    let (data, facts) = first_campaign::generate(fixed_now(), SEED);
    let now = fixed_now();
    let campaign = facts.campaign.id.to_string();
    let org = facts.first_org.org_id.to_string();

    let leads = rows_where(&data, "leads", "organization_id", &org);
    assert_eq!(leads.len(), 1_200);
    assert_eq!(
        leads
            .iter()
            .filter(|r| r.get("state") == Some(&Value::Null))
            .count(),
        120
    );
    assert_eq!(
        rows_where(&data, "campaign_leads", "campaign_id", &campaign).len(),
        1_200
    );

    let queue = rows_where(&data, "dialing_queues", "campaign_id", &campaign);
    let expected = counts(&[
        ("pending", 620),
        ("completed", 200),
        ("failed", 120),
        ("removed", 30),
        ("calling", 30),
    ]);
    assert_eq!(status_counts(&queue), expected);
    assert_eq!(facts.campaign.dialing_counts, expected);
    let stale: Vec<_> = queue
        .iter()
        .filter(|r| {
            text(r, "status") == Some("calling") && text(r, "last_provider_call_id").is_none()
        })
        .collect();
    assert_eq!(stale.len(), 3);
    for row in stale {
        let age = now - timestamp(row, "updated_at");
        assert!(
            age >= Duration::minutes(3) && age <= Duration::minutes(30),
            "age {age}"
        );
    }

    let logs = rows_where(&data, "call_logs", "campaign_id", &campaign);
    let expected_logs = counts(&[
        ("completed", 1350),
        ("failed", 600),
        ("no_answer", 600),
        ("voicemail", 240),
        ("busy", 120),
        ("queued", 6),
        ("ringing", 84),
    ]);
    assert_eq!(status_counts(&logs), expected_logs);
    assert!(
        logs.iter()
            .all(|r| now - timestamp(r, "created_at") <= Duration::days(7))
    );
    let in_flight_without_id = logs
        .iter()
        .filter(|r| matches!(text(r, "status"), Some("queued" | "ringing")))
        .filter(|r| text(r, "retell_call_id").is_none())
        .count();
    assert_eq!(in_flight_without_id, 8, "3 acceptance_unknown + 5 stale");
    assert_eq!(facts.stale.call_logs_without_provider_id.len(), 5);
}

#[test]
fn numbers_ledger_and_extras_match_the_profile() {
    let (data, facts) = first_campaign::generate(fixed_now(), SEED);
    assert_eq!(facts.numbers.len(), 8);
    assert_eq!(facts.numbers.iter().filter(|n| n.is_usable()).count(), 5);
    let with_retell: Vec<_> = facts
        .numbers
        .iter()
        .filter(|n| n.retell_phone_id.is_some())
        .collect();
    assert_eq!(with_retell.len(), 3);
    assert!(
        with_retell
            .iter()
            .all(|n| n.retell_phone_id.as_deref() == Some(n.e164.as_str()))
    );
    assert_eq!(facts.trunk.number_ids.len(), 2);
    assert_eq!(
        facts.trunk.twilio_termination_uri,
        format!(
            "{}.pstn.twilio.com",
            facts.trunk.twilio_trunk_sid.to_lowercase()
        )
    );
    assert!(
        facts.trunk.twilio_trunk_sid.starts_with("TK") && facts.trunk.twilio_trunk_sid.len() == 34
    );
    let without_outbound: Vec<_> = facts
        .retell_numbers
        .iter()
        .filter(|n| n.outbound_agent_ids.is_empty())
        .collect();
    assert_eq!(without_outbound.len(), 1);
    assert_eq!(
        without_outbound[0].phone_number,
        facts.number_without_outbound_agent
    );
    assert!(!without_outbound[0].inbound_agent_ids.is_empty());

    let mut retell_ids = HashSet::new();
    for row in data.rows("call_logs") {
        if let Some(id) = text(row, "retell_call_id") {
            assert!(retell_ids.insert(id), "duplicate retell_call_id {id}");
        }
    }
    let claims = data.rows("provider_dispatch_claims");
    let unknown = claims
        .iter()
        .filter(|r| text(r, "status") == Some("acceptance_unknown"))
        .count();
    assert_eq!(unknown, 3);
    let quarantined = data
        .rows("call_logs")
        .iter()
        .filter(|r| r.get("provider_reconciliation_required") == Some(&Value::Bool(true)))
        .count();
    assert_eq!(quarantined, 2);
    let manual = data
        .rows("provider_reconciliation_jobs")
        .iter()
        .filter(|r| text(r, "state") == Some("manual_required"))
        .count();
    assert_eq!(manual, 1);

    assert_eq!(data.rows("system_alerts").len(), 20);
    assert_eq!(data.rows("dnc_list").len(), 50);
    assert_eq!(data.rows("contact_stop_controls").len(), 3);
    assert_eq!(data.rows("active_ai_transfers").len(), 2);
    assert_eq!(data.rows("campaign_contact_release_members").len(), 20);
    let integration = &data.rows("calendar_integrations")[0];
    assert_eq!(
        integration.get("refresh_token_encrypted"),
        Some(&Value::Null)
    );
    let token = text(integration, "access_token_encrypted").expect("an access token");
    assert_eq!(
        BASE64.decode(token).ok().as_deref(),
        Some(GOOGLE_ACCESS_TOKEN_CANARY.as_bytes())
    );
    assert!(data.rows("calendar_availability")[0]["weekly_schedule"].is_string());
    assert_eq!(facts.table_counts.get("broadcast_queue"), Some(&5_500));
}

#[test]
fn audio_url_can_be_pointed_elsewhere() {
    let (mut data, facts) = first_campaign::generate(fixed_now(), SEED);
    let url = "http://127.0.0.1:9/audio.mp3";
    assert!(first_campaign::set_broadcast_audio_url(
        &mut data,
        facts.broadcast_a.id,
        url
    ));
    let row = rows_where(
        &data,
        "voice_broadcasts",
        "id",
        &facts.broadcast_a.id.to_string(),
    )[0];
    assert_eq!(text(row, "audio_url"), Some(url));
    assert!(!first_campaign::set_broadcast_audio_url(
        &mut data,
        uuid::Uuid::nil(),
        url
    ));
}

async fn count(pool: &PgPool, sql: &'static str, bind: Option<String>) -> i64 {
    let query = sqlx::query_scalar::<_, i64>(sql);
    let query = match bind {
        Some(value) => query.bind(value),
        None => query,
    };
    query
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("query failed: {sql}: {e}"))
}

async fn load_fresh() -> (TestDb, SeedFacts) {
    let db = TestDb::create().await;
    let (data, facts) = first_campaign::generate(Utc::now(), SEED);
    launchdeck_seed::pg::load(db.pool(), &data)
        .await
        .unwrap_or_else(|e| panic!("the first-campaign seed does not load: {e}"));
    (db, facts)
}

#[tokio::test]
async fn loads_into_the_fixture_with_triggers_on() {
    let (db, facts) = load_fresh().await;
    let pool = db.pool();
    let a = Some(facts.broadcast_a.id.to_string());

    let stale_broadcast = count(
        pool,
        "SELECT count(*) FROM broadcast_queue WHERE broadcast_id = $1::uuid \
         AND status = 'calling' AND updated_at < now() - interval '5 minutes'",
        a.clone(),
    )
    .await;
    assert_eq!(stale_broadcast, 10);
    let stale_dialing = count(
        pool,
        "SELECT count(*) FROM dialing_queues WHERE status = 'calling' \
         AND last_provider_call_id IS NULL AND updated_at < now() - interval '2 minutes'",
        None,
    )
    .await;
    assert_eq!(stale_dialing, 3);

    let expiring = count(
        pool,
        "SELECT count(*) FROM calendar_integrations WHERE provider = 'google' \
         AND refresh_token_encrypted IS NULL \
         AND token_expires_at BETWEEN now() AND now() + interval '10 minutes' \
         AND convert_from(decode(access_token_encrypted, 'base64'), 'UTF8') = $1",
        Some(GOOGLE_ACCESS_TOKEN_CANARY.to_string()),
    )
    .await;
    assert_eq!(expiring, 1);
    let string_schedules = count(
        pool,
        "SELECT count(*) FROM calendar_availability WHERE jsonb_typeof(weekly_schedule) = 'string' \
         AND (weekly_schedule #>> '{}')::jsonb ? 'monday'",
        None,
    )
    .await;
    assert_eq!(string_schedules, 1);

    let normalised_dnc = count(
        pool,
        "SELECT count(*) FROM dnc_list WHERE phone_number_normalized ~ '^\\+1[0-9]{10}$'",
        None,
    )
    .await;
    assert_eq!(normalised_dnc, 50);
    let first_org_logs = count(
        pool,
        "SELECT count(*) FROM call_logs WHERE organization_id = $1::uuid",
        Some(facts.first_org.org_id.to_string()),
    )
    .await;
    assert_eq!(first_org_logs, 3_000);
}

#[tokio::test]
async fn platform_health_functions_see_a_current_release_and_reconciler() {
    let (db, facts) = load_fresh().await;
    let pool = db.pool();

    let (cron_active, vault, manual, queued, recent): (bool, bool, i64, i64, bool) = sqlx::query_as(
        "SELECT cron_active, vault_configured, manual_required_count, queued_count, recent_success \
         FROM retell_reconciliation_health_check()",
    )
    .fetch_one(pool)
    .await
    .expect("retell_reconciliation_health_check returns its row");
    assert!(cron_active && vault);
    assert_eq!((manual, queued), (1, 1));
    assert!(
        !recent,
        "the last success was 10 minutes ago (older than 6)"
    );

    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("SELECT set_config('request.jwt.claim.sub', $1, true)")
        .bind(facts.first_org.owner_user_id.to_string())
        .execute(&mut *tx)
        .await
        .expect("set the JWT subject");
    let (state, members): (String, i32) = sqlx::query_as(
        "SELECT release_state, cohort_member_count FROM get_campaign_contact_release_status($1::uuid)",
    )
    .bind(facts.campaign.id.to_string())
    .fetch_one(&mut *tx)
    .await
    .expect("release status");
    tx.rollback().await.expect("rollback");
    assert_eq!((state.as_str(), members), ("current_release_present", 20));

    let stop = |user: uuid::Uuid, org: uuid::Uuid, campaign: Option<uuid::Uuid>| {
        sqlx::query_scalar::<_, bool>(
            "SELECT allowed FROM evaluate_contact_stop($1::uuid, $2::uuid, $3::uuid, 'retell')",
        )
        .bind(user.to_string())
        .bind(org.to_string())
        .bind(campaign.map(|c| c.to_string()))
        .fetch_one(pool)
    };
    let first = &facts.first_org;
    assert!(
        stop(first.owner_user_id, first.org_id, Some(facts.campaign.id))
            .await
            .expect("evaluate")
    );
    let second = &facts.second_org;
    assert!(
        !stop(second.owner_user_id, second.org_id, None)
            .await
            .expect("evaluate")
    );
}

#[tokio::test]
async fn the_tool_loads_once_and_then_refuses() {
    let db = TestDb::create().await;
    let tool = env!("CARGO_BIN_EXE_launchdeck-seed");
    let run = |extra: &[&str]| {
        Command::new(tool)
            .args(["--database-url", db.url(), "--seed", "7"])
            .args(extra)
            .env_remove("LAUNCHDECK_DATABASE_URL")
            .output()
            .expect("the seeding tool runs")
    };
    let first = run(&["--profile", "first-campaign"]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("call_logs") && l.contains("3012 rows")),
        "{stdout}"
    );
    assert!(!stdout.contains(db.url()));

    let again = run(&["--profile", "first-campaign"]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("--force"), "{stderr}");

    let unknown = run(&["--profile", "nonsense"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown profile"));
    let logs = count(db.pool(), "SELECT count(*) FROM call_logs", None).await;
    assert_eq!(logs, 3_012);
}
