//! The journal's cost per event: appending to a journal that already holds 10,000 events
//! (the last one is found from the end of the file, so this stays flat as it grows, fsync
//! included), reading those 10,000 events back with their hash chain, and exporting them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::timeline::{self, Entry, export};

fn entry(i: usize) -> Entry {
    let sql = format!("SELECT id, email FROM users WHERE email IS NULL AND id > {i} ORDER BY id LIMIT 50");
    Entry::read("cockpit", 1, &sql, Ok((50, true, Duration::from_millis(3))))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10_000 {
        timeline::append(dir.path(), "alice", "2026-11-21T02:14:00Z", entry(i)).unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join(timeline::JOURNAL)).unwrap();
    eprintln!("journal of 10,000 events: {} bytes", text.len());

    let mut g = c.benchmark_group("timeline");
    g.sample_size(30);
    g.bench_function("append one event to 10k (fsync)", |b| {
        b.iter(|| timeline::append(dir.path(), "alice", "2026-11-21T02:15:00Z", entry(1)).unwrap())
    });
    g.bench_function("read and verify 10k events", |b| b.iter(|| black_box(timeline::read(black_box(&text)))));
    let reading = timeline::read(&text);
    g.bench_function("markdown export of 10k events", |b| {
        b.iter(|| black_box(export::markdown("INC-1", black_box(&reading), None)))
    });
    g.bench_function("json export of 10k events", |b| b.iter(|| black_box(export::json("INC-1", black_box(&reading)))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
