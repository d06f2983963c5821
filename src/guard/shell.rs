//! Where a shell command sends SQL to PostgreSQL (or changes a database without SQL), found
//! with a real shell parser (brush-parser): `psql -c/-f`, stdin from a pipe, a heredoc or a
//! here-string, through `sh -c`, `sudo`, `env`, `docker exec`, `kubectl exec`, `ssh`,
//! `xargs`, `$(…)` and backticks, in every list, pipeline, loop and branch. Pure: a file
//! named by `psql -f` is read through the caller's function.

use brush_parser::ast::{
    AndOr, Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList, IoFileRedirectKind, IoFileRedirectTarget,
    IoRedirect, Pipeline, SimpleCommand,
};
use brush_parser::word::{self, WordPiece, WordPieceWithSource};
use brush_parser::{Parser, ParserOptions};

/// What a command does with a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// SQL that reaches the server (`via`: how, for the reason).
    Sql { via: String, sql: String },
    /// A psql meta-command (`\d users`); `read_only` when it only shows the catalog.
    Meta { via: String, command: String, read_only: bool },
    /// `psql -l`: the list of databases.
    Listing,
    /// SQL reaches the server but the command does not show it.
    Hidden { via: String, why: String },
    /// A program that changes a database or the server without SQL.
    Changes { program: String, why: String },
}

/// Deeper than this (`sh -c "sh -c …"`), a command is not followed.
const MAX_DEPTH: usize = 8;

/// Every database call in `command`; Err when it does not parse as shell.
pub fn database_calls(command: &str, read_file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Found>, String> {
    let mut w = Walker { read_file, found: Vec::new() };
    w.program(command, 0)?;
    Ok(w.found)
}

/// What a command writes to the next one in a pipeline, as far as it shows.
#[derive(Debug, Clone)]
enum Feed {
    Text(String),
    File(String),
    Opaque,
}

/// A word: its text when it is literal (quotes removed), None when the shell builds it.
type Arg = Option<String>;

struct Walker<'a> {
    read_file: &'a dyn Fn(&str) -> Option<String>,
    found: Vec<Found>,
}

fn options() -> ParserOptions {
    ParserOptions::default()
}

