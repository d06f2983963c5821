//! A lexer that agrees with PostgreSQL's (scan.l) and psql's (psqlscan.l) on where
//! comments, strings, identifiers and statements begin and end.

/// What a token is, as far as splitting and normalising need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Space,
    Comment,
    /// A keyword or unquoted identifier.
    Word,
    /// `"ident"` or `U&"ident"`.
    QuotedIdent,
    /// Any string constant: `'..'`, `E'..'`, `U&'..'`, `B'..'`, `X'..'`, `N'..'`, `$tag$..$tag$`.
    Str,
    Number,
    /// `$1`
    Param,
    Op,
    /// One of `( ) [ ] , ; : .`
    Punct,
    /// psql variable interpolation: `:name`, `:'name'`, `:"name"`.
    PsqlVar,
    /// A psql backslash command, up to the end of its line.
    Meta,
    /// An unterminated comment, string or identifier: runs to the end of input.
    Unterminated,
    /// A byte PostgreSQL would reject (NUL, a stray control character).
    Junk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// Offsets are u32 (the guard takes at most `MAX_INPUT_BYTES`): a token is 12 bytes, and a
/// 10 MB paste's million tokens take 12 MB rather than 24.
pub struct Token {
    pub kind: TokKind,
    lo: u32,
    hi: u32,
}

impl Token {
    pub fn new(kind: TokKind, start: usize, end: usize) -> Token {
        Token { kind, lo: start as u32, hi: end as u32 }
    }
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start()..self.end()]
    }
    /// Where it starts, in bytes of the source.
    pub fn start(&self) -> usize {
        self.lo as usize
    }
    /// Where it ends (exclusive), in bytes of the source.
    pub fn end(&self) -> usize {
        self.hi as usize
    }
    pub fn is_significant(&self) -> bool {
        !matches!(self.kind, TokKind::Space | TokKind::Comment)
    }
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn ident_cont(b: u8) -> bool {
    ident_start(b) || b.is_ascii_digit() || b == b'$'
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_op_char(b: u8) -> bool {
    matches!(
        b,
        b'~' | b'!'
            | b'@'
            | b'#'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'<'
            | b'>'
            | b'='
    )
}

/// Splits `src` into tokens that cover it exactly, in order, as PostgreSQL does with
/// `standard_conforming_strings = on` (the default since 9.1).
pub fn tokenize(src: &str) -> Vec<Token> {
    tokenize_with(src, true)
}

/// As [`tokenize`]; with `standard_strings = false`, a backslash escapes in every string,
/// as on a server with `standard_conforming_strings = off`.
pub fn tokenize_with(src: &str, standard_strings: bool) -> Vec<Token> {
    assert!(src.len() <= u32::MAX as usize, "the guard takes at most MAX_INPUT_BYTES");
    let b = src.as_bytes();
    // About one token in three bytes of SQL: sized once, not doubled (and copied) as it grows.
    let mut out = Vec::with_capacity(src.len() / 3 + 8);
    let mut i = 0;
    let mut bracket_depth = 0usize;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = if i == 0 && src.starts_with('\u{feff}') {
            // A byte-order mark from an editor or a file: not SQL, not an identifier.
            i = 3;
            TokKind::Space
        } else if is_space(c) {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            TokKind::Space
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            TokKind::Comment
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            lex_block_comment(b, &mut i)
        } else if c == b'\'' {
            lex_quoted(b, &mut i, b'\'', !standard_strings)
        } else if c == b'"' {
            match lex_quoted(b, &mut i, b'"', false) {
                TokKind::Str => TokKind::QuotedIdent,
                other => other,
            }
        } else if c == b'$' {
            lex_dollar(b, &mut i)
        } else if ident_start(c) {
            lex_word(b, &mut i, standard_strings)
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            lex_number(b, &mut i);
            TokKind::Number
        } else if c == b'\\' {
            while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                i += 1;
            }
            TokKind::Meta
        } else if c == b':' {
            lex_colon(b, &mut i, bracket_depth)
        } else if matches!(c, b'(' | b')' | b'[' | b']' | b',' | b';' | b'.') {
            match c {
                b'[' => bracket_depth += 1,
                b']' => bracket_depth = bracket_depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
            TokKind::Punct
        } else if is_op_char(c) {
            lex_operator(b, &mut i);
            TokKind::Op
        } else {
            // NUL, control characters and anything else PostgreSQL's lexer rejects.
            i += 1;
            while i < b.len() && !src.is_char_boundary(i) {
                i += 1;
            }
            TokKind::Junk
        };
        // Never split a UTF-8 character: all our token boundaries are ASCII bytes,
        // except runs of non-ASCII which are consumed whole.
        debug_assert!(src.is_char_boundary(i), "token boundary inside a character at {i}");
        out.push(Token::new(kind, start, i));
    }
    out
}

