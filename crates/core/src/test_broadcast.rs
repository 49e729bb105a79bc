//! The small test broadcast's rules (product.md "Actions", Test broadcast): which
//! destinations may be called, which caller number dials, how a call is placed
//! (Twilio TwiML for audio broadcasts, Retell for AI broadcasts and campaigns), what the
//! rows written for it look like, and how a provider's final answer maps onto the
//! platform's statuses. Pure: launchdeck-ops asks the store and the providers.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actions::StatusTable;
use crate::config::is_e164;
use crate::domain::{CallSource, PhoneNumber};
use crate::redact::{mask_phone, sanitize_provider_text};

/// The draft broadcast that holds an audio broadcast's test rows is named this, then
/// the original's name.
pub const TEST_BROADCAST_PREFIX: &str = "launchdeck test — ";

/// `voice_broadcasts.ivr_mode` of an AI broadcast (dialled through Retell).
pub const AI_IVR_MODE: &str = "ai_conversational";

/// The platform counts an ended Retell call shorter than this as not answered.
const SHORT_CALL_SECS: i64 = 10;

/// The default `phone_numbers.max_daily_calls`.
const DEFAULT_MAX_DAILY_CALLS: i32 = 100;

/// Where the operator sets the allowlist, for the refusals' fixes.
pub const ALLOWLIST_FIX: &str = "add it to [test_broadcast] allowlist in the config file (or \
     LAUNCHDECK_TEST_BROADCAST_ALLOWLIST, comma-separated)";

/// The name of the draft broadcast holding `original`'s test rows.
pub fn test_broadcast_name(original: &str) -> String {
    format!("{TEST_BROADCAST_PREFIX}{original}")
}

/// Why a destination list is refused (nothing is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationRefusal {
    /// `[test_broadcast] allowlist` is empty: nothing may be called.
    EmptyAllowlist,
    /// No `--to` number.
    NoDestination,
    /// More numbers than `max_calls`.
    TooMany { given: usize, max: u8 },
    /// Not written as E.164 (`+` then 8–15 digits).
    NotE164(String),
    /// E.164 in form, but no valid number (libphonenumber's metadata).
    InvalidNumber(String),
    /// Valid, but not in the allowlist.
    NotAllowlisted(String),
    /// The same number twice.
    Duplicate(String),
}

impl fmt::Display for DestinationRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestinationRefusal::EmptyAllowlist => write!(
                f,
                "the test-number allowlist is empty, so no number may be called: list the \
                 numbers you own in [test_broadcast] allowlist in the config file (or \
                 LAUNCHDECK_TEST_BROADCAST_ALLOWLIST, comma-separated)"
            ),
            DestinationRefusal::NoDestination => write!(
                f,
                "no destination: give 1 to 3 numbers from [test_broadcast] allowlist with --to"
            ),
            DestinationRefusal::TooMany { given, max } => write!(
                f,
                "{given} destinations, but a test broadcast calls at most {max} \
                 ([test_broadcast] max_calls): give fewer --to numbers"
            ),
            DestinationRefusal::NotE164(n) => write!(
                f,
                "\"{n}\" is not an E.164 number: write + then the country code and number, \
                 digits only (e.g. +14155550199)"
            ),
            DestinationRefusal::InvalidNumber(n) => write!(
                f,
                "{n} is not a valid phone number (no such numbering plan or length): check \
                 the digits"
            ),
            DestinationRefusal::NotAllowlisted(n) => write!(
                f,
                "{n} is not in the test-number allowlist: a test broadcast calls only numbers \
                 you own; {ALLOWLIST_FIX}"
            ),
            DestinationRefusal::Duplicate(n) => {
                write!(f, "{n} is given twice: each number is called once")
            }
        }
    }
}

/// A number as typed, made terminal-safe for a message.
fn shown(text: &str) -> String {
    sanitize_provider_text(text.trim())
}

