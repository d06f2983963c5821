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

// ---------------------------------------------------------------- generated plans, run by psql

#[path = "support/bin.rs"]
mod bin;
mod common;

use std::path::Path;

use warroom::db::{Limits, Session, conn};
use warroom::demo::ADMIN;
use warroom::plan::{self, store};

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
                 CREATE TABLE signups (id int PRIMARY KEY, email text);
                 INSERT INTO signups SELECT g, 's' || g || '@x.org' FROM generate_series(1, 50) g;
                 CREATE TABLE inbox (id int PRIMARY KEY, body text);
                 INSERT INTO inbox SELECT g, 'b' || g FROM generate_series(1, 20) g;
                 CREATE TABLE ledger (id int PRIMARY KEY, amount numeric);
                 INSERT INTO ledger SELECT g, g * 2.5 FROM generate_series(1, 40) g;
                 CREATE TABLE scratch (id int PRIMARY KEY, v text);
                 INSERT INTO scratch SELECT g, 'v' || g FROM generate_series(1, 30) g;
                 CREATE TABLE events (at int, what text);
                 INSERT INTO events SELECT g % 7, 'e' || g FROM generate_series(1, 60) g;
                 CREATE TABLE offline (id int PRIMARY KEY);
                 INSERT INTO offline SELECT generate_series(1, 5);
                 RESET ROLE; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;",
                db = common::DB
            ),
        )
        .expect("plan tables");
    });
    Some(c)
}

fn contents(c: &warroom::demo::Cluster, table: &str) -> String {
    c.psql(ADMIN, common::DB, &format!("SELECT * FROM {table} AS t ORDER BY t::text")).unwrap()
}

/// The table's columns and indexes, as psql describes them.
fn shape_of(c: &warroom::demo::Cluster, table: &str) -> String {
    c.psql(
        ADMIN,
        common::DB,
        &format!(
            "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped;
             SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE tablename = '{table}';"
        ),
    )
    .unwrap()
}

