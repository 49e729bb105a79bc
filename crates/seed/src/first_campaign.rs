//! The "first campaign" data set (schema.md §8, functional profile): one tenant launching
//! its first Retell campaign and two voice broadcasts, with the platform's known sharp
//! edges in place, plus a small second tenant for leak tests.
//!
//! Deterministic: the same seed gives the same rows and ids; timestamps are relative to
//! the `now` given. Every row passes the fixture's CHECKs, foreign keys and triggers.
//!
//! What the first org holds (its owner owns every row):
//! - 8 numbers (`SeedFacts::numbers`, in this order): `+14155550101` and `+14155550102`
//!   (retell_native), `+12125550103` (Twilio, on the trunk, imported into Retell),
//!   `+12125550104` (Twilio, on the trunk, broadcast A's caller, at 93% of its daily
//!   cap), `+13125550105` (Telnyx, broadcast B's caller) — the 5 active ones — then
//!   `+16465550106` quarantined until 3 days after `now`, `+17185550107` in cooldown and
//!   `+19175550108` active but flagged as spam. `+14155550102` is the Retell number
//!   "updated with the inbound agent only": no outbound agent at Retell.
//! - The active campaign (agent = the first agent), 1,200 leads, its 1,000-row queue,
//!   3,000 call_logs over 7 days, the ledger, and a current `canary_20` release.
//! - Broadcast A (active, 5,000 rows, default DTMF actions incl. the `callback` old
//!   bug) and broadcast B (paused, 500 rows, a `transfer` action without `transfer_to`).
//! - A Google calendar integration expiring 5 min after `now` without a refresh token
//!   (its access token is [`GOOGLE_ACCESS_TOKEN_CANARY`], base64-encoded as the
//!   platform stores it) and an availability schedule stored as a JSON string.
//!
//! Stop controls: the one *active* stop is user-scoped to the second org's owner, so it
//! appears in the console's stop list but never blocks the first campaign; the
//! expired campaign stop and the lifted global drill do not apply either.
//!
//! Counts such as "8 numbers" or "1,200 leads" are the first org's; the second org adds
//! its own few rows (`SeedFacts::second_org_rows`).

mod broadcasts;
mod calls;
mod campaign;
mod extras;
mod facts;
mod people;
mod rng;
mod second_org;
mod tenants;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub use broadcasts::default_dtmf_actions;
pub use calls::COMPLETED_OUTCOMES;
pub use facts::{
    AgentFacts, BroadcastFacts, CalendarFacts, CampaignFacts, LedgerFacts, NumberFacts, OrgFacts,
    RetellCallFact, RetellNumberState, SeedFacts, StaleFacts, StopFacts, TrunkFacts,
};

use super::SeedData;

/// The profile name the seeding tool accepts.
pub const PROFILE: &str = "first-campaign";

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_260_712;

/// The plaintext of the Google access token in `calendar_integrations` (stored base64
/// encoded). Tests assert that it never appears in any output, log or JSON.
pub const GOOGLE_ACCESS_TOKEN_CANARY: &str =
    "ya29.a0LAUNCHDECK-SEED-CANARY-google-access-token-must-never-be-printed";

/// Tables in load order: parents before children.
pub const TABLE_ORDER: &[&str] = &[
    "auth.users",
    "organizations",
    "organization_users",
    "sip_trunk_configs",
    "phone_numbers",
    "retell_agents",
    "voice_broadcasts",
    "campaigns",
    "leads",
    "campaign_leads",
    "broadcast_queue",
    "dialing_queues",
    "call_logs",
    "provider_dispatch_claims",
    "provider_call_attempts",
    "provider_callback_receipts",
    "provider_reconciliation_jobs",
    "retell_reconciliation_runtime",
    "active_ai_transfers",
    "system_alerts",
    "system_settings",
    "budget_settings",
    "calendar_integrations",
    "calendar_availability",
    "contact_stop_controls",
    "dnc_list",
    "campaign_contact_releases",
    "campaign_contact_release_members",
    "cron.job",
    "vault.decrypted_secrets",
];

