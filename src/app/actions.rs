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
        // The plan and timeline views' own actions: bound only in their tables.
        Action::Close | Action::StepNext | Action::StepPrev | Action::MarkReviewed | Action::Export => vec![],
        Action::Expanded => {
            state.results.expanded = !state.results.expanded;
            state.results.top = state.results.row;
            let how = if state.results.expanded { "on: a record at a time (x again for the table)" } else { "off" };
            state.say(format!("Expanded display {how}."), Tone::Info);
            vec![]
        }
        Action::Chart => {
            if state.chart().is_some() {
                state.popup = Some(Popup::Chart);
            } else {
                state.say(
                    "No chart here: it takes a time or number column followed by numeric columns, or a watched number (w).",
                    Tone::Info,
                );
            }
            vec![]
        }
        Action::WatchSlower | Action::WatchFaster => {
            watch::step(state, action == Action::WatchSlower);
            vec![]
        }
        Action::Cancel => match &mut state.running {
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
        },
        Action::Stage => plan::stage(state),
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
        Action::Pin => banner::start_pin(state),
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
        Action::Search => {
            state.popup = Some(Popup::Search { query: state.runbook.search.clone() });
            vec![]
        }
        Action::SearchNext | Action::SearchPrev => {
            runbook::search(state, action == Action::SearchNext, false);
            vec![]
        }
        Action::Toc => {
            let here = state.runbook.view.headings.iter().rposition(|h| h.line <= state.runbook.scroll).unwrap_or(0);
            state.popup = Some(Popup::Toc { selected: here });
            vec![]
        }
        Action::NextBlock | Action::PrevBlock => {
            let blocks = &state.runbook.view.sql_lines;
            if blocks.is_empty() {
                state.say("This runbook has no ```sql blocks.", Tone::Info);
                return vec![];
            }
            let scroll = state.runbook.scroll;
            let next = match (state.runbook.block, action == Action::NextBlock) {
                (Some(b), true) => (b + 1).min(blocks.len() - 1),
                (Some(b), false) => b.saturating_sub(1),
                (None, true) => blocks.iter().position(|(a, _)| *a >= scroll).unwrap_or(blocks.len() - 1),
                (None, false) => blocks.iter().rposition(|(a, _)| *a <= scroll).unwrap_or(0),
            };
            state.runbook.block = Some(next);
            let (a, b) = blocks[next];
            let h = state.runbook.height as usize;
            if a < state.runbook.scroll || b >= state.runbook.scroll + h {
                state.runbook.scroll = a.saturating_sub(2);
            }
            vec![]
        }
        Action::SendBlock => {
            if refused_while_frozen(state) {
                return vec![];
            }
            let Some(b) = state.runbook.block else {
                state.say("Select a SQL block first (] and [ move between them).", Tone::Info);
                return vec![];
            };
            let sql = state.setup.runbook.sql_blocks[b].clone();
            let record = Entry::runbook_block(&state.setup.runbook.name, b + 1, &sql);
            let mut fx = vec![Effect::Record(record)];
            fx.extend(state.append_to_editor(&sql));
            state.verdict_for = Some((state.revision, "runbook block"));
            state.set_focus(Focus::Editor);
            state.say(format!("Runbook block #{} is in the editor; F5 runs it (it has not run).", b + 1), Tone::Info);
            fx
        }
        Action::CopyCell | Action::CopyRow | Action::CopyAll => match results::copy(&state.results, action) {
            Some((text, what)) => {
                state.say(format!("Copied {what} to the clipboard (OSC 52)."), Tone::Good);
                vec![Effect::Copy(text)]
            }
            None => {
                state.say("Nothing to copy: no rows here.", Tone::Info);
                vec![]
            }
        },
        Action::NextResult | Action::PrevResult => {
            let n = state.results.entries.len();
            if n > 1 {
                let c = state.results.current;
                state.results.show(if action == Action::NextResult { (c + 1).min(n - 1) } else { c.saturating_sub(1) });
            }
            vec![]
        }
    }
}
