"""What benches/vs_psql.py and benches/launch.py share: the release binary, psql, and a
throwaway server from `warroom demo --no-cockpit`."""
import glob, os, re, signal, subprocess

WARROOM = os.path.abspath("target/release/warroom")
# The psql binary itself, not Debian's Perl wrapper in /usr/bin (which adds ~50 ms a start).
PSQL = (sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or ["/usr/bin/psql"])[-1]


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
