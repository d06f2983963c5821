#!/usr/bin/env python3
"""warroom against psql where a person is: one command, a table of ratios against the goals.

    cargo build --release && python3 benches/compare.py [RUNS]

1. The cockpit and the psql binary, interleaved, in tmux (a real terminal emulator, a
   200x50 pane): launch to the first full frame (psql: its prompt), to connected with the
   posture checked, a `LIMIT 100` read of a million-row table on screen from the key that
   runs it, memory idle and after the read (resident and peak).
2. `warroom check --json` against libpg_query's C parser (pglast's `parse_sql_json`) on a
   file of 10,000 statements of distinct shapes and one of 10,000 agent-style statements.
3. `warroom query --csv` of the million rows against psql's `\\copy ... TO STDOUT` floor,
   quiet and with two busy processes competing for the CPU: wall time and CPU time.

It starts `warroom demo --no-cockpit` for a throwaway server and stops it at the end.
pglast comes from `pip install pglast`; without it part 2 says so and is skipped.
"""
import os, random, statistics, subprocess, sys, tempfile, time

import demo_server
from demo_server import PSQL, WARROOM
from sql_corpus import agent_style, distinct_shapes
from tmux_term import Tmux

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
rows = []  # (what, psql or floor, warroom, ratio or difference, goal, met)


def report(what, base, ours, unit, goal_ratio=None, goal_plus=None):
    if goal_plus is not None:
        rel, goal, met = f"+{ours - base:.1f} {unit}", f"≤ +{goal_plus:g} {unit}", ours - base <= goal_plus
    else:
        rel, goal, met = f"{ours / base:.2f}×", f"≤ {goal_ratio:g}×", ours / base <= goal_ratio
    rows.append((what, f"{base:.1f} {unit}", f"{ours:.1f} {unit}", rel, goal, "yes" if met else "NO"))


demo, dsn = demo_server.start()
demo_server.million(dsn)
state = tempfile.mkdtemp()
config = os.path.join(state, "config.toml")
with open(config, "w") as f:
    f.write(f'[profiles.bench]\nenvironment = "production"\ndsn = "{dsn}"\n')
env = {"XDG_STATE_HOME": state, "NO_COLOR": ""}


# 1. The cockpit and psql in tmux, interleaved.
def read_on_screen(term, k, typed, row=None):
    """Times the key that runs a read of 100 rows (numbered from k) to its rows on screen;
    with `row`, watching only that row of the screen (where the first row shows)."""
    query = f"SELECT id + {k} AS n, hash, amount FROM million ORDER BY id LIMIT 100;"
    if typed:  # psql: the query is typed, Enter runs it; its last row shows last.
        term.keys(query, literal=True)
        time.sleep(0.2)
        t = term.keys("Enter")
        return term.until(f" {k + 100} |") - t
    term.paste("\n" + query + "\n")  # warroom: a paste goes to the editor; F5 runs the fresh paste.
    term.until("Pasted")
    time.sleep(0.3)
    t = term.keys("F5")
    lines = (row, row) if row is not None else None
    return term.until(f"{k + 1} ", lines=lines) - t


cockpit = {k: [] for k in ("launch", "connected", "read", "idle", "after", "peak")}
psql = {k: [] for k in ("launch", "read", "idle", "after", "peak")}
term = Tmux(200, 50)
try:
    for run in range(RUNS):
        t = term.run([WARROOM, "--config", config, "--profile", "bench", "--incident", f"bench-{run}"], env)
        # The status line (the last row) comes with the first frame; the banner's posture
        # on its fourth row. Capturing those rows only keeps tmux's capture out of the time.
        cockpit["launch"].append(term.until("Ctrl-Q quit", lines=(49, 49)) - t)
        cockpit["connected"].append(term.until("read-only  ", lines=(3, 3)) - t)
        time.sleep(1.0)
        pid = term.pid()
        cockpit["idle"].append(term.memory_kb(pid)[0])
        row = None
        for i in range(3):  # the last counts: the first read of a shape reads its catalog facts
            k = 7_000_000 + run * 10_000 + i * 1000
            took = read_on_screen(term, k, typed=False, row=row)
            row = term.row_of(f"{k + 1} ")
            time.sleep(0.3)
        cockpit["read"].append(took)
        now, peak = term.memory_kb(pid)
        cockpit["after"].append(now)
        cockpit["peak"].append(peak)
        term.keys("C-q")

        t = term.run([PSQL, "-X", "-P", "pager=off", dsn])
        psql["launch"].append(term.until("shop=>") - t)
        time.sleep(1.0)
        pid = term.pid()
        psql["idle"].append(term.memory_kb(pid)[0])
        for i in range(3):
            took = read_on_screen(term, 8_000_000 + run * 10_000 + i * 1000, typed=True)
            time.sleep(0.3)
        psql["read"].append(took)
        now, peak = term.memory_kb(pid)
        psql["after"].append(now)
        psql["peak"].append(peak)
