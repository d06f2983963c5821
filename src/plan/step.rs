//! One staged write as guarded psql: a backup of what it touches, a check that the rows are
//! still the ones reviewed, the write with a row-count check; and its way back.
//! Pure text generation: the evidence comes in from the read-only session.

use sqlparser::ast::{
    AlterTableOperation, AssignmentTarget, FromTable, ObjectType, OnConflictAction, OnInsert, SetExpr, Statement,
    TableFactor, TableObject, TableWithJoins, UpdateTableFromKind,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::evidence::Evidence;
use crate::guard;

/// The schema that holds the backups of affected rows.
pub const BACKUP_SCHEMA: &str = "warroom_backup";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmlKind {
    Delete,
    /// The columns the UPDATE sets.
    Update(Vec<String>),
    Merge,
}

/// A DELETE, UPDATE or MERGE on one table, as far as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dml {
    pub kind: DmlKind,
    /// The table as written (`public.users`).
    pub table: String,
    pub alias: Option<String>,
    /// The other relations of USING / FROM / MERGE … USING, as SQL.
    pub joined: Option<String>,
    /// The WHERE clause (MERGE: its ON condition) as SQL, or None for every row.
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insert {
    pub table: String,
    /// The rows it inserts as a query (`VALUES …` or `SELECT …`).
    pub source: String,
    /// For `VALUES`: how many rows, known without asking the server.
    pub values_rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ddl {
    CreateIndex { name: Option<String>, table: String, concurrently: bool },
    DropIndex { name: String },
    AddColumns { table: String, columns: Vec<String> },
    DropColumns { table: String, columns: Vec<String> },
    CreateTable { table: String },
    DropTable { table: String },
    Truncate { table: String },
}

/// What warroom understood of a write, and so what it can back up and undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Dml(Dml),
    Insert(Insert),
    Ddl(Ddl),
    /// A write warroom can stage but not back up or undo; the reason says why.
    Manual {
        kind: String,
        why: String,
    },
}

/// Why a statement that holds a secret is never planned: its text is masked on disk.
pub const SECRET: &str = "it holds a password or a secret, which warroom never writes to disk; run it by hand";

/// The shape of a statement whose secrets were masked: nothing can be planned for it.
pub fn secret() -> Shape {
    manual("secret", SECRET)
}

fn manual(kind: &str, why: impl Into<String>) -> Shape {
    Shape::Manual { kind: kind.to_string(), why: why.into() }
}

fn relation(f: &TableFactor) -> Option<(String, Option<String>)> {
    match f {
        TableFactor::Table { name, alias, .. } => Some((name.to_string(), alias.as_ref().map(|a| a.name.to_string()))),
        _ => None,
    }
}

fn list(tables: &[TableWithJoins]) -> String {
    tables.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Reads one write statement into the shape the plan needs.
pub fn shape(sql: &str) -> Shape {
    let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return manual("unparsed", "warroom cannot parse it, so it cannot tell what it touches");
    };
    if stmts.len() != 1 {
        return manual("several", "stage one statement at a time");
    }
    let returning = "it has RETURNING; remove it (the plan checks the row count itself)";
    match stmts.pop().expect("one statement") {
        Statement::Delete(d) => {
            if d.returning.is_some() {
                return manual("delete", returning);
            }
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let ([t], true) = (from.as_slice(), d.tables.is_empty() && d.limit.is_none()) else {
                return manual("delete", "it deletes from several tables");
            };
            let Some((table, alias)) = relation(&t.relation).filter(|_| t.joins.is_empty()) else {
                return manual("delete", "its target is not a plain table");
            };
            let joined = d.using.as_deref().map(list);
            let predicate = d.selection.map(|e| e.to_string());
            Shape::Dml(Dml { kind: DmlKind::Delete, table, alias, joined, predicate })
        }
        Statement::Update(u) => {
            if u.returning.is_some() {
                return manual("update", returning);
            }
            let Some((table, alias)) = relation(&u.table.relation).filter(|_| u.table.joins.is_empty()) else {
                return manual("update", "its target is not a plain table");
            };
            let mut cols = Vec::new();
            for a in &u.assignments {
                match &a.target {
                    AssignmentTarget::ColumnName(n) => cols.push(n.to_string()),
                    AssignmentTarget::Tuple(ns) => cols.extend(ns.iter().map(ToString::to_string)),
                }
            }
            let joined = u.from.as_ref().map(|f| match f {
                UpdateTableFromKind::BeforeSet(t) | UpdateTableFromKind::AfterSet(t) => list(t),
            });
            let predicate = u.selection.map(|e| e.to_string());
            Shape::Dml(Dml { kind: DmlKind::Update(cols), table, alias, joined, predicate })
        }
        Statement::Merge(m) => {
            let Some((table, alias)) = relation(&m.table) else {
                return manual("merge", "its target is not a plain table");
            };
            let joined = Some(m.source.to_string());
            Shape::Dml(Dml { kind: DmlKind::Merge, table, alias, joined, predicate: Some(m.on.to_string()) })
        }
        Statement::Insert(i) => {
            if i.returning.is_some() {
                return manual("insert", returning);
            }
            if let Some(OnInsert::OnConflict(c)) = &i.on
                && matches!(c.action, OnConflictAction::DoUpdate(_))
            {
                return manual(
                    "insert",
                    "ON CONFLICT DO UPDATE changes rows that already exist, which the plan cannot back up; stage the UPDATE and the INSERT separately",
                );
            }
            let TableObject::TableName(name) = &i.table else {
                return manual("insert", "its target is not a plain table");
            };
            let Some(source) = &i.source else {
                return manual("insert", "it inserts DEFAULT VALUES; write the values out");
            };
            let values_rows = match source.body.as_ref() {
                SetExpr::Values(v) => Some(v.rows.len() as u64),
                _ => None,
            };
            Shape::Insert(Insert { table: name.to_string(), source: source.to_string(), values_rows })
        }
        Statement::CreateIndex(c) => Shape::Ddl(Ddl::CreateIndex {
            name: c.name.map(|n| n.to_string()),
            table: c.table_name.to_string(),
            concurrently: c.concurrently,
        }),
        Statement::Drop { object_type, names, .. } if names.len() == 1 => {
            let name = names[0].to_string();
            match object_type {
                ObjectType::Index => Shape::Ddl(Ddl::DropIndex { name }),
                ObjectType::Table => Shape::Ddl(Ddl::DropTable { table: name }),
                other => manual("drop", format!("warroom has no way back for DROP {other}")),
            }
        }
        Statement::Drop { .. } => manual("drop", "it drops several objects; stage one per statement"),
        Statement::Truncate(t) if t.table_names.len() == 1 => {
            Shape::Ddl(Ddl::Truncate { table: t.table_names[0].name.to_string() })
        }
        Statement::Truncate(_) => manual("truncate", "it truncates several tables; stage one per statement"),
        Statement::CreateTable(c) => Shape::Ddl(Ddl::CreateTable { table: c.name.to_string() }),
        Statement::AlterTable(a) => {
            let table = a.name.to_string();
            let (mut added, mut dropped) = (vec![], vec![]);
            for op in &a.operations {
                match op {
                    AlterTableOperation::AddColumn { column_def, .. } => added.push(column_def.name.to_string()),
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        dropped.extend(column_names.iter().map(ToString::to_string))
                    }
                    other => return manual("alter table", format!("warroom has no way back for {other}")),
                }
            }
            match (added.is_empty(), dropped.is_empty()) {
                (false, true) => Shape::Ddl(Ddl::AddColumns { table, columns: added }),
                (true, false) => Shape::Ddl(Ddl::DropColumns { table, columns: dropped }),
                _ => manual("alter table", "it adds and drops columns at once; stage them separately"),
            }
        }
        other => {
            let kind = guard::first_keyword(&other.to_string()).unwrap_or_else(|| "write".into());
            manual(&kind, format!("warroom has no backup or way back for {}", kind.to_uppercase()))
        }
    }
}

