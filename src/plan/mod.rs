//! Staged writes and their rollback plans. Writes never run in warroom: they are written
//! into files a human reviews and applies by hand.

pub mod file;
pub mod step;
