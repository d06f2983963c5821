//! The guard: splits a paste into statements and proves each one READ, or labels it WRITE.
//!
//! Pure: no IO, no async, no UI. Fail-closed: what cannot be proven read-only is a WRITE.

mod classify;
mod fence;
mod lex;
mod lists;
mod normalize;

use serde::Serialize;

/// Input larger than this is not analysed: every statement in it is a WRITE.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Read,
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Select,
    Show,
    Explain,
    Copy,
    Insert,
    Update,
    Delete,
    Merge,
    Ddl,
    Dcl,
    Set,
    Transaction,
    Call,
    Do,
    Prepare,
    Execute,
    Cursor,
    Listen,
    Notify,
    Lock,
    Maintenance,
    Discard,
    PsqlMeta,
    Unparsed,
    Empty,
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Select => "select",
            Kind::Show => "show",
            Kind::Explain => "explain",
            Kind::Copy => "copy",
            Kind::Insert => "insert",
            Kind::Update => "update",
            Kind::Delete => "delete",
            Kind::Merge => "merge",
            Kind::Ddl => "ddl",
            Kind::Dcl => "dcl",
            Kind::Set => "set",
            Kind::Transaction => "transaction",
            Kind::Call => "call",
            Kind::Do => "do",
            Kind::Prepare => "prepare",
            Kind::Execute => "execute",
            Kind::Cursor => "cursor",
            Kind::Listen => "listen",
            Kind::Notify => "notify",
            Kind::Lock => "lock",
            Kind::Maintenance => "maintenance",
            Kind::Discard => "discard",
            Kind::PsqlMeta => "psql-meta",
            Kind::Unparsed => "unparsed",
            Kind::Empty => "empty",
            Kind::Other => "other",
        }
    }
}

/// A byte range of the input and its 1-based, inclusive line span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
    pub start_line: usize,
    pub end_line: usize,
}

impl Span {
    /// "line 3" or "lines 3-5", for reports.
    pub fn lines(&self) -> String {
        if self.start_line == self.end_line {
            format!("line {}", self.start_line)
        } else {
            format!("lines {}-{}", self.start_line, self.end_line)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// 1-based position among the statements.
    pub index: usize,
    #[serde(flatten)]
    pub span: Span,
    /// The original text, exactly as given.
    pub text: String,
    pub class: Class,
    pub kind: Kind,
    pub destructive: bool,
    /// One sentence each; never empty for a write.
    pub reasons: Vec<String>,
}

/// Text outside SQL fences: shown, never run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    #[serde(flatten)]
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub statements: Vec<Statement>,
    pub ignored: Vec<Ignored>,
}

impl Review {
    /// READ only if there is at least one statement and every one is a read.
    pub fn verdict(&self) -> Class {
        if !self.statements.is_empty() && self.statements.iter().all(|s| s.class == Class::Read) {
            Class::Read
        } else {
            Class::Write
        }
    }

    pub fn writes(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| s.class == Class::Write)
    }
}

/// Stack for parsing and analysis: sqlparser recurses per nesting level when it parses,
/// prints and drops a tree, and a debug build's frames are large.
const ANALYSIS_STACK: usize = 256 * 1024 * 1024;

/// Review a paste, a runbook block or a file's text.
pub fn review(text: &str) -> Review {
    let owned = text.to_string();
    let worker = std::thread::Builder::new()
        .name("warroom-guard".into())
        .stack_size(ANALYSIS_STACK)
        .spawn(move || review_inline(&owned));
    match worker.map(|h| h.join()) {
        Ok(Ok(review)) => review,
        // The thread could not start or the analysis panicked: fail closed.
        _ => refuse_all(text, "the guard could not analyse this input, so it cannot be proven read-only"),
    }
}

/// The first keyword of a statement, lower-cased (or `(` for a parenthesised query).
pub fn first_keyword(sql: &str) -> Option<String> {
    let toks = lex::tokenize(sql);
    let first = toks.iter().find(|t| t.is_significant())?;
    match first.kind {
        lex::TokKind::Word => Some(first.text(sql).to_ascii_lowercase()),
        lex::TokKind::Punct if first.text(sql) == "(" => Some("(".into()),
        _ => None,
    }
}

/// The statement without its trailing `;` and anything after it, for embedding in a
/// larger statement; comments and strings are respected.
pub fn without_terminator(sql: &str) -> &str {
    let toks = lex::tokenize(sql);
    let last = toks.iter().rev().find(|t| t.is_significant());
    match last {
        Some(t) if t.kind == lex::TokKind::Punct && t.text(sql) == ";" => {
            let before = toks.iter().rev().find(|x| x.is_significant() && x.start < t.start);
            &sql[..before.map_or(0, |b| b.end)]
        }
        _ => sql,
    }
}

fn refuse_all(text: &str, reason: &str) -> Review {
    let lines = Lines::new(text);
    let span = lines.span(0, text.len());
    Review {
        statements: vec![Statement {
            index: 1,
            span,
            text: text.to_string(),
            class: Class::Write,
            kind: Kind::Unparsed,
            destructive: false,
            reasons: vec![reason.to_string()],
        }],
        ignored: vec![],
    }
}

