//! `warroom mcp` driven by a client this project did not write: the official MCP Python
//! SDK, over stdio, against the demo incident on a real PostgreSQL.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mcp.rs"]
mod mcp;

use std::path::PathBuf;

use mcp::{drive, python};
use serde_json::{Value, json};
use warroom::demo::{ADMIN, DEMO_DB, READ_ONLY_ROLE};

const DEMO_DELETE: &str = "DELETE FROM users WHERE email IS NULL";

#[test]
fn an_agent_works_through_the_guard_the_session_and_the_plan() {
    let Some(python) = python() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let admin = |sql: &str| cluster.psql(ADMIN, DEMO_DB, sql).unwrap().trim().to_string();
    let users_before =
        admin("SELECT count(*), md5(string_agg(id::text || coalesce(email, ''), ',' ORDER BY id)) FROM users");
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT id, email FROM users ORDER BY id LIMIT 3" } },
        { "tool": "run_read", "arguments": { "sql": DEMO_DELETE } },
        { "tool": "run_read", "arguments": { "sql": "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone" } },
        { "tool": "run_read", "arguments": { "sql": "SELECT 1; COMMIT; DROP TABLE users" } },
        { "tool": "stage_write", "arguments": { "sql": DEMO_DELETE, "why": "the 14:02 deploy wrote users without email" } },
        { "tool": "note", "arguments": { "text": "users with NULL email appeared after the 14:02 deploy" } },
        { "tool": "review_sql", "arguments": { "sql": "SELECT 1; DELETE FROM users" } },
        { "tool": "explain_read", "arguments": { "sql": "SELECT * FROM users WHERE email IS NULL" } },
        { "tool": "describe", "arguments": { "table": "users" } },
        { "tool": "describe", "arguments": {} },
        { "tool": "runbook", "arguments": { "heading": "Blocking locks" } },
        { "tool": "posture", "arguments": {} },
        { "tool": "run_read", "arguments": {} },
        { "tool": "run_read", "arguments": { "sql": 42 } },
        { "tool": "no_such_tool", "arguments": {} },
        { "tool": "run_read", "arguments": { "sql": "x".repeat(2 * 1024 * 1024) } },
    ]);
    let out = drive(&python, state.path(), &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-mcp"]);
    let c = |i: usize| &out["calls"][i];
    let text = |i: usize| c(i)["text"].as_str().unwrap_or_default().to_string();

    assert_eq!(out["server"], "warroom");
    assert!(out["instructions"].as_str().unwrap().contains("Writes never run"), "{}", out["instructions"]);
    let tools: Vec<&str> = out["tools"].as_object().unwrap().keys().map(String::as_str).collect();
    for t in ["review_sql", "run_read", "explain_read", "stage_write", "describe", "runbook", "note", "posture"] {
        assert!(tools.contains(&t), "{t} is listed: {tools:?}");
    }
    assert_eq!(out["tools"]["run_read"]["properties"]["sql"]["type"], "string");

    // A read returns rows, as structured content and as a table.
    assert_eq!(c(0)["is_error"], false, "{}", text(0));
    assert_eq!(c(0)["structured"]["statements"][0]["row_count"], 3);
    assert_eq!(c(0)["structured"]["statements"][0]["columns"][1]["name"], "email");
    assert!(text(0).contains("email"), "{}", text(0));
    // Writes are tool errors naming each WRITE and why; nothing reaches the server.
    for (i, must) in [(1, vec!["DELETE"]), (2, vec!["data-modifying CTE"]), (3, vec!["COMMIT", "DROP TABLE users"])] {
        assert_eq!(c(i)["is_error"], true, "{}", text(i));
        assert!(text(i).contains("Refused: nothing ran"), "{}", text(i));
        for m in must {
            assert!(text(i).contains(m), "call {i} names {m}: {}", text(i));
        }
    }
    assert_eq!(
        admin("SELECT count(*), md5(string_agg(id::text || coalesce(email, ''), ',' ORDER BY id)) FROM users"),
        users_before
    );
    // A stage is a DRAFT step with evidence; nothing ran.
    assert_eq!(c(4)["is_error"], false, "{}", text(4));
    let step = &c(4)["structured"]["steps"][0];
    assert_eq!(c(4)["structured"]["status"], "DRAFT");
    assert!(step["rows"].as_u64().is_some_and(|n| n > 0), "{step}");
    assert_eq!(step["evidence_missing"], Value::Null, "{step}");
    let plan = c(4)["structured"]["plan"].as_str().unwrap().to_string();
    let (code, verified, _) = bin::warroom(state.path(), &["plan", "verify", &plan]);
    assert_eq!(code, 1, "a DRAFT plan does not verify: {verified}");
    assert!(verified.contains("NOT VERIFIED") && verified.contains("it is a DRAFT"), "{verified}");
    assert_eq!(
        admin("SELECT count(*), md5(string_agg(id::text || coalesce(email, ''), ',' ORDER BY id)) FROM users"),
        users_before
    );
    // The other tools.
    assert_eq!(c(5)["is_error"], false, "{}", text(5));
    assert_eq!(c(6)["structured"]["verdict"], "write");
    assert_eq!(c(6)["structured"]["statements"][1]["kind"], "delete");
    assert!(text(7).contains("Seq Scan on users") || text(7).contains("Scan"), "{}", text(7));
    assert!(text(8).contains("email") && text(8).contains("primary key"), "{}", text(8));
    assert!(text(9).contains("users") && text(9).contains("orders"), "{}", text(9));
    assert!(text(10).contains("pg_blocking_pids") || text(10).to_lowercase().contains("lock"), "{}", text(10));
    assert_eq!(c(11)["is_error"], false, "{}", text(11));
    // Bad input: clear tool errors, and the server stays up for the next call.
    for i in 12..16 {
        assert_eq!(c(i)["is_error"], true, "call {i}: {}", text(i));
    }
    assert!(text(15).contains("at most"), "{}", text(15));

    // The timeline holds the agent's work, as the agent, and still verifies.
    let dir = PathBuf::from(&plan).parent().unwrap().to_path_buf();
    let journal =
        std::fs::read_to_string(dir.join("timeline.jsonl")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let events: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["read", "refused", "staged", "note", "review"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(events.iter().all(|e| e["actor"] == "agent:pytest-agent"), "{journal}");
    assert!(events.iter().filter(|e| e["kind"] != "note").all(|e| e["details"]["source"] == "mcp"), "{journal}");
    let (code, said, err) = bin::warroom(state.path(), &["timeline", "verify", "--incident", "inc-mcp"]);
    assert_eq!(code, 0, "{said}{err}");
    assert!(said.contains("INTACT"), "{said}");
}

/// A config whose profile `p` points at `dsn` with this agent policy.
fn config_with_policy(dir: &std::path::Path, dsn: &str, agent: &str) -> PathBuf {
    let path = dir.join(format!("warroom-{agent}.toml"));
    let text = format!(
        "[profiles.p]\nenvironment = \"staging\"\ndsn = \"{dsn}\"\n[profiles.p.policy]\nagent = \"{agent}\"\nrow_limit = 2\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_policy_and_the_kill_switch_hold_for_agents() {
    let Some(python) = python() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);

    // agent = "off": the server does not start.
    let off = config_with_policy(state.path(), &dsn, "off");
    let (code, _, err) = bin::warroom(state.path(), &["mcp", "--config", off.to_str().unwrap(), "--profile", "p"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("agent = \"off\"") && err.contains("profile p"), "{err}");

    // agent = "review": reviewing and staging, not reading.
    let review = config_with_policy(state.path(), &dsn, "review");
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT 1" } },
        { "tool": "describe", "arguments": {} },
        { "tool": "review_sql", "arguments": { "sql": "SELECT 1" } },
        { "tool": "stage_write", "arguments": { "sql": "DELETE FROM users WHERE email IS NULL", "why": "cleanup" } },
    ]);
    let args = ["mcp", "--config", review.to_str().unwrap(), "--profile", "p", "--incident", "inc-policy"];
    let out = drive(&python, state.path(), &calls, &args);
    for i in [0, 1] {
        assert_eq!(out["calls"][i]["is_error"], true, "{}", out["calls"][i]);
        assert!(out["calls"][i]["text"].as_str().unwrap().contains("agent = \"review\""), "{}", out["calls"][i]);
    }
    assert_eq!(out["calls"][2]["is_error"], false, "{}", out["calls"][2]);
    assert_eq!(out["calls"][3]["is_error"], false, "{}", out["calls"][3]);

    // agent = "read" (the default) with the policy's row limit of 2.
    let read = config_with_policy(state.path(), &dsn, "read");
    let calls =
        json!([{ "tool": "run_read", "arguments": { "sql": "SELECT id FROM users ORDER BY id", "limit": 100 } }]);
    let args = ["mcp", "--config", read.to_str().unwrap(), "--profile", "p", "--incident", "inc-policy"];
    let out = drive(&python, state.path(), &calls, &args);
    assert_eq!(out["calls"][0]["structured"]["statements"][0]["row_count"], 2, "{}", out["calls"][0]);
    assert_eq!(out["calls"][0]["structured"]["statements"][0]["more"], true);

    // The kill switch: query, stage and every tool refuse, naming it; thaw lifts it.
    let (code, said, err) =
        bin::warroom(state.path(), &["freeze", "--reason", "failover in progress", "--incident", "inc-policy"]);
    assert_eq!(code, 0, "{said}{err}");
    let (code, _, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn, "SELECT 1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("FROZEN") && err.contains("failover in progress"), "{err}");
    let (code, _, err) =
        bin::warroom(state.path(), &["stage", "--dsn", &dsn, "--incident", "inc-policy", "DELETE FROM users"]);
    assert_eq!(code, 1, "{err}");
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT 1" } },
        { "tool": "stage_write", "arguments": { "sql": "DELETE FROM users", "why": "x" } },
    ]);
    let out = drive(&python, state.path(), &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-policy"]);
    for i in [0, 1] {
        assert_eq!(out["calls"][i]["is_error"], true, "{}", out["calls"][i]);
        assert!(out["calls"][i]["text"].as_str().unwrap().contains("failover in progress"), "{}", out["calls"][i]);
    }
    let (code, said, err) = bin::warroom(state.path(), &["thaw", "--incident", "inc-policy"]);
    assert_eq!(code, 0, "{said}{err}");
    assert!(said.contains("Thawed"), "{said}");
    let (code, out, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn, "SELECT 1 AS one"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, md, _) = bin::warroom(state.path(), &["timeline", "export", "--incident", "inc-policy"]);
    assert!(md.contains("FROZEN by") && md.contains("failover in progress") && md.contains("Thawed by"), "{md}");
}

/// The cluster's pin, not the profile's label, says whose policy an agent gets: a profile
/// that says staging on a cluster that is production (or unpinned, so treated as one) gets
/// production's stricter policy.
#[test]
fn the_stricter_environments_policy_applies() {
    let Some(python) = python() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);
    let config = state.path().join("warroom.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.staging]\nenvironment = \"staging\"\ndsn = \"{dsn}\"\n\
             [profiles.prod]\nenvironment = \"production\"\ndsn = \"{dsn}\"\n[profiles.prod.policy]\nagent = \"review\"\n"
        ),
    )
    .unwrap();
    let calls = json!([{ "tool": "run_read", "arguments": { "sql": "SELECT 1" } }]);
    let args = ["mcp", "--config", config.to_str().unwrap(), "--profile", "staging", "--incident", "inc-env"];
    let out = drive(&python, state.path(), &calls, &args);
    assert_eq!(out["calls"][0]["is_error"], true, "unpinned is production: {}", out["calls"][0]);
    assert!(out["calls"][0]["text"].as_str().unwrap().contains("agent = \"review\""), "{}", out["calls"][0]);

    let (code, _, err) = bin::warroom(state.path(), &["pin", &dsn, "staging"]);
    assert_eq!(code, 0, "{err}");
    let out = drive(&python, state.path(), &calls, &args);
    assert_eq!(out["calls"][0]["is_error"], false, "pinned as staging: {}", out["calls"][0]);
}

