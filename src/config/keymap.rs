//! Key bindings as data: `assets/keymap.toml` holds the defaults; the config file's
//! `[keys.*]` tables override them.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::ConfigError;

const DEFAULTS: &str = include_str!("../../assets/keymap.toml");

/// What a user can bind a key to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    FocusRunbook,
    FocusEditor,
    FocusReview,
    FocusResults,
    Run,
    RunAll,
    Cancel,
    Stage,
    Plan,
    Note,
    Timeline,
    KillSwitch,
    Pin,
    Reconnect,
    Suspend,
    Search,
    SearchNext,
    SearchPrev,
    Toc,
    NextBlock,
    PrevBlock,
    SendBlock,
    CopyCell,
    CopyRow,
    CopyAll,
    NextResult,
    PrevResult,
    Watch,
    WatchSlower,
    WatchFaster,
    Chart,
    Expanded,
    /// The plan view (F6), the timeline view (F7) and the popups.
    Close,
    /// The runbook's contents: go to the selected heading.
    Jump,
    /// The kill switch popup: freeze every warroom using the file.
    Freeze,
    /// Moving in a pane or a list (the [moving] context translates keys into these).
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Left,
    Right,
    StepNext,
    StepPrev,
    MarkReviewed,
    Export,
}

impl Action {
    /// One line for the help popup.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit (the terminal is restored)",
            Action::Help => "show every key",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::FocusRunbook => "focus the runbook",
            Action::FocusEditor => "focus the editor",
            Action::FocusReview => "focus the review",
            Action::FocusResults => "focus the results",
            Action::Run => "run the read under the cursor (all reads of a selection or a fresh paste)",
            Action::RunAll => "run every read in the editor; writes are skipped",
            Action::Cancel => "cancel the running read; close a popup",
            Action::Stage => "stage the write under the cursor (or the selection's) into the rollback plan",
            Action::Plan => "open the rollback plan: evidence, checklist, mark reviewed",
            Action::Note => "add a one-line note to the incident timeline",
            Action::Timeline => "open the incident timeline; e there exports it",
            Action::KillSwitch => "pull the kill switch (freeze every warroom using the file), or release it",
            Action::Pin => "pin this cluster (by its identity) to an environment: production, staging, …",
            Action::Reconnect => "reconnect to the database",
            Action::Suspend => "suspend to the shell (fg resumes)",
            Action::Search => "search the runbook",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::Toc => "table of contents: jump to a heading",
            Action::NextBlock => "select the next SQL block",
            Action::PrevBlock => "select the previous SQL block",
            Action::SendBlock => "send the selected SQL block to the editor (it does not run)",
            Action::CopyCell => "copy the cell (OSC 52 clipboard)",
            Action::CopyRow => "copy the row as TSV",
            Action::CopyAll => "copy the whole result as TSV",
            Action::NextResult => "next result",
            Action::PrevResult => "previous result",
            Action::Watch => "watch: run the last read again every 2 s, changes marked (w again or Esc stops)",
            Action::WatchSlower => "watch less often",
            Action::WatchFaster => "watch more often",
            Action::Expanded => "expanded display (psql's \\x): one record at a time, a column a line",
            Action::Close => "close this view",
            Action::Jump => "go to the selected heading",
            Action::Freeze => "freeze (any other key cancels)",
            Action::Down => "down a line",
            Action::Up => "up a line",
            Action::PageDown => "down a page",
            Action::PageUp => "up a page",
            Action::Top => "to the top",
            Action::Bottom => "to the bottom",
            Action::Left => "left a cell (results)",
            Action::Right => "right a cell (results)",
            Action::StepNext => "next step",
            Action::StepPrev => "previous step",
            Action::MarkReviewed => "mark the plan reviewed (type each step's table and row count)",
            Action::Export => "export timeline.md and timeline.json into the incident folder",
            Action::Chart => "chart: a time or number column against the numeric ones, or the watched number",
        }
    }

    fn runs(self) -> bool {
        matches!(self, Action::Run | Action::RunAll)
    }

    /// The arrow key a moving action stands for, so one scroll serves every binding.
    pub fn arrow(self) -> Option<KeyCode> {
        Some(match self {
            Action::Down => KeyCode::Down,
            Action::Up => KeyCode::Up,
            Action::PageDown => KeyCode::PageDown,
            Action::PageUp => KeyCode::PageUp,
            Action::Top => KeyCode::Home,
            Action::Bottom => KeyCode::End,
            Action::Left => KeyCode::Left,
            Action::Right => KeyCode::Right,
            _ => return None,
        })
    }
}

/// A key as written in the keymap: `ctrl-r`, `shift-f5`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub mods: u8,
}

/// `KeyCode` with an order, so that bindings list stably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    F(u8),
    Char(char),
    Named(&'static str),
}

const CTRL: u8 = 1;
const ALT: u8 = 2;
const SHIFT: u8 = 4;

