//! The incident timeline: an append-only journal of events, one JSON object per line,
//! fsync'd per event. Each event carries its own hash and the hash of the event before it,
//! so an edited or a removed line is detectable; a torn last line (a crash mid-write) is
//! reported and skipped, never fatal.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::durable::checksum;

mod entries;
pub mod export;
pub use crate::scrub;

pub const JOURNAL: &str = "timeline.jsonl";

/// What happened, as the journal names it (the `kind` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SessionStart,
    SessionEnd,
    Connected,
    ConnectFailed,
    Disconnected,
    Paste,
    Review,
    Read,
    Refused,
    Cancel,
    Staged,
    PlanReviewed,
    RunbookBlock,
    Note,
    Error,
    /// The kill switch was pulled, or released.
    Freeze,
    Thaw,
    /// A cluster was pinned to an environment.
    Pinned,
    /// A read was held back: the planner expects it to be heavy.
    Held,
    /// A watch: the same reads every few seconds (one event when it stops).
    Watch,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::SessionStart => "session_start",
            Kind::SessionEnd => "session_end",
            Kind::Connected => "connected",
            Kind::ConnectFailed => "connect_failed",
            Kind::Disconnected => "disconnected",
            Kind::Paste => "paste",
            Kind::Review => "review",
            Kind::Read => "read",
            Kind::Refused => "refused",
            Kind::Cancel => "cancel",
            Kind::Staged => "staged",
            Kind::PlanReviewed => "plan_reviewed",
            Kind::RunbookBlock => "runbook_block",
            Kind::Note => "note",
            Kind::Error => "error",
            Kind::Freeze => "freeze",
            Kind::Thaw => "thaw",
            Kind::Pinned => "pinned",
            Kind::Held => "held",
            Kind::Watch => "watch",
        }
    }
}

/// An event before the journal stamps it: what happened, in one line and in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub summary: String,
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(kind: Kind, summary: impl Into<String>, details: serde_json::Value) -> Entry {
        Entry { kind, summary: summary.into(), details }
    }

    /// A read that ran (`Ok`: rows, more exist, duration) or failed (`Err`: SQLSTATE, report).
    pub fn read(
        source: &str,
        index: usize,
        sql: &str,
        result: Result<(u64, bool, Duration), (Option<String>, String)>,
    ) -> Entry {
        let what = one_line(sql, 80);
        match result {
            Ok((rows, more, elapsed)) => {
                let more_text = if more { " (more exist; limited)" } else { "" };
                let rows_text = crate::words::plural(rows as usize, "row");
                Entry::new(
                    Kind::Read,
                    format!("Read ran: {what} → {rows_text}{more_text} in {}", millis(elapsed)),
                    json!({ "source": source, "index": index, "sql": sql, "rows": rows, "more": more,
                            "duration_ms": elapsed.as_millis() as u64, "error": null }),
                )
            }
            Err((sqlstate, report)) => Entry::new(
                Kind::Read,
                format!("Read failed: {what} → {}", report.lines().next().unwrap_or("")),
                json!({ "source": source, "index": index, "sql": sql, "rows": null,
                        "sqlstate": sqlstate, "error": report }),
            ),
        }
    }

    /// A note, in the engineer's words.
    pub fn note(source: &str, text: &str) -> Entry {
        Entry::new(Kind::Note, format!("Note: {}", one_line(text, 200)), json!({ "source": source, "text": text }))
    }

    /// Pasted text, whole, with its hash so it can be matched to the agent's transcript.
    pub fn paste(text: &str) -> Entry {
        let lines = text.lines().count().max(1);
        let clean = scrub::text(text);
        Entry::new(
            Kind::Paste,
            format!("Pasted {} into the editor: {}", crate::words::plural(lines, "line"), one_line(text, 60)),
            json!({ "source": "paste", "text": clean, "sha256": checksum(&clean), "bytes": text.len(),
                    "lines": lines, "redacted": clean != text }),
        )
    }
}

pub use crate::words::one_line;

/// A duration as people read it in a timeline: 3 ms, 1.25 s.
pub fn millis(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.2} s", d.as_secs_f64()) }
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1 for the first event of the incident, then one more per event.
    pub seq: u64,
    /// UTC, RFC 3339, to the second.
    pub occurred_at: String,
    pub actor: String,
    pub kind: String,
    /// One line, for people.
    pub summary: String,
    /// What is needed to rebuild what happened.
    #[serde(default)]
    pub details: serde_json::Value,
    /// The previous event's `hash` ("" for the first event).
    #[serde(default)]
    pub prev: String,
    /// `sha256:` of this line as written without its `hash` field (always the last field).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl Event {
    /// `YYYY-MM-DD` of `occurred_at`.
    pub fn date(&self) -> &str {
        self.occurred_at.get(..10).unwrap_or(&self.occurred_at)
    }

    /// `HH:MM:SS` of `occurred_at`.
    pub fn time_of_day(&self) -> &str {
        self.occurred_at.get(11..19).unwrap_or(&self.occurred_at)
    }
}

