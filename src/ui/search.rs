//! The runbook search prompt (/) (its keys are app/search.rs).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, query: &str) {
    let t = &state.setup.theme;
    let r = super::popup::centered(area, 50, 3);
    frame.render_widget(Clear, r);
    let line = Line::from(vec![
        Span::styled("/", Style::default().fg(t.dim)),
        Span::styled(format!("{query}█"), Style::default().fg(t.text)),
    ]);
    frame.render_widget(Paragraph::new(line).block(super::popup::frame_block(state, "Search the runbook (Enter)")), r);
}
