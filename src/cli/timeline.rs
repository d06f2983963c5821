//! `warroom note` and `warroom timeline export|verify`: the incident's journal from the
//! command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CliError, ExportFormat, NoteArgs, Style, TimelineCommand, exit};
use crate::incident::{self, Chosen};
use crate::plan::{file, store};
use crate::timeline::{self, Entry, Journal, export};

/// The incident a command works on: named (`--incident`, `WARROOM_INCIDENT`), else the
/// most recently active one (and it says so), else, with `start_new`, a new one.
pub(super) fn pick(incidents_dir: Option<&Path>, named: Option<&str>, start_new: bool) -> Result<Chosen, CliError> {
    let root = incident::root(incidents_dir);
    let chosen = match incident::choose(&root, named) {
        Ok(c) => c,
        Err(incident::IncidentError::NoneYet(_)) if start_new => {
            let id = incident::new_id(jiff::Timestamp::now());
            eprintln!("warroom: no incident named and none active: starting incident {id}.");
            Chosen { dir: root.join(&id), id, guessed: false }
        }
        Err(e) => return Err(CliError::Usage(e.to_string())),
    };
    if chosen.guessed {
        eprintln!("warroom: using the most recently active incident, {} (--incident names another).", chosen.id);
    }
    Ok(chosen)
}

/// Records `entry` in the incident's timeline; a failure is an error the user must see.
pub(super) fn record(chosen: &Chosen, entry: Entry) -> Result<timeline::Event, CliError> {
    Journal::new(&chosen.dir, incident::operator()).record(entry).map_err(|e| {
        CliError::Usage(format!("cannot write the timeline {}: {e}", chosen.dir.join(timeline::JOURNAL).display()))
    })
}

fn incidents_dir(config: Option<&Path>) -> Result<Option<PathBuf>, CliError> {
    let loaded = crate::config::load(config).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(loaded.config.incidents_dir)
}

pub fn note(args: NoteArgs) -> Result<u8, CliError> {
    let text = match args.text.as_slice() {
        [dash] if dash == "-" => super::read_input(Path::new("-"))?,
        words => words.join(" "),
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(CliError::Usage(
            "nothing to note: give the note as TEXT (or `-` to read it from standard input)".into(),
        ));
    }
    let dir = incidents_dir(args.config.as_deref())?;
    let chosen = pick(dir.as_deref(), args.incident.as_deref(), true)?;
    let event = record(&chosen, Entry::note("warroom note", text))?;
    println!("Noted in incident {}'s timeline (event {}, {}).", chosen.id, event.seq, event.occurred_at);
    Ok(exit::DONE)
}

pub fn command(cmd: TimelineCommand) -> Result<u8, CliError> {
    match cmd {
        TimelineCommand::Export { incident, config, format, output } => {
            let dir = incidents_dir(config.as_deref())?;
            let chosen = pick(dir.as_deref(), incident.as_deref(), false)?;
            let reading = read(&chosen)?;
            warn_integrity(&reading);
            let text = render(&chosen, &reading, format);
            match output {
                Some(path) if path.as_os_str() != "-" => {
                    file::write_atomic(&path, text.as_bytes())
                        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
                    eprintln!(
                        "warroom: wrote incident {}'s timeline ({}) to {}.",
                        chosen.id,
                        crate::words::plural(reading.events.len(), "event"),
                        path.display()
                    );
                }
                _ => {
                    let mut out = std::io::stdout().lock();
                    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
                        && e.kind() != std::io::ErrorKind::BrokenPipe
                    {
                        return Err(CliError::Usage(format!("cannot write the export: {e}")));
                    }
                }
            }
            Ok(exit::DONE)
        }
        TimelineCommand::Verify { incident, config } => {
            let dir = incidents_dir(config.as_deref())?;
            let chosen = pick(dir.as_deref(), incident.as_deref(), false)?;
            let reading = read(&chosen)?;
            let style = Style::detect();
            let path = chosen.dir.join(timeline::JOURNAL);
            if reading.broken.is_empty() {
                println!("{} {}: {}.", style.read("INTACT"), path.display(), reading.integrity());
                Ok(exit::DONE)
            } else {
                println!("{} {}: {}.", style.write("TAMPERED"), path.display(), reading.integrity());
                Ok(exit::REFUSED)
            }
        }
    }
}

fn read(chosen: &Chosen) -> Result<timeline::Reading, CliError> {
    let path = chosen.dir.join(timeline::JOURNAL);
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "incident {} has no timeline yet ({} does not exist)",
            chosen.id,
            path.display()
        )));
    }
    Journal::new(&chosen.dir, "").read().map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))
}

fn warn_integrity(reading: &timeline::Reading) {
    if !reading.broken.is_empty() || !reading.skipped.is_empty() {
        eprintln!("warroom: warning: {}.", reading.integrity());
    }
}

/// The export in `format`, with the plan's status as it is on disk now.
fn render(chosen: &Chosen, reading: &timeline::Reading, format: ExportFormat) -> String {
    let format = match format {
        ExportFormat::Md => export::Format::Markdown,
        ExportFormat::Json => export::Format::Json,
    };
    export::render(&chosen.id, reading, format, store::info(&chosen.dir).as_ref())
}
