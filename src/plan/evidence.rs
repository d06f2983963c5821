//! What the read-only session can tell a reviewer about a write before anyone runs it:
//! the rows it touches (count, key hash, a sample), the planner's estimate, the table's
//! key, triggers and references. User text only ever runs through the guard and the
//! read-only session; warroom's own catalog queries take the table name as a parameter.

use serde::{Deserialize, Serialize};

use super::step::{Ddl, Shape, fingerprint_query};
use crate::db::Session;
use crate::db::render::ResultSet;
use crate::guard::{self, Class};

/// Rows shown as a sample of what the write touches.
pub const SAMPLE_ROWS: u64 = 5;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// When it was gathered (UTC) and as which role.
    pub gathered_at: String,
    pub role: String,
    /// The target table as the catalog names it.
    pub table: Option<String>,
    /// Its primary key columns, quoted for SQL; empty when it has none.
    pub keys: Vec<String>,
    /// How many rows the write touches (for INSERT: inserts), and the hash of their keys.
    pub rows: Option<u64>,
    pub key_hash: Option<String>,
    /// A few of those rows, as an aligned table.
    pub sample: Vec<String>,
    /// The same rows as records (psql's `\x`), shown where the table is wider than the pane.
    #[serde(default)]
    pub sample_records: Vec<String>,
    /// Plain `EXPLAIN` (never ANALYZE).
    pub estimate: Vec<String>,
    pub triggers: Vec<String>,
    /// Foreign keys that point at the table, with what they do on DELETE/UPDATE.
    pub references: Vec<String>,
    /// Those of them that change other tables (CASCADE, SET NULL, SET DEFAULT).
    pub cascades: Vec<String>,
    /// DELETE: the rows those foreign keys would delete or change in each table, counted
    /// through the chain of cascades (a few levels deep).
    #[serde(default)]
    pub cascade_rows: Vec<CascadeCount>,
    pub table_size: Option<String>,
    pub backup_size: Option<String>,
    /// DROP INDEX: the definition, so the rollback can recreate it.
    pub index_def: Option<String>,
    /// What could not be found out, and why.
    pub gaps: Vec<String>,
}

/// Rows in another table that a DELETE would delete (CASCADE) or change (SET NULL, SET DEFAULT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CascadeCount {
    pub table: String,
    pub action: String,
    pub rows: u64,
    /// 1: references the target table itself; 2: references a table that cascades from it; …
    pub depth: u32,
}

impl Evidence {
    /// "cascades to 312 rows in orders (CASCADE), 1,040 in order_items (CASCADE)", when counted.
    pub fn cascade_summary(&self) -> Option<String> {
        if self.cascade_rows.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .cascade_rows
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = thousands(c.rows);
                let rows = if i == 0 { format!("{n} {}", if c.rows == 1 { "row" } else { "rows" }) } else { n };
                let how = if c.action == "CASCADE" { "deleted".to_string() } else { c.action.clone() };
                format!("{rows} in {} ({how})", c.table)
            })
            .collect();
        Some(format!("cascades to {}", parts.join(", ")))
    }
}

/// 1040 → 1,040.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How far a chain of ON DELETE CASCADE is followed.
const CASCADE_DEPTH: u32 = 3;

/// The foreign keys into a table that change other rows on DELETE ($2 = 'delete') or on an
/// UPDATE of the columns they reference, with their columns.
const CASCADING_KEYS: &str = "SELECT c.conrelid::oid::text, \
     (CASE WHEN $2 = 'delete' THEN c.confdeltype ELSE c.confupdtype END)::text, \
     (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i) \
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n), \
     (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i) \
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) \
     FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = $1::text::oid \
     AND (CASE WHEN $2 = 'delete' THEN c.confdeltype ELSE c.confupdtype END) IN ('c', 'n', 'd')";

