//! The event loop: owns the terminal, the tasks and the channels, and carries out effects.
//! The terminal is restored on every way out: return, error, panic, SIGTERM, SIGHUP.

use std::io;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, Event};
use crossterm::terminal::{self, Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, SetTitle};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::app::{Effect, Msg, ResultEntry, Setup, State, update};
use crate::db::render::ResultSet;
use crate::db::session::Closed;
use crate::db::{Canceller, DbError, Limits, Session, Target, posture};
use crate::plan::{self, Plan, store};
use crate::timeline::{self, Entry, Journal};
use crate::words::plural;

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

enum DbCmd {
    Connect,
    Run { id: u64, reads: Vec<(usize, String)>, anyway: bool },
    Stage { writes: Vec<String> },
}

/// Whether the session is connected, as the analyzer sees it (its labels are then a connected
/// read's text proof).
type Connected = Arc<std::sync::atomic::AtomicBool>;

/// The incident whose plan gets staged writes: its id and folder.
type Incident = Option<(String, std::path::PathBuf)>;

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

async fn event_loop(launch: Launch, title: String) -> Result<(), CockpitError> {
    use tokio::signal::unix::{SignalKind, signal};

    // The terminal first: it asks where the cursor is, and the answer must not go to the input thread.
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let (msg_tx, mut msg_rx) = unbounded_channel::<Msg>();
    spawn_input(msg_tx.clone());
    let connected: Connected = Arc::default();
    let analyze_tx = spawn_analyzer(msg_tx.clone(), launch.setup.theme.clone(), connected.clone());
    let canceller: Arc<Mutex<Option<Canceller>>> = Arc::default();
    let incident: Incident = launch.setup.incident.clone().zip(launch.setup.incident_dir.clone());
    let plan_tx = spawn_plan_writer(&incident, msg_tx.clone());
    spawn_watcher(&incident, launch.setup.freeze_file.clone(), msg_tx.clone());
    let (journal_tx, journal_thread) =
        spawn_journal(journal_of(&launch.setup), launch.setup.incident.clone(), msg_tx.clone());
    let (draft_tx, draft_thread) = spawn_draft_writer(msg_tx.clone());
    let opened = Instant::now();
    let db_tx = spawn_db(
        incident,
        launch.target,
        launch.limits,
        launch.setup.row_limit,
        msg_tx.clone(),
        (canceller.clone(), connected),
    )?;
    // At once: the server works on the connection and the posture while the first frame is drawn.
    let _ = db_tx.send(DbCmd::Connect);

    let size = terminal::size()?;
    let mut state = State::new(launch.setup, size);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut effects = state.startup_effects();
    let mut redraw_all = false;
    loop {
        for e in effects.drain(..) {
            match e {
                Effect::Analyze { revision, text } => {
                    let _ = analyze_tx.send((revision, text));
                }
                Effect::Connect => {
                    let _ = db_tx.send(DbCmd::Connect);
                }
                Effect::Run { id, reads, anyway } => {
                    let _ = db_tx.send(DbCmd::Run { id, reads, anyway });
                }
                Effect::Cancel { .. } => {
                    if let Some(c) = canceller.lock().expect("canceller lock").clone() {
                        tokio::spawn(async move { c.cancel().await });
                    }
                }
                Effect::Copy(text) => {
                    let _ = execute!(io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
                }
                Effect::Suspend => {
                    suspend(&title)?;
                    // A fresh terminal draws every cell again (never `clear`, which asks
                    // for the cursor position while the input thread is reading).
                    terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
                    redraw_all = true;
                }
                Effect::Stage { writes } => {
                    let _ = db_tx.send(DbCmd::Stage { writes });
                }
                // The kill switch's file may sit on a shared mount: written off the UI thread.
                Effect::Freeze { reason } => {
                    if let Some(path) = state.setup.freeze_file.clone() {
                        let journal = journal_tx.clone();
                        std::thread::spawn(move || {
                            let entry = match crate::freeze::freeze(&path, &reason) {
                                Ok(f) => Entry::freeze("cockpit", &f.by, &f.reason, &path),
                                Err(e) => {
                                    Entry::error("cockpit", format!("Could not freeze ({}): {e}", path.display()))
                                        .with("freeze_file", path.display().to_string())
                                }
                            };
                            let _ = journal.send(JournalJob::Record(entry));
                        });
                    }
                }
                Effect::Thaw => {
                    if let Some(path) = state.setup.freeze_file.clone() {
                        let journal = journal_tx.clone();
                        std::thread::spawn(move || {
                            let entry = match crate::freeze::thaw(&path) {
                                Ok(was) => Entry::thaw(
                                    "cockpit",
                                    &crate::incident::operator(),
                                    was.as_ref().map(|f| (f.by.as_str(), f.at.as_str())),
                                    &path,
                                ),
                                Err(e) => Entry::error("cockpit", format!("Could not thaw ({}): {e}", path.display()))
                                    .with("freeze_file", path.display().to_string()),
                            };
                            let _ = journal.send(JournalJob::Record(entry));
                        });
                    }
                }
                Effect::SavePlan { expected, plan } => {
                    let _ = plan_tx.send(Box::new(move |p| {
                        if p.as_ref() != expected.as_deref() {
                            return Err(CHANGED.to_string());
                        }
                        *p = Some(*plan);
                        Ok(("Saved the plan.".to_string(), None))
                    }));
                }
                Effect::Record(entry) => {
                    let _ = journal_tx.send(JournalJob::Record(entry));
                }
                Effect::LoadTimeline => {
                    let _ = journal_tx.send(JournalJob::Load);
                }
                Effect::ExportTimeline => {
                    let _ = journal_tx.send(JournalJob::Export);
                }
                Effect::MarkReviewed { expected, typed } => {
                    let _ = plan_tx.send(Box::new(move |p| {
                        let Some(plan) = p.as_mut().filter(|p| **p == *expected) else {
                            return Err(CHANGED.to_string());
                        };
                        let at = crate::incident::now_utc();
                        let by = crate::incident::operator();
                        plan.mark_reviewed(&by, &at, &typed)
                            .map_err(|e| format!("Not marked reviewed: {}.", e.join("; ")))?;
                        let record = Entry::plan_reviewed(&by, &at, plan.steps.len(), &typed);
                        Ok((
                            format!(
                                "The plan is REVIEWED by {by} at {at}; `warroom plan verify` now passes on plan.sql."
                            ),
                            Some(record),
                        ))
                    }));
                }
                Effect::Pin { identity, environment } => {
                    let tx = msg_tx.clone();
                    std::thread::spawn(move || {
                        let at = crate::incident::now_utc();
                        let pinned = crate::environment::pin(
                            &crate::environment::path(),
                            &identity,
                            &environment,
                            &crate::incident::operator(),
                            &at,
                        );
                        let _ = tx.send(Msg::Pinned(pinned.map_err(|e| e.to_string())));
                    });
                }
                Effect::SaveDraft(text) => {
                    if let Some(dir) = &state.setup.journal_dir {
                        let _ = draft_tx.send((dir.clone(), text));
                    }
                }
                Effect::Quit => {}
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
        terminal.draw(|f| crate::ui::draw(f, &state))?;

        let watch_at = state.watch.as_ref().map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            |w| tokio::time::Instant::from_std(w.next_at),
        );
        let draft_at = state
            .draft_due
            .map_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600), tokio::time::Instant::from_std);
        let first = tokio::select! {
            m = msg_rx.recv() => m,
            _ = tokio::time::sleep_until(draft_at), if state.draft_due.is_some() => Some(Msg::DraftDue),
            _ = tokio::time::sleep_until(watch_at), if state.watch.is_some() && state.running.is_none() => Some(Msg::WatchTick),
            _ = tick.tick(), if state.running.is_some() || state.watch.is_some() => Some(Msg::Tick),
            _ = term.recv() => break,
            _ = hup.recv() => break,
        };
        // Take everything that is waiting, and draw once after (bursts such as a paste coalesce).
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok(m) = msg_rx.try_recv() {
            batch.push(m);
        }
        for m in batch {
            state.now = Instant::now();
            effects.extend(update(&mut state, m));
        }
    }
    // A read still running is cancelled before we go, so the server does not carry on.
    let pending = if state.running.is_some() { canceller.lock().expect("canceller lock").clone() } else { None };
    if let Some(c) = pending {
        let _ = tokio::time::timeout(Duration::from_secs(2), c.cancel()).await;
    }
    if let Some(start) = crate::app::banner::start_entry(&mut state) {
        let _ = journal_tx.send(JournalJob::Record(start));
    }
    let why = if state.quit { "quit" } else { "ended by a signal" };
    let _ = journal_tx.send(JournalJob::Record(Entry::session_end(why, opened.elapsed().as_secs())));
    // Every event and the draft are on disk before warroom exits.
    drop(journal_tx);
    let _ = journal_thread.join();
    drop(draft_tx);
    let _ = draft_thread.join();
    Ok(())
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

/// Terminal events, read on a thread of their own so the loop never blocks on input.
fn spawn_input(tx: UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        loop {
            let msg = match crossterm::event::read() {
                Ok(Event::Key(k)) => Msg::Key(k),
                Ok(Event::Paste(p)) => Msg::Paste(p),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

/// How long the analyzer waits before loading the syntax sets, unless text comes sooner.
const WARM_UP_AFTER: Duration = Duration::from_millis(150);

/// Above this many bytes the labels are sent before the colours.
const BIG_TEXT: usize = 16 * 1024;

/// Classification and highlighting, off the UI thread; only the newest text is worked on.
fn spawn_analyzer(
    tx: UnboundedSender<Msg>,
    theme: crate::config::Theme,
    connected: Connected,
) -> mpsc::Sender<(u64, String)> {
    let (in_tx, in_rx) = mpsc::channel::<(u64, String)>();
    std::thread::spawn(move || {
        // Syntax sets load after the connection has had the CPU for its posture check
        // (two cores: this, the server's backend); text that comes first loads them itself.
        let first = match in_rx.recv_timeout(WARM_UP_AFTER) {
            Ok(job) => Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        crate::highlight::warm_up();
        let jobs = first.into_iter().map(Ok).chain(std::iter::repeat_with(|| in_rx.recv()));
        for job in jobs {
            let Ok(mut job) = job else { break };
            while let Ok(newer) = in_rx.try_recv() {
                job = newer;
            }
            if job.1.len() > BIG_TEXT {
                let labels = crate::app::analysis::analyze_with(job.0, &job.1, &theme, false);
                if tx.send(Msg::Analyzed(labels)).is_err() {
                    break;
                }
            }
            let online = connected.load(std::sync::atomic::Ordering::Relaxed);
            let analysis = crate::app::analysis::analyze_against(job.0, &job.1, &theme, true, online);
            if tx.send(Msg::Analyzed(analysis)).is_err() {
                break;
            }
        }
    });
    in_tx
}

/// How often the incident folder is looked at for what other processes did.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// Watches the kill switch, and the incident's journal for what another process (an agent
/// through `warroom mcp`) adds: its events, and after a stage or a review of theirs the plan
/// as it then is on disk (written before the event). The cockpit's own plan saves never
/// come back this way, so a stale read of the file can never replace a newer plan here.
/// A `stat` or two per look; the journal is read only from where it was last seen.
fn spawn_watcher(incident: &Incident, freeze_file: Option<std::path::PathBuf>, tx: UnboundedSender<Msg>) {
    let dir = incident.clone().map(|(_, d)| d);
    if dir.is_none() && freeze_file.is_none() {
        return;
    }
    std::thread::spawn(move || {
        let dir = dir.unwrap_or_default();
        let watch_incident = !dir.as_os_str().is_empty();
        let journal = dir.join(crate::timeline::JOURNAL);
        let mut seen = std::fs::metadata(&journal).map_or(0, |m| m.len());
        let me = crate::incident::operator();
        let mut frozen = None;
        loop {
            // The kill switch first: a read in flight is cancelled within one look.
            let now = freeze_file.as_deref().and_then(crate::freeze::current);
            if now != frozen {
                frozen = now.clone();
                if tx.send(Msg::Frozen(now)).is_err() {
                    break;
                }
            }
            std::thread::sleep(WATCH_EVERY);
            if !watch_incident {
                continue;
            }
            let len = std::fs::metadata(&journal).map_or(0, |m| m.len());
            let mut events = Vec::new();
            if len > seen {
                if let Ok(bytes) = std::fs::read(&journal) {
                    // Only whole lines: a line being written now is read on the next look.
                    let upto = bytes.iter().rposition(|b| *b == b'\n').map_or(seen as usize, |i| i + 1);
                    if upto > seen as usize {
                        let text = String::from_utf8_lossy(&bytes[seen as usize..upto]);
                        events = crate::timeline::read(&text).events.into_iter().filter(|e| e.actor != me).collect();
                        seen = upto as u64;
                    }
                }
            } else if len < seen {
                seen = len;
            }
            if events.is_empty() {
                continue;
            }
            let changed_plan = events.iter().any(|e| matches!(e.kind.as_str(), "staged" | "plan_reviewed"));
            let plan = changed_plan.then(|| store::load(&dir).ok().flatten().map(Box::new));
            if tx.send(Msg::Outside { events, plan }).is_err() {
                break;
            }
        }
    });
}

const CHANGED: &str = "The plan changed on disk (another warroom?); it was reloaded: look again.";

/// A change to the plan on disk: Ok says what was done (and what to record), Err why nothing was.
type PlanChange = Box<dyn FnOnce(&mut Option<Plan>) -> Result<(String, Option<Entry>), String> + Send>;

/// Changes the plan on disk one after another, off the UI thread (the lock may wait), and
/// reports the plan as it is on disk after each change and what to say.
fn spawn_plan_writer(incident: &Incident, tx: UnboundedSender<Msg>) -> mpsc::Sender<PlanChange> {
    let (jobs, rx) = mpsc::channel::<PlanChange>();
    let dir = incident.as_ref().map(|(_, d)| d.clone());
    std::thread::spawn(move || {
        while let Ok(change) = rx.recv() {
            let Some(dir) = &dir else { continue };
            let done = store::update(dir, |p| Ok::<_, store::StoreError>(change(p)))
                .unwrap_or_else(|e| Err(format!("Cannot save the plan: {e}")));
            let plan = store::load(dir).ok().flatten().map(Box::new);
            let (said, record) = match done {
                Ok((said, record)) => (Ok(said), record),
                Err(e) => (Err(e), None),
            };
            if tx.send(Msg::PlanStored { plan, said, record }).is_err() {
                break;
            }
        }
    });
    jobs
}

/// The database task on a thread of its own (its own runtime: the session's futures stay
/// on it), so that connecting, reading and gathering evidence never wait for the screen.
fn spawn_db(
    incident: Incident,
    target: Target,
    limits: Limits,
    row_limit: u64,
    tx: UnboundedSender<Msg>,
    shared: (Arc<Mutex<Option<Canceller>>>, Connected),
) -> io::Result<UnboundedSender<DbCmd>> {
    let (db_tx, db_rx) = unbounded_channel::<DbCmd>();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("warroom-db".into()).spawn(move || {
        let local = tokio::task::LocalSet::new();
        runtime.block_on(local.run_until(db_task(incident, target, limits, row_limit, db_rx, tx, shared)));
    })?;
    Ok(db_tx)
}

/// The only user of the session: connects, checks the posture, runs reads one at a time,
/// gathers evidence for staged writes; what it shares with the loop and the analyzer is the
/// running read's canceller and whether it is connected.
async fn db_task(
    incident: Incident,
    target: Target,
    limits: Limits,
    row_limit: u64,
    mut rx: UnboundedReceiver<DbCmd>,
    tx: UnboundedSender<Msg>,
    (canceller, connected): (Arc<Mutex<Option<Canceller>>>, Connected),
) {
    let mut session: Option<Session> = None;
    let publish = |s: Option<&Session>| connected.store(s.is_some(), std::sync::atomic::Ordering::Relaxed);
    let limit = (row_limit > 0).then_some(row_limit);
    // The connection's end, watched while nothing runs; and, once lost, when it was lost
    // and when the next attempt to reconnect is due.
    let mut closed: Option<Closed> = None;
    let mut lost_at: Option<Instant> = None;
    let mut retry: Option<(tokio::time::Instant, Duration, u32)> = None;
    loop {
        let retry_at = retry.map_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600), |r| r.0);
        let cmd = tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => cmd,
                None => break,
            },
            why = wait_closed(&mut closed) => {
                session = None;
                closed = None;
                publish(None);
                *canceller.lock().expect("canceller lock") = None;
                lost_at = Some(Instant::now());
                retry = Some((tokio::time::Instant::now() + FIRST_RETRY, FIRST_RETRY, 1));
                let _ = tx.send(Msg::Lost(why));
                continue;
            }
            _ = tokio::time::sleep_until(retry_at), if retry.is_some() => DbCmd::Connect,
        };
        match cmd {
            DbCmd::Connect => {
                session = None;
                closed = None;
                publish(None);
                *canceller.lock().expect("canceller lock") = None;
                // The posture is checked again on every connection, before anything runs.
                let connected = posture::connect(&target, limits.clone()).await;
                let msg = match connected {
                    Ok((s, p)) => {
                        *canceller.lock().expect("canceller lock") = Some(s.canceller());
                        let pinned = crate::environment::pinned(&crate::environment::path(), &s.info.identity)
                            .map(|p| p.map(|p| p.environment))
                            .map_err(|e| e.to_string());
                        let msg = Msg::Connected {
                            info: Box::new(s.info.clone()),
                            posture: Box::new(p),
                            pinned,
                            reconnected_after: lost_at.take().map(|t| t.elapsed()),
                        };
                        retry = None;
                        publish(Some(&s));
                        closed = Some(s.closed());
                        session = Some(s);
                        msg
                    }
                    Err(e) if lost_at.is_some() => {
                        // Lost before: keep trying, less often each time.
                        let (_, wait, attempt) = retry.unwrap_or((tokio::time::Instant::now(), FIRST_RETRY, 1));
                        let next = (wait * 2).min(MAX_RETRY);
                        retry = Some((tokio::time::Instant::now() + next, next, attempt + 1));
                        Msg::Reconnecting { attempt, next_in: next, error: e.report(None) }
                    }
                    Err(e) => Msg::ConnectFailed(e.report(None)),
                };
                let _ = tx.send(msg);
            }
            DbCmd::Stage { writes } => {
                let Some((id, dir)) = &incident else { continue };
                let staged = plan::stage_writes(session.as_mut(), dir, id, &writes).await;
                let plan = store::load(dir).ok().flatten().map(Box::new);
                let (said, record) = match staged {
                    Ok(steps) => (Ok(staged_note(&steps)), Some(plan::staged_entry(&steps, &store::plan_path(dir)))),
                    Err(e) => (Err(format!("Cannot stage: {e}")), None),
                };
                let _ = tx.send(Msg::PlanStored { plan, said, record });
            }
            DbCmd::Run { id, reads, anyway } => {
                let mut pending: Option<Msg> = None;
                let mut lost = None;
                for (index, sql) in reads {
                    let Some(s) = session.as_mut() else {
                        lost = Some("not connected".to_string());
                        break;
                    };
                    let mut set = ResultSet::default();
                    let result = s.run_bounded(&sql, limit, &mut set, anyway).await;
                    let entry = match result {
                        // Measuring a big result takes milliseconds: here, not on the UI's thread.
                        Ok(outcome) => ResultEntry::rows(index, sql, set, &outcome),
                        Err(e) => {
                            if e.connection_gone() {
                                lost = Some(e.report(None).lines().next().unwrap_or_default().to_string());
                            }
                            if let DbError::Heavy(estimate) = &e {
                                let _ = tx.send(Msg::Held { id, index, said: estimate.describe() });
                            }
                            ResultEntry::error(index, sql, &e)
                        }
                    };
                    let failed = matches!(entry.body, crate::app::Body::Error { .. });
                    // The last result goes with the run's end, so both reach the screen in one frame.
                    if let Some(earlier) = pending.replace(Msg::Result { id, entry }) {
                        let _ = tx.send(earlier);
                    }
                    if failed {
                        break;
                    }
                }
                if lost.is_some() {
                    session = None;
                    closed = None;
                    publish(None);
                    *canceller.lock().expect("canceller lock") = None;
                    lost_at = Some(Instant::now());
                    retry = Some((tokio::time::Instant::now() + FIRST_RETRY, FIRST_RETRY, 1));
                }
                let _ = tx.send(Msg::Batch(pending.into_iter().chain([Msg::RunFinished { id, lost }]).collect()));
            }
        }
    }
}

/// The first attempt to reconnect after a loss, and the longest wait between attempts.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(8);

/// Why the connection ended, when it does; never while there is none to watch.
async fn wait_closed(closed: &mut Option<Closed>) -> String {
    match closed {
        Some(c) => c.wait().await,
        None => std::future::pending().await,
    }
}

/// What the status line says after a stage.
fn staged_note(steps: &[plan::Step]) -> String {
    let Some(first) = steps.first() else { return "Nothing was staged.".into() };
    let nums: Vec<String> = steps.iter().map(|s| s.n.to_string()).collect();
    let missing = steps.iter().filter(|s| s.missing.is_some()).count();
    let rows = match (steps.len(), first.evidence.as_ref().and_then(|e| e.rows)) {
        (1, Some(r)) => format!(", {} it touches", plural(r as usize, "row")),
        _ => String::new(),
    };
    let evidence = if missing > 0 { format!("; EVIDENCE MISSING for {missing}") } else { String::new() };
    format!(
        "Staged {} as step {} of the plan{rows}{evidence}; nothing ran. F6 opens the plan.",
        plural(steps.len(), "write"),
        nums.join(", ")
    )
}

/// The incident's journal, written as the operator.
fn journal_of(setup: &Setup) -> Option<Journal> {
    setup.journal_dir.as_ref().map(|d| Journal::new(d, crate::incident::operator()))
}

/// Saves the editor's drafts one after another, off the UI thread (fsync may wait); only
/// the newest waiting draft is written.
fn spawn_draft_writer(
    tx: UnboundedSender<Msg>,
) -> (mpsc::Sender<(std::path::PathBuf, String)>, std::thread::JoinHandle<()>) {
    let (jobs, rx) = mpsc::channel::<(std::path::PathBuf, String)>();
    let thread = std::thread::spawn(move || {
        let mut failed = false;
        while let Ok(mut job) = rx.recv() {
            while let Ok(newer) = rx.try_recv() {
                job = newer;
            }
            match crate::incident::save_draft(&job.0, &job.1) {
                Ok(()) => failed = false,
                Err(e) if !failed => {
                    failed = true;
                    let _ = tx.send(Msg::DraftFailed(e.to_string()));
                }
                Err(_) => {}
            }
        }
    });
    (jobs, thread)
}

enum JournalJob {
    Record(Entry),
    Load,
    Export,
}

/// Writes the timeline one event after another, off the UI thread (the lock and fsync
/// may wait), and reads or exports it on request.
fn spawn_journal(
    journal: Option<Journal>,
    incident: Option<String>,
    tx: UnboundedSender<Msg>,
) -> (mpsc::Sender<JournalJob>, std::thread::JoinHandle<()>) {
    let (jobs, rx) = mpsc::channel::<JournalJob>();
    let thread = std::thread::spawn(move || {
        while let Ok(job) = rx.recv() {
            let Some(j) = &journal else { continue };
            let msg = match job {
                JournalJob::Record(entry) => Msg::Recorded(j.record(entry).map_err(|e| e.to_string())),
                JournalJob::Load => Msg::TimelineLoaded(
                    j.read().map(|r| r.events).map_err(|e| format!("Cannot read the timeline: {e}")),
                ),
                JournalJob::Export => Msg::Exported(export(j, incident.as_deref().unwrap_or("incident"))),
            };
            // The loop may be gone (at exit): the event is on disk all the same.
            let _ = tx.send(msg);
        }
    });
    (jobs, thread)
}

/// timeline.md and timeline.json in the incident folder, replaced atomically.
fn export(j: &Journal, incident: &str) -> Result<String, String> {
    let reading = j.read().map_err(|e| format!("Cannot read the timeline: {e}"))?;
    let plan = store::info(&j.dir);
    let mut written = Vec::new();
    for format in [timeline::export::Format::Markdown, timeline::export::Format::Json] {
        let path = j.dir.join(format.file_name());
        let text = timeline::export::render(incident, &reading, format, plan.as_ref());
        plan::file::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("Cannot write {}: {e}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(format!("Exported {} to {}.", plural(reading.events.len(), "event"), written.join(" and ")))
}
