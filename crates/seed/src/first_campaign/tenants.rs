//! Users, organizations, memberships, the SIP trunk, the phone numbers and the Retell
//! agents of both tenants.

use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::facts::{AgentFacts, NumberFacts, OrgFacts, RetellNumberState, TrunkFacts};
use super::rng::Gen;
use crate::SeedData;

/// The ids later sections hang their rows on.
pub(super) struct Tenants {
    pub first: OrgFacts,
    pub member_user_id: Uuid,
    pub second: OrgFacts,
    pub numbers: Vec<NumberFacts>,
    pub second_number: NumberFacts,
    pub trunk: TrunkFacts,
    pub agents: Vec<AgentFacts>,
    pub retell_numbers: Vec<RetellNumberState>,
    /// The Supabase project ref used in webhook and vault URLs.
    pub project_ref: String,
}

impl Tenants {
    pub fn owner(&self) -> Uuid {
        self.first.owner_user_id
    }

    pub fn org(&self) -> Uuid {
        self.first.org_id
    }

    /// The campaign's agent (outbound on the first Retell number).
    pub fn campaign_agent(&self) -> &AgentFacts {
        &self.agents[0]
    }

    pub fn number_e164(&self, index: usize) -> &str {
        &self.numbers[index].e164
    }
}

/// How one of the first org's numbers is set up (`NUMBER_PLAN`).
struct NumberPlan {
    e164: &'static str,
    provider: &'static str,
    status: &'static str,
    is_spam: bool,
    purpose: &'static str,
    direction: &'static str,
    on_retell: bool,
    on_trunk: bool,
    daily_calls: i32,
    friendly_name: &'static str,
    carrier: &'static str,
    uses: &'static [&'static str],
}

/// The first org's 8 numbers: 5 active (the first 3 at Retell, numbers 3 and 4 on the
/// Twilio trunk), 1 quarantined, 1 cooldown, 1 flagged as spam. Index 1 is the Retell
/// number updated with the inbound agent only; index 3 is close to its daily cap.
const NUMBER_PLAN: [NumberPlan; 8] = [
    NumberPlan {
        e164: "+14155550101",
        provider: "retell_native",
        status: "active",
        is_spam: false,
        purpose: "retell_agent",
        direction: "both",
        on_retell: true,
        on_trunk: false,
        daily_calls: 48,
        friendly_name: "Retell outbound SF",
        carrier: "Twilio",
        uses: &["voice_ai"],
    },
    NumberPlan {
        e164: "+14155550102",
        provider: "retell_native",
        status: "active",
        is_spam: false,
        purpose: "retell_agent",
        direction: "both",
        on_retell: true,
        on_trunk: false,
        daily_calls: 0,
        friendly_name: "Retell inbound SF",
        carrier: "Twilio",
        uses: &["voice_ai"],
    },
    NumberPlan {
        e164: "+12125550103",
        provider: "twilio",
        status: "active",
        is_spam: false,
        purpose: "retell_agent",
        direction: "outbound",
        on_retell: true,
        on_trunk: true,
        daily_calls: 17,
        friendly_name: "Retell via SIP trunk NYC",
        carrier: "Twilio",
        uses: &["voice_ai"],
    },
    NumberPlan {
        e164: "+12125550104",
        provider: "twilio",
        status: "active",
        is_spam: false,
        purpose: "broadcast",
        direction: "outbound",
        on_retell: false,
        on_trunk: true,
        daily_calls: 93,
        friendly_name: "Broadcast caller NYC",
        carrier: "Twilio",
        uses: &["sip_broadcast"],
    },
    NumberPlan {
        e164: "+13125550105",
        provider: "telnyx",
        status: "active",
        is_spam: false,
        purpose: "broadcast",
        direction: "outbound",
        on_retell: false,
        on_trunk: false,
        daily_calls: 12,
        friendly_name: "Broadcast caller Chicago",
        carrier: "Telnyx",
        uses: &["sip_broadcast"],
    },
    NumberPlan {
        e164: "+16465550106",
        provider: "twilio",
        status: "quarantined",
        is_spam: false,
        purpose: "general_rotation",
        direction: "outbound",
        on_retell: false,
        on_trunk: false,
        daily_calls: 0,
        friendly_name: "Rotation NYC 1",
        carrier: "Twilio",
        uses: &[],
    },
    NumberPlan {
        e164: "+17185550107",
        provider: "twilio",
        status: "cooldown",
        is_spam: false,
        purpose: "general_rotation",
        direction: "outbound",
        on_retell: false,
        on_trunk: false,
        daily_calls: 100,
        friendly_name: "Rotation NYC 2",
        carrier: "Twilio",
        uses: &[],
    },
    NumberPlan {
        e164: "+19175550108",
        provider: "telnyx",
        status: "active",
        is_spam: true,
        purpose: "general_rotation",
        direction: "outbound",
        on_retell: false,
        on_trunk: false,
        daily_calls: 3,
        friendly_name: "Rotation NYC 3",
        carrier: "Telnyx",
        uses: &[],
    },
];