/// `text` as E.164, checked with libphonenumber's metadata (the `phonenumber` crate):
/// the strict written form first (`+`, 8–15 digits), then a valid number.
pub fn normalize_e164(text: &str) -> Result<String, DestinationRefusal> {
    let text = text.trim();
    if !is_e164(text) {
        return Err(DestinationRefusal::NotE164(shown(text)));
    }
    let parsed = phonenumber::parse(None, text)
        .map_err(|_| DestinationRefusal::InvalidNumber(shown(text)))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(DestinationRefusal::InvalidNumber(shown(text)));
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// The destinations to call, normalised, in the order given: every rule of the test
/// broadcast at once. The allowlist entries are compared in their normalised form.
pub fn validate_destinations(
    to: &[String],
    allowlist: &[String],
    max_calls: u8,
) -> Result<Vec<String>, DestinationRefusal> {
    let allowed: Vec<String> = allowlist
        .iter()
        .map(|a| normalize_e164(a).unwrap_or_else(|_| a.trim().to_string()))
        .collect();
    if allowed.is_empty() {
        return Err(DestinationRefusal::EmptyAllowlist);
    }
    let typed: Vec<&str> = to
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if typed.is_empty() {
        return Err(DestinationRefusal::NoDestination);
    }
    if typed.len() > usize::from(max_calls) {
        return Err(DestinationRefusal::TooMany {
            given: typed.len(),
            max: max_calls,
        });
    }
    let mut out: Vec<String> = Vec::with_capacity(typed.len());
    for text in typed {
        let number = normalize_e164(text)?;
        if !allowed.contains(&number) {
            return Err(DestinationRefusal::NotAllowlisted(number));
        }
        if out.contains(&number) {
            return Err(DestinationRefusal::Duplicate(number));
        }
        out.push(number);
    }
    Ok(out)
}

/// Which provider places a test call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestProvider {
    /// Twilio create call with inline TwiML (audio broadcasts).
    Twilio,
    /// Retell create-phone-call (AI broadcasts, campaigns).
    Retell,
}

impl TestProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            TestProvider::Twilio => "twilio",
            TestProvider::Retell => "retell",
        }
    }

    /// `Twilio`, `Retell`.
    pub fn title(self) -> &'static str {
        match self {
            TestProvider::Twilio => "Twilio",
            TestProvider::Retell => "Retell",
        }
    }
}

/// What kind of test this target gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// An audio broadcast: Twilio plays its audio; rows in the draft test broadcast.
    Audio,
    /// An AI broadcast (`ivr_mode = ai_conversational`): Retell with the chosen agent.
    AiBroadcast,
    /// A campaign: Retell with the campaign's agent.
    Campaign,
}

impl TestKind {
    pub fn provider(self) -> TestProvider {
        match self {
            TestKind::Audio => TestProvider::Twilio,
            TestKind::AiBroadcast | TestKind::Campaign => TestProvider::Retell,
        }
    }

    /// Where its rows go.
    pub fn source(self) -> CallSource {
        match self {
            TestKind::Audio => CallSource::BroadcastQueue,
            TestKind::AiBroadcast | TestKind::Campaign => CallSource::CallLogs,
        }
    }

    /// `audio via Twilio`, `AI via Retell`.
    pub fn describe(self) -> &'static str {
        match self {
            TestKind::Audio => "audio broadcast via Twilio (inline TwiML plays its audio)",
            TestKind::AiBroadcast => "AI broadcast via Retell",
            TestKind::Campaign => "campaign via Retell (the campaign's agent)",
        }
    }
}