impl Dml {
    fn target(&self) -> String {
        match &self.alias {
            Some(a) => format!("{} AS {a}", self.table),
            None => self.table.clone(),
        }
    }

    /// The rows the write would touch, as a query (for the backup and the evidence). With
    /// USING/FROM the join goes inside EXISTS, so a row matched twice still counts once.
    pub fn affected(&self) -> String {
        let q = self.alias.as_deref().unwrap_or(&self.table);
        let target = self.target();
        match (&self.joined, &self.predicate) {
            (Some(j), Some(p)) => format!("SELECT {q}.* FROM {target} WHERE EXISTS (SELECT FROM {j} WHERE {p})"),
            (Some(j), None) => format!("SELECT {q}.* FROM {target} WHERE EXISTS (SELECT FROM {j})"),
            (None, Some(p)) => format!("SELECT {q}.* FROM {target} WHERE {p}"),
            (None, None) => format!("SELECT {q}.* FROM {target}"),
        }
    }
}

impl Shape {
    /// The table whose catalog facts (key, triggers, references) are evidence.
    pub fn table(&self) -> Option<&str> {
        match self {
            Shape::Dml(d) => Some(&d.table),
            Shape::Insert(i) => Some(&i.table),
            Shape::Ddl(
                Ddl::CreateIndex { table, .. }
                | Ddl::AddColumns { table, .. }
                | Ddl::DropColumns { table, .. }
                | Ddl::DropTable { table }
                | Ddl::Truncate { table },
            ) => Some(table),
            Shape::Ddl(Ddl::CreateTable { .. } | Ddl::DropIndex { .. }) | Shape::Manual { .. } => None,
        }
    }

