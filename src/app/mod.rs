//! The cockpit's state and its pure `update`: a message in, the state changed, effects out.
//! Nothing here does IO; `run` owns the terminal, the tasks and the channels.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};

use crate::config::keymap::{Context, Key};
use crate::config::{Action, Keymap, Theme};
use crate::db::ServerInfo;
use crate::db::posture::Posture;
use crate::plan::Plan;
use crate::runbook::Runbook;
use crate::timeline::{Entry, Event};
use crate::words::plural;

mod actions;
use actions::act;
pub mod analysis;
pub(crate) mod banner;
pub mod chart;
mod contents;
mod editor;
pub mod help;
mod kill_switch;
pub mod layout;
mod line_input;
mod note;
mod pin;
mod popup;
mod search;
mod state;
use popup::on_popup_key;
mod plan;
pub mod results;
mod runbook;
mod timeline;
pub mod watch;

pub use analysis::Analysis;

pub use results::{Body, ResultEntry, Table};

/// What the cockpit shows in its banner and which limits its reads get.
#[derive(Debug, Clone)]
pub struct Setup {
    pub environment: String,
    pub host: String,
    pub database: String,
    pub role: String,
    pub incident: Option<String>,
    pub profile: Option<String>,
    pub row_limit: u64,
    pub theme: Theme,
    pub keymap: Keymap,
    pub runbook: Runbook,
    /// The first status line (the demo says what to try).
    pub greeting: Option<String>,
    /// Where the incident's plan lives (None: staging is not possible).
    pub incident_dir: Option<std::path::PathBuf>,
    /// The incident's plan as it was on disk at start.
    pub plan: Option<Plan>,
    /// Where the incident's timeline is written (None: it is not).
    pub journal_dir: Option<std::path::PathBuf>,
    /// The kill switch's file, looked at while the cockpit runs (None: not watched).
    pub freeze_file: Option<std::path::PathBuf>,
    /// What agents may do on this environment (the profile's policy), for the banner.
    pub agent_policy: crate::config::AgentPolicy,
    /// The editor's text as it was saved in the incident folder, put back at start.
    pub draft: Option<String>,
    /// The environment the profile names (None: it names none); the cluster's pin decides
    /// with it once connected.
    pub profile_environment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Runbook,
    Editor,
    Review,
    Results,
}

const FOCUS_ORDER: [Focus; 4] = [Focus::Runbook, Focus::Editor, Focus::Review, Focus::Results];

impl Focus {
    pub fn number(self) -> usize {
        FOCUS_ORDER.iter().position(|f| *f == self).unwrap_or(0) + 1
    }
}

/// The connection as the banner shows it.
#[derive(Debug, Clone)]
pub enum Conn {
    Connecting,
    Connected { info: Box<ServerInfo>, posture: Box<Posture> },
    Failed(String),
    Lost(String),
}

/// A read in flight.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: u64,
    pub started: Instant,
    pub total: usize,
    pub done: usize,
    pub cancelling: bool,
    /// The note about writes that were skipped, kept for the final status.
    pub skipped: String,
    /// What runs: (statement number, text).
    pub reads: Vec<(usize, String)>,
}

impl Running {
    /// A run of `reads` begun at `started`; `skipped` is the note about writes left out.
    pub fn new(id: u64, started: Instant, reads: Vec<(usize, String)>, skipped: String) -> Running {
        Running { id, started, total: reads.len(), done: 0, cancelling: false, skipped, reads }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    Toc {
        selected: usize,
    },
    Search {
        query: String,
    },
    /// The rollback plan: steps, evidence, checklist.
    Plan,
    /// Marking the plan reviewed: the reviewer types each step's table and row count.
    Confirm {
        step: usize,
        typed: String,
        answers: Vec<String>,
    },
    /// The incident timeline: every event, newest last; the selected one's details.
    Timeline,
    /// The kill switch: freeze (y) or, while frozen, thaw (type `thaw`).
    KillSwitch {
        typed: String,
    },
    /// A one-line note for the timeline.
    Note {
        text: String,
    },
    /// Pinning the cluster to an environment: its name, typed.
    Pin {
        typed: String,
    },
    /// The result (or the watched number) as a chart.
    Chart,
}

/// Which step of the plan is shown, and how far its details are scrolled.
#[derive(Debug, Clone, Default)]
pub struct PlanView {
    pub step: usize,
    pub scroll: u16,
}

/// The runbook pane: its layout for the current width, scroll and selection.
#[derive(Debug, Clone, Default)]
pub struct RunbookPane {
    pub view: crate::runbook::View,
    pub scroll: usize,
    pub block: Option<usize>,
    pub search: String,
    /// The lines that hold `search`, in order; found when the search or the layout changes.
    pub matches: Vec<usize>,
    pub height: u16,
}

impl RunbookPane {
    fn find(&mut self) {
        let needle = self.search.to_lowercase();
        self.matches = if needle.is_empty() {
            vec![]
        } else {
            (0..self.view.plain.len()).filter(|&i| self.view.plain[i].to_lowercase().contains(&needle)).collect()
        };
    }
}

/// The results pane: every result of the last run, one shown at a time.
#[derive(Debug, Clone, Default)]
pub struct ResultsPane {
    pub entries: Vec<ResultEntry>,
    pub current: usize,
    pub row: usize,
    pub col: usize,
    pub top: usize,
    pub left: usize,
    pub height: u16,
    /// psql's `\x`: each row as a record, a column a line.
    pub expanded: bool,
}

impl ResultsPane {
    /// Shows entry `i` from its first cell.
    fn show(&mut self, i: usize) {
        self.current = i;
        (self.row, self.col, self.top, self.left) = (0, 0, 0, 0);
    }

