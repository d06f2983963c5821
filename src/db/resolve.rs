//! Asks PostgreSQL what it resolved: the statement's analysed tree, sent by the server as the
//! "parse tree:" LOG notice of its Parse (`debug_print_parse`, `SET LOCAL` inside the read's
//! own read-only transaction), and the facts about the OIDs in it, read by OID over the same
//! session. `guard::resolved` judges; this only asks.
//!
//! warroom's own queries here run with `search_path = pg_catalog`: no schema of the
//! database's can shadow a name they use.

use serde_json::json;
use tokio_postgres::types::Type;

use super::DbError;
use crate::guard::resolved::{self, Builtins, Database, Facts, Function, Operator, Relation};

use crate::guard::tree::{self, Tree};

/// The connection's first question: the search path the database and role set, then the
/// session's own pinned to pg_catalog, in one statement whose every name is qualified.
pub const PIN_SEARCH_PATH: &str = "SELECT pg_catalog.current_setting('search_path'), \
     pg_catalog.set_config('search_path', 'pg_catalog', false)";

/// The built-in functions a read may call, by OID: the allowlist's names in pg_catalog, and
/// the functions of built-in casts, operators, operator classes and sampling methods.
pub const BUILTINS: &str = "\
SELECT p.oid::int8, p.proname::text IN (SELECT jsonb_array_elements_text($2::text::jsonb)),
       p.proname::text IN (SELECT jsonb_array_elements_text($3::text::jsonb))
  FROM pg_proc p
 WHERE p.oid < 16384 AND p.pronamespace = 'pg_catalog'::regnamespace
   AND (p.proname::text IN (SELECT jsonb_array_elements_text($1::text::jsonb))
        OR p.oid IN (SELECT castfunc FROM pg_cast WHERE oid < 16384)
        OR p.oid IN (SELECT oprcode::oid FROM pg_operator WHERE oid < 16384
                     UNION ALL SELECT oprrest::oid FROM pg_operator WHERE oid < 16384
                     UNION ALL SELECT oprjoin::oid FROM pg_operator WHERE oid < 16384)
        OR p.oid IN (SELECT amproc::oid FROM pg_amproc WHERE oid < 16384)
        OR p.prorettype = 'tsm_handler'::regtype)";

/// Reads [`BUILTINS`], with the allowlist and the names of json's and rows' builders.
pub async fn builtins(client: &tokio_postgres::Client) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    static PARAMS: std::sync::LazyLock<[String; 3]> = std::sync::LazyLock::new(|| {
        [
            serde_json::to_string(&crate::guard::allowed_function_names()).unwrap_or_default(),
            serde_json::to_string(resolved::JSON_BUILDERS).unwrap_or_default(),
            serde_json::to_string(resolved::RECORD_BUILDERS).unwrap_or_default(),
        ]
    });
    let [load, json, records] = &*PARAMS;
    client.query_typed(BUILTINS, &[(load, TEXT), (json, TEXT), (records, TEXT)]).await
}

pub fn builtins_from(rows: &[tokio_postgres::Row]) -> Builtins {
    let mut b = Builtins::default();
    for r in rows {
        let oid = r.get::<_, i64>(0) as u32;
        b.allowed.insert(oid);
        if r.get::<_, bool>(1) {
            b.json.insert(oid);
        }
        if r.get::<_, bool>(2) {
            b.records.insert(oid);
        }
    }
    b
}

/// Database-wide facts read before the statement is parsed ([`DOMAINS`], [`JSON_CASTS`]):
/// the domains of the database's own with CHECK constraints (PostgreSQL may run them while parsing a literal) and the
/// domains over them, and the casts to json of the database's own (looked up at run time by
/// json's builders). Through indexes only (domain constraints have `conrelid = 0`; a domain
/// over another depends on it in pg_depend), so a catalog of 100,000 tables costs nothing.
pub const DOMAINS: &str = "\
WITH RECURSIVE checked AS (
    SELECT DISTINCT c.contypid AS oid FROM pg_constraint c
     WHERE c.conrelid = 0 AND c.contype = 'c' AND c.contypid >= 16384),
