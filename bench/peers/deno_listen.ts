/**
 * Echo peer on Deno's own networking (Deno.listen + Deno.Conn) for bench/echo.ts.
 *
 *   deno run --allow-net bench/peers/deno_listen.ts --port 0 --hostname 127.0.0.1
 *
 * Prints `listening on HOST:PORT` first, then echoes every byte back. One read/write loop per
 * connection with its own 64 KiB buffer: the idiomatic shape of a Deno TCP server.
 */

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    conn.setNoDelay(true);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      await writeAll(conn, buf.subarray(0, n));
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

function formatHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

async function main(): Promise<void> {
  const hostname = flag("hostname", "127.0.0.1");
  const listener = Deno.listen({ hostname, port: Number(flag("port", "0")) });
  const stop = (): void => {
    listener.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  console.log(`listening on ${formatHost(hostname)}:${listener.addr.port}`);
  for await (const conn of listener) echo(conn);
}

if (import.meta.main) await main();
