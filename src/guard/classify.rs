//! Deciding READ or WRITE for one normalised statement. Read only when proven.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, BinaryOperator, CopySource, CopyTarget, DataType, Expr, FromTable, Function,
    FunctionArguments, Ident, InTarget, LockType, ObjectName, ObjectNamePart, Query, Select, SelectItem, SetExpr,
    Statement as Ast, TableFactor, UnaryOperator, Value, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::catalog::{self, Catalog, Mentions, TypeFact};
use super::lex::{TokKind, Token};
use super::lists;
use super::normalize::{Normalized, clip};
use super::{Class, Kind};

/// The guard's verdict on one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub kind: Kind,
    pub destructive: bool,
    pub reasons: Vec<String>,
    /// Names the live catalog can say more about.
    pub mentions: Mentions,
}

impl Verdict {
    pub fn write(kind: Kind, reasons: Vec<String>, destructive: bool) -> Self {
        Verdict { class: Class::Write, kind, destructive, reasons, mentions: Mentions::default() }
    }
    fn read(kind: Kind) -> Self {
        Verdict { class: Class::Read, kind, destructive: false, reasons: vec![], mentions: Mentions::default() }
    }
}

/// What a classification knows besides the text: the catalog's facts when connected, and
/// how deep into views and policies it already is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cx<'a> {
    pub catalog: Option<&'a Catalog>,
    pub depth: usize,
}

/// Views of views (and policies in them) are followed this deep, no deeper.
pub const MAX_VIEW_DEPTH: usize = 8;

/// sqlparser's own guard against deep recursion while parsing.
const PARSE_RECURSION_LIMIT: usize = 128;

/// The proof, through sqlparser's AST: the only way a statement becomes READ.
pub fn classify(n: &Normalized, cx: Cx) -> Verdict {
    let mut v = classify_parsed(n, cx);
    if v.class == Class::Read
        && let Some(why) = cx.catalog.and_then(|c| c.unreadable.as_ref())
    {
        v.class = Class::Write;
        v.reasons.push(format!("the catalog could not be read ({why}), so it cannot be proven read-only"));
    }
    if v.reasons.len() > 1 {
        let mut seen = HashSet::new();
        v.reasons.retain(|r| seen.insert(r.clone()));
    }
    v
}

/// Proven reads by their [`Normalized::shape`]. A read's proof never looks at the value of
/// a constant (only EXPLAIN's options do, so EXPLAIN is never remembered), so a statement of
/// the same shape is the same read: a pg_dump or a generated script is parsed once per shape.
#[derive(Default)]
pub struct Proven(HashMap<String, Verdict>);

impl Proven {
    pub fn classify(&mut self, n: &Normalized, cx: Cx) -> Verdict {
        if !n.findings.is_empty() || n.first_word.as_deref() == Some("EXPLAIN") {
            return classify(n, cx);
        }
        let shape = n.shape();
        if let Some(v) = self.0.get(&shape) {
            return v.clone();
        }
        let v = classify(n, cx);
        if v.class == Class::Read {
            self.0.insert(shape, v.clone());
        }
        v
    }
}

fn classify_parsed(n: &Normalized, cx: Cx) -> Verdict {
    let words: Vec<&str> = n.words.iter().map(String::as_str).collect();
    let first = n.first_word.as_deref().unwrap_or("");
    let (kw_kind, kw_reason, kw_destructive) = keyword_info(first, &words, n.top_level_where);
    let read_candidate = matches!(first, "SELECT" | "WITH" | "TABLE" | "VALUES" | "SHOW" | "EXPLAIN" | "COPY" | "(");
    let lock_reasons = token_locks(&words);

    if !n.findings.is_empty() {
        let mut reasons: Vec<String> = kw_reason.into_iter().collect();
        reasons.extend(n.findings.iter().cloned());
        reasons.extend(lock_reasons);
        let kind = if first.is_empty() || read_candidate { Kind::Unparsed } else { kw_kind };
        return Verdict::write(kind, reasons, kw_destructive);
    }

    let parsed = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(PARSE_RECURSION_LIMIT)
        .try_with_sql(&n.sql)
        .and_then(|mut p| p.parse_statements());
    let stmt = match parsed {
        Ok(mut v) if v.len() == 1 => v.remove(0),
        Ok(v) => {
            let reason =
                format!("reads as {} statements where PostgreSQL sees one, so it cannot be proven read-only", v.len());
            return Verdict::write(if read_candidate { Kind::Unparsed } else { kw_kind }, vec![reason], kw_destructive);
        }
        Err(e) => {
            let mut reasons: Vec<String> = kw_reason.into_iter().collect();
            reasons.extend(lock_reasons);
            if reasons.is_empty() || read_candidate {
                let msg = e.to_string();
                let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg).to_string();
                reasons.push(format!("could not be parsed, so it cannot be proven read-only ({msg})"));
            }
            let kind = if read_candidate { Kind::Unparsed } else { kw_kind };
            return Verdict::write(kind, reasons, kw_destructive);
        }
    };

    let mut verdict = classify_ast(&stmt, cx);
    // LIKE, IN, BETWEEN, USING, CASE … WHEN and the rest call operators by their symbol.
    if verdict.class == Class::Read
        && let Some(catalog) = cx.catalog
        && words.iter().any(|w| IMPLIED_OPERATORS.0.contains(w))
    {
        for symbol in IMPLIED_OPERATORS.1 {
            if let Some(reason) = catalog.operator(symbol) {
                verdict.class = Class::Write;
                verdict.reasons.push(reason);
            }
        }
    }
    // Keyword gate: whatever the parser made of it, only these first words can start a read.
    if verdict.class == Class::Read && !read_candidate {
        let reason = format!("{first} is not a statement warroom can prove read-only");
        return Verdict::write(kw_kind, vec![reason], kw_destructive);
    }
    // PostgreSQL reads `SELECT INTO t FROM …` as CREATE TABLE t AS …, where sqlparser sees a
    // column named INTO: an unquoted INTO never belongs to a read.
    if verdict.class == Class::Read && stray_into(&words) {
        let reason = "has INTO: PostgreSQL's SELECT … INTO creates a table from the query".to_string();
        return Verdict::write(verdict.kind, vec![reason], false);
    }
    let kind = if verdict.kind == Kind::Other { kw_kind } else { verdict.kind };
    if verdict.class == Class::Write && verdict.reasons.is_empty() {
        let reasons =
            vec![kw_reason.unwrap_or_else(|| format!("this form of {first} is not one warroom can prove read-only"))];
        return Verdict::write(kind, reasons, verdict.destructive || kw_destructive);
    }
    let verdict = Verdict { kind, ..verdict };
    Verdict { destructive: verdict.destructive || kw_destructive, ..verdict }
}

