//! A reader of PostgreSQL's `nodeToString` format: the analysed query tree the server sends
//! as the "parse tree:" LOG notice (`debug_print_parse`), and the stored trees of its catalog
//! (`pg_rewrite.ev_action`, `pg_policy.polqual`, `pg_constraint.conbin`).
//!
//! Tokens as `pg_strtok` cuts them (whitespace separates; `(`, `)`, `{`, `}` stand alone;
//! a backslash protects the next character; `<>` is the empty token), and fields as the
//! server's own reader takes them: after a `:label` comes exactly one value, whatever it
//! looks like, so a column alias written as `:funcid` is a value, never a field. Every node
//! is kept in one flat arena, so a tree nested ten thousand deep is read and dropped
//! without recursion.

use std::fmt;

/// One value after a field label, or an element of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `<>`: NULL, an empty list, an empty string.
    Null,
    /// A scalar as written (backslashes removed): numbers, `true`, names, `"strings"`.
    Token(String),
    /// A node, by its index in [`Tree::nodes`].
    Node(usize),
    /// A list of values, by its index in [`Tree::lists`].
    List(usize),
    /// An integer, OID, XID or bitmapset list: `(i 1 2)`, `(o 23)`, `(x 7)`, `(b 3)`.
    Ids(char, Vec<String>),
    /// A Const's datum: `4 [ 42 0 0 0 0 0 0 0 ]`.
    Datum(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's type as written (`QUERY`, `FUNCEXPR`, …).
    pub tag: String,
    pub fields: Vec<(String, Value)>,
}

impl Node {
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, v)| v)
    }

    /// A field's scalar token, if it has one.
    pub fn token(&self, field: &str) -> Option<&str> {
        match self.get(field) {
            Some(Value::Token(t)) => Some(t),
            _ => None,
        }
    }

    /// A field read as an OID (or any unsigned number); `None` when absent or not a number.
    pub fn oid(&self, field: &str) -> Option<u32> {
        self.token(field)?.parse().ok()
    }

    pub fn int(&self, field: &str) -> Option<i64> {
        self.token(field)?.parse().ok()
    }

    pub fn is_true(&self, field: &str) -> bool {
        self.token(field) == Some("true")
    }

    /// Whether a field is absent, `<>`, or an empty list.
    pub fn is_empty(&self, field: &str) -> bool {
        matches!(self.get(field), None | Some(Value::Null))
    }
}

/// A whole tree: its nodes and lists in the order they were read; the root is `root`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub lists: Vec<Vec<Value>>,
    pub root: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the server's tree could not be read: {}", self.0)
    }
}

/// The largest tree read (bytes): a bigger one is refused rather than read.
pub const MAX_TREE_BYTES: usize = 8 * 1024 * 1024;

/// One token as `pg_strtok` cuts it: its raw text (backslashes kept).
fn next_token<'a>(text: &'a str, pos: &mut usize) -> Option<&'a str> {
    let bytes = text.as_bytes();
    while *pos < bytes.len() && matches!(bytes[*pos], b' ' | b'\n' | b'\t' | b'\r') {
        *pos += 1;
    }
    if *pos >= bytes.len() {
        return None;
    }
    let start = *pos;
    if matches!(bytes[*pos], b'(' | b')' | b'{' | b'}') {
        *pos += 1;
    } else {
        while *pos < bytes.len() && !matches!(bytes[*pos], b' ' | b'\n' | b'\t' | b'\r' | b'(' | b')' | b'{' | b'}') {
            *pos += if bytes[*pos] == b'\\' && *pos + 1 < bytes.len() { 2 } else { 1 };
        }
        // A backslash before a multi-byte character protects all of it.
        while !text.is_char_boundary(*pos) {
            *pos += 1;
        }
    }
    Some(&text[start..*pos])
}

