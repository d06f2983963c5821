//! The catalog check's cost per read (target: at most 2 ms and one round trip when the
//! facts are cached): on a warm connection, where every name is known, and cold, where
//! the facts for a triage query's names are read first. Against a throwaway PostgreSQL.

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::db::{Limits, Session, conn};
use warroom::demo::{ADMIN, Cluster};
use warroom::guard::Catalog;

const TRIAGE: &str = "SELECT u.id, u.email, count(o.id) AS orders, max(o.created_at) \
    FROM users u LEFT JOIN orders o ON o.user_id = u.id \
    WHERE u.email IS NULL OR u.email LIKE '%@example.com' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20";

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
             CREATE TABLE orders (id int PRIMARY KEY, user_id int, created_at timestamptz); \
             CREATE VIEW recent AS SELECT * FROM orders WHERE created_at > now() - interval '1 day';",
        )
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let target = conn::resolve(Some(&cluster.dsn(ADMIN, "bench")), &conn::ProcessEnv).unwrap();
    let mut session = rt.block_on(Session::connect(&target, Limits::default())).unwrap();
    rt.block_on(session.check(TRIAGE)).unwrap();

    let mut group = c.benchmark_group("catalog check");
    let before = session.catalog_reads;
    group.bench_function("warm: every name known (no round trip)", |b| {
        b.iter(|| rt.block_on(session.check(TRIAGE)).unwrap())
    });
    assert_eq!(session.catalog_reads, before, "a warm check sent a catalog query");
    group.bench_function("cold: the facts read first (one round trip)", |b| {
        b.iter(|| {
            session.catalog = Catalog { operators_read: true, ..Catalog::default() };
            rt.block_on(session.check(TRIAGE)).unwrap()
        })
    });
    group.bench_function("cold, through a view (two rounds)", |b| {
        b.iter(|| {
            session.catalog = Catalog { operators_read: true, ..Catalog::default() };
            rt.block_on(session.check("SELECT count(*) FROM recent")).unwrap()
        })
    });
    group.bench_function("text-only guard, for comparison", |b| b.iter(|| warroom::guard::review(TRIAGE)));
    group.finish();
}

criterion_group!(benches, bench_catalog);
criterion_main!(benches);
