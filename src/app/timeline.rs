//! The timeline view's keys (F7): move through the events, export them.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Effect, State, Tone, scroll};
use crate::config::keymap::{Action, Context, Key};

pub(super) fn on_timeline_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let action = Key::from_event(&key).and_then(|k| state.setup.keymap.lookup(Context::Timeline, &k));
    match (action, key.code) {
        (Some(Action::Close), _) => state.popup = None,
        (Some(Action::Export), _) => {
            if state.setup.journal_dir.is_none() {
                state.say("No incident folder, so there is nothing to export.", Tone::Bad);
                return vec![];
            }
            state.say("Exporting the timeline…", Tone::Info);
            return vec![Effect::ExportTimeline];
        }
        (_, KeyCode::Char('j')) => {
            state.timeline_selected = scroll(state.timeline_selected, KeyCode::Down, state.timeline.len(), 10)
        }
        (_, KeyCode::Char('k')) => {
            state.timeline_selected = scroll(state.timeline_selected, KeyCode::Up, state.timeline.len(), 10)
        }
        (_, code) => state.timeline_selected = scroll(state.timeline_selected, code, state.timeline.len(), 10),
    }
    vec![]
}
