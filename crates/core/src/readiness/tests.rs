//! Report-level tests: readiness, summary and the `check --json` shape.

use super::rules::fixture;
use super::*;

#[test]
fn healthy_snapshot_is_ready_with_every_check_passing() {
    let report = run_all(&fixture::healthy());
    let not_passing: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert!(report.ready());
    assert!(!report.has_issues());
    // every area reports something
    for area in Area::ALL {
        assert!(
            report.in_area(area).next().is_some(),
            "{area} has no checks"
        );
    }
}

#[test]
fn check_ids_are_unique_and_prefixed() {
    let report = run_all(&fixture::healthy());
    let mut ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "duplicate check ids");
    let prefixes = [
        "environment.",
        "database.",
        "retell.",
        "twilio.",
        "numbers.",
        "broadcast.",
        "campaign.",
        "calendar.",
        "elevenlabs.",
        "safety.",
    ];
    for check in &report.checks {
        assert!(
            prefixes.iter().any(|p| check.id.starts_with(p)),
            "{}",
            check.id
        );
    }
}

fn one(status: Status, blocking: bool) -> Check {
    Check::new(Area::Retell, "retell.x", status, "r", fixture::now()).blocking(blocking)
}

#[test]
fn readiness_table() {
    // (checks, ready)
    let cases = [
        (vec![one(Status::Pass, true)], true),
        (vec![one(Status::Warn, true)], true),
        (vec![one(Status::Fail, false)], true),
        (vec![one(Status::Unknown, false)], true),
        (vec![one(Status::Fail, true)], false),
        (vec![one(Status::Unknown, true)], false),
        (
            vec![one(Status::Pass, true), one(Status::Unknown, true)],
            false,
        ),
        (vec![], true),
    ];
    for (checks, ready) in cases {
        let report = Report::new(checks.clone());
        assert_eq!(report.ready(), ready, "{checks:?}");
    }
}

#[test]
fn blocking_unknown_from_a_provider_makes_the_report_not_ready() {
    let mut snap = fixture::healthy();
    snap.retell.concurrency = Observed::failed(FailureKind::Timeout, "no answer in 15 s");
    let report = run_all(&snap);
    assert!(!report.ready());
    let blockers: Vec<&str> = report.blockers().map(|c| c.id.as_str()).collect();
    assert_eq!(blockers, ["retell.api_key"]);
    assert_eq!(
        report.get("retell.api_key").map(|c| c.status),
        Some(Status::Unknown)
    );
}

#[test]
fn warnings_never_block() {
    let mut snap = fixture::healthy();
    snap.twilio.account = Observed::Ok(TwilioAccount {
        status: "active".into(),
        account_type: "Trial".into(),
    });
    let report = run_all(&snap);
    assert_eq!(
        report.get("twilio.account").map(|c| c.status),
        Some(Status::Warn)
    );
    assert!(report.ready());
    assert!(report.has_issues());
}

#[test]
fn unreachable_database_is_not_ready_and_areas_say_why() {
    let mut snap = fixture::healthy();
    snap.database = Observed::failed(FailureKind::Unavailable, "connection refused");
    let report = run_all(&snap);
    assert!(!report.ready());
    for id in [
        "numbers.database",
        "broadcast.database",
        "campaign.database",
        "calendar.database",
        "safety.database",
    ] {
        let check = report.get(id).unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(check.status, Status::Unknown, "{id}");
    }
}

