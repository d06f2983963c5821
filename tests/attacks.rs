//! The guard proven by attack: generated side-effecting calls in every spelling and place
//! are WRITEs, and what the guard calls READ does nothing on a real server.

#[path = "support/attacks.rs"]
mod attacks;
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use attacks::{HARMLESS, REWRITTEN_READS, SIDE_EFFECTS, every_combination, generate, near_sql};
use warroom::demo::ADMIN;
use warroom::guard::{Class, Statement, review};

const SEED: u64 = 0x5741_5252_4f4f_4d13;

/// The guard's statements for many inputs at once (one review of them all, split as psql
/// would), checked to be one statement per input, in order.
fn review_each(inputs: &[String]) -> Vec<Statement> {
    let mut out = Vec::with_capacity(inputs.len());
    for batch in inputs.chunks(250) {
        let joined: String = batch.iter().map(|s| format!("{s}\n;\n")).collect();
        let r = review(&joined);
        if r.statements.len() == batch.len() {
            out.extend(r.statements);
        } else {
            out.extend(batch.iter().map(|s| review(s).statements.remove(0)));
        }
    }
    out
}

fn offline(sql: &str) -> String {
    sql.replace("{victim}", "12345")
}

#[test]
fn generated_attacks_are_writes() {
    let mut cases: Vec<String> = every_combination(SIDE_EFFECTS).iter().map(|s| offline(s)).collect();
    let exhaustive = cases.len();
    cases.extend(generate(SEED, 4000, SIDE_EFFECTS).iter().map(|s| offline(s)));
    let statements = review_each(&cases);
    let mut named = 0;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for (sql, st) in cases.iter().zip(&statements) {
        assert_eq!(st.class, Class::Write, "a side-effecting call labelled READ: {sql:?}");
        assert!(!st.reasons.is_empty(), "a write without reasons: {sql:?}");
        if st.reasons.iter().any(|r| SIDE_EFFECTS.iter().any(|c| r.contains(&format!("{}()", c.name)))) {
            named += 1;
        } else {
            let gist: String = st.reasons[0].chars().take(40).collect();
            *by_reason.entry(gist).or_default() += 1;
        }
    }
    eprintln!(
        "{} generated attacks ({exhaustive} exhaustive, 4000 mutated): all WRITE, {named} with a reason naming a side-effecting function; the rest: {by_reason:#?}",
        cases.len()
    );
}

#[test]
fn rewritten_reads_are_reads_the_server_runs() {
    for sql in REWRITTEN_READS {
        let r = review(sql);
        assert_eq!(r.verdict(), Class::Read, "{sql:?}: {:#?}", r.statements);
    }
    let Some(cluster) = common::cluster() else { return };
    for sql in REWRITTEN_READS {
        let script = format!(
            "BEGIN READ ONLY;\n{sql};\nSELECT 'XID ' || (pg_current_xact_id_if_assigned() IS NULL);\nROLLBACK;\n"
        );
        let out = cluster.psql("reader", common::DB, &script).unwrap_or_else(|e| panic!("{sql:?}: {e}"));
        assert!(out.lines().any(|l| l == "XID true"), "{sql:?}: {out}");
    }
}

