//! `warroom stage`: writes go into the incident's rollback plan, never to the server.

use super::connected::{conn_and_sql, describe_db_error, resolve, runtime};
use super::{CliError, StageArgs, Style, exit};
use crate::db::Session;
use crate::db::posture::plural;
use crate::guard::{self, Class, Kind};
use crate::incident;
use crate::plan::{self, store};

pub fn stage(args: StageArgs) -> Result<u8, CliError> {
    let (positional, sql) = conn_and_sql(&args.args)?;
    let review = guard::review(&sql);
    let mut writes = Vec::new();
    for s in &review.statements {
        match (s.class, s.kind) {
            (Class::Read, _) => eprintln!(
                "warroom: statement #{} ({}) is a READ: nothing to stage (`warroom query` runs it).",
                s.index,
                s.kind.name()
            ),
            (_, Kind::Transaction) => eprintln!(
                "warroom: statement #{} is transaction control: skipped, the plan has a transaction of its own.",
                s.index
            ),
            _ => writes.push(s.text.clone()),
        }
    }
    if writes.is_empty() {
        return Err(CliError::Usage("nothing to stage: the input holds no write".into()));
    }

    let resolved = resolve(&args.conn, positional, None)?;
    let root = incident::root(resolved.config.incidents_dir.as_deref());
    let chosen = match incident::choose(&root, args.incident.as_deref()) {
        Ok(c) => c,
        Err(incident::IncidentError::NoneYet(_)) => {
            let id = incident::new_id(jiff::Timestamp::now());
            eprintln!("warroom: no incident named and none active: starting incident {id}.");
            incident::Chosen { dir: root.join(&id), id, guessed: false }
        }
        Err(e) => return Err(CliError::Usage(e.to_string())),
    };
    if chosen.guessed {
        eprintln!("warroom: using the most recently active incident, {} (--incident names another).", chosen.id);
    }
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

    let style = Style::detect();
    println!("Staged {} into incident {}'s plan (nothing was run):", plural(steps.len(), "write"), chosen.id);
    for s in &steps {
        let rows = match (&s.missing, s.evidence.as_ref().and_then(|e| e.rows)) {
            (Some(why), _) => style.write(&format!("evidence missing: {why}")),
            (None, Some(n)) => format!("{} it touches", plural(n as usize, "row")),
            (None, None) => "no rows counted".into(),
        };
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