/// Counts, table by table, what the cascades of deleting `rows` (a query of the target's
/// rows) would delete or change, following CASCADE into the tables beyond. With `updated`
/// (an UPDATE's columns), only the foreign keys on those columns, one level.
async fn cascade_counts(
    session: &mut Session,
    (table, name): (u32, &str),
    rows: &str,
    updated: Option<&[String]>,
    e: &mut Evidence,
) {
    let mut frontier = vec![(table, name.to_string(), rows.to_string(), 1u32)];
    let event = if updated.is_some() { "update" } else { "delete" };
    while let Some((parent_oid, parent, parent_rows, depth)) = frontier.pop() {
        let keys = match named(session, CASCADING_KEYS, &[&parent_oid.to_string(), event]).await {
            Ok(k) => k,
            Err(err) => {
                e.gaps.push(format!("cannot read the foreign keys into {parent}: {}", one_line(&err.to_string())));
                return;
            }
        };
        for (child_oid, child, k) in keys {
            let [Some(code), Some(child_cols), Some(parent_cols)] = [&k[1], &k[2], &k[3]] else {
                continue;
            };
            let unquote = |c: &str| c.trim().trim_matches('"').to_lowercase();
            if let Some(cols) = updated
                && !parent_cols.split(',').any(|p| cols.iter().any(|c| unquote(c) == unquote(p)))
            {
                continue;
            }
            let hit = format!(
                "SELECT * FROM {child} WHERE ({child_cols}) IN (SELECT {parent_cols} FROM ({parent_rows}) AS warroom_parent)"
            );
            match read(session, &format!("SELECT count(*) FROM ({hit}) AS warroom_cascade"), 1).await {
                Ok(set) => {
                    let n = cell(&set, 0, 0).and_then(|n| n.parse().ok()).unwrap_or(0);
                    let what =
                        if updated.is_some() { format!("key updated, {}", action(code)) } else { action(code).into() };
                    e.cascade_rows.push(CascadeCount { table: child.clone(), action: what, rows: n, depth });
                    if code == "c" && n > 0 && depth < CASCADE_DEPTH && updated.is_none() {
                        frontier.push((child_oid, child.clone(), hit, depth + 1));
                    }
                }
                Err(err) => e.gaps.push(format!("cannot count the rows {child} would lose: {err}")),
            }
        }
    }
}

/// Runs `sql` only if the guard proves it a single read, through the read-only session.
async fn read(session: &mut Session, sql: &str, limit: u64) -> Result<ResultSet, String> {
    let review = guard::review(sql);
    if review.statements.len() != 1 || review.verdict() != Class::Read {
        let why = review.statements.iter().flat_map(|s| s.reasons.iter()).next().cloned().unwrap_or_default();
        return Err(format!("the guard does not prove it a read: {why}"));
    }
    let mut set = ResultSet::default();
    session.run(sql, Some(limit), &mut set).await.map_err(|e| one_line(&e.to_string()))?;
    Ok(set)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(set: &ResultSet, row: usize, col: usize) -> Option<String> {
    set.rows.get(row)?.get(col)?.as_deref().map(str::to_string)
}

fn table_lines(set: &ResultSet) -> Vec<String> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = crate::db::render::write_table(&mut out, set, true);
    String::from_utf8_lossy(&out).lines().map(|l| l.trim_end().to_string()).collect()
}

const TABLE_FACTS: &str = "SELECT pg_size_pretty(pg_total_relation_size(c.oid)) \
     FROM pg_class c WHERE c.oid = $1::text::oid";
const PRIMARY_KEY: &str = "SELECT quote_ident(a.attname)::text FROM pg_index i \
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
     WHERE i.indrelid = $1::text::oid AND i.indisprimary \
     ORDER BY array_position(i.indkey::int2[], a.attnum)";
const TRIGGERS: &str = "SELECT pg_get_triggerdef(oid) FROM pg_trigger \
     WHERE tgrelid = $1::text::oid AND NOT tgisinternal ORDER BY tgname";
const REFERENCES: &str = "SELECT conrelid::oid::text, conname::text, confdeltype::text, confupdtype::text \
     FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::text::oid";
const INDEX_DEF: &str = "SELECT i.indrelid::oid::text, pg_get_indexdef(i.indexrelid) \
     FROM pg_index i WHERE i.indexrelid = $1::text::oid";

