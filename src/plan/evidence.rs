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
const CASCADING_KEYS: &str = "SELECT c.conrelid::regclass::text, \
     (CASE WHEN $2 = 'delete' THEN c.confdeltype ELSE c.confupdtype END)::text, \
     (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i) \
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n), \
     (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i) \
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) \
     FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = $1::text::regclass \
     AND (CASE WHEN $2 = 'delete' THEN c.confdeltype ELSE c.confupdtype END) IN ('c', 'n', 'd') \
     ORDER BY 1";

/// Counts, table by table, what the cascades of deleting `rows` (a query of the target's
/// rows) would delete or change, following CASCADE into the tables beyond. With `updated`
/// (an UPDATE's columns), only the foreign keys on those columns, one level.
async fn cascade_counts(session: &mut Session, table: &str, rows: &str, updated: Option<&[String]>, e: &mut Evidence) {
    let mut frontier = vec![(table.to_string(), rows.to_string(), 1u32)];
    let event = if updated.is_some() { "update" } else { "delete" };
    while let Some((parent, parent_rows, depth)) = frontier.pop() {
        let keys = match session.facts(CASCADING_KEYS, &[&parent, event]).await {
            Ok(k) => k,
            Err(err) => {
                e.gaps.push(format!("cannot read the foreign keys into {parent}: {}", one_line(&err.to_string())));
                return;
            }
        };
        for k in keys {
            let [Some(child), Some(code), Some(child_cols), Some(parent_cols)] = [&k[0], &k[1], &k[2], &k[3]] else {
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
                        frontier.push((child.clone(), hit, depth + 1));
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

const TABLE_FACTS: &str = "SELECT c.oid::regclass::text, pg_size_pretty(pg_total_relation_size(c.oid)) \
     FROM pg_class c WHERE c.oid = $1::text::regclass";
const PRIMARY_KEY: &str = "SELECT quote_ident(a.attname)::text FROM pg_index i \
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
     WHERE i.indrelid = $1::text::regclass AND i.indisprimary \
     ORDER BY array_position(i.indkey::int2[], a.attnum)";
const TRIGGERS: &str = "SELECT pg_get_triggerdef(oid) FROM pg_trigger \
     WHERE tgrelid = $1::text::regclass AND NOT tgisinternal ORDER BY tgname";
const REFERENCES: &str = "SELECT conrelid::regclass::text || ' (' || conname || ')', confdeltype::text, confupdtype::text \
     FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::text::regclass ORDER BY 1";
const INDEX_DEF: &str = "SELECT pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text \
     FROM pg_index i WHERE i.indexrelid = $1::text::regclass";

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
    if let Some(table) = shape.table() {
        table_facts(session, table, &mut e).await;
    }
    if let Shape::Ddl(Ddl::DropIndex { name }) = shape {
        let what = format!("read the index {name}");
        match facts(session, INDEX_DEF, name, &what, &mut e.gaps).await.as_deref() {
            Some([r, ..]) => (e.index_def, e.table) = (r[0].clone(), r[1].clone()),
            Some([]) => e.gaps.push(format!("{name} is not an index")),
            None => {}
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
            let table = e.table.clone().unwrap_or_else(|| d.table.clone());
            match &d.kind {
                super::step::DmlKind::Delete => cascade_counts(session, &table, &rows, None, &mut e).await,
                super::step::DmlKind::Update(cols) => cascade_counts(session, &table, &rows, Some(cols), &mut e).await,
                super::step::DmlKind::Merge => {}
            }
        }
    }
    e
}

/// One of warroom's own catalog queries about `name`; a failure becomes a gap ("cannot `what`").
async fn facts(
    session: &mut Session,
    sql: &str,
    name: &str,
    what: &str,
    gaps: &mut Vec<String>,
) -> Option<Vec<Vec<Option<String>>>> {
    match session.facts(sql, &[name]).await {
        Ok(rows) => Some(rows),
        Err(err) => {
            gaps.push(format!("cannot {what}: {}", one_line(&err.to_string())));
            None
        }
    }
}

fn first_column(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect()
}

async fn table_facts(session: &mut Session, table: &str, e: &mut Evidence) {
    let Some(rows) = facts(session, TABLE_FACTS, table, &format!("find {table}"), &mut e.gaps).await else {
        return;
    };
    match rows.first() {
        Some(r) => (e.table, e.table_size) = (r[0].clone(), r[1].clone()),
        None => e.gaps.push(format!("{table} was not found")),
    }
    if let Some(rows) = facts(session, PRIMARY_KEY, table, "read the primary key", &mut e.gaps).await {
        e.keys = first_column(rows);
    }
    if let Some(rows) = facts(session, TRIGGERS, table, "read the triggers", &mut e.gaps).await {
        e.triggers = first_column(rows);
    }
    for r in facts(session, REFERENCES, table, "read the foreign keys", &mut e.gaps).await.unwrap_or_default() {
        let name = r[0].clone().unwrap_or_default();
        let (del, upd) = (action(r[1].as_deref().unwrap_or("")), action(r[2].as_deref().unwrap_or("")));
        let line = format!("{name}: ON DELETE {del}, ON UPDATE {upd}");
        if [del, upd].iter().any(|a| matches!(*a, "CASCADE" | "SET NULL" | "SET DEFAULT")) {
            e.cascades.push(line.clone());
        }
        e.references.push(line);
    }
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
