//! The vocabulary of operator actions shared by the store (conditional writes, the
//! audit trail) and the action logic in launchdeck-ops: which row an action targets,
//! the row as it was previewed, what a conditional write did, and one audit record.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A platform table whose `status` column an action changes (pause / resume / stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusTable {
    VoiceBroadcasts,
    Campaigns,
}

impl StatusTable {
    /// The table's name in the platform's schema.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusTable::VoiceBroadcasts => "voice_broadcasts",
            StatusTable::Campaigns => "campaigns",
        }
    }

    /// What an operator calls a row of it: "broadcast" or "campaign".
    pub fn noun(self) -> &'static str {
        match self {
            StatusTable::VoiceBroadcasts => "broadcast",
            StatusTable::Campaigns => "campaign",
        }
    }
}

/// One broadcast or campaign named on the command line or picked in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusTarget {
    pub table: StatusTable,
    pub id: Uuid,
}

impl StatusTarget {
    pub fn broadcast(id: Uuid) -> Self {
        StatusTarget {
            table: StatusTable::VoiceBroadcasts,
            id,
        }
    }

    pub fn campaign(id: Uuid) -> Self {
        StatusTarget {
            table: StatusTable::Campaigns,
            id,
        }
    }
}

impl fmt::Display for StatusTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.table.noun(), self.id)
    }
}

/// A broadcast or campaign row as an action sees it: enough to preview a status change
/// and to make the write conditional on what was previewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusRow {
    pub target: StatusTarget,
    pub name: String,
    pub status: String,
    /// `voice_broadcasts.updated_at` is nullable; `campaigns.updated_at` is not.
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether the row belongs to the `--user` / `--org` scope it was read with.
    pub in_scope: bool,
}

/// A status change conditional on the previewed state: it applies only while the row
/// still has `expected_status`. Not on `updated_at`: the platform bumps a live
/// broadcast's counters (and so its `updated_at`) on every dial, so that condition would
/// skip nearly every pause of a running broadcast; the status is what was previewed.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub target: StatusTarget,
    pub expected_status: String,
    pub new_status: String,
}

impl StatusChange {
    /// The change from `row` as previewed to `new_status`.
    pub fn from_preview(row: &StatusRow, new_status: &str) -> Self {
        StatusChange {
            target: row.target,
            expected_status: row.status.clone(),
            new_status: new_status.to_string(),
        }
    }
}

/// What a conditional write did, with the row as it is after the transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    Changed {
        now: StatusRow,
    },
    /// The row moved on since the preview (or is gone: `now` is `None`); nothing was
    /// written.
    Skipped {
        now: Option<StatusRow>,
    },
}

/// How one row of an action ended: stored and shown as `changed`,
/// `skipped: <why>` or `failed: <why>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum AuditResult {
    Changed,
    Skipped(String),
    Failed(String),
}

impl fmt::Display for AuditResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditResult::Changed => f.write_str("changed"),
            AuditResult::Skipped(why) => write!(f, "skipped: {why}"),
            AuditResult::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl From<AuditResult> for String {
    fn from(result: AuditResult) -> String {
        result.to_string()
    }
}

impl TryFrom<String> for AuditResult {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text == "changed" {
            return Ok(AuditResult::Changed);
        }
        if let Some(why) = text.strip_prefix("skipped: ") {
            return Ok(AuditResult::Skipped(why.to_string()));
        }
        if let Some(why) = text.strip_prefix("failed: ") {
            return Ok(AuditResult::Failed(why.to_string()));
        }
        Err(format!(
            "audit result {text:?} is not `changed`, `skipped: …` or `failed: …`"
        ))
    }
}

/// The row an audit record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTarget {
    /// The platform table, e.g. `voice_broadcasts`.
    pub table: String,
    pub id: Uuid,
    /// The row's display name (a broadcast's or campaign's name).
    pub name: String,
}

/// One audit record: who did what to which row, when, and how it ended (product.md
/// Decision 9). `before` / `after` hold the changed columns; lead phone numbers in
/// them are masked by whoever builds the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// OS user and host: `user@host`.
    pub actor: String,
    /// The action's name, e.g. `pause`.
    pub action: String,
    pub target: AuditTarget,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub result: AuditResult,
    pub launchdeck_version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_through_their_text() {
        for result in [
            AuditResult::Changed,
            AuditResult::Skipped("the row moved on".into()),
            AuditResult::Failed("database unreachable: refused".into()),
        ] {
            let text = result.to_string();
            assert_eq!(AuditResult::try_from(text), Ok(result));
        }
        assert!(AuditResult::try_from("done".to_string()).is_err());
    }

    #[test]
    fn a_record_serialises_its_result_as_text() {
        let record = AuditRecord {
            id: Uuid::nil(),
            at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            actor: "ops@host".into(),
            action: "pause".into(),
            target: AuditTarget {
                table: "campaigns".into(),
                id: Uuid::nil(),
                name: "Spring".into(),
            },
            before: Some(serde_json::json!({"status": "active"})),
            after: Some(serde_json::json!({"status": "paused"})),
            result: AuditResult::Skipped("already paused".into()),
            launchdeck_version: "0.1.0".into(),
        };
        let json = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(json["result"], "skipped: already paused");
        let back: AuditRecord = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, record);
    }
}
