//! The posture check reads what a role owns and was granted from pg_shdepend, by the role's
//! OIDs: it finds holdings through a group role, a column grant, a sequence, a SECURITY
//! DEFINER function granted to it, a superuser role it may become; a grant to PUBLIC is left
//! to `doctor --full`, and says so; and the server's plan of the statement scans no catalog
//! that grows with the database.

mod common;

use std::process::Command;

use warroom::db::posture::{Depth, facts_sql};
use warroom::demo::ADMIN;

const HOLDINGS: &str = "
CREATE TABLE t1 (id int PRIMARY KEY, v text);
CREATE TABLE t2 (id int PRIMARY KEY, v text);
CREATE TABLE t3 (id int PRIMARY KEY, v text);
CREATE SEQUENCE s;
CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE FUNCTION definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION definer() FROM PUBLIC;
CREATE ROLE p_group NOLOGIN;
GRANT INSERT ON t1 TO p_group;
CREATE ROLE p_member LOGIN IN ROLE p_group;
CREATE ROLE p_column LOGIN;
GRANT SELECT ON t2 TO p_column;
GRANT UPDATE (v) ON t2 TO p_column;
CREATE ROLE p_sequence LOGIN;
GRANT UPDATE ON SEQUENCE s TO p_sequence;
CREATE ROLE p_definer LOGIN;
GRANT EXECUTE ON FUNCTION definer() TO p_definer;
CREATE ROLE p_types LOGIN;
ALTER TYPE mood OWNER TO p_types;
CREATE ROLE p_super_group SUPERUSER NOLOGIN;
CREATE ROLE p_becomes LOGIN IN ROLE p_super_group;
CREATE ROLE p_reader LOGIN;
GRANT SELECT ON t1, t2, t3 TO p_reader;
GRANT USAGE ON SCHEMA public TO p_member, p_column, p_sequence, p_definer, p_types, p_becomes, p_reader;
";

const PUBLIC_GRANT: &str = "
CREATE TABLE open_to_all (id int);
GRANT INSERT ON open_to_all TO PUBLIC;
CREATE FUNCTION anyone_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
";

fn checks(user: &str, db: &str, full: bool) -> Vec<(String, String, String)> {
    let c = common::cluster().expect("cluster");
    let mut args = vec!["doctor".to_string(), "--json".into(), "--dsn".into(), c.dsn(user, db)];
    if full {
        args.push("--full".into());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(&args)
        .env("XDG_STATE_HOME", std::env::temp_dir().join("warroom-posture-test"))
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("name"), s("level"), s("finding"))
        })
        .collect()
}

fn check(all: &[(String, String, String)], name: &str) -> (String, String) {
    let (_, level, finding) = all.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("no {name}: {all:?}"));
    (level.clone(), finding.clone())
}

#[test]
fn what_a_role_holds_is_found_through_its_roles_columns_sequences_and_functions() {
    if common::database("holdings", ADMIN, HOLDINGS).is_none() {
        return;
    }
    // (role, check, level, what its finding names). Ownership is of any kind of object, not
    // only tables and functions; a superuser role the role may become is a role power.
    let found = [
        ("p_member", "write privileges", "fail", "public.t1 (INSERT)"),
        ("p_column", "write privileges", "fail", "public.t2 (UPDATE)"),
        ("p_sequence", "write privileges", "fail", "public.s (UPDATE)"),
        ("p_definer", "security definer functions", "warn", "definer()"),
        ("p_types", "ownership", "fail", "type public.mood"),
        ("p_becomes", "role powers", "fail", "superuser role p_super_group"),
    ];
    for (role, name, want, names) in found {
        let (level, finding) = check(&checks(role, "holdings", false), name);
        assert!(level == want && finding.contains(names), "{role}, {name}: {level} {finding}");
    }

    // SELECT grants alone are no finding.
    let reader = checks("p_reader", "holdings", false);
    for name in ["write privileges", "ownership", "role powers", "security definer functions"] {
        assert_eq!(check(&reader, name).0, "pass", "{name}: {reader:?}");
    }
}

#[test]
fn a_grant_to_public_is_found_by_the_full_sweep_and_the_quick_check_says_where() {
    if common::database("open", ADMIN, PUBLIC_GRANT).is_none() {
        return;
    }
    let quick = checks("reader", "open", false);
    let (level, finding) = check(&quick, "write privileges");
    assert_eq!(level, "pass");
    assert!(finding.contains("doctor --full"), "{finding}");
    assert!(check(&quick, "security definer functions").1.contains("doctor --full"));

    let full = checks("reader", "open", true);
    let (level, finding) = check(&full, "write privileges");
    assert!(level == "fail" && finding.contains("public.open_to_all (INSERT)"), "{finding}");
    let (level, finding) = check(&full, "security definer functions");
    assert!(level == "warn" && finding.contains("anyone_definer()"), "{finding}");
}

/// The server's own plan of the statement: every catalog that grows with the database
/// (relations, functions, columns, types, dependencies) is reached through an index, so the
/// check costs the same on 100 relations as on 100,000. On this small catalog the planner
/// would rightly scan a few pages instead; with sequential scans priced out, a scan that is
/// still there has no index path (benches/scale.py measures the large catalog itself).
#[test]
fn the_posture_statement_scans_no_catalog_that_grows_with_the_database() {
    let Some(c) = common::database("holdings", ADMIN, HOLDINGS) else { return };
    for user in ["p_reader", "p_member", ADMIN] {
        let plan = c
            .psql(user, "holdings", &format!("SET enable_seqscan = off; EXPLAIN {};", facts_sql(Depth::Held)))
            .unwrap();
        for catalog in ["pg_class", "pg_proc", "pg_attribute", "pg_type", "pg_shdepend", "pg_depend"] {
            assert!(
                !plan.lines().any(|l| l.contains(&format!("Seq Scan on {catalog} "))),
                "{user}: a sequential scan of {catalog}:\n{plan}"
            );
        }
    }
}
