//! Snapshots of every screen on a `TestBackend`, from realistic data on a fixed clock.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::actions::AuditResult;
use launchdeck_core::domain::{CallProvider, ProviderCallRecord};
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, RowOutcome};
use launchdeck_tui::{App, Msg, PollError, Source, TuiOptions, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(app: &App) -> TestBackend {
    let area = app.size;
    let mut terminal = match Terminal::new(TestBackend::new(area.width, area.height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| view::render(f, app)) {
        match never {}
    }
    terminal.backend().clone()
}

fn text_of(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn app_at(width: u16, height: u16) -> App {
    common::full_app(width, height, common::options())
}

#[test]
fn overview() {
    insta::assert_snapshot!("overview_80x24", draw(&app_at(80, 24)));
    insta::assert_snapshot!("overview_160x48", draw(&app_at(160, 48)));
}

#[test]
fn calls() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "3j j ");
        insta::assert_snapshot!(format!("calls_{w}x{h}"), draw(&app));
    }
}

#[test]
fn calls_with_numbers_revealed_read_only_and_frozen() {
    let options = TuiOptions {
        read_only: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    keys(&mut app, "3vf");
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(text.contains("+15125550122"), "revealed");
    insta::assert_snapshot!("calls_revealed_read_only_frozen_80x24", screen);
}

#[test]
fn logs() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "4j");
        insta::assert_snapshot!(format!("logs_{w}x{h}"), draw(&app));
    }
}

#[test]
fn logs_filtered() {
    let mut app = app_at(80, 24);
    keys(&mut app, "4/complet");
    insta::assert_snapshot!("logs_filter_80x24", draw(&app));
}

#[test]
fn log_detail() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "4\n");
        insta::assert_snapshot!(format!("log_detail_{w}x{h}"), draw(&app));
    }
    // a finished broadcast_queue row: no answer/end times, its last change instead
    let mut app = app_at(80, 24);
    keys(&mut app, "4jjjj\n");
    insta::assert_snapshot!("log_detail_broadcast_80x24", draw(&app));
}

/// The first Logs row (a Retell call_log) with its Retell record fetched.
fn log_detail_with_record(width: u16, height: u16) -> App {
    let mut app = app_at(width, height);
    keys(&mut app, "4\n");
    let entry = app.logs.detail.clone().expect("detail open");
    let at = |secs: i64| entry.created_at + chrono::Duration::seconds(secs);
    let record = ProviderCallRecord {
        provider: CallProvider::Retell,
        call_id: entry.provider_call_id.clone().unwrap_or_default(),
        status: "ended".to_string(),
        reason: Some("user_hangup".to_string()),
        started_at: Some(at(6)),
        ended_at: Some(at(54)),
        duration_seconds: Some(48),
        cost: Some(0.07),
    };
    let answer = Msg::CallRecord {
        row: (entry.source, entry.id),
        call_id: record.call_id.clone(),
        at: app.clock.now,
        result: Ok(record),
    };
    update(&mut app, answer);
    app
}

#[test]
fn log_detail_with_the_providers_record() {
    for (w, h) in [(80, 24), (160, 48)] {
        let app = log_detail_with_record(w, h);
        insta::assert_snapshot!(format!("log_detail_record_{w}x{h}"), draw(&app));
    }
    // A finished broadcast_queue row: Twilio's record of its CallSid, with the price.
    let mut app = app_at(80, 24);
    keys(&mut app, "4jjjj\n");
    let entry = app.logs.detail.clone().expect("detail open");
    let call_id = entry.provider_call_id.clone().unwrap_or_default();
    let record = ProviderCallRecord {
        provider: CallProvider::Twilio,
        call_id: call_id.clone(),
        status: "completed".to_string(),
        reason: None,
        started_at: Some(entry.created_at + chrono::Duration::seconds(4)),
        ended_at: Some(entry.created_at + chrono::Duration::seconds(66)),
        duration_seconds: Some(62),
        cost: Some(0.051),
    };
    let answer = Msg::CallRecord {
        row: (entry.source, entry.id),
        call_id,
        at: app.clock.now,
        result: Ok(record),
    };
    update(&mut app, answer);
    insta::assert_snapshot!("log_detail_record_twilio_80x24", draw(&app));
}

#[test]
fn log_detail_record_in_ascii() {
    let options = TuiOptions {
        ascii: true,
        no_color: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    keys(&mut app, "4\n");
    let text = text_of(&draw(&app));
    assert!(text.contains("record     Retell: fetching..."), "{text}");
}

#[test]
fn help_overlay() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "3?");
        insta::assert_snapshot!(format!("help_{w}x{h}"), draw(&app));
    }
}

