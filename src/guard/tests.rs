//! Table-driven tests, one table per category of trick. The invariant under all of them:
//! a statement that fails to parse is never a read.

use super::*;

fn only(sql: &str) -> Statement {
    let r = review(sql);
    assert_eq!(r.statements.len(), 1, "expected one statement in {sql:?}, got {:#?}", r.statements);
    r.statements.into_iter().next().unwrap()
}

fn assert_reads(cases: &[&str]) {
    for sql in cases {
        let s = only(sql);
        let shown = normalize::clip(sql);
        assert_eq!(s.class, Class::Read, "{shown:?} should be a READ, reasons: {:?}", s.reasons);
        assert!(s.reasons.is_empty(), "a read has no reasons: {shown:?}");
    }
}

/// Each case: SQL, and a fragment that one of the reasons must contain.
fn assert_writes(cases: &[(&str, &str)]) {
    for (sql, why) in cases {
        let r = review(sql);
        assert_eq!(r.verdict(), Class::Write, "{sql:?} must be a WRITE: {:#?}", r.statements);
        let reasons: Vec<&String> = r.writes().flat_map(|s| &s.reasons).collect();
        assert!(r.writes().all(|s| !s.reasons.is_empty()), "a write always has reasons: {sql:?}");
        assert!(
            reasons.iter().any(|x| x.to_lowercase().contains(&why.to_lowercase())),
            "{sql:?}: no reason mentions {why:?}; reasons: {reasons:?}"
        );
    }
}

#[test]
fn triage_reads() {
    assert_reads(&[
        "SELECT 1",
        "select * from users where email is null",
        "SELECT pid, now() - query_start AS duration, state, left(query, 80) FROM pg_stat_activity WHERE state <> 'idle' AND now() - query_start > interval '5 minutes' ORDER BY duration DESC",
        "SELECT blocked.pid FROM pg_stat_activity blocked JOIN pg_stat_activity b ON b.pid = ANY(pg_blocking_pids(blocked.pid)) WHERE cardinality(pg_blocking_pids(blocked.pid)) > 0",
        "SELECT client_addr, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag FROM pg_stat_replication",
        "SELECT relname, n_dead_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 10",
        "SELECT 'users'::regclass, x::text, '{1,2}'::int[], '1 day'::interval FROM t",
        "SELECT locktype, relation::regclass, mode, granted FROM pg_locks WHERE NOT granted",
        "SELECT count(*) FILTER (WHERE email IS NULL), row_number() OVER (PARTITION BY a ORDER BY b) FROM users GROUP BY a, b",
        "SELECT DISTINCT ON (user_id) * FROM orders ORDER BY user_id, created_at DESC",
        "SELECT * FROM users u, LATERAL (SELECT * FROM orders o WHERE o.user_id = u.id LIMIT 1) o",
        "SELECT data->>'k', data @> '{\"a\":1}'::jsonb, data #>> '{a,b}' FROM events",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders",
        "SELECT n FROM generate_series(1, 10) AS g(n)",
        "SELECT json_agg(t) FROM (SELECT id, email FROM users LIMIT 5) t",
        "SELECT EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::int",
        "SELECT pg_catalog.now(), current_user, current_database(), version()",
        "(SELECT 1) UNION (SELECT 2)",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
        "SELECT a +++ b FROM t",
    ]);
}

#[test]
fn other_read_forms() {
    assert_reads(&[
        "TABLE users",
        "table public.users",
        "VALUES (1, 'a'), (2, 'b')",
        "SHOW statement_timeout",
        "SHOW ALL",
        "EXPLAIN SELECT * FROM users",
        "EXPLAIN ANALYZE SELECT * FROM users",
        "EXPLAIN ANALYSE SELECT 1",
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM users",
        "EXPLAIN DELETE FROM users WHERE id = 1",
        "EXPLAIN UPDATE users SET a = 1",
        "EXPLAIN (ANALYZE false) DELETE FROM users",
        "EXPLAIN (ANALYZE true, ANALYZE off) DELETE FROM users",
        "COPY (SELECT * FROM users) TO STDOUT",
        "COPY users TO STDOUT WITH (FORMAT csv, HEADER)",
        "\u{feff}SELECT 1",
        "SELECT U&\"d!0061t!+000061\" UESCAPE '!' FROM t",
        "SELECT U&'\\0041' AS a",
        "SELECT $$a;b$$, E'\\'', 'it''s', $tag$ ; DELETE FROM users $tag$",
        "SELECT 1 /* /* nested ; */ DELETE FROM users; */",
        "SELECT * FROM users WHERE email LIKE '%\\_%' ESCAPE '\\'",
    ]);
}

#[test]
fn multi_statement_is_split_never_merged() {
    let r = review("SELECT 1; DELETE FROM users; SELECT 2");
    let classes: Vec<Class> = r.statements.iter().map(|s| s.class).collect();
    assert_eq!(classes, vec![Class::Read, Class::Write, Class::Read]);
    assert_eq!(r.verdict(), Class::Write);
    let texts: Vec<&str> = r.statements.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, vec!["SELECT 1", "DELETE FROM users", "SELECT 2"]);

    let r = review("SELECT 1;\n\nSELECT\n  2;\n-- done\n");
    let spans: Vec<(usize, usize)> = r.statements.iter().map(|s| (s.span.start_line, s.span.end_line)).collect();
    assert_eq!(spans, vec![(1, 1), (3, 4)]);
    assert_eq!(r.verdict(), Class::Read);

    let r = review("SELECT 1 -- ;\r, pg_sleep(1)");
    assert_eq!(r.statements.len(), 1, "a bare CR ends the comment; the rest is the same statement");
    assert_eq!(r.verdict(), Class::Write);
}

