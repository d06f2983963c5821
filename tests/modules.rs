//! The house's layering, read from the sources so that a breach fails here before review:
//! no import cycle between top-level modules of `src/`; timeline entries made only by the
//! timeline's constructors; no function in `app/` or the runtime longer than a screenful.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its path relative to `src/`, sorted.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(src()).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Every top-level module and the top-level modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = src();
    let mut tops = BTreeSet::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        match name.strip_suffix(".rs") {
            Some("lib" | "main") => {}
            Some(stem) => _ = tops.insert(stem.to_string()),
            None if e.path().is_dir() => _ = tops.insert(name),
            None => {}
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = tops.iter().map(|t| (t.clone(), BTreeSet::new())).collect();
    for (rel, text) in sources(&src) {
        let first = rel.split('/').next().unwrap_or_default();
        let from = first.strip_suffix(".rs").unwrap_or(first).to_string();
        if !tops.contains(&from) {
            continue;
        }
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + 7..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name != from && tops.contains(&name) {
                graph.get_mut(&from).unwrap().insert(name);
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = graph();
    assert!(graph["app"].contains("guard") && graph["cli"].contains("runtime"), "the graph was read: {graph:?}");
    // Depth-first search for a back edge, with the path that closes the cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in &graph[node] {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            let listing: Vec<String> = graph.iter().map(|(k, v)| format!("{k} -> {v:?}")).collect();
            panic!("an import cycle: {}\n{}", cycle.join(" -> "), listing.join("\n"));
        }
    }
}

#[test]
fn timeline_entries_are_made_by_the_timeline_constructors() {
    let outside: Vec<String> = sources(&src())
        .into_iter()
        .filter(|(rel, text)| !rel.starts_with("timeline/") && text.contains("Entry::new("))
        .map(|(rel, _)| rel)
        .collect();
    assert!(outside.is_empty(), "build entries with the constructors in src/timeline/entries.rs: {outside:?}");
}

/// Each function's name and length in lines, from its `fn` line to its closing brace.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let Some(at) = t.find("fn ") else { continue };
        let head = &t[..at];
        let words_ok = head.split_whitespace().all(|w| {
            matches!(w, "pub" | "async" | "const" | "unsafe") || w.starts_with("pub(") || w.starts_with("extern")
        });
        if !words_ok || t.starts_with("//") {
            continue;
        }
        let name: String = t[at + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let (mut depth, mut opened) = (0i32, false);
        for (j, l) in lines[i..].iter().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            for c in code.chars() {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if !opened && code.trim_end().ends_with(';') {
                break;
            }
            if opened && depth <= 0 {
                out.push((name.clone(), j + 1));
                break;
            }
        }
    }
    out
}

#[test]
fn no_function_in_app_or_the_runtime_is_longer_than_100_lines() {
    let mut long = Vec::new();
    for dir in ["app", "runtime"] {
        for (rel, text) in sources(&src().join(dir)) {
            for (name, len) in functions(&text) {
                if len > 100 {
                    long.push(format!("{rel}: {name} ({len} lines)"));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these by what they do: {long:?}");
    let app = std::fs::read_to_string(src().join("app/mod.rs")).unwrap();
    assert!(app.lines().count() < 600, "app/mod.rs has {} lines", app.lines().count());
}

#[test]
fn function_lengths_are_counted_from_fn_to_its_brace() {
    let text = "pub fn a() {\n    let x = \"{}\";\n}\n\nfn b(x: u8) -> u8;\nasync fn c() {\n    if true {\n    }\n}\n";
    assert_eq!(functions(text), vec![("a".to_string(), 3), ("c".to_string(), 4)]);
}
