//! The plan view (F6): the staged steps, the selected one's checklist, evidence, forward
//! and rollback SQL; and the typed confirmation that marks the plan reviewed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::app::State;
use crate::plan::{self, CHECKLIST, Plan, Step};
use crate::words::plural;

fn status(plan: &Plan) -> String {
    match &plan.reviewed {
        Some(r) => format!("REVIEWED by {} at {}", r.by, r.at),
        None => "DRAFT".into(),
    }
}

/// The selected step: its checklist, then its text in plan.sql, then its way back.
/// `width`: the pane's; a sample of rows wider than it is shown as records instead.
pub fn detail_lines(state: &State, plan: &Plan, step: &Step, width: u16) -> Vec<Line<'static>> {
    let t = &state.setup.theme;
    let mut lines = vec![Line::from(Span::styled(
        format!("Checklist for step {} (press the number to tick):", step.n),
        Style::default().fg(t.heading).add_modifier(Modifier::BOLD),
    ))];
    for (i, item) in CHECKLIST.iter().enumerate() {
        let on = step.checklist[i];
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", i + 1), Style::default().fg(t.focus)),
            Span::styled(if on { "[x] " } else { "[ ] " }, Style::default().fg(if on { t.ok } else { t.warn })),
            Span::styled(item.to_string(), Style::default().fg(t.text)),
        ]));
    }
    lines.push(Line::default());
    let comment = |l: &str| {
        let loud = ["CAUTION", "IRREVERSIBLE", "EVIDENCE MISSING", "PARTIAL"].iter().any(|w| l.contains(w));
        Style::default().fg(if loud { t.warn } else { t.dim })
    };
    let mut text = plan::render_step(step, plan.steps.len());
    if let Some(e) = step.evidence.as_ref().filter(|e| !e.sample_records.is_empty()) {
        let indent = "--     ";
        let wide =
            e.sample.iter().any(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) + indent.len() > width as usize);
        if wide {
            let as_lines = |ls: &[String]| ls.iter().map(|l| format!("{indent}{l}\n")).collect::<String>();
            text = text.replace(&as_lines(&e.sample), &as_lines(&e.sample_records));
        }
    }
    for l in text.lines().skip_while(|l| l.is_empty()) {
        let style = if l.trim_start().starts_with("--") { comment(l) } else { Style::default().fg(t.code) };
        lines.push(Line::from(Span::styled(l.to_string(), style)));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!("-- rollback.sql, undo step {}:", step.n),
        Style::default().fg(t.heading).add_modifier(Modifier::BOLD),
    )));
    if let Some(why) = &step.irreversible {
        lines.push(Line::from(Span::styled(format!("-- {why}"), comment("IRREVERSIBLE"))));
    }
    for l in step.rollback.as_deref().unwrap_or("").lines() {
        let style = if l.starts_with("--") { comment(l) } else { Style::default().fg(t.code) };
        lines.push(Line::from(Span::styled(l.to_string(), style)));
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let Some(plan) = &state.plan else { return };
    let t = &state.setup.theme;
    let title =
        format!(" Plan · incident {} · {} · {} ", plan.incident, status(plan), plural(plan.steps.len(), "step"));
    let keys = " ←→ step · ↑↓ scroll · 1-5 tick · m mark reviewed · Esc close ";
    let inner = super::popup::sheet(frame, area, t, &title, keys);
    let selected = state.plan_view.step.min(plan.steps.len().saturating_sub(1));
    let (list, details, first) =
        super::popup::list_and_details(frame, inner, t, plan.steps.len(), selected, inner.height / 3);
    let rows: Vec<Line> = plan
        .steps
        .iter()
        .enumerate()
        .skip(first)
        .take(list.height as usize)
        .map(|(i, s)| {
            let (flag, loud) = s.way_back();
            let rows = s.evidence.as_ref().and_then(|e| e.rows).map(|r| format!("{} · ", plural(r as usize, "row")));
            let ticks = s.checklist.iter().filter(|c| **c).count();
            let base = if i == selected { t.selected() } else { Style::default() };
            Line::from(vec![
                Span::styled(if i == selected { "▶ " } else { "  " }, base.fg(t.focus)),
                Span::styled(format!("{}. {}  ", s.n, plan::headline(s)), base.fg(t.text).add_modifier(Modifier::BOLD)),
                Span::styled(rows.unwrap_or_default(), base.fg(t.text)),
                Span::styled(format!("{ticks}/{} ticked · ", CHECKLIST.len()), base.fg(t.dim)),
                Span::styled(flag, base.fg(if loud { t.warn } else { t.ok })),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), list);
    if let Some(step) = plan.steps.get(selected) {
        let para = Paragraph::new(detail_lines(state, plan, step, details.width))
            .wrap(Wrap { trim: false })
            .scroll((state.plan_view.scroll, 0));
        frame.render_widget(para, details);
    }
}

/// The typed confirmation: the table name and row count of each step, in turn.
pub fn draw_confirm(frame: &mut Frame, area: Rect, state: &State, step: usize, typed: &str) {
    let Some(plan) = &state.plan else { return };
    let Some(s) = plan.steps.get(step) else { return };
    let t = &state.setup.theme;
    let r = super::popup::centered(area, 76, 7);
    frame.render_widget(Clear, r);
    let what = if s.evidence.as_ref().and_then(|e| e.rows).is_some() {
        "the table name and the row count"
    } else {
        "the table name"
    };
    let lines = vec![
        Line::from(Span::styled(
            format!("Step {} of {}: {}", s.n, plan.steps.len(), plan::headline(s)),
            Style::default().fg(t.text).add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            format!("Type {what} you reviewed (as `table rows`), then Enter:"),
            Style::default().fg(t.text),
        )),
        Line::from(vec![
            Span::styled("> ", Style::default().fg(t.focus)),
            Span::styled(format!("{typed}█"), Style::default().fg(t.text)),
        ]),
        Line::from(Span::styled("Typed by hand: pasting is ignored here.", Style::default().fg(t.dim))),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(Style::default().fg(t.warn))
        .title(Span::styled(" Mark the plan reviewed ", Style::default().fg(t.warn).add_modifier(Modifier::BOLD)))
        .title_bottom(Span::styled(" Esc goes back ", Style::default().fg(t.dim)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), r);
}
