#!/usr/bin/env python3
"""How many genuine reads does the text guard refuse?

A measurement, not a test: it needs pglast (PostgreSQL's own parser, from PyPI) as the
oracle and a corpus of SQL.

    pip install pglast==7.22
    python3 benches/needless.py --bin target/release/warroom \
        --builtins "host=/tmp port=5432 user=postgres" DIR_OR_FILE...

Every statement of the corpus is parsed by PostgreSQL's grammar (pglast). A statement is
a *genuine read* when PostgreSQL's raw tree is a plain SELECT (no INTO, no FOR UPDATE, no
data-modifying WITH) and everything it names that could run code is a built-in on the
guard's own allowlist: every function call (src/guard/functions.txt), every type
(pg_catalog's types, read from a server with --builtins), every operator (pg_catalog's
operators). Those are given to `warroom check --json`; the ones it labels WRITE are the
guard's needless refusals, counted by reason.

The corpora used for the closing note of issue 22: PostgreSQL's regression SQL (the copy
in pglast's sdist: libpg_query/test/sql/postgres_regress) and queries from SQLsmith
(`sqlsmith --dry-run --max-queries=N --target=...`, one query per statement).
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys

import pglast
from pglast import ast

HERE = os.path.dirname(os.path.abspath(__file__))


def allowlist():
    names = set()
    with open(os.path.join(HERE, "..", "src", "guard", "functions.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line.split()[0].lower())
    return names


def builtins(conninfo):
    def q(sql):
        out = subprocess.run(["psql", conninfo, "-Atc", sql], check=True, capture_output=True, text=True)
        return set(out.stdout.split())

    types = q("select typname from pg_type where typnamespace = 'pg_catalog'::regnamespace")
    ops = q("select distinct oprname from pg_operator where oprnamespace = 'pg_catalog'::regnamespace")
    return types, ops


# SQL-standard spellings PostgreSQL's grammar maps onto pg_catalog itself.
SQL_TYPES = {"int", "integer", "smallint", "bigint", "real", "float", "double", "numeric", "decimal",
             "boolean", "char", "character", "varchar", "text", "bit", "varbit", "interval", "time",
             "timestamp", "timetz", "timestamptz", "json", "xml"}


class Oracle:
    def __init__(self, functions, types, ops):
        self.functions, self.types, self.ops = functions, types, ops

    def why_not(self, stmt):
        """None for a genuine read, else what makes it something else."""
        if not isinstance(stmt, ast.SelectStmt):
            return "not a SELECT"
        found = []

        def names(seq):
            return [n.sval for n in (seq or ()) if isinstance(n, ast.String)]

        def walk(node):
            if found:
                return
            if isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)):
                found.append("modifies data")
            elif isinstance(node, ast.SelectStmt) and (node.intoClause or node.lockingClause):
                found.append("INTO or a row lock")
            elif isinstance(node, ast.FuncCall):
                n = names(node.funcname)
                if (len(n) == 2 and n[0] != "pg_catalog") or len(n) > 2 or n[-1].lower() not in self.functions:
                    found.append("calls " + ".".join(n))
            elif isinstance(node, ast.TypeName):
                n = names(node.names)
                base = n[-1].lower()
                if (len(n) == 2 and n[0] != "pg_catalog") or len(n) > 2 or (base not in self.types and base not in SQL_TYPES):
                    found.append("type " + ".".join(n))
            elif isinstance(node, ast.A_Expr) and node.name:
                n = names(node.name)
                if (len(n) == 2 and n[0] != "pg_catalog") or n[-1] not in self.ops:
                    found.append("operator " + ".".join(n))
            if isinstance(node, ast.Node):
                for attr in node:
                    walk(getattr(node, attr))
            elif isinstance(node, tuple):
                for item in node:
                    walk(item)

        walk(stmt)
        return found[0] if found else None


def statements(path):
    with open(path, errors="replace") as f:
        text = f.read()
    if path.endswith(".sql") and "postgres_regress" in path or "\\" in text:
        # psql meta-commands are not SQL; a statement using psql variables will not parse.
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("\\"))
    try:
        parts = pglast.split(text, with_parser=False)
    except pglast.Error:
        return
    for sql in parts:
        try:
            tree = pglast.parse_sql(sql)
        except pglast.Error:
            continue
        if len(tree) == 1:
            yield sql, tree[0].stmt


def verdict(binary, sql):
    out = subprocess.run([binary, "check", "--json", "-"], input=sql + ";\n", capture_output=True, text=True)
    report = json.loads(out.stdout)
    stmts = report["statements"]
    if len(stmts) != 1:
        return "write", ["warroom split it into %d statements" % len(stmts)]
    return stmts[0]["class"], stmts[0]["reasons"]


SQL_JSON = re.compile(r"\bjson_(table|value|query|exists|object|array|scalar|serialize|objectagg|arrayagg)\b|\bjson\s*\(|\bis\s+(not\s+)?json\b", re.I)


def bucket(reason):
    reason = re.sub(r" at Line: \d+, Column: \d+", "", reason)
    reason = re.sub(r"'[^']*'", "…", reason)
    return reason[:110]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "warroom"))
    p.add_argument("--builtins", required=True, help="conninfo of a PostgreSQL server for pg_catalog's type and operator names")
    p.add_argument("--show", type=int, default=3, help="examples printed per reason")
    p.add_argument("--all", action="store_true", help="also label the statements that are not genuine reads (for SQLsmith's share)")
    p.add_argument("paths", nargs="+")
    a = p.parse_args()
    types, ops = builtins(a.builtins)
    oracle = Oracle(allowlist(), types, ops)
    files = []
    for path in a.paths:
        if os.path.isdir(path):
            files += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".sql"))
        else:
            files.append(path)
    parsed = 0
    seen = set()
    todo = []
    for path in files:
        for sql, stmt in statements(path):
            parsed += 1
            genuine = oracle.why_not(stmt) is None
            if (genuine or a.all) and sql not in seen:
                seen.add(sql)
                todo.append((sql, genuine))
    reads = sum(1 for _, genuine in todo if genuine)
    refused = collections.defaultdict(list)
    writes = 0
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for (sql, genuine), (cls, reasons) in zip(todo, pool.map(lambda t: verdict(a.bin, t[0]), todo)):
            if cls != "read":
                writes += 1
                if genuine:
                    refused[bucket(reasons[0] if reasons else "(no reason)")].append(sql)
    total = sum(len(v) for v in refused.values())
    print(f"statements parsed by PostgreSQL's grammar: {parsed}")
    if a.all:
        print(f"distinct statements: {len(todo)}; labelled WRITE by the text guard: {writes}")
    print(f"genuine reads (distinct): {reads}")
    print(f"refused by the text guard: {total}")
    sqljson = sum(1 for v in refused.values() for s in v if SQL_JSON.search(s))
    print(f"  of which use SQL/JSON syntax (JSON_TABLE, JSON_VALUE, IS JSON, …; PostgreSQL 16+): {sqljson}")
    for reason, sqls in sorted(refused.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(sqls):5}  {reason}")
        for s in sqls[: a.show]:
            print("       " + " ".join(s.split())[:160])


if __name__ == "__main__":
    sys.exit(main())
