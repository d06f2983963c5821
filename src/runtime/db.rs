//! The database task: the only user of the session. It connects, checks the posture, runs
//! reads one at a time, gathers evidence for staged writes, and reconnects with backoff after
//! a loss. What it shares with the loop and the analyzer is the running read's canceller and
//! whether it is connected.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Connected, Incident, SharedCanceller};
use crate::app::{Msg, ResultEntry};
use crate::db::render::ResultSet;
use crate::db::session::Closed;
use crate::db::{DbError, Limits, Session, Target, posture};
use crate::plan::{self, store};
use crate::words::plural;

/// What the loop asks of the database task.
pub(super) enum DbCmd {
    Connect,
    Run { id: u64, reads: Vec<(usize, String)>, anyway: bool },
    Stage { writes: Vec<String> },
}

/// The first attempt to reconnect after a loss, and the longest wait between attempts.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(8);

/// What the task was given at the start.
pub(super) struct DbSetup {
    pub incident: Incident,
    pub target: Target,
    pub limits: Limits,
    pub row_limit: u64,
    pub canceller: SharedCanceller,
    pub connected: Connected,
}

/// The database task on a thread of its own (its own runtime: the session's futures stay
/// on it), so that connecting, reading and gathering evidence never wait for the screen.
pub(super) fn spawn(setup: DbSetup, tx: UnboundedSender<Msg>) -> io::Result<UnboundedSender<DbCmd>> {
    let (db_tx, db_rx) = unbounded_channel::<DbCmd>();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("warroom-db".into()).spawn(move || {
        let local = tokio::task::LocalSet::new();
        runtime.block_on(local.run_until(DbTask::new(setup, tx).serve(db_rx)));
    })?;
    Ok(db_tx)
}

/// A reconnect that is due: when, the wait that led to it, and which attempt it will be.
type Retry = (tokio::time::Instant, Duration, u32);

struct DbTask {
    setup: DbSetup,
    tx: UnboundedSender<Msg>,
    session: Option<Session>,
    /// The connection's end, watched while nothing runs.
    closed: Option<Closed>,
    /// Once lost: when, and when the next attempt to reconnect is due.
    lost_at: Option<Instant>,
    retry: Option<Retry>,
}

/// What woke the task.
enum Wake {
    Cmd(DbCmd),
    Closed(String),
    Done,
}

impl DbTask {
    fn new(setup: DbSetup, tx: UnboundedSender<Msg>) -> DbTask {
        DbTask { setup, tx, session: None, closed: None, lost_at: None, retry: None }
    }

