//! The fixture schema rejects what the platform's database rejects
//! (schema.md §2–§3), and the test harness pieces work against it.
//!
//! Run with `scripts/test -p launchdeck-testkit`: it starts the throwaway
//! cluster these tests need.

use std::fmt::Debug;
use std::time::Duration;

use launchdeck_testkit::{TcpProxy, TestDb, wait_until};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Row};
use uuid::Uuid;

const PATIENCE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Asserts a database error with this SQLSTATE whose message or constraint
/// name contains `needle`.
#[track_caller]
fn expect_db_error<T: Debug>(result: Result<T, sqlx::Error>, sqlstate: &str, needle: &str) {
    match result {
        Ok(value) => panic!(
            "expected SQLSTATE {sqlstate} ({needle}), but the statement succeeded: {value:?}"
        ),
        Err(sqlx::Error::Database(e)) => {
            let text = format!("{} [{}]", e.message(), e.constraint().unwrap_or(""));
            assert_eq!(
                e.code().as_deref(),
                Some(sqlstate),
                "unexpected SQLSTATE for {text}"
            );
            assert!(text.contains(needle), "expected {needle:?} in {text:?}");
        }
        Err(other) => panic!("expected a database error {sqlstate}, got: {other}"),
    }
}

/// Unwraps a setup step, naming it when it fails.
#[track_caller]
fn ok<T>(result: Result<T, sqlx::Error>, step: &str) -> T {
    result.unwrap_or_else(|e| panic!("setup step `{step}` failed: {e}"))
}

#[derive(Clone, Copy)]
struct Tenant {
    org: Uuid,
    user: Uuid,
}

async fn new_user(pool: &PgPool) -> Uuid {
    let user = Uuid::new_v4();
    ok(
        sqlx::query("INSERT INTO auth.users (id, email) VALUES ($1, $2)")
            .bind(user)
            .bind(format!("{user}@example.test"))
            .execute(pool)
            .await,
        "insert auth.users",
    );
    user
}

async fn add_member(pool: &PgPool, org: Uuid, user: Uuid, role: &str) {
    ok(
        sqlx::query(
            "INSERT INTO organization_users (organization_id, user_id, role) VALUES ($1, $2, $3)",
        )
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(pool)
        .await,
        "insert organization_users",
    );
}

async fn new_tenant(pool: &PgPool) -> Tenant {
    let user = new_user(pool).await;
    let org: Uuid = ok(
        sqlx::query_scalar("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id")
            .bind(format!("org-{}", Uuid::new_v4()))
            .fetch_one(pool)
            .await,
        "insert organizations",
    );
    add_member(pool, org, user, "owner").await;
    Tenant { org, user }
}

async fn new_campaign(pool: &PgPool, tenant: Tenant) -> Uuid {
    ok(
        sqlx::query_scalar(
            "INSERT INTO campaigns (user_id, organization_id, name, status)
             VALUES ($1, $2, 'Spring outreach', 'active') RETURNING id",
        )
        .bind(tenant.user)
        .bind(tenant.org)
        .fetch_one(pool)
        .await,
        "insert campaigns",
    )
}

async fn new_lead(pool: &PgPool, tenant: Tenant, phone: &str) -> Uuid {
    ok(
        sqlx::query_scalar(
            "INSERT INTO leads (user_id, organization_id, phone_number) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(tenant.user)
        .bind(tenant.org)
        .bind(phone)
        .fetch_one(pool)
        .await,
        "insert leads",
    )
}

async fn enroll(pool: &PgPool, campaign: Uuid, lead: Uuid) {
    ok(
        sqlx::query("INSERT INTO campaign_leads (campaign_id, lead_id) VALUES ($1, $2)")
            .bind(campaign)
            .bind(lead)
            .execute(pool)
            .await,
        "insert campaign_leads",
    );
}

async fn insert_call_log(
    pool: &PgPool,
    tenant: Tenant,
    campaign: Option<Uuid>,
    lead: Option<Uuid>,
    status: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO call_logs (user_id, organization_id, campaign_id, lead_id, phone_number, caller_id, status)
         VALUES ($1, $2, $3, $4, '+14155550100', '+14155550199', $5) RETURNING id",
    )
    .bind(tenant.user)
    .bind(tenant.org)
    .bind(campaign)
    .bind(lead)
    .bind(status)
    .fetch_one(pool)
    .await
}

