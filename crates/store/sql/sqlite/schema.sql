-- The platform's tables as launchdeck's embedded demo keeps them in SQLite.
--
-- Same table and column names as the platform (../fixture/10_tables.sql, schema.md §3), so
-- one `SeedData` loads into both. SQLite has no schemas: `auth.users` is `auth_users`;
-- `cron.*` and `vault.*` are not needed. Stub tables (telnyx_assistants,
-- campaign_workflows, pipeline_boards, …) are left out, and so are the foreign keys that
-- point at them.
--
-- Type mapping (the declared type names keep the PostgreSQL type, which the seed loader
-- reads back with pragma_table_info to convert values):
--   uuid         TEXT, lowercase hyphenated (as Rust's `Uuid::to_string`)
--   timestamptz  TEXT, RFC 3339 UTC with exactly six fractional digits and a `Z`:
--                `2026-11-24T12:00:00.000000Z`. Fixed width, so comparing strings
--                compares instants; a CHECK on every such column rejects any other form.
--   date, time   TEXT `YYYY-MM-DD`, `HH:MM:SS`
--   boolean      INTEGER 0/1 (CHECK)
--   jsonb        TEXT holding JSON (CHECK json_valid); a JSON string scalar stays quoted
--   text_array   TEXT holding a JSON array of strings (for PostgreSQL text[])
--   numeric(p,s) REAL
-- Defaults follow the platform's; `now()` is SQLite's clock (the process's clock, the
-- same one launchdeck reads as `db_now`), padded to microseconds.
--
-- The platform's *upd* triggers (update_<table>_updated_at) are AFTER UPDATE triggers
-- here that set updated_at to now, so a conditional write
-- `UPDATE … WHERE id = ? AND status = ? AND updated_at = ?` moves updated_at on, as on
-- PostgreSQL. Guard triggers mirror the platform's simplest write guards with RAISE(ABORT).

PRAGMA foreign_keys = ON;

-- ===========================================================================
-- auth.users stand-in
-- ===========================================================================
CREATE TABLE auth_users (
    id uuid NOT NULL PRIMARY KEY,
    email text
);

-- ===========================================================================
-- organizations (16)
-- ===========================================================================
CREATE TABLE organizations (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    name text NOT NULL,
    slug text NOT NULL,
    settings jsonb DEFAULT '{}' CHECK (json_valid(settings)),
    subscription_tier text NOT NULL DEFAULT 'basic'
        CHECK (subscription_tier IN ('basic', 'professional', 'enterprise')),
    subscription_status text NOT NULL DEFAULT 'active'
        CHECK (subscription_status IN ('active', 'trial', 'suspended', 'cancelled')),
    trial_ends_at timestamptz CHECK (trial_ends_at GLOB '????-??-??T??:??:??.??????Z'),
    max_users integer DEFAULT 5,
    max_campaigns integer DEFAULT 10,
    max_phone_numbers integer DEFAULT 5,
    monthly_call_limit integer DEFAULT 1000,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    billing_enabled boolean DEFAULT 0 CHECK (billing_enabled IN (0, 1)),
    stripe_customer_id text,
    billing_email text,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);
CREATE INDEX idx_organizations_slug ON organizations (slug);

-- ===========================================================================
-- organization_users (5) — user_id deliberately has no FK
-- ===========================================================================
CREATE TABLE organization_users (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'manager', 'member')),
    joined_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (joined_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT organization_users_organization_id_user_id_key UNIQUE (organization_id, user_id)
);
CREATE INDEX idx_organization_users_org_id ON organization_users (organization_id);
CREATE INDEX idx_organization_users_user_id ON organization_users (user_id);

-- ===========================================================================
-- sip_trunk_configs (21) — no FKs, no CHECKs
-- ===========================================================================
CREATE TABLE sip_trunk_configs (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    name text NOT NULL,
    provider_type text NOT NULL DEFAULT 'generic',
    is_active boolean DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_default boolean DEFAULT 0 CHECK (is_default IN (0, 1)),
    sip_host text,
    sip_port integer DEFAULT 5060,
    transport text DEFAULT 'udp',
    auth_type text DEFAULT 'credentials',
    username text,
    password_encrypted text,
    twilio_trunk_sid text,
    twilio_termination_uri text,
    telnyx_connection_id text,
    outbound_proxy text,
    caller_id_header text DEFAULT 'P-Asserted-Identity',
    extra_headers jsonb DEFAULT '{}' CHECK (json_valid(extra_headers)),
    cost_per_minute numeric(10, 6) DEFAULT 0.007,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z')
);
CREATE INDEX idx_sip_trunk_configs_active ON sip_trunk_configs (user_id, is_active, is_default);
CREATE INDEX idx_sip_trunk_configs_user_id ON sip_trunk_configs (user_id);

-- ===========================================================================
-- phone_numbers (38) — core table with the tenant FKs
-- ===========================================================================
CREATE TABLE phone_numbers (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    number text NOT NULL,
    area_code text NOT NULL,
    daily_calls integer NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'quarantined', 'cooldown')),
    quarantine_until date,
    is_spam boolean NOT NULL DEFAULT 0 CHECK (is_spam IN (0, 1)),
    last_used timestamptz CHECK (last_used GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    user_id uuid NOT NULL REFERENCES auth_users (id),
    retell_phone_id text,
    stir_shaken_attestation text
        CHECK (stir_shaken_attestation IN ('A', 'B', 'C', 'not_verified')),
    line_type text,
    carrier_name text,
    caller_name text,
    is_voip boolean DEFAULT 0 CHECK (is_voip IN (0, 1)),
    external_spam_score integer DEFAULT 0,
    last_lookup_at timestamptz CHECK (last_lookup_at GLOB '????-??-??T??:??:??.??????Z'),
    friendly_name text,
    provider text DEFAULT 'twilio' CHECK (provider IN ('twilio', 'telnyx', 'retell_native', 'other')),
    purpose text DEFAULT 'general_rotation'
        CHECK (purpose IN ('broadcast', 'retell_agent', 'follow_up_dedicated', 'general_rotation', 'sms_only')),
    sip_trunk_provider text,
    sip_trunk_config jsonb DEFAULT '{}' CHECK (json_valid(sip_trunk_config)),
    is_stationary boolean DEFAULT 0 CHECK (is_stationary IN (0, 1)),
    rotation_enabled boolean DEFAULT 1 CHECK (rotation_enabled IN (0, 1)),
    max_daily_calls integer DEFAULT 100,
    twilio_verified boolean DEFAULT 0 CHECK (twilio_verified IN (0, 1)),
    twilio_verified_at timestamptz CHECK (twilio_verified_at GLOB '????-??-??T??:??:??.??????Z'),
    twilio_sid text,
    capabilities jsonb DEFAULT '{}' CHECK (json_valid(capabilities)),
    last_daily_reset date DEFAULT CURRENT_DATE,
    tags text_array DEFAULT '[]' CHECK (json_valid(tags)),
    last_call_at timestamptz CHECK (last_call_at GLOB '????-??-??T??:??:??.??????Z'),
    allowed_uses text_array DEFAULT '[]' CHECK (json_valid(allowed_uses)),
    sip_trunk_config_id uuid REFERENCES sip_trunk_configs (id) ON DELETE SET NULL,
    call_direction text NOT NULL DEFAULT 'outbound'
        CHECK (call_direction IN ('inbound', 'outbound', 'both')),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT phone_numbers_number_key UNIQUE (number),
    CONSTRAINT phone_numbers_tenant_membership_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);
