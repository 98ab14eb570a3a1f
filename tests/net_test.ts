/**
 * The net layer against `Deno.Conn` / `Deno.Listener` semantics: listening on
 * IPv4, IPv6 and Unix sockets, accepting, EOF and empty reads, partial and
 * resumed writes, half-close, close and abort while an operation is pending,
 * the `Deno.errors` classes, addresses, web streams, socket options, RST,
 * SO_REUSEPORT, interop with Deno's own sockets, and fd exhaustion (in a
 * subprocess with a lowered RLIMIT_NOFILE).
 *
 * Each test runs on its own `Reactor`, closed at the end, so the op and
 * resource sanitizers see a clean slate. Loopback only.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { type Conn, connect, listen, Reactor } from "../mod.ts";
import type { SockAddr } from "../ffi/mod.ts";
import {
  armReset,
  concat,
  deadline,
  delay,
  KiB,
  LineReader,
  MiB,
  payload,
  readAll,
  readAndCompare,
  readExactly,
  readOutcome,
  REPO_ROOT,
  writeAll,
} from "./_net_helpers.ts";
import { tcpPair } from "./_conn_pair.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A test on a fresh Reactor, always closed afterwards (a leak fails the sanitizers). */
function netTest(name: string, fn: (reactor: Reactor) => Promise<void> | void, ignore = false): void {
  Deno.test({
    name,
    ignore,
    fn: async () => {
      const reactor = new Reactor();
      try {
        await fn(reactor);
      } finally {
        await reactor.close();
      }
    },
  });
}

function portOf(addr: SockAddr | Deno.Addr): number {
  assert("port" in addr, `not an IP address: ${JSON.stringify(addr)}`);
  return addr.port;
}

/** Polls `cond` every 5 ms for at most `ms` (loops stay bounded in time). */
async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(5);
  }
}

/** One message each way over a fresh pair of ends, then the reader sees EOF. */
async function exchange(a: Conn | Deno.Conn, b: Conn | Deno.Conn): Promise<void> {
  await a.write(encoder.encode("ping"));
  assertEquals(decoder.decode(await readExactly(b, 4)), "ping");
  await b.write(encoder.encode("pong"));
  assertEquals(decoder.decode(await readExactly(a, 4)), "pong");
}

// ---------------------------------------------------------------- listen and accept

for (const hostname of ["127.0.0.1", "::1"]) {
  netTest(
    `listen ${hostname}:0: addr has the real port; our connect and Deno.connect both get through`,
    async (reactor) => {
      await using listener = listen({ hostname, port: 0, reactor });
      const addr = listener.addr;
      assertEquals(addr.transport, "tcp");
      assertEquals((addr as Deno.NetAddr).hostname, hostname);
      assert(portOf(addr) > 0);

      using ours = await connect({ hostname, port: portOf(addr), reactor });
      using accepted1 = await listener.accept();
      await exchange(ours, accepted1);

      using theirs = await Deno.connect({ hostname, port: portOf(addr) });
      using accepted2 = await listener.accept();
      await exchange(theirs, accepted2);
      assertEquals(portOf(accepted2.remoteAddr), portOf(theirs.localAddr));
    },
  );
}

