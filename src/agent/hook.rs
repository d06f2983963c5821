//! `warroom hook claude`: Claude Code's hook. One verdict, the guard's, for every way the
//! agent reaches a database: the shell (`guard::shell` finds the SQL, the database clients
//! and the tools that destroy a database without SQL) and other MCP servers' tools. It also
//! tells the agent where it is (SessionStart) and stops it whole while warroom is frozen
//! (every tool call, every prompt). An adapter: the rules are the guard's (`guard::commands`
//! holds the data), the freeze's and the policy's.

use serde_json::{Value, json};

use crate::config::AgentPolicy;
use crate::freeze::Freeze;
use crate::guard::commands::{self, Decision as Listed, Rules};
use crate::guard::{self, Class, shell::Found};

/// What the hook answers to a PreToolUse call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(String),
    /// Claude Code asks the person.
    Ask(String),
    Deny(String),
    /// Not a database call (or not only one): warroom has no say, and Claude Code's own
    /// permissions decide.
    Pass,
}

impl Decision {
    /// Claude Code's PreToolUse answer (None for `Pass`).
    pub fn to_json(&self) -> Option<Value> {
        let (decision, reason) = match self {
            Decision::Allow(r) => ("allow", r),
            Decision::Ask(r) => ("ask", r),
            Decision::Deny(r) => ("deny", r),
            Decision::Pass => return None,
        };
        Some(json!({ "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        } }))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Decision::Allow(_) => "allow",
            Decision::Ask(_) => "ask",
            Decision::Deny(_) => "deny",
            Decision::Pass => "pass",
        }
    }
}

/// What the hook answers to any event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Tool(Decision),
    /// SessionStart: what the agent is told before it starts.
    Context(String),
    /// UserPromptSubmit, refused: the prompt is not sent (while frozen).
    Block(String),
    Nothing,
}

impl Answer {
    pub fn to_json(&self) -> Option<Value> {
        match self {
            Answer::Tool(d) => d.to_json(),
            Answer::Context(text) => Some(json!({ "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": text,
            } })),
            Answer::Block(reason) => Some(json!({ "decision": "block", "reason": reason })),
            Answer::Nothing => None,
        }
    }
}

/// What the hook knows besides the call: the kill switch, the environment's policy, the
/// config's own command rules, and (for SessionStart) where the session is.
pub struct Context<'a> {
    pub frozen: Option<Freeze>,
    pub agent: AgentPolicy,
    pub rules: Rules,
    pub read_file: &'a dyn Fn(&str) -> Option<String>,
    pub session: Option<SessionFacts>,
}

/// Facts for SessionStart's context, gathered by the adapter (the same as `doctor`'s).
#[derive(Debug, Clone, Default)]
pub struct SessionFacts {
    pub profile: Option<String>,
    /// The environment warroom treats the cluster as (its pin decides; unpinned is production).
    pub environment: String,
    /// How that was decided: "pinned as production by alice", "not pinned", "could not reach it".
    pub how: String,
    pub runbook: String,
    pub headings: Vec<String>,
}

const STAGE: &str = "stage it with `warroom stage` (or warroom mcp's stage_write) for a person to review";

/// The hook's event name in Claude Code's JSON (PreToolUse when it names none).
pub fn event(input: &str) -> String {
    serde_json::from_str::<Value>(input)
        .ok()
        .and_then(|v| v["hook_event_name"].as_str().map(str::to_string))
        .unwrap_or_else(|| "PreToolUse".into())
}

/// The answer to one event (Claude Code's JSON), and the tool it was about.
pub fn answer(input: &str, cx: &Context) -> (Answer, String) {
    match event(input).as_str() {
        "SessionStart" => (Answer::Context(session_context(cx)), String::new()),
        "UserPromptSubmit" => match &cx.frozen {
            Some(f) => (
                Answer::Block(format!(
                    "warroom: agent work is halted: {}. A person lifts it with `warroom thaw`.",
                    f.describe()
                )),
                String::new(),
            ),
            None => (Answer::Nothing, String::new()),
        },
        "PreToolUse" => {
            let (d, tool) = decide(input, cx);
            (Answer::Tool(d), tool)
        }
        _ => (Answer::Nothing, String::new()),
    }
}

