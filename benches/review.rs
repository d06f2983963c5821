//! Speed targets for the guard: a typical paste under 1 ms, a 1 MB paste under 100 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// A typical agent answer: prose, a fenced block of reads and writes, 20 lines in all.
const TYPICAL: &str = "The duplicates started after the 14:02 deploy. To see them:

```sql
SELECT lower(email) AS email, count(*) AS copies,
       min(created_at) AS first_seen, max(created_at) AS last_seen
  FROM users
 WHERE created_at > now() - interval '6 hours'
 GROUP BY lower(email)
HAVING count(*) > 1
 ORDER BY copies DESC
 LIMIT 50;
SELECT pid, state, now() - xact_start AS open_for, left(query, 60)
  FROM pg_stat_activity
 WHERE state = 'idle in transaction';
WITH gone AS (DELETE FROM users WHERE email IS NULL RETURNING id)
SELECT count(*) FROM gone;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction';
```
Then run the cleanup.";

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
