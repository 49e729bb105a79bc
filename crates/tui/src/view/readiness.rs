//! The Readiness screen: every check grouped by area (areas in their display order,
//! failures first within an area), a summary line, the selected check's fix, and a
//! detail pane. Areas the run in flight has not delivered say "checking…" and keep
//! their previous results with their age.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use launchdeck_core::readiness::{Area, Check, FixAction, Status, Summary};

use super::{format, pane};
use crate::app::App;
use crate::keys::KeyAction;
use crate::readiness::{RowRef, SPINNER_FRAME, Verdict};

use crate::layout::READINESS_WIDE as WIDE;
/// `12m03s ago`, with room for `100d04h ago`
const AGE_WIDTH: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let wide = area.width >= WIDE;
    let footer_height = u16::from(!wide);
    let [summary_area, names_area, table_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    let columns = Columns::new(app, area.width, wide);
    frame.render_widget(summary_line(app), summary_area);
    frame.render_widget(column_names(app, &columns), names_area);
    render_rows(frame, table_area, app, &columns);
    if !wide {
        frame.render_widget(fix_line(app, area.width), footer_area);
    }
    if let Some(check) = &app.readiness.check_detail {
        render_detail(frame, area, app, check);
    }
}

/// The symbol and style of a status.
pub fn status_symbol(app: &App, status: Status) -> (&'static str, Style) {
    let (s, t) = (&app.symbols, &app.theme);
    match status {
        Status::Pass => (s.ok, t.ok),
        Status::Warn => (s.warn, t.warn),
        Status::Fail => (s.fail, t.fail),
        Status::Unknown => (s.unknown, t.warn),
    }
}

/// The spinner frame for now: it turns only while a run is in flight.
pub fn spinner(app: &App) -> &'static str {
    let frames = app.symbols.spinner;
    let Some(run) = &app.readiness.results.run else {
        return frames[0];
    };
    let elapsed = app.clock.now.saturating_duration_since(run.started);
    let frame = elapsed.as_millis() / SPINNER_FRAME.as_millis();
    frames[(frame % frames.len() as u128) as usize]
}

/// `checking…`, in the terminal's symbol set.
pub fn checking_word(app: &App) -> &'static str {
    if app.options.ascii {
        "checking..."
    } else {
        "checking…"
    }
}

/// `5✓ 1! 2✗`: the statuses that occur, with their symbols.
pub fn count_spans(app: &App, summary: Summary) -> Vec<Span<'static>> {
    let counts = [
        (Status::Pass, summary.pass),
        (Status::Warn, summary.warn),
        (Status::Fail, summary.fail),
        (Status::Unknown, summary.unknown),
    ];
    let mut spans = Vec::new();
    for (status, count) in counts.into_iter().filter(|(_, n)| *n > 0) {
        if !spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        let (symbol, style) = status_symbol(app, status);
        spans.push(Span::styled(format!("{count}{symbol}"), style));
    }
    spans
}

/// `READY`, `NOT READY: 2 blocking` or `checking…`, styled.
pub fn verdict_span(app: &App) -> Span<'static> {
    let t = &app.theme;
    match app.readiness.results.verdict() {
        Verdict::Ready => Span::styled("READY", t.ok.patch(t.title)),
        Verdict::NotReady { blocking } => {
            Span::styled(format!("NOT READY: {blocking} blocking"), t.fail)
        }
        Verdict::Checking => Span::styled(checking_word(app).to_uppercase(), t.warn),
    }
}

fn summary_line(app: &App) -> Line<'static> {
    let s = &app.symbols;
    let readiness = &app.readiness.results;
    let mut spans = vec![Span::raw(" ")];
    // Without a verdict yet, the run's progress below says it all.
    if readiness.verdict() != Verdict::Checking {
        spans.push(verdict_span(app));
        spans.push(Span::raw(s.separator));
    }
    let counts = count_spans(app, readiness.summary());
    if !counts.is_empty() {
        spans.extend(counts);
        spans.push(Span::raw(s.separator));
    }
    match (&readiness.run, readiness.finished_at) {
        (Some(run), _) => {
            let done = Area::ALL.len().saturating_sub(run.waiting.len());
            spans.push(Span::styled(
                format!(
                    "{} {} {done} of {} areas in",
                    spinner(app),
                    checking_word(app),
                    Area::ALL.len()
                ),
                app.theme.warn,
            ));
        }
        (None, Some(at)) => spans.push(Span::raw(format!("checked {}", ago(app, at)))),
        (None, None) => spans.push(Span::raw("not checked yet")),
    }
    Line::from(spans)
}

