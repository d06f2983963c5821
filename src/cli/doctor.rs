//! `warroom doctor`: the read-only posture of the connection, and the fix.

use std::io::Write;

use super::{CliError, DoctorArgs, Style, exit};
use crate::db::DbError;
use crate::db::posture::{self, Level};

use super::connected::{broken_pipe_or, describe_db_error, resolve, runtime};

pub fn doctor(args: DoctorArgs) -> Result<u8, CliError> {
    let resolved = resolve(&args.conn, args.target.as_deref(), None)?;
    let checked = runtime()?.block_on(async {
        let (mut session, mut posture) = posture::connect(&resolved.target, resolved.limits).await?;
        if args.full {
            posture = posture::check(&mut session, posture::Depth::Full).await?;
        }
        posture.checks.push(posture::tree_check(&mut session).await);
        Ok::<_, DbError>((posture, session.info.identity.clone()))
    });
    let (posture, identity) = checked.map_err(|e| CliError::Database(describe_db_error(&e, None)))?;
    let known = crate::environment::path();
    let labelled = resolved.profile.as_ref().and_then(|(_, p)| p.environment.clone());
    let decided = crate::environment::decide_for(labelled.as_deref(), &identity, &known);
    let known_error = decided.unreadable;
    let verdict = decided.verdict;
    let mut out = std::io::stdout().lock();
    let failed = posture.failures().count();
    let profile = resolved.profile.as_ref().map(|(_, p)| p.clone());
    let agent = profile.as_ref().map(|p| p.policy.agent).unwrap_or_default();
    let freeze_file = super::freeze::path_for(&resolved.config, profile.as_ref());
    let frozen = crate::freeze::current(&freeze_file);
    let written = if args.json {
        let mut v = serde_json::to_value(&posture).unwrap_or_default();
        v["agent_policy"] = serde_json::json!(agent.name());
        v["freeze_file"] = serde_json::json!(freeze_file.display().to_string());
        v["frozen"] = serde_json::to_value(&frozen).unwrap_or_default();
        v["cluster"] = serde_json::to_value(&identity).unwrap_or_default();
        v["environment"] = serde_json::to_value(&verdict).unwrap_or_default();
        v["known_clusters"] = serde_json::json!(known.display().to_string());
        serde_json::to_writer_pretty(&mut out, &v).map_err(std::io::Error::from).and_then(|_| writeln!(out))
    } else {
        let style = Style::detect();
        (|| -> std::io::Result<()> {
            writeln!(out, "warroom doctor: {}", resolved.target.describe())?;
            writeln!(out, "cluster: {}", identity.describe())?;
            let env = verdict.environment.to_uppercase();
            match (&verdict.note, verdict.unpinned()) {
                (Some(note), true) => writeln!(
                    out,
                    "environment: {}; `warroom pin ENVIRONMENT` (with this connection) pins it in {}",
                    style.write(note),
                    known.display()
                )?,
                (Some(note), false) => writeln!(out, "environment: {env} ({})", style.write(note))?,
                (None, _) => writeln!(out, "environment: {env} (pinned in {})", known.display())?,
            }
            if let Some(e) = &known_error {
                writeln!(out, "{} {e}", style.write("known clusters:"))?;
            }
            for c in &posture.checks {
                let label = match c.level {
                    Level::Pass => style.read(c.level.label()),
                    Level::Warn => style.bold(c.level.label()),
                    Level::Fail => style.write(c.level.label()),
                };
                writeln!(out, "{label}  {:<27} {}", c.name, c.finding)?;
                if c.level != Level::Pass && !c.why.is_empty() {
                    writeln!(out, "      {:<27} {}", "", style.dim(&format!("why it matters: {}", c.why)))?;
                }
            }
            let warned = posture.checks.iter().filter(|c| c.level == Level::Warn).count();
            writeln!(out)?;
            if failed == 0 {
                writeln!(
                    out,
                    "{} this connection can only read ({}).",
                    style.read("READ-ONLY:"),
                    crate::words::plural(warned, "warning")
                )?;
            } else {
                writeln!(
                    out,
                    "{} {} failed: role {} could change data or schema.",
                    style.write("NOT READ-ONLY:"),
                    crate::words::plural(failed, "check"),
                    posture.role
                )?;
            }
            let whose = resolved.profile.as_ref().map_or("the default".to_string(), |(n, _)| format!("profile {n}"));
            writeln!(
                out,
                "agents: policy agent = \"{}\" ({whose}); kill switch {}",
                agent.name(),
                freeze_file.display()
            )?;
            if let Some(f) = &frozen {
                writeln!(out, "{} {}", style.write("FROZEN:"), f.describe())?;
            }
            if let Some(fix) = &posture.fix {
                writeln!(out, "\nTo give warroom a role that can only read, a DBA runs:\n\n{fix}")?;
            }
            Ok(())
        })()
    };
    if let Err(e) = written {
        broken_pipe_or(e)?;
    }
    Ok(if failed == 0 { exit::DONE } else { exit::REFUSED })
}
