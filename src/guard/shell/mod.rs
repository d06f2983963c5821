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

use super::commands::{self, Decision, Rules, Wrapper, WrapperKind};

mod clients;

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
    /// A program that destroys or changes a database without SQL (`commands.toml`).
    Changes { program: String, why: String, instead: String, decision: Decision },
    /// Code that connects to PostgreSQL with SQL the hook cannot read: the person decides.
    Unseen { via: String, why: String },
    /// The shell builds a program's name or script, and a database tool is named: not shown.
    Blind { why: String },
}

/// Deeper than this (`sh -c "sh -c …"`), a command is not followed.
const MAX_DEPTH: usize = 8;

/// What a command does with databases.
#[derive(Debug, Default)]
pub struct Calls {
    pub found: Vec<Found>,
    /// It also runs something that is neither a database client nor a plain helper
    /// (`commands.toml`'s plain): then warroom never says "allow" for the whole command.
    pub other: bool,
}

/// Every database call in `command`; Err when it does not parse as shell.
pub fn database_calls(
    command: &str,
    read_file: &dyn Fn(&str) -> Option<String>,
    rules: &Rules,
) -> Result<Calls, String> {
    let mut w = Walker { read_file, rules, found: Vec::new(), blind: false, other: false };
    w.program(command, 0)?;
    if w.blind {
        let lower = command.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))).collect();
        if let Some(tool) = commands::data().blind.iter().find(|t| words.contains(&t.as_str())) {
            w.found.push(Found::Blind {
                why: format!(
                    "the shell builds a program's name or a script here (a variable, `$(…)`, `eval`), and the command names {tool}: what runs is not shown"
                ),
            });
        }
        w.other = true;
    }
    Ok(Calls { found: w.found, other: w.other })
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
    rules: &'a Rules,
    found: Vec<Found>,
    /// Somewhere the shell builds what runs.
    blind: bool,
    other: bool,
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
                    // `VAR=$(psql …) cmd`: the substitution runs (after the name, it is an argument).
                    if s.prefix.iter().flat_map(|p| &p.0).any(|p| std::ptr::eq(p, item)) {
                        self.arg(&w.value, depth)?;
                    }
                }
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => self.list(&sub.list, depth)?,
                CommandPrefixOrSuffixItem::Word(_) => {}
            }
        }
        if let Some(name) = &s.word_or_name {
            argv.push(self.arg(&name.value, depth)?);
        }
        for item in s.suffix.iter().flat_map(|p| &p.0) {
            // After the program's name, `K=V` is an argument (`docker run -e K=V`).
            if let CommandPrefixOrSuffixItem::Word(w) | CommandPrefixOrSuffixItem::AssignmentWord(_, w) = item {
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
            // A command whose name the shell builds (`$(which psql)`, `$TOOL`): not shown.
            self.blind = true;
            return Ok(Some(Feed::Opaque));
        };
        if depth > MAX_DEPTH {
            return Err(format!("the command wraps commands more than {MAX_DEPTH} deep"));
        }
        let rest = &argv[1..];
        let name = base(program);
        let data = commands::data();
        let literal: Vec<&str> = rest.iter().flatten().map(String::as_str).collect();
        if let Some(m) = commands::judge(name, &literal, self.rules) {
            let shown = std::iter::once(name).chain(literal.iter().copied()).collect::<Vec<_>>().join(" ");
            self.found.push(Found::Changes {
                program: name.to_string(),
                why: format!("`{}`: {}", crate::words::one_line(&shown, 80), m.reason),
                instead: m.instead,
                decision: m.decision,
            });
        }
        if let Some(c) = data.client.iter().find(|c| {
            c.program.iter().any(|p| p == name)
                && c.subcommand.as_deref().is_none_or(|sub| rest.first().and_then(|a| a.as_deref()) == Some(sub))
        }) {
            let args = if c.subcommand.is_some() { &rest[1..] } else { rest };
            self.client(c, name, args, stdin);
            return Ok(Some(Feed::Opaque));
        }
        if let Some(inline) = data.inline.iter().find(|i| i.program.iter().any(|p| p == name)) {
            return self.interpreter(inline, name, rest, stdin, depth);
        }
        if let Some(w) = data.wrapper.iter().find(|w| w.program.iter().any(|p| p == name)) {
            return self.wrapper(w, rest, stdin, depth);
        }
        if let Some(r) = data.runner.iter().find(|r| r.program.iter().any(|p| p == name)) {
            match rest.first().and_then(|a| a.as_deref()) {
                Some(sub) if r.words.iter().any(|w| w == sub) => {
                    return self.run(skip_options(&rest[1..], &[]), stdin, depth + 1);
                }
                Some(sub) if r.bare && !sub.starts_with('-') => return self.run(rest, stdin, depth + 1),
                _ => {}
            }
        }
        match name {
            "env" => {
                let after =
                    rest.iter().position(|a| !a.as_deref().is_some_and(|a| a.contains('=') || a.starts_with('-')));
                self.run(&rest[after.unwrap_or(rest.len())..], stdin, depth + 1)
            }
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish" | "busybox" => {
                match rest.iter().position(|a| a.as_deref().is_some_and(|a| a.starts_with('-') && a.contains('c'))) {
                    Some(i) => match rest.get(i + 1) {
                        Some(Some(script)) => self.program(script, depth + 1)?,
                        _ => self.blind = true,
                    },
                    None => match &stdin {
                        Some(Feed::Text(t)) => self.program(t, depth + 1)?,
                        // `bash script.sh`: what the script does is not shown.
                        _ => self.other = true,
                    },
                }
                Ok(Some(Feed::Opaque))
            }
            "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => {
                self.container(name, rest, stdin, depth)
            }
            "kubectl" | "oc" => {
                self.other = true;
                if rest.iter().any(|a| matches!(a.as_deref(), Some("exec" | "run" | "debug")))
                    && let Some(i) = rest.iter().position(|a| a.as_deref() == Some("--"))
                {
                    return self.run(&rest[i + 1..], stdin, depth + 1);
                }
                Ok(Some(Feed::Opaque))
            }
            "ssh" => {
                self.other = true;
                let after = skip_options(
                    rest,
                    &["-p", "-i", "-l", "-o", "-J", "-F", "-L", "-R", "-D", "-E", "-b", "-c", "-m", "-S", "-W", "-w"],
                );
                if after.len() > 1 {
                    let remote: Option<Vec<&str>> = after[1..].iter().map(|a| a.as_deref()).collect();
                    match remote {
                        Some(words) => self.program(&words.join(" "), depth + 1)?,
                        None => self.blind = true,
                    }
                }
                Ok(Some(Feed::Opaque))
            }
            "xargs" => {
                self.other = true;
                let cmd = skip_options(rest, &["-I", "-i", "-L", "-l", "-n", "-P", "-s", "-d", "-E", "-e", "-a"]);
                if cmd.iter().flatten().any(|a| data.client.iter().any(|c| c.program.iter().any(|p| p == base(a)))) {
                    self.hidden(
                        "xargs",
                        "xargs builds the client's arguments from its input, which the command does not show",
                    );
                }
                self.run(cmd, None, depth + 1)?;
                Ok(Some(Feed::Opaque))
            }
            "find" | "fd" | "fdfind" => {
                self.other = true;
                let mut i = 0;
                while i < rest.len() {
                    if matches!(
                        rest[i].as_deref(),
                        Some("-exec" | "-execdir" | "-ok" | "-okdir" | "-x" | "--exec" | "-X" | "--exec-batch")
                    ) {
                        let end = rest[i + 1..]
                            .iter()
                            .position(|a| matches!(a.as_deref(), Some(";" | "+")))
                            .map_or(rest.len(), |p| i + 1 + p);
                        self.run(&rest[i + 1..end], None, depth + 1)?;
                        i = end;
                    }
                    i += 1;
                }
                Ok(Some(Feed::Opaque))
            }
            "tmux" => self.tmux(rest, depth),
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
                if !data.plain.iter().any(|p| p == name) {
                    self.other = true;
                }
                Ok(Some(Feed::Opaque))
            }
        }
    }

    /// A program that runs another: `sudo`, `nohup`, `su -c`, `watch`, `eval`, …
    fn wrapper(
        &mut self,
        w: &Wrapper,
        rest: &[Arg],
        stdin: Option<Feed>,
        depth: usize,
    ) -> Result<Option<Feed>, String> {
        let takes = |list: &[String], a: &str| {
            let flag = a.split_once('=').map_or(a, |(f, _)| f);
            if list.iter().any(|v| v == flag) {
                return true;
            }
            // `-iu postgres`: a cluster of short options whose last one takes a value.
            !a.starts_with("--")
                && a.len() > 2
                && !a.contains('=')
                && a.chars().last().is_some_and(|c| list.iter().any(|v| *v == format!("-{c}")))
        };
        // A script option among the options and the `skip` words (`su - postgres -c '…'`).
        let mut positional = 0;
        for (i, a) in rest.iter().enumerate() {
            let Some(a) = a.as_deref() else { continue };
            if a == "--" {
                break;
            }
            if !a.starts_with('-') {
                positional += 1;
                if positional > w.skip {
                    break;
                }
                continue;
            }
            if a.starts_with('-') && takes(&w.script, a) {
                let inline = a.split_once('=').map(|(_, v)| v.to_string());
                match inline.or_else(|| rest.get(i + 1).cloned().flatten()) {
                    Some(script) => self.program(&script, depth + 1)?,
                    None => self.blind = true,
                }
                return Ok(Some(Feed::Opaque));
            }
        }
        let mut i = 0;
        while let Some(Some(a)) = rest.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            if !a.starts_with('-') {
                break;
            }
            i += if takes(&w.value, a) && !a.contains('=') { 2 } else { 1 };
        }
        let cmd = &rest[(i + w.skip).min(rest.len())..];
        match w.kind {
            WrapperKind::Command => self.run(cmd, stdin, depth + 1),
            WrapperKind::Joined => {
                match cmd.iter().map(|a| a.as_deref()).collect::<Option<Vec<&str>>>() {
                    Some(words) => self.program(&words.join(" "), depth + 1)?,
                    None => self.blind = true,
                }
                Ok(Some(Feed::Opaque))
            }
        }
    }

    /// `docker exec C cmd`, `docker run IMAGE cmd`, `docker compose exec SERVICE cmd`.
    fn container(
        &mut self,
        name: &str,
        rest: &[Arg],
        stdin: Option<Feed>,
        depth: usize,
    ) -> Result<Option<Feed>, String> {
        self.other = true;
        let compose = name.ends_with("compose");
        let (sub, after) = if compose || rest.first().and_then(|a| a.as_deref()) == Some("compose") {
            let r = if compose { rest } else { &rest[1..] };
            let r = skip_options(r, COMPOSE_GLOBAL);
            (r.first().and_then(|a| a.as_deref()), r.get(1..).unwrap_or(&[]))
        } else {
            let r = skip_options(rest, &["-H", "--host", "-c", "--context", "--config", "-l", "--log-level"]);
            (r.first().and_then(|a| a.as_deref()), r.get(1..).unwrap_or(&[]))
        };
        let with_value = match sub {
            Some("exec") => CONTAINER_EXEC,
            Some("run") => CONTAINER_RUN,
            _ => return Ok(Some(Feed::Opaque)),
        };
        let after = skip_options(after, with_value);
        // The container (image, service), then the command.
        if after.len() > 1 {
            return self.run(&after[1..], stdin, depth + 1);
        }
        Ok(Some(Feed::Opaque))
    }

    /// `tmux new-session 'cmd'`, `tmux send-keys 'cmd' Enter`.
    fn tmux(&mut self, rest: &[Arg], depth: usize) -> Result<Option<Feed>, String> {
        self.other = true;
        let r = skip_options(rest, &["-L", "-S", "-f", "-T"]);
        let (Some(Some(sub)), tail) = (r.first(), r.get(1..).unwrap_or(&[])) else { return Ok(Some(Feed::Opaque)) };
        let keys = matches!(sub.as_str(), "send-keys" | "send");
        let starts = matches!(
            sub.as_str(),
            "new-session"
                | "new"
                | "new-window"
                | "neww"
                | "split-window"
                | "splitw"
                | "respawn-pane"
                | "respawnp"
                | "respawn-window"
                | "respawnw"
                | "display-popup"
                | "popup"
                | "run-shell"
                | "run"
        );
        if !keys && !starts {
            return Ok(Some(Feed::Opaque));
        }
        let words = skip_options(tail, &["-s", "-n", "-t", "-c", "-x", "-y", "-F", "-e", "-l", "-p", "-N", "-w"]);
        let words: Option<Vec<&str>> = words
            .iter()
            .map(|a| a.as_deref())
            .filter(|a| !(keys && a.is_some_and(|k| matches!(k, "Enter" | "C-m" | "KPEnter" | "C-j" | "Escape"))))
            .collect();
        match words {
            Some(w) if !w.is_empty() => self.program(&w.join(" "), depth + 1)?,
            Some(_) => {}
            None => self.blind = true,
        }
        Ok(Some(Feed::Opaque))
    }

    fn hidden(&mut self, via: &str, why: &str) {
        self.found.push(Found::Hidden { via: via.to_string(), why: why.to_string() });
    }
}

