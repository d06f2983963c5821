//! `warroom demo`: the cockpit on a throwaway demo incident.

use std::io::{IsTerminal, Write};

use super::{CliError, ConnArgs, DemoArgs, exit};
use crate::demo;

use super::connected::{resolve, runtime};

pub fn demo(args: DemoArgs) -> Result<u8, CliError> {
    let cockpit = !args.no_cockpit && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    eprintln!("warroom demo: starting a throwaway PostgreSQL with a sample incident…");
    let cluster = match demo::start_incident() {
        Ok(c) => c,
        Err(e @ demo::DemoError::NotInstalled) => return Err(CliError::Usage(e.to_string())),
        Err(e) => return Err(CliError::Database(format!("the demo server did not start: {e}"))),
    };
    let dsn = cluster.dsn(demo::READ_ONLY_ROLE, demo::DEMO_DB);
    if cockpit {
        // The demo's own settings, not the user's config or PG* environment.
        let conn =
            ConnArgs { dsn: Some(dsn.clone()), profile: None, config: Some(std::path::PathBuf::from("/dev/null")) };
        let resolved = resolve(&conn, None, None)?;
        let look = super::cockpit::Look {
            // Each demo is an incident of its own: its plan starts empty, as its database does.
            incident: Some(jiff::Timestamp::now().strftime("demo-%Y%m%d-%H%M%S").to_string()),
            runbook: args.runbook.as_deref(),
            theme: args.theme.as_deref(),
            environment: Some("production"),
            host: Some("demo server (local socket)".into()),
            greeting: Some(
                "Demo: paste an agent's answer (try assets/agent-answer.md), or Alt-1, ] and r for a runbook query; F5 runs reads.".into(),
            ),
        };
        let setup = super::cockpit::setup(&resolved, look)?;
        let result = super::cockpit::launch(setup, resolved);
        // Not eprintln!: the terminal may be gone (its window closed), and a failed write
        // must not become a panic while the server is still to be stopped.
        let _ = writeln!(std::io::stderr(), "warroom demo: stopping and deleting the demo server…");
        drop(cluster);
        return result;
    }
    println!("The demo database is up (it is deleted when you stop this command).");
    println!();
    println!("  connection (read-only role):  {dsn}");
    println!("  as a URL:                     {}", cluster.url(demo::READ_ONLY_ROLE, demo::DEMO_DB));
    println!();
    println!("Try, in another terminal:");
    println!("  warroom doctor --dsn '{dsn}'");
    println!("  warroom query --dsn '{dsn}' 'SELECT count(*) FROM users WHERE email IS NULL'");
    println!("  warroom query --dsn '{dsn}' 'DELETE FROM users WHERE email IS NULL'   # refused");
    println!();
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    runtime()?.block_on(wait_for_stop());
    eprintln!("warroom demo: stopping and deleting the demo server…");
    drop(cluster);
    Ok(exit::DONE)
}

/// Ctrl-C, SIGTERM or SIGHUP.
async fn wait_for_stop() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        _ = async { match hup.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
}
