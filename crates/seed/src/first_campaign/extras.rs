//! Everything around the calls: alerts, settings, budgets, the Google calendar, stop
//! controls, the DNC list, AI transfers, the campaign's release, and the pg_cron and
//! vault stand-ins the reconciliation health check reads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::GOOGLE_ACCESS_TOKEN_CANARY;
use super::broadcasts::Broadcasts;
use super::calls::Calls;
use super::campaign::CampaignRows;
use super::facts::{CalendarFacts, StopFacts};
use super::rng::{Gen, PhoneBook};
use super::tenants::{CAMPAIGN_CALLER, Tenants};
use crate::SeedData;

const RELEASE_MEMBERS: usize = 20;
const EXTERNAL_DNC_NUMBERS: usize = 30;

pub(super) struct Extras {
    pub calendar: CalendarFacts,
    pub stops: StopFacts,
    pub release_id: Uuid,
    pub release_expires_at: DateTime<Utc>,
    pub stale_transfers: Vec<Uuid>,
    pub unacknowledged_alerts: usize,
}

/// Everything the extras hang on.
pub(super) struct Parents<'a> {
    pub tenants: &'a Tenants,
    pub campaign: &'a CampaignRows,
    pub broadcasts: &'a Broadcasts,
    pub calls: &'a Calls,
}

pub(super) fn generate(
    seed: u64,
    now: DateTime<Utc>,
    data: &mut SeedData,
    parents: &Parents<'_>,
    phones: &mut PhoneBook,
) -> Extras {
    let mut g = Gen::new(seed, "extras", now);
    let unacknowledged_alerts = push_alerts(&mut g, data, parents);
    push_settings(&mut g, data, parents);
    let calendar = push_calendar(&mut g, data, parents.tenants.owner());
    let stops = push_stops(&mut g, data, parents);
    push_dnc(&mut g, data, parents, phones);
    let stale_transfers = push_transfers(&mut g, data, parents);
    let (release_id, release_expires_at) = push_release(&mut g, data, parents);
    push_cron_and_vault(data, parents.tenants);
    Extras {
        calendar,
        stops,
        release_id,
        release_expires_at,
        stale_transfers,
        unacknowledged_alerts,
    }
}

