//! F5 in the editor: which statements it means (the cursor's, a selection's, a fresh
//! paste's), classified again as they are now, and only their reads sent to run.

use super::*;
use super::{Conn, Effect, State, Tone, refused_while_frozen, watch};
use crate::guard::{self, Class};
use crate::timeline::Entry;
use crate::words::plural;

pub(super) fn offset_of(lines: &[String], row: usize, col: usize) -> usize {
    let before: usize = lines.iter().take(row).map(|l| l.len() + 1).sum();
    let line = lines.get(row).map(String::as_str).unwrap_or("");
    before + line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

/// Whether a statement lies (partly) in the byte range `a..b` (an empty range: at `a`).
pub(super) fn overlaps(span: &guard::Span, (a, b): (usize, usize)) -> bool {
    span.start < b.max(a + 1) && span.end > a
}

/// Which statements F5 means: a selection or fresh paste → every statement in it;
/// otherwise the statement under the cursor (or, between statements, the one before it).
pub(super) fn targets(state: &State, review: &guard::Review, all: bool) -> Vec<usize> {
    let stmts = &review.statements;
    if all {
        return (0..stmts.len()).collect();
    }
    let lines = state.editor.lines();
    let range = state
        .editor
        .selection_range()
        .map(|((r1, c1), (r2, c2))| (offset_of(lines, r1, c1), offset_of(lines, r2, c2)))
        .or(state.fresh);
    if let Some((a, b)) = range {
        return (0..stmts.len()).filter(|&i| overlaps(&stmts[i].span, (a, b))).collect();
    }
    let at = state.cursor_offset();
    let inside = (0..stmts.len()).rev().find(|&i| stmts[i].span.start <= at && at <= stmts[i].span.end);
    let before = || (0..stmts.len()).rev().find(|&i| stmts[i].span.end <= at);
    let after = || (0..stmts.len()).find(|&i| stmts[i].span.start >= at);
    inside.or_else(before).or_else(after).into_iter().collect()
}

/// The guard's verdict on what just came in (the fresh range, else the whole text).
pub(super) fn verdict_entry(review: &guard::Review, fresh: Option<(usize, usize)>, source: &str) -> Entry {
    let chosen: Vec<&guard::Statement> =
        review.statements.iter().filter(|s| fresh.is_none_or(|range| overlaps(&s.span, range))).collect();
    let reads = chosen.iter().filter(|s| s.class == Class::Read).count();
    let writes: Vec<String> = chosen
        .iter()
        .filter(|s| s.class == Class::Write)
        .map(|s| format!("#{} {}{}", s.index, s.kind.name(), if s.destructive { ", DESTRUCTIVE" } else { "" }))
        .collect();
    let mut summary =
        format!("Review of the {source}: {}, {reads} READ, {} WRITE", plural(chosen.len(), "statement"), writes.len());
    if !writes.is_empty() {
        summary.push_str(&format!(" ({})", writes.join("; ")));
    }
    // Each statement as `warroom check --json` shows it.
    Entry::review(source, summary, chosen).with("ignored", review.ignored.len())
}

/// F5: classify the text as it is now (never a cached verdict), then run only its reads.
pub(super) fn run(state: &mut State, all: bool) -> Vec<Effect> {
    // Any other run ends a watch; while its last run is being cancelled, nothing else starts.
    let mut stopped = watch::stop(state, "Stopped watching.");
    if !stopped.is_empty() && state.running.is_some() {
        return stopped;
    }
    stopped.extend(run_now(state, all));
    stopped
}

pub(super) fn run_now(state: &mut State, all: bool) -> Vec<Effect> {
    if refused_while_frozen(state) {
        return vec![];
    }
    if state.running.is_some() {
        state.say("A read is already running; Esc cancels it.", Tone::Warn);
        return vec![];
    }
    // Connected, what a catalog could still prove a read (an enum cast, a trusted
    // extension's function) goes to the server's check too; it refuses what is not.
    // The analyzer's review of this very revision, made the same way, is the same (the guard
    // is a pure function of the text): F5 does not parse the editor again on this thread.
    let connected = matches!(state.conn, Conn::Connected { .. });
    let current = state.analysis.as_ref().filter(|a| a.revision == state.revision && a.connected == connected);
    let mut review = match current {
        Some(a) => a.review.clone(),
        None if connected => guard::review_best_case(&state.text()),
        None => guard::review(&state.text()),
    };
    if review.statements.is_empty() {
        state.say("Nothing to run: the editor holds no SQL statement.", Tone::Info);
        return vec![];
    }
    // What the catalog already showed to be a write (the labels of this very text) is skipped
    // as one; a label can only hold a statement back here, never send one.
    if let Some(a) = state.analysis.as_ref().filter(|a| a.revision == state.revision) {
        for (st, labelled) in review.statements.iter_mut().zip(&a.review.statements) {
            if labelled.class == Class::Write && st.class == Class::Read && st.span == labelled.span {
                *st = labelled.clone();
            }
        }
    }
    let chosen = targets(state, &review, all);
    let reads: Vec<(usize, String)> = chosen
        .iter()
        .map(|&i| &review.statements[i])
        .filter(|s| s.class == Class::Read)
        .map(|s| (s.index, s.text.clone()))
        .collect();
    let writes: Vec<String> = chosen
        .iter()
        .map(|&i| &review.statements[i])
        .filter(|s| s.class == Class::Write)
        .map(|s| format!("#{} {}", s.index, s.kind.name()))
        .collect();
    let skipped = if writes.is_empty() {
        String::new()
    } else {
        format!("Skipped {} ({}): writes never run here. ", plural(writes.len(), "WRITE"), writes.join(", "))
    };
    let mut fx = vec![];
    if !writes.is_empty() {
        let statements: Vec<&guard::Statement> =
            chosen.iter().map(|&i| &review.statements[i]).filter(|s| s.class == Class::Write).collect();
        fx.push(Effect::Record(Entry::refused(
            "cockpit",
            format!("F5 skipped {} ({}): writes never run", plural(writes.len(), "WRITE"), writes.join(", ")),
            statements,
        )));
    }
    if reads.is_empty() {
        state.say(format!("{skipped}No read to run; Ctrl-S stages writes into a plan."), Tone::Warn);
        return fx;
    }
    if !matches!(state.conn, Conn::Connected { .. }) {
        if matches!(state.conn, Conn::Connecting) {
            state.say(format!("{skipped}Still connecting, so nothing ran; F5 again once connected."), Tone::Warn);
            return fx;
        }
        // Lost or failed: try again at once, without waiting for the next background attempt.
        state.conn = Conn::Connecting;
        state.say(
            format!("{skipped}Not connected, so nothing ran: reconnecting now; F5 again once connected."),
            Tone::Warn,
        );
        fx.push(Effect::Connect);
        return fx;
    }
    // The same reads again within seconds of being held back: the person has seen the estimate.
    let anyway = state.held.take().is_some_and(|h| h.reads == reads && state.now < h.until);
    let id = state.start_run(reads.clone(), skipped.clone());
    if anyway {
        let indexes: Vec<usize> = reads.iter().map(|(i, _)| *i).collect();
        fx.push(Effect::Record(Entry::held_anyway("cockpit", id, &indexes)));
        state.say(format!("{skipped}Running {} anyway (heavy)…", plural(reads.len(), "read")), Tone::Warn);
    } else {
        state.say(
            format!("{skipped}Running {}…", plural(reads.len(), "read")),
            if writes.is_empty() { Tone::Info } else { Tone::Warn },
        );
    }
    state.last_reads = reads.clone();
    fx.push(Effect::Run { id, reads, anyway });
    fx
}

/// A paste: into the open popup's line, else into the editor (nothing runs).
pub(super) fn pasted(state: &mut State, text: String) -> Vec<Effect> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if state.popup.is_some() {
        let first = text.lines().next().unwrap_or("");
        match &mut state.popup {
            Some(Popup::Search { query }) => query.push_str(first),
            Some(Popup::Note { text }) => text.push_str(first),
            _ => {}
        }
        return vec![];
    }
    if state.focus != Focus::Editor {
        state.set_focus(Focus::Editor);
    }
    state.editor.cancel_selection();
    let start = state.cursor_offset();
    state.editor.insert_str(&text);
    state.fresh = Some((start, start + text.len()));
    let lines = text.matches('\n').count() + 1;
    state.say(format!("Pasted {lines} lines; nothing runs until you press F5, and only reads ever run."), Tone::Info);
    let mut fx = vec![Effect::Record(Entry::paste(&text))];
    fx.extend(state.changed());
    state.verdict_for = Some((state.revision, "paste"));
    fx
}

/// The review of the editor's text, back from the analyzer (dropped if the text moved on).
pub(super) fn analyzed(state: &mut State, a: Analysis) -> Vec<Effect> {
    let mut fx = vec![];
    if a.revision == state.revision {
        if let Some((_, source)) = state.verdict_for.filter(|(rev, _)| *rev <= a.revision) {
            state.verdict_for = None;
            fx.push(Effect::Record(editor::verdict_entry(&a.review, state.fresh, source)));
        }
        state.analysis = Some(a);
        if state.focus == Focus::Editor {
            state.follow_cursor();
        }
    }
    fx
}
