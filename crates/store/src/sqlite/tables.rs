//! Readiness inputs and small tables: one scoped SELECT each, with the PostgreSQL
//! store's filters, defaults and order.

use launchdeck_core::domain::{
    Alert, Broadcast, CalendarAvailability, CalendarIntegration, Campaign, PhoneNumber,
    RetellAgentRow, Scope, SipTrunk, StopControl,
};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, now_micros, timestamp};
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
 WHERE 1{scope}
 ORDER BY p.number";

const SIP_TRUNKS_SQL: &str = "
SELECT t.id, t.user_id, t.name, t.provider_type, t.is_active, t.is_default,
       t.twilio_trunk_sid, t.twilio_termination_uri, t.telnyx_connection_id
  FROM sip_trunk_configs t
 WHERE 1{scope}
 ORDER BY t.name, t.id";

const RETELL_AGENTS_SQL: &str = "
SELECT r.id, r.user_id, r.organization_id, r.retell_agent_id, r.agent_name, r.webhook_url,
       r.status
  FROM retell_agents r
 WHERE 1{scope}
 ORDER BY r.agent_name, r.id";

// The token columns are never selected: only whether they hold something.
const CALENDAR_INTEGRATIONS_SQL: &str = "
SELECT ci.id, ci.user_id, ci.provider, ci.provider_account_email, ci.calendar_id,
       coalesce(ci.access_token_encrypted <> '', 0) AS has_access_token,
       coalesce(ci.refresh_token_encrypted <> '', 0) AS has_refresh_token,
       ci.token_expires_at, ci.sync_enabled,
       coalesce(json(ci.sync_errors), '[]') AS sync_errors
  FROM calendar_integrations ci
 WHERE 1{scope}
 ORDER BY ci.user_id, ci.provider, ci.id";

const CALENDAR_AVAILABILITY_SQL: &str = "
SELECT ca.id, ca.user_id, ca.timezone, json(ca.weekly_schedule) AS weekly_schedule
  FROM calendar_availability ca
 WHERE 1{scope}
 ORDER BY ca.user_id";

const BROADCASTS_SQL: &str = "
SELECT vb.id, vb.user_id, vb.name, vb.status, vb.message_text, vb.audio_url,
       vb.ivr_enabled, vb.ivr_mode, json(vb.dtmf_actions) AS dtmf_actions,
       vb.max_attempts, vb.calling_hours_start, vb.calling_hours_end, vb.timezone,
       vb.bypass_calling_hours, vb.calls_per_minute, vb.caller_id, vb.use_sip_trunk,
       vb.broadcast_provider, vb.voice_id
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY vb.name, vb.id";

const CAMPAIGNS_SQL: &str = "
SELECT c.id, c.user_id, c.organization_id, c.name, c.status, c.agent_id, c.provider,
       c.calls_per_minute, c.max_attempts, c.calling_hours_start, c.calling_hours_end,
       c.timezone,
       (SELECT count(*) FROM campaign_leads l WHERE l.campaign_id = c.id) AS lead_count
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const ACTIVE_STOPS_SQL: &str = "
SELECT s.id, s.scope_type, s.organization_id, s.user_id, s.campaign_id, s.provider,
       s.channel, s.reason, s.activated_at, s.expires_at,
       coalesce(json_extract(s.metadata, '$.source') = 'launchdeck', 0) AS created_by_launchdeck
  FROM contact_stop_controls s
 WHERE s.active AND (s.expires_at IS NULL OR s.expires_at > $3){scope}
 ORDER BY s.activated_at DESC, s.id";

fn alert(row: &SqliteRow) -> Result<Alert, QueryError> {
    let c = Cols::new(row, "system_alerts");
    Ok(Alert {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        alert_type: c.text("alert_type")?,
        severity: c.text("severity")?,
        title: c.opt_text("title")?,
        message: c.text("message")?,
        related_id: c.opt_text("related_id")?,
        related_type: c.opt_text("related_type")?,
        created_at: c.timestamp("created_at")?,
    })
}

fn phone_number(row: &SqliteRow) -> Result<PhoneNumber, QueryError> {
    let c = Cols::new(row, "phone_numbers");
    Ok(PhoneNumber {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        organization_id: c.uuid("organization_id")?,
        number: c.text("number")?,
        status: c.text("status")?,
        quarantine_until: c.opt_date("quarantine_until")?,
        is_spam: c.bool_or("is_spam", false)?,
        daily_calls: c.i32_or("daily_calls", 0)?,
        max_daily_calls: c.opt_i32("max_daily_calls")?,
        provider: c.opt_text("provider")?,
        purpose: c.opt_text("purpose")?,
        retell_phone_id: c.opt_text("retell_phone_id")?,
        twilio_sid: c.opt_text("twilio_sid")?,
        sip_trunk_config_id: c.opt_uuid("sip_trunk_config_id")?,
        call_direction: c.text("call_direction")?,
        friendly_name: c.opt_text("friendly_name")?,
    })
}

