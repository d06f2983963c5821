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


def million(dsn):
    """A million-row table with a primary key, readable by the read-only role."""
    admin = dsn.replace("user=warroom_ro", "user=postgres")
    subprocess.run([PSQL, "-X", "-q", admin, "-c",
                    "CREATE TABLE million AS SELECT g AS id, md5(g::text) AS hash, g * 1.5 AS amount "
                    "FROM generate_series(1, 1000000) g; ALTER TABLE million ADD PRIMARY KEY (id); ANALYZE million; "
                    "GRANT SELECT ON million TO warroom_ro"], check=True)
