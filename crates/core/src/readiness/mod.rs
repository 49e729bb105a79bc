//! The readiness engine: pure rules over a [`Snapshot`] that answer "is everything
//! ready?" (product.md "Readiness checks").
//!
//! Each check has a stable id `<prefix>.<name>` or `<prefix>.<name>:<subject>` where the
//! subject is the thing checked (an E.164 number, a broadcast/campaign/row uuid, a
//! config `section.key`). Prefixes: `environment`, `database`, `retell`, `twilio`,
//! `numbers`, `broadcast`, `campaign`, `calendar`, `elevenlabs`, `safety`. The full
//! list is in [`rules`]' module docs.
//!
//! Ready = every blocking check passes; a blocking check that is `unknown` (or `fail`) is
//! not ready; a blocking check that only warns is ready (warnings never block).

pub mod rules;
pub mod snapshot;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use rules::run_all;
pub use snapshot::*;

/// The JSON schema version of `check --json` (Decision 8).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The check could not run (provider down, function missing, …).
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ten readiness areas, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Area {
    #[serde(rename = "environment")]
    Environment,
    #[serde(rename = "database")]
    Database,
    #[serde(rename = "retell")]
    Retell,
    #[serde(rename = "twilio_sip")]
    TwilioSip,
    #[serde(rename = "numbers")]
    Numbers,
    #[serde(rename = "broadcasts")]
    Broadcasts,
    #[serde(rename = "campaigns")]
    Campaigns,
    #[serde(rename = "calendar")]
    Calendar,
    #[serde(rename = "elevenlabs")]
    ElevenLabs,
    #[serde(rename = "safety")]
    Safety,
}

impl Area {
    pub const ALL: [Area; 10] = [
        Area::Environment,
        Area::Database,
        Area::Retell,
        Area::TwilioSip,
        Area::Numbers,
        Area::Broadcasts,
        Area::Campaigns,
        Area::Calendar,
        Area::ElevenLabs,
        Area::Safety,
    ];

    /// Stable snake_case id, as in `--json`.
    pub fn id(self) -> &'static str {
        match self {
            Area::Environment => "environment",
            Area::Database => "database",
            Area::Retell => "retell",
            Area::TwilioSip => "twilio_sip",
            Area::Numbers => "numbers",
            Area::Broadcasts => "broadcasts",
            Area::Campaigns => "campaigns",
            Area::Calendar => "calendar",
            Area::ElevenLabs => "elevenlabs",
            Area::Safety => "safety",
        }
    }

    /// The name shown to the operator.
    pub fn display_name(self) -> &'static str {
        match self {
            Area::Environment => "Environment",
            Area::Database => "Database",
            Area::Retell => "Retell",
            Area::TwilioSip => "Twilio & SIP",
            Area::Numbers => "Numbers",
            Area::Broadcasts => "Broadcasts",
            Area::Campaigns => "Campaigns",
            Area::Calendar => "Calendar",
            Area::ElevenLabs => "ElevenLabs",
            Area::Safety => "Safety",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A fix the console can run itself (the `F`, `t` and `c` keys), when a check offers one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixAction {
    /// Set the Retell number's `outbound_agents` to this agent (its inbound agent), or
    /// ask the operator to choose one when `agent_id` is `None`.
    AssignOutboundAgent {
        phone_number: String,
        agent_id: Option<String>,
    },
    RefreshCalendarTokens,
    CleanupStuckCalls,
    /// Lift a stop row launchdeck wrote.
    LiftStop {
        stop_id: uuid::Uuid,
    },
}

/// One readiness check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub area: Area,
    pub status: Status,
    pub blocking: bool,
    /// One line naming the thing checked and what was found.
    pub reason: String,
    /// What to press or run; `None` when there is nothing to fix.
    pub fix: Option<String>,
    pub checked_at: DateTime<Utc>,
    /// The thing checked, for display (number, broadcast name, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A fix the console can run; not part of the JSON output.
    #[serde(skip)]
    pub action: Option<FixAction>,
}

impl Check {
    /// A non-blocking check with no fix; chain the setters for the rest.
    pub fn new(
        area: Area,
        id: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
        checked_at: DateTime<Utc>,
    ) -> Self {
        Check {
            id: id.into(),
            area,
            status,
            blocking: false,
            reason: reason.into(),
            fix: None,
            checked_at,
            subject: None,
            action: None,
        }
    }

    pub fn blocking(mut self, blocking: bool) -> Self {
        self.blocking = blocking;
        self
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn with_action(mut self, action: FixAction) -> Self {
        self.action = Some(action);
        self
    }

    /// True when this check stops a launch: blocking and not passed or merely warned.
    pub fn blocks_launch(&self) -> bool {
        self.blocking && matches!(self.status, Status::Fail | Status::Unknown)
    }
}

/// Counts of checks per status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub unknown: usize,
}

impl Summary {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Warn => self.warn += 1,
            Status::Fail => self.fail += 1,
            Status::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.warn + self.fail + self.unknown
    }
}

/// Every check of one run, in area order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn new(checks: Vec<Check>) -> Self {
        Report { checks }
    }

    /// Every blocking check passes (or only warns).
    pub fn ready(&self) -> bool {
        !self.checks.iter().any(Check::blocks_launch)
    }

    pub fn summary(&self) -> Summary {
        summarize(self.checks.iter())
    }

    pub fn area_summary(&self, area: Area) -> Summary {
        summarize(self.in_area(area))
    }

    pub fn in_area(&self, area: Area) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.area == area)
    }

    /// The checks that stop a launch.
    pub fn blockers(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.blocks_launch())
    }

    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// True when any check is not a pass (for `check --strict`).
    pub fn has_issues(&self) -> bool {
        self.checks.iter().any(|c| c.status != Status::Pass)
    }
}

fn summarize<'a>(checks: impl Iterator<Item = &'a Check>) -> Summary {
    let mut summary = Summary::default();
    for check in checks {
        summary.add(check.status);
    }
    summary
}

/// `check --json`: `{"schema_version":1,"ready","checks":[…],"summary":{…}}`.
impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ReportJson<'a> {
            schema_version: u32,
            ready: bool,
            checks: &'a [Check],
            summary: Summary,
        }
        ReportJson {
            schema_version: SCHEMA_VERSION,
            ready: self.ready(),
            checks: &self.checks,
            summary: self.summary(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests;
