//! Readiness inputs and small tables: one scoped SELECT each.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use launchdeck_core::domain::{
    Alert, Broadcast, CalendarAvailability, CalendarIntegration, Campaign, PhoneNumber,
    RetellAgentRow, Scope, SipTrunk, StopControl,
};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use super::PgStore;
use crate::scope::{ScopeSql, fill};

const ALERTS_SQL: &str = "
SELECT a.id, a.user_id, a.alert_type, a.severity, a.title, a.message, a.related_id,
       a.related_type, a.created_at
  FROM system_alerts a
 WHERE NOT a.acknowledged{scope}
 ORDER BY a.created_at DESC, a.id DESC
 LIMIT $3";

const PHONE_NUMBERS_SQL: &str = "
SELECT p.id, p.user_id, p.organization_id, p.number, p.status, p.quarantine_until,
       p.is_spam, p.daily_calls, p.max_daily_calls, p.provider, p.purpose,
       p.retell_phone_id, p.twilio_sid, p.sip_trunk_config_id, p.call_direction,
       p.friendly_name
  FROM phone_numbers p
 WHERE true{scope}
 ORDER BY p.number";

const SIP_TRUNKS_SQL: &str = "
SELECT t.id, t.user_id, t.name, t.provider_type, coalesce(t.is_active, false) AS is_active,
       coalesce(t.is_default, false) AS is_default, t.twilio_trunk_sid,
       t.twilio_termination_uri, t.telnyx_connection_id
  FROM sip_trunk_configs t
 WHERE true{scope}
 ORDER BY t.name, t.id";

const RETELL_AGENTS_SQL: &str = "
SELECT r.id, r.user_id, r.organization_id, r.retell_agent_id, r.agent_name, r.webhook_url,
       r.status
  FROM retell_agents r
 WHERE true{scope}
 ORDER BY r.agent_name, r.id";

// The token columns are never selected: only whether they hold something.
const CALENDAR_INTEGRATIONS_SQL: &str = "
SELECT ci.id, ci.user_id, ci.provider, ci.provider_account_email, ci.calendar_id,
       coalesce(ci.access_token_encrypted <> '', false) AS has_access_token,
       coalesce(ci.refresh_token_encrypted <> '', false) AS has_refresh_token,
       ci.token_expires_at, coalesce(ci.sync_enabled, false) AS sync_enabled,
       coalesce(ci.sync_errors, '[]'::jsonb) AS sync_errors
  FROM calendar_integrations ci
 WHERE true{scope}
 ORDER BY ci.user_id, ci.provider, ci.id";

const CALENDAR_AVAILABILITY_SQL: &str = "
SELECT ca.id, ca.user_id, ca.timezone, ca.weekly_schedule
  FROM calendar_availability ca
 WHERE true{scope}
 ORDER BY ca.user_id";

const BROADCASTS_SQL: &str = "
SELECT vb.id, vb.user_id, vb.name, vb.status, vb.message_text, vb.audio_url,
       coalesce(vb.ivr_enabled, false) AS ivr_enabled, vb.ivr_mode, vb.dtmf_actions,
       vb.max_attempts, vb.calling_hours_start, vb.calling_hours_end, vb.timezone,
       coalesce(vb.bypass_calling_hours, false) AS bypass_calling_hours, vb.calls_per_minute,
       vb.caller_id, coalesce(vb.use_sip_trunk, false) AS use_sip_trunk,
       vb.broadcast_provider, vb.voice_id
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY vb.name, vb.id";

// NULL pacing columns read as the platform's column defaults (schema.md §3).
const CAMPAIGNS_SQL: &str = "
SELECT c.id, c.user_id, c.organization_id, c.name, c.status, c.agent_id, c.provider,
       coalesce(c.calls_per_minute, 5) AS calls_per_minute,
       coalesce(c.max_attempts, 3) AS max_attempts, c.calling_hours_start,
       c.calling_hours_end, c.timezone,
       (SELECT count(*) FROM campaign_leads l WHERE l.campaign_id = c.id) AS lead_count
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const ACTIVE_STOPS_SQL: &str = "
SELECT s.id, s.scope_type, s.organization_id, s.user_id, s.campaign_id, s.provider,
       s.channel, s.reason, s.activated_at, s.expires_at,
       coalesce(s.metadata ->> 'source' = 'launchdeck', false) AS created_by_launchdeck
  FROM contact_stop_controls s
 WHERE s.active AND (s.expires_at IS NULL OR s.expires_at > now()){scope}
 ORDER BY s.activated_at DESC, s.id";

#[derive(FromRow)]
struct AlertRow {
    id: Uuid,
    user_id: Uuid,
    alert_type: String,
    severity: String,
    title: Option<String>,
    message: String,
    related_id: Option<String>,
    related_type: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct PhoneRow {
    id: Uuid,
    user_id: Uuid,
    organization_id: Uuid,
    number: String,
    status: String,
    quarantine_until: Option<NaiveDate>,
    is_spam: bool,
    daily_calls: i32,
    max_daily_calls: Option<i32>,
    provider: Option<String>,
    purpose: Option<String>,
    retell_phone_id: Option<String>,
    twilio_sid: Option<String>,
    sip_trunk_config_id: Option<Uuid>,
    call_direction: String,
    friendly_name: Option<String>,
}

#[derive(FromRow)]
struct TrunkRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    provider_type: String,
    is_active: bool,
    is_default: bool,
    twilio_trunk_sid: Option<String>,
    twilio_termination_uri: Option<String>,
    telnyx_connection_id: Option<String>,
}

