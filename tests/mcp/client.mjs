// Drives `warroom mcp` with the official MCP TypeScript SDK's stdio client: a second client
// this project did not write (the first is the Python SDK's, client.py).
//
// Usage: node client.mjs -- COMMAND ARGS... < CALLS_JSON
// CALLS_JSON is a list of {"tool": name, "arguments": {...}}. Prints one JSON object: the tools
// with their annotations, and each call's result (is_error, text, structured) or, for a
// protocol error, {"protocol_error": {code, message}}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const input = await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (c) => (data += c));
  process.stdin.on("end", () => resolve(data));
});
const calls = JSON.parse(input);
const command = process.argv.slice(process.argv.indexOf("--") + 1);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => /^(WARROOM_|XDG_|PG|PATH$|HOME$)/.test(k)),
);
const transport = new StdioClientTransport({ command: command[0], args: command.slice(1), env, stderr: "ignore" });
const client = new Client({ name: "ts-agent", version: "1.0.0" });
await client.connect(transport);
const out = { server: client.getServerVersion()?.name, tools: {}, calls: [] };
for (const t of (await client.listTools()).tools) {
  out.tools[t.name] = t.annotations ?? null;
}
for (const call of calls) {
  try {
    const r = await client.callTool({ name: call.tool, arguments: call.arguments ?? {} });
    const text = (r.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
    out.calls.push({ is_error: Boolean(r.isError), text, structured: r.structuredContent ?? null });
  } catch (e) {
    out.calls.push({ protocol_error: { code: e.code ?? null, message: String(e.message ?? e) } });
  }
}
await client.close();
console.log(JSON.stringify(out));
