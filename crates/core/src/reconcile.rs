//! Provider reconciliation (issue #12): the database's calls in flight that carry a
//! provider call id, set against what the providers say.
//!
//! - **ghost**: the row is in flight, the provider says the call ended (Retell
//!   `ended`/`not_connected`/`error`; Twilio `completed`/`busy`/`no-answer`/`failed`/
//!   `canceled`) or has no such call;
//! - **orphan**: Retell lists an outbound call as ongoing and no row knows its id (nor
//!   its `metadata.launchdeck_request_id`);
//! - **impossible age**: the row is in flight longer than the longest call can last,
//!   and the provider does not say it ended;
//! - **agreeing**: the provider says the call is live and the row is young enough;
//! - **unchecked**: the provider could not be asked, or answered a status no rule knows.
//!
//! Pure: the store reads and the provider requests are `launchdeck-ops`'s.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::cleanup::ProviderAnswer;
use crate::domain::{CallProvider, CallSource, InFlightCall};
use crate::stuck;

/// A call Retell lists as ongoing.
#[derive(Debug, Clone, PartialEq)]
pub struct OngoingCall {
    pub provider_call_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub agent_id: Option<String>,
    /// `metadata.launchdeck_request_id`, when the call carries one.
    pub request_id: Option<String>,
    /// An inbound call: no row dialled it, so it is never an orphan.
    pub inbound: bool,
}

