//! A healthy snapshot for the rules' tests: every check passes. Each test changes one
//! thing and looks at the result.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::config::Thresholds;
use crate::domain::{
    Broadcast, CalendarAvailability, CalendarIntegration, Campaign, PhoneNumber, RetellAgentRow,
    SipTrunk,
};
use crate::readiness::snapshot::*;

pub const USER: Uuid = Uuid::from_u128(0x1111);
pub const ORG: Uuid = Uuid::from_u128(0x2222);
pub const BROADCAST: Uuid = Uuid::from_u128(0xb1);
pub const CAMPAIGN: Uuid = Uuid::from_u128(0xc1);
pub const TRUNK: Uuid = Uuid::from_u128(0x7a);
pub const CALENDAR: Uuid = Uuid::from_u128(0xca1);
pub const AVAILABILITY: Uuid = Uuid::from_u128(0xa1);
pub const AGENT: &str = "agent_main";
pub const TRUNK_SID: &str = "TK0123456789abcdef0123456789abcdef";
pub const TRUNK_DOMAIN: &str = "tk0123456789abcdef0123456789abcdef.pstn.twilio.com";
/// Twilio-backed numbers also imported into Retell.
pub const NUMBER_1: &str = "+14155550101";
pub const NUMBER_2: &str = "+14155550102";
/// A Retell-bought number.
pub const NUMBER_3: &str = "+14155550103";
/// A Twilio number on the SIP trunk, imported into Retell as a custom number.
pub const NUMBER_4: &str = "+14155550104";

/// 2026-11-24 15:00 UTC = 10:00 in New York: inside 09:00–17:00.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap()
}

pub fn healthy() -> Snapshot {
    Snapshot {
        now: now(),
        thresholds: Thresholds::default(),
        focus: Focus::All,
        environment: EnvironmentFacts {
            secrets: [
                ("database", "url"),
                ("retell", "api_key"),
                ("twilio", "account_sid"),
                ("twilio", "auth_token"),
                ("elevenlabs", "api_key"),
                ("google", "client_id"),
                ("google", "client_secret"),
            ]
            .into_iter()
            .map(|(section, key)| secret(section, key, true))
            .collect(),
        },
        database: Observed::Ok(database()),
        retell: RetellFacts {
            concurrency: Observed::Ok(RetellConcurrency {
                current: 2,
                limit: 20,
                reserved_inbound: 0,
            }),
            agents: Observed::Ok(vec![RetellAgent {
                agent_id: AGENT.into(),
                name: Some("Main agent".into()),
                webhook_url: Some("https://platform.example.com/retell-call-webhook".into()),
            }]),
            numbers: Observed::Ok(vec![
                retell_number(NUMBER_1, "retell-twilio"),
                retell_number(NUMBER_2, "retell-twilio"),
                retell_number(NUMBER_3, "retell-twilio"),
                RetellNumber {
                    termination_uri: Some(TRUNK_DOMAIN.into()),
                    ..retell_number(NUMBER_4, "custom")
                },
            ]),
        },
        twilio: TwilioFacts {
            account: Observed::Ok(TwilioAccount {
                status: "active".into(),
                account_type: "Full".into(),
            }),
            incoming_numbers: Observed::Ok(
                [NUMBER_1, NUMBER_2, NUMBER_4]
                    .iter()
                    .enumerate()
                    .map(|(i, n)| TwilioIncomingNumber {
                        sid: format!("PN{i:032}"),
                        phone_number: n.to_string(),
                        trunk_sid: (*n == NUMBER_4).then(|| TRUNK_SID.to_string()),
                    })
                    .collect(),
            ),
            trunks: Observed::Ok(vec![TwilioTrunk {
                sid: TRUNK_SID.into(),
                domain_name: Some(TRUNK_DOMAIN.into()),
                auth_type: Some("CREDENTIAL_LIST".into()),
                numbers: vec![NUMBER_4.into()],
                origination_urls: vec![OriginationUrl {
                    sip_url: "sip:sip.retellai.com".into(),
                    enabled: true,
                }],
            }]),
        },
        elevenlabs: Observed::Ok(ElevenLabsAnswer::Subscription(ElevenLabsSubscription {
            tier: "creator".into(),
            status: "active".into(),
            character_count: 41_250,
            character_limit: 100_000,
        })),
        calendar_probes: BTreeMap::from([(CALENDAR, Observed::Ok(CalendarProbe::AccessVerified))]),
        audio_probes: BTreeMap::from([(
            BROADCAST,
            Observed::Ok(AudioProbe {
                http_status: 200,
                content_type: Some("audio/mpeg".into()),
            }),
        )]),
    }
}

