//! Which environment a server is, from facts rather than labels: the cluster's identity
//! (its `system_identifier`, else its address) pinned to an environment name in
//! `known_clusters.toml`, like ssh's known_hosts. An unknown cluster is treated as
//! production; a profile that disagrees with the pin loses to the stricter of the two.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file in warroom's state folder.
pub const FILE: &str = "known_clusters.toml";

pub use crate::db::Identity;

/// One pinned cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub key: String,
    pub environment: String,
    #[serde(default)]
    pub cluster_name: String,
    /// Where it was seen when pinned (for people reading the file).
    #[serde(default)]
    pub seen_at: String,
    #[serde(default)]
    pub pinned_by: String,
    #[serde(default)]
    pub pinned_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFile {
    #[serde(default, rename = "cluster")]
    clusters: Vec<Pin>,
}

#[derive(Debug, thiserror::Error)]
pub enum KnownError {
    #[error("cannot read {0}: {1}")]
    Read(String, String),
    #[error("{0} is not valid: {1}")]
    Invalid(String, String),
    #[error("cannot write {0}: {1}")]
    Write(String, String),
    #[error("\"{0}\" is not an environment name: use letters, digits, '-' or '_' (for example production, staging)")]
    BadName(String),
}

/// `known_clusters.toml` in warroom's state folder (`$XDG_STATE_HOME/warroom/`).
pub fn path() -> PathBuf {
    crate::incident::state_file(FILE)
}

/// Every pinned cluster in `file` (none when it does not exist yet).
pub fn load(file: &Path) -> Result<Vec<Pin>, KnownError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(KnownError::Read(file.display().to_string(), e.to_string())),
    };
    let known: KnownFile =
        toml::from_str(&text).map_err(|e| KnownError::Invalid(file.display().to_string(), e.to_string()))?;
    Ok(known.clusters)
}

/// The environment `identity` is pinned to in `file`.
pub fn pinned(file: &Path, identity: &Identity) -> Result<Option<Pin>, KnownError> {
    let key = identity.key();
    Ok(load(file)?.into_iter().find(|p| p.key == key))
}

const HEADER: &str = "# warroom's known clusters: which environment each PostgreSQL cluster is, by its identity\n\
# (like ssh's known_hosts). Written by `warroom pin` and the cockpit's pin key (Ctrl-P).\n\
# A cluster that is not here is shown as UNPINNED and treated as production.\n\n";

/// Pins `identity` to `environment` (replacing its earlier pin), atomically.
pub fn pin(file: &Path, identity: &Identity, environment: &str, by: &str, at: &str) -> Result<Pin, KnownError> {
    let environment = check_name(environment)?;
    let mut clusters = load(file)?;
    let key = identity.key();
    clusters.retain(|p| p.key != key);
    let entry = Pin {
        key,
        environment,
        cluster_name: identity.cluster_name.clone(),
        seen_at: format!("{}:{}/{}", identity.address, identity.port, identity.database),
        pinned_by: by.to_string(),
        pinned_at: at.to_string(),
    };
    clusters.push(entry.clone());
    let body = toml::to_string(&KnownFile { clusters })
        .map_err(|e| KnownError::Write(file.display().to_string(), e.to_string()))?;
    let write = |e: std::io::Error| KnownError::Write(file.display().to_string(), e.to_string());
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    crate::durable::write_atomic(file, format!("{HEADER}{body}").as_bytes()).map_err(write)?;
    Ok(entry)
}

/// An environment's name as it is kept: one lower-case word.
pub fn check_name(name: &str) -> Result<String, KnownError> {
    let name = name.trim().to_lowercase();
    if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(KnownError::BadName(name));
    }
    Ok(name)
}

/// How strict an environment is: production and any name we do not know rank highest.
pub fn strictness(environment: &str) -> u8 {
    match environment.to_lowercase().as_str() {
        "development" | "dev" | "local" | "test" | "testing" | "sandbox" => 0,
        "staging" | "stage" | "qa" | "preprod" | "uat" => 1,
        _ => 2,
    }
}

/// The environment warroom shows and applies, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What the banner shows and whose policy applies.
    pub environment: String,
    /// The pinned environment, if the cluster is pinned.
    pub pinned: Option<String>,
    /// The profile's environment, if it names one.
    pub profile: Option<String>,
    /// Said beside the banner: UNPINNED, or the profile's disagreement with the pin.
    pub note: Option<String>,
}

