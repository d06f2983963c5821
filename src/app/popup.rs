//! The keys of the popups: kill switch, pin, note, help, search, confirmation (their drawing
//! is ui/popup.rs).

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
        Popup::Note { mut text } => match key.code {
            KeyCode::Esc => {
                state.popup = None;
                state.say("No note taken.", Tone::Info);
            }
            KeyCode::Enter => {
                state.popup = None;
                if text.trim().is_empty() {
                    state.say("An empty note is not taken.", Tone::Info);
                } else {
                    state.say("Noted in the timeline (F7 shows it).", Tone::Good);
                    return vec![Effect::Record(Entry::note("cockpit", text.trim()))];
                }
            }
            KeyCode::Backspace => {
                text.pop();
                state.popup = Some(Popup::Note { text });
            }
            KeyCode::Char(c) if !ctrl => {
                text.push(c);
                state.popup = Some(Popup::Note { text });
            }
            _ => {}
        },
        Popup::KillSwitch { mut typed } => {
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
            match key.code {
                KeyCode::Esc => {
                    state.popup = None;
                    state.say("Still frozen.", Tone::Warn);
                }
                KeyCode::Enter if typed == "thaw" => {
                    state.popup = None;
                    return vec![Effect::Thaw];
                }
                KeyCode::Enter => state.popup = Some(Popup::KillSwitch { typed }),
                KeyCode::Backspace => {
                    typed.pop();
                    state.popup = Some(Popup::KillSwitch { typed });
                }
                KeyCode::Char(c) if !ctrl => {
                    typed.push(c);
                    state.popup = Some(Popup::KillSwitch { typed });
                }
                _ => state.popup = Some(Popup::KillSwitch { typed }),
            }
        }
        Popup::Plan => return plan::on_plan_key(state, key),
        Popup::Confirm { step, typed, answers } => return plan::on_confirm_key(state, step, typed, answers, key),
        Popup::Help { scroll: s } => {
            state.popup = match key.code {
                KeyCode::Esc | KeyCode::F(1) | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => None,
                code => Some(Popup::Help { scroll: scroll(s as usize, code, 200, 10) as u16 }),
            };
        }
        Popup::Toc { selected } => {
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
        Popup::Search { mut query } => match key.code {
            KeyCode::Esc => state.popup = None,
            KeyCode::Enter => {
                state.popup = None;
                state.runbook.search = query;
                state.runbook.find();
                runbook::search(state, true, true);
            }
            KeyCode::Backspace => {
                query.pop();
                state.popup = Some(Popup::Search { query });
            }
            KeyCode::Char(c) if !ctrl => {
                query.push(c);
                state.popup = Some(Popup::Search { query });
            }
            _ => {}
        },
    }
    vec![]
}
