//! `warroom query`, `doctor` and `demo` as a user runs them, against a real server.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use warroom::demo::ADMIN;

fn warroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env_remove("WARROOM_CONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn admin(sql: &str) -> String {
    common::cluster().unwrap().psql(ADMIN, common::DB, sql).unwrap()
}

#[test]
fn a_write_is_refused_before_anything_connects() {
    // No server at all: a refusal (1), not a connection error (3), proves nothing was sent.
    let out = warroom(&["query", "--dsn", "host=/nonexistent port=1 user=x", "SELECT 1; DELETE FROM users"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("statement #2 (delete, line 1) is a WRITE"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn no_server_is_exit_3() {
    let out = warroom(&["query", "--dsn", "host=/nonexistent port=1 user=x dbname=x", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cannot connect"), "{}", text(&out.stderr));
    let out = warroom(&["doctor", "postgres://x@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

#[test]
fn bad_input_is_exit_2() {
    for args in [
        &["query", "--dsn", "hots=x", "SELECT 1"][..],
        &["query", "--timeout", "soon", "SELECT 1"],
        &["query", "--profile", "nope", "SELECT 1"],
        &["query"],
    ] {
        let out = warroom(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).trim().is_empty());
    }
}

#[test]
fn every_type_renders_as_psql_renders_it() {
    let Some(cluster) = common::cluster() else { return };
    admin(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
           CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE DOMAIN pos AS int CHECK (VALUE > 0);
           CREATE TYPE pair AS (a int, b text);
           CREATE TABLE kinds AS SELECT 'sad'::mood AS m, 5::pos AS p, ROW(1, 'x y')::pair AS c;
           GRANT SELECT ON kinds TO reader; END IF; END $$;",
    );
    let dsn = common::dsn("reader");
    for sql in [
        "SELECT 1.0/3 AS n, 2^70 AS f, 1e-10::float8 AS g, 'NaN'::numeric AS nan, -0.5::float4 AS r",
        "SELECT '2026-11-21 14:02:03.5+02'::timestamptz AS tz, '2026-11-21'::date AS d, '14:02'::time AS t",
        "SELECT interval '1 year 2 mons 3 days 04:05:06.7' AS i, interval '-1 day' AS j",
        "SELECT ARRAY[[1,2],[3,4]] AS a, ARRAY['x y', NULL, '\"q\"'] AS b, '{}'::int[] AS e",
        "SELECT '{\"a\": [1, 2]}'::json AS j, '{\"b\":  {\"c\": null}}'::jsonb AS jb",
        "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '10.1.2.3/32'::inet AS i, '10.1.0.0/16'::cidr AS c",
        "SELECT '\\x00ff10'::bytea AS b, 12.5::money AS m, true AS t, false AS f, NULL::int AS n, '' AS e",
        "SELECT m, p, c FROM kinds",
        "SELECT int4range(1, 5) AS r, tstzrange('2026-01-01', NULL) AS open, numrange(1.5, 2.5, '[]') AS nr",
        "SELECT 'line 1' || chr(10) || 'line 2' AS multi, 'tab' || chr(9) || 'x' AS tab, 'ünïcødé' AS u, 7 AS last",
        "SHOW TimeZone",
        "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE id = 1",
    ] {
        let out = warroom(&["query", "--dsn", &dsn, sql]);
        assert_eq!(out.status.code(), Some(0), "{sql}: {}", text(&out.stderr));
        let psql = Command::new(warroom::demo::find_bin_dir().unwrap().join("psql"))
            .args(["-X", "-P", "null=∅", "-h"])
            .arg(cluster.socket_dir())
            .args(["-p", &cluster.port.to_string(), "-U", "reader", "-d", common::DB, "-c", sql])
            .output()
            .unwrap();
        assert_eq!(text(&out.stdout), text(&psql.stdout), "{sql}");
    }
}

#[test]
fn json_and_csv_outputs() {
    if common::cluster().is_none() {
        return;
    }
    let dsn = common::dsn("reader");
    let out = warroom(&[
        "query",
        "--dsn",
        &dsn,
        "--json",
        "SELECT id, v, id > 1 AS big, NULL AS n FROM t ORDER BY id LIMIT 2",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"id": 1, "v": "row 1", "big": false, "n": null}, {"id": 2, "v": "row 2", "big": true, "n": null}])
    );
    let out = warroom(&["query", "--dsn", &dsn, "--csv", "--limit", "2", "SELECT id, v FROM t ORDER BY id"]);
    assert_eq!(text(&out.stdout), "id,v\n1,row 1\n2,row 2\n");
    assert!(text(&out.stderr).contains("more exist"), "{}", text(&out.stderr));
    // Several reads run in order.
    let out = warroom(&["query", "--dsn", &dsn, "--csv", "SELECT 1 AS a; SELECT 2 AS b"]);
    assert_eq!(text(&out.stdout), "a\n1\nb\n2\n");
}

#[test]
fn timeout_stops_a_long_read_in_about_that_time() {
    if common::cluster().is_none() {
        return;
    }
    let started = Instant::now();
    let out = warroom(&[
        "query",
        "--dsn",
        &common::dsn("reader"),
        "--timeout",
        "2s",
        "--heavy",
        "SELECT count(*) FROM million a, million b",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("statement timeout"), "{}", text(&out.stderr));
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn an_unlimited_export_runs_in_constant_memory() {
    if common::cluster().is_none() {
        return;
    }
    // Peak memory of the child, read by the kernel's own accounting.
    let script = format!(
        "import resource, subprocess, sys\n\
         r = subprocess.run([{exe:?}, 'query', '--dsn', {dsn:?}, '--csv', '--limit', '0', '--heavy', 'SELECT * FROM million'], stdout=subprocess.PIPE)\n\
         print(r.returncode, r.stdout.count(b'\\n'), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        exe = env!("CARGO_BIN_EXE_warroom"),
        dsn = common::dsn("reader"),
    );
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    let report = text(&out.stdout);
    let fields: Vec<u64> = report.split_whitespace().map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields[..2], [0, 1_000_001], "{report} {}", text(&out.stderr));
    assert!(fields[2] < 40 * 1024, "peak RSS {} kB", fields[2]);
}

#[test]
fn doctor_fails_superuser_owner_and_writer_and_passes_what_it_recommends() {
    if common::cluster().is_none() {
        return;
    }
    let doctor = |user: &str| warroom(&["doctor", "--dsn", &common::dsn(user)]);
    let su = doctor(ADMIN);
    let report = text(&su.stdout);
    assert_eq!(su.status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL  superuser"), "{report}");
    assert!(report.contains("agents: policy agent = \"read\""), "the policy in force: {report}");
    let owner = doctor("owner_role");
    assert_eq!(owner.status.code(), Some(1));
    assert!(text(&owner.stdout).contains("FAIL  ownership"), "{}", text(&owner.stdout));
    let writer = doctor("writer");
    assert_eq!(writer.status.code(), Some(1));
    assert!(text(&writer.stdout).contains("FAIL  write privileges"), "{}", text(&writer.stdout));
    assert!(text(&writer.stdout).contains("public.t (INSERT, UPDATE)"), "{}", text(&writer.stdout));

    // Run the recommended SQL as a DBA would, then the new role passes.
    let fix = report.split("a DBA runs:\n\n").nth(1).expect("a fix");
    if admin("SELECT count(*) FROM pg_roles WHERE rolname = 'warroom_ro'").trim() == "0" {
        admin(fix);
    }
    let ro = doctor("warroom_ro");
    assert_eq!(ro.status.code(), Some(0), "{}", text(&ro.stdout));
    assert!(!text(&ro.stdout).contains("FAIL"), "{}", text(&ro.stdout));
    // The server sends its tree, and doctor says where else it goes and how to keep it out.
    let said = text(&ro.stdout);
    assert!(said.lines().any(|l| l.starts_with("pass  server's tree")), "{said}");
    assert!(said.contains("ALTER ROLE \"warroom_ro\" SET log_min_messages = fatal"), "{said}");
    admin("ALTER ROLE warroom_ro SET log_min_messages = fatal;");
    let quiet = text(&doctor("warroom_ro").stdout);
    assert!(quiet.lines().any(|l| l.starts_with("pass  server log")), "{quiet}");
    admin("ALTER ROLE warroom_ro RESET log_min_messages;");
    let reader = warroom(&["query", "--dsn", &common::dsn("warroom_ro"), "SELECT count(*) FROM t"]);
    assert_eq!(reader.status.code(), Some(0), "{}", text(&reader.stderr));
}

#[test]
fn demo_without_postgresql_says_how_to_install_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("demo")
        .env("WARROOM_PG_BINDIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("apt install postgresql") && err.contains("brew install"), "{err}");
}

/// Starts `warroom demo`, waits until it is up, and returns it with its server folder.
fn start_demo() -> (std::process::Child, std::path::PathBuf) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut folder = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("host=").nth(1).filter(|_| folder.is_none()) {
            folder = Some(std::path::PathBuf::from(rest.split_whitespace().next().unwrap()));
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (child, folder.expect("the demo prints its connection"))
}

fn gone_within(path: &std::path::Path, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn demo_serves_the_incident_and_cleans_up_on_ctrl_c_and_on_kill() {
    if common::cluster().is_none() {
        return;
    }
    let (mut child, folder) = start_demo();
    let dsn = format!("host={} user=warroom_ro dbname=shop sslmode=disable", folder.display());
    let out = warroom(&["query", "--dsn", &dsn, "SELECT count(*) FROM users WHERE email IS NULL"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("100"), "{}", text(&out.stdout));
    let stuck = warroom(&[
        "query",
        "--dsn",
        &dsn,
        "--csv",
        "SELECT state FROM pg_stat_activity WHERE application_name = 'deploy-migration'",
    ]);
    assert_eq!(text(&stuck.stdout), "state\nidle in transaction\n");
    assert_eq!(warroom(&["doctor", "--dsn", &dsn]).status.code(), Some(0));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!folder.exists(), "Ctrl-C leaves {}", folder.display());

    // Killed outright, the reaper still stops the server and deletes the folder.
    let (mut child, folder) = start_demo();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(gone_within(&folder, Duration::from_secs(10)), "SIGKILL leaves {}", folder.display());
}

#[test]
fn watch_reruns_until_ctrl_c_and_is_one_timeline_entry() {
    if common::cluster().is_none() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["query", "--dsn", &common::dsn("reader"), "--watch", "300ms", "--incident", "inc-watch"])
        .arg("SELECT count(*) AS n FROM t")
        .env("XDG_STATE_HOME", state.path())
        .env("WARROOM_CONFIG", "/dev/null")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut headers = 0;
    let mut counts = 0;
    while headers < 3 {
        let line = lines.next().expect("more output").unwrap();
        if line.starts_with("Every 0.3 s: SELECT count(*) AS n FROM t") {
            assert!(line.contains(&format!("run {}", headers + 1)), "{line}");
            headers += 1;
        }
        if line.trim() == "10" {
            counts += 1;
        }
    }
    assert!(counts >= 2, "each run prints the table");
    // Ctrl-C ends it: exit 0, and one watch entry with its runs.
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["timeline", "export", "--incident", "inc-watch", "--format", "json"])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    let events: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["watch"], "{events}");
    assert!(events[0]["details"]["runs"].as_u64().unwrap() >= 3);
    let bad = warroom(&["query", "--watch", "soon", "SELECT 1"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn chart_draws_a_series_as_text() {
    if common::cluster().is_none() {
        return;
    }
    let sql = "SELECT timestamptz '2026-11-21 14:00:00+00' + g * interval '1 minute' AS at, (g * 7) % 23 AS errors, g AS total \
               FROM generate_series(0, 59) g ORDER BY 1";
    let out = warroom(&["query", "--dsn", &common::dsn("reader"), "--chart", sql]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let chart = text(&out.stdout);
    assert!(chart.contains("errors, total by at"), "{chart}");
    assert!(chart.contains("14:00") && chart.contains("14:59"), "x labelled with times:\n{chart}");
    assert!(chart.contains("at (2026-11-21 UTC+00)"), "the day and zone, once:\n{chart}");
    assert!(chart.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)), "lines drawn:\n{chart}");
    assert!(chart.contains("errors") && chart.contains("total"), "a legend names the series");
    assert!(chart.lines().all(|l| l.chars().count() <= 100), "{chart}");
    // Nothing to chart: the rows, and why.
    let out = warroom(&["query", "--dsn", &common::dsn("reader"), "--chart", "SELECT 'a' AS x, 'b' AS y"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("no chart"), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(" a | b"), "{}", text(&out.stdout));
}

/// An export (`--csv --limit 0`) passes the server's own CSV through; a limited read encodes
/// its rows itself. Both write the same bytes for every kind of awkward value, and both are
/// what psql's `\copy … TO STDOUT (FORMAT csv, HEADER)` writes (psql --csv is not: it
/// writes the empty string as an empty field, like NULL).
#[test]
fn the_server_csv_and_warroom_csv_are_the_same_bytes() {
    if common::cluster().is_none() {
        return;
    }
    let dsn = common::dsn("reader");
    let sql = "SELECT * FROM (VALUES (1, NULL::text, ''), (2, 'a,b', 'say \"hi\"'), (3, E'two\\nlines', E'cr\\rhere'), \
               (4, '\\.', ' spaced '), (5, 'ünï', '{1,2}')) AS v(\"id\", \"odd, name\", \"q\"\"uote\") ORDER BY 1";
    let export = warroom(&["query", "--dsn", &dsn, "--csv", "--limit", "0", sql]);
    let limited = warroom(&["query", "--dsn", &dsn, "--csv", "--limit", "100", sql]);
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    assert_eq!(text(&export.stdout), text(&limited.stdout));
    assert!(text(&export.stdout).starts_with("id,\"odd, name\",\"q\"\"uote\"\n1,,\"\"\n"), "{}", text(&export.stdout));
    let c = common::cluster().unwrap();
    let copy = format!("\\copy ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)");
    let psql = c.psql_command(warroom::demo::ADMIN, common::DB).args(["-c", &copy]).output().unwrap();
    assert_eq!(text(&export.stdout), text(&psql.stdout));
    // Alone on its line, `\.` is quoted (it once ended COPY's data).
    let alone = "SELECT '\\.' AS v";
    let export = warroom(&["query", "--dsn", &dsn, "--csv", "--limit", "0", alone]);
    let limited = warroom(&["query", "--dsn", &dsn, "--csv", alone]);
    assert_eq!((text(&export.stdout), text(&limited.stdout)), ("v\n\"\\.\"\n".into(), "v\n\"\\.\"\n".into()));
}
