//! Broadcast A (active, 5,000 queue rows, default DTMF actions) and broadcast B
//! (paused, 500 rows, custom DTMF actions with a transfer lacking `transfer_to`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::facts::BroadcastFacts;
use super::people;
use super::rng::{Gen, PhoneBook, exact_mix, money};
use super::tenants::{BROADCAST_A_CALLER, BROADCAST_B_CALLER, Tenants};
use crate::SeedData;

/// Broadcast A's queue, by status (schema.md §8).
const A_MIX: &[(&str, usize)] = &[
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
];
/// Of A's `calling` rows, these many are stuck (updated 6–40 min ago).
const A_STALE_CALLING: usize = 10;

const B_MIX: &[(&str, usize)] = &[
    ("pending", 400),
    ("completed", 40),
    ("answered", 20),
    ("no_answer", 20),
    ("failed", 15),
    ("voicemail", 5),
];

/// Twilio's per-minute price for an outbound call, billed per started minute.
const TWILIO_PER_MINUTE: f64 = 0.014;

/// Twilio error codes a failed broadcast call carries.
const FAILURES: &[(&str, &str)] = &[
    ("21211", "Invalid 'To' Phone Number"),
    (
        "13224",
        "Dial: Twilio does not support calling this number or the number is invalid",
    ),
    ("32011", "Error from SIP trunk: 503 Service Unavailable"),
    (
        "31005",
        "Connection error: the call was disconnected by the carrier",
    ),
    (
        "21215",
        "Geo permission configuration is not permitting this call",
    ),
    ("TIMEOUT", "Call stuck in calling for more than 5 minutes"),
];

pub(super) struct Broadcasts {
    pub a: BroadcastFacts,
    pub b: BroadcastFacts,
    pub stale_calling: Vec<Uuid>,
    pub fresh_calling: usize,
}

/// The platform's default DTMF actions (the column default); its `callback` action is
/// product.md's "old bug" (a callback creating calendar events nobody set up).
pub fn default_dtmf_actions() -> Value {
    json!([
        {"digit": "1", "label": "Connect to Agent", "action": "transfer", "transfer_to": null},
        {"digit": "2", "label": "Schedule Callback", "action": "callback", "delay_hours": 24},
        {"digit": "3", "label": "Do Not Call", "action": "dnc"}
    ])
}

/// Broadcast B's actions: a transfer without `transfer_to` (readiness warns).
fn custom_dtmf_actions() -> Value {
    json!([
        {"digit": "1", "label": "Talk to sales", "action": "transfer", "destination_type": "external"},
        {"digit": "3", "label": "Opt out", "action": "dnc"},
        {"digit": "9", "label": "Hear again", "action": "replay"}
    ])
}

