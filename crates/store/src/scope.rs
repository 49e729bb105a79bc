//! Tenant filters (product.md Decision 4) as SQL fragments, one text for both stores
//! (PostgreSQL and SQLite read them alike). Every query binds the scope's user as `$1`
//! and its organization as `$2` (possibly NULL and unreferenced); the fragment only
//! mentions the parameters that are set, so each scope shape gets its own plan and the
//! indexes on `user_id` / `organization_id` stay usable.

use launchdeck_core::domain::Scope;

#[derive(Debug, Clone, Copy)]
pub(crate) struct ScopeSql {
    by_user: bool,
    by_org: bool,
}

impl ScopeSql {
    pub(crate) fn new(scope: &Scope) -> Self {
        ScopeSql {
            by_user: scope.user_id.is_some(),
            by_org: scope.org_id.is_some(),
        }
    }

    /// Core tables carry both tenant columns.
    pub(crate) fn core(&self, alias: &str) -> String {
        let mut sql = String::new();
        if self.by_user {
            sql.push_str(&format!(" AND {alias}.user_id = $1"));
        }
        if self.by_org {
            sql.push_str(&format!(" AND {alias}.organization_id = $2"));
        }
        sql
    }

    /// Like [`ScopeSql::core`], written so the planner cannot drive the scan with
    /// the tenant indexes (neither PostgreSQL nor SQLite uses an index for
    /// `(x = $1) IS TRUE`): on call_logs an organization's `organization_id` entries
    /// are a large share of the table, while the `created_at` window is small.
    pub(crate) fn core_filter_only(&self, alias: &str) -> String {
        let mut sql = String::new();
        if self.by_user {
            sql.push_str(&format!(" AND ({alias}.user_id = $1) IS TRUE"));
        }
        if self.by_org {
            sql.push_str(&format!(" AND ({alias}.organization_id = $2) IS TRUE"));
        }
        sql
    }

    /// Per-user tables: the organization is the set of its members.
    pub(crate) fn per_user(&self, alias: &str) -> String {
        let mut sql = String::new();
        if self.by_user {
            sql.push_str(&format!(" AND {alias}.user_id = $1"));
        }
        if self.by_org {
            sql.push_str(&format!(" AND {alias}.user_id IN ({MEMBERS})"));
        }
        sql
    }

    /// contact_stop_controls: a stop applies when every tenant column it sets
    /// matches the scope (a global stop sets none, so it always applies).
    pub(crate) fn stop(&self, alias: &str) -> String {
        let mut sql = String::new();
        if self.by_user {
            sql.push_str(&format!(
                " AND ({alias}.user_id IS NULL OR {alias}.user_id = $1)"
            ));
            sql.push_str(&format!(
                " AND ({alias}.campaign_id IS NULL OR {alias}.campaign_id IN \
                 (SELECT c.id FROM campaigns c WHERE c.user_id = $1))"
            ));
        }
        if self.by_org {
            sql.push_str(&format!(
                " AND ({alias}.organization_id IS NULL OR {alias}.organization_id = $2)"
            ));
            sql.push_str(&format!(
                " AND ({alias}.user_id IS NULL OR {alias}.user_id IN ({MEMBERS}))"
            ));
            sql.push_str(&format!(
                " AND ({alias}.campaign_id IS NULL OR {alias}.campaign_id IN \
                 (SELECT c.id FROM campaigns c WHERE c.organization_id = $2))"
            ));
        }
        sql
    }
}

const MEMBERS: &str = "SELECT ou.user_id FROM organization_users ou WHERE ou.organization_id = $2";

/// `template`, a query over the three in-flight sources, with the scope's filters for
/// its `{broadcast_scope}` (voice_broadcasts `vb`), `{log_scope}` (call_logs `cl`) and
/// `{dialing_scope}` (campaigns `c`) markers.
pub(crate) fn fill_sources(template: &str, scope: &Scope) -> String {
    let s = ScopeSql::new(scope);
    fill(
        template,
        &[
            ("broadcast_scope", &s.per_user("vb")),
            ("log_scope", &s.core_filter_only("cl")),
            ("dialing_scope", &s.core("c")),
        ],
    )
}

/// Fills `{name}` markers of a SQL template. Markers are written by this crate; the
/// values are fragments built above, never user input.
pub(crate) fn fill(template: &str, parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .fold(template.to_string(), |sql, (name, value)| {
            sql.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn unscoped_adds_nothing() {
        let s = ScopeSql::new(&Scope::default());
        assert_eq!(s.core("t"), "");
        assert_eq!(s.per_user("t"), "");
        assert_eq!(s.stop("t"), "");
    }

    #[test]
    fn both_set_is_and() {
        let s = ScopeSql::new(&Scope {
            user_id: Some(Uuid::nil()),
            org_id: Some(Uuid::nil()),
        });
        assert_eq!(
            s.core("cl"),
            " AND cl.user_id = $1 AND cl.organization_id = $2"
        );
        assert!(
            s.per_user("vb")
                .contains("vb.user_id = $1 AND vb.user_id IN (SELECT")
        );
    }

    #[test]
    fn fill_replaces_markers() {
        assert_eq!(
            fill("SELECT 1 WHERE true{s} AND x{s}", &[("s", " AND a")]),
            "SELECT 1 WHERE true AND a AND x AND a"
        );
    }
}
