//! The shipped runbook: every SQL block is a read by the guard, and runs on a real server.

mod common;

use warroom::guard::{self, Class};

const RUNBOOK: &str = include_str!("../runbooks/postgres-incident.md");

/// The ```sql blocks of the runbook, in order.
fn sql_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in RUNBOOK.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sql") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn every_runbook_query_is_a_read() {
    let blocks = sql_blocks();
    assert!(blocks.len() >= 14, "{} blocks", blocks.len());
    for b in &blocks {
        let review = guard::review(b);
        assert_eq!(review.verdict(), Class::Read, "{b}\n{:?}", review.statements[0].reasons);
    }
}

#[test]
fn every_runbook_query_runs_read_only() {
    let Some(cluster) = common::cluster() else { return };
    // The data-investigation queries need the demo's users table.
    cluster
        .psql(
            warroom::demo::ADMIN,
            common::DB,
            "CREATE TABLE IF NOT EXISTS users (id serial, email text, created_at timestamptz DEFAULT now());
             GRANT SELECT ON users TO reader; GRANT pg_monitor TO reader;",
        )
        .unwrap();
    for b in sql_blocks() {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["query", "--dsn", &common::dsn("reader"), &b])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{b}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}
