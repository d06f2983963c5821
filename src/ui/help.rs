//! The help popup's drawing (its content is app/help.rs, made from the keymap).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::app::State;

/// Every binding, as the help popup shows it: a heading per context, a row per action.
pub fn help_lines(state: &State) -> Vec<Line<'static>> {
    let t = &state.setup.theme;
    let mut lines = Vec::new();
    for (i, section) in crate::app::help::sections(&state.setup.keymap).into_iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(
            section.title.to_string(),
            Style::default().fg(t.heading).add_modifier(Modifier::BOLD),
        )));
        for (keys, what) in section.rows {
            // A long list of keys keeps a space before its words.
            let keys = if keys.chars().count() >= 16 { format!("{keys} ") } else { keys };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), Style::default().fg(t.focus)),
                Span::styled(what.to_string(), Style::default().fg(t.text)),
            ]));
        }
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, scroll: u16) {
    let lines = help_lines(state);
    let r = super::popup::centered(area, 78, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    let para = Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0));
    frame.render_widget(para.block(super::popup::frame_block(state, "Keys (↑ ↓ scroll)")), r);
}
