"""What benches/vs_psql.py and benches/launch.py share: the release binary, psql, and a
throwaway server from `warroom demo --no-cockpit`."""
import os, re, shutil, signal, subprocess

WARROOM = os.path.abspath("target/release/warroom")
PSQL = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"


def start():
    """Starts the demo server; returns the process and the read-only role's DSN."""
    demo = subprocess.Popen([WARROOM, "demo", "--no-cockpit"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    dsn = None
    for line in demo.stdout:
        m = re.search(r"connection \(read-only role\):\s+(.*)$", line)
        if m:
            dsn = m.group(1).strip()
        if line.startswith("Press Ctrl-C"):
            break
    if dsn is None:
        raise SystemExit("warroom demo did not start; run `cargo build --release` and check PostgreSQL")
    return demo, dsn


def stop(demo):
    """Stops the demo server (it deletes its folder)."""
    demo.send_signal(signal.SIGINT)
    demo.wait()