/// (alert_type, severity, title, related: 'A' broadcast A / 'B' broadcast B / 'J' the
/// manual job / 'C' the campaign / '-', acknowledged, age in minutes)
type AlertSpec = (&'static str, &'static str, &'static str, char, bool, i64);

const OWNER_ALERTS: [AlertSpec; 18] = [
    (
        "stuck_calls",
        "critical",
        "10 broadcast calls stuck in calling",
        'A',
        false,
        4,
    ),
    (
        "retell_reconciliation_manual_required",
        "critical",
        "A Retell dispatch needs manual reconciliation",
        'J',
        false,
        20,
    ),
    (
        "api_rate_limit",
        "warning",
        "Retell rate limit reached",
        '-',
        false,
        35,
    ),
    (
        "provider_call_failed",
        "error",
        "Retell refused a campaign call",
        'C',
        false,
        50,
    ),
    (
        "high_error_rate",
        "critical",
        "Broadcast error rate above 20%",
        'A',
        false,
        90,
    ),
    (
        "high_error_rate",
        "warning",
        "Broadcast error rate above 10%",
        'A',
        true,
        120,
    ),
    (
        "auto_paused",
        "warning",
        "Broadcast auto-paused after failures",
        'B',
        true,
        2 * 1_440,
    ),
    (
        "error_rate_warning",
        "warning",
        "Rising failure rate",
        'B',
        true,
        2 * 1_440 + 30,
    ),
    (
        "provider_call_failed",
        "error",
        "Retell call failed: dial_failed",
        'C',
        true,
        300,
    ),
    (
        "stalled_broadcast",
        "warning",
        "Broadcast made no progress for 30 min",
        'B',
        true,
        1_440,
    ),
    (
        "engine_heartbeat_stale",
        "warning",
        "Broadcast engine heartbeat is stale",
        '-',
        true,
        3 * 1_440,
    ),
    (
        "no_numbers_available",
        "error",
        "No callable numbers for the broadcast",
        'A',
        true,
        6 * 1_440,
    ),
    (
        "campaign_no_agent",
        "warning",
        "Campaign has no agent",
        'C',
        true,
        7 * 1_440,
    ),
    (
        "budget_auto_pause",
        "warning",
        "Daily budget reached; campaign paused",
        'C',
        true,
        4 * 1_440,
    ),
    (
        "stuck_calls_recovered",
        "info",
        "3 stuck dialing rows recovered",
        'C',
        true,
        1_440,
    ),
    (
        "emergency_stop",
        "critical",
        "Emergency stop drill",
        '-',
        true,
        3 * 1_440,
    ),
    (
        "stuck_calls",
        "warning",
        "2 broadcast calls stuck in calling",
        'A',
        true,
        360,
    ),
    (
        "api_rate_limit",
        "info",
        "Retell concurrency near its limit",
        '-',
        true,
        2 * 1_440,
    ),
];

fn push_alerts(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>) -> usize {
    let owner = parents.tenants.owner();
    let mut unacknowledged = 0;
    for (alert_type, severity, title, related, acknowledged, age) in OWNER_ALERTS {
        let (related_id, related_type) = match related {
            'A' => (Some(parents.broadcasts.a.id.to_string()), Some("broadcast")),
            'B' => (Some(parents.broadcasts.b.id.to_string()), Some("broadcast")),
            'J' => (
                Some(parents.calls.ledger.manual_required_job.to_string()),
                Some("provider_reconciliation_job"),
            ),
            'C' => (Some(parents.campaign.id.to_string()), Some("campaign")),
            _ => (None, None),
        };
        let created = g.now - Duration::minutes(age);
        let resolved = acknowledged && g.chance(0.3);
        data.table("system_alerts").push(json!({
            "id": g.uuid(), "user_id": owner, "alert_type": alert_type, "severity": severity,
            "title": title, "message": format!("{title} (seeded {age} min before now)"),
            "metadata": {"source": "first-campaign seed"},
            "related_id": related_id, "related_type": related_type,
            "acknowledged": acknowledged,
            "acknowledged_at": acknowledged.then(|| created + Duration::minutes(3)),
            "auto_resolved": resolved,
            "resolved_at": resolved.then(|| created + Duration::minutes(10)),
            "created_at": created,
        }));
        if !acknowledged {
            unacknowledged += 1;
        }
    }
    unacknowledged
}

fn push_settings(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>) {
    let owner = parents.tenants.owner();
    let created = g.now - Duration::days(40);
    data.table("system_settings").push(json!({
        "id": g.uuid(), "user_id": owner, "max_concurrent_calls": 20, "calls_per_minute": 30,
        "max_calls_per_agent": 3, "enable_adaptive_pacing": true,
        "retell_max_concurrent": 20, "assistable_max_concurrent": 200,
        "transfer_queue_enabled": true, "created_at": created, "updated_at": created,
    }));
    let budgets = data.table("budget_settings");
    for (campaign, daily, monthly) in [
        (None, 250.0, 5_000.0),
        (Some(parents.campaign.id), 120.0, 2_400.0),
    ] {
        budgets.push(json!({
            "id": g.uuid(), "user_id": owner, "campaign_id": campaign,
            "daily_limit": daily, "monthly_limit": monthly, "alert_threshold_percent": 80,
            "auto_pause_enabled": true, "is_paused": false, "paused_at": null,
            "pause_reason": null, "created_at": created, "updated_at": created,
        }));
    }
}

/// A Google integration whose access token expires in 5 minutes and which has no
/// refresh token (needs reconnecting), and an availability row saved by the browser
/// as a JSON string.
fn push_calendar(g: &mut Gen, data: &mut SeedData, owner: Uuid) -> CalendarFacts {
    let integration_id = g.uuid();
    let expires = g.now + Duration::minutes(5);
    let granted = expires - Duration::hours(1);
    data.table("calendar_integrations").push(json!({
        "id": integration_id, "user_id": owner, "provider": "google",
        "provider_account_id": "104729384756102938475",
        "provider_account_email": "maya.ortiz@brighthorizons.example",
        "access_token_encrypted": BASE64.encode(GOOGLE_ACCESS_TOKEN_CANARY),
        "refresh_token_encrypted": null, "token_expires_at": expires,
        "calendar_id": "primary", "calendar_name": "Maya Ortiz", "is_primary": true,
        "sync_enabled": true, "sync_direction": "bidirectional",
        "last_sync_at": granted, "sync_errors": [],
        "created_at": g.now - Duration::days(20), "updated_at": granted,
    }));
    let availability_id = g.uuid();
    let day = json!([{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}]);
    let schedule = json!({
        "monday": day, "tuesday": day, "wednesday": day, "thursday": day,
        "friday": [{"start": "09:00", "end": "15:00"}], "saturday": [], "sunday": [],
    });
    data.table("calendar_availability").push(json!({
        "id": availability_id, "user_id": owner, "timezone": "America/New_York",
        "weekly_schedule": schedule.to_string(),
        "buffer_before_minutes": 10, "buffer_after_minutes": 10,
        "default_meeting_duration": 30, "min_notice_hours": 4, "max_days_ahead": 21,
        "slot_interval_minutes": 30, "check_calendar_conflicts": true,
        "created_at": g.now - Duration::days(20), "updated_at": g.now - Duration::days(2),
    }));
    CalendarFacts {
        integration_id,
        user_id: owner,
        token_expires_at: expires,
        availability_id,
        schedule_stored_as_string: true,
    }
}

/// Three stops: an expired campaign stop and a lifted global drill (neither applies),
/// and an active stop scoped to the second org's owner, so it shows in the console's
/// active list without blocking the first campaign.
fn push_stops(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>) -> StopFacts {
    let tenants = parents.tenants;
    let second_owner = tenants.second.owner_user_id;
    let ids = [g.uuid(), g.uuid(), g.uuid()];
    let now = g.now;
    let stops = data.table("contact_stop_controls");
    stops.push(json!({
        "id": ids[0], "scope_type": "campaign", "organization_id": tenants.org(),
        "user_id": null, "campaign_id": parents.campaign.id, "provider": null,
        "channel": "voice", "active": true, "reason": "Paused for script review",
        "activated_at": now - Duration::days(3), "activated_by": tenants.owner(),
        "expires_at": now - Duration::days(2), "metadata": {},
        "created_at": now - Duration::days(3), "updated_at": now - Duration::days(3),
    }));
    stops.push(json!({
        "id": ids[1], "scope_type": "global", "organization_id": null, "user_id": null,
        "campaign_id": null, "provider": null, "channel": "all", "active": false,
        "reason": "Emergency stop drill (lifted)",
        "activated_at": now - Duration::days(3), "activated_by": tenants.owner(),
        "expires_at": null, "metadata": {"source": "launchdeck", "lifted_by": "ops"},
        "created_at": now - Duration::days(3), "updated_at": now - Duration::days(3) + Duration::minutes(15),
    }));
    stops.push(json!({
        "id": ids[2], "scope_type": "user", "organization_id": tenants.second.org_id,
        "user_id": second_owner, "campaign_id": null, "provider": null, "channel": "all",
        "active": true, "reason": "Account under compliance review",
        "activated_at": now - Duration::hours(6), "activated_by": second_owner,
        "expires_at": null, "metadata": {},
        "created_at": now - Duration::hours(6), "updated_at": now - Duration::hours(6),
    }));
    StopFacts {
        expired_id: ids[0],
        inactive_id: ids[1],
        active_id: ids[2],
        active_user_id: second_owner,
    }
}

/// 50 DNC rows: the 20 leads who opted out of the campaign, and 30 imported numbers,
/// a few of them in the punctuated form the trigger normalises.
fn push_dnc(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>, phones: &mut PhoneBook) {
    let tenants = parents.tenants;
    let mut entries: Vec<(String, String, &str)> = parents
        .campaign
        .opted_out_phones
        .iter()
        .map(|p| (p.clone(), p.clone(), "Opted out during a campaign call"))
        .collect();
    for index in 0..EXTERNAL_DNC_NUMBERS {
        let e164 = phones.fresh(g);
        let written = if index % 6 == 0 {
            punctuated(&e164)
        } else {
            e164.clone()
        };
        entries.push((written, e164, "Federal DNC scrub import"));
    }
    for (written, normalized, reason) in entries {
        let added = g.between_secs_ago(3_600, 30 * 86_400);
        data.table("dnc_list").push(json!({
            "id": g.uuid(), "user_id": tenants.owner(), "organization_id": tenants.org(),
            "phone_number": written, "phone_number_normalized": normalized,
            "reason": reason, "added_at": added, "created_at": added,
        }));
    }
}

/// `+14155550123` → `(415) 555-0123`.
fn punctuated(e164: &str) -> String {
    let digits = &e164[2..];
    format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
}

/// Two active Retell transfers: one just started, one started 52 min ago (stale).
fn push_transfers(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>) -> Vec<Uuid> {
    let owner = parents.tenants.owner();
    let (live_call, live_lead) = &parents.calls.live_for_transfer;
    let (old_call, old_lead) = &parents.calls.orphan_for_transfer;
    let stale_id = g.uuid();
    let rows = [
        (
            g.uuid(),
            live_call,
            *live_lead,
            g.now - Duration::seconds(70),
        ),
        (stale_id, old_call, *old_lead, g.now - Duration::minutes(52)),
    ];
    for (id, call_id, lead_id, started) in rows {
        data.table("active_ai_transfers").push(json!({
            "id": id, "user_id": owner, "platform": "retell", "call_sid": null,
            "retell_call_id": call_id, "lead_id": lead_id, "broadcast_id": null,
            "transfer_number": "+14155550190", "started_at": started, "ended_at": null,
            "status": "active", "created_at": started, "updated_at": started,
        }));
    }
    vec![stale_id]
}

/// A current `canary_20` release for the campaign with 20 enrolled members.
fn push_release(g: &mut Gen, data: &mut SeedData, parents: &Parents<'_>) -> (Uuid, DateTime<Utc>) {
    let tenants = parents.tenants;
    let campaign = parents.campaign;
    let agent = tenants.campaign_agent();
    let id = g.uuid();
    let activated = g.now - Duration::days(1);
    let expires = g.now + Duration::days(6);
    data.table("campaign_contact_releases").push(json!({
        "id": id, "organization_id": tenants.org(), "user_id": tenants.owner(),
        "campaign_id": campaign.id, "provider": "retell",
        "retell_agent_id": agent.retell_agent_id, "retell_agent_version": agent.version,
        "retell_llm_id": agent.retell_llm_id, "retell_llm_version": agent.llm_version,
        "caller_number_id": tenants.numbers[CAMPAIGN_CALLER].id,
        "release_stage": "canary_20", "cohort_limit": 20,
        "campaign_bundle_sha256": g.sha256_hex(),
        "database_certificate_sha256": g.sha256_hex(),
        "provider_owned_phone_certificate_sha256": g.sha256_hex(),
        "global_stop_drill_sha256": g.sha256_hex(),
        "seller_dnc_drill_sha256": g.sha256_hex(),
        "voice_opt_out_drill_sha256": g.sha256_hex(),
        "conversation_suite_sha256": g.sha256_hex(),
        "ghl_shadow_certificate_sha256": null,
        "approval_chain_sha256": g.sha256_hex(),
        "external_trust_root_sha256": g.sha256_hex(),
        "activated_at": activated, "expires_at": expires, "revoked_at": null,
        "created_at": activated, "source_shadow_adapter": "signed_direct_import",
        "source_shadow_certificate_sha256": g.sha256_hex(),
    }));
    for lead in campaign.leads.iter().take(RELEASE_MEMBERS) {
        data.table("campaign_contact_release_members").push(json!({
            "release_id": id, "organization_id": tenants.org(), "user_id": tenants.owner(),
            "campaign_id": campaign.id, "lead_id": lead.id, "created_at": activated,
        }));
    }
    (id, expires)
}

/// The reconciler's cron job (active) and the two vault secrets its health check
/// requires. The key is a stand-in, not a credential.
fn push_cron_and_vault(data: &mut SeedData, tenants: &Tenants) {
    data.table("cron.job")
        .push(json!({"jobname": "retell-provider-reconciler", "active": true}));
    let secrets = data.table("vault.decrypted_secrets");
    secrets.push(json!({
        "name": "project_url",
        "decrypted_secret": format!("https://{}.supabase.co", tenants.project_ref),
    }));
    secrets.push(json!({
        "name": "service_role_key",
        "decrypted_secret": "seed-stand-in-service-role-key-not-a-credential",
    }));
}
