//! The workers: threads that do what may wait (terminal input, the analysis, the files on
//! disk) so that the loop never does. Each takes jobs on a channel and answers with a [`Msg`].

use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::Event;
use tokio::sync::mpsc::UnboundedSender;

use super::{Connected, Incident};
use crate::app::Msg;
use crate::plan::{Plan, store};
use crate::timeline::{self, Entry, Journal};
use crate::words::plural;

/// Terminal events, read on a thread of their own so the loop never blocks on input.
/// How long the input thread waits for a key before it looks for a resize and whether the
/// terminal is still there.
const INPUT_LOOK: Duration = Duration::from_millis(100);

/// Whether standard input has something to read within `wait` (`Some(true)`), nothing
/// (`Some(false)`), or its terminal has hung up or closed (`None`).
pub(super) fn stdin_ready(wait: Duration) -> Option<bool> {
    let mut fd = libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 };
    let ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one pollfd, valid for the call.
    let n = unsafe { libc::poll(&mut fd, 1, ms) };
    if n < 0 {
        let interrupted = std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        return interrupted.then_some(false);
    }
    if fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return None;
    }
    Some(n > 0)
}

/// Whether standard input's terminal has hung up (or is no longer open).
pub(super) fn terminal_gone() -> bool {
    stdin_ready(Duration::ZERO).is_none()
}

pub(super) fn spawn_input(tx: UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        loop {
            // crossterm's reader retries a failing read for ever once the terminal has hung
            // up (its window closed, and no SIGHUP reached warroom: under a tracer, or a
            // session that left the terminal), spinning a CPU. So warroom waits on the
            // terminal itself, and calls crossterm only with input waiting (or, between
            // looks, for the resize it has noted), after making sure the terminal is there.
            let wait = match stdin_ready(INPUT_LOOK) {
                None => {
                    let _ = tx.send(Msg::TerminalGone);
                    break;
                }
                Some(true) => INPUT_LOOK,
                Some(false) => Duration::ZERO,
            };
            if terminal_gone() {
                let _ = tx.send(Msg::TerminalGone);
                break;
            }
            if !matches!(crossterm::event::poll(wait), Ok(true)) {
                continue;
            }
            let msg = match crossterm::event::read() {
                Ok(Event::Key(k)) => Msg::Key(k),
                Ok(Event::Paste(p)) => Msg::Paste(p),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(_) if terminal_gone() => {
                    let _ = tx.send(Msg::TerminalGone);
                    break;
                }
                Err(_) => continue,
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
pub(super) fn spawn_analyzer(
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
pub(super) fn spawn_watcher(incident: &Incident, freeze_file: Option<std::path::PathBuf>, tx: UnboundedSender<Msg>) {
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

pub(super) const CHANGED: &str = "The plan changed on disk (another warroom?); it was reloaded: look again.";

/// A change to the plan on disk: Ok says what was done (and what to record), Err why nothing was.
pub(super) type PlanChange = Box<dyn FnOnce(&mut Option<Plan>) -> Result<(String, Option<Entry>), String> + Send>;

/// Changes the plan on disk one after another, off the UI thread (the lock may wait), and
/// reports the plan as it is on disk after each change and what to say.
pub(super) fn spawn_plan_writer(incident: &Incident, tx: UnboundedSender<Msg>) -> mpsc::Sender<PlanChange> {
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

/// Saves the editor's drafts one after another, off the UI thread (fsync may wait); only
/// the newest waiting draft is written.
pub(super) fn spawn_draft_writer(
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

pub(super) enum JournalJob {
    Record(Entry),
    Load,
    Export,
}

/// Writes the timeline one event after another, off the UI thread (the lock and fsync
/// may wait), and reads or exports it on request.
pub(super) fn spawn_journal(
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
        crate::durable::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("Cannot write {}: {e}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(format!("Exported {} to {}.", plural(reading.events.len(), "event"), written.join(" and ")))
}
