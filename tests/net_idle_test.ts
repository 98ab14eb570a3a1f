/**
 * What an idle `Conn` keeps after the memory work of issue 11 (item 7), held
 * to the same behaviour as before: a parked `read` or `write` is one
 * operation object and its promise (no async frames), so these tests check
 * that parked calls still resolve, reject and run concurrently as they did,
 * that argument errors are still rejections (not throws), and that chunks
 * read through the shared scratch buffer are private copies. Real loopback
 * sockets; each test on its own Reactor.
 *
 * @module
 */

import { assert, assertEquals, assertInstanceOf, assertRejects, assertStrictEquals } from "@std/assert";
import { type Conn, connect, type IoOptions, listen, Reactor } from "../mod.ts";
import { type Pair, tcpPair } from "./_conn_pair.ts";
import { deadline, delay, MiB, payload } from "./_net_helpers.ts";

/** A test on a fresh Reactor and a TCP pair, both closed at the end. */
function pairTest(name: string, fn: (p: Pair, reactor: Reactor) => Promise<void>): void {
  Deno.test(name, async () => {
    await using reactor = new Reactor();
    await using p = await tcpPair(reactor);
    await fn(p, reactor);
  });
}

/** Settles `p` into its value or its error, so that a pending call can be inspected later. */
function outcome<T>(p: Promise<T>): Promise<T | Error> {
  return p.then((v) => v, (err) => err);
}

/** Whether `p` is still pending after a macrotask. */
async function pending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => settled = true, () => settled = true);
  await delay(0);
  return !settled;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

pairTest("idle conn: a parked read resolves with the bytes when they come; null at EOF", async (p) => {
  const buf = new Uint8Array(8);
  const read = p.server.read(buf);
  assert(await pending(read), "nothing sent yet: the read parks");
  await p.client.write(bytes(1, 2, 3));
  assertEquals(await deadline(read, 2000, "the parked read"), 3);
  assertEquals(buf.subarray(0, 3), bytes(1, 2, 3));
  const eof = p.server.read(buf);
  assert(await pending(eof), "still open: parks again");
  await p.client.closeWrite();
  assertStrictEquals(await deadline(eof, 2000, "the read at EOF"), null);
});

pairTest(
  "idle conn: two reads parked at once on one conn each get their own bytes, in order",
  async (p) => {
    const a = new Uint8Array(1);
    const b = new Uint8Array(1);
    const first = p.server.read(a);
    const second = p.server.read(b);
    assert(await pending(first) && await pending(second), "both park");
    await p.client.write(bytes(7));
    assertEquals(await deadline(first, 2000, "the first read"), 1);
    assert(await pending(second), "one byte came: the second read waits for the next");
    await p.client.write(bytes(9));
    assertEquals(await deadline(second, 2000, "the second read"), 1);
    assertEquals([a[0], b[0]], [7, 9]);
  },
);

pairTest(
  "idle conn: a parked read rejects with Interrupted on close, TimedOut at its deadline, the reason on abort",
  async (p) => {
    // Abort: the conn stays usable afterwards.
    const ac = new AbortController();
    const aborted = outcome(p.server.read(new Uint8Array(4), { signal: ac.signal }));
    const reason = new Error("not now");
    ac.abort(reason);
    assertStrictEquals(await aborted, reason);
    await p.client.write(bytes(5));
    assertEquals(await deadline(p.server.read(new Uint8Array(4)), 2000, "a read after the abort"), 1);
    // Deadline: TimedOut, then the conn reads again once the deadline is cleared.
    p.server.setReadDeadline(Date.now() + 20);
    assertInstanceOf(
      await deadline(outcome(p.server.read(new Uint8Array(4))), 2000, "the read"),
      Deno.errors.TimedOut,
    );
    p.server.setReadDeadline(null);
    await p.client.write(bytes(6));
    assertEquals(await deadline(p.server.read(new Uint8Array(4)), 2000, "a read after the deadline"), 1);
    // close(): Interrupted, then BadResource for calls made after.
    const interrupted = outcome(p.server.read(new Uint8Array(4)));
    await delay(5);
    p.server.close();
    assertInstanceOf(await interrupted, Deno.errors.Interrupted);
    await assertRejects(() => p.server.read(new Uint8Array(4)), Deno.errors.BadResource);
  },
);

