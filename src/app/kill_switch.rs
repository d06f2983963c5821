//! The kill switch (Ctrl-F): its [kill_switch] keys freeze every warroom that uses the
//! freeze file; while frozen, typing "thaw" and Enter thaws (its drawing is
//! ui/kill_switch.rs; the file is written by a worker, never on this thread).

use super::line_input::{self, Typed};
use super::*;

pub(super) fn on_key(state: &mut State, mut typed: String, key: KeyEvent) -> Vec<Effect> {
    if state.frozen.is_none() {
        state.popup = None;
        if state.setup.keymap.action(Context::KillSwitch, &key) == Some(Action::Freeze) {
            let reason = format!("frozen from the cockpit by {}", crate::incident::operator());
            state.say("Freezing every warroom that uses the kill switch file…", Tone::Bad);
            return vec![Effect::Freeze { reason }];
        }
        state.say("Not frozen.", Tone::Info);
        return vec![];
    }
    match line_input::edit(&mut typed, key, line_input::LONG) {
        Typed::Esc => {
            state.popup = None;
            state.say("Still frozen.", Tone::Warn);
        }
        Typed::Enter if typed == "thaw" => {
            state.popup = None;
            return vec![Effect::Thaw];
        }
        Typed::Enter | Typed::Edited | Typed::Other => state.popup = Some(Popup::KillSwitch { typed }),
    }
    vec![]
}

/// The kill switch pulled or lifted (by anyone): a read in flight is cancelled.
pub(super) fn frozen(state: &mut State, freeze: Option<crate::freeze::Freeze>) -> Vec<Effect> {
    let mut fx = vec![];
    match &freeze {
        Some(f) => {
            let cancelled = state.running.as_mut().map(|r| {
                r.cancelling = true;
                r.id
            });
            if let Some(id) = cancelled {
                fx.push(Effect::Cancel { id });
            }
            let what = if cancelled.is_some() { " The read in flight was cancelled." } else { "" };
            state.say(format!("{}.{what}", f.describe()), Tone::Bad);
        }
        None => state.say("Thawed: reads, stages and runbook sends work again.", Tone::Good),
    }
    state.frozen = freeze;
    fx
}