/// The broadcast or campaign a test broadcast is for, as the store reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestTargetRow {
    pub table: StatusTable,
    pub id: Uuid,
    pub name: String,
    pub status: String,
    /// The owner (`user_id`).
    pub user_id: Uuid,
    /// Campaigns only (broadcasts are per-user rows).
    pub organization_id: Option<Uuid>,
    /// Inside the `--user` / `--org` scope.
    pub in_scope: bool,
    /// Broadcasts: `ivr_mode`.
    pub ivr_mode: Option<String>,
    /// Broadcasts: `audio_url`.
    pub audio_url: Option<String>,
    /// Broadcasts: `caller_id`, preferred as the caller when it qualifies.
    pub caller_id: Option<String>,
    /// Campaigns: `agent_id` (a Retell agent id).
    pub agent_id: Option<String>,
}

impl TestTargetRow {
    pub fn kind(&self) -> TestKind {
        match self.table {
            StatusTable::Campaigns => TestKind::Campaign,
            StatusTable::VoiceBroadcasts
                if self.ivr_mode.as_deref().map(str::trim) == Some(AI_IVR_MODE) =>
            {
                TestKind::AiBroadcast
            }
            StatusTable::VoiceBroadcasts => TestKind::Audio,
        }
    }

    /// `broadcast "Spring promo"`.
    pub fn label(&self) -> String {
        format!("{} \"{}\"", self.table.noun(), shown(&self.name))
    }
}

/// Why a phone number cannot place this test call (the first rule it fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallerUnfit {
    OtherOwner,
    NotActive,
    Spam,
    Quarantined,
    DailyCapReached,
    InboundOnly,
    SmsOnly,
    NoRetellId,
    NotTwilio,
}

impl CallerUnfit {
    fn words(self) -> &'static str {
        match self {
            CallerUnfit::OtherOwner => "owned by another user or organization",
            CallerUnfit::NotActive => "not active",
            CallerUnfit::Spam => "marked spam",
            CallerUnfit::Quarantined => "quarantined",
            CallerUnfit::DailyCapReached => "at its daily cap",
            CallerUnfit::InboundOnly => "inbound only",
            CallerUnfit::SmsOnly => "SMS only",
            CallerUnfit::NoRetellId => "not a Retell number (no retell_phone_id)",
            CallerUnfit::NotTwilio => "not a Twilio number",
        }
    }
}

/// What the caller number must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerNeed {
    pub provider: TestProvider,
    pub owner: Uuid,
    /// Campaigns: the number must be in the campaign's organization too.
    pub organization_id: Option<Uuid>,
    /// The database's date (quarantine_until is a date).
    pub today: NaiveDate,
}

/// Why `number` cannot dial this test, or `None` when it can (the platform's rules:
/// active, not spam, not quarantined, under its daily cap; a Retell number for Retell
/// calls, a Twilio number for audio broadcasts; the target's owner).
pub fn caller_unfit(number: &PhoneNumber, need: &CallerNeed) -> Option<CallerUnfit> {
    let purpose = number.purpose.as_deref().map(str::trim).unwrap_or("");
    let provider = number
        .provider
        .as_deref()
        .map(str::trim)
        .unwrap_or("twilio");
    if number.user_id != need.owner
        || need
            .organization_id
            .is_some_and(|org| org != number.organization_id)
    {
        return Some(CallerUnfit::OtherOwner);
    }
    if number.status.trim() != "active" {
        return Some(CallerUnfit::NotActive);
    }
    if number.is_spam {
        return Some(CallerUnfit::Spam);
    }
    if number
        .quarantine_until
        .is_some_and(|until| until >= need.today)
    {
        return Some(CallerUnfit::Quarantined);
    }
    if number.daily_calls >= number.max_daily_calls.unwrap_or(DEFAULT_MAX_DAILY_CALLS) {
        return Some(CallerUnfit::DailyCapReached);
    }
    if number.call_direction.trim() == "inbound" {
        return Some(CallerUnfit::InboundOnly);
    }
    if purpose == "sms_only" {
        return Some(CallerUnfit::SmsOnly);
    }
    match need.provider {
        TestProvider::Retell
            if number
                .retell_phone_id
                .as_deref()
                .is_none_or(|id| id.trim().is_empty()) =>
        {
            Some(CallerUnfit::NoRetellId)
        }
        TestProvider::Twilio if provider != "twilio" || purpose == "retell_agent" => {
            Some(CallerUnfit::NotTwilio)
        }
        _ => None,
    }
}

