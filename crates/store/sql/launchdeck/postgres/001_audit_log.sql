-- launchdeck's audit trail (product.md Decision 9), in launchdeck's own schema.
-- Append-only: updates, deletes and truncation are refused.
CREATE TABLE launchdeck.audit_log (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target_table text NOT NULL,
    target_id uuid NOT NULL,
    target_name text NOT NULL,
    before jsonb,
    after jsonb,
    result text NOT NULL
        CHECK (result = 'changed' OR result LIKE 'skipped: %' OR result LIKE 'failed: %'),
    launchdeck_version text NOT NULL
);
CREATE INDEX audit_log_at_idx ON launchdeck.audit_log (at DESC, id DESC);

CREATE FUNCTION launchdeck.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'launchdeck.audit_log is append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON launchdeck.audit_log
    FOR EACH ROW EXECUTE FUNCTION launchdeck.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON launchdeck.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION launchdeck.audit_log_append_only();
