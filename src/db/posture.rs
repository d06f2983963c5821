//! The posture check: who are we on this server, and what could we change?
//!
//! Fail means the role could change data or schema; warn is anything weaker. When
//! anything fails, the SQL a DBA would run to create a proper read-only role.

use serde::Serialize;

use super::{DbError, Limits, Session, Target};
use crate::words::plural;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Pass,
    Warn,
    Fail,
}

impl Check {
    fn new(level: Level, name: &'static str, finding: String, why: &'static str) -> Check {
        Check { level, name, finding, why }
    }
}

/// Membership in a predefined role, false where this server version has no such role.
fn member_of(role: &str) -> String {
    format!("coalesce((SELECT pg_has_role(oid, 'MEMBER') FROM pg_roles WHERE rolname = '{role}'), false)")
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Pass => "pass",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub level: Level,
    pub name: &'static str,
    /// What was found, in one sentence.
    pub finding: String,
    /// Why it matters (shown for warn and fail).
    pub why: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Posture {
    pub role: String,
    pub database: String,
    pub checks: Vec<Check>,
    /// SQL to create a proper read-only role, when anything failed.
    pub fix: Option<String>,
}

impl Posture {
    pub fn worst(&self) -> Level {
        self.checks.iter().map(|c| c.level).max_by_key(|l| *l as u8).unwrap_or(Level::Pass)
    }
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.level == Level::Fail)
    }
}

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'";

fn list(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    s
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Functions that act outside the read-only transaction or on the server itself.
const DANGEROUS: &[(&str, Level, &str)] = &[
    ("dblink_exec", Level::Fail, "runs SQL over a new connection, outside the read-only transaction"),
    ("dblink", Level::Fail, "runs SQL over a new connection, outside the read-only transaction"),
    ("dblink_connect_u", Level::Fail, "opens connections as the server's OS user"),
    ("lo_import", Level::Fail, "reads server files into large objects"),
    ("lo_export", Level::Fail, "writes server files"),
    ("pg_file_write", Level::Fail, "writes server files"),
    ("pg_promote", Level::Fail, "promotes a standby"),
    ("pg_reload_conf", Level::Fail, "reloads the server configuration"),
    ("pg_switch_wal", Level::Warn, "forces a WAL switch"),
    ("pg_create_restore_point", Level::Warn, "writes to the WAL"),
    ("pg_logical_emit_message", Level::Warn, "writes messages into the WAL"),
    ("pg_read_file", Level::Warn, "reads server files"),
    ("pg_read_binary_file", Level::Warn, "reads server files"),
];

/// The first column of each row of one of our catalog queries, as text.
async fn texts(session: &mut Session, sql: &str) -> Result<Vec<String>, DbError> {
    Ok(session.catalog(sql).await?.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// A check that passes when nothing was found, and is `level` otherwise.
fn found(
    level: Level,
    name: &'static str,
    items: &[String],
    none: &str,
    some: impl FnOnce(&[String]) -> String,
    why: &'static str,
) -> Check {
    if items.is_empty() {
        Check::new(Level::Pass, name, none.to_string(), why)
    } else {
        Check::new(level, name, some(items), why)
    }
}

/// How far the posture check looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// What the role owns and was granted, from `pg_shdepend` by the role's OIDs (an index
    /// lookup): the cost does not grow with the catalog, only with what the role holds.
    /// Grants to PUBLIC are not recorded there (PUBLIC is not a role), so a write privilege
    /// granted to PUBLIC and the SECURITY DEFINER functions PUBLIC may call are left to
    /// [`Depth::Full`].
    #[default]
    Held,
    /// Every relation and function in the user schemas, privilege by privilege, as well
    /// (`warroom doctor --full`): it grows with the catalog.
    Full,
}

/// The objects the current role (or a role it is a member of) owns (`o`) or was granted a
/// privilege on (`a`) in this database, and this database itself when it owns it: a CTE.
const HELD: &str = "mine AS MATERIALIZED (SELECT m.oid FROM pg_roles m WHERE pg_has_role(m.oid, 'MEMBER')), \
     held AS MATERIALIZED ( \
       SELECT d.* FROM mine m, LATERAL ( \
         SELECT d.classid, d.objid, d.objsubid, d.deptype, d.dbid FROM pg_shdepend d \
         WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = m.oid OFFSET 0) d \
       WHERE d.deptype IN ('o', 'a') \
         AND (d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
              OR (d.dbid = 0 AND d.classid = 'pg_database'::regclass \
                  AND d.objid = (SELECT oid FROM pg_database WHERE datname = current_database()))))";