/// No number qualifies: how many were looked at and why each was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCaller {
    pub provider: TestProvider,
    /// Numbers of the owner, each counted under the first rule it fails.
    pub unfit: Vec<(CallerUnfit, usize)>,
}

impl fmt::Display for NoCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let need = match self.provider {
            TestProvider::Retell => "a Retell number",
            TestProvider::Twilio => "a Twilio number",
        };
        let owned: usize = self
            .unfit
            .iter()
            .filter(|(why, _)| *why != CallerUnfit::OtherOwner)
            .map(|(_, n)| n)
            .sum();
        if owned == 0 {
            return write!(
                f,
                "no caller number: the owner has no phone number (the test needs {need} that \
                 is active, not spam, not quarantined and under its daily cap)"
            );
        }
        let reasons: Vec<String> = self
            .unfit
            .iter()
            .filter(|(why, _)| *why != CallerUnfit::OtherOwner)
            .map(|(why, n)| format!("{n} {}", why.words()))
            .collect();
        write!(
            f,
            "no caller number qualifies: the test needs {need} that is active, not spam, not \
             quarantined and under its daily cap; of the owner's {owned}: {}",
            reasons.join(", ")
        )
    }
}

/// The caller number: the preferred one (a broadcast's `caller_id`) when it qualifies,
/// else the least-used qualifying number (fewest `daily_calls`, then by number).
pub fn pick_caller(
    numbers: &[PhoneNumber],
    need: &CallerNeed,
    preferred: Option<&str>,
) -> Result<PhoneNumber, NoCaller> {
    let preferred = preferred
        .map(|p| normalize_e164(p).unwrap_or_else(|_| p.trim().to_string()))
        .filter(|p| !p.is_empty());
    let fit: Vec<&PhoneNumber> = numbers
        .iter()
        .filter(|n| caller_unfit(n, need).is_none())
        .collect();
    if let Some(p) = &preferred
        && let Some(n) = fit.iter().find(|n| n.number.trim() == p)
    {
        return Ok((*n).clone());
    }
    if let Some(n) = fit
        .iter()
        .min_by(|a, b| (a.daily_calls, &a.number).cmp(&(b.daily_calls, &b.number)))
    {
        return Ok((*n).clone());
    }
    let mut unfit: Vec<(CallerUnfit, usize)> = Vec::new();
    for why in numbers.iter().filter_map(|n| caller_unfit(n, need)) {
        match unfit.iter_mut().find(|(w, _)| *w == why) {
            Some((_, n)) => *n += 1,
            None => unfit.push((why, 1)),
        }
    }
    unfit.sort();
    Err(NoCaller {
        provider: need.provider,
        unfit,
    })
}

/// The TwiML that plays `audio_url` (XML-escaped), inline in the create request.
pub fn play_twiml(audio_url: &str) -> String {
    format!(
        "<Response><Play>{}</Play></Response>",
        xml_escape(audio_url.trim())
    )
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The `call_logs.notes` of a Retell test call: it names the broadcast or campaign
/// (the row's `campaign_id` stays NULL, so the real figures do not count it).
pub fn call_log_note(target: &TestTargetRow, run_id: Uuid, request_id: Uuid) -> String {
    format!(
        "launchdeck test call for {} ({}); run {run_id}; request {request_id}",
        target.label(),
        target.id
    )
}

/// A destination as shown everywhere: the last 4 digits.
pub fn masked(number: &str) -> String {
    mask_phone(number)
}

/// A test row to insert before dialling, in the state the platform writes before it
/// dials (`broadcast_queue` `calling` with attempts 1; `call_logs` `queued`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TestRowInsert {
    /// In the draft test broadcast's queue.
    BroadcastQueue {
        broadcast_id: Uuid,
        phone_number: String,
        /// `lead_name`: says it is a launchdeck test.
        lead_name: String,
    },
    /// A call_log with `campaign_id` NULL and the note naming the target.
    CallLogs {
        user_id: Uuid,
        organization_id: Uuid,
        phone_number: String,
        caller_id: String,
        agent_id: String,
        notes: String,
    },
}

