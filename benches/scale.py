#!/usr/bin/env python3
"""How warroom grows with the database: the same measurements on the demo's small catalog,
then on one with 100,000 relations and 20,000 functions (owned by an application role, as in
production), then with SELECT granted on every one of those tables to the read-only role.

    cargo build --release && python3 benches/scale.py [RUNS]

- connected: the cockpit in tmux (200x50), launch to "posture checked" on the banner;
- doctor: the whole process (connect, posture, the server's tree of `SELECT 1`);
- a read: `warroom query` of a small read, whole process, with the heavy-read estimate and
  without it (`--heavy`), so the server's tree check and the estimate show apart;
- describe: `warroom mcp`'s describe tool (the relation list, and one table), over stdio;
- a paste of 10 MB: `warroom check` of it, and the cockpit taking it (until "Pasted");
- 10M rows through `query --csv --limit 0`, against 1M.

It starts `warroom demo --no-cockpit` for a throwaway server and stops it at the end.
"""
import json, os, statistics, subprocess, sys, tempfile, time

import demo_server
from demo_server import PSQL, WARROOM
from tmux_term import Tmux

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
med = statistics.median

demo, dsn = demo_server.start()
admin = dsn.replace("user=warroom_ro", "user=postgres")
state = tempfile.mkdtemp()
config = os.path.join(state, "config.toml")
with open(config, "w") as f:
    f.write(f'[profiles.bench]\nenvironment = "production"\ndsn = "{dsn}"\n')
env = dict(os.environ, XDG_STATE_HOME=state, WARROOM_CONFIG=config)


def sql(text):
    subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", admin], input=text, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def timed(argv, stdin=None):
    """(wall s, CPU s, peak RSS kB) of one whole process."""
    with tempfile.NamedTemporaryFile("r") as stats:
        t = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name] + argv, env=env, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t
        if r.returncode not in (0, 1):
            raise SystemExit(f"{argv[:3]} failed: {r.stderr.decode()[-400:]}")
        user, sys_, rss = stats.read().split("\n")[-2].split()
        return wall, float(user) + float(sys_), int(rss)


def connected(term):
    times = []
    for run in range(RUNS):
        t = term.run([WARROOM, "--config", config, "--profile", "bench", "--incident", f"scale-{time.time_ns()}"],
                     {"XDG_STATE_HOME": state})
        times.append(term.until("read-only  ", lines=(3, 3)) - t)
        term.keys("C-q")
        time.sleep(0.3)
    return med(times) * 1e3