async fn insert_phone(
    pool: &PgPool,
    tenant: Tenant,
    number: &str,
    retell_phone_id: Option<&str>,
) -> Result<(Uuid, String), sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO phone_numbers (user_id, organization_id, number, area_code, retell_phone_id)
         VALUES ($1, $2, $3, '415', $4) RETURNING id, number",
    )
    .bind(tenant.user)
    .bind(tenant.org)
    .bind(number)
    .bind(retell_phone_id)
    .fetch_one(pool)
    .await?;
    Ok((row.get("id"), row.get("number")))
}

// ---------------------------------------------------------------------------
// call_logs
// ---------------------------------------------------------------------------

#[tokio::test]
async fn call_logs_status_check_rejects_in_progress() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;

    let result = insert_call_log(db.pool(), tenant, None, None, "in_progress").await;
    expect_db_error(result, "23514", "call_logs_status_check");

    let queued = insert_call_log(db.pool(), tenant, None, None, "queued").await;
    assert!(queued.is_ok(), "queued is a valid status: {queued:?}");
}

#[tokio::test]
async fn call_logs_cannot_be_deleted() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let call = ok(
        insert_call_log(db.pool(), tenant, None, None, "completed").await,
        "insert call_logs",
    );

    let result = sqlx::query("DELETE FROM call_logs WHERE id = $1")
        .bind(call)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23514", "CALL_LOG_EVIDENCE_IMMUTABLE");
}

#[tokio::test]
async fn call_logs_retell_call_id_is_immutable_once_set() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let call = ok(
        insert_call_log(db.pool(), tenant, None, None, "queued").await,
        "insert call_logs",
    );

    // Setting it the first time and the stuck cleanup's status update are allowed.
    ok(
        sqlx::query(
            "UPDATE call_logs SET retell_call_id = 'call_first', status = 'ringing' WHERE id = $1",
        )
        .bind(call)
        .execute(db.pool())
        .await,
        "set retell_call_id",
    );
    ok(
        sqlx::query(
            "UPDATE call_logs SET status = 'no_answer', ended_at = now(), notes = 'stuck' WHERE id = $1",
        )
        .bind(call)
        .execute(db.pool())
        .await,
        "stuck cleanup update",
    );

    let result = sqlx::query("UPDATE call_logs SET retell_call_id = 'call_second' WHERE id = $1")
        .bind(call)
        .execute(db.pool())
        .await;
    expect_db_error(
        result,
        "23514",
        "CALL_LOG_PROVIDER_BILLING_IDENTITY_IMMUTABLE",
    );
}

#[tokio::test]
async fn call_logs_tenant_must_match_its_campaign_and_lead() {
    let db = TestDb::create().await;
    let owner = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), owner).await;
    let lead = new_lead(db.pool(), owner, "+14155550123").await;

    let other_org = new_tenant(db.pool()).await;
    let result = insert_call_log(db.pool(), other_org, Some(campaign), None, "queued").await;
    expect_db_error(result, "42501", "CALL_LOG_TENANT_GRAPH_MISMATCH");

    // Same organization, another user: still not the campaign's owner.
    let colleague = Tenant {
        org: owner.org,
        user: new_user(db.pool()).await,
    };
    add_member(db.pool(), owner.org, colleague.user, "member").await;
    let result = insert_call_log(db.pool(), colleague, None, Some(lead), "queued").await;
    expect_db_error(result, "42501", "CALL_LOG_TENANT_GRAPH_MISMATCH");

    let matching = insert_call_log(db.pool(), owner, Some(campaign), Some(lead), "queued").await;
    assert!(matching.is_ok(), "the owner's own call log: {matching:?}");
}

