//! Database: reachable with its round trip [B]; the transaction-mode pooler (info);
//! the tables and columns launchdeck uses exist [B]; the safety functions exist.

use crate::readiness::rules::{DATABASE, answer, clean, preview};
use crate::readiness::snapshot::{DatabaseFacts, Observed, Snapshot};
use crate::readiness::{Area, Check, Status};

pub fn check_database(snap: &Snapshot) -> Vec<Check> {
    match &snap.database {
        Observed::Ok(db) => vec![
            reachable(snap, db),
            pooler(snap, db),
            schema(snap, db),
            safety_functions(snap, db),
        ],
        Observed::Failed { kind, message } => vec![unreachable(
            snap,
            format!(
                "database unreachable ({}): {}",
                kind.describe(),
                clean(message)
            ),
        )],
        Observed::NotConfigured => vec![unreachable(snap, "no database URL is configured".into())],
        Observed::NotApplicable(why) => vec![unreachable(
            snap,
            format!("database not read: {}", clean(why)),
        )],
    }
}

fn reachable(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    Check::new(
        Area::Database,
        "database.reachable",
        Status::Pass,
        format!(
            "{} reachable, round trip {} ms",
            db.backend,
            db.round_trip.as_millis()
        ),
        snap.now,
    )
    .blocking(true)
}

fn unreachable(snap: &Snapshot, reason: String) -> Check {
    Check::new(Area::Database, "database.reachable", Status::Fail, reason, snap.now)
        .blocking(true)
        .with_fix(
            "check DATABASE_URL (or LAUNCHDECK_DATABASE_URL), the network and that Postgres is up; `launchdeck config check` validates the settings",
        )
}

fn pooler(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let reason = if db.transaction_pooler {
        "connected through the transaction-mode pooler (port 6543): prepared-statement caching is off"
    } else {
        "direct or session-mode connection: prepared statements are cached"
    };
    Check::new(
        Area::Database,
        "database.pooler",
        Status::Pass,
        reason,
        snap.now,
    )
}

fn schema(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "database.schema";
    let check = match answer(&db.missing_schema, &DATABASE) {
        Err(unavailable) => unavailable.into_check(snap, Area::Database, id),
        Ok(missing) if missing.is_empty() => Check::new(
            Area::Database,
            id,
            Status::Pass,
            "every platform table and column launchdeck uses exists",
            snap.now,
        ),
        Ok(missing) => Check::new(
            Area::Database,
            id,
            Status::Fail,
            format!("schema drift: missing {}", preview(missing, 6)),
            snap.now,
        )
        .with_fix(
            "connect to the platform's production database, or apply the platform's migrations that add the missing columns",
        ),
    };
    check.blocking(true)
}

fn safety_functions(snap: &Snapshot, db: &DatabaseFacts) -> Check {
    let id = "database.safety_functions";
    match answer(&db.missing_functions, &DATABASE) {
        Err(unavailable) => unavailable.into_check(snap, Area::Database, id),
        Ok(missing) if missing.is_empty() => Check::new(
            Area::Database,
            id,
            Status::Pass,
            "the platform's safety and release functions exist",
            snap.now,
        ),
        Ok(missing) => {
            let names: Vec<String> = missing.iter().map(|f| format!("{f}()")).collect();
            Check::new(
                Area::Database,
                id,
                Status::Warn,
                format!(
                    "missing functions {}: the checks that call them report unknown",
                    preview(&names, 4)
                ),
                snap.now,
            )
            .with_fix("apply the platform's provider-safety migrations to this database")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture;
    use crate::readiness::snapshot::FailureKind;

    fn find<'a>(checks: &'a [Check], id: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    #[test]
    fn healthy_database_passes() {
        let checks = check_database(&fixture::healthy());
        assert_eq!(checks.len(), 4);
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:#?}"
        );
        assert!(find(&checks, "database.reachable").reason.contains("12 ms"));
    }

    #[test]
    fn unreachable_database_fails_blocking() {
        let mut snap = fixture::healthy();
        snap.database = Observed::failed(FailureKind::Unavailable, "connection refused");
        let checks = check_database(&snap);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Fail);
        assert!(checks[0].blocking);
        assert!(checks[0].reason.contains("connection refused"));
    }

    #[test]
    fn schema_drift_names_the_column() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).missing_schema =
            Observed::Ok(vec!["voice_broadcasts.ivr_mode".into()]);
        let check = find(&check_database(&snap), "database.schema").clone();
        assert_eq!(check.status, Status::Fail);
        assert!(check.blocking);
        assert!(check.reason.contains("voice_broadcasts.ivr_mode"));
    }

    #[test]
    fn pooler_is_reported_as_info() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).transaction_pooler = true;
        let check = find(&check_database(&snap), "database.pooler").clone();
        assert_eq!(check.status, Status::Pass);
        assert!(check.reason.contains("caching is off"));
    }

    #[test]
    fn missing_or_inapplicable_functions() {
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).missing_functions =
            Observed::Ok(vec!["provider_safety_health_check".into()]);
        let check = find(&check_database(&snap), "database.safety_functions").clone();
        assert_eq!((check.status, check.blocking), (Status::Warn, false));

        fixture::db(&mut snap).missing_functions =
            Observed::NotApplicable("the demo's SQLite has no platform functions".into());
        let check = find(&check_database(&snap), "database.safety_functions").clone();
        assert_eq!((check.status, check.blocking), (Status::Unknown, false));
        assert!(check.reason.starts_with("not applicable"));
    }
}