#[test]
fn database_unreachable_header_keeps_the_last_data() {
    let failed = Msg::PollFailed {
        source: Source::Live,
        at: common::ago(-1),
        error: PollError {
            message: "database unreachable: connection refused (os error 111)".to_string(),
            transient: true,
        },
    };
    let mut app = app_at(80, 24);
    update(&mut app, failed.clone());
    let screen = draw(&app);
    let text = text_of(&screen);
    // 80 columns: the header shortens its words, then drops the data age and the clock.
    assert!(text.contains("DB unreachable since 14:30:01"), "{text}");
    let mut wide = app_at(160, 48);
    update(&mut wide, failed);
    let text = text_of(&draw(&wide));
    assert!(
        text.contains("database unreachable since 14:30:01"),
        "{text}"
    );
    insta::assert_snapshot!("db_unreachable_overview_80x24", screen);
    keys(&mut app, "3");
    insta::assert_snapshot!("db_unreachable_calls_80x24", draw(&app));
}

#[test]
fn before_the_first_poll() {
    let app = common::empty_app(std::time::Instant::now(), 80, 24, common::options());
    insta::assert_snapshot!("waiting_80x24", draw(&app));
}

#[test]
fn too_small() {
    for (w, h) in [(20, 5), (79, 24), (1, 1), (0, 0)] {
        let app = app_at(w, h);
        let screen = draw(&app);
        if w == 20 {
            insta::assert_snapshot!("too_small_20x5", screen);
        } else if w == 79 {
            assert!(text_of(&screen).contains("terminal too small"));
        }
    }
}

#[test]
fn ascii_and_no_color() {
    let options = TuiOptions {
        ascii: true,
        no_color: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    let overview = draw(&app);
    assert!(text_of(&overview).replace('—', "-").is_ascii());
    insta::assert_snapshot!("overview_ascii_80x24", overview);
    keys(&mut app, "3");
    let screen = draw(&app);
    // The names in the data have em dashes; everything the console draws is ASCII.
    let text = text_of(&screen).replace('—', "-");
    assert!(text.is_ascii(), "{text}");
    let colored = screen
        .buffer()
        .content
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!colored, "no colour with no_color");
    insta::assert_snapshot!("calls_ascii_80x24", screen);
}

#[test]
fn terminal_escapes_from_the_database_never_reach_the_screen() {
    let mut app = app_at(160, 48);
    keys(&mut app, "4");
    let text = text_of(&draw(&app));
    assert!(text.contains("caller said STOP calling"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
}

#[test]
fn lead_numbers_are_masked_by_default_on_every_screen() {
    for screen_key in ["1", "3", "4", "4\n"] {
        let mut app = app_at(160, 48);
        keys(&mut app, screen_key);
        let text = text_of(&draw(&app));
        for call in common::in_flight_calls() {
            assert!(
                !text.contains(&call.phone),
                "{} on {screen_key}",
                call.phone
            );
        }
        for entry in common::log_entries() {
            assert!(
                !text.contains(&entry.phone),
                "{} on {screen_key}",
                entry.phone
            );
        }
    }
}

/// Ten `j`s from the first check: down to the Retell number without an outbound agent.
const TO_RETELL_FAILURE: &str = "jjjjjjjjjj";

#[test]
fn readiness_screen() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "2");
        let screen = draw(&app);
        let text = text_of(&screen);
        assert!(text.contains("NOT READY: 2 blocking"), "{text}");
        insta::assert_snapshot!(format!("readiness_{w}x{h}"), screen);
    }
}

#[test]
fn readiness_detail_pane() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app_at(w, h);
        keys(&mut app, "2");
        keys(&mut app, TO_RETELL_FAILURE);
        keys(&mut app, "\n");
        let open = app.readiness.check_detail.as_ref().map(|c| c.id.clone());
        let want = format!(
            "retell.number_outbound_agent:{}",
            common::readiness::NUMBER_WITHOUT_OUTBOUND
        );
        assert_eq!(open, Some(want));
        let screen = draw(&app);
        assert!(text_of(&screen).contains("F: make agent_3f9c1e7a2b the outbound agent"));
        insta::assert_snapshot!(format!("readiness_detail_{w}x{h}"), screen);
    }
}

