//! Small helpers for the simulator's SQL: the stored timestamp form and write
//! transactions that take SQLite's write lock up front.

use chrono::{DateTime, Utc};
use launchdeck_store::sqlite::{now_micros, timestamp};

/// A timestamp as the demo database stores it.
pub fn at(at: DateTime<Utc>) -> String {
    timestamp(at)
}

pub fn now() -> String {
    timestamp(now_micros())
}

/// `now` plus some minutes, stored form.
pub fn minutes_from_now(minutes: i64) -> String {
    timestamp(now_micros() + chrono::Duration::minutes(minutes))
}

pub use launchdeck_store::sqlite::begin_write;

/// The stop controls that block a campaign `c` from dialling (the platform's
/// `evaluate_contact_stop`, by scope; `?1` is now). A macro so queries stay literals.
macro_rules! campaign_not_stopped {
    () => {
        "NOT EXISTS (
    SELECT 1 FROM contact_stop_controls s
    WHERE s.active = 1 AND (s.expires_at IS NULL OR s.expires_at > ?1)
      AND s.channel IN ('all', 'voice')
      AND (s.scope_type = 'global'
        OR (s.scope_type = 'organization' AND s.organization_id = c.organization_id)
        OR (s.scope_type = 'user' AND s.user_id = c.user_id)
        OR (s.scope_type = 'campaign' AND s.campaign_id = c.id)
        OR (s.scope_type = 'provider' AND s.provider = 'retell')))"
    };
}

/// The stop controls that block a broadcast `b` (global, or its owner's).
macro_rules! broadcast_not_stopped {
    () => {
        "NOT EXISTS (
    SELECT 1 FROM contact_stop_controls s
    WHERE s.active = 1 AND (s.expires_at IS NULL OR s.expires_at > ?1)
      AND s.channel IN ('all', 'voice')
      AND (s.scope_type = 'global' OR (s.scope_type = 'user' AND s.user_id = b.user_id)))"
    };
}

/// A paused budget (the campaign's own or its owner's user-wide one) blocks dialling.
macro_rules! campaign_budget_open {
    () => {
        "NOT EXISTS (
    SELECT 1 FROM budget_settings bs
    WHERE bs.is_paused = 1 AND bs.user_id = c.user_id
      AND (bs.campaign_id IS NULL OR bs.campaign_id = c.id))"
    };
}

pub(crate) use {broadcast_not_stopped, campaign_budget_open, campaign_not_stopped};
