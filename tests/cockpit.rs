//! The cockpit without a terminal: `update` driven by message sequences, and snapshots of
//! every pane and popup drawn into ratatui's TestBackend at 80x24 and 120x40.
//!
//! The messages a database task would send are built here by hand; what the server does
//! with them is covered by tests/session.rs and by the tmux test of the real binary.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::app::analysis::analyze;
use warroom::app::{Body, Conn, Effect, Focus, Msg, Popup, ResultEntry, State, update};
use warroom::config::Theme;
use warroom::db::render::ResultSet;
use warroom::db::{Column, DbError, Outcome, ValueKind};
use warroom::plan::{CHECKLIST, Evidence, Plan};
use warroom::timeline::Entry;

#[path = "support/cockpit.rs"]
mod support;
use support::{connected, connected_msg, info, posture, setup, standby};

const AGENT_ANSWER: &str = "Here is what I would run:\r\n\r\n```sql\r\nSELECT id, email FROM users WHERE email IS NULL ORDER BY id LIMIT 3;\r\nDELETE FROM users WHERE email IS NULL;\r\n```\r\n\r\nThe DELETE cleans up.\r\n";

thread_local! {
    /// What `send` has asked the timeline to record, oldest first.
    static RECORDED: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Takes what was recorded since the last call.
fn recorded() -> Vec<Entry> {
    RECORDED.with(|r| std::mem::take(&mut *r.borrow_mut()))
}

/// Feeds messages, carrying out the analysis effect the way the loop's worker does; the
/// timeline's records are kept apart (see `recorded`).
fn send(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = update(state, msg);
    let mut rest = Vec::new();
    while !effects.is_empty() {
        for e in std::mem::take(&mut effects) {
            match e {
                Effect::Analyze { revision, text } => {
                    let a = analyze(revision, &text, &state.setup.theme);
                    effects.extend(update(state, Msg::Analyzed(a)));
                }
                Effect::Record(entry) => RECORDED.with(|r| r.borrow_mut().push(entry)),
                other => rest.push(other),
            }
        }
    }
    rest
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Pasted, run with F5, and `entry` came back as run 1's only result.
fn ran(w: u16, h: u16, paste: &str, entry: ResultEntry) -> State {
    let mut s = connected(w, h);
    send(&mut s, Msg::Paste(paste.into()));
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { id: 1, .. }]));
    send(&mut s, Msg::Result { id: 1, entry });
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    s
}

fn server_error(sqlstate: &str, message: &str, hint: Option<&str>, position: Option<usize>) -> DbError {
    DbError::Server(Box::new(warroom::db::ServerError {
        sqlstate: sqlstate.into(),
        severity: "ERROR".into(),
        message: message.into(),
        detail: None,
        hint: hint.map(str::to_string),
        position,
    }))
}

const LOCKED: &str = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock';";

/// `count` = `n`, as the database task reports it.
fn count_entry(n: &str) -> ResultEntry {
    let set = ResultSet {
        columns: vec![Column { name: "count".into(), type_name: "int8".into(), kind: ValueKind::Number }],
        rows: vec![vec![Some(Box::<str>::from(n))]],
    };
    let outcome = Outcome { rows: 1, more: false, elapsed: Duration::from_micros(800) };
    ResultEntry::rows(1, LOCKED.into(), set, &outcome)
}

/// A cockpit that ran LOCKED (0), then watches it: runs 2 (0) and 3 (`then`), the third
/// still to come in `every`.
/// LOCKED ran once (0), the results focused.
fn ran_locked(w: u16, h: u16) -> State {
    let mut s = connected(w, h);
    send(&mut s, Msg::Paste(LOCKED.into()));
    send(&mut s, key(KeyCode::F(5)));
    send(
        &mut s,
        Msg::Batch(vec![Msg::Result { id: 1, entry: count_entry("0") }, Msg::RunFinished { id: 1, lost: None }]),
    );
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    s
}

fn watching(w: u16, h: u16, then: &str) -> State {
    let mut s = ran_locked(w, h);
    send(&mut s, key(KeyCode::Char('w')));
    send(
        &mut s,
        Msg::Batch(vec![Msg::Result { id: 2, entry: count_entry("0") }, Msg::RunFinished { id: 2, lost: None }]),
    );
    s.now += Duration::from_secs(2);
    send(&mut s, Msg::WatchTick);
    send(
        &mut s,
        Msg::Batch(vec![Msg::Result { id: 3, entry: count_entry(then) }, Msg::RunFinished { id: 3, lost: None }]),
    );
    s.now += Duration::from_millis(700);
    s
}

/// Errors a minute over an hour, as a time series.
fn series_entry() -> ResultEntry {
    let set = ResultSet {
        columns: vec![
            Column { name: "minute".into(), type_name: "timestamptz".into(), kind: ValueKind::Text },
            Column { name: "errors".into(), type_name: "int8".into(), kind: ValueKind::Number },
        ],
        rows: (0..60)
            .map(|m| {
                vec![
                    Some(Box::<str>::from(format!("2026-11-21 14:{m:02}:00+00"))),
                    Some(Box::from(((m * 7) % 23).to_string())),
                ]
            })
            .collect(),
    };
    let outcome = Outcome { rows: 60, more: false, elapsed: Duration::from_micros(2100) };
    ResultEntry::rows(1, "SELECT minute, errors FROM error_rate ORDER BY 1;".into(), set, &outcome)
}

fn rows_entry() -> ResultEntry {
    let text = |v: &str| Some(Box::<str>::from(v));
    let set = ResultSet {
        columns: vec![
            Column { name: "id".into(), type_name: "int8".into(), kind: ValueKind::Number },
            Column { name: "email".into(), type_name: "text".into(), kind: ValueKind::Text },
            Column { name: "note".into(), type_name: "text".into(), kind: ValueKind::Text },
        ],
        rows: vec![
            vec![text("2003"), None, text("")],
            vec![text("2006"), None, text("two\nlines")],
            vec![text("12"), text("ann@example.com"), text("tab\there")],
        ],
    };
    let outcome = Outcome { rows: 3, more: true, elapsed: Duration::from_micros(1900) };
    ResultEntry::rows(1, "SELECT id, email FROM users WHERE email IS NULL ORDER BY id LIMIT 3;".into(), set, &outcome)
}

/// Twenty reads, a DELETE, then more reads: 40 lines.
fn forty_lines_with_a_write() -> String {
    let mut text = String::new();
    for i in 1..=19 {
        text.push_str(&format!("SELECT count(*)\n  FROM orders WHERE customer_id = {i};\n"));
    }
    text.push_str("DELETE FROM users WHERE email IS NULL;\nSELECT 1;\n");
    text
}

fn draw(state: &State) -> String {
    let mut t = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
    t.draw(|f| warroom::ui::draw(f, state)).unwrap();
    t.backend().to_string()
}

// ---------------------------------------------------------------- update

