//! What the live server says about the names a statement uses: the facts that can turn a
//! text-only READ into a WRITE (a user function shadowing a built-in, a user operator, a
//! view or policy that calls something, a rule) and the only refusals they may lift (a cast
//! to an enum or to a domain whose checks are reads; a trusted extension's objects).
//!
//! Pure data: `db::catalog` fills it over the read-only session; the guard reads it.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

/// Names a statement uses that the catalog can say something about. Functions include the
/// names after a dot (`t.f`), which PostgreSQL may call too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    pub functions: BTreeSet<String>,
    /// Canonical (`"schema"."name"`, each part quoted as PostgreSQL folded it).
    pub types: BTreeSet<String>,
    pub relations: BTreeSet<String>,
}

impl Mentions {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.types.is_empty() && self.relations.is_empty()
    }

    pub fn extend(&mut self, other: &Mentions) {
        self.functions.extend(other.functions.iter().cloned());
        self.types.extend(other.types.iter().cloned());
        self.relations.extend(other.relations.iter().cloned());
    }
}

/// A function or operator outside pg_catalog, visible on the session's search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routine {
    pub schema: String,
    /// The extension it belongs to (`pg_depend` deptype `e`), if any.
    pub extension: Option<String>,
    /// Arguments it must be given, and may be given.
    pub min_args: u32,
    pub max_args: u32,
}

