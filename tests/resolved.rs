//! The server's own tree decides, by OID: precision on a database full of contrib
//! extensions' operators (everyday incident reads and every SQL block of the built-in
//! runbook run as a SELECT-only role), and freshness in a long-lived session (objects the
//! database's owner creates or replaces between two reads of one session are judged anew).

mod common;

use warroom::db::render::ResultSet;
use warroom::db::{DbError, Limits, Session, conn};
use warroom::demo::ADMIN;

const EXTENSIONS: &[&str] = &["cube", "isn", "seg", "intarray", "btree_gist", "citext", "hstore", "ltree", "pg_trgm"];

/// A database with the extensions installed by its owner, and the reader's grants.
fn contrib() -> Option<&'static str> {
    let mut sql = String::from("GRANT CREATE ON SCHEMA public TO owner_role;\nSET ROLE owner_role;\n");
    for e in EXTENSIONS {
        sql.push_str(&format!("CREATE EXTENSION {e};\n"));
    }
    sql.push_str(
        "CREATE TABLE users (id int PRIMARY KEY, email citext, tags int[], attrs hstore, path ltree,
                             created_at timestamptz DEFAULT now());
         INSERT INTO users SELECT g, 'u' || g || '@example.com', ARRAY[g % 5, 3], 'a=>1', 'top.sub', now()
           FROM generate_series(1, 50) g;
         CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric);
         INSERT INTO orders SELECT g, 1 + g % 50, g * 1.5 FROM generate_series(1, 200) g;
         GRANT SELECT ON users, orders TO reader;
         RESET ROLE;",
    );
    common::database("contrib", "owner_role", &sql).map(|_| "contrib")
}

const EVERYDAY: &[&str] = &[
    "SELECT pid, usename, state, now() - query_start AS running FROM pg_stat_activity WHERE state <> 'idle' ORDER BY running DESC",
    "SELECT locktype, relation::regclass, mode, granted, pid FROM pg_locks WHERE NOT granted",
    "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE n_dead_tup > 0 ORDER BY n_dead_tup DESC LIMIT 10",
    "SELECT * FROM users WHERE id = 42",
    "SELECT id, email FROM users WHERE email LIKE 'u1%' ORDER BY id",
    "SELECT count(*) FROM users WHERE id IN (1, 2, 3) OR id BETWEEN 10 AND 20",
    "SELECT count(*) FROM users WHERE created_at > now() - interval '1 hour'",
    "SELECT u.id, count(o.id), sum(o.total) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY 3 DESC LIMIT 5",
    "SELECT date_trunc('minute', created_at) AS m, count(*) FROM users GROUP BY 1 ORDER BY 1",
    "SELECT id FROM users WHERE tags && ARRAY[3] ORDER BY id LIMIT 3",
    "SELECT id FROM users WHERE email = 'U1@EXAMPLE.COM'",
    "SELECT attrs -> 'a' FROM users WHERE attrs ? 'a' LIMIT 1",
    "SELECT count(*) FROM users WHERE path <@ 'top'",
    "SELECT similarity('abc', 'abd')",
    "SELECT pg_size_pretty(pg_total_relation_size('users'))",
    "SELECT CASE WHEN id > 10 THEN 'big' ELSE 'small' END, coalesce(email, 'none') FROM users ORDER BY id LIMIT 3",
    "WITH recent AS (SELECT * FROM orders WHERE total > 10) SELECT count(*) FROM recent",
    "SELECT id FROM users WHERE id = ANY (ARRAY[1, 2]) AND id <> ALL (ARRAY[3])",
    "EXPLAIN SELECT * FROM orders WHERE user_id = 1",
    "SHOW statement_timeout",
];

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn session(db: &str) -> Session {
    let target = conn::resolve(Some(&common::cluster().unwrap().dsn("reader", db)), &conn::ProcessEnv).unwrap();
    Session::connect(&target, Limits::default()).await.unwrap()
}

/// `sql` is refused on `s`, for a reason that names `why`.
async fn refused(s: &mut Session, sql: &str, why: &str) {
    let mut set = ResultSet::default();
    match s.run(sql, Some(10), &mut set).await {
        Err(DbError::Refused(r)) => assert!(r.iter().any(|r| r.contains(why)), "{sql}: {r:?}"),
        other => panic!("{sql} must be refused, got {other:?}"),
    }
}

