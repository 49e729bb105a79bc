//! Safety: active contact stops (global, or matching what is being launched) [B];
//! `provider_safety_health_check()` all true; `retell_reconciliation_health_check()`
//! healthy. Functions that do not exist → unknown; the demo's SQLite → not applicable.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::domain::StopControl;
use crate::readiness::rules::{
    DATABASE, answer, broadcasts_in_focus, campaigns_in_focus, clean, database, no_database,
    preview, short_id, worst,
};
use crate::readiness::snapshot::{DatabaseFacts, Observed, ReconciliationHealth, Snapshot};
use crate::readiness::{Area, Check, FixAction, Status};

const AREA: Area = Area::Safety;

pub fn check_safety(snap: &Snapshot) -> Vec<Check> {
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, "safety.database", true)];
    };
    let mut checks = stops(snap, db);
    checks.push(provider_health(snap, db));
    checks.push(reconciliation(snap, db));
    checks
}

/// Something about to be launched, as a contact stop sees it.
struct Target {
    user_id: Uuid,
    orgs: BTreeSet<Uuid>,
    campaign_id: Option<Uuid>,
    provider: &'static str,
}

/// The organisations each user belongs to, as seen in the rows that carry both ids.
fn user_orgs(db: &DatabaseFacts) -> BTreeMap<Uuid, BTreeSet<Uuid>> {
    let mut orgs: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    let pairs = db
        .campaigns
        .iter()
        .map(|c| (c.user_id, c.organization_id))
        .chain(
            db.phone_numbers
                .iter()
                .map(|n| (n.user_id, n.organization_id)),
        )
        .chain(
            db.retell_agents
                .iter()
                .map(|a| (a.user_id, a.organization_id)),
        );
    for (user, org) in pairs {
        orgs.entry(user).or_default().insert(org);
    }
    orgs
}

fn targets(snap: &Snapshot, db: &DatabaseFacts) -> Vec<Target> {
    let orgs = user_orgs(db);
    let orgs_of = |user: &Uuid| orgs.get(user).cloned().unwrap_or_default();
    let broadcasts = broadcasts_in_focus(snap, db).into_iter().map(|b| Target {
        user_id: b.user_id,
        orgs: orgs_of(&b.user_id),
        campaign_id: None,
        provider: if b.broadcast_provider.as_deref() == Some("telnyx_ai") {
            "telnyx"
        } else {
            "twilio"
        },
    });
    let campaigns = campaigns_in_focus(snap, db).into_iter().map(|c| Target {
        user_id: c.user_id,
        orgs: BTreeSet::from([c.organization_id]),
        campaign_id: Some(c.id),
        provider: if c.provider == "telnyx" {
            "telnyx"
        } else {
            "retell"
        },
    });
    broadcasts.chain(campaigns).collect()
}

/// A stop applies to a target when every scope column it sets matches
/// (`evaluate_contact_stop`'s rule; a global stop sets none and so applies to all).
fn applies(stop: &StopControl, target: &Target) -> bool {
    stop.organization_id
        .is_none_or(|org| target.orgs.contains(&org))
        && stop.user_id.is_none_or(|user| user == target.user_id)
        && stop
            .campaign_id
            .is_none_or(|id| target.campaign_id == Some(id))
        && stop
            .provider
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case(target.provider))
}

fn stops_voice(stop: &StopControl, snap: &Snapshot) -> bool {
    matches!(stop.channel.as_str(), "all" | "voice")
        && stop.expires_at.is_none_or(|at| at > snap.now)
}

fn stops(snap: &Snapshot, db: &DatabaseFacts) -> Vec<Check> {
    let active: Vec<&StopControl> = db.stops.iter().filter(|s| stops_voice(s, snap)).collect();
    if active.is_empty() {
        return vec![
            Check::new(
                AREA,
                "safety.contact_stops",
                Status::Pass,
                "no active contact stop",
                snap.now,
            )
            .blocking(true),
        ];
    }
    let targets = targets(snap, db);
    active
        .into_iter()
        .map(|stop| stop_check(snap, stop, &targets))
        .collect()
}

