//! `warroom hook claude` and `warroom hook install`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{CliError, HookArgs, InstallArgs, exit};
use crate::agent::hook::{self, Context, Decision};
use crate::config::{self, AgentPolicy};
use crate::incident;
use crate::timeline::{Entry, Journal, Kind};

/// Above this, the hook's input is not read further (and the call is refused).
const MAX_INPUT: u64 = 16 * 1024 * 1024;

pub fn claude(args: HookArgs) -> Result<u8, CliError> {
    let mut input = String::new();
    let read = std::io::stdin().take(MAX_INPUT + 1).read_to_string(&mut input);
    let loaded = config::load(args.config.as_deref());
    let profile = loaded.as_ref().ok().and_then(|l| l.profile(args.profile.as_deref()).ok().flatten()).map(|(_, p)| p);
    let freeze_file = match &loaded {
        Ok(l) => super::freeze::path_for(&l.config, profile.as_ref()),
        Err(_) => crate::freeze::path(None, None),
    };
    let read_file = |path: &str| std::fs::read_to_string(path).ok();
    let cx = Context {
        frozen: crate::freeze::current(&freeze_file),
        agent: profile.as_ref().map_or(AgentPolicy::Read, |p| p.policy.agent),
        read_file: &read_file,
    };
    let (mut decision, tool) = match read {
        Err(e) => {
            (Decision::Deny(format!("warroom: cannot read the hook's input ({e}); refusing blind")), String::new())
        }
        Ok(_) if input.len() as u64 > MAX_INPUT => {
            (Decision::Deny("warroom: the hook's input is over 16 MB; refusing blind".into()), String::new())
        }
        Ok(_) => hook::decide(&input, &cx),
    };
    // A config that cannot be read is never a reason to let a database call through.
    if let (Err(e), Decision::Allow(_)) = (&loaded, &decision) {
        decision = Decision::Deny(format!("warroom: the config could not be read ({e}), so the policy is unknown"));
    }
    if let Some(answer) = decision.to_json() {
        println!("{answer}");
        if let Ok(l) = &loaded {
            record(l, args.incident.as_deref(), &decision, &tool, &input);
        }
    }
    Ok(exit::DONE)
}

/// The decision in the named or active incident's timeline, as the agent's.
fn record(loaded: &config::Loaded, named: Option<&str>, decision: &Decision, tool: &str, input: &str) {
    let root = incident::root(loaded.config.incidents_dir.as_deref());
    let Ok(chosen) = incident::choose(&root, named) else { return };
    let call: Value = serde_json::from_str(input).unwrap_or(Value::Null);
    let (kind, reason) = match decision {
        Decision::Deny(r) => (Kind::Refused, r),
        Decision::Allow(r) => (Kind::Review, r),
        Decision::Pass => return,
    };
    let what = call["tool_input"]["command"].as_str().or(call["tool_input"]["sql"].as_str()).unwrap_or(tool);
    let entry = Entry::new(
        kind,
        format!("hook {}: {}", decision.name(), crate::timeline::one_line(what, 80)),
        json!({ "source": "hook", "tool": tool, "decision": decision.name(), "reason": reason, "input": call["tool_input"] }),
    );
    let _ = Journal::new(&chosen.dir, "agent:claude-code").record(entry);
}

pub fn install(args: InstallArgs) -> Result<u8, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Usage(format!("cannot find warroom's own path: {e}")))?;
    let exe = exe.display().to_string();
    let home = || std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| CliError::Usage("HOME is not set".into()));
    let (settings, servers) = if args.user {
        (home()?.join(".claude/settings.json"), home()?.join(".claude.json"))
    } else {
        (PathBuf::from(".claude/settings.json"), PathBuf::from(".mcp.json"))
    };
    let command = format!("{exe} hook claude");
    let mut files = vec![(settings.clone(), merge_hook(&read_json(&settings)?, &command))];
    if let Some(profile) = &args.mcp {
        let server = json!({ "command": exe, "args": ["mcp", "--profile", profile] });
        let mut doc = read_json(&servers)?;
        doc.as_object_mut().map(|o| o.entry("mcpServers").or_insert_with(|| json!({})));
        if let Some(m) = doc["mcpServers"].as_object_mut() {
            m.insert("warroom".into(), server);
        }
        files.push((servers, doc));
    }
    for (path, doc) in files {
        let text = serde_json::to_string_pretty(&doc).map_err(|e| CliError::Usage(e.to_string()))? + "\n";
        if args.print {
            println!("{}:\n{text}", path.display());
            continue;
        }
        let before = std::fs::read_to_string(&path).ok();
        if before.as_deref() == Some(text.as_str()) {
            println!("{}: already there, unchanged.", path.display());
            continue;
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", dir.display())))?;
        }
        if let Some(old) = &before {
            let backup = backup_path(&path);
            std::fs::write(&backup, old)
                .map_err(|e| CliError::Usage(format!("cannot write the backup {}: {e}", backup.display())))?;
            println!("{}: backed up to {}", path.display(), backup.display());
        }
        crate::plan::file::write_atomic(&path, text.as_bytes())
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
        println!("{}: written.", path.display());
    }
    Ok(exit::DONE)
}

fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".warroom-backup");
    path.with_file_name(name)
}

fn read_json(path: &Path) -> Result<Value, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(json!({})),
        Ok(text) => serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).ok_or_else(|| {
            CliError::Usage(format!("{} is not a JSON object; fix it or move it away first", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(CliError::Usage(format!("cannot read {}: {e}", path.display()))),
    }
}

/// The settings with warroom's PreToolUse hook added, once.
fn merge_hook(settings: &Value, command: &str) -> Value {
    let mut doc = settings.clone();
    let entry = json!({ "matcher": "Bash|mcp__.*", "hooks": [{ "type": "command", "command": command }] });
    let hooks = doc.as_object_mut().map(|o| o.entry("hooks").or_insert_with(|| json!({})));
    let Some(pre) = hooks.and_then(|h| h.as_object_mut()).map(|h| h.entry("PreToolUse").or_insert_with(|| json!([])))
    else {
        return doc;
    };
    let present = pre.as_array().is_some_and(|list| {
        list.iter().flat_map(|e| e["hooks"].as_array().into_iter().flatten()).any(|h| h["command"] == command)
    });
    if !present && let Some(list) = pre.as_array_mut() {
        list.push(entry);
    }
    doc
}
