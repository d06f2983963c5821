//! The read session against a real server: what runs, what the server refuses, and what
//! never survives a read.

mod common;

use std::time::{Duration, Instant};

use warroom::db::render::ResultSet;
use warroom::db::{DbError, Limits, RowSink, Session, conn};
use warroom::demo::ADMIN;

/// A session as `user` on the test server, or `None` when there is no server to test against.
async fn connect(user: &str) -> Option<Session> {
    common::cluster()?;
    let target = conn::resolve(Some(&common::dsn(user)), &conn::ProcessEnv).unwrap();
    Some(Session::connect(&target, Limits::default()).await.unwrap())
}

async fn rows(s: &mut Session, sql: &str, limit: Option<u64>) -> Result<ResultSet, DbError> {
    let mut set = ResultSet::default();
    s.run(sql, limit, &mut set).await?;
    Ok(set)
}

/// As a broken guard would: straight to the session, to prove the server's backstops.
async fn forced(s: &mut Session, sql: &str, limit: Option<u64>) -> Result<ResultSet, DbError> {
    let mut set = ResultSet::default();
    s.run_past_the_guard(sql, limit, &mut set).await?;
    Ok(set)
}

fn cell(set: &ResultSet, r: usize, c: usize) -> Option<&str> {
    set.rows[r][c].as_deref()
}

fn admin(sql: &str) -> String {
    common::cluster().unwrap().psql(ADMIN, common::DB, sql).unwrap().trim().to_string()
}

fn sqlstate(e: &DbError) -> &str {
    &e.server().unwrap_or_else(|| panic!("not a server error: {e}")).sqlstate
}