pairTest("idle conn: a write parked on a full socket finishes once the peer reads", async (p) => {
  const data = payload(8 * MiB, 3);
  const written = p.server.writeAll(data);
  assert(await pending(written), "8 MiB to a peer that does not read: the write parks");
  const got = new Uint8Array(data.length);
  for (let at = 0; at < got.length;) {
    const n = await deadline(p.client.read(got.subarray(at)), 5000, "the peer's read");
    assert(n !== null, "EOF before all the data");
    at += n;
  }
  await deadline(written, 5000, "the parked writeAll");
  assertEquals(got, data);
});

pairTest("idle conn: bad arguments are rejections, as from an async method, never throws", async (p) => {
  const conn: Conn = p.server;
  const calls: [string, () => Promise<unknown>][] = [
    ["read(null)", () => conn.read(null as unknown as Uint8Array)],
    ["write('x')", () => conn.write("x" as unknown as Uint8Array)],
    ["read(buf, { signal: 1 })", () => conn.read(new Uint8Array(1), { signal: 1 as unknown as AbortSignal })],
  ];
  for (const [what, call] of calls) {
    let promise: Promise<unknown> | null = null;
    try {
      promise = call();
    } catch (err) {
      throw new Error(`${what} threw instead of rejecting: ${err}`);
    }
    assertInstanceOf(await outcome(promise), TypeError, what);
  }
  assertEquals(await conn.read(new Uint8Array(0)), 0);
  assertEquals(await conn.write(new Uint8Array(0)), 0);
});

pairTest(
  "idle conn: readable chunks are private copies, though every conn reads into one scratch buffer",
  async (one, reactor) => {
    await using two = await tcpPair(reactor);
    const r1 = one.server.readable.getReader();
    const r2 = two.server.readable.getReader();
    const c1 = r1.read();
    const c2 = r2.read();
    // Both arrive before either reader's continuation runs: the scratch buffer is read twice in a row.
    await Promise.all([one.client.write(bytes(1, 1, 1)), two.client.write(bytes(2, 2))]);
    const [x, y] = await deadline(Promise.all([c1, c2]), 2000, "both chunks");
    assertEquals(x.value, bytes(1, 1, 1));
    assertEquals(y.value, bytes(2, 2));
    assert(x.value!.buffer !== y.value!.buffer, "each chunk has its own memory");
    r1.releaseLock();
    r2.releaseLock();
  },
);

pairTest("receive: exactly the bytes that came, in a new array each time; null at EOF", async (p) => {
  const first = p.server.receive();
  assert(await pending(first), "nothing sent yet: receive parks, holding no buffer");
  await p.client.write(bytes(1, 2, 3));
  const a = await deadline(first, 2000, "the parked receive");
  assertEquals(a, bytes(1, 2, 3));
  await p.client.write(bytes(4));
  const b = await deadline(p.server.receive(), 2000, "the second receive");
  assertEquals(b, bytes(4));
  assert(a!.buffer !== b!.buffer, "each chunk has its own memory");
  assertEquals(a, bytes(1, 2, 3), "a later receive does not touch an earlier chunk");
  await p.client.closeWrite();
  assertStrictEquals(await deadline(p.server.receive(), 2000, "receive at EOF"), null);
});

pairTest("receive: 1 MiB echoed through receive + writeAll comes back byte-exact", async (p) => {
  const data = payload(MiB, 11);
  const echoed = (async () => {
    for (let chunk; (chunk = await p.server.receive()) !== null;) await p.server.writeAll(chunk);
    p.server.close();
  })();
  const sent = p.client.writeAll(data).then(() => p.client.closeWrite());
  const got = new Uint8Array(data.length);
  let at = 0;
  while (at < got.length) {
    const n = await deadline(p.client.read(got.subarray(at)), 5000, "the echoed bytes");
    if (n === null) break;
    at += n;
  }
  await deadline(Promise.all([sent, echoed]), 5000, "the echo");
  assertEquals(at, data.length);
  assertEquals(got, data);
});

pairTest(
  "receive: rejects as read does: the reason on abort, TimedOut at the deadline, Interrupted on close",
  async (p) => {
    const ac = new AbortController();
    const aborted = outcome(p.server.receive({ signal: ac.signal }));
    const reason = new Error("enough");
    ac.abort(reason);
    assertStrictEquals(await aborted, reason);
    p.server.setReadDeadline(Date.now() + 20);
    assertInstanceOf(await deadline(outcome(p.server.receive()), 2000, "receive"), Deno.errors.TimedOut);
    p.server.setReadDeadline(null);
    assertInstanceOf(await outcome(p.server.receive({ signal: 1 as unknown as AbortSignal })), TypeError);
    const interrupted = outcome(p.server.receive());
    await delay(5);
    p.server.close();
    assertInstanceOf(await interrupted, Deno.errors.Interrupted);
    assertInstanceOf(await outcome(p.server.receive()), Deno.errors.BadResource);
  },
);

