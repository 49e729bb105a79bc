//! The fix keys through `update`: `c`, `t`, `F` and `a` ask for the plan of what the
//! screen shows (marked rows, the selected check, the selected alert), explain
//! themselves where they do not apply and in read-only mode, and `h` in a cleanup's
//! modal chooses whether the calls still live are hung up.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::cleanup::{LeftAlone, Verdict};
use launchdeck_core::domain::CallProvider;
use launchdeck_ops::actions::acknowledge::AckRequest;
use launchdeck_ops::actions::cleanup::{CleanupPlan, CleanupRequest, PlannedRow};
use launchdeck_ops::actions::outbound_agent::AgentRequest;
use launchdeck_ops::actions::tokens::TokenRequest;
use launchdeck_ops::actions::{ActionPlan, ActionRequest};
use launchdeck_tui::{App, Effect, ModalStage, Msg, TuiOptions, update};

/// The effects of typing `keys`, without the screen changes (the pollers' business,
/// tested in update.rs).
fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| {
            let code = match c {
                '\u{1b}' => KeyCode::Esc,
                '\u{8}' => KeyCode::Backspace,
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                c => KeyCode::Char(c),
            };
            update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        })
        .filter(|e| !matches!(e, Effect::ScreenShown(_)))
        .collect()
}

fn app_with(options: TuiOptions) -> App {
    common::full_app(120, 40, options)
}

fn app() -> App {
    app_with(common::options())
}

