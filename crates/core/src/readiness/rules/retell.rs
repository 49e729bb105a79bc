//! Retell: key valid [B]; ≥1 agent [B]; agents of active campaigns exist [B]; ≥1
//! number; DB numbers exist at Retell; outbound numbers have an outbound agent [B]
//! (fix `F`); custom numbers have a termination URI; concurrency headroom and
//! `system_settings.retell_max_concurrent` within Retell's limit.

use crate::domain::PhoneNumber;
use crate::readiness::rules::{
    RETELL, Unavailable, answer, clean, count, database, no_database, present, preview,
    same_number, short_id,
};
use crate::readiness::snapshot::{
    Observed, RetellAgent, RetellConcurrency, RetellNumber, Snapshot,
};
use crate::readiness::{Area, Check, FixAction, Status};

const AREA: Area = Area::Retell;

pub fn check_retell(snap: &Snapshot) -> Vec<Check> {
    let mut checks = vec![
        api_key(snap),
        agents_exist(snap),
        campaign_agents(snap),
        numbers_exist(snap),
        db_numbers_at_retell(snap),
    ];
    checks.extend(outbound_agents(snap));
    checks.extend(termination_uris(snap));
    checks.push(concurrency(snap));
    checks.push(max_concurrent_setting(snap));
    checks
}

fn check(
    snap: &Snapshot,
    id: impl Into<String>,
    status: Status,
    reason: impl Into<String>,
) -> Check {
    Check::new(AREA, id, status, reason, snap.now)
}

fn unavailable(snap: &Snapshot, u: Unavailable, id: &str) -> Check {
    u.into_check(snap, AREA, id)
}

fn api_key(snap: &Snapshot) -> Check {
    let id = "retell.api_key";
    let result = match &snap.retell.concurrency {
        Observed::NotConfigured => check(snap, id, Status::Fail, "RETELL_AI_API_KEY is not set")
            .with_fix(RETELL.credential_fix),
        Observed::Failed { kind, message } if kind.is_rejection() => check(
            snap,
            id,
            Status::Fail,
            format!(
                "key invalid: Retell {}: {}",
                kind.describe(),
                clean(message)
            ),
        )
        .with_fix(RETELL.credential_fix),
        observed => match answer(observed, &RETELL) {
            Ok(_) => check(
                snap,
                id,
                Status::Pass,
                "API key accepted (get-concurrency answered)",
            ),
            Err(u) => unavailable(snap, u, id),
        },
    };
    result.blocking(true)
}

fn agents_exist(snap: &Snapshot) -> Check {
    let id = "retell.agents";
    let result = match answer(&snap.retell.agents, &RETELL) {
        Err(u) => unavailable(snap, u, id),
        Ok(agents) if agents.is_empty() => check(
            snap,
            id,
            Status::Fail,
            "the Retell workspace has no agents",
        )
        .with_fix(
            "create an agent in Retell, or check that the API key belongs to the right workspace",
        ),
        Ok(agents) => check(
            snap,
            id,
            Status::Pass,
            format!("{} at Retell", count(agents.len(), "agent")),
        ),
    };
    result.blocking(true)
}

fn agent_exists(agents: &[RetellAgent], agent_id: &str) -> bool {
    agents.iter().any(|a| a.agent_id == agent_id)
}

fn campaign_agents(snap: &Snapshot) -> Check {
    let id = "retell.campaign_agents";
    let Some(db) = database(snap) else {
        return no_database(snap, AREA, id, true);
    };
    let referenced: Vec<(&str, &str)> = db
        .campaigns
        .iter()
        .filter(|c| c.status == "active")
        .filter_map(|c| present(&c.agent_id).map(|agent| (c.name.as_str(), agent)))
        .collect();
    let result = match answer(&snap.retell.agents, &RETELL) {
        Err(u) => unavailable(snap, u, id),
        Ok(_) if referenced.is_empty() => check(
            snap,
            id,
            Status::Pass,
            "no active campaign references a Retell agent",
        ),
        Ok(agents) => {
            let missing: Vec<String> = referenced
                .iter()
                .filter(|(_, agent)| !agent_exists(agents, agent))
                .map(|(name, agent)| format!("{agent} (campaign '{}')", clean(name)))
                .collect();
            if missing.is_empty() {
                check(
                    snap,
                    id,
                    Status::Pass,
                    format!(
                        "every agent used by an active campaign exists ({})",
                        count(referenced.len(), "campaign")
                    ),
                )
            } else {
                check(
                    snap,
                    id,
                    Status::Fail,
                    format!("agents missing at Retell: {}", preview(&missing, 3)),
                )
                .with_fix("set each campaign's agent_id to an existing Retell agent, or restore the agent in Retell")
            }
        }
    };
    result.blocking(true)
}

