//! One pure function per area, `check_<area>(&Snapshot) -> Vec<Check>`, and
//! [`run_all`]. `[B]` marks a blocking check. Check ids (subjects after the colon):
//!
//! - Environment: `environment.secret:<section.key>` ([B] for the database URL, Retell
//!   and Twilio).
//! - Database: `database.reachable` [B], `database.pooler`, `database.schema` [B],
//!   `database.safety_functions`.
//! - Retell: `retell.api_key` [B], `retell.agents` [B], `retell.campaign_agents` [B],
//!   `retell.numbers`, `retell.db_numbers_at_retell`,
//!   `retell.number_outbound_agent:<E164>` [B] (bare id when it could not be checked),
//!   `retell.number_termination_uri:<E164>`, `retell.concurrency`,
//!   `retell.max_concurrent_setting`.
//! - Twilio & SIP: `twilio.account` [B], `twilio.numbers_in_account`,
//!   `twilio.sip_trunk_configured`, `twilio.trunk:<config id>`,
//!   `twilio.trunk_termination:<config id>`, `twilio.trunk_numbers:<config id>`,
//!   `twilio.trunk_origination:<config id>`, `twilio.telnyx_numbers`.
//! - Numbers: `numbers.usable` [B], `numbers.daily_cap`, `numbers.audio_capable` [B],
//!   `numbers.campaign_retell` [B].
//! - Broadcasts (per broadcast id): `broadcast.found` [B] (only for a missing focus),
//!   `broadcast.content` [B], `broadcast.audio` [B], `broadcast.pending` [B],
//!   `broadcast.calling_hours`, `broadcast.dtmf_transfer`, `broadcast.dtmf_callback`,
//!   `broadcast.max_attempts`, `broadcast.pace`, `broadcast.stuck`,
//!   `broadcast.failure_rate`, `broadcast.alerts`.
//! - Campaigns (per campaign id): `campaign.found` [B] (only for a missing focus),
//!   `campaign.agent` [B], `campaign.agent_number` [B], `campaign.leads` [B],
//!   `campaign.webhook`, `campaign.contact_release` ([B] unless draft),
//!   `campaign.budget` [B].
//! - Calendar: `calendar.token:<integration id>`, `calendar.access:<integration id>`,
//!   `calendar.availability:<row id>`.
//! - ElevenLabs: `elevenlabs.key`, `elevenlabs.subscription`, `elevenlabs.quota`.
//! - Safety: `safety.contact_stops` (none active) or `safety.contact_stop:<stop id>`
//!   ([B] when it applies to what is being launched), `safety.provider_health`,
//!   `safety.reconciliation`.
//!
//! An area whose data comes from an unreachable database reports one unknown
//! `<prefix>.database` check instead of its usual ones.

pub mod availability;
pub mod broadcasts;
pub mod calendar;
pub mod campaigns;
pub mod database;
pub mod elevenlabs;
pub mod environment;
pub mod numbers;
pub mod retell;
pub mod safety;
pub mod twilio;

#[cfg(test)]
pub(crate) mod fixture;

use chrono::NaiveDate;
use uuid::Uuid;

pub use availability::{WeeklySchedule, parse_weekly_schedule, validate_availability};
pub use broadcasts::check_broadcasts;
pub use calendar::check_calendar;
pub use campaigns::check_campaigns;
pub use database::check_database;
pub use elevenlabs::check_elevenlabs;
pub use environment::check_environment;
pub use numbers::check_numbers;
pub use retell::check_retell;
pub use safety::check_safety;
pub use twilio::check_twilio;

use super::snapshot::{DatabaseFacts, FailureKind, Focus, Observed, Snapshot};
use super::{Area, Check, Report, Status};
use crate::domain::{Broadcast, Campaign, PhoneNumber};
use crate::redact::sanitize_provider_text;

/// Runs every area's rules, in display order.
pub fn run_all(snap: &Snapshot) -> Report {
    let areas: [fn(&Snapshot) -> Vec<Check>; 10] = [
        check_environment,
        check_database,
        check_retell,
        check_twilio,
        check_numbers,
        check_broadcasts,
        check_campaigns,
        check_calendar,
        check_elevenlabs,
        check_safety,
    ];
    Report::new(areas.iter().flat_map(|rule| rule(snap)).collect())
}