    pub fn table(&self) -> Option<&Table> {
        match &self.entries.get(self.current)?.body {
            Body::Rows(t) => Some(t),
            Body::Error { .. } => None,
        }
    }
}

pub struct State {
    pub setup: Setup,
    pub size: (u16, u16),
    pub focus: Focus,
    pub editor: TextArea<'static>,
    /// Bumped on every change of the editor's text.
    pub revision: u64,
    /// An agent working on this incident from another process, if one has acted.
    pub agent: Option<AgentSeen>,
    /// The kill switch, while it is pulled.
    pub frozen: Option<crate::freeze::Freeze>,
    /// Byte range of the text just pasted (or sent from the runbook), until the cursor moves.
    pub fresh: Option<(usize, usize)>,
    pub analysis: Option<Analysis>,
    pub review_scroll: usize,
    pub runbook: RunbookPane,
    pub conn: Conn,
    pub running: Option<Running>,
    pub next_id: u64,
    pub results: ResultsPane,
    pub status: Option<(String, Tone)>,
    pub popup: Option<Popup>,
    /// The incident's plan, as last read from or written to disk.
    pub plan: Option<Plan>,
    pub plan_view: PlanView,
    /// A stage is gathering evidence.
    pub staging: bool,
    /// Plan changes (stages, ticks, the review) sent to disk and not yet reported back.
    pub plan_saves: usize,
    /// The incident timeline's events, oldest first (read from disk when F7 opens it, then
    /// kept up with this cockpit's own), and the one selected in its view.
    pub timeline: Vec<Event>,
    pub timeline_selected: usize,
    /// The revision whose verdict goes to the timeline when its analysis arrives, and
    /// where its text came from.
    pub verdict_for: Option<(u64, &'static str)>,
    /// The timeline could not be written (said once, not after every event).
    pub journal_failed: bool,
    pub now: Instant,
    pub spinner: usize,
    pub quit: bool,
    /// When the editor's text is next saved as the incident's draft (set by the first
    /// unsaved change, so typing never pushes it further away).
    pub draft_due: Option<Instant>,
    /// The environment as decided from the cluster's pin and the profile (once connected).
    pub env: Option<crate::environment::Verdict>,
    /// The cluster last connected to, to notice a failover or a different cluster.
    pub identity: Option<crate::db::Identity>,
    /// What the banner says about the connection's history: reconnecting, reconnected
    /// after N s, came back as a standby.
    pub notice: Option<(String, Tone)>,
    /// Reads held back as heavy, until when F5 runs them anyway, and what they would do.
    pub held: Option<Held>,
    /// The reads that ran last (what `w` watches), and the watch in progress.
    pub last_reads: Vec<(usize, String)>,
    pub watch: Option<watch::Watch>,
    /// The session's start is in the timeline (it waits for the first connection attempt,
    /// so that it says which cluster was read).
    pub started: bool,
}

/// Anything that enters `update`.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// The terminal went away (its window closed, the connection to it dropped) without a
    /// hangup signal reaching warroom: the cockpit ends as on SIGHUP.
    TerminalGone,
    /// Time passes while a read runs (the spinner, the elapsed time).
    Tick,
    Analyzed(Analysis),
    Connected {
        info: Box<ServerInfo>,
        posture: Box<Posture>,
        /// The environment the cluster is pinned to (Err: known_clusters.toml is unreadable).
        pinned: Result<Option<String>, String>,
        /// How long the connection had been lost, when this is a reconnection.
        reconnected_after: Option<std::time::Duration>,
    },
    ConnectFailed(String),
    /// The connection ended while nothing ran (the server stopped, the network dropped).
    Lost(String),
    /// A reconnection attempt failed; the next one is in `next_in`.
    Reconnecting {
        attempt: u32,
        next_in: std::time::Duration,
        error: String,
    },
    /// The cluster was pinned (or why not).
    Pinned(Result<crate::environment::Pin, String>),
    /// One statement of run `id` finished.
    Result {
        id: u64,
        entry: ResultEntry,
    },
    /// A read of run `id` was held back: the planner expects it to be heavy (what it would do).
    Held {
        id: u64,
        index: usize,
        said: String,
    },
    /// Run `id` is over; `lost` says the connection went away.
    RunFinished {
        id: u64,
        lost: Option<String>,
    },
    /// The plan on disk after a stage, a tick or a review (None: none yet), what to say,
    /// and what to record in the timeline.
    PlanStored {
        plan: Option<Box<Plan>>,
        said: Result<String, String>,
        record: Option<Entry>,
    },
    /// An event landed in the timeline (or why it did not).
    Recorded(Result<Event, String>),
    /// The timeline as it is on disk (other warroom processes write to it too).
    TimelineLoaded(Result<Vec<Event>, String>),
    /// An export was written (what to say), or why not.
    Exported(Result<String, String>),
    /// Another process (an agent through `warroom mcp`) appended to this incident's timeline,
    /// and the plan as it is now on disk if it changed.
    Outside {
        events: Vec<Event>,
        plan: Option<Option<Box<Plan>>>,
    },
    /// The kill switch was pulled (with who, when, why) or released.
    Frozen(Option<crate::freeze::Freeze>),
    /// Time to save the editor's text as the incident's draft.
    DraftDue,
    /// Time for the watch's next run.
    WatchTick,
    /// Messages that belong to one moment (a run's last result and its end), taken in order
    /// before the next frame.
    Batch(Vec<Msg>),
    /// The draft could not be saved (said once until a save works again).
    DraftFailed(String),
}

/// Reads held back because the planner expects them to be heavy: F5 on the same reads
/// before `until` runs them anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub reads: Vec<(usize, String)>,
    pub index: usize,
    pub said: String,
    pub until: Instant,
}

