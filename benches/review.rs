//! Speed targets for the guard: a typical paste under 1 ms, a 1 MB paste under 100 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const TYPICAL: &str = include_str!("../assets/agent-answer.md");

fn big_paste() -> String {
    let mut s = String::with_capacity(1 << 20);
    let mut i = 0;
    while s.len() < 1_000_000 || i < 10_000 {
        s.push_str(&format!(
            "SELECT u.id, u.email, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id = {i} GROUP BY 1, 2;\n"
        ));
        i += 1;
    }
    s
}

fn bench_review(c: &mut Criterion) {
    let typical_lines = TYPICAL.lines().count();
    c.bench_function(&format!("review typical paste ({typical_lines} lines)"), |b| {
        b.iter(|| warroom::guard::review(black_box(TYPICAL)))
    });
    let big = big_paste();
    let n = big.lines().count();
    let mut group = c.benchmark_group("review big paste");
    group.sample_size(20);
    group.bench_function(format!("{n} statements, {} bytes", big.len()), |b| {
        b.iter(|| warroom::guard::review(black_box(&big)))
    });
    group.finish();
}

criterion_group!(benches, bench_review);
criterion_main!(benches);
