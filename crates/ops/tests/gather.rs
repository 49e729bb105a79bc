//! The gatherer against the first-campaign seed in SQLite and the fake providers:
//! what each area reports, how provider answers map to check statuses, and that a
//! provider that hangs delays only the areas that need it.

mod world;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use launchdeck_core::config::Config;
use launchdeck_core::readiness::{Area, FixAction, Focus, Status};
use launchdeck_ops::{AreaChecks, GatherOptions};
use launchdeck_sim::fakes::{Fault, KeyScope, Route};
use secrecy::SecretString;
use tokio::sync::mpsc;
use world::{SqliteWorld, fast, find, run_collecting};

/// Every check that is not a pass, as `status id`.
fn issues(report: &launchdeck_core::readiness::Report) -> BTreeSet<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .map(|c| format!("{} {}", c.status, c.id))
        .collect()
}

#[tokio::test]
async fn each_area_arrives_once_and_the_report_holds_the_seeded_problems() {
    let world = SqliteWorld::new().await;
    let (messages, report) = run_collecting(&world.gatherer(fast())).await;

    let areas: Vec<Area> = messages.iter().map(|m| m.area).collect();
    let unique: HashSet<Area> = areas.iter().copied().collect();
    assert_eq!(areas.len(), 10, "one message per area: {areas:?}");
    assert_eq!(unique.len(), 10, "{areas:?}");
    // The report is the messages' checks in display order.
    let in_order: Vec<_> = Area::ALL
        .iter()
        .flat_map(|area| {
            let message = messages.iter().find(|m| m.area == *area).unwrap();
            message.checks.clone()
        })
        .collect();
    assert_eq!(report.checks, in_order);

    let f = &world.facts;
    let (a, b) = (f.broadcast_a.id, f.broadcast_b.id);
    let want: BTreeSet<String> = [
        "unknown environment.secrets".to_string(),
        "unknown database.safety_functions".into(),
        format!(
            "fail retell.number_outbound_agent:{}",
            f.number_without_outbound_agent
        ),
        "unknown twilio.telnyx_numbers".into(),
        "warn numbers.daily_cap".into(),
        format!("warn broadcast.dtmf_transfer:{a}"),
        format!("warn broadcast.dtmf_callback:{a}"),
        format!("warn broadcast.stuck:{a}"),
        format!("warn broadcast.alerts:{a}"),
        format!("warn broadcast.dtmf_transfer:{b}"),
        format!("warn broadcast.max_attempts:{b}"),
        format!("unknown campaign.contact_release:{}", f.campaign.id),
        format!("fail calendar.token:{}", f.calendar.integration_id),
        format!("warn safety.contact_stop:{}", f.stops.active_id),
        "unknown safety.provider_health".into(),
        "unknown safety.reconciliation".into(),
    ]
    .into_iter()
    .collect();
    assert_eq!(issues(&report), want);

    // The fix the console can run for the number "updated with the inbound agent only".
    let outbound = find(
        &report,
        &format!(
            "retell.number_outbound_agent:{}",
            f.number_without_outbound_agent
        ),
    );
    assert!(outbound.blocks_launch());
    assert!(matches!(
        &outbound.action,
        Some(FixAction::AssignOutboundAgent {
            agent_id: Some(_),
            ..
        })
    ));
    // The demo's SQLite database answers "not applicable" (Decision 7), never blocking.
    let release = find(
        &report,
        &format!("campaign.contact_release:{}", f.campaign.id),
    );
    assert!(!release.blocking && release.reason.contains("not applicable"));
    assert!(!report.ready());
}

#[tokio::test]
async fn no_secret_reaches_a_check_or_a_message() {
    let world = SqliteWorld::new().await;
    let (messages, report) = run_collecting(&world.gatherer(fast())).await;
    let text = format!("{messages:?}{report:?}");
    let json = serde_json::to_string(&report).unwrap();
    for secret in world::secrets() {
        assert!(!text.contains(secret), "{secret} leaked into the checks");
        assert!(!json.contains(secret), "{secret} leaked into the JSON");
    }
}

