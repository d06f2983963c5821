//! One staged write as guarded psql: a backup of the rows it touches, a check that they are
//! still the rows that were reviewed, the write with a row-count check; and its rollback.
//! Pure text generation: the evidence comes in from the read-only session.

use sqlparser::ast::{FromTable, Statement, TableFactor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// The schema that holds the backups of affected rows.
pub const BACKUP_SCHEMA: &str = "warroom_backup";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmlKind {
    Delete,
    /// The columns the UPDATE sets.
    Update(Vec<String>),
}

/// A DELETE or UPDATE on one table, as far as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dml {
    pub kind: DmlKind,
    /// The table as written (`public.users`).
    pub table: String,
    pub alias: Option<String>,
    /// The WHERE clause as SQL, or None for every row.
    pub predicate: Option<String>,
}

/// Reads a DELETE or UPDATE without USING/FROM joins; anything else is None (the caller
/// says what it cannot plan).
pub fn parse_dml(sql: &str) -> Option<Dml> {
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    if stmts.len() != 1 {
        return None;
    }
    let relation = |f: &TableFactor| match f {
        TableFactor::Table { name, alias, .. } => Some((name.to_string(), alias.as_ref().map(|a| a.name.to_string()))),
        _ => None,
    };
    match stmts.pop()? {
        Statement::Delete(d) => {
            if d.using.is_some() || d.returning.is_some() || !d.tables.is_empty() {
                return None;
            }
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let [t] = from.as_slice() else { return None };
            if !t.joins.is_empty() {
                return None;
            }
            let (table, alias) = relation(&t.relation)?;
            Some(Dml { kind: DmlKind::Delete, table, alias, predicate: d.selection.map(|e| e.to_string()) })
        }
        Statement::Update(u) => {
            if u.from.is_some() || u.returning.is_some() || !u.table.joins.is_empty() {
                return None;
            }
            let (table, alias) = relation(&u.table.relation)?;
            let mut cols = Vec::new();
            for a in &u.assignments {
                match &a.target {
                    sqlparser::ast::AssignmentTarget::ColumnName(n) => cols.push(n.to_string()),
                    sqlparser::ast::AssignmentTarget::Tuple(ns) => cols.extend(ns.iter().map(|n| n.to_string())),
                }
            }
            Some(Dml { kind: DmlKind::Update(cols), table, alias, predicate: u.selection.map(|e| e.to_string()) })
        }
        _ => None,
    }
}

impl Dml {
    fn relation(&self) -> String {
        match &self.alias {
            Some(a) => format!("{} AS {a}", self.table),
            None => self.table.clone(),
        }
    }

    fn where_clause(&self) -> String {
        self.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default()
    }

    /// The rows the write would touch, as a query (for the backup and the evidence).
    pub fn affected(&self) -> String {
        let q = self.alias.as_deref().unwrap_or(&self.table);
        format!("SELECT {q}.* FROM {}{}", self.relation(), self.where_clause())
    }
}

/// Count and hash of the affected rows' keys, in that order; the same text runs at staging
/// time (over the read-only session) and inside the plan, so the two agree exactly when the
/// rows do.
pub fn fingerprint_query(rows: &str, keys: &[String]) -> String {
    let key = format!("ROW({})::text", keys.join(", "));
    format!(
        "SELECT count(*), md5(coalesce(string_agg(k, ',' ORDER BY k), '')) FROM (SELECT {key} AS k FROM ({rows}) AS warroom_rows) AS warroom_keys"
    )
}

/// What was reviewed: the number of rows and the hash of their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewed {
    pub rows: u64,
    pub key_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSql {
    pub forward: String,
    pub rollback: String,
}