pairTest(
  "receive: two conns woken in one turn each get their own bytes (one shared scratch buffer)",
  async (one, reactor) => {
    await using two = await tcpPair(reactor);
    const c1 = one.server.receive();
    const c2 = two.server.receive();
    await Promise.all([one.client.write(bytes(1, 1, 1)), two.client.write(bytes(2, 2))]);
    const [x, y] = await deadline(Promise.all([c1, c2]), 2000, "both chunks");
    assertEquals(x, bytes(1, 1, 1));
    assertEquals(y, bytes(2, 2));
  },
);

pairTest(
  "idle conn: parts made on first use: one readable and writable each, addresses kept after close, idle close is TimedOut",
  async (p, reactor) => {
    assertStrictEquals(p.server.readable, p.server.readable);
    assertStrictEquals(p.server.writable, p.server.writable);
    assertEquals(p.client.localAddr, p.server.remoteAddr);
    const local = p.client.localAddr;
    p.client.close();
    assertEquals(p.client.localAddr, local, "localAddr is kept after close");
    assertEquals(p.client.remoteAddr, p.server.localAddr, "remoteAddr is kept after close");
    await using q = await tcpPair(reactor);
    q.server.setIdleTimeout(20);
    assertInstanceOf(
      await deadline(outcome(q.server.receive()), 2000, "receive on an idle conn"),
      Deno.errors.TimedOut,
    );
    assert(q.server.closed, "the idle limit closed the conn");
  },
);

pairTest(
  "receive: patched slice, subarray or species never see the shared scratch buffer; the chunk is a plain Uint8Array of just its bytes",
  async (p) => {
    const typedArray = Object.getPrototypeOf(Uint8Array.prototype);
    const seen: number[] = []; // the byte lengths of every array the patched methods were called on
    const patched: [object, PropertyKey, PropertyDescriptor | undefined][] = [];
    const patch = (target: object, key: PropertyKey, value: PropertyDescriptor): void => {
      patched.push([target, key, Object.getOwnPropertyDescriptor(target, key)]);
      Object.defineProperty(target, key, { ...value, configurable: true });
    };
    for (const target of [Uint8Array.prototype, typedArray]) {
      for (const name of ["slice", "subarray"]) {
        const engine = typedArray[name] as (...args: unknown[]) => unknown;
        patch(target, name, {
          value: function (this: Uint8Array, ...args: unknown[]) {
            seen.push(this.byteLength);
            return engine.apply(this, args);
          },
          writable: true,
        });
      }
    }
    class Species extends Uint8Array {}
    patch(Uint8Array, Symbol.species, { get: () => Species });
    let chunk: Uint8Array | null;
    try {
      const received = p.server.receive();
      await p.client.write(bytes(4, 5, 6));
      chunk = await deadline(received, 2000, "receive");
    } finally {
      for (const [target, key, desc] of patched.reverse()) {
        if (desc === undefined) delete (target as Record<PropertyKey, unknown>)[key];
        else Object.defineProperty(target, key, desc);
      }
    }
    assert(!seen.includes(64 * 1024), `a patched method was called on the scratch buffer (${seen})`);
    assertEquals(chunk, bytes(4, 5, 6));
    assertStrictEquals(Object.getPrototypeOf(chunk), Uint8Array.prototype);
    assertEquals(chunk!.buffer.byteLength, 3, "the chunk's memory is just its bytes");
  },
);

pairTest(
  "receive/read/write/connect: a look-alike AbortSignal (Object.create) is the package's TypeError, with a deadline set or not",
  async (p) => {
    const forged = { signal: Object.create(AbortSignal.prototype) as AbortSignal };
    const calls: [string, () => Promise<unknown>][] = [
      ["receive", () => p.server.receive(forged)],
      ["read", () => p.server.read(new Uint8Array(4), forged)],
      ["write", () => p.server.write(new Uint8Array(4), forged)],
    ];
    for (const deadlineSet of [false, true]) {
      if (deadlineSet) p.server.setDeadline(Date.now() + 60_000);
      for (const [what, call] of calls) {
        const err = await deadline(outcome(call()), 2000, what);
        assertInstanceOf(err, TypeError, what);
        assertEquals(
          err.message,
          "options.signal must be an AbortSignal",
          `${what}, deadline set: ${deadlineSet}`,
        );
      }
    }
    const dial = await outcome(connect({ hostname: "127.0.0.1", port: p.listener.addr.port, ...forged }));
    assertInstanceOf(dial, TypeError);
    assertEquals(dial.message, "signal must be an AbortSignal", "connect");
  },
);

