//! Which popup a key goes to. Each popup's keys live with it: help, contents, search,
//! note, kill_switch, pin, chart, plan, timeline (their drawing is ui/<the same name>.rs).
//! The popup is taken out of the state while its keys are handled: a handler that keeps it
//! open puts it back.

use super::*;

pub(super) fn on_popup_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(popup) = state.popup.take() else { return vec![] };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('q') {
        return act(state, Action::Quit);
    }
    match popup {
        Popup::Timeline => {
            state.popup = Some(Popup::Timeline);
            return timeline::on_timeline_key(state, key);
        }
        Popup::Plan => {
            state.popup = Some(Popup::Plan);
            return plan::on_plan_key(state, key);
        }
        Popup::Pin { typed } => return pin::on_key(state, typed, key),
        Popup::Chart => chart::on_key(state, key),
        Popup::Note { text } => return note::on_key(state, text, key),
        Popup::KillSwitch { typed } => return kill_switch::on_key(state, typed, key),
        Popup::Confirm { step, typed, answers } => return plan::on_confirm_key(state, step, typed, answers, key),
        Popup::Help { scroll } => help::on_key(state, scroll, key),
        Popup::Toc { selected } => contents::on_key(state, selected, key),
        Popup::Search { query } => search::on_key(state, query, key),
    }
    vec![]
}