fn sip_trunk(row: &SqliteRow) -> Result<SipTrunk, QueryError> {
    let c = Cols::new(row, "sip_trunk_configs");
    Ok(SipTrunk {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        name: c.text("name")?,
        provider_type: c.text("provider_type")?,
        is_active: c.bool_or("is_active", false)?,
        is_default: c.bool_or("is_default", false)?,
        twilio_trunk_sid: c.opt_text("twilio_trunk_sid")?,
        twilio_termination_uri: c.opt_text("twilio_termination_uri")?,
        telnyx_connection_id: c.opt_text("telnyx_connection_id")?,
    })
}

fn retell_agent(row: &SqliteRow) -> Result<RetellAgentRow, QueryError> {
    let c = Cols::new(row, "retell_agents");
    Ok(RetellAgentRow {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        organization_id: c.uuid("organization_id")?,
        retell_agent_id: c.text("retell_agent_id")?,
        agent_name: c.text("agent_name")?,
        webhook_url: c.opt_text("webhook_url")?,
        status: c.opt_text("status")?,
    })
}

fn calendar_integration(row: &SqliteRow) -> Result<CalendarIntegration, QueryError> {
    let c = Cols::new(row, "calendar_integrations");
    Ok(CalendarIntegration {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        provider: c.text("provider")?,
        provider_account_email: c.opt_text("provider_account_email")?,
        calendar_id: c.opt_text("calendar_id")?,
        has_access_token: c.bool_or("has_access_token", false)?,
        has_refresh_token: c.bool_or("has_refresh_token", false)?,
        token_expires_at: c.opt_timestamp("token_expires_at")?,
        sync_enabled: c.bool_or("sync_enabled", false)?,
        sync_errors: c
            .opt_json("sync_errors")?
            .unwrap_or_else(|| serde_json::json!([])),
    })
}

fn calendar_availability(row: &SqliteRow) -> Result<CalendarAvailability, QueryError> {
    let c = Cols::new(row, "calendar_availability");
    Ok(CalendarAvailability {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        timezone: c.text("timezone")?,
        weekly_schedule: c
            .opt_json("weekly_schedule")?
            .unwrap_or(serde_json::Value::Null),
    })
}

fn broadcast(row: &SqliteRow) -> Result<Broadcast, QueryError> {
    let c = Cols::new(row, "voice_broadcasts");
    Ok(Broadcast {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        name: c.text("name")?,
        status: c.text("status")?,
        message_text: c.text("message_text")?,
        audio_url: c.opt_text("audio_url")?,
        ivr_enabled: c.bool_or("ivr_enabled", false)?,
        ivr_mode: c.opt_text("ivr_mode")?,
        dtmf_actions: c.opt_json("dtmf_actions")?,
        max_attempts: c.opt_i32("max_attempts")?,
        calling_hours_start: c.opt_time("calling_hours_start")?,
        calling_hours_end: c.opt_time("calling_hours_end")?,
        timezone: c.opt_text("timezone")?,
        bypass_calling_hours: c.bool_or("bypass_calling_hours", false)?,
        calls_per_minute: c.opt_i32("calls_per_minute")?,
        caller_id: c.opt_text("caller_id")?,
        use_sip_trunk: c.bool_or("use_sip_trunk", false)?,
        broadcast_provider: c.opt_text("broadcast_provider")?,
        voice_id: c.opt_text("voice_id")?,
    })
}

/// NULL pacing columns read as the platform's column defaults (schema.md §3).
fn campaign(row: &SqliteRow) -> Result<Campaign, QueryError> {
    let c = Cols::new(row, "campaigns");
    Ok(Campaign {
        id: c.uuid("id")?,
        user_id: c.uuid("user_id")?,
        organization_id: c.uuid("organization_id")?,
        name: c.text("name")?,
        status: c.text("status")?,
        agent_id: c.opt_text("agent_id")?,
        provider: c.text("provider")?,
        calls_per_minute: c.i32_or("calls_per_minute", 5)?,
        max_attempts: c.i32_or("max_attempts", 3)?,
        calling_hours_start: c.opt_time("calling_hours_start")?,
        calling_hours_end: c.opt_time("calling_hours_end")?,
        timezone: c.opt_text("timezone")?,
        lead_count: c.i64("lead_count")?,
    })
}

