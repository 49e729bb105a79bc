//! The whole path of a Logs row's provider record: `enter` in the running console, the
//! runtime asks the Retell fake over loopback HTTP, and the answer appears in the open
//! pane, below the row's fields.

mod common;

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_providers::retell::NewCall;
use launchdeck_providers::{HttpConfig, RetellClient};
use launchdeck_seed::{first_campaign, sqlite};
use launchdeck_sim::fakes::{CallPlan, FakeAgent, FakeNumber, RetellFake, RetellState, Route};
use launchdeck_store::Store;
use launchdeck_store::sqlite::SqliteStore;
use launchdeck_tui::records::RecordState;
use launchdeck_tui::runtime::{Services, Stores, drive};
use launchdeck_tui::{App, Clock, Keymap, PollIntervals, TuiError, TuiOptions, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;

const RETELL_KEY: &str = "key_tui0record0retell0secret0aa11";
const FROM: &str = "+14155550123";
/// Generous: nothing here should take more than a few seconds.
const DEADLINE: Duration = Duration::from_secs(60);

struct World {
    store: Arc<dyn Store>,
    retell: RetellFake,
    call_id: String,
    _dir: tempfile::TempDir,
}

/// A Retell call that has ended at the fake (answered after 3 s, the agent hung up
/// 45 s later); returns its id.
async fn ended_call(fake: &RetellFake) -> String {
    let state = fake.state();
    state.add_agent(FakeAgent::new("agent_a"));
    state.add_number(FakeNumber::new(FROM).outbound_agents(&["agent_a"]));
    state.push_plan(CallPlan::answered_with(
        Duration::from_secs(3),
        Duration::from_secs(45),
        "agent_hangup",
    ));
    let client = RetellClient::new(
        &fake.base_url(),
        SecretString::from(RETELL_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    let call = NewCall {
        from_number: FROM.to_string(),
        to_number: "+14155550199".to_string(),
        override_agent_id: None,
        dynamic_variables: BTreeMap::new(),
        request_id: uuid::Uuid::new_v4(),
    };
    let outcome = client.create_call(&call).await;
    let call_id = outcome.placed().expect("placed").call_id.clone();
    state.clock().advance(Duration::from_secs(60));
    call_id
}

/// The first-campaign seed in SQLite, one Retell call_log of which is the call the
/// fake holds, created a minute ago.
async fn world() -> World {
    let retell = RetellFake::start(RetellState::new(RETELL_KEY))
        .await
        .expect("retell fake");
    let call_id = ended_call(&retell).await;
    let (mut data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    for broadcast in [facts.broadcast_a.id, facts.broadcast_b.id] {
        let url = "http://127.0.0.1:9/broadcast-audio.mp3";
        assert!(first_campaign::set_broadcast_audio_url(
            &mut data, broadcast, url
        ));
    }
    let log = data
        .table("call_logs")
        .rows
        .iter_mut()
        .find(|row| row["status"] == json!("completed") && row["retell_call_id"].is_string())
        .expect("a completed Retell call_log in the seed");
    log.insert("retell_call_id".into(), json!(call_id));
    log.insert(
        "created_at".into(),
        json!(Utc::now() - chrono::Duration::minutes(1)),
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_fresh(dir.path().join("console.db"))
        .await
        .expect("open sqlite");
    sqlite::load(store.pool(), &data).await.expect("load seed");
    World {
        store: Arc::new(store),
        retell,
        call_id,
        _dir: dir,
    }
}

/// Retell configured (the fake); the other providers have no secrets.
fn gatherer(world: &World) -> Gatherer {
    let mut config = Config::default();
    config.retell.api_key = Some(SecretString::from(RETELL_KEY));
    config.retell.base_url = BaseUrl::parse(&world.retell.base_url()).expect("fake URL");
    let options = GatherOptions {
        source_timeout: Duration::from_secs(30),
        provider_spacing: Duration::ZERO,
    };
    Gatherer::new(&config, world.store.clone(), options)
}

fn get_call_requests(world: &World) -> usize {
    world.retell.faults().count(&Route::get("/v2/get-call/"))
}

fn frame_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(usize::from(buffer.area.width))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The next drawn frame whose text satisfies `want`.
async fn frame_where(
    frames: &mut mpsc::UnboundedReceiver<String>,
    what: &str,
    want: impl Fn(&str) -> bool,
) -> String {
    let mut last = String::new();
    let found = tokio::time::timeout(DEADLINE, async {
        while let Some(text) = frames.recv().await {
            if want(&text) {
                return Some(text);
            }
            last = text;
        }
        None
    })
    .await;
    match found {
        Ok(Some(text)) => text,
        _ => panic!("no frame showed {what}; the last one:\n{last}"),
    }
}

fn key(code: KeyCode) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_on_a_logs_row_shows_retells_record_of_the_call() {
    let world = world().await;
    let options = TuiOptions {
        poll: PollIntervals {
            readiness: Duration::from_secs(3600),
            ..PollIntervals::default()
        },
        ..common::options()
    };
    let size = Rect::new(0, 0, 120, 40);
    let mut app = App::new(options.clone(), Keymap::default(), Clock::now(), size);
    let (services, rx) =
        Services::spawn(Stores::one(world.store.clone()), gatherer(&world), &options);

    let (keys, key_events) = futures::channel::mpsc::unbounded::<io::Result<Event>>();
    let (frame_tx, mut frames) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(size.width, size.height))
        .unwrap_or_else(|never| match never {});
    let draw = move |app: &App| -> Result<(), TuiError> {
        if let Err(never) = terminal.draw(|f| view::render(f, app)) {
            match never {}
        }
        let _ = frame_tx.send(frame_text(&terminal));
        Ok(())
    };
    let press = |code: KeyCode| keys.unbounded_send(key(code)).expect("the loop listens");

    let script = async {
        // Logs, filtered down to the call the fake holds.
        press(KeyCode::Char('4'));
        press(KeyCode::Char('/'));
        for c in world.call_id.chars() {
            press(KeyCode::Char(c));
        }
        press(KeyCode::Enter);
        frame_where(&mut frames, "the filtered Logs row", |text| {
            text.contains("Call log") && text.contains("1 shown")
        })
        .await;
        assert_eq!(get_call_requests(&world), 0, "nothing asked before enter");

        press(KeyCode::Enter);
        let pane = frame_where(&mut frames, "Retell's record in the pane", |text| {
            text.contains("Retell: ended, reason agent_hangup")
        })
        .await;
        assert!(pane.contains(&world.call_id), "{pane}");
        assert!(pane.contains(", 45s, cost $"), "duration and cost: {pane}");
        assert_eq!(get_call_requests(&world), 1);

        // Closing and reopening at once reuses the answer: Retell is not asked again.
        press(KeyCode::Esc);
        press(KeyCode::Enter);
        press(KeyCode::Char('q'));
    };
    let (result, ()) = tokio::join!(
        drive(
            &mut app,
            key_events,
            &services,
            rx,
            draw,
            std::future::pending()
        ),
        script
    );
    assert!(result.is_ok(), "{result:?}");
    assert!(app.should_quit);
    let open = app.logs.detail.as_ref().expect("reopened");
    let key = ((open.source, open.id), world.call_id.clone());
    assert!(
        matches!(app.records.get(&key), Some(RecordState::Fetched(Ok(_)))),
        "the answer was reused, not asked for again: {:?}",
        app.records.get(&key)
    );
    assert_eq!(get_call_requests(&world), 1);
}
