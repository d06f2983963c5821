//! The timeline view's keys (F7): move through the events, export them.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Effect, State, Tone, scroll};

pub(super) fn on_timeline_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc | KeyCode::F(7) | KeyCode::Char('q') => state.popup = None,
        KeyCode::Char('e') => {
            if state.setup.journal_dir.is_none() {
                state.say("No incident folder, so there is nothing to export.", Tone::Bad);
                return vec![];
            }
            state.say("Exporting the timeline…", Tone::Info);
            return vec![Effect::ExportTimeline];
        }
        KeyCode::Char('j') => {
            state.timeline_selected = scroll(state.timeline_selected, KeyCode::Down, state.timeline.len(), 10)
        }
        KeyCode::Char('k') => {
            state.timeline_selected = scroll(state.timeline_selected, KeyCode::Up, state.timeline.len(), 10)
        }
        code => state.timeline_selected = scroll(state.timeline_selected, code, state.timeline.len(), 10),
    }
    vec![]
}
