//! A heavy read is never a surprise: on a table of a few million rows, an unindexed filter is
//! held back with the planner's estimate by `query` (exit 1 unless --heavy) and by `mcp`'s
//! run_read; an indexed lookup runs at once. A real PostgreSQL, the real binary, the
//! official MCP Python SDK.

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mcp.rs"]
mod mcp;

use bin::warroom;
use serde_json::json;
use warroom::demo::{ADMIN, Cluster};

const ROWS: u64 = 3_000_000;

fn big() -> Option<Cluster> {
    let c = match Cluster::start() {
        Ok(c) => c,
        Err(warroom::demo::DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPING: PostgreSQL is not installed");
            return None;
        }
        Err(e) => panic!("the test cluster did not start: {e}"),
    };
    c.psql(
        ADMIN,
        "postgres",
        &format!(
            "CREATE TABLE orders AS SELECT g AS id, g % 5000 AS customer_id, (g % 7)::text AS status \
             FROM generate_series(1, {ROWS}) g;
             ALTER TABLE orders ADD PRIMARY KEY (id);
             ANALYZE orders;
             CREATE ROLE reader LOGIN; GRANT SELECT ON orders TO reader;"
        ),
    )
    .unwrap();
    Some(c)
}

const UNINDEXED: &str = "SELECT * FROM orders WHERE customer_id = 42";
const INDEXED: &str = "SELECT * FROM orders WHERE id = 42";

#[test]
fn query_holds_back_a_heavy_read_unless_told() {
    let Some(c) = big() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dsn = c.dsn("reader", "postgres");

    let (code, out, err) = warroom(tmp.path(), &["query", &dsn, "--incident", "inc-heavy", UNINDEXED]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "nothing ran: {out}");
    assert!(err.contains("held back: statement #1 would be a heavy read"), "{err}");
    assert!(err.contains("seq scan of public.orders (~3.0M rows)"), "{err}");
    assert!(err.contains("--heavy"), "{err}");

    let (code, out, err) =
        warroom(tmp.path(), &["query", &dsn, "--csv", "--heavy", "--limit", "0", "--incident", "inc-heavy", UNINDEXED]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1 + (ROWS / 5000) as usize, "{out}");

    let (code, out, err) = warroom(tmp.path(), &["query", &dsn, "--csv", INDEXED]);
    assert_eq!(code, 0, "an indexed lookup runs at once: {err}");
    assert_eq!(out, "id,customer_id,status\n42,42,0\n");
    // The row limit makes a plain scan light: it stops after 501 rows.
    let (code, _, err) = warroom(tmp.path(), &["query", &dsn, "--limit", "500", "SELECT * FROM orders"]);
    assert_eq!(code, 0, "{err}");
    // Counting every row is heavy; the server's own views are never asked about.
    let (code, _, _) = warroom(tmp.path(), &["query", &dsn, "SELECT count(*) FROM orders"]);
    assert_eq!(code, 1);
    let (code, _, err) = warroom(tmp.path(), &["query", &dsn, "SELECT count(*) FROM pg_stat_activity"]);
    assert_eq!(code, 0, "{err}");

    // The timeline says what was held back and what ran anyway.
    let (_, timeline, _) = warroom(tmp.path(), &["timeline", "export", "--incident", "inc-heavy", "--format", "json"]);
    let events: serde_json::Value = serde_json::from_str(&timeline).unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["held", "read"], "{timeline}");
    assert_eq!(events[1]["details"]["heavy_allowed"], true);

    // A profile's limits: a lower max_rows_scanned holds back what the default lets through.
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, format!("[profiles.p]\ndsn = \"{dsn}\"\nmax_rows_scanned = 100\nmax_cost = 0\n")).unwrap();
    let (code, _, err) = warroom(
        tmp.path(),
        &["query", "--config", config.to_str().unwrap(), "--profile", "p", "--limit", "500", "SELECT * FROM orders"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("limits: 100 rows)"), "{err}");
}

#[test]
fn run_read_refuses_a_heavy_read_with_the_estimate() {
    let Some(python) = mcp::python() else { return };
    let Some(c) = big() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dsn = c.dsn("reader", "postgres");
    let calls = json!([
        { "tool": "run_read", "arguments": { "sql": UNINDEXED } },
        { "tool": "run_read", "arguments": { "sql": INDEXED } },
    ]);
    let out = mcp::drive(&python, tmp.path(), &calls, &["mcp", "--dsn", &dsn, "--incident", "inc-agent"]);
    let text = |i: usize| out["calls"][i]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(out["calls"][0]["is_error"], true, "{}", text(0));
    assert!(text(0).contains("Held back, nothing of statement #1 ran"), "{}", text(0));
    assert!(text(0).contains("seq scan of public.orders (~3.0M rows)"), "{}", text(0));
    assert_eq!(out["calls"][1]["is_error"], false, "{}", text(1));
    assert_eq!(out["calls"][1]["structured"]["statements"][0]["row_count"], 1);
}
