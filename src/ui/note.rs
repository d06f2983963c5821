//! The note popup (Ctrl-N): the typed note, its end in view (its keys are app/note.rs).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, text: &str) {
    let t = &state.setup.theme;
    let r = super::popup::centered(area, 76, 4);
    frame.render_widget(Clear, r);
    let width = r.width.saturating_sub(5) as usize;
    // The end of a long note stays in view while it is typed.
    let shown: String = {
        let chars: Vec<char> = text.chars().collect();
        chars[chars.len().saturating_sub(width)..].iter().collect()
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("> ", Style::default().fg(t.focus)),
            Span::styled(format!("{shown}█"), Style::default().fg(t.text)),
        ]),
        Line::from(Span::styled(
            "Secrets (passwords, tokens) are masked before it is written.",
            Style::default().fg(t.dim),
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(t.focus))
        .title(Span::styled(
            " Note for the incident timeline ",
            Style::default().fg(t.focus).add_modifier(Modifier::BOLD),
        ))
        .title_bottom(Span::styled(" Enter saves · Esc cancels ", Style::default().fg(t.dim)));
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
