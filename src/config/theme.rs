//! Colour themes: TOML files, the shipped ones embedded (`themes/*.toml`).

use std::path::Path;
use std::str::FromStr;

use ratatui::style::Color;
use serde::Deserialize;

use super::ConfigError;

const EMBEDDED: &[(&str, &str)] = &[
    ("night", include_str!("../../themes/night.toml")),
    ("day", include_str!("../../themes/day.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

pub const DEFAULT_THEME: &str = "night";

/// Names of the themes that ship with warroom.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|(n, _)| *n)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// A syntect theme name, or None for no syntax colouring.
    pub syntax: Option<String>,
    pub text: Color,
    pub dim: Color,
    pub border: Color,
    pub focus: Color,
    pub heading: Color,
    pub code: Color,
    pub selection: Color,
    pub production: Color,
    pub staging: Color,
    pub calm: Color,
    pub read: Color,
    pub read_text: Color,
    pub write: Color,
    pub write_text: Color,
    pub error: Color,
    pub ok: Color,
    pub warn: Color,
    pub null: Color,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    syntax: String,
    colors: Colors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: String,
    dim: String,
    border: String,
    focus: String,
    heading: String,
    code: String,
    selection: String,
    production: String,
    staging: String,
    calm: String,
    read: String,
    read_text: String,
    write: String,
    write_text: String,
    error: String,
    ok: String,
    warn: String,
    null: String,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin(DEFAULT_THEME).expect("the night theme ships with warroom")
    }
}

impl Theme {
    pub fn builtin(name: &str) -> Option<Theme> {
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Theme::parse(text, n).unwrap_or_else(|e| panic!("shipped theme {n} is invalid: {e}")))
    }

    /// A shipped theme by name, else a TOML file at that path.
    pub fn load(name_or_path: &str) -> Result<Theme, ConfigError> {
        if let Some(t) = Theme::builtin(name_or_path) {
            return Ok(t);
        }
        let path = Path::new(name_or_path);
        if !path.is_file() {
            return Err(ConfigError::Value(format!(
                "no theme named \"{name_or_path}\"; the shipped themes are {}, or give the path of a theme file",
                builtin_names().collect::<Vec<_>>().join(", ")
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.display().to_string(), e.to_string()))?;
        Theme::parse(&text, name_or_path)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Theme, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(origin.to_string(), m);
        let f: ThemeFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let c = &f.colors;
        let color = |key: &str, v: &str| {
            Color::from_str(v).map_err(|_| {
                invalid(format!("colors.{key} = \"{v}\" is not a colour; write a name (red), #rrggbb or 0-255"))
            })
        };
        Ok(Theme {
            name: f.name,
            syntax: (f.syntax != "none").then_some(f.syntax),
            text: color("text", &c.text)?,
            dim: color("dim", &c.dim)?,
            border: color("border", &c.border)?,
            focus: color("focus", &c.focus)?,
            heading: color("heading", &c.heading)?,
            code: color("code", &c.code)?,
            selection: color("selection", &c.selection)?,
            production: color("production", &c.production)?,
            staging: color("staging", &c.staging)?,
            calm: color("calm", &c.calm)?,
            read: color("read", &c.read)?,
            read_text: color("read_text", &c.read_text)?,
            write: color("write", &c.write)?,
            write_text: color("write_text", &c.write_text)?,
            error: color("error", &c.error)?,
            ok: color("ok", &c.ok)?,
            warn: color("warn", &c.warn)?,
            null: color("null", &c.null)?,
        })
    }

    /// The banner colour for an environment name.
    /// The terminal's own colours everywhere (`NO_COLOR`): meaning is carried by words,
    /// marks, bold, underline and reverse video, never by a colour.
    pub fn monochrome() -> Theme {
        let c = Color::Reset;
        Theme {
            name: "no-color".into(),
            syntax: None,
            text: c,
            dim: c,
            border: c,
            focus: c,
            heading: c,
            code: c,
            selection: c,
            production: c,
            staging: c,
            calm: c,
            read: c,
            read_text: c,
            write: c,
            write_text: c,
            error: c,
            ok: c,
            warn: c,
            null: c,
        }
    }

    pub fn is_monochrome(&self) -> bool {
        self.name == "no-color"
    }

    /// How a selected line or cell stands out: its background, or reverse video without colour.
    pub fn selected(&self) -> ratatui::style::Style {
        let style = ratatui::style::Style::default();
        if self.is_monochrome() {
            style.add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            style.bg(self.selection)
        }
    }

    pub fn environment(&self, env: &str) -> Color {
        match env.to_ascii_lowercase().as_str() {
            "production" | "prod" | "live" => self.production,
            "staging" | "stage" | "preprod" => self.staging,
            _ => self.calm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_themes_parse_and_bad_colours_are_named() {
        for n in builtin_names() {
            let t = Theme::builtin(n).unwrap();
            assert_eq!(t.name, n);
            assert_ne!(t.read, t.write);
        }
        assert!(Theme::builtin("high-contrast").unwrap().syntax.is_none());
        let bad = include_str!("../../themes/night.toml").replace("#ff5f5f", "reddish");
        let err = Theme::parse(&bad, "x.toml").unwrap_err().to_string();
        assert!(err.contains("colors.production") && err.contains("reddish"), "{err}");
        assert!(Theme::load("nope").unwrap_err().to_string().contains("night, day, high-contrast"));
    }
}
