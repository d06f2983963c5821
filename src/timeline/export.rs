//! Exports for the postmortem: markdown to paste into the document, and JSON for an
//! incident platform's timeline. Pure functions of the events.

use serde::Serialize;

use super::{Event, Kind, Reading};

/// Where the incident's plan is and what state it is in, as the caller found it on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInfo {
    pub path: String,
    pub status: String,
}

/// The two exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    /// The file name the cockpit writes this export to, in the incident folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "timeline.md",
            Format::Json => "timeline.json",
        }
    }
}

pub fn render(incident: &str, reading: &Reading, format: Format, plan: Option<&PlanInfo>) -> String {
    match format {
        Format::Markdown => markdown(incident, reading, plan),
        Format::Json => json(incident, reading),
    }
}

/// One event as the JSON export writes it. The field names are a contract (README).
#[derive(Serialize)]
struct Exported<'a> {
    id: String,
    incident: &'a str,
    sequence: u64,
    occurred_at: &'a str,
    actor: &'a str,
    kind: &'a str,
    summary: &'a str,
    details: &'a serde_json::Value,
    visibility: &'static str,
    source: &'static str,
    hash: &'a str,
}

/// A JSON array of the events, oldest first, pretty-printed, with a final newline.
pub fn json(incident: &str, reading: &Reading) -> String {
    let items: Vec<Exported> = reading
        .events
        .iter()
        .map(|e| Exported {
            id: format!("{incident}-{}", e.seq),
            incident,
            sequence: e.seq,
            occurred_at: &e.occurred_at,
            actor: &e.actor,
            kind: &e.kind,
            summary: &e.summary,
            details: &e.details,
            // Internal: the timeline is for the team, never a status page.
            visibility: "internal",
            source: "warroom",
            hash: &e.hash,
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).expect("events always serialize");
    out.push('\n');
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn detail<'a>(e: &'a Event, key: &str) -> Option<&'a serde_json::Value> {
    e.details.get(key).filter(|v| !v.is_null())
}

fn detail_str<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    detail(e, key).and_then(|v| v.as_str())
}

/// `text` in a fenced block indented for a list item, with a fence longer than any run of
/// backticks inside it.
fn fenced(text: &str, lang: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body: String = text.trim_end().lines().map(|l| format!("  {l}\n")).collect();
    format!("  {fence}{lang}\n{body}  {fence}\n")
}

fn item(e: &Event, what: &str) -> String {
    format!("- **{}** {} — {}\n", e.time_of_day(), e.actor, what)
}

/// Markdown ready to paste into a postmortem: the timeline, then the reads run, the writes
/// staged (with the plan and its status) and the notes.
pub fn markdown(incident: &str, reading: &Reading, plan: Option<&PlanInfo>) -> String {
    let events = &reading.events;
    let mut out = format!("# Incident {incident}: timeline\n\n");
    let day = events.first().map(Event::date);
    match (day, events.last().map(Event::date)) {
        (Some(a), Some(b)) if a != b => out.push_str(&format!("All times UTC, from {a} to {b}.")),
        (Some(a), _) => out.push_str(&format!("All times UTC, on {a}.")),
        _ => out.push_str("All times UTC. No event was recorded."),
    }
    out.push_str(&format!(" Recorded by warroom: {}.\n\n", reading.integrity()));
    if !reading.broken.is_empty() {
        out.push_str("> **Warning:** the journal was changed after it was written; see the lines above.\n\n");
    }

    if !events.is_empty() {
        out.push_str("| Time | Actor | What happened |\n|---|---|---|\n");
        let mut current = day;
        for e in events {
            if Some(e.date()) != current {
                current = Some(e.date());
                out.push_str(&format!("| **{}** | | |\n", e.date()));
            }
            out.push_str(&format!("| {} | {} | {} |\n", e.time_of_day(), cell(&e.actor), cell(&e.summary)));
        }
        out.push('\n');
    }

    let of = |k: Kind| events.iter().filter(move |e| e.kind == k.name());

    out.push_str("## Reads run\n\n");
    let mut any = false;
    for e in of(Kind::Read) {
        any = true;
        out.push_str(&item(e, &e.summary));
        if let Some(sql) = detail_str(e, "sql") {
            out.push_str(&fenced(sql, "sql"));
        }
    }
    if !any {
        out.push_str("No read was run.\n");
    }
    out.push('\n');

    out.push_str("## Writes staged\n\n");
    if let Some(p) = plan {
        out.push_str(&format!("Plan: `{}` ({}).\n\n", p.path, p.status));
    }
    let mut any = false;
    for e in events.iter().filter(|e| e.kind == Kind::Staged.name() || e.kind == Kind::PlanReviewed.name()) {
        any = true;
        out.push_str(&item(e, &e.summary));
        let steps = detail(e, "steps").and_then(|s| s.as_array()).map(Vec::as_slice).unwrap_or_default();
        for s in steps {
            if let Some(sql) = s.get("statement").and_then(|v| v.as_str()) {
                out.push_str(&fenced(sql, "sql"));
            }
        }
    }
    if !any {
        out.push_str("No write was staged.\n");
    }
    out.push('\n');

    out.push_str("## Notes\n\n");
    let mut any = false;
    for e in of(Kind::Note) {
        any = true;
        let text = detail_str(e, "text").unwrap_or(&e.summary);
        let mut lines = text.lines();
        out.push_str(&item(e, lines.next().unwrap_or("")));
        for l in lines {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if !any {
        out.push_str("No note was taken.\n");
    }
    out
}