#[test]
fn transaction_escapes() {
    assert_writes(&[
        ("COMMIT", "ends the read-only transaction"),
        ("END", "ends the read-only transaction"),
        ("ABORT", "ends the read-only transaction"),
        ("ROLLBACK", "ends the read-only transaction"),
        ("BEGIN READ WRITE", "read write"),
        ("START TRANSACTION READ WRITE", "read write"),
        ("BEGIN", "transaction"),
        ("SET TRANSACTION READ WRITE", "read-only protection"),
        ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "read-only protection"),
        ("SET default_transaction_read_only = off", "read-only protection"),
        ("RESET transaction_read_only", "reset"),
        ("RESET ALL", "reset"),
        ("SET ROLE postgres", "role"),
        ("SET SESSION AUTHORIZATION postgres", "authorization"),
        ("SET search_path = evil, public", "setting"),
        ("SET LOCAL statement_timeout = 0", "setting"),
        ("DISCARD ALL", "discard"),
        ("SAVEPOINT a", "transaction control"),
        ("SELECT 1; COMMIT; DROP TABLE users", "destroys"),
    ]);
}

#[test]
fn writable_ctes_anywhere() {
    assert_writes(&[
        (
            "WITH gone AS (DELETE FROM users RETURNING *) SELECT * FROM gone",
            "data-modifying CTE `gone` deletes from users",
        ),
        ("WITH x AS (SELECT 1), y AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM y", "`y` updates t"),
        ("WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", "`i` inserts into t"),
        ("SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s", "`d` deletes from t"),
        ("EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "`d` deletes"),
        ("COPY (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) TO STDOUT", "`d` deletes"),
        ("WITH a AS (SELECT 1) DELETE FROM users", "delete from users"),
    ]);
}

#[test]
fn explain_analyze_runs_what_it_explains() {
    assert_writes(&[
        ("EXPLAIN ANALYZE DELETE FROM users", "executes the statement"),
        ("EXPLAIN ANALYSE DELETE FROM users", "executes the statement"),
        ("explain analyze verbose update t set a = 1", "executes the statement"),
        ("EXPLAIN (ANALYZE) INSERT INTO t VALUES (1)", "executes the statement"),
        ("EXPLAIN (ANALYZE false, ANALYZE) DELETE FROM t", "executes the statement"),
        ("EXPLAIN (ANALYZE off, ANALYZE on) DELETE FROM t", "executes the statement"),
        ("EXPLAIN (ANALYZE 1) DELETE FROM t", "executes the statement"),
        ("EXPLAIN (FORMAT JSON, ANALYZE TRUE) DELETE FROM t", "executes the statement"),
        ("EXPLAIN (ANALYZE maybe) DELETE FROM t", "not a boolean"),
        ("EXPLAIN SELECT pg_sleep(10)", "pg_sleep"),
        ("EXPLAIN ANALYZE SELECT pg_terminate_backend(1)", "ends other sessions"),
    ]);
}

#[test]
fn into_and_create_as() {
    assert_writes(&[
        ("SELECT * INTO newt FROM users", "INTO newt creates a table"),
        ("SELECT * INTO TEMP t2 FROM users", "creates a table"),
        ("CREATE TABLE x AS SELECT 1", "creates a table from a query"),
        ("CREATE MATERIALIZED VIEW mv AS SELECT 1", "changes the schema"),
    ]);
}

#[test]
fn locking_clauses() {
    assert_writes(&[
        ("SELECT * FROM users FOR UPDATE", "FOR UPDATE"),
        ("SELECT * FROM users FOR NO KEY UPDATE", "FOR NO KEY UPDATE"),
        ("SELECT * FROM users FOR SHARE", "FOR SHARE"),
        ("SELECT * FROM users FOR KEY SHARE SKIP LOCKED", "FOR KEY SHARE"),
        ("SELECT * FROM users FOR UPDATE OF users NOWAIT", "FOR UPDATE"),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)", "FOR UPDATE"),
        ("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", "lock"),
        ("LOCK users", "lock"),
    ]);
}

