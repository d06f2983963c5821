//! The runbook pane's search: the next (or previous) line that holds the text.

use super::{Focus, State, Tone};
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
