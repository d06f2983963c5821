//! The runbook pane: the markdown as laid out for this width, the selected SQL block marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{Focus, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let rb = &state.runbook;
    let hint = Span::styled(
        format!("{} · t contents · / search · ] [ blocks · r to editor", state.setup.runbook.name),
        Style::default().fg(t.dim),
    );
    let block = super::pane(state, Focus::Runbook, "Runbook", Some(hint));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let selected = rb.block.and_then(|b| rb.view.sql_lines.get(b)).copied();
    let lines: Vec<Line> = rb
        .view
        .lines
        .iter()
        .enumerate()
        .skip(rb.scroll)
        .take(inner.height as usize)
        .map(|(i, l)| {
            let mut l = l.clone();
            if selected.is_some_and(|(a, b)| (a..=b).contains(&i)) {
                l = l.patch_style(t.selected());
                if Some(i) == selected.map(|s| s.0) {
                    l.spans.push(Span::styled(
                        " ◀ selected: r sends it to the editor",
                        Style::default().fg(t.focus).add_modifier(Modifier::BOLD),
                    ));
                }
            }
            if rb.matches.binary_search(&i).is_ok() {
                l.spans.insert(0, Span::styled("»", Style::default().fg(t.warn).add_modifier(Modifier::BOLD)));
            }
            l
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
