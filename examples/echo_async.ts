/**
 * echo_async.ts: the echo server on the net layer, Go style: one async task
 * per connection, `read` parks a Promise on EAGAIN as a goroutine would.
 *
 *   deno run --allow-ffi examples/echo_async.ts [port]
 *
 * @module
 */

import { type Conn, listen } from "../mod.ts";

async function echo(conn: Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) await conn.writeAll(buf.subarray(0, n));
  } catch {
    /* reset by peer: nothing to do but close */
  } finally {
    conn.close();
  }
}

const listener = listen({ hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 7778) });
console.log(`listening on 127.0.0.1:${(listener.addr as { port: number }).port}`);
Deno.addSignalListener("SIGINT", () => listener.close());
for await (const conn of listener) echo(conn);
