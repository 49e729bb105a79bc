//! The second tenant's rows, for leak tests: a console scoped to the first org must
//! never show any of them (and the other way round). Its campaign is paused so an
//! unscoped console does not treat it as launching.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::people;
use super::rng::{Gen, PhoneBook};
use super::tenants::Tenants;
use crate::SeedData;

const LEADS: usize = 10;
const CALL_LOGS: usize = 12;

pub(super) struct SecondOrg {
    pub campaign_id: Uuid,
    pub rows: BTreeMap<String, usize>,
}

pub(super) fn generate(
    seed: u64,
    now: DateTime<Utc>,
    data: &mut SeedData,
    tenants: &Tenants,
    phones: &mut PhoneBook,
) -> SecondOrg {
    let mut g = Gen::new(seed, "second-org", now);
    let org = tenants.second.org_id;
    let owner = tenants.second.owner_user_id;
    let campaign_id = g.uuid();
    let created = now - Duration::days(6);
    data.table("campaigns").push(json!({
        "id": campaign_id, "user_id": owner, "organization_id": org,
        "name": "Second tenant renewal calls", "description": "Leak-test tenant",
        "status": "paused", "script": null, "agent_id": null, "calls_per_minute": 5,
        "max_attempts": 2, "calling_hours_start": "10:00:00", "calling_hours_end": "16:00:00",
        "timezone": "America/Denver", "retry_delay_minutes": 15, "max_calls_per_day": 2,
        "sms_on_no_answer": false, "provider": "retell", "metadata": {},
        "created_at": created, "updated_at": created,
    }));

    let mut leads = Vec::new();
    for serial in 0..LEADS {
        let (id, phone) = (g.uuid(), phones.fresh(&mut g));
        let person = people::person(&mut g);
        data.table("leads").push(json!({
            "id": id, "user_id": owner, "organization_id": org, "phone_number": phone,
            "phone_number_normalized": phone, "first_name": person.first_name,
            "last_name": person.last_name, "email": person.email(serial), "status": "new",
            "priority": 1, "lead_source": "manual", "timezone": "America/Denver",
            "state": "CO", "city": "Denver", "created_at": created, "updated_at": created,
        }));
        data.table("campaign_leads").push(json!({
            "id": g.uuid(), "campaign_id": campaign_id, "lead_id": id, "added_at": created,
        }));
        data.table("dialing_queues").push(json!({
            "id": g.uuid(), "campaign_id": campaign_id, "lead_id": id, "phone_number": phone,
            "priority": 1, "status": "pending", "scheduled_at": created, "attempts": 0,
            "max_attempts": 2, "created_at": created, "updated_at": created,
        }));
        leads.push((id, phone));
    }

    for index in 0..CALL_LOGS {
        let (lead_id, phone) = &leads[index % LEADS];
        let at = g.between_secs_ago(2 * 86_400, 6 * 86_400);
        let completed = index % 3 != 0;
        let duration = if completed { g.int(20, 200) } else { 0 };
        data.table("call_logs").push(json!({
            "id": g.uuid(), "user_id": owner, "organization_id": org,
            "campaign_id": campaign_id, "lead_id": lead_id, "phone_number": phone,
            "caller_id": tenants.second_number.e164,
            "retell_call_id": format!("call_{}", g.hex(32)),
            "status": if completed { "completed" } else { "failed" },
            "duration_seconds": duration,
            "outcome": if completed { "contacted" } else { "failed" },
            "created_at": at, "started_at": completed.then_some(at),
            "ended_at": at + Duration::seconds(duration), "provider": "retell",
        }));
    }

    for (alert_type, severity, acknowledged) in [
        ("provider_call_failed", "error", false),
        ("stuck_calls", "warning", true),
    ] {
        data.table("system_alerts").push(json!({
            "id": g.uuid(), "user_id": owner, "alert_type": alert_type, "severity": severity,
            "title": "Second tenant alert", "message": "Leak-test tenant alert",
            "acknowledged": acknowledged, "created_at": now - Duration::hours(5),
        }));
    }
    data.table("system_settings").push(json!({
        "id": g.uuid(), "user_id": owner, "max_concurrent_calls": 5,
        "retell_max_concurrent": 5, "created_at": created, "updated_at": created,
    }));

    let rows = [
        ("organizations", 1),
        ("organization_users", 1),
        ("phone_numbers", 1),
        ("campaigns", 1),
        ("leads", LEADS),
        ("campaign_leads", LEADS),
        ("dialing_queues", LEADS),
        ("call_logs", CALL_LOGS),
        ("system_alerts", 2),
        ("system_settings", 1),
        ("contact_stop_controls", 1),
    ]
    .into_iter()
    .map(|(table, n)| (table.to_string(), n))
    .collect();
    SecondOrg { campaign_id, rows }
}
