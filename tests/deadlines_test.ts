/**
 * Go's deadlines on `Conn` (`setDeadline`, `setReadDeadline`,
 * `setWriteDeadline`), idle timeouts (`setIdleTimeout`, `listen({ idleTimeout })`),
 * `connect({ timeout })`, and the timing wheel under them. Real sockets on
 * loopback; times are a few tens of ms, and assertions only bound them
 * loosely from below (never early) and from above (a generous deadline).
 *
 * @module
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { connect, listen, Reactor } from "../mod.ts";
import { tcpPair } from "./_conn_pair.ts";
import { type Expirable, TimerWheel, type WheelDriver } from "../reactor/wheel.ts";
import { deadline, delay, MiB, payload } from "./_net_helpers.ts";

function netTest(name: string, fn: (reactor: Reactor) => Promise<void>): void {
  Deno.test(name, async () => {
    const reactor = new Reactor();
    try {
      await fn(reactor);
    } finally {
      await reactor.close();
    }
  });
}

/** How long `p` took to settle, and the error it rejected with (or null). */
async function timedOutcome(p: Promise<unknown>): Promise<{ ms: number; err: unknown }> {
  const start = performance.now();
  try {
    await p;
    return { ms: performance.now() - start, err: null };
  } catch (err) {
    return { ms: performance.now() - start, err };
  }
}

netTest("a pending read rejects with TimedOut at its read deadline, not before", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.client.setReadDeadline(Date.now() + 40);
  const { ms, err } = await deadline(timedOutcome(p.client.read(new Uint8Array(8))), 2000, "the read");
  assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
  assert(ms >= 35, `timed out early: ${ms} ms`);
});

netTest(
  "past the deadline reads fail at once, even with data waiting; moving it revives the conn",
  async (r) => {
    await using p = await tcpPair(r);
    await p.server.write(new Uint8Array([1, 2, 3]));
    await delay(10);
    p.client.setReadDeadline(new Date(Date.now() - 1));
    await assertRejects(() => p.client.read(new Uint8Array(8)), Deno.errors.TimedOut);
    p.client.setReadDeadline(null);
    assertEquals(await p.client.read(new Uint8Array(8)), 3);
  },
);

netTest("moving the deadline later while a read waits extends it; data then arrives", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.client.setReadDeadline(Date.now() + 30);
  const read = timedOutcome(p.client.read(new Uint8Array(8)));
  await delay(10);
  p.client.setReadDeadline(Date.now() + 5000);
  await delay(60); // well past the first deadline
  await p.server.write(new Uint8Array([9]));
  const { err } = await deadline(read, 2000, "the read");
  assertEquals(err, null);
});

// Regression: the wheel armed its reactor timer for the entry's own tick, and
// a deadline past 2^31 ms (24.8 days) out made setTimer throw from read().
netTest("a deadline 40 days out is fine while a read waits; moved into the past, it times out", async (r) => {
  await using p = await tcpPair(r);
  p.client.setReadDeadline(Date.now() + 40 * 24 * 3_600_000);
  const read = timedOutcome(p.client.read(new Uint8Array(8)));
  await delay(20);
  p.client.setReadDeadline(Date.now() - 1);
  const { err } = await deadline(read, 2000, "the read");
  assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
});

netTest("a deadline moved earlier, into the past, times a pending read out now", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.client.setReadDeadline(Date.now() + 60_000);
  const read = timedOutcome(p.client.read(new Uint8Array(8)));
  await delay(10);
  p.client.setReadDeadline(Date.now() - 1);
  const { ms, err } = await deadline(read, 2000, "the read");
  assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
  assert(ms < 1000);
});

netTest("a write deadline times out a write parked on a peer that does not read", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.server.setWriteDeadline(Date.now() + 50);
  const { err } = await deadline(timedOutcome(p.server.writeAll(payload(64 * MiB, 1))), 5000, "the write");
  assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
  // Reads are not affected by the write deadline.
  await p.client.write(new Uint8Array([4]));
  assertEquals(await p.server.read(new Uint8Array(4)), 1);
});

netTest("setDeadline sets both; null clears; bad values are TypeErrors", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.client.setDeadline(Date.now() - 1);
  await assertRejects(() => p.client.read(new Uint8Array(1)), Deno.errors.TimedOut);
  await assertRejects(() => p.client.write(new Uint8Array(1)), Deno.errors.TimedOut);
  p.client.setDeadline(null);
  assertEquals(await p.client.write(new Uint8Array(1)), 1);
  for (const bad of [NaN, Infinity, "soon", undefined, {}, new Date(NaN)]) {
    assertThrows(() => p.client.setDeadline(bad as number), TypeError);
  }
  p.client.close();
  assertThrows(() => p.client.setReadDeadline(Date.now()), Deno.errors.BadResource);
});

netTest(
  "idle timeout: a silent conn is closed, its pending read rejects TimedOut, the peer reads EOF",
  async (r) => {
    await using p = await tcpPair(r);
    p.server.setIdleTimeout(40);
    const { ms, err } = await deadline(timedOutcome(p.server.read(new Uint8Array(8))), 2000, "the read");
    assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
    assert(ms >= 35, `closed early: ${ms} ms`);
    assert(p.server.closed);
    assertEquals(await deadline(p.client.read(new Uint8Array(8)), 2000, "EOF at the peer"), null);
  },
);

