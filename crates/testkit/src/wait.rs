use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(10);
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Polls `condition` until it returns true or `timeout` passes.
///
/// Returns whether the condition was met, so a test can
/// `assert!(wait_until(..).await, "what did not happen")`.
pub async fn wait_until<F, Fut>(timeout: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(timeout, || {
        let check = condition();
        async move { check.await.then_some(()) }
    })
    .await
    .is_some()
}

/// Polls `probe` until it returns `Some(value)` or `timeout` passes.
///
/// The probe runs at least once; the polling interval starts small and backs
/// off to 200 ms.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    let mut interval = FIRST_POLL_INTERVAL;
    loop {
        if let Some(value) = probe().await {
            return Some(value);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(MAX_POLL_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn wait_until_returns_true_once_the_condition_holds() {
        let polls = Arc::new(AtomicU32::new(0));
        let met = wait_until(Duration::from_secs(30), || {
            let polls = polls.clone();
            async move { polls.fetch_add(1, Ordering::SeqCst) + 1 >= 3 }
        })
        .await;
        assert!(met);
        assert_eq!(polls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_returns_false_after_the_timeout() {
        let met = wait_until(Duration::from_secs(5), || async { false }).await;
        assert!(!met);
    }

    #[tokio::test]
    async fn wait_for_returns_the_probed_value() {
        let polls = Arc::new(AtomicU32::new(0));
        let value = wait_for(Duration::from_secs(30), || {
            let polls = polls.clone();
            async move {
                let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
                (n == 2).then_some(n * 10)
            }
        })
        .await;
        assert_eq!(value, Some(20));
    }
}
