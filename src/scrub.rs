//! Secrets never reach the journal or its exports: URL credentials, `password=` in
//! conninfo, `PASSWORD '…'` in role DDL, and the values of settings (or JSON keys) named
//! like password, secret or token are replaced by `***`. Pure string work.

/// What replaces a secret.
pub const MASK: &str = "***";

/// Whether a name (a setting, a conninfo key, a JSON key) is one whose value is a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passwd", "secret", "token"].iter().any(|w| n.contains(w))
}

/// `text` with every secret replaced by `***`.
pub fn text(text: &str) -> String {
    values_after_names(&url_credentials(text))
}

/// Every string in `value` scrubbed, and the value of every secret-named key masked.
pub fn json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let clean = text(s);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_name(k) && !v.is_null() {
                    *v = Value::String(MASK.into());
                } else {
                    json(v);
                }
            }
        }
        _ => {}
    }
}

/// `scheme://user:password@host` → `scheme://user:***@host`.
fn url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c.is_whitespace() || "/?#'\"`<>".contains(c)).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@').and_then(|at| authority[..at].find(':').map(|colon| (colon, at))) {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// After a secret-like name and a separator (`=`, `:`, `TO`, `,`, or nothing before a
/// quoted literal, as in `PASSWORD 'x'`), the value is masked.
fn values_after_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        if !is_name_char(c) {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let end = text[i..].find(|c: char| !is_name_char(c)).map_or(text.len(), |e| i + e);
        out.push_str(&text[start..end]);
        i = end;
        if !is_secret_name(&text[start..end]) {
            continue;
        }
        if let Some((value_start, value_end, quoted)) = secret_value(text, end) {
            out.push_str(&text[end..value_start]);
            out.push_str(&quoted_mask(&text[value_start..value_end], quoted));
            i = value_end;
        }
    }
    out
}

/// Where the value after a secret name at `from` lies, if there is one.
fn secret_value(text: &str, from: usize) -> Option<(usize, usize, bool)> {
    let mut j = from;
    // A name inside quotes: set_config('app.secret', 'x', false), "api_token": "x".
    if text[j..].starts_with(['\'', '"']) {
        j += 1;
    }
    let skip_ws = |k: usize| text[k..].find(|c: char| !c.is_whitespace()).map_or(text.len(), |e| k + e);
    j = skip_ws(j);
    let rest = &text[j..];
    let separated = if rest.starts_with(['=', ':', ',']) {
        j += 1;
        true
    } else if rest.len() >= 3 && rest[..2].eq_ignore_ascii_case("to") && rest[2..].starts_with(char::is_whitespace) {
        j += 2;
        true
    } else {
        false
    };
    j = skip_ws(j);
    let rest = &text[j..];
    if rest.starts_with("E'") || rest.starts_with("e'") {
        j += 1;
    }
    let rest = &text[j..];
    if let Some(q) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) {
        // A quoted literal; a doubled quote is part of it.
        let mut k = j + 1;
        loop {
            match text[k..].find(q) {
                Some(e) if text[k + e + 1..].starts_with(q) => k += e + 2,
                Some(e) => return Some((j, k + e + 1, true)),
                None => return Some((j, text.len(), true)),
            }
        }
    }
    if let Some(tag_end) = rest.strip_prefix('$').and_then(|r| r.find('$')) {
        let tag = &rest[..tag_end + 2];
        let body = j + tag.len();
        let close = text[body..].find(tag).map_or(text.len(), |e| body + e + tag.len());
        return Some((j, close, false));
    }
    if !separated {
        return None;
    }
    let end = text[j..].find(|c: char| c.is_whitespace() || ";,)&'\"".contains(c)).map_or(text.len(), |e| j + e);
    (end > j).then_some((j, end, false))
}

fn quoted_mask(value: &str, quoted: bool) -> String {
    match value.chars().next() {
        Some(q @ ('\'' | '"')) if quoted => format!("{q}{MASK}{q}"),
        _ => MASK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_rest_is_kept() {
        let cases = [
            ("postgres://alice:hunter2@db:5432/app", "postgres://alice:***@db:5432/app"),
            ("postgresql://alice@db/app", "postgresql://alice@db/app"),
            ("see https://x.org/a:b@c", "see https://x.org/a:b@c"),
            ("host=db password=hunter2 user=a", "host=db password=*** user=a"),
            ("host=db password='hun ter2' user=a", "host=db password='***' user=a"),
            ("postgres://db/app?sslmode=require&password=hunter2", "postgres://db/app?sslmode=require&password=***"),
            ("ALTER ROLE app WITH PASSWORD 'hunter2';", "ALTER ROLE app WITH PASSWORD '***';"),
            ("CREATE USER x ENCRYPTED PASSWORD 'it''s';", "CREATE USER x ENCRYPTED PASSWORD '***';"),
            ("SET app.api_token = 'abc123';", "SET app.api_token = '***';"),
            ("SET app.jwt_secret TO abc123;", "SET app.jwt_secret TO ***;"),
            ("SELECT set_config('app.secret', 'abc', false)", "SELECT set_config('app.secret', '***', false)"),
            ("ALTER ROLE r SET app.token = $x$abc$x$", "ALTER ROLE r SET app.token = ***"),
            ("PGPASSWORD=hunter2 psql", "PGPASSWORD=*** psql"),
            ("SELECT token FROM sessions WHERE password IS NULL", "SELECT token FROM sessions WHERE password IS NULL"),
            ("password authentication failed for user \"x\"", "password authentication failed for user \"x\""),
            ("rotated the password to hunter2", "rotated the password to ***"),
            ("ünïcode token: x ✓", "ünïcode token: *** ✓"),
            ("token", "token"),
            ("password='unterminated", "password='***'"),
        ];
        for (input, want) in cases {
            assert_eq!(text(input), want, "{input}");
        }
    }

    #[test]
    fn json_keys_named_like_secrets_are_masked() {
        let mut v = serde_json::json!({
            "dsn": "postgres://a:pw@h/d",
            "settings": {"app.secret": "s", "statement_timeout": "5s"},
            "list": ["password=pw"],
        });
        json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "dsn": "postgres://a:***@h/d",
                "settings": {"app.secret": "***", "statement_timeout": "5s"},
                "list": ["password=***"],
            })
        );
    }
}