/// A provider (or other source) as the rules name it in reasons and fixes.
pub(crate) struct Source {
    pub name: &'static str,
    /// How to fix a rejected or missing credential.
    pub credential_fix: &'static str,
}

pub(crate) const RETELL: Source = Source {
    name: "Retell",
    credential_fix: "export RETELL_AI_API_KEY=… with a valid key (Retell dashboard → API Keys), or set [retell] api_key",
};
pub(crate) const TWILIO: Source = Source {
    name: "Twilio",
    credential_fix: "export TWILIO_ACCOUNT_SID=AC… and TWILIO_AUTH_TOKEN=… from the Twilio console, or set them under [twilio]",
};
pub(crate) const ELEVENLABS: Source = Source {
    name: "ElevenLabs",
    credential_fix: "export ELEVENLABS_API_KEY=… with a valid key, or set [elevenlabs] api_key",
};
pub(crate) const GOOGLE: Source = Source {
    name: "Google",
    credential_fix: "press t to refresh the token; if that fails, reconnect the calendar in the platform",
};
pub(crate) const DATABASE: Source = Source {
    name: "the database",
    credential_fix: "check the database URL and the role's grants (`launchdeck config check`)",
};
pub(crate) const AUDIO_HOST: Source = Source {
    name: "the audio host",
    credential_fix: "make the audio URL publicly readable (a 401/403 means the file is private)",
};

/// Why an observed value is not there, ready to become a check.
pub(crate) struct Unavailable {
    pub status: Status,
    pub reason: String,
    pub fix: Option<String>,
}

impl Unavailable {
    pub fn into_check(self, snap: &Snapshot, area: Area, id: impl Into<String>) -> Check {
        let check = Check::new(area, id, self.status, self.reason, snap.now);
        match self.fix {
            Some(fix) => check.with_fix(fix),
            None => check,
        }
    }
}

/// The answer, or what the failure to get it means for a check (providers.md
/// "Outcome → check status": 401/403 fail; 429, 5xx, timeout, breaker → unknown).
pub(crate) fn answer<'a, T>(obs: &'a Observed<T>, source: &Source) -> Result<&'a T, Unavailable> {
    match obs {
        Observed::Ok(value) => Ok(value),
        Observed::Failed { kind, message } => Err(failure(*kind, message, source)),
        Observed::NotConfigured => Err(Unavailable {
            status: Status::Unknown,
            reason: format!("not checked: {} is not configured", source.name),
            fix: Some(source.credential_fix.to_string()),
        }),
        Observed::NotApplicable(why) => Err(Unavailable {
            status: Status::Unknown,
            reason: format!("not applicable: {}", clean(why)),
            fix: None,
        }),
    }
}

fn failure(kind: FailureKind, message: &str, source: &Source) -> Unavailable {
    let detail = if message.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", clean(message))
    };
    if kind.is_rejection() {
        return Unavailable {
            status: Status::Fail,
            reason: format!("{} {}{detail}", source.name, kind.describe()),
            fix: Some(source.credential_fix.to_string()),
        };
    }
    let fix = match kind {
        FailureKind::BreakerOpen => {
            "wait for the circuit breaker to close (30 s), then press R".to_string()
        }
        FailureKind::RateLimited => "wait a minute, then press R to re-run the checks".to_string(),
        _ => format!(
            "check that {} is reachable from this host, then press R",
            source.name
        ),
    };
    Unavailable {
        status: Status::Unknown,
        reason: format!(
            "{} could not be checked: {}{detail}",
            source.name,
            kind.describe()
        ),
        fix: Some(fix),
    }
}

/// The database facts, when the database answered.
pub(crate) fn database(snap: &Snapshot) -> Option<&DatabaseFacts> {
    snap.database.ok()
}

/// The check reported in place of one (or of a whole area's, with id
/// `<prefix>.database`) when the database could not be read.
pub(crate) fn no_database(snap: &Snapshot, area: Area, id: &str, blocking: bool) -> Check {
    Check::new(
        area,
        id,
        Status::Unknown,
        "not checked: the database could not be read",
        snap.now,
    )
    .blocking(blocking)
    .with_fix("fix the database connection first (see database.reachable), then press R")
}

/// Untrusted text (names from the database, provider messages) made safe for a line.
pub(crate) fn clean(text: &str) -> String {
    sanitize_provider_text(text)
}