fn numbers_exist(snap: &Snapshot) -> Check {
    let id = "retell.numbers";
    match answer(&snap.retell.numbers, &RETELL) {
        Err(u) => unavailable(snap, u, id),
        Ok(numbers) if numbers.is_empty() => check(
            snap,
            id,
            Status::Warn,
            "the Retell workspace has no phone numbers",
        )
        .with_fix("buy or import a number in Retell (Phone Numbers)"),
        Ok(numbers) => check(
            snap,
            id,
            Status::Pass,
            format!("{} at Retell", count(numbers.len(), "phone number")),
        ),
    }
}

fn find_at_retell<'a>(numbers: &'a [RetellNumber], e164: &str) -> Option<&'a RetellNumber> {
    numbers.iter().find(|n| same_number(&n.phone_number, e164))
}

fn has_retell_id(number: &PhoneNumber) -> bool {
    present(&number.retell_phone_id).is_some()
}

fn db_numbers_at_retell(snap: &Snapshot) -> Check {
    let id = "retell.db_numbers_at_retell";
    let Some(db) = database(snap) else {
        return no_database(snap, AREA, id, false);
    };
    let linked: Vec<&PhoneNumber> = db
        .phone_numbers
        .iter()
        .filter(|n| has_retell_id(n))
        .collect();
    match answer(&snap.retell.numbers, &RETELL) {
        Err(u) => unavailable(snap, u, id),
        Ok(numbers) => {
            let missing: Vec<String> = linked
                .iter()
                .filter(|n| find_at_retell(numbers, &n.number).is_none())
                .map(|n| n.number.clone())
                .collect();
            if missing.is_empty() {
                check(
                    snap,
                    id,
                    Status::Pass,
                    format!(
                        "every number with a retell_phone_id exists at Retell ({})",
                        count(linked.len(), "number")
                    ),
                )
            } else {
                check(
                    snap,
                    id,
                    Status::Fail,
                    format!(
                        "phone_numbers with a retell_phone_id not found at Retell: {}",
                        preview(&missing, 4)
                    ),
                )
                .with_fix("import these numbers into Retell (Phone Numbers → import), or stop using them for Retell calls")
            }
        }
    }
}

/// A DB number the platform can dial Retell calls from: linked to Retell, active,
/// not inbound-only and not reserved for SMS.
fn used_for_outbound(number: &PhoneNumber) -> bool {
    has_retell_id(number)
        && number.status == "active"
        && number.call_direction != "inbound"
        && number.purpose.as_deref() != Some("sms_only")
}

fn outbound_agents(snap: &Snapshot) -> Vec<Check> {
    let id = "retell.number_outbound_agent";
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, id, true)];
    };
    let numbers = match answer(&snap.retell.numbers, &RETELL) {
        Ok(numbers) => numbers,
        Err(u) => return vec![unavailable(snap, u, id).blocking(true)],
    };
    let checks: Vec<Check> = db
        .phone_numbers
        .iter()
        .filter(|n| used_for_outbound(n))
        .filter_map(|n| find_at_retell(numbers, &n.number))
        .map(|number| outbound_agent(snap, number))
        .collect();
    if checks.is_empty() {
        return vec![
            check(
                snap,
                id,
                Status::Pass,
                "no Retell number is used for outbound calling",
            )
            .blocking(true),
        ];
    }
    checks
}

fn outbound_agent(snap: &Snapshot, number: &RetellNumber) -> Check {
    let e164 = number.phone_number.as_str();
    let id = format!("retell.number_outbound_agent:{e164}");
    let outbound = number.outbound_agents();
    let result = if let Some(agent) = outbound.first() {
        let via = if number
            .outbound_agent_ids
            .iter()
            .all(|a| a.trim().is_empty())
        {
            " (deprecated outbound_agent_id)"
        } else {
            ""
        };
        check(
            snap,
            id,
            Status::Pass,
            format!("{e164} calls out with agent {agent}{via}"),
        )
    } else {
        missing_outbound_agent(snap, id, number)
    };
    result.blocking(true).with_subject(e164)
}