#[test]
fn side_effecting_functions() {
    assert_writes(&[
        (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
            "calls pg_terminate_backend(), which ends other sessions",
        ),
        ("SELECT pg_cancel_backend(1)", "pg_cancel_backend"),
        ("SELECT set_config('default_transaction_read_only', 'off', false)", "set_config"),
        ("SELECT nextval('s')", "nextval"),
        ("SELECT setval('s', 1)", "setval"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
        ("SELECT pg_try_advisory_xact_lock(1)", "advisory lock"),
        ("SELECT pg_notify('c', 'x')", "pg_notify"),
        ("SELECT lo_import('/etc/passwd')", "lo_import"),
        ("SELECT lo_unlink(1)", "large objects"),
        ("SELECT * FROM dblink('host=x', 'DELETE FROM users') AS t(a int)", "dblink"),
        ("SELECT dblink_exec('DELETE FROM users')", "dblink_exec"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
        ("SELECT pg_logical_emit_message(true, 'x', 'y')", "pg_logical_emit_message"),
        ("SELECT pg_sleep(100)", "pg_sleep"),
        ("SELECT * FROM pg_sleep(10)", "pg_sleep"),
        ("SELECT \"pg_sleep\"(1)", "pg_sleep"),
        ("SELECT U&\"pg\\005fsleep\"(1)", "pg_sleep"),
        ("SELECT PG_CATALOG.PG_SLEEP(1)", "pg_sleep"),
        ("SELECT my_func(1)", "my_func"),
        ("SELECT public.lower('x')", "public.lower"),
        ("SELECT \"LOWER\"('x')", "LOWER"),
        ("SELECT txid_current()", "transaction id"),
        ("SELECT pg_reload_conf()", "server's state"),
        ("SELECT pg_stat_reset()", "resets statistics"),
        ("SELECT * FROM t LIMIT (SELECT nextval('s'))", "nextval"),
        ("VALUES ((SELECT pg_sleep(1)))", "pg_sleep"),
        ("SELECT 1::mytype", "mytype"),
        ("SELECT 'x'::public.citext", "citext"),
        ("SELECT a ~~~ b FROM t", "~~~"),
        ("SELECT a OPERATOR(public.===) b FROM t", "operator"),
    ]);
    let s = only("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction'");
    assert!(s.destructive, "ending other sessions is destructive");
}

#[test]
fn sql_hidden_in_strings() {
    assert_writes(&[
        ("SELECT query_to_xml('DELETE FROM users RETURNING 1', true, true, '')", "runs SQL given as a string"),
        ("SELECT cursor_to_xml('c', 1, true, true, '')", "runs SQL given as a string"),
        ("SELECT * FROM ts_stat('DELETE FROM users RETURNING to_tsvector(email)')", "runs SQL given as a string"),
        ("SELECT database_to_xml(true, true, '')", "runs SQL given as a string"),
    ]);
}

#[test]
fn copy() {
    assert_writes(&[
        ("COPY users FROM STDIN", "loads rows"),
        ("COPY users FROM '/tmp/x'", "loads rows"),
        ("COPY users TO '/tmp/x'", "writes a file"),
        ("COPY (SELECT 1) TO PROGRAM 'rm -rf /'", "shell command"),
        ("COPY (SELECT pg_sleep(1)) TO STDOUT", "pg_sleep"),
        ("COPY (SELECT * FROM t FOR UPDATE) TO STDOUT", "FOR UPDATE"),
    ]);
    assert!(only("COPY (SELECT 1) TO PROGRAM 'x'").destructive);
}

#[test]
fn code_blocks_and_prepared_statements() {
    assert_writes(&[
        ("DO $$ BEGIN DELETE FROM users; END $$", "anonymous code block"),
        ("DO LANGUAGE plpgsql 'BEGIN NULL; END'", "anonymous code block"),
        ("CALL cleanup()", "procedure"),
        ("PREPARE p AS DELETE FROM users", "prepared"),
        ("PREPARE p AS SELECT 1", "prepared"),
        ("EXECUTE p", "prepared statement"),
        ("DEALLOCATE ALL", "prepared"),
        ("DECLARE c CURSOR WITH HOLD FOR SELECT 1", "cursor"),
        ("FETCH c", "cursor"),
        ("CLOSE c", "cursor"),
        ("LISTEN ch", "listens"),
        ("UNLISTEN *", "listens"),
        ("NOTIFY ch, 'x'", "message"),
        ("LOAD 'auto_explain'", "shared library"),
    ]);
}

#[test]
fn maintenance() {
    assert_writes(&[
        ("VACUUM FULL users", "maintenance"),
        ("VACUUM", "maintenance"),
        ("ANALYZE users", "maintenance"),
        ("ANALYSE", "maintenance"),
        ("REINDEX TABLE users", "maintenance"),
        ("CLUSTER users", "maintenance"),
        ("REFRESH MATERIALIZED VIEW mv", "maintenance"),
        ("CHECKPOINT", "maintenance"),
    ]);
}

#[test]
fn ddl_dcl_and_destructive() {
    let cases: &[(&str, bool)] = &[
        ("DROP TABLE users", true),
        ("drop schema public cascade", true),
        ("TRUNCATE users", true),
        ("TRUNCATE TABLE users, orders RESTART IDENTITY", true),
        ("ALTER TABLE users DROP COLUMN email", true),
        ("ALTER TABLE users DROP CONSTRAINT users_pkey", true),
        ("ALTER TABLE users ADD COLUMN x int", false),
        ("CREATE INDEX ON users (email)", false),
        ("GRANT ALL ON users TO public", false),
        ("REVOKE SELECT ON users FROM bob", false),
        ("ALTER SYSTEM SET fsync = off", false),
        ("CREATE EXTENSION dblink", false),
        ("DELETE FROM users", true),
        ("DELETE FROM users WHERE 1=1", true),
        ("DELETE FROM users WHERE true", true),
        ("DELETE FROM users WHERE id = id", true),
        ("DELETE FROM users WHERE 1 < 2", true),
        ("DELETE FROM users WHERE 1 < 2 OR id = 5", true),
        ("DELETE FROM users WHERE NOT false", true),
        ("DELETE FROM users WHERE 'a' = 'a'", true),
        ("DELETE FROM users WHERE (1 = 1) AND (2 = 2)", true),
        ("DELETE FROM users WHERE email LIKE '%'", true),
        ("DELETE FROM users WHERE EXISTS (SELECT 1)", true),
        ("UPDATE users SET email = NULL", true),
        ("UPDATE users SET email = NULL WHERE true", true),
        ("DELETE FROM users WHERE email IS NULL", false),
        ("DELETE FROM users WHERE id = 5", false),
        ("DELETE FROM users WHERE random() = random()", false),
        ("UPDATE users SET email = lower(email) WHERE id = 3", false),
        ("INSERT INTO t VALUES (1)", false),
        ("MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE", false),
    ];
    for (sql, destructive) in cases {
        let s = only(sql);
        assert_eq!(s.class, Class::Write, "{sql}");
        assert_eq!(s.destructive, *destructive, "{sql}: destructive flag, reasons {:?}", s.reasons);
        assert!(!s.reasons.is_empty(), "{sql}");
    }
    assert_eq!(
        only("DELETE FROM users WHERE 1=1").reasons,
        vec!["DELETE FROM users has a WHERE clause that is always true (1 = 1): it removes every row".to_string()]
    );
}

#[test]
fn psql_meta_commands() {
    assert_writes(&[
        ("\\! rm -rf /", "psql meta-command"),
        ("\\copy users to /tmp/x", "\\copy"),
        ("SELECT 'DELETE FROM users' \\gexec", "\\gexec"),
        ("\\i evil.sql", "\\i"),
        ("\\set x 1", "\\set"),
        ("\\o /tmp/out", "\\o"),
        ("SELECT 1 \\; DELETE FROM users", "psql meta-command"),
        ("SELECT :x", "psql variable"),
        ("SELECT :'x'", "psql variable"),
        ("SELECT * FROM :\"t\"", "psql variable"),
    ]);
    // Array slices are not psql variables.
    assert_reads(&["SELECT a[1:2], a[lo:hi] FROM t"]);
}

#[test]
fn lexical_tricks() {
    assert_writes(&[
        // The string ends at the second quote; the DELETE is its own statement.
        ("SELECT 'a\\'; DELETE FROM users; --'", "DELETE FROM users"),
        ("SELECT E'a\\'; DELETE FROM users; --' , pg_sleep(1)", "pg_sleep"),
        // Read differently with standard_conforming_strings off: refuse.
        ("SELECT 'a\\'' , pg_sleep(1) --'", "standard_conforming_strings"),
        ("SELECT '\\'; SELECT '; SELECT pg_sleep(1); SELECT '", "standard_conforming_strings"),
        ("SELECT $a$ x $a$, pg_sleep(1)", "pg_sleep"),
        ("SELECT a$b$, pg_sleep(1) FROM t", "pg_sleep"),
        ("SELECT a$b$, pg_sleep(1) $b$ FROM t", "unterminated"),
        ("SELECT 1 /* unterminated", "unterminated"),
        ("SELECT 'unterminated", "unterminated"),
        ("SELECT $x$ unterminated", "unterminated"),
        ("SELECT 1\0; SELECT 2", "NUL"),
        ("/* c */ DELETE FROM users", "DELETE FROM users"),
        ("SELECT (1; DELETE FROM users)", "semicolon"),
        ("sElEcT 1; dElEtE fRoM users", "removes every row"),
        ("SELECT 'x' UESCAPE '!'", "UESCAPE"),
        ("SELECT U&'\\zzzz'", "Unicode escape"),
        ("SELECT `x`", "operator"),
    ]);
    // A whole runbook function body stays one statement, as psql sends it.
    let r = review("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2");
    assert_eq!(r.statements.len(), 2);
    assert_eq!(r.statements[0].class, Class::Write);
    assert_eq!(r.statements[1].class, Class::Read);
}

#[test]
fn empty_and_comment_only_input() {
    for sql in ["", "   \n\t", "-- just a comment", "/* nothing */", ";;;", "```sql\n```"] {
        let r = review(sql);
        assert_eq!(r.verdict(), Class::Write, "{sql:?}");
        assert_eq!(r.statements.len(), 1);
        assert_eq!(r.statements[0].kind, Kind::Empty, "{sql:?}");
        assert!(!r.statements[0].reasons.is_empty());
    }
}

#[test]
fn huge_and_deep_input() {
    let deep = format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500));
    assert_writes(&[(deep.as_str(), "too deep")]);
    let long = format!("SELECT {}", vec!["1"; 50_000].join(" + "));
    assert_writes(&[(long.as_str(), "too many")]);
    let ors =
        format!("SELECT * FROM t WHERE {}", (0..2000).map(|i| format!("id = {i}")).collect::<Vec<_>>().join(" OR "));
    assert_reads(&[ors.as_str()]);
    let big = "SELECT 1;\n".repeat(100_000);
    let r = review(&big);
    assert_eq!(r.statements.len(), 100_000);
    assert_eq!(r.verdict(), Class::Read);
    let too_big = "x".repeat(MAX_INPUT_BYTES + 1);
    assert_writes(&[(too_big.as_str(), "more than")]);
}

