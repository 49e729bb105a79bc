//! Per-provider circuit breaker (providers.md §3): opens after N consecutive
//! 5xx/timeout/connection failures, stays open for a while, then lets one trial through.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Breaker thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive provider failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one trial request.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

/// The breaker's state as a screen would show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    /// Failing fast; a trial is allowed after `retry_in`.
    Open {
        retry_in: Duration,
    },
    /// One trial request is in flight.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_started: Instant },
}

/// How a finished request counts for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The provider answered (2xx, or any 4xx including 429).
    Answered,
    /// 5xx, timeout, connection failure.
    Failed,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    settings: BreakerSettings,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Breaker {
            settings,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// May a request go out? `Err(wait)` while open (or while the trial is in flight).
    pub fn try_acquire(&self) -> Result<(), Duration> {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now < until => Err(until - now),
            State::Open { .. } => {
                *state = State::HalfOpen { trial_started: now };
                Ok(())
            }
            State::HalfOpen { trial_started } => {
                // A trial whose caller gave up never reports back; allow a new one later.
                let stale_at = trial_started + self.settings.open_for;
                if now >= stale_at {
                    *state = State::HalfOpen { trial_started: now };
                    Ok(())
                } else {
                    Err(stale_at - now)
                }
            }
        }
    }

    pub fn record(&self, outcome: Outcome) {
        let mut state = self.lock();
        let now = Instant::now();
        *state = match (outcome, *state) {
            (Outcome::Answered, _) => State::Closed { failures: 0 },
            (Outcome::Failed, State::Closed { failures }) => {
                let failures = failures + 1;
                if failures >= self.settings.failure_threshold {
                    State::Open {
                        until: now + self.settings.open_for,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            (Outcome::Failed, State::HalfOpen { .. }) => State::Open {
                until: now + self.settings.open_for,
            },
            // A request that bypassed an open breaker (stop/hang-up) failed: stay open.
            (Outcome::Failed, open @ State::Open { .. }) => open,
        };
    }

    pub fn state(&self) -> BreakerState {
        let now = Instant::now();
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } => BreakerState::Open {
                retry_in: until.saturating_duration_since(now),
            },
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(open_for: Duration) -> Breaker {
        Breaker::new(BreakerSettings {
            failure_threshold: 5,
            open_for,
        })
    }

    #[test]
    fn opens_after_five_consecutive_failures() {
        let b = breaker(Duration::from_secs(30));
        for _ in 0..4 {
            b.record(Outcome::Failed);
        }
        assert!(b.try_acquire().is_ok());
        b.record(Outcome::Failed);
        assert!(b.try_acquire().is_err());
        assert!(matches!(b.state(), BreakerState::Open { .. }));
    }

    #[test]
    fn an_answer_resets_the_count() {
        let b = breaker(Duration::from_secs(30));
        for _ in 0..4 {
            b.record(Outcome::Failed);
        }
        b.record(Outcome::Answered);
        for _ in 0..4 {
            b.record(Outcome::Failed);
        }
        assert!(b.try_acquire().is_ok());
    }

    #[test]
    fn one_trial_after_the_open_period() {
        let b = breaker(Duration::ZERO);
        for _ in 0..5 {
            b.record(Outcome::Failed);
        }
        assert!(
            b.try_acquire().is_ok(),
            "trial allowed once open_for elapsed"
        );
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.record(Outcome::Failed);
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert!(b.try_acquire().is_ok());
        b.record(Outcome::Answered);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn only_one_trial_in_flight() {
        let b = breaker(Duration::from_secs(30));
        *b.lock() = State::Open {
            until: Instant::now(),
        };
        assert!(b.try_acquire().is_ok());
        assert!(b.try_acquire().is_err());
    }
}