/// What the providers said.
#[derive(Debug, Clone, Default)]
pub struct ProviderTruth {
    /// Retell's ongoing calls (list-calls filtered to `ongoing`).
    pub ongoing: Vec<OngoingCall>,
    /// The answer for each in-flight row's call id that is not in `ongoing`.
    pub answers: HashMap<String, ProviderAnswer>,
    /// Request ids the database knows: an ongoing call carrying one is not an orphan.
    pub known_request_ids: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ghost {
    pub source: CallSource,
    pub id: Uuid,
    pub provider_call_id: String,
    /// The provider's word, or `not_found` when it has no such call.
    pub provider_status: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// Lead numbers are kept whole here: every surface masks them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Orphan {
    pub provider_call_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub age_seconds: Option<u64>,
    pub agent_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpossibleAge {
    pub source: CallSource,
    pub id: Uuid,
    pub provider_call_id: String,
    pub age_seconds: u64,
    /// What the provider said, when it answered.
    pub provider_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unchecked {
    pub source: CallSource,
    pub id: Uuid,
    pub provider_call_id: String,
    pub why: String,
}

/// The classification of every row with a provider id and every ongoing call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Rows in flight carrying a Retell or Twilio call id.
    pub db_in_flight: usize,
    pub provider_ongoing: usize,
    pub ghosts: Vec<Ghost>,
    pub orphans: Vec<Orphan>,
    pub impossible_age: Vec<ImpossibleAge>,
    pub agreeing: usize,
    pub unchecked: Vec<Unchecked>,
}

impl Reconciliation {
    /// Nothing disagrees (unchecked rows are not a disagreement).
    pub fn all_agree(&self) -> bool {
        self.ghosts.is_empty() && self.orphans.is_empty() && self.impossible_age.is_empty()
    }
}

/// The provider a row's call id belongs to, when launchdeck asks that provider.
pub fn asked_provider(row: &InFlightCall) -> Option<(CallProvider, &str)> {
    let id = row.provider_call_id.as_deref()?.trim();
    if id.is_empty() {
        return None;
    }
    match CallProvider::of_row(None, id) {
        p @ (CallProvider::Retell | CallProvider::Twilio) => Some((p, id)),
        _ => None,
    }
}

/// How a provider's status word reads: live, ended, or not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Live,
    Ended,
    Unknown,
}

pub fn liveness(provider: &CallProvider, status: &str) -> Liveness {
    let status = status.trim();
    let (live, ended): (&[&str], &[&str]) = match provider {
        CallProvider::Retell => (
            &["registered", "ongoing"],
            &["ended", "not_connected", "error"],
        ),
        CallProvider::Twilio => (
            &["queued", "ringing", "in-progress"],
            &["completed", "busy", "no-answer", "failed", "canceled"],
        ),
        _ => (&[], &[]),
    };
    if live.contains(&status) {
        Liveness::Live
    } else if ended.contains(&status) {
        Liveness::Ended
    } else {
        Liveness::Unknown
    }
}

/// How far apart the database's and a provider's clocks may be, and how long a row may
/// take to follow its call: a call that ended, or started, less than this before the
/// rows were read (`db_now`) is taken as a race between the two reads — the row may have
/// moved since — and is neither a ghost nor an orphan.
pub const RACE_MARGIN: Duration = Duration::from_secs(5);

/// Classifies every row with a provider id, then every ongoing call no row knows.
/// A row exactly `max_call_duration` old is not impossible yet.
pub fn classify(
    rows: &[InFlightCall],
    truth: &ProviderTruth,
    db_now: DateTime<Utc>,
    max_call_duration: Duration,
) -> Reconciliation {
    let ongoing: HashMap<&str, &OngoingCall> = truth
        .ongoing
        .iter()
        .map(|call| (call.provider_call_id.as_str(), call))
        .collect();
    let mut out = Reconciliation {
        provider_ongoing: truth.ongoing.len(),
        ..Reconciliation::default()
    };
    for row in rows {
        let Some((provider, call_id)) = asked_provider(row) else {
            continue;
        };
        out.db_in_flight += 1;
        let answer = if ongoing.contains_key(call_id) {
            RowTruth::Live(Some("ongoing".to_string()))
        } else {
            row_truth(&provider, truth.answers.get(call_id), settled(db_now))
        };
        let age = stuck::age(row.since, db_now);
        place(&mut out, row, call_id, answer, age > max_call_duration, age);
    }
    out.orphans = orphans(rows, truth, db_now);
    out
}

/// What the provider's answer says about one row.
enum RowTruth {
    Live(Option<String>),
    Ended {
        status: String,
        ended_at: Option<DateTime<Utc>>,
        reason: Option<String>,
    },
    /// Ended after the rows were read (or too close to tell): live when read.
    EndedAfterRead,
    Unchecked(String),
}

/// What ended or started before this had done so before the rows were read.
fn settled(db_now: DateTime<Utc>) -> DateTime<Utc> {
    db_now - chrono::Duration::from_std(RACE_MARGIN).unwrap_or_default()
}

fn row_truth(
    provider: &CallProvider,
    answer: Option<&ProviderAnswer>,
    settled: DateTime<Utc>,
) -> RowTruth {
    let ghost = |status: &str, ended_at, reason| RowTruth::Ended {
        status: status.to_string(),
        ended_at,
        reason,
    };
    match answer {
        Some(ProviderAnswer::Record(record)) => match liveness(provider, &record.status) {
            Liveness::Live => RowTruth::Live(Some(record.status.clone())),
            Liveness::Ended if record.ended_at.is_some_and(|end| end > settled) => {
                RowTruth::EndedAfterRead
            }
            Liveness::Ended => ghost(&record.status, record.ended_at, record.reason.clone()),
            Liveness::Unknown => RowTruth::Unchecked(format!(
                "{} answered a status launchdeck does not know: {}",
                provider.name(),
                record.status
            )),
        },
        Some(ProviderAnswer::UnknownCall) => ghost("not_found", None, None),
        Some(ProviderAnswer::CouldNotAsk(why)) => RowTruth::Unchecked(why.clone()),
        Some(ProviderAnswer::NotAsked) | None => {
            RowTruth::Unchecked(format!("{} was not asked", provider.name()))
        }
    }
}

fn place(
    out: &mut Reconciliation,
    row: &InFlightCall,
    call_id: &str,
    answer: RowTruth,
    too_old: bool,
    age: Duration,
) {
    let impossible = |provider_status| ImpossibleAge {
        source: row.source,
        id: row.id,
        provider_call_id: call_id.to_string(),
        age_seconds: age.as_secs(),
        provider_status,
    };
    match answer {
        RowTruth::Ended {
            status,
            ended_at,
            reason,
        } => out.ghosts.push(Ghost {
            source: row.source,
            id: row.id,
            provider_call_id: call_id.to_string(),
            provider_status: status,
            ended_at,
            reason,
        }),
        RowTruth::Live(status) if too_old => out.impossible_age.push(impossible(status)),
        RowTruth::Live(_) | RowTruth::EndedAfterRead => out.agreeing += 1,
        RowTruth::Unchecked(_) if too_old => out.impossible_age.push(impossible(None)),
        RowTruth::Unchecked(why) => out.unchecked.push(Unchecked {
            source: row.source,
            id: row.id,
            provider_call_id: call_id.to_string(),
            why,
        }),
    }
}

fn orphans(rows: &[InFlightCall], truth: &ProviderTruth, db_now: DateTime<Utc>) -> Vec<Orphan> {
    let known: HashSet<&str> = rows
        .iter()
        .filter_map(|row| row.provider_call_id.as_deref())
        .map(str::trim)
        .collect();
    truth
        .ongoing
        .iter()
        .filter(|call| !call.inbound && !known.contains(call.provider_call_id.as_str()))
        .filter(|call| call.started_at.is_none_or(|start| start <= settled(db_now)))
        .filter(|call| {
            call.request_id
                .as_ref()
                .is_none_or(|id| !truth.known_request_ids.contains(id))
        })
        .map(|call| Orphan {
            provider_call_id: call.provider_call_id.clone(),
            from: call.from.clone(),
            to: call.to.clone(),
            age_seconds: call.started_at.map(|s| stuck::age(s, db_now).as_secs()),
            agent_id: call.agent_id.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