fn stop_check(snap: &Snapshot, stop: &StopControl, targets: &[Target]) -> Check {
    let global = stop.scope_type == "global";
    // launchdeck's own stops are emergency stops: blocking until lifted, even when what
    // they stop is paused (and so not among the targets).
    let blocks = global || stop.created_by_launchdeck || targets.iter().any(|t| applies(stop, t));
    let since = stop.activated_at.format("%Y-%m-%d %H:%M UTC");
    let what = format!(
        "active {} stop since {since}: {}",
        clean(&stop.scope_type),
        clean(&stop.reason)
    );
    let (status, reason) = if blocks {
        (
            Status::Fail,
            format!("{what} (launches are blocked by design)"),
        )
    } else {
        (
            Status::Warn,
            format!("{what} (does not apply to what is being checked)"),
        )
    };
    // launchdeck lifts only the stops it wrote; the others are lifted where they were set.
    let (fix, action) = if stop.created_by_launchdeck {
        (
            format!(
                "launchdeck set it; when it is safe: F, or `launchdeck stop --lift {} --yes` \
                 (lifting resumes nothing)",
                stop.id
            ),
            Some(FixAction::LiftStop { stop_id: stop.id }),
        )
    } else {
        (
            "when it is safe, deactivate it in the platform (contact_stop_controls.active = \
             false): launchdeck lifts only the stops it set"
                .to_string(),
            None,
        )
    };
    let check = Check::new(
        AREA,
        format!("safety.contact_stop:{}", stop.id),
        status,
        reason,
        snap.now,
    )
    .blocking(blocks)
    .with_fix(fix)
    .with_subject(format!("{} stop {}", stop.scope_type, short_id(&stop.id)));
    match action {
        Some(action) => check.with_action(action),
        None => check,
    }
}

/// Unknown when the function is missing (or not applicable); `None` when it exists.
fn function_missing(
    snap: &Snapshot,
    db: &DatabaseFacts,
    id: &str,
    function: &str,
) -> Option<Check> {
    match &db.missing_functions {
        Observed::NotApplicable(why) => Some(Check::new(
            AREA,
            id,
            Status::Unknown,
            format!("not applicable: {}", clean(why)),
            snap.now,
        )),
        Observed::Ok(missing) if missing.iter().any(|f| f == function) => Some(
            Check::new(
                AREA,
                id,
                Status::Unknown,
                format!("{function}() does not exist in this database"),
                snap.now,
            )
            .with_fix("apply the platform's provider-safety migrations"),
        ),
        _ => None,
    }
}

fn provider_health(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "safety.provider_health";
    if let Some(check) = function_missing(snap, db, id, "provider_safety_health_check") {
        return check;
    }
    match answer(&db.provider_safety_health, &DATABASE) {
        Err(u) => u.into_check(snap, AREA, id),
        Ok(health) => {
            let not_ready: Vec<String> = health.not_ready().iter().map(|f| f.to_string()).collect();
            if not_ready.is_empty() {
                Check::new(
                    AREA,
                    id,
                    Status::Pass,
                    "provider_safety_health_check(): all ready",
                    snap.now,
                )
            } else {
                Check::new(
                    AREA,
                    id,
                    Status::Fail,
                    format!("provider_safety_health_check() not ready: {}", preview(&not_ready, 7)),
                    snap.now,
                )
                .with_fix("apply the platform's provider-safety migrations and check its dispatch configuration")
            }
        }
    }
}

fn reconciliation(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "safety.reconciliation";
    if let Some(check) = function_missing(snap, db, id, "retell_reconciliation_health_check") {
        return check;
    }
    match answer(&db.reconciliation_health, &DATABASE) {
        Err(u) => u.into_check(snap, AREA, id),
        Ok(None) => Check::new(
            AREA,
            id,
            Status::Warn,
            "retell_reconciliation_health_check() returned no row: the retell_reconciliation_runtime row is missing",
            snap.now,
        )
        .with_fix("seed the retell_reconciliation_runtime singleton row (the platform's migration does)"),
        Ok(Some(health)) => reconciliation_check(snap, id, health),
    }
}

