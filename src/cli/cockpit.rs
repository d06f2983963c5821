//! `warroom [CONN]` and `warroom demo`: open the full-screen cockpit.

use std::path::{Path, PathBuf};

use super::connected::{Resolved, resolve};
use super::{CliError, CockpitArgs, exit};
use crate::app::Setup;
use crate::config::{Keymap, Theme, theme};
use crate::incident;
use crate::plan::store;
use crate::runbook::{self, Runbook};
use crate::runtime::{self as run, Launch};

/// Banner text when no profile says which environment this is: assume the worst.
const DEFAULT_ENVIRONMENT: &str = "production";

/// What the cockpit shows, from the flags, the profile and the config.
pub(super) struct Look<'a> {
    pub incident: Option<String>,
    pub runbook: Option<&'a Path>,
    pub theme: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub host: Option<String>,
    pub greeting: Option<String>,
}

pub(super) fn setup(resolved: &Resolved, look: Look) -> Result<Setup, CliError> {
    let usage = |e: crate::config::ConfigError| CliError::Usage(e.to_string());
    let profile = resolved.profile.as_ref().map(|(_, p)| p);
    let theme_name = look
        .theme
        .map(str::to_string)
        .or_else(|| profile.and_then(|p| p.theme.clone()))
        .or_else(|| resolved.config.theme.clone())
        .unwrap_or_else(|| theme::DEFAULT_THEME.to_string());
    // NO_COLOR (https://no-color.org) unless a theme is asked for by name.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme =
        if no_color && look.theme.is_none() { Theme::monochrome() } else { Theme::load(&theme_name).map_err(usage)? };
    let keymap = Keymap::with_overrides(Some(&resolved.config.keys)).map_err(usage)?;
    let runbook_path: Option<PathBuf> =
        look.runbook.map(Path::to_path_buf).or_else(|| profile.and_then(|p| p.runbook.clone()));
    let runbook = match runbook_path {
        Some(path) => {
            let text = super::read_input(&path)?;
            let name =
                path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
            Runbook::parse(&name, &text)
        }
        None => Runbook::parse(runbook::BUILTIN_NAME, runbook::BUILTIN),
    };
    let target = &resolved.target;
    let host = look.host.unwrap_or_else(|| target.hosts_label());
    let named = look.incident.or_else(|| std::env::var("WARROOM_INCIDENT").ok().filter(|s| !s.is_empty()));
    // A cockpit opened without an incident starts a new one (its folder appears with the
    // session's first event in the timeline).
    let id = named.unwrap_or_else(|| incident::new_id(jiff::Timestamp::now()));
    incident::validate(&id).map_err(|e| CliError::Usage(e.to_string()))?;
    let dir = incident::root(resolved.config.incidents_dir.as_deref()).join(&id);
    let mut greeting = look.greeting;
    let (incident_dir, plan) = match store::load(&dir) {
        Ok(plan) => (Some(dir.clone()), plan),
        Err(e) => {
            greeting = Some(format!("Staging is off: {e}"));
            (None, None)
        }
    };
    let draft = incident::load_draft(&dir);
    Ok(Setup {
        environment: look
            .environment
            .map(str::to_string)
            .or_else(|| profile.and_then(|p| p.environment.clone()))
            .unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_string()),
        host,
        database: target.dbname.clone(),
        role: target.user.clone(),
        incident: Some(id),
        profile: resolved.profile.as_ref().map(|(n, _)| n.clone()),
        row_limit: resolved.row_limit,
        theme,
        keymap,
        runbook,
        greeting,
        incident_dir,
        plan,
        journal_dir: Some(dir),
        freeze_file: Some(super::freeze::path_for(&resolved.config, profile)),
        agent_policy: profile.map(|p| p.policy.agent).unwrap_or_default(),
        draft,
        profile_environment: look
            .environment
            .map(str::to_string)
            .or_else(|| profile.and_then(|p| p.environment.clone())),
    })
}

pub fn open(args: CockpitArgs) -> Result<u8, CliError> {
    let resolved = resolve(&args.conn, args.target.as_deref(), None)?;
    let look = Look {
        incident: args.incident.clone(),
        runbook: args.runbook.as_deref(),
        theme: args.theme.as_deref(),
        environment: None,
        host: None,
        greeting: None,
    };
    let setup = setup(&resolved, look)?;
    launch(setup, resolved)
}

pub(super) fn launch(setup: Setup, resolved: Resolved) -> Result<u8, CliError> {
    let launch = Launch { setup, target: resolved.target, limits: resolved.limits };
    run::cockpit(launch).map(|()| exit::DONE).map_err(|e| CliError::Usage(e.to_string()))
}