pub(super) fn generate(
    seed: u64,
    now: DateTime<Utc>,
    data: &mut SeedData,
    tenants: &Tenants,
    phones: &mut PhoneBook,
) -> Broadcasts {
    let mut g = Gen::new(seed, "broadcasts", now);
    let audio_base = format!(
        "https://{}.supabase.co/storage/v1/object/public/broadcast-audio",
        tenants.project_ref
    );
    let a = BroadcastDef {
        id: g.uuid(),
        name: "Summer savings voice blast",
        status: "active",
        audio_url: format!("{audio_base}/summer-savings.mp3"),
        caller_id: tenants.number_e164(BROADCAST_A_CALLER).to_string(),
        dtmf_actions: default_dtmf_actions(),
        max_attempts: 2,
        use_sip_trunk: true,
        started: now - Duration::minutes(200),
    };
    let b = BroadcastDef {
        id: g.uuid(),
        name: "Spring webinar reminder",
        status: "paused",
        audio_url: format!("{audio_base}/spring-webinar.mp3"),
        caller_id: tenants.number_e164(BROADCAST_B_CALLER).to_string(),
        dtmf_actions: custom_dtmf_actions(),
        max_attempts: 1,
        use_sip_trunk: false,
        started: now - Duration::days(5),
    };

    let mut queue_a = QueueStats::default();
    let mut stale_calling = Vec::new();
    let statuses = exact_mix(&mut g, A_MIX);
    for status in statuses {
        let stale = status == "calling" && stale_calling.len() < A_STALE_CALLING;
        let row = queue_row_a(&mut g, &a, status, stale, phones);
        if stale {
            stale_calling.push(row.id);
        }
        queue_a.record(&row, now);
        data.table("broadcast_queue").push(row.json);
    }

    let mut queue_b = QueueStats::default();
    for status in exact_mix(&mut g, B_MIX) {
        let row = queue_row_b(&mut g, &b, status, phones);
        queue_b.record(&row, now);
        data.table("broadcast_queue").push(row.json);
    }

    let owner = tenants.owner();
    push_broadcast(&g, data, &a, owner, &queue_a, None);
    push_broadcast(&g, data, &b, owner, &queue_b, Some("Paused by operator"));
    Broadcasts {
        fresh_calling: queue_a.counts.get("calling").copied().unwrap_or(0) as usize
            - stale_calling.len(),
        a: a.facts(queue_a),
        b: b.facts(queue_b),
        stale_calling,
    }
}

struct BroadcastDef {
    id: Uuid,
    name: &'static str,
    status: &'static str,
    audio_url: String,
    caller_id: String,
    dtmf_actions: Value,
    max_attempts: i64,
    use_sip_trunk: bool,
    started: DateTime<Utc>,
}

impl BroadcastDef {
    fn facts(&self, stats: QueueStats) -> BroadcastFacts {
        BroadcastFacts {
            id: self.id,
            name: self.name.into(),
            status: self.status.into(),
            audio_url: self.audio_url.clone(),
            caller_id: self.caller_id.clone(),
            queue_rows: stats.rows,
            counts: stats.counts,
            dtmf_actions: self.dtmf_actions.clone(),
            finished_last_15_min: stats.finished_last_15_min,
        }
    }
}

#[derive(Default)]
struct QueueStats {
    rows: usize,
    counts: BTreeMap<String, i64>,
    finished_last_15_min: usize,
}

impl QueueStats {
    fn record(&mut self, row: &QueueRow, now: DateTime<Utc>) {
        self.rows += 1;
        *self.counts.entry(row.status.to_string()).or_insert(0) += 1;
        if is_finished(row.status) && now - row.updated_at <= Duration::minutes(15) {
            self.finished_last_15_min += 1;
        }
    }

    fn count(&self, statuses: &[&str]) -> i64 {
        statuses
            .iter()
            .map(|s| self.counts.get(*s).copied().unwrap_or(0))
            .sum()
    }
}

fn is_finished(status: &str) -> bool {
    !matches!(status, "pending" | "calling")
}

struct QueueRow {
    id: Uuid,
    status: &'static str,
    updated_at: DateTime<Utc>,
    json: Value,
}

/// What a call that reached a final state left on its queue row.
#[derive(Default)]
struct CallResult {
    duration: Option<i64>,
    amd: Option<&'static str>,
    dtmf: Option<&'static str>,
    transfer_status: Option<&'static str>,
    callback_at: Option<DateTime<Utc>>,
    error: Option<(&'static str, &'static str)>,
}

