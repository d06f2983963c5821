//! Builds, at compile time, the one syntax set warroom colours with: SQL (and plain text),
//! taken from syntect's default set, so that the binary and the running cockpit carry one
//! syntax instead of syntect's seventy-odd.
//!
//! A syntax taken out of a built set still points at its own contexts by its index in that
//! set; its definition goes through serde once to point them at its index in the new one.

use std::path::PathBuf;

use serde_json::Value;
use syntect::parsing::{SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};

const WANTED: [&str; 2] = ["SQL", "Plain Text"];

/// Rewrites every context reference's `syntax_index` by `map` (old index → new).
fn remap(v: &mut Value, map: &[(u64, u64)]) {
    match v {
        Value::Object(o) => {
            if o.contains_key("context_index")
                && let Some(Value::Number(n)) = o.get("syntax_index")
            {
                let old = n.as_u64().expect("an index");
                let new = map.iter().find(|(o, _)| *o == old).map(|(_, n)| *n);
                let new = new.unwrap_or_else(|| panic!("the SQL syntax refers to syntax {old}, which is not taken"));
                o.insert("syntax_index".into(), Value::from(new));
            }
            for x in o.values_mut() {
                remap(x, map);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| remap(x, map)),
        _ => {}
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("sql.packdump");
    let all = SyntaxSet::load_defaults_newlines();
    let map: Vec<(u64, u64)> = WANTED
        .iter()
        .enumerate()
        .map(|(new, name)| {
            let old = all.syntaxes().iter().position(|s| s.name == *name);
            (old.unwrap_or_else(|| panic!("syntect's default set has no {name} syntax")) as u64, new as u64)
        })
        .collect();
    let builder = all.into_builder();
    let mut wanted = SyntaxSetBuilder::new();
    for name in WANTED {
        let syntax = builder.syntaxes().iter().find(|s| s.name == name).expect("found above");
        let mut v = serde_json::to_value(syntax).expect("a syntax serializes");
        remap(&mut v, &map);
        let syntax: SyntaxDefinition = serde_json::from_value(v).expect("a syntax deserializes");
        wanted.add(syntax);
    }
    let set = wanted.build();
    assert!(set.find_syntax_by_extension("sql").is_some());
    syntect::dumps::dump_to_uncompressed_file(&set, &out).expect("write the SQL syntax set");
}
