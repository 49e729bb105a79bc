//! Readiness results of a first launch with two blockers: a Retell number without an
//! outbound agent and a campaign without a current contact release.

use std::time::Instant;

use launchdeck_core::readiness::{Area, Check, FixAction, Status};
use launchdeck_tui::{App, AreaResult, Msg, update};

use super::{ago, id};

/// The Retell number whose outbound agent is missing.
pub const NUMBER_WITHOUT_OUTBOUND: &str = "+14155550123";

fn check(area: Area, id: &str, status: Status, blocking: bool, reason: &str) -> Check {
    Check::new(area, id, status, reason, ago(3)).blocking(blocking)
}

fn environment() -> Vec<Check> {
    let secret = |key: &str, var: &str, masked: &str, blocking: bool| {
        check(
            Area::Environment,
            &format!("environment.secret:{key}"),
            Status::Pass,
            blocking,
            &format!("{var} is set ({masked}, from {var})"),
        )
    };
    vec![
        secret("database.url", "DATABASE_URL", "••••a91c", true),
        secret("retell.api_key", "RETELL_AI_API_KEY", "key_••••3f2a", true),
        secret("twilio.account_sid", "TWILIO_ACCOUNT_SID", "AC••••9e21", true),
        secret("twilio.auth_token", "TWILIO_AUTH_TOKEN", "••••77d0", true),
        secret("elevenlabs.api_key", "ELEVENLABS_API_KEY", "sk_••••c41b", false),
        check(
            Area::Environment,
            "environment.secret:google.client_id",
            Status::Warn,
            false,
            "GOOGLE_CLIENT_ID is not set: needed to refresh calendar tokens",
        )
        .with_fix("export GOOGLE_CLIENT_ID=… before starting launchdeck, or set [google] client_id in the config file (chmod 600 it)"),
    ]
}

fn database() -> Vec<Check> {
    let a = Area::Database;
    vec![
        check(
            a,
            "database.reachable",
            Status::Pass,
            true,
            "reachable in 3 ms (PostgreSQL 17.2)",
        ),
        check(
            a,
            "database.pooler",
            Status::Pass,
            false,
            "direct connection (port 5432): prepared statements are cached",
        ),
        check(
            a,
            "database.schema",
            Status::Pass,
            true,
            "every table and column launchdeck uses exists",
        ),
        check(
            a,
            "database.safety_functions",
            Status::Pass,
            false,
            "provider_safety_health_check and retell_reconciliation_health_check exist",
        ),
    ]
}

fn retell() -> Vec<Check> {
    let a = Area::Retell;
    let number = NUMBER_WITHOUT_OUTBOUND;
    vec![
        check(a, "retell.api_key", Status::Pass, true, "API key accepted (get-concurrency answered)"),
        check(a, "retell.agents", Status::Pass, true, "3 agents at Retell"),
        check(a, "retell.campaign_agents", Status::Pass, true, "every agent used by an active campaign exists (1 campaign)"),
        check(a, "retell.numbers", Status::Pass, false, "4 phone numbers at Retell"),
        check(
            a,
            &format!("retell.number_outbound_agent:{number}"),
            Status::Fail,
            true,
            &format!("{number} has no outbound agent (inbound agent agent_3f9c1e7a2b only): outbound calls from it fail"),
        )
        .with_fix("press F to assign its inbound agent agent_3f9c1e7a2b as outbound agent")
        .with_subject(number)
        .with_action(FixAction::AssignOutboundAgent {
            phone_number: number.to_string(),
            agent_id: Some("agent_3f9c1e7a2b".to_string()),
        }),
        check(a, "retell.concurrency", Status::Warn, false, "18 of 20 concurrent calls in use (2 left)")
            .with_fix("raise the concurrency limit in Retell, or lower calls_per_minute"),
    ]
}

fn twilio() -> Vec<Check> {
    let a = Area::TwilioSip;
    vec![
        check(
            a,
            "twilio.account",
            Status::Pass,
            true,
            "account AC••••9e21 is active (Full)",
        ),
        check(
            a,
            "twilio.numbers_in_account",
            Status::Pass,
            false,
            "all 6 active Twilio numbers are in the account",
        ),
        check(
            a,
            "twilio.sip_trunk_configured",
            Status::Pass,
            false,
            "1 active SIP trunk configuration",
        ),
        check(
            a,
            "twilio.telnyx_numbers",
            Status::Unknown,
            false,
            "not verified (Telnyx): 2 numbers",
        ),
    ]
}

fn numbers() -> Vec<Check> {
    let a = Area::Numbers;
    vec![
        check(
            a,
            "numbers.usable",
            Status::Pass,
            true,
            "5 active numbers, none spam or quarantined",
        ),
        check(
            a,
            "numbers.daily_cap",
            Status::Warn,
            false,
            "+15125550100 is at 92% of its daily cap (184 of 200)",
        )
        .with_fix("add numbers or raise max_daily_calls"),
        check(
            a,
            "numbers.audio_capable",
            Status::Pass,
            true,
            "audio broadcasts have 4 Twilio numbers",
        ),
        check(
            a,
            "numbers.campaign_retell",
            Status::Pass,
            true,
            "2 active numbers have a retell_phone_id",
        ),
    ]
}

