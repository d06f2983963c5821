//! `warroom mcp`: a Model Context Protocol server on stdio that lets an agent work through
//! the same guard, read-only session, plan and timeline as the engineer. A thin adapter:
//! every rule lives in `guard`, `db`, `plan` and `timeline`.

use std::sync::Arc;
use std::time::Instant;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{Peer, RoleServer, ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use std::path::PathBuf;

use crate::config::AgentPolicy;
use crate::db::render::{self, ResultSet};
use crate::db::{DbError, Session, posture};
use crate::guard::{self, Class};
use crate::incident::Chosen;
use crate::plan::{self, store};
use crate::timeline::{Entry, Journal};

/// What the agent is told about where it is, when it connects.
const INSTRUCTIONS: &str = "You are connected to a PRODUCTION PostgreSQL database during an incident, through warroom. \
Only reads run: every statement is checked by warroom's guard (and against the server's catalog) before it runs, in a \
read-only transaction with a row limit and timeouts. Writes never run: stage them with stage_write (with why), for a \
person to review in warroom's cockpit. Prefer small reads with LIMIT, review_sql before you run something unsure, \
explain_read before a heavy read, and the runbook's queries. Everything you do is recorded in the incident's timeline.";

/// Above this many bytes of SQL, a call is refused before anything is parsed.
const MAX_SQL: usize = 1024 * 1024;

/// The server's state: one read-only session (and how to make it again), the incident it
/// records into, the runbook.
#[derive(Clone)]
pub struct Warroom {
    session: Arc<Mutex<Link>>,
    incident: Arc<Chosen>,
    runbook: Arc<String>,
    row_limit: u64,
    gate: Arc<Gate>,
    tool_router: ToolRouter<Self>,
}

/// The session and what it takes to reconnect: the cockpit's way, for the agent.
pub struct Link {
    session: Session,
    target: crate::db::Target,
    limits: crate::db::Limits,
    /// Said once, at the head of the next tool result: a loss and a reconnect.
    news: Option<String>,
}

/// How long the first call after a loss waits for the server to come back.
const RECONNECT_FOR: std::time::Duration = std::time::Duration::from_secs(20);

impl Link {
    pub fn new(session: Session, target: crate::db::Target, limits: crate::db::Limits) -> Self {
        Link { session, target, limits, news: None }
    }

    /// The session, connected again (with backoff, up to [`RECONNECT_FOR`]) if it was lost,
    /// its posture and cluster identity checked anew; `record` writes the loss and the
    /// reconnect to the timeline.
    async fn ready(&mut self, record: &dyn Fn(Entry)) -> Result<&mut Session, String> {
        if !self.session.is_closed() {
            return Ok(&mut self.session);
        }
        let before = self.session.info.identity.clone();
        record(
            Entry::disconnected("mcp", "warroom mcp: the connection to the server was lost".into(), "connection lost")
                .with("event", "connection lost")
                .with("cluster", &before),
        );
        let started = Instant::now();
        let mut wait = std::time::Duration::from_millis(200);
        let last = loop {
            match posture::connect(&self.target, self.limits.clone()).await {
                Ok(found) => break Ok(found),
                Err(_) if started.elapsed() + wait < RECONNECT_FOR => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(4));
                }
                Err(e) => break Err(e),
            }
        };
        let (session, checked) = match last {
            Ok(found) => found,
            Err(e) => {
                return Err(format!(
                    "The connection to the server was lost, and reconnecting for {} s failed: {e}. Nothing ran;                      the next call tries again.",
                    RECONNECT_FOR.as_secs()
                ));
            }
        };
        let after = session.info.identity.clone();
        let mut said = format!(
            "warroom reconnected after the connection was lost (in {:.1} s); a read in flight then was not retried.",
            started.elapsed().as_secs_f64()
        );
        if after.system_identifier != before.system_identifier {
            said.push_str(
                " It is now a DIFFERENT CLUSTER than before (its system identifier changed): check where you are.",
            );
        }
        if after.standby != before.standby {
            said.push_str(if after.standby {
                " The server is now a standby (in recovery), where a primary was."
            } else {
                " The server is now a primary, where a standby was (a failover?)."
            });
        }
        let failed: Vec<&str> = checked.failures().map(|c| c.name).collect();
        if !failed.is_empty() {
            said.push_str(&format!(" The role could write here ({}); reads still run READ ONLY.", failed.join(", ")));
        }
        record(Entry::connected(
            format!("warroom mcp: reconnected ({})", crate::timeline::one_line(&said, 80)),
            json!({ "source": "mcp", "event": "reconnected", "cluster": after, "said": said }),
        ));
        self.news = Some(said);
        self.session = session;
        Ok(&mut self.session)
    }
}