/// What a statement that cannot be parsed (the start of one, up to an unterminated string)
/// visibly does, from its tokens: a call of anything but an allow-listed built-in, a field
/// that is a function, a keyword that writes, an operator that is not built in.
pub fn lexical_effect(src: &str, toks: &[Token]) -> Option<String> {
    const NOT_CALLS: &[&str] = &[
        "all",
        "and",
        "any",
        "array",
        "as",
        "between",
        "by",
        "case",
        "distinct",
        "else",
        "except",
        "exists",
        "filter",
        "from",
        "group",
        "having",
        "in",
        "intersect",
        "join",
        "lateral",
        "limit",
        "not",
        "offset",
        "on",
        "or",
        "order",
        "over",
        "partition",
        "row",
        "select",
        "some",
        "then",
        "union",
        "using",
        "values",
        "when",
        "where",
        "within",
    ];
    const ACTS: &[&str] = &[
        "into", "insert", "update", "delete", "merge", "copy", "do", "call", "execute", "for", "lock", "set", "create",
        "drop", "alter", "truncate", "grant", "revoke", "commit", "rollback", "begin", "end", "analyze", "analyse",
    ];
    let sig: Vec<&Token> = toks.iter().filter(|t| t.is_significant()).collect();
    for (k, t) in sig.iter().enumerate() {
        let text = t.text(src);
        let next = sig.get(k + 1).map(|n| n.text(src));
        let name = match t.kind {
            TokKind::Word => text.to_ascii_lowercase(),
            TokKind::QuotedIdent if !text.starts_with(['u', 'U']) => text.trim_matches('"').replace("\"\"", "\""),
            TokKind::QuotedIdent => return Some(format!("has the identifier {text}")),
            TokKind::Op if !lists::is_builtin_operator(text) => return Some(lists::operator_reason(text)),
            _ => continue,
        };
        let after_dot = k > 0 && sig[k - 1].text(src) == ".";
        if t.kind == TokKind::Word && ACTS.contains(&name.as_str()) {
            return Some(format!("has {}", text.to_ascii_uppercase()));
        }
        if next == Some("(")
            && !(t.kind == TokKind::Word && NOT_CALLS.contains(&name.as_str()))
            && (!lists::is_allowed_function(&name) || after_dot)
        {
            return Some(lists::function_reason(&name).0);
        }
        if after_dot && lists::is_field_callable(&name) && !lists::is_allowed_function(&name) {
            return Some(lists::function_reason(&name).0);
        }
    }
    None
}

/// Keywords that make PostgreSQL look an operator up by its symbol, and those symbols.
const IMPLIED_OPERATORS: (&[&str], &[&str]) = (
    &[
        "LIKE", "ILIKE", "IN", "BETWEEN", "USING", "NATURAL", "CASE", "DISTINCT", "SIMILAR", "ANY", "ALL", "SOME",
        "NULLIF",
    ],
    &["=", "<>", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*", "~"],
);

/// An unquoted INTO other than the one of an INSERT INTO or MERGE INTO that the statement is
/// (or explains).
fn stray_into(words: &[&str]) -> bool {
    let head = words
        .iter()
        .position(|w| matches!(*w, "SELECT" | "WITH" | "VALUES" | "TABLE" | "INSERT" | "MERGE" | "UPDATE" | "DELETE"));
    words
        .iter()
        .enumerate()
        .any(|(i, w)| *w == "INTO" && !(head.is_some_and(|h| h + 1 == i && matches!(words[h], "INSERT" | "MERGE"))))
}

fn classify_ast(stmt: &Ast, cx: Cx) -> Verdict {
    match stmt {
        Ast::Query(q) => {
            let mut w = Walk::new(cx);
            w.top.insert(&**q as *const Query);
            let w = w.run(stmt);
            let mut kind = query_kind(q);
            if kind == Kind::Select
                && let Some(dml) = q.with.iter().flat_map(|w| &w.cte_tables).find_map(|c| dml_statement(&c.query.body))
            {
                // A SELECT over a data-modifying CTE is, first of all, that modification.
                kind = dml_kind(dml);
            }
            let mut reasons = Vec::new();
            let mut destructive = false;
            if kind != Kind::Select
                && let Some(inner) = dml_statement(&q.body)
            {
                let v = classify_dml(inner);
                reasons.extend(v.reasons);
                destructive = v.destructive;
            }
            reasons.extend(w.structural);
            reasons.extend(w.effects);
            let class = if reasons.is_empty() { Class::Read } else { Class::Write };
            Verdict { class, kind, destructive: destructive || w.destructive, reasons, mentions: w.mentions }
        }
        Ast::ShowVariable { .. } => Verdict::read(Kind::Show),
        Ast::Explain { analyze, statement, options, .. } => {
            classify_explain(*analyze, statement, options.as_deref(), cx)
        }
        Ast::Copy { source, to, target, .. } => classify_copy(stmt, source, *to, target, cx),
        Ast::Insert(_) | Ast::Update(_) | Ast::Delete(_) | Ast::Merge(_) => {
            let mut v = classify_dml(stmt);
            let w = Walk::new(cx).run(stmt);
            v.reasons.extend(w.effects);
            v.destructive |= w.destructive;
            v.mentions = w.mentions;
            v
        }
        Ast::AlterTable(at) => {
            let dropping = at.operations.iter().any(|op| op.to_string().to_ascii_uppercase().starts_with("DROP"));
            let reason = if dropping {
                format!("ALTER TABLE {} drops part of the table, and its data with it", at.name)
            } else {
                format!("ALTER TABLE {} changes the schema", at.name)
            };
            Verdict::write(Kind::Ddl, vec![reason], dropping)
        }
        Ast::Drop { object_type, names, .. } => {
            let names: Vec<String> = names.iter().map(ToString::to_string).collect();
            let reason = format!("DROP {object_type} {} destroys it and everything stored in it", names.join(", "));
            Verdict::write(Kind::Ddl, vec![reason], true)
        }
        Ast::Truncate(t) => {
            let names: Vec<String> = t.table_names.iter().map(|n| n.name.to_string()).collect();
            Verdict::write(Kind::Ddl, vec![format!("TRUNCATE {} removes every row", names.join(", "))], true)
        }
        Ast::CreateTable(ct) if ct.query.is_some() => {
            Verdict::write(Kind::Ddl, vec![format!("CREATE TABLE {} AS creates a table from a query", ct.name)], false)
        }
        // Everything else is a write; the keyword table supplies the reason.
        _ => Verdict::write(Kind::Other, vec![], false),
    }
}

fn query_kind(q: &Query) -> Kind {
    dml_statement(&q.body).map_or(Kind::Select, dml_kind)
}

fn dml_kind(stmt: &Ast) -> Kind {
    match stmt {
        Ast::Insert(_) => Kind::Insert,
        Ast::Update(_) => Kind::Update,
        Ast::Delete(_) => Kind::Delete,
        Ast::Merge(_) => Kind::Merge,
        _ => Kind::Other,
    }
}

fn dml_statement(body: &SetExpr) -> Option<&Ast> {
    match body {
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) => Some(s),
        SetExpr::Query(q) => dml_statement(&q.body),
        _ => None,
    }
}