    pub fn kind(&self) -> String {
        match self {
            Shape::Dml(d) => match d.kind {
                DmlKind::Delete => "DELETE".into(),
                DmlKind::Update(_) => "UPDATE".into(),
                DmlKind::Merge => "MERGE".into(),
            },
            Shape::Insert(_) => "INSERT".into(),
            Shape::Ddl(d) => match d {
                Ddl::CreateIndex { .. } => "CREATE INDEX",
                Ddl::DropIndex { .. } => "DROP INDEX",
                Ddl::AddColumns { .. } => "ADD COLUMN",
                Ddl::DropColumns { .. } => "DROP COLUMN",
                Ddl::CreateTable { .. } => "CREATE TABLE",
                Ddl::DropTable { .. } => "DROP TABLE",
                Ddl::Truncate { .. } => "TRUNCATE",
            }
            .into(),
            Shape::Manual { kind, .. } => kind.to_uppercase(),
        }
    }

    /// The rows whose count (and key hash) is evidence and, for most shapes, the backup.
    /// `keys` is the table's primary key; DROP COLUMN backs up the key and the columns.
    pub fn affected(&self, keys: &[String]) -> Option<String> {
        match self {
            Shape::Dml(d) => Some(d.affected()),
            Shape::Insert(i) => Some(format!("SELECT * FROM ({}) AS warroom_source", i.source)),
            Shape::Ddl(Ddl::DropTable { table } | Ddl::Truncate { table }) => Some(format!("SELECT * FROM {table}")),
            Shape::Ddl(Ddl::DropColumns { table, columns }) if !keys.is_empty() => {
                Some(format!("SELECT {}, {} FROM {table}", keys.join(", "), columns.join(", ")))
            }
            Shape::Ddl(Ddl::DropColumns { table, .. }) => Some(format!("SELECT * FROM {table}")),
            Shape::Ddl(_) | Shape::Manual { .. } => None,
        }
    }

    /// Whether the count of affected rows is needed before the step can be reviewed.
    pub fn needs_rows(&self) -> bool {
        self.affected(&[]).is_some()
    }

    /// Whether the backup is of the rows the step changes (so it holds their keys).
    fn backs_up(&self) -> bool {
        !matches!(self, Shape::Insert(_)) && self.needs_rows()
    }

    /// The lock the statement takes and what that blocks while it is held.
    pub fn lock(&self) -> (String, String) {
        let table = self.table().unwrap_or("the table");
        let all = "every other query on it, reads included, until COMMIT; and while it waits for the lock, every later query on the table queues behind it";
        let (mode, blocks) = match self {
            Shape::Dml(_) | Shape::Insert(_) => (
                format!("ROW EXCLUSIVE on {table}, and row locks on the rows it changes"),
                "other writes to the same rows, and CREATE INDEX, most ALTER TABLE, VACUUM FULL and LOCK on the table, until COMMIT; reads are not blocked".to_string(),
            ),
            Shape::Ddl(Ddl::CreateIndex { concurrently: true, .. }) => (
                format!("SHARE UPDATE EXCLUSIVE on {table}"),
                "VACUUM, ANALYZE and other schema changes on the table; reads and writes continue (but CONCURRENTLY cannot run inside the plan's transaction)".to_string(),
            ),
            Shape::Ddl(Ddl::CreateIndex { .. }) => (
                format!("SHARE on {table}"),
                "INSERT, UPDATE and DELETE on the table until COMMIT (the whole build); reads continue".to_string(),
            ),
            Shape::Ddl(Ddl::DropIndex { .. }) => ("ACCESS EXCLUSIVE on the index's table".to_string(), all.to_string()),
            Shape::Ddl(Ddl::CreateTable { .. }) => {
                ("none on existing tables".to_string(), "nothing that runs today".to_string())
            }
            Shape::Ddl(_) => (format!("ACCESS EXCLUSIVE on {table}"), all.to_string()),
            Shape::Manual { .. } => ("unknown to warroom".to_string(), "read the statement".to_string()),
        };
        (mode, blocks)
    }
}

