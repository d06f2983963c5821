//! `warroom hook claude` fed tool calls as Claude Code sends them, and `warroom hook install`
//! on a settings file that already has other hooks and permissions.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The hook's answer to `input` (exit status, decision or "pass", reason), with its state in `state`.
fn hook_raw(state: &Path, input: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.args(["hook", "claude"])
        .env("XDG_STATE_HOME", state)
        .env("WARROOM_CONFIG", "/dev/null")
        .env_remove("WARROOM_INCIDENT")
        .env_remove("WARROOM_FREEZE_FILE")
        .current_dir(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if stdout.trim().is_empty() {
        return (out.status.code().unwrap_or(-1), "pass".into(), String::new());
    }
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let o = &v["hookSpecificOutput"];
    assert_eq!(o["hookEventName"], "PreToolUse");
    (
        out.status.code().unwrap_or(-1),
        o["permissionDecision"].as_str().unwrap().to_string(),
        o["permissionDecisionReason"].as_str().unwrap().to_string(),
    )
}

fn bash(command: &str) -> String {
    json!({ "session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command } })
        .to_string()
}

#[test]
fn every_way_sql_reaches_postgres() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("cleanup.sql"), "DELETE FROM users WHERE email IS NULL;").unwrap();
    std::fs::write(state.path().join("report.sql"), "SELECT count(*) FROM users;").unwrap();
    // (command, decision, a fragment the reason must hold)
    let cases: &[(&str, &str, &str)] = &[
        ("psql -X -h db -c 'SELECT count(*) FROM users WHERE email IS NULL'", "allow", "read"),
        ("psql -c 'DELETE FROM users WHERE email IS NULL'", "deny", "DELETE FROM users"),
        ("psql -Atc \"UPDATE users SET x = 1\" app", "deny", "UPDATE users"),
        ("psql --command='SELECT 1; DROP TABLE users'", "deny", "DROP TABLE users"),
        ("psql -f report.sql", "allow", "read"),
        ("psql -f cleanup.sql", "deny", "DELETE FROM users"),
        ("psql app < cleanup.sql", "deny", "DELETE FROM users"),
        ("psql -f missing.sql", "deny", "missing.sql"),
        ("cat cleanup.sql | psql", "deny", "DELETE FROM users"),
        ("echo 'TRUNCATE users' | psql app", "deny", "TRUNCATE"),
        ("psql app <<'EOF'\nDELETE FROM users;\nEOF", "deny", "DELETE FROM users"),
        ("psql app <<< 'SELECT 1'", "allow", "read"),
        ("psql app", "deny", "does not show"),
        ("psql -c \"$SQL\"", "deny", "built by the shell"),
        ("some-generator | psql -f -", "deny", "does not show"),
        ("bash -c \"psql -c 'DELETE FROM users'\"", "deny", "DELETE FROM users"),
        ("sh -c 'psql -c \"SELECT 1\"'", "allow", "read"),
        ("env PGUSER=app psql -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("sudo -u postgres psql -c 'DROP DATABASE app'", "deny", "DROP DATABASE"),
        ("docker exec -it db psql -U app -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("kubectl exec -n prod pod/db -- psql -c 'DELETE FROM users'", "deny", "DELETE FROM users"),
        ("ssh db1 psql -c \"'DELETE FROM users'\"", "deny", "DELETE FROM users"),
        ("echo ids.txt | xargs psql -c", "deny", "xargs"),
        ("n=$(psql -Atc 'DELETE FROM users RETURNING 1')", "deny", "DELETE FROM users"),
        ("echo `psql -c 'DELETE FROM users'`", "deny", "DELETE FROM users"),
        ("psql -c 'SELECT 1' && psql -c 'TRUNCATE users'", "deny", "TRUNCATE"),
        ("dropdb app", "deny", "dropdb"),
        ("createdb scratch", "deny", "createdb"),
        ("pg_restore --clean -d app dump.pgc", "deny", "pg_restore"),
        ("pg_ctl -D /var/lib/pg stop", "deny", "pg_ctl"),
        ("pg_ctlcluster 15 main restart", "deny", "pg_ctlcluster"),
        ("vacuumdb --all", "deny", "vacuumdb"),
        ("reindexdb app", "deny", "reindexdb"),
        ("clusterdb app", "deny", "clusterdb"),
        ("pg_resetwal -f /d", "deny", "pg_resetwal"),
        ("psql -l", "allow", "read"),
        ("psql -c '\\d users'", "allow", "read"),
        ("psql -c '\\! rm -rf /'", "deny", "meta-command"),
        ("psql -c 'SELECT 1' | head", "allow", "read"),
        // Only look dangerous: not database calls, warroom has no say.
        ("grep DELETE log.txt", "pass", ""),
        ("echo \"DROP TABLE\"", "pass", ""),
        ("git commit -m \"drop table users\"", "pass", ""),
        ("ls -la && echo hi", "pass", ""),
    ];
    for (command, decision, why) in cases {
        let (code, got, reason) = hook_raw(state.path(), &bash(command), &[]);
        assert_eq!(code, 0, "{command}");
        assert_eq!(&got, decision, "{command}: {reason}");
        assert!(reason.contains(why), "{command}: the reason names {why:?}: {reason}");
    }
}

#[test]
fn other_tools_bad_input_freeze_and_policy() {
    let state = tempfile::tempdir().unwrap();
    let mcp = |tool: &str, args: Value| json!({ "tool_name": tool, "tool_input": args }).to_string();
    let (_, d, r) = hook_raw(state.path(), &mcp("mcp__postgres__query", json!({ "sql": "DELETE FROM users" })), &[]);
    assert_eq!((d.as_str(), r.contains("DELETE FROM users")), ("deny", true), "{r}");
    let (_, d, _) = hook_raw(state.path(), &mcp("mcp__supabase__execute_sql", json!({ "query": "SELECT 1" })), &[]);
    assert_eq!(d, "allow");
    let (_, d, _) = hook_raw(state.path(), &mcp("mcp__warroom__run_read", json!({ "sql": "DELETE FROM users" })), &[]);
    assert_eq!(d, "pass", "warroom mcp's tools guard themselves");
    let (_, d, _) = hook_raw(state.path(), &mcp("Read", json!({ "file_path": "x" })), &[]);
    assert_eq!(d, "pass");
    for broken in ["{not json", "", "[1,2]", "{\"tool_name\":\"Bash\",\"tool_input\":{}}"] {
        let (code, d, r) = hook_raw(state.path(), broken, &[]);
        assert_eq!(code, 0, "{broken:?}");
        if !broken.starts_with('[') {
            assert_eq!(d, "deny", "{broken:?}: {r}");
        }
    }
    // The kill switch denies every database call, naming the freeze.
    let freeze = state.path().join("FREEZE");
    let env = [("WARROOM_FREEZE_FILE", freeze.to_str().unwrap())];
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["freeze", "--reason", "failover in progress"])
        .env("XDG_STATE_HOME", state.path())
        .env("WARROOM_CONFIG", "/dev/null")
        .env("WARROOM_FREEZE_FILE", &freeze)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, d, r) = hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &env);
    assert_eq!(d, "deny");
    assert!(r.contains("FROZEN") && r.contains("failover in progress"), "{r}");
    let (_, d, _) = hook_raw(state.path(), &bash("ls"), &env);
    assert_eq!(d, "pass", "a freeze stops database calls, not the agent's other work");
    // A policy of review: reads do not run.
    let config = state.path().join("warroom.toml");
    std::fs::write(
        &config,
        "default_profile = \"prod\"\n[profiles.prod]\n[profiles.prod.policy]\nagent = \"review\"\n",
    )
    .unwrap();
    let (_, d, r) =
        hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &[("WARROOM_CONFIG", config.to_str().unwrap())]);
    assert_eq!(d, "deny");
    assert!(r.contains("agent = \"review\""), "{r}");
}