fn debackslash(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A field label: `:name`, unescaped, lower and upper case letters, digits and `_`.
fn is_label(raw: &str) -> bool {
    raw.len() > 1 && raw.starts_with(':') && raw[1..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

enum Frame {
    /// A node being read; `label` is the field whose value comes next.
    Node {
        index: usize,
        label: Option<String>,
    },
    List {
        items: Vec<Value>,
    },
}

/// Reads one tree (a node, a list of nodes, or `<>`). Anything the format does not allow
/// is an error: the caller refuses what it cannot read.
pub fn read(text: &str) -> Result<Tree, ReadError> {
    if text.len() > MAX_TREE_BYTES {
        return Err(ReadError(format!("it is {} bytes, over the limit of {MAX_TREE_BYTES}", text.len())));
    }
    let mut tree = Tree::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut pos = 0usize;
    let err = |m: &str| Err(ReadError(m.to_string()));
    loop {
        let Some(raw) = next_token(text, &mut pos) else {
            if stack.is_empty() && tree.root.is_some() {
                return Ok(tree);
            }
            return err("it ends in the middle of a node or list");
        };
        if tree.root.is_some() && stack.is_empty() {
            return err("there is text after the tree");
        }
        // Inside a node, between values: a label or the end of the node.
        if let Some(Frame::Node { label: label @ None, index }) = stack.last_mut() {
            if raw == "}" {
                let index = *index;
                stack.pop();
                place(&mut tree, &mut stack, Value::Node(index));
                continue;
            }
            if !is_label(raw) {
                return err(&format!("expected a field, found {raw:?}"));
            }
            *label = Some(raw[1..].to_string());
            continue;
        }
        // A value: in a list, after a label, or the root.
        let value = match raw {
            "{" => {
                let Some(tag) = next_token(text, &mut pos) else { return err("a node without a type") };
                if tag.starts_with(':') || matches!(tag, "{" | "}" | "(" | ")") {
                    return err("a node without a type");
                }
                tree.nodes.push(Node { tag: canonical_tag(tag).to_string(), fields: Vec::new() });
                stack.push(Frame::Node { index: tree.nodes.len() - 1, label: None });
                continue;
            }
            "(" => {
                // Integer, OID, XID and bitmapset lists carry their kind as the first token.
                let mut peek = pos;
                match next_token(text, &mut peek) {
                    Some(k @ ("i" | "o" | "x" | "b")) => {
                        pos = peek;
                        let kind = k.chars().next().unwrap_or('i');
                        let mut ids = Vec::new();
                        loop {
                            match next_token(text, &mut pos) {
                                Some(")") => break,
                                Some(t) if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !t.is_empty() => {
                                    ids.push(t.to_string())
                                }
                                _ => return err("a number list holds something other than numbers"),
                            }
                        }
                        Value::Ids(kind, ids)
                    }
                    _ => {
                        stack.push(Frame::List { items: Vec::new() });
                        continue;
                    }
                }
            }
            ")" => {
                let Some(Frame::List { items }) = stack.pop() else { return err("a ')' outside a list") };
                tree.lists.push(items);
                Value::List(tree.lists.len() - 1)
            }
            "}" => return err("a '}' outside a node"),
            "<>" => Value::Null,
            t => {
                let in_constvalue =
                    matches!(stack.last(), Some(Frame::Node { label: Some(l), .. }) if l == "constvalue");
                if in_constvalue && t.bytes().all(|b| b.is_ascii_digit()) {
                    read_datum(text, &mut pos)?
                } else {
                    Value::Token(debackslash(t))
                }
            }
        };
        place(&mut tree, &mut stack, value);
    }
}

/// Before 15, some nodes were written under short names; they are read under today's.
fn canonical_tag(tag: &str) -> &str {
    match tag {
        "RTE" => "RANGETBLENTRY",
        "ARRAY" => "ARRAYEXPR",
        "ROW" => "ROWEXPR",
        "CASE" => "CASEEXPR",
        "WHEN" => "CASEWHEN",
        "COALESCE" => "COALESCEEXPR",
        "MINMAX" => "MINMAXEXPR",
        "ROWCOMPARE" => "ROWCOMPAREEXPR",
        other => other,
    }
}

/// `N [ b0 b1 … ]` after its length `N`: the datum's bytes (or, by value, the word's bytes).
fn read_datum(text: &str, pos: &mut usize) -> Result<Value, ReadError> {
    let err = |m: &str| Err(ReadError(m.to_string()));
    if next_token(text, pos) != Some("[") {
        return err("a datum without its bytes");
    }
    let mut bytes = Vec::new();
    loop {
        match next_token(text, pos) {
            Some("]") => break,
            Some(t) => match t.parse::<i16>() {
                // Bytes are printed as signed or unsigned chars depending on the platform.
                Ok(b) if (-128..=255).contains(&b) => bytes.push(b as u8),
                _ => return err("a datum byte that is not a byte"),
            },
            None => return err("a datum without its end"),
        }
    }
    Ok(Value::Datum(bytes))
}

/// Puts a finished value where it belongs: the pending field of the node on top, the list on
/// top, or the root.
fn place(tree: &mut Tree, stack: &mut [Frame], value: Value) {
    match stack.last_mut() {
        Some(Frame::Node { index, label }) => {
            let field = label.take().unwrap_or_default();
            tree.nodes[*index].fields.push((field, value));
        }
        Some(Frame::List { items }) => items.push(value),
        None => tree.root = Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_query_with_escaped_aliases_and_datums() {
        let text = r#"{QUERY :commandType 1 :utilityStmt <> :rtable ({RANGETBLENTRY :eref {ALIAS :aliasname users :colnames ("id" "e\ mail")} :relid 16385 :relkind r :selectedCols (b 8)}) :targetList ({TARGETENTRY :expr {CONST :consttype 25 :constisnull false :constvalue 9 [ 36 0 0 0 97 32 98 58 99 ]} :resname :funcid\ x} {TARGETENTRY :expr {FUNCEXPR :funcid 2308 :args ({CONST :constvalue 4 [ 7 0 0 0 0 0 0 0 ]})} :resname \{\}\(\)}) :rowMarks <>}"#;
        let tree = read(text).unwrap();
        let q = &tree.nodes[0];
        assert_eq!(q.tag, "QUERY");
        assert_eq!(q.int("commandType"), Some(1));
        assert!(q.is_empty("rowMarks"));
        let tes: Vec<&Node> = tree.nodes.iter().filter(|n| n.tag == "TARGETENTRY").collect();
        assert_eq!(tes[0].token("resname"), Some(":funcid x"));
        assert_eq!(tes[1].token("resname"), Some("{}()"));
        let f = tree.nodes.iter().find(|n| n.tag == "FUNCEXPR").unwrap();
        assert_eq!(f.oid("funcid"), Some(2308));
        // The alias that looks like a field did not become one.
        assert!(tree.nodes.iter().all(|n| n.get("funcid").is_none() || n.tag == "FUNCEXPR"));
        let rte = tree.nodes.iter().find(|n| n.tag == "RANGETBLENTRY").unwrap();
        assert_eq!(rte.get("selectedCols"), Some(&Value::Ids('b', vec!["8".into()])));
        let c = tree.nodes.iter().find(|n| n.tag == "CONST").unwrap();
        assert_eq!(c.get("constvalue"), Some(&Value::Datum(vec![36, 0, 0, 0, 97, 32, 98, 58, 99])));
    }

    #[test]
    fn refuses_what_the_format_does_not_allow() {
        for bad in [
            "{QUERY :commandType}",
            "{QUERY :commandType 1",
            "{QUERY commandType 1}",
            "{QUERY :a 1} {QUERY :a 2}",
            "(1 2",
            "{:a 1}",
            "{QUERY :constvalue 4 [ 1 2 }",
            "}",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_lists_of_queries_and_deep_trees_without_recursion() {
        let tree = read("({QUERY :commandType 1} {QUERY :commandType 1})").unwrap();
        assert_eq!(tree.root, Some(Value::List(0)));
        assert_eq!(tree.lists[0], vec![Value::Node(0), Value::Node(1)]);
        let deep =
            format!("{}{{CONST :consttype 23}}{}", "{OPEXPR :opno 551 :args (".repeat(20_000), ")}".repeat(20_000));
        let tree = read(&deep).unwrap();
        assert_eq!(tree.nodes.len(), 20_001);
        assert!(read("<>").unwrap().root == Some(Value::Null));
    }
}
