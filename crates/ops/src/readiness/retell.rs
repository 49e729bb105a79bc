//! Retell: get-concurrency (the key check), the agents and the phone numbers.

use launchdeck_core::readiness::{
    FailureKind, Observed, RetellAgent, RetellConcurrency, RetellFacts, RetellNumber,
};
use launchdeck_providers::RetellClient;
use launchdeck_providers::retell::{AgentSummary, Concurrency, PhoneNumber};

use super::clients::Client;
use super::lane::{Failure, Lane, observe, same_as};

pub(crate) async fn gather(client: Client<RetellClient>, lane: Lane) -> RetellFacts {
    let client = match client.ready::<()>() {
        Ok(client) => client,
        Err(not_asked) => return not_asked_facts(&not_asked),
    };
    let concurrency = lane
        .ask(client.get_concurrency())
        .await
        .and_then(concurrency_facts);
    // A key that fails the first, cheapest call fails the others too: not asked.
    if let Err(failure) = &concurrency {
        return RetellFacts {
            concurrency: failure.observed(),
            agents: failure.observed(),
            numbers: failure.observed(),
        };
    }
    let agents = lane.ask(client.list_agents()).await.map(agent_facts);
    let numbers = lane.ask(client.list_numbers()).await.map(number_facts);
    RetellFacts {
        concurrency: observe(concurrency),
        agents: observe(agents),
        numbers: observe(numbers),
    }
}

fn not_asked_facts(not_asked: &Observed<()>) -> RetellFacts {
    RetellFacts {
        concurrency: same_as(not_asked),
        agents: same_as(not_asked),
        numbers: same_as(not_asked),
    }
}

pub(crate) fn concurrency_facts(reply: Concurrency) -> Result<RetellConcurrency, Failure> {
    let Some(limit) = reply.concurrency_limit else {
        return Err(Failure::new(
            FailureKind::Other,
            "get-concurrency answered without concurrency_limit",
        ));
    };
    Ok(RetellConcurrency {
        current: reply.current_concurrency.unwrap_or(0),
        limit,
        reserved_inbound: reply.reserved_inbound_concurrency.unwrap_or(0),
    })
}

pub(crate) fn agent_facts(agents: Vec<AgentSummary>) -> Vec<RetellAgent> {
    agents
        .into_iter()
        .map(|agent| RetellAgent {
            agent_id: agent.agent_id,
            name: agent.agent_name,
            // List items do not carry it; the rule falls back to retell_agents.
            webhook_url: None,
        })
        .collect()
}

pub(crate) fn number_facts(numbers: Vec<PhoneNumber>) -> Vec<RetellNumber> {
    numbers.iter().map(number_fact).collect()
}

fn number_fact(number: &PhoneNumber) -> RetellNumber {
    let ids = |agents: &[launchdeck_providers::retell::WeightedAgent]| {
        agents.iter().map(|a| a.agent_id.clone()).collect()
    };
    RetellNumber {
        phone_number: number.phone_number.clone(),
        number_type: number
            .phone_number_type
            .as_ref()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        inbound_agent_ids: ids(&number.inbound_agents),
        outbound_agent_ids: ids(&number.outbound_agents),
        deprecated_inbound_agent_id: number.inbound_agent_id.clone(),
        deprecated_outbound_agent_id: number.outbound_agent_id.clone(),
        termination_uri: number.termination_uri().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_both_agent_generations_and_the_nested_uri() {
        let number: PhoneNumber = serde_json::from_str(
            r#"{"phone_number":"+14155550123","phone_number_type":"custom",
                "inbound_agents":[{"agent_id":"agent_in","weight":1}],
                "outbound_agents":null,"outbound_agent_id":"agent_old",
                "sip_outbound_trunk_config":{"termination_uri":"tk1.pstn.twilio.com"},
                "termination_uri":"legacy.example"}"#,
        )
        .expect("number");
        let fact = number_fact(&number);
        assert_eq!(fact.number_type, "custom");
        assert_eq!(fact.inbound_agent_ids, vec!["agent_in"]);
        assert!(fact.outbound_agent_ids.is_empty());
        assert_eq!(fact.outbound_agents(), vec!["agent_old"]);
        assert_eq!(fact.termination_uri.as_deref(), Some("tk1.pstn.twilio.com"));
    }

    #[test]
    fn concurrency_needs_a_limit() {
        let reply: Concurrency = serde_json::from_str(
            r#"{"current_concurrency":3,"concurrency_limit":20,"reserved_inbound_concurrency":2}"#,
        )
        .expect("concurrency");
        let facts = concurrency_facts(reply).expect("facts");
        assert_eq!(facts.headroom(), 15);
        let reply: Concurrency = serde_json::from_str(r#"{"current_concurrency":3}"#).unwrap();
        assert_eq!(
            concurrency_facts(reply).map_err(|f| f.kind),
            Err(FailureKind::Other)
        );
    }
}
