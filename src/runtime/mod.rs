//! The event loop: owns the terminal, the tasks and the channels, and carries out effects.
//! The terminal is restored on every way out: return, error, panic, SIGTERM, SIGHUP.

mod db;
mod effects;
mod workers;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::terminal::{self, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, SetTitle};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use self::db::{DbCmd, DbSetup};
use self::effects::{Then, Workers};
use self::workers::JournalJob;
use crate::app::{Msg, Setup, State, update};
use crate::db::{Canceller, Limits, Target};
use crate::timeline::{Entry, Journal};

/// Everything the cockpit needs to start.
pub struct Launch {
    pub setup: Setup,
    pub target: Target,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum CockpitError {
    #[error(
        "the cockpit needs a terminal (standard input and output must be a TTY); for scripts, use `warroom query` or `warroom check`"
    )]
    NotATerminal,
    #[error("the terminal failed: {0}")]
    Terminal(#[from] io::Error),
}

/// Puts the terminal back as it was: raw mode off, main screen, no bracketed paste or mouse.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

fn enter_terminal(title: &str) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, Clear(ClearType::All), EnableBracketedPaste, SetTitle(title))
}

/// Restores the terminal when dropped, whatever the way out.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook(journal: Option<Journal>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        if let Some(j) = &journal {
            let said = info.to_string();
            let _ = j.record(Entry::crash(&said));
        }
        previous(info);
    }));
}

/// Whether the session is connected, as the analyzer sees it (its labels are then a connected
/// read's text proof).
type Connected = Arc<std::sync::atomic::AtomicBool>;

/// The incident whose plan gets staged writes: its id and folder.
type Incident = Option<(String, std::path::PathBuf)>;

/// The running read's canceller, set by the database task while it is connected.
type SharedCanceller = Arc<Mutex<Option<Canceller>>>;

/// The terminal's output, buffered for a whole frame: written in one go (ratatui flushes it
/// at the end of each frame), not in standard output's 1 KB pieces.
fn backend() -> CrosstermBackend<io::BufWriter<io::Stdout>> {
    CrosstermBackend::new(io::BufWriter::with_capacity(256 * 1024, io::stdout()))
}

/// How long a frame waits for a read that just started before it shows it running.
const FIRST_ROWS_WAIT: Duration = Duration::from_millis(12);

/// Opens the cockpit and runs it until the user quits (or a signal ends it).
pub fn cockpit(launch: Launch) -> Result<(), CockpitError> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(CockpitError::NotATerminal);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    install_panic_hook(journal_of(&launch.setup));
    let s = &launch.setup;
    let title = format!("warroom · {} · {} on {}", s.environment.to_uppercase(), s.database, s.host);
    enter_terminal(&title)?;
    let _guard = TerminalGuard;
    // The session's futures are not Send: everything runs on this one thread.
    let result = runtime.block_on(tokio::task::LocalSet::new().run_until(event_loop(launch, title)));
    drop(_guard);
    // The terminal title is left as the environment said; give it back a neutral one.
    let _ = execute!(io::stdout(), SetTitle(""));
    result
}

/// Starts the workers and the database task, and asks for the connection at once: the server
/// works on the connection and the posture while the first frame is drawn.
fn start(launch: Launch, msg_tx: &tokio::sync::mpsc::UnboundedSender<Msg>) -> io::Result<(Workers, Setup, Joins)> {
    workers::spawn_input(msg_tx.clone());
    let setup = launch.setup;
    let connected: Connected = Arc::default();
    let canceller: SharedCanceller = Arc::default();
    let incident: Incident = setup.incident.clone().zip(setup.incident_dir.clone());
    workers::spawn_watcher(&incident, setup.freeze_file.clone(), msg_tx.clone());
    let (journal, journal_thread) = workers::spawn_journal(journal_of(&setup), setup.incident.clone(), msg_tx.clone());
    let (draft, draft_thread) = workers::spawn_draft_writer(msg_tx.clone());
    let workers = Workers {
        msg: msg_tx.clone(),
        analyze: workers::spawn_analyzer(msg_tx.clone(), setup.theme.clone(), connected.clone()),
        plan: workers::spawn_plan_writer(&incident, msg_tx.clone()),
        db: db::spawn(
            DbSetup {
                incident,
                target: launch.target,
                limits: launch.limits,
                row_limit: setup.row_limit,
                canceller: canceller.clone(),
                connected,
            },
            msg_tx.clone(),
        )?,
        canceller,
        journal,
        draft,
        freeze_file: setup.freeze_file.clone(),
        journal_dir: setup.journal_dir.clone(),
    };
    let _ = workers.db.send(DbCmd::Connect);
    Ok((workers, setup, Joins { journal: journal_thread, draft: draft_thread }))
}

/// The writers' threads, joined at the end so that every event and the draft are on disk.
struct Joins {
    journal: std::thread::JoinHandle<()>,
    draft: std::thread::JoinHandle<()>,
}

