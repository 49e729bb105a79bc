//! Twilio: the account and its incoming numbers; then the Elastic SIP trunks the
//! database's `sip_trunk_configs` rows reference, with their numbers and origination
//! URLs.

use std::collections::BTreeSet;

use launchdeck_core::domain::SipTrunk;
use launchdeck_core::readiness::{
    Observed, OriginationUrl, TwilioAccount, TwilioIncomingNumber, TwilioTrunk,
};
use launchdeck_providers::TwilioClient;
use launchdeck_providers::twilio::{Account, IncomingNumber, Trunk};

use super::clients::Client;
use super::lane::{Failure, Lane, observe, same_as};

/// The account and the incoming numbers.
pub(crate) struct AccountFacts {
    pub account: Observed<TwilioAccount>,
    pub incoming_numbers: Observed<Vec<TwilioIncomingNumber>>,
}

pub(crate) async fn gather_account(client: Client<TwilioClient>, lane: Lane) -> AccountFacts {
    let client = match client.ready::<()>() {
        Ok(client) => client,
        Err(not_asked) => {
            return AccountFacts {
                account: same_as(&not_asked),
                incoming_numbers: same_as(&not_asked),
            };
        }
    };
    let account = lane.ask(client.fetch_account()).await.map(account_fact);
    if let Err(failure) = &account {
        return AccountFacts {
            account: failure.observed(),
            incoming_numbers: failure.observed(),
        };
    }
    let incoming = lane
        .ask(client.list_incoming_numbers())
        .await
        .map(|numbers| numbers.iter().map(incoming_fact).collect());
    AccountFacts {
        account: observe(account),
        incoming_numbers: observe(incoming),
    }
}

/// The Twilio trunk SIDs that active `sip_trunk_configs` rows name.
pub(crate) fn referenced_trunk_sids(trunks: &[SipTrunk]) -> BTreeSet<String> {
    trunks
        .iter()
        .filter(|t| t.is_active)
        .filter_map(|t| t.twilio_trunk_sid.as_deref())
        .map(str::trim)
        .filter(|sid| !sid.is_empty())
        .map(str::to_string)
        .collect()
}

/// The referenced trunks as Twilio reports them (a SID Twilio does not know is absent).
pub(crate) async fn gather_trunks(
    client: Client<TwilioClient>,
    lane: Lane,
    referenced: BTreeSet<String>,
) -> Observed<Vec<TwilioTrunk>> {
    let client = match client.ready() {
        Ok(client) => client,
        Err(not_asked) => return not_asked,
    };
    if referenced.is_empty() {
        return Observed::Ok(Vec::new());
    }
    observe(trunk_facts(&client, &lane, &referenced).await)
}

async fn trunk_facts(
    client: &TwilioClient,
    lane: &Lane,
    referenced: &BTreeSet<String>,
) -> Result<Vec<TwilioTrunk>, Failure> {
    let listed = lane.ask(client.list_trunks()).await?;
    let mut trunks = Vec::new();
    for trunk in listed.into_iter().filter(|t| is_referenced(t, referenced)) {
        let numbers = lane.ask(client.trunk_phone_numbers(&trunk.sid)).await?;
        let origination = lane.ask(client.origination_urls(&trunk.sid)).await?;
        trunks.push(TwilioTrunk {
            numbers: numbers
                .into_iter()
                .filter(|n| {
                    n.trunk_sid
                        .as_deref()
                        .is_none_or(|sid| sid.eq_ignore_ascii_case(&trunk.sid))
                })
                .map(|n| n.phone_number)
                .collect(),
            origination_urls: origination
                .into_iter()
                .map(|u| OriginationUrl {
                    sip_url: u.sip_url,
                    enabled: u.enabled.unwrap_or(false),
                })
                .collect(),
            sid: trunk.sid,
            domain_name: trunk.domain_name,
            auth_type: trunk.auth_type,
        });
    }
    Ok(trunks)
}

fn is_referenced(trunk: &Trunk, referenced: &BTreeSet<String>) -> bool {
    referenced
        .iter()
        .any(|sid| sid.eq_ignore_ascii_case(&trunk.sid))
}

pub(crate) fn account_fact(account: Account) -> TwilioAccount {
    TwilioAccount {
        status: account
            .status
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        account_type: account
            .account_type
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    }
}

fn incoming_fact(number: &IncomingNumber) -> TwilioIncomingNumber {
    TwilioIncomingNumber {
        sid: number.sid.clone(),
        phone_number: number.phone_number.clone(),
        trunk_sid: number.trunk_sid.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn trunk(sid: Option<&str>, active: bool) -> SipTrunk {
        SipTrunk {
            id: Uuid::new_v4(),
            user_id: Uuid::nil(),
            name: "t".into(),
            provider_type: "twilio".into(),
            is_active: active,
            is_default: false,
            twilio_trunk_sid: sid.map(str::to_string),
            twilio_termination_uri: None,
            telnyx_connection_id: None,
        }
    }

    #[test]
    fn only_active_rows_with_a_sid_are_referenced() {
        let rows = [
            trunk(Some(" TK1 "), true),
            trunk(Some("TK2"), false),
            trunk(None, true),
            trunk(Some(""), true),
        ];
        let sids: Vec<String> = referenced_trunk_sids(&rows).into_iter().collect();
        assert_eq!(sids, vec!["TK1"]);
    }

    #[test]
    fn the_account_reads_status_and_type_without_the_token() {
        let account: Account = serde_json::from_str(
            r#"{"sid":"AC1","status":"suspended","type":"Trial","auth_token":"never-kept"}"#,
        )
        .expect("account");
        let fact = account_fact(account);
        assert_eq!(fact.status, "suspended");
        assert_eq!(fact.account_type, "Trial");
        assert!(!format!("{fact:?}").contains("never-kept"));
    }
}
