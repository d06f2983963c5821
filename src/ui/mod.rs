//! Drawing: functions of `&State` only. No IO, no parsing, no highlighting here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{Focus, State};

mod banner;
pub mod chart;
mod plan;
mod popup;
mod results;
mod review;
mod runbook;
mod status;
mod timeline;

/// Below this width the panes stack (and the runbook toggles) instead of sitting side by side.
pub const NARROW_WIDTH: u16 = 100;

pub fn is_narrow(size: (u16, u16)) -> bool {
    size.0 < NARROW_WIDTH
}

/// Where each pane goes; a pane that is hidden at this size is None.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub banner: Rect,
    pub runbook: Option<Rect>,
    pub editor: Option<Rect>,
    pub review: Option<Rect>,
    pub results: Option<Rect>,
    pub status: Rect,
}

pub fn banner_height(area: Rect) -> u16 {
    if area.height >= 20 && area.width >= 60 { 5 } else { 2 }
}

pub fn layout(area: Rect, state: &State) -> Areas {
    let [banner, body, status] =
        Layout::vertical([Constraint::Length(banner_height(area)), Constraint::Fill(1), Constraint::Length(1)])
            .areas(area);
    let mut a = Areas { banner, status, ..Areas::default() };
    if !is_narrow((area.width, area.height)) {
        let [left, right] = Layout::horizontal([Constraint::Percentage(38), Constraint::Fill(1)]).areas(body);
        let [e, r, res] =
            Layout::vertical([Constraint::Percentage(28), Constraint::Percentage(30), Constraint::Fill(1)])
                .areas(right);
        a.runbook = Some(left);
        (a.editor, a.review, a.results) = (Some(e), Some(r), Some(res));
    } else if state.focus == Focus::Runbook {
        a.runbook = Some(body);
    } else {
        // The focused pane gets most of the room; the editor shares it with its review.
        let weights = match state.focus {
            Focus::Editor => [4, 4, 2],
            Focus::Review => [2, 6, 2],
            _ => [2, 2, 6],
        };
        let [e, r, res] = Layout::vertical(weights.map(Constraint::Fill)).areas(body);
        (a.editor, a.review, a.results) = (Some(e), Some(r), Some(res));
    }
    a
}

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