fn lex_block_comment(b: &[u8], i: &mut usize) -> TokKind {
    let mut depth = 0usize;
    while *i < b.len() {
        if b[*i] == b'/' && b.get(*i + 1) == Some(&b'*') {
            depth += 1;
            *i += 2;
        } else if b[*i] == b'*' && b.get(*i + 1) == Some(&b'/') {
            depth -= 1;
            *i += 2;
            if depth == 0 {
                return TokKind::Comment;
            }
        } else {
            *i += 1;
        }
    }
    TokKind::Unterminated
}

/// A quoted run starting at `b[*i] == quote`. `backslash` = E'' semantics. A string
/// constant (not an identifier) goes on in the same mode across a continuation, as
/// scan.l's `{quotecontinue}` does: `'a'` newline `'b'` is one constant, `'ab'`.
fn lex_quoted(b: &[u8], i: &mut usize, quote: u8, backslash: bool) -> TokKind {
    loop {
        match closing_quote(b, *i, quote, backslash) {
            Some(close) => {
                *i = close + 1;
                match continuation(b, *i) {
                    Some(next) if quote == b'\'' => *i = next,
                    _ => return TokKind::Str,
                }
            }
            None => {
                *i = b.len();
                return TokKind::Unterminated;
            }
        }
    }
}

/// The index of the quote that closes the piece opened at `b[open]`.
fn closing_quote(b: &[u8], open: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut i = open + 1;
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
            continue;
        }
        if c == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// scan.l's `{whitespace_with_newline}{quote}` after a closing quote at `b[from - 1]`:
/// spaces and `--` comments that hold at least one newline, then a quote. Returns where
/// that quote is. A `/* */` comment between the pieces ends the constant.
fn continuation(b: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    let mut newline = false;
    loop {
        match *b.get(j)? {
            b' ' | b'\t' | 0x0b | 0x0c => j += 1,
            b'\n' | b'\r' => {
                newline = true;
                j += 1;
            }
            b'-' if b.get(j + 1) == Some(&b'-') => {
                while j < b.len() && b[j] != b'\n' && b[j] != b'\r' {
                    j += 1;
                }
            }
            b'\'' if newline => return Some(j),
            _ => return None,
        }
    }
}

/// The pieces of a string constant token (see [`lex_quoted`]), each without its quotes,
/// in order. `backslash`: whether a plain `'…'` takes backslash escapes (the reading).
pub fn string_pieces(text: &str, standard_strings: bool) -> Vec<&str> {
    let b = text.as_bytes();
    let Some(mut open) = text.find('\'') else { return vec![] };
    let backslash = match b[0] | 0x20 {
        b'e' => true,
        b'u' => false,
        b'\'' | b'b' | b'x' | b'n' => !standard_strings,
        _ => return vec![],
    };
    let mut out = Vec::new();
    while let Some(close) = closing_quote(b, open, b'\'', backslash) {
        out.push(&text[open + 1..close]);
        match continuation(b, close + 1) {
            Some(next) => open = next,
            None => break,
        }
    }
    out
}

fn lex_dollar(b: &[u8], i: &mut usize) -> TokKind {
    let start = *i;
    let mut j = start + 1;
    if b.get(j).is_some_and(u8::is_ascii_digit) {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        *i = j;
        return TokKind::Param;
    }
    // A dollar-quote tag: $$ or $tag$ where tag is an identifier without '$'.
    if b.get(j).is_some_and(|&c| ident_start(c)) {
        while j < b.len() && ident_start(b[j]) || (j < b.len() && b[j].is_ascii_digit()) {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        // A lone '$' is not valid SQL; PostgreSQL rejects it.
        *i = start + 1;
        return TokKind::Junk;
    }
    let delim = &b[start..=j];
    let body = j + 1;
    let mut k = body;
    while k + delim.len() <= b.len() {
        if &b[k..k + delim.len()] == delim {
            *i = k + delim.len();
            return TokKind::Str;
        }
        k += 1;
    }
    *i = b.len();
    TokKind::Unterminated
}

fn lex_word(b: &[u8], i: &mut usize, standard_strings: bool) -> TokKind {
    let start = *i;
    // Prefixed strings are recognised only at the start of a token, as scan.l does.
    let next = b.get(start + 1).copied();
    match (b[start] | 0x20, next) {
        (b'e', Some(b'\'')) => {
            *i = start + 1;
            return lex_quoted(b, i, b'\'', true);
        }
        (b'b' | b'x' | b'n', Some(b'\'')) => {
            *i = start + 1;
            return lex_quoted(b, i, b'\'', !standard_strings);
        }
        (b'u', Some(b'&')) if matches!(b.get(start + 2), Some(b'\'' | b'"')) => {
            let q = b[start + 2];
            *i = start + 2;
            let k = lex_quoted(b, i, q, false);
            return if q == b'"' && k == TokKind::Str { TokKind::QuotedIdent } else { k };
        }
        _ => {}
    }
    while *i < b.len() && ident_cont(b[*i]) {
        *i += 1;
    }
    TokKind::Word
}

fn lex_number(b: &[u8], i: &mut usize) {
    while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
        *i += 1;
    }
    if b.get(*i) == Some(&b'.') && b.get(*i + 1) != Some(&b'.') {
        *i += 1;
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
    }
    if matches!(b.get(*i), Some(b'e' | b'E')) {
        let mut j = *i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            *i = j;
        }
    }
}

