//! Drawing: a pure function of the `App` onto a ratatui frame.

pub mod calls;
pub mod form;
pub mod format;
pub mod header;
pub mod help;
pub mod hints;
pub mod logs;
pub mod modal;
pub mod overview;
pub mod pane;
pub mod readiness;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Screen, Source};

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub use crate::layout::{FrameAreas, frame_areas};

pub fn is_too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if is_too_small(area) {
        render_too_small(frame, area);
        return;
    }
    let areas = frame_areas(area);
    header::render(frame, areas.header, app);
    render_tabs(frame, areas.tabs, app);
    match app.screen {
        Screen::Overview => overview::render(frame, areas.body, app),
        Screen::Readiness => readiness::render(frame, areas.body, app),
        Screen::Calls => calls::render(frame, areas.body, app),
        Screen::Logs => logs::render(frame, areas.body, app),
    }
    hints::render(frame, areas.hints, app);
    if let Some(open) = &app.form {
        form::render(frame, areas.body, app, open);
    }
    if let Some(open) = &app.modal {
        modal::render(frame, areas.body, app, open);
    }
    if app.help_open {
        help::render(frame, area, app);
    }
}

fn render_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{})",
        area.width, area.height
    );
    let paragraph = Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .alignment(Alignment::Center);
    frame.render_widget(paragraph, area);
}

/// The screen tabs, and on the right the badges: endpoints that are not production's,
/// and what this session changed on screen. Badges shorten when the line is full.
fn render_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = vec![Span::raw(" ")];
    for screen in Screen::TAB_ORDER {
        let key = app.keymap.first_key(screen.action()).unwrap_or_default();
        if screen == app.screen {
            let label = format!("[{key} {}]", screen.title());
            spans.push(Span::styled(label, app.theme.tab_active));
        } else {
            let label = format!(" {key} {} ", screen.title());
            spans.push(Span::styled(label, app.theme.tab_inactive));
        }
        spans.push(Span::raw(" "));
    }
    let tabs = Line::from(spans);
    let room = usize::from(area.width).saturating_sub(tabs.width());
    frame.render_widget(tabs, area);
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if app.options.non_production_endpoints {
        wanted.push(("[NON-PRODUCTION ENDPOINTS]", "[NON-PROD]"));
    }
    if app.frozen.is_some() {
        wanted.push(("[FROZEN]", "[FROZEN]"));
    }
    if app.numbers_revealed {
        wanted.push(("[NUMBERS REVEALED]", "[REVEALED]"));
    }
    let stop = stop_badge(app);
    let stop_width = stop
        .as_ref()
        .map_or(0, |(full, _)| full.chars().count() + 1);
    let full_width: usize = wanted
        .iter()
        .map(|(full, _)| full.chars().count() + 1)
        .sum::<usize>()
        + stop_width;
    let mut badges = Vec::new();
    if let Some((full, short)) = &stop {
        let text = if full_width < room { full } else { short };
        badges.push(Span::styled(text.clone(), app.theme.fail));
        badges.push(Span::raw(" "));
    }
    for (full, short) in wanted {
        let text = if full_width < room { full } else { short };
        badges.push(Span::styled(text, app.theme.badge));
        badges.push(Span::raw(" "));
    }
    frame.render_widget(Line::from(badges).right_aligned(), area);
}

/// The active stop in words, on every screen (full, short): `[STOPPED: campaign
/// "Renewals"]`, `[STOP ALL ACTIVE]`, `[3 STOPS ACTIVE]`.
pub fn stop_badge(app: &App) -> Option<(String, String)> {
    let stops = &app.shown().alerts.as_ref()?.stops;
    let short = "[STOPPED]".to_string();
    let full = match stops.as_slice() {
        [] => return None,
        [stop] if stop.scope_type == "global" => "[STOP ALL ACTIVE]".to_string(),
        [stop] => match stop.campaign_id.and_then(|id| campaign_name(app, id)) {
            Some(name) => format!("[STOPPED: campaign \"{name}\"]"),
            None => format!("[STOPPED: {} stop]", stop.scope_type),
        },
        many => format!("[{} STOPS ACTIVE]", many.len()),
    };
    Some((full, short))
}

fn campaign_name(app: &App, id: uuid::Uuid) -> Option<String> {
    let progress = app.shown().progress.as_ref()?;
    progress
        .items
        .iter()
        .find(|item| item.kind == crate::model::ParentKind::Campaign && item.id == id)
        .map(|item| item.name.clone())
}

/// A line saying a source is failing and how old the data shown is, or `None` when it
/// is fine. (When it started is in the header for the database.)
pub fn source_problem(
    app: &App,
    source: Source,
    received: Option<std::time::Instant>,
) -> Option<Line<'static>> {
    let error = app.health(source).last_error.as_ref()?;
    let stale = received.map(|at| {
        let age = format::age(app.clock.now.saturating_duration_since(at));
        format!("data {age} old")
    });
    let retry = error.transient.then_some("retrying");
    let prefix = match (stale, retry) {
        (Some(stale), Some(retry)) => format!("{stale} ({retry}): "),
        (Some(stale), None) => format!("{stale}: "),
        (None, Some(retry)) => format!("{retry}: "),
        (None, None) => String::new(),
    };
    Some(Line::from(vec![
        Span::styled(format!(" {} ", app.symbols.fail), app.theme.fail),
        Span::raw(format!("{prefix}{}", error.message)),
    ]))
}