fn missing_outbound_agent(snap: &Snapshot, id: String, number: &RetellNumber) -> Check {
    let e164 = number.phone_number.as_str();
    let inbound = number.inbound_agents().first().map(|a| a.to_string());
    let failed = check(
        snap,
        id,
        Status::Fail,
        format!(
            "{e164} has no outbound agent (neither outbound_agents nor outbound_agent_id): Retell refuses outbound calls from it"
        ),
    );
    match inbound {
        Some(agent) => failed
            .with_fix(format!(
                "press F to assign its inbound agent {agent} as outbound agent (or run `launchdeck fix-outbound-agent --number {e164}`)"
            ))
            .with_action(FixAction::AssignOutboundAgent {
                phone_number: e164.to_string(),
                agent_id: Some(agent),
            }),
        // No inbound agent to copy: the operator names one on the command line.
        None => failed.with_fix(format!(
            "it has no inbound agent to copy either: run `launchdeck fix-outbound-agent --number {e164} --agent AGENT_ID`"
        )),
    }
}

fn termination_uris(snap: &Snapshot) -> Vec<Check> {
    let Some(numbers) = snap.retell.numbers.ok() else {
        return Vec::new();
    };
    numbers
        .iter()
        .filter(|n| n.is_custom())
        .map(|n| termination_uri(snap, n))
        .collect()
}

fn termination_uri(snap: &Snapshot, number: &RetellNumber) -> Check {
    let e164 = number.phone_number.as_str();
    let id = format!("retell.number_termination_uri:{e164}");
    let result = match present(&number.termination_uri) {
        Some(uri) => check(
            snap,
            id,
            Status::Pass,
            format!("custom number {e164} terminates at {}", clean(uri)),
        ),
        None => check(
            snap,
            id,
            Status::Fail,
            format!("custom number {e164} has no termination URI: Retell cannot route its outbound calls"),
        )
        .with_fix("set the number's termination URI in Retell to its SIP trunk's domain (for Twilio: <trunk sid lowercased>.pstn.twilio.com)"),
    };
    result.with_subject(e164)
}

/// get-concurrency's answer for the checks after `retell.api_key`: a rejected key is
/// reported once, there; here it only means "not checked".
fn concurrency_answer(snap: &Snapshot) -> Result<&RetellConcurrency, Unavailable> {
    match &snap.retell.concurrency {
        Observed::Failed { kind, .. } if kind.is_rejection() => Err(Unavailable {
            status: Status::Unknown,
            reason: "not checked: Retell rejected the API key (see retell.api_key)".into(),
            fix: Some(RETELL.credential_fix.to_string()),
        }),
        observed => answer(observed, &RETELL),
    }
}

fn concurrency(snap: &Snapshot) -> Check {
    let id = "retell.concurrency";
    match concurrency_answer(snap) {
        Err(u) => unavailable(snap, u, id),
        Ok(c) => {
            let figures = format!(
                "{} in use of {} ({} reserved for inbound)",
                c.current, c.limit, c.reserved_inbound
            );
            if c.headroom() > 0 {
                check(
                    snap,
                    id,
                    Status::Pass,
                    format!("outbound headroom {}: {figures}", c.headroom()),
                )
            } else {
                check(
                    snap,
                    id,
                    Status::Warn,
                    format!("no outbound concurrency headroom: {figures}; new calls end with concurrency_limit_reached"),
                )
                .with_fix("wait for calls to finish, lower the pacing, or raise the Retell concurrency limit")
            }
        }
    }
}