impl TestRowInsert {
    pub fn source(&self) -> CallSource {
        match self {
            TestRowInsert::BroadcastQueue { .. } => CallSource::BroadcastQueue,
            TestRowInsert::CallLogs { .. } => CallSource::CallLogs,
        }
    }
}

/// `broadcast_queue.error_code` of a test call whose acceptance is unknown.
pub const ACCEPTANCE_UNKNOWN_CODE: &str = "ACCEPTANCE_UNKNOWN";
/// `broadcast_queue.error_code` of a test call the provider refused.
pub const REJECTED_CODE: &str = "TEST_CALL_REJECTED";
/// `broadcast_queue.error_code` of a test call that never reached the provider.
pub const NOT_SENT_CODE: &str = "TEST_CALL_NOT_SENT";

/// A test row's final state, from the provider's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalState {
    /// broadcast_queue: `completed`/`busy`/`no_answer`/`failed`; call_logs: one of the
    /// CHECK's values.
    pub status: String,
    /// call_logs `outcome` (CHECK-valid); `None` for broadcast_queue.
    pub outcome: Option<String>,
    pub duration_seconds: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The provider's reason in words (`user_hangup`, `no-answer`), terminal-safe.
    pub reason: String,
}

/// One conditional write on a test row. Each applies only while the row is still as
/// the previous step left it (see [`TestCallUpdate`]); a row that moved on is skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCallWrite {
    pub source: CallSource,
    pub id: Uuid,
    pub update: TestCallUpdate,
}

/// What a write records, and the state the row must still be in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestCallUpdate {
    /// The provider accepted the create: its call id (`call_sid` / `retell_call_id`;
    /// call_logs become `ringing`). Row: as inserted.
    Placed { provider_call_id: String },
    /// Rejected (4xx) or not sent: `failed` with the reason. Row: as inserted.
    Failed { code: String, reason: String },
    /// 5xx / timeout / reset / unreadable 2xx: kept in flight with the reason recorded
    /// (call_logs: `provider_reconciliation_required`, the platform's redial hold;
    /// broadcast_queue: `error_code` ACCEPTANCE_UNKNOWN). Row: as inserted.
    AcceptanceUnknown { reason: String },
    /// Reconcile found the call. Row: acceptance unknown.
    Found { provider_call_id: String },
    /// Reconcile did not find it within the window: `failed`, "probably not placed".
    /// Row: acceptance unknown.
    NotFound { reason: String },
    /// The provider says the call ended. Row: placed with this call id, not finished.
    Final {
        provider_call_id: String,
        state: FinalState,
    },
}

/// A Retell call's end as the platform records it: `ended` → completed (no_answer when
/// under 10 s; voicemail when it reached voicemail), `not_connected` → busy / no_answer
/// / failed by reason, `error` → failed.
pub fn retell_final_status(
    call_status: &str,
    reason: Option<&str>,
    duration_secs: i64,
) -> &'static str {
    let reason = reason.unwrap_or("");
    match call_status {
        "ended" if reason == "voicemail_reached" => "voicemail",
        "ended" if duration_secs < SHORT_CALL_SECS => "no_answer",
        "ended" => "completed",
        "not_connected" => match reason {
            "dial_busy" => "busy",
            "dial_no_answer" | "registered_call_timeout" | "user_declined" => "no_answer",
            "voicemail_reached" => "voicemail",
            _ => "failed",
        },
        _ => "failed",
    }
}

