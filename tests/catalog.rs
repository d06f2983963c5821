//! The guard with the live catalog: objects another role planted make reads writes, in
//! `warroom query` and in the read path, and nothing they would run runs; without them the
//! same statements are reads; the catalog lifts casts to enums and reviewed domains and a
//! trusted extension's functions. Offline, `check` says it looked at no catalog.

#[path = "support/bin.rs"]
mod bin;
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use warroom::db::render::ResultSet;
use warroom::db::{DbError, Limits, Session, conn};
use warroom::demo::ADMIN;
use warroom::guard::{self, Class};

/// The same tables in both databases; the app's owner (not a superuser) owns the database.
const TABLES: &str = "
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TYPE order_status AS ENUM ('new', 'paid');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE t (id int PRIMARY KEY, v text, name varchar, f int);
INSERT INTO t SELECT g, 'v' || g, 'n' || g, g FROM generate_series(1, 5) g;
CREATE TABLE t2 (v varchar);
INSERT INTO t2 VALUES ('v1');
GRANT CREATE ON SCHEMA public TO owner_role;
";

/// What the database's owner (not a superuser) can plant: each runs `act`, which takes an
/// advisory lock and ends the victim's session (a mark no rollback takes back).
const PLANTED: &str = "
SET ROLE owner_role;
CREATE FUNCTION public.act(int) RETURNS boolean LANGUAGE sql SECURITY DEFINER AS $$
  SELECT pg_advisory_lock(777) IS NULL
      OR coalesce(bool_or(pg_terminate_backend(pid)), false)
    FROM pg_stat_activity WHERE application_name LIKE 'catalog victim%' $$;
CREATE FUNCTION public.concat(text, VARIADIC anyarray) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT act(1)::text $$;
CREATE FUNCTION public.length(varchar) RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(2)::int $$;
CREATE FUNCTION public.ceil(integer) RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(12)::int $$;
CREATE FUNCTION public.floor(integer) RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(13)::int $$;
CREATE FUNCTION public.substring(varchar, integer, integer) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT act(14)::text $$;
CREATE FUNCTION public.evil_eq(text, varchar) RETURNS boolean LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(3) $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = varchar, FUNCTION = public.evil_eq);
CREATE TABLE t_owned (id int);
INSERT INTO t_owned VALUES (1);
CREATE VIEW v_evil AS SELECT id, act(4) AS acted FROM t_owned;
CREATE VIEW v_over AS SELECT id FROM v_evil;
CREATE VIEW v_cancel AS SELECT id, pg_cancel_backend(0) AS c FROM t_owned;
CREATE TABLE accounts (id int, owner text);
INSERT INTO accounts VALUES (1, 'app');
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON accounts USING (act(5));
CREATE FUNCTION public.bump(t) RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(6)::int $$;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE FUNCTION public.mood_text(mood) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(8)::text $$;
CREATE CAST (mood AS text) WITH FUNCTION public.mood_text(mood) AS IMPLICIT;
CREATE TABLE moods (id int, m mood);
INSERT INTO moods VALUES (1, 'ok');
CREATE FUNCTION public.moods_json(moods) RETURNS json LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(9)::text::json $$;
CREATE CAST (moods AS json) WITH FUNCTION public.moods_json(moods);
CREATE SCHEMA evil;
CREATE FUNCTION evil.lower(varchar) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(10)::text $$;
CREATE FUNCTION evil.current_setting(text) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(11)::text $$;
CREATE FUNCTION evil.pg_advisory_unlock_all() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(15); $$;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE FUNCTION public.similarity(varchar, varchar) RETURNS real LANGUAGE sql SECURITY DEFINER AS $$ SELECT act(16)::int::real $$;
ALTER EXTENSION pg_trgm ADD FUNCTION public.similarity(varchar, varchar);
GRANT SELECT ON t_owned, v_evil, v_over, v_cancel, accounts, moods TO reader;
ALTER DATABASE planted SET search_path = evil, public, pg_catalog;
RESET ROLE;
";

/// The look-alikes: the same names, nothing in them acts.
const CLEAN: &str = "
SET ROLE owner_role;
CREATE TABLE t_owned (id int);
CREATE VIEW v_evil AS SELECT id, true AS acted FROM t_owned;
CREATE VIEW v_over AS SELECT id FROM v_evil;
CREATE VIEW v_cancel AS SELECT id, 0 AS c FROM t_owned;
CREATE TABLE accounts (id int, owner text);
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE moods (id int, m mood);
GRANT SELECT ON t_owned, v_evil, v_over, v_cancel, accounts, moods TO reader;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
RESET ROLE;
";