/// "deletes from users", for reasons about DML found anywhere.
fn dml_phrase(stmt: &Ast) -> String {
    match stmt {
        Ast::Insert(i) => format!("inserts into {}", i.table),
        Ast::Update(u) => format!("updates {}", u.table.relation),
        Ast::Delete(d) => format!("deletes from {}", delete_target(d)),
        Ast::Merge(m) => format!("merges into {}", m.table),
        other => format!("runs {}", clip(&other.to_string())),
    }
}

fn delete_target(d: &sqlparser::ast::Delete) -> String {
    let tables = match &d.from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
    };
    tables.iter().map(|t| t.relation.to_string()).collect::<Vec<_>>().join(", ")
}

fn classify_dml(stmt: &Ast) -> Verdict {
    match stmt {
        Ast::Insert(i) => Verdict::write(Kind::Insert, vec![format!("INSERT INTO {} adds rows", i.table)], false),
        Ast::Update(u) => {
            let target = u.table.relation.to_string();
            let (reason, destructive) = match &u.selection {
                None => (format!("UPDATE {target} has no WHERE clause: it changes every row"), true),
                Some(w) if always_true(w) => (
                    format!(
                        "UPDATE {target} has a WHERE clause that is always true ({}): it changes every row",
                        clip(&w.to_string())
                    ),
                    true,
                ),
                Some(_) => (format!("UPDATE {target} changes rows"), false),
            };
            Verdict::write(Kind::Update, vec![reason], destructive)
        }
        Ast::Delete(d) => {
            let target = delete_target(d);
            let (reason, destructive) = match &d.selection {
                None => (format!("DELETE FROM {target} has no WHERE clause: it removes every row"), true),
                Some(w) if always_true(w) => (
                    format!(
                        "DELETE FROM {target} has a WHERE clause that is always true ({}): it removes every row",
                        clip(&w.to_string())
                    ),
                    true,
                ),
                Some(_) => (format!("DELETE FROM {target} removes rows"), false),
            };
            Verdict::write(Kind::Delete, vec![reason], destructive)
        }
        Ast::Merge(m) => {
            Verdict::write(Kind::Merge, vec![format!("MERGE INTO {} inserts, updates or deletes rows", m.table)], false)
        }
        other => Verdict::write(Kind::Other, vec![format!("runs {}", clip(&other.to_string()))], false),
    }
}

fn classify_explain(
    analyze_kw: bool,
    inner: &Ast,
    options: Option<&[sqlparser::ast::UtilityOption]>,
    cx: Cx,
) -> Verdict {
    // PostgreSQL applies options in order: the last ANALYZE setting wins.
    let mut analyze = Some(analyze_kw);
    for opt in options.unwrap_or(&[]) {
        if opt.name.value.eq_ignore_ascii_case("analyze") || opt.name.value.eq_ignore_ascii_case("analyse") {
            analyze = match &opt.arg {
                None => Some(true),
                Some(arg) => explain_bool(arg),
            };
        }
    }
    let Some(analyze) = analyze else {
        return Verdict::write(
            Kind::Explain,
            vec!["EXPLAIN has an ANALYZE option whose value is not a boolean".into()],
            false,
        );
    };
    if analyze || analyze_kw {
        let v = classify_ast(inner, cx);
        if v.class == Class::Read {
            return Verdict { kind: Kind::Explain, ..v };
        }
        let mut reasons = vec!["EXPLAIN ANALYZE executes the statement it explains".to_string()];
        reasons.extend(v.reasons);
        return Verdict::write(Kind::Explain, reasons, v.destructive);
    }
    // Plain EXPLAIN only plans, but planning may evaluate functions.
    match inner {
        Ast::Query(_) | Ast::Insert(_) | Ast::Update(_) | Ast::Delete(_) | Ast::Merge(_) => {
            let w = Walk::new(cx).run(inner);
            let mut v = if w.effects.is_empty() {
                Verdict::read(Kind::Explain)
            } else {
                Verdict::write(Kind::Explain, w.effects, w.destructive)
            };
            v.mentions = w.mentions;
            v
        }
        other => Verdict::write(
            Kind::Explain,
            vec![format!("EXPLAIN of {} cannot be proven read-only", clip(&other.to_string()))],
            false,
        ),
    }
}

