//! `warroom hook claude`: Claude Code's PreToolUse hook. One verdict, the guard's, for every
//! way the agent reaches a database: the shell (`guard::shell` finds the SQL) and other MCP
//! servers' SQL tools. An adapter: the rules are the guard's, the freeze's and the policy's.

use serde_json::{Value, json};

use crate::config::AgentPolicy;
use crate::freeze::Freeze;
use crate::guard::{self, Class, shell::Found};

/// What the hook answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(String),
    Deny(String),
    /// Not a database call: warroom has no say, and Claude Code's own permissions decide.
    Pass,
}

impl Decision {
    /// Claude Code's PreToolUse answer (empty for `Pass`).
    pub fn to_json(&self) -> Option<Value> {
        let (decision, reason) = match self {
            Decision::Allow(r) => ("allow", r),
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
            Decision::Deny(_) => "deny",
            Decision::Pass => "pass",
        }
    }
}

/// What the hook knows besides the call: the kill switch and the environment's policy.
pub struct Context<'a> {
    pub frozen: Option<Freeze>,
    pub agent: AgentPolicy,
    pub read_file: &'a dyn Fn(&str) -> Option<String>,
}

const STAGE: &str = "stage it with `warroom stage` for a human to review";

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
    let decision = if tool == "Bash" {
        match call["tool_input"]["command"].as_str() {
            Some(command) => bash(command, cx),
            None => Decision::Deny("warroom: a Bash call without a command string; refusing blind".into()),
        }
    } else if tool.starts_with("mcp__warroom__") {
        // warroom mcp's tools guard themselves (and answer for freeze and policy).
        Decision::Pass
    } else if tool.starts_with("mcp__") {
        let input = &call["tool_input"];
        match ["sql", "query", "statement"].iter().find_map(|k| input.get(*k)) {
            Some(Value::String(sql)) => verdict(vec![(format!("{tool}'s {}", "SQL"), sql.clone())], vec![], cx),
            Some(_) => Decision::Deny(format!("warroom: {tool}'s SQL is not a string; refusing blind")),
            None => Decision::Pass,
        }
    } else {
        Decision::Pass
    };
    (decision, tool)
}

fn bash(command: &str, cx: &Context) -> Decision {
    let found = match guard::shell::database_calls(command, cx.read_file) {
        Ok(f) => f,
        Err(e) if command.contains("psql") || command.contains("pg_") => {
            return Decision::Deny(format!("warroom: {e}; a command that may reach PostgreSQL is refused blind"));
        }
        Err(_) => return Decision::Pass,
    };
    if found.is_empty() {
        return Decision::Pass;
    }
    let mut sql = Vec::new();
    let mut refusals = Vec::new();
    for f in found {
        match f {
            Found::Sql { via, sql: text } => sql.push((via, text)),
            Found::Meta { read_only: true, .. } | Found::Listing => {}
            Found::Meta { via, command, .. } => refusals.push(format!(
                "{via} runs the psql meta-command {}, which can run anything",
                command.split_whitespace().next().unwrap_or("\\")
            )),
            Found::Hidden { via, why } => refusals.push(format!("{via}: {why}")),
            Found::Changes { why, .. } => refusals.push(why),
        }
    }
    verdict(sql, refusals, cx)
}

/// The guard's verdict on the SQL found, after the freeze and the policy.
fn verdict(sql: Vec<(String, String)>, mut refusals: Vec<String>, cx: &Context) -> Decision {
    if let Some(f) = &cx.frozen {
        return Decision::Deny(format!("warroom: refused, {}", f.describe()));
    }
    match cx.agent {
        AgentPolicy::Off => {
            return Decision::Deny(
                "warroom: refused, this environment's policy is agent = \"off\": no agent reaches its database".into(),
            );
        }
        AgentPolicy::Review => {
            return Decision::Deny(format!(
                "warroom: refused, this environment's policy is agent = \"review\": reads do not run here; use warroom mcp's review_sql, or {STAGE}"
            ));
        }
        AgentPolicy::Read => {}
    }
    for (via, text) in &sql {
        let review = guard::review(text);
        for s in review.writes() {
            refusals.push(format!(
                "{via}: statement #{} ({}) is a WRITE: {}",
                s.index,
                crate::timeline::one_line(&s.text, 80),
                s.reasons.join("; ")
            ));
        }
        if review.verdict() != Class::Read && review.writes().next().is_none() {
            refusals.push(format!("{via}: no SQL statement could be proven a read"));
        }
    }
    if refusals.is_empty() {
        Decision::Allow("warroom: every statement this command sends to PostgreSQL is a read".into())
    } else {
        Decision::Deny(format!(
            "warroom refused this command:\n- {}\nWrites never run here: {STAGE}.",
            refusals.join("\n- ")
        ))
    }
}