#[test]
fn everyday_reads_run_as_a_select_only_role_among_contrib_operators() {
    let Some(db) = contrib() else { return };
    rt().block_on(async {
        let mut s = session(db).await;
        let mut failed = Vec::new();
        for sql in EVERYDAY {
            let mut set = ResultSet::default();
            if let Err(e) = s.run(sql, Some(100), &mut set).await {
                failed.push(format!("{sql}: {e}"));
            }
        }
        assert!(failed.is_empty(), "{} of {} refused or failed:\n{}", failed.len(), EVERYDAY.len(), failed.join("\n"));
    });
}

#[test]
fn every_sql_block_of_the_builtin_runbook_runs() {
    let Some(db) = contrib() else { return };
    rt().block_on(async {
        let mut s = session(db).await;
        let mut failed = Vec::new();
        let mut blocks = 0;
        for section in warroom::runbook::sections(warroom::runbook::BUILTIN) {
            for sql in &section.sql {
                for stmt in warroom::guard::review(sql).statements {
                    blocks += 1;
                    let mut set = ResultSet::default();
                    match s.run(&stmt.text, Some(100), &mut set).await {
                        Ok(_) | Err(DbError::Heavy(_)) => {}
                        Err(DbError::Refused(r)) => failed.push(format!("{}: refused: {r:?}", stmt.text)),
                        // The server may say no (a column of a newer release, a missing privilege):
                        // that is not warroom's verdict.
                        Err(DbError::Server(_)) => {}
                        Err(e) => failed.push(format!("{}: {e}", stmt.text)),
                    }
                }
            }
        }
        assert!(blocks > 5, "the runbook has SQL");
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    });
}

/// The owner creates and replaces objects while one session stays open: each read is judged
/// as the catalog stands for it.
#[test]
fn objects_changed_during_a_session_are_judged_fresh() {
    let Some(c) = common::database(
        "live",
        "owner_role",
        "GRANT CREATE ON SCHEMA public TO owner_role; SET ROLE owner_role;
         CREATE TABLE items (id int, name varchar); INSERT INTO items VALUES (1, 'a');
         CREATE VIEW shown AS SELECT id FROM items;
         CREATE FUNCTION marker() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
         GRANT SELECT ON items, shown TO reader; RESET ROLE;",
    ) else {
        return;
    };
    let owner = |sql: &str| c.psql(ADMIN, "live", &format!("SET ROLE owner_role; {sql}")).unwrap();
    rt().block_on(async {
        let mut s = session("live").await;
        let run = async |s: &mut Session, sql: &str| {
            let mut set = ResultSet::default();
            s.run(sql, Some(10), &mut set).await.map(|_| ())
        };
        run(&mut s, "SELECT * FROM shown").await.unwrap();
        run(&mut s, "SELECT floor(3)").await.unwrap();
        run(&mut s, "SELECT length(name) FROM items").await.unwrap();
        // Replaced and created between two reads of the same session.
        owner("CREATE OR REPLACE VIEW shown AS SELECT id + marker() AS id FROM items;");
        owner("CREATE FUNCTION public.floor(integer) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;");
        owner("CREATE FUNCTION public.length(varchar) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;");
        for (sql, why) in [
            ("SELECT * FROM shown", "the view public.shown calls public.marker()"),
            ("SELECT floor(3)", "calls public.floor(integer)"),
            ("SELECT length(name) FROM items", "calls public.length(character varying)"),
        ] {
            refused(&mut s, sql, why).await;
        }
        // A domain whose CHECK ends the session that runs it, and a type that holds it, made
        // while the session is open: PostgreSQL would run the check while it parses the
        // constant, so the Parse must not go out (the session staying alive proves it did not).
        owner(
            "CREATE FUNCTION public.ends(int) RETURNS boolean LANGUAGE sql AS $$ SELECT pg_terminate_backend(pg_backend_pid()) $$;
             CREATE DOMAIN public.ending AS int CHECK (VALUE IS NULL OR public.ends(VALUE));
             CREATE TYPE public.holder AS (a public.ending);",
        );
        refused(&mut s, "SELECT '(1)'::holder", "the domain public.ending").await;
        run(&mut s, "SELECT count(*) FROM items").await.unwrap();
        owner("DROP TYPE public.holder; DROP DOMAIN public.ending; DROP FUNCTION public.ends(int);");
        // And put back: reads again, on the same session.
        owner("CREATE OR REPLACE VIEW shown AS SELECT id FROM items; DROP FUNCTION public.floor(integer);");
        run(&mut s, "SELECT * FROM shown").await.unwrap();
        run(&mut s, "SELECT floor(3)").await.unwrap();
    });
}

