//! The simulator's first step: take over the calls already in flight in the database.
//!
//! For each `calling` broadcast row and `queued`/`ringing` call_log with a provider id:
//! - the fake knows the call and it is live: follow it like a call dialled here;
//! - the fake knows the call and it has ended: its report was lost; leave the row
//!   (it is stuck, or waiting for the console to ask the provider);
//! - the fake does not know it (a call from an earlier run of the demo, whose fakes
//!   are gone): write the report its late webhook would have written.

use rand::Rng;

use super::plan::{self, BroadcastFinal, CampaignFinal};
use super::{BroadcastTrack, CampaignTrack, Handover, Sim, broadcast, bump, campaign};

type CallingRow = (String, String, String, i64, i64, i64);
type RingingLog = (String, String, Option<String>, i64);

impl Sim {
    pub(super) async fn adopt_in_flight(&mut self, handover: &Handover) {
        if let Err(e) = self.adopt_broadcast_calls(handover).await {
            self.db_error("adopting broadcast calls in flight", &e);
        }
        if let Err(e) = self.adopt_campaign_calls(handover).await {
            self.db_error("adopting campaign calls in flight", &e);
        }
        tracing::info!(
            broadcast_calls = self.broadcasts.len(),
            campaign_calls = self.campaigns.len(),
            "simulator adopted the calls in flight"
        );
    }

    async fn adopt_broadcast_calls(&mut self, handover: &Handover) -> Result<(), sqlx::Error> {
        let rows: Vec<CallingRow> = sqlx::query_as(
            "SELECT q.id, q.broadcast_id, q.call_sid, COALESCE(q.attempts, 0),
                    COALESCE(q.max_attempts, 1), COALESCE(b.retry_delay_minutes, 60)
             FROM broadcast_queue q JOIN voice_broadcasts b ON b.id = q.broadcast_id
             WHERE q.status = 'calling' AND q.call_sid IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut late = Vec::new();
        for (id, broadcast_id, sid, attempts, max_attempts, retry) in rows {
            let listener = plan::listener(&mut self.rng);
            let track = broadcast::adopted(
                id,
                broadcast_id,
                sid,
                (attempts, max_attempts, retry),
                listener,
            );
            let handed_over = handover.live_call_ids.contains(&track.sid);
            match self.providers.twilio.call(&track.sid) {
                Some(call)
                    if !handed_over
                        && call["status"]
                            .as_str()
                            .is_some_and(plan::twilio_is_terminal) => {}
                Some(_) => self.broadcasts.push(track),
                None => {
                    if let Some(result) = self.late_broadcast_report(&track) {
                        late.push((track, result));
                    }
                }
            }
        }
        if !late.is_empty() {
            broadcast::write_reports(&self.pool, &late).await?;
            bump(&self.stats.finished, late.len() as u64);
        }
        Ok(())
    }

    fn late_broadcast_report(&mut self, track: &BroadcastTrack) -> Option<BroadcastFinal> {
        let call = plan::synthetic_twilio_call(&mut self.rng);
        plan::broadcast_final(
            &call,
            track.listener,
            track.attempts,
            track.max_attempts,
            &mut self.rng,
        )
    }

    async fn adopt_campaign_calls(&mut self, handover: &Handover) -> Result<(), sqlx::Error> {
        let logs: Vec<RingingLog> = sqlx::query_as(
            "SELECT l.id, l.retell_call_id, d.id, COALESCE(c.retry_delay_minutes, 30)
             FROM call_logs l
             LEFT JOIN dialing_queues d
                    ON d.last_provider_call_id = l.retell_call_id AND d.status = 'calling'
             LEFT JOIN campaigns c ON c.id = l.campaign_id
             WHERE l.status IN ('queued', 'ringing') AND l.retell_call_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut late = Vec::new();
        for (call_log_id, call_id, queue_id, retry) in logs {
            let outcome = self.completed_outcome();
            let track = campaign::adopted(call_log_id, queue_id, call_id, retry, outcome);
            let handed_over = handover.live_call_ids.contains(&track.call_id);
            match self.providers.retell.call(&track.call_id) {
                Some(call)
                    if !handed_over
                        && call["call_status"]
                            .as_str()
                            .is_some_and(plan::retell_is_terminal) => {}
                Some(_) => self.campaigns.push(track),
                None => {
                    if let Some(result) = self.late_campaign_report(&track) {
                        late.push((track, result));
                    }
                }
            }
        }
        if !late.is_empty() {
            campaign::write_reports(&self.pool, &late).await?;
            bump(&self.stats.finished, late.len() as u64);
        }
        Ok(())
    }

    fn completed_outcome(&mut self) -> &'static str {
        plan::campaign_call(&mut self.rng, 1.0).outcome
    }

    fn late_campaign_report(&mut self, track: &CampaignTrack) -> Option<CampaignFinal> {
        let ended = launchdeck_store::sqlite::now_micros()
            - chrono::Duration::seconds(self.rng.random_range(5..600));
        let call = plan::synthetic_retell_call(&mut self.rng, ended);
        plan::campaign_final(&call, track.outcome)
    }
}