/// `1 agent`, `3 agents`.
pub(crate) fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `a, b, c and 2 more`.
pub(crate) fn preview(items: &[String], max: usize) -> String {
    if items.len() <= max {
        return items.join(", ");
    }
    format!("{} and {} more", items[..max].join(", "), items.len() - max)
}

/// The same phone number, compared by digits (E.164 with or without formatting).
pub(crate) fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    !a.is_empty() && a == b
}

/// A non-blank optional text.
pub(crate) fn present(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// Short form of a uuid for reasons (`1b4e28ba`).
pub(crate) fn short_id(id: &Uuid) -> String {
    id.simple().to_string()[..8].to_string()
}

/// Active, not spam and not quarantined: a number the platform may dial from now.
/// A number is quarantined through its `quarantine_until` date (inclusive).
pub(crate) fn is_usable(number: &PhoneNumber, today: NaiveDate) -> bool {
    number.status == "active"
        && !number.is_spam
        && number.quarantine_until.is_none_or(|until| until < today)
}

/// The phone number's provider; a NULL provider is the column default, `twilio`.
pub(crate) fn number_provider(number: &PhoneNumber) -> &str {
    number.provider.as_deref().unwrap_or("twilio")
}

/// The broadcasts the Broadcasts area checks: all of them, or the focused one.
pub(crate) fn broadcasts_in_focus<'a>(
    snap: &Snapshot,
    db: &'a DatabaseFacts,
) -> Vec<&'a Broadcast> {
    match snap.focus {
        Focus::All => db.broadcasts.iter().collect(),
        Focus::Broadcast(id) => db.broadcasts.iter().filter(|b| b.id == id).collect(),
        Focus::Campaign(_) => Vec::new(),
    }
}

/// The campaigns the Campaigns area checks: drafts and active ones, or the focused one.
pub(crate) fn campaigns_in_focus<'a>(snap: &Snapshot, db: &'a DatabaseFacts) -> Vec<&'a Campaign> {
    match snap.focus {
        Focus::All => db
            .campaigns
            .iter()
            .filter(|c| matches!(c.status.as_str(), "draft" | "active"))
            .collect(),
        Focus::Campaign(id) => db.campaigns.iter().filter(|c| c.id == id).collect(),
        Focus::Broadcast(_) => Vec::new(),
    }
}

/// Audio broadcasts play a recording; `ai_conversational` ones talk through an agent.
pub(crate) fn is_audio_broadcast(broadcast: &Broadcast) -> bool {
    broadcast.ivr_mode.as_deref() != Some("ai_conversational")
}

/// Worst status of a set (fail > unknown > warn > pass).
pub(crate) fn worst(statuses: impl IntoIterator<Item = Status>) -> Status {
    let rank = |s: Status| match s {
        Status::Pass => 0,
        Status::Warn => 1,
        Status::Unknown => 2,
        Status::Fail => 3,
    };
    statuses
        .into_iter()
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_digits() {
        assert!(same_number("+14155550123", "+1 (415) 555-0123"));
        assert!(!same_number("+14155550123", "+14155550124"));
        assert!(!same_number("", ""));
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1usize, "agent"), "1 agent");
        assert_eq!(count(0i64, "agent"), "0 agents");
        assert_eq!(count(3usize, "row"), "3 rows");
    }

    #[test]
    fn preview_cuts_long_lists() {
        let items: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        assert_eq!(preview(&items, 4), "a, b, c, d");
        assert_eq!(preview(&items, 2), "a, b and 2 more");
    }

    #[test]
    fn failures_map_to_statuses() {
        let cases = [
            (FailureKind::Unauthorized, Status::Fail),
            (FailureKind::Forbidden, Status::Fail),
            (FailureKind::RateLimited, Status::Unknown),
            (FailureKind::Unavailable, Status::Unknown),
            (FailureKind::Timeout, Status::Unknown),
            (FailureKind::BreakerOpen, Status::Unknown),
            (FailureKind::Other, Status::Unknown),
        ];
        for (kind, want) in cases {
            let obs: Observed<()> = Observed::failed(kind, "boom");
            let got = answer(&obs, &RETELL).err().map(|u| u.status);
            assert_eq!(got, Some(want), "{kind:?}");
        }
    }
}
