// Temporary probe (h5): runs the live-panel reads on the scale database.
use launchdeck_core::domain::{LogFilter, Scope};
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};

#[tokio::test]
async fn probe() {
    let Ok(url) = std::env::var("H5_BENCH_URL") else { return };
    let store = PgStore::connect(&url, PgOptions::default()).await.expect("connect");
    let scope = Scope::default();
    for round in 0..7 {
        if round == 6 {
            sqlx::query("SELECT 'H5 MEASURED ROUND'").execute(store.pool()).await.ok();
        }
        let t = std::time::Instant::now();
        let a = store.calls_in_flight(&scope).await.expect("inflight");
        let t1 = t.elapsed();
        let b = store.broadcast_progress(&scope).await.expect("bp");
        let t2 = t.elapsed();
        let c = store.campaign_progress(&scope).await.expect("cp");
        let t3 = t.elapsed();
        let d = store.call_log_window(&scope, &LogFilter::default(), 200).await.expect("logs");
        let t4 = t.elapsed();
        let e = store.unacknowledged_alerts(&scope, 50).await.expect("alerts");
        let t5 = t.elapsed();
        let f = store.call_log_window(&scope, &LogFilter { text: Some("zzzz-nothing".into()), ..Default::default() }, 200).await.expect("logs filtered");
        let t6 = t.elapsed();
        println!("round {round}: inflight {} {:?} | bp {} {:?} | cp {} {:?} | logs {} {:?} | alerts {} {:?} | nomatch {} {:?}",
            a.calls.len(), t1, b.len(), t2 - t1, c.len(), t3 - t2, d.len(), t4 - t3, e.len(), t5 - t4, f.len(), t6 - t5);
    }
}