#[test]
fn markdown_answers() {
    let answer = "Here is the query:\n\n```sql\nSELECT id,\n       email\n  FROM users\n WHERE email IS NULL;\nWITH gone AS (DELETE FROM users WHERE email IS NULL RETURNING id) SELECT count(*) FROM gone;\nCOMMIT; DROP TABLE users;\n```\n\nRun it when ready.\n";
    let r = review(answer);
    let got: Vec<(Class, usize, usize, bool)> =
        r.statements.iter().map(|s| (s.class, s.span.start_line, s.span.end_line, s.destructive)).collect();
    assert_eq!(
        got,
        vec![
            (Class::Read, 4, 7, false),
            (Class::Write, 8, 8, false),
            (Class::Write, 9, 9, false),
            (Class::Write, 9, 9, true),
        ]
    );
    assert_eq!(r.ignored.len(), 2);
    assert_eq!(r.ignored[0].text, "Here is the query:");
    assert_eq!((r.ignored[1].span.start_line, r.ignored[1].text.as_str()), (12, "Run it when ready."));
    // Fences in other languages are never run, nor reviewed as SQL.
    let r = review("```bash\npsql -c 'DELETE FROM users'\n```\n```sql\nSELECT 1\n```");
    assert_eq!(r.statements.len(), 1);
    assert_eq!(r.verdict(), Class::Read);
    assert_eq!(r.ignored[0].text, "```bash\npsql -c 'DELETE FROM users'\n```");
}