fn action(code: &str) -> &'static str {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => "NO ACTION",
    }
}

/// Everything the session can find out about `statement` (of shape `shape`). Never fails:
/// what it cannot find out is listed in `gaps`.
pub async fn gather(session: &mut Session, shape: &Shape, statement: &str, now: &str) -> Evidence {
    let mut e =
        Evidence { gathered_at: now.to_string(), role: session.info.current_user.clone(), ..Evidence::default() };
    let table = match shape.table() {
        Some(table) => table_facts(session, table, &mut e).await,
        None => None,
    };
    if let Shape::Ddl(Ddl::DropIndex { name }) = shape
        && let Some(index) = resolve(session, name, &mut e.gaps).await
    {
        match named(session, INDEX_DEF, &[&index.to_string()]).await {
            Ok(rows) => match rows.into_iter().next() {
                Some((_, table, r)) => (e.index_def, e.table) = (r[1].clone(), Some(table)),
                None => e.gaps.push(format!("{name} is not an index")),
            },
            Err(err) => e.gaps.push(format!("cannot read the index {name}: {}", one_line(&err.to_string()))),
        }
    }
    if let Shape::Insert(i) = shape {
        e.rows = i.values_rows;
    }
    let keys = if matches!(shape, Shape::Insert(_)) { vec![] } else { e.keys.clone() };
    if let Some(rows) = shape.affected(&e.keys) {
        if e.rows.is_none() {
            match read(session, &fingerprint_query(&rows, &keys), 1).await {
                Ok(set) => {
                    e.rows = cell(&set, 0, 0).and_then(|n| n.parse().ok());
                    e.key_hash = cell(&set, 0, 1);
                }
                Err(err) => e.gaps.push(format!("cannot count the rows it touches: {err}")),
            }
        }
        match read(session, &format!("{rows} LIMIT {SAMPLE_ROWS}"), SAMPLE_ROWS).await {
            Ok(set) => {
                e.sample = table_lines(&set);
                let mut out = Vec::new();
                let _ = crate::db::render::write_records(&mut out, &set);
                e.sample_records = String::from_utf8_lossy(&out).lines().map(str::to_string).collect();
            }
            Err(err) => e.gaps.push(format!("cannot show a sample: {err}")),
        }
        let size = format!(
            "SELECT pg_size_pretty(coalesce(sum(pg_column_size(warroom_rows.*)), 0)) FROM ({rows}) AS warroom_rows"
        );
        match read(session, &size, 1).await {
            Ok(set) => e.backup_size = cell(&set, 0, 0),
            Err(err) => e.gaps.push(format!("cannot size the backup: {err}")),
        }
        if matches!(shape, Shape::Dml(_) | Shape::Insert(_)) {
            e.estimate = explain(session, statement, &rows, &mut e.gaps).await;
        }
        if let Shape::Dml(d) = shape
            && !e.cascades.is_empty()
        {
            let name = e.table.clone().unwrap_or_else(|| d.table.clone());
            let target = table.map(|oid| (oid, name.as_str()));
            match (&d.kind, target) {
                (super::step::DmlKind::Delete, Some(t)) => cascade_counts(session, t, &rows, None, &mut e).await,
                (super::step::DmlKind::Update(cols), Some(t)) => {
                    cascade_counts(session, t, &rows, Some(cols), &mut e).await
                }
                _ => {}
            }
        }
    }
    e
}

/// The relation `name` means to the user's statements, by OID; not finding it is a gap.
async fn resolve(session: &mut Session, name: &str, gaps: &mut Vec<String>) -> Option<u32> {
    match session.resolve_relation(name).await {
        Ok(Some(oid)) => Some(oid),
        Ok(None) => {
            gaps.push(format!("{name} was not found"));
            None
        }
        Err(err) => {
            gaps.push(format!("cannot find {name}: {}", one_line(&err.to_string())));
            None
        }
    }
}

