//! A deterministic generator of side-effecting calls, spelled every way PostgreSQL's grammar
//! accepts a call, put into every place a read allows an expression, with lexical mutations.
#![allow(dead_code)]

/// splitmix64: a seeded, portable sequence, so a failure names a case that can be rerun.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A call: the function's name, its arguments, and whether one argument is all it takes
/// (then `(arg).name` calls it too). `{victim}` is another session's pid.
pub struct Call {
    pub name: &'static str,
    pub args: &'static str,
    pub one_arg: bool,
}

/// Functions that act: end or cancel sessions, take locks, change sequences, settings,
/// large objects or statistics, assign a transaction id, notify, or run SQL from a string.
pub const SIDE_EFFECTS: &[Call] = &[
    Call { name: "pg_terminate_backend", args: "{victim}", one_arg: true },
    Call { name: "pg_cancel_backend", args: "{victim}", one_arg: true },
    Call { name: "pg_advisory_lock", args: "42", one_arg: true },
    Call { name: "pg_advisory_xact_lock", args: "43", one_arg: true },
    Call { name: "pg_try_advisory_lock", args: "44::bigint", one_arg: true },
    Call { name: "pg_advisory_lock_shared", args: "45", one_arg: true },
    Call { name: "nextval", args: "'oracle_seq'", one_arg: true },
    Call { name: "setval", args: "'oracle_seq', 99", one_arg: false },
    Call { name: "lo_creat", args: "-1", one_arg: true },
    Call { name: "lo_import", args: "'/etc/hostname'", one_arg: true },
    Call { name: "set_config", args: "'warroom.canary', 'changed', false", one_arg: false },
    Call { name: "pg_stat_reset", args: "", one_arg: false },
    Call { name: "pg_stat_reset_shared", args: "'bgwriter'", one_arg: true },
    Call { name: "pg_sleep", args: "0", one_arg: true },
    Call { name: "txid_current", args: "", one_arg: false },
    Call { name: "pg_current_xact_id", args: "", one_arg: false },
    Call { name: "pg_notify", args: "'oracle', 'hello'", one_arg: false },
    Call { name: "dblink_exec", args: "'DELETE FROM t'", one_arg: true },
    Call { name: "query_to_xml", args: "'SELECT nextval(''oracle_seq'')', true, true, ''", one_arg: false },
    Call { name: "pg_read_file", args: "'/etc/hostname'", one_arg: true },
];

/// Look-alikes that are reads (or that PostgreSQL rejects): what the oracle runs.
pub const HARMLESS: &[Call] = &[
    Call { name: "lower", args: "'X'", one_arg: true },
    Call { name: "abs", args: "-1", one_arg: true },
    Call { name: "length", args: "'abc'", one_arg: true },
    Call { name: "now", args: "", one_arg: false },
    Call { name: "md5", args: "'x'", one_arg: true },
    Call { name: "pg_backend_pid", args: "", one_arg: false },
    Call { name: "PG_SLEEP", args: "0", one_arg: true },
    Call { name: "pg_try_advisory_lock_x", args: "1", one_arg: true },
    Call { name: "to_char", args: "now(), 'YYYY'", one_arg: false },
    Call { name: "coalesce", args: "NULL, 1", one_arg: false },
];

/// Genuine reads from PostgreSQL's regression SQL that sqlparser 0.64 does not read as
/// written: each is rewritten for it, narrowly, and stays a read; the same shape with a
/// call in it is still a write.
pub const REWRITTEN_READS: &[&str] = &[
    "SELECT concat_ws(',', VARIADIC ARRAY['a','b'])",
    "SELECT num_nulls(VARIADIC ARRAY[NULL::int, 1])",
    "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM generate_series(1, 3) x",
    "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE NO OTHERS) FROM generate_series(1, 3) x",
    "SELECT sum(x) OVER (ORDER BY x GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM generate_series(1, 3) x",
    "SELECT sum(x) OVER (ORDER BY d RANGE BETWEEN '1 day'::interval PRECEDING AND '1 day'::interval FOLLOWING) FROM (SELECT 1 AS x, now() AS d) s",
    "SELECT SUBSTRING('abc' SIMILAR 'a%' ESCAPE '#')",
    "SELECT xmlexists('//a' PASSING BY REF '<a/>')",
    "SELECT xmlexists('//a' PASSING '<a/>')",
    "SELECT rank('adam'::text COLLATE \"C\") WITHIN GROUP (ORDER BY x COLLATE \"C\") FROM (VALUES ('fred'), ('jim')) v(x)",
    "SELECT relname FROM pg_class WHERE relname::text COLLATE pg_catalog.\"C\" LIKE 'pg%' LIMIT 1",
    "SELECT (pg_stat_get_activity(pg_backend_pid())).*",
    "SELECT regtype('int4'), inet('1.2.3.4'), tsquery('a & b'), \"numeric\"(1), regnamespace('pg_catalog'), regrole('pg_monitor')",
];

