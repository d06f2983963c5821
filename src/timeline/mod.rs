//! The incident timeline: an append-only journal of events, one JSON object per line,
//! fsync'd per event, each carrying the hash of the line before it so that an edited or
//! removed line is detectable.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::plan::file::checksum as hash;

pub const JOURNAL: &str = "timeline.jsonl";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UTC, RFC 3339, to the second.
    pub occurred_at: String,
    pub actor: String,
    pub kind: String,
    /// One line, for people.
    pub summary: String,
    /// What is needed to rebuild what happened.
    #[serde(default)]
    pub details: serde_json::Value,
    /// `sha256:` and the digest of the previous line ("" for the first event).
    #[serde(default)]
    pub prev: String,
}

/// Appends `event` under an exclusive lock (two processes interleave whole lines), chained
/// to the last complete line, and fsyncs before returning.
pub fn append(dir: &Path, mut event: Event) -> io::Result<()> {
    let path = dir.join(JOURNAL);
    let mut f = OpenOptions::new().create(true).append(true).read(true).open(&path)?;
    f.lock()?;
    let mut text = String::new();
    File::open(&path)?.read_to_string(&mut text)?;
    let torn = !text.is_empty() && !text.ends_with('\n');
    let last = text.lines().rev().find(|l| serde_json::from_str::<Event>(l).is_ok()).unwrap_or("");
    event.prev = if last.is_empty() { String::new() } else { hash(last) };
    let mut line = serde_json::to_string(&event).map_err(io::Error::other)?;
    line.push('\n');
    if torn {
        // A crash cut the last line short: end it, so this event starts on a line of its own.
        line.insert(0, '\n');
    }
    f.write_all(line.as_bytes())?;
    f.sync_all()
}

/// What reading the journal found.
#[derive(Debug, Default, PartialEq)]
pub struct Reading {
    pub events: Vec<Event>,
    /// Lines that are not events (a torn last line after a crash), by 1-based number.
    pub skipped: Vec<usize>,
    /// Events whose `prev` does not match the line before them: an edit or a removal.
    pub broken: Vec<usize>,
}

/// Reads every event; damaged lines are reported, never fatal.
pub fn read(text: &str) -> Reading {
    let mut out = Reading::default();
    let mut prev = String::new();
    for (i, line) in text.lines().enumerate() {
        match serde_json::from_str::<Event>(line) {
            Ok(e) => {
                if e.prev != prev {
                    out.broken.push(i + 1);
                }
                prev = hash(line);
                out.events.push(e);
            }
            Err(_) => out.skipped.push(i + 1),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(summary: &str) -> Event {
        Event {
            occurred_at: "2026-11-21T02:14:00Z".into(),
            actor: "alice".into(),
            kind: "note".into(),
            summary: summary.into(),
            details: serde_json::Value::Null,
            prev: String::new(),
        }
    }

    #[test]
    fn edits_and_removals_break_the_chain_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        for s in ["one", "two", "three"] {
            append(dir.path(), ev(s)).unwrap();
        }
        let text = std::fs::read_to_string(dir.path().join(JOURNAL)).unwrap();
        let r = read(&text);
        assert_eq!((r.events.len(), r.skipped.len(), r.broken.len()), (3, 0, 0));
        assert_eq!(read(&text.replace("\"two\"", "\"TWO\"")).broken, vec![3]);
        let removed: String =
            text.lines().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
        assert_eq!(read(&removed).broken, vec![2]);
        // A torn last line: reported and skipped, and the next event starts a line of its own.
        std::fs::write(dir.path().join(JOURNAL), format!("{text}{{\"occurred_at\":\"2026")).unwrap();
        append(dir.path(), ev("four")).unwrap();
        let r = read(&std::fs::read_to_string(dir.path().join(JOURNAL)).unwrap());
        assert_eq!(r.events.len(), 4);
        assert_eq!(r.skipped, vec![4]);
        assert!(r.broken.is_empty(), "the chain skips the torn line: {:?}", r.broken);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        append(&d, ev(&format!("{t}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let r = read(&std::fs::read_to_string(dir.path().join(JOURNAL)).unwrap());
        assert_eq!((r.events.len(), r.skipped.len(), r.broken.len()), (100, 0, 0));
    }
}