const NAMED: &[(&str, KeyCode)] = &[
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("esc", KeyCode::Esc),
    ("enter", KeyCode::Enter),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("space", KeyCode::Char(' ')),
];

impl Key {
    pub fn parse(spec: &str) -> Option<Key> {
        let mut mods = 0;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") && rest.len() > 5 {
                (CTRL, 5)
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                (ALT, 4)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let lower = rest.to_ascii_lowercase();
        let code = if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            (1..=12).contains(&n).then_some(KeyCodeOrd::F(n))?
        } else if let Some((name, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
            match code {
                KeyCode::Char(c) => KeyCodeOrd::Char(*c),
                _ => KeyCodeOrd::Named(name),
            }
        } else {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            // Ctrl and Alt letters arrive lower-case from most terminals.
            KeyCodeOrd::Char(if mods & (CTRL | ALT) != 0 { c.to_ascii_lowercase() } else { c })
        };
        Some(Key { code, mods })
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let mut mods = 0;
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            mods |= CTRL;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            mods |= ALT;
        }
        let shift = ev.modifiers.contains(KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::F(n) => KeyCodeOrd::F(n),
            // The character already says whether Shift was down.
            KeyCode::Char(c) => KeyCodeOrd::Char(if mods & (CTRL | ALT) != 0 { c.to_ascii_lowercase() } else { c }),
            KeyCode::BackTab => KeyCodeOrd::Named("backtab"),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, c)| *c == other)?.0),
        };
        if shift && !matches!(code, KeyCodeOrd::Char(_)) && code != KeyCodeOrd::Named("backtab") {
            mods |= SHIFT;
        }
        Some(Key { code, mods })
    }

    /// A plain character, which the editor takes as typing.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCodeOrd::Char(_)) && self.mods & (CTRL | ALT) == 0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods & CTRL != 0 {
            f.write_str("Ctrl-")?;
        }
        if self.mods & ALT != 0 {
            f.write_str("Alt-")?;
        }
        if self.mods & SHIFT != 0 {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) if self.mods & (CTRL | ALT) != 0 => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::Named("backtab") => f.write_str("Shift-Tab"),
            KeyCodeOrd::Named("pageup") => f.write_str("PgUp"),
            KeyCodeOrd::Named("pagedown") => f.write_str("PgDn"),
            KeyCodeOrd::Named(n) => {
                let mut c = n.chars();
                let first = c.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                write!(f, "{first}{}", c.as_str())
            }
        }
    }
}

/// Where a binding applies: a table of `assets/keymap.toml` and of the config's `[keys]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Runbook,
    Results,
    /// Keys that move in a pane or a list (never while typing).
    Moving,
    Plan,
    Timeline,
    Help,
    Contents,
    Chart,
    KillSwitch,
}

impl Context {
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Runbook,
        Context::Results,
        Context::Moving,
        Context::Plan,
        Context::Timeline,
        Context::Help,
        Context::Contents,
        Context::Chart,
        Context::KillSwitch,
    ];

    /// The heading of its section in the help popup.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Runbook => "Runbook pane",
            Context::Results => "Results pane",
            Context::Moving => "Moving (the panes and lists; not in the editor)",
            Context::Plan => "Plan view",
            Context::Timeline => "Timeline view",
            Context::Help => "This help",
            Context::Contents => "Runbook contents (t)",
            Context::Chart => "Chart",
            Context::KillSwitch => "Kill switch",
        }
    }
}

/// The `[keys]` tables of a config file (or of the defaults): context → key → action name.
/// An unknown context is an error that names the ones there are.
pub type KeysConfig = BTreeMap<Context, BTreeMap<String, String>>;

/// The bindings in force, per context.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    tables: BTreeMap<Context, BTreeMap<Key, Action>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with_overrides(None).expect("the default keymap is valid")
    }
}

impl Keymap {
    /// The defaults, with the config's `[keys]` applied on top.
    pub fn with_overrides(overrides: Option<&KeysConfig>) -> Result<Keymap, ConfigError> {
        let defaults: KeysConfig =
            toml::from_str(DEFAULTS).map_err(|e| ConfigError::Invalid("the default keymap".into(), e.to_string()))?;
        let mut tables: BTreeMap<Context, BTreeMap<Key, Action>> =
            Context::ALL.iter().map(|c| (*c, BTreeMap::new())).collect();
        for source in [Some(&defaults), overrides].into_iter().flatten() {
            for (context, table) in source {
                apply(table, tables.entry(*context).or_default())?;
            }
        }
        Ok(Keymap { tables })
    }

    pub fn lookup(&self, context: Context, key: &Key) -> Option<Action> {
        self.table(context).get(key).copied()
    }

    /// The action a key event stands for in a context.
    pub fn action(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        Key::from_event(ev).and_then(|k| self.lookup(context, &k))
    }

