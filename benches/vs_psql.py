#!/usr/bin/env python3
"""warroom query against psql on the same million-row table: time to the first 500 rows,
and a full CSV export against `psql --csv` and psql's `\\copy ... TO` floor, with the peak
memory of each. Run from the repository root after `cargo build --release`:

    python3 benches/vs_psql.py [RUNS]

It starts `warroom demo` for a throwaway server and stops it at the end.
"""
import statistics, subprocess, sys, tempfile, time

import demo_server
from demo_server import PSQL, WARROOM

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10

demo, dsn = demo_server.start()
admin = dsn.replace("user=warroom_ro", "user=postgres")
subprocess.run([PSQL, "-X", "-q", admin, "-c",
                "CREATE TABLE million AS SELECT g AS id, md5(g::text) AS hash, g * 1.5 AS amount, "
                "now() - g * interval '1 second' AS at FROM generate_series(1, 1000000) g; ANALYZE million"],
               check=True)


def measure(argv):
    """Wall time and peak RSS (kB) of one run, output to a file as a user would."""
    # GNU time reports the peak RSS of the program alone (Python's own pages would
    # count if we forked it ourselves).
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        status = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv,
                                stdout=out, stderr=subprocess.DEVNULL).returncode
        took = time.perf_counter() - t
        assert status == 0, argv
        out.seek(0, 2)
        return took, int(rss.read().strip().splitlines()[-1]), out.tell()


def bench(name, argv):
    measure(argv)  # warm the cache
    runs = [measure(argv) for _ in range(RUNS)]
    times = sorted(r[0] for r in runs)
    print(f"{name:<46} median {statistics.median(times) * 1000:8.1f} ms  min {times[0] * 1000:8.1f} ms  "
          f"peak RSS {max(r[1] for r in runs) / 1024:6.1f} MB  output {runs[0][2] / 1e6:6.1f} MB")


ro = dsn
sql = "SELECT * FROM million ORDER BY id"
bench("warroom query --limit 500", [WARROOM, "query", "--dsn", ro, "--limit", "500", sql])
bench("psql -c '... LIMIT 500'", [PSQL, "-X", ro, "-c", sql + " LIMIT 500"])
bench("warroom query --csv --limit 0", [WARROOM, "query", "--dsn", ro, "--csv", "--limit", "0", "--heavy", "SELECT * FROM million"])
bench("psql --csv -c", [PSQL, "-X", "--csv", ro, "-c", "SELECT * FROM million"])
bench("psql -c '\\copy ... TO STDOUT (csv)' (floor)", [PSQL, "-X", ro, "-c", "\\copy (SELECT * FROM million) TO STDOUT WITH (FORMAT csv, HEADER)"])

demo_server.stop(demo)
