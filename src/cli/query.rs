//! `warroom query`: reads from the command line, as psql -c, through both proofs.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

use super::{CliError, QueryArgs, Style, exit};
use crate::config::{self};
use crate::db::render::{self, Format};
use crate::db::{DbError, Session};
use crate::guard::{self, Class};
use crate::timeline::Entry;
use crate::words::plural;

use super::connected::{Resolved, broken_pipe_or, conn_and_sql, describe_db_error, resolve, runtime};

/// How the timeline names this adapter.
const SOURCE: &str = "warroom query";

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
        let summary = format!("warroom query refused {}: writes never run", plural(writes.len(), "WRITE"));
        record(Entry::refused(SOURCE, summary, &writes))?;
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
            record(Entry::connect_failed(SOURCE, "warroom query could not connect", &said))?;
            return Err(CliError::Database(said));
        }
    };
    // A refusal by the server's tree: recorded, said, exit 1.
    let refuse = |stmt: &guard::Statement, reasons: Vec<String>| -> Result<u8, CliError> {
        let mut refused = stmt.clone();
        refused.class = Class::Write;
        refused.reasons = reasons;
        let summary =
            format!("warroom query refused statement #{}: the server's own tree shows it is a WRITE", stmt.index);
        record(Entry::refused(SOURCE, summary, [&refused]))?;
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
            if writeln!(out, "Every {}: {first}  ({now}, run {})\n", crate::words::seconds(every), runs + 1).is_err() {
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
                        let summary = format!("warroom query: read #{} cancelled (Ctrl-C)", stmt.index);
                        record(Entry::cancel(SOURCE, summary).with("index", stmt.index))?;
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
                record(
                    Entry::held(SOURCE, "warroom query", stmt.index, &estimate.describe())
                        .with("sql", &stmt.text)
                        .with("rows_scanned", estimate.rows_scanned)
                        .with("cost", estimate.cost),
                )?;
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
        let summary = format!(
            "warroom query watched {} every {}: {}",
            what.join(", "),
            crate::words::seconds(every),
            plural(runs as usize, "run")
        );
        let reads: Vec<(usize, &str)> = statements.iter().map(|s| (s.index, s.text.as_str())).collect();
        record(
            Entry::watch(SOURCE, summary, &reads, every.as_millis() as u64, u64::from(runs))
                .with("started_at", &started_at),
        )?;
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
