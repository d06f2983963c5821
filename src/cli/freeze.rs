//! `warroom freeze` and `warroom thaw`, and the check every door makes before it acts.

use super::{CliError, FreezeArgs, exit};
use crate::config::{self, Profile};
use crate::freeze;
use crate::incident;
use crate::timeline::{Entry, Journal};

/// The freeze file for this config and profile.
pub(super) fn path_for(config: &config::Config, profile: Option<&Profile>) -> std::path::PathBuf {
    freeze::path(profile.and_then(|p| p.policy.freeze_file.as_deref()), config.freeze_file.as_deref())
}

/// Refuses (exit 1) while the kill switch is pulled, for the config and profile `conn` names.
pub(super) fn refuse_if_frozen(conn: &super::ConnArgs) -> Result<(), CliError> {
    let loaded = config::load(conn.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let profile = loaded.profile(conn.profile.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?.map(|(_, p)| p);
    match freeze::current(&path_for(&loaded.config, profile.as_ref())) {
        Some(f) => Err(CliError::Refused(format!("refused: {}", f.describe()))),
        None => Ok(()),
    }
}

pub fn freeze(args: FreezeArgs) -> Result<u8, CliError> {
    let (loaded, profile) = load(&args)?;
    let path = path_for(&loaded.config, profile.as_ref());
    let reason = args.reason.unwrap_or_default();
    let f = freeze::freeze(&path, &reason)
        .map_err(|e| CliError::Usage(format!("cannot write the freeze file {}: {e}", path.display())))?;
    record(&loaded, args.incident.as_deref(), Entry::freeze("cli", &f.by, &f.reason, &path));
    println!(
        "FROZEN ({}): every warroom using this file refuses reads, stages and agent calls until `warroom thaw`.",
        path.display()
    );
    Ok(exit::DONE)
}

pub fn thaw(args: FreezeArgs) -> Result<u8, CliError> {
    let (loaded, profile) = load(&args)?;
    let path = path_for(&loaded.config, profile.as_ref());
    match freeze::thaw(&path)
        .map_err(|e| CliError::Usage(format!("cannot remove the freeze file {}: {e}", path.display())))?
    {
        Some(was) => {
            let by = incident::operator();
            let entry = Entry::thaw("cli", &by, Some((&was.by, &was.at)), &path);
            record(&loaded, args.incident.as_deref(), entry);
            println!("Thawed ({}): reads run again.", path.display());
        }
        None => println!("Not frozen ({} does not exist): nothing to thaw.", path.display()),
    }
    Ok(exit::DONE)
}

fn load(args: &FreezeArgs) -> Result<(config::Loaded, Option<Profile>), CliError> {
    let loaded = config::load(args.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let profile = loaded.profile(args.profile.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?.map(|(_, p)| p);
    Ok((loaded, profile))
}

/// In the named or most recently active incident's timeline, if there is one (a freeze does
/// not start an incident).
fn record(loaded: &config::Loaded, named: Option<&str>, entry: Entry) {
    let root = incident::root(loaded.config.incidents_dir.as_deref());
    let Ok(chosen) = incident::choose(&root, named) else { return };
    if let Err(e) = Journal::new(&chosen.dir, incident::operator()).record(entry) {
        eprintln!("warroom: the timeline of {} could not record it: {e}", chosen.id);
    }
}
