/**
 * net_echo.ts: the echo server on the net layer, in the idioms whose memory
 * per idle connection bench/stress measures (issue 11, item 7):
 *
 * - `--idiom receive` (the lean one, examples/echo_async.ts): `conn.receive()`
 *   and `writeAll`. A waiting `receive` holds no buffer (it reads into one
 *   scratch buffer shared by every conn and copies out what came), so an
 *   idle conn costs its objects and one promise.
 * - `--idiom pipe`: `conn.readable.pipeTo(conn.writable)` per connection. The
 *   readable holds no buffer either, but the two web streams cost ~6 KiB of
 *   objects per conn.
 * - `--idiom buffer`: the old loop, `read` into a 64 KiB buffer per
 *   connection (what examples/echo_async.ts did).
 * - `--idiom reader` (the readable's reader and `writeAll`) and `--idiom
 *   small` (`read` into 1 KiB): the parts of `pipe`'s cost, apart.
 *
 *   deno run --allow-ffi bench/stress/net_echo.ts --port 0 --idiom receive [--reuse-port]
 *
 * Prints `listening on HOST:PORT` first; SIGINT/SIGTERM stop it. SIGUSR2
 * prints `heap {…}` (Deno.memoryUsage() after a full GC when run with
 * `--v8-flags=--expose-gc`): the live JS heap, which RSS alone cannot tell
 * apart from garbage and from pages V8 keeps.
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

/** The readable's default reader and `writeAll`: the stream without pipeTo and the writable. */
async function echoReader(conn: Conn): Promise<void> {
  const reader = conn.readable.getReader();
  try {
    for (let r; !(r = await reader.read()).done;) await conn.writeAll(r.value);
  } catch {
    // A reset ends this conn only.
  } finally {
    conn.close();
  }
}

/** `receive` and `writeAll`: no buffer per conn, only a copy of what came while it is written. */
async function echoReceived(conn: Conn): Promise<void> {
  try {
    for (let chunk; (chunk = await conn.receive()) !== null;) await conn.writeAll(chunk);
  } catch {
    // A reset ends this conn only.
  } finally {
    conn.close();
  }
}

/** `read` into a 1 KiB buffer: what a conn and a parked read cost, without streams. */
async function echoSmall(conn: Conn): Promise<void> {
  const buf = new Uint8Array(1024);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) await conn.writeAll(buf.subarray(0, n));
  } catch {
    // A reset ends this conn only.
  } finally {
    conn.close();
  }
}

/** How each idiom serves a conn; `small` and `reader` split the cost of `pipe` into its parts. */
const IDIOMS: Record<string, (conn: Conn) => unknown> = {
  receive: echoReceived,
  pipe: echoPiped,
  buffer: echoBuffered,
  reader: echoReader,
  small: echoSmall,
};

function options(args: string[]): { port: number; idiom: string; reusePort: boolean; hostname: string } {
  const flags = parseArgs(args, {
    string: ["port", "idiom", "hostname"],
    boolean: ["reuse-port"],
    default: { port: "0", idiom: "receive", hostname: "127.0.0.1" },
  });
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port: ${flags.port}`);
  if (!Object.hasOwn(IDIOMS, flags.idiom)) {
    throw new RangeError(`--idiom: ${Object.keys(IDIOMS).join(" | ")}`);
  }
  return { port, idiom: flags.idiom, reusePort: flags["reuse-port"], hostname: flags.hostname };
}

if (import.meta.main) {
  const opts = options(Deno.args);
  const listener = listen({ hostname: opts.hostname, port: opts.port, reusePort: opts.reusePort });
  const stop = (): void => Deno.exit(0); // the conns go with the process
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGUSR2", () => {
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`heap ${JSON.stringify(Deno.memoryUsage())}`);
  });
  console.log(`listening on ${opts.hostname}:${listener.addr.port}`);
  const serve = IDIOMS[opts.idiom];
  for await (const conn of listener) serve(conn);
}
