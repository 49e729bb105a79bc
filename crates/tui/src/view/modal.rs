//! The confirmation modal of an action key: while the plan is read, the plan with what
//! exactly will change (`y` / `n`), why nothing will, and while the change is written.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use launchdeck_ops::actions::test_broadcast::Refusal;
use launchdeck_ops::actions::{ActionPlan, OperatorAction, PlanStep, StatusPlan};

use super::format::terminal_text;
use super::pane::wrap_words;
use crate::actions::{ActionModal, ModalStage};
use crate::app::App;

const MAX_WIDTH: u16 = 76;
/// `change  ` before a field's value.
const LABEL_WIDTH: usize = 8;

/// Draws the open modal centred over `body`.
pub fn render(frame: &mut Frame, body: Rect, app: &App, modal: &ActionModal) {
    let width = body.width.saturating_sub(4).min(MAX_WIDTH);
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let mut lines = vec![Line::raw("")];
    // Borders, the blank lines around the content and the keys.
    let room = usize::from(body.height.saturating_sub(5));
    lines.extend(content(app, modal, text_width, room));
    lines.push(Line::raw(""));
    lines.push(key_line(app, modal));
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let height = wanted.min(body.height);
    let area = Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    );
    let title = format!(" {} ", modal.action.title());
    let block = Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::ALL)
        .title(Span::styled(title, app.theme.title));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The modal's text within `room` lines: the details give way first, so the summary,
/// the change, the typed field and the keys always show.
fn content(app: &App, modal: &ActionModal, width: usize, room: usize) -> Vec<Line<'static>> {
    match &modal.stage {
        ModalStage::Reading => {
            let doing = format!("reading {}", modal.subject);
            vec![spinner_line(app, modal, &doing)]
        }
        ModalStage::Confirm(plan) => {
            let mut tail = vec![Line::raw("")];
            tail.extend(change_lines(app, plan, width));
            if let Some(expected) = plan.view().typed_confirmation() {
                tail.extend(typed_lines(app, modal, &expected, width));
            }
            let mut lines = plan_lines(app, plan, width, room.saturating_sub(tail.len()));
            lines.extend(tail);
            lines
        }
        ModalStage::Nothing(plan) => {
            let mut tail = vec![Line::raw("")];
            if let Some(choice) = hang_up_choice(plan) {
                tail.extend(field(app, "hang up", &choice, width));
            }
            tail.push(Line::raw("  Nothing will be changed."));
            let mut lines = plan_lines(app, plan, width, room.saturating_sub(tail.len()));
            lines.extend(tail);
            lines
        }
        ModalStage::Applying(plan) => {
            let mut lines = wrapped(app, &plan.summary(), width);
            lines.push(Line::raw(""));
            let doing = if modal.following {
                "following the calls at the provider"
            } else {
                modal.action.doing()
            };
            lines.push(spinner_line(app, modal, doing));
            for line in modal.progress.iter().filter(|l| !l.is_empty()) {
                lines.extend(wrapped(app, &format!("  {line}"), width));
            }
            lines
        }
    }
}

/// The plan's summary and, under it, its details (counts, rows), each on its own line,
/// within `room` lines (the summary always shows; at least two detail lines).
fn plan_lines(app: &App, plan: &ActionPlan, width: usize, room: usize) -> Vec<Line<'static>> {
    let view = plan.view();
    let mut lines = wrapped(app, &view.summary(), width);
    let details = view.details();
    if !details.is_empty() {
        lines.push(Line::raw(""));
    }
    let room = room.saturating_sub(lines.len()).max(2);
    let mut detail_lines: Vec<Line<'static>> = details
        .iter()
        .flat_map(|detail| wrapped(app, &format!("  {detail}"), width))
        .collect();
    if detail_lines.len() > room {
        let hidden = detail_lines.len() - (room - 1);
        detail_lines.truncate(room - 1);
        let more = match plan.action() {
            OperatorAction::Cleanup | OperatorAction::RefreshTokens => format!(
                "    … {hidden} more lines (`launchdeck {} --dry-run` lists them all)",
                plan.action().name()
            ),
            _ => format!("    … {hidden} more lines"),
        };
        detail_lines.extend(wrapped(app, &more, width));
    }
    lines.extend(detail_lines);
    lines
}

/// What the write touches and the condition it is written under, and where it is
/// recorded.
fn change_lines(app: &App, plan: &ActionPlan, width: usize) -> Vec<Line<'static>> {
    let mut fields = match plan.status_plan() {
        Some(status) => status_fields(status),
        None => vec![
            ("change", plan.view().condition()),
            ("audit", "launchdeck.audit_log and audit.jsonl".to_string()),
        ],
    };
    if let Some(choice) = hang_up_choice(plan) {
        fields.insert(0, ("hang up", choice));
    }
    fields
        .iter()
        .flat_map(|(label, value)| field(app, label, value, width))
        .collect()
}

/// The row, its status change and the condition of a pause or resume.
fn status_fields(plan: &StatusPlan) -> Vec<(&'static str, String)> {
    let (Some(row), PlanStep::Change { from, to }) = (&plan.row, &plan.step) else {
        return Vec::new();
    };
    vec![
        (
            "row",
            format!("{} {}", row.target.table.as_str(), row.target.id),
        ),
        (
            "change",
            format!(
                "status {from} → {to}, only if it is still {from} when you confirm (a row \
                 that moved on is skipped, never overwritten)"
            ),
        ),
        ("audit", "launchdeck.audit_log and audit.jsonl".to_string()),
    ]
}