// ---------------------------------------------------------------------------
// phone_numbers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn phone_numbers_are_normalised_to_e164_and_invalid_ones_refused() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;

    let (_, stored) = ok(
        insert_phone(db.pool(), tenant, "(415) 555-0123", None).await,
        "insert phone",
    );
    assert_eq!(stored, "+14155550123");

    let (_, eleven) = ok(
        insert_phone(db.pool(), tenant, "1-212-555-0199", None).await,
        "insert phone",
    );
    assert_eq!(eleven, "+12125550199");

    let result = insert_phone(db.pool(), tenant, "555-01", None).await;
    expect_db_error(result, "22023", "PROVIDER_PHONE_NUMBER_INVALID");
}

#[tokio::test]
async fn phone_numbers_retell_phone_id_is_immutable_once_set() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let (unset, _) = ok(
        insert_phone(db.pool(), tenant, "+14155550101", None).await,
        "insert phone",
    );
    let (set, _) = ok(
        insert_phone(db.pool(), tenant, "+14155550102", Some("ph_original")).await,
        "insert phone",
    );

    ok(
        sqlx::query("UPDATE phone_numbers SET retell_phone_id = 'ph_first' WHERE id = $1")
            .bind(unset)
            .execute(db.pool())
            .await,
        "first retell_phone_id",
    );

    let result = sqlx::query("UPDATE phone_numbers SET retell_phone_id = 'ph_other' WHERE id = $1")
        .bind(set)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23514", "PHONE_PROVIDER_IDENTITY_IMMUTABLE");
}

#[tokio::test]
async fn phone_numbers_allowed_uses_must_be_known_use_types() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let (phone, _) = ok(
        insert_phone(db.pool(), tenant, "+14155550103", None).await,
        "insert phone",
    );

    ok(
        sqlx::query("UPDATE phone_numbers SET allowed_uses = '{voice_ai,sms}' WHERE id = $1")
            .bind(phone)
            .execute(db.pool())
            .await,
        "known use types",
    );
    let result = sqlx::query("UPDATE phone_numbers SET allowed_uses = '{fax}' WHERE id = $1")
        .bind(phone)
        .execute(db.pool())
        .await;
    expect_db_error(result, "P0001", "Invalid use types");
}

// ---------------------------------------------------------------------------
// Tenant guard
// ---------------------------------------------------------------------------

#[tokio::test]
async fn leads_require_an_organization() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;

    let result = sqlx::query("INSERT INTO leads (user_id, organization_id, phone_number) VALUES ($1, NULL, '+14155550123')")
        .bind(tenant.user)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23502", "TENANT_ORGANIZATION_REQUIRED");
}

#[tokio::test]
async fn tenant_user_must_be_a_member_of_the_organization() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let outsider = Tenant {
        org: tenant.org,
        user: new_user(db.pool()).await,
    };

    let result = sqlx::query(
        "INSERT INTO leads (user_id, organization_id, phone_number) VALUES ($1, $2, '+14155550123')",
    )
    .bind(outsider.user)
    .bind(outsider.org)
    .execute(db.pool())
    .await;
    expect_db_error(result, "42501", "TENANT_USER_NOT_ORGANIZATION_MEMBER");

    let lead = new_lead(db.pool(), tenant, "+14155550124").await;
    let other = new_tenant(db.pool()).await;
    let result = sqlx::query("UPDATE leads SET organization_id = $1 WHERE id = $2")
        .bind(other.org)
        .bind(lead)
        .execute(db.pool())
        .await;
    expect_db_error(result, "42501", "TENANT_ORGANIZATION_IMMUTABLE");
}

