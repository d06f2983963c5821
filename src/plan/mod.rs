//! Staged writes and their rollback plans. Writes never run in warroom: they are written
//! into files a human reviews and applies by hand.
//!
//! A `Plan` is the incident's list of staged steps with their evidence and review state
//! (kept as `plan.json`); `plan.sql` and `rollback.sql` are rendered from it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::db::Session;
use crate::words::plural;

pub mod evidence;
pub mod file;
pub mod step;
pub mod store;

pub use evidence::Evidence;

/// What a reviewer ticks for every step before the plan can be marked reviewed.
pub const CHECKLIST: [&str; 5] =
    ["predicate read", "row count as expected", "backup space", "lock impact understood", "rollback read"];

/// The lock timeout the plan sets for itself.
pub const LOCK_TIMEOUT: &str = "5s";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub n: usize,
    /// The write as it was staged.
    pub statement: String,
    pub kind: String,
    /// The target table (as the catalog names it when connected).
    pub table: Option<String>,
    pub staged_at: String,
    /// None: staged while not connected.
    pub evidence: Option<Evidence>,
    /// Why the evidence is not enough to review this step.
    pub missing: Option<String>,
    pub lock: String,
    pub blocks: String,
    pub forward: String,
    pub rollback: Option<String>,
    pub irreversible: Option<String>,
    pub cautions: Vec<String>,
    pub checklist: [bool; CHECKLIST.len()],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub incident: String,
    pub author: String,
    pub created: String,
    pub reviewed: Option<Review>,
    pub steps: Vec<Step>,
}

impl Step {
    /// What the reviewer types to confirm this step: the table and the row count.
    pub fn confirmation(&self) -> String {
        let table = self.table.clone().unwrap_or_else(|| self.kind.to_lowercase());
        match self.evidence.as_ref().and_then(|e| e.rows) {
            Some(rows) => format!("{table} {rows}"),
            None => table,
        }
    }

    /// Whether `typed` is the confirmation (spacing and a `public.` prefix aside).
    pub fn confirms(&self, typed: &str) -> bool {
        let norm = |s: &str| -> String {
            let words: Vec<&str> = s.split_whitespace().collect();
            words.iter().map(|w| w.strip_prefix("public.").unwrap_or(w)).collect::<Vec<_>>().join(" ")
        };
        !typed.trim().is_empty() && norm(typed) == norm(&self.confirmation())
    }

    /// A short word on the way back (or on what stops the step), and whether it is a warning.
    pub fn way_back(&self) -> (String, bool) {
        if self.missing.is_some() {
            return ("EVIDENCE MISSING".into(), true);
        }
        match (&self.rollback, &self.irreversible) {
            (_, Some(why)) => (why.split(':').next().unwrap_or("IRREVERSIBLE").to_string(), true),
            (Some(_), None) => ("way back planned".into(), false),
            (None, None) => (String::new(), false),
        }
    }

    /// The rows it touches, as one phrase ("100 rows it touches", "evidence missing: …").
    pub fn rows_text(&self) -> String {
        match (&self.missing, self.evidence.as_ref().and_then(|e| e.rows)) {
            (Some(why), _) => format!("evidence missing: {why}"),
            (None, Some(n)) => format!("{} it touches", plural(n as usize, "row")),
            (None, None) => "no rows counted".into(),
        }
    }

    pub fn ticked(&self) -> bool {
        self.checklist.iter().all(|t| *t)
    }
}

impl Plan {
    pub fn new(incident: &str, author: &str, now: &str) -> Plan {
        Plan { incident: incident.into(), author: author.into(), created: now.into(), reviewed: None, steps: vec![] }
    }

    /// Adds `statement` as the next step, planned from its evidence (None: not connected).
    /// Any change makes the plan a draft again.
    pub fn stage(&mut self, statement: &str, evidence: Option<Evidence>, now: &str) -> &Step {
        let n = self.steps.len() + 1;
        // A password in the statement is masked on disk, so the statement cannot be planned.
        let clean = crate::scrub::text(statement);
        let (statement, shape) =
            if clean != statement { (clean.as_str(), step::secret()) } else { (statement, step::shape(statement)) };
        let sql = step::build(n, &step::backup_name(&self.incident, n), &shape, statement, evidence.as_ref());
        let (lock, blocks) = shape.lock();
        let table = evidence.as_ref().and_then(|e| e.table.clone()).or_else(|| shape.table().map(str::to_string));
        self.reviewed = None;
        self.steps.push(Step {
            n,
            statement: guard_text(statement),
            kind: shape.kind(),
            table,
            staged_at: now.into(),
            evidence,
            missing: sql.missing,
            lock,
            blocks,
            forward: sql.forward,
            rollback: sql.rollback,
            irreversible: sql.irreversible,
            cautions: sql.cautions,
            checklist: Default::default(),
        });
        self.steps.last().expect("just pushed")
    }

