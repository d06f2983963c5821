//! The catalog facts the guard asks for (`guard::catalog`), read over the read-only session:
//! one query per round, the names as one bound JSON parameter, never SQL built from a name.
//! A view's query, a policy's and a domain check's expression name more things; they are
//! read in further rounds, as deep as the guard follows views.

use serde_json::json;

use super::DbError;
use super::session::Session;
use crate::guard::{self, Catalog, Mentions, catalog::Relation, catalog::Routine, catalog::TypeFact};

/// Every column is text (`Session::facts`). Rows: (what, name, then what each kind needs).
const FACTS: &str = r#"
WITH want AS (SELECT $1::text::jsonb AS j)
SELECT 'function', p.proname::text, n.nspname::text, e.extname::text,
       (p.pronargs - p.pronargdefaults)::text,
       CASE WHEN p.provariadic <> 0 THEN '1000000' ELSE p.pronargs::text END,
       NULL, NULL, NULL, NULL
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
 WHERE p.proname IN (SELECT jsonb_array_elements_text(j -> 'functions') FROM want)
   AND n.nspname = ANY (current_schemas(true)) AND n.nspname <> 'pg_catalog'
UNION ALL
SELECT 'operator', o.oprname::text, n.nspname::text, e.extname::text, NULL, NULL, NULL, NULL, NULL, NULL
  FROM pg_operator o
  JOIN pg_namespace n ON n.oid = o.oprnamespace
  LEFT JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
 WHERE (SELECT (j ->> 'operators')::bool FROM want)
   AND n.nspname = ANY (current_schemas(true)) AND n.nspname <> 'pg_catalog'
UNION ALL
SELECT 'type', w.name, t.typtype::text, e.extname::text,
       format_type(t.typbasetype, NULL), (bt.typnamespace = 'pg_catalog'::regnamespace)::text,
       (SELECT json_agg(pg_get_constraintdef(c.oid))::text FROM pg_constraint c
         WHERE c.contypid = t.oid AND c.contype = 'c'),
       EXISTS (SELECT 1 FROM pg_cast k JOIN pg_proc f ON f.oid = k.castfunc
                WHERE (k.casttarget = t.oid OR k.castsource = t.oid)
                  AND f.pronamespace <> 'pg_catalog'::regnamespace)::text,
       (t.typnamespace = 'pg_catalog'::regnamespace)::text, NULL
  FROM (SELECT jsonb_array_elements_text(j -> 'types') AS name FROM want) w
  LEFT JOIN pg_type t ON t.oid = to_regtype(w.name)
  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  LEFT JOIN pg_extension e ON e.oid = d.refobjid
UNION ALL
SELECT 'relation', w.name, c.relkind::text, NULL,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
       c.relrowsecurity::text,
       (SELECT json_agg(pg_get_expr(p.polqual, p.polrelid))::text FROM pg_policy p
         WHERE p.polrelid = c.oid AND p.polcmd IN ('r', '*') AND p.polqual IS NOT NULL),
       (SELECT json_agg(r.rulename)::text FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'),
       (SELECT json_agg(a.attname)::text FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT nspname::text FROM pg_namespace WHERE oid = c.relnamespace)
  FROM (SELECT jsonb_array_elements_text(j -> 'relations') AS name FROM want) w
  LEFT JOIN pg_class c ON c.oid = to_regclass(w.name)
"#;

/// Reads what the catalog does not know yet about `wanted`, and about what the views,
/// policies and domain checks found on the way name in turn.
pub async fn gather(session: &mut Session, catalog: &mut Catalog, wanted: &Mentions) -> Result<(), DbError> {
    let mut want = catalog.missing(wanted);
    for _ in 0..=guard::catalog::MAX_ROUNDS {
        if want.is_empty() && catalog.operators_read {
            return Ok(());
        }
        // Names PostgreSQL could not resolve in one database (more than schema.name) are not asked for.
        let fits = |n: &&String| n.matches("\".\"").count() <= 1;
        let request = json!({
            "functions": want.functions,
            "types": want.types.iter().filter(fits).collect::<Vec<_>>(),
            "relations": want.relations.iter().filter(fits).collect::<Vec<_>>(),
            "operators": !catalog.operators_read,
        });
        session.catalog_reads += 1;
        let rows = session.facts(FACTS, &[&request.to_string()]).await?;
        for f in &want.functions {
            catalog.functions.entry(f.clone()).or_default();
        }
        for t in &want.types {
            catalog.types.entry(t.clone()).or_insert(TypeFact::Missing);
        }
        for r in &want.relations {
            catalog.relations.entry(r.clone()).or_insert(None);
        }
        catalog.operators_read = true;
        let mut next = Mentions::default();
        for row in rows {
            let col = |i: usize| row.get(i).cloned().flatten();
            let (Some(what), Some(name)) = (col(0), col(1)) else { continue };
            match what.as_str() {
                "function" | "operator" => {
                    let routine = Routine {
                        schema: col(2).unwrap_or_default(),
                        extension: col(3),
                        min_args: col(4).and_then(|n| n.parse().ok()).unwrap_or(0),
                        max_args: col(5).and_then(|n| n.parse().ok()).unwrap_or(u32::MAX),
                    };
                    let map = if what == "function" { &mut catalog.functions } else { &mut catalog.operators };
                    map.entry(name).or_default().push(routine);
                }
                "type" => {
                    let fact = type_fact(&col);
                    if let TypeFact::Domain { checks, .. } = &fact {
                        for c in checks {
                            next.extend(&expression_mentions(c.strip_prefix("CHECK ").unwrap_or(c)));
                        }
                    }
                    catalog.types.insert(name, fact);
                }
                "relation" => {
                    let Some(kind) = col(2) else { continue };
                    let rel = Relation {
                        kind,
                        definition: col(4),
                        row_security: col(5).as_deref() == Some("true"),
                        policies: json_list(col(6)),
                        rules: json_list(col(7)),
                        columns: json_list(col(8)),
                        schema: col(9).unwrap_or_default(),
                    };
                    if let Some(def) = &rel.definition {
                        next.extend(&guard::mentions(&guard::review(def)));
                    }
                    for p in &rel.policies {
                        next.extend(&expression_mentions(p));
                    }
                    catalog.relations.insert(name, Some(rel));
                }
                _ => {}
            }
        }
        want = catalog.missing(&next);
    }
    Ok(())
}

fn type_fact(col: &dyn Fn(usize) -> Option<String>) -> TypeFact {
    let Some(typtype) = col(2) else { return TypeFact::Missing };
    if col(8).as_deref() == Some("true") {
        return TypeFact::Builtin;
    }
    let user_cast = col(7).as_deref() == Some("true");
    match typtype.as_str() {
        "e" => TypeFact::Enum { user_cast },
        "d" => TypeFact::Domain {
            base: col(4).unwrap_or_default(),
            builtin_base: col(5).as_deref() == Some("true"),
            checks: json_list(col(6)),
            user_cast,
        },
        _ => TypeFact::Other { typtype, extension: col(3) },
    }
}

fn json_list(text: Option<String>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// Names in an expression (a policy's USING, a domain's CHECK), read as a select list.
fn expression_mentions(expr: &str) -> Mentions {
    guard::mentions(&guard::review(&format!("SELECT {expr}")))
}
