//! Markdown runbooks: parsed once into blocks, laid out for a pane width when the width
//! changes, with their headings (the table of contents) and their SQL blocks.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::config::Theme;

/// The runbook that ships with warroom, used when the profile names none.
pub const BUILTIN: &str = include_str!("../../runbooks/postgres-incident.md");
pub const BUILTIN_NAME: &str = "postgres-incident.md (built in)";

/// A heading of a runbook with everything under it up to the next heading of its level or
/// higher, and the SQL of the ```sql blocks in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub level: u8,
    pub title: String,
    pub text: String,
    pub sql: Vec<String>,
}

/// The runbook's sections, in order (headings inside code blocks are not headings).
pub fn sections(markdown: &str) -> Vec<Section> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut heads = Vec::new();
    let mut fenced = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced && t.starts_with('#') {
            let level = t.chars().take_while(|c| *c == '#').count();
            if level <= 6 && t[level..].starts_with(' ') {
                heads.push((i, level as u8, t[level..].trim().to_string()));
            }
        }
    }
    heads
        .iter()
        .enumerate()
        .map(|(k, (start, level, title))| {
            let end = heads[k + 1..].iter().find(|(_, l, _)| l <= level).map_or(lines.len(), |(i, _, _)| *i);
            let text = lines[*start..end].join("\n");
            let runbook = Runbook::parse("section", &text);
            Section { level: *level, title: title.clone(), text, sql: runbook.sql_blocks }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inline {
    Plain,
    Emphasis,
    Strong,
    Code,
}

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// Wrapped prose; `marker` is a list bullet or number, `indent` the list depth.
    Para {
        pieces: Vec<(String, Inline)>,
        marker: Option<String>,
        indent: usize,
    },
    Code {
        text: String,
        sql: Option<usize>,
    },
    Rule,
}

/// A parsed runbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub name: String,
    blocks: Vec<Block>,
    /// The text of each ```sql block, in order.
    pub sql_blocks: Vec<String>,
}

/// A heading in the laid-out runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub title: String,
    pub line: usize,
}

/// The runbook laid out for one width.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub width: u16,
    pub lines: Vec<Line<'static>>,
    /// The plain text of each line, for search.
    pub plain: Vec<String>,
    pub headings: Vec<Heading>,
    /// First and last line of each SQL block.
    pub sql_lines: Vec<(usize, usize)>,
}

fn is_sql(lang: &str) -> bool {
    matches!(
        lang.split_whitespace().next().unwrap_or("").to_ascii_lowercase().as_str(),
        "sql" | "postgresql" | "pgsql" | "psql"
    )
}