// No Deno.connect here: Deno 2 wants --allow-net=unix:<path> for it, which
// the test task does not grant.
netTest("listen on a Unix socket path: addr, connect, both ends' addresses", async (reactor) => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "epoll_net_" });
  try {
    const path = `${dir}/echo.sock`;
    await using listener = listen({ transport: "unix", path, reactor });
    assertEquals(listener.addr, { transport: "unix", path });
    assert((await Deno.lstat(path)).isSocket);

    using client = await connect({ transport: "unix", path, reactor });
    using server = await listener.accept();
    assertEquals(client.remoteAddr, { transport: "unix", path });
    assertEquals(server.localAddr, { transport: "unix", path });
    assertEquals(server.remoteAddr, { transport: "unix", path: "" }); // the client is unnamed
    await exchange(client, server);
    await client.closeWrite();
    assertEquals(await server.read(new Uint8Array(4)), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

netTest(
  "listen on an abstract Unix name (leading NUL): no file, our connect gets through",
  async (reactor) => {
    const path = `\0epoll-net-test-${Deno.pid}-${Date.now()}`;
    await using listener = listen({ transport: "unix", path, reactor });
    assertEquals(listener.addr, { transport: "unix", path });
    using client = await connect({ transport: "unix", path, reactor });
    using server = await listener.accept();
    await exchange(client, server);
  },
);

netTest("for await yields each connection and ends cleanly when the listener is closed", async (reactor) => {
  const listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
  const accepted: Conn[] = [];
  const loop = (async (): Promise<void> => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const clients = await Promise.all([1, 2, 3].map(() => connect({ port: portOf(listener.addr), reactor })));
  try {
    await waitUntil(() => accepted.length === 3, 5000, "3 accepted connections");
    listener.close();
    await deadline(loop, 2000, "the for-await loop to end"); // resolves: no BadResource escapes
    await assertRejects(() => listener.accept(), Deno.errors.BadResource);
  } finally {
    listener.close();
    for (const c of [...clients, ...accepted]) c.close();
  }
});

// ---------------------------------------------------------------- interop

netTest("interop: Deno.listen server, our connect client", async (reactor) => {
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using client = await connect({ port: portOf(server.addr), reactor });
  using accepted = await server.accept();
  await exchange(client, accepted);
  await exchange(accepted, client);
  await client.closeWrite();
  assertEquals(await accepted.read(new Uint8Array(8)), null);
  await accepted.write(encoder.encode("late"));
  assertEquals(decoder.decode(await readExactly(client, 4)), "late");
  accepted.close();
  assertEquals(await client.read(new Uint8Array(8)), null);
});

netTest("interop: our listen, Deno.connect client (a 1 MiB payload each way)", async (reactor) => {
  await using listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
  using client = await Deno.connect({ hostname: "127.0.0.1", port: portOf(listener.addr) });
  using server = await listener.accept();
  const data = payload(MiB, 7);
  const [echoed] = await Promise.all([
    readExactly(client, data.byteLength),
    (async (): Promise<void> => {
      const got = await readExactly(server, data.byteLength);
      await server.writeAll(got);
    })(),
    writeAll(client, data),
  ]);
  assertEquals(echoed, data);
});

// ---------------------------------------------------------------- read and write

netTest(
  "read: 0 for an empty buffer, null at EOF (and again after); write: 0 for empty, else >= 1",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    assertEquals(await p.server.read(new Uint8Array(0)), 0);
    assertEquals(await p.client.write(new Uint8Array(0)), 0);
    const n = await p.client.write(encoder.encode("abc"));
    assert(n >= 1 && n <= 3, `write returned ${n}`);
    assertEquals(decoder.decode(await readExactly(p.server, n)), "abc".slice(0, n));
    p.client.close();
    assertEquals(await p.server.read(new Uint8Array(16)), null);
    assertEquals(await p.server.read(new Uint8Array(16)), null);
  },
);

netTest(
  "write: one big write is partial (count in [1, size)) while the peer does not read",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    const big = payload(64 * MiB, 3); // beyond any loopback buffering
    const n = await p.client.write(big);
    assert(n >= 1 && n < big.byteLength, `write returned ${n}`);
  },
);

netTest(
  "writeAll: 16 MiB to a slow reader arrives byte-exact (partial writes resumed on EPOLLOUT)",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    const data = payload(16 * MiB, 16);
    const slowReader = {
      reads: 0,
      // 32 KiB reads with a 2 ms nap every 64 of them: the writer keeps finding a full send buffer.
      read: async (buf: Uint8Array): Promise<number | null> => {
        if (++slowReader.reads % 64 === 0) await delay(2);
        return await p.server.read(buf);
      },
    };
    await deadline(
      Promise.all([
        p.client.writeAll(data).then(() => p.client.closeWrite()),
        readAndCompare(slowReader, data, 32 * KiB),
      ]),
      30_000,
      "16 MiB through a slow reader",
    );
  },
);

netTest("closeWrite: the peer reads the data then EOF, and can still write back", async (reactor) => {
  await using p = await tcpPair(reactor);
  await p.client.writeAll(encoder.encode("request"));
  await p.client.closeWrite();
  assertEquals(decoder.decode(await readAll(p.server)), "request");
  await p.server.writeAll(encoder.encode("reply after EOF"));
  p.server.close();
  assertEquals(decoder.decode(await readAll(p.client)), "reply after EOF");
});

// ---------------------------------------------------------------- close