    pub fn tick(&mut self, step: usize, item: usize, on: bool) {
        if let Some(s) = self.steps.get_mut(step)
            && item < CHECKLIST.len()
        {
            s.checklist[item] = on;
            self.reviewed = None;
        }
    }

    /// Why the plan cannot be marked reviewed yet; empty when it can.
    pub fn blockers(&self) -> Vec<String> {
        if self.steps.is_empty() {
            return vec!["the plan has no steps".into()];
        }
        let mut out = Vec::new();
        for s in &self.steps {
            if let Some(why) = &s.missing {
                out.push(format!("step {}: evidence missing ({why}); stage it again while connected", s.n));
            }
            let open: Vec<&str> = (0..CHECKLIST.len()).filter(|&i| !s.checklist[i]).map(|i| CHECKLIST[i]).collect();
            if !open.is_empty() {
                out.push(format!("step {}: not ticked: {}", s.n, open.join(", ")));
            }
        }
        out
    }

    /// Marks the plan reviewed when nothing blocks it and every step's confirmation was typed.
    pub fn mark_reviewed(&mut self, by: &str, at: &str, typed: &[String]) -> Result<(), Vec<String>> {
        let mut problems = self.blockers();
        for s in &self.steps {
            if !typed.get(s.n - 1).is_some_and(|t| s.confirms(t)) {
                problems.push(format!("step {}: the confirmation typed is not \"{}\"", s.n, s.confirmation()));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.reviewed = Some(Review { by: by.into(), at: at.into() });
        Ok(())
    }

    fn header(&self) -> file::Header {
        file::Header {
            incident: self.incident.clone(),
            author: self.author.clone(),
            created: self.created.clone(),
            status: match &self.reviewed {
                Some(r) => file::Status::Reviewed { by: r.by.clone(), at: r.at.clone() },
                None => file::Status::Draft,
            },
        }
    }

    /// `plan.sql`: the header, then every step with its evidence as comments, in one
    /// transaction.
    pub fn render_plan(&self) -> String {
        let steps: Vec<String> = self.steps.iter().map(|s| render_step(s, self.steps.len())).collect();
        let title = format!("warroom plan for incident {}: {}", self.incident, plural(self.steps.len(), "step"));
        file::render(&self.header(), &step::script(&title, LOCK_TIMEOUT, &steps))
    }

    /// `rollback.sql`: the way back, last step first.
    pub fn render_rollback(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .rev()
            .map(|s| {
                let mut out = format!("-- ── undo step {}: {} ──\n", s.n, headline(s));
                if let Some(why) = &s.irreversible {
                    out.push_str(&comment("", why));
                    let shout = format!("step {}: {why}", s.n).replace('\'', "''");
                    out.push_str(&format!("\\echo '{shout}'\n"));
                }
                if let Some(sql) = &s.rollback {
                    out.push_str(sql);
                }
                out
            })
            .collect();
        let status = if self.reviewed.is_some() { "REVIEWED" } else { "DRAFT" };
        let title = format!(
            "warroom rollback for incident {} (plan created {} by {}, {status}); run it only after plan.sql was applied",
            self.incident, self.created, self.author
        );
        step::script(&title, LOCK_TIMEOUT, &steps)
    }
}

/// Why a statement of a paste is not staged, if it is not: a read, transaction control (the
/// plan has a transaction of its own), or no statement at all. The one rule for the cockpit,
/// `warroom stage` and `stage_write`.
pub fn not_staged(s: &crate::guard::Statement) -> Option<&'static str> {
    use crate::guard::{Class, Kind};
    match (s.class, s.kind) {
        (Class::Read, _) => Some("is a READ: nothing to stage (`warroom query` runs it)"),
        (_, Kind::Transaction) => Some("is transaction control: skipped, the plan has a transaction of its own"),
        (_, Kind::Empty) => Some("holds no statement: skipped"),
        _ => None,
    }
}

/// Stages each write into the incident's plan in `dir`: evidence first, over the read-only
/// session when there is one (outside the lock, it may take a while), then every step is
/// appended under the lock. Returns the steps as staged.
pub async fn stage_writes(
    mut session: Option<&mut Session>,
    dir: &Path,
    incident: &str,
    writes: &[String],
) -> Result<Vec<Step>, store::StoreError> {
    let mut gathered = Vec::new();
    for w in writes {
        let now = crate::incident::now_utc();
        let secret = crate::scrub::text(w) != *w;
        let e = match session.as_deref_mut() {
            Some(s) if !secret => Some(evidence::gather(s, &step::shape(w), w, &now).await),
            _ => None,
        };
        gathered.push((w, e, now));
    }
    store::update(dir, |plan| {
        let p =
            plan.get_or_insert_with(|| Plan::new(incident, &crate::incident::operator(), &crate::incident::now_utc()));
        Ok(gathered.into_iter().map(|(w, e, now)| p.stage(w, e, &now).clone()).collect())
    })
}

/// The timeline's record of a stage: each step, its rows and its way back.
pub fn staged_entry(steps: &[Step], plan_path: &Path) -> crate::timeline::Entry {
    use crate::timeline::Entry;
    let list: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s.n,
                "statement": s.statement,
                "kind": s.kind,
                "table": s.table,
                "rows": s.evidence.as_ref().and_then(|e| e.rows),
                "way_back": s.way_back().0,
                "evidence_missing": s.missing,
            })
        })
        .collect();
    let parts: Vec<String> =
        steps.iter().map(|s| format!("step {}: {} ({})", s.n, headline(s), s.rows_text())).collect();
    Entry::staged(
        format!("Staged {} into the plan, nothing ran: {}", plural(steps.len(), "write"), parts.join("; ")),
        plan_path,
        list,
    )
}