impl Verdict {
    pub fn unpinned(&self) -> bool {
        self.pinned.is_none()
    }
}

/// The environment of the cluster `identity` is, with what the pin file says: the one
/// decision for every caller (cockpit, `doctor`, `mcp`, the hook). A pin file that cannot be
/// read counts as no pin — production, the strictest — and says why.
pub fn decide_for(profile: Option<&str>, identity: &Identity, file: &Path) -> Decided {
    match pinned(file, identity) {
        Ok(pin) => {
            Decided { verdict: decide(profile, pin.as_ref().map(|p| p.environment.as_str())), pin, unreadable: None }
        }
        Err(e) => {
            let mut verdict = decide(profile, None);
            verdict.note = Some(format!("{} ({e})", verdict.note.unwrap_or_default()));
            Decided { verdict, pin: None, unreadable: Some(e.to_string()) }
        }
    }
}

/// What [`decide_for`] found.
#[derive(Debug, Clone)]
pub struct Decided {
    pub verdict: Verdict,
    pub pin: Option<Pin>,
    /// Why the pin file could not be read, if it could not.
    pub unreadable: Option<String>,
}

/// Decides the environment from the profile's label and the cluster's pin: unpinned is
/// production; a disagreement goes to the stricter of the two.
pub fn decide(profile: Option<&str>, pinned: Option<&str>) -> Verdict {
    let profile = profile.map(str::to_lowercase);
    let pinned = pinned.map(str::to_lowercase);
    let (environment, note) = match (&profile, &pinned) {
        (_, None) => {
            let says = match &profile {
                Some(p) if p != "production" => format!(" (profile says {p})"),
                _ => String::new(),
            };
            ("production".to_string(), Some(format!("UNPINNED — treated as PRODUCTION{says}")))
        }
        (Some(p), Some(q)) if p != q => {
            let stricter = if strictness(p) > strictness(q) { p } else { q };
            (stricter.clone(), Some(format!("profile says {p}, this cluster is pinned as {q}")))
        }
        (_, Some(q)) => (q.clone(), None),
    };
    Verdict { environment, pinned, profile, note }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(id: Option<&str>) -> Identity {
        Identity {
            system_identifier: id.map(str::to_string),
            cluster_name: "main".into(),
            address: "/run/pg".into(),
            port: 5432,
            database: "shop".into(),
            standby: false,
        }
    }

    #[test]
    fn unknown_is_production_and_the_stricter_label_wins() {
        let v = decide(Some("staging"), None);
        assert_eq!(v.environment, "production");
        assert_eq!(v.note.as_deref(), Some("UNPINNED — treated as PRODUCTION (profile says staging)"));
        let v = decide(Some("staging"), Some("production"));
        assert_eq!(v.environment, "production");
        assert_eq!(v.note.as_deref(), Some("profile says staging, this cluster is pinned as production"));
        let v = decide(Some("production"), Some("staging"));
        assert_eq!(v.environment, "production");
        assert_eq!(decide(Some("Staging"), Some("staging")).note, None);
        assert_eq!(decide(None, Some("staging")).environment, "staging");
        assert_eq!(decide(Some("dev"), Some("eu-prod")).environment, "eu-prod", "an unknown word is strict");
    }

    #[test]
    fn pins_are_kept_per_identity_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state/known_clusters.toml");
        let a = identity(Some("111"));
        let b = identity(Some("222"));
        assert_eq!(pinned(&file, &a).unwrap(), None);
        pin(&file, &a, "staging", "alice", "t1").unwrap();
        pin(&file, &b, "Production", "alice", "t2").unwrap();
        pin(&file, &a, "production", "bob", "t3").unwrap();
        let all = load(&file).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(pinned(&file, &a).unwrap().unwrap().pinned_by, "bob");
        assert_eq!(pinned(&file, &b).unwrap().unwrap().environment, "production");
        let by_address = identity(None);
        assert_eq!(by_address.key(), "address:/run/pg:5432");
        assert!(matches!(pin(&file, &a, "prod; rm", "x", "t"), Err(KnownError::BadName(_))));
        std::fs::write(&file, "[[cluster]]\nkey = 1\n").unwrap();
        assert!(matches!(load(&file), Err(KnownError::Invalid(..))));
    }
}
