"""Drives `warroom mcp` with the official MCP Python SDK's stdio client, as an agent would.

Usage: client.py -- COMMAND ARGS... < CALLS_JSON
CALLS_JSON (on standard input) is a list of {"tool": name, "arguments": {...}}, or of
{"pause": NAME}: the client writes $XDG_STATE_HOME/NAME.ready and waits for NAME.go, so that the
test can act on the server between two calls. Prints one JSON object: the server's name and
instructions, the tool names with their input schemas and annotations, and each call's result
(is_error, text, structured content, milliseconds), in order.
"""

import asyncio
import json
import os
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp import types


async def main() -> None:
    calls = json.loads(sys.stdin.read())
    command = sys.argv[sys.argv.index("--") + 1 :]
    # The SDK passes the server only a safe few variables; warroom's own and libpq's go too.
    env = {k: v for k, v in os.environ.items() if k.startswith(("WARROOM_", "XDG_", "PG"))}
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    out = {"calls": []}
    async with stdio_client(params) as (read, write):
        info = types.Implementation(name="pytest-agent", version="1.0")
        async with ClientSession(read, write, client_info=info) as session:
            init = await session.initialize()
            out["server"] = init.server_info.name
            out["instructions"] = init.instructions
            tools = await session.list_tools()
            out["tools"] = {t.name: t.input_schema for t in tools.tools}
            out["annotations"] = {
                t.name: t.annotations.model_dump(exclude_none=True) if t.annotations else None for t in tools.tools
            }
            for call in calls:
                if "pause" in call:
                    state = os.environ["XDG_STATE_HOME"]
                    open(os.path.join(state, call["pause"] + ".ready"), "w").close()
                    while not os.path.exists(os.path.join(state, call["pause"] + ".go")):
                        await asyncio.sleep(0.05)
                    continue
                started = time.monotonic()
                try:
                    r = await session.call_tool(call["tool"], call.get("arguments"))
                    text = "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")
                    out["calls"].append(
                        {"is_error": bool(r.is_error), "text": text, "structured": r.structured_content,
                         "ms": int((time.monotonic() - started) * 1000)}
                    )
                except Exception as e:  # a protocol-level error is an answer too
                    out["calls"].append({"is_error": True, "text": f"protocol error: {e}", "structured": None,
                                         "ms": int((time.monotonic() - started) * 1000)})
    print(json.dumps(out))


asyncio.run(main())