netTest("idle timeout: traffic keeps the conn open; 0 turns it off", async (reactor) => {
  await using p = await tcpPair(reactor);
  p.server.setIdleTimeout(60);
  const buf = new Uint8Array(1);
  for (let i = 0; i < 6; i++) { // 6 × 25 ms = 150 ms of traffic, past 60 ms twice over
    await delay(25);
    await p.client.write(buf);
    assertEquals(await p.server.read(buf), 1);
  }
  assert(!p.server.closed);
  p.server.setIdleTimeout(0);
  await delay(100);
  assert(!p.server.closed);
  assertThrows(() => p.server.setIdleTimeout(-1), RangeError);
  assertThrows(() => p.server.setIdleTimeout(1.5), RangeError);
});

netTest("listen({ idleTimeout }) gives every accepted conn the limit", async (reactor) => {
  await using p = await tcpPair(reactor, "127.0.0.1", { idleTimeout: 30 });
  await deadline(p.client.read(new Uint8Array(1)), 2000, "EOF from the idle server side");
  assert(p.server.closed);
  assertThrows(() => listen({ hostname: "127.0.0.1", port: 0, reactor, idleTimeout: NaN }), RangeError);
});

netTest("connect({ timeout }) gives up on an unanswered SYN with TimedOut, naming the address", async (r) => {
  await using listener = listen({ hostname: "127.0.0.1", port: 0, backlog: 0, reactor: r });
  const port = listener.addr.port;
  // backlog 0 holds one connection; with it full, the kernel drops the next SYN.
  using _filler = await connect({ port, reactor: r });
  const { ms, err } = await deadline(
    timedOutcome(connect({ port, reactor: r, timeout: 50 })),
    3000,
    "connect",
  );
  assert(err instanceof Deno.errors.TimedOut, `got ${err}`);
  assert((err as Error).message.includes(`127.0.0.1:${port}`), (err as Error).message);
  assert(ms >= 45, `gave up early: ${ms} ms`);
  assertEquals(r.size, 2, "only the listener and the filler stay registered");
  await assertRejects(() => connect({ port, reactor: r, timeout: -1 }), RangeError);
});

// ---------------------------------------------------------------- the wheel

/** A driver on plain JS timers, counting how often the wheel asked to be woken. */
function jsDriver(
  errors: unknown[] = [],
): WheelDriver & { arms: number; live: Set<ReturnType<typeof setTimeout>> } {
  const live = new Set<ReturnType<typeof setTimeout>>();
  const driver = {
    arms: 0,
    live,
    schedule(delayMs: number, fire: () => void): () => void {
      driver.arms++;
      const id = setTimeout(() => {
        live.delete(id);
        fire();
      }, delayMs);
      live.add(id);
      return () => {
        clearTimeout(id);
        live.delete(id);
      };
    },
    reportError: (err: unknown) => void errors.push(err),
  };
  return driver;
}

Deno.test("wheel: entries fire in deadline order, never early, and cancelled ones never", async () => {
  const driver = jsDriver();
  const wheel = new TimerWheel(driver, { tickMs: 1, slots: 16 }); // 16 ms a round: 40 ms needs rounds
  const fired: number[] = [];
  const start = performance.now();
  const at = (ms: number): Expirable => ({
    expire: () => {
      assert(performance.now() >= start + ms, `fired early: ${ms}`);
      fired.push(ms);
    },
  });
  for (const ms of [40, 5, 25, 5, 12]) wheel.add(start + ms, at(ms));
  const cancelled = wheel.add(start + 20, at(20));
  wheel.cancel(cancelled);
  wheel.cancel(cancelled); // harmless twice
  assertEquals(wheel.size, 5);
  await deadline(
    (async () => {
      while (wheel.size > 0) await delay(5);
    })(),
    2000,
    "every entry to fire",
  );
  assertEquals(fired, [5, 5, 12, 25, 40]);
  assertEquals(driver.live.size, 0, "an empty wheel holds no timer");
  wheel.close();
});

Deno.test("wheel: 100,000 entries, moved lazily, cost one timer; a throwing target is reported", async () => {
  const errors: unknown[] = [];
  const driver = jsDriver(errors);
  const wheel = new TimerWheel(driver, { tickMs: 1, slots: 1024 });
  let count = 0;
  const target: Expirable = { expire: () => void count++ };
  const now = performance.now();
  for (let i = 0; i < 100_000; i++) wheel.add(now + 10 + (i % 20), target);
  wheel.add(now + 5, {
    expire: () => {
      throw new Error("boom");
    },
  });
  assert(driver.arms <= 2, `armed ${driver.arms} times for 100,001 adds`);
  await deadline(
    (async () => {
      while (wheel.size > 0) await delay(5);
    })(),
    5000,
    "the wheel to empty",
  );
  assertEquals(count, 100_000);
  assertEquals(errors.length, 1);
  assertThrows(() => wheel.add(NaN, target), TypeError);
  assertThrows(() => wheel.cancel({} as never), TypeError);
  wheel.close();
  assertThrows(() => wheel.add(now, target), Deno.errors.BadResource);
  assertThrows(() => new TimerWheel(driver, { slots: 1000 }), RangeError);
  assertThrows(() => new TimerWheel(driver, { tickMs: 0 }), RangeError);
});
