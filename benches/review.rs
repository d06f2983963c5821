//! Speed targets for the guard: a typical paste under 1 ms, a 1 MB paste under 100 ms, and
//! no shape slower than linear (the ones that once were: a backslash before many statements,
//! a pg_dump --inserts file, a huge value IN a long list).

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
Then run the cleanup.
Tell me if it looks right.";

/// 10,000 statements, ~1 MB. `template` has `{i}` where each statement's number goes.
fn big_paste(template: &str) -> String {
    let mut s = String::with_capacity(1 << 20);
    let mut i = 0;
    while s.len() < 1_000_000 || i < 10_000 {
        s.push_str(&template.replace("{i}", &i.to_string()));
        s.push_str(";\n");
        i += 1;
    }
    s
}

/// Plain SELECTs that differ only in their constants: parsed once per shape.
const PLAIN: &str = "SELECT u.id, u.email, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id = {i} GROUP BY 1, 2";
/// A window and a CTE, the same shape each time.
const PARSED: &str =
    "WITH o AS (SELECT * FROM orders WHERE user_id = {i}) SELECT id, row_number() OVER (ORDER BY id) FROM o";
/// The worst case: every statement has names of its own, so every one is parsed.
const DISTINCT: &str =
    "WITH o{i} AS (SELECT * FROM orders{i} WHERE user_id = {i}) SELECT id, row_number() OVER (ORDER BY id) FROM o{i}";

fn bench_review(c: &mut Criterion) {
    let typical_lines = TYPICAL.lines().count();
    c.bench_function(&format!("review typical paste ({typical_lines} lines)"), |b| {
        b.iter(|| warroom::guard::review(black_box(TYPICAL)))
    });
    let mut group = c.benchmark_group("review big paste");
    group.sample_size(20);
    for (name, template) in
        [("plain selects", PLAIN), ("CTE and window", PARSED), ("distinct shapes, every statement parsed", DISTINCT)]
    {
        let big = big_paste(template);
        let n = big.lines().count();
        group.bench_function(format!("{name}, {n} statements, {} bytes", big.len()), |b| {
            b.iter(|| warroom::guard::review(black_box(&big)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("review slow shapes");
    group.sample_size(10);
    for (name, text) in slow_shapes() {
        group.bench_function(format!("{name}, {} bytes", text.len()), |b| {
            b.iter(|| warroom::guard::review(black_box(&text)))
        });
    }
    group.finish();
}

/// Inputs that once made the guard quadratic, at sizes where that showed (seconds).
fn slow_shapes() -> Vec<(&'static str, String)> {
    let mut backslash = String::from("SELECT '\\\\';\n");
    for i in 0..70_000 {
        backslash.push_str(&format!("SELECT {i};\n"));
    }
    let mut dump = String::from("SET standard_conforming_strings = on;\n");
    let mut i = 0;
    while dump.len() < 2_800_000 {
        dump.push_str(&format!(
            "INSERT INTO public.users VALUES ({i}, 'user{i}@example.com', 'C:\\\\Users\\\\u{i}', '2024-01-01 00:00:00+00', NULL);\n"
        ));
        i += 1;
    }
    let list: Vec<String> = (0..20_000).map(|i| format!("'value {i}'")).collect();
    let in_list = format!("DELETE FROM t WHERE '{}' IN ({})", "x".repeat(1 << 20), list.join(", "));
    vec![
        ("a backslash, then 70000 statements", backslash),
        ("pg_dump --inserts", dump),
        ("1 MB string IN 20000 values", in_list),
    ]
}

criterion_group!(benches, bench_review);
criterion_main!(benches);