/// How long a held-back read waits for the F5 that runs it anyway.
pub const HELD_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The agent last seen acting on this incident: its name and when (HH:MM:SS, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSeen {
    pub name: String,
    pub at: String,
}

/// IO that `update` asks for; `run` carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Classify and colour this revision of the editor's text, off the UI thread.
    Analyze {
        revision: u64,
        text: String,
    },
    Connect,
    /// Run these reads (statement number, text), in order. Only reads ever get here.
    Run {
        id: u64,
        reads: Vec<(usize, String)>,
        /// The person pressed F5 again on reads the planner expects to be heavy.
        anyway: bool,
    },
    Cancel {
        id: u64,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Gather evidence for these writes and add them to the incident's plan. Nothing runs.
    Stage {
        writes: Vec<String>,
    },
    /// Replace the plan on disk, if it is still `expected` there.
    SavePlan {
        expected: Option<Box<Plan>>,
        plan: Box<Plan>,
    },
    /// Mark the plan reviewed with these typed confirmations, if it is still `expected`.
    MarkReviewed {
        expected: Box<Plan>,
        typed: Vec<String>,
    },
    /// Append this event to the incident's timeline.
    Record(Entry),
    /// Read the timeline from disk again.
    LoadTimeline,
    /// Write timeline.md and timeline.json into the incident folder.
    ExportTimeline,
    /// Pull the kill switch (write the freeze file), or release it (remove it).
    Freeze {
        reason: String,
    },
    Thaw,
    /// Pin this cluster to an environment in known_clusters.toml.
    Pin {
        identity: Box<crate::db::Identity>,
        environment: String,
    },
    /// Save the editor's text as the incident's draft (draft.sql, replaced atomically).
    SaveDraft(String),
    Suspend,
    Quit,
}

/// The longest the saved draft trails the keyboard (plus one atomic write).
pub const DRAFT_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

const PLACEHOLDER: &str = "Paste the agent's SQL here (its whole answer is fine: prose and ``` fences are ignored). F5 runs reads; writes never run.";

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key),
        Msg::Key(_) => vec![],
        Msg::Paste(text) => editor::pasted(state, text),
        Msg::TerminalGone => {
            state.quit = true;
            vec![]
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            state.relayout();
            vec![]
        }
        Msg::Tick => {
            state.spinner = state.spinner.wrapping_add(1);
            vec![]
        }
        Msg::Analyzed(a) => editor::analyzed(state, a),
        Msg::Connected { info, posture, pinned, reconnected_after } => {
            banner::connected(state, info, posture, pinned, reconnected_after)
        }
        Msg::Lost(why) => banner::lost(state, why, false),
        Msg::Reconnecting { attempt, next_in, error } => {
            banner::reconnecting(state, attempt, next_in, &error);
            vec![]
        }
        Msg::Pinned(result) => pin::pinned(state, result),
        Msg::Outside { events, plan } => timeline::outside(state, events, plan),
        Msg::Frozen(freeze) => kill_switch::frozen(state, freeze),
        Msg::Batch(msgs) => msgs.into_iter().flat_map(|m| update(state, m)).collect(),
        Msg::WatchTick => watch::tick(state),
        Msg::DraftDue => match state.draft_due.take() {
            Some(_) => vec![Effect::SaveDraft(state.text())],
            None => vec![],
        },
        Msg::DraftFailed(e) => {
            state.say(format!("Your draft could not be saved ({e}); copy the text somewhere safe."), Tone::Bad);
            vec![]
        }
        Msg::ConnectFailed(e) => banner::connect_failed(state, e),
        Msg::Held { id, index, said } => results::held(state, id, index, said),
        Msg::Result { id, entry } => results::arrived(state, id, entry),
        Msg::PlanStored { plan, said, record } => plan::stored(state, plan, said, record),
        Msg::Recorded(Ok(event)) => {
            state.push_event(event);
            vec![]
        }
        Msg::Recorded(Err(e)) => {
            if !std::mem::replace(&mut state.journal_failed, true) {
                state.say(format!("The timeline could not be written: {e}; events are not being recorded."), Tone::Bad);
            }
            vec![]
        }
        Msg::TimelineLoaded(Ok(events)) => {
            state.timeline = events;
            state.timeline_selected = state.timeline.len().saturating_sub(1);
            vec![]
        }
        Msg::TimelineLoaded(Err(e)) | Msg::Exported(Err(e)) => {
            state.say(e, Tone::Bad);
            vec![]
        }
        Msg::Exported(Ok(said)) => {
            state.say(said, Tone::Good);
            vec![]
        }
        Msg::RunFinished { id, lost } => results::finished(state, id, lost),
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if state.popup.is_some() {
        return on_popup_key(state, key);
    }
    let Some(k) = Key::from_event(&key) else { return vec![] };
    let keymap = &state.setup.keymap;
    let pane = match state.focus {
        Focus::Runbook => keymap.lookup(Context::Runbook, &k),
        Focus::Results => keymap.lookup(Context::Results, &k),
        _ => None,
    };
    // In the editor a plain character is typing, whatever it is bound to elsewhere.
    let global = if state.focus == Focus::Editor && k.is_text() { None } else { keymap.lookup(Context::Global, &k) };
    let arrow = keymap.arrow(&key);
    if let Some(action) = pane.or(global) {
        return act(state, action);
    }
    match state.focus {
        Focus::Editor => {
            let cursor = state.editor.cursor();
            let modified = state.editor.input(key);
            if modified || state.editor.cursor() != cursor {
                state.fresh = None;
                state.follow_cursor();
            }
            if modified { state.changed() } else { vec![] }
        }
        Focus::Review => {
            let total = state.analysis.as_ref().map_or(0, |a| a.lines.len());
            state.review_scroll = scroll(state.review_scroll, arrow, total, 10);
            vec![]
        }
        Focus::Runbook => {
            let total = state.runbook.view.lines.len();
            let page = state.runbook.height as usize;
            state.runbook.scroll = scroll(state.runbook.scroll, arrow, total, page);
            vec![]
        }
        Focus::Results => {
            results::navigate(&mut state.results, arrow);
            vec![]
        }
    }
}

fn scroll(at: usize, code: KeyCode, total: usize, page: usize) -> usize {
    let last = total.saturating_sub(1);
    match code {
        KeyCode::Down => (at + 1).min(last),
        KeyCode::Up => at.saturating_sub(1),
        KeyCode::PageDown => (at + page.max(1)).min(last),
        KeyCode::PageUp => at.saturating_sub(page.max(1)),
        KeyCode::Home => 0,
        KeyCode::End => last,
        _ => at,
    }
}

fn focus(state: &mut State, f: Focus) -> Vec<Effect> {
    state.set_focus(f);
    vec![]
}

/// Says why nothing happens while the kill switch is pulled; true when it is.
fn refused_while_frozen(state: &mut State) -> bool {
    let Some(f) = &state.frozen else { return false };
    let said = format!("Refused: {}.", f.describe());
    state.say(said, Tone::Bad);
    true
}