    /// The arrow key an event moves by: an arrow itself, or a key the [moving] table binds.
    pub fn arrow(&self, ev: &KeyEvent) -> KeyCode {
        self.action(Context::Moving, ev).and_then(Action::arrow).unwrap_or(ev.code)
    }

    /// One context's bindings, in key order.
    pub fn table(&self, context: Context) -> &BTreeMap<Key, Action> {
        static EMPTY: BTreeMap<Key, Action> = BTreeMap::new();
        self.tables.get(&context).unwrap_or(&EMPTY)
    }

    /// A context's actions in the order of their first key, each with all its keys ("q/Esc").
    pub fn grouped(&self, context: Context) -> Vec<(String, Action)> {
        let table = self.table(context);
        let mut actions: Vec<Action> = Vec::new();
        for a in table.values() {
            if !actions.contains(a) {
                actions.push(*a);
            }
        }
        actions
            .into_iter()
            .map(|a| {
                let keys: Vec<String> = table.iter().filter(|(_, b)| **b == a).map(|(k, _)| k.to_string()).collect();
                (keys.join("/"), a)
            })
            .collect()
    }

    /// The first key bound to an action, for short hints ("F5").
    pub fn key_for(&self, action: Action) -> String {
        self.keys_for(action).split('/').next().unwrap_or_default().to_string()
    }

    /// The keys bound to an action, for hints ("F5/Ctrl-R").
    pub fn keys_for(&self, action: Action) -> String {
        let keys: Vec<String> = [Context::Global, Context::Runbook, Context::Results]
            .into_iter()
            .map(|c| self.table(c))
            .flat_map(|t| t.iter().filter(|(_, a)| **a == action).map(|(k, _)| k.to_string()))
            .collect();
        if keys.is_empty() { "(unbound)".into() } else { keys.join("/") }
    }
}

fn apply(table: &BTreeMap<String, String>, into: &mut BTreeMap<Key, Action>) -> Result<(), ConfigError> {
    for (spec, name) in table {
        let key = Key::parse(spec).ok_or_else(|| {
            ConfigError::Value(format!(
                "keys: \"{spec}\" is not a key; write it like \"f5\", \"ctrl-r\", \"alt-1\", \"shift-f5\" or \"?\""
            ))
        })?;
        if name == "none" {
            into.remove(&key);
            continue;
        }
        let action: Action =
            Action::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name))
                .map_err(|_| ConfigError::Value(format!("keys: \"{spec}\" = \"{name}\": no such action")))?;
        if action.runs() && key.code == KeyCodeOrd::Named("enter") && key.mods == 0 {
            return Err(ConfigError::Value(format!(
                "keys: a bare Enter may not run anything (\"{spec}\" = \"{name}\"); use F5 or a Ctrl key"
            )));
        }
        into.insert(key, action);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn ev(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent { code, modifiers: mods, kind: KeyEventKind::Press, state: KeyEventState::NONE })
            .unwrap()
    }

    #[test]
    fn defaults_and_events_agree() {
        let m = Keymap::default();
        assert_eq!(m.lookup(Context::Global, &ev(KeyCode::F(5), KeyModifiers::NONE)), Some(Action::Run));
        assert_eq!(m.lookup(Context::Global, &ev(KeyCode::Char('r'), KeyModifiers::CONTROL)), Some(Action::Run));
        assert_eq!(m.lookup(Context::Global, &ev(KeyCode::F(5), KeyModifiers::SHIFT)), Some(Action::RunAll));
        assert_eq!(m.lookup(Context::Global, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::FocusPrev));
        assert_eq!(m.lookup(Context::Results, &ev(KeyCode::Char('Y'), KeyModifiers::SHIFT)), Some(Action::CopyRow));
        assert_eq!(m.lookup(Context::Global, &ev(KeyCode::Char('1'), KeyModifiers::ALT)), Some(Action::FocusRunbook));
        assert_eq!(m.keys_for(Action::Run), "F5/Ctrl-R");
    }

    #[test]
    fn overrides_unbind_and_refuse_enter() {
        let mut k = KeysConfig::default();
        let g = k.entry(Context::Global).or_default();
        g.insert("f9".into(), "run".into());
        g.insert("ctrl-r".into(), "none".into());
        let m = Keymap::with_overrides(Some(&k)).unwrap();
        assert_eq!(m.keys_for(Action::Run), "F5/F9");
        k.entry(Context::Global).or_default().insert("enter".into(), "run".into());
        assert!(Keymap::with_overrides(Some(&k)).unwrap_err().to_string().contains("bare Enter"));
        let mut bad = KeysConfig::default();
        bad.entry(Context::Global).or_default().insert("f5".into(), "explode".into());
        assert!(Keymap::with_overrides(Some(&bad)).unwrap_err().to_string().contains("no such action"));
        bad.clear();
        bad.entry(Context::Global).or_default().insert("ctrl-".into(), "run".into());
        assert!(Keymap::with_overrides(Some(&bad)).unwrap_err().to_string().contains("not a key"));
    }
}