/// What the checks ask the catalog, as one statement (one round trip): the role's
/// attributes and settings, then what it owns, can write, can create, and can call.
/// Public so that a test can ask the server for its plan (no sequential scan of a catalog
/// that grows with the database, at [`Depth::Held`]).
pub fn facts_sql(depth: Depth) -> String {
    let held_owned = "SELECT i.type || ' ' || i.identity FROM held h, \
           LATERAL pg_identify_object(h.classid, h.objid, 0) i \
         WHERE h.deptype = 'o' AND coalesce(i.schema, '') !~ '^pg_(toast|temp_|toast_temp_)'";
    let swept_owned = format!(
        "SELECT 'schema ' || quote_ident(n.nspname) FROM pg_namespace n WHERE {USER_SCHEMAS} AND pg_has_role(n.nspowner, 'MEMBER') \
         UNION SELECT 'table ' || format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE {USER_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND pg_has_role(c.relowner, 'MEMBER') \
         UNION SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           WHERE {USER_SCHEMAS} AND pg_has_role(p.proowner, 'MEMBER')"
    );
    let owned = match depth {
        Depth::Held => format!("SELECT DISTINCT * FROM ({held_owned}) o ORDER BY 1"),
        Depth::Full => format!("SELECT * FROM ({held_owned} UNION {swept_owned}) o ORDER BY 1"),
    };
    // Relations: those the role holds something on, or (full) every one.
    // The role's grants say on what, not which privilege: a relation granted only SELECT
    // is passed over by reading its ACL in memory (aclexplode), before any privilege check.
    let relations = match depth {
        Depth::Held => {
            "c.oid = ANY (ARRAY( \
               SELECT h.objid FROM held h WHERE h.classid = 'pg_class'::regclass AND (h.deptype = 'o' OR h.objsubid > 0) \
               UNION SELECT g.oid FROM pg_class g \
                 WHERE g.oid = ANY (ARRAY(SELECT h.objid FROM held h WHERE h.classid = 'pg_class'::regclass AND h.deptype = 'a')) \
                   AND EXISTS (SELECT 1 FROM aclexplode(g.relacl) a WHERE a.grantee IN (SELECT oid FROM mine) \
                     AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'))))"
        }
        Depth::Full => "true",
    };
    let writable = format!(
        "SELECT format('%I.%I', n.nspname, c.relname) || ' (' || array_to_string(ARRAY( \
           SELECT p FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p \
           WHERE CASE WHEN c.relkind = 'S' THEN p = 'UPDATE' AND has_sequence_privilege(c.oid, 'UPDATE') \
                      ELSE has_table_privilege(c.oid, p) OR (p IN ('INSERT', 'UPDATE') AND has_any_column_privilege(c.oid, p)) END \
         ), ', ') || ')' \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {relations} AND {USER_SCHEMAS} AND ( \
           (c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') \
              OR has_any_column_privilege(c.oid, 'INSERT, UPDATE'))) \
           OR (c.relkind = 'S' AND has_sequence_privilege(c.oid, 'UPDATE'))) \
         ORDER BY 1"
    );
    let creatable = format!(
        "SELECT 'schema ' || n.nspname::text FROM pg_namespace n WHERE {USER_SCHEMAS} AND has_schema_privilege(n.oid, 'CREATE') \
         UNION ALL SELECT 'database ' || current_database() WHERE has_database_privilege(current_database(), 'CREATE') \
         ORDER BY 1"
    );
    let names: Vec<String> = DANGEROUS.iter().map(|(n, _, _)| format!("'{n}'")).collect();
    let callable = format!(
        "SELECT p.proname::text || ' ' || p.oid::regprocedure::text FROM pg_proc p \
         WHERE p.proname IN ({}) AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1",
        names.join(", ")
    );
    let functions = match depth {
        Depth::Held => "p.oid = ANY (ARRAY(SELECT h.objid FROM held h WHERE h.classid = 'pg_proc'::regclass))",
        Depth::Full => "true",
    };
    let definers = format!(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE {functions} AND {USER_SCHEMAS} AND p.prosecdef AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1"
    );
    format!(
        "WITH {HELD} \
         SELECT r.rolname::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, \
         coalesce(array_to_string(r.rolconfig, ', '), ''), {}, {}, {} OR {}, \
         coalesce((SELECT array_to_string(s.setconfig, ', ') FROM pg_db_role_setting s \
           WHERE s.setrole = r.oid AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())), ''), \
         current_setting('transaction_read_only'), current_setting('statement_timeout'), current_setting('lock_timeout'), \
         ARRAY({owned}), ARRAY({writable}), ARRAY({creatable}), ARRAY({callable}), ARRAY({definers}), \
         current_setting('log_min_messages'), \
         ARRAY(SELECT s.rolname::text FROM pg_roles s WHERE s.rolsuper AND NOT r.rolsuper AND pg_has_role(s.oid, 'MEMBER') ORDER BY 1) \
         FROM pg_roles r WHERE r.rolname = current_user",
        member_of("pg_write_all_data"),
        member_of("pg_signal_backend"),
        member_of("pg_write_server_files"),
        member_of("pg_execute_server_program"),
    )
}

