//! The kill switch: while the freeze file exists, every door refuses (the cockpit, `query`,
//! `stage`, `warroom mcp`, the hook). The file says who froze, when and why; it can live on
//! a shared folder so that one person stops every warroom of the team.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who froze, when (UTC, RFC 3339) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub by: String,
    pub at: String,
    pub reason: String,
}

impl Freeze {
    /// One sentence for a refusal: "frozen by alice at 02:14:00 UTC: failover in progress".
    /// The time of day it was pulled (HH:MM:SS, UTC).
    pub fn since(&self) -> &str {
        self.at.split('T').nth(1).map_or(self.at.as_str(), |t| t.trim_end_matches('Z'))
    }

    pub fn describe(&self) -> String {
        let at = self.since();
        let reason = if self.reason.is_empty() { "no reason given".to_string() } else { self.reason.clone() };
        format!("warroom is FROZEN by {} since {at} UTC: {reason}; `warroom thaw` lifts it", self.by)
    }
}

/// The freeze file: `$WARROOM_FREEZE_FILE`, else the profile's policy, else the config's
/// `freeze_file`, else `FREEZE` in warroom's state folder.
pub fn path(policy: Option<&Path>, configured: Option<&Path>) -> PathBuf {
    if let Some(p) = std::env::var_os("WARROOM_FREEZE_FILE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = policy.or(configured) {
        return p.to_path_buf();
    }
    crate::incident::state_file("FREEZE")
}

/// The freeze in force, if any. A freeze file that cannot be read or understood still
/// freezes: it exists, and only `warroom thaw` (or removing it) lifts it.
pub fn current(path: &Path) -> Option<Freeze> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap_or_else(|_| Freeze {
            by: "someone".into(),
            at: String::new(),
            reason: format!("the freeze file {} exists (its contents are not warroom's)", path.display()),
        })),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => Some(Freeze { by: "someone".into(), at: String::new(), reason: format!("{}: {e}", path.display()) }),
    }
}

/// Freezes: writes the file (atomically, so a reader never sees half of it).
pub fn freeze(path: &Path, reason: &str) -> io::Result<Freeze> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let f =
        Freeze { by: crate::incident::operator(), at: crate::incident::now_utc(), reason: reason.trim().to_string() };
    let text = serde_json::to_string_pretty(&f).map_err(io::Error::other)?;
    crate::durable::write_atomic(path, format!("{text}\n").as_bytes())?;
    Ok(f)
}

/// Thaws: removes the file. Returns the freeze that was lifted, if there was one.
pub fn thaw(path: &Path) -> io::Result<Option<Freeze>> {
    let was = current(path);
    match std::fs::remove_file(path) {
        Ok(()) => Ok(was),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeze_and_thaw() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shared/FREEZE");
        assert_eq!(current(&p), None);
        let f = freeze(&p, "failover in progress").unwrap();
        assert_eq!(current(&p), Some(f.clone()));
        assert!(f.describe().contains("FROZEN") && f.describe().contains("failover in progress"), "{}", f.describe());
        assert_eq!(thaw(&p).unwrap(), Some(f));
        assert_eq!(current(&p), None);
        assert_eq!(thaw(&p).unwrap(), None);
        std::fs::write(&p, "frozen by hand").unwrap();
        assert!(current(&p).unwrap().describe().contains("exists"));
    }
}
