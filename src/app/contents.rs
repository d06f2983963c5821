//! The runbook's contents (t in the runbook): a list of its headings; Enter goes to one
//! (its drawing is ui/contents.rs).

use super::*;

pub(super) fn on_key(state: &mut State, selected: usize, key: KeyEvent) {
    let n = state.runbook.view.headings.len();
    let keymap = &state.setup.keymap;
    match keymap.action(Context::Contents, &key) {
        Some(Action::Close) => state.popup = None,
        Some(Action::Jump) => {
            if let Some(h) = state.runbook.view.headings.get(selected) {
                state.runbook.scroll = h.line;
            }
            state.popup = None;
            state.set_focus(Focus::Runbook);
        }
        _ => state.popup = Some(Popup::Toc { selected: scroll(selected, keymap.arrow(&key), n, 10) }),
    }
}