    async fn serve(mut self, mut rx: UnboundedReceiver<DbCmd>) {
        loop {
            let retry_at = self.retry.map_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600), |r| r.0);
            let wake = tokio::select! {
                cmd = rx.recv() => cmd.map_or(Wake::Done, Wake::Cmd),
                why = wait_closed(&mut self.closed) => Wake::Closed(why),
                _ = tokio::time::sleep_until(retry_at), if self.retry.is_some() => Wake::Cmd(DbCmd::Connect),
            };
            match wake {
                Wake::Done => break,
                Wake::Closed(why) => {
                    self.lose();
                    let _ = self.tx.send(Msg::Lost(why));
                }
                Wake::Cmd(DbCmd::Connect) => self.connect().await,
                Wake::Cmd(DbCmd::Stage { writes }) => self.stage(&writes).await,
                Wake::Cmd(DbCmd::Run { id, reads, anyway }) => self.run(id, reads, anyway).await,
            }
        }
    }

    /// No session any more: nothing to cancel, nothing to watch, the analyzer told.
    fn forget(&mut self) {
        self.session = None;
        self.closed = None;
        self.setup.connected.store(false, Ordering::Relaxed);
        *self.setup.canceller.lock().expect("canceller lock") = None;
    }

    /// The connection was lost: forget it, and try again soon.
    fn lose(&mut self) {
        self.forget();
        self.lost_at = Some(Instant::now());
        self.retry = Some((tokio::time::Instant::now() + FIRST_RETRY, FIRST_RETRY, 1));
    }

    /// Connects afresh; the posture is checked again on every connection, before anything runs.
    async fn connect(&mut self) {
        self.forget();
        let msg = match posture::connect(&self.setup.target, self.setup.limits.clone()).await {
            Ok((s, p)) => {
                *self.setup.canceller.lock().expect("canceller lock") = Some(s.canceller());
                let pinned = crate::environment::pinned(&crate::environment::path(), &s.info.identity)
                    .map(|p| p.map(|p| p.environment))
                    .map_err(|e| e.to_string());
                let msg = Msg::Connected {
                    info: Box::new(s.info.clone()),
                    posture: Box::new(p),
                    pinned,
                    reconnected_after: self.lost_at.take().map(|t| t.elapsed()),
                };
                self.retry = None;
                self.setup.connected.store(true, Ordering::Relaxed);
                self.closed = Some(s.closed());
                self.session = Some(s);
                msg
            }
            Err(e) if self.lost_at.is_some() => {
                // Lost before: keep trying, less often each time.
                let (_, wait, attempt) = self.retry.unwrap_or((tokio::time::Instant::now(), FIRST_RETRY, 1));
                let next = (wait * 2).min(MAX_RETRY);
                self.retry = Some((tokio::time::Instant::now() + next, next, attempt + 1));
                Msg::Reconnecting { attempt, next_in: next, error: e.report(None) }
            }
            Err(e) => Msg::ConnectFailed(e.report(None)),
        };
        let _ = self.tx.send(msg);
    }

    /// Writes into the incident's plan, with the evidence the session can gather.
    async fn stage(&mut self, writes: &[String]) {
        let Some((id, dir)) = &self.setup.incident else { return };
        let staged = plan::stage_writes(self.session.as_mut(), dir, id, writes).await;
        let plan = store::load(dir).ok().flatten().map(Box::new);
        let (said, record) = match staged {
            Ok(steps) => (Ok(staged_note(&steps)), Some(plan::staged_entry(&steps, &store::plan_path(dir)))),
            Err(e) => (Err(format!("Cannot stage: {e}")), None),
        };
        let _ = self.tx.send(Msg::PlanStored { plan, said, record });
    }

    /// Reads one after another, each bounded; the first that fails ends the run.
    async fn run(&mut self, id: u64, reads: Vec<(usize, String)>, anyway: bool) {
        let limit = (self.setup.row_limit > 0).then_some(self.setup.row_limit);
        let mut pending: Option<Msg> = None;
        let mut lost = None;
        for (index, sql) in reads {
            let Some(s) = self.session.as_mut() else {
                lost = Some("not connected".to_string());
                break;
            };
            let mut set = ResultSet::default();
            let entry = match s.run_bounded(&sql, limit, &mut set, anyway).await {
                // Measuring a big result takes milliseconds: here, not on the UI's thread.
                Ok(outcome) => ResultEntry::rows(index, sql, set, &outcome),
                Err(e) => {
                    if e.connection_gone() {
                        lost = Some(e.report(None).lines().next().unwrap_or_default().to_string());
                    }
                    if let DbError::Heavy(estimate) = &e {
                        let _ = self.tx.send(Msg::Held { id, index, said: estimate.describe() });
                    }
                    ResultEntry::error(index, sql, &e)
                }
            };
            let failed = matches!(entry.body, crate::app::Body::Error { .. });
            // The last result goes with the run's end, so both reach the screen in one frame.
            if let Some(earlier) = pending.replace(Msg::Result { id, entry }) {
                let _ = self.tx.send(earlier);
            }
            if failed {
                break;
            }
        }
        if lost.is_some() {
            self.lose();
        }
        let _ = self.tx.send(Msg::Batch(pending.into_iter().chain([Msg::RunFinished { id, lost }]).collect()));
    }
}

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