fn call_result(g: &mut Gen, status: &str, finished: DateTime<Utc>) -> CallResult {
    let human = Some("human");
    match status {
        "answered" => CallResult {
            duration: Some(g.int(20, 180)),
            amd: human,
            ..CallResult::default()
        },
        "completed" => CallResult {
            duration: Some(g.int(15, 240)),
            amd: human,
            ..CallResult::default()
        },
        "voicemail" => CallResult {
            duration: Some(g.int(20, 45)),
            amd: Some("machine_end_beep"),
            ..CallResult::default()
        },
        "no_answer" | "busy" => CallResult {
            duration: Some(0),
            ..CallResult::default()
        },
        "transferred" => CallResult {
            duration: Some(g.int(40, 600)),
            amd: human,
            dtmf: Some("1"),
            transfer_status: Some("completed"),
            ..CallResult::default()
        },
        "callback" => CallResult {
            duration: Some(g.int(25, 90)),
            amd: human,
            dtmf: Some("2"),
            callback_at: Some(finished + Duration::hours(24)),
            ..CallResult::default()
        },
        "dnc" => CallResult {
            duration: Some(g.int(8, 30)),
            amd: human,
            dtmf: Some("3"),
            ..CallResult::default()
        },
        _ => CallResult {
            error: Some(g.pick(FAILURES)),
            ..CallResult::default()
        },
    }
}

/// Twilio bills every started minute; unanswered calls cost nothing.
fn twilio_cost(secs: i64) -> f64 {
    money(((secs + 59) / 60) as f64 * TWILIO_PER_MINUTE)
}

/// The columns every queue row carries (one column set keeps the load to one batch).
struct RowFields<'a> {
    def: &'a BroadcastDef,
    phone: String,
    lead_name: String,
    status: &'static str,
    attempts: i64,
    scheduled_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    call_sid: Option<String>,
    result: CallResult,
    ghl_callback_status: &'static str,
}

fn build_row(g: &mut Gen, f: RowFields<'_>) -> QueueRow {
    let id = g.uuid();
    let cost = f.result.duration.map(twilio_cost);
    let (error_code, error_message) = match f.result.error {
        Some((code, message)) => (Some(code), Some(message)),
        None => (None, None),
    };
    let json = json!({
        "id": id, "broadcast_id": f.def.id, "lead_id": null,
        "phone_number": f.phone, "lead_name": f.lead_name, "status": f.status,
        "attempts": f.attempts, "max_attempts": f.def.max_attempts,
        "scheduled_at": f.scheduled_at, "dtmf_pressed": f.result.dtmf,
        "call_duration_seconds": f.result.duration,
        "transfer_status": f.result.transfer_status,
        "callback_scheduled_at": f.result.callback_at,
        "created_at": f.def.started, "updated_at": f.updated_at,
        "call_sid": f.call_sid, "amd_result": f.result.amd, "call_cost": cost,
        "error_code": error_code, "error_message": error_message,
        "ghl_callback_status": f.ghl_callback_status,
    });
    QueueRow {
        id,
        status: f.status,
        updated_at: f.updated_at,
        json,
    }
}

fn twilio_call_sid(g: &mut Gen) -> String {
    format!("CA{}", g.hex(32))
}

/// One row of broadcast A. Finished rows end over the last 3 hours, about one in eight
/// within the last 15 minutes so the finish rate is non-zero.
fn queue_row_a(
    g: &mut Gen,
    def: &BroadcastDef,
    status: &'static str,
    stale: bool,
    phones: &mut PhoneBook,
) -> QueueRow {
    let phone = phones.fresh(g);
    let lead_name = people::person(g).full_name();
    let now = g.now;
    let (attempts, scheduled_at, updated_at, call_sid) = match status {
        "pending" if g.chance(0.05) => {
            // A retry after no answer, due within the next hour.
            let retry_at = now + Duration::minutes(g.int(1, 60));
            (1, retry_at, retry_at - Duration::minutes(60), None)
        }
        "pending" => (0, def.started, def.started, None),
        "calling" if stale => {
            let since = g.between_secs_ago(6 * 60 + 1, 40 * 60);
            let attempts = g.int(1, def.max_attempts);
            let sid = g.chance(0.5).then(|| twilio_call_sid(g));
            (attempts, def.started, since, sid)
        }
        "calling" => {
            let since = g.between_secs_ago(3, 55);
            (1, def.started, since, Some(twilio_call_sid(g)))
        }
        _ => {
            let finished = if g.chance(0.12) {
                g.between_secs_ago(20, 15 * 60)
            } else {
                g.between_secs_ago(15 * 60 + 1, 180 * 60)
            };
            let attempts = if g.chance(0.15) { 2 } else { 1 };
            (attempts, def.started, finished, Some(twilio_call_sid(g)))
        }
    };
    let result = if is_finished(status) {
        call_result(g, status, updated_at)
    } else {
        CallResult::default()
    };
    let call_sid = if status == "failed" && g.chance(0.4) {
        None // refused before Twilio created a call
    } else {
        call_sid
    };
    let ghl_callback_status = if matches!(status, "transferred" | "callback") {
        "sent"
    } else {
        "pending"
    };
    build_row(
        g,
        RowFields {
            def,
            phone,
            lead_name,
            status,
            attempts,
            scheduled_at,
            updated_at,
            call_sid,
            result,
            ghl_callback_status,
        },
    )
}

