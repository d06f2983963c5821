//! The results pane: a table scrollable both ways (only the visible rows are touched),
//! or the error with its SQLSTATE and the position marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::results::{display, elapsed};
use crate::app::{Body, Focus, State};
use crate::db::ValueKind;
use crate::db::render::NULL_DISPLAY;
use crate::words::plural;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let p = &state.results;
    let dim = Style::default().fg(t.dim);
    let extra = match (p.entries.get(p.current), &state.watch) {
        (_, Some(w)) => {
            let next = if state.running.is_some() {
                "running".to_string()
            } else {
                format!("next in {:.1} s", w.next_in(state.now).as_secs_f64())
            };
            Span::styled(
                format!(
                    "WATCHING every {} · {next} · run {} · + - interval · w or Esc stops",
                    crate::words::seconds(w.every),
                    w.runs
                ),
                Style::default().fg(t.warn).add_modifier(Modifier::BOLD),
            )
        }
        (Some(e), None) => {
            let of = if p.entries.len() > 1 {
                format!(" ({} of {}, ] [ switch)", p.current + 1, p.entries.len())
            } else {
                String::new()
            };
            Span::styled(format!("statement #{}{of}", e.index), dim)
        }
        (None, None) => Span::styled("nothing run yet", dim),
    };
    let block = super::pane(state, Focus::Results, "Results", Some(extra));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(entry) = p.entries.get(p.current) else {
        let msg = "Rows of reads show here. F5 runs the read under the cursor; Shift-F5 every read.";
        frame.render_widget(Paragraph::new(msg).style(dim).wrap(Wrap { trim: true }), inner);
        return;
    };
    match &entry.body {
        Body::Error { report, .. } => {
            let mut lines =
                vec![Line::from(Span::styled("ERROR", Style::default().fg(t.error).add_modifier(Modifier::BOLD)))];
            for (i, l) in report.lines().enumerate() {
                let style = if i == 0 { Style::default().fg(t.error) } else { Style::default().fg(t.text) };
                lines.push(Line::from(Span::styled(l.to_string(), style)));
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Body::Rows(table) if p.expanded => {
            let lines = records(table, p.top, p.row, inner.width as usize, inner.height as usize, state);
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Body::Rows(table) => {
            if inner.height < 2 {
                return;
            }
            let footer_h = 1;
            let body_h = inner.height.saturating_sub(1 + footer_h) as usize;
            let cols = &table.set.columns;
            // Columns from `left` that fit.
            let mut shown = Vec::new();
            let mut x = 0u16;
            // Start at `left`, moved right just enough that the selected column shows.
            let mut start = p.left.min(p.col).min(cols.len());
            while start < p.col && table.widths[start..=p.col].iter().map(|w| w + 3).sum::<u16>() > inner.width + 3 {
                start += 1;
            }
            for c in start..cols.len() {
                let w = table.widths[c];
                if x > 0 && x + w > inner.width {
                    break;
                }
                shown.push((c, x, w.min(inner.width.saturating_sub(x))));
                x += w + 3;
            }
            let buf = frame.buffer_mut();
            let header_style = Style::default().fg(t.heading).add_modifier(Modifier::BOLD);
            for &(c, cx, w) in &shown {
                let name = crate::ui::fit(&cols[c].name, w as usize);
                buf.set_stringn(inner.x + cx, inner.y, &name, w as usize, header_style);
                if cx > 0 {
                    buf.set_string(inner.x + cx - 2, inner.y, "│", dim);
                }
            }
            let top = p.top.min(table.set.rows.len());
            for (i, row) in table.set.rows[top..].iter().take(body_h).enumerate() {
                let y = inner.y + 1 + i as u16;
                let r = top + i;
                let row_style =
                    if r == p.row && state.focus == Focus::Results { t.selected() } else { Style::default() };
                if r == p.row && state.focus == Focus::Results {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), row_style);
                }
                for &(c, cx, w) in &shown {
                    if cx > 0 {
                        buf.set_string(inner.x + cx - 2, y, "│", dim.patch(row_style));
                    }
                    let (text, mut style) = match row.get(c).and_then(|v| v.as_deref()) {
                        None => (NULL_DISPLAY.to_string(), Style::default().fg(t.null).add_modifier(Modifier::ITALIC)),
                        Some(v) => (crate::ui::fit(&display(v), w as usize), Style::default().fg(t.text)),
                    };
                    style = style.patch(row_style);
                    if r == p.row && c == p.col && state.focus == Focus::Results {
                        style = style.add_modifier(Modifier::REVERSED);
                    }
                    // Changed since the watch's run before: coloured, and underlined for NO_COLOR.
                    if table.changed.contains(&(r, c)) {
                        style = style.fg(t.warn).add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
                    }
                    let pad = (w as usize).saturating_sub(text.width());
                    let cell_x = if cols[c].kind == ValueKind::Number { cx + pad as u16 } else { cx };
                    buf.set_stringn(inner.x + cell_x, y, &text, w as usize, style);
                }
            }
            let more = if table.more {
                format!(" · more rows exist (limit {})", state.setup.row_limit)
            } else {
                String::new()
            };
            let hidden = cols.len().saturating_sub(shown.len());
            let cols_note =
                if hidden > 0 { format!(" · {} →", plural(hidden, "more column")) } else { String::new() };
            let delta = match table.row_delta {
                Some(d) if d != 0 => format!(" ({d:+})"),
                _ => String::new(),
            };
            let footer = Line::from(vec![
                Span::styled(
                    format!("{}{delta}", plural(table.rows as usize, "row")),
                    Style::default().fg(t.text).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!(" · {}{more}{cols_note}", elapsed(table.elapsed)),
                    if table.more { Style::default().fg(t.warn) } else { dim },
                ),
                Span::styled("  y cell · Y row · a all (TSV)", dim),
            ]);
            let footer_area = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
            // Watching a single number: how it moved, at the footer's right.
            let history = state.watch.as_ref().map(|w| w.history.as_slice()).filter(|h| !h.is_empty());
            match history {
                Some(h) if inner.width >= 40 => {
                    let width = (h.len() as u16).clamp(8, inner.width / 3);
                    let last = h.last().copied().unwrap_or_default();
                    let (lo, hi) = h.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
                    let label = format!(" {last} (min {lo} max {hi})");
                    let label_w = label.width() as u16;
                    let spark_x = inner.x + inner.width.saturating_sub(width + label_w);
                    frame.render_widget(Paragraph::new(footer), Rect { width: spark_x - inner.x, ..footer_area });
                    // Values shifted to start at zero, so small moves of a big number show.
                    let data: Vec<u64> = h
                        .iter()
                        .skip(h.len().saturating_sub(width as usize))
                        .map(|v| ((v - lo) * 1000.0 / (hi - lo).max(1.0)) as u64 + 1)
                        .collect();
                    let spark =
                        ratatui::widgets::Sparkline::default().data(&data).max(1001).style(Style::default().fg(t.warn));
                    frame.render_widget(spark, Rect::new(spark_x, footer_area.y, width, 1));
                    frame.render_widget(
                        Paragraph::new(Span::styled(label, Style::default().fg(t.text))),
                        Rect::new(spark_x + width, footer_area.y, label_w, 1),
                    );
                }
                _ => frame.render_widget(Paragraph::new(footer), footer_area),
            }
        }
    }
}

