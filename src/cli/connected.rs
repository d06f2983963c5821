//! Subcommands that talk to a server: `query`, `doctor` and `demo`.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

use super::{CliError, ConnArgs, DemoArgs, DoctorArgs, QueryArgs, Style, exit, read_input};
use crate::config::{self, Profile};
use crate::db::posture::{self, Level, plural};
use crate::db::render::{self, Format};
use crate::db::{DbError, Limits, Session, Target, conn};
use crate::demo;
use crate::guard::{self, Class};
use crate::timeline::{Entry, Kind};

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

pub fn query(args: QueryArgs) -> Result<u8, CliError> {
    super::freeze::refuse_if_frozen(&args.conn)?;
    let (positional, sql) = conn_and_sql(&args.args)?;
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table
    };

    // Recorded only when an incident is named (--incident or WARROOM_INCIDENT).
    let named = args.incident.clone().or_else(|| std::env::var("WARROOM_INCIDENT").ok().filter(|s| !s.is_empty()));
    let journal = match named {
        Some(id) => {
            let loaded = config::load(args.conn.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
            Some(super::timeline::pick(loaded.config.incidents_dir.as_deref(), Some(&id), false)?)
        }
        None => None,
    };
    let record = |entry: Entry| match &journal {
        Some(chosen) => super::timeline::record(chosen, entry).map(|_| ()),
        None => Ok(()),
    };

    // The guard first: if anything is a write on any server, nothing reaches the server.
    // (A cast to an enum or a trusted extension's function is a write only until the
    // server's catalog says what it is; those connect, and the catalog decides.)
    let review = guard::review(&sql);
    if guard::review_best_case(&sql).verdict() != Class::Read {
        let writes: Vec<&guard::Statement> = review.writes().collect();
        record(Entry::new(
            Kind::Refused,
            format!("warroom query refused {}: writes never run", plural(writes.len(), "WRITE")),
            serde_json::json!({ "source": "warroom query", "statements": writes }),
        ))?;
        say_refused(&writes, "", "nothing was sent to the server");
        return Ok(exit::REFUSED);
    }

    let resolved = resolve(&args.conn, positional, args.timeout.as_deref())?;
    let limit = match args.limit.unwrap_or(resolved.row_limit) {
        0 => None,
        n => Some(n),
    };
    let watch = match args.watch.as_deref() {
        Some(d) => Some(config::parse_duration(d).map_err(|e| CliError::Usage(format!("--watch: {e}")))?),
        None => None,
    };
    let format = if args.chart { None } else { Some(format) };
    runtime()?.block_on(run_reads(&resolved, &review.statements, (format, limit, args.heavy, watch), &record))
}

