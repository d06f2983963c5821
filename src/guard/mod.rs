//! The guard: splits a paste into statements and proves each one READ, or labels it WRITE.
//!
//! Pure: no IO, no async, no UI. Fail-closed: what cannot be proven read-only is a WRITE.

pub mod catalog;
mod classify;
pub mod commands;
mod fence;
mod inline;
mod lex;
mod lists;
mod normalize;
pub mod resolved;
pub mod shell;
pub mod tree;

use serde::Serialize;

pub use catalog::{Catalog, Mentions};
use classify::Cx;
pub use lists::allowed_function_names;

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
    /// Names the live catalog can say more about (functions, types, relations).
    #[serde(skip)]
    pub mentions: Mentions,
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

/// Review a paste, a runbook block or a file's text, from the text alone.
pub fn review(text: &str) -> Review {
    review_on_stack(text, None)
}

/// Review with what the connected server's catalog says (see [`catalog`]): a READ can
/// become a WRITE, and a cast to an enum or a reviewed domain, or a trusted extension's
/// function, can become a READ. Names the catalog has no facts for are refused.
pub fn review_with(text: &str, catalog: &Catalog) -> Review {
    review_on_stack(text, Some(catalog))
}

/// The review as the most lenient catalog would make it (see [`Catalog::lenient`]): a
/// statement that is a WRITE here is one on every server, and needs no connection to refuse.
pub fn review_best_case(text: &str) -> Review {
    let offline = review(text);
    if offline.verdict() == Class::Read {
        return offline;
    }
    review_with(text, &Catalog::lenient(&mentions(&offline)))
}

/// Every name the statements use that the catalog can say something about.
pub fn mentions(review: &Review) -> Mentions {
    let mut all = Mentions::default();
    review.statements.iter().for_each(|s| all.extend(&s.mentions));
    all
}

/// A view's query, a policy's or a domain check's expression, already on the guard's stack.
pub(crate) fn review_at(text: &str, cx: Cx) -> Review {
    review_inline(text, cx)
}

fn review_on_stack(text: &str, catalog: Option<&Catalog>) -> Review {
    // A stack of its own for the parser's recursion, switched to on this thread (a thread
    // for every review cost more than the review of a short statement).
    let worker = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stacker::grow(ANALYSIS_STACK, || review_inline(text, Cx { catalog, depth: 0 }))
    }));
    match worker {
        Ok(review) => review,
        // The analysis panicked: fail closed.
        Err(_) => refuse_all(text, "the guard could not analyse this input, so it cannot be proven read-only"),
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

/// `value` as a single-quoted SQL string constant (with standard_conforming_strings on, as
/// warroom's sessions and plans have it).
pub fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Whether the text holds a string constant (which PostgreSQL may turn into a value of a
/// type of the database's, by that type's input, while it parses the statement).
pub fn has_string_literal(sql: &str) -> bool {
    lex::tokenize(sql).iter().any(|t| t.kind == lex::TokKind::Str)
}

/// The statement an EXPLAIN explains: the text after `EXPLAIN`, its parenthesised options
/// and its `ANALYZE`/`VERBOSE` words. `None` when `sql` is not an EXPLAIN.
pub fn explained_statement(sql: &str) -> Option<&str> {
    let toks = lex::tokenize(sql);
    let mut sig = toks.iter().filter(|t| t.is_significant()).peekable();
    let first = sig.next()?;
    if !first.text(sql).eq_ignore_ascii_case("explain") {
        return None;
    }
    let mut depth = 0usize;
    for t in sig {
        let text = t.text(sql);
        match text {
            "(" if depth > 0
                || t.start() == first.end()
                || sql[first.end()..t.start()].trim().is_empty() && depth == 0 =>
            {
                depth += 1;
            }
            ")" if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            w if ["analyze", "analyse", "verbose"].iter().any(|k| w.eq_ignore_ascii_case(k)) => {}
            _ => return Some(&sql[t.start()..]),
        }
    }
    None
}

/// The query a `COPY … TO STDOUT [options]` reads: the query of `COPY (query) TO STDOUT`, and
/// `SELECT cols FROM table` for `COPY table [(cols)] TO STDOUT` — a read whose rows come back
/// like any read's. `None` for any other statement (a COPY to or from a file or a program).
pub fn copy_query(sql: &str) -> Option<std::borrow::Cow<'_, str>> {
    let toks = lex::tokenize(sql);
    let sig: Vec<&lex::Token> = toks.iter().filter(|t| t.is_significant()).collect();
    let word = |i: usize, w: &str| {
        sig.get(i).is_some_and(|t| t.kind == lex::TokKind::Word && t.text(sql).eq_ignore_ascii_case(w))
    };
    let punct = |i: usize, p: &str| sig.get(i).is_some_and(|t| t.kind == lex::TokKind::Punct && t.text(sql) == p);
    // The index of the `)` closing the `(` at `open`.
    let closing = |open: usize| {
        let mut depth = 0usize;
        (open..sig.len()).find(|&i| {
            if punct(i, "(") {
                depth += 1;
            } else if punct(i, ")") {
                depth -= 1;
                return depth == 0;
            }
            false
        })
    };
    let to_stdout = |i: usize| word(i, "to") && word(i + 1, "stdout");
    if !word(0, "copy") {
        return None;
    }
    if punct(1, "(") {
        let close = closing(1)?;
        return to_stdout(close + 1).then(|| sql[sig[1].end()..sig[close].start()].into());
    }
    // The table's name: words, quoted names and dots, up to its column list or TO.
    let end = (1..sig.len()).find(|&i| punct(i, "(") || word(i, "to"))?;
    let named = end > 1
        && (1..end).all(|i| matches!(sig[i].kind, lex::TokKind::Word | lex::TokKind::QuotedIdent) || punct(i, "."));
    if !named {
        return None;
    }
    let table = &sql[sig[1].start()..sig[end - 1].end()];
    if punct(end, "(") {
        let close = closing(end)?;
        let columns = &sql[sig[end].end()..sig[close].start()];
        return to_stdout(close + 1).then(|| format!("SELECT {columns} FROM {table}").into());
    }
    to_stdout(end).then(|| format!("SELECT * FROM {table}").into())
}

/// The statement without its trailing `;` and anything after it, for embedding in a
/// larger statement; comments and strings are respected.
pub fn without_terminator(sql: &str) -> &str {
    let toks = lex::tokenize(sql);
    let last = toks.iter().rev().find(|t| t.is_significant());
    match last {
        Some(t) if t.kind == lex::TokKind::Punct && t.text(sql) == ";" => {
            let before = toks.iter().rev().find(|x| x.is_significant() && x.start() < t.start());
            &sql[..before.map_or(0, |b| b.end())]
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
            mentions: Mentions::default(),
        }],
        ignored: vec![],
    }
}

