"""Generated SQL for the guard's benchmarks: statements of distinct shapes, and what an agent
asks during an incident. Seeded: the same files every run."""


def distinct_shapes(n, rng):
    """Statements whose shapes differ: select lists, joins, predicates, CTEs, windows."""
    cols = ["id", "total", "status", "created_at", "customer_id", "email", "amount", "region"]
    tables = ["orders", "customers", "payments", "events", "sessions", "invoices", "items"]
    out = []
    for i in range(n):
        t = rng.choice(tables)
        sel = ", ".join(
            rng.choice([c, f"sum({c})", f"count(DISTINCT {c})", f"lower({c}::text)", f"{c} + {rng.randint(1, 99)}",
                        f"row_number() OVER (PARTITION BY {rng.choice(cols)} ORDER BY {c})",
                        f"CASE WHEN {c} > {rng.randint(1, 999)} THEN 'hi' ELSE 'lo' END",
                        f"coalesce({c}, {rng.randint(0, 9)})", f"date_trunc('day', {rng.choice(cols)})"])
            for c in rng.sample(cols, rng.randint(1, 5)))
        sql = f"SELECT {sel} FROM {t} t{i % 97}"
        for _ in range(rng.randint(0, 3)):
            j = rng.choice(tables)
            sql += f" {rng.choice(['JOIN', 'LEFT JOIN'])} {j} ON {j}.{rng.choice(cols)} = t{i % 97}.{rng.choice(cols)}"
        conds = [rng.choice([f"{rng.choice(cols)} = {rng.randint(1, 10**6)}", f"{rng.choice(cols)} IN ({', '.join(str(rng.randint(1, 999)) for _ in range(rng.randint(1, 6)))})",
                             f"{rng.choice(cols)} BETWEEN {rng.randint(1, 50)} AND {rng.randint(51, 999)}",
                             f"{rng.choice(cols)} LIKE '%{rng.randint(1, 999)}%'", f"{rng.choice(cols)} IS NOT NULL",
                             f"EXISTS (SELECT 1 FROM {rng.choice(tables)} x WHERE x.id = {rng.randint(1, 99)})",
                             f"{rng.choice(cols)} > now() - interval '{rng.randint(1, 48)} hours'"])
                 for _ in range(rng.randint(0, 4))]
        if conds:
            sql += " WHERE " + rng.choice([" AND ", " OR "]).join(conds)
        if rng.random() < 0.4:
            sql += f" GROUP BY {rng.choice(cols)}"
        if rng.random() < 0.5:
            sql += f" ORDER BY {rng.randint(1, 1)} {rng.choice(['ASC', 'DESC'])}"
        sql += f" LIMIT {rng.randint(1, 1000)}"
        if rng.random() < 0.2:
            sql = f"WITH w{i} AS ({sql}) SELECT * FROM w{i}"
        out.append(sql + ";")
    return out


def agent_style(n, rng):
    """What an agent asks during an incident: short reads of the stats views and tables."""
    forms = [
        "SELECT * FROM orders WHERE id = {n};",
        "SELECT count(*) FROM orders WHERE created_at > now() - interval '{h} hours';",
        "SELECT pid, state, wait_event_type, now() - query_start AS runtime FROM pg_stat_activity WHERE state <> 'idle' ORDER BY runtime DESC LIMIT {l};",
        "SELECT relname, n_dead_tup, last_autovacuum FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT {l};",
        "SELECT status, count(*) FROM orders GROUP BY status ORDER BY 2 DESC;",
        "SELECT id, email FROM customers WHERE email ILIKE '%{n}%' LIMIT {l};",
        "SELECT locktype, relation::regclass, mode, granted FROM pg_locks WHERE NOT granted LIMIT {l};",
        "EXPLAIN SELECT * FROM payments WHERE order_id = {n};",
    ]
    return [rng.choice(forms).format(n=rng.randint(1, 10**6), h=rng.randint(1, 72), l=rng.randint(5, 100))
            for _ in range(n)]