finally:
    term.close()

med = lambda xs: statistics.median(xs)
report("launch to first full frame (psql: prompt)", med(psql["launch"]) * 1e3, med(cockpit["launch"]) * 1e3, "ms", 1.0)
report("connected, posture checked (psql: prompt)", med(psql["launch"]) * 1e3, med(cockpit["connected"]) * 1e3, "ms", 1.0)
report("LIMIT 100 on screen, from the key", med(psql["read"]) * 1e3, med(cockpit["read"]) * 1e3, "ms", goal_plus=1.0)
report("idle RSS", med(psql["idle"]) / 1024, med(cockpit["idle"]) / 1024, "MB", 1.2)
report("RSS after LIMIT 100", med(psql["after"]) / 1024, med(cockpit["after"]) / 1024, "MB", 1.5)
report("peak RSS (VmHWM) after LIMIT 100", med(psql["peak"]) / 1024, med(cockpit["peak"]) / 1024, "MB", 1.5)


# 2. check against the C parse.
def timed(argv):
    with tempfile.NamedTemporaryFile("r") as stats:
        t = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        user, sys_, rss = stats.read().split("\n")[-2].split()
        return wall, float(user) + float(sys_), int(rss)


try:
    import pglast.parser
except ImportError:
    pglast = None
    print("pglast is not installed (pip install pglast): the check comparison is skipped", file=sys.stderr)
if pglast:
    rng = random.Random(26)
    for name, stmts in (("distinct shapes", distinct_shapes(10_000, rng)), ("agent-style", agent_style(10_000, rng))):
        text = "\n".join(stmts) + "\n"
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write(text)
        c_parse = []
        for _ in range(RUNS):
            t = time.perf_counter()
            pglast.parser.parse_sql_json(text)
            c_parse.append(time.perf_counter() - t)
        ours = [timed([WARROOM, "check", "--json", f.name]) for _ in range(RUNS)]
        mb = len(text.encode()) / 1e6
        report(f"check --json, 10k {name} ({mb:.1f} MB)", med(c_parse) * 1e3, med([o[0] for o in ours]) * 1e3, "ms",
               1.0 if name == "distinct shapes" else 0.5)
        rows.append((f"  its peak RSS", "", f"{max(o[2] for o in ours) / 1024:.1f} MB", "", "≤ 20 MB" if name == "agent-style" else "",
                     ("yes" if max(o[2] for o in ours) / 1024 <= 20 else "NO") if name == "agent-style" else ""))
        os.unlink(f.name)


# 3. The CSV export against the \copy floor, quiet and under load.
def export(load):
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
    try:
        ours = [timed([WARROOM, "query", "--dsn", dsn, "--csv", "--limit", "0", "--heavy", "SELECT * FROM million"])
                for _ in range(RUNS)]
        floor = [timed([PSQL, "-X", dsn, "-c", "\\copy (SELECT * FROM million) TO STDOUT WITH (FORMAT csv, HEADER)"])
                 for _ in range(RUNS)]
    finally:
        for h in hogs:
            h.kill()
    return ours, floor


for load, label in ((0, "quiet"), (2, "under load")):
    ours, floor = export(load)
    report(f"CSV export of 1M rows, {label}: wall", med([f[0] for f in floor]) * 1e3, med([o[0] for o in ours]) * 1e3,
           "ms", 1.0)
    report(f"CSV export of 1M rows, {label}: CPU", med([f[1] for f in floor]) * 1e3, med([o[1] for o in ours]) * 1e3,
           "ms", 1.0)

demo_server.stop(demo)

size = os.path.getsize(WARROOM) / 1e6
stripped = tempfile.mktemp()
subprocess.run(["strip", "-o", stripped, WARROOM], check=True)
rows.append(("binary, stripped", "", f"{os.path.getsize(stripped) / 1e6:.1f} MB", "", "≤ 10 MB",
             "yes" if os.path.getsize(stripped) / 1e6 <= 10 else "NO"))
os.unlink(stripped)

print(f"\nmedians of {RUNS} runs; tmux {200}x{50}; psql = {PSQL}\n")
head = ("", "psql / C parse / floor", "warroom", "ratio", "goal", "met")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(6)]
for r in [head] + rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