/// The decision on one PreToolUse call (Claude Code's JSON), and the tool it was about.
pub fn decide(input: &str, cx: &Context) -> (Decision, String) {
    let call: Value = match serde_json::from_str(input) {
        Ok(v) => v,
        Err(e) => {
            return (
                Decision::Deny(format!("warroom: the hook's input is not JSON ({e}); refusing blind")),
                String::new(),
            );
        }
    };
    let tool = call["tool_name"].as_str().unwrap_or_default().to_string();
    // The kill switch stops the agent whole, not only its SQL.
    if let Some(f) = &cx.frozen {
        return (Decision::Deny(format!("warroom: agent work is halted: {}", f.describe())), tool);
    }
    let decision = if tool == "Bash" {
        match call["tool_input"]["command"].as_str() {
            Some(command) => bash(command, cx),
            None => Decision::Deny("warroom: a Bash call without a command string; refusing blind".into()),
        }
    } else if tool.starts_with("mcp__warroom__") {
        // warroom mcp's tools guard themselves (and answer for freeze and policy).
        Decision::Pass
    } else if tool.starts_with("mcp__") {
        mcp(&tool, &call["tool_input"], cx)
    } else {
        Decision::Pass
    };
    (decision, tool)
}

/// Another MCP server's tool: its SQL, at any depth, and the platform tools that destroy.
fn mcp(tool: &str, input: &Value, cx: &Context) -> Decision {
    if commands::mcp_destroys(tool) {
        return Decision::Deny(format!(
            "warroom refused {tool}: a database platform's tool that deletes, resets or migrates a database, refused in an environment whose agent policy is \"{}\". A person does this from the platform's console.",
            cx.agent.name()
        ));
    }
    let mut sql = Vec::new();
    let mut refusals = Vec::new();
    collect_sql(input, tool, "", false, &mut sql, &mut refusals);
    if sql.is_empty() && refusals.is_empty() {
        return Decision::Pass;
    }
    verdict(sql, refusals, vec![], false, cx, 0)
}

/// Strings (or lists of strings) under a key that names SQL, at any depth of `v`.
fn collect_sql(
    v: &Value,
    tool: &str,
    path: &str,
    under_sql: bool,
    sql: &mut Vec<(String, String)>,
    bad: &mut Vec<String>,
) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                let at = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                collect_sql(inner, tool, &at, commands::is_sql_key(k), sql, bad);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                collect_sql(inner, tool, &format!("{path}[{i}]"), under_sql, sql, bad);
            }
        }
        Value::String(text) if under_sql => sql.push((format!("{tool}'s {path}"), text.clone())),
        Value::Null | Value::String(_) => {}
        _ if under_sql => bad.push(format!("{tool}'s {path} is not SQL text; refusing blind")),
        _ => {}
    }
}

fn bash(command: &str, cx: &Context) -> Decision {
    let calls = match guard::shell::database_calls(command, cx.read_file, &cx.rules) {
        Ok(c) => c,
        Err(e) if commands::data().blind.iter().any(|t| command.contains(t.as_str())) => {
            return Decision::Deny(format!("warroom: {e}; a command that may reach a database is refused blind"));
        }
        Err(_) => return Decision::Pass,
    };
    if calls.found.is_empty() {
        return Decision::Pass;
    }
    let mut sql = Vec::new();
    let mut refusals = Vec::new();
    let mut asks = Vec::new();
    let mut shown = 0;
    for f in calls.found {
        match f {
            Found::Sql { via, sql: text } => sql.push((via, text)),
            Found::Meta { read_only: true, .. } | Found::Listing => shown += 1,
            Found::Meta { via, command, .. } => refusals.push(format!(
                "{via} runs the psql meta-command {}, which can run anything",
                command.split_whitespace().next().unwrap_or("\\")
            )),
            Found::Hidden { via, why } => refusals.push(format!("{via}: {why}")),
            Found::Blind { why } => refusals.push(why),
            Found::Changes { why, instead, decision: Listed::Deny, .. } => {
                refusals.push(format!("{why}. Instead: {instead}"))
            }
            Found::Changes { why, instead, decision: Listed::Ask, .. } => {
                asks.push(format!("{why}. Instead: {instead}"))
            }
            Found::Unseen { via, why } => asks.push(format!("{via}: {why}")),
        }
    }
    verdict(sql, refusals, asks, calls.other, cx, shown)
}

