//! The outcome model: how the simulated calls go (realistic durations and mix), and how
//! a finished provider call becomes the row values the platform's webhooks would write.
//!
//! Everything here is a pure function of a random generator or of a provider's call
//! JSON, so it is tested without a database.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rand::Rng;
use serde_json::Value;

use crate::fakes::{CallPlan, TwilioCallPlan, TwilioOutcome};

/// Every value the simulator may write to `broadcast_queue.status` (schema.md §4).
pub const BROADCAST_QUEUE_STATUSES: &[&str] = &[
    "pending",
    "calling",
    "answered",
    "completed",
    "voicemail",
    "no_answer",
    "busy",
    "failed",
    "transferred",
    "callback",
    "dnc",
];

/// Every value the simulator may write to `dialing_queues.status`.
pub const DIALING_QUEUE_STATUSES: &[&str] = &["pending", "calling", "completed", "failed"];

/// `call_logs_status_check`: the only values the platform's CHECK accepts.
pub const CALL_LOG_STATUSES: &[&str] = &[
    "queued",
    "ringing",
    "answered",
    "busy",
    "no_answer",
    "voicemail",
    "failed",
    "completed",
];

// Completed calls' outcomes: the seed's mix, so the demo's new calls look like its history.
use launchdeck_seed::first_campaign::COMPLETED_OUTCOMES;

/// Twilio error codes a failed broadcast call carries.
const TWILIO_FAILURES: &[(&str, &str)] = &[
    ("21211", "Invalid 'To' Phone Number"),
    ("32011", "Error from SIP trunk: 503 Service Unavailable"),
    (
        "31005",
        "Connection error: the call was disconnected by the carrier",
    ),
    (
        "21215",
        "Geo permission configuration is not permitting this call",
    ),
];

/// Twilio's per-minute price for an outbound call, billed per started minute.
const TWILIO_PER_MINUTE: f64 = 0.014;
/// The platform counts an ended Retell call shorter than this as no-answer.
const SHORTEST_CONVERSATION_MS: i64 = 10_000;

/// A duration between `lo` and `hi` seconds, scaled by `pace` (1.0 = real time).
fn span(rng: &mut impl Rng, lo: u64, hi: u64, pace: f64) -> Duration {
    let secs = rng.random_range(lo..=hi) as f64;
    Duration::from_secs_f64((secs * pace).max(0.0))
}

fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

/// What a broadcast call that connected ends as (decided when it is dialled; the
/// provider only knows that it completed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Answering machine detected.
    Machine,
    /// A person listened and hung up without a key.
    Listened,
    /// A person listened to the end.
    ListenedToEnd,
    /// DTMF 1, 2 or 3.
    Pressed(char),
}

/// A broadcast call as planned: the Twilio lifecycle and who answers.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastCall {
    pub twilio: TwilioCallPlan,
    pub listener: Listener,
}

impl BroadcastCall {
    pub fn total(&self) -> Duration {
        let talk = match self.twilio.outcome {
            TwilioOutcome::Completed { talk } => talk,
            _ => Duration::ZERO,
        };
        self.twilio.queued + self.twilio.ringing + talk
    }
}

/// A broadcast call: 65% answered (a fifth of them by a machine), 20% no answer,
/// 7% busy, 8% failed; now and then a long listen.
pub fn broadcast_call(rng: &mut impl Rng, pace: f64) -> BroadcastCall {
    let queued = span(rng, 0, 2, pace);
    let ringing = span(rng, 3, 20, pace);
    let listener = listener(rng);
    let outcome = match weighted(rng, &[(0, 65), (1, 20), (2, 7), (3, 8)]) {
        0 => TwilioOutcome::Completed {
            talk: talk_for(rng, listener, pace),
        },
        1 => TwilioOutcome::NoAnswer,
        2 => TwilioOutcome::Busy,
        _ => TwilioOutcome::Failed,
    };
    BroadcastCall {
        twilio: TwilioCallPlan {
            queued,
            ringing,
            outcome,
        },
        listener,
    }
}

/// Who answers a connected broadcast call.
pub fn listener(rng: &mut impl Rng) -> Listener {
    weighted(
        rng,
        &[
            (Listener::Machine, 20),
            (Listener::Listened, 38),
            (Listener::ListenedToEnd, 26),
            (Listener::Pressed('1'), 8),
            (Listener::Pressed('2'), 4),
            (Listener::Pressed('3'), 4),
        ],
    )
}