fn explain_bool(arg: &Expr) -> Option<bool> {
    let text = match arg {
        Expr::Value(v) => match &v.value {
            Value::Boolean(b) => return Some(*b),
            Value::Number(n, _) => n.clone(),
            Value::SingleQuotedString(s) => s.clone(),
            _ => return None,
        },
        Expr::Identifier(Ident { value, .. }) => value.clone(),
        _ => return None,
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "1" => Some(true),
        "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn classify_copy(stmt: &Ast, source: &CopySource, to: bool, target: &CopyTarget, cx: Cx) -> Verdict {
    let what = match source {
        CopySource::Table { table_name, .. } => table_name.to_string(),
        CopySource::Query(_) => "(query)".to_string(),
    };
    if !to {
        return Verdict::write(Kind::Copy, vec![format!("COPY {what} FROM loads rows into the table")], false);
    }
    match target {
        CopyTarget::Stdout => {
            let w = Walk::new(cx).run(stmt);
            let mut reasons = w.structural;
            reasons.extend(w.effects);
            let class = if reasons.is_empty() { Class::Read } else { Class::Write };
            Verdict { class, kind: Kind::Copy, destructive: w.destructive, reasons, mentions: w.mentions }
        }
        CopyTarget::Program { .. } => Verdict::write(
            Kind::Copy,
            vec!["COPY … TO PROGRAM runs a shell command on the database server".into()],
            true,
        ),
        CopyTarget::File { .. } => {
            Verdict::write(Kind::Copy, vec!["COPY … TO a file writes a file on the database server".into()], false)
        }
        CopyTarget::Stdin => Verdict::write(Kind::Copy, vec![format!("COPY {what} TO STDIN is not a read")], false),
    }
}

/// Collects what makes a statement not a plain read, anywhere in its tree.
struct Walk<'a> {
    cx: Cx<'a>,
    /// Things that change data or take locks when run (not when only planned).
    structural: Vec<String>,
    /// Calls, casts and operators that may have side effects even when only planned.
    effects: Vec<String>,
    destructive: bool,
    /// Queries whose DML body is reported elsewhere (the top level, CTE bodies).
    top: HashSet<*const Query>,
    mentions: Mentions,
    /// FROM items' names (alias, else the relation's own name) → the relations they stand for.
    aliases: HashMap<String, Vec<String>>,
    /// `q.name` seen in expressions, checked once the FROM items are known: (q's parts, name).
    fields: Vec<(Vec<String>, Ident)>,
}

impl<'a> Walk<'a> {
    fn new(cx: Cx<'a>) -> Self {
        Walk {
            cx,
            structural: vec![],
            effects: vec![],
            destructive: false,
            top: HashSet::new(),
            mentions: Mentions::default(),
            aliases: HashMap::new(),
            fields: vec![],
        }
    }

    fn run<V: Visit>(mut self, node: &V) -> Self {
        let _ = node.visit(&mut self);
        self.finish_fields();
        self
    }

    /// A user function PostgreSQL may call for `q.name`, unless `q` is a relation with that column.
    fn finish_fields(&mut self) {
        let Some(catalog) = self.cx.catalog else { return };
        for (qualifier, field) in std::mem::take(&mut self.fields) {
            let name = fold(&field);
            let relations: Vec<String> = match qualifier.as_slice() {
                [alias] => self.aliases.get(alias).cloned().unwrap_or_default(),
                [] => vec![],
                parts => vec![canonical(parts)],
            };
            let has_column = !relations.is_empty()
                && relations.iter().all(|r| {
                    catalog
                        .relations
                        .get(r)
                        .is_some_and(|rel| rel.as_ref().is_some_and(|rel| rel.columns.contains(&name)))
                });
            if has_column {
                continue;
            }
            match catalog.field_function(&name) {
                Some(Ok(reason)) | Some(Err(reason)) => self.effects.push(reason),
                None => {}
            }
        }
    }
}

/// `"schema"."name"`: each part as PostgreSQL folded it, quoted, so that `to_regclass` and
/// `to_regtype` read it back exactly.
pub fn canonical(parts: &[String]) -> String {
    parts.iter().map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect::<Vec<_>>().join(".")
}

fn canonical_name(name: &ObjectName) -> Option<String> {
    let parts: Vec<String> = name.0.iter().map(|p| p.as_ident().map(fold)).collect::<Option<_>>()?;
    Some(canonical(&parts))
}