/// Every way to spell a call of `c`; `None` where the spelling does not apply.
pub fn spellings(c: &Call) -> Vec<String> {
    let (f, a) = (c.name, c.args);
    let u_escaped: String = {
        let mut chars = f.chars();
        let first = chars.next().unwrap();
        format!("U&\"\\{:04x}{}\"", first as u32, chars.collect::<String>())
    };
    let mut out = vec![
        format!("{f}({a})"),
        format!("{}({a})", f.to_uppercase()),
        format!("\"{f}\"({a})"),
        format!("pg_catalog.{f}({a})"),
        format!("pg_catalog . \"{f}\" ({a})"),
        format!("{u_escaped}({a})"),
        format!("{f} /* c */ ({a})"),
        format!("{f}\n({a})"),
        format!("{f} -- c\n({a})"),
        format!("{f}(({a}))").replace("(())", "()"),
        format!("({f}({a}))::text"),
        format!("(SELECT {f}({a}))"),
        format!("(SELECT {f}({a}) OFFSET 0)"),
    ];
    if c.one_arg {
        out.extend([
            format!("({a}).{f}"),
            format!("({a}).\"{f}\""),
            format!("({a}) . /* c */ {f}"),
            format!("({a})\n.\n{f}"),
            format!("({a}).{u_escaped}"),
            format!("((SELECT {a})).{f}"),
            format!("(ARRAY[{a}])[1].{f}"),
            format!("(SELECT a.{f} FROM unnest(ARRAY[{a}]) a)"),
            format!("(SELECT g.\"{f}\" FROM (SELECT {a}) AS g(v), LATERAL (SELECT g.v) AS h(g))"),
        ]);
    }
    out
}

/// Every place a read allows an expression: `{e}` is where it goes.
pub const PLACES: &[&str] = &[
    "SELECT {e}",
    "SELECT 1 AS x, {e} AS y",
    "SELECT 1 WHERE {e} IS NOT NULL",
    "SELECT count(*) FROM t GROUP BY id HAVING {e} IS NOT NULL",
    "SELECT id FROM t ORDER BY {e}",
    "SELECT id FROM t LIMIT CASE WHEN {e} IS NULL THEN 1 ELSE 2 END",
    "SELECT id FROM t OFFSET CASE WHEN {e} IS NULL THEN 0 ELSE 0 END",
    "SELECT count(*) FILTER (WHERE {e} IS NOT NULL) FROM t",
    "SELECT row_number() OVER (PARTITION BY {e}) FROM t",
    "SELECT sum(id) OVER (ORDER BY {e}) FROM t",
    "WITH c AS (SELECT {e} AS v) SELECT * FROM c",
    "WITH c AS MATERIALIZED (SELECT {e} AS v) SELECT 1",
    "SELECT * FROM (SELECT {e} AS v) s",
    "VALUES ({e})",
    "SELECT * FROM t, LATERAL (SELECT {e} AS v) l",
    "SELECT coalesce(({e})::text, 'x')",
    "SELECT length(({e})::text)",
    "SELECT CASE WHEN id > 0 THEN {e} END FROM t",
    "SELECT CASE {e} WHEN 1 THEN 1 END",
    "SELECT ({e})::text",
    "SELECT CAST({e} AS text)",
    "SELECT id FROM t WHERE id IN (SELECT {e})",
    "SELECT 1 WHERE EXISTS (SELECT {e})",
    "SELECT DISTINCT ON ({e}) id FROM t",
    "SELECT id FROM t GROUP BY id, {e}",
    "SELECT t.id FROM t JOIN t u ON {e} IS NOT NULL",
    "SELECT ARRAY[{e}]",
    "SELECT ROW({e})",
    "SELECT 1 UNION ALL SELECT {e}",
    "SELECT * FROM t WHERE id = ANY (ARRAY[{e}])",
    "SELECT string_agg(({e})::text, ',' ORDER BY id) FROM t",
    "SELECT jsonb_build_object('k', {e})",
    "EXPLAIN SELECT {e}",
    "EXPLAIN ANALYZE SELECT {e}",
    "EXPLAIN (ANALYZE, COSTS off) SELECT {e}",
    "COPY (SELECT {e}) TO STDOUT",
    "TABLE t LIMIT CASE WHEN {e} IS NULL THEN 1 END",
    // PostgreSQL syntax that the guard rewrites for sqlparser (normalize::rewrites).
    "-- a comment\nTABLE t LIMIT CASE WHEN {e} IS NULL THEN 1 END",
    "SELECT ARRAY(SELECT {e})",
    "SELECT ARRAY(SELECT id FROM t ORDER BY {e})",
    "SELECT 1 WHERE to_tsvector('a') @@ ANY (ARRAY[plainto_tsquery(({e})::text)])",
    "SELECT 1 WHERE 'a' LIKE ALL (ARRAY[({e})::text])",
    "SELECT 1 WHERE 'a' NOT ILIKE ANY (ARRAY[({e})::text])",
    "SELECT count(*) FROM t GROUP BY GROUPING SETS ((), ROLLUP (({e})::text))",
    "SELECT count(*) FROM t GROUP BY GROUPING SETS ((), GROUPING SETS ((), (({e})::text)))",
    "SELECT count(*) FROM t GROUP BY DISTINCT ROLLUP (id, ({e})::text)",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2) SEARCH DEPTH FIRST BY n SET o SELECT *, {e} FROM r",
    "WITH RECURSIVE r(n) AS (SELECT length(({e})::text) UNION ALL SELECT n + 1 FROM r WHERE n < 2) CYCLE n SET c TO 'y' DEFAULT 'n' USING p SELECT * FROM r",
    "SELECT * FROM json_to_record(json_build_object('a', {e})) AS (a text)",
    "SELECT * FROM t WHERE ({e}) ISNULL",
    "SELECT COLLATION FOR (({e})::text)",
    "SELECT xmlelement(NAME x, xmlattributes(({e})::text AS a))",
    "SELECT xmlserialize(CONTENT xmlelement(NAME x, ({e})::text) AS text)",
    "SELECT xml '<a/>' IS NOT DOCUMENT, {e}",
    "SELECT ROW({e}) *= ROW(1)",
    "SELECT pg_catalog.current_user(), {e}",
];

