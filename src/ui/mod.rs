//! Drawing: functions of `&State` only. No IO, no parsing, no highlighting here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{Focus, State};

mod banner;
pub mod chart;
mod contents;
mod help;
pub use help::help_lines;
mod kill_switch;
mod note;
mod pin;
mod plan;
mod popup;
mod results;
mod review;
mod runbook;
mod search;
mod status;
mod timeline;

pub use crate::app::layout::{Areas, NARROW_WIDTH, banner_height, is_narrow, layout};

/// A pane's frame: its number (Alt-n) and title, brighter when focused.
pub fn pane<'a>(state: &State, focus: Focus, title: &str, extra: Option<Span<'a>>) -> Block<'a> {
    let t = &state.setup.theme;
    let focused = state.focus == focus;
    let style = if focused { Style::default().fg(t.focus) } else { Style::default().fg(t.border) };
    let title_style = if focused { style.add_modifier(Modifier::BOLD) } else { Style::default().fg(t.dim) };
    let mut spans = vec![Span::styled(format!(" {} {} ", focus.number(), title), title_style)];
    if let Some(e) = extra {
        spans.push(e);
        spans.push(Span::raw(" "));
    }
    let borders = if is_narrow(state.size) { Borders::TOP } else { Borders::ALL };
    Block::default()
        .borders(borders)
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(style)
        .title(ratatui::text::Line::from(spans))
}

pub fn draw(frame: &mut Frame, state: &State) {
    let areas = layout(frame.area(), state);
    banner::draw(frame, areas.banner, state);
    if let Some(r) = areas.runbook {
        runbook::draw(frame, r, state);
    }
    if let Some(r) = areas.editor {
        review::draw_editor(frame, r, state);
    }
    if let Some(r) = areas.review {
        review::draw_review(frame, r, state);
    }
    if let Some(r) = areas.results {
        results::draw(frame, r, state);
    }
    status::draw(frame, areas.status, state);
    if let Some(p) = &state.popup {
        // Popups never cover the banner.
        let below = Rect {
            y: areas.banner.bottom(),
            height: frame.area().height.saturating_sub(areas.banner.height),
            ..frame.area()
        };
        popup::draw(frame, below, state, p);
    }
}

/// `s` cut to `width` columns, with … when cut.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let total: usize = unicode_width::UnicodeWidthStr::width(s);
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}