#[test]
fn a_paste_is_normalised_and_labelled() {
    let mut s = connected(120, 40);
    let fx = update(&mut s, Msg::Paste(AGENT_ANSWER.into()));
    assert!(matches!(&fx[..], [Effect::Record(_), Effect::Analyze { revision: 1, text }] if !text.contains('\r')));
    assert!(!s.text().contains('\r'), "CR and CRLF become LF");
    assert!(s.analysis.is_none(), "labels come from the analysis, not from draw");
    send(&mut s, Msg::Paste(String::new()));
    let a = s.analysis.as_ref().unwrap();
    assert!(s.analysis_current());
    let labels: Vec<_> = a.review.statements.iter().map(|st| (st.class, st.kind.name())).collect();
    assert_eq!(labels, vec![(warroom::guard::Class::Read, "select"), (warroom::guard::Class::Write, "delete")]);
    assert_eq!(a.review.ignored.len(), 2, "the prose around the fence is ignored");
    // A newline in a paste runs nothing; neither does Enter.
    let fx = send(&mut s, key(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn an_older_analysis_never_replaces_a_newer_one() {
    let mut s = connected(120, 40);
    update(&mut s, Msg::Paste("SELECT 1;".into()));
    update(&mut s, Msg::Paste(" DELETE FROM t;".into()));
    let old = analyze(1, "SELECT 1;", &s.setup.theme);
    update(&mut s, Msg::Analyzed(old));
    assert!(s.analysis.is_none(), "revision 1 is stale once revision 2 exists");
}

#[test]
fn f5_after_a_paste_runs_only_its_reads() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste(AGENT_ANSWER.into()));
    let fx = send(&mut s, key(KeyCode::F(5)));
    match &fx[..] {
        [Effect::Run { id: 1, reads, anyway: false }] => {
            assert_eq!(reads.len(), 1);
            assert!(reads[0].1.starts_with("SELECT"), "{reads:?}");
        }
        other => panic!("expected one run, got {other:?}"),
    }
    let status = &s.status.as_ref().unwrap().0;
    assert!(status.contains("Skipped 1 WRITE") && status.contains("#2 delete"), "{status}");
}

#[test]
fn f5_on_a_write_runs_nothing() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("DELETE FROM users WHERE email IS NULL;".into()));
    for m in [key(KeyCode::F(5)), ctrl('r'), Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::SHIFT))] {
        let fx = send(&mut s, m);
        assert!(fx.iter().all(|e| !matches!(e, Effect::Run { .. })), "{fx:?}");
    }
    assert!(s.running.is_none());
    assert!(s.status.as_ref().unwrap().0.contains("writes never run"));
    // The cursor on the write, not fresh from a paste: still nothing.
    send(&mut s, key(KeyCode::Left));
    assert!(send(&mut s, key(KeyCode::F(5))).is_empty());
}

#[test]
fn the_cursor_picks_the_statement() {
    let mut s = connected(120, 40);
    for c in "SELECT 1;\nDELETE FROM t;\nSELECT 2;".chars() {
        send(&mut s, if c == '\n' { key(KeyCode::Enter) } else { key(KeyCode::Char(c)) });
    }
    // Typed, not pasted: F5 runs the statement under the cursor only.
    let fx = send(&mut s, key(KeyCode::F(5)));
    assert!(matches!(&fx[..], [Effect::Run { reads, .. }] if reads == &vec![(3, "SELECT 2".to_string())]), "{fx:?}");
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    send(&mut s, key(KeyCode::Up));
    assert!(send(&mut s, key(KeyCode::F(5))).is_empty(), "line 2 is the DELETE");
    // Shift-F5: every read, never the write.
    let fx = send(&mut s, Msg::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::SHIFT)));
    assert!(
        matches!(&fx[..], [Effect::Run { reads, .. }] if reads.iter().map(|r| r.0).collect::<Vec<_>>() == [1, 3]),
        "{fx:?}"
    );
}

#[test]
fn nothing_runs_when_not_connected() {
    let mut s = State::new(setup(), (120, 40));
    send(&mut s, Msg::ConnectFailed("connection refused".into()));
    send(&mut s, Msg::Paste("SELECT 1;".into()));
    // F5 runs nothing: it only tries to connect again at once.
    assert_eq!(send(&mut s, key(KeyCode::F(5))), vec![Effect::Connect]);
    assert!(s.status.as_ref().unwrap().0.contains("Not connected, so nothing ran"), "{:?}", s.status);
    assert!(send(&mut s, key(KeyCode::F(5))).is_empty(), "while connecting, F5 waits");
    assert_eq!(send(&mut s, ctrl('o')), vec![Effect::Connect]);
}

#[test]
fn the_draft_is_saved_within_a_second_and_at_quit() {
    let mut s = connected(120, 40);
    let start = s.now;
    send(&mut s, key(KeyCode::Char('S')));
    let due = s.draft_due.expect("a save is due after the first change");
    assert!(due <= start + std::time::Duration::from_secs(1));
    // Typing on does not push the save further away.
    s.now = start + std::time::Duration::from_millis(300);
    send(&mut s, key(KeyCode::Char('E')));
    assert_eq!(s.draft_due, Some(due));
    assert_eq!(send(&mut s, Msg::DraftDue), vec![Effect::SaveDraft("SE".into())]);
    assert!(s.draft_due.is_none());
    assert!(send(&mut s, Msg::DraftDue).is_empty(), "nothing new, nothing saved");
    send(&mut s, key(KeyCode::Char('L')));
    let fx = send(&mut s, ctrl('q'));
    assert!(fx.contains(&Effect::SaveDraft("SEL".into())), "{fx:?}");

    // Opened again, the draft is back in the editor and labelled, and nothing runs.
    let mut setup = setup();
    setup.draft = Some("SELECT 1;\nDELETE FROM users;".into());
    let s = State::new(setup, (120, 40));
    assert_eq!(s.text(), "SELECT 1;\nDELETE FROM users;");
    let fx = s.startup_effects();
    assert!(matches!(&fx[..], [Effect::Analyze { .. }]), "{fx:?}");
    assert!(s.status.as_ref().unwrap().0.contains("Restored this incident's draft"));
}

