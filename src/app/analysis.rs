//! The review view of one revision of the editor: the guard's verdicts with the text
//! coloured, built when the text changes (off the UI thread), never while drawing.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::config::Theme;
use crate::guard::{self, Class, Review};
use crate::highlight;
use crate::words::plural;

#[derive(Debug, Clone)]
pub struct Analysis {
    pub revision: u64,
    /// Made as a connected session's text proof (`review_best_case`) or an offline one.
    pub connected: bool,
    pub review: Review,
    /// The review view: a summary, then each statement's badge, its coloured text and reasons.
    pub lines: Vec<Line<'static>>,
    /// One line per WRITE (which, where, the first reason), kept at the top of the pane.
    pub pinned: Vec<Line<'static>>,
    /// Where in `lines` each statement's head is, in statement order.
    pub heads: Vec<usize>,
}

impl Analysis {
    pub fn reads(&self) -> usize {
        self.review.statements.iter().filter(|s| s.class == Class::Read).count()
    }
    pub fn writes(&self) -> usize {
        self.review.statements.len() - self.reads()
    }
}

pub fn badge(class: Class, theme: &Theme) -> Span<'static> {
    match class {
        Class::Read => {
            Span::styled(" READ  ", Style::default().fg(theme.read_text).bg(theme.read).add_modifier(Modifier::BOLD))
        }
        Class::Write => {
            Span::styled(" WRITE ", Style::default().fg(theme.write_text).bg(theme.write).add_modifier(Modifier::BOLD))
        }
    }
}

/// Classifies and colours `text`; pure, but heavy enough to keep off the UI thread.
pub fn analyze(revision: u64, text: &str, theme: &Theme) -> Analysis {
    analyze_with(revision, text, theme, true)
}

/// With `colour` false, the labels without syntax colouring: a tenth of the time, so a big
/// paste gets its READ/WRITE labels at once and its colours a moment later.
pub fn analyze_with(revision: u64, text: &str, theme: &Theme, colour: bool) -> Analysis {
    analyze_against(revision, text, theme, colour, false)
}

/// As [`analyze_with`]; `connected`, as the text proof of a connected read.
pub fn analyze_against(revision: u64, text: &str, theme: &Theme, colour: bool, connected: bool) -> Analysis {
    // Connected, the text proof is the guard's where the server will judge what only it can
    // know (a cast to a type of the database's, an extension's function); the server's own
    // tree decides when the read runs.
    let review = if connected { guard::review_best_case(text) } else { guard::review(text) };
    let plain = Style::default().fg(theme.text);
    let dim = Style::default().fg(theme.dim);
    let coloured = highlight::sql(text, theme.syntax.as_deref().filter(|_| colour), plain);
    let source_line = |n: usize| coloured.get(n.saturating_sub(1)).cloned().unwrap_or_default();

    let mut lines = Vec::new();
    let reads = review.statements.iter().filter(|s| s.class == Class::Read).count();
    let writes = review.statements.len() - reads;
    let summary = if review.statements.is_empty() {
        Line::from(Span::styled("No SQL statement yet.", dim))
    } else {
        let mut spans = vec![Span::styled(format!("{}: ", plural(review.statements.len(), "statement")), plain)];
        spans.push(Span::styled(format!("{reads} READ"), Style::default().fg(theme.read).add_modifier(Modifier::BOLD)));
        spans.push(Span::styled(", ", plain));
        spans.push(Span::styled(
            format!("{writes} WRITE"),
            Style::default().fg(theme.write).add_modifier(Modifier::BOLD),
        ));
        if writes > 0 {
            spans.push(Span::styled(" (writes never run)", dim));
        }
        Line::from(spans)
    };
    lines.push(summary);

    enum Item<'a> {
        Stmt(&'a guard::Statement),
        Ignored(&'a guard::Ignored),
    }
    // Statements first (what matters at a glance), then the prose that was set aside.
    let items = review.statements.iter().map(Item::Stmt).chain(review.ignored.iter().map(Item::Ignored));
    let mut heads = Vec::new();
    for item in items {
        match item {
            Item::Stmt(s) => {
                heads.push(lines.len());
                let mut head = vec![badge(s.class, theme), Span::raw(" ")];
                if s.destructive {
                    head.push(Span::styled(
                        " DESTRUCTIVE ",
                        Style::default().fg(theme.write_text).bg(theme.error).add_modifier(Modifier::BOLD),
                    ));
                    head.push(Span::raw(" "));
                }
                head.push(Span::styled(format!("#{} {} · {}", s.index, s.kind.name(), s.span.lines()), dim));
                lines.push(Line::from(head));
                let bar = match s.class {
                    Class::Read => Span::styled("▏", Style::default().fg(theme.read)),
                    Class::Write => Span::styled("▌", Style::default().fg(theme.write)),
                };
                for n in s.span.start_line..=s.span.end_line {
                    let mut l = source_line(n);
                    l.spans.insert(0, bar.clone());
                    lines.push(l);
                }
                for r in &s.reasons {
                    let mark = if s.class == Class::Write { "  ✖ " } else { "  · " };
                    lines.push(Line::from(vec![
                        Span::styled(
                            mark,
                            Style::default().fg(if s.class == Class::Write { theme.write } else { theme.dim }),
                        ),
                        Span::styled(r.clone(), plain),
                    ]));
                }
            }
            Item::Ignored(i) => {
                lines.push(Line::from(Span::styled(
                    format!("ignored · {} (not SQL, never run)", i.span.lines()),
                    dim.add_modifier(Modifier::ITALIC),
                )));
                for l in i.text.lines().take(3) {
                    lines.push(Line::from(Span::styled(format!("  {l}"), dim)));
                }
                if i.text.lines().count() > 3 {
                    lines.push(Line::from(Span::styled("  …", dim)));
                }
            }
        }
    }
    let pinned = review
        .writes()
        .map(|s| {
            let mut spans = vec![badge(Class::Write, theme), Span::raw(" ")];
            spans.push(Span::styled(format!("#{} {} · {}: ", s.index, s.kind.name(), s.span.lines()), plain));
            spans.push(Span::styled(s.reasons.first().cloned().unwrap_or_default(), dim));
            Line::from(spans)
        })
        .collect();
    Analysis { revision, connected, review, lines, pinned, heads }
}
