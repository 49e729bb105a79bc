//! Screen geometry from the terminal size and a few counts, never from the data's text:
//! how many rows a page holds (what `update` moves by) and where the views draw.

use ratatui::layout::{Constraint, Layout, Rect};

use launchdeck_core::readiness::Area;

/// The four bands of every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameAreas {
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub hints: Rect,
}

pub fn frame_areas(area: Rect) -> FrameAreas {
    let [header, tabs, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    FrameAreas {
        header,
        tabs,
        body,
        hints,
    }
}

/// Lines above a table's rows: the summary line and the column names.
const TABLE_CHROME_ROWS: u16 = 2;
/// From this width on, the Readiness fix hint has its own column; below, the selected
/// check's fix is shown on a line under the table.
pub const READINESS_WIDE: u16 = 120;

/// How many table rows the Calls screen shows on a terminal of `size`.
pub fn calls_page_rows(size: Rect) -> usize {
    table_rows(size, 0)
}

/// How many table rows the Logs screen shows on a terminal of `size`.
pub fn logs_page_rows(size: Rect) -> usize {
    table_rows(size, 0)
}

/// How many rows the Readiness screen shows on a terminal of `size`.
pub fn readiness_page_rows(size: Rect) -> usize {
    let footer = u16::from(frame_areas(size).body.width < READINESS_WIDE);
    table_rows(size, footer)
}

fn table_rows(size: Rect, footer: u16) -> usize {
    let body = frame_areas(size).body;
    usize::from(body.height.saturating_sub(TABLE_CHROME_ROWS + footer))
}

/// Alerts listed on the Overview before "... and N more".
pub const MAX_ALERT_LINES: usize = 5;
/// Alerts listed at once; the list scrolls with the cursor.
pub const ALERT_PAGE: usize = MAX_ALERT_LINES;
/// Lines per broadcast/campaign.
pub const ITEM_LINES: u16 = 2;
/// The narrowest cell of the readiness grid, and the most cells on one line.
const MIN_CELL: usize = 26;
const MIN_CELL_ASCII: usize = 38;
const MAX_CELLS: usize = 5;

/// What the Overview's bands depend on besides the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverviewShape {
    /// The calls-in-flight source is failing (its error takes a line).
    pub live_failing: bool,
    pub alerts: usize,
    /// The alerts source is failing (its error takes a line).
    pub alerts_failing: bool,
    /// ASCII symbols need wider readiness cells.
    pub ascii: bool,
}

/// The bands of the Overview body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverviewAreas {
    /// The readiness summary: a title with the verdict and a grid of areas.
    pub readiness: Rect,
    pub live: Rect,
    pub progress: Rect,
    pub alerts: Rect,
}

pub fn overview_areas(body: Rect, shape: OverviewShape) -> OverviewAreas {
    let live_lines = 2 + u16::from(shape.live_failing);
    let readiness_lines = 1 + grid_rows(body.width, shape.ascii);
    let [readiness, live, progress, alerts] = Layout::vertical([
        Constraint::Length(readiness_lines),
        Constraint::Length(1 + live_lines),
        Constraint::Fill(1),
        Constraint::Length(1 + alert_lines(shape)),
    ])
    .areas(body);
    OverviewAreas {
        readiness,
        live,
        progress,
        alerts,
    }
}

/// How many broadcasts/campaigns fit in the Overview's progress band.
pub fn overview_items_per_page(size: Rect, shape: OverviewShape) -> usize {
    let progress = overview_areas(frame_areas(size).body, shape).progress;
    usize::from(progress.height.saturating_sub(1) / ITEM_LINES).max(1)
}

/// Cells per line of the readiness grid.
pub fn grid_columns(width: u16, ascii: bool) -> usize {
    let min_cell = if ascii { MIN_CELL_ASCII } else { MIN_CELL };
    (usize::from(width) / min_cell).clamp(1, MAX_CELLS)
}

fn grid_rows(width: u16, ascii: bool) -> u16 {
    let rows = Area::ALL.len().div_ceil(grid_columns(width, ascii));
    u16::try_from(rows).unwrap_or(u16::MAX)
}

fn alert_lines(shape: OverviewShape) -> u16 {
    let listed = shape.alerts.clamp(1, MAX_ALERT_LINES + 1) as u16;
    listed + u16::from(shape.alerts_failing)
}

/// The room for a value in a detail pane drawn over `body`, after its label.
pub fn pane_value_width(body: Rect, label_width: usize) -> usize {
    usize::from(pane_width(body).saturating_sub(2)).saturating_sub(label_width)
}

fn pane_width(body: Rect) -> u16 {
    body.width.saturating_sub(4).min(100)
}

/// The detail pane's box for `line_count` lines over `body`: as tall as they need, at
/// most the body less a line above and below.
pub fn pane_area(body: Rect, line_count: usize) -> Rect {
    let width = pane_width(body);
    let wanted = u16::try_from(line_count + 2).unwrap_or(u16::MAX);
    let height = wanted.min(body.height.saturating_sub(2));
    Rect::new(
        body.x + (body.width - width) / 2,
        body.y + (body.height - height) / 2,
        width,
        height,
    )
}

/// How many of `line_count` lines the pane over `body` shows at once.
pub fn pane_visible_rows(body: Rect, line_count: usize) -> u16 {
    pane_area(body, line_count).height.saturating_sub(2)
}

/// How far `line_count` lines can be scrolled in the pane over `body` (0 when they fit).
pub fn pane_scroll_limit(body: Rect, line_count: usize) -> u16 {
    let lines = u16::try_from(line_count).unwrap_or(u16::MAX);
    lines.saturating_sub(pane_visible_rows(body, line_count))
}
