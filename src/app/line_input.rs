//! One line of typed text, for every popup that takes some (note, kill switch, search, pin,
//! the plan's confirmations): characters (not with Ctrl) and Backspace edit it; Enter and
//! Esc are said back for the popup to decide.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the line.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Typed {
    Enter,
    Esc,
    /// A character added or taken away (or refused at `max` bytes).
    Edited,
    /// Any other key: nothing changed.
    Other,
}

/// Applies `key` to `text`, which never grows past `max` bytes.
pub(super) fn edit(text: &mut String, key: KeyEvent, max: usize) -> Typed {
    match key.code {
        KeyCode::Enter => Typed::Enter,
        KeyCode::Esc => Typed::Esc,
        KeyCode::Backspace => {
            text.pop();
            Typed::Edited
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if text.len() + c.len_utf8() <= max {
                text.push(c);
            }
            Typed::Edited
        }
        _ => Typed::Other,
    }
}

/// As long as a line may be when the popup sets no bound of its own.
pub(super) const LONG: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn characters_and_backspace_edit_and_the_bound_holds() {
        let mut t = String::new();
        assert_eq!(edit(&mut t, key(KeyCode::Char('a')), 2), Typed::Edited);
        edit(&mut t, key(KeyCode::Char('é')), 2);
        assert_eq!(t, "a", "é is two bytes: past the bound");
        edit(&mut t, key(KeyCode::Char('b')), 2);
        assert_eq!(edit(&mut t, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), 9), Typed::Other);
        assert_eq!(t, "ab");
        edit(&mut t, key(KeyCode::Backspace), 2);
        assert_eq!(t, "a");
        assert_eq!(edit(&mut t, key(KeyCode::Enter), 2), Typed::Enter);
        assert_eq!(edit(&mut t, key(KeyCode::Esc), 2), Typed::Esc);
        assert_eq!(edit(&mut t, key(KeyCode::Left), 2), Typed::Other);
    }
}
