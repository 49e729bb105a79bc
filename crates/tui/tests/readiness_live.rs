//! The console's runtime pieces against a seeded SQLite database and a Retell fake
//! that never answers: the event loop keeps answering keys and the other areas'
//! results arrive while Retell is still pending; a run in flight is never started twice.

mod common;

use std::collections::BTreeSet;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_core::readiness::{Area, Status};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_seed::{first_campaign, sqlite};
use launchdeck_sim::fakes::{Fault, RetellFake, RetellState, Route};
use launchdeck_store::Store;
use launchdeck_store::sqlite::SqliteStore;
use launchdeck_tui::poll::ReadinessPoller;
use launchdeck_tui::runtime::{Services, Stores, drive};
use launchdeck_tui::{App, Clock, Keymap, Msg, PollIntervals, Screen, TuiError, TuiOptions, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use secrecy::SecretString;
use tokio::sync::mpsc;

const RETELL_KEY: &str = "key_tui0test0retell0secret0value0aa11";
/// Generous: nothing here should take more than a few seconds.
const DEADLINE: Duration = Duration::from_secs(60);

struct World {
    store: Arc<dyn Store>,
    retell: RetellFake,
    _dir: tempfile::TempDir,
}

/// The first-campaign seed in SQLite, and a Retell fake that holds every request for
/// ten minutes.
async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_fresh(dir.path().join("console.db"))
        .await
        .expect("open sqlite");
    let (mut data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    // The audio probes get a loopback port that refuses at once: no outside network.
    for broadcast in [facts.broadcast_a.id, facts.broadcast_b.id] {
        let url = "http://127.0.0.1:9/broadcast-audio.mp3";
        assert!(first_campaign::set_broadcast_audio_url(
            &mut data, broadcast, url
        ));
    }
    sqlite::load(store.pool(), &data).await.expect("load seed");
    let retell = RetellFake::start(RetellState::new(RETELL_KEY))
        .await
        .expect("retell fake");
    retell
        .faults()
        .inject_always(Route::all(), Fault::Delay(Duration::from_secs(600)));
    World {
        store: Arc::new(store),
        retell,
        _dir: dir,
    }
}

/// Retell configured (and hanging); the other providers have no secrets.
fn gatherer(world: &World, source_timeout: Duration) -> Gatherer {
    let mut config = Config::default();
    config.retell.api_key = Some(SecretString::from(RETELL_KEY));
    config.retell.base_url = BaseUrl::parse(&world.retell.base_url()).expect("fake URL");
    let options = GatherOptions {
        source_timeout,
        provider_spacing: Duration::ZERO,
    };
    Gatherer::new(&config, world.store.clone(), options)
}

fn retell_requests(world: &World) -> usize {
    world.retell.faults().count(&Route::all())
}

/// Polls `condition` until it holds; false when it never did within the deadline.
async fn eventually(condition: impl Fn() -> bool) -> bool {
    launchdeck_testkit::wait_until(DEADLINE, || std::future::ready(condition())).await
}

/// What one drawn frame showed.
#[derive(Debug)]
struct Seen {
    screen: Screen,
    areas_in: BTreeSet<Area>,
    retell_pending: bool,
    detail_open: bool,
    calls_loaded: bool,
    text: String,
}

impl Seen {
    fn of(app: &App, terminal: &Terminal<TestBackend>) -> Seen {
        let buffer = terminal.backend().buffer();
        let text = buffer
            .content
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        Seen {
            screen: app.screen,
            areas_in: app.readiness.results.areas.keys().copied().collect(),
            retell_pending: app.readiness.results.checking(Area::Retell),
            detail_open: app.readiness.check_detail.is_some(),
            calls_loaded: app.data.live.is_some(),
            text,
        }
    }
}

/// The next frame that satisfies `want`.
async fn frame_where(
    frames: &mut mpsc::UnboundedReceiver<Seen>,
    what: &str,
    want: impl Fn(&Seen) -> bool,
) -> Seen {
    let mut last = String::new();
    let found = tokio::time::timeout(DEADLINE, async {
        while let Some(seen) = frames.recv().await {
            if want(&seen) {
                return Some(seen);
            }
            last = seen.text;
        }
        None
    })
    .await;
    match found {
        Ok(Some(seen)) => seen,
        _ => panic!("no frame showed {what}; the last one:\n{last}"),
    }
}

fn key(code: KeyCode) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn areas_without_retell() -> BTreeSet<Area> {
    let need_retell = [Area::Retell, Area::TwilioSip, Area::Campaigns];
    Area::ALL
        .into_iter()
        .filter(|a| !need_retell.contains(a))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_answered_and_other_areas_arrive_while_retell_hangs() {
    let world = world().await;
    let options = TuiOptions {
        poll: PollIntervals {
            readiness: Duration::from_secs(3600),
            ..PollIntervals::default()
        },
        ..common::options()
    };
    let size = Rect::new(0, 0, 100, 30);
    let mut app = App::new(options.clone(), Keymap::default(), Clock::now(), size);
    let gatherer = gatherer(&world, Duration::from_secs(300));
    let (services, rx) = Services::spawn(Stores::one(world.store.clone()), gatherer, &options);

    let (keys, key_events) = futures::channel::mpsc::unbounded::<io::Result<Event>>();
    let (frame_tx, mut frames) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(size.width, size.height))
        .unwrap_or_else(|never| match never {});
    let draw = move |app: &App| -> Result<(), TuiError> {
        if let Err(never) = terminal.draw(|f| view::render(f, app)) {
            match never {}
        }
        let _ = frame_tx.send(Seen::of(app, &terminal));
        Ok(())
    };
    let press = |code: KeyCode| keys.unbounded_send(key(code)).expect("the loop listens");

    let script = async {
        press(KeyCode::Char('2'));
        let others = areas_without_retell();
        let seen = frame_where(&mut frames, "every area but Retell's in", |s| {
            s.screen == Screen::Readiness && others.is_subset(&s.areas_in)
        })
        .await;
        assert!(seen.retell_pending, "Retell has not answered");
        assert!(!seen.areas_in.contains(&Area::Retell));
        assert!(seen.text.contains("7 of 10 areas in"), "{}", seen.text);

        // The keys keep working: the detail pane opens and closes, screens change.
        press(KeyCode::Char('j'));
        press(KeyCode::Enter);
        frame_where(&mut frames, "the check's detail pane", |s| s.detail_open).await;
        press(KeyCode::Esc);
        press(KeyCode::Char('3'));
        let calls = frame_where(&mut frames, "the Calls screen with its data", |s| {
            s.screen == Screen::Calls && !s.detail_open && s.calls_loaded
        })
        .await;
        assert!(calls.text.contains("Calls in flight"), "{}", calls.text);

        // `R` during the run starts no second one; Retell was asked once and is still
        // pending when the Overview is back.
        assert!(eventually(|| retell_requests(&world) == 1).await);
        press(KeyCode::Char('R'));
        press(KeyCode::Char('1'));
        let overview = frame_where(&mut frames, "the Overview", |s| {
            s.screen == Screen::Overview
        })
        .await;
        assert!(overview.retell_pending);
        assert!(overview.text.contains("Readiness"), "{}", overview.text);
        assert!(services.readiness.is_running());
        assert_eq!(retell_requests(&world), 1);
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
}

/// The next readiness message other than an area's.
async fn next_run_event(rx: &mut mpsc::Receiver<Msg>, areas: &mut Vec<Area>) -> Msg {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(Msg::ReadinessArea(result)) => areas.push(result.area),
                Some(msg @ (Msg::ReadinessStarted { .. } | Msg::ReadinessFinished { .. })) => {
                    return msg;
                }
                Some(_) => {}
                None => panic!("the poller stopped"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait)
        .await
        .expect("a readiness message in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_flight_is_not_started_twice() {
    let world = world().await;
    let (tx, mut rx) = mpsc::channel(64);
    // Retell's answer is given up after 2 s; the next scheduled run is an hour away.
    let poller = ReadinessPoller::spawn(
        gatherer(&world, Duration::from_secs(2)),
        Duration::from_secs(3600),
        tx,
    );
    let mut areas = Vec::new();
    let first = next_run_event(&mut rx, &mut areas).await;
    assert!(matches!(first, Msg::ReadinessStarted { .. }));
    assert!(poller.is_running());
    assert!(!poller.run_now(), "a run is in flight");
    assert!(!poller.run_now());

    let end = next_run_event(&mut rx, &mut areas).await;
    assert!(matches!(end, Msg::ReadinessFinished { .. }), "{end:?}");
    let delivered: BTreeSet<Area> = areas.iter().copied().collect();
    assert_eq!(areas.len(), Area::ALL.len(), "each area once: {areas:?}");
    assert_eq!(delivered.len(), Area::ALL.len());
    assert_eq!(retell_requests(&world), 1);

    // Idle again: `run_now` starts the next run at once, not an hour later.
    assert!(
        eventually(|| !poller.is_running()).await,
        "the poller went idle"
    );
    assert!(poller.run_now());
    areas.clear();
    let second = next_run_event(&mut rx, &mut areas).await;
    assert!(matches!(second, Msg::ReadinessStarted { .. }));
    let end = next_run_event(&mut rx, &mut areas).await;
    assert!(matches!(end, Msg::ReadinessFinished { .. }));
    assert_eq!(retell_requests(&world), 2, "one request per run");
    drop(poller);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_never_answers_becomes_unknown_on_screen() {
    let world = world().await;
    let (tx, mut rx) = mpsc::channel(64);
    let _poller = ReadinessPoller::spawn(
        gatherer(&world, Duration::from_secs(1)),
        Duration::from_secs(3600),
        tx,
    );
    let found = tokio::time::timeout(DEADLINE, async {
        loop {
            match rx.recv().await {
                Some(Msg::ReadinessArea(result)) if result.area == Area::Retell => {
                    return result;
                }
                Some(_) => {}
                None => panic!("the poller stopped"),
            }
        }
    })
    .await
    .expect("Retell's area in time");
    let key = found
        .checks()
        .iter()
        .find(|c| c.id == "retell.api_key")
        .expect("the key check");
    assert_eq!((key.status, key.blocking), (Status::Unknown, true));
    assert!(key.reason.contains("no answer"), "{}", key.reason);
    assert!(!key.reason.contains(RETELL_KEY));
}