fn max_concurrent_setting(snap: &Snapshot) -> Check {
    let id = "retell.max_concurrent_setting";
    let Some(db) = database(snap) else {
        return no_database(snap, AREA, id, false);
    };
    let limit = match concurrency_answer(snap) {
        Ok(c) => c.limit,
        Err(u) => return unavailable(snap, u, id),
    };
    let above: Vec<String> = db
        .retell_max_concurrent
        .iter()
        .filter(|(_, value)| i64::from(**value) > limit)
        .map(|(user, value)| format!("{value} (user {})", short_id(user)))
        .collect();
    if above.is_empty() {
        check(
            snap,
            id,
            Status::Pass,
            format!("system_settings.retell_max_concurrent is within Retell's limit {limit}"),
        )
    } else {
        check(
            snap,
            id,
            Status::Warn,
            format!(
                "system_settings.retell_max_concurrent above Retell's limit {limit}: {}",
                preview(&above, 3)
            ),
        )
        .with_fix(format!(
            "lower system_settings.retell_max_concurrent to at most {limit}, or raise the Retell concurrency limit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture::{self, AGENT, NUMBER_1, NUMBER_4};
    use crate::readiness::snapshot::FailureKind;

    fn find(snap: &Snapshot, id: &str) -> Check {
        check_retell(snap)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    fn with_number_1(snap: &mut Snapshot, change: impl FnOnce(&mut RetellNumber)) {
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            let number = numbers
                .iter_mut()
                .find(|n| n.phone_number == NUMBER_1)
                .expect("fixture number");
            change(number);
        }
    }

    #[test]
    fn healthy_retell_passes() {
        let checks = check_retell(&fixture::healthy());
        let bad: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn outbound_agent_table() {
        /// (outbound list, deprecated outbound id, inbound list, status, fix agent)
        type Case<'a> = (
            &'a [&'a str],
            Option<&'a str>,
            &'a [&'a str],
            Status,
            Option<&'a str>,
        );
        let cases: [Case; 5] = [
            (&[AGENT], None, &[AGENT], Status::Pass, None),
            (&[], Some("agent_old"), &[AGENT], Status::Pass, None),
            (&[""], Some("agent_old"), &[], Status::Pass, None),
            (&[], None, &["agent_in"], Status::Fail, Some("agent_in")),
            (&[], None, &[], Status::Fail, None),
        ];
        for (outbound, deprecated, inbound, status, fix_agent) in cases {
            let mut snap = fixture::healthy();
            with_number_1(&mut snap, |n| {
                n.outbound_agent_ids = outbound.iter().map(|s| s.to_string()).collect();
                n.deprecated_outbound_agent_id = deprecated.map(str::to_string);
                n.inbound_agent_ids = inbound.iter().map(|s| s.to_string()).collect();
            });
            let check = find(&snap, &format!("retell.number_outbound_agent:{NUMBER_1}"));
            assert_eq!(
                check.status, status,
                "{outbound:?} {deprecated:?} {inbound:?}"
            );
            assert!(check.blocking);
            if status == Status::Fail {
                let fix = check.fix.clone().unwrap_or_default();
                let action = fix_agent.map(|agent| FixAction::AssignOutboundAgent {
                    phone_number: NUMBER_1.into(),
                    agent_id: Some(agent.to_string()),
                });
                assert_eq!(check.action, action);
                match fix_agent {
                    Some(agent) => {
                        assert!(fix.starts_with("press F"), "{fix}");
                        assert!(fix.contains(&format!("inbound agent {agent}")), "{fix}");
                    }
                    // Nothing to copy: only the command, which takes the agent, is named.
                    None => assert!(
                        fix.contains("launchdeck fix-outbound-agent --number")
                            && fix.contains("--agent AGENT_ID")
                            && !fix.contains("press F"),
                        "{fix}"
                    ),
                }
            }
        }
    }

    #[test]
    fn deprecated_only_is_named_in_the_reason() {
        let mut snap = fixture::healthy();
        with_number_1(&mut snap, |n| {
            n.outbound_agent_ids.clear();
            n.deprecated_outbound_agent_id = Some("agent_old".into());
        });
        let check = find(&snap, &format!("retell.number_outbound_agent:{NUMBER_1}"));
        assert!(
            check.reason.contains("deprecated outbound_agent_id"),
            "{}",
            check.reason
        );
    }

    #[test]
    fn inbound_only_numbers_are_not_checked_for_outbound_agents() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap)
            .phone_numbers
            .iter_mut()
            .for_each(|n| n.call_direction = "inbound".into());
        with_number_1(&mut snap, |n| n.outbound_agent_ids.clear());
        let check = find(&snap, "retell.number_outbound_agent");
        assert_eq!(check.status, Status::Pass);
    }

    #[test]
    fn key_check_table() {
        let cases = [
            (Observed::NotConfigured, Status::Fail),
            (
                Observed::failed(FailureKind::Unauthorized, "API key is missing or invalid."),
                Status::Fail,
            ),
            (
                Observed::failed(FailureKind::Forbidden, "Forbidden"),
                Status::Fail,
            ),
            (
                Observed::failed(FailureKind::Unavailable, "could not connect"),
                Status::Unknown,
            ),
            (
                Observed::failed(FailureKind::RateLimited, "throttle"),
                Status::Unknown,
            ),
            (
                Observed::failed(FailureKind::BreakerOpen, ""),
                Status::Unknown,
            ),
        ];
        for (observed, status) in cases {
            let mut snap = fixture::healthy();
            snap.retell.concurrency = observed.clone();
            let check = find(&snap, "retell.api_key");
            assert_eq!(check.status, status, "{observed:?}");
            assert!(check.blocking);
        }
        let mut snap = fixture::healthy();
        snap.retell.concurrency = Observed::failed(FailureKind::Unauthorized, "bad");
        // the rejected key is reported once; the headroom checks only say "not checked"
        for id in ["retell.concurrency", "retell.max_concurrent_setting"] {
            assert_eq!(find(&snap, id).status, Status::Unknown, "{id}");
        }
        assert!(
            find(&snap, "retell.api_key")
                .reason
                .starts_with("key invalid")
        );
    }

    #[test]
    fn agents_and_campaign_agents() {
        let mut snap = fixture::healthy();
        snap.retell.agents = Observed::Ok(Vec::new());
        assert_eq!(find(&snap, "retell.agents").status, Status::Fail);
        let missing = find(&snap, "retell.campaign_agents");
        assert_eq!((missing.status, missing.blocking), (Status::Fail, true));
        assert!(missing.reason.contains(AGENT), "{}", missing.reason);

        snap.retell.agents = Observed::failed(FailureKind::Timeout, "");
        assert_eq!(find(&snap, "retell.agents").status, Status::Unknown);
        assert_eq!(
            find(&snap, "retell.campaign_agents").status,
            Status::Unknown
        );
    }

    #[test]
    fn db_number_missing_at_retell() {
        let mut snap = fixture::healthy();
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            numbers.retain(|n| n.phone_number != NUMBER_1);
        }
        let check = find(&snap, "retell.db_numbers_at_retell");
        assert_eq!(check.status, Status::Fail);
        assert!(check.reason.contains(NUMBER_1));
    }

    #[test]
    fn custom_number_without_termination_uri() {
        let mut snap = fixture::healthy();
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            numbers.iter_mut().for_each(|n| n.termination_uri = None);
        }
        let check = find(&snap, &format!("retell.number_termination_uri:{NUMBER_4}"));
        assert_eq!(check.status, Status::Fail);
        // only custom numbers are checked
        assert!(
            check_retell(&snap)
                .iter()
                .all(|c| c.id != format!("retell.number_termination_uri:{NUMBER_1}"))
        );
    }

    #[test]
    fn concurrency_headroom_and_setting() {
        let cases = [
            (
                RetellConcurrency {
                    current: 19,
                    limit: 20,
                    reserved_inbound: 0,
                },
                Status::Pass,
            ),
            (
                RetellConcurrency {
                    current: 20,
                    limit: 20,
                    reserved_inbound: 0,
                },
                Status::Warn,
            ),
            (
                RetellConcurrency {
                    current: 15,
                    limit: 20,
                    reserved_inbound: 5,
                },
                Status::Warn,
            ),
            // figures no real account has: no overflow
            (
                RetellConcurrency {
                    current: -1,
                    limit: i64::MAX,
                    reserved_inbound: 0,
                },
                Status::Pass,
            ),
            (
                RetellConcurrency {
                    current: 1,
                    limit: i64::MIN,
                    reserved_inbound: 1,
                },
                Status::Warn,
            ),
        ];
        for (c, status) in cases {
            let mut snap = fixture::healthy();
            snap.retell.concurrency = Observed::Ok(c);
            assert_eq!(find(&snap, "retell.concurrency").status, status, "{c:?}");
        }
        let mut snap = fixture::healthy();
        fixture::db(&mut snap)
            .retell_max_concurrent
            .insert(fixture::USER, 20);
        assert_eq!(
            find(&snap, "retell.max_concurrent_setting").status,
            Status::Pass
        );
        fixture::db(&mut snap)
            .retell_max_concurrent
            .insert(fixture::USER, 21);
        let check = find(&snap, "retell.max_concurrent_setting");
        assert_eq!((check.status, check.blocking), (Status::Warn, false));
        assert!(check.reason.contains("21"));
    }
}