async fn event_loop(launch: Launch, title: String) -> Result<(), CockpitError> {
    use tokio::signal::unix::{SignalKind, signal};

    // The terminal first: it asks where the cursor is, and the answer must not go to the input thread.
    let mut terminal = Terminal::new(backend())?;
    let (msg_tx, mut msg_rx) = unbounded_channel::<Msg>();
    let (workers, setup, joins) = start(launch, &msg_tx)?;
    let opened = Instant::now();
    let mut state = State::new(setup, terminal::size()?);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut effects = state.startup_effects();
    let mut redraw_all = false;
    let mut started: Option<u64> = None;
    loop {
        for e in effects.drain(..) {
            if let Then::Suspend = workers.carry_out(e) {
                suspend(&title)?;
                // A fresh terminal draws every cell again (never `clear`, which asks
                // for the cursor position while the input thread is reading).
                terminal = Terminal::new(backend())?;
                redraw_all = true;
            }
        }
        if state.quit {
            break;
        }
        if std::mem::take(&mut redraw_all) {
            state.now = Instant::now();
            let size = terminal::size()?;
            effects.extend(update(&mut state, Msg::Resize(size.0, size.1)));
        }
        // A read just started: most come back within a few milliseconds, so its rows are
        // drawn in the next frame rather than behind a "running" frame drawn first.
        if let Some(id) = started.take() {
            let deadline = tokio::time::Instant::now() + FIRST_ROWS_WAIT;
            while effects.is_empty() && state.running.as_ref().is_some_and(|r| r.id == id) {
                let Ok(Some(m)) = tokio::time::timeout_at(deadline, msg_rx.recv()).await else { break };
                state.now = Instant::now();
                effects.extend(update(&mut state, m));
            }
            if !effects.is_empty() {
                continue;
            }
        }
        terminal.draw(|f| crate::ui::draw(f, &state))?;
        let first = tokio::select! {
            m = next_msg(&mut msg_rx, &state, &mut tick) => m,
            _ = term.recv() => break,
            _ = hup.recv() => break,
        };
        // Take everything that is waiting, and draw once after (bursts such as a paste coalesce).
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok(m) = msg_rx.try_recv() {
            batch.push(m);
        }
        let run_before = state.running.as_ref().map(|r| r.id);
        for m in batch {
            state.now = Instant::now();
            effects.extend(update(&mut state, m));
        }
        started = state.running.as_ref().map(|r| r.id).filter(|id| Some(*id) != run_before);
    }
    finish(state, workers, joins, opened).await;
    if workers::terminal_gone() {
        // ratatui's Terminal shows the cursor when dropped and prints to standard error when
        // it cannot: with the terminal gone, that print would panic. There is nothing to show.
        std::mem::forget(terminal);
    }
    Ok(())
}

/// The next message: from a worker, or the draft, the watch or the clock falling due.
async fn next_msg(rx: &mut UnboundedReceiver<Msg>, state: &State, tick: &mut tokio::time::Interval) -> Option<Msg> {
    let later = || tokio::time::Instant::now() + Duration::from_secs(3600);
    let watch_at = state.watch.as_ref().map_or_else(later, |w| tokio::time::Instant::from_std(w.next_at));
    let draft_at = state.draft_due.map_or_else(later, tokio::time::Instant::from_std);
    tokio::select! {
        m = rx.recv() => m,
        _ = tokio::time::sleep_until(draft_at), if state.draft_due.is_some() => Some(Msg::DraftDue),
        _ = tokio::time::sleep_until(watch_at), if state.watch.is_some() && state.running.is_none() => Some(Msg::WatchTick),
        _ = tick.tick(), if state.running.is_some() || state.watch.is_some() => Some(Msg::Tick),
    }
}

/// On the way out: a read still running is cancelled, so the server does not carry on; the
/// session's end is recorded; every event and the draft are on disk before warroom exits.
async fn finish(mut state: State, workers: Workers, joins: Joins, opened: Instant) {
    let pending =
        if state.running.is_some() { workers.canceller.lock().expect("canceller lock").clone() } else { None };
    if let Some(c) = pending {
        let _ = tokio::time::timeout(Duration::from_secs(2), c.cancel()).await;
    }
    if let Some(start) = crate::app::banner::start_entry(&mut state) {
        let _ = workers.journal.send(JournalJob::Record(start));
    }
    let why = match (state.quit, workers::terminal_gone()) {
        (_, true) => "the terminal went away",
        (true, false) => "quit",
        (false, false) => "ended by a signal",
    };
    let _ = workers.journal.send(JournalJob::Record(Entry::session_end(why, opened.elapsed().as_secs())));
    drop(workers);
    let _ = joins.journal.join();
    let _ = joins.draft.join();
}

/// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
fn suspend(title: &str) -> io::Result<()> {
    restore_terminal();
    // SAFETY: raise only sends a signal to this process; SIGTSTP's default action stops it
    // and execution continues here after SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter_terminal(title)
}

/// The incident's journal, written as the operator.
fn journal_of(setup: &Setup) -> Option<Journal> {
    setup.journal_dir.as_ref().map(|d| Journal::new(d, crate::incident::operator()))
}