#[test]
fn an_unpinned_cluster_is_production_and_ctrl_p_pins_it() {
    let mut setup = setup();
    setup.profile_environment = Some("staging".into());
    setup.environment = "staging".into();
    let mut s = State::new(setup, (120, 40));
    let fx = update(
        &mut s,
        Msg::Connected { info: info(), posture: posture(false), pinned: Ok(None), reconnected_after: None },
    );
    assert_eq!(s.setup.environment, "production");
    let note = s.env.as_ref().unwrap().note.clone().unwrap();
    assert_eq!(note, "UNPINNED — treated as PRODUCTION (profile says staging)");
    // The session's start says which cluster was read.
    let Effect::Record(start) = &fx[0] else { panic!("{fx:?}") };
    assert_eq!(start.kind, warroom::timeline::Kind::SessionStart);
    assert_eq!(start.details["cluster"]["system_identifier"], "7312345678901234567");
    assert!(start.summary.contains("UNPINNED"), "{}", start.summary);
    let screen = draw(&s);
    assert!(screen.contains("UNPINNED — treated as PRODUCTION"), "{screen}");

    send(&mut s, ctrl('p'));
    for c in "staging".chars() {
        send(&mut s, key(KeyCode::Char(c)));
    }
    let fx = send(&mut s, key(KeyCode::Enter));
    let [Effect::Pin { identity, environment }] = &fx[..] else { panic!("{fx:?}") };
    assert_eq!((identity.port, environment.as_str()), (5432, "staging"));
    let pin = warroom::environment::Pin {
        key: identity.key(),
        environment: "staging".into(),
        cluster_name: "main".into(),
        seen_at: String::new(),
        pinned_by: "alice".into(),
        pinned_at: String::new(),
    };
    let fx = update(&mut s, Msg::Pinned(Ok(pin)));
    assert!(matches!(&fx[..], [Effect::Record(e)] if e.kind == warroom::timeline::Kind::Pinned), "{fx:?}");
    assert_eq!(s.setup.environment, "staging");
    assert!(s.env.as_ref().unwrap().note.is_none());
}

#[test]
fn a_profile_that_disagrees_with_the_pin_loses_to_the_stricter() {
    let mut setup = setup();
    setup.profile_environment = Some("staging".into());
    let mut s = State::new(setup, (80, 24));
    send(&mut s, connected_msg(info(), Some("production"), None));
    assert_eq!(s.setup.environment, "production");
    assert!(draw(&s).contains("PRODUCTION"));
    assert_eq!(
        s.env.as_ref().unwrap().note.as_deref(),
        Some("profile says staging, this cluster is pinned as production")
    );
}

#[test]
fn every_write_stays_in_sight_and_the_review_follows_the_cursor() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = connected(w, h);
        send(&mut s, Msg::Paste(forty_lines_with_a_write()));
        let screen = draw(&s);
        assert!(screen.contains("#20 delete · line 39:"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("DELETE FROM users removes rows"), "{w}x{h}:\n{screen}");
    }
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste(forty_lines_with_a_write()));
    for _ in 0..45 {
        send(&mut s, key(KeyCode::Up));
    }
    assert_eq!(s.review_scroll, 0, "the first statement: the summary on top");
    for _ in 0..10 {
        send(&mut s, key(KeyCode::Down));
    }
    let heads = s.analysis.as_ref().unwrap().heads.clone();
    assert_eq!(s.review_scroll, heads[5], "line 11 is statement #6");
}

#[test]
fn a_watch_reruns_marks_changes_and_is_one_timeline_entry() {
    recorded();
    let mut s = ran_locked(120, 40);
    recorded();
    // w: the first run at once, the same read, through the same Run effect (guard, session).
    let fx = send(&mut s, key(KeyCode::Char('w')));
    assert!(
        matches!(&fx[..], [Effect::Run { id: 2, reads, anyway: false }] if reads[0].1 == LOCKED.trim_end_matches(';')),
        "{fx:?}"
    );
    send(
        &mut s,
        Msg::Batch(vec![Msg::Result { id: 2, entry: count_entry("0") }, Msg::RunFinished { id: 2, lost: None }]),
    );
    assert!(send(&mut s, Msg::WatchTick).is_empty(), "not due yet");
    s.now += Duration::from_secs(2);
    assert!(matches!(&send(&mut s, Msg::WatchTick)[..], [Effect::Run { id: 3, .. }]));
    send(
        &mut s,
        Msg::Batch(vec![Msg::Result { id: 3, entry: count_entry("1") }, Msg::RunFinished { id: 3, lost: None }]),
    );
    let Body::Rows(t) = &s.results.entries.last().unwrap().body else { panic!() };
    assert_eq!(t.changed, vec![(0, 0)], "the count changed");
    assert_eq!(s.watch.as_ref().unwrap().history, vec![0.0, 1.0]);
    assert!(recorded().is_empty(), "no timeline entry per run");
    let screen = draw(&s);
    assert!(screen.contains("WATCHING every 2 s"), "{screen}");
    assert!(screen.contains("1 (min 0 max 1)"), "the sparkline's label:\n{screen}");
    // + makes it less often; Esc stops it, and the timeline gets one entry with the runs.
    send(&mut s, key(KeyCode::Char('+')));
    assert_eq!(s.watch.as_ref().unwrap().every, Duration::from_secs(5));
    send(&mut s, key(KeyCode::Esc));
    assert!(s.watch.is_none());
    let r = recorded();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].kind.name(), "watch");
    assert_eq!(r[0].details["runs"], 2);
    assert!(r[0].summary.contains("every 5 s: 2 runs"), "{}", r[0].summary);
    // Another F5 stops a watch too.
    let mut s = watching(120, 40, "3");
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT)));
    recorded();
    send(&mut s, key(KeyCode::F(5)));
    assert!(s.watch.is_none());
    assert_eq!(recorded()[0].kind.name(), "watch");
}