/// Count and hash of the rows' keys (the whole row when there is no key), in that order;
/// the same text runs at staging time (over the read-only session) and inside the plan,
/// so the two agree exactly when the rows do.
pub fn fingerprint_query(rows: &str, keys: &[String]) -> String {
    let key = if keys.is_empty() { "warroom_rows.*".to_string() } else { keys.join(", ") };
    format!(
        "SELECT count(*), md5(coalesce(string_agg(k, ',' ORDER BY k), '')) FROM (SELECT ROW({key})::text AS k FROM ({rows}) AS warroom_rows) AS warroom_keys"
    )
}

/// A step as psql text: the forward part, and the way back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSql {
    pub forward: String,
    /// Runnable SQL that undoes the step, or None when there is none.
    pub rollback: Option<String>,
    /// Why there is no (complete) way back, and how to recover instead.
    pub irreversible: Option<String>,
    /// What the reviewer must know: what the plan cannot guarantee.
    pub cautions: Vec<String>,
    /// Why the evidence is not enough to review the step (then it refuses to apply).
    pub missing: Option<String>,
}

/// A dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> String {
    let mut tag = "warroom".to_string();
    while body.contains(&format!("${tag}$")) {
        tag.push('_');
    }
    format!("${tag}$")
}

fn do_block(body: &str) -> String {
    let tag = dollar_tag(body);
    format!("DO {tag}\n{body}\n{tag};\n")
}

/// A backup table name from the incident and step: lower case, safe as an identifier.
pub fn backup_name(incident: &str, n: usize) -> String {
    let mut s: String =
        incident.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        s.insert(0, 'i');
    }
    let suffix = format!("_{n}");
    s.truncate(63 - suffix.len());
    s + &suffix
}

