//! Twilio & SIP: the account is active [B] (suspended/closed fail, Trial warns); active
//! Twilio DB numbers exist in the account; SIP broadcasts have an active trunk; each
//! active trunk exists at Twilio, terminates at the trunk's `domain_name`, carries its
//! numbers and sends inbound calls to Retell. Telnyx trunks and numbers are unknown
//! "not verified (Telnyx)", never blocking (Decision 13).

use uuid::Uuid;

use crate::domain::{PhoneNumber, SipTrunk};
use crate::readiness::rules::{
    RETELL, TWILIO, answer, broadcasts_in_focus, clean, count, database, no_database,
    number_provider, present, preview, same_number,
};
use crate::readiness::snapshot::{DatabaseFacts, Observed, Snapshot, TwilioTrunk};
use crate::readiness::{Area, Check, Status};

const AREA: Area = Area::TwilioSip;
const RETELL_SIP_HOST: &str = "sip.retellai.com";

pub fn check_twilio(snap: &Snapshot) -> Vec<Check> {
    let mut checks = vec![account(snap)];
    let Some(db) = database(snap) else {
        checks.push(no_database(snap, AREA, "twilio.database", false));
        return checks;
    };
    checks.push(numbers_in_account(snap, db));
    checks.push(sip_trunk_configured(snap, db));
    for trunk in db.sip_trunks.iter().filter(|t| t.is_active) {
        checks.extend(trunk_checks(snap, db, trunk));
    }
    checks.extend(telnyx_numbers(snap, db));
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

fn account(snap: &Snapshot) -> Check {
    let id = "twilio.account";
    let result = match &snap.twilio.account {
        Observed::NotConfigured => check(
            snap,
            id,
            Status::Fail,
            "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are not set",
        )
        .with_fix(TWILIO.credential_fix),
        observed => match answer(observed, &TWILIO) {
            Err(u) => u.into_check(snap, AREA, id),
            Ok(acct) => account_status(snap, id, &acct.status, &acct.account_type),
        },
    };
    result.blocking(true)
}

fn account_status(snap: &Snapshot, id: &str, status: &str, account_type: &str) -> Check {
    let status = status.to_ascii_lowercase();
    match status.as_str() {
        "active" if account_type.eq_ignore_ascii_case("trial") => check(
            snap,
            id,
            Status::Warn,
            "Twilio trial account: calls reach verified numbers only and play a trial notice",
        )
        .with_fix("upgrade the Twilio account (Console → Billing → Upgrade)"),
        "active" => check(
            snap,
            id,
            Status::Pass,
            format!("Twilio account active ({})", clean(account_type)),
        ),
        "suspended" | "closed" => check(
            snap,
            id,
            Status::Fail,
            format!("Twilio account is {status}: no calls can be placed"),
        )
        .with_fix("resolve the account's status in the Twilio console (billing or compliance)"),
        other => check(
            snap,
            id,
            Status::Unknown,
            format!(
                "Twilio account status '{}' is not one launchdeck knows",
                clean(other)
            ),
        )
        .with_fix("check the account in the Twilio console"),
    }
}

fn is_active_twilio_number(number: &PhoneNumber) -> bool {
    number.status == "active" && number_provider(number) == "twilio"
}

fn numbers_in_account(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "twilio.numbers_in_account";
    let ours: Vec<&PhoneNumber> = db
        .phone_numbers
        .iter()
        .filter(|n| is_active_twilio_number(n))
        .collect();
    if ours.is_empty() {
        return check(
            snap,
            id,
            Status::Pass,
            "no active Twilio numbers in phone_numbers",
        );
    }
    let incoming = match answer(&snap.twilio.incoming_numbers, &TWILIO) {
        Ok(incoming) => incoming,
        Err(u) => return u.into_check(snap, AREA, id),
    };
    let missing: Vec<String> = ours
        .iter()
        .filter(|n| {
            !incoming
                .iter()
                .any(|i| same_number(&i.phone_number, &n.number))
        })
        .map(|n| n.number.clone())
        .collect();
    if missing.is_empty() {
        check(
            snap,
            id,
            Status::Pass,
            format!(
                "every active Twilio number is in the account ({})",
                count(ours.len(), "number")
            ),
        )
    } else {
        check(
            snap,
            id,
            Status::Fail,
            format!(
                "active Twilio numbers missing from the account's incoming numbers: {}",
                preview(&missing, 4)
            ),
        )
        .with_fix("buy or port these numbers into this Twilio account, or check TWILIO_ACCOUNT_SID is the right account")
    }
}

/// Active with either a Twilio trunk SID and termination URI, or a Telnyx connection.
fn is_usable_trunk(trunk: &SipTrunk) -> bool {
    trunk.is_active
        && ((present(&trunk.twilio_trunk_sid).is_some()
            && present(&trunk.twilio_termination_uri).is_some())
            || present(&trunk.telnyx_connection_id).is_some())
}

fn sip_trunk_configured(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "twilio.sip_trunk_configured";
    let sip_broadcasts: Vec<_> = broadcasts_in_focus(snap, db)
        .into_iter()
        .filter(|b| b.use_sip_trunk)
        .collect();
    if sip_broadcasts.is_empty() {
        return check(snap, id, Status::Pass, "no broadcast uses the SIP trunk");
    }
    let without: Vec<String> = sip_broadcasts
        .iter()
        .filter(|b| {
            !db.sip_trunks
                .iter()
                .any(|t| t.user_id == b.user_id && is_usable_trunk(t))
        })
        .map(|b| format!("'{}'", clean(&b.name)))
        .collect();
    if without.is_empty() {
        check(
            snap,
            id,
            Status::Pass,
            format!(
                "every SIP broadcast has an active trunk ({})",
                count(sip_broadcasts.len(), "broadcast")
            ),
        )
    } else {
        check(
            snap,
            id,
            Status::Fail,
            format!(
                "broadcasts using the SIP trunk whose owner has no usable active sip_trunk_configs row: {}",
                preview(&without, 3)
            ),
        )
        .with_fix("add an active sip_trunk_configs row (twilio_trunk_sid + twilio_termination_uri) for the owner, or turn off use_sip_trunk")
    }
}

enum TrunkKind {
    Twilio,
    Telnyx,
    Unusable,
}

fn trunk_kind(trunk: &SipTrunk) -> TrunkKind {
    if present(&trunk.twilio_trunk_sid).is_some() || trunk.provider_type == "twilio" {
        TrunkKind::Twilio
    } else if present(&trunk.telnyx_connection_id).is_some() || trunk.provider_type == "telnyx" {
        TrunkKind::Telnyx
    } else {
        TrunkKind::Unusable
    }
}

fn trunk_checks(snap: &Snapshot, db: &DatabaseFacts, trunk: &SipTrunk) -> Vec<Check> {
    let id = format!("twilio.trunk:{}", trunk.id);
    let subject = clean(&trunk.name);
    match trunk_kind(trunk) {
        TrunkKind::Telnyx => vec![
            check(
                snap,
                id,
                Status::Unknown,
                format!("trunk '{subject}' not verified (Telnyx)"),
            )
            .with_subject(subject),
        ],
        TrunkKind::Unusable => vec![
            check(
                snap,
                id,
                Status::Fail,
                format!("trunk '{subject}' has neither twilio_trunk_sid + twilio_termination_uri nor telnyx_connection_id: it cannot carry calls"),
            )
            .with_fix("fill in the trunk's Twilio SID and termination URI, or deactivate it")
            .with_subject(subject),
        ],
        TrunkKind::Twilio => twilio_trunk_checks(snap, db, trunk)
            .into_iter()
            .map(|c| c.with_subject(subject.clone()))
            .collect(),
    }
}

fn twilio_trunk_checks(snap: &Snapshot, db: &DatabaseFacts, trunk: &SipTrunk) -> Vec<Check> {
    let id = format!("twilio.trunk:{}", trunk.id);
    let name = clean(&trunk.name);
    let Some(sid) = present(&trunk.twilio_trunk_sid) else {
        return vec![
            check(snap, id, Status::Fail, format!("trunk '{name}' has no twilio_trunk_sid"))
                .with_fix("set sip_trunk_configs.twilio_trunk_sid to the trunk's TK… SID from the Twilio console"),
        ];
    };
    let trunks = match answer(&snap.twilio.trunks, &TWILIO) {
        Ok(trunks) => trunks,
        Err(u) => return vec![u.into_check(snap, AREA, id)],
    };
    let Some(at_twilio) = trunks.iter().find(|t| t.sid.eq_ignore_ascii_case(sid)) else {
        return vec![
            check(
                snap,
                id,
                Status::Fail,
                format!("trunk '{name}': {sid} does not exist in the Twilio account"),
            )
            .with_fix("correct sip_trunk_configs.twilio_trunk_sid, or create the trunk in Twilio Elastic SIP Trunking"),
        ];
    };
    vec![
        trunk_exists(snap, id, sid, at_twilio),
        termination(snap, db, trunk, at_twilio),
        carried_numbers(snap, db, trunk.id, at_twilio),
        origination(snap, trunk.id, at_twilio),
    ]
}

fn trunk_exists(snap: &Snapshot, id: String, sid: &str, at_twilio: &TwilioTrunk) -> Check {
    match present(&at_twilio.auth_type) {
        Some(auth) => check(
            snap,
            id,
            Status::Pass,
            format!("trunk {sid} exists at Twilio (auth {})", clean(auth)),
        ),
        None => check(
            snap,
            id,
            Status::Warn,
            format!("trunk {sid} has no auth type (IP ACL or credential list): its termination domain gets no traffic"),
        )
        .with_fix("attach a credential list or IP access control list to the trunk's termination in Twilio"),
    }
}

/// The host of a SIP URI or bare domain, lower-cased: `sip:Acme.pstn.twilio.com:5060;transport=tcp`
/// → `acme.pstn.twilio.com`.
pub(crate) fn sip_host(uri: &str) -> String {
    let lower = uri.trim().to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("sips:")
        .or_else(|| lower.strip_prefix("sip:"))
        .unwrap_or(&lower);
    let host_part = without_scheme.split([';', '/', '?']).next().unwrap_or("");
    let host = host_part.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    host.trim_end_matches('.').to_string()
}

fn termination(snap: &Snapshot, db: &DatabaseFacts, trunk: &SipTrunk, at: &TwilioTrunk) -> Check {
    let id = format!("twilio.trunk_termination:{}", trunk.id);
    let Some(domain) = present(&at.domain_name).map(sip_host) else {
        return check(
            snap,
            id,
            Status::Warn,
            format!("Twilio reports no domain_name for trunk {}", clean(&at.sid)),
        )
        .with_fix("set a termination domain on the trunk in Twilio Elastic SIP Trunking");
    };
    let mut problems = Vec::new();
    match present(&trunk.twilio_termination_uri) {
        None => problems.push("sip_trunk_configs.twilio_termination_uri is empty".to_string()),
        Some(uri) if sip_host(uri) != domain => problems.push(format!(
            "sip_trunk_configs.twilio_termination_uri '{}' does not match the trunk's domain_name '{domain}'",
            clean(uri)
        )),
        Some(_) => {}
    }
    problems.extend(retell_uri_mismatches(snap, db, trunk.id, &domain));
    if problems.is_empty() {
        return check(
            snap,
            id,
            Status::Pass,
            format!("termination URI matches the trunk's domain_name {domain}"),
        );
    }
    check(snap, id, Status::Fail, preview(&problems, 2)).with_fix(format!(
        "set the termination URI to '{domain}' (sip_trunk_configs.twilio_termination_uri and the Retell numbers on this trunk)"
    ))
}

/// Retell numbers carried by this trunk whose termination URI points elsewhere.
fn retell_uri_mismatches(
    snap: &Snapshot,
    db: &DatabaseFacts,
    trunk_id: Uuid,
    domain: &str,
) -> Vec<String> {
    let Ok(retell_numbers) = answer(&snap.retell.numbers, &RETELL) else {
        return Vec::new();
    };
    db.phone_numbers
        .iter()
        .filter(|n| n.sip_trunk_config_id == Some(trunk_id))
        .filter_map(|n| {
            retell_numbers
                .iter()
                .find(|r| same_number(&r.phone_number, &n.number))
        })
        .filter_map(|r| {
            let uri = present(&r.termination_uri)?;
            (sip_host(uri) != domain).then(|| {
                format!(
                    "Retell number {} terminates at '{}', not '{domain}'",
                    r.phone_number,
                    clean(uri)
                )
            })
        })
        .collect()
}

fn carried_numbers(snap: &Snapshot, db: &DatabaseFacts, trunk_id: Uuid, at: &TwilioTrunk) -> Check {
    let id = format!("twilio.trunk_numbers:{trunk_id}");
    let expected: Vec<&PhoneNumber> = db
        .phone_numbers
        .iter()
        .filter(|n| n.sip_trunk_config_id == Some(trunk_id))
        .collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|n| {
            !at.numbers
                .iter()
                .any(|attached| same_number(attached, &n.number))
        })
        .map(|n| n.number.clone())
        .collect();
    if missing.is_empty() {
        return check(
            snap,
            id,
            Status::Pass,
            format!(
                "every number assigned to the trunk is attached to it ({})",
                count(expected.len(), "number")
            ),
        );
    }
    check(
        snap,
        id,
        Status::Fail,
        format!(
            "numbers assigned to trunk {} but not attached to it at Twilio: {}",
            clean(&at.sid),
            preview(&missing, 4)
        ),
    )
    .with_fix(format!(
        "attach them in Twilio (Elastic SIP Trunking → {} → Numbers)",
        clean(&at.sid)
    ))
}

