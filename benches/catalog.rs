//! The server's tree check per read (target: at most 0.5 ms more than the same read without
//! it): a `LIMIT 100` read of a user table, a triage query, and a read through a view, each
//! with both proofs (`Session::run`) and without them (`run_past_the_guard`), interleaved in
//! one run, against a throwaway PostgreSQL.

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::db::render::ResultSet;
use warroom::db::{Limits, Session, conn};
use warroom::demo::{ADMIN, Cluster};

const TRIAGE: &str = "SELECT u.id, u.email, count(o.id) AS orders, max(o.created_at) \
    FROM users u LEFT JOIN orders o ON o.user_id = u.id \
    WHERE u.email IS NULL OR u.email LIKE '%@example.com' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20";

const READS: &[(&str, &str)] = &[
    ("LIMIT 100", "SELECT * FROM users ORDER BY id LIMIT 100"),
    ("triage join", TRIAGE),
    ("through a view", "SELECT count(*) FROM recent"),
    ("pg_stat_activity", "SELECT pid, state, now() - query_start FROM pg_stat_activity WHERE state <> 'idle'"),
];

fn bench_catalog(c: &mut Criterion) {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("no PostgreSQL to bench against: {e}");
            return;
        }
    };
    cluster.psql(ADMIN, "postgres", "CREATE DATABASE bench;").unwrap();
    cluster
        .psql(
            ADMIN,
            "bench",
            "CREATE TABLE users (id int PRIMARY KEY, email text); \
             INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 10000) g; \
             CREATE TABLE orders (id int PRIMARY KEY, user_id int, created_at timestamptz); \
             CREATE VIEW recent AS SELECT * FROM orders WHERE created_at > now() - interval '1 day'; ANALYZE;",
        )
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let target = conn::resolve(Some(&cluster.dsn(ADMIN, "bench")), &conn::ProcessEnv).unwrap();
    let limits =
        Limits { heavy: warroom::db::heavy::HeavyLimits { max_rows_scanned: 0.0, max_cost: 0.0 }, ..Limits::default() };
    let mut session = rt.block_on(Session::connect(&target, limits)).unwrap();

    let mut group = c.benchmark_group("read");
    for (name, sql) in READS {
        let mut set = ResultSet::default();
        rt.block_on(session.run(sql, Some(100), &mut set)).unwrap();
        group.bench_function(format!("{name}: both proofs"), |b| {
            b.iter(|| {
                let mut set = ResultSet::default();
                rt.block_on(session.run(sql, Some(100), &mut set)).unwrap()
            })
        });
        group.bench_function(format!("{name}: without the tree check"), |b| {
            b.iter(|| {
                let mut set = ResultSet::default();
                rt.block_on(session.run_past_the_guard(sql, Some(100), &mut set)).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_catalog);
criterion_main!(benches);
