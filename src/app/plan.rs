//! The rollback plan's keys: Ctrl-S stages, F6's view (steps, checklist), the typed review.

use super::*;
use crossterm::event::{KeyCode, KeyEvent};

use super::editor::targets;
use super::line_input::{self, Typed};
use super::{Conn, Effect, PlanView, Popup, State, Tone, refused_while_frozen, scroll};
use crate::config::keymap::{Action, Context};
use crate::guard;
use crate::plan::CHECKLIST;
use crate::words::plural;

/// Ctrl-S: the writes among the statements F5 would mean go into the plan, with evidence.
pub(super) fn stage(state: &mut State) -> Vec<Effect> {
    if refused_while_frozen(state) {
        return vec![];
    }
    if state.staging {
        state.say("Still gathering evidence for the last stage…", Tone::Warn);
        return vec![];
    }
    if state.setup.incident_dir.is_none() {
        state.say("No incident folder, so nothing can be staged.", Tone::Bad);
        return vec![];
    }
    let review = guard::review(&state.text());
    let writes: Vec<String> = targets(state, &review, false)
        .into_iter()
        .map(|i| &review.statements[i])
        .filter(|s| crate::plan::not_staged(s).is_none())
        .map(|s| s.text.clone())
        .collect();
    if writes.is_empty() {
        state.say("Nothing to stage: put the cursor on a write, or select the writes.", Tone::Info);
        return vec![];
    }
    state.staging = true;
    state.plan_saves += 1;
    let how = if matches!(state.conn, Conn::Connected { .. }) {
        "gathering evidence over the read-only session"
    } else {
        "NOT connected: it will be staged without evidence"
    };
    state.say(format!("Staging {} ({how})… nothing runs.", plural(writes.len(), "write")), Tone::Info);
    vec![Effect::Stage { writes }]
}

pub(super) fn on_plan_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(plan) = state.plan.clone() else {
        state.popup = None;
        return vec![];
    };
    let n = plan.steps.len();
    let action = state.setup.keymap.action(Context::Plan, &key);
    let arrow = state.setup.keymap.arrow(&key);
    let view = &mut state.plan_view;
    match (action, key.code) {
        (Some(Action::Close), _) => state.popup = None,
        (Some(Action::StepNext), _) => {
            view.step = (view.step + 1).min(n.saturating_sub(1));
            view.scroll = 0;
        }
        (Some(Action::StepPrev), _) => {
            view.step = view.step.saturating_sub(1);
            view.scroll = 0;
        }
        (_, KeyCode::Char(c @ '1'..='9')) => {
            let item = c as usize - '1' as usize;
            if item < CHECKLIST.len() && view.step < n {
                let mut changed = plan.clone();
                let on = !changed.steps[view.step].checklist[item];
                changed.tick(view.step, item, on);
                let what =
                    format!("Step {}: {} {}.", view.step + 1, CHECKLIST[item], if on { "ticked" } else { "unticked" });
                state.plan = Some(changed.clone());
                state.plan_saves += 1;
                state.say(what, Tone::Info);
                return vec![Effect::SavePlan { expected: Some(Box::new(plan)), plan: Box::new(changed) }];
            }
        }
        (Some(Action::MarkReviewed), _) => {
            let blockers = plan.blockers();
            if blockers.is_empty() {
                state.popup = Some(Popup::Confirm { step: 0, typed: String::new(), answers: vec![] });
            } else {
                state.say(format!("Not yet: {}.", blockers.join("; ")), Tone::Warn);
            }
        }
        _ => view.scroll = scroll(view.scroll as usize, arrow, 2000, 10) as u16,
    }
    vec![]
}

pub(super) fn on_confirm_key(
    state: &mut State,
    step: usize,
    mut typed: String,
    mut answers: Vec<String>,
    key: KeyEvent,
) -> Vec<Effect> {
    let Some(plan) = state.plan.clone() else {
        state.popup = None;
        return vec![];
    };
    match line_input::edit(&mut typed, key, line_input::LONG) {
        Typed::Esc => {
            state.popup = Some(Popup::Plan);
            state.say("Not marked reviewed.", Tone::Info);
            return vec![];
        }
        Typed::Edited | Typed::Other => {}
        Typed::Enter => {
            let Some(s) = plan.steps.get(step) else { return vec![] };
            if !s.confirms(&typed) {
                state.say(
                    format!("That is not step {}'s table and row count; read its evidence and type them again.", s.n),
                    Tone::Bad,
                );
                typed.clear();
            } else {
                answers.push(std::mem::take(&mut typed));
                if step + 1 < plan.steps.len() {
                    state.plan_view = PlanView { step: step + 1, scroll: 0 };
                    state.popup = Some(Popup::Confirm { step: step + 1, typed, answers });
                    return vec![];
                }
                state.popup = Some(Popup::Plan);
                state.say("Marking the plan reviewed…", Tone::Info);
                state.plan_saves += 1;
                return vec![Effect::MarkReviewed { expected: Box::new(plan), typed: answers }];
            }
        }
    }
    state.popup = Some(Popup::Confirm { step, typed, answers });
    vec![]
}

/// The plan as written to disk, and what to say.
pub(super) fn stored(
    state: &mut State,
    plan: Option<Box<Plan>>,
    said: Result<String, String>,
    record: Option<Entry>,
) -> Vec<Effect> {
    let mut fx: Vec<Effect> = record.map(Effect::Record).into_iter().collect();
    if let Err(e) = &said {
        fx.push(Effect::Record(Entry::error("cockpit", e.clone())));
    }
    state.staging = false;
    state.plan_saves = state.plan_saves.saturating_sub(1);
    // While later edits are on their way to disk, the plan here is the newer one.
    if state.plan_saves == 0 || said.is_err() {
        state.plan = plan.map(|p| *p);
    }
    let n = state.plan.as_ref().map_or(0, |p| p.steps.len());
    state.plan_view.step = state.plan_view.step.min(n.saturating_sub(1));
    match said {
        Ok(m) => state.say(m, Tone::Good),
        Err(m) => state.say(m, Tone::Bad),
    }
    fx
}
