/**
 * net_echo.ts: the echo server on the net layer, in the two idioms whose
 * memory per idle connection bench/stress measures (issue 11, item 7):
 *
 * - `--idiom pipe`: `conn.readable.pipeTo(conn.writable)` per connection. The
 *   readable holds no buffer while it waits (one shared scratch buffer,
 *   exact-size chunks), so an idle conn costs only its objects.
 * - `--idiom buffer`: the old loop, `read` into a 64 KiB buffer per
 *   connection (what examples/echo_async.ts did).
 *
 *   deno run --allow-ffi bench/stress/net_echo.ts --port 0 --idiom pipe [--reuse-port]
 *
 * Prints `listening on HOST:PORT` first; SIGINT/SIGTERM stop it.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { type Conn, listen } from "../../mod.ts";

/** The old idiom: a 64 KiB buffer per connection, held while it waits. */
async function echoBuffered(conn: Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) await conn.writeAll(buf.subarray(0, n));
  } catch {
    // A reset ends this conn only.
  } finally {
    conn.close();
  }
}

/** The lean idiom: the conn's own streams; at EOF or an error both close the conn. */
function echoPiped(conn: Conn): void {
  conn.readable.pipeTo(conn.writable).catch(() => conn.close());
}

function options(args: string[]): { port: number; idiom: string; reusePort: boolean; hostname: string } {
  const flags = parseArgs(args, {
    string: ["port", "idiom", "hostname"],
    boolean: ["reuse-port"],
    default: { port: "0", idiom: "pipe", hostname: "127.0.0.1" },
  });
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port: ${flags.port}`);
  if (flags.idiom !== "pipe" && flags.idiom !== "buffer") {
    throw new RangeError("--idiom must be pipe or buffer");
  }
  return { port, idiom: flags.idiom, reusePort: flags["reuse-port"], hostname: flags.hostname };
}

if (import.meta.main) {
  const opts = options(Deno.args);
  const listener = listen({ hostname: opts.hostname, port: opts.port, reusePort: opts.reusePort });
  const stop = (): void => Deno.exit(0); // the conns go with the process
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(`listening on ${opts.hostname}:${listener.addr.port}`);
  const serve = opts.idiom === "pipe" ? echoPiped : echoBuffered;
  for await (const conn of listener) serve(conn);
}
