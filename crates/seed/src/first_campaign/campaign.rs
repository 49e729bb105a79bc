//! The active campaign: 1,200 leads (10% without a state), all enrolled, and 1,000
//! dialing_queues rows (3 of the `calling` ones stuck without a provider call id).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::people::{self, PLACES};
use super::rng::{Gen, PhoneBook, exact_mix};
use super::tenants::Tenants;
use crate::SeedData;

pub(super) const LEADS: usize = 1_200;
const LEADS_WITHOUT_STATE: usize = 120;
const MAX_ATTEMPTS: i64 = 3;

const QUEUE_MIX: &[(&str, usize)] = &[
    ("pending", 620),
    ("completed", 200),
    ("failed", 120),
    ("removed", 30),
    ("calling", 30),
];
/// Of the `calling` rows, these many were claimed but never got a provider call id.
const STALE_CALLING: usize = 3;
/// Of the `removed` rows, these many were removed because the lead opted out (DNC).
const REMOVED_FOR_DNC: usize = 20;

#[derive(Clone)]
pub(super) struct Lead {
    pub id: Uuid,
    pub phone: String,
}

/// A `calling` dialing_queues row with a live Retell call behind it.
pub(super) struct LiveDial {
    pub queue_id: Uuid,
    pub lead: Lead,
    pub since: DateTime<Utc>,
    pub generation: Uuid,
    pub call_id: String,
}

pub(super) struct CampaignRows {
    pub id: Uuid,
    pub name: String,
    pub agent_id: String,
    pub leads: Vec<Lead>,
    /// Leads with a dialing_queues row, with that row's id.
    pub queued: Vec<(Lead, Uuid)>,
    pub live_dials: Vec<LiveDial>,
    pub stale_dials: Vec<Uuid>,
    pub dialing_counts: BTreeMap<String, i64>,
    /// Phones of leads removed from the queue because they opted out.
    pub opted_out_phones: Vec<String>,
}

pub(super) fn generate(
    seed: u64,
    now: DateTime<Utc>,
    data: &mut SeedData,
    tenants: &Tenants,
    phones: &mut PhoneBook,
) -> CampaignRows {
    let mut g = Gen::new(seed, "campaign", now);
    let id = g.uuid();
    let created = now - Duration::days(8);
    let agent_id = tenants.campaign_agent().retell_agent_id.clone();
    let name = "Solar savings outreach".to_string();
    push_campaign(&g, data, tenants, id, &name, &agent_id, created);

    let statuses = exact_mix(&mut g, QUEUE_MIX);
    let mut rows = CampaignRows {
        id,
        name,
        agent_id,
        leads: Vec::new(),
        queued: Vec::new(),
        live_dials: Vec::new(),
        stale_dials: Vec::new(),
        dialing_counts: BTreeMap::new(),
        opted_out_phones: Vec::new(),
    };
    let no_state = exact_mix(
        &mut g,
        &[
            ("none", LEADS_WITHOUT_STATE),
            ("some", LEADS - LEADS_WITHOUT_STATE),
        ],
    );
    for (index, has_state) in no_state.iter().enumerate() {
        let lead = Lead {
            id: g.uuid(),
            phone: phones.fresh(&mut g),
        };
        let enrolled_at = created + Duration::minutes(g.int(0, 120));
        let queue_status = statuses.get(index).copied();
        let dial = queue_status.map(|status| dial_plan(&mut g, &rows, status, enrolled_at));
        let lead_status = lead_status(&mut g, dial.as_ref());
        push_lead(
            &mut g,
            data,
            tenants,
            &lead,
            index,
            *has_state == "some",
            lead_status,
            enrolled_at,
        );
        data.table("campaign_leads").push(json!({
            "id": g.uuid(), "campaign_id": id, "lead_id": lead.id, "added_at": enrolled_at,
        }));
        if let Some(dial) = dial {
            push_dial(&mut g, data, &mut rows, &lead, dial, enrolled_at);
        }
        rows.leads.push(lead);
    }
    rows
}

fn push_campaign(
    g: &Gen,
    data: &mut SeedData,
    tenants: &Tenants,
    id: Uuid,
    name: &str,
    agent_id: &str,
    created: DateTime<Utc>,
) {
    data.table("campaigns").push(json!({
        "id": id, "user_id": tenants.owner(), "organization_id": tenants.org(),
        "name": name, "description": "Homeowners who requested a solar quote in June",
        "status": "active",
        "script": "Qualify the homeowner (roof, bill, ownership) and book a site survey.",
        "agent_id": agent_id, "calls_per_minute": 10, "max_attempts": MAX_ATTEMPTS,
        "calling_hours_start": "09:00:00", "calling_hours_end": "19:00:00",
        "timezone": "America/New_York", "retry_delay_minutes": 30, "max_calls_per_day": 2,
        "sms_on_no_answer": false, "provider": "retell",
        "metadata": {"source": "first-campaign seed"},
        "created_at": created, "updated_at": g.now - Duration::days(1),
    }));
}

/// What happened to one lead's queue row.
struct DialPlan {
    status: &'static str,
    attempts: i64,
    scheduled_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_attempted_at: Option<DateTime<Utc>>,
    notes: Option<&'static str>,
    /// `Some` for calling rows: the claim generation, and the live call id if any.
    claim: Option<(Uuid, Option<String>)>,
    opted_out: bool,
}

