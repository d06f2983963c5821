//! The Claude Code PreToolUse hook in assets/hooks, fed tool calls as Claude Code sends them.

use std::io::Write;
use std::process::{Command, Stdio};

fn hook(command: &str) -> (i32, String) {
    let call = serde_json::json!({
        "session_id": "test", "hook_event_name": "PreToolUse", "tool_name": "Bash",
        "tool_input": { "command": command }
    });
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/hooks/warroom-psql-guard.py"))
        .env("WARROOM", env!("CARGO_BIN_EXE_warroom"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the hook");
    child.stdin.take().unwrap().write_all(call.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn reads_pass_writes_are_blocked() {
    assert_eq!(hook("psql -X -h db -c 'SELECT count(*) FROM users WHERE email IS NULL'").0, 0);
    assert_eq!(hook("ls -la && echo hi").0, 0);
    assert_eq!(hook("psql --command=\"SELECT 1\" | head").0, 0);

    let (code, err) = hook("psql -c 'DELETE FROM users WHERE email IS NULL'");
    assert_eq!(code, 2);
    assert!(err.contains("DELETE FROM users removes rows"), "{err}");

    assert_eq!(hook("cd /tmp && /usr/bin/psql app -c \"SELECT 1; DROP TABLE users\"").0, 2);
    assert_eq!(hook("psql -c 'SELECT 1' && psql -c 'TRUNCATE users'").0, 2);
    assert_eq!(hook("psql -c'UPDATE users SET x = 1'").0, 2);
    // SQL the hook cannot see is refused.
    assert_eq!(hook("psql app < cleanup.sql").0, 2);
    assert_eq!(hook("echo 'DELETE FROM users' | psql").0, 2);
}

#[test]
fn other_tools_are_left_alone() {
    let mut child = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/hooks/warroom-psql-guard.py"))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(br#"{"tool_name":"Read","tool_input":{"file_path":"x"}}"#).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