/// NO_COLOR: not one cell is coloured, and what colour said is still there in words and marks.
#[test]
fn without_colour_nothing_is_coloured_and_nothing_is_lost() {
    use ratatui::style::{Color, Modifier};
    let frame = |s: &State| {
        let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
        t.draw(|f| warroom::ui::draw(f, s)).unwrap();
        t.backend().buffer().clone()
    };
    // As if the cockpit had opened with NO_COLOR: the runbook laid out and the text labelled again.
    let mono = |mut s: State| {
        s.setup.theme = Theme::monochrome();
        let plain = ratatui::style::Style::default().fg(Color::Reset);
        s.editor.set_style(plain);
        s.editor.set_placeholder_style(plain);
        s.editor.set_line_number_style(plain);
        s.editor.set_selection_style(s.setup.theme.selected());
        s.runbook.view.lines.clear();
        let (w, h) = s.size;
        send(&mut s, Msg::Resize(w, h));
        let a = analyze(s.revision, &s.text(), &s.setup.theme);
        send(&mut s, Msg::Analyzed(a));
        s
    };
    // Opened with NO_COLOR from the start, as the cockpit is.
    let mut plain = setup();
    plain.theme = Theme::monochrome();
    let mut opened = State::new(plain, (120, 40));
    send(&mut opened, connected_msg(info(), Some("production"), None));
    send(&mut opened, Msg::Paste(AGENT_ANSWER.into()));
    let buf = frame(&opened);
    assert!(buf.content().iter().all(|c| (c.fg, c.bg) == (Color::Reset, Color::Reset)), "{}", draw(&opened));
    let mut scenes = vec![mono(ran(120, 40, AGENT_ANSWER, rows_entry())), mono(watching(120, 40, "2"))];
    let mut chart = mono(ran(120, 40, "SELECT minute, errors FROM error_rate ORDER BY 1;", series_entry()));
    send(&mut chart, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    send(&mut chart, key(KeyCode::Char('c')));
    scenes.push(chart);
    for s in &mut scenes {
        send(s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
        let buf = frame(s);
        for cell in buf.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
        assert!(buf.content().iter().any(|c| c.modifier.contains(Modifier::REVERSED)), "the selection shows");
    }
    let text = draw(&scenes[0]);
    assert!(text.contains("WRITE") && text.contains("READ"), "{text}");
    let watched = draw(&scenes[1]);
    assert!(watched.contains("WATCHING") && watched.contains("(min 0 max 2)"), "{watched}");
    let changed = frame(&scenes[1]);
    assert!(
        changed.content().iter().any(|c| c.modifier.contains(Modifier::UNDERLINED)),
        "changed cells are underlined"
    );
    assert!(draw(&scenes[2]).contains("errors by minute"), "the chart with its legend");
}

#[test]
fn a_lost_connection_reconnects_and_a_failover_is_loud() {
    let mut s = connected(120, 40);
    let fx = update(&mut s, Msg::Lost("the server closed the connection".into()));
    assert!(matches!(&fx[..], [Effect::Record(e)] if e.kind == warroom::timeline::Kind::Disconnected), "{fx:?}");
    assert!(draw(&s).contains("connection lost"));
    send(
        &mut s,
        Msg::Reconnecting {
            attempt: 2,
            next_in: std::time::Duration::from_secs(2),
            error: "connection refused".into(),
        },
    );
    assert!(draw(&s).contains("attempt 2 failed, next in 2 s (connection refused)"), "{}", draw(&s));
    send(&mut s, connected_msg(standby(), Some("production"), Some(Duration::from_secs(12))));
    let screen = draw(&s);
    assert!(screen.contains("reconnected after 12 s: came back as a STANDBY (was the primary)"), "{screen}");
    assert!(s.status.as_ref().unwrap().0.contains("STANDBY"));
    // The same cluster back as it was: a plain reconnection.
    send(&mut s, Msg::Lost("gone".into()));
    let mut other = info();
    other.identity.system_identifier = Some("1".into());
    send(
        &mut s,
        Msg::Connected {
            info: other,
            posture: posture(false),
            pinned: Ok(None),
            reconnected_after: Some(std::time::Duration::from_millis(1500)),
        },
    );
    assert!(draw(&s).contains("DIFFERENT cluster"), "{}", draw(&s));
}

#[test]
fn stale_results_are_dropped_and_esc_cancels() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("SELECT count(*) FROM generate_series(1, 100000000);".into()));
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { id: 1, .. }]));
    assert!(send(&mut s, key(KeyCode::F(5))).is_empty(), "one read at a time");
    // A result for another run id is dropped.
    send(&mut s, Msg::Result { id: 7, entry: rows_entry() });
    send(&mut s, Msg::RunFinished { id: 7, lost: None });
    assert!(s.results.entries.is_empty());
    assert!(s.running.is_some());
    assert_eq!(send(&mut s, key(KeyCode::Esc)), vec![Effect::Cancel { id: 1 }]);
    let cancelled = server_error("57014", "canceling statement due to user request", None, None);
    send(&mut s, Msg::Result { id: 1, entry: ResultEntry::error(1, "SELECT 1".into(), &cancelled) });
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    assert!(s.running.is_none());
    assert_eq!(s.status.as_ref().unwrap().0, "Cancelled.");
    assert!(matches!(&s.results.entries[0].body, Body::Error { sqlstate: Some(c), .. } if c == "57014"));
}

#[test]
fn runbook_blocks_go_to_the_editor_without_running() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    assert_eq!(s.focus, Focus::Runbook);
    send(&mut s, key(KeyCode::Char(']')));
    send(&mut s, key(KeyCode::Char(']')));
    assert_eq!(s.runbook.block, Some(1));
    let fx = send(&mut s, key(KeyCode::Enter));
    assert!(fx.is_empty(), "sending a block runs nothing: {fx:?}");
    assert_eq!(s.focus, Focus::Editor);
    assert_eq!(s.text(), s.setup.runbook.sql_blocks[1]);
    // F5 now runs that block: it is fresh, like a paste.
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { reads, .. }] if reads.len() == 1));
}

#[test]
fn search_and_contents_move_the_runbook() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char('/')));
    for c in "pg_blocking_pids".chars() {
        send(&mut s, key(KeyCode::Char(c)));
    }
    send(&mut s, key(KeyCode::Enter));
    assert!(s.popup.is_none());
    assert!(s.runbook.view.plain[s.runbook.scroll].contains("pg_blocking_pids"));
    send(&mut s, key(KeyCode::Char('t')));
    send(&mut s, key(KeyCode::End));
    send(&mut s, key(KeyCode::Enter));
    let last = s.runbook.view.headings.last().unwrap();
    assert_eq!(s.runbook.scroll, last.line);
}

#[test]
fn keys_that_type_in_the_editor_act_elsewhere() {
    let mut s = connected(120, 40);
    send(&mut s, key(KeyCode::Char('?')));
    assert_eq!(s.text(), "?", "? is typing in the editor");
    assert!(s.popup.is_none());
    send(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Focus::Review);
    send(&mut s, key(KeyCode::Char('?')));
    assert!(s.popup.is_some());
    send(&mut s, key(KeyCode::Esc));
    assert!(s.popup.is_none());
    assert_eq!(send(&mut s, ctrl('q')), vec![Effect::SaveDraft("?".into()), Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn copy_makes_tsv() {
    let mut s = ran(120, 40, "SELECT 1;", rows_entry());
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Down));
    send(&mut s, key(KeyCode::Right));
    send(&mut s, key(KeyCode::Right));
    assert_eq!(send(&mut s, key(KeyCode::Char('y'))), vec![Effect::Copy("two\nlines".into())]);
    assert_eq!(send(&mut s, key(KeyCode::Char('Y'))), vec![Effect::Copy("2006\t\ttwo\\nlines".into())]);
    let all = send(&mut s, key(KeyCode::Char('a')));
    assert_eq!(
        all,
        vec![Effect::Copy("id\temail\tnote\n2003\t\t\n2006\t\ttwo\\nlines\n12\tann@example.com\ttab\\there".into())]
    );
}

#[test]
fn on_a_small_screen_results_take_focus_when_they_arrive() {
    let s = ran(80, 24, "SELECT 1;", rows_entry());
    assert_eq!(s.focus, Focus::Results);
    assert!(draw(&s).contains("ann@example.com"));
}

#[test]
fn a_lost_connection_shows_in_the_banner() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("SELECT 1;".into()));
    send(&mut s, key(KeyCode::F(5)));
    send(&mut s, Msg::RunFinished { id: 1, lost: Some("server closed the connection".into()) });
    assert!(matches!(s.conn, Conn::Lost(_)));
    assert!(draw(&s).contains("connection lost"));
}

// ---------------------------------------------------------------- snapshots