/// What every call passes first: the kill switch, and the environment's policy for agents.
pub struct Gate {
    pub agent: AgentPolicy,
    pub freeze_file: PathBuf,
    /// "profile prod", for messages.
    pub where_: String,
}

impl Gate {
    /// Why `tool` may not run now, if it may not: a freeze, or a `review` policy for a tool
    /// that reads the database.
    fn refusal(&self, tool: &str) -> Option<String> {
        if let Some(f) = crate::freeze::current(&self.freeze_file) {
            return Some(format!("Refused: {}. Nothing ran.", f.describe()));
        }
        let reads = matches!(tool, "run_read" | "explain_read" | "describe");
        (self.agent == AgentPolicy::Review && reads).then(|| {
            format!(
                "Refused: the policy of {} is agent = \"review\": an agent may review SQL (review_sql) and stage writes \
                 (stage_write) here, not run reads. Nothing ran.",
                self.where_
            )
        })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Sql {
    /// The SQL: one statement or several, or an agent's whole answer with ```sql fences.
    pub sql: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct RunRead {
    /// The reads to run, in order.
    pub sql: String,
    /// At most this many rows per statement (default: the profile's row limit). A number;
    /// a numeric string (`"3"`) is taken too.
    #[schemars(with = "Option<u64>")]
    pub limit: Option<Value>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct StageWrite {
    /// The writes to stage into the incident's rollback plan. Nothing runs.
    pub sql: String,
    /// Why these writes are needed: the reviewer reads this.
    pub why: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Describe {
    /// A table or view (schema-qualified or not); leave out to list what the role can read.
    pub table: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct RunbookSection {
    /// A heading of the runbook (its text, or a part of it); leave out to list the headings.
    pub heading: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Note {
    /// What to note in the incident's timeline, in one or a few sentences.
    pub text: String,
}

/// `limit` as clients send it: a whole number, or a string of one (models often quote
/// numbers). Anything else is the caller's mistake, said as a tool error it can correct.
fn whole_number(v: Option<&Value>) -> Result<Option<u64>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.map(Some).ok_or_else(|| format!("limit must be a whole number of rows, such as 100; got {v}"))
}

fn error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

/// A result with structured content, and for the text a reader (or an older client) sees,
/// `text` instead of the JSON that `structured` puts there.
fn ok(text: impl Into<String>, structured: Value) -> CallToolResult {
    let mut r = CallToolResult::structured(structured);
    r.content = vec![ContentBlock::text(text.into())];
    r
}

#[tool_router]
impl Warroom {
    pub fn new(link: Link, incident: Chosen, runbook: String, row_limit: u64, gate: Gate) -> Self {
        Warroom {
            session: Arc::new(Mutex::new(link)),
            incident: Arc::new(incident),
            runbook: Arc::new(runbook),
            row_limit,
            gate: Arc::new(gate),
            tool_router: Self::tool_router(),
        }
    }

    /// The gate's refusal for `tool` (recorded in the timeline), else one for SQL that is
    /// too large to analyse.
    fn gated(&self, peer: &Peer<RoleServer>, tool: &str, sql: Option<&str>) -> Option<CallToolResult> {
        if let Some(why) = self.gate.refusal(tool) {
            let none: [&guard::Statement; 0] = [];
            self.record(peer, Entry::refused("mcp", format!("{tool}: {why}"), none).with("tool", tool));
            return Some(error(why));
        }
        sql.filter(|s| s.len() > MAX_SQL)
            .map(|s| error(format!("the SQL is {} bytes; send at most {MAX_SQL}", s.len())))
    }

    /// `agent:<client name>` from the MCP initialize, for the timeline.
    fn journal(&self, peer: &Peer<RoleServer>) -> Journal {
        let client = peer.peer_info().map(|i| i.client_info.name.clone()).filter(|n| !n.is_empty());
        Journal::new(&self.incident.dir, format!("agent:{}", client.as_deref().unwrap_or("mcp")))
    }

    fn record(&self, peer: &Peer<RoleServer>, entry: Entry) {
        if let Err(e) = self.journal(peer).record(entry) {
            eprintln!("warroom mcp: cannot write the timeline: {e}");
        }
    }

    fn refused(&self, peer: &Peer<RoleServer>, tool: &str, statements: &[&guard::Statement]) -> CallToolResult {
        let mut text = format!("Refused: nothing ran. {}:\n", crate::words::plural(statements.len(), "WRITE"));
        for s in statements {
            text.push_str(&format!(
                "- statement #{} ({}, line {}): {}\n",
                s.index,
                s.kind.name(),
                s.span.start_line,
                s.reasons.join("; ")
            ));
        }
        text.push_str("Writes never run here; stage_write puts them in the incident's plan for a person to review.");
        self.record(
            peer,
            Entry::refused(
                "mcp",
                format!("{tool} refused {}: writes never run", crate::words::plural(statements.len(), "WRITE")),
                statements,
            )
            .with("tool", tool),
        );
        error(text)
    }

    #[tool(
        description = "Classify SQL without running it: each statement READ or WRITE, with the reasons (as `warroom check --json`).",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn review_sql(&self, Parameters(Sql { sql }): Parameters<Sql>, peer: Peer<RoleServer>) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "review_sql", Some(&sql)) {
            return refused;
        }
        let review = guard::review(&sql);
        let verdict = review.verdict();
        let summary = match verdict {
            Class::Read => format!("READ: all {} statements are reads.", review.statements.len()),
            Class::Write => format!(
                "WRITE: {} of {} statements are writes; they would be refused.",
                review.writes().count(),
                review.statements.len()
            ),
        };
        let lines: Vec<String> = review
            .statements
            .iter()
            .map(|s| format!("#{} {:?} {}: {}", s.index, s.class, s.kind.name(), s.reasons.join("; ")))
            .collect();
        self.record(
            &peer,
            Entry::review("mcp", format!("review_sql: {summary}"), &review.statements).with("tool", "review_sql"),
        );
        ok(
            format!("{summary}\n{}", lines.join("\n")),
            json!({ "verdict": verdict, "catalog_checked": false, "statements": review.statements, "ignored": review.ignored }),
        )
    }

    #[tool(
        description = "Run reads (only reads: any write refuses the whole call, and nothing runs), each in its own read-only transaction, with a row limit.",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn run_read(
        &self,
        Parameters(RunRead { sql, limit }): Parameters<RunRead>,
        peer: Peer<RoleServer>,
    ) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "run_read", Some(&sql)) {
            return refused;
        }
        let review = guard::review(&sql);
        if review.statements.is_empty() || review.statements.iter().all(|s| s.kind == guard::Kind::Empty) {
            return error("no SQL statement in the input");
        }
        // A write on any server is refused here; what only a catalog can judge goes to the session's check.
        let best = guard::review_best_case(&sql);
        let writes: Vec<&guard::Statement> = best.writes().collect();
        if !writes.is_empty() {
            return self.refused(&peer, "run_read", &writes);
        }
        let limit = match whole_number(limit.as_ref()) {
            Ok(n) => n.unwrap_or(self.row_limit).min(self.row_limit.max(1)),
            Err(why) => return error(why),
        };
        let mut link = self.session.lock().await;
        let record = |e: Entry| self.record(&peer, e);
        let session = match link.ready(&record).await {
            Ok(s) => s,
            Err(why) => return error(why),
        };
        // Several statements: every one proven before any runs (one alone is proven as it runs).
        for s in review.statements.iter().filter(|_| review.statements.len() > 1) {
            if let Err(e) = session.check(&s.text).await {
                let reasons = match e {
                    DbError::Refused(r) => r,
                    other => return error(other.to_string()),
                };
                let mut refused = s.clone();
                refused.class = Class::Write;
                refused.reasons = reasons;
                return self.refused(&peer, "run_read", &[&refused]);
            }
        }
        let mut results = Vec::new();
        let mut text = String::new();
        for s in &review.statements {
            let mut set = ResultSet::default();
            let started = Instant::now();
            match session.run_bounded(&s.text, Some(limit), &mut set, false).await {
                Ok(outcome) => {
                    self.record(&peer, read_entry(s, Ok((outcome.rows, outcome.more, started.elapsed()))));
                    let mut table = Vec::new();
                    let _ = render::write_table(&mut table, &set, true);
                    text.push_str(&String::from_utf8_lossy(&table));
                    if outcome.more {
                        text.push_str(&format!("more rows exist (limit {limit})\n"));
                    }
                    results.push(json!({
                        "index": s.index,
                        "columns": set.columns.iter().map(|c| json!({ "name": c.name, "type": c.type_name })).collect::<Vec<_>>(),
                        "rows": set.rows.iter().map(|r| r.iter().zip(&set.columns).map(|(v, c)| render::json_value(c.kind, v.as_deref())).collect::<Vec<_>>()).collect::<Vec<_>>(),
                        "row_count": outcome.rows,
                        "more": outcome.more,
                        "limit": limit,
                        "duration_ms": started.elapsed().as_millis() as u64,
                    }));
                }
                Err(DbError::Refused(reasons)) => {
                    let mut refused = s.clone();
                    refused.class = Class::Write;
                    refused.reasons = reasons;
                    return self.refused(&peer, "run_read", &[&refused]);
                }
                Err(DbError::Heavy(estimate)) => {
                    let said = estimate.describe();
                    self.record(
                        &peer,
                        Entry::held("mcp", "run_read", s.index, &said)
                            .with("tool", "run_read")
                            .with("sql", &s.text)
                            .with("rows_scanned", estimate.rows_scanned)
                            .with("cost", estimate.cost),
                    );
                    return error(format!(
                        "Held back, nothing of statement #{} ran: the planner expects a heavy read: {said}. \
                         Narrow it (an indexed condition, a tighter WHERE, a LIMIT) and run it again; \
                         explain_read shows the plan.",
                        s.index
                    ));
                }
                Err(e) => {
                    let report = e.report(Some(&s.text));
                    let sqlstate = e.server().map(|x| x.sqlstate.clone());
                    self.record(&peer, read_entry(s, Err((sqlstate, report.clone()))));
                    return error(format!("statement #{} failed: {report}", s.index));
                }
            }
        }
        ok(text, json!({ "statements": results }))
    }

    #[tool(
        description = "Show the planner's plan for a read (plain EXPLAIN, never ANALYZE): estimated rows and cost, without running it.",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn explain_read(&self, Parameters(Sql { sql }): Parameters<Sql>, peer: Peer<RoleServer>) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "explain_read", Some(&sql)) {
            return refused;
        }
        let review = guard::review(&sql);
        let [statement] = review.statements.as_slice() else {
            return error("explain_read takes exactly one statement");
        };
        if statement.class != Class::Read || statement.kind != guard::Kind::Select {
            return self.refused(&peer, "explain_read", &[statement]);
        }
        let explain = format!("EXPLAIN {}", guard::without_terminator(statement.text.trim()));
        let mut set = ResultSet::default();
        let mut link = self.session.lock().await;
        let record = |e: Entry| self.record(&peer, e);
        let session = match link.ready(&record).await {
            Ok(s) => s,
            Err(why) => return error(why),
        };
        match session.run(&explain, None, &mut set).await {
            Ok(outcome) => {
                let ran = guard::Statement { text: explain.clone(), ..statement.clone() };
                self.record(&peer, read_entry(&ran, Ok((outcome.rows, outcome.more, outcome.elapsed))));
                let plan: Vec<String> =
                    set.rows.iter().filter_map(|r| r.first().cloned().flatten()).map(|c| c.to_string()).collect();
                ok(plan.join("\n"), json!({ "plan": plan }))
            }
            Err(DbError::Refused(reasons)) => {
                let mut refused = statement.clone();
                refused.class = Class::Write;
                refused.reasons = reasons;
                self.refused(&peer, "explain_read", &[&refused])
            }
            Err(e) => error(e.report(Some(&explain))),
        }
    }