/// A dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> String {
    let mut tag = "warroom".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('_');
    }
    format!("${tag}$")
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The guarded forward step and its rollback for a DELETE or UPDATE. `keys` is the table's
/// primary key (one column or several); `statement` is the write as the engineer staged it.
pub fn dml_step(n: usize, backup: &str, dml: &Dml, keys: &[String], reviewed: &Reviewed, statement: &str) -> StepSql {
    let statement = statement.trim().trim_end_matches(';').trim_end();
    let backup_table = format!("{BACKUP_SCHEMA}.{backup}");
    let check = fingerprint_query(&format!("SELECT * FROM {backup_table}"), keys);
    let body = format!(
        "DECLARE n bigint; h text; BEGIN\n  {check} INTO n, h;\n  IF n <> {rows} OR h <> {hash} THEN\n    RAISE EXCEPTION 'step {n}: the rows changed since review: % rows now, {rows} reviewed (or other keys); nothing was changed', n;\n  END IF;\nEND",
        rows = reviewed.rows,
        hash = literal(&reviewed.key_hash),
    );
    let tag = dollar_tag(&body);
    let write = format!(
        "DECLARE n bigint; BEGIN\n  {statement};\n  GET DIAGNOSTICS n = ROW_COUNT;\n  IF n <> {rows} THEN\n    RAISE EXCEPTION 'step {n}: the write changed % rows, {rows} were reviewed; rolled back', n;\n  END IF;\nEND",
        rows = reviewed.rows
    );
    let wtag = dollar_tag(&write);
    let forward = format!(
        "CREATE SCHEMA IF NOT EXISTS {BACKUP_SCHEMA};\nCREATE TABLE {backup_table} AS {affected};\n-- the rows must still be the ones reviewed\nDO {tag}\n{body}\n{tag};\n-- the write, with its row count checked\nDO {wtag}\n{write}\n{wtag};\n",
        affected = dml.affected(),
    );
    let key_match =
        |t: &str, b: &str| keys.iter().map(|k| format!("{t}.{k} = {b}.{k}")).collect::<Vec<_>>().join(" AND ");
    let rollback = match &dml.kind {
        DmlKind::Delete => format!(
            "-- put the deleted rows back from the backup\nINSERT INTO {table} SELECT * FROM {backup_table};\n",
            table = dml.table
        ),
        DmlKind::Update(cols) => {
            let sets: Vec<String> = cols.iter().map(|c| format!("{c} = warroom_b.{c}")).collect();
            format!(
                "-- restore the old values, by primary key\nUPDATE {table} AS warroom_t SET {sets} FROM {backup_table} AS warroom_b WHERE {on};\n",
                table = dml.table,
                sets = sets.join(", "),
                on = key_match("warroom_t", "warroom_b"),
            )
        }
    };
    StepSql { forward, rollback }
}

/// Wraps steps in one transaction that commits only if every check held; `-v dry_run=1`
/// runs everything and rolls back.
pub fn script(title: &str, lock_timeout: &str, steps: &[String]) -> String {
    let mut out = format!(
        "-- {title}\n-- apply: psql -X -v ON_ERROR_STOP=1 -f <this file>   (add -v dry_run=1 to run it and roll back)\n\\set ON_ERROR_STOP on\nBEGIN;\nSET LOCAL lock_timeout = {};\n",
        literal(lock_timeout)
    );
    for s in steps {
        out.push_str(s);
    }
    out.push_str(
        "\\if :{?dry_run}\n\\echo 'dry run: every check held; rolling back'\nROLLBACK;\n\\else\nCOMMIT;\n\\endif\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_can_plan_and_refuses_the_rest() {
        let d = parse_dml("DELETE FROM users WHERE email IS NULL;").unwrap();
        assert_eq!(
            (d.kind, d.table.as_str(), d.predicate.as_deref()),
            (DmlKind::Delete, "users", Some("email IS NULL"))
        );
        let u = parse_dml("UPDATE public.users u SET email = lower(email), (a, b) = (1, 2) WHERE u.id < 10").unwrap();
        assert_eq!(u.kind, DmlKind::Update(vec!["email".into(), "a".into(), "b".into()]));
        assert_eq!(u.alias.as_deref(), Some("u"));
        assert_eq!(u.affected(), "SELECT u.* FROM public.users AS u WHERE u.id < 10");
        assert!(parse_dml("DELETE FROM a USING b WHERE a.id = b.id").is_none());
        assert!(parse_dml("SELECT 1").is_none());
        assert!(parse_dml("DELETE FROM a; DELETE FROM b").is_none());
    }

    #[test]
    fn dollar_tags_avoid_the_body() {
        assert_eq!(dollar_tag("x"), "$warroom$");
        assert_eq!(dollar_tag("$warroom$"), "$warroom_$");
    }
}