over AS (
    SELECT oid FROM checked
    UNION
    SELECT d.objid FROM over
      JOIN pg_depend d ON d.refclassid = 'pg_type'::regclass AND d.refobjid = over.oid
       AND d.classid = 'pg_type'::regclass AND d.deptype = 'n')
SELECT 'domain', t.oid::text, pg_catalog.format('%I.%I', n.nspname, t.typname), t.typbasetype::oid::text,
       (SELECT json_agg(c.conbin::text) FROM pg_constraint c
         WHERE c.conrelid = 0 AND c.contypid = t.oid AND c.contype = 'c')::text
  FROM over
  JOIN pg_type t ON t.oid = over.oid AND t.typtype = 'd'
  JOIN pg_namespace n ON n.oid = t.typnamespace";

/// See [`DOMAINS`]: the casts to json of the database's own.
pub const JSON_CASTS: &str = "\
SELECT 'json_cast', NULL,
       pg_catalog.format('%s -> %s (%s)', format_type(k.castsource, NULL), format_type(k.casttarget, NULL),
                         k.castfunc::regprocedure::text),
       NULL,
       pg_catalog.json_build_array(l.lanname::text, e.extname::text, p.proname::text)::text
  FROM pg_cast k
  JOIN pg_proc p ON p.oid = k.castfunc
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
 WHERE k.casttarget IN ('json'::regtype, 'jsonb'::regtype) AND k.castfunc >= 16384";

/// The gate that lets the statement's Parse go out in the same round trip as the transaction's
/// start: an error (which aborts the transaction, so that the Parse is never analysed) when
/// the database has a domain CHECK other than those already judged to call only allowlisted
/// built-ins, by the SHA-256 of its stored tree (the setting `warroom.safe`). The domains
/// are then read and judged first, as without the gate.
pub const GATE: &str = "\
SELECT ('warroom: the database''s domain checks changed: ' || c.conname)::int4
  FROM pg_constraint c
 WHERE c.conrelid = 0 AND c.contype = 'c' AND c.contypid >= 16384
   AND NOT (encode(sha256(convert_to(c.conbin::text, 'UTF8')), 'hex')
            = ANY (string_to_array(current_setting('warroom.safe'), ',')))
 LIMIT 1";

/// Whether an error is the [`GATE`]'s.
pub fn gate_closed(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|d| d.message().contains("warroom: the database's domain checks changed"))
}

/// The SHA-256 of a stored tree as the [`GATE`] computes it.
pub fn tree_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn database_from(rows: &[tokio_postgres::Row]) -> Result<Database, DbError> {
    let mut db = Database::default();
    for r in rows {
        let col = |i: usize| r.get::<_, Option<String>>(i);
        let name = col(2).unwrap_or_default();
        match col(0).as_deref() {
            Some("domain") => {
                let Some(oid) = col(1).and_then(|o| o.parse::<u32>().ok()) else { continue };
                let texts: Vec<String> = col(4).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let mut checks = Vec::new();
                let hashes = texts.iter().map(|t| tree_hash(t)).collect();
                for t in texts {
                    checks.push(
                        tree::read(&t)
                            .map_err(|e| DbError::Refused(vec![format!("the CHECK of the domain {name}: {e}")]))?,
                    );
                }
                let base = col(3).and_then(|o| o.parse().ok()).unwrap_or(0);
                db.domains.insert(oid, resolved::Domain { name, base, checks, hashes });
            }
            Some("json_cast") => {
                let parts: Vec<Option<String>> = col(4).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let get = |i: usize| parts.get(i).cloned().flatten();
                let cast = Function {
                    schema: String::new(),
                    name: get(2).unwrap_or_default(),
                    args: String::new(),
                    language: get(0).unwrap_or_default(),
                    extension: get(1),
                };
                if !cast.trusted_extension_code() {
                    db.json_casts.push(name);
                }
            }
            _ => {}
        }
    }
    Ok(db)
}

