//! Turns one statement's PostgreSQL tokens into plain SQL for sqlparser.
//!
//! sqlparser's own lexer disagrees with PostgreSQL's on dollar quotes, `E''`, `U&""`,
//! nested comments and identifiers containing `$`. If it were given the raw text, a call
//! PostgreSQL sees could hide, to sqlparser, inside what it takes for a string. So the
//! parser only ever sees text rebuilt from our tokens: comments gone, every string a plain
//! `'...'` without quotes or backslashes inside, every quoted identifier decoded.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::lex::{self, TokKind, Token};
use super::lists;

/// Above these, a statement is a WRITE: too big to analyse safely.
pub const MAX_TOKENS: usize = 100_000;
pub const MAX_OPERATORS: usize = 5_000;
pub const MAX_DEPTH: usize = 100;

#[derive(Debug, Default)]
pub struct Normalized {
    pub sql: String,
    /// Reasons found at the token level; any one makes the statement a WRITE.
    pub findings: Vec<String>,
    /// The first word, upper-cased, or "(" for a parenthesised query.
    pub first_word: Option<String>,
    /// Words in order, upper-cased (unquoted only), for keyword checks.
    pub words: Vec<String>,
    /// Has a `WHERE` at parenthesis depth 0 (for statements that do not parse).
    pub top_level_where: bool,
    /// Where the constants are in `sql`: a string's content, or a number (`true`).
    literals: Vec<(std::ops::Range<usize>, bool)>,
}

impl Normalized {
    /// `sql` with every string emptied and every digit of a number a zero: statements
    /// with the same shape parse alike, whatever their constants.
    pub fn shape(&self) -> String {
        let mut out = String::with_capacity(self.sql.len());
        let mut pos = 0;
        for (range, number) in &self.literals {
            out.push_str(&self.sql[pos..range.start]);
            if *number {
                out.extend(self.sql[range.clone()].chars().map(|c| if c.is_ascii_digit() { '0' } else { c }));
            }
            pos = range.end;
        }
        out.push_str(&self.sql[pos..]);
        out
    }
}

