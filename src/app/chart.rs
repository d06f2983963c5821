//! A result as a chart's data (`c` in the results, `warroom query --chart`): a time or
//! ordinal first column against the numeric columns after it, or a watched number over its
//! runs. Made once when a result arrives; `ui::chart` draws it.

use super::results::Table;
use crate::db::ValueKind;
/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// What a chart shows: the series, and the x axis's name and labels (first, middle, last).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub title: String,
    pub x_name: String,
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
}

const TIME_TYPES: &[&str] = &["timestamptz", "timestamp", "date", "time", "timetz"];
/// Most series drawn; more would not be told apart.
const MAX_SERIES: usize = 4;
/// Most points a series keeps: no terminal shows more (two braille dots a column).
const MAX_POINTS: usize = 1000;

/// At most `MAX_POINTS` points, keeping each stretch's lowest and highest, so spikes stay.
fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let per = points.len().div_ceil(MAX_POINTS / 2);
    points
        .chunks(per)
        .flat_map(|c| {
            let lo = c.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)).expect("chunks are not empty");
            let hi = c.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).expect("chunks are not empty");
            if lo.0 <= hi.0 { [lo, hi] } else { [hi, lo] }
        })
        .collect()
}

/// The chart a table makes: its first column is a time (x is the row's place, labelled with
/// the times) or a number (x is its value), and at least one numeric column follows.
pub fn from_table(table: &Table) -> Option<ChartData> {
    let cols = &table.set.columns;
    let first = cols.first()?;
    let time = TIME_TYPES.contains(&first.type_name.as_str());
    if !time && first.kind != ValueKind::Number {
        return None;
    }
    let numeric: Vec<usize> = (1..cols.len()).filter(|&c| cols[c].kind == ValueKind::Number).take(MAX_SERIES).collect();
    if numeric.is_empty() || table.set.rows.len() < 2 {
        return None;
    }
    let x_of = |r: usize| -> Option<f64> {
        if time { Some(r as f64) } else { table.set.rows[r].first()?.as_deref()?.parse().ok() }
    };
    let series = numeric
        .iter()
        .map(|&c| Series {
            name: cols[c].name.clone(),
            points: thin(
                (0..table.set.rows.len())
                    .filter_map(|r| {
                        let y = table.set.rows[r].get(c)?.as_deref()?.parse::<f64>().ok()?;
                        Some((x_of(r)?, y))
                    })
                    .collect(),
            ),
        })
        .collect();
    let n = table.set.rows.len();
    let label = |r: usize| table.set.rows[r].first().and_then(|v| v.as_deref()).unwrap_or("∅").to_string();
    let (x_name, x_labels) = short_times(&first.name, vec![label(0), label(n / 2), label(n - 1)]);
    Some(ChartData {
        title: format!(
            "{} by {}",
            numeric.iter().map(|&c| cols[c].name.as_str()).collect::<Vec<_>>().join(", "),
            first.name
        ),
        x_name,
        x_labels,
        series,
    })
}

/// Times of one day as HH:MM(:SS), the day and zone said once in the axis's name.
fn short_times(name: &str, labels: Vec<String>) -> (String, Vec<String>) {
    let split: Vec<Option<(&str, &str)>> = labels.iter().map(|l| l.split_once(' ')).collect();
    let Some(day) = split[0].map(|(d, _)| d) else { return (name.to_string(), labels) };
    if split.iter().any(|p| p.is_none_or(|(d, _)| d != day)) {
        return (name.to_string(), labels);
    }
    let times: Vec<&str> = split.iter().map(|p| p.map_or("", |(_, t)| t)).collect();
    let zone = times[0].find(['+', '-']).map(|i| &times[0][i..]).filter(|z| times.iter().all(|t| t.ends_with(z)));
    let bare: Vec<&str> = times.iter().map(|t| zone.map_or(*t, |z| &t[..t.len() - z.len()])).collect();
    let minutes = bare.iter().all(|t| t.len() == 8 && t.ends_with(":00"));
    let shown = bare.iter().map(|t| if minutes { t[..5].to_string() } else { t.to_string() }).collect();
    let zone = zone.map(|z| format!(" UTC{z}")).unwrap_or_default();
    (format!("{name} ({day}{zone})"), shown)
}

/// A watched number over its runs, `every` apart.
pub fn from_history(name: &str, values: &[f64], every_secs: f64) -> Option<ChartData> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len();
    let ago = |i: usize| format!("-{:.0} s", (n - 1 - i) as f64 * every_secs);
    Some(ChartData {
        title: format!("{name}, watched"),
        x_name: "run".into(),
        x_labels: vec![ago(0), ago(n / 2), "now".into()],
        series: vec![Series {
            name: name.into(),
            points: values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect(),
        }],
    })
}

/// The chart popup: its [chart] keys close it.
pub(super) fn on_key(state: &mut super::State, key: crossterm::event::KeyEvent) {
    let close = state.setup.keymap.action(crate::config::keymap::Context::Chart, &key);
    if close != Some(crate::config::Action::Close) {
        state.popup = Some(super::Popup::Chart);
    }
}
