//! Draws a chart (`app::chart`): lines with labelled axes; the legend names every series,
//! so it reads without colour.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, LegendPosition, Widget};

use crate::app::chart::ChartData;
use crate::config::Theme;

/// A number as an axis label: 1234567 → 1.2M.
fn num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        crate::db::heavy::short(v)
    } else if v.fract() == 0.0 {
        format!("{v}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws `data` into `area` of `buf`.
pub fn render(data: &ChartData, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let colours = [theme.read, theme.write, theme.warn, theme.ok];
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in data.series.iter().flat_map(|s| s.points.iter()) {
        (x0, x1, y0, y1) = (x0.min(*x), x1.max(*x), y0.min(*y), y1.max(*y));
    }
    if x0 > x1 {
        return;
    }
    if y0 == y1 {
        (y0, y1) = (y0 - 1.0, y1 + 1.0);
    }
    let datasets: Vec<Dataset> = data
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Dataset::default()
                .name(s.name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(colours[i % colours.len()]))
                .data(&s.points)
        })
        .collect();
    let dim = Style::default().fg(theme.dim);
    let x_axis =
        Axis::default().title(Span::styled(data.x_name.clone(), dim)).style(dim).bounds([x0, x1.max(x0 + 1.0)]).labels(
            data.x_labels.iter().map(|l| Span::styled(l.clone(), Style::default().fg(theme.text))).collect::<Vec<_>>(),
        );
    let y_axis = Axis::default().style(dim).bounds([y0, y1]).labels(
        [num(y0), num((y0 + y1) / 2.0), num(y1)]
            .into_iter()
            .map(|l| Span::styled(l, Style::default().fg(theme.text)))
            .collect::<Vec<_>>(),
    );
    let block = Block::default().borders(Borders::ALL).border_style(Style::default().fg(theme.focus)).title(
        Span::styled(format!(" {} ", data.title), Style::default().fg(theme.focus).add_modifier(Modifier::BOLD)),
    );
    Chart::new(datasets)
        .block(block)
        .x_axis(x_axis)
        .y_axis(y_axis)
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((
            ratatui::layout::Constraint::Percentage(60),
            ratatui::layout::Constraint::Percentage(60),
        ))
        .render(area, buf);
}

/// The chart as plain text lines `width` by `height` (for a terminal or a chat message).
pub fn to_text(data: &ChartData, width: u16, height: u16) -> String {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    render(data, &Theme::default(), area, &mut buf);
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The chart popup (c in the results), nearly the whole screen (its keys are app/chart.rs).
pub fn draw_popup(frame: &mut ratatui::Frame, area: Rect, state: &crate::app::State) {
    if let Some(data) = state.chart() {
        let r =
            super::popup::centered(area, area.width.saturating_sub(4).max(20), area.height.saturating_sub(2).max(8));
        frame.render_widget(ratatui::widgets::Clear, r);
        render(&data, &state.setup.theme, r, frame.buffer_mut());
    }
}

#[cfg(test)]
mod data_tests {
    //! The chart's data (app::chart) drawn as text.
    use super::to_text;
    use crate::app::chart::*;
    use crate::app::results::Table;
    use crate::db::Column;
    use crate::db::ValueKind;
    use crate::db::render::ResultSet;

    fn table(first: (&str, &str, ValueKind), rows: &[(&str, &str)]) -> Table {
        let set = ResultSet {
            columns: vec![
                Column { name: first.0.into(), type_name: first.1.into(), kind: first.2 },
                Column { name: "errors".into(), type_name: "int8".into(), kind: ValueKind::Number },
            ],
            rows: rows.iter().map(|(a, b)| vec![Some(Box::from(*a)), Some(Box::from(*b))]).collect(),
        };
        let outcome = crate::db::Outcome { rows: rows.len() as u64, more: false, elapsed: Default::default() };
        match crate::app::ResultEntry::rows(1, String::new(), set, &outcome).body {
            crate::app::Body::Rows(t) => t,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_time_series_charts_and_text_does_not() {
        let at = |m: u32| format!("2026-11-21 14:{m:02}:00+00");
        let rows = [(at(0), "1"), (at(1), "5"), (at(2), "3")];
        let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), *b)).collect();
        let t = table(("at", "timestamptz", ValueKind::Text), &rows);
        let data = from_table(&t).unwrap();
        assert_eq!(data.x_labels, ["14:00", "14:01", "14:02"]);
        assert_eq!(data.x_name, "at (2026-11-21 UTC+00)");
        assert_eq!(data.series[0].points, [(0.0, 1.0), (1.0, 5.0), (2.0, 3.0)]);
        let text = to_text(&data, 60, 14);
        println!("{text}");
        assert!(text.contains("errors by at") && text.contains("14:02"), "{text}");
        let words = table(("name", "text", ValueKind::Text), &[("a", "1"), ("b", "2")]);
        assert_eq!(from_table(&words), None, "a text first column is no axis");
        let one = table(("n", "int4", ValueKind::Number), &[("1", "1")]);
        assert_eq!(from_table(&one), None, "one row is no line");
        let watched = from_history("count", &[0.0, 2.0, 1.0], 2.0).unwrap();
        assert_eq!(watched.x_labels, ["-4 s", "-2 s", "now"]);
    }
}