fn ago(app: &App, at: Instant) -> String {
    format!(
        "{} ago",
        format::age(app.clock.now.saturating_duration_since(at))
    )
}

/// Column widths of the table.
struct Columns {
    status: usize,
    reason: usize,
    /// Zero when the fix is shown under the table instead.
    fix: usize,
}

impl Columns {
    fn new(app: &App, width: u16, wide: bool) -> Columns {
        let status = app.symbols.unknown.chars().count() + 1 + "unknown".len();
        // pointer, status, space, B, space, …, space, age
        let fixed = 1 + status + 3 + 1 + AGE_WIDTH;
        let rest = usize::from(width).saturating_sub(fixed);
        if wide {
            let reason = rest * 3 / 5;
            let fix = rest.saturating_sub(reason + 1);
            Columns {
                status,
                reason,
                fix,
            }
        } else {
            Columns {
                status,
                reason: rest,
                fix: 0,
            }
        }
    }
}

/// `text` cut or padded to exactly `width` characters.
fn fit(app: &App, text: &str, width: usize) -> String {
    let short = format::shorten(text, width, &app.symbols);
    format!("{short:<width$}")
}

fn column_names(app: &App, c: &Columns) -> Line<'static> {
    let mut text = format!(
        " {} B {}",
        fit(app, "status", c.status),
        fit(app, "reason", c.reason)
    );
    if c.fix > 0 {
        text.push(' ');
        text.push_str(&fit(app, "fix", c.fix));
    }
    text.push_str(&format!(" {:>AGE_WIDTH$}", "age"));
    Line::styled(text, app.theme.table_header)
}