fn reconciliation_issues(h: &ReconciliationHealth) -> Vec<(Status, String)> {
    let mut issues = Vec::new();
    if !h.contract_ready {
        issues.push((Status::Fail, "contract not ready".to_string()));
    }
    if !h.cron_scheduled || !h.cron_active {
        issues.push((
            Status::Warn,
            "cron retell-provider-reconciler not scheduled or not active".into(),
        ));
    }
    if !h.vault_configured {
        issues.push((Status::Warn, "vault secrets not configured".into()));
    }
    if !h.recent_success {
        let last = h
            .last_succeeded_at
            .map(|at| format!("last success {}", at.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_else(|| "never succeeded".into());
        issues.push((
            Status::Warn,
            format!("no success in the last 6 min ({last})"),
        ));
    }
    if h.manual_required_count > 0 {
        issues.push((
            Status::Warn,
            format!(
                "{} waiting for a person (manual_required)",
                super::count(h.manual_required_count, "job")
            ),
        ));
    }
    if h.expired_lease_count > 0 {
        issues.push((
            Status::Warn,
            super::count(h.expired_lease_count, "expired lease"),
        ));
    }
    issues
}

fn reconciliation_check(snap: &Snapshot, id: &str, h: &ReconciliationHealth) -> Check {
    let counts = format!(
        "queued {}, expired leases {}, manual_required {}",
        h.queued_count, h.expired_lease_count, h.manual_required_count
    );
    let issues = reconciliation_issues(h);
    if issues.is_empty() {
        return Check::new(
            AREA,
            id,
            Status::Pass,
            format!("reconciler healthy ({counts})"),
            snap.now,
        );
    }
    let status = worst(issues.iter().map(|(s, _)| *s));
    let described: Vec<String> = issues.into_iter().map(|(_, text)| text).collect();
    Check::new(AREA, id, status, format!("reconciler: {} ({counts})", described.join("; ")), snap.now)
        .with_fix("enable the retell-provider-reconciler cron job and resolve manual_required jobs in the platform")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture::{self, CAMPAIGN, ORG, USER};
    use crate::readiness::snapshot::{FailureKind, ProviderSafetyHealth};

    fn stop(scope: &str) -> StopControl {
        StopControl {
            id: Uuid::from_u128(0x5),
            scope_type: scope.into(),
            organization_id: None,
            user_id: None,
            campaign_id: None,
            provider: None,
            channel: "all".into(),
            reason: "maintenance".into(),
            activated_at: fixture::now() - chrono::Duration::hours(1),
            expires_at: None,
            created_by_launchdeck: false,
        }
    }

    fn find(snap: &Snapshot, id: &str) -> Check {
        check_safety(snap)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    #[test]
    fn healthy_safety_passes() {
        let checks = check_safety(&fixture::healthy());
        assert_eq!(checks.len(), 3);
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:#?}"
        );
    }

    #[test]
    fn stop_table() {
        let other = Uuid::from_u128(0x999);
        let with = |f: fn(&mut StopControl)| {
            let mut s = stop("campaign");
            f(&mut s);
            s
        };
        // (stop, blocks?)
        let cases = [
            (stop("global"), true),
            (
                StopControl {
                    organization_id: Some(ORG),
                    ..stop("organization")
                },
                true,
            ),
            (
                StopControl {
                    organization_id: Some(other),
                    ..stop("organization")
                },
                false,
            ),
            (
                StopControl {
                    user_id: Some(USER),
                    ..stop("user")
                },
                true,
            ),
            (
                StopControl {
                    campaign_id: Some(CAMPAIGN),
                    ..stop("campaign")
                },
                true,
            ),
            (
                StopControl {
                    campaign_id: Some(other),
                    ..stop("campaign")
                },
                false,
            ),
            (
                StopControl {
                    provider: Some("retell".into()),
                    ..stop("provider")
                },
                true,
            ),
            (
                StopControl {
                    provider: Some("telnyx".into()),
                    ..stop("provider")
                },
                false,
            ),
            (
                StopControl {
                    channel: "voice".into(),
                    ..stop("channel")
                },
                true,
            ),
            (
                with(|s| {
                    s.campaign_id = Some(CAMPAIGN);
                    s.expires_at = Some(fixture::now() - chrono::Duration::minutes(1));
                }),
                false,
            ),
        ];
        for (s, blocks) in cases {
            let mut snap = fixture::healthy();
            fixture::db(&mut snap).stops = vec![s.clone()];
            let checks = check_safety(&snap);
            let got = checks
                .iter()
                .find(|c| c.id.starts_with("safety.contact_stop"));
            let check = got.expect("a stop check");
            assert_eq!(check.blocks_launch(), blocks, "{s:?}: {check:?}");
        }
        // an sms-only channel stop does not stop calls
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).stops = vec![StopControl {
            channel: "sms".into(),
            ..stop("channel")
        }];
        assert_eq!(find(&snap, "safety.contact_stops").status, Status::Pass);
    }

    #[test]
    fn stop_fix_depends_on_who_created_it() {
        let mut snap = fixture::healthy();
        let mut s = stop("global");
        s.created_by_launchdeck = true;
        fixture::db(&mut snap).stops = vec![s];
        let check = find(
            &snap,
            &format!("safety.contact_stop:{}", Uuid::from_u128(0x5)),
        );
        let fix = check.fix.clone().unwrap_or_default();
        assert!(fix.starts_with("launchdeck set it"), "{fix}");
        assert!(
            fix.contains(&format!(
                "launchdeck stop --lift {} --yes",
                Uuid::from_u128(0x5)
            )),
            "{fix}"
        );
        assert_eq!(
            check.action,
            Some(FixAction::LiftStop {
                stop_id: Uuid::from_u128(0x5)
            })
        );
        assert!(check.reason.contains("blocked by design"));
        let mut theirs = stop("global");
        theirs.created_by_launchdeck = false;
        fixture::db(&mut snap).stops = vec![theirs];
        let check = find(
            &snap,
            &format!("safety.contact_stop:{}", Uuid::from_u128(0x5)),
        );
        assert_eq!(check.action, None);
        assert!(!check.fix.unwrap_or_default().contains("--lift"));
        // launchdeck's emergency stop of a campaign it paused (so not a target) blocks.
        let mut ours = stop("campaign");
        ours.campaign_id = Some(Uuid::from_u128(0x77));
        ours.created_by_launchdeck = true;
        fixture::db(&mut snap).stops = vec![ours];
        let check = find(
            &snap,
            &format!("safety.contact_stop:{}", Uuid::from_u128(0x5)),
        );
        assert_eq!((check.status, check.blocking), (Status::Fail, true));
    }

    #[test]
    fn functions_missing_or_not_applicable_are_unknown() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).missing_functions = Observed::Ok(vec![
            "provider_safety_health_check".into(),
            "retell_reconciliation_health_check".into(),
        ]);
        for id in ["safety.provider_health", "safety.reconciliation"] {
            let check = find(&snap, id);
            assert_eq!(
                (check.status, check.blocking),
                (Status::Unknown, false),
                "{id}"
            );
            assert!(check.reason.contains("does not exist"));
        }
        let db = fixture::db(&mut snap);
        db.missing_functions =
            Observed::NotApplicable("the demo's SQLite has no platform functions".into());
        db.provider_safety_health = Observed::NotApplicable("SQLite".into());
        for id in ["safety.provider_health", "safety.reconciliation"] {
            let check = find(&snap, id);
            assert_eq!(
                (check.status, check.blocking),
                (Status::Unknown, false),
                "{id}"
            );
            assert!(check.reason.starts_with("not applicable"));
        }
    }

    #[test]
    fn provider_health_names_false_flags() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).provider_safety_health = Observed::Ok(ProviderSafetyHealth {
            contact_stop_ready: false,
            ..ProviderSafetyHealth {
                idempotency_ready: true,
                attempt_ledger_ready: true,
                reconciliation_ready: true,
                dispatch_claim_ready: true,
                contact_stop_ready: true,
                normalized_dnc_ready: true,
                provider_safe_backstop_ready: true,
            }
        });
        let check = find(&snap, "safety.provider_health");
        assert_eq!(check.status, Status::Fail);
        assert!(check.reason.contains("contact_stop_ready"));
        fixture::db(&mut snap).provider_safety_health =
            Observed::failed(FailureKind::Timeout, "statement timeout");
        assert_eq!(
            find(&snap, "safety.provider_health").status,
            Status::Unknown
        );
    }

    #[test]
    fn reconciliation_table() {
        let healthy = || match &fixture::healthy().database {
            Observed::Ok(db) => db.reconciliation_health.clone(),
            _ => unreachable!(),
        };
        let base = healthy().ok().cloned().flatten().expect("fixture health");
        let cases = [
            (
                ReconciliationHealth {
                    recent_success: false,
                    ..base.clone()
                },
                Status::Warn,
                "no success",
            ),
            (
                ReconciliationHealth {
                    cron_active: false,
                    ..base.clone()
                },
                Status::Warn,
                "cron",
            ),
            (
                ReconciliationHealth {
                    manual_required_count: 1,
                    ..base.clone()
                },
                Status::Warn,
                "manual_required",
            ),
            (
                ReconciliationHealth {
                    contract_ready: false,
                    ..base.clone()
                },
                Status::Fail,
                "contract",
            ),
        ];
        for (health, want, fragment) in cases {
            let mut snap = fixture::healthy();
            fixture::db(&mut snap).reconciliation_health = Observed::Ok(Some(health));
            let check = find(&snap, "safety.reconciliation");
            assert_eq!(check.status, want, "{fragment}");
            assert!(check.reason.contains(fragment), "{}", check.reason);
        }
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).reconciliation_health = Observed::Ok(None);
        assert_eq!(find(&snap, "safety.reconciliation").status, Status::Warn);
    }
}