/// One row of broadcast B: everything finished happened before it was paused.
fn queue_row_b(
    g: &mut Gen,
    def: &BroadcastDef,
    status: &'static str,
    phones: &mut PhoneBook,
) -> QueueRow {
    let phone = phones.fresh(g);
    let lead_name = people::person(g).full_name();
    let paused_at = g.now - Duration::days(2);
    let (attempts, updated_at, call_sid) = if status == "pending" {
        (0, def.started, None)
    } else {
        let finished = paused_at - Duration::minutes(g.int(1, 24 * 60));
        (1, finished, Some(twilio_call_sid(g)))
    };
    let result = if is_finished(status) {
        call_result(g, status, updated_at)
    } else {
        CallResult::default()
    };
    build_row(
        g,
        RowFields {
            def,
            phone,
            lead_name,
            status,
            attempts,
            scheduled_at: def.started,
            updated_at,
            call_sid,
            result,
            ghl_callback_status: "pending",
        },
    )
}

fn push_broadcast(
    g: &Gen,
    data: &mut SeedData,
    def: &BroadcastDef,
    owner: Uuid,
    stats: &QueueStats,
    last_error: Option<&str>,
) {
    let attempted = stats.rows as i64 - stats.count(&["pending"]);
    let answered = stats.count(&["answered", "completed", "transferred", "callback", "dnc"]);
    let updated = if def.status == "paused" {
        g.now - Duration::days(2)
    } else {
        g.now - Duration::seconds(20)
    };
    data.table("voice_broadcasts").push(json!({
        "id": def.id, "user_id": owner, "name": def.name,
        "description": format!("{} (first campaign seed)", def.name),
        "status": def.status,
        "message_text": "Hi, this is Bright Horizons Solar with a limited-time offer on home solar. Press 1 to speak with an advisor, 2 for a callback, or 3 to opt out.",
        "voice_id": "EXAVITQu4vr4xnSDxMaL", "voice_model": "eleven_turbo_v2_5",
        "audio_url": def.audio_url, "ivr_enabled": true, "ivr_mode": "dtmf",
        "dtmf_actions": def.dtmf_actions, "max_attempts": def.max_attempts,
        "retry_delay_minutes": 60, "calling_hours_start": "09:00:00",
        "calling_hours_end": "20:00:00", "timezone": "America/New_York",
        "calls_per_minute": 50, "total_leads": stats.rows,
        "calls_made": attempted, "calls_answered": answered,
        "transfers_completed": stats.count(&["transferred"]),
        "callbacks_scheduled": stats.count(&["callback"]),
        "dnc_requests": stats.count(&["dnc"]),
        "caller_id": def.caller_id, "bypass_calling_hours": false,
        "last_error": last_error, "last_error_at": last_error.map(|_| updated),
        "enable_amd": true, "voicemail_action": "hangup",
        "use_sip_trunk": def.use_sip_trunk,
        "broadcast_provider": "twilio_classic",
        "created_at": def.started - Duration::hours(1), "updated_at": updated,
    }));
}