def mcp_describe(table=None):
    """Wall time of one describe call on a connected `warroom mcp` (median of RUNS)."""
    p = subprocess.Popen([WARROOM, "mcp", "--dsn", dsn, "--incident", "scale"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)

    def call(msg):
        p.stdin.write(json.dumps(msg) + "\n")
        if "id" in msg:
            while True:
                reply = json.loads(p.stdout.readline())
                if reply.get("id") == msg["id"]:
                    return reply

    call({"jsonrpc": "2.0", "id": 0, "method": "initialize",
          "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "scale", "version": "1"}}})
    call({"jsonrpc": "2.0", "method": "notifications/initialized"})
    times, size = [], 0
    for i in range(RUNS + 1):
        args = {"table": table} if table else {}
        t = time.perf_counter()
        reply = call({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": "describe", "arguments": args}})
        if i:
            times.append(time.perf_counter() - t)
        if reply.get("result", {}).get("isError"):
            raise SystemExit(f"describe failed: {reply}")
        size = len(json.dumps(reply))
    p.stdin.close()
    p.wait()
    return med(times) * 1e3, size


def measure(label):
    term = Tmux(200, 50)
    try:
        out = {"connected (cockpit, ms)": connected(term)}
    finally:
        term.close()
    out["doctor (ms)"] = med([timed([WARROOM, "doctor", "--dsn", dsn])[0] for _ in range(RUNS)]) * 1e3
    read = [WARROOM, "query", "--dsn", dsn, "SELECT id, email FROM users ORDER BY id LIMIT 10"]
    out["query, a read (ms)"] = med([timed(read)[0] for _ in range(RUNS)]) * 1e3
    out["  without the estimate (ms)"] = med([timed(read[:2] + ["--heavy"] + read[2:])[0] for _ in range(RUNS)]) * 1e3
    ms, size = mcp_describe()
    out["mcp describe, the list (ms)"] = ms
    out["  its reply (kB)"] = size / 1024
    out["mcp describe users (ms)"] = mcp_describe("users")[0]
    print(f"{label}: " + ", ".join(f"{k.strip()} {v:.1f}" for k, v in out.items()), file=sys.stderr)
    return out


results = {"small catalog": measure("small catalog")}

print("building 100,000 relations and 20,000 functions (about a minute)…", file=sys.stderr)
stmts = ["CREATE ROLE app NOLOGIN;", "CREATE SCHEMA bulk AUTHORIZATION app;", "SET ROLE app;"]
stmts += [f"CREATE TABLE bulk.t{i} (id int PRIMARY KEY, note text);" for i in range(25_000)]
stmts += [f"CREATE FUNCTION bulk.f{i}(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + {i}';"
          for i in range(20_000)]
stmts += ["RESET ROLE;", "ANALYZE;"]
sql("\n".join(stmts))
count = subprocess.run([PSQL, "-X", "-At", admin, "-c", "SELECT count(*) FROM pg_class", "-c",
                        "SELECT count(*) FROM pg_proc"], capture_output=True, text=True).stdout.split()
label = f"{int(count[0]):,} relations, {int(count[1]):,} functions"
results[label] = measure(label)

sql("GRANT USAGE ON SCHEMA bulk TO warroom_ro; GRANT SELECT ON ALL TABLES IN SCHEMA bulk TO warroom_ro;")
results["  and SELECT granted on its 25,000 tables"] = measure("granted")

# A paste of 10 MB, and 10M rows.
agent = "SELECT id, email FROM users WHERE id = {n} ORDER BY id LIMIT 10;\n"
paste = "".join(agent.format(n=i) for i in range(10 * 1024 * 1024 // len(agent.format(n=100000))))
with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
    f.write(paste)
extra = []
for mb, text in ((1, paste[: len(paste) // 10]), (10, paste)):
    with open(f.name, "w") as g:
        g.write(text)
    runs = [timed([WARROOM, "check", "--json", f.name]) for _ in range(3)]
    extra.append((f"check --json of a {mb} MB paste", f"{med([r[0] for r in runs]) * 1e3:.0f} ms",
                  f"peak RSS {max(r[2] for r in runs) / 1024:.1f} MB"))
term = Tmux(200, 50)
try:
    t = term.run([WARROOM, "--config", config, "--profile", "bench", "--incident", "scale-paste"], {"XDG_STATE_HOME": state})
    term.until("read-only  ")
    pid = term.pid()
    with open(f.name, "w") as g:
        g.write(paste)
    term.command(f"load-buffer -b big {f.name}")
    t = time.perf_counter()
    term.command("paste-buffer -p -b big -t bench:0.0")
    took = term.until("Pasted", limit=300) - t
    rss = term.memory_kb(pid)
    extra.append(("the cockpit taking a 10 MB paste", f"{took * 1e3:.0f} ms", f"RSS {rss[0] / 1024:.1f} MB, peak {rss[1] / 1024:.1f} MB"))
finally:
    term.close()
os.unlink(f.name)

sql("CREATE TABLE ten_million AS SELECT g AS id, md5(g::text) AS hash, g * 1.5 AS amount FROM generate_series(1, 10000000) g;"
    "GRANT SELECT ON ten_million TO warroom_ro;")
for n, where in ((1_000_000, "WHERE id <= 1000000"), (10_000_000, "")):
    r = timed([WARROOM, "query", "--dsn", dsn, "--csv", "--limit", "0", "--heavy", f"SELECT * FROM ten_million {where}"])
    extra.append((f"query --csv of {n:,} rows", f"{r[0] * 1e3:.0f} ms wall, {r[1] * 1e3:.0f} ms CPU", f"peak RSS {r[2] / 1024:.1f} MB"))

demo_server.stop(demo)

names = list(next(iter(results.values())).keys())
cols = list(results.keys())
widths = [max(len(n) for n in names)] + [max(len(c), 8) for c in cols]
print(f"\nmedians of {RUNS} runs\n")
print("  ".join(h.ljust(w) for h, w in zip([""] + cols, widths)))
base = results[cols[0]]
for n in names:
    cells = [f"{results[c][n]:.1f}" + (f" ({results[c][n] / base[n]:.2f}×)" if c != cols[0] and base[n] else "") for c in cols]
    print("  ".join(x.ljust(w) for x, w in zip([n] + cells, widths)))
print()
for what, a, b in extra:
    print(f"{what:<36} {a:<32} {b}")