#[test]
fn decisions_land_in_the_timeline() {
    let state = tempfile::tempdir().unwrap();
    let (_, d, _) = hook_raw(state.path(), &bash("psql -c 'DELETE FROM users'"), &[("WARROOM_INCIDENT", "inc-hook")]);
    assert_eq!(d, "deny");
    hook_raw(state.path(), &bash("psql -c 'SELECT 1'"), &[("WARROOM_INCIDENT", "inc-hook")]);
    let journal = std::fs::read_to_string(state.path().join("warroom/incidents/inc-hook/timeline.jsonl")).unwrap();
    let events: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2, "{journal}");
    assert!(events.iter().all(|e| e["actor"] == "agent:claude-code" && e["details"]["source"] == "hook"), "{journal}");
    assert_eq!(events[0]["details"]["decision"], "deny");
    assert_eq!(events[1]["details"]["decision"], "allow");
}

#[test]
fn install_keeps_what_is_there_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let before = json!({
        "permissions": { "allow": ["Bash(ls:*)"], "deny": ["Bash(rm:*)"] },
        "hooks": { "PreToolUse": [ { "matcher": "Write", "hooks": [ { "type": "command", "command": "lint-hook" } ] } ],
                   "PostToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "log-it" } ] } ] },
        "model": "opus"
    });
    std::fs::write(&settings, serde_json::to_string_pretty(&before).unwrap()).unwrap();
    let install = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["hook", "install"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    install(&["--project", "--mcp", "prod"]);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(after["permissions"], before["permissions"]);
    assert_eq!(after["model"], "opus");
    assert_eq!(after["hooks"]["PostToolUse"], before["hooks"]["PostToolUse"]);
    let pre = after["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0], before["hooks"]["PreToolUse"][0]);
    assert!(pre[1]["hooks"][0]["command"].as_str().unwrap().ends_with("warroom hook claude"), "{pre:?}");
    let backup = dir.path().join(".claude/settings.json.warroom-backup");
    assert_eq!(serde_json::from_str::<Value>(&std::fs::read_to_string(backup).unwrap()).unwrap(), before);
    let servers: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".mcp.json")).unwrap()).unwrap();
    assert_eq!(servers["mcpServers"]["warroom"]["args"], json!(["mcp", "--profile", "prod"]));
    // Twice: the same file.
    let first = std::fs::read_to_string(&settings).unwrap();
    let said = install(&["--project", "--mcp", "prod"]);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), first);
    assert!(said.contains("unchanged"), "{said}");
    // --print shows it and writes nothing.
    std::fs::remove_file(dir.path().join(".mcp.json")).unwrap();
    let printed = install(&["--print", "--mcp", "staging"]);
    assert!(printed.contains("\"staging\"") && !dir.path().join(".mcp.json").exists(), "{printed}");
}
