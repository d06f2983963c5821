//! Shell conventions: completion scripts and the manual page, from the same clap
//! definitions as `--help`, loaded by the shells themselves where they are installed.

use std::process::Command;

fn warroom(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn bash_loads_the_completion_and_completes_subcommands() {
    let (code, script) = warroom(&["completions", "bash"]);
    assert_eq!(code, 0);
    for sub in ["query", "doctor", "pin", "freeze", "completions"] {
        assert!(script.contains(sub), "{sub} is completed");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("warroom.bash");
    std::fs::write(&file, &script).unwrap();
    // bash itself: source the script, then ask its completion function for `warroom pi<TAB>`.
    let probe = format!(
        "source '{}'; COMP_WORDS=(warroom pi); COMP_CWORD=1; COMP_LINE='warroom pi'; COMP_POINT=10; \
         _warroom warroom pi warroom; printf '%s\\n' \"${{COMPREPLY[@]}}\"; complete -p warroom",
        file.display()
    );
    let out = Command::new("bash").args(["--norc", "--noprofile", "-c", &probe]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.lines().any(|l| l == "pin"), "bash completes pi to pin: {said}");
    assert!(said.contains("-F _warroom warroom"), "{said}");
}

#[test]
fn zsh_fish_and_the_manual_page() {
    let (code, zsh) = warroom(&["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(zsh.starts_with("#compdef warroom"), "{zsh}");
    let (_, fish) = warroom(&["completions", "fish"]);
    assert!(fish.contains("complete -c warroom"), "{fish}");
    let (code, man) = warroom(&["man"]);
    assert_eq!(code, 0);
    assert!(man.contains(".TH warroom 1"), "{}", &man[..man.len().min(300)]);
    assert!(man.contains("pin") && man.contains("doctor"), "every subcommand is in the page");
    let (code, _) = warroom(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}