/// `standard_strings`: the reading, as in [`super::lex::tokenize_with`].
pub fn normalize(src: &str, toks: &[Token], standard_strings: bool) -> Normalized {
    let mut n = Normalized::default();
    let sig = toks.iter().filter(|t| t.is_significant()).count();
    if sig > MAX_TOKENS {
        n.findings.push(format!("is too large to analyse safely ({sig} tokens; the limit is {MAX_TOKENS})"));
        return n;
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut ops = 0usize;
    let mut prev: Option<&str> = None;
    let rewrites = rewrites(src, toks);
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let text = t.text(src);
        i += 1;
        if let Some(with) = rewrites.get(&(i - 1)) {
            // A rewrite keeps the parentheses of what it replaces: `)` becomes `NULL )`.
            for c in with.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            n.sql.push(' ');
            n.sql.push_str(with);
            n.sql.push(' ');
            continue;
        }
        match t.kind {
            TokKind::Space => {
                n.sql.push_str(text);
                continue;
            }
            TokKind::Comment => {
                n.sql.push(' ');
                n.sql.extend(std::iter::repeat_n('\n', text.matches('\n').count()));
                continue;
            }
            TokKind::Word => {
                let upper = text.to_ascii_uppercase();
                if n.first_word.is_none() {
                    n.first_word = Some(upper.clone());
                }
                if depth == 0 && upper == "WHERE" {
                    n.top_level_where = true;
                }
                if upper == "AND" || upper == "OR" {
                    ops += 1;
                }
                if upper == "ANALYSE" {
                    n.sql.push_str("ANALYZE");
                } else if upper == "TABLE" && starts_table_query(prev) {
                    // `TABLE t` is PostgreSQL's short form of `SELECT * FROM t`.
                    n.sql.push_str("SELECT * FROM");
                } else if prev == Some(".") && next_is_paren(src, &toks[i..]) && sqlparser_keyword(&upper) {
                    // `pg_catalog.current_user()`: after a dot any word names the function, a
                    // keyword too; sqlparser reads it as a name when quoted, as PostgreSQL folds it.
                    n.sql.push('"');
                    n.sql.push_str(&text.to_ascii_lowercase());
                    n.sql.push('"');
                } else {
                    n.sql.push_str(text);
                }
                n.words.push(upper);
                prev = Some(text);
                continue;
            }
            TokKind::QuotedIdent | TokKind::Str => {
                if n.first_word.is_none() {
                    n.first_word = Some(text.to_string());
                }
                let (escape, consumed) = uescape(src, &toks[i..]);
                if consumed > 0 && !text.starts_with(['u', 'U']) {
                    n.findings.push("has UESCAPE after something that is not a U& literal".into());
                }
                i += consumed;
                match decode(text, t.kind, escape, standard_strings) {
                    Some(content) if t.kind == TokKind::QuotedIdent => {
                        n.sql.push('"');
                        n.sql.push_str(&content.replace('"', "\"\""));
                        n.sql.push('"');
                    }
                    Some(content) => {
                        n.sql.push('\'');
                        let from = n.sql.len();
                        n.sql.extend(content.chars().filter(|c| *c != '\'' && *c != '\\'));
                        n.literals.push((from..n.sql.len(), false));
                        n.sql.push('\'');
                        // A constant continued over lines keeps its line breaks, for the parser's positions.
                        n.sql.extend(std::iter::repeat_n('\n', text.matches('\n').count()));
                    }
                    None => {
                        n.findings.push(format!("has a Unicode escape that PostgreSQL would reject: {}", clip(text)))
                    }
                }
            }
            TokKind::Number => {
                n.literals.push((n.sql.len()..n.sql.len() + text.len(), true));
                n.sql.push_str(text);
            }
            TokKind::Param => n.sql.push_str(text),
            TokKind::Op => {
                // Re-split as PostgreSQL does, so sqlparser sees the operators PostgreSQL sees.
                let split = pg_operators(text);
                let quantified = before_any(src, &toks[i..]);
                for (k, op) in split.iter().enumerate() {
                    ops += 1;
                    if !lists::is_builtin_operator(op) && !matches!(*op, "!=" | "=>" | "::" | ":=") {
                        n.findings.push(lists::operator_reason(op));
                    }
                    n.sql.push(' ');
                    // `x && ANY (…)`: sqlparser takes only comparisons before ANY/ALL; the
                    // operator itself was checked just above, so it sees `=` in its place.
                    // An operator sqlparser's lexer cuts in two (`*=`, record image equality)
                    // is given to it as `=` too, for the same reason.
                    let last = k + 1 == split.len();
                    let unread = (last && quantified && !SQLPARSER_QUANTIFIED.contains(op)) || split_by_sqlparser(op);
                    n.sql.push_str(if unread { "=" } else { op });
                    n.sql.push(' ');
                }
            }
            TokKind::Punct => {
                match text {
                    "(" => {
                        depth += 1;
                        max_depth = max_depth.max(depth);
                        if n.first_word.is_none() {
                            n.first_word = Some("(".into());
                        }
                    }
                    ")" => depth = depth.saturating_sub(1),
                    ";" => n.findings.push("has a semicolon inside parentheses, so it cannot be one statement".into()),
                    _ => {}
                }
                n.sql.push_str(text);
            }
            TokKind::PsqlVar => {
                n.findings.push(format!("uses the psql variable {text}, whose value is not known here"));
                n.sql.push_str(" NULL ");
            }
            TokKind::Meta => n.findings.push(format!("has the psql meta-command {}", clip(text))),
            TokKind::Unterminated => {
                n.findings.push(format!("has an unterminated string, identifier or comment: {}", clip(text)));
            }
            TokKind::Junk => {
                let what = if text == "\0" { "a NUL byte".to_string() } else { format!("the character {text:?}") };
                n.findings.push(format!("contains {what}, which PostgreSQL rejects"));
            }
        }
        prev = Some(text);
    }
    if max_depth > MAX_DEPTH {
        n.findings
            .push(format!("is nested {max_depth} parentheses deep, too deep to analyse safely (limit {MAX_DEPTH})"));
    }
    if ops > MAX_OPERATORS {
        n.findings.push(format!("has {ops} operators, too many to analyse safely (limit {MAX_OPERATORS})"));
    }
    n
}

