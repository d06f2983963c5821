#!/usr/bin/env python3
"""The cockpit against the psql binary, whole process, in a real pseudo-terminal (120x40):

- launch to the first full frame (warroom), to connected with the read-only posture checked
  (warroom) and to the prompt (psql);
- the rows of a `LIMIT 100` read of a million-row table on screen, from the key that runs it
  (F5 / Enter), with the heavy-read check (the planner's estimate) and without it;
- warroom's idle memory once connected.

Run from the repository root after `cargo build --release`:

    python3 benches/launch.py [RUNS]

It starts `warroom demo --no-cockpit` for a throwaway server and stops it at the end.
"""
import fcntl, os, pty, re, select, signal, statistics, struct, sys, termios, time

import demo_server
from demo_server import PSQL, WARROOM

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
QUERY = "SELECT * FROM million ORDER BY id LIMIT 100;"

demo, dsn = demo_server.start()
import subprocess, tempfile
demo_server.million(dsn)
config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
config.write(f'[profiles.checked]\nenvironment = "production"\ndsn = "{dsn}"\n'
             f'[profiles.unchecked]\nenvironment = "production"\ndsn = "{dsn}"\nmax_rows_scanned = 0\nmax_cost = 0\n')
config.close()


class Pty:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm-256color"
            os.environ.pop("NO_COLOR", None)
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.seen = b""

    def until(self, pattern, limit=20.0):
        """Reads until `pattern` (bytes) has appeared; returns the time it appeared."""
        end = time.perf_counter() + limit
        while pattern not in self.seen:
            left = end - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{pattern!r} not seen; last output: {self.seen[-400:]!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:
                    break
        return time.perf_counter()

    def write(self, data):
        self.seen = b""
        os.write(self.fd, data)

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def close(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


results = {"warroom first frame": [], "warroom connected, posture checked": [], "psql prompt": [],
           "warroom 100 rows on screen": [], "  without the heavy-read check": [], "psql 100 rows on screen": [],
           "warroom idle RSS (MB)": []}
state = tempfile.mkdtemp()
os.environ["XDG_STATE_HOME"] = state


def rows_on_screen(w):
    """Pastes the query, then times F5 to its rows on screen (three times, the last counts:
    the first run reads the catalog facts the guard needs, as any first read does)."""
    w.write(b"\x1b[200~" + QUERY.encode() + b"\x1b[201~")
    w.until(b"Pasted")
    time.sleep(0.3)
    took = None
    for _ in range(3):
        t = time.perf_counter()
        w.write(b"\x1b[15~")
        took = w.until(b"100 rows in") - t
        time.sleep(0.3)
    return took


for run in range(RUNS):
    t = time.perf_counter()
    # A new incident each time: one with a draft would open on it.
    w = Pty([WARROOM, "--config", config.name, "--profile", "checked", "--incident", f"bench-{run}-a"])
    results["warroom first frame"].append(w.until(b"Ctrl-Q quit") - t)
    results["warroom connected, posture checked"].append(w.until(b"read-only  ") - t)
    results["warroom 100 rows on screen"].append(rows_on_screen(w))
    time.sleep(1.0)
    results["warroom idle RSS (MB)"].append(w.rss_kb() / 1024)
    w.close()

    w = Pty([WARROOM, "--config", config.name, "--profile", "unchecked", "--incident", f"bench-{run}-b"])
    w.until(b"read-only  ")
    results["  without the heavy-read check"].append(rows_on_screen(w))
    w.close()

    t = time.perf_counter()
    p = Pty([PSQL, "-X", "-P", "pager=off", dsn])
    results["psql prompt"].append(p.until(b"shop=>") - t)
    time.sleep(0.2)
    t = time.perf_counter()
    p.write(QUERY.encode() + b"\r")
    p.until(b"(100 rows)")
    time.sleep(0.3)
    t = time.perf_counter()
    p.write(QUERY.encode() + b"\r")
    results["psql 100 rows on screen"].append(p.until(b"(100 rows)") - t)
    p.close()

demo_server.stop(demo)
print(f"median of {RUNS} runs, 120x40 pseudo-terminal")
for name, values in results.items():
    unit = "" if "MB" in name else " ms"
    scale = 1 if "MB" in name else 1000
    print(f"  {name:<28} {statistics.median(values) * scale:8.1f}{unit}   (min {min(values) * scale:.1f}, max {max(values) * scale:.1f})")
