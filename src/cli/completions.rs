//! `warroom completions SHELL` and `warroom man`: from the same clap definitions.

use super::*;

/// A completion script for `shell`, else the manual page, from the same clap definitions.
pub(super) fn shell_help(shell: Option<clap_complete::Shell>) -> Result<u8, CliError> {
    use clap::CommandFactory;
    let mut out = std::io::stdout().lock();
    let written = match shell {
        Some(shell) => {
            clap_complete::generate(shell, &mut Cli::command(), "warroom", &mut out);
            Ok(())
        }
        None => clap_mangen::Man::new(Cli::command()).render(&mut out),
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Usage(format!("cannot write: {e}"))),
        _ => Ok(exit::DONE),
    }
}
