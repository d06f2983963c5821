//! One throwaway PostgreSQL per test binary, started the way `warroom demo` starts one.
#![allow(dead_code)]

use std::sync::OnceLock;

use warroom::demo::{ADMIN, Cluster, DemoError};

pub const DB: &str = "app";

/// Tables and roles the tests use: a reader, a writer with grants it should not have,
/// and a table owner.
const SETUP: &str = "
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 10) g;
CREATE TABLE million AS SELECT g AS id, md5(g::text) AS hash, g * 1.5 AS amount FROM generate_series(1, 1000000) g;
CREATE ROLE reader LOGIN;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
CREATE ROLE writer LOGIN;
GRANT SELECT, INSERT, UPDATE ON t TO writer;
CREATE ROLE owner_role LOGIN;
CREATE TABLE owned (id int);
ALTER TABLE owned OWNER TO owner_role;
";

/// The shared cluster, or `None` (with a loud message) when PostgreSQL is not installed
/// and we are not in CI. In CI a missing PostgreSQL fails the test.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| match Cluster::start() {
            Ok(c) => {
                c.psql(ADMIN, "postgres", &format!("CREATE DATABASE {DB};")).expect("create database");
                c.psql(ADMIN, DB, SETUP).expect("setup");
                Some(c)
            }
            Err(DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("SKIPPING database tests: PostgreSQL is not installed (with CI=true this fails)");
                None
            }
            Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
        })
        .as_ref()
}

pub fn dsn(user: &str) -> String {
    cluster().expect("cluster").dsn(user, DB)
}

/// The database `name` of the shared cluster, owned by `owner`, made with `setup` (run as
/// the admin) the first time it is asked for in this test binary.
pub fn database(name: &str, owner: &str, setup: &str) -> Option<&'static Cluster> {
    static MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let c = cluster()?;
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if !made.iter().any(|m| m == name) {
        c.psql(ADMIN, "postgres", &format!("CREATE DATABASE {name} OWNER {owner};")).expect("create database");
        c.psql(ADMIN, name, setup).unwrap_or_else(|e| panic!("{name}: {e}"));
        made.push(name.to_string());
    }
    Some(c)
}