fn talk_for(rng: &mut impl Rng, listener: Listener, pace: f64) -> Duration {
    match listener {
        Listener::Machine => span(rng, 20, 45, pace),
        Listener::Pressed('1') => span(rng, 40, 300, pace),
        Listener::Pressed(_) => span(rng, 10, 60, pace),
        _ if rng.random_bool(0.03) => span(rng, 300, 720, pace),
        _ => span(rng, 15, 120, pace),
    }
}

/// A campaign call as planned: the Retell lifecycle and the disposition a completed
/// conversation gets.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignCall {
    pub retell: CallPlan,
    pub outcome: &'static str,
}

impl CampaignCall {
    pub fn total(&self) -> Duration {
        let talk = match &self.retell.outcome {
            crate::fakes::PlanOutcome::Answered { talk, .. } => *talk,
            _ => Duration::ZERO,
        };
        self.retell.ring + talk
    }
}

/// A campaign call: half are conversations (3% of them long), then voicemail, no
/// answer, busy, dial failures, errors, and quick hang-ups the platform counts as no
/// answer.
pub fn campaign_call(rng: &mut impl Rng, pace: f64) -> CampaignCall {
    let ring = span(rng, 3, 15, pace);
    let outcome = weighted(rng, COMPLETED_OUTCOMES);
    let retell = match weighted(
        rng,
        &[(0, 50), (1, 10), (2, 22), (3, 6), (4, 5), (5, 3), (6, 4)],
    ) {
        0 => {
            let talk = if rng.random_bool(0.03) {
                span(rng, 300, 900, pace)
            } else {
                span(rng, 15, 240, pace)
            };
            let reason = if rng.random_bool(0.6) {
                "user_hangup"
            } else {
                "agent_hangup"
            };
            CallPlan::answered_with(ring, talk, reason)
        }
        1 => CallPlan::answered_with(ring, span(rng, 12, 40, pace), "voicemail_reached"),
        2 => CallPlan::not_connected(ring, "dial_no_answer"),
        3 => CallPlan::not_connected(ring, "dial_busy"),
        4 => CallPlan::not_connected(
            ring,
            if rng.random_bool(0.5) {
                "dial_failed"
            } else {
                "invalid_destination"
            },
        ),
        5 => CallPlan::error(ring, "error_llm_websocket_open"),
        _ => CallPlan::answered_with(ring, span(rng, 2, 8, pace), "user_hangup"),
    };
    CampaignCall { retell, outcome }
}

/// A call that is already connected (seeded "ongoing" calls) and has talked for `talked`:
/// no ring, then a random while longer.
pub fn ongoing_call(rng: &mut impl Rng, pace: f64, talked: Duration) -> CallPlan {
    CallPlan::answered(Duration::ZERO, talked + span(rng, 5, 90, pace))
}

/// What the platform writes on a broadcast queue row when its call is over.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastFinal {
    pub status: &'static str,
    /// Back to `pending` for another attempt (the attempt's result stays in the
    /// error and duration columns).
    pub retry: bool,
    pub duration: Option<i64>,
    pub cost: Option<f64>,
    pub amd: Option<&'static str>,
    pub dtmf: Option<String>,
    pub transfer_status: Option<&'static str>,
    pub callback_in: Option<chrono::Duration>,
    pub error: Option<(&'static str, &'static str)>,
}

impl BroadcastFinal {
    fn new(status: &'static str) -> BroadcastFinal {
        BroadcastFinal {
            status,
            retry: false,
            duration: None,
            cost: None,
            amd: None,
            dtmf: None,
            transfer_status: None,
            callback_in: None,
            error: None,
        }
    }

    /// A person answered (the `calls_answered` counter).
    pub fn answered(&self) -> bool {
        matches!(
            self.status,
            "answered" | "completed" | "transferred" | "callback" | "dnc"
        )
    }
}

/// Twilio statuses after which nothing more happens.
pub fn twilio_is_terminal(status: &str) -> bool {
    matches!(
        status,
        "completed" | "busy" | "no-answer" | "failed" | "canceled"
    )
}