/// Every pane and popup, at both sizes.
/// The plan the db task would report after staging the demo's DELETE while connected.
fn staged_plan() -> Plan {
    let mut p = Plan::new("INC-42", "alice", "2026-11-21T02:14:00Z");
    let e = Evidence {
        gathered_at: "2026-11-21T02:14:00Z".into(),
        role: "warroom_ro".into(),
        table: Some("users".into()),
        keys: vec!["id".into()],
        rows: Some(100),
        key_hash: Some("ed7f8b3b309131b7ef64a6f16188a2df".into()),
        sample: vec!["  id  | email".into(), "------+-------".into(), " 2051 | ∅".into()],
        estimate: vec!["Seq Scan on users  (cost=0.00..86.00 rows=100 width=187)".into()],
        references: vec!["orders (orders_user_id_fkey): ON DELETE CASCADE, ON UPDATE NO ACTION".into()],
        cascades: vec!["orders (orders_user_id_fkey): ON DELETE CASCADE, ON UPDATE NO ACTION".into()],
        table_size: Some("608 kB".into()),
        backup_size: Some("12 kB".into()),
        ..Evidence::default()
    };
    p.stage("DELETE FROM users WHERE email IS NULL;", Some(e), "2026-11-21T02:14:00Z");
    p
}

#[test]
fn the_plan_shows_a_wide_sample_as_records_and_counts_the_cascade() {
    let mut p = Plan::new("INC-42", "alice", "2026-11-21T02:14:00Z");
    let wide = format!(" 2051 | ∅     | {}", "x".repeat(150));
    let e = Evidence {
        gathered_at: "2026-11-21T02:14:00Z".into(),
        role: "warroom_ro".into(),
        table: Some("users".into()),
        keys: vec!["id".into()],
        rows: Some(1),
        sample: vec!["  id  | email | bio".into(), "------+-------+-----".into(), wide.clone()],
        sample_records: vec!["-[ RECORD 1 ]".into(), "id    | 2051".into(), "email | ∅".into(), "bio   | xxxx".into()],
        cascades: vec!["orders (orders_user_id_fkey): ON DELETE CASCADE, ON UPDATE NO ACTION".into()],
        cascade_rows: vec![warroom::plan::evidence::CascadeCount {
            table: "orders".into(),
            action: "CASCADE".into(),
            rows: 312,
            depth: 1,
        }],
        ..Evidence::default()
    };
    p.stage("DELETE FROM users WHERE id = 2051;", Some(e), "2026-11-21T02:14:00Z");
    let mut s = connected(120, 40);
    send(&mut s, Msg::PlanStored { plan: Some(Box::new(p)), said: Ok("Staged.".into()), record: None });
    send(&mut s, key(KeyCode::F(6)));
    for _ in 0..12 {
        send(&mut s, key(KeyCode::Down));
    }
    let screen = draw(&s);
    assert!(screen.contains("-[ RECORD 1 ]") && screen.contains("email | ∅"), "{screen}");
    assert!(
        !screen.contains("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        "the wide row does not wrap into noise:\n{screen}"
    );
    let text = warroom::plan::render_step(&s.plan.as_ref().unwrap().steps[0], 1);
    assert!(text.contains("cascades to 312 rows in orders (deleted)"), "{text}");
}

fn with_plan(w: u16, h: u16) -> State {
    let mut s = connected(w, h);
    send(&mut s, Msg::PlanStored { plan: Some(Box::new(staged_plan())), said: Ok("Staged.".into()), record: None });
    s
}

fn typed(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| send(state, key(KeyCode::Char(c)))).collect()
}

#[test]
fn ctrl_s_stages_the_write_under_the_cursor_and_runs_nothing() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("SELECT 1;\nDELETE FROM users WHERE email IS NULL;\nBEGIN;".into()));
    // The fresh paste holds one write (BEGIN is transaction control, not a step).
    let fx = send(&mut s, ctrl('s'));
    assert_eq!(fx, vec![Effect::Stage { writes: vec!["DELETE FROM users WHERE email IS NULL".into()] }]);
    assert!(s.staging);
    assert!(send(&mut s, ctrl('s')).is_empty(), "one stage at a time");
    send(
        &mut s,
        Msg::PlanStored { plan: Some(Box::new(staged_plan())), said: Ok("Staged 1 write.".into()), record: None },
    );
    assert!(!s.staging && s.plan.is_some());
    // On a read, Ctrl-S says there is nothing to stage.
    let mut r = connected(120, 40);
    send(&mut r, Msg::Paste("SELECT 1".into()));
    assert!(send(&mut r, ctrl('s')).is_empty());
    assert!(r.status.as_ref().unwrap().0.contains("Nothing to stage"));
}

#[test]
fn marking_reviewed_needs_every_tick_and_the_typed_table_and_count() {
    let mut s = with_plan(120, 40);
    send(&mut s, key(KeyCode::F(6)));
    assert_eq!(s.popup, Some(Popup::Plan));
    assert!(send(&mut s, key(KeyCode::Char('m'))).is_empty());
    assert!(s.status.as_ref().unwrap().0.contains("not ticked"), "{:?}", s.status);
    for i in 0..CHECKLIST.len() {
        let before = s.plan.clone().map(Box::new);
        let fx = send(&mut s, key(KeyCode::Char(char::from(b'1' + i as u8))));
        assert!(matches!(&fx[..], [Effect::SavePlan { expected, .. }] if *expected == before), "{fx:?}");
    }
    assert!(s.plan.as_ref().unwrap().steps[0].ticked());
    send(&mut s, key(KeyCode::Char('m')));
    assert!(matches!(s.popup, Some(Popup::Confirm { step: 0, .. })));
    // Pasting the answer does nothing: it has to be typed.
    send(&mut s, Msg::Paste("users 100".into()));
    assert!(matches!(&s.popup, Some(Popup::Confirm { typed, .. }) if typed.is_empty()));
    typed(&mut s, "users 99");
    assert!(send(&mut s, key(KeyCode::Enter)).is_empty());
    assert!(s.status.as_ref().unwrap().0.contains("That is not step 1"), "{:?}", s.status);
    typed(&mut s, "users 100");
    let fx = send(&mut s, key(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::MarkReviewed { typed, .. }] if typed == &vec!["users 100".to_string()]),
        "{fx:?}"
    );
}

