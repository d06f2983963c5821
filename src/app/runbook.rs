//! The runbook pane: its search, moving between its SQL blocks, and sending one to the editor.

use super::{Effect, Focus, State, Tone, refused_while_frozen};
use crate::timeline::Entry;
use crate::words::plural;

/// Moves the runbook to the next (or previous) line that holds the search text.
pub(super) fn search(state: &mut State, forward: bool, from_here: bool) {
    if state.runbook.search.is_empty() {
        state.say("Search the runbook with /.", Tone::Info);
        return;
    }
    let matches = &state.runbook.matches;
    let at = state.runbook.scroll;
    let hit = if forward {
        let start = if from_here { at } else { at + 1 };
        matches.iter().find(|&&i| i >= start).or(matches.first())
    } else {
        matches.iter().rev().find(|&&i| i < at).or(matches.last())
    };
    match hit.copied() {
        Some(i) => {
            state.runbook.scroll = i;
            let count = plural(matches.len(), "matching line");
            state.say(format!("\"{}\": {count} (n next, N previous).", state.runbook.search), Tone::Info);
        }
        None => state.say(format!("\"{}\" is not in the runbook.", state.runbook.search), Tone::Warn),
    }
    state.set_focus(Focus::Runbook);
}

/// ] and [: the next (or previous) SQL block, kept on screen.
pub(super) fn step_block(state: &mut State, forward: bool) -> Vec<Effect> {
    let blocks = &state.runbook.view.sql_lines;
    if blocks.is_empty() {
        state.say("This runbook has no ```sql blocks.", Tone::Info);
        return vec![];
    }
    let scroll = state.runbook.scroll;
    let next = match (state.runbook.block, forward) {
        (Some(b), true) => (b + 1).min(blocks.len() - 1),
        (Some(b), false) => b.saturating_sub(1),
        (None, true) => blocks.iter().position(|(a, _)| *a >= scroll).unwrap_or(blocks.len() - 1),
        (None, false) => blocks.iter().rposition(|(a, _)| *a <= scroll).unwrap_or(0),
    };
    state.runbook.block = Some(next);
    let (a, b) = blocks[next];
    let h = state.runbook.height as usize;
    if a < state.runbook.scroll || b >= state.runbook.scroll + h {
        state.runbook.scroll = a.saturating_sub(2);
    }
    vec![]
}

/// Enter on a block: into the editor (never run by this), and noted in the timeline.
pub(super) fn send_block(state: &mut State) -> Vec<Effect> {
    if refused_while_frozen(state) {
        return vec![];
    }
    let Some(b) = state.runbook.block else {
        state.say("Select a SQL block first (] and [ move between them).", Tone::Info);
        return vec![];
    };
    let sql = state.setup.runbook.sql_blocks[b].clone();
    let record = Entry::runbook_block(&state.setup.runbook.name, b + 1, &sql);
    let mut fx = vec![Effect::Record(record)];
    fx.extend(state.append_to_editor(&sql));
    state.verdict_for = Some((state.revision, "runbook block"));
    state.set_focus(Focus::Editor);
    state.say(format!("Runbook block #{} is in the editor; F5 runs it (it has not run).", b + 1), Tone::Info);
    fx
}