CREATE INDEX idx_phone_numbers_area_code ON phone_numbers (area_code);
CREATE INDEX idx_phone_numbers_organization_id ON phone_numbers (organization_id);
CREATE INDEX idx_phone_numbers_user_id ON phone_numbers (user_id);
CREATE INDEX idx_phone_numbers_status ON phone_numbers (status);
CREATE INDEX idx_phone_numbers_provider_purpose ON phone_numbers (provider, purpose);
CREATE INDEX idx_phone_numbers_sip_trunk_config_id ON phone_numbers (sip_trunk_config_id)
    WHERE sip_trunk_config_id IS NOT NULL;
CREATE UNIQUE INDEX phone_numbers_retell_phone_id_unique ON phone_numbers (retell_phone_id)
    WHERE retell_phone_id IS NOT NULL;
CREATE UNIQUE INDEX phone_numbers_twilio_sid_unique ON phone_numbers (twilio_sid)
    WHERE twilio_sid IS NOT NULL;

-- ===========================================================================
-- voice_broadcasts (41) — per-user, no CHECKs, no org column
-- ===========================================================================
CREATE TABLE voice_broadcasts (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    status text NOT NULL DEFAULT 'draft',
    message_text text NOT NULL,
    voice_id text DEFAULT 'EXAVITQu4vr4xnSDxMaL',
    voice_model text DEFAULT 'eleven_turbo_v2_5',
    audio_url text,
    ivr_enabled boolean DEFAULT 1 CHECK (ivr_enabled IN (0, 1)),
    ivr_mode text DEFAULT 'dtmf',
    ivr_prompt text DEFAULT 'Press 1 to speak with a representative. Press 2 to schedule a callback. Press 3 to opt out.',
    dtmf_actions jsonb DEFAULT '[{"digit":"1","label":"Connect to Agent","action":"transfer","transfer_to":null},{"digit":"2","label":"Schedule Callback","action":"callback","delay_hours":24},{"digit":"3","label":"Do Not Call","action":"dnc"}]'
        CHECK (json_valid(dtmf_actions)),
    ai_system_prompt text DEFAULT 'You are a friendly assistant. If the caller is interested, offer to transfer them. If they want to opt out, respect their wishes.',
    ai_transfer_keywords text_array DEFAULT '["yes","interested","connect me","speak to someone"]'
        CHECK (json_valid(ai_transfer_keywords)),
    max_attempts integer DEFAULT 1,
    retry_delay_minutes integer DEFAULT 60,
    calling_hours_start time DEFAULT '09:00:00',
    calling_hours_end time DEFAULT '17:00:00',
    timezone text DEFAULT 'America/New_York',
    calls_per_minute integer DEFAULT 50,
    total_leads integer DEFAULT 0,
    calls_made integer DEFAULT 0,
    calls_answered integer DEFAULT 0,
    transfers_completed integer DEFAULT 0,
    callbacks_scheduled integer DEFAULT 0,
    dnc_requests integer DEFAULT 0,
    created_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    voice_speed numeric DEFAULT 1.0,
    caller_id text,
    bypass_calling_hours boolean DEFAULT 0 CHECK (bypass_calling_hours IN (0, 1)),
    last_error text,
    last_error_at timestamptz CHECK (last_error_at GLOB '????-??-??T??:??:??.??????Z'),
    enable_amd boolean DEFAULT 1 CHECK (enable_amd IN (0, 1)),
    voicemail_action text DEFAULT 'hangup',
    voicemail_audio_url text,
    use_sip_trunk boolean DEFAULT 0 CHECK (use_sip_trunk IN (0, 1)),
    broadcast_provider text DEFAULT 'twilio_classic',
    telnyx_assistant_id uuid,
    telnyx_script text
);
CREATE INDEX idx_voice_broadcasts_user_status ON voice_broadcasts (user_id, status);

-- ===========================================================================
-- leads (27) — core table with the tenant FKs
-- ===========================================================================
CREATE TABLE leads (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id),
    phone_number text NOT NULL,
    first_name text,
    last_name text,
    email text,
    company text,
    notes text,
    status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'contacted', 'interested', 'not_interested', 'callback',
                          'converted', 'do_not_call', 'appointment', 'dnc', 'invalid',
                          'qualified', 'won', 'dead', 'nurturing', 'stalled')),
    priority integer DEFAULT 1 CHECK (priority >= 1 AND priority <= 5),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    last_contacted_at timestamptz CHECK (last_contacted_at GLOB '????-??-??T??:??:??.??????Z'),
    next_callback_at timestamptz CHECK (next_callback_at GLOB '????-??-??T??:??:??.??????Z'),
    lead_source text,
    tags text_array CHECK (json_valid(tags)),
    custom_fields jsonb DEFAULT '{}' CHECK (json_valid(custom_fields)),
    timezone text DEFAULT 'America/New_York',
    preferred_contact_time text,
    do_not_call boolean DEFAULT 0 CHECK (do_not_call IN (0, 1)),
    ghl_contact_id text,
    address text,
    city text,
    state text,
    zip_code text,
    phone_number_normalized text,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT leads_tenant_membership_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX leads_phone_user_unique ON leads (phone_number, user_id);
CREATE INDEX idx_leads_created_at ON leads (created_at);
CREATE INDEX idx_leads_organization_id ON leads (organization_id);
CREATE INDEX idx_leads_status ON leads (status);
CREATE INDEX idx_leads_user_id ON leads (user_id);
CREATE INDEX idx_leads_user_normalized_phone ON leads (user_id, phone_number_normalized)
    WHERE phone_number_normalized IS NOT NULL;

