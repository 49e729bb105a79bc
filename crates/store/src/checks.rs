//! What both stores share for the in-flight checks: the age class of a queue row, as
//! `launchdeck_core::in_flight::AgeBounds` counts it, from the class bounds bound as
//! `$3`..`$6` (youngest first). A row without an update time is in the oldest class.
pub(crate) fn age_class(column: &str) -> String {
    format!(
        "CASE WHEN {column} >= $3 THEN 0 WHEN {column} >= $4 THEN 1 \
              WHEN {column} >= $5 THEN 2 WHEN {column} >= $6 THEN 3 ELSE 4 END"
    )
}

/// The check's summaries SQL with its `{bq_age}` and `{dq_age}` markers filled.
pub(crate) fn with_age_classes(sql: &str) -> String {
    crate::scope::fill(
        sql,
        &[
            ("bq_age", &age_class("bq.updated_at")),
            ("dq_age", &age_class("dq.updated_at")),
        ],
    )
}
