#!/usr/bin/env python3
"""`warroom mcp`'s run_read round trip for a LIMIT 100 read, against `warroom query` of the
same read, in one run; and the MCP server's memory (RSS) while it idles after those calls.
Run from the repository root after `cargo build --release`, with the MCP Python SDK's venv
(`.ci/run` makes target/mcp-venv):

    target/mcp-venv/bin/python benches/agent_round_trip.py [RUNS]

It starts `warroom demo` for a throwaway server and stops it at the end. The round trip is
measured from the client (the official Python SDK), on a connected session; `warroom query`
is a whole process each time (start, connect, posture, the read), as a script would run it.
"""
import asyncio, os, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import demo_server
from demo_server import WARROOM

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
SQL = "SELECT id, email, created_at FROM users ORDER BY id LIMIT 100"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def warroom_pids():
    out = subprocess.run(["pgrep", "-f", f"{WARROOM} mcp"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


async def mcp_round_trips(dsn, state):
    env = {"XDG_STATE_HOME": state, "WARROOM_CONFIG": "/dev/null"}
    params = StdioServerParameters(command=WARROOM, args=["mcp", "--dsn", dsn, "--incident", "bench"], env=env)
    times = []
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=types.Implementation(name="bench", version="1")) as s:
            await s.initialize()
            for i in range(RUNS + 3):
                t = time.perf_counter()
                r = await s.call_tool("run_read", {"sql": SQL})
                if r.is_error:
                    raise SystemExit(f"run_read failed: {r.content}")
                if i >= 3:  # the first calls read the catalog facts
                    times.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(1.0)
            idle = [rss_kb(p) for p in warroom_pids()]
    return times, idle


def query_round_trips(dsn, state):
    times = []
    env = dict(os.environ, XDG_STATE_HOME=state, WARROOM_CONFIG="/dev/null")
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run([WARROOM, "query", "--dsn", dsn, SQL], check=True, stdout=subprocess.DEVNULL, env=env)
        times.append((time.perf_counter() - t) * 1000)
    return times


demo, dsn = demo_server.start()
try:
    with tempfile.TemporaryDirectory() as state:
        mcp_times, idle = asyncio.run(mcp_round_trips(dsn, state))
        query_times = query_round_trips(dsn, state)
finally:
    demo_server.stop(demo)

med = statistics.median
print(f"run_read LIMIT 100 through warroom mcp (connected): median {med(mcp_times):.2f} ms, "
      f"p90 {sorted(mcp_times)[int(len(mcp_times) * 0.9)]:.2f} ms over {len(mcp_times)} calls")
print(f"warroom query of the same read (a process each): median {med(query_times):.2f} ms over {len(query_times)} runs")
print(f"difference: {med(mcp_times) - med(query_times):+.2f} ms (target: run_read within 5 ms of query)")
print(f"warroom mcp idle RSS after the calls: {', '.join(f'{k / 1024:.1f} MB' for k in idle)} (target: under 15 MB)")