/// The facts about the OIDs the judge asked for (the setting `warroom.wanted`): functions
/// (and the functions of the operators asked for), operators, relations with their views'
/// and policies' stored trees. By index, from the OID lists; no parameter, so it is planned
/// once per connection. Every column is text.
pub const FUNCTION_FACTS: &str = r#"
WITH w AS (SELECT current_setting('warroom.wanted')::jsonb AS j),
ops AS (SELECT o.oprcode, o.oprrest, o.oprjoin FROM pg_operator o
         WHERE o.oid = ANY (ARRAY(SELECT jsonb_array_elements_text(j -> 'operators')::oid FROM w)))
SELECT 'function', p.oid::text, n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
       l.lanname::text, e.extname::text, NULL, NULL, NULL, NULL
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
 WHERE p.oid = ANY (ARRAY(SELECT jsonb_array_elements_text(j -> 'functions')::oid FROM w)
                    || ARRAY(SELECT oprcode::oid FROM ops) || ARRAY(SELECT oprrest::oid FROM ops)
                    || ARRAY(SELECT oprjoin::oid FROM ops))
"#;

/// See [`FUNCTION_FACTS`].
pub const OPERATOR_FACTS: &str = r#"
SELECT 'operator', o.oid::text, n.nspname::text, o.oprname::text, format_type(o.oprleft, NULL),
       format_type(o.oprright, NULL), e.extname::text, o.oprcode::oid::text, o.oprrest::oid::text,
       o.oprjoin::oid::text, NULL
  FROM pg_operator o
  JOIN pg_namespace n ON n.oid = o.oprnamespace
  LEFT JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
 WHERE o.oid = ANY (ARRAY(SELECT jsonb_array_elements_text(current_setting('warroom.wanted')::jsonb -> 'operators')::oid))
"#;

/// See [`FUNCTION_FACTS`].
pub const RELATION_FACTS: &str = r#"
SELECT 'relation', c.oid::text, n.nspname::text, c.relname::text, c.relkind::text, c.relrowsecurity::text,
       (SELECT r.ev_action::text FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename = '_RETURN'),
       (SELECT json_agg(json_build_array(p.polname::text, p.polqual::text))::text FROM pg_policy p
         WHERE p.polrelid = c.oid AND p.polcmd IN ('r', '*') AND p.polqual IS NOT NULL),
       CASE WHEN c.relhassubclass THEN
       (WITH RECURSIVE kids AS (
            SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = c.oid
            UNION SELECT i.inhrelid FROM pg_inherits i JOIN kids k ON i.inhparent = k.inhrelid)
        SELECT format('%I.%I', kn.nspname, kc.relname) FROM kids
          JOIN pg_class kc ON kc.oid = kids.inhrelid JOIN pg_namespace kn ON kn.oid = kc.relnamespace
         WHERE kc.relkind = 'f' LIMIT 1) END,
       CASE WHEN c.relkind = 'f' THEN
       (SELECT s.srvname::text FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver
         WHERE ft.ftrelid = c.oid) END,
       NULL
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY (ARRAY(SELECT jsonb_array_elements_text(current_setting('warroom.wanted')::jsonb -> 'relations')::oid))
"#;