#[tokio::test]
async fn leads_get_a_normalized_phone() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let lead = new_lead(db.pool(), tenant, "(415) 555-0177").await;
    let bad = new_lead(db.pool(), tenant, "n/a").await;

    let normalized: Option<String> =
        sqlx::query_scalar("SELECT phone_number_normalized FROM leads WHERE id = $1")
            .bind(lead)
            .fetch_one(db.pool())
            .await
            .expect("read lead");
    assert_eq!(normalized.as_deref(), Some("+14155550177"));

    let invalid: Option<String> =
        sqlx::query_scalar("SELECT phone_number_normalized FROM leads WHERE id = $1")
            .bind(bad)
            .fetch_one(db.pool())
            .await
            .expect("read lead");
    assert_eq!(invalid, None);
}

// ---------------------------------------------------------------------------
// campaigns, dialing_queues
// ---------------------------------------------------------------------------

#[tokio::test]
async fn campaigns_calls_per_minute_is_capped_at_30() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), tenant).await;

    let result = sqlx::query("UPDATE campaigns SET calls_per_minute = 31 WHERE id = $1")
        .bind(campaign)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23514", "campaigns_calls_per_minute_check");

    ok(
        sqlx::query("UPDATE campaigns SET calls_per_minute = 30 WHERE id = $1")
            .bind(campaign)
            .execute(db.pool())
            .await,
        "30 calls per minute",
    );
}

async fn new_queue_row(pool: &PgPool, campaign: Uuid, lead: Uuid, status: &str) -> Uuid {
    ok(
        sqlx::query_scalar(
            "INSERT INTO dialing_queues (campaign_id, lead_id, phone_number, status)
             VALUES ($1, $2, '+14155550123', $3) RETURNING id",
        )
        .bind(campaign)
        .bind(lead)
        .bind(status)
        .fetch_one(pool)
        .await,
        "insert dialing_queues",
    )
}

#[tokio::test]
async fn dialing_queues_refuse_deleting_a_calling_row() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), tenant).await;
    let calling_lead = new_lead(db.pool(), tenant, "+14155550130").await;
    let fresh_lead = new_lead(db.pool(), tenant, "+14155550131").await;
    let calling = new_queue_row(db.pool(), campaign, calling_lead, "calling").await;
    let fresh = new_queue_row(db.pool(), campaign, fresh_lead, "pending").await;

    let result = sqlx::query("DELETE FROM dialing_queues WHERE id = $1")
        .bind(calling)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23514", "DIALING_QUEUE_PROVIDER_EVIDENCE_IMMUTABLE");

    let deleted = ok(
        sqlx::query("DELETE FROM dialing_queues WHERE id = $1")
            .bind(fresh)
            .execute(db.pool())
            .await,
        "delete a fresh pending row",
    );
    assert_eq!(deleted.rows_affected(), 1);
}

#[tokio::test]
async fn dialing_queues_campaign_and_lead_share_an_owner() {
    let db = TestDb::create().await;
    let owner = new_tenant(db.pool()).await;
    let other = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), owner).await;
    let foreign_lead = new_lead(db.pool(), other, "+14155550140").await;

    let result = sqlx::query(
        "INSERT INTO dialing_queues (campaign_id, lead_id, phone_number) VALUES ($1, $2, '+14155550140')",
    )
    .bind(campaign)
    .bind(foreign_lead)
    .execute(db.pool())
    .await;
    expect_db_error(result, "42501", "CAMPAIGN_LEAD_TENANT_MISMATCH");
}

// ---------------------------------------------------------------------------
// contact_stop_controls, dnc_list
// ---------------------------------------------------------------------------

#[tokio::test]
async fn contact_stop_controls_global_row_cannot_name_a_campaign() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), tenant).await;

    let result = sqlx::query(
        "INSERT INTO contact_stop_controls (scope_type, campaign_id, reason) VALUES ('global', $1, 'stop --all')",
    )
    .bind(campaign)
    .execute(db.pool())
    .await;
    expect_db_error(result, "23514", "contact_stop_controls_check");
}