/// The second org's single number.
const SECOND_ORG_NUMBER: &str = "+13035550109";
const MAX_DAILY_CALLS: i32 = 100;

pub(super) fn generate(seed: u64, now: chrono::DateTime<Utc>, data: &mut SeedData) -> Tenants {
    let mut g = Gen::new(seed, "tenants", now);
    let first = OrgFacts {
        org_id: g.uuid(),
        name: "Bright Horizons Solar".into(),
        slug: "bright-horizons-solar".into(),
        owner_user_id: g.uuid(),
        owner_email: "maya.ortiz@brighthorizons.example".into(),
    };
    let member_user_id = g.uuid();
    let second = OrgFacts {
        org_id: g.uuid(),
        name: "Second Tenant Ltd".into(),
        slug: "second-tenant".into(),
        owner_user_id: g.uuid(),
        owner_email: "owner@second-tenant.example".into(),
    };
    push_users_and_orgs(&g, data, &first, member_user_id, &second);

    let trunk = push_trunk(&mut g, data, first.owner_user_id);
    let project_ref = lowercase_letters(&mut g, 20);
    let webhook_url = format!("https://{project_ref}.supabase.co/functions/v1/retell-call-webhook");
    let agents = push_agents(&mut g, data, &first, &webhook_url);
    let numbers = push_numbers(&mut g, data, &first, &trunk);
    let second_number = push_second_org_number(&mut g, data, &second);
    let trunk = TrunkFacts {
        number_ids: numbers
            .iter()
            .filter(|n| n.sip_trunk_config_id == Some(trunk.id))
            .map(|n| n.id)
            .collect(),
        ..trunk
    };
    let retell_numbers = retell_side_numbers(&numbers, &agents, &trunk);
    Tenants {
        first,
        member_user_id,
        second,
        numbers,
        second_number,
        trunk,
        agents,
        retell_numbers,
        project_ref,
    }
}

fn push_users_and_orgs(
    g: &Gen,
    data: &mut SeedData,
    first: &OrgFacts,
    member_user_id: Uuid,
    second: &OrgFacts,
) {
    let users = data.table("auth.users");
    users.push(json!({"id": first.owner_user_id, "email": first.owner_email}));
    users.push(json!({"id": member_user_id, "email": "sam.lee@brighthorizons.example"}));
    users.push(json!({"id": second.owner_user_id, "email": second.owner_email}));

    let created = g.now - Duration::days(60);
    let orgs = data.table("organizations");
    orgs.push(json!({
        "id": first.org_id, "name": first.name, "slug": first.slug,
        "subscription_tier": "professional", "subscription_status": "active",
        "trial_ends_at": null, "max_users": 10, "max_phone_numbers": 20,
        "monthly_call_limit": 20000, "billing_enabled": true,
        "billing_email": "billing@brighthorizons.example",
        "created_at": created, "updated_at": created,
    }));
    orgs.push(json!({
        "id": second.org_id, "name": second.name, "slug": second.slug,
        "subscription_tier": "basic", "subscription_status": "trial",
        "trial_ends_at": g.now + Duration::days(10), "max_users": 5, "max_phone_numbers": 5,
        "monthly_call_limit": 1000, "billing_enabled": false,
        "billing_email": null,
        "created_at": g.now - Duration::days(20), "updated_at": g.now - Duration::days(20),
    }));

    let members = data.table("organization_users");
    for (org, user, role) in [
        (first.org_id, first.owner_user_id, "owner"),
        (first.org_id, member_user_id, "admin"),
        (second.org_id, second.owner_user_id, "owner"),
    ] {
        members.push(json!({
            "organization_id": org, "user_id": user, "role": role, "joined_at": created,
        }));
    }
}