pairTest(
  "receive: a buffer passed as if to Deno.DatagramConn.receive(p) is a TypeError, not silently ignored",
  async (p) => {
    await p.client.write(bytes(1, 2));
    const buf = new Uint8Array(8);
    const err = await deadline(outcome(p.server.receive(buf as unknown as IoOptions)), 2000, "receive(buf)");
    assertInstanceOf(err, TypeError);
    assert(err.message.includes("read(p)"), err.message);
    assertEquals(
      await deadline(p.server.receive(), 2000, "receive()"),
      bytes(1, 2),
      "the bytes are still there",
    );
  },
);

pairTest(
  "deadline: one first set while a receive, read or write is already parked times that call out",
  async (p) => {
    const settle = (call: Promise<unknown>, what: string): Promise<unknown> =>
      deadline(outcome(call), 2000, `${what} parked before its deadline was set`);
    const received = settle(p.server.receive(), "receive");
    assert(await pending(received), "no deadline yet: receive parks");
    p.server.setReadDeadline(Date.now() + 20);
    assertInstanceOf(await received, Deno.errors.TimedOut);
    p.server.setReadDeadline(null);

    const read = settle(p.server.read(new Uint8Array(4)), "read");
    assert(await pending(read), "the deadline was cleared: read parks");
    p.server.setReadDeadline(Date.now() - 1000); // already past
    assertInstanceOf(await read, Deno.errors.TimedOut);
    p.server.setReadDeadline(null);

    const written = settle(p.server.writeAll(new Uint8Array(16 * MiB)), "writeAll"); // the peer never reads
    assert(await pending(written), "a full socket: the write parks");
    p.server.setWriteDeadline(Date.now() + 20);
    assertInstanceOf(await written, Deno.errors.TimedOut);

    // A far deadline changes nothing for a parked call: the bytes still come.
    const later = p.server.receive();
    assert(await pending(later), "receive parks");
    p.server.setReadDeadline(Date.now() + 60_000);
    await p.client.write(bytes(42));
    assertEquals(await deadline(later, 2000, "receive under a far deadline"), bytes(42));
  },
);

Deno.test("accept: concurrent accepts woken by one event each get their own peer's address", async () => {
  await using reactor = new Reactor();
  using listener = listen({ hostname: "127.0.0.1", port: 0, reactor });
  const accepts = [listener.accept(), listener.accept(), listener.accept()];
  await delay(5); // all three parked: one event wakes them together
  const clients = await Promise.all(
    accepts.map(() => connect({ hostname: "127.0.0.1", port: listener.addr.port, reactor })),
  );
  const servers = await deadline(Promise.all(accepts), 2000, "the three accepts");
  try {
    for (const server of servers) {
      const client = clients.find((c) => c.localAddr.port === server.remoteAddr.port);
      assert(client !== undefined, `no client has port ${server.remoteAddr.port}`);
      await server.write(bytes(7));
      assertEquals(await deadline(client.receive(), 2000, "the byte at the peer remoteAddr names"), bytes(7));
    }
    assertEquals(new Set(servers.map((s) => s.remoteAddr.port)).size, 3, "three different peers");
  } finally {
    for (const conn of [...clients, ...servers]) conn.close();
  }
});

pairTest(
  "receive/read/write read options.signal once: a getter that throws on a second read never makes them throw",
  async (p) => {
    const calls: [string, (options: IoOptions) => Promise<unknown>][] = [
      ["receive", (o) => p.server.receive(o)],
      ["read", (o) => p.server.read(new Uint8Array(4), o)],
      ["write", (o) => p.server.write(new Uint8Array(4), o)],
    ];
    for (const [what, call] of calls) {
      let reads = 0;
      const options = {
        get signal(): AbortSignal | undefined {
          if (reads++ > 0) throw new Error("read twice");
          return undefined;
        },
      };
      await p.client.write(bytes(1)); // something to read: receive and read settle at once
      await delay(5);
      let result: Promise<unknown>;
      try {
        result = call(options);
      } catch (err) {
        throw new Error(`${what} threw instead of returning a promise: ${err}`);
      }
      await deadline(result, 2000, what);
      assertEquals(reads, 1, `${what} read options.signal once`);
    }
  },
);
