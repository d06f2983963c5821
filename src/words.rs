//! Wording shared by every part that talks to people. A leaf.

/// "1 row", "3 rows".
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `text` on one line, cut to `max` characters with … when cut.
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

/// A wait or an interval as people say it: 2 s, 1.5 s, 12 s.
pub fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 && s.fract() != 0.0 { format!("{s:.1} s") } else { format!("{} s", s.round() as u64) }
}
