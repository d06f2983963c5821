//! Incident folders: where an incident's plan, rollback and timeline live, and which
//! incident is meant when none is named.

use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error(
        "\"{0}\" is not a usable incident id: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
    )]
    BadId(String),
    #[error("no incident named: pass --incident ID or set WARROOM_INCIDENT (there is no incident in {0} yet)")]
    NoneYet(String),
    #[error("cannot use the incident folder {0}: {1}")]
    Io(String, String),
}

/// The folder that holds every incident folder: the config's `incidents_dir`, else
/// `$XDG_STATE_HOME/warroom/incidents`, else `~/.local/state/warroom/incidents`.
pub fn root(configured: Option<&Path>) -> PathBuf {
    if let Some(p) = configured {
        return p.to_path_buf();
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from(".warroom-state"));
    state.join("warroom").join("incidents")
}

/// A file of warroom's own in its state folder (the parent of the default incidents folder).
pub fn state_file(name: &str) -> PathBuf {
    root(None).parent().map_or_else(|| PathBuf::from(name), |state| state.join(name))
}

/// An incident id is a folder name and part of backup table names: keep it plain.
pub fn validate(id: &str) -> Result<(), IncidentError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with(['.', '-'])
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(IncidentError::BadId(id.to_string())) }
}

/// Where an incident was found and whether the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub id: String,
    pub dir: PathBuf,
    /// True when no id was given and the most recently active incident was taken.
    pub guessed: bool,
}

/// The named incident (`--incident`, else `$WARROOM_INCIDENT`), else the most recently
/// active one under `root`.
pub fn choose(root: &Path, named: Option<&str>) -> Result<Chosen, IncidentError> {
    let env = std::env::var("WARROOM_INCIDENT").ok().filter(|s| !s.is_empty());
    if let Some(id) = named.map(str::to_string).or(env) {
        validate(&id)?;
        return Ok(Chosen { dir: root.join(&id), id, guessed: false });
    }
    match most_recent(root) {
        Some(id) => Ok(Chosen { dir: root.join(&id), id, guessed: true }),
        None => Err(IncidentError::NoneYet(root.display().to_string())),
    }
}

/// The incident folder whose contents changed last.
pub fn most_recent(root: &Path) -> Option<String> {
    let newest_inside = |dir: &Path| -> Option<std::time::SystemTime> {
        let own = fs::metadata(dir).and_then(|m| m.modified()).ok();
        let files = fs::read_dir(dir).ok()?.flatten().filter_map(|e| e.metadata().and_then(|m| m.modified()).ok());
        files.chain(own).max()
    };
    fs::read_dir(root)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let id = e.file_name().into_string().ok()?;
            validate(&id).ok()?;
            Some((newest_inside(&e.path())?, id))
        })
        .max()
        .map(|(_, id)| id)
}

/// Creates the incident folder (and its parents) if needed; only its owner may read it.
pub fn ensure(dir: &Path) -> Result<(), IncidentError> {
    let io = |e: std::io::Error| IncidentError::Io(dir.display().to_string(), e.to_string());
    fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

/// The editor's text in the incident folder, restored when the cockpit opens it again.
pub const DRAFT: &str = "draft.sql";

/// Saves the editor's text as the incident's draft (secrets masked, replaced atomically).
pub fn save_draft(dir: &Path, text: &str) -> Result<(), IncidentError> {
    ensure(dir)?;
    let path = dir.join(DRAFT);
    crate::durable::write_atomic(&path, crate::scrub::text(text).as_bytes())
        .map_err(|e| IncidentError::Io(path.display().to_string(), e.to_string()))
}

/// The incident's draft, if it has one with any text in it.
pub fn load_draft(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(DRAFT)).ok().filter(|t| !t.trim().is_empty())
}

/// A fresh id for an incident nobody named: `inc-YYYYMMDD-HHMM` in UTC.
pub fn new_id(now: jiff::Timestamp) -> String {
    now.strftime("inc-%Y%m%d-%H%M").to_string()
}

/// Who is at the keyboard, for the plan's author and reviewer.
pub fn operator() -> String {
    ["WARROOM_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(login_name)
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }))
}

/// The login name of the real user, from the password database.
fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; the name is copied
    // out at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr((*pw).pw_name).to_str().ok().map(str::to_string)
    }
}

/// Now, in UTC, to the second, as RFC 3339 (`2026-11-21T02:14:00Z`).
pub fn now_utc() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_is_kept_per_incident_with_secrets_masked() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("inc-a"), root.path().join("inc-b"));
        save_draft(&a, "SELECT 1;\n-- postgres://app:hunter2@db/app\n").unwrap();
        let kept = load_draft(&a).unwrap();
        assert!(kept.starts_with("SELECT 1;\n") && !kept.contains("hunter2"), "{kept}");
        assert_eq!(load_draft(&b), None, "another incident has no draft");
        save_draft(&a, "  \n").unwrap();
        assert_eq!(load_draft(&a), None, "an emptied editor restores nothing");
    }

    #[test]
    fn ids_are_plain_folder_names() {
        for ok in ["INC-42", "2026-11-21.db", "a_b"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "-x", "a/b", "a b", "ü", &"x".repeat(65)] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_most_recently_active_incident_is_chosen() {
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(choose(root.path(), None), Err(IncidentError::NoneYet(_))));
        for id in ["old", "new"] {
            fs::create_dir(root.path().join(id)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        fs::create_dir(root.path().join(".hidden")).unwrap();
        let c = choose(root.path(), None).unwrap();
        assert_eq!((c.id.as_str(), c.guessed), ("new", true));
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(root.path().join("old/timeline.jsonl"), "{}\n").unwrap();
        assert_eq!(most_recent(root.path()).as_deref(), Some("old"));
        assert!(!choose(root.path(), Some("x")).unwrap().guessed);
        assert!(choose(root.path(), Some("../etc")).is_err());
    }

    #[test]
    fn new_ids_say_when() {
        let t: jiff::Timestamp = "2026-11-21T02:14:59Z".parse().unwrap();
        assert_eq!(new_id(t), "inc-20261121-0214");
    }
}
