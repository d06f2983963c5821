#!/usr/bin/env python3
"""`warroom hook claude`'s whole-process time on a typical Bash call (a psql read and a
plain command), against `true` in the same run: what an agent pays on every command.
Run from the repository root after `cargo build --release`:

    python3 benches/hook.py [RUNS]
"""
import json, os, statistics, subprocess, sys, tempfile, time

WARROOM = os.path.abspath("target/release/warroom")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CALLS = {
    "psql read": "psql -X -h db -c 'SELECT pid, state, now() - xact_start FROM pg_stat_activity WHERE state <> ''idle'' LIMIT 20'",
    "plain command": "git status && ls -la src | head",
    "destructive tool": "npx drizzle-kit push --force --config=drizzle.prod.ts",
    # A 10 KB command: a heredoc of SQL into psql, as agents write them.
    "10 KB command": "psql -X app <<'EOF'\n"
    + "".join(f"SELECT id, email, created_at FROM users WHERE id = {i} AND email LIKE '%@example.com';\n" for i in range(120))
    + "EOF",
}



def timed(argv, stdin, env):
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, env=env, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


with tempfile.TemporaryDirectory() as state:
    env = dict(os.environ, XDG_STATE_HOME=state, WARROOM_CONFIG="/dev/null")
    env.pop("WARROOM_INCIDENT", None)
    base = timed(["true"], b"", env)
    print(f"true: median {base:.2f} ms over {RUNS} runs")
    for name, command in CALLS.items():
        call = json.dumps({"tool_name": "Bash", "tool_input": {"command": command}}).encode()
        t = timed([WARROOM, "hook", "claude"], call, env)
        print(f"warroom hook claude, {name} ({len(command)} bytes): median {t:.2f} ms, {t - base:+.2f} ms above true (target: under 5 ms; 10 ms for 10 KB)")
