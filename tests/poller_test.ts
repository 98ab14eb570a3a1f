/**
 * The bare {@linkcode Poller} on an {@linkcode Epoll}, for both poll-worker
 * strategies: `wait()` resolves with events (never the waker's or the
 * tick's), `wake()` resolves it with none, one wait at a time, `close()` is
 * idempotent and ends a pending wait, waits after close reject with
 * BadResource, the stats count every kind of wait, and bad options throw.
 * The hot wait's guarantees: timers keep running while the main thread waits
 * (the tick bounds every wait), an idle poller parks and uses no CPU, and an
 * unref'd one lets the process exit.
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  close,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EPOLL_CLOEXEC,
  epoll_create1,
  epoll_ctl,
  EPOLL_CTL_ADD,
  EPOLLET,
  EPOLLIN,
  eventfd,
  eventfd_read,
  eventfd_write,
  timerfd_settime,
} from "../ffi/mod.ts";
import process from "node:process";
import { Epoll } from "../epoll/epoll.ts";
import { Poller, type PollerOptions, WAKER_DATA } from "../reactor/mod.ts";
import {
  assertFalse,
  assertFdsSettle,
  FdScope,
  isPending,
  makeEventfd,
  makeTimerfd,
  openFds,
  runScript,
  settledFds,
  sleep,
  type Variant,
  VARIANTS,
  waitUntil,
  within,
} from "./_reactor_helpers.ts";

interface PollerCtx {
  epoll: Epoll;
  poller: Poller;
  fds: FdScope;
}

/** One test per variant: a fresh Epoll + Poller, both closed in `finally`, then an fd-leak check. */
function pollerTest(
  name: string,
  fn: (ctx: PollerCtx) => Promise<void>,
  variants: readonly Variant[] = VARIANTS,
  extra: PollerOptions = {},
): void {
  for (const variant of variants) {
    Deno.test(`poller[${variant.label}]: ${name}`, async () => {
      const before = await settledFds();
      const fds = new FdScope();
      const epoll = new Epoll();
      const options = { strategy: variant.strategy, busyWaitMicros: variant.busyWaitMicros, ...extra };
      const poller = new Poller(epoll, options);
      try {
        await fn({ epoll, poller, fds });
      } finally {
        await poller.close();
        epoll.close();
        fds.closeAll();
      }
      await assertFdsSettle(before, variant.strategy === "worker" ? "count" : "exact");
    });
  }
}

const PARKING = VARIANTS.filter((v) => v.busyWaitMicros === 0);
const HOT = VARIANTS.filter((v) => v.busyWaitMicros === undefined);

pollerTest(
  "wait() resolves with the ready fd's event, and not the waker's",
  async ({ epoll, poller, fds }) => {
    const efd = makeEventfd(fds);
    epoll.register(efd, EPOLLIN, 1000 + efd);
    setTimeout(() => eventfd_write(efd, 1), 10);
    const events = await within(poller.wait(), 2000, "wait()");
    assertEquals(events.length, 1);
    assertEquals(events.data(0), 1000 + efd);
    assertEquals(events.events(0) & EPOLLIN, EPOLLIN);
    for (let i = 0; i < events.length; i++) assert(events.data(i) !== WAKER_DATA);
    eventfd_read(efd);
  },
);

pollerTest(
  "wake() resolves a parked wait with 0 events; the waker is reset afterwards",
  async ({ poller }) => {
    const waiting = poller.wait();
    await sleep(20);
    assert(await isPending(waiting), "nothing is registered: the wait must still be pending");
    assertGreater(poller.stats.parks, 0);
    poller.wake();
    assertEquals((await within(waiting, 2000, "the woken wait")).length, 0);
    const again = poller.wait();
    await sleep(20);
    assert(await isPending(again), "a waker left readable would end the next wait at once");
    poller.wake();
    assertEquals((await within(again, 2000, "the second woken wait")).length, 0);
  },
);

pollerTest("wake() before wait() ends the next wait at once", async ({ poller }) => {
  poller.wake();
  const t0 = performance.now();
  assertEquals((await within(poller.wait(), 2000, "the pre-woken wait")).length, 0);
  assertLess(performance.now() - t0, 100);
}, PARKING);