/// `row     value`, a long value wrapping under itself.
fn field(app: &App, label: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    let value = terminal_text(value, &app.symbols);
    wrap_words(&value, width.saturating_sub(LABEL_WIDTH).max(10))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let label = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{label:<LABEL_WIDTH$}"), app.theme.dim),
                Span::raw(part),
            ])
        })
        .collect()
}

fn wrapped(app: &App, text: &str, width: usize) -> Vec<Line<'static>> {
    let text = terminal_text(text, &app.symbols);
    wrap_words(&text, width)
        .into_iter()
        .map(|part| Line::raw(format!("  {part}")))
        .collect()
}

/// `⠋ pausing…`, the spinner turning from when the stage began.
fn spinner_line(app: &App, modal: &ActionModal, doing: &str) -> Line<'static> {
    let frames = app.symbols.spinner;
    let elapsed = app.clock.now.saturating_duration_since(modal.since);
    let frame = elapsed.as_millis() / crate::readiness::SPINNER_FRAME.as_millis();
    let spinner = frames[(frame % frames.len() as u128) as usize];
    let dots = if app.symbols.ascii { "..." } else { "…" };
    Line::from(vec![
        Span::raw("  "),
        Span::styled(spinner, app.theme.warn),
        Span::raw(format!(" {}{dots}", terminal_text(doing, &app.symbols))),
    ])
}

/// The field the operator types the confirmation into, and what it must say.
fn typed_lines(app: &App, modal: &ActionModal, expected: &str, width: usize) -> Vec<Line<'static>> {
    let what = match &modal.stage {
        ModalStage::Confirm(ActionPlan::Stop(plan)) => plan.confirmation_prompt(),
        _ => "the text".to_string(),
    };
    let mut lines = vec![Line::raw("")];
    let ask = format!("type {what}, \"{expected}\", then enter");
    lines.extend(field(app, "confirm", &ask, width));
    let typed = terminal_text(modal.typed.value(), &app.symbols).to_string();
    let cursor = if app.symbols.ascii { "_" } else { "█" };
    lines.push(Line::from(vec![
        Span::raw("  "),
        Span::styled(format!("{:<LABEL_WIDTH$}", ">"), app.theme.dim),
        Span::raw(typed),
        Span::styled(cursor, app.theme.key),
    ]));
    if modal.mismatch {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(app.symbols.fail, app.theme.fail),
            Span::raw(" does not match: nothing was stopped"),
        ]));
    }
    lines
}

/// The separate choice about the calls still live at the provider (cleanup: `h`; a
/// typed confirmation takes letters, so there it is `tab`).
fn hang_up_choice(plan: &ActionPlan) -> Option<String> {
    let (chosen, live) = plan.hang_up_choice()?;
    let key = hang_up_key(plan);
    let (calls, when) = match plan {
        ActionPlan::Stop(_) => ("in flight", "after the stop is written"),
        _ => ("still live", "first"),
    };
    let (noun, verb, them) = if live == 1 {
        ("call", "is", "it")
    } else {
        ("calls", "are", "them")
    };
    Some(if chosen {
        format!("yes: the {live} {noun} {calls} will be hung up at the provider {when} ({key}: no)")
    } else {
        format!("no: the {live} {noun} {calls} {verb} left to finish ({key}: hang {them} up)")
    })
}

fn hang_up_key(plan: &ActionPlan) -> &'static str {
    if plan.view().typed_confirmation().is_some() {
        "tab"
    } else {
        "h"
    }
}

/// The keys the modal takes now.
pub fn keys(modal: &ActionModal) -> Vec<(&'static str, &'static str)> {
    let stage = &modal.stage;
    if modal.following {
        return vec![("esc", "stop following (the calls go on)")];
    }
    let hang_up = match stage {
        ModalStage::Confirm(plan) | ModalStage::Nothing(plan) => {
            hang_up_choice(plan).map(|_| hang_up_key(plan))
        }
        _ => None,
    };
    let typed =
        matches!(stage, ModalStage::Confirm(plan) if plan.view().typed_confirmation().is_some());
    let mut keys = match stage {
        ModalStage::Reading => vec![("esc", "cancel")],
        ModalStage::Confirm(_) if typed => vec![("enter", "confirm typed name"), ("esc", "cancel")],
        ModalStage::Confirm(_) => vec![("y", "confirm"), ("n/esc", "cancel")],
        ModalStage::Nothing(_) => vec![("esc/enter", "close")],
        ModalStage::Applying(_) => Vec::new(),
    };
    if let Some(key) = hang_up {
        keys.push((key, "hang up or not"));
    }
    if readiness_blocked(stage) {
        keys.push(("o", "override readiness and preview again"));
    }
    keys
}

/// A test broadcast that readiness blocks (`o` overrides the gate).
fn readiness_blocked(stage: &ModalStage) -> bool {
    matches!(stage, ModalStage::Nothing(ActionPlan::TestBroadcast(plan))
        if matches!(plan.refusal, Some(Refusal::ReadinessBlocked(_))))
}

fn key_line(app: &App, modal: &ActionModal) -> Line<'static> {
    let mut spans = vec![Span::raw("  ")];
    for (key, what) in keys(modal) {
        spans.push(Span::styled(key, app.theme.key));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}