/// PostgreSQL syntax that sqlparser does not read, rewritten for it where the rewrite
/// neither adds nor hides a call, a cast, an operator or a clause that acts: token index →
/// what sqlparser sees instead ("" drops the token). Each rule is narrow on purpose.
fn rewrites(src: &str, toks: &[Token]) -> HashMap<usize, &'static str> {
    let sig: Vec<usize> = (0..toks.len()).filter(|&i| toks[i].is_significant()).collect();
    let word = |k: usize, w: &str| {
        sig.get(k).is_some_and(|&i| toks[i].kind == TokKind::Word && toks[i].text(src).eq_ignore_ascii_case(w))
    };
    let punct = |k: usize, p: &str| sig.get(k).is_some_and(|&i| toks[i].kind != TokKind::Str && toks[i].text(src) == p);
    let name = |k: usize| sig.get(k).is_some_and(|&i| matches!(toks[i].kind, TokKind::Word | TokKind::QuotedIdent));
    let literal = |k: usize| {
        sig.get(k).is_some_and(|&i| matches!(toks[i].kind, TokKind::Str | TokKind::Number))
            || word(k, "TRUE")
            || word(k, "FALSE")
            || word(k, "NULL")
    };
    // `a, b, c`: the index after a list of names starting at k, if there is one.
    let names_from = |mut k: usize| {
        if !name(k) {
            return None;
        }
        while punct(k + 1, ",") && name(k + 2) {
            k += 2;
        }
        Some(k + 1)
    };
    let mut out = HashMap::new();
    // The function whose parentheses each open `(` belongs to, for SUBSTRING and XMLEXISTS
    // ("GROUPING SETS" for a grouping sets list).
    let mut calls: Vec<Option<&str>> = Vec::new();
    let mut k = 0;
    while k < sig.len() {
        let inside = calls.last().copied().flatten();
        let in_sets = calls.contains(&Some(GROUPING_SETS));
        if punct(k, "(") {
            let f = if k >= 2 && word(k - 1, "SETS") && word(k - 2, "GROUPING") {
                Some(GROUPING_SETS)
            } else {
                k.checked_sub(1).filter(|&p| name(p)).map(|p| toks[sig[p]].text(src))
            };
            calls.push(f);
        } else if punct(k, ")") {
            // `()`, the empty grouping set, nested in a grouping set: sqlparser reads `(NULL)`.
            if in_sets && punct(k.wrapping_sub(1), "(") && inside.is_none() {
                out.insert(sig[k], "NULL )");
            }
            calls.pop();
        } else if in_sets
            && ((word(k, "GROUPING") && word(k + 1, "SETS") && punct(k + 2, "("))
                || ((word(k, "ROLLUP") || word(k, "CUBE")) && punct(k + 1, "(")))
        {
            // GROUPING SETS, ROLLUP and CUBE nested in a grouping set: their lists are sets too,
            // and sqlparser reads them as lists of expressions.
            out.insert(sig[k], "");
            if word(k, "GROUPING") {
                out.insert(sig[k + 1], "");
                k += 1;
            }
        } else if (word(k, "DISTINCT") || word(k, "ALL"))
            && k >= 2
            && word(k - 1, "BY")
            && word(k - 2, "GROUP")
            && (name(k + 1) || punct(k + 1, "("))
        {
            // GROUP BY DISTINCT | ALL: which duplicate grouping sets are kept.
            out.insert(sig[k], "");
        } else if word(k, "SEARCH")
            && punct(k.wrapping_sub(1), ")")
            && (word(k + 1, "DEPTH") || word(k + 1, "BREADTH"))
            && word(k + 2, "FIRST")
            && word(k + 3, "BY")
            && let Some(set) = names_from(k + 4)
            && word(set, "SET")
            && name(set + 1)
        {
            // A recursive query's SEARCH clause names columns only: the order it adds.
            (k..set + 2).for_each(|j| _ = out.insert(sig[j], ""));
            k = set + 2;
            continue;
        } else if word(k, "CYCLE")
            && (punct(k.wrapping_sub(1), ")") || (k > 0 && out.get(&sig[k - 1]) == Some(&"")))
            && let Some(set) = names_from(k + 1)
            && word(set, "SET")
            && name(set + 1)
        {
            // CYCLE columns SET mark [TO constant DEFAULT constant] USING path: names and constants only.
            let mut using = set + 2;
            if word(using, "TO") && literal(using + 1) && word(using + 2, "DEFAULT") && literal(using + 3) {
                using += 4;
            }
            if word(using, "USING") && name(using + 1) {
                (k..using + 2).for_each(|j| _ = out.insert(sig[j], ""));
                k = using + 2;
                continue;
            }
        } else if word(k, "AS")
            && punct(k.wrapping_sub(1), ")")
            && punct(k + 1, "(")
            && name(k + 2)
            && name(k + 3)
            && !QUERY_WORDS.iter().any(|w| word(k + 2, w))
        {
            // `FROM f(…) AS (a int, b text)`: a column definition list without an alias.
            out.insert(sig[k], "AS warroom_columns");
        } else if (word(k, "ISNULL") || word(k, "NOTNULL"))
            && !punct(k + 1, "(")
            && !punct(k.wrapping_sub(1), ".")
            && !word(k.wrapping_sub(1), "AS")
        {
            // The postfix forms of IS NULL and IS NOT NULL.
            out.insert(sig[k], if word(k, "ISNULL") { "IS NULL" } else { "IS NOT NULL" });
        } else if (word(k, "LIKE") || word(k, "ILIKE"))
            && (word(k + 1, "ANY") || word(k + 1, "ALL") || word(k + 1, "SOME"))
            && punct(k + 2, "(")
        {
            // `x [NOT] LIKE ANY (…)`: the grammar's spelling of the operators ~~ and ~~*.
            let not = k > 0 && word(k - 1, "NOT");
            if not {
                out.insert(sig[k - 1], "");
            }
            out.insert(
                sig[k],
                match (word(k, "LIKE"), not) {
                    (true, false) => "~~",
                    (true, true) => "!~~",
                    (false, false) => "~~*",
                    (false, true) => "!~~*",
                },
            );
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("xmlelement") || f.eq_ignore_ascii_case("xmlpi"))
            && punct(k.wrapping_sub(1), "(")
            && word(k, "NAME")
            && name(k + 1)
        {
            // XMLELEMENT(NAME tag, …): the tag is a name, not a value; sqlparser sees a column.
            out.insert(sig[k], "");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("xmlattributes") || f.eq_ignore_ascii_case("xmlforest"))
            && word(k, "AS")
            && name(k + 1)
            && (punct(k + 2, ",") || punct(k + 2, ")"))
        {
            // XMLATTRIBUTES(value AS name, …): the name labels the value.
            out.insert(sig[k], "");
            out.insert(sig[k + 1], "");
        } else if word(k, "LATERAL") && word(k + 1, "XMLTABLE") && punct(k + 2, "(") {
            // A function in FROM sees the items before it anyway; LATERAL changes nothing there.
            out.insert(sig[k], "");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("xmlserialize") || f.eq_ignore_ascii_case("xmlparse"))
            && punct(k.wrapping_sub(1), "(")
            && (word(k, "DOCUMENT") || word(k, "CONTENT"))
        {
            // XMLSERIALIZE(DOCUMENT | CONTENT value AS type): which kind of xml value it is.
            out.insert(sig[k], "");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("xmlserialize"))
            && word(k, "INDENT")
            && punct(k + 1, ")")
        {
            // XMLSERIALIZE(… AS text [NO] INDENT): how the text is laid out.
            out.insert(sig[k], "");
            if word(k.wrapping_sub(1), "NO") {
                out.insert(sig[k - 1], "");
            }
        } else if word(k, "DOCUMENT")
            && (word(k.wrapping_sub(1), "IS") || (word(k.wrapping_sub(1), "NOT") && word(k.wrapping_sub(2), "IS")))
        {
            // `x IS [NOT] DOCUMENT`, a test of an xml value, as sqlparser's `IS [NOT] NULL`.
            out.insert(sig[k], "NULL");
        } else if word(k, "COLLATION") && word(k + 1, "FOR") && punct(k + 2, "(") {
            // COLLATION FOR (x) is the grammar's spelling of pg_catalog.pg_collation_for(x).
            out.insert(sig[k], "pg_catalog.pg_collation_for");
            out.insert(sig[k + 1], "");
        } else if word(k, "VARIADIC") && (punct(k.wrapping_sub(1), "(") || punct(k.wrapping_sub(1), ",")) {
            // `f(VARIADIC arr)`: the same function, given an array.
            out.insert(sig[k], "");
        } else if word(k, "EXCLUDE") {
            // A window frame's EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS, before its `)`.
            let len = if (word(k + 1, "CURRENT") && word(k + 2, "ROW")) || (word(k + 1, "NO") && word(k + 2, "OTHERS"))
            {
                3
            } else if word(k + 1, "GROUP") || word(k + 1, "TIES") {
                2
            } else {
                0
            };
            if len > 0 && punct(k + len, ")") {
                (k..k + len).for_each(|j| _ = out.insert(sig[j], ""));
            }
        } else if punct(k, "::")
            && name(k + 1)
            && (word(k + 2, "PRECEDING") || word(k + 2, "FOLLOWING"))
            && toks[sig[k + 1]].kind == TokKind::Word
            && lists::is_builtin_type(&toks[sig[k + 1]].text(src).to_ascii_lowercase())
        {
            // A frame offset cast to a built-in type (`'1 day'::interval PRECEDING`).
            out.insert(sig[k], "");
            out.insert(sig[k + 1], "");
        } else if word(k, "COLLATE") && name(k + 1) && !punct(k + 2, "(") && !punct(k + 4, "(") {
            // A collation orders and compares text; it runs no code of anyone's.
            out.insert(sig[k], "");
            out.insert(sig[k + 1], "");
            if punct(k + 2, ".") && name(k + 3) {
                out.insert(sig[k + 2], "");
                out.insert(sig[k + 3], "");
            }
        } else if punct(k, ".") && punct(k + 1, "*") && punct(k.wrapping_sub(1), ")") {
            // `(composite).*`: the same value, all of its fields.
            out.insert(sig[k], "");
            out.insert(sig[k + 1], "");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("substring")) && word(k, "SIMILAR") {
            // SUBSTRING(x SIMILAR p ESCAPE e): the same three expressions as SUBSTRING(x FROM p FOR e).
            out.insert(sig[k], "FROM");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("substring")) && word(k, "ESCAPE") {
            out.insert(sig[k], "FOR");
        } else if inside.is_some_and(|f| f.eq_ignore_ascii_case("xmlexists")) {
            // XMLEXISTS(path PASSING [BY REF|VALUE] doc [BY REF|VALUE]): xmlexists(path, doc).
            if word(k, "PASSING") {
                out.insert(sig[k], ",");
            } else if word(k, "BY") && (word(k + 1, "REF") || word(k + 1, "VALUE")) {
                out.insert(sig[k], "");
                out.insert(sig[k + 1], "");
            }
        }
        k += 1;
    }
    out
}

