//! The pin popup (Ctrl-P): the cluster's identity, how it is pinned now, the typed
//! environment (its keys are app/pin.rs).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, typed: &str) {
    let t = &state.setup.theme;
    let cluster = state.identity.as_ref().map(|i| i.describe()).unwrap_or_default();
    let now = match &state.env {
        Some(v) if v.unpinned() => "not pinned yet: treated as production".to_string(),
        Some(v) => format!("pinned as {}", v.pinned.as_deref().unwrap_or("")),
        None => String::new(),
    };
    let lines = vec![
        Line::from(Span::styled(cluster, Style::default().fg(t.text))),
        Line::from(Span::styled(now, Style::default().fg(t.dim))),
        Line::from(Span::styled(
            "Type its environment (production, staging, development, …) and press Enter:",
            Style::default().fg(t.focus),
        )),
        Line::from(Span::styled(format!("> {typed}█"), Style::default().fg(t.text))),
    ];
    super::popup::boxed(frame, area, state, 78, lines, "Pin this cluster");
}