netTest(
  "after close: read, write and closeWrite reject with BadResource; addresses stay; close twice is harmless",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    p.client.close();
    assert(p.client.closed);
    await assertRejects(() => p.client.read(new Uint8Array(4)), Deno.errors.BadResource);
    await assertRejects(() => p.client.write(new Uint8Array(4)), Deno.errors.BadResource);
    await assertRejects(() => p.client.closeWrite(), Deno.errors.BadResource);
    assertEquals(p.client.localAddr, p.server.remoteAddr); // cached, as Deno's
    p.client.close();
    p.listener.close();
    p.listener.close();
    await assertRejects(() => p.listener.accept(), Deno.errors.BadResource);
  },
);

netTest(
  "close while a read or write is pending rejects it with Interrupted, an accept with BadResource (as Deno)",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    // Settled into values at once: each rejects inside close(), before it is awaited.
    const outcome = (op: Promise<unknown>): Promise<unknown> => op.then(() => "resolved", (err) => err);
    const read = outcome(p.server.read(new Uint8Array(16))); // the client sends nothing
    const write = outcome(p.server.writeAll(payload(64 * MiB, 5))); // parks on EPOLLOUT: the client does not read
    const accept = outcome(p.listener.accept());
    await delay(20);
    p.server.close();
    p.listener.close();
    for (const op of [read, write]) assert((await op) instanceof Deno.errors.Interrupted, `got ${await op}`);
    assert((await accept) instanceof Deno.errors.BadResource, `got ${await accept}`);
  },
);

// ---------------------------------------------------------------- errors

netTest("connect to a closed port rejects with ConnectionRefused", async (reactor) => {
  const listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
  const port = portOf(listener.addr);
  listener.close();
  await assertRejects(() => connect({ port, reactor }), Deno.errors.ConnectionRefused);
  assertEquals(reactor.size, 0, "the failed socket was deregistered");
});

netTest("listen on a port in use throws AddrInUse (ours or Deno's holding it)", async (reactor) => {
  await using first = listen({ hostname: "127.0.0.1", port: 0, reactor });
  assertThrows(
    () => listen({ hostname: "127.0.0.1", port: portOf(first.addr), reactor }),
    Deno.errors.AddrInUse,
  );
  using deno = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assertThrows(
    () => listen({ hostname: "127.0.0.1", port: portOf(deno.addr), reactor }),
    Deno.errors.AddrInUse,
  );
});

netTest(
  "reusePort: two listeners share one port and the kernel spreads connections over them",
  async (reactor) => {
    const a = listen({ hostname: "127.0.0.1", port: 0, reusePort: true, reactor });
    const b = listen({ hostname: "127.0.0.1", port: portOf(a.addr), reusePort: true, reactor });
    const accepted: Conn[] = [];
    const loops = [a, b].map(async (l) => {
      for await (const conn of l) accepted.push(conn);
    });
    const clients: Conn[] = [];
    try {
      for (let i = 0; i < 16; i++) clients.push(await connect({ port: portOf(a.addr), reactor }));
      await waitUntil(() => accepted.length === 16, 5000, "16 connections over both listeners");
    } finally {
      a.close();
      b.close();
      await deadline(Promise.all(loops), 2000, "both accept loops to end");
      for (const c of [...clients, ...accepted]) c.close();
    }
  },
);

netTest("listen takes IP literals and localhost only: it is synchronous, no DNS lookup", (reactor) => {
  assertThrows(() => listen({ hostname: "example.com", port: 0, reactor }), TypeError);
  assertThrows(
    () => listen({ hostname: null as unknown as string, port: 0, reactor }),
    TypeError,
    "hostname",
  );
  assertEquals(reactor.size, 0);
});

netTest(
  "connect resolves names through libc (/etc/hosts: LOCALHOST), trying each address",
  async (reactor) => {
    await using listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
    const port = portOf(listener.addr);
    // Not our literal "localhost": only libc's resolver (/etc/hosts, case-blind) knows this spelling.
    using conn = await connect({ hostname: "LOCALHOST", port, reactor });
    using served = await listener.accept();
    assertEquals(conn.remoteAddr, { transport: "tcp", hostname: "127.0.0.1", port });
    assertEquals(served.remoteAddr, conn.localAddr);
  },
);

netTest(
  "connect to a name that does not resolve rejects with NotFound, the libc error as cause",
  async (r) => {
    const err = await assertRejects(() =>
      connect({ hostname: "no-such-host.invalid", port: 80, reactor: r })
    );
    // EAI_NONAME where a resolver answers; a sandbox without DNS may say EAI_AGAIN or EAI_FAIL.
    assert(err instanceof Deno.errors.NotFound, `got ${err}`);
    assertStringIncludes((err as Error).message, "no-such-host.invalid");
    assertEquals(r.size, 0);
  },
);

