//! The timeline view's keys (F7): move through the events, export them.

use super::*;
use crossterm::event::KeyEvent;

use super::{Effect, State, Tone, scroll};
use crate::config::keymap::{Action, Context};

pub(super) fn on_timeline_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let action = state.setup.keymap.action(Context::Timeline, &key);
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
        _ => {
            let code = state.setup.keymap.arrow(&key);
            state.timeline_selected = scroll(state.timeline_selected, code, state.timeline.len(), 10)
        }
    }
    vec![]
}

/// What others wrote into the incident (an agent, another cockpit): its events and plan.
pub(super) fn outside(state: &mut State, events: Vec<Event>, plan: Option<Option<Box<Plan>>>) -> Vec<Effect> {
    if let Some(p) = plan
        && state.plan_saves == 0
    {
        state.plan = p.map(|p| *p);
        let n = state.plan.as_ref().map_or(0, |p| p.steps.len());
        state.plan_view.step = state.plan_view.step.min(n.saturating_sub(1));
    }
    for e in events {
        if let Some(name) = e.actor.strip_prefix("agent:") {
            state.agent = Some(AgentSeen { name: name.to_string(), at: e.time_of_day().to_string() });
            // The hint first: a long summary is cut at the screen's edge.
            let hint = if e.kind == "staged" { " (F6 to review)" } else { "" };
            let tone = if e.kind == "refused" { Tone::Warn } else { Tone::Info };
            state.say(format!("agent {name}{hint}: {}", e.summary), tone);
        }
        state.push_event(e);
    }
    vec![]
}