/// On a database with more readable relations than an agent can use at once, describe
/// lists the largest 200 and says how many more there are; a table by name still works.
#[test]
fn describe_lists_a_page_of_a_large_catalog_and_says_how_many_more() {
    let Some(python) = python() else { return };
    let Some(cluster) = mcp::demo() else { return };
    let tables: String = (0..230).map(|i| format!("CREATE TABLE many_{i} (id int);")).collect();
    cluster
        .psql(ADMIN, DEMO_DB, &format!("{tables} GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READ_ONLY_ROLE};"))
        .unwrap();
    let total: usize = cluster
        .psql(
            READ_ONLY_ROLE,
            DEMO_DB,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') \
             AND n.nspname NOT LIKE 'pg_toast%' AND has_table_privilege(c.oid, 'SELECT')",
        )
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let dsn = cluster.dsn(READ_ONLY_ROLE, DEMO_DB);
    let calls = json!([
        { "tool": "describe", "arguments": {} },
        { "tool": "describe", "arguments": { "table": "many_7" } },
    ]);
    let out = drive(&python, state.path(), &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-many"]);
    let list = &out["calls"][0];
    assert_eq!(list["is_error"], false, "{list}");
    assert_eq!(list["structured"]["rows"].as_array().unwrap().len(), 200);
    assert_eq!(list["structured"]["more"], total - 200);
    let said = list["text"].as_str().unwrap();
    assert!(said.contains(&format!("and {} more", total - 200)) && said.contains("users"), "{said}");
    let one = &out["calls"][1];
    assert_eq!(one["is_error"], false, "{one}");
    assert!(one["text"].as_str().unwrap().contains("column\tid"), "{one}");
}