fn dial_plan(
    g: &mut Gen,
    rows: &CampaignRows,
    status: &'static str,
    enrolled_at: DateTime<Utc>,
) -> DialPlan {
    let mut plan = DialPlan {
        status,
        attempts: 0,
        scheduled_at: enrolled_at,
        updated_at: enrolled_at,
        last_attempted_at: None,
        notes: None,
        claim: None,
        opted_out: false,
    };
    match status {
        "pending" if g.chance(0.3) => {
            let last = g.between_secs_ago(10 * 60, 2 * 86_400);
            plan.attempts = g.int(1, 2);
            plan.last_attempted_at = Some(last);
            plan.updated_at = last;
            plan.scheduled_at = last + Duration::minutes(30);
        }
        "pending" => {}
        "completed" | "failed" => {
            let last = g.between_secs_ago(10 * 60, 7 * 86_400);
            let exhausted = status == "failed" && g.chance(0.7);
            plan.attempts = if exhausted {
                MAX_ATTEMPTS
            } else {
                g.int(1, MAX_ATTEMPTS)
            };
            plan.last_attempted_at = Some(last);
            plan.updated_at = last + Duration::seconds(g.int(20, 400));
            plan.notes = match (status, exhausted) {
                ("failed", true) => Some("Max attempts (3) reached"),
                ("failed", false) => Some("Retell rejected the call: invalid destination"),
                _ => None,
            };
        }
        "removed" => {
            let opted_out = rows.opted_out_phones.len() < REMOVED_FOR_DNC;
            plan.opted_out = opted_out;
            plan.updated_at = g.between_secs_ago(3_600, 6 * 86_400);
            plan.notes = Some(if opted_out {
                "DNC: lead asked not to be called"
            } else {
                "Cancelled by tenant operator"
            });
        }
        _ => {
            // calling: the first STALE_CALLING rows never got a provider call id.
            let stale = rows.stale_dials.len() < STALE_CALLING;
            let since = if stale {
                g.between_secs_ago(3 * 60 + 1, 30 * 60)
            } else {
                g.between_secs_ago(8, 20 * 60)
            };
            plan.attempts = if stale {
                rows.stale_dials.len() as i64 + 1
            } else {
                g.int(1, 2)
            };
            plan.updated_at = since;
            plan.last_attempted_at = Some(since);
            let call_id = (!stale).then(|| format!("call_{}", g.hex(32)));
            plan.claim = Some((g.uuid(), call_id));
        }
    }
    plan
}

fn lead_status(g: &mut Gen, dial: Option<&DialPlan>) -> &'static str {
    let Some(dial) = dial else { return "new" };
    match dial.status {
        "pending" if dial.attempts == 0 => "new",
        "pending" | "calling" => "contacted",
        "completed" => g.weighted(&[
            ("interested", 20),
            ("not_interested", 35),
            ("appointment", 10),
            ("callback", 10),
            ("contacted", 15),
            ("qualified", 10),
        ]),
        "failed" => g.weighted(&[("contacted", 3), ("invalid", 1)]),
        _ if dial.opted_out => "dnc",
        _ => "new",
    }
}

#[allow(clippy::too_many_arguments)]
fn push_lead(
    g: &mut Gen,
    data: &mut SeedData,
    tenants: &Tenants,
    lead: &Lead,
    serial: usize,
    has_state: bool,
    status: &str,
    created: DateTime<Utc>,
) {
    let person = people::person(g);
    let (state, city, timezone, zip) = g.pick(PLACES);
    let zip_code = format!("{zip}{:02}", g.int(0, 99));
    let company = g.chance(0.2).then(|| people::company(g));
    let roof = g.pick(&["asphalt", "tile", "metal", "flat"]);
    let bill = g.int(90, 420);
    data.table("leads").push(json!({
        "id": lead.id, "user_id": tenants.owner(), "organization_id": tenants.org(),
        "phone_number": lead.phone, "phone_number_normalized": lead.phone,
        "first_name": person.first_name, "last_name": person.last_name,
        "email": person.email(serial), "company": company, "status": status,
        "priority": if serial.is_multiple_of(9) { 3 } else { 1 },
        "lead_source": "csv_import", "tags": ["solar-quote-june"],
        "custom_fields": {"roof_type": roof, "monthly_bill_usd": bill},
        "timezone": timezone, "do_not_call": status == "dnc",
        "address": people::street_address(g), "city": city,
        "state": has_state.then_some(state), "zip_code": zip_code,
        "created_at": created - Duration::days(3), "updated_at": created,
    }));
}

fn push_dial(
    g: &mut Gen,
    data: &mut SeedData,
    rows: &mut CampaignRows,
    lead: &Lead,
    plan: DialPlan,
    enrolled_at: DateTime<Utc>,
) {
    let id = g.uuid();
    let (generation, call_id) = match &plan.claim {
        Some((generation, call_id)) => (Some(*generation), call_id.clone()),
        None => (None, None),
    };
    data.table("dialing_queues").push(json!({
        "id": id, "campaign_id": rows.id, "lead_id": lead.id, "phone_number": lead.phone,
        "priority": if g.chance(0.1) { 5 } else { 1 }, "status": plan.status,
        "scheduled_at": plan.scheduled_at, "attempts": plan.attempts,
        "max_attempts": MAX_ATTEMPTS, "created_at": enrolled_at, "updated_at": plan.updated_at,
        "notes": plan.notes,
        "last_provider": plan.last_attempted_at.map(|_| "retell"),
        "last_provider_call_id": call_id, "last_attempted_at": plan.last_attempted_at,
        "dispatch_generation": generation,
    }));
    *rows
        .dialing_counts
        .entry(plan.status.to_string())
        .or_insert(0) += 1;
    if plan.opted_out {
        rows.opted_out_phones.push(lead.phone.clone());
    }
    match (generation, call_id) {
        (Some(generation), Some(call_id)) => rows.live_dials.push(LiveDial {
            queue_id: id,
            lead: lead.clone(),
            since: plan.updated_at,
            generation,
            call_id,
        }),
        (Some(_), None) => rows.stale_dials.push(id),
        _ => {}
    }
    rows.queued.push((lead.clone(), id));
}
