//! Render of the Calls screen with 10,000 calls in flight at 200×50 (budget ≤ 1 ms per
//! frame, quality.md): only the visible window of rows is built.

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use launchdeck_tui::model::LiveData;
use launchdeck_tui::{Msg, PollData, Screen, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "../tests/common/mod.rs"]
mod common;

fn calls_render(c: &mut Criterion) {
    let base = Instant::now();
    let mut app = common::empty_app(base, 200, 50, common::options());
    let live = LiveData::new(
        base,
        &common::db_info(),
        common::many_calls(10_000),
        &app.options.thresholds,
    );
    update(&mut app, Msg::Data(PollData::Live(live)));
    app.screen = Screen::Calls;
    let mut terminal = match Terminal::new(TestBackend::new(200, 50)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    c.bench_function("calls screen, 10,000 rows, 200x50", |b| {
        b.iter(|| {
            let frame = terminal.draw(|f| view::render(f, &app));
            std::hint::black_box(frame.is_ok());
        })
    });
}

criterion_group!(benches, calls_render);
criterion_main!(benches);
