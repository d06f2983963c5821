//! The status line: what just happened (or the running read), and the main keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::results::elapsed;
use crate::app::{State, Tone};
use crate::config::Action;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let t = &state.setup.theme;
    let keys = &state.setup.keymap;
    let hints = format!(
        "{} run · {} stage · Tab focus · {} keys · {} quit ",
        keys.key_for(Action::Run),
        keys.keys_for(Action::Stage),
        keys.key_for(Action::Help),
        keys.keys_for(Action::Quit)
    );
    let line = if let Some(run) = &state.running {
        let spin = SPINNER[state.spinner % SPINNER.len()];
        let took = elapsed(state.now.saturating_duration_since(run.started));
        let what = if run.cancelling { "cancelling" } else { "running" };
        Line::from(vec![
            Span::styled(
                format!("{spin} {what} read {} of {} · {took}", (run.done + 1).min(run.total), run.total),
                Style::default().fg(t.warn).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" · {} cancels", keys.key_for(Action::Cancel)), Style::default().fg(t.dim)),
        ])
    } else if let Some((text, tone)) = &state.status {
        let color = match tone {
            Tone::Info => t.text,
            Tone::Good => t.ok,
            Tone::Warn => t.warn,
            Tone::Bad => t.error,
        };
        Line::from(Span::styled(text.clone(), Style::default().fg(color)))
    } else {
        Line::from(Span::styled("Paste or type SQL in the editor; only reads ever run.", Style::default().fg(t.dim)))
    };
    // The message comes first; the key hints take what room is left.
    let used = line.width() as u16 + 2;
    let short = format!("{} keys ", keys.key_for(Action::Help));
    let hints = [hints, short].into_iter().find(|h| h.chars().count() as u16 + used <= area.width).unwrap_or_default();
    let hint_w = hints.chars().count() as u16;
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint_w)]).areas(area);
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(
        Paragraph::new(Span::styled(hints, Style::default().fg(t.dim))).alignment(ratatui::layout::Alignment::Right),
        right,
    );
}