/// Each planted object, a statement that reaches it, and what the refusal must name.
const CASES: &[(&str, &str)] = &[
    ("SELECT concat('%', 1, 2)", "calls public.concat(text, VARIADIC anyarray), a function of the database's own"),
    ("SELECT length(name) FROM t", "calls public.length(character varying)"),
    ("SELECT ceil(7)", "calls public.ceil(integer)"),
    ("SELECT floor(2)", "calls public.floor(integer)"),
    ("SELECT substring(name, 1, 2) FROM t", "calls public.substring(character varying, integer, integer)"),
    ("SELECT count(*) FROM t WHERE v = name", "uses the operator public.=(text, character varying)"),
    ("SELECT count(*) FROM t WHERE v = ANY (ARRAY[name])", "uses the operator public.=(text, character varying)"),
    ("SELECT count(*) FROM t WHERE v IN (name, name)", "uses the operator public.=(text, character varying)"),
    ("SELECT NULLIF(v, name) FROM t", "uses the operator public.=(text, character varying)"),
    ("SELECT v IS DISTINCT FROM name FROM t", "uses the operator public.=(text, character varying)"),
    ("SELECT CASE v WHEN name THEN 1 END FROM t", "uses the operator public.=(text, character varying)"),
    (
        "SELECT count(*) FROM (SELECT v FROM t) a JOIN t2 USING (v)",
        "uses the operator public.=(text, character varying)",
    ),
    ("SELECT * FROM v_evil", "the view public.v_evil calls public.act(integer)"),
    ("SELECT * FROM v_over", "the view public.v_over the view public.v_evil calls public.act(integer)"),
    ("SELECT * FROM v_cancel", "the view public.v_cancel calls pg_catalog.pg_cancel_backend(integer)"),
    ("SELECT * FROM accounts", "the policy everyone on public.accounts calls public.act(integer)"),
    ("SELECT t.bump FROM t", "calls public.bump(public.t)"),
    ("SELECT lower(m) FROM moods", "calls public.mood_text(public.mood)"),
    ("SELECT to_json(x) FROM moods x", "the database's own cast public.moods -> json"),
    ("SELECT json_agg(x) FROM moods x", "the database's own cast public.moods -> json"),
    ("SELECT lower(name) FROM t", "calls evil.lower(character varying)"),
    ("SELECT similarity(name, name) FROM t", "a sql function in the extension pg_trgm"),
];

/// Reads on both servers once connected (though some are WRITEs to the text-only guard).
const READS: &[&str] = &[
    "SELECT t.v, t.f FROM t ORDER BY id",
    "SELECT encode(digest('x', 'sha256'), 'hex')",
    "SELECT 'paid'::order_status, 5::positive",
    "SELECT lower(v) FROM t ORDER BY id",
    "SELECT current_setting('work_mem')",
    "SELECT similarity(v, 'v1') FROM t ORDER BY id",
    "SELECT m FROM moods ORDER BY m",
    "SELECT count(*) FROM t WHERE v = 'v1' OR id IN (1, 2) OR id BETWEEN 3 AND 4",
    // The SQL-standard form is pg_catalog.substring by the grammar: no overload can take it.
    "SELECT substring(name FROM 1 FOR 2) FROM t",
];

/// `act` ends every victim: the tests that plant one take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Victim(Child);

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The two databases, made once per run.
fn databases() -> Option<()> {
    for (db, extra) in [("planted", PLANTED), ("clean", CLEAN)] {
        common::database(
            db,
            "owner_role",
            &format!("{TABLES}\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;\n{extra}"),
        )?;
    }
    Some(())
}

/// The cases for this server: before 14, `substring(x, a, b)` is the grammar's own
/// `pg_catalog.substring`, which no overload can take.
fn cases() -> Vec<(&'static str, &'static str)> {
    let c = common::cluster().unwrap();
    let version: i32 = c.psql(ADMIN, "postgres", "SHOW server_version_num").unwrap().trim().parse().unwrap();
    CASES.iter().copied().filter(|(sql, _)| version >= 140000 || !sql.contains("substring(name, 1, 2)")).collect()
}

fn dsn(db: &str) -> String {
    common::cluster().unwrap().dsn("reader", db)
}

