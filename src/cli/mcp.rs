//! `warroom mcp`: resolve the connection and the incident as `query` and `stage` do, check
//! the posture, then hand stdin/stdout to the MCP server.

use std::path::Path;

use super::connected::{describe_db_error, resolve, runtime};
use super::{CliError, McpArgs, exit};
use crate::agent::mcp::{self, Gate, Link, Warroom};
use crate::config::AgentPolicy;
use crate::db::posture;
use crate::runbook;

pub fn mcp(args: McpArgs) -> Result<u8, CliError> {
    // A freeze does not stop the server: every tool refuses, naming it, so the agent knows why.
    let mut resolved = resolve(&args.conn, args.target.as_deref(), None)?;
    let profile = resolved.profile.as_ref().map(|(_, p)| p.clone());
    let mut policy = profile.as_ref().map(|p| p.policy.clone()).unwrap_or_default();
    let where_ = resolved.profile.as_ref().map_or("this connection".to_string(), |(n, _)| format!("profile {n}"));
    if policy.agent == AgentPolicy::Off {
        return Err(CliError::Refused(format!(
            "refused: the policy of {where_} is agent = \"off\": no agent may reach this database through warroom (set it to \"review\" or \"read\" in [profiles.NAME.policy] to let one in)"
        )));
    }
    if let Some(t) = &policy.statement_timeout {
        resolved.limits.statement_timeout =
            crate::config::parse_duration(t).map_err(|e| CliError::Usage(e.to_string()))?;
    }
    let row_limit = policy.row_limit.map_or(resolved.row_limit, |n| n.min(resolved.row_limit));
    let freeze_file = super::freeze::path_for(&resolved.config, profile.as_ref());
    let chosen = super::timeline::pick(resolved.config.incidents_dir.as_deref(), args.incident.as_deref(), true)?;
    let runbook = match resolved.profile.as_ref().and_then(|(_, p)| p.runbook.clone()) {
        Some(path) => super::read_input(Path::new(&path))?,
        None => runbook::BUILTIN.to_string(),
    };
    let rt = runtime()?;
    // The session's futures stay on this thread (rmcp's `local` mode): a LocalSet runs them.
    let local = tokio::task::LocalSet::new();
    rt.block_on(local.run_until(async {
        let (session, checked) = posture::connect(&resolved.target, resolved.limits.clone())
            .await
            .map_err(|e| CliError::Database(describe_db_error(&e, None)))?;
        // The cluster's pin decides the environment; the stricter environment's policy applies.
        let labelled = profile.as_ref().and_then(|p| p.environment.clone());
        let decided =
            crate::environment::decide_for(labelled.as_deref(), &session.info.identity, &crate::environment::path());
        if let Some(why) = &decided.unreadable {
            eprintln!("warroom mcp: the pins cannot be read ({why}): this cluster is treated as production");
        }
        let verdict = decided.verdict;
        if labelled.as_deref().is_none_or(|l| !l.eq_ignore_ascii_case(&verdict.environment))
            && let Some(stricter) = resolved.config.policy_for(&verdict.environment)
        {
            policy = policy.stricter(&stricter);
            eprintln!(
                "warroom mcp: {}: the {} policy applies (agent = \"{}\")",
                verdict.note.as_deref().unwrap_or("this cluster's environment"),
                verdict.environment,
                policy.agent.name()
            );
            if policy.agent == AgentPolicy::Off {
                return Err(CliError::Refused(format!(
                    "refused: this cluster is {} and that environment's policy is agent = \"off\"",
                    verdict.environment.to_uppercase()
                )));
            }
        }
        let failed: Vec<&str> = checked.failures().map(|c| c.name).collect();
        if !failed.is_empty() {
            eprintln!(
                "warroom mcp: the role could write ({}); reads still run READ ONLY. `warroom doctor` prints the fix.",
                failed.join(", ")
            );
        }
        eprintln!("warroom mcp: serving on stdio; the agent's work goes to incident {}.", chosen.id);
        let row_limit = policy.row_limit.map_or(row_limit, |n| n.min(row_limit));
        let server = Warroom::new(
            Link::new(session, resolved.target.clone(), resolved.limits.clone()),
            chosen,
            runbook,
            row_limit,
            Gate { agent: policy.agent, freeze_file, where_ },
        );
        mcp::serve(server).await.map_err(CliError::Usage)?;
        Ok(exit::DONE)
    }))
}
