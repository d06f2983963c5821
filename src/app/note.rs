//! A note for the incident timeline (Ctrl-N): typed text, Enter takes it (its drawing is
//! ui/note.rs; secrets in it are masked when the journal writes it).

use super::line_input::{self, Typed};
use super::*;

pub(super) fn on_key(state: &mut State, mut text: String, key: KeyEvent) -> Vec<Effect> {
    let typed = line_input::edit(&mut text, key, line_input::LONG);
    if matches!(typed, Typed::Esc | Typed::Enter) {
        state.popup = None;
    }
    match typed {
        Typed::Esc => state.say("No note taken.", Tone::Info),
        Typed::Enter if text.trim().is_empty() => state.say("An empty note is not taken.", Tone::Info),
        Typed::Enter => {
            state.say("Noted in the timeline (F7 shows it).", Tone::Good);
            return vec![Effect::Record(Entry::note("cockpit", text.trim()))];
        }
        Typed::Edited | Typed::Other => state.popup = Some(Popup::Note { text }),
    }
    vec![]
}