async fn run_reads(
    resolved: &Resolved,
    statements: &[guard::Statement],
    (format, limit, heavy, watch): (Option<Format>, Option<u64>, bool, Option<Duration>),
    record: &dyn Fn(Entry) -> Result<(), CliError>,
) -> Result<u8, CliError> {
    let mut session = match Session::connect(&resolved.target, resolved.limits.clone()).await {
        Ok(s) => s,
        Err(e) => {
            let said = describe_db_error(&e, None);
            record(Entry::new(
                Kind::ConnectFailed,
                format!("warroom query could not connect: {}", said.lines().next().unwrap_or("")),
                serde_json::json!({ "source": "warroom query", "error": said }),
            ))?;
            return Err(CliError::Database(said));
        }
    };
    // A refusal by the server's tree: recorded, said, exit 1.
    let refuse = |stmt: &guard::Statement, reasons: Vec<String>| -> Result<u8, CliError> {
        let mut refused = stmt.clone();
        refused.class = Class::Write;
        refused.reasons = reasons;
        record(Entry::new(
            Kind::Refused,
            format!("warroom query refused statement #{}: the server's own tree shows it is a WRITE", stmt.index),
            serde_json::json!({ "source": "warroom query", "statements": [&refused] }),
        ))?;
        say_refused(&[&refused], " on this server", "nothing was run");
        Ok(exit::REFUSED)
    };
    // Several statements: every one is proven before any of them runs (one alone is proven
    // as it runs, before anything of it does).
    if statements.len() > 1 {
        for stmt in statements {
            match session.check(&stmt.text).await {
                Ok(()) => {}
                Err(DbError::Refused(reasons)) => return refuse(stmt, reasons),
                Err(e) => return Err(CliError::Database(describe_db_error(&e, Some(&stmt.text)))),
            }
        }
    }
    let canceller = session.canceller();
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    // With --watch, the statements run again every interval until Ctrl-C, as psql's \watch.
    let (started_at, mut runs, mut interrupted) = (crate::incident::now_utc(), 0u32, false);
    'watch: loop {
        if let Some(every) = watch {
            let first = statements.first().map_or(String::new(), |s| crate::timeline::one_line(&s.text, 60));
            let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC");
            if writeln!(out, "Every {}: {first}  ({now}, run {})\n", crate::app::results::seconds(every), runs + 1)
                .is_err()
            {
                break 'watch;
            }
        }
        for stmt in statements {
            let mut sink: Box<dyn render::OutputSink> = match format {
                Some(format) => render::sink(format, &mut out),
                None => Box::new(ChartSink { set: render::ResultSet::default(), out: &mut out, stmt }),
            };
            let result = {
                let run = session.run_bounded(&stmt.text, limit, sink.as_mut(), heavy);
                tokio::pin!(run);
                tokio::select! {
                    r = &mut run => r,
                    _ = tokio::signal::ctrl_c() => {
                        interrupted = true;
                        eprintln!("warroom: cancelling the read…");
                        record(Entry::new(
                            Kind::Cancel,
                            format!("warroom query: read #{} cancelled (Ctrl-C)", stmt.index),
                            serde_json::json!({ "source": "warroom query", "index": stmt.index }),
                        ))?;
                        let _ = canceller.cancel().await;
                        run.await
                    }
                }
            };
            if let Err(DbError::Refused(reasons)) = result {
                drop(sink);
                let _ = out.flush();
                return refuse(stmt, reasons);
            }
            if let Err(DbError::Heavy(estimate)) = &result {
                drop(sink);
                let _ = out.flush();
                record(Entry::new(
                    Kind::Held,
                    format!("warroom query held back read #{}: {}", stmt.index, estimate.describe()),
                    serde_json::json!({ "source": "warroom query", "index": stmt.index, "sql": stmt.text,
                    "rows_scanned": estimate.rows_scanned, "cost": estimate.cost }),
                ))?;
                eprintln!(
                    "warroom: held back: statement #{} would be a heavy read: {}",
                    stmt.index,
                    estimate.describe()
                );
                eprintln!(
                    "warroom: nothing of it ran; narrow it (an indexed condition, a LIMIT), or add --heavy to run it anyway"
                );
                return Ok(exit::REFUSED);
            }
            if interrupted && watch.is_some() {
                break 'watch;
            }
            let said = match &result {
                Ok(o) => Ok((o.rows, o.more, o.elapsed)),
                Err(DbError::Output(_)) => Ok((0, false, Duration::ZERO)),
                Err(e) => Err((e.server().map(|s| s.sqlstate.clone()), describe_db_error(e, Some(&stmt.text)))),
            };
            // A watch is one timeline entry when it ends, not one per run.
            if !matches!(result, Err(DbError::Output(_))) && watch.is_none() {
                let mut entry = Entry::read("warroom query", stmt.index, &stmt.text, said);
                if heavy {
                    entry.details["heavy_allowed"] = serde_json::json!(true);
                }
                record(entry)?;
            }
            match result {
                Ok(outcome) => {
                    if let Err(e) = sink.finish(&outcome) {
                        return broken_pipe_or(e);
                    }
                    if outcome.more {
                        eprintln!(
                            "warroom: statement #{}: showing the first {} rows; more exist (use --limit N for more, --limit 0 for all)",
                            stmt.index, outcome.rows
                        );
                    }
                }
                Err(DbError::Output(e)) => return broken_pipe_or(e),
                Err(e) => {
                    drop(sink);
                    let _ = out.flush();
                    let which = if statements.len() > 1 {
                        format!("statement #{} failed: ", stmt.index)
                    } else {
                        String::new()
                    };
                    return Err(CliError::Database(format!("{which}{}", describe_db_error(&e, Some(&stmt.text)))));
                }
            }
        }
        runs += 1;
        let Some(every) = watch else { break };
        if writeln!(out).and_then(|_| out.flush()).is_err() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if let Some(every) = watch {
        let what: Vec<String> =
            statements.iter().map(|s| format!("#{} {}", s.index, crate::timeline::one_line(&s.text, 60))).collect();
        record(Entry::new(
            Kind::Watch,
            format!(
                "warroom query watched {} every {}: {}",
                what.join(", "),
                crate::app::results::seconds(every),
                plural(runs as usize, "run")
            ),
            serde_json::json!({ "source": "warroom query", "every_ms": every.as_millis() as u64, "runs": runs,
                "started_at": started_at, "stopped_at": crate::incident::now_utc(),
                "statements": statements.iter().map(|s| serde_json::json!({ "index": s.index, "sql": s.text })).collect::<Vec<_>>() }),
        ))?;
    }
    out.flush().or_else(|e| broken_pipe_or(e).map(|_| ()))?;
    Ok(exit::DONE)
}

