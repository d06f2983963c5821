//! The keys of the popups: kill switch, pin, note, help, search, confirmation (their drawing
//! is ui/popup.rs).

use super::line_input::{self, Typed};
use super::*;

pub(super) fn on_popup_key(state: &mut State, popup: Popup, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('q') {
        state.popup = None;
        return act(state, Action::Quit);
    }
    match popup {
        Popup::Timeline => return timeline::on_timeline_key(state, key),
        Popup::Pin { typed } => return banner::on_pin_key(state, typed, key),
        Popup::Chart => {
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('c') | KeyCode::Char('q') | KeyCode::Enter) {
                state.popup = None;
            }
        }
        Popup::Note { text } => return on_note_key(state, text, key),
        Popup::KillSwitch { typed } => return on_kill_switch_key(state, typed, key),
        Popup::Plan => return plan::on_plan_key(state, key),
        Popup::Confirm { step, typed, answers } => return plan::on_confirm_key(state, step, typed, answers, key),
        Popup::Help { scroll: s } => on_help_key(state, s, key),
        Popup::Toc { selected } => on_toc_key(state, selected, key),
        Popup::Search { query } => on_search_key(state, query, key),
    }
    vec![]
}

/// The note popup: typed text, Enter takes it into the timeline.
fn on_note_key(state: &mut State, mut text: String, key: KeyEvent) -> Vec<Effect> {
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

/// The kill switch popup: y freezes; while frozen, typing "thaw" and Enter thaws.
fn on_kill_switch_key(state: &mut State, mut typed: String, key: KeyEvent) -> Vec<Effect> {
    if state.frozen.is_none() {
        state.popup = None;
        if key.code == KeyCode::Char('y') {
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

/// The help popup scrolls; Esc, F1, q, ? or Enter close it.
fn on_help_key(state: &mut State, s: u16, key: KeyEvent) {
    state.popup = match key.code {
        KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => None,
        code => Some(Popup::Help { scroll: scroll(s as usize, code, 200, 10) as u16 }),
    };
}

/// The runbook's contents: Enter goes to the heading.
fn on_toc_key(state: &mut State, selected: usize, key: KeyEvent) {
    let n = state.runbook.view.headings.len();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('t') => state.popup = None,
        KeyCode::Enter => {
            if let Some(h) = state.runbook.view.headings.get(selected) {
                state.runbook.scroll = h.line;
            }
            state.popup = None;
            state.set_focus(Focus::Runbook);
        }
        code => state.popup = Some(Popup::Toc { selected: scroll(selected, code, n, 10) }),
    }
}

/// The runbook search: typed text, Enter finds it.
fn on_search_key(state: &mut State, mut query: String, key: KeyEvent) {
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