netTest(
  "a Unix listener removes the socket file it created when it closes; abstract names have none",
  (r) => {
    const path = `/tmp/epoll-unlink-${Deno.pid}.sock`;
    const listener = listen({ transport: "unix", path, reactor: r });
    assert(Deno.statSync(path).isSocket);
    listener.close();
    assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
    // Bound again at once: no EADDRINUSE from a stale file.
    listen({ transport: "unix", path, reactor: r }).close();
    assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
    listen({ transport: "unix", path: `\0epoll-abstract-${Deno.pid}`, reactor: r }).close();
  },
);

netTest(
  "RST from the peer (SO_LINGER {1, 0}): a pending or later read rejects with ConnectionReset",
  async (reactor) => {
    for (const pending of [true, false]) {
      await using p = await tcpPair(reactor);
      const read = pending ? p.server.read(new Uint8Array(16)) : null;
      armReset(p.client.fd);
      p.client.close();
      if (!pending) await delay(20); // let the RST land first
      await assertRejects(() => read ?? p.server.read(new Uint8Array(16)), Deno.errors.ConnectionReset);
    }
  },
);

netTest("write to a reset peer rejects with BrokenPipe or ConnectionReset (no SIGPIPE)", async (reactor) => {
  await using p = await tcpPair(reactor);
  armReset(p.client.fd);
  p.client.close();
  await delay(20);
  const err = await assertRejects(() => p.server.writeAll(payload(MiB, 9)));
  assert(
    err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset,
    `got ${err}`,
  );
});

// ---------------------------------------------------------------- abort

netTest("AbortSignal: a pending read rejects with the reason; the conn stays usable", async (reactor) => {
  await using p = await tcpPair(reactor);
  const ac = new AbortController();
  const reason = new Error("stop reading");
  const read = p.server.read(new Uint8Array(16), { signal: ac.signal });
  ac.abort(reason);
  assertStrictEquals(await read.catch((e) => e), reason);
  await exchange(p.client, p.server);
});

netTest(
  "AbortSignal: a pending accept rejects with the reason; the listener stays usable",
  async (reactor) => {
    await using listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
    const ac = new AbortController();
    const reason = new Error("stop accepting");
    const accept = listener.accept({ signal: ac.signal });
    ac.abort(reason);
    assertStrictEquals(await accept.catch((e) => e), reason);
    using client = await connect({ port: portOf(listener.addr), reactor });
    using server = await listener.accept();
    await exchange(client, server);
  },
);

netTest(
  "AbortSignal: connect rejects with the reason (aborted before, or while the SYN goes unanswered)",
  async (reactor) => {
    await using listener = listen({ hostname: "127.0.0.1", port: 0, backlog: 0, reactor });
    const port = portOf(listener.addr);
    const reason = new Error("stop connecting");
    assertStrictEquals(
      await connect({ port, reactor, signal: AbortSignal.abort(reason) }).catch((e) => e),
      reason,
    );

    // backlog 0 holds one connection; with it full, the kernel drops the next SYN and connect hangs.
    using filler = await connect({ port, reactor });
    const ac = new AbortController();
    const pending = connect({ port, reactor, signal: ac.signal });
    await delay(50);
    ac.abort(reason);
    assertStrictEquals(await pending.catch((e) => e), reason);
    assertEquals(reactor.size, 2, "only the listener and the filler stay registered");
    assert(!filler.closed);
  },
);

// ---------------------------------------------------------------- addresses, options, streams

netTest(
  "localAddr / remoteAddr match on both ends, and remoteAddr survives the peer's close",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    const port = portOf(p.listener.addr);
    assertEquals(p.client.remoteAddr, { transport: "tcp", hostname: "127.0.0.1", port });
    assertEquals(p.server.localAddr, { transport: "tcp", hostname: "127.0.0.1", port });
    const clientAddr = p.client.localAddr;
    assert(portOf(clientAddr) !== port);
    // The server reads remoteAddr only once the peer is gone (getpeername would say ENOTCONN by then).
    p.client.close();
    assertEquals(await p.server.read(new Uint8Array(4)), null);
    assertEquals(p.server.remoteAddr, clientAddr);
  },
);

netTest("localAddr / remoteAddr over IPv6", async (reactor) => {
  await using p = await tcpPair(reactor, "::1");
  assertEquals(p.client.remoteAddr, { transport: "tcp", hostname: "::1", port: portOf(p.listener.addr) });
  assertEquals(p.server.remoteAddr, p.client.localAddr);
});