#[test]
fn demo_without_safety_functions_can_be_ready() {
    let mut snap = fixture::healthy();
    let why = "the demo's SQLite database has no platform functions";
    let db = fixture::db(&mut snap);
    db.backend = "sqlite".into();
    db.missing_functions = Observed::NotApplicable(why.into());
    db.provider_safety_health = Observed::NotApplicable(why.into());
    db.reconciliation_health = Observed::NotApplicable(why.into());
    db.contact_releases
        .insert(fixture::CAMPAIGN, Observed::NotApplicable(why.into()));
    let report = run_all(&snap);
    assert!(
        report.ready(),
        "{:#?}",
        report.blockers().collect::<Vec<_>>()
    );
    for id in [
        "safety.provider_health",
        "safety.reconciliation",
        "database.safety_functions",
    ] {
        let check = report.get(id).unwrap_or_else(|| panic!("no {id}"));
        assert_eq!(
            (check.status, check.blocking),
            (Status::Unknown, false),
            "{id}"
        );
        assert!(
            check.reason.starts_with("not applicable"),
            "{id}: {}",
            check.reason
        );
    }
}

#[test]
fn summary_counts_each_status() {
    let report = Report::new(vec![
        one(Status::Pass, true),
        one(Status::Pass, false),
        one(Status::Warn, false),
        one(Status::Fail, false),
        one(Status::Unknown, false),
    ]);
    assert_eq!(
        report.summary(),
        Summary {
            pass: 2,
            warn: 1,
            fail: 1,
            unknown: 1
        }
    );
    assert_eq!(report.summary().total(), 5);
    assert_eq!(report.area_summary(Area::Retell).total(), 5);
    assert_eq!(report.area_summary(Area::Safety).total(), 0);
}

#[test]
fn json_matches_the_documented_shape() {
    let mut snap = fixture::healthy();
    fixture::db(&mut snap)
        .broadcast_stats
        .get_mut(&fixture::BROADCAST)
        .unwrap()
        .pending = 0;
    let report = run_all(&snap);
    let json = serde_json::to_value(&report).expect("serialises");
    let top: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, ["checks", "ready", "schema_version", "summary"]);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["ready"], false);
    let summary = json["summary"].as_object().unwrap();
    let mut keys: Vec<&str> = summary.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["fail", "pass", "unknown", "warn"]);
    assert_eq!(summary["fail"], 1);

    let pending = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == format!("broadcast.pending:{}", fixture::BROADCAST))
        .expect("pending check");
    for key in [
        "id",
        "area",
        "status",
        "blocking",
        "reason",
        "fix",
        "checked_at",
    ] {
        assert!(pending.get(key).is_some(), "missing {key} in {pending}");
    }
    assert_eq!(pending["area"], "broadcasts");
    assert_eq!(pending["status"], "fail");
    assert_eq!(pending["blocking"], true);
    assert_eq!(pending["checked_at"], "2026-11-24T15:00:00Z");
    assert_eq!(pending["subject"], "Spring promo");
    assert!(pending.get("action").is_none());

    // a check without a fix still carries the key, as null
    let pooler = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "database.pooler")
        .unwrap();
    assert!(pooler["fix"].is_null());
}

#[test]
fn area_ids_and_names() {
    let ids: Vec<&str> = Area::ALL.iter().map(|a| a.id()).collect();
    assert_eq!(
        ids,
        [
            "environment",
            "database",
            "retell",
            "twilio_sip",
            "numbers",
            "broadcasts",
            "campaigns",
            "calendar",
            "elevenlabs",
            "safety"
        ]
    );
    for area in Area::ALL {
        assert_eq!(serde_json::to_value(area).unwrap(), area.id());
    }
    assert_eq!(Area::TwilioSip.to_string(), "Twilio & SIP");
    assert_eq!(Area::ElevenLabs.display_name(), "ElevenLabs");
}

#[test]
fn no_secret_or_full_lead_number_in_the_report() {
    // The snapshot holds only masked secrets; make sure nothing re-expands them and that
    // provider messages are sanitised on the way into reasons.
    let mut snap = fixture::healthy();
    snap.elevenlabs = Observed::failed(FailureKind::Unauthorized, "bad\u{1b}[31m key");
    let report = run_all(&snap);
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains('\u{1b}'));
    assert!(text.contains("••••9f3c"));
}