fn guard_text(statement: &str) -> String {
    crate::guard::without_terminator(statement.trim()).to_string()
}

/// `-- ` in front of every line of `text`, after `lead`.
fn comment(lead: &str, text: &str) -> String {
    text.lines().map(|l| format!("-- {lead}{l}\n")).collect()
}

pub fn headline(s: &Step) -> String {
    match &s.table {
        Some(t) => format!("{} on {t}", s.kind),
        None => s.kind.clone(),
    }
}

/// One step in `plan.sql`: what was staged, the evidence, the lock, the way back, the
/// checklist, and then the guarded SQL.
pub fn render_step(s: &Step, total: usize) -> String {
    let mut out = format!("\n-- ══ step {} of {total}: {} ══\n", s.n, headline(s));
    out.push_str(&format!("-- staged {}:\n", s.staged_at));
    out.push_str(&comment("  ", &s.statement));
    match (&s.evidence, &s.missing) {
        (_, Some(why)) => out.push_str(&format!("-- EVIDENCE MISSING: {why}. This step refuses to apply.\n")),
        (None, None) => {}
        (Some(e), None) => out.push_str(&evidence_comment(e)),
    }
    out.push_str(&format!("-- lock: {}\n--   blocks: {}\n", s.lock, s.blocks));
    match (&s.rollback, &s.irreversible) {
        (Some(_), None) => out.push_str(&format!("-- way back: rollback.sql, step {}\n", s.n)),
        (Some(_), Some(why)) => out.push_str(&format!("-- way back: rollback.sql, step {}; {why}\n", s.n)),
        (None, Some(why)) => out.push_str(&comment("way back: ", why)),
        (None, None) => {}
    }
    for c in &s.cautions {
        out.push_str(&comment("CAUTION: ", c));
    }
    let ticks: Vec<String> = CHECKLIST
        .iter()
        .zip(s.checklist)
        .map(|(item, on)| format!("[{}] {item}", if on { "x" } else { " " }))
        .collect();
    out.push_str(&format!("-- checklist: {}\n", ticks.join("  ")));
    out.push_str(&s.forward);
    out
}

