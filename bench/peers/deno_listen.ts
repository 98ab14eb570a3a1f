/**
 * Echo peer on Deno's own networking (Deno.listen + Deno.Conn) for bench/echo.ts.
 *
 *   deno run --allow-net bench/peers/deno_listen.ts --port 0
 *
 * Listens on 127.0.0.1 and prints `listening on HOST:PORT` first, then echoes every byte back. One read/write loop per
 * connection with its own 64 KiB buffer: the idiomatic shape of a Deno TCP server.
 */

import { parseArgs } from "@std/cli";

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    conn.setNoDelay(true);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
    }
  } catch {
    // A peer reset (ECONNRESET/EPIPE) just ends this connection.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(parseArgs(Deno.args).port ?? 0) });
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, () => Deno.exit(0));
  console.log(`listening on 127.0.0.1:${listener.addr.port}`);
  for await (const conn of listener) echo(conn);
}