/// [`RELATION_FACTS`] for the relations the statement's text names (the setting
/// `warroom.names`, a JSON list), as the user's statement resolves them: it runs under the
/// user's search path, right behind the statement's Parse in the same round trip, so every
/// name in it is qualified and every operator written `OPERATOR(pg_catalog.…)`. A guess that
/// saves the round trip of facts after the Parse: the judge takes facts by the OIDs of the
/// server's tree, and asks for any it still lacks.
pub const RELATION_FACTS_BY_NAME: &str = r#"
SELECT 'relation', c.oid::pg_catalog.text, n.nspname::pg_catalog.text, c.relname::pg_catalog.text,
       c.relkind::pg_catalog.text, c.relrowsecurity::pg_catalog.text,
       (SELECT r.ev_action::pg_catalog.text FROM pg_catalog.pg_rewrite r
         WHERE r.ev_class OPERATOR(pg_catalog.=) c.oid AND r.rulename OPERATOR(pg_catalog.=) '_RETURN'::pg_catalog.name),
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(p.polname::pg_catalog.text, p.polqual::pg_catalog.text))::pg_catalog.text
          FROM pg_catalog.pg_policy p
         WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid AND p.polqual IS NOT NULL
           AND p.polcmd OPERATOR(pg_catalog.=) ANY ('{r,*}'::pg_catalog."char"[])),
       CASE WHEN c.relhassubclass THEN
       (WITH RECURSIVE kids AS (
            SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) c.oid
            UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN kids k ON i.inhparent OPERATOR(pg_catalog.=) k.inhrelid)
        SELECT pg_catalog.format('%I.%I', kn.nspname, kc.relname) FROM kids
          JOIN pg_catalog.pg_class kc ON kc.oid OPERATOR(pg_catalog.=) kids.inhrelid
          JOIN pg_catalog.pg_namespace kn ON kn.oid OPERATOR(pg_catalog.=) kc.relnamespace
         WHERE kc.relkind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char" LIMIT 1) END,
       CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char" THEN
       (SELECT s.srvname::pg_catalog.text FROM pg_catalog.pg_foreign_table ft
          JOIN pg_catalog.pg_foreign_server s ON s.oid OPERATOR(pg_catalog.=) ft.ftserver
         WHERE ft.ftrelid OPERATOR(pg_catalog.=) c.oid) END,
       NULL
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.>=) '16384'::pg_catalog.oid
   AND c.oid OPERATOR(pg_catalog.=) ANY (ARRAY(
         SELECT pg_catalog.to_regclass(x)::pg_catalog.oid
           FROM pg_catalog.jsonb_array_elements_text(pg_catalog.current_setting('warroom.names')::pg_catalog.jsonb) x))
"#;

/// The names for [`RELATION_FACTS_BY_NAME`]: those of at most two parts (PostgreSQL rejects
/// longer ones, and `to_regclass` would raise an error for them).
pub fn relation_names(names: &std::collections::BTreeSet<String>) -> String {
    let fits: Vec<&String> = names.iter().filter(|n| n.matches("\".\"").count() <= 1).collect();
    serde_json::to_string(&fits).unwrap_or_default()
}

/// The queries of facts that `w` needs, of [`FUNCTION_FACTS`], [`OPERATOR_FACTS`] and
/// [`RELATION_FACTS`].
pub fn fact_queries(w: &resolved::Wanted) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !w.functions.is_empty() || !w.operators.is_empty() {
        out.push(FUNCTION_FACTS);
    }
    if !w.operators.is_empty() {
        out.push(OPERATOR_FACTS);
    }
    if !w.relations.is_empty() {
        out.push(RELATION_FACTS);
    }
    out
}

pub fn facts_params(w: &resolved::Wanted) -> String {
    json!({"functions": w.functions, "operators": w.operators, "relations": w.relations}).to_string()
}