netTest("setNoDelay is reflected by noDelay", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.client.setNoDelay(true);
  assert(p.client.noDelay);
  p.client.setNoDelay(false);
  assert(!p.client.noDelay);
  p.client.setNoDelay();
  assert(p.client.noDelay);
  p.client.setKeepAlive(); // no throw
});

netTest(
  "readable / writable: a 1 MiB stream piped through an echo comes back byte-exact",
  async (reactor) => {
    await using p = await tcpPair(reactor);
    const data = payload(MiB, 11);
    const chunks = Array.from({ length: 64 }, (_, i) => data.subarray(i * 16 * KiB, (i + 1) * 16 * KiB));
    const echoed: Uint8Array[] = [];
    await deadline(
      Promise.all([
        p.server.readable.pipeTo(p.server.writable), // at EOF both close the server's conn, as Deno's
        (async () => {
          for (const chunk of chunks) await p.client.writeAll(chunk);
          await p.client.closeWrite(); // not writable.close(): that closes the whole conn, as Deno's
        })(),
        p.client.readable.pipeTo(new WritableStream({ write: (c) => void echoed.push(c) })),
      ]),
      10_000,
      "the streamed echo",
    );
    assertEquals(concat(echoed), data);
  },
);

// ---------------------------------------------------------------- EMFILE

// The server side runs in a subprocess, as a user's program would: lowering
// RLIMIT_NOFILE in the test runner itself would starve Deno.
const EMFILE_CHILD = `
import { type Conn, listen, Reactor } from "${new URL("../mod.ts", import.meta.url).href}";
import { F_GETFD, fcntl, getrlimit, RLIMIT_NOFILE, setrlimit } from "${
  new URL("../ffi/mod.ts", import.meta.url).href
}";
import process from "node:process";

const SPARE = 4; // fd numbers left free for connections
const encoder = new TextEncoder();
const say = (line: string): void => void Deno.stdout.writeSync(encoder.encode(line + "\\n"));
const isOpen = (fd: number): boolean => { try { fcntl(fd, F_GETFD); return true; } catch { return false; } };
const noop = (): void => {};

// Deno sets up its signal pipe lazily and panics if that fails: make it now.
Deno.addSignalListener("SIGUSR2", noop);
Deno.removeSignalListener("SIGUSR2", noop);
const reactor = new Reactor();
const listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
if (Deno.args.includes("--warm-timerfd")) reactor.clearTimer(reactor.setTimer(60_000, noop));

let top = 0;
for (let fd = 0; fd < 4096; fd++) if (isOpen(fd)) top = fd;
const limit = getrlimit(RLIMIT_NOFILE);
setrlimit(RLIMIT_NOFILE, top + 1 + SPARE, limit.hard);
let capacity = 0;
for (let fd = 0; fd <= top + SPARE; fd++) if (!isOpen(fd)) capacity++;

const conns: Conn[] = [];
let accepted = 0;
const loop = (async (): Promise<string> => {
  try {
    for await (const conn of listener) {
      accepted++;
      conns.push(conn);
      conn.write(encoder.encode("hi")).catch(noop);
    }
    return "ended";
  } catch (err) {
    return "died: " + (err instanceof Error ? err.message : String(err));
  }
})();
let state = "running";
loop.then((end) => state = end);
say("ready " + (listener.addr as { port: number }).port + " " + capacity);

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
let buffered = "";
for (let r; !(r = await lines.read()).done;) {
  buffered += r.value;
  for (let nl; (nl = buffered.indexOf("\\n")) >= 0;) {
    const [cmd, arg] = buffered.slice(0, nl).split(" ");
    buffered = buffered.slice(nl + 1);
    if (cmd === "stats") say(JSON.stringify({ accepted, open: conns.length, shed: listener.shedConnections, cpuMs: cpuMs(), state }));
    if (cmd === "close") { for (const c of conns.splice(0, Number(arg))) c.close(); say("closed"); }
    if (cmd === "exit") {
      setrlimit(RLIMIT_NOFILE, limit.soft, limit.hard);
      for (const c of conns) c.close();
      listener.close();
      say(await loop);
      await reactor.close();
      Deno.exit(0);
    }
  }
}
`;

interface EmfileStats {
  accepted: number;
  open: number;
  shed: number;
  cpuMs: number;
  /** "running" while the accept loop runs, else how it ended. */
  state: string;
}