/// `--chart`: the rows are kept, then drawn as a chart in text when the read ends (or, when
/// they make none, shown as a table with a note).
struct ChartSink<'a, W: Write> {
    set: render::ResultSet,
    out: &'a mut W,
    stmt: &'a guard::Statement,
}

impl<W: Write> crate::db::RowSink for ChartSink<'_, W> {
    fn columns(&mut self, columns: &[crate::db::Column]) -> std::io::Result<()> {
        self.set.columns(columns)
    }
    fn row(&mut self, values: &[Option<&str>]) -> std::io::Result<()> {
        self.set.row(values)
    }
}

impl<W: Write> render::OutputSink for ChartSink<'_, W> {
    fn finish(&mut self, outcome: &crate::db::Outcome) -> std::io::Result<()> {
        let set = std::mem::take(&mut self.set);
        let entry = crate::app::ResultEntry::rows(self.stmt.index, self.stmt.text.clone(), set, outcome);
        let crate::app::Body::Rows(table) = &entry.body else { return Ok(()) };
        match &table.chart {
            Some(data) => {
                let width = crossterm::terminal::size()
                    .ok()
                    .filter(|_| std::io::stdout().is_terminal())
                    .map_or(100, |s| s.0.max(40));
                self.out.write_all(crate::ui::chart::to_text(data, width, 20).as_bytes())
            }
            None => {
                eprintln!(
                    "warroom: statement #{}: no chart (it takes a time or number column followed by numeric columns); the rows:",
                    self.stmt.index
                );
                render::write_table(self.out, &table.set, true)
            }
        }
    }
}

/// Each refused statement and its reasons on stderr, then what that means.
fn say_refused(writes: &[&guard::Statement], where_: &str, outcome: &str) {
    let style = Style::for_stderr();
    for s in writes {
        eprintln!(
            "warroom: refused: statement #{} ({}, line {}) is a {}{where_}:",
            s.index,
            s.kind.name(),
            s.span.start_line,
            style.write("WRITE")
        );
        for r in &s.reasons {
            eprintln!("  - {r}");
        }
    }
    eprintln!("warroom: {outcome}; writes never run in warroom (stage them in a plan instead).");
}

/// A reader that went away (`| head`) ends the command quietly; anything else is an error.
fn broken_pipe_or(e: std::io::Error) -> Result<u8, CliError> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(exit::DONE)
    } else {
        Err(CliError::Usage(format!("cannot write the output: {e}")))
    }
}

pub fn doctor(args: DoctorArgs) -> Result<u8, CliError> {
    let resolved = resolve(&args.conn, args.target.as_deref(), None)?;
    let checked = runtime()?.block_on(async {
        let (mut session, mut posture) = posture::connect(&resolved.target, resolved.limits).await?;
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
                    posture::plural(warned, "warning")
                )?;
            } else {
                writeln!(
                    out,
                    "{} {} failed: role {} could change data or schema.",
                    style.write("NOT READ-ONLY:"),
                    posture::plural(failed, "check"),
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
        eprintln!("warroom demo: stopping and deleting the demo server…");
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