#[test]
fn statement_text_is_original() {
    let sql = "  select  E'x'  , $$y$$ /* keep */ ;";
    let s = only(sql);
    assert_eq!(s.text, "select  E'x'  , $$y$$ /* keep */");
    assert_eq!(&sql[s.span.start..s.span.end], s.text);
}

#[test]
fn no_second_model_of_sql() {
    // There is no lexical shortcut to READ: each of these once looked like a read to one.
    assert_writes(&[
        ("SELECT by(1)", "by"),
        ("SELECT x::mytype", "mytype"),
        ("SELECT mytype 'x'", "mytype"),
        ("SELECT pg_catalog.pg_sleep(1)", "pg_sleep"),
        ("SELECT public.lower('x')", "public.lower"),
        ("SELECT * FROM t FOR UPDATE", "FOR UPDATE"),
        ("SELECT 1 INTO t", "INTO"),
        ("SELECT cube(1)", "cube"),
        ("SELECT x::public.int4", "public.int4"),
        ("SELECT * FROM t TABLESAMPLE evil(1)", "evil"),
        ("SELECT * FROM ROWS FROM (evil())", "parsed"),
        ("SELECT a OPERATOR(public.+) b", "operator"),
        ("SELECT 1 FROM t WHERE left(a, 1) = 'x' AND evil(a)", "evil"),
        // What the server rejects is never a read, however plain it looks.
        ("SELECT * FROM", "parsed"),
        ("SELECT * FRMO users", "parsed"),
        ("SELECT (1", "parsed"),
        ("SELECT 1)", "parsed"),
        ("SELECT f(,)", "parsed"),
        ("SELECT 1 +", "parsed"),
    ]);
}

/// Every spelling PostgreSQL accepts of `x.name` where `name` is a function: each a call.
#[test]
fn calls_without_parentheses() {
    let dot_spellings =
        [".{f}", ".\"{f}\"", " . {f}", "\n.\n{f}", " /* c */ . /* d */ {f}", " -- c\n.{f}", ".U&\"{f}\""];
    let values = ["(12345)", "((1))", "('x')", "(42::bigint)", "(SELECT 1)", "(ARRAY[1])[1]", "(ROW(1)).f1", "(-1)"];
    let places = [
        "SELECT {e}",
        "SELECT 1 WHERE {e} IS NULL",
        "SELECT 1 FROM t GROUP BY 1 HAVING {e} IS NULL",
        "SELECT 1 FROM t ORDER BY {e}",
        "SELECT 1 LIMIT {e}",
        "SELECT count(*) FILTER (WHERE {e} IS NULL) FROM t",
        "SELECT row_number() OVER (PARTITION BY {e}) FROM t",
        "WITH c AS (SELECT {e}) SELECT * FROM c",
        "SELECT * FROM (SELECT {e}) s",
        "VALUES ({e})",
        "SELECT * FROM t, LATERAL (SELECT {e}) l",
        "SELECT lower({e}::text)",
        "SELECT CASE WHEN true THEN {e} END",
        "EXPLAIN ANALYZE SELECT {e}",
        "EXPLAIN SELECT {e}",
        "COPY (SELECT {e}) TO STDOUT",
    ];
    for f in ["pg_terminate_backend", "pg_advisory_lock", "lo_creat", "pg_stat_reset_shared", "dblink_exec", "pg_sleep"]
    {
        for dot in dot_spellings {
            let dot = dot.replace("{f}", f).replace("U&\"pg_", "U&\"p\\0067_");
            for value in values {
                for place in places {
                    let sql = place.replace("{e}", &format!("{value}{dot}"));
                    assert_writes(&[(&sql, f)]);
                }
            }
        }
    }
    // An alias of every kind of FROM item, and a table, is the value the call gets.
    for from in [
        "unnest(ARRAY[1]) a",
        "generate_series(1, 2) a",
        "t a",
        "(SELECT 1) a",
        "LATERAL generate_series(1, 2) a",
        "jsonb_array_elements('[1]') a",
    ] {
        assert_writes(&[
            (&format!("SELECT a.pg_terminate_backend FROM {from}"), "pg_terminate_backend"),
            (&format!("SELECT 1 FROM {from} WHERE a.\"pg_advisory_lock\" IS NULL"), "pg_advisory_lock"),
            (&format!("SELECT public.a.pg_sleep FROM {from}"), "pg_sleep"),
        ]);
    }
    // An allow-listed function reached this way is still a read, and so are columns.
    assert_reads(&[
        "SELECT (x).lower FROM t",
        "SELECT u.email, u.\"PG_SLEEP\", t.length FROM users u, t",
        "SELECT pg_catalog.pg_class.oid FROM pg_catalog.pg_class",
        "SELECT s.pid, s.query FROM pg_stat_activity s",
    ]);
}

