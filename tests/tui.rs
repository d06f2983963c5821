//! The real binary in a real terminal: `warroom demo` in tmux, driven with send-keys and
//! paste-buffer, read with capture-pane, as a person at the keyboard would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ANSWER: &str = "You're right, some users lost their email after the 14:02 deploy. To see them:\n\n```sql\nSELECT id, email, created_at FROM users WHERE email IS NULL ORDER BY id LIMIT 5;\nDELETE FROM users WHERE email IS NULL;\n```\n\nThe DELETE cleans them up.\n";

#[path = "support/bin.rs"]
mod bin;
#[path = "support/mcp.rs"]
mod mcp;
#[path = "support/tmux.rs"]
mod tmux;
use bin::warroom;
use tmux::{Tmux, have};

/// The demo server's socket folder, found under the TMPDIR the demo was given.
fn demo_folder(tmp: &Path) -> Option<PathBuf> {
    std::fs::read_dir(tmp).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("warroom-pg-"))
            && p.join(".s.PGSQL.5432").exists()
    })
}

fn null_emails(folder: &Path) -> String {
    let psql = warroom::demo::find_bin_dir().expect("psql").join("psql");
    let out = Command::new(psql)
        .args(["-X", "-At", "-h", &folder.to_string_lossy(), "-U", "postgres", "-d", "shop", "-c"])
        .arg("SELECT count(*) FROM users WHERE email IS NULL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The script has printed the exit status and, after it, the terminal's modes (the `stty`
/// line): wait for what is asserted, not for something printed before it.
fn exited(s: &str) -> bool {
    s.contains("EXIT=") && s.lines().any(|l| l.contains("icanon") && l.contains("echo"))
}

fn start(width: u16, height: u16) -> Option<Tmux> {
    start_in(width, height, false)
}

/// With `shell`, the demo runs from an interactive bash (job control: Ctrl-Z and fg).
fn start_in(width: u16, height: u16, shell: bool) -> Option<Tmux> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !have("tmux") || warroom::demo::find_bin_dir().is_none() {
        assert!(!ci, "tmux and PostgreSQL are needed for this test in CI");
        eprintln!("SKIPPING: tmux or PostgreSQL is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    // As root the demo's server runs as postgres, which must reach its folder in here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmux = Tmux { socket: format!("warroom-test-{}-{n}", std::process::id()), dir };
    let script = format!(
        "XDG_STATE_HOME='{0}/state' TMPDIR='{0}' '{1}' demo; echo \"EXIT=$?\"; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 600",
        tmux.dir.path().display(),
        env!("CARGO_BIN_EXE_warroom")
    );
    let (w, h) = (width.to_string(), height.to_string());
    let command = if shell { "bash --norc --noprofile -i" } else { &script };
    let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, command]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if shell {
        // One simple command, so that the shell's job is warroom itself.
        let line = format!(
            "XDG_STATE_HOME='{0}/state' TMPDIR='{0}' '{1}' demo",
            tmux.dir.path().display(),
            env!("CARGO_BIN_EXE_warroom")
        );
        tmux.keys(&[&line, "Enter"]);
    }
    Some(tmux)
}

fn session_at(width: u16, height: u16) {
    let Some(t) = start(width, height) else { return };
    let s = t.wait_for("the banner and a connection", Duration::from_secs(60), |s| {
        s.contains("PRODUCTION") && s.contains("connected") && !s.contains("connecting")
    });
    assert!(s.contains("warroom_ro"), "{s}");
    assert!(s.contains("✓"), "the read-only posture shows as ticks:\n{s}");
    assert!(t.alternate_on(), "the cockpit draws on the alternate screen");

    t.paste(ANSWER);
    let s =
        t.wait_for("READ and WRITE labels", Duration::from_secs(10), |s| s.contains("READ") && s.contains("WRITE  #2"));
    assert!(s.contains("delete"), "{s}");

    let folder = demo_folder(t.dir.path()).expect("the demo's server folder");
    assert_eq!(null_emails(&folder), "100");
    t.keys(&["F5"]);
    let s = t.wait_for("the read's rows", Duration::from_secs(10), |s| s.contains("5 rows"));
    assert!(s.contains("∅"), "NULL emails show as ∅:\n{s}");
    assert!(s.contains("Skipped 1 WRITE"), "the skipped DELETE is noted:\n{s}");
    assert_eq!(null_emails(&folder), "100", "the DELETE did not run");

    // A slow read, cancelled with Esc; the interface keeps answering meanwhile.
    t.paste("\n```sql\nSELECT count(*) FROM generate_series(1, 100000000000);\n```\n");
    t.keys(&["F5"]);
    t.wait_for("the spinner", Duration::from_secs(10), |s| s.contains("running read 1 of 1"));
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["Escape"]);
    let s = t.wait_for("the cancel", Duration::from_secs(10), |s| s.contains("Cancelled."));
    assert!(s.contains("57014"), "the cancelled read shows its SQLSTATE:\n{s}");

    t.keys(&["C-q"]);
    let s = t.wait_for("the exit and the terminal's modes", Duration::from_secs(20), exited);
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(
        s.contains("icanon") && !s.contains("-icanon") && !s.contains("-echo"),
        "the terminal is out of raw mode:\n{s}"
    );
    assert!(!t.alternate_on(), "back on the main screen");
    let wait = Instant::now();
    while demo_folder(t.dir.path()).is_some() && wait.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(demo_folder(t.dir.path()).is_none(), "the demo server is stopped and deleted");
}

#[test]
fn demo_session_at_80x24() {
    session_at(80, 24);
}

#[test]
fn demo_session_at_120x40() {
    session_at(120, 40);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let Some(t) = start(100, 30) else { return };
        t.wait_for("the banner", Duration::from_secs(60), |s| s.contains("PRODUCTION") && s.contains("connected"));
        let pid = warroom_pid(&t);
        assert!(!pid.is_empty(), "warroom runs under the pane's shell");
        assert!(Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success());
        let s = t.wait_for("the exit and the terminal's modes", Duration::from_secs(20), exited);
        assert!(s.contains("icanon") && !s.contains("-icanon"), "SIG{signal} leaves raw mode on:\n{s}");
        assert!(!t.alternate_on(), "SIG{signal}: back on the main screen");
    }
}