#[tokio::test]
async fn evaluate_contact_stop_follows_the_documented_precedence() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = new_campaign(db.pool(), tenant).await;
    let evaluate =
        "SELECT allowed, scope_type, reason FROM evaluate_contact_stop($1, $2, $3, 'retell')";

    let row = ok(
        sqlx::query(evaluate)
            .bind(tenant.user)
            .bind(tenant.org)
            .bind(campaign)
            .fetch_one(db.pool())
            .await,
        "evaluate with no stop",
    );
    assert!(row.get::<bool, _>("allowed"));

    for (scope, reason) in [("campaign", "campaign stop"), ("organization", "org stop")] {
        ok(
            sqlx::query(
                "INSERT INTO contact_stop_controls (scope_type, organization_id, campaign_id, reason)
                 VALUES ($1, CASE WHEN $1 = 'organization' THEN $2 END,
                             CASE WHEN $1 = 'campaign' THEN $3 END, $4)",
            )
            .bind(scope)
            .bind(tenant.org)
            .bind(campaign)
            .bind(reason)
            .execute(db.pool())
            .await,
            "insert stop",
        );
    }
    let row = ok(
        sqlx::query(evaluate)
            .bind(tenant.user)
            .bind(tenant.org)
            .bind(campaign)
            .fetch_one(db.pool())
            .await,
        "evaluate with two stops",
    );
    assert!(!row.get::<bool, _>("allowed"));
    assert_eq!(row.get::<String, _>("scope_type"), "organization");
    assert_eq!(row.get::<String, _>("reason"), "org stop");
}

#[tokio::test]
async fn dnc_entries_are_normalised_and_cannot_be_deleted() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;

    let row = ok(
        sqlx::query(
            "INSERT INTO dnc_list (user_id, organization_id, phone_number, reason)
             VALUES ($1, $2, '415.555.0150', 'requested') RETURNING id, phone_number_normalized",
        )
        .bind(tenant.user)
        .bind(tenant.org)
        .fetch_one(db.pool())
        .await,
        "insert dnc_list",
    );
    let id: Uuid = row.get("id");
    assert_eq!(
        row.get::<String, _>("phone_number_normalized"),
        "+14155550150"
    );

    let result = sqlx::query("DELETE FROM dnc_list WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await;
    expect_db_error(result, "23514", "DNC_SUPPRESSION_IRREVERSIBLE");
}

// ---------------------------------------------------------------------------
// Release gate and health functions
// ---------------------------------------------------------------------------

/// An active campaign with a live `canary_20` release of two enrolled leads.
async fn campaign_with_release(pool: &PgPool, tenant: Tenant) -> Uuid {
    let campaign = new_campaign(pool, tenant).await;
    let (caller, _) = ok(
        insert_phone(pool, tenant, "+14155550160", Some("ph_caller")).await,
        "insert caller",
    );
    let hash = "a".repeat(64);
    let release: Uuid = ok(
        sqlx::query_scalar(
            "INSERT INTO campaign_contact_releases (
                 organization_id, user_id, campaign_id, retell_agent_id, retell_agent_version,
                 retell_llm_id, retell_llm_version, caller_number_id, release_stage, cohort_limit,
                 campaign_bundle_sha256, database_certificate_sha256,
                 provider_owned_phone_certificate_sha256, global_stop_drill_sha256,
                 seller_dnc_drill_sha256, voice_opt_out_drill_sha256, conversation_suite_sha256,
                 approval_chain_sha256, external_trust_root_sha256, expires_at,
                 source_shadow_adapter, source_shadow_certificate_sha256)
             VALUES ($1, $2, $3, 'agent_1', 3, 'llm_1', 2, $4, 'canary_20', 20,
                     $5, $5, $5, $5, $5, $5, $5, $5, $5, now() + interval '1 day',
                     'signed_direct_import', $5)
             RETURNING id",
        )
        .bind(tenant.org)
        .bind(tenant.user)
        .bind(campaign)
        .bind(caller)
        .bind(&hash)
        .fetch_one(pool)
        .await,
        "insert release",
    );
    for phone in ["+14155550161", "+14155550162"] {
        let lead = new_lead(pool, tenant, phone).await;
        enroll(pool, campaign, lead).await;
        ok(
            sqlx::query(
                "INSERT INTO campaign_contact_release_members
                     (release_id, organization_id, user_id, campaign_id, lead_id)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(release)
            .bind(tenant.org)
            .bind(tenant.user)
            .bind(campaign)
            .bind(lead)
            .execute(pool)
            .await,
            "insert release member",
        );
    }
    campaign
}