pollerTest("a second wait() while one is pending throws", async ({ poller }) => {
  const first = poller.wait();
  assertThrows(() => poller.wait(), Deno.errors.Busy, "already in progress");
  poller.wake();
  await within(first, 2000, "the first wait");
  poller.wake();
  await within(poller.wait(), 2000, "a wait after the first ended"); // allowed again
});

pollerTest(
  "close() ends a pending wait, is idempotent, and later waits reject with BadResource",
  async (t) => {
    const waiting = t.poller.wait();
    await sleep(10);
    const t0 = performance.now();
    await Promise.all([t.poller.close(), t.poller.close()]);
    assertLess(performance.now() - t0, 1000);
    assertEquals((await within(waiting, 1000, "the wait pending at close()")).length, 0);
    assert(t.poller.closed);
    await assertRejects(() => t.poller.wait(), Deno.errors.BadResource);
    await t.poller.close();
    assertFalse(t.epoll.closed, "the Epoll is the caller's");
  },
);

pollerTest(
  "stats: a ready fd is a drain; one ready later is a park (busy 0)",
  async ({ epoll, poller, fds }) => {
    const efd = makeEventfd(fds);
    epoll.register(efd, EPOLLIN);
    eventfd_write(efd, 1);
    await poller.wait();
    assertEquals(poller.stats.drains, 1);
    assertEquals(poller.stats.parks, 0);
    eventfd_read(efd);
    setTimeout(() => eventfd_write(efd, 1), 15);
    assertEquals((await within(poller.wait(), 2000, "the later event")).length, 1);
    assertEquals(poller.stats.parks, 1);
    assertEquals(poller.stats.busyWaits, 0, "busy 0 must never sleep on the main thread");
    eventfd_read(efd);
  },
  PARKING,
);

/** A timerfd in the set that fires once, `ms` from now: the kernel-side end of a main-thread wait. */
function timerIn(t: PollerCtx, ms: number): number {
  const tfd = makeTimerfd(t.fds);
  t.epoll.register(tfd, EPOLLIN);
  timerfd_settime(tfd, 0, ms);
  return tfd;
}

pollerTest(
  "stats: an fd ready while the main thread waits is a busy wait, with no park",
  async (t) => {
    // The hot wait blocks the main thread, so only the kernel can make the fd
    // ready meanwhile: a timerfd.
    const tfd = timerIn(t, 20);
    const t0 = performance.now();
    assertEquals((await within(t.poller.wait(), 2000, "the timerfd")).length, 1);
    assertGreaterOrEqual(performance.now() - t0, 19);
    assertEquals(t.poller.stats.busyWaits, 1);
    assertEquals(t.poller.stats.parks, 0);
    eventfd_read(tfd);
  },
  HOT,
  { busyWaitMicros: 500_000 },
);

// Regression: a periodic timerfd starts its next period only when read. The
// tick left unread expired once, and the next hot wait held the thread until
// an fd became ready. The timerfd here is the kernel-side end of the test, so
// that bug fails it instead of hanging it.
pollerTest(
  "while the main thread waits with nothing ready, the tick lets timers run about every ms",
  async (t) => {
    const tfd = timerIn(t, 150);
    let runs = 0;
    const interval = setInterval(() => runs++, 1);
    try {
      assertEquals((await within(t.poller.wait(), 2000, "the timerfd")).length, 1);
    } finally {
      clearInterval(interval);
    }
    assertEquals(t.poller.stats.parks, 0, "parked although busyWaitMicros covers the whole wait");
    // About 150 each at 1 ms; a fifth leaves room for a loaded machine, and a
    // wait the tick does not bound lets one or two through.
    assertGreaterOrEqual(t.poller.stats.ticks, 30, "ticks in 150 ms");
    assertGreaterOrEqual(runs, 30, "setInterval runs while the loop waited");
    assertGreaterOrEqual(t.poller.stats.yields, t.poller.stats.ticks - 1, "a tick-ended wait yields");
    eventfd_read(tfd);
  },
  HOT,
  { busyWaitMicros: 500_000 },
);

