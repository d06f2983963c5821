//! The runbook search (/ in the runbook): typed text, Enter finds it; n and N go on
//! (its drawing is ui/search.rs).

use super::line_input::{self, Typed};
use super::*;

pub(super) fn on_key(state: &mut State, mut query: String, key: KeyEvent) {
    match line_input::edit(&mut query, key, line_input::LONG) {
        Typed::Esc => state.popup = None,
        Typed::Enter => {
            state.popup = None;
            state.runbook.search = query;
            state.runbook.find();
            runbook::search(state, true, true);
        }
        Typed::Edited | Typed::Other => state.popup = Some(Popup::Search { query }),
    }
}