impl Visitor for Walk<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                if let Some(inner) = dml_statement(&cte.query.body) {
                    self.structural.push(format!(
                        "data-modifying CTE `{}` {}",
                        cte.alias.name.value,
                        dml_phrase(inner)
                    ));
                    self.top.insert(&*cte.query as *const Query);
                }
            }
        }
        if !self.top.contains(&(q as *const Query))
            && let Some(inner) = dml_statement(&q.body)
        {
            self.structural.push(format!("a nested statement {}", dml_phrase(inner)));
        }
        for lock in &q.locks {
            let mode = match lock.lock_type {
                LockType::Share => "SHARE",
                LockType::Update => "UPDATE",
            };
            self.structural.push(format!("locking clause FOR {mode} locks the rows it reads"));
        }
        if q.for_clause.is_some() || q.settings.is_some() || q.format_clause.is_some() || !q.pipe_operators.is_empty() {
            self.structural.push("uses a clause PostgreSQL does not have".into());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        if let Some(into) = &s.into {
            let targets: Vec<String> = into.targets.iter().map(ToString::to_string).collect();
            self.structural.push(format!("SELECT … INTO {} creates a table", targets.join(", ")));
        }
        if s.top.is_some() || s.prewhere.is_some() || !s.lateral_views.is_empty() || !s.connect_by.is_empty() {
            self.structural.push("uses a clause PostgreSQL does not have".into());
        }
        for item in &s.projection {
            if let SelectItem::ExprWithAlias { expr, alias } = item
                && alias.quote_style == Some('\'')
            {
                self.check_typed_literal(expr, &alias.value);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Function(f) if type_keyword(&f.name).is_some() => {
                let kw = type_keyword(&f.name).unwrap_or_default();
                self.structural.push(format!(
                    "has {kw}(…), which PostgreSQL reads as the type {kw}, not a call, and rejects here; write \"{kw}\"(…) or CAST(… AS {kw})"
                ));
            }
            // `ARRAY(SELECT …)`: ARRAY is reserved, so unquoted it is the array of a subquery's rows, never a call.
            Expr::Function(f) if array_of_subquery(f) => {}
            // `inet(x)`, `regtype('int4')`: a built-in type's name called with one argument is a cast.
            Expr::Function(f) => self.check_function(&f.name, one_argument(f)),
            Expr::Cast { data_type, .. } => self.check_type(data_type),
            Expr::TypedString(ts) => self.check_type(&ts.data_type),
            Expr::BinaryOp { op, .. } => self.check_binary(op),
            Expr::UnaryOp { op, .. } => self.check_unary(op),
            Expr::Identifier(id) => self.check_name(id),
            // `a.b.c`: every name after a dot may be a function PostgreSQL calls on what precedes it.
            Expr::CompoundIdentifier(parts) => {
                parts.iter().take(1).for_each(|p| self.check_name(p));
                for (i, p) in parts.iter().enumerate().skip(1) {
                    self.check_field_call(p, parts[..i].iter().map(fold).collect());
                }
            }
            Expr::CompoundFieldAccess { access_chain, .. } => {
                for access in access_chain {
                    match access {
                        AccessExpr::Dot(Expr::Identifier(id)) => self.check_field_call(id, vec![]),
                        AccessExpr::Dot(Expr::CompoundIdentifier(ids)) => {
                            ids.iter().for_each(|id| self.check_field_call(id, vec![]))
                        }
                        AccessExpr::Dot(_) | AccessExpr::Subscript(_) => {}
                    }
                }
            }
            Expr::Lambda(_)
            | Expr::Prior(_)
            | Expr::Convert { .. }
            | Expr::In { target: InTarget::Unnest(_) | InTarget::Table { .. }, .. } => {
                self.effects.push("uses an expression PostgreSQL does not have".into())
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { alias: Some(alias), .. }
        | TableFactor::Derived { alias: Some(alias), .. }
        | TableFactor::Function { alias: Some(alias), .. }
        | TableFactor::UNNEST { alias: Some(alias), .. } = tf
        {
            self.check_name(&alias.name);
            if alias.name.quote_style == Some('\'') {
                self.structural.push(format!("has the string '{}' where PostgreSQL expects a name", alias.name.value));
            }
            // A column definition list (`AS t(a mytype)`) converts to its types.
            alias.columns.iter().filter_map(|c| c.data_type.as_ref()).for_each(|dt| self.check_type(dt));
        }
        if let TableFactor::Table { name, args: None, alias, .. } = tf {
            for part in name.0.iter().filter_map(ObjectNamePart::as_ident) {
                self.check_name(part);
                if part.quote_style == Some('\'') {
                    self.structural.push(format!("has the string '{}' where PostgreSQL expects a table", part.value));
                }
            }
            if let Some(key) = canonical_name(name) {
                let label = match alias {
                    Some(a) => fold(&a.name),
                    None => name.0.last().and_then(ObjectNamePart::as_ident).map(fold).unwrap_or_default(),
                };
                self.aliases.entry(label).or_default().push(key.clone());
                self.check_relation(&key);
                self.mentions.relations.insert(key);
            }
        }
        match tf {
            TableFactor::Table { name, args: Some(_), .. } | TableFactor::Function { name, .. } => {
                self.check_function(name, false)
            }
            TableFactor::Pivot { .. }
            | TableFactor::Unpivot { .. }
            | TableFactor::MatchRecognize { .. }
            | TableFactor::OpenJsonTable { .. }
            | TableFactor::SemanticView { .. } => self.effects.push("uses a FROM item PostgreSQL does not have".into()),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// SQL's type keywords (col_name_keyword in gram.y): unquoted, never a function's name.
fn type_keyword(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] if id.quote_style.is_none() => {
            let lower = id.value.to_ascii_lowercase();
            const KEYWORDS: &[&str] = &[
                "bigint",
                "bit",
                "boolean",
                "char",
                "character",
                "dec",
                "decimal",
                "float",
                "int",
                "integer",
                "interval",
                "national",
                "nchar",
                "numeric",
                "precision",
                "real",
                "smallint",
                "time",
                "timestamp",
                "varchar",
            ];
            KEYWORDS.contains(&lower.as_str()).then_some(lower)
        }
        _ => None,
    }
}

fn array_of_subquery(f: &Function) -> bool {
    matches!(f.name.0.as_slice(), [ObjectNamePart::Identifier(id)] if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("array"))
        && matches!(f.args, FunctionArguments::Subquery(_))
}

fn one_argument(f: &Function) -> bool {
    matches!(&f.args, FunctionArguments::List(l) if l.args.len() == 1 && l.clauses.is_empty() && l.duplicate_treatment.is_none())
        && f.over.is_none()
        && f.filter.is_none()
        && f.within_group.is_empty()
}

/// PostgreSQL's case folding: unquoted names are lower-cased, quoted ones kept.
fn fold(ident: &Ident) -> String {
    if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_ascii_lowercase() }
}

/// The unqualified name, if the object is unqualified or in pg_catalog.
fn builtin_name(name: &ObjectName) -> Result<String, String> {
    unqualified_or_catalog(name).map(|(n, _)| n)
}

/// The name, and whether it was written `pg_catalog.name`; Err for any other qualification.
fn unqualified_or_catalog(name: &ObjectName) -> Result<(String, bool), String> {
    let parts: Vec<&Ident> = name.0.iter().filter_map(ObjectNamePart::as_ident).collect();
    if parts.len() != name.0.len() || parts.is_empty() {
        return Err(name.to_string());
    }
    match parts.as_slice() {
        [one] => Ok((fold(one), false)),
        [schema, one] if fold(schema) == "pg_catalog" => Ok((fold(one), true)),
        _ => Err(parts.iter().map(|p| shown(p)).collect::<Vec<_>>().join(".")),
    }
}

/// A name as the user would write it: quoted only where it has to be.
fn shown(id: &Ident) -> String {
    let plain = id.value.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && id.value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if id.quote_style.is_none() || plain { id.value.clone() } else { id.to_string() }
}

impl Walk<'_> {
    /// A call by name. `cast_form`: called with one plain argument, so a built-in type's name
    /// is a function-style cast.
    fn check_function(&mut self, name: &ObjectName, cast_form: bool) {
        let (f, qualified) = match unqualified_or_catalog(name) {
            Ok(found) => found,
            Err(full) => return self.effects.push(format!("calls {full}(), which is not a built-in function")),
        };
        let mut lifted = false;
        if !qualified {
            self.mentions.functions.insert(f.clone());
            if let Some(catalog) = self.cx.catalog {
                // Overloads win by argument types, not by schema: any function of the name may be the one called.
                if let Some(Ok(reason) | Err(reason)) = catalog.shadow(&f) {
                    return self.effects.push(reason);
                }
                lifted = catalog.trusted_function(&f);
            }
        }
        if lists::is_allowed_function(&f) || lifted || (cast_form && lists::is_builtin_type(&f)) {
            return;
        }
        let (reason, destructive) = lists::function_reason(&f);
        self.destructive |= destructive;
        self.effects.push(reason);
    }

    /// What reading `key` runs besides the rows: a view's query, row-level-security policies, rules.
    fn check_relation(&mut self, key: &str) {
        let Some(catalog) = self.cx.catalog else { return };
        let Some(found) = catalog.relations.get(key) else {
            return self.effects.push(catalog::not_known("relation", key));
        };
        let Some(rel) = found else { return };
        let deeper = Cx { catalog: Some(catalog), depth: self.cx.depth + 1 };
        if let Some(definition) = &rel.definition {
            if deeper.depth > MAX_VIEW_DEPTH {
                return self.effects.push(format!(
                    "reads the view {key} through more than {MAX_VIEW_DEPTH} views, too deep to prove read-only"
                ));
            }
            if let Some(why) = first_write(definition, deeper) {
                self.effects.push(format!("reads the view {key}, whose query is not a read: {why}"));
            }
        }
        if rel.row_security {
            for policy in &rel.policies {
                if let Some(why) = first_write(&format!("SELECT {policy}"), deeper) {
                    self.effects.push(format!(
                        "reads {key}, whose row-level security policy USING ({}) is not a read: {why}",
                        clip(policy)
                    ));
                }
            }
        }
        if !rel.rules.is_empty() {
            self.effects.push(format!(
                "reads {key}, which has the rule {}: a rule can make reading it run other statements",
                rel.rules.join(", ")
            ));
        }
    }

    fn check_type(&mut self, dt: &DataType) {
        if pg_type_name(dt).is_some_and(|t| lists::is_builtin_type(&t)) {
            return;
        }
        let Some(key) = type_key(dt) else {
            return self
                .effects
                .push(format!("casts to {dt}, which is not a built-in type and may run a user-defined function"));
        };
        self.mentions.types.insert(key.clone());
        let Some(catalog) = self.cx.catalog else {
            return self
                .effects
                .push(format!("casts to {dt}, which is not a built-in type and may run a user-defined function"));
        };
        let deeper = Cx { catalog: Some(catalog), depth: self.cx.depth + 1 };
        let why = match catalog.types.get(&key) {
            None => catalog::not_known("type", &key),
            Some(TypeFact::Missing | TypeFact::Builtin | TypeFact::Enum { user_cast: false }) => return,
            Some(TypeFact::Enum { user_cast: true }) => {
                format!("casts to the enum {dt}, which has a cast with a user-defined function")
            }
            Some(TypeFact::Domain { user_cast: true, .. }) => {
                format!("casts to the domain {dt}, which has a cast with a user-defined function")
            }
            Some(TypeFact::Domain { builtin_base: false, base, .. }) => {
                format!("casts to the domain {dt}, whose base type {base} is not a built-in type")
            }
            Some(TypeFact::Domain { checks, .. }) => {
                let found = checks.iter().find_map(|c| {
                    let expr = c.strip_prefix("CHECK ").unwrap_or(c);
                    first_write(&format!("SELECT {expr}"), deeper)
                        .map(|why| format!("{} is not a read: {why}", clip(c)))
                });
                match found {
                    None if deeper.depth <= MAX_VIEW_DEPTH => return,
                    None => format!("casts to the domain {dt}, nested too deep to prove read-only"),
                    Some(why) => format!("casts to the domain {dt}, whose {why}"),
                }
            }
            Some(TypeFact::Other { extension: Some(e), .. }) if catalog::is_trusted_extension(e) => return,
            Some(TypeFact::Other { typtype, .. }) => {
                format!("casts to {dt}, a user-defined type ({typtype}) whose input function is not a built-in")
            }
        };
        self.effects.push(why);
    }

    /// sqlparser reads `mytype 'x'` in a select list as a column with a string alias;
    /// PostgreSQL reads a literal of type `mytype`.
    fn check_typed_literal(&mut self, expr: &Expr, literal: &str) {
        let name = match expr {
            Expr::Identifier(id) => ObjectName::from(vec![id.clone()]),
            Expr::CompoundIdentifier(ids) => ObjectName::from(ids.clone()),
            other => {
                let reason = format!(
                    "has the string '{}' after {}, which PostgreSQL does not read as an alias",
                    clip(literal),
                    clip(&other.to_string())
                );
                return self.structural.push(reason);
            }
        };
        if !builtin_name(&name).is_ok_and(|t| lists::is_builtin_type(&t)) {
            self.effects.push(format!(
                "PostgreSQL reads {name} '{}' as a literal of type {name}, which is not a built-in type and may run a user-defined function",
                clip(literal)
            ));
        }
    }

    /// sqlparser takes some of PostgreSQL's reserved words for names where PostgreSQL
    /// refuses them (`FROM FROM t`, `SELECT SELECT`): such a text is not a read.
    fn check_name(&mut self, id: &Ident) {
        if id.quote_style.is_none() && lists::is_reserved_word(&id.value.to_ascii_lowercase()) {
            self.structural.push(format!(
                "uses the reserved word {} as a name, which PostgreSQL rejects",
                id.value.to_ascii_uppercase()
            ));
        }
    }

    /// `x.name` and `(expr).name` are a call of `name(x)` when `x` has no column `name`.
    fn check_field_call(&mut self, field: &Ident, qualifier: Vec<String>) {
        let name = fold(field);
        self.mentions.functions.insert(name.clone());
        self.fields.push((qualifier, field.clone()));
        if lists::is_field_callable(&name) && !lists::is_allowed_function(&name) {
            let (why, destructive) = lists::function_reason(&name);
            self.destructive |= destructive;
            self.effects.push(format!(
                "{why}: it is written .{name}, without parentheses, and PostgreSQL calls {name}(x) for x.{name} when x has no column of that name"
            ));
        }
    }

    fn check_binary(&mut self, op: &BinaryOperator) {
        let symbol = match op {
            BinaryOperator::PGCustomBinaryOperator(parts) => match parts.as_slice() {
                [schema, sym] if schema.eq_ignore_ascii_case("pg_catalog") => sym.clone(),
                [sym] => sym.clone(),
                _ => String::new(),
            },
            other => other.to_string(),
        };
        if !lists::is_builtin_operator(&symbol) {
            self.effects.push(lists::operator_reason(&op.to_string()));
        } else if let Some(reason) = self.cx.catalog.and_then(|c| c.operator(&symbol)) {
            self.effects.push(reason);
        }
    }

    fn check_unary(&mut self, op: &UnaryOperator) {
        let symbol = op.to_string();
        if !lists::is_builtin_operator(symbol.trim()) {
            self.effects.push(lists::operator_reason(&op.to_string()));
        } else if let Some(reason) = self.cx.catalog.and_then(|c| c.operator(symbol.trim())) {
            self.effects.push(reason);
        }
    }
}

/// An array type's element type (None for an array of no stated type).
fn element_type(dt: &DataType) -> Option<&DataType> {
    match dt {
        DataType::Array(
            ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::Parenthesis(inner)
            | ArrayElemTypeDef::Qualified(inner, _),
        ) => Some(inner),
        _ => None,
    }
}

/// The catalog's key for a type that is not built in: its name as written, canonical.
fn type_key(dt: &DataType) -> Option<String> {
    match dt {
        DataType::Custom(name, _) => canonical_name(name),
        DataType::Array(_) => element_type(dt).and_then(type_key),
        other => pg_type_name(other).map(|n| canonical(&[n])),
    }
}

/// The first reason `sql` (a view's query, a policy's or a check's expression) is not a
/// read, with the catalog; None when every statement in it is a read.
fn first_write(sql: &str, cx: Cx) -> Option<String> {
    let review = super::review_at(sql, cx);
    if review.verdict() == Class::Read {
        return None;
    }
    let reason = review.writes().flat_map(|s| s.reasons.first()).next().cloned();
    Some(reason.unwrap_or_else(|| "cannot be proven read-only".into()))
}

/// The name PostgreSQL resolves a type to, or None when sqlparser reports a type PostgreSQL
/// does not have built in. SQL's own spellings (`integer`, `double precision`, …) are grammar
/// keywords that always mean the pg_catalog type; any other name is looked up like a user's.
fn pg_type_name(dt: &DataType) -> Option<String> {
    match dt {
        DataType::Custom(name, _) => builtin_name(name).ok(),
        DataType::Array(_) => element_type(dt).and_then(pg_type_name),
        other => {
            // The printed type without its modifiers: `TIMESTAMP(3) WITH TIME ZONE` → `timestamp with time zone`.
            let printed = other.to_string().to_ascii_lowercase();
            let mut plain = String::new();
            let mut depth = 0usize;
            for c in printed.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ if depth == 0 => plain.push(c),
                    _ => {}
                }
            }
            let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
            let name = match plain.as_str() {
                "int" | "integer" => "int4",
                "smallint" => "int2",
                "bigint" => "int8",
                "real" => "float4",
                "float" | "double precision" => "float8",
                "decimal" | "dec" => "numeric",
                "boolean" => "bool",
                "character varying" | "char varying" => "varchar",
                "character" | "char" | "nchar" | "national character" | "national char" => "bpchar",
                "bit varying" => "varbit",
                "timestamp without time zone" => "timestamp",
                "timestamp with time zone" => "timestamptz",
                "time without time zone" => "time",
                "time with time zone" => "timetz",
                p if p.starts_with("interval") => "interval",
                p => p,
            };
            Some(name.to_string())
        }
    }
}