#[derive(FromRow)]
struct AgentRow {
    id: Uuid,
    user_id: Uuid,
    organization_id: Uuid,
    retell_agent_id: String,
    agent_name: String,
    webhook_url: Option<String>,
    status: Option<String>,
}

#[derive(FromRow)]
struct IntegrationRow {
    id: Uuid,
    user_id: Uuid,
    provider: String,
    provider_account_email: Option<String>,
    calendar_id: Option<String>,
    has_access_token: bool,
    has_refresh_token: bool,
    token_expires_at: Option<DateTime<Utc>>,
    sync_enabled: bool,
    sync_errors: Value,
}

#[derive(FromRow)]
struct AvailabilityRow {
    id: Uuid,
    user_id: Uuid,
    timezone: String,
    weekly_schedule: Value,
}

#[derive(FromRow)]
struct BroadcastRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    status: String,
    message_text: String,
    audio_url: Option<String>,
    ivr_enabled: bool,
    ivr_mode: Option<String>,
    dtmf_actions: Option<Value>,
    max_attempts: Option<i32>,
    calling_hours_start: Option<NaiveTime>,
    calling_hours_end: Option<NaiveTime>,
    timezone: Option<String>,
    bypass_calling_hours: bool,
    calls_per_minute: Option<i32>,
    caller_id: Option<String>,
    use_sip_trunk: bool,
    broadcast_provider: Option<String>,
    voice_id: Option<String>,
}

#[derive(FromRow)]
struct CampaignRow {
    id: Uuid,
    user_id: Uuid,
    organization_id: Uuid,
    name: String,
    status: String,
    agent_id: Option<String>,
    provider: String,
    calls_per_minute: i32,
    max_attempts: i32,
    calling_hours_start: Option<NaiveTime>,
    calling_hours_end: Option<NaiveTime>,
    timezone: Option<String>,
    lead_count: i64,
}

#[derive(FromRow)]
pub(super) struct StopRow {
    id: Uuid,
    scope_type: String,
    organization_id: Option<Uuid>,
    user_id: Option<Uuid>,
    campaign_id: Option<Uuid>,
    provider: Option<String>,
    channel: String,
    reason: String,
    activated_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    created_by_launchdeck: bool,
}

impl StopRow {
    pub(super) fn into_control(self) -> StopControl {
        StopControl {
            id: self.id,
            scope_type: self.scope_type,
            organization_id: self.organization_id,
            user_id: self.user_id,
            campaign_id: self.campaign_id,
            provider: self.provider,
            channel: self.channel,
            reason: self.reason,
            activated_at: self.activated_at,
            expires_at: self.expires_at,
            created_by_launchdeck: self.created_by_launchdeck,
        }
    }
}