impl Runbook {
    pub fn parse(name: &str, markdown: &str) -> Runbook {
        let mut blocks = Vec::new();
        let mut sql_blocks = Vec::new();
        let mut pieces: Vec<(String, Inline)> = Vec::new();
        let mut inline = vec![Inline::Plain];
        let mut lists: Vec<Option<u64>> = Vec::new();
        let mut marker: Option<String> = None;
        let mut code: Option<(String, bool)> = None;
        let mut heading: Option<u8> = None;
        let flush =
            |pieces: &mut Vec<(String, Inline)>, marker: &mut Option<String>, blocks: &mut Vec<Block>, depth: usize| {
                if !pieces.is_empty() || marker.is_some() {
                    blocks.push(Block::Para { pieces: std::mem::take(pieces), marker: marker.take(), indent: depth });
                }
            };
        for event in Parser::new(markdown) {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some(match level {
                        HeadingLevel::H1 => 1,
                        HeadingLevel::H2 => 2,
                        HeadingLevel::H3 => 3,
                        _ => 4,
                    })
                }
                Event::End(TagEnd::Heading(_)) => {
                    let text: String = pieces.drain(..).map(|(t, _)| t).collect();
                    blocks.push(Block::Heading { level: heading.take().unwrap_or(1), text });
                }
                Event::Start(Tag::List(start)) => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len());
                    lists.push(start);
                }
                Event::End(TagEnd::List(_)) => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len());
                    lists.pop();
                }
                Event::Start(Tag::Item) => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len());
                    marker = Some(match lists.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            format!("{}.", *n - 1)
                        }
                        _ => "•".into(),
                    });
                }
                Event::End(TagEnd::Item) | Event::End(TagEnd::Paragraph) => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len())
                }
                Event::Start(Tag::Emphasis) => inline.push(Inline::Emphasis),
                Event::Start(Tag::Strong) => inline.push(Inline::Strong),
                Event::End(TagEnd::Emphasis) | Event::End(TagEnd::Strong) => {
                    inline.pop();
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len());
                    let sql = matches!(&kind, CodeBlockKind::Fenced(lang) if is_sql(lang));
                    code = Some((String::new(), sql));
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((text, sql)) = code.take() {
                        let text = text.trim_end_matches('\n').to_string();
                        let index = sql.then(|| {
                            sql_blocks.push(text.clone());
                            sql_blocks.len() - 1
                        });
                        blocks.push(Block::Code { text, sql: index });
                    }
                }
                Event::Text(t) => match code.as_mut() {
                    Some((buf, _)) => buf.push_str(&t),
                    None => pieces.push((t.to_string(), *inline.last().unwrap_or(&Inline::Plain))),
                },
                Event::Code(t) => pieces.push((t.to_string(), Inline::Code)),
                Event::SoftBreak => pieces.push((" ".into(), Inline::Plain)),
                Event::HardBreak => {
                    flush(&mut pieces, &mut marker, &mut blocks, lists.len());
                }
                Event::Rule => blocks.push(Block::Rule),
                Event::Html(t) | Event::InlineHtml(t) => pieces.push((t.to_string(), Inline::Plain)),
                _ => {}
            }
        }
        flush(&mut pieces, &mut marker, &mut blocks, lists.len());
        Runbook { name: name.to_string(), blocks, sql_blocks }
    }

    /// Lines for a pane `width` columns wide.
    pub fn layout(&self, width: u16, theme: &Theme) -> View {
        let width = width.max(20) as usize;
        let mut v = View { width: width as u16, ..View::default() };
        let text = Style::default().fg(theme.text);
        let push = |v: &mut View, line: Line<'static>| {
            v.plain.push(line.spans.iter().map(|s| s.content.as_ref()).collect());
            v.lines.push(line);
        };
        for (i, block) in self.blocks.iter().enumerate() {
            match block {
                Block::Heading { level, text: title } => {
                    if i > 0 {
                        push(&mut v, Line::default());
                    }
                    v.headings.push(Heading { level: *level, title: title.clone(), line: v.lines.len() });
                    let style = Style::default().fg(theme.heading).add_modifier(Modifier::BOLD);
                    let style = if *level == 1 { style.add_modifier(Modifier::UNDERLINED) } else { style };
                    let prefix = "#".repeat(*level as usize);
                    for l in wrap(&[(format!("{prefix} {title}"), Inline::Plain)], width, 0) {
                        push(
                            &mut v,
                            Line::from(l.into_iter().map(|(t, _)| Span::styled(t, style)).collect::<Vec<_>>()),
                        );
                    }
                }
                Block::Para { pieces, marker, indent } => {
                    let depth = indent.saturating_sub(1);
                    let lead = match marker {
                        Some(m) => format!("{}{m} ", "  ".repeat(depth)),
                        None if *indent > 0 => "  ".repeat(depth + 1),
                        None => {
                            if v.lines.last().is_some_and(|l| !l.spans.is_empty()) {
                                push(&mut v, Line::default());
                            }
                            String::new()
                        }
                    };
                    for (n, l) in wrap(pieces, width, lead.width()).into_iter().enumerate() {
                        let first = if n == 0 { lead.clone() } else { " ".repeat(lead.width()) };
                        let mut spans = vec![Span::styled(first, Style::default().fg(theme.dim))];
                        spans.extend(l.into_iter().map(|(t, k)| Span::styled(t, inline_style(k, text, theme))));
                        push(&mut v, Line::from(spans));
                    }
                }
                Block::Code { text: code, sql } => {
                    let start = v.lines.len();
                    let label = match sql {
                        Some(n) => format!("┌─ sql #{} ", n + 1),
                        None => "┌─ ".to_string(),
                    };
                    push(&mut v, Line::from(Span::styled(label, Style::default().fg(theme.dim))));
                    // A line wider than the pane goes on below, after a continuation mark, never cut.
                    for l in code.split('\n') {
                        for (n, piece) in split_width(&l.replace('\t', "    "), width - 2).into_iter().enumerate() {
                            push(
                                &mut v,
                                Line::from(vec![
                                    Span::styled(if n == 0 { "│ " } else { "│↪" }, Style::default().fg(theme.dim)),
                                    Span::styled(piece, Style::default().fg(theme.code)),
                                ]),
                            );
                        }
                    }
                    push(&mut v, Line::from(Span::styled("└─", Style::default().fg(theme.dim))));
                    if sql.is_some() {
                        v.sql_lines.push((start, v.lines.len() - 1));
                    }
                }
                Block::Rule => {
                    push(&mut v, Line::from(Span::styled("─".repeat(width.min(40)), Style::default().fg(theme.dim))))
                }
            }
        }
        v
    }
}

