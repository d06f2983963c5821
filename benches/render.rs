//! Rendering results without the server: psql's aligned table and the streaming formats.
//! The end-to-end comparison with psql is `benches/vs_psql.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use warroom::db::render::{self, Format, ResultSet};
use warroom::db::{Column, Outcome, RowSink, ValueKind};

fn columns() -> Vec<Column> {
    [("id", ValueKind::Number), ("email", ValueKind::Text), ("amount", ValueKind::Number), ("at", ValueKind::Text)]
        .into_iter()
        .map(|(n, kind)| Column { name: n.into(), type_name: "x".into(), kind })
        .collect()
}

fn rows(n: usize) -> Vec<[String; 4]> {
    (0..n)
        .map(|i| {
            [i.to_string(), format!("user{i}@example.com"), format!("{}.50", i * 3), "2026-11-21 14:02:57+00".into()]
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cols = columns();
    let data = rows(100_000);
    for (name, format) in [("table", Format::Table), ("csv", Format::Csv), ("json", Format::Json)] {
        c.bench_function(&format!("100k rows as {name}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(16 << 20);
                let mut sink = render::sink(format, &mut out);
                sink.columns(&cols).unwrap();
                for r in &data {
                    let values = [Some(r[0].as_str()), Some(r[1].as_str()), None, Some(r[3].as_str())];
                    sink.row(&values).unwrap();
                }
                sink.finish(&Outcome { rows: data.len() as u64, more: false, elapsed: Default::default() }).unwrap();
                drop(sink);
                black_box(out.len())
            })
        });
    }
    let mut set = ResultSet::default();
    set.columns(&cols).unwrap();
    for r in data.iter().take(500) {
        set.row(&[Some(r[0].as_str()), Some(r[1].as_str()), Some(r[2].as_str()), Some(r[3].as_str())]).unwrap();
    }
    c.bench_function("500-row result as a psql table", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(1 << 20);
            render::write_table(&mut out, &set, true).unwrap();
            black_box(out.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