impl PgStore {
    /// Runs one scoped SELECT (`$1` user, `$2` org, then `extra` if any) in a
    /// read-only transaction and maps its rows.
    async fn scoped_rows<R, T>(
        &self,
        template: &str,
        scope_sql: String,
        scope: &Scope,
        extra: Option<i64>,
        map: impl Fn(R) -> T,
    ) -> Result<Vec<T>, sqlx::Error>
    where
        R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let sql = fill(template, &[("scope", &scope_sql)]);
        let mut query = sqlx::query_as::<_, R>(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id);
        if let Some(value) = extra {
            query = query.bind(value);
        }
        let mut tx = self.begin().await?;
        let rows = query.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(map).collect())
    }

    pub(super) async fn query_alerts(
        &self,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<Alert>, sqlx::Error> {
        let s = ScopeSql::new(scope).per_user("a");
        self.scoped_rows(
            ALERTS_SQL,
            s,
            scope,
            Some(i64::from(limit)),
            |r: AlertRow| Alert {
                id: r.id,
                user_id: r.user_id,
                alert_type: r.alert_type,
                severity: r.severity,
                title: r.title,
                message: r.message,
                related_id: r.related_id,
                related_type: r.related_type,
                created_at: r.created_at,
            },
        )
        .await
    }

    pub(super) async fn query_phone_numbers(
        &self,
        scope: &Scope,
    ) -> Result<Vec<PhoneNumber>, sqlx::Error> {
        let s = ScopeSql::new(scope).core("p");
        self.scoped_rows(PHONE_NUMBERS_SQL, s, scope, None, |r: PhoneRow| {
            PhoneNumber {
                id: r.id,
                user_id: r.user_id,
                organization_id: r.organization_id,
                number: r.number,
                status: r.status,
                quarantine_until: r.quarantine_until,
                is_spam: r.is_spam,
                daily_calls: r.daily_calls,
                max_daily_calls: r.max_daily_calls,
                provider: r.provider,
                purpose: r.purpose,
                retell_phone_id: r.retell_phone_id,
                twilio_sid: r.twilio_sid,
                sip_trunk_config_id: r.sip_trunk_config_id,
                call_direction: r.call_direction,
                friendly_name: r.friendly_name,
            }
        })
        .await
    }

    pub(super) async fn query_sip_trunks(
        &self,
        scope: &Scope,
    ) -> Result<Vec<SipTrunk>, sqlx::Error> {
        let s = ScopeSql::new(scope).per_user("t");
        self.scoped_rows(SIP_TRUNKS_SQL, s, scope, None, |r: TrunkRow| SipTrunk {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            provider_type: r.provider_type,
            is_active: r.is_active,
            is_default: r.is_default,
            twilio_trunk_sid: r.twilio_trunk_sid,
            twilio_termination_uri: r.twilio_termination_uri,
            telnyx_connection_id: r.telnyx_connection_id,
        })
        .await
    }

    pub(super) async fn query_retell_agents(
        &self,
        scope: &Scope,
    ) -> Result<Vec<RetellAgentRow>, sqlx::Error> {
        let s = ScopeSql::new(scope).core("r");
        self.scoped_rows(RETELL_AGENTS_SQL, s, scope, None, |r: AgentRow| {
            RetellAgentRow {
                id: r.id,
                user_id: r.user_id,
                organization_id: r.organization_id,
                retell_agent_id: r.retell_agent_id,
                agent_name: r.agent_name,
                webhook_url: r.webhook_url,
                status: r.status,
            }
        })
        .await
    }

    pub(super) async fn query_calendar_integrations(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CalendarIntegration>, sqlx::Error> {
        let s = ScopeSql::new(scope).per_user("ci");
        self.scoped_rows(
            CALENDAR_INTEGRATIONS_SQL,
            s,
            scope,
            None,
            |r: IntegrationRow| CalendarIntegration {
                id: r.id,
                user_id: r.user_id,
                provider: r.provider,
                provider_account_email: r.provider_account_email,
                calendar_id: r.calendar_id,
                has_access_token: r.has_access_token,
                has_refresh_token: r.has_refresh_token,
                token_expires_at: r.token_expires_at,
                sync_enabled: r.sync_enabled,
                sync_errors: r.sync_errors,
            },
        )
        .await
    }

    pub(super) async fn query_calendar_availability(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CalendarAvailability>, sqlx::Error> {
        let s = ScopeSql::new(scope).per_user("ca");
        self.scoped_rows(
            CALENDAR_AVAILABILITY_SQL,
            s,
            scope,
            None,
            |r: AvailabilityRow| CalendarAvailability {
                id: r.id,
                user_id: r.user_id,
                timezone: r.timezone,
                weekly_schedule: r.weekly_schedule,
            },
        )
        .await
    }

    pub(super) async fn query_broadcasts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<Broadcast>, sqlx::Error> {
        let s = ScopeSql::new(scope).per_user("vb");
        self.scoped_rows(BROADCASTS_SQL, s, scope, None, |r: BroadcastRow| {
            Broadcast {
                id: r.id,
                user_id: r.user_id,
                name: r.name,
                status: r.status,
                message_text: r.message_text,
                audio_url: r.audio_url,
                ivr_enabled: r.ivr_enabled,
                ivr_mode: r.ivr_mode,
                dtmf_actions: r.dtmf_actions,
                max_attempts: r.max_attempts,
                calling_hours_start: r.calling_hours_start,
                calling_hours_end: r.calling_hours_end,
                timezone: r.timezone,
                bypass_calling_hours: r.bypass_calling_hours,
                calls_per_minute: r.calls_per_minute,
                caller_id: r.caller_id,
                use_sip_trunk: r.use_sip_trunk,
                broadcast_provider: r.broadcast_provider,
                voice_id: r.voice_id,
            }
        })
        .await
    }

    pub(super) async fn query_campaigns(
        &self,
        scope: &Scope,
    ) -> Result<Vec<Campaign>, sqlx::Error> {
        let s = ScopeSql::new(scope).core("c");
        self.scoped_rows(CAMPAIGNS_SQL, s, scope, None, |r: CampaignRow| Campaign {
            id: r.id,
            user_id: r.user_id,
            organization_id: r.organization_id,
            name: r.name,
            status: r.status,
            agent_id: r.agent_id,
            provider: r.provider,
            calls_per_minute: r.calls_per_minute,
            max_attempts: r.max_attempts,
            calling_hours_start: r.calling_hours_start,
            calling_hours_end: r.calling_hours_end,
            timezone: r.timezone,
            lead_count: r.lead_count,
        })
        .await
    }

    pub(super) async fn query_active_stops(
        &self,
        scope: &Scope,
    ) -> Result<Vec<StopControl>, sqlx::Error> {
        let s = ScopeSql::new(scope).stop("s");
        self.scoped_rows(ACTIVE_STOPS_SQL, s, scope, None, StopRow::into_control)
            .await
    }
}
