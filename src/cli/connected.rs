//! What the subcommands that talk to a server share: where to connect, the runtime, the
//! database error as one clear sentence, and `[CONN] SQL` arguments.

use std::io::IsTerminal;

use super::{CliError, ConnArgs, exit, read_input};
use crate::config::{self, Profile};
use crate::db::{DbError, Limits, Target, conn};

const DEFAULT_ROW_LIMIT: u64 = 500;

/// Where to connect and with which limits, from the flags, the profile and the environment.
pub(super) struct Resolved {
    pub target: Target,
    pub limits: Limits,
    pub row_limit: u64,
    pub config: config::Config,
    pub profile: Option<(String, Profile)>,
}

pub(super) fn resolve(conn: &ConnArgs, positional: Option<&str>, timeout: Option<&str>) -> Result<Resolved, CliError> {
    if conn.dsn.is_some() && positional.is_some() {
        return Err(CliError::Usage("give the connection once: either --dsn or a positional URL, not both".into()));
    }
    let loaded = config::load(conn.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let named = loaded.profile(conn.profile.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let profile: Option<Profile> = named.as_ref().map(|(_, p)| p.clone());
    let conninfo =
        conn.dsn.clone().or(positional.map(str::to_string)).or_else(|| profile.as_ref().and_then(Profile::conninfo));
    let target = conn::resolve(conninfo.as_deref(), &conn::ProcessEnv).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut limits = Limits::default();
    let duration = |s: &str| config::parse_duration(s).map_err(|e| CliError::Usage(e.to_string()));
    if let Some(t) = timeout.or(profile.as_ref().and_then(|p| p.statement_timeout.as_deref())) {
        limits.statement_timeout = duration(t)?;
    }
    if let Some(t) = profile.as_ref().and_then(|p| p.lock_timeout.as_deref()) {
        limits.lock_timeout = duration(t)?;
    }
    if let Some(n) = profile.as_ref().and_then(|p| p.max_rows_scanned) {
        limits.heavy.max_rows_scanned = n as f64;
    }
    if let Some(c) = profile.as_ref().and_then(|p| p.max_cost) {
        if !c.is_finite() || c < 0.0 {
            return Err(CliError::Usage(format!("max_cost must be a number of zero or more, not {c}")));
        }
        limits.heavy.max_cost = c;
    }
    if let Some(p) = &profile {
        limits.trusted_servers = p.trusted_foreign_servers.clone().into();
    }
    let row_limit = profile.as_ref().and_then(|p| p.row_limit).unwrap_or(DEFAULT_ROW_LIMIT);
    for w in &target.warnings {
        eprintln!("warroom: note: {w}");
    }
    Ok(Resolved { target, limits, row_limit, config: loaded.config, profile: named })
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))
}

/// A database error as one clear sentence, with psql's LINE/caret marker when there is a position.
pub(super) fn describe_db_error(e: &DbError, sql: Option<&str>) -> String {
    let Some(s) = e.server() else { return e.to_string() };
    let mut msg = s.report(sql);
    if s.sqlstate == "57014" && s.message.contains("statement timeout") {
        msg.push_str(
            "\nHINT:  the read ran longer than the statement timeout in force; narrow it, or raise --timeout \
             (a stricter timeout the server sets for the role stays in force: `warroom doctor` shows where each comes from)",
        );
    }
    msg
}

/// `[CONN] SQL`: the optional connection and the SQL (`-` or nothing: standard input).
pub(super) fn conn_and_sql(args: &[String]) -> Result<(Option<&str>, String), CliError> {
    let (positional, sql_arg) = match args {
        [] => (None, None),
        [sql] => (None, Some(sql.as_str())),
        [conn, sql, ..] => (Some(conn.as_str()), Some(sql.as_str())),
    };
    let sql = match sql_arg {
        Some("-") | None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::Usage(
                    "no SQL given: pass it as an argument (for example 'SELECT 1') or pipe it in with -".into(),
                ));
            }
            read_input(std::path::Path::new("-"))?
        }
        Some(s) => s.to_string(),
    };
    if sql.trim().is_empty() {
        return Err(CliError::Usage("no SQL given: the input is empty".into()));
    }
    Ok((positional, sql))
}

/// A reader that went away (`| head`) ends the command quietly; anything else is an error.
pub(super) fn broken_pipe_or(e: std::io::Error) -> Result<u8, CliError> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(exit::DONE)
    } else {
        Err(CliError::Usage(format!("cannot write the output: {e}")))
    }
}
