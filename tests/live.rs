//! The cockpit in tmux against clusters of the test's own, for what happens to the server
//! and to the engineer: the environment from the cluster's pin, a heavy read held back, a
//! server that stops and comes back, and a draft that survives `kill -9`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use warroom::demo::{ADMIN, Cluster};

#[path = "support/bin.rs"]
mod bin;
#[path = "support/tmux.rs"]
mod tmux;
use bin::warroom;
use tmux::{Tmux, have};

struct Live {
    t: Tmux,
    state: PathBuf,
}

/// A cluster with a `reader` role, and an interactive shell in tmux to run warroom from.
fn start(width: u16, height: u16, setup: &str) -> Option<(Cluster, Live)> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !have("tmux") || warroom::demo::find_bin_dir().is_none() {
        assert!(!ci, "tmux and PostgreSQL are needed for this test in CI");
        eprintln!("SKIPPING: tmux or PostgreSQL is not installed");
        return None;
    }
    let c = Cluster::start().expect("the test cluster starts");
    c.psql(ADMIN, "postgres", &format!("CREATE ROLE reader LOGIN; GRANT pg_read_all_data TO reader; {setup}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = Tmux { socket: format!("warroom-live-{}-{n}", std::process::id()), dir };
    let (w, h) = (width.to_string(), height.to_string());
    let out = t.cmd(&["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, "bash --norc --noprofile -i"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state = t.dir.path().join("state");
    Some((c, Live { t, state }))
}

impl Live {
    /// Runs the cockpit from the shell: `warroom ARGS`, then the exit status.
    fn open(&self, args: &str) {
        let line = format!(
            "clear; XDG_STATE_HOME='{}' WARROOM_CONFIG=/dev/null '{}' {args}; echo EXIT=$?",
            self.state.display(),
            env!("CARGO_BIN_EXE_warroom")
        );
        self.t.keys(&["-l", &line]);
        self.t.keys(&["Enter"]);
    }

    fn pid(&self) -> String {
        let pid = self.t.cmd(&["display", "-p", "-t", "t", "#{pane_pid}"]);
        let shell = String::from_utf8_lossy(&pid.stdout).trim().to_string();
        let child = Command::new("pgrep").args(["-P", &shell, "-x", "warroom"]).output().unwrap();
        String::from_utf8_lossy(&child.stdout).trim().to_string()
    }

    fn connected(&self) -> String {
        self.t.wait_for("a connection", Duration::from_secs(30), |s| s.contains("● connected"))
    }

    fn quit(&self) {
        self.t.keys(&["C-q"]);
        self.t.wait_for("the exit", Duration::from_secs(20), |s| s.contains("EXIT=0"));
    }
}

fn dsn(c: &Cluster) -> String {
    c.dsn("reader", "postgres")
}

fn draft_of(state: &Path, incident: &str) -> String {
    std::fs::read_to_string(state.join("warroom/incidents").join(incident).join("draft.sql")).unwrap_or_default()
}

#[test]
fn the_pin_decides_the_environment_and_the_draft_survives_kill_9() {
    let Some((c, live)) = start(120, 40, "") else { return };
    let config = live.t.dir.path().join("config.toml");
    std::fs::write(&config, format!("[profiles.p]\nenvironment = \"staging\"\ndsn = \"{}\"\n", dsn(&c))).unwrap();
    let profile = format!("--config '{}' --profile p", config.display());

    // Not pinned yet: whatever the profile says, it is production, and says so.
    live.open(&format!("{profile} --incident inc-draft"));
    let s = live.connected();
    assert!(s.contains("UNPINNED — treated as PRODUCTION (profile says staging)"), "{s}");
    assert!(s.contains("PRODUCTION"), "{s}");
    live.quit();

    // Pinned as production from the shell, the profile that says staging loses, visibly.
    let (code, _, err) = warroom(&live.state, &["pin", &dsn(&c), "production"]);
    assert_eq!(code, 0, "{err}");
    live.open(&format!("{profile} --incident inc-draft"));
    let s = live.connected();
    assert!(s.contains("profile says staging, this cluster is pinned as production"), "{s}");

    // Typed, then killed without warning: at most the last second is lost.
    live.t.keys(&["-l", "SELECT 4242 AS survives_kill"]);
    live.t.wait_for("the typing on screen", Duration::from_secs(5), |s| s.contains("survives_kill"));
    let typed = Instant::now();
    std::thread::sleep(Duration::from_secs(1).saturating_sub(typed.elapsed()));
    let pid = live.pid();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
    live.t.wait_for("the shell after the kill", Duration::from_secs(10), |s| s.contains("EXIT=137"));
    assert_eq!(draft_of(&live.state, "inc-draft"), "SELECT 4242 AS survives_kill");
    live.t.keys(&["-l", "stty sane && tput rmcup"]);
    live.t.keys(&["Enter"]);

    live.open(&format!("{profile} --incident inc-draft"));
    live.t.wait_for("the draft back in the editor, labelled", Duration::from_secs(30), |s| {
        s.contains("SELECT 4242 AS survives_kill") && s.contains("1 READ · 0 WRITE")
    });
    live.quit();
    // Another incident has a draft of its own: nothing is mixed.
    live.open(&format!("{profile} --incident inc-other"));
    let s = live.connected();
    assert!(!s.contains("survives_kill"), "{s}");
    live.quit();
}

#[test]
fn the_cockpit_reconnects_by_itself_after_the_server_comes_back() {
    let Some((c, live)) = start(120, 40, "") else { return };
    live.open(&format!("'{}' --incident inc-failover", dsn(&c)));
    live.connected();

    // A read in flight when the server stops is reported lost, not run again.
    live.t.keys(&["-l", "SELECT count(*) FROM generate_series(1, 100000000000)"]);
    live.t.keys(&["F5"]);
    live.t.wait_for("the slow read", Duration::from_secs(10), |s| s.contains("running read 1 of 1"));
    c.pause().unwrap();
    let s = live.t.wait_for("the read reported lost", Duration::from_secs(10), |s| {
        s.contains("lost during a read") && s.contains("connection lost")
    });
    assert!(s.contains("not run again"), "{s}");
    live.t.wait_for("a failed attempt to reconnect", Duration::from_secs(10), |s| s.contains("reconnecting: attempt"));

    // Back without any key: the banner says so, and F5 works.
    c.resume().unwrap();
    live.t.wait_for("the reconnection", Duration::from_secs(20), |s| s.contains("reconnected after"));
    live.t.keys(&["C-a", "C-k", "C-k"]);
    live.t.keys(&["-l", "SELECT 41 + 1 AS answer"]);
    live.t.keys(&["F5"]);
    live.t.wait_for("the read after the reconnection", Duration::from_secs(10), |s| s.contains("1 read done"));
    live.quit();
    let (_, md, _) = warroom(&live.state, &["timeline", "export", "--incident", "inc-failover"]);
    assert!(md.contains("The connection was lost during a read"), "{md}");
    assert!(md.contains("Reconnected after"), "{md}");
}

#[test]
fn a_heavy_read_waits_for_a_second_f5() {
    let setup = "CREATE TABLE orders AS SELECT g AS id, g % 5000 AS customer_id FROM generate_series(1, 3000000) g; \
                 ALTER TABLE orders ADD PRIMARY KEY (id); ANALYZE orders;";
    let Some((c, live)) = start(120, 40, setup) else { return };
    live.open(&format!("'{}' --incident inc-heavy", dsn(&c)));
    live.connected();
    live.t.keys(&["-l", "SELECT * FROM orders WHERE customer_id = 42"]);
    live.t.keys(&["\\;"]);
    live.t.keys(&["F5"]);
    let s = live.t.wait_for("the read held back, on the status line and in the review", Duration::from_secs(10), |s| {
        s.contains("Held back #1") && s.contains("HELD #1")
    });
    assert!(s.contains("seq scan of public.orders"), "{s}");
    live.t.keys(&["F5"]);
    live.t.wait_for("the heavy read run anyway", Duration::from_secs(20), |s| s.contains("1 read done: 500 rows"));
    // An indexed lookup runs at once.
    live.t.keys(&["Enter"]);
    live.t.keys(&["-l", "SELECT * FROM orders WHERE id = 42"]);
    live.t.keys(&["\\;"]);
    live.t.keys(&["F5"]);
    live.t.wait_for("the lookup", Duration::from_secs(10), |s| s.contains("1 read done: 1 row"));
    live.quit();
    let (_, json, _) = warroom(&live.state, &["timeline", "export", "--incident", "inc-heavy", "--format", "json"]);
    let held = json.matches("\"kind\": \"held\"").count() + json.matches("\"kind\":\"held\"").count();
    assert_eq!(held, 2, "held back, then run anyway: {json}");
}