/// The queue row's final values for a Twilio call (`None` while it is still live).
/// `attempts`/`max_attempts` decide whether an unreached lead is retried.
pub fn broadcast_final(
    call: &Value,
    listener: Listener,
    attempts: i64,
    max_attempts: i64,
    rng: &mut impl Rng,
) -> Option<BroadcastFinal> {
    let status = call["status"].as_str()?;
    if !twilio_is_terminal(status) {
        return None;
    }
    let duration = call["duration"]
        .as_str()
        .and_then(|d| d.parse::<i64>().ok())
        .unwrap_or(0);
    let mut result = match status {
        "completed" => connected_final(listener, duration),
        "busy" => BroadcastFinal::new("busy"),
        "failed" => {
            let mut failed = BroadcastFinal::new("failed");
            failed.error = Some(TWILIO_FAILURES[rng.random_range(0..TWILIO_FAILURES.len())]);
            failed
        }
        // no-answer, or a ringing call the operator hung up (canceled).
        _ => BroadcastFinal::new("no_answer"),
    };
    if !result.answered() && result.status != "voicemail" {
        result.duration = Some(0);
        result.retry = attempts < max_attempts;
    }
    Some(result)
}

fn connected_final(listener: Listener, duration: i64) -> BroadcastFinal {
    let (status, amd) = match listener {
        Listener::Machine => ("voicemail", "machine_end_beep"),
        Listener::Listened => ("answered", "human"),
        Listener::ListenedToEnd => ("completed", "human"),
        Listener::Pressed('1') => ("transferred", "human"),
        Listener::Pressed('2') => ("callback", "human"),
        Listener::Pressed(_) => ("dnc", "human"),
    };
    let mut result = BroadcastFinal::new(status);
    result.duration = Some(duration);
    result.cost = Some(twilio_cost(duration));
    result.amd = Some(amd);
    if let Listener::Pressed(digit) = listener {
        result.dtmf = Some(digit.to_string());
    }
    match status {
        "transferred" => result.transfer_status = Some("completed"),
        "callback" => result.callback_in = Some(chrono::Duration::hours(24)),
        _ => {}
    }
    result
}

/// Twilio bills every started minute; unanswered calls cost nothing.
pub fn twilio_cost(secs: i64) -> f64 {
    let minutes = (secs.max(0) + 59) / 60;
    (minutes as f64 * TWILIO_PER_MINUTE * 10_000.0).round() / 10_000.0
}

/// What the platform's Retell webhook writes on the call_log and its queue row.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFinal {
    pub status: &'static str,
    pub outcome: &'static str,
    pub duration: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cost_cents: Option<i64>,
    pub sentiment: Option<String>,
    pub summary: Option<String>,
    pub notes: Option<String>,
}

impl CampaignFinal {
    /// The lead was reached: the queue row is done. Otherwise it is retried.
    pub fn reached(&self) -> bool {
        self.status == "completed"
    }
}

/// Retell statuses after which nothing more happens.
pub fn retell_is_terminal(status: &str) -> bool {
    matches!(status, "ended" | "not_connected" | "error")
}

/// The call_log's final values for a Retell call (`None` while it is still live).
pub fn campaign_final(call: &Value, outcome: &'static str) -> Option<CampaignFinal> {
    let status = call["call_status"].as_str()?;
    if !retell_is_terminal(status) {
        return None;
    }
    let reason = call["disconnection_reason"]
        .as_str()
        .unwrap_or("error_unknown");
    let duration_ms = call["duration_ms"].as_i64().unwrap_or(0);
    let mut result = CampaignFinal {
        status: "failed",
        outcome: "failed",
        duration: duration_ms / 1000,
        started_at: call["start_timestamp"].as_i64().and_then(from_ms),
        ended_at: call["end_timestamp"].as_i64().and_then(from_ms),
        cost_cents: call["call_cost"]["combined_cost"]
            .as_f64()
            .map(|c| c.ceil() as i64),
        sentiment: None,
        summary: None,
        notes: None,
    };
    match (status, reason) {
        ("ended", "voicemail_reached") => {
            result.status = "voicemail";
            result.outcome = "voicemail";
        }
        ("ended", "concurrency_limit_reached" | "no_valid_payment") => {
            result.notes = Some(format!("Retell ended the call: {reason}"));
        }
        ("ended", _) if duration_ms < SHORTEST_CONVERSATION_MS => {
            result.status = "no_answer";
            result.outcome = "no_answer";
        }
        ("ended", _) => {
            result.status = "completed";
            result.outcome = outcome;
            result.sentiment = call["call_analysis"]["user_sentiment"]
                .as_str()
                .map(str::to_string);
            result.summary = call["call_analysis"]["call_summary"]
                .as_str()
                .map(str::to_string);
        }
        ("not_connected", "dial_busy") => {
            result.status = "busy";
            result.outcome = "busy";
        }
        ("not_connected", "dial_no_answer") => {
            result.status = "no_answer";
            result.outcome = "no_answer";
        }
        _ => result.notes = Some(format!("Retell call_failed: {reason}")),
    }
    Some(result)
}