/// The healthy snapshot's database facts, for tests that change them.
pub fn db(snap: &mut Snapshot) -> &mut DatabaseFacts {
    match &mut snap.database {
        Observed::Ok(db) => db,
        other => panic!("fixture database is not Ok: {other:?}"),
    }
}

pub fn secret(section: &str, key: &str, set: bool) -> SecretFact {
    let env_var = match (section, key) {
        ("database", "url") => "DATABASE_URL",
        ("retell", "api_key") => "RETELL_AI_API_KEY",
        ("twilio", "account_sid") => "TWILIO_ACCOUNT_SID",
        ("twilio", "auth_token") => "TWILIO_AUTH_TOKEN",
        ("elevenlabs", "api_key") => "ELEVENLABS_API_KEY",
        ("google", "client_id") => "GOOGLE_CLIENT_ID",
        ("google", "client_secret") => "GOOGLE_CLIENT_SECRET",
        _ => "UNKNOWN",
    };
    SecretFact {
        section: section.into(),
        key: key.into(),
        masked: set.then(|| "••••9f3c".to_string()),
        source: if set {
            env_var.into()
        } else {
            "default".into()
        },
        env_vars: vec![env_var.into()],
    }
}

pub fn retell_number(number: &str, number_type: &str) -> RetellNumber {
    RetellNumber {
        phone_number: number.into(),
        number_type: number_type.into(),
        inbound_agent_ids: vec![AGENT.into()],
        outbound_agent_ids: vec![AGENT.into()],
        deprecated_inbound_agent_id: None,
        deprecated_outbound_agent_id: None,
        termination_uri: None,
    }
}

pub fn phone(number: &str, provider: &str, retell: bool) -> PhoneNumber {
    PhoneNumber {
        id: Uuid::from_u128(number.parse::<u128>().unwrap_or(0)),
        user_id: USER,
        organization_id: ORG,
        number: number.into(),
        status: "active".into(),
        quarantine_until: None,
        is_spam: false,
        daily_calls: 10,
        max_daily_calls: Some(100),
        provider: Some(provider.into()),
        purpose: Some("general_rotation".into()),
        retell_phone_id: retell.then(|| number.to_string()),
        twilio_sid: None,
        sip_trunk_config_id: None,
        call_direction: "outbound".into(),
        friendly_name: None,
    }
}

pub fn broadcast() -> Broadcast {
    Broadcast {
        id: BROADCAST,
        user_id: USER,
        name: "Spring promo".into(),
        status: "active".into(),
        message_text: "Hello from Acme".into(),
        audio_url: Some("https://cdn.example.com/spring.mp3".into()),
        ivr_enabled: true,
        ivr_mode: Some("dtmf".into()),
        dtmf_actions: Some(json!([
            {"digit": "1", "label": "Connect to Agent", "action": "transfer", "transfer_to": "+14155550199"},
            {"digit": "2", "label": "Schedule Callback", "action": "callback", "delay_hours": 24,
             "callback_options": {"create_calendar_event": true}},
            {"digit": "3", "label": "Do Not Call", "action": "dnc"}
        ])),
        max_attempts: Some(2),
        calling_hours_start: NaiveTime::from_hms_opt(9, 0, 0),
        calling_hours_end: NaiveTime::from_hms_opt(17, 0, 0),
        timezone: Some("America/New_York".into()),
        bypass_calling_hours: false,
        calls_per_minute: Some(50),
        caller_id: None,
        use_sip_trunk: true,
        broadcast_provider: Some("twilio_classic".into()),
        voice_id: None,
    }
}

pub fn campaign() -> Campaign {
    Campaign {
        id: CAMPAIGN,
        user_id: USER,
        organization_id: ORG,
        name: "First campaign".into(),
        status: "active".into(),
        agent_id: Some(AGENT.into()),
        provider: "retell".into(),
        calls_per_minute: 5,
        max_attempts: 3,
        calling_hours_start: NaiveTime::from_hms_opt(9, 0, 0),
        calling_hours_end: NaiveTime::from_hms_opt(17, 0, 0),
        timezone: Some("America/New_York".into()),
        lead_count: 100,
    }
}