/// Builds the data set and the facts about it.
pub fn generate(now: DateTime<Utc>, seed: u64) -> (SeedData, SeedFacts) {
    let mut data = SeedData::default();
    for table in TABLE_ORDER {
        data.table(table);
    }
    let mut phones = rng::PhoneBook::new();
    let tenants = tenants::generate(seed, now, &mut data);
    let broadcasts = broadcasts::generate(seed, now, &mut data, &tenants, &mut phones);
    let campaign = campaign::generate(seed, now, &mut data, &tenants, &mut phones);
    let calls = calls::generate(seed, now, &mut data, &tenants, &campaign);
    let second = second_org::generate(seed, now, &mut data, &tenants, &mut phones);
    let parents = extras::Parents {
        tenants: &tenants,
        campaign: &campaign,
        broadcasts: &broadcasts,
        calls: &calls,
    };
    let extras = extras::generate(seed, now, &mut data, &parents, &mut phones);
    data.tables.retain(|t| !t.rows.is_empty());

    let leads_with_null_state = data
        .rows("leads")
        .iter()
        .filter(|row| row.get("state") == Some(&Value::Null))
        .count();
    let facts = SeedFacts {
        seed,
        now,
        first_org: tenants.first.clone(),
        first_org_member_user_id: tenants.member_user_id,
        second_org: tenants.second.clone(),
        campaign: CampaignFacts {
            id: campaign.id,
            name: campaign.name.clone(),
            agent_id: campaign.agent_id.clone(),
            lead_count: campaign.leads.len(),
            leads_with_null_state,
            dialing_counts: campaign.dialing_counts.clone(),
            call_log_counts: calls.counts.clone(),
            release_id: extras.release_id,
            release_expires_at: extras.release_expires_at,
            release_member_count: data.rows("campaign_contact_release_members").len(),
            release_caller_number_id: tenants.numbers[tenants::CAMPAIGN_CALLER].id,
            budget_paused: false,
            second_org_campaign_id: second.campaign_id,
        },
        broadcast_a: broadcasts.a.clone(),
        broadcast_b: broadcasts.b.clone(),
        agents: tenants.agents.clone(),
        numbers: tenants.numbers.clone(),
        second_org_number: tenants.second_number.clone(),
        trunk: tenants.trunk.clone(),
        retell_numbers: tenants.retell_numbers.clone(),
        number_without_outbound_agent: tenants.number_e164(1).to_string(),
        retell_calls: calls.retell_calls.clone(),
        stale: StaleFacts {
            broadcast_queue_calling: broadcasts.stale_calling.clone(),
            broadcast_queue_calling_fresh: broadcasts.fresh_calling,
            dialing_queues_calling: campaign.stale_dials.clone(),
            dialing_queues_calling_fresh: campaign.live_dials.len(),
            call_logs_without_provider_id: calls.stale_without_id.clone(),
            call_logs_past_max_duration: calls.past_max_duration.clone(),
            transfers: extras.stale_transfers.clone(),
        },
        ledger: calls.ledger.clone(),
        calendar: extras.calendar.clone(),
        stops: extras.stops.clone(),
        unacknowledged_alerts_first_org: extras.unacknowledged_alerts,
        alerts_total: data.rows("system_alerts").len(),
        table_counts: table_counts(&data),
        second_org_rows: second.rows,
    };
    (data, facts)
}

/// Points a broadcast's `audio_url` somewhere else (the demo serves the audio from a
/// loopback server). Returns false when the data set has no such broadcast.
pub fn set_broadcast_audio_url(data: &mut SeedData, broadcast_id: Uuid, url: &str) -> bool {
    let id = Value::String(broadcast_id.to_string());
    let rows = &mut data.table("voice_broadcasts").rows;
    match rows.iter_mut().find(|row| row.get("id") == Some(&id)) {
        Some(row) => {
            row.insert("audio_url".into(), Value::String(url.to_string()));
            true
        }
        None => false,
    }
}

fn table_counts(data: &SeedData) -> BTreeMap<String, usize> {
    data.tables
        .iter()
        .map(|t| (t.table.to_string(), t.rows.len()))
        .collect()
}