#[tokio::test]
async fn missing_secrets_are_reported_without_asking_anyone() {
    let world = SqliteWorld::new().await;
    let mut config = world::config(&world.fakes);
    config.retell.api_key = None;
    config.twilio.auth_token = None;
    config.elevenlabs.api_key = None;
    let gatherer = launchdeck_ops::Gatherer::new(&config, world.store.clone(), fast());
    let report = gatherer.report(Focus::All).await;

    let key = find(&report, "retell.api_key");
    assert_eq!((key.status, key.blocking), (Status::Fail, true));
    assert!(key.reason.contains("not set"), "{}", key.reason);
    assert_eq!(find(&report, "twilio.account").status, Status::Fail);
    assert_eq!(find(&report, "elevenlabs.key").status, Status::Unknown);
    assert!(world.fakes.retell.faults().requests().is_empty());
    assert!(world.fakes.twilio.faults().requests().is_empty());
    assert!(world.fakes.elevenlabs.faults().requests().is_empty());
}

#[tokio::test]
async fn a_rejected_key_fails_its_checks_after_one_request() {
    let world = SqliteWorld::new().await;
    let mut config = world::config(&world.fakes);
    config.retell.api_key = Some(SecretString::from("key_wrong0wrong0wrong0wrong0"));
    let gatherer = launchdeck_ops::Gatherer::new(&config, world.store.clone(), fast());
    let report = gatherer.report(Focus::All).await;

    let key = find(&report, "retell.api_key");
    assert_eq!(key.status, Status::Fail);
    assert!(key.reason.starts_with("key invalid"), "{}", key.reason);
    assert_eq!(find(&report, "retell.agents").status, Status::Fail);
    assert_eq!(
        world.fakes.retell.faults().requests().len(),
        1,
        "only get-concurrency is asked"
    );
    assert!(!report.ready());
}

/// Runs with `script` applied to the world, returns the check `id`.
async fn check_after(
    script: impl FnOnce(&SqliteWorld, &mut Config),
    id: impl Fn(&SqliteWorld) -> String,
) -> launchdeck_core::readiness::Check {
    let world = SqliteWorld::new().await;
    let mut config = world::config(&world.fakes);
    script(&world, &mut config);
    let gatherer = launchdeck_ops::Gatherer::new(&config, world.store.clone(), fast());
    let report = gatherer.report(Focus::All).await;
    find(&report, &id(&world)).clone()
}

#[tokio::test]
async fn provider_answers_map_to_check_statuses() {
    let calendar = |w: &SqliteWorld| format!("calendar.access:{}", w.facts.calendar.integration_id);
    let fixed = |id: &'static str| move |_: &SqliteWorld| id.to_string();

    let c = check_after(
        |w, _| {
            let route = Route::get("/get-concurrency");
            w.fakes
                .retell
                .faults()
                .inject_always(route, Fault::rate_limited(Some("1")));
        },
        fixed("retell.api_key"),
    )
    .await;
    assert_eq!(c.status, Status::Unknown, "429 after retries: {}", c.reason);
    assert!(c.reason.contains("rate-limited"), "{}", c.reason);

    let c = check_after(
        |w, _| w.fakes.twilio.state().set_account_status("suspended"),
        fixed("twilio.account"),
    )
    .await;
    assert_eq!((c.status, c.blocking), (Status::Fail, true), "{}", c.reason);

    let c = check_after(
        |w, _| w.fakes.twilio.state().set_account_type("Trial"),
        fixed("twilio.account"),
    )
    .await;
    assert_eq!(c.status, Status::Warn, "{}", c.reason);

    let c = check_after(
        |w, config| {
            let scoped = "sk_scoped0without0user0read0ff66";
            w.fakes
                .elevenlabs
                .state()
                .add_key(scoped, KeyScope::WithoutUserRead);
            config.elevenlabs.api_key = Some(SecretString::from(scoped));
        },
        fixed("elevenlabs.key"),
    )
    .await;
    assert_eq!(c.status, Status::Warn, "missing_permissions: {}", c.reason);

    let c = check_after(
        |w, _| w.fakes.elevenlabs.state().set_status("past_due"),
        fixed("elevenlabs.subscription"),
    )
    .await;
    assert_eq!(c.status, Status::Fail, "{}", c.reason);

    let c = check_after(
        |w, _| {
            w.fakes
                .elevenlabs
                .faults()
                .inject_always(Route::all(), Fault::status(500))
        },
        fixed("elevenlabs.key"),
    )
    .await;
    assert_eq!(c.status, Status::Unknown, "{}", c.reason);

    let c = check_after(
        |w, _| {
            let route = Route::get("/calendar/v3/users/me/calendarList");
            w.fakes
                .google
                .faults()
                .inject_always(route, Fault::code(401, "authError"));
        },
        calendar,
    )
    .await;
    assert_eq!(c.status, Status::Fail);
    assert!(c.reason.contains("token rejected: press t"), "{}", c.reason);

    let c = check_after(
        |w, _| w.fakes.google.state().set_insufficient_scope(true),
        calendar,
    )
    .await;
    assert_eq!(c.status, Status::Fail);
    assert!(c.reason.contains("insufficientPermissions"), "{}", c.reason);
}

