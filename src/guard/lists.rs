//! Data, reviewed by hand: built-in functions, types and operators a read may use.

use std::sync::LazyLock;

/// A word list, sorted once and looked up by binary search: no hashing of thousands of
/// names at start-up (the hook runs as a new process for every command an agent sends).
struct Words(Vec<&'static str>);

impl Words {
    fn contains(&self, word: &str) -> bool {
        self.0.binary_search(&word).is_ok()
    }
}

fn load(text: &'static str) -> Words {
    load_with(text, &[])
}

fn load_with(text: &'static str, more: &[&'static str]) -> Words {
    let mut words: Vec<&'static str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("# ")).collect();
    words.extend_from_slice(more);
    words.sort_unstable();
    words.dedup();
    Words(words)
}

static FUNCTIONS: LazyLock<Words> = LazyLock::new(|| load(include_str!("functions.txt")));
static FIELD_CALLS: LazyLock<Words> = LazyLock::new(|| load(include_str!("field_calls.txt")));
static TYPES: LazyLock<Words> = LazyLock::new(|| load(include_str!("types.txt")));
// Keyword operators of the grammar, evaluated by built-in code, with the listed ones.
static OPERATORS: LazyLock<Words> =
    LazyLock::new(|| load_with(include_str!("operators.txt"), &["AND", "OR", "NOT", "OVERLAPS"]));

/// Every name on the functions allowlist, for the server to resolve to OIDs.
pub fn allowed_function_names() -> Vec<&'static str> {
    FUNCTIONS.0.clone()
}

/// Is `name` (already case-folded as PostgreSQL would) a side-effect-free built-in function?
pub fn is_allowed_function(name: &str) -> bool {
    FUNCTIONS.contains(name)
}

/// PostgreSQL's keywords (reserved_keyword and type_func_name_keyword in gram.y) that are
/// never a bare column, table or alias name; the SQL value functions (`current_user`, …) are left out,
/// since they stand alone as expressions.
pub fn is_reserved_word(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
        // type_func_name_keyword: a function's name at most, never a column's or a table's.
        "authorization",
        "binary",
        "collation",
        "concurrently",
        "cross",
        "freeze",
        "full",
        "ilike",
        "inner",
        "is",
        "isnull",
        "join",
        "left",
        "like",
        "natural",
        "notnull",
        "outer",
        "overlaps",
        "right",
        "similar",
        "tablesample",
        "verbose",
    ];
    RESERVED.contains(&word)
}

/// Is `name` a function that PostgreSQL may call as `x.name` (allowed or not)?
pub fn is_field_callable(name: &str) -> bool {
    FIELD_CALLS.contains(name)
}

pub fn is_builtin_type(name: &str) -> bool {
    TYPES.contains(name)
}

pub fn builtin_operators() -> impl Iterator<Item = &'static str> {
    OPERATORS.0.iter().copied()
}

pub fn is_builtin_operator(op: &str) -> bool {
    OPERATORS.contains(op)
}

/// Why an operator outside the built-in list is not a read.
pub fn operator_reason(op: &str) -> String {
    format!("uses the operator {op}, which is not a built-in operator and may run a user-defined function")
}

/// Why a known function is not a read, in one sentence, and whether it is destructive.
pub fn function_reason(name: &str) -> (String, bool) {
    let why = match name {
        "pg_terminate_backend" => return (format!("calls {name}(), which ends other sessions"), true),
        "pg_cancel_backend" => "cancels other sessions' queries",
        "set_config" => "changes a setting for the session or transaction",
        "nextval" | "setval" => "changes a sequence",
        "pg_notify" => "sends a notification to other sessions",
        "pg_logical_emit_message" => "writes a message into the WAL",
        "pg_read_file" | "pg_read_binary_file" | "pg_ls_dir" | "pg_stat_file" | "pg_read_file_old" => {
            "reads files on the database server"
        }
        "query_to_xml"
        | "query_to_xml_and_xmlschema"
        | "query_to_xmlschema"
        | "cursor_to_xml"
        | "cursor_to_xmlschema"
        | "ts_stat"
        | "ts_rewrite"
        | "database_to_xml"
        | "database_to_xml_and_xmlschema"
        | "schema_to_xml"
        | "schema_to_xml_and_xmlschema"
        | "table_to_xml"
        | "table_to_xml_and_xmlschema" => "runs SQL given as a string, out of the guard's sight",
        "pg_sleep" | "pg_sleep_for" | "pg_sleep_until" => "holds the session for a while on purpose",
        "txid_current" | "pg_current_xact_id" => "assigns a transaction id",
        "pg_reload_conf"
        | "pg_rotate_logfile"
        | "pg_rotate_logfile_old"
        | "pg_switch_wal"
        | "pg_create_restore_point"
        | "pg_promote"
        | "pg_wal_replay_pause"
        | "pg_wal_replay_resume"
        | "pg_backup_start"
        | "pg_backup_stop" => "changes the server's state",
        n if n.starts_with("pg_advisory") || n.starts_with("pg_try_advisory") => "takes or releases an advisory lock",
        n if n.starts_with("pg_stat_reset") => "resets statistics",
        n if n.starts_with("lo_") || n == "loread" || n == "lowrite" => "reads or writes large objects",
        n if n.starts_with("dblink") => "runs SQL over another connection, where it can write",
        n if n.contains("replication_slot")
            || n.starts_with("pg_replication_origin")
            || n.starts_with("pg_logical_slot") =>
        {
            "changes replication state"
        }
        _ => {
            return (format!("calls {name}(), which is not on the list of side-effect-free built-in functions"), false);
        }
    };
    (format!("calls {name}(), which {why}"), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_loaded_and_reviewed() {
        for f in ["count", "lower", "now", "pg_size_pretty", "pg_total_relation_size", "coalesce", "jsonb_build_object"]
        {
            assert!(is_allowed_function(f), "{f} should be allowed");
        }
        for f in [
            "pg_terminate_backend",
            "pg_cancel_backend",
            "set_config",
            "nextval",
            "setval",
            "pg_advisory_lock",
            "pg_notify",
            "lo_import",
            "lo_unlink",
            "dblink",
            "pg_read_file",
            "pg_logical_emit_message",
            "pg_sleep",
            "query_to_xml",
            "ts_stat",
            "txid_current",
            "table_to_xml",
            "pg_stat_reset",
        ] {
            assert!(!is_allowed_function(f), "{f} must not be allowed");
        }
        for f in ["pg_terminate_backend", "dblink_exec", "dblink_connect", "lo_creat", "pg_advisory_lock", "lower"] {
            assert!(is_field_callable(f), "{f} can be called as x.{f}");
        }
        assert!(!is_field_callable("system") && !is_field_callable("email"));
        assert!(is_builtin_type("regclass") && is_builtin_type("int4") && !is_builtin_type("mytype"));
        assert!(is_builtin_operator("->>") && is_builtin_operator("AND") && !is_builtin_operator("+++"));
    }
}