fn scenes(w: u16, h: u16) -> Vec<(&'static str, State)> {
    let mut out = Vec::new();
    out.push(("connecting", State::new(setup(), (w, h))));

    let mut s = connected(w, h);
    send(&mut s, Msg::Paste(AGENT_ANSWER.into()));
    out.push(("review", s));

    let mut s = connected(w, h);
    send(&mut s, Msg::Paste(AGENT_ANSWER.into()));
    send(&mut s, key(KeyCode::F(5)));
    s.now = s.running.as_ref().unwrap().started + Duration::from_millis(1300);
    out.push(("running", s));

    let mut s = ran(w, h, AGENT_ANSWER, rows_entry());
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Down));
    out.push(("results", s));

    let sql = "SELECT id, emial\n  FROM users;";
    let hint = "Perhaps you meant to reference the column \"users.email\".";
    let e = server_error("42703", "column \"emial\" does not exist", Some(hint), Some(12));
    out.push(("error", ran(w, h, sql, ResultEntry::error(1, sql.into(), &e))));

    let mut s = State::new(setup(), (w, h));
    send(
        &mut s,
        Msg::Connected {
            info: info(),
            posture: posture(true),
            pinned: Ok(Some("production".into())),
            reconnected_after: None,
        },
    );
    out.push(("not_read_only", s));

    let mut s = State::new(setup(), (w, h));
    send(
        &mut s,
        Msg::ConnectFailed(
            "connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: Connection refused".into(),
        ),
    );
    out.push(("not_connected", s));

    let mut s = connected(w, h);
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char(']')));
    out.push(("runbook_block", s));

    let mut s = connected(w, h);
    send(&mut s, key(KeyCode::F(1)));
    out.push(("help", s));

    let mut s = connected(w, h);
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char('t')));
    send(&mut s, key(KeyCode::Down));
    out.push(("contents", s));

    let mut s = connected(w, h);
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char('/')));
    for c in "lock".chars() {
        send(&mut s, key(KeyCode::Char(c)));
    }
    out.push(("search", s));

    let mut s = with_plan(w, h);
    send(&mut s, key(KeyCode::F(6)));
    out.push(("plan", s));

    let mut s = with_plan(w, h);
    send(&mut s, key(KeyCode::F(6)));
    typed(&mut s, "12345m");
    typed(&mut s, "users");
    out.push(("confirm", s));

    let mut s = ran(w, h, AGENT_ANSWER, rows_entry());
    send(&mut s, ctrl('n'));
    typed(&mut s, "Worker restarted at 02:20");
    out.push(("note", s));

    recorded();
    let mut s = ran(w, h, AGENT_ANSWER, rows_entry());
    send(&mut s, ctrl('n'));
    typed(&mut s, "Worker restarted at 02:20");
    send(&mut s, key(KeyCode::Enter));
    journal(&mut s);
    send(&mut s, key(KeyCode::F(7)));
    send(&mut s, key(KeyCode::Up));
    out.push(("timeline", s));

    // Unpinned: production, said in the banner; Ctrl-P asks for the environment's name.
    let mut setup = setup();
    setup.profile_environment = Some("staging".into());
    let mut s = State::new(setup, (w, h));
    send(&mut s, Msg::Connected { info: info(), posture: posture(false), pinned: Ok(None), reconnected_after: None });
    send(&mut s, ctrl('p'));
    typed(&mut s, "staging");
    out.push(("pin", s));

    // A heavy read held back: the status line and the review say what it would do.
    let mut s = connected(w, h);
    send(&mut s, Msg::Paste("SELECT * FROM orders WHERE customer_id = 42;".into()));
    send(&mut s, key(KeyCode::F(5)));
    let said =
        "seq scan of public.orders (~3.0M rows), ~3.0M rows scanned, est. cost 55.2k (limits: 1.0M rows, cost 1.0M)";
    send(&mut s, Msg::Held { id: 1, index: 1, said: said.into() });
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    out.push(("held", s));

    // A 40-line paste with one WRITE in the middle: the WRITE, its line and why, on top.
    let mut s = connected(w, h);
    send(&mut s, Msg::Paste(forty_lines_with_a_write()));
    out.push(("review_write_on_top", s));

    // Expanded display (x in the results): a record at a time.
    let mut s = ran(w, h, AGENT_ANSWER, rows_entry());
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char('x')));
    send(&mut s, key(KeyCode::Down));
    assert!(s.results.expanded);
    out.push(("records", s));

    // A time series as a chart (c in the results).
    let mut s = ran(w, h, "SELECT minute, errors FROM error_rate ORDER BY 1;", series_entry());
    send(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::ALT)));
    send(&mut s, key(KeyCode::Char('c')));
    assert_eq!(s.popup, Some(Popup::Chart));
    out.push(("chart", s));

    // A watch of one number: the countdown, the changed cell, the sparkline.
    out.push(("watch", watching(w, h, "2")));

    // Back after a failover, as a standby: said first, in the banner.
    let mut s = connected(w, h);
    send(&mut s, Msg::Lost("terminating connection due to administrator command".into()));
    send(&mut s, connected_msg(standby(), Some("production"), Some(Duration::from_secs(12))));
    out.push(("failover", s));
    out
}

/// Carries out the timeline's records the way the journal thread does, at fixed times.
fn journal(state: &mut State) {
    let dir = tempfile::tempdir().unwrap();
    for (i, entry) in recorded().into_iter().enumerate() {
        let at = format!("2026-11-21T02:14:{:02}Z", i * 7 % 60);
        let event = warroom::timeline::append(dir.path(), "alice", &at, entry).unwrap();
        send(state, Msg::Recorded(Ok(event)));
    }
}

#[test]
fn the_timeline_records_what_happened() {
    let mut s = connected(120, 40);
    recorded();
    send(&mut s, Msg::Paste(AGENT_ANSWER.into()));
    let kinds = |r: Vec<Entry>| r.iter().map(|e| e.kind.name()).collect::<Vec<_>>();
    let r = recorded();
    assert_eq!(kinds(r.clone()), ["paste", "review"]);
    assert_eq!(r[0].details["text"], AGENT_ANSWER.replace("\r\n", "\n"));
    assert!(r[0].details["sha256"].as_str().unwrap().starts_with("sha256:"));
    assert!(r[1].summary.contains("2 statements, 1 READ, 1 WRITE (#2 delete"), "{}", r[1].summary);
    // F5 on the paste: the DELETE is refused (recorded), the SELECT runs and its result is recorded.
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { .. }]));
    send(&mut s, Msg::Result { id: 1, entry: rows_entry() });
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    let r = recorded();
    assert_eq!(kinds(r.clone()), ["refused", "read"]);
    assert_eq!(r[1].details["rows"], 3);
    assert!(r[1].summary.starts_with("Read ran: SELECT"), "{}", r[1].summary);
    // A failed read records its error.
    send(&mut s, key(KeyCode::F(5)));
    let e = server_error("42P01", "relation \"x\" does not exist", None, None);
    send(&mut s, Msg::Result { id: 2, entry: ResultEntry::error(1, "SELECT * FROM x".into(), &e) });
    let r = recorded();
    assert_eq!(r[1].details["sqlstate"], "42P01", "{r:?}");
    // A stage's report carries its record.
    let staged =
        warroom::timeline::Entry::new(warroom::timeline::Kind::Staged, "Staged 1 write", serde_json::json!({}));
    send(&mut s, Msg::PlanStored { plan: None, said: Ok("Staged.".into()), record: Some(staged) });
    assert_eq!(kinds(recorded()), ["staged"]);
    // A note: Ctrl-N, typed, Enter; Esc and an empty note record nothing.
    send(&mut s, ctrl('n'));
    typed(&mut s, "gave up");
    send(&mut s, key(KeyCode::Esc));
    send(&mut s, ctrl('n'));
    send(&mut s, key(KeyCode::Enter));
    assert!(recorded().is_empty());
    send(&mut s, ctrl('n'));
    typed(&mut s, "Paged the DBA");
    send(&mut s, Msg::Paste("postgres://app:hunter2@db/app\nsecond line".into()));
    send(&mut s, key(KeyCode::Enter));
    let r = recorded();
    assert_eq!(kinds(r.clone()), ["note"]);
    // Only the paste's first line goes into the one-line note; the journal masks the password.
    assert_eq!(r[0].details["text"], "Paged the DBApostgres://app:hunter2@db/app");
    // F7 reads the timeline from disk (other processes write to it); e exports it.
    assert_eq!(send(&mut s, key(KeyCode::F(7))), vec![Effect::LoadTimeline]);
    assert_eq!(send(&mut s, key(KeyCode::Char('e'))), vec![Effect::ExportTimeline]);
    assert_eq!(s.popup, Some(Popup::Timeline));
    send(&mut s, key(KeyCode::Esc));
    assert_eq!(s.popup, None);
    // A journal that cannot be written is said once, not after every event.
    send(&mut s, Msg::Recorded(Err("Permission denied (os error 13)".into())));
    assert!(s.status.as_ref().unwrap().0.contains("could not be written: Permission denied"));
    send(&mut s, Msg::Exported(Ok("Exported.".into())));
    send(&mut s, Msg::Recorded(Err("Permission denied (os error 13)".into())));
    assert_eq!(s.status.as_ref().unwrap().0, "Exported.");
}