fn push_trunk(g: &mut Gen, data: &mut SeedData, owner: Uuid) -> TrunkFacts {
    let id = g.uuid();
    let sid = format!("TK{}", g.hex(32));
    let uri = format!("{}.pstn.twilio.com", sid.to_lowercase());
    let created = g.now - Duration::days(45);
    data.table("sip_trunk_configs").push(json!({
        "id": id, "user_id": owner, "name": "Twilio Elastic SIP (primary)",
        "provider_type": "twilio", "is_active": true, "is_default": true,
        "sip_host": uri, "sip_port": 5060, "transport": "udp", "auth_type": "ip",
        "username": null, "password_encrypted": null,
        "twilio_trunk_sid": sid, "twilio_termination_uri": uri,
        "telnyx_connection_id": null, "outbound_proxy": null,
        "caller_id_header": "P-Asserted-Identity", "extra_headers": {},
        "cost_per_minute": 0.0045, "created_at": created, "updated_at": created,
    }));
    TrunkFacts {
        id,
        name: "Twilio Elastic SIP (primary)".into(),
        twilio_trunk_sid: sid,
        twilio_termination_uri: uri,
        number_ids: Vec::new(),
    }
}

fn push_agents(
    g: &mut Gen,
    data: &mut SeedData,
    org: &OrgFacts,
    webhook_url: &str,
) -> Vec<AgentFacts> {
    let specs = [
        ("Solar Outbound Qualifier", "11labs-Adrian", 3),
        ("Front Desk Inbound", "11labs-Myra", 5),
    ];
    let mut agents = Vec::new();
    for (name, voice, version) in specs {
        agents.push(AgentFacts {
            row_id: g.uuid(),
            retell_agent_id: format!("agent_{}", g.hex(26)),
            retell_llm_id: format!("llm_{}", g.hex(26)),
            agent_name: name.into(),
            version,
            llm_version: version,
            voice_id: voice.into(),
            webhook_url: Some(webhook_url.to_string()),
        });
    }
    let synced = g.now - Duration::minutes(70);
    let rows = data.table("retell_agents");
    for agent in &agents {
        rows.push(json!({
            "id": agent.row_id, "user_id": org.owner_user_id, "organization_id": org.org_id,
            "retell_agent_id": agent.retell_agent_id, "retell_llm_id": agent.retell_llm_id,
            "agent_name": agent.agent_name, "voice_id": agent.voice_id,
            "webhook_url": agent.webhook_url, "llm_model": "gpt-4.1",
            "general_prompt": "You are a friendly solar consultant. Qualify the homeowner and offer an appointment.",
            "begin_message": "Hi, this is Alex from Bright Horizons Solar.",
            "status": "active", "last_synced_at": synced,
            "agent_snapshot": {"agent_id": agent.retell_agent_id, "version": agent.version},
            "llm_snapshot": {"llm_id": agent.retell_llm_id, "version": agent.llm_version},
            "created_at": g.now - Duration::days(40), "updated_at": synced,
        }));
    }
    agents
}

fn push_numbers(
    g: &mut Gen,
    data: &mut SeedData,
    org: &OrgFacts,
    trunk: &TrunkFacts,
) -> Vec<NumberFacts> {
    let today = g.now.date_naive();
    let mut numbers = Vec::new();
    for plan in &NUMBER_PLAN {
        let id = g.uuid();
        let twilio_sid = (plan.provider == "twilio").then(|| format!("PN{}", g.hex(32)));
        let number = NumberFacts {
            id,
            e164: plan.e164.into(),
            provider: plan.provider.into(),
            status: plan.status.into(),
            is_spam: plan.is_spam,
            purpose: plan.purpose.into(),
            retell_phone_id: plan.on_retell.then(|| plan.e164.to_string()),
            twilio_sid,
            sip_trunk_config_id: plan.on_trunk.then_some(trunk.id),
            daily_calls: plan.daily_calls,
            max_daily_calls: MAX_DAILY_CALLS,
        };
        let quarantine_until = (plan.status == "quarantined").then(|| today + Duration::days(3));
        let last_call = (plan.daily_calls > 0).then(|| g.between_secs_ago(30, 3_600));
        data.table("phone_numbers").push(json!({
            "id": id, "number": plan.e164, "area_code": &plan.e164[2..5],
            "daily_calls": plan.daily_calls, "max_daily_calls": MAX_DAILY_CALLS,
            "status": plan.status, "quarantine_until": quarantine_until,
            "is_spam": plan.is_spam,
            "external_spam_score": if plan.is_spam { 87 } else { g.int(0, 12) },
            "retell_phone_id": number.retell_phone_id,
            "stir_shaken_attestation": if plan.is_spam { "C" } else { "A" },
            "line_type": "voip", "carrier_name": plan.carrier, "is_voip": true,
            "friendly_name": plan.friendly_name, "provider": plan.provider,
            "purpose": plan.purpose,
            "sip_trunk_provider": plan.on_trunk.then_some("twilio"),
            "sip_trunk_config_id": number.sip_trunk_config_id,
            "twilio_sid": number.twilio_sid,
            "twilio_verified": plan.provider == "twilio",
            "capabilities": {"voice": true, "sms": plan.provider != "retell_native"},
            "allowed_uses": plan.uses, "tags": ["first-campaign"],
            "call_direction": plan.direction, "last_daily_reset": today,
            "last_used": last_call, "last_call_at": last_call,
            "user_id": org.owner_user_id, "organization_id": org.org_id,
            "created_at": g.now - Duration::days(30), "updated_at": g.now - Duration::days(1),
        }));
        numbers.push(number);
    }
    numbers
}

