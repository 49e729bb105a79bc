//! Fix a Retell number's outbound agent (product.md "Actions", the Retell readiness
//! check's `F`): Retell's update-phone-number setting `outbound_agents` to the number's
//! inbound agent (the old bug: numbers updated with the inbound agent only), or to the
//! agent the operator chose. The request carries exactly
//! `{"outbound_agents":[{"agent_id":…,"weight":1}]}`: no credentials, no inbound change.
//!
//! Retell has no transactions: the change is conditional on a fresh read of the number
//! (its outbound agents still as previewed), and the client re-sends only when a 5xx or
//! timeout left the change undone (providers.md §3). The audit record names the
//! platform's `phone_numbers` row when there is one.

use launchdeck_core::actions::AuditResult;
use launchdeck_core::config::is_e164;
use launchdeck_core::fixes::NumberRow;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::retell::PhoneNumber as RetellNumber;
use launchdeck_providers::{Provider, RetellClient};
use serde_json::json;
use uuid::Uuid;

use super::support;
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome, audit};

pub const ACTION: &str = "fix-outbound-agent";

const RETELL_SETTING: &str = "set RETELL_AI_API_KEY (or [retell] api_key in the config file)";
/// The audit target when the platform's database has no row for the number.
const RETELL_TABLE: &str = "retell:phone_numbers";

/// `fix-outbound-agent --number E164 [--agent ID]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRequest {
    /// The Retell number, E.164 (`+14155550102`).
    pub number: String,
    /// The agent to assign; default: the number's inbound agent.
    pub agent: Option<String>,
}

/// What fixing the number will do.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentPlan {
    /// The number as asked for (trimmed, terminal-safe).
    pub number: String,
    /// The platform's row for the number, when it has one.
    pub db_row: Option<NumberRow>,
    /// At Retell, as previewed (the list when non-empty, else the deprecated id).
    pub inbound_agents: Vec<String>,
    /// At Retell, as previewed: the change applies only while these are unchanged.
    pub outbound_agents: Vec<String>,
    pub step: AgentStep,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AgentStep {
    /// Set the outbound agents to exactly this agent.
    Set {
        agent_id: String,
        /// The operator's `--agent` (else the number's inbound agent).
        chosen: bool,
    },
    Nothing(AgentNoChange),
}

/// Why nothing will change.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentNoChange {
    NotE164,
    /// The database's row for the number lies outside the `--user` / `--org` scope.
    OutOfScope,
    NotAtRetell,
    /// No inbound agent to copy and no `--agent` given.
    NoInboundAgent,
    /// Retell has no agent with this id.
    UnknownAgent(String),
    /// Its outbound agents already include this agent.
    Already(String),
}

impl PlanView for AgentPlan {
    fn will_change(&self) -> bool {
        matches!(self.step, AgentStep::Set { .. })
    }

    fn summary(&self) -> String {
        let number = &self.number;
        match &self.step {
            AgentStep::Set { agent_id, chosen } => {
                let why = if *chosen {
                    "chosen with --agent"
                } else if self.inbound_agents.len() > 1 {
                    "its first inbound agent"
                } else {
                    "its inbound agent"
                };
                let replaces = if self.outbound_agents.is_empty() {
                    String::new()
                } else {
                    format!("; replaces {}", self.outbound_agents.join(", "))
                };
                format!("set outbound agents of {number} to {agent_id} ({why}){replaces}")
            }
            AgentStep::Nothing(why) => match why {
                AgentNoChange::NotE164 => {
                    format!("\"{number}\" is not an E.164 number (e.g. +14155550123)")
                }
                AgentNoChange::OutOfScope => format!(
                    "{number} belongs to another tenant: outside the --user/--org scope, nothing \
                     to change"
                ),
                AgentNoChange::NotAtRetell => format!("Retell has no number {number}"),
                AgentNoChange::NoInboundAgent => format!(
                    "{number} has no inbound agent to copy: choose its outbound agent with \
                     --agent ID"
                ),
                AgentNoChange::UnknownAgent(agent) => {
                    format!("Retell has no agent {agent}: nothing to assign to {number}")
                }
                AgentNoChange::Already(agent) => {
                    format!("{number} already has outbound agent {agent}: nothing to change")
                }
            },
        }
    }

    fn details(&self) -> Vec<String> {
        if matches!(
            self.step,
            AgentStep::Nothing(AgentNoChange::NotE164 | AgentNoChange::OutOfScope)
        ) {
            return Vec::new();
        }
        let list = |agents: &[String]| match agents {
            [] => "none".to_string(),
            agents => agents.join(", "),
        };
        let row = match &self.db_row {
            Some(row) => format!("platform row: phone_numbers {}", row.id),
            None => "the platform's phone_numbers has no row for it".to_string(),
        };
        vec![
            format!("inbound agents: {}", list(&self.inbound_agents)),
            format!("outbound agents: {}", list(&self.outbound_agents)),
            row,
        ]
    }

    fn target_unavailable(&self) -> bool {
        matches!(&self.step, AgentStep::Nothing(why) if !matches!(why, AgentNoChange::Already(_)))
    }
}

