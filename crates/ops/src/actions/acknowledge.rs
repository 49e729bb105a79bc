//! Acknowledge alerts (product.md "Actions", the key `a`): `system_alerts.acknowledged
//! = true, acknowledged_at = now()`, in one transaction, only on the alerts still
//! unacknowledged; one audit record per alert.

use chrono::{DateTime, SecondsFormat, Utc};
use launchdeck_core::actions::AuditResult;
use launchdeck_core::fixes::{AckResult, AlertState};
use launchdeck_core::redact::sanitize_provider_text;
use serde_json::json;
use uuid::Uuid;

use super::support;
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome, audit};

pub const ACTION: &str = "acknowledge";

const TABLE: &str = "system_alerts";

/// `acknowledge ALERT_ID...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequest {
    pub alert_ids: Vec<Uuid>,
}

/// What acknowledging will do, alert by alert (in the order asked, duplicates dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct AckPlan {
    pub items: Vec<AckItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AckItem {
    pub id: Uuid,
    /// The row as previewed (`None`: no such alert).
    pub alert: Option<AlertState>,
    pub step: AckStep,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AckStep {
    Acknowledge,
    Already { at: Option<DateTime<Utc>> },
    NotFound,
    OutOfScope,
}

impl AckItem {
    /// `"Title" (critical stuck_calls)`, terminal-safe.
    fn label(&self) -> String {
        match &self.alert {
            Some(alert) => format!(
                "alert \"{}\" ({} {})",
                sanitize_provider_text(alert.title.as_deref().unwrap_or(&alert.alert_type)),
                sanitize_provider_text(&alert.severity),
                sanitize_provider_text(&alert.alert_type)
            ),
            None => format!("alert {}", self.id),
        }
    }

    fn name(&self) -> String {
        self.alert
            .as_ref()
            .map(|a| sanitize_provider_text(a.title.as_deref().unwrap_or(&a.alert_type)))
            .unwrap_or_default()
    }

    fn line(&self) -> String {
        let label = self.label();
        match &self.step {
            AckStep::Acknowledge => format!("{label}: acknowledge"),
            AckStep::Already { at } => format!("{label}: already acknowledged{}", at_text(*at)),
            AckStep::NotFound => format!("no alert with id {}", self.id),
            AckStep::OutOfScope => {
                format!("alert {} is outside the --user/--org scope", self.id)
            }
        }
    }
}

fn at_text(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default()
}

impl AckPlan {
    fn acknowledging(&self) -> impl Iterator<Item = &AckItem> {
        self.items.iter().filter(|i| i.step == AckStep::Acknowledge)
    }

    fn unavailable(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.step, AckStep::NotFound | AckStep::OutOfScope))
            .count()
    }
}

impl PlanView for AckPlan {
    fn will_change(&self) -> bool {
        self.acknowledging().next().is_some()
    }

    fn planned(&self) -> usize {
        self.acknowledging().count()
    }

    fn summary(&self) -> String {
        if self.items.is_empty() {
            return "no alert ids given: nothing to acknowledge".to_string();
        }
        if let [only] = self.items.as_slice() {
            return match only.step {
                AckStep::Acknowledge => format!("acknowledge {}", only.label()),
                AckStep::Already { .. } => format!("{}: nothing to change", only.line()),
                _ => format!("{}: nothing to acknowledge", only.line()),
            };
        }
        let ack = self.acknowledging().count();
        let already = self
            .items
            .iter()
            .filter(|i| matches!(i.step, AckStep::Already { .. }))
            .count();
        let mut parts = Vec::new();
        if already > 0 {
            parts.push(format!("{already} already acknowledged"));
        }
        let unavailable = self.unavailable();
        if unavailable > 0 {
            parts.push(format!("{unavailable} unknown or outside the scope"));
        }
        let rest = if parts.is_empty() {
            String::new()
        } else {
            format!("; {}", parts.join(", "))
        };
        match ack {
            0 => format!("nothing to acknowledge{rest}"),
            1 => format!("acknowledge 1 alert{rest}"),
            n => format!("acknowledge {n} alerts{rest}"),
        }
    }

    fn details(&self) -> Vec<String> {
        if self.items.len() < 2 {
            return Vec::new();
        }
        self.items.iter().map(AckItem::line).collect()
    }

    /// Any id that is unknown or outside the scope: the operator named something that
    /// is not there.
    fn target_unavailable(&self) -> bool {
        self.items.is_empty() || self.unavailable() > 0
    }
}

/// The plan for the ids asked (in order, duplicates dropped) and the rows found: pure.
pub(crate) fn plan_for(ids: &[Uuid], rows: &[AlertState]) -> AckPlan {
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for id in ids {
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        let alert = rows.iter().find(|a| a.id == *id).cloned();
        let step = match &alert {
            None => AckStep::NotFound,
            Some(a) if !a.in_scope => AckStep::OutOfScope,
            Some(a) if a.acknowledged => AckStep::Already {
                at: a.acknowledged_at,
            },
            Some(_) => AckStep::Acknowledge,
        };
        items.push(AckItem {
            id: *id,
            alert,
            step,
        });
    }
    AckPlan { items }
}