/** User + system CPU time of this process (every thread: getrusage), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

pollerTest(
  "idle: after the last event the loop parks, the tick stops, and a second of nothing costs no CPU",
  async (t) => {
    const efd = makeEventfd(t.fds);
    t.epoll.register(efd, EPOLLIN);
    eventfd_write(efd, 1);
    await t.poller.wait(); // hot: the tick is armed
    eventfd_read(efd);
    const waiting = t.poller.wait();
    await waitUntil(() => t.poller.stats.parks >= 1, 2000, "the park after the hot wait");
    const before = { ...t.poller.stats };
    const cpu0 = cpuMs();
    await sleep(1000);
    const cpu = cpuMs() - cpu0;
    assertEquals(t.poller.stats.ticks, before.ticks, "the tick ran on while parked");
    assertEquals(t.poller.stats.parks, before.parks, "parks kept ending: a spin");
    // A spinning loop uses most of the second; a sleeping one next to none.
    assertLess(cpu, 100, "CPU ms in an idle second");
    assert(await isPending(waiting));
    t.poller.wake();
    assertEquals((await within(waiting, 2000, "the woken wait")).length, 0);
  },
  HOT,
);

pollerTest("yieldIntervalMs 0: never waits on the main thread, and makes no tick", async (t) => {
  const before = openFds();
  const poller = new Poller(t.epoll, { strategy: "nonblocking", yieldIntervalMs: 0 });
  try {
    assertEquals(openFds().length, before.length + 1, "a waker only");
    const tfd = timerIn(t, 20);
    assertEquals((await within(poller.wait(), 2000, "the timerfd")).length, 1);
    assertEquals([poller.stats.busyWaits, poller.stats.ticks, poller.stats.arms], [0, 0, 0]);
    assertEquals(poller.stats.parks, 1);
    eventfd_read(tfd);
  } finally {
    await poller.close();
  }
}, HOT.slice(0, 1));

pollerTest("stats: batch size, events, arms and the poller's own syscalls", async (t) => {
  const efds = Array.from({ length: 10 }, () => makeEventfd(t.fds));
  for (const efd of efds) {
    t.epoll.register(efd, EPOLLIN);
    eventfd_write(efd, 1);
  }
  assertEquals((await t.poller.wait()).length, 10);
  const s = t.poller.stats;
  assertEquals([s.waits, s.events, s.busyWaits, s.arms, s.parks], [1, 10, 1, 1, 0]);
  assertEquals(s.syscalls, 2, "arming the tick, then one epoll_wait");
  for (const efd of efds) eventfd_read(efd);
  t.poller.wake();
  assertEquals((await t.poller.wait()).length, 0, "woken with nothing ready");
  assertEquals(s.waits, 1, "stats is a snapshot");
  const again = t.poller.stats;
  assertEquals([again.waits, again.events, again.wakeups, again.drains], [2, 10, 1, 1]);
  assertEquals(again.syscalls, 5, "the wake's write, a drain (the last batch was 10), the waker's read");
}, HOT.slice(0, 1));

// Regression (the fuzz test): `waker` and `stats` were writable fields the
// poller itself used, so overwriting one broke wait() and close().
pollerTest("wakerFd and stats cannot be replaced; the poller keeps working", async (t) => {
  for (const field of ["wakerFd", "stats"]) {
    assertThrows(() => {
      (t.poller as unknown as Record<string, unknown>)[field] = null;
    }, TypeError);
  }
  t.poller.stats.waits = -1; // a snapshot: nothing the poller reads
  t.poller.wake();
  assertEquals((await within(t.poller.wait(), 2000, "the woken wait")).length, 0);
  assertEquals(t.poller.stats.waits, 1);
}, HOT.slice(0, 1));

pollerTest("under continuous readiness the poller yields a macrotask about every ms", async (t) => {
  const efd = makeEventfd(t.fds);
  t.epoll.register(efd, EPOLLIN); // level-triggered and never read: always ready
  eventfd_write(efd, 1);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const end = performance.now() + 100;
  let waits = 0;
  try {
    while (performance.now() < end && waits < 1_000_000) {
      await t.poller.wait();
      waits++;
    }
  } finally {
    clearInterval(interval);
  }
  assertGreater(waits, 1000);
  // About 100 at 1 ms; a fifth of that leaves room for a loaded machine's
  // time slices, and a poller that never yields makes one or two.
  assertGreaterOrEqual(t.poller.stats.yields, 20, "yields in 100 ms of load");
  assertGreaterOrEqual(ticks, 5, "timers starved by a busy poller");
});

pollerTest(
  "maxEvents caps one batch; the rest come in the next",
  async (t) => {
    const efds = Array.from({ length: 10 }, () => makeEventfd(t.fds));
    for (const efd of efds) {
      t.epoll.register(efd, EPOLLIN);
      eventfd_write(efd, 1);
    }
    assertEquals((await t.poller.wait()).length, 4);
    for (const efd of efds) eventfd_read(efd);
  },
  PARKING,
  { maxEvents: 4 },
);

pollerTest("idle() stops the poll worker; the next wait starts it again", async (t) => {
  const efd = makeEventfd(t.fds);
  t.epoll.register(efd, EPOLLIN);
  const waiting = t.poller.wait();
  await assertRejects(() => t.poller.idle(), Deno.errors.Busy, "during a wait");
  t.poller.wake();
  await waiting;
  await t.poller.idle();
  setTimeout(() => eventfd_write(efd, 1), 10);
  assertEquals((await within(t.poller.wait(), 2000, "a wait after idle()")).length, 1);
  eventfd_read(efd);
}, PARKING);

const EXIT_DEADLINE_MS = 8000; // a cold `deno run` compiles the modules first

const UNREF_SCRIPT = (unref: boolean): string => `
import { Epoll } from "$REPO/epoll/epoll.ts";
import { Poller } from "$REPO/reactor/poller.ts";
import { EFD_NONBLOCK, EPOLLIN, eventfd, eventfd_read, eventfd_write } from "$REPO/ffi/mod.ts";
const epoll = new Epoll();
const poller = new Poller(epoll);
const efd = eventfd(0, EFD_NONBLOCK);
epoll.register(efd, EPOLLIN);
setTimeout(() => eventfd_write(efd, 1), 10);
await poller.wait(); // the loop is hot now: the tick is armed
eventfd_read(efd);
${unref ? "poller.unref();" : ""}
poller.wait().then(() => console.log("woken"));
console.log("waiting");
`;

for (const unref of [true, false]) {
  Deno.test(`poller: after a hot wait, ${unref ? "an unref'd poller lets the process exit" : "control: a ref'd one keeps it alive"}`, async () => {
    const r = await runScript(UNREF_SCRIPT(unref), unref ? EXIT_DEADLINE_MS : 1500);
    assert(r.stdout.includes("waiting"), `the script did not get to its second wait: ${r.stderr}`);
    assertFalse(r.stdout.includes("woken"), "the second wait resolved with nothing ready");
    if (unref) {
      assertFalse(r.timedOut, `still running after ${EXIT_DEADLINE_MS} ms (killed). stderr:\n${r.stderr}`);
      assertEquals(r.code, 0, r.stderr);
    } else assert(r.timedOut, `exited by itself (code ${r.code}) though a ref'd wait was pending`);
  });
}

Deno.test("poller: works on a raw epoll fd too", async () => {
  const epfd = epoll_create1(EPOLL_CLOEXEC);
  const efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  const poller = new Poller(epfd, { busyWaitMicros: 0 });
  try {
    epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, efd);
    setTimeout(() => eventfd_write(efd, 1), 10);
    const events = await within(poller.wait(), 2000, "wait() on a raw epfd");
    assertEquals([events.length, events.data(0)], [1, efd]);
  } finally {
    await poller.close();
    close(efd);
    close(epfd);
  }
});

Deno.test("poller: bad options throw before anything is allocated", () => {
  const before = openFds();
  const epoll = new Epoll();
  try {
    for (const busyWaitMicros of [-1, 1.5, 2_000_000, NaN]) {
      assertThrows(() => new Poller(epoll, { busyWaitMicros }), RangeError);
    }
    for (const settleTurns of [-1, 1.5, 1025, NaN, Infinity, "4" as unknown as number]) {
      assertThrows(() => new Poller(epoll, { settleTurns }), RangeError, "settleTurns");
    }
    assertThrows(() => new Poller(epoll, { strategy: "thread" as "worker" }), TypeError);
    assertThrows(
      () => new Poller(epoll, { strategy: Symbol() as unknown as "worker" }),
      TypeError,
      "a symbol",
    );
    for (
      const yieldIntervalMs of [-1, NaN, Infinity, "1" as unknown as number, Symbol() as unknown as number]
    ) {
      assertThrows(() => new Poller(epoll, { yieldIntervalMs }), RangeError);
    }
    assertThrows(() => new Poller(-1), RangeError);
    // Regression (the fuzz test): these reached `.fd` or `.busyWaitMicros` of null.
    for (const bad of [null, undefined, "3", {}, { fd: 3 }]) {
      assertThrows(() => new Poller(bad as unknown as number), TypeError, "an Epoll or an epoll fd");
    }
    assertThrows(() => new Poller(epoll, null as unknown as PollerOptions), TypeError, "must be an object");
  } finally {
    epoll.close();
  }
  assertEquals(openFds(), before);
});

/**
 * One round of the settle tests: an event, then a continuation `depth` microtask turns deep that makes a
 * second fd ready, then the next wait. Returns whether that wait got it without a tick ending a wait or a
 * yield (the continuation ran before the main thread blocked in the kernel).
 */