fn review_inline(text: &str) -> Review {
    if text.len() > MAX_INPUT_BYTES {
        return refuse_all(
            text,
            &format!("the input is {} bytes, more than the {} the guard analyses safely", text.len(), MAX_INPUT_BYTES),
        );
    }
    let lines = Lines::new(text);
    let mut statements = Vec::new();
    let mut ignored = Vec::new();
    for region in fence::regions(text) {
        match region.kind {
            fence::RegionKind::Ignored => {
                let chunk = &text[region.start..region.end];
                let trimmed = chunk.trim();
                if !trimmed.is_empty() {
                    let lead = chunk.len() - chunk.trim_start().len();
                    let start = region.start + lead;
                    let end = start + trimmed.len();
                    ignored.push(Ignored { span: lines.span(start, end), text: trimmed.to_string() });
                }
            }
            fence::RegionKind::Sql => {
                let sql = &text[region.start..region.end];
                let toks = lex::tokenize(sql);
                let first_new = statements.len();
                for chunk in lex::split(sql, &toks) {
                    if !chunk.has_code {
                        continue;
                    }
                    let toks = &toks[chunk.first..chunk.last];
                    let verdict = if toks.len() == 1 && toks[0].kind == lex::TokKind::Meta {
                        let cmd = toks[0].text(sql).split_whitespace().next().unwrap_or("\\");
                        classify::Verdict {
                            class: Class::Write,
                            kind: Kind::PsqlMeta,
                            destructive: false,
                            reasons: vec![format!(
                                "{cmd} is a psql meta-command: psql runs it, not the server, and it can run anything"
                            )],
                        }
                    } else {
                        classify::classify(&normalize::normalize(sql, toks))
                    };
                    let (start, end) = (region.start + chunk.start, region.start + chunk.end);
                    statements.push(Statement {
                        index: statements.len() + 1,
                        span: lines.span(start, end),
                        text: text[start..end].to_string(),
                        class: verdict.class,
                        kind: verdict.kind,
                        destructive: verdict.destructive,
                        reasons: verdict.reasons,
                    });
                }
                refuse_if_read_differently(sql, region.start, &toks, &mut statements[first_new..]);
            }
        }
    }
    if statements.is_empty() {
        let mut r = refuse_all(text, "there is no SQL statement here, only comments, prose or nothing");
        r.statements[0].kind = Kind::Empty;
        r.ignored = ignored;
        return r;
    }
    Review { statements, ignored }
}

/// A server (or psql) with `standard_conforming_strings = off` reads a backslash in a
/// plain string as an escape, which moves where strings and statements end. When the
/// text contains such a backslash, read it that way too: any write found there makes
/// the statements it overlaps writes. Readings that end in an unterminated string are
/// rejected by the server, so they cannot run.
fn refuse_if_read_differently(sql: &str, offset: usize, toks: &[lex::Token], statements: &mut [Statement]) {
    let has_backslash = toks.iter().any(|t| {
        t.kind == lex::TokKind::Str && !t.text(sql).starts_with(['e', 'E', '$', 'u', 'U']) && t.text(sql).contains('\\')
    });
    if !has_backslash {
        return;
    }
    let alt = lex::tokenize_with(sql, false);
    for chunk in lex::split(sql, &alt) {
        let toks = &alt[chunk.first..chunk.last];
        if !chunk.has_code || toks.iter().any(|t| t.kind == lex::TokKind::Unterminated) {
            continue;
        }
        let verdict = classify::classify(&normalize::normalize(sql, toks));
        if verdict.class == Class::Read {
            continue;
        }
        let (start, end) = (offset + chunk.start, offset + chunk.end);
        for s in statements.iter_mut().filter(|s| s.span.start < end && start < s.span.end) {
            s.class = Class::Write;
            let why = verdict.reasons.first().cloned().unwrap_or_default();
            s.reasons.push(format!("with standard_conforming_strings off, a backslash in a string changes how this reads, and then it {why}"));
        }
    }
}

/// Line numbers as editors count them: `\n`, `\r\n` and a bare `\r` each end a line.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Lines { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let last = if end > start { end - 1 } else { start };
        Span { start, end, start_line: self.line_of(start), end_line: self.line_of(last) }
    }
}

/// Both proofs for each statement of `sql`: (the lexical fast path said read, the parser's verdict).
#[cfg(test)]
fn both_proofs(sql: &str) -> Vec<(bool, classify::Verdict)> {
    let toks = lex::tokenize(sql);
    lex::split(sql, &toks)
        .into_iter()
        .filter(|c| c.has_code)
        .map(|c| {
            let n = normalize::normalize(sql, &toks[c.first..c.last]);
            (n.lexically_read, classify::classify_parsed(&n))
        })
        .collect()
}

#[cfg(test)]
mod tests;
