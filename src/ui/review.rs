//! The editor (what the engineer typed or pasted) and the review view (the guard's verdicts
//! on it, coloured), side by side or stacked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::app::{Focus, State};

pub fn draw_editor(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let (row, col) = (state.editor.cursor().0, state.editor.cursor().1);
    let hint = Span::styled(format!("line {}:{} · F5 runs reads", row + 1, col + 1), Style::default().fg(t.dim));
    let block = super::pane(state, Focus::Editor, "Editor", Some(hint));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&state.editor, inner);
}

pub fn draw_review(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let extra = match &state.analysis {
        Some(a) if state.analysis_current() => {
            let (r, w) = (a.reads(), a.writes());
            let style = if w > 0 {
                Style::default().fg(t.write).add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(t.dim)
            };
            Span::styled(format!("{r} READ · {w} WRITE"), style)
        }
        _ if state.revision == 0 => Span::styled("waiting for SQL", Style::default().fg(t.dim)),
        _ => Span::styled("reviewing…", Style::default().fg(t.warn)),
    };
    let block = super::pane(state, Focus::Review, "Review", Some(extra));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(a) = &state.analysis else {
        let help = "Every statement gets a READ or WRITE label here, with its reasons. Only reads run; what the guard cannot prove is a read counts as a WRITE.";
        frame.render_widget(
            Paragraph::new(help).style(Style::default().fg(t.dim)).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    // A read held back as heavy: what the planner expects, above the labels.
    let mut inner = inner;
    if let Some(h) = state.held.as_ref().filter(|h| state.now < h.until && inner.height >= 2) {
        let para = Paragraph::new(held_line(h))
            .style(Style::default().fg(t.warn).add_modifier(Modifier::BOLD))
            .wrap(ratatui::widgets::Wrap { trim: true });
        let chars = unicode_width::UnicodeWidthStr::width(held_line(h).as_str()) as u16;
        let height = chars.div_ceil(inner.width.max(1)).clamp(1, (inner.height / 2).max(1));
        frame.render_widget(para, Rect { height, ..inner });
        inner = Rect { y: inner.y + height, height: inner.height - height, ..inner };
    }
    // Every WRITE, which and why, stays in sight above the scrolling labels (a third of the
    // pane at most; the rest counted).
    if !a.pinned.is_empty() && inner.height >= 4 {
        let room = (inner.height as usize / 3).max(1);
        let mut top: Vec<ratatui::text::Line> = a.pinned.iter().take(room).cloned().collect();
        if a.pinned.len() > room {
            let more = a.pinned.len() - room + 1;
            top.truncate(room - 1);
            top.push(ratatui::text::Line::from(Span::styled(
                format!("… and {more} more WRITEs below"),
                Style::default().fg(t.write).add_modifier(Modifier::BOLD),
            )));
        }
        let height = top.len() as u16;
        frame.render_widget(Paragraph::new(top), Rect { height, ..inner });
        let rule = "─".repeat(inner.width as usize);
        frame.render_widget(
            Paragraph::new(Span::styled(rule, Style::default().fg(t.dim))),
            Rect { y: inner.y + height, height: 1, ..inner },
        );
        inner = Rect { y: inner.y + height + 1, height: inner.height - height - 1, ..inner };
    }
    let lines: Vec<_> = a.lines.iter().skip(state.review_scroll).take(inner.height as usize).cloned().collect();
    let stale = !state.analysis_current();
    let para = Paragraph::new(lines);
    frame.render_widget(if stale { para.style(Style::default().add_modifier(Modifier::DIM)) } else { para }, inner);
}

fn held_line(h: &crate::app::Held) -> String {
    format!("HELD #{}: {} — F5 within 10 s runs it anyway", h.index, h.said)
}