fn lex_colon(b: &[u8], i: &mut usize, bracket_depth: usize) -> TokKind {
    let next = b.get(*i + 1).copied();
    match next {
        Some(b':') | Some(b'=') => {
            *i += 2;
            TokKind::Op
        }
        Some(q @ (b'\'' | b'"')) if bracket_depth == 0 => {
            *i += 1;
            match lex_quoted(b, i, q, false) {
                TokKind::Str => TokKind::PsqlVar,
                other => other,
            }
        }
        Some(c) if ident_start(c) && bracket_depth == 0 => {
            *i += 1;
            while *i < b.len() && ident_cont(b[*i]) {
                *i += 1;
            }
            TokKind::PsqlVar
        }
        _ => {
            *i += 1;
            TokKind::Punct
        }
    }
}

/// An operator run; like scan.l it stops where a comment starts.
fn lex_operator(b: &[u8], i: &mut usize) {
    let start = *i;
    while *i < b.len() && is_op_char(b[*i]) {
        if *i > start
            && ((b[*i] == b'-' && b.get(*i + 1) == Some(&b'-')) || (b[*i] == b'/' && b.get(*i + 1) == Some(&b'*')))
        {
            break;
        }
        *i += 1;
    }
}

/// One statement's byte range in the lexed text, and whether anything but comments is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    /// Token index range `[first, last)` in the token list.
    pub first: usize,
    pub last: usize,
    pub has_code: bool,
}

/// Splits tokens into statements as psql does: at `;` outside parentheses and outside a
/// `BEGIN ... END` body of `CREATE FUNCTION/PROCEDURE`; a backslash command stands alone.
pub fn split(src: &str, toks: &[Token]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut paren = 0usize;
    let mut begin_depth = 0usize;
    let mut idents: Vec<u8> = Vec::new();
    let mut first: Option<usize> = None;
    let mut last_sig: usize = 0;
    let mut has_code = false;

    let flush = |first: &mut Option<usize>, last_sig: usize, has_code: &mut bool, chunks: &mut Vec<Chunk>| {
        if let Some(f) = first.take() {
            chunks.push(Chunk {
                start: toks[f].start(),
                end: toks[last_sig].end(),
                first: f,
                last: last_sig + 1,
                has_code: *has_code,
            });
        }
        *has_code = false;
    };

    for (idx, t) in toks.iter().enumerate() {
        match t.kind {
            TokKind::Space => continue,
            TokKind::Meta => {
                flush(&mut first, last_sig, &mut has_code, &mut chunks);
                chunks.push(Chunk { start: t.start(), end: t.end(), first: idx, last: idx + 1, has_code: true });
                paren = 0;
                begin_depth = 0;
                idents.clear();
                continue;
            }
            TokKind::Punct if t.text(src) == ";" && paren == 0 && begin_depth == 0 => {
                flush(&mut first, last_sig, &mut has_code, &mut chunks);
                idents.clear();
                continue;
            }
            _ => {}
        }
        if first.is_none() {
            first = Some(idx);
        }
        last_sig = idx;
        if t.kind != TokKind::Comment {
            has_code = true;
        }
        match (t.kind, t.text(src)) {
            (TokKind::Punct, "(") => paren += 1,
            (TokKind::Punct, ")") => paren = paren.saturating_sub(1),
            (TokKind::Word, w) => track_begin(w, &mut idents, &mut begin_depth, paren),
            _ => {}
        }
    }
    flush(&mut first, last_sig, &mut has_code, &mut chunks);
    chunks
}

