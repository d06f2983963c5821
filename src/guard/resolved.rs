//! The second proof: what PostgreSQL itself resolved for a statement, judged by OID.
//!
//! The server sends its analysed tree ([`super::tree`]); every function, operator, aggregate,
//! window function, relation and cast in it is named by OID, as resolved for this statement
//! now. A read passes only when every one of them is built in and on the guard's allowlist,
//! or a reviewed C function of a trusted extension, and when every view it reads, every
//! SELECT policy of a table it reads and every domain check of the database passes the same
//! test, read from their stored trees (never their text re-parsed).
//!
//! Pure: `db::resolve` fetches the tree and the facts; this decides.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::tree::{Node, Tree, Value};

/// OIDs below this are assigned by initdb: the server's own objects.
pub const FIRST_NORMAL_OBJECT_ID: u32 = 16384;

pub fn is_builtin(oid: u32) -> bool {
    oid < FIRST_NORMAL_OBJECT_ID
}

/// What the server's catalog says about its own objects, read once per connection: the
/// built-in functions a read may call (the allowlist's names, and the functions of built-in
/// casts and operators, by OID).
#[derive(Debug, Clone, Default)]
pub struct Builtins {
    pub allowed: HashSet<u32>,
    /// The built-in functions that look up casts to json at run time ([`JSON_BUILDERS`]).
    pub json: HashSet<u32>,
    /// The built-in functions that build rows by their columns' input ([`RECORD_BUILDERS`]).
    pub records: HashSet<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// The identity arguments, as `pg_get_function_identity_arguments` prints them.
    pub args: String,
    pub language: String,
    pub extension: Option<String>,
}

impl Function {
    pub fn describe(&self) -> String {
        format!("{}.{}({})", self.schema, self.name, self.args)
    }

    /// Compiled code (C, or the server's own internal functions), which only a superuser can
    /// create: never a SQL or PL function an owner wrote or added to an extension.
    pub fn compiled(&self) -> bool {
        matches!(self.language.as_str(), "c" | "internal")
    }

    /// Compiled code of a trusted extension (its operators' functions, its casts).
    pub fn trusted_extension_code(&self) -> bool {
        self.compiled() && self.extension.as_deref().is_some_and(super::catalog::is_trusted_extension)
    }

