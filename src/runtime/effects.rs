//! The effect executor: `update` returns effects as data, and this carries each one out by
//! handing it to the worker that owns it. Nothing here decides anything.

use std::io;
use std::path::PathBuf;
use std::sync::mpsc;

use crossterm::execute;
use tokio::sync::mpsc::UnboundedSender;

use super::SharedCanceller;
use super::db::DbCmd;
use super::workers::{CHANGED, JournalJob, PlanChange};
use crate::app::{Effect, Msg};
use crate::timeline::Entry;

/// The channels to every worker, and what the effects need from the setup.
pub(super) struct Workers {
    pub msg: UnboundedSender<Msg>,
    pub analyze: mpsc::Sender<(u64, String)>,
    pub db: UnboundedSender<DbCmd>,
    pub canceller: SharedCanceller,
    pub plan: mpsc::Sender<PlanChange>,
    pub journal: mpsc::Sender<JournalJob>,
    pub draft: mpsc::Sender<(PathBuf, String)>,
    pub freeze_file: Option<PathBuf>,
    pub journal_dir: Option<PathBuf>,
}

/// What the loop itself must do after an effect, beyond handing it on.
pub(super) enum Then {
    Nothing,
    /// Ctrl-Z: give the terminal back and take it again.
    Suspend,
}

impl Workers {
    pub fn carry_out(&self, effect: Effect) -> Then {
        match effect {
            Effect::Analyze { revision, text } => _ = self.analyze.send((revision, text)),
            Effect::Connect => _ = self.db.send(DbCmd::Connect),
            Effect::Run { id, reads, anyway } => _ = self.db.send(DbCmd::Run { id, reads, anyway }),
            Effect::Stage { writes } => _ = self.db.send(DbCmd::Stage { writes }),
            Effect::Cancel { .. } => {
                if let Some(c) = self.canceller.lock().expect("canceller lock").clone() {
                    tokio::spawn(async move { c.cancel().await });
                }
            }
            Effect::Copy(text) => {
                let _ = execute!(io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
            }
            Effect::Suspend => return Then::Suspend,
            Effect::Freeze { reason } => self.freeze(Some(reason)),
            Effect::Thaw => self.freeze(None),
            Effect::SavePlan { expected, plan } => self.change_plan(Box::new(move |p| {
                if p.as_ref() != expected.as_deref() {
                    return Err(CHANGED.to_string());
                }
                *p = Some(*plan);
                Ok(("Saved the plan.".to_string(), None))
            })),
            Effect::MarkReviewed { expected, typed } => self.change_plan(Box::new(move |p| {
                let Some(plan) = p.as_mut().filter(|p| **p == *expected) else {
                    return Err(CHANGED.to_string());
                };
                let at = crate::incident::now_utc();
                let by = crate::incident::operator();
                plan.mark_reviewed(&by, &at, &typed).map_err(|e| format!("Not marked reviewed: {}.", e.join("; ")))?;
                let record = Entry::plan_reviewed(&by, &at, plan.steps.len(), &typed);
                let said =
                    format!("The plan is REVIEWED by {by} at {at}; `warroom plan verify` now passes on plan.sql.");
                Ok((said, Some(record)))
            })),
            Effect::Record(entry) => _ = self.journal.send(JournalJob::Record(entry)),
            Effect::LoadTimeline => _ = self.journal.send(JournalJob::Load),
            Effect::ExportTimeline => _ = self.journal.send(JournalJob::Export),
            Effect::Pin { identity, environment } => {
                let tx = self.msg.clone();
                std::thread::spawn(move || {
                    let at = crate::incident::now_utc();
                    let by = crate::incident::operator();
                    let pinned =
                        crate::environment::pin(&crate::environment::path(), &identity, &environment, &by, &at);
                    let _ = tx.send(Msg::Pinned(pinned.map_err(|e| e.to_string())));
                });
            }
            Effect::SaveDraft(text) => {
                if let Some(dir) = &self.journal_dir {
                    let _ = self.draft.send((dir.clone(), text));
                }
            }
            Effect::Quit => {}
        }
        Then::Nothing
    }

    fn change_plan(&self, change: PlanChange) {
        let _ = self.plan.send(change);
    }

    /// Pulls the kill switch (with a reason) or releases it (`None`). Its file may sit on a
    /// shared mount: written off the UI thread, and the outcome goes to the timeline.
    fn freeze(&self, reason: Option<String>) {
        let Some(path) = self.freeze_file.clone() else { return };
        let journal = self.journal.clone();
        std::thread::spawn(move || {
            let (done, what) = match &reason {
                Some(reason) => (
                    crate::freeze::freeze(&path, reason).map(|f| Entry::freeze("cockpit", &f.by, &f.reason, &path)),
                    "freeze",
                ),
                None => (
                    crate::freeze::thaw(&path).map(|was| {
                        let was = was.as_ref().map(|f| (f.by.as_str(), f.at.as_str()));
                        Entry::thaw("cockpit", &crate::incident::operator(), was, &path)
                    }),
                    "thaw",
                ),
            };
            let entry = done.unwrap_or_else(|e| {
                Entry::error("cockpit", format!("Could not {what} ({}): {e}", path.display()))
                    .with("freeze_file", path.display().to_string())
            });
            let _ = journal.send(JournalJob::Record(entry));
        });
    }
}
