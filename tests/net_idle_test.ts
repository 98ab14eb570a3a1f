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
import { type Conn, Reactor } from "../mod.ts";
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
