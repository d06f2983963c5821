//! `warroom mcp`: resolve the connection and the incident as `query` and `stage` do, check
//! the posture, then hand stdin/stdout to the MCP server.

use std::path::Path;

use super::connected::{describe_db_error, resolve, runtime};
use super::{CliError, McpArgs, exit};
use crate::agent::mcp::{self, Warroom};
use crate::db::{Session, posture};
use crate::runbook;

pub fn mcp(args: McpArgs) -> Result<u8, CliError> {
    let resolved = resolve(&args.conn, args.target.as_deref(), None)?;
    let chosen = super::timeline::pick(resolved.config.incidents_dir.as_deref(), args.incident.as_deref(), true)?;
    let runbook = match resolved.profile.as_ref().and_then(|(_, p)| p.runbook.clone()) {
        Some(path) => super::read_input(Path::new(&path))?,
        None => runbook::BUILTIN.to_string(),
    };
    let rt = runtime()?;
    // The session's futures stay on this thread (rmcp's `local` mode): a LocalSet runs them.
    let local = tokio::task::LocalSet::new();
    rt.block_on(local.run_until(async {
        let mut session = Session::connect(&resolved.target, resolved.limits)
            .await
            .map_err(|e| CliError::Database(describe_db_error(&e, None)))?;
        let checked =
            posture::check(&mut session).await.map_err(|e| CliError::Database(describe_db_error(&e, None)))?;
        let failed: Vec<&str> = checked.failures().map(|c| c.name).collect();
        if !failed.is_empty() {
            eprintln!(
                "warroom mcp: the role could write ({}); reads still run READ ONLY. `warroom doctor` prints the fix.",
                failed.join(", ")
            );
        }
        eprintln!("warroom mcp: serving on stdio; the agent's work goes to incident {}.", chosen.id);
        let server = Warroom::new(session, chosen, runbook, resolved.row_limit);
        mcp::serve(server).await.map_err(CliError::Usage)?;
        Ok(exit::DONE)
    }))
}
