//! The cockpit's frame budget (16 ms): a full frame with a 100,000-row result, with a chart
//! of 10,000 points, a watch tick against a normal result's arrival, the review of a
//! 2,000-line paste (classify + highlight), and a frame with that review on screen.
//! Whole-process numbers against psql are `benches/launch.py`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::app::analysis::analyze;
use warroom::app::{Msg, ResultEntry, State, update};
use warroom::config::Theme;
use warroom::db::render::ResultSet;
use warroom::db::{Column, Outcome, ValueKind};

#[path = "../tests/support/cockpit.rs"]
mod support;
use support::connected;

fn big_result() -> (ResultSet, Outcome) {
    let columns =
        [("id", ValueKind::Number), ("email", ValueKind::Text), ("amount", ValueKind::Number), ("at", ValueKind::Text)]
            .into_iter()
            .map(|(n, kind)| Column { name: n.into(), type_name: "x".into(), kind })
            .collect();
    let rows = (0..100_000)
        .map(|i| {
            vec![
                Some(i.to_string().into()),
                if i % 7 == 0 { None } else { Some(format!("user{i}@example.com").into()) },
                Some(format!("{}.50", i * 3).into()),
                Some("2026-11-21 14:02:57+00".into()),
            ]
        })
        .collect();
    (ResultSet { columns, rows }, Outcome { rows: 100_000, more: false, elapsed: Duration::from_millis(80) })
}

/// 2,000 lines: an agent's answer repeated, prose and fences included.
fn big_paste() -> String {
    let unit = "Here is the check, then the cleanup:\n\n```sql\nSELECT u.id, u.email, count(o.id) AS orders\n  FROM users u LEFT JOIN orders o ON o.user_id = u.id\n WHERE u.email IS NULL AND u.created_at > now() - interval '1 day'\n GROUP BY u.id, u.email\n ORDER BY orders DESC;\nDELETE FROM users WHERE email IS NULL;\n```\n";
    let mut s = String::new();
    while s.lines().count() < 2000 {
        s.push_str(unit);
    }
    s
}

fn draw(t: &mut Terminal<TestBackend>, s: &State) {
    t.draw(|f| warroom::ui::draw(f, s)).unwrap();
}

fn bench(c: &mut Criterion) {
    let (set, outcome) = big_result();
    c.bench_function("results arrive: measure 100k rows", |b| {
        b.iter(|| black_box(ResultEntry::rows(1, "SELECT".into(), set.clone(), &outcome)))
    });

    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let mut s = connected(w, h);
        s.setup.row_limit = 100_000;
        update(&mut s, Msg::Paste("SELECT * FROM big;".into()));
        update(&mut s, Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
        update(
            &mut s,
            Msg::Result { id: 1, entry: ResultEntry::rows(1, "SELECT * FROM big;".into(), set.clone(), &outcome) },
        );
        update(&mut s, Msg::RunFinished { id: 1, lost: None });
        update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
        for _ in 0..500 {
            update(&mut s, Msg::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)));
        }
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("full frame {w}x{h}, 100k-row result"), |b| b.iter(|| draw(&mut t, &s)));
    }

    // A chart of 10,000 points (c in the results), and a watch run arriving.
    let series = ResultSet {
        columns: vec![
            Column { name: "at".into(), type_name: "timestamptz".into(), kind: ValueKind::Text },
            Column { name: "errors".into(), type_name: "int8".into(), kind: ValueKind::Number },
        ],
        rows: (0..10_000)
            .map(|i| {
                vec![
                    Some(format!("2026-11-21 {:02}:{:02}:00+00", i / 60 % 24, i % 60).into()),
                    Some(((i * 7) % 23).to_string().into()),
                ]
            })
            .collect(),
    };
    let series_outcome = Outcome { rows: 10_000, more: false, elapsed: Duration::from_millis(9) };
    let mut s = connected(120, 40);
    s.setup.row_limit = 10_000;
    update(&mut s, Msg::Paste("SELECT at, errors FROM error_rate;".into()));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
    let entry = ResultEntry::rows(1, "SELECT at, errors FROM error_rate;".into(), series.clone(), &series_outcome);
    update(&mut s, Msg::Result { id: 1, entry });
    update(&mut s, Msg::RunFinished { id: 1, lost: None });
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("full frame 120x40, chart of 10,000 points", |b| b.iter(|| draw(&mut t, &s)));

    // A watch tick's work on the UI thread: the run's result arrives (diff, history), then a frame.
    let mut s = connected(120, 40);
    update(&mut s, Msg::Paste("SELECT count(*) FROM pg_stat_activity;".into()));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)));
    let one = |n: u64| {
        let set = ResultSet {
            columns: vec![Column { name: "count".into(), type_name: "int8".into(), kind: ValueKind::Number }],
            rows: vec![vec![Some(n.to_string().into())]],
        };
        ResultEntry::rows(
            1,
            "SELECT count(*) FROM pg_stat_activity".into(),
            set,
            &Outcome { rows: 1, more: false, elapsed: Duration::from_micros(500) },
        )
    };
    update(&mut s, Msg::Batch(vec![Msg::Result { id: 1, entry: one(3) }, Msg::RunFinished { id: 1, lost: None }]));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::NONE)));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut n = 0u64;
    let mut id = 2;
    c.bench_function("watch tick: result arrives + frame, 120x40", |b| {
        b.iter(|| {
            n += 1;
            update(
                &mut s,
                Msg::Batch(vec![Msg::Result { id, entry: one(n % 7) }, Msg::RunFinished { id, lost: None }]),
            );
            s.now += Duration::from_secs(3);
            update(&mut s, Msg::WatchTick);
            id += 1;
            draw(&mut t, &s)
        })
    });
    let mut s = connected(120, 40);
    update(&mut s, Msg::Paste("SELECT count(*) FROM pg_stat_activity;".into()));
    let mut id = 1;
    c.bench_function("a normal result arrives + frame, 120x40 (for comparison)", |b| {
        b.iter(|| {
            n += 1;
            // As F5 leaves it, without F5's own review.
            s.running = Some(warroom::app::Running::new(id, s.now, vec![(1, String::new())], String::new()));
            update(
                &mut s,
                Msg::Batch(vec![Msg::Result { id, entry: one(n % 7) }, Msg::RunFinished { id, lost: None }]),
            );
            id += 1;
            draw(&mut t, &s)
        })
    });

    let paste = big_paste();
    let theme = Theme::default();
    warroom::highlight::warm_up();
    c.bench_function("review 2000-line paste (classify + highlight)", |b| {
        b.iter(|| black_box(analyze(1, &paste, &theme)))
    });
    c.bench_function("review 2000-line paste, labels before colours", |b| {
        b.iter(|| black_box(warroom::app::analysis::analyze_with(1, &paste, &theme, false)))
    });

    let mut s = connected(120, 40);
    update(&mut s, Msg::Paste(paste.clone()));
    let analysis = analyze(s.revision, &paste, &theme);
    update(&mut s, Msg::Analyzed(analysis));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("full frame 120x40, 2000-line paste reviewed", |b| b.iter(|| draw(&mut t, &s)));
    c.bench_function("keystroke in a 2000-line editor (update, no analysis)", |b| {
        b.iter(|| {
            update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)));
            update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