const GROUPING_SETS: &str = "GROUPING SETS";

/// Words that begin a query in parentheses (a CTE's body after `AS`).
const QUERY_WORDS: &[&str] = &["SELECT", "VALUES", "WITH", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE"];

/// The operators sqlparser reads before ANY / ALL / SOME.
const SQLPARSER_QUANTIFIED: &[&str] =
    &["=", "<>", "!=", "<", ">", "<=", ">=", "~", "~*", "!~", "!~*", "~~", "~~*", "!~~", "!~~*"];

/// A built-in operator that sqlparser's lexer does not read as one token.
fn split_by_sqlparser(op: &str) -> bool {
    static SPLIT: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
        lists::builtin_operators()
            .filter(|op| {
                let read = sqlparser::tokenizer::Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, op)
                    .tokenize()
                    .map(|t| t.iter().filter(|t| !matches!(t, sqlparser::tokenizer::Token::Whitespace(_))).count());
                op.chars().all(|c| !c.is_alphanumeric()) && read != Ok(1)
            })
            .collect()
    });
    SPLIT.contains(op)
}

fn sqlparser_keyword(upper: &str) -> bool {
    sqlparser::keywords::ALL_KEYWORDS.binary_search(&upper).is_ok()
}

fn next_is_paren(src: &str, rest: &[Token]) -> bool {
    rest.iter().find(|t| t.is_significant()).is_some_and(|t| t.kind == TokKind::Punct && t.text(src) == "(")
}

