#!/usr/bin/env python3
"""Claude Code PreToolUse hook: refuse a Bash tool call that runs psql with SQL that is not a read.

Claude Code sends the tool call as JSON on stdin. Exit 0 lets the call run; exit 2 blocks it
and shows stderr to the agent. Every SQL string given to psql (-c/--command, -f/--file) is
checked with `warroom check`; psql reading SQL from stdin or a heredoc cannot be checked, so
it is refused too. Set WARROOM to the warroom binary if it is not on PATH.
"""
import json
import os
import shlex
import subprocess
import sys

WARROOM = os.environ.get("WARROOM", "warroom")
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}


def block(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def psql_invocations(command):
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError as e:
        block(f"warroom: cannot parse this shell command ({e}); refusing to run psql blind")
    current = None
    for word in words:
        if word in SEPARATORS:
            if current is not None:
                yield current
            current = None
        elif current is None and os.path.basename(word) == "psql":
            current = []
        elif current is not None:
            current.append(word)
    if current is not None:
        yield current


def sql_of(args):
    """The SQL texts psql would run, or None when it would read SQL we cannot see."""
    texts, i = [], 0
    while i < len(args):
        a = args[i]
        if a in ("-c", "--command", "-f", "--file") and i + 1 < len(args):
            value, i = args[i + 1], i + 2
        elif a.startswith("--command=") or a.startswith("--file="):
            value, i = a.split("=", 1)[1], i + 1
        elif a.startswith("-c") and len(a) > 2 or a.startswith("-f") and len(a) > 2:
            value, i = a[2:], i + 1
        else:
            i += 1
            continue
        if a.startswith("-f") or a.startswith("--file"):
            if value == "-":
                return None
            try:
                with open(value, encoding="utf-8") as f:
                    value = f.read()
            except OSError as e:
                block(f"warroom: cannot read the SQL file {value} ({e.strerror}); refusing")
        texts.append(value)
    return texts or None


def main():
    call = json.load(sys.stdin)
    if call.get("tool_name") != "Bash":
        return
    command = call.get("tool_input", {}).get("command", "")
    for args in psql_invocations(command):
        texts = sql_of(args)
        if texts is None:
            block("warroom: this psql reads SQL from stdin or a terminal, which cannot be checked; "
                  "pass the SQL with -c so warroom can prove it is a read")
        for sql in texts:
            try:
                result = subprocess.run([WARROOM, "check", "-"], input=sql.encode(), capture_output=True)
            except FileNotFoundError:
                block(f"warroom: `{WARROOM}` is not installed or not on PATH; refusing psql until it is")
            if result.returncode != 0:
                block("warroom refused this psql call: it is not a read.\n"
                      + result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace"))


if __name__ == "__main__":
    main()