pub fn calendar_integration() -> CalendarIntegration {
    CalendarIntegration {
        id: CALENDAR,
        user_id: USER,
        provider: "google".into(),
        provider_account_email: Some("ops@example.com".into()),
        calendar_id: Some("primary".into()),
        has_access_token: true,
        has_refresh_token: true,
        token_expires_at: Some(now() + chrono::Duration::minutes(50)),
        sync_enabled: true,
        sync_errors: json!([]),
    }
}

pub fn availability(schedule: serde_json::Value) -> CalendarAvailability {
    CalendarAvailability {
        id: AVAILABILITY,
        user_id: USER,
        timezone: "America/New_York".into(),
        weekly_schedule: schedule,
    }
}

pub fn default_schedule() -> serde_json::Value {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    json!({
        "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
        "saturday": [], "sunday": []
    })
}

fn database() -> DatabaseFacts {
    let mut on_trunk = phone(NUMBER_4, "twilio", true);
    on_trunk.sip_trunk_config_id = Some(TRUNK);
    DatabaseFacts {
        round_trip: Duration::from_millis(12),
        backend: "postgres".into(),
        transaction_pooler: false,
        missing_schema: Observed::Ok(Vec::new()),
        missing_functions: Observed::Ok(Vec::new()),
        provider_safety_health: Observed::Ok(ProviderSafetyHealth {
            idempotency_ready: true,
            attempt_ledger_ready: true,
            reconciliation_ready: true,
            dispatch_claim_ready: true,
            contact_stop_ready: true,
            normalized_dnc_ready: true,
            provider_safe_backstop_ready: true,
        }),
        reconciliation_health: Observed::Ok(Some(ReconciliationHealth {
            contract_ready: true,
            cron_scheduled: true,
            cron_active: true,
            vault_configured: true,
            last_started_at: Some(now() - chrono::Duration::minutes(1)),
            last_succeeded_at: Some(now() - chrono::Duration::minutes(1)),
            recent_success: true,
            queued_count: 0,
            expired_lease_count: 0,
            manual_required_count: 0,
        })),
        phone_numbers: vec![
            phone(NUMBER_1, "twilio", true),
            phone(NUMBER_2, "twilio", true),
            phone(NUMBER_3, "retell_native", true),
            on_trunk,
        ],
        sip_trunks: vec![SipTrunk {
            id: TRUNK,
            user_id: USER,
            name: "Main trunk".into(),
            provider_type: "twilio".into(),
            is_active: true,
            is_default: true,
            twilio_trunk_sid: Some(TRUNK_SID.into()),
            twilio_termination_uri: Some(TRUNK_DOMAIN.into()),
            telnyx_connection_id: None,
        }],
        retell_agents: vec![RetellAgentRow {
            id: Uuid::from_u128(0xa6),
            user_id: USER,
            organization_id: ORG,
            retell_agent_id: AGENT.into(),
            agent_name: "Main agent".into(),
            webhook_url: Some("https://platform.example.com/retell-call-webhook".into()),
            status: Some("active".into()),
        }],
        broadcasts: vec![broadcast()],
        broadcast_stats: BTreeMap::from([(
            BROADCAST,
            BroadcastStats {
                pending: 100,
                calling_updated_at: vec![now() - chrono::Duration::seconds(60)],
                recent_finished: vec!["answered".to_string(); 20],
                finished_marker: String::new(),
            },
        )]),
        campaigns: vec![campaign()],
        contact_releases: BTreeMap::from([(
            CAMPAIGN,
            Observed::Ok(ContactRelease {
                release_state: "current_release_present".into(),
                release_stage: Some("canary_20".into()),
                release_expires_at: Some(now() + chrono::Duration::days(7)),
                cohort_limit: Some(20),
                cohort_member_count: Some(12),
            }),
        )]),
        budget_settings: vec![BudgetSetting {
            user_id: USER,
            campaign_id: None,
            is_paused: false,
            paused_at: None,
            pause_reason: None,
        }],
        retell_max_concurrent: BTreeMap::from([(USER, 10)]),
        calendar_integrations: vec![calendar_integration()],
        calendar_availability: vec![availability(default_schedule())],
        stops: Vec::new(),
        unacknowledged_alerts: Vec::new(),
    }
}