#[test]
fn snapshots_80x24() {
    for (name, state) in scenes(80, 24) {
        insta::assert_snapshot!(format!("{name}_80x24"), draw(&state));
    }
}

#[test]
fn snapshots_120x40() {
    for (name, state) in scenes(120, 40) {
        insta::assert_snapshot!(format!("{name}_120x40"), draw(&state));
    }
}

#[test]
fn themes_draw_every_scene() {
    for theme in warroom::config::theme::builtin_names() {
        for (_, mut state) in scenes(100, 30) {
            state.setup.theme = Theme::builtin(theme).unwrap();
            let text = draw(&state);
            assert!(text.contains("PRODUCTION"), "{theme}");
        }
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (w, h) in [(1, 1), (10, 5), (40, 10), (60, 15), (80, 24)] {
        for (_, mut state) in scenes(w, h) {
            update(&mut state, Msg::Resize(w, h));
            draw(&state);
        }
    }
}

/// Connected, the labels are the text proof of a connected read (what only the server can
/// judge is left to the server's own tree when the read runs): nothing is read ahead for them.
#[test]
fn connected_labels_leave_the_servers_part_to_the_server() {
    use warroom::app::analysis::analyze_against;
    use warroom::guard::Class;

    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("SELECT 'paid'::order_status, concat('%', 1, 2) FROM users".into()));
    let theme = s.setup.theme.clone();
    let offline = analyze_against(s.revision, &s.text(), &theme, true, false);
    assert_eq!(offline.review.verdict(), Class::Write, "a cast to an unknown type is not a read offline");
    let a = analyze_against(s.revision, &s.text(), &theme, true, true);
    assert_eq!(a.review.verdict(), Class::Read, "{:?}", a.review.statements[0].reasons);
    // Nothing is asked of the database for the labels: the analysis brings no effect but its own.
    let fx = update(&mut s, Msg::Analyzed(a));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Stage { .. } | Effect::Run { .. })), "{fx:?}");
    let a = analyze_against(s.revision, "DELETE FROM users", &theme, true, true);
    assert_eq!(a.review.verdict(), Class::Write);
}

/// What an agent does through `warroom mcp` in another process reaches the cockpit: the
/// status line says it, the banner shows the agent, the timeline and the plan follow.
#[test]
fn an_agent_in_another_process_is_seen() {
    let mut s = connected(120, 40);
    let event = warroom::timeline::Event {
        seq: 7,
        occurred_at: "2026-12-02T01:02:03Z".into(),
        actor: "agent:claude-code".into(),
        kind: "staged".into(),
        summary: "Staged 1 write into the plan, nothing ran: step 1: DELETE on users (100 rows)".into(),
        details: serde_json::json!({ "source": "mcp" }),
        prev: String::new(),
        hash: String::new(),
    };
    let mut plan = Plan::new("demo", "someone", "2026-12-02T01:00:00Z");
    plan.stage("DELETE FROM users WHERE email IS NULL", None, "2026-12-02T01:02:03Z");
    let fx = update(&mut s, Msg::Outside { events: vec![event], plan: Some(Some(Box::new(plan))) });
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.plan.as_ref().map(|p| p.steps.len()), Some(1));
    assert_eq!(s.timeline.last().map(|e| e.actor.as_str()), Some("agent:claude-code"));
    let screen = draw(&s);
    assert!(screen.contains("agent claude-code (F6 to review): Staged 1 write"), "{screen}");
    assert!(screen.contains("agent claude-code 01:02:03"), "{screen}");
}

/// The kill switch pulled while a read runs: the read is cancelled, FROZEN is on screen with
/// who and why, F5, Ctrl-S and runbook sends are refused; thawed, F5 runs again.
#[test]
fn the_kill_switch_cancels_and_refuses() {
    let mut s = connected(120, 40);
    send(&mut s, Msg::Paste("SELECT count(*) FROM generate_series(1, 100000000);\nDELETE FROM users;".into()));
    s.editor.move_cursor(ratatui_textarea::CursorMove::Top);
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { id: 1, .. }]));
    let freeze = warroom::freeze::Freeze {
        by: "alice".into(),
        at: "2026-12-02T02:14:00Z".into(),
        reason: "failover in progress".into(),
    };
    let fx = send(&mut s, Msg::Frozen(Some(freeze)));
    assert_eq!(fx, vec![Effect::Cancel { id: 1 }]);
    let screen = draw(&s);
    assert!(screen.contains("FROZEN by alice since 02:14:00: failover in progress"), "{screen}");
    assert!(s.status.as_ref().unwrap().0.contains("The read in flight was cancelled"), "{:?}", s.status);
    let cancelled = server_error("57014", "canceling statement due to user request", None, None);
    send(&mut s, Msg::Result { id: 1, entry: ResultEntry::error(1, "SELECT 1".into(), &cancelled) });
    send(&mut s, Msg::RunFinished { id: 1, lost: None });
    for refused in [key(KeyCode::F(5)), ctrl('s')] {
        assert!(send(&mut s, refused).is_empty());
        assert!(s.status.as_ref().unwrap().0.starts_with("Refused: warroom is FROZEN by alice"), "{:?}", s.status);
    }
    send(&mut s, Msg::Frozen(None));
    assert!(!draw(&s).contains("FROZEN"));
    assert!(matches!(&send(&mut s, key(KeyCode::F(5)))[..], [Effect::Run { id: 2, .. }]));
}

