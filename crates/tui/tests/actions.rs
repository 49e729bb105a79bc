//! The action keys through `update`: `p`/`P` ask for a plan, the modal confirms or
//! cancels, `y` applies once, the answer closes the modal with a toast and a poll;
//! read-only, no selection and errors explain themselves.

mod common;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use launchdeck_core::actions::AuditResult;
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, ActionRequest, RowOutcome};
use launchdeck_tui::actions::TOAST_FOR;
use launchdeck_tui::model::ProgressData;
use launchdeck_tui::{
    App, Clock, Effect, ModalStage, Msg, PollData, ToastTone, TuiOptions, update,
};

use common::plans::{Plans, plans, recall, spring};

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The effects of typing `keys`, without the screen changes (the pollers' business,
/// tested in update.rs).
fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| {
            let key = match c {
                '\n' => KeyCode::Enter,
                '\u{1b}' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            update(app, code(key))
        })
        .filter(|e| !matches!(e, Effect::ScreenShown(_)))
        .collect()
}

fn app() -> App {
    common::full_app(80, 24, common::options())
}

fn toast(app: &App) -> String {
    app.toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

fn stage(app: &App) -> Option<&ModalStage> {
    app.modal.as_ref().map(|m| &m.stage)
}

/// `p` on the first Overview item, answered with `plan`.
fn planned(app: &mut App, keys: &str, plan: &ActionPlan) -> u64 {
    let effects = press(app, keys);
    let [Effect::PlanAction { id, .. }] = effects.as_slice() else {
        panic!("one plan asked for: {effects:?}");
    };
    let id = *id;
    update(
        app,
        Msg::ActionPlanned {
            id,
            result: Ok(plan.clone()),
        },
    );
    id
}

fn changed(plan: &ActionPlan, result: AuditResult) -> ActionOutcome {
    let row = plan
        .status_plan()
        .and_then(|p| p.row.as_ref())
        .expect("a row");
    let changed = u32::from(result == AuditResult::Changed);
    let skipped = u32::from(matches!(result, AuditResult::Skipped(_)));
    ActionOutcome {
        changed,
        skipped,
        failed: 0,
        rows: vec![RowOutcome {
            table: "voice_broadcasts",
            id: row.target.id,
            name: row.name.clone(),
            result,
            from: Some("active".to_string()),
            status_now: Some("paused".to_string()),
        }],
        audit_errors: Vec::new(),
    }
}

fn done(id: u64, plan: &ActionPlan, result: Result<ActionOutcome, String>) -> Msg {
    Msg::ActionDone {
        id,
        plan: plan.clone(),
        result,
    }
}

#[test]
fn p_asks_for_the_plan_of_the_selected_item_once() {
    let mut app = app();
    assert_eq!(
        press(&mut app, "p"),
        [Effect::PlanAction {
            id: 1,
            request: ActionRequest::Pause(spring()),
        }]
    );
    assert_eq!(stage(&app), Some(&ModalStage::Reading));
    // The modal has the keyboard: another `p` (or `P`, `q`) asks nothing more.
    assert!(press(&mut app, "pPq").is_empty());
    assert!(!app.should_quit);

    // `P` on the second item (the paused broadcast).
    let mut app = self::app();
    assert_eq!(
        press(&mut app, "jP"),
        [Effect::PlanAction {
            id: 1,
            request: ActionRequest::Resume(recall()),
        }]
    );
}

#[test]
fn read_only_opens_no_modal_and_says_why() {
    let options = TuiOptions {
        read_only: true,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    assert!(press(&mut app, "p").is_empty());
    assert!(app.modal.is_none());
    assert!(
        toast(&app).starts_with("read-only: pause is disabled"),
        "{}",
        toast(&app)
    );
    assert!(press(&mut app, "P").is_empty());
    assert!(toast(&app).starts_with("read-only: resume is disabled"));
}

#[test]
fn without_a_selection_or_off_the_overview_a_toast_says_what_to_do() {
    let mut app = app();
    let received = app.clock.now;
    update(
        &mut app,
        Msg::Data(PollData::Progress(ProgressData {
            received,
            items: Vec::new(),
        })),
    );
    assert!(press(&mut app, "p").is_empty());
    assert!(app.modal.is_none());
    assert!(
        toast(&app).contains("select a broadcast or campaign"),
        "{}",
        toast(&app)
    );

    let mut app = common::empty_app(std::time::Instant::now(), 80, 24, common::options());
    assert!(press(&mut app, "p").is_empty());
    assert!(
        toast(&app).contains("waiting for the first poll"),
        "{}",
        toast(&app)
    );

    let mut app = self::app();
    assert!(press(&mut app, "3p").is_empty());
    assert!(
        toast(&app).contains("selected on the Overview (1)"),
        "{}",
        toast(&app)
    );

    let options = TuiOptions {
        audit_file: None,
        ..common::options()
    };
    let mut app = common::full_app(80, 24, options);
    assert!(press(&mut app, "p").is_empty());
    assert!(
        toast(&app).contains("LAUNCHDECK_DATA_DIR"),
        "{}",
        toast(&app)
    );
}

#[test]
fn the_plan_opens_the_modal_and_y_applies_it_once() {
    let Plans { pause_spring, .. } = plans();
    let mut app = app();
    let id = planned(&mut app, "p", &pause_spring);
    assert_eq!(
        stage(&app),
        Some(&ModalStage::Confirm(pause_spring.clone()))
    );
    assert_eq!(
        press(&mut app, "y"),
        [Effect::ApplyAction {
            id,
            plan: pause_spring.clone(),
        }]
    );
    assert_eq!(
        stage(&app),
        Some(&ModalStage::Applying(pause_spring.clone()))
    );
    // A second `y`, `esc` or `q` while it is written does nothing.
    assert!(press(&mut app, "y\u{1b}q").is_empty());
    assert!(app.modal.is_some());
}

#[test]
fn esc_and_n_cancel_without_effects_and_a_late_plan_is_ignored() {
    let Plans { pause_spring, .. } = plans();
    let mut app = app();
    planned(&mut app, "p", &pause_spring);
    assert!(press(&mut app, "\u{1b}").is_empty());
    assert!(app.modal.is_none());

    let mut app = self::app();
    planned(&mut app, "p", &pause_spring);
    assert!(press(&mut app, "n").is_empty());
    assert!(app.modal.is_none());

    // Cancelled while reading: its plan arrives later and opens nothing.
    let mut app = self::app();
    let effects = press(&mut app, "p\u{1b}");
    assert_eq!(effects.len(), 1);
    let answer = Msg::ActionPlanned {
        id: 1,
        result: Ok(pause_spring.clone()),
    };
    assert!(update(&mut app, answer.clone()).is_empty());
    assert!(app.modal.is_none());
    // A newer request ignores the older answer.
    press(&mut app, "p");
    update(&mut app, answer);
    assert_eq!(stage(&app), Some(&ModalStage::Reading));
}

#[test]
fn a_plan_that_changes_nothing_only_closes() {
    let Plans { pause_recall, .. } = plans();
    assert!(!pause_recall.will_change());
    let mut app = app();
    planned(&mut app, "jp", &pause_recall);
    assert_eq!(
        stage(&app),
        Some(&ModalStage::Nothing(pause_recall.clone()))
    );
    assert!(press(&mut app, "y").is_empty());
    assert!(app.modal.is_some(), "y does not close or apply");
    assert!(press(&mut app, "\n").is_empty());
    assert!(app.modal.is_none());
}

#[test]
fn the_answer_closes_the_modal_shows_a_toast_and_polls() {
    let Plans { pause_spring, .. } = plans();
    let mut app = app();
    let id = planned(&mut app, "p", &pause_spring);
    press(&mut app, "y");
    let outcome = changed(&pause_spring, AuditResult::Changed);
    let effects = update(&mut app, done(id, &pause_spring, Ok(outcome)));
    assert_eq!(effects, [Effect::PollNow]);
    assert!(app.modal.is_none());
    assert_eq!(
        toast(&app),
        format!("paused broadcast \"{}\": 1 changed", common::SPRING)
    );
    assert_eq!(app.toast.as_ref().map(|t| t.tone), Some(ToastTone::Success));

    // The toast stays a few seconds, then goes.
    let start = app.clock;
    let at = |after: Duration| Clock {
        now: start.now + after,
        wall: start.wall,
    };
    update(
        &mut app,
        Msg::Clock(at(TOAST_FOR - Duration::from_millis(1))),
    );
    assert!(app.toast.is_some());
    update(&mut app, Msg::Clock(at(TOAST_FOR)));
    assert!(app.toast.is_none());
}

#[test]
fn the_next_key_clears_the_toast() {
    let Plans { pause_spring, .. } = plans();
    let mut app = app();
    let id = planned(&mut app, "p", &pause_spring);
    press(&mut app, "y");
    update(&mut app, done(id, &pause_spring, Err("boom".into())));
    assert_eq!(toast(&app), "pause failed: boom");
    press(&mut app, "j");
    assert!(app.toast.is_none());
}

#[test]
fn skipped_failed_and_unaudited_results_say_so() {
    let Plans { pause_spring, .. } = plans();
    let why = "the broadcast changed since the preview: its status is now `paused`";
    let cases = [
        (
            changed(&pause_spring, AuditResult::Skipped(why.into())),
            ToastTone::Warning,
            format!("pause skipped: {why}"),
        ),
        (
            changed(
                &pause_spring,
                AuditResult::Failed("database unreachable".into()),
            ),
            ToastTone::Failure,
            "pause failed: database unreachable".to_string(),
        ),
        (
            ActionOutcome {
                audit_errors: vec!["audit.jsonl: permission denied".into()],
                ..changed(&pause_spring, AuditResult::Changed)
            },
            ToastTone::Warning,
            format!(
                "paused broadcast \"{}\": 1 changed (audit record not written: audit.jsonl: \
                 permission denied)",
                common::SPRING
            ),
        ),
    ];
    for (outcome, tone, text) in cases {
        let mut app = app();
        update(&mut app, done(7, &pause_spring, Ok(outcome)));
        assert_eq!(toast(&app), text);
        assert_eq!(app.toast.as_ref().map(|t| t.tone), Some(tone));
    }
}

#[test]
fn a_plan_that_cannot_be_read_closes_the_modal_with_the_reason() {
    let mut app = app();
    press(&mut app, "p");
    let why = "cannot read broadcast 5e1f: database unreachable: connection refused";
    let effects = update(
        &mut app,
        Msg::ActionPlanned {
            id: 1,
            result: Err(why.to_string()),
        },
    );
    assert!(effects.is_empty());
    assert!(app.modal.is_none());
    assert_eq!(toast(&app), format!("pause failed: {why}"));
    assert_eq!(app.toast.as_ref().map(|t| t.tone), Some(ToastTone::Failure));
}

#[test]
fn ctrl_c_asks_first_while_a_change_is_written() {
    let Plans { resume_recall, .. } = plans();
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    let mut app = app();
    planned(&mut app, "jP", &resume_recall);
    press(&mut app, "y");
    assert!(update(&mut app, ctrl_c.clone()).is_empty());
    assert!(
        toast(&app).contains("press ctrl-c again"),
        "{}",
        toast(&app)
    );
    assert_eq!(update(&mut app, ctrl_c.clone()), [Effect::Quit]);

    // With nothing being written, ctrl-c quits at once (even with a modal open).
    let mut app = self::app();
    planned(&mut app, "jP", &resume_recall);
    assert_eq!(update(&mut app, ctrl_c), [Effect::Quit]);
}

#[test]
fn the_overview_hints_offer_pause_and_resume() {
    let app = common::full_app(160, 48, common::options());
    let hints = launchdeck_tui::view::hints::hints(&app);
    assert!(hints.contains(&("p".to_string(), "pause".to_string())));
    assert!(hints.contains(&("P".to_string(), "resume".to_string())));
}