/// psql's heuristic for `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END`.
fn track_begin(word: &str, idents: &mut Vec<u8>, begin_depth: &mut usize, paren: usize) {
    let lower = word.to_ascii_lowercase();
    if idents.len() < 4 {
        let tracked = matches!(lower.as_str(), "create" | "function" | "procedure" | "or" | "replace");
        idents.push(if tracked { lower.as_bytes()[0] } else { 0 });
    }
    let is_routine = idents.first() == Some(&b'c')
        && (matches!(idents.get(1), Some(b'f' | b'p'))
            || (idents.get(1) == Some(&b'o')
                && idents.get(2) == Some(&b'r')
                && matches!(idents.get(3), Some(b'f' | b'p'))));
    if is_routine && paren == 0 {
        match lower.as_str() {
            "begin" => *begin_depth += 1,
            "case" if *begin_depth >= 1 => *begin_depth += 1,
            "end" if *begin_depth > 0 => *begin_depth -= 1,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, &str)> {
        tokenize(src).into_iter().filter(Token::is_significant).map(|t| (t.kind, t.text(src))).collect()
    }

    fn stmts(src: &str) -> Vec<&str> {
        let toks = tokenize(src);
        split(src, &toks).into_iter().map(|c| &src[c.start..c.end]).collect()
    }

    #[test]
    fn tokens_cover_input_exactly() {
        let src = "SELECT E'a\\'b', U&\"d\\0061\" /* x /* y */ z */ $q$ ; $q$ -- c\r;x";
        let toks = tokenize(src);
        let mut pos = 0;
        for t in &toks {
            assert_eq!(t.start(), pos);
            pos = t.end();
        }
        assert_eq!(pos, src.len());
    }

    #[test]
    fn prefixed_strings_only_at_token_start() {
        assert_eq!(kinds("xE'a'"), vec![(TokKind::Word, "xE"), (TokKind::Str, "'a'")]);
        assert_eq!(kinds("E'a\\'b'"), vec![(TokKind::Str, "E'a\\'b'")]);
        assert_eq!(kinds("'a\\'"), vec![(TokKind::Str, "'a\\'")]);
        assert_eq!(kinds("u&'x'"), vec![(TokKind::Str, "u&'x'")]);
        assert_eq!(kinds("U&\"x\""), vec![(TokKind::QuotedIdent, "U&\"x\"")]);
    }

    #[test]
    fn dollar_signs() {
        assert_eq!(kinds("a$b$ c"), vec![(TokKind::Word, "a$b$"), (TokKind::Word, "c")]);
        assert_eq!(kinds("$1"), vec![(TokKind::Param, "$1")]);
        assert_eq!(kinds("$a$ x $b$ y $a$"), vec![(TokKind::Str, "$a$ x $b$ y $a$")]);
        assert_eq!(kinds("$$;$$"), vec![(TokKind::Str, "$$;$$")]);
        assert_eq!(kinds("$a$ never closed")[0].0, TokKind::Unterminated);
    }

    #[test]
    fn comments() {
        assert_eq!(stmts("SELECT 1 /* /* ; */ ; */; SELECT 2"), vec!["SELECT 1 /* /* ; */ ; */", "SELECT 2"]);
        assert_eq!(stmts("SELECT 1 -- ;\r; SELECT 2"), vec!["SELECT 1 -- ;", "SELECT 2"]);
        let all = |s: &'static str| tokenize(s).into_iter().map(|t| (t.kind, t.text(s))).collect::<Vec<_>>();
        assert_eq!(all("+--x"), vec![(TokKind::Op, "+"), (TokKind::Comment, "--x")]);
        assert_eq!(all("*/*x*/"), vec![(TokKind::Op, "*"), (TokKind::Comment, "/*x*/")]);
    }

    #[test]
    fn semicolons_inside_parens_and_atomic_bodies() {
        assert_eq!(stmts("SELECT (1; 2); SELECT 3"), vec!["SELECT (1; 2)", "SELECT 3"]);
        assert_eq!(
            stmts("CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END; SELECT 2"),
            vec!["CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END", "SELECT 2"]
        );
        assert_eq!(stmts("BEGIN; SELECT 1; END;"), vec!["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn psql_meta_and_variables() {
        assert_eq!(stmts("SELECT 'x' \\gexec\nSELECT 2"), vec!["SELECT 'x'", "\\gexec", "SELECT 2"]);
        assert_eq!(kinds("a::int"), vec![(TokKind::Word, "a"), (TokKind::Op, "::"), (TokKind::Word, "int")]);
        assert_eq!(kinds(":v")[0].0, TokKind::PsqlVar);
        assert_eq!(kinds("a[1:n]")[4].0, TokKind::Word);
    }
}