/// The guarded forward step and its way back. `n` numbers the step, `backup` names its
/// backup table, `statement` is the write as the engineer staged it, `evidence` what the
/// read-only session found (None: not connected).
pub fn build(n: usize, backup: &str, shape: &Shape, statement: &str, evidence: Option<&Evidence>) -> StepSql {
    let statement = guard::without_terminator(statement.trim()).to_string();
    if matches!(shape, Shape::Manual { kind, .. } if kind == "secret") {
        return StepSql {
            forward: do_block(&format!(
                "BEGIN\n  RAISE EXCEPTION {};\nEND",
                guard::sql_literal(&format!("step {n}: {SECRET}; nothing was changed"))
            )) + &commented(&statement),
            rollback: None,
            irreversible: Some(format!("IRREVERSIBLE: {SECRET}")),
            cautions: vec![],
            missing: Some(SECRET.into()),
        };
    }
    let missing = match evidence {
        None => Some("it was staged while not connected".to_string()),
        Some(e) if shape.needs_rows() && e.rows.is_none() => Some(format!(
            "the rows it touches could not be counted ({})",
            e.gaps.first().map_or("no reason given", String::as_str)
        )),
        _ => None,
    };
    if let Some(why) = missing {
        return StepSql {
            forward: do_block(&format!(
                "BEGIN\n  RAISE EXCEPTION {};\nEND",
                guard::sql_literal(&format!(
                    "step {n} has no evidence ({why}); stage it again while connected; nothing was changed"
                ))
            )) + &commented(&statement),
            rollback: None,
            irreversible: Some("no evidence was gathered, so no way back was planned".into()),
            cautions: vec![],
            missing: Some(why),
        };
    }
    let e = evidence.expect("checked above");
    let keys = &e.keys;
    let backup_table = format!("{BACKUP_SCHEMA}.{backup}");
    let mut forward = String::new();
    let mut cautions = Vec::new();
    if shape.backs_up() || matches!(shape, Shape::Insert(_)) {
        // Two plans applied at once may race to create the schema: only one may fail.
        forward.push_str(&do_block(&format!(
            "BEGIN\n  CREATE SCHEMA IF NOT EXISTS {BACKUP_SCHEMA};\nEXCEPTION WHEN unique_violation OR duplicate_schema THEN NULL;\nEND"
        )));
    }
    if shape.backs_up() {
        let affected = shape.affected(keys).expect("backs_up implies affected");
        let rows = e.rows.expect("checked above");
        forward.push_str(&format!("CREATE TABLE {backup_table} AS {affected};\n"));
        let check = fingerprint_query(&format!("SELECT * FROM {backup_table}"), keys);
        let hash = e.key_hash.as_deref().unwrap_or_default();
        forward.push_str("-- the rows must still be the ones reviewed\n");
        forward.push_str(&do_block(&format!(
            "DECLARE n bigint; h text; BEGIN\n  {check} INTO n, h;\n  IF n <> {rows} OR h <> {} THEN\n    RAISE EXCEPTION 'step {n}: the rows changed since review: % rows now, {rows} reviewed (or other keys); nothing was changed', n;\n  END IF;\nEND",
            guard::sql_literal(hash)
        )));
    }
    let rows = e.rows;
    forward.push_str(match shape {
        Shape::Dml(Dml { kind: DmlKind::Merge, .. }) | Shape::Ddl(_) | Shape::Manual { .. } => "-- the write\n",
        Shape::Dml(_) | Shape::Insert(_) => "-- the write, with its row count checked\n",
    });
    match shape {
        Shape::Dml(Dml { kind: DmlKind::Merge, .. }) => {
            cautions.push(
                "MERGE's row count is not checked: it may insert rows as well as change the ones counted.".into(),
            );
            forward.push_str(&format!("{statement};\n"));
        }
        Shape::Dml(_) => {
            let rows = rows.expect("checked above");
            forward.push_str(&do_block(&format!(
                "DECLARE n bigint; BEGIN\n  {statement}\n  ;\n  GET DIAGNOSTICS n = ROW_COUNT;\n  IF n <> {rows} THEN\n    RAISE EXCEPTION 'step {n}: the write changed % rows, {rows} were reviewed; rolled back', n;\n  END IF;\nEND"
            )));
        }
        Shape::Insert(i) => {
            let rows = rows.or(i.values_rows).expect("checked above");
            forward.push_str(&format!(
                "CREATE TABLE {backup_table} (LIKE {}); -- the inserted rows are kept here for the rollback\n",
                i.table
            ));
            forward.push_str(&do_block(&format!(
                "DECLARE n bigint; BEGIN\n  WITH warroom_inserted AS (\n  {statement}\n  RETURNING *)\n  INSERT INTO {backup_table} SELECT * FROM warroom_inserted;\n  GET DIAGNOSTICS n = ROW_COUNT;\n  IF n <> {rows} THEN\n    RAISE EXCEPTION 'step {n}: the write inserted % rows, {rows} were reviewed; rolled back', n;\n  END IF;\nEND"
            )));
        }
        Shape::Ddl(Ddl::CreateIndex { concurrently: true, .. }) => {
            cautions.push("CREATE INDEX CONCURRENTLY cannot run inside a transaction: this plan will stop at this step. Run it by hand outside the plan, or drop CONCURRENTLY and accept the SHARE lock.".into());
            forward.push_str(&format!("{statement};\n"));
        }
        Shape::Manual { why, .. } => {
            cautions.push(format!("Nothing is backed up for this step: {why}."));
            forward.push_str(&format!("{statement};\n"));
        }
        Shape::Ddl(_) => forward.push_str(&format!("{statement};\n")),
    }
    let (rollback, mut irreversible) = rollback(shape, keys, &backup_table, e);
    let cascading = matches!(shape, Shape::Dml(_) | Shape::Ddl(Ddl::Truncate { .. } | Ddl::DropTable { .. }));
    if cascading && !e.cascades.is_empty() {
        let how_many = e.cascade_summary().map(|s| format!(": {s}")).unwrap_or_default();
        let why = format!(
            "foreign keys change rows in other tables too ({}){how_many}; those rows are not in the backup, so the way back cannot restore them",
            e.cascades.join("; ")
        );
        cautions.push(format!("Cascades: {why}."));
        if irreversible.is_none() {
            irreversible = Some(format!("PARTIAL: {why}."));
        }
    }
    if keys.is_empty() && shape.table().is_some() && !matches!(shape, Shape::Ddl(Ddl::CreateTable { .. })) {
        cautions.push("The table has no primary key: the drift check hashes whole rows, and rows can only be matched back by their full contents.".into());
    }
    StepSql { forward, rollback, irreversible, cautions, missing: None }
}