async fn release_status_as(
    pool: &PgPool,
    sub: Option<Uuid>,
    campaign: Uuid,
) -> Result<(String, i32), sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Some(sub) = sub {
        sqlx::query("SELECT set_config('request.jwt.claim.sub', $1, true)")
            .bind(sub.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let row = sqlx::query(
        "SELECT release_state, cohort_member_count FROM get_campaign_contact_release_status($1)",
    )
    .bind(campaign)
    .fetch_one(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok((row.get("release_state"), row.get("cohort_member_count")))
}

#[tokio::test]
async fn release_status_needs_a_member_jwt_sub() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = campaign_with_release(db.pool(), tenant).await;

    let bare = release_status_as(db.pool(), None, campaign).await;
    expect_db_error(
        bare,
        "42501",
        "CAMPAIGN_CONTACT_RELEASE_STATUS_NOT_AUTHORIZED",
    );

    let stranger = new_tenant(db.pool()).await;
    let foreign = release_status_as(db.pool(), Some(stranger.user), campaign).await;
    expect_db_error(
        foreign,
        "42501",
        "CAMPAIGN_CONTACT_RELEASE_STATUS_NOT_AUTHORIZED",
    );

    let answer = ok(
        release_status_as(db.pool(), Some(tenant.user), campaign).await,
        "release status as a member",
    );
    assert_eq!(answer, ("current_release_present".to_owned(), 2));
}

#[tokio::test]
async fn release_rows_can_only_be_revoked_once() {
    let db = TestDb::create().await;
    let tenant = new_tenant(db.pool()).await;
    let campaign = campaign_with_release(db.pool(), tenant).await;

    let result =
        sqlx::query("UPDATE campaign_contact_releases SET cohort_limit = 5 WHERE campaign_id = $1")
            .bind(campaign)
            .execute(db.pool())
            .await;
    expect_db_error(result, "P0001", "CAMPAIGN_CONTACT_RELEASE_IMMUTABLE");

    ok(
        sqlx::query(
            "UPDATE campaign_contact_releases SET revoked_at = now() WHERE campaign_id = $1",
        )
        .bind(campaign)
        .execute(db.pool())
        .await,
        "revoke",
    );
    let answer = ok(
        release_status_as(db.pool(), Some(tenant.user), campaign).await,
        "release status after revoke",
    );
    assert_eq!(answer.0, "latest_release_expired_or_revoked");

    let result = sqlx::query("DELETE FROM campaign_contact_releases WHERE campaign_id = $1")
        .bind(campaign)
        .execute(db.pool())
        .await;
    expect_db_error(
        result,
        "P0001",
        "CAMPAIGN_CONTACT_RELEASE_AUDIT_DELETE_FORBIDDEN",
    );
}

#[tokio::test]
async fn provider_safety_health_check_returns_one_ready_row() {
    let db = TestDb::create().await;
    let rows = ok(
        sqlx::query("SELECT * FROM provider_safety_health_check()")
            .fetch_all(db.pool())
            .await,
        "provider_safety_health_check",
    );
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    for flag in [
        "idempotency_ready",
        "attempt_ledger_ready",
        "reconciliation_ready",
        "dispatch_claim_ready",
        "contact_stop_ready",
        "normalized_dnc_ready",
        "provider_safe_backstop_ready",
    ] {
        assert!(row.get::<bool, _>(flag), "{flag} should be true");
    }
}

#[tokio::test]
async fn retell_reconciliation_health_check_needs_the_runtime_row() {
    let db = TestDb::create().await;
    let health = "SELECT cron_active, vault_configured, recent_success FROM retell_reconciliation_health_check()";

    let rows = ok(sqlx::query(health).fetch_all(db.pool()).await, "health");
    assert!(rows.is_empty(), "no runtime row, no answer");

    ok(
        sqlx::raw_sql(
            "INSERT INTO retell_reconciliation_runtime (last_started_at, last_succeeded_at)
             VALUES (now() - interval '2 minutes', now() - interval '2 minutes');
             INSERT INTO cron.job (jobname, active) VALUES ('retell-provider-reconciler', true);
             INSERT INTO vault.decrypted_secrets VALUES ('project_url', 'https://x.test'),
                                                        ('service_role_key', 'k');",
        )
        .execute(db.pool())
        .await,
        "seed runtime, cron and vault",
    );
    let row = ok(sqlx::query(health).fetch_one(db.pool()).await, "health");
    assert!(row.get::<bool, _>("cron_active"));
    assert!(row.get::<bool, _>("vault_configured"));
    assert!(row.get::<bool, _>("recent_success"));

    ok(
        sqlx::query("UPDATE retell_reconciliation_runtime SET last_succeeded_at = now() - interval '10 minutes'")
            .execute(db.pool())
            .await,
        "age the last success",
    );
    let row = ok(sqlx::query(health).fetch_one(db.pool()).await, "health");
    assert!(!row.get::<bool, _>("recent_success"));
}

// ---------------------------------------------------------------------------
// Harness: TestDb and TcpProxy
// ---------------------------------------------------------------------------

#[tokio::test]
async fn drop_db_removes_the_database() {
    let db = TestDb::create().await;
    let name = db.name().to_owned();
    let probe = TestDb::create().await;
    let exists = "SELECT count(*) FROM pg_database WHERE datname = $1";

    let before: i64 = ok(
        sqlx::query_scalar(exists)
            .bind(&name)
            .fetch_one(probe.pool())
            .await,
        "count before",
    );
    assert_eq!(before, 1);

    db.drop_db().await;
    let after: i64 = ok(
        sqlx::query_scalar(exists)
            .bind(&name)
            .fetch_one(probe.pool())
            .await,
        "count after",
    );
    assert_eq!(after, 0);
}

async fn select_one(connection: &mut PgConnection) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT 1").fetch_one(connection).await
}

#[tokio::test]
async fn tcp_proxy_cut_breaks_connections_and_restore_lets_new_ones_in() {
    let db = TestDb::create().await;
    let proxy = TcpProxy::start(db.server_addr()).await;
    let url = db.url_via(&proxy);

    let mut connection = ok(
        PgConnection::connect(&url).await,
        "connect through the proxy",
    );
    assert_eq!(ok(select_one(&mut connection).await, "select 1"), 1);
    assert_eq!(proxy.live_connections(), 1);

    proxy.cut().await;
    assert!(proxy.is_cut());
    assert!(
        select_one(&mut connection).await.is_err(),
        "a query on a cut connection must fail"
    );
    let pool_result = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await;
    assert!(
        pool_result.is_err(),
        "new connections are refused while cut"
    );

    proxy.restore();
    let reconnected = wait_until(PATIENCE, || {
        let url = url.clone();
        async move {
            match PgConnection::connect(&url).await {
                Ok(mut fresh) => select_one(&mut fresh).await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    assert!(reconnected, "a new connection works after restore");
}