fn from_ms(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_broadcast_mix_is_realistic() {
        let mut rng = StdRng::seed_from_u64(7);
        let calls: Vec<_> = (0..2_000).map(|_| broadcast_call(&mut rng, 1.0)).collect();
        let completed = calls
            .iter()
            .filter(|c| matches!(c.twilio.outcome, TwilioOutcome::Completed { .. }))
            .count();
        assert!((1_150..1_450).contains(&completed), "{completed} answered");
        assert!(
            calls
                .iter()
                .all(|c| c.twilio.ringing >= Duration::from_secs(3))
        );
        let long = calls
            .iter()
            .filter(|c| c.total() > Duration::from_secs(300))
            .count();
        assert!(long > 0, "some long calls");
    }

    #[test]
    fn pace_scales_durations() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let call = campaign_call(&mut rng, 0.01);
            assert!(
                call.total() <= Duration::from_secs(10),
                "{:?}",
                call.total()
            );
        }
    }

    #[test]
    fn twilio_results_map_to_queue_statuses() {
        let mut rng = StdRng::seed_from_u64(3);
        let live = json!({"status": "in-progress", "duration": null});
        assert_eq!(
            broadcast_final(&live, Listener::Listened, 1, 2, &mut rng),
            None
        );

        let done = json!({"status": "completed", "duration": "61"});
        let pressed = broadcast_final(&done, Listener::Pressed('2'), 1, 2, &mut rng);
        let pressed = pressed.expect("terminal");
        assert_eq!(pressed.status, "callback");
        assert_eq!(pressed.dtmf.as_deref(), Some("2"));
        assert_eq!(pressed.cost, Some(0.028));
        assert!(pressed.answered() && !pressed.retry);

        let busy = json!({"status": "busy", "duration": "0"});
        let retried = broadcast_final(&busy, Listener::Listened, 1, 2, &mut rng);
        assert!(
            retried
                .as_ref()
                .is_some_and(|r| r.retry && r.status == "busy")
        );
        let last = broadcast_final(&busy, Listener::Listened, 2, 2, &mut rng);
        assert!(last.is_some_and(|r| !r.retry));

        let failed = json!({"status": "failed"});
        let failed = broadcast_final(&failed, Listener::Listened, 2, 2, &mut rng);
        assert!(failed.is_some_and(|r| r.error.is_some()));

        for listener in [
            Listener::Machine,
            Listener::Listened,
            Listener::Pressed('3'),
        ] {
            let status = broadcast_final(&done, listener, 1, 1, &mut rng).map(|r| r.status);
            assert!(status.is_some_and(|s| BROADCAST_QUEUE_STATUSES.contains(&s)));
        }
    }

    #[test]
    fn retell_results_map_to_call_log_statuses() {
        let ongoing = json!({"call_status": "ongoing"});
        assert_eq!(campaign_final(&ongoing, "interested"), None);

        let talk = json!({
            "call_status": "ended", "disconnection_reason": "user_hangup",
            "duration_ms": 95_000, "start_timestamp": 1_767_225_600_000_i64,
            "end_timestamp": 1_767_225_695_000_i64, "call_cost": {"combined_cost": 11.08},
            "call_analysis": {"user_sentiment": "Positive", "call_summary": "ok"},
        });
        let done = campaign_final(&talk, "interested").expect("terminal");
        assert_eq!(
            (done.status, done.outcome, done.duration),
            ("completed", "interested", 95)
        );
        assert_eq!(done.cost_cents, Some(12));
        assert!(done.reached());

        let short = json!({"call_status": "ended", "disconnection_reason": "user_hangup", "duration_ms": 4_000});
        assert_eq!(
            campaign_final(&short, "interested").map(|f| f.status),
            Some("no_answer")
        );
        let busy = json!({"call_status": "not_connected", "disconnection_reason": "dial_busy"});
        assert_eq!(
            campaign_final(&busy, "interested").map(|f| f.status),
            Some("busy")
        );
        let error = json!({"call_status": "error", "disconnection_reason": "error_retell"});
        let error = campaign_final(&error, "interested").expect("terminal");
        assert_eq!(error.status, "failed");
        assert!(!error.reached());
        let odd = json!({"call_status": "ended", "disconnection_reason": "machine_detected", "duration_ms": 30_000});
        let odd = campaign_final(&odd, "contacted").map(|f| f.status);
        assert!(odd.is_some_and(|s| CALL_LOG_STATUSES.contains(&s)));
    }
}
