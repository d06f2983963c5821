"""A real terminal emulator for benchmarks: one tmux server, one 200x50 pane, driven over a
control-mode client so that asking "what is on the screen now?" costs a pipe round trip,
not a process start. What `capture-pane` returns is what tmux has parsed and would show: the
time a pattern appears there is the time a person could see it."""
import os, subprocess, tempfile, time


POLL = float(os.environ.get("TMUX_POLL_SECONDS", "0.0005"))


class Tmux:
    def __init__(self, width=200, height=50):
        self.sock = f"warroom-bench-{os.getpid()}"
        base = ["tmux", "-L", self.sock, "-f", "/dev/null"]
        subprocess.run(base + ["new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height),
                               "sleep 1000000"], check=True)
        subprocess.run(base + ["set-option", "-g", "window-size", "manual"], check=True)
        subprocess.run(base + ["set-option", "-g", "remain-on-exit", "on"], check=True)
        self.ctl = subprocess.Popen(base + ["-C", "attach-session", "-t", "bench"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, bufsize=0)
        # The attach's own reply comes first.
        while not self.ctl.stdout.readline().startswith((b"%end", b"%error")):
            pass
        # Output notifications would only fill the pipe; only command replies are wanted.
        try:
            self.command("refresh-client -f no-output")
        except RuntimeError:
            pass  # older tmux: the notifications are read past

    def command(self, line):
        """Sends one tmux command; returns its reply lines."""
        self.ctl.stdin.write(line.encode() + b"\n")
        out = []
        inside = False
        while True:
            raw = self.ctl.stdout.readline()
            if not raw:
                raise RuntimeError("tmux control client went away")
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if text.startswith("%begin"):
                inside, out = True, []
            elif text.startswith("%end") or text.startswith("%error"):
                if inside:
                    if text.startswith("%error"):
                        raise RuntimeError(f"tmux: {line}: {out}")
                    return out
            elif inside:
                out.append(text)

    def screen(self, lines=None):
        """What is on the screen (or on rows `lines` = (first, last), counted from 0): tmux
        takes ~3 ms to capture a full screen of box-drawing characters and ~0.1 ms for a
        screen of plain text, so a measurement that knows where to look asks for that only."""
        rows = f" -S {lines[0]} -E {lines[1]}" if lines else ""
        return "\n".join(self.command(f"capture-pane -p{rows} -t bench:0.0"))

    def run(self, argv, env=None):
        """Replaces the pane's program with `argv` (exec'd, so the pane's pid is its pid)."""
        quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
        prefix = " ".join(f"{k}='{v}'" for k, v in (env or {}).items())
        self.command(f"respawn-pane -k -t bench:0.0 \"exec env TERM=tmux-256color {prefix} {quoted}\"")
        return time.perf_counter()

    def pid(self):
        return int(self.command("display-message -p -t bench:0.0 '#{pane_pid}'")[0])

    def until(self, pattern, limit=30.0, lines=None):
        """Polls the screen (or rows `lines`) until `pattern` is on it; returns the time it
        was first seen."""
        end = time.perf_counter() + limit
        while True:
            if pattern in self.screen(lines):
                return time.perf_counter()
            # A breath between asks: tmux is one thread, and a capture it is busy answering
            # is output from the program it has not yet read.
            time.sleep(POLL)
            if time.perf_counter() > end:
                raise TimeoutError(f"{pattern!r} not on screen:\n{self.screen()}")

    def row_of(self, pattern):
        """The row (from 0) where `pattern` is on the screen now."""
        return next(i for i, line in enumerate(self.screen().split("\n")) if pattern in line)

    def keys(self, *keys, literal=False):
        flag = "-l " if literal else ""
        args = " ".join("'" + k.replace("'", "'\\''") + "'" for k in keys)
        self.command(f"send-keys -t bench:0.0 {flag}{args}")
        return time.perf_counter()

    def paste(self, text):
        """Pastes `text` as a terminal does (bracketed, when the program asked for it)."""
        # Through a file: a command line cannot hold a line end.
        with tempfile.NamedTemporaryFile("w", suffix=".paste") as f:
            f.write(text)
            f.flush()
            self.command(f"load-buffer -b bench {f.name}")
        self.command("paste-buffer -p -b bench -t bench:0.0")

    def memory_kb(self, pid):
        """(resident now, peak resident) of a process, in kB."""
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def close(self):
        try:
            self.ctl.stdin.close()
            self.ctl.wait(timeout=2)
        except Exception:
            self.ctl.kill()
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], stderr=subprocess.DEVNULL)
