//! The Overview: the readiness summary per area, calls in flight and stuck, progress of
//! each broadcast and campaign, unacknowledged alerts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use launchdeck_core::domain::{Alert, CallSource};
use launchdeck_core::readiness::Area;

use super::readiness::{checking_word, count_spans, spinner, status_symbol, verdict_span};
use super::{format, source_problem};
use crate::app::{App, OverviewFocus, Source};
use crate::layout::{ITEM_LINES, MAX_ALERT_LINES, grid_columns, overview_areas};
use crate::model::{LiveData, ProgressItem, SourceCounts};

/// From this width on, figures are labelled in full words.
const WIDE: u16 = 120;

pub use crate::layout::OverviewAreas;

pub fn layout(body: Rect, app: &App) -> OverviewAreas {
    overview_areas(body, app.overview_shape())
}

pub fn render(frame: &mut Frame, body: Rect, app: &App) {
    let areas = layout(body, app);
    render_readiness(frame, areas.readiness, app);
    render_live(frame, areas.live, app);
    render_progress(frame, areas.progress, app);
    render_alerts(frame, areas.alerts, app);
}

fn titled(title: String, app: &App) -> Block<'static> {
    Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::TOP)
        .title(Span::styled(format!(" {title} "), app.theme.title))
}

/// `Readiness  NOT READY: 2 blocking` over a grid of `✗ Retell  5✓ 1! 2✗` cells.
fn render_readiness(frame: &mut Frame, area: Rect, app: &App) {
    let title = Line::from(vec![
        Span::styled(" Readiness ", app.theme.title),
        verdict_span(app),
        Span::raw(" "),
    ]);
    let block = Block::new()
        .border_set(app.symbols.border)
        .borders(Borders::TOP)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let columns = grid_columns(inner.width, app.options.ascii);
    let cell_width = inner.width / u16::try_from(columns).unwrap_or(1);
    for (i, readiness_area) in Area::ALL.into_iter().enumerate() {
        let (row, column) = (i / columns, i % columns);
        let y = inner.y + u16::try_from(row).unwrap_or(u16::MAX);
        let x = inner.x + cell_width * u16::try_from(column).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        let cell = Rect::new(x, y, cell_width.saturating_sub(1), 1);
        frame.render_widget(area_cell(app, readiness_area), cell);
    }
}

fn area_cell(app: &App, area: Area) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let readiness = &app.readiness.results;
    let result = readiness.area(area);
    let symbol = if readiness.checking(area) {
        Span::styled(spinner(app), t.warn)
    } else {
        match result.and_then(|r| r.worst()) {
            Some(worst) => {
                let (symbol, style) = status_symbol(app, worst);
                Span::styled(symbol, style)
            }
            None if result.is_some() => Span::styled(s.ok, t.ok),
            None => Span::styled(s.checking, t.dim),
        }
    };
    let mut spans = vec![
        Span::raw(" "),
        symbol,
        Span::raw(format!(" {:<12} ", area.display_name())),
    ];
    match result {
        Some(r) if r.checks().is_empty() => spans.push(Span::styled("-", t.dim)),
        Some(r) => spans.extend(count_spans(app, r.report.summary())),
        None if readiness.checking(area) => {
            spans.push(Span::styled(checking_word(app), t.warn));
        }
        None => spans.push(Span::styled("waiting", t.dim)),
    }
    Line::from(spans)
}

fn render_live(frame: &mut Frame, area: Rect, app: &App) {
    let live = app.shown().live.as_deref();
    let mut lines: Vec<Line> = source_problem(app, Source::Live, live.map(|l| l.received))
        .into_iter()
        .collect();
    match live {
        Some(live) => {
            lines.push(in_flight_line(app, live));
            lines.push(claims_line(app, live));
        }
        None => lines.push(Line::raw(" waiting for the first poll...")),
    }
    let block = titled("Calls in flight".to_string(), app);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn in_flight_line(app: &App, live: &LiveData) -> Line<'static> {
    let mut spans = vec![Span::raw(format!(
        " {} in flight: ",
        format::count(live.rows.len() as i64)
    ))];
    for (i, source) in [
        CallSource::BroadcastQueue,
        CallSource::CallLogs,
        CallSource::DialingQueues,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            spans.push(Span::raw(app.symbols.separator));
        }
        spans.extend(source_counts(app, source, live.counts(source)));
    }
    Line::from(spans)
}