fn ids(list: Vec<&str>) -> Vec<String> {
    list.into_iter().map(sanitize_provider_text).collect()
}

/// The plan for the number as Retell reports it: pure, so every wording is testable.
pub(crate) fn plan_for(
    number: &str,
    agent: Option<&str>,
    db_row: Option<NumberRow>,
    at_retell: &RetellNumber,
    agent_exists: impl FnOnce(&str) -> bool,
) -> AgentPlan {
    let inbound_agents = ids(at_retell.inbound_agent_ids());
    let outbound_agents = ids(at_retell.outbound_agent_ids());
    let chosen = agent.is_some();
    let target = agent
        .map(str::to_string)
        .or_else(|| inbound_agents.first().cloned());
    let step = match target {
        None => AgentStep::Nothing(AgentNoChange::NoInboundAgent),
        Some(id) if outbound_agents.contains(&id) => AgentStep::Nothing(AgentNoChange::Already(id)),
        Some(id) if !agent_exists(&id) => AgentStep::Nothing(AgentNoChange::UnknownAgent(id)),
        Some(agent_id) => AgentStep::Set { agent_id, chosen },
    };
    AgentPlan {
        number: number.to_string(),
        db_row,
        inbound_agents,
        outbound_agents,
        step,
    }
}

fn nothing(number: &str, db_row: Option<NumberRow>, why: AgentNoChange) -> AgentPlan {
    AgentPlan {
        number: number.to_string(),
        db_row,
        inbound_agents: Vec::new(),
        outbound_agents: Vec::new(),
        step: AgentStep::Nothing(why),
    }
}

fn retell(env: &ActionEnv) -> Result<std::sync::Arc<RetellClient>, ActionError> {
    support::ready(
        &env.providers.clients().retell,
        Provider::Retell,
        RETELL_SETTING,
    )
}

/// Reads the number at Retell (and the platform's row for it) and says what will
/// change, or why nothing will.
pub async fn plan(env: &ActionEnv, request: AgentRequest) -> Result<AgentPlan, ActionError> {
    let number = sanitize_provider_text(request.number.trim());
    if !is_e164(&number) {
        return Ok(nothing(&number, None, AgentNoChange::NotE164));
    }
    let db_row = env
        .store()
        .phone_number_row(&number, &env.ctx.scope)
        .await
        .map_err(support::read_error("phone_numbers"))?;
    if db_row.as_ref().is_some_and(|row| !row.in_scope) {
        return Ok(nothing(&number, db_row, AgentNoChange::OutOfScope));
    }
    let client = retell(env)?;
    let lane = &env.providers.clients().retell_lane;
    let at_retell = support::ask(lane, Provider::Retell, client.get_number(&number))
        .await
        .map_err(|e| ActionError::Provider(format!("cannot read {number} at Retell: {e}")))?;
    let Some(at_retell) = at_retell else {
        return Ok(nothing(&number, db_row, AgentNoChange::NotAtRetell));
    };
    let agent = request
        .agent
        .as_deref()
        .map(|a| sanitize_provider_text(a.trim()))
        .filter(|a| !a.is_empty());
    let preview = plan_for(&number, agent.as_deref(), db_row, &at_retell, |_| true);
    let AgentStep::Set { agent_id, .. } = &preview.step else {
        return Ok(preview);
    };
    let exists = support::ask(lane, Provider::Retell, client.get_agent(agent_id))
        .await
        .map_err(|e| ActionError::Provider(format!("cannot read agent {agent_id} at Retell: {e}")))?
        .is_some();
    Ok(plan_for(
        &number,
        agent.as_deref(),
        preview.db_row,
        &at_retell,
        |_| exists,
    ))
}

/// Sets the outbound agent previewed, if the number's outbound agents are still as
/// previewed, and audits it.
pub async fn apply(env: &ActionEnv, plan: &AgentPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    let AgentStep::Set { agent_id, .. } = &plan.step else {
        return Ok(ActionOutcome::default());
    };
    let client = retell(env)?;
    env.prepare_audit().await?;
    let (result, now) = set_if_unchanged(env, &client, plan, agent_id).await;
    let (table, id) = match &plan.db_row {
        Some(row) => ("phone_numbers", row.id),
        None => (RETELL_TABLE, Uuid::nil()),
    };
    let record = audit::record(
        &env.ctx,
        ACTION,
        support::target(table, id, &plan.number),
        json!({ "inbound_agents": plan.inbound_agents, "outbound_agents": plan.outbound_agents }),
        now.as_ref()
            .map(|agents| json!({ "outbound_agents": agents })),
        result.clone(),
    );
    let mut outcome = ActionOutcome {
        audit_errors: audit::write(env.store(), &env.ctx.audit_file, &[record]).await,
        ..ActionOutcome::default()
    };
    outcome.push(RowOutcome {
        table,
        id,
        name: plan.number.clone(),
        result,
        from: Some(plan.outbound_agents.join(",")),
        status_now: now.map(|agents| agents.join(",")),
    });
    Ok(outcome)
}

