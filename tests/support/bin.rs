//! The real binary, run as a new user would: its state in a folder of the test's own, no
//! config file, no WARROOM_INCIDENT.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// `warroom ARGS` with `XDG_STATE_HOME=state`: (exit status, stdout, stderr).
pub fn warroom(state: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("WARROOM_CONFIG", "/dev/null")
        .env_remove("WARROOM_INCIDENT")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}
