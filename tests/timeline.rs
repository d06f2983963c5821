//! The incident timeline from outside: a writer killed mid-append, two writers at once,
//! edits and removals caught, no secret on disk after a session with a password in its
//! DSN, and exports that match the committed golden files.

#[path = "support/bin.rs"]
mod bin;
mod common;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use warroom::timeline::export::{self, PlanInfo};
use warroom::timeline::{self, Entry, Kind};

use bin::warroom;

const CHILD: &str = "WARROOM_TEST_APPENDER";

fn incident_dir(state: &Path, id: &str) -> PathBuf {
    state.join("warroom/incidents").join(id)
}

fn reading(dir: &Path) -> timeline::Reading {
    timeline::read(&std::fs::read_to_string(dir.join(timeline::JOURNAL)).unwrap())
}

/// The child: appends events (`size` bytes of details each) until `count` or until killed.
#[test]
fn appender_child() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let [dir, tag, count, size]: [&str; 4] = spec.split('|').collect::<Vec<_>>().try_into().unwrap();
    let (count, size): (usize, usize) = (count.parse().unwrap(), size.parse().unwrap());
    let filler = "x".repeat(size);
    for i in 0..count {
        let entry = Entry::new(Kind::Note, format!("{tag} {i}"), json!({ "tag": tag, "i": i, "filler": filler }));
        timeline::append(Path::new(dir), tag, "2026-11-21T02:14:00Z", entry).unwrap();
    }
}

fn appender(dir: &Path, tag: &str, count: usize, size: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "appender_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{}|{tag}|{count}|{size}", dir.display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_writer_killed_mid_append_leaves_a_journal_that_reads_and_exports() {
    let state = tempfile::tempdir().unwrap();
    let dir = incident_dir(state.path(), "KILLED");
    std::fs::create_dir_all(&dir).unwrap();
    let mut torn = 0;
    let mut last = 0;
    for round in 0..8u64 {
        // Events of 128 KB, so that a kill may land inside a write.
        let mut child = appender(&dir, "killed", usize::MAX, 128 << 10);
        std::thread::sleep(Duration::from_millis(120 + round * 29));
        child.kill().unwrap();
        child.wait().unwrap();
        let r = reading(&dir);
        assert!(r.broken.is_empty(), "round {round}: {:?}", r.broken);
        assert!(r.events.len() >= last, "round {round}: no event was lost");
        last = r.events.len();
        let seqs: Vec<u64> = r.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "round {round}");
        torn += r.skipped.len();
        let (code, out, err) = warroom(state.path(), &["timeline", "verify", "--incident", "KILLED"]);
        assert_eq!(code, 0, "round {round}: {out}{err}");
        let (code, md, err) = warroom(state.path(), &["timeline", "export", "--incident", "KILLED"]);
        assert_eq!(code, 0, "round {round}: {err}");
        assert!(md.contains("All times UTC"), "{md}");
        if !r.skipped.is_empty() {
            assert!(err.contains("skipped line"), "a torn line is reported: {err}");
        }
        let (code, js, _) = warroom(state.path(), &["timeline", "export", "--incident", "KILLED", "--format", "json"]);
        assert_eq!(code, 0);
        let parsed: serde_json::Value = serde_json::from_str(&js).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), r.events.len());
    }
    eprintln!("{last} events written, {torn} torn lines seen over 8 kills");
    assert!(last > 8, "the writers got events written before they were killed ({last})");
    // What a kill inside write(2) leaves, made certain: the last line cut in half.
    let path = dir.join(timeline::JOURNAL);
    let text = std::fs::read(&path).unwrap();
    let cut = text.len() - text[..text.len() - 1].iter().rev().position(|b| *b == b'\n').unwrap() / 2;
    std::fs::write(&path, &text[..cut]).unwrap();
    let (code, out, _) = warroom(state.path(), &["timeline", "verify", "--incident", "KILLED"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("torn last line"), "{out}");
    let (code, md, err) = warroom(state.path(), &["timeline", "export", "--incident", "KILLED"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("torn last line") && md.contains("skipped line"), "{err}\n{md}");
    // The next writer carries on after whatever the kills left.
    let (code, _, err) = warroom(state.path(), &["note", "--incident", "KILLED", "after the kills"]);
    assert_eq!(code, 0, "{err}");
    let r = reading(&dir);
    assert!(r.broken.is_empty(), "{:?}", r.broken);
    assert_eq!(r.events.last().unwrap().summary, "Note: after the kills");
}

#[test]
fn two_writers_at_once_lose_no_event_and_break_no_line() {
    let state = tempfile::tempdir().unwrap();
    let dir = incident_dir(state.path(), "BOTH");
    std::fs::create_dir_all(&dir).unwrap();
    let mut a = appender(&dir, "a", 150, 2000);
    let mut b = appender(&dir, "b", 150, 2000);
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    // And the real binary, two shells of `warroom note` at once.
    let note_loop = |tag: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "for i in 1 2 3 4 5 6 7 8 9 10; do \"$0\" note --incident BOTH {tag}-$i >/dev/null || exit 1; done"
            ))
            .arg(env!("CARGO_BIN_EXE_warroom"))
            .env("XDG_STATE_HOME", state.path())
            .env("WARROOM_CONFIG", "/dev/null")
            .spawn()
            .unwrap()
    };
    let (mut c, mut d) = (note_loop("c"), note_loop("d"));
    assert!(c.wait().unwrap().success() && d.wait().unwrap().success());

    let text = std::fs::read_to_string(dir.join(timeline::JOURNAL)).unwrap();
    let r = timeline::read(&text);
    assert_eq!((r.events.len(), r.skipped.len(), r.broken.len()), (320, 0, 0), "{:?}", r.broken);
    assert_eq!(text.lines().count(), 320, "one event per line");
    let seqs: Vec<u64> = r.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=320).collect::<Vec<_>>());
    for tag in ["a", "b"] {
        let mine: Vec<u64> =
            r.events.iter().filter(|e| e.actor == tag).map(|e| e.details["i"].as_u64().unwrap()).collect();
        assert_eq!(mine, (0..150).collect::<Vec<_>>(), "{tag}'s events, all there, in its order");
    }
    for tag in ["c", "d"] {
        let mine = r.events.iter().filter(|e| e.summary.starts_with(&format!("Note: {tag}-"))).count();
        assert_eq!(mine, 10, "{tag}");
    }
}