/// `line` in pieces at most `width` columns wide (one piece, maybe empty, when it fits).
fn split_width(line: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in line.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        pieces.last_mut().expect("one piece at least").push(c);
        used += w;
    }
    pieces
}

fn inline_style(k: Inline, text: Style, theme: &Theme) -> Style {
    match k {
        Inline::Plain => text,
        Inline::Emphasis => text.add_modifier(Modifier::ITALIC),
        Inline::Strong => text.add_modifier(Modifier::BOLD),
        Inline::Code => Style::default().fg(theme.code),
    }
}

/// Greedy word wrap over styled pieces; `used` columns are taken by the lead on every line.
fn wrap(pieces: &[(String, Inline)], width: usize, used: usize) -> Vec<Vec<(String, Inline)>> {
    let room = width.saturating_sub(used).max(10);
    let mut lines: Vec<Vec<(String, Inline)>> = vec![vec![]];
    let mut col = 0;
    let mut space = false;
    for (text, kind) in pieces {
        for (i, word) in text.split(' ').enumerate() {
            space |= i > 0;
            if word.is_empty() {
                continue;
            }
            let w = word.width();
            if col > 0 && col + usize::from(space) + w > room {
                lines.push(vec![]);
                col = 0;
            }
            let line = lines.last_mut().expect("never empty");
            let mut piece = String::new();
            if space && col > 0 {
                piece.push(' ');
                col += 1;
            }
            space = false;
            piece.push_str(word);
            col += w;
            match line.last_mut() {
                Some((t, k)) if k == kind => t.push_str(&piece),
                _ => line.push((piece, *kind)),
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD: &str = "# Triage\n\nSome *prose* with `code` and **bold** words that go on and on past the edge.\n\n- one\n- two\n\n## Locks\n\n```sql\nSELECT 1;\n```\n\n```text\nnot sql\n```\n";

    #[test]
    fn long_code_lines_wrap_with_a_mark_and_lose_nothing() {
        let md = "```sql\nSELECT pid, usename, application_name, state, now() - xact_start AS age FROM pg_stat_activity;\n```\n";
        let r = Runbook::parse("t.md", md);
        let v = r.layout(30, &Theme::default());
        let (a, b) = v.sql_lines[0];
        let body: Vec<&String> = v.plain[a + 1..b].iter().collect();
        assert!(body.len() > 2, "{body:#?}");
        assert!(body[0].starts_with("│ SELECT") && body[1..].iter().all(|l| l.starts_with("│↪")), "{body:#?}");
        assert!(v.plain.iter().all(|l| l.width() <= 30), "{:#?}", v.plain);
        let joined: String = body.iter().map(|l| l.chars().skip(2).collect::<String>()).collect();
        assert_eq!(joined, r.sql_blocks[0], "every character is still there");
    }

    #[test]
    fn headings_blocks_and_wrapping() {
        let r = Runbook::parse("t.md", MD);
        assert_eq!(r.sql_blocks, vec!["SELECT 1;"]);
        let v = r.layout(30, &Theme::default());
        assert_eq!(v.headings.len(), 2);
        assert_eq!(v.plain[v.headings[1].line], "## Locks");
        assert!(v.plain.iter().all(|l| l.width() <= 30), "{:#?}", v.plain);
        assert!(v.plain.iter().any(|l| l == "• one"));
        assert!(v.plain.iter().any(|l| l.starts_with("Some prose with code and")), "{:#?}", v.plain);
        let (a, b) = v.sql_lines[0];
        assert_eq!(v.plain[a + 1], "│ SELECT 1;");
        assert_eq!(b, a + 2);
        assert!(v.plain.iter().any(|l| l == "│ not sql"));
    }

    #[test]
    fn the_shipped_runbook_has_its_sections() {
        let r = Runbook::parse(BUILTIN_NAME, BUILTIN);
        assert!(r.sql_blocks.len() >= 15);
        let v = r.layout(60, &Theme::default());
        assert_eq!(v.sql_lines.len(), r.sql_blocks.len());
        assert!(v.headings.iter().any(|h| h.title.to_lowercase().contains("never")));
    }
}