fn review_inline(text: &str, cx: Cx) -> Review {
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
                let chunks: Vec<lex::Chunk> = lex::split(sql, &toks).into_iter().filter(|c| c.has_code).collect();
                let verdicts = classify_chunks(sql, &toks, &chunks, true, cx);
                let first_new = statements.len();
                for (chunk, verdict) in chunks.iter().zip(verdicts) {
                    let (start, end) = (region.start + chunk.start, region.start + chunk.end);
                    statements.push(Statement {
                        index: statements.len() + 1,
                        span: lines.span(start, end),
                        text: text[start..end].to_string(),
                        class: verdict.class,
                        kind: verdict.kind,
                        destructive: verdict.destructive,
                        reasons: verdict.reasons,
                        mentions: verdict.mentions,
                    });
                }
                refuse_if_read_differently(sql, region.start, &toks, &mut statements[first_new..], cx);
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

/// One verdict per chunk, in order. A large input is analysed on every core, each
/// worker on its own large stack; a small one (a typical paste) right here.
fn classify_chunks(
    sql: &str,
    toks: &[lex::Token],
    chunks: &[lex::Chunk],
    standard: bool,
    cx: Cx,
) -> Vec<classify::Verdict> {
    let run = |run: &[lex::Chunk]| {
        let mut proven = classify::Proven::default();
        run.iter().map(|c| classify_chunk(sql, &toks[c.first..c.last], standard, &mut proven, cx)).collect::<Vec<_>>()
    };
    let bytes: usize = chunks.iter().map(|c| c.end - c.start).sum();
    if bytes < PARALLEL_BYTES || chunks.len() < 2 {
        return run(chunks);
    }
    // Asked once: the standard library reads the cgroup's CPU quota from files each time.
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let workers = (*CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))).min(chunks.len());
    if workers < 2 {
        return run(chunks);
    }
    // Contiguous runs of about equal size, so the verdicts come back in order.
    let share = bytes.div_ceil(workers);
    let mut runs: Vec<&[lex::Chunk]> = Vec::new();
    let (mut from, mut acc) = (0, 0);
    for (i, c) in chunks.iter().enumerate() {
        acc += c.end - c.start;
        if acc >= share || i + 1 == chunks.len() {
            runs.push(&chunks[from..=i]);
            (from, acc) = (i + 1, 0);
        }
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|chunk_run| {
                std::thread::Builder::new()
                    .name("warroom-guard".into())
                    .stack_size(ANALYSIS_STACK)
                    .spawn_scoped(scope, || run(chunk_run))
            })
            .collect();
        let mut out = Vec::with_capacity(chunks.len());
        for (run, handle) in runs.iter().zip(handles) {
            match handle.map(|h| h.join()) {
                Ok(Ok(verdicts)) => out.extend(verdicts),
                // A worker that could not start or panicked: its statements fail closed.
                _ => out.extend(run.iter().map(|_| unanalysed())),
            }
        }
        out
    })
}

