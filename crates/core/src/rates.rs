//! Overview figures (product.md Decision 6): finished = neither `pending` nor `calling`.

use std::time::Duration;

use crate::domain::{BroadcastProgress, CampaignProgress, StatusCounts};

/// Statuses that are not finished, for both queues.
const UNFINISHED: [&str; 2] = ["pending", "calling"];
const BROADCAST_PICKED_UP: [&str; 4] = ["answered", "transferred", "callback", "completed"];
/// call_logs rows still in flight (queued, ringing) are not finished either.
const LOG_UNFINISHED: [&str; 2] = ["queued", "ringing"];

/// The summary figures the Overview shows for one broadcast or campaign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub total: i64,
    pub pending: i64,
    pub calling: i64,
    pub finished: i64,
    /// Share of finished rows that reached a person; None with nothing finished.
    pub pickup_rate: Option<f64>,
    pub error_rate: Option<f64>,
    /// Finished rows per minute over the sparkline window.
    pub calls_per_minute: f64,
    /// Time to work through what is pending (and calling) at the current rate.
    pub eta: Option<Duration>,
}

impl Figures {
    /// Share of the total that is finished, 0.0–1.0.
    pub fn progress(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.finished as f64 / self.total as f64
        }
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn average_per_minute(per_minute: &[u64]) -> f64 {
    if per_minute.is_empty() {
        return 0.0;
    }
    per_minute.iter().sum::<u64>() as f64 / per_minute.len() as f64
}

fn eta(remaining: i64, per_minute: f64) -> Option<Duration> {
    if remaining <= 0 {
        return Some(Duration::ZERO);
    }
    (per_minute > 0.0).then(|| Duration::from_secs_f64(remaining as f64 / per_minute * 60.0))
}

fn finished(counts: &StatusCounts) -> i64 {
    counts.total() - counts.sum_of(&UNFINISHED)
}

pub fn broadcast_figures(p: &BroadcastProgress) -> Figures {
    let c = &p.counts;
    let finished = finished(c);
    let cpm = average_per_minute(&p.finished_per_minute);
    let pending = c.get("pending");
    let calling = c.get("calling");
    Figures {
        total: c.total(),
        pending,
        calling,
        finished,
        pickup_rate: ratio(c.sum_of(&BROADCAST_PICKED_UP), finished),
        error_rate: ratio(c.get("failed"), finished),
        calls_per_minute: cpm,
        eta: eta(pending + calling, cpm),
    }
}

/// Campaign figures: progress from its dialing queue, rates from its call logs.
pub fn campaign_figures(p: &CampaignProgress) -> Figures {
    let q = &p.queue_counts;
    let logs_finished = p.log_counts.total() - p.log_counts.sum_of(&LOG_UNFINISHED);
    let cpm = average_per_minute(&p.calls_per_minute);
    let pending = q.get("pending");
    let calling = q.get("calling");
    Figures {
        total: q.total(),
        pending,
        calling,
        finished: finished(q),
        pickup_rate: ratio(p.log_picked_up, logs_finished),
        error_rate: ratio(p.log_counts.get("failed"), logs_finished),
        calls_per_minute: cpm,
        eta: eta(pending + calling, cpm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn counts(pairs: &[(&str, i64)]) -> StatusCounts {
        let mut c = StatusCounts::default();
        for (s, n) in pairs {
            c.add(s, *n);
        }
        c
    }

    #[test]
    fn broadcast_rates_count_calling_as_unfinished() {
        let p = BroadcastProgress {
            id: Uuid::nil(),
            name: "A".into(),
            status: "active".into(),
            counts: counts(&[
                ("pending", 50),
                ("calling", 10),
                ("answered", 10),
                ("completed", 5),
                ("transferred", 3),
                ("callback", 2),
                ("failed", 10),
                ("voicemail", 10),
            ]),
            finished_per_minute: vec![2; 15],
        };
        let f = broadcast_figures(&p);
        assert_eq!(f.total, 100);
        assert_eq!(f.finished, 40);
        assert_eq!(f.pickup_rate, Some(20.0 / 40.0));
        assert_eq!(f.error_rate, Some(10.0 / 40.0));
        assert_eq!(f.calls_per_minute, 2.0);
        assert_eq!(f.eta, Some(Duration::from_secs(30 * 60)));
        assert!((f.progress() - 0.4).abs() < 1e-9);
    }

    #[test]
    fn nothing_finished_has_no_rates_and_no_rate_no_eta() {
        let p = BroadcastProgress {
            id: Uuid::nil(),
            name: "B".into(),
            status: "paused".into(),
            counts: counts(&[("pending", 5)]),
            finished_per_minute: vec![0; 15],
        };
        let f = broadcast_figures(&p);
        assert_eq!(f.pickup_rate, None);
        assert_eq!(f.error_rate, None);
        assert_eq!(f.eta, None);
    }

    #[test]
    fn campaign_rates_from_call_logs() {
        let p = CampaignProgress {
            id: Uuid::nil(),
            name: "C".into(),
            status: "active".into(),
            agent_id: None,
            queue_counts: counts(&[("pending", 6), ("calling", 1), ("completed", 3)]),
            log_counts: counts(&[
                ("queued", 2),
                ("completed", 4),
                ("failed", 2),
                ("no_answer", 2),
            ]),
            log_picked_up: 3,
            calls_per_minute: vec![],
        };
        let f = campaign_figures(&p);
        assert_eq!(f.total, 10);
        assert_eq!(f.finished, 3);
        assert_eq!(f.pickup_rate, Some(3.0 / 8.0));
        assert_eq!(f.error_rate, Some(2.0 / 8.0));
        assert_eq!(f.eta, None);
    }
}