impl Routine {
    fn trusted(&self) -> bool {
        self.extension.as_deref().is_some_and(is_trusted_extension)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeFact {
    /// No such type: PostgreSQL rejects the cast, nothing runs.
    Missing,
    /// In pg_catalog.
    Builtin,
    Enum {
        user_cast: bool,
    },
    /// A domain: its base type, whether that is a pg_catalog type, its CHECK constraints
    /// (`CHECK (…)` as `pg_get_constraintdef` prints them).
    Domain {
        base: String,
        builtin_base: bool,
        checks: Vec<String>,
        user_cast: bool,
    },
    /// Any other user type (`c` composite, `r` range, `b` base, …) and the extension it is from.
    Other {
        typtype: String,
        extension: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Relation {
    /// pg_class.relkind: r table, v view, m materialized view, f foreign table, p partitioned…
    pub kind: String,
    /// A view's query (`pg_get_viewdef`).
    pub definition: Option<String>,
    pub row_security: bool,
    /// The USING expressions of the policies that apply to SELECT.
    pub policies: Vec<String>,
    /// Rules other than a view's `_RETURN`.
    pub rules: Vec<String>,
    pub columns: Vec<String>,
    /// The schema it is in (pg_catalog's views are the server's own, not user tables).
    pub schema: String,
}

/// The facts for one session (search path and role), as far as they have been gathered.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// name → the functions of that name outside pg_catalog on the search path (none: empty).
    pub functions: HashMap<String, Vec<Routine>>,
    /// Every operator outside pg_catalog on the search path, by symbol.
    pub operators: HashMap<String, Vec<Routine>>,
    /// Whether `operators` has been read.
    pub operators_read: bool,
    pub types: HashMap<String, TypeFact>,
    /// canonical name → the relation, or None when there is no such relation.
    pub relations: HashMap<String, Option<Relation>>,
    /// Why the facts could not be read, if they could not: every read that needs them is refused.
    pub unreadable: Option<String>,
}

impl Catalog {
    /// What `m` names that has not been looked up yet.
    pub fn missing(&self, m: &Mentions) -> Mentions {
        Mentions {
            functions: m.functions.iter().filter(|f| !self.functions.contains_key(*f)).cloned().collect(),
            types: m.types.iter().filter(|t| !self.types.contains_key(*t)).cloned().collect(),
            relations: m.relations.iter().filter(|r| !self.relations.contains_key(*r)).cloned().collect(),
        }
    }

    /// Why calling `name` (unqualified) is not the built-in, if it may not be: a function of
    /// that name outside pg_catalog that is not a trusted extension's.
    pub fn shadow(&self, name: &str) -> Option<Result<String, String>> {
        let Some(found) = self.functions.get(name) else { return Some(Err(not_known("function", name))) };
        found.iter().find(|r| !r.trusted()).map(|r| {
            Ok(format!(
                "a function named {name} exists in schema {}; PostgreSQL may call it instead of the built-in",
                r.schema
            ))
        })
    }

    /// A user function PostgreSQL may call for `x.name`: one taking a single argument.
    pub fn field_function(&self, name: &str) -> Option<Result<String, String>> {
        let Some(found) = self.functions.get(name) else { return Some(Err(not_known("function", name))) };
        found.iter().find(|r| !r.trusted() && r.min_args <= 1 && r.max_args >= 1).map(|r| {
            Ok(format!(
                "selects .{name}: PostgreSQL runs the function {}.{name}(x) for x.{name} when x has no column {name}",
                r.schema
            ))
        })
    }

    /// Whether `name` (unqualified, off the allowlist) is a reviewed function of a trusted
    /// extension, and every function of that name outside pg_catalog is that extension's.
    pub fn trusted_function(&self, name: &str) -> bool {
        match self.functions.get(name) {
            Some(found) if !found.is_empty() => found.iter().all(|r| {
                r.extension.as_deref().is_some_and(|e| is_trusted_extension(e) && is_reviewed_function(e, name))
            }),
            _ => false,
        }
    }

    /// A user operator for `symbol`, if there is one that is not a trusted extension's.
    pub fn operator(&self, symbol: &str) -> Option<String> {
        self.operators.get(symbol)?.iter().find(|r| !r.trusted()).map(|r| {
            format!(
                "an operator {symbol} exists in schema {}; PostgreSQL may run its function instead of the built-in",
                r.schema
            )
        })
    }
}

/// Rounds of catalog reading for one check: views in views, policies, domain checks.
pub const MAX_ROUNDS: usize = super::classify::MAX_VIEW_DEPTH + 2;

impl Catalog {
    /// The most a catalog could lift for `m`: every type an enum, every function on a trusted
    /// extension's reviewed list that extension's, nothing shadowed, no view, no operator. What
    /// is a WRITE even with this cannot become a READ on any server.
    pub fn lenient(m: &Mentions) -> Catalog {
        let trusted = |name: &str| TRUSTED.iter().find(|(_, fs)| fs.contains(name)).map(|(e, _)| e.to_string());
        Catalog {
            functions: m
                .functions
                .iter()
                .map(|f| {
                    let routines = trusted(f).map(|e| Routine {
                        schema: e.clone(),
                        extension: Some(e),
                        min_args: 0,
                        max_args: u32::MAX,
                    });
                    (f.clone(), routines.into_iter().collect())
                })
                .collect(),
            operators: HashMap::new(),
            operators_read: true,
            types: m.types.iter().map(|t| (t.clone(), TypeFact::Enum { user_cast: false })).collect(),
            relations: m.relations.iter().map(|r| (r.clone(), None)).collect(),
            unreadable: None,
        }
    }
}

pub fn not_known(what: &str, name: &str) -> String {
    format!("the catalog facts for the {what} {name} could not be read, so it cannot be proven read-only")
}

/// Extensions whose objects are reviewed: not shadows, and their listed functions are reads.
pub fn is_trusted_extension(name: &str) -> bool {
    TRUSTED.contains_key(name)
}

pub fn is_reviewed_function(extension: &str, name: &str) -> bool {
    TRUSTED.get(extension).is_some_and(|fs| fs.contains(name))
}

/// `src/guard/trusted.txt`: `extension: function function …` lines.
static TRUSTED: LazyLock<HashMap<&'static str, BTreeSet<&'static str>>> = LazyLock::new(|| {
    let mut out: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for line in include_str!("trusted.txt").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some((ext, names)) = line.split_once(':') {
            out.entry(ext.trim()).or_default().extend(names.split_whitespace());
        }
    }
    out
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_list_is_loaded() {
        assert!(is_trusted_extension("pgcrypto") && is_reviewed_function("pgcrypto", "digest"));
        assert!(is_trusted_extension("postgis") && is_reviewed_function("postgis", "st_distance"));
        assert!(!is_reviewed_function("pg_trgm", "set_limit"));
        assert!(!is_reviewed_function("pg_stat_statements", "pg_stat_statements_reset"));
        assert!(!is_trusted_extension("dblink"));
    }
}