/// docker compose's options before its subcommand that take a value.
const COMPOSE_GLOBAL: &[&str] =
    &["-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi", "--parallel"];
/// `docker exec`'s options that take a value.
const CONTAINER_EXEC: &[&str] =
    &["-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys", "--index"];
/// `docker run`'s options that take a value.
const CONTAINER_RUN: &[&str] = &[
    "-e",
    "--env",
    "-v",
    "--volume",
    "-p",
    "--publish",
    "--name",
    "--network",
    "--net",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "--env-file",
    "-l",
    "--label",
    "--mount",
    "--add-host",
    "--platform",
    "--pull",
    "-h",
    "--hostname",
    "--cpus",
    "-m",
    "--memory",
    "--restart",
    "--link",
    "--dns",
    "--device",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--ulimit",
    "--log-driver",
    "--log-opt",
    "--tmpfs",
    "--gpus",
    "--ipc",
    "--pid",
    "--shm-size",
    "--stop-signal",
    "--health-cmd",
    "--label-file",
    "--expose",
    "--group-add",
    "--volumes-from",
    "--runtime",
    "--cidfile",
    "--network-alias",
    "--ip",
    "--mac-address",
    "--userns",
    "--uts",
    "--cgroupns",
    "--isolation",
];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(cmd: &str) -> Vec<Found> {
        database_calls(cmd, &|p| (p == "q.sql").then(|| "DELETE FROM t".to_string()), &Rules::default()).unwrap().found
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
        assert!(database_calls("echo 'unterminated", &|_| None, &Rules::default()).is_err());
    }
}