/// The tokens after an operator are `ANY (`, `ALL (` or `SOME (`.
fn before_any(src: &str, rest: &[Token]) -> bool {
    let mut sig = rest.iter().filter(|t| t.is_significant());
    matches!(
        (sig.next(), sig.next()),
        (Some(w), Some(p)) if w.kind == TokKind::Word
            && ["ANY", "ALL", "SOME"].iter().any(|k| w.text(src).eq_ignore_ascii_case(k))
            && p.kind == TokKind::Punct && p.text(src) == "("
    )
}

/// scan.l's rule: an operator may end in `+` or `-` only if it also has one of ``~!@#%^&|`?``;
/// otherwise the trailing `+`/`-` are lexed again as separate operators.
fn pg_operators(run: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = run;
    while !rest.is_empty() {
        let mut n = rest.len();
        if n > 1 && rest.ends_with(['+', '-']) && !rest.contains(['~', '!', '@', '#', '^', '&', '|', '`', '?', '%']) {
            while n > 1 && rest[..n].ends_with(['+', '-']) {
                n -= 1;
            }
        }
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

fn starts_table_query(prev: Option<&str>) -> bool {
    match prev {
        None => true,
        Some(p) => matches!(
            p.to_ascii_uppercase().as_str(),
            "(" | ")"
                | "UNION"
                | "INTERSECT"
                | "EXCEPT"
                | "ALL"
                | "DISTINCT"
                | "EXPLAIN"
                | "ANALYZE"
                | "ANALYSE"
                | "VERBOSE"
        ),
    }
}

pub fn clip(text: &str) -> String {
    let first: String = text.chars().take(40).collect();
    let line = first.lines().next().unwrap_or("");
    if line.len() < text.len() { format!("{line}…") } else { line.to_string() }
}

/// A `UESCAPE 'c'` clause following a U& literal: (escape char, tokens consumed).
fn uescape(src: &str, rest: &[Token]) -> (char, usize) {
    let mut sig = rest.iter().enumerate().filter(|(_, t)| t.is_significant());
    if let Some((_, w)) = sig.next()
        && w.kind == TokKind::Word
        && w.text(src).eq_ignore_ascii_case("uescape")
        && let Some((j, s)) = sig.next()
        && s.kind == TokKind::Str
    {
        let lit = s.text(src);
        let inner = &lit[1..lit.len() - 1];
        let mut chars = inner.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && !c.is_ascii_hexdigit()
            && !matches!(c, '+' | '\'' | '"' | ' ' | '\t' | '\n' | '\r')
        {
            return (c, j + 1);
        }
        return ('\u{0}', j + 1);
    }
    ('\\', 0)
}

/// The content of a string or quoted identifier, as PostgreSQL would read it.
fn decode(text: &str, kind: TokKind, escape: char, standard_strings: bool) -> Option<String> {
    if escape == '\u{0}' {
        return None;
    }
    let unicode = text.starts_with("U&") || text.starts_with("u&");
    let body = if unicode { &text[2..] } else { text };
    if let Some(rest) = body.strip_prefix('$') {
        let tag_end = rest.find('$')? + 2;
        return Some(body[tag_end..body.len() - tag_end].to_string());
    }
    let inner = if kind == TokKind::QuotedIdent {
        body[1..body.len() - 1].replace("\"\"", "\"")
    } else {
        lex::string_pieces(text, standard_strings).iter().map(|p| p.replace("''", "'")).collect()
    };
    if !unicode {
        return Some(inner);
    }
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != escape {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&escape) {
            chars.next();
            out.push(escape);
            continue;
        }
        let width = if chars.peek() == Some(&'+') {
            chars.next();
            6
        } else {
            4
        };
        let hex: String = (0..width).filter_map(|_| chars.next()).collect();
        if hex.len() != width || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
            return None;
        }
        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::lex::tokenize;

    fn norm(src: &str) -> Normalized {
        normalize(src, &tokenize(src), true)
    }

    #[test]
    fn strings_become_plain() {
        assert_eq!(norm("SELECT E'a\\'b', $x$it's$x$ /* c */").sql, "SELECT 'ab', 'its'  ");
        assert_eq!(norm("SELECT 1+-2").sql, "SELECT 1 +  - 2");
        assert_eq!(norm("TABLE users").sql, "SELECT * FROM users");
        assert_eq!(norm("EXPLAIN ANALYSE SELECT 1").sql, "EXPLAIN ANALYZE SELECT 1");
    }

    #[test]
    fn shape_drops_constants_only() {
        assert_eq!(
            norm("SELECT 'a''b', 12.5e3, t1.c2 FROM \"t'9\" WHERE x = $1").shape(),
            "SELECT '', 00.0e0, t1.c2 FROM \"t'9\" WHERE x  =  $1"
        );
    }

    #[test]
    fn operators_split_as_postgres_does() {
        assert_eq!(pg_operators("+++"), vec!["+", "+", "+"]);
        assert_eq!(pg_operators("*-"), vec!["*", "-"]);
        assert_eq!(pg_operators("@-"), vec!["@-"]);
        assert_eq!(pg_operators("~~~"), vec!["~~~"]);
        assert!(!norm("SELECT a ~~~ b").findings.is_empty());
        assert!(norm("SELECT a +++ b, c->>'k', d #>> '{a}'").findings.is_empty());
    }

    #[test]
    fn unicode_identifiers_are_decoded() {
        assert_eq!(norm("SELECT U&\"d\\0061t\\+000061\"").sql, "SELECT \"data\"");
        assert_eq!(norm("SELECT U&\"d!0061t!+000061\" UESCAPE '!'").sql, "SELECT \"data\"");
        assert_eq!(norm("SELECT U&\"pg_sleep\"(1)").sql, "SELECT \"pg_sleep\"(1)");
        assert!(!norm("SELECT U&'\\zzzz'").findings.is_empty());
    }
}