fn warroom_pid(t: &Tmux) -> String {
    let pid = t.cmd(&["display", "-p", "-t", "t", "#{pane_pid}"]);
    let shell = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    let child = Command::new("pgrep").args(["-P", &shell, "-x", "warroom"]).output().unwrap();
    String::from_utf8_lossy(&child.stdout).trim().to_string()
}

#[test]
fn ctrl_z_suspends_and_continuing_redraws() {
    let Some(t) = start_in(100, 30, true) else { return };
    t.wait_for("the banner", Duration::from_secs(60), |s| s.contains("PRODUCTION") && s.contains("connected"));
    let pid = warroom_pid(&t);
    t.keys(&["C-z"]);
    let start = Instant::now();
    let state = || std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    while !state().contains(") T ") && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(state().contains(") T "), "Ctrl-Z stops warroom: {}", state());
    assert!(!t.alternate_on(), "the shell gets the main screen back");
    t.wait_for("the shell's job report", Duration::from_secs(10), |s| s.contains("Stopped"));
    t.keys(&["fg", "Enter"]);
    t.wait_for("the cockpit again", Duration::from_secs(10), |s| s.contains("PRODUCTION") && s.contains("1 Runbook"));
    t.keys(&["C-q"]);
    t.wait_for("the prompt", Duration::from_secs(20), |s| s.lines().filter(|l| l.starts_with("bash")).count() >= 3);
    t.keys(&["echo EXIT=$?", "Enter"]);
    let s = t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
    assert!(!s.contains("EXIT=1"), "{s}");
}