pub(super) fn stop_control(row: &SqliteRow) -> Result<StopControl, QueryError> {
    let c = Cols::new(row, "contact_stop_controls");
    Ok(StopControl {
        id: c.uuid("id")?,
        scope_type: c.text("scope_type")?,
        organization_id: c.opt_uuid("organization_id")?,
        user_id: c.opt_uuid("user_id")?,
        campaign_id: c.opt_uuid("campaign_id")?,
        provider: c.opt_text("provider")?,
        channel: c.text("channel")?,
        reason: c.text("reason")?,
        activated_at: c.timestamp("activated_at")?,
        expires_at: c.opt_timestamp("expires_at")?,
        created_by_launchdeck: c.bool_or("created_by_launchdeck", false)?,
    })
}

/// The `$3` parameter of a scoped SELECT, if it has one.
enum Third {
    Nothing,
    Limit(u32),
    Timestamp(String),
}

impl SqliteStore {
    /// Runs one scoped SELECT (`$1` user, `$2` org, then `third`) in a read
    /// transaction and maps its rows.
    async fn scoped_rows<T>(
        &self,
        template: &str,
        scope_sql: String,
        scope: &Scope,
        third: Third,
        map: impl Fn(&SqliteRow) -> Result<T, QueryError>,
    ) -> Result<Vec<T>, QueryError> {
        let sql = fill(template, &[("scope", &scope_sql)]);
        let (user, org) = scope_params(scope);
        let query = sqlx::query(AssertSqlSafe(sql)).bind(user).bind(org);
        let query = match third {
            Third::Nothing => query,
            Third::Limit(limit) => query.bind(i64::from(limit)),
            Third::Timestamp(at) => query.bind(at),
        };
        let mut tx = self.begin().await?;
        let rows = query.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows.iter().map(map).collect()
    }

    pub(super) async fn query_alerts(
        &self,
        scope: &Scope,
        limit: u32,
    ) -> Result<Vec<Alert>, QueryError> {
        let s = ScopeSql::new(scope).per_user("a");
        self.scoped_rows(ALERTS_SQL, s, scope, Third::Limit(limit), alert)
            .await
    }

    pub(super) async fn query_phone_numbers(
        &self,
        scope: &Scope,
    ) -> Result<Vec<PhoneNumber>, QueryError> {
        let s = ScopeSql::new(scope).core("p");
        self.scoped_rows(PHONE_NUMBERS_SQL, s, scope, Third::Nothing, phone_number)
            .await
    }

    pub(super) async fn query_sip_trunks(
        &self,
        scope: &Scope,
    ) -> Result<Vec<SipTrunk>, QueryError> {
        let s = ScopeSql::new(scope).per_user("t");
        self.scoped_rows(SIP_TRUNKS_SQL, s, scope, Third::Nothing, sip_trunk)
            .await
    }

    pub(super) async fn query_retell_agents(
        &self,
        scope: &Scope,
    ) -> Result<Vec<RetellAgentRow>, QueryError> {
        let s = ScopeSql::new(scope).core("r");
        self.scoped_rows(RETELL_AGENTS_SQL, s, scope, Third::Nothing, retell_agent)
            .await
    }

    pub(super) async fn query_calendar_integrations(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CalendarIntegration>, QueryError> {
        let s = ScopeSql::new(scope).per_user("ci");
        self.scoped_rows(
            CALENDAR_INTEGRATIONS_SQL,
            s,
            scope,
            Third::Nothing,
            calendar_integration,
        )
        .await
    }

    pub(super) async fn query_calendar_availability(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CalendarAvailability>, QueryError> {
        let s = ScopeSql::new(scope).per_user("ca");
        self.scoped_rows(
            CALENDAR_AVAILABILITY_SQL,
            s,
            scope,
            Third::Nothing,
            calendar_availability,
        )
        .await
    }

    pub(super) async fn query_broadcasts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<Broadcast>, QueryError> {
        let s = ScopeSql::new(scope).per_user("vb");
        self.scoped_rows(BROADCASTS_SQL, s, scope, Third::Nothing, broadcast)
            .await
    }

    pub(super) async fn query_campaigns(&self, scope: &Scope) -> Result<Vec<Campaign>, QueryError> {
        let s = ScopeSql::new(scope).core("c");
        self.scoped_rows(CAMPAIGNS_SQL, s, scope, Third::Nothing, campaign)
            .await
    }

    pub(super) async fn query_active_stops(
        &self,
        scope: &Scope,
    ) -> Result<Vec<StopControl>, QueryError> {
        let s = ScopeSql::new(scope).stop("s");
        let now = timestamp(now_micros());
        self.scoped_rows(
            ACTIVE_STOPS_SQL,
            s,
            scope,
            Third::Timestamp(now),
            stop_control,
        )
        .await
    }
}