/// A domain whose CHECK runs the owner's code: a statement with a string constant never
/// reaches the Parse (the input of a type holding the domain could run it there), one that
/// coerces to it is refused by its tree, and a read without either runs. The check ends the
/// session that runs it: a mark no rollback takes back.
#[test]
fn a_domain_that_runs_code_keeps_its_values_out() {
    if common::database(
        "domains",
        "owner_role",
        "GRANT CREATE ON SCHEMA public TO owner_role; SET ROLE owner_role;
         CREATE FUNCTION mark(int) RETURNS boolean LANGUAGE sql AS $$ SELECT pg_terminate_backend(pg_backend_pid()) $$;
         CREATE DOMAIN marked AS int CHECK (VALUE IS NULL OR mark(VALUE));
         CREATE DOMAIN also_marked AS marked;
         CREATE TYPE pair AS (a marked, b int);
         CREATE TABLE things (id int, p pair, m marked);
         INSERT INTO things VALUES (1, NULL, NULL);
         GRANT SELECT ON things TO reader; RESET ROLE;",
    )
    .is_none()
    {
        return;
    }
    rt().block_on(async {
        let mut s = session("domains").await;
        for (sql, why) in [
            ("SELECT '(1,2)'::pair", "has a string constant, and the database has the domain public.marked"),
            ("SELECT count(*) FROM things WHERE p = '(1,2)'", "has a string constant"),
            ("SELECT 3::marked", "coerces to the domain public.marked whose CHECK calls public.mark(integer)"),
            ("SELECT 3::also_marked", "coerces to the domain public.marked whose CHECK calls public.mark(integer)"),
        ] {
            refused(&mut s, sql, why).await;
        }
        // The check ends the session that runs it: this read on the same session proves it never ran.
        let mut set = ResultSet::default();
        s.run("SELECT id FROM things WHERE id = 1", Some(10), &mut set).await.unwrap();
    });
}

/// A foreign table runs its wrapper on every read: refused, directly, through a view, or as a
/// partition; read once the profile names its server as trusted.
#[test]
fn foreign_tables_are_read_only_from_trusted_servers() {
    if common::database(
        "remote",
        "postgres",
        "CREATE EXTENSION postgres_fdw;
         CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'remote');
         CREATE USER MAPPING FOR PUBLIC SERVER elsewhere OPTIONS (user 'postgres');
         CREATE TABLE local_rows (id int); INSERT INTO local_rows VALUES (1), (2);
         CREATE FOREIGN TABLE far (id int) SERVER elsewhere OPTIONS (table_name 'local_rows');
         CREATE VIEW far_view AS SELECT id FROM far;
         CREATE TABLE parts (id int) PARTITION BY RANGE (id);
         CREATE TABLE parts_low PARTITION OF parts FOR VALUES FROM (0) TO (10);
         CREATE FOREIGN TABLE parts_far PARTITION OF parts FOR VALUES FROM (10) TO (20) SERVER elsewhere
           OPTIONS (table_name 'local_rows');
         GRANT SELECT ON local_rows, far, far_view, parts TO reader;",
    )
    .is_none()
    {
        return;
    }
    rt().block_on(async {
        let mut s = session("remote").await;
        for (sql, why) in [
            ("SELECT * FROM far", "reads the foreign table public.far (server elsewhere)"),
            ("SELECT * FROM far_view", "the view public.far_view reads the foreign table public.far"),
            ("SELECT count(*) FROM parts", "has the foreign table public.parts_far among its partitions"),
        ] {
            refused(&mut s, sql, why).await;
        }
        let mut set = ResultSet::default();
        s.run("SELECT count(*) FROM local_rows", Some(10), &mut set).await.unwrap();
        // The profile trusts the server: its table is read like any other.
        let target =
            conn::resolve(Some(&common::cluster().unwrap().dsn("reader", "remote")), &conn::ProcessEnv).unwrap();
        let limits = Limits { trusted_servers: vec!["elsewhere".to_string()].into(), ..Limits::default() };
        let mut trusted = Session::connect(&target, limits).await.unwrap();
        let mut set = ResultSet::default();
        let read = trusted.run("SELECT * FROM far ORDER BY id", Some(10), &mut set).await;
        // The wrapper itself may refuse (the reader has no password for the remote side): the
        // point is that warroom did not.
        assert!(!matches!(read, Err(DbError::Refused(_))), "{read:?}");
    });
}