    #[tool(
        description = "Stage writes into the incident's rollback plan with evidence (rows they touch, the way back). Nothing runs; a person reviews the plan in warroom's cockpit.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn stage_write(
        &self,
        Parameters(StageWrite { sql, why }): Parameters<StageWrite>,
        peer: Peer<RoleServer>,
    ) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "stage_write", Some(&sql)) {
            return refused;
        }
        if why.trim().is_empty() {
            return error("say why these writes are needed (why): the reviewer reads it");
        }
        let review = guard::review(&sql);
        let writes: Vec<String> =
            review.statements.iter().filter(|s| plan::not_staged(s).is_none()).map(|s| s.text.clone()).collect();
        if writes.is_empty() {
            return error("nothing to stage: the input holds no write (run_read runs reads)");
        }
        if let Err(e) = crate::incident::ensure(&self.incident.dir) {
            return error(e.to_string());
        }
        let mut link = self.session.lock().await;
        let record = |e: Entry| self.record(&peer, e);
        let session = match link.ready(&record).await {
            Ok(s) => s,
            Err(why) => return error(why),
        };
        let steps = match plan::stage_writes(Some(&mut *session), &self.incident.dir, &self.incident.id, &writes).await
        {
            Ok(steps) => steps,
            Err(e) => return error(format!("cannot stage: {e}")),
        };
        drop(link);
        let mut entry = plan::staged_entry(&steps, &store::plan_path(&self.incident.dir));
        entry.details["source"] = json!("mcp");
        entry.details["why"] = json!(why);
        self.record(&peer, entry);
        let mut text = format!(
            "Staged {} into incident {}'s plan; nothing ran. The plan is a DRAFT until a person reviews it in the cockpit.\n",
            crate::words::plural(steps.len(), "write"),
            self.incident.id
        );
        let mut list = Vec::new();
        for s in &steps {
            let (back, irreversible) = s.way_back();
            text.push_str(&format!("step {}: {} — {}; way back: {back}\n", s.n, plan::headline(s), s.rows_text()));
            for c in &s.cautions {
                text.push_str(&format!("  caution: {c}\n"));
            }
            list.push(json!({
                "step": s.n, "statement": s.statement, "table": s.table, "rows": s.evidence.as_ref().and_then(|e| e.rows),
                "way_back": back, "irreversible": irreversible, "cautions": s.cautions, "evidence_missing": s.missing,
            }));
        }
        ok(
            text,
            json!({ "incident": self.incident.id, "plan": store::plan_path(&self.incident.dir), "status": "DRAFT", "steps": list }),
        )
    }

    #[tool(
        description = "Describe the database: without a table, the tables and views the role can read (row estimates, sizes); with one, its columns, keys, indexes, foreign keys and triggers.",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn describe(
        &self,
        Parameters(Describe { table }): Parameters<Describe>,
        peer: Peer<RoleServer>,
    ) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "describe", None) {
            return refused;
        }
        let mut link = self.session.lock().await;
        let record = |e: Entry| self.record(&peer, e);
        let session = match link.ready(&record).await {
            Ok(s) => s,
            Err(why) => return error(why),
        };
        let mut more: Option<usize> = None;
        let result = match &table {
            None => session.facts(&list_relations(), &[]).await.map(|mut rows| {
                let total = rows.first().and_then(|r| r.last().cloned().flatten()).and_then(|t| t.parse().ok());
                rows.iter_mut().for_each(|r| {
                    r.pop();
                });
                more = total.filter(|t: &usize| *t > LISTED).map(|t| t - LISTED);
                (rows, vec!["schema", "name", "kind", "rows_estimate", "size"])
            }),
            Some(t) => match session.resolve_relation(t).await {
                Ok(Some(oid)) => session
                    .facts(DESCRIBE, &[&oid.to_string()])
                    .await
                    .map(|rows| (rows, vec!["what", "name", "detail"])),
                Ok(None) => Ok((Vec::new(), Vec::new())),
                Err(e) => Err(e),
            },
        };
        match result {
            Ok((rows, _)) if rows.is_empty() && table.is_some() => {
                error(format!("no table or view named {} that this role can see", table.unwrap_or_default()))
            }
            Ok((rows, names)) => {
                let objects: Vec<Value> = rows
                    .iter()
                    .map(|r| Value::Object(names.iter().zip(r).map(|(n, v)| (n.to_string(), json!(v))).collect()))
                    .collect();
                let mut text: Vec<String> = rows
                    .iter()
                    .map(|r| r.iter().map(|v| v.clone().unwrap_or_default()).collect::<Vec<_>>().join("\t"))
                    .collect();
                let mut structured = json!({ "rows": objects });
                if let Some(more) = more {
                    text.push(format!(
                        "… and {more} more (the {LISTED} largest are listed): describe one by name for its columns"
                    ));
                    structured["more"] = json!(more);
                }
                ok(text.join("\n"), structured)
            }
            Err(e) => error(e.to_string()),
        }
    }

    #[tool(
        description = "The incident runbook: without a heading, its headings; with one, that section's text and its SQL blocks (reads to run with run_read).",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn runbook(
        &self,
        Parameters(RunbookSection { heading }): Parameters<RunbookSection>,
        peer: Peer<RoleServer>,
    ) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "runbook", None) {
            return refused;
        }
        let sections = crate::runbook::sections(&self.runbook);
        match heading {
            None => {
                let titles: Vec<String> =
                    sections.iter().map(|s| format!("{} {}", "#".repeat(s.level as usize), s.title)).collect();
                ok(
                    titles.join("\n"),
                    json!({ "headings": sections.iter().map(|s| json!({ "level": s.level, "title": s.title })).collect::<Vec<_>>() }),
                )
            }
            Some(h) => {
                let wanted = h.trim().trim_start_matches('#').trim().to_lowercase();
                match sections
                    .iter()
                    .find(|s| s.title.to_lowercase() == wanted)
                    .or_else(|| sections.iter().find(|s| s.title.to_lowercase().contains(&wanted)))
                {
                    Some(s) => ok(s.text.clone(), json!({ "title": s.title, "text": s.text, "sql": s.sql })),
                    None => error(format!("no heading like {h:?}; call runbook without a heading to list them")),
                }
            }
        }
    }

    #[tool(
        description = "Add a note to the incident's timeline (what you found, what you think, what you did).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn note(&self, Parameters(Note { text }): Parameters<Note>, peer: Peer<RoleServer>) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "note", None) {
            return refused;
        }
        if text.trim().is_empty() {
            return error("the note is empty");
        }
        match self.journal(&peer).record(Entry::note("mcp", &text)) {
            Ok(e) => ok(
                format!("Noted in incident {}'s timeline.", self.incident.id),
                json!({ "incident": self.incident.id, "sequence": e.seq }),
            ),
            Err(e) => error(format!("cannot write the timeline: {e}")),
        }
    }

    #[tool(
        description = "The read-only posture of this connection: what warroom checked (role, session, timeouts) and what failed.",
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn posture(&self, peer: Peer<RoleServer>) -> CallToolResult {
        if let Some(refused) = self.gated(&peer, "posture", None) {
            return refused;
        }
        let mut link = self.session.lock().await;
        let record = |e: Entry| self.record(&peer, e);
        let session = match link.ready(&record).await {
            Ok(s) => s,
            Err(why) => return error(why),
        };
        match posture::check(&mut *session, posture::Depth::Held).await {
            Ok(p) => {
                let text: Vec<String> =
                    p.checks.iter().map(|c| format!("{} {}: {}", c.level.label(), c.name, c.finding)).collect();
                ok(text.join("\n"), serde_json::to_value(&p).unwrap_or(Value::Null))
            }
            Err(e) => error(e.to_string()),
        }
    }
}

