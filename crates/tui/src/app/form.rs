//! `b`: the test broadcast's form — opened on the Overview's selection, its keys, and
//! its submission as a plan request (the modal takes over from there).

use crossterm::event::{Event, KeyCode, KeyEvent};
use launchdeck_ops::actions::test_broadcast::{TestBroadcastRequest, TestTarget};
use launchdeck_ops::actions::{ActionRequest, OperatorAction};
use tui_input::backend::crossterm::EventHandler;

use super::action::{overview_subject, show_toast, start_action};
use super::{App, Effect};
use crate::actions::ToastTone;
use crate::form::{FormFocus, TestForm};
use crate::model::ParentKind;

/// `b` on the Overview: the form for the selected broadcast or campaign.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let item = match overview_subject(app, OperatorAction::TestBroadcast) {
        Ok(item) => item,
        Err((tone, why)) => {
            show_toast(app, tone, why);
            return Vec::new();
        }
    };
    let test = &app.options.test_broadcast;
    if test.allowlist.is_empty() {
        let why = "no test numbers: add numbers you own to [test_broadcast] allowlist in the \
                   config file (or LAUNCHDECK_TEST_BROADCAST_ALLOWLIST)";
        show_toast(app, ToastTone::Warning, why.to_string());
        return Vec::new();
    }
    app.form = Some(TestForm::new(
        item.kind,
        item.id,
        item.name.clone(),
        &test.allowlist,
        test.max_calls,
    ));
    Vec::new()
}

/// Keys while the form is open: `tab` moves between fields, `space` marks a number,
/// `enter` adds a typed number or asks for the plan, `esc` closes.
pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    match (form.focus, key.code) {
        (_, KeyCode::Esc) => app.form = None,
        (_, KeyCode::Tab) => form.next_focus(),
        (FormFocus::Typed, KeyCode::Enter) if !form.typed.value().trim().is_empty() => {
            form.add_typed()
        }
        (_, KeyCode::Enter) => return submit(app),
        (FormFocus::Numbers, KeyCode::Char(' ')) => form.toggle(),
        (FormFocus::Numbers, KeyCode::Char('j') | KeyCode::Down) => form.move_cursor(true),
        (FormFocus::Numbers, KeyCode::Char('k') | KeyCode::Up) => form.move_cursor(false),
        (FormFocus::Numbers, _) => {}
        (FormFocus::Typed, _) => {
            form.typed.0.handle_event(&Event::Key(key));
        }
        (FormFocus::Agent, _) => {
            form.agent.0.handle_event(&Event::Key(key));
        }
    }
    Vec::new()
}

/// The form's answer as a plan request; the form stays open with the reason when the
/// numbers cannot be right.
fn submit(app: &mut App) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    let to = match form.checked() {
        Ok(to) => to,
        Err(why) => {
            form.error = Some(why);
            return Vec::new();
        }
    };
    let target = match form.kind {
        ParentKind::Broadcast => TestTarget::Broadcast(form.id),
        ParentKind::Campaign => TestTarget::Campaign(form.id),
    };
    let request = TestBroadcastRequest {
        target,
        to,
        agent: form.agent_id(),
        override_readiness: false,
    };
    let subject = format!("{} \"{}\"", form.kind.label(), form.name);
    app.form = None;
    start_action(app, ActionRequest::TestBroadcast(request), subject)
}
