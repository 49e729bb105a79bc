-- The "scale2" test data profile, for benchmarks only (never CI): the scale
-- profile (scale.sql) with every big table's history twice as large and the
-- same rows in flight.
--
-- Load into a fresh copy of launchdeck_scale_template (scripts/seed-scale
-- --double does). It adds, to the scale data:
--   100,000 leads (each user's 5,000 leads cloned with new phone numbers) and
--   their 100,000 campaign_leads (each campaign enrols its user's clones),
--   200,000 broadcast_queue rows (5,000 more per broadcast, on the clones),
--   100,000 dialing_queues (5,000 more per campaign, on the clones),
--   1,000,000 call_logs (50,000 more per user and campaign) over the same 90 days,
--   300,000 dispatch claims and call attempts, 600,000 callback receipts (for the
--   newest 300,000 added calls, as in scale.sql), 20,000 alerts over the same 90 days;
-- giving 200,000 leads, 400,000 queue rows, 200,000 dialing rows, 2,000,000
-- call_logs, 600,000 claims and attempts, 1,200,000 receipts, 40,000 alerts.
--
-- Every added row is finished history: queue rows, dialing rows and calls in
-- terminal statuses drawn from scale.sql's distribution of finished rows,
-- claims accepted or definitely failed, receipts processed, alerts acknowledged.
-- So what is in flight or open is exactly the scale profile's: 3,000 queue rows
-- and 1,500 dialing rows `calling`, 500 call_logs queued/ringing, 450 open
-- claims (claimed or acceptance_unknown), the same reconciliation jobs,
-- receipts needing reconciliation and unacknowledged alerts.
--
-- Ages are relative to launchdeck_bench.scale_seed.seeded_at (when the scale
-- template was made), not to this load, so old and new rows line up and
-- `SELECT launchdeck_bench.rebase_in_flight()` works on a clone as before.
--
-- Ids follow scale.sql (`scale_id(kind, n)`), numbered on from the scale rows:
--   lead 100,000 + n is the clone of lead n (same user, phone +1 (2,000,100,000 + n))
--   broadcast_queue 200,001–400,000: row 200,000 + i of broadcast ((i-1)/5000)+1
--   dialing_queue n = 100,001–200,000 of campaign ((n-100,001)/5000)+1, lead n
--   call_log 1,000,000 + m (m = 1 is the newest added call): user ((m-1)%20)+1
--   claim n for call_log n; attempts 300,001–600,000; receipts 600,001–1,200,000
--   alert 20,000 + m

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';

CREATE FUNCTION pg_temp.scale_id(kind integer, n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT (lpad(to_hex(kind), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid
$$;

CREATE FUNCTION pg_temp.scale_n(id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT ('x' || right(id::text, 12))::bit(48)::bigint
$$;

BEGIN;

-- Only on the scale profile, once.
DO $$
BEGIN
    IF to_regclass('launchdeck_bench.scale_seed') IS NULL
       OR NOT EXISTS (SELECT 1 FROM launchdeck_bench.scale_seed WHERE profile = 'scale')
       OR (SELECT count(*) FROM call_logs) <> 1000000
       OR EXISTS (SELECT 1 FROM leads WHERE id = pg_temp.scale_id(6, 100001)) THEN
        RAISE EXCEPTION 'scale2.sql loads into a fresh copy of launchdeck_scale_template only';
    END IF;
END
$$;

-- :t0 is the instant the scale rows' ages are relative to.
SELECT seeded_at FROM launchdeck_bench.scale_seed \gset
\set t0 :'seeded_at' '::timestamptz'

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
-- leads (+100,000): lead 100,000 + n is lead n with another phone number
-- ---------------------------------------------------------------------------
INSERT INTO leads (id, user_id, organization_id, phone_number, phone_number_normalized,
                   first_name, last_name, status, priority, state, timezone,
                   lead_source, created_at, updated_at)
SELECT pg_temp.scale_id(6, 100000 + n), l.user_id, l.organization_id,
       '+1' || (2000100000 + n), '+1' || (2000100000 + n),
       l.first_name, 'Number ' || (100000 + n), l.status, l.priority, l.state, l.timezone,
       l.lead_source, l.created_at, l.updated_at
FROM generate_series(1, 100000) AS n
JOIN leads l ON l.id = pg_temp.scale_id(6, n);

-- Each campaign enrols its user's clones too (10,000 leads a campaign).
INSERT INTO campaign_leads (id, campaign_id, lead_id, added_at)
SELECT pg_temp.scale_id(17, 101000 + n), pg_temp.scale_id(7, (n - 1) / 5000 + 1),
       pg_temp.scale_id(6, 100000 + n), :t0 - interval '30 days'
FROM generate_series(1, 100000) AS n;

-- ---------------------------------------------------------------------------
-- broadcast_queue (+200,000): 5,000 more rows per broadcast, on the clones of
-- the leads its first 5,000 use, all finished. Row k of broadcast b keeps the
-- status the scale rule gives it when that is a finished one; a row that rule
-- leaves pending or calling takes a finished status in the same proportions
-- (answered 12, completed 10, voicemail 6, no_answer 6, failed 5, busy 2,
-- transferred 2, callback 1, dnc 1).
-- ---------------------------------------------------------------------------
INSERT INTO broadcast_queue (id, broadcast_id, lead_id, phone_number, lead_name, status,
                             attempts, max_attempts, scheduled_at, call_sid, amd_result,
                             call_cost, call_duration_seconds, dtmf_pressed, error_code,
                             created_at, updated_at)
SELECT pg_temp.scale_id(5, n), pg_temp.scale_id(4, b), pg_temp.scale_id(6, lead_n),
       '+1' || (2000000000 + lead_n), 'Lead Number ' || lead_n,
       status, 1, 1,
       :t0 - make_interval(days => 2) + make_interval(secs => k * 30),
       'CA' || md5('bq' || n),
       CASE WHEN status IN ('answered', 'completed', 'transferred', 'callback', 'dnc') THEN 'human'
            WHEN status = 'voicemail' THEN 'machine' END,
       0.0130 + (n % 7) * 0.001,
       5 + n % 120,
       CASE status WHEN 'transferred' THEN '1' WHEN 'callback' THEN '2' WHEN 'dnc' THEN '3' END,
       CASE WHEN status = 'failed' THEN 'NO_ROUTE' END,
       :t0 - make_interval(days => 3),
       :t0 - make_interval(mins => (n % 2880)::int)
FROM generate_series(200001, 400000) AS n,
     LATERAL (SELECT (n - 200001) / 5000 + 1 AS b, (n - 200001) % 5000 AS k) AS pos,
     LATERAL (SELECT 100000 + ((b - 1) % 20) * 5000 + k + 1 AS lead_n) AS lead,
     LATERAL (SELECT CASE WHEN k % 100 >= 55 THEN k % 100 ELSE 55 + k % 45 END AS f) AS draw,
     LATERAL (SELECT CASE
         WHEN b BETWEEN 21 AND 35 AND k % 100 < 55 THEN 'completed'
         WHEN f < 67 THEN 'answered'
         WHEN f < 75 THEN 'completed'
         WHEN f < 81 THEN 'voicemail'
         WHEN f < 87 THEN 'no_answer'
         WHEN f < 92 THEN 'failed'
         WHEN f < 94 THEN 'busy'
         WHEN f < 96 THEN 'transferred'
         WHEN f = 96 THEN 'callback'
         WHEN f = 97 THEN 'dnc'
         ELSE 'completed' END AS status) AS s;

-- Each broadcast's lead total follows its queue.
UPDATE voice_broadcasts SET total_leads = 10000
WHERE id IN (SELECT pg_temp.scale_id(4, b) FROM generate_series(1, 40) AS b);

-- ---------------------------------------------------------------------------
-- dialing_queues (+100,000): 5,000 more rows per campaign, on the clones of
-- its user's leads, all finished: completed 20, failed 12, removed 3 (the
-- scale rule's finished rows and proportions).
-- ---------------------------------------------------------------------------
INSERT INTO dialing_queues (id, campaign_id, lead_id, phone_number, priority, status,
                            scheduled_at, attempts, max_attempts, notes, last_provider,
                            last_provider_call_id, last_attempted_at, dispatch_generation,
                            created_at, updated_at)
SELECT pg_temp.scale_id(8, n), pg_temp.scale_id(7, c), pg_temp.scale_id(6, n),
       '+1' || (2000000000 + n), 1 + n % 5, status,
       :t0 - interval '1 hour' + make_interval(secs => k * 20),
       attempts, 3,
       CASE WHEN status = 'removed' THEN 'Cancelled by tenant operator'
            WHEN status = 'failed' THEN 'Max attempts (3) reached' END,
       CASE WHEN attempts > 0 THEN 'retell' END,
       NULL,
       CASE WHEN attempts > 0 THEN :t0 - make_interval(mins => (k % 600)::int) END,
       NULL,
       :t0 - interval '30 days',
       :t0 - make_interval(mins => (n % 4320)::int)
FROM generate_series(100001, 200000) AS n,
     LATERAL (SELECT (n - 100001) / 5000 + 1 AS c, (n - 100001) % 5000 AS k) AS pos,
     LATERAL (SELECT CASE WHEN k % 100 BETWEEN 62 AND 96 THEN k % 100
                          ELSE 62 + k % 35 END AS f) AS draw,
     LATERAL (SELECT CASE
         WHEN f < 82 THEN 'completed'
         WHEN f < 94 THEN 'failed'
         ELSE 'removed' END AS status) AS s,
     LATERAL (SELECT CASE status
         WHEN 'completed' THEN 1 + n % 3
         WHEN 'failed' THEN 3
         ELSE n % 2 END AS attempts) AS a;

-- ---------------------------------------------------------------------------
-- call_logs (+1,000,000) over the same 90 days, interleaved with the scale
-- calls; m = 1 is the newest. Statuses as the scale calls past the first 700:
-- completed 48%, failed 20, no_answer 20, voicemail 8, busy 4; none needs
-- reconciliation. Each user's calls go to its campaign and its leads' clones.
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
       NULL,
       created,
       CASE WHEN has_call_id THEN created + interval '2 seconds' END,
       CASE WHEN status = 'completed' THEN created + interval '5 seconds' END,
       created + make_interval(secs => 10 + n % 400),
       'agent_scale_' || u, 'Scale agent ' || u,
       'retell',
       CASE WHEN status = 'completed' THEN 5 + n % 60 END,
       CASE WHEN status = 'completed' AND m > 5000 THEN 5 + n % 60 END,
       status = 'completed' AND m > 5000,
       CASE WHEN status = 'completed' THEN (ARRAY['Positive', 'Neutral', 'Negative'])[1 + n % 3] END,
       false, NULL, NULL
FROM generate_series(1000001, 2000000) AS n,
     LATERAL (SELECT n - 1000000 AS m) AS num,
     LATERAL (SELECT (m - 1) % 20 + 1 AS u,
                     100000 + ((m - 1) % 20) * 5000 + ((m - 1) / 20) % 5000 + 1 AS lead_n) AS who,
     LATERAL (SELECT CASE
         WHEN m % 100 < 48 THEN 'completed'
         WHEN m % 100 < 68 THEN 'failed'
         WHEN m % 100 < 88 THEN 'no_answer'
         WHEN m % 100 < 96 THEN 'voicemail'
         ELSE 'busy' END AS status) AS s,
     -- The scale calls past the in-flight 500 span 2 minutes + 7.776 s to
     -- 2 minutes + 89.95 days before the seed; these span the same.
     LATERAL (SELECT :t0 - interval '2 minutes' - make_interval(secs => (m - 0.5) * 7.7721)
                     AS created) AS t,
     LATERAL (SELECT status <> 'failed' OR m % 2 = 1 AS has_call_id) AS ids;

-- ---------------------------------------------------------------------------
-- provider_dispatch_claims (+300,000): one per added call for the newest
-- 300,000, as in scale.sql; accepted with a call id, else definitely failed
-- ---------------------------------------------------------------------------
INSERT INTO provider_dispatch_claims (id, logical_key, call_log_id, organization_id, user_id,
                                      campaign_id, lead_id, provider, status, provider_call_id,
                                      last_error, claimed_at, finalized_at, updated_at,
                                      destination_phone, caller_id, agent_id)
SELECT pg_temp.scale_id(10, n), 'request:' || cl.user_id || ':scale-' || n, cl.id,
       cl.organization_id, cl.user_id, cl.campaign_id, cl.lead_id, 'retell',
       claim_status,
       CASE WHEN claim_status = 'accepted' THEN cl.retell_call_id END,
       CASE WHEN claim_status = 'definite_failure' THEN 'Retell refused the call (422)' END,
       cl.created_at,
       cl.created_at + interval '1 second',
       cl.created_at + interval '1 second',
       cl.phone_number, cl.caller_id, cl.agent_id
FROM call_logs cl,
     LATERAL (SELECT pg_temp.scale_n(cl.id) AS n) AS num,
     LATERAL (SELECT CASE WHEN cl.retell_call_id IS NOT NULL THEN 'accepted'
                          ELSE 'definite_failure' END AS claim_status) AS s
WHERE cl.id BETWEEN pg_temp.scale_id(9, 1000001) AND pg_temp.scale_id(9, 1300000);

-- ---------------------------------------------------------------------------
-- provider_call_attempts (+300,000): the newest 300,000 added calls Retell accepted
-- ---------------------------------------------------------------------------
INSERT INTO provider_call_attempts (id, provider, provider_call_id, call_log_id,
                                    organization_id, user_id, campaign_id, lead_id,
                                    accepted_at, metadata)
SELECT pg_temp.scale_id(11, 300000 + row_number() OVER (ORDER BY cl.created_at DESC)),
       'retell', cl.retell_call_id, cl.id, cl.organization_id, cl.user_id,
       cl.campaign_id, cl.lead_id, cl.created_at + interval '1 second',
       jsonb_build_object('agent_id', cl.agent_id)
FROM (SELECT * FROM call_logs
      WHERE id BETWEEN pg_temp.scale_id(9, 1000001) AND pg_temp.scale_id(9, 2000000)
        AND retell_call_id IS NOT NULL
      ORDER BY created_at DESC LIMIT 300000) AS cl;

-- ---------------------------------------------------------------------------
-- provider_callback_receipts (+600,000): started + terminal per added attempt,
-- all processed
-- ---------------------------------------------------------------------------
INSERT INTO provider_callback_receipts (id, provider, provider_call_id, lifecycle_stage, status,
                                        payload_sha256, first_received_at, last_received_at,
                                        locked_until, attempt_count, processed_at, last_error)
SELECT pg_temp.scale_id(12, 2 * n - stage.offset_n), 'retell', a.provider_call_id,
       stage.name, 'processed',
       encode(sha256(convert_to(a.provider_call_id || stage.name, 'UTF8')), 'hex'),
       a.accepted_at + stage.delay, a.accepted_at + stage.delay,
       NULL, 1, a.accepted_at + stage.delay, NULL
FROM provider_call_attempts a,
     LATERAL (SELECT pg_temp.scale_n(a.id) AS n) AS num,
     (VALUES ('started', 1, interval '2 seconds'),
             ('terminal_reconciliation', 0, interval '3 minutes')) AS stage (name, offset_n, delay)
WHERE a.id BETWEEN pg_temp.scale_id(11, 300001) AND pg_temp.scale_id(11, 600000);

-- ---------------------------------------------------------------------------
-- system_alerts (+20,000) over the same 90 days, interleaved, all acknowledged
-- ---------------------------------------------------------------------------
INSERT INTO system_alerts (id, user_id, alert_type, severity, title, message, related_id,
                           related_type, acknowledged, acknowledged_at, created_at)
SELECT pg_temp.scale_id(14, n), pg_temp.scale_id(2, (m - 1) % 20 + 1), alert_type,
       (ARRAY['info', 'warning', 'error', 'critical'])[1 + n % 4],
       initcap(replace(alert_type, '_', ' ')), 'Scale alert ' || n || ': ' || alert_type,
       pg_temp.scale_id(4, 1 + n % 40)::text, 'broadcast',
       true, least(created + interval '10 minutes', :t0),
       created
FROM generate_series(20001, 40000) AS n,
     LATERAL (SELECT n - 20000 AS m) AS num,
     LATERAL (SELECT (ARRAY['stuck_calls', 'high_error_rate', 'auto_paused', 'stalled_broadcast',
                            'error_rate_warning', 'api_rate_limit', 'emergency_stop',
                            'retell_reconciliation_manual_required', 'stuck_calls_recovered',
                            'budget_auto_pause', 'engine_heartbeat_stale', 'no_numbers_available',
                            'campaign_no_agent', 'provider_call_failed'])[1 + n % 14] AS alert_type,
                     :t0 - make_interval(secs => (m - 0.5) * 388) AS created) AS a;

-- ---------------------------------------------------------------------------
-- Rebuild the secondary indexes (the unique ones check the new rows), then
-- vacuum and analyse.
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

-- The in-flight rows and their seed instant are the scale profile's.
UPDATE launchdeck_bench.scale_seed SET profile = 'scale2';

COMMIT;

VACUUM (ANALYZE);