/// What the server says about its own state, as the superuser.
fn snapshot(victim: &str) -> Vec<(String, String)> {
    let c = common::cluster().unwrap();
    let q = |sql: &str| c.psql(ADMIN, common::DB, sql).unwrap().trim().to_string();
    vec![
        ("sequence".into(), q("SELECT last_value || '/' || is_called FROM oracle_seq")),
        ("large objects".into(), q("SELECT count(*) FROM pg_largeobject_metadata")),
        ("table t".into(), q("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM t")),
        ("tables".into(), q("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")),
        (
            "database stats reset".into(),
            q("SELECT coalesce(stats_reset::text, 'never') FROM pg_stat_database WHERE datname = current_database()"),
        ),
        ("bgwriter stats reset".into(), q("SELECT coalesce(stats_reset::text, 'never') FROM pg_stat_bgwriter")),
        ("victim".into(), q(&format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {victim}"))),
        ("advisory locks".into(), q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")),
    ]
}

#[test]
fn the_server_is_the_oracle() {
    let Some(cluster) = common::cluster() else { return };
    cluster
        .psql(
            ADMIN,
            common::DB,
            "CREATE SEQUENCE IF NOT EXISTS oracle_seq; GRANT USAGE, SELECT ON SEQUENCE oracle_seq TO reader;",
        )
        .unwrap();
    // Another session of the same role: pg_terminate_backend would be allowed to end it.
    let victim_cmd = std::process::Command::new(warroom::demo::find_bin_dir().unwrap().join("psql"))
        .args(["-X", "-q", "-d", &cluster.dsn("reader", common::DB), "-c"])
        .arg("SET application_name = 'oracle victim'; SELECT pg_sleep(600)")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _victim_proc = KillOnDrop(victim_cmd);
    let deadline = Instant::now() + Duration::from_secs(20);
    let victim = loop {
        let pid = cluster
            .psql(ADMIN, common::DB, "SELECT pid FROM pg_stat_activity WHERE application_name = 'oracle victim'")
            .unwrap();
        if !pid.trim().is_empty() {
            break pid.trim().to_string();
        }
        assert!(Instant::now() < deadline, "the victim session did not start");
        std::thread::sleep(Duration::from_millis(50));
    };

    // Candidates: look-alikes of reads, and attacks (the guard should refuse every one).
    let mut candidates = every_combination(HARMLESS);
    candidates.extend(generate(SEED ^ 1, 3000, HARMLESS));
    candidates.extend(generate(SEED ^ 2, 3000, SIDE_EFFECTS));
    candidates.extend(near_sql(SEED ^ 3, 3000));
    let candidates: Vec<String> = candidates.iter().map(|s| s.replace("{victim}", &victim)).collect();
    let statements = review_each(&candidates);
    let reads: Vec<&String> =
        candidates.iter().zip(&statements).filter(|(_, st)| st.class == Class::Read).map(|(sql, _)| sql).collect();
    // A deterministic sample, so the run stays short.
    let step = reads.len().div_ceil(800).max(1);
    let sample: Vec<&String> = reads.iter().step_by(step).copied().collect();
    assert!(sample.len() >= 200, "the generator should produce reads to run, got {}", sample.len());

    let before = snapshot(&victim);
    let mut script = String::from(
        "\\set ON_ERROR_STOP 0\n\\set ON_ERROR_ROLLBACK on\nSET statement_timeout = '5s';\nSET application_name = 'oracle';\n",
    );
    for sql in &sample {
        script.push_str(&format!(
            "BEGIN READ ONLY;\n{sql}\n;\n\\echo STATE :SQLSTATE\nSELECT 'XID ' || (pg_current_xact_id_if_assigned() IS NULL);\nROLLBACK;\n"
        ));
    }
    script.push_str(
        "SELECT 'LOCKS ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();\n",
    );
    script.push_str("SELECT 'CANARY ' || coalesce(current_setting('warroom.canary', true), 'unset');\n");
    let out = cluster.psql("reader", common::DB, &script).unwrap();
    let after = snapshot(&victim);

    let no_xid = out.lines().filter(|l| *l == "XID true").count();
    let xid = out.lines().filter(|l| *l == "XID false").count();
    assert_eq!((no_xid, xid), (sample.len(), 0), "every read ran without a transaction id");
    // What the guard calls a read, PostgreSQL parses: no syntax error (42601) among them.
    let states: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("STATE ")).collect();
    assert_eq!(states.len(), sample.len());
    let syntax: Vec<&&String> =
        sample.iter().zip(&states).filter(|(_, st)| **st == "42601").map(|(sql, _)| sql).collect();
    // sqlparser is looser than PostgreSQL in places; what slips through is rejected by the
    // server (nothing runs), and is counted here.
    if !syntax.is_empty() {
        eprintln!("READ, but PostgreSQL cannot parse: {syntax:#?}");
    }
    let ok = states.iter().filter(|st| **st == "00000").count();
    assert!(out.lines().any(|l| l == "LOCKS 0"), "no advisory lock held by the reading session: {out}");
    assert!(out.lines().any(|l| l == "CANARY unset"), "no setting changed: {out}");
    assert_eq!(before, after, "the server changed while the guard's reads ran");
    assert!(after.iter().any(|(k, v)| k == "victim" && v == "1"), "the other session is alive");
    eprintln!(
        "{} candidates, {} labelled READ, {} run on the server ({ok} without error, {} syntax errors): no xid, no lock, no setting, no change",
        candidates.len(),
        reads.len(),
        sample.len(),
        syntax.len()
    );
}

/// The victim session goes when the test does, pass or fail.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