/// A session of the planted functions' owner that `act` would end.
fn victim(name: &str) -> Victim {
    let c = common::cluster().unwrap();
    let child = Command::new(warroom::demo::find_bin_dir().unwrap().join("psql"))
        .args(["-X", "-q", "-d", &c.dsn("owner_role", "planted"), "-c"])
        .arg(format!("SET application_name = 'catalog victim {name}'; SELECT pg_sleep(300)"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive(name) == 0 {
        assert!(Instant::now() < deadline, "the victim session did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Victim(child)
}

fn alive(name: &str) -> usize {
    let c = common::cluster().unwrap();
    let sql = format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'catalog victim {name}'");
    let n = c.psql(ADMIN, "planted", &sql);
    n.unwrap().trim().parse().unwrap()
}

fn advisory_locks() -> String {
    let c = common::cluster().unwrap();
    c.psql(ADMIN, "planted", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").unwrap().trim().to_string()
}

/// `warroom check [--json] -` with `sql` on standard input: (exit status, stdout).
fn check(sql: &str, json: bool) -> (i32, String) {
    use std::io::Write;
    let args: &[&str] = if json { &["check", "--json", "-"] } else { &["check", "-"] };
    let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("WARROOM_CONFIG", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn offline_check_says_read_and_that_it_saw_no_catalog() {
    for (sql, _) in CASES.iter().filter(|(sql, _)| !sql.contains("bump(t)") && !sql.contains("similarity")) {
        let (code, out) = check(sql, false);
        assert_eq!(code, 0, "{sql}: {out}");
        assert!(out.contains("not against a server's catalog"), "{out}");
        let (_, json) = check(sql, true);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!((v["verdict"].as_str(), v["catalog_checked"].as_bool()), (Some("read"), Some(false)), "{sql}");
    }
}

#[test]
fn query_refuses_what_the_planted_objects_would_run() {
    if databases().is_none() {
        return;
    }
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let _victim = victim("query");
    let state = tempfile::tempdir().unwrap();
    for (sql, why) in cases() {
        let (code, out, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn("planted"), sql]);
        assert_eq!(code, 1, "{sql} must be refused: {out}{err}");
        assert!(err.contains("is a WRITE on this server") && err.contains(why), "{sql}: {err}");
        assert!(out.is_empty(), "{sql}: nothing is printed from a refused read: {out}");
        // Without the planted objects it is a read (the server may still say a column does not exist).
        let (code, out, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn("clean"), sql]);
        assert!(!err.contains("WRITE"), "{sql} in the clean database: {out}{err}");
        assert!(code == 0 || err.contains("42703") || err.contains("42883"), "{sql} in the clean database: {out}{err}");
    }
    for sql in READS {
        for db in ["planted", "clean"] {
            let (code, out, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn(db), sql]);
            assert_eq!(code, 0, "{sql} in {db}: {out}{err}");
        }
    }
    let (_, out, _) = bin::warroom(state.path(), &["query", "--dsn", &dsn("planted"), READS[1]]);
    assert!(out.contains("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"), "{out}");
    assert_eq!(alive("query"), 1, "the victim's session was not ended");
    assert_eq!(advisory_locks(), "0", "no advisory lock was taken");
}

#[test]
fn the_read_path_refuses_them_too() {
    if databases().is_none() {
        return;
    }
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let _victim = victim("session");
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(read_path());
}

async fn read_path() {
    let target = conn::resolve(Some(&dsn("planted")), &conn::ProcessEnv).unwrap();
    let mut s = Session::connect(&target, Limits::default()).await.unwrap();
    for (sql, why) in cases() {
        let mut set = ResultSet::default();
        match s.run(sql, Some(10), &mut set).await {
            Err(DbError::Refused(reasons)) => assert!(reasons.iter().any(|r| r.contains(why)), "{sql}: {reasons:?}"),
            other => panic!("{sql} must be refused by the catalog, got {:?}", other.map(|o| o.rows)),
        }
    }
    for sql in READS {
        let mut set = ResultSet::default();
        s.run(sql, Some(10), &mut set).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // Nothing is kept across statements: every check reads the facts of the database's own
    // objects it names again, with the statement's Parse (no round trip of its own); a check
    // of built-ins only needs no more.
    let (sent, trips) = (s.fact_queries, s.fact_reads);
    s.check("SELECT count(*) FROM t").await.unwrap();
    s.check("SELECT count(*) FROM t").await.unwrap();
    assert_eq!(s.fact_queries, sent + 2, "the table's facts are read for each statement");
    assert_eq!(s.fact_reads, trips, "they come with the Parse, in its round trip");
    s.check("SELECT relname FROM pg_class LIMIT 1").await.unwrap();
    assert_eq!(s.fact_reads, trips, "no round trip of facts for the server's own objects");
    // A view's stored query names what its text does not: a round trip more, after the Parse.
    assert!(matches!(s.check("SELECT * FROM v_over").await, Err(DbError::Refused(_))));
    assert!(s.fact_reads > trips, "the view's relations are read after the Parse");
    assert_eq!(alive("session"), 1);
    assert_eq!(advisory_locks(), "0");
    // And the planted objects are real: past the guard, one read ends the victim's session.
    let mut set = ResultSet::default();
    let forced = s.run_past_the_guard("SELECT concat('%', 1, 2)", None, &mut set).await;
    assert!(forced.is_ok(), "{forced:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive("session") > 0 {
        assert!(Instant::now() < deadline, "the planted concat() did not act: the test would prove nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The text-only guard calls these reads: the server's tree made the difference.
    for (sql, _) in CASES.iter().filter(|(sql, _)| !sql.contains("bump(t)") && !sql.contains("similarity")) {
        assert_eq!(guard::review(sql).verdict(), Class::Read, "{sql}");
    }
}

/// Facts that cannot be read are never replaced by the text-only proof: the read is refused.
#[test]
fn reads_are_refused_while_the_facts_cannot_be_read() {
    let setup =
        "CREATE TABLE t (id int); GRANT SELECT ON t TO reader; REVOKE SELECT ON pg_catalog.pg_policy FROM PUBLIC;";
    if common::database("locked", "postgres", setup).is_none() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let (code, out, err) = bin::warroom(state.path(), &["query", "--dsn", &dsn("locked"), "SELECT id FROM t"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("could not be read") && err.contains("pg_policy"), "{err}");
}
