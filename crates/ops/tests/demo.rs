//! The demo lets the operator run every action and see its effect: through the real
//! provider clients and the gatherer, against `launchdeck demo`'s own assembly (its
//! SQLite database, fakes and simulator), the Logs screen's newest broadcast calls are
//! found at Twilio, the calendar tokens refresh (or ask for a reconnect), a fixed
//! outbound agent passes readiness and stays fixed, and unacknowledged alerts show.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use launchdeck_core::config::Config;
use launchdeck_core::domain::{CallProvider, CallSource, LogFilter, Scope};
use launchdeck_core::readiness::{Focus, Status};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_providers::google::{GoogleCalendarClient, GoogleOAuthClient};
use launchdeck_providers::{HttpConfig, OAuthFailure, RetellClient};
use launchdeck_sim::demo::{DEMO_GOOGLE_CLIENT_ID, DEMO_GOOGLE_CLIENT_SECRET, Demo, DemoOptions};
use launchdeck_sim::simulator::SimConfig;
use launchdeck_store::Store;
use launchdeck_testkit::wait_until;
use secrecy::SecretString;

const DEADLINE: Duration = Duration::from_secs(60);

/// Fast calls; the random events only where a test asks for them.
fn quiet(rate: f64) -> SimConfig {
    SimConfig {
        rate,
        tick: Duration::from_millis(20),
        pace: 0.01,
        drop_report_probability: 0.0,
        token_expiry_every: None,
        agent_loss_every: None,
        seed: Some(11),
        ..SimConfig::default()
    }
}

async fn demo(dir: &tempfile::TempDir, simulator: SimConfig) -> Demo {
    let options = DemoOptions {
        simulator,
        faults: false,
        fresh: true,
        ..DemoOptions::default()
    };
    Demo::start(dir.path(), options)
        .await
        .unwrap_or_else(|e| panic!("the demo did not start: {e}"))
}

