//! The bottom bar: the keys that do something on the focused screen or pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::actions::{Toast, ToastTone};
use crate::app::{App, Screen};
use crate::keys::KeyAction;

/// Draws the toast when there is one, else the hints that fit whole, always keeping the
/// last two (help, quit).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(toast) = &app.toast {
        frame.render_widget(toast_line(app, toast), area);
        return;
    }
    let hints = hints(app);
    let width = |(key, what): &(String, String)| key.chars().count() + what.chars().count() + 3;
    let kept_at_end = hints.len().min(2);
    let (optional, last) = hints.split_at(hints.len() - kept_at_end);
    let mut room = usize::from(area.width)
        .saturating_sub(1)
        .saturating_sub(last.iter().map(width).sum());
    let mut shown = Vec::new();
    for hint in optional {
        if width(hint) <= room {
            room -= width(hint);
            shown.push(hint);
        }
    }
    shown.extend(last);
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in shown {
        spans.push(Span::styled(key.clone(), app.theme.key));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

/// (key, what it does), most useful first (the bar is cut at the right edge).
pub fn hints(app: &App) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |action: KeyAction, what: &str| {
        if let Some(key) = app.keymap.first_key(action) {
            out.push((key, what.to_string()));
        }
    };
    if app.help_open {
        add(KeyAction::Back, "close help");
        add(KeyAction::Quit, "quit");
        return out;
    }
    if let Some(modal) = &app.modal {
        return super::modal::keys(modal)
            .into_iter()
            .map(|(key, what)| (key.to_string(), what.to_string()))
            .collect();
    }
    if app.form.is_some() {
        return super::form::keys()
            .into_iter()
            .map(|(key, what)| (key.to_string(), what.to_string()))
            .collect();
    }
    if app.logs.filter.editing {
        return vec![
            ("enter".to_string(), "keep filter".to_string()),
            ("esc".to_string(), "clear filter".to_string()),
        ];
    }
    if app.logs.detail.is_some() || app.readiness.check_detail.is_some() {
        add(KeyAction::Back, "close detail");
        add(KeyAction::Help, "help");
        add(KeyAction::Quit, "quit");
        let scrolls = app.logs.detail.is_some() && super::logs::detail_scroll_limit(app) > 0;
        if let Some(keys) = up_down(app).filter(|_| scrolls) {
            out.insert(out.len().min(1), (keys, "scroll".to_string()));
        }
        return out;
    }
    if let Some(keys) = up_down(app) {
        out.push((keys, "move".to_string()));
    }
    let mut add = |action: KeyAction, what: &str| {
        if let Some(key) = app.keymap.first_key(action) {
            out.push((key, what.to_string()));
        }
    };
    match app.screen {
        Screen::Overview if app.selected_alert().is_some() => {
            add(KeyAction::Acknowledge, "acknowledge");
            add(KeyAction::Cleanup, "clean up");
        }
        Screen::Overview => {
            add(KeyAction::Pause, "pause");
            add(KeyAction::Resume, "resume");
            add(KeyAction::EmergencyStop, "stop");
            add(KeyAction::TestBroadcast, "test");
            add(KeyAction::Cleanup, "clean up");
            add(KeyAction::RerunReadiness, "re-check");
        }
        Screen::Readiness => {
            if app.selected_check().is_some_and(|c| c.action.is_some()) {
                add(KeyAction::RunFix, "fix");
            }
            add(KeyAction::Detail, "detail");
            add(KeyAction::RefreshTokens, "tokens");
            add(KeyAction::RerunReadiness, "re-check");
        }
        Screen::Calls => {
            add(KeyAction::Mark, "mark");
            let cleanup = if app.calls.marks.is_empty() {
                "clean up stuck"
            } else {
                "clean up marked"
            };
            add(KeyAction::Cleanup, cleanup);
            add(KeyAction::RevealNumbers, reveal_label(app));
        }
        Screen::Logs => {
            add(KeyAction::Filter, "filter");
            add(KeyAction::Detail, "detail");
            if !app.logs.filter.text().is_empty() {
                add(KeyAction::Back, "clear filter");
            }
            add(KeyAction::RevealNumbers, reveal_label(app));
        }
    }
    add(KeyAction::Refresh, "poll now");
    let freeze = if app.frozen.is_some() {
        "unfreeze"
    } else {
        "freeze"
    };
    add(KeyAction::Freeze, freeze);
    add(KeyAction::NextScreen, "screens");
    add(KeyAction::Help, "help");
    add(KeyAction::Quit, "quit");
    out
}

/// `j/k`: the first keys of move down and move up.
fn up_down(app: &App) -> Option<String> {
    let down = app.keymap.first_key(KeyAction::MoveDown)?;
    let up = app.keymap.first_key(KeyAction::MoveUp)?;
    Some(format!("{down}/{up}"))
}

fn reveal_label(app: &App) -> &'static str {
    if app.numbers_revealed {
        "mask"
    } else {
        "reveal"
    }
}

/// `✓ paused broadcast "Summer savings": 1 changed`, in the toast's colour.
fn toast_line(app: &App, toast: &Toast) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let (symbol, style) = match toast.tone {
        ToastTone::Info => (s.info, Style::default()),
        ToastTone::Success => (s.ok, t.ok),
        ToastTone::Warning => (s.warn, t.warn),
        ToastTone::Failure => (s.fail, t.fail),
    };
    let text = super::format::terminal_text(&toast.text, s).into_owned();
    Line::from(vec![
        Span::raw(" "),
        Span::styled(symbol, style),
        Span::raw(" "),
        Span::styled(text, style),
    ])
}