/// Stages `sql` the way `warroom stage` does: evidence over the reader's read-only session,
/// then the plan files in a fresh incident folder. `connected: false` stages offline.
fn stage(incident: &str, sql: &str, connected: bool) -> (tempfile::TempDir, Vec<plan::Step>) {
    let dir = tempfile::tempdir().unwrap();
    let writes: Vec<String> = warroom::guard::review(sql).writes().map(|s| s.text.clone()).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let steps = rt.block_on(async {
        let mut session = if connected {
            let target = conn::resolve(Some(&common::dsn("reader")), &conn::ProcessEnv).unwrap();
            Some(Session::connect(&target, Limits::default()).await.unwrap())
        } else {
            None
        };
        plan::stage_writes(session.as_mut(), dir.path(), incident, &writes).await.unwrap()
    });
    (dir, steps)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// Applies plan.sql as the writer (dry run first), then rollback.sql; the tables come back
/// exactly as they were (contents, columns and indexes).
fn roundtrip(incident: &str, tables: &[&str], sql: &str) -> Vec<plan::Step> {
    let Some(c) = setup() else { return vec![] };
    let before: Vec<String> = tables.iter().map(|t| contents(c, t) + &shape_of(c, t)).collect();
    let (dir, steps) = stage(incident, sql, true);
    for s in &steps {
        assert!(s.missing.is_none(), "{sql}: evidence missing: {:?}", s.missing);
        assert!(s.rollback.is_some(), "{sql}: no way back: {:?}", s.irreversible);
    }
    let (forward, rollback) = (read(dir.path(), store::PLAN), read(dir.path(), store::ROLLBACK));
    let now = |c: &warroom::demo::Cluster| -> Vec<String> {
        tables.iter().map(|t| contents(c, t) + &shape_of(c, t)).collect()
    };

    let dry = c.psql(WRITER, common::DB, &format!("\\set dry_run 1\n{forward}")).expect("dry run");
    assert!(dry.contains("dry run: every check held"), "{dry}");
    assert_eq!(now(c), before, "dry_run changed something");

    c.psql(WRITER, common::DB, &forward).expect("the forward plan applies");
    assert_ne!(now(c), before, "{sql} changed nothing");
    c.psql(WRITER, common::DB, &rollback).expect("the rollback applies");
    assert_eq!(now(c), before, "the rollback of {sql} restores {tables:?} exactly");
    steps
}

#[test]
fn delete_applies_and_rolls_back_exactly() {
    let steps = roundtrip("t-delete", &["accounts"], "DELETE FROM accounts WHERE email IS NULL;");
    if let Some(e) = steps.first().and_then(|s| s.evidence.as_ref()) {
        assert_eq!((e.rows, e.keys.as_slice()), (Some(50), &["id".to_string()][..]));
        assert!(e.sample.len() > 2 && !e.estimate.is_empty(), "{e:?}");
    }
}

#[test]
fn update_applies_and_rolls_back_exactly() {
    roundtrip(
        "t-update",
        &["people"],
        "UPDATE people a SET email = upper(a.email), note = NULL WHERE a.id BETWEEN 10 AND 60",
    );
}

#[test]
fn update_with_a_composite_key_rolls_back_exactly() {
    roundtrip("t-composite", &["stock"], "UPDATE stock SET qty = qty - 1 WHERE sku IN ('sku-3', 'sku-7')");
}

#[test]
fn insert_applies_and_rolls_back_exactly() {
    roundtrip(
        "t-insert",
        &["signups"],
        "INSERT INTO signups SELECT id + 1000, upper(email) FROM signups WHERE id <= 10;
         INSERT INTO signups (id, email) VALUES (5000, 'a@x.org'), (5001, NULL);",
    );
}

#[test]
fn ddl_applies_and_rolls_back_exactly() {
    roundtrip(
        "t-ddl",
        &["inbox"],
        "ALTER TABLE inbox ADD COLUMN read_at timestamptz, ADD COLUMN flag boolean DEFAULT false;
         CREATE INDEX inbox_body_idx ON inbox (body);",
    );
}

#[test]
fn rows_that_drifted_after_review_abort_the_plan() {
    let Some(c) = setup() else { return };
    let (dir, _) = stage("t-drift", "DELETE FROM drift WHERE qty > 100", true);
    // After review, one more row comes to match.
    c.psql(ADMIN, common::DB, "UPDATE drift SET qty = 101 WHERE shop = 1 AND sku = 'sku-1'").unwrap();
    let before = contents(c, "drift");
    let err = c.psql(WRITER, common::DB, &read(dir.path(), store::PLAN)).unwrap_err().to_string();
    assert!(err.contains("the rows changed since review"), "{err}");
    assert_eq!(contents(c, "drift"), before, "an aborted plan changes nothing");
    let backups = c.psql(ADMIN, common::DB, "SELECT count(*) FROM pg_tables WHERE tablename = 't_drift_1'").unwrap();
    assert_eq!(backups.trim(), "0", "the backup table was rolled back too");
}

#[test]
fn irreversible_steps_say_so_and_keep_a_backup() {
    let Some(c) = setup() else { return };
    let before = contents(c, "ledger");
    let (dir, steps) = stage("t-drop", "TRUNCATE ledger; ALTER TABLE scratch DROP COLUMN v", true);
    assert_eq!(steps.len(), 2);
    for s in &steps {
        assert!(s.rollback.is_none(), "{:?}", s.rollback);
        assert!(s.irreversible.as_deref().is_some_and(|w| w.starts_with("IRREVERSIBLE: restore from backup")), "{s:?}");
    }
    let (forward, rollback) = (read(dir.path(), store::PLAN), read(dir.path(), store::ROLLBACK));
    assert!(forward.contains("-- way back: IRREVERSIBLE: restore from backup warroom_backup.t_drop_1."), "{forward}");
    assert!(
        rollback.contains("\\echo 'step 2: IRREVERSIBLE: restore from backup warroom_backup.t_drop_2."),
        "{rollback}"
    );
    c.psql(WRITER, common::DB, &forward).expect("the plan applies");
    assert_eq!(contents(c, "ledger").lines().filter(|l| l.contains('|')).count(), 0, "truncated");
    let kept = c.psql(ADMIN, common::DB, "SELECT * FROM warroom_backup.t_drop_1 AS t ORDER BY t::text").unwrap();
    assert_eq!(kept, before, "the backup holds every row");
    let col = c.psql(ADMIN, common::DB, "SELECT count(*), count(v) FROM warroom_backup.t_drop_2").unwrap();
    assert_eq!(col.trim(), "30|30", "the dropped column is backed up with the key");
}

#[test]
fn a_table_without_a_primary_key_says_what_cannot_be_guaranteed() {
    let Some(c) = setup() else { return };
    roundtrip("t-nopk", &["events"], "DELETE FROM events WHERE at = 3");
    let (_, steps) = stage("t-nopk-upd", "UPDATE events SET what = 'x' WHERE at = 2", true);
    let s = &steps[0];
    assert!(s.cautions.iter().any(|c| c.contains("no primary key")), "{:?}", s.cautions);
    assert!(s.irreversible.as_deref().is_some_and(|w| w.contains("no primary key")), "{s:?}");
    let _ = c;
}

#[test]
fn a_write_staged_offline_cannot_be_applied() {
    let Some(c) = setup() else { return };
    let before = contents(c, "offline");
    let (dir, steps) = stage("t-offline", "DELETE FROM offline", false);
    assert!(steps[0].missing.is_some());
    let forward = read(dir.path(), store::PLAN);
    assert!(forward.contains("EVIDENCE MISSING"), "{forward}");
    let err = c.psql(WRITER, common::DB, &forward).unwrap_err().to_string();
    assert!(err.contains("has no evidence"), "{err}");
    assert_eq!(contents(c, "offline"), before);
}

fn warroom_stage(state: &Path, args: &[&str]) -> (i32, String, String) {
    bin::warroom(state, &[&["stage"], args].concat())
}

#[test]
fn warroom_stage_writes_the_plan_and_says_what_it_did() {
    let Some(_) = setup() else { return };
    let state = tempfile::tempdir().unwrap();
    let dsn = common::dsn("reader");
    let (code, out, err) =
        warroom_stage(state.path(), &["--incident", "INC-9", &dsn, "SELECT 1; DELETE FROM accounts WHERE id < 5;"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("step 1: DELETE on accounts — 4 rows it touches; way back planned"), "{out}");
    assert!(err.contains("#1 (select) is a READ"), "{err}");
    let dir = state.path().join("warroom/incidents/INC-9");
    for f in [store::PLAN, store::ROLLBACK, store::STATE] {
        assert!(dir.join(f).exists(), "{f}");
    }
    // Without --incident: the most recently active incident, and it says so.
    let (code, out, err) = warroom_stage(state.path(), &[&dsn, "UPDATE accounts SET note = 'x' WHERE id = 7"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("most recently active incident, INC-9"), "{err}");
    assert!(out.contains("step 2: UPDATE on accounts"), "{out}");
    // Only reads: nothing to stage.
    let (code, _, err) = warroom_stage(state.path(), &[&dsn, "SELECT 1"]);
    assert_eq!(code, 2, "{err}");
    // The server out of reach: staged without evidence, exit 3.
    let (code, out, err) = warroom_stage(
        state.path(),
        &["--incident", "INC-9", "host=/nonexistent dbname=x user=x", "DELETE FROM accounts"],
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("WITHOUT evidence") && out.contains("evidence missing"), "{out}{err}");
    let plan = read(&dir, store::PLAN);
    assert!(plan.contains("step 3 of 3") && plan.contains("EVIDENCE MISSING"), "{plan}");
    let (code, _, err) = warroom_stage(state.path(), &["--incident", "../x", &dsn, "DELETE FROM accounts"]);
    assert_eq!(code, 2, "{err}");
}

/// The demo's DELETE of the users without email: the evidence counts the orders it cascades
/// to (and, a level further, their items), exactly as a count by the test finds them.
#[test]
fn a_delete_counts_what_it_cascades_to() {
    let c = match warroom::demo::start_incident() {
        Ok(c) => c,
        Err(warroom::demo::DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => return,
        Err(e) => panic!("{e}"),
    };
    let db = warroom::demo::DEMO_DB;
    c.psql(
        ADMIN,
        db,
        // The demo's stuck migration holds a lock on orders; a foreign key to it needs one too.
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'deploy-migration';
         SET lock_timeout = '10s';
         CREATE TABLE order_items (id serial PRIMARY KEY, order_id bigint REFERENCES orders(id) ON DELETE CASCADE, sku text);
         INSERT INTO order_items (order_id, sku) SELECT o.id, 'sku-' || g FROM orders o, generate_series(1, 3) g;
         CREATE TABLE user_tags (user_id bigint REFERENCES users(id) ON UPDATE CASCADE, tag text);
         INSERT INTO user_tags SELECT id, 'vip' FROM users WHERE id % 3 = 0;
         GRANT SELECT ON order_items, user_tags TO warroom_ro;",
    )
    .unwrap();
    let count = |sql: &str| c.psql(ADMIN, db, sql).unwrap().trim().parse::<u64>().unwrap();
    let orders = count("SELECT count(*) FROM orders WHERE user_id IN (SELECT id FROM users WHERE email IS NULL)");
    let items = count(
        "SELECT count(*) FROM order_items WHERE order_id IN \
         (SELECT id FROM orders WHERE user_id IN (SELECT id FROM users WHERE email IS NULL))",
    );
    assert!(orders > 0 && items > 0, "the demo has orders to lose: {orders}, {items}");

    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let steps = rt.block_on(async {
        let target = conn::resolve(Some(&c.dsn(warroom::demo::READ_ONLY_ROLE, db)), &conn::ProcessEnv).unwrap();
        let mut session = Session::connect(&target, Limits::default()).await.unwrap();
        let writes = vec!["DELETE FROM users WHERE email IS NULL".to_string()];
        plan::stage_writes(Some(&mut session), dir.path(), "inc-cascade", &writes).await.unwrap()
    });
    let e = steps[0].evidence.as_ref().unwrap();
    let got: Vec<(&str, u64, u32)> = e.cascade_rows.iter().map(|c| (c.table.as_str(), c.rows, c.depth)).collect();
    assert_eq!(got, [("orders", orders, 1), ("order_items", items, 2)], "{:?}", e.gaps);
    let said = format!("cascades to {orders} rows in orders (deleted)");
    assert!(steps[0].irreversible.as_deref().unwrap_or("").contains(&said), "{:?}", steps[0].irreversible);
    assert!(read(dir.path(), store::PLAN).contains(&said), "plan.sql says how much");

    // A key UPDATE: only the foreign keys on the updated key that act ON UPDATE.
    let tags = count("SELECT count(*) FROM user_tags WHERE user_id IN (SELECT id FROM users WHERE email IS NULL)");
    let dir = tempfile::tempdir().unwrap();
    let steps = rt.block_on(async {
        let target = conn::resolve(Some(&c.dsn(warroom::demo::READ_ONLY_ROLE, db)), &conn::ProcessEnv).unwrap();
        let mut session = Session::connect(&target, Limits::default()).await.unwrap();
        let writes = vec!["UPDATE users SET id = id + 1000000 WHERE email IS NULL".to_string()];
        plan::stage_writes(Some(&mut session), dir.path(), "inc-cascade-2", &writes).await.unwrap()
    });
    let e = steps[0].evidence.as_ref().unwrap();
    let got: Vec<(&str, &str, u64)> =
        e.cascade_rows.iter().map(|c| (c.table.as_str(), c.action.as_str(), c.rows)).collect();
    assert_eq!(got, [("user_tags", "key updated, CASCADE", tags)], "{:?}", e.gaps);
}
