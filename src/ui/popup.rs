//! Popups over the panes: every key (F1), the runbook's contents (t), the search prompt (/).

use crate::config::Action;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::app::{Popup, State};
use crate::config::Theme;

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
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

/// Every binding, for the help popup: (keys, what it does), grouped by where it applies.
pub fn help_lines(state: &State) -> Vec<Line<'static>> {
    let t = &state.setup.theme;
    let km = &state.setup.keymap;
    let head =
        |s: &str| Line::from(Span::styled(s.to_string(), Style::default().fg(t.heading).add_modifier(Modifier::BOLD)));
    let row = |k: String, what: &str| {
        // A long list of keys keeps a space before its words.
        let k = if k.chars().count() >= 16 { format!("{k} ") } else { k };
        Line::from(vec![
            Span::styled(format!("  {k:<16}"), Style::default().fg(t.focus)),
            Span::styled(what.to_string(), Style::default().fg(t.text)),
        ])
    };
    let mut lines = vec![head("Everywhere")];
    let mut seen = Vec::new();
    for a in km.global.values() {
        if !seen.contains(a) {
            seen.push(*a);
            lines.push(row(km.keys_for(*a), a.describe()));
        }
    }
    for (title, table) in [("Runbook pane", &km.runbook), ("Results pane", &km.results)] {
        lines.push(Line::default());
        lines.push(head(title));
        for (k, a) in table {
            lines.push(row(k.to_string(), a.describe()));
        }
    }
    lines.push(Line::default());
    lines.push(head("Moving"));
    lines.push(row("↑ ↓ PgUp PgDn".into(), "scroll the focused pane (j k too, except in the editor)"));
    lines.push(row("← → Home End".into(), "move between cells in the results"));
    // The plan and timeline views: their bindings, one row per action (all its keys).
    for (title, table) in [("Plan view", &km.plan), ("Timeline view", &km.timeline)] {
        lines.push(Line::default());
        lines.push(head(title));
        let mut actions: Vec<Action> = Vec::new();
        for a in table.values() {
            if !actions.contains(a) {
                actions.push(*a);
            }
        }
        for a in actions {
            let keys: Vec<String> = table.iter().filter(|(_, b)| **b == a).map(|(k, _)| k.to_string()).collect();
            lines.push(row(keys.join("/"), a.describe()));
        }
        if title == "Plan view" {
            lines.push(row(format!("1-{}", crate::plan::CHECKLIST.len()), "tick or untick the step's checklist item"));
        } else {
            lines.push(row("↑ ↓ Home End".into(), "select an event; its details show below"));
        }
    }
    lines.push(Line::default());
    lines.push(head("Editor"));
    lines.push(row("type / paste".into(), "Enter is a new line and never runs anything"));
    lines.push(row("Ctrl-U".into(), "undo"));
    lines.push(row("Shift-arrows".into(), "select; F5 then runs the reads of the selection"));
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, popup: &Popup) {
    let t = &state.setup.theme;
    let frame_block = |title: &str| {
        Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Double)
            .border_style(Style::default().fg(t.focus))
            .title(Span::styled(format!(" {title} "), Style::default().fg(t.focus).add_modifier(Modifier::BOLD)))
            .title_bottom(Span::styled(" Esc closes ", Style::default().fg(t.dim)))
    };
    // A few lines in a box of this width, in the middle of the screen.
    let boxed = |frame: &mut Frame, width: u16, lines: Vec<Line<'static>>, title: &str| {
        let r = centered(area, width, lines.len() as u16 + 2);
        frame.render_widget(Clear, r);
        let para = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
        frame.render_widget(para.block(frame_block(title)), r);
    };
    match popup {
        Popup::Timeline => super::timeline::draw(frame, area, state),
        Popup::Note { text } => super::timeline::draw_note(frame, area, state, text),
        Popup::KillSwitch { typed } => {
            let t = &state.setup.theme;
            let file = state.setup.freeze_file.as_ref().map_or(String::new(), |p| p.display().to_string());
            let lines = match &state.frozen {
                None => vec![
                    Line::from(Span::styled("Freeze every warroom that uses", Style::default().fg(t.text))),
                    Line::from(Span::styled(file, Style::default().fg(t.dim))),
                    Line::from(Span::styled("y freezes · any other key cancels", Style::default().fg(t.focus))),
                ],
                Some(f) => vec![
                    Line::from(Span::styled(f.describe(), Style::default().fg(t.text))),
                    Line::from(Span::styled(
                        "Type thaw and press Enter to thaw (Esc: stay frozen):",
                        Style::default().fg(t.focus),
                    )),
                    Line::from(Span::styled(format!("> {typed}█"), Style::default().fg(t.text))),
                ],
            };
            boxed(frame, 72, lines, "Kill switch");
        }
        Popup::Pin { typed } => {
            let cluster = state.identity.as_ref().map(|i| i.describe()).unwrap_or_default();
            let now = match &state.env {
                Some(v) if v.unpinned() => "not pinned yet: treated as production".to_string(),
                Some(v) => format!("pinned as {}", v.pinned.as_deref().unwrap_or("")),
                None => String::new(),
            };
            let lines = vec![
                Line::from(Span::styled(cluster, Style::default().fg(t.text))),
                Line::from(Span::styled(now, Style::default().fg(t.dim))),
                Line::from(Span::styled(
                    "Type its environment (production, staging, development, …) and press Enter:",
                    Style::default().fg(t.focus),
                )),
                Line::from(Span::styled(format!("> {typed}█"), Style::default().fg(t.text))),
            ];
            boxed(frame, 78, lines, "Pin this cluster");
        }
        Popup::Chart => {
            if let Some(data) = state.chart() {
                let r = centered(area, area.width.saturating_sub(4).max(20), area.height.saturating_sub(2).max(8));
                frame.render_widget(Clear, r);
                super::chart::render(&data, &state.setup.theme, r, frame.buffer_mut());
            }
        }
        Popup::Plan => super::plan::draw(frame, area, state),
        Popup::Confirm { step, typed, .. } => {
            super::plan::draw(frame, area, state);
            super::plan::draw_confirm(frame, area, state, *step, typed);
        }
        Popup::Help { scroll } => {
            let lines = help_lines(state);
            let r = centered(area, 78, lines.len() as u16 + 2);
            frame.render_widget(Clear, r);
            let para = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }).scroll((*scroll, 0));
            frame.render_widget(para.block(frame_block("Keys (↑ ↓ scroll)")), r);
        }
        Popup::Toc { selected } => {
            let heads = &state.runbook.view.headings;
            let r = centered(area, 60, heads.len() as u16 + 2);
            let inner_h = r.height.saturating_sub(2) as usize;
            let first = selected.saturating_sub(inner_h.saturating_sub(1));
            let lines: Vec<Line> = heads
                .iter()
                .enumerate()
                .skip(first)
                .take(inner_h)
                .map(|(i, h)| {
                    let text = format!("{}{}", "  ".repeat(h.level.saturating_sub(1) as usize), h.title);
                    let style = if i == *selected {
                        t.selected().fg(t.text).add_modifier(Modifier::BOLD)
                    } else {
                        Style::default().fg(t.text)
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect();
            frame.render_widget(Clear, r);
            frame.render_widget(Paragraph::new(lines).block(frame_block("Contents (Enter jumps)")), r);
        }
        Popup::Search { query } => {
            let r = centered(area, 50, 3);
            frame.render_widget(Clear, r);
            let line = Line::from(vec![
                Span::styled("/", Style::default().fg(t.dim)),
                Span::styled(format!("{query}█"), Style::default().fg(t.text)),
            ]);
            frame.render_widget(Paragraph::new(line).block(frame_block("Search the runbook (Enter)")), r);
        }
    }
}
