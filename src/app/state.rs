//! The cockpit's state: how it starts, and the questions every pane asks of it.

use super::*;

impl State {
    pub fn new(setup: Setup, size: (u16, u16)) -> State {
        let setup_greeting = setup.greeting.clone().map(|g| (g, Tone::Info));
        let plan = setup.plan.clone();
        let mut editor = TextArea::default();
        editor.set_placeholder_text(PLACEHOLDER);
        editor.set_placeholder_style(Style::default().fg(setup.theme.dim));
        editor.set_style(Style::default().fg(setup.theme.text));
        editor.set_cursor_line_style(Style::default());
        editor.set_line_number_style(Style::default().fg(setup.theme.dim));
        editor.set_selection_style(setup.theme.selected());
        let mut s = State {
            setup,
            size,
            focus: Focus::Editor,
            editor,
            revision: 0,
            agent: None,
            frozen: None,
            fresh: None,
            analysis: None,
            review_scroll: 0,
            runbook: RunbookPane::default(),
            conn: Conn::Connecting,
            running: None,
            next_id: 1,
            results: ResultsPane::default(),
            status: setup_greeting,
            popup: None,
            plan,
            plan_view: PlanView::default(),
            staging: false,
            plan_saves: 0,
            timeline: Vec::new(),
            timeline_selected: 0,
            verdict_for: None,
            journal_failed: false,
            now: Instant::now(),
            spinner: 0,
            quit: false,
            draft_due: None,
            env: None,
            identity: None,
            notice: None,
            started: false,
            held: None,
            last_reads: Vec::new(),
            watch: None,
        };
        if let Some(draft) = s.setup.draft.clone() {
            s.editor.insert_str(&draft);
            s.editor.move_cursor(CursorMove::Top);
            s.revision = 1;
            let lines = draft.lines().count();
            s.say(
                format!("Restored this incident's draft ({}); nothing in it has run.", plural(lines, "line")),
                Tone::Info,
            );
        }
        s.relayout();
        s
    }

    /// What the loop does first (besides connecting, which the database task starts at once):
    /// label a restored draft.
    pub fn startup_effects(&self) -> Vec<Effect> {
        let mut fx = vec![];
        if self.revision > 0 {
            fx.push(Effect::Analyze { revision: self.revision, text: self.text() });
        }
        fx
    }

    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Whether the analysis on screen is for the text as it is now.
    pub fn analysis_current(&self) -> bool {
        self.analysis.as_ref().is_some_and(|a| a.revision == self.revision)
    }

    pub(super) fn say(&mut self, text: impl Into<String>, tone: Tone) {
        self.status = Some((text.into(), tone));
    }

    /// Lays the runbook out again when its pane's width changed.
    pub(super) fn relayout(&mut self) {
        let areas = layout::layout(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1), self);
        let (w, h) = areas.runbook.map(|r| (r.width.saturating_sub(2), r.height.saturating_sub(2))).unwrap_or((60, 10));
        if self.runbook.view.width != w || self.runbook.view.lines.is_empty() {
            self.runbook.view = self.setup.runbook.layout(w, &self.setup.theme);
            self.runbook.find();
            self.runbook.scroll = self.runbook.scroll.min(self.runbook.view.lines.len().saturating_sub(1));
        }
        self.runbook.height = h.max(1);
        self.results.height = areas.results.map(|r| r.height.saturating_sub(4)).unwrap_or(5).max(1);
    }

    pub(super) fn set_focus(&mut self, f: Focus) {
        self.focus = f;
        self.relayout();
    }

    /// Replaces nothing: appends `text` at the end of the editor and marks it fresh.
    pub(super) fn append_to_editor(&mut self, text: &str) -> Vec<Effect> {
        self.editor.cancel_selection();
        self.editor.move_cursor(CursorMove::Bottom);
        self.editor.move_cursor(CursorMove::End);
        let current = self.text();
        let mut prefix = String::new();
        if !current.trim().is_empty() {
            prefix.push_str(if current.ends_with('\n') { "\n" } else { "\n\n" });
        }
        let start = current.len() + prefix.len();
        self.editor.insert_str(format!("{prefix}{text}"));
        self.fresh = Some((start, start + text.len()));
        self.changed()
    }

    /// A new event at the end of the timeline; the selection follows it when it was on the last one.
    pub(super) fn push_event(&mut self, event: Event) {
        let at_end = self.timeline_selected + 1 >= self.timeline.len();
        self.timeline.push(event);
        if at_end {
            self.timeline_selected = self.timeline.len() - 1;
        }
    }

    pub(super) fn changed(&mut self) -> Vec<Effect> {
        self.revision += 1;
        if self.setup.journal_dir.is_some() && self.draft_due.is_none() {
            self.draft_due = Some(self.now + DRAFT_DELAY);
        }
        vec![Effect::Analyze { revision: self.revision, text: self.text() }]
    }

    /// What `c` charts: the watched number, else the result on screen, if either makes one.
    pub fn chart(&self) -> Option<std::borrow::Cow<'_, chart::ChartData>> {
        let watched = self.watch.as_ref().filter(|w| w.history.len() >= 2).and_then(|w| {
            let name = self.results.table().and_then(|t| t.set.columns.first()).map_or("value", |c| c.name.as_str());
            chart::from_history(name, &w.history, w.every.as_secs_f64())
        });
        watched
            .map(std::borrow::Cow::Owned)
            .or_else(|| self.results.table()?.chart.as_ref().map(std::borrow::Cow::Borrowed))
    }

    /// A new run of `reads` is under way: its id.
    pub(super) fn start_run(&mut self, reads: Vec<(usize, String)>, skipped: String) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.running = Some(Running::new(id, self.now, reads, skipped));
        id
    }

    /// The review shows the statement under the editor's cursor (or the one before it).
    pub(super) fn follow_cursor(&mut self) {
        let Some(a) = self.analysis.as_ref().filter(|a| a.revision == self.revision) else { return };
        let at = self.cursor_offset();
        let stmts = &a.review.statements;
        let here = stmts.iter().rposition(|s| s.span.start <= at).unwrap_or(0);
        if let Some(&line) = a.heads.get(here) {
            // The first statement's view starts with the summary above it.
            self.review_scroll = if here == 0 { 0 } else { line };
        }
    }

    /// The cursor as a byte offset into `text()`.
    pub(super) fn cursor_offset(&self) -> usize {
        let (row, col) = (self.editor.cursor().0, self.editor.cursor().1);
        editor::offset_of(self.editor.lines(), row, col)
    }
}
