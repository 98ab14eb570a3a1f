/**
 * echo_async.ts: the echo server on the net layer, Go style: one async task
 * per connection, `receive` parks a Promise on EAGAIN as a goroutine would.
 * No buffer per connection: `receive` reads into one scratch buffer shared
 * by every conn and resolves with a copy of just the bytes that came, so an
 * idle connection costs about 1 KiB of objects (README, "Memory per idle
 * connection").
 * SIGINT/SIGTERM close the listener and every connection, print the totals
 * and exit 0.
 *
 *   deno run --allow-ffi examples/echo_async.ts [port]
 *
 * @module
 */

import { type Conn, listen } from "../mod.ts";

const totals = { connections: 0, bytes: 0 };
const live = new Map<Conn, Promise<void>>(); // open connections and their tasks, to close them on SIGINT

async function echo(conn: Conn): Promise<void> {
  try {
    for (let chunk; (chunk = await conn.receive()) !== null;) {
      await conn.writeAll(chunk); // the chunk is ours: it may wait for EPOLLOUT
      totals.bytes += chunk.length;
    }
  } catch {
    /* reset by peer, or closed on SIGINT: nothing to do but close */
  } finally {
    conn.close();
  }
}

// Before "listening on" and never removed: a second SIGINT while closing
// finds a listener, not Deno's default action (exit 130, no totals).
const stopped = new Promise<void>((resolve) => {
  Deno.addSignalListener("SIGINT", () => resolve());
  Deno.addSignalListener("SIGTERM", () => resolve());
});
const listener = listen({ hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 7778) });
console.log(`listening on 127.0.0.1:${listener.addr.port}`);
stopped.then(() => listener.close()); // ends the loop below
for await (const conn of listener) {
  totals.connections++;
  live.set(conn, echo(conn).finally(() => live.delete(conn)));
}
for (const conn of live.keys()) conn.close(); // their pending reads and writes reject: each task ends
await Promise.all(live.values());
console.log(`connections: ${totals.connections}, bytes echoed: ${totals.bytes}`);
Deno.exit(0); // at once: an exit by the end of the event loop drops the signal listeners first
