//! Setting the fake providers up so they agree with the first-campaign data set: the
//! Retell agents and numbers (one without an outbound agent), the Twilio account's
//! numbers and trunk, and a provider call behind every call the data set has in flight.
//!
//! The fakes issue their own call ids, so the seeded calls are created at the fakes
//! first and their ids are written into the data set before it is loaded.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use launchdeck_seed::SeedData;
use launchdeck_seed::first_campaign::SeedFacts;
use rand::Rng;
use serde_json::{Value, json};

use super::plan;
use super::retell_api::RetellApi;
use crate::fakes::{
    CallPlan, FakeAgent, FakeNumber, RetellState, TwilioCallPlan, TwilioOutcome, TwilioState,
};

/// Retell's `sip:` origination target on the platform's trunks.
const RETELL_SIP: &str = "sip:sip.retellai.com";

/// Adds the data set's agents and Retell numbers to the fake Retell.
pub fn configure_retell(retell: &RetellState, facts: &SeedFacts) {
    for agent in &facts.agents {
        retell.add_agent(
            FakeAgent::new(&agent.retell_agent_id)
                .name(&agent.agent_name)
                .version(json!(agent.version))
                .field("voice_id", json!(agent.voice_id))
                .field("webhook_url", json!(agent.webhook_url))
                .field(
                    "response_engine",
                    json!({"type": "retell-llm", "llm_id": agent.retell_llm_id, "version": agent.llm_version}),
                ),
        );
    }
    for number in &facts.retell_numbers {
        let base = match &number.termination_uri {
            Some(uri) => FakeNumber::custom(&number.phone_number, uri),
            None => FakeNumber::new(&number.phone_number)
                .field("phone_number_type", json!(number.phone_number_type)),
        };
        let inbound: Vec<&str> = number
            .inbound_agent_ids
            .iter()
            .map(String::as_str)
            .collect();
        let outbound: Vec<&str> = number
            .outbound_agent_ids
            .iter()
            .map(String::as_str)
            .collect();
        retell.add_number(
            base.inbound_agents(&inbound)
                .outbound_agents(&outbound)
                .field("nickname", json!(number.nickname)),
        );
    }
}

/// The E.164 numbers the fake Retell holds.
pub fn retell_numbers(facts: &SeedFacts) -> Vec<String> {
    facts
        .retell_numbers
        .iter()
        .map(|n| n.phone_number.clone())
        .collect()
}

/// Adds the Twilio numbers (the platform has one Twilio account for every tenant) and
/// the first org's SIP trunk (with the numbers it carries and an origination URL to
/// Retell) to the fake Twilio.
pub fn configure_twilio(twilio: &TwilioState, facts: &SeedFacts) {
    let trunk = &facts.trunk;
    // A trunk's domain name is a host; the platform stores it as a SIP URI.
    let domain = trunk.twilio_termination_uri.trim_start_matches("sip:");
    twilio.add_trunk(&trunk.twilio_trunk_sid, domain, "IP_ACL");
    twilio.add_origination_url(&trunk.twilio_trunk_sid, RETELL_SIP, true, 10, 10);
    let numbers = facts.numbers.iter().chain([&facts.second_org_number]);
    for number in numbers.filter(|n| n.provider == "twilio") {
        let on_trunk = number.sip_trunk_config_id == Some(trunk.id);
        let trunk_sid = on_trunk.then_some(trunk.twilio_trunk_sid.as_str());
        twilio.add_incoming_number(&number.e164, trunk_sid);
        if on_trunk {
            twilio.attach_number(&trunk.twilio_trunk_sid, &number.e164);
        }
    }
}

/// What [`provision_calls`] created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioned {
    pub twilio_calls: usize,
    pub retell_calls: usize,
    /// The provider ids of the calls created live: the simulator follows and reports
    /// them even if they end before it starts (see [`super::Handover`]).
    pub live_call_ids: Vec<String>,
}

