//! The TOML config: profiles (which database, how it is labelled, its limits).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub mod keymap;
pub mod theme;

pub use keymap::{Action, Keymap, KeysConfig};
pub use theme::Theme;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {0}: {1}")]
    Read(String, String),
    #[error("the config file {0} is not valid: {1}")]
    Invalid(String, String),
    #[error("no profile named \"{0}\" in {1}; profiles there: {2}")]
    NoProfile(String, String, String),
    #[error("no profile named \"{0}\": there is no config file (looked for {1})")]
    NoConfig(String, String),
    #[error("{0}")]
    Value(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub default_profile: Option<String>,
    /// Where incident folders live (default: `$XDG_STATE_HOME/warroom/incidents`).
    pub incidents_dir: Option<PathBuf>,
    /// The theme when the profile names none.
    pub theme: Option<String>,
    /// The kill switch's file (default: FREEZE in the state folder); `$WARROOM_FREEZE_FILE` wins.
    pub freeze_file: Option<PathBuf>,
    /// Key binding overrides (see assets/keymap.toml).
    #[serde(default)]
    pub keys: KeysConfig,
    /// `warroom hook claude`'s own command rules, added to src/guard/commands.toml's.
    #[serde(default)]
    pub hook: HookConfig,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// `[hook]`: commands as `program word word` (each word among the arguments). `deny` and
/// `ask` add to the built-in list; `allow` relaxes an `ask`, never a `deny`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub ask: Vec<String>,
    #[serde(default)]
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Banner text and colour: production, staging, development or any word.
    pub environment: Option<String>,
    pub dsn: Option<String>,
    /// A `pg_service.conf` service name, instead of a DSN.
    pub service: Option<String>,
    pub runbook: Option<PathBuf>,
    pub theme: Option<String>,
    pub statement_timeout: Option<String>,
    pub lock_timeout: Option<String>,
    pub row_limit: Option<u64>,
    /// Reads the planner expects to scan more rows than this are held back (0: no limit).
    pub max_rows_scanned: Option<u64>,
    /// Reads the planner expects to cost more than this are held back (0: no limit).
    pub max_cost: Option<f64>,
    /// Foreign servers (`CREATE SERVER` names) whose tables may be read: by default a foreign
    /// table is refused, since its wrapper may run anything on the remote side.
    #[serde(default)]
    pub trusted_foreign_servers: Vec<String>,
    /// What agents may do here (`warroom mcp`, the hook).
    #[serde(default)]
    pub policy: Policy,
}

/// `[profiles.NAME.policy]`: how far an agent is let in on this environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub agent: AgentPolicy,
    /// An agent's row limit here (at most the profile's).
    pub row_limit: Option<u64>,
    /// An agent's statement timeout here.
    pub statement_timeout: Option<String>,
    /// This environment's kill switch, if it has its own.
    pub freeze_file: Option<PathBuf>,
}

/// What `warroom mcp` and the hook allow an agent: nothing; reviewing SQL and staging writes
/// for a person; or reads too (the default: reads through the guard, writes only staged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentPolicy {
    Off,
    Review,
    #[default]
    Read,
}

impl Policy {
    /// The stricter of two policies, setting by setting (the lower limit, the tighter agent).
    pub fn stricter(&self, other: &Policy) -> Policy {
        let min_dur = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(x), Some(y)) => {
                let (dx, dy) = (parse_duration(x).ok(), parse_duration(y).ok());
                if dy < dx { Some(y.clone()) } else { Some(x.clone()) }
            }
            (x, y) => x.clone().or_else(|| y.clone()),
        };
        Policy {
            agent: self.agent.min(other.agent),
            row_limit: match (self.row_limit, other.row_limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            statement_timeout: min_dur(&self.statement_timeout, &other.statement_timeout),
            freeze_file: self.freeze_file.clone().or_else(|| other.freeze_file.clone()),
        }
    }
}

impl Config {
    /// The policy for an environment: the stricter of the policies of every profile that
    /// names it (None when no profile does).
    pub fn policy_for(&self, environment: &str) -> Option<Policy> {
        self.profiles
            .values()
            .filter(|p| p.environment.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(environment)))
            .map(|p| p.policy.clone())
            .reduce(|a, b| a.stricter(&b))
    }
}

impl AgentPolicy {
    pub fn name(self) -> &'static str {
        match self {
            AgentPolicy::Off => "off",
            AgentPolicy::Review => "review",
            AgentPolicy::Read => "read",
        }
    }
}

impl Profile {
    /// The conninfo this profile names, if any.
    pub fn conninfo(&self) -> Option<String> {
        self.dsn.clone().or_else(|| self.service.as_ref().map(|s| format!("service='{}'", s.replace('\'', "\\'"))))
    }
}

/// A loaded config and the file it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    pub searched: Vec<PathBuf>,
}

impl Loaded {
    /// The named profile, else the default one, else none.
    pub fn profile(&self, name: Option<&str>) -> Result<Option<(String, Profile)>, ConfigError> {
        let wanted = name.map(str::to_string).or_else(|| self.config.default_profile.clone());
        let Some(wanted) = wanted else { return Ok(None) };
        match self.config.profiles.get(&wanted) {
            Some(p) => Ok(Some((wanted, p.clone()))),
            None => match &self.path {
                Some(path) => Err(ConfigError::NoProfile(
                    wanted,
                    path.display().to_string(),
                    self.config.profiles.keys().cloned().collect::<Vec<_>>().join(", "),
                )),
                None => Err(ConfigError::NoConfig(
                    wanted,
                    self.searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
                )),
            },
        }
    }
}

pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
    let config: Config =
        toml::from_str(text).map_err(|e| ConfigError::Invalid(origin.display().to_string(), e.to_string()))?;
    if let Some(d) = &config.default_profile
        && !config.profiles.contains_key(d)
    {
        return Err(ConfigError::Invalid(
            origin.display().to_string(),
            format!("default_profile \"{d}\" is not among the profiles"),
        ));
    }
    let invalid = |m: String| ConfigError::Invalid(origin.display().to_string(), m);
    Keymap::with_overrides(Some(&config.keys)).map_err(|e| invalid(e.to_string()))?;
    for theme in config.theme.iter().chain(config.profiles.values().filter_map(|p| p.theme.as_ref())) {
        Theme::load(theme).map_err(|e| invalid(e.to_string()))?;
    }
    for (name, p) in &config.profiles {
        if p.dsn.is_some() && p.service.is_some() {
            return Err(ConfigError::Invalid(
                origin.display().to_string(),
                format!("profile \"{name}\" sets both dsn and service; keep one"),
            ));
        }
        for t in [&p.statement_timeout, &p.lock_timeout, &p.policy.statement_timeout].into_iter().flatten() {
            parse_duration(t)
                .map_err(|e| ConfigError::Invalid(origin.display().to_string(), format!("profile \"{name}\": {e}")))?;
        }
    }
    Ok(config)
}

/// `--config`, else `$WARROOM_CONFIG`, else `./warroom.toml`, else `$XDG_CONFIG_HOME/warroom/config.toml`.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let named = explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("WARROOM_CONFIG").map(PathBuf::from));
    if let Some(path) = named {
        let text =
            std::fs::read_to_string(&path).map_err(|e| ConfigError::Read(path.display().to_string(), e.to_string()))?;
        return Ok(Loaded { config: parse(&text, &path)?, path: Some(path.clone()), searched: vec![path] });
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let searched: Vec<PathBuf> = [Some(PathBuf::from("warroom.toml")), xdg.map(|x| x.join("warroom/config.toml"))]
        .into_iter()
        .flatten()
        .collect();
    for path in &searched {
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Read(path.display().to_string(), e.to_string()))?;
            return Ok(Loaded { config: parse(&text, path)?, path: Some(path.clone()), searched });
        }
    }
    Ok(Loaded { config: Config::default(), path: None, searched })
}

/// Parses `500ms`, `5s`, `2min`, `1h` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, ConfigError> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || ConfigError::Value(format!("\"{s}\" is not a duration; write it like 500ms, 5s, 2min or 1h"));
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" | "sec" | "secs" => n,
        "m" | "min" | "mins" => n * 60.0,
        "h" | "hour" | "hours" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 7.0 * 86400.0 {
        return Err(ConfigError::Value(format!("\"{s}\" must be more than zero and at most a week")));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("1.5min").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn the_stricter_policy_setting_by_setting() {
        let c = parse(
            "[profiles.a]\nenvironment = \"production\"\n[profiles.a.policy]\nagent = \"review\"\nrow_limit = 50\n\
             [profiles.b]\nenvironment = \"Production\"\n[profiles.b.policy]\nrow_limit = 10\nstatement_timeout = \"2s\"\n\
             [profiles.c]\nenvironment = \"staging\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let p = c.policy_for("production").unwrap();
        assert_eq!((p.agent, p.row_limit, p.statement_timeout.as_deref()), (AgentPolicy::Review, Some(10), Some("2s")));
        assert_eq!(c.policy_for("staging").unwrap().agent, AgentPolicy::Read);
        assert!(c.policy_for("development").is_none());
        let off = Policy { agent: AgentPolicy::Off, statement_timeout: Some("500ms".into()), ..Default::default() };
        let s = p.stricter(&off);
        assert_eq!((s.agent, s.statement_timeout.as_deref()), (AgentPolicy::Off, Some("500ms")));
    }

    #[test]
    fn profiles_and_unknown_keys() {
        let c = parse(
            "default_profile = \"prod\"\n[profiles.prod]\nenvironment = \"production\"\ndsn = \"postgres://ro@db/app\"\nrow_limit = 100\nstatement_timeout = \"5s\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let loaded = Loaded { config: c, path: Some("t.toml".into()), searched: vec![] };
        let (name, p) = loaded.profile(None).unwrap().unwrap();
        assert_eq!(name, "prod");
        assert_eq!(p.row_limit, Some(100));
        assert!(matches!(loaded.profile(Some("nope")), Err(ConfigError::NoProfile(..))));
        let err = parse("[profiles.prod]\nhots = \"x\"\n", Path::new("t.toml")).unwrap_err().to_string();
        assert!(err.contains("hots"), "{err}");
        assert!(parse("default_profile = \"x\"\n", Path::new("t.toml")).is_err());
        assert_eq!(
            Profile { service: Some("prod".into()), ..Default::default() }.conninfo().as_deref(),
            Some("service='prod'")
        );
    }
}