/// Is this WHERE clause provably true for every row (ignoring NULLs)?
fn always_true(e: &Expr) -> bool {
    eval(e) == Some(true)
}

/// A three-valued constant folder, for the shapes people write by accident or to trick a check.
fn eval(e: &Expr) -> Option<bool> {
    use BinaryOperator as B;
    match e {
        Expr::Nested(inner) => eval(inner),
        Expr::Value(v) => match &v.value {
            Value::Boolean(b) => Some(*b),
            Value::SingleQuotedString(s) => match s.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        },
        Expr::Cast { expr, .. } => eval(expr),
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => eval(expr).map(|b| !b),
        Expr::BinaryOp { left, op: B::And, right } => match (eval(left), eval(right)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::BinaryOp { left, op: B::Or, right } => match (eval(left), eval(right)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::BinaryOp { left, op, right } => compare(left, op, right),
        Expr::IsNull(inner) => is_null_literal(inner),
        Expr::IsNotNull(inner) => is_null_literal(inner).map(|b| !b),
        Expr::Like { negated: false, pattern, .. } | Expr::ILike { negated: false, pattern, .. } => {
            match pattern.as_ref() {
                Expr::Value(v) if matches!(&v.value, Value::SingleQuotedString(s) if !s.is_empty() && s.chars().all(|c| c == '%')) => {
                    Some(true)
                }
                _ => None,
            }
        }
        Expr::Between { expr, negated: false, low, high } if same(expr, low) && same(expr, high) => Some(true),
        Expr::In { expr, target: InTarget::List(list), negated: false, .. } => {
            // Printed once, and only while small: nobody writes a tautology that long.
            let left = expr.to_string();
            (left.len() <= MAX_PRINTED && list.iter().any(|x| x.to_string() == left)).then_some(true)
        }
        Expr::Exists { subquery, negated } => {
            let trivially = matches!(subquery.body.as_ref(), SetExpr::Select(s) if s.from.is_empty() && s.selection.is_none() && s.having.is_none());
            if trivially { Some(!negated) } else { None }
        }
        _ => None,
    }
}

fn is_null_literal(e: &Expr) -> Option<bool> {
    match e {
        Expr::Value(v) if matches!(v.value, Value::Null) => Some(true),
        Expr::Value(_) => Some(false),
        Expr::Nested(inner) => is_null_literal(inner),
        _ => None,
    }
}

/// Above this many bytes, an expression is not printed to be compared with another.
const MAX_PRINTED: usize = 64 * 1024;

fn same(a: &Expr, b: &Expr) -> bool {
    let a = a.to_string();
    a.len() <= MAX_PRINTED && a == b.to_string()
}

fn number(e: &Expr) -> Option<f64> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => number(inner),
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => number(expr).map(|n| -n),
        Expr::UnaryOp { op: UnaryOperator::Plus, expr } => number(expr),
        _ => None,
    }
}

