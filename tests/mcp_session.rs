//! `warroom mcp`'s session through a night: a DBA ends its backend, the server restarts,
//! the server stops answering mid-read; a DBA's stricter timeout wins; COPY TO STDOUT is a
//! read; clients send numbers as strings. Driven by the official MCP Python SDK.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mcp.rs"]
mod mcp;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warroom::demo::{ADMIN, DEMO_DB, READ_ONLY_ROLE};

/// Waits for the client to reach the pause `name`, runs `act`, and lets it go on.
fn at_pause(state: &Path, name: &str, act: impl FnOnce()) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !state.join(format!("{name}.ready")).exists() {
        assert!(Instant::now() < deadline, "the client never reached the pause {name}");
        std::thread::sleep(Duration::from_millis(50));
    }
    act();
    std::fs::write(state.join(format!("{name}.go")), "").unwrap();
}

#[test]
fn the_agents_session_survives_the_night_and_never_loosens_a_timeout() {
    let Some(python) = mcp::python() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let admin = |sql: &str| cluster.psql(ADMIN, DEMO_DB, sql).unwrap().trim().to_string();
    // The DBA's timeout for the role: stricter than the profile's 30 s.
    admin(&format!("ALTER ROLE {READ_ONLY_ROLE} SET statement_timeout = '2s'"));
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);
    let slow = "SELECT count(*) FROM generate_series(1, 2000000000)";
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT 1 AS one" } },
        { "pause": "terminate" },
        { "tool": "run_read", "arguments": { "sql": "SELECT 2 AS two" } },
        { "pause": "restart" },
        { "tool": "run_read", "arguments": { "sql": "SELECT 3 AS three" } },
        { "tool": "run_read", "arguments": { "sql": "COPY (SELECT id FROM users ORDER BY id LIMIT 2) TO STDOUT" } },
        { "tool": "run_read", "arguments": { "sql": slow } },
        { "tool": "run_read", "arguments": { "sql": "SELECT id FROM users ORDER BY id", "limit": "3" } },
        { "tool": "run_read", "arguments": { "sql": "SELECT 1", "limit": "three" } },
        { "tool": "posture", "arguments": {} },
        { "pause": "stall" },
        { "tool": "run_read", "arguments": { "sql": slow } },
        { "pause": "after_stall" },
        { "tool": "run_read", "arguments": { "sql": "SELECT 4 AS four" } },
        { "tool": "no_such_tool", "arguments": {} },
    ]);
    let client = {
        let (python, state, dsn) = (python.clone(), state.path().to_path_buf(), dsn.clone());
        std::thread::spawn(move || {
            mcp::drive(&python, &state, &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-night"])
        })
    };
    let backend = || {
        admin(&format!(
            "SELECT pid FROM pg_stat_activity WHERE usename = '{READ_ONLY_ROLE}' AND application_name = 'warroom' ORDER BY backend_start DESC LIMIT 1"
        ))
    };
    at_pause(state.path(), "terminate", || {
        let pid = backend();
        assert!(!pid.is_empty(), "warroom mcp's backend is there");
        admin(&format!("SELECT pg_terminate_backend({pid})"));
    });
    at_pause(state.path(), "restart", || {
        cluster.pause().unwrap();
        cluster.resume().unwrap();
    });
    let mut stopped = String::new();
    at_pause(state.path(), "stall", || {});
    // The read starts; then its backend stops answering (SIGSTOP: no reply, no cancel).
    let deadline = Instant::now() + Duration::from_secs(20);
    while stopped.is_empty() {
        assert!(Instant::now() < deadline, "the slow read did not start");
        let pid = admin(&format!(
            "SELECT pid FROM pg_stat_activity WHERE usename = '{READ_ONLY_ROLE}' AND state = 'active' AND query LIKE '%generate_series%' LIMIT 1"
        ));
        if !pid.is_empty() {
            let ok = std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success();
            assert!(ok, "SIGSTOP {pid}");
            stopped = pid;
        } else {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    at_pause(state.path(), "after_stall", || {
        let _ = std::process::Command::new("kill").args(["-CONT", &stopped]).status();
        admin(&format!("SELECT pg_terminate_backend({stopped})"));
    });
    let out: Value = client.join().unwrap();
    let c = |i: usize| &out["calls"][i];
    let text = |i: usize| c(i)["text"].as_str().unwrap_or_default().to_string();
    let ms = |i: usize| c(i)["ms"].as_u64().unwrap();

    assert_eq!(c(0)["is_error"], false, "{}", text(0));
    // After the DBA's pg_terminate_backend: the next call reconnects and returns rows.
    assert_eq!(c(1)["is_error"], false, "{}", text(1));
    assert!(
        text(1).contains("reconnected") && c(1)["structured"]["statements"][0]["rows"] == json!([[2]]),
        "{}",
        text(1)
    );
    // After a restart: the same.
    assert_eq!(c(2)["is_error"], false, "{}", text(2));
    assert!(text(2).contains("reconnected"), "{}", text(2));
    // COPY (…) TO STDOUT is a read, its rows returned as rows.
    assert_eq!(c(3)["is_error"], false, "{}", text(3));
    assert_eq!(c(3)["structured"]["statements"][0]["row_count"], 2, "{}", text(3));
    // The role's 2 s beats the profile's 30 s.
    assert_eq!(c(4)["is_error"], true, "{}", text(4));
    assert!(text(4).contains("statement timeout"), "{}", text(4));
    assert!(ms(4) < 4500, "the read ended at the role's 2 s, not the profile's 30 s: {} ms", ms(4));
    // A limit sent as a string is taken; a non-number is a tool error the agent can correct.
    assert_eq!(c(5)["is_error"], false, "{}", text(5));
    assert_eq!(c(5)["structured"]["statements"][0]["row_count"], 3, "{}", text(5));
    assert_eq!(c(6)["is_error"], true);
    assert!(text(6).contains("whole number"), "{}", text(6));
    // The posture says which timeout is in force and where it came from.
    assert!(
        text(7).contains("statement_timeout 2s") && text(7).contains("stricter than the profile's 30s"),
        "{}",
        text(7)
    );
    // A server that stops answering mid-read: the read ends at the bound (2 s + 5 s, then 5 s
    // for the cancel), a tool error; the next call reconnects and works.
    assert_eq!(c(8)["is_error"], true, "{}", text(8));
    assert!(text(8).contains("stopped answering"), "{}", text(8));
    assert!((9000..25000).contains(&ms(8)), "{} ms", ms(8));
    assert_eq!(c(9)["is_error"], false, "{}", text(9));
    assert!(text(9).contains("reconnected"), "{}", text(9));
    // An unknown tool is a protocol error, as the specification says.
    assert!(text(10).contains("protocol error") && text(10).contains("unknown tool"), "{}", text(10));
    // Every tool carries annotations.
    let ann = &out["annotations"];
    for (tool, read_only) in [
        ("run_read", true),
        ("explain_read", true),
        ("describe", true),
        ("runbook", true),
        ("review_sql", true),
        ("posture", true),
        ("stage_write", false),
        ("note", false),
    ] {
        let a = &ann[tool];
        let hint = a.get("readOnlyHint").or_else(|| a.get("read_only_hint"));
        assert_eq!(hint, Some(&json!(read_only)), "{tool}: {a}");
        let destructive = a.get("destructiveHint").or_else(|| a.get("destructive_hint"));
        assert_eq!(destructive, Some(&json!(false)), "{tool}: {a}");
    }
    // The timeline holds the losses and the reconnects.
    let journal = std::fs::read_to_string(state.path().join("warroom/incidents/inc-night/timeline.jsonl")).unwrap();
    let events: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let count = |what: &str| events.iter().filter(|e| e["details"]["event"] == what).count();
    assert!(count("connection lost") >= 3 && count("reconnected") >= 3, "{journal}");

    // `warroom query` keeps the role's timeout too.
    let started = Instant::now();
    let (code, _, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn, slow]);
    assert_ne!(code, 0);
    assert!(err.contains("statement timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(4500), "{:?}", started.elapsed());
}

/// The second client: the official TypeScript SDK. Tools with annotations, a string limit,
/// an unknown tool, a refused write.
#[test]
fn the_typescript_sdk_agrees() {
    let Some(modules) = mcp::node_sdk() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT id FROM users ORDER BY id", "limit": "3" } },
        { "tool": "no_such_tool", "arguments": {} },
        { "tool": "run_read", "arguments": { "sql": "DELETE FROM users WHERE email IS NULL" } },
    ]);
    let out = mcp::drive_ts(&modules, state.path(), &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-ts"]);
    assert_eq!(out["server"], "warroom");
    assert_eq!(out["tools"]["run_read"]["readOnlyHint"], true, "{}", out["tools"]);
    assert_eq!(out["tools"]["stage_write"]["readOnlyHint"], false, "{}", out["tools"]);
    assert_eq!(out["tools"]["stage_write"]["destructiveHint"], false, "{}", out["tools"]);
    assert_eq!(out["calls"][0]["is_error"], false, "{}", out["calls"][0]);
    assert_eq!(out["calls"][0]["structured"]["statements"][0]["row_count"], 3, "{}", out["calls"][0]);
    assert_eq!(out["calls"][1]["protocol_error"]["code"], -32602, "{}", out["calls"][1]);
    assert_eq!(out["calls"][2]["is_error"], true, "{}", out["calls"][2]);
    assert!(out["calls"][2]["text"].as_str().unwrap().contains("Refused"), "{}", out["calls"][2]);
    let admin = cluster.psql(ADMIN, DEMO_DB, "SELECT count(*) FROM users WHERE email IS NULL").unwrap();
    assert_ne!(admin.trim(), "0", "the refused DELETE did not run");
}
