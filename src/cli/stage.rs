//! `warroom stage`: writes go into the incident's rollback plan, never to the server.

use super::connected::{conn_and_sql, describe_db_error, resolve, runtime};
use super::{CliError, StageArgs, Style, exit};
use crate::db::Session;
use crate::guard;
use crate::incident;
use crate::plan::{self, store};
use crate::words::plural;

pub fn stage(args: StageArgs) -> Result<u8, CliError> {
    super::freeze::refuse_if_frozen(&args.conn)?;
    let (positional, sql) = conn_and_sql(&args.args)?;
    let review = guard::review(&sql);
    let mut writes = Vec::new();
    for s in &review.statements {
        match plan::not_staged(s) {
            Some(why) => eprintln!("warroom: statement #{} ({}) {why}.", s.index, s.kind.name()),
            None => writes.push(s.text.clone()),
        }
    }
    if writes.is_empty() {
        return Err(CliError::Usage("nothing to stage: the input holds no write".into()));
    }

    let resolved = resolve(&args.conn, positional, None)?;
    let chosen = super::timeline::pick(resolved.config.incidents_dir.as_deref(), args.incident.as_deref(), true)?;
    incident::ensure(&chosen.dir).map_err(|e| CliError::Usage(e.to_string()))?;

    let rt = runtime()?;
    let (steps, offline) = rt.block_on(async {
        let mut session = match Session::connect(&resolved.target, resolved.limits).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "warroom: cannot reach the server, so the writes are staged WITHOUT evidence and the plan cannot be reviewed: {}",
                    describe_db_error(&e, None)
                );
                None
            }
        };
        let offline = session.is_none();
        let steps = plan::stage_writes(session.as_mut(), &chosen.dir, &chosen.id, &writes).await;
        (steps, offline)
    });
    let steps = steps.map_err(|e| CliError::Usage(e.to_string()))?;
    if let Err(e) = super::timeline::record(&chosen, plan::staged_entry(&steps, &store::plan_path(&chosen.dir))) {
        eprintln!("warroom: the writes are staged, but {e}");
    }

    let style = Style::detect();
    println!("Staged {} into incident {}'s plan (nothing was run):", plural(steps.len(), "write"), chosen.id);
    for s in &steps {
        let rows = if s.missing.is_some() { style.write(&s.rows_text()) } else { s.rows_text() };
        let back = match s.way_back() {
            _ if s.missing.is_some() => String::new(),
            (word, true) => format!("; {}", style.write(&word)),
            (word, false) => format!("; {word}"),
        };
        println!("  step {}: {} — {rows}{back}", s.n, plan::headline(s));
        for c in &s.cautions {
            println!("    caution: {c}");
        }
    }
    println!("  plan:     {}", store::plan_path(&chosen.dir).display());
    println!("  rollback: {}", store::rollback_path(&chosen.dir).display());
    println!(
        "The plan is a DRAFT: review it in the cockpit (`warroom --incident {}`, then F6) before anyone applies it.",
        chosen.id
    );
    Ok(if offline { exit::DATABASE } else { exit::DONE })
}
