//! `warroom check`, run as a user or a script would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn warroom(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warroom");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

const AGENT_ANSWER: &str = "Sure! This finds the users whose email went missing after the deploy:

```sql
SELECT id, email,
       created_at
  FROM users
 WHERE email IS NULL;
WITH gone AS (DELETE FROM users WHERE email IS NULL RETURNING id) SELECT count(*) FROM gone;
COMMIT; DROP TABLE users;
```
";

#[test]
fn agent_answer_has_four_statements_and_is_refused() {
    let out = warroom(&["check", "--json"], AGENT_ANSWER.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["verdict"], "write");
    let st = v["statements"].as_array().unwrap();
    assert_eq!(st.len(), 4);
    let summary: Vec<(String, String, bool, u64, u64)> = st
        .iter()
        .map(|s| {
            (
                s["class"].as_str().unwrap().to_string(),
                s["kind"].as_str().unwrap().to_string(),
                s["destructive"].as_bool().unwrap(),
                s["start_line"].as_u64().unwrap(),
                s["end_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("read".into(), "select".into(), false, 4, 7),
            ("write".into(), "delete".into(), false, 8, 8),
            ("write".into(), "transaction".into(), false, 9, 9),
            ("write".into(), "ddl".into(), true, 9, 9),
        ]
    );
    assert_eq!(st[0]["index"], 1);
    assert_eq!(st[0]["text"], "SELECT id, email,\n       created_at\n  FROM users\n WHERE email IS NULL");
    assert!(st[0]["reasons"].as_array().unwrap().is_empty());
    for s in &st[1..] {
        assert!(!s["reasons"].as_array().unwrap().is_empty());
    }
    assert_eq!(st[1]["reasons"][0], "data-modifying CTE `gone` deletes from users");
    let ignored = v["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["start_line"], 1);
    assert!(ignored[0]["text"].as_str().unwrap().starts_with("Sure!"));
}

#[test]
fn human_report_names_each_statement() {
    let out = warroom(&["check"], AGENT_ANSWER.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colour when stdout is not a terminal");
    assert!(text.contains("#1   READ   select       lines 4-7"), "{text}");
    assert!(text.contains("#4   WRITE  ddl          line 9  DESTRUCTIVE"), "{text}");
    assert!(text.contains("- data-modifying CTE `gone` deletes from users"), "{text}");
    assert!(text.contains("ignored (not SQL, never run):"), "{text}");
    assert!(text.contains("WRITE: 3 of 4 statements are writes"), "{text}");
}

#[test]
fn all_reads_exit_zero() {
    let out = warroom(&["check", "-"], b"SELECT 1;\nTABLE users;\nSHOW work_mem;");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8(out.stdout).unwrap().contains("READ: 3 of 3 statements are reads."));
}

#[test]
fn empty_input_is_refused() {
    let out = warroom(&["check", "--json"], b"-- nothing here\n");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["verdict"], "write");
    assert_eq!(v["statements"][0]["kind"], "empty");
}

#[test]
fn files_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.sql");
    std::fs::write(&good, "SELECT 1").unwrap();
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, b"SELECT '\xff\xfe'").unwrap();
    let write = dir.path().join("write.sql");
    std::fs::write(&write, "DELETE FROM users").unwrap();

    let out = warroom(&["check", good.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0));

    let out = warroom(&["check", "--json", good.to_str().unwrap(), write.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["statements"][1]["index"], 2);
    assert_eq!(v["statements"][1]["source"], write.to_str().unwrap());

    let out = warroom(&["check", bad.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(out.stdout.is_empty());

    let out = warroom(&["check", "/no/such/file.sql"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("cannot read /no/such/file.sql"));

    let out = warroom(&["check", "--bogus"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hostile_input_never_crashes() {
    let cases: Vec<Vec<u8>> = vec![
        b"SELECT 1\0; DROP TABLE users".to_vec(),
        format!("SELECT {}1{}", "(".repeat(500), ")".repeat(500)).into_bytes(),
        format!("SELECT {}", vec!["1"; 50_000].join("+")).into_bytes(),
        "SELECT 'x', 1;\n".repeat(70_000).into_bytes(), // ~1 MB
        b"/*".repeat(100_000),
        b"$$".repeat(100_000),
    ];
    for input in cases {
        let out = warroom(&["check", "--json"], &input);
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "exit {code:?}, stderr {}", String::from_utf8_lossy(&out.stderr));
        json(&out);
    }
}

#[test]
fn help_lists_check() {
    let out = warroom(&["--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("check"));
    let out = warroom(&["check", "--help"], b"");
    assert!(String::from_utf8(out.stdout).unwrap().contains("--json"));
}