/// One of warroom's own catalog queries about the relation `oid`; a failure becomes a gap
/// ("cannot `what`").
async fn facts(
    session: &mut Session,
    sql: &str,
    oid: u32,
    what: &str,
    gaps: &mut Vec<String>,
) -> Option<Vec<Vec<Option<String>>>> {
    match session.facts(sql, &[&oid.to_string()]).await {
        Ok(rows) => Some(rows),
        Err(err) => {
            gaps.push(format!("cannot {what}: {}", one_line(&err.to_string())));
            None
        }
    }
}

/// A catalog query whose first column is a relation's OID: each row with that relation's
/// OID and name as the user's statements would write it, in the order of the names.
async fn named(
    session: &mut Session,
    sql: &str,
    params: &[&str],
) -> Result<Vec<(u32, String, Vec<Option<String>>)>, crate::db::DbError> {
    let rows = session.facts(sql, params).await?;
    let oids: Vec<u32> = rows.iter().filter_map(|r| r[0].as_deref()?.parse().ok()).collect();
    let names = if oids.is_empty() { Default::default() } else { session.relation_names(&oids).await? };
    let mut out: Vec<(u32, String, Vec<Option<String>>)> = rows
        .into_iter()
        .filter_map(|r| {
            let oid: u32 = r[0].as_deref()?.parse().ok()?;
            Some((oid, names.get(&oid)?.clone(), r))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.2.cmp(&b.2)));
    Ok(out)
}

fn first_column(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect()
}

/// The table's facts; its OID, when it was found.
async fn table_facts(session: &mut Session, table: &str, e: &mut Evidence) -> Option<u32> {
    let oid = resolve(session, table, &mut e.gaps).await?;
    let named_table = session.relation_names(&[oid]).await.ok().and_then(|mut n| n.remove(&oid));
    let rows = facts(session, TABLE_FACTS, oid, &format!("find {table}"), &mut e.gaps).await?;
    e.table = named_table.or_else(|| Some(table.to_string()));
    e.table_size = rows.first().and_then(|r| r[0].clone());
    if let Some(rows) = facts(session, PRIMARY_KEY, oid, "read the primary key", &mut e.gaps).await {
        e.keys = first_column(rows);
    }
    if let Some(rows) = facts(session, TRIGGERS, oid, "read the triggers", &mut e.gaps).await {
        e.triggers = first_column(rows);
    }
    let references = match named(session, REFERENCES, &[&oid.to_string()]).await {
        Ok(r) => r,
        Err(err) => {
            e.gaps.push(format!("cannot read the foreign keys: {}", one_line(&err.to_string())));
            Vec::new()
        }
    };
    for (_, child, r) in references {
        let name = format!("{child} ({})", r[1].clone().unwrap_or_default());
        let (del, upd) = (action(r[2].as_deref().unwrap_or("")), action(r[3].as_deref().unwrap_or("")));
        let line = format!("{name}: ON DELETE {del}, ON UPDATE {upd}");
        if [del, upd].iter().any(|a| matches!(*a, "CASCADE" | "SET NULL" | "SET DEFAULT")) {
            e.cascades.push(line.clone());
        }
        e.references.push(line);
    }
    Some(oid)
}

/// The planner's estimate for the write itself; a read-only role may not plan a write,
/// and then the estimate is for the rows it touches.
async fn explain(session: &mut Session, statement: &str, rows: &str, gaps: &mut Vec<String>) -> Vec<String> {
    let lines = |set: ResultSet| -> Vec<String> {
        set.rows.iter().filter_map(|r| r.first().cloned().flatten()).map(|l| l.to_string()).collect()
    };
    let write = format!("EXPLAIN {}", guard::without_terminator(statement.trim()));
    match read(session, &write, 200).await {
        Ok(set) => lines(set),
        Err(first) => match read(session, &format!("EXPLAIN {rows}"), 200).await {
            Ok(set) => {
                let mut l = vec!["(for the rows it touches; the write itself could not be planned here)".to_string()];
                l.extend(lines(set));
                l
            }
            Err(err) => {
                gaps.push(format!("no planner estimate: {first}; {err}"));
                vec![]
            }
        },
    }
}
