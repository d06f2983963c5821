//! The help popup (F1): every binding in force, grouped by where it applies, made from the
//! keymap so that it cannot disagree with it (its drawing is ui/help.rs).

use super::*;
use crate::config::keymap::Context;

/// A section of the help: its heading and its rows (keys, what they do).
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<(String, &'static str)>,
}

/// Every binding of every context, then the keys that are not bindings (typing, the
/// editor's own keys, the plan's digits).
pub fn sections(keymap: &Keymap) -> Vec<Section> {
    let mut out = Vec::new();
    for context in Context::ALL {
        let mut rows: Vec<(String, &'static str)> =
            keymap.grouped(context).into_iter().map(|(keys, a)| (keys, a.describe())).collect();
        match context {
            Context::Moving => rows.insert(0, ("↑ ↓ PgUp PgDn Home End ← →".into(), "always move, as their names say")),
            Context::Plan => {
                rows.push((format!("1-{}", crate::plan::CHECKLIST.len()), "tick or untick the step's checklist item"))
            }
            Context::Timeline => rows.push(("↑ ↓ Home End".into(), "select an event; its details show below")),
            _ => {}
        }
        if !rows.is_empty() {
            out.push(Section { title: context.title(), rows });
        }
    }
    out.push(Section {
        title: "Typing (note, search, pin, thaw, the plan's confirmations)",
        rows: vec![
            ("Enter".into(), "take what is typed"),
            ("Esc".into(), "cancel; nothing is taken"),
            ("Backspace".into(), "delete the last character"),
        ],
    });
    out.push(Section {
        title: "Editor",
        rows: vec![
            ("type / paste".into(), "Enter is a new line and never runs anything"),
            ("Ctrl-U".into(), "undo"),
            ("Shift-arrows".into(), "select; F5 then runs the reads of the selection"),
        ],
    });
    out
}

/// The help scrolls; its [help] keys close it.
pub(super) fn on_key(state: &mut State, scroll_at: u16, key: KeyEvent) {
    let keymap = &state.setup.keymap;
    state.popup = match keymap.action(Context::Help, &key) {
        Some(Action::Close) => None,
        _ => Some(Popup::Help { scroll: scroll(scroll_at as usize, keymap.arrow(&key), 200, 10) as u16 }),
    };
}