    /// A reviewed compiled function of a trusted extension: its library, its name on the list.
    fn trusted(&self) -> bool {
        self.compiled()
            && self.extension.as_deref().is_some_and(|e| super::catalog::is_reviewed_function(e, &self.name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub schema: String,
    pub name: String,
    pub left: String,
    pub right: String,
    /// The functions it runs: its own, and the planner's selectivity estimators.
    pub code: u32,
    pub rest: u32,
    pub join: u32,
    pub extension: Option<String>,
}

impl Operator {
    pub fn describe(&self) -> String {
        format!("{}.{}({}, {})", self.schema, self.name, self.left, self.right)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    /// pg_class.relkind: r, p, v, m, f, S, …
    pub kind: char,
    /// A view's stored query (`pg_rewrite.ev_action` of its `_RETURN` rule).
    pub view: Option<Tree>,
    pub row_security: bool,
    /// The SELECT policies' stored USING expressions, by policy name.
    pub policies: Vec<(String, Tree)>,
    /// A foreign table among its partitions or inheritance children, if any.
    pub foreign_child: Option<String>,
    /// The foreign server of a foreign table.
    pub server: Option<String>,
}

impl Relation {
    pub fn describe(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// What was read about the database's own objects for this statement.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub functions: HashMap<u32, Function>,
    pub operators: HashMap<u32, Operator>,
    pub relations: HashMap<u32, Relation>,
}

impl Facts {
    /// How many objects are known (a round that adds none found them gone).
    pub fn len(&self) -> usize {
        self.functions.len() + self.operators.len() + self.relations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// OIDs the judge needs facts for before it can decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    pub functions: BTreeSet<u32>,
    pub operators: BTreeSet<u32>,
    pub relations: BTreeSet<u32>,
}

impl Wanted {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.operators.is_empty() && self.relations.is_empty()
    }
}

/// A domain of the database's own.
#[derive(Debug, Clone)]
pub struct Domain {
    pub name: String,
    /// The type it is a domain over (another domain's checks apply too).
    pub base: u32,
    /// Its CHECK constraints' stored trees.
    pub checks: Vec<Tree>,
    /// Their SHA-256, as text (what the session's gate knows them by).
    pub hashes: Vec<String>,
}

/// Database-wide facts read fresh before the statement is parsed.
#[derive(Debug, Clone, Default)]
pub struct Database {
    /// Every domain of the database's own, by OID.
    pub domains: HashMap<u32, Domain>,
    /// The domains whose checks do not pass, and why (see [`judge_domain`]).
    pub failing: HashMap<u32, String>,
    /// Casts to json or jsonb whose function is not built in, and not a trusted extension's
    /// reviewed C function: `source type → json (function)`, as PostgreSQL would look them up.
    pub json_casts: Vec<String>,
}

/// Who decides the fine points.
pub struct Context<'a> {
    /// `server_version_num`: the numbering of command types changed in 15.
    pub version_num: i32,
    pub builtins: &'a Builtins,
    pub facts: &'a Facts,
    /// Foreign servers the profile trusts: their tables are read like tables.
    pub trusted_servers: &'a [String],
    /// Before 16, PostgreSQL prints a utility statement as `?`: a SHOW (by the text proof), or
    /// an EXPLAIN whose statement was parsed and judged on its own, may pass as one.
    pub opaque_utility_ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Read,
    /// Why not, each reason naming the object.
    Refused(Vec<String>),
    /// Facts to read first (one round trip), then judge again.
    Need(Wanted),
}

/// Functions that look up casts to json or jsonb at run time, for their arguments' types and
/// the columns of row arguments.
pub const JSON_BUILDERS: &[&str] = &[
    "to_json",
    "to_jsonb",
    "row_to_json",
    "array_to_json",
    "json_agg",
    "jsonb_agg",
    "json_agg_strict",
    "jsonb_agg_strict",
    "json_object_agg",
    "jsonb_object_agg",
    "json_object_agg_strict",
    "jsonb_object_agg_strict",
    "json_object_agg_unique",
    "jsonb_object_agg_unique",
    "json_object_agg_unique_strict",
    "jsonb_object_agg_unique_strict",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
];

/// Nodes that only carry structure, or evaluate built-in code on built-in semantics; the
/// objects they name (types, collations) run no code of the database's own.
const STRUCTURE: &[&str] = &[
    "ALIAS",
    "RANGETBLREF",
    "FROMEXPR",
    "JOINEXPR",
    "TARGETENTRY",
    "VAR",
    "CONST",
    "PARAM",
    "SUBLINK",
    "BOOLEXPR",
    "CASEEXPR",
    "CASEWHEN",
    "CASETESTEXPR",
    "COALESCEEXPR",
    "MINMAXEXPR",
    "NULLTEST",
    "BOOLEANTEST",
    "RELABELTYPE",
    "COERCEVIAIO",
    "ARRAYCOERCEEXPR",
    "CONVERTROWTYPEEXPR",
    "COLLATEEXPR",
    "COERCETODOMAIN",
    "COERCETODOMAINVALUE",
    "ARRAYEXPR",
    "ROWEXPR",
    "FIELDSELECT",
    "SUBSCRIPTINGREF",
    "SQLVALUEFUNCTION",
    "XMLEXPR",
    "TABLEFUNC",
    "RANGETBLFUNCTION",
    "COMMONTABLEEXPR",
    "CTESEARCHCLAUSE",
    "SETOPERATIONSTMT",
    "GROUPINGSET",
    "GROUPINGFUNC",
    "RTEPERMISSIONINFO",
    "VARIABLESHOWSTMT",
    "EXPLAINSTMT",
    "JSONRETURNING",
    "JSONFORMAT",
    "JSONVALUEEXPR",
    "JSONISPREDICATE",
    "JSONEXPR",
    "JSONBEHAVIOR",
    "JSONTABLEPATH",
    "JSONTABLEPATHSCAN",
    "JSONTABLESIBLINGJOIN",
];

/// Nodes that belong to statements that change something.
const NOT_A_READ: &[&str] = &[
    "NEXTVALUEEXPR",
    "ROWMARKCLAUSE",
    "CURRENTOFEXPR",
    "SETTODEFAULT",
    "ONCONFLICTEXPR",
    "MERGEACTION",
    "MERGESUPPORTFUNC",
    "WITHCHECKOPTION",
    "RETURNINGEXPR",
    "INFERENCEELEM",
    "FIELDSTORE",
];

/// Judges a statement's trees (its own, and before 16 an EXPLAIN's statement parsed alone)
/// and everything they reach: the views they read, the policies of the tables they read, the
/// domains they coerce to (`database.failing`), the json casts they may look up.
pub fn judge(statement: &[&Tree], database: &Database, cx: &Context) -> Outcome {
    let mut j = Judge::new(cx, database);
    let mut seen: HashSet<u32> = HashSet::new();
    let mut trees: Vec<(&Tree, String)> = statement.iter().map(|t| (*t, String::new())).collect();
    while let Some((tree, via)) = trees.pop() {
        for node in &tree.nodes {
            j.node(node, &via);
            if node.tag != "RANGETBLENTRY" || node.int("rtekind") != Some(0) {
                continue;
            }
            let Some(relid) = node.oid("relid").filter(|o| !is_builtin(*o)) else { continue };
            if !seen.insert(relid) {
                continue;
            }
            let Some(rel) = cx.facts.relations.get(&relid) else {
                j.wanted.relations.insert(relid);
                continue;
            };
            if let Some(why) = j.relation(rel) {
                j.refuse(&via, why);
                continue;
            }
            if let Some(view) = &rel.view {
                trees.push((view, format!("{via}the view {} ", rel.describe())));
            }
            if rel.row_security {
                for (name, policy) in &rel.policies {
                    trees.push((policy, format!("{via}the policy {name} on {} ", rel.describe())));
                }
            }
        }
    }
    if j.json
        && let Some(cast) = database.json_casts.first()
    {
        j.refuse(
            "",
            format!(
                "builds json, and PostgreSQL would run the database's own cast {cast} for a value of that type; \
                 a cast to json of the database's own can run anything"
            ),
        );
    }
    j.outcome()
}

/// The database's domains judged by their CHECK trees: those that do not pass, with why, and
/// the facts still wanted for the others (one round trip serves them all).
#[derive(Debug, Clone, Default)]
pub struct Domains {
    pub failing: HashMap<u32, String>,
    pub wanted: Wanted,
}

/// The hashes of every domain CHECK of the database when each calls only allowlisted
/// built-ins (a verdict no later change of a function of the database's can alter, as none is
/// called): the gate may then let a statement's Parse go out before the domains are read.
/// `None` when any check names an object of the database's own, or does not pass.
pub fn builtin_only_checks(database: &Database, builtins: &Builtins, version_num: i32) -> Option<Vec<String>> {
    let facts = Facts::default();
    let cx = Context { version_num, builtins, facts: &facts, trusted_servers: &[], opaque_utility_ok: false };
    let judged = judge_domains(database, &cx);
    if !judged.failing.is_empty() || !judged.wanted.is_empty() {
        return None;
    }
    Some(database.domains.values().flat_map(|d| d.hashes.iter().cloned()).collect())
}

pub fn judge_domains(database: &Database, cx: &Context) -> Domains {
    let none = Database::default();
    let mut out = Domains::default();
    for (oid, domain) in database.domains.iter().filter(|(_, d)| !d.checks.is_empty()) {
        let mut j = Judge::new(cx, &none);
        for node in domain.checks.iter().flat_map(|c| &c.nodes) {
            j.node(node, "");
        }
        match j.outcome() {
            Outcome::Read => {}
            Outcome::Refused(reasons) => {
                let why = reasons.first().cloned().unwrap_or_default();
                out.failing.insert(*oid, format!("the domain {} whose CHECK {why}", domain.name));
            }
            Outcome::Need(w) => {
                out.wanted.functions.extend(w.functions);
                out.wanted.operators.extend(w.operators);
                out.wanted.relations.extend(w.relations);
            }
        }
    }
    out
}

/// Built-in functions that make values of any row type from text or json at run time, by
/// each column type's input (a domain's CHECK among them).
pub const RECORD_BUILDERS: &[&str] = &[
    "json_populate_record",
    "json_populate_recordset",
    "jsonb_populate_record",
    "jsonb_populate_recordset",
    "jsonb_populate_record_valid",
    "json_to_record",
    "json_to_recordset",
    "jsonb_to_record",
    "jsonb_to_recordset",
];

struct Judge<'a> {
    cx: &'a Context<'a>,
    database: &'a Database,
    reasons: Vec<String>,
    wanted: Wanted,
    /// The tree builds json from values of any type.
    json: bool,
}

impl<'a> Judge<'a> {
    fn new(cx: &'a Context<'a>, database: &'a Database) -> Judge<'a> {
        Judge { cx, database, reasons: Vec::new(), wanted: Wanted::default(), json: false }
    }

    fn refuse(&mut self, via: &str, why: String) {
        self.reasons.push(format!("{via}{why}"));
    }

    /// Refused if anything was; else facts to read, if any are wanted; else a read.
    fn outcome(mut self) -> Outcome {
        if !self.reasons.is_empty() {
            self.reasons.dedup();
            return Outcome::Refused(self.reasons);
        }
        if !self.wanted.is_empty() {
            return Outcome::Need(self.wanted);
        }
        Outcome::Read
    }

    fn node(&mut self, n: &Node, via: &str) {
        let tag = n.tag.as_str();
        match tag {
            "QUERY" => self.query(n, via),
            "FUNCEXPR" => self.function(n.oid("funcid"), via, "calls"),
            "AGGREF" => self.function(n.oid("aggfnoid"), via, "aggregates with"),
            "WINDOWFUNC" => self.function(n.oid("winfnoid"), via, "calls the window function"),
            "OPEXPR" | "DISTINCTEXPR" | "NULLIFEXPR" | "SCALARARRAYOPEXPR" => {
                self.operator(n.oid("opno"), n.oid("opfuncid"), via);
                for f in ["hashfuncid", "negfuncid"] {
                    if let Some(oid) = n.oid(f).filter(|o| *o != 0) {
                        self.function(Some(oid), via, "hashes with");
                    }
                }
            }
            "ROWCOMPAREEXPR" => {
                for op in ids(n, "opnos") {
                    self.operator(Some(op), Some(0), via);
                }
            }
            "SORTGROUPCLAUSE" => {
                for f in ["eqop", "sortop"] {
                    if let Some(op) = n.oid(f).filter(|o| *o != 0) {
                        self.operator(Some(op), Some(0), via);
                    }
                }
            }
            "CTECYCLECLAUSE" => {
                if let Some(op) = n.oid("cycle_mark_neop").filter(|o| *o != 0) {
                    self.operator(Some(op), Some(0), via);
                }
            }
            "WINDOWCLAUSE" => {
                for f in ["startInRangeFunc", "endInRangeFunc"] {
                    if let Some(oid) = n.oid(f).filter(|o| *o != 0) {
                        self.function(Some(oid), via, "compares frames with");
                    }
                }
            }
            "TABLESAMPLECLAUSE" => self.function(n.oid("tsmhandler"), via, "samples with"),
            "JSONCONSTRUCTOREXPR" => self.json = true,
            "COERCETODOMAIN" => {
                if let Some(why) = n.oid("resulttype").and_then(|d| self.failing_domain(d)) {
                    self.refuse(via, format!("coerces to {why}"));
                }
            }
            "COERCEVIAIO" | "ARRAYCOERCEEXPR" | "CONVERTROWTYPEEXPR" | "TABLEFUNC" | "JSONEXPR"
                if !self.database.failing.is_empty() =>
            {
                let (domain, why) =
                    self.database.failing.iter().next().map(|(d, w)| (*d, w.clone())).unwrap_or_default();
                let _ = domain;
                self.refuse(
                    via,
                    format!("turns values into a type by its input at run time ({tag}), and the database has {why}"),
                );
            }
            "DEFELEM" => {
                if n.token("defname") == Some("analyze") {
                    self.refuse(via, "is EXPLAIN ANALYZE, which runs the statement".into());
                }
            }
            "RANGETBLENTRY" => {}
            _ if STRUCTURE.contains(&tag) => {}
            _ if NOT_A_READ.contains(&tag) => {
                self.refuse(via, format!("holds {tag}, which only a statement that changes something has"))
            }
            _ => self
                .refuse(via, format!("holds a node warroom does not know ({tag}), so it cannot be proven read-only")),
        }
    }

    /// Why coercing to `oid` runs a check that does not pass: the domain, or one it is over.
    fn failing_domain(&self, oid: u32) -> Option<String> {
        let mut at = oid;
        for _ in 0..32 {
            if let Some(why) = self.database.failing.get(&at) {
                return Some(why.clone());
            }
            at = self.database.domains.get(&at)?.base;
        }
        None
    }

    fn query(&mut self, q: &Node, via: &str) {
        let utility = if self.cx.version_num >= 150000 { 6 } else { 5 };
        match q.int("commandType") {
            Some(1) => {}
            Some(c) if c == utility => {}
            _ => self.refuse(via, "is not a SELECT in PostgreSQL's own reading of it".into()),
        }
        if matches!(q.get("utilityStmt"), Some(Value::Token(t)) if t == "?") && !self.cx.opaque_utility_ok {
            self.refuse(via, "is a statement whose tree this PostgreSQL does not print".into());
        }
        if q.is_true("hasModifyingCTE") {
            self.refuse(via, "has a WITH query that changes data".into());
        }
        if q.is_true("hasForUpdate") || !q.is_empty("rowMarks") {
            self.refuse(via, "locks rows (FOR UPDATE/SHARE)".into());
        }
        if q.int("resultRelation").is_some_and(|r| r != 0) {
            self.refuse(via, "writes to a table".into());
        }
    }

    fn function(&mut self, oid: Option<u32>, via: &str, verb: &str) {
        let Some(oid) = oid else {
            return self.refuse(via, "names a function PostgreSQL's tree does not identify".into());
        };
        if is_builtin(oid) {
            if self.cx.builtins.allowed.contains(&oid) {
                self.json |= self.cx.builtins.json.contains(&oid);
                if self.cx.builtins.records.contains(&oid)
                    && let Some(why) = self.database.failing.values().next()
                {
                    let why = why.clone();
                    self.refuse(
                        via,
                        format!("builds rows by each column type's input at run time, and the database has {why}"),
                    );
                }
                return;
            }
            match self.cx.facts.functions.get(&oid) {
                Some(f) => self.refuse(
                    via,
                    format!("{verb} {}, a built-in function that is not on the guard's allowlist", f.describe()),
                ),
                None => {
                    self.wanted.functions.insert(oid);
                }
            }
            return;
        }
        match self.cx.facts.functions.get(&oid) {
            None => {
                self.wanted.functions.insert(oid);
            }
            Some(f) if f.trusted() => {}
            Some(f) => self.refuse(via, format!("{verb} {}, {}", f.describe(), not_ours(f))),
        }
    }

    fn operator(&mut self, opno: Option<u32>, opfuncid: Option<u32>, via: &str) {
        let Some(opno) = opno else {
            return self.refuse(via, "uses an operator PostgreSQL's tree does not identify".into());
        };
        if is_builtin(opno) {
            // A built-in operator runs a built-in function.
            if let Some(f) = opfuncid.filter(|f| *f != 0) {
                self.function(Some(f), via, "compares with");
            }
            return;
        }
        let Some(op) = self.cx.facts.operators.get(&opno) else {
            self.wanted.operators.insert(opno);
            return;
        };
        let funcs = [op.code, op.rest, op.join, opfuncid.unwrap_or(0)];
        let trusted_ext = op.extension.as_deref().filter(|e| super::catalog::is_trusted_extension(e));
        let mut missing = false;
        for f in funcs.into_iter().filter(|f| *f != 0) {
            if is_builtin(f) {
                self.function(Some(f), via, &format!("uses the operator {}, which runs", op.describe()));
                continue;
            }
            match self.cx.facts.functions.get(&f) {
                None => {
                    self.wanted.functions.insert(f);
                    missing = true;
                }
                // An extension's operator: the functions are that extension's C code.
                Some(func) if trusted_ext.is_some() && func.compiled() && func.extension.as_deref() == trusted_ext => {}
                Some(func) => {
                    return self.refuse(
                        via,
                        format!(
                            "uses the operator {}, which runs {}, {}",
                            op.describe(),
                            func.describe(),
                            not_ours(func)
                        ),
                    );
                }
            }
        }
        if !missing && trusted_ext.is_none() {
            self.refuse(via, format!("uses the operator {}, which is not a trusted extension's", op.describe()));
        }
    }

    fn relation(&self, rel: &Relation) -> Option<String> {
        let trusted = |s: &Option<String>| s.as_ref().is_some_and(|s| self.cx.trusted_servers.contains(s));
        if rel.kind == 'f' && !trusted(&rel.server) {
            return Some(format!(
                "reads the foreign table {} (server {}): its wrapper may run anything on the remote side",
                rel.describe(),
                rel.server.as_deref().unwrap_or("?")
            ));
        }
        if let Some(child) = &rel.foreign_child {
            return Some(format!(
                "reads {}, which has the foreign table {child} among its partitions or children",
                rel.describe()
            ));
        }
        None
    }
}

fn not_ours(f: &Function) -> String {
    match &f.extension {
        Some(e) if super::catalog::is_trusted_extension(e) && !f.compiled() => format!(
            "a {} function in the extension {e}: only an extension's reviewed C functions are trusted",
            f.language
        ),
        Some(e) if super::catalog::is_trusted_extension(e) => {
            format!("a function of the extension {e} that is not on its reviewed list")
        }
        Some(e) => format!("a function of the extension {e}, which is not a trusted extension"),
        None => "a function of the database's own (not built in), which can run anything".to_string(),
    }
}

fn ids(n: &Node, field: &str) -> Vec<u32> {
    match n.get(field) {
        Some(Value::Ids(_, ids)) => ids.iter().filter_map(|i| i.parse().ok()).collect(),
        _ => Vec::new(),
    }
}