#[test]
fn an_edited_or_removed_line_is_detected() {
    let state = tempfile::tempdir().unwrap();
    for n in ["first", "second", "third", "fourth"] {
        assert_eq!(warroom(state.path(), &["note", "--incident", "T", n]).0, 0);
    }
    let path = incident_dir(state.path(), "T").join(timeline::JOURNAL);
    let original = std::fs::read_to_string(&path).unwrap();
    let (code, out, _) = warroom(state.path(), &["timeline", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("INTACT") && out.contains("4 events"), "{out}");

    // The last line edited: its own hash no longer matches.
    std::fs::write(&path, original.replace("Note: fourth", "Note: nothing happened")).unwrap();
    let (code, out, _) = warroom(state.path(), &["timeline", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TAMPERED") && out.contains("line 4: this event was edited"), "{out}");

    // A line removed from the middle: the next event's link breaks.
    let removed: String = original.lines().filter(|l| !l.contains("Note: second")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, removed).unwrap();
    let (code, out, _) = warroom(state.path(), &["timeline", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("line 2: the event before this one was removed or edited"), "{out}");
    // The export still works, and says so.
    let (code, md, err) = warroom(state.path(), &["timeline", "export"]);
    assert_eq!(code, 0);
    assert!(md.contains("BROKEN") && md.contains("**Warning:**") && err.contains("warning"), "{md}{err}");
}

// ---------------------------------------------------------------- secrets

const PASSWORD: &str = "S3cr3t-Pw-42";
const OTHER: &str = "Other-Secret-7";
const TOKEN: &str = "tok-99-secret";

#[test]
fn no_secret_reaches_the_incident_folder() {
    let Some(c) = common::cluster() else { return };
    let state = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(state.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let url = format!(
        "{}?sslmode=disable",
        c.url("reader", common::DB).replacen("reader@", &format!("reader:{PASSWORD}@"), 1)
    );
    let s = state.path();
    let inc = ["--incident", "SEC"];
    assert_eq!(warroom(s, &["query", inc[0], inc[1], &url, "SELECT count(*) FROM t"]).0, 0);
    assert_eq!(warroom(s, &["query", inc[0], inc[1], &url, "SELECT * FROM no_such_table"]).0, 3);
    let refused = format!("ALTER ROLE reader PASSWORD '{OTHER}'");
    assert_eq!(warroom(s, &["query", inc[0], inc[1], &url, &refused]).0, 1);
    let (code, out, err) = warroom(s, &["stage", inc[0], inc[1], &url, &refused]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("evidence missing: it holds a password"), "{out}");
    let (code, _, err) = warroom(s, &["stage", inc[0], inc[1], &url, &format!("SET app.api_token = '{TOKEN}'")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(warroom(s, &["note", inc[0], inc[1], &format!("reconnect with {url}")]).0, 0);
    let bad = url.replace("/app?", "/nope?");
    assert_eq!(warroom(s, &["query", inc[0], inc[1], &bad, "SELECT 1"]).0, 3);

    // The cockpit with the password in its DSN: a paste with secrets, a read, a stage, a note.
    if tmux::have("tmux") {
        let t = tmux::Tmux { socket: format!("warroom-sec-{}", std::process::id()), dir: tempfile::tempdir().unwrap() };
        let script = format!(
            "XDG_STATE_HOME='{}' WARROOM_CONFIG=/dev/null '{}' --incident SEC '{url}'; echo \"EXIT=$?\"; sleep 600",
            s.display(),
            env!("CARGO_BIN_EXE_warroom")
        );
        assert!(t.cmd(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "40", &script]).status.success());
        t.wait_for("a connection", Duration::from_secs(30), |s| s.contains("connected") && !s.contains("connecting"));
        t.paste(&format!(
            "SELECT 1; -- token: {TOKEN}\n{refused};\nSELECT set_config('app.secret', '{TOKEN}', false);\n"
        ));
        t.wait_for("the labels", Duration::from_secs(10), |s| s.contains("WRITE  #2"));
        t.keys(&["F5"]);
        t.wait_for("the reads", Duration::from_secs(20), |s| s.contains("done") || s.contains("failed"));
        t.keys(&["Up", "Up", "C-s"]);
        t.wait_for("the stage", Duration::from_secs(20), |s| s.contains("Staged"));
        t.keys(&["C-n"]);
        t.keys(&["-l", &format!("PGPASSWORD={PASSWORD} works")]);
        t.keys(&["Enter"]);
        t.wait_for("the note", Duration::from_secs(10), |s| s.contains("Noted"));
        t.keys(&["F7"]);
        t.wait_for("the timeline", Duration::from_secs(10), |s| s.contains("Timeline · incident SEC"));
        t.keys(&["e"]);
        t.wait_for("the export", Duration::from_secs(10), |s| s.contains("Exported"));
        t.keys(&["Escape", "C-q"]);
        t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
    }
    let dir = incident_dir(s, "SEC");
    for format in ["md", "json"] {
        let out = dir.join(format!("export.{format}"));
        let (code, _, err) =
            warroom(s, &["timeline", "export", inc[0], inc[1], "--format", format, "-o", &out.to_string_lossy()]);
        assert_eq!(code, 0, "{err}");
    }

    let r = reading(&dir);
    let kinds: Vec<&str> = r.events.iter().map(|e| e.kind.as_str()).collect();
    for k in ["read", "refused", "staged", "note", "connect_failed"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        files += 1;
        for secret in [PASSWORD, OTHER, TOKEN] {
            assert!(!text.contains(secret), "{secret} is in {}:\n{text}", entry.path().display());
        }
    }
    assert!(files >= 6, "the journal, the plan files and the exports were checked ({files} files)");
}

// ---------------------------------------------------------------- golden exports

/// A journal with every kind of event, at fixed times across midnight.
fn sample_journal(dir: &Path) {
    let events = [
        (
            "2026-11-21T23:58:01Z",
            Entry::new(
                Kind::SessionStart,
                "Cockpit opened on db.internal:5432, database shop as warroom_ro (PRODUCTION, profile prod)",
                json!({ "host": "db.internal:5432", "database": "shop", "role": "warroom_ro" }),
            ),
        ),
        (
            "2026-11-21T23:58:02Z",
            Entry::new(
                Kind::Connected,
                "Connected to shop as warroom_ro: the read-only posture holds",
                json!({ "read_only": true }),
            ),
        ),
        (
            "2026-11-21T23:58:40Z",
            Entry::paste("DELETE FROM users WHERE email IS NULL;\nSELECT count(*) FROM users WHERE email IS NULL;"),
        ),
        (
            "2026-11-21T23:58:41Z",
            Entry::new(
                Kind::Review,
                "Review of the paste: 2 statements, 1 READ, 1 WRITE (#1 delete)",
                json!({ "source": "paste" }),
            ),
        ),
        (
            "2026-11-21T23:59:05Z",
            Entry::new(
                Kind::Refused,
                "F5 skipped 1 WRITE (#1 delete): writes never run",
                json!({ "source": "cockpit" }),
            ),
        ),
        (
            "2026-11-21T23:59:06Z",
            Entry::read(
                "cockpit",
                2,
                "SELECT count(*) FROM users WHERE email IS NULL",
                Ok((1, false, Duration::from_millis(4))),
            ),
        ),
        (
            "2026-11-21T23:59:30Z",
            Entry::read(
                "cockpit",
                1,
                "SELECT * FROM user | x",
                Err((Some("42601".into()), "ERROR:  syntax error at or near \"|\" (SQLSTATE 42601)".into())),
            ),
        ),
        (
            "2026-11-21T23:59:58Z",
            Entry::new(
                Kind::RunbookBlock,
                "Runbook block #3 sent to the editor (not run): SELECT pid FROM pg_stat_activity",
                json!({ "block": 3, "sql": "SELECT pid FROM pg_stat_activity" }),
            ),
        ),
        (
            "2026-11-22T00:00:03Z",
            Entry::new(Kind::Cancel, "Cancelled the running read (0 of 1 read done)", json!({ "run": 3 })),
        ),
        (
            "2026-11-22T00:01:10Z",
            Entry::new(
                Kind::Staged,
                "Staged 1 write into the plan, nothing ran: step 1: DELETE on users (100 rows it touches)",
                json!({ "plan": "/incidents/INC-7/plan.sql", "steps": [{ "step": 1, "statement": "DELETE FROM users WHERE email IS NULL", "rows": 100, "way_back": "PARTIAL" }] }),
            ),
        ),
        (
            "2026-11-22T00:03:00Z",
            Entry::note("cockpit", "Rolled back deploy 14:02 | emails stop vanishing\nsecond line, password=hunter2"),
        ),
        (
            "2026-11-22T00:04:00Z",
            Entry::new(
                Kind::PlanReviewed,
                "Plan marked REVIEWED by bob (1 step; each confirmed by typing its table and row count)",
                json!({ "by": "bob", "steps": 1 }),
            ),
        ),
        (
            "2026-11-22T00:05:00Z",
            Entry::new(
                Kind::SessionEnd,
                "Cockpit closed (quit) after 6 min",
                json!({ "reason": "quit", "seconds": 419 }),
            ),
        ),
    ];
    for (at, entry) in events {
        timeline::append(dir, "alice", at, entry).unwrap();
    }
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") && std::env::var("CI").as_deref() != Ok("true") {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)");
}

#[test]
fn exports_match_the_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    sample_journal(dir.path());
    let r = reading(dir.path());
    assert!(r.broken.is_empty() && r.skipped.is_empty());
    let plan = PlanInfo {
        path: "/incidents/INC-7/plan.sql".into(),
        status: "REVIEWED by bob at 2026-11-22T00:04:00Z; `warroom plan verify` passes".into(),
    };
    golden("timeline.md", &export::markdown("INC-7", &r, Some(&plan)));
    let js = export::json("INC-7", &r);
    golden("timeline.json", &js);
    // The JSON's shape: the fields an incident platform's timeline takes.
    let v: serde_json::Value = serde_json::from_str(&js).unwrap();
    for e in v.as_array().unwrap() {
        for f in [
            "id",
            "incident",
            "sequence",
            "occurred_at",
            "actor",
            "kind",
            "summary",
            "details",
            "visibility",
            "source",
            "hash",
        ] {
            assert!(e.get(f).is_some(), "{f} in {e}");
        }
    }
}
