//! Results as the cockpit holds them: measured once when they arrive, so drawing a
//! 100,000-row result only touches the rows on screen.

use super::*;
use std::time::Duration;

use crossterm::event::KeyCode;
use unicode_width::UnicodeWidthStr;

use super::ResultsPane;
use crate::config::Action;
use crate::db::render::ResultSet;
use crate::db::{DbError, Outcome};

/// Widest a column gets on screen; the cell is cut with … beyond it.
pub const MAX_COLUMN_WIDTH: u16 = 40;

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub set: ResultSet,
    pub widths: Vec<u16>,
    pub rows: u64,
    pub more: bool,
    pub elapsed: Duration,
    /// Under watch: the cells (row, column) that differ from the run before.
    pub changed: Vec<(usize, usize)>,
    /// Under watch: how the row count changed since the run before.
    pub row_delta: Option<i64>,
    /// What `c` draws, when the result makes a chart (worked out once, as it arrives).
    pub chart: Option<super::chart::ChartData>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Rows(Table),
    /// psql's report: message (SQLSTATE), LINE n: and caret, DETAIL, HINT.
    Error {
        sqlstate: Option<String>,
        report: String,
    },
}

/// One statement's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultEntry {
    pub index: usize,
    pub sql: String,
    pub body: Body,
}

impl ResultEntry {
    pub fn rows(index: usize, sql: String, set: ResultSet, outcome: &Outcome) -> ResultEntry {
        let mut widths: Vec<u16> = set.columns.iter().map(|c| c.name.width() as u16).collect();
        for row in &set.rows {
            for (w, v) in widths.iter_mut().zip(row) {
                let cell = v.as_deref().map_or(1, |v| display(v).width()) as u16;
                *w = (*w).max(cell.min(MAX_COLUMN_WIDTH));
            }
        }
        let widths = widths.into_iter().map(|w| w.clamp(1, MAX_COLUMN_WIDTH)).collect();
        let mut table = Table {
            set,
            widths,
            rows: outcome.rows,
            more: outcome.more,
            elapsed: outcome.elapsed,
            changed: Vec::new(),
            row_delta: None,
            chart: None,
        };
        table.chart = super::chart::from_table(&table);
        ResultEntry { index, sql, body: Body::Rows(table) }
    }

    pub fn error(index: usize, sql: String, e: &DbError) -> ResultEntry {
        let body = match e.server() {
            Some(s) => Body::Error { sqlstate: Some(s.sqlstate.clone()), report: s.report(Some(&sql)) },
            None => Body::Error { sqlstate: None, report: e.to_string() },
        };
        ResultEntry { index, sql, body }
    }
}

/// A cell as one line: newlines and tabs made visible.
pub fn display(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\n', '\r', '\t']) {
        v.replace("\r\n", "↵").replace(['\n', '\r'], "↵").replace('\t', "→").into()
    } else {
        v.into()
    }
}

pub fn elapsed(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 { format!("{ms:.1} ms") } else { format!("{:.2} s", ms / 1000.0) }
}

/// Arrow keys (or what the [moving] keys stand for), pages, Home/End, moving the selected cell and keeping it on screen.
pub fn navigate(p: &mut ResultsPane, code: KeyCode) {
    let Some(t) = p.table() else { return };
    let (nrows, ncols) = (t.set.rows.len(), t.set.columns.len());
    if nrows == 0 && ncols == 0 {
        return;
    }
    let page = p.height.max(1) as usize;
    match code {
        KeyCode::Down => p.row = (p.row + 1).min(nrows.saturating_sub(1)),
        KeyCode::Up => p.row = p.row.saturating_sub(1),
        KeyCode::PageDown => p.row = (p.row + page).min(nrows.saturating_sub(1)),
        KeyCode::PageUp => p.row = p.row.saturating_sub(page),
        KeyCode::Home => p.row = 0,
        KeyCode::End => p.row = nrows.saturating_sub(1),
        KeyCode::Right => p.col = (p.col + 1).min(ncols.saturating_sub(1)),
        KeyCode::Left => p.col = p.col.saturating_sub(1),
        _ => {}
    }
    if p.expanded {
        // A record at a time: the selected one on top.
        p.top = p.row;
    } else if p.row < p.top {
        p.top = p.row;
    } else if p.row >= p.top + page {
        p.top = p.row + 1 - page;
    }
    if p.col < p.left {
        p.left = p.col;
    }
}

/// What a copy action puts on the clipboard (TSV), and what to call it.
pub fn copy(p: &ResultsPane, action: Action) -> Option<(String, String)> {
    let t = p.table()?;
    let cell = |v: &Option<Box<str>>| tsv_field(v.as_deref());
    match action {
        Action::CopyCell => {
            let v = t.set.rows.get(p.row)?.get(p.col)?;
            Some((
                v.as_deref().unwrap_or("").to_string(),
                format!("the cell at row {}, {}", p.row + 1, t.set.columns[p.col].name),
            ))
        }
        Action::CopyRow => {
            let row = t.set.rows.get(p.row)?;
            Some((row.iter().map(cell).collect::<Vec<_>>().join("\t"), format!("row {} as TSV", p.row + 1)))
        }
        _ => {
            if t.set.columns.is_empty() {
                return None;
            }
            let mut out = t.set.columns.iter().map(|c| tsv_field(Some(&c.name))).collect::<Vec<_>>().join("\t");
            for row in &t.set.rows {
                out.push('\n');
                out.push_str(&row.iter().map(cell).collect::<Vec<_>>().join("\t"));
            }
            Some((out, format!("{} rows as TSV", t.set.rows.len())))
        }
    }
}

