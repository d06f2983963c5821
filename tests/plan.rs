//! Plan files: a process killed while it rewrites one leaves the previous complete plan.

use std::process::Command;
use std::time::Duration;

use warroom::plan::file::{Header, Status, render, verify, write_atomic};

const CHILD: &str = "WARROOM_TEST_REWRITER";

fn plan(generation: usize) -> String {
    let header = Header {
        incident: "INC-42".into(),
        author: "alice".into(),
        created: "2026-11-21T02:14:00Z".into(),
        status: Status::Reviewed { by: "bob".into(), at: format!("generation {generation}") },
    };
    // Big enough (about 2 MB) that a write takes a while and a kill lands inside one.
    let steps: String =
        (0..40_000).map(|i| format!("-- step {generation}.{i}: DELETE FROM users WHERE id = {i};\n")).collect();
    render(&header, &steps)
}

/// The child: rewrites the plan as fast as it can until it is killed.
#[test]
fn rewriter_child() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let mut g = 1;
    loop {
        write_atomic(std::path::Path::new(&path), plan(g).as_bytes()).unwrap();
        g += 1;
    }
}

#[test]
fn killed_mid_rewrite_leaves_a_complete_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    write_atomic(&path, plan(0).as_bytes()).unwrap();
    for round in 0..15u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "rewriter_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + round * 17));
        child.kill().unwrap();
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = verify(&text).unwrap_or_else(|e| panic!("round {round}: the plan is damaged: {e}"));
        assert!(matches!(header.status, Status::Reviewed { .. }));
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leftovers.iter().any(|n| n == "plan.sql"), "{leftovers:?}");
}