-- ===========================================================================
-- broadcast_queue (24) — status has no CHECK; owned through its broadcast
-- ===========================================================================
CREATE TABLE broadcast_queue (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    broadcast_id uuid NOT NULL REFERENCES voice_broadcasts (id) ON DELETE CASCADE,
    lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
    phone_number text NOT NULL,
    lead_name text,
    status text NOT NULL DEFAULT 'pending',
    attempts integer DEFAULT 0,
    max_attempts integer DEFAULT 1,
    scheduled_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (scheduled_at GLOB '????-??-??T??:??:??.??????Z'),
    dtmf_pressed text,
    call_duration_seconds integer,
    transfer_status text,
    callback_scheduled_at timestamptz
        CHECK (callback_scheduled_at GLOB '????-??-??T??:??:??.??????Z'),
    ai_transcript text,
    created_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    call_sid text,
    recording_url text,
    amd_result text,
    call_cost numeric(10, 4),
    error_message text,
    error_code text,
    ghl_contact_id text,
    ghl_callback_status text DEFAULT 'pending'
        CHECK (ghl_callback_status IN ('pending', 'queued', 'sent', 'skipped', 'failed'))
);
CREATE INDEX idx_broadcast_queue_broadcast_status ON broadcast_queue (broadcast_id, status);
CREATE INDEX idx_broadcast_queue_calling ON broadcast_queue (broadcast_id, status, updated_at)
    WHERE status = 'calling';
CREATE INDEX idx_broadcast_queue_scheduled ON broadcast_queue (scheduled_at)
    WHERE status = 'pending';
CREATE INDEX idx_broadcast_queue_call_sid ON broadcast_queue (call_sid)
    WHERE call_sid IS NOT NULL;
-- For the finished-per-minute and log-window scans (bounded ranges of updated_at).
CREATE INDEX idx_broadcast_queue_broadcast_updated ON broadcast_queue (broadcast_id, updated_at);
CREATE INDEX idx_broadcast_queue_updated_at ON broadcast_queue (updated_at);

-- ===========================================================================
-- campaigns (24) — core table with the tenant FKs
-- ===========================================================================
CREATE TABLE campaigns (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id),
    name text NOT NULL,
    description text,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'completed')),
    script text,
    agent_id text,
    calls_per_minute integer DEFAULT 5 CHECK (calls_per_minute >= 1 AND calls_per_minute <= 30),
    max_attempts integer DEFAULT 3 CHECK (max_attempts >= 1 AND max_attempts <= 10),
    calling_hours_start time DEFAULT '09:00:00',
    calling_hours_end time DEFAULT '17:00:00',
    timezone text DEFAULT 'America/New_York',
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    workflow_id uuid,
    retry_delay_minutes integer DEFAULT 15,
    max_calls_per_day integer DEFAULT 2,
    sms_on_no_answer boolean DEFAULT 0 CHECK (sms_on_no_answer IN (0, 1)),
    sms_template text,
    sms_from_number text,
    provider text NOT NULL DEFAULT 'retell',
    telnyx_assistant_id uuid,
    metadata jsonb DEFAULT '{}' CHECK (json_valid(metadata)),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT campaigns_tenant_membership_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);
CREATE INDEX idx_campaigns_organization_id ON campaigns (organization_id);
CREATE INDEX idx_campaigns_status ON campaigns (status);
CREATE INDEX idx_campaigns_user_id ON campaigns (user_id);

-- ===========================================================================
-- campaign_leads (4)
-- ===========================================================================
CREATE TABLE campaign_leads (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (added_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT campaign_leads_campaign_id_lead_id_key UNIQUE (campaign_id, lead_id)
);

-- ===========================================================================
-- dialing_queues (16) — the campaign queue; status has no CHECK
-- ===========================================================================
CREATE TABLE dialing_queues (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    phone_number text NOT NULL,
    priority integer NOT NULL DEFAULT 1,
    status text NOT NULL DEFAULT 'pending',
    scheduled_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (scheduled_at GLOB '????-??-??T??:??:??.??????Z'),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    notes text,
    last_provider text,
    last_provider_call_id text,
    last_attempted_at timestamptz CHECK (last_attempted_at GLOB '????-??-??T??:??:??.??????Z'),
    dispatch_generation uuid,
    CONSTRAINT dialing_queues_campaign_id_lead_id_key UNIQUE (campaign_id, lead_id)
);
CREATE INDEX idx_dialing_queues_campaign_id ON dialing_queues (campaign_id);
CREATE INDEX idx_dialing_queues_scheduled_at ON dialing_queues (scheduled_at);
CREATE INDEX idx_dialing_queues_status ON dialing_queues (status);
CREATE INDEX idx_dialing_queues_campaign_status ON dialing_queues (campaign_id, status);

-- ===========================================================================
-- call_logs (46) — no updated_at
-- ===========================================================================
CREATE TABLE call_logs (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id),
    campaign_id uuid REFERENCES campaigns (id),
    lead_id uuid REFERENCES leads (id),
    phone_number text NOT NULL,
    caller_id text NOT NULL,
    retell_call_id text,
    status text NOT NULL,
    duration_seconds integer DEFAULT 0,
    outcome text,
    notes text,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    answered_at timestamptz CHECK (answered_at GLOB '????-??-??T??:??:??.??????Z'),
    ended_at timestamptz CHECK (ended_at GLOB '????-??-??T??:??:??.??????Z'),
    amd_result text CHECK (amd_result IN ('human', 'machine', 'unknown')),
    transcript text,
    ai_analysis jsonb CHECK (json_valid(ai_analysis)),
    auto_disposition text,
    confidence_score numeric(3, 2),
    agent_id text,
    agent_name text,
    recording_url text,
    sentiment text,
    call_summary text,
    time_wasted_score integer DEFAULT 0,
    time_wasted_reason text,
    opener_extracted text,
    opener_score integer,
    provider text DEFAULT 'retell',
    telnyx_call_control_id text,
    telnyx_call_session_id text,
    telnyx_conversation_id text,
    telnyx_assistant_id text,
    amd_type text,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    started_at timestamptz CHECK (started_at GLOB '????-??-??T??:??:??.??????Z'),
    retell_cost_cents integer,
    cost_breakdown jsonb CHECK (json_valid(cost_breakdown)),
    token_usage jsonb CHECK (json_valid(token_usage)),
    provider_reconciliation_required boolean NOT NULL DEFAULT 0
        CHECK (provider_reconciliation_required IN (0, 1)),
    provider_reconciliation_reason text,
    provider_reconciliation_marked_at timestamptz
        CHECK (provider_reconciliation_marked_at GLOB '????-??-??T??:??:??.??????Z'),
    provider_reconciled_at timestamptz
        CHECK (provider_reconciled_at GLOB '????-??-??T??:??:??.??????Z'),
    provider_reconciliation_queue_id uuid REFERENCES dialing_queues (id) ON DELETE SET NULL,
    billed_cost_cents integer,
    credit_deducted boolean NOT NULL DEFAULT 0 CHECK (credit_deducted IN (0, 1)),
    CONSTRAINT call_logs_retell_call_id_key UNIQUE (retell_call_id),
    CONSTRAINT call_logs_status_check CHECK (status IN (
        'queued', 'ringing', 'answered', 'busy', 'no_answer', 'voicemail', 'failed', 'completed')),
    CONSTRAINT call_logs_outcome_check CHECK (outcome IS NULL OR outcome IN (
        'interested', 'not_interested', 'callback', 'callback_requested', 'converted',
        'do_not_call', 'contacted', 'appointment_set', 'dnc', 'completed', 'voicemail',
        'no_answer', 'busy', 'failed', 'unknown', 'wrong_number', 'not_qualified',
        'already_customer', 'not_decision_maker')),
    CONSTRAINT call_logs_tenant_membership_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);
