/**
 * heartbeat.ts: the seed article's heartbeat scheme (ch. 4.3) on the net
 * layer. A client sends `PING` every interval (30 s) and expects `PONG`; the
 * server marks a client offline, and closes it, when nothing has come from
 * it for the threshold (90 s: two missed beats and some jitter). Connects
 * give up after 3 s. The server's limit is the conn's idle timeout and the
 * client's is a read deadline: both cost a field write per message.
 *
 *   deno run --allow-ffi examples/heartbeat.ts server --port 7070
 *   deno run --allow-ffi examples/heartbeat.ts client --port 7070 [--count N]
 *
 * Flags: --hostname (127.0.0.1), --port (7070; 0 picks one, server), --interval MS (30000),
 * --threshold MS (90000), --count N (client: stop after N beats; default 0, forever).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { type Conn, connect, listen } from "../mod.ts";

/** The flags both sides take. */
interface Options {
  hostname: string;
  port: number;
  intervalMs: number;
  thresholdMs: number;
  count: number;
}

const PING = new TextEncoder().encode("PING\n");
const PONG = new TextEncoder().encode("PONG\n");
const CONNECT_TIMEOUT_MS = 3000;

function parse(args: string[]): { role: string; opts: Options } {
  const flags = parseArgs(args, {
    string: ["hostname", "port", "interval", "threshold", "count"],
    default: { hostname: "127.0.0.1", port: "7070", interval: "30000", threshold: "90000", count: "0" },
    unknown: (arg) => {
      if (arg === "server" || arg === "client") return true;
      throw new TypeError(`unknown argument ${arg}`);
    },
  });
  const role = String(flags._[0] ?? "");
  if (role !== "server" && role !== "client") throw new TypeError("the first argument is server or client");
  const int = (name: string, min: number): number => {
    const text = String(flags[name]);
    const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(v >= min && v < 2 ** 31)) {
      throw new RangeError(`--${name} must be an integer ≥ ${min}, got "${text}"`);
    }
    return v;
  };
  const opts = {
    hostname: flags.hostname,
    port: int("port", 0),
    intervalMs: int("interval", 1),
    thresholdMs: int("threshold", 1),
    count: int("count", 0),
  };
  if (opts.port > 65535) throw new RangeError("--port must be at most 65535");
  return { role, opts };
}

/** Reads newline-ended messages; resolves null at EOF. */
async function* lines(conn: Conn): AsyncGenerator<string> {
  const buf = new Uint8Array(256);
  let pending = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    pending += new TextDecoder().decode(buf.subarray(0, n));
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
    if (pending.length > 64) throw new Deno.errors.InvalidData("line too long");
  }
}

function who(conn: Conn): string {
  const a = conn.remoteAddr;
  return "port" in a ? `${a.hostname}:${a.port}` : a.path;
}

/** Server: answers every PING; a client silent for the threshold is offline. */
async function serve(opts: Options): Promise<void> {
  const listener = listen({ hostname: opts.hostname, port: opts.port, idleTimeout: opts.thresholdMs });
  const clients = new Set<Conn>();
  const stop = (): void => {
    listener.close();
    for (const c of clients) c.close();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(`listening on ${opts.hostname}:${listener.addr.port}`);
  let beats = 0, offline = 0;
  const tasks: Promise<void>[] = [];
  for await (const conn of listener) {
    clients.add(conn);
    console.log(`online ${who(conn)}`);
    tasks.push((async () => {
      try {
        for await (const line of lines(conn)) {
          if (line !== "PING") continue;
          beats++;
          await conn.writeAll(PONG);
        }
        console.log(`gone ${who(conn)}`);
      } catch (err) {
        if (err instanceof Deno.errors.TimedOut) {
          offline++;
          console.log(`offline ${who(conn)}: no heartbeat for ${opts.thresholdMs} ms`);
        } else if (!(err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.ConnectionReset)) {
          console.error(`error ${who(conn)}: ${err}`);
        }
      } finally {
        conn.close();
        clients.delete(conn);
      }
    })());
  }
  await Promise.all(tasks);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log(`heartbeats: ${beats}, marked offline: ${offline}`);
}

/** Client: a PING every interval; a PONG must come within the threshold. */
async function beat(opts: Options): Promise<boolean> {
  using conn = await connect({ hostname: opts.hostname, port: opts.port, timeout: CONNECT_TIMEOUT_MS });
  const replies = lines(conn);
  for (let i = 1; opts.count === 0 || i <= opts.count; i++) {
    const sent = performance.now();
    await conn.writeAll(PING);
    conn.setReadDeadline(Date.now() + opts.thresholdMs);
    try {
      const reply = await replies.next();
      if (reply.done) {
        console.log("server closed the connection");
        return false;
      }
      console.log(`beat ${i}: ${reply.value} in ${(performance.now() - sent).toFixed(1)} ms`);
    } catch (err) {
      if (!(err instanceof Deno.errors.TimedOut)) throw err;
      console.log(`server offline: no PONG for ${opts.thresholdMs} ms`);
      return false;
    }
    if (opts.count === 0 || i < opts.count) await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
  return true;
}

if (import.meta.main) {
  try {
    const { role, opts } = parse(Deno.args);
    if (role === "server") await serve(opts);
    else if (!await beat(opts)) Deno.exitCode = 1;
  } catch (err) {
    console.error(`heartbeat: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`);
    Deno.exitCode = 1;
  }
}