/// psql's expanded display: `-[ RECORD n ]`, then a column a line, from record `top` on.
fn records(
    table: &crate::app::Table,
    top: usize,
    selected: usize,
    width: usize,
    height: usize,
    state: &State,
) -> Vec<Line<'static>> {
    let t = &state.setup.theme;
    let names: Vec<&str> = table.set.columns.iter().map(|c| c.name.as_str()).collect();
    let name_w = names.iter().map(|n| n.width()).max().unwrap_or(0).min(width / 2);
    let mut lines = Vec::new();
    for (r, row) in table.set.rows.iter().enumerate().skip(top) {
        if lines.len() >= height {
            break;
        }
        let head = format!("-[ RECORD {} ]", r + 1);
        let fill = "-".repeat(width.saturating_sub(head.width()));
        let mut style = Style::default().fg(t.heading).add_modifier(Modifier::BOLD);
        if r == selected && state.focus == Focus::Results {
            style = style.add_modifier(Modifier::REVERSED);
        }
        lines.push(Line::from(Span::styled(format!("{head}{fill}"), style)));
        for (c, name) in names.iter().enumerate() {
            let value_w = width.saturating_sub(name_w + 3);
            let (text, mut vstyle) = match row.get(c).and_then(|v| v.as_deref()) {
                None => (NULL_DISPLAY.to_string(), Style::default().fg(t.null).add_modifier(Modifier::ITALIC)),
                Some(v) => (crate::ui::fit(&display(v), value_w), Style::default().fg(t.text)),
            };
            if table.changed.contains(&(r, c)) {
                vstyle = vstyle.fg(t.warn).add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{:<name_w$}", crate::ui::fit(name, name_w)), Style::default().fg(t.heading)),
                Span::styled(" │ ", Style::default().fg(t.dim)),
                Span::styled(text, vstyle),
            ]));
        }
    }
    lines.truncate(height);
    lines
}