fn push_second_org_number(g: &mut Gen, data: &mut SeedData, org: &OrgFacts) -> NumberFacts {
    let number = NumberFacts {
        id: g.uuid(),
        e164: SECOND_ORG_NUMBER.into(),
        provider: "twilio".into(),
        status: "active".into(),
        is_spam: false,
        purpose: "general_rotation".into(),
        retell_phone_id: None,
        twilio_sid: Some(format!("PN{}", g.hex(32))),
        sip_trunk_config_id: None,
        daily_calls: 0,
        max_daily_calls: MAX_DAILY_CALLS,
    };
    data.table("phone_numbers").push(json!({
        "id": number.id, "number": number.e164, "area_code": "303",
        "daily_calls": 0, "max_daily_calls": MAX_DAILY_CALLS, "status": "active",
        "quarantine_until": null, "is_spam": false, "external_spam_score": 0,
        "retell_phone_id": null, "stir_shaken_attestation": "B", "line_type": "voip",
        "carrier_name": "Twilio", "is_voip": true, "friendly_name": "Second tenant main line",
        "provider": "twilio", "purpose": "general_rotation", "sip_trunk_provider": null,
        "sip_trunk_config_id": null, "twilio_sid": number.twilio_sid, "twilio_verified": true,
        "capabilities": {"voice": true, "sms": true}, "allowed_uses": ["sms"], "tags": [],
        "call_direction": "outbound", "last_daily_reset": g.now.date_naive(),
        "last_used": null, "last_call_at": null,
        "user_id": org.owner_user_id, "organization_id": org.org_id,
        "created_at": g.now - Duration::days(15), "updated_at": g.now - Duration::days(15),
    }));
    number
}

/// The Retell side of the 3 DB numbers with a `retell_phone_id`: the first dials out
/// with the campaign's agent, the second was updated with the inbound agent only (empty
/// outbound list, the old bug), the third is a custom SIP number on the Twilio trunk.
fn retell_side_numbers(
    numbers: &[NumberFacts],
    agents: &[AgentFacts],
    trunk: &TrunkFacts,
) -> Vec<RetellNumberState> {
    let outbound = &agents[0].retell_agent_id;
    let inbound = &agents[1].retell_agent_id;
    let state = |index: usize, kind: &str, inbound_ids: Vec<String>, outbound_ids: Vec<String>| {
        let number: &NumberFacts = &numbers[index];
        RetellNumberState {
            number_id: number.id,
            phone_number: number.e164.clone(),
            phone_number_type: kind.into(),
            nickname: NUMBER_PLAN[index].friendly_name.into(),
            inbound_agent_ids: inbound_ids,
            outbound_agent_ids: outbound_ids,
            termination_uri: (kind == "custom").then(|| trunk.twilio_termination_uri.clone()),
        }
    };
    vec![
        state(
            0,
            "retell-twilio",
            vec![outbound.clone()],
            vec![outbound.clone()],
        ),
        state(1, "retell-twilio", vec![outbound.clone()], Vec::new()),
        state(2, "custom", vec![inbound.clone()], vec![inbound.clone()]),
    ]
}

fn lowercase_letters(g: &mut Gen, len: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    (0..len).map(|_| char::from(g.pick(LETTERS))).collect()
}

/// Index of the number the campaign's release certifies and most campaign calls use.
pub(super) const CAMPAIGN_CALLER: usize = 0;
/// The custom SIP Retell number that carries some campaign calls.
pub(super) const CAMPAIGN_SIP_CALLER: usize = 2;
/// Broadcast A's caller (Twilio, on the trunk) and broadcast B's (Telnyx).
pub(super) const BROADCAST_A_CALLER: usize = 3;
pub(super) const BROADCAST_B_CALLER: usize = 4;