/// An incident's journal, and who writes to it.
#[derive(Debug, Clone)]
pub struct Journal {
    pub dir: PathBuf,
    pub actor: String,
}

impl Journal {
    pub fn new(dir: impl Into<PathBuf>, actor: impl Into<String>) -> Journal {
        Journal { dir: dir.into(), actor: actor.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(JOURNAL)
    }

    /// Stamps `entry` with the time and the actor, scrubs its secrets and appends it.
    pub fn record(&self, entry: Entry) -> io::Result<Event> {
        if !self.dir.is_dir() {
            crate::incident::ensure(&self.dir).map_err(io::Error::other)?;
        }
        append(&self.dir, &self.actor, &crate::incident::now_utc(), entry)
    }

    /// Every event on disk, with what is wrong with the file.
    pub fn read(&self) -> io::Result<Reading> {
        match std::fs::read(self.path()) {
            Ok(bytes) => Ok(read(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Reading::default()),
            Err(e) => Err(e),
        }
    }
}

/// The line for `event`, whose `hash` is computed here.
fn seal(event: &mut Event) -> String {
    event.hash.clear();
    let body = serde_json::to_string(event).expect("an event always serializes");
    event.hash = checksum(&body);
    format!("{},\"hash\":\"{}\"}}\n", &body[..body.len() - 1], event.hash)
}

/// Whether `line` holds the hash of its own content.
fn sealed(line: &str, event: &Event) -> bool {
    let suffix = format!(",\"hash\":\"{}\"}}", event.hash);
    line.strip_suffix(&suffix).is_some_and(|body| checksum(&format!("{body}}}")) == event.hash)
}

/// Appends an event under an exclusive lock (two processes interleave whole lines),
/// chained to the last event, and fsyncs before returning it.
pub fn append(dir: &Path, actor: &str, occurred_at: &str, entry: Entry) -> io::Result<Event> {
    let mut f = OpenOptions::new().create(true).append(true).read(true).open(dir.join(JOURNAL))?;
    f.lock()?;
    let (last, torn) = last_event(&mut f)?;
    let mut details = entry.details;
    scrub::json(&mut details);
    let mut event = Event {
        seq: last.as_ref().map_or(1, |e| e.seq + 1),
        occurred_at: occurred_at.to_string(),
        actor: scrub::text(actor),
        kind: entry.kind.name().to_string(),
        summary: scrub::text(&entry.summary.replace(['\n', '\r'], " ")),
        details,
        prev: last.map(|e| e.hash).unwrap_or_default(),
        hash: String::new(),
    };
    let mut line = seal(&mut event);
    if torn {
        // A crash cut the last line short: end it, so this event starts on a line of its own.
        line.insert(0, '\n');
    }
    f.write_all(line.as_bytes())?;
    f.sync_all()?;
    Ok(event)
}

/// The last complete event in the file, read from its end, and whether the file ends
/// in the middle of a line.
fn last_event(f: &mut File) -> io::Result<(Option<Event>, bool)> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok((None, false));
    }
    let mut last = [0u8];
    f.seek(SeekFrom::Start(len - 1))?;
    f.read_exact(&mut last)?;
    let torn = last[0] != b'\n';
    let mut chunk: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(chunk);
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(f).take(len - start).read_to_end(&mut buf)?;
        // Only lines that begin inside the chunk are whole.
        let whole = match buf.iter().position(|b| *b == b'\n') {
            _ if start == 0 => &buf[..],
            Some(i) => &buf[i + 1..],
            None => &[][..],
        };
        let found = whole
            .split(|b| *b == b'\n')
            .rev()
            .filter_map(|l| serde_json::from_slice::<Event>(l).ok())
            .find(|e| !e.hash.is_empty());
        if found.is_some() || start == 0 {
            return Ok((found, torn));
        }
        chunk = chunk.saturating_mul(4);
    }
}

/// A line that is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number in the journal.
    pub line: usize,
    pub what: String,
}

/// What reading the journal found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Reading {
    pub events: Vec<Event>,
    /// Lines that are not events (a torn line after a crash), reported and skipped.
    pub skipped: Vec<Problem>,
    /// Events that were edited, or whose predecessor was removed or edited.
    pub broken: Vec<Problem>,
}

