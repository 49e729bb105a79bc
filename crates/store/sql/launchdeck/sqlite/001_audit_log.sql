-- launchdeck's audit trail in the demo database: the same columns as PostgreSQL's
-- launchdeck.audit_log (timestamps and uuids as text, JSON as text). Append-only.
CREATE TABLE launchdeck_audit_log (
    id text PRIMARY KEY,
    at text NOT NULL CHECK (at GLOB '????-??-??T??:??:??.??????Z'),
    actor text NOT NULL,
    action text NOT NULL,
    target_table text NOT NULL,
    target_id text NOT NULL,
    target_name text NOT NULL,
    before text CHECK (before IS NULL OR json_valid(before)),
    after text CHECK (after IS NULL OR json_valid(after)),
    result text NOT NULL
        CHECK (result = 'changed' OR result LIKE 'skipped: %' OR result LIKE 'failed: %'),
    launchdeck_version text NOT NULL
);
CREATE INDEX launchdeck_audit_log_at ON launchdeck_audit_log (at DESC, id DESC);

CREATE TRIGGER launchdeck_audit_log_no_update BEFORE UPDATE ON launchdeck_audit_log
BEGIN
    SELECT RAISE(ABORT, 'launchdeck_audit_log is append-only');
END;
CREATE TRIGGER launchdeck_audit_log_no_delete BEFORE DELETE ON launchdeck_audit_log
BEGIN
    SELECT RAISE(ABORT, 'launchdeck_audit_log is append-only');
END;
