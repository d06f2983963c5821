//! `warroom plan verify FILE`: is this plan.sql sealed and reviewed?

use super::*;

pub(super) fn plan_verify(file: &std::path::Path) -> Result<u8, CliError> {
    let text = read_input(file)?;
    let style = Style::detect();
    match crate::plan::file::verify(&text) {
        Ok(v) => {
            println!(
                "{} {}: incident {}, reviewed by {} at {}; its steps are what was reviewed.",
                style.read("VERIFIED"),
                file.display(),
                v.incident,
                v.by,
                v.at
            );
            Ok(exit::DONE)
        }
        Err(e) => {
            println!("{} {} must not be applied: {e}.", style.write("NOT VERIFIED"), file.display());
            Ok(exit::REFUSED)
        }
    }
}