/// Connects with the posture's question sent in the same round trip as the connection's
/// first, and checks the posture: the session and what it may do, before anything runs.
pub async fn connect(target: &Target, limits: Limits) -> Result<(Session, Posture), DbError> {
    let mut session = Session::connect_prefetching(target, limits, Some(&facts_sql(Depth::Held))).await?;
    let posture = check(&mut session, Depth::Held).await?;
    Ok((session, posture))
}

/// Runs every check over the session: one round trip (none after [`connect`]), more only
/// to write the fix.
pub async fn check(session: &mut Session, depth: Depth) -> Result<Posture, DbError> {
    let mut checks = Vec::new();
    let info = session.info.clone();
    let role = match session.take_prefetched() {
        Some(rows) if depth == Depth::Held => rows,
        _ => session.catalog(&facts_sql(depth)).await?,
    };
    let Some(r) = role.first() else {
        return Err(DbError::Posture("the server has no pg_roles row for the current user".into()));
    };
    let name: String = r.get(0);
    let (superuser, createrole, createdb, replication, bypassrls): (bool, bool, bool, bool, bool) =
        (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    let role_settings: String = r.get(6);
    let (write_all, signal, server_files): (bool, bool, bool) = (r.get(7), r.get(8), r.get(9));
    let db_role_settings: String = r.get(10);
    let (tx_read_only, statement_timeout, lock_timeout): (String, String, String) = (r.get(11), r.get(12), r.get(13));
    let owned: Vec<String> = r.get(14);
    let writable: Vec<String> = r.get(15);
    let creatable: Vec<String> = r.get(16);
    let callable: Vec<String> = r.get(17);
    let definers: Vec<String> = r.get(18);
    let log_min_messages: String = r.get(19);
    let superuser_roles: Vec<String> = r.get(20);

    checks.push(Check::new(
        if superuser { Level::Fail } else { Level::Pass },
        "superuser",
        if superuser { format!("{name} is a superuser") } else { format!("{name} is not a superuser") },
        "a superuser can turn read-only off, bypass every privilege and change anything",
    ));
    let held = |pairs: &[(bool, &str)]| -> Vec<String> {
        pairs.iter().filter(|(has, _)| *has).map(|(_, what)| what.to_string()).collect()
    };
    let powers = held(&[
        (createrole, "CREATEROLE"),
        (write_all, "member of pg_write_all_data"),
        (server_files, "member of pg_write_server_files or pg_execute_server_program"),
    ]);
    let powers: Vec<String> = powers
        .into_iter()
        .chain(
            superuser_roles.iter().map(|s| format!("member of the superuser role {s} (SET ROLE {s} is a superuser)")),
        )
        .collect();
    checks.push(found(
        Level::Fail,
        "role powers",
        &powers,
        "no CREATEROLE, pg_write_all_data, server-file or superuser roles",
        |x| x.join(", "),
        "these let the role write data or grant itself the right to",
    ));
    let weaker = held(&[
        (createdb, "CREATEDB"),
        (replication, "REPLICATION"),
        (bypassrls, "BYPASSRLS"),
        (signal, "member of pg_signal_backend (can cancel or terminate other sessions)"),
    ]);
    checks.push(found(
        Level::Warn,
        "role attributes",
        &weaker,
        "no CREATEDB, REPLICATION, BYPASSRLS or pg_signal_backend",
        |x| x.join(", "),
        "none changes data, but each is more than looking needs",
    ));

    checks.push(found(
        Level::Fail,
        "ownership",
        &owned,
        "owns nothing in this database",
        |x| format!("owns (directly or through a role) {}: {}", plural(x.len(), "object"), list(x, 5)),
        "an owner can ALTER, DROP or TRUNCATE what it owns and grant itself any privilege on it",
    ));

    checks.push(found(
        Level::Fail,
        "write privileges",
        &writable,
        match depth {
            Depth::Held => {
                "no INSERT, UPDATE, DELETE or TRUNCATE granted to it or a role it is in (grants to PUBLIC: warroom doctor --full)"
            }
            Depth::Full => "no INSERT, UPDATE, DELETE or TRUNCATE on any table, directly, through a role or PUBLIC",
        },
        |x| format!("can write to {} (directly or through a role): {}", plural(x.len(), "table"), list(x, 5)),
        "with these, only the read-only transaction stands between a mistake and the data",
    ));

    checks.push(found(
        Level::Fail,
        "CREATE privilege",
        &creatable,
        "cannot create objects in any schema or in the database",
        |x| format!("can CREATE in {}", list(x, 5)),
        "CREATE lets the role add schema objects, including functions that shadow built-ins",
    ));

    let mut fail_fns = Vec::new();
    let mut warn_fns = Vec::new();
    for row in &callable {
        let Some((proname, sig)) = row.split_once(' ') else { continue };
        if let Some((_, level, what)) = DANGEROUS.iter().find(|(n, _, _)| *n == proname) {
            let item = format!("{sig} ({what})");
            if *level == Level::Fail { fail_fns.push(item) } else { warn_fns.push(item) }
        }
    }
    checks.push(found(
        if fail_fns.is_empty() { Level::Warn } else { Level::Fail },
        "dangerous functions",
        &[fail_fns, warn_fns].concat(),
        "cannot execute dblink, server-file, large-object import/export or WAL functions",
        |x| format!("can execute {}", list(x, 4)),
        "these act outside the read-only transaction or on the server itself",
    ));

    checks.push(found(
        Level::Warn,
        "security definer functions",
        &definers,
        match depth {
            Depth::Held => "no SECURITY DEFINER function granted to it (those PUBLIC may call: warroom doctor --full)",
            Depth::Full => "can call no SECURITY DEFINER function",
        },
        |x| format!("can call {}: {}", plural(x.len(), "SECURITY DEFINER function"), list(x, 5)),
        "they run with their owner's rights; warroom's guard never calls them, other clients might",
    ));

    let settings = [role_settings.as_str(), db_role_settings.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let role_read_only = settings.contains("default_transaction_read_only=on")
        || settings.contains("default_transaction_read_only=true");
    checks.push(Check::new(
        if role_read_only { Level::Pass } else { Level::Warn },
        "role settings",
        if settings.is_empty() { "none set on the role".into() } else { settings.clone() },
        "default_transaction_read_only=on on the role makes every client of this role read-only, not only warroom",
    ));

    checks.push(Check::new(
        if tx_read_only == "on" && info.default_read_only { Level::Pass } else { Level::Fail },
        "session",
        format!(
            "default_transaction_read_only=on, each read in BEGIN READ ONLY (transaction_read_only={tx_read_only}), statement_timeout={statement_timeout}, lock_timeout={lock_timeout}"
        ),
        "the session is warroom's own line of defence",
    ));
    checks.push(Check::new(
        Level::Pass,
        "timeouts",
        info.timeouts.iter().map(|t| format!("{} {}", t.name, t.describe())).collect::<Vec<_>>().join("; "),
        "the stricter of the server's and the profile's is in force: warroom never loosens a DBA's timeout",
    ));
    checks.push(Check::new(
        Level::Pass,
        "server role",
        if info.in_recovery {
            "a standby (pg_is_in_recovery): nothing can be written here".into()
        } else {
            "the primary (pg_is_in_recovery is false): writes are possible on this server".into()
        },
        "",
    ));
    checks.push(Check::new(
        if info.version_num < 160000 { Level::Warn } else { Level::Pass },
        "server version",
        if info.version_num < 160000 {
            format!(
                "PostgreSQL {}: before 16, RESET transaction_read_only inside a transaction escapes read-only (warroom's guard refuses SET and RESET)",
                info.version
            )
        } else {
            format!("PostgreSQL {}", info.version)
        },
        "on older servers the role's privileges matter even more",
    ));

    // Each read's analysed tree comes as a LOG notice, and LOG lines go to the server's log
    // unless log_min_messages is above LOG (fatal, panic).
    let logged = !matches!(log_min_messages.as_str(), "fatal" | "panic");
    checks.push(Check::new(
        if logged { Level::Warn } else { Level::Pass },
        "server log",
        if logged {
            format!(
                "each read's analysed tree (about 4 to 20 KB, with the statement's constants) is written to the \
                 server's log at LOG level (log_min_messages={log_min_messages}); a superuser keeps it out for this \
                 role with: ALTER ROLE {} SET log_min_messages = fatal",
                ident(&name)
            )
        } else {
            format!("log_min_messages={log_min_messages}: the reads' trees stay out of the server's log")
        },
        "warroom judges every read by the tree PostgreSQL sends as a LOG notice (debug_print_parse)",
    ));

    let mut posture = Posture { role: name, database: info.database.clone(), checks, fix: None };
    if posture.worst() == Level::Fail {
        posture.fix = Some(recommended_sql(session, &posture, &writable, &creatable).await?);
    }
    Ok(posture)
}

/// Whether the server sends its analysed tree for a read (a pooler or a server that drops LOG
/// notices makes every read refused): for `warroom doctor`, one read of `SELECT 1`.
pub async fn tree_check(session: &mut Session) -> Check {
    match session.check("SELECT 1").await {
        Ok(()) => Check::new(
            Level::Pass,
            "server's tree",
            "the server sends its analysed tree of each read (debug_print_parse), judged by OID".into(),
            "a read runs only when the guard and the server's own tree of it agree",
        ),
        Err(e) => Check::new(
            Level::Warn,
            "server's tree",
            format!("reads will be refused: {e}"),
            "a read runs only when the guard and the server's own tree of it agree",
        ),
    }
}

/// The SQL a DBA would run to give warroom a role that can only read.
async fn recommended_sql(
    session: &mut Session,
    posture: &Posture,
    writable: &[String],
    creatable: &[String],
) -> Result<String, DbError> {
    let schemas: Vec<String> =
        texts(session, &format!("SELECT n.nspname::text FROM pg_namespace n WHERE {USER_SCHEMAS} ORDER BY 1")).await?;
    // Before 14 the fix grants table by table, with default privileges per owner and schema.
    let owners: Vec<(String, String)> = if session.info.version_num >= 140000 {
        Vec::new()
    } else {
        session
        .catalog(&format!(
            "SELECT DISTINCT pg_get_userbyid(c.relowner)::text, n.nspname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1, 2"
        ))
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    };
    let public_grants: Vec<String> = session
        .catalog(
            "SELECT 'SCHEMA ' || quote_ident(n.nspname) FROM pg_namespace n, aclexplode(n.nspacl) a \
               WHERE a.grantee = 0 AND a.privilege_type = 'CREATE' \
             UNION ALL SELECT 'DATABASE ' || quote_ident(d.datname) FROM pg_database d, aclexplode(d.datacl) a \
               WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'CREATE'",
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let public_fns: Vec<String> = {
        let names: Vec<String> =
            DANGEROUS.iter().filter(|(_, l, _)| *l == Level::Fail).map(|(n, _, _)| format!("'{n}'")).collect();
        session
            .catalog(&format!(
                "SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a \
                 WHERE p.proname IN ({}) AND a.grantee = 0 AND a.privilege_type = 'EXECUTE' ORDER BY 1",
                names.join(", ")
            ))
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
    };

    let ro = "warroom_ro";
    let db = ident(&posture.database);
    let schema_list = schemas.iter().map(|s| ident(s)).collect::<Vec<_>>().join(", ");
    let mut sql = format!(
        "-- A role that can only read. Run as a superuser (or the database owner) on database {db}.\n\
         CREATE ROLE {ro} LOGIN;  -- then set its password with \\password {ro}\n\
         GRANT CONNECT ON DATABASE {db} TO {ro};\n"
    );
    if session.info.version_num >= 140000 {
        // One membership instead of a grant per table: nothing to keep up as tables come,
        // and warroom's posture check reads no per-table grants (it costs the same on any
        // size of catalog).
        sql.push_str(&format!("GRANT pg_read_all_data TO {ro};  -- SELECT on every table, now and later\n"));
        if !schemas.is_empty() {
            sql.push_str(&format!(
                "-- (or, to let it read only some schemas: GRANT USAGE ON SCHEMA … and GRANT SELECT ON ALL TABLES IN SCHEMA … TO {ro})\n"
            ));
        }
    } else if !schemas.is_empty() {
        sql.push_str(&format!("GRANT USAGE ON SCHEMA {schema_list} TO {ro};\n"));
        sql.push_str(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema_list} TO {ro};\n"));
    }
    sql.push_str(&format!("GRANT pg_monitor TO {ro};  -- to see sessions, locks and replication\n"));
    for (owner, schema) in &owners {
        sql.push_str(&format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {ro};\n",
            ident(owner),
            ident(schema)
        ));
    }
    sql.push_str(&format!(
        "ALTER ROLE {ro} SET default_transaction_read_only = on;\n\
         ALTER ROLE {ro} SET statement_timeout = '30s';\n\
         ALTER ROLE {ro} SET lock_timeout = '2s';\n\
         ALTER ROLE {ro} SET idle_in_transaction_session_timeout = '60s';\n"
    ));
    if !public_grants.is_empty() || !public_fns.is_empty() {
        sql.push_str("-- Every role may do these today, the new one included:\n");
        for g in &public_grants {
            sql.push_str(&format!("REVOKE CREATE ON {g} FROM PUBLIC;\n"));
        }
        for f in &public_fns {
            sql.push_str(&format!("REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC;\n"));
        }
    }
    let me = ident(&posture.role);
    let mut revokes = Vec::new();
    let superuser = posture.checks.iter().any(|c| c.name == "superuser" && c.level == Level::Fail);
    if !superuser {
        if !writable.is_empty() && !schemas.is_empty() {
            revokes.push(format!(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {schema_list} FROM {me};"
            ));
        }
        if posture.checks.iter().any(|c| c.name == "role powers" && c.finding.contains("pg_write_all_data")) {
            revokes.push(format!("REVOKE pg_write_all_data FROM {me};"));
        }
        for c in creatable {
            if let Some(s) = c.strip_prefix("schema ") {
                revokes.push(format!("REVOKE CREATE ON SCHEMA {} FROM {me};", ident(s)));
            }
        }
    }
    if superuser
        || posture.checks.iter().any(|c| c.name == "ownership" && c.level == Level::Fail)
        || !revokes.is_empty()
    {
        sql.push_str(&format!("-- Then connect warroom as {ro}, not as {me}"));
        if revokes.is_empty() {
            sql.push_str(&format!(" ({me} is a superuser or owns objects, which cannot be revoked).\n"));
        } else {
            sql.push_str(&format!(", or take from {me} what it should not have:\n"));
            for r in revokes {
                sql.push_str(&format!("-- {r}\n"));
            }
        }
    }
    Ok(sql)
}
