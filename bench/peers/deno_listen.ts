/**
 * Echo peer on Deno's own networking (Deno.listen + Deno.Conn) for bench/echo.ts.
 *
 *   deno run --allow-net bench/peers/deno_listen.ts --port 0 --hostname 127.0.0.1
 *
 * Prints `listening on HOST:PORT` first, then echoes every byte back. One read/write loop per
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
  const { hostname = "127.0.0.1", port = "0" } = parseArgs(Deno.args, { string: ["hostname", "port"] });
  const listener = Deno.listen({ hostname, port: Number(port) });
  const stop = (): void => {
    listener.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  console.log(`listening on ${hostname.includes(":") ? `[${hostname}]` : hostname}:${listener.addr.port}`);
  for await (const conn of listener) echo(conn);
}
