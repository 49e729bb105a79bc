-- The "scale" test data profile of schema.md §8, for benchmarks only (never CI).
--
-- Load into a fresh copy of the fixture template (scripts/seed-scale does):
--   5 orgs / 20 users, 200 phone numbers, 40 broadcasts / 200,000 broadcast_queue
--   rows, 100,000 leads, 20 campaigns, 100,000 dialing_queues, 1,000,000 call_logs
--   over 90 days, 300,000 dispatch claims and call attempts, 600,000 callback
--   receipts, 20,000 alerts; 5,000 rows in flight (3,000 queue rows and 1,500
--   dialing rows `calling`, 500 call_logs queued/ringing), 10% of them stale.
--
-- Every row is made set-based from generate_series with deterministic ids
-- (`scale_id(kind, n)`), so related rows are computed, not looked up. Triggers
-- and FK checks are off during the load (session_replication_role = replica);
-- the data respects them anyway. Secondary indexes are dropped before the load
-- and rebuilt after it, then everything is vacuumed and analysed.
--
-- Ages are relative to the load. The in-flight rows keep their ages only for a
-- while: `SELECT launchdeck_bench.rebase_in_flight()` shifts them (and the
-- reconciler's runtime row) to now again in a cloned database.
--
-- Ownership used throughout:
--   user u (1..20) belongs to org ((u-1)/4)+1; its first user is the owner
--   lead n (1..100,000) belongs to user ((n-1)/5000)+1
--   campaign c and dialing rows of campaign c belong to user c (5,000 leads each)
--   broadcast b belongs to user ((b-1)%20)+1; its 5,000 queue rows use that user's leads
--   call_log n belongs to user ((n-1)%20)+1 and that user's campaign

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';

-- Deterministic ids: 8 hex digits of kind, 12 hex digits of the row number.
CREATE FUNCTION pg_temp.scale_id(kind integer, n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT (lpad(to_hex(kind), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid
$$;

-- The row number back from a scale id.
CREATE FUNCTION pg_temp.scale_n(id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT ('x' || right(id::text, 12))::bit(48)::bigint
$$;

-- One transaction: now() is the same instant for every row, so the ages below
-- are exact relative to launchdeck_bench.scale_seed.seeded_at.
BEGIN;

-- Id kinds.
--  1 org  2 user  3 phone  4 broadcast  5 broadcast_queue  6 lead  7 campaign
--  8 dialing_queue  9 call_log  10 claim  11 attempt  12 receipt  13 job
--  14 alert  15 dispatch generation  16 release  17 misc per-user rows

-- ---------------------------------------------------------------------------
-- Drop the secondary indexes of the loaded tables (rebuilt at the end).
-- Indexes that back a constraint stay.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE scale_saved_indexes AS
SELECT ic.relname AS index_name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace ns ON ns.oid = tc.relnamespace
WHERE ns.nspname = 'public'
  AND tc.relname IN ('broadcast_queue', 'leads', 'dialing_queues', 'call_logs',
                     'provider_dispatch_claims', 'provider_call_attempts',
                     'provider_callback_receipts', 'system_alerts', 'campaign_leads')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);

DO $$
DECLARE
    saved record;
BEGIN
    FOR saved IN SELECT index_name FROM scale_saved_indexes LOOP
        EXECUTE format('DROP INDEX public.%I', saved.index_name);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Tenants: 5 orgs, 20 users
-- ---------------------------------------------------------------------------
INSERT INTO organizations (id, name, slug, subscription_tier, created_at, updated_at)
SELECT pg_temp.scale_id(1, o), 'Scale Org ' || o, 'scale-org-' || o,
       (ARRAY['basic', 'professional', 'enterprise'])[1 + o % 3],
       now() - interval '400 days', now() - interval '1 day'
FROM generate_series(1, 5) AS o;

INSERT INTO auth.users (id, email)
SELECT pg_temp.scale_id(2, u), 'scale-user-' || u || '@example.test'
FROM generate_series(1, 20) AS u;

INSERT INTO organization_users (organization_id, user_id, role, joined_at)
SELECT pg_temp.scale_id(1, (u - 1) / 4 + 1), pg_temp.scale_id(2, u),
       (ARRAY['owner', 'admin', 'manager', 'member'])[1 + (u - 1) % 4],
       now() - interval '300 days'
FROM generate_series(1, 20) AS u;

-- ---------------------------------------------------------------------------
-- Per-user configuration
-- ---------------------------------------------------------------------------
INSERT INTO sip_trunk_configs (id, user_id, name, provider_type, is_default,
                               twilio_trunk_sid, twilio_termination_uri)
SELECT pg_temp.scale_id(17, u), pg_temp.scale_id(2, u), 'Trunk ' || u, 'twilio', true,
       'TK' || md5('trunk' || u), 'scale' || u || '.pstn.twilio.com'
FROM generate_series(1, 20, 4) AS u;

INSERT INTO retell_agents (user_id, organization_id, retell_agent_id, retell_llm_id, agent_name)
SELECT pg_temp.scale_id(2, u), pg_temp.scale_id(1, (u - 1) / 4 + 1),
       'agent_scale_' || u, 'llm_scale_' || u, 'Scale agent ' || u
FROM generate_series(1, 20) AS u;

INSERT INTO system_settings (user_id, max_concurrent_calls, retell_max_concurrent)
SELECT pg_temp.scale_id(2, u), 20, 15
FROM generate_series(1, 20) AS u;

INSERT INTO budget_settings (user_id, daily_limit, monthly_limit)
SELECT pg_temp.scale_id(2, u), 500, 10000
FROM generate_series(1, 20) AS u;

INSERT INTO calendar_availability (user_id)
SELECT pg_temp.scale_id(2, u) FROM generate_series(1, 20) AS u;

INSERT INTO calendar_integrations (user_id, provider, provider_account_email,
                                   access_token_encrypted, refresh_token_encrypted,
                                   token_expires_at, calendar_id)
SELECT pg_temp.scale_id(2, u), 'google', 'scale-user-' || u || '@example.test',
       encode(convert_to('ya29.scale-access-' || u, 'UTF8'), 'base64'),
       encode(convert_to('1//scale-refresh-' || u, 'UTF8'), 'base64'),
       now() + make_interval(mins => 5 + u * 3), 'primary'
FROM generate_series(1, 20) AS u;

-- ---------------------------------------------------------------------------
-- phone_numbers (200): 40 per org, spread over the org's users
-- ---------------------------------------------------------------------------
INSERT INTO phone_numbers (id, number, area_code, daily_calls, status, quarantine_until,
                           is_spam, user_id, organization_id, retell_phone_id, provider,
                           purpose, twilio_sid, stir_shaken_attestation, allowed_uses,
                           last_call_at, created_at, updated_at)
SELECT pg_temp.scale_id(3, n),
       '+1415' || lpad((5550000 + n)::text, 7, '0'),
       '415',
       n % 40,
       CASE n % 20 WHEN 0 THEN 'quarantined' WHEN 1 THEN 'cooldown' ELSE 'active' END,
       CASE WHEN n % 20 = 0 THEN current_date + 3 END,
       n % 50 = 7,
       pg_temp.scale_id(2, u), pg_temp.scale_id(1, (u - 1) / 4 + 1),
       CASE WHEN n % 3 <> 0 THEN 'ph_scale_' || n END,
       (ARRAY['twilio', 'twilio', 'retell_native', 'telnyx'])[1 + n % 4],
       CASE WHEN n % 3 <> 0 THEN 'retell_agent' ELSE 'broadcast' END,
       CASE WHEN n % 4 IN (0, 1) THEN 'PN' || md5('phone' || n) END,
       (ARRAY['A', 'B', 'C', 'not_verified'])[1 + n % 4],
       '{voice_ai}'::text[],
       now() - make_interval(mins => n),
       now() - interval '200 days', now() - make_interval(mins => n)
FROM generate_series(1, 200) AS n,
     LATERAL (SELECT (n - 1) % 20 + 1 AS u) AS owner;

-- ---------------------------------------------------------------------------
-- leads (100,000): 5,000 per user; 10% without a state
-- ---------------------------------------------------------------------------
INSERT INTO leads (id, user_id, organization_id, phone_number, phone_number_normalized,
                   first_name, last_name, status, priority, state, timezone,
                   lead_source, created_at, updated_at)
SELECT pg_temp.scale_id(6, n), pg_temp.scale_id(2, u), pg_temp.scale_id(1, (u - 1) / 4 + 1),
       '+1' || (2000000000 + n), '+1' || (2000000000 + n),
       'Lead', 'Number ' || n,
       (ARRAY['new', 'new', 'new', 'contacted', 'interested', 'callback', 'not_interested',
              'dnc', 'converted', 'nurturing'])[1 + n % 10],
       1 + n % 5,
       CASE WHEN n % 10 = 0 THEN NULL
            ELSE (ARRAY['CA', 'NY', 'TX', 'FL', 'WA', 'IL', 'AZ', 'GA', 'OH'])[1 + n % 9] END,
       (ARRAY['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'])[1 + n % 4],
       (ARRAY['import', 'ghl', 'web'])[1 + n % 3],
       now() - make_interval(days => (n % 365)::int), now() - make_interval(days => (n % 30)::int)
FROM generate_series(1, 100000) AS n,
     LATERAL (SELECT (n - 1) / 5000 + 1 AS u) AS owner;

-- ---------------------------------------------------------------------------
-- voice_broadcasts (40) and broadcast_queue (200,000)
-- broadcasts 1–10 active, 11–20 paused, 21–35 completed, 36–40 draft
-- ---------------------------------------------------------------------------
INSERT INTO voice_broadcasts (id, user_id, name, status, message_text, total_leads,
                              caller_id, created_at, updated_at)
SELECT pg_temp.scale_id(4, b), pg_temp.scale_id(2, (b - 1) % 20 + 1), 'Scale broadcast ' || b,
       CASE WHEN b <= 10 THEN 'active' WHEN b <= 20 THEN 'paused'
            WHEN b <= 35 THEN 'completed' ELSE 'draft' END,
       'Hello from scale broadcast ' || b, 5000,
       '+1415' || lpad((5550000 + b)::text, 7, '0'),
       now() - make_interval(days => b), now() - make_interval(hours => b)
FROM generate_series(1, 40) AS b;

-- In flight: the first 300 rows of each active broadcast are `calling`
-- (3,000); the first 30 of those (10%) went stale 6–35 minutes ago.
INSERT INTO broadcast_queue (id, broadcast_id, lead_id, phone_number, lead_name, status,
                             attempts, max_attempts, scheduled_at, call_sid, amd_result,
                             call_cost, call_duration_seconds, dtmf_pressed, error_code,
                             created_at, updated_at)
SELECT pg_temp.scale_id(5, n), pg_temp.scale_id(4, b), pg_temp.scale_id(6, lead_n),
       '+1' || (2000000000 + lead_n), 'Lead Number ' || lead_n,
       status,
       CASE WHEN status = 'pending' THEN 0 ELSE 1 END, 1,
       now() - make_interval(days => 2) + make_interval(secs => k * 30),
       CASE WHEN status <> 'pending' THEN 'CA' || md5('bq' || n) END,
       CASE WHEN status IN ('answered', 'completed', 'transferred', 'callback', 'dnc') THEN 'human'
            WHEN status = 'voicemail' THEN 'machine' END,
       CASE WHEN status NOT IN ('pending', 'calling') THEN 0.0130 + (n % 7) * 0.001 END,
       CASE WHEN status NOT IN ('pending', 'calling') THEN 5 + n % 120 END,
       CASE status WHEN 'transferred' THEN '1' WHEN 'callback' THEN '2' WHEN 'dnc' THEN '3' END,
       CASE WHEN status = 'failed' THEN 'NO_ROUTE' END,
       now() - make_interval(days => 3),
       CASE WHEN status = 'calling' AND k < 30 THEN now() - make_interval(mins => 6 + k)
            WHEN status = 'calling' THEN now() - make_interval(secs => k % 240)
            ELSE now() - make_interval(mins => (n % 2880)::int) END
FROM generate_series(1, 200000) AS n,
     LATERAL (SELECT (n - 1) / 5000 + 1 AS b, (n - 1) % 5000 AS k) AS pos,
     LATERAL (SELECT ((b - 1) % 20) * 5000 + k + 1 AS lead_n) AS lead,
     LATERAL (SELECT CASE
         WHEN b <= 10 AND k < 300 THEN 'calling'
         WHEN b > 35 THEN 'pending'
         WHEN k % 100 < 55 THEN CASE WHEN b BETWEEN 21 AND 35 THEN 'completed' ELSE 'pending' END
         WHEN k % 100 < 67 THEN 'answered'
         WHEN k % 100 < 75 THEN 'completed'
         WHEN k % 100 < 81 THEN 'voicemail'
         WHEN k % 100 < 87 THEN 'no_answer'
         WHEN k % 100 < 92 THEN 'failed'
         WHEN k % 100 < 94 THEN 'busy'
         WHEN k % 100 < 96 THEN 'transferred'
         WHEN k % 100 = 96 THEN 'callback'
         WHEN k % 100 = 97 THEN 'dnc'
         ELSE 'completed' END AS status) AS s;

-- ---------------------------------------------------------------------------
-- campaigns (20), campaign_leads (100,000), dialing_queues (100,000)
-- campaigns 1–10 active, 11–15 paused, 16–18 completed, 19–20 draft
-- ---------------------------------------------------------------------------
INSERT INTO campaigns (id, user_id, organization_id, name, status, agent_id,
                       calls_per_minute, max_attempts, created_at, updated_at)
SELECT pg_temp.scale_id(7, c), pg_temp.scale_id(2, c), pg_temp.scale_id(1, (c - 1) / 4 + 1),
       'Scale campaign ' || c,
       CASE WHEN c <= 10 THEN 'active' WHEN c <= 15 THEN 'paused'
            WHEN c <= 18 THEN 'completed' ELSE 'draft' END,
       'agent_scale_' || c, 5 + c % 20, 3,
       now() - make_interval(days => 30 + c), now() - make_interval(hours => c)
FROM generate_series(1, 20) AS c;

INSERT INTO campaign_leads (id, campaign_id, lead_id, added_at)
SELECT pg_temp.scale_id(17, 1000 + n), pg_temp.scale_id(7, (n - 1) / 5000 + 1),
       pg_temp.scale_id(6, n), now() - interval '30 days'
FROM generate_series(1, 100000) AS n;

-- In flight: the first 150 rows of each active campaign are `calling` (1,500);
-- the first 15 of those (10%) are stale: 3–31 minutes old with no call id;
-- the rest are under a minute old, half of them with a provider call id.
INSERT INTO dialing_queues (id, campaign_id, lead_id, phone_number, priority, status,
                            scheduled_at, attempts, max_attempts, notes, last_provider,
                            last_provider_call_id, last_attempted_at, dispatch_generation,
                            created_at, updated_at)
SELECT pg_temp.scale_id(8, n), pg_temp.scale_id(7, c), pg_temp.scale_id(6, n),
       '+1' || (2000000000 + n), 1 + n % 5, status,
       now() - interval '1 hour' + make_interval(secs => k * 20),
       attempts, 3,
       CASE WHEN status = 'removed' THEN 'Cancelled by tenant operator'
            WHEN status = 'failed' THEN 'Max attempts (3) reached' END,
       CASE WHEN attempts > 0 OR status = 'calling' THEN 'retell' END,
       CASE WHEN status = 'calling' AND k >= 15 AND k % 2 = 0 THEN 'call_dq_' || n END,
       CASE WHEN attempts > 0 OR status = 'calling' THEN now() - make_interval(mins => (k % 600)::int) END,
       CASE WHEN status = 'calling' THEN pg_temp.scale_id(15, n) END,
       now() - interval '30 days',
       CASE WHEN status = 'calling' AND k < 15 THEN now() - make_interval(mins => 3 + 2 * k)
            WHEN status = 'calling' THEN now() - make_interval(secs => k % 60)
            ELSE now() - make_interval(mins => (n % 4320)::int) END
FROM generate_series(1, 100000) AS n,
     LATERAL (SELECT (n - 1) / 5000 + 1 AS c, (n - 1) % 5000 AS k) AS pos,
     LATERAL (SELECT CASE
         WHEN c <= 10 AND k < 150 THEN 'calling'
         WHEN k % 100 < 62 THEN 'pending'
         WHEN k % 100 < 82 THEN 'completed'
         WHEN k % 100 < 94 THEN 'failed'
         WHEN k % 100 < 97 THEN 'removed'
         ELSE 'pending' END AS status) AS s,
     LATERAL (SELECT CASE status
         WHEN 'completed' THEN 1 + n % 3
         WHEN 'failed' THEN 3
         WHEN 'removed' THEN n % 2
         ELSE 0 END AS attempts) AS a;

-- ---------------------------------------------------------------------------
-- call_logs (1,000,000) over 90 days; n = 1 is the newest
--   n ≤ 500: in flight, queued (even n) or ringing (odd n); n % 10 = 0 stale
--            (3–39 minutes old, no provider id); the rest under a minute old
--   501–700: quarantined (acceptance unknown), failed with no call id
--   the rest: completed 48%, failed 20, no_answer 20, voicemail 8, busy 4
-- ---------------------------------------------------------------------------
INSERT INTO call_logs (id, user_id, organization_id, campaign_id, lead_id, phone_number,
                       caller_id, retell_call_id, status, duration_seconds, outcome, notes,
                       created_at, started_at, answered_at, ended_at, agent_id, agent_name,
                       provider, retell_cost_cents, billed_cost_cents, credit_deducted,
                       sentiment, provider_reconciliation_required,
                       provider_reconciliation_reason, provider_reconciliation_marked_at)
SELECT pg_temp.scale_id(9, n), pg_temp.scale_id(2, u), pg_temp.scale_id(1, (u - 1) / 4 + 1),
       pg_temp.scale_id(7, u), pg_temp.scale_id(6, lead_n),
       '+1' || (2000000000 + lead_n), '+1415' || lpad((5550000 + u)::text, 7, '0'),
       CASE WHEN has_call_id THEN 'call_' || lpad(to_hex(n), 10, '0') END,
       status,
       CASE WHEN status = 'completed' THEN 30 + n % 400 WHEN status = 'voicemail' THEN 20 ELSE 0 END,
       CASE status WHEN 'completed' THEN (ARRAY['interested', 'not_interested', 'callback_requested',
                                                'completed', 'appointment_set'])[1 + n % 5]
                   WHEN 'voicemail' THEN 'voicemail' WHEN 'no_answer' THEN 'no_answer'
                   WHEN 'busy' THEN 'busy' END,
       CASE WHEN quarantined THEN 'Retell acceptance unknown' END,
       created,
       CASE WHEN has_call_id THEN created + interval '2 seconds' END,
       CASE WHEN status = 'completed' THEN created + interval '5 seconds' END,
       CASE WHEN status NOT IN ('queued', 'ringing') THEN created + make_interval(secs => 10 + n % 400) END,
       'agent_scale_' || u, 'Scale agent ' || u,
       'retell',
       CASE WHEN status = 'completed' THEN 5 + n % 60 END,
       CASE WHEN status = 'completed' AND n > 5000 THEN 5 + n % 60 END,
       status = 'completed' AND n > 5000,
       CASE WHEN status = 'completed' THEN (ARRAY['Positive', 'Neutral', 'Negative'])[1 + n % 3] END,
       quarantined,
       CASE WHEN quarantined THEN 'acceptance_unknown' END,
       CASE WHEN quarantined THEN created + interval '90 seconds' END
FROM generate_series(1, 1000000) AS n,
     LATERAL (SELECT (n - 1) % 20 + 1 AS u,
                     ((n - 1) % 20) * 5000 + ((n - 1) / 20) % 5000 + 1 AS lead_n,
                     n BETWEEN 501 AND 700 AS quarantined) AS who,
     LATERAL (SELECT CASE
         WHEN n <= 500 AND n % 2 = 0 THEN 'queued'
         WHEN n <= 500 THEN 'ringing'
         WHEN quarantined THEN 'failed'
         WHEN n % 100 < 48 THEN 'completed'
         WHEN n % 100 < 68 THEN 'failed'
         WHEN n % 100 < 88 THEN 'no_answer'
         WHEN n % 100 < 96 THEN 'voicemail'
         ELSE 'busy' END AS status) AS s,
     LATERAL (SELECT CASE
         WHEN n <= 500 AND n % 10 = 0 THEN now() - make_interval(mins => 3 + (n % 37)::int)
         WHEN n <= 500 THEN now() - make_interval(secs => n % 60)
         ELSE now() - interval '2 minutes' - make_interval(secs => (n - 500) * 7.776)
         END AS created) AS t,
     LATERAL (SELECT CASE
         WHEN n <= 500 THEN status = 'ringing' AND n % 10 <> 0
         WHEN quarantined THEN false
         WHEN status = 'failed' THEN n % 2 = 1
         ELSE true END AS has_call_id) AS ids;

-- ---------------------------------------------------------------------------
-- provider_dispatch_claims (300,000): one per call_log for the newest 300,000
-- ---------------------------------------------------------------------------
INSERT INTO provider_dispatch_claims (id, logical_key, call_log_id, organization_id, user_id,
                                      campaign_id, lead_id, provider, status, provider_call_id,
                                      last_error, claimed_at, finalized_at, updated_at,
                                      destination_phone, caller_id, agent_id)
SELECT pg_temp.scale_id(10, n), 'request:' || cl.user_id || ':scale-' || n, cl.id,
       cl.organization_id, cl.user_id, cl.campaign_id, cl.lead_id, 'retell',
       claim_status,
       CASE WHEN claim_status = 'accepted' THEN cl.retell_call_id END,
       CASE claim_status WHEN 'definite_failure' THEN 'Retell refused the call (422)'
                         WHEN 'acceptance_unknown' THEN 'Retell returned 503' END,
       cl.created_at,
       CASE WHEN claim_status <> 'claimed' THEN cl.created_at + interval '1 second' END,
       cl.created_at + interval '1 second',
       cl.phone_number, cl.caller_id, cl.agent_id
FROM call_logs cl,
     LATERAL (SELECT pg_temp.scale_n(cl.id) AS n) AS num,
     LATERAL (SELECT CASE
         WHEN cl.provider_reconciliation_required THEN 'acceptance_unknown'
         WHEN cl.retell_call_id IS NOT NULL THEN 'accepted'
         WHEN cl.status IN ('queued', 'ringing') THEN 'claimed'
         ELSE 'definite_failure' END AS claim_status) AS s
WHERE pg_temp.scale_n(cl.id) <= 300000;

-- ---------------------------------------------------------------------------
-- provider_call_attempts (300,000): the newest 300,000 calls Retell accepted
-- ---------------------------------------------------------------------------
INSERT INTO provider_call_attempts (id, provider, provider_call_id, call_log_id,
                                    organization_id, user_id, campaign_id, lead_id,
                                    accepted_at, metadata)
SELECT pg_temp.scale_id(11, row_number() OVER (ORDER BY cl.created_at DESC)),
       'retell', cl.retell_call_id, cl.id, cl.organization_id, cl.user_id,
       cl.campaign_id, cl.lead_id, cl.created_at + interval '1 second',
       jsonb_build_object('agent_id', cl.agent_id)
FROM (SELECT * FROM call_logs WHERE retell_call_id IS NOT NULL
      ORDER BY created_at DESC LIMIT 300000) AS cl;

-- ---------------------------------------------------------------------------
-- provider_callback_receipts (600,000): started + terminal per attempt;
-- one terminal receipt in 1,000 needs reconciliation
-- ---------------------------------------------------------------------------
INSERT INTO provider_callback_receipts (id, provider, provider_call_id, lifecycle_stage, status,
                                        payload_sha256, first_received_at, last_received_at,
                                        locked_until, attempt_count, processed_at, last_error)
SELECT pg_temp.scale_id(12, 2 * n - stage.offset_n), 'retell', a.provider_call_id,
       stage.name,
       CASE WHEN stage.name = 'terminal_reconciliation' AND n % 1000 = 0
            THEN 'reconciliation_required' ELSE 'processed' END,
       encode(sha256(convert_to(a.provider_call_id || stage.name, 'UTF8')), 'hex'),
       a.accepted_at + stage.delay, a.accepted_at + stage.delay,
       NULL,
       1,
       CASE WHEN stage.name = 'terminal_reconciliation' AND n % 1000 = 0 THEN NULL
            ELSE a.accepted_at + stage.delay END,
       CASE WHEN stage.name = 'terminal_reconciliation' AND n % 1000 = 0
            THEN 'call_log update conflicted' END
FROM provider_call_attempts a,
     LATERAL (SELECT pg_temp.scale_n(a.id) AS n) AS num,
     (VALUES ('started', 1, interval '2 seconds'),
             ('terminal_reconciliation', 0, interval '3 minutes')) AS stage (name, offset_n, delay);

-- ---------------------------------------------------------------------------
-- provider_reconciliation_jobs (about 1,000): 200 open for the
-- acceptance_unknown claims (queued, waiting_provider, manual_required,
-- processing with some expired leases) and about 800 resolved
-- ---------------------------------------------------------------------------
INSERT INTO provider_reconciliation_jobs (id, dispatch_claim_id, organization_id, user_id, state,
                                          reason, attempt_count, first_detected_at,
                                          last_attempt_at, next_attempt_at, locked_until,
                                          claim_token, last_error, resolved_at,
                                          created_at, updated_at)
SELECT pg_temp.scale_id(13, n), c.id, c.organization_id, c.user_id, state,
       'acceptance_unknown',
       CASE state WHEN 'manual_required' THEN 12 WHEN 'queued' THEN 0 ELSE 1 + n % 5 END,
       c.claimed_at + interval '90 seconds',
       CASE WHEN state <> 'queued' THEN now() - make_interval(mins => (n % 30)::int) END,
       now() + make_interval(secs => (n % 600)::int),
       CASE WHEN state = 'processing' AND n % 8 = 3 THEN now() - interval '3 minutes'
            WHEN state = 'processing' THEN now() + interval '8 minutes' END,
       CASE WHEN state = 'processing' THEN pg_temp.scale_id(17, 500000 + n) END,
       CASE WHEN state IN ('waiting_provider', 'manual_required') THEN 'Retell returned 503' END,
       CASE WHEN state = 'resolved' THEN c.claimed_at + interval '10 minutes' END,
       c.claimed_at + interval '90 seconds',
       CASE WHEN state = 'resolved' THEN c.claimed_at + interval '10 minutes'
            ELSE now() - make_interval(mins => (n % 60)::int) END
FROM provider_dispatch_claims c,
     LATERAL (SELECT pg_temp.scale_n(c.id) AS n) AS num,
     LATERAL (SELECT CASE
         WHEN c.status = 'acceptance_unknown' THEN
             (ARRAY['queued', 'waiting_provider', 'manual_required', 'processing'])[1 + n % 4]
         ELSE 'resolved' END AS state) AS s
WHERE c.status = 'acceptance_unknown'
   OR (c.status = 'accepted' AND pg_temp.scale_n(c.id) BETWEEN 1001 AND 1890);

-- ---------------------------------------------------------------------------
-- Reconciler runtime, cron job and vault secrets (healthy)
-- ---------------------------------------------------------------------------
INSERT INTO retell_reconciliation_runtime (last_started_at, last_succeeded_at,
                                           last_claimed_count, updated_at)
VALUES (now() - interval '1 minute', now() - interval '1 minute', 12, now() - interval '1 minute');

INSERT INTO cron.job (jobname, active) VALUES ('retell-provider-reconciler', true);

INSERT INTO vault.decrypted_secrets (name, decrypted_secret) VALUES
    ('project_url', 'https://scale-project.example.test'),
    ('service_role_key', 'scale-service-role-key-not-a-real-secret');

-- ---------------------------------------------------------------------------
-- Releases: a `normal` release of 1,000 members for each active campaign
-- ---------------------------------------------------------------------------
INSERT INTO campaign_contact_releases (id, organization_id, user_id, campaign_id,
    retell_agent_id, retell_agent_version, retell_llm_id, retell_llm_version, caller_number_id,
    release_stage, cohort_limit, campaign_bundle_sha256, database_certificate_sha256,
    provider_owned_phone_certificate_sha256, global_stop_drill_sha256, seller_dnc_drill_sha256,
    voice_opt_out_drill_sha256, conversation_suite_sha256, approval_chain_sha256,
    external_trust_root_sha256, activated_at, expires_at, source_shadow_adapter,
    source_shadow_certificate_sha256)
SELECT pg_temp.scale_id(16, c), pg_temp.scale_id(1, (c - 1) / 4 + 1), pg_temp.scale_id(2, c),
       pg_temp.scale_id(7, c), 'agent_scale_' || c, 1, 'llm_scale_' || c, 1,
       pg_temp.scale_id(3, c), 'normal', 1000,
       h, h, h, h, h, h, h, h, h,
       now() - interval '1 day', now() + interval '29 days', 'signed_direct_import', h
FROM generate_series(1, 10) AS c,
     LATERAL (SELECT encode(sha256(convert_to('release' || c, 'UTF8')), 'hex') AS h) AS hash;

INSERT INTO campaign_contact_release_members (release_id, organization_id, user_id,
                                              campaign_id, lead_id)
SELECT pg_temp.scale_id(16, c), pg_temp.scale_id(1, (c - 1) / 4 + 1), pg_temp.scale_id(2, c),
       pg_temp.scale_id(7, c), pg_temp.scale_id(6, (c - 1) * 5000 + k)
FROM generate_series(1, 10) AS c, generate_series(1, 1000) AS k;

-- ---------------------------------------------------------------------------
-- Stops, DNC, transfers, alerts, health logs
-- ---------------------------------------------------------------------------
INSERT INTO contact_stop_controls (scope_type, organization_id, campaign_id, active, reason,
                                   activated_at, expires_at)
VALUES
    ('campaign', NULL, pg_temp.scale_id(7, 20), true, 'Scale: draft campaign held',
     now() - interval '2 days', NULL),
    ('organization', pg_temp.scale_id(1, 4), NULL, false, 'Scale: lifted org stop',
     now() - interval '10 days', NULL),
    ('organization', pg_temp.scale_id(1, 3), NULL, true, 'Scale: expired org stop',
     now() - interval '5 days', now() - interval '4 days');

-- 5,000 DNC entries: every 20th lead.
INSERT INTO dnc_list (user_id, organization_id, phone_number, phone_number_normalized, reason,
                      added_at, created_at)
SELECT pg_temp.scale_id(2, u), pg_temp.scale_id(1, (u - 1) / 4 + 1),
       '+1' || (2000000000 + n), '+1' || (2000000000 + n), 'Requested on call',
       now() - make_interval(days => (n % 90)::int), now() - make_interval(days => (n % 90)::int)
FROM generate_series(20, 100000, 20) AS n,
     LATERAL (SELECT (n - 1) / 5000 + 1 AS u) AS owner;

-- 50 transfers, 10 of them still `active` after more than 30 minutes.
INSERT INTO active_ai_transfers (user_id, platform, retell_call_id, lead_id, transfer_number,
                                 started_at, ended_at, status, created_at, updated_at)
SELECT pg_temp.scale_id(2, u), 'retell', 'call_' || lpad(to_hex(n * 2 + 1), 10, '0'),
       pg_temp.scale_id(6, (u - 1) * 5000 + n), '+14155559999',
       started, CASE WHEN n > 20 THEN started + interval '4 minutes' END,
       CASE WHEN n > 20 THEN 'completed' ELSE 'active' END, started, started
FROM generate_series(1, 50) AS n,
     LATERAL (SELECT (n - 1) % 20 + 1 AS u,
                     CASE WHEN n <= 10 THEN now() - make_interval(mins => 35 + n)
                          ELSE now() - make_interval(mins => n) END AS started) AS t;

-- 20,000 alerts over 90 days; 4 in 5 acknowledged.
INSERT INTO system_alerts (id, user_id, alert_type, severity, title, message, related_id,
                           related_type, acknowledged, acknowledged_at, created_at)
SELECT pg_temp.scale_id(14, n), pg_temp.scale_id(2, (n - 1) % 20 + 1), alert_type,
       (ARRAY['info', 'warning', 'error', 'critical'])[1 + n % 4],
       initcap(replace(alert_type, '_', ' ')), 'Scale alert ' || n || ': ' || alert_type,
       pg_temp.scale_id(4, 1 + n % 40)::text, 'broadcast',
       n % 5 <> 0, CASE WHEN n % 5 <> 0 THEN created + interval '10 minutes' END,
       created
FROM generate_series(1, 20000) AS n,
     LATERAL (SELECT (ARRAY['stuck_calls', 'high_error_rate', 'auto_paused', 'stalled_broadcast',
                            'error_rate_warning', 'api_rate_limit', 'emergency_stop',
                            'retell_reconciliation_manual_required', 'stuck_calls_recovered',
                            'budget_auto_pause', 'engine_heartbeat_stale', 'no_numbers_available',
                            'campaign_no_agent', 'provider_call_failed'])[1 + n % 14] AS alert_type,
                     now() - make_interval(secs => n * 388) AS created) AS a;

INSERT INTO system_health_logs (service_name, status, response_time_ms, created_at)
SELECT (ARRAY['retell-ai', 'supabase-db', 'edge-functions', 'phone-provisioning'])[1 + n % 4],
       (ARRAY['online', 'online', 'online', 'degraded'])[1 + n % 4],
       50 + n % 400, now() - interval '3 days' - make_interval(mins => n * 5)
FROM generate_series(1, 1000) AS n;

-- ---------------------------------------------------------------------------
-- Rebuild the secondary indexes, then vacuum (visibility map for index-only
-- scans) and analyse.
-- ---------------------------------------------------------------------------
SET session_replication_role = origin;

DO $$
DECLARE
    saved record;
BEGIN
    FOR saved IN SELECT definition FROM scale_saved_indexes ORDER BY index_name LOOP
        EXECUTE saved.definition;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Bench helpers: when the data was made, and a way to make it "now" again
-- ---------------------------------------------------------------------------
CREATE SCHEMA launchdeck_bench;

CREATE TABLE launchdeck_bench.scale_seed (
    profile text NOT NULL,
    seeded_at timestamptz NOT NULL
);
INSERT INTO launchdeck_bench.scale_seed VALUES ('scale', now());

-- Shifts the in-flight rows (calling queue and dialing rows, queued/ringing
-- call_logs) and the reconciler's runtime row by the time since the seed, so a
-- clone made later has the same stale/fresh split. Needs a superuser (it turns
-- the platform's triggers off for its own transaction). Returns the shift.
CREATE FUNCTION launchdeck_bench.rebase_in_flight() RETURNS interval
    LANGUAGE plpgsql
AS $$
DECLARE
    shift interval;
BEGIN
    SELECT now() - seeded_at INTO shift FROM launchdeck_bench.scale_seed;
    PERFORM set_config('session_replication_role', 'replica', true);
    UPDATE broadcast_queue SET updated_at = updated_at + shift WHERE status = 'calling';
    UPDATE dialing_queues SET updated_at = updated_at + shift WHERE status = 'calling';
    UPDATE call_logs SET created_at = created_at + shift WHERE status IN ('queued', 'ringing');
    UPDATE retell_reconciliation_runtime
    SET last_started_at = last_started_at + shift,
        last_succeeded_at = last_succeeded_at + shift,
        updated_at = updated_at + shift;
    UPDATE launchdeck_bench.scale_seed SET seeded_at = now();
    PERFORM set_config('session_replication_role', 'origin', true);
    RETURN shift;
END
$$;

COMMIT;

VACUUM (ANALYZE);
