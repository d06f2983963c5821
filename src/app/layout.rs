//! Where each pane goes, as a pure function of the state: the update asks it (which pane a
//! click or a scroll is in), the drawing follows it.

use ratatui::layout::{Constraint, Layout, Rect};

use super::{Focus, State};

/// Below this width the panes stack (and the runbook toggles) instead of sitting side by side.
pub const NARROW_WIDTH: u16 = 100;

pub fn is_narrow(size: (u16, u16)) -> bool {
    size.0 < NARROW_WIDTH
}

/// Where each pane goes; a pane that is hidden at this size is None.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub banner: Rect,
    pub runbook: Option<Rect>,
    pub editor: Option<Rect>,
    pub review: Option<Rect>,
    pub results: Option<Rect>,
    pub status: Rect,
}

pub fn banner_height(area: Rect) -> u16 {
    if area.height >= 20 && area.width >= 60 { 5 } else { 2 }
}

pub fn layout(area: Rect, state: &State) -> Areas {
    let [banner, body, status] =
        Layout::vertical([Constraint::Length(banner_height(area)), Constraint::Fill(1), Constraint::Length(1)])
            .areas(area);
    let mut a = Areas { banner, status, ..Areas::default() };
    if !is_narrow((area.width, area.height)) {
        let [left, right] = Layout::horizontal([Constraint::Percentage(38), Constraint::Fill(1)]).areas(body);
        let [e, r, res] =
            Layout::vertical([Constraint::Percentage(28), Constraint::Percentage(30), Constraint::Fill(1)])
                .areas(right);
        a.runbook = Some(left);
        (a.editor, a.review, a.results) = (Some(e), Some(r), Some(res));
    } else if state.focus == Focus::Runbook {
        a.runbook = Some(body);
    } else {
        // The focused pane gets most of the room; the editor shares it with its review.
        let weights = match state.focus {
            Focus::Editor => [4, 4, 2],
            Focus::Review => [2, 6, 2],
            _ => [2, 2, 6],
        };
        let [e, r, res] = Layout::vertical(weights.map(Constraint::Fill)).areas(body);
        (a.editor, a.review, a.results) = (Some(e), Some(r), Some(res));
    }
    a
}
