//! `warroom hook claude` and `warroom hook install`.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{CliError, HookArgs, InstallArgs, exit};
use crate::agent::hook::{self, Answer, Context, Decision, SessionFacts};
use crate::config::{self, AgentPolicy};
use crate::guard::commands::Rules;
use crate::incident;
use crate::timeline::{Entry, Journal};

/// Above this, the hook's input is not read further (and the call is refused).
const MAX_INPUT: u64 = 16 * 1024 * 1024;

pub fn claude(args: HookArgs) -> Result<u8, CliError> {
    let mut input = String::new();
    let read = std::io::stdin().take(MAX_INPUT + 1).read_to_string(&mut input);
    let loaded = config::load(args.config.as_deref());
    let named = loaded.as_ref().ok().and_then(|l| l.profile(args.profile.as_deref()).ok().flatten());
    let profile = named.as_ref().map(|(_, p)| p.clone());
    let freeze_file = match &loaded {
        Ok(l) => super::freeze::path_for(&l.config, profile.as_ref()),
        Err(_) => crate::freeze::path(None, None),
    };
    let read_file = |path: &str| std::fs::read_to_string(path).ok();
    let rules = loaded.as_ref().map_or_else(
        |_| Rules::default(),
        |l| Rules {
            deny: l.config.hook.deny.clone(),
            ask: l.config.hook.ask.clone(),
            allow: l.config.hook.allow.clone(),
        },
    );
    let session = (read.is_ok() && hook::event(&input) == "SessionStart").then(|| session_facts(&args, named.as_ref()));
    let cx = Context {
        frozen: crate::freeze::current(&freeze_file),
        agent: profile.as_ref().map_or(AgentPolicy::Read, |p| p.policy.agent),
        rules,
        read_file: &read_file,
        session,
    };
    let (mut answer, tool) = match read {
        Err(e) => (
            Answer::Tool(Decision::Deny(format!("warroom: cannot read the hook's input ({e}); refusing blind"))),
            String::new(),
        ),
        Ok(_) if input.len() as u64 > MAX_INPUT => (
            Answer::Tool(Decision::Deny("warroom: the hook's input is over 16 MB; refusing blind".into())),
            String::new(),
        ),
        Ok(_) => hook::answer(&input, &cx),
    };
    // A config that cannot be read is never a reason to let a database call through.
    if let (Err(e), Answer::Tool(Decision::Allow(_))) = (&loaded, &answer) {
        answer = Answer::Tool(Decision::Deny(format!(
            "warroom: the config could not be read ({e}), so the policy is unknown"
        )));
    }
    if let Some(json) = answer.to_json() {
        println!("{json}");
        if let (Ok(l), Answer::Tool(decision)) = (&loaded, &answer) {
            record(l, args.incident.as_deref(), decision, &tool, &input);
        }
    }
    Ok(exit::DONE)
}

/// Where the session is, for SessionStart: the cluster's pin (asked of the server, briefly),
/// the profile, the runbook's headings.
fn session_facts(args: &HookArgs, named: Option<&(String, config::Profile)>) -> SessionFacts {
    let labelled = named.and_then(|(_, p)| p.environment.clone());
    let (runbook_name, runbook_text) = match named.and_then(|(_, p)| p.runbook.clone()) {
        Some(path) => (path.display().to_string(), std::fs::read_to_string(&path).unwrap_or_default()),
        None => ("built-in".to_string(), crate::runbook::BUILTIN.to_string()),
    };
    let headings =
        crate::runbook::sections(&runbook_text).into_iter().filter(|s| s.level <= 2).map(|s| s.title).collect();
    let (environment, how) = match identity_of(args) {
        Ok(identity) => {
            let decided = crate::environment::decide_for(labelled.as_deref(), &identity, &crate::environment::path());
            let how = match (&decided.pin, &decided.unreadable) {
                (Some(pin), _) => {
                    format!("the cluster is pinned as {} (by {}, `warroom pin`)", pin.environment, pin.pinned_by)
                }
                (None, Some(why)) => {
                    format!("the pins cannot be read ({why}), so warroom treats the cluster as production")
                }
                (None, None) => {
                    "the cluster is not pinned, so warroom treats it as production (`warroom pin` records what it is)"
                        .to_string()
                }
            };
            (decided.verdict.environment, how)
        }
        Err(e) => (
            "production".to_string(),
            format!("the cluster could not be reached to read its identity ({e}), so warroom treats it as production"),
        ),
    };
    SessionFacts { profile: named.map(|(n, _)| n.clone()), environment, how, runbook: runbook_name, headings }
}

