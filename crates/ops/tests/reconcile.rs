//! `Gatherer::reconcile` against the first-campaign seed in PostgreSQL (the platform
//! fixture) and a Retell fake holding the seed's Retell calls under their own ids: the
//! calls whose end webhook was lost are ghosts, the live ones agree.

mod world;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::domain::CallSource;
use launchdeck_ops::Gatherer;
use launchdeck_seed::first_campaign::SeedFacts;
use launchdeck_seed::pg;
use launchdeck_sim::fakes::{CallPlan, PastCall, RetellState};
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::TestDb;
use uuid::Uuid;

/// The seed's Retell calls, each under its own id, timed as the seed says.
fn hold_seeded_calls(retell: &RetellState, facts: &SeedFacts) {
    for call in &facts.retell_calls {
        let talk = match call.ended_at {
            Some(end) => (end - call.started_at).to_std().unwrap_or_default(),
            None => Duration::from_secs(6 * 3600),
        };
        let past = PastCall {
            call_id: call.call_id.clone(),
            agent_id: call.agent_id.clone(),
            from_number: call.from_number.clone(),
            to_number: call.to_number.clone(),
        };
        let plan = CallPlan::answered(Duration::ZERO, talk);
        assert!(retell.add_past_call(past, plan, call.started_at));
    }
}

#[tokio::test]
async fn the_seeds_lost_end_webhooks_are_ghosts_and_its_live_calls_agree() {
    let db = TestDb::create().await;
    let audio = world::audio_server().await;
    let (data, facts) = world::seed_data(&audio.base_url());
    pg::load(db.pool(), &data).await.expect("load seed");
    let fakes = world::start_fakes(&facts, audio).await;
    hold_seeded_calls(fakes.retell.state(), &facts);
    let mut config = world::config(&fakes);
    // Twilio left unconfigured: the broadcast rows come back unchecked.
    config.twilio.account_sid = None;
    config.twilio.auth_token = None;
    // The one-shot commands' window: call_logs still ringing from up to 30 days ago.
    let options = PgOptions {
        in_flight_log_window: Duration::from_secs(30 * 86_400),
        ..PgOptions::default()
    };
    let store = PgStore::connect(db.url(), options).await.expect("connect");
    let gatherer = Gatherer::new(&config, Arc::new(store), world::fast());

    let report = gatherer.reconcile().await.expect("reconciles");
    let out = &report.outcome;

    let ended: BTreeSet<Uuid> = facts
        .retell_calls
        .iter()
        .filter(|c| c.call_status == "ended")
        .map(|c| c.call_log_id)
        .collect();
    assert!(!ended.is_empty(), "the seed has lost end webhooks");
    let ghost_logs: BTreeSet<Uuid> = out
        .ghosts
        .iter()
        .filter(|g| g.source == CallSource::CallLogs)
        .map(|g| g.id)
        .collect();
    assert_eq!(ghost_logs, ended);
    assert!(
        out.ghosts
            .iter()
            .all(|g| g.provider_status == "ended" && g.ended_at.is_some()),
        "{:#?}",
        out.ghosts
    );
    let live = facts
        .retell_calls
        .iter()
        .filter(|c| c.call_status == "ongoing")
        .count();
    assert!(live > 0);
    assert_eq!(out.provider_ongoing, live);
    assert!(out.orphans.is_empty(), "{:#?}", out.orphans);
    assert!(out.impossible_age.is_empty(), "{:#?}", out.impossible_age);
    assert!(out.agreeing >= live, "{} agree, {live} live", out.agreeing);
    assert!(
        out.unchecked
            .iter()
            .all(|u| u.source == CallSource::BroadcastQueue),
        "{:#?}",
        out.unchecked
    );
    assert_eq!(report.concurrency.current, Some(live as i64));
    let asked: Vec<String> = fakes
        .retell
        .faults()
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        asked,
        ["/get-concurrency", "/v3/list-calls", "/v3/list-calls"],
        "concurrency, ongoing, one page of finished calls"
    );
}
