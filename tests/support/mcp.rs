//! The official MCP Python SDK's client, for tests that drive `warroom mcp` as an agent would.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The Python with the MCP SDK: `$WARROOM_MCP_PYTHON`, else a private virtual environment
/// in the target folder, made here if it is missing (`.ci/run` makes it first).
pub fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WARROOM_MCP_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-venv");
    let python = venv.join("bin/python");
    let has_sdk = |p: &Path| Command::new(p).args(["-c", "import mcp"]).output().is_ok_and(|o| o.status.success());
    if has_sdk(&python) {
        return Some(python);
    }
    let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "mcp==2.3.0"])
            .status()
            .is_ok_and(|s| s.success());
    if made && has_sdk(&python) {
        return Some(python);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "the MCP Python SDK is needed for this test in CI");
    eprintln!("SKIPPING: cannot set up the MCP Python SDK in {}", venv.display());
    None
}

/// Runs `calls` through the Python client against `warroom mcp ARGS`.
pub fn drive(python: &Path, state: &Path, calls: &Value, args: &[&str]) -> Value {
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    run_client(python, &client, state, calls, args)
}

/// A client program (`program script -- warroom ARGS`), `calls` on its stdin, its JSON out.
fn run_client(program: &Path, script: &Path, state: &Path, calls: &Value, args: &[&str]) -> Value {
    let mut child = Command::new(program)
        .arg(script)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("WARROOM_CONFIG", "/dev/null")
        .env_remove("WARROOM_INCIDENT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(calls.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "client failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Node.js with the MCP TypeScript SDK: `$WARROOM_MCP_NODE_MODULES` (a node_modules folder),
/// else a private install in the target folder, made here if it is missing (`.ci/run` makes
/// it first).
pub fn node_sdk() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WARROOM_MCP_NODE_MODULES") {
        return Some(PathBuf::from(p));
    }
    let prefix = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-node");
    let modules = prefix.join("node_modules");
    let has = |m: &Path| m.join("@modelcontextprotocol/sdk/package.json").exists();
    if !has(&modules) {
        let _ = std::fs::create_dir_all(&prefix);
        let _ = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .arg(format!("@modelcontextprotocol/sdk@{TS_SDK}"))
            .status();
    }
    if has(&modules) {
        return Some(modules);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "the MCP TypeScript SDK is needed for this test in CI");
    eprintln!("SKIPPING: cannot install the MCP TypeScript SDK in {}", prefix.display());
    None
}

/// The TypeScript SDK's version the tests pin.
pub const TS_SDK: &str = "1.32.2";

/// Runs `calls` through the TypeScript client against `warroom mcp ARGS`.
pub fn drive_ts(modules: &Path, state: &Path, calls: &Value, args: &[&str]) -> Value {
    // The client is copied next to its node_modules, where Node resolves the SDK from.
    let client = modules.parent().unwrap().join("client.mjs");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.mjs"), &client).unwrap();
    run_client(Path::new("node"), &client, state, calls, args)
}

/// The demo incident's server, or None (said) when PostgreSQL is not installed outside CI.
pub fn demo() -> Option<warroom::demo::Cluster> {
    match warroom::demo::start_incident() {
        Ok(c) => Some(c),
        Err(warroom::demo::DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPING: PostgreSQL is not installed");
            None
        }
        Err(e) => panic!("cannot start PostgreSQL: {e}"),
    }
}