CREATE INDEX idx_call_logs_created_at ON call_logs (created_at);
CREATE INDEX idx_call_logs_campaign_id ON call_logs (campaign_id);
CREATE INDEX idx_call_logs_user_id ON call_logs (user_id);
CREATE INDEX idx_call_logs_organization_id ON call_logs (organization_id);
CREATE INDEX idx_call_logs_agent_id ON call_logs (agent_id);
CREATE INDEX idx_call_logs_provider_reconciliation
    ON call_logs (provider_reconciliation_required, provider_reconciliation_marked_at)
    WHERE provider_reconciliation_required;
-- The demo's own helpers (SQLite has no cheap alternative): in-flight rows and
-- per-campaign time ranges.
CREATE INDEX idx_call_logs_in_flight ON call_logs (status, created_at)
    WHERE status IN ('queued', 'ringing');
CREATE INDEX idx_call_logs_campaign_created ON call_logs (campaign_id, created_at);

-- ===========================================================================
-- retell_agents (22) — no upd, no tenant guard
-- ===========================================================================
CREATE TABLE retell_agents (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    retell_agent_id text NOT NULL,
    retell_llm_id text,
    agent_name text NOT NULL,
    voice_id text,
    webhook_url text,
    begin_message_delay_ms integer,
    llm_model text,
    general_prompt text,
    begin_message text,
    general_tools jsonb DEFAULT '[]' CHECK (json_valid(general_tools)),
    voicemail_detection jsonb CHECK (json_valid(voicemail_detection)),
    ambient_sound_volume numeric,
    end_call_after_silence_ms integer,
    agent_snapshot jsonb DEFAULT '{}' CHECK (json_valid(agent_snapshot)),
    llm_snapshot jsonb DEFAULT '{}' CHECK (json_valid(llm_snapshot)),
    status text DEFAULT 'active',
    last_synced_at timestamptz CHECK (last_synced_at GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT retell_agents_retell_agent_id_key UNIQUE (retell_agent_id),
    CONSTRAINT retell_agents_user_id_retell_agent_id_key UNIQUE (user_id, retell_agent_id),
    CONSTRAINT retell_agents_retell_agent_id_not_blank
        CHECK (length(trim(retell_agent_id)) BETWEEN 1 AND 256),
    CONSTRAINT retell_agents_tenant_membership_fkey FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);
CREATE INDEX idx_retell_agents_user_id ON retell_agents (user_id);
CREATE INDEX idx_retell_agents_organization_id ON retell_agents (organization_id);

-- ===========================================================================
-- calendar_integrations (17) — tokens are base64 of the plaintext
-- ===========================================================================
CREATE TABLE calendar_integrations (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    provider text NOT NULL,
    provider_account_id text,
    provider_account_email text,
    access_token_encrypted text,
    refresh_token_encrypted text,
    token_expires_at timestamptz CHECK (token_expires_at GLOB '????-??-??T??:??:??.??????Z'),
    calendar_id text,
    calendar_name text,
    is_primary boolean DEFAULT 0 CHECK (is_primary IN (0, 1)),
    sync_enabled boolean DEFAULT 1 CHECK (sync_enabled IN (0, 1)),
    sync_direction text DEFAULT 'bidirectional',
    last_sync_at timestamptz CHECK (last_sync_at GLOB '????-??-??T??:??:??.??????Z'),
    sync_errors jsonb DEFAULT '[]' CHECK (json_valid(sync_errors)),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT calendar_integrations_user_id_provider_key UNIQUE (user_id, provider),
    CONSTRAINT calendar_integrations_user_id_provider_calendar_id_key
        UNIQUE (user_id, provider, calendar_id)
);

-- ===========================================================================
-- calendar_availability (13) — weekly_schedule may be a JSON string scalar
-- ===========================================================================
CREATE TABLE calendar_availability (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    timezone text NOT NULL DEFAULT 'America/New_York',
    weekly_schedule jsonb NOT NULL DEFAULT '{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],"wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],"friday":[{"start":"09:00","end":"17:00"}],"saturday":[],"sunday":[]}'
        CHECK (json_valid(weekly_schedule)),
    buffer_before_minutes integer DEFAULT 15,
    buffer_after_minutes integer DEFAULT 15,
    default_meeting_duration integer DEFAULT 30,
    min_notice_hours integer DEFAULT 2,
    max_days_ahead integer DEFAULT 30,
    slot_interval_minutes integer DEFAULT 15,
    check_calendar_conflicts boolean DEFAULT 1 CHECK (check_calendar_conflicts IN (0, 1)),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT calendar_availability_user_id_key UNIQUE (user_id)
);

-- ===========================================================================
-- calendar_appointments (21) — status has no CHECK
-- ===========================================================================
CREATE TABLE calendar_appointments (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
    title text NOT NULL,
    description text,
    location text,
    meeting_link text,
    start_time timestamptz NOT NULL CHECK (start_time GLOB '????-??-??T??:??:??.??????Z'),
    end_time timestamptz NOT NULL CHECK (end_time GLOB '????-??-??T??:??:??.??????Z'),
    timezone text NOT NULL DEFAULT 'America/New_York',
    status text NOT NULL DEFAULT 'scheduled',
    google_event_id text,
    ghl_appointment_id text,
    outlook_event_id text,
    reminder_sent boolean DEFAULT 0 CHECK (reminder_sent IN (0, 1)),
    reminder_at timestamptz CHECK (reminder_at GLOB '????-??-??T??:??:??.??????Z'),
    notes text,
    outcome text,
    metadata jsonb DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z')
);
CREATE INDEX idx_calendar_appointments_user_start ON calendar_appointments (user_id, start_time);

-- ===========================================================================
-- system_alerts (14) — no CHECKs
-- ===========================================================================
CREATE TABLE system_alerts (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    alert_type text NOT NULL,
    severity text NOT NULL DEFAULT 'warning',
    title text NOT NULL,
    message text NOT NULL,
    metadata jsonb DEFAULT '{}' CHECK (json_valid(metadata)),
    related_id text,
    related_type text,
    acknowledged boolean DEFAULT 0 CHECK (acknowledged IN (0, 1)),
    acknowledged_at timestamptz CHECK (acknowledged_at GLOB '????-??-??T??:??:??.??????Z'),
    auto_resolved boolean DEFAULT 0 CHECK (auto_resolved IN (0, 1)),
    resolved_at timestamptz CHECK (resolved_at GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z')
);
CREATE INDEX idx_system_alerts_created_at ON system_alerts (created_at DESC);
CREATE INDEX idx_system_alerts_unacknowledged ON system_alerts (user_id, acknowledged)
    WHERE NOT acknowledged;
CREATE INDEX idx_system_alerts_user_id ON system_alerts (user_id);

-- ===========================================================================
-- system_health_logs (7)
-- ===========================================================================
CREATE TABLE system_health_logs (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    service_name text NOT NULL,
    status text NOT NULL,
    response_time_ms integer,
    error_message text,
    metadata jsonb CHECK (json_valid(metadata)),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z')
);
CREATE INDEX idx_system_health_logs_created_at ON system_health_logs (created_at);
CREATE INDEX idx_system_health_logs_service_name ON system_health_logs (service_name);

-- ===========================================================================
-- system_settings (11) — no triggers
-- ===========================================================================
CREATE TABLE system_settings (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    max_concurrent_calls integer DEFAULT 10,
    calls_per_minute integer DEFAULT 30,
    max_calls_per_agent integer DEFAULT 3,
    enable_adaptive_pacing boolean DEFAULT 1 CHECK (enable_adaptive_pacing IN (0, 1)),
    created_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    retell_max_concurrent integer DEFAULT 10,
    assistable_max_concurrent integer DEFAULT 200,
    transfer_queue_enabled boolean DEFAULT 1 CHECK (transfer_queue_enabled IN (0, 1)),
    CONSTRAINT system_settings_user_id_key UNIQUE (user_id)
);

-- ===========================================================================
-- contact_stop_controls (15) — scope checks _check … _check5
-- ===========================================================================
CREATE TABLE contact_stop_controls (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    scope_type text NOT NULL
        CHECK (scope_type IN ('global', 'organization', 'user', 'campaign', 'provider', 'channel')),
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid REFERENCES auth_users (id) ON DELETE CASCADE,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE CASCADE,
    provider text,
    channel text NOT NULL DEFAULT 'all' CHECK (channel IN ('all', 'voice', 'sms', 'email')),
    active boolean NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    reason text NOT NULL,
    activated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (activated_at GLOB '????-??-??T??:??:??.??????Z'),
    activated_by uuid REFERENCES auth_users (id) ON DELETE SET NULL,
    expires_at timestamptz CHECK (expires_at GLOB '????-??-??T??:??:??.??????Z'),
    metadata jsonb NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT contact_stop_controls_check CHECK (
        scope_type <> 'global'
        OR (organization_id IS NULL AND user_id IS NULL AND campaign_id IS NULL
            AND provider IS NULL AND channel = 'all')),
    CONSTRAINT contact_stop_controls_check1 CHECK (
        scope_type <> 'organization' OR organization_id IS NOT NULL),
    CONSTRAINT contact_stop_controls_check2 CHECK (scope_type <> 'user' OR user_id IS NOT NULL),
    CONSTRAINT contact_stop_controls_check3 CHECK (
        scope_type <> 'campaign' OR campaign_id IS NOT NULL),
    CONSTRAINT contact_stop_controls_check4 CHECK (
        scope_type <> 'provider' OR provider IS NOT NULL),
    CONSTRAINT contact_stop_controls_check5 CHECK (scope_type <> 'channel' OR channel <> 'all')
);
CREATE INDEX idx_contact_stop_controls_active ON contact_stop_controls
    (active, scope_type, organization_id, user_id, campaign_id, provider, channel)
    WHERE active;

-- ===========================================================================
-- provider_dispatch_claims (20)
-- ===========================================================================
CREATE TABLE provider_dispatch_claims (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    logical_key text NOT NULL,
    queue_id uuid REFERENCES dialing_queues (id) ON DELETE SET NULL,
    dispatch_generation uuid,
    call_log_id uuid NOT NULL REFERENCES call_logs (id) ON DELETE RESTRICT,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL,
    lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
    provider text NOT NULL CHECK (provider IN ('retell', 'telnyx')),
    status text NOT NULL DEFAULT 'claimed'
        CHECK (status IN ('claimed', 'accepted', 'definite_failure', 'acceptance_unknown')),
    provider_call_id text,
    last_error text,
    claimed_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (claimed_at GLOB '????-??-??T??:??:??.??????Z'),
    finalized_at timestamptz CHECK (finalized_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    destination_phone text,
    caller_id text,
    agent_id text,
    identity_contract_version integer NOT NULL DEFAULT 1,
    CONSTRAINT provider_dispatch_claims_logical_key_key UNIQUE (logical_key),
    CONSTRAINT provider_dispatch_claims_id_organization_id_user_id_key
        UNIQUE (id, organization_id, user_id),
    CONSTRAINT provider_dispatch_claims_check CHECK (
        (queue_id IS NULL) = (dispatch_generation IS NULL)),
    CONSTRAINT provider_dispatch_claims_logical_key_check CHECK (
        length(logical_key) BETWEEN 8 AND 512),
    CONSTRAINT provider_dispatch_claims_status_evidence_check CHECK (
        CASE WHEN status = 'accepted'
             THEN coalesce(trim(provider_call_id), '') <> ''
             ELSE provider_call_id IS NULL
        END)
);
CREATE UNIQUE INDEX idx_provider_dispatch_claim_queue_generation
    ON provider_dispatch_claims (queue_id, dispatch_generation)
    WHERE queue_id IS NOT NULL;
CREATE UNIQUE INDEX idx_provider_dispatch_claims_provider_call_id
    ON provider_dispatch_claims (provider, provider_call_id)
    WHERE provider_call_id IS NOT NULL;
CREATE INDEX idx_provider_dispatch_claims_reconciliation
    ON provider_dispatch_claims (status, claimed_at)
    WHERE status IN ('claimed', 'acceptance_unknown');
CREATE INDEX idx_provider_dispatch_claims_queue_id ON provider_dispatch_claims (queue_id)
    WHERE queue_id IS NOT NULL;

-- ===========================================================================
-- provider_call_attempts (11) — all FKs SET NULL
-- ===========================================================================
CREATE TABLE provider_call_attempts (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    provider text NOT NULL,
    provider_call_id text NOT NULL,
    queue_id uuid REFERENCES dialing_queues (id) ON DELETE SET NULL,
    call_log_id uuid REFERENCES call_logs (id) ON DELETE SET NULL,
    organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    user_id uuid REFERENCES auth_users (id) ON DELETE SET NULL,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL,
    lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
    accepted_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (accepted_at GLOB '????-??-??T??:??:??.??????Z'),
    metadata jsonb NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    CONSTRAINT provider_call_attempts_provider_provider_call_id_key
        UNIQUE (provider, provider_call_id)
);

-- ===========================================================================
-- provider_callback_receipts (13)
-- ===========================================================================
CREATE TABLE provider_callback_receipts (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    provider text NOT NULL,
    provider_call_id text NOT NULL,
    lifecycle_stage text NOT NULL,
    status text NOT NULL DEFAULT 'processing'
        CHECK (status IN ('processing', 'processed', 'failed', 'reconciliation_required')),
    payload_sha256 text,
    first_received_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (first_received_at GLOB '????-??-??T??:??:??.??????Z'),
    last_received_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (last_received_at GLOB '????-??-??T??:??:??.??????Z'),
    locked_until timestamptz
        DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now', '+5 minutes') || '000Z')
        CHECK (locked_until GLOB '????-??-??T??:??:??.??????Z'),
    claim_token uuid NOT NULL DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    attempt_count integer NOT NULL DEFAULT 1,
    processed_at timestamptz CHECK (processed_at GLOB '????-??-??T??:??:??.??????Z'),
    last_error text,
    CONSTRAINT provider_callback_receipts_provider_provider_call_id_lifecy_key
        UNIQUE (provider, provider_call_id, lifecycle_stage)
);
CREATE INDEX idx_provider_callback_receipts_reconciliation
    ON provider_callback_receipts (last_received_at)
    WHERE status = 'reconciliation_required';

-- ===========================================================================
-- provider_reconciliation_jobs (20)
-- ===========================================================================
CREATE TABLE provider_reconciliation_jobs (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    dispatch_claim_id uuid NOT NULL REFERENCES provider_dispatch_claims (id) ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    provider text NOT NULL DEFAULT 'retell' CHECK (provider = 'retell'),
    state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'processing', 'waiting_provider', 'resolved', 'manual_required')),
    reason text NOT NULL,
    attempt_count integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    first_detected_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (first_detected_at GLOB '????-??-??T??:??:??.??????Z'),
    last_attempt_at timestamptz CHECK (last_attempt_at GLOB '????-??-??T??:??:??.??????Z'),
    next_attempt_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (next_attempt_at GLOB '????-??-??T??:??:??.??????Z'),
    locked_until timestamptz CHECK (locked_until GLOB '????-??-??T??:??:??.??????Z'),
    claim_token uuid,
    provider_call_id text,
    provider_status text,
    analysis_observed boolean NOT NULL DEFAULT 0 CHECK (analysis_observed IN (0, 1)),
    last_error text,
    resolved_at timestamptz CHECK (resolved_at GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT provider_reconciliation_jobs_dispatch_claim_id_key UNIQUE (dispatch_claim_id),
    CONSTRAINT provider_reconciliation_jobs_check CHECK (
        CASE WHEN state = 'processing'
             THEN locked_until IS NOT NULL AND claim_token IS NOT NULL
             ELSE locked_until IS NULL AND claim_token IS NULL
        END),
    CONSTRAINT provider_reconciliation_jobs_check1 CHECK (
        state <> 'resolved' OR resolved_at IS NOT NULL),
    CONSTRAINT provider_reconciliation_jobs_claim_tenant_fkey
        FOREIGN KEY (dispatch_claim_id, organization_id, user_id)
        REFERENCES provider_dispatch_claims (id, organization_id, user_id) ON DELETE RESTRICT
);
CREATE INDEX idx_provider_reconciliation_jobs_claimable
    ON provider_reconciliation_jobs (state, next_attempt_at, first_detected_at)
    WHERE state IN ('queued', 'waiting_provider', 'processing');
CREATE INDEX idx_provider_reconciliation_jobs_manual
    ON provider_reconciliation_jobs (updated_at)
    WHERE state = 'manual_required';

-- ===========================================================================
-- retell_reconciliation_runtime (7) — a singleton; the seed inserts its row
-- ===========================================================================
CREATE TABLE retell_reconciliation_runtime (
    singleton boolean NOT NULL DEFAULT 1 PRIMARY KEY
        CONSTRAINT retell_reconciliation_runtime_singleton_check CHECK (singleton = 1),
    last_started_at timestamptz CHECK (last_started_at GLOB '????-??-??T??:??:??.??????Z'),
    last_succeeded_at timestamptz CHECK (last_succeeded_at GLOB '????-??-??T??:??:??.??????Z'),
    last_failed_at timestamptz CHECK (last_failed_at GLOB '????-??-??T??:??:??.??????Z'),
    last_claimed_count integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z')
);

-- ===========================================================================
-- active_ai_transfers (13)
-- ===========================================================================
CREATE TABLE active_ai_transfers (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    platform text NOT NULL CHECK (platform IN ('retell', 'assistable')),
    call_sid text,
    retell_call_id text,
    lead_id uuid REFERENCES leads (id),
    broadcast_id uuid REFERENCES voice_broadcasts (id),
    transfer_number text,
    started_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (started_at GLOB '????-??-??T??:??:??.??????Z'),
    ended_at timestamptz CHECK (ended_at GLOB '????-??-??T??:??:??.??????Z'),
    status text DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed')),
    created_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z')
);
CREATE INDEX idx_active_ai_transfers_platform_status
    ON active_ai_transfers (user_id, platform, status)
    WHERE status = 'active';

-- ===========================================================================
-- dnc_list (8) — insert-only suppression list
-- ===========================================================================
CREATE TABLE dnc_list (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    phone_number text NOT NULL,
    reason text,
    added_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (added_at GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    phone_number_normalized text NOT NULL,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT dnc_list_organization_id_phone_number_normalized_key
        UNIQUE (organization_id, phone_number_normalized)
);
CREATE INDEX idx_dnc_list_user_id ON dnc_list (user_id);
CREATE INDEX idx_dnc_user_normalized_phone ON dnc_list (user_id, phone_number_normalized);

-- ===========================================================================
-- campaign_contact_releases (28) and members — append-only audit
-- ===========================================================================
CREATE TABLE campaign_contact_releases (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE RESTRICT,
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE RESTRICT,
    provider text NOT NULL DEFAULT 'retell',
    retell_agent_id text NOT NULL,
    retell_agent_version integer NOT NULL CHECK (retell_agent_version >= 0),
    retell_llm_id text NOT NULL,
    retell_llm_version integer NOT NULL CHECK (retell_llm_version >= 0),
    caller_number_id uuid NOT NULL REFERENCES phone_numbers (id) ON DELETE RESTRICT,
    release_stage text NOT NULL,
    cohort_limit integer NOT NULL,
    -- `^[a-f0-9]{64}$` as a GLOB: 64 characters, none outside a-f0-9.
    campaign_bundle_sha256 text NOT NULL CHECK (
        length(campaign_bundle_sha256) = 64 AND campaign_bundle_sha256 NOT GLOB '*[^a-f0-9]*'),
    database_certificate_sha256 text NOT NULL CHECK (
        length(database_certificate_sha256) = 64
        AND database_certificate_sha256 NOT GLOB '*[^a-f0-9]*'),
    provider_owned_phone_certificate_sha256 text NOT NULL CHECK (
        length(provider_owned_phone_certificate_sha256) = 64
        AND provider_owned_phone_certificate_sha256 NOT GLOB '*[^a-f0-9]*'),
    global_stop_drill_sha256 text NOT NULL CHECK (
        length(global_stop_drill_sha256) = 64 AND global_stop_drill_sha256 NOT GLOB '*[^a-f0-9]*'),
    seller_dnc_drill_sha256 text NOT NULL CHECK (
        length(seller_dnc_drill_sha256) = 64 AND seller_dnc_drill_sha256 NOT GLOB '*[^a-f0-9]*'),
    voice_opt_out_drill_sha256 text NOT NULL CHECK (
        length(voice_opt_out_drill_sha256) = 64
        AND voice_opt_out_drill_sha256 NOT GLOB '*[^a-f0-9]*'),
    conversation_suite_sha256 text NOT NULL CHECK (
        length(conversation_suite_sha256) = 64
        AND conversation_suite_sha256 NOT GLOB '*[^a-f0-9]*'),
    ghl_shadow_certificate_sha256 text CHECK (
        length(ghl_shadow_certificate_sha256) = 64
        AND ghl_shadow_certificate_sha256 NOT GLOB '*[^a-f0-9]*'),
    approval_chain_sha256 text NOT NULL CHECK (
        length(approval_chain_sha256) = 64 AND approval_chain_sha256 NOT GLOB '*[^a-f0-9]*'),
    external_trust_root_sha256 text NOT NULL CHECK (
        length(external_trust_root_sha256) = 64
        AND external_trust_root_sha256 NOT GLOB '*[^a-f0-9]*'),
    activated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (activated_at GLOB '????-??-??T??:??:??.??????Z'),
    expires_at timestamptz NOT NULL CHECK (expires_at GLOB '????-??-??T??:??:??.??????Z'),
    revoked_at timestamptz CHECK (revoked_at GLOB '????-??-??T??:??:??.??????Z'),
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    source_shadow_adapter text NOT NULL
        CHECK (source_shadow_adapter IN ('signed_direct_import', 'signed_ghl_shadow')),
    source_shadow_certificate_sha256 text NOT NULL CHECK (
        length(source_shadow_certificate_sha256) = 64
        AND source_shadow_certificate_sha256 NOT GLOB '*[^a-f0-9]*'),
    CONSTRAINT campaign_contact_releases_stage_cohort_check CHECK (
        (release_stage = 'canary_5' AND cohort_limit = 5)
        OR (release_stage = 'canary_20' AND cohort_limit = 20)
        OR (release_stage = 'canary_50' AND cohort_limit = 50)
        OR (release_stage = 'normal' AND cohort_limit BETWEEN 1 AND 1000)),
    CONSTRAINT campaign_contact_releases_check CHECK (expires_at > activated_at),
    CONSTRAINT campaign_contact_releases_tenant_membership_fkey
        FOREIGN KEY (organization_id, user_id)
        REFERENCES organization_users (organization_id, user_id) ON DELETE RESTRICT
);

CREATE TABLE campaign_contact_release_members (
    release_id uuid NOT NULL REFERENCES campaign_contact_releases (id) ON DELETE RESTRICT,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    lead_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    PRIMARY KEY (release_id, lead_id)
);

-- ===========================================================================
-- budget_settings (12) — a NULL campaign means user-wide
-- ===========================================================================
CREATE TABLE budget_settings (
    id uuid NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
    user_id uuid NOT NULL,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE CASCADE,
    daily_limit numeric(10, 2),
    monthly_limit numeric(10, 2),
    alert_threshold_percent integer DEFAULT 80,
    auto_pause_enabled boolean DEFAULT 1 CHECK (auto_pause_enabled IN (0, 1)),
    is_paused boolean DEFAULT 0 CHECK (is_paused IN (0, 1)),
    paused_at timestamptz CHECK (paused_at GLOB '????-??-??T??:??:??.??????Z'),
    pause_reason text,
    created_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (created_at GLOB '????-??-??T??:??:??.??????Z'),
    updated_at timestamptz NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
        CHECK (updated_at GLOB '????-??-??T??:??:??.??????Z'),
    CONSTRAINT budget_settings_user_id_campaign_id_key UNIQUE (user_id, campaign_id)
);

-- launchdeck's own tables (launchdeck_audit_log, launchdeck_schema_migrations) are not
-- part of this schema: launchdeck's migrations create them before the first action
-- (launchdeck_store::migrations).

-- ===========================================================================
-- *upd*: update_<table>_updated_at (the platform's list, 20_triggers.sql)
-- ===========================================================================
-- With recursive_triggers off (SQLite's default) the inner UPDATE does not fire again.
CREATE TRIGGER update_organizations_updated_at AFTER UPDATE ON organizations FOR EACH ROW
BEGIN
    UPDATE organizations SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_phone_numbers_updated_at AFTER UPDATE ON phone_numbers FOR EACH ROW
BEGIN
    UPDATE phone_numbers SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_sip_trunk_configs_updated_at AFTER UPDATE ON sip_trunk_configs FOR EACH ROW
BEGIN
    UPDATE sip_trunk_configs SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_voice_broadcasts_updated_at AFTER UPDATE ON voice_broadcasts FOR EACH ROW
BEGIN
    UPDATE voice_broadcasts SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_broadcast_queue_updated_at AFTER UPDATE ON broadcast_queue FOR EACH ROW
BEGIN
    UPDATE broadcast_queue SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_leads_updated_at AFTER UPDATE ON leads FOR EACH ROW
BEGIN
    UPDATE leads SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_campaigns_updated_at AFTER UPDATE ON campaigns FOR EACH ROW
BEGIN
    UPDATE campaigns SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_dialing_queues_updated_at AFTER UPDATE ON dialing_queues FOR EACH ROW
BEGIN
    UPDATE dialing_queues SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_calendar_integrations_updated_at AFTER UPDATE ON calendar_integrations
FOR EACH ROW
BEGIN
    UPDATE calendar_integrations SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_calendar_availability_updated_at AFTER UPDATE ON calendar_availability
FOR EACH ROW
BEGIN
    UPDATE calendar_availability SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_calendar_appointments_updated_at AFTER UPDATE ON calendar_appointments
FOR EACH ROW
BEGIN
    UPDATE calendar_appointments SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_active_ai_transfers_updated_at AFTER UPDATE ON active_ai_transfers
FOR EACH ROW
BEGIN
    UPDATE active_ai_transfers SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER update_budget_settings_updated_at AFTER UPDATE ON budget_settings FOR EACH ROW
BEGIN
    UPDATE budget_settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'
    WHERE rowid = NEW.rowid;
END;

-- ===========================================================================
-- Write guards (the platform's, 20_triggers.sql), as far as SQLite can express them
-- ===========================================================================
CREATE TRIGGER call_log_evidence_guard_delete BEFORE DELETE ON call_logs
BEGIN
    SELECT RAISE(ABORT, 'CALL_LOG_EVIDENCE_IMMUTABLE: call_logs rows are evidence and cannot be deleted');
END;
CREATE TRIGGER call_log_evidence_guard_update BEFORE UPDATE ON call_logs FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'CALL_LOG_TENANT_IDENTITY_IMMUTABLE: a call log cannot move to another tenant')
    WHERE NEW.organization_id IS NOT OLD.organization_id OR NEW.user_id IS NOT OLD.user_id;
    SELECT RAISE(ABORT, 'CALL_LOG_PROVIDER_BILLING_IDENTITY_IMMUTABLE: provider ids and billing of a call log cannot change once set')
    WHERE (OLD.retell_call_id IS NOT NULL AND NEW.retell_call_id IS NOT OLD.retell_call_id)
       OR (OLD.telnyx_call_control_id IS NOT NULL
           AND NEW.telnyx_call_control_id IS NOT OLD.telnyx_call_control_id)
       OR (OLD.telnyx_call_session_id IS NOT NULL
           AND NEW.telnyx_call_session_id IS NOT OLD.telnyx_call_session_id)
       OR (OLD.telnyx_conversation_id IS NOT NULL
           AND NEW.telnyx_conversation_id IS NOT OLD.telnyx_conversation_id)
       OR (OLD.billed_cost_cents IS NOT NULL AND NEW.billed_cost_cents IS NOT OLD.billed_cost_cents)
       OR (OLD.credit_deducted = 1 AND NEW.credit_deducted IS NOT 1);
END;

CREATE TRIGGER provider_resource_identity_guard_phone BEFORE UPDATE ON phone_numbers FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'PROVIDER_RESOURCE_TENANT_IDENTITY_IMMUTABLE: a phone number cannot move to another tenant')
    WHERE NEW.organization_id IS NOT OLD.organization_id OR NEW.user_id IS NOT OLD.user_id;
    SELECT RAISE(ABORT, 'PHONE_PROVIDER_IDENTITY_IMMUTABLE: the number, retell_phone_id and twilio_sid of a phone cannot change once set')
    WHERE NEW.number IS NOT OLD.number
       OR (OLD.retell_phone_id IS NOT NULL AND NEW.retell_phone_id IS NOT OLD.retell_phone_id)
       OR (OLD.twilio_sid IS NOT NULL AND NEW.twilio_sid IS NOT OLD.twilio_sid);
END;
CREATE TRIGGER provider_resource_identity_guard_agent BEFORE UPDATE ON retell_agents FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'PROVIDER_RESOURCE_TENANT_IDENTITY_IMMUTABLE: a Retell agent cannot move to another tenant')
    WHERE NEW.organization_id IS NOT OLD.organization_id OR NEW.user_id IS NOT OLD.user_id;
    SELECT RAISE(ABORT, 'RETELL_AGENT_PROVIDER_IDENTITY_IMMUTABLE: retell_agent_id cannot change')
    WHERE NEW.retell_agent_id IS NOT OLD.retell_agent_id;
END;

CREATE TRIGGER dnc_suppression_identity_guard_delete BEFORE DELETE ON dnc_list
BEGIN
    SELECT RAISE(ABORT, 'DNC_SUPPRESSION_IRREVERSIBLE: a do-not-call entry cannot be deleted');
END;
CREATE TRIGGER dnc_suppression_identity_guard_update BEFORE UPDATE ON dnc_list FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'DNC_SUPPRESSION_IDENTITY_IMMUTABLE: organization, user and phone of a do-not-call entry cannot change')
    WHERE NEW.organization_id IS NOT OLD.organization_id
       OR NEW.user_id IS NOT OLD.user_id
       OR NEW.phone_number IS NOT OLD.phone_number
       OR NEW.phone_number_normalized IS NOT OLD.phone_number_normalized;
END;
CREATE TRIGGER enforce_dnc_tenant_contract BEFORE INSERT ON dnc_list FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'DNC_TENANT_NOT_MEMBER: the user is not a member of the organization')
    WHERE NOT EXISTS (
        SELECT 1 FROM organization_users ou
        WHERE ou.organization_id = NEW.organization_id AND ou.user_id = NEW.user_id);
END;

CREATE TRIGGER campaign_contact_release_delete_guard BEFORE DELETE ON campaign_contact_releases
BEGIN
    SELECT RAISE(ABORT, 'CAMPAIGN_CONTACT_RELEASE_AUDIT_DELETE_FORBIDDEN: a release is audit evidence');
END;
-- The only permitted update sets revoked_at once and touches nothing else.
CREATE TRIGGER campaign_contact_release_immutability_guard
BEFORE UPDATE ON campaign_contact_releases FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'CAMPAIGN_CONTACT_RELEASE_IMMUTABLE: only revoked_at may be set, once')
    WHERE OLD.revoked_at IS NOT NULL
       OR NEW.id IS NOT OLD.id
       OR NEW.organization_id IS NOT OLD.organization_id
       OR NEW.user_id IS NOT OLD.user_id
       OR NEW.campaign_id IS NOT OLD.campaign_id
       OR NEW.provider IS NOT OLD.provider
       OR NEW.retell_agent_id IS NOT OLD.retell_agent_id
       OR NEW.retell_agent_version IS NOT OLD.retell_agent_version
       OR NEW.retell_llm_id IS NOT OLD.retell_llm_id
       OR NEW.retell_llm_version IS NOT OLD.retell_llm_version
       OR NEW.caller_number_id IS NOT OLD.caller_number_id
       OR NEW.release_stage IS NOT OLD.release_stage
       OR NEW.cohort_limit IS NOT OLD.cohort_limit
       OR NEW.activated_at IS NOT OLD.activated_at
       OR NEW.expires_at IS NOT OLD.expires_at
       OR NEW.created_at IS NOT OLD.created_at;
