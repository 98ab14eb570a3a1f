/**
 * examples/heartbeat.ts at millisecond scale (interval 20 ms, threshold
 * 80 ms), run as a user would: the server and the client are child
 * processes; a silent client and a server that stops answering are played
 * by Deno's own sockets, independent of the code under test.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { deadline, killTree, spawnDeno, spawnListening } from "./_net_helpers.ts";

const SCRIPT = ["run", "--allow-ffi", "examples/heartbeat.ts"];
const FAST = ["--interval", "20", "--threshold", "80"];

async function stopServer(server: Awaited<ReturnType<typeof spawnListening>>): Promise<string[]> {
  server.child.kill("SIGINT");
  const status = await deadline(server.child.status, 10_000, "the server to exit");
  const rest: string[] = [];
  for (let line; (line = await server.stdout.next()) !== null;) rest.push(line);
  assertEquals(status.code, 0, `stderr: ${await server.stderr}`);
  return rest;
}

Deno.test("heartbeat: a client beats 5 times and exits 0; the server counts the beats", async () => {
  const server = await spawnListening([...SCRIPT, "server", "--port", "0", ...FAST]);
  try {
    const client = spawnDeno([...SCRIPT, "client", "--port", String(server.port), ...FAST, "--count", "5"]);
    const out = await deadline(client.output(), 15_000, "the client");
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(lines.length, 5, lines.join("\n"));
    lines.forEach((l, i) => assert(new RegExp(`^beat ${i + 1}: PONG in [0-9.]+ ms$`).test(l), l));
    const rest = await stopServer(server);
    assert(rest.some((l) => /^online 127\.0\.0\.1:\d+$/.test(l)), rest.join("\n"));
    assert(rest.includes("heartbeats: 5, marked offline: 0"), rest.join("\n"));
  } finally {
    await killTree(server.child);
  }
});

Deno.test("heartbeat: the server marks a silent client offline after the threshold and closes it", async () => {
  const server = await spawnListening([...SCRIPT, "server", "--port", "0", ...FAST]);
  try {
    using silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const start = performance.now();
    const n = await deadline(silent.read(new Uint8Array(8)), 5000, "the server to close the silent client");
    const ms = performance.now() - start;
    assertEquals(n, null);
    assert(ms >= 70, `closed after ${ms} ms, before the 80 ms threshold`);
    const rest = await stopServer(server);
    assert(rest.some((l) => /^offline 127\.0\.0\.1:\d+: no heartbeat for 80 ms$/.test(l)), rest.join("\n"));
    assert(rest.includes("heartbeats: 0, marked offline: 1"), rest.join("\n"));
  } finally {
    await killTree(server.child);
  }
});

Deno.test("heartbeat: a client whose server stops answering reports it offline and exits 1", async () => {
  using mute = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = spawnDeno([...SCRIPT, "client", "--port", String(mute.addr.port), ...FAST]);
  const held = await mute.accept(); // accepts, reads nothing, answers nothing
  try {
    const out = await deadline(client.output(), 15_000, "the client");
    assertEquals(out.code, 1);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "server offline: no PONG for 80 ms");
  } finally {
    held.close();
    await killTree(client).catch(() => {});
  }
});

Deno.test("heartbeat: bad flags are refused with a message and exit 1", async () => {
  for (const args of [["server", "--interval", "x"], ["nobody"], ["client", "--port", "70000"]]) {
    const out = await deadline(spawnDeno([...SCRIPT, ...args]).output(), 15_000, "the process");
    assertEquals(out.code, 1, args.join(" "));
    assert(new TextDecoder().decode(out.stderr).startsWith("heartbeat: "), args.join(" "));
  }
});