fn string(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string(inner),
        _ => None,
    }
}

fn compare(l: &Expr, op: &BinaryOperator, r: &Expr) -> Option<bool> {
    use BinaryOperator as B;
    use std::cmp::Ordering;
    if !matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq) {
        return None;
    }
    let ord = if let (Some(a), Some(b)) = (number(l), number(r)) {
        a.partial_cmp(&b)?
    } else if let (Some(a), Some(b)) = (string(l), string(r)) {
        a.cmp(b)
    } else if let (Some(a), Some(b)) = (eval(l), eval(r)) {
        a.cmp(&b)
    } else if same(l, r) && !contains_volatile(l) {
        Ordering::Equal
    } else {
        return None;
    };
    match op {
        B::Eq => Some(ord == Ordering::Equal),
        B::NotEq => Some(ord != Ordering::Equal),
        B::Lt => Some(ord == Ordering::Less),
        B::LtEq => Some(ord != Ordering::Greater),
        B::Gt => Some(ord == Ordering::Greater),
        B::GtEq => Some(ord != Ordering::Less),
        _ => None,
    }
}

/// `random() = random()` is not a tautology.
fn contains_volatile(e: &Expr) -> bool {
    e.to_string().contains('(')
}

/// `FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE`, `FOR KEY SHARE`, found in the words.
fn token_locks(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w != "FOR" {
            continue;
        }
        let clause = match &words[i + 1..] {
            ["UPDATE", ..] => "FOR UPDATE",
            ["NO", "KEY", "UPDATE", ..] => "FOR NO KEY UPDATE",
            ["SHARE", ..] => "FOR SHARE",
            ["KEY", "SHARE", ..] => "FOR KEY SHARE",
            _ => continue,
        };
        out.push(format!("locking clause {clause} locks the rows it reads"));
    }
    out
}

