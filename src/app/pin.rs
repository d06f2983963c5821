//! Pinning the cluster to an environment (Ctrl-P), by its identity, once connected (its
//! drawing is ui/pin.rs; the pin file is written by a worker).

use crossterm::event::KeyEvent;

use super::banner::apply;
use super::line_input::{self, Typed};
use super::{Conn, Effect, Popup, State, Tone};
use crate::environment::{Identity, Pin};
use crate::timeline::Entry;

/// Ctrl-P: pin the cluster to an environment, once connected (the pin is by its identity).
pub(super) fn start_pin(state: &mut State) -> Vec<Effect> {
    if matches!(state.conn, Conn::Connected { .. }) {
        state.popup = Some(Popup::Pin { typed: String::new() });
    } else {
        state.say("Not connected: a cluster is pinned by its identity, which is read once connected.", Tone::Info);
    }
    vec![]
}

pub(super) fn on_key(state: &mut State, mut typed: String, key: KeyEvent) -> Vec<Effect> {
    match line_input::edit(&mut typed, key, 40) {
        Typed::Esc => {
            state.popup = None;
            state.say("Not pinned.", Tone::Info);
        }
        Typed::Enter => {
            let Conn::Connected { info, .. } = &state.conn else {
                state.popup = None;
                state.say("The connection went away; nothing was pinned.", Tone::Bad);
                return vec![];
            };
            if typed.trim().is_empty() {
                state.popup = Some(Popup::Pin { typed });
                return vec![];
            }
            let identity = Box::new(info.identity.clone());
            state.popup = None;
            state.say(format!("Pinning this cluster as {}…", typed.trim()), Tone::Info);
            return vec![Effect::Pin { identity, environment: typed.trim().to_string() }];
        }
        Typed::Edited | Typed::Other => state.popup = Some(Popup::Pin { typed }),
    }
    vec![]
}

pub(super) fn pinned(state: &mut State, result: Result<Pin, String>) -> Vec<Effect> {
    match result {
        Ok(pin) => {
            let verdict = apply(state, Some(&pin.environment));
            let cluster = state.identity.as_ref().map(Identity::describe).unwrap_or_default();
            let note = verdict.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            state.say(format!("Pinned {cluster} as {}{note}.", pin.environment.to_uppercase()), Tone::Good);
            vec![Effect::Record(Entry::pinned(
                "cockpit",
                format!("Pinned {cluster} as {}{note}", pin.environment.to_uppercase()),
                serde_json::json!({ "pin": pin, "cluster": state.identity, "environment": verdict }),
            ))]
        }
        Err(e) => {
            state.say(format!("Not pinned: {e}"), Tone::Bad);
            vec![]
        }
    }
}