/// Below this, analysing on one thread is quicker than starting others.
const PARALLEL_BYTES: usize = 64 * 1024;

fn unanalysed() -> classify::Verdict {
    classify::Verdict {
        kind: Kind::Unparsed,
        ..classify::Verdict::write(
            Kind::Unparsed,
            vec!["the guard could not analyse this statement, so it cannot be proven read-only".into()],
            false,
        )
    }
}

fn classify_chunk(
    sql: &str,
    toks: &[lex::Token],
    standard: bool,
    proven: &mut classify::Proven,
    cx: Cx,
) -> classify::Verdict {
    if toks.len() == 1 && toks[0].kind == lex::TokKind::Meta {
        let cmd = toks[0].text(sql).split_whitespace().next().unwrap_or("\\");
        return classify::Verdict::write(
            Kind::PsqlMeta,
            vec![format!("{cmd} is a psql meta-command: psql runs it, not the server, and it can run anything")],
            false,
        );
    }
    proven.classify(&normalize::normalize(sql, toks, standard), cx)
}

/// A server (or psql) with `standard_conforming_strings = off` reads a backslash in a
/// plain string as an escape, which moves where strings and statements end. When the
/// text contains such a backslash, read it that way too: any write found there makes
/// the statements it overlaps writes. Where the two readings have the same tokens they
/// say the same; a reading that ends in an unterminated string (the server rejects it)
/// is compared as far as it goes.
fn refuse_if_read_differently(sql: &str, offset: usize, toks: &[lex::Token], statements: &mut [Statement], cx: Cx) {
    let has_backslash = toks.iter().any(|t| {
        t.kind == lex::TokKind::Str && !t.text(sql).starts_with(['e', 'E', '$', 'u', 'U']) && t.text(sql).contains('\\')
    });
    if !has_backslash {
        return;
    }
    let alt = lex::tokenize_with(sql, false);
    let mut differ = Vec::new();
    for chunk in lex::split(sql, &alt) {
        let atoks = &alt[chunk.first..chunk.last];
        if !chunk.has_code || same_tokens(toks, atoks) {
            continue;
        }
        match atoks.iter().position(|t| t.kind == lex::TokKind::Unterminated) {
            Some(u) if same_tokens(toks, &atoks[..u]) => {}
            Some(u) => {
                // The server rejects that reading whole; what it shows before the open string
                // still must not act.
                if let Some(effect) = classify::lexical_effect(sql, &atoks[..u]) {
                    let why = format!("before the string it leaves open, it {effect}");
                    mark_written(
                        statements,
                        offset + chunk.start,
                        offset + atoks[u].start().max(chunk.start + 1),
                        &why,
                    );
                }
            }
            None => differ.push(chunk),
        }
    }
    let verdicts = classify_chunks(sql, &alt, &differ, false, cx);
    for (chunk, verdict) in differ.iter().zip(verdicts) {
        if verdict.class == Class::Write {
            let why = format!("then it {}", verdict.reasons.first().map_or("", String::as_str));
            mark_written(statements, offset + chunk.start, offset + chunk.end, &why);
        }
    }
}

/// Do `alt` tokens stand, one for one, at the same places in `toks`?
fn same_tokens(toks: &[lex::Token], alt: &[lex::Token]) -> bool {
    let Some(first) = alt.first() else { return true };
    let at = toks.partition_point(|t| t.start() < first.start());
    toks.get(at..at + alt.len()).is_some_and(|mine| mine == alt)
}

/// The statements that overlap `[start, end)` (found by binary search: they are in order)
/// become writes.
fn mark_written(statements: &mut [Statement], start: usize, end: usize, why: &str) {
    let from = statements.partition_point(|s| s.span.end <= start);
    for s in statements[from..].iter_mut().take_while(|s| s.span.start < end) {
        s.class = Class::Write;
        s.reasons.push(format!(
            "with standard_conforming_strings off, a backslash in a string changes how this reads, and {why}"
        ));
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

#[cfg(test)]
mod tests;
