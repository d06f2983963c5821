//! SQL syntax colouring with syntect: loaded once, on first use, off the UI thread.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

struct Sets {
    syntaxes: SyntaxSet,
    themes: ThemeSet,
}

static SETS: OnceLock<Sets> = OnceLock::new();

fn sets() -> &'static Sets {
    SETS.get_or_init(|| Sets {
        // Built by build.rs from syntect's default set: SQL and plain text only.
        syntaxes: syntect::dumps::from_uncompressed_data(include_bytes!(concat!(env!("OUT_DIR"), "/sql.packdump")))
            .expect("the SQL syntax set built with warroom loads"),
        themes: ThemeSet::load_defaults(),
    })
}

/// Loads the syntax definitions now (they take some milliseconds), so that the first
/// review does not wait for them.
pub fn warm_up() {
    sets();
}

/// The text as coloured lines. `theme` is a syntect theme name; None (or an unknown name)
/// gives plain lines in `plain`.
pub fn sql(text: &str, theme: Option<&str>, plain: Style) -> Vec<Line<'static>> {
    let plain_lines = || text.split('\n').map(|l| Line::from(Span::styled(l.to_string(), plain))).collect();
    let Some(theme) = theme else { return plain_lines() };
    let sets = sets();
    let Some(theme) = sets.themes.themes.get(theme) else { return plain_lines() };
    let syntax =
        sets.syntaxes.find_syntax_by_extension("sql").unwrap_or_else(|| sets.syntaxes.find_syntax_plain_text());
    let mut h = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(text) {
        let spans = match h.highlight_line(line, &sets.syntaxes) {
            Ok(regions) => regions
                .into_iter()
                .filter_map(|(style, piece)| {
                    let piece = piece.trim_end_matches(['\n', '\r']);
                    (!piece.is_empty()).then(|| Span::styled(piece.to_string(), convert(style, plain)))
                })
                .collect(),
            Err(_) => vec![Span::styled(line.trim_end_matches(['\n', '\r']).to_string(), plain)],
        };
        out.push(Line::from(spans));
    }
    if text.ends_with('\n') || text.is_empty() {
        out.push(Line::default());
    }
    out
}

fn convert(s: syntect::highlighting::Style, base: Style) -> Style {
    let fg = s.foreground;
    let mut style = base.fg(Color::Rgb(fg.r, fg.g, fg.b));
    if s.font_style.contains(FontStyle::BOLD) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        style = style.add_modifier(Modifier::ITALIC);
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_out_per_line_in_and_keywords_coloured() {
        let text = "SELECT 1\nFROM t;\n";
        let lines = sql(text, Some("base16-ocean.dark"), Style::default());
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].spans.iter().map(|s| s.content.as_ref()).collect::<String>(), "SELECT 1");
        let kw = lines[0].spans[0].style.fg;
        let num = lines[0].spans.last().unwrap().style.fg;
        assert_ne!(kw, num, "keyword and number differ in colour");
        // The SQL syntax built into the binary knows strings and comments too.
        let line = &sql("SELECT 'x' -- why", Some("base16-ocean.dark"), Style::default())[0];
        let colour = |piece: &str| line.spans.iter().find(|s| s.content.contains(piece)).unwrap().style.fg;
        let (kw, string, comment) = (colour("SELECT"), colour("x"), colour("why"));
        assert!(kw != string && string != comment && kw != comment, "{line:?}");
        // Every shipped theme names a syntect theme that exists.
        for name in crate::config::theme::builtin_names() {
            let theme = crate::config::Theme::builtin(name).unwrap();
            if let Some(syntax) = theme.syntax {
                assert!(sets().themes.themes.contains_key(&syntax), "{name}: no syntect theme {syntax}");
            }
        }
        assert!(sets().themes.themes.contains_key("InspiredGitHub"));
        assert_eq!(sql("a\nb", None, Style::default()).len(), 2);
    }
}