/// The first run is in flight: the areas that need Retell have not come in.
fn first_run_without_retell(width: u16, height: u16) -> App {
    let base = std::time::Instant::now();
    let mut app = common::empty_app(base, width, height, common::options());
    for data in common::all_data(base, &app.options.thresholds) {
        update(&mut app, Msg::Data(data));
    }
    common::readiness::run(&mut app, base, &common::readiness::without_retell(), false);
    app
}

#[test]
fn readiness_while_the_first_run_waits_for_retell() {
    let mut app = first_run_without_retell(80, 24);
    let overview = draw(&app);
    let text = text_of(&overview);
    assert!(text.contains("Retell       checking…"), "{text}");
    assert!(text.contains("…Retell"), "header dot: {text}");
    insta::assert_snapshot!("overview_first_run_80x24", overview);
    keys(&mut app, "2");
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(text.contains("7 of 10 areas in"), "{text}");
    insta::assert_snapshot!("readiness_first_run_80x24", screen);
}

#[test]
fn readiness_rerun_keeps_the_previous_results_with_their_age() {
    // A whole run at `base`, then a second one a second later that has delivered all
    // but the areas that need Retell; the clock is at base + 2 s.
    let mut app = app_at(160, 48);
    let second_run = app.clock.now - std::time::Duration::from_secs(1);
    common::readiness::run(
        &mut app,
        second_run,
        &common::readiness::without_retell(),
        false,
    );
    keys(&mut app, "2");
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(text.contains("Retell  4✓ 1! 1✗  ⠼ checking…"), "{text}");
    assert!(text.contains("1s ago") && text.contains("2s ago"), "{text}");
    insta::assert_snapshot!("readiness_rerun_160x48", screen);
}