fn read_entry(
    s: &guard::Statement,
    result: Result<(u64, bool, std::time::Duration), (Option<String>, String)>,
) -> Entry {
    let mut e = Entry::read("mcp", s.index, &s.text, result);
    e.details["source"] = json!("mcp");
    e
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Warroom {
    /// Every tool's result, with what happened to the connection since the last call
    /// (a loss and a reconnect) said first. An unknown tool is a protocol error
    /// (invalid params), as the specification says.
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: rmcp::service::RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        if self.tool_router.get(&request.name).is_none() {
            return Err(rmcp::ErrorData::invalid_params(
                format!("unknown tool {:?}; warroom's tools are listed by tools/list", request.name),
                None,
            ));
        }
        let tcc = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        let mut response = self.tool_router.call(tcc).await?;
        if let rmcp::model::CallToolResponse::Complete(result) = &mut response
            && let Some(news) = self.session.lock().await.news.take()
        {
            result.content.insert(0, ContentBlock::text(news));
        }
        Ok(response)
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("warroom", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}

/// Tables and views the role can read, with the planner's row estimate and the size.
/// The relations the role can read: the largest LISTED (by pages) with their sizes, in name
/// order, and how many there are in all (the last column). A catalog of 100,000 partitions
/// gives an agent a page, not a flood, and sizes are read for the listed ones only.
const LISTED: usize = 200;
fn list_relations() -> String {
    format!(
        "
SELECT r.nspname::text, r.relname::text,
       CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
       greatest(r.reltuples, 0)::bigint::text, pg_size_pretty(pg_total_relation_size(r.oid)), r.total::text
  FROM (SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples, count(*) OVER () AS total
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
           AND has_table_privilege(c.oid, 'SELECT')
         ORDER BY c.relpages DESC, n.nspname, c.relname LIMIT {LISTED}) r
 ORDER BY 1, 2"
    )
}

/// One relation: columns, keys, indexes, foreign keys and triggers, as (what, name, detail).
const DESCRIBE: &str = "
WITH r AS (SELECT $1::text::oid AS oid)
SELECT 'column', a.attname::text, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
  FROM pg_attribute a, r WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'index', i.relname::text, pg_get_indexdef(i.oid)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid, r WHERE x.indrelid = r.oid
UNION ALL
SELECT CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'f' THEN 'foreign key' WHEN 'u' THEN 'unique' ELSE 'check' END,
       k.conname::text, pg_get_constraintdef(k.oid)
  FROM pg_constraint k, r WHERE k.conrelid = r.oid
UNION ALL
SELECT 'referenced by', k.conname::text, k.conrelid::regclass::text || ' ' || pg_get_constraintdef(k.oid)
  FROM pg_constraint k, r WHERE k.confrelid = r.oid AND k.contype = 'f'
UNION ALL
SELECT 'trigger', t.tgname::text, pg_get_triggerdef(t.oid)
  FROM pg_trigger t, r WHERE t.tgrelid = r.oid AND NOT t.tgisinternal";

/// Serves the tools on stdin/stdout until the client closes stdin.
pub async fn serve(server: Warroom) -> Result<(), String> {
    let running =
        server.serve(rmcp::transport::stdio()).await.map_err(|e| format!("cannot start the MCP server: {e}"))?;
    running.waiting().await.map_err(|e| format!("the MCP server stopped: {e}"))?;
    Ok(())
}