/// scan.l joins `'a'` newline `'b'` into one constant, lexed in the first piece's mode.
#[test]
fn string_continuations() {
    assert_writes(&[
        ("SELECT E''\n'\\'' , pg_terminate_backend(12345) -- '\n,'\\'", "pg_terminate_backend"),
        ("SELECT E'a'\n  '\\'', pg_sleep(1) --'", "pg_sleep"),
        ("SELECT E'a' -- comment\n-- another\n'\\'', pg_sleep(1) --'", "pg_sleep"),
        ("SELECT e'a'\r'\\'', pg_sleep(1) --'", "pg_sleep"),
        ("SELECT U&'a'\n'b' UESCAPE '!', pg_sleep(1)", "pg_sleep"),
        ("SELECT 'a'\n'b', pg_sleep(1)", "pg_sleep"),
    ]);
    assert_reads(&[
        "SELECT 'a'\n'b'",
        "SELECT 'a' -- c\n'b' AS x",
        "SELECT E'a\\n'\n'b\\t'",
        "SELECT U&'\\0061'\n'\\0062' UESCAPE '\\'",
        "SELECT 'C:\\'",
        "SELECT E'\\\\'",
    ]);
    // No newline, or a block comment between, and they are two constants: PostgreSQL refuses.
    assert_writes(&[("SELECT 'a' 'b'", "'b'"), ("SELECT 'a' /* c */\n'b'", "'b'")]);
    // The second reading (standard_conforming_strings off) is compared as far as it goes.
    assert_writes(&[("SELECT 'a\\', pg_sleep(1), 'b\\'", "pg_sleep")]);
    let r = review("SELECT 'x\\' || pg_sleep(1) --'\n, 'tail\\'");
    assert_eq!(r.verdict(), Class::Write, "{r:#?}");
    // Read with backslash escapes, this is `SELECT 'a'', pg_sleep(1), ' b` and an open string:
    // the server would refuse it, but what comes before the open string is still looked at.
    assert_writes(&[("SELECT 'a\\', pg_sleep(1) AS b, 'c'", "pg_sleep")]);
    assert_reads(&["SELECT 'a\\' AS x, ' , lower(1) AS b, ' AS y"]);
    assert_writes(&[(
        "SELECT 'a\\' AS x, ' , pg_sleep(1) AS b, ' AS y",
        "before the string it leaves open, it calls pg_sleep()",
    )]);
    assert_reads(&["SELECT 'a\\', 'b'", "SELECT 'C:\\temp\\' AS dir, lower('X') AS y, 'z'"]);
}

#[test]
fn into_anywhere() {
    assert_writes(&[
        ("SELECT INTO x FROM t", "INTO"),
        ("SELECT INTO x", "INTO"),
        ("SELECT * INTO x FROM t", "INTO"),
        ("SELECT a INTO TEMP x FROM t", "INTO"),
        ("EXPLAIN ANALYZE SELECT INTO x FROM t", "INTO"),
        ("EXPLAIN SELECT INTO x FROM t", "INTO"),
        ("WITH c AS (SELECT 1) SELECT INTO x FROM c", "INTO"),
        ("SELECT insert INTO x FROM t", "INTO"),
        ("(SELECT INTO x FROM t)", "INTO"),
        ("SELECT 1 UNION SELECT INTO x FROM t", "INTO"),
    ]);
    assert_reads(&[
        "EXPLAIN INSERT INTO t VALUES (1)",
        "EXPLAIN (COSTS off) MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        "SELECT \"into\" FROM t",
        "SELECT 'into'",
    ]);
}

#[test]
fn types_by_their_postgres_name() {
    for t in [
        "datetime",
        "longblob",
        "blob",
        "tinyint",
        "string",
        "nvarchar(3)",
        "int64",
        "Int128",
        "UInt8",
        "mediumint",
        "tinytext",
        "signed",
        "unsigned",
        "float64",
        "clob",
        "\"Money\"",
        "myschema.int4",
        "public.text",
        "geometry",
    ] {
        assert_writes(&[
            (&format!("SELECT x::{t} FROM t"), "casts to"),
            (&format!("SELECT CAST(x AS {t}) FROM t"), "casts to"),
            (&format!("SELECT x::{t}[] FROM t"), "casts to"),
        ]);
    }
    for t in ["\"Money\" '1.5'", "myschema.int4 '1'", "mytype 'x'", "public.\"t\" 'x'", "datetime '2020-01-01'"] {
        assert_writes(&[(&format!("SELECT {t}"), "type")]);
    }
    assert_writes(&[("SELECT * FROM f() AS x(a mytype)", "mytype")]);
    assert_reads(&[
        "SELECT x::int, x::integer, x::int4, x::smallint, x::bigint, x::real, x::float, x::float(3), x::double precision FROM t",
        "SELECT x::decimal(3,2), x::dec, x::numeric, x::boolean, x::bool, x::char(2), x::character varying(4), x::varchar FROM t",
        "SELECT x::timestamp(3) with time zone, x::timestamptz, x::time without time zone, x::interval day to second FROM t",
        "SELECT x::bit varying(3), x::varbit, x::bit(2), x::text[], x::int4[3], x::\"char\", x::pg_catalog.int4, x::json, x::jsonb FROM t",
        "SELECT date '2020-01-01', timestamp '2020-01-01', interval '1 day', int4 '1', pg_catalog.int4 '1'",
        "SELECT * FROM generate_series(1, 3) AS g(n)",
    ]);
}

/// The shapes that once took the guard seconds: the verdict stays right (their time is in benches/review.rs).
#[test]
fn slow_shapes_still_classify() {
    let mut dump = String::from("SELECT '\\\\';\n");
    for i in 0..2000 {
        dump.push_str(&format!("INSERT INTO t VALUES ({i}, 'a\\\\b');\n"));
    }
    let r = review(&dump);
    assert_eq!(r.statements.len(), 2001);
    assert_eq!(r.statements[0].class, Class::Read);
    assert!(r.statements[1..].iter().all(|s| s.class == Class::Write && s.kind == Kind::Insert));
    let list: Vec<String> = (0..2000).map(|i| format!("'v{i}'")).collect();
    let sql = format!("DELETE FROM t WHERE '{}' IN ({})", "x".repeat(100_000), list.join(", "));
    let s = only(&sql);
    assert_eq!((s.class, s.kind), (Class::Write, Kind::Delete));
}