fn gatherer(demo: &Demo, config: &Config) -> Gatherer {
    let options = GatherOptions {
        source_timeout: Duration::from_secs(30),
        provider_spacing: Duration::ZERO,
    };
    Gatherer::new(config, demo.store(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_newest_broadcast_calls_are_found_at_twilio() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = chrono::Utc::now();
    let demo = demo(&dir, quiet(20.0)).await;
    // Let the simulator finish calls of its own among the data set's.
    let finished = wait_until(DEADLINE, || async { demo.simulator_stats().finished >= 20 }).await;
    assert!(finished, "{:?}", demo.simulator_stats());
    let config = demo.config().expect("demo config");
    let gatherer = gatherer(&demo, &config);
    let filter = LogFilter {
        broadcast_id: Some(demo.facts().broadcast_a.id),
        ..LogFilter::default()
    };
    let rows = demo
        .store()
        .call_log_window(&Scope::default(), &filter, 120)
        .await
        .expect("the Logs window");
    let calls: Vec<_> = rows
        .iter()
        .filter(|r| r.source == CallSource::BroadcastQueue)
        .filter_map(|r| Some((r, r.provider_call_id.clone()?)))
        .collect();
    // The newest rows: the simulator's calls, then the data set's history.
    let seeded = calls.iter().filter(|(r, _)| r.updated_at < started).count();
    assert!(
        seeded >= 50,
        "{seeded} of {} from the data set",
        calls.len()
    );
    assert!(calls.len() - seeded >= 10, "{} calls", calls.len());
    for (row, sid) in calls {
        let provider = CallProvider::of_row(row.provider.as_deref(), &sid);
        assert_eq!(provider, CallProvider::Twilio);
        let record = gatherer
            .call_record(&provider, &sid)
            .await
            .unwrap_or_else(|e| panic!("{} {sid}: {e}", row.status));
        assert_eq!(record.call_id, sid);
        let expected = match row.status.as_str() {
            "busy" => "busy",
            "failed" => "failed",
            "no_answer" => "no-answer",
            _ => "completed",
        };
        // A connected call's record says completed, or no-answer when it never talked.
        let connected_without_talk = expected == "completed" && record.status == "no-answer";
        assert!(
            record.status == expected || connected_without_talk,
            "{} {sid}: Twilio says {}",
            row.status,
            record.status
        );
        if let Some(secs) = row.duration_seconds.filter(|d| *d > 0) {
            assert_eq!(record.duration_seconds, Some(i64::from(secs)), "{sid}");
        }
    }
    demo.stop().await;
}

/// The stored refresh token of the integration of `account_email` (base64 of the
/// plaintext, schema.md).
async fn stored_refresh_token(demo: &Demo, account_email_like: &str) -> SecretString {
    let stored: String = sqlx::query_scalar(
        "SELECT refresh_token_encrypted FROM calendar_integrations
         WHERE provider = 'google' AND provider_account_email LIKE ?1",
    )
    .bind(account_email_like)
    .fetch_one(demo.sqlite().pool())
    .await
    .expect("a stored refresh token");
    let plain = BASE64.decode(stored.trim()).expect("base64");
    SecretString::from(String::from_utf8(plain).expect("utf-8"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_tokens_refresh_or_ask_for_a_reconnect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(
        &dir,
        SimConfig {
            token_expiry_every: Some(Duration::from_millis(50)),
            ..quiet(1.0)
        },
    )
    .await;
    // The demo lets the tokens expire: both integrations need a refresh.
    let expired = wait_until(DEADLINE, || async {
        demo.simulator_stats().token_expiries >= 2
    })
    .await;
    assert!(expired, "{:?}", demo.simulator_stats());
    let integrations = demo
        .store()
        .calendar_integrations(&Scope::default())
        .await
        .expect("integrations");
    let google = integrations
        .iter()
        .filter(|i| i.provider == "google")
        .count();
    assert_eq!(google, 2, "the owner's and the member's");

    let endpoints = demo.endpoints();
    let http = HttpConfig::default();
    let oauth = GoogleOAuthClient::new(
        &endpoints.google_token,
        DEMO_GOOGLE_CLIENT_ID,
        SecretString::from(DEMO_GOOGLE_CLIENT_SECRET),
        &http,
    )
    .expect("oauth client");
    let owner = demo.facts().first_org.owner_user_id;
    let owner_email: String = sqlx::query_scalar(
        "SELECT provider_account_email FROM calendar_integrations WHERE user_id = ?1",
    )
    .bind(owner.to_string())
    .fetch_one(demo.sqlite().pool())
    .await
    .expect("the owner's integration");
    let grant = oauth
        .refresh(&stored_refresh_token(&demo, &owner_email).await)
        .await
        .expect("the owner's refresh token is granted");
    assert!(grant.expires_in > Duration::ZERO);
    assert!(
        grant.refresh_token.is_none(),
        "Google keeps the refresh token"
    );
    let calendar =
        GoogleCalendarClient::new(&endpoints.google_calendar, &http).expect("calendar client");
    let calendars = calendar
        .calendar_list(&grant.access_token)
        .await
        .expect("the new access token reads the calendar list");
    assert!(!calendars.items.is_empty());

    let member = demo.facts().first_org_member_user_id;
    let member_email: String = sqlx::query_scalar(
        "SELECT provider_account_email FROM calendar_integrations WHERE user_id = ?1",
    )
    .bind(member.to_string())
    .fetch_one(demo.sqlite().pool())
    .await
    .expect("the member's integration");
    let revoked = oauth
        .refresh(&stored_refresh_token(&demo, &member_email).await)
        .await
        .expect_err("the member's grant was revoked");
    assert_eq!(revoked.oauth_failure(), Some(OAuthFailure::InvalidGrant));
    demo.stop().await;
}

async fn outbound_check(gatherer: &Gatherer, number: &str) -> Status {
    let id = format!("retell.number_outbound_agent:{number}");
    let report = gatherer.report(Focus::All).await;
    report
        .get(&id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_outbound_agent_passes_readiness_and_is_lost_again_only_later() {
    let dir = tempfile::tempdir().expect("temp dir");
    let respite = Duration::from_secs(4);
    let demo = demo(
        &dir,
        SimConfig {
            agent_loss_every: Some(Duration::from_millis(50)),
            agent_loss_respite: respite,
            ..quiet(1.0)
        },
    )
    .await;
    let config = demo.config().expect("demo config");
    let gatherer = gatherer(&demo, &config);
    let number = demo.facts().number_without_outbound_agent.clone();
    assert_eq!(outbound_check(&gatherer, &number).await, Status::Fail);

    // The fix: the number's inbound agent becomes its outbound agent.
    let inbound = demo
        .facts()
        .retell_numbers
        .iter()
        .find(|n| n.phone_number == number)
        .and_then(|n| n.inbound_agent_ids.first().cloned())
        .expect("the number has an inbound agent");
    let retell = RetellClient::new(
        &demo.endpoints().retell,
        SecretString::from(launchdeck_sim::demo::DEMO_RETELL_API_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    let fixed_at = tokio::time::Instant::now();
    let updated = retell
        .set_outbound_agent(&number, &inbound)
        .await
        .expect("the fix is applied");
    assert_eq!(updated.outbound_agent_ids(), vec![inbound.as_str()]);
    assert_eq!(outbound_check(&gatherer, &number).await, Status::Pass);

    // The simulator leaves every number alone during the respite...
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 20
        })
        .await
    );
    if fixed_at.elapsed() < respite {
        assert_eq!(demo.simulator_stats().agents_lost, 0);
        assert_eq!(outbound_check(&gatherer, &number).await, Status::Pass);
    }
    // ...and takes one agent away (one, not all) only after it.
    let lost = wait_until(DEADLINE, || async {
        demo.simulator_stats().agents_lost >= 1
    })
    .await;
    assert!(lost, "{:?}", demo.simulator_stats());
    assert!(fixed_at.elapsed() >= respite);
    let ticks = demo.simulator_stats().ticks;
    assert!(
        wait_until(DEADLINE, || async {
            demo.simulator_stats().ticks >= ticks + 20
        })
        .await
    );
    assert_eq!(demo.simulator_stats().agents_lost, 1);
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_unacknowledged_alerts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(&dir, quiet(1.0)).await;
    let store: Arc<dyn Store> = demo.store();
    let alerts = store
        .unacknowledged_alerts(&Scope::default(), 50)
        .await
        .expect("alerts");
    let seeded = demo.facts().unacknowledged_alerts_first_org;
    assert!(seeded > 0);
    assert!(alerts.len() >= seeded, "{} of {seeded}", alerts.len());
    demo.stop().await;
}

/// `launchdeck demo` runs the test broadcast: its config lists the demo's own test
/// numbers, its fakes accept and play out the calls (Twilio for the audio broadcast,
/// Retell for the campaign), the rows land in the demo's SQLite database as the
/// platform writes them, and the simulator leaves them alone while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_a_test_broadcast_end_to_end() {
    use launchdeck_ops::actions::test_broadcast::{
        self, FollowTimings, Placement, TestBroadcastRequest, TestTarget,
    };
    use launchdeck_ops::actions::{ActionContext, ActionEnv, PlanView};
    use launchdeck_sim::demo::DEMO_TEST_NUMBERS;
    use launchdeck_sim::fakes::{CallPlan, TwilioCallPlan, TwilioOutcome};

    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo(&dir, quiet(5.0)).await;
    let config = demo.config().expect("demo config");
    assert_eq!(
        config.test_broadcast.allowlist,
        DEMO_TEST_NUMBERS.map(String::from).to_vec()
    );
    // Short calls, so the test follows them to their end quickly.
    demo.retell().state().set_default_plan(CallPlan::answered(
        Duration::from_millis(300),
        Duration::from_millis(800),
    ));
    demo.twilio().state().set_default_plan(TwilioCallPlan {
        queued: Duration::from_millis(200),
        ringing: Duration::from_millis(300),
        outcome: TwilioOutcome::Completed {
            talk: Duration::from_millis(800),
        },
    });
    let ctx = ActionContext::new(Scope::default(), dir.path().join("audit.jsonl"), false);
    let env = ActionEnv::new(demo.store(), gatherer(&demo, &config), ctx);
    let timings = FollowTimings {
        poll_interval: Duration::from_millis(100),
        reconcile_every: Duration::from_millis(200),
        reconcile_window: Duration::from_secs(5),
        max_call_duration: Duration::from_secs(30),
    };
    let facts = demo.facts().clone();
    for (target, to) in [
        (
            TestTarget::Broadcast(facts.broadcast_a.id),
            &DEMO_TEST_NUMBERS[..2],
        ),
        (
            TestTarget::Campaign(facts.campaign.id),
            &DEMO_TEST_NUMBERS[2..],
        ),
    ] {
        let request = TestBroadcastRequest {
            target,
            to: to.iter().map(|s| s.to_string()).collect(),
            agent: None,
            override_readiness: true,
        };
        let plan = test_broadcast::plan(&env, request).await.expect("plan");
        assert!(
            plan.will_change(),
            "{}: {:?}",
            plan.summary(),
            plan.details()
        );
        let placed = test_broadcast::apply_with_progress(&env, &plan, None)
            .await
            .expect("apply");
        let outcome = &placed.outcome;
        assert_eq!(outcome.changed as usize, to.len(), "{outcome:?}");
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let summary = test_broadcast::follow_with(&env, placed.calls.clone(), tx, timings).await;
        assert!(summary.all_finished(), "{summary:?}");
        for call in &summary.calls {
            assert_eq!(call.placed, Some(Placement::Placed));
            let (source, id) = call.row.expect("a row");
            let status: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT status FROM {} WHERE id = $1",
                source.as_str()
            )))
            .bind(id.to_string())
            .fetch_one(demo.sqlite().pool())
            .await
            .expect("the test row");
            assert_eq!(
                Some(status.as_str()),
                call.final_status.as_deref(),
                "{call:?}"
            );
        }
    }
    assert!(demo.simulator_running());
    demo.stop().await;
}
