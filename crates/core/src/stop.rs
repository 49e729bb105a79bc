//! The emergency stop's rules (product.md "Actions", Emergency stop): what a stop acts
//! on, the typed confirmation, the `contact_stop_controls` row launchdeck writes (valid
//! under the table's scope CHECKs), and which stop rows launchdeck may lift. Pure: the
//! store writes, `launchdeck-ops` decides.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::actions::{StatusChange, StatusRow, WriteOutcome};
use crate::domain::{Scope, StopControl};

/// What `launchdeck stop --all` must be confirmed with.
pub const STOP_ALL_CONFIRMATION: &str = "STOP ALL";

/// `metadata.source` of the stop rows launchdeck writes: the only rows it lifts.
pub const LAUNCHDECK_SOURCE: &str = "launchdeck";

/// What an emergency stop acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StopScope {
    Broadcast(Uuid),
    Campaign(Uuid),
    /// Everything the console sees: a `global` stop row, or the `--org` / `--user`
    /// tenant's row when the console is scoped to one (a global row would stop other
    /// tenants too).
    All,
}

impl fmt::Display for StopScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopScope::Broadcast(id) => write!(f, "broadcast {id}"),
            StopScope::Campaign(id) => write!(f, "campaign {id}"),
            StopScope::All => f.write_str("everything"),
        }
    }
}

/// Whether `typed` confirms a stop whose expected confirmation is `expected` (the
/// broadcast's or campaign's exact name, or `STOP ALL`). Exact, case included; only
/// surrounding whitespace (a pasted newline) is ignored. An empty name never matches.
pub fn confirms(expected: &str, typed: &str) -> bool {
    let expected = expected.trim();
    !expected.is_empty() && typed.trim() == expected
}

/// The `contact_stop_controls` row a stop writes. Built only by [`StopRowSpec::for_scope`],
/// so it always satisfies the table's scope CHECKs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopRowSpec {
    /// `global`, `organization`, `user` or `campaign`.
    pub scope_type: String,
    pub organization_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// `reason`: says launchdeck and the operator.
    pub reason: String,
    /// `metadata`: `{"source": "launchdeck", "actor": …, "action": "stop"}`.
    pub metadata: serde_json::Value,
}

impl StopRowSpec {
    /// The row for a stop of `scope` by `actor` (`user@host`), or `None` when the stop
    /// writes no row (a broadcast: contact_stop_controls has no broadcast scope; the
    /// broadcast's pause is its stop). Channel is always `all` (the column default).
    pub fn for_scope(scope: StopScope, console_scope: &Scope, actor: &str) -> Option<StopRowSpec> {
        let (scope_type, organization_id, user_id, campaign_id) = match scope {
            StopScope::Broadcast(_) => return None,
            StopScope::Campaign(id) => ("campaign", None, None, Some(id)),
            StopScope::All => match (console_scope.org_id, console_scope.user_id) {
                (Some(org), _) => ("organization", Some(org), None, None),
                (None, Some(user)) => ("user", None, Some(user), None),
                (None, None) => ("global", None, None, None),
            },
        };
        Some(StopRowSpec {
            scope_type: scope_type.to_string(),
            organization_id,
            user_id,
            campaign_id,
            reason: format!("emergency stop by launchdeck ({actor})"),
            metadata: json!({"source": LAUNCHDECK_SOURCE, "actor": actor, "action": "stop"}),
        })
    }

    /// Whether the active row `row` has exactly this row's scope (so a second stop of the
    /// same thing writes no second row).
    pub fn same_scope(&self, row: &StopControl) -> bool {
        row.scope_type == self.scope_type
            && row.organization_id == self.organization_id
            && row.user_id == self.user_id
            && row.campaign_id == self.campaign_id
            && row.provider.is_none()
            && row.channel == "all"
    }

    /// `the global stop`, `a stop of campaign <id>`: for plans and results.
    pub fn describe(&self) -> String {
        match self.scope_type.as_str() {
            "global" => "a global stop row (every tenant, every channel)".to_string(),
            "organization" => format!(
                "an organization stop row for {}",
                self.organization_id.unwrap_or_default()
            ),
            "user" => format!("a user stop row for {}", self.user_id.unwrap_or_default()),
            _ => "a campaign stop row (the platform's dispatch blocker)".to_string(),
        }
    }
}

/// The stop's writes, in one transaction: the pause (conditional on the previewed
/// status) and the stop row (only when no active row of the same scope exists).
#[derive(Debug, Clone, PartialEq)]
pub struct StopWrite {
    pub pause: Option<StatusChange>,
    pub stop_row: Option<StopRowSpec>,
}

/// What the stop row part of a [`StopWrite`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum StopRowResult {
    Inserted(Uuid),
    /// An active row with the same scope already existed (another console, or an
    /// earlier stop): nothing written.
    AlreadyActive(Uuid),
}

/// The result of a [`StopWrite`]'s transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StopWriteResult {
    pub pause: Option<WriteOutcome>,
    pub stop_row: Option<StopRowResult>,
}

/// A contact_stop_controls row as `stop --lift` sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StopRowState {
    pub control: StopControl,
    pub active: bool,
    /// Whether the row applies within the `--user` / `--org` scope it was read with.
    pub in_scope: bool,
    /// The campaign's name for a campaign stop, when the campaign exists.
    pub campaign_name: Option<String>,
}