impl Walker<'_> {
    fn program(&mut self, text: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("the command nests shells more than {MAX_DEPTH} deep"));
        }
        let mut parser = Parser::new(std::io::Cursor::new(text.as_bytes()), &options());
        let program = parser.parse_program().map_err(|e| format!("the command is not valid shell ({e})"))?;
        for list in &program.complete_commands {
            self.list(list, depth)?;
        }
        Ok(())
    }

    fn list(&mut self, list: &CompoundList, depth: usize) -> Result<(), String> {
        for item in &list.0 {
            self.pipeline(&item.0.first, depth)?;
            for next in &item.0.additional {
                match next {
                    AndOr::And(p) | AndOr::Or(p) => self.pipeline(p, depth)?,
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &Pipeline, depth: usize) -> Result<(), String> {
        let mut feed = None;
        for c in &p.seq {
            feed = self.command(c, feed.take(), depth)?;
        }
        Ok(())
    }

    fn command(&mut self, c: &Command, stdin: Option<Feed>, depth: usize) -> Result<Option<Feed>, String> {
        match c {
            Command::Simple(s) => self.simple(s, stdin, depth),
            Command::Compound(cc, _) => {
                self.compound(cc, depth)?;
                Ok(Some(Feed::Opaque))
            }
            Command::Function(f) => {
                self.compound(&f.body.0, depth)?;
                Ok(None)
            }
            Command::ExtendedTest(..) => Ok(None),
        }
    }

    fn compound(&mut self, cc: &CompoundCommand, depth: usize) -> Result<(), String> {
        match cc {
            CompoundCommand::BraceGroup(b) => self.list(&b.list, depth),
            CompoundCommand::Subshell(s) => self.list(&s.list, depth),
            CompoundCommand::ForClause(f) => {
                for w in f.values.iter().flatten() {
                    self.arg(&w.value, depth)?;
                }
                self.list(&f.body.list, depth)
            }
            CompoundCommand::CaseClause(c) => {
                for item in &c.cases {
                    if let Some(l) = &item.cmd {
                        self.list(l, depth)?;
                    }
                }
                Ok(())
            }
            CompoundCommand::IfClause(i) => {
                self.list(&i.condition, depth)?;
                self.list(&i.then, depth)?;
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.list(c, depth)?;
                    }
                    self.list(&e.body, depth)?;
                }
                Ok(())
            }
            CompoundCommand::WhileClause(w) | CompoundCommand::UntilClause(w) => {
                self.list(&w.0, depth)?;
                self.list(&w.1.list, depth)
            }
            CompoundCommand::ArithmeticForClause(a) => self.list(&a.body.list, depth),
            CompoundCommand::Coprocess(c) => self.command(&c.body, None, depth).map(|_| ()),
            CompoundCommand::Arithmetic(_) => Ok(()),
        }
    }

    /// A word's literal text; the commands inside `$(…)` and backticks are followed.
    fn arg(&mut self, raw: &str, depth: usize) -> Result<Arg, String> {
        let pieces =
            word::parse(raw, &options()).map_err(|e| format!("a word of the command is not valid shell ({e})"))?;
        self.pieces(&pieces, depth)
    }

    fn pieces(&mut self, pieces: &[WordPieceWithSource], depth: usize) -> Result<Arg, String> {
        let mut text = Some(String::new());
        for p in pieces {
            let part = match &p.piece {
                WordPiece::Text(t) | WordPiece::SingleQuotedText(t) | WordPiece::AnsiCQuotedText(t) => Some(t.clone()),
                WordPiece::EscapeSequence(e) => Some(e.trim_start_matches('\\').to_string()),
                WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    self.pieces(inner, depth)?
                }
                WordPiece::CommandSubstitution(cmd) | WordPiece::BackquotedCommandSubstitution(cmd) => {
                    self.program(cmd, depth + 1)?;
                    None
                }
                _ => None,
            };
            text = text.zip(part).map(|(a, b)| a + &b);
        }
        Ok(text)
    }

    fn simple(&mut self, s: &SimpleCommand, stdin: Option<Feed>, depth: usize) -> Result<Option<Feed>, String> {
        let mut argv: Vec<Arg> = Vec::new();
        let mut feed = stdin;
        let items = s.prefix.iter().flat_map(|p| &p.0).chain(s.suffix.iter().flat_map(|p| &p.0));
        let mut redirects = Vec::new();
        for item in items {
            match item {
                CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                CommandPrefixOrSuffixItem::AssignmentWord(_, w) => {
                    // `VAR=$(psql …) cmd`: the substitution runs.
                    self.arg(&w.value, depth)?;
                }
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => self.list(&sub.list, depth)?,
                CommandPrefixOrSuffixItem::Word(_) => {}
            }
        }
        if let Some(name) = &s.word_or_name {
            argv.push(self.arg(&name.value, depth)?);
        }
        for item in s.suffix.iter().flat_map(|p| &p.0) {
            if let CommandPrefixOrSuffixItem::Word(w) = item {
                argv.push(self.arg(&w.value, depth)?);
            }
        }
        for r in redirects {
            match r {
                IoRedirect::HereDocument(_, doc) => {
                    let text = if doc.requires_expansion {
                        let pieces = word::parse_heredoc(&doc.doc.value, &options()).map_err(|e| e.to_string())?;
                        self.pieces(&pieces, depth)?
                    } else {
                        Some(doc.doc.value.clone())
                    };
                    feed = Some(text.map_or(Feed::Opaque, Feed::Text));
                }
                IoRedirect::HereString(_, w) => {
                    feed = Some(self.arg(&w.value, depth)?.map_or(Feed::Opaque, Feed::Text))
                }
                IoRedirect::File(_, IoFileRedirectKind::Read, target) => {
                    feed = Some(match target {
                        IoFileRedirectTarget::Filename(w) => {
                            self.arg(&w.value, depth)?.map_or(Feed::Opaque, Feed::File)
                        }
                        IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                            self.list(&sub.list, depth)?;
                            Feed::Opaque
                        }
                        _ => Feed::Opaque,
                    });
                }
                IoRedirect::File(_, _, IoFileRedirectTarget::ProcessSubstitution(_, sub)) => {
                    self.list(&sub.list, depth)?
                }
                _ => {}
            }
        }
        self.run(&argv, feed, depth)
    }

    /// What `argv` runs, with `stdin`; returns what it writes to a pipe, as far as it shows.
    fn run(&mut self, argv: &[Arg], stdin: Option<Feed>, depth: usize) -> Result<Option<Feed>, String> {
        let Some(first) = argv.first() else { return Ok(None) };
        let Some(program) = first.as_deref() else {
            // A command whose name the shell builds: only its arguments can be judged.
            if argv.iter().flatten().any(|a| base(a) == "psql") {
                self.hidden("psql", "the program name is built by the shell, so what runs is not shown");
            }
            return Ok(Some(Feed::Opaque));
        };
        let rest = &argv[1..];
        match base(program) {
            "sudo" => {
                self.run(skip_options(rest, &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"]), stdin, depth)
            }
            "env" => {
                let after =
                    rest.iter().position(|a| !a.as_deref().is_some_and(|a| a.contains('=') || a.starts_with('-')));
                self.run(&rest[after.unwrap_or(rest.len())..], stdin, depth)
            }
            "nohup" | "exec" | "command" | "builtin" | "stdbuf" | "chronic" => self.run(rest, stdin, depth),
            "time" | "nice" | "ionice" | "timeout" => {
                let after = rest.iter().position(|a| {
                    !a.as_deref().is_some_and(|a| {
                        a.starts_with('-') || a.chars().all(|c| c.is_ascii_digit() || c == '.' || c == 's' || c == 'm')
                    })
                });
                self.run(&rest[after.unwrap_or(rest.len())..], stdin, depth)
            }
            "sh" | "bash" | "zsh" | "dash" | "ksh" => {
                match rest.iter().position(|a| a.as_deref().is_some_and(|a| a.starts_with('-') && a.contains('c'))) {
                    Some(i) => match rest.get(i + 1) {
                        Some(Some(script)) => self.program(script, depth + 1)?,
                        _ => {
                            self.hidden(program, "the shell's script is built by the shell, so what runs is not shown")
                        }
                    },
                    None => {
                        if let Some(Feed::Text(t)) = &stdin {
                            self.program(t, depth + 1)?;
                        }
                    }
                }
                Ok(Some(Feed::Opaque))
            }
            "docker" | "podman" => {
                if rest.first().and_then(|a| a.as_deref()) == Some("exec") {
                    let after =
                        skip_options(&rest[1..], &["-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file"]);
                    // The container, then the command.
                    if after.len() > 1 {
                        return self.run(&after[1..], stdin, depth);
                    }
                }
                Ok(Some(Feed::Opaque))
            }
            "kubectl" | "oc" => {
                if rest.iter().any(|a| a.as_deref() == Some("exec"))
                    && let Some(i) = rest.iter().position(|a| a.as_deref() == Some("--"))
                {
                    return self.run(&rest[i + 1..], stdin, depth);
                }
                Ok(Some(Feed::Opaque))
            }
            "ssh" => {
                let after = skip_options(
                    rest,
                    &["-p", "-i", "-l", "-o", "-J", "-F", "-L", "-R", "-D", "-E", "-b", "-c", "-m", "-S", "-W", "-w"],
                );
                if after.len() > 1 {
                    let remote: Option<Vec<&str>> = after[1..].iter().map(|a| a.as_deref()).collect();
                    match remote {
                        Some(words) => self.program(&words.join(" "), depth + 1)?,
                        None => {
                            if after.iter().flatten().any(|a| a.contains("psql")) {
                                self.hidden(
                                    "ssh",
                                    "the remote command is built by the shell, so what runs is not shown",
                                );
                            }
                        }
                    }
                }
                Ok(Some(Feed::Opaque))
            }
            "xargs" => {
                if rest.iter().flatten().any(|a| base(a) == "psql") {
                    self.hidden(
                        "xargs psql",
                        "xargs builds psql's arguments from its input, which the command does not show",
                    );
                }
                Ok(Some(Feed::Opaque))
            }
            "psql" => {
                self.psql(rest, stdin);
                Ok(Some(Feed::Opaque))
            }
            "echo" => {
                let words: Option<Vec<&str>> =
                    rest.iter().map(|a| a.as_deref()).filter(|a| !matches!(a, Some("-n" | "-e" | "-E"))).collect();
                Ok(Some(words.map_or(Feed::Opaque, |w| Feed::Text(w.join(" ")))))
            }
            "printf" => Ok(Some(match rest.first() {
                Some(Some(format)) if rest.len() == 1 => Feed::Text(format.replace("\\n", "\n")),
                _ => Feed::Opaque,
            })),
            "cat" => Ok(Some(match (rest.first(), stdin) {
                (None, Some(feed)) => feed,
                (Some(Some(path)), _) if rest.len() == 1 => Feed::File(path.clone()),
                _ => Feed::Opaque,
            })),
            name => {
                if let Some(why) = changes_without_sql(name, rest) {
                    self.found.push(Found::Changes { program: name.to_string(), why });
                }
                Ok(Some(Feed::Opaque))
            }
        }
    }

    fn hidden(&mut self, via: &str, why: &str) {
        self.found.push(Found::Hidden { via: via.to_string(), why: why.to_string() });
    }

    fn sql(&mut self, via: String, text: String) {
        let trimmed = text.trim_start();
        if trimmed.starts_with('\\') {
            let command = trimmed.split_whitespace().next().unwrap_or("\\").to_string();
            let read_only = read_only_meta(&command) && !trimmed.contains('\n');
            self.found.push(Found::Meta { via, command: trimmed.to_string(), read_only });
        } else {
            self.found.push(Found::Sql { via, sql: text });
        }
    }

    fn sql_in_file(&mut self, via: String, path: &str) {
        match (self.read_file)(path) {
            Some(text) => self.sql(via, text),
            None => self.hidden(&via, &format!("psql would read SQL from {path}, which cannot be read to check it")),
        }
    }

    fn psql(&mut self, args: &[Arg], stdin: Option<Feed>) {
        let mut explicit = false;
        let mut list = false;
        let mut i = 0;
        while i < args.len() {
            let Some(a) = args[i].as_deref() else {
                i += 1;
                continue;
            };
            let value = |i: usize| args.get(i + 1).cloned().flatten();
            let (flag, inline) = if let Some(long) = a.strip_prefix("--") {
                match long.split_once('=') {
                    Some((f, v)) => (f.to_string(), Some(v.to_string())),
                    None => (long.to_string(), None),
                }
            } else if a.starts_with('-') && a.len() > 1 {
                // Short flags may be grouped (`-Atc SQL`); -c and -f take the rest or the next word.
                let chars: Vec<char> = a[1..].chars().collect();
                match chars.iter().position(|c| {
                    matches!(c, 'c' | 'f' | 'l' | 'd' | 'h' | 'p' | 'U' | 'v' | 'P' | 'o' | 'L' | 'T' | 'F' | 'R')
                }) {
                    Some(k) => {
                        let rest: String = chars[k + 1..].iter().collect();
                        (chars[k].to_string(), (!rest.is_empty()).then_some(rest))
                    }
                    None => (String::new(), None),
                }
            } else {
                (String::new(), None)
            };
            let takes = |f: &str| {
                matches!(
                    f,
                    "c" | "command"
                        | "f"
                        | "file"
                        | "d"
                        | "dbname"
                        | "h"
                        | "host"
                        | "p"
                        | "port"
                        | "U"
                        | "username"
                        | "v"
                        | "set"
                        | "variable"
                        | "P"
                        | "pset"
                        | "o"
                        | "output"
                        | "L"
                        | "log-file"
                        | "T"
                        | "table-attr"
                        | "F"
                        | "field-separator"
                        | "R"
                        | "record-separator"
                )
            };
            let (val, used) = match inline {
                Some(v) => (Some(v), 0),
                None if takes(&flag) => (value(i), 1),
                None => (None, 0),
            };
            match flag.as_str() {
                "c" | "command" => {
                    explicit = true;
                    match val {
                        Some(sql) => self.sql("psql -c".into(), sql),
                        None => self.hidden(
                            "psql -c",
                            "the SQL is built by the shell (a variable or a command's output), so it is not shown",
                        ),
                    }
                }
                "f" | "file" => {
                    explicit = true;
                    match val.as_deref() {
                        Some("-") => self.stdin_sql(stdin.clone()),
                        Some(path) => self.sql_in_file(format!("psql -f {path}"), path),
                        None => self.hidden("psql -f", "the file name is built by the shell, so its SQL is not shown"),
                    }
                }
                "l" | "list" => list = true,
                _ => {}
            }
            i += 1 + used;
        }
        if list && !explicit {
            self.found.push(Found::Listing);
        } else if !explicit {
            self.stdin_sql(stdin);
        }
    }

    fn stdin_sql(&mut self, stdin: Option<Feed>) {
        match stdin {
            Some(Feed::Text(t)) => self.sql("psql's input".into(), t),
            Some(Feed::File(p)) => self.sql_in_file(format!("psql < {p}"), &p),
            _ => self.hidden("psql", "psql would read SQL from its input, which this command does not show"),
        }
    }
}

/// The program's name without its folder (`/usr/bin/psql` → `psql`).
fn base(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// The words after a wrapper's options (those in `with_value` take the next word).
fn skip_options<'a>(args: &'a [Arg], with_value: &[&str]) -> &'a [Arg] {
    let mut i = 0;
    while let Some(Some(a)) = args.get(i) {
        if a == "--" {
            return &args[i + 1..];
        }
        if !a.starts_with('-') {
            break;
        }
        i += if with_value.contains(&a.as_str()) { 2 } else { 1 };
    }
    &args[i.min(args.len())..]
}

