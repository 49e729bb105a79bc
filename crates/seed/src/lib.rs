//! Test and demo data: rows for platform tables as JSON objects, loaded the same way
//! into PostgreSQL and SQLite so one data set serves the contract suite, the demo and
//! the end-to-end tests.

use serde_json::{Map, Value, json};
use uuid::Uuid;

pub mod first_campaign;
pub mod pg;
pub mod sqlite;

/// One row: column name → value.
pub type Row = Map<String, Value>;

/// Rows that share one column set (sorted column names), ready for one INSERT.
pub type Batch<'a> = (Vec<String>, Vec<&'a Row>);

/// Rows for one table, in insertion order. Tables are loaded in the order given, so
/// parents come before children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableRows {
    pub table: &'static str,
    pub rows: Vec<Map<String, Value>>,
}

impl TableRows {
    pub fn new(table: &'static str) -> Self {
        TableRows {
            table,
            rows: Vec::new(),
        }
    }

    /// Add one row; `row` must be a JSON object.
    pub fn push(&mut self, row: Value) {
        match row {
            Value::Object(map) => self.rows.push(map),
            other => panic!(
                "seed row for {} must be a JSON object, got {other}",
                self.table
            ),
        }
    }

    /// Rows grouped by their exact column set, preserving order within each group, so a
    /// column a row leaves out keeps the table's default instead of becoming NULL.
    pub fn batches(&self) -> Vec<Batch<'_>> {
        let mut batches: Vec<Batch<'_>> = Vec::new();
        for row in &self.rows {
            let mut cols: Vec<String> = row.keys().cloned().collect();
            cols.sort();
            match batches.iter_mut().find(|(c, _)| *c == cols) {
                Some((_, rows)) => rows.push(row),
                None => batches.push((cols, vec![row])),
            }
        }
        batches
    }
}

/// A whole data set: tables in dependency order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedData {
    pub tables: Vec<TableRows>,
}

impl SeedData {
    /// A data set that starts with one tenant: `user` (its `auth.users` row, so
    /// PostgreSQL only) owning organization `org`, named "Acme". Most test data sets
    /// start here.
    pub fn with_owner(user: Uuid, org: Uuid) -> SeedData {
        let mut data = SeedData::default();
        data.table("auth.users").push(json!({"id": user}));
        data.table("organizations")
            .push(json!({"id": org, "name": "Acme", "slug": "acme"}));
        data.table("organization_users")
            .push(json!({"organization_id": org, "user_id": user, "role": "owner"}));
        data
    }

    /// The rows for `table`, created (at the end) if absent.
    pub fn table(&mut self, table: &'static str) -> &mut TableRows {
        if let Some(i) = self.tables.iter().position(|t| t.table == table) {
            return &mut self.tables[i];
        }
        self.tables.push(TableRows::new(table));
        self.tables.last_mut().expect("just pushed")
    }

    pub fn rows(&self, table: &str) -> &[Map<String, Value>] {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map(|t| t.rows.as_slice())
            .unwrap_or(&[])
    }
}

/// Column and table names come from code, never from input; this guards the SQL we build.
pub(crate) fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_group_by_column_set() {
        let mut t = TableRows::new("leads");
        t.push(json!({"id": 1, "phone_number": "a"}));
        t.push(json!({"id": 2}));
        t.push(json!({"phone_number": "c", "id": 3}));
        let b = t.batches();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].0, vec!["id", "phone_number"]);
        assert_eq!(b[0].1.len(), 2);
        assert_eq!(b[1].1.len(), 1);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("auth.users"));
        assert!(!is_identifier("x; drop table"));
    }
}