fn origination(snap: &Snapshot, trunk_id: Uuid, at: &TwilioTrunk) -> Check {
    let id = format!("twilio.trunk_origination:{trunk_id}");
    let to_retell = at
        .origination_urls
        .iter()
        .any(|u| u.enabled && sip_host(&u.sip_url) == RETELL_SIP_HOST);
    if to_retell {
        return check(
            snap,
            id,
            Status::Pass,
            format!("an enabled origination URL sends calls to {RETELL_SIP_HOST}"),
        );
    }
    check(
        snap,
        id,
        Status::Warn,
        format!(
            "no enabled origination URL targets {RETELL_SIP_HOST}: inbound calls on trunk {} will not reach Retell",
            clean(&at.sid)
        ),
    )
    .with_fix(format!(
        "add the origination URL sip:{RETELL_SIP_HOST} to the trunk in Twilio"
    ))
}

fn telnyx_numbers(snap: &Snapshot, db: &DatabaseFacts) -> Option<Check> {
    let telnyx: Vec<String> = db
        .phone_numbers
        .iter()
        .filter(|n| n.status == "active" && number_provider(n) == "telnyx")
        .map(|n| n.number.clone())
        .collect();
    (!telnyx.is_empty()).then(|| {
        check(
            snap,
            "twilio.telnyx_numbers",
            Status::Unknown,
            format!(
                "{} not verified (Telnyx): {}",
                count(telnyx.len(), "Telnyx number"),
                preview(&telnyx, 3)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture::{self, NUMBER_4, TRUNK, TRUNK_DOMAIN};
    use crate::readiness::snapshot::{FailureKind, TwilioAccount};

    fn find(snap: &Snapshot, id: &str) -> Check {
        check_twilio(snap)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id} in {:#?}", check_twilio(snap)))
    }

    fn trunk_at_twilio(snap: &mut Snapshot) -> &mut TwilioTrunk {
        match &mut snap.twilio.trunks {
            Observed::Ok(trunks) => &mut trunks[0],
            _ => panic!("fixture trunks"),
        }
    }

    #[test]
    fn healthy_twilio_passes() {
        let checks = check_twilio(&fixture::healthy());
        let bad: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn account_table() {
        let cases = [
            ("active", "Full", Status::Pass),
            ("active", "Trial", Status::Warn),
            ("suspended", "Full", Status::Fail),
            ("closed", "Full", Status::Fail),
            ("weird", "Full", Status::Unknown),
        ];
        for (status, account_type, want) in cases {
            let mut snap = fixture::healthy();
            snap.twilio.account = Observed::Ok(TwilioAccount {
                status: status.into(),
                account_type: account_type.into(),
            });
            let check = find(&snap, "twilio.account");
            assert_eq!(check.status, want, "{status} {account_type}");
            assert!(check.blocking);
        }
        let mut snap = fixture::healthy();
        snap.twilio.account = Observed::failed(FailureKind::Unauthorized, "Authenticate");
        assert_eq!(find(&snap, "twilio.account").status, Status::Fail);
        snap.twilio.account = Observed::failed(FailureKind::Timeout, "");
        assert_eq!(find(&snap, "twilio.account").status, Status::Unknown);
        snap.twilio.account = Observed::NotConfigured;
        assert_eq!(find(&snap, "twilio.account").status, Status::Fail);
    }

    #[test]
    fn sip_hosts_normalise() {
        assert_eq!(
            sip_host("sip:Acme.pstn.twilio.com:5060;transport=tcp"),
            "acme.pstn.twilio.com"
        );
        assert_eq!(sip_host("acme.pstn.twilio.com."), "acme.pstn.twilio.com");
        assert_eq!(sip_host("sip:user@sip.retellai.com"), "sip.retellai.com");
    }

    #[test]
    fn termination_uri_mismatch_with_domain_fails() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).sip_trunks[0].twilio_termination_uri =
            Some("other.pstn.twilio.com".into());
        let check = find(&snap, &format!("twilio.trunk_termination:{TRUNK}"));
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.reason.contains("other.pstn.twilio.com"),
            "{}",
            check.reason
        );
        assert!(check.fix.unwrap_or_default().contains(TRUNK_DOMAIN));
    }

    #[test]
    fn domain_unlike_the_sid_is_the_truth() {
        // A trunk the platform did not create: its domain is not <sid>.pstn.twilio.com.
        let mut snap = fixture::healthy();
        trunk_at_twilio(&mut snap).domain_name = Some("acme.pstn.twilio.com".into());
        let check = find(&snap, &format!("twilio.trunk_termination:{TRUNK}"));
        assert_eq!(check.status, Status::Fail);
        fixture::db(&mut snap).sip_trunks[0].twilio_termination_uri =
            Some("sip:acme.pstn.twilio.com".into());
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            for n in numbers.iter_mut().filter(|n| n.phone_number == NUMBER_4) {
                n.termination_uri = Some("acme.pstn.twilio.com".into());
            }
        }
        assert_eq!(
            find(&snap, &format!("twilio.trunk_termination:{TRUNK}")).status,
            Status::Pass
        );
    }

    #[test]
    fn retell_number_on_the_trunk_with_another_uri_fails() {
        let mut snap = fixture::healthy();
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            for n in numbers.iter_mut().filter(|n| n.phone_number == NUMBER_4) {
                n.termination_uri = Some("old.pstn.twilio.com".into());
            }
        }
        let check = find(&snap, &format!("twilio.trunk_termination:{TRUNK}"));
        assert_eq!(check.status, Status::Fail);
        assert!(check.reason.contains(NUMBER_4));
    }

    #[test]
    fn trunk_missing_unattached_number_and_origination() {
        let mut snap = fixture::healthy();
        trunk_at_twilio(&mut snap).numbers.clear();
        trunk_at_twilio(&mut snap).origination_urls[0].enabled = false;
        assert_eq!(
            find(&snap, &format!("twilio.trunk_numbers:{TRUNK}")).status,
            Status::Fail
        );
        assert_eq!(
            find(&snap, &format!("twilio.trunk_origination:{TRUNK}")).status,
            Status::Warn
        );

        trunk_at_twilio(&mut snap).sid = "TKother".into();
        let check = find(&snap, &format!("twilio.trunk:{TRUNK}"));
        assert_eq!(check.status, Status::Fail);
        assert!(check.reason.contains("does not exist"));
    }

    #[test]
    fn empty_auth_type_warns() {
        let mut snap = fixture::healthy();
        trunk_at_twilio(&mut snap).auth_type = Some(String::new());
        assert_eq!(
            find(&snap, &format!("twilio.trunk:{TRUNK}")).status,
            Status::Warn
        );
    }

    #[test]
    fn telnyx_is_unknown_and_never_blocking() {
        let mut snap = fixture::healthy();
        let db = fixture::db(&mut snap);
        db.sip_trunks[0].provider_type = "telnyx".into();
        db.sip_trunks[0].twilio_trunk_sid = None;
        db.sip_trunks[0].telnyx_connection_id = Some("conn_1".into());
        db.phone_numbers
            .push(fixture::phone("+14155550109", "telnyx", false));
        let checks = check_twilio(&snap);
        let trunk = checks
            .iter()
            .find(|c| c.id == format!("twilio.trunk:{TRUNK}"))
            .unwrap();
        assert_eq!((trunk.status, trunk.blocking), (Status::Unknown, false));
        assert!(trunk.reason.contains("not verified (Telnyx)"));
        let numbers = checks
            .iter()
            .find(|c| c.id == "twilio.telnyx_numbers")
            .unwrap();
        assert_eq!((numbers.status, numbers.blocking), (Status::Unknown, false));
        assert!(numbers.reason.contains("not verified (Telnyx)"));
    }

    #[test]
    fn sip_broadcast_without_trunk_fails() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).sip_trunks[0].is_active = false;
        assert_eq!(
            find(&snap, "twilio.sip_trunk_configured").status,
            Status::Fail
        );
        fixture::db(&mut snap).broadcasts[0].use_sip_trunk = false;
        assert_eq!(
            find(&snap, "twilio.sip_trunk_configured").status,
            Status::Pass
        );
    }

    #[test]
    fn twilio_number_missing_from_account() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap)
            .phone_numbers
            .push(fixture::phone("+14155550188", "twilio", false));
        let check = find(&snap, "twilio.numbers_in_account");
        assert_eq!(check.status, Status::Fail);
        assert!(check.reason.contains("+14155550188"));
    }
}