/// `warroom plan verify FILE`: its exit status and what it printed.
fn verify(plan: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom")).args(["plan", "verify"]).arg(plan).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn staging_and_reviewing_the_demo_delete() {
    let Some(t) = start(120, 40) else { return };
    t.wait_for("a connection", Duration::from_secs(60), |s| s.contains("connected") && !s.contains("connecting"));
    t.paste("DELETE FROM users WHERE email IS NULL;");
    t.wait_for("the WRITE label", Duration::from_secs(10), |s| s.contains("WRITE  #1"));
    t.keys(&["C-s"]);
    t.wait_for("the stage", Duration::from_secs(20), |s| s.contains("Staged 1 write as step 1"));
    t.keys(&["F6"]);
    let s = t.wait_for("the evidence", Duration::from_secs(10), |s| s.contains("rows it touches: 100"));
    assert!(s.contains("primary key: id") && s.contains("[ ] predicate read"), "{s}");
    assert!(s.contains("ON DELETE CASCADE"), "the cascade to orders is in the evidence:\n{s}");

    // Marking reviewed before the checklist is ticked is refused.
    t.keys(&["m"]);
    t.wait_for("the refusal", Duration::from_secs(10), |s| s.contains("Not yet"));
    for k in ["1", "2", "3", "4", "5"] {
        t.keys(&[k]);
    }
    t.wait_for("every tick", Duration::from_secs(10), |s| s.contains("5/5 ticked"));
    t.keys(&["m"]);
    t.wait_for("the confirmation", Duration::from_secs(10), |s| s.contains("Mark the plan reviewed"));
    t.keys(&["-l", "users 99"]);
    t.keys(&["Enter"]);
    t.wait_for("a wrong count refused", Duration::from_secs(10), |s| s.contains("That is not step 1"));
    t.keys(&["-l", "users 100"]);
    t.keys(&["Enter"]);
    t.wait_for("the review", Duration::from_secs(10), |s| s.contains("REVIEWED by"));

    let incidents = t.dir.path().join("state/warroom/incidents");
    let incident = std::fs::read_dir(&incidents).unwrap().flatten().next().expect("the demo's incident folder").path();
    let plan = incident.join("plan.sql");
    let (code, out) = verify(&plan);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED"), "{out}");
    let folder = demo_folder(t.dir.path()).expect("the demo's server folder");
    assert_eq!(null_emails(&folder), "100", "staging and reviewing ran nothing");

    // A hand edit of a step breaks it.
    let text = std::fs::read_to_string(&plan).unwrap();
    let edited = text.replacen("DELETE FROM users WHERE email IS NULL\n  ;", "DELETE FROM users\n  ;", 1);
    assert_ne!(edited, text);
    std::fs::write(&plan, edited).unwrap();
    let (code, out) = verify(&plan);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed after they were reviewed"), "{out}");
    t.keys(&["Escape", "C-q"]);
    t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
}

