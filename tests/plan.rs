//! Plan files: a process killed while it rewrites one leaves the previous complete plan.

use std::process::Command;
use std::time::Duration;

use warroom::plan::file::{Header, Status, render, verify, write_atomic};

const CHILD: &str = "WARROOM_TEST_REWRITER";

fn plan(generation: usize) -> String {
    let header = Header {
        incident: "INC-42".into(),
        author: "alice".into(),
        created: "2026-11-21T02:14:00Z".into(),
        status: Status::Reviewed { by: "bob".into(), at: format!("generation {generation}") },
    };
    // Big enough (about 2 MB) that a write takes a while and a kill lands inside one.
    let steps: String =
        (0..40_000).map(|i| format!("-- step {generation}.{i}: DELETE FROM users WHERE id = {i};\n")).collect();
    render(&header, &steps)
}

/// The child: rewrites the plan as fast as it can until it is killed.
#[test]
fn rewriter_child() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let mut g = 1;
    loop {
        write_atomic(std::path::Path::new(&path), plan(g).as_bytes()).unwrap();
        g += 1;
    }
}

#[test]
fn killed_mid_rewrite_leaves_a_complete_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    write_atomic(&path, plan(0).as_bytes()).unwrap();
    for round in 0..15u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "rewriter_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + round * 17));
        child.kill().unwrap();
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let verified = verify(&text).unwrap_or_else(|e| panic!("round {round}: the plan is damaged: {e}"));
        assert_eq!(verified.by, "bob");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leftovers.iter().any(|n| n == "plan.sql"), "{leftovers:?}");
}

// ---------------------------------------------------------------- generated steps, run by psql

mod common;

use warroom::demo::ADMIN;
use warroom::plan::step::{Reviewed, dml_step, fingerprint_query, parse_dml, script};

const WRITER: &str = "plan_writer";

fn setup() -> Option<&'static warroom::demo::Cluster> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let c = common::cluster()?;
    ONCE.call_once(|| {
        c.psql(
            ADMIN,
            common::DB,
            &format!(
                "CREATE ROLE {WRITER} LOGIN; GRANT CREATE ON DATABASE {db} TO {WRITER}; GRANT CREATE ON SCHEMA public TO {WRITER};
                 SET ROLE {WRITER};
                 CREATE TABLE accounts (id int PRIMARY KEY, email text, note text);
                 INSERT INTO accounts SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'u' || g || '@x.org' END, 'n' || g FROM generate_series(1, 200) g;
                 CREATE TABLE stock (shop int, sku text, qty int, PRIMARY KEY (shop, sku));
                 INSERT INTO stock SELECT s, 'sku-' || k, s * k FROM generate_series(1, 5) s, generate_series(1, 30) k;
                 CREATE TABLE people AS SELECT * FROM accounts; ALTER TABLE people ADD PRIMARY KEY (id);
                 CREATE TABLE drift (shop int, sku text, qty int, PRIMARY KEY (shop, sku));
                 INSERT INTO drift SELECT s, 'sku-' || k, s * k FROM generate_series(1, 5) s, generate_series(1, 30) k;
                 -- made once here: parallel plans racing on CREATE SCHEMA IF NOT EXISTS can collide
                 CREATE SCHEMA warroom_backup;
                 GRANT SELECT ON accounts, people, stock, drift TO reader;",
                db = common::DB
            ),
        )
        .expect("plan tables");
    });
    Some(c)
}

fn contents(c: &warroom::demo::Cluster, table: &str) -> String {
    c.psql(ADMIN, common::DB, &format!("SELECT * FROM {table} ORDER BY 1, 2")).unwrap()
}

/// Stages `statement` the way warroom does: evidence (count and key hash), then the step.
fn stage(c: &warroom::demo::Cluster, name: &str, statement: &str, keys: &[&str]) -> (String, String, u64) {
    let dml = parse_dml(statement).expect("a plannable write");
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let fp = c.psql("reader", common::DB, &fingerprint_query(&dml.affected(), &keys)).unwrap();
    let (n, h) = fp.trim().split_once('|').unwrap();
    let reviewed = Reviewed { rows: n.parse().unwrap(), key_hash: h.to_string() };
    let step = dml_step(1, name, &dml, &keys, &reviewed, statement);
    let header = format!("step 1: {statement}");
    (script(&header, "5s", &[step.forward]), script("rollback", "5s", &[step.rollback]), reviewed.rows)
}

fn roundtrip(table: &str, name: &str, statement: &str, keys: &[&str]) {
    let Some(c) = setup() else { return };
    let before = contents(c, table);
    let (forward, rollback, rows) = stage(c, name, statement, keys);
    assert!(rows > 0, "{statement} touches rows");

    // A dry run changes nothing.
    c.psql(WRITER, common::DB, &format!("\\set dry_run 1\n{forward}")).expect("dry run");
    assert_eq!(contents(c, table), before, "dry_run changed {table}");

    c.psql(WRITER, common::DB, &forward).expect("the forward step applies");
    let after = contents(c, table);
    assert_ne!(after, before, "{statement} changed nothing");
    c.psql(WRITER, common::DB, &rollback).expect("the rollback applies");
    assert_eq!(contents(c, table), before, "the rollback of {statement} restores {table} exactly");
}

#[test]
fn delete_applies_and_rolls_back_exactly() {
    roundtrip("accounts", "t_delete", "DELETE FROM accounts WHERE email IS NULL;", &["id"]);
}

#[test]
fn update_applies_and_rolls_back_exactly() {
    // Each test has a table of its own: they run in parallel.
    roundtrip(
        "people",
        "t_update",
        "UPDATE people a SET email = upper(a.email), note = NULL WHERE a.id BETWEEN 10 AND 60",
        &["id"],
    );
}

#[test]
fn update_with_a_composite_key_rolls_back_exactly() {
    roundtrip(
        "stock",
        "t_composite",
        "UPDATE stock SET qty = qty - 1 WHERE sku IN ('sku-3', 'sku-7')",
        &["shop", "sku"],
    );
}

#[test]
fn rows_that_drifted_after_review_abort_the_plan() {
    let Some(c) = setup() else { return };
    let statement = "DELETE FROM drift WHERE qty > 100";
    let (forward, _, _) = stage(c, "t_drift", statement, &["shop", "sku"]);
    // After review, one more row comes to match.
    c.psql(ADMIN, common::DB, "UPDATE drift SET qty = 101 WHERE shop = 1 AND sku = 'sku-1'").unwrap();
    let before = contents(c, "drift");
    let err = c.psql(WRITER, common::DB, &forward).unwrap_err().to_string();
    assert!(err.contains("the rows changed since review"), "{err}");
    assert_eq!(contents(c, "drift"), before, "an aborted plan changes nothing");
    let backups = c.psql(ADMIN, common::DB, "SELECT count(*) FROM pg_tables WHERE tablename = 't_drift'").unwrap();
    assert_eq!(backups.trim(), "0", "the backup table was rolled back too");
}