/// Re-reads the number; sets the agent only while its outbound agents are as previewed.
/// Returns the result and the outbound agents as they are afterwards (when known).
async fn set_if_unchanged(
    env: &ActionEnv,
    client: &RetellClient,
    plan: &AgentPlan,
    agent_id: &str,
) -> (AuditResult, Option<Vec<String>>) {
    let lane = &env.providers.clients().retell_lane;
    let number = &plan.number;
    let current = match support::ask(lane, Provider::Retell, client.get_number(number)).await {
        Ok(Some(current)) => ids(current.outbound_agent_ids()),
        Ok(None) => {
            return (
                AuditResult::Skipped(format!("Retell no longer has the number {number}")),
                None,
            );
        }
        Err(e) => {
            return (
                AuditResult::Failed(format!("cannot read {number} at Retell: {e}")),
                None,
            );
        }
    };
    if current != plan.outbound_agents {
        let now = if current.is_empty() {
            "none".to_string()
        } else {
            current.join(", ")
        };
        return (
            AuditResult::Skipped(format!(
                "its outbound agents changed since the preview (now: {now}); preview it again"
            )),
            Some(current),
        );
    }
    match support::ask(
        lane,
        Provider::Retell,
        client.set_outbound_agent(number, agent_id),
    )
    .await
    {
        Ok(updated) => (
            AuditResult::Changed,
            Some(ids(updated.outbound_agent_ids())),
        ),
        Err(e) => {
            tracing::warn!(action = ACTION, error = %e, "setting a Retell number's outbound agent failed");
            (AuditResult::Failed(e.to_string()), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(json: serde_json::Value) -> RetellNumber {
        serde_json::from_value(json).expect("a Retell number")
    }

    const E164: &str = "+14155550102";

    fn says(at_retell: serde_json::Value, agent: Option<&str>, exists: bool) -> AgentPlan {
        plan_for(E164, agent, None, &number(at_retell), |_| exists)
    }

    #[test]
    fn the_inbound_agent_becomes_the_outbound_agent() {
        let plan = says(
            json!({"phone_number": E164, "inbound_agents": [{"agent_id": "agent_x", "weight": 1}]}),
            None,
            true,
        );
        assert!(plan.will_change());
        assert_eq!(
            plan.summary(),
            "set outbound agents of +14155550102 to agent_x (its inbound agent)"
        );
        assert_eq!(
            plan.details(),
            vec![
                "inbound agents: agent_x",
                "outbound agents: none",
                "the platform's phone_numbers has no row for it",
            ]
        );
        // The deprecated single id when the list is empty.
        let legacy = says(
            json!({"phone_number": E164, "inbound_agents": [], "inbound_agent_id": "agent_old"}),
            None,
            true,
        );
        assert_eq!(
            legacy.step,
            AgentStep::Set {
                agent_id: "agent_old".into(),
                chosen: false
            }
        );
    }

    #[test]
    fn a_chosen_agent_replaces_other_outbound_agents() {
        let plan = says(
            json!({"phone_number": E164, "outbound_agent_id": "agent_gone",
                   "inbound_agents": [{"agent_id": "agent_x", "weight": 0.5},
                                      {"agent_id": "agent_z", "weight": 0.5}]}),
            Some("agent_y"),
            true,
        );
        assert_eq!(
            plan.summary(),
            "set outbound agents of +14155550102 to agent_y (chosen with --agent); replaces \
             agent_gone"
        );
        let first = says(
            json!({"phone_number": E164, "inbound_agents": [{"agent_id": "agent_x"}, {"agent_id": "agent_z"}]}),
            None,
            true,
        );
        assert!(
            first
                .summary()
                .contains("agent_x (its first inbound agent)")
        );
    }

    #[test]
    fn refusals_and_nothing_to_do() {
        let plan = says(json!({"phone_number": E164}), None, true);
        assert_eq!(plan.step, AgentStep::Nothing(AgentNoChange::NoInboundAgent));
        assert_eq!(
            plan.summary(),
            "+14155550102 has no inbound agent to copy: choose its outbound agent with --agent ID"
        );
        assert!(plan.target_unavailable() && !plan.will_change());

        let plan = says(
            json!({"phone_number": E164, "inbound_agents": [{"agent_id": "agent_x"}],
                   "outbound_agents": [{"agent_id": "agent_x", "weight": 1}]}),
            None,
            true,
        );
        assert_eq!(
            plan.summary(),
            "+14155550102 already has outbound agent agent_x: nothing to change"
        );
        assert!(!plan.target_unavailable() && !plan.will_change());

        let plan = says(json!({"phone_number": E164}), Some("agent_nope"), false);
        assert_eq!(
            plan.summary(),
            "Retell has no agent agent_nope: nothing to assign to +14155550102"
        );
        assert!(plan.target_unavailable());

        assert_eq!(
            nothing("+1415", None, AgentNoChange::NotE164).summary(),
            "\"+1415\" is not an E.164 number (e.g. +14155550123)"
        );
        assert_eq!(
            nothing(E164, None, AgentNoChange::NotAtRetell).summary(),
            "Retell has no number +14155550102"
        );
    }
}