/// The reads that sqlparser needs rewritten for it are in tests/attacks.rs, where the server
/// runs them; here, the same shapes with a call in them stay writes.
#[test]
fn rewrites_for_the_parser_hide_no_call() {
    assert_writes(&[
        ("SELECT concat_ws(',', VARIADIC ARRAY[pg_sleep(1)::text])", "pg_sleep"),
        (
            "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN pg_sleep(1)::int PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM t",
            "pg_sleep",
        ),
        ("SELECT sum(x) OVER (ORDER BY d RANGE BETWEEN '1 day'::mytype PRECEDING AND CURRENT ROW) FROM t", "parsed"),
        ("SELECT SUBSTRING('abc' SIMILAR pg_sleep(1)::text ESCAPE '#')", "pg_sleep"),
        ("SELECT xmlexists('//a' PASSING BY REF evil('<a/>'))", "evil"),
        ("SELECT a COLLATE pg_sleep(1)", "parsed"),
        ("SELECT (evil(1)).*", "evil"),
        ("SELECT regtype('a', 'b')", "regtype"),
        ("SELECT public.inet('1.2.3.4')", "public.inet"),
        ("SELECT mytype('x')", "mytype"),
        // A type keyword is not a function's name: PostgreSQL rejects these, so they are not reads.
        ("SELECT numeric(1)", "type numeric"),
        ("SELECT timestamp(now())", "type timestamp"),
    ]);
}

/// Reads remembered by shape never carry over to a statement whose constants change its verdict.
#[test]
fn same_shape_same_verdict() {
    let mut paste = String::new();
    for i in 0..3000 {
        paste.push_str(&format!("SELECT {i}, 'v{i}' FROM t WHERE id = {i};\n"));
        paste.push_str(&format!(
            "EXPLAIN (ANALYZE {}) DELETE FROM t WHERE id = {i};\n",
            if i % 2 == 0 { "off" } else { "'on'" }
        ));
        paste.push_str(&format!("DELETE FROM t WHERE {} = {};\n", i % 2, i % 2 + 1));
    }
    assert!(paste.len() > 64 * 1024, "big enough to be analysed on every core");
    let r = review(&paste);
    assert_eq!(r.statements.len(), 9000);
    for (i, three) in r.statements.chunks(3).enumerate() {
        assert_eq!(three[0].class, Class::Read);
        assert_eq!(three[1].class, if i % 2 == 0 { Class::Read } else { Class::Write }, "{}", three[1].text);
        assert_eq!(three[2].class, Class::Write);
        assert!(!three[2].destructive, "{} is false for every row", three[2].text);
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn sqlish() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "SELECT",
            "DELETE",
            "FROM",
            "users",
            "WHERE",
            "1",
            ";",
            "'",
            "\"",
            "$$",
            "$a$",
            "E'",
            "U&'",
            "--",
            "/*",
            "*/",
            "\n",
            "\r",
            " ",
            "(",
            ")",
            "\\",
            ":",
            "::",
            "```sql\n",
            "```\n",
            "pg_sleep(1)",
            "INTO",
            "FOR UPDATE",
            "WITH",
            "x AS (",
            "EXPLAIN",
            "ANALYZE",
            "COMMIT",
            "\0",
            "é",
            "\u{feff}",
        ]);
        prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn never_panics_on_arbitrary_text(s in any::<String>()) {
            let _ = review(&s);
        }

        #[test]
        fn spans_cover_statements_without_overlap(s in sqlish()) {
            let r = review(&s);
            let mut prev_end = 0;
            for st in &r.statements {
                if st.kind == Kind::Empty { continue; }
                prop_assert!(st.span.start >= prev_end, "overlap at {}", st.span.start);
                prop_assert!(st.span.start < st.span.end);
                prop_assert_eq!(&s[st.span.start..st.span.end], st.text.as_str());
                prop_assert!(st.span.start_line <= st.span.end_line);
                prev_end = st.span.end;
            }
        }

        #[test]
        fn unparsed_is_never_read(s in sqlish()) {
            let r = review(&s);
            for st in &r.statements {
                if matches!(st.kind, Kind::Unparsed | Kind::Empty | Kind::PsqlMeta) {
                    prop_assert_eq!(st.class, Class::Write);
                }
                if st.class == Class::Write {
                    prop_assert!(!st.reasons.is_empty());
                }
                if st.class == Class::Read {
                    // A read re-reviewed on its own is still a read: labels never depend on neighbours.
                    prop_assert_eq!(review(&st.text).verdict(), Class::Read);
                }
            }
        }

        #[test]
        fn every_read_is_what_the_parser_accepts(s in sqlish()) {
            // The parser's verdict bounds every READ: one statement, parsed, nothing left over.
            for st in review(&s).statements.iter().filter(|st| st.class == Class::Read) {
                let toks = lex::tokenize(&st.text);
                let n = normalize::normalize(&st.text, &toks, true);
                let parsed = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, &n.sql);
                prop_assert!(parsed.is_ok_and(|v| v.len() == 1), "{:?} is a READ the parser does not accept", st.text);
            }
        }

        #[test]
        fn nothing_outside_statements_is_sql(s in sqlish()) {
            // Joining the statements with what lies between them gives back the input:
            // between them is only whitespace, comments, semicolons, fences and ignored prose.
            let r = review(&s);
            let mut rebuilt = String::new();
            let mut pos = 0;
            for st in r.statements.iter().filter(|st| st.kind != Kind::Empty) {
                rebuilt.push_str(&s[pos..st.span.start]);
                rebuilt.push_str(&st.text);
                pos = st.span.end;
            }
            rebuilt.push_str(&s[pos..]);
            prop_assert_eq!(rebuilt, s);
        }
    }
}

