//! Wording shared by every part that talks to people. A leaf.

/// "1 row", "3 rows".
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
