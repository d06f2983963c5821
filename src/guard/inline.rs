//! The string constants of a program's source given on a command line (`python -c`,
//! `node -e`, `ruby -e`, `perl -e`): where SQL sits in code that connects to PostgreSQL.

/// A string constant of the code; `interpolated` when the language fills parts of it in
/// at run time (f-strings, template literals, `#{…}`, `$var`), so its SQL is not all shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub text: String,
    pub interpolated: bool,
}

/// Every string constant of `code`. Comments are skipped (`#` for Python, Ruby and Perl,
/// `//` and `/* */` for JavaScript and PHP); quotes are `'`, `"`, `` ` `` and Python's triples.
pub fn literals(code: &str, hash_comments: bool) -> Vec<Literal> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if hash_comments && c == b'#' {
            i = code[i..].find('\n').map_or(b.len(), |p| i + p);
            continue;
        }
        if !hash_comments && c == b'/' && b.get(i + 1) == Some(&b'/') {
            i = code[i..].find('\n').map_or(b.len(), |p| i + p);
            continue;
        }
        if !hash_comments && c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = code[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            continue;
        }
        if !matches!(c, b'\'' | b'"' | b'`') {
            i += 1;
            continue;
        }
        // The letters before the quote: Python's f/r/b prefixes.
        let prefix: String =
            code[..i].chars().rev().take_while(|ch| ch.is_ascii_alphabetic()).collect::<String>().to_lowercase();
        let f_string = prefix.len() <= 2 && prefix.contains('f');
        let raw = prefix.len() <= 2 && prefix.contains('r');
        let triple = b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
        let close_len = if triple { 3 } else { 1 };
        let start = i + close_len;
        let mut j = start;
        let mut text = String::new();
        loop {
            if j >= b.len() {
                break;
            }
            if b[j] == b'\\' && !raw && j + 1 < b.len() {
                let next = code[j + 1..].chars().next().unwrap_or('\\');
                text.push(match next {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                j += 1 + next.len_utf8();
                continue;
            }
            if b[j] == c && (!triple || (b.get(j + 1) == Some(&c) && b.get(j + 2) == Some(&c))) {
                break;
            }
            let ch = code[j..].chars().next().unwrap_or(' ');
            text.push(ch);
            j += ch.len_utf8();
        }
        let interpolated = (f_string && text.contains('{'))
            || (c == b'`' && text.contains("${"))
            || (c == b'"' && hash_comments && text.contains("#{"))
            || (c == b'"'
                && text.contains('$')
                && text.split('$').skip(1).any(|t| t.starts_with(|x: char| x.is_ascii_alphabetic() || x == '{')));
        out.push(Literal { text, interpolated });
        i = (j + close_len).min(b.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_of_code() {
        let py = "import psycopg\nc = psycopg.connect('dbname=app')  # 'not this'\nc.execute(\"DELETE FROM t WHERE a = 'x'\")\nc.execute(f\"SELECT {x}\")\nc.execute('''SELECT\n1''')";
        let l = literals(py, true);
        let texts: Vec<&str> = l.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["dbname=app", "DELETE FROM t WHERE a = 'x'", "SELECT {x}", "SELECT\n1"]);
        assert!(l[2].interpolated && !l[1].interpolated);
        let js = "const {Client} = require('pg'); // 'no'\nawait c.query(`DROP TABLE ${t}`); /* \"no\" */ c.query('SELECT 1')";
        let l = literals(js, false);
        assert_eq!(l.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), vec!["pg", "DROP TABLE ${t}", "SELECT 1"]);
        assert!(l[1].interpolated);
        assert_eq!(literals("print('it\\'s')", true)[0].text, "it's");
    }
}
