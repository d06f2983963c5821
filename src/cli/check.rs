//! `warroom check`: the guard's verdict on SQL, offline.

use std::io::{IsTerminal, Write};

use super::*;
use crate::guard::{self, Class, Review};

pub(super) fn check(args: &CheckArgs) -> Result<u8, CliError> {
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    if files.iter().any(|f| f.as_os_str() == "-") && std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "nothing to check: give a FILE, or pipe SQL in (for example: echo 'SELECT 1' | warroom check)".into(),
        ));
    }
    let mut reviews: Vec<(String, Review)> = Vec::new();
    for f in &files {
        let text = read_input(f)?;
        let name = if f.as_os_str() == "-" { "-".to_string() } else { f.display().to_string() };
        reviews.push((name, guard::review(&text)));
    }
    let all_read = reviews.iter().all(|(_, r)| r.verdict() == Class::Read);
    let verdict = if all_read { Class::Read } else { Class::Write };

    // Buffered: the report is many short lines, and standard output flushes at each one.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = if args.json {
        // One object for all inputs: `index` runs across files, `source` names each one.
        for (i, s) in reviews.iter_mut().flat_map(|(_, r)| r.statements.iter_mut()).enumerate() {
            s.index = i + 1;
        }
        let statements = reviews
            .iter()
            .flat_map(|(name, r)| r.statements.iter().map(move |s| SourcedStatement { statement: s, source: name }))
            .collect();
        let ignored = reviews
            .iter()
            .flat_map(|(name, r)| r.ignored.iter().map(move |i| SourcedIgnored { ignored: i, source: name }))
            .collect();
        let report = CheckJson { verdict, catalog_checked: false, statements, ignored };
        serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from).and_then(|_| writeln!(out))
    } else {
        let style = Style::detect();
        let multi = reviews.len() > 1;
        reviews.iter().try_for_each(|(name, review)| {
            if multi {
                writeln!(out, "{}", style.bold(&format!("== {name}")))?;
            }
            write_human(&mut out, review, &style)
        })
    }
    .and_then(|_| out.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Usage(format!("cannot write the report: {e}")));
    }
    Ok(if all_read { exit::DONE } else { exit::REFUSED })
}

fn write_human(out: &mut impl Write, review: &Review, style: &Style) -> std::io::Result<()> {
    for s in &review.statements {
        let badge = match s.class {
            Class::Read => style.read("READ "),
            Class::Write => style.write("WRITE"),
        };
        let mut head = format!("#{:<3} {badge}  {:<12} {}", s.index, s.kind.name(), s.span.lines());
        if s.destructive {
            head.push_str("  ");
            head.push_str(&style.destructive("DESTRUCTIVE"));
        }
        writeln!(out, "{head}")?;
        for line in s.text.lines().take(6) {
            writeln!(out, "      {}", style.dim(line))?;
        }
        if s.text.lines().count() > 6 {
            writeln!(out, "      {}", style.dim("…"))?;
        }
        for r in &s.reasons {
            writeln!(out, "      - {r}")?;
        }
    }
    if !review.ignored.is_empty() {
        writeln!(out)?;
        writeln!(out, "ignored (not SQL, never run):")?;
        for i in &review.ignored {
            let first = i.text.lines().next().unwrap_or("");
            let more = if i.text.lines().count() > 1 { " …" } else { "" };
            writeln!(out, "  {}: {first}{more}", i.span.lines())?;
        }
    }
    writeln!(out)?;
    let total = review.statements.len();
    let writes = review.writes().count();
    match review.verdict() {
        Class::Read => writeln!(out, "{} {total} of {total} statements are reads.", style.read("READ:"))?,
        Class::Write => writeln!(
            out,
            "{} {writes} of {total} statements are writes; warroom will not run them.",
            style.write("WRITE:")
        )?,
    }
    writeln!(
        out,
        "{}",
        style.dim(
            "Checked from the text alone, not against a server's catalog: there, a function, operator, view or policy \
             can still make a read a write (warroom query and the cockpit check that before anything runs)."
        )
    )
}