END;
CREATE TRIGGER campaign_contact_release_members_guard
BEFORE DELETE ON campaign_contact_release_members
BEGIN
    SELECT RAISE(ABORT, 'CAMPAIGN_CONTACT_RELEASE_AUDIT_DELETE_FORBIDDEN: release members are audit evidence');
END;

-- Same-owner guards (schema.md §2): a row's campaign and lead belong to one tenant.
CREATE TRIGGER dialing_queues_same_tenant BEFORE INSERT ON dialing_queues FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'DIALING_QUEUE_TENANT_MISMATCH: campaign and lead belong to different tenants')
    WHERE NOT EXISTS (
        SELECT 1 FROM campaigns c JOIN leads l ON l.id = NEW.lead_id
        WHERE c.id = NEW.campaign_id
          AND c.organization_id = l.organization_id AND c.user_id = l.user_id);
END;
CREATE TRIGGER campaign_leads_same_tenant BEFORE INSERT ON campaign_leads FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'CAMPAIGN_LEAD_TENANT_MISMATCH: campaign and lead belong to different tenants')
    WHERE NOT EXISTS (
        SELECT 1 FROM campaigns c JOIN leads l ON l.id = NEW.lead_id
        WHERE c.id = NEW.campaign_id
          AND c.organization_id = l.organization_id AND c.user_id = l.user_id);
END;
