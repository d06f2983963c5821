//! The kill switch popup (Ctrl-F): what freezing reaches, or who froze it and how to thaw
//! (its keys are app/kill_switch.rs).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, typed: &str) {
    let t = &state.setup.theme;
    let file = state.setup.freeze_file.as_ref().map_or(String::new(), |p| p.display().to_string());
    let lines = match &state.frozen {
        None => vec![
            Line::from(Span::styled("Freeze every warroom that uses", Style::default().fg(t.text))),
            Line::from(Span::styled(file, Style::default().fg(t.dim))),
            Line::from(Span::styled(
                format!("{} freezes · any other key cancels", freeze_keys(state)),
                Style::default().fg(t.focus),
            )),
        ],
        Some(f) => vec![
            Line::from(Span::styled(f.describe(), Style::default().fg(t.text))),
            Line::from(Span::styled(
                "Type thaw and press Enter to thaw (Esc: stay frozen):",
                Style::default().fg(t.focus),
            )),
            Line::from(Span::styled(format!("> {typed}█"), Style::default().fg(t.text))),
        ],
    };
    super::popup::boxed(frame, area, state, 72, lines, "Kill switch");
}

/// The keys bound to freeze in the [kill_switch] table ("y").
fn freeze_keys(state: &State) -> String {
    use crate::config::{Action, keymap::Context};
    let keys = state.setup.keymap.grouped(Context::KillSwitch);
    keys.into_iter().find(|(_, a)| *a == Action::Freeze).map_or("(unbound)".into(), |(k, _)| k)
}
