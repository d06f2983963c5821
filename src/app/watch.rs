//! Watch (`w` in the results): the last reads again every few seconds, each run through the
//! same guard and session, with what changed since the run before; one timeline entry per
//! watch, when it stops.

use std::time::{Duration, Instant};

use super::results::Table;
use super::{Effect, State, Tone};
use crate::db::ValueKind;
use crate::timeline::Entry;
use crate::words::plural;
use crate::words::seconds;

/// The intervals `+` and `-` step through.
pub const STEPS: [Duration; 8] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(300),
];

/// A watch in progress.
#[derive(Debug, Clone)]
pub struct Watch {
    pub reads: Vec<(usize, String)>,
    pub every: Duration,
    /// When the next run starts (runs never overlap: a slow one delays the next).
    pub next_at: Instant,
    pub runs: u32,
    pub started: Instant,
    /// UTC, for the timeline.
    pub started_at: String,
    /// The run in flight, if it is the watch's.
    pub run_id: Option<u64>,
    /// A single number's value, run after run (for the sparkline and the chart).
    pub history: Vec<f64>,
    /// The last table, to mark what the next one changes.
    pub previous: Option<Table>,
}

impl Watch {
    pub fn next_in(&self, now: Instant) -> Duration {
        self.next_at.saturating_duration_since(now)
    }
}

/// `w`: watch the reads that ran last.
pub(super) fn start(state: &mut State) -> Vec<Effect> {
    if state.watch.is_some() {
        return stop(state, "Stopped watching.");
    }
    if state.last_reads.is_empty() {
        state.say("Nothing to watch yet: run a read with F5, then w in the results watches it.", Tone::Info);
        return vec![];
    }
    if state.running.is_some() {
        state.say("A read is running; watch starts once it is done (press w again).", Tone::Warn);
        return vec![];
    }
    state.watch = Some(Watch {
        reads: state.last_reads.clone(),
        every: STEPS[2],
        next_at: state.now,
        runs: 0,
        started: state.now,
        started_at: crate::incident::now_utc(),
        run_id: None,
        history: Vec::new(),
        previous: state.results.table().cloned(),
    });
    tick(state)
}

/// Time passes: the next run when it is due and nothing runs.
pub(super) fn tick(state: &mut State) -> Vec<Effect> {
    let Some(w) = state.watch.as_mut() else { return vec![] };
    if state.running.is_some() || state.now < w.next_at {
        return vec![];
    }
    if state.frozen.is_some() {
        return stop(state, "Stopped watching: warroom is FROZEN.");
    }
    w.runs += 1;
    w.next_at = state.now + w.every;
    let reads = w.reads.clone();
    let id = state.start_run(reads.clone(), String::new());
    if let Some(w) = state.watch.as_mut() {
        w.run_id = Some(id);
    }
    vec![Effect::Run { id, reads, anyway: false }]
}

/// `+` / `-`: the next longer or shorter interval.
pub(super) fn step(state: &mut State, longer: bool) {
    let Some(w) = state.watch.as_mut() else {
        state.say("Not watching: w in the results watches the last read.", Tone::Info);
        return;
    };
    let i = STEPS.iter().position(|s| *s >= w.every).unwrap_or(2);
    let j = if longer { (i + 1).min(STEPS.len() - 1) } else { i.saturating_sub(1) };
    // The next run is the new interval after the last one began.
    let last_began = w.next_at.checked_sub(w.every).unwrap_or(state.now);
    w.every = STEPS[j];
    w.next_at = last_began + w.every;
    let every = seconds(w.every);
    state.say(format!("Watching every {every}."), Tone::Info);
}

/// Stops the watch (Esc, another run, a freeze, quitting) and records it, once.
pub(super) fn stop(state: &mut State, said: &str) -> Vec<Effect> {
    let Some(w) = state.watch.take() else { return vec![] };
    let mut fx = Vec::new();
    if let Some(r) = state.running.as_mut().filter(|r| Some(r.id) == w.run_id) {
        r.cancelling = true;
        fx.push(Effect::Cancel { id: r.id });
    }
    let what: Vec<String> =
        w.reads.iter().map(|(i, sql)| format!("#{i} {}", crate::timeline::one_line(sql, 60))).collect();
    let took = state.now.saturating_duration_since(w.started);
    let last = w.history.last().map(|v| format!("; last value {v}")).unwrap_or_default();
    let reads: Vec<(usize, &str)> = w.reads.iter().map(|(i, sql)| (*i, sql.as_str())).collect();
    let summary = format!(
        "Watched {} every {}: {} over {}{last}",
        what.join(", "),
        seconds(w.every),
        plural(w.runs as usize, "run"),
        seconds(took)
    );
    let record = Entry::watch("cockpit", summary, &reads, w.every.as_millis() as u64, u64::from(w.runs))
        .with("started_at", &w.started_at)
        .with("values", &w.history);
    fx.push(Effect::Record(record));
    state.say(format!("{said} {} in {}.", plural(w.runs as usize, "run"), seconds(took)), Tone::Info);
    fx
}

/// A watch run's table: the cells that differ from the run before, the row count's change,
/// and a single number's next value.
pub(super) fn arrived(w: &mut Watch, table: &mut Table) {
    if let Some(prev) = &w.previous
        && prev.set.columns == table.set.columns
    {
        for (r, row) in table.set.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if prev.set.rows.get(r).and_then(|p| p.get(c)) != Some(v) {
                    table.changed.push((r, c));
                }
            }
        }
        table.row_delta = Some(table.rows as i64 - prev.rows as i64);
    }
    if let ([row], [col]) = (table.set.rows.as_slice(), table.set.columns.as_slice())
        && col.kind == ValueKind::Number
        && let Some(v) = row.first().and_then(|v| v.as_deref()).and_then(|v| v.parse::<f64>().ok())
    {
        w.history.push(v);
        if w.history.len() > 1000 {
            w.history.remove(0);
        }
    }
    w.previous = Some(table.clone());
}
