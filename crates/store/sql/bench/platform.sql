-- The platform at work, for scripts/bench-db: `launchdeck_bench.platform_tick(n)`
-- moves n calls through each of the three live paths, the way the platform's own
-- writers do (schema.md §4), with its triggers on:
--   broadcasts: n calling rows end (completed, answered, no_answer, voicemail, failed),
--               n pending rows are dialled (calling, attempts + 1) and their broadcast's
--               calls_made goes up (the engine's counter bump);
--   campaigns:  n calling dialing rows complete, n pending rows are claimed (calling, a new
--               dispatch generation) and each claim gets its call_log `queued`;
--   call_logs:  n recent queued calls ring (a Retell call id), n recent ringing calls end.
-- Stale in-flight rows (older than a few minutes) are left alone: they stay stuck.
-- Needs a superuser (bench only). Loaded by scripts/bench-db into the benchmark database.

CREATE SCHEMA IF NOT EXISTS launchdeck_bench;

CREATE OR REPLACE FUNCTION launchdeck_bench.platform_tick(n integer) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE broadcast_queue q
       SET status = (ARRAY['completed', 'answered', 'no_answer', 'voicemail', 'failed'])
                    [1 + floor(random() * 5)::int],
           call_duration_seconds = 5 + floor(random() * 120)::int
     WHERE q.id IN (SELECT id FROM broadcast_queue
                     WHERE status = 'calling' AND updated_at > now() - interval '4 minutes'
                     ORDER BY updated_at LIMIT n);

    WITH dialled AS (
        UPDATE broadcast_queue q
           SET status = 'calling', attempts = coalesce(attempts, 0) + 1,
               call_sid = 'CAbench' || md5(q.id::text || clock_timestamp()::text)
         WHERE q.id IN (SELECT bq.id FROM broadcast_queue bq
                         WHERE bq.status = 'pending'
                           AND bq.broadcast_id IN (SELECT id FROM voice_broadcasts
                                                    WHERE status = 'active')
                         LIMIT n)
        RETURNING q.broadcast_id)
    UPDATE voice_broadcasts vb
       SET calls_made = coalesce(vb.calls_made, 0) + d.k
      FROM (SELECT broadcast_id, count(*) AS k FROM dialled GROUP BY 1) d
     WHERE vb.id = d.broadcast_id;

    UPDATE dialing_queues dq
       SET status = 'completed', attempts = dq.attempts + 1
     WHERE dq.id IN (SELECT id FROM dialing_queues
                      WHERE status = 'calling' AND updated_at > now() - interval '2 minutes'
                      LIMIT n);

    WITH claimed AS (
        UPDATE dialing_queues dq
           SET status = 'calling', dispatch_generation = gen_random_uuid(),
               last_provider = 'retell', last_attempted_at = now()
         WHERE dq.id IN (SELECT p.id FROM dialing_queues p
                           JOIN campaigns c ON c.id = p.campaign_id AND c.status = 'active'
                          WHERE p.status = 'pending'
                          LIMIT n)
        RETURNING dq.campaign_id, dq.lead_id, dq.phone_number)
    INSERT INTO call_logs (user_id, organization_id, campaign_id, lead_id, phone_number,
                           caller_id, status, provider, agent_id)
    SELECT c.user_id, c.organization_id, cl.campaign_id, cl.lead_id, cl.phone_number,
           '+14155550100', 'queued', 'retell', c.agent_id
      FROM claimed cl
      JOIN campaigns c ON c.id = cl.campaign_id;

    UPDATE call_logs cl
       SET status = 'ringing', retell_call_id = 'call_bench_' || replace(cl.id::text, '-', ''),
           started_at = now()
     WHERE cl.id IN (SELECT id FROM call_logs
                      WHERE created_at > now() - interval '1 minute'
                        AND status = 'queued' AND retell_call_id IS NULL
                        AND NOT provider_reconciliation_required
                      LIMIT n);

    UPDATE call_logs cl
       SET status = 'completed', ended_at = now(), answered_at = cl.started_at,
           duration_seconds = 30 + floor(random() * 200)::int
     WHERE cl.id IN (SELECT id FROM call_logs
                      WHERE created_at > now() - interval '2 minutes'
                        AND created_at < now() - interval '5 seconds'
                        AND status = 'ringing'
                      LIMIT n);
END
$$;