/// The guard's verdict on the SQL found, after the policy. `other`: the command runs more
/// than database reads, so a clean verdict leaves the rest to Claude Code's permissions.
fn verdict(
    sql: Vec<(String, String)>,
    mut refusals: Vec<String>,
    asks: Vec<String>,
    other: bool,
    cx: &Context,
    shown: usize,
) -> Decision {
    match cx.agent {
        AgentPolicy::Off => {
            return Decision::Deny(
                "warroom: refused, this environment's policy is agent = \"off\": no agent reaches its database".into(),
            );
        }
        AgentPolicy::Review if !sql.is_empty() => {
            return Decision::Deny(format!(
                "warroom: refused, this environment's policy is agent = \"review\": reads do not run here; use warroom mcp's review_sql, or {STAGE}"
            ));
        }
        _ => {}
    }
    for (via, text) in &sql {
        let review = guard::review(text);
        for s in review.writes() {
            refusals.push(format!(
                "{via}: statement #{} ({}) is a WRITE: {}",
                s.index,
                crate::words::one_line(&s.text, 80),
                s.reasons.join("; ")
            ));
        }
        if review.verdict() != Class::Read && review.writes().next().is_none() {
            refusals.push(format!("{via}: no SQL statement could be proven a read"));
        }
    }
    if !refusals.is_empty() {
        let mut text = format!("warroom refused this command:\n- {}", refusals.join("\n- "));
        if !sql.is_empty() {
            text.push_str(&format!("\nWrites never run here: {STAGE}."));
        }
        return Decision::Deny(text);
    }
    if !asks.is_empty() {
        return Decision::Ask(format!("warroom: a person should decide:\n- {}", asks.join("\n- ")));
    }
    if (sql.is_empty() && shown == 0) || other {
        return Decision::Pass;
    }
    Decision::Allow("warroom: every statement this command sends to PostgreSQL is a read".into())
}

/// SessionStart's context: where the agent is and how warroom works here. Short and factual.
fn session_context(cx: &Context) -> String {
    let Some(s) = &cx.session else {
        return "warroom guards this machine's database work: writes never run; stage them with `warroom stage`."
            .into();
    };
    let profile = s.profile.as_deref().map_or(String::new(), |p| format!(" (profile {p})"));
    let mut lines = vec![format!(
        "warroom guards this session's PostgreSQL work{profile}. Environment: {} — {}.",
        s.environment.to_uppercase(),
        s.how
    )];
    lines.push(match cx.agent {
        AgentPolicy::Read => "Agent policy: read — reads run through warroom's guard (psql and other clients are checked by this hook, warroom mcp's run_read checks its own); a WRITE is refused.".into(),
        AgentPolicy::Review => "Agent policy: review — no SQL runs here, reads included; review SQL with warroom mcp's review_sql and stage changes.".into(),
        AgentPolicy::Off => "Agent policy: off — no agent may reach this database; every database call is refused.".into(),
    });
    lines.push(match &cx.frozen {
        Some(f) => format!("Kill switch: ON — {}. Every tool call and prompt is refused until then.", f.describe()),
        None => "Kill switch: off (a person can freeze all agent work with `warroom freeze`).".into(),
    });
    lines.push(format!(
        "Writes never run: write the change as SQL and {STAGE}; warroom writes plan.sql with its evidence and an exact rollback.sql."
    ));
    lines.push("warroom mcp's tools: run_read (a guarded read), explain_read, describe (a table), review_sql, stage_write, runbook, note (to the incident timeline), posture.".into());
    lines.push("Tools that destroy a database without SQL (terraform destroy, prisma migrate reset, drizzle-kit push --force, kubectl delete pvc, docker volume rm, …) are refused or asked.".into());
    if !s.headings.is_empty() {
        lines.push(format!("Runbook ({}): {}.", s.runbook, s.headings.join("; ")));
    }
    lines.join("\n")
}