/// Reads the alerts (in the scope) and says which will be acknowledged.
pub async fn plan(env: &ActionEnv, request: AckRequest) -> Result<AckPlan, ActionError> {
    let rows = if request.alert_ids.is_empty() {
        Vec::new()
    } else {
        env.store()
            .alerts_by_id(&request.alert_ids, &env.ctx.scope)
            .await
            .map_err(support::read_error("system_alerts"))?
    };
    Ok(plan_for(&request.alert_ids, &rows))
}

/// Acknowledges the previewed alerts still unacknowledged, in one transaction, and
/// audits each.
pub async fn apply(env: &ActionEnv, plan: &AckPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    let due: Vec<&AckItem> = plan.acknowledging().collect();
    if due.is_empty() {
        return Ok(ActionOutcome::default());
    }
    env.prepare_audit().await?;
    let ids: Vec<Uuid> = due.iter().map(|i| i.id).collect();
    let results: Vec<Result<AckResult, String>> = match env.store().acknowledge_alerts(&ids).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(e) => ids.iter().map(|_| Err(e.to_string())).collect(),
    };
    let mut outcome = ActionOutcome::default();
    let mut records = Vec::with_capacity(due.len());
    for (item, result) in due.iter().zip(results) {
        let (result, after) = ended(result);
        records.push(audit::record(
            &env.ctx,
            ACTION,
            support::target(TABLE, item.id, &item.name()),
            json!({ "acknowledged": false }),
            after.clone(),
            result.clone(),
        ));
        outcome.push(RowOutcome {
            table: TABLE,
            id: item.id,
            name: item.name(),
            result,
            from: Some("unacknowledged".to_string()),
            status_now: after.map(|_| "acknowledged".to_string()),
        });
    }
    outcome.audit_errors = audit::write(env.store(), &env.ctx.audit_file, &records).await;
    Ok(outcome)
}

fn ended(result: Result<AckResult, String>) -> (AuditResult, Option<serde_json::Value>) {
    let stamp = |at: Option<DateTime<Utc>>| {
        json!({
            "acknowledged": true,
            "acknowledged_at": at.map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true)),
        })
    };
    match result {
        Ok(AckResult::Acknowledged { at }) => (AuditResult::Changed, Some(stamp(Some(at)))),
        Ok(AckResult::AlreadyAcknowledged { at }) => (
            AuditResult::Skipped(format!(
                "acknowledged by someone else since the preview{}",
                at_text(at)
            )),
            Some(stamp(at)),
        ),
        Ok(AckResult::Gone) => (
            AuditResult::Skipped("the alert no longer exists".to_string()),
            None,
        ),
        Err(why) => (AuditResult::Failed(why), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(n: u128, acknowledged: bool, in_scope: bool) -> AlertState {
        AlertState {
            id: Uuid::from_u128(n),
            user_id: Uuid::from_u128(1),
            alert_type: "stuck_calls".into(),
            severity: "critical".into(),
            title: Some(format!("Stuck calls {n}")),
            acknowledged,
            acknowledged_at: acknowledged.then(|| {
                DateTime::parse_from_rfc3339("2026-03-01T11:00:00Z")
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default()
            }),
            in_scope,
        }
    }

    #[test]
    fn one_alert() {
        let rows = [alert(1, false, true), alert(2, true, true)];
        let plan = plan_for(&[Uuid::from_u128(1)], &rows);
        assert_eq!(
            plan.summary(),
            "acknowledge alert \"Stuck calls 1\" (critical stuck_calls)"
        );
        assert!(plan.will_change() && !plan.target_unavailable());
        assert!(plan.details().is_empty());
        let plan = plan_for(&[Uuid::from_u128(2)], &rows);
        assert_eq!(
            plan.summary(),
            "alert \"Stuck calls 2\" (critical stuck_calls): already acknowledged at 2026-03-01 \
             11:00 UTC: nothing to change"
        );
        assert!(!plan.will_change() && !plan.target_unavailable());
        let plan = plan_for(&[Uuid::from_u128(9)], &rows);
        assert_eq!(
            plan.summary(),
            "no alert with id 00000000-0000-0000-0000-000000000009: nothing to acknowledge"
        );
        assert!(plan.target_unavailable());
    }

    #[test]
    fn several_alerts() {
        let rows = [
            alert(1, false, true),
            alert(2, true, true),
            alert(3, false, false),
            alert(4, false, true),
        ];
        let ids: Vec<Uuid> = [1, 2, 3, 4, 1, 9].map(Uuid::from_u128).to_vec();
        let plan = plan_for(&ids, &rows);
        assert_eq!(plan.items.len(), 5, "the duplicate is dropped");
        assert_eq!(
            plan.summary(),
            "acknowledge 2 alerts; 1 already acknowledged, 2 unknown or outside the scope"
        );
        assert!(plan.target_unavailable());
        assert_eq!(
            plan.details(),
            vec![
                "alert \"Stuck calls 1\" (critical stuck_calls): acknowledge",
                "alert \"Stuck calls 2\" (critical stuck_calls): already acknowledged at \
                 2026-03-01 11:00 UTC",
                "alert 00000000-0000-0000-0000-000000000003 is outside the --user/--org scope",
                "alert \"Stuck calls 4\" (critical stuck_calls): acknowledge",
                "no alert with id 00000000-0000-0000-0000-000000000009",
            ]
        );
        assert_eq!(
            plan_for(&[], &rows).summary(),
            "no alert ids given: nothing to acknowledge"
        );
    }
}
