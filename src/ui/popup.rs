//! Which popup to draw, and the frames they share (a centered box, a sheet over the panes,
//! a list with details). Each popup draws itself in ui/<its name>.rs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::app::{Popup, State};
use crate::config::Theme;

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

/// A popup's double frame with its title; Esc closes it.
pub(super) fn frame_block(state: &State, title: &str) -> Block<'static> {
    let t = &state.setup.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(t.focus))
        .title(Span::styled(format!(" {title} "), Style::default().fg(t.focus).add_modifier(Modifier::BOLD)))
        .title_bottom(Span::styled(" Esc closes ", Style::default().fg(t.dim)))
}

/// A few lines in a framed box of this width, in the middle of `area`.
pub(super) fn boxed(frame: &mut Frame, area: Rect, state: &State, width: u16, lines: Vec<Line<'static>>, title: &str) {
    let r = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    frame.render_widget(para.block(frame_block(state, title)), r);
}

/// A sheet over the panes (the status line stays visible below it: it answers every key
/// here), framed, with a title and key hints; returns its inside.
pub(super) fn sheet(frame: &mut Frame, area: Rect, t: &Theme, title: &str, keys: &str) -> Rect {
    let r = Rect { height: area.height.saturating_sub(1), ..area };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(t.focus))
        .title(Span::styled(title.to_string(), Style::default().fg(t.focus).add_modifier(Modifier::BOLD)))
        .title_bottom(Span::styled(keys.to_string(), Style::default().fg(t.dim)));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}

/// A sheet's inside split into a list of `count` rows (at most `max` high), a rule, and
/// the details below; with the first row to draw so that `selected` stays in view.
pub(super) fn list_and_details(
    frame: &mut Frame,
    inner: Rect,
    t: &Theme,
    count: usize,
    selected: usize,
    max: u16,
) -> (Rect, Rect, usize) {
    let list_h = (count as u16).clamp(1, max.max(1));
    let [list, rule, details] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        Paragraph::new(Span::styled("─".repeat(rule.width as usize), Style::default().fg(t.border))),
        rule,
    );
    (list, details, selected.saturating_sub(list_h as usize - 1))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, popup: &Popup) {
    match popup {
        Popup::Timeline => super::timeline::draw(frame, area, state),
        Popup::Note { text } => super::note::draw(frame, area, state, text),
        Popup::KillSwitch { typed } => super::kill_switch::draw(frame, area, state, typed),
        Popup::Pin { typed } => super::pin::draw(frame, area, state, typed),
        Popup::Chart => super::chart::draw_popup(frame, area, state),
        Popup::Plan => super::plan::draw(frame, area, state),
        Popup::Confirm { step, typed, .. } => {
            super::plan::draw(frame, area, state);
            super::plan::draw_confirm(frame, area, state, *step, typed);
        }
        Popup::Help { scroll } => super::help::draw(frame, area, state, *scroll),
        Popup::Toc { selected } => super::contents::draw(frame, area, state, *selected),
        Popup::Search { query } => super::search::draw(frame, area, state, query),
    }
}