fn commented(sql: &str) -> String {
    sql.lines().map(|l| format!("--   {l}\n")).collect()
}

/// The way back for a step, or why there is none.
fn rollback(shape: &Shape, keys: &[String], backup: &str, e: &Evidence) -> (Option<String>, Option<String>) {
    let key_match =
        |t: &str, b: &str| keys.iter().map(|k| format!("{t}.{k} = {b}.{k}")).collect::<Vec<_>>().join(" AND ");
    let restore = |how: String| (None, Some(format!("IRREVERSIBLE: restore from backup {backup}. {how}")));
    match shape {
        Shape::Dml(d) => match &d.kind {
            DmlKind::Delete => (
                Some(format!("-- put the deleted rows back from the backup\nINSERT INTO {} SELECT * FROM {backup};\n", d.table)),
                None,
            ),
            DmlKind::Update(_) if keys.is_empty() => restore(format!(
                "The table has no primary key, so the old values cannot be matched back to their rows; compare {} with the backup by hand.",
                d.table
            )),
            DmlKind::Update(cols) => {
                let sets: Vec<String> = cols.iter().map(|c| format!("{c} = warroom_b.{c}")).collect();
                (
                    Some(format!(
                        "-- restore the old values, by primary key\nUPDATE {} AS warroom_t SET {} FROM {backup} AS warroom_b WHERE {};\n",
                        d.table,
                        sets.join(", "),
                        key_match("warroom_t", "warroom_b")
                    )),
                    None,
                )
            }
            DmlKind::Merge => restore(
                "MERGE may update, delete and insert at once; the backup holds the target rows it matched as they were before.".into(),
            ),
        },
        Shape::Insert(i) if keys.is_empty() => restore(format!(
            "The table has no primary key, so the inserted rows cannot be told apart from equal rows already in {}.",
            i.table
        )),
        Shape::Insert(i) => (
            Some(format!(
                "-- delete the inserted rows, by primary key\nDELETE FROM {} AS warroom_t USING {backup} AS warroom_b WHERE {};\n",
                i.table,
                key_match("warroom_t", "warroom_b")
            )),
            None,
        ),
        Shape::Ddl(d) => match d {
            Ddl::CreateIndex { name: Some(name), table, .. } => {
                let qualified = match (name.contains('.'), table.rsplit_once('.')) {
                    (false, Some((schema, _))) => format!("{schema}.{name}"),
                    _ => name.clone(),
                };
                (Some(format!("DROP INDEX {qualified};\n")), None)
            }
            Ddl::CreateIndex { name: None, .. } => (
                None,
                Some("IRREVERSIBLE as written: the index has no name, so the rollback cannot name it. Give it a name and stage it again.".into()),
            ),
            Ddl::DropIndex { .. } => match &e.index_def {
                Some(def) => (Some(format!("-- the index as it was defined\n{def};\n")), None),
                None => (None, Some("IRREVERSIBLE: the index's definition could not be read, so it cannot be recreated.".into())),
            },
            Ddl::AddColumns { table, columns } => {
                let drops: Vec<String> = columns.iter().map(|c| format!("DROP COLUMN {c}")).collect();
                (Some(format!("ALTER TABLE {table} {};\n", drops.join(", "))), None)
            }
            Ddl::CreateTable { table } => (Some(format!("DROP TABLE {table};\n")), None),
            Ddl::DropColumns { table, columns } => restore(format!(
                "Add the column{} back with {}'s old type, then copy the values back from the backup{}.",
                if columns.len() > 1 { "s" } else { "" },
                table,
                if keys.is_empty() { " (no primary key: match rows by hand)" } else { " by primary key" }
            )),
            Ddl::DropTable { table } => restore(format!(
                "The backup holds the rows of {table}, not its indexes, constraints, triggers or grants: recreate the table from its definition, then INSERT INTO {table} SELECT * FROM {backup}."
            )),
            Ddl::Truncate { table } => restore(format!(
                "INSERT INTO {table} SELECT * FROM {backup}; tables truncated by CASCADE are not in it."
            )),
        },
        Shape::Manual { why, .. } => (None, Some(format!("IRREVERSIBLE: {why}."))),
    }
}