fn source_counts(app: &App, source: CallSource, c: SourceCounts) -> Vec<Span<'static>> {
    let (s, t) = (&app.symbols, &app.theme);
    let mut spans = vec![Span::raw(format!(
        "{} {} ",
        source.short_label(),
        format::count(c.in_flight as i64)
    ))];
    if c.stuck == 0 && c.ask_provider == 0 {
        spans.push(Span::styled(s.ok.to_string(), t.ok));
        return spans;
    }
    if c.stuck > 0 {
        spans.push(Span::styled(
            format!("{} {} stuck", s.fail, c.stuck),
            t.fail,
        ));
    }
    if c.ask_provider > 0 {
        let gap = if c.stuck > 0 { " " } else { "" };
        spans.push(Span::styled(
            format!("{gap}{} {} ask", s.unknown, c.ask_provider),
            t.warn,
        ));
    }
    spans
}

fn claims_line(app: &App, live: &LiveData) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let claims = live.open_claims.len();
    let mut spans = vec![Span::raw(" ")];
    if live.stuck_claims > 0 {
        let after = format::age(app.options.thresholds.claim_stuck_after);
        spans.push(Span::styled(
            format!(
                "{} claims: {claims} open, {} stuck > {after}",
                s.fail, live.stuck_claims
            ),
            t.fail,
        ));
    } else {
        spans.push(Span::styled(s.ok, t.ok));
        spans.push(Span::raw(format!(" claims: {claims} open")));
    }
    spans.push(Span::raw(s.separator));
    match live.manual_required_jobs {
        0 => {
            spans.push(Span::styled(s.ok, t.ok));
            spans.push(Span::raw(" no reconciliation job needs a person"));
        }
        jobs => {
            let what = if jobs == 1 {
                "reconciliation job needs"
            } else {
                "reconciliation jobs need"
            };
            spans.push(Span::styled(
                format!("{} {jobs} {what} a person", s.fail),
                t.fail,
            ));
        }
    }
    Line::from(spans)
}

