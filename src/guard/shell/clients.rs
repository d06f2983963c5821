//! Database clients (`psql`, `pgcli`, `usql`, `heroku pg:psql`, `pgbench`) and inline code
//! (`python -c`, `node -e`, …): where their SQL is, for the walker in `shell`.

use super::{Arg, Feed, Found, Walker};
use crate::guard::commands::{self, Client, Decision, Inline};
use crate::guard::inline;

impl Walker<'_> {
    /// `python -c CODE`, `python -m MODULE`, `python manage.py …`, `node -e CODE`, `node x.js`.
    pub(super) fn interpreter(
        &mut self,
        inline: &Inline,
        name: &str,
        rest: &[Arg],
        stdin: Option<Feed>,
        depth: usize,
    ) -> Result<Option<Feed>, String> {
        let mut i = 0;
        while let Some(a) = rest.get(i) {
            let Some(a) = a.as_deref() else {
                self.other = true;
                return Ok(Some(Feed::Opaque));
            };
            if inline.code.iter().any(|c| c == a) {
                match rest.get(i + 1).cloned().flatten() {
                    Some(code) => self.code(&format!("{name} {a}"), &code, name),
                    None => self.code_unseen(&format!("{name} {a}"), "the code is built by the shell"),
                }
                return Ok(Some(Feed::Opaque));
            }
            if a == "-m" {
                return self.run(&rest[i + 1..], stdin, depth + 1);
            }
            if a == "-" {
                break;
            }
            if !a.starts_with('-') {
                // A script and its arguments: its code is read (`python fix.py`), and it is
                // judged as the program it is (`manage.py flush`).
                self.other = true;
                if let Some(code) = (self.read_file)(a) {
                    self.code(&format!("{name} {a}"), &code, name);
                }
                return self.run(&rest[i..], stdin, depth + 1);
            }
            i += 1;
        }
        // `python3 - <<EOF … EOF`, `node < x.js`: the program comes on standard input.
        match stdin {
            Some(Feed::Text(code)) => self.code(&format!("{name}'s input"), &code, name),
            Some(Feed::File(path)) => {
                if let Some(code) = (self.read_file)(&path) {
                    self.code(&format!("{name} < {path}"), &code, name);
                }
            }
            _ => {}
        }
        self.other = true;
        Ok(Some(Feed::Opaque))
    }

    /// Inline code: if it connects to PostgreSQL, every SQL string in it is judged.
    fn code(&mut self, via: &str, code: &str, language: &str) {
        self.other = true;
        let data = commands::data();
        if !data.drivers.words.iter().any(|w| code.contains(w.as_str())) {
            return;
        }
        let hash = !matches!(language, "node" | "deno" | "bun" | "tsx" | "ts-node" | "php");
        let mut seen = false;
        for l in inline::literals(code, hash) {
            let first = l.text.split_whitespace().next().unwrap_or("").trim_start_matches('(').to_ascii_uppercase();
            if !data.sql.first_words.contains(&first) {
                continue;
            }
            seen = true;
            if l.interpolated {
                self.code_unseen(
                    via,
                    &format!("the SQL `{}` is filled in at run time", crate::words::one_line(&l.text, 60)),
                );
            } else {
                self.found.push(Found::Sql { via: format!("{via}'s SQL"), sql: l.text });
            }
        }
        if !seen {
            self.code_unseen(via, "the code connects to PostgreSQL, but its SQL is not a constant the hook can read");
        }
    }

    fn code_unseen(&mut self, via: &str, why: &str) {
        self.found.push(Found::Unseen { via: via.to_string(), why: why.to_string() });
    }

    pub(super) fn sql(&mut self, via: String, text: String) {
        let trimmed = text.trim_start();
        if trimmed.starts_with('\\') {
            let command = trimmed.split_whitespace().next().unwrap_or("\\").to_string();
            let read_only = read_only_meta(&command) && !trimmed.contains('\n');
            self.found.push(Found::Meta { via, command: trimmed.to_string(), read_only });
        } else {
            self.found.push(Found::Sql { via, sql: text });
        }
    }

    fn sql_in_file(&mut self, via: String, path: &str, client: &str) {
        match (self.read_file)(path) {
            Some(text) => self.sql(via, text),
            None => {
                self.hidden(&via, &format!("{client} would read SQL from {path}, which cannot be read to check it"))
            }
        }
    }

    /// A database client (`psql`, `pgcli`, `usql`, `heroku pg:psql`, `pgbench`): its SQL.
    pub(super) fn client(&mut self, c: &Client, name: &str, args: &[Arg], stdin: Option<Feed>) {
        let (mut explicit, mut listing, mut harmless, mut builtin_reads, mut initialize) =
            (false, false, false, false, false);
        let is = |list: &[String], flag: &str| list.iter().any(|o| o == flag);
        let mut i = 0;
        while i < args.len() {
            let Some(a) = args[i].as_deref() else {
                i += 1;
                continue;
            };
            harmless |= is(&c.harmless, a);
            listing |= is(&c.listing, a);
            builtin_reads |= is(&c.builtin_reads, a);
            initialize |= a == "-i" || a == "--initialize";
            // `--command=SQL`, `--command SQL`, `-c SQL`, `-cSQL`, `-Atc SQL`.
            let (flag, inline) = if a.starts_with("--") {
                match a.split_once('=') {
                    Some((f, v)) => (f.to_string(), Some(v.to_string())),
                    None => (a.to_string(), None),
                }
            } else if a.starts_with('-') && a.len() > 1 {
                let chars: Vec<char> = a[1..].chars().collect();
                let takes = |ch: &char| {
                    let f = format!("-{ch}");
                    is(&c.sql, &f) || is(&c.file, &f) || is(&c.value, &f)
                };
                for ch in chars.iter().take_while(|ch| !takes(ch)) {
                    let f = format!("-{ch}");
                    listing |= is(&c.listing, &f);
                    harmless |= is(&c.harmless, &f);
                    builtin_reads |= is(&c.builtin_reads, &f);
                    initialize |= f == "-i";
                }
                match chars.iter().position(takes) {
                    Some(k) => {
                        let rest: String = chars[k + 1..].iter().collect();
                        (format!("-{}", chars[k]), (!rest.is_empty()).then_some(rest))
                    }
                    None => (String::new(), None),
                }
            } else {
                (String::new(), None)
            };
            let takes_value = is(&c.sql, &flag) || is(&c.file, &flag) || is(&c.value, &flag);
            let (val, used) = match inline {
                Some(v) => (Some(v), 0),
                None if takes_value => (args.get(i + 1).cloned().flatten(), 1),
                None => (None, 0),
            };
            if is(&c.sql, &flag) {
                explicit = true;
                match val {
                    Some(sql) => self.sql(format!("{name} {flag}"), sql),
                    None => self.hidden(
                        &format!("{name} {flag}"),
                        "the SQL is built by the shell (a variable or a command's output), so it is not shown",
                    ),
                }
            } else if is(&c.file, &flag) {
                explicit = true;
                match val.as_deref() {
                    Some("-") => self.stdin_sql(stdin.clone(), name),
                    Some(path) => self.sql_in_file(format!("{name} {flag} {path}"), path, name),
                    None => self.hidden(
                        &format!("{name} {flag}"),
                        "the file name is built by the shell, so its SQL is not shown",
                    ),
                }
            }
            i += 1 + used;
        }
        if explicit {
            return;
        }
        if harmless {
            return;
        }
        if listing {
            self.found.push(Found::Listing);
        } else if !c.builtin_reads.is_empty() {
            // pgbench without -f runs its built-in script: select-only reads, the others write.
            if !builtin_reads && !initialize {
                self.found.push(Found::Changes {
                    program: name.to_string(),
                    why: format!("`{name}` runs its built-in TPC-B-like script, which updates and inserts rows"),
                    instead: "run pgbench against a throwaway copy, or with -S (select-only)".into(),
                    decision: Decision::Deny,
                });
            }
        } else if c.stdin {
            self.stdin_sql(stdin, name);
        } else if let Some(feed) = stdin {
            match feed {
                Feed::Text(t) => self.sql(format!("{name}'s input"), t),
                _ => self
                    .hidden(name, &format!("{name} would read SQL from its input, which this command does not show")),
            }
        }
    }

    fn stdin_sql(&mut self, stdin: Option<Feed>, client: &str) {
        match stdin {
            Some(Feed::Text(t)) => self.sql(format!("{client}'s input"), t),
            Some(Feed::File(p)) => self.sql_in_file(format!("{client} < {p}"), &p, client),
            _ => self
                .hidden(client, &format!("{client} would read SQL from its input, which this command does not show")),
        }
    }
}

/// psql meta-commands that only show the catalog or settings.
fn read_only_meta(command: &str) -> bool {
    let c = command.trim_end_matches('+').trim_end_matches('S');
    c.starts_with("\\d")
        || matches!(c, "\\l" | "\\list" | "\\conninfo" | "\\encoding" | "\\x" | "\\timing" | "\\z" | "\\sf" | "\\sv")
}
