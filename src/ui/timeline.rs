//! The incident timeline (F7): every event, newest last, and the selected one's details;
//! and the one-line note box (Ctrl-N).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::State;
use crate::config::Theme;
use crate::timeline::Event;
use crate::words::plural;

/// The most lines of one detail value shown; the rest is in the export.
const DETAIL_LINES: usize = 40;

fn kind_colour(kind: &str, t: &Theme) -> Color {
    match kind {
        "read" => t.ok,
        "refused" | "error" | "connect_failed" | "disconnected" | "cancel" => t.warn,
        "staged" | "plan_reviewed" => t.heading,
        "note" => t.focus,
        _ => t.dim,
    }
}

/// The selected event: when, who, what, then each detail (long values cut).
fn detail_lines(e: &Event, t: &Theme) -> Vec<Line<'static>> {
    let label = Style::default().fg(t.heading).add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} · ", e.occurred_at), Style::default().fg(t.dim)),
            Span::styled(format!("{} · ", e.actor), Style::default().fg(t.text)),
            Span::styled(e.kind.clone(), Style::default().fg(kind_colour(&e.kind, t))),
            Span::styled(format!(" · event {}", e.seq), Style::default().fg(t.dim)),
        ]),
        Line::from(Span::styled(e.summary.clone(), Style::default().fg(t.text).add_modifier(Modifier::BOLD))),
    ];
    let Some(map) = e.details.as_object() else { return lines };
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => {
                let s = other.to_string();
                if s.len() > 4000 { format!("{}…", s.chars().take(4000).collect::<String>()) } else { s }
            }
        };
        let mut body = text.lines();
        lines.push(Line::from(vec![
            Span::styled(format!("{k}: "), label),
            Span::styled(body.next().unwrap_or("").to_string(), Style::default().fg(t.code)),
        ]));
        let rest: Vec<&str> = body.collect();
        for l in rest.iter().take(DETAIL_LINES) {
            lines.push(Line::from(Span::styled(format!("  {l}"), Style::default().fg(t.code))));
        }
        if rest.len() > DETAIL_LINES {
            lines.push(Line::from(Span::styled(
                format!("  … {} more (in the export)", plural(rest.len() - DETAIL_LINES, "line")),
                Style::default().fg(t.dim),
            )));
        }
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let events = &state.timeline;
    let incident = state.setup.incident.as_deref().unwrap_or("-");
    let title = format!(" Timeline · incident {incident} · {} · all times UTC ", plural(events.len(), "event"));
    let keys = " ↑↓ select · e export timeline.md + .json · Ctrl-N note · Esc close ";
    let inner = super::popup::sheet(frame, area, t, &title, keys);
    if events.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled("No event yet.", Style::default().fg(t.dim))), inner);
        return;
    }
    let selected = state.timeline_selected.min(events.len() - 1);
    let (list, details, first) =
        super::popup::list_and_details(frame, inner, t, events.len(), selected, inner.height * 3 / 5);
    let rows: Vec<Line> = events
        .iter()
        .enumerate()
        .skip(first)
        .take(list.height as usize)
        .map(|(i, e)| {
            let base = if i == selected { t.selected() } else { Style::default() };
            Line::from(vec![
                Span::styled(if i == selected { "▶ " } else { "  " }, base.fg(t.focus)),
                Span::styled(format!("{} ", e.time_of_day()), base.fg(t.dim)),
                Span::styled(format!("{:<10} ", super::fit(&e.actor, 10)), base.fg(t.text)),
                Span::styled(format!("{:<14} ", e.kind), base.fg(kind_colour(&e.kind, t))),
                Span::styled(e.summary.clone(), base.fg(t.text)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), list);
    let para = Paragraph::new(detail_lines(&events[selected], t)).wrap(Wrap { trim: false });
    frame.render_widget(para, details);
}