async function replyBeforeBlocking(
  poller: Poller,
  first: number,
  reply: number,
  depth: number,
): Promise<boolean> {
  eventfd_write(first, 1);
  const got = await within(poller.wait(), 2000, "the first event");
  assertEquals([got.length, got.data(0)], [1, first]);
  eventfd_read(first);
  (async () => {
    for (let i = 1; i < depth; i++) await null;
    eventfd_write(reply, 1); // at turn `depth`
  })();
  const before = poller.stats;
  const next = await within(poller.wait(), 2000, "the reply");
  const after = poller.stats;
  assertEquals([next.length, next.data(0)], [1, reply]);
  eventfd_read(reply);
  return after.ticks === before.ticks && after.yields === before.yields;
}

/**
 * Up to 3 rounds of {@linkcode replyBeforeBlocking} on a fresh poller with `settleTurns` (undefined: the
 * default), stopping at the first free one when `free` is expected. Asserts that some round got in for free
 * (`free`) or that none did (a tick can expire by chance during one round; three rounds bound that).
 */
async function settleRounds(settleTurns: number | undefined, depth: number, free: boolean): Promise<void> {
  using epoll = new Epoll();
  await using poller = new Poller(epoll, { busyWaitMicros: 100_000, settleTurns });
  const [first, reply] = [eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)];
  try {
    epoll.register(first, EPOLLIN | EPOLLET);
    epoll.register(reply, EPOLLIN | EPOLLET);
    const results: boolean[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      results.push(await replyBeforeBlocking(poller, first, reply, depth));
      if (free && results.at(-1)) break;
    }
    const what = `settleTurns ${
      settleTurns ?? "default"
    }, a continuation ${depth} turns deep: got in for free ${results}`;
    if (free) assert(results.includes(true), what);
    else assert(!results.includes(true), what);
  } finally {
    close(first);
    close(reply);
  }
}

Deno.test("poller: settleTurns bounds the settle: 4 turns let a 2-deep continuation in, not a 14-deep one; 0 none", async () => {
  // A chain deeper than the settle cannot run while the main thread is blocked in epoll_wait: only the
  // tick (or a yield that was due anyway) lets it finish, so such a reply always comes with one of them.
  await settleRounds(4, 2, true);
  await settleRounds(4, 14, false);
  await settleRounds(0, 2, false);
});

Deno.test("poller: a continuation 14 microtask turns deep runs before the main thread blocks (the settle)", async () => {
  // The net layer's read → write chain needs 7 turns; the default settle gives 16. A reply written at
  // turn 14 must be in the set before the hot wait blocks: that wait returns it with no tick ending a
  // wait and no yield.
  await settleRounds(undefined, 14, true);
});