/// The identity of the profile's cluster, asked of the server with a short timeout.
fn identity_of(args: &HookArgs) -> Result<crate::db::Identity, String> {
    let conn =
        crate::cli::ConnArgs { profile: args.profile.clone(), config: args.config.clone(), ..Default::default() };
    let resolved = super::connected::resolve(&conn, None, None).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let identity = rt.block_on(async {
        let connect = crate::db::session::Session::connect(&resolved.target, resolved.limits);
        match tokio::time::timeout(std::time::Duration::from_secs(3), connect).await {
            Ok(Ok(session)) => Ok(session.info.identity.clone()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no answer within 3 s".to_string()),
        }
    })?;
    Ok(identity)
}

/// The decision in the named or active incident's timeline, as the agent's.
fn record(loaded: &config::Loaded, named: Option<&str>, decision: &Decision, tool: &str, input: &str) {
    let root = incident::root(loaded.config.incidents_dir.as_deref());
    let Ok(chosen) = incident::choose(&root, named) else { return };
    let call: Value = serde_json::from_str(input).unwrap_or(Value::Null);
    let what = call["tool_input"]["command"].as_str().or(call["tool_input"]["sql"].as_str()).unwrap_or(tool);
    let summary = format!("hook {}: {}", decision.name(), crate::timeline::one_line(what, 80));
    let none: [Value; 0] = [];
    let (entry, reason) = match decision {
        Decision::Deny(r) => (Entry::refused("hook", summary, none), r),
        Decision::Allow(r) | Decision::Ask(r) => (Entry::review("hook", summary, none), r),
        Decision::Pass => return,
    };
    let entry = entry
        .with("tool", tool)
        .with("decision", decision.name())
        .with("reason", reason)
        .with("input", &call["tool_input"]);
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
        crate::durable::write_atomic(&path, text.as_bytes())
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

/// The events warroom's hook answers, and each one's matcher (None: every occurrence).
const EVENTS: &[(&str, Option<&str>)] =
    &[("PreToolUse", Some("*")), ("SessionStart", None), ("UserPromptSubmit", None)];

/// The settings with warroom's hook added for each event, once: an earlier warroom entry
/// (another matcher, another path to warroom) is replaced in place; other hooks are kept.
fn merge_hook(settings: &Value, command: &str) -> Value {
    let mut doc = settings.clone();
    if !doc.is_object() {
        doc = json!({});
    }
    let hooks = doc.as_object_mut().map(|o| o.entry("hooks").or_insert_with(|| json!({})));
    let Some(hooks) = hooks.and_then(|h| h.as_object_mut()) else { return doc };
    let ours = |h: &Value| h["command"].as_str().is_some_and(|c| c == command || c.ends_with("warroom hook claude"));
    for (event, matcher) in EVENTS {
        let mut entry = json!({ "hooks": [{ "type": "command", "command": command }] });
        if let Some(m) = matcher {
            entry["matcher"] = json!(m);
        }
        let list = hooks.entry(event.to_string()).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else { continue };
        match list.iter().position(|e| e["hooks"].as_array().is_some_and(|hs| hs.iter().any(ours))) {
            Some(i) => {
                // Keep the user's other hooks in that entry; warroom's own becomes the one wanted.
                let others: Vec<Value> =
                    list[i]["hooks"].as_array().into_iter().flatten().filter(|h| !ours(h)).cloned().collect();
                if others.is_empty() {
                    list[i] = entry;
                } else {
                    if let Some(hs) = list[i]["hooks"].as_array_mut() {
                        hs.retain(|h| !ours(h));
                    }
                    list.push(entry);
                }
                // Any later duplicate of warroom's entry goes.
                let mut seen = false;
                list.retain(|e| {
                    let mine = e["hooks"].as_array().is_some_and(|hs| hs.iter().any(ours));
                    let keep = !(mine && seen);
                    seen |= mine;
                    keep
                });
            }
            None => list.push(entry),
        }
    }
    doc
}