/// Adds the rows of the fact queries to `facts`; an OID that was asked for and is not there (it was
/// dropped meanwhile) is refused by the judge, which keeps asking: the caller bounds the rounds.
pub fn add_facts(facts: &mut Facts, rows: &[tokio_postgres::Row]) -> Result<(), DbError> {
    for r in rows {
        let col = |i: usize| r.get::<_, Option<String>>(i);
        let (Some(what), Some(oid)) = (col(0), col(1).and_then(|o| o.parse::<u32>().ok())) else { continue };
        match what.as_str() {
            "function" => {
                facts.functions.insert(
                    oid,
                    Function {
                        schema: col(2).unwrap_or_default(),
                        name: col(3).unwrap_or_default(),
                        args: col(4).unwrap_or_default(),
                        language: col(5).unwrap_or_default(),
                        extension: col(6),
                    },
                );
            }
            "operator" => {
                let num = |i: usize| col(i).and_then(|o| o.parse::<u32>().ok()).unwrap_or(0);
                facts.operators.insert(
                    oid,
                    Operator {
                        schema: col(2).unwrap_or_default(),
                        name: col(3).unwrap_or_default(),
                        left: col(4).unwrap_or_default(),
                        right: col(5).unwrap_or_default(),
                        extension: col(6),
                        code: num(7),
                        rest: num(8),
                        join: num(9),
                    },
                );
            }
            "relation" => {
                let name = format!("{}.{}", col(2).unwrap_or_default(), col(3).unwrap_or_default());
                let stored = |text: &str, what: &str| {
                    tree::read(text).map_err(|e| DbError::Refused(vec![format!("{what} of {name}: {e}")]))
                };
                let view = match col(6) {
                    Some(t) => Some(stored(&t, "the stored query")?),
                    None => None,
                };
                let mut policies = Vec::new();
                let listed: Vec<(String, String)> =
                    col(7).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                for (policy, qual) in listed {
                    policies.push((policy.clone(), stored(&qual, &format!("the policy {policy}"))?));
                }
                facts.relations.insert(
                    oid,
                    Relation {
                        schema: col(2).unwrap_or_default(),
                        name: col(3).unwrap_or_default(),
                        kind: col(4).and_then(|k| k.chars().next()).unwrap_or('?'),
                        view,
                        row_security: col(5).as_deref() == Some("true"),
                        policies,
                        foreign_child: col(8),
                        server: col(9),
                    },
                );
            }
            _ => {}
        }
    }
    Ok(())
}

/// The statement's tree among the notices its Parse brought: exactly one "parse tree:" LOG
/// before the one of warroom's own `SET LOCAL debug_print_parse = off`.
pub fn statement_trees(notices: &[tokio_postgres::error::DbError], expected: usize) -> Result<Vec<Tree>, DbError> {
    let trees: Vec<&tokio_postgres::error::DbError> =
        notices.iter().filter(|n| n.severity() == "LOG" && n.message() == "parse tree:").collect();
    let refuse = |why: String| {
        Err(DbError::Refused(vec![format!(
            "{why}, so PostgreSQL's own reading of it cannot be judged (warroom sets debug_print_parse and \
             client_min_messages = log for the read; a server or pooler that drops LOG notices prevents it)"
        )]))
    };
    if trees.len() != expected + 1 {
        return refuse(format!(
            "the server sent {} parse trees for this statement where {} were expected",
            trees.len(),
            expected + 1
        ));
    }
    if !is_ours(trees[expected].detail().unwrap_or("")) {
        return refuse("the parse trees the server sent are not the ones this statement brings".into());
    }
    trees[..expected]
        .iter()
        .map(|t| tree::read(t.detail().unwrap_or("")).map_err(|e| DbError::Refused(vec![e.to_string()])))
        .collect()
}

/// warroom's own `SELECT pg_catalog.set_config('debug_print_parse', 'off', true)`: one call
/// of three constants, one of them the setting's name.
pub const PRINT_OFF: &str = "SELECT pg_catalog.set_config('debug_print_parse', 'off', true)";

fn is_ours(text: &str) -> bool {
    let Ok(t) = tree::read(text) else { return false };
    let tags: Vec<&str> = t.nodes.iter().map(|n| n.tag.as_str()).collect();
    let named = t.nodes.iter().any(|n| {
        matches!(n.get("constvalue"), Some(tree::Value::Datum(d)) if d.windows(17).any(|w| w == b"debug_print_parse"))
    });
    named
        && tags.iter().filter(|t| **t == "CONST").count() == 3
        && tags.iter().filter(|t| **t == "FUNCEXPR").count() == 1
        && tags.iter().all(|t| matches!(*t, "QUERY" | "TARGETENTRY" | "FUNCEXPR" | "CONST" | "FROMEXPR"))
}

/// Whether the tree reads a table of the database's own (not only the server's catalogs).
pub fn reads_user_tables(tree: &Tree) -> bool {
    tree.nodes.iter().any(|n| {
        n.tag == "RANGETBLENTRY"
            && n.int("rtekind") == Some(0)
            && n.oid("relid").is_some_and(|o| !resolved::is_builtin(o))
    })
}

pub const TEXT: Type = Type::TEXT;