fn render_progress(frame: &mut Frame, area: Rect, app: &App) {
    let progress = app.shown().progress.as_deref();
    // The figures are polled less often than the calls in flight: say how old they are.
    let title = match progress {
        Some(p) => {
            let age = super::format::age(app.shown_now().saturating_duration_since(p.received));
            format!(
                "Broadcasts and campaigns ({}), figures {age} old",
                p.items.len()
            )
        }
        None => "Broadcasts and campaigns".to_string(),
    };
    let block = titled(title, app);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = source_problem(app, Source::Progress, progress.map(|p| p.received))
        .into_iter()
        .collect();
    let Some(progress) = progress else {
        lines.push(Line::raw(" waiting for the first poll..."));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    if progress.items.is_empty() {
        lines.push(Line::raw(
            " no broadcast or campaign in draft, active or paused",
        ));
    }
    let page = usize::from(inner.height / ITEM_LINES).max(1);
    let start = app
        .overview
        .nav
        .offset
        .min(progress.items.len().saturating_sub(page));
    for (i, item) in progress.items.iter().enumerate().skip(start).take(page) {
        let selected = i == app.overview.nav.selected && app.overview.focus == OverviewFocus::Items;
        lines.extend(item_lines(app, item, selected, inner.width));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Two lines: name, status, gauge, ETA; then the figures and the sparkline.
fn item_lines(app: &App, item: &ProgressItem, selected: bool, width: u16) -> [Line<'static>; 2] {
    let (s, t) = (&app.symbols, &app.theme);
    let f = &item.figures;
    let pointer = if selected { s.pointer } else { " " };
    let name = format::shorten(&item.name, 24, s);
    let name_style = if selected { t.selected } else { t.title };
    let eta = format!("ETA {:<7}", format::eta(f.eta));
    // pointer+kind 12, name 24, status 9, percentage 6, ETA 11
    let gauge_width = usize::from(width).saturating_sub(62).clamp(5, 40);
    let (done, left) = format::gauge(f.progress(), gauge_width, s);
    let first = Line::from(vec![
        Span::raw(format!("{pointer} {:<10}", item.kind.label())),
        Span::styled(format!("{name:<24}"), name_style),
        Span::raw(format!(" {:<8}", format::shorten(&item.status, 8, s))),
        Span::styled(done, t.gauge_done),
        Span::styled(left, t.gauge_left),
        Span::raw(format!(" {:>4} ", format::percent(Some(f.progress())))),
        Span::raw(eta),
    ]);
    let second = Line::from(vec![
        Span::raw(figures_text(f, width >= WIDE)),
        Span::styled(format::sparkline(&item.per_minute, s), t.ok),
    ]);
    [first, second]
}

fn figures_text(f: &launchdeck_core::rates::Figures, wide: bool) -> String {
    let (pending, calling, errors, per_minute, gap) = if wide {
        (
            "pending",
            "calling",
            "errors",
            " calls/min, last 15 min ",
            "   ",
        )
    } else {
        ("pend", "call", "err", "/min ", "  ")
    };
    format!(
        "  {pending} {}{gap}{calling} {}{gap}done {}{gap}pickup {}{gap}{errors} {}{gap}{:.1}{per_minute}",
        format::count(f.pending),
        format::count(f.calling),
        format::count(f.finished),
        format::percent(f.pickup_rate),
        format::percent(f.error_rate),
        f.calls_per_minute,
    )
}

fn render_alerts(frame: &mut Frame, area: Rect, app: &App) {
    let alerts = app.shown().alerts.as_deref();
    let title = match alerts {
        Some(a) => format!("Unacknowledged alerts ({})", a.alerts.len()),
        None => "Unacknowledged alerts".to_string(),
    };
    let block = titled(title, app);
    let mut lines: Vec<Line> = source_problem(app, Source::Alerts, alerts.map(|a| a.received))
        .into_iter()
        .collect();
    match alerts {
        None => lines.push(Line::raw(" waiting for the first poll...")),
        Some(a) if a.alerts.is_empty() => lines.push(Line::from(vec![
            Span::styled(format!(" {}", app.symbols.ok), app.theme.ok),
            Span::raw(" no unacknowledged alerts"),
        ])),
        Some(a) => {
            let all = a.alerts.len();
            let (start, shown) = if all > MAX_ALERT_LINES + 1 {
                (
                    app.overview.alerts_nav.offset.min(all - MAX_ALERT_LINES),
                    MAX_ALERT_LINES,
                )
            } else {
                (0, all)
            };
            let cursor = (app.overview.focus == OverviewFocus::Alerts)
                .then_some(app.overview.alerts_nav.selected);
            let window = a.alerts.iter().enumerate().skip(start).take(shown);
            lines.extend(window.map(|(i, al)| alert_line(app, al, cursor == Some(i))));
            if all > shown {
                let above = start;
                let below = all - start - shown;
                lines.push(Line::raw(format!("   ... {above} above, {below} below")));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn alert_line(app: &App, alert: &Alert, selected: bool) -> Line<'static> {
    let (s, t) = (&app.symbols, &app.theme);
    let (symbol, style) = match alert.severity.to_ascii_lowercase().as_str() {
        "critical" | "error" => (s.fail, t.fail),
        "warning" | "warn" => (s.warn, t.warn),
        "info" => (s.info, t.dim),
        _ => (s.unknown, t.warn),
    };
    let text = match &alert.title {
        Some(title) if !title.is_empty() && !alert.message.starts_with(title.as_str()) => {
            format!("{title}: {}", alert.message)
        }
        _ => alert.message.clone(),
    };
    let pointer = if selected { s.pointer } else { " " };
    Line::from(vec![
        Span::raw(pointer),
        Span::styled(
            format!("{symbol} {:<8}", format::shorten(&alert.severity, 8, s)),
            style,
        ),
        Span::raw(format!(
            " {} ",
            format::clock_time(alert.created_at, app.options.timezone)
        )),
        Span::raw(text),
    ])
}