#[test]
fn readiness_in_ascii() {
    let options = TuiOptions {
        ascii: true,
        no_color: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    keys(&mut app, "2");
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(text.is_ascii(), "{text}");
    assert!(text.contains("[XX] fail"), "{text}");
    insta::assert_snapshot!("readiness_ascii_80x24", screen);
}

#[test]
fn non_production_endpoints_badge() {
    let options = TuiOptions {
        non_production_endpoints: true,
        ..common::options()
    };
    let mut app = common::full_app(160, 48, options.clone());
    assert!(text_of(&draw(&app)).contains("[NON-PRODUCTION ENDPOINTS]"));
    keys(&mut app, "fv");
    let text = text_of(&draw(&app));
    assert!(text.contains("[NUMBERS REVEALED]"), "{text}");
    // 80 columns: the badges shorten rather than cover the tabs.
    let mut narrow = common::full_app(80, 24, options);
    keys(&mut narrow, "fv");
    let text = text_of(&draw(&narrow));
    assert!(text.contains("[NON-PROD] [FROZEN] [REVEALED]"), "{text}");
    assert!(text.contains("4 Logs"), "{text}");
}

#[test]
fn header_provider_dots_name_each_provider() {
    let text = text_of(&draw(&app_at(160, 48)));
    let header = text.lines().next().unwrap_or_default();
    for dot in ["✗ Retell", "? Twilio", "● ElevenLabs", "! Google"] {
        assert!(header.contains(dot), "{dot} in {header}");
    }
    let text = text_of(&draw(&app_at(80, 24)));
    let header = text.lines().next().unwrap_or_default();
    for dot in [
        "✗Retell",
        "?Twilio",
        "●11Labs",
        "!Google",
        "data 2s old",
        "14:30:02",
    ] {
        assert!(header.contains(dot), "{dot} in {header}");
    }
}

/// The Overview with `keys` pressed and the plan answered.
fn action_modal(width: u16, height: u16, keys_pressed: &str, plan: &ActionPlan) -> App {
    let mut app = app_at(width, height);
    keys(&mut app, keys_pressed);
    let id = app.modal.as_ref().expect("modal open").id;
    let answer = Msg::ActionPlanned {
        id,
        result: Ok(plan.clone()),
    };
    update(&mut app, answer);
    app
}

#[test]
fn pause_modal_shows_what_will_change() {
    let plans = common::plans::plans();
    for (w, h) in [(80, 24), (160, 48)] {
        let app = action_modal(w, h, "p", &plans.pause_spring);
        let screen = draw(&app);
        let text = text_of(&screen);
        assert!(text.contains("active → paused"), "{text}");
        assert!(text.contains("y confirm"), "{text}");
        insta::assert_snapshot!(format!("pause_modal_{w}x{h}"), screen);
    }
}

#[test]
fn pause_modal_of_a_paused_broadcast_says_nothing_changes() {
    let plans = common::plans::plans();
    let app = action_modal(80, 24, "jp", &plans.pause_recall);
    let screen = draw(&app);
    let text = text_of(&screen);
    assert!(
        text.contains("is already paused: nothing to change"),
        "{text}"
    );
    assert!(!text.contains("y confirm"), "{text}");
    insta::assert_snapshot!("pause_modal_nothing_80x24", screen);
}

#[test]
fn pause_result_toast_replaces_the_hints() {
    let plans = common::plans::plans();
    let plan = plans.pause_spring;
    let mut app = action_modal(80, 24, "p", &plan);
    keys(&mut app, "y");
    let applying = text_of(&draw(&app));
    assert!(applying.contains("pausing…"), "{applying}");
    let row = plan.status_plan().and_then(|p| p.row.clone()).expect("row");
    let outcome = ActionOutcome {
        changed: 1,
        rows: vec![RowOutcome {
            table: "voice_broadcasts",
            id: row.target.id,
            name: row.name,
            result: AuditResult::Changed,
            from: Some("active".to_string()),
            status_now: Some("paused".to_string()),
        }],
        ..ActionOutcome::default()
    };
    let id = app.modal.as_ref().expect("modal open").id;
    update(
        &mut app,
        Msg::ActionDone {
            id,
            plan,
            result: Ok(outcome),
        },
    );
    insta::assert_snapshot!("pause_toast_80x24", draw(&app));
}

#[test]
fn an_active_stop_shows_in_words_on_every_screen() {
    use launchdeck_core::domain::StopControl;
    use launchdeck_tui::PollData;
    use launchdeck_tui::model::AlertsData;
    let stop = |scope: &str, campaign: Option<uuid::Uuid>| StopControl {
        id: uuid::Uuid::from_u128(0x5701),
        scope_type: scope.to_string(),
        organization_id: None,
        user_id: None,
        campaign_id: campaign,
        provider: None,
        channel: "all".to_string(),
        reason: "emergency stop by launchdeck (ops@host)".to_string(),
        activated_at: common::db_now(),
        expires_at: None,
        created_by_launchdeck: true,
    };
    let mut app = app_at(120, 40);
    let campaign = common::id(950);
    let alerts = AlertsData::new(std::time::Instant::now(), common::alerts())
        .with_stops(vec![stop("campaign", Some(campaign))]);
    update(&mut app, Msg::Data(PollData::Alerts(alerts)));
    for screen in ["1", "2", "3", "4"] {
        keys(&mut app, screen);
        let text = text_of(&draw(&app));
        assert!(
            text.contains("[STOPPED: campaign \"Solar"),
            "screen {screen}:\n{text}"
        );
    }
    let alerts = AlertsData::new(std::time::Instant::now(), common::alerts())
        .with_stops(vec![stop("global", None)]);
    update(&mut app, Msg::Data(PollData::Alerts(alerts)));
    assert!(text_of(&draw(&app)).contains("[STOP ALL ACTIVE]"));
    // At 80 columns the badge shortens but still says it.
    let mut narrow = app_at(80, 24);
    let alerts = AlertsData::new(std::time::Instant::now(), common::alerts())
        .with_stops(vec![stop("global", None)]);
    update(&mut narrow, Msg::Data(PollData::Alerts(alerts)));
    assert!(
        text_of(&draw(&narrow)).contains("[STOP"),
        "{}",
        text_of(&draw(&narrow))
    );
    // Nothing active: no badge.
    let alerts = AlertsData::new(std::time::Instant::now(), common::alerts());
    update(&mut app, Msg::Data(PollData::Alerts(alerts)));
    assert!(!text_of(&draw(&app)).contains("[STOP"));
}

#[test]
fn a_stops_name_field_and_keys_show_at_80x24() {
    use launchdeck_ops::actions::ActionRequest;
    use launchdeck_tui::Effect;
    let mut app = app_at(80, 24);
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('X'), KeyModifiers::NONE)),
    );
    let [Effect::PlanAction { id, request }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let ActionRequest::Stop(stop) = request else {
        panic!("{request:?}");
    };
    let plan = common::stop_plan(stop);
    update(
        &mut app,
        Msg::ActionPlanned {
            id: *id,
            result: Ok(plan),
        },
    );
    keys(&mut app, "Renew");
    let text = text_of(&draw(&app));
    assert!(text.contains(">       Renew"), "{text}");
    assert!(text.contains("type the broadcast's exact name"), "{text}");
    assert!(text.contains("enter confirm typed name"), "{text}");
    insta::assert_snapshot!("stop_modal_80x24", text);
}