/// Kind, reason and destructive flag from the statement's leading words alone.
fn keyword_info(first: &str, words: &[&str], top_level_where: bool) -> (Kind, Option<String>, bool) {
    let second = words.get(1).copied().unwrap_or("");
    let has = |w: &str| words.contains(&w);
    let (kind, reason, destructive): (Kind, String, bool) = match first {
        "" => (Kind::Empty, "there is no SQL statement here, only comments or nothing".into(), false),
        "SELECT" | "WITH" | "TABLE" | "VALUES" | "(" => (Kind::Select, String::new(), false),
        "SHOW" => (Kind::Show, String::new(), false),
        "EXPLAIN" => (Kind::Explain, String::new(), false),
        "COPY" => (Kind::Copy, String::new(), false),
        "INSERT" => (Kind::Insert, "INSERT adds rows".into(), false),
        "UPDATE" => (Kind::Update, "UPDATE changes rows".into(), !top_level_where),
        "DELETE" => (Kind::Delete, "DELETE removes rows".into(), !top_level_where),
        "MERGE" => (Kind::Merge, "MERGE inserts, updates or deletes rows".into(), false),
        "DROP" => (Kind::Ddl, format!("DROP {second} destroys it and everything stored in it"), true),
        "TRUNCATE" => (Kind::Ddl, "TRUNCATE removes every row".into(), true),
        "ALTER" if has("DROP") => {
            (Kind::Ddl, format!("ALTER {second} … DROP removes part of the schema, and its data"), true)
        }
        "ALTER" if second == "SYSTEM" => (Kind::Set, "ALTER SYSTEM changes the server's configuration".into(), false),
        "CREATE" | "ALTER" | "COMMENT" | "SECURITY" | "IMPORT" => {
            (Kind::Ddl, format!("{first} {second} changes the schema"), false)
        }
        "GRANT" | "REVOKE" => (Kind::Dcl, format!("{first} changes privileges"), false),
        "BEGIN" | "START" if has("WRITE") => {
            (Kind::Transaction, format!("{first} … READ WRITE opens a transaction that can write"), false)
        }
        "BEGIN" | "START" => (
            Kind::Transaction,
            format!("{first} opens a transaction; warroom runs each read in its own read-only one"),
            false,
        ),
        "COMMIT" | "END" => {
            (Kind::Transaction, format!("{first} ends the read-only transaction, so what follows could write"), false)
        }
        "ROLLBACK" | "ABORT" => {
            (Kind::Transaction, format!("{first} ends the read-only transaction, so what follows could write"), false)
        }
        "SAVEPOINT" | "RELEASE" => (Kind::Transaction, format!("{first} is transaction control"), false),
        "PREPARE" if second == "TRANSACTION" => {
            (Kind::Transaction, "PREPARE TRANSACTION is transaction control".into(), false)
        }
        "PREPARE" | "DEALLOCATE" => {
            (Kind::Prepare, format!("{first} changes prepared statements, which outlive the read"), false)
        }
        "EXECUTE" => (Kind::Execute, "EXECUTE runs a prepared statement whose text is not shown here".into(), false),
        "SET" if has("ROLE") => (Kind::Set, "SET ROLE changes which role the session acts as".into(), false),
        "SET" if has("AUTHORIZATION") => {
            (Kind::Set, "SET SESSION AUTHORIZATION changes which user the session acts as".into(), false)
        }
        "SET" if has("WRITE") || has("TRANSACTION_READ_ONLY") || has("DEFAULT_TRANSACTION_READ_ONLY") => {
            (Kind::Set, "SET … READ WRITE lifts the read-only protection".into(), false)
        }
        "SET" => (Kind::Set, "SET changes a session setting".into(), false),
        "RESET" => (Kind::Set, "RESET changes a session setting, and can lift the read-only protection".into(), false),
        "DISCARD" => (Kind::Discard, "DISCARD drops session state".into(), false),
        "DO" => (Kind::Do, "DO runs an anonymous code block, which can do anything".into(), false),
        "CALL" => (Kind::Call, "CALL runs a procedure, which can write and commit".into(), false),
        "DECLARE" | "FETCH" | "MOVE" | "CLOSE" => {
            (Kind::Cursor, format!("{first} works with a cursor, which outlives the read"), false)
        }
        "LISTEN" | "UNLISTEN" => (Kind::Listen, format!("{first} changes what this session listens to"), false),
        "NOTIFY" => (Kind::Notify, "NOTIFY sends a message to other sessions".into(), false),
        "LOCK" => (Kind::Lock, "LOCK takes a table lock that can block production traffic".into(), false),
        "VACUUM" | "ANALYZE" | "ANALYSE" | "REINDEX" | "CLUSTER" | "CHECKPOINT" | "REFRESH" => {
            (Kind::Maintenance, format!("{first} is maintenance work that writes and takes locks"), false)
        }
        "LOAD" => (Kind::Other, "LOAD loads a shared library into the server".into(), false),
        other => (Kind::Unparsed, format!("{} is not a statement warroom can prove read-only", clip(other)), false),
    };
    let reason = if reason.is_empty() { None } else { Some(reason) };
    (kind, reason, destructive)
}
