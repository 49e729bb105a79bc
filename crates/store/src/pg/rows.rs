//! Result rows as sqlx reads them, and their conversion to domain types.

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{CallLogEntry, CallSource, InFlightCall, OpenClaim};
use uuid::Uuid;

/// Source names exactly as the queries spell them.
pub(crate) fn call_source(name: &str) -> Option<CallSource> {
    match name {
        "broadcast_queue" => Some(CallSource::BroadcastQueue),
        "call_logs" => Some(CallSource::CallLogs),
        "dialing_queues" => Some(CallSource::DialingQueues),
        _ => None,
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct InFlightRow {
    pub source: String,
    pub id: Uuid,
    pub state: String,
    pub since: DateTime<Utc>,
    pub phone: String,
    pub provider_call_id: Option<String>,
    pub broadcast_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub redial_hold: bool,
}

impl InFlightRow {
    pub(crate) fn into_call(self) -> Option<InFlightCall> {
        Some(InFlightCall {
            source: call_source(&self.source)?,
            id: self.id,
            state: self.state,
            since: self.since,
            phone: self.phone,
            provider_call_id: self.provider_call_id,
            broadcast_id: self.broadcast_id,
            campaign_id: self.campaign_id,
            parent_name: self.parent_name,
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            redial_hold: self.redial_hold,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ClaimRow {
    pub id: Uuid,
    pub status: String,
    pub claimed_at: DateTime<Utc>,
    pub queue_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub destination_phone: Option<String>,
}

impl From<ClaimRow> for OpenClaim {
    fn from(r: ClaimRow) -> Self {
        OpenClaim {
            id: r.id,
            status: r.status,
            claimed_at: r.claimed_at,
            queue_id: r.queue_id,
            campaign_id: r.campaign_id,
            destination_phone: r.destination_phone,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct LogRow {
    pub source: String,
    pub id: Uuid,
    pub status: String,
    pub outcome: Option<String>,
    pub duration_seconds: Option<i32>,
    pub cost: Option<f64>,
    pub notes: Option<String>,
    pub phone: String,
    pub caller_id: Option<String>,
    pub provider: Option<String>,
    pub provider_call_id: Option<String>,
    pub broadcast_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub agent_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub call_summary: Option<String>,
    pub reconciliation_required: bool,
}

impl LogRow {
    pub(crate) fn into_entry(self) -> Option<CallLogEntry> {
        Some(CallLogEntry {
            source: call_source(&self.source)?,
            id: self.id,
            status: self.status,
            outcome: self.outcome,
            duration_seconds: self.duration_seconds,
            cost: self.cost,
            notes: self.notes,
            phone: self.phone,
            caller_id: self.caller_id,
            provider: self.provider,
            provider_call_id: self.provider_call_id,
            broadcast_id: self.broadcast_id,
            campaign_id: self.campaign_id,
            parent_name: self.parent_name,
            agent_id: self.agent_id,
            created_at: self.created_at,
            answered_at: self.answered_at,
            ended_at: self.ended_at,
            updated_at: self.updated_at,
            call_summary: self.call_summary,
            reconciliation_required: self.reconciliation_required,
        })
    }
}