impl Reading {
    /// One sentence on the journal's integrity.
    pub fn integrity(&self) -> String {
        let mut parts = Vec::new();
        if self.broken.is_empty() {
            parts.push(format!(
                "the hash chain of its {} is intact: none was edited, none removed before the last",
                crate::words::plural(self.events.len(), "event")
            ));
        } else {
            let lines: Vec<String> = self.broken.iter().map(|p| format!("line {}: {}", p.line, p.what)).collect();
            parts.push(format!("the hash chain is BROKEN ({})", lines.join("; ")));
        }
        if !self.skipped.is_empty() {
            let lines: Vec<String> = self.skipped.iter().map(|p| format!("line {}: {}", p.line, p.what)).collect();
            parts.push(format!("skipped {}", lines.join("; ")));
        }
        parts.join("; ")
    }
}

/// Reads every event; damaged lines are reported, never fatal.
pub fn read(text: &str) -> Reading {
    let mut out = Reading::default();
    let mut prev = String::new();
    let total = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => {
                if !sealed(line, &e) {
                    out.broken.push(Problem { line: n, what: "this event was edited after it was written".into() });
                } else if e.prev != prev {
                    out.broken
                        .push(Problem { line: n, what: "the event before this one was removed or edited".into() });
                }
                prev = e.hash.clone();
                out.events.push(e);
            }
            Err(_) => {
                let what = if n == total && !text.ends_with('\n') {
                    "a torn last line (a write cut short, e.g. by a crash)"
                } else {
                    "not an event (a torn write, or text added by hand)"
                };
                out.skipped.push(Problem { line: n, what: what.into() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(dir: &Path, summary: &str) -> Event {
        append(dir, "alice", "2026-11-21T02:14:00Z", Entry::new(Kind::Note, summary, serde_json::Value::Null)).unwrap()
    }

    fn journal(dir: &Path) -> String {
        std::fs::read_to_string(dir.join(JOURNAL)).unwrap()
    }

    #[test]
    fn edits_and_removals_break_the_chain_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        for s in ["one", "two", "three"] {
            note(dir.path(), s);
        }
        let text = journal(dir.path());
        let r = read(&text);
        assert_eq!((r.events.len(), r.skipped.len(), r.broken.len()), (3, 0, 0));
        assert_eq!(r.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        // An edit of any line, the last included, is caught by the line's own hash.
        for (n, word) in [(1, "one"), (2, "two"), (3, "three")] {
            let edited = text.replace(&format!("\"{word}\""), "\"edited\"");
            assert_eq!(read(&edited).broken.iter().map(|p| p.line).collect::<Vec<_>>(), vec![n], "{word}");
        }
        let removed: String =
            text.lines().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
        let r = read(&removed);
        assert_eq!(r.broken.len(), 1);
        assert_eq!(r.broken[0].line, 2);
        assert!(r.broken[0].what.contains("removed"), "{:?}", r.broken);
        // A torn last line: reported and skipped, and the next event starts a line of its own.
        std::fs::write(dir.path().join(JOURNAL), format!("{text}{{\"seq\":4,\"occurred_at\":\"2026")).unwrap();
        let r = read(&journal(dir.path()));
        assert_eq!(r.skipped.len(), 1);
        assert!(r.skipped[0].what.contains("torn last line"), "{:?}", r.skipped);
        let four = note(dir.path(), "four");
        assert_eq!(four.seq, 4);
        let r = read(&journal(dir.path()));
        assert_eq!(r.events.len(), 4);
        assert_eq!(r.skipped.iter().map(|p| p.line).collect::<Vec<_>>(), vec![4]);
        assert!(r.broken.is_empty(), "the chain skips the torn line: {:?}", r.broken);
        assert!(r.integrity().contains("chain of its 4 events is intact"), "{}", r.integrity());
    }

    #[test]
    fn the_last_event_is_found_from_the_end_of_a_big_journal() {
        let dir = tempfile::tempdir().unwrap();
        let big = "x".repeat(200 * 1024);
        for i in 0..3 {
            append(dir.path(), "a", "t", Entry::new(Kind::Paste, format!("p{i}"), serde_json::json!({ "text": big })))
                .unwrap();
        }
        let last = note(dir.path(), "after");
        assert_eq!(last.seq, 4);
        assert!(read(&journal(dir.path())).broken.is_empty());
    }

    #[test]
    fn secrets_are_scrubbed_before_they_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let details = serde_json::json!({ "dsn": "postgres://a:hunter2@h/d", "password": "hunter2" });
        append(dir.path(), "a", "t", Entry::new(Kind::Note, "PGPASSWORD=hunter2\nsecond line", details)).unwrap();
        let text = journal(dir.path());
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        note(&d, &format!("{t}-{i}"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let r = read(&journal(dir.path()));
        assert_eq!((r.events.len(), r.skipped.len(), r.broken.len()), (100, 0, 0));
        assert_eq!(r.events.last().unwrap().seq, 100);
    }
}