fn render_rows(frame: &mut Frame, area: Rect, app: &App, c: &Columns) {
    let rows = app.readiness.results.rows();
    let page = usize::from(area.height);
    let start = app
        .readiness
        .nav
        .offset
        .min(rows.len().saturating_sub(page));
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(start)
        .take(page)
        .map(|(i, row)| match row {
            RowRef::Area(area) => area_line(app, *area),
            RowRef::Check(check, received) => {
                let selected = i == app.readiness.nav.selected;
                check_line(app, check, *received, selected, c)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// `Retell  5✓ 1! 2✗  ⠋ checking…`
fn area_line(app: &App, area: Area) -> Line<'static> {
    let (readiness, t) = (&app.readiness.results, &app.theme);
    let mut spans = vec![Span::styled(format!(" {}", area.display_name()), t.title)];
    match readiness.area(area) {
        Some(result) if result.checks().is_empty() => {
            spans.push(Span::styled("  nothing to check", t.dim));
        }
        Some(result) => {
            spans.push(Span::raw("  "));
            spans.extend(count_spans(app, result.report.summary()));
        }
        None if !readiness.checking(area) => {
            spans.push(Span::styled("  not checked yet", t.dim));
        }
        None => {}
    }
    if readiness.checking(area) {
        spans.push(Span::styled(
            format!("  {} {}", spinner(app), checking_word(app)),
            t.warn,
        ));
    }
    Line::from(spans)
}

fn check_line(
    app: &App,
    check: &Check,
    received: Instant,
    selected: bool,
    c: &Columns,
) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let (symbol, style) = status_symbol(app, check.status);
    let status = format!("{symbol} {}", check.status.as_str());
    let pointer = if selected { s.pointer } else { " " };
    let blocking = if check.blocking { "B" } else { " " };
    let mut spans = vec![
        Span::raw(pointer),
        Span::styled(fit(app, &status, c.status), style),
        Span::raw(" "),
        Span::styled(blocking, t.title),
        Span::raw(" "),
        Span::raw(fit(app, &shown(app, &check.reason), c.reason)),
    ];
    if c.fix > 0 {
        let fix = check.fix.as_deref().unwrap_or("");
        spans.push(Span::raw(" "));
        spans.push(Span::styled(fit(app, &shown(app, fix), c.fix), t.dim));
    }
    spans.push(Span::raw(format!(" {:>AGE_WIDTH$}", ago(app, received))));
    let line = Line::from(spans);
    if selected {
        line.style(t.selected)
    } else {
        line
    }
}

/// The selected check's fix, under the table on narrow terminals.
fn fix_line(app: &App, width: u16) -> Line<'static> {
    let Some(check) = selected_check(app) else {
        return Line::raw("");
    };
    let text = match &check.fix {
        Some(fix) => format!(" fix: {fix}"),
        None if check.status == Status::Pass => " fix: nothing to do".to_string(),
        None => " fix: none offered".to_string(),
    };
    Line::styled(
        format::shorten(&shown(app, &text), usize::from(width), &app.symbols),
        app.theme.key,
    )
}

/// A check's text as this terminal can draw it.
fn shown(app: &App, text: &str) -> String {
    format::terminal_text(text, &app.symbols).into_owned()
}

fn selected_check(app: &App) -> Option<&Check> {
    match app.readiness.results.rows().get(app.readiness.nav.selected) {
        Some(RowRef::Check(check, _)) => Some(check),
        _ => None,
    }
}

fn render_detail(frame: &mut Frame, body: Rect, app: &App, check: &Check) {
    let lines = detail_lines(app, check, pane::value_width(body));
    pane::render(frame, body, app, " Readiness check ".to_string(), lines);
}

fn detail_lines(app: &App, check: &Check, width: usize) -> Vec<Line<'static>> {
    let none = || "-".to_string();
    let (symbol, _) = status_symbol(app, check.status);
    let blocking = if check.blocking {
        "yes [B]: a launch waits until it passes".to_string()
    } else {
        "no".to_string()
    };
    let mut checked_at = format::date_time(check.checked_at, app.options.timezone);
    if let Some(result) = app.readiness.results.area(check.area) {
        checked_at.push_str(&format!(" ({})", ago(app, result.received)));
    }
    let mut fields = vec![
        ("id", check.id.clone()),
        ("area", check.area.display_name().to_string()),
        ("status", format!("{symbol} {}", check.status.as_str())),
        ("blocking", blocking),
        ("reason", check.reason.clone()),
        ("fix", check.fix.clone().unwrap_or_else(none)),
        ("subject", check.subject.clone().unwrap_or_else(none)),
        ("checked at", checked_at),
    ];
    if let Some(action) = &check.action {
        fields.push(("fix key", fix_key(app, action)));
    }
    fields
        .into_iter()
        .flat_map(|(name, value)| pane::field(name, shown(app, &value), width))
        .collect()
}

/// The key that runs a check's fix (its first key in the effective bindings).
fn fix_key(app: &App, action: &FixAction) -> String {
    let key = |k: KeyAction| app.keymap.first_key(k).unwrap_or_else(|| "-".to_string());
    match action {
        FixAction::AssignOutboundAgent {
            phone_number,
            agent_id: Some(agent),
        } => format!(
            "{}: make {agent} the outbound agent of {phone_number}",
            key(KeyAction::RunFix)
        ),
        FixAction::AssignOutboundAgent {
            phone_number,
            agent_id: None,
        } => format!(
            "{}: shows why {phone_number} needs an agent named on the command line",
            key(KeyAction::RunFix)
        ),
        FixAction::RefreshCalendarTokens => format!(
            "{} (or {}): refresh the calendar tokens",
            key(KeyAction::RefreshTokens),
            key(KeyAction::RunFix)
        ),
        FixAction::CleanupStuckCalls => format!(
            "{} (or {}): clean up the stuck calls",
            key(KeyAction::Cleanup),
            key(KeyAction::RunFix)
        ),
        FixAction::LiftStop { .. } => format!(
            "{}: lift this stop (resumes nothing; resume with {})",
            key(KeyAction::RunFix),
            key(KeyAction::Resume)
        ),
    }
}