fn toast(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// The one request the keys asked a plan for.
fn requested(effects: &[Effect]) -> ActionRequest {
    match effects {
        [Effect::PlanAction { request, .. }] => request.clone(),
        other => panic!("one plan asked for, got {other:?}"),
    }
}

#[test]
fn c_on_the_overview_asks_to_clean_up_every_stuck_call() {
    let mut app = app();
    let request = requested(&press(&mut app, "c"));
    assert_eq!(request, ActionRequest::Cleanup(CleanupRequest::default()));
    assert!(
        app.modal.is_some(),
        "the modal opens while the plan is read"
    );
}

#[test]
fn c_on_the_calls_screen_cleans_up_the_marked_rows_only() {
    let mut app = app();
    press(&mut app, "3");
    let none_marked = requested(&press(&mut app, "c"));
    assert_eq!(
        none_marked,
        ActionRequest::Cleanup(CleanupRequest::default())
    );

    let mut app = self::app();
    press(&mut app, "3 j ");
    let ActionRequest::Cleanup(request) = requested(&press(&mut app, "c")) else {
        panic!("a cleanup");
    };
    let rows = request.rows.expect("the marked rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(!request.hang_up, "hanging up is a separate choice");
}

#[test]
fn t_asks_for_the_tokens_that_expire_soon() {
    let mut app = app();
    let request = requested(&press(&mut app, "t"));
    assert_eq!(
        request,
        ActionRequest::RefreshTokens(TokenRequest { all: false })
    );
}

#[test]
fn shift_f_runs_the_fix_of_the_selected_check() {
    let mut app = app();
    press(&mut app, "2");
    for _ in 0..60 {
        let on_it = app
            .selected_check()
            .is_some_and(|c| c.id.starts_with("retell.number_outbound_agent"));
        if on_it {
            break;
        }
        press(&mut app, "j");
    }
    let check = app.selected_check().expect("a check selected").clone();
    assert!(
        check.id.starts_with("retell.number_outbound_agent"),
        "{check:?}"
    );
    let request = requested(&press(&mut app, "F"));
    let number = check.subject.expect("the number");
    assert_eq!(
        request,
        ActionRequest::FixOutboundAgent(AgentRequest {
            number,
            agent: None,
        })
    );
}

#[test]
fn shift_f_explains_where_it_does_not_apply() {
    let mut app = app();
    assert!(press(&mut app, "F").is_empty());
    assert!(
        toast(&app).contains("the check selected on the Readiness screen (2)"),
        "{}",
        toast(&app)
    );
    // On a check that has no fix to run.
    let mut app = self::app();
    press(&mut app, "2");
    assert!(app.selected_check().is_some_and(|c| c.action.is_none()));
    assert!(press(&mut app, "F").is_empty());
    assert!(toast(&app).contains("no fix to run"), "{}", toast(&app));
}

#[test]
fn a_acknowledges_the_alert_under_the_cursor() {
    let mut app = app();
    // On a broadcast, `a` says how to reach the alerts.
    assert!(press(&mut app, "a").is_empty());
    assert!(toast(&app).contains("move down"), "{}", toast(&app));

    // `G` goes to the last alert; `k` from the first alert goes back to the items.
    press(&mut app, "G");
    let last = app.selected_alert().expect("an alert selected").id;
    assert_eq!(last, common::id(502));
    let request = requested(&press(&mut app, "a"));
    assert_eq!(
        request,
        ActionRequest::Acknowledge(AckRequest {
            alert_ids: vec![last],
        })
    );
    press(&mut app, "\u{1b}gj");
    assert!(app.selected_alert().is_none(), "still on the items");
}

#[test]
fn j_moves_from_the_last_item_into_the_alerts_and_k_back() {
    let mut app = app();
    let items = app.shown().progress.as_ref().map_or(0, |p| p.items.len());
    press(&mut app, &"j".repeat(items - 1));
    assert!(app.selected_alert().is_none());
    press(&mut app, "j");
    assert_eq!(app.selected_alert().map(|a| a.id), Some(common::id(500)));
    press(&mut app, "k");
    assert!(app.selected_alert().is_none());
}

#[test]
fn read_only_refuses_every_fix_key_with_a_reason() {
    let options = TuiOptions {
        read_only: true,
        ..common::options()
    };
    for keys in ["c", "t", "2F", "Ga"] {
        let mut app = app_with(options.clone());
        let effects = press(&mut app, keys);
        assert!(effects.is_empty(), "{keys}: {effects:?}");
        assert!(app.modal.is_none(), "{keys}");
        let text = toast(&app);
        assert!(text.contains("read-only"), "{keys}: {text}");
    }
}

/// A cleanup plan with one call still live at Retell and nothing else to write.
fn plan_with_a_live_call() -> ActionPlan {
    let call = common::in_flight_calls()
        .into_iter()
        .next()
        .expect("a call in flight");
    let live = PlannedRow {
        verdict: Verdict::LeaveAlone(LeftAlone::StillLive {
            provider: CallProvider::Retell,
            call_id: "call_live".to_string(),
            provider_status: "ongoing".to_string(),
        }),
        call,
    };
    ActionPlan::Cleanup(CleanupPlan {
        hang_up: false,
        db_now: common::db_now(),
        rows: vec![live],
        not_stuck: Vec::new(),
    })
}

#[test]
fn h_chooses_to_hang_up_the_live_calls() {
    let mut app = app();
    let effects = press(&mut app, "c");
    let [Effect::PlanAction { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let answer = Msg::ActionPlanned {
        id: *id,
        result: Ok(plan_with_a_live_call()),
    };
    update(&mut app, answer);
    let stage = |app: &App| app.modal.as_ref().map(|m| m.stage.clone());
    // Only a live call, left alone: nothing to do until `h` chooses to hang it up.
    assert!(matches!(stage(&app), Some(ModalStage::Nothing(_))));
    assert!(press(&mut app, "h").is_empty());
    let Some(ModalStage::Confirm(ActionPlan::Cleanup(plan))) = stage(&app) else {
        panic!("a change to confirm: {:?}", stage(&app));
    };
    assert!(plan.hang_up);
    let applied = press(&mut app, "y");
    let [Effect::ApplyAction { plan, .. }] = applied.as_slice() else {
        panic!("{applied:?}");
    };
    assert!(matches!(plan, ActionPlan::Cleanup(p) if p.hang_up));
}

#[test]
fn x_stops_the_selection_only_with_its_exact_name_typed() {
    let mut app = app();
    let effects = press(&mut app, "X");
    let [Effect::PlanAction { id, request }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let ActionRequest::Stop(stop) = request else {
        panic!("a stop: {request:?}");
    };
    assert_eq!((stop.hang_up, stop.confirmation.as_deref()), (false, None));
    let answer = Msg::ActionPlanned {
        id: *id,
        result: Ok(common::stop_plan(stop)),
    };
    update(&mut app, answer);
    let typed = |app: &App| app.modal.as_ref().map(|m| m.typed.value().to_string());
    // `y` is text here, not a confirmation; a wrong name is refused.
    assert!(press(&mut app, "y").is_empty());
    assert_eq!(typed(&app).as_deref(), Some("y"));
    press(&mut app, "\u{8}");
    assert!(press(&mut app, "Renewal\n").is_empty());
    assert!(app.modal.as_ref().is_some_and(|m| m.mismatch));
    // tab chooses the hang-up; the exact name applies.
    assert!(press(&mut app, "\t").is_empty());
    let applied = press(&mut app, "s\n");
    let [Effect::ApplyAction { plan, .. }] = applied.as_slice() else {
        panic!("{applied:?}");
    };
    let ActionPlan::Stop(plan) = plan else {
        panic!("{plan:?}");
    };
    assert_eq!(plan.confirmation.as_deref(), Some("Renewals"));
    assert!(plan.hang_up && plan.confirmed());
}

#[test]
fn esc_cancels_a_stop_and_read_only_refuses_it() {
    let mut app = app();
    press(&mut app, "X");
    assert!(app.modal.is_some());
    press(&mut app, "\u{1b}");
    assert!(app.modal.is_none());
    let mut options = common::options();
    options.read_only = true;
    let mut app = app_with(options);
    assert!(press(&mut app, "X").is_empty());
    assert!(toast(&app).contains("read-only"), "{}", toast(&app));
}

fn test_options() -> TuiOptions {
    let mut options = common::options();
    options.test_broadcast.allowlist = vec![
        "+12025550181".to_string(),
        "+12025550182".to_string(),
        "+12025550183".to_string(),
    ];
    options.test_broadcast.max_calls = 2;
    options
}

fn form_error(app: &App) -> String {
    app.form
        .as_ref()
        .and_then(|f| f.error.clone())
        .unwrap_or_default()
}

#[test]
fn b_opens_the_form_and_asks_for_the_plan_of_the_marked_numbers() {
    let mut app = app_with(test_options());
    assert!(press(&mut app, "b").is_empty());
    assert!(app.form.is_some(), "{}", toast(&app));
    // Nothing marked: the form says so and stays.
    assert!(press(&mut app, "\n").is_empty());
    assert!(
        form_error(&app).contains("space marks"),
        "{}",
        form_error(&app)
    );
    // Two marked; a third is one too many for max_calls = 2.
    press(&mut app, " jj ");
    press(&mut app, "k ");
    assert!(
        form_error(&app).contains("at most 2"),
        "{}",
        form_error(&app)
    );
    // A typed number outside the allowlist, and one that is not E.164.
    press(&mut app, "\t+14155550100\n");
    assert!(
        form_error(&app).contains("allowlist"),
        "{}",
        form_error(&app)
    );
    let effects = press(&mut app, "\t\t\n");
    let ActionRequest::TestBroadcast(request) = requested(&effects) else {
        panic!("a test broadcast");
    };
    assert_eq!(request.to, ["+12025550181", "+12025550183"]);
    assert!(!request.override_readiness);
    assert!(app.form.is_none() && app.modal.is_some());
}

#[test]
fn b_explains_an_empty_allowlist_and_read_only() {
    let mut app = app();
    assert!(press(&mut app, "b").is_empty());
    assert!(app.form.is_none());
    assert!(
        toast(&app).contains("[test_broadcast] allowlist"),
        "{}",
        toast(&app)
    );
    let mut options = test_options();
    options.read_only = true;
    let mut app = app_with(options);
    press(&mut app, "b");
    assert!(app.form.is_none());
    assert!(toast(&app).contains("read-only"), "{}", toast(&app));
}

#[test]
fn progress_lines_fill_the_modal_and_esc_stops_following_only() {
    let mut app = app_with(test_options());
    press(&mut app, "b ");
    let effects = press(&mut app, "\n");
    let [Effect::PlanAction { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let id = *id;
    update(
        &mut app,
        Msg::ActionProgress {
            id,
            index: 0,
            text: "••••0181: placing".into(),
        },
    );
    let progress = app
        .modal
        .as_ref()
        .map(|m| m.progress.clone())
        .unwrap_or_default();
    assert_eq!(progress, ["••••0181: placing"]);
    // Another action's progress does not land here.
    update(
        &mut app,
        Msg::ActionProgress {
            id: id + 7,
            index: 0,
            text: "other".into(),
        },
    );
    update(&mut app, Msg::ActionFollowing { id });
    update(
        &mut app,
        Msg::ActionProgress {
            id,
            index: 1,
            text: "••••0183: ringing".into(),
        },
    );
    let progress = app
        .modal
        .as_ref()
        .map(|m| m.progress.clone())
        .unwrap_or_default();
    assert_eq!(progress, ["••••0181: placing", "••••0183: ringing"]);
    let effects = press(&mut app, "\u{1b}");
    assert_eq!(effects, [Effect::StopFollowing { id }]);
    assert!(app.modal.is_none());
    assert!(toast(&app).contains("stopped following"), "{}", toast(&app));
}