/// A mutation of the whole statement that keeps its meaning to PostgreSQL.
fn mutate(rng: &mut Rng, sql: &str) -> String {
    match rng.below(10) {
        0 => sql.to_lowercase(),
        1 => sql.replacen(' ', " /* x */ ", 1 + rng.below(3)),
        2 => sql.replacen(' ', "\n", 1 + rng.below(3)),
        3 => sql.replacen(' ', " -- x\n", 1),
        4 => sql.replacen(' ', "\t", 2),
        // A string continued on the next line is the same constant.
        5 => sql.replacen("'oracle_seq'", "'oracle'\n'_seq'", 1).replacen("'bgwriter'", "'bg'\n  'writer'", 1),
        6 => sql.replacen("'oracle_seq'", "E'oracle\\x5fseq'", 1).replacen("'bgwriter'", "$$bgwriter$$", 1),
        7 => format!("{sql};"),
        8 => format!("/* agent */ {sql}"),
        _ => sql.to_string(),
    }
}

/// `n` statements, each a call from `calls` in a spelling and a place, mutated.
pub fn generate(seed: u64, n: usize, calls: &[Call]) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let call = rng.pick(calls);
            let spelled = spellings(call);
            let e = rng.pick(&spelled).clone();
            let sql = rng.pick(PLACES).replace("{e}", &e);
            mutate(&mut rng, &sql)
        })
        .collect()
}

/// Near-SQL: a harmless read with a word dropped, doubled, swapped or a token put in, the
/// typos and truncations a tired person or an agent makes (`SELECT * FRMO users`).
pub fn near_sql(seed: u64, n: usize) -> Vec<String> {
    const INSERTS: &[&str] =
        &[",", "(", ")", "FROM", "SELECT", "AS", "'x'", "1", "*", ".", "WHERE", "FRMO", "t", "::", "AND"];
    let mut rng = Rng::new(seed);
    let reads = generate(seed, n, HARMLESS);
    reads
        .into_iter()
        .map(|sql| {
            let mut words: Vec<String> = sql.split(' ').map(str::to_string).collect();
            for _ in 0..1 + rng.below(2) {
                let i = rng.below(words.len());
                match rng.below(4) {
                    0 if words.len() > 1 => _ = words.remove(i),
                    1 => words.insert(i, words[i].clone()),
                    2 if i + 1 < words.len() => words.swap(i, i + 1),
                    _ => words.insert(i, rng.pick(INSERTS).to_string()),
                }
            }
            words.join(" ")
        })
        .collect()
}

/// Every call in every spelling in every place, unmutated: the exhaustive part.
pub fn every_combination(calls: &[Call]) -> Vec<String> {
    let mut out = Vec::new();
    for call in calls {
        for e in spellings(call) {
            for place in PLACES {
                out.push(place.replace("{e}", &e));
            }
        }
    }
    out
}
