//! One constructor per kind of event, so that the fields README promises for each kind
//! (`statements` for a review or a refusal, `text` for a note, `plan` and `steps` for a
//! stage, `source` for every event an adapter writes) are set in one place. Adapters add
//! what is theirs alone with [`Entry::with`]. `tests/modules.rs` fails when code outside
//! the timeline builds an entry field by field.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::{Entry, Kind, one_line};
use crate::words::plural;

impl Entry {
    /// One more detail (a field of this adapter's own); a value that does not serialise is null.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Entry {
        if !self.details.is_object() {
            self.details = json!({});
        }
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.as_object_mut().expect("an object").insert(key.to_string(), value);
        self
    }

    /// The cockpit, opened: where, as whom, which cluster.
    pub fn session_start(summary: String, details: Value) -> Entry {
        Entry::new(Kind::SessionStart, summary, details)
    }

    /// The cockpit, closed (`why`: quit, or ended by a signal) after `seconds` open.
    pub fn session_end(why: &str, seconds: u64) -> Entry {
        let open_for = if seconds < 60 { format!("{seconds} s") } else { format!("{} min", seconds / 60) };
        Entry::new(
            Kind::SessionEnd,
            format!("Cockpit closed ({why}) after {open_for}"),
            json!({ "reason": why, "seconds": seconds }),
        )
    }

    /// Connected, with the posture found (the summary says it in a line).
    pub fn connected(summary: String, details: Value) -> Entry {
        Entry::new(Kind::Connected, summary, details)
    }

    /// A connection that failed: `said_as` starts the summary ("Could not connect").
    pub fn connect_failed(source: &str, said_as: &str, error: &str) -> Entry {
        Entry::new(
            Kind::ConnectFailed,
            format!("{said_as}: {}", error.lines().next().unwrap_or("")),
            json!({ "source": source, "error": error }),
        )
    }

    /// The connection went away.
    pub fn disconnected(source: &str, summary: String, error: &str) -> Entry {
        Entry::new(Kind::Disconnected, summary, json!({ "source": source, "error": error }))
    }

    /// The guard's verdict on statements (each as `warroom check --json` shows one).
    pub fn review(source: &str, summary: String, statements: impl Serialize) -> Entry {
        Entry::new(Kind::Review, summary, json!({ "source": source, "statements": statements }))
    }

    /// Writes that were refused (each as `warroom check --json` shows one), or a call refused
    /// before any SQL was looked at (`statements` empty).
    pub fn refused(source: &str, summary: String, statements: impl Serialize) -> Entry {
        Entry::new(Kind::Refused, summary, json!({ "source": source, "statements": statements }))
    }

    /// A read held back as heavy, by `who` ("F5", "run_read", "warroom query").
    pub fn held(source: &str, who: &str, index: usize, said: &str) -> Entry {
        Entry::new(
            Kind::Held,
            format!("{who} held back read #{index}: {said}"),
            json!({ "source": source, "index": index, "estimate": said }),
        )
    }

    /// Reads held back before, run anyway on the person's second F5.
    pub fn held_anyway(source: &str, run: u64, indexes: &[usize]) -> Entry {
        Entry::new(
            Kind::Held,
            format!("F5 again: running {} the planner expects to be heavy, anyway", plural(indexes.len(), "read")),
            json!({ "source": source, "run": run, "anyway": true, "statements": indexes }),
        )
    }

    /// A read cancelled while it ran.
    pub fn cancel(source: &str, summary: String) -> Entry {
        Entry::new(Kind::Cancel, summary, json!({ "source": source }))
    }

    /// A watch that ended: the reads, how often, how many runs.
    pub fn watch(source: &str, summary: String, reads: &[(usize, &str)], every_ms: u64, runs: u64) -> Entry {
        let statements: Vec<Value> = reads.iter().map(|(i, sql)| json!({ "index": i, "sql": sql })).collect();
        Entry::new(
            Kind::Watch,
            summary,
            json!({ "source": source, "statements": statements, "every_ms": every_ms, "runs": runs,
                    "stopped_at": crate::incident::now_utc() }),
        )
    }

    /// Writes staged into the plan (nothing ran).
    pub fn staged(summary: String, plan: &Path, steps: Vec<Value>) -> Entry {
        Entry::new(Kind::Staged, summary, json!({ "plan": plan.display().to_string(), "steps": steps }))
    }

    /// The plan marked reviewed by `by` at `at`, each step confirmed by what was typed.
    pub fn plan_reviewed(by: &str, at: &str, steps: usize, typed: impl Serialize) -> Entry {
        Entry::new(
            Kind::PlanReviewed,
            format!(
                "Plan marked REVIEWED by {by} ({}; each confirmed by typing its table and row count)",
                plural(steps, "step")
            ),
            json!({ "by": by, "at": at, "steps": steps, "confirmations": typed }),
        )
    }

    /// A runbook block put into the editor (never run by this).
    pub fn runbook_block(runbook: &str, block: usize, sql: &str) -> Entry {
        Entry::new(
            Kind::RunbookBlock,
            format!("Runbook block #{block} sent to the editor (not run): {}", one_line(sql, 60)),
            json!({ "runbook": runbook, "block": block, "sql": sql }),
        )
    }

    /// The kill switch pulled by `by`.
    pub fn freeze(source: &str, by: &str, reason: &str, file: &Path) -> Entry {
        let reason = if reason.trim().is_empty() { "no reason given" } else { reason };
        Entry::new(
            Kind::Freeze,
            format!("FROZEN by {by}: {reason}"),
            json!({ "source": source, "freeze_file": file.display().to_string() }),
        )
    }

    /// The kill switch released by `by`; `was` is who froze it and when, where known.
    pub fn thaw(source: &str, by: &str, was: Option<(&str, &str)>, file: &Path) -> Entry {
        let summary = match was {
            Some((who, at)) => format!("Thawed by {by} (frozen by {who} since {at})"),
            None => format!("Thawed by {by}"),
        };
        Entry::new(Kind::Thaw, summary, json!({ "source": source, "freeze_file": file.display().to_string() }))
    }

    /// A cluster pinned to an environment.
    pub fn pinned(source: &str, summary: String, details: Value) -> Entry {
        Entry::new(Kind::Pinned, summary, details).with("source", source)
    }

    /// Something that went wrong, in a line.
    pub fn error(source: &str, said: impl Into<String>) -> Entry {
        Entry::new(Kind::Error, said, json!({ "source": source }))
    }

    /// warroom itself crashed (the panic's message, whole).
    pub fn crash(panic: &str) -> Entry {
        Entry::new(
            Kind::Error,
            format!("warroom crashed: {}", panic.lines().next().unwrap_or("")),
            json!({ "panic": panic }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_adds_a_field_and_keeps_the_promised_ones() {
        let e = Entry::refused("mcp", "x".into(), Vec::<u8>::new()).with("tool", "run_read");
        assert_eq!(e.details, json!({ "source": "mcp", "statements": [], "tool": "run_read" }));
        let e = Entry::crash("boom\nat line 3").with("x", 1);
        assert_eq!(e.summary, "warroom crashed: boom");
        assert_eq!(e.details["x"], 1);
    }

    #[test]
    fn freeze_and_thaw_say_who_and_why() {
        let f = Entry::freeze("cli", "jane", " ", Path::new("/tmp/F"));
        assert_eq!(f.summary, "FROZEN by jane: no reason given");
        let t = Entry::thaw("cockpit", "bob", Some(("jane", "2026-12-04T02:00:00Z")), Path::new("/tmp/F"));
        assert_eq!(t.summary, "Thawed by bob (frozen by jane since 2026-12-04T02:00:00Z)");
        assert_eq!(t.details["freeze_file"], "/tmp/F");
    }
}