#[test]
fn a_demo_session_exports_as_a_postmortem_timeline() {
    let Some(t) = start(120, 40) else { return };
    t.wait_for("a connection", Duration::from_secs(60), |s| s.contains("connected") && !s.contains("connecting"));
    t.paste(ANSWER);
    t.wait_for("the labels", Duration::from_secs(10), |s| s.contains("WRITE  #2"));
    t.keys(&["F5"]);
    t.wait_for("the read", Duration::from_secs(20), |s| s.contains("1 read done"));
    t.keys(&["C-s"]);
    t.wait_for("the stage", Duration::from_secs(20), |s| s.contains("Staged 1 write as step 1"));
    t.keys(&["C-n"]);
    t.wait_for("the note box", Duration::from_secs(10), |s| s.contains("Note for the incident timeline"));
    t.keys(&["-l", "Rolled back the 14:02 deploy; emails stop vanishing"]);
    t.keys(&["Enter"]);
    t.wait_for("the note", Duration::from_secs(10), |s| s.contains("Noted in the timeline"));
    t.keys(&["F7"]);
    let s = t.wait_for("the timeline", Duration::from_secs(10), |s| s.contains("Timeline · incident demo-"));
    for kind in ["session_start", "connected", "paste", "review", "refused", "read", "staged", "note"] {
        assert!(s.contains(kind), "{kind} is in the timeline pane:\n{s}");
    }
    t.keys(&["e"]);
    t.wait_for("the export", Duration::from_secs(10), |s| s.contains("Exported") && s.contains("timeline.md"));
    t.keys(&["Escape", "C-q"]);
    t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));

    let state = t.dir.path().join("state");
    let incidents = state.join("warroom/incidents");
    let folder = std::fs::read_dir(&incidents).unwrap().flatten().next().expect("the demo's incident").path();
    let id = folder.file_name().unwrap().to_string_lossy().into_owned();
    let (code, md, err) = warroom(&state, &["timeline", "export"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("most recently active incident, {id}")), "{err}");
    let expect = [
        format!("# Incident {id}: timeline"),
        "All times UTC, on ".into(),
        "| Time | Actor | What happened |".into(),
        // The session's start names the cluster read; a demo's cluster is new, so unpinned.
        "Cockpit opened on demo server (local socket), database shop as warroom_ro (PRODUCTION, UNPINNED) (cluster "
            .into(),
        "Connected to shop as warroom_ro on cluster ".into(),
        ", primary, PRODUCTION [UNPINNED — treated as PRODUCTION]: the read-only posture holds".into(),
        "Pasted 8 lines into the editor".into(),
        "Review of the paste: 2 statements, 1 READ, 1 WRITE (#2 delete)".into(),
        "F5 skipped 1 WRITE (#2 delete): writes never run".into(),
        "Read ran: SELECT id, email, created_at FROM users WHERE email IS NULL ORDER BY id LIMIT 5 → 5 rows".into(),
        "Staged 1 write into the plan, nothing ran: step 1: DELETE on users (100 rows it touches)".into(),
        "Note: Rolled back the 14:02 deploy; emails stop vanishing".into(),
        "Cockpit closed (quit)".into(),
        "## Reads run".into(),
        "  ```sql\n  SELECT id, email, created_at FROM users WHERE email IS NULL ORDER BY id LIMIT 5\n  ```".into(),
        "## Writes staged".into(),
        format!("Plan: `{}` (DRAFT: nobody has marked it reviewed).", folder.join("plan.sql").display()),
        "  ```sql\n  DELETE FROM users WHERE email IS NULL\n  ```".into(),
        "## Notes".into(),
        "— Rolled back the 14:02 deploy; emails stop vanishing".into(),
    ];
    for e in &expect {
        assert!(md.contains(e.as_str()), "the export holds {e:?}:\n{md}");
    }
    // Each table row is HH:MM:SS, the operator, what happened.
    let row = md.lines().find(|l| l.contains("Cockpit opened")).unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert!(cells[1].len() == 8 && cells[1].as_bytes()[2] == b':' && cells[1].as_bytes()[5] == b':', "{row}");
    assert!(!cells[2].is_empty(), "{row}");
    // The cockpit's own export (e) is the same timeline, minus the events after it.
    let from_cockpit = std::fs::read_to_string(folder.join("timeline.md")).unwrap();
    assert!(from_cockpit.contains("Note: Rolled back the 14:02 deploy"), "{from_cockpit}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("timeline.json")).unwrap()).unwrap();
    assert!(json.as_array().unwrap().iter().all(|e| e["visibility"] == "internal" && e["occurred_at"].is_string()));
    let (code, out, _) = warroom(&state, &["timeline", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("INTACT"), "{out}");
}

/// The cockpit is open on the demo incident; an agent in another process reads and stages a
/// write through `warroom mcp`; the cockpit says so within a second, and F6 shows the step.
#[test]
fn the_cockpit_sees_an_agent_work_on_its_incident() {
    let Some(python) = mcp::python() else { return };
    let Some(t) = start(120, 40) else { return };
    t.wait_for("a connection", Duration::from_secs(60), |s| s.contains("connected") && !s.contains("connecting"));
    let folder = demo_folder(t.dir.path()).expect("the demo's server folder");
    let dsn = format!("host={} port=5432 user=warroom_ro dbname=shop sslmode=disable", folder.display());
    let calls = serde_json::json!([
        { "tool": "run_read", "arguments": { "sql": "SELECT count(*) FROM users WHERE email IS NULL" } },
        { "tool": "stage_write", "arguments": { "sql": "DELETE FROM users WHERE email IS NULL", "why": "bad deploy" } },
    ]);
    let out = mcp::drive(&python, &t.dir.path().join("state"), &calls, &["mcp", "--dsn", &dsn]);
    assert_eq!(out["calls"][1]["is_error"], false, "{out}");
    let done = Instant::now();
    let s = t.wait_for("the agent's stage on the status line", Duration::from_secs(5), |s| {
        s.contains("agent pytest-agent (F6 to review): Staged 1 write")
    });
    // Within a second, measured from when the client returned (the test waits longer only
    // to say how late it was).
    assert!(done.elapsed() < Duration::from_secs(1), "seen after {:?}:\n{s}", done.elapsed());
    assert!(s.contains("agent pytest-agent"), "the banner names the agent:\n{s}");
    t.keys(&["F6"]);
    let s = t.wait_for("the plan view with the agent's step", Duration::from_secs(5), |s| {
        s.contains("Plan · incident demo-") && s.contains("1. DELETE on users")
    });
    assert!(s.contains("DRAFT"), "{s}");
    assert_eq!(null_emails(&folder), "100", "nothing ran");
    t.keys(&["Escape", "C-q"]);
    t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
}

/// The kill switch from another shell: a slow read in the cockpit is cancelled within a
/// second and FROZEN with the reason is on screen; F5 is refused, `warroom query` exits 1
/// naming the freeze; after `warroom thaw`, F5 runs again; the timeline holds both.
#[test]
fn a_freeze_from_another_shell_stops_the_cockpit() {
    let Some(t) = start(120, 40) else { return };
    t.wait_for("a connection", Duration::from_secs(60), |s| s.contains("connected") && !s.contains("connecting"));
    let state = t.dir.path().join("state");
    let folder = demo_folder(t.dir.path()).expect("the demo's server folder");
    let dsn = format!("host={} port=5432 user=warroom_ro dbname=shop sslmode=disable", folder.display());
    t.paste("SELECT count(*) FROM generate_series(1, 100000000000);\n");
    t.keys(&["F5"]);
    t.wait_for("the slow read", Duration::from_secs(10), |s| s.contains("running read 1 of 1"));
    let (code, out, err) = warroom(&state, &["freeze", "--reason", "failover in progress"]);
    assert_eq!(code, 0, "{out}{err}");
    let frozen_at = Instant::now();
    let s = t.wait_for("the cancelled read and FROZEN", Duration::from_secs(10), |s| {
        s.contains("FROZEN by") && s.contains("failover in progress") && s.contains("57014")
    });
    assert!(frozen_at.elapsed() < Duration::from_secs(2), "cancelled after {:?}:\n{s}", frozen_at.elapsed());
    t.keys(&["F5"]);
    t.wait_for("F5 refused", Duration::from_secs(5), |s| s.contains("Refused: warroom is FROZEN"));
    let (code, _, err) = warroom(&state, &["query", "--dsn", &dsn, "SELECT 1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("FROZEN") && err.contains("failover in progress"), "{err}");
    let hook = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["hook", "claude"])
        .env("XDG_STATE_HOME", &state)
        .env("WARROOM_CONFIG", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let call = r#"{"tool_name":"Bash","tool_input":{"command":"psql -c 'SELECT 1'"}}"#;
    let mut hook = hook;
    std::io::Write::write_all(&mut hook.stdin.take().unwrap(), call.as_bytes()).unwrap();
    let answer = String::from_utf8_lossy(&hook.wait_with_output().unwrap().stdout).into_owned();
    assert!(answer.contains("\"deny\"") && answer.contains("failover in progress"), "{answer}");
    let (code, out, err) = warroom(&state, &["thaw"]);
    assert_eq!(code, 0, "{out}{err}");
    t.wait_for("the thaw", Duration::from_secs(5), |s| s.contains("Thawed: reads"));
    t.paste("SELECT 41 + 1 AS answer;\n");
    t.keys(&["C-End", "Up", "F5"]);
    t.wait_for("the read after the thaw", Duration::from_secs(10), |s| s.contains("1 read done"));
    t.keys(&["C-q"]);
    t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
    let (_, md, _) = warroom(&state, &["timeline", "export"]);
    assert!(md.contains("FROZEN by") && md.contains("Thawed by"), "{md}");
}

/// psql as the demo's superuser, in the background: the child, to wait for or kill.
fn psql_bg(folder: &Path, sql: &str) -> std::process::Child {
    let psql = warroom::demo::find_bin_dir().expect("psql").join("psql");
    Command::new(psql)
        .args(["-X", "-q", "-h", &folder.to_string_lossy(), "-U", "postgres", "-d", "shop", "-c", sql])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The sparkline's label in the results footer: (last, min, max).
fn spark(s: &str) -> Option<(i64, i64, i64)> {
    let at = s.find(" (min ")?;
    let last = s[..at].rsplit(' ').next()?.parse().ok()?;
    let rest = &s[at + 6..];
    let (min, rest) = rest.split_once(" max ")?;
    let max = rest.split(')').next()?;
    Some((last, min.parse().ok()?, max.parse().ok()?))
}

/// Watching the blocked sessions while a lock comes and goes: the number moves and the
/// sparkline with it; Esc stops; the timeline holds one watch entry with its runs.
#[test]
fn watching_the_blocked_sessions_move() {
    let Some(t) = start(120, 40) else { return };
    t.wait_for("a connection", Duration::from_secs(60), |s| s.contains("connected") && !s.contains("connecting"));
    let folder = demo_folder(t.dir.path()).expect("the demo's server folder");
    t.paste("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock';\n");
    t.keys(&["C-End", "Up", "F5"]);
    t.wait_for("the count", Duration::from_secs(10), |s| s.contains("1 read done: 1 row"));
    t.keys(&["M-4", "w"]);
    let s = t.wait_for("the watch's second run", Duration::from_secs(10), |s| {
        s.contains("WATCHING every 2 s") && s.contains("run 2 ")
    });
    let (before, _, _) = spark(&s).expect("the sparkline's label");

    // A session holds a lock and another waits for it: one more blocked session.
    let mut holder = psql_bg(&folder, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);");
    std::thread::sleep(Duration::from_millis(300));
    let mut waiter = psql_bg(&folder, "SELECT count(*) FROM users;");
    let s = t.wait_for("the number going up", Duration::from_secs(15), |s| {
        spark(s).is_some_and(|(last, _, max)| last > before && max == last)
    });
    assert!(s.contains('█') || s.contains('▄') || s.contains('▆'), "the sparkline moved:\n{s}");

    // The lock goes: the waiter finishes, the number comes back down.
    let admin = warroom::demo::find_bin_dir().unwrap().join("psql");
    let ended = Command::new(admin)
        .args(["-X", "-q", "-h", &folder.to_string_lossy(), "-U", "postgres", "-d", "shop", "-c"])
        .arg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()")
        .output()
        .unwrap();
    assert!(ended.status.success());
    let _ = waiter.wait();
    let _ = holder.wait();
    t.wait_for("the number coming back", Duration::from_secs(15), |s| {
        spark(s).is_some_and(|(last, min, max)| last == before && min == before && max > before)
    });

    t.keys(&["Escape"]);
    t.wait_for("the watch stopped", Duration::from_secs(5), |s| {
        s.contains("Stopped watching.") && !s.contains("WATCHING")
    });
    t.keys(&["C-q"]);
    t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
    let (_, json, _) = warroom(&t.dir.path().join("state"), &["timeline", "export", "--format", "json"]);
    let events: serde_json::Value = serde_json::from_str(&json).unwrap();
    let watches: Vec<&serde_json::Value> = events.as_array().unwrap().iter().filter(|e| e["kind"] == "watch").collect();
    assert_eq!(watches.len(), 1, "{json}");
    assert!(watches[0]["details"]["runs"].as_u64().unwrap() >= 4, "{}", watches[0]);
    let reads = events.as_array().unwrap().iter().filter(|e| e["kind"] == "read").count();
    assert_eq!(reads, 1, "the F5 is a read; the watch's runs are not one event each");
}

/// A terminal that goes away with no hangup reaching warroom (here: warroom in a session of
/// its own, as under a tracer or a detached wrapper) ends the cockpit, recorded as such,
/// instead of leaving it spinning on a dead terminal; the demo's server goes with it.
#[test]
fn a_terminal_gone_without_a_hangup_ends_the_cockpit() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !have("tmux") || !have("setsid") || warroom::demo::find_bin_dir().is_none() {
        assert!(!ci, "tmux, setsid and PostgreSQL are needed for this test in CI");
        eprintln!("SKIPPING: tmux, setsid or PostgreSQL is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let tmux = Tmux { socket: format!("warroom-test-gone-{}", std::process::id()), dir };
    let state = tmux.dir.path().join("state");
    let script = format!(
        "XDG_STATE_HOME='{}' TMPDIR='{}' setsid -w '{}' demo",
        state.display(),
        tmux.dir.path().display(),
        env!("CARGO_BIN_EXE_warroom")
    );
    assert!(tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "100", "-y", "30", &script]).status.success());
    tmux.wait_for("the banner", Duration::from_secs(60), |s| s.contains("PRODUCTION") && s.contains("connected"));
    // The demo's own process: the test's binary, with the test's state folder in its environment.
    let running = || {
        let me =
            Command::new("pgrep").args(["-f", &format!("{} demo", env!("CARGO_BIN_EXE_warroom"))]).output().unwrap();
        String::from_utf8_lossy(&me.stdout).lines().any(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|e| String::from_utf8_lossy(&e).contains(&state.display().to_string()))
        })
    };
    assert!(running(), "the cockpit runs");
    // The terminal goes: the tmux server and its pane are killed; no SIGHUP reaches warroom.
    tmux.cmd(&["kill-server"]);
    let since = Instant::now();
    while running() && since.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!running(), "the cockpit ended within {:?} of its terminal going away", since.elapsed());
    let journals: Vec<PathBuf> = walk(&state).into_iter().filter(|p| p.ends_with("timeline.jsonl")).collect();
    let text: String = journals.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert!(text.contains("\"reason\":\"the terminal went away\""), "the session's end says why:\n{text}");
    assert!(!text.contains("\"kind\":\"error\""), "nothing crashed on the way out:\n{text}");
    let wait = Instant::now();
    while demo_folder(tmux.dir.path()).is_some() && wait.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(demo_folder(tmux.dir.path()).is_none(), "the demo server is stopped and deleted");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