#[tokio::test]
async fn every_read_kind_returns_rows() {
    let Some(mut s) = connect("reader").await else { return };
    for (sql, first) in [
        ("SELECT v FROM t WHERE id = 2", "row 2"),
        ("WITH x AS (SELECT v FROM t WHERE id = 3) SELECT v FROM x", "row 3"),
        ("TABLE t", "1"),
        ("VALUES ('a', NULL), ('b', 'c')", "a"),
        ("(SELECT 'u') UNION ALL (SELECT 'v')", "u"),
        ("SHOW default_transaction_read_only", "on"),
        ("SELECT current_setting('transaction_read_only')", "on"),
        ("SELECT 'x';  -- with a terminator and a comment", "x"),
    ] {
        let set = rows(&mut s, sql, Some(100)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(cell(&set, 0, 0), Some(first), "{sql}");
    }
    let plan = rows(&mut s, "EXPLAIN SELECT * FROM t", None).await.unwrap();
    assert!(cell(&plan, 0, 0).unwrap().contains("Seq Scan on t"), "{plan:?}");
    let nulls = rows(&mut s, "SELECT NULL::text, ''::text", None).await.unwrap();
    assert_eq!(nulls.rows[0], vec![None, Some("".into())]);
}

#[tokio::test]
async fn writes_forced_past_the_guard_are_refused_by_the_server() {
    // Even a role with write grants cannot write through the session.
    let Some(mut s) = connect("writer").await else { return };
    let before = admin("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM t");
    for sql in [
        "DELETE FROM t",
        "UPDATE t SET v = 'x'",
        "INSERT INTO t VALUES (99, 'x') RETURNING id",
        "WITH d AS (DELETE FROM t RETURNING id) SELECT count(*) FROM d",
        "SELECT * FROM t FOR UPDATE",
        "CREATE TABLE evil (id int)",
    ] {
        for limit in [Some(10), None] {
            assert!(matches!(rows(&mut s, sql, limit).await, Err(DbError::Refused(_))), "the guard refuses {sql}");
            let err = forced(&mut s, sql, limit).await.expect_err(sql);
            // 25006: read-only transaction; 0A000: a writable CTE cannot sit inside the row-limit subquery.
            assert!(["25006", "0A000"].contains(&sqlstate(&err)), "{sql}: {err}");
        }
    }
    assert_eq!(admin("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM t"), before);
    // The session still works afterwards.
    assert_eq!(cell(&rows(&mut s, "SELECT 1", None).await.unwrap(), 0, 0), Some("1"));
}

#[tokio::test]
async fn two_statements_are_refused_by_the_protocol() {
    let Some(mut s) = connect("writer").await else { return };
    let err = forced(&mut s, "SELECT 1; DELETE FROM t", None).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42601", "{err}");
    assert!(err.to_string().contains("multiple commands"), "{err}");
    assert_eq!(admin("SELECT count(*) FROM t"), "10");
}

#[tokio::test]
async fn nothing_a_read_leaves_survives_into_the_next() {
    let Some(mut s) = connect("reader").await else { return };
    // Called directly, past the guard, which would refuse all of these.
    forced(&mut s, "SELECT pg_advisory_lock(4242)", None).await.unwrap();
    // Seen from another session, before this one runs anything else: the reset came after the read.
    assert_eq!(admin("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").trim(), "0");
    // The rows were read inside the read's own transaction (begun before the statement).
    let inside = rows(&mut s, "SELECT now() < statement_timestamp() AS in_its_transaction", None).await.unwrap();
    assert_eq!(cell(&inside, 0, 0), Some("t"));
    let locks =
        rows(&mut s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()", None)
            .await
            .unwrap();
    assert_eq!(cell(&locks, 0, 0), Some("0"));
    let _ = forced(&mut s, "PREPARE leak AS SELECT 1", None).await;
    let prepared = rows(&mut s, "SELECT count(*) FROM pg_prepared_statements WHERE from_sql", None).await.unwrap();
    assert_eq!(cell(&prepared, 0, 0), Some("0"));
    forced(&mut s, "SELECT set_config('work_mem', '77kB', false)", None).await.unwrap();
    assert_ne!(cell(&rows(&mut s, "SHOW work_mem", None).await.unwrap(), 0, 0), Some("77kB"));
    let _ = forced(&mut s, "CREATE TEMP TABLE scratch (id int)", None).await;
    let temp = rows(&mut s, "SELECT count(*) FROM pg_class WHERE relname = 'scratch'", None).await.unwrap();
    assert_eq!(cell(&temp, 0, 0), Some("0"));
    // The session's own settings are still in force.
    assert_eq!(cell(&rows(&mut s, "SHOW default_transaction_read_only", None).await.unwrap(), 0, 0), Some("on"));
}

#[tokio::test]
async fn the_row_limit_holds_and_says_more_exist() {
    let Some(mut s) = connect("reader").await else { return };
    let mut set = ResultSet::default();
    let outcome = s.run("SELECT * FROM million ORDER BY id", Some(500), &mut set).await.unwrap();
    assert_eq!((set.rows.len(), outcome.rows, outcome.more), (500, 500, true));
    assert_eq!(cell(&set, 499, 0), Some("500"));
    let mut exact = ResultSet::default();
    let outcome = s.run("SELECT * FROM t", Some(10), &mut exact).await.unwrap();
    assert_eq!((outcome.rows, outcome.more), (10, false));
    let outcome = s.run("SHOW ALL", Some(5), &mut ResultSet::default()).await.unwrap();
    assert_eq!((outcome.rows, outcome.more), (5, true));
}

/// Counts rows without keeping them.
struct Count(u64);
impl RowSink for Count {
    fn columns(&mut self, _: &[warroom::db::Column]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &[Option<&str>]) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
}

#[tokio::test]
async fn an_unlimited_read_streams_every_row() {
    let Some(mut s) = connect("reader").await else { return };
    let mut count = Count(0);
    let outcome = s.run_anyway("SELECT * FROM million", None, &mut count).await.unwrap();
    assert_eq!((count.0, outcome.rows, outcome.more), (1_000_000, 1_000_000, false));
}

#[tokio::test]
async fn cancel_stops_a_running_read() {
    let Some(mut s) = connect("reader").await else { return };
    let canceller = s.canceller();
    let started = Instant::now();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel().await.unwrap();
    };
    let mut set = ResultSet::default();
    let (result, ()) = tokio::join!(s.run_anyway("SELECT count(*) FROM million a, million b", None, &mut set), cancel);
    let err = result.unwrap_err();
    assert_eq!(sqlstate(&err), "57014", "{err}");
    assert!(err.to_string().contains("user request"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(cell(&rows(&mut s, "SELECT 2", None).await.unwrap(), 0, 0), Some("2"));
}

#[tokio::test]
async fn errors_carry_sqlstate_hint_and_position() {
    let Some(mut s) = connect("reader").await else { return };
    let err = rows(&mut s, "SELECT\n  vv FROM t", Some(5)).await.unwrap_err();
    let e = err.server().unwrap();
    assert_eq!(e.sqlstate, "42703");
    assert!(e.hint.as_deref().unwrap_or_default().contains("\"t.v\""), "{e:?}");
    assert_eq!(e.position, Some(10));
    let err = rows(&mut s, "SELECT 1/0", Some(5)).await.unwrap_err();
    assert_eq!(sqlstate(&err), "22012");
}

/// The stricter of the server's timeout for the role and the profile's is in force, for every
/// read through the one bounded run (the cockpit's, `query`'s and `mcp`'s), and again after
/// the reset that follows each read.
#[tokio::test]
async fn the_stricter_timeout_wins_either_way() {
    if common::cluster().is_none() {
        return;
    }
    admin(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strict_reader') THEN CREATE ROLE strict_reader LOGIN; END IF; END $$; \
         ALTER ROLE strict_reader SET statement_timeout = '2s'; ALTER ROLE strict_reader SET lock_timeout = '10min'",
    );
    let target = conn::resolve(Some(&common::dsn("strict_reader")), &conn::ProcessEnv).unwrap();
    let limits = Limits { statement_timeout: Duration::from_secs(30), ..Limits::default() };
    let mut s = Session::connect(&target, limits).await.unwrap();
    assert_eq!(s.limits().statement_timeout, Duration::from_secs(2), "the role's 2 s beats the profile's 30 s");
    assert_eq!(s.limits().lock_timeout, Duration::from_secs(2), "the profile's 2 s beats the role's 10 min");
    let named: Vec<(String, String)> = s.info.timeouts.iter().map(|t| (t.name.clone(), t.describe())).collect();
    assert!(named.iter().any(|(n, d)| n == "statement_timeout" && d.contains("the server's, from user")), "{named:?}");
    for round in 0..2 {
        let started = Instant::now();
        let mut set = ResultSet::default();
        let e = s
            .run_bounded("SELECT count(*) FROM generate_series(1, 2000000000)", Some(10), &mut set, false)
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&e), "57014", "round {round}: {e}");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(4500), "round {round}: ended after {took:?}, not at the role's 2 s");
    }
    let shown = rows(&mut s, "SHOW statement_timeout", None).await.unwrap();
    assert_eq!(cell(&shown, 0, 0), Some("2s"), "after the resets, still the stricter");
}

/// `COPY (query) TO STDOUT` is its query, and `COPY table TO STDOUT` the table's rows, for every way in: run, run_anyway and the check
/// that proves each statement of a paste before any runs.
#[tokio::test]
async fn copy_to_stdout_is_its_query() {
    let Some(mut s) = connect("reader").await else { return };
    s.check("COPY (SELECT v FROM t WHERE id = 2) TO STDOUT").await.unwrap();
    let set = rows(&mut s, "COPY (SELECT v FROM t WHERE id = 2) TO STDOUT WITH (FORMAT csv)", None).await.unwrap();
    assert_eq!(cell(&set, 0, 0), Some("row 2"));
    let mut set = ResultSet::default();
    s.run_anyway("COPY (SELECT v FROM t WHERE id = 3) TO STDOUT", None, &mut set).await.unwrap();
    assert_eq!(cell(&set, 0, 0), Some("row 3"));
    let set = rows(&mut s, "COPY t (v, id) TO STDOUT", None).await.unwrap();
    assert_eq!((set.columns.len(), set.rows.len() > 1), (2, true), "a table's COPY is its rows");
    assert!(s.check("COPY t TO '/tmp/x'").await.is_err(), "a COPY to a file is never a read");
}
