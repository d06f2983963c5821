//! The runbook's contents popup (t): its headings, indented by level (its keys are
//! app/contents.rs).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let t = &state.setup.theme;
    let heads = &state.runbook.view.headings;
    let r = super::popup::centered(area, 60, heads.len() as u16 + 2);
    let inner_h = r.height.saturating_sub(2) as usize;
    let first = selected.saturating_sub(inner_h.saturating_sub(1));
    let lines: Vec<Line> = heads
        .iter()
        .enumerate()
        .skip(first)
        .take(inner_h)
        .map(|(i, h)| {
            let text = format!("{}{}", "  ".repeat(h.level.saturating_sub(1) as usize), h.title);
            let style = if i == selected {
                t.selected().fg(t.text).add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(t.text)
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(super::popup::frame_block(state, "Contents (Enter jumps)")), r);
}
