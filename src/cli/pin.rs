//! `warroom pin [CONN] ENVIRONMENT`: pin the cluster's identity to an environment.

use super::connected::{describe_db_error, resolve, runtime};
use super::{CliError, PinArgs, exit};
use crate::db::Session;
use crate::environment;

pub fn pin(args: PinArgs) -> Result<u8, CliError> {
    let file = environment::path();
    if args.list {
        let pins = environment::load(&file).map_err(|e| CliError::Usage(e.to_string()))?;
        if pins.is_empty() {
            println!("No cluster is pinned yet ({}); `warroom pin [CONN] ENVIRONMENT` pins one.", file.display());
        }
        for p in pins {
            let name = if p.cluster_name.is_empty() { String::new() } else { format!(" ({})", p.cluster_name) };
            println!(
                "{:<12} {}{name}  seen at {}  pinned by {} at {}",
                p.environment.to_uppercase(),
                p.key,
                p.seen_at,
                p.pinned_by,
                p.pinned_at
            );
        }
        return Ok(exit::DONE);
    }
    let (positional, name) = match args.args.as_slice() {
        [name] => (None, name.as_str()),
        [conn, name] => (Some(conn.as_str()), name.as_str()),
        _ => {
            return Err(CliError::Usage(
                "say which environment this cluster is: warroom pin [CONN] ENVIRONMENT (for example production)".into(),
            ));
        }
    };
    let name = environment::check_name(name).map_err(|e| CliError::Usage(e.to_string()))?;
    let resolved = resolve(&args.conn, positional, None)?;
    let session = runtime()?
        .block_on(Session::connect(&resolved.target, resolved.limits))
        .map_err(|e| CliError::Database(describe_db_error(&e, None)))?;
    let identity = session.info.identity.clone();
    let before = environment::pinned(&file, &identity).map_err(|e| CliError::Usage(e.to_string()))?;
    let pinned = environment::pin(&file, &identity, &name, &crate::incident::operator(), &crate::incident::now_utc())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let was = match before {
        Some(b) if b.environment != pinned.environment => format!(" (it was pinned as {})", b.environment),
        Some(_) => " (it already was)".to_string(),
        None => String::new(),
    };
    println!("Pinned {} as {}{was} in {}.", identity.describe(), pinned.environment.to_uppercase(), file.display());
    if identity.system_identifier.is_none() {
        eprintln!(
            "warroom: note: this role may not call pg_control_system(), so the cluster is pinned by its address; \
             after a failover to another address it shows as UNPINNED again"
        );
    }
    Ok(exit::DONE)
}