/// psql meta-commands that only show the catalog or settings.
fn read_only_meta(command: &str) -> bool {
    let c = command.trim_end_matches('+').trim_end_matches('S');
    c.starts_with("\\d")
        || matches!(c, "\\l" | "\\list" | "\\conninfo" | "\\encoding" | "\\x" | "\\timing" | "\\z" | "\\sf" | "\\sv")
}

/// PostgreSQL's programs that change a database or the server without SQL.
fn changes_without_sql(program: &str, args: &[Arg]) -> Option<String> {
    let has = |w: &str| args.iter().flatten().any(|a| a == w || a.starts_with(&format!("{w}=")));
    Some(match program {
        "dropdb" => "dropdb drops a database and everything in it".into(),
        "createdb" => "createdb creates a database".into(),
        "dropuser" | "createuser" => format!("{program} changes the server's roles"),
        "pg_restore" if has("--clean") || has("-c") || has("-d") || has("--dbname") => {
            "pg_restore into a database writes to it (and --clean drops objects first)".into()
        }
        "pg_ctl" | "pg_ctlcluster"
            if args
                .iter()
                .flatten()
                .any(|a| matches!(a.as_str(), "stop" | "restart" | "promote" | "kill" | "reload")) =>
        {
            format!("{program} stops, restarts or promotes the server")
        }
        "vacuumdb" | "reindexdb" | "clusterdb" => format!("{program} is maintenance that writes and takes locks"),
        "pg_resetwal" | "pg_resetxlog" => "pg_resetwal rewrites the server's write-ahead log and can lose data".into(),
        "pg_upgrade" | "initdb" | "pg_rewind" => format!("{program} changes a cluster's files"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(cmd: &str) -> Vec<Found> {
        database_calls(cmd, &|p| (p == "q.sql").then(|| "DELETE FROM t".to_string())).unwrap()
    }

    fn sqls(cmd: &str) -> Vec<String> {
        calls(cmd)
            .into_iter()
            .filter_map(|f| match f {
                Found::Sql { sql, .. } => Some(sql.trim().to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn finds_the_sql_every_way() {
        for (cmd, sql) in [
            ("psql -c 'DELETE FROM t'", "DELETE FROM t"),
            ("psql -Atc \"DELETE FROM t\" -d app", "DELETE FROM t"),
            ("psql --command='DELETE FROM t'", "DELETE FROM t"),
            ("psql -f q.sql", "DELETE FROM t"),
            ("echo 'DELETE FROM t' | psql app", "DELETE FROM t"),
            ("psql app <<'EOF'\nDELETE FROM t\nEOF", "DELETE FROM t"),
            ("psql app <<< 'DELETE FROM t'", "DELETE FROM t"),
            ("psql app < q.sql", "DELETE FROM t"),
            ("bash -c \"psql -c 'DELETE FROM t'\"", "DELETE FROM t"),
            ("sh -c 'sh -c \"psql -c \\\"DELETE FROM t\\\"\"'", "DELETE FROM t"),
            ("env PGUSER=app psql -c 'DELETE FROM t'", "DELETE FROM t"),
            ("PGPASSWORD=x psql -c 'DELETE FROM t'", "DELETE FROM t"),
            ("sudo -u postgres psql -c 'DELETE FROM t'", "DELETE FROM t"),
            ("docker exec -it db psql -U app -c 'DELETE FROM t'", "DELETE FROM t"),
            ("kubectl exec -n prod pod/db -- psql -c 'DELETE FROM t'", "DELETE FROM t"),
            ("ssh db1 psql -c \"'DELETE FROM t'\"", "DELETE FROM t"),
            ("echo $(psql -c 'DELETE FROM t')", "DELETE FROM t"),
            ("x=`psql -c 'DELETE FROM t'`", "DELETE FROM t"),
            ("cd /tmp && psql -c 'DELETE FROM t' || true", "DELETE FROM t"),
            ("for i in 1 2; do psql -c 'DELETE FROM t'; done", "DELETE FROM t"),
            ("if true; then psql -c 'DELETE FROM t'; fi", "DELETE FROM t"),
            ("/usr/bin/psql -c 'DELETE FROM t'", "DELETE FROM t"),
        ] {
            assert_eq!(sqls(cmd), vec![sql.to_string()], "{cmd}");
        }
    }

    #[test]
    fn hidden_sql_changes_and_reads() {
        for cmd in [
            "psql app",
            "psql -c \"$SQL\"",
            "cat q2.sql | psql",
            "xargs psql -c",
            "psql -f \"$F\"",
            "psql -f missing.sql",
            "some-tool | psql",
        ] {
            assert!(calls(cmd).iter().any(|f| matches!(f, Found::Hidden { .. })), "{cmd}: {:?}", calls(cmd));
        }
        for cmd in [
            "dropdb app",
            "pg_ctl -D /d stop",
            "vacuumdb --all",
            "pg_restore -d app dump",
            "sudo -u postgres pg_ctlcluster 15 main restart",
        ] {
            assert!(calls(cmd).iter().any(|f| matches!(f, Found::Changes { .. })), "{cmd}: {:?}", calls(cmd));
        }
        assert_eq!(calls("psql -l"), vec![Found::Listing]);
        assert!(matches!(&calls("psql -c '\\d users'")[..], [Found::Meta { read_only: true, .. }]));
        assert!(matches!(&calls("psql -c '\\! rm -rf /'")[..], [Found::Meta { read_only: false, .. }]));
        for cmd in [
            "grep DELETE log.txt",
            "echo \"DROP TABLE\"",
            "git commit -m \"drop table users\"",
            "ls -la",
            "pg_dump app > x.sql",
        ] {
            assert!(calls(cmd).is_empty(), "{cmd}: {:?}", calls(cmd));
        }
        assert!(database_calls("echo 'unterminated", &|_| None).is_err());
    }
}