/// What lifting a stop row did.
#[derive(Debug, Clone, PartialEq)]
pub enum LiftResult {
    Lifted,
    /// It was no longer active (lifted meanwhile), or not launchdeck's.
    Skipped {
        active: bool,
    },
    NotFound,
}

/// Why launchdeck will not lift `row`, or `None` when it may.
pub fn why_not_lift(row: &StopRowState) -> Option<String> {
    if !row.in_scope {
        return Some("is outside the --user/--org scope: nothing to change".to_string());
    }
    if !row.active {
        return Some("is not active (already lifted): nothing to change".to_string());
    }
    if !row.control.created_by_launchdeck {
        return Some(format!(
            "was not created by launchdeck (reason: \"{}\"): launchdeck lifts only the stops \
             it wrote; lift this one where it was set (the platform's admin screens), or ask \
             whoever set it",
            crate::redact::sanitize_provider_text(&row.control.reason)
        ));
    }
    None
}

/// What a stop plan previews of the target row: its pause, or why there is none.
pub fn pause_of(row: &StatusRow) -> Option<StatusChange> {
    (row.status == "active").then(|| StatusChange::from_preview(row, "paused"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn control(scope_type: &str, campaign: Option<Uuid>, ours: bool) -> StopControl {
        StopControl {
            id: Uuid::new_v4(),
            scope_type: scope_type.into(),
            organization_id: None,
            user_id: None,
            campaign_id: campaign,
            provider: None,
            channel: "all".into(),
            reason: "launch freeze\x1b[31m".into(),
            activated_at: Utc::now(),
            expires_at: None,
            created_by_launchdeck: ours,
        }
    }

    #[test]
    fn confirmation_is_the_exact_name() {
        assert!(confirms("Spring promo", "Spring promo"));
        assert!(confirms("Spring promo", "  Spring promo\n"));
        assert!(!confirms("Spring promo", "spring promo"));
        assert!(!confirms("Spring promo", "Spring"));
        assert!(!confirms("", ""));
        assert!(confirms(STOP_ALL_CONFIRMATION, "STOP ALL"));
        assert!(!confirms(STOP_ALL_CONFIRMATION, "stop all"));
    }

    #[test]
    fn the_row_fits_the_scope_checks() {
        let id = Uuid::new_v4();
        let none = Scope::default();
        assert_eq!(
            StopRowSpec::for_scope(StopScope::Broadcast(id), &none, "a@h"),
            None
        );
        let campaign = StopRowSpec::for_scope(StopScope::Campaign(id), &none, "a@h").unwrap();
        assert_eq!(campaign.scope_type, "campaign");
        assert_eq!(campaign.campaign_id, Some(id));
        assert_eq!(campaign.organization_id, None);
        assert!(campaign.reason.contains("launchdeck") && campaign.reason.contains("a@h"));
        assert_eq!(campaign.metadata["source"], "launchdeck");
        let global = StopRowSpec::for_scope(StopScope::All, &none, "a@h").unwrap();
        assert_eq!(
            (
                global.scope_type.as_str(),
                global.organization_id,
                global.user_id
            ),
            ("global", None, None)
        );
        let org = Uuid::new_v4();
        let scoped = Scope {
            org_id: Some(org),
            user_id: Some(id),
        };
        let tenant = StopRowSpec::for_scope(StopScope::All, &scoped, "a@h").unwrap();
        assert_eq!(
            (
                tenant.scope_type.as_str(),
                tenant.organization_id,
                tenant.user_id
            ),
            ("organization", Some(org), None)
        );
        let user_only = Scope {
            org_id: None,
            user_id: Some(id),
        };
        let user = StopRowSpec::for_scope(StopScope::All, &user_only, "a@h").unwrap();
        assert_eq!((user.scope_type.as_str(), user.user_id), ("user", Some(id)));
    }

    #[test]
    fn same_scope_matches_only_the_same_row_shape() {
        let id = Uuid::new_v4();
        let spec = StopRowSpec::for_scope(StopScope::Campaign(id), &Scope::default(), "a").unwrap();
        assert!(spec.same_scope(&control("campaign", Some(id), false)));
        assert!(!spec.same_scope(&control("campaign", Some(Uuid::new_v4()), true)));
        assert!(!spec.same_scope(&control("global", None, true)));
        let mut voice_only = control("campaign", Some(id), true);
        voice_only.channel = "voice".into();
        assert!(!spec.same_scope(&voice_only));
    }

    #[test]
    fn lift_only_launchdecks_active_rows_in_scope() {
        let state = |ours: bool, active: bool, in_scope: bool| StopRowState {
            control: control("global", None, ours),
            active,
            in_scope,
            campaign_name: None,
        };
        assert_eq!(why_not_lift(&state(true, true, true)), None);
        let theirs = why_not_lift(&state(false, true, true)).unwrap();
        assert!(theirs.contains("not created by launchdeck"), "{theirs}");
        assert!(!theirs.contains('\x1b'), "{theirs}");
        assert!(
            why_not_lift(&state(true, false, true))
                .unwrap()
                .contains("already lifted")
        );
        assert!(
            why_not_lift(&state(true, true, false))
                .unwrap()
                .contains("scope")
        );
    }
}
