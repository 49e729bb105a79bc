//! Backoff (full jitter), `Retry-After` reading and the per-provider retry budget
//! (providers.md §3).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::HeaderMap;

/// How often and how long to wait between retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// First backoff ceiling; doubles per attempt.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
}

impl RetryPolicy {
    /// Default profile (Retell, ElevenLabs, Google): 0.5 s base, 8 s cap, 2 retries.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(8),
        max_retries: 2,
    };

    /// Twilio 20429 profile: 0.1 s base, 3 s cap, 3 retries.
    pub const TWILIO_THROTTLE: RetryPolicy = RetryPolicy {
        base: Duration::from_millis(100),
        cap: Duration::from_secs(3),
        max_retries: 3,
    };

    /// Full jitter: `random(0, min(cap, base·2^attempt))`, attempt counting from 0.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        if ceiling.is_zero() {
            return Duration::ZERO;
        }
        let nanos = rand::rng().random_range(0..=ceiling.as_nanos() as u64);
        Duration::from_nanos(nanos)
    }

    fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// The provider's wait hint: `retry-after-ms` first, then `Retry-After` in seconds
/// (possibly fractional) or as an HTTP date. `None` when absent, unreadable or not in
/// the future.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = header_str(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return positive_secs(ms / 1000.0);
    }
    let raw = header_str(headers, "retry-after")?;
    if let Ok(secs) = raw.parse::<f64>() {
        return positive_secs(secs);
    }
    let date = DateTime::parse_from_rfc2822(raw).ok()?;
    let wait = date.with_timezone(&Utc) - Utc::now();
    positive_secs(wait.num_milliseconds() as f64 / 1000.0)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn positive_secs(secs: f64) -> Option<Duration> {
    if secs.is_finite() && secs > 0.0 {
        // Cap absurd values so the conversion cannot overflow.
        Some(Duration::from_secs_f64(secs.min(1.0e9)))
    } else {
        None
    }
}

/// Retry budget after AWS's quota: a token bucket per provider. A retry costs 5 tokens
/// (10 after a timeout or throttle); each success returns 1; no retries when empty.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: Mutex<u32>,
}

pub(crate) const RETRY_COST: u32 = 5;
pub(crate) const RETRY_COST_TIMEOUT: u32 = 10;

impl RetryBudget {
    pub fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: Mutex::new(capacity),
        }
    }

    /// Takes `cost` tokens if available.
    pub fn try_spend(&self, cost: u32) -> bool {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    /// A success refills one token.
    pub fn refill_one(&self) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        *tokens = (*tokens + 1).min(self.capacity);
    }

    #[cfg(test)]
    pub fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("test header"));
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after-ms", "1500")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "2.5")])),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "0")])), None);
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "soon")])),
            None
        );
        let future = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = parse_retry_after(&headers(&[("retry-after", &future)])).expect("date");
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        let gmt = (Utc::now() + chrono::Duration::seconds(40))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = parse_retry_after(&headers(&[("retry-after", &gmt)])).expect("HTTP date");
        assert!(wait > Duration::from_secs(35) && wait <= Duration::from_secs(40));
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(&headers(&[("retry-after", past)])), None);
    }

    #[test]
    fn backoff_stays_under_the_ceiling() {
        let policy = RetryPolicy::STANDARD;
        for attempt in 0..8 {
            let ceiling = policy
                .base
                .saturating_mul(2u32.pow(attempt))
                .min(policy.cap);
            for _ in 0..50 {
                assert!(policy.backoff(attempt) <= ceiling);
            }
        }
    }

    #[test]
    fn budget_runs_dry_and_refills() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_spend(RETRY_COST_TIMEOUT));
        assert!(!budget.try_spend(RETRY_COST));
        budget.refill_one();
        budget.refill_one();
        budget.refill_one();
        assert!(budget.try_spend(RETRY_COST));
        assert_eq!(budget.available(), 0);
    }
}