/// Genuine reads the text guard used to refuse: PostgreSQL syntax that sqlparser does not
/// read, rewritten for it (`benches/needless.py` counts them on PostgreSQL's regression SQL
/// and on SQLsmith's queries).
#[test]
fn postgres_syntax_sqlparser_lacks() {
    assert_reads(&[
        "SELECT ARRAY(SELECT id FROM users ORDER BY id)",
        "SELECT array(select sum(x) from generate_series(1,3) x)",
        "SELECT '{1,2}'::_int4, c = '{\"a\"}'::_name FROM t",
        "SELECT * FROM json_to_record('{\"ia\": 1}') AS x(ia _int4)",
        "SELECT * FROM json_populate_record(null::record, '{\"x\": 776}') AS (x int, y int)",
        "SELECT 1 WHERE to_tsvector('a') @@ ANY (ARRAY[to_tsquery('a')])",
        "SELECT * FROM t WHERE tags && ANY (ARRAY[ARRAY[3]]) OR b # ALL ('{1}') OR c @> SOME (d)",
        "SELECT 'foo' LIKE ALL (ARRAY['f%', '%o']), 'foo' NOT ILIKE ANY (ARRAY['x%'])",
        "SELECT sum(c) FROM g GROUP BY GROUPING SETS ((), GROUPING SETS ((), GROUPING SETS (((a, b)))))",
        "SELECT a FROM t GROUP BY GROUPING SETS (ROLLUP (a, b), CUBE (c), ())",
        "SELECT a, b FROM t GROUP BY DISTINCT ROLLUP (a, b), ROLLUP (a, c)",
        "WITH RECURSIVE s(f, t) AS (SELECT * FROM g UNION ALL SELECT g.* FROM g, s WHERE g.f = s.t) SEARCH DEPTH FIRST BY f, t SET seq SELECT * FROM s ORDER BY seq",
        "WITH RECURSIVE s(f, t) AS (SELECT * FROM g UNION ALL SELECT g.* FROM g, s WHERE g.f = s.t) SEARCH BREADTH FIRST BY f SET seq CYCLE f, t SET is_cycle USING path SELECT * FROM s",
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) CYCLE n SET c TO 'Y' DEFAULT 'N' USING p SELECT * FROM s",
        "-- the table\nTABLE users",
        "SELECT * FROM t WHERE a ISNULL OR b NOTNULL",
        "SELECT COLLATION FOR ('foo'::text)",
        "SELECT pg_catalog.current_user(), pg_catalog.session_user()",
        "SELECT r *= r, r *<> r, r *<= r FROM (SELECT ROW(1) AS r) s",
        "SELECT xmlelement(NAME employee, xmlattributes(1 AS one), xmlforest(name, age AS years)) FROM emp",
        "SELECT xmltable.* FROM xmldata, LATERAL XMLTABLE('/ROWS/ROW' PASSING data COLUMNS id int PATH '@id')",
        "SELECT xmlserialize(CONTENT '<a/>' AS text INDENT), xml '<a/>' IS NOT DOCUMENT",
    ]);
    // The rewrites hide nothing that acts: a call, cast or operator in or beside them still counts.
    assert_writes(&[
        ("SELECT \"array\"(SELECT 1)", "parsed"),
        ("SELECT ARRAY(SELECT pg_terminate_backend(1))", "pg_terminate_backend"),
        ("SELECT 1 WHERE a && ANY (ARRAY[evil()])", "evil"),
        ("SELECT 1 WHERE a &&& ANY (ARRAY[1])", "&&&"),
        ("SELECT 'a' LIKE ALL (ARRAY[evil()])", "evil"),
        ("SELECT '{1}'::_mytype", "_mytype"),
        ("SELECT '{1}'::public._int4", "_int4"),
        ("SELECT * FROM f() AS (x mytype)", "mytype"),
        ("SELECT * FROM evil() AS (x int)", "evil"),
        ("SELECT a FROM t GROUP BY GROUPING SETS ((), ROLLUP (evil()))", "evil"),
        (
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) CYCLE n SET c TO mytype 'Y' DEFAULT 'N' USING p SELECT * FROM s",
            "parsed",
        ),
        ("WITH RECURSIVE s(n) AS (SELECT evil()) SEARCH DEPTH FIRST BY n SET o SELECT * FROM s", "evil"),
        ("SELECT isnull(x) FROM t", "isnull"),
        ("SELECT public.current_user()", "public.current_user"),
        ("SELECT COLLATION FOR (evil())", "evil"),
        ("SELECT xmlelement(NAME e, evil())", "evil"),
        ("SELECT r *= evil() FROM t", "evil"),
        ("WITH x AS (SELECT evil()) SELECT * FROM x", "evil"),
    ]);
}

#[test]
fn the_query_of_a_copy_to_stdout() {
    let q = |sql: &str| copy_query(sql).map(|c| c.into_owned());
    assert_eq!(
        q("COPY (SELECT (1), 'a)' FROM t) TO STDOUT WITH (FORMAT csv)").as_deref(),
        Some("SELECT (1), 'a)' FROM t")
    );
    assert_eq!(q("copy (select 1) to stdout;").as_deref(), Some("select 1"));
    assert_eq!(q("COPY t TO STDOUT").as_deref(), Some("SELECT * FROM t"));
    assert_eq!(
        q("COPY public.\"My T\" (a, \"B\") TO STDOUT (FORMAT csv)").as_deref(),
        Some("SELECT a, \"B\" FROM public.\"My T\"")
    );
    assert_eq!(q("COPY t FROM STDIN"), None);
    assert_eq!(q("COPY (SELECT 1) TO '/tmp/x'"), None);
    assert_eq!(q("COPY (SELECT 1) TO PROGRAM 'rm -rf /'"), None);
    assert_eq!(q("COPY t TO PROGRAM 'rm -rf /'"), None);
}