/** The EMFILE child, driven line by line over stdin/stdout. */
class EmfileServer {
  readonly child: Deno.ChildProcess;
  readonly #out: LineReader;
  readonly #in: WritableStreamDefaultWriter<Uint8Array>;
  /** All of stderr, once the child exits (Deno's own warnings under EMFILE land there). */
  readonly stderr: Promise<string>;

  constructor(script: string, args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", script, ...args],
      cwd: REPO_ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stderr = new Response(this.child.stderr).text();
    this.#out = new LineReader(this.child.stdout);
    this.#in = this.child.stdin.getWriter();
  }

  async line(): Promise<string> {
    const line = await deadline(this.#out.next(), 15_000, "a line from the EMFILE child");
    if (line === null) throw new Error("the EMFILE child exited early");
    return line;
  }

  async ask(command: string): Promise<string> {
    await this.#in.write(encoder.encode(command + "\n"));
    return await this.line();
  }

  async stats(): Promise<EmfileStats> {
    return JSON.parse(await this.ask("stats"));
  }

  /** Ends the child (politely if it still listens), closes the pipes, and reaps it. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* exited already */ }
    await this.#in.close().catch(() => {});
    await this.#out.cancel();
    return await this.child.status;
  }
}

/** A client that connects and reports what its first read got: "hi" (served) or EOF/RST (shed). */
async function emfileClient(port: number): Promise<{ conn: Deno.Conn; outcome: number | null | string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return { conn, outcome: await readOutcome(conn, 4000) };
}

/** Connects clients and sorts them by what they saw. */
async function emfileClients(
  port: number,
  count: number,
  into: Deno.Conn[],
): Promise<{ served: number; shed: number }> {
  const results = await Promise.all(Array.from({ length: count }, () => emfileClient(port)));
  into.push(...results.map((c) => c.conn));
  const outcomes = results.map((c) => c.outcome);
  const served = outcomes.filter((o) => o === 2).length;
  const shed = outcomes.filter((o) => o === null || o === "ConnectionReset").length;
  assertEquals(served + shed, count, `every client is served or shed: ${outcomes}`);
  return { served, shed };
}

async function emfileScenario(childArgs: string[]): Promise<void> {
  const script = await Deno.makeTempFile({ dir: "/tmp", prefix: "epoll_emfile_", suffix: ".ts" });
  await Deno.writeTextFile(script, EMFILE_CHILD);
  const server = new EmfileServer(script, childArgs);
  const clients: Deno.Conn[] = [];
  try {
    const [, port, capacity] = (await server.line()).split(" ").map(Number);
    const first = await emfileClients(port, capacity + 6, clients);
    assert(first.served >= 1 && first.served <= capacity, `${first.served} served, capacity ${capacity}`);
    assert(first.shed >= 6);
    assertEquals((await server.stats()).state, "running");

    // A second of exhaustion with clients still knocking: the listener must shed them and back off, not spin.
    const before = await server.stats();
    let knocked = 0;
    for (let i = 0; i < 4; i++, await delay(250)) knocked += (await emfileClients(port, 1, clients)).shed;
    const after = await server.stats();
    assert(after.cpuMs - before.cpuMs < 300, `${after.cpuMs - before.cpuMs} ms of CPU in 1 s of exhaustion`);
    assertEquals(knocked, 4, "clients arriving while exhausted are shed too");
    assertEquals(after.accepted, first.served);
    assertEquals(after.shed, first.shed + knocked, "shedConnections counts the clients that saw EOF/RST");
    assertEquals(after.state, "running");

    assertEquals(await server.ask("close 2"), "closed");
    assertEquals(
      await emfileClients(port, 2, clients),
      { served: 2, shed: 0 },
      "accepting resumes once fds are free",
    );
    assertEquals(await server.ask("exit"), "ended");
    assertEquals((await server.child.status).code, 0);
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n--- EMFILE child's stderr ---\n${await server.stderr}`, {
      cause: err,
    });
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    await Deno.remove(script);
  }
}

// At the fd limit an accept() that finds nothing pending gets EMFILE and
// sheds nothing: it must back off (without needing an fd for a timer).
netTest(
  "EMFILE: the listener sheds clients without spinning, and accepts again once fds are free",
  async () => {
    await emfileScenario([]);
  },
);

netTest(
  "EMFILE with the reactor's timerfd already open: shed, no spin, resume",
  async () => {
    await emfileScenario(["--warm-timerfd"]);
  },
);