/// A TSV field: tabs, newlines and backslashes escaped as PostgreSQL's text format does;
/// NULL is empty.
fn tsv_field(v: Option<&str>) -> String {
    let Some(v) = v else { return String::new() };
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s
}

/// A read held back as heavy: nothing of it ran; F5 within a while runs it anyway.
pub(super) fn held(state: &mut State, id: u64, index: usize, said: String) -> Vec<Effect> {
    let Some(run) = state.running.as_ref().filter(|r| r.id == id) else { return vec![] };
    let reads = run.reads.clone();
    state.say(format!("Held back #{index}, nothing of it ran: {said}. F5 within 10 s runs it anyway."), Tone::Warn);
    let record = Entry::held("cockpit", "F5", index, &said).with("run", id);
    state.held = Some(Held { reads, index, said, until: state.now + HELD_FOR });
    vec![Effect::Record(record)]
}

/// One read's result of the run `id`.
pub(super) fn arrived(state: &mut State, id: u64, entry: ResultEntry) -> Vec<Effect> {
    let Some(run) = state.running.as_mut().filter(|r| r.id == id) else { return vec![] };
    run.done += 1;
    // The previous run's results stay on screen until the first new one arrives.
    if run.done == 1 {
        state.results.entries.clear();
    }
    let result = match &entry.body {
        Body::Rows(t) => Ok((t.rows, t.more, t.elapsed)),
        Body::Error { sqlstate, report } => Err((sqlstate.clone(), report.clone())),
    };
    let mut entry = entry;
    let watched = state.watch.as_mut().filter(|w| w.run_id == Some(id));
    let fx = match watched {
        // A watch is one timeline entry when it stops, not one per run.
        Some(w) => {
            if let Body::Rows(t) = &mut entry.body {
                watch::arrived(w, t);
            }
            vec![]
        }
        None => vec![Effect::Record(Entry::read("cockpit", entry.index, &entry.sql, result))],
    };
    // Under watch, the view stays where the person put it.
    let keep = (state.results.row, state.results.col, state.results.top, state.results.left);
    state.results.entries.push(entry);
    state.results.show(state.results.entries.len() - 1);
    if state.watch.is_some() {
        (state.results.row, state.results.col, state.results.top, state.results.left) = keep;
    }
    fx
}

/// The run `id` is over: say how it went.
pub(super) fn finished(state: &mut State, id: u64, lost: Option<String>) -> Vec<Effect> {
    if state.running.as_ref().is_none_or(|r| r.id != id) {
        return vec![];
    }
    let run = state.running.take().expect("checked above");
    if let Some(w) = state.watch.as_mut().filter(|w| w.run_id == Some(id)) {
        w.run_id = None;
        let failed = state.results.entries.iter().any(|e| matches!(e.body, Body::Error { .. }));
        if lost.is_some() || failed || run.cancelling {
            let mut fx = watch::stop(state, "Stopped watching: a run failed.");
            if let Some(e) = lost {
                fx.extend(banner::lost(state, e, true));
            }
            return fx;
        }
        return vec![];
    }
    let errors = state.results.entries.iter().filter(|e| matches!(e.body, Body::Error { .. })).count();
    let mut fx = vec![];
    if let Some(e) = lost {
        fx.extend(banner::lost(state, e, true));
    } else if state.held.as_ref().is_some_and(|h| h.reads == run.reads) {
        // The status says what the held-back read would do, and how to run it anyway.
    } else if run.cancelling {
        state.say("Cancelled.", Tone::Warn);
    } else if errors > 0 {
        state.say(format!("{} of {} reads failed; the error is in the results.", errors, run.total), Tone::Bad);
    } else if let Some(last) = state.results.entries.last()
        && let Body::Rows(t) = &last.body
    {
        let more = if t.more { format!(" (more exist; limit {})", state.setup.row_limit) } else { String::new() };
        state.say(
            format!(
                "{}{} done: {}{more} in {}.",
                run.skipped,
                plural(run.total, "read"),
                plural(t.rows as usize, "row"),
                results::elapsed(t.elapsed)
            ),
            if run.skipped.is_empty() { Tone::Good } else { Tone::Warn },
        );
    }
    // On a small screen the results are a pane of their own: show them.
    if layout::is_narrow(state.size) && state.focus != Focus::Results && !state.results.entries.is_empty() {
        state.set_focus(Focus::Results);
    }
    fx
}

/// The results pane's own actions: expanded display, the chart, copying, moving between results.
pub(super) fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Expanded => {
            state.results.expanded = !state.results.expanded;
            state.results.top = state.results.row;
            let how = if state.results.expanded { "on: a record at a time (x again for the table)" } else { "off" };
            state.say(format!("Expanded display {how}."), Tone::Info);
            vec![]
        }
        Action::Chart => {
            if state.chart().is_some() {
                state.popup = Some(Popup::Chart);
            } else {
                state.say(
                        "No chart here: it takes a time or number column followed by numeric columns, or a watched number (w).",
                        Tone::Info,
                    );
            }
            vec![]
        }
        Action::CopyCell | Action::CopyRow | Action::CopyAll => match results::copy(&state.results, action) {
            Some((text, what)) => {
                state.say(format!("Copied {what} to the clipboard (OSC 52)."), Tone::Good);
                vec![Effect::Copy(text)]
            }
            None => {
                state.say("Nothing to copy: no rows here.", Tone::Info);
                vec![]
            }
        },
        Action::NextResult | Action::PrevResult => {
            let n = state.results.entries.len();
            if n > 1 {
                let c = state.results.current;
                state.results.show(if action == Action::NextResult { (c + 1).min(n - 1) } else { c.saturating_sub(1) });
            }
            vec![]
        }
        _ => vec![],
    }
}