fn broadcasts() -> Vec<Check> {
    let a = Area::Broadcasts;
    let (spring, recall) = (id(900), id(901));
    vec![
        check(
            a,
            &format!("broadcast.content:{spring}"),
            Status::Pass,
            true,
            "'Spring renewals — Austin' has a name and a message",
        ),
        check(
            a,
            &format!("broadcast.audio:{spring}"),
            Status::Pass,
            true,
            "audio reachable (audio/mpeg, HEAD 200)",
        ),
        check(
            a,
            &format!("broadcast.pending:{spring}"),
            Status::Pass,
            true,
            "1,180 pending queue rows",
        ),
        check(
            a,
            &format!("broadcast.stuck:{spring}"),
            Status::Warn,
            false,
            "1 row stuck in calling for more than 5 min",
        )
        .with_fix("press c to clean up stuck calls")
        .with_action(FixAction::CleanupStuckCalls),
        check(
            a,
            &format!("broadcast.calling_hours:{recall}"),
            Status::Warn,
            false,
            "'Dental recall Q4' is outside its calling hours (09:00–20:00 America/Chicago)",
        ),
    ]
}

fn campaigns() -> Vec<Check> {
    let a = Area::Campaigns;
    let solar = id(950);
    vec![
        check(a, &format!("campaign.agent:{solar}"), Status::Pass, true, "agent agent_3f9c1e7a2b exists at Retell"),
        check(a, &format!("campaign.agent_number:{solar}"), Status::Pass, true, "+16025550000 carries agent agent_3f9c1e7a2b"),
        check(a, &format!("campaign.leads:{solar}"), Status::Pass, true, "640 leads attached"),
        check(
            a,
            &format!("campaign.contact_release:{solar}"),
            Status::Fail,
            true,
            "'Solar leads — Phoenix' has no current contact release: the platform refuses its calls",
        )
        .with_fix("release the contacts in the platform (Campaign → Contacts → Release)"),
        check(a, &format!("campaign.webhook:{solar}"), Status::Warn, false, "agent agent_3f9c1e7a2b has no webhook URL"),
    ]
}

fn calendar() -> Vec<Check> {
    let a = Area::Calendar;
    let integration = id(700);
    vec![
        check(
            a,
            &format!("calendar.token:{integration}"),
            Status::Warn,
            false,
            "ops@example.com: token expires in 6 min (margin 10 min)",
        )
        .with_fix("press t to refresh calendar tokens")
        .with_subject("ops@example.com")
        .with_action(FixAction::RefreshCalendarTokens),
        check(
            a,
            &format!("calendar.access:{integration}"),
            Status::Pass,
            false,
            "ops@example.com: Google calendar answered",
        ),
        check(
            a,
            &format!("calendar.availability:{}", id(701)),
            Status::Pass,
            false,
            "availability valid (Mon–Fri 09:00–17:00, America/Chicago)",
        ),
    ]
}

fn elevenlabs() -> Vec<Check> {
    let a = Area::ElevenLabs;
    vec![
        check(a, "elevenlabs.key", Status::Pass, false, "key accepted"),
        check(
            a,
            "elevenlabs.subscription",
            Status::Pass,
            false,
            "subscription active (creator)",
        ),
        check(
            a,
            "elevenlabs.quota",
            Status::Pass,
            false,
            "41% of the characters left (41,000 of 100,000)",
        ),
    ]
}

fn safety() -> Vec<Check> {
    let a = Area::Safety;
    vec![
        check(
            a,
            "safety.contact_stops",
            Status::Pass,
            true,
            "no active contact stop",
        ),
        check(
            a,
            "safety.provider_health",
            Status::Pass,
            false,
            "provider_safety_health_check(): every flag true",
        ),
        check(
            a,
            "safety.reconciliation",
            Status::Unknown,
            false,
            "retell_reconciliation_health_check() does not exist in this database",
        ),
    ]
}

/// Every area's checks, in area order.
pub fn checks() -> Vec<(Area, Vec<Check>)> {
    vec![
        (Area::Environment, environment()),
        (Area::Database, database()),
        (Area::Retell, retell()),
        (Area::TwilioSip, twilio()),
        (Area::Numbers, numbers()),
        (Area::Broadcasts, broadcasts()),
        (Area::Campaigns, campaigns()),
        (Area::Calendar, calendar()),
        (Area::ElevenLabs, elevenlabs()),
        (Area::Safety, safety()),
    ]
}

pub fn checks_of(area: Area) -> Vec<Check> {
    checks()
        .into_iter()
        .find(|(a, _)| *a == area)
        .map(|(_, c)| c)
        .unwrap_or_default()
}

/// A run starting at `at` that delivers `areas` (also at `at`) and, when `finish`,
/// ends.
pub fn run(app: &mut App, at: Instant, areas: &[Area], finish: bool) {
    update(app, Msg::ReadinessStarted { at });
    for area in areas {
        let result = AreaResult::new(*area, checks_of(*area), at);
        update(app, Msg::ReadinessArea(result));
    }
    if finish {
        update(app, Msg::ReadinessFinished { at });
    }
}

/// The areas that need Retell's answers.
pub const NEED_RETELL: [Area; 3] = [Area::Retell, Area::TwilioSip, Area::Campaigns];

/// Every area but those that need Retell.
pub fn without_retell() -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|a| !NEED_RETELL.contains(a))
        .collect()
}