fn evidence_comment(e: &Evidence) -> String {
    let mut out = format!("-- evidence (read-only session as {}, {}):\n", e.role, e.gathered_at);
    if let Some(rows) = e.rows {
        let hash = e.key_hash.as_deref().map(|h| format!(" (key hash {h})")).unwrap_or_default();
        out.push_str(&format!("--   rows it touches: {rows}{hash}\n"));
    }
    let keys = if e.keys.is_empty() { "NONE".to_string() } else { e.keys.join(", ") };
    out.push_str(&format!("--   primary key: {keys}\n"));
    if let Some(size) = &e.backup_size {
        let table = e.table_size.as_deref().map(|t| format!(" (the whole table: {t})")).unwrap_or_default();
        out.push_str(&format!("--   backup size: {size}{table}\n"));
    }
    let list = |name: &str, items: &[String]| -> String {
        if items.is_empty() {
            format!("--   {name}: none\n")
        } else {
            format!("--   {name}:\n{}", items.iter().map(|i| format!("--     {i}\n")).collect::<String>())
        }
    };
    out.push_str(&list("triggers", &e.triggers));
    out.push_str(&list("foreign keys that change other tables", &e.cascades));
    if let Some(s) = e.cascade_summary() {
        out.push_str(&format!("--   the DELETE {s}\n"));
    }
    out.push_str(&list("referenced by", &e.references));
    if !e.estimate.is_empty() {
        out.push_str(&list("planner estimate (EXPLAIN, not run)", &e.estimate));
    }
    if !e.sample.is_empty() {
        out.push_str(&list("sample of the rows", &e.sample));
    }
    for g in &e.gaps {
        out.push_str(&comment("  not known: ", g));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(rows: u64) -> Evidence {
        Evidence {
            gathered_at: "2026-11-21T02:14:00Z".into(),
            role: "warroom_ro".into(),
            table: Some("users".into()),
            keys: vec!["id".into()],
            rows: Some(rows),
            key_hash: Some("abc".into()),
            ..Evidence::default()
        }
    }

    #[test]
    fn review_needs_evidence_ticks_and_the_typed_confirmation() {
        let mut p = Plan::new("INC-1", "alice", "t0");
        assert_eq!(p.blockers(), vec!["the plan has no steps".to_string()]);
        p.stage("DELETE FROM users WHERE email IS NULL;", Some(evidence(100)), "t1");
        assert_eq!(p.steps[0].confirmation(), "users 100");
        assert!(p.steps[0].confirms("  public.users   100 "));
        assert!(!p.steps[0].confirms("users 10"));
        assert!(p.mark_reviewed("bob", "t2", &["users 100".into()]).is_err(), "nothing ticked");
        for i in 0..CHECKLIST.len() {
            p.tick(0, i, true);
        }
        assert!(p.mark_reviewed("bob", "t2", &["users 99".into()]).is_err());
        p.mark_reviewed("bob", "t2", &["users 100".into()]).unwrap();
        assert!(file::verify(&p.render_plan()).is_ok());

        // A step staged while not connected blocks review, and refuses to apply.
        p.stage("UPDATE users SET a = 1", None, "t3");
        assert!(p.reviewed.is_none(), "a new step makes the plan a draft again");
        for i in 0..CHECKLIST.len() {
            p.tick(1, i, true);
        }
        let err = p.mark_reviewed("bob", "t4", &["users 100".into(), "users".into()]).unwrap_err();
        assert!(err.iter().any(|e| e.contains("evidence missing")), "{err:?}");
        let text = p.render_plan();
        assert!(text.contains("EVIDENCE MISSING"), "{text}");
    }

    #[test]
    fn a_statement_with_a_password_is_masked_and_never_planned() {
        let mut p = Plan::new("INC-1", "alice", "t0");
        p.stage("ALTER ROLE app WITH PASSWORD 'hunter2'", Some(evidence(0)), "t1");
        let files = format!("{}{}{}", p.render_plan(), p.render_rollback(), serde_json::to_string(&p).unwrap());
        assert!(!files.contains("hunter2"), "{files}");
        assert!(p.steps[0].statement.contains("PASSWORD '***'"));
        assert!(p.steps[0].forward.contains("RAISE EXCEPTION 'step 1: it holds a password"), "{}", p.steps[0].forward);
        assert!(!p.blockers().is_empty());
    }

    #[test]
    fn rollback_runs_last_step_first_and_names_what_it_cannot_undo() {
        let mut p = Plan::new("INC-1", "alice", "t0");
        p.stage("DELETE FROM users WHERE id = 1", Some(evidence(1)), "t1");
        p.stage("DROP TABLE users", Some(evidence(10)), "t2");
        let rb = p.render_rollback();
        let undo2 = rb.find("undo step 2").unwrap();
        let undo1 = rb.find("undo step 1").unwrap();
        assert!(undo2 < undo1, "{rb}");
        assert!(rb.contains("IRREVERSIBLE: restore from backup warroom_backup.inc_1_2"), "{rb}");
        assert!(rb.contains("INSERT INTO users SELECT * FROM warroom_backup.inc_1_1;"), "{rb}");
    }
}

#[cfg(test)]
mod stageable_tests {
    use super::not_staged;

    #[test]
    fn one_rule_for_what_is_staged() {
        let review = crate::guard::review("SELECT 1; BEGIN; DELETE FROM t WHERE id = 1; COMMIT; -- only a comment\n;");
        let staged: Vec<&str> =
            review.statements.iter().filter(|s| not_staged(s).is_none()).map(|s| s.text.as_str()).collect();
        assert_eq!(staged, vec!["DELETE FROM t WHERE id = 1"], "{:#?}", review.statements);
    }
}