/// Creates the provider calls behind the data set's calls in flight: live calls for the
/// fresh ones (their new ids written into `data` and `facts.retell_calls`), ended calls
/// for those whose report was lost (the stale broadcast rows, under their own sids and
/// placed when their rows say; the orphaned call_logs). `pace` scales the remaining
/// call durations.
pub async fn provision_calls(
    data: &mut SeedData,
    facts: &mut SeedFacts,
    twilio: &TwilioState,
    retell: &RetellState,
    retell_api: &RetellApi,
    pace: f64,
    rng: &mut impl Rng,
) -> Result<Provisioned, String> {
    let mut new_ids: HashMap<String, String> = HashMap::new();
    let mut live_call_ids = Vec::new();
    let twilio_calls = provision_twilio(
        data,
        facts,
        twilio,
        pace,
        rng,
        &mut new_ids,
        &mut live_call_ids,
    );
    let mut retell_calls = 0;
    for call in &mut facts.retell_calls {
        let request = json!({
            "from_number": call.from_number,
            "to_number": call.to_number,
            "override_agent_id": call.agent_id,
        });
        let reply = retell_api.create_call(&request).await.map_err(|e| {
            format!(
                "creating seeded call {} at the fake Retell: {e}",
                call.call_id
            )
        })?;
        let new_id = reply["call_id"].as_str().unwrap_or_default().to_string();
        // The call began at its seeded start, so Retell's timeline agrees with the row's.
        let since_start = (retell.clock().now() - call.started_at)
            .to_std()
            .unwrap_or_default();
        let lifecycle = if call.call_status == "ongoing" {
            live_call_ids.push(new_id.clone());
            plan::ongoing_call(rng, pace, since_start)
        } else {
            let talk = call
                .ended_at
                .and_then(|end| (end - call.started_at).to_std().ok())
                .unwrap_or_default();
            CallPlan::answered(Duration::ZERO, talk)
        };
        retell.set_call_plan(&new_id, lifecycle);
        retell.set_call_created(&new_id, call.started_at);
        new_ids.insert(call.call_id.clone(), new_id.clone());
        call.call_id = new_id;
        retell_calls += 1;
    }
    replace_values(data, &new_ids);
    Ok(Provisioned {
        twilio_calls,
        retell_calls,
        live_call_ids,
    })
}

/// A Twilio call for each `calling` broadcast row with a call sid.
fn provision_twilio(
    data: &SeedData,
    facts: &SeedFacts,
    twilio: &TwilioState,
    pace: f64,
    rng: &mut impl Rng,
    new_ids: &mut HashMap<String, String>,
    live_call_ids: &mut Vec<String>,
) -> usize {
    let callers: HashMap<&str, &str> = data
        .rows("voice_broadcasts")
        .iter()
        .filter_map(|b| Some((b.get("id")?.as_str()?, b.get("caller_id")?.as_str()?)))
        .collect();
    let stale: Vec<String> = facts
        .stale
        .broadcast_queue_calling
        .iter()
        .map(|id| id.to_string())
        .collect();
    let mut created = 0;
    for row in data.rows("broadcast_queue") {
        let text = |key: &str| row.get(key).and_then(Value::as_str);
        let (Some("calling"), Some(sid), Some(id), Some(phone)) = (
            text("status"),
            text("call_sid"),
            text("id"),
            text("phone_number"),
        ) else {
            continue;
        };
        let caller = text("broadcast_id")
            .and_then(|b| callers.get(b).copied())
            .unwrap_or_default();
        let claimed = row.get("updated_at").and_then(timestamp_of);
        match claimed.filter(|_| stale.iter().any(|s| s == id)) {
            // Its report was lost: the call rang out unanswered when it was placed.
            Some(claimed) => {
                let unanswered = TwilioCallPlan {
                    queued: Duration::ZERO,
                    ringing: Duration::from_secs(20),
                    outcome: TwilioOutcome::NoAnswer,
                };
                twilio.add_past_call(sid, phone, caller, unanswered, claimed);
            }
            None => {
                let new_sid =
                    twilio.add_call(phone, caller, plan::broadcast_call(rng, pace).twilio);
                live_call_ids.push(new_sid.clone());
                new_ids.insert(sid.to_string(), new_sid);
            }
        }
        created += 1;
    }
    created
}

/// A data set timestamp (serialized `DateTime<Utc>`).
fn timestamp_of(value: &Value) -> Option<DateTime<Utc>> {
    serde_json::from_value(value.clone()).ok()
}

/// Replaces every string value of the data set found in `new_ids` (call ids appear
/// in call_logs, dialing_queues, the ledger and the transfers).
fn replace_values(data: &mut SeedData, new_ids: &HashMap<String, String>) {
    if new_ids.is_empty() {
        return;
    }
    for table in &mut data.tables {
        for row in &mut table.rows {
            for value in row.values_mut() {
                if let Some(new) = value.as_str().and_then(|old| new_ids.get(old)) {
                    *value = Value::String(new.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_seed::TableRows;

    #[test]
    fn ids_are_replaced_everywhere() {
        let mut data = SeedData::default();
        let mut logs = TableRows::new("call_logs");
        logs.push(json!({"id": "l1", "retell_call_id": "call_old", "status": "ringing"}));
        logs.push(json!({"id": "l2", "retell_call_id": "call_other"}));
        data.tables.push(logs);
        let mut queue = TableRows::new("dialing_queues");
        queue.push(json!({"id": "q1", "last_provider_call_id": "call_old"}));
        data.tables.push(queue);
        let ids = HashMap::from([("call_old".to_string(), "call_new".to_string())]);
        replace_values(&mut data, &ids);
        assert_eq!(data.rows("call_logs")[0]["retell_call_id"], "call_new");
        assert_eq!(data.rows("call_logs")[1]["retell_call_id"], "call_other");
        assert_eq!(
            data.rows("dialing_queues")[0]["last_provider_call_id"],
            "call_new"
        );
    }
}