/// A Twilio call's end as broadcast_queue records it.
pub fn twilio_final_status(status: &str) -> &'static str {
    match status {
        "completed" => "completed",
        "busy" => "busy",
        "no-answer" => "no_answer",
        _ => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const OWNED: [&str; 3] = ["+14155550101", "+14155550102", "+442071838750"];

    fn allow() -> Vec<String> {
        OWNED.iter().map(|s| s.to_string()).collect()
    }

    fn to(numbers: &[&str]) -> Vec<String> {
        numbers.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn destinations_table() {
        type Case<'a> = (&'a [&'a str], Result<Vec<&'a str>, DestinationRefusal>);
        let cases: Vec<Case> = vec![
            (&["+14155550101"], Ok(vec!["+14155550101"])),
            (
                &[" +14155550102 ", "+442071838750"],
                Ok(vec!["+14155550102", "+442071838750"]),
            ),
            (&[], Err(DestinationRefusal::NoDestination)),
            (&["  "], Err(DestinationRefusal::NoDestination)),
            (
                &[
                    "+14155550101",
                    "+14155550102",
                    "+442071838750",
                    "+14155550103",
                ],
                Err(DestinationRefusal::TooMany { given: 4, max: 3 }),
            ),
            (
                &["4155550101"],
                Err(DestinationRefusal::NotE164("4155550101".into())),
            ),
            (
                &["+1 415 555 0101"],
                Err(DestinationRefusal::NotE164("+1 415 555 0101".into())),
            ),
            (
                &["+10005550100"],
                Err(DestinationRefusal::InvalidNumber("+10005550100".into())),
            ),
            (
                &["+14155550199"],
                Err(DestinationRefusal::NotAllowlisted("+14155550199".into())),
            ),
            (
                &["+14155550101", "+14155550101"],
                Err(DestinationRefusal::Duplicate("+14155550101".into())),
            ),
        ];
        for (given, want) in cases {
            let got = validate_destinations(&to(given), &allow(), 3);
            let want = want.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(got, want, "{given:?}");
        }
        assert_eq!(
            validate_destinations(&to(&["+14155550101"]), &[], 3),
            Err(DestinationRefusal::EmptyAllowlist)
        );
        assert_eq!(
            validate_destinations(&to(&["+14155550101", "+14155550102"]), &allow(), 1),
            Err(DestinationRefusal::TooMany { given: 2, max: 1 })
        );
    }

    #[test]
    fn refusals_name_the_number_and_the_fix() {
        let text = DestinationRefusal::NotAllowlisted("+14155550199".into()).to_string();
        assert!(text.contains("+14155550199"), "{text}");
        assert!(text.contains("[test_broadcast] allowlist"), "{text}");
        assert!(
            text.contains("LAUNCHDECK_TEST_BROADCAST_ALLOWLIST"),
            "{text}"
        );
        let text = DestinationRefusal::EmptyAllowlist.to_string();
        assert!(text.contains("[test_broadcast] allowlist"), "{text}");
        let text = DestinationRefusal::NotE164("555-0199".into()).to_string();
        assert!(
            text.contains("\"555-0199\" is not an E.164 number"),
            "{text}"
        );
        let text = DestinationRefusal::TooMany { given: 4, max: 3 }.to_string();
        assert!(
            text.contains("at most 3") && text.contains("max_calls"),
            "{text}"
        );
        // Control characters typed into a number never reach the terminal.
        let text = DestinationRefusal::NotE164(shown("+1\u{1b}[31m415")).to_string();
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    fn number(n: &str) -> PhoneNumber {
        PhoneNumber {
            id: Uuid::new_v4(),
            user_id: Uuid::from_u128(1),
            organization_id: Uuid::from_u128(10),
            number: n.to_string(),
            status: "active".into(),
            quarantine_until: None,
            is_spam: false,
            daily_calls: 0,
            max_daily_calls: Some(100),
            provider: Some("twilio".into()),
            purpose: Some("general_rotation".into()),
            retell_phone_id: Some(format!("retell-{n}")),
            twilio_sid: None,
            sip_trunk_config_id: None,
            call_direction: "outbound".into(),
            friendly_name: None,
        }
    }

    fn need(provider: TestProvider) -> CallerNeed {
        CallerNeed {
            provider,
            owner: Uuid::from_u128(1),
            organization_id: Some(Uuid::from_u128(10)),
            today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
        }
    }

    #[test]
    fn caller_rules_table() {
        type Change = fn(&mut PhoneNumber);
        let cases: Vec<(&str, Change, TestProvider, Option<CallerUnfit>)> = vec![
            ("fit", |_| {}, TestProvider::Retell, None),
            ("fit twilio", |_| {}, TestProvider::Twilio, None),
            (
                "other user",
                |n| n.user_id = Uuid::from_u128(2),
                TestProvider::Retell,
                Some(CallerUnfit::OtherOwner),
            ),
            (
                "other org",
                |n| n.organization_id = Uuid::from_u128(11),
                TestProvider::Retell,
                Some(CallerUnfit::OtherOwner),
            ),
            (
                "cooldown",
                |n| n.status = "cooldown".into(),
                TestProvider::Retell,
                Some(CallerUnfit::NotActive),
            ),
            (
                "spam",
                |n| n.is_spam = true,
                TestProvider::Twilio,
                Some(CallerUnfit::Spam),
            ),
            (
                "quarantined until today",
                |n| n.quarantine_until = NaiveDate::from_ymd_opt(2026, 6, 1),
                TestProvider::Retell,
                Some(CallerUnfit::Quarantined),
            ),
            (
                "quarantine over",
                |n| n.quarantine_until = NaiveDate::from_ymd_opt(2026, 5, 31),
                TestProvider::Retell,
                None,
            ),
            (
                "at cap",
                |n| n.daily_calls = 100,
                TestProvider::Retell,
                Some(CallerUnfit::DailyCapReached),
            ),
            (
                "default cap",
                |n| {
                    n.daily_calls = 100;
                    n.max_daily_calls = None
                },
                TestProvider::Retell,
                Some(CallerUnfit::DailyCapReached),
            ),
            (
                "inbound",
                |n| n.call_direction = "inbound".into(),
                TestProvider::Retell,
                Some(CallerUnfit::InboundOnly),
            ),
            (
                "sms",
                |n| n.purpose = Some("sms_only".into()),
                TestProvider::Twilio,
                Some(CallerUnfit::SmsOnly),
            ),
            (
                "no retell id",
                |n| n.retell_phone_id = None,
                TestProvider::Retell,
                Some(CallerUnfit::NoRetellId),
            ),
            (
                "no retell id is fine for twilio",
                |n| n.retell_phone_id = None,
                TestProvider::Twilio,
                None,
            ),
            (
                "retell native",
                |n| n.provider = Some("retell_native".into()),
                TestProvider::Twilio,
                Some(CallerUnfit::NotTwilio),
            ),
            (
                "retell-only purpose",
                |n| n.purpose = Some("retell_agent".into()),
                TestProvider::Twilio,
                Some(CallerUnfit::NotTwilio),
            ),
        ];
        for (name, change, provider, want) in cases {
            let mut n = number("+14155550123");
            change(&mut n);
            assert_eq!(caller_unfit(&n, &need(provider)), want, "{name}");
        }
    }

    #[test]
    fn the_preferred_caller_wins_when_it_qualifies_else_the_least_used() {
        let mut a = number("+14155550121");
        a.daily_calls = 5;
        let mut b = number("+14155550122");
        b.daily_calls = 2;
        let mut c = number("+14155550123");
        c.daily_calls = 2;
        let mut spam = number("+14155550124");
        spam.is_spam = true;
        let all = vec![a.clone(), b.clone(), c, spam.clone()];
        let n = need(TestProvider::Twilio);
        assert_eq!(pick_caller(&all, &n, Some("+14155550121")), Ok(a));
        // The preferred number is spam: the least used (then lowest number) instead.
        assert_eq!(pick_caller(&all, &n, Some("+14155550124")), Ok(b.clone()));
        assert_eq!(pick_caller(&all, &n, None), Ok(b));
        let err = pick_caller(&[spam], &n, None).expect_err("no caller");
        assert_eq!(err.unfit, vec![(CallerUnfit::Spam, 1)]);
        let text = err.to_string();
        assert!(
            text.contains("a Twilio number") && text.contains("1 marked spam"),
            "{text}"
        );
        let none = pick_caller(&[], &n, None).expect_err("no numbers");
        assert!(none.to_string().contains("has no phone number"), "{none}");
    }

    #[test]
    fn twiml_plays_the_audio_escaped() {
        assert_eq!(
            play_twiml("https://cdn.example/a.mp3?x=1&y=<2>"),
            "<Response><Play>https://cdn.example/a.mp3?x=1&amp;y=&lt;2&gt;</Play></Response>"
        );
        assert_eq!(
            play_twiml(" https://a/\"q\"'s\u{7}.mp3 "),
            "<Response><Play>https://a/&quot;q&quot;&apos;s.mp3</Play></Response>"
        );
    }

    #[test]
    fn kinds_and_names() {
        let mut row = TestTargetRow {
            table: StatusTable::VoiceBroadcasts,
            id: Uuid::from_u128(5),
            name: "Spring promo".into(),
            status: "active".into(),
            user_id: Uuid::from_u128(1),
            organization_id: None,
            in_scope: true,
            ivr_mode: Some("dtmf".into()),
            audio_url: Some("https://a/b.mp3".into()),
            caller_id: None,
            agent_id: None,
        };
        assert_eq!(row.kind(), TestKind::Audio);
        assert_eq!(row.kind().provider(), TestProvider::Twilio);
        assert_eq!(row.kind().source(), CallSource::BroadcastQueue);
        row.ivr_mode = Some("ai_conversational".into());
        assert_eq!(row.kind(), TestKind::AiBroadcast);
        assert_eq!(row.kind().source(), CallSource::CallLogs);
        row.table = StatusTable::Campaigns;
        assert_eq!(row.kind(), TestKind::Campaign);
        assert_eq!(
            test_broadcast_name("Spring promo"),
            "launchdeck test — Spring promo"
        );
        let note = call_log_note(&row, Uuid::from_u128(7), Uuid::from_u128(8));
        assert!(
            note.starts_with("launchdeck test call for campaign \"Spring promo\""),
            "{note}"
        );
        assert_eq!(masked("+14155550101"), "••••0101");
    }

    #[test]
    fn final_statuses_table() {
        let cases = [
            ("ended", Some("user_hangup"), 45, "completed"),
            ("ended", Some("user_hangup"), 9, "no_answer"),
            ("ended", Some("voicemail_reached"), 30, "voicemail"),
            ("not_connected", Some("dial_busy"), 0, "busy"),
            ("not_connected", Some("dial_no_answer"), 0, "no_answer"),
            ("not_connected", Some("dial_failed"), 0, "failed"),
            ("error", Some("error_retell"), 0, "failed"),
            ("error", None, 0, "failed"),
        ];
        for (status, reason, secs, want) in cases {
            assert_eq!(
                retell_final_status(status, reason, secs),
                want,
                "{status} {reason:?}"
            );
        }
        for (status, want) in [
            ("completed", "completed"),
            ("busy", "busy"),
            ("no-answer", "no_answer"),
            ("failed", "failed"),
            ("canceled", "failed"),
        ] {
            assert_eq!(twilio_final_status(status), want);
        }
    }
}
