//! Markdown code fences: agents hand out SQL inside them, with prose around.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// SQL to review: the whole input when it has no fences, else a SQL fence's body.
    Sql,
    /// Prose, or a fence in another language: shown as ignored, never run.
    Ignored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub kind: RegionKind,
    pub start: usize,
    pub end: usize,
}

const SQL_LANGS: &[&str] = &["", "sql", "postgres", "postgresql", "pgsql", "psql", "plpgsql", "plsql", "pg"];

struct Line {
    start: usize,
    /// End of content, before the line break.
    end: usize,
    /// Start of the next line.
    next: usize,
}

fn lines(src: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = src.as_bytes();
    while start < b.len() {
        let nl = src[start..].find('\n').map(|p| start + p);
        let (mut end, next) = match nl {
            Some(p) => (p, p + 1),
            None => (b.len(), b.len()),
        };
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
        out.push(Line { start, end, next });
        start = next;
    }
    out
}

/// An opening fence: (fence char, run length, info string).
fn opening(line: &str) -> Option<(u8, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let run = rest.bytes().take_while(|&c| c == ch).count();
    if run < 3 {
        return None;
    }
    let info = rest[run..].trim();
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some((ch, run, info))
}

fn closes(line: &str, ch: u8, run: usize) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return false;
    }
    let rest = &line[indent..];
    let n = rest.bytes().take_while(|&c| c == ch).count();
    n >= run && rest[n..].trim().is_empty()
}

fn is_sql_lang(info: &str) -> bool {
    let lang = info.split_whitespace().next().unwrap_or("").trim_start_matches('{').trim_start_matches('.');
    SQL_LANGS.iter().any(|l| l.eq_ignore_ascii_case(lang))
}

/// Splits input into SQL and ignored regions. Fence lines belong to neither.
pub fn regions(src: &str) -> Vec<Region> {
    let lines = lines(src);
    if !lines.iter().any(|l| opening(&src[l.start..l.end]).is_some()) {
        return vec![Region { kind: RegionKind::Sql, start: 0, end: src.len() }];
    }
    let mut out = Vec::new();
    let mut prose_start = 0;
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        let Some((ch, run, info)) = opening(&src[l.start..l.end]) else {
            i += 1;
            continue;
        };
        if l.start > prose_start {
            out.push(Region { kind: RegionKind::Ignored, start: prose_start, end: l.start });
        }
        let body_start = l.next;
        let mut j = i + 1;
        while j < lines.len() && !closes(&src[lines[j].start..lines[j].end], ch, run) {
            j += 1;
        }
        // An unclosed fence runs to the end of the input, as in CommonMark.
        let body_end = if j < lines.len() { lines[j].start } else { src.len() };
        let after = if j < lines.len() { lines[j].next } else { src.len() };
        if is_sql_lang(info) {
            out.push(Region { kind: RegionKind::Sql, start: body_start.min(body_end), end: body_end });
        } else {
            out.push(Region { kind: RegionKind::Ignored, start: l.start, end: after });
        }
        prose_start = after;
        i = j + 1;
    }
    if prose_start < src.len() {
        out.push(Region { kind: RegionKind::Ignored, start: prose_start, end: src.len() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(src: &str) -> Vec<(RegionKind, &str)> {
        regions(src).into_iter().map(|r| (r.kind, &src[r.start..r.end])).collect()
    }

    #[test]
    fn no_fence_is_all_sql() {
        assert_eq!(show("SELECT 1;\nSELECT 2"), vec![(RegionKind::Sql, "SELECT 1;\nSELECT 2")]);
    }

    #[test]
    fn prose_and_fences() {
        let src = "Here:\n```sql\nSELECT 1;\n```\nand\n~~~bash\nrm -rf /\n~~~\n```\nDELETE FROM t\n";
        assert_eq!(
            show(src),
            vec![
                (RegionKind::Ignored, "Here:\n"),
                (RegionKind::Sql, "SELECT 1;\n"),
                (RegionKind::Ignored, "and\n"),
                (RegionKind::Ignored, "~~~bash\nrm -rf /\n~~~\n"),
                (RegionKind::Sql, "DELETE FROM t\n"),
            ]
        );
    }

    #[test]
    fn crlf_fences() {
        let src = "x\r\n```SQL\r\nSELECT 1\r\n```\r\n";
        assert_eq!(show(src), vec![(RegionKind::Ignored, "x\r\n"), (RegionKind::Sql, "SELECT 1\r\n")]);
    }
}