/// Wraps steps in one transaction that commits only if every check held; `-v dry_run=1`
/// runs everything and rolls back.
pub fn script(title: &str, lock_timeout: &str, steps: &[String]) -> String {
    let mut out = format!(
        "-- {title}\n-- apply: psql -X -v ON_ERROR_STOP=1 -f <this file>   (add -v dry_run=1 to run it and roll back)\n\\set ON_ERROR_STOP on\nBEGIN;\nSET LOCAL lock_timeout = {};\n",
        guard::sql_literal(lock_timeout)
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

    fn dml(sql: &str) -> Dml {
        match shape(sql) {
            Shape::Dml(d) => d,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn reads_what_it_can_plan() {
        let d = dml("DELETE FROM users WHERE email IS NULL;");
        assert_eq!(
            (d.kind, d.table.as_str(), d.predicate.as_deref()),
            (DmlKind::Delete, "users", Some("email IS NULL"))
        );
        let u = dml("UPDATE public.users u SET email = lower(email), (a, b) = (1, 2) WHERE u.id < 10");
        assert_eq!(u.kind, DmlKind::Update(vec!["email".into(), "a".into(), "b".into()]));
        assert_eq!(u.affected(), "SELECT u.* FROM public.users AS u WHERE u.id < 10");
        let j = dml("DELETE FROM a USING b WHERE a.id = b.id");
        assert_eq!(j.affected(), "SELECT a.* FROM a WHERE EXISTS (SELECT FROM b WHERE a.id = b.id)");
        let i = shape("INSERT INTO t (a) VALUES (1), (2)");
        assert!(matches!(i, Shape::Insert(Insert { values_rows: Some(2), .. })), "{i:?}");
        assert_eq!(
            shape("ALTER TABLE t ADD COLUMN c int, ADD COLUMN d text"),
            Shape::Ddl(Ddl::AddColumns { table: "t".into(), columns: vec!["c".into(), "d".into()] })
        );
        assert_eq!(shape("DROP TABLE s.t"), Shape::Ddl(Ddl::DropTable { table: "s.t".into() }));
        assert_eq!(shape("TRUNCATE t"), Shape::Ddl(Ddl::Truncate { table: "t".into() }));
    }

    #[test]
    fn says_what_it_cannot_plan() {
        for sql in [
            "DELETE FROM a RETURNING *",
            "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1",
            "DROP TABLE a, b",
            "GRANT SELECT ON t TO x",
            "ALTER TABLE t RENAME TO u",
            "DELETE FROM a; DELETE FROM b",
            "this is not sql",
        ] {
            assert!(matches!(shape(sql), Shape::Manual { .. }), "{sql}: {:?}", shape(sql));
        }
    }

    #[test]
    fn dollar_tags_avoid_the_body() {
        assert_eq!(dollar_tag("x"), "$warroom$");
        assert_eq!(dollar_tag("$warroom$"), "$warroom_$");
    }

    #[test]
    fn backup_names_are_identifiers() {
        assert_eq!(backup_name("INC-42", 3), "inc_42_3");
        assert_eq!(backup_name("2026.11", 1), "i2026_11_1");
        assert_eq!(backup_name(&"x".repeat(64), 12).len(), 63);
    }

    #[test]
    fn without_evidence_the_step_refuses_to_apply() {
        let s = build(1, "b_1", &shape("DELETE FROM t WHERE x"), "DELETE FROM t WHERE x;", None);
        assert!(s.forward.contains("RAISE EXCEPTION 'step 1 has no evidence"), "{}", s.forward);
        assert!(s.forward.contains("--   DELETE FROM t WHERE x\n"), "{}", s.forward);
        assert!(s.rollback.is_none() && s.irreversible.is_some());
    }
}
