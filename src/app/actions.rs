//! What each bound action does (the keymap's actions, from any pane).

use super::*;

pub(super) fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.quit = true;
            let mut fx: Vec<Effect> = banner::start_entry(state).into_iter().map(Effect::Record).collect();
            fx.extend(watch::stop(state, "Stopped watching."));
            fx.extend(state.running.as_ref().map(|r| Effect::Cancel { id: r.id }));
            if state.draft_due.take().is_some() {
                fx.push(Effect::SaveDraft(state.text()));
            }
            fx.push(Effect::Quit);
            fx
        }
        Action::Help => {
            state.popup = Some(Popup::Help { scroll: 0 });
            vec![]
        }
        Action::FocusNext | Action::FocusPrev => {
            let i = state.focus.number() - 1;
            let n = FOCUS_ORDER.len();
            let next = if action == Action::FocusNext { (i + 1) % n } else { (i + n - 1) % n };
            state.set_focus(FOCUS_ORDER[next]);
            vec![]
        }
        Action::FocusRunbook => focus(state, Focus::Runbook),
        Action::FocusEditor => focus(state, Focus::Editor),
        Action::FocusReview => focus(state, Focus::Review),
        Action::FocusResults => focus(state, Focus::Results),
        Action::Run | Action::RunAll => editor::run(state, action == Action::RunAll),
        Action::Cancel if state.watch.is_some() => watch::stop(state, "Stopped watching."),
        Action::Watch => watch::start(state),
        // The views' and popups' own actions: bound only in their tables, handled there.
        Action::Close
        | Action::StepNext
        | Action::StepPrev
        | Action::MarkReviewed
        | Action::Export
        | Action::Jump
        | Action::Freeze
        | Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom
        | Action::Left
        | Action::Right => vec![],
        Action::Expanded | Action::Chart | Action::CopyCell | Action::CopyRow | Action::CopyAll => {
            results::act(state, action)
        }
        Action::NextResult | Action::PrevResult => results::act(state, action),
        Action::Plan | Action::Note | Action::KillSwitch | Action::Timeline | Action::Search | Action::Toc => {
            open(state, action)
        }
        Action::SearchNext | Action::SearchPrev => {
            runbook::search(state, action == Action::SearchNext, false);
            vec![]
        }
        Action::WatchSlower | Action::WatchFaster => {
            watch::step(state, action == Action::WatchSlower);
            vec![]
        }
        Action::NextBlock | Action::PrevBlock => runbook::step_block(state, action == Action::NextBlock),
        Action::SendBlock => runbook::send_block(state),
        Action::Cancel => cancel(state),
        Action::Stage => plan::stage(state),
        Action::Pin => pin::start_pin(state),
        Action::Reconnect => {
            if state.running.is_some() {
                state.say("A read is running; Esc cancels it first.", Tone::Warn);
                return vec![];
            }
            state.conn = Conn::Connecting;
            state.say("Connecting…", Tone::Info);
            vec![Effect::Connect]
        }
        Action::Suspend => vec![Effect::Suspend],
    }
}

/// Esc: cancel the running read (once), else drop the editor's selection.
fn cancel(state: &mut State) -> Vec<Effect> {
    match &mut state.running {
        Some(r) if !r.cancelling => {
            r.cancelling = true;
            let id = r.id;
            let (done, total) = (r.done, r.total);
            state.say("Cancelling the read…", Tone::Warn);
            let record = Entry::cancel(
                "cockpit",
                format!("Cancelled the running read ({done} of {} done)", plural(total, "read")),
            )
            .with("run", id)
            .with("done", done)
            .with("total", total);
            vec![Effect::Cancel { id }, Effect::Record(record)]
        }
        Some(_) => vec![],
        None => {
            if state.focus == Focus::Editor && state.editor.is_selecting() {
                state.editor.cancel_selection();
            }
            vec![]
        }
    }
}

/// Opens a popup, or says why there is none to open.
fn open(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Plan => {
            if state.plan.is_none() {
                state.say(
                    "No plan yet: put the cursor on a write (or select several) and press Ctrl-S to stage it.",
                    Tone::Info,
                );
            } else {
                state.popup = Some(Popup::Plan);
            }
            vec![]
        }
        Action::Note => {
            if state.setup.journal_dir.is_none() {
                state.say("No incident folder, so there is no timeline to note in.", Tone::Bad);
            } else {
                state.popup = Some(Popup::Note { text: String::new() });
            }
            vec![]
        }
        Action::KillSwitch => {
            if state.setup.freeze_file.is_none() {
                state.say("This cockpit has no kill switch file.", Tone::Bad);
            } else {
                state.popup = Some(Popup::KillSwitch { typed: String::new() });
            }
            vec![]
        }
        Action::Timeline => {
            state.popup = Some(Popup::Timeline);
            vec![Effect::LoadTimeline]
        }
        Action::Search => {
            state.popup = Some(Popup::Search { query: state.runbook.search.clone() });
            vec![]
        }
        Action::Toc => {
            let here = state.runbook.view.headings.iter().rposition(|h| h.line <= state.runbook.scroll).unwrap_or(0);
            state.popup = Some(Popup::Toc { selected: here });
            vec![]
        }
        _ => vec![],
    }
}