/// Ctrl-F pulls the kill switch after one key (y); frozen, it thaws only when `thaw` is typed.
#[test]
fn the_kill_switch_from_the_cockpit() {
    let mut s = connected(120, 40);
    s.setup.freeze_file = Some("/tmp/warroom-test-FREEZE".into());
    assert!(send(&mut s, ctrl('f')).is_empty());
    assert!(draw(&s).contains("y freezes"), "{}", draw(&s));
    let fx = send(&mut s, key(KeyCode::Char('y')));
    assert!(matches!(&fx[..], [Effect::Freeze { reason }] if reason.starts_with("frozen from the cockpit")), "{fx:?}");
    // Any other key cancels.
    send(&mut s, ctrl('f'));
    assert!(send(&mut s, key(KeyCode::Char('n'))).is_empty());
    assert!(s.popup.is_none());
    let f = warroom::freeze::Freeze { by: "alice".into(), at: "2026-12-02T02:14:00Z".into(), reason: "x".into() };
    send(&mut s, Msg::Frozen(Some(f)));
    send(&mut s, ctrl('f'));
    assert!(draw(&s).contains("Type thaw"), "{}", draw(&s));
    for c in "thw".chars() {
        send(&mut s, key(KeyCode::Char(c)));
    }
    assert!(send(&mut s, key(KeyCode::Enter)).is_empty(), "a wrong word thaws nothing");
    send(&mut s, key(KeyCode::Backspace));
    for c in "aw".chars() {
        send(&mut s, key(KeyCode::Char(c)));
    }
    assert_eq!(send(&mut s, key(KeyCode::Enter)), vec![Effect::Thaw]);
}

/// The help popup is made from the bindings in force: every binding of every context is in
/// it, with its action's words, and a rebinding in the config shows there at once.
#[test]
fn the_help_popup_and_the_keymap_cannot_disagree() {
    let text_of = |state: &State| -> Vec<String> {
        warroom::ui::help_lines(state)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>())
            .collect()
    };
    let check = |setup: warroom::app::Setup| {
        let state = State::new(setup, (120, 40));
        let help = text_of(&state);
        let km = &state.setup.keymap;
        for context in warroom::config::keymap::Context::ALL {
            for (key, action) in km.table(context) {
                let key = key.to_string();
                assert!(
                    help.iter().any(|l| {
                        let keys = l.split_whitespace().next().unwrap_or_default();
                        l.contains(action.describe()) && (keys == key || keys.split('/').any(|x| x == key))
                    }),
                    "{key} = {action:?} is not in the help popup:\n{}",
                    help.join("\n")
                );
            }
        }
        help
    };
    check(support::setup());
    let mut rebound = support::setup();
    let overrides: warroom::config::KeysConfig =
        toml::from_str("[plan]\n\"m\" = \"none\"\n\"M\" = \"mark_reviewed\"\n[timeline]\n\"x\" = \"export\"\n")
            .unwrap();
    rebound.keymap = warroom::config::Keymap::with_overrides(Some(&overrides)).unwrap();
    let help = check(rebound);
    let mark = help.iter().find(|l| l.contains("mark the plan reviewed")).unwrap();
    assert!(mark.trim_start().starts_with("M ") || mark.trim_start().starts_with("M\t"), "{mark}");
}

/// Popups and moving keys are bindings too: rebinding them in the config changes what the
/// keys do, and the help shows the new keys.
#[test]
fn popup_and_moving_keys_follow_the_keymap() {
    let overrides: warroom::config::KeysConfig = toml::from_str(
        "[moving]\n\"ctrl-d\" = \"page_down\"\n\"j\" = \"none\"\n[help]\n\"x\" = \"close\"\n\"q\" = \"none\"\n\
         [kill_switch]\n\"y\" = \"none\"\n\"F\" = \"freeze\"\n",
    )
    .unwrap();
    let mut setup = support::setup();
    setup.keymap = warroom::config::Keymap::with_overrides(Some(&overrides)).unwrap();
    setup.freeze_file = Some(std::env::temp_dir().join("warroom-test-never-written.freeze"));
    let mut state = State::new(setup, (120, 40));

    // The help: q no longer closes it, x does; the help lists x as closing it.
    send(&mut state, key(KeyCode::F(1)));
    assert!(matches!(state.popup, Some(Popup::Help { .. })));
    let help: Vec<String> = warroom::ui::help_lines(&state)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>())
        .collect();
    let keys_of =
        |l: &String| l.split_whitespace().next().unwrap_or_default().split('/').map(str::to_string).collect::<Vec<_>>();
    let closing = help.iter().skip_while(|l| *l != "This help").nth(1).unwrap();
    assert!(keys_of(closing).contains(&"x".into()) && !keys_of(closing).contains(&"q".into()), "{closing}");
    assert!(help.iter().any(|l| l.contains("Ctrl-D") && l.contains("down a page")), "{help:?}");
    send(&mut state, key(KeyCode::Char('q')));
    assert!(matches!(state.popup, Some(Popup::Help { .. })), "q was unbound from the help");
    send(&mut state, key(KeyCode::Char('x')));
    assert!(state.popup.is_none());

    // The runbook moves by the [moving] table: j is unbound, Ctrl-D is a page.
    send(&mut state, Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT)));
    assert_eq!(state.focus, Focus::Runbook);
    send(&mut state, key(KeyCode::Char('j')));
    assert_eq!(state.runbook.scroll, 0, "j was unbound");
    send(&mut state, key(KeyCode::Down));
    assert_eq!(state.runbook.scroll, 1, "an arrow always moves");
    send(&mut state, ctrl('d'));
    assert!(state.runbook.scroll > 2, "Ctrl-D is a page: {}", state.runbook.scroll);

    // The kill switch: y no longer freezes, F does.
    send(&mut state, ctrl('f'));
    assert!(matches!(state.popup, Some(Popup::KillSwitch { .. })));
    assert!(send(&mut state, key(KeyCode::Char('y'))).iter().all(|e| !matches!(e, Effect::Freeze { .. })));
    assert!(state.popup.is_none());
    send(&mut state, ctrl('f'));
    let fx = send(&mut state, key(KeyCode::Char('F')));
    assert!(fx.iter().any(|e| matches!(e, Effect::Freeze { .. })), "{fx:?}");
}

/// An unknown keymap table is an error that says which tables there are.
#[test]
fn an_unknown_key_table_is_refused_by_name() {
    let err = toml::from_str::<warroom::config::KeysConfig>("[popups]\n\"q\" = \"close\"\n").unwrap_err().to_string();
    assert!(err.contains("popups") && err.contains("kill_switch"), "{err}");
}