#[tokio::test]
async fn an_audio_url_that_is_not_audio_fails() {
    let world = SqliteWorld::new().await;
    let broadcast = world.facts.broadcast_a.id;
    let url = format!(
        "{}/not-audio/summer-savings.mp3",
        world.fakes.audio.base_url()
    );
    sqlx::query("UPDATE voice_broadcasts SET audio_url = $1 WHERE id = $2")
        .bind(&url)
        .bind(broadcast.to_string())
        .execute(world.sqlite.pool())
        .await
        .unwrap();
    let report = world
        .gatherer(fast())
        .report(Focus::Broadcast(broadcast))
        .await;
    let audio = find(&report, &format!("broadcast.audio:{broadcast}"));
    assert_eq!((audio.status, audio.blocking), (Status::Fail, true));
    assert!(
        audio.reason.contains("text/html, not audio"),
        "{}",
        audio.reason
    );
    // Only the focused broadcast is checked.
    let b = world.facts.broadcast_b.id.to_string();
    assert!(!report.checks.iter().any(|c| c.id.ends_with(&b)));
}

/// Receives area messages until every area of `want` has arrived.
async fn receive_areas(
    rx: &mut mpsc::UnboundedReceiver<AreaChecks>,
    want: &BTreeSet<Area>,
) -> Vec<AreaChecks> {
    let mut got: Vec<AreaChecks> = Vec::new();
    let all_in = async {
        while let Some(message) = rx.recv().await {
            got.push(message);
            let arrived: BTreeSet<Area> = got.iter().map(|m| m.area).collect();
            if want.is_subset(&arrived) {
                return true;
            }
        }
        false
    };
    let done = tokio::time::timeout(Duration::from_secs(60), all_in).await;
    assert!(
        matches!(done, Ok(true)),
        "not every area of {want:?} arrived"
    );
    got
}

#[tokio::test]
async fn a_hanging_provider_delays_only_the_areas_that_need_it() {
    let world = SqliteWorld::new().await;
    world
        .fakes
        .retell
        .faults()
        .inject_always(Route::all(), Fault::Delay(Duration::from_secs(600)));
    let options = GatherOptions {
        source_timeout: Duration::from_secs(300),
        provider_spacing: Duration::ZERO,
    };
    let gatherer = world.gatherer(options);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let run = tokio::spawn(async move { gatherer.run(Focus::All, tx).await });

    let needs_retell: BTreeSet<Area> = [Area::Retell, Area::TwilioSip, Area::Campaigns].into();
    let others: BTreeSet<Area> = Area::ALL
        .into_iter()
        .filter(|a| !needs_retell.contains(a))
        .collect();
    let arrived = receive_areas(&mut rx, &others).await;
    // Retell has not answered (it will not for 300 s): its areas are still waiting.
    assert!(
        arrived.iter().all(|m| !needs_retell.contains(&m.area)),
        "{:?}",
        arrived.iter().map(|m| m.area).collect::<Vec<_>>()
    );
    assert!(!run.is_finished());
    run.abort();
}

#[tokio::test]
async fn a_provider_past_the_time_limit_is_unknown() {
    let world = SqliteWorld::new().await;
    world
        .fakes
        .elevenlabs
        .faults()
        .inject_always(Route::all(), Fault::Delay(Duration::from_secs(600)));
    let options = GatherOptions {
        source_timeout: Duration::from_secs(1),
        provider_spacing: Duration::ZERO,
    };
    let report = world.gatherer(options).report(Focus::All).await;
    let key = find(&report, "elevenlabs.key");
    assert_eq!(key.status, Status::Unknown);
    assert!(key.reason.contains("no answer"), "{}", key.reason);
}
