//! launchdeck's own migrations: the tables it keeps for itself (today the audit log),
//! never the platform's. PostgreSQL keeps them in the `launchdeck` schema with
//! `launchdeck.schema_migrations`; the demo's SQLite file in `launchdeck_`-prefixed
//! tables with `launchdeck_schema_migrations`. Each store applies the missing ones in
//! one transaction, lazily, before the first action.

/// One migration, written for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

/// Every migration, oldest first. Never edit a released one: add the next.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "audit_log",
    postgres: include_str!("../sql/launchdeck/postgres/001_audit_log.sql"),
    sqlite: include_str!("../sql/launchdeck/sqlite/001_audit_log.sql"),
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(m.version).ok(), Some(i + 1), "{}", m.name);
        }
    }
}
